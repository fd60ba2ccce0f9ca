#!/bin/sh
# Controller API: custom domains (/v1/apps/<id>/domains): Deis validation
# messages, one app per domain, platform names reserved, collaborators add
# but do not remove, strangers get 404; SQLite and PostgreSQL.
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
	controller_start "$W/c" --domain deis.test >/dev/null ||
		{ test_expect "$E: controller starts" false; return; }
	API_URL=$CONTROLLER_URL
	api_admin admin || { test_expect "$E: user admin" false; return; }
	for u in alice bob carol; do
		api_register $u >/dev/null && api_login $u >/dev/null ||
			{ test_expect "$E: user $u" false; return; }
	done
	A=dom-a-$E B=dom-b-$E
	test_expect "$E: apps, with bob collaborating on A" '
		api_check "201 CREATED" POST /v1/apps alice "{\"id\":\"$A\"}" &&
		api_check "201 CREATED" POST /v1/apps carol "{\"id\":\"$B\"}" &&
		api_check "201 CREATED" POST /v1/apps/$A/perms/ alice "{\"username\":\"bob\"}"
	'
	test_expect "$E: no domains at first" '
		api_check "200 OK" GET /v1/apps/$A/domains/ alice &&
		api_body ". == {\"count\":0,\"next\":null,\"previous\":null,\"results\":[]}"
	'
	test_expect "$E: the owner adds a domain (lower case, one trailing dot stripped)" '
		api_check "201 CREATED" POST /v1/apps/$A/domains/ alice "{\"domain\":\"WWW.Example.COM.\"}" &&
		api_body ".domain == \"www.example.com\" and .app == \"$A\" and .owner == \"alice\" and
		      (.created | test(\"UTC$\")) and (.updated | test(\"UTC$\"))"
	'
	test_expect "$E: a collaborator adds a domain too" '
		api_check "201 CREATED" POST /v1/apps/$A/domains/ bob "{\"domain\":\"api.example.com\"}" &&
		api_body ".owner == \"bob\"" &&
		api_check "200 OK" GET /v1/apps/$A/domains/ bob &&
		api_body ".count == 2 and [.results[].domain] == [\"api.example.com\",\"www.example.com\"]"
	'
	test_expect "$E: strangers and anonymous" '
		api_check "404 NOT FOUND" GET /v1/apps/$A/domains/ carol &&
		api_check "404 NOT FOUND" POST /v1/apps/$A/domains/ carol "{\"domain\":\"x.example.com\"}" &&
		api_check "404 NOT FOUND" DELETE /v1/apps/$A/domains/www.example.com carol &&
		api_check "401 UNAUTHORIZED" GET /v1/apps/$A/domains/ - &&
		api_check "401 UNAUTHORIZED" POST /v1/apps/$A/domains/ - "{\"domain\":\"x.example.com\"}" &&
		api_check "200 OK" GET /v1/apps/$A/domains/ alice && api_body ".count == 2"
	'
	test_expect "$E: a domain belongs to one app" '
		api_check "400 BAD REQUEST" POST /v1/apps/$B/domains/ carol "{\"domain\":\"www.example.com\"}" &&
		api_body ".domain == [\"The domain www.example.com is already in use by another app\"]" &&
		api_check "400 BAD REQUEST" POST /v1/apps/$A/domains/ alice "{\"domain\":\"www.example.com\"}"
	'
	test_expect "$E: Deis domain rules" '
		api_check "400 BAD REQUEST" POST /v1/apps/$A/domains/ alice "{\"domain\":\"*.example.com\"}" &&
		api_body ".domain == [\"Adding a wildcard subdomain is currently not supported.\"]" &&
		api_check "400 BAD REQUEST" POST /v1/apps/$A/domains/ alice "{\"domain\":\"-bad.example.com\"}" &&
		api_body ".domain == [\"Hostname does not look valid.\"]" &&
		api_check "400 BAD REQUEST" POST /v1/apps/$A/domains/ alice "{\"domain\":\"a--b.example.com\"}" &&
		api_check "400 BAD REQUEST" POST /v1/apps/$A/domains/ alice "{\"domain\":\"123.example.com\"}" &&
		api_check "400 BAD REQUEST" POST /v1/apps/$A/domains/ alice "{\"domain\":\"host1\"}" &&
		api_check "400 BAD REQUEST" POST /v1/apps/$A/domains/ alice "{\"domain\":\"a b.example.com\"}" &&
		api_check "400 BAD REQUEST" POST /v1/apps/$A/domains/ alice \
			"{\"domain\":\"$(printf "a%.0s." $(seq 1 130))com\"}" &&
		api_body ".domain == [\"Hostname must be 255 characters or less.\"]" &&
		api_check "201 CREATED" POST /v1/apps/$A/domains/ alice "{\"domain\":\"localhost\"}"
	'
	test_expect "$E: bad bodies" '
		api_check "400 BAD REQUEST" POST /v1/apps/$A/domains/ alice "{}" &&
		api_body ".domain == [\"This field is required.\"]" &&
		api_check "400 BAD REQUEST" POST /v1/apps/$A/domains/ alice "{\"domain\":7}" &&
		api_check "400 BAD REQUEST" POST /v1/apps/$A/domains/ alice "{\"domain\":\"\"}" &&
		api_check "400 BAD REQUEST" POST /v1/apps/$A/domains/ alice "{\"domain\":\"a\\u0000.com\"}" &&
		api_check "400 BAD REQUEST" POST /v1/apps/$A/domains/ alice "\"www.example.com\""
	'
	test_expect "$E: the platform's own names and other apps' hosts are refused" '
		api_check "400 BAD REQUEST" POST /v1/apps/$A/domains/ alice "{\"domain\":\"$B.deis.test\"}" &&
		api_body ".domain == [\"The domain $B.deis.test is the host of the app $B\"]" &&
		api_check "400 BAD REQUEST" POST /v1/apps/$A/domains/ alice "{\"domain\":\"deis.test\"}" &&
		api_check "400 BAD REQUEST" POST /v1/apps/$A/domains/ alice "{\"domain\":\"deis.deis.test\"}" &&
		api_check "400 BAD REQUEST" POST /v1/apps/$A/domains/ alice "{\"domain\":\"router.deis.test\"}" &&
		api_check "400 BAD REQUEST" POST /v1/apps/$A/domains/ alice "{\"domain\":\"a.b.deis.test\"}" &&
		api_body ".domain == [\"The domain a.b.deis.test is reserved by the platform\"]" &&
		api_check "201 CREATED" POST /v1/apps/$A/domains/ alice "{\"domain\":\"notdeis.test\"}"
	'
	test_expect "$E: a free name under the platform domain is accepted, as Deis did, and holds it" '
		api_check "201 CREATED" POST /v1/apps/$A/domains/ alice "{\"domain\":\"shop-$E.deis.test\"}" &&
		api_check "400 BAD REQUEST" POST /v1/apps carol "{\"id\":\"shop-$E\"}" &&
		api_body ".id == [\"This name is held by the custom domain of another app.\"]" &&
		api_check "404 NOT FOUND" GET /v1/apps/shop-$E/ carol &&
		api_check "204 NO CONTENT" DELETE /v1/apps/$A/domains/shop-$E.deis.test alice &&
		api_check "201 CREATED" POST /v1/apps carol "{\"id\":\"shop-$E\"}"
	'
	test_expect "$E: a collaborator may not remove a domain" '
		api_check "403 FORBIDDEN" DELETE /v1/apps/$A/domains/api.example.com bob &&
		api_check "200 OK" GET /v1/apps/$A/domains/ alice &&
		api_body "[.results[].domain] | index(\"api.example.com\") != null"
	'
	test_expect "$E: the owner removes one (any case, trailing dot)" '
		api_check "204 NO CONTENT" DELETE /v1/apps/$A/domains/API.example.com. alice &&
		api_check "404 NOT FOUND" DELETE /v1/apps/$A/domains/api.example.com alice &&
		api_check "404 NOT FOUND" DELETE /v1/apps/$B/domains/www.example.com carol &&
		api_check "200 OK" GET /v1/apps/$A/domains/ alice &&
		api_body "[.results[].domain] == [\"localhost\",\"notdeis.test\",\"www.example.com\"]"
	'
	test_expect "$E: an admin removes any app's domain" '
		api_check "204 NO CONTENT" DELETE /v1/apps/$A/domains/localhost admin &&
		api_check "200 OK" GET /v1/apps/$A/domains/ admin && api_body ".count == 2"
	'
	test_expect "$E: destroying the app frees its domains" '
		api_check "204 NO CONTENT" DELETE /v1/apps/$A alice &&
		api_check "201 CREATED" POST /v1/apps/$B/domains/ carol "{\"domain\":\"www.example.com\"}"
	'
}

controller_suites suite
test_done
