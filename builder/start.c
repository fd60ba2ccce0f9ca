/*
 * deis-builder start: make the host ready for sshd and become sshd.
 * Idempotent, so a restarted builder container (or a second start) keeps its
 * host keys, repositories and caches: host keys are generated on first start
 * into the state dir and never baked into an image (Deis #3132).
 *
 * Users: the login user (git) owns repositories, caches and build temp dirs
 * and may use the Docker socket; the AuthorizedKeysCommandUser (deis-keys)
 * only reads the builder key. Both are in group deis-builder, which may read
 * the key file (0640 root:deis-builder).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "builder/builder.h"
#include "lib/docker.h"
#include "lib/log.h"
#include "lib/run.h"
#include "lib/xalloc.h"

#define BUILDER_GROUP "deis-builder"

static int
start_run(const char *const *argv, struct err *e)
{
	struct buf out = BUF_INIT;
	int status = 1;

	if (run_capture(argv, NULL, NULL, NULL, 0, &out, &out, 120000, &status, e) < 0) {
		buf_release(&out);
		return -1;
	}
	if (status != 0)
		err_set(e, 111, "'%s' failed: %.200s", argv[0], out.p);
	buf_release(&out);
	return status == 0 ? 0 : -1;
}

/* Whether user is already a member of group (so no usermod, which locks /etc/passwd). */
static bool
in_group(const char *user, const char *group)
{
	struct group *g = getgrnam(group);
	struct passwd *pw = getpwnam(user);
	char **m;

	if (!g || !pw)
		return false;
	if (pw->pw_gid == g->gr_gid)
		return true;
	for (m = g->gr_mem; *m; m++)
		if (strcmp(*m, user) == 0)
			return true;
	return false;
}

/* useradd/groupadd, tolerating another builder creating the same name meanwhile. */
static int
start_account(const char *const *argv, const char *name, bool group, struct err *e)
{
	if (start_run(argv, e) == 0)
		return 0;
	if (group ? getgrnam(name) != NULL : getpwnam(name) != NULL)
		return 0;
	return -1;
}

static int
start_users(const struct conf *c, struct err *e)
{
	struct stat st;
	struct group *g;

	if (!getgrnam(BUILDER_GROUP)) {
		const char *argv[] = { "groupadd", "-r", BUILDER_GROUP, NULL };

		if (start_account(argv, BUILDER_GROUP, true, e) < 0)
			return -1;
	}
	if (!getpwnam(c->git_user)) {
		const char *argv[] = { "useradd", "-r", "-M", "-d", c->state_dir, "-s", "/bin/sh",
		    "-G", BUILDER_GROUP, c->git_user, NULL };

		if (start_account(argv, c->git_user, false, e) < 0)
			return -1;
	}
	{
		/* "*": no password, but not locked ("!"), which sshd would refuse. */
		const char *argv[] = { "usermod", "-p", "*", "-a", "-G", BUILDER_GROUP, c->git_user,
		    NULL };
		struct spwd *sp = getspnam(c->git_user);

		if ((!sp || sp->sp_pwdp[0] == '!' || !in_group(c->git_user, BUILDER_GROUP)) &&
		    start_run(argv, e) < 0)
			return -1;
	}
	if (!getpwnam(c->keys_user)) {
		const char *argv[] = { "useradd", "-r", "-M", "-d", "/nonexistent", "-s",
		    "/usr/sbin/nologin", "-G", BUILDER_GROUP, c->keys_user, NULL };

		if (start_account(argv, c->keys_user, false, e) < 0)
			return -1;
	}
	/*
	 * The git user drives the engine: it joins the group of the Docker socket.
	 * In a container the socket's gid may have no name yet: give it one.
	 */
	if (stat(c->docker_sock, &st) == 0 && st.st_gid != 0 && !getgrgid(st.st_gid)) {
		char gid[16];
		const char *argv[] = { "groupadd", "-g", gid, "deis-docker", NULL };

		snprintf(gid, sizeof(gid), "%u", (unsigned)st.st_gid);
		if (start_account(argv, "deis-docker", true, e) < 0)
			return -1;
	}
	if (stat(c->docker_sock, &st) == 0 && st.st_gid != 0 && (g = getgrgid(st.st_gid))) {
		char *group = xstrdup(g->gr_name);
		const char *argv[] = { "usermod", "-a", "-G", group, c->git_user, NULL };
		int rc = in_group(c->git_user, group) ? 0 : start_run(argv, e);

		free(group);
		if (rc < 0)
			return -1;
	} else {
		log_warn("docker socket '%s' is not group-accessible: builds may fail",
		    c->docker_sock);
	}
	return 0;
}

static int
start_dir(const char *path, mode_t mode, uid_t uid, gid_t gid, struct err *e)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return err_set(e, 111, "cannot create '%s': %s", path, strerror(errno));
	if (chown(path, uid, gid) < 0 || chmod(path, mode) < 0)
		return err_set(e, 111, "cannot set owner of '%s': %s", path, strerror(errno));
	return 0;
}

/* A secret file of the state dir, root:BUILDER_GROUP 0640, replaced whole. */
static int
secret_write(const char *dst, const char *value, struct err *e)
{
	char *tmp = xasprintf("%s.new", dst);
	struct group *g = getgrnam(BUILDER_GROUP);
	int fd, rc = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t)strlen(value) ||
	    write(fd, "\n", 1) != 1 || fchown(fd, 0, g ? g->gr_gid : 0) < 0 ||
	    fchmod(fd, 0640) < 0) {
		err_set(e, 111, "cannot write '%s': %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	if (rename(tmp, dst) < 0) {
		err_set(e, 111, "cannot rename '%s': %s", tmp, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

/*
 * The registry's password (DEIS_REGISTRY_PASSWORD) for pushes, into state;
 * without it, none (and an earlier one is removed).
 */
static int
start_registry_password(const struct conf *c, struct err *e)
{
	char *dst = xasprintf("%s/registry-password", c->state_dir);
	const char *pw = getenv("DEIS_REGISTRY_PASSWORD");
	int rc = 0;

	if (pw && *pw)
		rc = secret_write(dst, pw, e);
	else if (unlink(dst) < 0 && errno != ENOENT)
		rc = err_set(e, 111, "cannot remove '%s': %s", dst, strerror(errno));
	free(dst);
	return rc;
}

/* The builder key: from DEIS_BUILDER_KEY or the file named in the config, into state. */
static int
start_key(struct conf *c, struct err *e)
{
	char *dst = xasprintf("%s/builder-key", c->state_dir);
	const char *key = getenv("DEIS_BUILDER_KEY");
	char line[512] = "";
	int rc = -1;
	FILE *f;

	if ((!key || !*key) && c->key_file && strcmp(c->key_file, dst) != 0) {
		f = fopen(c->key_file, "re");
		if (!f) {
			err_set(e, 100, "cannot read builder key '%s': %s", c->key_file, strerror(errno));
			goto out;
		}
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
		line[strcspn(line, "\r\n")] = '\0';
		key = line;
	}
	if (!key || !*key) {
		if (access(dst, R_OK) == 0) {
			rc = 0;	/* kept from an earlier start */
			goto done;
		}
		err_set(e, 100, "no builder key: set DEIS_BUILDER_KEY or DEIS_BUILDER_KEY_FILE");
		goto out;
	}
	if (secret_write(dst, key, e) < 0)
		goto out;
	rc = 0;
done:
	free(c->key_file);
	c->key_file = dst;
	dst = NULL;
out:
	explicit_bzero(line, sizeof(line));
	free(dst);
	return rc;
}

static int
start_host_keys(const struct conf *c, struct err *e)
{
	static const char *const types[][2] = { { "ed25519", NULL }, { "rsa", "3072" } };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		char *path = xasprintf("%s/ssh_host_%s_key", c->state_dir, types[i][0]);
		const char *argv[] = { "ssh-keygen", "-q", "-N", "", "-t", types[i][0], "-f", path,
		    types[i][1] ? "-b" : NULL, types[i][1], NULL };
		int rc = 0;

		if (access(path, F_OK) < 0) {
			log_info("generating host key '%s'", path);
			rc = start_run(argv, e);
		}
		free(path);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Substitute @NAME@ placeholders of the template; values may not contain newlines. */
static int
start_render(const struct conf *c, const char *conf_path, const char *out_path, struct err *e)
{
	char *tpl_path = xasprintf("%s/sshd_config.in", c->lib_dir), port[16];
	const char *listen = getenv("DEIS_BUILDER_LISTEN");
	const char *subst[][2] = {
		{ "@PORT@", port }, { "@LISTEN@", listen && *listen ? listen : "0.0.0.0" },
		{ "@STATE@", c->state_dir }, { "@GIT_USER@", c->git_user },
		{ "@SELF@", c->self }, { "@CONF@", conf_path }, { "@KEYS_USER@", c->keys_user },
	};
	struct buf tpl = BUF_INIT, out = BUF_INIT;
	char chunk[4096];
	ssize_t n;
	size_t i, pos;
	int fd, rc = -1;

	snprintf(port, sizeof(port), "%d", c->port);
	fd = open(tpl_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_set(e, 100, "cannot read '%s': %s", tpl_path, strerror(errno));
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(&tpl, chunk, (size_t)n);
	close(fd);
	for (i = 0; i < ARRAY_SIZE(subst); i++)
		if (strpbrk(subst[i][1], "\n\r \t\"")) {
			err_set(e, 100, "'%s' may not contain spaces, quotes or newlines", subst[i][1]);
			goto out;
		}
	for (pos = 0; pos < tpl.len;) {
		for (i = 0; i < ARRAY_SIZE(subst); i++) {
			size_t k = strlen(subst[i][0]);

			if (tpl.len - pos >= k && memcmp(tpl.p + pos, subst[i][0], k) == 0) {
				buf_addstr(&out, subst[i][1]);
				pos += k;
				break;
			}
		}
		if (i == ARRAY_SIZE(subst))
			buf_addch(&out, tpl.p[pos++]);
	}
	fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, out.p, out.len) != (ssize_t)out.len) {
		err_set(e, 111, "cannot write '%s': %s", out_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	rc = 0;
out:
	free(tpl_path);
	buf_release(&tpl);
	buf_release(&out);
	return rc;
}

/*
 * sshd runs AuthorizedKeysCommand only from a path whose every directory is
 * root's and not writable by group or others. A binary in a checkout under
 * /tmp (a test, a CI clone) fails that; then a copy of it under
 * SAFE_BIN_DIR, named by a hash of its path, is what sshd runs.
 */
#define SAFE_BIN_DIR "/usr/local/lib/deis-builder"

static bool
path_safe_for_sshd(const char *path)
{
	char *p = xstrdup(path), *slash;
	struct stat st;
	bool ok = true;

	while ((slash = strrchr(p, '/')) != NULL) {
		*slash = '\0';
		if (stat(p[0] ? p : "/", &st) < 0 || st.st_uid != 0 || (st.st_mode & 022)) {
			ok = false;
			break;
		}
		if (!p[0])
			break;
	}
	free(p);
	return ok;
}

static char *
self_install_safe(const char *self)
{
	unsigned long h = 5381;
	const char *q;
	char *dst, *tmp;
	int in, out = -1;
	char blk[65536];
	ssize_t n;

	for (q = self; *q; q++)
		h = h * 33 + (unsigned char)*q;
	if (mkdir(SAFE_BIN_DIR, 0755) < 0 && errno != EEXIST)
		die(111, "cannot create '%s': %s", SAFE_BIN_DIR, strerror(errno));
	chmod(SAFE_BIN_DIR, 0755);
	dst = xasprintf("%s/deis-builder-%08lx", SAFE_BIN_DIR, h & 0xffffffffUL);
	tmp = xasprintf("%s.%ld", dst, (long)getpid());
	in = open(self, O_RDONLY | O_CLOEXEC);
	if (in >= 0)
		out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (in < 0 || out < 0)
		die(111, "cannot copy '%s' to '%s': %s", self, tmp, strerror(errno));
	while ((n = read(in, blk, sizeof(blk))) > 0)
		if (write(out, blk, (size_t)n) != n)
			die(111, "cannot write '%s': %s", tmp, strerror(errno));
	if (n < 0 || fchmod(out, 0755) < 0 || close(out) < 0 || rename(tmp, dst) < 0)
		die(111, "cannot install '%s': %s", dst, strerror(errno));
	close(in);
	free(tmp);
	return dst;
}

/* Paths next to the binary (the source tree) unless configured. */
static void
start_paths(struct conf *c)
{
	char self[PATH_MAX], *top, *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		die(100, "cannot find my own path");
	self[n] = '\0';
	if (!c->self)
		c->self = path_safe_for_sshd(self) ? xstrdup(self) : self_install_safe(self);
	top = xstrdup(self);
	for (int i = 0; i < 3 && (slash = strrchr(top, '/')); i++)
		*slash = '\0';	/* <top>/build/bin/deis-builder → <top> */
	if (!c->lib_dir)
		c->lib_dir = xasprintf("%s/builder/images", top);
	if (!c->buildpacks_dir)
		c->buildpacks_dir = xasprintf("%s/builder/buildpacks", top);
	free(top);
}

/*
 * A builder killed mid-build (container restart, OOM) leaves its build
 * containers and temp dirs behind; this start removes them. Only ours: the
 * label carries the state dir, other builders on the engine are left alone.
 */
static void
start_sweep(const struct conf *c)
{
	struct docker *d = docker_new(c->docker_sock);
	char *label = xasprintf("deis.builder.state=%s", c->state_dir);
	char *tmp = xasprintf("%s/tmp", c->state_dir);
	json_t *list, *item;
	struct err e = { 0 };
	size_t i;

	list = docker_container_list(d, label, &e);
	json_array_foreach(list, i, item) {
		const char *id = json_string_value(json_object_get(item, "Id"));

		if (id) {
			log_info("removing build container '%.12s' left by an earlier run", id);
			docker_container_remove(d, id, true, &e);
		}
	}
	/* Recreated, empty, by start_main right after. */
	builder_rm_rf(tmp);
	json_decref(list);
	free(label);
	free(tmp);
	docker_free(d);
}

int
start_main(int argc, char **argv)
{
	struct conf c;
	struct err e = { 0 };
	struct passwd *pw;
	char *conf_path = NULL, *sshd_conf = NULL, *d;
	int rc = 100;

	if (geteuid() != 0) {
		log_error("deis-builder start must run as root (it becomes sshd)");
		return 100;
	}
	if (conf_from_env(&c, &e) < 0)
		goto fail;
	start_paths(&c);
	if (start_dir(c.state_dir, 0755, 0, 0, &e) < 0 || start_users(&c, &e) < 0 ||
	    start_key(&c, &e) < 0 || start_registry_password(&c, &e) < 0 ||
	    start_host_keys(&c, &e) < 0)
		goto fail;
	pw = getpwnam(c.git_user);
	if (!pw) {
		err_set(&e, 111, "no user '%s'", c.git_user);
		goto fail;
	}
	if (!c.repo_dir)
		c.repo_dir = xasprintf("%s/repos", c.state_dir);
	if (!c.cache_dir)
		c.cache_dir = xasprintf("%s/cache", c.state_dir);
	start_sweep(&c);
	limits_cgroup_prepare(&c, pw->pw_uid, pw->pw_gid);
	d = xasprintf("%s/tmp", c.state_dir);
	if (start_dir(c.repo_dir, 0750, pw->pw_uid, pw->pw_gid, &e) < 0 ||
	    start_dir(c.cache_dir, 0750, pw->pw_uid, pw->pw_gid, &e) < 0 ||
	    start_dir(d, 0700, pw->pw_uid, pw->pw_gid, &e) < 0 ||
	    start_dir("/run/sshd", 0755, 0, 0, &e) < 0) {
		free(d);
		goto fail;
	}
	free(d);
	conf_path = xasprintf("%s/builder.conf", c.state_dir);
	sshd_conf = xasprintf("%s/sshd_config", c.state_dir);
	if (conf_write(&c, conf_path, &e) < 0 || start_render(&c, conf_path, sshd_conf, &e) < 0)
		goto fail;
	{
		/* Validate what sshd will read, so a mistake is a clear startup error. */
		const char *argv_t[] = { "/usr/sbin/sshd", "-t", "-f", sshd_conf, NULL };

		if (start_run(argv_t, &e) < 0)
			goto fail;
	}
	{
		/* What apps destroyed while we were down left behind (gc.c). */
		struct conf g;

		if (conf_load(&g, conf_path, &e) == 0)
			builder_gc_spawn(&g, true);
		conf_free(&g);
		e.msg[0] = '\0';
	}
	log_info("sshd on port %d, state in '%s', controller '%s'", c.port, c.state_dir,
	    c.controller);
	fflush(stderr);
	execl("/usr/sbin/sshd", "/usr/sbin/sshd", "-D", "-e", "-f", sshd_conf, (char *)NULL);
	err_set(&e, 111, "cannot exec sshd: %s", strerror(errno));
fail:
	log_error("%s", e.msg);
	rc = e.code == 111 ? 111 : 100;
	free(conf_path);
	free(sshd_conf);
	conf_free(&c);
	return rc;
}
