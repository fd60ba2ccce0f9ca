#!/bin/sh
# deis-router: --controller-whitelist and --enforce-whitelist (Deis
# controller/whitelist, enforceWhitelist), --hsts-include-subdomains and
# --hsts-preload (Deis hsts/includeSubDomains, hsts/preload).
. "$(dirname "$0")/test-lib.sh"

command -v python3 >/dev/null || test_skip_all "python3 missing"
command -v curl >/dev/null || test_skip_all "curl missing"
command -v openssl >/dev/null || test_skip_all "openssl missing"
[ -x "$BIN/deis-router" ] || test_skip_all "deis-router not built"

RT=$TOP/router/testing
B1=$(free_port); BC=$(free_port)
R1=$(free_port); S1=$(free_port); R2=$(free_port); S2=$(free_port); R3=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=example.test \
	-keyout "$TRASH/k.pem" -out "$TRASH/c.pem" 2>/dev/null || { echo "Bail out! openssl"; exit 1; }
cat >"$TRASH/routes.json" <<JSON
{"version":1,"domain":"example.test","controller":["127.0.0.1:$BC"],
 "apps":{"myapp":{"endpoints":[{"addr":"127.0.0.1:$B1","container":"c1"}]},
         "mine":{"endpoints":[{"addr":"127.0.0.1:$B1","container":"c1"}],"whitelist":["127.0.0.0/8:lo"]}}}
JSON
bg_start b1 python3 "$RT/backend.py" "$B1" "$TRASH/b1.rec" b1
bg_start bc python3 "$RT/backend.py" "$BC" "$TRASH/bc.rec" controller
bg_start r1 deis-router --listen "127.0.0.1:$R1" --tls-listen "127.0.0.1:$S1" --tls-cert "$TRASH/c.pem" \
	--tls-key "$TRASH/k.pem" --routes "$TRASH/routes.json" --workers 1 --hsts 100 \
	--hsts-include-subdomains --hsts-preload --controller-whitelist '203.0.113.0/24:office, 127.0.0.1:my laptop' \
	--enforce-whitelist
bg_start r2 deis-router --listen "127.0.0.1:$R2" --tls-listen "127.0.0.1:$S2" --tls-cert "$TRASH/c.pem" \
	--tls-key "$TRASH/k.pem" --routes "$TRASH/routes.json" --workers 1 --hsts 100 --hsts-preload \
	--controller-whitelist '203.0.113.0/24:the office'
bg_start r3 deis-router --listen "127.0.0.1:$R3" --routes "$TRASH/routes.json" --workers 1 --enforce-whitelist
for p in $B1 $BC $R1 $S1 $R2 $S2 $R3; do
	wait_for 10 "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $p))'" ||
		{ echo "Bail out! port $p did not open"; cat "$TRASH"/*.log; exit 1; }
done

code() { curl -sk -o /dev/null -w '%{http_code}' -H "Host: $2" "$1/echo"; }

test_expect '--controller-whitelist admits listed addresses (labels with spaces)' "
	test \$(code http://127.0.0.1:$R1 deis.example.test) = 200
"
test_expect '--controller-whitelist refuses others with 403; apps are not affected' "
	: >\$TRASH/bc.rec &&
	test \$(code http://127.0.0.1:$R2 deis.example.test) = 403 &&
	test \$(code https://127.0.0.1:$S2 deis.example.test) = 403 &&
	test ! -s \$TRASH/bc.rec &&
	test \$(code http://127.0.0.1:$R2 myapp.example.test) = 200
"
test_expect '--enforce-whitelist: an app without a whitelist denies all, one with admits' "
	test \$(code http://127.0.0.1:$R1 myapp.example.test) = 403 &&
	test \$(code http://127.0.0.1:$R1 mine.example.test) = 200 &&
	test \$(code http://127.0.0.1:$R3 myapp.example.test) = 403
"
test_expect '--enforce-whitelist: the controller without --controller-whitelist denies all' "
	test \$(code http://127.0.0.1:$R3 deis.example.test) = 403
"
test_expect 'HSTS with includeSubDomains and preload' "
	curl -sk -D h -o /dev/null -H 'Host: mine.example.test' https://127.0.0.1:$S1/echo &&
	grep -qx 'Strict-Transport-Security: max-age=100; includeSubDomains; preload.' h &&
	curl -sk -D h2 -o /dev/null -H 'Host: myapp.example.test' https://127.0.0.1:$S2/echo &&
	grep -qx 'Strict-Transport-Security: max-age=100; preload.' h2 &&
	curl -s -D h3 -o /dev/null -H 'Host: myapp.example.test' http://127.0.0.1:$R2/echo &&
	! grep -qi 'Strict-Transport-Security' h3
"
test_expect 'a bad --controller-whitelist exits 100' "
	deis-router --listen 127.0.0.1:0 --controller-whitelist '1.2.3.4,nope' 2>err; test \$? = 100 &&
	grep -q \"bad value for --controller-whitelist: 'nope'\" err &&
	deis-router --listen 127.0.0.1:0 --controller-whitelist '1.2.3.4/40' 2>err; test \$? = 100
"
test_done
