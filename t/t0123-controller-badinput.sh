#!/bin/sh
# Controller API robustness: every auth/users/perms/domains/certs/keys endpoint
# gets malformed bodies (wrong JSON types, nulls, NULs, bad UTF-8, deep
# nesting, huge numbers, non-objects, garbage) as an administrator and as a
# plain user. Each must answer 4xx (or 2xx) with a JSON body: never a 5xx,
# never a dropped connection, and the controller stays up. SQLite and
# PostgreSQL.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/controller-start"

CTL=${DEIS_CONTROLLER:-$BIN/deis-controller}
[ -x "$CTL" ] || test_skip_all "no controller binary at $CTL"
command -v jq >/dev/null || test_skip_all "jq is not installed"

# One body per line; "cancel-safe" ones never name the caller implicitly.
BODIES=$TRASH/bodies
{
	echo 'null'
	echo '[]'
	echo '"x"'
	echo '1'
	echo 'true'
	echo '{"username":null,"password":null,"new_password":null,"id":null,"public":null}'
	echo '{"username":{},"password":[],"email":1,"first_name":true,"domain":{},"certificate":[],"key":2}'
	echo '{"username":1e400,"password":-1,"id":123456789012345678901234567890,"public":0.5}'
	echo '{"username":"a\u0000b","password":"p\u0000","domain":"a\u0000.com","id":"k\u0000","public":"ssh-ed25519 \u0000"}'
	echo '{"username":"\ud800","domain":"\udfff.example.com","common_name":"\u00e9.example.com"}'
	echo '{"username":"x","username":"y"}'
	echo '{"all":"yes","username":7}'
	echo '{"domain":"....","certificate":"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n","key":"-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n"}'
	echo '{"id":"x","public":"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAAQ=="}'
	echo '{"id":"x","public":"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP////////////////////////////////////////8="}'
	printf '{"username":%s1%s}\n' "$(printf '[%.0s' $(seq 1 3000))" "$(printf ']%.0s' $(seq 1 3000))"
	printf '{"username":"\377\376","domain":"\300\200.com"}\n'
	echo '{"username":'
	echo '{garbage'
} >"$BODIES"

# fire.py URL METHOD PATH TOKEN BODIES: send each body (one per line, raw
# bytes); fail on a 5xx, a dropped connection or a non-JSON body.
cat >"$TRASH/fire.py" <<'EOF'
import http.client, json, sys, urllib.parse
url, method, path, token, bodies = sys.argv[1:6]
u = urllib.parse.urlsplit(url)
bad = 0
for line in open(bodies, "rb").read().split(b"\n"):
    if not line:
        continue
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
    try:
        c.request(method, path, body=line, headers={
            "Authorization": "token " + token, "Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
    except Exception as e:
        print("%s %s <%r>: %s" % (method, path, line[:80], e))
        bad += 1
        continue
    finally:
        c.close()
    if not (200 <= r.status < 500):
        print("%s %s <%r> -> %d %r" % (method, path, line[:80], r.status, data[:200]))
        bad += 1
    elif data:
        try:
            json.loads(data)
        except ValueError:
            print("%s %s <%r> -> non-JSON %r" % (method, path, line[:80], data[:200]))
            bad += 1
sys.exit(1 if bad else 0)
EOF

suite() {
	E=$1
	W=$TRASH/$E
	API_DIR=$W
	mkdir -p "$W"
	controller_start "$W/c" >/dev/null || { test_expect "$E: controller starts" false; return; }
	API_URL=$CONTROLLER_URL
	api_admin admin || { test_expect "$E: user admin" false; return; }
	for u in alice; do
		api_register $u >/dev/null && api_login $u >/dev/null ||
			{ test_expect "$E: user $u" false; return; }
	done
	api_call POST /v1/apps alice '{"id":"bad-'$E'"}' >/dev/null
	api_call POST /v1/apps/bad-$E/domains/ alice '{"domain":"bad.example.com"}' >/dev/null

	for ep in "POST /v1/auth/register/" "POST /v1/auth/login/" "DELETE /v1/auth/cancel/" \
	    "POST /v1/auth/passwd/" "POST /v1/auth/tokens/" "GET /v1/users/" \
	    "GET /v1/admin/perms/" "POST /v1/admin/perms/" "DELETE /v1/admin/perms/nobody" \
	    "GET /v1/apps/bad-$E/perms/" "POST /v1/apps/bad-$E/perms/" \
	    "DELETE /v1/apps/bad-$E/perms/nobody" "GET /v1/apps/bad-$E/domains/" \
	    "POST /v1/apps/bad-$E/domains/" "DELETE /v1/apps/bad-$E/domains/nope.example.com" \
	    "GET /v1/certs/" "POST /v1/certs/" "GET /v1/certs/nope.example.com" \
	    "DELETE /v1/certs/nope.example.com" "GET /v1/keys/" "POST /v1/keys/" \
	    "GET /v1/keys/nope" "DELETE /v1/keys/nope"; do
		test_expect "$E: $ep survives bad bodies" '
			set -- $ep
			for who in alice admin; do
				api_login $who >/dev/null || exit 1
				python3 "$TRASH/fire.py" "$API_URL" "$1" "$2" "$(cat "$API_DIR/tok.$who")" \
					"$BODIES" || exit 1
			done
		'
	done
	test_expect "$E: still healthy, data intact" '
		curl -sf -m 5 "$API_URL/healthz" >/dev/null &&
		api_login alice >/dev/null && api_login admin >/dev/null &&
		api_check "200 OK" GET /v1/apps/bad-$E/domains/ alice &&
		api_body "[.results[].domain] == [\"bad.example.com\"]" &&
		api_check "200 OK" GET /v1/users/ admin &&
		api_body "[.results[].username] == [\"admin\",\"alice\"]"
	'
}

controller_suites suite
test_done
