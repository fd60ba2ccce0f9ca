#!/bin/sh
# Controller API: SSH keys (/v1/keys): normalised storage, MD5 fingerprints as
# ssh-keygen prints them, global uniqueness, per-user visibility, weak and
# malformed keys refused; on SQLite and PostgreSQL.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/controller-start"

CTL=${DEIS_CONTROLLER:-$BIN/deis-controller}
[ -x "$CTL" ] || test_skip_all "no controller binary at $CTL"
command -v jq >/dev/null || test_skip_all "jq is not installed"
command -v ssh-keygen >/dev/null || test_skip_all "ssh-keygen is not installed"

K=$TRASH/keys
mkdir -p "$K"
for k in a1 a2 b1; do
	ssh-keygen -q -t ed25519 -N '' -C "$k@example.com" -f "$K/$k" || exit 1
done
ssh-keygen -q -t rsa -b 2048 -N '' -C rsa2048 -f "$K/rsa2048" || exit 1
ssh-keygen -q -t rsa -b 1024 -N '' -C rsa1024 -f "$K/rsa1024" 2>/dev/null ||
	ssh-keygen -q -t rsa -b 1024 -N '' -f "$K/rsa1024" || exit 1

# keyjson ID FILE [PREFIX]: the POST body for key FILE.pub named ID.
keyjson() {
	jq -cn --arg id "$1" --arg pub "${3-}$(cat "$2.pub")" '{id: $id, public: $pub}'
}
# md5 FILE: the MD5 fingerprint of FILE.pub without the "MD5:" prefix.
md5() {
	ssh-keygen -l -E md5 -f "$1.pub" | awk '{ sub(/^MD5:/, "", $2); print $2 }'
}
# blob FILE: "type base64 comment" of FILE.pub, as stored (Deis kept the comment).
blob() {
	awk '{ print $1 " " $2 " " $3 }' "$1.pub"
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

	test_expect "$E: keys need a token" '
		api_check "401 UNAUTHORIZED" GET /v1/keys/ - &&
		api_check "401 UNAUTHORIZED" POST /v1/keys/ - "$(keyjson k "$K/a1")"
	'
	test_expect "$E: add a key: stored with its comment, MD5 fingerprint" '
		api_check "201 CREATED" POST /v1/keys/ alice "$(keyjson laptop "$K/a1")" &&
		api_body ".id == \"laptop\" and .owner == \"alice\" and
		      .public == \"$(blob "$K/a1")\" and .fingerprint == \"$(md5 "$K/a1")\" and
		      (.uuid | test(\"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$\")) and
		      (.created | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}UTC$\"))"
	'
	test_expect "$E: RSA 2048 accepted, RSA 1024 and DSA refused" '
		api_check "201 CREATED" POST /v1/keys/ alice "$(keyjson rsa "$K/rsa2048")" &&
		api_body ".fingerprint == \"$(md5 "$K/rsa2048")\"" &&
		api_check "400 BAD REQUEST" POST /v1/keys/ alice "$(keyjson rsa1 "$K/rsa1024")" &&
		api_body ".public == [\"RSA keys must be at least 2048 bits\"]" &&
		api_check "400 BAD REQUEST" POST /v1/keys/ alice "{\"id\":\"d\",\"public\":\"ssh-dss AAAAB3NzaC1kc3MAAAA= x\"}" &&
		api_body ".public[0] | startswith(\"Key type is not supported\")"
	'
	test_expect "$E: options in front of a key are refused" '
		api_check "400 BAD REQUEST" POST /v1/keys/ alice \
			"$(keyjson opt "$K/a2" "command=\"/bin/sh\",no-pty ")" &&
		api_check "400 BAD REQUEST" POST /v1/keys/ alice "$(keyjson opt "$K/a2" "from=\"*\" ")"
	'
	test_expect "$E: malformed input is a 400 field error" '
		api_check "400 BAD REQUEST" POST /v1/keys/ alice "{\"id\":\"x\",\"public\":\"ssh-ed25519 !!!!\"}" &&
		api_body ".public == [\"Key contains invalid base64 chars\"]" &&
		api_check "400 BAD REQUEST" POST /v1/keys/ alice "{\"id\":\"x\",\"public\":\"ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIA==\"}" &&
		api_check "400 BAD REQUEST" POST /v1/keys/ alice "{\"id\":\"x\"}" &&
		api_body ".public == [\"This field is required.\"]" &&
		api_check "400 BAD REQUEST" POST /v1/keys/ alice "{\"public\":\"$(blob "$K/a2")\"}" &&
		api_body ".id == [\"This field is required.\"]" &&
		api_check "400 BAD REQUEST" POST /v1/keys/ alice "{\"id\":[],\"public\":\"$(blob "$K/a2")\"}" &&
		api_check "400 BAD REQUEST" POST /v1/keys/ alice "$(keyjson a/b "$K/a2")" &&
		api_check "400 BAD REQUEST" POST /v1/keys/ alice "$(keyjson "$(printf "%0200d" 0)" "$K/a2")" &&
		api_check "400 BAD REQUEST" POST /v1/keys/ alice "{\"id\":\"x\",\"public\":\"ssh-ed25519\"}" &&
		api_check "400 BAD REQUEST" POST /v1/keys/ alice "{\"id\":\"x\",\"public\":\"\"}"
	'
	test_expect "$E: a key belongs to one user only, whatever its comment" '
		api_check "400 BAD REQUEST" POST /v1/keys/ alice "$(keyjson again "$K/a1")" &&
		api_body ".public == [\"This field must be unique.\"]" &&
		api_check "400 BAD REQUEST" POST /v1/keys/ bob \
			"$(jq -cn --arg p "$(blob "$K/a1") bob@elsewhere" "{id: \"stolen\", public: \$p}")" &&
		api_body ".public == [\"This field must be unique.\"]"
	'
	test_expect "$E: ids are unique per user" '
		api_check "400 BAD REQUEST" POST /v1/keys/ alice "$(keyjson laptop "$K/a2")" &&
		api_body ".id == [\"This field must be unique.\"]" &&
		api_check "201 CREATED" POST /v1/keys/ bob "$(keyjson laptop "$K/b1")" &&
		api_body ".owner == \"bob\""
	'
	test_expect "$E: users see only their own keys" '
		api_check "200 OK" GET /v1/keys/ alice &&
		api_body ".count == 2 and ([.results[].id] | sort) == [\"laptop\",\"rsa\"] and
		      ([.results[].owner] | unique) == [\"alice\"]" &&
		api_check "200 OK" GET /v1/keys/ bob &&
		api_body ".count == 1 and .results[0].public == \"$(blob "$K/b1")\"" &&
		api_check "200 OK" GET /v1/keys/laptop alice &&
		api_body ".owner == \"alice\" and .public == \"$(blob "$K/a1")\"" &&
		api_check "200 OK" GET /v1/keys/laptop bob && api_body ".owner == \"bob\"" &&
		api_check "404 NOT FOUND" GET /v1/keys/rsa bob &&
		api_body ".detail == \"Not found\"" &&
		api_check "200 OK" GET "/v1/keys/?page_size=1" alice &&
		api_body ".count == 2 and (.results | length) == 1 and (.next | test(\"page=2\"))"
	'
	test_expect "$E: another user cannot delete my key" '
		api_check "404 NOT FOUND" DELETE /v1/keys/rsa bob &&
		api_check "404 NOT FOUND" DELETE /v1/keys/rsa admin &&
		api_check "200 OK" GET /v1/keys/rsa alice
	'
	test_expect "$E: delete frees the key for someone else" '
		api_check "204 NO CONTENT" DELETE /v1/keys/laptop alice &&
		api_check "404 NOT FOUND" GET /v1/keys/laptop alice &&
		api_check "404 NOT FOUND" DELETE /v1/keys/laptop alice &&
		api_check "200 OK" GET /v1/keys/laptop bob &&
		api_check "201 CREATED" POST /v1/keys/ bob "$(keyjson desk "$K/a1")"
	'
	test_expect "$E: a cancelled user's keys go with them" '
		api_check "204 NO CONTENT" DELETE /v1/auth/cancel/ alice &&
		api_check "201 CREATED" POST /v1/keys/ bob "$(keyjson rsa "$K/rsa2048")"
	'
	test_expect "$E: wrong method on a key" '
		api_check "405 METHOD NOT ALLOWED" PUT /v1/keys/rsa bob "{}"
	'
}

controller_suites suite
test_done
