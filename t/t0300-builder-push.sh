#!/bin/sh
# git push over the builder's real sshd to a real controller, docker engine and registry:
# a buildpack app and a Dockerfile app get built, pushed to the registry and released;
# every bad input is refused with a clear message, a non-zero exit and nothing left behind.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/builder/test-env.sh"
builder_prereqs
APPS="pyapp dockapp"
BUILD_DISK_MB=200	# small, to be reached: the honest builds here write far less
TEST_CLEANUP='builder_cgroup_down; builder_servers_down; docker ps -aq --filter "label=deis.builder.state=$STATE" | xargs -r docker rm -f >/dev/null 2>&1;
 for a in pyapp dockapp; do docker images -q "$REGISTRY/$a" | xargs -r docker rmi -f >/dev/null 2>&1; done'

# Daemons and users are set up at the top level: test_expect runs in a subshell.
builder_env_up >"$TRASH/setup.log" 2>&1; up=$?
test_expect 'registry, controller and builder start' "[ $up = 0 ] || { cat $TRASH/setup.log; false; }"
[ $up = 0 ] || { test_done; exit 1; }

user_new alice >>"$TRASH/setup.log" 2>&1 &&
api POST /v1/apps '{"id":"pyapp"}' | grep -q 201 &&
api POST /v1/apps '{"id":"dockapp"}' | grep -q 201 &&
user_new bob >>"$TRASH/setup.log" 2>&1; ok=$?
test_expect 'users, keys and apps' "[ $ok = 0 ] || { cat $TRASH/setup.log $TRASH/api.out; false; }"

# A custom buildpack served over git's dumb HTTP protocol (BUILDPACK_URL), offline, from a
# container on the network build containers use (they fetch it, not the builder).
new_repo "$TRASH/bp" && mkdir -p "$TRASH/bp/bin"
printf '#!/bin/sh\necho Checker\n' >"$TRASH/bp/bin/detect"
cat >"$TRASH/bp/bin/compile" <<'EOB'
#!/bin/bash
want=$(printf "a'b\"c\`id\` \$HOME x\ny"; printf z)
got=$(cat "$3/WEIRD"; printf z)
[ "$got" = "$want" ] || { echo "ENV_DIR value differs: [$got]"; exit 1; }
[ "${WEIRD}z" = "$want" ] || { echo "environment value differs: [$WEIRD]"; exit 1; }
echo "config values intact"
EOB
printf '#!/bin/sh\necho ---\necho "default_process_types:"\necho "  web: python3 app.py"\n' >"$TRASH/bp/bin/release"
chmod +x "$TRASH/bp/bin/"*
commit_all "$TRASH/bp" bp
mkdir -p "$TRASH/www" && git clone -q --bare "$TRASH/bp" "$TRASH/www/bp.git" && git -C "$TRASH/www/bp.git" update-server-info
WPORT=$(free_port)
bg_start www python3 -m http.server "$WPORT" --bind 127.0.0.1 --directory "$TRASH/www"
git_server_up "$TRASH/www" >>"$TRASH/setup.log" 2>&1

test_expect 'sshd: no password or keyboard-interactive, pubkey only' '
	! ssh -p $SPORT -o BatchMode=yes -o PubkeyAuthentication=no -o UserKnownHostsFile=$TRASH/known_hosts \
		-o StrictHostKeyChecking=accept-new $GIT_USER@127.0.0.1 true 2>$TRASH/err &&
	grep "Permission denied (publickey)" $TRASH/err
'

test_expect 'a key that belongs to nobody is refused' '
	ssh-keygen -q -t ed25519 -N "" -f $TRASH/carol.key &&
	! $(ssh_cmd carol) $GIT_USER@127.0.0.1 "git-receive-pack '\''pyapp.git'\''" 2>$TRASH/err </dev/null &&
	grep "Permission denied" $TRASH/err
'

test_expect 'no shell, no pty, no forwarding' '
	! $(ssh_cmd alice) -T $GIT_USER@127.0.0.1 </dev/null 2>$TRASH/err &&
	grep "interactive shells are not allowed" $TRASH/err &&
	! $(ssh_cmd alice) $GIT_USER@127.0.0.1 "ls -la /" </dev/null 2>$TRASH/err &&
	grep "command '\''ls'\'' is not allowed" $TRASH/err &&
	! $(ssh_cmd alice) $GIT_USER@127.0.0.1 "sh -c id; git-receive-pack x" </dev/null 2>$TRASH/err &&
	grep "not allowed" $TRASH/err &&
	! timeout 20 $(ssh_cmd alice) -W 127.0.0.1:$CPORT $GIT_USER@127.0.0.1 </dev/null 2>$TRASH/err &&
	grep -i "forwarding failed" $TRASH/err
'

test_expect 'repository names with .. or quotes are refused' '
	! $(ssh_cmd alice) $GIT_USER@127.0.0.1 "git-receive-pack '\''../pyapp.git'\''" </dev/null 2>$TRASH/err &&
	grep "'\''..'\'' is not allowed" $TRASH/err &&
	! $(ssh_cmd alice) $GIT_USER@127.0.0.1 "git-receive-pack '\''py\"app.git'\''" </dev/null 2>$TRASH/err &&
	grep "quotes are not allowed" $TRASH/err &&
	! $(ssh_cmd alice) $GIT_USER@127.0.0.1 "git-receive-pack '\''py\`id\`app.git'\''" </dev/null 2>$TRASH/err &&
	grep "quotes are not allowed" $TRASH/err
'

new_repo "$TRASH/py"
cat >"$TRASH/py/app.py" <<'EOP'
import http.server, os
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"hello from python\n")
http.server.HTTPServer(("", int(os.environ.get("PORT", "5000"))), H).serve_forever()
EOP
commit_all "$TRASH/py" first

test_expect 'an unknown app is refused before git runs' '
	! push_as alice "$TRASH/py" nosuchapp && grep "app '\''nosuchapp'\'' not found" $TRASH/push.out &&
	! ls $STATE/repos/nosuchapp.git 2>/dev/null
'

test_expect 'a user without access to the app is refused' '
	! push_as bob "$TRASH/py" pyapp && cat $TRASH/push.out &&
	grep -E "user '\''bob'\'' (may not push to|has no access to)" $TRASH/push.out &&
	! ls $STATE/repos/pyapp.git 2>/dev/null
'

test_expect 'a Python buildpack app builds, is pushed and released' '
	as_user alice && before=$(release_count pyapp) &&
	push_as alice "$TRASH/py" pyapp; rc=$?; cat $TRASH/push.out; [ $rc = 0 ] &&
	grep -- "-----> Python app detected" $TRASH/push.out &&
	grep -- "-----> Building Docker image" $TRASH/push.out &&
	grep -- "-----> Pushing image to private registry" $TRASH/push.out &&
	grep "done, pyapp:v[0-9]* deployed to Deis" $TRASH/push.out &&
	grep "http://pyapp.localhost" $TRASH/push.out &&
	grep -E "\(took [0-9.]+ s: receive [0-9.]+ s, build [0-9.]+ s, push [0-9.]+ s, release [0-9.]+ s(, prepare [0-9.]+ s, start [0-9.]+ s, health [0-9.]+ s, switch [0-9.]+ s)?\)" $TRASH/push.out &&
	grep -E "built: receive [0-9.]+ s, build" $TRASH/controller.log &&
	sha=$(git -C $TRASH/py rev-parse HEAD | cut -c1-8) &&
	registry_has pyapp git-$sha &&
	[ $(release_count pyapp) -eq $((before + 1)) ] &&
	no_leftovers
'

test_expect 'the app image runs: runner, default process type, PORT' '
	sha=$(git -C $TRASH/py rev-parse HEAD | cut -c1-8) &&
	id=$(docker run -d --label deis.builder=test -p 127.0.0.1::5000 $REGISTRY/pyapp:git-$sha start web) &&
	port=$(docker port $id 5000/tcp | head -n1 | sed "s/.*://") &&
	wait_for 15 "curl -sf http://127.0.0.1:$port/ | grep -q hello" ; rc=$?
	docker rm -f $id >/dev/null; [ $rc = 0 ]
'

test_expect 'config values with quotes, backticks, $, spaces and newlines reach the build intact' '
	wait_for 10 "curl -sf http://$GIT_HOST/bp.git/HEAD" &&
	as_user alice &&
	body=$(jq -cn --arg v "$(printf "a'\''b\"c\`id\` \$HOME x\ny")" --arg u "http://$GIT_HOST/bp.git#master" \
		"{values:{WEIRD:\$v, BUILDPACK_URL:\$u}}") &&
	api POST /v1/apps/pyapp/config "$body" | grep -q 201 &&
	commit_all $TRASH/py second &&
	push_as alice "$TRASH/py" pyapp; rc=$?; cat $TRASH/push.out; [ $rc = 0 ] &&
	grep "Checker app detected" $TRASH/push.out && grep "config values intact" $TRASH/push.out &&
	sha=$(git -C $TRASH/py rev-parse HEAD | cut -c1-8) &&
	! docker image inspect $REGISTRY/pyapp:git-$sha | grep -q WEIRD
'

test_expect 'a failing buildpack: clear message, non-zero, no release, nothing left' '
	as_user alice && before=$(release_count pyapp) &&
	printf "#!/bin/sh\necho compile is broken on purpose\nexit 3\n" >$TRASH/bp/bin/compile &&
	commit_all $TRASH/bp broken && git -C $TRASH/bp push -q $TRASH/www/bp.git master &&
	git -C $TRASH/www/bp.git update-server-info &&
	commit_all $TRASH/py third &&
	! push_as alice "$TRASH/py" pyapp && cat $TRASH/push.out &&
	grep "compile is broken on purpose" $TRASH/push.out &&
	grep "buildpack failed to compile" $TRASH/push.out &&
	grep "build failed: nothing was released" $TRASH/push.out &&
	[ $(release_count pyapp) -eq $before ] && no_leftovers &&
	sha=$(git -C $TRASH/py rev-parse HEAD | cut -c1-8) && ! registry_has pyapp git-$sha
'

test_expect 'the next push works (built-in buildpacks again)' '
	as_user alice && api POST /v1/apps/pyapp/config "{\"values\":{\"BUILDPACK_URL\":null}}" | grep -q 201 &&
	commit_all $TRASH/py fourth && push_as alice "$TRASH/py" pyapp; rc=$?; cat $TRASH/push.out; [ $rc = 0 ] &&
	grep "Python app detected" $TRASH/push.out && no_leftovers
'

test_expect 'a gitlink .gitmodules does not name: refused by name, nothing built' '
	git -C $TRASH/py update-index --add --cacheinfo 160000,$(git -C $TRASH/py rev-parse HEAD),vendor/lib &&
	git -C $TRASH/py commit -qm submodule && ! push_as alice "$TRASH/py" pyapp && cat $TRASH/push.out &&
	grep -q "submodule .vendor/lib. has no URL in .gitmodules" $TRASH/push.out &&
	! grep -q -- "-----> Python app detected" $TRASH/push.out && no_leftovers &&
	git -C $TRASH/py rm -q --cached vendor/lib && git -C $TRASH/py commit -qm "no submodule"
'

# Submodules: fetched in the sandbox from their URL in .gitmodules, at the recorded commit (not
# the branch's newest), their content where the tree has them, for both kinds of build.
new_repo "$TRASH/lib"
echo "from the submodule, first" >"$TRASH/lib/lib.txt"
ln -s /etc/shadow "$TRASH/lib/shadow"
commit_all "$TRASH/lib" first
git clone -q --bare "$TRASH/lib" "$TRASH/www/lib.git" && git -C "$TRASH/www/lib.git" update-server-info
test_expect 'a submodule is fetched in the sandbox at its recorded commit: the build has it' '
	git -C $TRASH/py -c protocol.file.allow=always submodule -q add http://$GIT_HOST/lib.git vendor/lib &&
	git -C $TRASH/py commit -qm "with a submodule" &&
	echo "from the submodule, later" >$TRASH/lib/lib.txt && commit_all $TRASH/lib later &&
	git -C $TRASH/lib push -q $TRASH/www/lib.git master && git -C $TRASH/www/lib.git update-server-info &&
	mark=$(git_mark) && push_as alice "$TRASH/py" pyapp; rc=$?; cat $TRASH/push.out; [ $rc = 0 ] &&
	grep -q -- "-----> Fetching git submodules" $TRASH/push.out &&
	clients=$(git_clients /lib.git/ $mark) && echo "lib.git fetched by: $clients (gateway $BRIDGE_GW)" &&
	[ -n "$clients" ] && ! echo "$clients" | grep -qxF "$BRIDGE_GW" &&
	sha=$(git -C $TRASH/py rev-parse HEAD | cut -c1-8) &&
	docker run --rm --entrypoint /bin/sh $REGISTRY/pyapp:git-$sha -c \
		"grep -qx \"from the submodule, first\" /app/vendor/lib/lib.txt && test -L /app/vendor/lib/shadow && test ! -e /app/vendor/lib/.git" &&
	no_leftovers
'

test_expect 'a submodule with a relative URL is refused by name' '
	git -C $TRASH/py config -f .gitmodules submodule.vendor/lib.url ../lib.git &&
	commit_all $TRASH/py relative && ! push_as alice "$TRASH/py" pyapp && cat $TRASH/push.out &&
	grep -q "submodule .vendor/lib. has the relative URL .\.\./lib.git., which resolves against nothing here" $TRASH/push.out &&
	no_leftovers
'

test_expect 'a submodule the sandbox cannot fetch fails the push naming it and its URL' '
	git -C $TRASH/py config -f .gitmodules submodule.vendor/lib.url http://127.0.0.1:$WPORT/lib.git &&
	commit_all $TRASH/py unreachable && ! push_as alice "$TRASH/py" pyapp && cat $TRASH/push.out &&
	grep -q "cannot fetch submodule .vendor/lib. from .http://127.0.0.1:$WPORT/lib.git.:" $TRASH/push.out &&
	grep -q "build failed: nothing was released" $TRASH/push.out && no_leftovers &&
	git -C $TRASH/py rm -q -f vendor/lib && git -C $TRASH/py rm -q -f .gitmodules && commit_all $TRASH/py "no submodule"
'

test_expect 'concurrent pushes to one app: the second is refused clearly' '
	flock $STATE/repos/pyapp.lock sleep 6 & sleep 0.5 &&
	commit_all $TRASH/py fifth &&
	! push_as alice "$TRASH/py" pyapp && grep "another git push to '\''pyapp'\'' is ongoing" $TRASH/push.out;
	rc=$?; wait; [ $rc = 0 ]
'

# git checks a ref's name only after the pre-receive hook ran: a crafted push (no git client
# sends one) would be built and released; the hook is run here as git-receive-pack would.
test_expect 'a malformed ref name is refused before anything is built' '
	sha=$(git -C $TRASH/py rev-parse HEAD) &&
	! (cd $STATE/repos/pyapp.git && echo "0000000000000000000000000000000000000000 $sha refs/heads/a..b" |
		DEIS_BUILDER_CONFIG=$STATE/builder.conf DEIS_BUILDER_APP=pyapp DEIS_BUILDER_USER=alice \
		./hooks/pre-receive) >$TRASH/out 2>&1 && cat $TRASH/out &&
	grep -q "refusing the funny ref name .refs/heads/a\.\.b." $TRASH/out && ! grep -q -- "----->" $TRASH/out
'

new_repo "$TRASH/dock"
cat >"$TRASH/dock/Dockerfile" <<'EOD'
FROM deis/stack:bookworm
COPY index.html /srv/
EXPOSE 5000
CMD ["python3", "-m", "http.server", "5000", "--directory", "/srv"]
EOD
echo "hello from docker" >"$TRASH/dock/index.html"
commit_all "$TRASH/dock" first

test_expect 'a Dockerfile app builds, is pushed and released' '
	as_user alice && before=$(release_count dockapp) &&
	push_as alice "$TRASH/dock" dockapp; rc=$?; cat $TRASH/push.out; [ $rc = 0 ] &&
	grep -- "-----> Building Docker image" $TRASH/push.out && grep "Step 1/4 : FROM" $TRASH/push.out &&
	grep "done, dockapp:v[0-9]* deployed to Deis" $TRASH/push.out &&
	sha=$(git -C $TRASH/dock rev-parse HEAD | cut -c1-8) && registry_has dockapp git-$sha &&
	[ $(release_count dockapp) -eq $((before + 1)) ] && no_leftovers
'

test_expect 'a Dockerfile app with a submodule: its content is in the build context' '
	as_user alice && cp -r $TRASH/dock $TRASH/docksub &&
	git -C $TRASH/docksub -c protocol.file.allow=always submodule -q add http://$GIT_HOST/lib.git vendor/lib &&
	git -C $TRASH/docksub/vendor/lib checkout -q $(git -C $TRASH/lib rev-list --max-parents=0 HEAD) &&
	git -C $TRASH/docksub add vendor/lib &&
	echo "COPY vendor/lib/lib.txt /srv/lib.txt" >>$TRASH/docksub/Dockerfile &&
	echo "RUN grep -qx \"from the submodule, first\" /srv/lib.txt" >>$TRASH/docksub/Dockerfile &&
	commit_all $TRASH/docksub submodule &&
	push_as alice "$TRASH/docksub" dockapp HEAD:refs/heads/sub; rc=$?; cat $TRASH/push.out; [ $rc = 0 ] &&
	grep -q -- "-----> Fetching git submodules" $TRASH/push.out && no_leftovers
'

test_expect 'a broken Dockerfile: clear message, non-zero, no release' '
	as_user alice && before=$(release_count dockapp) &&
	echo "RUN exit 7" >>$TRASH/dock/Dockerfile && commit_all $TRASH/dock broken &&
	! push_as alice "$TRASH/dock" dockapp && cat $TRASH/push.out &&
	grep "docker build failed" $TRASH/push.out && grep "build failed: nothing was released" $TRASH/push.out &&
	[ $(release_count dockapp) -eq $before ] && no_leftovers
'

# limits the classic build API has no option for: processes of RUN steps, disk
new_repo "$TRASH/lim"
dock_try() {	# dock_try MESSAGE: push the Dockerfile in $TRASH/lim; it fails, nothing is released
	as_user alice && before=$(release_count dockapp) && commit_all $TRASH/lim "$1" &&
	! push_as alice "$TRASH/lim" dockapp +HEAD:master && cat $TRASH/push.out &&
	grep "build failed: nothing was released" $TRASH/push.out &&
	[ $(release_count dockapp) -eq $before ] && no_leftovers
}
test_expect 'a Dockerfile step that forks past its limit fails the push with the reason' '
	printf "FROM deis/stack:bookworm\nRUN for i in \$(seq 1 1100); do sleep 60 & done; wait\n" \
		>$TRASH/lim/Dockerfile &&
	dock_try "fork" && grep -q "ran into its limit of 1024 processes and threads (deisctl config builder set buildPids=<n>)" $TRASH/push.out
'
test_expect 'a Dockerfile step that writes past the disk limit is stopped with the reason' '
	printf "FROM deis/stack:bookworm\nRUN head -c 300M /dev/zero >/big && sleep 60\n" \
		>$TRASH/lim/Dockerfile &&
	start=$(date +%s) && dock_try "fill the disk" && [ $(( $(date +%s) - start )) -lt 45 ] &&
	grep -q "the build wrote more than its 200 MB of disk" $TRASH/push.out
'
test_expect 'layers that add up past the disk limit fail the push, and the image is removed' '
	printf "FROM deis/stack:bookworm\nRUN head -c 120M /dev/urandom >/a\nRUN head -c 120M /dev/urandom >/b\n" \
		>$TRASH/lim/Dockerfile &&
	dock_try "two layers" && grep -q "the build wrote 24[0-9] MB of layers, more than its 200 MB of disk" $TRASH/push.out &&
	sha=$(git -C $TRASH/lim rev-parse HEAD | cut -c1-8) && ! docker image inspect $REGISTRY/dockapp:git-$sha >/dev/null 2>&1
'
test_expect 'a pushed tree larger than the disk limit is refused before anything runs' '
	head -c 210M /dev/zero >$TRASH/lim/zeros &&
	dock_try "a big tree" && grep -q "the pushed tree is 210 MB, more than the 200 MB of disk a build may use" $TRASH/push.out &&
	! grep -q "Step 1/" $TRASH/push.out &&
	git -C $TRASH/lim rm -q --cached zeros && rm $TRASH/lim/zeros
'

test_expect 'an app destroyed and created again under its name starts empty' '
	old=$(git -C $TRASH/dock rev-parse HEAD~1) && git -c safe.directory="*" -C $STATE/repos/dockapp.git cat-file -e $old &&
	as_user alice && api DELETE /v1/apps/dockapp | grep -q 204 &&
	as_user bob && api POST /v1/apps "{\"id\":\"dockapp\"}" | grep -q 201 &&
	! $(ssh_cmd bob) $GIT_USER@127.0.0.1 "git-upload-pack '\''dockapp.git'\''" </dev/null >$TRASH/out 2>&1 &&
	grep "has no repository yet" $TRASH/out && ! grep -q "refs/heads/master" $TRASH/out &&
	new_repo $TRASH/dock2 && printf "FROM deis/stack:bookworm\nEXPOSE 5000\nCMD [\"python3\", \"-m\", \"http.server\", \"5000\"]\n" >$TRASH/dock2/Dockerfile &&
	commit_all $TRASH/dock2 other &&
	push_as bob "$TRASH/dock2" dockapp; rc=$?; cat $TRASH/push.out; [ $rc = 0 ] &&
	! git -c safe.directory="*" -C $STATE/repos/dockapp.git cat-file -e $old 2>/dev/null &&
	git -c safe.directory="*" -C $STATE/repos/dockapp.git cat-file -e $(git -C $TRASH/dock2 rev-parse HEAD)
'

# leftover APP [UUID]: what pushes to APP leave (a repository marked UUID and a build cache).
leftover() {
	mkdir -p "$STATE/repos/$1.git/refs" "$STATE/cache/$1/pip" &&
	if [ -n "${2:-}" ]; then echo "$2" >"$STATE/repos/$1.git/deis-app-uuid"; fi &&
	chown -R "$GIT_USER" "$STATE/repos/$1.git" "$STATE/cache/$1"
}
as_user alice
api POST /v1/apps '{"id":"gone1"}' >/dev/null
gone1=$(sed -n 's/.*"uuid": *"\([0-9a-f-]*\)".*/\1/p' "$TRASH/api.out")
leftover gone1 "$gone1"; api DELETE /v1/apps/gone1 >/dev/null
leftover pyapp-old 00000000-0000-0000-0000-000000000000; rm -rf "$STATE/repos/pyapp-old.git"
api POST /v1/apps '{"id":"reused"}' >/dev/null
leftover reused 00000000-0000-0000-0000-000000000000	# an earlier app of that name
fp1=$(ssh-keygen -lf "$STATE/ssh_host_ed25519_key.pub")
kill "$PID_builder"; wait_for 5 "! kill -0 $PID_builder"
GC_INTERVAL=0
# What a builder killed mid-build leaves behind; the next start removes it.
stale=$(docker create --label deis.builder=build --label "deis.builder.state=$STATE" deis/stack:bookworm true)
mkdir -p "$STATE/tmp/build-pyapp-stale/src"
builder_start >>"$TRASH/setup.log" 2>&1
test_expect 'a restarted builder removes what a killed build left behind' '
	! docker inspect $stale >/dev/null 2>&1 && [ -z "$(ls -A $STATE/tmp)" ] &&
	grep "removing build container" $TRASH/builder.log
'
test_expect 'a restarted builder removes the repositories and caches destroyed apps left' '
	wait_for 10 "[ ! -e $STATE/repos/gone1.git ] && [ ! -e $STATE/repos/reused.git ]" &&
	[ ! -e $STATE/cache/gone1 ] && [ ! -e $STATE/cache/pyapp-old ] && [ ! -e $STATE/cache/reused ] &&
	[ -n "$gone1" ] && grep "gc: removed the repository and build cache of .gone1." $TRASH/builder.log &&
	git -c safe.directory="*" -C $STATE/repos/pyapp.git rev-parse HEAD &&
	git -c safe.directory="*" -C $STATE/repos/dockapp.git rev-parse HEAD && [ -d $STATE/cache/pyapp ]
'
test_expect 'host keys are kept across restarts' '
	[ "$(ssh-keygen -lf $STATE/ssh_host_ed25519_key.pub)" = "$fp1" ] &&
	$(ssh_cmd alice) $GIT_USER@127.0.0.1 "git-upload-pack '\''pyapp.git'\''" </dev/null >$TRASH/out 2>&1;
	grep -q "refs/heads/master" $TRASH/out || { cat $TRASH/out $TRASH/builder.log; false; }
'

test_expect 'after a push or fetch (gc_interval 0 here), and by deis-builder gc' '
	leftover gone2 11111111-1111-1111-1111-111111111111 &&
	$(ssh_cmd alice) $GIT_USER@127.0.0.1 "git-upload-pack '\''pyapp.git'\''" </dev/null >/dev/null 2>&1;
	wait_for 10 "[ ! -e $STATE/repos/gone2.git ] && [ ! -e $STATE/cache/gone2 ]" &&
	leftover gone3 && [ -d $STATE/cache/gone3 ] &&
	deis-builder gc --config $STATE/builder.conf >$TRASH/gc.out && grep "removed what 1 gone app(s) left" $TRASH/gc.out &&
	[ ! -e $STATE/repos/gone3.git ] && [ -d $STATE/repos/pyapp.git ] && [ -d $STATE/repos/dockapp.git ]
'
test_expect 'deis-builder gc with the controller away fails clearly and removes nothing' '
	leftover gone4 &&
	sed "s|^controller=.*|controller=http://127.0.0.1:1|" $STATE/builder.conf >$TRASH/bad.conf &&
	! deis-builder gc --config $TRASH/bad.conf 2>$TRASH/gc.err && grep "cannot reach the controller" $TRASH/gc.err &&
	[ -d $STATE/repos/gone4.git ] && [ -d $STATE/cache/gone4 ]
'
test_done
