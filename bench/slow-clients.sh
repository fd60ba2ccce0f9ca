#!/bin/sh
# Slow clients against the deployed router (issue 15): normal clients' rate (wrk, 2 threads,
# 16 connections, 10 s) alone, then while N clients trickle request-header bytes (one byte a
# second, never finishing the head; each reconnects as soon as the router closes it), and the
# ratio. Also the router's memory (RSS of its processes) with the slow clients connected.
#
#   bench/slow-clients.sh [URL] [HOST] [N]
#     URL  default http://127.0.0.1:80/ (the platform scripts/platform-up deploys)
#     HOST default example.localhost (its example app)   N default 500
set -u
URL=${1:-http://127.0.0.1:80/}
HOST=${2:-example.localhost}
N=${3:-500}
WORK=$(mktemp -d /tmp/deis-bench-slow.XXXXXX)
trap 'kill $SLOW 2>/dev/null; rm -rf "$WORK"' EXIT
SLOW=

rate() {	# rate: requests/s of a 10 s wrk run
	wrk -t2 -c16 -d10s --timeout 5s -H "Host: $HOST" "$URL" >"$WORK/wrk" 2>&1
	awk '/Requests\/sec/ { print $2 }' "$WORK/wrk"
}
rss_kb() {	# the router container's processes' RSS, kB
	docker top "${ROUTER:-deis-router}" -o pid,rss 2>/dev/null | awk 'NR > 1 { s += $2 } END { print s + 0 }'
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
hp=${URL#http://}; hp=${hp%%/*}
base=$(rate)
rss0=$(rss_kb)
python3 "$WORK/slow.py" "${hp%:*}" "${hp##*:}" "$N" "$HOST" &
SLOW=$!
sleep 5
with=$(rate)
rss1=$(rss_kb)
conns=$(ss -tn state established | awk -v p=":${hp##*:}" '$4 ~ p"$"' | wc -l)
kill -0 $SLOW || echo "the slow clients died"

echo "normal clients alone: $base req/s"
echo "with $N slow clients: $with req/s ($conns connections to the router's port open)"
echo "$base $with" | awk '{ printf "ratio: %.2f\n", $2 / $1 }'
echo "router RSS: $rss0 kB alone, $rss1 kB with the slow clients"
