#!/bin/sh
# deis logs against a real controller and logger: the last lines coloured as
# the Deis client did, -n, and our `deis logs -f` (follow until interrupted).
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/controller-start"
. "$TOP/t/golden/cli/golden.sh"

DEIS=$BIN/deis
CTL=${DEIS_CONTROLLER:-$BIN/deis-controller}
[ -x "$DEIS" ] || test_skip_all "no deis binary at $DEIS"
[ -x "$CTL" ] || test_skip_all "no controller binary at $CTL"
[ -x "$BIN/deis-logger" ] || test_skip_all "no logger binary"
command -v python3 >/dev/null || test_skip_all "python3 is not installed"

HOME=$TRASH/home
mkdir -p "$HOME"
export HOME
unset DEIS_PROFILE

SP=$(free_port)
HP=$(free_port)
bg_start logger deis-logger -t 127.0.0.1:$SP -u '' -l 127.0.0.1:$HP -d "$TRASH/logs"
wait_for 5 "curl -sf http://127.0.0.1:$HP/healthz" || test_skip_all "the logger does not start"
controller_start "$TRASH/ctl" --domain example.com --logger-url "http://127.0.0.1:$HP" \
    >/dev/null || test_skip_all "the controller does not start"
URL=$CONTROLLER_URL
GOLDEN_URL=$URL

# send FIRST COUNT: RFC 5424 lines "line N" from demo's web.1, newline framed
send() {
	python3 - "$SP" "$1" "$2" <<'EOF'
import socket, sys
port, first, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
for i in range(first, first + count):
    s.sendall(b"<14>1 - testhost demo web.1 - - line %d\n" % i)
s.close()
EOF
}

test_expect 'set up a user and an app with four log lines' '
	deis register "$URL" --username=admin --password=s3cret --email=a@example.com >/dev/null &&
	deis create demo --no-remote >/dev/null &&
	send 1 4 &&
	wait_for 5 "curl -sf \"http://127.0.0.1:$HP/demo?log_lines=10\" | grep -q \"line 4\$\""
'
test_expect 'deis logs prints the lines, coloured by app[proc]' '
	golden logs deis logs -a demo
'
test_expect 'deis logs -n 2' '
	golden logs-n2 deis logs -n 2 -a demo
'
test_expect 'deis logs -f prints new lines as they come, until interrupted' '
	deis logs -f -n 1 -a demo >"$TRASH/follow.out" 2>"$TRASH/follow.err" &
	pid=$!
	ok=0
	wait_for 5 "grep -q \"line 4\" \"$TRASH/follow.out\"" &&
	send 5 2 &&
	wait_for 5 "grep -q \"line 6\" \"$TRASH/follow.out\"" &&
	kill -0 $pid && ok=1
	# an asynchronous list ignores SIGINT in a non-interactive shell: TERM it
	# (bounded: KILL if it has not gone within 5 s, and say so)
	kill $pid 2>/dev/null
	wait_for 5 "! kill -0 $pid 2>/dev/null || grep -q \" Z \" /proc/$pid/stat" || { echo "deis logs -f ignored SIGTERM"; kill -9 $pid; ok=0; }
	wait $pid
	cat "$TRASH/follow.out" "$TRASH/follow.err"
	test $ok = 1 && test "$(grep -c "line" "$TRASH/follow.out")" -eq 3
'
test_done
