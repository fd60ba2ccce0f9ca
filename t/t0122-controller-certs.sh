#!/bin/sh
# Controller API: TLS certificates (/v1/certs): PEM parsing, common name from
# the subject or checked against the certificate, key/cert match, wildcards
# and platform names refused, expires from notAfter, per-owner visibility;
# on SQLite and PostgreSQL.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/controller-start"

CTL=${DEIS_CONTROLLER:-$BIN/deis-controller}
[ -x "$CTL" ] || test_skip_all "no controller binary at $CTL"
command -v jq >/dev/null || test_skip_all "jq is not installed"
command -v openssl >/dev/null || test_skip_all "openssl is not installed"

C=$TRASH/certs
mkdir -p "$C"
# mkcert NAME SUBJ [openssl req args...]: self-signed NAME.crt / NAME.key.
mkcert() {
	_n=$1 _s=$2
	shift 2
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "$_s" \
		-keyout "$C/$_n.key" -out "$C/$_n.crt" "$@" 2>/dev/null
}
mkcert www "/CN=www.example.com" || exit 1
mkcert san "/CN=example.org" -addext "subjectAltName=DNS:example.org,DNS:api.example.org" || exit 1
mkcert nocn "/O=No Name" -addext "subjectAltName=DNS:nocn.example.org" || exit 1
mkcert wild "/CN=*.example.net" || exit 1
mkcert plat "/CN=someapp.localhost" || exit 1
mkcert other "/CN=other.example.com" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 10 \
	-subj /CN=ec.example.com -keyout "$C/ec.key" -out "$C/ec.crt" 2>/dev/null || exit 1
openssl genrsa -aes256 -passout pass:secret -out "$C/enc.key" 2048 2>/dev/null || exit 1

# certjson CRT KEY [CN]: the POST body.
certjson() {
	jq -cn --rawfile c "$C/$1" --rawfile k "$C/$2" --arg cn "${3-}" \
		'{certificate: $c, key: $k} + (if $cn == "" then {} else {common_name: $cn} end)'
}
# expires NAME: notAfter of NAME.crt in the Deis model time format.
expires() {
	date -u -d "$(openssl x509 -enddate -noout -in "$C/$1.crt" | sed 's/^notAfter=//')" \
		+%Y-%m-%dT%H:%M:%SUTC
}

suite() {
	E=$1
	W=$TRASH/$E
	API_DIR=$W
	mkdir -p "$W"
	controller_start "$W/c" >/dev/null || { test_expect "$E: controller starts" false; return; }
	API_URL=$CONTROLLER_URL
	api_admin admin && api_register alice >/dev/null && api_register bob >/dev/null &&
	api_login alice >/dev/null && api_login bob >/dev/null ||
		{ test_expect "$E: users" false; return; }
	# a certificate is for a domain of one's own apps
	{ api_check "201 CREATED" POST /v1/apps/ alice "{\"id\":\"shop\"}" &&
	  api_check "201 CREATED" POST /v1/apps/ bob "{\"id\":\"blog\"}" &&
	  for d in www.example.com ec.example.com api.example.org nocn.example.org; do
		api_check "201 CREATED" POST /v1/apps/shop/domains/ alice "{\"domain\":\"$d\"}" || break
	  done &&
	  api_check "201 CREATED" POST /v1/apps/blog/domains/ bob "{\"domain\":\"other.example.com\"}"
	} >/dev/null || { test_expect "$E: apps and domains" false; return; }

	test_expect "$E: a certificate only for a domain of one's own apps (else 403)" '
		api_check "403 FORBIDDEN" POST /v1/certs bob "$(certjson www.crt www.key)" &&
		api_body ".detail | test(\"www.example.com is not a domain of an app of yours\")" &&
		api_check "403 FORBIDDEN" POST /v1/certs alice "$(certjson other.crt other.key)" &&
		api_check "200 OK" GET /v1/certs admin && api_body ".count == 0"
	'

	test_expect "$E: certs need a token" '
		api_check "401 UNAUTHORIZED" GET /v1/certs - &&
		api_check "401 UNAUTHORIZED" POST /v1/certs - "$(certjson www.crt www.key)"
	'
	test_expect "$E: add: common name from the subject, expires from notAfter" '
		api_check "201 CREATED" POST /v1/certs alice "$(certjson www.crt www.key)" &&
		api_body ".common_name == \"www.example.com\" and .owner == \"alice\" and
		      .expires == \"$(expires www)\" and (.id | type) == \"number\" and
		      (.created | test(\"UTC$\")) and (has(\"key\") | not)"
	'
	test_expect "$E: EC keys and chains with text around them" '
		{ echo "leading text"; cat "$C/ec.crt" "$C/other.crt"; echo trailing; } >"$C/chain.crt" &&
		api_check "201 CREATED" POST /v1/certs alice "$(certjson chain.crt ec.key)" &&
		api_body ".common_name == \"ec.example.com\" and .expires == \"$(expires ec)\""
	'
	test_expect "$E: a given common name must be covered by the certificate" '
		api_check "201 CREATED" POST /v1/certs alice "$(certjson san.crt san.key api.example.org)" &&
		api_body ".common_name == \"api.example.org\"" &&
		api_check "400 BAD REQUEST" POST /v1/certs alice "$(certjson san.crt san.key evil.example.org)" &&
		api_body ".common_name == [\"The certificate is not valid for evil.example.org\"]"
	'
	test_expect "$E: no common name in the subject: one must be given" '
		api_check "400 BAD REQUEST" POST /v1/certs alice "$(certjson nocn.crt nocn.key)" &&
		api_body ".common_name[0] | startswith(\"The certificate has no common name\")" &&
		api_check "201 CREATED" POST /v1/certs alice "$(certjson nocn.crt nocn.key nocn.example.org)"
	'
	test_expect "$E: wildcards are refused" '
		api_check "400 BAD REQUEST" POST /v1/certs alice "$(certjson wild.crt wild.key)" &&
		api_body ".common_name == [\"Wildcard certificates are not supported\"]" &&
		api_check "400 BAD REQUEST" POST /v1/certs alice "$(certjson wild.crt wild.key "*.example.net")" &&
		api_body ".common_name == [\"Wildcard certificates are not supported\"]"
	'
	test_expect "$E: platform names are for administrators" '
		api_check "400 BAD REQUEST" POST /v1/certs alice "$(certjson plat.crt plat.key)" &&
		api_body ".common_name == [\"The domain someapp.localhost is reserved by the platform\"]" &&
		api_check "201 CREATED" POST /v1/certs admin "$(certjson plat.crt plat.key)"
	'
	test_expect "$E: the key must match the certificate" '
		api_check "400 BAD REQUEST" POST /v1/certs alice "$(certjson other.crt www.key)" &&
		api_body ".key == [\"The key does not match the certificate\"]"
	'
	test_expect "$E: encrypted keys and junk are refused (no prompt)" '
		api_check "400 BAD REQUEST" POST /v1/certs alice "$(certjson other.crt enc.key)" &&
		api_body ".key[0] | startswith(\"Could not load private key\")" &&
		echo "not a certificate" >"$C/junk" &&
		api_check "400 BAD REQUEST" POST /v1/certs alice "$(certjson junk other.key)" &&
		api_body ".certificate[0] | startswith(\"Could not load certificate\")" &&
		api_check "400 BAD REQUEST" POST /v1/certs alice "$(certjson other.crt junk)" &&
		api_check "400 BAD REQUEST" POST /v1/certs alice "{\"key\":\"x\"}" &&
		api_body ".certificate == [\"This field is required.\"]" &&
		api_check "400 BAD REQUEST" POST /v1/certs alice "{\"certificate\":1,\"key\":\"x\"}" &&
		api_check "400 BAD REQUEST" POST /v1/certs alice \
			"$(jq -cn --rawfile c "$C/other.crt" "{certificate: \$c}")" &&
		api_body ".key == [\"This field is required.\"]"
	'
	test_expect "$E: a common name is taken once" '
		api_check "400 BAD REQUEST" POST /v1/certs bob "$(certjson www.crt www.key)" &&
		api_body ".common_name == [\"This field must be unique.\"]"
	'
	test_expect "$E: owners see their certificates, admins all" '
		api_check "201 CREATED" POST /v1/certs bob "$(certjson other.crt other.key)" &&
		api_check "200 OK" GET /v1/certs alice &&
		api_body "[.results[].common_name] == [\"api.example.org\",\"ec.example.com\",\"nocn.example.org\",\"www.example.com\"]" &&
		api_check "200 OK" GET /v1/certs/ bob &&
		api_body ".count == 1 and .results[0].common_name == \"other.example.com\"" &&
		api_check "200 OK" GET /v1/certs admin && api_body ".count == 6" &&
		api_check "200 OK" GET /v1/certs/www.example.com alice &&
		api_body ".common_name == \"www.example.com\" and .owner == \"alice\"" &&
		api_check "200 OK" GET /v1/certs/WWW.Example.com. alice &&
		api_check "404 NOT FOUND" GET /v1/certs/www.example.com bob &&
		api_check "200 OK" GET /v1/certs/www.example.com admin
	'
	test_expect "$E: only the owner or an admin removes a certificate" '
		api_check "404 NOT FOUND" DELETE /v1/certs/www.example.com bob &&
		api_check "200 OK" GET /v1/certs/www.example.com alice &&
		api_check "204 NO CONTENT" DELETE /v1/certs/www.example.com alice &&
		api_check "404 NOT FOUND" GET /v1/certs/www.example.com alice &&
		api_check "204 NO CONTENT" DELETE /v1/certs/other.example.com admin &&
		api_check "404 NOT FOUND" DELETE /v1/certs/nothing.example.com admin &&
		api_check "403 FORBIDDEN" POST /v1/certs bob "$(certjson www.crt www.key)" &&
		api_check "201 CREATED" POST /v1/certs alice "$(certjson www.crt www.key)"
	'
}

controller_suites suite
test_done
