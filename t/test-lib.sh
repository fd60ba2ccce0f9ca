# Sourced by every t/tNNNN-*.sh test. TAP output for prove.
#
#   . "$(dirname "$0")/test-lib.sh"
#   test_expect 'what it checks' 'shell code that must succeed'
#   test_done
#
# Every test runs in its own scratch directory $TRASH (removed at exit unless
# the test failed and DEBUG is set), binaries come from $BUILD/bin, every daemon
# started with `bg_start` is killed at exit, and waits use `wait_for`, which is
# always bounded.
set -u
TEST_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$TEST_DIR/.." && pwd)
BUILD=${BUILD:-$TOP/build}
BIN=$BUILD/bin
PATH=$BIN:$PATH
export TOP BUILD BIN PATH
TRASH=$(mktemp -d "/tmp/deis-test.$(basename "$0" .sh).XXXXXX")
# Tests run in their scratch directory: a relative path never lands in the tree.
cd "$TRASH" || exit 1
test_count=0
test_failed=0
BG_PIDS=""

cleanup() {
	for p in $BG_PIDS; do kill "$p" 2>/dev/null; done
	for p in $BG_PIDS; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		kill -9 "$p" 2>/dev/null
	done
	[ -n "${TEST_CLEANUP:-}" ] && eval "$TEST_CLEANUP"
	if [ $test_failed -eq 0 ] || [ -z "${DEBUG:-}" ]; then rm -rf "$TRASH"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# bg_start NAME cmd args...: start a daemon in the background, output in $TRASH/NAME.log.
bg_start() {
	name=$1; shift
	"$@" >"$TRASH/$name.log" 2>&1 &
	BG_PIDS="$BG_PIDS $!"
	eval "PID_$(echo "$name" | tr -c 'A-Za-z0-9\n' _)=$!"
}

# wait_for SECONDS 'condition': poll every 0.1 s; fail after SECONDS.
wait_for() {
	limit=$(( $1 * 10 )); shift
	i=0
	while ! eval "$1" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -ge "$limit" ] && return 1
		sleep 0.1
	done
	return 0
}

# free_port: an ephemeral TCP port on loopback that nothing listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

test_expect() {
	test_count=$((test_count + 1))
	if ( eval "$2" ) >"$TRASH/out.$test_count" 2>&1; then
		echo "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
		# on stderr, so that a run without prove -v (CI) shows why
		sed 's/^/# /' "$TRASH/out.$test_count" | tail -n 40 >&2
	fi
}

test_skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

test_done() {
	echo "1..$test_count"
	[ $test_failed -eq 0 ]
}

# Docker daemon on the default socket (started by scripts/docker-up).
docker_ok() {
	curl -sf --unix-socket /var/run/docker.sock http://d/_ping >/dev/null 2>&1
}
