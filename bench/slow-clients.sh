#!/bin/sh
# Slow clients against the deployed router (issue 15), side by side with nginx in front of
# the same app container: normal clients' rate (wrk, 2 threads, 16 connections, 10 s)
# alone, then while N clients trickle request-header bytes (one byte a second, never
# finishing the head; each reconnects as soon as the proxy closes it), and the ratio. Also
# the router's memory (RSS of its processes) with the slow clients connected.
#
#   bench/slow-clients.sh [HOST] [N]
#     HOST default example.localhost (the app scripts/platform-up deploys), N default 500
# The router is the platform's (port 80); nginx (Debian's, workers auto, access log on,
# buffered) listens on a free port and proxies to one of the app's containers.
set -u
HOST=${1:-example.localhost}
N=${2:-500}
APP=${HOST%%.*}
WORK=$(mktemp -d /tmp/deis-bench-slow.XXXXXX)
chmod 755 "$WORK"
SLOW= NPID=
trap 'kill $SLOW $NPID 2>/dev/null; rm -rf "$WORK"' EXIT

rate() {	# rate URL: requests/s of a 10 s wrk run
	wrk -t2 -c16 -d10s --timeout 5s -H "Host: $HOST" "$1" >"$WORK/wrk" 2>&1
	awk '/Requests\/sec/ { print $2 }' "$WORK/wrk"
}
rss_kb() {	# the router container's processes' RSS, kB
	docker top deis-router -o pid,rss 2>/dev/null | awk 'NR > 1 { s += $2 } END { print s + 0 }'
}
open_to() {	# open_to PORT: established connections to 127.0.0.1:PORT
	ss -tn state established | awk -v p="127.0.0.1:$1" '$4 == p' | wc -l
}

cat >"$WORK/slow.py" <<'EOF'
import asyncio, sys
host, port, n, vhost = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
head = ("GET / HTTP/1.1\r\nHost: %s\r\nX-Slow: %s\r\n" % (vhost, "a" * 4000)).encode()
async def one():
    while True:
        try:
            r, w = await asyncio.open_connection(host, port)
            for b in head:
                w.write(bytes([b])); await w.drain(); await asyncio.sleep(1)
        except (ConnectionError, OSError):
            await asyncio.sleep(0.05)
async def main():
    await asyncio.gather(*(one() for _ in range(n)))
asyncio.run(main())
EOF

# nginx in front of one of the app's containers, as a user would run it
c=$(docker ps -q --filter label=sh.deis.app="$APP" --filter label=sh.deis.type=web | head -n 1)
[ -n "$c" ] || { echo "no web container of '$APP' runs: run scripts/platform-up" >&2; exit 1; }
BACKEND=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$c"):5000
NP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/nginx.conf" <<CONF
worker_processes auto;
error_log $WORK/error.log;
pid $WORK/nginx.pid;
daemon off;
events { worker_connections 16384; }
http {
	access_log $WORK/access.log combined buffer=64k flush=1s;
	upstream app { server $BACKEND; keepalive 64; }
	server {
		listen 127.0.0.1:$NP reuseport;
		location / {
			proxy_pass http://app;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host \$host;
		}
	}
}
CONF
nginx -c "$WORK/nginx.conf" -e "$WORK/error.log" & NPID=$!
sleep 1

measure() {	# measure NAME PORT
	base=$(rate "http://127.0.0.1:$2/")
	[ "$1" = router ] && rss0=$(rss_kb)
	python3 "$WORK/slow.py" 127.0.0.1 "$2" "$N" "$HOST" &
	SLOW=$!
	sleep 5
	open=$(open_to "$2")
	with=$(rate "http://127.0.0.1:$2/")
	[ "$1" = router ] && rss1=$(rss_kb)
	kill $SLOW; wait $SLOW 2>/dev/null; SLOW=
	echo "$1 $base $with $open" | awk '{ printf "%-7s alone %9.0f req/s, with %d slow clients %9.0f req/s (%d slow connections open): ratio %.2f\n", $1, $2, '"$N"', $3, $4, $3 / $2 }'
	sleep 3
}
measure router 80
echo "router RSS: $rss0 kB alone, $rss1 kB with the slow clients"
measure nginx "$NP"
