#!/bin/sh
# Logins cannot stall the API nor be guessed at without end (issue 13): failed
# checks are limited per client address as well as per name, the address is
# taken from X-Forwarded-For only when a trusted proxy (the router) sends it,
# and password hashing beyond what the workers can take is refused at once
# with 503 and Retry-After, before any hashing.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/controller-start"

[ -x "$BIN/deis-controller" ] || test_skip_all "no controller binary"
command -v jq >/dev/null || test_skip_all "jq is not installed"
API_DIR=$TRASH

# login NAME PASSWORD XFF: the status of one login sent with X-Forwarded-For XFF
login() {
	curl -s -o /dev/null -w "%{http_code}" -H "X-Forwarded-For: $3" -XPOST \
		-d "{\"username\":\"$1\",\"password\":\"$2\"}" "$API_URL/v1/auth/login/"
}
# fail_many N XFF: N failed logins on ever-new names from XFF, each a 400
fail_many() {
	i=0
	while [ $i -lt $1 ]; do
		[ "$(login "nobody$i-$2" wrong "$2")" = 400 ] || { echo "failure $i was not a 400"; return 1; }
		i=$((i + 1))
	done
}

controller_start "$TRASH/a" --trusted-proxies 127.0.0.1/32 >/dev/null ||
	test_expect "controller starts" false
API_URL=$CONTROLLER_URL
api_register carol >/dev/null
test_expect 'behind a trusted proxy: 30 failures from one client address, then 429 for it only' '
	fail_many 30 203.0.113.5 &&
	[ "$(login carol pw-carol 203.0.113.5)" = 429 ] &&
	[ "$(login carol pw-carol "198.51.100.1, 203.0.113.5")" = 429 ] &&
	[ "$(login carol pw-carol 203.0.113.6)" = 200 ] &&
	grep -q "login failed for .nobody0-203.0.113.5. from 203.0.113.5$" "$TRASH/a/controller.log"
'
kill $CONTROLLER_PID
controller_start "$TRASH/b" >/dev/null || test_expect "controller starts" false
API_URL=$CONTROLLER_URL
api_register carol >/dev/null
test_expect 'from an untrusted peer X-Forwarded-For is the client'"'"'s word: it moves no limit' '
	i=0 && while [ $i -lt 30 ]; do
		[ "$(login "nobody$i" wrong "203.0.113.$i")" = 400 ] || exit 1
		i=$((i + 1))
	done &&
	[ "$(login carol pw-carol 203.0.113.99)" = 429 ] &&
	grep -q "login failed for .nobody0. from 127.0.0.1$" "$TRASH/b/controller.log"
'
kill $CONTROLLER_PID
controller_start "$TRASH/c" --trusted-proxies 127.0.0.1/32 --hash-workers 1 >/dev/null ||
	test_expect "controller starts" false
API_URL=$CONTROLLER_URL
api_register carol >/dev/null && api_login carol >/dev/null
test_expect 'more logins than the workers take: 503 with Retry-After at once, the API answers' '
	seq 1 60 | xargs -P 60 -I{} curl -s -o /dev/null -D "$TRASH/h{}" -w "%{http_code}\n" \
		-H "X-Forwarded-For: 192.0.2.{}" -XPOST -d "{\"username\":\"u{}\",\"password\":\"x\"}" \
		"$API_URL/v1/auth/login/" >"$TRASH/codes" &
	api_check "200 OK" GET /v1/apps carol; ok=$?; wait
	sort "$TRASH/codes" | uniq -c; [ $ok = 0 ] &&
	grep -q 503 "$TRASH/codes" && grep -q 400 "$TRASH/codes" && ! grep -qv "^\(400\|503\)$" "$TRASH/codes" &&
	grep -l "^HTTP/1.1 503" "$TRASH"/h* | head -n 1 | xargs grep -qi "^Retry-After: 1" &&
	[ "$(login carol pw-carol 192.0.2.200)" = 200 ]
'
test_done
