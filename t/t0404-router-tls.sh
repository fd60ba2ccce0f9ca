#!/bin/sh
# deis-router HTTPS: the platform certificate by default, a custom domain's
# certificate from the route table chosen by SNI (and swapped with the table),
# X-Forwarded-Proto https, HSTS, enforce-https redirects, no TLS < 1.2, and the
# request parser's rules apply behind TLS too.
. "$(dirname "$0")/test-lib.sh"

command -v python3 >/dev/null || test_skip_all "python3 missing"
command -v openssl >/dev/null || test_skip_all "openssl missing"
command -v curl >/dev/null || test_skip_all "curl missing"
[ -x "$BIN/deis-router" ] || test_skip_all "deis-router not built"

RT=$TOP/router/testing
B1=$(free_port); RPORT=$(free_port); SPORT=$(free_port)
cd "$TRASH"
# a CA, the platform's wildcard certificate and a custom domain's certificate
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout ca.key -out ca.pem 2>/dev/null
cert() {
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null &&
	printf 'subjectAltName=DNS:%s\n' "$2" >"$1.ext" &&
	openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
		-extfile "$1.ext" -out "$1.pem" 2>/dev/null
}
cert platform '*.example.test' && cert custom www.custom.test && cert custom2 www.custom.test ||
	{ echo "Bail out! openssl failed"; exit 1; }
table() {
	python3 - "$1" "$B1" >routes.new <<'PY'
import json, sys
name, port = sys.argv[1], sys.argv[2]
print(json.dumps({"version": 1, "domain": "example.test", "controller": [],
  "apps": {"myapp": {"domains": ["www.custom.test"],
                     "endpoints": [{"addr": "127.0.0.1:" + port, "container": "c1"}]}},
  "certs": {"www.custom.test": {"cert": open(name + ".pem").read(), "key": open(name + ".key").read()}}}))
PY
	mv routes.new routes.json
}
table custom
bg_start b1 python3 "$RT/backend.py" "$B1" "$TRASH/b1.rec" b1
bg_start router deis-router --listen "127.0.0.1:$RPORT" --tls-listen "127.0.0.1:$SPORT" \
	--tls-cert platform.pem --tls-key platform.key --routes routes.json --workers 2 \
	--hsts 31536000 --enforce-https
wait_for 10 "curl -sf -H 'Host: x' http://127.0.0.1:$RPORT/health-check" ||
	{ echo "Bail out! router did not start"; cat "$TRASH/router.log"; exit 1; }
wait_for 10 "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $B1))'"

S="--cacert ca.pem -s"
issuer_serial() { echo | openssl s_client -connect "127.0.0.1:$SPORT" -servername "$1" 2>/dev/null | openssl x509 -noout -serial; }

test_expect 'app host over HTTPS with the platform certificate' "
	curl $S --resolve myapp.example.test:$SPORT:127.0.0.1 https://myapp.example.test:$SPORT/echo >out &&
	grep -q '\"X-Forwarded-Proto\", \"https\"' out && grep -q '\"X-Forwarded-Port\", \"$SPORT\"' out
"
test_expect 'custom domain gets its own certificate by SNI' "
	curl $S --resolve www.custom.test:$SPORT:127.0.0.1 https://www.custom.test:$SPORT/echo | grep -q '\"name\": \"b1\"' &&
	test \"\$(issuer_serial www.custom.test)\" = \"\$(openssl x509 -noout -serial -in custom.pem)\"
"
test_expect 'HSTS header on HTTPS responses only' "
	curl $S -D hdr -o /dev/null --resolve myapp.example.test:$SPORT:127.0.0.1 https://myapp.example.test:$SPORT/echo &&
	grep -qi '^Strict-Transport-Security: max-age=31536000' hdr &&
	curl -s -D hdr2 -o /dev/null -H 'Host: myapp.example.test' -H 'X-Forwarded-Proto: https' http://127.0.0.1:$RPORT/echo &&
	! grep -qi 'Strict-Transport' hdr2
"
test_expect 'enforce-https redirects plain HTTP with 301' "
	curl -s -D hdr3 -o /dev/null -H 'Host: myapp.example.test:$RPORT' http://127.0.0.1:$RPORT/a?b=1 &&
	grep -q '^HTTP/1.1 301' hdr3 && grep -qi '^Location: https://myapp.example.test/a?b=1' hdr3
"
test_expect 'a client'"'"'s own X-Forwarded-Proto: https does not skip the redirect' "
	curl -s -D hdr4 -o /dev/null -H 'Host: myapp.example.test' -H 'X-Forwarded-Proto: https' http://127.0.0.1:$RPORT/a &&
	grep -q '^HTTP/1.1 301' hdr4
"
test_expect 'a new certificate arrives with a new table' "
	table custom2 && kill -HUP \$PID_router &&
	wait_for 5 'test \"\$(issuer_serial www.custom.test)\" = \"\$(openssl x509 -noout -serial -in custom2.pem)\"'
"
test_expect 'TLS 1.1 is refused' "
	! curl $S --tlsv1.1 --tls-max 1.1 --resolve myapp.example.test:$SPORT:127.0.0.1 https://myapp.example.test:$SPORT/echo
"
test_expect 'smuggling vector over TLS is 400 and reaches nobody' "
	: >b1.rec &&
	printf 'POST / HTTP/1.1\r\nHost: myapp.example.test\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG' |
		timeout 5 openssl s_client -quiet -connect 127.0.0.1:$SPORT -servername myapp.example.test 2>/dev/null >tlsresp;
	grep -q '^HTTP/1.1 400' tlsresp && ! test -s b1.rec
"
test_expect 'large response over TLS arrives whole' "
	test \$(curl $S --resolve myapp.example.test:$SPORT:127.0.0.1 'https://myapp.example.test:$SPORT/big?n=3000000' | wc -c) = 3000000
"
test_expect 'pipelined mixed requests over TLS, all answered in order' "
	timeout 120 python3 $RT/stress.py $SPORT 4 100 ca.pem
"
test_expect 'a garbage handshake does not hurt the router' "
	printf 'GET / HTTP/1.1\r\n\r\n' | timeout 3 python3 -c '
import socket, sys
s = socket.create_connection((\"127.0.0.1\", $SPORT)); s.sendall(sys.stdin.buffer.read()); s.recv(100)' ;
	curl $S --resolve myapp.example.test:$SPORT:127.0.0.1 https://myapp.example.test:$SPORT/echo | grep -q b1
"
test_done
