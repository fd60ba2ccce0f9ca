/*
 * Repositories and build caches of apps that are gone. An app's <app>.git and
 * cache/<app> outlive `deis apps:destroy` (the controller has no way into the
 * builder's disk); this removes them: those whose app the controller no longer
 * lists, and those marked with the uuid of an earlier app of the same name.
 *
 * Run by `deis-builder gc`, at `deis-builder start` and, at most every
 * gc_interval seconds, after a push or fetch (in a detached child, so nobody
 * waits for it). Each removal holds the app's push lock, and is skipped when
 * the repository changed since the controller was asked: a push that made or
 * re-marked it meanwhile belongs to a live app.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder/builder.h"
#include "lib/log.h"
#include "lib/xalloc.h"

int
builder_lock(const struct conf *c, const char *app, struct err *e)
{
	char *path = xasprintf("%s/%s.lock", c->repo_dir, app);
	struct stat held, now;
	int fd = -1, tries;

	for (tries = 0; tries < 5; tries++) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0) {
			err_set(e, 1, "cannot open '%s': %s", path, strerror(errno));
			break;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			err_set(e, EWOULDBLOCK, "'%s' is locked", path);
			close(fd);
			fd = -1;
			break;
		}
		/* A gc may have removed the file while we waited for it: lock the new one. */
		if (fstat(fd, &held) == 0 && stat(path, &now) == 0 && held.st_dev == now.st_dev &&
		    held.st_ino == now.st_ino)
			break;
		close(fd);
		fd = -1;
		err_set(e, 1, "'%s' keeps being replaced", path);
	}
	free(path);
	return fd;
}

void
repo_uuid(const char *repo, char uuid[APP_UUID_MAX + 2])
{
	char *marker = xasprintf("%s/deis-app-uuid", repo);
	FILE *f = fopen(marker, "re");

	uuid[0] = '\0';
	if (f) {
		if (fgets(uuid, APP_UUID_MAX + 2, f))
			uuid[strcspn(uuid, "\n")] = '\0';
		fclose(f);
	}
	free(marker);
}

/* What an app's repository looked like before the controller was asked. */
struct seen {
	char app[APP_NAME_MAX + 1];
	char uuid[APP_UUID_MAX + 2];	/* its marker, "" when none */
	bool repo;			/* false: a cache without a repository */
};

static void
seen_add(struct seen **v, size_t *n, const struct conf *c, const char *app, bool repo)
{
	struct seen *s;
	char *path;
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i].app, app) == 0)
			return;
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	s = &(*v)[(*n)++];
	strlcpy(s->app, app, sizeof(s->app));
	s->repo = repo;
	path = xasprintf("%s/%s.git", c->repo_dir, app);
	repo_uuid(path, s->uuid);
	free(path);
}

/* Every <app>.git, then every cache/<app> without one. */
static void
seen_scan(const struct conf *c, struct seen **v, size_t *n)
{
	const char *dirs[] = { c->repo_dir, c->cache_dir };
	char name[APP_NAME_MAX + 8];
	struct dirent *de;
	size_t k, len;

	for (k = 0; k < ARRAY_SIZE(dirs); k++) {
		DIR *d = opendir(dirs[k]);

		if (d == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (strlcpy(name, de->d_name, sizeof(name)) >= sizeof(name))
				continue;
			len = strlen(name);
			if (k == 0) {
				if (len < 5 || strcmp(name + len - 4, ".git") != 0)
					continue;
				name[len - 4] = '\0';
			}
			if (app_name_valid(name))
				seen_add(v, n, c, name, k == 0);
		}
		closedir(d);
	}
}

static const char *
listed_uuid(json_t *apps, const char *app)
{
	json_t *a;
	size_t i;

	json_array_foreach(apps, i, a)
		if (json_is_string(json_object_get(a, "id")) &&
		    strcmp(json_string_value(json_object_get(a, "id")), app) == 0)
			return json_string_value(json_object_get(a, "uuid"));
	return NULL;
}

/* Remove one app's leftovers under its lock; 1 removed, 0 kept or busy. */
static int
gc_one(const struct conf *c, const struct seen *s)
{
	char *repo = xasprintf("%s/%s.git", c->repo_dir, s->app);
	char *cache = xasprintf("%s/%s", c->cache_dir, s->app);
	char *lock = xasprintf("%s/%s.lock", c->repo_dir, s->app);
	char now[APP_UUID_MAX + 2];
	struct err e = { 0 };
	int fd = builder_lock(c, s->app, &e), rc = 0;

	if (fd < 0)
		goto out;	/* a push holds it: next time */
	repo_uuid(repo, now);
	if ((access(repo, F_OK) == 0) != s->repo || strcmp(now, s->uuid) != 0)
		goto unlock;	/* pushed meanwhile */
	if (builder_rm_rf(repo) < 0 || builder_rm_rf(cache) < 0) {
		log_warn("gc: cannot remove what app '%s' left: %s", s->app, strerror(errno));
		goto unlock;
	}
	unlink(lock);
	log_info("gc: removed the repository and build cache of '%s' (%s)", s->app,
	    s->uuid[0] ? "that app is gone" : "no such app");
	rc = 1;
unlock:
	close(fd);
out:
	free(repo);
	free(cache);
	free(lock);
	return rc;
}

int
builder_gc(const struct conf *c, struct err *e)
{
	struct seen *v = NULL;
	size_t n = 0, i;
	json_t *body, *resp = NULL, *apps;
	long status = 0;
	int removed = -1;

	seen_scan(c, &v, &n);
	if (n == 0)
		return 0;
	body = json_object();
	if (hooks_post(c, "/v1/hooks/apps", body, 30, &status, &resp, e) < 0)
		goto out;
	apps = json_object_get(resp, "apps");
	if (status != 200 || !json_is_array(apps)) {
		err_set(e, 1, "the controller did not list its apps (%ld): %s", status,
		    hooks_detail(resp, status));
		goto out;
	}
	removed = 0;
	for (i = 0; i < n; i++) {
		const char *live = listed_uuid(apps, v[i].app);

		/* Listed and unmarked (older than markers) or marked with its uuid: live. */
		if (live && (!v[i].uuid[0] || strcmp(v[i].uuid, live) == 0))
			continue;
		removed += gc_one(c, &v[i]);
	}
out:
	json_decref(body);
	json_decref(resp);
	free(v);
	return removed;
}

/*
 * In a detached child (stdio on /dev/null, own session): at most every
 * c->gc_interval seconds (stamp: <repos>/.gc-stamp, the git user's), or now
 * with force (start: its stderr is the builder's log).
 */
void
builder_gc_spawn(const struct conf *c, bool force)
{
	char *stamp = xasprintf("%s/.gc-stamp", c->repo_dir);
	struct stat st;
	struct err e = { 0 };
	pid_t pid;
	int fd, n;

	if (!force) {
		if (stat(stamp, &st) == 0 && time(NULL) - st.st_mtime < c->gc_interval &&
		    time(NULL) >= st.st_mtime)
			goto out;
		fd = open(stamp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			goto out;	/* without a stamp, not after every push */
		close(fd);
	}
	fflush(NULL);
	pid = fork();
	if (pid != 0)
		goto out;
	setsid();
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		if (!force)
			dup2(fd, 2);	/* not the pushing user's terminal; start's stderr is the log */
		if (fd > 2)
			close(fd);
	}
	n = builder_gc(c, &e);
	if (n < 0)
		log_warn("gc: %s", e.msg);
	_exit(n < 0);
out:
	free(stamp);
}

int
gc_main(int argc, char **argv)
{
	const char *conf_path = BUILDER_CONF_DEFAULT;
	struct conf c;
	struct err e = { 0 };
	int n;

	if (argc >= 3 && strcmp(argv[1], "--config") == 0)
		conf_path = argv[2];
	if (conf_load(&c, conf_path, &e) < 0) {
		log_error("%s", e.msg);
		return 1;
	}
	n = builder_gc(&c, &e);
	if (n < 0)
		log_error("%s", e.msg);
	else
		printf("removed what %d gone app(s) left\n", n);
	conf_free(&c);
	return n < 0;
}
