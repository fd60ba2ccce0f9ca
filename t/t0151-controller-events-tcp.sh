#!/bin/sh
# App events from the controller reach the logger over TCP (octet counting)
# when it listens there, and again after the logger restarts. Both have the
# platform's logger key, as deisctl runs them: the controller opens each
# connection with it (a keyed logger files nothing else and takes no UDP).
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/controller-start"

[ -x "$BIN/deis-controller" ] || test_skip_all "no controller binary"
[ -x "$BIN/deis-logger" ] || test_skip_all "no logger binary"
command -v jq >/dev/null || test_skip_all "jq is not installed"

API_DIR=$TRASH
P=$(free_port) HTTP=$(free_port)
export DEIS_LOGGER_KEY=events-key-$$-0123456789
logger_up() {
	bg_start logger deis-logger -t 127.0.0.1:$P -l 127.0.0.1:$HTTP -d "$TRASH/logs"
	wait_for 10 "curl -s -o /dev/null http://127.0.0.1:$HTTP/_stats"
}
stat() {	# stat NAME: a counter of the logger
	curl -s "http://127.0.0.1:$HTTP/_stats" | jq -r ".$1"
}
logger_up || test_expect "logger starts" false
controller_start "$TRASH/c" --logger-url http://127.0.0.1:$HTTP --logger-syslog 127.0.0.1:$P \
	>/dev/null || test_expect "controller starts" false
API_URL=$CONTROLLER_URL
api_register alice >/dev/null && api_login alice >/dev/null

test_expect 'events travel over a TCP connection' '
	api_check "201 CREATED" POST /v1/apps/ alice "{\"id\":\"tcpev\"}" &&
	wait_for 5 "curl -s http://127.0.0.1:$HTTP/tcpev | grep -q \"created initial release\"" &&
	[ "$(stat connections)" -ge 1 ] && [ "$(stat unauthenticated)" = 0 ]
'
kill $PID_logger
wait_for 5 "! kill -0 $PID_logger"
logger_up || test_expect "logger restarts" false
test_expect 'after a logger restart the next event arrives (a new connection)' '
	api_check "201 CREATED" POST /v1/apps/tcpev/config/ alice "{\"values\":{\"A\":\"1\"}}" &&
	wait_for 5 "curl -s http://127.0.0.1:$HTTP/tcpev | grep -q \"added A\"" &&
	[ "$(stat connections)" -ge 1 ] && [ "$(stat unauthenticated)" = 0 ]
'
test_done
