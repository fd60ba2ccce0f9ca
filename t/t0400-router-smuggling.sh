#!/bin/sh
# deis-router: every request vector of security.md §3.2 is rejected with the
# right status, the connection is closed, and the backend receives nothing.
# The response-side vectors give 502 and none of the backend's bytes.
. "$(dirname "$0")/test-lib.sh"

command -v python3 >/dev/null || test_skip_all "python3 missing"
[ -x "$BIN/deis-router" ] || test_skip_all "deis-router not built"

RT=$TOP/router/testing
BPORT=$(free_port)
RPORT=$(free_port)
REC=$TRASH/backend.rec
: >"$REC"
cat >"$TRASH/routes.json" <<JSON
{"version":1,"domain":"example.test","controller":[],
 "apps":{"myapp":{"endpoints":[{"addr":"127.0.0.1:$BPORT","container":"c1","release":1}]}}}
JSON
bg_start backend python3 "$RT/backend.py" "$BPORT" "$REC" b1
bg_start router deis-router --listen "127.0.0.1:$RPORT" --routes "$TRASH/routes.json" --workers 1
wait_for 10 "python3 $RT/rawsend.py $RPORT 'b\"GET /health-check HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n\"' 1 | grep -q '^200'" ||
	{ echo "Bail out! router did not start"; cat "$TRASH/router.log"; exit 1; }
wait_for 10 "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $BPORT))'"

# The request must reach the backend when it is valid: prove the setup works.
test_expect 'a valid request is forwarded (control)' "
	python3 $RT/rawsend.py $RPORT 'b\"GET /echo HTTP/1.1\\r\\nHost: myapp.example.test\\r\\nConnection: close\\r\\n\\r\\n\"' >\$TRASH/ctl &&
	head -1 \$TRASH/ctl | grep -q '^200 closed' && test -s $REC && : >$REC
"

H='b"POST / HTTP/1.1\r\nHost: myapp.example.test\r\n'
G='b"GET / HTTP/1.1\r\nHost: myapp.example.test\r\n'
# vector NAME STATUS PAYLOAD_EXPR
vector() {
	test_expect "$1 -> $2, closed, nothing forwarded" "
		python3 $RT/rawsend.py $RPORT '$3' >\$TRASH/resp &&
		head -1 \$TRASH/resp | grep -q '^$2 closed' &&
		! test -s $REC
	"
}

vector 'CL.TE' 400 "$H"'Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG"'
vector 'TE.CL' 400 "$H"'Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n"'
vector 'TE xchunked' 400 "$H"'Transfer-Encoding: xchunked\r\n\r\n"'
vector 'TE "chunked " + CL' 400 "$H"'Content-Length: 4\r\nTransfer-Encoding: chunked \r\n\r\n"'
vector 'TE "\tchunked" + CL' 400 "$H"'Content-Length: 4\r\nTransfer-Encoding:\tchunked\r\n\r\n"'
vector 'TE Chunked + CL' 400 "$H"'Content-Length: 4\r\nTransfer-Encoding: Chunked\r\n\r\n"'
vector 'TE chunked, identity' 400 "$H"'Transfer-Encoding: chunked, identity\r\n\r\n"'
vector 'TE identity' 400 "$H"'Transfer-Encoding: identity\r\n\r\n"'
vector 'TE ,chunked' 400 "$H"'Transfer-Encoding: ,chunked\r\n\r\n"'
vector 'TE chunked\x0b' 400 "$H"'Transfer-Encoding: chunked\x0b\r\n\r\n"'
vector 'TE chunked\x0c' 400 "$H"'Transfer-Encoding: chunked\x0c\r\n\r\n"'
vector 'TE SP before colon' 400 "$H"'Transfer-Encoding : chunked\r\n\r\n"'
vector 'TE duplicated' 400 "$H"'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"'
vector 'TE not final (chunked, gzip)' 400 "$H"'Transfer-Encoding: chunked, gzip\r\n\r\n"'
vector 'TE in HTTP/1.0' 400 'b"POST / HTTP/1.0\r\nHost: myapp.example.test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"'
vector 'dup CL 5/6' 400 "$H"'Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello"'
vector 'CL list 5, 6' 400 "$H"'Content-Length: 5, 6\r\n\r\nhello"'
vector 'empty CL + CL' 400 "$H"'Content-Length:\r\nContent-Length: 5\r\n\r\nhello"'
vector 'CL +5' 400 "$H"'Content-Length: +5\r\n\r\nhello"'
vector 'CL -1' 400 "$H"'Content-Length: -1\r\n\r\n"'
vector 'CL 0x10' 400 "$H"'Content-Length: 0x10\r\n\r\n"'
vector 'CL 1_0' 400 "$H"'Content-Length: 1_0\r\n\r\n"'
vector 'CL 05' 400 "$H"'Content-Length: 05\r\n\r\nhello"'
vector 'CL 5 5' 400 "$H"'Content-Length: 5 5\r\n\r\nhello"'
vector 'CL overflow' 400 "$H"'Content-Length: 99999999999999999999\r\n\r\n"'
vector 'CL SP before colon' 400 "$H"'Content-Length : 5\r\n\r\nhello"'
vector 'chunk size 0x5' 400 "$H"'Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n"'
vector 'chunk size " 5"' 400 "$H"'Transfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n"'
vector 'chunk size +5' 400 "$H"'Transfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n"'
vector 'chunk size 5_' 400 "$H"'Transfer-Encoding: chunked\r\n\r\n5_\r\nhello\r\n0\r\n\r\n"'
vector 'chunk size -1' 400 "$H"'Transfer-Encoding: chunked\r\n\r\n-1\r\n\r\n"'
vector 'chunk size overflow' 400 "$H"'Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\n\r\n"'
vector 'CR in chunk-ext' 400 "$H"'Transfer-Encoding: chunked\r\n\r\n2\r\r;a\r\nab\r\n0\r\n\r\n"'
vector 'bare LF chunk end' 400 "$H"'Transfer-Encoding: chunked\r\n\r\n0\n\r\n"'
vector '1 MiB chunk extensions' 400 "$H"'Transfer-Encoding: chunked\r\n\r\n1;" + b"a" * 1048576 + b"\r\nx\r\n0\r\n\r\n"'
vector 'obs-fold' 400 "$G"'X: a\r\n b\r\n\r\n"'
vector 'obs-fold TE' 400 "$H"'Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"'
vector 'leading WS first header' 400 'b"GET / HTTP/1.1\r\n\tContent-Length: 1\r\nHost: myapp.example.test\r\n\r\nX"'
vector 'NUL in name' 400 "$G"'X\x00Y: a\r\n\r\n"'
vector 'CR in name' 400 "$G"'X\rY: a\r\n\r\n"'
vector 'DEL in name' 400 "$G"'X\x7fY: a\r\n\r\n"'
vector '0x80 in name' 400 "$G"'X\x80Y: a\r\n\r\n"'
vector 'LF NUL CR in value' 400 "$G"'Header: v\n\x00\ralue\r\n\r\n"'
vector 'NUL in value' 400 "$G"'Header: v\x00alue\r\n\r\n"'
vector 'empty header name' 400 "$G"': x\r\n\r\n"'
vector 'bare LF line ends' 400 'b"GET / HTTP/1.1\nHost: myapp.example.test\n\n"'
vector 'bare LF in request line' 400 'b"GET /\nHTTP/1.1\r\nHost: myapp.example.test\r\n\r\n"'
vector 'no Host' 400 'b"GET / HTTP/1.1\r\n\r\n"'
vector 'two Host' 400 "$G"'Host: other.example.test\r\n\r\n"'
vector 'Host: a, b' 400 'b"GET / HTTP/1.1\r\nHost: myapp.example.test, b\r\n\r\n"'
vector 'Host with userinfo' 400 'b"GET / HTTP/1.1\r\nHost: u@myapp.example.test\r\n\r\n"'
vector 'absolute-form vs Host' 400 'b"GET http://myapp.example.test/ HTTP/1.1\r\nHost: attacker\r\n\r\n"'
vector 'request line 8193 B' 414 'b"GET /" + b"a" * 8179 + b" HTTP/1.1\r\nHost: myapp.example.test\r\n\r\n"'
vector 'header 8193 B' 431 "$G"'X: " + b"v" * 8190 + b"\r\n\r\n"'
vector '101 headers' 431 "$G"'" + b"".join(b"X-%d: v\r\n" % i for i in range(100)) + b"\r\n"'
vector '64 KiB head' 431 "$G"'" + b"".join(b"X-%d: %s\r\n" % (i, b"v" * 8000) for i in range(9)) + b"\r\n"'
vector 'HTTP/1.32' 400 'b"GET / HTTP/1.32\r\nHost: myapp.example.test\r\n\r\n"'
vector 'HTTP/0.9 GET /' 400 'b"GET /\r\n"'
vector 'HTTP/2.0' 505 'b"GET / HTTP/2.0\r\nHost: myapp.example.test\r\n\r\n"'
vector 'CONNECT' 501 'b"CONNECT myapp.example.test:443 HTTP/1.1\r\nHost: myapp.example.test:443\r\n\r\n"'
vector 'TE gzip, chunked' 501 "$H"'Transfer-Encoding: gzip, chunked\r\n\r\n"'
vector 'body over --body-size' 413 "$H"'Content-Length: 2000000\r\n\r\n"'

# Response side: the backend misbehaves; the client gets 502 and none of it.
resp_vector() {
	test_expect "backend $1 -> 502" "
		python3 $RT/rawsend.py $RPORT 'b\"GET /$1 HTTP/1.1\\r\\nHost: myapp.example.test\\r\\n\\r\\n\"' >\$TRASH/resp &&
		head -1 \$TRASH/resp | grep -q '^502 closed' &&
		! grep -qi 'set-cookie' \$TRASH/resp && ! grep -q 'abcd' \$TRASH/resp
	"
}
: >"$REC"
resp_vector bad-clte
resp_vector bad-twocl
resp_vector bad-cr

test_expect 'the router is still serving' "
	python3 $RT/rawsend.py $RPORT 'b\"GET /echo HTTP/1.1\\r\\nHost: myapp.example.test\\r\\nConnection: close\\r\\n\\r\\n\"' | head -1 | grep -q '^200 closed'
"
test_expect 'rejections are logged as H25' "grep -q ' - 400 - .* - H25 - ' \$TRASH/router.log"
test_done
