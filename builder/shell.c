/*
 * deis-builder shell: sshd's ForceCommand for the git user. Everything the
 * client sent is in SSH_ORIGINAL_COMMAND; the Deis user comes from the
 * environment= our keys helper put on the key. Order matters: parse, ask the
 * controller, lock, and only then start git, so a refused push never writes
 * a byte into a repository. stdout is git's protocol stream: every message
 * goes to stderr, which the client prints on the user's terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/builder.h"
#include "lib/ev.h"
#include "lib/run.h"
#include "lib/xalloc.h"

static int
refuse(const char *msg)
{
	fprintf(stderr, "error: %s\n", msg);
	fflush(stderr);
	return 1;
}

/*
 * Ask the controller whether user may push to (or fetch from) app, before git
 * runs. /v1/hooks/config answers exactly that (404 unknown app or user, 403
 * not a collaborator) and writes nothing; the push itself is recorded with
 * its sha through /v1/hooks/push by the hook, as Deis did.
 */
static int
shell_authorize(const struct conf *c, const char *user, const struct sshcmd *cmd,
    char uuid[APP_UUID_MAX])
{
	json_t *body, *resp = NULL;
	struct err e = { 0 };
	long status;
	int rc;

	body = json_pack("{s:s, s:s}", "receive_user", user, "receive_repo", cmd->app);
	rc = hooks_post(c, "/v1/hooks/config", body, 30, &status, &resp, &e);
	json_decref(body);
	if (rc < 0)
		return refuse(e.msg);
	if (status == 404) {
		/* The controller does not tell "no such app" from "not yours" (no leak). */
		fprintf(stderr, "error: app '%s' not found, or user '%s' has no access to it\n",
		    cmd->app, user);
		rc = 1;
	} else if (status == 401 || status == 403) {
		fprintf(stderr, "error: user '%s' may not push to app '%s': %s\n", user, cmd->app,
		    hooks_detail(resp, status));
		rc = 1;
	} else if (status < 200 || status > 299) {
		fprintf(stderr, "error: the controller refused the push (%ld): %s\n", status,
		    hooks_detail(resp, status));
		rc = 1;
	} else {
		const char *u = json_string_value(json_object_get(resp, "app_uuid"));

		/* An older controller does not say; then repositories go by name only. */
		if (u && strlen(u) < APP_UUID_MAX && strspn(u, "0123456789abcdef-") == strlen(u))
			strlcpy(uuid, u, APP_UUID_MAX);
		rc = 0;
	}
	json_decref(resp);
	return rc;
}

/*
 * Which app a repository belongs to: <repo>/deis-app-uuid. An app destroyed
 * and created again under the same name (perhaps by someone else) must not
 * find the old one's history (a fetch would hand it out, a push would be
 * refused as non-fast-forward) nor its build cache. Returns 1 when repo is
 * another app's, 0 when it is this one's, absent, or unmarked (made before
 * the marker existed: adopted by the next push).
 */
static int
repo_is_foreign(const char *repo, const char *uuid)
{
	char had[APP_UUID_MAX + 2];

	repo_uuid(repo, had);
	return uuid[0] && had[0] && strcmp(had, uuid) != 0;
}

static int
repo_mark(const char *repo, const char *uuid, struct err *e)
{
	char *marker = xasprintf("%s/deis-app-uuid", repo), *tmp = xasprintf("%s.new", marker);
	FILE *f = fopen(tmp, "we");
	int rc = 0;

	if (f == NULL || fprintf(f, "%s\n", uuid) < 0 || fclose(f) != 0 || rename(tmp, marker) < 0) {
		rc = err_set(e, 1, "cannot write '%s': %s", marker, strerror(errno));
		unlink(tmp);
	}
	free(marker);
	free(tmp);
	return rc;
}

/* The push is the app's first since its name was reused: start empty. */
static int
repo_reset(const struct conf *c, const char *app, const char *repo, struct err *e)
{
	char *cache = xasprintf("%s/%s", c->cache_dir, app);
	int rc = 0;

	if (builder_rm_rf(repo) < 0 || builder_rm_rf(cache) < 0)
		rc = err_set(e, 1, "cannot remove the repository of an earlier app '%s'", app);
	free(cache);
	return rc;
}

/* Create <app>.git if needed and (re)point its pre-receive hook at us. */
static int
shell_prepare_repo(const struct conf *c, const char *repo, struct err *e)
{
	char *hooks = xasprintf("%s/hooks", repo), *hook = xasprintf("%s/pre-receive", hooks);
	const char *argv[] = { "git", "init", "--bare", "--quiet", repo, NULL };
	char target[4096];
	struct buf out = BUF_INIT;
	struct stat st;
	ssize_t n;
	int status, rc = 0;

	if (stat(repo, &st) < 0) {
		if (run_capture(argv, NULL, NULL, NULL, 0, &out, &out, 60000, &status, e) < 0 ||
		    status != 0) {
			if (status != 0)
				err_set(e, 1, "cannot create repository: %.200s", out.p);
			rc = -1;
			goto out;
		}
	}
	n = readlink(hook, target, sizeof(target) - 1);
	if (n < 0 || (size_t)n != strlen(c->self) || memcmp(target, c->self, (size_t)n) != 0) {
		char *tmp = xasprintf("%s.new", hook);

		mkdir(hooks, 0755);
		unlink(tmp);
		if (symlink(c->self, tmp) < 0 || rename(tmp, hook) < 0) {
			rc = err_set(e, 1, "cannot install the build hook in '%s': %s", hooks,
			    strerror(errno));
			unlink(tmp);
		}
		free(tmp);
	}
out:
	buf_release(&out);
	free(hooks);
	free(hook);
	return rc;
}

int
shell_main(int argc, char **argv)
{
	const char *conf_path = BUILDER_CONF_DEFAULT, *orig, *user, *fp, *conn;
	struct sshcmd cmd;
	struct conf c;
	struct err e = { 0 };
	struct run r = { 0 };
	char *repo = NULL, *env[12], uuid[APP_UUID_MAX] = "";
	const char *gargv[3];
	int lockfd = -1, status = 1, ne = 0;
	uint64_t start_ms = ev_now_ms();	/* the push's first phase begins: receive */

	if (argc >= 3 && strcmp(argv[1], "--config") == 0)
		conf_path = argv[2];
	orig = getenv("SSH_ORIGINAL_COMMAND");
	if (conf_load(&c, conf_path, &e) < 0 || (c.self == NULL &&
	    err_set(&e, 100, "config '%s' names no 'self'", conf_path) < 0)) {
		fprintf(stderr, "error: the builder is misconfigured: %s\n", e.msg);
		return 1;
	}
	user = getenv("DEIS_BUILDER_USER");
	fp = getenv("DEIS_BUILDER_FINGERPRINT");
	if (!user_name_valid(user)) {
		conf_free(&c);
		return refuse("this key is not registered to any user");
	}
	if (!fp)
		fp = "";
	if (sshcmd_parse(orig, &cmd, &e) < 0) {
		conf_free(&c);
		return refuse(e.msg);
	}
	if (shell_authorize(&c, user, &cmd, uuid) != 0)
		goto out;
	repo = xasprintf("%s/%s.git", c.repo_dir, cmd.app);
	if (cmd.op == SSHCMD_RECEIVE_PACK) {
		lockfd = builder_lock(&c, cmd.app, &e);
		if (lockfd < 0 && e.code == EWOULDBLOCK) {
			fprintf(stderr, "error: another git push to '%s' is ongoing; "
			    "try again when it is done\n", cmd.app);
			goto out;
		}
		if (lockfd < 0) {
			fprintf(stderr, "error: %s\n", e.msg);
			goto out;
		}
		/*
		 * The one fd we let a child inherit on purpose: git-receive-pack and
		 * its hook keep the lock held even if this process goes first (the
		 * user hung up), so no second build of the app starts meanwhile.
		 */
		fcntl(lockfd, F_SETFD, 0);
		if ((repo_is_foreign(repo, uuid) && repo_reset(&c, cmd.app, repo, &e) < 0) ||
		    shell_prepare_repo(&c, repo, &e) < 0 || (uuid[0] && repo_mark(repo, uuid, &e) < 0)) {
			fprintf(stderr, "error: %s\n", e.msg);
			goto out;
		}
	} else if (access(repo, F_OK) < 0 || repo_is_foreign(repo, uuid)) {
		fprintf(stderr, "error: app '%s' has no repository yet: push first\n", cmd.app);
		goto out;
	}
	/* git and the hook get a small, explicit environment. */
	conn = getenv("SSH_CONNECTION");
	env[ne++] = xasprintf("PATH=%s", "/usr/local/bin:/usr/bin:/bin");
	env[ne++] = xasprintf("HOME=%s", c.state_dir);
	env[ne++] = xasprintf("DEIS_BUILDER_CONFIG=%s", conf_path);
	env[ne++] = xasprintf("DEIS_BUILDER_USER=%s", user);
	env[ne++] = xasprintf("DEIS_BUILDER_FINGERPRINT=%s", fp);
	env[ne++] = xasprintf("DEIS_BUILDER_APP=%s", cmd.app);
	env[ne++] = xasprintf("DEIS_BUILDER_START_MS=%llu", (unsigned long long)start_ms);
	env[ne++] = xasprintf("SSH_CONNECTION=%s", conn ? conn : "");
	env[ne] = NULL;
	gargv[0] = cmd.op == SSHCMD_RECEIVE_PACK ? "git-receive-pack" : "git-upload-pack";
	gargv[1] = repo;
	gargv[2] = NULL;
	r.argv = gargv;
	r.env = (const char *const *)env;
	if (run_start(&r, &e) < 0) {
		fprintf(stderr, "error: %s\n", e.msg);
	} else if (run_wait(&r, (c.build_timeout + 600) * 1000, &status, &e) < 0) {
		fprintf(stderr, "error: %s\n", e.msg);
		status = 1;
	}
	while (ne > 0)
		free(env[--ne]);
	if (lockfd >= 0) {
		close(lockfd);	/* before the sweep, which takes app locks */
		lockfd = -1;
	}
	builder_gc_spawn(&c, false);
out:
	if (lockfd >= 0)
		close(lockfd);
	free(repo);
	conf_free(&c);
	return status;
}
