#!/bin/sh
# deis-router vs nginx vs HAProxy, same backend, same machine, one run.
#
#   bench/router.sh [DURATION_S] [CONNS]        (defaults: 10 s, 64 connections)
#   ACCESS_LOG=1 bench/router.sh ...            deis-router with its access log on
#
# With ACCESS_LOG=1 deis-router logs every request as it does by default, to its
# stdout redirected to a file (as the platform's log driver would read it); the
# number of lines written is printed at the end.
#
# Backend: an nginx instance (1 worker) answering a 13-byte body, and a 1 MiB
# file. Proxies: deis-router (workers auto, access log off), nginx (workers
# auto, upstream keepalive 256 like deis-router's pool, access log off), HAProxy (nbthread auto, http-reuse
# always). wrk (2 threads) drives each; rows print req/s, p50/p99 latency, the
# proxy's CPU time per request (utime+stime from /proc, all its processes; then
# user and kernel separately), and
# the ratio to nginx. Then: errors while the route table changes 10 times a
# second (deis-router: snapshot + SIGHUP; nginx: config rewrite + reload), the
# 1 MiB response throughput, and deis-router's RSS with 10 000 idle keep-alive
# connections.
set -eu
DUR=${1:-10}
CONNS=${2:-64}
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BUILD:-$TOP/build}/bin
W=$(mktemp -d /tmp/bench-router.XXXXXX)
chmod 755 "$W"	# nginx workers run as nobody
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	sleep 0.5
	for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
up() { i=0; while ! curl -s -o /dev/null "$1"; do i=$((i+1)); [ $i -gt 100 ] && return 1; sleep 0.05; done; }

# cpu_ticks PID: "utime stime" of PID and its children processes (clock ticks)
cpu_ticks() {
	for p in $1 $(ps -o pid= --ppid "$1" 2>/dev/null); do
		cat /proc/$p/stat 2>/dev/null || true
	done | awk '{u += $14; s += $15} END {print u + 0, s + 0}'
}
# rss_kb PID: VmRSS of PID and its children
rss_kb() {
	t=0
	for p in $1 $(ps -o pid= --ppid "$1" 2>/dev/null); do
		v=$(awk '/^VmRSS/ {print $2}' /proc/$p/status 2>/dev/null || echo 0)
		t=$((t + ${v:-0}))
	done
	echo $t
}

BP=$(port); RP=$(port); NP=$(port); HP=$(port)
mkdir -p "$W/backend" "$W/nginx" "$W/www"
head -c 1048576 /dev/zero | tr '\0' x >"$W/www/1m"
cat >"$W/backend/nginx.conf" <<CONF
worker_processes 1;
error_log $W/backend/error.log;
pid $W/backend/nginx.pid;
daemon off;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 1000000;
	keepalive_timeout 120s;
	server {
		listen 127.0.0.1:$BP reuseport;
		root $W/www;
		location = / { return 200 "hello, world\n"; }
		location = /1m { }
	}
}
CONF
nginx_proxy_conf() {
	cat <<CONF
worker_processes auto;
error_log $W/nginx/error.log;
pid $W/nginx/nginx.pid;
daemon off;
events { worker_connections 16384; }
http {
	access_log off;
	keepalive_requests 1000000;
	upstream app { server 127.0.0.1:$BP; keepalive 256; }
	server {
		listen 127.0.0.1:$NP reuseport;
		server_name app$1.example.test app.example.test;
		location / {
			proxy_pass http://app;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host \$host;
			proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
			proxy_buffering off;
		}
	}
}
CONF
}
nginx_proxy_conf 0 >"$W/nginx/nginx.conf"
cat >"$W/haproxy.cfg" <<CONF
global
	nbthread $(nproc)
	maxconn 8000
defaults
	mode http
	timeout connect 5s
	timeout client 60s
	timeout server 60s
	option http-keep-alive
	http-reuse always
frontend f
	bind 127.0.0.1:$HP
	default_backend b
backend b
	server s1 127.0.0.1:$BP
CONF
routes() {
	printf '{"version":%s,"domain":"example.test","controller":[],"apps":{"app":{"endpoints":[{"addr":"127.0.0.1:%s","container":"c%s"}]},"app%s":{"endpoints":[{"addr":"127.0.0.1:%s","container":"x"}]}}}\n' \
		"$1" "$BP" "$(( $1 % 2 ))" "$1" "$BP" >"$W/routes.new"
	mv "$W/routes.new" "$W/routes.json"
}
routes 1

nginx -c "$W/backend/nginx.conf" -e "$W/backend/error.log" & PIDS="$PIDS $!"; BPID=$!
if [ "${ACCESS_LOG:-0}" = 1 ]; then LOGFLAG=""; else LOGFLAG=--no-access-log; fi
"$BIN/deis-router" --listen 127.0.0.1:$RP --routes "$W/routes.json" $LOGFLAG 2>"$W/router.err" >"$W/access.log" &
RPID=$!; PIDS="$PIDS $RPID"
nginx -c "$W/nginx/nginx.conf" -e "$W/nginx/error.log" & NPID=$!; PIDS="$PIDS $NPID"
haproxy -f "$W/haproxy.cfg" -q & HPID=$!; PIDS="$PIDS $HPID"
up http://127.0.0.1:$BP/ && up http://127.0.0.1:$RP/ && up http://127.0.0.1:$NP/ && up http://127.0.0.1:$HP/

# run NAME PORT PID: wrk against the port; prints a row, sets RPS
run() {
	t0=$(cpu_ticks "$3")
	wrk -t2 -c"$CONNS" -d"${DUR}s" --latency -H 'Host: app.example.test' "http://127.0.0.1:$2/" >"$W/wrk.$1" 2>&1
	t1=$(cpu_ticks "$3")
	python3 - "$1" "$W/wrk.$1" "$t0" "$t1" "$(getconf CLK_TCK)" "${NGINX_RPS:-0}" <<'PY'
import re, sys
name, path, t0, t1, hz, base = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), float(sys.argv[6])
usr, sys_ = (int(b) - int(a) for a, b in zip(t0.split(), t1.split()))
t = open(path).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
reqs = int(re.search(r"(\d+) requests in", t).group(1))
def lat(p):
    m = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)" % p, t)
    v, u = float(m.group(1)), m.group(2)
    return v * {"us": 0.001, "ms": 1, "s": 1000}[u]
errs = re.search(r"Socket errors: (.*)", t)
non2 = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
us = lambda ticks: ticks / hz / reqs * 1e6 if reqs else 0
ratio = "%.2fx" % (rps / base) if base else "-"
print("%-12s %10.0f %9.3f %9.3f %9.1f %5.1f %5.1f %8s   %s%s" % (name, rps, lat(50), lat(99),
      us(usr + sys_), us(usr), us(sys_), ratio,
      ("errors: " + errs.group(1)) if errs else "", (" non-2xx: " + non2.group(1)) if non2 else ""))
open(path + ".rps", "w").write(str(rps))
PY
}

echo "# deis-router access log: $([ -z "$LOGFLAG" ] && echo on || echo off)"
echo "# $(nproc) cores; wrk -t2 -c$CONNS -d${DUR}s; small response (13 B)"
printf '%-12s %10s %9s %9s %9s %5s %5s %8s\n' target 'req/s' 'p50 ms' 'p99 ms' 'cpu us/req' 'usr' 'sys' 'vs nginx'
NGINX_RPS=0
run nginx $NP $NPID; NGINX_RPS=$(cat "$W/wrk.nginx.rps")
run direct $BP $BPID
run deis-router $RP $RPID
run haproxy $HP $HPID

echo
echo "# routes changing 10 times a second under load (${DUR}s)"
churn_router() {
	i=2; end=$(( $(date +%s) + DUR ))
	while [ "$(date +%s)" -lt $end ]; do routes $i; kill -HUP $RPID; i=$((i+1)); sleep 0.1; done
	echo $((i - 2)) >"$W/churn.n"
}
churn_nginx() {
	i=2; end=$(( $(date +%s) + DUR ))
	while [ "$(date +%s)" -lt $end ]; do
		nginx_proxy_conf $i >"$W/nginx/nginx.conf"
		kill -HUP $NPID; i=$((i+1)); sleep 0.1
	done
	echo $((i - 2)) >"$W/churn.n"
}
for t in deis-router nginx; do
	if [ $t = nginx ]; then port=$NP; pid=$NPID; churn_nginx & else port=$RP; pid=$RPID; churn_router & fi
	CH=$!
	wrk -t2 -c"$CONNS" -d"${DUR}s" -H 'Host: app.example.test' "http://127.0.0.1:$port/" >"$W/churn.$t" 2>&1
	wait $CH
	rps=$(awk '/Requests\/sec/ {print $2}' "$W/churn.$t")
	errs=$(grep -E 'Socket errors|Non-2xx' "$W/churn.$t" | tr '\n' ' ')
	printf '%-12s %d changes, %s req/s, errors: %s\n' $t "$(cat "$W/churn.n")" "$rps" "${errs:-none}"
done

echo
echo "# 1 MiB response, wrk -t2 -c8 -d${DUR}s"
for t in direct:$BP nginx:$NP deis-router:$RP haproxy:$HP; do
	B="$W/big.${t%%:*}"
	wrk -t2 -c8 -d"${DUR}s" -H 'Host: app.example.test' "http://127.0.0.1:${t#*:}/1m" >"$B" 2>&1
	printf '%-12s %s req/s, %s/s %s\n' "${t%%:*}" "$(awk '/Requests\/sec/ {print $2}' "$B")" \
		"$(awk '/Transfer\/sec/ {print $2}' "$B")" "$(grep -E 'Non-2xx|Socket errors' "$B" | tr '\n' ' ')"
done

echo
echo "# deis-router RSS with 10000 idle keep-alive connections"
before=$(rss_kb $RPID)
python3 - $RP 10000 "$W/idle.ready" <<'PY' &
import socket, sys, time, resource
port, n, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
resource.setrlimit(resource.RLIMIT_NOFILE, (19000, 20000))
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: app.example.test\r\n\r\n")
    socks.append(s)
for s in socks:
    s.recv(4096)
open(ready, "w").write("ok")
time.sleep(30)
PY
IDLE=$!; PIDS="$PIDS $IDLE"
i=0; while [ ! -e "$W/idle.ready" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
after=$(rss_kb $RPID)
conns=$(ss -tn state established "( sport = :$RP )" | tail -n +2 | wc -l)
echo "established: $conns; RSS before: ${before} KiB, with them: ${after} KiB, per connection: $(( (after - before) * 1024 / (conns > 0 ? conns : 1) )) B"
kill $IDLE 2>/dev/null || true
if [ -z "$LOGFLAG" ]; then
	kill -TERM $RPID 2>/dev/null || true
	i=0; while kill -0 $RPID 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
	echo
	# wrk counts the responses it completed; the router also logs the 10 000
	# idle connections' requests and the few cut when wrk stopped (499)
	n=$(cat "$W/wrk.deis-router" "$W/churn.deis-router" "$W/big.deis-router" |
		awk '/requests in/ {n += $1} END {print n + 10000}')
	echo "# access log: $(wc -l <"$W/access.log") lines (wrk completed + idle: $n)," \
		"$(grep -cv ' - [0-9.]* - [0-9.]* - [^ ]* - [^ ]*$' "$W/access.log") malformed"
fi
