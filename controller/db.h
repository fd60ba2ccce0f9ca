#ifndef CONTROLLER_DB_H
#define CONTROLLER_DB_H
/*
 * The controller's storage: one narrow interface, two backends (SQLite, the
 * default, and PostgreSQL through libpq) that pass the same test suite
 * (t/unit/test-db.c).
 *
 * Threads: a struct db is one connection and belongs to one thread at a time.
 * The HTTP loop opens one, every scheduler worker opens its own with the same
 * URL. Nothing here is shared between connections except the database itself.
 *
 * SQL is written once, with $1, $2, ... placeholders, in the dialect both
 * engines accept:
 *   - types TEXT and INTEGER (booleans are INTEGER 0/1), no REAL;
 *   - timestamps are TEXT, UTC, from db_now(): "2026-11-26T10:28:48.123456Z",
 *     so they sort as strings;
 *   - parameters travel as text: PostgreSQL infers a parameter's type from its
 *     context, so a parameter with no context (`SELECT $1`, `$1 IS NULL`)
 *     needs a CAST($1 AS TEXT) / CAST($1 AS INTEGER);
 *   - INSERT ... ON CONFLICT (...) DO UPDATE/NOTHING and RETURNING work on
 *     both; FOR UPDATE, ILIKE, `::` casts and SQLite's INSERT OR REPLACE do not;
 *   - a boolean-valued result column reads "t"/"f" on PostgreSQL but "1"/"0"
 *     on SQLite: select CASE WHEN ... THEN 1 ELSE 0 END or a COUNT instead;
 *   - LIKE ignores ASCII case on SQLite only: compare lower(x) = lower($1);
 *   - NULLs sort first on SQLite and last on PostgreSQL: say NULLS FIRST/LAST
 *     when it matters; text order follows the PostgreSQL collation, so order
 *     by timestamps, integers or ASCII ids when the order is part of the API.
 * Every placeholder in the SQL must be given and every parameter must appear
 * (both engines refuse a mismatch). Statements are prepared once per
 * connection and SQL text, and cached: pass string constants, never SQL built
 * from user input.
 *
 * Errors fill struct err (lib/err.h); e->code tells the caller what happened:
 */
#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"

#define DB_ERR_UNIQUE		409	/* unique or primary key violation */
#define DB_ERR_CONSTRAINT	400	/* foreign key, NOT NULL or CHECK violation */
#define DB_ERR_BUSY		503	/* locked past the busy timeout, connection lost, deadlock */
#define DB_ERR_FULL		507	/* the database's disk is full: nothing can be written */
#define DB_ERR_INTERNAL		500	/* anything else (bad SQL, I/O error, ...) */

struct db;
struct db_res;

enum db_kind { DB_SQLITE, DB_POSTGRES };

/*
 * Open a connection and apply pending migrations (controller/schema/NNNN_*.sql,
 * recorded in table schema_migrations) in one transaction, serialized against
 * other processes opening the same database. url is one of:
 *   sqlite:///abs/path.db, sqlite://rel/path.db, or a plain path (SQLite:
 *     created mode 0600 if missing; WAL, synchronous=FULL, foreign_keys=ON,
 *     busy timeout 10 s);
 *   postgres://... or postgresql://... (libpq URI), or a libpq conninfo string
 *     such as "host=/tmp/pg port=5432 dbname=deis" (anything containing '=').
 * PostgreSQL defaults: connect_timeout=10, application_name=deis-controller,
 * lock_timeout 10 s (the url may override the first two).
 * A database migrated by a newer controller (unknown version) is refused.
 * When the schema is current, opening takes no lock (so it never waits for
 * another connection's transaction).
 * Returns NULL and fills e on failure. Free with db_close().
 */
struct db *db_open(const char *url, struct err *e);
/* Closes the connection; rolls back an open transaction. Accepts NULL. */
void db_close(struct db *db);
enum db_kind db_kind(const struct db *db);

/*
 * Run one statement that returns rows (SELECT, or INSERT/UPDATE/DELETE ...
 * RETURNING). params[i] is the value of $(i+1) as text, NULL for SQL NULL.
 * Returns a result the caller owns (free with db_res_free()), or NULL with e
 * filled. A result with zero rows is not an error.
 */
struct db_res *db_query(struct db *db, const char *sql, int nparams,
			const char *const *params, struct err *e);
/* Run one statement; returns the number of rows it changed, or -1 with e filled. */
int db_exec(struct db *db, const char *sql, int nparams, const char *const *params,
	    struct err *e);

/*
 * Conveniences with the parameters inline; NULL is SQL NULL:
 *     res = db_queryp(db, &e, "SELECT id FROM apps WHERE owner = $1 AND id = $2", user, id);
 *     n = db_execp(db, &e, "DELETE FROM apps WHERE id = $1", id);
 * They need at least one parameter; without any, call db_query(db, sql, 0, NULL, e).
 */
#define DB_NARGS_(...) ((int)(sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(const char *)))
#define db_queryp(db, e, sql, ...) \
	db_query((db), (sql), DB_NARGS_(__VA_ARGS__), (const char *const[]){ __VA_ARGS__ }, (e))
#define db_execp(db, e, sql, ...) \
	db_exec((db), (sql), DB_NARGS_(__VA_ARGS__), (const char *const[]){ __VA_ARGS__ }, (e))

/*
 * Results: every value is text (integers in decimal), NULL for SQL NULL.
 * Strings stay valid until db_res_free(). Out-of-range row or col gives NULL.
 */
int db_res_nrows(const struct db_res *res);
int db_res_ncols(const struct db_res *res);
const char *db_res_get(const struct db_res *res, int row, int col);
const char *db_res_colname(const struct db_res *res, int col);
/* Index of the column named name, or -1. */
int db_res_col(const struct db_res *res, const char *name);
/* The value as an integer; def when NULL, out of range or not an integer. */
long long db_res_getll(const struct db_res *res, int row, int col, long long def);
void db_res_free(struct db_res *res);

/*
 * Transactions: one per API mutation. db_begin() starts a write transaction
 * and writers are serialized on both engines (SQLite: BEGIN IMMEDIATE, waiting
 * up to the busy timeout; PostgreSQL: BEGIN plus a transaction-scoped advisory
 * lock), so read-then-write inside it is safe. No nesting: db_begin() inside a
 * transaction fails. After an error inside a transaction, call db_rollback()
 * (PostgreSQL refuses any further statement of a failed transaction; SQLite
 * would carry on, so do not rely on that). A db_commit() that fails has rolled
 * back already.
 * db_rollback() outside a transaction does nothing; it returns 0 or -1 (the
 * connection is then unusable for transactions; close it).
 */
int db_begin(struct db *db, struct err *e);
int db_commit(struct db *db, struct err *e);
int db_rollback(struct db *db);
bool db_in_tx(const struct db *db);

/* Now as stored: UTC "YYYY-MM-DDTHH:MM:SS.ffffffZ". */
#define DB_TIME_LEN 28
void db_now(char out[DB_TIME_LEN]);
/* A random (version 4) UUID, lower case, 36 chars + NUL. */
#define DB_UUID_LEN 37
void db_uuid_new(char out[DB_UUID_LEN]);

/* Passwords and API tokens (their formats are the schema's): secrets.h. */
#include "controller/secrets.h"

/* ---- private to controller/db*.c: the backend interface ---------------- */
#ifdef DB_BACKEND_PRIVATE
#include "lib/buf.h"

struct db_migration {
	int version;
	const char *name;
	const char *sql;	/* may hold several statements; @SERIAL_PK@ is expanded */
};
extern const struct db_migration db_migrations[];	/* ends with version 0 */

struct db_ops {
	void (*close)(struct db *db);
	/* One statement; *changed gets the rows it changed. */
	struct db_res *(*query)(struct db *db, const char *sql, int n,
				const char *const *params, int *changed, struct err *e);
	/* Several statements, no parameters, no result (migrations). */
	int (*script)(struct db *db, const char *sql, struct err *e);
	int (*begin)(struct db *db, struct err *e);
	int (*commit)(struct db *db, struct err *e);
	int (*rollback)(struct db *db);
	const char *serial_pk;		/* expansion of @SERIAL_PK@ */
};

struct db {
	const struct db_ops *ops;
	enum db_kind kind;
	bool in_tx;
	void *impl;			/* the backend's connection state */
};

struct db_res {
	int nrows, ncols;
	const char **cells;		/* nrows * ncols, row-major; NULL = SQL NULL */
	const char **names;		/* ncols */
	char *mem;			/* backing store (SQLite) or NULL */
	void *pgres;			/* PGresult * backing the strings (PostgreSQL) */
};

struct db *db_sqlite_open(const char *path, struct err *e);
struct db *db_pg_open(const char *conninfo, struct err *e);
void db_pg_res_clear(void *pgres);
#endif

#endif
