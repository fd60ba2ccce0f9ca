#!/bin/sh
# deis with a controller that runs containers on the local Docker engine:
# pull an image, ps, scale, restart, and apps:run exiting with the remote code.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/controller-start"
. "$TOP/t/golden/cli/golden.sh"

DEIS=$BIN/deis
CTL=${DEIS_CONTROLLER:-$BIN/deis-controller}
[ -x "$DEIS" ] || test_skip_all "no deis binary at $DEIS"
[ -x "$CTL" ] || test_skip_all "no controller binary at $CTL"
docker_ok || test_skip_all "no Docker daemon"
IMAGE=$("$TOP/t/helper/sched-image" 2>/dev/null) || test_skip_all "cannot build the test image"

HOME=$TRASH/home
mkdir -p "$HOME"
export HOME
unset DEIS_PROFILE DEIS_DRINK_OF_CHOICE
APP=clirun$$
# whatever happens, no container of ours outlives the test
TEST_CLEANUP='docker ps -aq --filter "name=^${APP}_" | xargs -r docker rm -f >/dev/null 2>&1'

controller_start "$TRASH/ctl" --domain example.com --scheduler docker >/dev/null ||
	test_skip_all "the controller does not start"
URL=$CONTROLLER_URL
GOLDEN_URL=$URL

test_expect 'pull an image: a release with one cmd process' '
	deis register "$URL" --username=admin --password=s3cret --email=a@example.com >/dev/null &&
	deis create $APP --no-remote >/dev/null &&
	cd "$TRASH" && timeout 120 deis pull "$IMAGE" -a $APP >"$TRASH/out" &&
	test "$(cat "$TRASH/out")" = "Creating build... done" &&
	deis ps -a $APP >"$TRASH/ps" &&
	test "$(cat "$TRASH/ps")" = "$(printf "=== $APP Processes\n--- cmd:\ncmd.1 up (v2)")"
'
test_expect 'apps:run prints the output and exits with the remote status' '
	# the words are joined with spaces and run by a shell, as in Deis
	timeout 120 deis run -a $APP "echo hello; exit 3" >"$TRASH/out"; rc=$?
	test $rc -eq 3 &&
	test "$(cat "$TRASH/out")" = "$(printf "Running '\''echo hello; exit 3'\''...\nhello")" &&
	timeout 120 deis run -a $APP -- echo -n "a  b" >"$TRASH/out" &&
	test "$(cat "$TRASH/out")" = "$(printf "Running '\''echo -n a  b'\''...\na b")"
'
test_expect 'scale and restart print the coffee line, done in Ns and the processes' '
	timeout 120 deis scale cmd=2 -a $APP >"$TRASH/out" &&
	golden_normalize <"$TRASH/out" | sed "s#$APP#APP#g" >"$TRASH/out.n" &&
	test "$(cat "$TRASH/out.n")" = "$(printf "Scaling processes... but first, coffee!\ndone in Ns\n=== APP Processes\n--- cmd:\ncmd.1 up (v2)\ncmd.2 up (v2)")" &&
	timeout 120 env DEIS_DRINK_OF_CHOICE=mate deis ps:restart cmd.2 -a $APP >"$TRASH/out" &&
	head -n 1 "$TRASH/out" | grep -qx "Restarting processes... but first, mate!" &&
	grep -qx "cmd.2 up (v2)" "$TRASH/out"
'
test_expect 'destroy removes the containers' '
	timeout 120 deis destroy -a $APP --confirm=$APP >/dev/null &&
	wait_for 30 "test -z \"\$(docker ps -aq --filter name=^${APP}_)\""
'
test_done
