#!/bin/sh
# deis-router --status (Deis enableNginxStatus): /router-nginx-status on the
# default server and the health listener, counters summed over the workers.
. "$(dirname "$0")/test-lib.sh"

command -v python3 >/dev/null || test_skip_all "python3 missing"
command -v curl >/dev/null || test_skip_all "curl missing"
[ -x "$BIN/deis-router" ] || test_skip_all "deis-router not built"

RT=$TOP/router/testing
B1=$(free_port); RP=$(free_port); HP=$(free_port); R2=$(free_port)
cat >"$TRASH/routes.json" <<JSON
{"version":1,"domain":"example.test","controller":[],
 "apps":{"myapp":{"endpoints":[{"addr":"127.0.0.1:$B1","container":"c1"}]},
         "other":{"endpoints":[{"addr":"127.0.0.1:$B1","container":"c1"}]},
         "empty":{"endpoints":[]}}}
JSON
bg_start b1 python3 "$RT/backend.py" "$B1" "$TRASH/b1.rec" b1
bg_start router deis-router --listen "127.0.0.1:$RP" --health-listen "127.0.0.1:$HP" \
	--routes "$TRASH/routes.json" --workers 2 --status on
bg_start r2 deis-router --listen "127.0.0.1:$R2" --routes "$TRASH/routes.json" --workers 1
for p in $B1 $RP $HP $R2; do
	wait_for 10 "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $p))'" ||
		{ echo "Bail out! port $p did not open"; exit 1; }
done

U=http://127.0.0.1:$RP
st() { curl -sf "$@"; }
# check FILE 'python expression over j (the page)': the expression must be true
check() { python3 -c "import json, sys; j = json.load(open(sys.argv[1])); e = sys.argv[2]; r = eval(e); print(e, '->', r); print(json.dumps(j)); sys.exit(0 if r else 1)" "$@"; }

test_expect 'the page answers JSON on the health listener and the default server' "
	st http://127.0.0.1:$HP/router-nginx-status >s0 && check s0 'j[\"workers\"] == 2 and j[\"connections\"][\"active\"] >= 1' &&
	st -H 'Host: unknown.example.test' $U/router-nginx-status >s1 && check s1 '\"responses\" in j and \"bytes\" in j' &&
	curl -s -D h -o /dev/null http://127.0.0.1:$HP/router-nginx-status && grep -qi '^Content-Type: application/json' h
"
test_expect 'an app host is proxied, not answered' "
	curl -s -H 'Host: myapp.example.test' $U/router-nginx-status | grep -q '\"name\": \"b1\"'
"
test_expect 'counts of every worker are summed, per app and by class' "
	for i in 1 2 3 4 5 6 7 8; do curl -s -o /dev/null -H 'Host: other.example.test' $U/echo; done &&
	for i in 1 2; do curl -s -o /dev/null -H 'Host: other.example.test' $U/status/404; done &&
	for i in 1 2 3; do curl -s -o /dev/null -H 'Host: empty.example.test' $U/; done &&
	curl -s -o /dev/null -H 'Host: other.example.test' $U/status/302 &&
	st http://127.0.0.1:$HP/router-nginx-status >s2 &&
	check s2 'j[\"apps\"][\"other\"] == {\"requests\": 11, \"responses\": {\"1xx\": 0, \"2xx\": 8, \"3xx\": 1, \"4xx\": 2, \"5xx\": 0}}' &&
	check s2 'j[\"apps\"][\"empty\"][\"responses\"][\"5xx\"] == 3 and j[\"apps\"][\"empty\"][\"requests\"] == 3' &&
	check s2 'j[\"requests\"] >= 17 and j[\"responses\"][\"2xx\"] >= 10 and j[\"responses\"][\"5xx\"] >= 3' &&
	check s2 'j[\"connections\"][\"accepted\"] >= 17 and j[\"connections\"][\"handled\"] == j[\"connections\"][\"accepted\"]'
"
test_expect 'bytes in and out move with the traffic' "
	st http://127.0.0.1:$HP/router-nginx-status >s3 &&
	curl -s -o /dev/null -H 'Host: other.example.test' '$U/big?n=200000' &&
	curl -s -o /dev/null -H 'Host: other.example.test' --data-binary @s3 $U/echo &&
	st http://127.0.0.1:$HP/router-nginx-status >s4 &&
	python3 -c 'import json, sys; a = json.load(open(\"s3\")); b = json.load(open(\"s4\")); sys.exit(0 if b[\"bytes\"][\"out\"] - a[\"bytes\"][\"out\"] >= 200000 and b[\"bytes\"][\"in\"] > a[\"bytes\"][\"in\"] else 1)'
"
test_expect 'active connections count open clients' "
	python3 - $RP $HP <<'PY'
import json, socket, sys, urllib.request, time
rp, hp = int(sys.argv[1]), int(sys.argv[2])
def active():
    return json.load(urllib.request.urlopen('http://127.0.0.1:%d/router-nginx-status' % hp))['connections']['active']
before = active()
socks = [socket.create_connection(('127.0.0.1', rp)) for _ in range(10)]
time.sleep(0.3)
during = active()
for s in socks: s.close()
time.sleep(0.5)
after = active()
print(before, during, after)
sys.exit(0 if during - before == 10 and after == before else 1)
PY
"
test_expect 'without --status the page is 404' "
	test \$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: unknown' http://127.0.0.1:$R2/router-nginx-status) = 404
"
test_expect 'a bad --status exits 100' "
	deis-router --listen 127.0.0.1:0 --status yes 2>err; test \$? = 100 && grep -q 'bad value for --status' err
"
test_done
