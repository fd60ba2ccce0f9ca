#!/bin/sh
# deis CLI without a controller: version, help, grammar errors, shortcuts,
# plugins, the settings file and profiles, KEY=value checks, app detection
# (seen in the URL of the failed request), unreachable and non-Deis servers.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/golden/cli/golden.sh"

DEIS=$BIN/deis
[ -x "$DEIS" ] || test_skip_all "no deis binary at $DEIS"
command -v git >/dev/null || test_skip_all "git is not installed"

HOME=$TRASH/home
mkdir -p "$HOME"
export HOME
unset DEIS_PROFILE DEIS_DRINK_OF_CHOICE
# git refuses to work without an identity in some setups
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com

# A port nothing listens on: the "controller" of the settings file below.
DEAD=$(free_port)
GOLDEN_PORT=$DEAD
write_settings() {
	mkdir -p "$HOME/.deis"
	printf '{"username":"alice","ssl_verify":true,"controller":"http://127.0.0.1:%s","token":"abc","response_limit":100}' \
	    "$DEAD" >"$HOME/.deis/${1:-client}.json"
}

test_expect 'version, -v, --version' '
	test "$($DEIS version)" = 1.13.4 &&
	test "$($DEIS -v)" = 1.13.4 &&
	test "$($DEIS --version)" = 1.13.4
'
test_expect 'help, -h and --help print the usage' '
	golden help deis help &&
	golden help deis -h &&
	golden help deis --help
'
test_expect 'help for a command and for a topic' '
	golden help-apps-create deis help apps:create &&
	golden help-apps-create deis apps:create --help &&
	golden help-apps-create deis create -h &&
	golden help-config deis help config &&
	golden help-config deis config --help &&
	golden help-auth deis auth
'
test_expect 'every command has a help text with its Usage line' '
	for c in apps:create apps:list apps:info apps:open apps:logs apps:run apps:destroy \
	    apps:transfer auth:register auth:login auth:logout auth:passwd auth:whoami \
	    auth:cancel auth:regenerate builds:list builds:create certs:list certs:add \
	    certs:remove config:list config:set config:unset config:pull config:push \
	    domains:add domains:list domains:remove git:remote keys:list keys:add \
	    keys:remove limits:list limits:set limits:unset perms:list perms:create \
	    perms:delete ps:list ps:restart ps:scale releases:list releases:info \
	    releases:rollback tags:list tags:set tags:unset users:list version; do
		$DEIS help $c >"$TRASH/h" 2>&1 || { echo "help $c failed"; exit 1; }
		grep -q "^Usage: deis $c" "$TRASH/h" || { echo "no usage for $c"; exit 1; }
	done
'
test_expect 'no command, unknown command, unknown subcommand' '
	golden no-command deis &&
	golden unknown-command deis frobnicate &&
	golden unknown-subcommand deis apps:frobnicate
'
test_expect 'grammar errors print the Usage line on stderr and exit 1' '
	golden bad-option deis apps:create --bogus &&
	golden missing-arg deis domains:add &&
	golden extra-arg deis apps:info extra
'
test_expect 'not logged in' '
	golden not-logged-in deis apps &&
	golden not-logged-in deis config:set -a x A=b
'
test_expect 'plugins: deis foo:bar args runs deis-foo bar args from PATH' '
	mkdir -p "$TRASH/plug" &&
	printf "#!/bin/sh\nfor a; do printf \"[%%s]\" \"\$a\"; done; echo; exit 3\n" >"$TRASH/plug/deis-hello" &&
	chmod +x "$TRASH/plug/deis-hello" &&
	out=$(PATH=$TRASH/plug:$PATH $DEIS hello:world a "b c"; echo "rc=$?") &&
	test "$out" = "$(printf "[world][a][b c]\nrc=3")" &&
	out=$(PATH=$TRASH/plug:$PATH $DEIS hello x || :) &&
	test "$out" = "[hello][x]"
'
test_expect 'whoami reads the settings file; DEIS_PROFILE picks another' '
	write_settings &&
	golden whoami deis whoami &&
	golden not-logged-in env DEIS_PROFILE=other $DEIS whoami &&
	write_settings other &&
	golden whoami env DEIS_PROFILE=other $DEIS whoami
'
test_expect 'a broken settings file is an error, not a crash' '
	mkdir -p "$HOME/.deis" && printf "{\"username\":" >"$HOME/.deis/broken.json" &&
	DEIS_PROFILE=broken $DEIS whoami 2>"$TRASH/err"; test $? -eq 1 &&
	grep -q "^Error: cannot read settings file" "$TRASH/err"
'
test_expect 'unreachable controller: one error line, exit 1' '
	write_settings &&
	$DEIS apps >"$TRASH/out" 2>"$TRASH/err"; test $? -eq 1 &&
	test ! -s "$TRASH/out" &&
	test "$(wc -l <"$TRASH/err")" -eq 1 &&
	grep -q "^Error: Get http://127.0.0.1:$DEAD/v1/apps/?page_size=100: " "$TRASH/err"
'
test_expect '--json is accepted by list and info commands' '
	$DEIS apps --json 2>"$TRASH/err"; test $? -eq 1 &&
	grep -q "^Error: Get http://127.0.0.1:$DEAD/v1/apps/?page_size=100: " "$TRASH/err"
'
test_expect 'app from -a, else the deis git remote on the controller host, else the directory' '
	$DEIS info -a explicit 2>"$TRASH/err";
	grep -q "/v1/apps/explicit/:" "$TRASH/err" &&
	mkdir -p "$TRASH/My_Dir" && cd "$TRASH/My_Dir" &&
	$DEIS info 2>"$TRASH/err";
	grep -q "/v1/apps/my_dir/:" "$TRASH/err" &&
	git init -q . &&
	git remote add origin https://github.com/example/other.git &&
	$DEIS info 2>"$TRASH/err";
	grep -q "/v1/apps/my_dir/:" "$TRASH/err" &&
	git remote add deis ssh://git@127.0.0.1:2222/fromgit.git &&
	$DEIS info 2>"$TRASH/err";
	grep -q "/v1/apps/fromgit/:" "$TRASH/err" &&
	$DEIS info -a explicit 2>"$TRASH/err";
	grep -q "/v1/apps/explicit/:" "$TRASH/err"
'
test_expect 'an app name from a directory is escaped in the URL' '
	mkdir -p "$TRASH/My App#1" && cd "$TRASH/My App#1" &&
	$DEIS info 2>"$TRASH/err";
	grep -q "/v1/apps/my%20app%231/:" "$TRASH/err"
'
test_expect 'git:remote adds ssh://git@<host>:2222/<app>.git (argv, no shell)' '
	mkdir -p "$TRASH/repo" && cd "$TRASH/repo" && git init -q . &&
	golden git-remote deis git:remote -a "demo" &&
	test "$(git remote get-url deis)" = "ssh://git@127.0.0.1:2222/demo.git" &&
	golden git-remote-exists deis git:remote -a demo &&
	golden git-remote-other deis git:remote -a demo -r other &&
	test "$(git remote get-url other)" = "ssh://git@127.0.0.1:2222/demo.git"
'
test_expect 'bad KEY=value, type=num, limits and tags: message on stderr, exit 1, nothing sent' '
	golden bad-config deis config:set -a x GOOD=1 1BAD=x &&
	golden bad-config-empty deis config:set -a x EMPTY= &&
	golden bad-scale deis ps:scale -a x web=two &&
	golden bad-scale-type deis scale -a x web2=1 &&
	golden bad-limit deis limits:set -a x web=5T &&
	golden bad-tag deis tags:set -a x a=b=c &&
	golden bad-version deis releases:info -a x vx
'
test_expect 'config:push needs KEY=value lines; config:pull will not overwrite .env' '
	cd "$TRASH" && printf "# only a comment\n\n" >empty.env &&
	golden push-empty deis config:push -a x -p empty.env &&
	golden push-missing deis config:push -a x -p nope.env &&
	printf "A=1\n" >.env &&
	golden pull-exists deis config:pull -a x &&
	test "$(cat .env)" = "A=1"
'
test_expect 'apps:destroy asks for the app name and refuses a mismatch' '
	echo nope >"$TRASH/answer" &&
	GOLDEN_STDIN=$TRASH/answer golden destroy-mismatch deis destroy -a foo &&
	golden destroy-mismatch-flag deis apps:destroy -a foo --confirm=bar
'
test_expect 'login to an unreachable URL explains, then fails' '
	$DEIS login http://127.0.0.1:$DEAD --username=a --password=b >"$TRASH/out" 2>"$TRASH/err";
	test $? -eq 1 &&
	golden_normalize <"$TRASH/out" >"$TRASH/out.n" &&
	diff -u "$GOLDEN_DIR/login-unreachable.out" "$TRASH/out.n" &&
	grep -q "^Error: Get http://127.0.0.1:$DEAD/v1/: " "$TRASH/err"
'
if command -v python3 >/dev/null; then
	WEB=$(free_port)
	mkdir -p "$TRASH/www"
	bg_start web python3 -m http.server --bind 127.0.0.1 --directory "$TRASH/www" "$WEB"
	wait_for 10 "curl -s -o /dev/null http://127.0.0.1:$WEB/"
	test_expect 'login to a server that is not a Deis controller' '
		GOLDEN_PORT=$WEB golden login-not-deis deis login http://127.0.0.1:$WEB \
		    --username=a --password=b &&
		GOLDEN_PORT=$WEB golden login-not-deis deis register 127.0.0.1:$WEB \
		    --username=a --password=b --email=a@b.c
	'
fi
if command -v openssl >/dev/null; then
	TLS=$(free_port)
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TRASH/key.pem" -out "$TRASH/cert.pem" \
	    -days 1 -subj /CN=127.0.0.1 >/dev/null 2>&1
	bg_start tls openssl s_server -quiet -accept 127.0.0.1:$TLS -cert "$TRASH/cert.pem" \
	    -key "$TRASH/key.pem" -www
	wait_for 10 "curl -sk -o /dev/null https://127.0.0.1:$TLS/"
	test_expect 'TLS certificates are verified unless --ssl-verify=false' '
		$DEIS login https://127.0.0.1:$TLS --username=a --password=b >/dev/null 2>"$TRASH/err";
		test $? -eq 1 &&
		grep -q "^Error: Get https://127.0.0.1:$TLS/v1/: SSL certificate problem" "$TRASH/err" &&
		$DEIS login https://127.0.0.1:$TLS --username=a --password=b --ssl-verify=false \
		    >/dev/null 2>"$TRASH/err";
		test $? -eq 1 &&
		grep -q "^Error: https://127.0.0.1:$TLS/v1/ does not appear to be a valid Deis controller" \
		    "$TRASH/err"
	'
fi
test_expect 'logout removes the settings file, and is fine when logged out' '
	write_settings &&
	golden logout deis logout &&
	test ! -e "$HOME/.deis/client.json" &&
	golden logout deis logout &&
	golden not-logged-in deis apps
'
test_expect 'the spinner never reaches a pipe' '
	write_settings &&
	$DEIS domains:add -a x www.example.com >"$TRASH/out" 2>/dev/null;
	test "$(cat "$TRASH/out")" = "Adding www.example.com to x... "
'
test_done
