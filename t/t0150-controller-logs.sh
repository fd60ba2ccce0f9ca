#!/bin/sh
# Controller + logger: app events reach the logger and `GET .../logs` shows
# them in the Deis line format; `?follow=true` streams new lines as they come;
# destroying the app deletes its logs; a logger that is away gives a 503 saying
# the log service is unavailable (Deis gave a bare 500), and `deis logs` prints it.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/controller-start"

[ -x "$BIN/deis-controller" ] || test_skip_all "no controller binary"
[ -x "$BIN/deis-logger" ] || test_skip_all "no logger binary"
command -v jq >/dev/null || test_skip_all "jq is not installed"

API_DIR=$TRASH
UDP=$(free_port) HTTP=$(free_port)
bg_start logger deis-logger -t 127.0.0.1:0 -u 127.0.0.1:$UDP -l 127.0.0.1:$HTTP -d "$TRASH/logs"
wait_for 10 "curl -s -o /dev/null http://127.0.0.1:$HTTP/nothing" ||
	test_expect "logger starts" "cat $TRASH/logger.log; false"
controller_start "$TRASH/c" --logger-url http://127.0.0.1:$HTTP \
	--logger-syslog 127.0.0.1:$UDP >/dev/null || test_expect "controller starts" false
API_URL=$CONTROLLER_URL
api_register alice >/dev/null && api_login alice >/dev/null

test_expect 'app events reach the logs in the Deis format' '
	api_check "201 CREATED" POST /v1/apps/ alice "{\"id\":\"logged\"}" &&
	api_check "201 CREATED" POST /v1/apps/logged/config/ alice "{\"values\":{\"A\":\"1\"}}" &&
	wait_for 5 "api_call GET /v1/apps/logged/logs alice | grep -q \"200 OK\" && grep -q \"added A\" \"$API_DIR/body\"" &&
	grep -E "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|UTC|[+-][0-9:]+) logged\[deis-controller\]: alice created initial release$" "$API_DIR/body"
'
test_expect 'log_lines limits the lines' '
	api_check "200 OK" GET "/v1/apps/logged/logs?log_lines=1" alice &&
	[ "$(wc -l <"$API_DIR/body")" -eq 1 ] && grep -q "added A" "$API_DIR/body"
'
test_expect 'strangers cannot read logs' '
	api_register bob >/dev/null && api_login bob >/dev/null &&
	api_check "404 NOT FOUND" GET /v1/apps/logged/logs bob
'
test_expect 'follow streams new lines within a second' '
	curl -sN -m 6 -H "Authorization: token $(cat "$API_DIR/tok.alice")" \
		"$API_URL/v1/apps/logged/logs?follow=true&log_lines=1" >"$TRASH/follow" &
	fp=$!
	sleep 1
	api_check "201 CREATED" POST /v1/apps/logged/config/ alice "{\"values\":{\"B\":\"2\"}}" &&
	wait_for 2 "grep -q \"added B\" \"$TRASH/follow\"" &&
	grep -q "added A" "$TRASH/follow"
	rc=$?
	kill $fp 2>/dev/null
	[ $rc -eq 0 ]
'
test_expect 'the controller lets go of a follower that leaves' '
	curl -sN -m 1 -H "Authorization: token $(cat "$API_DIR/tok.alice")" \
		"$API_URL/v1/apps/logged/logs?follow=true" >/dev/null
	sleep 0.5
	api_check "200 OK" GET /v1/apps/logged/logs alice
'
test_expect 'destroying the app deletes its logs' '
	api_check "204 NO CONTENT" DELETE /v1/apps/logged alice &&
	code=$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$HTTP/logged") &&
	[ "$code" = 204 ]
'
test_expect 'logger away: 503, the log service is unavailable' '
	api_check "201 CREATED" POST /v1/apps/ alice "{\"id\":\"orphan\"}" &&
	kill $PID_logger && wait_for 5 "! kill -0 $PID_logger" &&
	api_check "503 SERVICE UNAVAILABLE" GET /v1/apps/orphan/logs alice &&
	[ "$(cat "$API_DIR/body")" = "Error accessing logs for orphan: the log service is unavailable (the logger does not answer); try again in a moment" ]
'
test_done
