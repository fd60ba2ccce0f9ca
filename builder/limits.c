/*
 * The limits of a build that Docker's classic build API cannot set.
 *
 * Processes: a Dockerfile's RUN steps get the steps' cgroup parent
 * (cgroupparent), a group of the build's own below conf.build_cgroup's
 * parent, made here with pids.max; the engine (cgroupfs driver) puts every
 * step container inside it. The buildpack container has PidsLimit itself.
 *
 * Disk: the pushed tree is measured before anything runs (git ls-tree), the
 * running step's writable layer (and for buildpack builds what it writes to
 * the host's build and cache directories) every few seconds while it runs,
 * killed past the limit, and a Dockerfile build's new layers once it is done.
 * The running measure lags by its period: the limit protects the host's
 * disk from a runaway build, it is not a quota to the byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/builder.h"
#include "lib/cgroup.h"
#include "lib/docker.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/run.h"
#include "lib/xalloc.h"

#define WATCH_PERIOD_MS 3000

/* "/sys/fs/cgroup:deis-build" → root and parent; false when not set or malformed. */
static bool
cgroup_split(const struct conf *c, char *root, size_t rsize, char *parent, size_t psize)
{
	const char *colon = c->build_cgroup ? strrchr(c->build_cgroup, ':') : NULL;

	if (colon == NULL || colon == c->build_cgroup || !colon[1] || strchr(colon + 1, '/') ||
	    (size_t)(colon - c->build_cgroup) >= rsize)
		return false;
	snprintf(root, rsize, "%.*s", (int)(colon - c->build_cgroup), c->build_cgroup);
	snprintf(parent, psize, "%s", colon + 1);
	return true;
}

static int
write_file(const char *dir, const char *file, const char *value)
{
	char *p = xasprintf("%s/%s", dir, file);
	int fd = open(p, O_WRONLY | O_CLOEXEC), rc = -1;

	if (fd >= 0 && write(fd, value, strlen(value)) == (ssize_t)strlen(value))
		rc = 0;
	if (fd >= 0)
		close(fd);
	free(p);
	return rc;
}

struct owner {
	uid_t uid;
	gid_t gid;
};

static void
prepare_one(const char *dir, void *arg)
{
	static const char *const files[] = { "", "/cgroup.procs", "/cgroup.subtree_control",
	    "/cgroup.threads", "/tasks" };
	const struct owner *o = arg;
	size_t i;

	mkdir(dir, 0755);
	/* the pids controller for the builds' groups (v2; v1 has it everywhere) */
	write_file(dir, "cgroup.subtree_control", "+pids");
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		char *p = xasprintf("%s%s", dir, files[i]);

		if (chown(p, o->uid, o->gid) < 0 && errno != ENOENT)
			log_warn("cannot hand '%s' to the builds: %s", p, strerror(errno));
		free(p);
	}
}

static void
sweep_one(const char *dir, void *arg)
{
	cgroup_rmdir_children(dir);
}

void
limits_cgroup_prepare(const struct conf *c, uid_t uid, gid_t gid)
{
	char root[512], parent[128];
	struct owner o = { uid, gid };

	if (!cgroup_split(c, root, sizeof(root), parent, sizeof(parent)))
		return;
	if (cgroup_is_v2(root))
		write_file(root, "cgroup.subtree_control", "+pids");
	cgroup_each_parent(root, parent, sweep_one, NULL);
	cgroup_each_parent(root, parent, prepare_one, &o);
}

int
limits_cgroup_make(const struct conf *c, const char *name, char out[LIMITS_CGROUP_MAX],
    struct err *e)
{
	char root[512], parent[128], *group, pids[32];
	int rc = -1;

	out[0] = '\0';
	if (!cgroup_split(c, root, sizeof(root), parent, sizeof(parent)))
		return 0;
	group = cgroup_is_v2(root) ? xasprintf("%s/%s/%s", root, parent, name) :
	    xasprintf("%s/pids/%s/%s", root, parent, name);
	snprintf(pids, sizeof(pids), "%d", c->build_pids);
	if (mkdir(group, 0755) < 0 && errno != EEXIST)
		err_set(e, 1, "cannot make the build's cgroup '%s': %s", group, strerror(errno));
	else if (write_file(group, "pids.max", pids) < 0)
		err_set(e, 1, "cannot limit the build's processes in '%s': %s", group,
		    strerror(errno));
	else
		rc = 0;
	if (rc == 0)
		snprintf(out, LIMITS_CGROUP_MAX, "/%s/%s", parent, name);
	free(group);
	return rc;
}

/* The first number in dir/file, or -1. */
static long long
read_number(const char *dir, const char *file, const char *prefix)
{
	char *p = xasprintf("%s/%s", dir, file), line[128];
	long long n = -1;
	FILE *f = fopen(p, "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, prefix, strlen(prefix)) == 0) {
			n = strtoll(line + strlen(prefix), NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	free(p);
	return n;
}

/*
 * Whether the build's group reached its pids.max: its peak (pids.peak), or a
 * "max" event. Kernels before 6.2 count the event in the forking task's own
 * group (the step's, gone by now), so the peak is what tells.
 */
bool
limits_cgroup_hit(const struct conf *c, const char *name)
{
	char root[512], parent[128], *dir;
	long long peak, events;

	if (!cgroup_split(c, root, sizeof(root), parent, sizeof(parent)))
		return false;
	dir = cgroup_is_v2(root) ? xasprintf("%s/%s/%s", root, parent, name) :
	    xasprintf("%s/pids/%s/%s", root, parent, name);
	peak = read_number(dir, "pids.peak", "");
	events = read_number(dir, "pids.events", "max ");
	free(dir);
	return peak >= c->build_pids || events > 0;
}

static void
remove_one(const char *dir, void *arg)
{
	char *p = xasprintf("%s/%s", dir, (const char *)arg);

	rmdir(p);
	free(p);
}

void
limits_cgroup_remove(const struct conf *c, const char *name)
{
	char root[512], parent[128];

	if (cgroup_split(c, root, sizeof(root), parent, sizeof(parent)))
		cgroup_each_parent(root, parent, remove_one, (void *)name);
}

long long
limits_tree_bytes(const char *repo, const char *sha, struct buf *gitlinks)
{
	const char *argv[] = { "git", "ls-tree", "-r", "-l", "-z", sha, NULL };
	struct buf out = BUF_INIT;
	long long total = 0;
	int status = 1;
	size_t i = 0;

	if (run_capture(argv, NULL, repo, NULL, 0, &out, NULL, 60000, &status, NULL) < 0 ||
	    status != 0) {
		buf_release(&out);
		return -1;
	}
	/* "<mode> <type> <object> <size>\t<path>\0"; size is "-" for submodules */
	while (i < out.len) {
		const char *entry = out.p + i, *tab = memchr(entry, '\t', out.len - i);
		const char *sp;

		if (tab == NULL)
			break;
		for (sp = tab; sp > entry && sp[-1] == ' '; sp--)
			;
		while (sp > entry && sp[-1] != ' ')
			sp--;
		if (*sp >= '0' && *sp <= '9')
			total += strtoll(sp, NULL, 10);
		else if (gitlinks && strncmp(entry, "160000 commit ", 14) == 0)
			buf_addf(gitlinks, "%s%.*s", gitlinks->len ? ", " : "",
			    (int)strnlen(tab + 1, out.len - (size_t)(tab + 1 - out.p)), tab + 1);
		i += strnlen(entry, out.len - i) + 1;
	}
	buf_release(&out);
	return total;
}

static long long du_total;

static int
du_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_F || flag == FTW_D || flag == FTW_SL)
		du_total += (long long)st->st_blocks * 512;
	return 0;
}

long long
limits_dir_bytes(const char *path)
{
	du_total = 0;
	if (path && nftw(path, du_one, 32, FTW_PHYS | FTW_MOUNT) < 0 && errno != ENOENT)
		return -1;
	return du_total;
}

void
limits_watch_init(struct limits_watch *w, struct docker *d, const struct conf *c)
{
	memset(w, 0, sizeof(*w));
	w->docker = d;
	w->limit = (long long)c->build_disk_mb << 20;
}

/*
 * The writable layer of container, in bytes (0 when it cannot be told); -1
 * when it is not the build's: the build's output names its step containers,
 * and a RUN step can print a name too, so a step is taken only when it runs
 * in the build's cgroup.
 */
static long long
container_rw_bytes(struct limits_watch *w, const char *container)
{
	char *path = xasprintf("/containers/%s/json?size=1", container);
	json_t *j = docker_call(w->docker, "GET", path, NULL, 60000, NULL, NULL, "inspect",
	    &(struct err){ 0 });
	const char *cg = json_string_value(json_object_get(json_object_get(j, "HostConfig"),
	    "CgroupParent"));
	long long n = (long long)json_integer_value(json_object_get(j, "SizeRw"));

	if (w->cgroup_parent && (cg == NULL || strcmp(cg, w->cgroup_parent) != 0))
		n = -1;
	json_decref(j);
	free(path);
	return n;
}

int
limits_watch(void *arg, const char *container)
{
	struct limits_watch *w = arg;
	uint64_t now = ev_now_ms();
	long long used = 0;
	size_t i;

	if (now < w->next_ms)
		return 0;
	if (container && container[0]) {
		long long n = container_rw_bytes(w, container);

		if (n < 0)
			return 0;	/* not the build's: neither measured nor killed */
		used += n;
	}
	for (i = 0; i < LIMITS_WATCH_DIRS && w->dirs[i]; i++) {
		long long n = limits_dir_bytes(w->dirs[i]) - w->base[i];

		if (n > 0)
			used += n;
	}
	w->used = used;
	w->next_ms = ev_now_ms() + WATCH_PERIOD_MS;	/* after the measure, which takes time */
	if (used > w->limit) {
		w->over = true;
		return -1;
	}
	return 0;
}

void
limits_watch_dir(struct limits_watch *w, const char *dir, bool growth_only)
{
	size_t i;

	for (i = 0; i < LIMITS_WATCH_DIRS && w->dirs[i]; i++)
		;
	if (i == LIMITS_WATCH_DIRS)
		return;
	w->dirs[i] = dir;
	w->base[i] = growth_only ? limits_dir_bytes(dir) : 0;
	if (w->base[i] < 0)
		w->base[i] = 0;
}

long long
limits_image_new_bytes(struct docker *d, const char *image, long long since_s)
{
	char *path = xasprintf("/images/%s/history", image);
	json_t *h = docker_call(d, "GET", path, NULL, 30000, NULL, NULL, "image history",
	    &(struct err){ 0 }), *layer;
	long long total = 0;
	size_t i;

	free(path);
	if (!json_is_array(h)) {
		json_decref(h);
		return -1;
	}
	/* the layers this build made, not those it found in the cache or its base */
	json_array_foreach(h, i, layer)
		if (json_integer_value(json_object_get(layer, "Created")) >= since_s)
			total += (long long)json_integer_value(json_object_get(layer, "Size"));
	json_decref(h);
	return total;
}

void
limits_explain(const struct conf *c, const struct limits_watch *w, bool pids_hit, struct err *e)
{
	char why[sizeof(e->msg)];

	if (w && w->over)
		snprintf(why, sizeof(why), "the build wrote more than its %d MB of disk (%lld MB "
		    "seen; deisctl config builder set buildDiskMB=<MB>)", c->build_disk_mb,
		    w->used >> 20);
	else if (pids_hit)
		snprintf(why, sizeof(why), "%.120s: the build ran into its limit of %d processes "
		    "and threads (deisctl config builder set buildPids=<n>)", e->msg, c->build_pids);
	else if (strstr(e->msg, "Timeout was reached") || strstr(e->msg, "timed out"))
		snprintf(why, sizeof(why), "the build took longer than its %d s (deisctl config "
		    "builder set buildTimeout=<seconds>)", c->build_timeout);
	else if (strstr(e->msg, "non-zero code: 137") || strstr(e->msg, "(exit 137)"))
		snprintf(why, sizeof(why), "%.120s: killed, most likely out of its %d MB of memory "
		    "(deisctl config builder set buildMemoryMB=<MB>)", e->msg, c->build_memory_mb);
	else
		return;
	strlcpy(e->msg, why, sizeof(e->msg));
}
