#!/bin/sh
# The built-in buildpacks (Node.js, static, Procfile-only, Python with requirements), the
# buildpack cache kept between builds, .buildpacks (several buildpacks in order), .slugignore
# and Procfile over default process types; the images they produce run with the runner.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/builder/test-env.sh"
builder_prereqs
APPS="nodeapp staticapp procapp multiapp"
TEST_CLEANUP='builder_cgroup_down; builder_servers_down; docker ps -aq --filter "label=deis.builder.state=$STATE" | xargs -r docker rm -f >/dev/null 2>&1;
 for a in nodeapp staticapp procapp multiapp; do docker images -q "$REGISTRY/$a" | xargs -r docker rmi -f >/dev/null 2>&1; done'

builder_env_up >"$TRASH/setup.log" 2>&1; up=$?
test_expect 'registry, controller and builder start' "[ $up = 0 ] || { cat $TRASH/setup.log; false; }"
[ $up = 0 ] || { test_done; exit 1; }
user_new alice >>"$TRASH/setup.log" 2>&1
for a in nodeapp staticapp procapp multiapp; do api POST /v1/apps "{\"id\":\"$a\"}" >/dev/null; done

# run_image APP SHA [CMD...]: start the app image, print its host port.
run_image() {
	app=$1 sha=$2; shift 2
	id=$(docker run -d --label deis.builder=test -p 127.0.0.1::5000 "$REGISTRY/$app:git-$sha" "$@") &&
	echo "$id" >>"$TRASH/containers" &&
	docker port "$id" 5000/tcp | head -n1 | sed 's/.*://'
}
TEST_CLEANUP="$TEST_CLEANUP; [ -f $TRASH/containers ] && xargs -r docker rm -f <$TRASH/containers >/dev/null 2>&1"

new_repo "$TRASH/node"
cat >"$TRASH/node/package.json" <<'EOF2'
{"name": "hello", "version": "1.0.0", "scripts": {"start": "node server.js"}, "dependencies": {}}
EOF2
cat >"$TRASH/node/server.js" <<'EOF2'
require("http").createServer((q, s) => s.end("hello from node\n")).listen(process.env.PORT);
EOF2
printf 'secret.txt\n/docs\n' >"$TRASH/node/.slugignore"
echo "do not ship" >"$TRASH/node/secret.txt"
mkdir -p "$TRASH/node/docs" && echo x >"$TRASH/node/docs/big.txt"
commit_all "$TRASH/node" first

test_expect 'Node.js app: detected, built, default web type from package.json, runs' '
	push_as alice "$TRASH/node" nodeapp; rc=$?; cat $TRASH/push.out; [ $rc = 0 ] &&
	grep -- "-----> Node.js app detected" $TRASH/push.out &&
	grep "Default process types for Node.js -> web" $TRASH/push.out &&
	sha=$(git -C $TRASH/node rev-parse HEAD | cut -c1-8) && registry_has nodeapp git-$sha &&
	port=$(run_image nodeapp $sha start web) &&
	wait_for 15 "curl -sf http://127.0.0.1:$port/ | grep -q \"hello from node\""
'

test_expect '.slugignore keeps files out of the slug' '
	sha=$(git -C $TRASH/node rev-parse HEAD | cut -c1-8) &&
	docker run --rm --entrypoint /bin/sh $REGISTRY/nodeapp:git-$sha -c \
		"test ! -e /app/secret.txt && test ! -e /app/docs && test -f /app/server.js && test ! -e /app/.git"
'

test_expect 'Node.js app with dependencies: npm installs them from the registry, the app uses them' '
	sed -i "s/\"dependencies\": {}/\"dependencies\": {\"is-number\": \"7.0.0\"}/" $TRASH/node/package.json &&
	printf "%s\n" "const isNumber = require(\"is-number\");" \
		"require(\"http\").createServer((q, s) => s.end(\"is-number says \" + isNumber(5) + \"\\n\")).listen(process.env.PORT);" \
		>$TRASH/node/server.js &&
	commit_all $TRASH/node deps && push_as alice "$TRASH/node" nodeapp; rc=$?; cat $TRASH/push.out; [ $rc = 0 ] &&
	grep "Installing 1 dependencies with npm install" $TRASH/push.out &&
	[ -d $STATE/cache/nodeapp/npm ] && [ -n "$(ls -A $STATE/cache/nodeapp/npm)" ] &&
	sha=$(git -C $TRASH/node rev-parse HEAD | cut -c1-8) &&
	port=$(run_image nodeapp $sha start web) &&
	wait_for 15 "curl -sf http://127.0.0.1:$port/ | grep -q \"is-number says true\""
'

test_expect 'Node.js app with a dependency npm cannot resolve: clear failure, nothing left' '
	sed -i "s/\"is-number\": \"7.0.0\"/\"deis-test-no-such-package-7f3a\": \"1.0.0\"/" $TRASH/node/package.json &&
	commit_all $TRASH/node baddeps && ! push_as alice "$TRASH/node" nodeapp && cat $TRASH/push.out &&
	grep "npm install failed" $TRASH/push.out && grep "Node.js buildpack failed to compile" $TRASH/push.out &&
	no_leftovers
'

# Heroku's Node lifecycle: heroku-prebuild, install (devDependencies too, for the build),
# build, devDependencies pruned, heroku-cleanup; an engines.node the stack does not have, named.
new_repo "$TRASH/nodeb"
cat >"$TRASH/nodeb/package.json" <<'EOF2'
{"name": "built", "version": "1.0.0", "engines": {"node": "99.x"},
 "scripts": {"start": "node server.js", "heroku-prebuild": "echo prebuilt > prebuild.txt",
   "build": "node build.js", "heroku-cleanup": "echo cleaned > cleanup.txt"},
 "dependencies": {}, "devDependencies": {"is-number": "7.0.0"}}
EOF2
cat >"$TRASH/nodeb/build.js" <<'EOF2'
const isNumber = require("is-number");
require("fs").writeFileSync("built.txt", "built by the build script: " + isNumber(5) + "\n");
EOF2
cat >"$TRASH/nodeb/server.js" <<'EOF2'
const fs = require("fs");
require("http").createServer((q, s) => s.end(fs.readFileSync("built.txt"))).listen(process.env.PORT);
EOF2
commit_all "$TRASH/nodeb" first
test_expect 'Node.js app with a build script: Heroku'"'"'s lifecycle, devDependencies pruned after' '
	push_as alice "$TRASH/nodeb" nodeapp +HEAD:master; rc=$?; cat $TRASH/push.out; [ $rc = 0 ] &&
	grep -q "package.json asks for Node.js .99.x.; this stack has" $TRASH/push.out &&
	grep -q -- "-----> Running heroku-prebuild" $TRASH/push.out &&
	grep -q -- "-----> Running build" $TRASH/push.out &&
	grep -q -- "-----> Pruning devDependencies" $TRASH/push.out &&
	grep -q -- "-----> Running heroku-cleanup" $TRASH/push.out &&
	sha=$(git -C $TRASH/nodeb rev-parse HEAD | cut -c1-8) &&
	docker run --rm --entrypoint /bin/sh $REGISTRY/nodeapp:git-$sha -c \
		"test -f /app/prebuild.txt && test -f /app/cleanup.txt && test ! -e /app/node_modules/is-number" &&
	port=$(run_image nodeapp $sha start web) &&
	wait_for 15 "curl -sf http://127.0.0.1:$port/ | grep -q \"built by the build script: true\""
'

# yarn.lock: yarn 1 from the npm registry into the app's cache (the next build finds it there),
# yarn install --frozen-lockfile, the build script through yarn, devDependencies pruned.
new_repo "$TRASH/nodey"
cat >"$TRASH/nodey/package.json" <<'EOF2'
{"name": "yarned", "version": "1.0.0",
 "scripts": {"start": "node server.js", "build": "node build.js"},
 "dependencies": {"is-number": "7.0.0"}}
EOF2
cat >"$TRASH/nodey/yarn.lock" <<'EOF2'
# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


is-number@7.0.0:
  version "7.0.0"
  resolved "https://registry.npmjs.org/is-number/-/is-number-7.0.0.tgz#7535345b896734d5f80c4d06c50955527a14f12b"
  integrity sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==
EOF2
cat >"$TRASH/nodey/build.js" <<'EOF2'
require("fs").writeFileSync("built.txt", "built by yarn: " + require("is-number")(7) + "\n");
EOF2
cat >"$TRASH/nodey/server.js" <<'EOF2'
const fs = require("fs"), isNumber = require("is-number");
require("http").createServer((q, s) => s.end(fs.readFileSync("built.txt") + "and at run time: " + isNumber(1) + "\n")).listen(process.env.PORT);
EOF2
commit_all "$TRASH/nodey" first
test_expect 'Node.js app with yarn.lock: yarn installs, builds and prunes; the image serves it' '
	push_as alice "$TRASH/nodey" nodeapp +HEAD:master; rc=$?; cat $TRASH/push.out; [ $rc = 0 ] &&
	grep -q -- "-----> Installing yarn 1.22.22 from the npm registry into the build cache" $TRASH/push.out &&
	grep -q -- "-----> Installing 1 dependencies and 0 devDependencies with yarn install --frozen-lockfile (yarn 1.22.22)" $TRASH/push.out &&
	grep -q -- "-----> Running build" $TRASH/push.out &&
	[ -n "$(ls -A $STATE/cache/nodeapp/yarn-cache 2>/dev/null)" ] &&
	sha=$(git -C $TRASH/nodey rev-parse HEAD | cut -c1-8) &&
	port=$(run_image nodeapp $sha start web) &&
	wait_for 15 "curl -sf http://127.0.0.1:$port/ | grep -q \"built by yarn: true\"" &&
	curl -sf http://127.0.0.1:$port/ | grep -q "and at run time: true"
'
test_expect 'yarn: the second build uses yarn from the cache; devDependencies pruned by yarn' '
	node -e "const f=process.argv[1], p=JSON.parse(require(\"fs\").readFileSync(f)); p.dependencies={}; p.devDependencies={\"is-number\":\"7.0.0\"}; p.scripts.start=\"cat built.txt\"; require(\"fs\").writeFileSync(f, JSON.stringify(p))" $TRASH/nodey/package.json &&
	commit_all $TRASH/nodey dev && push_as alice "$TRASH/nodey" nodeapp +HEAD:master; rc=$?; cat $TRASH/push.out; [ $rc = 0 ] &&
	grep -q -- "-----> Using yarn 1.22.22 from the build cache" $TRASH/push.out &&
	! grep -q "Installing yarn" $TRASH/push.out &&
	grep -q -- "-----> Pruning devDependencies" $TRASH/push.out &&
	sha=$(git -C $TRASH/nodey rev-parse HEAD | cut -c1-8) &&
	docker run --rm --entrypoint /bin/sh $REGISTRY/nodeapp:git-$sha -c \
		"grep -qx \"built by yarn: true\" /app/built.txt && test ! -e /app/node_modules/is-number"
'

new_repo "$TRASH/static"
echo "<h1>hello static</h1>" >"$TRASH/static/index.html"
commit_all "$TRASH/static" first

test_expect 'static site: detected, served on $PORT by the runner' '
	push_as alice "$TRASH/static" staticapp; rc=$?; cat $TRASH/push.out; [ $rc = 0 ] &&
	grep -- "-----> Static app detected" $TRASH/push.out &&
	sha=$(git -C $TRASH/static rev-parse HEAD | cut -c1-8) &&
	port=$(run_image staticapp $sha start web) &&
	wait_for 15 "curl -sf http://127.0.0.1:$port/ | grep -q \"hello static\""
'

new_repo "$TRASH/proc"
printf 'web: python3 -m http.server $PORT --bind 0.0.0.0\nworker: sh -c "echo worker up; sleep 60"\n' >"$TRASH/proc/Procfile"
echo "procfile app" >"$TRASH/proc/hello.txt"
commit_all "$TRASH/proc" first

test_expect 'Procfile-only app: types declared, runner starts each type' '
	push_as alice "$TRASH/proc" procapp; rc=$?; cat $TRASH/push.out; [ $rc = 0 ] &&
	grep -- "-----> Procfile app detected" $TRASH/push.out &&
	grep "Procfile declares types -> web, worker" $TRASH/push.out &&
	sha=$(git -C $TRASH/proc rev-parse HEAD | cut -c1-8) &&
	port=$(run_image procapp $sha start web) &&
	wait_for 15 "curl -sf http://127.0.0.1:$port/hello.txt | grep -q \"procfile app\"" &&
	id=$(docker run -d --label deis.builder=test $REGISTRY/procapp:git-$sha start worker) &&
	echo $id >>$TRASH/containers &&
	wait_for 10 "docker logs $id 2>&1 | grep -q \"worker up\"" &&
	! docker run --rm $REGISTRY/procapp:git-$sha start nosuch 2>$TRASH/err &&
	grep "no process type '\''nosuch'\''" $TRASH/err
'

test_expect 'Python requirements with an unreachable index: clear failure, nothing left' '
	printf "print(1)\n" >$TRASH/proc/app.py && printf "requests==2.31.0\n" >$TRASH/proc/requirements.txt &&
	api POST /v1/apps/procapp/config "{\"values\":{\"PIP_INDEX_URL\":\"http://127.0.0.1:9/simple\",\"PIP_RETRIES\":\"0\",\"PIP_TIMEOUT\":\"2\"}}" | grep -q 201 &&
	commit_all $TRASH/proc py && ! push_as alice "$TRASH/proc" procapp && cat $TRASH/push.out &&
	grep -- "-----> Python app detected" $TRASH/push.out &&
	grep "pip install failed: is a package index reachable" $TRASH/push.out && no_leftovers
'

# Two buildpacks served over git's dumb HTTP protocol: one counts builds in its cache. They are
# fetched in the build sandbox, so they are served where a build container reaches them (a
# container on its network) and, for the attack below, on the host's loopback, which only the
# builder's own process reaches.
mkdir -p "$TRASH/www"
for n in one two; do
	new_repo "$TRASH/bp-$n" && mkdir -p "$TRASH/bp-$n/bin"
	printf '#!/bin/sh\necho Pack-%s\n' $n >"$TRASH/bp-$n/bin/detect"
	cat >"$TRASH/bp-$n/bin/compile" <<EOB
#!/bin/sh
[ $n = one ] && sleep 5	# silent: the builder must print progress meanwhile
n=\$(cat "\$2/count-$n" 2>/dev/null || echo 0); n=\$((n + 1)); echo \$n >"\$2/count-$n"
echo "pack $n ran, build \$n"
echo $n >>"\$1/order"
EOB
	printf '#!/bin/sh\necho ---\necho "default_process_types:"\necho "  web: cat order"\n' >"$TRASH/bp-$n/bin/release"
	chmod +x "$TRASH/bp-$n/bin/"* && commit_all "$TRASH/bp-$n" bp
	git clone -q --bare "$TRASH/bp-$n" "$TRASH/www/bp-$n.git" && git -C "$TRASH/www/bp-$n.git" update-server-info
done
WPORT=$(free_port)
bg_start www python3 -m http.server "$WPORT" --bind 127.0.0.1 --directory "$TRASH/www"
git_server_up "$TRASH/www" >>"$TRASH/setup.log" 2>&1
new_repo "$TRASH/multi"
printf 'http://%s/bp-one.git\nhttp://%s/bp-two.git#master\n' "$GIT_HOST" "$GIT_HOST" >"$TRASH/multi/.buildpacks"
commit_all "$TRASH/multi" first

# The builder's own network reaches what tenants must not (the controller, the registry, the
# database, the host's services): a buildpack URL aimed there must not be fetched by it. Here
# the host's loopback stands for them, with a buildpack the old builder would have fetched.
test_expect 'a buildpack URL only the builder could reach is not fetched by the builder' '
	wait_for 10 "curl -sf http://127.0.0.1:$WPORT/bp-one.git/HEAD" &&
	before=$(grep -c "GET /bp-one.git" $TRASH/www.log) &&
	printf "http://127.0.0.1:%s/bp-one.git\n" "$WPORT" >$TRASH/multi/.buildpacks &&
	commit_all $TRASH/multi loopback &&
	! push_as alice "$TRASH/multi" multiapp && cat $TRASH/push.out &&
	grep "cannot fetch buildpack .http://127.0.0.1:$WPORT/bp-one.git.: .*127.0.0.1" $TRASH/push.out &&
	! grep -q "Multipack app detected" $TRASH/push.out &&
	[ "$(grep -c "GET /bp-one.git" $TRASH/www.log)" = "$before" ] && no_leftovers &&
	printf "http://%s/bp-one.git\nhttp://%s/bp-two.git#master\n" "$GIT_HOST" "$GIT_HOST" >$TRASH/multi/.buildpacks &&
	commit_all $TRASH/multi back
'

test_expect '.buildpacks: fetched in the sandbox, every buildpack runs, in order; silence gets progress lines' '
	mark=$(git_mark) && push_as alice "$TRASH/multi" multiapp; rc=$?; cat $TRASH/push.out; [ $rc = 0 ] &&
	clients=$(git_clients /bp-two.git/ $mark) && echo "bp-two fetched by: $clients (gateway $BRIDGE_GW)" &&
	[ -n "$clients" ] && ! echo "$clients" | grep -qxF "$BRIDGE_GW" &&
	grep -A3 -- "Multipack app detected" $TRASH/push.out | grep "\.\.\. still working" &&
	grep "Multipack app detected: Pack-one Pack-two" $TRASH/push.out &&
	grep "pack one ran, build 1" $TRASH/push.out && grep "pack two ran, build 1" $TRASH/push.out &&
	sha=$(git -C $TRASH/multi rev-parse HEAD | cut -c1-8) &&
	got=$(docker run --rm $REGISTRY/multiapp:git-$sha start web | tr "\n" " ") &&
	{ [ "$got" = "one two " ] || { echo "web printed [$got]"; false; }; }
'

test_expect 'the buildpack cache is kept between builds of an app' '
	commit_all $TRASH/multi again &&
	push_as alice "$TRASH/multi" multiapp; rc=$?; cat $TRASH/push.out; [ $rc = 0 ] &&
	grep "pack one ran, build 2" $TRASH/push.out && grep "pack two ran, build 2" $TRASH/push.out
'

test_expect 'a user who hangs up mid-build: the build finishes, the lock holds meanwhile' '
	commit_all $TRASH/multi hangup &&
	GIT_SSH_COMMAND="$(ssh_cmd alice)" setsid git -C $TRASH/multi push -q \
		"ssh://$GIT_USER@127.0.0.1:$SPORT/multiapp.git" HEAD:master >$TRASH/hangup.out 2>&1 &
	pid=$! && wait_for 20 "grep -q \"Multipack app detected\" $TRASH/hangup.out" &&
	kill -TERM -$pid && sleep 0.5 &&
	commit_all $TRASH/multi during && ! push_as alice "$TRASH/multi" multiapp &&
	grep "another git push to '\''multiapp'\'' is ongoing" $TRASH/push.out &&
	wait_for 30 "no_leftovers && flock -n $STATE/repos/multiapp.lock true" &&
	push_as alice "$TRASH/multi" multiapp
'

# A buildpack is anyone's code: it may leave symbolic links in the build's output dir to the
# builder's own files (its key, the registry's password). The builder reads outputs only as
# regular files: the push fails and the file's content goes nowhere.
new_repo "$TRASH/bp-evil" && mkdir -p "$TRASH/bp-evil/bin"
printf '#!/bin/sh\necho Evil\n' >"$TRASH/bp-evil/bin/detect"
printf '#!/bin/sh\nln -sf %s /tmp/out/Procfile\necho linked\n' "$STATE/builder-key" \
	>"$TRASH/bp-evil/bin/compile"
printf '#!/bin/sh\necho ---\n' >"$TRASH/bp-evil/bin/release"
chmod +x "$TRASH/bp-evil/bin/"* && commit_all "$TRASH/bp-evil" bp
git clone -q --bare "$TRASH/bp-evil" "$TRASH/www/bp-evil.git" &&
	git -C "$TRASH/www/bp-evil.git" update-server-info
test_expect 'a buildpack'"'"'s symbolic link in the build output is not followed' '
	printf "http://%s/bp-evil.git\n" "$GIT_HOST" >$TRASH/multi/.buildpacks &&
	commit_all $TRASH/multi evil &&
	! push_as alice "$TRASH/multi" multiapp && cat $TRASH/push.out &&
	grep "the build.s output .Procfile. is not a regular file" $TRASH/push.out &&
	! grep -q -- "$(cut -c1-16 "$STATE/builder-key")" $TRASH/push.out && no_leftovers
'

test_expect 'a bad buildpack URL is refused clearly' '
	printf "file:///etc\n" >$TRASH/multi/.buildpacks && commit_all $TRASH/multi bad &&
	! push_as alice "$TRASH/multi" multiapp && cat $TRASH/push.out &&
	grep "is not http(s):// or git://" $TRASH/push.out && no_leftovers
'

# .buildpacks is read from the pushed commit: a symbolic link there names no file of the builder.
test_expect '.buildpacks as a symbolic link to a builder file is not read through' '
	rm -f $TRASH/multi/.buildpacks && ln -s $STATE/builder-key $TRASH/multi/.buildpacks &&
	commit_all $TRASH/multi link &&
	! push_as alice "$TRASH/multi" multiapp && cat $TRASH/push.out &&
	grep "buildpack URL .$STATE/builder-key. is not http(s):// or git://" $TRASH/push.out &&
	! grep -q -- "$(cut -c1-16 "$STATE/builder-key")" $TRASH/push.out && no_leftovers
'

test_done
