#!/bin/sh
# Hostile tenants, end to end: two ordinary users on one platform, a victim app answering
# its own text, and an attacker who pushes what an ordinary user may push. Every attempt
# must fail and the victim must answer with its own text throughout. (docs/architecture.md,
# Tenants and trust; each attack first reproduced against the platform it closes.)
. "$(dirname "$0")/test-lib.sh"
E2E_NAME=t
. "$TOP/t/helper/e2e-platform"

VIC=vic-$$ MAL=mal-$$
# the apps' containers first: uninstall --purge then removes their networks too
TEST_CLEANUP='for a in $VIC $MAL $MAL-bp; do docker ps -aq --filter label=sh.deis.app=$a | xargs -r docker rm -f >/dev/null 2>&1;
   docker images -q 127.0.0.1:$REG/$a | xargs -r docker rmi -f >/dev/null 2>&1; done;
 deisctl uninstall --purge platform >/dev/null 2>&1'

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
# on, is neither routed nor heard in the victim's logs. Two walls stand in its way: the
# controller routes only containers its scheduler made (t0600 shows that one alone), and the
# build sandbox keeps the step out of reach of the publisher's probe.
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
	sleep 12 && victim_serves 20 &&
	wait_for 30 "docker logs $PREFIX-logspout 2>&1 | grep -q \"not one the platform made\"" &&
	victim_serves 20 && ! as victim logs -a $VIC | grep -q mallory-was-here &&
	wait_for 120 "[ -z \"\$(docker ps -q --filter label=sh.deis.app=$VIC --filter label=sh.deis.release=v999999)\" ]" &&
	victim_serves 20 && ! as victim ps -a $VIC | grep -q v999999 &&
	wait && wait_for 60 "app_get $MAL | grep -q \"Dockerfile app ($MAL)\"" && victim_serves 20
'

# 3. The platform's registry holds every app's image: naming the victim's (by its name, by
# another name of the registry, by digest) in `deis pull` must not run it for the attacker:
# the image is the victim's app's (403), or, by a name the platform does not know for its
# registry, the engine has no credentials for it.
test_expect 'the victim'"'"'s image is not the attacker'"'"'s to run, by any name or digest' '
	img=$(docker images --format "{{.Repository}}:{{.Tag}}" 127.0.0.1:$REG/$VIC | head -n 1) &&
	dig=$(docker image inspect -f "{{index .RepoDigests 0}}" "$img") && [ -n "$dig" ] &&
	for ref in "$img" "localhost:$REG/$VIC:${img##*:}" "$dig"; do
		as mallory pull "$ref" -a $MAL >"$TRASH/pull" 2>&1
		cat "$TRASH/pull"
		grep -q -e "built for another app" -e "no basic auth credentials" "$TRASH/pull" || exit 1
	done &&
	victim_serves 20 && app_get $MAL | grep -q "Dockerfile app ($MAL)" &&
	[ "$(as mallory builds:list -a $MAL | grep -c "$VIC")" = 0 ]
'

# 2. The registry holds every app's image. Nothing but the builder and the scheduler reads it:
# not a user on the host, not the daemon fetching an ADD URL for a build step.
test_expect 'the registry answers only to the platform'"'"'s credentials' '
	[ "$(curl -s -o /dev/null -w "%{http_code}" http://127.0.0.1:$REG/v2/_catalog)" = 401 ] &&
	curl -sf -u "deis:$(cat "$STATE/registry-password")" http://127.0.0.1:$REG/v2/_catalog |
		grep -q "\"$VIC\""
'
test_expect 'a build cannot read the registry: ADD of its URL fails the push' '
	cat >"$TRASH/mal/Dockerfile" <<-EOF &&
	FROM deis/stack:bookworm
	ADD http://127.0.0.1:$REG/v2/_catalog /catalog
	RUN cat /catalog
	CMD ["python3", "/app/server.py"]
	EOF
	(cd "$TRASH/mal" && $GIT commit -qam "read the registry") &&
	key mallory && ! push "$TRASH/mal" $MAL >/dev/null &&
	grep -i -e "401" -e "unauthorized" "$TRASH/push-$MAL.log" &&
	! grep -q "\"repositories\"" "$TRASH/push-$MAL.log" &&
	victim_serves 20 && app_get $MAL | grep -q "Dockerfile app ($MAL)"
'

# The daemon takes an image already on the engine by any name without asking the registry:
# a FROM or COPY --from of the victim's image (by a build argument's default too) is refused
# before the build; the victim may build on its own.
test_expect 'a Dockerfile may not build on another app'"'"'s image' '
	key mallory && img=$(docker images --format "{{.Repository}}:{{.Tag}}" 127.0.0.1:$REG/$VIC | head -n 1) &&
	for df in "FROM $img" "FROM deis/stack:bookworm
COPY --from=$img /app /stolen" "ARG BASE=$img
FROM \$BASE" "FROM deis/stack:bookworm
ENV SRC=$img
COPY --from=\$SRC /app /stolen"; do
		printf "%s\nCMD [\"python3\", \"/app/server.py\"]\n" "$df" >"$TRASH/mal/Dockerfile" &&
		(cd "$TRASH/mal" && $GIT commit -qam "build on the victim") &&
		! push "$TRASH/mal" $MAL >/dev/null || exit 1
		grep "may not use" "$TRASH/push-$MAL.log" | tail -n 1
		grep -q -e "was built for another app" -e "cannot tell which image" "$TRASH/push-$MAL.log" ||
			exit 1
	done &&
	victim_serves 20 && app_get $MAL | grep -q "Dockerfile app ($MAL)" &&
	printf "FROM %s\nCMD [\"python3\", \"/app/server.py\"]\n" "$img" >"$TRASH/vic/Dockerfile" &&
	(cd "$TRASH/vic" && $GIT commit -qam "build on my own image") &&
	key victim && push "$TRASH/vic" $VIC >/dev/null && key mallory &&
	wait_for 30 "victim_serves 1" && victim_serves 20
'

# 4. Apps are apart on the network: the attacker's app does not reach the victim's container
# (only through the router, as any client), while the router reaches both.
test_expect 'an app does not reach another app'"'"'s containers, only its public address' '
	vnet=$PREFIX-app-$VIC &&
	vip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$vnet\").IPAddress}}" \
		$(docker ps -q --filter label=sh.deis.app=$VIC | head -n 1)) && [ -n "$vip" ] &&
	mc=$(docker ps -q --filter label=sh.deis.app=$MAL --filter label=sh.deis.type=cmd | head -n 1) &&
	[ -n "$mc" ] &&
	mgw=$(docker network inspect -f "{{(index .IPAM.Config 0).Gateway}}" $PREFIX-app-$MAL) &&
	docker exec $mc python3 -c "
import socket
try:
    socket.create_connection((\"$vip\", 5000), 3).close(); print(\"reached\", \"$vip\")
except OSError as e:
    print(\"blocked\", \"$vip\", e)
s = socket.create_connection((\"$mgw\", $HTTP), 5)
s.sendall(b\"GET / HTTP/1.0\\r\\nHost: $VIC.$DOMAIN\\r\\n\\r\\n\")
r = b\"\"
while True:
    d = s.recv(4096)
    if not d:
        break
    r += d
print(r.decode(errors=\"replace\").splitlines()[-1])" >"$TRASH/reach"; cat "$TRASH/reach"
	grep -q "^blocked $vip" "$TRASH/reach" &&
	grep -q "Hello from a Dockerfile app ($VIC)" "$TRASH/reach" &&
	victim_serves 20 && app_get $MAL | grep -q "Dockerfile app ($MAL)"
'

# 5. Builds run in a sandbox: the internet through NAT, and nothing else. The metadata address
# is put on lo with our own server behind it (removed at the end), so no packet leaves here.
META=169.254.169.254 METAPORT=$(free_port)
TEST_CLEANUP="$TEST_CLEANUP; ip addr del $META/32 dev lo 2>/dev/null"
ip addr add $META/32 dev lo && bg_start meta python3 -m http.server -b $META $METAPORT
test_expect 'a build step reaches the internet, and not the host, other apps or the metadata address' '
	docker network inspect -f "{{index .Options \"com.docker.network.bridge.enable_icc\"}}" \
		$PREFIX-build | grep -qx false &&
	wait_for 10 "curl -sf -m 1 http://$META:$METAPORT/ >/dev/null" &&
	vip=$(docker inspect -f "{{.NetworkSettings.IPAddress}}" $(docker ps -q --filter label=sh.deis.app=$VIC | head -n 1)) &&
	gw=$(ip -4 -o addr show docker0 | awk "{ print \$4 }" | cut -d/ -f1) && [ -n "$gw" ] &&
	cat >"$TRASH/mal/probe.py" <<-EOF &&
	import socket, sys
	for name, host, port in (("internet", "deb.debian.org", 80), ("victim", "$vip", 5000),
	        ("metadata", "$META", $METAPORT), ("host", "$gw", $HTTP)):
	    try:
	        socket.create_connection((host, port), 4).close()
	        print("probe", name, "reached", flush=True)
	    except OSError as e:
	        print("probe", name, "blocked", e, flush=True)
	EOF
	cat >"$TRASH/mal/Dockerfile" <<-EOF &&
	FROM deis/stack:bookworm
	COPY probe.py server.py /app/
	RUN python3 /app/probe.py
	CMD ["python3", "/app/server.py"]
	EOF
	(cd "$TRASH/mal" && git add probe.py && $GIT commit -qam "probe the network") &&
	key mallory && push "$TRASH/mal" $MAL >/dev/null; grep "probe " "$TRASH/push-$MAL.log";
	grep -q "probe internet reached" "$TRASH/push-$MAL.log" &&
	for t in victim metadata host; do grep -q "probe $t blocked" "$TRASH/push-$MAL.log" || exit 1; done &&
	victim_serves 20
'
# 6. A buildpack URL is the user's choice: the builder's own network reaches the metadata
# address (and the controller, the registry, the host), so the fetch runs in the sandbox. A
# buildpack served at the metadata address is never asked for, and the push names the URL.
mkdir -p "$TRASH/bpsrc/bin" && printf '#!/bin/sh\necho Meta\n' >"$TRASH/bpsrc/bin/detect" &&
	printf '#!/bin/sh\necho fetched from the metadata address\n' >"$TRASH/bpsrc/bin/compile" &&
	chmod +x "$TRASH/bpsrc/bin/"* && (cd "$TRASH/bpsrc" && git init -q -b master && git add . &&
	$GIT commit -qm bp) && git clone -q --bare "$TRASH/bpsrc" "$TRASH/bp.git" &&
	git -C "$TRASH/bp.git" update-server-info
test_expect 'a buildpack URL aimed at the metadata address is fetched in the sandbox: blocked, named' '
	curl -sf -m 2 http://$META:$METAPORT/bp.git/HEAD >/dev/null &&
	before=$(grep -c "GET /bp.git" $TRASH/meta.log) &&
	mkdir -p $TRASH/malbp && printf "web: python3 -m http.server \$PORT\n" >$TRASH/malbp/Procfile &&
	(cd $TRASH/malbp && git init -q -b master && git add . && $GIT commit -qm bp) &&
	(cd $TRASH/malbp && as mallory create $MAL-bp --no-remote) >/dev/null &&
	as mallory config:set BUILDPACK_URL=http://$META:$METAPORT/bp.git -a $MAL-bp >/dev/null &&
	key mallory && ! push "$TRASH/malbp" $MAL-bp >/dev/null && cat "$TRASH/push-$MAL-bp.log" &&
	grep -q "cannot fetch buildpack .http://$META:$METAPORT/bp.git." "$TRASH/push-$MAL-bp.log" &&
	! grep -q "fetched from the metadata address" "$TRASH/push-$MAL-bp.log" &&
	[ "$(grep -c "GET /bp.git" $TRASH/meta.log)" = "$before" ] && victim_serves 20
'
test_expect 'a build over its memory fails with the reason, and the app keeps its release' '
	before=$(as mallory releases -a $MAL | grep -c "^v") &&
	cat >"$TRASH/mal/Dockerfile" <<-EOF &&
	FROM deis/stack:bookworm
	RUN python3 -c "b = bytearray(3 << 30)"
	CMD ["python3", "/app/server.py"]
	EOF
	(cd "$TRASH/mal" && $GIT commit -qam "use too much memory") &&
	key mallory && ! push "$TRASH/mal" $MAL >/dev/null &&
	grep -q "killed, most likely out of its 2048 MB of memory" "$TRASH/push-$MAL.log" &&
	[ "$(as mallory releases -a $MAL | grep -c "^v")" = "$before" ] &&
	app_get $MAL | grep -q "Dockerfile app ($MAL)" &&
	! docker ps -a --no-trunc --format "{{.Command}}" | grep -F "bytearray(3 << 30)"
'
test_expect 'a build step that forks without end is stopped at its limit, with the reason' '
	before=$(as mallory releases -a $MAL | grep -c "^v") &&
	cat >"$TRASH/mal/Dockerfile" <<-EOF &&
	FROM deis/stack:bookworm
	RUN for i in \$(seq 1 1100); do sleep 60 & done; wait
	CMD ["python3", "/app/server.py"]
	EOF
	(cd "$TRASH/mal" && $GIT commit -qam "fork bomb") &&
	key mallory && ! push "$TRASH/mal" $MAL >/dev/null &&
	grep -q "Cannot fork" "$TRASH/push-$MAL.log" &&
	grep -q "ran into its limit of 1024 processes and threads" "$TRASH/push-$MAL.log" &&
	[ "$(as mallory releases -a $MAL | grep -c "^v")" = "$before" ] &&
	[ -z "$(find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -type d -path "*/$PREFIX-build/*")" ] &&
	victim_serves 20
'
test_expect 'an honest build installs packages from Debian in the sandbox' '
	cat >"$TRASH/mal/Dockerfile" <<-EOF &&
	FROM deis/stack:bookworm
	USER root
	RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends jq >/dev/null && jq --version
	COPY server.py /app/server.py
	USER slug
	CMD ["python3", "/app/server.py"]
	EOF
	(cd "$TRASH/mal" && $GIT commit -qam "apt-get install") &&
	key mallory && push "$TRASH/mal" $MAL >/dev/null && grep -q "jq-1\." "$TRASH/push-$MAL.log" &&
	wait_for 30 "app_get $MAL | grep -q \"Dockerfile app ($MAL)\"" && victim_serves 20
'

test_done
