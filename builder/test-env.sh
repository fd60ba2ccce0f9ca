# Sourced by t/t03*-builder-*.sh after t/test-lib.sh: a real registry, a real
# controller, the builder's sshd on loopback ports, and a user with an SSH key.
#   builder_env_up             start registry, controller, builder (needs root, docker)
#   api METHOD PATH [JSON]     a controller request as $TOKEN; body in $TRASH/api.out, prints status
#   user_new NAME              register + login NAME, key in $TRASH/NAME.key; sets TOKEN
#   push_as NAME DIR APP       git push DIR to APP as NAME; output in $TRASH/push.out
# Users the builder runs as (global on the host, reused across runs):
GIT_USER=deis-test-git
KEYS_USER=deis-test-keys
BUILDER_KEY=test-builder-key-$$
# The builds' cgroup parent (each build's group below it, every hierarchy): removed by
# builder_cgroup_down, which a test's TEST_CLEANUP calls.
BUILD_CG=deis-build-test-$$

builder_prereqs() {
	[ "$(id -u)" = 0 ] || test_skip_all "needs root (sshd, users)"
	docker_ok || test_skip_all "no docker daemon"
	command -v docker-registry >/dev/null || test_skip_all "no docker-registry"
	[ -x "$BIN/deis-controller" ] || test_skip_all "no deis-controller binary"
	[ -x "$BIN/deis-builder" ] || test_skip_all "no deis-builder binary"
	"$TOP/builder/images/build-stack" >"$TRASH/stack.log" 2>&1 ||
		test_skip_all "cannot build the stack image: $(tail -n 1 "$TRASH/stack.log")"
}

builder_env_up() {
	chmod 755 "$TRASH"	# the git user walks into the state dir below it
	RPORT=$(free_port)
	mkdir -p "$TRASH/registry"
	cat >"$TRASH/registry.yml" <<EOR
version: 0.1
storage:
  filesystem:
    rootdirectory: $TRASH/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$RPORT
EOR
	bg_start registry docker-registry serve "$TRASH/registry.yml"
	wait_for 10 "curl -sf http://127.0.0.1:$RPORT/v2/" || { cat "$TRASH/registry.log"; return 1; }
	REGISTRY=127.0.0.1:$RPORT

	CPORT=$(free_port)
	CONTROLLER=http://127.0.0.1:$CPORT
	DEIS_BUILDER_KEY=$BUILDER_KEY bg_start controller deis-controller --listen "127.0.0.1:$CPORT" \
		--db "sqlite://$TRASH/deis.db" --registry "$REGISTRY" --domain localhost \
		--scheduler "${SCHEDULER:-none}"
	wait_for 10 "curl -s -o /dev/null $CONTROLLER/v1/" || { cat "$TRASH/controller.log"; return 1; }

	SPORT=$(free_port)
	STATE=$TRASH/state
	builder_start
	git config --global user.email >/dev/null 2>&1 || {
		export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com
		export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
	}
}

builder_start() {
	rm -f "$TRASH/builder.log"	# wait for this start's "Server listening", not the last one's
	DEIS_BUILDER_STATE=$STATE DEIS_BUILDER_PORT=$SPORT DEIS_BUILDER_LISTEN=127.0.0.1 \
	DEIS_CONTROLLER_URL=$CONTROLLER DEIS_BUILDER_KEY=$BUILDER_KEY DEIS_REGISTRY=$REGISTRY \
	DEIS_BUILDER_GIT_USER=$GIT_USER DEIS_BUILDER_KEYS_USER=$KEYS_USER DEIS_BUILDER_KEEPALIVE=2 \
	DEIS_BUILDER_GC_INTERVAL=${GC_INTERVAL:-3600} DEIS_BUILDER_CA_BUNDLE=$(ls /etc/ssl/certs/ca-certificates.crt 2>/dev/null) \
	DEIS_BUILD_CGROUP=/sys/fs/cgroup:$BUILD_CG DEIS_BUILD_DISK_MB=${BUILD_DISK_MB:-} \
		bg_start builder deis-builder start
	wait_for 20 "grep -q 'Server listening' '$TRASH/builder.log'" || { cat "$TRASH/builder.log"; return 1; }
}

api() {
	m=$1 p=$2 b=${3:-}
	set --
	if [ -n "${TOKEN:-}" ]; then set -- -H "Authorization: token $TOKEN"; fi
	curl -s -o "$TRASH/api.out" -w '%{http_code}' -X "$m" -H 'Content-Type: application/json' \
		${b:+--data-binary "$b"} "$@" "$CONTROLLER$p"
}

user_new() {
	api POST /v1/auth/register "{\"username\":\"$1\",\"password\":\"pw-$1-secret\",\"email\":\"$1@example.com\"}" >/dev/null
	TOKEN=
	[ "$(api POST /v1/auth/login "{\"username\":\"$1\",\"password\":\"pw-$1-secret\"}")" = 200 ] || return 1
	TOKEN=$(jq -r .token "$TRASH/api.out")
	eval "TOKEN_$1=\$TOKEN"
	ssh-keygen -q -t ed25519 -N '' -C "$1@test" -f "$TRASH/$1.key"
	[ "$(api POST /v1/keys "{\"id\":\"$1@test\",\"public\":\"$(cat "$TRASH/$1.key.pub")\"}")" = 201 ]
}

as_user() {
	eval "TOKEN=\$TOKEN_$1"
}

# ssh_cmd NAME: the ssh command line for NAME's key.
ssh_cmd() {
	echo "ssh -i $TRASH/$1.key -p $SPORT -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile=$TRASH/known_hosts -o StrictHostKeyChecking=accept-new -o LogLevel=ERROR"
}

push_as() {
	GIT_SSH_COMMAND=$(ssh_cmd "$1") git -C "$2" push -q "ssh://$GIT_USER@127.0.0.1:$SPORT/$3.git" "${4:-HEAD:master}" >"$TRASH/push.out" 2>&1
}

# new_repo DIR: an app directory under git with what follows in files (made by the caller).
new_repo() {
	rm -rf "$1" && mkdir -p "$1" && git -C "$1" init -q && git -C "$1" checkout -q -b master 2>/dev/null
}

commit_all() {
	git -C "$1" add -A && git -C "$1" commit -q -m "${2:-change}" --allow-empty
}

# Build containers (label), slug containers (name, for the apps in $APPS) and temp dirs
# must never outlive a build (only this test's builder:
# other tests may be building at the same time).
no_leftovers() {
	left=$(docker ps -aq --filter "label=deis.builder.state=$STATE")
	left="$left$(find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -type d -path "*/$BUILD_CG/*" 2>/dev/null)"
	for a in ${APPS:-}; do left="$left$(docker ps -aq --filter "name=^/deis-slug-$a-")"; done
	left="$left$(ls -A "$STATE/tmp" 2>/dev/null)"
	[ -z "$left" ] || { echo "left behind: $left"; ls -laR "$STATE/tmp" | head -20; return 1; }
}

registry_has() {	# registry_has APP TAG
	curl -sf "http://$REGISTRY/v2/$1/tags/list" | jq -e --arg t "$2" '.tags | index($t)' >/dev/null
}

release_count() {	# release_count APP (as the current TOKEN)
	api GET "/v1/apps/$1/releases" >/dev/null && jq -r '.count // (.results | length)' "$TRASH/api.out"
}

builder_cgroup_down() {
	find /sys/fs/cgroup -maxdepth 3 -depth -type d -path "*/$BUILD_CG*" -exec rmdir {} + 2>/dev/null
	true
}

# git_server_up DIR: serve DIR (bare repositories, git's dumb HTTP protocol) from a container on
# the engine's default bridge, the network build containers run on in these tests: a build
# container reaches it from its own address, the builder's host process only from the bridge's
# gateway. Sets GIT_HOST (ip:port), GIT_SERVER (its id: `docker logs` names each client) and
# BRIDGE_GW; builder_servers_down (in TEST_CLEANUP) removes it.
git_server_up() {
	GIT_SERVER=$(docker run -d --label deis.builder=test --user 65534:65534 -v "$1:/srv:ro" \
		"${DEIS_STACK_IMAGE:-deis/stack:bookworm}" python3 -m http.server 8000 --directory /srv) ||
		return 1
	echo "$GIT_SERVER" >>"$TRASH/servers"
	GIT_HOST=$(docker inspect -f '{{.NetworkSettings.IPAddress}}' "$GIT_SERVER"):8000
	BRIDGE_GW=$(docker network inspect bridge -f '{{(index .IPAM.Config 0).Gateway}}')
	wait_for 15 "curl -sf http://$GIT_HOST/ >/dev/null"
}

# git_clients PATH [MARK]: the addresses that asked the test's git server for PATH (one a
# line), after its first MARK lines of log (git_mark: how many there are now).
git_clients() {
	docker logs "$GIT_SERVER" 2>&1 | tail -n +$((${2:-0} + 1)) |
		awk -v p="$1" 'index($0, "\"GET " p) { print $1 }' | sort -u
}
git_mark() {
	docker logs "$GIT_SERVER" 2>&1 | wc -l
}

builder_servers_down() {
	[ -f "$TRASH/servers" ] && xargs -r docker rm -f <"$TRASH/servers" >/dev/null 2>&1
	true
}
