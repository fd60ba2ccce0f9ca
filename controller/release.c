/*
 * Releases: loading one with its config and build, creating one (a new
 * config, a build, a rollback), the image checks before one first runs, and
 * the scheduler's spec of one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/db.h"
#include "controller/events.h"
#include "controller/release.h"
#include "lib/xalloc.h"

static json_t *
obj_or_empty(const char *text)
{
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;

	if (j && json_is_object(j))
		return j;
	if (j)
		json_decref(j);
	return json_object();
}

void
rel_clear(struct rel *r)
{
	json_t **js[] = { &r->values, &r->memory, &r->cpu, &r->tags, &r->procfile };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(js); i++)
		if (*js[i]) {
			json_decref(*js[i]);
			*js[i] = NULL;
		}
}

int
rel_load(struct db *db, const char *app, long long version, struct rel *r, struct err *e)
{
	char ver[24];
	struct db_res *res;
	const char *v;

	memset(r, 0, sizeof(*r));
	snprintf(ver, sizeof(ver), "%lld", version);
	res = db_queryp(db, e,
	    "SELECT r.uuid, r.app, r.owner, r.version, r.summary, r.config, r.build, r.created, "
	    "r.updated, c.vals, c.memory, c.cpu, c.tags, b.image, b.sha, b.dockerfile, b.procfile, "
	    "b.image_id, b.owner "
	    "FROM releases r JOIN configs c ON c.uuid = r.config "
	    "LEFT JOIN builds b ON b.uuid = r.build WHERE r.app = $1 AND "
	    "(r.version = CAST($2 AS INTEGER) OR (CAST($2 AS INTEGER) = 0 AND r.version = "
	    "(SELECT MAX(version) FROM releases WHERE app = $1)))", app, ver);
	if (res == NULL)
		return -1;
	if (db_res_nrows(res) == 0) {
		db_res_free(res);
		return 1;
	}
	strlcpy(r->uuid, db_res_get(res, 0, 0), sizeof(r->uuid));
	strlcpy(r->app, db_res_get(res, 0, 1), sizeof(r->app));
	strlcpy(r->owner, db_res_get(res, 0, 2), sizeof(r->owner));
	r->version = db_res_getll(res, 0, 3, 0);
	strlcpy(r->summary, db_res_get(res, 0, 4), sizeof(r->summary));
	strlcpy(r->config_uuid, db_res_get(res, 0, 5), sizeof(r->config_uuid));
	v = db_res_get(res, 0, 6);
	strlcpy(r->build_uuid, v ? v : "", sizeof(r->build_uuid));
	strlcpy(r->created, db_res_get(res, 0, 7), sizeof(r->created));
	strlcpy(r->updated, db_res_get(res, 0, 8), sizeof(r->updated));
	r->values = obj_or_empty(db_res_get(res, 0, 9));
	r->memory = obj_or_empty(db_res_get(res, 0, 10));
	r->cpu = obj_or_empty(db_res_get(res, 0, 11));
	r->tags = obj_or_empty(db_res_get(res, 0, 12));
	if (r->build_uuid[0]) {
		strlcpy(r->image, db_res_get(res, 0, 13), sizeof(r->image));
		strlcpy(r->sha, db_res_get(res, 0, 14), sizeof(r->sha));
		v = db_res_get(res, 0, 15);
		r->dockerfile = v && v[0];
		strlcpy(r->image_id, db_res_get(res, 0, 17), sizeof(r->image_id));
		strlcpy(r->build_owner, db_res_get(res, 0, 18), sizeof(r->build_owner));
	}
	r->procfile = obj_or_empty(db_res_get(res, 0, 16));
	db_res_free(res);
	return 0;
}

/* 0 when user may use the image of engine id id in app; else -1, e (403 naming image). */
static int
image_owner_check(struct db *db, const char *id, const char *app, const char *user,
    const char *image, struct err *e)
{
	struct db_res *res;
	long long owners, deployable;

	/*
	 * Apps whose pushed builds (sha set: made by the builder, private to the
	 * app) have this image, and of those, the ones the owner may deploy: this
	 * app, their own, shared with them, or any for an admin. Public images
	 * pulled by several apps are nobody's.
	 */
	res = db_queryp(db, e, "SELECT COUNT(*), COALESCE(SUM(CASE WHEN a.id = $2 OR "
	    "a.owner = $3 OR EXISTS (SELECT 1 FROM app_perms p WHERE p.app = a.id AND "
	    "p.username = $3) OR EXISTS (SELECT 1 FROM users u WHERE u.username = $3 AND "
	    "u.is_superuser <> 0) THEN 1 ELSE 0 END), 0) FROM builds b JOIN apps a ON "
	    "a.id = b.app WHERE b.image_id = $1 AND b.sha <> ''", id, app, user);
	if (res == NULL)
		return -1;
	owners = db_res_getll(res, 0, 0, 0);
	deployable = db_res_getll(res, 0, 1, 0);
	db_res_free(res);
	if (owners > 0 && deployable == 0)
		return err_set(e, 403, "image %s was built for another app: only those who may "
		    "deploy that app can run it", image);
	return 0;
}

int
image_usable(struct db *db, struct sched *s, const char *image, const char *app,
    const char *user, char id[SCHED_IMAGE_ID_MAX], struct err *e)
{
	if (sched_image_id(s, image, id, e) < 0 ||
	    image_owner_check(db, id, app, user, image, e) < 0)
		return -1;
	return 0;
}

int
rel_image_check(struct db *db, struct sched *s, struct rel *r, struct err *e)
{
	char id[SCHED_IMAGE_ID_MAX];

	if (!r->build_uuid[0] || r->image_id[0])
		return 0;
	if (image_usable(db, s, r->image, r->app, r->build_owner, id, e) < 0)
		return -1;
	if (db_execp(db, e, "UPDATE builds SET image_id = $1 WHERE uuid = $2", id,
	    r->build_uuid) < 0)
		return -1;
	strlcpy(r->image_id, id, sizeof(r->image_id));
	return 0;
}

int
config_insert(struct db *db, const char *app, const char *owner, json_t *values,
    json_t *memory, json_t *cpu, json_t *tags, char uuid[37], struct err *e)
{
	char now[DB_TIME_LEN];
	char *jv = json_dumps(values, JSON_COMPACT | JSON_SORT_KEYS);
	char *jm = json_dumps(memory, JSON_COMPACT | JSON_SORT_KEYS);
	char *jc = json_dumps(cpu, JSON_COMPACT | JSON_SORT_KEYS);
	char *jt = json_dumps(tags, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	db_uuid_new(uuid);
	db_now(now);
	rc = db_execp(db, e, "INSERT INTO configs (uuid, app, owner, vals, memory, cpu, tags, "
	    "created, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)", uuid, app, owner,
	    jv, jm, jc, jt, now);
	free(jv);
	free(jm);
	free(jc);
	free(jt);
	return rc < 0 ? -1 : 0;
}

int
rel_create(struct db *db, const char *app, const char *owner, const char *config_uuid,
    const char *build_uuid, const char *summary, long long *version, struct err *e)
{
	char uuid[DB_UUID_LEN], now[DB_TIME_LEN], ver[24];
	struct db_res *res;

	res = db_queryp(db, e, "SELECT COALESCE(MAX(version), 0) FROM releases WHERE app = $1", app);
	if (res == NULL)
		return -1;
	*version = db_res_getll(res, 0, 0, 0) + 1;
	db_res_free(res);
	snprintf(ver, sizeof(ver), "%lld", *version);
	db_uuid_new(uuid);
	db_now(now);
	if (db_execp(db, e, "INSERT INTO releases (uuid, app, owner, version, summary, config, "
	    "build, created, updated) VALUES ($1, $2, $3, CAST($4 AS INTEGER), $5, $6, $7, $8, $8)",
	    uuid, app, owner, ver, summary, config_uuid,
	    build_uuid && build_uuid[0] ? build_uuid : NULL, now) < 0)
		return -1;
	return 0;
}

int
rel_rollback(struct ctl *ctl, const char *app, const char *user, bool previous,
    long long want, long long *version, bool *refused, struct err *e)
{
	struct rel latest, target;
	struct buf summary = BUF_INIT;
	int rc;

	*refused = false;
	if (db_begin(ctl->db, e) < 0)
		return -1;
	if (rel_load(ctl->db, app, 0, &latest, e) != 0) {
		db_rollback(ctl->db);
		return -1;
	}
	if (previous)
		want = latest.version - 1;
	rel_clear(&latest);
	if (want <= 0) {
		db_rollback(ctl->db);
		*refused = true;
		return err_set(e, 400, "version cannot be below 0");
	}
	rc = rel_load(ctl->db, app, want, &target, e);
	if (rc != 0) {
		db_rollback(ctl->db);
		if (rc > 0) {
			*refused = true;
			err_set(e, 404, "Not found");
		}
		return -1;
	}
	if (!target.build_uuid[0]) {
		db_rollback(ctl->db);
		rel_clear(&target);
		*refused = true;
		return err_set(e, 400, "Cannot roll back to initial release");
	}
	buf_addf(&summary, "%s rolled back to v%lld", user, want);
	if (rel_create(ctl->db, app, user, target.config_uuid, target.build_uuid, summary.p,
	    version, e) < 0 || db_commit(ctl->db, e) < 0) {
		db_rollback(ctl->db);
		rel_clear(&target);
		buf_release(&summary);
		return -1;
	}
	event_log(ctl, app, "%s", summary.p);
	rel_clear(&target);
	buf_release(&summary);
	return 0;
}

json_t *
rel_json(const struct rel *r)
{
	return json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:o,s:o,s:o}", "uuid", r->uuid, "app", r->app,
	    "owner", r->owner, "version", (json_int_t)r->version, "summary", r->summary,
	    "config", r->config_uuid,
	    "build", r->build_uuid[0] ? json_string(r->build_uuid) : json_null(),
	    "created", api_time(r->created), "updated", api_time(r->updated));
}

json_t *
config_json(const struct rel *r, bool with_release_vars)
{
	json_t *values = json_deep_copy(r->values);

	if (with_release_vars && r->build_uuid[0]) {
		json_object_set_new(values, "DEIS_APP", json_string(r->app));
		json_object_set_new(values, "DEIS_RELEASE", json_sprintf("v%lld", r->version));
	}
	return json_pack("{s:s,s:s,s:s,s:o,s:O,s:O,s:O,s:o,s:o}", "uuid", r->config_uuid,
	    "app", r->app, "owner", r->owner, "values", values, "memory", r->memory,
	    "cpu", r->cpu, "tags", r->tags, "created", api_time(r->created),
	    "updated", api_time(r->updated));
}

/* Copy a JSON object's members as strings into kv; returns the count. */
static size_t
obj_to_kv(json_t *obj, struct sched_kv *kv, char **strs, size_t *nstrs)
{
	const char *k;
	json_t *v;
	size_t n = 0;

	json_object_foreach(obj, k, v) {
		kv[n].key = k;
		if (json_is_string(v)) {
			kv[n].value = json_string_value(v);
		} else {
			char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

			strs[(*nstrs)++] = s;
			kv[n].value = s;
		}
		n++;
	}
	return n;
}

void
rel_spec(const struct rel *r, const char *image_override, struct rel_spec *s)
{
	size_t total = json_object_size(r->values) + json_object_size(r->memory) +
	    json_object_size(r->cpu) + json_object_size(r->tags) + json_object_size(r->procfile);
	char **strs;
	size_t nstrs = 0, off = 0;

	memset(s, 0, sizeof(*s));
	s->kv = xcalloc(total + 1, sizeof(*s->kv) + sizeof(char *));
	strs = (char **)(s->kv + total + 1);
	s->sr.app = r->app;
	s->sr.version = (unsigned)r->version;
	s->sr.image = image_override ? image_override : r->image;
	s->sr.git_sha = r->sha[0] ? r->sha : NULL;
	s->sr.dockerfile = r->dockerfile || !r->sha[0];
	s->sr.procfile = s->kv + off;
	off += s->sr.nprocfile = obj_to_kv(r->procfile, s->kv + off, strs, &nstrs);
	s->sr.config = s->kv + off;
	off += s->sr.nconfig = obj_to_kv(r->values, s->kv + off, strs, &nstrs);
	s->sr.memory = s->kv + off;
	off += s->sr.nmemory = obj_to_kv(r->memory, s->kv + off, strs, &nstrs);
	s->sr.cpu = s->kv + off;
	off += s->sr.ncpu = obj_to_kv(r->cpu, s->kv + off, strs, &nstrs);
	s->sr.tags = s->kv + off;
	s->sr.ntags = obj_to_kv(r->tags, s->kv + off, strs, &nstrs);
}

void
rel_spec_clear(struct rel_spec *s)
{
	size_t total = s->sr.nprocfile + s->sr.nconfig + s->sr.nmemory + s->sr.ncpu + s->sr.ntags;
	char **strs = (char **)(s->kv + total + 1);
	size_t i;

	if (s->kv == NULL)
		return;
	for (i = 0; i < total && strs[i]; i++)
		free(strs[i]);
	free(s->kv);
	s->kv = NULL;
}

struct sched_scale *
structure_from_json(json_t *structure, size_t *n)
{
	struct sched_scale *sc = xcalloc(json_object_size(structure) + 1, sizeof(*sc));
	const char *k;
	json_t *v;

	*n = 0;
	json_object_foreach(structure, k, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			continue;
		sc[*n].type = k;
		sc[*n].count = (unsigned)json_integer_value(v);
		(*n)++;
	}
	return sc;
}
