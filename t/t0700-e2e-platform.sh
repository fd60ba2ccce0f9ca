#!/bin/sh
# End to end, the way a user drives the platform: deisctl starts an isolated platform
# instance (its own container prefix, network, volumes, ports and state dir, so it never
# touches a platform the user runs; it says how to make the first administrator, whom no
# registrant becomes), then the deis CLI and git: register, add a key, create,
# push a buildpack app and a Dockerfile app over SSH through the router, curl through the
# router, config:set, ps:scale web=3, releases:rollback, domains:add, logs, run,
# apps:destroy; then deisctl stop platform and start: everything still there and serving.
# Every wait is bounded; everything is removed at the end. Takes a few minutes.
. "$(dirname "$0")/test-lib.sh"

# DEIS_E2E_DB=postgres: the same on PostgreSQL (t0702 runs it so).
. "$TOP/t/helper/e2e-platform"
PY=e2e-py-$$ DK=e2e-dk-$$ P80=e2e-80-$$

# the apps' containers first: uninstall --purge then removes their networks too
TEST_CLEANUP='for a in $PY $DK $P80; do docker ps -aq --filter label=sh.deis.app=$a | xargs -r docker rm -f >/dev/null 2>&1;
   docker images -q 127.0.0.1:$REG/$a | xargs -r docker rmi -f >/dev/null 2>&1; done;
 deisctl uninstall --purge platform >/dev/null 2>&1'

test_expect 'platform images build (stack + platform)' 'e2e_images'

test_expect 'deisctl install + start an isolated platform' 'e2e_up'

test_expect 'the apps'"'"' bridge has its MAC address pinned (it must not move as apps come and go)' '
	br=$(docker network inspect -f "{{index .Options \"com.docker.network.bridge.name\"}}" bridge) &&
	[ "$(cat /sys/class/net/${br:-docker0}/addr_assign_type)" = 3 ]
'

test_expect 'install and start are idempotent (containers kept); start says there is no administrator yet' '
	before=$(docker inspect -f "{{.Id}}" $PREFIX-controller) &&
	deisctl install platform && deisctl start platform >"$TRASH/start.out" &&
	cat "$TRASH/start.out" &&
	[ "$(docker inspect -f "{{.Id}}" $PREFIX-controller)" = "$before" ] &&
	grep -q "^no administrator yet: make the first one with" "$TRASH/start.out" &&
	grep -q "deisctl create-admin <username> <email>" "$TRASH/start.out"
'

test_expect 'secrets were generated once, mode 0600' '
	[ "$(stat -c %a "$STATE/builder-key")" = 600 ] &&
	[ "$(stat -c %a "$STATE/internal-token")" = 600 ] &&
	[ "$(stat -c %a "$STATE/registry-password")" = 600 ] &&
	[ $(wc -c <"$STATE/internal-token") -ge 32 ]
'

test_expect "the controller answers through the router (database: $DB)" '
	wait_for 30 "curl -sf -m 2 $CTLURL/healthz" &&
	deisctl journal controller | grep -q "database $DB" &&
	curl -s -m 5 -o /dev/null -w "%{http_code}" $CTLURL/v1/apps | grep -q 401
'

# On one host the router runs on the host's network: no userland proxy, no NAT between clients
# and it; it reaches the controller and the builder at their published loopback ports (the
# controller above, the git pushes below go through it).
test_expect 'the router runs on the host network, bound to the configured ports' '
	[ "$(docker inspect -f "{{.HostConfig.NetworkMode}}" $PREFIX-router)" = host ] &&
	[ "$(docker inspect -f "{{json .HostConfig.PortBindings}}" $PREFIX-router)" = "{}" ] &&
	for p in $HTTP $HTTPS $SSHP; do ss -Htln "sport = :$p" | grep -q LISTEN || exit 1; done &&
	! ss -Htlnp "sport = :$HTTP" | grep -q docker-proxy &&
	docker inspect -f "{{json .Config.Cmd}}" $PREFIX-router | grep -q "\"--controller\",\"http://127.0.0.1:$CTL\""
'

test_expect 'the first registrant is not an administrator; deisctl create-admin makes one' '
	deis register $CTLURL --username=e2e --password=e2e-pass-1 --email=e2e@example.com &&
	deis whoami | grep -q "e2e at" &&
	! deis perms:list --admin &&
	echo op-pass-1 | deisctl create-admin op op@example.com &&
	DEIS_PROFILE=op deis login $CTLURL --username=op --password=op-pass-1 &&
	DEIS_PROFILE=op deis perms:list --admin >"$TRASH/admins" && grep -qx op "$TRASH/admins" &&
	! grep -qx e2e "$TRASH/admins" &&
	deisctl start controller >"$TRASH/start2.out" && ! grep -q "no administrator" "$TRASH/start2.out"
'

test_expect 'add an SSH key' '
	deis whoami | grep -q "e2e at" &&
	mkdir -p "$HOME/.ssh" && ssh-keygen -q -t ed25519 -N "" -C e2e@test -f "$KEY" &&
	deis keys:add "$KEY.pub" && deis keys:list | grep -q e2e@test
'

test_expect 'create the buildpack app and git push it' '
	repo python-web py && (cd "$TRASH/py" && deis create $PY --no-remote) &&
	push "$TRASH/py" $PY && grep -q "Python app detected" "$TRASH/push-$PY.log"
'

test_expect 'the buildpack app serves through the router' '
	wait_for 60 "app_get $PY | grep -q \"app $PY\"" && app_get $PY
'

test_expect 'create the Dockerfile app and git push it' '
	repo dockerfile-web dk && (cd "$TRASH/dk" && deis create $DK --no-remote) &&
	push "$TRASH/dk" $DK
'

test_expect 'the Dockerfile app serves through the router' '
	wait_for 60 "app_get $DK | grep -q \"Hello from a Dockerfile app ($DK)\""
'

# As on Deis v1, a Dockerfile app listens on the port its image exposes (stock nginx: 80);
# and a first push returns only once the app is routed: the very next request is answered.
test_expect 'a Dockerfile app whose server listens on port 80 (EXPOSE 80) serves through the router' '
	repo dockerfile-web p80 && cat >"$TRASH/p80/Dockerfile" <<-EOF &&
	FROM deis/stack:bookworm
	USER slug
	EXPOSE 80
	CMD ["sh", "-c", "mkdir -p /tmp/w && echo app on port 80 >/tmp/w/index.html && exec python3 -m http.server 80 --directory /tmp/w"]
	EOF
	(cd "$TRASH/p80" && $GIT commit -qam "port 80" && deis create $P80 --no-remote) &&
	push "$TRASH/p80" $P80 && app_get $P80 | grep -q "app on port 80" &&
	docker inspect -f "{{.HostConfig.CapAdd}}" $(docker ps -q --filter label=sh.deis.app=$P80) | grep -qx "\[\]" &&
	deis apps:destroy -a $P80 --confirm $P80 >/dev/null
'

test_expect 'a web process that exits at once fails the push with its status and last output' '
	cat >"$TRASH/p80/Dockerfile" <<-EOF &&
	FROM deis/stack:bookworm
	CMD ["sh", "-c", "echo cannot find my database >&2; exit 3"]
	EOF
	(cd "$TRASH/p80" && $GIT commit -qam "crash" && deis create $P80 --no-remote) &&
	t0=$(date +%s) && ! push "$TRASH/p80" $P80 >/dev/null && [ $(($(date +%s) - t0)) -lt 30 ] &&
	grep -q "cmd.1 exited with status 3 (Process exited with status 3); its last output:" \
		"$TRASH/push-$P80.log" &&
	grep -q "cannot find my database" "$TRASH/push-$P80.log" &&
	deis apps:destroy -a $P80 --confirm $P80 >/dev/null
'

test_expect 'config:set makes a new release serving the new value' '
	deis config:set POWERED_BY=e2e-value -a $PY &&
	wait_for 60 "app_get $PY | grep -q \"Powered by e2e-value\"" &&
	app_get $PY | grep -q "release v3"
'

test_expect 'ps:scale web=3: three containers serving' '
	deis ps:scale web=3 -a $PY &&
	deis ps -a $PY | grep -c "web\.[0-9]" | grep -qx 3 &&
	wait_for 60 "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do app_get $PY; done | sort -u | wc -l | grep -qx 3"
'

test_expect 'releases:rollback serves the previous config again' '
	deis releases:rollback -a $PY &&
	wait_for 60 "app_get $PY | grep -q \"Powered by Deis\""
'

test_expect 'domains:add then curl with that Host' '
	deis domains:add www.$PY.example -a $PY &&
	wait_for 30 "app_get $PY www.$PY.example | grep -q \"app $PY\""
'

test_expect 'logs show the app lines' '
	app_get $PY >/dev/null;
	wait_for 30 "deis logs -a $PY | grep -q \"example-web: GET /\""
'

# Docker does not restart a container stopped through its API: the supervisor does.
ms() { date +%s%3N; }
test_expect 'components killed or stopped behind the platform come back by themselves' '
	t0=$(ms) && docker kill $PREFIX-router >/dev/null &&
	wait_for 10 "app_get $PY | grep -q \"app $PY\"" && t1=$(ms) &&
	echo "# router docker-killed: serving again after $((t1 - t0)) ms" &&
	docker stop -t 1 $PREFIX-logger >/dev/null &&
	curl -s -m 5 -o /dev/null -H "Host: $PY.$DOMAIN" "http://127.0.0.1:$HTTP/while-logger-down-$$" &&
	wait_for 10 "[ \"\$(docker inspect -f {{.State.Running}} $PREFIX-logger)\" = true ]" &&
	wait_for 30 "deis logs -a $PY | grep -q \"example-web: GET /while-logger-down-$$\"" &&
	docker logs $PREFIX-supervisor 2>&1 | grep "router had stopped" &&
	docker logs $PREFIX-supervisor 2>&1 | grep "logger had stopped" &&
	echo "$((t1 - t0))" >"$TRASH/router-back-ms"
'
[ -f "$TRASH/router-back-ms" ] && echo "# router docker-killed: serving again after $(cat "$TRASH/router-back-ms") ms"

# deis run, as Deis's client reads it and Heroku runs it: the words joined, run by bash -c
# (in /app with the buildpack's environment for buildpack apps), the remote exit status.
test_expect 'run: a buildpack app finds its Python, with arguments' '
	deis run -a $PY python3 --version >"$TRASH/run" && cat "$TRASH/run" &&
	grep -q "^Python 3\." "$TRASH/run" && deis run -a $PY pwd | grep -qx /app
'

for app in $PY $DK; do
test_expect "run ($app): a shell command line, its output and its exit status" '
	deis run -a '$app' "echo \$((6*7)); exit 3" >"$TRASH/run"; rc=$?
	cat "$TRASH/run" && test $rc -eq 3 && sed -n 2p "$TRASH/run" | grep -qx 42
'
test_expect "run ($app): after --, every word is the command" '
	deis run -a '$app' -- ls -la / >"$TRASH/run" && grep -q " etc$" "$TRASH/run" &&
	deis run -a '$app' -- echo -a x >"$TRASH/run" && sed -n 2p "$TRASH/run" | grep -qx -- "-a x"
'
test_expect "run ($app): -a after the command, the release's config in the environment" '
	(cd "$TRASH" && deis config:set RUNVAR=from-config -a '$app' >/dev/null &&
	 deis run env -a '$app' >"$TRASH/run") &&
	grep -qx "DEIS_APP='$app'" "$TRASH/run" && grep -qx "RUNVAR=from-config" "$TRASH/run"
'
done

test_expect 'run: no one-off container is left behind' '
	[ -z "$(docker ps -aq --filter label=sh.deis.app=$PY --filter label=sh.deis.type=run)" ] &&
	[ -z "$(docker ps -aq --filter label=sh.deis.app=$DK --filter label=sh.deis.type=run)" ]
'

test_expect 'each app has a network of its own; an app cannot use the controller API on it' '
	[ "$(docker ps --filter label=sh.deis.app=$PY --format "{{.Networks}}" | sort -u)" = "$PREFIX-app-$PY" ] &&
	[ "$(docker ps --filter label=sh.deis.app=$DK --format "{{.Networks}}" | head -n 1)" = "$PREFIX-app-$DK" ] &&
	cip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$PREFIX-app-$PY\").IPAddress}}" $PREFIX-controller) &&
	app=$(docker ps -q --filter label=sh.deis.platform=$PREFIX --filter label=sh.deis.app=$PY | head -n 1) &&
	docker exec $app python3 -c "
import socket, sys
s = socket.create_connection((\"$cip\", 8000), 3)
s.sendall(b\"GET /v1/apps/ HTTP/1.0\\r\\n\\r\\n\")
print(s.recv(100).decode().split(chr(13))[0])" >"$TRASH/appcall" &&
	cat "$TRASH/appcall" && grep -q "^HTTP/1.1 403" "$TRASH/appcall"
'

# The boot limit is the controller's setting (Heroku's 60 s; 10 s here to keep the test short).
test_expect 'a server on another port than $PORT fails the push naming $PORT and the port it uses' '
	deisctl config controller set bootTimeout=10 >/dev/null && deisctl restart controller >/dev/null &&
	wait_for 60 "deis apps >/dev/null 2>&1" &&
	cat >"$TRASH/p80/Dockerfile" <<-EOF &&
	FROM deis/stack:bookworm
	USER slug
	CMD ["python3", "-m", "http.server", "3000"]
	EOF
	(cd "$TRASH/p80" && $GIT commit -qam "port 3000" && deis create $P80 --no-remote) &&
	! push "$TRASH/p80" $P80 >/dev/null &&
	grep -q "cmd.1 did not listen on \$PORT (5000) within 10 s of launch (Error R10, boot timeout); it listens on 3000" \
		"$TRASH/push-$P80.log"
'
test_expect 'a deploy failing its HEALTHCHECK_URL answers the controller'"'"'s 503 with why, through the router' '
	cat >"$TRASH/p80/Dockerfile" <<-EOF &&
	FROM deis/stack:bookworm
	USER slug
	CMD ["sh", "-c", "mkdir -p /tmp/w && echo up >/tmp/w/index.html && exec python3 -m http.server \$PORT --directory /tmp/w"]
	EOF
	(cd "$TRASH/p80" && $GIT commit -qam "on \$PORT") && push "$TRASH/p80" $P80 >/dev/null &&
	app_get $P80 | grep -qx up &&
	! deis config:set HEALTHCHECK_URL=/no-such-page -a $P80 >"$TRASH/hc.out" 2>&1; cat "$TRASH/hc.out";
	grep -q "503" "$TRASH/hc.out" &&
	grep -q "answered HEALTHCHECK_URL /no-such-page with 404, not 200" "$TRASH/hc.out" &&
	! grep -q "H12" "$TRASH/hc.out" && app_get $P80 | grep -qx up &&
	deis apps:destroy -a $P80 --confirm $P80 >/dev/null
'

test_expect 'deisctl stop platform: the platform stops (and stays stopped), the app containers keep running' '
	deisctl stop platform && ! deisctl status controller >/dev/null &&
	[ -z "$(docker ps -q --filter label=sh.deis.instance=$PREFIX)" ] && sleep 2 &&
	[ -z "$(docker ps -q --filter label=sh.deis.instance=$PREFIX)" ] &&
	[ -n "$(docker ps -q --filter label=sh.deis.app=$PY)" ]
'

test_expect 'deisctl start platform: users, apps, releases, domains are all still there' '
	deisctl start platform && deisctl status platform &&
	wait_for 30 "curl -sf -m 2 $CTLURL/healthz" &&
	deis whoami | grep -q "e2e at" &&
	deis apps:list | grep -q $PY && deis apps:list | grep -q $DK &&
	deis releases -a $PY | grep -q "^v5" &&
	deis domains -a $PY | grep -q www.$PY.example
'

test_expect 'after the restart both apps serve again through the router' '
	wait_for 60 "app_get $PY | grep -q \"app $PY\"" &&
	wait_for 60 "app_get $DK | grep -q Hello" &&
	wait_for 30 "app_get $PY www.$PY.example | grep -q \"app $PY\""
'

# logger_has APP: the logger (on the platform network only) holds lines of APP.
logger_has() {
	[ "$(docker exec $PREFIX-logger curl -s -o /dev/null -w "%{http_code}" \
		"http://127.0.0.1:8088/$1?log_lines=5")" = 200 ]
}

test_expect 'apps:destroy removes containers, routes and logs' '
	wait_for 30 "logger_has $DK" &&
	deis apps:destroy -a $DK --confirm=$DK &&
	! logger_has $DK &&
	[ -z "$(docker ps -aq --filter label=sh.deis.app=$DK)" ] &&
	wait_for 30 "! app_get $DK" &&
	! deis logs -a $DK
'

test_expect 'journal shows a component log; uninstall --purge removes it all' '
	deisctl journal controller | grep -q "deis-controller" &&
	deis apps:destroy -a $PY --confirm=$PY &&
	deisctl uninstall --purge platform &&
	[ -z "$(docker ps -aq --filter label=sh.deis.instance=$PREFIX)" ] &&
	[ -z "$(docker network ls -q --filter label=sh.deis.platform=$PREFIX)" ] &&
	! docker network inspect $PREFIX >/dev/null 2>&1 && [ ! -d "$STATE" ]
'

test_done
