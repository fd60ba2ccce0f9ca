#!/bin/sh
# End-to-end rate of the logging path: a container writes LINES lines to stdout
# (Docker's json-file driver stores them), deis-logspout reads them through the
# Docker API and sends them to deis-logger. The clock runs from the container's
# start until the logger has stored them all. curl makes the same follow
# request at the same time, as the floor Docker sets.
#
#   bench/logger-logspout.sh [LINES]      (default 200000)
set -eu
LINES=${1:-200000}
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BUILD:-$TOP/build}/bin
W=$(mktemp -d /tmp/bench-logspout.XXXXXX)
APP=bench$$
IMG=deis-test-busybox:latest
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null || true; done; docker rm -f ${APP}_v1.web.1 >/dev/null 2>&1 || true; rm -rf "$W"' EXIT
trap 'exit 130' INT TERM

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
if ! docker image inspect $IMG >/dev/null 2>&1; then
	mkdir "$W/img" && cp /bin/busybox "$W/img/busybox"
	printf 'FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox"]\n' >"$W/img/Dockerfile"
	docker build -q -t $IMG "$W/img" >/dev/null
fi

SP=$(port); HP=$(port)
"$BIN/deis-logger" -t 127.0.0.1:$SP -u "" -l 127.0.0.1:$HP -d "$W/logs" -s 1073741824 2>"$W/logger.err" &
PIDS="$PIDS $!"
"$BIN/deis-logspout" -l 127.0.0.1:$SP -H bench 2>"$W/logspout.err" &
PIDS="$PIDS $!"
end=$(( $(date +%s) + 10 ))
until curl -sf "http://127.0.0.1:$HP/healthz" >/dev/null; do
	[ "$(date +%s)" -ge $end ] && { echo "logger did not start"; exit 1; }
	sleep 0.05
done

stored() { curl -sf "http://127.0.0.1:$HP/_stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stored"])'; }
base=$(stored)
docker create --name ${APP}_v1.web.1 --label sh.deis.app=$APP --label sh.deis.type=web \
	--label sh.deis.num=1 --network none $IMG sh -c "seq 1 $LINES | sed 's/^/GET \/index.html 200 bytes=/'" >/dev/null
t0=$(date +%s.%N)
docker start ${APP}_v1.web.1 >/dev/null
# the same follow request logspout makes, by curl, at the same time: Docker's floor
( curl -sf --unix-socket /var/run/docker.sock -o /dev/null \
	"http://localhost/containers/${APP}_v1.web.1/logs?follow=1&stdout=1&stderr=1&timestamps=1"
  date +%s.%N >"$W/curl.end" ) &
CURLPID=$!
docker wait ${APP}_v1.web.1 >/dev/null
t_app=$(date +%s.%N)
end=$(( $(date +%s) + 300 ))
while [ $(( $(stored) - base )) -lt "$LINES" ]; do
	[ "$(date +%s)" -ge $end ] && { echo "timeout: $(( $(stored) - base )) of $LINES stored"; exit 1; }
	sleep 0.05
done
t1=$(date +%s.%N)
wait $CURLPID
d1=$(cat "$W/curl.end")
d0=$t0
python3 - "$LINES" "$t0" "$t_app" "$t1" "$d0" "$d1" <<'EOF'
import sys
n, t0, ta, t1, d0, d1 = int(sys.argv[1]), *map(float, sys.argv[2:])
print("%d lines: app done in %.2f s; all at the logger after %.2f s (%d lines/s end to end); "
      "curl making the same follow request at the same time: %.2f s (%d lines/s)" % (n, ta - t0, t1 - t0, n / (t1 - t0), d1 - d0, n / (d1 - d0)))
EOF
