#!/bin/sh
# --deny-net: the controller refuses API clients from the apps' network (they
# share Docker's bridge with it), except that network's gateway (the host).
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/controller-start"

[ -x "$BIN/deis-controller" ] || test_skip_all "no controller binary"
API_DIR=$TRASH

controller_start "$TRASH/a" --deny-net 127.0.0.0/8 >/dev/null || test_expect "controller starts" false
API_URL=$CONTROLLER_URL
test_expect 'a client in the denied network gets 403 for any API call' '
	api_check "403 FORBIDDEN" POST /v1/auth/register/ - "{\"username\":\"x\",\"password\":\"pw\"}" &&
	api_check "403 FORBIDDEN" GET /v1/apps/ -
'
test_expect 'and for every request of a kept-alive connection, not only the first' '
	curl -s -o /dev/null -o /dev/null -w "%{http_code} %{num_connects}\n" \
		"$CONTROLLER_URL/v1/" "$CONTROLLER_URL/v1/auth/login/" >"$TRASH/codes" &&
	cat "$TRASH/codes" && [ "$(cat "$TRASH/codes" | tr "\n" " ")" = "403 1 403 0 " ]
'
kill $CONTROLLER_PID
controller_start "$TRASH/b" --deny-net 127.0.0.0/8,127.0.0.1 >/dev/null || test_expect "controller starts" false
API_URL=$CONTROLLER_URL
test_expect 'the excepted address (the gateway) is served' '
	api_check "201 CREATED" POST /v1/auth/register/ - "{\"username\":\"x\",\"password\":\"pw\"}"
'
test_expect 'a malformed network is a configuration error (exit 100)' '
	"$BIN/deis-controller" --db "sqlite://$TRASH/c.db" --scheduler none --listen 127.0.0.1:0 \
		--deny-net 300.1.2.3/8 2>"$TRASH/err"; [ $? = 100 ] && grep -q "deny-net" "$TRASH/err"
'
test_done
