/*
 * SQLite backend of controller/db.h: one sqlite3 handle per struct db, WAL
 * journal, synchronous=FULL (an acknowledged commit survives power loss),
 * foreign keys on, a busy timeout so that writers on other connections wait
 * instead of failing, and BEGIN IMMEDIATE so that a transaction takes the
 * write lock up front (a deferred one could not upgrade later without
 * SQLITE_BUSY, which the busy handler cannot resolve).
 */
#define DB_BACKEND_PRIVATE
#include "controller/db.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/buf.h"
#include "lib/xalloc.h"

#define BUSY_TIMEOUT_MS	10000
#define CACHE_SLOTS	128	/* prepared statements kept per connection */

struct stmt_slot {
	char *sql;
	sqlite3_stmt *st;
};

struct sqlite_conn {
	sqlite3 *h;
	struct stmt_slot cache[CACHE_SLOTS];
};

static struct sqlite_conn *
conn_of(struct db *db)
{
	return db->impl;
}

/* Map SQLite's (extended) result code to the db.h error codes. */
static int
sqlite_err(sqlite3 *h, int rc, const char *what, struct err *e)
{
	int code;

	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		code = DB_ERR_UNIQUE;
		break;
	case SQLITE_BUSY:
	case SQLITE_BUSY_SNAPSHOT:
	case SQLITE_BUSY_RECOVERY:
	case SQLITE_LOCKED:
	case SQLITE_LOCKED_SHAREDCACHE:
		code = DB_ERR_BUSY;
		break;
	default:
		if ((rc & 0xff) == SQLITE_FULL)
			code = DB_ERR_FULL;
		else
			code = (rc & 0xff) == SQLITE_CONSTRAINT ? DB_ERR_CONSTRAINT : DB_ERR_INTERNAL;
		break;
	}
	return err_set(e, code, "%s: %s", what, h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
}

static uint32_t
sql_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/*
 * The prepared statement for sql, from the cache or freshly prepared. A slot
 * holds the last statement that hashed to it: a collision only costs a
 * prepare.
 */
static sqlite3_stmt *
stmt_get(struct sqlite_conn *c, const char *sql, struct err *e)
{
	struct stmt_slot *slot = &c->cache[sql_hash(sql) % CACHE_SLOTS];
	sqlite3_stmt *st;
	const char *tail = NULL;
	int rc;

	if (slot->sql && strcmp(slot->sql, sql) == 0)
		return slot->st;
	rc = sqlite3_prepare_v3(c->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, &tail);
	if (rc != SQLITE_OK) {
		sqlite_err(c->h, rc, "cannot prepare statement", e);
		return NULL;
	}
	if (st == NULL || (tail && tail[strspn(tail, " \t\r\n;")] != '\0')) {
		sqlite3_finalize(st);
		err_set(e, DB_ERR_INTERNAL, "cannot prepare statement: expected exactly one "
			"statement in '%.60s'", sql);
		return NULL;
	}
	sqlite3_finalize(slot->st);
	free(slot->sql);
	slot->sql = xstrdup(sql);
	slot->st = st;
	return st;
}

/*
 * Bind $1..$n by name, so that "$2 ... $1 ... $2" works as in PostgreSQL.
 * Every parameter must appear in the statement and the statement must use no
 * other: PostgreSQL refuses both mismatches too.
 */
static int
stmt_bind(sqlite3 *h, sqlite3_stmt *st, int n, const char *const *params, struct err *e)
{
	char name[16];
	int i, idx, rc;

	if (sqlite3_bind_parameter_count(st) != n)
		return err_set(e, DB_ERR_INTERNAL, "statement has %d parameters, %d given",
			       sqlite3_bind_parameter_count(st), n);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "$%d", i + 1);
		idx = sqlite3_bind_parameter_index(st, name);
		if (idx == 0)
			return err_set(e, DB_ERR_INTERNAL, "statement does not use parameter '%s'",
				       name);
		/* The parameters outlive the statement's use: no copy. */
		if (params[i] == NULL)
			rc = sqlite3_bind_null(st, idx);
		else
			rc = sqlite3_bind_text(st, idx, params[i], -1, SQLITE_STATIC);
		if (rc != SQLITE_OK)
			return sqlite_err(h, rc, "cannot bind parameter", e);
	}
	return 0;
}

/* Offsets into the result's text while it grows; NOFF marks SQL NULL. */
#define NOFF SIZE_MAX

static void
offs_push(size_t **offs, size_t *n, size_t *cap, size_t v)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*offs = xrealloc(*offs, *cap * sizeof(**offs));
	}
	(*offs)[(*n)++] = v;
}

static void
text_push(struct buf *text, size_t **offs, size_t *n, size_t *cap, const char *s, size_t len)
{
	if (s == NULL) {
		offs_push(offs, n, cap, NOFF);
		return;
	}
	offs_push(offs, n, cap, text->len);
	buf_add(text, s, len);
	buf_addch(text, '\0');
}

static struct db_res *
sqlite_query(struct db *db, const char *sql, int n, const char *const *params, int *changed,
	     struct err *e)
{
	struct sqlite_conn *c = conn_of(db);
	struct buf text = BUF_INIT;
	struct db_res *res = NULL;
	sqlite3_stmt *st;
	size_t *offs = NULL, noffs = 0, cap = 0, i;
	int ncols, nrows = 0, rc, col;

	*changed = 0;
	st = stmt_get(c, sql, e);
	if (st == NULL)
		return NULL;
	if (stmt_bind(c->h, st, n, params, e) < 0)
		goto out;
	ncols = sqlite3_column_count(st);
	for (col = 0; col < ncols; col++) {
		const char *name = sqlite3_column_name(st, col);

		text_push(&text, &offs, &noffs, &cap, name ? name : "", name ? strlen(name) : 0);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (col = 0; col < ncols; col++) {
			/* text first, then its length (the documented order). */
			const char *v = (const char *)sqlite3_column_text(st, col);
			size_t len = (size_t)sqlite3_column_bytes(st, col);

			if (v == NULL && sqlite3_column_type(st, col) != SQLITE_NULL) {
				err_set(e, DB_ERR_INTERNAL, "out of memory reading a row");
				goto out;
			}
			text_push(&text, &offs, &noffs, &cap, v, len);
		}
		nrows++;
	}
	if (rc != SQLITE_DONE) {
		sqlite_err(c->h, sqlite3_extended_errcode(c->h), "cannot run statement", e);
		goto out;
	}
	if (!sqlite3_stmt_readonly(st))
		*changed = sqlite3_changes(c->h);

	res = xcalloc(1, sizeof(*res));
	res->nrows = nrows;
	res->ncols = ncols;
	res->mem = buf_detach(&text, NULL);
	res->names = xcalloc((size_t)ncols + 1, sizeof(*res->names));
	res->cells = xcalloc((size_t)nrows * (size_t)ncols + 1, sizeof(*res->cells));
	for (i = 0; i < noffs; i++) {
		const char *s = offs[i] == NOFF ? NULL : res->mem + offs[i];

		if (i < (size_t)ncols)
			res->names[i] = s;
		else
			res->cells[i - (size_t)ncols] = s;
	}
out:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	free(offs);
	buf_release(&text);
	return res;
}

static int
sqlite_script(struct db *db, const char *sql, struct err *e)
{
	struct sqlite_conn *c = conn_of(db);
	int rc;

	rc = sqlite3_exec(c->h, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sqlite_err(c->h, sqlite3_extended_errcode(c->h), "cannot run script", e);
	return 0;
}

static int
simple(struct db *db, const char *sql, struct err *e)
{
	int changed;
	struct db_res *res = sqlite_query(db, sql, 0, NULL, &changed, e);

	if (res == NULL)
		return -1;
	db_res_free(res);
	return 0;
}

static int
sqlite_begin(struct db *db, struct err *e)
{
	return simple(db, "BEGIN IMMEDIATE", e);
}

static int
sqlite_commit(struct db *db, struct err *e)
{
	return simple(db, "COMMIT", e);
}

static int
sqlite_rollback(struct db *db)
{
	struct sqlite_conn *c = conn_of(db);
	struct err e;

	/* Some errors (I/O, full disk, ...) already rolled back by themselves. */
	if (sqlite3_get_autocommit(c->h))
		return 0;
	return simple(db, "ROLLBACK", &e);
}

static void
sqlite_close(struct db *db)
{
	struct sqlite_conn *c = conn_of(db);
	size_t i;

	for (i = 0; i < CACHE_SLOTS; i++) {
		sqlite3_finalize(c->cache[i].st);
		free(c->cache[i].sql);
	}
	sqlite3_close(c->h);
	free(c);
	free(db);
}

static const struct db_ops sqlite_ops = {
	.close = sqlite_close,
	.query = sqlite_query,
	.script = sqlite_script,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.serial_pk = "INTEGER PRIMARY KEY AUTOINCREMENT",
};

/* The database holds password hashes and platform secrets: create it 0600. */
static int
file_create_private(const char *path, struct err *e)
{
	/*
	 * Only create: never open and close an existing database file. Closing any
	 * fd of a file drops every POSIX lock this process holds on it, the locks
	 * of the connections already open included; another process (the sqlite3
	 * shell, a backup) then believes it is alone, checkpoints and deletes the
	 * WAL, and what we commit afterwards goes to a deleted file (t0140 caught it).
	 */
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0 && errno == EEXIST)
		return 0;
	if (fd < 0)
		return err_set(e, DB_ERR_INTERNAL, "cannot create '%s': %s", path, strerror(errno));
	close(fd);
	return 0;
}

struct db *
db_sqlite_open(const char *path, struct err *e)
{
	static const char *const pragmas[] = {
		"PRAGMA journal_mode = WAL",
		"PRAGMA synchronous = FULL",
		"PRAGMA foreign_keys = ON",
	};
	struct sqlite_conn *c;
	struct db *db;
	size_t i;
	int rc;

	if (*path == '\0') {
		err_set(e, DB_ERR_INTERNAL, "empty SQLite database path");
		return NULL;
	}
	if (file_create_private(path, e) < 0)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	db = xcalloc(1, sizeof(*db));
	db->ops = &sqlite_ops;
	db->kind = DB_SQLITE;
	db->impl = c;
	/* One connection per thread: SQLite's own mutexes are not needed. */
	rc = sqlite3_open_v2(path, &c->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		err_set(e, DB_ERR_INTERNAL, "cannot open database '%s': %s", path,
			c->h ? sqlite3_errmsg(c->h) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(c->h, 1);
	sqlite3_busy_timeout(c->h, BUSY_TIMEOUT_MS);
	for (i = 0; i < ARRAY_SIZE(pragmas); i++) {
		int tries = 0;

		/*
		 * Switching a new database to WAL needs an exclusive lock, and SQLite
		 * answers BUSY at once (no busy handler: deadlock avoidance) while
		 * another connection opening it at the same moment holds a shared one.
		 * Retry within the busy timeout.
		 */
		while (((rc = sqlite3_exec(c->h, pragmas[i], NULL, NULL, NULL)) & 0xff) == SQLITE_BUSY &&
		    tries++ < BUSY_TIMEOUT_MS / 10) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
		if (rc != SQLITE_OK) {
			sqlite_err(c->h, sqlite3_extended_errcode(c->h), pragmas[i], e);
			goto fail;
		}
	}
	return db;
fail:
	sqlite_close(db);
	return NULL;
}
