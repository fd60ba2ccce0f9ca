/*
 * Users and their credentials: /v1/auth/{register,login,cancel,passwd,tokens},
 * /v1/users and /v1/admin/perms (shared/reference/deis-v1.md §2.4).
 *
 * Tokens are stored hashed (db_token_hash), so the server cannot hand an
 * existing token back: each login issues a new token (one per session, Deis
 * had one per user), `auth:regenerate` replaces all of a user's tokens with a
 * single new one, and `--all` deletes every token of every user. A deleted or
 * replaced token fails authentication on the next request (api.c looks every
 * token up in the database; nothing is cached).
 *
 * Every mutation runs in one transaction. A registrant never becomes an
 * administrator by default: the first one is made by the operator through the
 * local channel (`deis-controller create-admin`, `deisctl create-admin`), so
 * nobody who reaches the API before the operator can claim the platform
 * (Deis's "first registrant is admin" left that window open). With
 * --first-user-admin (the operator's explicit choice) the first registered
 * user becomes an administrator while none exists, decided inside the
 * registration's write transaction: writers are serialized (db_begin), so two
 * concurrent registrations on an empty database cannot both see "no admin".
 *
 * Failed password checks (login, passwd) are limited per username and per
 * client address (throttle.c): past the limit, checks get 429 until the
 * window ends, before any password work. The address is the client's as a
 * trusted router reports it (api_client_ip, --trusted-proxies), not the
 * router's own, which every client would share. The hashing itself runs on
 * the CPU workers (struct pw).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/admin.h"
#include "controller/db.h"
#include "controller/handlers.h"
#include "controller/jobs.h"
#include "controller/routes.h"
#include "controller/throttle.h"
#include "controller/validate.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define USER_COLS "id, username, email, first_name, last_name, is_superuser, is_staff, " \
	"is_active, last_login, date_joined"

static const char forbidden[] = "You do not have permission to perform this action.";

/*
 * An optional string field of the body, at most max bytes: *out is NULL when
 * absent or null. Returns -1 after responding 400 (wrong type, too long).
 */
static int
body_opt(struct api *a, const char *key, size_t max, const char **out)
{
	json_t *v = a->body ? json_object_get(a->body, key) : NULL;
	char msg[80];

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if ((*out = api_body_str(a, key, false)) == NULL)
		return -1;
	if (strlen(*out) > max) {
		snprintf(msg, sizeof(msg), "Ensure this field has no more than %zu characters.", max);
		api_field_error(a, key, msg);
		return -1;
	}
	return 0;
}

/* A required, non-blank string field of at most max bytes, or NULL after responding 400. */
static const char *
body_req(struct api *a, const char *key, size_t max)
{
	const char *s;

	if (a->body == NULL || json_object_get(a->body, key) == NULL) {
		api_field_error(a, key, "This field is required.");
		return NULL;
	}
	if (body_opt(a, key, max, &s) < 0)
		return NULL;
	if (s == NULL || s[0] == '\0') {
		api_field_error(a, key, s ? "This field may not be blank." : "This field is required.");
		return NULL;
	}
	return s;
}

/* DRF's ISO-8601 form of a stored time: "2014-10-19T22:01:00.601Z". */
static json_t *
user_time(const char *stored)
{
	if (stored == NULL)
		return json_null();
	return json_sprintf("%.23sZ", stored);
}

/* The Deis user object of row i of a query selecting USER_COLS (no password). */
static json_t *
user_json(const struct db_res *res, int i)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:b,s:b,s:[],s:[],s:o,s:o,s:b}",
	    "id", (json_int_t)db_res_getll(res, i, 0, 0),
	    "username", db_res_get(res, i, 1),
	    "email", db_res_get(res, i, 2),
	    "first_name", db_res_get(res, i, 3),
	    "last_name", db_res_get(res, i, 4),
	    "is_superuser", db_res_getll(res, i, 5, 0) != 0,
	    "is_staff", db_res_getll(res, i, 6, 0) != 0,
	    "groups", "user_permissions",
	    "last_login", user_time(db_res_get(res, i, 8)),
	    "date_joined", user_time(db_res_get(res, i, 9)),
	    "is_active", db_res_getll(res, i, 7, 0) != 0);
}

/* Finish a failed transaction: roll back and answer for e. */
static void
tx_fail(struct api *a, const struct err *e, const char *unique_field)
{
	db_rollback(a->ctl->db);
	api_db_error(a, e, unique_field);
}

/* The registration mode setting; "enabled" when unset. Returns -1 after responding 500. */
static int
registration_mode(struct api *a, char *mode, size_t n)
{
	struct err e = { 0 };
	struct db_res *res;

	res = db_queryp(a->ctl->db, &e, "SELECT value FROM settings WHERE key = $1",
	    "registrationMode");
	if (res == NULL) {
		api_db_error(a, &e, NULL);
		return -1;
	}
	strlcpy(mode, db_res_nrows(res) == 1 ? db_res_get(res, 0, 0) : "enabled", n);
	db_res_free(res);
	return 0;
}

static void
throttled(struct api *a, long wait)
{
	buf_addf(&a->hdrs, "Retry-After: %ld\r\n", wait);
	api_detail(a, 429, "Request was throttled. Expected available in %ld seconds.", wait);
}

/*
 * Password work (Argon2id: tens of milliseconds of CPU each) runs on the CPU
 * workers, never on the loop: while logins are checked, every other request
 * is still answered. then() answers on the loop. When the workers' queue is
 * full the request is refused at once, before any hashing.
 */
struct pw {
	struct job job;
	struct api *a;
	char user[64];		/* whose password */
	char *hash;		/* stored, to check against; NULL: none (costs the same) */
	char *password;		/* to check; NULL: no check */
	char *newpw;		/* to hash into newhash; NULL: none */
	char newhash[DB_PWHASH_LEN];
	bool ok;		/* the check passed */
	int hash_rc;		/* db_hash_password's */
	void (*then)(struct pw *p);
};

static void
wipe_free(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

static void
pw_work(struct job *j, struct db *db)
{
	struct pw *p = j->arg;

	if (p->password)
		p->ok = db_check_password(p->hash, p->password);
	if (p->newpw && (p->password == NULL || p->ok))
		p->hash_rc = db_hash_password(p->newpw, p->newhash);
}

static void
pw_free(struct pw *p)
{
	free(p->hash);
	wipe_free(p->password);
	wipe_free(p->newpw);
	explicit_bzero(p->newhash, sizeof(p->newhash));
	free(p);
}

static void
pw_done(struct job *j)
{
	struct pw *p = j->arg;

	p->then(p);
	pw_free(p);
}

static struct pw *
pw_new(struct api *a, const char *user, void (*then)(struct pw *p))
{
	struct pw *p = xcalloc(1, sizeof(*p));

	p->a = a;
	strlcpy(p->user, user, sizeof(p->user));
	p->then = then;
	p->job.work = pw_work;
	p->job.done = pw_done;
	p->job.arg = p;
	return p;
}

static void
pw_start(struct pw *p)
{
	struct api *a = p->a;

	if (jobs_submit_cpu(a->ctl->jobs, &p->job) < 0) {
		pw_free(p);
		buf_addstr(&a->hdrs, "Retry-After: 1\r\n");
		api_detail(a, 503, "The controller is busy checking passwords; try again in a moment.");
	}
}

/* The stored hash of an active user's password, or NULL; -1 after answering a database error. */
static int
stored_hash(struct api *a, const char *username, bool active_only, char **hash)
{
	struct err e = { 0 };
	struct db_res *res;

	*hash = NULL;
	res = db_queryp(a->ctl->db, &e, active_only ? "SELECT password FROM users WHERE "
	    "username = $1 AND is_active = 1" : "SELECT password FROM users WHERE username = $1",
	    username);
	if (res == NULL) {
		api_db_error(a, &e, NULL);
		return -1;
	}
	if (db_res_nrows(res) == 1)
		*hash = xstrdup(db_res_get(res, 0, 0));
	db_res_free(res);
	return 0;
}

/* Deis field errors come back from user_create() as "field: message". */
static void
user_create_error(struct api *a, const struct err *e)
{
	const char *colon = strstr(e->msg, ": ");
	char field[32];

	if (e->code == DB_ERR_UNIQUE || e->code == 409) {
		api_field_error(a, "username", "This field must be unique.");
		return;
	}
	if (e->code == 400 && colon && (size_t)(colon - e->msg) < sizeof(field) &&
	    strspn(e->msg, "abcdefghijklmnopqrstuvwxyz_") == (size_t)(colon - e->msg)) {
		memcpy(field, e->msg, (size_t)(colon - e->msg));
		field[colon - e->msg] = '\0';
		api_field_error(a, field, colon + 2);
		return;
	}
	if (e->code == 400) {
		api_json(a, 400, json_pack("{s:[s]}", "non_field_errors", e->msg));
		return;
	}
	api_db_error(a, e, NULL);
}

static void
register_then(struct pw *p)
{
	struct api *a = p->a;
	const char *email = NULL, *first = NULL, *last = NULL;
	const char *username = p->user;
	struct err e = { 0 };
	struct db_res *res;
	bool superuser;
	json_t *out;

	if (p->hash_rc < 0) {
		api_field_error(a, "password", "cannot hash this password");
		return;
	}
	/* checked by auth_register; a stays as it was */
	body_opt(a, "email", 254, &email);
	body_opt(a, "first_name", 30, &first);
	body_opt(a, "last_name", 30, &last);
	if (db_begin(a->ctl->db, &e) < 0) {
		api_db_error(a, &e, NULL);
		return;
	}
	superuser = false;
	if (a->ctl->first_user_admin) {
		res = db_query(a->ctl->db, "SELECT COUNT(*) FROM users WHERE is_superuser = 1", 0,
		    NULL, &e);
		if (res == NULL) {
			tx_fail(a, &e, NULL);
			return;
		}
		superuser = db_res_getll(res, 0, 0, 1) == 0;
		db_res_free(res);
	}
	if (user_create(a->ctl->db, username, email, p->newhash, first, last, superuser, NULL, &e) < 0) {
		db_rollback(a->ctl->db);
		user_create_error(a, &e);
		return;
	}
	/* The token user_create() made is never shown (the client logs in next): drop it. */
	if (db_execp(a->ctl->db, &e, "DELETE FROM tokens WHERE username = $1", username) < 0) {
		tx_fail(a, &e, NULL);
		return;
	}
	res = db_queryp(a->ctl->db, &e, "SELECT " USER_COLS " FROM users WHERE username = $1",
	    username);
	if (res == NULL || db_res_nrows(res) != 1) {
		if (res)
			err_set(&e, 500, "registered user '%s' vanished", username);
		db_res_free(res);
		tx_fail(a, &e, NULL);
		return;
	}
	out = user_json(res, 0);
	db_res_free(res);
	if (db_commit(a->ctl->db, &e) < 0) {
		json_decref(out);
		tx_fail(a, &e, "username");
		return;
	}
	log_info("registered user '%s'%s", username, superuser ? " as administrator" : "");
	api_json(a, 201, out);
}

void
auth_register(struct api *a)
{
	const char *username, *password, *email, *first, *last;
	char mode[32];
	struct err e = { 0 };
	struct pw *p;

	if (registration_mode(a, mode, sizeof(mode)) < 0)
		return;
	if (!strcmp(mode, "disabled")) {
		api_detail(a, 403, "Registration is disabled");
		return;
	}
	if (!strcmp(mode, "admin_only") && !a->authed) {
		buf_addstr(&a->hdrs, "WWW-Authenticate: Token\r\n");
		api_detail(a, 401, "Authentication credentials were not provided.");
		return;
	}
	if (!strcmp(mode, "admin_only") && !a->user.is_superuser) {
		api_detail(a, 403, forbidden);
		return;
	}
	if ((username = body_req(a, "username", 256)) == NULL)
		return;
	if (validate_username(username, &e) < 0) {
		api_field_error(a, "username", e.msg);
		return;
	}
	if ((password = body_req(a, "password", 1024)) == NULL)
		return;
	if (!password[0]) {
		api_field_error(a, "password", "This field may not be blank.");
		return;
	}
	if (body_opt(a, "email", 254, &email) < 0 || body_opt(a, "first_name", 30, &first) < 0 ||
	    body_opt(a, "last_name", 30, &last) < 0)
		return;
	if (email && email[0] && (strchr(email, '@') == NULL || email[0] == '@' ||
	    strchr(email, '@')[1] == '\0' || strpbrk(email, " \t\r\n<>\","))) {
		api_field_error(a, "email", "Enter a valid email address.");
		return;
	}

	/* the hash on a CPU worker, then the rest here (register_then) */
	p = pw_new(a, username, register_then);
	p->newpw = xstrdup(password);
	pw_start(p);
}

/*
 * Insert a new token for username inside the caller's transaction. A user
 * keeps at most TOKENS_MAX (one per login session): the oldest go, so a
 * script logging in in a loop cannot grow the table without bound.
 */
#define TOKENS_MAX "20"

static int
token_issue(struct api *a, const char *username, char tok[DB_TOKEN_LEN], struct err *e)
{
	char th[DB_HASH_LEN], now[DB_TIME_LEN];

	db_token_new(tok);
	db_token_hash(tok, th);
	db_now(now);
	if (db_execp(a->ctl->db, e, "INSERT INTO tokens (key_hash, username, created) "
	    "VALUES ($1, $2, $3)", th, username, now) < 0)
		return -1;
	return db_execp(a->ctl->db, e, "DELETE FROM tokens WHERE username = $1 AND key_hash NOT IN "
	    "(SELECT key_hash FROM tokens WHERE username = $1 ORDER BY created DESC, key_hash "
	    "LIMIT CAST($2 AS INTEGER))", username, TOKENS_MAX) < 0 ? -1 : 0;
}

/* Reply {"token": tok} and wipe tok. */
static void
token_reply(struct api *a, char tok[DB_TOKEN_LEN])
{
	json_t *out = json_pack("{s:s}", "token", tok);

	explicit_bzero(tok, DB_TOKEN_LEN);
	api_json(a, 200, out);
}

static void
login_then(struct pw *p)
{
	struct api *a = p->a;
	char tok[DB_TOKEN_LEN], now[DB_TIME_LEN];
	struct err e = { 0 };

	if (!p->ok) {
		throttle_fail(p->user, api_client_ip(a));
		log_info("login failed for '%s' from %s", p->user, api_client_ip(a));
		api_json(a, 400, json_pack("{s:[s]}", "non_field_errors",
		    "Unable to log in with provided credentials."));
		return;
	}
	if (db_begin(a->ctl->db, &e) < 0) {
		api_db_error(a, &e, NULL);
		return;
	}
	db_now(now);
	if (token_issue(a, p->user, tok, &e) < 0 ||
	    db_execp(a->ctl->db, &e, "UPDATE users SET last_login = $1 WHERE username = $2",
	    now, p->user) < 0 || db_commit(a->ctl->db, &e) < 0) {
		explicit_bzero(tok, sizeof(tok));
		tx_fail(a, &e, NULL);
		return;
	}
	throttle_clear(p->user);
	token_reply(a, tok);
}

void
auth_login(struct api *a)
{
	const char *username, *password;
	struct pw *p;
	char *hash;
	long wait;

	if ((username = body_req(a, "username", 256)) == NULL ||
	    (password = body_req(a, "password", 1024)) == NULL)
		return;
	if ((wait = throttle_wait(username, api_client_ip(a))) > 0) {
		throttled(a, wait);
		return;
	}
	if (stored_hash(a, username, true, &hash) < 0)
		return;
	/* Unknown users cost the same Argon2 work as known ones (hash NULL). */
	p = pw_new(a, username, login_then);
	p->hash = hash;
	p->password = xstrdup(password);
	pw_start(p);
}

/*
 * The user a request acts on: the caller, or body "username" when given.
 * Acting on someone else needs an administrator (403 otherwise); an unknown
 * target gets 404. Returns -1 after responding.
 */
static int
target_user(struct api *a, char *out, size_t n)
{
	const char *u;
	struct err e = { 0 };
	struct db_res *res;
	int rows;

	if (body_opt(a, "username", 256, &u) < 0)
		return -1;
	if (u == NULL || u[0] == '\0' || !strcmp(u, a->user.username)) {
		strlcpy(out, a->user.username, n);
		return 0;
	}
	if (!a->user.is_superuser) {
		api_detail(a, 403, forbidden);
		return -1;
	}
	res = db_queryp(a->ctl->db, &e, "SELECT username FROM users WHERE username = $1", u);
	if (res == NULL) {
		api_db_error(a, &e, NULL);
		return -1;
	}
	rows = db_res_nrows(res);
	db_res_free(res);
	if (rows != 1) {
		api_detail(a, 404, "Not found");
		return -1;
	}
	strlcpy(out, u, n);
	return 0;
}

/*
 * 1 when username is the only administrator, 0 when not, -1 after
 * responding. Inside the caller's transaction: with no administrator left
 * nobody could make one but the operator on the controller's host (and with
 * --first-user-admin the next registrant would), so the last one cannot go.
 */
static int
last_admin(struct api *a, const char *username)
{
	struct err e = { 0 };
	struct db_res *res;
	int last;

	res = db_queryp(a->ctl->db, &e, "SELECT (SELECT is_superuser FROM users WHERE username = $1), "
	    "(SELECT COUNT(*) FROM users WHERE is_superuser = 1 AND username <> $1)", username);
	if (res == NULL) {
		tx_fail(a, &e, NULL);
		return -1;
	}
	last = db_res_getll(res, 0, 0, 0) == 1 && db_res_getll(res, 0, 1, 1) == 0;
	db_res_free(res);
	if (last) {
		db_rollback(a->ctl->db);
		api_detail(a, 409, "%s is the last administrator", username);
	}
	return last;
}

void
auth_cancel(struct api *a)
{
	char target[64];
	struct err e = { 0 };
	struct db_res *res;
	long long napps;
	int n;

	if (target_user(a, target, sizeof(target)) < 0)
		return;
	if (db_begin(a->ctl->db, &e) < 0) {
		api_db_error(a, &e, NULL);
		return;
	}
	res = db_queryp(a->ctl->db, &e, "SELECT COUNT(*) FROM apps WHERE owner = $1", target);
	if (res == NULL) {
		tx_fail(a, &e, NULL);
		return;
	}
	napps = db_res_getll(res, 0, 0, 0);
	db_res_free(res);
	if (napps > 0) {
		db_rollback(a->ctl->db);
		api_detail(a, 409, "%s still has applications assigned. Delete or transfer ownership",
		    target);
		return;
	}
	if (last_admin(a, target) != 0)
		return;
	/* Tokens, keys, certs and collaborations go with the user (ON DELETE CASCADE). */
	n = db_execp(a->ctl->db, &e, "DELETE FROM users WHERE username = $1", target);
	if (n < 0 || db_commit(a->ctl->db, &e) < 0) {
		tx_fail(a, &e, NULL);
		return;
	}
	if (n == 0) {
		api_detail(a, 404, "Not found");
		return;
	}
	log_info("user '%s' cancelled by '%s'", target, a->user.username);
	routes_changed(a->ctl);	/* their certificates are gone */
	api_json(a, 204, NULL);
}

static void
passwd_then(struct pw *p)
{
	struct api *a = p->a;
	struct err e = { 0 };
	int n;

	if (p->password && !p->ok) {
		throttle_fail(p->user, api_client_ip(a));
		api_detail(a, 400, "Current password does not match");
		return;
	}
	if (p->hash_rc < 0) {
		api_field_error(a, "new_password", "cannot hash this password");
		return;
	}
	if (db_begin(a->ctl->db, &e) < 0) {
		api_db_error(a, &e, NULL);
		return;
	}
	n = db_execp(a->ctl->db, &e, "UPDATE users SET password = $1 WHERE username = $2",
	    p->newhash, p->user);
	/* a new password ends every session of the old one but the caller's own */
	if (n < 0 || db_execp(a->ctl->db, &e, "DELETE FROM tokens WHERE username = $1 AND "
	    "key_hash <> $2", p->user, a->user.token_hash) < 0 || db_commit(a->ctl->db, &e) < 0) {
		tx_fail(a, &e, NULL);
		return;
	}
	if (n == 0) {
		api_detail(a, 404, "Not found");
		return;
	}
	log_info("password of '%s' set by '%s'; its other tokens revoked", p->user,
	    a->user.username);
	api_json(a, 200, json_pack("{s:s}", "status", "password set"));
}

void
auth_passwd(struct api *a)
{
	const char *password, *newpw;
	char target[64], *hash = NULL;
	struct pw *p;
	long wait;

	if (target_user(a, target, sizeof(target)) < 0)
		return;
	if (body_opt(a, "password", 1024, &password) < 0)
		return;
	if ((newpw = body_req(a, "new_password", 1024)) == NULL)
		return;
	p = pw_new(a, target, passwd_then);
	p->newpw = xstrdup(newpw);
	/* As Deis: the current password is checked when given, or when not an admin. */
	if ((password && password[0]) || !a->user.is_superuser) {
		/* A stolen token must not become an unthrottled password oracle. */
		if ((wait = throttle_wait(target, api_client_ip(a))) > 0) {
			pw_free(p);
			throttled(a, wait);
			return;
		}
		if (stored_hash(a, target, false, &hash) < 0) {
			pw_free(p);
			return;
		}
		p->hash = hash;
		p->password = xstrdup(password ? password : "");
	}
	pw_start(p);
}

void
auth_tokens(struct api *a)
{
	json_t *all = a->body ? json_object_get(a->body, "all") : NULL;
	char target[64], tok[DB_TOKEN_LEN];
	struct err e = { 0 };

	if (all && !json_is_null(all) && !json_is_false(all)) {
		if (!a->user.is_superuser) {
			api_detail(a, 403, forbidden);
			return;
		}
		/*
		 * Breach response: every token goes, including the caller's. New
		 * tokens could not be handed to their users anyway; they log in again.
		 */
		if (db_begin(a->ctl->db, &e) < 0) {
			api_db_error(a, &e, NULL);
			return;
		}
		if (db_exec(a->ctl->db, "DELETE FROM tokens", 0, NULL, &e) < 0 ||
		    db_commit(a->ctl->db, &e) < 0) {
			tx_fail(a, &e, NULL);
			return;
		}
		log_info("all tokens revoked by '%s'", a->user.username);
		api_json(a, 200, json_string(""));
		return;
	}
	if (target_user(a, target, sizeof(target)) < 0)
		return;
	if (db_begin(a->ctl->db, &e) < 0) {
		api_db_error(a, &e, NULL);
		return;
	}
	if (db_execp(a->ctl->db, &e, "DELETE FROM tokens WHERE username = $1", target) < 0 ||
	    token_issue(a, target, tok, &e) < 0 || db_commit(a->ctl->db, &e) < 0) {
		explicit_bzero(tok, sizeof(tok));
		tx_fail(a, &e, NULL);
		return;
	}
	log_info("tokens of '%s' regenerated by '%s'", target, a->user.username);
	token_reply(a, tok);
}

void
users_list(struct api *a)
{
	struct err e = { 0 };
	struct db_res *res;

	res = db_query(a->ctl->db, "SELECT " USER_COLS " FROM users ORDER BY id", 0, NULL, &e);
	api_rows(a, res, &e, user_json);
}

void
admin_perms_list(struct api *a)
{
	struct err e = { 0 };
	struct db_res *res;
	json_t *list;
	int i;

	res = db_query(a->ctl->db, "SELECT username FROM users WHERE is_superuser = 1 AND "
	    "is_active = 1 ORDER BY username", 0, NULL, &e);
	if (res == NULL) {
		api_db_error(a, &e, NULL);
		return;
	}
	list = json_array();
	for (i = 0; i < db_res_nrows(res); i++)
		json_array_append_new(list, json_pack("{s:s,s:b}", "username", db_res_get(res, i, 0),
		    "is_superuser", 1));
	db_res_free(res);
	api_paginated(a, list);
}

/* Set or clear is_superuser and is_staff of username; 404 when unknown. */
static void
admin_set(struct api *a, const char *username, bool on, int status)
{
	struct err e = { 0 };
	int n;

	if (db_begin(a->ctl->db, &e) < 0) {
		api_db_error(a, &e, NULL);
		return;
	}
	if (!on && last_admin(a, username) != 0)
		return;
	n = db_execp(a->ctl->db, &e, "UPDATE users SET is_superuser = CAST($1 AS INTEGER), "
	    "is_staff = CAST($1 AS INTEGER) WHERE username = $2", on ? "1" : "0", username);
	if (n < 0 || db_commit(a->ctl->db, &e) < 0) {
		tx_fail(a, &e, NULL);
		return;
	}
	if (n == 0) {
		api_detail(a, 404, "Not found");
		return;
	}
	log_info("'%s' %s administrators by '%s'", username, on ? "added to" : "removed from",
	    a->user.username);
	api_json(a, status, NULL);
}

void
admin_perms_create(struct api *a)
{
	const char *username = body_req(a, "username", 256);

	if (username)
		admin_set(a, username, true, 201);
}

void
admin_perms_delete(struct api *a)
{
	admin_set(a, a->seg[0], false, 204);
}
