#!/bin/sh
# Controller + scheduler on the real Docker engine: `deis pull` deploys,
# scale, config change (new release, env injected, no image build), run,
# rolling restart, rollback, a failing health check keeps the old release
# (503), reconcile after containers vanished while the controller was away,
# destroy removes everything. Containers are found by their labels.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/controller-start"

sched_prereqs deis-controller

API_DIR=$TRASH
APP=t0160-$$ APP80=t0160p-$$ APPX=t0160x-$$ APPL=t0160l-$$
TEST_CLEANUP='for a in $APP $APP80 $APPX $APPL; do docker ps -aq --filter label=sh.deis.app=$a | xargs -r docker rm -f >/dev/null; done;
 docker rmi -f deis-test/port80:$$ deis-test/crash:$$ >/dev/null 2>&1'
start() {
	controller_start "$TRASH/c" --scheduler docker --boot-timeout 8 >/dev/null && API_URL=$CONTROLLER_URL
}
running() {	# running TYPE: names of running containers of the app, sorted
	docker ps --filter "label=sh.deis.app=$APP" --filter "label=sh.deis.type=$1" \
		--format '{{.Names}}' | sort | tr '\n' ' '
}
start || test_expect "controller starts" false
api_register alice >/dev/null && api_login alice >/dev/null

test_expect 'deis pull deploys web.1 of v2' '
	api_check "201 CREATED" POST /v1/apps/ alice "{\"id\":\"$APP\"}" &&
	api_check "201 CREATED" POST /v1/apps/$APP/builds/ alice "{\"image\":\"$IMAGE\",\"procfile\":{\"web\":\"httpd -f -p \$PORT -h /www\",\"worker\":\"sleep 100000\"}}" &&
	[ "$(running web)" = "${APP}_v2.web.1 " ] &&
	api_check "200 OK" GET /v1/apps/$APP/containers/ alice &&
	api_body ".count == 1 and .results[0].state == \"up\" and .results[0].release == \"v2\"" &&
	api_check "200 OK" GET /v1/apps/$APP/ alice && api_body ".structure == {\"web\":1}"
'
test_expect 'scale web=3 worker=1, then web=2' '
	api_check "204 NO CONTENT" POST /v1/apps/$APP/scale/ alice "{\"web\":3,\"worker\":1}" &&
	[ "$(running web)" = "${APP}_v2.web.1 ${APP}_v2.web.2 ${APP}_v2.web.3 " ] &&
	[ "$(running worker)" = "${APP}_v2.worker.1 " ] &&
	api_check "204 NO CONTENT" POST /v1/apps/$APP/scale/ alice "{\"web\":2}" &&
	[ "$(running web)" = "${APP}_v2.web.1 ${APP}_v2.web.2 " ] &&
	api_check "200 OK" GET /v1/apps/$APP/containers/web/2/ alice && api_body ".num == 2 and .type == \"web\""
'
test_expect 'config:set rolls out v3 with the value in the environment, same image' '
	api_check "201 CREATED" POST /v1/apps/$APP/config/ alice "{\"values\":{\"GREETING\":\"hello \\\"world\\\" \$x\"}}" &&
	api_body ".values.DEIS_RELEASE == \"v3\"" &&
	[ "$(running web)" = "${APP}_v3.web.1 ${APP}_v3.web.2 " ] &&
	[ "$(running worker)" = "${APP}_v3.worker.1 " ] &&
	[ "$(docker inspect -f "{{.Config.Image}}" ${APP}_v3.web.1)" = "$IMAGE" ] &&
	docker inspect -f "{{range .Config.Env}}{{println .}}{{end}}" ${APP}_v3.web.1 >"$TRASH/env" &&
	grep -qx "GREETING=hello \"world\" \$x" "$TRASH/env" &&
	grep -qx "DEIS_APP=$APP" "$TRASH/env" && grep -qx "DEIS_RELEASE=v3" "$TRASH/env" &&
	grep -qx "PORT=5000" "$TRASH/env"
'
test_expect 'app containers get the security floor' '
	docker inspect -f "{{.HostConfig.NetworkMode}} {{.HostConfig.SecurityOpt}} {{.HostConfig.CapDrop}} {{.HostConfig.PidsLimit}} {{range .Mounts}}{{.Source}}{{end}}" ${APP}_v3.web.1 >"$TRASH/sec" &&
	cat "$TRASH/sec" &&
	[ "$(docker inspect -f "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}" ${APP}_v3.web.1)" = "1073741824 1073741824" ] &&
	! grep -q "^host " "$TRASH/sec" && grep -q "no-new-privileges" "$TRASH/sec" &&
	grep -qi "all" "$TRASH/sec" && ! grep -q docker.sock "$TRASH/sec"
'
test_expect 'limits:set memory becomes a container limit' '
	api_check "201 CREATED" POST /v1/apps/$APP/config/ alice "{\"memory\":{\"web\":\"64M\"}}" &&
	[ "$(docker inspect -f "{{.HostConfig.Memory}}" ${APP}_v4.web.1)" = 67108864 ]
'
test_expect 'run returns the exit code and the output' '
	api_check "200 OK" POST /v1/apps/$APP/run alice "{\"command\":\"echo \$GREETING; exit 3\"}" &&
	api_body ". == [3, \"hello \\\"world\\\" \$x\\n\"]" &&
	[ -z "$(docker ps -aq --filter label=sh.deis.app=$APP --filter label=sh.deis.type=run)" ] &&
	api_check "200 OK" POST /v1/apps/$APP/run alice "{\"command\":\"printf a\\\\\\\\377b\"}" &&
	api_body ". == [0, \"a\\ufffdb\"]"
'
test_expect 'run logs who ran which program, never its arguments' '
	api_check "200 OK" POST /v1/apps/$APP/run alice "{\"command\":\" TOKEN=s3cret-a  echo s3cret-b\"}" &&
	grep -q "INFO \[$APP\]: alice runs .echo. (a one-off process" "$TRASH/c/controller.log" &&
	! grep -q s3cret "$TRASH/c/controller.log"
'
test_expect 'ps:restart web rolls the web containers' '
	before=$(docker ps -q --filter label=sh.deis.app=$APP --filter label=sh.deis.type=web | sort) &&
	api_check "200 OK" POST /v1/apps/$APP/containers/web/restart/ alice &&
	api_body "length == 2 and all(.[]; .state == \"up\")" &&
	after=$(docker ps -q --filter label=sh.deis.app=$APP --filter label=sh.deis.type=web | sort) &&
	[ "$before" != "$after" ] && [ "$(running web)" = "${APP}_v4.web.1 ${APP}_v4.web.2 " ]
'
test_expect 'a failing health check keeps the old release and answers 503' '
	api_check "503 SERVICE UNAVAILABLE" POST /v1/apps/$APP/config/ alice "{\"values\":{\"HEALTHCHECK_URL\":\"/no-such-page\"}}" &&
	api_body ".detail | test(\"health check\")" &&
	[ "$(running web)" = "${APP}_v4.web.1 ${APP}_v4.web.2 " ] &&
	api_check "200 OK" GET /v1/apps/$APP/releases/ alice && api_body ".results[0].version == 4"
'
test_expect 'rollback to v2 deploys v5 with v2 config' '
	api_check "201 CREATED" POST /v1/apps/$APP/releases/rollback/ alice "{\"version\":2}" &&
	api_body ".version == 5" &&
	[ "$(running web)" = "${APP}_v5.web.1 ${APP}_v5.web.2 " ] &&
	! docker inspect -f "{{range .Config.Env}}{{println .}}{{end}}" ${APP}_v5.web.1 | grep -q GREETING
'
# Restart outside test_expect (a subshell) so the new URL reaches the next tests.
kill $CONTROLLER_PID && wait_for 5 "! kill -0 $CONTROLLER_PID"
docker rm -f ${APP}_v5.web.2 >/dev/null
start
test_expect 'reconcile: containers removed while the controller was away come back' '
	wait_for 20 "[ \"\$(running web)\" = \"${APP}_v5.web.1 ${APP}_v5.web.3 \" ] || [ \"\$(running web)\" = \"${APP}_v5.web.1 ${APP}_v5.web.2 \" ]"
'
# Docker does not restart a container it was told to kill: the platform does.
test_expect 'a container killed behind the platform is reported, then started again' '
	docker kill ${APP}_v5.worker.1 >/dev/null && t0=$(date +%s) &&
	wait_for 5 "api_call GET /v1/apps/$APP/containers/worker/ alice | grep -q \"200 OK\" && jq -e \".results[0].state == \\\"crashed\\\"\" \"$API_DIR/body\"" &&
	api_body ".results[0].exit_code == 137 and .results[0].restarting == false and (.results[0].next_start | type) == \"string\"" &&
	wait_for 8 "[ \"\$(running worker)\" = \"${APP}_v5.worker.1 \" ]" &&
	echo "# worker.1 running again after $(($(date +%s) - t0)) s" &&
	wait_for 5 "api_call GET /v1/apps/$APP/containers/worker/ alice | grep -q \"200 OK\" && jq -e \".results[0].state == \\\"up\\\"\" \"$API_DIR/body\"" &&
	grep "worker.1 had stopped (crashed, exit 137) and was started again" "$TRASH/c/controller.log"
'
test_expect 'ps:scale to the count already there starts what was stopped behind the platform' '
	docker stop -t 1 ${APP}_v5.web.1 >/dev/null &&
	api_check "204 NO CONTENT" POST /v1/apps/$APP/scale/ alice "{\"web\":2}" &&
	[ "$(running web | wc -w)" = 2 ] && running web | grep -q "${APP}_v5.web.1 "
'
LOOP_BUILD=$(jq -nc --arg img "$IMAGE" --arg cmd 'sleep 2; test -n "$STEADY" && exec sleep 100000; echo bye >&2; exit 4' \
	'{image: $img, procfile: {worker: $cmd}}')
# A crash loop is visible: the API and `deis ps` say it crashed, its status,
# how often it was restarted and that it starts again; the app's log has a
# line per crash; a new release starts from nothing.
test_expect 'a crash loop shows in ps (status, restarts, starting again) and in the log; a new release resets it' '
	api_check "201 CREATED" POST /v1/apps/ alice "{\"id\":\"$APPL\"}" &&
	api_check "201 CREATED" POST /v1/apps/$APPL/builds/ alice "$LOOP_BUILD" &&
	api_check "204 NO CONTENT" POST /v1/apps/$APPL/scale/ alice "{\"worker\":1}" &&
	wait_for 20 "api_call GET /v1/apps/$APPL/containers/worker/ alice >/dev/null && jq -e \".results[0].restarts >= 2\" \"$API_DIR/body\" >/dev/null" &&
	wait_for 10 "api_call GET /v1/apps/$APPL/containers/worker/ alice >/dev/null && jq -e \".results[0].state == \\\"crashed\\\"\" \"$API_DIR/body\" >/dev/null" &&
	api_body ".results[0].exit_code == 4 and .results[0].restarting == true and .results[0].release == \"v2\"" &&
	HOME=$TRASH/home && export HOME && mkdir -p "$HOME/.deis" &&
	printf "{\"username\":\"alice\",\"ssl_verify\":true,\"controller\":\"%s\",\"token\":\"%s\",\"response_limit\":100}\n" \
		"$API_URL" "$(cat "$API_DIR/tok.alice")" >"$HOME/.deis/client.json" &&
	wait_for 10 "deis ps -a $APPL >\"$TRASH/ps\" && grep -Eq \"^worker\\.1 crashed \\(v2\\), exit status 4, restarted [0-9]+ times, starting again\\\$\" \"$TRASH/ps\"" &&
	grep -q "INFO \[$APPL\]: ${APPL}_v2.worker.1 crashed (exit status 4); restarted [0-9]* times* so far; starting again" "$TRASH/c/controller.log" &&
	api_check "201 CREATED" POST /v1/apps/$APPL/config/ alice "{\"values\":{\"STEADY\":\"1\"}}" &&
	api_check "200 OK" GET /v1/apps/$APPL/containers/worker/ alice &&
	api_body ".count == 1 and .results[0].release == \"v3\" and .results[0].state == \"up\" and .results[0].restarts == 0 and .results[0].exit_code == null" &&
	deis ps -a $APPL | grep -qx "worker.1 up (v3)" && cat "$TRASH/ps" &&
	api_check "204 NO CONTENT" DELETE /v1/apps/$APPL/ alice
'
# Deis v1 ran an image on the port it exposes: every stock nginx image listens on 80.
test_expect 'an image exposing port 80 is run, probed and addressed on 80, with no capability' '
	printf "FROM %s\nEXPOSE 8080/tcp 80/tcp 53/udp\nENTRYPOINT [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/www\"]\nCMD []\n" \
		"$IMAGE" | DOCKER_BUILDKIT=0 docker build -q -t deis-test/port80:$$ - >/dev/null &&
	api_check "201 CREATED" POST /v1/apps/ alice "{\"id\":\"$APP80\"}" &&
	api_check "201 CREATED" POST /v1/apps/$APP80/builds/ alice "{\"image\":\"deis-test/port80:$$\"}" &&
	c=${APP80}_v2.cmd.1 &&
	docker inspect -f "{{range .Config.Env}}{{println .}}{{end}}" $c | grep -qx PORT=80 &&
	[ "$(docker inspect -f "{{index .Config.Labels \"sh.deis.port\"}}" $c)" = 80 ] &&
	[ "$(docker inspect -f "{{.HostConfig.CapAdd}}" $c)" = "[]" ] &&
	[ "$(docker inspect -f "{{index .HostConfig.Sysctls \"net.ipv4.ip_unprivileged_port_start\"}}" $c)" = 80 ] &&
	ip=$(docker inspect -f "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}" $c) &&
	curl -sf -m 5 http://$ip:80/health | grep -qx ok &&
	api_check "204 NO CONTENT" DELETE /v1/apps/$APP80/ alice
'
test_expect 'a build whose process exits at once: 503 naming the status and its output; the log says refused' '
	printf "FROM %s\nENTRYPOINT [\"sh\", \"-c\", \"echo no database here >&2; exit 3\"]\nCMD []\n" \
		"$IMAGE" | DOCKER_BUILDKIT=0 docker build -q -t deis-test/crash:$$ - >/dev/null &&
	api_check "201 CREATED" POST /v1/apps/ alice "{\"id\":\"$APPX\"}" &&
	api_check "503 SERVICE UNAVAILABLE" POST /v1/apps/$APPX/builds/ alice "{\"image\":\"deis-test/crash:$$\"}" &&
	api_body ".detail | test(\"cmd.1 exited with status 3 .Process exited with status 3.; its last output:\\n    no database here\")" &&
	grep -q "INFO \[$APPX\]: alice deployed deis-test/crash:$$: refused, aborting, app containers failed to respond to health check: cmd.1 exited with status 3" "$TRASH/c/controller.log" &&
	! grep -q "INFO \[$APPX\]: alice deployed deis-test/crash:$$\$" "$TRASH/c/controller.log" &&
	api_check "204 NO CONTENT" DELETE /v1/apps/$APPX/ alice
'
# The controller killed (-9) in the middle of a deploy (v6: a config change
# whose health check waits 3 s): after its restart the app converges to exactly
# the new release at its scale, never the old and the new side by side.
curl -s -m 30 -o /dev/null -X POST -H 'Content-Type: application/json' \
	-H "Authorization: token $(cat "$API_DIR/tok.alice")" \
	--data-binary '{"values":{"HEALTHCHECK_INITIAL_DELAY":"3"}}' "$API_URL/v1/apps/$APP/config/" &
wait_for 10 "docker ps --format '{{.Names}}' | grep -q '^${APP}_v6\.'"
kill -9 $CONTROLLER_PID && wait_for 5 "! kill -0 $CONTROLLER_PID"
mixed=$(running web)
start
test_expect 'a controller killed mid-deploy: after its restart, exactly the new release at its scale' '
	echo "# web at the kill: $mixed" &&
	api_check "200 OK" GET /v1/apps/$APP/releases/ alice && api_body ".results[0].version == 6" &&
	wait_for 30 "[ \"\$(running web)\" = \"${APP}_v6.web.1 ${APP}_v6.web.2 \" ] && [ \"\$(running worker)\" = \"${APP}_v6.worker.1 \" ]" &&
	sleep 3 &&
	[ "$(running web)" = "${APP}_v6.web.1 ${APP}_v6.web.2 " ] &&
	[ "$(running worker)" = "${APP}_v6.worker.1 " ] &&
	[ -z "$(docker ps -a --filter label=sh.deis.app=$APP --format "{{.Names}}" | grep -v "_v6\.")" ]
'
test_expect 'destroy removes every container of the app' '
	api_check "204 NO CONTENT" DELETE /v1/apps/$APP/ alice &&
	[ -z "$(docker ps -aq --filter label=sh.deis.app=$APP)" ]
'
test_done
