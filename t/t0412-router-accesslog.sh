#!/bin/sh
# deis-router's access log to a file, rotated by size by the workers themselves
# (--access-log-max-size, --access-log-max-files): whole lines, none lost while
# the files kept hold them, at most the files asked for; bad values exit 100.
. "$(dirname "$0")/test-lib.sh"

command -v python3 >/dev/null || test_skip_all "python3 missing"
command -v curl >/dev/null || test_skip_all "curl missing"
[ -x "$BIN/deis-router" ] || test_skip_all "deis-router not built"

RT=$TOP/router/testing
B1=$(free_port); R1=$(free_port); R2=$(free_port)
cat >"$TRASH/routes.json" <<JSON
{"version":1,"domain":"example.test","controller":[],
 "apps":{"myapp":{"endpoints":[{"addr":"127.0.0.1:$B1","container":"c1"}]}}}
JSON
mkdir "$TRASH/all" "$TRASH/few"
bg_start b1 python3 "$RT/backend.py" "$B1" "$TRASH/b1.rec" b1
# room for every line (1000 requests of ~200 bytes in 50 files of 8 KiB)
bg_start r1 deis-router --listen "127.0.0.1:$R1" --routes "$TRASH/routes.json" --workers 2 \
	--access-log "$TRASH/all/access.log" --access-log-max-size 8k --access-log-max-files 50
# 3 files of 8 KiB: the oldest lines go
bg_start r2 deis-router --listen "127.0.0.1:$R2" --routes "$TRASH/routes.json" --workers 2 \
	--access-log "$TRASH/few/access.log" --access-log-max-size 8k --access-log-max-files 3
for p in $B1 $R1 $R2; do
	wait_for 10 "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $p))'" ||
		{ echo "Bail out! port $p did not open"; cat "$TRASH"/*.log; exit 1; }
done

# load PORT: CLIENTS (4) clients x N (250) keep-alive requests at once, /echo?c=C&n=N, C from C0 (0)
load() {
	timeout 120 python3 - "$1" "${CLIENTS:-4}" "${N:-250}" "${C0:-0}" <<'PY'
import http.client, sys, threading
port, clients, count, c0 = (int(x) for x in sys.argv[1:5])
bad = []
def client(c):
    h = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for n in range(count):
        h.request("GET", "/echo?c=%d&n=%d" % (c, n), headers={"Host": "myapp.example.test"})
        r = h.getresponse()
        r.read()
        if r.status != 200:
            bad.append(r.status)
ts = [threading.Thread(target=client, args=(c0 + c,)) for c in range(clients)]
[t.start() for t in ts]
[t.join() for t in ts]
sys.exit(1 if bad else 0)
PY
}

# check DIR MAXFILES: every line whole; prints how many times each request is logged, sorted
check() {
	python3 - "$1" "$2" <<'PY'
import os, re, sys
d, maxfiles = sys.argv[1], int(sys.argv[2])
names = sorted(os.listdir(d))
assert len(names) <= maxfiles, names
line = re.compile(r'^\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] - 127\.0\.0\.1 - - - 200 - "GET /echo\?c=(\d)&n=(\d+) HTTP/1\.1" - \d+ - "-" - "[^"]*" - "myapp" - 127\.0\.0\.1:\d+ - myapp\.example\.test - [\d.]+ - [\d.]+ - - - [0-9a-f]+\n$')
seen = {}
for n in names:
    data = open(os.path.join(d, n)).read()
    # the rotation's bound: the size, plus what the 2 workers had in flight at once
    assert len(data) <= 8192 + 2 * 65536, (n, len(data))
    for l in data.splitlines(True):
        m = line.match(l)
        assert m, (n, l)
        k = (int(m.group(1)), int(m.group(2)))
        seen[k] = seen.get(k, 0) + 1
print(len(names), len(seen), max(seen.values()), " ".join("%d.%d" % k for k in sorted(seen)))
PY
}

test_expect '1000 requests through each router' "load $R1 && load $R2"
sleep 0.5
test_expect 'with room for all: rotated, every request logged once, every line whole' "
	check $TRASH/all 50 >\$TRASH/all.out && cat \$TRASH/all.out | cut -c1-40 &&
	read files reqs most rest <\$TRASH/all.out &&
	test \$files -gt 3 && test \$reqs = 1000 && test \$most = 1
"
# the newest: 60 requests one after the other once the load is over (3 files hold 76 at least)
test_expect 'with 3 files: at most 3, whole lines, the newest requests kept' "
	CLIENTS=1 N=60 C0=8 load $R2 && sleep 0.5 &&
	check $TRASH/few 3 >\$TRASH/few.out && cut -c1-40 \$TRASH/few.out &&
	read files reqs most rest <\$TRASH/few.out &&
	test \$files = 3 && test \$reqs -lt 1000 && test \$most = 1 &&
	for n in \$(seq 0 59); do echo \" \$rest \" | grep -q \" 8.\$n \" || exit 1; done &&
	test -s $TRASH/few/access.log.1 && test -s $TRASH/few/access.log.2
"
test_expect 'a request after the load lands in the current file' "
	curl -sf -o /dev/null -H 'Host: myapp.example.test' 'http://127.0.0.1:$R2/echo?c=9&n=1' &&
	sleep 0.3 && grep -q 'GET /echo?c=9&n=1 ' $TRASH/few/access.log
"
test_expect 'a removed log file is created again at the next request' "
	rm $TRASH/few/access.log &&
	curl -sf -o /dev/null -H 'Host: myapp.example.test' 'http://127.0.0.1:$R2/echo?c=9&n=2' &&
	sleep 0.3 && grep -q 'GET /echo?c=9&n=2 ' $TRASH/few/access.log
"
test_expect 'bad values exit 100 with the reason' "
	deis-router --listen 127.0.0.1:0 --access-log $TRASH/x.log --access-log-max-files 1 2>\$TRASH/e1;
	test \$? = 100 && grep -q 'access-log-max-files' \$TRASH/e1 &&
	deis-router --listen 127.0.0.1:0 --access-log $TRASH/x.log --access-log-max-size 10q 2>\$TRASH/e2;
	test \$? = 100 && grep -q \"bad size '10q'\" \$TRASH/e2 &&
	deis-router --listen 127.0.0.1:0 --access-log $TRASH/nodir/x.log 2>\$TRASH/e3;
	test \$? = 100 && grep -q \"cannot open '$TRASH/nodir/x.log'\" \$TRASH/e3
"
test_expect 'no worker died' "! grep -qi 'exited with status\\|fatal' \$TRASH/r1.log \$TRASH/r2.log"
test_done
