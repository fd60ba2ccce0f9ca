/*
 * The builder's configuration. `deis-builder start` gathers it from DEIS_*
 * environment variables and writes it to <state>/builder.conf; sshd's helpers
 * (which get a clean environment) read it back. The builder key itself stays
 * in its own file (key_file), as the registry's password does
 * (<state>/registry-password), so builder.conf may be world-readable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/builder.h"
#include "lib/xalloc.h"

struct field {
	const char *key, *env;
	size_t off;
};

#define F(k, e, m) { k, e, offsetof(struct conf, m) }
static const struct field fields[] = {
	F("controller", "DEIS_CONTROLLER_URL", controller),
	F("key_file", "DEIS_BUILDER_KEY_FILE", key_file),
	F("registry", "DEIS_REGISTRY", registry),
	F("registry_user", "DEIS_REGISTRY_USER", registry_user),
	F("state_dir", "DEIS_BUILDER_STATE", state_dir),
	F("repo_dir", "DEIS_BUILDER_REPOS", repo_dir),
	F("cache_dir", "DEIS_BUILDER_CACHE", cache_dir),
	F("docker_sock", "DOCKER_SOCK", docker_sock),
	F("stack_image", "DEIS_STACK_IMAGE", stack_image),
	F("lib_dir", "DEIS_BUILDER_LIB", lib_dir),
	F("buildpacks_dir", "DEIS_BUILDPACKS", buildpacks_dir),
	F("self", "DEIS_BUILDER_SELF", self),
	F("git_user", "DEIS_BUILDER_GIT_USER", git_user),
	F("keys_user", "DEIS_BUILDER_KEYS_USER", keys_user),
	F("ca_bundle", "DEIS_BUILDER_CA_BUNDLE", ca_bundle),
	F("build_network", "DEIS_BUILD_NETWORK", build_network),
	F("build_cgroup", "DEIS_BUILD_CGROUP", build_cgroup),
};
#undef F

/* Numbers: key, environment variable, field, range. */
struct ifield {
	const char *key, *env;
	size_t off;
	long long lo, hi;
};

#define I(k, e, m, lo, hi) { k, e, offsetof(struct conf, m), lo, hi }
static const struct ifield ifields[] = {
	I("port", "DEIS_BUILDER_PORT", port, 1, 65535),
	I("build_timeout", "DEIS_BUILD_TIMEOUT", build_timeout, 10, 86400),
	I("build_memory_mb", "DEIS_BUILD_MEMORY_MB", build_memory_mb, 64, 1 << 20),
	I("build_cpus", "DEIS_BUILD_CPUS", build_cpus, 1, 1024),
	I("build_pids", "DEIS_BUILD_PIDS", build_pids, 64, 1 << 22),
	I("build_disk_mb", "DEIS_BUILD_DISK_MB", build_disk_mb, 16, 1 << 24),
	I("keepalive", "DEIS_BUILDER_KEEPALIVE", keepalive, 1, 3600),
	I("gc_interval", "DEIS_BUILDER_GC_INTERVAL", gc_interval, 0, 30 * 86400),
};
#undef I

static char **
field_ptr(struct conf *c, const struct field *f)
{
	return (char **)((char *)c + f->off);
}

static void
conf_set(struct conf *c, const struct field *f, const char *v)
{
	char **p = field_ptr(c, f);

	free(*p);
	*p = xstrdup(v);
}

static void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->controller = xstrdup("http://127.0.0.1:8000");
	c->registry = xstrdup("127.0.0.1:5000");
	c->state_dir = xstrdup("/var/lib/deis-builder");
	c->docker_sock = xstrdup("/var/run/docker.sock");
	c->stack_image = xstrdup("deis/stack:bookworm");
	c->git_user = xstrdup("git");
	c->keys_user = xstrdup("deis-keys");
	c->port = 2223;
	c->build_timeout = 900;
	c->build_memory_mb = 2048;
	c->build_cpus = 2;
	c->build_pids = 1024;
	c->build_disk_mb = 10240;
	c->keepalive = 5;
	c->gc_interval = 3600;
}

static int
conf_setkv(struct conf *c, const char *key, const char *v, struct err *e)
{
	const char *errstr = NULL;
	long long n;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fields); i++)
		if (strcmp(fields[i].key, key) == 0) {
			conf_set(c, &fields[i], v);
			return 0;
		}
	for (i = 0; i < ARRAY_SIZE(ifields); i++)
		if (strcmp(ifields[i].key, key) == 0) {
			n = strtonum(v, ifields[i].lo, ifields[i].hi, &errstr);
			if (errstr)
				return err_set(e, 100, "invalid %s '%s': %s", key, v, errstr);
			*(int *)((char *)c + ifields[i].off) = (int)n;
			return 0;
		}
	return err_set(e, 100, "unknown config key '%s'", key);
}

/* The registry's password, when deis-builder start was given one (else pushes go without). */
static int
conf_registry_password(struct conf *c, struct err *e)
{
	char *path = xasprintf("%s/registry-password", c->state_dir), line[512];
	FILE *f = fopen(path, "re");

	if (f == NULL) {
		int err = errno;

		free(path);
		return err == ENOENT ? 0 : err_set(e, 111, "cannot read the registry password: %s",
		    strerror(err));
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	free(path);
	line[strcspn(line, "\r\n")] = '\0';
	if (line[0])
		c->registry_password = xstrdup(line);
	explicit_bzero(line, sizeof(line));
	return 0;
}

/* Derived paths and the key itself. */
static int
conf_finish(struct conf *c, struct err *e)
{
	FILE *f;
	char line[512];
	size_t n;

	if (!c->repo_dir)
		c->repo_dir = xasprintf("%s/repos", c->state_dir);
	if (!c->cache_dir)
		c->cache_dir = xasprintf("%s/cache", c->state_dir);
	if (!c->key_file)
		c->key_file = xasprintf("%s/builder-key", c->state_dir);
	n = strlen(c->controller);
	while (n > 0 && c->controller[n - 1] == '/')
		c->controller[--n] = '\0';
	if (strncmp(c->controller, "http://", 7) != 0 && strncmp(c->controller, "https://", 8) != 0)
		return err_set(e, 100, "controller url '%s' is not http(s)", c->controller);
	f = fopen(c->key_file, "re");
	if (!f)
		return err_set(e, 111, "cannot read builder key '%s': %s", c->key_file, strerror(errno));
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	if (!line[0])
		return err_set(e, 100, "builder key file '%s' is empty", c->key_file);
	c->builder_key = xstrdup(line);
	explicit_bzero(line, sizeof(line));
	return conf_registry_password(c, e);
}

int
conf_load(struct conf *c, const char *path, struct err *e)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, rc = 0;

	conf_defaults(c);
	f = fopen(path, "re");
	if (!f)
		return err_set(e, 111, "cannot open config '%s': %s", path, strerror(errno));
	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
		char *eq;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		eq = strchr(line, '=');
		if (!eq) {
			rc = err_set(e, 100, "config '%s' line %d: no '='", path, lineno);
			break;
		}
		*eq = '\0';
		rc = conf_setkv(c, line, eq + 1, e);
	}
	free(line);
	fclose(f);
	if (rc < 0)
		return -1;
	return conf_finish(c, e);
}

int
conf_from_env(struct conf *c, struct err *e)
{
	const char *v;
	size_t i;

	conf_defaults(c);
	for (i = 0; i < ARRAY_SIZE(fields); i++)
		if ((v = getenv(fields[i].env)) && *v)
			conf_set(c, &fields[i], v);
	for (i = 0; i < ARRAY_SIZE(ifields); i++)
		if ((v = getenv(ifields[i].env)) && *v && conf_setkv(c, ifields[i].key, v, e) < 0)
			return -1;
	return 0;
}

int
conf_write(const struct conf *c, const char *path, struct err *e)
{
	struct buf b = BUF_INIT;
	size_t i;
	int fd, rc = 0;

	buf_addstr(&b, "# written by deis-builder start; read by its sshd helpers\n");
	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		const char *v = *field_ptr((struct conf *)c, &fields[i]);

		if (!v)
			continue;
		if (strchr(v, '\n'))
			return err_set(e, 100, "config value of '%s' has a newline", fields[i].key);
		buf_addf(&b, "%s=%s\n", fields[i].key, v);
	}
	for (i = 0; i < ARRAY_SIZE(ifields); i++)
		buf_addf(&b, "%s=%d\n", ifields[i].key, *(const int *)((const char *)c +
		    ifields[i].off));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, b.p, b.len) != (ssize_t)b.len)
		rc = err_set(e, 111, "cannot write '%s': %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	buf_release(&b);
	return rc;
}

void
conf_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		char **p = field_ptr(c, &fields[i]);

		free(*p);
		*p = NULL;
	}
	if (c->builder_key) {
		explicit_bzero(c->builder_key, strlen(c->builder_key));
		free(c->builder_key);
	}
	c->builder_key = NULL;
	if (c->registry_password) {
		explicit_bzero(c->registry_password, strlen(c->registry_password));
		free(c->registry_password);
	}
	c->registry_password = NULL;
}
