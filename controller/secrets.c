/*
 * Secrets: the platform's shared secrets (the builder key and the internal
 * token, which the builder and the publisher/routers present), and the users'
 * passwords and API tokens, of which only hashes are stored.
 */
#include <argon2.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "controller/controller.h"
#include "controller/db.h"
#include "controller/secrets.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

/* A secret from VAR, from the file named by VAR_FILE, or from the settings table. */
static void
secret_load(struct db *db, const char *var, const char *setting, char *out, size_t n)
{
	struct buf fvar = BUF_INIT;
	const char *v = getenv(var);
	struct err e = { 0 };
	struct db_res *res;
	char now[DB_TIME_LEN];

	buf_addf(&fvar, "%s_FILE", var);
	if (v == NULL && getenv(fvar.p)) {
		FILE *f = fopen(getenv(fvar.p), "re");

		if (f == NULL || fgets(out, (int)n, f) == NULL)
			die(100, "cannot read '%s'", getenv(fvar.p));
		fclose(f);
		out[strcspn(out, "\r\n")] = '\0';
		buf_release(&fvar);
		return;
	}
	buf_release(&fvar);
	if (v) {
		if (strlcpy(out, v, n) >= n)
			die(100, "%s is too long", var);
		return;
	}
	res = db_queryp(db, &e, "SELECT value FROM settings WHERE key = $1", setting);
	if (res == NULL)
		die(111, "cannot read settings: %s", e.msg);
	if (db_res_nrows(res) == 1) {
		strlcpy(out, db_res_get(res, 0, 0), n);
		db_res_free(res);
		return;
	}
	db_res_free(res);
	db_token_new(out);
	db_now(now);
	/* Another controller may race us: keep whichever was stored first. */
	if (db_execp(db, &e, "INSERT INTO settings (key, value, updated) VALUES ($1, $2, $3) "
	    "ON CONFLICT (key) DO NOTHING", setting, out, now) < 0)
		die(111, "cannot store setting '%s': %s", setting, e.msg);
	res = db_queryp(db, &e, "SELECT value FROM settings WHERE key = $1", setting);
	if (res == NULL || db_res_nrows(res) != 1)
		die(111, "cannot read setting '%s'", setting);
	strlcpy(out, db_res_get(res, 0, 0), n);
	db_res_free(res);
}

void
secrets_load(struct ctl *ctl)
{
	secret_load(ctl->db, "DEIS_BUILDER_KEY", "builderKey", ctl->builder_key,
	    sizeof(ctl->builder_key));
	secret_load(ctl->db, "DEIS_INTERNAL_TOKEN", "internalToken", ctl->internal_token,
	    sizeof(ctl->internal_token));
}

/* Fill buf from the kernel's CSPRNG; failing here is a broken system. */
void
secret_random(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die(111, "getrandom: %s", strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
}

void
secret_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void
db_token_new(char out[DB_TOKEN_LEN])
{
	unsigned char raw[20];

	secret_random(raw, sizeof(raw));
	secret_hex(raw, sizeof(raw), out);
	explicit_bzero(raw, sizeof(raw));
}

void
db_token_hash(const char *token, char hex[DB_HASH_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!EVP_Digest(token, strlen(token), md, &len, EVP_sha256(), NULL) || len != 32)
		die(111, "cannot compute SHA-256");
	secret_hex(md, len, hex);
}

bool
db_secret_eq(const char *a, const char *b)
{
	size_t la, lb;

	if (a == NULL || b == NULL)
		return false;
	la = strlen(a);
	lb = strlen(b);
	return la == lb && CRYPTO_memcmp(a, b, la) == 0;
}

/* OWASP's Argon2id floor (shared/reference/security.md §3.5). */
#define PW_T_COST	2
#define PW_M_COST	19456
#define PW_PARALLEL	1
#define PW_SALT_LEN	16
#define PW_HASH_LEN	32
#define PW_MAX_LEN	4096

/*
 * A valid hash of a password nobody knows, with the same parameters, so that
 * checking against a missing or broken hash costs what a real check costs.
 */
static const char pw_dummy[] =
	"$argon2id$v=19$m=19456,t=2,p=1$IGaj+FeIUil773+khMGZAg"
	"$/1D69GFfai3SsZ/CJtRHGPgPBBiNdDAyohuk05iUsJ4";

int
db_hash_password(const char *pw, char out[DB_PWHASH_LEN])
{
	unsigned char salt[PW_SALT_LEN];
	size_t len = strlen(pw);
	int rc;

	if (len > PW_MAX_LEN)
		return -1;
	secret_random(salt, sizeof(salt));
	rc = argon2id_hash_encoded(PW_T_COST, PW_M_COST, PW_PARALLEL, pw, len, salt,
				   sizeof(salt), PW_HASH_LEN, out, DB_PWHASH_LEN);
	explicit_bzero(salt, sizeof(salt));
	return rc == ARGON2_OK ? 0 : -1;
}

bool
db_check_password(const char *hash, const char *pw)
{
	size_t len = strlen(pw);
	int rc;

	if (hash == NULL || len > PW_MAX_LEN || strncmp(hash, "$argon2id$", 10) != 0) {
		argon2id_verify(pw_dummy, pw, len > PW_MAX_LEN ? PW_MAX_LEN : len);
		return false;
	}
	rc = argon2id_verify(hash, pw, len);
	if (rc != ARGON2_OK && rc != ARGON2_VERIFY_MISMATCH) {
		/* Malformed: fail after the work a real check would do. */
		argon2id_verify(pw_dummy, pw, len);
		return false;
	}
	return rc == ARGON2_OK;
}
