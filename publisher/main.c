/*
 * deis-publisher: reports this host's routable app endpoints to the
 * controller; see publisher.h. Foreground, logs to stderr.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "lib/docker.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "publisher/publisher.h"

#define BOOT_RESCAN_MS 500

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool dirty = true;
static volatile int stopping;

static void
mark_dirty(void)
{
	pthread_mutex_lock(&mu);
	dirty = true;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

static int
on_event(json_t *ev, void *arg)
{
	const char *action = json_string_value(json_object_get(ev, "Action"));

	if (action && (!strcmp(action, "start") || !strcmp(action, "die") ||
	    !strcmp(action, "stop") || !strcmp(action, "destroy") || !strcmp(action, "kill") ||
	    !strncmp(action, "health_status", 13) || !strcmp(action, "rename")))
		mark_dirty();
	return 0;
}

/* Follow Docker's events; reconnect (and resync) when the stream breaks. */
static void *
events_thread(void *arg)
{
	struct docker *d = arg;

	while (!stopping) {
		struct err e = { 0 };

		if (docker_events(d, "{\"type\":[\"container\"],\"label\":[\"sh.deis.app\"]}", 0,
		    on_event, NULL, &stopping, &e) < 0 && !stopping) {
			log_warn("docker events: %s; retrying", e.msg);
			sleep(2);
		}
		mark_dirty();
	}
	return NULL;
}

static void
on_signal(int sig)
{
	stopping = 1;
	pthread_cond_broadcast(&cv);
}

static const char *
env_or(const char *v, const char *name, const char *def)
{
	const char *s = getenv(name);

	return v ? v : s && *s ? s : def;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "controller", required_argument, NULL, 'c' },
		{ "host", required_argument, NULL, 'H' },
		{ "docker-socket", required_argument, NULL, 'k' },
		{ "platform", required_argument, NULL, 'p' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pub_config cfg = { .interval_ms = 3000, .probe_timeout_ms = 1000 };
	const char *sock = NULL, *errstr = NULL, *tokfile;
	char hostname[256], token[256] = "", *last = NULL;
	int booting;
	struct docker *d;
	struct err e = { 0 };
	pthread_t t;
	int c;

	log_init("deis-publisher");
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': cfg.controller = optarg; break;
		case 'H': cfg.host = optarg; break;
		case 'k': sock = optarg; break;
		case 'p': cfg.platform = optarg; break;
		case 'i':
			/* the controller expires an endpoint not reported for 12 s */
			cfg.interval_ms = (unsigned)strtonum(optarg, 100, 4000, &errstr);
			if (errstr)
				die(100, "--interval '%s' (milliseconds, 100 to 4000: the controller "
				    "expires an endpoint not reported for 12 s) is %s", optarg, errstr);
			break;
		case 'h':
		default:
			fprintf(c == 'h' ? stdout : stderr, "usage: deis-publisher --controller URL "
			    "[--host ID] [--docker-socket PATH] [--platform ID] [--interval MS]\n"
			    "environment: DEIS_CONTROLLER_URL, DEIS_HOST, DEIS_INTERNAL_TOKEN or "
			    "DEIS_INTERNAL_TOKEN_FILE, DOCKER_SOCKET, DEIS_PLATFORM\n");
			return c == 'h' ? 0 : 100;
		}
	}
	if (gethostname(hostname, sizeof(hostname)) < 0)
		strlcpy(hostname, "localhost", sizeof(hostname));
	cfg.controller = env_or(cfg.controller, "DEIS_CONTROLLER_URL", NULL);
	cfg.host = env_or(cfg.host, "DEIS_HOST", hostname);
	cfg.platform = env_or(cfg.platform, "DEIS_PLATFORM", NULL);
	sock = env_or(sock, "DOCKER_SOCKET", NULL);
	if (cfg.controller == NULL)
		die(100, "no controller: give --controller or DEIS_CONTROLLER_URL");
	if (getenv("DEIS_INTERNAL_TOKEN")) {
		strlcpy(token, getenv("DEIS_INTERNAL_TOKEN"), sizeof(token));
	} else if ((tokfile = getenv("DEIS_INTERNAL_TOKEN_FILE")) != NULL) {
		FILE *f = fopen(tokfile, "re");

		if (f == NULL || fgets(token, sizeof(token), f) == NULL)
			die(100, "cannot read '%s'", tokfile);
		fclose(f);
		token[strcspn(token, "\r\n")] = '\0';
	}
	if (!token[0])
		die(100, "no internal token: set DEIS_INTERNAL_TOKEN or DEIS_INTERNAL_TOKEN_FILE");
	cfg.token = token;
	if (strspn(cfg.host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
	    strlen(cfg.host))
		die(100, "host id '%s' may only contain letters, digits, '.', '-' and '_'", cfg.host);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	d = docker_new(sock);
	if (docker_ping(d, &e) < 0)
		die(111, "docker: %s", e.msg);
	if (pthread_create(&t, NULL, events_thread, d) != 0)
		die(111, "cannot start the events thread");
	log_info("publishing host '%s' to %s every %u ms", cfg.host, cfg.controller,
	    cfg.interval_ms);
	booting = 0;
	while (!stopping) {
		json_t *eps;
		struct timespec until;
		char *now;

		/* containers still booting: look again soon (BOOT_RESCAN_MS), else at the interval */
		unsigned wait_ms = booting && cfg.interval_ms > BOOT_RESCAN_MS ? BOOT_RESCAN_MS :
		    cfg.interval_ms;

		pthread_mutex_lock(&mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += wait_ms / 1000;
		until.tv_nsec += (long)(wait_ms % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		while (!dirty && !stopping)
			if (pthread_cond_timedwait(&cv, &mu, &until) != 0)
				break;
		dirty = false;
		pthread_mutex_unlock(&mu);
		if (stopping)
			break;
		eps = scan_endpoints(d, &cfg, &booting, &e);
		if (eps == NULL) {
			log_warn("docker: %s", e.msg);
			continue;
		}
		now = json_dumps(eps, JSON_COMPACT | JSON_SORT_KEYS);
		if (report_endpoints(&cfg, eps, &e) < 0) {
			log_warn("%s", e.msg);
			free(now);
			/* Try again soon: the controller may be starting. */
			sleep(1);
			mark_dirty();
		} else {
			if (last == NULL || strcmp(last, now))
				log_info("%zu endpoint(s) published", json_array_size(eps));
			free(last);
			last = now;
		}
		json_decref(eps);
	}
	log_info("stopping");
	pthread_join(t, NULL);
	free(last);
	docker_free(d);
	return 0;
}
