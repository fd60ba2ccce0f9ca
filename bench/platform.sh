#!/bin/sh
# Platform benchmark (issue 7): on an isolated platform instance (own prefix, ports, state),
#   1. cold and warm time of scripts/platform-up (README command 1; cold = no platform
#      state, containers or volumes; the stack image and build outputs may exist),
#   2. git push of a change → the new release answering through the router, and a new
#      app's deis create + first git push → its first 200,
#   3. ps:scale web=1→10 → ten distinct containers answering,
#   4. config:set → the new value served,
#   5. the control plane's idle RSS (every platform container but the registry),
#   6. where the time went: the controller's phases of those deploys.
# Everything it starts is removed at the end. Needs root and Docker. Takes minutes.
#
#   bench/platform.sh
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
PATH=$TOP/build/bin:$PATH
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
since() { echo "$(now) $1" | awk '{ printf "%.1f", $1 - $2 }'; }

export DEISCTL_PREFIX=bench$$ DEISCTL_STATE=/tmp/deis-bench-platform.$$ PLATFORM_UP_APP=benchapp
WORK=$(mktemp -d /tmp/deis-bench-platform-work.XXXXXX)
export HOME=$WORK/home
mkdir -p "$HOME"
HTTP=$(port)
cleanup() {
	deisctl uninstall --purge platform >/dev/null 2>&1
	docker ps -aq --filter label=sh.deis.app=benchapp | xargs -r docker rm -f >/dev/null 2>&1
	docker ps -aq --filter label=sh.deis.app=benchnew | xargs -r docker rm -f >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT
deisctl config platform set httpPort="$HTTP" httpsPort="$(port)" sshPort="$(port)" builderPort="$(port)" \
	controllerPort="$(port)" registryPort="$(port)" >/dev/null

get() { curl -sf -m 5 -H "Host: benchapp.localhost" "http://127.0.0.1:$HTTP/"; }

t=$(now)
"$TOP/scripts/platform-up" >"$WORK/cold.log" 2>&1 || { tail -n 20 "$WORK/cold.log"; echo "platform-up (cold) failed"; exit 1; }
echo "platform-up cold: $(since "$t") s (includes the first git push → 200)"
t=$(now)
"$TOP/scripts/platform-up" >"$WORK/warm.log" 2>&1 || { tail -n 20 "$WORK/warm.log"; echo "platform-up (warm) failed"; exit 1; }
echo "platform-up warm: $(since "$t") s"

SRC=$DEISCTL_STATE/admin/app-benchapp
KEY=$DEISCTL_STATE/admin/id_ed25519
export GIT_SSH_COMMAND="ssh -i $KEY -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
echo "# $(date)" >>"$SRC/web.py"
(cd "$SRC" && git -c user.name=bench -c user.email=bench@example.com commit -qam bench)
before=$(get | sed 's/.*release \(v[0-9]*\).*/\1/')
t=$(now)
(cd "$SRC" && git push -q deis master >/dev/null 2>&1)
echo "git push (build, release, rollout; returns when deployed): $(since "$t") s"
i=0
while [ "$(get | sed 's/.*release \(v[0-9]*\).*/\1/')" = "$before" ] && [ $i -lt 600 ]; do
	sleep 0.1; i=$((i + 1)); done
echo "git push → new release answering through the router: $(since "$t") s"

# a new app: deis create, then its first git push until its first 200 through the router
NEW=$WORK/newapp
mkdir -p "$NEW" && cp "$TOP"/examples/python-web/* "$NEW/" &&
(cd "$NEW" && git init -q -b master && git add -A &&
	git -c user.name=bench -c user.email=bench@example.com commit -qm new) >/dev/null
remote=$(cd "$SRC" && git remote get-url deis | sed 's|/benchapp.git$|/benchnew.git|')
t=$(now)
deis create benchnew --no-remote >/dev/null
(cd "$NEW" && git push -q "$remote" master >/dev/null 2>&1)
i=0
while ! curl -sf -m 5 -o /dev/null -H "Host: benchnew.localhost" "http://127.0.0.1:$HTTP/" && [ $i -lt 600 ]; do
	sleep 0.1; i=$((i + 1)); done
echo "new app: deis create + first git push → first 200 through the router: $(since "$t") s"
deis destroy -a benchnew --confirm=benchnew >/dev/null

t=$(now)
deis ps:scale web=10 -a benchapp >/dev/null
i=0
while [ "$(for n in $(seq 40); do get; done | sort -u | wc -l)" -lt 10 ] && [ $i -lt 120 ]; do i=$((i + 1)); done
echo "ps:scale web=1→10 → 10 distinct containers answering: $(since "$t") s"
deis ps:scale web=1 -a benchapp >/dev/null

t=$(now)
deis config:set BENCH=1 POWERED_BY=bench -a benchapp >/dev/null
i=0
while ! get | grep -q "Powered by bench" && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
echo "config:set → new value served: $(since "$t") s"
# where the time went: the controller's phases of each deploy and scale above
docker logs "$DEISCTL_PREFIX-controller" 2>&1 | grep -E "bench(app|new).* built: |(deployed|scaled) 'bench(app|new)'|routes switched" |
	tail -n 10 | sed 's/^/  controller: /'

sleep 10
total=0
for c in $(docker ps --filter "label=sh.deis.instance=$DEISCTL_PREFIX" --format '{{.Names}}'); do
	case $c in *-registry) continue ;; esac
	kb=0
	for p in $(docker top "$c" -eo pid | tail -n +2); do
		r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		kb=$((kb + ${r:-0}))
	done
	echo "  $c: $((kb / 1024)) MB"
	total=$((total + kb))
done
echo "control plane idle RSS (without the registry): $((total / 1024)) MB"
