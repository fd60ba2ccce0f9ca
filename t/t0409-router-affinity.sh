#!/bin/sh
# deis-router --affinity-arg (Deis affinityArg): a query argument's value picks
# the endpoint by consistent (rendezvous) hashing; without it, normal balancing.
. "$(dirname "$0")/test-lib.sh"

command -v python3 >/dev/null || test_skip_all "python3 missing"
[ -x "$BIN/deis-router" ] || test_skip_all "deis-router not built"

RT=$TOP/router/testing
B1=$(free_port); B2=$(free_port); B3=$(free_port); B4=$(free_port); RP=$(free_port)
routes() {
	eps=""
	for b in "$@"; do
		eval "port=\$$b"
		eps="$eps${eps:+,}{\"addr\":\"127.0.0.1:$port\",\"container\":\"$b\"}"
	done
	cat >"$TRASH/routes.json.tmp" <<JSON
{"version":1,"domain":"example.test","controller":[],"apps":{"myapp":{"endpoints":[$eps]}}}
JSON
	mv "$TRASH/routes.json.tmp" "$TRASH/routes.json"
}
routes B1 B2 B3 B4
for b in 1 2 3 4; do eval "bg_start b$b python3 $RT/backend.py \$B$b $TRASH/b$b.rec b$b"; done
bg_start router deis-router --listen "127.0.0.1:$RP" --routes "$TRASH/routes.json" --workers 2 \
	--affinity-arg user --no-access-log
for p in $B1 $B2 $B3 $B4 $RP; do
	wait_for 10 "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $p))'" ||
		{ echo "Bail out! port $p did not open"; exit 1; }
done

# map.py OUT QUERY_FMT N: GET /echo?<QUERY_FMT % i> for i < N (new connection
# each time, so both workers serve), write "i backend" lines to OUT.
cat >"$TRASH/map.py" <<'PY'
import http.client, json, sys
port, out, fmt, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
with open(out, "w") as f:
    for i in range(n):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/echo?" + (fmt % i if "%" in fmt else fmt), headers={"Host": "myapp.example.test"})
        r = c.getresponse()
        f.write("%d %s\n" % (i, json.loads(r.read())["name"]))
        c.close()
PY
map() { python3 "$TRASH/map.py" "$RP" "$@"; }
# pair A B: "i backend-in-A backend-in-B" for each i
pair() { awk 'NR == FNR { a[$1] = $2; next } { print $1, a[$1], $2 }' "$1" "$2"; }

test_expect 'the same value always reaches the same endpoint' "
	map \$TRASH/alice 'a=1&user=alice&b=2' 40 && test \$(cut -d' ' -f2 \$TRASH/alice | sort -u | wc -l) = 1 &&
	map \$TRASH/bob 'USER=bob' 40 && test \$(cut -d' ' -f2 \$TRASH/bob | sort -u | wc -l) = 1
"
test_expect 'different values spread over the endpoints' "
	map \$TRASH/keys 'user=k%d' 200 &&
	test \$(cut -d' ' -f2 \$TRASH/keys | sort -u | wc -l) = 4 &&
	for b in b1 b2 b3 b4; do n=\$(grep -c \" \$b\$\" \$TRASH/keys); test \$n -ge 20 || { echo \"\$b: \$n\"; exit 1; }; done
"
test_expect 'without the argument (or empty): round robin' "
	map \$TRASH/rr 'other=1' 8 && test \$(cut -d' ' -f2 \$TRASH/rr | sort -u | wc -l) -ge 3 &&
	map \$TRASH/rr2 'user=' 8 && test \$(cut -d' ' -f2 \$TRASH/rr2 | sort -u | wc -l) -ge 3
"
test_expect 'removing one endpoint moves only its keys; adding it back restores them' "
	lost=\$(cut -d' ' -f2 \$TRASH/keys | sort | uniq -c | sort -n | head -1 | awk '{print \$2}') &&
	remaining=\$(for b in B1 B2 B3 B4; do test \"\$(echo \$b | tr B b)\" = \$lost || printf '%s ' \$b; done) &&
	routes \$remaining && kill -HUP \$PID_router &&
	wait_for 5 \"map \$TRASH/probe 'user=k%d' 40 && ! grep -q ' \$lost\$' \$TRASH/probe\" &&
	map \$TRASH/keys2 'user=k%d' 200 &&
	pair \$TRASH/keys \$TRASH/keys2 >\$TRASH/j &&
	awk -v lost=\$lost '\$2 != lost && \$2 != \$3 { bad++ } \$2 == lost { moved++ } END { print moved, bad; exit bad > 0 || moved == 0 }' \$TRASH/j &&
	routes B1 B2 B3 B4 && kill -HUP \$PID_router &&
	wait_for 5 \"map \$TRASH/keys3 'user=k%d' 200 && cmp \$TRASH/keys \$TRASH/keys3\"
"
test_expect 'a refused endpoint: its keys go elsewhere, the others stay' "
	v=\$(awk '\$2 == \"b1\" { print \$1; exit }' \$TRASH/keys) &&
	kill \$PID_b1 && sleep 0.3 &&
	map \$TRASH/down \"user=k\$v\" 5 && ! grep -q ' b1\$' \$TRASH/down &&
	map \$TRASH/keys4 'user=k%d' 200 && pair \$TRASH/keys \$TRASH/keys4 |
		awk '\$2 != \"b1\" && \$2 != \$3 { bad++ } END { exit bad > 0 }'
"
test_expect 'a bad --affinity-arg exits 100' "
	deis-router --listen 127.0.0.1:0 --affinity-arg 'a=b' 2>err; test \$? = 100 && grep -q 'affinity-arg' err &&
	deis-router --listen 127.0.0.1:0 --affinity-arg '' 2>err; test \$? = 100
"
test_done
