#!/bin/sh
# deis-router: --proxy-protocol (v1 and v2 headers, required, strict, before
# TLS) and --real-ip-from (the client address from a trusted balancer's PROXY
# header or X-Forwarded-For), seen in X-Forwarded-For, the whitelist and the
# access log.
. "$(dirname "$0")/test-lib.sh"

command -v python3 >/dev/null || test_skip_all "python3 missing"
command -v openssl >/dev/null || test_skip_all "openssl missing"
[ -x "$BIN/deis-router" ] || test_skip_all "deis-router not built"

RT=$TOP/router/testing
B1=$(free_port); RA=$(free_port); SA=$(free_port); HA=$(free_port); TA=$(free_port)
RB=$(free_port); RC=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=example.test \
	-keyout "$TRASH/k.pem" -out "$TRASH/c.pem" 2>/dev/null || { echo "Bail out! openssl"; exit 1; }
cat >"$TRASH/routes.json" <<JSON
{"version":1,"domain":"example.test","controller":[],"builder":"127.0.0.1:$B1",
 "apps":{"myapp":{"endpoints":[{"addr":"127.0.0.1:$B1","container":"c1"}]},
         "private":{"endpoints":[{"addr":"127.0.0.1:$B1","container":"c1"}],"whitelist":["203.0.113.0/24"]}}}
JSON
bg_start b1 python3 "$RT/backend.py" "$B1" "$TRASH/b1.rec" b1
# A: PROXY protocol from a trusted balancer (loopback); B: from an untrusted one
# (by default no peer is); C: no PROXY protocol, X-Forwarded-* from loopback trusted.
bg_start ra deis-router --listen "127.0.0.1:$RA" --tls-listen "127.0.0.1:$SA" --health-listen "127.0.0.1:$HA" \
	--tcp-listen "127.0.0.1:$TA" --tls-cert "$TRASH/c.pem" --tls-key "$TRASH/k.pem" \
	--routes "$TRASH/routes.json" --workers 1 --proxy-protocol --real-ip-from '192.0.2.0/24, 127.0.0.0/8' \
	--header-timeout 1
bg_start rb deis-router --listen "127.0.0.1:$RB" --routes "$TRASH/routes.json" --workers 1 --proxy-protocol
bg_start rc deis-router --listen "127.0.0.1:$RC" --routes "$TRASH/routes.json" --workers 1 --real-ip-from 127.0.0.1/32
for p in $B1 $RA $HA $RB $RC; do
	wait_for 10 "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $p))'" ||
		{ echo "Bail out! port $p did not open"; cat "$TRASH"/*.log; exit 1; }
done

cat >"$TRASH/pp.py" <<'PY'
# pp.py PORT HEADER_EXPR [HOST] [tls] [split]: send a PROXY header (a Python bytes
# expression), then a GET /echo; print the status and the response body.
import socket, ssl, struct, sys, time
port, expr = int(sys.argv[1]), sys.argv[2]
host = sys.argv[3] if len(sys.argv) > 3 else "myapp.example.test"
mode = sys.argv[4] if len(sys.argv) > 4 else ""
def v2(cmd, fam, addr):
    return b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x20 | cmd, fam]) + struct.pack("!H", len(addr)) + addr
def v4(src, dst, sp, dp):
    return socket.inet_pton(socket.AF_INET, src) + socket.inet_pton(socket.AF_INET, dst) + struct.pack("!HH", sp, dp)
def v6(src, dst, sp, dp):
    return socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) + struct.pack("!HH", sp, dp)
hdr = eval(expr, {"v2": v2, "v4": v4, "v6": v6})
s = socket.create_connection(("127.0.0.1", port), timeout=5)
if mode == "split":
    for i in range(len(hdr)):
        s.sendall(hdr[i:i + 1]); time.sleep(0.01)
else:
    s.sendall(hdr)
req = ("GET /echo HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % host).encode()
data = b""
try:
    if mode == "tls":
        ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s, server_hostname=host)
    s.sendall(req)
    while True:
        d = s.recv(65536)
        if not d: break
        data += d
except (OSError, ssl.SSLError):
    pass
print(data[9:12].decode() if data.startswith(b"HTTP/1.") else "000")
sys.stdout.write(data.decode("latin-1"))
PY
pp() { python3 "$TRASH/pp.py" "$@"; }
xff() { grep -q "\"X-Forwarded-For\", \"$1\""; }

test_expect 'v1 TCP4: the header address is the client (X-Forwarded-For, access log)' "
	pp $RA 'b\"PROXY TCP4 203.0.113.9 192.0.2.1 5555 80\\r\\n\"' >out && head -1 out | grep -qx 200 &&
	xff 203.0.113.9 <out &&
	wait_for 5 'grep -q \"^\\[.*\\] - 203.0.113.9 - .*GET /echo\" \$TRASH/ra.log'
"
test_expect 'v1 TCP6 and v2 TCP4/TCP6' "
	pp $RA 'b\"PROXY TCP6 2001:db8::7 2001:db8::1 5555 443\\r\\n\"' | xff 2001:db8::7 &&
	pp $RA 'v2(1, 0x11, v4(\"203.0.113.10\", \"192.0.2.1\", 1234, 80))' | xff 203.0.113.10 &&
	pp $RA 'v2(1, 0x21, v6(\"2001:db8::8\", \"2001:db8::1\", 1234, 80) + b\"\\x04\\x00\\x01x\")' | xff 2001:db8::8
"
test_expect 'PROXY UNKNOWN and v2 LOCAL keep the socket address' "
	pp $RA 'b\"PROXY UNKNOWN\\r\\n\"' | xff 127.0.0.1 &&
	pp $RA 'b\"PROXY UNKNOWN ffff::1 ffff::2 1 2\\r\\n\"' | xff 127.0.0.1 &&
	pp $RA 'v2(0, 0x00, b\"\")' | xff 127.0.0.1 &&
	pp $RA 'v2(0, 0x11, v4(\"203.0.113.11\", \"192.0.2.1\", 1, 2))' | xff 127.0.0.1
"
test_expect 'a header sent byte by byte is read' "
	pp $RA 'b\"PROXY TCP4 203.0.113.12 192.0.2.1 5555 80\\r\\n\"' myapp.example.test split | xff 203.0.113.12 &&
	pp $RA 'v2(1, 0x11, v4(\"203.0.113.13\", \"192.0.2.1\", 1, 2))' myapp.example.test split | xff 203.0.113.13
"
test_expect 'no header or a bad one: closed, nothing forwarded' "
	: >\$TRASH/b1.rec &&
	for h in 'b\"\"' 'b\"PROXY TCP4 203.0.113.9 192.0.2.1 5555\\r\\n\"' 'b\"PROXY TCP4 203.0.113 192.0.2.1 1 2\\r\\n\"' \
	    'b\"PROXY TCP5 1.2.3.4 1.2.3.4 1 2\\r\\n\"' 'b\"PROXY TCP4 1.2.3.4  1.2.3.4 1 2\\r\\n\"' \
	    'b\"PROXY TCP4 1.2.3.4 1.2.3.4 1 65536\\r\\n\"' 'b\"PROXY TCP4 1.2.3.4 1.2.3.4 01 2\\r\\n\"' \
	    'b\"PROXY TCP4 1.2.3.4 1.2.3.4 1 2\\n\"' 'b\"PROXY TCP4 ::1 ::1 1 2\\r\\n\"' 'b\"proxy TCP4 1.2.3.4 1.2.3.4 1 2\\r\\n\"' \
	    'b\"PROXY \" + b\"A\" * 120' 'v2(1, 0x11, b\"\\x01\\x02\")' 'b\"\\r\\n\\r\\n\\x00\\r\\nQUIT\\n\\x31\\x11\\x00\\x0c\" + b\"x\" * 12' \
	    'v2(2, 0x11, v4(\"1.2.3.4\", \"1.2.3.4\", 1, 2))' 'v2(1, 0x41, b\"\")' 'b\"\\r\\n\\r\\n\\x00\\r\\nQUIT\\n\\x21\\x11\\xff\\xff\"'; do
		out=\$(pp $RA \"\$h\" | head -1); test \"\$out\" = 000 || { echo \"\$h: \$out\"; exit 1; }
	done &&
	test ! -s \$TRASH/b1.rec
"
test_expect 'an incomplete header is closed at the header timeout' "
	python3 -c '
import socket, time, sys
s = socket.create_connection((\"127.0.0.1\", $RA), timeout=5)
s.sendall(b\"PROXY TCP4 1.2.3.4\")
t = time.time()
d = s.recv(100)
sys.exit(0 if d == b\"\" and 0.5 < time.time() - t < 3 else 1)'
"
test_expect 'the whitelist is decided on the PROXY address' "
	pp $RA 'b\"PROXY TCP4 203.0.113.9 192.0.2.1 5555 80\\r\\n\"' private.example.test | head -1 | grep -qx 200 &&
	pp $RA 'b\"PROXY TCP4 198.51.100.1 192.0.2.1 5555 80\\r\\n\"' private.example.test | head -1 | grep -qx 403
"
test_expect 'TLS after the header' "
	pp $SA 'b\"PROXY TCP4 203.0.113.20 192.0.2.1 5555 443\\r\\n\"' myapp.example.test tls >out &&
	head -1 out | grep -qx 200 && xff 203.0.113.20 <out && grep -q '\"X-Forwarded-Proto\", \"https\"' out &&
	test \$(pp $SA 'b\"\"' myapp.example.test tls | head -1) = 000
"
test_expect 'the health listener and TCP 2222 take no header' "
	curl -sf http://127.0.0.1:$HA/health-check | grep -qx OK &&
	python3 $RT/rawsend.py $TA 'b\"GET /echo HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n\"' | head -1 | grep -q '^200'
"
test_expect 'a balancer outside --real-ip-from (default: none): header required, address not trusted' "
	pp $RB 'b\"PROXY TCP4 203.0.113.9 192.0.2.1 5555 80\\r\\n\"' >out && head -1 out | grep -qx 200 && xff 127.0.0.1 <out &&
	test \$(pp $RB 'b\"\"' | head -1) = 000
"
test_expect '--real-ip-from without PROXY: the last X-Forwarded-For address from a trusted peer' "
	python3 $RT/rawsend.py $RC 'b\"GET /echo HTTP/1.1\\r\\nHost: private.example.test\\r\\nX-Forwarded-For: 198.51.100.1, 203.0.113.7\\r\\nConnection: close\\r\\n\\r\\n\"' >out &&
	head -1 out | grep -q '^200' && xff '198.51.100.1, 203.0.113.7, 203.0.113.7' <out &&
	python3 $RT/rawsend.py $RC 'b\"GET /echo HTTP/1.1\\r\\nHost: private.example.test\\r\\nX-Forwarded-For: 203.0.113.7, 198.51.100.1\\r\\nConnection: close\\r\\n\\r\\n\"' | head -1 | grep -q '^403' &&
	python3 $RT/rawsend.py $RC 'b\"GET /echo HTTP/1.1\\r\\nHost: myapp.example.test\\r\\nX-Forwarded-For: junk\\r\\nConnection: close\\r\\n\\r\\n\"' | xff 'junk, 127.0.0.1' &&
	python3 $RT/rawsend.py $RB 'b\"PROXY UNKNOWN\\r\\nGET /echo HTTP/1.1\\r\\nHost: myapp.example.test\\r\\nX-Forwarded-For: 203.0.113.7\\r\\nConnection: close\\r\\n\\r\\n\"' | xff '127.0.0.1'
"
test_expect 'X-Forwarded-Proto from a trusted peer is passed on; a client'"'"'s chain behind PROXY is not' "
	python3 $RT/rawsend.py $RC 'b\"GET /echo HTTP/1.1\\r\\nHost: myapp.example.test\\r\\nX-Forwarded-Proto: https\\r\\nConnection: close\\r\\n\\r\\n\"' |
		grep -q '\"X-Forwarded-Proto\", \"https\"' &&
	python3 $RT/rawsend.py $RA 'b\"PROXY TCP4 203.0.113.9 192.0.2.1 5555 80\\r\\nGET /echo HTTP/1.1\\r\\nHost: myapp.example.test\\r\\nX-Forwarded-For: 6.6.6.6\\r\\nConnection: close\\r\\n\\r\\n\"' | xff 203.0.113.9
"
test_expect 'bad --real-ip-from exits 100' "
	deis-router --listen 127.0.0.1:0 --real-ip-from 10.0.0.0/33 2>err; test \$? = 100 && grep -q 'bad value for --real-ip-from' err &&
	deis-router --listen 127.0.0.1:0 --real-ip-from 'x' 2>err; test \$? = 100
"
test_done
