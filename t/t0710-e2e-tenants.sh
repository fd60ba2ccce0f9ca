#!/bin/sh
# Hostile tenants, end to end: two ordinary users on one platform, a victim app answering
# its own text, and an attacker who pushes what an ordinary user may push. Every attempt
# must fail and the victim must answer with its own text throughout. (docs/architecture.md,
# Tenants and trust; each attack first reproduced against the platform it closes.)
. "$(dirname "$0")/test-lib.sh"
E2E_NAME=t
. "$TOP/t/helper/e2e-platform"

VIC=vic-$$ MAL=mal-$$
TEST_CLEANUP='deisctl uninstall --purge platform >/dev/null 2>&1;
 for a in $VIC $MAL; do docker ps -aq --filter label=sh.deis.app=$a | xargs -r docker rm -f >/dev/null 2>&1;
   docker images -q 127.0.0.1:$REG/$a | xargs -r docker rmi -f >/dev/null 2>&1; done'

# as USER: the deis client with USER's profile; key USER: that user's SSH key.
as() { u=$1; shift; DEIS_PROFILE=$u deis "$@"; }
key() { KEY=$HOME/.ssh/$1; }

# victim_serves N: N requests to the victim, each answered with the victim's own text.
victim_serves() {
	i=0
	while [ $i -lt $1 ]; do
		app_get $VIC | grep -q "Hello from a Dockerfile app ($VIC)" || return 1
		i=$((i + 1))
	done
}

test_expect 'platform images build; the platform starts' 'e2e_images && e2e_up'

test_expect 'an operator and two ordinary users, each with a key' '
	wait_for 30 "curl -sf -m 2 $CTLURL/healthz" &&
	as op register $CTLURL --username=op --password=op-pass-1 --email=op@example.com &&
	for u in victim mallory; do
		as $u register $CTLURL --username=$u --password=$u-pass-1 --email=$u@example.com &&
		ssh-keygen -q -t ed25519 -N "" -C $u@test -f "$HOME/.ssh/$u" &&
		as $u keys:add "$HOME/.ssh/$u.pub" || exit 1
	done &&
	! as mallory apps:list | grep -q $VIC
'

test_expect 'the victim deploys a Dockerfile app that answers its own text' '
	repo dockerfile-web vic && (cd "$TRASH/vic" && as victim create $VIC --no-remote) &&
	key victim && push "$TRASH/vic" $VIC &&
	wait_for 60 "victim_serves 1" && victim_serves 20
'

# 1. A Dockerfile LABEL reaches the daemon's build-step containers: a build step that says
# it is the victim's newest web container, serving on 5000 and printing while the build goes
# on, is neither routed nor heard in the victim's logs.
test_expect 'a build step labelled as the victim'"'"'s container is never routed nor logged' '
	repo dockerfile-web mal && as mallory create $MAL --no-remote >/dev/null &&
	cat >"$TRASH/mal/Dockerfile" <<-EOF &&
	FROM deis/stack:bookworm
	ARG TARGET=$VIC
	LABEL sh.deis.platform=$PREFIX sh.deis.app=\$TARGET sh.deis.type=web \\
	      sh.deis.release=v999999 sh.deis.num=1 sh.deis.name=${VIC}_v999999.web.1
	COPY server.py /app/server.py
	RUN (DEIS_APP=hijacked PORT=5000 python3 /app/server.py >/dev/null 2>&1 &) ; \\
	    (while sleep 1; do echo mallory-was-here; done &) ; sleep 45
	ENV PORT=5000
	CMD ["python3", "/app/server.py"]
	EOF
	(cd "$TRASH/mal" && $GIT commit -qam hostile) &&
	{ key mallory; push "$TRASH/mal" $MAL >/dev/null & } &&
	wait_for 60 "[ -n \"\$(docker ps -q --filter label=sh.deis.app=$VIC --filter label=sh.deis.release=v999999)\" ]" &&
	hip=$(docker inspect -f "{{.NetworkSettings.IPAddress}}" $(docker ps -q --filter label=sh.deis.app=$VIC --filter label=sh.deis.release=v999999)) &&
	wait_for 20 "curl -sf -m 1 http://$hip:5000/ | grep -q hijacked" &&
	sleep 12 && victim_serves 20 &&
	docker logs $PREFIX-controller 2>&1 | grep -q "not routed: the scheduler did not make it for .$VIC. v999999 web.1" &&
	wait_for 30 "docker logs $PREFIX-logspout 2>&1 | grep -q \"not one the platform made\"" &&
	victim_serves 20 && ! as victim logs -a $VIC | grep -q mallory-was-here &&
	wait_for 120 "[ -z \"\$(docker ps -q --filter label=sh.deis.app=$VIC --filter label=sh.deis.release=v999999)\" ]" &&
	victim_serves 20 && ! as victim ps -a $VIC | grep -q v999999 &&
	wait && wait_for 60 "app_get $MAL | grep -q \"Dockerfile app ($MAL)\"" && victim_serves 20
'

# 3. The platform's registry holds every app's image: naming the victim's (by its name, by
# another name of the registry, by digest) in `deis pull` must not run it for the attacker.
test_expect 'the victim'"'"'s image is not the attacker'"'"'s to run, by any name or digest' '
	img=$(docker images --format "{{.Repository}}:{{.Tag}}" 127.0.0.1:$REG/$VIC | head -n 1) &&
	dig=$(docker image inspect -f "{{index .RepoDigests 0}}" "$img") && [ -n "$dig" ] &&
	for ref in "$img" "localhost:$REG/$VIC:${img##*:}" "$dig"; do
		as mallory pull "$ref" -a $MAL >"$TRASH/pull" 2>&1
		cat "$TRASH/pull"; grep -q "built for another app" "$TRASH/pull" || exit 1
	done &&
	victim_serves 20 && app_get $MAL | grep -q "Dockerfile app ($MAL)" &&
	[ "$(as mallory builds:list -a $MAL | grep -c "$VIC")" = 0 ]
'

test_done
