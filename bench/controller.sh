#!/bin/sh
# Controller benchmark (issue 2): on SQLite, API only (the scheduler is not on
# these paths),
#   1. GET /v1/apps at a fixed 1000 req/s for 10 s (hey -q): p50/p99 latency;
#   2. GET /v1/apps flat out (wrk, 2 connections... 50): req/s, p99;
#   3. POST /v1/apps/<id>/config/ flat out (each one is a transaction and a
#      new release): req/s, p99;
#   4. the controller's RSS when idle, after the load.
# The user of 10 apps with 10 releases each. Prints a Markdown table.
#   bench/controller.sh [SECONDS]
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=$TOP/build/bin
SECS=${1:-10}
command -v hey >/dev/null || { echo "bench: needs hey (apt-get install hey)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench: needs wrk" >&2; exit 1; }
W=$(mktemp -d /tmp/deis-bench-controller.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN/deis-controller" --listen 127.0.0.1:$PORT --db "sqlite://$W/db" --scheduler none \
	>"$W/log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$W"' EXIT
U=http://127.0.0.1:$PORT
i=0
until curl -sf "$U/healthz" >/dev/null; do i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done
curl -sf -XPOST -d '{"username":"bench","password":"pw","email":"b@x"}' "$U/v1/auth/register/" >/dev/null
TOK=$(curl -sf -XPOST -d '{"username":"bench","password":"pw"}' "$U/v1/auth/login/" | sed 's/.*"token":"\([^"]*\)".*/\1/')
H="Authorization: token $TOK"
for a in 0 1 2 3 4 5 6 7 8 9; do
	curl -sf -H "$H" -XPOST -d "{\"id\":\"app$a\"}" "$U/v1/apps/" >/dev/null
	for r in 1 2 3 4 5 6 7 8 9; do
		curl -sf -H "$H" -XPOST -d "{\"values\":{\"K$r\":\"v$r\"}}" "$U/v1/apps/app$a/config/" >/dev/null
	done
done

cat >"$W/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "token $TOK"
wrk.headers["Content-Type"] = "application/json"
counter = 0
request = function()
	counter = counter + 1
	return wrk.format(nil, "/v1/apps/app0/config/", nil, '{"values":{"N":"' .. counter .. '"}}')
end
LUA
cat >"$W/get.lua" <<LUA
wrk.headers["Authorization"] = "token $TOK"
LUA

echo "| measure | result |"
echo "|---|---|"
hey -z "${SECS}s" -q 100 -c 10 -H "$H" "$U/v1/apps/" >"$W/hey" 2>&1
rps=$(sed -n 's/^ *Requests\/sec: *\([0-9.]*\)/\1/p' "$W/hey")
p50=$(sed -n 's/^ *50% in \([0-9.]*\) secs/\1/p' "$W/hey")
p99=$(sed -n 's/^ *99% in \([0-9.]*\) secs/\1/p' "$W/hey")
errs=$(grep -c '^  \[[^2]' "$W/hey" || true)
echo "| GET /v1/apps at a fixed ~1000 req/s (hey -q 100 -c 10) | $rps req/s, p50 $(echo "$p50*1000" | bc) ms, p99 $(echo "$p99*1000" | bc) ms, non-2xx status lines: $errs |"
for c in 2 50; do
	wrk -t2 -c$c -d"${SECS}s" --latency -s "$W/get.lua" "$U/v1/apps/" >"$W/wrk" 2>&1
	echo "| GET /v1/apps flat out, $c connections (wrk) | $(sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' "$W/wrk") req/s, p50 $(awk '/ 50%/{print $2}' "$W/wrk"), p99 $(awk '/ 99%/{print $2}' "$W/wrk") |"
done
wrk -t1 -c4 -d"${SECS}s" --latency -s "$W/post.lua" "$U/" >"$W/wrk" 2>&1
echo "| POST /v1/apps/app0/config/ flat out, 4 connections (wrk; each a transaction + release) | $(sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' "$W/wrk") req/s, p50 $(awk '/ 50%/{print $2}' "$W/wrk"), p99 $(awk '/ 99%/{print $2}' "$W/wrk") |"
grep -q "Non-2xx" "$W/wrk" && echo "| (POST non-2xx) | $(grep Non-2xx "$W/wrk") |"
sleep 1
echo "| controller RSS, idle after the load | $(awk '/VmRSS/{print $2" "$3}' /proc/$PID/status) |"
