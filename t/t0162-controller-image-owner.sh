#!/bin/sh
# Images belong to apps: an image the builder made for one app (a build hook with a git
# sha) runs only for users who may deploy that app. Another user's `deis pull` of it is
# refused (403) by its name, by another tag of it, or by its id, and leaves no build; the
# owner, a collaborator and an admin may run it elsewhere; a public image pulled by several
# apps belongs to none of them. Controller + scheduler on the real Docker engine.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/controller-start"

sched_prereqs deis-controller

A=t0162a-$$ B=t0162b-$$ C=t0162c-$$ D=t0162d-$$
PRIV=deis-test/t0162-$$:git-1a2b3c4d ALIAS=deis-test/t0162-alias-$$:x
TEST_CLEANUP='for a in $A $B $C $D; do docker ps -aq --filter label=sh.deis.app=$a | xargs -r docker rm -f >/dev/null; done;
 docker rmi -f $PRIV $ALIAS >/dev/null 2>&1'
sched_controller_start
PROCFILE='{"web":"httpd -f -p $PORT -h /www"}'

hook_build() {	# hook_build USER APP IMAGE: what the builder sends after a git push
	curl -s -m 60 -o "$API_DIR/body" -w "%{http_code}" -X POST -H "X-Deis-Builder-Auth: $DEIS_BUILDER_KEY" \
		--data-binary "{\"receive_user\":\"$1\",\"receive_repo\":\"$2\",\"image\":\"$3\",\"sha\":\"1a2b3c4d5e6f\",\"procfile\":$PROCFILE,\"dockerfile\":\"\"}" \
		"$API_URL/v1/hooks/build"
}
pull() {	# pull USER APP IMAGE: deis pull, the status line
	api_call POST /v1/apps/$2/builds/ $1 "{\"image\":\"$3\",\"procfile\":$PROCFILE}"
}

test_expect 'users: an admin, alice, bob and carol; alice shares one app with carol' '
	api_admin admin && for u in alice bob carol; do api_register $u >/dev/null && api_login $u >/dev/null || exit 1; done &&
	api_check "201 CREATED" POST /v1/apps/ alice "{\"id\":\"$A\"}" &&
	api_check "201 CREATED" POST /v1/apps/ alice "{\"id\":\"$C\"}" &&
	api_check "201 CREATED" POST /v1/apps/ bob "{\"id\":\"$B\"}" &&
	api_check "201 CREATED" POST /v1/apps/ carol "{\"id\":\"$D\"}" &&
	api_check "201 CREATED" POST /v1/apps/$A/perms/ alice "{\"username\":\"carol\"}"
'
test_expect 'a public image pulled by two users belongs to neither' '
	[ "$(pull alice $A "$IMAGE")" = "HTTP/1.1 201 CREATED" ] &&
	[ "$(pull bob $B "$IMAGE")" = "HTTP/1.1 201 CREATED" ]
'
test_expect 'alice git-pushes to her app: the builder'"'"'s image runs there' '
	printf "FROM %s\nLABEL sh.deis.test.build=%s\n" "$IMAGE" "$$" >"$TRASH/Dockerfile" &&
	DOCKER_BUILDKIT=0 docker build -q -t $PRIV "$TRASH" >/dev/null &&
	[ "$(hook_build alice $A $PRIV)" = 200 ] &&
	[ "$(docker inspect -f "{{.Config.Image}}" ${A}_v3.web.1)" = "$PRIV" ]
'
test_expect 'bob may not run it: by its name, another tag, or its id (403, no build left)' '
	id=$(docker image inspect -f "{{.Id}}" $PRIV) && docker tag $PRIV $ALIAS &&
	for ref in $PRIV $ALIAS $id; do
		api_check "403 FORBIDDEN" POST /v1/apps/$B/builds/ bob "{\"image\":\"$ref\",\"procfile\":$PROCFILE}" &&
		api_body ".detail | test(\"built for another app\")" || exit 1
	done &&
	api_check "200 OK" GET /v1/apps/$B/builds/ bob && api_body ".count == 1" &&
	api_check "200 OK" GET /v1/apps/$B/releases/ bob && api_body ".results[0].version == 2" &&
	[ -z "$(docker ps -q --filter label=sh.deis.app=$B --filter label=sh.deis.release=v3)" ]
'
test_expect 'nor as the image of his own git push' '
	[ "$(hook_build bob $B $ALIAS)" = 403 ] && jq -e ".detail | test(\"built for another app\")" "$API_DIR/body"
'
image_hook() {	# image_hook USER APP IMAGE: may a Dockerfile of APP pushed by USER use IMAGE
	curl -s -m 60 -o "$API_DIR/body" -w "%{http_code}" -X POST -H "X-Deis-Builder-Auth: $DEIS_BUILDER_KEY" \
		--data-binary "{\"receive_user\":\"$1\",\"receive_repo\":\"$2\",\"image\":\"$3\"}" \
		"$API_URL/v1/hooks/image"
}
test_expect 'nor build on it (FROM, COPY --from): the builder asks, by any name' '
	[ "$(image_hook bob $B $PRIV)" = 403 ] && [ "$(image_hook bob $B $ALIAS)" = 403 ] &&
	jq -e ".detail | test(\"built for another app\")" "$API_DIR/body" &&
	[ "$(image_hook alice $A $PRIV)" = 200 ] && [ "$(image_hook carol $D $ALIAS)" = 200 ] &&
	[ "$(image_hook bob $B "$IMAGE")" = 200 ] &&
	[ "$(image_hook bob $B "\$BASE")" = 400 ] &&
	jq -e ".detail | test(\"cannot tell which image\")" "$API_DIR/body" &&
	[ "$(image_hook bob $A "$IMAGE")" = 404 ]
'
test_expect 'alice may run it in her other app, carol (a collaborator) in hers, an admin anywhere' '
	[ "$(pull alice $C $PRIV)" = "HTTP/1.1 201 CREATED" ] &&
	[ "$(pull carol $D $ALIAS)" = "HTTP/1.1 201 CREATED" ] &&
	[ "$(pull admin $B $PRIV)" = "HTTP/1.1 201 CREATED" ]
'
test_done
