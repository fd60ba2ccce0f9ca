/*
 * The pre-receive hook: git-receive-pack runs it (a symlink to deis-builder)
 * with "<old> <new> <ref>" lines on stdin, after the objects arrived and
 * before any ref moves, so a failed build rejects the push and leaves the
 * repository as it was. Any branch builds (Deis behaviour); when several refs
 * are pushed at once the last one builds.
 *
 * Flow: config from the controller → Dockerfile build through the engine (the
 * `git archive` stream is the build context) or a buildpack build (buildpack.c)
 * → push to the registry → POST /v1/hooks/build → the release and URL. The
 * temp dir and build containers go away on every path out.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder/builder.h"
#include "lib/docker.h"
#include "lib/ev.h"
#include "lib/run.h"
#include "lib/xalloc.h"

static bool
sha_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 40;
}

bool
build_ref_valid(const char *ref)
{
	const char *p, *comp = ref + 5;

	if (strncmp(ref, "refs/", 5) != 0 || strcmp(ref, "@") == 0 || strstr(ref, "..") ||
	    strstr(ref, "@{") || strstr(ref, "//"))
		return false;
	for (p = ref; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || strchr(" ~^:?*[\\", *p))
			return false;
	if (p[-1] == '/' || p[-1] == '.')
		return false;
	/* each component: not empty, not ".x", not "x.lock" */
	for (p = comp;; p++)
		if (*p == '/' || *p == '\0') {
			size_t n = (size_t)(p - comp);

			if (n == 0 || comp[0] == '.' || (n >= 5 && memcmp(p - 5, ".lock", 5) == 0))
				return false;
			if (*p == '\0')
				return true;
			comp = p + 1;
		}
}

/*
 * The new sha of the last pushed ref that is not a deletion, from the hook's
 * stdin. git refuses a malformed ref name only after this hook has run, so a
 * crafted push would be built and released: refuse it here first.
 */
static int
build_read_refs(char sha[41], struct err *e)
{
	char line[1024], old[41], new[41], ref[900];

	sha[0] = '\0';
	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "%40s %40s %899s", old, new, ref) != 3 || !sha_valid(new))
			return err_set(e, 1, "unexpected hook input");
		if (!build_ref_valid(ref))
			return err_set(e, 1, "refusing the funny ref name '%.200s' (see git "
			    "check-ref-format)", ref);
		if (strspn(new, "0") == 40)
			continue;	/* a deleted ref: nothing to build */
		memcpy(sha, new, 41);
	}
	return 0;
}

/* 1 when path exists in the pushed tree, 0 when not. */
static int
tree_has(struct build *b, const char *path)
{
	char *spec = xasprintf("%s:%s", b->sha, path);
	const char *argv[] = { "git", "cat-file", "-e", spec, NULL };
	int status = 1;

	run_capture(argv, NULL, b->repo, NULL, 0, NULL, NULL, 30000, &status, NULL);
	free(spec);
	return status == 0;
}

char *
build_tree_read(struct build *b, const char *path, size_t *len)
{
	char *spec = xasprintf("%s:%s", b->sha, path);
	const char *argv[] = { "git", "cat-file", "blob", spec, NULL };
	struct buf out = BUF_INIT;
	int status = 1;

	run_capture(argv, NULL, b->repo, NULL, 0, &out, NULL, 30000, &status, NULL);
	free(spec);
	if (status != 0) {
		buf_release(&out);
		return NULL;
	}
	return buf_detach(&out, len);
}

/* git archive <sha> | tar -x -C dir: two children joined by a pipe, no shell. */
int
build_unpack(struct build *b, const char *dir, struct err *e)
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

/* Record the push (Deis's receiver step); a refusal here stops the build. */
static int
build_push_record(struct build *b, struct err *e)
{
	const char *fp = getenv("DEIS_BUILDER_FINGERPRINT"), *conn = getenv("SSH_CONNECTION");
	char *cmd = xasprintf("git-receive-pack '%s.git'", b->app);
	json_t *body, *resp = NULL;
	long status;
	int rc;

	body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "receive_user", b->user,
	    "receive_repo", b->app, "sha", b->sha, "fingerprint", fp ? fp : "",
	    "ssh_connection", conn ? conn : "", "ssh_original_command", cmd);
	free(cmd);
	rc = hooks_post(b->conf, "/v1/hooks/push", body, 30, &status, &resp, e);
	json_decref(body);
	if (rc == 0 && (status < 200 || status > 299))
		rc = err_set(e, 1, "push denied: %s", hooks_detail(resp, status));
	json_decref(resp);
	return rc;
}

static int
build_config(struct build *b, struct err *e)
{
	json_t *body = json_pack("{s:s, s:s}", "receive_user", b->user, "receive_repo", b->app);
	json_t *resp = NULL, *values;
	long status;
	int rc;

	rc = hooks_post(b->conf, "/v1/hooks/config", body, 30, &status, &resp, e);
	json_decref(body);
	if (rc < 0)
		return -1;
	if (status != 200) {
		err_set(e, 1, "cannot read the config of '%s': %s", b->app, hooks_detail(resp, status));
		json_decref(resp);
		return -1;
	}
	values = json_object_get(resp, "values");
	b->config = json_is_object(values) ? json_incref(values) : json_object();
	json_decref(resp);
	return 0;
}

/* Ask the controller whether this build may use image (images belong to apps). */
static int
image_allowed(struct build *b, const char *image, struct err *e)
{
	json_t *body = json_pack("{s:s, s:s, s:s}", "receive_user", b->user, "receive_repo",
	    b->app, "image", image), *resp = NULL;
	long status;
	int rc;

	rc = hooks_post(b->conf, "/v1/hooks/image", body, 1200, &status, &resp, e);
	json_decref(body);
	if (rc == 0 && status != 200)
		rc = err_set(e, 1, "the Dockerfile may not use '%s': %s", image,
		    hooks_detail(resp, status));
	json_decref(resp);
	return rc;
}

/*
 * Before the daemon builds: every image the Dockerfile makes it use (FROM,
 * COPY --from, and the COPY --from of the ONBUILD triggers of each base) must
 * be one this push may use. The daemon takes an image already on the engine
 * by any name without asking the registry, so the name alone proves nothing.
 */
static int
dockerfile_images_check(struct build *b, struct err *e)
{
	size_t len = 0, n, i, k, nt;
	char *text = build_tree_read(b, "Dockerfile", &len), **refs = NULL, **trig;
	struct buf onbuild = BUF_INIT;
	json_t *ins, *v;
	char *path;
	long status;
	int rc = 0;

	if (text == NULL)
		return 0;	/* docker build says what is missing */
	n = dockerfile_images(text, len, &refs);
	for (i = 0; i < n && rc == 0; i++) {
		if ((rc = image_allowed(b, refs[i], e)) < 0)
			break;
		path = xasprintf("/images/%s/json", refs[i]);
		ins = NULL;
		static const int absent[] = { 404, 0 };

		ins = docker_call(b->docker, "GET", path, NULL, 30000, absent, &status,
		    "inspect image", &(struct err){ 0 });
		if (ins && status == 200) {
			buf_reset(&onbuild);
			json_array_foreach(json_object_get(json_object_get(ins, "Config"), "OnBuild"),
			    k, v)
				buf_addf(&onbuild, "%s\n", json_string_value(v) ?: "");
			nt = dockerfile_images(onbuild.p ? onbuild.p : "", onbuild.len, &trig);
			for (k = 0; k < nt; k++) {
				if (rc == 0)
					rc = image_allowed(b, trig[k], e);
				free(trig[k]);
			}
			free(trig);
		}
		json_decref(ins);
		free(path);
	}
	for (i = 0; i < n; i++)
		free(refs[i]);
	free(refs);
	free(text);
	buf_release(&onbuild);
	return rc;
}

/*
 * Dockerfile apps: the pushed tree, straight from git archive, is the context;
 * with submodules, the tree unpacked, their content added (fetched in the
 * sandbox) and packed again, symbolic links stored as links.
 */
static int
build_dockerfile(struct build *b, const char *image, json_t **procfile, bool modules,
    struct err *e)
{
	const char *gargv[] = { "git", "archive", "--format=tar", b->sha, NULL };
	const char *targv[] = { "tar", "-c", "-f", "-", "--owner=0", "--group=0", "--numeric-owner",
	    "-C", NULL, ".", NULL };
	const struct conf *c = b->conf;
	struct run r = { .argv = gargv, .dir = b->repo, .out = RUN_PIPE };
	char ctx[4096];
	char cgname[APP_NAME_MAX + 40], cgparent[LIMITS_CGROUP_MAX];
	char *text, *path;
	struct limits_watch w;
	struct engine_watch watch = { limits_watch, &w };
	long long t0 = (long long)time(NULL), added;
	size_t len;
	int rc, status = 1;

	*procfile = json_object();
	text = build_tree_read(b, "Procfile", &len);
	if (text) {
		json_decref(*procfile);
		*procfile = procfile_parse(text, len, e);
		free(text);
		if (!*procfile)
			return -1;
	}
	if (modules) {
		snprintf(ctx, sizeof(ctx), "%s/context", b->tmp);
		targv[8] = ctx;
		r.argv = targv;
		r.dir = NULL;
		rc = fetch_run(b, b->fetch, NULL, e);
		if (rc == 0)
			rc = build_unpack(b, ctx, e);
		if (rc == 0)
			rc = fetch_modules_unpack(b, ctx, e);
		if (rc < 0)
			return -1;
	}
	out_step("Building Docker image");
	if (dockerfile_images_check(b, e) < 0)
		return -1;
	/* the steps in a cgroup of the build's own: its pids, and how its steps are known */
	snprintf(cgname, sizeof(cgname), "%s-%s-%ld", b->app, b->sha8, (long)getpid());
	if (limits_cgroup_make(c, cgname, cgparent, e) < 0)
		return -1;
	limits_watch_init(&w, b->docker, c);
	w.cgroup_parent = cgparent;
	if (run_start(&r, e) < 0) {
		limits_cgroup_remove(c, cgname);
		return -1;
	}
	rc = engine_build(b->docker, image, r.out_fd, &(struct engine_limits){ c->build_network,
	    c->build_memory_mb, c->build_cpus, cgparent, cgparent[0] ? &watch : NULL },
	    out_stream, NULL, c->keepalive, c->build_timeout, e);
	if (rc < 0)
		limits_explain(c, &w, limits_cgroup_hit(c, cgname), e);
	out_flush();
	close(r.out_fd);
	limits_cgroup_remove(c, cgname);
	if (run_wait(&r, 60000, &status, rc < 0 ? NULL : e) < 0)
		return -1;
	if (rc == 0 && status != 0)
		rc = err_set(e, 1, "%s failed (%d)", modules ? "tar" : "git archive", status);
	/* what the build left on the engine's disk: its new layers */
	if (rc == 0 && (added = limits_image_new_bytes(b->docker, image, t0)) > w.limit) {
		rc = err_set(e, 1, "the build wrote %lld MB of layers, more than its %d MB of disk "
		    "(deisctl config builder set buildDiskMB=<MB>)", added >> 20, c->build_disk_mb);
		path = xasprintf("/images/%s", image);
		docker_request(b->docker, "DELETE", path, NULL, 60000, &(long){ 0 }, NULL,
		    &(struct err){ 0 });
		free(path);
	}
	return rc;
}

/* One phase of the push, "<name> <s> s", to the list printed at its end. */
static void
build_phase(struct build *b, const char *name, long long ms)
{
	buf_addf(&b->phases, "%s%s %.1f s", b->phases.len ? ", " : "", name, (double)ms / 1000.0);
}

/* The controller's share (its hook answer's "timings", in ms): release to switch. */
static void
build_phases_deploy(struct build *b, json_t *t)
{
	static const char *names[] = { "release", "prepare", "start", "health", "switch" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (json_is_integer(json_object_get(t, names[i])))
			build_phase(b, names[i], json_integer_value(json_object_get(t, names[i])));
}

static int
build_release(struct build *b, const char *image, json_t *procfile, bool dockerfile,
    struct err *e)
{
	json_t *body, *resp = NULL, *domains;
	const char *domain;
	long status;
	json_int_t version;

	body = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:s}", "receive_user", b->user,
	    "receive_repo", b->app, "image", image, "sha", b->sha8, "procfile", procfile,
	    "dockerfile", dockerfile ? "true" : "", "phases", b->phases.p);
	if (hooks_post(b->conf, "/v1/hooks/build", body, 300, &status, &resp, e) < 0) {
		json_decref(body);
		return -1;
	}
	json_decref(body);
	if (status < 200 || status > 299) {
		err_set(e, 1, "the controller refused the build: %s", hooks_detail(resp, status));
		json_decref(resp);
		return -1;
	}
	version = json_integer_value(json_object_get(json_object_get(resp, "release"), "version"));
	build_phases_deploy(b, json_object_get(resp, "timings"));
	domains = json_object_get(resp, "domains");
	domain = json_string_value(json_array_get(domains, 0));
	out_info("done, %s:v%lld deployed to Deis", b->app, (long long)version);
	out_info("%s", "");
	if (domain)
		out_info("http://%s", domain);
	out_info("%s", "");
	out_info("To learn more, use `deis help` or visit http://deis.io");
	out_info("%s", "");
	json_decref(resp);
	return 0;
}

int
builder_rm_rf(const char *path)
{
	const char *argv[] = { "rm", "-rf", "--", path, NULL };
	int status;

	if (run_capture(argv, NULL, NULL, NULL, 0, NULL, NULL, 120000, &status, NULL) < 0)
		return -1;
	return status == 0 ? 0 : -1;
}

static void
build_cleanup(struct build *b)
{
	if (b->container[0])
		docker_container_remove(b->docker, b->container, true, &(struct err){ 0 });
	if (b->slug_container[0])
		docker_container_remove(b->docker, b->slug_container, true, &(struct err){ 0 });
	if (b->fetch_container[0])
		docker_container_remove(b->docker, b->fetch_container, true, &(struct err){ 0 });
	if (b->tmp)
		builder_rm_rf(b->tmp);
}

static int
build_run(struct build *b, struct err *e)
{
	const struct conf *c = b->conf;
	char *image = NULL, *tmpl;
	json_t *procfile = NULL;
	bool dockerfile;
	struct buf gitlinks = BUF_INIT;
	size_t modules = 0;
	long long tree;
	uint64_t t0 = ev_now_ms(), t;
	int rc = -1;

	out_last_ms = t0;
	if (b->push_ms && b->push_ms < t0)
		build_phase(b, "receive", (long long)(t0 - b->push_ms));
	if (build_push_record(b, e) < 0 || build_config(b, e) < 0)
		return -1;
	tmpl = xasprintf("%s/tmp", c->state_dir);
	mkdir(tmpl, 0700);
	free(tmpl);
	tmpl = xasprintf("%s/tmp/build-%s-XXXXXX", c->state_dir, b->app);
	if (!mkdtemp(tmpl)) {
		err_set(e, 1, "cannot create a build directory: %s", strerror(errno));
		free(tmpl);
		return -1;
	}
	b->tmp = tmpl;
	image = xasprintf("%s/%s:git-%s", c->registry, b->app, b->sha8);
	/* the pushed tree is the first thing a build puts on disk */
	if ((tree = limits_tree_bytes(b->repo, b->sha, &gitlinks)) >
	    (long long)c->build_disk_mb << 20) {
		rc = err_set(e, 1, "the pushed tree is %lld MB, more than the %d MB of disk a build "
		    "may use (deisctl config builder set buildDiskMB=<MB>)", tree >> 20,
		    c->build_disk_mb);
		goto out;
	}
	/*
	 * A push carries no submodule's content: each is fetched in the sandbox
	 * from its URL in .gitmodules, at the commit the tree records; one that
	 * cannot be is refused by name (a build is complete or refused).
	 */
	if (gitlinks.len && (rc = fetch_add_submodules(b->fetch, b, &modules, e)) < 0)
		goto out;
	dockerfile = tree_has(b, "Dockerfile");
	if (dockerfile)
		rc = build_dockerfile(b, image, &procfile, modules > 0, e);
	else
		rc = buildpack_build(b, image, &procfile, e);
	if (rc < 0)
		goto out;
	build_phase(b, "build", (long long)((t = ev_now_ms()) - t0));
	out_step("Pushing image to private registry");
	if ((rc = engine_push(b->docker, image, out_stream, NULL, c->keepalive, e)) < 0)
		goto out;
	out_flush();
	build_phase(b, "push", (long long)(ev_now_ms() - t));
	out_step("Launching... ");
	rc = build_release(b, image, procfile, dockerfile, e);
	if (rc == 0) {
		out_info("(took %.1f s: %s)", (double)(ev_now_ms() - (b->push_ms && b->push_ms < t0 ?
		    b->push_ms : t0)) / 1000.0, b->phases.p);
	}
out:
	json_decref(procfile);
	buf_release(&gitlinks);
	free(image);
	return rc;
}

int
build_main(int argc, char **argv)
{
	const char *conf_path = getenv("DEIS_BUILDER_CONFIG"), *v;
	struct build b = { 0 };
	struct conf c;
	struct err e = { 0 };
	int rc;

	/* The user may hang up; we still finish and clean up. */
	signal(SIGPIPE, SIG_IGN);
	if (!conf_path || conf_load(&c, conf_path, &e) < 0) {
		out_error("the builder is misconfigured: %s", conf_path ? e.msg : "no config");
		return 1;
	}
	b.conf = &c;
	v = getenv("DEIS_BUILDER_APP");
	if (!app_name_valid(v)) {
		out_error("invalid app name");
		conf_free(&c);
		return 1;
	}
	snprintf(b.app, sizeof(b.app), "%s", v);
	v = getenv("DEIS_BUILDER_USER");
	if (!user_name_valid(v)) {
		out_error("invalid user name");
		conf_free(&c);
		return 1;
	}
	snprintf(b.user, sizeof(b.user), "%s", v);
	if (build_read_refs(b.sha, &e) < 0) {
		out_error("%s", e.msg);
		conf_free(&c);
		return 1;
	}
	if (!b.sha[0]) {
		conf_free(&c);
		return 0;	/* only deletions */
	}
	memcpy(b.sha8, b.sha, 8);
	b.sha8[8] = '\0';
	b.repo = getcwd(NULL, 0);	/* git runs hooks in the repository */
	b.docker = docker_new(c.docker_sock);
	if (c.registry_user && c.registry_password)
		docker_set_registry_auth(b.docker, c.registry, c.registry_user, c.registry_password);
	b.config = NULL;
	b.fetch = fetch_new();
	v = getenv("DEIS_BUILDER_START_MS");
	b.push_ms = v ? strtoull(v, NULL, 10) : 0;
	rc = build_run(&b, &e);
	out_flush();
	if (rc < 0) {
		out_error("%s", e.msg);
		out_error("build failed: nothing was released");
	}
	build_cleanup(&b);
	json_decref(b.config);
	fetch_free(b.fetch);
	free(b.modules_tar);
	buf_release(&b.phases);
	docker_free(b.docker);
	free(b.repo);
	free(b.tmp);
	conf_free(&c);
	return rc < 0 ? 1 : 0;
}
