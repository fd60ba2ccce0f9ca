#!/bin/sh
# The controller on PostgreSQL while the database goes away for 10 s (issue 15): the
# API answers 503 at once (not a hang, not a 500), the controller keeps running, and
# once the server is back the same controller serves reads and writes again, with
# nothing lost. Figures: the slowest answer during the outage, the time to recover.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/controller-start"

ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || test_skip_all "no PostgreSQL server (apt-get install postgresql)"
[ -x "$BIN/deis-controller" ] || test_skip_all "no controller binary"
command -v jq >/dev/null || test_skip_all "jq is not installed"

PGDIR=$TRASH/pg
TEST_CLEANUP='"$TOP/t/helper/pg-stop" "$PGDIR"'
API_DIR=$TRASH
ms() { date +%s%3N; }
pg_up() {	# the server pg-start made, started again on its data, socket and port
	bindir=$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl | tail -n 1)")
	runuser -u postgres -- "$bindir/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -t 30 \
		-o "-k $PGDIR -p $(cat "$PGDIR/port") -c listen_addresses= -c fsync=off -c max_connections=50" \
		start >/dev/null
}

# started outside test_expect (a subshell), so that CONTROLLER_PID reaches the tests
"$TOP/t/helper/pg-start" "$PGDIR" >"$TRASH/url" &&
controller_start "$TRASH/c" --db "$(cat "$TRASH/url")" --scheduler none >/dev/null &&
API_URL=$CONTROLLER_URL
test_expect 'PostgreSQL and the controller start; a user and an app' '
	[ -n "$API_URL" ] && api_register alice >/dev/null && api_login alice >/dev/null &&
	api_check "201 CREATED" POST /v1/apps/ alice "{\"id\":\"before\"}"
'

"$TOP/t/helper/pg-stop" "$PGDIR"
DOWN_AT=$(ms)
test_expect 'database away: reads and writes answer 503 at once, the controller runs on' '
	worst=0 &&
	for i in 1 2 3 4 5; do
		t0=$(ms) &&
		api_check "503 SERVICE UNAVAILABLE" GET /v1/apps/ alice &&
		api_check "503 SERVICE UNAVAILABLE" POST /v1/apps/ alice "{\"id\":\"during$i\"}" &&
		t=$(($(ms) - t0)) && [ $t -gt $worst ] && worst=$t
		sleep 1
	done &&
	echo "# database away: the slowest pair of answers took $worst ms" &&
	echo "$worst" >"$TRASH/worst" &&
	api_body ".detail | test(\"database is unavailable\")" && kill -0 $CONTROLLER_PID
'
[ -f "$TRASH/worst" ] && echo "# database away: the slowest pair of answers took $(cat "$TRASH/worst") ms"
# the rest of the 10 s
while [ $(($(ms) - DOWN_AT)) -lt 10000 ]; do sleep 0.2; done
pg_up
UP_AT=$(ms)
test_expect 'database back: the same controller serves again, nothing lost, nothing half-written' '
	kill -0 $CONTROLLER_PID &&
	wait_for 15 "api_check \"200 OK\" GET /v1/apps/ alice" &&
	echo "# database back: the API answered again after $(($(ms) - UP_AT)) ms" &&
	api_body "[.results[].id] == [\"before\"]" &&
	api_check "201 CREATED" POST /v1/apps/ alice "{\"id\":\"after\"}" &&
	api_check "200 OK" GET /v1/apps/ alice && api_body "[.results[].id] | sort == [\"after\", \"before\"]"
'
test_done
