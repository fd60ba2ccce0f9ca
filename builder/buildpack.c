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

#define BUILD_CA_BUNDLE "/etc/ssl/deis-build-ca.pem"

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

static int
write_file(const char *path, const char *p, size_t n, struct err *e)
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
		rc = write_file(path, json_string_value(v), json_string_length(v), e);
		free(path);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* git archive <sha> | tar -x -C dir: two children joined by a pipe, no shell. */
static int
buildpack_unpack(struct build *b, const char *dir, struct err *e)
{
	const char *gargv[] = { "git", "archive", "--format=tar", b->sha, NULL };
	const char *targv[] = { "tar", "-x", "--no-same-owner", "-C", dir, "-f", "-", NULL };
	struct run g = { .argv = gargv, .dir = b->repo, .out = RUN_PIPE };
	struct run t = { .argv = targv, .in = RUN_FD };
	int gs = 1, ts = 1, rc = 0;

	if (mkdir(dir, 0755) < 0)
		return err_set(e, 1, "cannot create '%s': %s", dir, strerror(errno));
	if (run_start(&g, e) < 0)
		return -1;
	t.in_fd = g.out_fd;
	if (run_start(&t, e) < 0) {
		close(g.out_fd);
		run_wait(&g, 10000, &gs, NULL);
		return -1;
	}
	close(g.out_fd);
	if (run_wait(&g, 300000, &gs, e) < 0 || run_wait(&t, 300000, &ts, e) < 0)
		rc = -1;
	else if (gs != 0 || ts != 0)
		rc = err_set(e, 1, "cannot unpack the pushed tree (git archive %d, tar %d)", gs, ts);
	return rc;
}

/* BUILDPACK_URL=url[#ref] (or each line of .buildpacks) cloned into dir. */
static int
buildpack_clone(const char *spec, const char *dir, struct err *e)
{
	char *url = xstrdup(spec), *ref = strchr(url, '#');
	const char *env[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "GIT_TERMINAL_PROMPT=0",
	    "GIT_ALLOW_PROTOCOL=http:https:git", "HOME=/nonexistent", NULL };
	const char *argv[10];
	struct buf out = BUF_INIT;
	int status = 1, n = 0, rc = 0;

	if (ref)
		*ref++ = '\0';
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "git://", 6) != 0) {
		rc = err_set(e, 1, "buildpack URL '%.200s' is not http(s):// or git://", url);
		goto out;
	}
	if (ref && (!*ref || *ref == '-' || strpbrk(ref, " \t\n"))) {
		rc = err_set(e, 1, "invalid buildpack ref '%.100s'", ref);
		goto out;
	}
	argv[n++] = "git";
	argv[n++] = "clone";
	argv[n++] = "--quiet";
	if (ref) {
		argv[n++] = "--branch";
		argv[n++] = ref;
	}
	argv[n++] = "--";
	argv[n++] = url;
	argv[n++] = dir;
	argv[n] = NULL;
	if (run_capture(argv, env, NULL, NULL, 0, &out, &out, 300000, &status, e) < 0) {
		rc = -1;
		goto out;
	}
	if (status != 0)
		rc = err_set(e, 1, "cannot fetch buildpack '%.200s': %.200s", url, out.p);
out:
	free(url);
	buf_release(&out);
	return rc;
}

/* Where the buildpacks come from: a custom list (cloned) or the built-ins. */
static int
buildpack_select(struct build *b, const char *src, char **dir, bool *multi, struct err *e)
{
	const char *custom = json_string_value(json_object_get(b->config, "BUILDPACK_URL"));
	char *list = xasprintf("%s/.buildpacks", src);
	char *line = NULL;
	size_t cap = 0;
	int n = 0, rc = 0;
	FILE *f;

	*multi = false;
	*dir = NULL;
	if (custom && *custom) {
		*dir = xasprintf("%s/buildpacks", b->tmp);
		mkdir(*dir, 0755);
		char *one = xasprintf("%s/00-custom", *dir);

		out_step("Fetching custom buildpack");
		rc = buildpack_clone(custom, one, e);
		free(one);
		goto out;
	}
	f = fopen(list, "re");
	if (!f) {
		*dir = xstrdup(b->conf->buildpacks_dir);
		goto out;
	}
	*dir = xasprintf("%s/buildpacks", b->tmp);
	mkdir(*dir, 0755);
	*multi = true;
	out_step("Fetching buildpacks listed in .buildpacks");
	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		char *d;

		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		d = xasprintf("%s/%02d", *dir, ++n);
		rc = buildpack_clone(line, d, e);
		free(d);
		if (n >= 20 && rc == 0)
			rc = err_set(e, 1, ".buildpacks lists more than 20 buildpacks");
	}
	fclose(f);
	free(line);
	if (rc == 0 && n == 0)
		rc = err_set(e, 1, ".buildpacks lists no buildpack");
out:
	free(list);
	return rc;
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
static int
open_out(const char *dir, const char *name, struct err *e)
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
	int fd = open_out(dir, name, e);

	*text = NULL;
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 && b.len < (1u << 20))
		buf_add(&b, chunk, (size_t)n);
	close(fd);
	*text = buf_detach(&b, len);
	return 0;
}

/*
 * Builds fetch dependencies (npm, pip) over TLS. Where the host reaches the
 * internet through a TLS-inspecting proxy its CA is in the host's bundle, not
 * in the stack's: mount that bundle and point every fetcher at it. Its path is
 * the engine's (the host's), which is also where the builder's container got it.
 */
static void
trust_ca_bundle(json_t *cfg, const char *bundle)
{
	static const char *const vars[] = { "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "PIP_CERT",
	    "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO" };
	json_t *env = json_object_get(cfg, "Env");
	size_t i;

	json_array_append_new(json_object_get(json_object_get(cfg, "HostConfig"), "Binds"),
	    json_sprintf("%s:%s:ro", bundle, BUILD_CA_BUNDLE));
	for (i = 0; i < ARRAY_SIZE(vars); i++)
		json_array_append_new(env, json_sprintf("%s=%s", vars[i], BUILD_CA_BUNDLE));
}

/* Run slugbuilder in a build container; its output streams to the user. */
static int
buildpack_compile(struct build *b, const char *bpdir, bool multi, struct err *e)
{
	const struct conf *c = b->conf;
	char *src = xasprintf("%s/src", b->tmp), *env = xasprintf("%s/env", b->tmp);
	char *outd = xasprintf("%s/out", b->tmp), *cache = xasprintf("%s/%s", c->cache_dir, b->app);
	char *user = xasprintf("%u:%u", (unsigned)getuid(), (unsigned)getgid());
	char *sv = xasprintf("SOURCE_VERSION=%s", b->sha);
	char *app = xasprintf("DEIS_APP=%s", b->app), *path = NULL;
	char *binds[6];
	json_t *cfg, *hc, *resp = NULL;
	struct limits_watch w;
	struct engine_watch watch = { limits_watch, &w };
	int exit_code = -1, rc = -1;
	size_t i;

	binds[0] = bind_spec(src, "/tmp/src", "ro");
	binds[1] = bind_spec(env, "/tmp/env", "ro");
	binds[2] = bind_spec(cache, "/tmp/cache", "rw");
	binds[3] = bind_spec(bpdir, "/tmp/buildpacks", "ro");
	binds[4] = bind_spec(c->lib_dir, "/builder", "ro");
	binds[5] = bind_spec(outd, "/tmp/out", "rw");
	mkdir(c->cache_dir, 0755);
	mkdir(cache, 0700);
	mkdir(outd, 0755);
	cfg = json_pack("{s:s, s:[s], s:s, s:s, s:[s,s,s,s,s,s], s:{s:s, s:s, s:s},"
	    " s:{s:[s,s,s,s,s,s], s:[s], s:[s], s:I, s:s}}",
	    "Image", c->stack_image,
	    "Cmd", "/builder/slugbuilder",
	    "User", user,
	    "WorkingDir", "/tmp",
	    "Env", "STACK=bookworm", sv, app, multi ? "DEIS_MULTI_BUILDPACK=1" : "DEIS_MULTI_BUILDPACK=",
	    "HOME=/tmp/home", "PATH=/usr/local/bin:/usr/bin:/bin",
	    "Labels", "deis.builder", "build", "deis.app", b->app, "deis.builder.state", c->state_dir,
	    "HostConfig",
	    "Binds", binds[0], binds[1], binds[2], binds[3], binds[4], binds[5],
	    "CapDrop", "ALL", "SecurityOpt", "no-new-privileges", "PidsLimit", (json_int_t)c->build_pids,
	    "NetworkMode", c->build_network ? c->build_network : "bridge");
	hc = json_object_get(cfg, "HostConfig");
	json_object_set_new(hc, "Memory", json_integer((json_int_t)c->build_memory_mb << 20));
	json_object_set_new(hc, "MemorySwap", json_integer((json_int_t)c->build_memory_mb << 20));
	json_object_set_new(hc, "NanoCpus", json_integer((json_int_t)c->build_cpus * 1000000000));
	if (c->ca_bundle && c->ca_bundle[0])
		trust_ca_bundle(cfg, c->ca_bundle);
	resp = docker_call(b->docker, "POST", "/containers/create", cfg, 30000, NULL, NULL,
	    "cannot create the build container", e);
	if (resp == NULL) {
		if (e->code == 404)
			err_set(e, 1, "the stack image '%s' is missing: run builder/images/build-stack",
			    c->stack_image);
		goto out;
	}
	snprintf(b->container, sizeof(b->container), "%s",
	    json_string_value(json_object_get(resp, "Id")) ?: "");
	if (docker_container_start(b->docker, b->container, e) < 0)
		goto out;
	/* the disk it writes: its own layer, the slug's directory, what the cache grows by */
	limits_watch_init(&w, b->docker, c);
	limits_watch_dir(&w, outd, false);
	limits_watch_dir(&w, cache, true);
	if (engine_follow(b->docker, b->container, out_stream, NULL, c->keepalive, c->build_timeout,
	    &watch, e) < 0) {
		limits_explain(c, &w, false, e);
		goto out;
	}
	out_flush();
	if (docker_container_wait(b->docker, b->container, 60000, &exit_code, e) < 0)
		goto out;
	if (exit_code != 0) {
		err_set(e, 1, "the buildpack build failed (exit %d)", exit_code);
		limits_explain(c, &w, false, e);
		goto out;
	}
	rc = 0;
out:
	json_decref(resp);
	json_decref(cfg);
	for (i = 0; i < ARRAY_SIZE(binds); i++)
		free(binds[i]);
	free(src);
	free(env);
	free(outd);
	free(cache);
	free(user);
	free(sv);
	free(app);
	free(path);
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
	fd = open_out(outd, "slug.tar", e);
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
	bool multi;
	size_t len;
	int rc = -1;

	*procfile = NULL;
	if (buildpack_unpack(b, src, e) < 0 || buildpack_env_dir(b, env, e) < 0 ||
	    buildpack_select(b, src, &bpdir, &multi, e) < 0 ||
	    buildpack_compile(b, bpdir, multi, e) < 0)
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
