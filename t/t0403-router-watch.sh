#!/bin/sh
# deis-router follows the controller's route stream (docs/internal-api.md):
# authenticated with the internal token, each table applied without a restart
# and saved as the snapshot, which serves when the controller is away.
. "$(dirname "$0")/test-lib.sh"

command -v python3 >/dev/null || test_skip_all "python3 missing"
command -v curl >/dev/null || test_skip_all "curl missing"
[ -x "$BIN/deis-router" ] || test_skip_all "deis-router not built"

RT=$TOP/router/testing
B1=$(free_port); B2=$(free_port); CP=$(free_port); RPORT=$(free_port)
table() {
	printf '{"version":%s,"domain":"example.test","controller":[],"apps":{"%s":{"endpoints":[{"addr":"127.0.0.1:%s","container":"c"}]}}}\n' \
		"$1" "$2" "$3" >"$TRASH/table.new"
	mv "$TRASH/table.new" "$TRASH/table.json"
}
table 1 alpha "$B1"
bg_start b1 python3 "$RT/backend.py" "$B1" "$TRASH/b1.rec" b1
bg_start b2 python3 "$RT/backend.py" "$B2" "$TRASH/b2.rec" b2
bg_start ctl python3 "$RT/routes-stream.py" "$CP" s3cret "$TRASH/table.json" "$TRASH/ctl.req"
wait_for 10 "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $CP))'"
for p in $B1 $B2; do wait_for 10 "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $p))'"; done

U=http://127.0.0.1:$RPORT
code() { curl -s -o /dev/null -w '%{http_code}' -H "Host: $1.example.test" "$U/echo"; }
echo s3cret >"$TRASH/token"
DEIS_INTERNAL_TOKEN_FILE=$TRASH/token bg_start router deis-router --listen "127.0.0.1:$RPORT" \
	--routes "$TRASH/state/snapshot.json" --controller "http://127.0.0.1:$CP/" --workers 2

test_expect 'the first table from the stream is served' "wait_for 10 'test \$(code alpha) = 200'"
test_expect 'the stream request carries the internal token' "
	grep -q \"GET /v1/internal/routes HTTP/1.1 .*'x-deis-internal-auth', 's3cret'\" \$TRASH/ctl.req
"
test_expect 'the table is saved as the snapshot' "grep -q '\"alpha\"' \$TRASH/state/snapshot.json"
test_expect 'a changed table is applied without a restart' "
	table 2 beta $B2 && wait_for 10 'test \$(code beta) = 200' && test \$(code alpha) = 404 &&
	curl -s -H 'Host: beta.example.test' $U/echo | grep -q '\"name\": \"b2\"'
"
test_expect 'an invalid table from the stream is ignored' "
	echo '{\"version\":3}' >\$TRASH/table.new && mv \$TRASH/table.new \$TRASH/table.json &&
	wait_for 5 'grep -q \"ignoring a route table\" \$TRASH/router.log' && test \$(code beta) = 200
"
kill "$PID_ctl"
test_expect 'the last table keeps serving while the controller is away' "
	sleep 1 && test \$(code beta) = 200
"
test_expect 'a restarted router serves the snapshot with the controller down' "
	kill \$PID_router && wait_for 15 '! kill -0 \$PID_router' &&
	grep -q '\"beta\"' \$TRASH/state/snapshot.json
"
RPORT2=$(free_port)
bg_start router2 deis-router --listen "127.0.0.1:$RPORT2" --routes "$TRASH/state/snapshot.json" \
	--controller "http://127.0.0.1:$CP" --workers 1
test_expect '... and it answers from the snapshot' "
	wait_for 10 \"test \\\$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: beta.example.test' http://127.0.0.1:$RPORT2/echo) = 200\"
"
# A stream is dead when it brings nothing for --watch-timeout; one keep-alive line per
# interval keeps it (however few bytes per second that is: libcurl's low-speed limit
# used to drop a healthy stream every 45 s).
CP2=$(free_port) CP3=$(free_port) RPORT3=$(free_port)
table 5 gamma "$B1"
bg_start ctl2 python3 "$RT/routes-stream.py" "$CP2" s3cret "$TRASH/table.json" "$TRASH/ctl2.req" 2
bg_start ctl3 python3 "$RT/routes-stream.py" "$CP3" s3cret "$TRASH/table.json" "$TRASH/ctl3.req" 0
for p in $CP2 $CP3; do wait_for 10 "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $p))'"; done
DEIS_INTERNAL_TOKEN_FILE=$TRASH/token bg_start router3 deis-router --listen "127.0.0.1:$RPORT3" \
	--routes "$TRASH/state3/snapshot.json" --controller "http://127.0.0.1:$CP2" --workers 1 \
	--watch-timeout 5
DEIS_INTERNAL_TOKEN_FILE=$TRASH/token bg_start router4 deis-router --listen "127.0.0.1:$(free_port)" \
	--routes "$TRASH/state4/snapshot.json" --controller "http://127.0.0.1:$CP3" --workers 1 \
	--watch-timeout 3
test_expect 'a stream with a keep-alive line every 2 s stays open past --watch-timeout 5' "
	wait_for 10 'grep -q \"version 5\" \$TRASH/router3.log' && sleep 12 &&
	test \$(grep -c 'GET /v1/internal/routes' \$TRASH/ctl2.req) = 1 &&
	! grep -q 'route stream' \$TRASH/router3.log
"
test_expect 'a stream silent for --watch-timeout is reopened' "
	wait_for 15 'grep -q \"nothing for 3 s; reconnecting\" \$TRASH/router4.log' &&
	wait_for 10 'test \$(grep -c \"GET /v1/internal/routes\" \$TRASH/ctl3.req) -ge 2'
"
test_done
