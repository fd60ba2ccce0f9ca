#!/bin/sh
# deis CLI against a real controller (API only, --scheduler none): every
# command a user types without a running app, its stdout, stderr and exit
# status compared with the committed files under t/golden/cli/ (Deis 1.13
# client output). A difference is either a CLI or a controller bug: fix the
# code, not the golden file, unless the golden file is wrong about Deis.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/controller-start"
. "$TOP/t/golden/cli/golden.sh"

DEIS=$BIN/deis
CTL=${DEIS_CONTROLLER:-$BIN/deis-controller}
[ -x "$DEIS" ] || test_skip_all "no deis binary at $DEIS"
[ -x "$CTL" ] || test_skip_all "no controller binary at $CTL"
command -v git >/dev/null || test_skip_all "git is not installed"
command -v python3 >/dev/null || test_skip_all "python3 is not installed"

HOME=$TRASH/home
mkdir -p "$HOME"
export HOME
unset DEIS_PROFILE DEIS_DRINK_OF_CHOICE
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com

controller_start "$TRASH/ctl" --domain example.com >/dev/null ||
	test_skip_all "the controller does not start"
URL=$CONTROLLER_URL
GOLDEN_URL=$URL
GOLDEN_PORT=${URL##*:}
# a fixed public key: its comment is the key id, its text is in the goldens
KEY=$GOLDEN_DIR/fixtures/admin_golden.pub

# The first administrator is the operator's (create-admin on the controller's
# host), never the first registrant; `deis register` is for the users after.
test_expect 'the operator makes the administrator (create-admin), who logs in' '
	echo s3cret | "$CTL" create-admin --db "$CONTROLLER_DB" admin admin@example.com >/dev/null &&
	golden login deis login "$URL" --username=admin --password=s3cret &&
	golden whoami-admin deis whoami
'
test_expect 'the settings file: dir 0700, file 0600, Deis keys' '
	test "$(stat -c %a "$HOME/.deis")" = 700 &&
	test "$(stat -c %a "$HOME/.deis/client.json")" = 600 &&
	python3 -c "import json,sys; d=json.load(open(sys.argv[1]));
assert sorted(d) == [\"controller\",\"response_limit\",\"ssl_verify\",\"token\",\"username\"], d
assert d[\"username\"] == \"admin\" and d[\"controller\"] == sys.argv[2], d
assert d[\"response_limit\"] == 100 and d[\"ssl_verify\"] is True, d" \
	    "$HOME/.deis/client.json" "$URL"
'
test_expect 'apps:create, duplicate, list, info' '
	golden apps-create deis apps:create demo --no-remote &&
	golden apps-create-dup deis create demo --no-remote &&
	golden apps-list deis apps &&
	golden apps-list deis apps:list -l 5 &&
	golden apps-info deis info -a demo &&
	golden apps-info-404 deis info -a nosuch
'
test_expect '--json prints the controller JSON' '
	deis apps --json | python3 -c "import json,sys; d=json.load(sys.stdin);
assert d[\"count\"] == 1 and d[\"results\"][0][\"id\"] == \"demo\", d" &&
	deis info -a demo --json | python3 -c "import json,sys; d=json.load(sys.stdin);
assert d[\"id\"] == \"demo\" and d[\"owner\"] == \"admin\", d"
'
test_expect 'config:set, list, --oneline, unset, bad key' '
	golden config-set-foo deis config:set -a demo FOO=bar &&
	golden config-set-multi deis config:set -a demo "MULTI=a b=c" &&
	golden config-oneline deis config -a demo --oneline &&
	golden config-unset deis config:unset -a demo FOO &&
	golden config-bad deis config:set -a demo 1BAD=x
'
test_expect 'config values with quotes, unicode and newlines arrive intact' '
	deis config:set -a demo "Q=say \"hi\" '\''there'\''" "$(printf "U=h\303\251llo \342\234\223")" \
	    "$(printf "NL=line1\nline2")" >/dev/null &&
	deis config -a demo --json | python3 -c "import json,sys; v=json.load(sys.stdin)[\"values\"];
assert v[\"Q\"] == \"say \\\"hi\\\" '\''there'\''\", v
assert v[\"U\"] == \"h\u00e9llo \u2713\", v
assert v[\"NL\"] == \"line1\nline2\", v" &&
	deis config:unset -a demo Q U NL >/dev/null
'
test_expect 'config:pull writes .env (0600), config:push reads it' '
	mkdir -p "$TRASH/work" && cd "$TRASH/work" &&
	golden config-pull deis config:pull -a demo &&
	test "$(cat .env)" = "MULTI=a b=c" &&
	test "$(stat -c %a .env)" = 600 &&
	printf "# comment\nPUSHED=yes\n\nMULTI=a b=c\n" >.env &&
	golden config-push deis config:push -a demo &&
	golden config-pull-exists deis config:pull -a demo &&
	deis config:unset -a demo PUSHED >/dev/null
'
test_expect 'config:pull -i asks before overwriting a local value' '
	mkdir -p "$TRASH/work2" && cd "$TRASH/work2" &&
	printf "MULTI=old\nLOCAL=1\n" >.env &&
	echo y >"$TRASH/yes" &&
	GOLDEN_STDIN=$TRASH/yes golden config-pull-i deis config:pull -a demo -i -o &&
	test "$(cat .env)" = "$(printf "LOCAL=1\nMULTI=a b=c")"
'
test_expect 'SSH_KEY=<file> is read and base64-encoded; a non-key is refused' '
	printf -- "-----BEGIN RSA PRIVATE KEY-----\nMIIfake\n-----END RSA PRIVATE KEY-----\n" \
	    >"$TRASH/id_rsa" &&
	deis config:set -a demo SSH_KEY="$TRASH/id_rsa" >/dev/null &&
	deis config -a demo --json | python3 -c "import json,sys,base64;
v=json.load(sys.stdin)[\"values\"][\"SSH_KEY\"]
assert base64.b64decode(v) == open(sys.argv[1],\"rb\").read(), v" "$TRASH/id_rsa" &&
	deis config:unset -a demo SSH_KEY >/dev/null &&
	golden config-ssh-key-bad deis config:set -a demo SSH_KEY=notakey
'
test_expect 'limits and tags' '
	golden limits-list deis limits -a demo &&
	golden limits-set deis limits:set -a demo web=256M &&
	golden tags-set deis tags:set -a demo rack=1 &&
	golden tags-list deis tags -a demo
'
test_expect 'domains' '
	golden domains-add deis domains:add -a demo www.example.org &&
	golden domains-list deis domains -a demo &&
	golden domains-remove deis domains:remove -a demo www.example.org
'
test_expect 'releases list and info' '
	golden releases-list deis releases -a demo &&
	golden releases-info deis releases:info v1 -a demo &&
	golden releases-info deis releases:info 1 -a demo &&
	golden releases-rollback-initial deis rollback -a demo
'
test_expect 'ps without a build: list, scale refused, DEIS_DRINK_OF_CHOICE' '
	golden ps-list deis ps -a demo &&
	golden ps-scale-nobuild deis scale web=1 -a demo &&
	golden ps-scale-tea env DEIS_DRINK_OF_CHOICE=tea deis ps:scale web=1 -a demo
'
test_expect 'builds: deis pull with -p and with ./Procfile; config, releases, rollback' '
	golden apps-create-built deis create built --no-remote &&
	golden pull-p deis pull example/web:1 -a built -p "web: httpd -f" &&
	mkdir -p "$TRASH/pf" && cd "$TRASH/pf" &&
	printf "web: ./web\nworker: ./w\n" >Procfile &&
	golden pull-procfile deis builds:create example/web:2 -a built &&
	golden builds-list deis builds -a built &&
	golden config-set-release deis config:set -a built A=1 &&
	golden releases-list-built deis releases -a built &&
	golden releases-info-build deis releases:info v2 -a built &&
	golden rollback-v2 deis rollback v2 -a built &&
	golden rollback-one deis releases:rollback -a built &&
	golden pull-refused deis pull deis/controller -a built &&
	deis destroy -a built --confirm=built >/dev/null
'
test_expect 'keys: add, list, duplicate, remove' '
	golden keys-add deis keys:add "$KEY" &&
	golden keys-list deis keys &&
	golden keys-add-dup deis keys:add "$KEY" &&
	golden keys-remove deis keys:remove admin@golden &&
	golden keys-remove-404 deis keys:remove admin@golden
'
test_expect 'keys:add without a path offers ~/.ssh/<name>.pub' '
	deis keys:remove admin@golden >/dev/null 2>&1
	mkdir -p "$HOME/.ssh" && cp "$KEY" "$HOME/.ssh/" &&
	printf "not a key\n" >"$HOME/.ssh/broken.pub" &&
	echo 2 >"$TRASH/choice" &&
	GOLDEN_STDIN=$TRASH/choice golden keys-add-menu-bad deis keys:add &&
	echo 1 >"$TRASH/choice" &&
	GOLDEN_STDIN=$TRASH/choice golden keys-add-menu deis keys:add &&
	deis keys:remove admin@golden >/dev/null
'
test_expect 'the spinner turns on a terminal only' '
	command -v script >/dev/null || exit 0
	script -qec "deis domains:add -a demo spin.example.org" /dev/null >"$TRASH/tty" &&
	grep -q "Adding spin.example.org to demo\.\.\. \.\.\.$(printf "\b\b\b")" "$TRASH/tty" &&
	deis domains:remove -a demo spin.example.org >"$TRASH/notty" &&
	test "$(cat "$TRASH/notty")" = "Removing spin.example.org from demo... done"
'
test_expect 'a second user in a second profile; sharing' '
	golden register-bob env DEIS_PROFILE=bob deis register "$URL" --username=bob \
	    --password=pw --email=bob@example.com &&
	golden perms-create deis perms:create bob -a demo &&
	golden perms-list deis perms -a demo &&
	golden perms-list deis sharing -a demo &&
	golden apps-list env DEIS_PROFILE=bob deis apps &&
	golden destroy-forbidden env DEIS_PROFILE=bob deis destroy -a demo --confirm=demo &&
	golden perms-delete deis perms:delete bob -a demo &&
	golden admins deis perms --admin &&
	golden users deis users
'
test_expect 'certs: none yet' '
	golden certs-none deis certs
'
test_expect 'logs without a logger: 503 from the controller, no log service (Deis: a bare 500)' '
	golden logs-nologger deis logs -a demo
'
test_expect 'regenerate keeps the session working; a bad token is 401' '
	golden regenerate deis auth:regenerate &&
	golden apps-list deis apps &&
	cp "$HOME/.deis/client.json" "$TRASH/saved.json" &&
	python3 -c "import json,sys; p=sys.argv[1]; d=json.load(open(p)); d[\"token\"]=\"0\"*40;
open(p,\"w\").write(json.dumps(d))" "$HOME/.deis/client.json" &&
	golden bad-token deis apps &&
	cp "$TRASH/saved.json" "$HOME/.deis/client.json"
'
test_expect 'create in a git repo adds the remote; commands find the app from it' '
	mkdir -p "$TRASH/Repo" && cd "$TRASH/Repo" && git init -q . &&
	golden apps-create-git deis create gitapp &&
	test "$(git remote get-url deis)" = "ssh://git@127.0.0.1:2222/gitapp.git" &&
	golden apps-info-git deis info &&
	golden destroy-git deis destroy --confirm=gitapp &&
	! git remote get-url deis 2>/dev/null
'
test_expect 'apps:transfer, then destroy with and without the right name' '
	golden transfer deis apps:transfer bob -a demo &&
	env DEIS_PROFILE=bob deis info -a demo --json | python3 -c "import json,sys;
assert json.load(sys.stdin)[\"owner\"] == \"bob\"" &&
	golden destroy-wrong-confirm deis apps:destroy -a demo --confirm=wrong &&
	echo demo >"$TRASH/answer" &&
	GOLDEN_STDIN=$TRASH/answer golden destroy-prompt deis apps:destroy -a demo &&
	golden apps-none deis apps
'
test_expect 'login: bad password, then good; logout' '
	golden logout deis logout &&
	golden login-bad deis login "$URL" --username=admin --password=wrong &&
	test ! -e "$HOME/.deis/client.json" &&
	golden login deis login "$URL" --username=admin --password=s3cret &&
	golden passwd deis auth:passwd --password=s3cret --new-password=n3w &&
	golden passwd-bad deis auth:passwd --password=s3cret --new-password=x &&
	golden login deis login "$URL" --username=admin --password=n3w
'
test_expect 'register and login prompt for what is missing (stdin, no terminal)' '
	printf "dave\npw\npw\ndave@example.com\n" >"$TRASH/answers" &&
	GOLDEN_STDIN=$TRASH/answers golden register-prompt env DEIS_PROFILE=dave deis register "$URL" &&
	printf "dave\npw\nnope\n" >"$TRASH/answers" &&
	GOLDEN_STDIN=$TRASH/answers golden register-mismatch env DEIS_PROFILE=x deis register "$URL" &&
	printf "dave\npw\n" >"$TRASH/answers" &&
	GOLDEN_STDIN=$TRASH/answers golden login-prompt env DEIS_PROFILE=dave deis login "$URL" &&
	env DEIS_PROFILE=dave deis auth:cancel --username=dave --yes >/dev/null
'
test_expect 'auth:cancel by an admin for another user, and for oneself' '
	golden cancel-bob deis auth:cancel --username=bob --yes &&
	echo n >"$TRASH/no" &&
	GOLDEN_STDIN=$TRASH/no golden cancel-no deis auth:cancel --username=admin &&
	deis register "$URL" --username=carol --password=pw --email=c@example.com >/dev/null &&
	golden cancel-self deis auth:cancel --username=carol --password=pw --yes &&
	test ! -e "$HOME/.deis/client.json"
'
test_done
