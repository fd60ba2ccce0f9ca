#!/bin/sh
# deisctl config router set: Deis's router settings become deis-router flags. Without
# Docker: bad values are refused and store nothing; sslCert/sslKey are read from files,
# checked (a certificate and its key) and kept 0600. With Docker: an isolated controller and
# router (own prefix, ports, state dir): the router on the host's network, bound to the
# configured ports, refusing to start on a port taken; bodySize gives 413 through the router, the
# certificate answers on the HTTPS port, enforceHTTPS gives 301 after
# `deisctl restart router` (a new container with the new command line), HSTS and its
# details, controller/whitelist's 403, the health port, the access log (a file in the router's
# volume by default, shown by `journal router`; stdout when set), 443 without a platform certificate,
# and a router started with every setting its flags allow.
# The argv of every key is pinned by t/unit/test-deisctl-router.c.
. "$(dirname "$0")/test-lib.sh"

command -v openssl >/dev/null || test_skip_all "openssl missing"
cd "$TRASH" || exit 1
PREFIX=t0703x$$
STATE=$TRASH/state
export DEISCTL_STATE=$STATE DEISCTL_PREFIX=$PREFIX
# DEIS_E2E_IMAGE: another tag, so that runs from two trees on one engine do not share one
IMAGE=${DEIS_E2E_IMAGE:-deis/platform:t0703}

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout ca.key -out ca.pem 2>/dev/null
cert() {
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null &&
	printf 'subjectAltName=DNS:%s,DNS:deis.%s\n' "$2" "$2" >"$1.ext" &&
	openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
		-extfile "$1.ext" -out "$1.pem" 2>/dev/null
}
cert platform localhost && cert other other.test || { echo "Bail out! openssl failed"; exit 1; }
openssl rsa -in platform.key -aes128 -passout pass:x -out locked.key 2>/dev/null

test_expect 'bad values are refused with exit 2 and store nothing' '
	deisctl config router set bodySize=2m >/dev/null 2>&1 && cp "$STATE/config.json" before &&
	for kv in bodySize=1t bodySize=lots defaultTimeout=0 workerProcesses=many \
		enforceHTTPS=yes gzipCompLevel=11 proxyRealIpCidr=10.0.0.0/40 nosuchKey=1 \
		"controller/whitelist=1.2.3.4:bad label" builder/timeout/tcp=1200000 \
		controller/timeout/read=20x controller/timeout/read=0; do
		deisctl config router set gzip=on "$kv" 2>err; rc=$?
		[ $rc = 2 ] && [ -s err ] || { echo "$kv: exit $rc"; cat err; exit 1; }
	done &&
	cmp before "$STATE/config.json" &&
	deisctl config router set bodySize=1t 2>err; grep -q "bodySize .1t. is not a size" err
'

test_expect 'firewall/enabled=true is refused as not supported; false is accepted' '
	deisctl config router set firewall/enabled=true 2>err; [ $? = 2 ] &&
	grep -q "not supported" err && deisctl config router set firewall/enabled=false
'

test_expect 'keys without effect are accepted with a note' '
	deisctl config router set serverNameHashMaxSize=1024 2>err &&
	grep -q "serverNameHashMaxSize has no effect" err &&
	deisctl config router rm serverNameHashMaxSize firewall/enabled >/dev/null
'

test_expect 'sslCert/sslKey: not PEM, an encrypted key, a key of another certificate: refused, nothing stored' '
	deisctl config router set sslCert=platform.key sslKey=platform.key 2>err; [ $? = 2 ] &&
	grep -q "not a PEM certificate" err &&
	deisctl config router set sslCert=platform.pem sslKey=locked.key 2>err; [ $? = 2 ] &&
	grep -q "unencrypted" err &&
	deisctl config router set sslCert=platform.pem sslKey=other.key 2>err; [ $? = 2 ] &&
	grep -q "does not match" err &&
	deisctl config router set sslCert=missing.pem sslKey=platform.key 2>err; [ $? = 2 ] &&
	grep -q "cannot read" err &&
	[ ! -e "$STATE/router-tls" ] && cmp before "$STATE/config.json"
'

test_expect 'sslCert/sslKey: the files are kept 0600, config.json holds fingerprints only' '
	deisctl config router set sslCert=platform.pem sslKey=platform.key >out &&
	[ "$(stat -c %a "$STATE/router-tls")" = 700 ] &&
	[ "$(stat -c %a "$STATE/router-tls/tls.crt")" = 600 ] &&
	[ "$(stat -c %a "$STATE/router-tls/tls.key")" = 600 ] &&
	cmp platform.pem "$STATE/router-tls/tls.crt" && cmp platform.key "$STATE/router-tls/tls.key" &&
	fp=$(openssl x509 -noout -fingerprint -sha256 -in platform.pem | cut -d= -f2 | tr -d : | tr A-F a-f) &&
	[ "$(deisctl config router get sslCert)" = "sha256:$fp" ] &&
	! grep -q PRIVATE "$STATE/config.json" &&
	deisctl config router set sslKey=other.key 2>err; [ $? = 2 ] && grep -q "does not match" err
'

test_expect 'config router rm sslKey removes the stored key' '
	cp "$STATE/router-tls/tls.key" saved.key && cp "$STATE/config.json" with-tls &&
	deisctl config router rm sslKey >/dev/null && [ ! -e "$STATE/router-tls/tls.key" ] &&
	cp saved.key "$STATE/router-tls/tls.key" && cp with-tls "$STATE/config.json"
'

if ! docker_ok || ! command -v docker >/dev/null; then
	echo "ok 7 # skip no Docker engine (scripts/docker-up)"
	test_count=7
	test_done
	exit $?
fi

HTTP=$(free_port) HTTPS=$(free_port) HEALTH=$(free_port) SSHP=$(free_port) BLD=$(free_port)
CTL=$(free_port) REG=$(free_port)
TEST_CLEANUP='deisctl uninstall --purge platform >/dev/null 2>&1'
H="-H Host:deis.localhost"

# code METHOD-ARGS...: the status of a request through the router's HTTP port.
code() {
	curl -s -m 5 -o /dev/null -w "%{http_code}" $H "$@"
}

test_expect 'the platform image builds; controller and router start with the settings' '
	WITH_POSTGRES=0 "$TOP/images/platform/build" "$IMAGE" &&
	deisctl config platform set image=$IMAGE httpPort=$HTTP httpsPort=$HTTPS healthPort=$HEALTH \
		sshPort=$SSHP builderPort=$BLD controllerPort=$CTL registryPort=$REG >/dev/null &&
	deisctl config router set bodySize=1k >/dev/null 2>&1 &&
	deisctl start controller router &&
	docker inspect -f "{{json .Config.Cmd}}" $PREFIX-router >cmd1 && cat cmd1 &&
	grep -q "\"--body-size\",\"1k\"" cmd1 &&
	grep -q "\"--tls-cert\",\"/etc/deis/router-tls/tls.crt\",\"--tls-key\"" cmd1 &&
	! grep -q "enforce-https" cmd1 &&
	wait_for 30 "[ \$(code http://127.0.0.1:$HTTP/healthz) = 200 ]"
'

# On one host the router is on the host's network (no userland proxy, no NAT): it binds the
# configured ports itself and reaches the controller at its published loopback port.
test_expect 'the router runs on the host network, bound to the configured ports, nothing published' '
	[ "$(docker inspect -f "{{.HostConfig.NetworkMode}}" $PREFIX-router)" = host ] &&
	[ "$(docker inspect -f "{{json .HostConfig.PortBindings}}" $PREFIX-router)" = "{}" ] &&
	grep -q "\"--listen\",\"0.0.0.0:$HTTP\",\"--tls-listen\",\"0.0.0.0:$HTTPS\",\"--tcp-listen\",\"0.0.0.0:$SSHP\"" cmd1 &&
	grep -q "\"--controller\",\"http://127.0.0.1:$CTL\"" cmd1 &&
	grep -q "\"--health-listen\",\"0.0.0.0:$HEALTH\"" cmd1 &&
	for p in $HTTP $HTTPS $SSHP $HEALTH; do ss -Htln "sport = :$p" | grep -q LISTEN || exit 1; done &&
	docker inspect -f "{{json .Config.Env}}" $PREFIX-controller | grep -q "DEIS_CONTROLLER_ADDR=127.0.0.1:$CTL" &&
	docker inspect -f "{{json .Config.Env}}" $PREFIX-controller | grep -q "DEIS_BUILDER_ADDR=127.0.0.1:$BLD"
'

test_expect 'a router port taken on the host: start refuses and names it; the router comes back' '
	busy=$(free_port) || exit 1
	python3 -c "import socket,time; s=socket.socket(); s.bind((\"0.0.0.0\",$busy)); s.listen(); time.sleep(60)" &
	holder=$!
	wait_for 10 "ss -Htln \"sport = :$busy\" | grep -q LISTEN" &&
	deisctl config platform set sshPort=$busy >/dev/null &&
	{ deisctl restart router 2>err; rc=$?; kill $holder; cat err; [ $rc = 1 ]; } &&
	grep -q "port $busy (sshPort) is in use on this host" err &&
	deisctl config platform set sshPort=$SSHP >/dev/null && deisctl start router &&
	wait_for 30 "[ \$(code http://127.0.0.1:$HTTP/healthz) = 200 ]"
'

test_expect 'bodySize=1k: a 2 KiB body is refused with 413 by the router, 512 bytes pass' '
	head -c 2048 /dev/zero >big && head -c 512 /dev/zero >small &&
	[ "$(code --data-binary @big http://127.0.0.1:$HTTP/v1/apps/)" = 413 ] &&
	c=$(code --data-binary @small http://127.0.0.1:$HTTP/v1/apps/) && echo "small: $c" &&
	[ "$c" != 413 ] && [ "$c" != 000 ]
'

test_expect 'HTTPS on its port answers with the platform certificate' '
	curl -sf -m 5 --cacert ca.pem --resolve deis.localhost:$HTTPS:127.0.0.1 \
		https://deis.localhost:$HTTPS/healthz &&
	echo | openssl s_client -connect 127.0.0.1:$HTTPS -servername deis.localhost 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 >served &&
	openssl x509 -noout -fingerprint -sha256 -in platform.pem | cmp - served
'

test_expect 'the health port answers (healthPort)' '
	[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" http://127.0.0.1:$HEALTH/health-check)" = 200 ]
'

# The access log (issue 16): to stdout it cost dockerd 13-15 us per request; by default it is
# a file in the router's volume, rotated by the router, and `journal router` shows its tail.
test_expect 'the access log goes by default to a file in the router volume; journal router shows it' '
	grep -q "\"--access-log\",\"/var/lib/deis/router/access.log\"" cmd1 &&
	[ "$(code http://127.0.0.1:$HTTP/healthz?t0703=file)" = 200 ] && sleep 0.5 &&
	docker exec $PREFIX-router grep -q "GET /healthz?t0703=file HTTP/1.1" /var/lib/deis/router/access.log &&
	! docker logs $PREFIX-router 2>&1 | grep -q "t0703=file" &&
	deisctl journal --lines=50 router >journal && cat journal | tail -n 5 &&
	grep -q "^-- $PREFIX-router access log (/var/lib/deis/router/access.log) --" journal &&
	grep -q " - 200 - \"GET /healthz?t0703=file HTTP/1.1\" - " journal &&
	grep -q " - 413 - \"POST /v1/apps/ HTTP/1.1\" - " journal
'

test_expect 'accessLog=stdout: the lines in the container output again (journal); rm: the file again' '
	deisctl config router set accessLog=stdout accessLogMaxSize=1m accessLogMaxFiles=3 >/dev/null &&
	deisctl restart router && wait_for 30 "[ \$(code http://127.0.0.1:$HTTP/healthz) = 200 ]" &&
	docker inspect -f "{{json .Config.Cmd}}" $PREFIX-router >cmd3 &&
	grep -q "\"--access-log\",\"stdout\",\"--access-log-max-size\",\"1m\",\"--access-log-max-files\",\"3\"" cmd3 &&
	[ "$(code http://127.0.0.1:$HTTP/healthz?t0703=stdout)" = 200 ] && sleep 0.5 &&
	deisctl journal router >journal2 && grep -q "GET /healthz?t0703=stdout HTTP/1.1" journal2 &&
	! grep -q "access log (" journal2 &&
	deisctl config router rm accessLog accessLogMaxSize accessLogMaxFiles >/dev/null &&
	deisctl restart router && wait_for 30 "[ \$(code http://127.0.0.1:$HTTP/healthz) = 200 ]" &&
	docker inspect -f "{{json .Config.Cmd}}" $PREFIX-router | grep -q "\"--access-log\",\"/var/lib/deis/router/access.log\"" &&
	[ "$(code http://127.0.0.1:$HTTP/healthz?t0703=again)" = 200 ] && sleep 0.5 &&
	deisctl journal router | grep -q "GET /healthz?t0703=again HTTP/1.1"
'

test_expect 'enforceHTTPS: no effect until deisctl restart router, then a new container and 301' '
	before=$(docker inspect -f "{{.Id}}" $PREFIX-router) &&
	deisctl config router set enforceHTTPS=true >/dev/null 2>&1 &&
	[ "$(code http://127.0.0.1:$HTTP/healthz)" = 200 ] &&
	deisctl restart router &&
	[ "$(docker inspect -f "{{.Id}}" $PREFIX-router)" != "$before" ] &&
	docker inspect -f "{{json .Config.Cmd}}" $PREFIX-router | grep -q "\"--enforce-https\"" &&
	wait_for 30 "[ \$(code http://127.0.0.1:$HTTP/healthz) = 301 ]" &&
	curl -s -m 5 -D hdr -o /dev/null $H http://127.0.0.1:$HTTP/v1/apps/?x=1 &&
	grep -qi "^Location: https://deis.localhost/v1/apps/?x=1" hdr &&
	curl -sf -m 5 --cacert ca.pem --resolve deis.localhost:$HTTPS:127.0.0.1 \
		https://deis.localhost:$HTTPS/healthz
'

test_expect 'rm enforceHTTPS + rolling-restart router: plain HTTP is served again' '
	deisctl config router rm enforceHTTPS >/dev/null &&
	deisctl rolling-restart router &&
	! docker inspect -f "{{json .Config.Cmd}}" $PREFIX-router | grep -q enforce-https &&
	wait_for 30 "[ \$(code http://127.0.0.1:$HTTP/healthz) = 200 ]"
'

test_expect 'hsts/enabled=true: the HSTS header on HTTPS, and the 301 it implies on HTTP' '
	deisctl config router set hsts/enabled=true hsts/maxAge=600 >/dev/null 2>&1 &&
	deisctl restart router &&
	wait_for 30 "[ \$(code http://127.0.0.1:$HTTP/healthz) = 301 ]" &&
	curl -sf -m 5 -D hdr -o /dev/null --cacert ca.pem --resolve deis.localhost:$HTTPS:127.0.0.1 \
		https://deis.localhost:$HTTPS/healthz &&
	grep -qi "^Strict-Transport-Security: max-age=600" hdr &&
	deisctl config router rm hsts/enabled hsts/maxAge >/dev/null
'

# has FLAG: the image's deis-router knows FLAG (the other settings' flags are being added).
has() {
	docker exec $PREFIX-router deis-router --help 2>&1 | grep -q -- "\[$1[] ]"
}

test_expect 'hsts/includeSubDomains and hsts/preload in the HSTS header' '
	has --hsts-preload && has --hsts-include-subdomains || { echo "no such flags yet"; exit 0; }
	deisctl config router set hsts/enabled=true hsts/includeSubDomains=true hsts/preload=true \
		>/dev/null 2>&1 && deisctl restart router &&
	wait_for 30 "curl -sf -m 5 -D hdr -o /dev/null --cacert ca.pem \
		--resolve deis.localhost:$HTTPS:127.0.0.1 https://deis.localhost:$HTTPS/healthz" &&
	grep -i "^Strict-Transport-Security:" hdr &&
	grep -qi "^Strict-Transport-Security: max-age=10886400; includeSubDomains; preload" hdr &&
	deisctl config router rm hsts/enabled hsts/includeSubDomains hsts/preload >/dev/null
'

test_expect 'controller/whitelist: the controller refuses an address not listed (403), then serves again' '
	has --controller-whitelist || { echo "no such flag yet"; exit 0; }
	deisctl config router set controller/whitelist=192.0.2.1/32:doc >/dev/null 2>&1 &&
	deisctl restart router &&
	wait_for 30 "[ \$(code http://127.0.0.1:$HTTP/healthz) = 403 ]" &&
	deisctl config router rm controller/whitelist >/dev/null && deisctl restart router &&
	wait_for 30 "[ \$(code http://127.0.0.1:$HTTP/healthz) = 200 ]"
'

test_expect 'without a platform certificate the router still listens on 443 (SNI only)' '
	deisctl config router rm sslCert sslKey >/dev/null && deisctl restart router &&
	! docker inspect -f "{{json .Config.Cmd}}" $PREFIX-router | grep -q tls-cert &&
	docker inspect -f "{{json .Config.Cmd}}" $PREFIX-router | grep -q "\"--tls-listen\",\"0.0.0.0:$HTTPS\"" &&
	wait_for 30 "[ \$(code http://127.0.0.1:$HTTP/healthz) = 200 ]" &&
	ss -Htln "sport = :$HTTPS" | grep -q LISTEN &&
	{ curl -s -m 5 -k --resolve deis.localhost:$HTTPS:127.0.0.1 https://deis.localhost:$HTTPS/healthz; \
	  rc=$?; echo "curl: $rc"; [ $rc = 35 ]; }
'

# key=value:flag: the settings whose flag the image's deis-router has (the list grows as it does).
ALL="bodySize=2m:--body-size defaultTimeout=60:--first-byte-timeout workerProcesses=2:--workers
maxWorkerConnections=768:--max-conns gzip=off:--gzip gzipCompLevel=6:--gzip-level
gzipMinLength=512:--gzip-min-length gzipTypes=text/css:--gzip-types gzipDisable=msie6:--gzip-disable
gzipHttpVersion=1.0:--gzip-http-version gzipProxied=off:--gzip-proxied gzipVary=off:--gzip-vary
proxyProtocol=true:--proxy-protocol proxyRealIpCidr=10.0.0.0/8:--real-ip-from
affinityArg=sid:--affinity-arg enableNginxStatus=true:--status
controller/whitelist=127.0.0.1/32:--controller-whitelist enforceWhitelist=true:--enforce-whitelist
hsts/enabled=true:--hsts hsts/includeSubDomains=true:--hsts-include-subdomains
hsts/preload=true:--hsts-preload errorLogLevel=warn:--listen
controller/timeout/read=20m:--controller-read-timeout controller/timeout/send=20m:--controller-send-timeout
controller/timeout/connect=10s:--controller-connect-timeout builder/timeout/connect=10s:--builder-connect-timeout
builder/timeout/tcp=1200:--builder-tcp-timeout accessLogMaxSize=5m:--access-log-max-size
accessLogMaxFiles=3:--access-log-max-files"

test_expect 'the router starts with every setting whose flag deis-router has' '
	docker exec $PREFIX-router deis-router --help >usage 2>&1; set --; for kf in $ALL; do
		grep -q -- "\[${kf##*:}[] ]" usage && set -- "$@" "${kf%:*}"; done;
	echo "settings: $*" && [ $# -ge 15 ] &&
	deisctl config router set "$@" >/dev/null 2>&1 && deisctl restart router &&
	docker inspect -f "{{json .Config.Cmd}}" $PREFIX-router >cmd2 && cat cmd2 &&
	grep -q "\"--gzip\",\"off\"" cmd2 && grep -q "\"--max-conns\",\"768\"" cmd2 &&
	docker inspect -f "{{json .Config.Env}}" $PREFIX-router | grep -q DEIS_LOG_LEVEL=warn &&
	sleep 2 && [ "$(docker inspect -f "{{.State.Running}} {{.RestartCount}}" $PREFIX-router)" = "true 0" ] &&
	[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" http://127.0.0.1:$HEALTH/health-check)" = 200 ]
'

test_done
