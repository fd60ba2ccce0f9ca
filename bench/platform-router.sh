#!/bin/sh
# The router as deployed (issue 16) against nginx as a user would put it in front of the same
# app, on the same host, in the same run.
#
#   bench/platform-router.sh [DURATION_S] [CONNS]      (defaults: 10 s, 64 connections)
#   ROUNDS=N   rounds of every row (default 3; each row runs right after an nginx row, ratios to it;
#              medians at the end)
#   env: DEIS_E2E_IMAGE (default deis/platform:bench-router), DEIS_STACK_IMAGE
#
# An isolated platform comes up the way the end-to-end tests bring theirs up
# (t/helper/e2e-platform: its own prefix, network, volumes, state dir and free ports; deisctl
# install + start), a user registers and `git push`es bench/fastapp (a static C server, one
# epoll process per core, 13-byte and 1 MiB answers: not the bottleneck) as a Dockerfile app.
# Then nginx (Debian's, workers auto, access log on and buffered, keep-alive to the upstream,
# the rest nginx's defaults) runs on the host, proxying to the app container's address, and
# wrk drives each in turn. Clients come to the host's own address (not 127.0.0.1), the way a
# client from elsewhere arrives (Docker's NAT for published ports, no userland proxy); one more
# row goes to the router through 127.0.0.1 (Docker's userland proxy, when the router's ports are
# published). Rows: req/s, p50/p99, CPU per request from /proc (utime+stime) of the proxy's
# processes (the router container's, or nginx master + workers), of docker-proxy for the
# router's HTTP port (0 when there is none), and of the app; dockerd's is informative only
# (it serves every other client of this engine too, but it is where a container's stdout goes:
# read and written line by line into the json-file log). The router is as deployed: its access
# log to a file in its volume (deisctl's default, rotated by the router). Each round then
# restarts the router with `accessLog=stdout` (Deis's way, and this platform's default before:
# through dockerd) and repeats the small-response row, so both ratios come from the same
# minutes of a shared machine. Everything it starts is removed at the end. Needs root, Docker,
# wrk, nginx. Takes 4-8 minutes (the images and the first build; 1.5 minutes a round).
E2E_NAME=br
. "$(dirname "$0")/../t/test-lib.sh"
DEIS_E2E_IMAGE=${DEIS_E2E_IMAGE:-deis/platform:bench-router}
. "$TOP/t/helper/e2e-platform"
DUR=${1:-10}
CONNS=${2:-64}
ROUNDS=${ROUNDS:-3}
APP=fast$$
NPID=""
TEST_CLEANUP='[ -n "$NPID" ] && kill $NPID 2>/dev/null; sleep 0.3;
 docker ps -aq --filter label=sh.deis.app=$APP | xargs -r docker rm -f >/dev/null 2>&1;
 docker images -q 127.0.0.1:$REG/$APP | xargs -r docker rmi -f >/dev/null 2>&1;
 deisctl uninstall --purge platform >/dev/null 2>&1'
set -e
command -v wrk >/dev/null && command -v nginx >/dev/null || { echo "needs wrk and nginx (scripts/install-deps)"; exit 1; }
say() { echo "# $*" >&2; }

say "images"
e2e_images >"$TRASH/images.log" 2>&1 || { tail -n 20 "$TRASH/images.log"; exit 1; }
say "platform $PREFIX (http $HTTP)"
e2e_up >"$TRASH/up.log" 2>&1 || { tail -n 20 "$TRASH/up.log"; exit 1; }
wait_for 60 "curl -sf -m 2 $CTLURL/healthz"
deis register $CTLURL --username=bench --password=bench-pass-1 --email=bench@example.com >/dev/null
ssh-keygen -q -t ed25519 -N "" -C bench@test -f "$KEY"
deis keys:add "$KEY.pub" >/dev/null

say "app $APP (bench/fastapp, a Dockerfile app)"
mkdir -p "$TRASH/app"
cc -O2 -static -o "$TRASH/app/server" "$TOP/bench/fastapp/server.c"
cat >"$TRASH/app/Dockerfile" <<EOF
FROM ${DEIS_STACK_IMAGE:-deis/stack:bookworm}
COPY server /app/server
USER slug
EXPOSE 5000
CMD ["/app/server"]
EOF
(cd "$TRASH/app" && git init -q -b master && git add . && $GIT commit -qm init && deis create $APP --no-remote >/dev/null)
push "$TRASH/app" $APP >/dev/null || { cat "$TRASH/push-$APP.log"; exit 1; }
wait_for 60 "app_get $APP | grep -q 'hello, world'"
APPC=$(docker ps -q --filter label=sh.deis.app=$APP | head -n 1)
APPIP=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$APPC" | cut -d' ' -f1)
HOSTIP=$(ip -4 route get 1.1.1.1 | sed -n 's/.* src \([0-9.]*\).*/\1/p')
[ -n "$HOSTIP" ] || HOSTIP=$(hostname -I | cut -d' ' -f1)
say "app container $APPC at $APPIP:5000; this host's address $HOSTIP"

# nginx as a user runs it in front of the app: Debian's defaults plus an upstream with keep-alive,
# the access log on (combined), buffered.
NP=$(free_port)
mkdir -p "$TRASH/nginx"
chmod 755 "$TRASH"
cat >"$TRASH/nginx/nginx.conf" <<CONF
worker_processes auto;
error_log $TRASH/nginx/error.log;
pid $TRASH/nginx/nginx.pid;
daemon off;
events { worker_connections 16384; }
http {
	access_log $TRASH/nginx/access.log combined buffer=64k flush=1s;
	keepalive_requests 1000000;
	upstream app { server $APPIP:5000; keepalive 64; }
	server {
		listen $NP reuseport;
		server_name $APP.$DOMAIN;
		location / {
			proxy_pass http://app;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host \$host;
			proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
			proxy_set_header X-Forwarded-Proto \$scheme;
		}
	}
}
CONF
nginx -c "$TRASH/nginx/nginx.conf" -e "$TRASH/nginx/error.log" &
NPID=$!
wait_for 10 "curl -sf -m 2 http://$HOSTIP:$NP/ | grep -q 'hello, world'"

# ticks PID...: utime+stime of these processes (clock ticks)
ticks() {
	for p in "$@"; do cat /proc/$p/stat 2>/dev/null || true; done | awk '{t += $14 + $15} END {print t + 0}'
}
router_pids() { docker top $PREFIX-router -o pid | tail -n +2; }
app_pids() { docker top "$APPC" -o pid | tail -n +2; }
nginx_pids() { echo $NPID; ps -o pid= --ppid $NPID; }
dproxy_pids() { pgrep -f "docker-proxy .*-host-port $HTTP( |\$)" || true; }
# the engine's dockerd: the oldest (a test's private engine, t/helper/swarm-daemon, is younger)
dockerd_pids() { pgrep -xo dockerd || true; }

# run NAME URL PIDS-FUNCTION [wrk options]: one row
run() {
	name=$1 url=$2 pf=$3; shift 3
	p0=$(ticks $($pf)) d0=$(ticks $(dproxy_pids)) a0=$(ticks $(app_pids)) e0=$(ticks $(dockerd_pids))
	wrk -t2 -c"$CONNS" -d"${DUR}s" --latency -H "Host: $APP.$DOMAIN" "$@" "$url" >"$TRASH/wrk.$name" 2>&1
	p1=$(ticks $($pf)) d1=$(ticks $(dproxy_pids)) a1=$(ticks $(app_pids)) e1=$(ticks $(dockerd_pids))
	[ "$pf" = router_pids ] || d1=$d0	# docker-proxy serves the router's port only
	python3 - "$name" "$TRASH/wrk.$name" $((p1 - p0)) $((d1 - d0)) $((a1 - a0)) $((e1 - e0)) \
		"$(getconf CLK_TCK)" "${NGINX_RPS:-0}" <<'PY'
import re, sys
name, path = sys.argv[1], sys.argv[2]
proxy, dproxy, app, dockerd, hz = (int(x) for x in sys.argv[3:8])
base = float(sys.argv[8])
t = open(path).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
reqs = int(re.search(r"(\d+) requests in", t).group(1))
xfer = re.search(r"Transfer/sec:\s+(\S+)", t).group(1)
def lat(p):
    m = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)" % p, t)
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
us = lambda ticks: ticks / hz / reqs * 1e6 if reqs else 0
errs = re.search(r"Socket errors: (.*)", t)
non2 = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
print("%-22s %9.0f %8.2f %8.2f %8.1f %8.1f %8.1f %8.1f %9s %7s   %s%s" % (name, rps, lat(50), lat(99),
      us(proxy), us(dproxy), us(app), us(dockerd), xfer, "%.2fx" % (rps / base) if base else "-",
      ("errors: " + errs.group(1)) if errs else "", (" non-2xx: " + non2.group(1)) if non2 else ""))
open(path + ".rps", "w").write(str(rps))
open(path.rsplit("/", 1)[0] + "/rows", "a").write("%s\t%f\t%f\t%f\t%f\t%f\t%f\t%f\n" % (name, rps,
    lat(50), lat(99), us(proxy), us(dproxy), us(app), us(dockerd)))
PY
}

mode=$(docker inspect -f '{{.HostConfig.NetworkMode}}' $PREFIX-router)
echo "# $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); router network: $mode; wrk -t2 -d${DUR}s; $ROUNDS rounds"
echo "# app: bench/fastapp at $APPIP:5000 ($(app_pids | wc -l) processes); clients to $HOSTIP unless said"
header() {
	printf '%-22s %9s %8s %8s %8s %8s %8s %8s %9s %7s\n' target req/s 'p50 ms' 'p99 ms' \
		'proxy us' '+dproxy' 'app us' 'dockerd' 'xfer/s' 'vs nginx'
}
# round TAG PATH CONNS ROWS...: nginx, then each "name url pids" row, ratios to that nginx
round() {
	tag=$1 path=$2 CONNS=$3; shift 3
	NGINX_RPS=0
	run "nginx$tag" "http://$HOSTIP:$NP$path" nginx_pids
	NGINX_RPS=$(cat "$TRASH/wrk.nginx$tag.rps")
	for r in "$@"; do
		IFS='|'; set -- $r; IFS=$IFS_SAVE
		run "$1$tag" "$2$path" $3
	done
}
ROUTER="deis-router|http://$HOSTIP:$HTTP|router_pids"
LOOP="deis-router_127.0.0.1|http://127.0.0.1:$HTTP|router_pids"
IFS_SAVE=$IFS
# logto file|stdout: the router restarted with its access log there (file: deisctl's default)
logto() {
	if [ "$1" = stdout ]; then deisctl config router set accessLog=stdout >/dev/null 2>&1
	else deisctl config router rm accessLog >/dev/null 2>&1; fi
	deisctl restart router >/dev/null
	wait_for 60 "app_get $APP | grep -q 'hello, world'"
}
# Each round: the router as deployed (its access log to a rotated file in its volume) then,
# restarted with accessLog=stdout (Deis's way, the default before: dockerd writes each line
# into the json-file log), the same load again, each against an nginx run just before it.
echo "# rows: small responses (13 B) with wrk -c$CONNS; ' 1m': 1 MiB responses with wrk -c8;"
echo "# '(log stdout)': the router restarted with accessLog=stdout"
header
for i in $(seq "$ROUNDS"); do
	[ "$i" = 1 ] || logto file
	round "" / "$CONNS" "$ROUTER" "$LOOP"
	round " 1m" /1m 8 "$ROUTER"
	logto stdout
	round " (log stdout)" / "$CONNS" "$ROUTER"
done
echo "# access logs: nginx $(kill -USR1 $NPID; sleep 1.5; wc -l <"$TRASH/nginx/access.log") lines in its file;" \
	"deis-router: the last two files in its volume hold $(docker exec $PREFIX-router sh -c \
	'cat /var/lib/deis/router/access.log.1 /var/lib/deis/router/access.log 2>/dev/null | wc -l') lines" \
	"(rotated at 10 MB), then stdout (its container's json-file log)"

echo "# medians over the rounds (ratio: of the medians' req/s to nginx's of the same kind)"
python3 - "$TRASH/rows" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    rows.setdefault(f[0], []).append([float(x) for x in f[1:]])
med = {k: [statistics.median(c) for c in zip(*v)] for k, v in rows.items()}
print("%-30s %9s %8s %8s %8s %8s %8s %8s %7s" % ("target", "req/s", "p50 ms", "p99 ms", "proxy us",
      "+dproxy", "app us", "dockerd", "vs nginx"))
for k, m in med.items():
    tag = k[k.index(" "):] if " " in k else ""
    base = med.get("nginx" + tag)
    print("%-30s %9.0f %8.2f %8.2f %8.1f %8.1f %8.1f %8.1f %7s" % (k, m[0], m[1], m[2], m[3], m[4],
          m[5], m[6], "%.2fx" % (m[0] / base[0]) if base and not k.startswith("nginx") else "-"))
print("# per round, req/s of each row to its round's nginx row (and their median):")
for k, v in rows.items():
    tag = k[k.index(" "):] if " " in k else ""
    if k.startswith("nginx") or "nginx" + tag not in rows:
        continue
    r = [a[0] / b[0] for a, b in zip(v, rows["nginx" + tag])]
    print("%-30s %s (median %.2f)" % (k, " ".join("%.2f" % x for x in r), statistics.median(r)))
PY
