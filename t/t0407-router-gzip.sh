#!/bin/sh
# deis-router: response compression (Deis's gzip settings): what is compressed,
# what is left alone, streaming, the flags.
. "$(dirname "$0")/test-lib.sh"

command -v python3 >/dev/null || test_skip_all "python3 missing"
command -v curl >/dev/null || test_skip_all "curl missing"
command -v gzip >/dev/null || test_skip_all "gzip missing"
[ -x "$BIN/deis-router" ] || test_skip_all "deis-router not built"

RT=$TOP/router/testing
B1=$(free_port); R1=$(free_port); R2=$(free_port); R3=$(free_port)
cat >"$TRASH/routes.json" <<JSON
{"version":1,"domain":"example.test","controller":[],
 "apps":{"myapp":{"endpoints":[{"addr":"127.0.0.1:$B1","container":"c1"}]}}}
JSON
bg_start b1 python3 "$RT/backend.py" "$B1" "$TRASH/b1.rec" b1
bg_start r1 deis-router --listen "127.0.0.1:$R1" --routes "$TRASH/routes.json" --workers 1
bg_start r2 deis-router --listen "127.0.0.1:$R2" --routes "$TRASH/routes.json" --workers 1 --gzip off
bg_start r3 deis-router --listen "127.0.0.1:$R3" --routes "$TRASH/routes.json" --workers 1 \
	--gzip-http-version 1.0 --gzip-proxied off --gzip-disable '^curl/' --gzip-min-length 10 \
	--gzip-types 'image/svg+xml' --gzip-level 9 --gzip-vary off
for p in $B1 $R1 $R2 $R3; do
	wait_for 10 "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $p))'" ||
		{ echo "Bail out! port $p did not open"; cat "$TRASH"/*.log; exit 1; }
done

H='Host: myapp.example.test'
# get PORT PATH [curl args]: headers in $TRASH/h, body in $TRASH/b
get() { port=$1; path=$2; shift 2; curl -s -H "$H" -D "$TRASH/h" -o "$TRASH/b" "$@" "http://127.0.0.1:$port$path"; }
hdr() { grep -qi "^$1" "$TRASH/h"; }

test_expect 'a text response is compressed and decompresses to the original' "
	get $R1 '/text?n=20000&etag=v1' -H 'Accept-Encoding: gzip, deflate' &&
	hdr 'Content-Encoding: gzip' && hdr 'Vary: Accept-Encoding' && hdr 'Transfer-Encoding: chunked' &&
	! hdr 'Content-Length' && hdr 'ETag: W/\"v1\"' &&
	gzip -dc \$TRASH/b >\$TRASH/plain && test \$(wc -c <\$TRASH/plain) = 20000 &&
	test \$(wc -c <\$TRASH/b) -lt 2000 &&
	curl -s -H '$H' http://127.0.0.1:$R1/text?n=20000 | cmp - \$TRASH/plain
"
test_expect 'without Accept-Encoding: as is, with Vary and a strong ETag' "
	get $R1 '/text?n=20000&etag=v1' && ! hdr 'Content-Encoding' && hdr 'Content-Length: 20000' &&
	hdr 'Vary: Accept-Encoding' && hdr 'ETag: \"v1\"'
"
test_expect 'gzip;q=0 and an unknown coding are not compressed' "
	get $R1 '/text?n=20000' -H 'Accept-Encoding: gzip;q=0, *' && ! hdr 'Content-Encoding' &&
	hdr 'Content-Length: 20000' &&
	get $R1 '/text?n=20000' -H 'Accept-Encoding: br' && ! hdr 'Content-Encoding'
"
test_expect '* in Accept-Encoding admits gzip' "
	get $R1 '/text?n=2000' -H 'Accept-Encoding: *' && hdr 'Content-Encoding: gzip'
"
test_expect 'a body under --gzip-min-length (256) is not compressed' "
	get $R1 '/text?n=255' -H 'Accept-Encoding: gzip' && ! hdr 'Content-Encoding' &&
	hdr 'Content-Length: 255' && test \$(wc -c <\$TRASH/b) = 255 &&
	get $R1 '/text?n=256' -H 'Accept-Encoding: gzip' && hdr 'Content-Encoding: gzip'
"
test_expect 'HEAD is not compressed' "
	get $R1 '/text?n=20000' -I -H 'Accept-Encoding: gzip' && ! hdr 'Content-Encoding' &&
	hdr 'Content-Length: 20000'
"
test_expect 'types outside the list, parameters, text/html always' "
	get $R1 '/text?n=2000&type=image/png' -H 'Accept-Encoding: gzip' && ! hdr 'Content-Encoding' && ! hdr 'Vary' &&
	get $R1 '/text?n=2000&type=Application/JSON%3B%20charset=utf-8' -H 'Accept-Encoding: gzip' && hdr 'Content-Encoding: gzip' &&
	get $R1 '/text?n=2000&type=text/html' -H 'Accept-Encoding: gzip' && hdr 'Content-Encoding: gzip'
"
test_expect 'a response already encoded is left alone' "
	get $R1 '/text?n=2000&enc=br' -H 'Accept-Encoding: gzip' && hdr 'Content-Encoding: br' &&
	! hdr 'Content-Encoding: gzip' && hdr 'Content-Length: 2000'
"
test_expect 'HTTP/1.0 is not compressed by default; MSIE 6 is not' "
	get $R1 '/text?n=2000' -0 -H 'Accept-Encoding: gzip' && ! hdr 'Content-Encoding' &&
	get $R1 '/text?n=2000' -H 'Accept-Encoding: gzip' -A 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.0)' && ! hdr 'Content-Encoding' &&
	get $R1 '/text?n=2000' -H 'Accept-Encoding: gzip' -A 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)' && hdr 'Content-Encoding: gzip'
"
test_expect 'a chunked backend response is compressed; keep-alive goes on' "
	curl -s -H '$H' 'http://127.0.0.1:$R1/text?n=30000' >\$TRASH/plain30 &&
	curl -sv -H '$H' -H 'Accept-Encoding: gzip' -o \$TRASH/c1 'http://127.0.0.1:$R1/text?n=30000&nolen=1' \
		-o \$TRASH/c2 'http://127.0.0.1:$R1/text?n=30000' 2>\$TRASH/v &&
	grep -q 'Re-using existing connection' \$TRASH/v &&
	gzip -dc \$TRASH/c1 | cmp - \$TRASH/plain30 && gzip -dc \$TRASH/c2 | cmp - \$TRASH/plain30
"
test_expect 'a 4 MiB body is streamed through deflate intact' "
	curl -s -H '$H' 'http://127.0.0.1:$R1/text?n=4194304' >\$TRASH/plain4m &&
	get $R1 '/text?n=4194304' -H 'Accept-Encoding: gzip' && hdr 'Content-Encoding: gzip' &&
	gzip -dc \$TRASH/b | cmp - \$TRASH/plain4m
"
test_expect 'a slow streamed response is compressed incrementally' "
	python3 - $R1 <<'PY'
import socket, sys, time, zlib
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
t0 = time.time()
s.sendall(b'GET /stream?parts=4&ms=700&size=3000 HTTP/1.1\r\nHost: myapp.example.test\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n')
data, first_plain = b'', None
d = zlib.decompressobj(31)
head_done, body = False, b''
plain = b''
while True:
    x = s.recv(65536)
    if not x:
        break
    data += x
    if not head_done and b'\r\n\r\n' in data:
        head, data = data.split(b'\r\n\r\n', 1)
        assert b'Content-Encoding: gzip' in head, head
        head_done = True
    # de-chunk what is complete
    while head_done and b'\r\n' in data:
        size_line, rest = data.split(b'\r\n', 1)
        n = int(size_line, 16)
        if len(rest) < n + 2:
            break
        plain += d.decompress(rest[:n])
        data = rest[n + 2:]
        if first_plain is None and b'part 0' in plain:
            first_plain = time.time() - t0
total = time.time() - t0
assert plain == b''.join(((b'part %d ' % i) * 3000)[:3000] for i in range(4)), len(plain)
print('first plain bytes after %.2fs, total %.2fs' % (first_plain, total))
sys.exit(0 if first_plain < 0.6 and total > 2.0 else 1)
PY
"
test_expect '--gzip off: never compressed, no Vary' "
	get $R2 '/text?n=20000' -H 'Accept-Encoding: gzip' && ! hdr 'Content-Encoding' && ! hdr 'Vary' &&
	hdr 'Content-Length: 20000'
"
test_expect 'the other flags: types, min length, 1.0, proxied off, disable regex, vary off' "
	get $R3 '/text?n=20&type=image/svg+xml' -H 'Accept-Encoding: gzip' -A x && hdr 'Content-Encoding: gzip' &&
	! hdr 'Vary' &&
	get $R3 '/text?n=2000' -H 'Accept-Encoding: gzip' -A x && ! hdr 'Content-Encoding' &&
	get $R3 '/text?n=2000&type=text/html' -H 'Accept-Encoding: gzip' -A curl/8 && ! hdr 'Content-Encoding' &&
	get $R3 '/text?n=2000&type=text/html' -H 'Accept-Encoding: gzip' -A x -H 'Via: 1.1 lb' && ! hdr 'Content-Encoding' &&
	python3 $RT/rawsend.py $R3 'b\"GET /text?n=5000&type=text/html HTTP/1.0\\r\\nHost: myapp.example.test\\r\\nAccept-Encoding: gzip\\r\\n\\r\\n\"' >\$TRASH/r10 &&
	head -1 \$TRASH/r10 | grep -q '^200 closed' && grep -q 'Content-Encoding: gzip' \$TRASH/r10 &&
	! grep -qi 'Transfer-Encoding' \$TRASH/r10 && ! grep -qi 'Content-Length' \$TRASH/r10
"
test_expect 'bad gzip flag values exit 100 with a message' "
	for f in '--gzip yes' '--gzip-level 0' '--gzip-level 10' '--gzip-min-length x' '--gzip-types text' \
	    '--gzip-disable (' '--gzip-http-version 2.0' '--gzip-proxied expired' '--gzip-vary 1'; do
		deis-router --listen 127.0.0.1:0 \$f 2>\$TRASH/err; rc=\$?
		test \$rc = 100 && grep -q 'bad value for' \$TRASH/err || { echo \"\$f: \$rc\"; cat \$TRASH/err; exit 1; }
	done
"
test_done
