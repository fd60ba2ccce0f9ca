#!/bin/sh
# deis run on a terminal (a pseudo-terminal driven by t/helper/pty-drive)
# against a controller on the local Docker engine: typed input answered, the
# window's size followed, Ctrl-C reaching the remote process, the remote exit
# status as deis's, the app's config in the environment, and a client killed
# with -9 leaving no container behind.
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/controller-start"

DEIS=$BIN/deis
CTL=${DEIS_CONTROLLER:-$BIN/deis-controller}
[ -x "$DEIS" ] || test_skip_all "no deis binary at $DEIS"
[ -x "$CTL" ] || test_skip_all "no controller binary at $CTL"
command -v python3 >/dev/null || test_skip_all "no python3"
docker_ok || test_skip_all "no Docker daemon"
IMAGE=$("$TOP/t/helper/sched-image" 2>/dev/null) || test_skip_all "cannot build the test image"

HOME=$TRASH/home
mkdir -p "$HOME"
export HOME
unset DEIS_PROFILE
APP=clitty$$
TEST_CLEANUP='docker ps -aq --filter "name=^${APP}_" | xargs -r docker rm -f >/dev/null 2>&1'
DRIVE="$TOP/t/helper/pty-drive"
export PTY_LOG="$TRASH/pty.log"

controller_start "$TRASH/ctl" --domain example.com --scheduler docker >/dev/null ||
	test_skip_all "the controller does not start"
URL=$CONTROLLER_URL

# the app's run containers now
runs() {
	docker ps -aq --filter "name=^${APP}_v[0-9]*\.run\."
}

test_expect 'an app with a release and a config value' '
	deis register "$URL" --username=admin --password=s3cret --email=a@example.com >/dev/null &&
	deis create $APP --no-remote >/dev/null &&
	timeout 120 deis pull "$IMAGE" -a $APP >/dev/null &&
	timeout 120 deis config:set GREETING=hello-tty -a $APP >/dev/null
'
test_expect 'typed input is echoed and answered; the config is in the environment' '
	"$DRIVE" - -- deis run -a $APP bash <<-EOS
	expect Running '"'"'bash'"'"'...
	send echo hi-\$((6*7))-$$\r
	expect hi-42-$$
	send echo "v=\$GREETING"\r
	expect v=hello-tty
	send exit\r
	wait 0
	EOS
'
test_expect 'the remote terminal has the window size and follows its changes' '
	"$DRIVE" - -- deis run -a $APP bash <<-EOS
	send stty size\r
	expect 24 80
	resize 33 111
	sleep 1
	send stty size\r
	expect 33 111
	send exit\r
	wait 0
	EOS
'
test_expect 'Ctrl-C interrupts the remote sleep and the shell is back' '
	"$DRIVE" - -- deis run -a $APP bash <<-EOS
	send echo ready-\$((3*3))\r
	expect ready-9
	send sleep 100\r
	sleep 2
	send \x03
	send echo back-\$((1+1))\r
	expect back-2
	send exit 0\r
	wait 0
	EOS
'
test_expect 'the remote exit status is deis'"'"'s; the container is removed' '
	"$DRIVE" - -- deis run -a $APP bash <<-EOS &&
	send exit 3\r
	wait 3
	EOS
	"$DRIVE" - -- deis run -a $APP -- "exit 7" <<-EOS &&
	wait 7
	EOS
	wait_for 30 "test -z \"\$(runs)\""
'
# the isolation floor of a container, as docker inspect -f shows it
cat >"$TRASH/floor" <<'EOS'
#!/bin/sh
docker inspect -f '{{json .HostConfig.CapDrop}} {{json .HostConfig.SecurityOpt}} {{.HostConfig.PidsLimit}} {{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NetworkMode}} {{.HostConfig.Init}} {{index .Config.Labels "sh.deis.app"}} {{.Config.User}}' "$1"
EOS
cat >"$TRASH/same-floor" <<EOS
#!/bin/sh
# the running one-off has a terminal and the floor of the app's cmd container
r=\$(docker ps -q --filter "name=^${APP}_v[0-9]*\\.run\\.")
c=\$(docker ps -q --filter "name=^${APP}_v[0-9]*\\.cmd\\.1\\$")
[ -n "\$r" ] && [ -n "\$c" ] || exit 1
[ "\$(docker inspect -f '{{.Config.Tty}} {{.Config.OpenStdin}}' "\$r")" = "true true" ] || exit 1
sh "$TRASH/floor" "\$r" >"$TRASH/floor.run" && sh "$TRASH/floor" "\$c" >"$TRASH/floor.cmd" &&
cmp "$TRASH/floor.run" "$TRASH/floor.cmd" && grep -q '"ALL"' "$TRASH/floor.run"
EOS
test_expect 'a client killed with -9 leaves no container behind; it had the app'"'"'s floor' '
	"$DRIVE" - -- deis run -a $APP bash <<-EOS &&
	pidfile $TRASH/deis.pid
	send echo sleeping-\$((2*3)); sleep 1000\r
	expect sleeping-6
	run sh $TRASH/same-floor
	kill 9
	wait -9
	EOS
	wait_for 30 "test -z \"\$(runs)\""
'
# Through a router (deis.localhost, which curl resolves to loopback), plain and TLS.
RPORT=$(free_port); SPORT=$(free_port)
CPORT=${URL##*:}
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=*.localhost" \
	-addext "subjectAltName=DNS:*.localhost" -keyout "$TRASH/tls.key" -out "$TRASH/tls.pem" \
	2>/dev/null || test_expect 'a certificate for the router' false
printf '{"version":1,"domain":"localhost","controller":["127.0.0.1:%s"],"apps":{}}\n' "$CPORT" \
	>"$TRASH/routes.json"
bg_start router deis-router --listen "127.0.0.1:$RPORT" --tls-listen "127.0.0.1:$SPORT" \
	--tls-cert "$TRASH/tls.pem" --tls-key "$TRASH/tls.key" --routes "$TRASH/routes.json" \
	--workers 1
test_expect 'through the router: a session, its status, a killed client' '
	wait_for 20 "curl -sf http://deis.localhost:$RPORT/v1/ >/dev/null || curl -s -o /dev/null -w %{http_code} http://deis.localhost:$RPORT/v1/apps | grep -q 401" &&
	deis login "http://deis.localhost:$RPORT" --username=admin --password=s3cret >/dev/null &&
	"$DRIVE" - -- deis run -a $APP bash <<-EOS &&
	send echo via-router-\$((5*5))\r
	expect via-router-25
	send exit 5\r
	wait 5
	EOS
	"$DRIVE" - -- deis run -a $APP bash <<-EOS &&
	send echo sleeping-\$((2*4)); sleep 1000\r
	expect sleeping-8
	kill 9
	wait -9
	EOS
	wait_for 30 "test -z \"\$(runs)\""
'
test_expect 'through the router over TLS' '
	deis login "https://deis.localhost:$SPORT" --username=admin --password=s3cret \
		--ssl-verify=false >/dev/null &&
	"$DRIVE" - -- deis run -a $APP bash <<-EOS &&
	send echo via-tls-\$((4*4))\r
	expect via-tls-16
	resize 30 100
	sleep 1
	send stty size\r
	expect 30 100
	send exit 6\r
	wait 6
	EOS
	wait_for 30 "test -z \"\$(runs)\""
'
test_expect 'without a terminal, deis run keeps its answer' '
	timeout 120 deis run -a $APP "echo plain; exit 4" </dev/null >"$TRASH/out"; rc=$?
	test $rc -eq 4 &&
	test "$(cat "$TRASH/out")" = "$(printf "Running '\''echo plain; exit 4'\''...\nplain")"
'
test_expect 'a refused interactive run prints the controller'"'"'s answer and exits 1' '
	deis create ${APP}-nobuild --no-remote >/dev/null &&
	"$DRIVE" - -- deis run -a ${APP}-nobuild bash <<-EOS
	expect 400 BAD REQUEST
	wait 1
	EOS
'
test_expect 'another upgrade protocol is refused' '
	tok=$(jq -r .token "$HOME/.deis/client.json") &&
	curl -s -o "$TRASH/body" -w "%{http_code}" -H "Authorization: token $tok" \
	    -H "Content-Type: application/json" -H "Connection: Upgrade" -H "Upgrade: websocket" \
	    -d "{\"command\":\"bash\"}" "$URL/v1/apps/$APP/run" >"$TRASH/code" &&
	test "$(cat "$TRASH/code")" = 400 &&
	grep -q "deis-run/1" "$TRASH/body"
'
test_expect 'a run left by a killed controller is removed when it starts again' '
	"$DRIVE" - -- deis run -a $APP bash <<-EOS &&
	send echo long-\$((3*5)); sleep 1000\r
	expect long-15
	run kill -9 $CONTROLLER_PID
	expect connection to the controller was lost
	wait 1
	EOS
	test -n "$(runs)" &&
	controller_start "$TRASH/ctl" --domain example.com --scheduler docker >/dev/null &&
	wait_for 30 "test -z \"\$(runs)\"" &&
	grep -q "a one-off left by an earlier run of the controller" "$TRASH/ctl/controller.log"
'
test_done
