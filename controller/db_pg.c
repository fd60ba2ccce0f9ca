/*
 * PostgreSQL backend of controller/db.h through libpq: one PGconn per struct
 * db, statements prepared once per connection (named "s<N>") and executed
 * with text parameters and text results.
 *
 * Writers are serialized with a transaction-scoped advisory lock taken by
 * db_begin(), so that a transaction sees what SQLite's BEGIN IMMEDIATE gives:
 * nobody else writes between its reads and its writes. The controller's write
 * rate is low; identical semantics on both engines are worth more.
 *
 * A lost connection is reset and the statement retried once, unless a
 * transaction was open (its work is gone: the caller gets DB_ERR_BUSY and
 * rolls back, which resets the connection).
 */
#define DB_BACKEND_PRIVATE
#include "controller/db.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "lib/xalloc.h"

#define CACHE_SLOTS	128
/* Arbitrary, fixed: the key of the writers' advisory lock ("deis"). */
#define WRITE_LOCK_KEY	"1684367731"

struct stmt_slot {
	char *sql;
	char name[16];
};

struct pg_conn {
	PGconn *h;
	unsigned long long next_id;
	struct stmt_slot cache[CACHE_SLOTS];
};

static struct pg_conn *
conn_of(struct db *db)
{
	return db->impl;
}

/* First line of libpq's message, without the "ERROR:  " decoration. */
static const char *
pg_msg(PGconn *h, const PGresult *r)
{
	const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (m == NULL)
		m = PQerrorMessage(h);
	return m && *m ? m : "unknown error";
}

static int
pg_err(PGconn *h, const PGresult *r, const char *what, struct err *e)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	char msg[200];
	int code = DB_ERR_INTERNAL;
	size_t n;

	if (PQstatus(h) == CONNECTION_BAD)
		code = DB_ERR_BUSY;
	else if (state == NULL)
		code = DB_ERR_INTERNAL;
	else if (strcmp(state, "23505") == 0)		/* unique_violation */
		code = DB_ERR_UNIQUE;
	else if (strncmp(state, "23", 2) == 0)		/* other integrity violations */
		code = DB_ERR_CONSTRAINT;
	else if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
		 strcmp(state, "55P03") == 0 || strcmp(state, "57014") == 0 ||
		 strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
		code = DB_ERR_BUSY;	/* serialization, deadlock, lock/statement timeout, gone */
	else if (strcmp(state, "53100") == 0)		/* disk_full */
		code = DB_ERR_FULL;
	snprintf(msg, sizeof(msg), "%s", pg_msg(h, r));
	n = strcspn(msg, "\n");
	msg[n] = '\0';
	return err_set(e, code, "%s: %s", what, msg);
}

static void
cache_clear(struct pg_conn *c)
{
	size_t i;

	for (i = 0; i < CACHE_SLOTS; i++) {
		free(c->cache[i].sql);
		c->cache[i].sql = NULL;
	}
}

static uint32_t
sql_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* The server-side name of sql's prepared statement, preparing it if needed. */
static const char *
stmt_get(struct pg_conn *c, const char *sql, struct err *e)
{
	struct stmt_slot *slot = &c->cache[sql_hash(sql) % CACHE_SLOTS];
	char name[16];
	PGresult *r;

	if (slot->sql && strcmp(slot->sql, sql) == 0)
		return slot->name;
	snprintf(name, sizeof(name), "s%llu", c->next_id++);
	r = PQprepare(c->h, name, sql, 0, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		pg_err(c->h, r, "cannot prepare statement", e);
		PQclear(r);
		return NULL;
	}
	PQclear(r);
	if (slot->sql) {
		/* Evict: free the server's copy too (failure only leaks it). */
		char dealloc[32];

		snprintf(dealloc, sizeof(dealloc), "DEALLOCATE %s", slot->name);
		PQclear(PQexec(c->h, dealloc));
		free(slot->sql);
	}
	slot->sql = xstrdup(sql);
	memcpy(slot->name, name, sizeof(name));
	return slot->name;
}

static struct db_res *
res_from_pg(PGresult *r)
{
	struct db_res *res = xcalloc(1, sizeof(*res));
	int row, col;

	res->pgres = r;
	res->nrows = PQntuples(r);
	res->ncols = PQnfields(r);
	res->names = xcalloc((size_t)res->ncols + 1, sizeof(*res->names));
	res->cells = xcalloc((size_t)res->nrows * (size_t)res->ncols + 1, sizeof(*res->cells));
	for (col = 0; col < res->ncols; col++)
		res->names[col] = PQfname(r, col);
	for (row = 0; row < res->nrows; row++)
		for (col = 0; col < res->ncols; col++)
			res->cells[(size_t)row * (size_t)res->ncols + (size_t)col] =
				PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
	return res;
}

void
db_pg_res_clear(void *pgres)
{
	PQclear(pgres);
}

static int
parse_changed(const char *s)
{
	long v;
	char *end;

	if (s == NULL || *s == '\0')
		return 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 0 || v > INT32_MAX)
		return 0;
	return (int)v;
}

static struct db_res *
pg_query_once(struct db *db, const char *sql, int n, const char *const *params, int *changed,
	      struct err *e)
{
	struct pg_conn *c = conn_of(db);
	const char *name;
	PGresult *r;

	name = stmt_get(c, sql, e);
	if (name == NULL)
		return NULL;
	r = PQexecPrepared(c->h, name, n, params, NULL, NULL, 0);
	switch (PQresultStatus(r)) {
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		/* SELECT reports its rows in the command tag: not changes. */
		if (strncmp(PQcmdStatus(r), "SELECT", 6) != 0)
			*changed = parse_changed(PQcmdTuples(r));
		return res_from_pg(r);
	default:
		pg_err(c->h, r, "cannot run statement", e);
		PQclear(r);
		return NULL;
	}
}

/* Reconnect after the server went away; prepared statements are gone with it. */
static int
pg_reset(struct pg_conn *c)
{
	cache_clear(c);
	PQreset(c->h);
	return PQstatus(c->h) == CONNECTION_OK ? 0 : -1;
}

static struct db_res *
pg_query(struct db *db, const char *sql, int n, const char *const *params, int *changed,
	 struct err *e)
{
	struct pg_conn *c = conn_of(db);
	struct db_res *res;

	*changed = 0;
	if (PQstatus(c->h) == CONNECTION_BAD && !db->in_tx)
		pg_reset(c);
	res = pg_query_once(db, sql, n, params, changed, e);
	if (res == NULL && PQstatus(c->h) == CONNECTION_BAD && !db->in_tx &&
	    pg_reset(c) == 0)
		res = pg_query_once(db, sql, n, params, changed, e);
	return res;
}

static int
pg_script(struct db *db, const char *sql, struct err *e)
{
	struct pg_conn *c = conn_of(db);
	PGresult *r;
	int rc = 0;

	/* The simple query protocol runs several statements in one call. */
	r = PQexec(c->h, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		rc = pg_err(c->h, r, "cannot run script", e);
	PQclear(r);
	return rc;
}

static int
simple(struct db *db, const char *sql, struct err *e)
{
	int changed;
	struct db_res *res = pg_query(db, sql, 0, NULL, &changed, e);

	if (res == NULL)
		return -1;
	db_res_free(res);
	return 0;
}

static int
pg_begin(struct db *db, struct err *e)
{
	struct pg_conn *c = conn_of(db);

	if (simple(db, "BEGIN", e) < 0)
		return -1;
	if (simple(db, "SELECT pg_advisory_xact_lock(" WRITE_LOCK_KEY ")", e) < 0) {
		PQclear(PQexec(c->h, "ROLLBACK"));
		return -1;
	}
	return 0;
}

static int
pg_commit(struct db *db, struct err *e)
{
	struct pg_conn *c = conn_of(db);
	PGresult *r;
	int rc = 0;

	/* COMMIT of a failed transaction "succeeds" as a ROLLBACK: catch that. */
	r = PQexec(c->h, "COMMIT");
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pg_err(c->h, r, "cannot commit", e);
	else if (strcmp(PQcmdStatus(r), "COMMIT") != 0)
		rc = err_set(e, DB_ERR_INTERNAL, "cannot commit: the transaction had failed");
	PQclear(r);
	return rc;
}

static int
pg_rollback(struct db *db)
{
	struct pg_conn *c = conn_of(db);
	PGresult *r;
	int rc = 0;

	if (PQstatus(c->h) == CONNECTION_BAD)
		return pg_reset(c);
	r = PQexec(c->h, "ROLLBACK");
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = -1;
	PQclear(r);
	if (rc < 0 && PQstatus(c->h) == CONNECTION_BAD)
		rc = pg_reset(c);
	return rc;
}

static void
pg_close(struct db *db)
{
	struct pg_conn *c = conn_of(db);

	cache_clear(c);
	PQfinish(c->h);
	free(c);
	free(db);
}

static const struct db_ops pg_ops = {
	.close = pg_close,
	.query = pg_query,
	.script = pg_script,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.serial_pk = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
};

/* Notices ("relation already exists, skipping") are not worth a log line. */
static void
notice_ignore(void *arg, const char *message)
{
}

struct db *
db_pg_open(const char *conninfo, struct err *e)
{
	struct pg_conn *c;
	struct db *db;
	char msg[200];

	c = xcalloc(1, sizeof(*c));
	db = xcalloc(1, sizeof(*db));
	db->ops = &pg_ops;
	db->kind = DB_POSTGRES;
	db->impl = c;
	{
		/*
		 * Defaults first: what conninfo says (expanded from "dbname") wins.
		 * A server that vanishes without a reset (its network gone) must not
		 * hold the loop thread for TCP's ~15 minutes: keepalives find a
		 * silent peer in ~30 s, tcp_user_timeout unacknowledged data in 30 s;
		 * the connection then reports CONNECTION_BAD and is reset.
		 */
		static const char *const keys[] = {
			"connect_timeout", "application_name", "keepalives", "keepalives_idle",
			"keepalives_interval", "keepalives_count", "tcp_user_timeout", "dbname", NULL,
		};
		const char *vals[] = { "10", "deis-controller", "1", "15", "5", "3", "30000",
		    conninfo, NULL };

		c->h = PQconnectdbParams(keys, vals, 1);
	}
	if (c->h == NULL) {
		err_set(e, DB_ERR_BUSY, "cannot connect to PostgreSQL: out of memory");
		goto fail;
	}
	if (PQstatus(c->h) != CONNECTION_OK) {
		/* Never echo the conninfo: it may hold a password. */
		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c->h));
		msg[strcspn(msg, "\n")] = '\0';
		err_set(e, DB_ERR_BUSY, "cannot connect to PostgreSQL: %s", msg);
		goto fail;
	}
	PQsetNoticeProcessor(c->h, notice_ignore, NULL);
	if (PQsetClientEncoding(c->h, "UTF8") != 0) {
		err_set(e, DB_ERR_INTERNAL, "cannot set client encoding UTF8");
		goto fail;
	}
	/* Wait for another writer as long as SQLite's busy timeout does. */
	if (pg_script(db, "SET TIME ZONE 'UTC'; SET lock_timeout = '10s'", e) < 0)
		goto fail;
	return db;
fail:
	pg_close(db);
	return NULL;
}
