/* GET/POST /v1/apps/<id>/config: config is releasable (a change makes a release). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/db.h"
#include "controller/events.h"
#include "controller/handlers.h"
#include "controller/release.h"
#include "controller/routes.h"
#include "controller/validate.h"
#include "lib/xalloc.h"

void
config_get(struct api *a)
{
	struct app app;
	struct rel r;
	struct err e = { 0 };
	int rc;

	if (app_load(a, &app, false) < 0)
		return;
	app_release(&app);
	rc = rel_load(a->ctl->db, a->seg[0], 0, &r, &e);
	if (rc < 0)
		api_db_error(a, &e, NULL);
	else if (rc > 0)
		api_detail(a, 404, "Not found");
	else
		api_json(a, 200, config_json(&r, false));
	rel_clear(&r);
}

/*
 * Merge one section of the request into cur (Deis Config.save: previous ∪ new,
 * then null deletes), validating keys and values. Appends what changed to the
 * summary lists. Returns 0 or -1 after responding 400.
 */
static int
merge_section(struct api *a, const char *section, json_t *cur, struct buf *added,
    struct buf *changed, struct buf *deleted)
{
	json_t *in = json_object_get(a->body, section), *v;
	const char *k;
	struct err e = { 0 };

	if (in == NULL || json_is_null(in))
		return 0;
	if (!json_is_object(in)) {
		api_field_error(a, section, "Expected a dictionary of items.");
		return -1;
	}
	json_object_foreach(in, k, v) {
		json_t *val = NULL;
		struct buf *which;

		if (!strcmp(section, "values")) {
			if (validate_config_key(k, &e) < 0) {
				api_field_error(a, section, e.msg);
				return -1;
			}
		} else if (validate_proc_type(k, &e) < 0 && strcmp(section, "tags")) {
			api_field_error(a, section, e.msg);
			return -1;
		}
		if (!json_is_null(v)) {
			if (!strcmp(section, "values")) {
				/* Values are coerced to strings, as Deis did. */
				if (json_is_string(v))
					val = json_incref(v);
				else if (json_is_integer(v))
					val = json_sprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
				else if (json_is_real(v))
					val = json_sprintf("%.17g", json_real_value(v));
				else if (json_is_boolean(v))
					val = json_string(json_is_true(v) ? "True" : "False");
				if (val == NULL || strlen(json_string_value(val)) !=
				    json_string_length(val)) {
					if (val)
						json_decref(val);
					api_field_error(a, section, "Config values must be strings "
					    "without NUL characters.");
					return -1;
				}
			} else if (!strcmp(section, "memory")) {
				long long bytes = 0;

				if (!json_is_string(v) ||
				    validate_memory(json_string_value(v), &bytes, &e) < 0) {
					api_field_error(a, section, "Limit format: <number><unit>, "
					    "where unit = B, K, M or G");
					return -1;
				}
				if (a->ctl->quota_memory && bytes > a->ctl->quota_memory &&
				    !a->user.is_superuser) {
					api_detail(a, 403, "A container may use at most %lld MB of memory "
					    "(a quota the administrator set); %s asks for %s",
					    a->ctl->quota_memory >> 20, k, json_string_value(v));
					return -1;
				}
				val = json_string(json_string_value(v));
			} else if (!strcmp(section, "cpu")) {
				long long shares = -1;

				if (json_is_integer(v))
					shares = json_integer_value(v);
				else if (json_is_string(v)) {
					const char *errstr = NULL;

					shares = strtonum(json_string_value(v), 0, 1024, &errstr);
					if (errstr)
						shares = -1;
				}
				if (validate_cpu(shares, &e) < 0) {
					api_field_error(a, section, e.msg);
					return -1;
				}
				val = json_integer(shares);
			} else {
				if (!json_is_string(v) ||
				    validate_tag(k, json_string_value(v), &e) < 0) {
					api_field_error(a, section, json_is_string(v) ? e.msg :
					    "Tag values can only contain [a-zA-Z0-9_]");
					return -1;
				}
				val = json_incref(v);
			}
		}
		if (val == NULL) {
			if (json_object_get(cur, k) == NULL)
				continue;	/* unsetting what is not set changes nothing */
			json_object_del(cur, k);
			which = deleted;
		} else {
			json_t *old = json_object_get(cur, k);

			if (old && json_equal(old, val)) {
				json_decref(val);
				continue;
			}
			which = old ? changed : added;
			json_object_set_new(cur, k, val);
		}
		buf_addf(which, "%s%s", which->len ? ", " : "", k);
	}
	return 0;
}

struct config_ctx {
	long long version;
};

static void
config_deployed(struct api *a, int rc, const struct err *e, const struct sched_timing *t,
    void *arg)
{
	struct config_ctx *cc = arg;
	struct rel r;
	struct err le = { 0 };

	if (rc < 0) {
		api_detail(a, e->code ? e->code : 503, "%s", e->msg);
	} else if (rel_load(a->ctl->db, a->seg[0], cc->version, &r, &le) != 0) {
		api_detail(a, 503, "release v%lld is gone", cc->version);
	} else {
		buf_addf(&a->hdrs, "Deis-Release: %lld\r\nX-Deis-Release: %lld\r\n",
		    cc->version, cc->version);
		api_json(a, 201, config_json(&r, true));
		rel_clear(&r);
	}
	free(cc);
}

void
config_set(struct api *a)
{
	struct app app;
	struct rel r;
	struct err e = { 0 };
	struct buf summary = BUF_INIT;
	struct buf add[4], chg[4], del[4];
	static const char *sections[] = { "values", "memory", "cpu", "tags" };
	char cfg[DB_UUID_LEN];
	struct config_ctx *cc;
	bool has_build, limits = false, tags = false;
	struct db *db = a->ctl->db;
	size_t i;

	if (app_load(a, &app, false) < 0)
		return;
	app_release(&app);
	for (i = 0; i < 4; i++) {
		buf_init(&add[i], 0);
		buf_init(&chg[i], 0);
		buf_init(&del[i], 0);
	}
	if (db_begin(a->ctl->db, &e) < 0) {
		api_db_error(a, &e, NULL);
		goto out_bufs;
	}
	if (rel_load(a->ctl->db, a->seg[0], 0, &r, &e) != 0) {
		db_rollback(a->ctl->db);
		api_db_error(a, &e, NULL);
		goto out_bufs;
	}
	for (i = 0; i < 4; i++) {
		json_t *cur = i == 0 ? r.values : i == 1 ? r.memory : i == 2 ? r.cpu : r.tags;

		/* On failure merge_section has answered, and a is gone: use db. */
		if (merge_section(a, sections[i], cur, &add[i], &chg[i], &del[i]) < 0) {
			db_rollback(db);
			rel_clear(&r);
			goto out_bufs;
		}
	}
	/* Release summary, in Deis's words. */
	if (add[0].len || chg[0].len || del[0].len) {
		struct buf parts = BUF_INIT;

		if (add[0].len)
			buf_addf(&parts, "added %s", add[0].p);
		if (chg[0].len)
			buf_addf(&parts, "%schanged %s", parts.len ? " and " : "", chg[0].p);
		if (del[0].len)
			buf_addf(&parts, "%sdeleted %s", parts.len ? " and " : "", del[0].p);
		buf_addf(&summary, "%s %s", a->user.username, parts.p);
		buf_release(&parts);
	}
	for (i = 1; i < 3; i++)
		if (add[i].len || chg[i].len || del[i].len)
			limits = true;
	if (limits) {
		bool mem = add[1].len || chg[1].len || del[1].len;
		bool cpu = add[2].len || chg[2].len || del[2].len;

		buf_addf(&summary, "%s%s changed limits for %s%s%s", summary.len ? " and " : "",
		    summary.len ? "" : a->user.username, mem ? "memory" : "",
		    mem && cpu ? ", " : "", cpu ? "cpu" : "");
	}
	tags = add[3].len || chg[3].len || del[3].len;
	if (tags) {
		buf_addf(&summary, "%s%s %s%s%s%s%s", summary.len ? " and " : "",
		    summary.len ? "" : a->user.username,
		    add[3].len ? "added tag " : "", add[3].p,
		    chg[3].len ? "changed tag " : "", chg[3].p,
		    del[3].len ? "deleted tag " : "");
		if (del[3].len)
			buf_addstr(&summary, del[3].p);
	}
	if (summary.len == 0)
		buf_addf(&summary, "%s changed nothing", a->user.username);
	has_build = r.build_uuid[0] != '\0';
	cc = xcalloc(1, sizeof(*cc));
	if (config_insert(a->ctl->db, a->seg[0], a->user.username, r.values, r.memory, r.cpu,
	    r.tags, cfg, &e) < 0 ||
	    rel_create(a->ctl->db, a->seg[0], a->user.username, cfg, r.build_uuid, summary.p,
	    &cc->version, &e) < 0 || db_commit(a->ctl->db, &e) < 0) {
		db_rollback(a->ctl->db);
		free(cc);
		rel_clear(&r);
		api_db_error(a, &e, NULL);
		goto out_bufs;
	}
	rel_clear(&r);
	event_log(a->ctl, a->seg[0], "%s", summary.p);
	if (json_object_get(a->body, "values"))
		routes_changed(a->ctl);	/* DEIS_WHITELIST and friends */
	if (has_build)
		deploy_submit(a, a->seg[0], cc->version, config_deployed, cc);
	else
		config_deployed(a, 0, &e, NULL, cc);
out_bufs:
	for (i = 0; i < 4; i++) {
		buf_release(&add[i]);
		buf_release(&chg[i]);
		buf_release(&del[i]);
	}
	buf_release(&summary);
}
