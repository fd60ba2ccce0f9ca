#!/bin/sh
# Syscall faults in the controller (issue 15): the controller runs under fiu-run -x
# (libfiu's POSIX preload), and while API requests come, calls of a family fail at
# random (I/O: files, sockets, fsync; memory: malloc and friends). Goal: no crash (a
# process that ends does so by exiting with an error, never by a signal, apart from
# xmalloc's deliberate abort on out-of-memory, which must say so), the requests still
# answered, the database passes PRAGMA integrity_check, and what the API said it stored
# (201) is there when a controller without faults opens the same database. Figures:
# "# fault: ..." lines (how the requests were answered, how the process ended).
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/controller-start"

[ -x "$BIN/deis-controller" ] || test_skip_all "no controller binary"
command -v jq >/dev/null || test_skip_all "jq is not installed"
command -v fiu-run >/dev/null && command -v fiu-ctrl >/dev/null ||
	test_skip_all "fiu-run is not installed (Debian fiu-utils; scripts/install-deps)"
fiu-run -x true 2>/dev/null || test_skip_all "fiu-run -x does not run here"

figure() { echo "# fault: $*"; echo "$*" >>"$TRASH/figures"; }
export DEIS_BUILDER_KEY=test-builder-key DEIS_INTERNAL_TOKEN=test-internal-token

# fiu_start DIR [plain]: a controller on DIR/controller.db under fiu-run -x (no fault
# enabled yet, remote control through DIR/fiu-<pid>.in), or without fiu (plain); sets PID
# and API_URL, 0 once it answers.
fiu_start() {
	: >"$1/controller.log"
	if [ "${2:-}" = plain ]; then set -- "$1"; else set -- "$1" fiu-run -x -f "$1/fiu"; fi
	d=$1
	shift
	"$@" "$BIN/deis-controller" --listen 127.0.0.1:0 \
		--db "sqlite://$d/controller.db" --scheduler none </dev/null >>"$d/controller.log" 2>&1 &
	PID=$!
	wait_for 20 "grep -q 'listening on .*(port ' '$d/controller.log'" &&
	API_URL=http://127.0.0.1:$(sed -n 's/.*listening on .*(port \([0-9]*\)).*/\1/p' "$d/controller.log" | head -n 1) &&
	wait_for 20 "curl -sf -m 2 -o /dev/null $API_URL/healthz"
}

# round NAME FAILPOINTS PROBABILITY ITERATIONS: a user made with no fault, then the
# faults on while each iteration creates an app, sets a config value, lists the apps
# and reads the config back; then the faults off. Leaves $TRASH/NAME/answers ("what
# app status"), status (the process's end: "alive", "exit N" or "signal N").
round() {
	d=$TRASH/$1
	mkdir -p "$d" && API_DIR=$d && fiu_start "$d" &&
	api_register alice >/dev/null && api_login alice >/dev/null || return 1
	fiu-ctrl -f "$d/fiu" -c "enable_random name=$2,probability=$3" $PID || return 1
	: >"$d/answers"
	i=0
	while [ $i -lt $4 ] && kill -0 $PID 2>/dev/null; do
		i=$((i + 1))
		for w in create config list get; do
			case $w in
			create) s=$(api_call POST /v1/apps/ alice "{\"id\":\"f$i\"}") ;;
			config) s=$(api_call POST /v1/apps/f$i/config/ alice "{\"values\":{\"K\":\"v$i\"}}") ;;
			list) s=$(api_call GET /v1/apps/ alice) ;;
			get) s=$(api_call GET /v1/apps/f$i/config/ alice) ;;
			esac
			echo "$w f$i ${s:-no-answer}" | sed 's/HTTP\/1.1 //' >>"$d/answers"
		done
	done
	fiu-ctrl -f "$d/fiu" -c "disable name=$2" $PID 2>/dev/null
	if kill -0 $PID 2>/dev/null; then
		# still alive: it must answer again now that the faults are off, then stop cleanly
		if wait_for 10 "curl -sf -m 2 -o /dev/null $API_URL/healthz"; then
			echo alive >"$d/status"
		else
			echo "alive, but no answer without faults" >"$d/status"
		fi
		# SIGKILL: libfiu's remote control thread, started before main(), does not block
		# SIGTERM as the controller's threads do, so a SIGTERM may kill the process there
		# (the shutdown is checked without fiu, by intact)
		kill -KILL $PID
		wait $PID
	else
		wait $PID
		rc=$?
		if [ $rc -gt 128 ]; then echo "signal $((rc - 128))" >"$d/status"; else echo "exit $rc" >"$d/status"; fi
		echo "after '$(tail -n 1 "$d/controller.log")'" >>"$d/status"
	fi
	return 0
}

# summary NAME: "<n> requests: <count> <status>, ...; <how the process ended>"
summary() {
	n=$(wc -l <"$TRASH/$1/answers")
	c=$(awk '{ print $3, $4, $5 }' "$TRASH/$1/answers" | sort | uniq -c | sort -rn |
		awk '{ $1 = $1; printf "%s%s", (NR > 1 ? ", " : ""), $0 }')
	echo "$n requests ($c); the process: $(cat "$TRASH/$1/status" | tr '\n' ' ')"
}

# ended_well NAME: alive, or an exit with an error (not a signal), or xmalloc's abort
# (SIGABRT, 6) right after its "out of memory" line
ended_well() {
	st=$(head -n 1 "$TRASH/$1/status")
	case $st in
	alive) return 0 ;;
	"exit "*) [ "$st" != "exit 0" ] && return 0 ;;
	"signal 6") tail -n 3 "$TRASH/$1/controller.log" | grep -q "^fatal: out of memory" && return 0 ;;
	esac
	echo "the controller ended badly: $st; its log ends:"
	tail -n 15 "$TRASH/$1/controller.log"
	return 1
}

# intact NAME: integrity_check, and a controller without faults on the same database
# shows every app and config value the API said it stored (201); every app it lists
# answers its config and releases.
intact() {
	d=$TRASH/$1
	python3 -c "
import sqlite3, sys
r = sqlite3.connect(sys.argv[1]).execute(\"PRAGMA integrity_check\").fetchone()[0]
print(\"integrity_check:\", r); sys.exit(r != \"ok\")" "$d/controller.db" || return 1
	mkdir -p "$d/after" && cp "$d/controller.db" "$d/after/" &&
	API_DIR=$d/after && fiu_start "$d/after" plain && api_login alice >/dev/null || return 1
	ok=0
	while read -r w app st rest; do
		[ "$st" = 201 ] || continue
		case $w in
		create) api_check "200 OK" GET /v1/apps/$app/ alice || ok=1 ;;
		config) api_check "200 OK" GET /v1/apps/$app/config/ alice &&
			api_body ".values.K == \"v${app#f}\"" || ok=1 ;;
		esac
	done <"$d/answers"
	api_check "200 OK" GET "/v1/apps/?limit=1000" alice || ok=1
	for app in $(jq -r '.results[].id' "$API_DIR/body"); do
		api_check "200 OK" GET /v1/apps/$app/config/ alice &&
		api_check "200 OK" GET /v1/apps/$app/releases/ alice || ok=1
	done
	kill -TERM $PID
	wait $PID || { echo "the controller without faults did not stop cleanly: $?"; ok=1; }
	return $ok
}

# NAME,FAILPOINTS,PROBABILITY,ITERATIONS ...; FIU_ROUNDS="..." for others (no globbing)
set -f
for r in ${FIU_ROUNDS:-io,posix/io/*,0.02,40 io-rare,posix/io/*,0.005,40 mem,libc/mm/*,0.0002,60}; do
	set -- $(echo "$r" | tr , " ")
	test_expect "$1: faults in $2 (p=$3) under API requests: no crash" "
		round $1 '$2' $3 $4 && figure \"$1 ($2, p=$3): \$(summary $1)\" && ended_well $1
	"
	test_expect "$1: integrity_check ok; what the API stored (201) is stored" "intact $1"
done


# The builder's key lookup (sshd's AuthorizedKeysCommand, `deis-builder keys`), against a
# controller without faults, under faults of its own from its first call: each run ends
# with an exit status (never a signal but xmalloc's abort on out-of-memory) and prints
# either nothing (sshd: not authorized) or exactly alice's line, never another user's or
# a cut one.
keys_setup() {
	d=$TRASH/keys
	mkdir -p "$d/state" && API_DIR=$d && fiu_start "$d" plain && api_register alice >/dev/null &&
	api_login alice >/dev/null && ssh-keygen -q -t ed25519 -N "" -C alice@test -f "$d/id" &&
	api_check "201 CREATED" POST /v1/keys/ alice "{\"id\":\"alice@test\",\"public\":\"$(cat "$d/id.pub")\"}" &&
	echo "$DEIS_BUILDER_KEY" >"$d/builder-key" &&
	printf 'controller=%s\nkey_file=%s\nstate_dir=%s\n' "$API_URL" "$d/builder-key" "$d/state" >"$d/conf" &&
	# first without self= (what start writes last): an error, not a crash (was SIGSEGV)
	set -- $(cut -d " " -f 1,2 "$d/id.pub") &&
	{ "$BIN/deis-builder" keys --config "$d/conf" git "$1" "$2"; rc=$?; } &&
	echo "without self: exit $rc" && [ $rc = 1 ] &&
	echo "self=$BIN/deis-builder" >>"$d/conf"
}
# keys_round NAME FAILPOINTS PROBABILITY RUNS: the outcomes, counted, into $TRASH/keys/NAME
keys_round() {
	d=$TRASH/keys
	set -- "$@" $(cut -d " " -f 1,2 "$d/id.pub")
	want="restrict,environment=\"DEIS_BUILDER_USER=alice\",*command=\"* shell --config $d/conf\" $5 $6"
	: >"$d/$1"
	i=0
	while [ $i -lt $4 ]; do
		i=$((i + 1))
		fiu-run -x -f "" -c "enable_random name=$2,probability=$3" \
			"$BIN/deis-builder" keys --config "$d/conf" git "$5" "$6" >"$d/out" 2>"$d/err"
		rc=$?
		if [ $rc = 134 ] && grep -q "^fatal: out of memory" "$d/err"; then
			echo "xmalloc's abort, out of memory" >>"$d/$1"
		elif [ $rc -gt 128 ]; then
			echo "signal $((rc - 128))" >>"$d/$1"
			echo "run $i: signal $((rc - 128)) after: $(tail -n 1 "$d/err")"
		elif [ ! -s "$d/out" ]; then
			echo "nothing, exit $rc" >>"$d/$1"
		elif [ "$(wc -l <"$d/out")" = 1 ] && case $(cat "$d/out") in $want) true ;; *) false ;; esac; then
			echo "alice's line, exit $rc" >>"$d/$1"
		else
			echo "something else, exit $rc" >>"$d/$1"
			echo "run $i printed:"; cat "$d/out"
		fi
	done
	c=$(sort "$d/$1" | uniq -c | sort -rn | awk '{ n = $1; $1 = ""; printf "%s%d%s", (NR > 1 ? ", " : ""), n, $0 }')
	figure "builder key lookup, $1 ($2, p=$3): $4 runs: $c"
	! grep -q -e "^signal" -e "^something else" "$d/$1"
}
test_expect 'builder key lookup: the controller and alice'"'"'s key, no faults; a config without self is an error' '
	keys_setup && keys_round none posix/io/nothing 0 1 && grep -q "^alice" "$TRASH/keys/none"
'
test_expect 'builder key lookup under I/O faults: an exit status, alice'"'"'s line or nothing' '
	keys_round io "posix/io/*" 0.05 60
'
test_expect 'builder key lookup under memory faults: an exit status, alice'"'"'s line or nothing' '
	keys_round mem "libc/mm/*" 0.01 60
'
[ -n "${PID:-}" ] && kill $PID 2>/dev/null

set +f
[ -f "$TRASH/figures" ] && sed "s/^/# fault: /" "$TRASH/figures"
test_done
