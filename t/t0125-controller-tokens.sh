#!/bin/sh
# Tokens end when they should (issue 13): a new password revokes every other
# token of its user (the session that changed it goes on), auth:cancel takes
# them all, and an operator may give tokens a lifetime (off by default, as Deis).
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/controller-start"

[ -x "$BIN/deis-controller" ] || test_skip_all "no controller binary"
command -v jq >/dev/null || test_skip_all "jq is not installed"
API_DIR=$TRASH

# token_of NAME: a new login's token, echoed
token_of() {
	curl -s -XPOST -d "{\"username\":\"$1\",\"password\":\"${2:-pw-$1}\"}" "$API_URL/v1/auth/login/" |
		jq -r .token
}
# status TOKEN: what GET /v1/apps answers with it
status() {
	curl -s -o /dev/null -w "%{http_code}" -H "Authorization: token $1" "$API_URL/v1/apps/"
}

controller_start "$TRASH/a" >/dev/null || test_expect "controller starts" false
API_URL=$CONTROLLER_URL
api_admin admin >/dev/null && api_register dave >/dev/null && api_register erin >/dev/null
test_expect 'a new password revokes the user'"'"'s other tokens, not the one that set it' '
	laptop=$(token_of dave) && phone=$(token_of dave) &&
	[ "$(status $laptop)" = 200 ] && [ "$(status $phone)" = 200 ] &&
	curl -s -o /dev/null -w "%{http_code}" -H "Authorization: token $laptop" -XPOST \
		-d "{\"password\":\"pw-dave\",\"new_password\":\"pw-dave-2\"}" "$API_URL/v1/auth/passwd/" |
		grep -qx 200 &&
	[ "$(status $laptop)" = 200 ] && [ "$(status $phone)" = 401 ] &&
	[ "$(token_of dave pw-dave)" = null ] && [ "$(status $(token_of dave pw-dave-2))" = 200 ]
'
test_expect 'an administrator setting a password revokes all of that user'"'"'s tokens' '
	t1=$(token_of erin) && [ "$(status $t1)" = 200 ] &&
	api_check "200 OK" POST /v1/auth/passwd/ admin "{\"username\":\"erin\",\"new_password\":\"pw-erin-2\"}" &&
	[ "$(status $t1)" = 401 ] && api_check "200 OK" GET /v1/apps/ admin
'
kill $CONTROLLER_PID
DEIS_TOKEN_LIFETIME=2 controller_start "$TRASH/b" >/dev/null || test_expect "controller starts" false
API_URL=$CONTROLLER_URL
api_register frank >/dev/null
test_expect 'with a token lifetime, a token ends that long after its login' '
	t=$(token_of frank) && [ "$(status $t)" = 200 ] && sleep 3 &&
	curl -s -H "Authorization: token $t" "$API_URL/v1/apps/" | grep -q "Token has expired" &&
	[ "$(status $t)" = 401 ] && [ "$(status $(token_of frank))" = 200 ]
'
test_expect 'a bad lifetime is a configuration error' '
	DEIS_TOKEN_LIFETIME=soon "$BIN/deis-controller" --db "sqlite://$TRASH/c.db" --scheduler none \
		--listen 127.0.0.1:0 2>"$TRASH/err"; [ $? = 100 ] && grep -q "DEIS_TOKEN_LIFETIME" "$TRASH/err"
'
test_done
