/*
 * The lifecycle commands: install, uninstall, start, stop, restart, status,
 * list, journal. Each parses its targets and hands them to the operations of
 * the platform's mode (dctl_platform_ops(): platform_local.c on one host,
 * platform_swarm.c on a swarm), never asking which mode it is.
 *
 * Targets: "platform" (every component, in the seed's order: store, logger,
 * logspout, database, registry, controller, builder, publisher, router) or
 * component names ("router@1" is the router). Every command is idempotent:
 * install and start converge what runs to its spec; stop and uninstall of
 * what is not there succeed.
 *
 * A component whose program is not in the platform image (not built in this
 * tree yet) is reported as missing and skipped: nothing is faked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/deisctl/deisctl.h"
#include "lib/docker.h"
#include "lib/run.h"
#include "lib/xalloc.h"

#define MAX_COMPONENTS DCTL_MAX_COMPONENTS

/* Mark the selected components in sel[] (component order). -1 on an unknown name. */
static int
targets(int argc, char **argv, bool sel[MAX_COMPONENTS])
{
	size_t n, i;
	const struct component *all = dctl_component_all(&n);
	int k;

	memset(sel, 0, sizeof(bool) * MAX_COMPONENTS);
	if (argc < 1) {
		fprintf(stderr, "deisctl: no target: name 'platform' or components (");
		for (i = 0; i < n; i++)
			fprintf(stderr, "%s%s", i ? ", " : "", all[i].name);
		fprintf(stderr, ")\n");
		return -1;
	}
	for (k = 0; k < argc; k++) {
		char name[64];
		const struct component *c;

		snprintf(name, sizeof(name), "%s", argv[k]);
		name[strcspn(name, "@")] = '\0';
		if (!strcmp(name, "platform")) {
			for (i = 0; i < n; i++)
				sel[i] = true;
			continue;
		}
		c = dctl_component_find(name);
		if (!c) {
			fprintf(stderr, "deisctl: unknown target '%s'\n", argv[k]);
			return -1;
		}
		sel[c - all] = true;
	}
	return 0;
}

static bool
has_flag(int *argc, char **argv, const char *flag)
{
	int i, j;

	for (i = 0; i < *argc; i++)
		if (!strcmp(argv[i], flag)) {
			for (j = i; j + 1 < *argc; j++)
				argv[j] = argv[j + 1];
			(*argc)--;
			return true;
		}
	return false;
}

/* True when the controller is among the targets: then a fresh platform says how to get an admin. */
static bool
has_controller(const bool *sel)
{
	size_t n;

	return sel[dctl_component_find("controller") - dctl_component_all(&n)];
}

int
dctl_cmd_install(struct dctl *d, int argc, char **argv)
{
	bool sel[MAX_COMPONENTS];

	if (targets(argc - 1, argv + 1, sel) < 0)
		return 2;
	return dctl_platform_ops(d)->install(d, sel);
}

int
dctl_cmd_start(struct dctl *d, int argc, char **argv)
{
	bool sel[MAX_COMPONENTS];
	int rc;

	if (targets(argc - 1, argv + 1, sel) < 0)
		return 2;
	rc = dctl_platform_ops(d)->start(d, sel);
	/* A fresh platform: say how its first administrator is made. */
	if (rc == 0 && has_controller(sel))
		dctl_admin_note(d);
	return rc;
}

int
dctl_cmd_stop(struct dctl *d, int argc, char **argv)
{
	bool sel[MAX_COMPONENTS];

	if (targets(argc - 1, argv + 1, sel) < 0)
		return 2;
	return dctl_platform_ops(d)->stop(d, sel);
}

int
dctl_cmd_restart(struct dctl *d, int argc, char **argv)
{
	bool sel[MAX_COMPONENTS];
	int rc;

	if (targets(argc - 1, argv + 1, sel) < 0)
		return 2;
	rc = dctl_platform_ops(d)->restart(d, sel);
	if (rc == 0 && has_controller(sel))
		dctl_admin_note(d);
	return rc;
}

int
dctl_cmd_uninstall(struct dctl *d, int argc, char **argv)
{
	static const char *const vols[] = { "logger", "database", "registry", "logspout", "router" };
	bool sel[MAX_COMPONENTS], purge = has_flag(&argc, argv, "--purge"), all_sel = true;
	struct err e = { 0 };
	size_t n, i;
	int rc = 0;

	if (targets(argc - 1, argv + 1, sel) < 0)
		return 2;
	/* what runs (containers or services), then what the modes share */
	rc = dctl_platform_ops(d)->uninstall(d, sel);
	dctl_component_all(&n);
	for (i = 0; i < n; i++)
		if (!sel[i])
			all_sel = false;
	if (!all_sel)
		return rc;
	if (dctl_engine_network_remove(d, d->prefix, &e) < 0 || dctl_buildnet_down(d, &e) < 0) {
		fprintf(stderr, "deisctl: %s\n", e.msg);
		rc = 1;
	}
	if (!purge) {
		printf("platform uninstalled; data kept (volumes %s-*, '%s'): "
		    "'deisctl uninstall --purge platform' removes it\n", d->prefix, d->state_dir);
		return rc;
	}
	if (dctl_engine_app_networks_remove(d, &e) < 0)
		fprintf(stderr, "deisctl: warning: %s\n", e.msg);
	for (i = 0; i < ARRAY_SIZE(vols); i++) {
		char *path = xasprintf("/volumes/%s-%s", d->prefix, vols[i]);
		json_t *r = docker_call(d->docker, "DELETE", path, NULL, 30000,
		    (const int[]){ 404, 0 }, NULL, "remove volume", &e);

		if (!r) {
			fprintf(stderr, "deisctl: %s\n", e.msg);
			rc = 1;
		}
		json_decref(r);
		free(path);
	}
	{
		const char *rm[] = { "rm", "-rf", "--", d->state_dir, NULL };
		int status = 1;

		if (run_capture(rm, NULL, NULL, NULL, 0, NULL, NULL, 60000, &status, &e) < 0 ||
		    status != 0) {
			fprintf(stderr, "deisctl: cannot remove '%s'\n", d->state_dir);
			rc = 1;
		}
	}
	printf("platform uninstalled and its data removed\n");
	return rc;
}

/* status and list: one line per component; exit 3 when something present is not running. */
static int
report(struct dctl *d, int argc, char **argv, bool verbose)
{
	bool sel[MAX_COMPONENTS];

	if (argc < 2) {
		static char plat[] = "platform";
		static char *def[] = { NULL, plat };

		argv = def;
		argc = 2;
	}
	if (targets(argc - 1, argv + 1, sel) < 0)
		return 2;
	return dctl_platform_ops(d)->status(d, sel, verbose);
}

int
dctl_cmd_status(struct dctl *d, int argc, char **argv)
{
	return report(d, argc, argv, true);
}

int
dctl_cmd_list(struct dctl *d, int argc, char **argv)
{
	return report(d, argc, argv, false);
}

int
dctl_cmd_journal(struct dctl *d, int argc, char **argv)
{
	bool sel[MAX_COMPONENTS];
	int lines = 200, k;

	for (k = 1; k < argc; k++) {
		if (!strncmp(argv[k], "--lines=", 8)) {
			const char *errstr = NULL;

			lines = (int)strtonum(argv[k] + 8, 1, 1000000, &errstr);
			if (errstr) {
				fprintf(stderr, "deisctl: --lines '%s' is %s\n", argv[k] + 8, errstr);
				return 2;
			}
			memmove(&argv[k], &argv[k + 1], sizeof(char *) * (size_t)(argc - k));
			argc--;
			k--;
		}
	}
	if (targets(argc - 1, argv + 1, sel) < 0)
		return 2;
	return dctl_platform_ops(d)->journal(d, sel, lines);
}
