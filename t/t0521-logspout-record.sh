#!/bin/sh
# deis-logspout on a platform (-c): whose output a container is comes from the controller's
# record of what its scheduler created, never from labels. A deployed app's lines reach the
# logger as <app>[<type>.<num>]; a container that carries the same labels but that the
# scheduler did not make (as a Dockerfile LABEL makes of a build step) is never attached.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/controller-start"

sched_prereqs deis-controller deis-logger deis-logspout

APP=t0521-$$
TEST_CLEANUP='docker ps -aq --filter label=sh.deis.app='$APP' | xargs -r docker rm -f >/dev/null'
sched_controller_start
SP=$(free_port) HP=$(free_port)
bg_start logger deis-logger -t 127.0.0.1:$SP -u "" -l 127.0.0.1:$HP -d "$TRASH/logs"
wait_for 5 "curl -sf http://127.0.0.1:$HP/healthz" || test_expect "logger starts" false
bg_start logspout deis-logspout -c "$API_URL" -l 127.0.0.1:$SP -S "$TRASH/state" -H testhost
api_register alice >/dev/null && api_login alice >/dev/null
lines() { curl -sf "http://127.0.0.1:$HP/$APP?log_lines=100000"; }

test_expect 'the lines of a container the scheduler made are the app'"'"'s' '
	api_check "201 CREATED" POST /v1/apps/ alice "{\"id\":\"$APP\"}" &&
	api_check "201 CREATED" POST /v1/apps/$APP/builds/ alice "{\"image\":\"$IMAGE\",\"procfile\":{\"web\":\"httpd -f -p \$PORT -h /www\",\"talk\":\"while :; do echo talk-line; sleep 0.3; done\"}}" &&
	api_check "204 NO CONTENT" POST /v1/apps/$APP/scale/ alice "{\"talk\":1}" &&
	wait_for 20 "lines | grep -q \"$APP\\[talk.1\\]: talk-line\"" &&
	grep -q "attached to .* ($APP\[talk.1\])" "$TRASH/logspout.log"
'
test_expect 'a container with the app'"'"'s labels that the scheduler did not make is nobody'"'"'s' '
	docker run -d --name hostile-$$ --label sh.deis.platform=deis --label sh.deis.app=$APP \
		--label sh.deis.type=talk --label sh.deis.release=v2 --label sh.deis.num=2 \
		--entrypoint /bin/sh "$IMAGE" -c "while :; do echo hostile-line; sleep 0.3; done" >/dev/null &&
	hid=$(docker inspect -f "{{.Id}}" hostile-$$) &&
	wait_for 30 "grep -q \"container $hid: not one the platform made\" \"$TRASH/logspout.log\"" &&
	! lines | grep -q hostile-line && ! grep -q "attached to $hid" "$TRASH/logspout.log" &&
	curl -s -o /dev/null -w "%{http_code}" -H "X-Deis-Internal-Auth: $DEIS_INTERNAL_TOKEN" \
		"$API_URL/v1/internal/containers/$hid" | grep -qx 404 &&
	docker rm -f hostile-$$ >/dev/null
'
test_expect 'the record answers only with the internal token' '
	id=$(docker ps -q --no-trunc --filter label=sh.deis.app=$APP --filter label=sh.deis.type=talk) &&
	curl -sf -H "X-Deis-Internal-Auth: $DEIS_INTERNAL_TOKEN" "$API_URL/v1/internal/containers/$id" |
		jq -e ".app == \"$APP\" and .type == \"talk\" and .num == 1" >/dev/null &&
	[ "$(curl -s -o /dev/null -w "%{http_code}" "$API_URL/v1/internal/containers/$id")" = 403 ]
'
test_expect 'destroy: the app'"'"'s containers go, logspout lets them go' '
	api_check "204 NO CONTENT" DELETE /v1/apps/$APP/ alice &&
	wait_for 10 "grep -q \"detached from\" \"$TRASH/logspout.log\"" && kill -0 $PID_logspout
'
test_done
