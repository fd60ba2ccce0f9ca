/*
 * deis-logger: flags, the loop, signals.
 *
 *   deis-logger [-t tcp_addr] [-u udp_addr] [-l http_addr] [-d dir] [-D drain]...
 *               [-s file_max] [-n history] [-r tail_bytes] [-m tail_budget]
 *
 * Defaults: syslog on :514 (TCP and UDP), HTTP on :8088, files in /data/logs.
 * An empty address ("-t ''") disables that listener. With $DEIS_LOGGER_KEY set,
 * a TCP peer's first frame must be that key (lib/syslog.h) and there is no UDP
 * listener: only the platform's own senders get lines filed. SIGTERM/SIGINT: stop
 * accepting, read what peers already sent, write it, exit 0. SIGUSR1: reopen
 * the log files (after an external rotation), as Deis's logger did.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/ev.h"
#include "lib/httpd.h"
#include "lib/log.h"
#include "lib/syslog.h"
#include "lib/xalloc.h"
#include "logger/logger.h"

static void
usage(void)
{
	die(100, "usage: deis-logger [-t tcp_addr] [-u udp_addr] [-l http_addr] [-d dir] "
	    "[-D [app=]tcp://host:port]... [-s file_max] [-n history] [-r tail_bytes] "
	    "[-m tail_budget]");
}

static size_t
size_arg(const char *s, const char *what)
{
	unsigned long long v;
	const char *errstr = NULL;

	v = (unsigned long long)strtonum(s, 0, 1LL << 40, &errstr);
	if (errstr)
		die(100, "bad %s '%s': %s", what, s, errstr);
	return (size_t)v;
}

static void
before_sleep(struct ev *ev, void *arg)
{
	struct logger *lg = arg;

	recv_before_sleep();
	store_flush(lg->store);
}

static void
on_signal(struct ev *ev, int fd, int mask, void *arg)
{
	struct logger *lg = arg;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			log_info("signal %u: reading what peers sent, then exiting", si.ssi_signo);
			lg->stopping = true;
			recv_drain_all(lg);
			store_flush(lg->store);
			ev_stop(ev);
		} else if (si.ssi_signo == SIGUSR1) {
			log_info("signal %u: reopening log files", si.ssi_signo);
			store_reopen(lg->store);
		}
	}
}

static void
report(struct ev *ev, void *arg)
{
	struct logger *lg = arg;
	static uint64_t last_bad;
	uint64_t bad = lg->st.malformed + lg->st.unfiled + lg->st.follow_dropped +
	    lg->st.write_errors + lg->st.unauthenticated;

	if (bad != last_bad) {
		log_warn("received %llu, stored %llu, malformed %llu, unfiled %llu, "
		    "without the key %llu, follow dropped %llu, write errors %llu",
		    (unsigned long long)lg->st.received, (unsigned long long)lg->st.stored,
		    (unsigned long long)lg->st.malformed, (unsigned long long)lg->st.unfiled,
		    (unsigned long long)lg->st.unauthenticated,
		    (unsigned long long)lg->st.follow_dropped,
		    (unsigned long long)lg->st.write_errors);
		last_bad = bad;
	}
	ev_timer(ev, 60000, report, lg);
}

int
main(int argc, char **argv)
{
	struct logger lg = { 0 };
	const char *tcp = ":514", *udp = NULL, *http = ":8088";
	const char *drains[32];
	int ndrains = 0, c, i, sfd;
	struct err e;
	sigset_t mask;

	log_init("deis-logger");
	lg.o.dir = getenv("DEIS_LOGGER_DIR") ? getenv("DEIS_LOGGER_DIR") : "/data/logs";
	lg.o.file_max = 16 << 20;
	lg.o.history = 4;
	lg.o.tail_bytes = 256 << 10;
	lg.o.tail_budget = 64 << 20;
	lg.o.frame_max = SYSLOG_MAX_FRAME;
	lg.o.max_conns = 1024;
	lg.o.drain_queue = 4 << 20;
	lg.o.follow_queue = 4 << 20;
	while ((c = getopt(argc, argv, "t:u:l:d:D:s:n:r:m:h")) != -1) {
		switch (c) {
		case 't': tcp = optarg; break;
		case 'u': udp = optarg; break;
		case 'l': http = optarg; break;
		case 'd': lg.o.dir = optarg; break;
		case 'D':
			if (ndrains == (int)ARRAY_SIZE(drains))
				die(100, "too many drains");
			drains[ndrains++] = optarg;
			break;
		case 's': lg.o.file_max = size_arg(optarg, "file size"); break;
		case 'n': lg.o.history = (int)size_arg(optarg, "history"); break;
		case 'r': lg.o.tail_bytes = size_arg(optarg, "tail size"); break;
		case 'm': lg.o.tail_budget = size_arg(optarg, "tail budget"); break;
		default: usage();
		}
	}
	if (optind != argc || lg.o.file_max < 4096 || lg.o.tail_bytes < 4096 || lg.o.history > 1000)
		usage();
	lg.o.key = getenv("DEIS_LOGGER_KEY");
	if (lg.o.key && !*lg.o.key)
		lg.o.key = NULL;
	if (lg.o.key && strlen(lg.o.key) < 16)
		die(100, "DEIS_LOGGER_KEY is shorter than 16 characters");
	if (lg.o.key && udp && *udp)
		die(100, "a logger with a key takes no UDP (a datagram cannot carry the key): "
		    "drop -u '%s'", udp);
	if (udp == NULL)
		udp = lg.o.key ? "" : ":514";

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0)
		die(111, "signalfd: %s", strerror(errno));

	lg.ev = ev_new(65536);
	lg.store = store_new(&lg);
	ev_set(lg.ev, sfd, EV_READ, on_signal, &lg);
	ev_before_sleep(lg.ev, before_sleep, &lg);
	if (*tcp && recv_listen_tcp(&lg, tcp) < 0)
		exit(111);
	if (*udp && recv_listen_udp(&lg, udp) < 0)
		exit(111);
	if (*http) {
		if (http_start(&lg, http, &e) < 0)
			die(111, "%s", e.msg);
		log_info("http on %s", http);
	}
	for (i = 0; i < ndrains; i++)
		if (drain_add(&lg, drains[i]) < 0)
			exit(100);
	ev_timer(lg.ev, 60000, report, &lg);
	log_info("logs in '%s'", lg.o.dir);
	ev_run(lg.ev);

	httpd_free(lg.httpd);
	drain_free_all(&lg);
	store_free(lg.store);
	close(sfd);
	ev_free(lg.ev);
	log_info("stopped: received %llu, stored %llu, malformed %llu",
	    (unsigned long long)lg.st.received, (unsigned long long)lg.st.stored,
	    (unsigned long long)lg.st.malformed);
	return 0;
}
