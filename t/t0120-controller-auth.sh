#!/bin/sh
# Controller API: the first administrator (create-admin, never a registrant
# unless --first-user-admin), register, login, logout-by-regenerate, cancel,
# passwd, users, admin perms and registration modes, with every principal
# (admin, user, anonymous, bad and revoked tokens), on SQLite and, when the
# PostgreSQL helper is there, on PostgreSQL.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/controller-start"

CTL=${DEIS_CONTROLLER:-$BIN/deis-controller}
[ -x "$CTL" ] || test_skip_all "no controller binary at $CTL"
command -v jq >/dev/null || test_skip_all "jq is not installed"

suite() {
	E=$1
	W=$TRASH/$E
	API_DIR=$W
	mkdir -p "$W"
	controller_start "$W/c1" >/dev/null || { test_expect "$E: controller starts" false; return; }
	API_URL=$CONTROLLER_URL

	test_expect "$E: GET /v1/ without a token is 401 (CLI probe)" '
		api_check "401 UNAUTHORIZED" GET /v1/ - &&
		api_body ".detail == \"Authentication credentials were not provided.\"" &&
		grep -qi "^WWW-Authenticate: Token" "$API_DIR/head"
	'
	test_expect "$E: the controller says at start how the first administrator is made" '
		grep -q "no administrator yet: make the first one on this host with .deis-controller create-admin." "$W/c1/controller.log"
	'
	test_expect "$E: create-admin (the local channel) makes the first administrator" '
		"$CTL" has-admin --db "$CONTROLLER_DB"; [ $? -eq 1 ] &&
		api_admin admin &&
		"$CTL" has-admin --db "$CONTROLLER_DB" &&
		api_check "200 OK" GET /v1/users/ admin &&
		api_body ".results == [.results[0]] and .results[0].username == \"admin\" and
		     .results[0].is_superuser == true and .results[0].is_staff == true" &&
		! echo pw | "$CTL" create-admin --db "$CONTROLLER_DB" admin a@example.com 2>"$W/ca.err" &&
		grep -q "username: This field must be unique." "$W/ca.err" &&
		! "$CTL" create-admin --db "$CONTROLLER_DB" x x@example.com </dev/null 2>"$W/ca.err" &&
		grep -q "no password on stdin" "$W/ca.err"
	'
	test_expect "$E: registered users are not administrators" '
		api_register alice &&
		api_body ".username == \"alice\" and .is_superuser == false and .is_staff == false and
		     .email == \"alice@example.com\" and .is_active == true and .groups == [] and
		     .user_permissions == [] and .last_login == null and (has(\"password\") | not) and
		     (.date_joined | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\\\.[0-9]{3}Z$\"))" &&
		api_register bob && api_body ".is_superuser == false" && api_register carol
	'
	test_expect "$E: duplicate username is a field error" '
		api_check "400 BAD REQUEST" POST /v1/auth/register/ - "{\"username\":\"alice\",\"password\":\"x\"}" &&
		api_body ".username == [\"This field must be unique.\"]"
	'
	test_expect "$E: register validates its input" '
		api_check "400 BAD REQUEST" POST /v1/auth/register/ - "{\"password\":\"x\"}" &&
		api_body ".username == [\"This field is required.\"]" &&
		api_check "400 BAD REQUEST" POST /v1/auth/register/ - "{\"username\":\"dave\"}" &&
		api_body ".password == [\"This field is required.\"]" &&
		api_check "400 BAD REQUEST" POST /v1/auth/register/ - "{\"username\":\"dave\",\"password\":\"\"}" &&
		api_body ".password == [\"This field may not be blank.\"]" &&
		api_check "400 BAD REQUEST" POST /v1/auth/register/ - "{\"username\":\"da ve\",\"password\":\"x\"}" &&
		api_body ".username[0] | startswith(\"Enter a valid username.\")" &&
		api_check "400 BAD REQUEST" POST /v1/auth/register/ - "{\"username\":5,\"password\":\"x\"}" &&
		api_body ".username == [\"Not a valid string.\"]" &&
		api_check "400 BAD REQUEST" POST /v1/auth/register/ - "{\"username\":\"dave\",\"password\":\"x\",\"email\":\"nope\"}" &&
		api_body ".email == [\"Enter a valid email address.\"]" &&
		api_check "400 BAD REQUEST" POST /v1/auth/register/ - "[1,2]" &&
		api_check "400 BAD REQUEST" POST /v1/auth/register/ - "{\"username\":" &&
		api_body ".detail | startswith(\"JSON parse error\")" &&
		api_check "400 BAD REQUEST" POST /v1/auth/register/ - "{\"username\":\"$(printf "%0300d" 0)\",\"password\":\"x\"}"
	'
	test_expect "$E: oversized fields and bodies" '
		api_check "400 BAD REQUEST" POST /v1/auth/register/ - "{\"username\":\"dave\",\"password\":\"x\",\"first_name\":\"$(printf "%040d" 0)\"}" &&
		api_body ".first_name == [\"Ensure this field has no more than 30 characters.\"]" &&
		api_check "400 BAD REQUEST" POST /v1/auth/register/ - "{\"username\":\"dave\",\"password\":\"$(printf "%02000d" 0)\"}" &&
		api_body ".password == [\"Ensure this field has no more than 1024 characters.\"]" &&
		{ printf "{\"username\":\"dave\",\"password\":\""; head -c 2000000 /dev/zero | tr "\\0" a; printf "\"}"; } >"$W/big.json" &&
		[ "$(curl -s -m 20 -o /dev/null -w "%{http_code}" --data-binary @"$W/big.json" "$API_URL/v1/auth/register/")" = 413 ] &&
		api_check "400 BAD REQUEST" POST /v1/auth/login/ - "{\"username\":\"dave\",\"password\":\"x\"}"
	'
	test_expect "$E: login gives a token; bad credentials are refused" '
		api_login admin && api_login alice && api_login bob && api_login carol &&
		grep -Eq "^[0-9a-f]{40}$" "$API_DIR/tok.alice" &&
		api_check "400 BAD REQUEST" POST /v1/auth/login/ - "{\"username\":\"alice\",\"password\":\"wrong\"}" &&
		api_body ".non_field_errors == [\"Unable to log in with provided credentials.\"]" &&
		api_check "400 BAD REQUEST" POST /v1/auth/login/ - "{\"username\":\"nobody\",\"password\":\"x\"}" &&
		api_body ".non_field_errors == [\"Unable to log in with provided credentials.\"]" &&
		api_check "400 BAD REQUEST" POST /v1/auth/login/ - "{\"username\":\"alice\"}" &&
		api_body ".password == [\"This field is required.\"]"
	'
	test_expect "$E: each login is its own session; last_login is recorded" '
		cp "$API_DIR/tok.alice" "$API_DIR/tok.alice1" && api_login alice &&
		! cmp -s "$API_DIR/tok.alice" "$API_DIR/tok.alice1" &&
		api_check "200 OK" GET /v1/apps alice1 && api_check "200 OK" GET /v1/apps alice &&
		api_check "200 OK" GET /v1/users/ admin &&
		api_body "[.results[] | select(.username == \"alice\")][0].last_login | test(\"Z$\")"
	'
	test_expect "$E: a user keeps the 20 newest sessions" '
		cp "$API_DIR/tok.bob" "$API_DIR/tok.bob0" && api_login bob && cp "$API_DIR/tok.bob" "$API_DIR/tok.bob1" &&
		i=0 && while [ $i -lt 19 ]; do api_login bob >/dev/null || exit 1; i=$((i + 1)); done &&
		api_check "401 UNAUTHORIZED" GET /v1/apps bob0 &&
		api_check "200 OK" GET /v1/apps bob1 &&
		api_login bob >/dev/null &&
		api_check "401 UNAUTHORIZED" GET /v1/apps bob1 &&
		api_check "200 OK" GET /v1/apps bob
	'
	test_expect "$E: bad tokens get 401" '
		api_check "401 UNAUTHORIZED" GET /v1/apps "=0123456789abcdef0123456789abcdef01234567" &&
		api_body ".detail == \"Invalid token\"" &&
		api_check "401 UNAUTHORIZED" GET /v1/apps "=" &&
		api_check "401 UNAUTHORIZED" GET /v1/keys -
	'
	test_expect "$E: users list is for administrators" '
		api_check "200 OK" GET /v1/users/ admin &&
		api_body ".count == 4 and .next == null and .previous == null and
		      ([.results[].username] == [\"admin\",\"alice\",\"bob\",\"carol\"])" &&
		api_check "200 OK" GET "/v1/users/?page_size=2&page=2" admin &&
		api_body ".count == 4 and (.results | length) == 2 and (.previous | test(\"page=1\"))" &&
		api_check "403 FORBIDDEN" GET /v1/users/ alice &&
		api_body ".detail == \"You do not have permission to perform this action.\"" &&
		api_check "401 UNAUTHORIZED" GET /v1/users/ -
	'
	test_expect "$E: admin perms: list, grant, revoke" '
		api_check "200 OK" GET /v1/admin/perms/ admin &&
		api_body ".count == 1 and .results == [{\"username\":\"admin\",\"is_superuser\":true}]" &&
		api_check "403 FORBIDDEN" POST /v1/admin/perms/ alice "{\"username\":\"alice\"}" &&
		api_check "403 FORBIDDEN" GET /v1/admin/perms/ alice &&
		api_check "401 UNAUTHORIZED" GET /v1/admin/perms/ - &&
		api_check "404 NOT FOUND" POST /v1/admin/perms/ admin "{\"username\":\"nobody\"}" &&
		api_check "400 BAD REQUEST" POST /v1/admin/perms/ admin "{}" &&
		api_check "201 CREATED" POST /v1/admin/perms/ admin "{\"username\":\"bob\"}" &&
		api_check "200 OK" GET /v1/users/ bob &&
		api_check "200 OK" GET /v1/admin/perms/ admin &&
		api_body "[.results[].username] == [\"admin\",\"bob\"]" &&
		api_check "403 FORBIDDEN" DELETE /v1/admin/perms/bob alice &&
		api_check "204 NO CONTENT" DELETE /v1/admin/perms/bob admin &&
		api_check "403 FORBIDDEN" GET /v1/users/ bob &&
		api_check "404 NOT FOUND" DELETE /v1/admin/perms/nobody admin
	'
	test_expect "$E: the last administrator stays (only the operator could make another)" '
		api_check "409 CONFLICT" DELETE /v1/admin/perms/admin admin &&
		api_body ".detail == \"admin is the last administrator\"" &&
		api_check "409 CONFLICT" DELETE /v1/auth/cancel/ admin &&
		api_check "200 OK" GET /v1/users/ admin &&
		api_check "201 CREATED" POST /v1/admin/perms/ admin "{\"username\":\"bob\"}" &&
		api_check "204 NO CONTENT" DELETE /v1/admin/perms/admin bob &&
		api_check "403 FORBIDDEN" GET /v1/users/ admin &&
		api_check "201 CREATED" POST /v1/admin/perms/ bob "{\"username\":\"admin\"}" &&
		api_check "204 NO CONTENT" DELETE /v1/admin/perms/bob admin
	'
	test_expect "$E: passwd: own password needs the current one" '
		api_check "400 BAD REQUEST" POST /v1/auth/passwd/ alice "{\"password\":\"wrong\",\"new_password\":\"n1\"}" &&
		api_body ".detail == \"Current password does not match\"" &&
		api_check "400 BAD REQUEST" POST /v1/auth/passwd/ alice "{\"new_password\":\"n1\"}" &&
		api_check "400 BAD REQUEST" POST /v1/auth/passwd/ alice "{\"password\":\"pw-alice\"}" &&
		api_body ".new_password == [\"This field is required.\"]" &&
		api_check "200 OK" POST /v1/auth/passwd/ alice "{\"password\":\"pw-alice\",\"new_password\":\"n1\"}" &&
		api_body ". == {\"status\":\"password set\"}" &&
		api_check "400 BAD REQUEST" POST /v1/auth/login/ - "{\"username\":\"alice\",\"password\":\"pw-alice\"}" &&
		api_login alice n1 &&
		api_check "401 UNAUTHORIZED" POST /v1/auth/passwd/ - "{\"password\":\"n1\",\"new_password\":\"n2\"}"
	'
	test_expect "$E: passwd: only an admin sets another user's password" '
		api_check "403 FORBIDDEN" POST /v1/auth/passwd/ bob "{\"username\":\"alice\",\"password\":\"n1\",\"new_password\":\"evil\"}" &&
		api_login alice n1 &&
		api_check "200 OK" POST /v1/auth/passwd/ admin "{\"username\":\"alice\",\"new_password\":\"pw-alice\"}" &&
		api_login alice &&
		api_check "400 BAD REQUEST" POST /v1/auth/passwd/ admin "{\"username\":\"alice\",\"password\":\"wrong\",\"new_password\":\"x\"}" &&
		api_check "404 NOT FOUND" POST /v1/auth/passwd/ admin "{\"username\":\"nobody\",\"new_password\":\"x\"}"
	'
	test_expect "$E: regenerate: the old token is dead at once" '
		cp "$API_DIR/tok.bob" "$API_DIR/tok.bobold" &&
		api_check "200 OK" POST /v1/auth/tokens/ bob "{}" &&
		jq -r .token "$API_DIR/body" >"$API_DIR/tok.bob" && grep -Eq "^[0-9a-f]{40}$" "$API_DIR/tok.bob" &&
		api_check "401 UNAUTHORIZED" GET /v1/apps bobold &&
		api_body ".detail == \"Invalid token\"" &&
		api_check "200 OK" GET /v1/apps bob
	'
	test_expect "$E: regenerate another user needs an admin" '
		api_check "403 FORBIDDEN" POST /v1/auth/tokens/ bob "{\"username\":\"alice\"}" &&
		api_check "200 OK" GET /v1/apps alice &&
		api_check "403 FORBIDDEN" POST /v1/auth/tokens/ bob "{\"all\":true}" &&
		api_check "200 OK" GET /v1/apps alice &&
		api_check "404 NOT FOUND" POST /v1/auth/tokens/ admin "{\"username\":\"nobody\"}" &&
		api_check "200 OK" POST /v1/auth/tokens/ admin "{\"username\":\"alice\"}" &&
		api_check "401 UNAUTHORIZED" GET /v1/apps alice &&
		api_check "401 UNAUTHORIZED" GET /v1/apps alice1 &&
		api_login alice
	'
	test_expect "$E: regenerate --all revokes every token" '
		api_check "200 OK" POST /v1/auth/tokens/ admin "{\"all\":true}" &&
		[ "$(cat "$API_DIR/body")" = "\"\"" ] &&
		api_check "401 UNAUTHORIZED" GET /v1/apps alice &&
		api_check "401 UNAUTHORIZED" GET /v1/apps bob &&
		api_check "401 UNAUTHORIZED" GET /v1/users/ admin &&
		api_login admin && api_login alice && api_login bob && api_login carol
	'
	test_expect "$E: cancel: refused while owning apps, then the tokens die" '
		api_check "201 CREATED" POST /v1/apps carol "{\"id\":\"carol-app-$E\"}" &&
		api_check "409 CONFLICT" DELETE /v1/auth/cancel/ carol &&
		api_body ".detail == \"carol still has applications assigned. Delete or transfer ownership\"" &&
		api_check "204 NO CONTENT" DELETE /v1/apps/carol-app-$E carol &&
		cp "$API_DIR/tok.carol" "$API_DIR/tok.carolold" &&
		api_check "204 NO CONTENT" DELETE /v1/auth/cancel/ carol &&
		api_check "401 UNAUTHORIZED" GET /v1/apps carolold &&
		api_check "400 BAD REQUEST" POST /v1/auth/login/ - "{\"username\":\"carol\",\"password\":\"pw-carol\"}"
	'
	test_expect "$E: cancel another user needs an admin" '
		api_register dave && api_login dave &&
		api_check "403 FORBIDDEN" DELETE /v1/auth/cancel/ alice "{\"username\":\"dave\"}" &&
		api_check "200 OK" GET /v1/apps dave &&
		api_check "404 NOT FOUND" DELETE /v1/auth/cancel/ admin "{\"username\":\"nobody\"}" &&
		api_check "204 NO CONTENT" DELETE /v1/auth/cancel/ admin "{\"username\":\"dave\"}" &&
		api_check "401 UNAUTHORIZED" GET /v1/apps dave &&
		api_check "401 UNAUTHORIZED" DELETE /v1/auth/cancel/ -
	'
	test_expect "$E: failed password checks are throttled per username" '
		api_register victim >/dev/null && api_login victim >/dev/null &&
		i=0 && while [ $i -lt 10 ]; do
			api_check "400 BAD REQUEST" POST /v1/auth/login/ - "{\"username\":\"victim\",\"password\":\"guess$i\"}" || exit 1
			i=$((i + 1))
		done &&
		api_check "429 TOO MANY REQUESTS" POST /v1/auth/login/ - "{\"username\":\"victim\",\"password\":\"pw-victim\"}" &&
		api_body ".detail | test(\"^Request was throttled. Expected available in [0-9]+ seconds.$\")" &&
		grep -Eqi "^Retry-After: [0-9]+" "$API_DIR/head" &&
		api_check "429 TOO MANY REQUESTS" POST /v1/auth/passwd/ victim "{\"password\":\"pw-victim\",\"new_password\":\"x\"}" &&
		api_check "200 OK" GET /v1/apps victim &&
		api_login bob
	'
	test_expect "$E: wrong methods and the trailing-slash forms" '
		api_check "405 METHOD NOT ALLOWED" GET /v1/auth/login/ - &&
		api_body ".detail == \"Method \\\"GET\\\" not allowed.\"" &&
		api_check "200 OK" POST /v1/auth/login - "{\"username\":\"bob\",\"password\":\"pw-bob\"}"
	'
	kill "$CONTROLLER_PID"
	wait_for 10 "! kill -0 $CONTROLLER_PID"

	# Registration modes, stored by --registration-mode, on the same database.
	controller_start "$W/c1" --registration-mode disabled >/dev/null ||
		{ test_expect "$E: controller restarts" false; return; }
	API_URL=$CONTROLLER_URL
	test_expect "$E: registration disabled" '
		api_check "403 FORBIDDEN" POST /v1/auth/register/ - "{\"username\":\"erin\",\"password\":\"x\"}" &&
		api_body ".detail == \"Registration is disabled\"" &&
		api_check "403 FORBIDDEN" POST /v1/auth/register/ admin "{\"username\":\"erin\",\"password\":\"x\"}"
	'
	kill "$CONTROLLER_PID"
	wait_for 10 "! kill -0 $CONTROLLER_PID"
	controller_start "$W/c1" --registration-mode admin_only >/dev/null ||
		{ test_expect "$E: controller restarts" false; return; }
	API_URL=$CONTROLLER_URL
	test_expect "$E: registration admin_only" '
		api_check "401 UNAUTHORIZED" POST /v1/auth/register/ - "{\"username\":\"erin\",\"password\":\"x\"}" &&
		api_check "403 FORBIDDEN" POST /v1/auth/register/ alice "{\"username\":\"erin\",\"password\":\"x\"}" &&
		api_body ".detail == \"You do not have permission to perform this action.\"" &&
		api_check "201 CREATED" POST /v1/auth/register/ admin "{\"username\":\"erin\",\"password\":\"x\"}" &&
		api_body ".is_superuser == false"
	'
	kill "$CONTROLLER_PID"
	wait_for 10 "! kill -0 $CONTROLLER_PID"

}

# race E DBURL [--first-user-admin]: two controllers on one empty database,
# twelve registrations racing across both (an operator's create-admin among
# them without the flag): without the flag no registrant becomes an
# administrator; with it (Deis's rule, the operator's choice) exactly one.
race() {
	E=$1
	W=$TRASH/$E
	API_DIR=$W
	DEIS_TEST_PG_URL=$2
	shift 2
	mkdir -p "$W"
	controller_start "$W/r1" "$@" >/dev/null && URL2=$CONTROLLER_URL &&
	controller_start "$W/r2" "$@" >/dev/null && URL3=$CONTROLLER_URL ||
		{ test_expect "$E: two controllers start" false; return; }
	RACE_FIRST=$#
	if [ $RACE_FIRST -eq 0 ]; then
		what="no stranger racing the first registrations becomes an administrator"
	else
		what="--first-user-admin: concurrent first registrations make exactly one admin"
	fi
	test_expect "$E: $what" '
		: >"$W/race"
		i=0
		while [ $i -lt 12 ]; do
			u=$URL2; [ $((i % 2)) -eq 1 ] && u=$URL3
			curl -s -m 30 -o /dev/null -w "%{http_code}\n" -X POST "$u/v1/auth/register/" \
				-d "{\"username\":\"racer$i\",\"password\":\"pw\"}" >>"$W/race" &
			[ $RACE_FIRST -eq 0 ] && [ $i -eq 5 ] && { echo pw-op | "$CTL" create-admin \
				--db "$DEIS_TEST_PG_URL" op op@example.com >"$W/op.out" 2>&1 & }
			i=$((i + 1))
		done
		wait
		cat "$W/race" "$W/op.out" 2>/dev/null
		[ "$(grep -c "^201$" "$W/race")" -eq 12 ] || exit 1
		API_URL=$URL3 n=0 i=0
		while [ $i -lt 12 ]; do
			api_login racer$i pw || exit 1
			[ "$(api_call GET /v1/users/ racer$i)" = "HTTP/1.1 200 OK" ] && n=$((n + 1))
			i=$((i + 1))
		done
		echo "admins among the racers: $n"
		if [ $RACE_FIRST -eq 0 ]; then
			[ $n -eq 0 ] && api_login op pw-op &&
			api_check "200 OK" GET /v1/admin/perms/ op &&
			api_body "[.results[].username] == [\"op\"]"
		else
			[ $n -eq 1 ]
		fi
	'
	kill $(cat "$W/r1/controller.pid") $(cat "$W/r2/controller.pid") 2>/dev/null
}

DEIS_TEST_PG_URL=
suite sqlite
race sqlite "sqlite://$TRASH/race.db"
race sqlite-first "sqlite://$TRASH/race-first.db" --first-user-admin

# The setting as deisctl passes it (config controller firstUserAdmin → environment).
DEIS_TEST_PG_URL= API_DIR=$TRASH
export DEIS_FIRST_USER_ADMIN=true
controller_start "$TRASH/envc" >/dev/null || test_expect "env: controller starts" false
unset DEIS_FIRST_USER_ADMIN
API_URL=$CONTROLLER_URL
test_expect 'DEIS_FIRST_USER_ADMIN=true: the first registrant is an administrator, the next is not' '
	grep -q "no administrator yet: the first user to register becomes one" "$TRASH/envc/controller.log" &&
	api_register first && api_body ".is_superuser == true and .is_staff == true" &&
	api_register second && api_body ".is_superuser == false"
'
test_expect 'DEIS_FIRST_USER_ADMIN other than a boolean is a configuration error (exit 100)' '
	DEIS_FIRST_USER_ADMIN=maybe "$CTL" --db "sqlite://$TRASH/env.db" --scheduler none \
		--listen 127.0.0.1:0 2>"$TRASH/env.err"; [ $? = 100 ] &&
	grep -q "DEIS_FIRST_USER_ADMIN .maybe. is not true or false" "$TRASH/env.err"
'
if [ -x "$TOP/t/helper/pg-start" ] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	TEST_CLEANUP='"$TOP/t/helper/pg-stop" "$TRASH/pg"'
	if PG=$("$TOP/t/helper/pg-start" "$TRASH/pg" 2>"$TRASH/pg-start.err"); then
		DEIS_TEST_PG_URL=$PG
		suite postgres
		if psql -q "$PG" -c "CREATE DATABASE race" >/dev/null &&
		    psql -q "$PG" -c "CREATE DATABASE racefirst" >/dev/null; then
			race postgres "$(echo "$PG" | sed 's|///deis?|///race?|')"
			race postgres-first "$(echo "$PG" | sed 's|///deis?|///racefirst?|')" \
				--first-user-admin
		else
			test_expect "postgres: create a second database" false
		fi
	else
		test_expect "postgres: pg-start" 'cat "$TRASH/pg-start.err"; false'
	fi
fi
test_done
