/*
 * deis-controller: the Deis API 1.7 on SQLite or PostgreSQL, with the
 * scheduler. Foreground, logs to stderr; exit 100 on a configuration error,
 * 111 when something it needs is not there yet.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "controller/admin.h"
#include "controller/api.h"
#include "controller/controller.h"
#include "controller/db.h"
#include "controller/events.h"
#include "controller/jobs.h"
#include "controller/routes.h"
#include "controller/scheduler/scheduler.h"
#include "controller/secrets.h"
#include "controller/validate.h"
#include "lib/cidr.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/xalloc.h"

static void
usage(FILE *f)
{
	fputs("usage: deis-controller [options]\n"
	    "       deis-controller create-admin [--db URL] USERNAME EMAIL\n"
	    "                         (password on stdin, or in DEIS_ADMIN_PASSWORD)\n"
	    "       deis-controller has-admin [--db URL]   (exit 0: an administrator exists, 1: none)\n"
	    "options (each also from the environment variable in brackets):\n"
	    "  --listen ADDR          host:port or unix:/path (0.0.0.0:8000) [DEIS_LISTEN]\n"
	    "  --db URL               sqlite:///path or postgres://... [DEIS_DB_URL]\n"
	    "  --domain DOMAIN        platform domain; apps at <app>.DOMAIN (localhost) [DEIS_DOMAIN]\n"
	    "  --registry HOST:PORT   image registry (127.0.0.1:5000) [DEIS_REGISTRY]\n"
	    "  --logger-url URL       logger HTTP API, e.g. http://127.0.0.1:8088 [DEIS_LOGGER_URL]\n"
	    "  --logger-syslog H:P    logger syslog input for app events [DEIS_LOGGER_SYSLOG]\n"
	    "  --scheduler NAME       docker (default), swarm (a Swarm manager's engine) or none\n"
	    "                         [DEIS_SCHEDULER]\n"
	    "  --docker-socket PATH   [DOCKER_SOCKET]\n"
	    "  --registration-mode M  enabled|disabled|admin_only, stored [DEIS_REGISTRATION_MODE]\n"
	    "  --first-user-admin     Deis's rule: the first to register while no administrator\n"
	    "                         exists becomes one; off by default: the first is made with\n"
	    "                         create-admin [DEIS_FIRST_USER_ADMIN=true|false]\n"
	    "  --workers N            scheduler worker threads (8)\n"
	    "  --boot-timeout S       seconds new containers have to become healthy (60; Heroku's\n"
	    "                         boot limit) [DEIS_BOOT_TIMEOUT]\n"
	    "  --deny-net CIDR        refuse API clients from this IPv4 network (the apps') [DEIS_DENY_NET]\n"
	    "  --trusted-proxies CIDRS peers whose X-Forwarded-For names the client (the routers;\n"
	    "                         default none) [DEIS_TRUSTED_PROXIES]\n"
	    "  [DEIS_TOKEN_LIFETIME=seconds]  tokens expire that long after their login (0: never)\n"
	    "  [DEIS_QUOTA_APPS=n DEIS_QUOTA_CONTAINERS=n DEIS_QUOTA_MEMORY=512M]  what a user may\n"
	    "                         own, an app run, a container use (administrators: no limit)\n"
	    "  --hash-workers N       threads checking passwords (one per core); 8 waiting per\n"
	    "                         thread at most, more get 503 at once\n"
	    "  (DEIS_APP_SUBNETS: pool of the networks per app, a /24 each (swarm default 100.80.0.0/16);\n"
	    "   DEIS_APP_NETWORK: one network for every app, docker without DEIS_APP_SUBNETS\n"
	    "   (default bridge), refused by swarm;\n"
	    "   DEIS_PLATFORM: this platform's id in the containers' sh.deis.platform label;\n"
	    "   DEIS_SWARM_NODE_LABEL: swarm driver, apps only on nodes with this label =true)\n"
	    "secrets: DEIS_BUILDER_KEY / DEIS_BUILDER_KEY_FILE, DEIS_INTERNAL_TOKEN /\n"
	    "DEIS_INTERNAL_TOKEN_FILE; when absent, generated once and kept in the database.\n"
	    "DEIS_LOGGER_KEY: the logger's key, sent before app events (then never over UDP).\n", f);
}

static const char *
opt_env(const char *val, const char *env, const char *def)
{
	const char *v;

	if (val)
		return val;
	v = getenv(env);
	return v && *v ? v : def;
}

/*
 * "a.b.c.d/n[,e.f.g.h]" into network and mask, and the one address of it that
 * stays allowed (the network's gateway: the host), all in host order; 0 or -1.
 */
static int
parse_cidr(const char *s, uint32_t *net, uint32_t *mask, uint32_t *except)
{
	char ip[INET_ADDRSTRLEN], bitstr[4];
	const char *slash = strchr(s, '/'), *comma = strchr(s, ','), *errstr = NULL;
	struct in_addr in;
	long long bits;
	size_t bl;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(ip))
		return -1;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	bl = comma ? (size_t)(comma - slash - 1) : strlen(slash + 1);
	if (bl == 0 || bl >= sizeof(bitstr))
		return -1;
	memcpy(bitstr, slash + 1, bl);
	bitstr[bl] = '\0';
	bits = strtonum(bitstr, 1, 32, &errstr);
	if (errstr || inet_pton(AF_INET, ip, &in) != 1)
		return -1;
	*mask = bits == 32 ? 0xffffffffU : ~(0xffffffffU >> bits);
	*net = ntohl(in.s_addr) & *mask;
	*except = 0;
	if (comma) {
		if (inet_pton(AF_INET, comma + 1, &in) != 1)
			return -1;
		*except = ntohl(in.s_addr);
	}
	return 0;
}

/* DEIS_QUOTA_APPS, DEIS_QUOTA_CONTAINERS (numbers), DEIS_QUOTA_MEMORY (512M); unset: none. */
static void
quotas(struct ctl *ctl)
{
	const char *v, *errstr = NULL;

	if ((v = getenv("DEIS_QUOTA_APPS")) && *v &&
	    ((ctl->quota_apps = strtonum(v, 0, 1000000, &errstr)), errstr))
		die(100, "DEIS_QUOTA_APPS '%s' is not a number of apps: %s", v, errstr);
	if ((v = getenv("DEIS_QUOTA_CONTAINERS")) && *v &&
	    ((ctl->quota_containers = strtonum(v, 0, 1000000, &errstr)), errstr))
		die(100, "DEIS_QUOTA_CONTAINERS '%s' is not a number of containers: %s", v, errstr);
	if ((v = getenv("DEIS_QUOTA_MEMORY")) && *v &&
	    validate_memory(v, &ctl->quota_memory, &(struct err){ 0 }) < 0)
		die(100, "DEIS_QUOTA_MEMORY '%s': want <number><B|K|M|G>", v);
}

/* SIGTERM or SIGINT: the loop stops, and main() closes down. */
static void
signal_read(struct ev *ev, int fd, int mask, void *arg)
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	ev_stop(ev);
}

/* Block SIGTERM and SIGINT in every thread and read them on the loop's signalfd. */
static void
signals_init(struct ev *ev)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		die(111, "signalfd failed");
	ev_set(ev, fd, EV_READ, signal_read, NULL);
}

/* "--db URL" at argv[*i], else DEIS_DB_URL; NULL when neither. */
static const char *
sub_db_url(int argc, char **argv, int *i)
{
	const char *url = NULL;

	if (*i + 1 < argc && !strcmp(argv[*i], "--db")) {
		url = argv[*i + 1];
		*i += 2;
	}
	return opt_env(url, "DEIS_DB_URL", NULL);
}

/*
 * The first administrator, made on the controller's host: nothing on the
 * network can race it. The password comes from DEIS_ADMIN_PASSWORD (how
 * deisctl passes it through `docker exec`, which has no stdin here) or stdin.
 */
static int
cmd_create_admin(int argc, char **argv)
{
	const char *url, *envpw = getenv("DEIS_ADMIN_PASSWORD");
	char pw[1024];
	struct err e = { 0 };
	struct db *db;
	int i = 1;

	url = sub_db_url(argc, argv, &i);
	if (url == NULL || argc - i != 2) {
		usage(stderr);
		return 100;
	}
	if (envpw) {
		if (strlcpy(pw, envpw, sizeof(pw)) >= sizeof(pw)) {
			fprintf(stderr, "create-admin: the password is too long\n");
			return 100;
		}
		explicit_bzero((char *)envpw, strlen(envpw));
		unsetenv("DEIS_ADMIN_PASSWORD");
	} else if (fgets(pw, sizeof(pw), stdin) == NULL) {
		fprintf(stderr, "create-admin: no password on stdin\n");
		return 100;
	}
	pw[strcspn(pw, "\r\n")] = '\0';
	db = db_open(url, &e);
	if (db == NULL) {
		explicit_bzero(pw, sizeof(pw));
		fprintf(stderr, "create-admin: %s\n", e.msg);
		return 111;
	}
	if (admin_create(db, argv[i], argv[i + 1], pw, &e) < 0) {
		explicit_bzero(pw, sizeof(pw));
		fprintf(stderr, "create-admin: %s\n", e.msg);
		db_close(db);
		return 1;
	}
	explicit_bzero(pw, sizeof(pw));
	db_close(db);
	printf("created administrator %s\n", argv[i]);
	return 0;
}

/* Exit 0 when an administrator exists, 1 when none, 111 when the database cannot say. */
static int
cmd_has_admin(int argc, char **argv)
{
	const char *url;
	struct err e = { 0 };
	struct db *db;
	int i = 1, n;

	url = sub_db_url(argc, argv, &i);
	if (url == NULL || argc != i) {
		usage(stderr);
		return 100;
	}
	db = db_open(url, &e);
	if (db == NULL) {
		fprintf(stderr, "has-admin: %s\n", e.msg);
		return 111;
	}
	n = admin_count(db, &e);
	db_close(db);
	if (n < 0) {
		fprintf(stderr, "has-admin: %s\n", e.msg);
		return 111;
	}
	printf("%d administrator%s\n", n, n == 1 ? "" : "s");
	return n > 0 ? 0 : 1;
}

/* "true"/"false" and their usual spellings; -1 otherwise. */
static int
parse_bool(const char *v)
{
	static const char *const yes[] = { "true", "1", "yes", "on" };
	static const char *const no[] = { "false", "0", "no", "off", "" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++)
		if (!strcasecmp(v, yes[i]))
			return 1;
	for (i = 0; i < ARRAY_SIZE(no); i++)
		if (!strcasecmp(v, no[i]))
			return 0;
	return -1;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "db", required_argument, NULL, 'd' },
		{ "domain", required_argument, NULL, 'D' },
		{ "registry", required_argument, NULL, 'r' },
		{ "logger-url", required_argument, NULL, 'L' },
		{ "logger-syslog", required_argument, NULL, 'S' },
		{ "scheduler", required_argument, NULL, 's' },
		{ "docker-socket", required_argument, NULL, 'k' },
		{ "registration-mode", required_argument, NULL, 'm' },
		{ "first-user-admin", no_argument, NULL, 'F' },
		{ "workers", required_argument, NULL, 'w' },
		{ "boot-timeout", required_argument, NULL, 'b' },
		{ "deny-net", required_argument, NULL, 'N' },
		{ "trusted-proxies", required_argument, NULL, 'T' },
		{ "hash-workers", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen_addr = NULL, *dbu = NULL, *domain = NULL, *registry = NULL;
	const char *logger = NULL, *syslog_addr = NULL, *sched_name = NULL, *sock = NULL;
	const char *regmode = NULL, *errstr = NULL, *deny = NULL, *subnets, *peers[16] = { NULL };
	const char *trusted = NULL, *first_admin = NULL;
	char *peers_text = NULL;
	uint32_t except;
	struct ctl ctl = { 0 };
	struct err e = { 0 };
	int c, port = 0, workers = 8, boot_timeout = 0, hash_workers = 0;

	log_init("deis-controller");
	/*
	 * Fixed thresholds turn off glibc's dynamic ones, which after a burst of
	 * large responses keep freed memory forever (idle RSS 33 MB instead of 14).
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 64 * 1024);
	if (argc > 1 && !strcmp(argv[1], "create-admin"))
		return cmd_create_admin(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "has-admin"))
		return cmd_has_admin(argc - 1, argv + 1);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': listen_addr = optarg; break;
		case 'd': dbu = optarg; break;
		case 'D': domain = optarg; break;
		case 'r': registry = optarg; break;
		case 'L': logger = optarg; break;
		case 'S': syslog_addr = optarg; break;
		case 's': sched_name = optarg; break;
		case 'k': sock = optarg; break;
		case 'm': regmode = optarg; break;
		case 'F': first_admin = "true"; break;
		case 'w':
			workers = (int)strtonum(optarg, 1, 64, &errstr);
			if (errstr)
				die(100, "--workers '%s' is %s", optarg, errstr);
			break;
		case 'b':
			boot_timeout = (int)strtonum(optarg, 1, 3600, &errstr);
			if (errstr)
				die(100, "--boot-timeout '%s' is %s", optarg, errstr);
			break;
		case 'N': deny = optarg; break;
		case 'T': trusted = optarg; break;
		case 'H':
			hash_workers = (int)strtonum(optarg, 1, 64, &errstr);
			if (errstr)
				die(100, "--hash-workers '%s' is %s", optarg, errstr);
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 100;
		}
	}
	listen_addr = opt_env(listen_addr, "DEIS_LISTEN", "0.0.0.0:8000");
	ctl.db_url = xstrdup(opt_env(dbu, "DEIS_DB_URL", "sqlite:///var/lib/deis/controller.db"));
	ctl.domain = xstrdup(opt_env(domain, "DEIS_DOMAIN", "localhost"));
	ctl.registry = xstrdup(opt_env(registry, "DEIS_REGISTRY", "127.0.0.1:5000"));
	logger = opt_env(logger, "DEIS_LOGGER_URL", NULL);
	ctl.logger_url = logger ? xstrdup(logger) : NULL;
	syslog_addr = opt_env(syslog_addr, "DEIS_LOGGER_SYSLOG", NULL);
	ctl.logger_syslog = syslog_addr ? xstrdup(syslog_addr) : NULL;
	ctl.logger_key = getenv("DEIS_LOGGER_KEY") && *getenv("DEIS_LOGGER_KEY") ?
	    xstrdup(getenv("DEIS_LOGGER_KEY")) : NULL;
	sched_name = opt_env(sched_name, "DEIS_SCHEDULER", "docker");
	sock = opt_env(sock, "DOCKER_SOCKET", NULL);
	regmode = opt_env(regmode, "DEIS_REGISTRATION_MODE", NULL);
	first_admin = opt_env(first_admin, "DEIS_FIRST_USER_ADMIN", "false");
	if (parse_bool(first_admin) < 0)
		die(100, "DEIS_FIRST_USER_ADMIN '%s' is not true or false", first_admin);
	ctl.first_user_admin = parse_bool(first_admin) == 1;

	deny = opt_env(deny, "DEIS_DENY_NET", NULL);
	if (deny && parse_cidr(deny, &ctl.deny_net, &ctl.deny_mask, &ctl.deny_except) < 0)
		die(100, "--deny-net '%s' is not an IPv4 network like 172.17.0.0/16[,172.17.0.1]",
		    deny);
	{
		const char *lt = getenv("DEIS_TOKEN_LIFETIME");

		if (lt && *lt) {
			ctl.token_lifetime = strtonum(lt, 0, 10LL * 366 * 86400, &errstr);
			if (errstr)
				die(100, "DEIS_TOKEN_LIFETIME '%s' is not a number of seconds: %s", lt,
				    errstr);
		}
	}
	quotas(&ctl);
	if (boot_timeout == 0 && getenv("DEIS_BOOT_TIMEOUT") && *getenv("DEIS_BOOT_TIMEOUT")) {
		boot_timeout = (int)strtonum(getenv("DEIS_BOOT_TIMEOUT"), 1, 3600, &errstr);
		if (errstr)
			die(100, "DEIS_BOOT_TIMEOUT '%s' is %s", getenv("DEIS_BOOT_TIMEOUT"), errstr);
	}
	trusted = opt_env(trusted, "DEIS_TRUSTED_PROXIES", "");
	ctl.trusted = cidr_list_parse(trusted, false, &ctl.ntrusted, &e);
	if (ctl.trusted == NULL)
		die(100, "--trusted-proxies: %s", e.msg);
	signal(SIGPIPE, SIG_IGN);
	ctl.db = db_open(ctl.db_url, &e);
	if (ctl.db == NULL)
		die(111, "cannot open database: %s", e.msg);
	secrets_load(&ctl);
	if (regmode) {
		char now[DB_TIME_LEN];

		if (strcmp(regmode, "enabled") && strcmp(regmode, "disabled") &&
		    strcmp(regmode, "admin_only"))
			die(100, "registration mode '%s' is not enabled, disabled or admin_only", regmode);
		db_now(now);
		if (db_execp(ctl.db, &e, "INSERT INTO settings (key, value, updated) VALUES "
		    "('registrationMode', $1, $2) ON CONFLICT (key) DO UPDATE SET value = $1, "
		    "updated = $2", regmode, now) < 0)
			die(111, "cannot store registration mode: %s", e.msg);
	}
	{
		int nadmins = admin_count(ctl.db, &e);

		if (nadmins < 0)
			die(111, "cannot count administrators: %s", e.msg);
		if (nadmins == 0 && ctl.first_user_admin)
			log_info("no administrator yet: the first user to register becomes one "
			    "(--first-user-admin)");
		else if (nadmins == 0)
			log_info("no administrator yet: make the first one on this host with "
			    "'deis-controller create-admin' (deisctl create-admin); registrants "
			    "are ordinary users");
	}

	ctl.ev = ev_new(20000);
	/* Before any thread starts, so signals reach the loop's signalfd only. */
	signals_init(ctl.ev);
	/* Networks per app: their pool is refused the API as the apps' network is. */
	subnets = getenv("DEIS_APP_SUBNETS");
	if (subnets && *subnets && parse_cidr(subnets, &ctl.apps_net, &ctl.apps_mask, &except) < 0)
		die(100, "DEIS_APP_SUBNETS '%s' is not an IPv4 network like 100.80.0.0/16", subnets);
	if (subnets && *subnets && getenv("DEIS_APP_PEERS")) {
		char *tok, *save = NULL;
		size_t n = 0;

		peers_text = xstrdup(getenv("DEIS_APP_PEERS"));
		for (tok = strtok_r(peers_text, ",", &save); tok && n < ARRAY_SIZE(peers) - 1;
		    tok = strtok_r(NULL, ",", &save))
			peers[n++] = tok;
	}
	if (hash_workers == 0) {
		/* password hashing: one worker per core */
		long cores = sysconf(_SC_NPROCESSORS_ONLN);

		hash_workers = cores < 1 ? 1 : cores > 64 ? 64 : (int)cores;
	}
	/*
	 * ... and a queue of a few rounds per worker: beyond it, 503 at once. Made
	 * before the scheduler starts: its state callbacks hand work to the loop.
	 */
	ctl.jobs = jobs_new(&ctl, workers, hash_workers, hash_workers * 8);
	if (strcmp(sched_name, "none") != 0) {
		const char *mem = getenv("DEIS_APP_MEMORY");
		long long app_memory = 0;
		struct sched_config sc = { .driver = sched_name, .docker_sock = sock,
			.boot_timeout_ms = (unsigned)boot_timeout * 1000,
			.network = getenv("DEIS_APP_NETWORK"),
			.platform = getenv("DEIS_PLATFORM"), .registry = ctl.registry,
			.registry_user = getenv("DEIS_REGISTRY_USER"),
			.registry_password = getenv("DEIS_REGISTRY_PASSWORD"),
			.app_subnets = subnets, .app_peers = peers,
			.node_label = getenv("DEIS_SWARM_NODE_LABEL") };

		if (mem && *mem && sched_memory_parse(mem, &app_memory) < 0)
			die(100, "DEIS_APP_MEMORY '%s': want <number><B|K|M|G>", mem);
		/* a container without a limit of its own gets the default, within the quota */
		if (ctl.quota_memory && (app_memory == 0 ? SCHED_APP_MEMORY_DEFAULT : app_memory) >
		    ctl.quota_memory)
			app_memory = ctl.quota_memory;
		sc.app_memory = app_memory;

		ctl.sched = sched_new(&sc, &e);
		if (ctl.sched == NULL)
			die(100, "scheduler: %s", e.msg);
		sched_on_state(ctl.sched, event_container_state, &ctl);
		sched_on_switch(ctl.sched, routes_switch, &ctl);
		if (scheduled_load(&ctl, &e) < 0)
			die(111, "cannot read what the scheduler created: %s", e.msg);
		if (sched_start(ctl.sched, &e) < 0)
			die(111, "scheduler: %s", e.msg);
		if (scheduled_settle(&ctl, &e) < 0)
			die(111, "cannot record what the scheduler created: %s", e.msg);
	}
	reconcile_start(&ctl);
	heal_start(&ctl);
	ctl.httpd = httpd_new(ctl.ev, api_handle, &ctl, NULL);
	if (httpd_listen(ctl.httpd, listen_addr, &port, &e) < 0)
		die(111, "%s", e.msg);
	log_info("listening on %s (port %d), database %s, scheduler %s", listen_addr, port,
	    db_kind(ctl.db) == DB_SQLITE ? "sqlite" : "postgres", sched_name);
	ev_run(ctl.ev);
	log_info("stopping");
	httpd_free(ctl.httpd);
	if (ctl.sched)
		sched_free(ctl.sched);
	db_close(ctl.db);
	free(peers_text);
	return 0;
}
