#!/bin/sh
# Time from `git push` to release, and to the new container answering HTTP, for a
# hello-world buildpack app (Python, standard library) and a Dockerfile app, warm caches
# (one unmeasured push first). Real sshd, controller (docker scheduler), engine, registry.
#
#   sudo bench/builder-push.sh [RUNS]        (default 3 runs per app)
# Prints one line per push and a summary; numbers go to docs/performance.md.
RUNS=${1:-3}
. "$(dirname "$0")/../t/test-lib.sh"
. "$TOP/builder/test-env.sh"
builder_prereqs
SCHEDULER=docker
export SCHEDULER
TEST_CLEANUP='for a in benchpy benchdock; do docker ps -aq --filter name=^${a}_ | xargs -r docker rm -f >/dev/null 2>&1; done'
builder_env_up >"$TRASH/setup.log" 2>&1 || { cat "$TRASH/setup.log"; exit 1; }
user_new alice >/dev/null 2>&1 || { echo "cannot create user"; cat "$TRASH/api.out"; exit 1; }
api POST /v1/apps '{"id":"benchpy"}' >/dev/null
api POST /v1/apps '{"id":"benchdock"}' >/dev/null

new_repo "$TRASH/benchpy"
cat >"$TRASH/benchpy/app.py" <<'EOP'
import http.server, os
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"hello\n")
http.server.HTTPServer(("", int(os.environ.get("PORT", "5000"))), H).serve_forever()
EOP
commit_all "$TRASH/benchpy" first
new_repo "$TRASH/benchdock"
cat >"$TRASH/benchdock/Dockerfile" <<'EOD'
FROM deis/stack:bookworm
COPY index.html /srv/
EXPOSE 5000
CMD ["python3", "-m", "http.server", "5000", "--directory", "/srv"]
EOD
echo hello >"$TRASH/benchdock/index.html"
commit_all "$TRASH/benchdock" first

now() { date +%s.%N; }

# up APP VERSION: the release's web/cmd container runs and answers on port 5000.
up() {
	for id in $(docker ps -q --filter "name=^$1_v$2\."); do
		ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$id")
		[ -n "$ip" ] && curl -sf -m 1 "http://$ip:5000/" >/dev/null && return 0
	done
	return 1
}

bench_app() {	# bench_app APP
	push_as alice "$TRASH/$1" "$1" || { echo "warm-up push of $1 failed:"; cat "$TRASH/push.out"; return 1; }
	run=0	# not "i": wait_for uses that name
	while [ $run -lt "$RUNS" ]; do
		run=$((run + 1))
		echo "change $run" >>"$TRASH/$1/README"
		commit_all "$TRASH/$1" "run $run"
		t0=$(now)
		push_as alice "$TRASH/$1" "$1" || { echo "push failed:"; cat "$TRASH/push.out"; return 1; }
		t1=$(now)
		v=$(sed -n 's/.*done, [a-z0-9-]*:v\([0-9]*\) deployed.*/\1/p' "$TRASH/push.out")
		wait_for 60 "up $1 $v" || { echo "$1 v$v never came up"; return 1; }
		t2=$(now)
		printf '%s v%s: push->release %.2f s, push->container answering %.2f s\n' "$1" "$v" \
			"$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t0" | bc)" | tee -a "$TRASH/results"
	done
}

echo "# builder push benchmark, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
bench_app benchpy
bench_app benchdock
echo "# summary (median of $RUNS)"
for a in benchpy benchdock; do
	for k in 4 8; do
		grep "^$a " "$TRASH/results" | awk -v k=$k '{print $k}' | sort -n |
			awk -v a=$a -v k=$k '{v[NR]=$1} END {printf "%s %s median %.2f s\n", a, (k==4?"push->release":"push->answering"), v[int((NR+1)/2)]}'
	done
done
