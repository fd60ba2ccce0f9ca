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
test_done
