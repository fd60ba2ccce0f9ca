#!/bin/sh
# deis-router balancing: round robin spreads requests over every endpoint;
# --balance least-conn sends new requests away from an endpoint that is busy.
. "$(dirname "$0")/test-lib.sh"

command -v python3 >/dev/null || test_skip_all "python3 missing"
command -v curl >/dev/null || test_skip_all "curl missing"
[ -x "$BIN/deis-router" ] || test_skip_all "deis-router not built"

RT=$TOP/router/testing
B1=$(free_port); B2=$(free_port); RR=$(free_port); LC=$(free_port)
cat >"$TRASH/routes.json" <<JSON
{"version":1,"domain":"example.test","controller":[],
 "apps":{"lc":{"endpoints":[{"addr":"127.0.0.1:$B1","container":"c1"},{"addr":"127.0.0.1:$B2","container":"c2"}]}}}
JSON
bg_start b1 python3 "$RT/backend.py" "$B1" "$TRASH/b1.rec" b1
bg_start b2 python3 "$RT/backend.py" "$B2" "$TRASH/b2.rec" b2
bg_start rr deis-router --listen "127.0.0.1:$RR" --routes "$TRASH/routes.json" --workers 1
bg_start lc deis-router --listen "127.0.0.1:$LC" --routes "$TRASH/routes.json" --workers 1 --balance least-conn
for p in $RR $LC; do wait_for 10 "curl -sf -H 'Host: x' http://127.0.0.1:$p/health-check" ||
	{ echo "Bail out! router did not start"; exit 1; }; done
for p in $B1 $B2; do wait_for 10 "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $p))'"; done

name() { curl -s -H 'Host: lc.example.test' "http://127.0.0.1:$1$2" | grep -o '"name": "b[12]"' | cut -d'"' -f4; }

test_expect 'round robin alternates while one endpoint is busy' "
	name $RR '/slow?ms=1500' >\$TRASH/slow & sleep 0.3
	for i in 1 2 3 4; do name $RR /echo; done | sort -u | wc -l | grep -qx 2; r=\$?; wait; exit \$r
"
test_expect 'least-conn avoids the busy endpoint' "
	name $LC '/slow?ms=1500' >\$TRASH/slow & sleep 0.3
	for i in 1 2 3 4; do name $LC /echo; done | sort -u >\$TRASH/quick; wait
	test \$(wc -l <\$TRASH/quick) = 1 && ! grep -qx \"\$(cat \$TRASH/slow)\" \$TRASH/quick
"
test_done
