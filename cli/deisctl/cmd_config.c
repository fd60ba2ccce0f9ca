/*
 * config <component> get|set|rm, scale, rolling-restart.
 *
 * Settings live in config.json under the component's name (or "platform") and
 * reach the component's container at its next start (Deis kept them in etcd
 * under /deis/<component>/<key>); `deisctl restart <component>` applies them.
 * The router's become deis-router flags (router_settings.c) and are checked
 * when set; other components' become environment. Keys are Deis's: letters,
 * digits and '/', '-', '_', '.'.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/deisctl/deisctl.h"
#include "lib/xalloc.h"

static bool
key_valid(const char *k)
{
	const char *p;

	if (!*k || strlen(k) > 128 || !isalpha((unsigned char)*k))
		return false;
	for (p = k; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/-_.", *p))
			return false;
	return true;
}

static bool
section_valid(const char *s)
{
	return !strcmp(s, "platform") || dctl_component_find(s) != NULL;
}

static int
config_get(struct dctl *d, const char *section, int argc, char **argv)
{
	json_t *sec = json_object_get(d->config, section), *v;
	const char *key;
	int i, rc = 0;

	if (argc == 0) {
		json_object_foreach(sec, key, v)
			printf("%s=%s\n", key, json_string_value(v) ?: "");
		return 0;
	}
	for (i = 0; i < argc; i++) {
		v = json_object_get(sec, argv[i]);
		if (!json_is_string(v)) {
			fprintf(stderr, "deisctl: no key '%s' in '%s'\n", argv[i], section);
			rc = 1;
			continue;
		}
		printf("%s\n", json_string_value(v));
	}
	return rc;
}

static json_t *
config_section(struct dctl *d, const char *section)
{
	json_t *sec = json_object_get(d->config, section);

	if (!sec) {
		sec = json_object();
		json_object_set_new(d->config, section, sec);
	}
	return sec;
}

/*
 * Every key=value is checked before anything is stored: one bad value and
 * config.json (and the router's certificate files) stay as they were.
 */
static int
config_set(struct dctl *d, const char *section, int argc, char **argv)
{
	json_t *changes;
	struct err e = { 0 };
	int i, rc = 2;

	if (argc == 0) {
		fprintf(stderr, "usage: deisctl config %s set <key=value>...\n", section);
		return 2;
	}
	changes = json_object();
	for (i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '='), *k;

		if (!eq) {
			fprintf(stderr, "deisctl: '%s' is not key=value\n", argv[i]);
			goto out;
		}
		k = xstrndup(argv[i], (size_t)(eq - argv[i]));
		if (!key_valid(k) || strchr(eq + 1, '\n') || strlen(eq + 1) > 4096) {
			fprintf(stderr, "deisctl: invalid setting '%s'\n", argv[i]);
			free(k);
			goto out;
		}
		if ((!strcmp(section, "platform") && dctl_platform_check(k, eq + 1, &e) < 0) ||
		    (!strcmp(section, "builder") && dctl_builder_check(k, eq + 1, &e) < 0) ||
		    (!strcmp(section, "controller") && dctl_controller_check(k, eq + 1, &e) < 0) ||
		    (!strcmp(section, "registry") && dctl_store_registry_key(k, &e) < 0)) {
			fprintf(stderr, "deisctl: %s\n", e.msg);
			free(k);
			goto out;
		}
		json_object_set_new(changes, k, json_string(eq + 1));
		free(k);
	}
	if ((!strcmp(section, "router") && dctl_router_config_set(d, changes, &e) < 0) ||
	    (!strcmp(section, "store") && dctl_store_config_set(d, changes, &e) < 0)) {
		fprintf(stderr, "deisctl: %s\n", e.msg);
		goto out;
	}
	json_object_update(config_section(d, section), changes);
	if (dctl_state_save(d, &e) < 0) {
		fprintf(stderr, "deisctl: %s\n", e.msg);
		rc = 1;
		goto out;
	}
	for (i = 0; i < argc; i++) {
		char *k = xstrndup(argv[i], strcspn(argv[i], "="));
		json_t *v = json_object_get(changes, k);

		/* The store renamed Deis's gateway keys: print what was stored. */
		if (!v && !strcmp(section, "store") && !strncmp(k, "gateway/", 8))
			v = json_object_get(changes, k + 8);
		printf("%s\n", json_string_value(v) ?: "");
		free(k);
	}
	if (!strcmp(section, "router") || !strcmp(section, "store"))
		fprintf(stderr, "deisctl: 'deisctl restart %s' applies it\n",
		    !strcmp(section, "store") ? "registry" : "router");
	rc = 0;
out:
	json_decref(changes);
	return rc;
}

static int
config_rm(struct dctl *d, const char *section, int argc, char **argv)
{
	json_t *sec = json_object_get(d->config, section);
	struct err e = { 0 };
	int i;

	for (i = 0; i < argc; i++) {
		json_object_del(sec, argv[i]);
		if (!strcmp(section, "router"))
			dctl_router_config_rm(d, argv[i]);
		if (!strcmp(section, "store"))
			dctl_store_config_rm(d, argv[i]);
		printf("%s\n", argv[i]);
	}
	if (dctl_state_save(d, &e) < 0) {
		fprintf(stderr, "deisctl: %s\n", e.msg);
		return 1;
	}
	return 0;
}

int
dctl_cmd_config(struct dctl *d, int argc, char **argv)
{
	const char *section, *op;

	if (argc < 3) {
		fprintf(stderr, "usage: deisctl config <platform|component> get [<key>...] | "
		    "set <key=value>... | rm <key>...\n");
		return 2;
	}
	section = argv[1];
	op = argv[2];
	if (!section_valid(section)) {
		fprintf(stderr, "deisctl: unknown target '%s'\n", section);
		return 2;
	}
	if (!strcmp(op, "get"))
		return config_get(d, section, argc - 3, argv + 3);
	if (!strcmp(op, "set"))
		return config_set(d, section, argc - 3, argv + 3);
	if (!strcmp(op, "rm"))
		return config_rm(d, section, argc - 3, argv + 3);
	fprintf(stderr, "deisctl: unknown config operation '%s': get, set or rm\n", op);
	return 2;
}

/*
 * scale router=N: N worker processes in each router (SO_REUSEPORT), the
 * router setting "workers"; the mode applies it (one router container on one
 * host, one router task per router-mesh node on a swarm).
 */
int
dctl_cmd_scale(struct dctl *d, int argc, char **argv)
{
	const char *errstr = NULL;
	struct err e = { 0 };
	long long n;

	if (argc != 2 || strncmp(argv[1], "router=", 7) != 0) {
		fprintf(stderr, "usage: deisctl scale router=<n>  (router workers)\n");
		return 2;
	}
	n = strtonum(argv[1] + 7, 1, 64, &errstr);
	if (errstr) {
		fprintf(stderr, "deisctl: router count '%s' is %s\n", argv[1] + 7, errstr);
		return 2;
	}
	if (dctl_ping(d) < 0)
		return 1;
	json_object_set_new(config_section(d, "router"), "workers", json_sprintf("%lld", n));
	json_object_del(config_section(d, "router"), "workerProcesses");
	if (dctl_state_save(d, &e) < 0) {
		fprintf(stderr, "deisctl: %s\n", e.msg);
		return 1;
	}
	return dctl_platform_ops(d)->scale(d, n);
}

/* One router per host (one host) or per router-mesh node (a swarm's update is rolling). */
int
dctl_cmd_rolling_restart(struct dctl *d, int argc, char **argv)
{
	bool sel[DCTL_MAX_COMPONENTS] = { false };
	size_t n;

	if (argc != 2 || strcmp(argv[1], "router") != 0) {
		fprintf(stderr, "usage: deisctl rolling-restart router\n");
		return 2;
	}
	if (dctl_ping(d) < 0)
		return 1;
	sel[dctl_component_find("router") - dctl_component_all(&n)] = true;
	return dctl_platform_ops(d)->restart(d, sel);
}
