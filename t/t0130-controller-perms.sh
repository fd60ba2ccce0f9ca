#!/bin/sh
# Controller API: app collaborators (/v1/apps/<id>/perms) and the
# authorization matrix of security.md §3.7 for them: owner, collaborator,
# stranger (404, not 403), admin, anonymous and revoked tokens; a removed
# collaborator is refused on the very next call. SQLite and PostgreSQL.
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
	controller_start "$W/c" >/dev/null || { test_expect "$E: controller starts" false; return; }
	API_URL=$CONTROLLER_URL
	api_admin admin || { test_expect "$E: user admin" false; return; }
	for u in alice bob carol dave; do
		api_register $u >/dev/null && api_login $u >/dev/null ||
			{ test_expect "$E: user $u" false; return; }
	done
	A=app-a-$E B=app-b-$E
	test_expect "$E: apps for the matrix" '
		api_check "201 CREATED" POST /v1/apps alice "{\"id\":\"$A\"}" &&
		api_check "201 CREATED" POST /v1/apps carol "{\"id\":\"$B\"}"
	'
	test_expect "$E: a new app has no collaborators" '
		api_check "200 OK" GET /v1/apps/$A/perms/ alice &&
		api_body ". == {\"users\":[]}"
	'
	test_expect "$E: anonymous and bad tokens get 401" '
		api_check "401 UNAUTHORIZED" GET /v1/apps/$A/perms/ - &&
		api_check "401 UNAUTHORIZED" POST /v1/apps/$A/perms/ - "{\"username\":\"bob\"}" &&
		api_check "401 UNAUTHORIZED" DELETE /v1/apps/$A/perms/bob - &&
		api_check "401 UNAUTHORIZED" POST /v1/apps/$A/perms/ "=0000000000000000000000000000000000000000" "{\"username\":\"bob\"}"
	'
	test_expect "$E: strangers get 404 for the app, whatever they try" '
		api_check "404 NOT FOUND" GET /v1/apps/$A/perms/ carol &&
		api_body ".detail == \"Not found\"" &&
		api_check "404 NOT FOUND" POST /v1/apps/$A/perms/ carol "{\"username\":\"carol\"}" &&
		api_check "404 NOT FOUND" DELETE /v1/apps/$A/perms/carol carol &&
		api_check "404 NOT FOUND" GET /v1/apps/$A carol &&
		api_check "404 NOT FOUND" GET /v1/apps/no-such-app/perms/ alice
	'
	test_expect "$E: the owner adds a collaborator" '
		api_check "201 CREATED" POST /v1/apps/$A/perms/ alice "{\"username\":\"bob\"}" &&
		[ ! -s "$API_DIR/body" ] &&
		api_check "200 OK" GET /v1/apps/$A/perms/ alice &&
		api_body ". == {\"users\":[\"bob\"]}" &&
		api_check "201 CREATED" POST /v1/apps/$A/perms/ alice "{\"username\":\"bob\"}" &&
		api_check "200 OK" GET /v1/apps/$A/perms/ alice &&
		api_body ".users == [\"bob\"]"
	'
	test_expect "$E: the collaborator uses the app and lists its users" '
		api_check "200 OK" GET /v1/apps/$A bob &&
		api_check "200 OK" GET /v1/apps/$A/perms/ bob &&
		api_body ".users == [\"bob\"]" &&
		api_check "200 OK" GET /v1/apps bob &&
		api_body "[.results[].id] == [\"$A\"]"
	'
	test_expect "$E: a collaborator may not manage collaborators" '
		api_check "403 FORBIDDEN" POST /v1/apps/$A/perms/ bob "{\"username\":\"dave\"}" &&
		api_body ".detail == \"You do not have permission to perform this action.\"" &&
		api_check "200 OK" GET /v1/apps/$A/perms/ alice && api_body ".users == [\"bob\"]"
	'
	test_expect "$E: a collaborator may not delete or transfer the app" '
		api_check "403 FORBIDDEN" DELETE /v1/apps/$A bob &&
		api_check "403 FORBIDDEN" POST /v1/apps/$A bob "{\"owner\":\"bob\"}" &&
		api_check "200 OK" GET /v1/apps/$A alice && api_body ".owner == \"alice\""
	'
	test_expect "$E: an admin manages any app's collaborators" '
		api_check "200 OK" GET /v1/apps/$B/perms/ admin &&
		api_check "201 CREATED" POST /v1/apps/$A/perms/ admin "{\"username\":\"dave\"}" &&
		api_check "200 OK" GET /v1/apps/$A/perms/ alice &&
		api_body ".users == [\"bob\",\"dave\"]"
	'
	test_expect "$E: bad requests" '
		api_check "404 NOT FOUND" POST /v1/apps/$A/perms/ alice "{\"username\":\"nobody\"}" &&
		api_check "400 BAD REQUEST" POST /v1/apps/$A/perms/ alice "{}" &&
		api_body ".username == [\"This field is required.\"]" &&
		api_check "400 BAD REQUEST" POST /v1/apps/$A/perms/ alice "{\"username\":[\"bob\"]}" &&
		api_check "400 BAD REQUEST" POST /v1/apps/$A/perms/ alice "{\"username\":\"alice\"}" &&
		api_check "400 BAD REQUEST" POST /v1/apps/$A/perms/ alice "not json" &&
		api_check "405 METHOD NOT ALLOWED" PUT /v1/apps/$A/perms/ alice "{}"
	'
	test_expect "$E: a collaborator may not remove another one" '
		api_check "403 FORBIDDEN" DELETE /v1/apps/$A/perms/dave bob &&
		api_check "200 OK" GET /v1/apps/$A/perms/ alice &&
		api_body ".users == [\"bob\",\"dave\"]"
	'
	test_expect "$E: the owner removes a collaborator: refused at once" '
		api_check "204 NO CONTENT" DELETE /v1/apps/$A/perms/dave alice &&
		api_check "404 NOT FOUND" GET /v1/apps/$A dave &&
		api_check "404 NOT FOUND" GET /v1/apps/$A/perms/ dave &&
		api_check "404 NOT FOUND" DELETE /v1/apps/$A/perms/dave alice &&
		api_check "404 NOT FOUND" DELETE /v1/apps/$A/perms/nobody alice
	'
	test_expect "$E: a collaborator may leave" '
		api_check "204 NO CONTENT" DELETE /v1/apps/$A/perms/bob bob &&
		api_check "404 NOT FOUND" GET /v1/apps/$A bob &&
		api_check "200 OK" GET /v1/apps/$A/perms/ alice && api_body ".users == []"
	'
	test_expect "$E: a revoked token loses access at once" '
		api_check "201 CREATED" POST /v1/apps/$A/perms/ alice "{\"username\":\"bob\"}" &&
		cp "$API_DIR/tok.bob" "$API_DIR/tok.bobold" &&
		api_check "200 OK" POST /v1/auth/tokens/ bob "{}" &&
		jq -r .token "$API_DIR/body" >"$API_DIR/tok.bob" &&
		api_check "401 UNAUTHORIZED" GET /v1/apps/$A/perms/ bobold &&
		api_check "200 OK" GET /v1/apps/$A/perms/ bob
	'
	test_expect "$E: a cancelled collaborator leaves the list" '
		api_check "201 CREATED" POST /v1/apps/$A/perms/ alice "{\"username\":\"dave\"}" &&
		api_check "204 NO CONTENT" DELETE /v1/auth/cancel/ dave &&
		api_check "200 OK" GET /v1/apps/$A/perms/ alice && api_body ".users == [\"bob\"]"
	'
	test_expect "$E: an admin removes a collaborator" '
		api_check "204 NO CONTENT" DELETE /v1/apps/$A/perms/bob admin &&
		api_check "404 NOT FOUND" GET /v1/apps/$A bob
	'
}

controller_suites suite
test_done
