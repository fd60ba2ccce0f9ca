#!/bin/sh
# The controller's web dashboard in a real headless browser (Debian's chromium, driven by
# playwright-core from the npm registry: t/helper/dashboard-drive.js), against a controller
# with the docker scheduler: the page and its headers (a Content-Security-Policy with no
# inline script and nothing from another origin), then as a user: a wrong password refused,
# log in, the app with a hostile config value shown as text, scale web=2 (two containers
# on the engine), a config value set (a new release), a rollback, log out (the token gone).
# Skipped without chromium or node (scripts/install-deps installs both).
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/controller-start"

sched_prereqs deis-controller
command -v node >/dev/null || test_skip_all "no node (apt-get install nodejs)"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || test_skip_all "no chromium (apt-get install chromium)"
NPM_DIR=$TOP/build/npm	# playwright-core, installed once per tree
PW_VERSION=1.64.1
APP=dash-$$
TEST_CLEANUP='docker ps -aq --filter label=sh.deis.app='$APP' | xargs -r docker rm -f >/dev/null'

test_expect "playwright-core $PW_VERSION is installed (npm registry)" '
	[ -d "$NPM_DIR/node_modules/playwright-core" ] ||
		timeout 300 npm install --silent --no-audit --no-fund --prefix "$NPM_DIR" \
			"playwright-core@$PW_VERSION" >"$TRASH/npm.log" 2>&1 || { cat "$TRASH/npm.log"; exit 1; }
'

sched_controller_start
HOSTILE='<img src=x onerror="document.title=1">'
test_expect 'a user with an app running one web process and a hostile config value' '
	api_register alice >/dev/null && api_login alice >/dev/null &&
	api_check "201 CREATED" POST /v1/apps/ alice "{\"id\":\"$APP\"}" &&
	api_check "201 CREATED" POST /v1/apps/$APP/builds/ alice "{\"image\":\"$IMAGE\",\"procfile\":{\"web\":\"httpd -f -p \$PORT -h /www\"}}" &&
	jq -n --arg v "$HOSTILE" "{values: {HOSTILE: \$v}}" >"$TRASH/cfg.json" &&
	api_check "201 CREATED" POST /v1/apps/$APP/config/ alice "$(cat "$TRASH/cfg.json")"
'

test_expect 'the page: its policy forbids inline scripts and other origins; it loads nothing from elsewhere' '
	curl -sS -m 5 -D "$TRASH/h" -o "$TRASH/index.html" "$API_URL/" &&
	grep -i "^content-security-policy: default-src .none.; script-src .self.;" "$TRASH/h" &&
	! grep -i "^content-security-policy:.*unsafe" "$TRASH/h" &&
	grep -qi "^x-frame-options: DENY" "$TRASH/h" &&
	! grep -Ei "<script>|<script [^>]*>[^<]|[[:space:]]on[a-z]+=|(src|href)=.(https?:)?//" "$TRASH/index.html" &&
	curl -sf -m 5 "$API_URL/dashboard/app.js" | grep -q "sessionStorage" &&
	[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" -X POST "$API_URL/")" = 404 ]
'

test_expect 'in a headless browser: log in, see the app, scale it, set config, roll back, log out' '
	NODE_PATH=$NPM_DIR/node_modules CHROMIUM=$CHROMIUM timeout 240 \
		node "$TOP/t/helper/dashboard-drive.js" "$API_URL/" alice pw-alice $APP >"$TRASH/drive" 2>&1;
	rc=$?; cat "$TRASH/drive"; [ $rc = 0 ] && ! grep -q "^not ok" "$TRASH/drive" &&
	[ "$(grep -c "^ok - " "$TRASH/drive")" = 8 ]
'

test_expect 'what the browser did is what the API says: two web containers, the value rolled back' '
	api_check "200 OK" GET /v1/apps/$APP/containers/ alice &&
	jq -e "[.results[] | select(.type == \"web\")] | length == 2" "$API_DIR/body" &&
	[ "$(docker ps -q --filter label=sh.deis.app=$APP | wc -l)" = 2 ] &&
	api_check "200 OK" GET /v1/apps/$APP/config/ alice &&
	jq -e ".values.FROM_BROWSER == null and .values.HOSTILE == \"$(printf %s "$HOSTILE" | sed "s/\"/\\\\\"/g")\"" "$API_DIR/body"
'

test_done
