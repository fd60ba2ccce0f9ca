/*
 * SSH keys: /v1/keys (shared/reference/deis-v1.md §2.4, security.md §3.6).
 *
 * A key is stored normalised ("type base64": no options, no comment), so no
 * `command=`/`from=` option can ride along into an authorized_keys line. Its
 * fingerprints (Deis's MD5 hex with colons, OpenSSH's SHA256 the builder
 * looks keys up by) are globally unique: one key belongs to one user, or a
 * push would be attributed to the wrong one. Each user sees only their own
 * keys; another user's key id is simply not found.
 */
#include <stdlib.h>
#include <string.h>

#include "controller/db.h"
#include "controller/handlers.h"
#include "controller/validate.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define KEY_COLS "uuid, owner, id, public, fingerprint, created, updated"
#define KEY_ID_MAX 128
#define KEY_PUBLIC_MAX 16384

static json_t *
key_json(const struct db_res *res, int i)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o}",
	    "uuid", db_res_get(res, i, 0), "owner", db_res_get(res, i, 1),
	    "id", db_res_get(res, i, 2), "public", db_res_get(res, i, 3),
	    "fingerprint", db_res_get(res, i, 4),
	    "created", api_time(db_res_get(res, i, 5)), "updated", api_time(db_res_get(res, i, 6)));
}

void
keys_list(struct api *a)
{
	struct err e = { 0 };
	struct db_res *res;

	res = db_queryp(a->ctl->db, &e, "SELECT " KEY_COLS " FROM keys WHERE owner = $1 "
	    "ORDER BY created, id", a->user.username);
	api_rows(a, res, &e, key_json);
}

void
keys_get(struct api *a)
{
	struct err e = { 0 };
	struct db_res *res;

	res = db_queryp(a->ctl->db, &e, "SELECT " KEY_COLS " FROM keys WHERE owner = $1 AND id = $2",
	    a->user.username, a->seg[0]);
	if (res == NULL) {
		api_db_error(a, &e, NULL);
		return;
	}
	if (db_res_nrows(res) != 1)
		api_detail(a, 404, "Not found");
	else
		api_json(a, 200, key_json(res, 0));
	db_res_free(res);
}

/* A key id names the key in URLs and the CLI: printable, no '/', at most 128 bytes. */
static int
key_id_ok(const char *id)
{
	size_t i;

	if (id[0] == '\0' || strlen(id) > KEY_ID_MAX)
		return 0;
	for (i = 0; id[i]; i++)
		if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f || id[i] == '/')
			return 0;
	return 1;
}

/* 1 when the query with params finds a row, 0 when not, -1 with e filled. */
static int
key_exists(struct api *a, const char *sql, const char *p1, const char *p2, struct err *e)
{
	struct db_res *res = db_queryp(a->ctl->db, e, sql, p1, p2);
	int n;

	if (res == NULL)
		return -1;
	n = db_res_nrows(res) > 0;
	db_res_free(res);
	return n;
}

void
keys_create(struct api *a)
{
	const char *id, *public;
	char md5[48], sha256[64], uuid[DB_UUID_LEN], now[DB_TIME_LEN], *norm = NULL;
	struct err e = { 0 };
	struct db_res *res = NULL;
	int dup;

	if ((id = api_body_str(a, "id", true)) == NULL ||
	    (public = api_body_str(a, "public", true)) == NULL)
		return;
	if (!key_id_ok(id)) {
		api_field_error(a, "id", "Key ids are at most 128 printable characters without '/'.");
		return;
	}
	if (strlen(public) > KEY_PUBLIC_MAX) {
		api_field_error(a, "public", "Ensure this field has no more than 16384 characters.");
		return;
	}
	norm = xmalloc(strlen(public) + 1);
	if (validate_ssh_key(public, md5, sha256, norm, &e) < 0) {
		api_field_error(a, "public", e.msg);
		goto out;
	}
	/*
	 * Keep the key's comment, as Deis did (`keys:list` shows the end of the
	 * text): "type base64 comment", the comment only when it is one printable
	 * line. Options before the type never get here (validate_ssh_key refuses them).
	 */
	{
		const char *c = strstr(public, norm + strcspn(norm, " ") + 1);
		size_t n;

		c = c ? c + strlen(norm + strcspn(norm, " ") + 1) : "";
		c += strspn(c, " \t");
		n = strlen(c);
		while (n && strchr(" \t\r\n", c[n - 1]))
			n--;
		if (n && n <= 255 && !memchr(c, '\n', n) && !memchr(c, '\r', n) &&
		    !memchr(c, '\t', n) && !memchr(c, 0x7f, n)) {
			size_t i;
			bool printable = true;

			for (i = 0; i < n; i++)
				if ((unsigned char)c[i] < 0x20)
					printable = false;
			if (printable) {
				size_t l = strlen(norm);

				norm = xrealloc(norm, l + n + 2);
				norm[l] = ' ';
				memcpy(norm + l + 1, c, n);
				norm[l + n + 1] = '\0';
			}
		}
	}
	if (db_begin(a->ctl->db, &e) < 0) {
		api_db_error(a, &e, NULL);
		goto out;
	}
	/* The same key under any user, or any comment, is the same key. */
	dup = key_exists(a, "SELECT uuid FROM keys WHERE fingerprint_sha256 = $1 OR public = $2",
	    sha256, norm, &e);
	if (dup < 0)
		goto fail;
	if (dup) {
		db_rollback(a->ctl->db);
		api_field_error(a, "public", "This field must be unique.");
		goto out;
	}
	dup = key_exists(a, "SELECT uuid FROM keys WHERE owner = $1 AND id = $2", a->user.username,
	    id, &e);
	if (dup < 0)
		goto fail;
	if (dup) {
		db_rollback(a->ctl->db);
		api_field_error(a, "id", "This field must be unique.");
		goto out;
	}
	db_uuid_new(uuid);
	db_now(now);
	res = db_queryp(a->ctl->db, &e, "INSERT INTO keys (uuid, owner, id, public, fingerprint, "
	    "fingerprint_sha256, created, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) "
	    "RETURNING " KEY_COLS, uuid, a->user.username, id, norm, md5, sha256, now);
	if (res == NULL || db_commit(a->ctl->db, &e) < 0)
		goto fail;
	log_info("key '%s' (%s) added by '%s'", id, sha256, a->user.username);
	api_json(a, 201, key_json(res, 0));
	goto out;
fail:
	db_rollback(a->ctl->db);
	api_db_error(a, &e, "public");
out:
	db_res_free(res);
	free(norm);
}

void
keys_delete(struct api *a)
{
	struct err e = { 0 };
	int n;

	if (db_begin(a->ctl->db, &e) < 0) {
		api_db_error(a, &e, NULL);
		return;
	}
	n = db_execp(a->ctl->db, &e, "DELETE FROM keys WHERE owner = $1 AND id = $2",
	    a->user.username, a->seg[0]);
	if (n < 0 || db_commit(a->ctl->db, &e) < 0) {
		db_rollback(a->ctl->db);
		api_db_error(a, &e, NULL);
		return;
	}
	if (n == 0) {
		api_detail(a, 404, "Not found");
		return;
	}
	log_info("key '%s' removed by '%s'", a->seg[0], a->user.username);
	api_json(a, 204, NULL);
}
