/*
 * The backend-independent half of the storage layer: URL dispatch,
 * migrations, transactions, result accessors, and the UUIDs and times whose
 * formats the schema fixes. Passwords and tokens: secrets.c.
 */
#define DB_BACKEND_PRIVATE
#include "controller/db.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/secrets.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

static int
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Replace every @SERIAL_PK@ of a migration with the backend's spelling. */
static char *
migration_expand(const char *sql, const char *serial_pk)
{
	static const char token[] = "@SERIAL_PK@";
	struct buf b = BUF_INIT;
	const char *p;

	while ((p = strstr(sql, token)) != NULL) {
		buf_add(&b, sql, (size_t)(p - sql));
		buf_addstr(&b, serial_pk);
		sql = p + sizeof(token) - 1;
	}
	buf_addstr(&b, sql);
	return buf_detach(&b, NULL);
}

/*
 * Apply what schema_migrations does not list yet, all in one transaction:
 * db_begin() serializes this against another controller starting at the same
 * moment, and a failed migration leaves the schema as it was.
 */
static int
db_migrate(struct db *db, struct err *e)
{
	const struct db_migration *m;
	struct db_res *res = NULL;
	long long have = 0;
	int latest = 0;

	for (m = db_migrations; m->version; m++)
		latest = m->version;
	/*
	 * Fast path without the write lock: an up-to-date schema is the usual
	 * case, and a connection opened while another holds a long transaction
	 * should not wait for it. Any error (no table yet) takes the slow path.
	 */
	res = db_query(db, "SELECT MAX(version) FROM schema_migrations", 0, NULL, e);
	if (res != NULL) {
		have = db_res_getll(res, 0, 0, 0);
		db_res_free(res);
		if (have == latest)
			return 0;
	}
	if (db_begin(db, e) < 0)
		return -1;
	if (db->ops->script(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
			    "applied TEXT NOT NULL)", e) < 0)
		goto fail;
	res = db_query(db, "SELECT MAX(version) FROM schema_migrations", 0, NULL, e);
	if (res == NULL)
		goto fail;
	have = db_res_getll(res, 0, 0, 0);
	db_res_free(res);
	if (have > latest) {
		err_set(e, DB_ERR_INTERNAL, "database schema version %lld is newer than "
			"this controller's (%d)", have, latest);
		goto fail;
	}
	for (m = db_migrations; m->version; m++) {
		char version[16], now[DB_TIME_LEN];
		char *sql;
		int rc;

		if (m->version <= have)
			continue;
		sql = migration_expand(m->sql, db->ops->serial_pk);
		rc = db->ops->script(db, sql, e);
		free(sql);
		if (rc < 0) {
			/* Keep the backend's words, say which migration. */
			struct err inner = *e;

			err_set(e, inner.code, "cannot apply migration '%s': %s", m->name, inner.msg);
			goto fail;
		}
		snprintf(version, sizeof(version), "%d", m->version);
		db_now(now);
		if (db_execp(db, e, "INSERT INTO schema_migrations (version, name, applied) "
			     "VALUES ($1, $2, $3)", version, m->name, now) < 0)
			goto fail;
	}
	return db_commit(db, e);
fail:
	db_rollback(db);
	return -1;
}

struct db *
db_open(const char *url, struct err *e)
{
	struct db *db;

	if (url == NULL || *url == '\0') {
		err_set(e, DB_ERR_INTERNAL, "empty database url");
		return NULL;
	}
	if (has_prefix(url, "postgres://") || has_prefix(url, "postgresql://"))
		db = db_pg_open(url, e);
	else if (has_prefix(url, "sqlite://"))
		db = db_sqlite_open(url + strlen("sqlite://"), e);
	else if (has_prefix(url, "sqlite:"))
		db = db_sqlite_open(url + strlen("sqlite:"), e);
	else if (strchr(url, '=') != NULL)
		db = db_pg_open(url, e);
	else
		db = db_sqlite_open(url, e);
	if (db == NULL)
		return NULL;
	if (db_migrate(db, e) < 0) {
		db_close(db);
		return NULL;
	}
	return db;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	/* Both engines roll back an open transaction when the connection ends. */
	db->ops->close(db);
}

enum db_kind
db_kind(const struct db *db)
{
	return db->kind;
}

struct db_res *
db_query(struct db *db, const char *sql, int nparams, const char *const *params,
	 struct err *e)
{
	int changed;

	return db->ops->query(db, sql, nparams, params, &changed, e);
}

int
db_exec(struct db *db, const char *sql, int nparams, const char *const *params,
	struct err *e)
{
	struct db_res *res;
	int changed = 0;

	res = db->ops->query(db, sql, nparams, params, &changed, e);
	if (res == NULL)
		return -1;
	db_res_free(res);
	return changed;
}

int
db_res_nrows(const struct db_res *res)
{
	return res ? res->nrows : 0;
}

int
db_res_ncols(const struct db_res *res)
{
	return res ? res->ncols : 0;
}

const char *
db_res_get(const struct db_res *res, int row, int col)
{
	if (res == NULL || row < 0 || row >= res->nrows || col < 0 || col >= res->ncols)
		return NULL;
	return res->cells[(size_t)row * (size_t)res->ncols + (size_t)col];
}

const char *
db_res_colname(const struct db_res *res, int col)
{
	if (res == NULL || col < 0 || col >= res->ncols)
		return NULL;
	return res->names[col];
}

int
db_res_col(const struct db_res *res, const char *name)
{
	int i;

	for (i = 0; res && i < res->ncols; i++)
		if (strcmp(res->names[i], name) == 0)
			return i;
	return -1;
}

long long
db_res_getll(const struct db_res *res, int row, int col, long long def)
{
	const char *s = db_res_get(res, row, col);
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return def;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return def;
	return v;
}

void
db_res_free(struct db_res *res)
{
	if (res == NULL)
		return;
	if (res->pgres)
		db_pg_res_clear(res->pgres);
	free(res->cells);
	free(res->names);
	free(res->mem);
	free(res);
}

int
db_begin(struct db *db, struct err *e)
{
	if (db->in_tx)
		return err_set(e, DB_ERR_INTERNAL, "a transaction is already open");
	if (db->ops->begin(db, e) < 0)
		return -1;
	db->in_tx = true;
	return 0;
}

int
db_commit(struct db *db, struct err *e)
{
	if (!db->in_tx)
		return err_set(e, DB_ERR_INTERNAL, "no transaction is open");
	if (db->ops->commit(db, e) < 0) {
		db_rollback(db);
		return -1;
	}
	db->in_tx = false;
	return 0;
}

int
db_rollback(struct db *db)
{
	if (!db->in_tx)
		return 0;
	db->in_tx = false;
	return db->ops->rollback(db);
}

bool
db_in_tx(const struct db *db)
{
	return db->in_tx;
}

void
db_now(char out[DB_TIME_LEN])
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(out, DB_TIME_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, DB_TIME_LEN - n, ".%06ldZ", ts.tv_nsec / 1000);
}

void
db_uuid_new(char out[DB_UUID_LEN])
{
	unsigned char u[16];
	char hex[33];

	secret_random(u, sizeof(u));
	u[6] = (u[6] & 0x0f) | 0x40;	/* version 4 */
	u[8] = (u[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	secret_hex(u, sizeof(u), hex);
	snprintf(out, DB_UUID_LEN, "%.8s-%.4s-%.4s-%.4s-%.12s",
		 hex, hex + 8, hex + 12, hex + 16, hex + 20);
}
