#!/bin/sh
# deis-router under pipelined, mixed traffic: GET, HEAD, Content-Length and
# chunked bodies split at random points, several connections at once; every
# response must be the one for its request (no desync, no lost byte).
. "$(dirname "$0")/test-lib.sh"

command -v python3 >/dev/null || test_skip_all "python3 missing"
[ -x "$BIN/deis-router" ] || test_skip_all "deis-router not built"

RT=$TOP/router/testing
B1=$(free_port); B2=$(free_port); RPORT=$(free_port)
cat >"$TRASH/routes.json" <<JSON
{"version":1,"domain":"example.test","controller":[],
 "apps":{"myapp":{"endpoints":[{"addr":"127.0.0.1:$B1","container":"c1"},{"addr":"127.0.0.1:$B2","container":"c2"}]}}}
JSON
bg_start b1 python3 "$RT/backend.py" "$B1" "$TRASH/b1.rec" b1
bg_start b2 python3 "$RT/backend.py" "$B2" "$TRASH/b2.rec" b2
bg_start router deis-router --listen "127.0.0.1:$RPORT" --routes "$TRASH/routes.json" --workers 2 --no-access-log
wait_for 10 "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $RPORT))'" ||
	{ echo "Bail out! router did not start"; exit 1; }
for p in $B1 $B2; do wait_for 10 "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $p))'"; done

test_expect '8 connections x 150 pipelined mixed requests, all answered in order' "
	timeout 120 python3 $RT/stress.py $RPORT 8 150
"
test_expect 'the router logged no error and no worker died' "
	! grep -qi 'exited with status\\|fatal' \$TRASH/router.log
"
test_done
