/*
 * What a build fetches from URLs its user gives: custom buildpacks
 * (BUILDPACK_URL, each line of .buildpacks) and git submodules (the gitlinks
 * of the pushed tree, from their URLs in .gitmodules). A URL is the user's
 * choice, so the builder's own process never connects to it: on the
 * platform's network that would reach the controller, the registry, the
 * database and the host (and a '?' swallows git's path, so any HTTP server
 * of the site answers). Each URL is checked here, then one container of the
 * build sandbox (sandbox.c) runs images/fetch, which clones them all with the
 * builds' network and firewall. Buildpacks land in a directory the builder
 * made and never reads (it only mounts it into the build); submodules come
 * back as one tar, of which only their paths are unpacked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/builder.h"
#include "lib/docker.h"
#include "lib/run.h"
#include "lib/xalloc.h"

#define FETCH_MAX 100		/* the script's exit status 100 + i names job i */
#define SUBMODULES_MAX 50

struct fetch {
	struct buf jobs;	/* images/fetch's input: one tab-separated job a line */
	char *what[FETCH_MAX];	/* each job, as an error names it */
	size_t n;
	char *paths[SUBMODULES_MAX];	/* the submodules' paths, in the tree */
	size_t npaths;
};

struct fetch *
fetch_new(void)
{
	struct fetch *f = xcalloc(1, sizeof(*f));

	buf_init(&f->jobs, 0);
	return f;
}

void
fetch_free(struct fetch *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++)
		free(f->what[i]);
	for (i = 0; i < f->npaths; i++)
		free(f->paths[i]);
	buf_release(&f->jobs);
	free(f);
}

size_t
fetch_count(const struct fetch *f)
{
	return f ? f->n : 0;
}

/* No space, tab, newline or other control byte: one field of a job line. */
static bool
field_clean(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return false;
	return true;
}

static bool
url_scheme_ok(const char *url)
{
	return strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0 ||
	    strncmp(url, "git://", 6) == 0;
}

int
fetch_add_buildpack(struct fetch *f, const char *spec, const char *name, struct err *e)
{
	char *url = xstrdup(spec), *ref = strchr(url, '#');
	int rc = -1;

	if (ref)
		*ref++ = '\0';
	if (!url_scheme_ok(url)) {
		err_set(e, 1, "buildpack URL '%.200s' is not http(s):// or git://", url);
		goto out;
	}
	if (!field_clean(url) || strlen(url) > 2000) {
		err_set(e, 1, "buildpack URL '%.200s' has spaces or control characters", url);
		goto out;
	}
	if (ref && (!*ref || *ref == '-' || !field_clean(ref) || strlen(ref) > 200)) {
		err_set(e, 1, "invalid buildpack ref '%.100s'", ref);
		goto out;
	}
	if (f->n >= FETCH_MAX) {
		err_set(e, 1, "too many fetches for one build");
		goto out;
	}
	buf_addf(&f->jobs, "buildpack\t%s\t%s\t%s\n", name, url, ref ? ref : "");
	f->what[f->n++] = xasprintf("buildpack '%s'", url);
	rc = 0;
out:
	free(url);
	return rc;
}

/* A path of the tree the fetch may write: relative, no empty, '.' or '..' component. */
static bool
path_ok(const char *p)
{
	const char *c = p;

	if (!*p || !field_clean(p) || strlen(p) > 1000)
		return false;
	for (;; p++)
		if (*p == '/' || *p == '\0') {
			size_t n = (size_t)(p - c);

			if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
				return false;
			if (*p == '\0')
				return true;
			c = p + 1;
		}
}

/* The value of "submodule.<name>.<key>" in git config -z output whose path is path. */
static const char *
gitmodules_url(const struct buf *cfg, const char *path)
{
	const char *p = cfg->p, *end = cfg->p + cfg->len, *name = NULL;
	size_t namelen = 0;
	int pass;

	/* first the name whose .path is path, then that name's .url */
	for (pass = 0; pass < 2; pass++)
		for (p = cfg->p; p && p < end; p += strlen(p) + 1) {
			const char *nl = strchr(p, '\n'), *dot;

			if (nl == NULL || strncmp(p, "submodule.", 10) != 0)
				continue;
			for (dot = nl; dot > p && *dot != '.'; dot--)
				;
			if (pass == 0 && strncmp(dot, ".path\n", 6) == 0 && strcmp(nl + 1, path) == 0) {
				name = p + 10;
				namelen = (size_t)(dot - name);
				break;
			}
			if (pass == 1 && name && strncmp(dot, ".url\n", 5) == 0 &&
			    (size_t)(dot - (p + 10)) == namelen && memcmp(p + 10, name, namelen) == 0)
				return nl + 1;
		}
	return NULL;
}

int
fetch_add_submodules(struct fetch *f, const struct build *b, size_t *n, struct err *e)
{
	const char *lsargv[] = { "git", "ls-tree", "-r", "-z", b->sha, NULL };
	char *blob = xasprintf("%s:.gitmodules", b->sha);
	const char *cfgargv[] = { "git", "config", "--blob", blob, "-z", "--get-regexp",
	    "^submodule\\..*\\.(path|url)$", NULL };
	struct buf ls = BUF_INIT, cfg = BUF_INIT;
	int status = 1, rc = -1;
	size_t i;

	*n = 0;
	if (run_capture(lsargv, NULL, b->repo, NULL, 0, &ls, NULL, 60000, &status, e) < 0)
		goto out;
	if (status != 0) {
		err_set(e, 1, "cannot list the pushed tree");
		goto out;
	}
	/* no .gitmodules (or no entry in it): every gitlink is refused below by name */
	run_capture(cfgargv, NULL, b->repo, NULL, 0, &cfg, NULL, 30000, &status, NULL);
	if (status != 0)
		buf_reset(&cfg);
	/* "<mode> <type> <object>\t<path>\0" */
	for (i = 0; i < ls.len; i += strnlen(ls.p + i, ls.len - i) + 1) {
		const char *entry = ls.p + i, *tab, *path, *url;
		char sha[41];

		if (strncmp(entry, "160000 commit ", 14) != 0 ||
		    (tab = memchr(entry, '\t', strnlen(entry, ls.len - i))) == NULL ||
		    tab - (entry + 14) != 40)
			continue;
		memcpy(sha, entry + 14, 40);
		sha[40] = '\0';
		path = tab + 1;
		if (!path_ok(path)) {
			err_set(e, 1, "submodule path '%.200s' is not a plain relative path", path);
			goto out;
		}
		url = gitmodules_url(&cfg, path);
		if (url == NULL || !*url) {
			err_set(e, 1, "submodule '%.200s' has no URL in .gitmodules: its content cannot "
			    "be fetched (add it to .gitmodules, or vendor it in the repository)", path);
			goto out;
		}
		if (strncmp(url, "./", 2) == 0 || strncmp(url, "../", 3) == 0) {
			err_set(e, 1, "submodule '%.200s' has the relative URL '%.200s', which resolves "
			    "against nothing here: use an absolute http(s):// or git:// URL", path, url);
			goto out;
		}
		if (!url_scheme_ok(url) || !field_clean(url) || strlen(url) > 2000) {
			err_set(e, 1, "submodule '%.200s' URL '%.200s' is not http(s):// or git://",
			    path, url);
			goto out;
		}
		if (f->npaths >= SUBMODULES_MAX || f->n >= FETCH_MAX) {
			err_set(e, 1, "the repository has more than %d submodules", SUBMODULES_MAX);
			goto out;
		}
		buf_addf(&f->jobs, "submodule\t%s\t%s\t%s\n", path, sha, url);
		f->what[f->n++] = xasprintf("submodule '%s' from '%s'", path, url);
		f->paths[f->npaths++] = xstrdup(path);
		(*n)++;
	}
	rc = 0;
out:
	buf_release(&ls);
	buf_release(&cfg);
	free(blob);
	return rc;
}

/* The script's reason for a failed job: its "error" file, one line, printable. */
static char *
fetch_reason(const char *dir)
{
	char buf[301], *p;
	int fd = buildpack_open_out(dir, "error", &(struct err){ 0 });
	ssize_t n = 0;

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n <= 0)
		return xstrdup("no reason given");
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	for (p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return xstrdup(buf);
}

int
fetch_run(struct build *b, struct fetch *f, const char *bpdir, struct err *e)
{
	const struct conf *c = b->conf;
	char *dir = xasprintf("%s/fetch", b->tmp), *jobs = xasprintf("%s/fetch.jobs", b->tmp);
	char *binds[5] = { NULL };
	const char *env[] = { "HOME=/tmp/home", NULL };
	struct err ign = { 0 };
	struct limits_watch w;
	json_t *cfg = NULL;
	int code, rc = -1;
	size_t i, nb = 0;

	if (f->n == 0) {
		rc = 0;
		goto out;
	}
	out_step("Fetching %s", f->npaths == 0 ? "buildpacks" :
	    f->npaths == f->n ? "git submodules" : "buildpacks and git submodules");
	if (mkdir(dir, 0755) < 0) {
		err_set(e, 1, "cannot create '%s': %s", dir, strerror(errno));
		goto out;
	}
	if (buildpack_write_file(jobs, f->jobs.p, f->jobs.len, e) < 0)
		goto out;
	binds[nb++] = xasprintf("%s:/tmp/jobs:ro", jobs);
	binds[nb++] = xasprintf("%s:/builder:ro", c->lib_dir);
	binds[nb++] = xasprintf("%s:/tmp/out:rw", dir);
	if (bpdir)
		binds[nb++] = xasprintf("%s:/tmp/buildpacks:rw", bpdir);
	cfg = sandbox_config(b, "/builder/fetch", (const char *const *)binds, env);
	limits_watch_init(&w, b->docker, c);
	limits_watch_dir(&w, dir, false);
	if (bpdir)
		limits_watch_dir(&w, bpdir, false);
	if (sandbox_run(b, cfg, b->fetch_container, &w, &code, e) < 0)
		goto out;
	if (code >= 100 && (size_t)(code - 100) < f->n) {
		char *why = fetch_reason(dir);

		err_set(e, 1, "cannot fetch %.300s: %.300s", f->what[code - 100], why);
		free(why);
		goto out;
	}
	if (code != 0) {
		err_set(e, 1, "the fetch failed (exit %d)", code);
		goto out;
	}
	if (f->npaths)
		b->modules_tar = xasprintf("%s/modules.tar", dir);
	rc = 0;
out:
	if (b->fetch_container[0] &&
	    docker_container_remove(b->docker, b->fetch_container, true, &ign) == 0)
		b->fetch_container[0] = '\0';
	json_decref(cfg);
	for (i = 0; i < nb; i++)
		free(binds[i]);
	free(dir);
	free(jobs);
	return rc;
}

int
fetch_modules_unpack(struct build *b, const char *dir, struct err *e)
{
	char *fdir;
	const char **argv;
	struct run t = { .in = RUN_FD };
	int fd, status = 1, rc = -1;
	size_t i, n = 0;

	if (b->modules_tar == NULL)
		return 0;
	fdir = xasprintf("%s/fetch", b->tmp);
	fd = buildpack_open_out(fdir, "modules.tar", e);
	free(fdir);
	if (fd < 0) {
		if (errno == ENOENT)
			err_set(e, 1, "the fetch wrote no submodules");
		return -1;
	}
	argv = xcalloc(b->fetch->npaths + 10, sizeof(*argv));
	argv[n++] = "tar";
	argv[n++] = "-x";
	argv[n++] = "--no-same-owner";
	argv[n++] = "-C";
	argv[n++] = dir;
	argv[n++] = "-f";
	argv[n++] = "-";
	argv[n++] = "--";
	for (i = 0; i < b->fetch->npaths; i++)
		argv[n++] = b->fetch->paths[i];
	argv[n] = NULL;
	t.argv = argv;
	t.in_fd = fd;
	if (run_start(&t, e) == 0 && run_wait(&t, 300000, &status, e) == 0) {
		if (status == 0)
			rc = 0;
		else
			err_set(e, 1, "cannot unpack the submodules (tar %d)", status);
	}
	close(fd);
	free(argv);
	return rc;
}
