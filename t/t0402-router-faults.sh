#!/bin/sh
# deis-router under faults: refused connects retried on another endpoint and
# quarantined, first-byte/header/keep-alive timeouts, backends that reset or
# vanish, stale pooled connections, route table swaps under load, a killed
# worker, the TCP passthrough, graceful stop.
. "$(dirname "$0")/test-lib.sh"

command -v python3 >/dev/null || test_skip_all "python3 missing"
command -v curl >/dev/null || test_skip_all "curl missing"
[ -x "$BIN/deis-router" ] || test_skip_all "deis-router not built"

RT=$TOP/router/testing
B1=$(free_port); B2=$(free_port); DEAD=$(free_port)
RPORT=$(free_port); TPORT=$(free_port)
routes() {
	cat >"$TRASH/routes.json.new" <<JSON
{"version":$1,"domain":"example.test","controller":[],"builder":"127.0.0.1:$B1",
 "apps":{"retry":{"endpoints":[{"addr":"127.0.0.1:$DEAD","container":"d"},
                               {"addr":"127.0.0.1:$B1","container":"c1"}]},
         "down":{"endpoints":[{"addr":"127.0.0.1:$DEAD","container":"d"}]},
         "slow":{"endpoints":[{"addr":"127.0.0.1:$B1","container":"c1"}],"timeout":1},
         "two":{"endpoints":[{"addr":"127.0.0.1:$B2","container":"c2"}]}$2}}
JSON
	mv "$TRASH/routes.json.new" "$TRASH/routes.json"
}
routes 1 ''
bg_start b1 python3 "$RT/backend.py" "$B1" "$TRASH/b1.rec" b1
bg_start b2 python3 "$RT/backend.py" "$B2" "$TRASH/b2.rec" b2
bg_start router deis-router --listen "127.0.0.1:$RPORT" --tcp-listen "127.0.0.1:$TPORT" \
	--routes "$TRASH/routes.json" --workers 2 --header-timeout 1 --keepalive-timeout 2
wait_for 10 "curl -sf -H 'Host: x' http://127.0.0.1:$RPORT/health-check" ||
	{ echo "Bail out! router did not start"; cat "$TRASH/router.log"; exit 1; }
for p in $B1 $B2; do wait_for 10 "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $p))'"; done

U=http://127.0.0.1:$RPORT
code() { curl -s -o /dev/null -w '%{http_code}' -H "Host: $1.example.test" "$U$2"; }
raw() { python3 "$RT/rawsend.py" "$RPORT" "$@"; }

test_expect 'refused connect is retried on another endpoint and quarantined' "
	for i in 1 2 3 4 5 6; do test \$(code retry /echo) = 200 || exit 1; done &&
	grep -q \"backend '127.0.0.1:$DEAD/d' quarantined\" \$TRASH/router.log
"
test_expect 'all endpoints refusing gives 503 (H21)' "
	test \$(code down /echo) = 503 && sleep 0.3 && grep -q ' - 503 - .* - H21 - ' \$TRASH/router.log
"
test_expect 'first-byte timeout (per-app timeout 1 s) gives 504 (H12)' "
	start=\$(date +%s) && test \$(code slow /hang) = 504 && test \$((\$(date +%s) - start)) -le 3 &&
	sleep 0.3 && grep -q ' - 504 - .* - H12 - ' \$TRASH/router.log
"
test_expect 'backend closing without an answer gives 502 (H13)' "test \$(code slow /reset) = 502"
# An endpoint that dies with a request in flight (its container killed): an
# idempotent request without a body is sent to another endpoint, as nginx's
# proxy_next_upstream does by default; a POST is not (it may have been acted on).
RST=$(free_port)
bg_start rst python3 -c '
import socket, struct, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
while True:
    c, _ = s.accept(); c.recv(65536)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); c.close()
' $RST
wait_for 10 "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $RST))'"
test_expect 'a GET reset by one endpoint before any answer goes to another; a POST does not' "
	routes 2 ',\"flaky\":{\"endpoints\":[{\"addr\":\"127.0.0.1:$RST\",\"container\":\"r\"},{\"addr\":\"127.0.0.1:$B1\",\"container\":\"c1\"}]}' &&
	kill -HUP \$PID_router && wait_for 5 'test \$(code flaky /echo) = 200' &&
	for i in 1 2 3 4 5 6 7 8 9 10; do test \$(code flaky /echo) = 200 || exit 1; done &&
	n502=0 && for i in 1 2 3 4 5 6 7 8 9 10; do
		c=\$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: flaky.example.test' -d x=1 $U/echo)
		[ \$c != 502 ] || n502=\$((n502 + 1))
	done && echo \"POSTs answered 502: \$n502 of 10\" && test \$n502 -gt 0
"
# A POST without a body that goes out on a pooled keep-alive connection, whose backend
# reads it and closes without answering: 502, and the backend got it once (issue 15; it
# was sent again on a new connection, since a reused one might just have been stale).
test_expect 'a POST on a reused connection closed without an answer reaches the backend once' "
	c=\$(curl -s -o /dev/null -w '%{http_code} ' -H 'Host: slow.example.test' $U/echo \\
		--next -s -o /dev/null -w '%{http_code}' -X POST -H 'Host: slow.example.test' $U/reset?once=\$\$) &&
	echo \"answers: \$c; the backend got it \$(grep -c \"^POST /reset?once=\$\$ \" \$TRASH/b1.rec) time(s)\" &&
	test \"\$c\" = '200 502' && test \$(grep -ac \"^POST /reset?once=\$\$ \" \$TRASH/b1.rec) = 1
"
test_expect '502 and 504 pages: standard reason, the code in X-Router-Code' "
	curl -s -D h502 -o b502 -H 'Host: slow.example.test' http://127.0.0.1:\$RPORT/reset &&
	head -n 1 h502 | grep -q '^HTTP/1.1 502 Bad Gateway' && grep -q '<h1>502 Bad Gateway</h1>' b502 &&
	grep -qi '^X-Router-Code: H13' h502 &&
	curl -s -D h504 -o b504 -H 'Host: slow.example.test' http://127.0.0.1:\$RPORT/hang &&
	head -n 1 h504 | grep -q '^HTTP/1.1 504 Gateway Timeout' && grep -q '<h1>504 Gateway Timeout</h1>' b504 &&
	grep -qi '^X-Router-Code: H12' h504
"
test_expect 'slow client head gets 408 after the header timeout' "
	python3 -c '
import socket, sys, time
s = socket.create_connection((\"127.0.0.1\", $RPORT), timeout=5)
s.sendall(b\"GET / HTTP/1.1\\r\\nHost: slow.exa\")
t = time.time(); d = b\"\"
while True:
    x = s.recv(4096)
    if not x: break
    d += x
sys.exit(0 if d.startswith(b\"HTTP/1.1 408\") and time.time() - t < 3 else 1)'
"
test_expect 'a body trickling under the minimum rate gets 408 (H28)' "
	python3 -c '
import socket, sys, time
s = socket.create_connection((\"127.0.0.1\", $RPORT), timeout=8)
s.sendall(b\"POST /echo HTTP/1.1\\r\\nHost: slow.example.test\\r\\nContent-Length: 100000\\r\\n\\r\\n\")
t = time.time(); d = b\"\"
try:
    while time.time() - t < 6:
        s.sendall(b\"x\" * 10); time.sleep(0.3)
        s.setblocking(False)
        try:
            d += s.recv(4096)
        except BlockingIOError:
            pass
        s.setblocking(True)
        if d: break
except OSError:
    pass
sys.exit(0 if d.startswith(b\"HTTP/1.1 408\") else 1)'
"
test_expect 'a steady upload is not cut by the minimum rate' "
	python3 -c '
import socket, sys, time
s = socket.create_connection((\"127.0.0.1\", $RPORT), timeout=8)
s.sendall(b\"POST /echo HTTP/1.1\\r\\nHost: slow.example.test\\r\\nContent-Length: 30000\\r\\nConnection: close\\r\\n\\r\\n\")
for i in range(15):
    s.sendall(b\"y\" * 2000); time.sleep(0.1)
d = b\"\"
while True:
    x = s.recv(65536)
    if not x: break
    d += x
sys.exit(0 if d.startswith(b\"HTTP/1.1 200\") else 1)'
"
test_expect 'idle keep-alive connection is closed after the keep-alive timeout' "
	python3 -c '
import socket, sys, time
s = socket.create_connection((\"127.0.0.1\", $RPORT), timeout=6)
s.sendall(b\"GET /echo HTTP/1.1\\r\\nHost: slow.example.test\\r\\n\\r\\n\")
d = s.recv(65536); assert d.startswith(b\"HTTP/1.1 200\"), d
t = time.time()
while s.recv(4096): pass
sys.exit(0 if 1 < time.time() - t < 5 else 1)'
"
# Restart b2 on the same port: the router's pooled connection to it is now dead.
code two /echo >/dev/null
kill $PID_b2
sleep 0.3
bg_start b2new python3 "$RT/backend.py" "$B2" "$TRASH/b2.rec" b2
wait_for 10 "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $B2))'"
test_expect 'a pooled connection closed by a restarted backend is retried' "
	for i in 1 2 3 4; do test \$(code two /echo) = 200 || exit 1; done
"
test_expect 'a new table (snapshot + SIGHUP) is applied without a restart' "
	test \$(code fresh /echo) = 404 &&
	routes 2 ',\"fresh\":{\"endpoints\":[{\"addr\":\"127.0.0.1:$B1\",\"container\":\"c1\"}]}' &&
	kill -HUP \$PID_router && wait_for 5 'test \$(code fresh /echo) = 200'
"
test_expect 'an invalid table is refused and the last one kept' "
	echo '{not json' >\$TRASH/routes.json && kill -HUP \$PID_router && sleep 0.5 &&
	test \$(code fresh /echo) = 200 && grep -q 'keeping the current routes' \$TRASH/router.log
"
test_expect 'no failed request while the table changes 10 times a second' "
	python3 -c '
import http.client, sys, threading, time
errors, done = [], []
def load():
    c = http.client.HTTPConnection(\"127.0.0.1\", $RPORT, timeout=5)
    for i in range(300):
        try:
            c.request(\"GET\", \"/echo\", headers={\"Host\": \"fresh.example.test\"})
            r = c.getresponse(); r.read()
            if r.status != 200: errors.append(r.status)
        except Exception as e:
            errors.append(repr(e)); c = http.client.HTTPConnection(\"127.0.0.1\", $RPORT, timeout=5)
    done.append(1)
ts = [threading.Thread(target=load) for _ in range(4)]
[t.start() for t in ts]
[t.join() for t in ts]
print(errors[:5]); sys.exit(1 if errors else 0)' &
	LOAD=\$! &&
	for v in 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		routes \$v ',\"fresh\":{\"endpoints\":[{\"addr\":\"127.0.0.1:$B1\",\"container\":\"c1\"}]}'
		kill -HUP \$PID_router; sleep 0.1
	done &&
	wait \$LOAD
"
test_expect 'a killed worker is replaced' "
	w=\$(ps -o pid= --ppid \$PID_router | head -1) && test -n \"\$w\" && kill -9 \$w &&
	sleep 1.5 && test \$(ps -o pid= --ppid \$PID_router | wc -l) = 2 &&
	for i in 1 2 3 4; do test \$(code fresh /echo) = 200 || exit 1; done
"
# The listening sockets are the parent's: connections the kernel queued for a
# worker that dies are served by its replacement, not reset. A stopped worker
# lets its queue fill; then it is killed.
test_expect 'connections queued for a worker that dies are served by its replacement' "
	w=\$(ps -o pid= --ppid \$PID_router | head -1) && test -n \"\$w\" && kill -STOP \$w &&
	python3 -c '
import http.client, sys, threading
res = []
def one():
    try:
        c = http.client.HTTPConnection(\"127.0.0.1\", $RPORT, timeout=10)
        c.request(\"GET\", \"/echo\", headers={\"Host\": \"fresh.example.test\", \"Connection\": \"close\"})
        res.append(c.getresponse().status)
    except Exception as e:
        res.append(repr(e))
ts = [threading.Thread(target=one) for _ in range(40)]
[t.start() for t in ts]
import time, os; time.sleep(1); os.kill(int(sys.argv[1]), 9)
[t.join() for t in ts]
bad = [r for r in res if r != 200]
print(\"%d of %d failed: %s\" % (len(bad), len(res), bad[:3])); sys.exit(1 if bad else 0)' \$w
"
test_expect 'TCP passthrough (2222) reaches the builder' "
	python3 $RT/rawsend.py $TPORT 'b\"GET /echo HTTP/1.1\\r\\nHost: builder\\r\\nConnection: close\\r\\n\\r\\n\"' >\$TRASH/tcp &&
	grep -q '\"Host\", \"builder\"' \$TRASH/tcp && ! grep -q X-Forwarded \$TRASH/tcp
"
test_expect 'SIGTERM drains: a request in flight completes, then the router exits' "
	curl -s -o \$TRASH/drain -w '%{http_code}' -H 'Host: fresh.example.test' '$U/slow?ms=1500' >\$TRASH/drain.code &
	CURL=\$! && sleep 0.5 && kill \$PID_router && wait \$CURL &&
	test \$(cat \$TRASH/drain.code) = 200 && grep -q '\"name\": \"b1\"' \$TRASH/drain &&
	wait_for 15 '! kill -0 \$PID_router' &&
	! curl -s -o /dev/null -H 'Host: fresh.example.test' $U/echo
"
# The controller's route has its own timeouts (Deis's controller/timeout/*): a deploy that takes
# longer than an app may gets the controller's answer, not the router's 504.
R2=$(free_port)
cat >"$TRASH/routes2.json" <<JSON
{"version":1,"domain":"example.test","controller":["127.0.0.1:$B1"],
 "apps":{"quick":{"endpoints":[{"addr":"127.0.0.1:$B1","container":"c1"}]}}}
JSON
bg_start router2 deis-router --listen "127.0.0.1:$R2" --routes "$TRASH/routes2.json" --workers 1 \
	--first-byte-timeout 1 --controller-read-timeout 4s
wait_for 10 "curl -sf -H 'Host: x' http://127.0.0.1:$R2/health-check" ||
	{ echo "Bail out! router2 did not start"; cat "$TRASH/router2.log"; exit 1; }
test_expect 'the controller waits its own read timeout; an app its first-byte timeout' "
	test \$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: deis.example.test' 'http://127.0.0.1:$R2/slow?ms=2500') = 200 &&
	test \$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: quick.example.test' 'http://127.0.0.1:$R2/slow?ms=2500') = 504 &&
	curl -s -D h2 -o /dev/null -H 'Host: deis.example.test' http://127.0.0.1:$R2/hang &&
	head -n 1 h2 | grep -q '^HTTP/1.1 504' && grep -qi '^X-Router-Code: H12' h2
"
test_expect 'durations take nginx units; a bad one exits 100' "
	deis-router --listen 127.0.0.1:0 --controller-read-timeout 20x 2>err; test \$? = 100 &&
	grep -q 'bad duration' err
"
test_done
