#!/bin/sh
# The controller's data directory fills up (issue 15): writes fail with a clear error
# (507, the database's disk is full), reads go on, nothing is corrupted, and once space
# is freed writes work again without a restart. The database is on a small tmpfs the
# test mounts (and unmounts).
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/controller-start"

[ -x "$BIN/deis-controller" ] || test_skip_all "no controller binary"
command -v jq >/dev/null || test_skip_all "jq is not installed"
[ "$(id -u)" = 0 ] || test_skip_all "mounting a tmpfs needs root"

DATA=$TRASH/data
mkdir -p "$DATA"
mount -t tmpfs -o size=4m tmpfs "$DATA" 2>/dev/null || test_skip_all "cannot mount a tmpfs"
TEST_CLEANUP='umount "$DATA"'
API_DIR=$TRASH

# started outside test_expect (a subshell), so that CONTROLLER_PID reaches the tests
controller_start "$TRASH/c" --db "sqlite://$DATA/controller.db" >/dev/null
API_URL=${CONTROLLER_URL:-}
test_expect 'the controller runs with its database on a 4 MB tmpfs' '
	[ -n "$API_URL" ] && api_register alice >/dev/null && api_login alice >/dev/null &&
	api_check "201 CREATED" POST /v1/apps/ alice "{\"id\":\"before\"}"
'
dd if=/dev/zero of="$DATA/fill" bs=64k >/dev/null 2>&1
test_expect 'disk full: a write answers 507 saying so; the controller runs on' '
	df -k "$DATA" | tail -n 1 &&
	api_check "507 INSUFFICIENT STORAGE" POST /v1/apps/ alice "{\"id\":\"during\"}" &&
	api_body ".detail | test(\"disk is full\")" &&
	api_check "507 INSUFFICIENT STORAGE" POST /v1/apps/before/config/ alice "{\"values\":{\"A\":\"1\"}}" &&
	kill -0 $CONTROLLER_PID
'
test_expect 'disk full: reads go on' '
	api_check "200 OK" GET /v1/apps/ alice && api_body "[.results[].id] == [\"before\"]" &&
	api_check "200 OK" GET /v1/apps/before/releases/ alice
'
rm -f "$DATA/fill"
test_expect 'space freed: writes work again, same controller, nothing half-written' '
	kill -0 $CONTROLLER_PID &&
	api_check "201 CREATED" POST /v1/apps/ alice "{\"id\":\"after\"}" &&
	api_check "200 OK" GET /v1/apps/ alice && api_body "[.results[].id] | sort == [\"after\", \"before\"]" &&
	api_check "200 OK" GET /v1/apps/before/releases/ alice && api_body ".count == 1" &&
	python3 -c "
import sqlite3, sys
r = sqlite3.connect(sys.argv[1]).execute(\"PRAGMA integrity_check\").fetchone()[0]
print(r); sys.exit(r != \"ok\")" "$DATA/controller.db"
'
test_done
