#ifndef CONTROLLER_SECRETS_H
#define CONTROLLER_SECRETS_H
/*
 * Secrets (secrets.c). The platform's shared secrets, which the builder
 * (X-Deis-Builder-Auth) and the publisher and routers (X-Deis-Internal-Auth)
 * present; the users' passwords and API tokens, stored only as hashes.
 *
 * The password and token functions keep their db_ names: their formats are
 * the schema's (users.password, tokens.key_hash), and t/unit/test-db.c tests
 * them through controller/db.h, which includes this header.
 */
#include <stdbool.h>
#include <stddef.h>

struct ctl;

/*
 * At start, fill ctl->builder_key and ctl->internal_token, each from its
 * variable (DEIS_BUILDER_KEY, DEIS_INTERNAL_TOKEN), else from the file its
 * _FILE variable names, else from the settings table (builderKey,
 * internalToken), where a new random one is stored the first time (another
 * controller racing us: the first stored wins). Needs ctl->db. Dies (100: a
 * bad variable or file; 111: the database) on failure.
 */
void secrets_load(struct ctl *ctl);

/* Fill buf from the kernel's CSPRNG; dies (111) if the system cannot. */
void secret_random(void *buf, size_t len);
/* n bytes as 2n lower-case hex digits and a NUL into out (2n + 1 bytes). */
void secret_hex(const unsigned char *in, size_t n, char *out);

/*
 * Passwords: Argon2id (m = 19456 KiB, t = 2, p = 1, 16-byte salt), stored as
 * the encoded string "$argon2id$v=19$m=19456,t=2,p=1$...".
 * db_hash_password() returns 0 or -1 (out of memory, password too long).
 * db_check_password() is true when pw matches; a NULL or malformed hash gives
 * false after the same work as a real check (so a missing user is not faster).
 */
#define DB_PWHASH_LEN 128
int db_hash_password(const char *pw, char out[DB_PWHASH_LEN]);
bool db_check_password(const char *hash, const char *pw);

/*
 * API tokens: 160 random bits as 40 lower-case hex chars (the Deis client's
 * format). Only their SHA-256 (64 hex chars) is stored: tokens.key_hash.
 */
#define DB_TOKEN_LEN 41
#define DB_HASH_LEN 65
void db_token_new(char out[DB_TOKEN_LEN]);
void db_token_hash(const char *token, char hex[DB_HASH_LEN]);
/* Constant-time equality of two NUL-terminated secrets (lengths may leak). */
bool db_secret_eq(const char *a, const char *b);

#endif
