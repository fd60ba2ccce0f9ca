/*
 * deisctl: options, the command table, usage. Every command talks to the
 * local Docker engine only and never needs the controller.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli/deisctl/deisctl.h"
#include "lib/docker.h"
#include "lib/xalloc.h"

#define DEISCTL_VERSION "1.13.4-c"

static const char usage_text[] =
"Usage: deisctl [options] <command> [<target>...]\n"
"\n"
"Commands (targets: platform, or store logger logspout database registry controller\n"
"builder publisher router supervisor):\n"
"  install <target>...          create state, secrets, network, volumes and containers\n"
"  uninstall [--purge] <target>...  remove containers (--purge: also volumes and state)\n"
"  start <target>...            install if needed, then start in order and wait until up\n"
"  stop <target>...             stop in reverse order\n"
"  restart <target>...          stop, then start (applies configuration changes)\n"
"  status [<target>...]         each component's state (exit 3 when one is not running)\n"
"  list [<target>...]           one line per component\n"
"  journal [--lines=N] <target>...  a component's container output (router: and its access log)\n"
"  config <platform|component> get [<key>...] | set <key=value>... | rm <key>...\n"
"  scale router=<n>             router workers in each router\n"
"  rolling-restart router\n"
"  create-admin <username> <email>  the first administrator, made in the controller's\n"
"                               container (password on stdin, or prompted); registrants\n"
"                               are never administrators unless\n"
"                               'config controller set firstUserAdmin=true' (Deis's rule)\n"
"  lb haproxy [--bind ADDR] [--http-port N] [--https-port N] [--ssh-port N] [--http]\n"
"                               an HAProxy configuration for the router mesh (stdout)\n"
"  supervise                    start again every component stopped but by 'deisctl stop'\n"
"                               (the supervisor component's command; one host only)\n"
"  backup <new directory>       the state, the database and the images (filesystem\n"
"                               store) to a directory, on the control-plane node\n"
"  restore <backup directory>   onto a node with no platform: state, data, install;\n"
"                               then 'deisctl start platform'\n"
"\n"
"Options:\n"
"  --state DIR     state directory [$DEISCTL_STATE] (" DEISCTL_STATE_DEFAULT ")\n"
"  --prefix NAME   container, network and volume name prefix [$DEISCTL_PREFIX] ("
    DEISCTL_PREFIX_DEFAULT ")\n"
"  --docker SOCK   Docker engine socket [$DOCKER_HOST=unix://SOCK] (" DOCKER_SOCK_DEFAULT ")\n"
"  -h, --help      this text;  --version  the version\n"
"\n"
"Platform settings (config platform set ...): domain (localhost), image\n"
"(" DEISCTL_IMAGE_DEFAULT "), httpPort (80), httpsPort (443), sshPort (2222),\n"
"builderPort (2223), controllerPort (8000), registryPort (5000), healthPort (unset),\n"
"mode (host; swarm: Swarm services on nodes labelled deis.controlPlane, deis.routerMesh,\n"
"deis.dataPlane, with syslogPort 514, loggerPort 8088, databasePort 5432, and\n"
"dockerSocket: the engine's socket on every node, default the --docker one).\n"
"Router settings (config router set ...): Deis's keys, e.g. bodySize=100m\n"
"enforceHTTPS=true sslCert=FILE sslKey=FILE; see docs/deisctl.md. Settings apply at\n"
"'deisctl restart <component>'.\n";

struct cmd {
	const char *name;
	int (*fn)(struct dctl *d, int argc, char **argv);
	bool docker;	/* main() checks the engine first; the others call dctl_ping() */
};

static const struct cmd cmds[] = {
	{ "install", dctl_cmd_install, true },
	{ "uninstall", dctl_cmd_uninstall, true },
	{ "start", dctl_cmd_start, true },
	{ "stop", dctl_cmd_stop, true },
	{ "restart", dctl_cmd_restart, true },
	{ "status", dctl_cmd_status, true },
	{ "list", dctl_cmd_list, true },
	{ "journal", dctl_cmd_journal, true },
	{ "config", dctl_cmd_config, false },
	{ "scale", dctl_cmd_scale, false },
	{ "rolling-restart", dctl_cmd_rolling_restart, false },
	{ "create-admin", dctl_cmd_create_admin, false },
	{ "lb", dctl_cmd_lb, false },
	{ "supervise", dctl_cmd_supervise, true },
	{ "backup", dctl_cmd_backup, true },
	{ "restore", dctl_cmd_restore, true },
};

int
dctl_ping(struct dctl *d)
{
	struct err e = { 0 };

	if (docker_ping(d->docker, &e) < 0) {
		fprintf(stderr, "deisctl: the Docker engine does not answer at '%s': %s\n",
		    docker_sock(d->docker), e.msg);
		return -1;
	}
	return 0;
}

static bool
prefix_valid(const char *p)
{
	size_t i, n = strlen(p);

	if (n == 0 || n > 32)
		return false;
	for (i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') ||
		    (i > 0 && p[i] == '-')))
			return false;
	return true;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "docker", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state = getenv("DEISCTL_STATE"), *prefix = getenv("DEISCTL_PREFIX");
	const char *sock = NULL;
	char abs[PATH_MAX];
	struct dctl d = { 0 };
	struct err e = { 0 };
	size_t i;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': state = optarg; break;
		case 'p': prefix = optarg; break;
		case 'D': sock = optarg; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': puts(DEISCTL_VERSION); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || !strcmp(argv[0], "help")) {
		fputs(usage_text, argc < 1 ? stderr : stdout);
		return argc < 1 ? 2 : 0;
	}
	if (!state || !*state)
		state = DEISCTL_STATE_DEFAULT;
	if (!prefix || !*prefix)
		prefix = DEISCTL_PREFIX_DEFAULT;
	if (!prefix_valid(prefix)) {
		fprintf(stderr, "deisctl: prefix '%s' is not [a-z0-9-]{1,32}\n", prefix);
		return 2;
	}
	if (state[0] != '/') {
		if (!realpath(".", abs) || strlen(abs) + strlen(state) + 2 > sizeof(abs)) {
			fprintf(stderr, "deisctl: cannot resolve '%s'\n", state);
			return 2;
		}
		d.state_dir = xasprintf("%s/%s", abs, state);
	} else {
		d.state_dir = xstrdup(state);
	}
	d.prefix = xstrdup(prefix);
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(cmds[i].name, argv[0]))
			break;
	if (i == ARRAY_SIZE(cmds)) {
		fprintf(stderr, "deisctl: '%s' is not a command; see 'deisctl help'\n", argv[0]);
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (dctl_state_load(&d, &e) < 0) {
		fprintf(stderr, "deisctl: %s\n", e.msg);
		return 1;
	}
	/* Components need the secrets; install creates them, other commands read them. */
	if (dctl_state_installed(&d) && dctl_state_secrets(&d, false, &e) < 0) {
		fprintf(stderr, "deisctl: %s\n", e.msg);
		return 1;
	}
	d.docker = docker_new(sock);
	if (cmds[i].docker && dctl_ping(&d) < 0)
		rc = 1;
	else
		rc = cmds[i].fn(&d, argc, argv);
	explicit_bzero(d.builder_key, sizeof(d.builder_key));
	explicit_bzero(d.internal_token, sizeof(d.internal_token));
	explicit_bzero(d.registry_password, sizeof(d.registry_password));
	explicit_bzero(d.logger_key, sizeof(d.logger_key));
	free(d.build_network);
	free(d.build_cgroup);
	docker_free(d.docker);
	json_decref(d.config);
	free(d.state_dir);
	free(d.prefix);
	curl_global_cleanup();
	return rc;
}
