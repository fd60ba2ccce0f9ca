# Golden-output helpers for the t02NN-cli-*.sh tests (sourced after test-lib.sh).
#
#   golden NAME cmd args...
#
# runs the command with stdin from /dev/null (or $GOLDEN_STDIN), records
# stdout, stderr and the exit status in one file laid out as
#
#   <stdout>-- stderr --
#   <stderr>-- exit N --
#
# (so a missing final newline shows), replaces what changes from run to run
# (controller URL, the test's directory, UUIDs, timestamps, durations) by
# fixed words, and diffs it with t/golden/cli/NAME. Names are shared by all
# the t02NN tests: the same name must mean the same output. GOLDEN_UPDATE=1 rewrites the golden file instead:
# only do that after checking the new output against the Deis 1.13 client.
GOLDEN_DIR=$TOP/t/golden/cli

golden_normalize() {
	sed -E \
	    -e "s#${GOLDEN_URL:-http://CONTROLLER}#http://CONTROLLER#g" \
	    -e "s#$TRASH#TRASH#g" \
	    -e 's#[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}#UUID#g' \
	    -e 's#[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(UTC|Z)?#TIME#g' \
	    -e 's#done in [0-9]+s#done in Ns#g' \
	    -e "s#127\\.0\\.0\\.1:${GOLDEN_PORT:-PORT}#127.0.0.1:PORT#g"
}

golden() {
	_g_name=$1
	shift
	"$@" <"${GOLDEN_STDIN:-/dev/null}" >"$TRASH/golden.out" 2>"$TRASH/golden.err"
	_g_rc=$?
	{
		cat "$TRASH/golden.out"
		echo "-- stderr --"
		cat "$TRASH/golden.err"
		echo "-- exit $_g_rc --"
	} | golden_normalize >"$TRASH/golden.$_g_name"
	if [ -n "${GOLDEN_UPDATE:-}" ]; then
		cp "$TRASH/golden.$_g_name" "$GOLDEN_DIR/$_g_name"
	fi
	diff -u "$GOLDEN_DIR/$_g_name" "$TRASH/golden.$_g_name"
}
