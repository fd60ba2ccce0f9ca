/*
 * The builds' network: where every build step runs (the daemon's RUN
 * containers of a Dockerfile build, the buildpack container). A bridge of its
 * own, inter-container traffic off, and the host's firewall lets what comes
 * from it reach the internet through Docker's NAT and nothing else: not the
 * host (INPUT: none of its addresses, so none of its services, the registry,
 * the controller, a metadata server on a local address), not a private,
 * shared, link-local, loopback or multicast destination (DOCKER-USER, before
 * Docker's own forwarding rules: so no app container, no platform container,
 * no other host of the site, not 169.254.169.254), but for DNS to the host's
 * resolvers (/etc/resolv.conf), which Docker's embedded resolver asks from the
 * build step's own network namespace. Rules carry the comment
 * "deis-build:<prefix>" and are inserted once; uninstall deletes them.
 *
 * An engine run without iptables (--iptables=false, as Swarm test nodes are)
 * has no DOCKER-USER chain: builds then run on the default bridge, and start
 * says so. The rules are the host's: deisctl runs on the engine's host, as it
 * does for bridge.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/deisctl/deisctl.h"
#include "lib/cgroup.h"
#include "lib/docker.h"
#include "lib/run.h"
#include "lib/xalloc.h"

static const char *const blocked[] = {
	"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
	"127.0.0.0/8", "0.0.0.0/8", "224.0.0.0/3",
};

static char *
buildnet_name(const struct dctl *d)
{
	return xasprintf("%s-build", d->prefix);
}

/* The bridge's interface name: at most 15 bytes, fixed per prefix. */
static void
bridge_ifname(const struct dctl *d, char out[16])
{
	char hex[65];

	dctl_digest_hex(d->prefix, hex);
	snprintf(out, 16, "dbld%.11s", hex);
}

static int
ipt(const char *const *argv, struct err *e)
{
	struct buf err = BUF_INIT;
	int status = -1, rc;

	rc = run_capture(argv, NULL, NULL, NULL, 0, NULL, &err, 30000, &status, e);
	if (rc == 0 && status != 0)
		rc = err_set(e, status, "%s", err.len ? err.p : "iptables failed");
	buf_release(&err);
	return rc;
}

/* The host's IPv4 resolvers that a build step can be routed to (not loopback). */
static size_t
resolvers(char ns[][16], size_t max)
{
	FILE *f = fopen("/etc/resolv.conf", "re");
	char line[256], addr[64];
	unsigned a, b, c, d;
	size_t n = 0;

	if (f == NULL)
		return 0;
	while (n < max && fgets(line, sizeof(line), f))
		if (sscanf(line, " nameserver %63s", addr) == 1 &&
		    sscanf(addr, "%u.%u.%u.%u", &a, &b, &c, &d) == 4 && a < 256 && b < 256 &&
		    c < 256 && d < 256 && a != 127)
			snprintf(ns[n++], 16, "%u.%u.%u.%u", a, b, c, d);
	fclose(f);
	return n;
}

/*
 * Rule i of the set for br (chain, then its match): NULL-terminated argv tail.
 * The DROPs first, the DNS exceptions last: each is inserted at the top, so
 * the exceptions come before the DROPs.
 */
static void
rule(const char *br, const char *comment, size_t i, char ns[][16], const char **v)
{
	size_t n = 0, k = i - ARRAY_SIZE(blocked) - 1;

	if (i < ARRAY_SIZE(blocked)) {
		v[n++] = "DOCKER-USER";
		v[n++] = "-i", v[n++] = br;
		v[n++] = "-d", v[n++] = blocked[i];
	} else if (i == ARRAY_SIZE(blocked)) {
		v[n++] = "INPUT";
		v[n++] = "-i", v[n++] = br;
	} else {
		v[n++] = "DOCKER-USER";
		v[n++] = "-i", v[n++] = br;
		v[n++] = "-d", v[n++] = ns[k / 2];
		v[n++] = "-p", v[n++] = k % 2 ? "tcp" : "udp";
		v[n++] = "--dport", v[n++] = "53";
	}
	v[n++] = "-m", v[n++] = "comment", v[n++] = "--comment", v[n++] = comment;
	v[n++] = "-j", v[n++] = i <= ARRAY_SIZE(blocked) ? "DROP" : "ACCEPT";
	v[n] = NULL;
}

/*
 * insert: every rule not there yet, -1 at the first that cannot be; else
 * delete every rule (best effort: some may never have been inserted).
 */
static int
rules(bool insert, const char *br, const char *comment, struct err *e)
{
	const char *argv[32];
	char ns[4][16];
	size_t i, nns = resolvers(ns, 4);

	for (i = 0; i <= ARRAY_SIZE(blocked) + 2 * nns; i++) {
		argv[0] = "iptables", argv[1] = "-w";
		argv[2] = insert ? "-C" : "-D";
		rule(br, comment, i, ns, argv + 3);
		if (ipt(argv, e) == 0 || !insert)
			continue;	/* there already, or deleted (or not there) */
		argv[2] = "-I";
		if (ipt(argv, e) < 0)
			return -1;
	}
	return 0;
}

/*
 * The builds' cgroup parent, "<prefix>-build": the builder makes a group per
 * Dockerfile build below it with pids.max and hands it to the engine as the
 * steps' cgroup parent (the classic build API has no pids option). Needs the
 * engine's cgroupfs driver (a systemd one wants slices) and the host's
 * cgroup hierarchy, which the builder gets mounted at DCTL_BUILD_CGROUP.
 */
static void
buildcg_up(struct dctl *d)
{
	json_t *info = docker_call(d->docker, "GET", "/info", NULL, 30000, NULL, NULL, "info",
	    &(struct err){ 0 });
	const char *driver = json_string_value(json_object_get(info, "CgroupDriver"));

	free(d->build_cgroup);
	d->build_cgroup = NULL;
	if (driver && strcmp(driver, "cgroupfs") == 0 && access("/sys/fs/cgroup", R_OK) == 0)
		d->build_cgroup = xasprintf("%s:%s-build", DCTL_BUILD_CGROUP, d->prefix);
	else
		fprintf(stderr, "deisctl: warning: the steps of Dockerfile builds are not limited in "
		    "processes: the engine's cgroup driver is '%s', not cgroupfs\n",
		    driver ? driver : "unknown");
	json_decref(info);
}

static void
buildcg_down_one(const char *dir, void *arg)
{
	cgroup_rmdir_children(dir);
	rmdir(dir);
}

/* Remove the parent group and the empty groups builds left in it, in every hierarchy. */
static void
buildcg_down(struct dctl *d)
{
	char *parent = xasprintf("%s-build", d->prefix);

	cgroup_each_parent("/sys/fs/cgroup", parent, buildcg_down_one, NULL);
	free(parent);
}

int
dctl_buildnet_up(struct dctl *d, struct err *e)
{
	static const char *const has_chain[] = { "iptables", "-w", "-n", "-L", "DOCKER-USER", NULL };
	char *name = buildnet_name(d);
	char br[16], *comment = xasprintf("deis-build:%s", d->prefix);
	struct err e2 = { 0 };
	json_t *opts;
	int r, rc = -1;

	bridge_ifname(d, br);
	if (ipt(has_chain, &e2) < 0) {
		fprintf(stderr, "deisctl: warning: builds are not sandboxed: the engine's host has "
		    "no DOCKER-USER chain (%s)\n", e2.msg);
		rc = 1;
		goto out;
	}
	opts = json_pack("{s:s, s:s}", "com.docker.network.bridge.name", br,
	    "com.docker.network.bridge.enable_icc", "false");
	r = dctl_engine_network(d, name, opts, e);
	json_decref(opts);
	if (r < 0)
		goto out;
	if (rules(true, br, comment, &e2) < 0) {
		err_set(e, 1, "cannot close the builds' network to the host and private addresses: %s",
		    e2.msg);
		goto out;
	}
	free(d->build_network);
	d->build_network = xstrdup(name);
	buildcg_up(d);
	rc = 0;
out:
	free(comment);
	free(name);
	return rc;
}

int
dctl_buildnet_down(struct dctl *d, struct err *e)
{
	char *name = buildnet_name(d);
	char br[16], *comment = xasprintf("deis-build:%s", d->prefix);
	struct err e2 = { 0 };
	int rc;

	bridge_ifname(d, br);
	rules(false, br, comment, &e2);
	buildcg_down(d);
	rc = dctl_engine_network_remove(d, name, e);
	free(comment);
	free(name);
	return rc;
}

int
dctl_builder_check(const char *key, const char *value, struct err *e)
{
	static const struct {
		const char *key, *what;
		long long lo, hi;
	} limits[] = {
		{ "buildMemoryMB", "megabytes of memory", 64, 1 << 20 },
		{ "buildCPUs", "CPUs", 1, 1024 },
		{ "buildTimeout", "seconds", 10, 86400 },
		{ "buildPids", "processes", 64, 1 << 22 },
		{ "buildDiskMB", "megabytes of disk", 16, 1 << 24 },
	};
	const char *errstr = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(limits); i++) {
		if (strcmp(key, limits[i].key) != 0)
			continue;
		strtonum(value, limits[i].lo, limits[i].hi, &errstr);
		if (errstr)
			return err_set(e, 2, "%s '%s' is not a number of %s from %lld to %lld", key,
			    value, limits[i].what, limits[i].lo, limits[i].hi);
	}
	return 0;
}
