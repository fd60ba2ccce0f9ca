#!/bin/sh
# deisctl's "many hosts" shape on a real one-node Docker Swarm (a private dockerd,
# t/helper/swarm-daemon; never the machine's daemon): the platform and stack images
# loaded into it, `config platform set mode=swarm`, the refusals (not a manager,
# SQLite, unlabelled nodes), install + start as Swarm services placed by the node
# labels deis.controlPlane / deis.routerMesh / deis.dataPlane on the host network, a
# configuration the controller refuses (exit 100 ends the wait at once), then the deis
# CLI and git as a user: register, add a key, create, push the Dockerfile example
# over SSH through the router, curl it through the router (its access log in the task's volume,
# shown by `deisctl journal router`), the app on an overlay
# of its own whose requests to the controller's API are refused (403),
# ps:scale cmd=2 (two app services, both answering, both routed); deisctl scale
# router=2 and rolling-restart router (Swarm updates); stop and start
# (the app still served); uninstall --purge leaves no service, volume or state.
# Every wait is bounded; the cleanup kills the private daemon. About 2 minutes.
. "$(dirname "$0")/test-lib.sh"

docker_ok || test_skip_all "no Docker engine answers on /var/run/docker.sock (scripts/docker-up)"
command -v docker >/dev/null || test_skip_all "no docker client in PATH"
command -v jq >/dev/null || test_skip_all "jq is not installed"
for b in deisctl deis; do
	[ -x "$BIN/$b" ] || test_skip_all "no $b binary"
done

IMAGE=deis/platform:t0704	# its own tag, as t0703 and t0705: e2e-pg is t0702's
STACK=deis/stack:bookworm
SD=$TRASH/swarm
PREFIX=sw$$
STATE=$TRASH/state
DK=sw-dk-$$
HOME=$TRASH/home
export DEISCTL_PREFIX=$PREFIX DEISCTL_STATE=$STATE HOME
mkdir -p "$HOME"
TEST_CLEANUP='"$TOP/t/helper/swarm-daemon" stop "$SD"'

test_expect 'platform images build (stack + platform with PostgreSQL)' '
	"$TOP/builder/images/build-stack" && WITH_POSTGRES=1 "$TOP/images/platform/build" "$IMAGE"
'

# The machine's engine, only asked (GET /info) by a deisctl that must refuse it.
test_expect 'mode=swarm refuses an engine that is not a Swarm manager' '
	deisctl config platform set mode=swarm && deisctl config database set engine=postgres &&
	if [ "$(docker info -f "{{.Swarm.ControlAvailable}}")" = true ]; then
		echo "# the machine engine is a swarm manager: refusal not tested" >&3
	else
		! deisctl --docker /var/run/docker.sock install platform 2>"$TRASH/err" &&
		cat "$TRASH/err" && grep -q "is not a Swarm manager" "$TRASH/err"
	fi
' 3>&1
test_expect 'mode takes host or swarm only' '
	! deisctl config platform set mode=kubernetes 2>"$TRASH/err" && grep -q "mode" "$TRASH/err" &&
	[ "$(deisctl config platform get mode)" = swarm ]
'

SOCK=$("$TOP/t/helper/swarm-daemon" start "$SD" 2>"$TRASH/sd.err")
case $? in
0) ;;
77) test_skip_all "dockerd cannot run here: $(tail -n 1 "$TRASH/sd.err")" ;;
*) test_expect "private swarm starts" 'cat "$TRASH/sd.err"; false'; test_done; exit 1 ;;
esac
HOSTD=unix:///var/run/docker.sock
export DOCKER_HOST=unix://$SOCK
NODE=$(docker info -f '{{.Swarm.NodeID}}')

test_expect 'the images load into the private swarm (docker save | docker load)' '
	DOCKER_HOST=$HOSTD docker save "$IMAGE" "$STACK" | timeout 300 docker load &&
	docker image inspect "$IMAGE" "$STACK" >/dev/null
'

HTTP=$(free_port) HTTPS=$(free_port) SSHP=$(free_port) BLD=$(free_port) CTL=$(free_port)
REG=$(free_port) HLT=$(free_port) SYS=$(free_port) LOG=$(free_port) DB=$(free_port)
DOMAIN=localhost
CTLURL=http://deis.$DOMAIN:$HTTP
KEY=$HOME/.ssh/id_ed25519
export GIT_SSH_COMMAND="ssh -i $KEY -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10"
GIT="git -c user.name=sw -c user.email=sw@example.com"

test_expect 'mode=swarm refuses SQLite, then unlabelled nodes, saying what to do' '
	deisctl config platform set image=$IMAGE httpPort=$HTTP httpsPort=$HTTPS sshPort=$SSHP \
		builderPort=$BLD controllerPort=$CTL registryPort=$REG healthPort=$HLT syslogPort=$SYS \
		loggerPort=$LOG databasePort=$DB &&
	deisctl config database set engine=sqlite &&
	! deisctl install platform 2>"$TRASH/err" && grep -q "engine=postgres" "$TRASH/err" &&
	deisctl config database set engine=postgres &&
	! deisctl install platform 2>"$TRASH/err" && cat "$TRASH/err" &&
	grep -q "label-add deis.controlPlane=true" "$TRASH/err" &&
	docker node update --label-add deis.controlPlane=true --label-add deis.routerMesh=true \
		--label-add deis.dataPlane=true "$NODE" >/dev/null
'

# diag: what the swarm says when something does not come up
diag() {
	echo "--- services"; docker service ls
	echo "--- tasks"; docker service ps --no-trunc $(docker service ls -q) 2>&1 | grep -v Running | head -20
	for c in controller router builder publisher; do
		echo "--- $c"; docker service logs --tail 20 "$PREFIX-$c" 2>&1
	done
}

test_expect 'install + start: every component a Swarm service, placed by its label' '
	deisctl install platform &&
	[ -z "$(docker service ls -q)" ] &&
	timeout 400 deisctl start platform || { diag; false; }
'
test_expect 'the services: modes, constraints, host network, the controller on the swarm driver' '
	deisctl status platform && deisctl list &&
	[ "$(docker service ls --filter label=sh.deis.instance=$PREFIX -q | wc -l)" = 8 ] &&
	for c in logger database registry controller builder; do
		docker service inspect $PREFIX-$c >"$TRASH/svc" &&
		jq -e ".[0].Spec | .Mode.Replicated.Replicas == 1 and
			.TaskTemplate.Placement.Constraints == [\"node.labels.deis.controlPlane==true\"]" \
			"$TRASH/svc" >/dev/null || exit 1
	done &&
	for c in publisher logspout; do
		docker service inspect $PREFIX-$c | jq -e ".[0].Spec | .Mode.Global and
			.TaskTemplate.Placement.Constraints == [\"node.labels.deis.dataPlane==true\"]" >/dev/null ||
			exit 1
	done &&
	docker service inspect $PREFIX-router | jq -e ".[0].Spec | .Mode.Global and
		.TaskTemplate.Placement.Constraints == [\"node.labels.deis.routerMesh==true\"]" &&
	[ "$(docker ps --filter label=sh.deis.instance=$PREFIX --format "{{.Networks}}" | sort -u)" = host ] &&
	[ "$(docker ps -q --filter label=sh.deis.instance=$PREFIX | wc -l)" = 8 ] &&
	docker service inspect $PREFIX-controller |
		jq -e ".[0].Spec.TaskTemplate.ContainerSpec.Env | index(\"DEIS_SCHEDULER=swarm\")" &&
	deisctl journal controller | grep -q "database postgres, scheduler swarm"
'
test_expect 'start set the swarm node heartbeat to 2 s (swarmHeartbeat; Swarm: 5 s)' '
	[ "$(docker info -f "{{json .Swarm.Cluster.Spec.Dispatcher.HeartbeatPeriod}}")" = 2000000000 ]
'
test_expect 'start again keeps every service (same spec digest)' '
	docker service ls -q --filter label=sh.deis.instance=$PREFIX | sort >"$TRASH/ids" &&
	v=$(docker service inspect -f "{{.Version.Index}}" $PREFIX-router) &&
	deisctl start platform | tee "$TRASH/start2" && [ "$(grep -c unchanged "$TRASH/start2")" = 8 ] &&
	! grep -q "node heartbeat" "$TRASH/start2" &&
	[ "$(docker service inspect -f "{{.Version.Index}}" $PREFIX-router)" = "$v" ]
'

test_expect 'a controller refusing its configuration (exit 100) stops the wait at once, with why' '
	deisctl config controller set appMemory=lots &&
	t0=$(date +%s) && ! timeout 100 deisctl start controller 2>"$TRASH/err" && cat "$TRASH/err" &&
	[ $(($(date +%s) - t0)) -lt 60 ] &&
	grep -q "refuses its configuration (exit 100):.*DEIS_APP_MEMORY .lots." "$TRASH/err" &&
	! deisctl status controller >/dev/null &&
	deisctl config controller rm appMemory && timeout 200 deisctl start controller &&
	deisctl status controller
'

exec 4>&2
deis() {
	timeout 300 "$BIN/deis" "$@"
	rc=$?
	if [ $rc = 124 ]; then
		echo "deis $*: no answer within 300 s ($(date -u +%T)); the controller's and the router's last lines:"
		docker service logs --tail 60 "$PREFIX-controller" 2>&1
		docker service logs --tail 30 "$PREFIX-router" 2>&1
	fi >&4
	return $rc
}
app_get() {
	curl -sf -m 5 -H "Host: $1.$DOMAIN" "http://127.0.0.1:$HTTP/"
}
# app_ports: the published ports of the app's running tasks (a Dockerfile app's type is cmd)
app_ports() {
	docker service ls -q --filter label=sh.deis.app=$DK --filter label=sh.deis.type=cmd |
	while read -r s; do
		docker service ps -q --filter desired-state=running "$s" | head -n 1 |
			xargs -r docker inspect -f "{{(index .Status.PortStatus.Ports 0).PublishedPort}}"
	done
}

test_expect 'register through the router and add an SSH key' '
	wait_for 30 "curl -sf -m 2 $CTLURL/healthz" &&
	deis register $CTLURL --username=sw --password=sw-pass-1 --email=sw@example.com &&
	mkdir -p "$HOME/.ssh" && ssh-keygen -q -t ed25519 -N "" -C sw@test -f "$KEY" &&
	deis keys:add "$KEY.pub"
'
test_expect 'git push the Dockerfile app over SSH through the router' '
	rm -rf "$TRASH/dk" && cp -r "$TOP/examples/dockerfile-web" "$TRASH/dk" &&
	(cd "$TRASH/dk" && git init -q -b master && git add . && $GIT commit -qm init &&
	 deis create $DK --no-remote &&
	 timeout 600 git push "ssh://git@127.0.0.1:$SSHP/$DK.git" master) >"$TRASH/push.log" 2>&1
	rc=$?; tail -n 20 "$TRASH/push.log"; [ $rc = 0 ] || { diag; false; }
'
test_expect 'the app runs as a Swarm service and serves through the router' '
	[ "$(docker service ls -q --filter label=sh.deis.app=$DK | wc -l)" = 1 ] &&
	wait_for 60 "app_get $DK | grep -q \"Hello from a Dockerfile app ($DK)\"" || { diag; false; }
'
test_expect 'journal router: the router task writes its access log to its volume and shows its tail' '
	deisctl journal router >"$TRASH/journal" && tail -n 3 "$TRASH/journal" &&
	grep -q "^-- [0-9a-f]* access log (/var/lib/deis/router/access.log) --" "$TRASH/journal" &&
	grep -q " - 200 - \"GET / HTTP/1.1\" - .* - \"$DK\" - " "$TRASH/journal" &&
	! docker service logs $PREFIX-router 2>&1 | grep -q "\"GET / HTTP/1.1\""
'
# from_app URL: the HTTP status of GET URL from inside the app's task container
from_app() {
	docker exec "$(docker ps -q --filter label=sh.deis.app=$DK | head -n 1)" python3 -c '
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=5).status)
except urllib.error.HTTPError as e:
    print(e.code)
' "$1"
}
test_expect 'the app is on an overlay of its own (dnsrr); its requests to the controller get 403' '
	docker network inspect $PREFIX-app-$DK >"$TRASH/net" &&
	jq -e ".[0] | .Driver == \"overlay\" and .Scope == \"swarm\" and (.IPAM.Config[0].Subnet | startswith(\"100.80.\"))" "$TRASH/net" &&
	docker service inspect $(docker service ls -q --filter label=sh.deis.app=$DK) |
		jq -e ".[0].Spec.EndpointSpec.Mode == \"dnsrr\"" &&
	docker service inspect $PREFIX-controller |
		jq -r ".[0].Spec.TaskTemplate.ContainerSpec.Env[] | select(startswith(\"DEIS_DENY_NET=\"))" &&
	gw=$(ip -4 -o addr show dev "$(sed -n 2p "$SD/bridges")" | awk "{ print \$4 }" | cut -d/ -f1) &&
	[ -n "$gw" ] && [ "$(from_app "http://$gw:$CTL/healthz")" = 200 ] &&
	[ "$(from_app "http://$gw:$CTL/v1/apps")" = 403 ]
'
# The logger's syslog port is on the node's address, which app tasks reach: a
# line an app writes there naming any app must not be filed (only senders with
# the platform's logger key are believed).
test_expect 'an app task reaches the syslog port, but lines it forges are not filed' '
	gw=$(ip -4 -o addr show dev "$(sed -n 2p "$SD/bridges")" | awk "{ print \$4 }" | cut -d/ -f1) &&
	docker exec "$(docker ps -q --filter label=sh.deis.app=$DK | head -n 1)" python3 -c "
import socket, sys
m = b\"<14>1 - h $DK deis-controller - - INFO [$DK]: FORGED-BY-APP deployed v999\"
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(b\"%d \" % len(m) + m); s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.sendto(m, (sys.argv[1], int(sys.argv[2])))
print(\"sent\")
" "$gw" "$SYS" | grep -qx sent &&
	sleep 2 && deis logs -a $DK >"$TRASH/forged.log" 2>&1 &&
	grep -q "deis-controller" "$TRASH/forged.log" && ! grep FORGED "$TRASH/forged.log"
'
# routed: how many endpoints of the app the controller's route table (the routers' watch) holds
routed() {
	curl -sN -m 2 -H "X-Deis-Internal-Auth: $(cat "$STATE/internal-token")" \
		"http://127.0.0.1:$CTL/v1/internal/routes" 2>/dev/null | grep "^{" | head -n 1 |
		jq ".apps[\"$DK\"].endpoints // [] | length"
}
test_expect 'ps:scale cmd=2: two app services, both answering, both routed' '
	deis ps:scale cmd=2 -a $DK &&
	deis ps -a $DK | grep -c "cmd\.[0-9]" | grep -qx 2 &&
	[ "$(docker service ls -q --filter label=sh.deis.app=$DK | wc -l)" = 2 ] &&
	wait_for 30 "[ \$(app_ports | wc -l) = 2 ]" &&
	for p in $(app_ports); do curl -sf -m 5 "http://127.0.0.1:$p/" | grep -q Hello || exit 1; done &&
	wait_for 30 "[ \"\$(routed)\" = 2 ]" &&
	for i in 1 2 3 4 5 6; do app_get $DK | grep -q Hello || exit 1; done
'
router_task() {
	docker ps -q --filter label=com.docker.swarm.service.name=$PREFIX-router
}
test_expect 'scale router=2, rolling-restart router: the same service updated, new tasks, serving' '
	id=$(docker service inspect -f "{{.ID}}" $PREFIX-router) && c0=$(router_task) &&
	timeout 200 deisctl scale router=2 &&
	docker service inspect $PREFIX-router |
		jq -e ".[0].Spec.TaskTemplate.ContainerSpec.Args | index(\"--workers\") as \$i | .[\$i + 1] == \"2\"" &&
	c1=$(router_task) && [ -n "$c1" ] && [ "$c1" != "$c0" ] &&
	timeout 200 deisctl rolling-restart router &&
	c2=$(router_task) && [ -n "$c2" ] && [ "$c2" != "$c1" ] &&
	[ "$(docker service inspect -f "{{.ID}}" $PREFIX-router)" = "$id" ] &&
	[ "$(docker service inspect -f "{{.Spec.TaskTemplate.ForceUpdate}}" $PREFIX-router)" = 2 ] &&
	wait_for 30 "app_get $DK | grep -q Hello"
'
test_expect 'stop removes the platform services (the app keeps running); start brings it back' '
	deisctl stop platform &&
	[ -z "$(docker service ls -q --filter label=sh.deis.instance=$PREFIX)" ] &&
	! deisctl status platform >/dev/null &&
	[ "$(docker service ls -q --filter label=sh.deis.app=$DK | wc -l)" = 2 ] &&
	timeout 400 deisctl start platform &&
	deis apps:list | grep -q $DK &&
	wait_for 60 "app_get $DK | grep -q Hello" || { diag; false; }
'
test_expect 'uninstall --purge leaves no service, volume or state behind' '
	deis apps:destroy -a $DK --confirm=$DK &&
	deisctl uninstall --purge platform &&
	[ -z "$(docker service ls -q)" ] &&
	[ -z "$(docker ps -aq --filter label=sh.deis.instance=$PREFIX)" ] &&
	[ -z "$(docker volume ls -q --filter name=$PREFIX-)" ] && [ ! -d "$STATE" ]
'

test_done
