#!/bin/sh
# Ingest rate of deis-logger vs rsyslog (Debian), same stream, same run.
#
#   bench/logger.sh [LINES] [CONNS] [RUNS]     (defaults: 500000 lines, 1 connection, 3 runs)
#
# A Python client prebuilds LINES RFC 5424 messages (octet counting, ~100 bytes
# each, 10 apps), then sends them over CONNS TCP connections as fast as the
# receiver takes them. The clock runs from the first byte sent until every
# line is in a file on disk (deis-logger: its /_stats "stored" after the write;
# rsyslog: the line count of its per-app output files). Each run starts a
# fresh receiver on an empty directory. Also times `GET /<app>?log_lines=1000`
# (what `deis logs -n 1000` asks the logger for).
set -eu
LINES=${1:-500000}
CONNS=${2:-1}
RUNS=${3:-3}
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BUILD:-$TOP/build}/bin
W=$(mktemp -d /tmp/bench-logger.XXXXXX)
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null || true; done; rm -rf "$W"' EXIT
trap 'exit 130' INT TERM

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

cat >"$W/send.py" <<'EOF'
import socket, sys, time, threading
port, lines, conns = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
bufs = []
per = lines // conns
for c in range(conns):
    out = bytearray()
    for i in range(c * per, (c + 1) * per):
        m = b"<14>1 2026-11-26T10:00:00.000000Z benchhost app%d web.1 - - GET /index.html 200 %d bytes in 12 ms" % (i % 10, i)
        out += b"%d %s" % (len(m), m)
    bufs.append(out)
def run(b):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b)
    s.close()
t0 = time.time()
ts = [threading.Thread(target=run, args=(b,)) for b in bufs]
for t in ts: t.start()
for t in ts: t.join()
print("%.6f" % t0)
EOF

# wait_until SECONDS CMD: poll CMD every 20 ms
wait_until() {
	end=$(( $(date +%s) + $1 )); shift
	while ! "$@"; do
		[ "$(date +%s)" -ge $end ] && return 1
		sleep 0.02
	done
}

logger_done() {
	n=$(curl -sf "http://127.0.0.1:$HP/_stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stored"])')
	[ "$n" -ge "$TOTAL" ]
}
rsyslog_done() {
	n=$(cat "$W"/rs/*.log 2>/dev/null | wc -l)
	[ "$n" -ge "$TOTAL" ]
}

TOTAL=$(( LINES / CONNS * CONNS ))
results=""
for run in $(seq 1 "$RUNS"); do
	# deis-logger
	rm -rf "$W/dl"; SP=$(port); HP=$(port)
	"$BIN/deis-logger" -t 127.0.0.1:$SP -u "" -l 127.0.0.1:$HP -d "$W/dl" -s 1073741824 2>"$W/dl.err" &
	LP=$!; PIDS="$PIDS $LP"
	wait_until 5 curl -sf "http://127.0.0.1:$HP/healthz" >/dev/null
	t0=$(python3 "$W/send.py" $SP $LINES $CONNS)
	wait_until 120 logger_done
	t1=$(date +%s.%N)
	dl=$(python3 -c "print(int($TOTAL / ($t1 - $t0)))")
	# deis logs -n 1000, from the logger: 50 requests
	q0=$(date +%s.%N)
	for i in $(seq 1 50); do curl -sf "http://127.0.0.1:$HP/app3?log_lines=1000" >/dev/null; done
	q1=$(date +%s.%N)
	ms=$(python3 -c "print('%.2f' % (($q1 - $q0) * 1000 / 50))")
	kill $LP; wait $LP 2>/dev/null || true

	# rsyslog
	rm -rf "$W/rs" "$W/work"; mkdir -p "$W/rs" "$W/work"; RP=$(port)
	cat >"$W/rsyslog.conf" <<EOF
global(workDirectory="$W/work")
module(load="imtcp")
template(name="file" type="string" string="$W/rs/%app-name%.log")
template(name="line" type="string" string="%timereported:::date-rfc3339% %app-name%[%procid%]: %msg%\n")
ruleset(name="apps") { action(type="omfile" dynaFile="file" template="line") }
input(type="imtcp" port="$RP" ruleset="apps")
EOF
	rsyslogd -n -f "$W/rsyslog.conf" -i "$W/rsyslog.pid" 2>"$W/rs.err" &
	RSP=$!; PIDS="$PIDS $RSP"
	wait_until 5 python3 -c "import socket; socket.create_connection(('127.0.0.1', $RP)).close()"
	rm -f "$W"/rs/*.log
	t0=$(python3 "$W/send.py" $RP $LINES $CONNS)
	wait_until 120 rsyslog_done
	t1=$(date +%s.%N)
	rs=$(python3 -c "print(int($TOTAL / ($t1 - $t0)))")
	kill $RSP; wait $RSP 2>/dev/null || true
	echo "run $run: deis-logger $dl lines/s, rsyslog $rs lines/s, logs -n 1000: $ms ms"
	results="$results $dl:$rs:$ms"
done
python3 - $results <<'EOF'
import sys, statistics
r = [tuple(map(float, a.split(":"))) for a in sys.argv[1:]]
print("median of %d runs: deis-logger %d lines/s, rsyslog %d lines/s (ratio %.2f), log_lines=1000 %.2f ms" % (
    len(r), statistics.median(x[0] for x in r), statistics.median(x[1] for x in r),
    statistics.median(x[0] for x in r) / statistics.median(x[1] for x in r), statistics.median(x[2] for x in r)))
EOF
