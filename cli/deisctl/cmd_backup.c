/*
 * backup DIR, restore DIR: what it takes to bring the control plane back on a
 * new node when its node is gone for good (docs/backup.md).
 *
 * A backup is a directory (made 0700; it holds the platform's secrets):
 *
 *   manifest.json     what was backed up: prefix, mode, database engine, store
 *   state.tar         the state dir (settings, secrets, the router's certificate,
 *                     the builder's repositories and SSH host keys), without what
 *                     install makes again (builder-lib/) or what a build refills
 *                     (builder/cache/, builder/tmp/)
 *   controller.db     SQLite: a consistent copy (SQLite's online backup), or
 *   database.dump     PostgreSQL: pg_dump's custom format, run in the database's
 *                     container onto its volume and moved out
 *   registry.tar      the store with the filesystem backend (the registry's
 *                     volume); with s3 the images are in the bucket, which the
 *                     manifest names and the operator's S3 service keeps
 *
 * deisctl runs on the control-plane node (the engine it talks to holds the
 * database's volume, read and written at its mount point on this host).
 * restore needs a state dir that holds no platform; it writes the state, the
 * volumes' contents, installs, and leaves `deisctl start platform` to the
 * operator (with PostgreSQL it starts the database to load the dump).
 */
#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/deisctl/deisctl.h"
#include "lib/buf.h"
#include "lib/docker.h"
#include "lib/run.h"
#include "lib/xalloc.h"

#define FORMAT 1
#define DUMP_IN_VOLUME "deis-backup.dump"	/* in the database volume, for a moment */

/* The mount point on this host of volume <prefix>-<name>; NULL with e set (404: none). */
static char *
volume_dir(struct dctl *d, const char *name, struct err *e)
{
	char *path = xasprintf("/volumes/%s-%s", d->prefix, name), *dir = NULL;
	json_t *v = docker_call(d->docker, "GET", path, NULL, 30000, NULL, NULL, "inspect volume", e);

	free(path);
	if (!v)
		return NULL;
	if (json_string_value(json_object_get(v, "Mountpoint")))
		dir = xstrdup(json_string_value(json_object_get(v, "Mountpoint")));
	else
		err_set(e, 500, "the volume %s-%s has no mount point on this host", d->prefix, name);
	json_decref(v);
	return dir;
}

static char *
volume_make(struct dctl *d, const char *name, struct err *e)
{
	char *vol = xasprintf("%s-%s", d->prefix, name);
	json_t *body = json_pack("{s:s, s:{s:s}}", "Name", vol, "Labels", "sh.deis.instance",
	    d->prefix), *r;

	r = docker_call(d->docker, "POST", "/volumes/create", body, 30000, NULL, NULL,
	    "create volume", e);
	json_decref(body);
	free(vol);
	if (!r)
		return NULL;
	json_decref(r);
	return volume_dir(d, name, e);
}

/* Without its trailing newlines and spaces. */
static void
trim(struct buf *b)
{
	size_t n = b->len;

	while (n && (b->p[n - 1] == '\n' || b->p[n - 1] == ' '))
		n--;
	buf_setlen(b, n);
}

/* Run argv (no shell) to completion; its error output in e when it fails. */
static int
run(const char *const *argv, struct err *e)
{
	struct buf out = BUF_INIT;
	int status = -1, rc = 0;

	if (run_capture(argv, NULL, NULL, NULL, 0, &out, &out, 3600 * 1000, &status, e) < 0)
		rc = -1;
	else if (status != 0) {
		trim(&out);
		err_set(e, 500, "%s failed (status %d): %s", argv[0], status, out.len ? out.p : "");
		rc = -1;
	}
	buf_release(&out);
	return rc;
}

/* The running container of component here: <prefix>-<c>, or its swarm task on this engine. */
static char *
running(struct dctl *d, const char *component, struct err *e)
{
	char *name = xasprintf("%s-%s", d->prefix, component), *id = NULL;
	struct cinfo ci;

	if (dctl_engine_inspect(d, name, &ci, e) == 0 && !strcmp(ci.status, "running"))
		id = xstrdup(ci.id);
	else {
		*e = (struct err){ 0 };
		if (!(id = dctl_engine_task(d, name, e)) && !e->code)
			err_set(e, 409, "the %s is not running on this engine: start it "
			    "('deisctl start %s'), on the control-plane node with mode=swarm",
			    component, component);
	}
	free(name);
	return id;
}

/* argv in the database's container, with the password in its environment. */
static int
db_exec(struct dctl *d, const char *id, const char *const *argv, long timeout_ms,
    struct err *e)
{
	char *pw = xasprintf("PGPASSWORD=%s", d->database_password);
	const char *env[] = { pw, NULL };
	struct buf out = BUF_INIT;
	int code = -1, rc = 0;

	if (docker_exec(d->docker, id, argv, env, timeout_ms, &out, &code, e) < 0)
		rc = -1;
	else if (code != 0) {
		trim(&out);
		err_set(e, 500, "%s in the database failed (status %d): %s", argv[0], code,
		    out.len ? out.p : "");
		rc = -1;
	}
	explicit_bzero(pw, strlen(pw));
	free(pw);
	buf_release(&out);
	return rc;
}

/* SQLite's online backup of src into dst (a new file): consistent while the controller writes. */
static int
sqlite_copy(const char *src, const char *dst, struct err *e)
{
	sqlite3 *from = NULL, *to = NULL;
	sqlite3_backup *b;
	int rc = -1;

	if (sqlite3_open_v2(src, &from, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_open_v2(dst, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		err_set(e, 500, "cannot open '%s' or '%s': %s", src, dst,
		    sqlite3_errmsg(to ? to : from));
		goto out;
	}
	sqlite3_busy_timeout(from, 10000);
	if (!(b = sqlite3_backup_init(to, "main", from, "main"))) {
		err_set(e, 500, "cannot copy '%s': %s", src, sqlite3_errmsg(to));
		goto out;
	}
	while ((rc = sqlite3_backup_step(b, 256)) == SQLITE_OK || rc == SQLITE_BUSY ||
	    rc == SQLITE_LOCKED)
		if (rc != SQLITE_OK)
			sqlite3_sleep(50);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		err_set(e, 500, "cannot copy '%s': %s", src, sqlite3_errstr(rc));
		rc = -1;
		goto out;
	}
	rc = chmod(dst, 0600);
out:
	sqlite3_close(from);
	sqlite3_close(to);
	return rc;
}

static bool
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int
backup_database(struct dctl *d, const char *dir, struct err *e)
{
	char *vol = volume_dir(d, "database", e), *src = NULL, *dst = NULL, *id = NULL;
	int rc = -1;

	if (!vol)
		return -1;
	if (!dctl_component_postgres(d)) {
		src = xasprintf("%s/controller.db", vol);
		dst = xasprintf("%s/controller.db", dir);
		if (!exists(src))
			err_set(e, 404, "no database at '%s': has the controller run?", src);
		else
			rc = sqlite_copy(src, dst, e);
	} else if ((id = running(d, "database", e))) {
		const char *argv[] = { "pg_dump", "-h", "/tmp", "-U", "deis", "-Fc", "-f",
		    "/var/lib/deis/db/" DUMP_IN_VOLUME, "postgres", NULL };
		const char *mv[] = { "mv", "--", NULL, NULL, NULL };

		src = xasprintf("%s/" DUMP_IN_VOLUME, vol);
		dst = xasprintf("%s/database.dump", dir);
		mv[2] = src;
		mv[3] = dst;
		if (db_exec(d, id, argv, 3600 * 1000, e) == 0 && run(mv, e) == 0)
			rc = chmod(dst, 0600);
		unlink(src);
	}
	free(id);
	free(src);
	free(dst);
	free(vol);
	return rc;
}

static void
manifest_write(struct dctl *d, const char *dir, bool registry, struct err *e)
{
	char when[32], *path = xasprintf("%s/manifest.json", dir);
	time_t now = time(NULL);
	struct tm tm;
	json_t *m;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	m = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:b}", "format", FORMAT, "created", when,
	    "prefix", d->prefix, "mode", dctl_swarm_mode(d) ? "swarm" : "host", "database",
	    dctl_component_postgres(d) ? "postgres" : "sqlite", "store",
	    dctl_store_s3(d) ? "s3" : "filesystem", "registry", registry);
	if (dctl_store_s3(d))
		json_object_set_new(m, "bucket", json_string(dctl_state_get(d, "store", "bucket", "")));
	if (json_dump_file(m, path, JSON_INDENT(2)) < 0)
		err_set(e, 500, "cannot write '%s'", path);
	json_decref(m);
	free(path);
}

int
dctl_cmd_backup(struct dctl *d, int argc, char **argv)
{
	struct err e = { 0 };
	char *tar = NULL, *reg = NULL, *regtar = NULL;
	const char *dir;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: deisctl backup <new directory>\n");
		return 2;
	}
	dir = argv[1];
	if (!dctl_state_installed(d)) {
		fprintf(stderr, "deisctl: backup: no platform is installed here (state dir '%s')\n",
		    d->state_dir);
		return 1;
	}
	if (mkdir(dir, 0700) < 0) {
		fprintf(stderr, "deisctl: backup: cannot make '%s': %s%s\n", dir, strerror(errno),
		    errno == EEXIST ? " (a backup goes to a new directory)" : "");
		return 1;
	}
	tar = xasprintf("%s/state.tar", dir);
	{
		const char *a[] = { "tar", "-C", d->state_dir, "--exclude=./builder-lib",
		    "--exclude=./builder/cache", "--exclude=./builder/tmp", "-cf", tar, ".", NULL };

		if (run(a, &e) < 0 || chmod(tar, 0600) < 0)
			goto out;
	}
	if (backup_database(d, dir, &e) < 0)
		goto out;
	if (!dctl_store_s3(d)) {
		if (!(reg = volume_dir(d, "registry", &e)))
			goto out;
		regtar = xasprintf("%s/registry.tar", dir);
		const char *a[] = { "tar", "-C", reg, "-cf", regtar, ".", NULL };

		if (run(a, &e) < 0 || chmod(regtar, 0600) < 0)
			goto out;
	}
	manifest_write(d, dir, !dctl_store_s3(d), &e);
	if (!e.code) {
		printf("backup of platform '%s' in '%s': state, %s database%s\n", d->prefix, dir,
		    dctl_component_postgres(d) ? "PostgreSQL" : "SQLite",
		    dctl_store_s3(d) ? " (images: in the S3 bucket)" : ", images");
		rc = 0;
	}
out:
	if (rc)
		fprintf(stderr, "deisctl: backup: %s\n", e.msg);
	free(tar);
	free(reg);
	free(regtar);
	return rc;
}

/* Wait (bounded) until PostgreSQL in container id takes connections. */
static int
pg_ready(struct dctl *d, const char *id, struct err *e)
{
	const char *argv[] = { "pg_isready", "-h", "/tmp", "-U", "deis", "-d", "postgres", NULL };
	long long until = dctl_now_ms() + 60000;

	while (db_exec(d, id, argv, 10000, e) < 0) {
		if (dctl_now_ms() > until)
			return -1;
		*e = (struct err){ 0 };
		usleep(200 * 1000);
	}
	return 0;
}

static int
restore_database(struct dctl *d, const char *dir, const char *vol, struct err *e)
{
	char *src, *dst, *id = NULL;
	char *start[] = { "start", "database", NULL };
	int rc = -1;

	if (!dctl_component_postgres(d)) {
		src = xasprintf("%s/controller.db", dir);
		dst = xasprintf("%s/controller.db", vol);
		rc = sqlite_copy(src, dst, e);
		free(src);
		free(dst);
		return rc;
	}
	src = xasprintf("%s/database.dump", dir);
	dst = xasprintf("%s/" DUMP_IN_VOLUME, vol);
	{
		const char *cp[] = { "cp", "--", src, dst, NULL };
		const char *argv[] = { "pg_restore", "-h", "/tmp", "-U", "deis", "-d", "postgres",
		    "--exit-on-error", "--no-owner", "/var/lib/deis/db/" DUMP_IN_VOLUME, NULL };

		if (run(cp, e) < 0)
			goto out;
		if (dctl_cmd_start(d, 2, start) != 0) {
			err_set(e, 500, "the database did not start");
			goto out;
		}
		if (!(id = running(d, "database", e)) || pg_ready(d, id, e) < 0 ||
		    db_exec(d, id, argv, 3600 * 1000, e) < 0)
			goto out;
		rc = 0;
	}
out:
	unlink(dst);
	free(id);
	free(src);
	free(dst);
	return rc;
}

/* -1 with e set when volume <prefix>-<name> exists and holds anything. */
static int
volume_unused(struct dctl *d, const char *name, struct err *e)
{
	char *path = xasprintf("/volumes/%s-%s", d->prefix, name), *dir;
	long status = 0;
	json_t *v = docker_call(d->docker, "GET", path, NULL, 30000, (const int[]){ 404, 0 },
	    &status, "inspect volume", e);
	struct dirent *de;
	DIR *dh;
	int rc = 0;

	free(path);
	if (!v)
		return -1;
	dir = status == 404 ? NULL : xstrdup(json_string_value(json_object_get(v, "Mountpoint")) ?: "");
	json_decref(v);
	if (dir && (dh = opendir(dir))) {
		while ((de = readdir(dh)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				break;
		if (de)
			rc = err_set(e, 409, "the volume %s-%s holds data already: a restore fills "
			    "new volumes ('docker volume rm %s-%s' if it is not needed, or another "
			    "--prefix)", d->prefix, name, d->prefix, name);
		closedir(dh);
	}
	free(dir);
	return rc;
}

/* The backup's manifest, checked; NULL with e set. */
static json_t *
manifest_read(const char *dir, struct err *e)
{
	char *path = xasprintf("%s/manifest.json", dir);
	json_error_t je;
	json_t *m = json_load_file(path, 0, &je);

	if (!m)
		err_set(e, 400, "'%s' is not a deisctl backup (%s: %s)", dir, path, je.text);
	else if (json_integer_value(json_object_get(m, "format")) != FORMAT) {
		err_set(e, 400, "'%s' is a backup of another format (%lld, this deisctl reads %d)",
		    dir, (long long)json_integer_value(json_object_get(m, "format")), FORMAT);
		json_decref(m);
		m = NULL;
	}
	free(path);
	return m;
}

int
dctl_cmd_restore(struct dctl *d, int argc, char **argv)
{
	char *install[] = { "install", "platform", NULL };
	struct err e = { 0 };
	char *tar = NULL, *vol = NULL, *regtar = NULL;
	const char *dir, *engine;
	json_t *m = NULL;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: deisctl restore <backup directory>\n");
		return 2;
	}
	dir = argv[1];
	if (!(m = manifest_read(dir, &e)))
		goto out;
	if (dctl_state_installed(d)) {
		err_set(&e, 409, "a platform is installed here (state dir '%s'): restore makes a "
		    "new one; 'deisctl uninstall --purge platform' first, or another --state",
		    d->state_dir);
		goto out;
	}
	if (volume_unused(d, "database", &e) < 0 || (json_is_true(json_object_get(m,
	    "registry")) && volume_unused(d, "registry", &e) < 0))
		goto out;
	if (dctl_state_mkdir(d, &e) < 0)
		goto out;
	tar = xasprintf("%s/state.tar", dir);
	{
		const char *a[] = { "tar", "-C", d->state_dir, "-xpf", tar, NULL };

		if (run(a, &e) < 0)
			goto out;
	}
	if (dctl_state_load(d, &e) < 0 || dctl_state_secrets(d, false, &e) < 0)
		goto out;
	engine = json_string_value(json_object_get(m, "database")) ?: "";
	if (strcmp(engine, dctl_component_postgres(d) ? "postgres" : "sqlite")) {
		err_set(&e, 400, "the backup's database is '%s', its settings say otherwise", engine);
		goto out;
	}
	if (json_is_true(json_object_get(m, "registry"))) {
		char *reg = volume_make(d, "registry", &e);

		regtar = xasprintf("%s/registry.tar", dir);
		const char *a[] = { "tar", "-C", reg ?: "", "-xpf", regtar, NULL };

		if (!reg || run(a, &e) < 0) {
			free(reg);
			goto out;
		}
		free(reg);
	}
	if (!(vol = volume_make(d, "database", &e)))
		goto out;
	if (dctl_cmd_install(d, 2, install) != 0) {
		err_set(&e, 500, "install failed");
		goto out;
	}
	if (restore_database(d, dir, vol, &e) < 0)
		goto out;
	printf("platform '%s' restored from '%s' (made %s): start it with 'deisctl start "
	    "platform'\n", d->prefix, dir, json_string_value(json_object_get(m, "created")) ?: "?");
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "deisctl: restore: %s\n", e.msg);
	json_decref(m);
	free(tar);
	free(vol);
	free(regtar);
	return rc;
}
