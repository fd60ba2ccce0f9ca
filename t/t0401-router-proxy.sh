#!/bin/sh
# deis-router: routing by Host, forwarded headers, keep-alive and pipelining,
# bodies both ways (length, chunked, until EOF), HTTP/1.0, Expect, HEAD/204/304,
# health checks, WebSocket-style Upgrade tunnels, the access log.
. "$(dirname "$0")/test-lib.sh"

command -v python3 >/dev/null || test_skip_all "python3 missing"
command -v curl >/dev/null || test_skip_all "curl missing"
[ -x "$BIN/deis-router" ] || test_skip_all "deis-router not built"

RT=$TOP/router/testing
B1=$(free_port); B2=$(free_port); BC=$(free_port)
RPORT=$(free_port); HPORT=$(free_port)
cat >"$TRASH/routes.json" <<JSON
{"version":1,"domain":"example.test","controller":["127.0.0.1:$BC"],
 "apps":{"myapp":{"domains":["www.custom.test"],
                  "endpoints":[{"addr":"127.0.0.1:$B1","container":"c1","release":1},
                               {"addr":"127.0.0.1:$B2","container":"c2","release":1}]},
         "empty":{"endpoints":[]},
         "private":{"endpoints":[{"addr":"127.0.0.1:$B1","container":"c1"}],"whitelist":["10.0.0.0/8"]},
         "mine":{"endpoints":[{"addr":"127.0.0.1:$B1","container":"c1"}],"whitelist":["bogus","127.0.0.0/8:lo"]},
         "allbad":{"endpoints":[{"addr":"127.0.0.1:$B1","container":"c1"}],"whitelist":["bogus"]}}}
JSON
bg_start b1 python3 "$RT/backend.py" "$B1" "$TRASH/b1.rec" b1
bg_start b2 python3 "$RT/backend.py" "$B2" "$TRASH/b2.rec" b2
bg_start bc python3 "$RT/backend.py" "$BC" "$TRASH/bc.rec" controller
bg_start router deis-router --listen "127.0.0.1:$RPORT" --health-listen "127.0.0.1:$HPORT" \
	--routes "$TRASH/routes.json" --workers 2 --body-size 100k
wait_for 10 "curl -sf http://127.0.0.1:$HPORT/health-check" ||
	{ echo "Bail out! router did not start"; cat "$TRASH/router.log"; exit 1; }
for p in $B1 $B2 $BC; do wait_for 10 "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $p))'"; done

U=http://127.0.0.1:$RPORT
app() { curl -s -H "Host: myapp.example.test" "$@"; }
raw() { python3 "$RT/rawsend.py" "$RPORT" "$@"; }

test_expect 'app host reaches the app' "app $U/echo | grep -q '\"method\": \"GET\"'"
test_expect 'host match ignores case, port and a trailing dot' "
	curl -sf -H 'Host: MyApp.Example.TEST.:$RPORT' $U/echo | grep -q '\"path\": \"/echo\"'
"
test_expect 'custom domain reaches the app' "curl -sf -H 'Host: www.custom.test' $U/echo | grep -q '\"name\": \"b'"
test_expect 'deis.<domain> reaches the controller' "curl -sf -H 'Host: deis.example.test' $U/v1/ | grep -q '\"name\": \"controller\"'"
test_expect 'unknown host is 404' "test \$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: nope.example.test' $U/) = 404"
test_expect 'app without endpoints is 503' "test \$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: empty.example.test' $U/) = 503"
test_expect 'the router'"'"'s own pages read as Deis'"'"'s nginx: standard reason, a small HTML page' "
	curl -s -D \$TRASH/h404 -H 'Host: nope.example.test' $U/ >\$TRASH/b404 &&
	head -n 1 \$TRASH/h404 | grep -q '^HTTP/1.1 404 Not Found' && grep -q '<h1>404 Not Found</h1>' \$TRASH/b404 &&
	grep -qi '^Content-Type: text/html' \$TRASH/h404 &&
	curl -s -D \$TRASH/h503 -H 'Host: empty.example.test' $U/ >\$TRASH/b503 &&
	head -n 1 \$TRASH/h503 | grep -q '^HTTP/1.1 503 Service Unavailable' &&
	grep -q '<h1>503 Service Unavailable</h1>' \$TRASH/b503 &&
	grep -qi '^X-Router-Code: H14' \$TRASH/h503 && ! grep -q H14 \$TRASH/b503
"
test_expect 'whitelist refuses others with 403' "test \$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: private.example.test' $U/) = 403"
test_expect 'whitelist admits a matching CIDR with a label' "test \$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: mine.example.test' $U/echo) = 200"
test_expect 'a whitelist of only bad entries admits nobody' "test \$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: allbad.example.test' $U/) = 403"
test_expect 'round robin over both endpoints' "
	for i in 1 2 3 4; do app $U/echo; echo; done >\$TRASH/rr &&
	grep -q '\"name\": \"b1\"' \$TRASH/rr && grep -q '\"name\": \"b2\"' \$TRASH/rr
"
test_expect '/health-check on the default server and the health port' "
	curl -sf -H 'Host: nope' $U/health-check | grep -qx OK &&
	curl -sf http://127.0.0.1:$HPORT/health-check | grep -qx OK &&
	test \$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$HPORT/other) = 404
"
test_expect 'X-Forwarded-For/Proto/Port are the router'"'"'s: a client'"'"'s own are not believed' "
	app -H 'X-Forwarded-For: 1.2.3.4' -H 'X-Forwarded-Proto: https' $U/echo >\$TRASH/h &&
	grep -q '\"X-Forwarded-For\", \"127.0.0.1\"' \$TRASH/h && ! grep -q 1.2.3.4 \$TRASH/h &&
	grep -q '\"X-Forwarded-Proto\", \"http\"' \$TRASH/h &&
	grep -q '\"X-Forwarded-Port\", \"$RPORT\"' \$TRASH/h &&
	grep -q '\"X-Request-Start\", \"t=[0-9]*\"' \$TRASH/h &&
	grep -q '\"Host\", \"myapp.example.test\"' \$TRASH/h
"
test_expect 'X-Request-Id kept when sent, made when not' "
	app -H 'X-Request-Id: abcdef12-3456' $U/echo | grep -q '\"X-Request-Id\", \"abcdef12-3456\"' &&
	app $U/echo | grep -q '\"X-Request-Id\", \"[0-9a-f]\{32\}\"' &&
	app -H 'X-Request-Id: bad id' $U/echo | grep -q '\"X-Request-Id\", \"[0-9a-f]\{32\}\"'
"
test_expect 'hop-by-hop headers and those named in Connection are stripped' "
	raw 'b\"GET /echo HTTP/1.1\\r\\nHost: myapp.example.test\\r\\nConnection: close, X-Secret\\r\\nX-Secret: s\\r\\nKeep-Alive: 5\\r\\nTE: trailers\\r\\nProxy: http://evil\\r\\nX-Kept: k\\r\\n\\r\\n\"' >\$TRASH/hbh &&
	grep -q 'X-Kept' \$TRASH/hbh && ! grep -q 'X-Secret' \$TRASH/hbh && ! grep -q 'Keep-Alive' \$TRASH/hbh &&
	! grep -q '\"TE\"' \$TRASH/hbh && ! grep -q 'evil' \$TRASH/hbh
"
test_expect 'absolute-form target is forwarded in origin-form' "
	raw 'b\"GET http://myapp.example.test/echo?x=1 HTTP/1.1\\r\\nHost: myapp.example.test\\r\\nConnection: close\\r\\n\\r\\n\"' | grep -q '\"path\": \"/echo?x=1\"'
"
test_expect 'keep-alive: several requests on one connection' "
	curl -sv -H 'Host: myapp.example.test' $U/echo $U/echo $U/echo 2>\$TRASH/ka >/dev/null &&
	grep -q 'Re-using existing connection' \$TRASH/ka
"
test_expect 'pipelined requests in one packet are answered in order' "
	raw 'b\"GET /echo?n=1 HTTP/1.1\\r\\nHost: myapp.example.test\\r\\n\\r\\nGET /echo?n=2 HTTP/1.1\\r\\nHost: myapp.example.test\\r\\n\\r\\nGET /echo?n=3 HTTP/1.1\\r\\nHost: myapp.example.test\\r\\nConnection: close\\r\\n\\r\\n\"' >\$TRASH/pipe &&
	head -1 \$TRASH/pipe | grep -q '^200 closed' &&
	test \$(grep -o '/echo?n=[0-9]' \$TRASH/pipe | tr -d '\\n') = '/echo?n=1/echo?n=2/echo?n=3'
"
test_expect 'GET with a Content-Length body is framed by it (no desync)' "
	raw 'b\"GET /echo HTTP/1.1\\r\\nHost: myapp.example.test\\r\\nContent-Length: 5\\r\\n\\r\\nGET /x\\r\\nGET /echo?second HTTP/1.1\\r\\nHost: myapp.example.test\\r\\nConnection: close\\r\\n\\r\\n\"' >\$TRASH/gcl;
	grep -q '\"body\": \"GET /\"' \$TRASH/gcl
"
test_expect 'POST body with Content-Length is forwarded' "
	app --data-binary 'hello world' $U/echo | grep -q '\"body\": \"hello world\"'
"
test_expect 'chunked request body is re-framed and forwarded' "
	raw 'b\"POST /echo HTTP/1.1\\r\\nHost: myapp.example.test\\r\\nTransfer-Encoding: chunked\\r\\nConnection: close\\r\\n\\r\\n5;ext=1\\r\\nhello\\r\\n6\\r\\n world\\r\\n0\\r\\nX-Trailer: t\\r\\n\\r\\n\"' >\$TRASH/ch &&
	grep -q '\"body\": \"hello world\"' \$TRASH/ch && ! grep -q 'ext=1' $TRASH/b1.rec $TRASH/b2.rec && ! grep -q X-Trailer \$TRASH/ch
"
test_expect 'chunked request body streamed in pieces' "
	python3 -c '
import socket, time, sys
s = socket.create_connection((\"127.0.0.1\", $RPORT))
s.sendall(b\"POST /echo HTTP/1.1\\r\\nHost: myapp.example.test\\r\\nTransfer-Encoding: chunked\\r\\nConnection: close\\r\\n\\r\\n\")
for part in (b\"3\\r\\nabc\\r\\n\", b\"3\\r\", b\"\\ndef\\r\\n\", b\"0\\r\\n\\r\\n\"):
    time.sleep(0.05); s.sendall(part)
d = b\"\"
while True:
    x = s.recv(65536)
    if not x: break
    d += x
sys.exit(0 if b\"abcdef\" in d else 1)'
"
test_expect 'chunked response relayed' "app $U/chunked | grep -qx 'hello world'"
test_expect 'response until EOF becomes chunked for HTTP/1.1 clients' "
	curl -si -H 'Host: myapp.example.test' $U/eof >\$TRASH/eof &&
	grep -qi '^Transfer-Encoding: chunked' \$TRASH/eof && grep -q 'until eof' \$TRASH/eof
"
test_expect 'HTTP/1.0 client: close by default, keep-alive on request, no chunking' "
	raw 'b\"GET /chunked HTTP/1.0\\r\\nHost: myapp.example.test\\r\\n\\r\\n\"' >\$TRASH/h10 &&
	head -1 \$TRASH/h10 | grep -q '^200 closed' && ! grep -qi 'transfer-encoding' \$TRASH/h10 &&
	grep -q 'hello world' \$TRASH/h10 &&
	raw 'b\"GET /echo HTTP/1.0\\r\\nHost: myapp.example.test\\r\\nConnection: keep-alive\\r\\n\\r\\n\"' 1 >\$TRASH/h10k &&
	head -1 \$TRASH/h10k | grep -q '^200 open' && grep -qi '^Connection: keep-alive' \$TRASH/h10k
"
test_expect 'Connection: close is honoured' "
	raw 'b\"GET /echo HTTP/1.1\\r\\nHost: myapp.example.test\\r\\nConnection: close\\r\\n\\r\\n\"' | head -1 | grep -q '^200 closed'
"
test_expect 'HEAD, 204 and 304 responses have no body and keep the connection' "
	raw 'b\"HEAD /big?n=5000 HTTP/1.1\\r\\nHost: myapp.example.test\\r\\n\\r\\nGET /status/204 HTTP/1.1\\r\\nHost: myapp.example.test\\r\\n\\r\\nGET /status/304 HTTP/1.1\\r\\nHost: myapp.example.test\\r\\n\\r\\nGET /echo HTTP/1.1\\r\\nHost: myapp.example.test\\r\\nConnection: close\\r\\n\\r\\n\"' >\$TRASH/nb &&
	grep -q 'Content-Length: 5000' \$TRASH/nb && ! grep -q xxxxx \$TRASH/nb &&
	grep -q '^HTTP/1.1 204' \$TRASH/nb && grep -q '^HTTP/1.1 304' \$TRASH/nb && grep -q '\"method\": \"GET\"' \$TRASH/nb
"
test_expect 'Expect: 100-continue gets the backend answer' "
	dd if=/dev/zero bs=1024 count=20 2>/dev/null | tr '\\0' a >\$TRASH/body &&
	app -H 'Expect: 100-continue' --data-binary @\$TRASH/body $U/echo | grep -q '\"body\": \"aaaa'
"
test_expect 'body over --body-size is 413' "
	dd if=/dev/zero bs=1024 count=200 2>/dev/null >\$TRASH/big &&
	test \$(app -o /dev/null -w '%{http_code}' --data-binary @\$TRASH/big $U/echo) = 413
"
test_expect 'chunked body over --body-size is cut' "
	test \$(app -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' --data-binary @\$TRASH/big $U/echo) = 413
"
test_expect '1 MiB response arrives whole' "
	test \$(app $U/big?n=1048576 | wc -c) = 1048576
"
test_expect 'Upgrade is tunnelled both ways' "
	python3 -c '
import socket, sys
s = socket.create_connection((\"127.0.0.1\", $RPORT), timeout=5)
s.sendall(b\"GET /ws HTTP/1.1\\r\\nHost: myapp.example.test\\r\\nConnection: Upgrade\\r\\nUpgrade: websocket\\r\\n\\r\\n\")
d = b\"\"
while b\"\\r\\n\\r\\n\" not in d: d += s.recv(4096)
assert d.startswith(b\"HTTP/1.1 101\"), d
assert b\"Upgrade: websocket\" in d, d
for msg in (b\"ping-1\", b\"ping-2\"):
    s.sendall(msg)
    got = b\"\"
    while len(got) < len(msg): got += s.recv(4096)
    assert got == msg, got
s.close()'
"
test_expect 'access log has one line per request with status, app, upstream and id' "
	sleep 0.3 &&
	grep -q ' - 200 - \"GET /echo HTTP/1.1\" - [0-9]* - \"-\" - \"curl/[^\"]*\" - \"myapp\" - 127.0.0.1:[0-9]* - myapp.example.test - ' \$TRASH/router.log &&
	grep -q ' - 404 - \"GET / HTTP/1.1\" - ' \$TRASH/router.log &&
	grep -q ' - 503 - .* - H14 - ' \$TRASH/router.log
"
test_done
