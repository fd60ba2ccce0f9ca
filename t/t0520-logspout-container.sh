#!/bin/sh
# deis-logspout with real containers: a labelled app container's stdout and
# stderr reach the logger in order; a 64 KiB line arrives whole; the logger
# restarts while the app logs; logspout restarts and resumes from its state.
# Both run with the platform's logger key, as deisctl starts them (a reconnect
# opens with the key again); a logspout without it gets nothing filed.
. "$(dirname "$0")/test-lib.sh"
cd "$TRASH" || exit 1

docker_ok || test_skip_all 'no docker daemon'
IMG=deis-test-busybox:latest
if ! docker image inspect $IMG >/dev/null 2>&1; then
	# a tiny image without network: Debian's busybox-static in a scratch image
	[ -x /bin/busybox ] || test_skip_all 'busybox-static not installed'
	mkdir img && cp /bin/busybox img/busybox &&
	printf 'FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox"]\n' >img/Dockerfile &&
	docker build -q -t $IMG img >/dev/null || test_skip_all 'cannot build the test image'
fi

APP=lsp$$
# every container this test starts is labelled with the app or named after it
TEST_CLEANUP='docker rm -f $(docker ps -aq --filter label=sh.deis.app=$APP) ${APP}-plain >/dev/null 2>&1'
# run_app TYPE NUM SCRIPT: a container labelled as the scheduler labels app containers
run_app() {
	docker run -d --name "${APP}_v1.$1.$2" --label sh.deis.app=$APP --label sh.deis.release=1 \
		--label sh.deis.type=$1 --label sh.deis.num=$2 --network none $IMG sh -c "$3" >/dev/null
}

SP=$(free_port); HP=$(free_port)
export DEIS_LOGGER_KEY=lsp-test-key-$$-0123456789
start_logger() {
	bg_start logger deis-logger -t 127.0.0.1:$SP -u "" -l 127.0.0.1:$HP -d "$TRASH/logs"
	wait_for 5 "curl -sf http://127.0.0.1:$HP/healthz"
}
start_logspout() {
	bg_start logspout deis-logspout -l 127.0.0.1:$SP -S "$TRASH/state" -H testhost
}
lines() { curl -sf "http://127.0.0.1:$HP/$APP?log_lines=100000"; }

start_logger
start_logspout

test_expect 'stdout and stderr lines of an app container reach the logger' '
	run_app web 1 "echo hello out; echo hello err >&2; echo done" &&
	wait_for 10 "[ \$(lines | wc -l) -ge 3 ]" &&
	lines | grep -E "^20[0-9-]{8}T[0-9:.]{15}Z $APP\[web\.1\]: hello out\$" &&
	lines | grep "$APP\[web\.1\]: hello err\$" &&
	lines | grep "$APP\[web\.1\]: done\$"
'

test_expect 'a 64 KiB line arrives whole (Docker splits it in 16 KiB entries)' '
	run_app big 1 "head -c 65536 /dev/zero | tr \"\\\\0\" x; echo; echo after-big" &&
	wait_for 10 "lines | grep -q \"$APP\[big\.1\]: after-big\$\"" &&
	lines | grep "$APP\[big\.1\]: x" | sed "s/^.*\]: //" >big &&
	[ $(wc -l <big) -eq 1 ] && [ $(wc -c <big) -eq 65537 ] && ! grep -q "[^x]" big
'

# 3000 numbered lines over ~3 s; the logger restarts in the middle.
run_app worker 1 'i=0; while [ $i -lt 3000 ]; do i=$((i+1)); echo "n $i"; [ $((i % 100)) -eq 0 ] && sleep 0.1; done; echo worker-done'
wait_for 10 "lines | grep -q 'worker\.1\]: n 800\$'"
kill $PID_logger; wait_for 5 "! kill -0 $PID_logger"
start_logger
test_expect 'logger restart while the app logs: lines stay in order, loss is counted' '
	wait_for 20 "lines | grep -q \"worker\.1\]: worker-done\$\"" &&
	lines | sed -n "s/^.*worker\.1\]: n //p" >got &&
	sort -n -u got | cmp - got &&
	lost=$((3000 - $(wc -l <got))) &&
	echo "# logger restart: $lost of 3000 lines lost" >&2 &&
	echo "lost=$lost" >lost && [ $lost -le 50 ]
'
[ -f lost ] && echo "# logger restart while an app logs: $(cat lost) of 3000 lines lost"

# The same with the logger killed (SIGKILL): what its socket held is lost.
run_app worker 2 'i=0; while [ $i -lt 3000 ]; do i=$((i+1)); echo "k $i"; [ $((i % 100)) -eq 0 ] && sleep 0.1; done; echo worker-done'
wait_for 10 "lines | grep -q 'worker\.2\]: k 800\$'"
kill -9 $PID_logger; wait_for 5 "! kill -0 $PID_logger"
start_logger
test_expect 'logger killed while the app logs: in order, loss bounded by what was in flight' '
	wait_for 20 "lines | grep -q \"worker\.2\]: worker-done\$\"" &&
	lines | sed -n "s/^.*worker\.2\]: k //p" >got &&
	sort -n -u got | cmp - got &&
	lost=$((3000 - $(wc -l <got))) &&
	echo "lost=$lost" >lost9 && [ $lost -le 200 ]
'
[ -f lost9 ] && echo "# logger SIGKILL while an app logs: $(cat lost9) of 3000 lines lost"

# logspout restarts while an app logs: it resumes from its state file.
run_app clock 1 'i=0; while [ $i -lt 2000 ]; do i=$((i+1)); echo "c $i"; [ $((i % 100)) -eq 0 ] && sleep 0.1; done; echo clock-done'
wait_for 10 "lines | grep -q 'clock\.1\]: c 500\$'"
kill $PID_logspout; wait_for 5 "! kill -0 $PID_logspout"
sleep 0.5
start_logspout
test_expect 'logspout restart: nothing lost, nothing repeated' '
	[ -s state ] &&
	wait_for 20 "lines | grep -q \"clock\.1\]: clock-done\$\"" &&
	lines | sed -n "s/^.*clock\.1\]: c //p" >got &&
	seq 1 2000 | cmp - got && cp got got_clock
'

# A stopped (SIGSTOP) logger: the app is never blocked, Docker keeps its lines,
# logspout pauses at its high-water mark and delivers everything afterwards.
kill -STOP $PID_logger
run_app flood 1 'i=0; while [ $i -lt 30000 ]; do i=$((i+1)); echo "f $i ................................................................................................................................................................................"; done; echo flood-done'
test_expect 'a stopped logger never blocks the app' '
	timeout 60 docker wait ${APP}_v1.flood.1 >/dev/null
'
kill -CONT $PID_logger
test_expect 'after the logger resumes, every line arrives, in order' '
	wait_for 60 "lines | grep -q \"flood\.1\]: flood-done\$\"" &&
	lines | sed -n "s/^.*flood\.1\]: f \([0-9]*\) .*/\1/p" >got &&
	seq 1 30000 | cmp - got
'

# Docker leaves a follower that fell behind across a rotation of the log file
# waiting on the rotated file: the lines written after never come. Small files
# (1 MB, 2 of them), the logger stopped while 12 MB are written, a line 5 s later.
kill -STOP $PID_logger
docker run -d --name "${APP}_v1.rot.1" --label sh.deis.app=$APP --label sh.deis.release=1 \
	--label sh.deis.type=rot --label sh.deis.num=1 --network none \
	--log-opt max-size=1m --log-opt max-file=2 $IMG sh -c \
	'i=0; while [ $i -lt 60000 ]; do i=$((i+1)); echo "r $i ..........................................................................................................................................................................................."; done; echo rot-flood-done; sleep 5; echo rot-after; sleep 600' >/dev/null
wait_for 60 "docker logs --tail 1 ${APP}_v1.rot.1 2>&1 | grep -q rot-after"
kill -CONT $PID_logger
test_expect 'a stream Docker left behind a log rotation is renewed: later lines arrive' '
	wait_for 60 "lines | grep -q \"rot\\.1\\]: rot-after\$\"" &&
	wait_for 10 "grep -q \"renewing the stream of .* (${APP}\\[rot\\.1\\])\" \"$TRASH/logspout.log\""
'

test_expect 'a container whose logs Docker cannot serve is not retried in a loop' '
	id=$(docker run -d --name ${APP}_v1.nolog.1 --log-driver none --label sh.deis.app=$APP \
		--label sh.deis.type=nolog --label sh.deis.num=1 --network none $IMG sleep 30) &&
	run_app web 9 "sleep 2; echo still-flowing" &&
	wait_for 10 "lines | grep -q \"web\.9\]: still-flowing\$\"" &&
	n=$(grep -c "detached from $id" "$TRASH/logspout.log") &&
	echo "detached $n times" && [ "$n" -le 2 ]
'

test_expect 'a logspout without the key gets none of its lines filed' '
	before=$(lines | wc -l) &&
	bg_start nokey env -u DEIS_LOGGER_KEY deis-logspout -l 127.0.0.1:$SP -H nokeyhost &&
	wait_for 10 "curl -sf http://127.0.0.1:$HP/_stats | jq -e \".unauthenticated > 0\"" &&
	sleep 1 && kill $PID_nokey &&
	[ $(lines | wc -l) -eq $before ] &&
	lines | sed -n "s/^.*clock\.1\]: c //p" | cmp - got_clock
'

test_expect 'a container without the platform labels is ignored' '
	docker run -d --name ${APP}-plain --network none $IMG sh -c "echo not-an-app" >/dev/null &&
	sleep 1 &&
	! curl -sf "http://127.0.0.1:$HP/${APP}-plain" | grep -q not-an-app &&
	! lines | grep -q not-an-app
'

test_done
