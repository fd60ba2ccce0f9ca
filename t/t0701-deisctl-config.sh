#!/bin/sh
# deisctl without the platform: usage and exit codes, config get/set/rm in the state dir
# (mode 0600, atomic), and the commands that need Docker failing plainly without it.
. "$(dirname "$0")/test-lib.sh"

cd "$TRASH" || exit 1
export DEISCTL_STATE=$TRASH/state DEISCTL_PREFIX=t0701
NODOCKER="--docker $TRASH/no-such.sock"

test_expect 'usage: no command is exit 2, help is exit 0' '
	deisctl >/dev/null 2>&1; [ $? = 2 ] || exit 1
	deisctl help | grep -q "rolling-restart router" && deisctl --version | grep -q 1.13.4
'

test_expect 'an unknown command or target is refused with exit 2' '
	deisctl frobnicate 2>err; [ $? = 2 ] && grep -q "not a command" err || exit 1
	deisctl $NODOCKER config nosuch get 2>err; [ $? = 2 ] && grep -q "unknown target .nosuch." err
'

test_expect 'config set creates the state dir and config.json with mode 0600' '
	deisctl config platform set domain=example.com httpPort=8080 >out &&
	printf "example.com\n8080\n" | cmp - out &&
	[ "$(stat -c %a "$DEISCTL_STATE")" = 700 ] &&
	[ "$(stat -c %a "$DEISCTL_STATE/config.json")" = 600 ] &&
	[ ! -e "$DEISCTL_STATE/config.json.new" ]
'

test_expect 'config get returns the values, one per line; get of everything lists k=v' '
	[ "$(deisctl config platform get domain)" = example.com ] &&
	deisctl config platform get domain httpPort | tr "\n" " " | grep -qx "example.com 8080 " &&
	deisctl config platform get | grep -qx "httpPort=8080"
'

test_expect 'config of a component is kept in its own section' '
	deisctl config controller set registrationMode=admin_only &&
	deisctl config router set bodySize=100m &&
	[ "$(deisctl config controller get registrationMode)" = admin_only ] &&
	! deisctl config router get registrationMode 2>/dev/null &&
	python3 -c "import json,sys; c=json.load(open(sys.argv[1])); assert c[\"router\"][\"bodySize\"]==\"100m\"" \
		"$DEISCTL_STATE/config.json"
'

test_expect 'config rm removes a key; a missing key is exit 1' '
	deisctl config router rm bodySize >/dev/null &&
	deisctl config router get bodySize 2>err; [ $? = 1 ] && grep -q "no key .bodySize." err
'

test_expect 'invalid settings are refused and change nothing' '
	cp "$DEISCTL_STATE/config.json" before &&
	! deisctl config platform set novalue 2>/dev/null &&
	! deisctl config platform set "bad key=1" 2>/dev/null &&
	! deisctl config platform set "=x" 2>/dev/null &&
	cmp before "$DEISCTL_STATE/config.json"
'
test_expect 'the builds'"'"' limits are checked when set' '
	cp "$DEISCTL_STATE/config.json" before &&
	! deisctl config builder set buildMemoryMB=lots 2>err && cat err &&
	grep -q "buildMemoryMB .lots. is not a number of megabytes of memory from 64" err &&
	! deisctl config builder set buildCPUs=0 2>/dev/null &&
	! deisctl config builder set buildTimeout=5 2>/dev/null &&
	! deisctl config builder set buildPids=10 2>err && grep -q "buildPids .10. is not a number of processes from 64" err &&
	! deisctl config builder set buildDiskMB=1e3 2>err && grep -q "buildDiskMB .1e3. is not a number of megabytes of disk" err &&
	cmp before "$DEISCTL_STATE/config.json" &&
	deisctl config builder set buildMemoryMB=4096 buildCPUs=1 buildTimeout=1800 buildPids=512 buildDiskMB=4096 >/dev/null &&
	deisctl config builder get buildMemoryMB buildCPUs buildTimeout buildPids buildDiskMB | tr "\n" " " |
		grep -qx "4096 1 1800 512 4096 "
'

test_expect 'the controller'"'"'s firstUserAdmin and registrationMode are checked when set' '
	cp "$DEISCTL_STATE/config.json" before &&
	! deisctl config controller set firstUserAdmin=maybe 2>err && cat err &&
	grep -q "firstUserAdmin .maybe. is not true or false" err &&
	! deisctl config controller set registrationMode=open 2>/dev/null &&
	cmp before "$DEISCTL_STATE/config.json" &&
	deisctl config controller set firstUserAdmin=true >/dev/null &&
	[ "$(deisctl config controller get firstUserAdmin)" = true ] &&
	deisctl config controller rm firstUserAdmin >/dev/null
'

test_expect 'create-admin: usage is exit 2; it needs the engine' '
	deisctl help | grep -q "create-admin <username> <email>" &&
	deisctl $NODOCKER create-admin alice 2>err; [ $? = 2 ] && grep -q "usage: deisctl create-admin" err || exit 1
	echo pw | deisctl $NODOCKER create-admin alice a@example.com 2>err; [ $? = 1 ] &&
	grep -q "does not answer" err
'

test_expect 'a corrupt config.json is reported, not ignored' '
	cp "$DEISCTL_STATE/config.json" good && echo "{oops" >"$DEISCTL_STATE/config.json" &&
	deisctl config platform get domain 2>err; rc=$?
	cp good "$DEISCTL_STATE/config.json"; [ $rc = 1 ] && grep -q "cannot read" err
'

test_expect 'commands that need Docker say so when the engine is not there' '
	deisctl $NODOCKER status 2>err; [ $? = 1 ] && grep -q "Docker engine does not answer" err || exit 1
	deisctl $NODOCKER start platform 2>err; [ $? = 1 ] && grep -q "does not answer" err
'

test_expect 'scale and rolling-restart take only the router' '
	deisctl $NODOCKER scale registry=2 2>err; [ $? = 2 ] && grep -q "router" err || exit 1
	deisctl $NODOCKER scale router=0 2>err; [ $? = 2 ] && grep -q "too small" err || exit 1
	deisctl $NODOCKER rolling-restart controller 2>err; [ $? = 2 ] || exit 1
	deisctl $NODOCKER scale router=2 2>err; [ $? = 1 ] && grep -q "does not answer" err
'

test_done
