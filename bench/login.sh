#!/bin/sh
# Logins must not stall the API (issue 13): while 32 clients try wrong
# passwords on ever-new user names (credential stuffing; each from an address
# of its own, given as X-Forwarded-For by a trusted peer, so no per-address
# limit hides the hashing), another user's GET /v1/apps is measured at a
# fixed 20 req/s. Goal: p99 <= 50 ms on 2 cores. Also the same GET without
# the flood, and what the flood itself got (answers by status).
#   bench/login.sh [SECONDS]
# The controller runs bare on SQLite (the password hashing, not the router, is
# what is measured), trusting loopback as its router.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=$TOP/build/bin
SECS=${1:-20}
command -v hey >/dev/null || { echo "bench: needs hey (apt-get install hey)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench: needs wrk" >&2; exit 1; }
W=$(mktemp -d /tmp/deis-bench-login.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DEIS_TRUSTED_PROXIES=127.0.0.1/32 "$BIN/deis-controller" --listen 127.0.0.1:$PORT \
	--db "sqlite://$W/db" --scheduler none >"$W/log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$W"' EXIT
U=http://127.0.0.1:$PORT
i=0
until curl -sf "$U/healthz" >/dev/null; do i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done
curl -sf -XPOST -d '{"username":"admin","password":"pw-admin","email":"a@x"}' "$U/v1/auth/register/" >/dev/null
curl -sf -XPOST -d '{"username":"bench","password":"pw-bench","email":"b@x"}' "$U/v1/auth/register/" >/dev/null
TOK=$(curl -sf -XPOST -d '{"username":"bench","password":"pw-bench"}' "$U/v1/auth/login/" |
	sed 's/.*"token":"\([^"]*\)".*/\1/')
H="Authorization: token $TOK"
for a in 0 1 2 3 4 5 6 7 8 9; do
	curl -sf -H "$H" -XPOST -d "{\"id\":\"app$a\"}" "$U/v1/apps/" >/dev/null
done

cat >"$W/stuff.lua" <<'LUA'
counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
	counter = counter + 1
	local n = math.random(1, 1000000000)
	wrk.headers["X-Forwarded-For"] = string.format("198.%d.%d.%d", n % 256,
		math.floor(n / 256) % 256, math.floor(n / 65536) % 256)
	return wrk.format(nil, "/v1/auth/login/", nil,
		string.format('{"username":"u%d-%d","password":"guess-%d"}', n, counter, counter))
end
-- answers by status: counted per thread (each has its own Lua state), summed at the end
threads = {}
setup = function(thread) table.insert(threads, thread) end
c400, c429, c503, cother = 0, 0, 0, 0
response = function(status, headers, body)
	if status == 400 then c400 = c400 + 1
	elseif status == 429 then c429 = c429 + 1
	elseif status == 503 then c503 = c503 + 1
	else cother = cother + 1 end
end
done = function(summary, latency, requests)
	local t = { 0, 0, 0, 0 }
	for _, th in ipairs(threads) do
		t[1] = t[1] + th:get("c400"); t[2] = t[2] + th:get("c429")
		t[3] = t[3] + th:get("c503"); t[4] = t[4] + th:get("cother")
	end
	io.write(string.format("STATUSES 400 (wrong password): %d, 429 (throttled): %d, " ..
		"503 (busy): %d, other: %d\n", t[1], t[2], t[3], t[4]))
end
LUA

get() {	# get LABEL: GET /v1/apps at 20 req/s for SECS seconds
	hey -z "${SECS}s" -q 10 -c 2 -H "$H" "$U/v1/apps/" >"$W/hey" 2>&1
	ms() { awk -v p="$1" '$1 == p && $2 == "in" { printf "%.1f ms", $3 * 1000; f = 1 }
		END { if (!f) printf "n/a" }' "$W/hey"; }
	n=$(awk '$1 == "[200]" { print $2 }' "$W/hey")
	slow=$(awk '$1 == "Slowest:" { printf "%.1f ms", $2 * 1000 }' "$W/hey")
	echo "| GET /v1/apps at 20 req/s, $1 | p50 $(ms 50%), p99 $(ms 99%), slowest $slow, ${n:-0} answered 200 |"
}

echo "| measure ($(nproc) cores, $SECS s each) | result |"
echo "|---|---|"
get "no other load"
wrk -t2 -c32 -d"$((SECS + 4))s" -s "$W/stuff.lua" "$U/" >"$W/wrk" 2>&1 &
WPID=$!
sleep 2
get "32 clients stuffing credentials meanwhile"
wait $WPID
echo "| the stuffing clients got | $(sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' "$W/wrk") req/s; $(sed -n 's/^STATUSES //p' "$W/wrk") |"
