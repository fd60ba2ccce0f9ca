/*
 * deis-router: flags, the parent process (supervises the workers, follows the
 * controller's route stream) and the worker loop.
 *
 *   deis-router [--listen ADDR]... [--health-listen ADDR] [--tcp-listen ADDR]
 *               [--routes FILE] [--controller URL] [--workers N] [--body-size N]
 *               [--connect-timeout T] [--first-byte-timeout T] [--idle-timeout T]
 *               [--header-timeout T] [--keepalive-timeout T] [--watch-timeout T] [--max-conns N]
 *               [--tls-listen ADDR --tls-cert FILE --tls-key FILE] [--hsts SECONDS]
 *               [--enforce-https] [--balance round-robin|least-conn]
 *               [--body-min-rate BYTES_PER_S] [--pool-size N]
 *               [--access-log stdout|off|FILE] [--no-access-log]
 *               [--gzip on|off] [--gzip-level N] [--gzip-min-length N] [--gzip-types L]
 *               [--gzip-disable msie6|REGEX|""] [--gzip-http-version 1.0|1.1]
 *               [--gzip-proxied any|off] [--gzip-vary on|off]
 *               [--proxy-protocol] [--real-ip-from CIDR[,CIDR...]] [--affinity-arg NAME]
 *               [--status on|off] [--hsts-include-subdomains] [--hsts-preload]
 *               [--controller-whitelist IP_OR_CIDR[:LABEL],...] [--enforce-whitelist]
 *
 * T is seconds, or milliseconds with an "ms" suffix. Exit 100: bad flags or a
 * listener that cannot be bound; 111: a temporary failure.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/ev.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "router/gzip.h"
#include "router/router.h"
#include "router/watch.h"

#define MAX_WORKERS 256
#define DRAIN_MS 10000

struct router_conf conf = {
	.body_max = 1024 * 1024,	/* Deis: bodySize 1m */
	.connect_ms = 5000,
	.first_byte_ms = 30000,
	.idle_ms = 55000,
	/* Deis: controller/timeout/{connect 10s, send and read 20m}; builder connect 10 s, tcp 1200 s */
	.ctl_connect_ms = 10000,
	.ctl_read_ms = 1200000,
	.ctl_send_ms = 1200000,
	.builder_connect_ms = 10000,
	.builder_tcp_ms = 1200000,
	.header_ms = 10000,
	.keepalive_ms = 55000,
	.watch_ms = 45000,	/* three of the controller's 15 s keep-alive lines */
	.quarantine_ms = 5000,
	.max_conns = 16384,
	.pool_max = 256,	/* per backend per worker: covers --max-conns bursts without reconnects */
	.access_log = "stdout",
	.access_log_max_size = 10 * 1024 * 1024,	/* Docker's json-file: 2 files of 10 MB */
	.access_log_max_files = 2,
	.body_min_rate = 1000,	/* security.md §1.7 */
};
struct worker W;

static pid_t workers[MAX_WORKERS];
static pthread_mutex_t workers_lock = PTHREAD_MUTEX_INITIALIZER;

static void
usage(void)
{
	fprintf(stderr, "usage: deis-router [--listen ADDR]... [--health-listen ADDR] "
	    "[--tcp-listen ADDR] [--routes FILE] [--controller URL] [--workers N] "
	    "[--body-size N[k|m|g]] [--connect-timeout T] [--first-byte-timeout T] "
	    "[--idle-timeout T] [--header-timeout T] [--keepalive-timeout T] [--watch-timeout T] "
	    "[--controller-connect-timeout T] [--controller-read-timeout T] "
	    "[--controller-send-timeout T] [--builder-connect-timeout T] [--builder-tcp-timeout T] "
	    "[--max-conns N] [--tls-listen ADDR] [--tls-cert FILE --tls-key FILE] "
	    "[--hsts SECONDS] [--enforce-https] [--balance round-robin|least-conn] "
	    "[--body-min-rate BYTES_PER_S] [--pool-size N] "
	    "[--gzip on|off] [--gzip-level 1..9] [--gzip-min-length N] [--gzip-types 'T ...'] "
	    "[--gzip-disable msie6|REGEX|''] [--gzip-http-version 1.0|1.1] "
	    "[--gzip-proxied any|off] [--gzip-vary on|off] "
	    "[--proxy-protocol] [--real-ip-from CIDR[,CIDR...]] [--affinity-arg NAME] [--status on|off] "
	    "[--hsts-include-subdomains] [--hsts-preload] [--controller-whitelist 'IP[:LABEL],...'] "
	    "[--enforce-whitelist] "
	    "[--access-log stdout|off|FILE] [--no-access-log] [--access-log-max-size N[k|m|g]] "
	    "[--access-log-max-files 2..100]\n");
	exit(100);
}

static unsigned
parse_time(const char *s)
{
	const char *errstr = NULL;
	size_t n = strlen(s);
	char tmp[32];
	long long v;

	if (n > 2 && strcmp(s + n - 2, "ms") == 0) {
		if (n - 2 >= sizeof(tmp))
			die(100, "bad duration '%s'", s);
		memcpy(tmp, s, n - 2);
		tmp[n - 2] = '\0';
		v = strtonum(tmp, 1, 86400000, &errstr);
	} else if (n > 1 && strchr("smh", s[n - 1])) {
		/* nginx's 10s, 20m, 1h (Deis's timeout settings) */
		long long mult = s[n - 1] == 's' ? 1000 : s[n - 1] == 'm' ? 60000 : 3600000;

		if (n - 1 >= sizeof(tmp))
			die(100, "bad duration '%s'", s);
		memcpy(tmp, s, n - 1);
		tmp[n - 1] = '\0';
		v = strtonum(tmp, 1, 86400000 / mult, &errstr) * mult;
	} else {
		v = strtonum(s, 1, 86400, &errstr) * 1000;
	}
	if (errstr)
		die(100, "bad duration '%s': %s", s, errstr);
	return (unsigned)v;
}

static uint64_t
parse_size(const char *s)
{
	const char *errstr = NULL;
	char tmp[32];
	size_t n = strlen(s);
	uint64_t mult = 1;

	if (n == 0 || n >= sizeof(tmp))
		die(100, "bad size '%s'", s);
	memcpy(tmp, s, n + 1);
	switch (tmp[n - 1]) {
	case 'k': case 'K': mult = 1024; tmp[n - 1] = '\0'; break;
	case 'm': case 'M': mult = 1024 * 1024; tmp[n - 1] = '\0'; break;
	case 'g': case 'G': mult = 1024 * 1024 * 1024; tmp[n - 1] = '\0'; break;
	}
	n = (size_t)strtonum(tmp, 0, 1LL << 40, &errstr);
	if (errstr)
		die(100, "bad size '%s': %s", s, errstr);
	return n * mult;
}

/*
 * "CIDR[,CIDR...]" (spaces around entries allowed) for flag; labels (Deis's "ip:label") only
 * where labels is set. An empty list gives *n = 0.
 */
static struct cidr *
parse_cidr_list(const char *flag, const char *v, bool labels, size_t *n)
{
	struct err e = { 0 };
	struct cidr *list = cidr_list_parse(v, labels, n, &e);

	if (list == NULL)
		die(100, "bad value for %s: %s", flag, e.msg);
	return list;
}

/* "" trusts nobody. */
static void
parse_real_ip_from(const char *v)
{
	free(conf.real_ip_from);
	conf.real_ip_from = parse_cidr_list("--real-ip-from", v, false, &conf.nreal_ip_from);
}

static void
add_listen(enum listener_kind kind, const char *addr)
{
	if (conf.nlisten == (int)ARRAY_SIZE(conf.listen))
		die(100, "too many listeners");
	if (strlcpy(conf.listen[conf.nlisten].addr, addr, sizeof(conf.listen[0].addr)) >=
	    sizeof(conf.listen[0].addr))
		die(100, "listen address too long: '%s'", addr);
	conf.listen[conf.nlisten++].kind = kind;
}

static void
parse_args(int argc, char **argv)
{
	const char *errstr = NULL;
	char why[200];
	int i, r;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--no-access-log") == 0) {
			conf.access_log = "off";
			continue;
		}
		if (strcmp(a, "--access-log") == 0 && v) {
			conf.access_log = v;
			i++;
			continue;
		}
		if (strcmp(a, "--enforce-https") == 0) {
			conf.enforce_https = true;
			continue;
		}
		if (strcmp(a, "--status") == 0 && v && (strcmp(v, "on") == 0 || strcmp(v, "off") == 0)) {
			conf.status = strcmp(v, "on") == 0;
			i++;
			continue;
		}
		if (strcmp(a, "--status") == 0)
			die(100, "bad value for --status: '%s': expected on or off", v ? v : "");
		if (strcmp(a, "--hsts-include-subdomains") == 0) {
			conf.hsts_subdomains = true;
			continue;
		}
		if (strcmp(a, "--hsts-preload") == 0) {
			conf.hsts_preload = true;
			continue;
		}
		if (strcmp(a, "--enforce-whitelist") == 0) {
			conf.enforce_whitelist = true;
			continue;
		}
		if (strcmp(a, "--proxy-protocol") == 0) {
			conf.proxy_protocol = true;
			continue;
		}
		if (strcmp(a, "--help") == 0 || v == NULL)
			usage();
		i++;
		if (strcmp(a, "--listen") == 0)
			add_listen(LISTEN_HTTP, v);
		else if (strcmp(a, "--health-listen") == 0)
			add_listen(LISTEN_HEALTH, v);
		else if (strcmp(a, "--tcp-listen") == 0)
			add_listen(LISTEN_TCP, v);
		else if (strcmp(a, "--tls-listen") == 0)
			add_listen(LISTEN_HTTPS, v);
		else if (strcmp(a, "--tls-cert") == 0)
			conf.tls_cert = v;
		else if (strcmp(a, "--tls-key") == 0)
			conf.tls_key = v;
		else if (strcmp(a, "--balance") == 0 && strcmp(v, "least-conn") == 0)
			conf.least_conn = true;
		else if (strcmp(a, "--balance") == 0 && strcmp(v, "round-robin") == 0)
			conf.least_conn = false;
		else if (strcmp(a, "--pool-size") == 0)
			conf.pool_max = (int)strtonum(v, 0, 100000, &errstr);
		else if (strcmp(a, "--body-min-rate") == 0)
			conf.body_min_rate = (unsigned)strtonum(v, 0, 1000000000, &errstr);
		else if (strcmp(a, "--hsts") == 0)
			conf.hsts_max_age = (unsigned)strtonum(v, 0, 1000000000, &errstr);
		else if (strcmp(a, "--affinity-arg") == 0) {
			if (*v == '\0' || v[strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_-")] != '\0' || strlen(v) > 64)
				die(100, "bad value for --affinity-arg: '%s': not a query argument name", v);
			conf.affinity_arg = v;
		} else if (strcmp(a, "--controller-whitelist") == 0) {
			free(conf.controller_allow);
			conf.controller_allow = parse_cidr_list(a, v, true, &conf.ncontroller_allow);
			conf.controller_restricted = conf.ncontroller_allow > 0;
		} else if (strcmp(a, "--real-ip-from") == 0)
			parse_real_ip_from(v);
		else if (strcmp(a, "--routes") == 0)
			conf.routes_file = v;
		else if (strcmp(a, "--controller") == 0)
			conf.controller_url = v;
		else if (strcmp(a, "--workers") == 0)
			conf.workers = (int)strtonum(v, 0, MAX_WORKERS, &errstr);
		else if (strcmp(a, "--max-conns") == 0)
			conf.max_conns = (int)strtonum(v, 1, 1000000, &errstr);
		else if (strcmp(a, "--body-size") == 0)
			conf.body_max = parse_size(v);
		else if (strcmp(a, "--access-log-max-size") == 0)
			conf.access_log_max_size = parse_size(v);
		else if (strcmp(a, "--access-log-max-files") == 0)
			conf.access_log_max_files = (int)strtonum(v, 2, LOGFILE_MAX_FILES, &errstr);
		else if (strcmp(a, "--connect-timeout") == 0)
			conf.connect_ms = parse_time(v);
		else if (strcmp(a, "--first-byte-timeout") == 0)
			conf.first_byte_ms = parse_time(v);
		else if (strcmp(a, "--idle-timeout") == 0)
			conf.idle_ms = parse_time(v);
		else if (strcmp(a, "--controller-connect-timeout") == 0)
			conf.ctl_connect_ms = parse_time(v);
		else if (strcmp(a, "--controller-read-timeout") == 0)
			conf.ctl_read_ms = parse_time(v);
		else if (strcmp(a, "--controller-send-timeout") == 0)
			conf.ctl_send_ms = parse_time(v);
		else if (strcmp(a, "--builder-connect-timeout") == 0)
			conf.builder_connect_ms = parse_time(v);
		else if (strcmp(a, "--builder-tcp-timeout") == 0)
			conf.builder_tcp_ms = parse_time(v);
		else if (strcmp(a, "--header-timeout") == 0)
			conf.header_ms = parse_time(v);
		else if (strcmp(a, "--keepalive-timeout") == 0)
			conf.keepalive_ms = parse_time(v);
		else if (strcmp(a, "--watch-timeout") == 0)
			conf.watch_ms = parse_time(v);
		else if ((r = gzip_conf_set(a, v, why, sizeof(why))) < 0)
			die(100, "bad value for %s: '%s': %s", a, v, why);
		else if (r == 0)
			usage();
		if (errstr)
			die(100, "bad value for %s: '%s': %s", a, v, errstr);
	}
	gzip_conf_finish();
	/* Deis trusted 10.0.0.0/8 (proxyRealIpCidr): any host there could claim any address */
	if (conf.real_ip_from == NULL)
		parse_real_ip_from("");
	if (conf.nlisten == 0)
		add_listen(LISTEN_HTTP, "0.0.0.0:80");
	if (conf.workers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		conf.workers = n > 0 ? (int)(n > MAX_WORKERS ? MAX_WORKERS : n) : 1;
	}
	if (!conf.tls_cert != !conf.tls_key)
		die(100, "--tls-cert and --tls-key go together");
	if (conf.controller_url && conf.routes_file == NULL)
		die(100, "--controller needs --routes FILE for the snapshot");
}

static void
load_token(void)
{
	const char *t = getenv("DEIS_INTERNAL_TOKEN"), *f = getenv("DEIS_INTERNAL_TOKEN_FILE");
	char b[512];
	FILE *fp;

	if (t) {
		conf.internal_token = xstrdup(t);
		return;
	}
	if (f == NULL)
		return;
	fp = fopen(f, "re");
	if (fp == NULL)
		die(100, "cannot open '%s': %s", f, strerror(errno));
	if (fgets(b, sizeof(b), fp) == NULL)
		die(100, "cannot read '%s'", f);
	fclose(fp);
	b[strcspn(b, "\r\n")] = '\0';
	conf.internal_token = xstrdup(b);
	explicit_bzero(b, sizeof(b));
}

/* Bind "host:port" with SO_REUSEPORT and listen. Returns fd or -1 (errno set). */
static int
bind_addr(const char *addr)
{
	char host[128];
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints = { 0 }, *res = NULL;
	size_t hl;
	int fd, one = 1;

	if (colon == NULL)
		return -1;
	hl = (size_t)(colon - addr);
	if (addr[0] == '[' && hl >= 2 && colon[-1] == ']') {
		addr++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(hl ? host : NULL, colon + 1, &hints, &res) != 0 || res == NULL)
		return -1;
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		freeaddrinfo(res);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 4096) < 0) {
		int saved = errno;

		close(fd);
		freeaddrinfo(res);
		errno = saved;
		return -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* The port a listening socket is bound to (the kernel's choice for port 0). */
static int
listen_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return 0;
	return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
}

/* ---- worker ---- */

static int sigfd = -1;
static struct listener *listeners[ARRAY_SIZE(conf.listen)];
static int listener_fds[ARRAY_SIZE(conf.listen)];
/*
 * The listening sockets, one per worker slot and address (SO_REUSEPORT: the
 * kernel spreads connections over the slots), made and held by the parent:
 * what the kernel queued on a slot whose worker dies waits for the worker
 * that replaces it instead of being reset. Each worker closes the others'.
 */
static int slot_fds[MAX_WORKERS][ARRAY_SIZE(conf.listen)];

static void
worker_reload(void)
{
	struct route_table *t;
	char why[300] = "";

	if (conf.routes_file == NULL)
		return;
	t = routes_load(conf.routes_file, why, sizeof(why));
	if (t == NULL) {
		log_warn("worker %d: keeping the current routes: %s", W.id, why);
		return;
	}
	routes_unref(W.table);
	W.table = t;
	log_debug("worker %d: route table version %lld", W.id, (long long)t->version);
}

static void
worker_tick(struct ev *ev, void *arg)
{
	uint64_t now = ev_now_ms();
	static uint64_t drain_until;

	conn_sweep(now);
	upstream_sweep(now);
	if (W.draining) {
		if (drain_until == 0)
			drain_until = now + DRAIN_MS;
		conn_drain();
		if (W.nclients == 0 || now > drain_until) {
			ev_stop(ev);
			return;
		}
	}
	ev_timer(ev, 250, worker_tick, NULL);
}

static void
worker_before_sleep(struct ev *ev, void *arg)
{
	conn_reap();
	upstream_reap();
	accesslog_flush();
}

static void
worker_signal(struct ev *ev, int fd, int mask, void *arg)
{
	struct signalfd_siginfo si;
	int i;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			worker_reload();
		} else if (!W.draining) {
			W.draining = true;
			for (i = 0; i < conf.nlisten; i++) {
				ev_set(ev, listener_fds[i], 0, NULL, NULL);
				close(listener_fds[i]);
			}
			conn_drain();
		}
	}
}

static void
worker_main(int id)
{
	struct rlimit rl;
	sigset_t set;
	char why[300] = "";
	int i, j, maxfds = 65536;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	W.id = id;
	stats_worker_start(id);
	TAILQ_INIT(&W.clients);
	TAILQ_INIT(&W.dead_clients);
	upstream_init();
	if (getrandom(&W.rng, sizeof(W.rng), 0) != sizeof(W.rng))
		W.rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		maxfds = (int)rl.rlim_cur;
	W.ev = ev_new(maxfds);

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sigfd < 0 || ev_set(W.ev, sigfd, EV_READ, worker_signal, NULL) < 0)
		die(111, "signalfd: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	if (accesslog_open(conf.access_log, conf.access_log_max_size, conf.access_log_max_files) < 0)
		die(111, "cannot open '%s': %s", conf.access_log, strerror(errno));

	for (i = 0; i < conf.nlisten; i++)
		if (conf.listen[i].kind == LISTEN_HTTPS) {
			if (tls_init() < 0)
				die(100, "cannot set up TLS");
			break;
		}
	if (conf.routes_file) {
		W.table = routes_load(conf.routes_file, why, sizeof(why));
		if (W.table == NULL && id == 0)
			log_warn("no routes yet: %s", why);
	}
	for (j = 0; j < conf.workers; j++)
		for (i = 0; j != id && i < conf.nlisten; i++)
			close(slot_fds[j][i]);
	for (i = 0; i < conf.nlisten; i++) {
		int port = 0, fd = slot_fds[id][i];

		port = listen_port(fd);
		listener_fds[i] = fd;
		listeners[i] = conn_listener_new(fd, conf.listen[i].kind, port);
		if (ev_set(W.ev, fd, EV_READ, conn_accept, listeners[i]) < 0)
			die(111, "cannot watch '%s': %s", conf.listen[i].addr, strerror(errno));
	}
	ev_before_sleep(W.ev, worker_before_sleep, NULL);
	ev_timer(W.ev, 250, worker_tick, NULL);
	ev_run(W.ev);
	worker_before_sleep(W.ev, NULL);
	exit(0);
}

/* ---- parent ---- */

static pid_t
spawn(int id)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_error("cannot fork a worker: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		worker_main(id);
	return pid;
}

static void
signal_workers(int sig)
{
	int i;

	pthread_mutex_lock(&workers_lock);
	for (i = 0; i < conf.workers; i++)
		if (workers[i] > 0)
			kill(workers[i], sig);
	pthread_mutex_unlock(&workers_lock);
}

static void
notify_workers(void)
{
	signal_workers(SIGHUP);
}

int
main(int argc, char **argv)
{
	struct rlimit rl;
	sigset_t set;
	time_t started[MAX_WORKERS];
	int i, j;

	log_init("deis-router");
	parse_args(argc, argv);
	load_token();
	/* checked here; each worker opens its own description (rotation reopens it) */
	if (accesslog_open(conf.access_log, conf.access_log_max_size, conf.access_log_max_files) < 0)
		die(100, "cannot open '%s': %s", conf.access_log, strerror(errno));
	accesslog_close();
	if (conf.controller_url) {
		/* the snapshot's directory, so the first table from the stream can be kept */
		char *dir = xstrdup(conf.routes_file), *slash = strrchr(dir, '/');

		if (slash && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0755) < 0 && errno != EEXIST)
				log_warn("cannot create '%s': %s", dir, strerror(errno));
		}
		free(dir);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max > 1048576 ? 1048576 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (j = 0; j < conf.workers; j++) {
		for (i = 0; i < conf.nlisten; i++) {
			char *colon = strrchr(conf.listen[i].addr, ':');

			if ((slot_fds[j][i] = bind_addr(conf.listen[i].addr)) < 0)
				die(j == 0 ? 100 : 111, "cannot bind '%s': %s", conf.listen[i].addr,
				    strerror(errno));
			/* port 0: every slot on the port the kernel gave the first */
			if (j == 0 && colon && strcmp(colon + 1, "0") == 0)
				snprintf(colon + 1, sizeof(conf.listen[i].addr) -
				    (size_t)(colon + 1 - conf.listen[i].addr), "%d",
				    listen_port(slot_fds[0][i]));
		}
	}

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);

	if (conf.status && stats_init(conf.workers) < 0)
		die(111, "cannot map the status counters: %s", strerror(errno));
	pthread_mutex_lock(&workers_lock);
	for (i = 0; i < conf.workers; i++) {
		workers[i] = spawn(i);
		started[i] = time(NULL);
	}
	pthread_mutex_unlock(&workers_lock);
	log_info("listening with %d workers%s%s", conf.workers,
	    conf.controller_url ? ", routes from " : "",
	    conf.controller_url ? conf.controller_url : "");
	if (conf.controller_url && watch_start(conf.controller_url, notify_workers) < 0)
		die(111, "cannot start the route watch");

	for (;;) {
		struct timespec ts = { 1, 0 };
		int sig = sigtimedwait(&set, NULL, &ts), status;
		pid_t pid;

		if (sig == SIGTERM || sig == SIGINT) {
			time_t deadline = time(NULL) + DRAIN_MS / 1000 + 5;

			/* no new connection is queued once the draining workers close theirs */
			for (j = 0; j < conf.workers; j++)
				for (i = 0; i < conf.nlisten; i++)
					close(slot_fds[j][i]);

			signal_workers(SIGTERM);
			for (;;) {
				pid = waitpid(-1, &status, WNOHANG);
				if (pid < 0 && errno == ECHILD)
					break;
				if (time(NULL) > deadline) {
					signal_workers(SIGKILL);
					deadline = time(NULL) + 60;
				}
				if (pid <= 0)
					usleep(50000);
			}
			exit(0);
		}
		if (sig == SIGHUP)
			signal_workers(SIGHUP);
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			pthread_mutex_lock(&workers_lock);
			for (i = 0; i < conf.workers; i++) {
				if (workers[i] != pid)
					continue;
				log_error("worker %d (pid %d) exited with status %d", i, (int)pid,
				    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
				if (WIFEXITED(status) && WEXITSTATUS(status) == 100)
					exit(100);
				if (time(NULL) - started[i] < 1)
					sleep(1);
				workers[i] = spawn(i);
				started[i] = time(NULL);
			}
			pthread_mutex_unlock(&workers_lock);
		}
	}
}
