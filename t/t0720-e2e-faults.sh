#!/bin/sh
# Faults, injected for real into a platform deisctl started, as an operator's bad day
# goes: an app container killed behind the platform's back, the router killed (the
# container, then one worker) under wrk load, the controller killed (-9), the logger
# stopped, the Docker daemon restarted. Each case checks its goal and prints its
# figures ("# fault: ..."), which docs/performance.md keeps. Bounded: a few minutes.
. "$(dirname "$0")/test-lib.sh"
E2E_NAME=f
. "$TOP/t/helper/e2e-platform"
command -v wrk >/dev/null || test_skip_all "wrk is not installed (scripts/install-deps)"
APP=flt-$$

TEST_CLEANUP='docker ps -aq --filter label=sh.deis.app=$APP | xargs -r docker rm -f >/dev/null 2>&1;
 docker images -q 127.0.0.1:$REG/$APP | xargs -r docker rmi -f >/dev/null 2>&1;
 deisctl uninstall --purge platform >/dev/null 2>&1'

ms() { date +%s%3N; }
figure() { echo "# fault: $*"; echo "$*" >>"$TRASH/figures"; }
# (a short timeout: while a container starts, docker-proxy accepts and then waits)
code() { curl -s -m 0.5 -o /dev/null -w "%{http_code}" -H "Host: $APP.$DOMAIN" "http://127.0.0.1:$HTTP${1:-/}"; }
# serving_after T0: wait (at most 30 s) until the app answers 200; prints ms since T0
serving_after() {
	wait_for 30 "[ \"\$(code)\" = 200 ]" && echo $(($(ms) - $1))
}
# load SECONDS OUT: wrk through the router in the background (2 threads, 16 connections)
load() {
	wrk -t2 -c16 -d"$1"s --timeout 5s -H "Host: $APP.$DOMAIN" "http://127.0.0.1:$HTTP/" \
		>"$2" 2>&1 &
	WRK=$!
}
# load_summary OUT: "<requests> requests, <errors> errors (<socket errors>, <non-2xx>)"
load_summary() {
	req=$(awk '/requests in/ { print $1 }' "$1")
	sock=$(awk '/Socket errors/ { s = 0; for (i = 3; i <= NF; i += 2) s += $(i + 1); print s }' "$1")
	non2=$(awk '/Non-2xx/ { print $NF }' "$1")
	echo "${req:-0} requests, $((${sock:-0} + ${non2:-0})) failed (socket ${sock:-0}, non-2xx ${non2:-0})"
}
running_of() {	# running_of TYPE: how many of the app's containers of TYPE run
	docker ps -q --filter label=sh.deis.app=$APP --filter label=sh.deis.type=$1 | wc -l
}

test_expect 'platform images build (stack + platform)' 'e2e_images'
test_expect 'deisctl install + start an isolated platform' 'e2e_up'

test_expect 'a user, a key, the Dockerfile app pushed and scaled to 2' '
	wait_for 30 "curl -sf -m 2 $CTLURL/healthz" &&
	deis register $CTLURL --username=flt --password=flt-pass-1 --email=flt@example.com &&
	ssh-keygen -q -t ed25519 -N "" -C flt@test -f "$KEY" && deis keys:add "$KEY.pub" &&
	repo dockerfile-web app && (cd "$TRASH/app" && deis create $APP --no-remote) &&
	push "$TRASH/app" $APP && deis ps:scale cmd=2 -a $APP &&
	[ "$(running_of cmd)" = 2 ] && [ "$(code)" = 200 ]
'

# 1. An app container killed behind the platform's back (Docker does not restart it).
test_expect 'an app container docker-killed: replaced within 5 s, the app serving throughout' '
	load 8 "$TRASH/wrk1" && sleep 1 &&
	c=$(docker ps -q --filter label=sh.deis.app=$APP --filter label=sh.deis.type=cmd | head -n 1) &&
	t0=$(ms) && docker kill "$c" >/dev/null &&
	wait_for 10 "[ \$(running_of cmd) = 2 ]" && t1=$(ms) &&
	wait $WRK && figure "app container docker-killed: running again after $((t1 - t0)) ms;" \
		"under load $(load_summary "$TRASH/wrk1")" &&
	deis ps -a $APP >"$TRASH/ps" && cat "$TRASH/ps" && [ "$(grep -c "^cmd\.[0-9]* up" "$TRASH/ps")" = 2 ] &&
	wait_for 10 "deis logs -a $APP --lines=100000 | grep -q \"had stopped (crashed, exit 137) and was started again\""
'

# 2. The router's container killed: the supervisor starts it again.
test_expect 'the router container docker-killed: serving again (figure), by itself' '
	t0=$(ms) && docker kill $PREFIX-router >/dev/null && t1=$(ms) && back=$(serving_after $t1) &&
	figure "router container docker-killed: serving again $back ms after Docker killed it" \
		"(docker kill itself took $((t1 - t0)) ms)"
'

# 3. One router worker killed under load: only its own in-flight requests may fail.
test_expect 'a router worker killed (-9) under load: the router keeps serving (figure)' '
	load 6 "$TRASH/wrk3" && sleep 2 &&
	w=$(docker top $PREFIX-router -o pid,args | awk "/deis-router/ { print \$1 }" | sort -n | tail -n 1) &&
	[ -n "$w" ] && kill -9 "$w" && wait $WRK &&
	figure "router worker killed under load: $(load_summary "$TRASH/wrk3")" &&
	[ "$(code)" = 200 ]
'

# 4. The controller killed (-9): Docker restarts it; apps are served by the router meanwhile.
test_expect 'the controller killed (-9): the app serves throughout, the API is back (figure)' '
	load 6 "$TRASH/wrk4" && sleep 1 &&
	p=$(docker top $PREFIX-controller -o pid,args | awk "/deis-controller/ { print \$1 }" | head -n 1) &&
	t0=$(ms) && kill -9 "$p" &&
	wait_for 30 "curl -sf -m 2 $CTLURL/healthz" && t1=$(ms) && wait $WRK &&
	figure "controller killed (-9): API back after $((t1 - t0)) ms; app under load" \
		"$(load_summary "$TRASH/wrk4")" &&
	deis apps:info -a $APP >/dev/null && [ "$(running_of cmd)" = 2 ]
'

# 5. The logger down: deis logs says so (503); what the app writes meanwhile arrives later.
test_expect 'the logger stopped: deis logs answers 503 saying why; lines come once it is back' '
	deisctl stop logger >/dev/null &&
	curl -s -m 5 -o /dev/null -H "Host: $APP.$DOMAIN" "http://127.0.0.1:$HTTP/while-down-$$" &&
	! deis logs -a $APP >"$TRASH/logs-down" 2>&1 && cat "$TRASH/logs-down" &&
	grep -q "503" "$TRASH/logs-down" && grep -q "log service is unavailable" "$TRASH/logs-down" &&
	t0=$(ms) && deisctl start logger >/dev/null &&
	wait_for 30 "deis logs -a $APP | grep -q while-down-$$" && t1=$(ms) &&
	figure "logger stopped: a line written meanwhile in deis logs $((t1 - t0)) ms after its start"
'

# 6. The Docker daemon restarted: everything comes back without an operator.
test_expect 'the Docker daemon restarted: the app serves again by itself (figure); the next deploy works' '
	d=$(cat /var/run/docker.pid) && [ -n "$d" ] && t0=$(ms) && kill -TERM $d &&
	wait_for 60 "! kill -0 $d" && t1=$(ms) && "$TOP/scripts/docker-up" &&
	back=$(serving_after $t0) &&
	figure "Docker daemon restarted (stopped in $((t1 - t0)) ms): app serving again" \
		"$back ms after the stop began" &&
	wait_for 60 "curl -sf -m 2 $CTLURL/healthz" &&
	deis config:set FAULT=1 -a $APP >/dev/null && [ "$(code)" = 200 ] &&
	wait_for 30 "[ \$(running_of cmd) = 2 ]"
'

[ -f "$TRASH/figures" ] && sed "s/^/# fault: /" "$TRASH/figures"
test_done
