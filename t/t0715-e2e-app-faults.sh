#!/bin/sh
# Faults of the apps themselves, on a platform deisctl started (issue 15, "also in the
# suite"): a backend that hangs (the router answers 504 at its timeout, another app keeps
# answering), a backend that closes without answering (502; a POST reaches the app once,
# a GET may be tried on another endpoint), and a log flood from one app (another app's
# lines still reach `deis logs` promptly; neither app's request rate collapses). The app
# is t/helper/fault-app, pushed twice: $BAD misbehaves, $GOOD only answers. Each case
# checks its goal and prints its figures ("# fault: ..."). Bounded: a few minutes.
. "$(dirname "$0")/test-lib.sh"
E2E_NAME=a
. "$TOP/t/helper/e2e-platform"
command -v wrk >/dev/null || test_skip_all "wrk is not installed (scripts/install-deps)"
BAD=afb-$$ GOOD=afg-$$
# the apps' first-byte timeout: deisctl's defaultTimeout (Deis's router setting)
TIMEOUT=4

TEST_CLEANUP='for a in $BAD $GOOD; do
  docker ps -aq --filter label=sh.deis.app=$a | xargs -r docker rm -f >/dev/null 2>&1;
  docker images -q 127.0.0.1:$REG/$a | xargs -r docker rmi -f >/dev/null 2>&1; done;
 deisctl uninstall --purge platform >/dev/null 2>&1'

ms() { date +%s%3N; }
figure() { echo "# fault: $*"; echo "$*" >>"$TRASH/figures"; }
url() { echo "http://127.0.0.1:$HTTP$1"; }
# code APP PATH [curl options]: the status of one request through the router
code() {
	a=$1 p=$2
	shift 2
	curl -s -m 30 -o /dev/null -w "%{http_code}" -H "Host: $a.$DOMAIN" "$@" "$(url "$p")"
}
# load APP SECONDS OUT: wrk through the router in the background (2 threads, 16 connections)
load() {
	wrk -t2 -c16 -d"$2"s --timeout 5s --latency -H "Host: $1.$DOMAIN" "$(url /)" >"$3" 2>&1 &
	WRK=$!
}
# load_summary OUT: "<req/s> req/s, latency <avg> (p99 <p99>), <failed> failed of <requests>"
load_summary() {
	rate=$(awk '/Requests\/sec/ { printf "%d", $2 }' "$1")
	avg=$(awk '$1 == "Latency" { print $2; exit }' "$1")
	p99=$(awk '$1 == "99%" { print $2 }' "$1")
	req=$(awk '/requests in/ { print $1 }' "$1")
	sock=$(awk '/Socket errors/ { s = 0; for (i = 3; i <= NF; i += 2) s += $(i + 1); print s }' "$1")
	non2=$(awk '/Non-2xx/ { print $NF }' "$1")
	echo "${rate:-0} req/s, latency ${avg:-?} (p99 ${p99:-?}), $((${sock:-0} + ${non2:-0})) failed of ${req:-0}"
}
load_failed() {
	sock=$(awk '/Socket errors/ { s = 0; for (i = 3; i <= NF; i += 2) s += $(i + 1); print s }' "$1")
	non2=$(awk '/Non-2xx/ { print $NF }' "$1")
	echo $((${sock:-0} + ${non2:-0}))
}
# seen APP 'METHOD PATH': how many times the app's containers received that request,
# "<total> (<per container>)", from their own output (docker logs, not the logger)
seen() {
	t=0 per=""
	for c in $(docker ps -q --filter label=sh.deis.app=$1 --filter label=sh.deis.type=cmd); do
		n=$(docker logs "$c" 2>&1 | grep -c "^fault-app: $2\$")
		t=$((t + n)) per="$per $n"
	done
	echo "$t (${per# })"
}
# marker_delay APP: ms from a request to /marker-<n> until its line is in `deis logs`
# (at most 60 s; prints nothing when it does not come, and what deis logs shows to stderr)
marker_delay() {
	m=marker-$(ms)
	t0=$(ms)
	c=$(code $1 /$m)
	[ "$c" = 200 ] || { echo "GET /$m of $1 answered $c" >&2; return 1; }
	if wait_for 60 "deis logs -a $1 --lines=50 | grep -q \"GET /$m\""; then
		echo $(($(ms) - t0))
	else
		echo "no line GET /$m in deis logs -a $1 after $(($(ms) - t0)) ms; it ends:" >&2
		deis logs -a $1 --lines=5 >&2
		echo "logspout's last words:" >&2
		docker logs --tail 15 $PREFIX-logspout >&2 2>&1
	fi
}

test_expect 'platform images build (stack + platform)' 'e2e_images'
test_expect "deisctl install + start an isolated platform (router defaultTimeout=$TIMEOUT)" '
	deisctl config router set defaultTimeout=$TIMEOUT && e2e_up
'

test_expect 'a user, a key, the fault app pushed as two apps ($BAD at scale 2)' '
	wait_for 30 "curl -sf -m 2 $CTLURL/healthz" &&
	deis register $CTLURL --username=afl --password=afl-pass-1 --email=afl@example.com &&
	ssh-keygen -q -t ed25519 -N "" -C afl@test -f "$KEY" && deis keys:add "$KEY.pub" &&
	rm -rf "$TRASH/app" && cp -r "$TOP/t/helper/fault-app" "$TRASH/app" &&
	(cd "$TRASH/app" && git init -q -b master && git add . && $GIT commit -qm init) &&
	(cd "$TRASH/app" && deis create $BAD --no-remote && deis create $GOOD --no-remote) &&
	push "$TRASH/app" $BAD && push "$TRASH/app" $GOOD && deis ps:scale cmd=2 -a $BAD &&
	[ "$(code $BAD /)" = 200 ] && [ "$(code $GOOD /)" = 200 ]
'

test_expect 'baseline: both apps under load, each on its own (figure)' '
	load $GOOD 5 "$TRASH/wrk-good0" && wait $WRK && load $BAD 5 "$TRASH/wrk-bad0" && wait $WRK &&
	figure "baseline, $GOOD: $(load_summary "$TRASH/wrk-good0")" &&
	figure "baseline, $BAD (scale 2): $(load_summary "$TRASH/wrk-bad0")" &&
	[ "$(load_failed "$TRASH/wrk-good0")" = 0 ]
'

# 1. A hung backend: 20 requests that never get an answer from the app.
test_expect "a hung backend: 504 at the timeout ($TIMEOUT s); another app keeps answering (figure)" '
	for i in $(seq 1 20); do
		curl -s -m 30 -o /dev/null -w "%{http_code} %{time_total}\n" -H "Host: $BAD.$DOMAIN" \
			"$(url /hang-$$-$i)" >"$TRASH/hang.$i" &
	done &&
	sleep 0.5 && load $GOOD 5 "$TRASH/wrk-hang" && wait &&
	cat "$TRASH"/hang.* | sort | uniq -c | sort -rn | head -n 5 &&
	n504=$(cat "$TRASH"/hang.* | grep -c "^504 ") &&
	slowest=$(cat "$TRASH"/hang.* | awk "{ if (\$2 > m) m = \$2 } END { print m }") &&
	fastest=$(cat "$TRASH"/hang.* | awk "BEGIN { m = 1e9 } { if (\$2 < m) m = \$2 } END { print m }") &&
	figure "hung backend (20 requests): $n504 answered 504 after ${fastest}-${slowest} s" \
		"(timeout $TIMEOUT s); each reached the app $(seen $BAD "GET /hang-$$-1") time(s);" \
		"$GOOD meanwhile: $(load_summary "$TRASH/wrk-hang")" &&
	[ "$n504" = 20 ] &&
	awk -v t=$TIMEOUT "{ if (\$2 < t - 0.5 || \$2 > t + 5) exit 1 }" "$TRASH"/hang.* &&
	[ "$(load_failed "$TRASH/wrk-hang")" = 0 ] && [ "$(code $BAD /)" = 200 ]
'

# 2. A backend that closes without answering. The router's connections to the app are
# pooled (the app keeps alive): a second of load first, so that the request goes out on
# a reused connection, where the router cannot tell a stale one from an app that got it.
prime() { wrk -t2 -c8 -d1s -H "Host: $BAD.$DOMAIN" "$(url /)" >/dev/null 2>&1; }
test_expect 'a backend closing without an answer: 502; a POST with a body reaches it once' '
	prime && c=$(code $BAD /close-post-$$ -d x=1) && s=$(seen $BAD "POST /close-post-$$") &&
	figure "backend closed without answering a POST with a body: $c, the app saw it $s" &&
	[ "$c" = 502 ] && [ "${s%% *}" = 1 ]
'
test_expect 'a backend closing without an answer: a POST without a body reaches it once' '
	prime && c=$(code $BAD /close-empty-$$ -X POST) && s=$(seen $BAD "POST /close-empty-$$") &&
	figure "backend closed without answering a POST without a body: $c, the app saw it $s" &&
	[ "$c" = 502 ] && [ "${s%% *}" = 1 ]
'
test_expect 'a backend closing without an answer: a GET is 502, tried on the other endpoint (figure)' '
	prime && c=$(code $BAD /close-get-$$) && s=$(seen $BAD "GET /close-get-$$") &&
	figure "backend closed without answering a GET: $c, the app saw it $s" &&
	[ "$c" = 502 ] && [ "${s%% *}" -ge 1 ]
'

# 3. A log flood: one container of $BAD writes lines to stdout as fast as it can.
# measure TAG: $GOOD under load with a marker line timed through deis logs, then $BAD.
measure() {
	load $GOOD 5 "$TRASH/wrk-good-$1" && sleep 1 && d=$(marker_delay $GOOD) && wait $WRK &&
	load $BAD 4 "$TRASH/wrk-bad-$1" && wait $WRK &&
	figure "log flood ($1): a $GOOD line in deis logs after ${d:-(never)} ms;" \
		"$GOOD $(load_summary "$TRASH/wrk-good-$1"); $BAD $(load_summary "$TRASH/wrk-bad-$1")" &&
	[ -n "$d" ] && [ "$(load_failed "$TRASH/wrk-good-$1")" = 0 ] &&
	[ "$(load_failed "$TRASH/wrk-bad-$1")" = 0 ]
}
test_expect 'a log flood from one app: before it (figure)' 'measure before'
test_expect 'a log flood from one app: the other app'"'"'s lines come promptly, neither slowed (figure)' '
	c=$(code $BAD "/flood?s=15") && { [ "$c" = 200 ] || { echo "GET /flood answered $c"; false; }; } &&
	sleep 1 && t0=$(ms) && measure during &&
	wait_for 30 "docker ps -q --filter label=sh.deis.app=$BAD | xargs -n 1 docker logs --tail 5 2>&1 |
		grep -q \"^flood: \"" &&
	f=$(docker ps -q --filter label=sh.deis.app=$BAD | xargs -n 1 docker logs --tail 5 2>&1 |
		sed -n "s/^flood: //p") &&
	figure "log flood: the app wrote $f to stdout" &&
	d=$(marker_delay $BAD) &&
	figure "log flood: the flooding app'"'"'s own next line in deis logs after ${d:-(never)} ms" &&
	[ -n "$d" ]
'
test_expect 'a log flood from one app: after it (figure)' 'measure after'

[ -f "$TRASH/figures" ] && sed "s/^/# fault: /" "$TRASH/figures"
test_done
