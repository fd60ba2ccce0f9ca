#!/bin/sh
# deis run's start, plain and on a terminal (issue 18), against a controller
# on the local Docker engine with the scheduler tests' image
# (t/helper/sched-image): N times each,
#   plain: `deis run -a APP true </dev/null` to its exit (create, start, wait,
#          logs, remove);
#   tty:   `deis run -a APP bash` on a pseudo-terminal (t/helper/pty-drive)
#          until the remote shell's answer to a typed `echo` shows (create,
#          attach, start, 101, first round trip; the removal after is not
#          counted), pty-drive's own start included.
# Prints each time and the medians.
#   bench/run-tty.sh [N]
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=$TOP/build/bin
N=${1:-5}
IMAGE=$("$TOP/t/helper/sched-image")
W=$(mktemp -d /tmp/deis-bench-runtty.XXXXXX)
APP=benchtty$$
PATH=$BIN:$PATH
HOME=$W/home
export PATH HOME
mkdir -p "$HOME"
"$BIN/deis-controller" --listen 127.0.0.1:0 --db "sqlite://$W/db" --scheduler docker \
	--domain example.com >"$W/log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; docker ps -aq --filter "name=^${APP}_" | xargs -r docker rm -f >/dev/null 2>&1; rm -rf "$W"' EXIT
i=0
until PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$W/log") && [ -n "$PORT" ] &&
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do
	i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.1
done
deis register "http://127.0.0.1:$PORT" --username=admin --password=s3cret --email=a@x >/dev/null
deis create $APP --no-remote >/dev/null
deis pull "$IMAGE" -a $APP >/dev/null
now() { date +%s.%N; }
: >"$W/plain"; : >"$W/tty"
for i in $(seq "$N"); do
	t0=$(now); deis run -a $APP true </dev/null >/dev/null; t1=$(now)
	printf 'send echo up-$((1+%d))\\r\nexpect up-%d\n' "$i" $((i + 1)) >"$W/script"
	t2=$(now); "$TOP/t/helper/pty-drive" "$W/script" -- deis run -a $APP bash >/dev/null; t3=$(now)
	echo "$t1 - $t0" | bc >>"$W/plain"; echo "$t3 - $t2" | bc >>"$W/tty"
	echo "run $i: plain $(tail -n 1 "$W/plain") s, tty $(tail -n 1 "$W/tty") s"
done
med() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "median: plain $(med "$W/plain") s, tty to the first answer $(med "$W/tty") s (load: $(cut -d' ' -f1 /proc/loadavg))"
