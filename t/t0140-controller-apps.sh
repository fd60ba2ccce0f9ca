#!/bin/sh
# Controller API: apps, config (merge, validation, release summaries), builds
# (`deis pull`), releases and rollback, scale validation, ps, the builder hooks
# and the internal endpoints/route watch. API only (--scheduler none): the
# rollouts themselves are covered by the scheduler and end-to-end tests.
# SQLite and PostgreSQL.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/controller-start"

CTL=${DEIS_CONTROLLER:-$BIN/deis-controller}
[ -x "$CTL" ] || test_skip_all "no controller binary at $CTL"
command -v jq >/dev/null || test_skip_all "jq is not installed"

# hook PATH JSON [KEY]: POST a builder hook; status line on stdout.
hook() {
	curl -s -m 10 -o "$API_DIR/body" -D "$API_DIR/head" -X POST \
		-H "X-Deis-Builder-Auth: ${3-$DEIS_BUILDER_KEY}" --data-binary "$2" "$API_URL$1"
	head -n 1 "$API_DIR/head" | tr -d '\r'
}

# legacy_app NAME: an app NAME of alice's, as a controller from before NAME
# was reserved would have made it (a copy of the row of her app shop).
legacy_app() {
	_sql="INSERT INTO apps (uuid, id, owner, structure, created, updated) SELECT
		'00000000-0000-4000-8000-0000000000a1', '$1', owner, structure, created, updated
		FROM apps WHERE id = 'shop'"
	case $CONTROLLER_DB in
	sqlite://*) sqlite3 "${CONTROLLER_DB#sqlite://}" "$_sql" ;;
	*) psql -q "$CONTROLLER_DB" -c "$_sql" ;;
	esac
}

suite() {
	E=$1
	W=$TRASH/$E
	API_DIR=$W
	mkdir -p "$W"
	controller_start "$W/c" --domain example.test >/dev/null ||
		{ test_expect "$E: controller starts" false; return; }
	API_URL=$CONTROLLER_URL
	api_admin admin || { test_expect "$E: user admin" false; return; }
	for u in alice bob; do
		api_register $u >/dev/null && api_login $u >/dev/null ||
			{ test_expect "$E: user $u" false; return; }
	done

	test_expect "$E: every response carries the Deis version headers" '
		api_check "401 UNAUTHORIZED" GET /v1/ - &&
		grep -q "^DEIS_API_VERSION: 1.7" "$API_DIR/head" &&
		grep -q "^DEIS_PLATFORM_VERSION: 1.13.4" "$API_DIR/head"
	'
	[ "$E" = sqlite ] && test_expect "$E: a token's last use is recorded; another process reading the database loses nothing" '
		api_check "200 OK" GET /v1/apps/ alice &&
		[ "$(sqlite3 "$W/c/controller.db" "SELECT COUNT(*) FROM tokens t WHERE t.username = '"'alice'"' AND last_used IS NOT NULL")" -ge 1 ]
	'
	test_expect "$E: registering with a stale token in the client is anonymous, not a 401" '
		api_check "201 CREATED" POST /v1/auth/register/ "=0000000000000000000000000000000000000000" \
			"{\"username\":\"stale\",\"password\":\"pw\",\"email\":\"s@example.com\"}" &&
		api_body ".username == \"stale\" and .is_superuser == false"
	'
	test_expect "$E: create an app with and without a name" '
		api_check "201 CREATED" POST /v1/apps/ alice "{\"id\":\"shop\"}" &&
		api_body ".id == \"shop\" and .owner == \"alice\" and .url == \"shop.example.test\" and .structure == {}" &&
		api_body ".created | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}UTC$\")" &&
		api_check "201 CREATED" POST /v1/apps/ alice "{}" &&
		api_body ".id | test(\"^[a-z]+-[a-z]+$\")"
	'
	test_expect "$E: bad app names and duplicates are refused" '
		api_check "400 BAD REQUEST" POST /v1/apps/ alice "{\"id\":\"Bad_Name\"}" &&
		api_body ".id[0] == \"App IDs can only contain [a-z0-9-]\"" &&
		api_check "400 BAD REQUEST" POST /v1/apps/ bob "{\"id\":\"shop\"}" &&
		api_body ".id[0] == \"This field must be unique.\"" &&
		api_check "400 BAD REQUEST" POST /v1/apps/ alice "{\"id\":5}" &&
		api_check "400 BAD REQUEST" POST /v1/apps/ alice "{\"id\":\"deis\"}" &&
		api_check "400 BAD REQUEST" POST /v1/apps/ alice "[1,2]" &&
		api_check "400 BAD REQUEST" POST /v1/apps/ alice "{\"id\":" &&
		api_check "400 BAD REQUEST" POST /v1/apps/ alice "{\"id\":\"a\",\"id\":\"b\"}"
	'
	test_expect "$E: deis, deis-* and the components names are reserved, for admins too" '
		for n in deis deis-x deis-controller store logger logspout database registry \
		    controller builder publisher router; do
			api_check "400 BAD REQUEST" POST /v1/apps/ alice "{\"id\":\"$n\"}" &&
			api_body ".id == [\"$n is a reserved name.\"]" || exit 1
		done &&
		api_check "400 BAD REQUEST" POST /v1/apps/ admin "{\"id\":\"router\"}" &&
		api_body ".id == [\"router is a reserved name.\"]" &&
		api_check "404 NOT FOUND" GET /v1/apps/router/ admin
	'
	test_expect "$E: an app made before its name was reserved still works" '
		legacy_app router &&
		api_check "200 OK" GET /v1/apps/router/ alice &&
		api_body ".id == \"router\" and .owner == \"alice\" and .url == \"router.example.test\"" &&
		api_check "200 OK" GET /v1/apps/ alice && api_body "[.results[].id] | index(\"router\") != null" &&
		api_check "404 NOT FOUND" GET /v1/apps/router/ bob &&
		[ "$(hook /v1/hooks/push "{\"receive_user\":\"alice\",\"receive_repo\":\"router.git\",\"sha\":\"abc\"}")" = "HTTP/1.1 201 CREATED" ] &&
		api_check "204 NO CONTENT" DELETE /v1/apps/router/ alice &&
		api_check "404 NOT FOUND" GET /v1/apps/router/ alice
	'
	test_expect "$E: list shows own apps; admin sees all; strangers get 404" '
		api_check "200 OK" GET /v1/apps/ alice && api_body ".count == 2" &&
		api_check "200 OK" GET /v1/apps/ bob && api_body ".count == 0 and .results == []" &&
		api_check "200 OK" GET /v1/apps/ admin && api_body ".count == 2" &&
		api_check "404 NOT FOUND" GET /v1/apps/shop/ bob &&
		api_check "404 NOT FOUND" GET /v1/apps/shop/config/ bob &&
		api_check "404 NOT FOUND" GET /v1/apps/nothing/ alice &&
		api_check "401 UNAUTHORIZED" GET /v1/apps/shop/ -
	'
	test_expect "$E: wrong methods get 405 with the Deis detail" '
		api_check "405 METHOD NOT ALLOWED" PUT /v1/apps/shop/config/ alice "{}" &&
		api_body ".detail == \"Method \\\"PUT\\\" not allowed.\""
	'
	test_expect "$E: the initial release" '
		api_check "200 OK" GET /v1/apps/shop/releases/ alice &&
		api_body ".count == 1 and .results[0].version == 1 and .results[0].summary == \"alice created initial release\" and .results[0].build == null"
	'
	test_expect "$E: config:set merges, coerces to strings and makes a release" '
		api_check "201 CREATED" POST /v1/apps/shop/config/ alice "{\"values\":{\"FOO\":\"bar baz\",\"N\":3}}" &&
		api_body ".values == {\"FOO\":\"bar baz\",\"N\":\"3\"}" &&
		grep -q "^Deis-Release: 2" "$API_DIR/head" &&
		api_check "201 CREATED" POST /v1/apps/shop/config/ alice "{\"values\":{\"FOO\":null,\"Q\":\"it'"'"'s \\\"quoted\\\" \`x\` \$HOME\\nline\"}}" &&
		api_check "200 OK" GET /v1/apps/shop/config/ alice &&
		api_body ".values.N == \"3\" and (.values | has(\"FOO\") | not) and (.values.Q | test(\"quoted\"))" &&
		api_check "200 OK" GET /v1/apps/shop/releases/v3/ alice &&
		api_body ".summary == \"alice added Q and deleted FOO\"" &&
		api_check "200 OK" GET /v1/apps/shop/releases/v2/ alice &&
		api_body ".summary == \"alice added FOO, N\""
	'
	test_expect "$E: config validation: keys, limits, cpu, tags" '
		api_check "400 BAD REQUEST" POST /v1/apps/shop/config/ alice "{\"values\":{\"1BAD\":\"x\"}}" &&
		api_body ".values[0] | test(\"Config keys must start\")" &&
		api_check "400 BAD REQUEST" POST /v1/apps/shop/config/ alice "{\"memory\":{\"web\":\"lots\"}}" &&
		api_body ".memory[0] == \"Limit format: <number><unit>, where unit = B, K, M or G\"" &&
		api_check "400 BAD REQUEST" POST /v1/apps/shop/config/ alice "{\"cpu\":{\"web\":2000}}" &&
		api_body ".cpu[0] == \"CPU shares must be between 0 and 1024\"" &&
		api_check "400 BAD REQUEST" POST /v1/apps/shop/config/ alice "{\"values\":\"x\"}" &&
		api_check "200 OK" GET /v1/apps/shop/releases/ alice && api_body ".count == 3"
	'
	test_expect "$E: limits and tags" '
		api_check "201 CREATED" POST /v1/apps/shop/config/ alice "{\"memory\":{\"web\":\"512M\"},\"cpu\":{\"web\":512}}" &&
		api_body ".memory == {\"web\":\"512M\"} and .cpu == {\"web\":512}" &&
		api_check "201 CREATED" POST /v1/apps/shop/config/ alice "{\"tags\":{\"env\":\"prod\"}}" &&
		api_body ".tags == {\"env\":\"prod\"}" &&
		api_check "200 OK" GET /v1/apps/shop/releases/v4/ alice &&
		api_body ".summary == \"alice changed limits for memory, cpu\""
	'
	test_expect "$E: scale needs a build" '
		api_check "400 BAD REQUEST" POST /v1/apps/shop/scale/ alice "{\"web\":2}" &&
		api_body ".detail == \"No build associated with this release\""
	'
	test_expect "$E: deis pull makes a build and a release" '
		api_check "201 CREATED" POST /v1/apps/shop/builds/ alice "{\"image\":\"example/web:1\",\"procfile\":{\"web\":\"httpd -f\",\"worker\":\"sleep 1000\"}}" &&
		api_body ".image == \"example/web:1\" and .procfile.web == \"httpd -f\"" &&
		grep -q "^Deis-Release: 6" "$API_DIR/head" &&
		api_check "200 OK" GET /v1/apps/shop/builds/ alice && api_body ".count == 1" &&
		api_check "200 OK" GET /v1/apps/shop/releases/v6/ alice &&
		api_body ".summary == \"alice deployed example/web:1\" and .build != null" &&
		api_check "403 FORBIDDEN" POST /v1/apps/shop/builds/ alice "{\"image\":\"deis/controller\"}" &&
		api_check "403 FORBIDDEN" POST /v1/apps/shop/builds/ alice "{\"image\":\"127.0.0.1:5000/deis/router:v1.13.4\"}" &&
		api_check "400 BAD REQUEST" POST /v1/apps/shop/builds/ alice "{\"image\":\"x; rm -rf /\"}"
	'
	test_expect "$E: config after a build shows DEIS_APP and DEIS_RELEASE in the 201 only" '
		api_check "201 CREATED" POST /v1/apps/shop/config/ alice "{\"values\":{\"B\":\"1\"}}" &&
		api_body ".values.DEIS_APP == \"shop\" and .values.DEIS_RELEASE == \"v7\"" &&
		api_check "200 OK" GET /v1/apps/shop/config/ alice &&
		api_body "(.values | has(\"DEIS_APP\")) | not"
	'
	test_expect "$E: scale validation" '
		api_check "400 BAD REQUEST" POST /v1/apps/shop/scale/ alice "{\"nope\":1}" &&
		api_body ".detail == \"Container type nope does not exist in application\"" &&
		api_check "400 BAD REQUEST" POST /v1/apps/shop/scale/ alice "{\"web\":-1}" &&
		api_check "400 BAD REQUEST" POST /v1/apps/shop/scale/ alice "{\"web\":\"x\"}" &&
		api_check "204 NO CONTENT" POST /v1/apps/shop/scale/ alice "{\"web\":2,\"worker\":1}" &&
		api_check "200 OK" GET /v1/apps/shop/ alice && api_body ".structure == {\"web\":2,\"worker\":1}"
	'
	test_expect "$E: rollback makes a new release with the old build and config" '
		api_check "201 CREATED" POST /v1/apps/shop/releases/rollback/ alice "{\"version\":6}" &&
		api_body ". == {\"version\":8}" &&
		api_check "200 OK" GET /v1/apps/shop/releases/v8/ alice &&
		api_body ".summary == \"alice rolled back to v6\"" &&
		api_check "200 OK" GET /v1/apps/shop/config/ alice && api_body "(.values | has(\"B\")) | not" &&
		api_check "201 CREATED" POST /v1/apps/shop/releases/rollback/ alice "{}" &&
		api_body ". == {\"version\":9}" &&
		api_check "400 BAD REQUEST" POST /v1/apps/shop/releases/rollback/ alice "{\"version\":1}" &&
		api_check "404 NOT FOUND" POST /v1/apps/shop/releases/rollback/ alice "{\"version\":99}" &&
		api_check "400 BAD REQUEST" POST /v1/apps/shop/releases/rollback/ alice "{\"version\":-3}"
	'
	test_expect "$E: pagination" '
		api_check "200 OK" GET "/v1/apps/shop/releases/?page_size=4" alice &&
		api_body ".count == 9 and (.results | length) == 4 and .results[0].version == 9 and (.next | test(\"page=2\")) and .previous == null" &&
		api_check "200 OK" GET "/v1/apps/shop/releases/?page_size=4&page=3" alice &&
		api_body "(.results | length) == 1 and .next == null" &&
		api_check "404 NOT FOUND" GET "/v1/apps/shop/releases/?page=9" alice
	'
	test_expect "$E: ps lists nothing without a scheduler" '
		api_check "200 OK" GET /v1/apps/shop/containers/ alice && api_body ".count == 0"
	'
	test_expect "$E: builder hooks need the builder key" '
		[ "$(hook /v1/hooks/push "{}" wrong)" = "HTTP/1.1 403 FORBIDDEN" ] &&
		[ "$(hook /v1/hooks/config "{}" "")" = "HTTP/1.1 403 FORBIDDEN" ]
	'
	test_expect "$E: push hook: owner allowed, stranger 404, unknown user 404" '
		[ "$(hook /v1/hooks/push "{\"receive_user\":\"alice\",\"receive_repo\":\"shop.git\",\"sha\":\"abc\"}")" = "HTTP/1.1 201 CREATED" ] &&
		api_body ".receive_repo == \"shop\"" &&
		[ "$(hook /v1/hooks/push "{\"receive_user\":\"bob\",\"receive_repo\":\"shop\",\"sha\":\"abc\"}")" = "HTTP/1.1 404 NOT FOUND" ] &&
		[ "$(hook /v1/hooks/push "{\"receive_user\":\"nobody\",\"receive_repo\":\"shop\",\"sha\":\"abc\"}")" = "HTTP/1.1 404 NOT FOUND" ] &&
		[ "$(hook /v1/hooks/push "{\"receive_user\":\"alice\",\"receive_repo\":\"../etc\",\"sha\":\"abc\"}")" = "HTTP/1.1 404 NOT FOUND" ]
	'
	test_expect "$E: config hook returns the latest config" '
		[ "$(hook /v1/hooks/config "{\"receive_user\":\"alice\",\"receive_repo\":\"shop\"}")" = "HTTP/1.1 200 OK" ] &&
		api_body ".values.N == \"3\""
	'
	test_expect "$E: build hook creates build and release and answers the Deis shape" '
		[ "$(hook /v1/hooks/build "{\"receive_user\":\"alice\",\"receive_repo\":\"shop\",\"image\":\"127.0.0.1:5000/shop:git-1a2b3c4d\",\"sha\":\"1a2b3c4d5e6f\",\"procfile\":{\"web\":\"python3 app.py\"},\"dockerfile\":\"\"}")" = "HTTP/1.1 200 OK" ] &&
		api_body "del(.timings) == {\"release\":{\"version\":10},\"domains\":[\"shop.example.test\"]} and (.timings.release | type) == \"number\"" &&
		api_check "200 OK" GET /v1/apps/shop/releases/v10/ alice &&
		api_body ".summary == \"alice deployed 1a2b3c4\""
	'
	test_expect "$E: key hook maps a registered key to its user" '
		ssh-keygen -q -t ed25519 -N "" -C "alice@laptop" -f "$W/k" &&
		api_check "201 CREATED" POST /v1/keys/ alice "{\"id\":\"alice@laptop\",\"public\":\"$(cat "$W/k.pub")\"}" &&
		set -- $(cat "$W/k.pub") &&
		[ "$(hook /v1/hooks/key "{\"type\":\"$1\",\"key\":\"$2\"}")" = "HTTP/1.1 200 OK" ] &&
		api_body ".username == \"alice\" and .id == \"alice@laptop\"" &&
		ssh-keygen -q -t ed25519 -N "" -f "$W/k2" && set -- $(cat "$W/k2.pub") &&
		[ "$(hook /v1/hooks/key "{\"type\":\"$1\",\"key\":\"$2\"}")" = "HTTP/1.1 404 NOT FOUND" ]
	'
	test_expect "$E: internal endpoints need the internal token" '
		code=$(curl -s -o /dev/null -w "%{http_code}" -X PUT -d "{\"endpoints\":[]}" "$API_URL/v1/internal/endpoints/h1") &&
		[ "$code" = 403 ]
	'
	# Without a scheduler nothing is the platform's: reported endpoints are not routed
	# (what the scheduler made is: t0600, and t/unit/test-sched-docker-events.c).
	test_expect "$E: route watch sends the table, then a new one on every change" '
		curl -sN -m 4 -H "X-Deis-Internal-Auth: $DEIS_INTERNAL_TOKEN" "$API_URL/v1/internal/routes" >"$W/watch" &
		wp=$!
		sleep 0.5
		curl -sf -X PUT -H "X-Deis-Internal-Auth: $DEIS_INTERNAL_TOKEN" \
			-d "{\"endpoints\":[{\"container\":\"c1\",\"name\":\"shop_v10.web.1\",\"app\":\"shop\",\"release\":10,\"type\":\"web\",\"num\":1,\"addr\":\"10.0.0.5:5000\"},{\"container\":\"c2\",\"name\":\"shop_v10.worker.1\",\"app\":\"shop\",\"release\":10,\"type\":\"worker\",\"num\":1,\"addr\":\"10.0.0.6:5000\"}]}" \
			"$API_URL/v1/internal/endpoints/h1" &&
		api_check "201 CREATED" POST /v1/apps/shop/domains/ alice "{\"domain\":\"www.shop.test\"}" &&
		wait $wp
		[ "$(grep -c "^{" "$W/watch")" -ge 2 ] &&
		tail -n 1 "$W/watch" >"$W/last" &&
		jq -e ".domain == \"example.test\" and .apps.shop.endpoints == [] and .apps.shop.domains == [\"www.shop.test\"]" "$W/last" &&
		grep -q "endpoint of container c1 not routed: the scheduler did not make it for .shop. v10 web.1" "$W/c/controller.log"
	'
	test_expect "$E: collaborators cannot destroy; the owner can, and the app is gone" '
		api_check "201 CREATED" POST /v1/apps/shop/perms/ alice "{\"username\":\"bob\"}" &&
		api_check "200 OK" GET /v1/apps/shop/config/ bob &&
		api_check "403 FORBIDDEN" DELETE /v1/apps/shop/ bob &&
		api_check "204 NO CONTENT" DELETE /v1/apps/shop/ alice &&
		api_check "404 NOT FOUND" GET /v1/apps/shop/ alice &&
		api_check "404 NOT FOUND" GET /v1/apps/shop/releases/ alice
	'
	test_expect "$E: a config change is acknowledged, then the controller stops cleanly" '
		api_check "201 CREATED" POST /v1/apps/ alice "{\"id\":\"keep\"}" &&
		api_check "201 CREATED" POST /v1/apps/keep/config/ alice "{\"values\":{\"K\":\"v\"}}" &&
		kill $CONTROLLER_PID && wait_for 5 "! kill -0 $CONTROLLER_PID" &&
		grep -q "info: stopping" "$W/c/controller.log"
	'
	# Restarted outside test_expect (a subshell), so the cleanup knows the new pid.
	controller_start "$W/c" --domain example.test >/dev/null && API_URL=$CONTROLLER_URL
	test_expect "$E: what was acknowledged survives the restart" '
		api_check "200 OK" GET /v1/apps/keep/config/ alice && api_body ".values.K == \"v\""
	'
}

controller_suites suite
test_done
