#ifndef CONTROLLER_ADMIN_H
#define CONTROLLER_ADMIN_H
/*
 * Users, shared by the API (auth.c) and the operator's local bootstrap
 * (`deis-controller create-admin`), which makes an administrator without any
 * network exposure: no first-registrant race.
 */
#include <stdbool.h>

#include "lib/err.h"

struct db;

/*
 * Insert a user with a fresh token; hash is the password's (db_hash_password:
 * hashing is slow, the caller chooses where it runs); superuser makes it an
 * administrator. The caller holds a transaction or not (one statement each).
 * Fills e (400 with the Deis field message, 409 for a taken username) and
 * returns -1 on failure. token, when not NULL, receives the new token (41 bytes).
 */
int user_create(struct db *db, const char *username, const char *email, const char *hash,
    const char *first_name, const char *last_name, bool superuser, char *token, struct err *e);
/* The number of administrators, or -1 with e set. */
int admin_count(struct db *db, struct err *e);
/* user_create() with superuser set, the password hashed here, in its own transaction. */
int admin_create(struct db *db, const char *username, const char *email, const char *password,
    struct err *e);

#endif
