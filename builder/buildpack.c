/*
 * Buildpack apps (Heroku buildpack API v2a). The tree is unpacked into
 * <tmp>/src, config values become files in <tmp>/env (ENV_DIR), and a build
 * container on the stack image runs builder/images/slugbuilder as the
 * builder's own uid with no capabilities: detect, compile (with the app's
 * cache dir mounted), release, then a slug tarball in <tmp>/out. The app
 * image is a fresh, never-started container on the stack whose /app receives
 * the slug, committed with the runner as entrypoint. Config values are never
 * in that container's environment, so they never end up in an image.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "builder/builder.h"
#include "lib/docker.h"
#include "lib/run.h"
#include "lib/xalloc.h"

static bool
env_name_valid(const char *s)
{
	size_t i;

	if (!s || !s[0] || (s[0] >= '0' && s[0] <= '9') || strlen(s) > 255)
		return false;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

int
buildpack_write_file(const char *path, const char *p, size_t n, struct err *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t w = 0;

	if (fd >= 0)
		w = write(fd, p, n);
	if (fd < 0 || w != (ssize_t)n) {
		if (fd >= 0)
			close(fd);
		return err_set(e, 1, "cannot write '%s': %s", path, strerror(errno));
	}
	return close(fd);
}

/* ENV_DIR: one file per config value, its name the key and its bytes the value. */
static int
buildpack_env_dir(struct build *b, const char *dir, struct err *e)
{
	const char *k;
	json_t *v;

	if (mkdir(dir, 0700) < 0)
		return err_set(e, 1, "cannot create '%s': %s", dir, strerror(errno));
	json_object_foreach(b->config, k, v) {
		char *path;
		int rc;

		if (!json_is_string(v))
			continue;
		if (!env_name_valid(k)) {
			out_info("skipping config key '%s': not a valid environment name", k);
			continue;
		}
		path = xasprintf("%s/%s", dir, k);
		rc = buildpack_write_file(path, json_string_value(v), json_string_length(v), e);
		free(path);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/*
 * Where the buildpacks come from: BUILDPACK_URL, the lines of .buildpacks
 * (read from the pushed commit, never through the file system: a symbolic
 * link there would make the builder read its own files into URLs), or the
 * built-ins. Custom ones are only listed here, for the fetch (fetch.c).
 */
static int
buildpack_select(struct build *b, char **dir, bool *multi, struct err *e)
{
	const char *custom = json_string_value(json_object_get(b->config, "BUILDPACK_URL"));
	char *list, *line, *next, name[8];
	size_t len;
	int n = 0;

	*multi = false;
	*dir = NULL;
	if (custom && *custom) {
		if (fetch_add_buildpack(b->fetch, custom, "00-custom", e) < 0)
			return -1;
		*dir = xasprintf("%s/buildpacks", b->tmp);
		return 0;
	}
	list = build_tree_read(b, ".buildpacks", &len);
	if (list == NULL) {
		*dir = xstrdup(b->conf->buildpacks_dir);
		return 0;
	}
	*multi = true;
	*dir = xasprintf("%s/buildpacks", b->tmp);
	for (line = list; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (++n > 20) {
			free(list);
			return err_set(e, 1, ".buildpacks lists more than 20 buildpacks");
		}
		snprintf(name, sizeof(name), "%02d", n);
		if (fetch_add_buildpack(b->fetch, line, name, e) < 0) {
			free(list);
			return -1;
		}
	}
	free(list);
	if (n == 0)
		return err_set(e, 1, ".buildpacks lists no buildpack");
	return 0;
}

static char *
bind_spec(const char *host, const char *cont, const char *mode)
{
	return xasprintf("%s:%s:%s", host, cont, mode);
}

/*
 * Open a file the build wrote to its output dir. The build (a buildpack is
 * anyone's code) may leave a symbolic link there to a file of the builder's
 * (its key, the registry's password): only a regular file itself is read.
 * -1 with e set when it is something else; -1 with errno ENOENT when absent.
 */
int
buildpack_open_out(const char *dir, const char *name, struct err *e)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;

	free(path);
	if (fd < 0 && errno == ENOENT)
		return -1;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		err_set(e, 1, "the build's output '%s' is not a regular file", name);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* Read a small file of the build's output dir into *text (NULL when absent); -1 (e) if not a file. */
static int
read_out(const char *dir, const char *name, char **text, size_t *len, struct err *e)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	ssize_t n;
	int fd = buildpack_open_out(dir, name, e);

	*text = NULL;
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 && b.len < (1u << 20))
		buf_add(&b, chunk, (size_t)n);
	close(fd);
	*text = buf_detach(&b, len);
	return 0;
}

/* Run slugbuilder in a build container; its output streams to the user. */
static int
buildpack_compile(struct build *b, const char *bpdir, bool multi, struct err *e)
{
	const struct conf *c = b->conf;
	char *outd = xasprintf("%s/out", b->tmp), *cache = xasprintf("%s/%s", c->cache_dir, b->app);
	char *sv = xasprintf("SOURCE_VERSION=%s", b->sha), *app = xasprintf("DEIS_APP=%s", b->app);
	const char *env[] = { sv, app, multi ? "DEIS_MULTI_BUILDPACK=1" : "DEIS_MULTI_BUILDPACK=",
	    "HOME=/tmp/home", NULL };
	char *binds[7];
	json_t *cfg;
	struct limits_watch w;
	int exit_code = -1, rc = -1;
	size_t i;

	binds[0] = xasprintf("%s/src:/tmp/src:ro", b->tmp);
	binds[1] = xasprintf("%s/env:/tmp/env:ro", b->tmp);
	binds[2] = bind_spec(cache, "/tmp/cache", "rw");
	binds[3] = bind_spec(bpdir, "/tmp/buildpacks", "ro");
	binds[4] = bind_spec(c->lib_dir, "/builder", "ro");
	binds[5] = bind_spec(outd, "/tmp/out", "rw");
	binds[6] = NULL;
	mkdir(c->cache_dir, 0755);
	mkdir(cache, 0700);
	mkdir(outd, 0755);
	cfg = sandbox_config(b, "/builder/slugbuilder", (const char *const *)binds, env);
	/* the disk it writes: its own layer, the slug's directory, what the cache grows by */
	limits_watch_init(&w, b->docker, c);
	limits_watch_dir(&w, outd, false);
	limits_watch_dir(&w, cache, true);
	if (sandbox_run(b, cfg, b->container, &w, &exit_code, e) < 0)
		goto out;
	if (exit_code != 0) {
		err_set(e, 1, "the buildpack build failed (exit %d)", exit_code);
		limits_explain(c, &w, false, e);
		goto out;
	}
	rc = 0;
out:
	json_decref(cfg);
	for (i = 0; binds[i]; i++)
		free(binds[i]);
	free(outd);
	free(cache);
	free(sv);
	free(app);
	return rc;
}

/* A fresh container on the stack + the slug in / → committed as the app image. */
static int
buildpack_image(struct build *b, const char *image, struct err *e)
{
	char *outd = xasprintf("%s/out", b->tmp), *path = NULL, *repo, *q1, *q2;
	const char *colon = strrchr(image, ':');
	json_t *cfg, *resp = NULL;
	int fd = -1, rc = -1;

	/*
	 * No builder labels here: a commit keeps the container's labels, and app
	 * containers must not look like build containers. The name identifies it.
	 */
	cfg = json_pack("{s:s, s:[s], s:[s,s], s:s, s:s, s:[s,s], s:{s:{}}}",
	    "Image", b->conf->stack_image,
	    "Entrypoint", "/runner/init",
	    "Cmd", "start", "web",
	    "User", "2000:2000",
	    "WorkingDir", "/app",
	    "Env", "PORT=5000", "HOME=/app",
	    "ExposedPorts", "5000/tcp");
	path = xasprintf("/containers/create?name=deis-slug-%s-%ld", b->app, (long)getpid());
	resp = docker_call(b->docker, "POST", path, cfg, 30000, NULL, NULL,
	    "cannot create the slug container", e);
	if (resp == NULL)
		goto out;
	snprintf(b->slug_container, sizeof(b->slug_container), "%s",
	    json_string_value(json_object_get(resp, "Id")) ?: "");
	fd = buildpack_open_out(outd, "slug.tar", e);
	if (fd < 0) {
		if (errno == ENOENT)
			err_set(e, 1, "the build produced no slug");
		goto out;
	}
	if (engine_archive_put(b->docker, b->slug_container, "/", fd, e) < 0)
		goto out;
	free(path);
	repo = xstrndup(image, (size_t)(colon - image));
	q1 = curl_escape(repo, 0);
	q2 = curl_escape(colon + 1, 0);
	path = xasprintf("/commit?container=%s&repo=%s&tag=%s", b->slug_container, q1, q2);
	curl_free(q1);
	curl_free(q2);
	free(repo);
	json_decref(resp);
	resp = NULL;
	json_decref(cfg);
	cfg = json_object();	/* the engine wants a JSON body; the container's config stands */
	resp = docker_call(b->docker, "POST", path, cfg, 60000, NULL, NULL,
	    "cannot commit the app image", e);
	if (resp == NULL)
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	json_decref(resp);
	json_decref(cfg);
	free(outd);
	free(path);
	return rc;
}

int
buildpack_build(struct build *b, const char *image, json_t **procfile, struct err *e)
{
	char *src = xasprintf("%s/src", b->tmp), *env = xasprintf("%s/env", b->tmp);
	char *outd = xasprintf("%s/out", b->tmp), *bpdir = NULL, *text;
	json_t *types;
	bool multi, custom;
	size_t len;
	int rc = -1;

	*procfile = NULL;
	if (build_unpack(b, src, e) < 0 || buildpack_env_dir(b, env, e) < 0 ||
	    buildpack_select(b, &bpdir, &multi, e) < 0)
		goto out;
	/* custom buildpacks, fetched in the sandbox into a directory made here */
	custom = strcmp(bpdir, b->conf->buildpacks_dir) != 0;
	if (custom && mkdir(bpdir, 0755) < 0) {
		err_set(e, 1, "cannot create '%s': %s", bpdir, strerror(errno));
		goto out;
	}
	if (fetch_run(b, b->fetch, custom ? bpdir : NULL, e) < 0 ||
	    fetch_modules_unpack(b, src, e) < 0 || buildpack_compile(b, bpdir, multi, e) < 0)
		goto out;
	out_step("Building Docker image");
	if (buildpack_image(b, image, e) < 0)
		goto out;
	/* Process types: the buildpack's defaults, overridden by the Procfile. */
	if (read_out(outd, "release", &text, &len, e) < 0)
		goto out;
	types = text ? release_default_types(text, len) : json_object();
	free(text);
	if (read_out(outd, "Procfile", &text, &len, e) < 0) {
		json_decref(types);
		goto out;
	}
	if (text) {
		json_t *p = procfile_parse(text, len, e);

		free(text);
		if (!p) {
			json_decref(types);
			goto out;
		}
		json_object_update(types, p);
		json_decref(p);
	}
	*procfile = types;
	rc = 0;
out:
	free(src);
	free(env);
	free(outd);
	free(bpdir);
	return rc;
}
