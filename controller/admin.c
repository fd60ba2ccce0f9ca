#include <limits.h>
#include <string.h>

#include "controller/admin.h"
#include "controller/db.h"
#include "controller/validate.h"

int
user_create(struct db *db, const char *username, const char *email, const char *hash,
    const char *first_name, const char *last_name, bool superuser, char *token, struct err *e)
{
	char tok[DB_TOKEN_LEN], th[DB_HASH_LEN], now[DB_TIME_LEN];
	const char *su = superuser ? "1" : "0";

	if (validate_username(username, e) < 0)
		return -1;
	db_now(now);
	if (db_execp(db, e, "INSERT INTO users (username, email, first_name, last_name, password, "
	    "is_superuser, is_staff, is_active, date_joined) VALUES ($1, $2, $3, $4, $5, "
	    "CAST($6 AS INTEGER), CAST($6 AS INTEGER), 1, $7)", username, email ? email : "",
	    first_name ? first_name : "", last_name ? last_name : "", hash, su, now) < 0) {
		if (e->code == DB_ERR_UNIQUE)
			err_set(e, 409, "username: This field must be unique.");
		return -1;
	}
	db_token_new(tok);
	db_token_hash(tok, th);
	if (db_execp(db, e, "INSERT INTO tokens (key_hash, username, created) VALUES ($1, $2, $3)",
	    th, username, now) < 0)
		return -1;
	if (token)
		memcpy(token, tok, DB_TOKEN_LEN);
	explicit_bzero(tok, sizeof(tok));
	return 0;
}

int
admin_create(struct db *db, const char *username, const char *email, const char *password,
    struct err *e)
{
	char hash[DB_PWHASH_LEN];
	int rc;

	if (password == NULL || !password[0])
		return err_set(e, 400, "password: This field may not be blank.");
	if (db_hash_password(password, hash) < 0)
		return err_set(e, 400, "password: cannot hash this password");
	if (db_begin(db, e) < 0)
		return -1;
	rc = user_create(db, username, email, hash, "", "", true, NULL, e);
	explicit_bzero(hash, sizeof(hash));
	if (rc < 0) {
		db_rollback(db);
		return -1;
	}
	return db_commit(db, e);
}

int
admin_count(struct db *db, struct err *e)
{
	struct db_res *res;
	long long n;

	res = db_query(db, "SELECT COUNT(*) FROM users WHERE is_superuser = 1", 0, NULL, e);
	if (res == NULL)
		return -1;
	n = db_res_getll(res, 0, 0, 0);
	db_res_free(res);
	return n > INT_MAX ? INT_MAX : (int)n;
}
