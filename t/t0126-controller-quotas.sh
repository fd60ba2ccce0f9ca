#!/bin/sh
# Quotas an administrator sets (issue 13; none by default, as Deis): apps a user
# may own, containers an app may run, memory of one container. Over a quota is
# a 403 naming the limit, and nothing is half made; administrators are not held.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/controller-start"

sched_prereqs deis-controller

API_DIR=$TRASH
A1=t0126a-$$ A2=t0126b-$$ A3=t0126c-$$ A4=t0126d-$$
TEST_CLEANUP='for a in $A1 $A2 $A3 $A4; do docker ps -aq --filter label=sh.deis.app=$a | xargs -r docker rm -f >/dev/null; done'
running() {	# running APP: its running containers
	docker ps -q --filter "label=sh.deis.app=$1" | wc -l
}
DEIS_QUOTA_APPS=2 DEIS_QUOTA_CONTAINERS=3 DEIS_QUOTA_MEMORY=256M \
	controller_start "$TRASH/c" --scheduler docker --boot-timeout 8 >/dev/null &&
	API_URL=$CONTROLLER_URL || test_expect "controller starts" false
api_admin admin >/dev/null && api_register alice >/dev/null && api_login alice >/dev/null

test_expect 'a user owns at most the quota of apps; the next is refused and not made' '
	api_check "201 CREATED" POST /v1/apps/ alice "{\"id\":\"$A1\"}" &&
	api_check "201 CREATED" POST /v1/apps/ alice "{\"id\":\"$A2\"}" &&
	api_check "403 FORBIDDEN" POST /v1/apps/ alice "{\"id\":\"$A3\"}" &&
	api_body ".detail == \"You may own at most 2 apps (a quota the administrator set)\"" &&
	api_check "404 NOT FOUND" GET /v1/apps/$A3/ alice &&
	api_check "201 CREATED" POST /v1/apps/ admin "{\"id\":\"$A4\"}"
'
test_expect 'an app runs at most the quota of containers; a bigger scale changes nothing' '
	api_check "201 CREATED" POST /v1/apps/$A1/builds/ alice "{\"image\":\"$IMAGE\",\"procfile\":{\"web\":\"httpd -f -p \$PORT -h /www\",\"worker\":\"sleep 100000\"}}" &&
	api_check "204 NO CONTENT" POST /v1/apps/$A1/scale/ alice "{\"web\":2,\"worker\":1}" &&
	[ "$(running $A1)" = 3 ] &&
	api_check "403 FORBIDDEN" POST /v1/apps/$A1/scale/ alice "{\"web\":3}" &&
	api_body ".detail | test(\"at most 3 containers .*asks for 4\")" &&
	[ "$(running $A1)" = 3 ] && api_check "200 OK" GET /v1/apps/$A1/ alice &&
	api_body ".structure == {\"web\":2,\"worker\":1}"
'
test_expect 'a container'"'"'s memory stays within the quota, its default too' '
	[ "$(docker inspect -f "{{.HostConfig.Memory}}" ${A1}_v2.web.1)" = 268435456 ] &&
	api_check "403 FORBIDDEN" POST /v1/apps/$A1/config/ alice "{\"memory\":{\"web\":\"512M\"}}" &&
	api_body ".detail | test(\"at most 256 MB of memory .*web asks for 512M\")" &&
	api_check "200 OK" GET /v1/apps/$A1/releases/ alice && api_body ".count == 2" &&
	api_check "201 CREATED" POST /v1/apps/$A1/config/ alice "{\"memory\":{\"web\":\"128M\"}}" &&
	[ "$(docker inspect -f "{{.HostConfig.Memory}}" ${A1}_v3.web.1)" = 134217728 ]
'
test_expect 'bad quota settings are configuration errors' '
	DEIS_QUOTA_MEMORY=lots "$BIN/deis-controller" --db "sqlite://$TRASH/x.db" --scheduler none \
		--listen 127.0.0.1:0 2>"$TRASH/err"; [ $? = 100 ] && grep -q DEIS_QUOTA_MEMORY "$TRASH/err" &&
	DEIS_QUOTA_APPS=-1 "$BIN/deis-controller" --db "sqlite://$TRASH/x.db" --scheduler none \
		--listen 127.0.0.1:0 2>"$TRASH/err"; [ $? = 100 ] && grep -q DEIS_QUOTA_APPS "$TRASH/err"
'
test_done
