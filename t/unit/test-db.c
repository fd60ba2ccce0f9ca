/*
 * controller/db: the same tests against SQLite (a temporary file) and, when
 * DEIS_TEST_PG_URL names a database (t/t0100-db-postgres.sh starts one), against
 * PostgreSQL. Each test starts from empty tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "controller/db.h"
#include "lib/xalloc.h"

static char *cur_url;		/* the backend under test */
static char sqlite_dir[64];
static char sqlite_path[128];

static const char *const tables[] = {
	"endpoints", "settings", "keys", "certs", "domains", "pushes", "containers",
	"releases", "builds", "configs", "app_perms", "apps", "tokens", "users",
};

static struct db *
open_ok(void)
{
	struct err e = { 0 };
	struct db *db = db_open(cur_url, &e);

	if (db == NULL)
		fail_msg("db_open '%s': %s", cur_url, e.msg);
	return db;
}

static void
exec_ok(struct db *db, const char *sql, int n, const char *const *params)
{
	struct err e = { 0 };

	if (db_exec(db, sql, n, params, &e) < 0)
		fail_msg("'%s': %s", sql, e.msg);
}

#define EXEC_OK(db, sql, ...) \
	exec_ok((db), (sql), DB_NARGS_(__VA_ARGS__), (const char *const[]){ __VA_ARGS__ })

static long long
count(struct db *db, const char *table)
{
	char sql[128];
	struct err e = { 0 };
	struct db_res *res;
	long long n;

	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", table);
	res = db_query(db, sql, 0, NULL, &e);
	if (res == NULL)
		fail_msg("'%s': %s", sql, e.msg);
	n = db_res_getll(res, 0, 0, -1);
	db_res_free(res);
	return n;
}

static void
add_user(struct db *db, const char *name)
{
	char now[DB_TIME_LEN];

	db_now(now);
	EXEC_OK(db, "INSERT INTO users (username, password, date_joined) VALUES ($1, '!', $2)",
		name, now);
}

static void
add_app(struct db *db, const char *id, const char *owner)
{
	char now[DB_TIME_LEN], uuid[DB_UUID_LEN];

	db_now(now);
	db_uuid_new(uuid);
	EXEC_OK(db, "INSERT INTO apps (uuid, id, owner, created, updated) VALUES ($1, $2, $3, $4, $4)",
		uuid, id, owner, now);
}

static int
setup(void **state)
{
	struct db *db = open_ok();
	size_t i;
	char sql[64];

	for (i = 0; i < ARRAY_SIZE(tables); i++) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s", tables[i]);
		exec_ok(db, sql, 0, NULL);
	}
	*state = db;
	return 0;
}

static int
teardown(void **state)
{
	db_close(*state);
	return 0;
}

static void
test_migrations_idempotent(void **state)
{
	struct db *db = *state, *db2;
	struct err e = { 0 };
	struct db_res *r1, *r2;
	size_t i;

	r1 = db_query(db, "SELECT version, name, applied FROM schema_migrations ORDER BY version",
		      0, NULL, &e);
	assert_non_null(r1);
	assert_true(db_res_nrows(r1) >= 1);
	assert_string_equal(db_res_get(r1, 0, 1), "0001_initial");
	for (i = 0; i < ARRAY_SIZE(tables); i++)
		assert_int_equal(count(db, tables[i]), 0);

	/* Reopening applies nothing twice. */
	db2 = open_ok();
	r2 = db_query(db2, "SELECT version, name, applied FROM schema_migrations ORDER BY version",
		      0, NULL, &e);
	assert_non_null(r2);
	assert_int_equal(db_res_nrows(r1), db_res_nrows(r2));
	for (i = 0; i < (size_t)db_res_nrows(r1); i++)
		assert_string_equal(db_res_get(r1, (int)i, 2), db_res_get(r2, (int)i, 2));
	db_res_free(r1);
	db_res_free(r2);
	db_close(db2);

	/* A schema from a newer controller is refused, and the refusal changes nothing. */
	EXEC_OK(db, "INSERT INTO schema_migrations (version, name, applied) VALUES ($1, 'future', 'x')",
		"9999");
	assert_null(db_open(cur_url, &e));
	assert_non_null(strstr(e.msg, "9999"));
	EXEC_OK(db, "DELETE FROM schema_migrations WHERE version = $1", "9999");
	db_close(open_ok());
}

static void
test_unique_and_constraints(void **state)
{
	struct db *db = *state;
	char now[DB_TIME_LEN];
	struct err e = { 0 };

	db_now(now);
	add_user(db, "alice");
	assert_int_equal(db_execp(db, &e, "INSERT INTO users (username, password, date_joined) "
				  "VALUES ($1, '!', $2)", "alice", now), -1);
	assert_int_equal(e.code, DB_ERR_UNIQUE);

	add_app(db, "web", "alice");
	e.code = 0;
	assert_int_equal(db_execp(db, &e, "INSERT INTO apps (uuid, id, owner, created, updated) "
				  "VALUES ($1, $2, $3, $4, $4)", "u-2", "web", "alice", now), -1);
	assert_int_equal(e.code, DB_ERR_UNIQUE);

	/* Composite unique key. */
	EXEC_OK(db, "INSERT INTO keys (uuid, owner, id, public, fingerprint, fingerprint_sha256, "
		"created, updated) VALUES ('k1', 'alice', 'laptop', 'ssh-ed25519 AAA1', 'aa', 's1', $1, $1)",
		now);
	e.code = 0;
	assert_int_equal(db_execp(db, &e, "INSERT INTO keys (uuid, owner, id, public, fingerprint, "
				  "fingerprint_sha256, created, updated) VALUES ('k2', 'alice', "
				  "'other', 'ssh-ed25519 AAA2', 'aa', 's2', $1, $1)", now), -1);
	assert_int_equal(e.code, DB_ERR_UNIQUE);

	/* Foreign key: a token for nobody. */
	e.code = 0;
	assert_int_equal(db_execp(db, &e, "INSERT INTO tokens (key_hash, username, created) "
				  "VALUES ($1, $2, $3)", "h", "nobody", now), -1);
	assert_int_equal(e.code, DB_ERR_CONSTRAINT);
	/* NOT NULL. */
	e.code = 0;
	assert_int_equal(db_execp(db, &e, "INSERT INTO settings (key, value, updated) "
				  "VALUES ($1, $2, $3)", "k", NULL, now), -1);
	assert_int_equal(e.code, DB_ERR_CONSTRAINT);
	/* Bad SQL is neither. */
	e.code = 0;
	assert_null(db_query(db, "SELEKT 1", 0, NULL, &e));
	assert_int_equal(e.code, DB_ERR_INTERNAL);
}

static void
test_null_params_and_results(void **state)
{
	struct db *db = *state;
	struct err e = { 0 };
	struct db_res *res;
	char now[DB_TIME_LEN];

	db_now(now);
	EXEC_OK(db, "INSERT INTO users (username, email, password, last_login, date_joined) "
		"VALUES ($1, $2, '!', $3, $4)", "bob", "b@example.com", NULL, now);
	res = db_queryp(db, &e, "SELECT id, username, last_login, email, is_active FROM users "
			"WHERE username = $1", "bob");
	assert_non_null(res);
	assert_int_equal(db_res_nrows(res), 1);
	assert_int_equal(db_res_ncols(res), 5);
	assert_true(db_res_getll(res, 0, 0, -1) > 0);
	assert_string_equal(db_res_get(res, 0, 1), "bob");
	assert_null(db_res_get(res, 0, 2));
	assert_int_equal(db_res_getll(res, 0, 2, 42), 42);
	assert_string_equal(db_res_get(res, 0, 4), "1");
	assert_string_equal(db_res_colname(res, 3), "email");
	assert_int_equal(db_res_col(res, "last_login"), 2);
	assert_int_equal(db_res_col(res, "nope"), -1);
	assert_null(db_res_get(res, 1, 0));
	assert_null(db_res_get(res, 0, 5));
	assert_null(db_res_get(res, -1, 0));
	assert_int_equal(db_res_getll(res, 0, 1, 7), 7);	/* not an integer */
	db_res_free(res);
	db_res_free(NULL);

	/* Zero rows is a result, not an error. */
	res = db_queryp(db, &e, "SELECT username FROM users WHERE username = $1", "nobody");
	assert_non_null(res);
	assert_int_equal(db_res_nrows(res), 0);
	assert_int_equal(db_res_ncols(res), 1);
	db_res_free(res);

	/* NULL compares as SQL NULL; an empty string is not NULL. */
	EXEC_OK(db, "UPDATE users SET email = $1 WHERE username = $2", "", "bob");
	res = db_queryp(db, &e, "SELECT email FROM users WHERE username = $1", "bob");
	assert_non_null(res);
	assert_string_equal(db_res_get(res, 0, 0), "");
	db_res_free(res);
}

static void
test_params(void **state)
{
	struct db *db = *state;
	struct err e = { 0 };
	struct db_res *res;
	int i;

	for (i = 0; i < 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "user%d", i);
		add_user(db, name);
	}
	/* Out of order and repeated placeholders; integers as text; LIMIT/OFFSET. */
	res = db_queryp(db, &e, "SELECT username FROM users WHERE username >= $2 OR username = $1 "
			"ORDER BY username LIMIT $3 OFFSET $4", "user0", "user3", "2", "1");
	assert_non_null(res);
	assert_int_equal(db_res_nrows(res), 2);
	assert_string_equal(db_res_get(res, 0, 0), "user3");
	assert_string_equal(db_res_get(res, 1, 0), "user4");
	db_res_free(res);
	res = db_queryp(db, &e, "SELECT COUNT(*) FROM users WHERE username = $1 OR username = $1",
			"user1");
	assert_non_null(res);
	assert_string_equal(db_res_get(res, 0, 0), "1");
	db_res_free(res);
	res = db_queryp(db, &e, "SELECT COUNT(*) FROM users WHERE id > $1", "0");
	assert_non_null(res);
	assert_string_equal(db_res_get(res, 0, 0), "5");
	db_res_free(res);

	/* Mismatches are refused on both engines. */
	assert_null(db_queryp(db, &e, "SELECT username FROM users WHERE username = $1", "a", "b"));
	assert_null(db_query(db, "SELECT username FROM users WHERE username = $1", 0, NULL, &e));
	assert_null(db_queryp(db, &e, "SELECT username FROM users WHERE username = $2", "a", "b"));
	/* Two statements in one call. */
	assert_int_equal(db_exec(db, "DELETE FROM users; DELETE FROM apps", 0, NULL, &e), -1);
	assert_int_equal(count(db, "users"), 5);

	/* Quotes and odd bytes go through untouched (no SQL is built from them). */
	add_user(db, "o'brien\"; DROP TABLE users; --");
	res = db_queryp(db, &e, "SELECT username FROM users WHERE username LIKE $1", "o'brien%");
	assert_non_null(res);
	assert_string_equal(db_res_get(res, 0, 0), "o'brien\"; DROP TABLE users; --");
	db_res_free(res);
}

static void
test_exec_counts_and_returning(void **state)
{
	struct db *db = *state;
	struct err e = { 0 };
	struct db_res *res;
	char now[DB_TIME_LEN];
	long long id1, id2;

	db_now(now);
	add_user(db, "a");
	add_user(db, "b");
	add_user(db, "c");
	assert_int_equal(db_execp(db, &e, "UPDATE users SET is_staff = 1 WHERE username <> $1", "a"), 2);
	assert_int_equal(db_execp(db, &e, "UPDATE users SET is_staff = 1 WHERE username = $1", "x"), 0);
	assert_int_equal(db_execp(db, &e, "DELETE FROM users WHERE is_staff = $1", "1"), 2);
	assert_int_equal(db_exec(db, "SELECT * FROM users", 0, NULL, &e), 0);

	/* Serial ids with RETURNING, increasing. */
	add_app(db, "app1", "a");
	res = db_queryp(db, &e, "INSERT INTO domains (app, owner, domain, created, updated) "
			"VALUES ($1, $2, $3, $4, $4) RETURNING id", "app1", "a", "x.example.com", now);
	assert_non_null(res);
	id1 = db_res_getll(res, 0, 0, -1);
	db_res_free(res);
	res = db_queryp(db, &e, "INSERT INTO domains (app, owner, domain, created, updated) "
			"VALUES ($1, $2, $3, $4, $4) RETURNING id", "app1", "a", "y.example.com", now);
	assert_non_null(res);
	id2 = db_res_getll(res, 0, 0, -1);
	db_res_free(res);
	assert_true(id1 > 0);
	assert_true(id2 > id1);

	/* Upsert. */
	EXEC_OK(db, "INSERT INTO settings (key, value, updated) VALUES ($1, $2, $3) "
		"ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated = excluded.updated",
		"registrationMode", "enabled", now);
	assert_int_equal(db_execp(db, &e, "INSERT INTO settings (key, value, updated) VALUES ($1, $2, $3) "
				  "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
				  "registrationMode", "disabled", now), 1);
	res = db_queryp(db, &e, "SELECT value FROM settings WHERE key = $1", "registrationMode");
	assert_non_null(res);
	assert_string_equal(db_res_get(res, 0, 0), "disabled");
	db_res_free(res);
	assert_int_equal(db_execp(db, &e, "INSERT INTO settings (key, value, updated) VALUES ($1, $2, $3) "
				  "ON CONFLICT (key) DO NOTHING", "registrationMode", "x", now), 0);
}

static void
test_transactions(void **state)
{
	struct db *db = *state;
	struct err e = { 0 };

	assert_false(db_in_tx(db));
	assert_int_equal(db_begin(db, &e), 0);
	assert_true(db_in_tx(db));
	assert_int_equal(db_begin(db, &e), -1);		/* no nesting */
	add_user(db, "rolled");
	assert_int_equal(count(db, "users"), 1);
	assert_int_equal(db_rollback(db), 0);
	assert_false(db_in_tx(db));
	assert_int_equal(count(db, "users"), 0);
	assert_int_equal(db_rollback(db), 0);		/* outside: nothing */
	assert_int_equal(db_commit(db, &e), -1);

	assert_int_equal(db_begin(db, &e), 0);
	add_user(db, "kept");
	assert_int_equal(db_commit(db, &e), 0);
	assert_int_equal(count(db, "users"), 1);

	/* An error inside a transaction, then rollback: the connection is usable. */
	assert_int_equal(db_begin(db, &e), 0);
	add_user(db, "half");
	assert_int_equal(db_execp(db, &e, "INSERT INTO users (username, password, date_joined) "
				  "VALUES ($1, '!', 'x')", "kept"), -1);
	assert_int_equal(e.code, DB_ERR_UNIQUE);
	assert_int_equal(db_rollback(db), 0);
	assert_int_equal(count(db, "users"), 1);

	/* Commit after an error fails on both engines and leaves no transaction. */
	assert_int_equal(db_begin(db, &e), 0);
	add_user(db, "half2");
	assert_int_equal(db_query(db, "SELEKT", 0, NULL, &e) == NULL, 1);
	if (db_kind(db) == DB_POSTGRES) {
		assert_int_equal(db_commit(db, &e), -1);
	} else {
		/* SQLite keeps the transaction after a failed statement: commit keeps half2. */
		assert_int_equal(db_commit(db, &e), 0);
		EXEC_OK(db, "DELETE FROM users WHERE username = $1", "half2");
	}
	assert_false(db_in_tx(db));
	assert_int_equal(count(db, "users"), 1);

	/* Closing with an open transaction rolls it back. */
	{
		struct db *db2 = open_ok();

		assert_int_equal(db_begin(db2, &e), 0);
		add_user(db2, "lost");
		db_close(db2);
		assert_int_equal(count(db, "users"), 1);
	}
}

static void
test_cascades(void **state)
{
	struct db *db = *state;
	struct err e = { 0 };
	char now[DB_TIME_LEN];

	db_now(now);
	add_user(db, "owner");
	add_user(db, "collab");
	add_app(db, "myapp", "owner");
	EXEC_OK(db, "INSERT INTO app_perms (app, username, created) VALUES ($1, $2, $3)",
		"myapp", "collab", now);
	EXEC_OK(db, "INSERT INTO configs (uuid, app, owner, created, updated) VALUES ('c1', $1, $2, $3, $3)",
		"myapp", "owner", now);
	EXEC_OK(db, "INSERT INTO builds (uuid, app, owner, image, procfile, created, updated) "
		"VALUES ('b1', $1, $2, 'img', '{\"web\":\"./x\"}', $3, $3)", "myapp", "collab", now);
	EXEC_OK(db, "INSERT INTO releases (uuid, app, owner, version, config, build, created, updated) "
		"VALUES ('r1', $1, $2, 1, 'c1', NULL, $3, $3)", "myapp", "owner", now);
	EXEC_OK(db, "INSERT INTO releases (uuid, app, owner, version, config, build, created, updated) "
		"VALUES ('r2', $1, $2, 2, 'c1', 'b1', $3, $3)", "myapp", "collab", now);
	assert_int_equal(db_execp(db, &e, "INSERT INTO releases (uuid, app, owner, version, config, "
				  "created, updated) VALUES ('r3', $1, $2, 2, 'c1', $3, $3)",
				  "myapp", "owner", now), -1);
	assert_int_equal(e.code, DB_ERR_UNIQUE);
	EXEC_OK(db, "INSERT INTO containers (uuid, app, owner, release, type, num, created, updated) "
		"VALUES ('ct1', $1, $2, 2, 'web', 1, $3, $3)", "myapp", "owner", now);
	EXEC_OK(db, "INSERT INTO domains (app, owner, domain, created, updated) VALUES ($1, $2, $3, $4, $4)",
		"myapp", "owner", "www.example.com", now);
	EXEC_OK(db, "INSERT INTO pushes (uuid, app, owner, sha, receive_user, receive_repo, created, updated) "
		"VALUES ('p1', $1, $2, 'abc', 'owner', 'myapp', $3, $3)", "myapp", "owner", now);

	/* A user who owns an app cannot vanish under it... */
	assert_int_equal(db_execp(db, &e, "DELETE FROM users WHERE username = $1", "owner"), -1);
	assert_int_equal(e.code, DB_ERR_CONSTRAINT);
	/* ...a collaborator can; their history stays. */
	assert_int_equal(db_execp(db, &e, "DELETE FROM users WHERE username = $1", "collab"), 1);
	assert_int_equal(count(db, "app_perms"), 0);
	assert_int_equal(count(db, "builds"), 1);

	/* Deleting the app takes everything under it. */
	assert_int_equal(db_execp(db, &e, "DELETE FROM apps WHERE id = $1", "myapp"), 1);
	assert_int_equal(count(db, "configs"), 0);
	assert_int_equal(count(db, "builds"), 0);
	assert_int_equal(count(db, "releases"), 0);
	assert_int_equal(count(db, "containers"), 0);
	assert_int_equal(count(db, "domains"), 0);
	assert_int_equal(count(db, "pushes"), 0);
	assert_int_equal(db_execp(db, &e, "DELETE FROM users WHERE username = $1", "owner"), 1);
}

static void
test_statement_cache(void **state)
{
	struct db *db = *state;
	struct err e = { 0 };
	char sql[64];
	int round, i;

	struct timespec t0, t1;

	/* A cached point query: what one API read costs in the database layer. */
	add_user(db, "bench");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 2000; i++) {
		struct db_res *res = db_queryp(db, &e, "SELECT id, username, is_superuser FROM users "
					       "WHERE username = $1", "bench");

		assert_int_equal(db_res_nrows(res), 1);
		db_res_free(res);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("# %s: cached point query %.1f us\n",
		      db_kind(db) == DB_SQLITE ? "sqlite" : "postgres",
		      ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 2000 / 1e3);

	/* More distinct statements than cache slots, twice: eviction works. */
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 300; i++) {
			struct db_res *res;

			snprintf(sql, sizeof(sql), "SELECT %d AS n", i);
			res = db_query(db, sql, 0, NULL, &e);
			if (res == NULL)
				fail_msg("'%s': %s", sql, e.msg);
			assert_int_equal(db_res_getll(res, 0, 0, -1), i);
			db_res_free(res);
		}
	}
}

struct writer {
	int id;
	int n;
	int failures;
	char msg[sizeof(((struct err *)0)->msg)];	/* a whole error message */
};

/* Each writer does n read-modify-write transactions on one counter. */
static void *
writer_run(void *arg)
{
	struct writer *w = arg;
	struct err e = { 0 };
	struct db *db = db_open(cur_url, &e);
	int i;

	if (db == NULL) {
		w->failures = w->n;
		snprintf(w->msg, sizeof(w->msg), "%s", e.msg);
		return NULL;
	}
	for (i = 0; i < w->n; i++) {
		struct db_res *res;
		char v[32], now[DB_TIME_LEN];

		db_now(now);
		if (db_begin(db, &e) < 0)
			goto fail;
		res = db_queryp(db, &e, "SELECT value FROM settings WHERE key = $1", "counter");
		if (res == NULL)
			goto fail;
		snprintf(v, sizeof(v), "%lld", db_res_getll(res, 0, 0, 0) + 1);
		db_res_free(res);
		if (db_execp(db, &e, "UPDATE settings SET value = $1, updated = $2 WHERE key = $3",
			     v, now, "counter") != 1)
			goto fail;
		if (db_commit(db, &e) < 0)
			goto fail;
		/* And a write outside any transaction. */
		snprintf(v, sizeof(v), "w%d-%d", w->id, i);
		if (db_execp(db, &e, "INSERT INTO settings (key, value, updated) VALUES ($1, $2, $3)",
			     v, "x", now) != 1)
			goto fail;
		continue;
fail:
		db_rollback(db);
		w->failures++;
		snprintf(w->msg, sizeof(w->msg), "%s", e.msg);
	}
	db_close(db);
	return NULL;
}

static void
test_concurrent_writers(void **state)
{
	struct db *db = *state;
	struct writer w[3] = { { 0, 150, 0, "" }, { 1, 150, 0, "" }, { 2, 150, 0, "" } };
	pthread_t t[3];
	struct db_res *res;
	struct err e = { 0 };
	struct timespec t0, t1;
	size_t i;

	EXEC_OK(db, "INSERT INTO settings (key, value, updated) VALUES ($1, '0', 'x')", "counter");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < ARRAY_SIZE(w); i++)
		assert_int_equal(pthread_create(&t[i], NULL, writer_run, &w[i]), 0);
	for (i = 0; i < ARRAY_SIZE(w); i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (i = 0; i < ARRAY_SIZE(w); i++)
		if (w[i].failures)
			fail_msg("writer %zu: %d failures, last: %s", i, w[i].failures, w[i].msg);
	res = db_queryp(db, &e, "SELECT value FROM settings WHERE key = $1", "counter");
	assert_non_null(res);
	/* No lost update: transactions were serialized. */
	assert_string_equal(db_res_get(res, 0, 0), "450");
	db_res_free(res);
	assert_int_equal(count(db, "settings"), 451);
	print_message("# %s: 3 writers x 150 (tx + autocommit insert) in %.0f ms\n",
		      db_kind(db) == DB_SQLITE ? "sqlite" : "postgres",
		      (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
}

/* Holds the write transaction for a while, on its own connection. */
static void *
holder_run(void *arg)
{
	struct err e = { 0 };
	struct db *db = db_open(cur_url, &e);
	struct timespec d = { 0, 300 * 1000 * 1000 };
	int *ok = arg;

	if (db == NULL || db_begin(db, &e) < 0)
		return NULL;
	*ok = 1;
	db_execp(db, &e, "INSERT INTO settings (key, value, updated) VALUES ($1, '1', 'x')", "holder");
	nanosleep(&d, NULL);
	db_commit(db, &e);
	db_close(db);
	return NULL;
}

static void
test_writer_waits(void **state)
{
	struct db *db = *state;
	struct err e = { 0 };
	pthread_t t;
	volatile int started = 0;
	struct timespec d = { 0, 5 * 1000 * 1000 };
	int i;

	assert_int_equal(pthread_create(&t, NULL, holder_run, (void *)&started), 0);
	for (i = 0; i < 1000 && !started; i++)
		nanosleep(&d, NULL);
	assert_true(started);
	/* Blocks until the holder commits, then succeeds and sees its row. */
	assert_int_equal(db_begin(db, &e), 0);
	assert_int_equal(count(db, "settings"), 1);
	assert_int_equal(db_commit(db, &e), 0);
	pthread_join(t, NULL);
}

static void *
opener_run(void *arg)
{
	struct err e = { 0 };
	struct db *db = db_open(arg, &e);

	if (db == NULL)
		return xstrdup(e.msg);
	db_close(db);
	return NULL;
}

/* Several connections migrating an empty database at once: one does it. */
static void
test_concurrent_first_open(void **state)
{
	struct db *db = *state, *check;
	struct err e = { 0 };
	pthread_t t[4];
	char *url, *msg;
	struct db_res *res;
	size_t i;

	if (db_kind(db) == DB_SQLITE) {
		url = xasprintf("sqlite://%s/fresh.db", sqlite_dir);
	} else {
		url = xstrdup(cur_url);
		exec_ok(db, "DROP SCHEMA public CASCADE", 0, NULL);
		exec_ok(db, "CREATE SCHEMA public", 0, NULL);
	}
	for (i = 0; i < ARRAY_SIZE(t); i++)
		assert_int_equal(pthread_create(&t[i], NULL, opener_run, url), 0);
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		pthread_join(t[i], (void **)&msg);
		if (msg)
			fail_msg("concurrent open: %s", msg);
	}
	check = db_open(url, &e);
	assert_non_null(check);
	res = db_query(check, "SELECT version, COUNT(*) FROM schema_migrations GROUP BY version "
		       "HAVING COUNT(*) <> 1", 0, NULL, &e);
	assert_non_null(res);
	assert_int_equal(db_res_nrows(res), 0);
	db_res_free(res);
	assert_int_equal(count(check, "users"), 0);
	db_close(check);
	free(url);
}

static void
test_sqlite_settings(void **state)
{
	struct db *db = *state;
	struct err e = { 0 };
	struct db_res *res;
	struct stat st;

	if (db_kind(db) != DB_SQLITE)
		skip();
	res = db_query(db, "PRAGMA journal_mode", 0, NULL, &e);
	assert_non_null(res);
	assert_string_equal(db_res_get(res, 0, 0), "wal");
	db_res_free(res);
	res = db_query(db, "PRAGMA synchronous", 0, NULL, &e);
	assert_non_null(res);
	assert_string_equal(db_res_get(res, 0, 0), "2");	/* FULL */
	db_res_free(res);
	res = db_query(db, "PRAGMA foreign_keys", 0, NULL, &e);
	assert_non_null(res);
	assert_string_equal(db_res_get(res, 0, 0), "1");
	db_res_free(res);
	assert_int_equal(stat(sqlite_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* URL forms. */
	{
		char url[160];
		struct db *db2;

		db2 = db_open(sqlite_path, &e);
		assert_non_null(db2);
		db_close(db2);
		snprintf(url, sizeof(url), "sqlite://%s", sqlite_path);
		db2 = db_open(url, &e);
		assert_non_null(db2);
		assert_int_equal(db_kind(db2), DB_SQLITE);
		db_close(db2);
		assert_null(db_open("sqlite:///nonexistent-dir/x.db", &e));
		assert_non_null(strstr(e.msg, "nonexistent-dir"));
		assert_null(db_open("", &e));
	}
}

static void
test_pg_reconnect(void **state)
{
	struct db *db = *state, *killer;
	struct err e = { 0 };
	struct db_res *res;
	char pid[32];

	if (db_kind(db) != DB_POSTGRES)
		skip();
	res = db_query(db, "SELECT current_setting('application_name'), "
		       "current_setting('lock_timeout')", 0, NULL, &e);
	assert_non_null(res);
	assert_string_equal(db_res_get(res, 0, 0), "deis-controller");
	assert_string_equal(db_res_get(res, 0, 1), "10s");
	db_res_free(res);

	res = db_query(db, "SELECT pg_backend_pid()", 0, NULL, &e);
	assert_non_null(res);
	snprintf(pid, sizeof(pid), "%s", db_res_get(res, 0, 0));
	db_res_free(res);
	killer = open_ok();
	res = db_queryp(killer, &e, "SELECT pg_terminate_backend(CAST($1 AS INTEGER))", pid);
	assert_non_null(res);
	db_res_free(res);
	db_close(killer);
	/* The next statement reconnects (outside a transaction) and works. */
	add_user(db, "after-reconnect");
	assert_int_equal(count(db, "users"), 1);

	/* Inside a transaction the loss is reported, and rollback recovers. */
	res = db_query(db, "SELECT pg_backend_pid()", 0, NULL, &e);
	assert_non_null(res);
	snprintf(pid, sizeof(pid), "%s", db_res_get(res, 0, 0));
	db_res_free(res);
	killer = open_ok();
	assert_int_equal(db_begin(db, &e), 0);
	res = db_queryp(killer, &e, "SELECT pg_terminate_backend(CAST($1 AS INTEGER))", pid);
	db_res_free(res);
	db_close(killer);
	assert_int_equal(db_execp(db, &e, "DELETE FROM users WHERE username = $1", "after-reconnect"), -1);
	assert_int_equal(e.code, DB_ERR_BUSY);
	assert_int_equal(db_rollback(db), 0);
	assert_int_equal(count(db, "users"), 1);

	assert_null(db_open("postgresql:///deis?host=/nonexistent-dir&connect_timeout=2", &e));
	assert_int_equal(e.code, DB_ERR_BUSY);
}

/* Backend-independent helpers: run once. */
static void
test_passwords(void **state)
{
	char h1[DB_PWHASH_LEN], h2[DB_PWHASH_LEN];
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(db_hash_password("s3cret pässword", h1), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("# argon2id hash: %.1f ms\n",
		      (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	assert_int_equal(db_hash_password("s3cret pässword", h2), 0);
	assert_true(strncmp(h1, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
	assert_string_not_equal(h1, h2);	/* salted */
	assert_true(db_check_password(h1, "s3cret pässword"));
	assert_true(db_check_password(h2, "s3cret pässword"));
	assert_false(db_check_password(h1, "s3cret password"));
	assert_false(db_check_password(h1, ""));
	assert_false(db_check_password(NULL, "x"));
	assert_false(db_check_password("!", "!"));
	assert_false(db_check_password("$argon2id$garbage", "x"));
	assert_int_equal(db_hash_password("", h1), 0);
	assert_true(db_check_password(h1, ""));
	{
		char *big = xmalloc(5000);

		memset(big, 'a', 4999);
		big[4999] = '\0';
		assert_int_equal(db_hash_password(big, h1), -1);
		free(big);
	}
}

static void
test_tokens_and_ids(void **state)
{
	char t1[DB_TOKEN_LEN], t2[DB_TOKEN_LEN], h[DB_HASH_LEN], u[DB_UUID_LEN];
	char n1[DB_TIME_LEN], n2[DB_TIME_LEN];
	size_t i;

	db_token_new(t1);
	db_token_new(t2);
	assert_int_equal(strlen(t1), 40);
	for (i = 0; i < 40; i++)
		assert_true(isxdigit((unsigned char)t1[i]) && !isupper((unsigned char)t1[i]));
	assert_string_not_equal(t1, t2);

	db_token_hash("abc", h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	db_token_hash("", h);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	assert_true(db_secret_eq("abc", "abc"));
	assert_false(db_secret_eq("abc", "abd"));
	assert_false(db_secret_eq("abc", "abcd"));
	assert_false(db_secret_eq(NULL, "abc"));

	db_uuid_new(u);
	assert_int_equal(strlen(u), 36);
	assert_true(u[8] == '-' && u[13] == '-' && u[18] == '-' && u[23] == '-');
	assert_true(u[14] == '4');
	assert_non_null(strchr("89ab", u[19]));

	db_now(n1);
	db_now(n2);
	assert_int_equal(strlen(n1), 27);
	assert_true(n1[10] == 'T' && n1[19] == '.' && n1[26] == 'Z');
	assert_true(strcmp(n1, n2) <= 0);
}

#define BACKEND_TESTS \
	cmocka_unit_test_setup_teardown(test_migrations_idempotent, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_unique_and_constraints, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_null_params_and_results, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_params, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_exec_counts_and_returning, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_transactions, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_cascades, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_statement_cache, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_writer_waits, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_concurrent_first_open, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_sqlite_settings, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_pg_reconnect, setup, teardown)

int
main(void)
{
	const struct CMUnitTest helpers[] = {
		cmocka_unit_test(test_passwords),
		cmocka_unit_test(test_tokens_and_ids),
	};
	const struct CMUnitTest sqlite_tests[] = { BACKEND_TESTS };
	const struct CMUnitTest pg_tests[] = { BACKEND_TESTS };
	const char *pg = getenv("DEIS_TEST_PG_URL");
	int failed = 0;

	failed += cmocka_run_group_tests_name("db helpers", helpers, NULL, NULL);

	snprintf(sqlite_dir, sizeof(sqlite_dir), "/tmp/test-db.XXXXXX");
	if (mkdtemp(sqlite_dir) == NULL)
		die(1, "mkdtemp: cannot create '%s'", sqlite_dir);
	snprintf(sqlite_path, sizeof(sqlite_path), "%s/test.db", sqlite_dir);
	cur_url = xasprintf("sqlite://%s", sqlite_path);
	failed += cmocka_run_group_tests_name("db sqlite", sqlite_tests, NULL, NULL);
	free(cur_url);
	{
		static const char *const names[] = {
			"test.db", "test.db-wal", "test.db-shm", "fresh.db", "fresh.db-wal", "fresh.db-shm",
		};
		char *f;
		size_t i;

		for (i = 0; i < ARRAY_SIZE(names); i++) {
			f = xasprintf("%s/%s", sqlite_dir, names[i]);
			unlink(f);
			free(f);
		}
		rmdir(sqlite_dir);
	}

	if (pg && *pg) {
		cur_url = xstrdup(pg);
		failed += cmocka_run_group_tests_name("db postgres", pg_tests, NULL, NULL);
		free(cur_url);
	} else {
		print_message("# db postgres: skipped (DEIS_TEST_PG_URL not set)\n");
	}
	return failed ? 1 : 0;
}
