#!/bin/sh
# git push → the new release answering through the router, on the platform as deployed
# (deisctl, an isolated instance as the end-to-end tests make it), RUNS times after one
# unmeasured push: a hello buildpack app (examples/python-web) and a Dockerfile app
# (examples/dockerfile-web). Prints each sample and the medians.
#
#   bench/push.sh [RUNS] [TREE]
#
# TREE: the root of another checkout, built (make), whose platform is measured instead:
# the same script on two trees in one session gives the before/after of a change.
# One sample swings by seconds (the publisher's next report decides when routes switch):
# compare medians of several runs.
RUNS=${1:-5}
HERE=$(cd "$(dirname "$0")/.." && pwd)
. "$HERE/t/test-lib.sh"
if [ -n "${2:-}" ]; then
	TOP=$(cd "$2" && pwd) BUILD=$TOP/build BIN=$TOP/build/bin PATH=$TOP/build/bin:$PATH
fi
E2E_NAME=bench
. "$HERE/t/helper/e2e-platform"
PY=bpy-$$ DK=bdk-$$
TEST_CLEANUP='for a in $PY $DK; do docker ps -aq --filter label=sh.deis.app=$a | xargs -r docker rm -f >/dev/null 2>&1; done;
 deisctl uninstall --purge platform >/dev/null 2>&1'

now() { date +%s.%N; }
fail() { echo "bench/push.sh: $*" >&2; exit 1; }

e2e_images >"$TRASH/images.log" 2>&1 || fail "images: $(tail -n 5 "$TRASH/images.log")"
e2e_up >"$TRASH/up.log" 2>&1 || fail "platform: $(tail -n 5 "$TRASH/up.log")"
wait_for 30 "curl -sf -m 2 $CTLURL/healthz" || fail "no controller"
deis register $CTLURL --username=bench --password=bench-pass-1 --email=b@example.com >/dev/null &&
ssh-keygen -q -t ed25519 -N "" -f "$KEY" && deis keys:add "$KEY.pub" >/dev/null || fail "user"

# measure APP DIR: RUNS pushes of a changed file, each until the body changes.
measure() {
	app=$1 dir=$2 n=0
	while [ $n -le "$RUNS" ]; do
		echo "# $n" >>"$TRASH/$dir/marker.txt"
		(cd "$TRASH/$dir" && git add marker.txt && $GIT commit -qm "run $n") || fail commit
		before=$(app_get $app)
		t=$(now)
		push "$TRASH/$dir" $app >/dev/null || fail "push of $app"
		# the buildpack app names its release; the Dockerfile app's push returns once routed
		i=0
		while { [ "$(app_get $app)" = "$before" ] && echo "$before" | grep -q release; } ||
		    ! app_get $app >/dev/null; do
			[ $i -lt 600 ] || fail "$app did not answer anew"
			sleep 0.05; i=$((i + 1))
		done
		s=$(echo "$(now) $t" | awk '{ printf "%.2f", $1 - $2 }')
		[ $n -gt 0 ] && echo "$app run $n: push → new release answering $s s" && echo "$s" >>"$TRASH/$app.s"
		n=$((n + 1))
	done
	echo "$app median: $(sort -n "$TRASH/$app.s" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }') s"
}

repo python-web py && (cd "$TRASH/py" && deis create $PY --no-remote >/dev/null) || fail "create"
repo dockerfile-web dk && (cd "$TRASH/dk" && deis create $DK --no-remote >/dev/null) || fail "create"
echo "tree: $TOP ($(git -C "$TOP" rev-parse --short HEAD))"
measure $PY py
measure $DK dk
