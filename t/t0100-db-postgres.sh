#!/bin/sh
# controller/db against a real PostgreSQL: start a throwaway server with
# t/helper/pg-start, run the database unit tests (the same ones SQLite
# passes) with DEIS_TEST_PG_URL, stop the server.
. "$(dirname "$0")/test-lib.sh"

ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || test_skip_all "no PostgreSQL server (apt-get install postgresql)"
UNIT=$BUILD/t/unit/test-db.t
[ -x "$UNIT" ] || test_skip_all "'$UNIT' not built (make unit)"

PGDIR=$TRASH/pg
TEST_CLEANUP='"$TOP/t/helper/pg-stop" "$PGDIR"'

test_expect 'pg-start starts a server and prints its URL' '
	"$TOP/t/helper/pg-start" "$PGDIR" >"$TRASH/url" &&
	grep -q "^postgresql:///deis?host=$PGDIR&port=[0-9]*&user=postgres\$" "$TRASH/url"
'
PG_URL=$(cat "$TRASH/url" 2>/dev/null)

test_expect 'the server listens on its unix socket only' '
	port=$(cat "$PGDIR/port") &&
	[ -S "$PGDIR/.s.PGSQL.$port" ] &&
	! grep -q "listening on IP" "$PGDIR/log"
'

test_expect 'db unit tests pass on PostgreSQL' '
	DEIS_TEST_PG_URL=$PG_URL timeout 300 "$UNIT" >"$TRASH/unit.out" 2>&1
	rc=$?
	cat "$TRASH/unit.out"
	[ $rc -eq 0 ] && grep -q "^# postgres: 3 writers" "$TRASH/unit.out"
'

test_expect 'the schema is in PostgreSQL, migrated once' '
	port=$(cat "$PGDIR/port") &&
	n=$(runuser -u postgres -- psql -h "$PGDIR" -p "$port" -U postgres -d deis -Atc \
		"SELECT COUNT(*) FROM schema_migrations WHERE version = 1") &&
	[ "$n" = 1 ]
'

test_expect 'pg-stop stops it' '
	"$TOP/t/helper/pg-stop" "$PGDIR" &&
	[ ! -f "$PGDIR/data/postmaster.pid" ]
'

test_done
