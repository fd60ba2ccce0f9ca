#!/bin/sh
# The store on the S3 API: a real one-node Ceph (RGW) from t/helper/ceph-up, bound on
# loopback and on the platform network's gateway, an S3 user made with radosgw-admin, `deisctl config store set backend=s3 ...`, an
# isolated platform started by deisctl, and a real git push of examples/python-web through
# the builder. Checked: every value is checked when set (nothing stored on a bad one), the
# secret key is a 0600 file and never printed, the bucket is created at start, the registry's
# blobs are in the bucket (a signed S3 listing with curl --aws-sigv4) and not on a volume,
# stopping and starting the registry loses nothing, wrong keys and an unreachable endpoint
# make `deisctl start` fail with the reason, and a `deisctl restart registry` they would
# break is refused with the old registry still serving. Every wait is bounded; cleanup stops
# Ceph. Skipped only without Docker or without the Ceph packages (scripts/install-deps
# installs them).
. "$(dirname "$0")/test-lib.sh"

docker_ok || test_skip_all "no Docker engine answers on /var/run/docker.sock (scripts/docker-up)"
command -v docker >/dev/null || test_skip_all "no docker client in PATH"
for p in ceph-mon ceph-osd radosgw radosgw-admin ceph-authtool monmaptool uuidgen; do
	command -v $p >/dev/null || test_skip_all "no '$p': apt-get install --no-install-recommends ceph-mon ceph-osd radosgw ceph-common uuid-runtime (scripts/install-deps does)"
done
CEPH_UP=$TOP/t/helper/ceph-up

PREFIX=t0705x$$
STATE=$TRASH/state
IMAGE=deis/platform:t0705
HTTP=$(free_port) HTTPS=$(free_port) SSHP=$(free_port) BLD=$(free_port) CTL=$(free_port) REG=$(free_port)
PY=s3py-$$
BUCKET=deis-t0705-$$
export DEISCTL_PREFIX=$PREFIX DEISCTL_STATE=$STATE HOME=$TRASH/home
CEPH_DIR=$TRASH/ceph
export MON_PORT=$(free_port) RGW_PORT=$(free_port)	# ceph-up takes them
mkdir -p "$HOME"
CTLURL=http://deis.localhost:$HTTP
KEY=$HOME/.ssh/id_ed25519
export GIT_SSH_COMMAND="ssh -i $KEY -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10"
GIT="git -c user.name=t0705 -c user.email=t0705@example.com"

TEST_CLEANUP='deisctl uninstall --purge platform >/dev/null 2>&1;
 docker ps -aq --filter label=sh.deis.app=$PY | xargs -r docker rm -f >/dev/null 2>&1;
 docker images -q 127.0.0.1:$REG/$PY | xargs -r docker rmi -f >/dev/null 2>&1;
 "$CEPH_UP" stop "$CEPH_DIR" >/dev/null 2>&1'

deis() {
	timeout 300 "$BIN/deis" "$@"
}

# s3 METHOD PATH...: a signed request to RGW with the platform's keys.
s3() {
	. "$TRASH/keys"
	curl -sS -m 10 --aws-sigv4 aws:amz:us-east-1:s3 --user "$ACCESS:$SECRET" \
		-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@"
}

# keys_in PREFIX: the object keys of the bucket under PREFIX ('/' encoded: curl signs the
# query as it is written, RGW checks it in its canonical form).
keys_in() {
	s3 "http://127.0.0.1:$RGW_PORT/$BUCKET?list-type=2&max-keys=1000&prefix=$(echo "$1" |
		sed "s|/|%2F|g")" |
		grep -o '<Key>[^<]*</Key>' | sed 's/<[^>]*>//g'
}

# served TAG: the registry serves the manifest of $PY:TAG and every blob it names, each with
# its digest (what a pull does, without the engine's local copy in the way), to the platform's
# credentials.
served() {
	curl -sf -m 10 -u "deis:$(cat "$STATE/registry-password")" \
		-H "Accept: application/vnd.docker.distribution.manifest.v2+json" \
		"http://127.0.0.1:$REG/v2/$PY/manifests/$1" >manifest &&
	jq -r ".config.digest, .layers[].digest" manifest >digests && [ -s digests ] &&
	while read -r dg; do
		curl -sf -m 60 -u "deis:$(cat "$STATE/registry-password")" \
			"http://127.0.0.1:$REG/v2/$PY/blobs/$dg" | sha256sum |
			grep -q "^${dg#sha256:} " || { echo "blob $dg: wrong or missing"; return 1; }
	done <digests
}

test_expect 'platform images build (stack + platform)' '
	"$TOP/builder/images/build-stack" && "$TOP/images/platform/build" "$IMAGE"
'

test_expect 'deisctl install: the platform network exists' '
	deisctl config platform set image=$IMAGE httpPort=$HTTP httpsPort=$HTTPS sshPort=$SSHP \
		builderPort=$BLD controllerPort=$CTL registryPort=$REG >/dev/null &&
	deisctl install platform >/dev/null &&
	docker network inspect -f "{{range .IPAM.Config}}{{.Gateway}}{{end}}" $PREFIX >"$TRASH/gw" &&
	grep -Eq "^[0-9.]+$" "$TRASH/gw"
'
GW=$(cat "$TRASH/gw" 2>/dev/null)

# The registry runs in a container: it reaches RGW on the platform network's gateway (the
# host), so ceph-up binds radosgw there as well as on loopback.
test_expect 'a one-node Ceph with RGW starts; an S3 user is made with radosgw-admin' '
	timeout 150 "$CEPH_UP" start "$CEPH_DIR" "$GW" >url 2>"$TRASH/ceph-up.err";
	rc=$?; cat "$TRASH/ceph-up.err"; [ $rc = 0 ] &&
	grep -qx "http://127.0.0.1:$RGW_PORT" url &&
	curl -sf -m 2 -o /dev/null http://127.0.0.1:$RGW_PORT/ &&
	curl -sf -m 2 -o /dev/null http://$GW:$RGW_PORT/ &&
	radosgw-admin -c "$CEPH_DIR/ceph.conf" user create --uid=deis --display-name=Deis \
		>"$TRASH/user.json" &&
	printf "ACCESS=%s\nSECRET=%s\n" "$(jq -r ".keys[0].access_key" "$TRASH/user.json")" \
		"$(jq -r ".keys[0].secret_key" "$TRASH/user.json")" >"$TRASH/keys" &&
	. "$TRASH/keys" && [ ${#ACCESS} -ge 16 ] && [ ${#SECRET} -ge 32 ]
'
. "$TRASH/keys" 2>/dev/null

test_expect 'config store set: bad values are refused with the reason, nothing stored' '
	cp "$STATE/config.json" "$TRASH/before.json" &&
	! deisctl config store set backend=ceph 2>err && grep -q "not one of: filesystem s3" err &&
	! deisctl config store set backend=s3 endpoint=ftp://h 2>err && grep -q "not the URL" err &&
	! deisctl config store set endpoint=http://h:99999 2>err && grep -q "not the URL" err &&
	! deisctl config store set endpoint=http://h:7480/path 2>err && grep -q "no path" err &&
	! deisctl config store set bucket= 2>err && grep -q "not a bucket name" err &&
	! deisctl config store set bucket=My_Bucket 2>err && grep -q "not a bucket name" err &&
	! deisctl config store set region="us east" 2>err && grep -q "not a region" err &&
	! deisctl config store set bucket=ok-name secretKey="a b" 2>err && grep -q "secretKey" err &&
	! deisctl config store set verifyTLS=yes 2>err && grep -q "true or false" err &&
	! deisctl config store set gateway/host=h 2>err && grep -q "endpoint=http://HOST:PORT" err &&
	! deisctl config store set colour=blue 2>err && grep -q "not a store setting" err &&
	! deisctl config registry set s3bucket=b 2>err && grep -q "config store set" err &&
	cmp "$STATE/config.json" "$TRASH/before.json" && [ ! -e "$STATE/store-secret-key" ]
'

test_expect 'config store set backend=s3: the secret key is a 0600 file, never printed' '
	deisctl config store set backend=s3 endpoint=http://$GW:$RGW_PORT/ bucket=$BUCKET \
		gateway/accessKey=$ACCESS gateway/secretKey=$SECRET >out 2>err &&
	! grep -q "$SECRET" out && grep -q "applies it" err &&
	[ "$(stat -c %a "$STATE/store-secret-key")" = 600 ] &&
	[ "$(cat "$STATE/store-secret-key")" = "$SECRET" ] &&
	deisctl config store get >all && cat all && ! grep -q "$SECRET" all &&
	grep -q "^accessKey=$ACCESS$" all && grep -q "^secretKey=(stored 0600" all &&
	! grep -q "$SECRET" "$STATE/config.json"
'

test_expect 'deisctl start platform creates the bucket; the registry is on S3' '
	deisctl start platform 2>err && cat err && grep -q "created the bucket .$BUCKET." err &&
	s3 -o /dev/null -w "%{http_code}" "http://127.0.0.1:$RGW_PORT/$BUCKET?max-keys=1" | grep -qx 200 &&
	docker inspect -f "{{json .Config.Cmd}} {{json .Mounts}}" $PREFIX-registry >insp &&
	grep -q registry-s3.yml insp && ! grep -q "$PREFIX-registry" insp &&
	! docker inspect -f "{{json .Config.Cmd}}" $PREFIX-registry | grep -q "$SECRET" &&
	grep -q "regionendpoint: \"http://$GW:$RGW_PORT\"" "$STATE/registry-s3.yml" &&
	! grep -q "$SECRET" "$STATE/registry-s3.yml"
'

test_expect 'git push of examples/python-web: the build is served' '
	wait_for 30 "curl -sf -m 2 $CTLURL/healthz" &&
	deis register $CTLURL --username=s3 --password=s3-pass-1 --email=s3@example.com >/dev/null &&
	mkdir -p "$HOME/.ssh" && ssh-keygen -q -t ed25519 -N "" -C s3@test -f "$KEY" &&
	deis keys:add "$KEY.pub" >/dev/null &&
	cp -r "$TOP/examples/python-web" py && (cd py && git init -q -b master && git add . &&
		$GIT commit -qm init && deis create $PY --no-remote >/dev/null) &&
	(cd py && timeout 600 git push "ssh://git@127.0.0.1:$SSHP/$PY.git" master) >push.log 2>&1;
	rc=$?; tail -n 15 push.log; [ $rc = 0 ] &&
	wait_for 60 "curl -sf -m 5 -H \"Host: $PY.localhost\" http://127.0.0.1:$HTTP/ | grep -q \"app $PY\""
'

test_expect "the image's blobs and manifest are in the bucket (signed S3 listing)" '
	keys_in docker/registry/v2/repositories/$PY/ >repo && cat repo &&
	grep -q "^docker/registry/v2/repositories/$PY/_manifests/tags/git-" repo &&
	keys_in docker/registry/v2/blobs/ >blobs && [ $(grep -c "/data$" blobs) -ge 2 ] &&
	layer=$(grep "_layers/sha256/" repo | head -n 1 | sed "s|.*_layers/sha256/||; s|/link||") &&
	grep -q "blobs/sha256/../$layer/data" blobs
'

test_expect 'stop and start the registry: the image is still served whole, from S3' '
	tag=$(keys_in docker/registry/v2/repositories/$PY/_manifests/tags/ | head -n 1 |
		sed "s|.*/tags/||; s|/.*||") && [ -n "$tag" ] &&
	served $tag && deisctl stop registry && ! served $tag &&
	deisctl start registry && served $tag && wc -l <digests
'

# The check comes before the stop: the old registry keeps its container and serves on.
test_expect 'wrong keys: restart registry is refused, the running registry still serves' '
	tag=$(keys_in docker/registry/v2/repositories/$PY/_manifests/tags/ | head -n 1 |
		sed "s|.*/tags/||; s|/.*||") && [ -n "$tag" ] &&
	docker inspect -f "{{.Id}} {{.State.StartedAt}}" $PREFIX-registry >before &&
	deisctl config store set secretKey=wrong-secret-key-0000000000 >/dev/null 2>&1 &&
	! deisctl restart registry >out 2>err; rc=$?; cat out err; [ $rc = 0 ] &&
	grep -q "refused the keys for bucket .$BUCKET. (403 SignatureDoesNotMatch)" err &&
	grep -q "restart refused: nothing was stopped" err && ! grep -q stopped out &&
	docker inspect -f "{{.Id}} {{.State.StartedAt}}" $PREFIX-registry >after &&
	cmp before after && served $tag
'

test_expect 'wrong keys: deisctl start registry fails and says the keys were refused' '
	deisctl config store set accessKey=NOSUCHACCESSKEY00000 >/dev/null 2>&1 &&
	! deisctl start registry 2>err && cat err && grep -q "403 InvalidAccessKeyId" err
'

test_expect 'an unreachable endpoint fails start within seconds, with the reason' '
	dead=$(free_port) &&
	deisctl config store set accessKey=$ACCESS secretKey=$SECRET endpoint=http://127.0.0.1:$dead \
		>/dev/null 2>&1 &&
	s=$(date +%s) && ! deisctl start registry 2>err && cat err &&
	[ $(( $(date +%s) - s )) -le 15 ] && grep -q "cannot reach the S3 server" err
'

test_expect 'the right settings again: the registry starts and serves the image' '
	deisctl config store set endpoint=http://$GW:$RGW_PORT >/dev/null 2>&1 &&
	deisctl start registry &&
	tag=$(keys_in docker/registry/v2/repositories/$PY/_manifests/tags/ | head -n 1 |
		sed "s|.*/tags/||; s|/.*||") && [ -n "$tag" ] && served $tag
'

test_expect 'config store rm secretKey removes the file; start says what is missing' '
	deisctl config store rm secretKey >/dev/null && [ ! -e "$STATE/store-secret-key" ] &&
	! deisctl config store get secretKey 2>/dev/null &&
	! deisctl start registry 2>err && grep -q "needs bucket, accessKey and secretKey" err
'

test_expect 'backend=filesystem: the registry is on its volume again' '
	deisctl config store set backend=filesystem >/dev/null 2>&1 && deisctl start registry &&
	docker inspect -f "{{json .Config.Cmd}} {{json .Mounts}}" $PREFIX-registry >insp &&
	grep -q "/etc/deis/registry.yml" insp && grep -q "$PREFIX-registry" insp
'

test_expect 'uninstall --purge removes the platform; Ceph stops' '
	deis apps:destroy -a $PY --confirm=$PY >/dev/null &&
	deisctl uninstall --purge platform >/dev/null &&
	[ -z "$(docker ps -aq --filter label=sh.deis.instance=$PREFIX)" ] &&
	"$CEPH_UP" stop "$CEPH_DIR" && [ -z "$(ls "$CEPH_DIR/run/"*.pid 2>/dev/null)" ] &&
	! curl -s -m 2 -o /dev/null http://127.0.0.1:$RGW_PORT/ && [ -s "$CEPH_DIR/log/radosgw.log" ]
'

test_done
