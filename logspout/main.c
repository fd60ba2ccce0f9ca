/*
 * deis-logspout: flags, the loop, signals.
 *
 *   deis-logspout [-l logger_host:port] [-s docker_socket] [-S state_file] [-H hostname]
 *
 * Defaults: the logger at $DEIS_LOGGER_SYSLOG or 127.0.0.1:514, Docker at
 * /var/run/docker.sock, no state file (resume points then live only as long as
 * the process). $DEIS_LOGGER_KEY: the platform's logger key, sent first on
 * each connection (a keyed logger files nothing without it). SIGTERM/SIGINT: stop reading Docker, send what is queued (up
 * to 2 s), save the state, exit 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "lib/ev.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "logspout/logspout.h"

static void
on_signal(struct ev *ev, int fd, int mask, void *arg)
{
	struct logspout *ls = arg;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si))
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			log_info("signal %u: flushing, then exiting", si.ssi_signo);
			ls->stopping = true;
			ev_stop(ev);
		}
}

static void
tick(struct ev *ev, void *arg)
{
	struct logspout *ls = arg;

	cstate_prune(ls);
	cstate_save(ls);
	attach_tick(ls);
	ev_timer(ev, 1000, tick, ls);
}

int
main(int argc, char **argv)
{
	struct logspout ls = { 0 };
	sigset_t mask;
	int c, sfd;

	log_init("deis-logspout");
	ls.logger_addr = getenv("DEIS_LOGGER_SYSLOG") ? getenv("DEIS_LOGGER_SYSLOG") : "127.0.0.1:514";
	ls.logger_key = getenv("DEIS_LOGGER_KEY");
	if (ls.logger_key && !*ls.logger_key)
		ls.logger_key = NULL;
	ls.docker_sock = "/var/run/docker.sock";
	ls.high_water = 4 << 20;
	ls.low_water = 1 << 20;
	if (gethostname(ls.hostname, sizeof(ls.hostname) - 1) < 0)
		strlcpy(ls.hostname, "-", sizeof(ls.hostname));
	ls.controller = getenv("DEIS_CONTROLLER_URL");
	ls.internal_token = getenv("DEIS_INTERNAL_TOKEN");
	while ((c = getopt(argc, argv, "c:l:s:S:H:")) != -1) {
		switch (c) {
		case 'c': ls.controller = optarg; break;
		case 'l': ls.logger_addr = optarg; break;
		case 's': ls.docker_sock = optarg; break;
		case 'S': ls.state_path = optarg; break;
		case 'H': strlcpy(ls.hostname, optarg, sizeof(ls.hostname)); break;
		default:
			die(100, "usage: deis-logspout [-c controller_url] [-l logger_host:port] "
			    "[-s docker_socket] [-S state_file] [-H hostname]");
		}
	}
	if (optind != argc || strchr(ls.logger_addr, ':') == NULL)
		die(100, "bad logger address '%s': want host:port", ls.logger_addr);
	if (ls.controller && *ls.controller == '\0')
		ls.controller = NULL;
	if (ls.controller && (ls.internal_token == NULL || *ls.internal_token == '\0'))
		die(100, "a controller (-c) needs DEIS_INTERNAL_TOKEN");
	if (ls.controller == NULL)
		log_warn("no controller: lines are attributed by the sh.deis labels, which any "
		    "container can carry; a platform runs logspout with -c");

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0)
		die(111, "signalfd: %s", strerror(errno));

	LIST_INIT(&ls.states);
	ls.docker = docker_new(ls.docker_sock);
	ls.ev = ev_new(65536);
	ev_set(ls.ev, sfd, EV_READ, on_signal, &ls);
	cstate_load(&ls);
	sender_init(&ls);
	if (attach_start(&ls) < 0)
		die(111, "cannot start libcurl");
	ev_timer(ls.ev, 1000, tick, &ls);
	log_info("docker '%s' -> logger '%s'%s%s", ls.docker_sock, ls.logger_addr,
	    ls.controller ? ", containers by the record of " : "", ls.controller ? ls.controller : "");
	ev_run(ls.ev);

	attach_stop(&ls);
	sender_flush(&ls, 2000);
	ls.state_dirty = true;
	cstate_save(&ls);
	sender_free();
	cstate_free_all(&ls);
	log_info("stopped: %llu lines sent, %llu long lines split", (unsigned long long)ls.lines,
	    (unsigned long long)ls.pieces);
	close(sfd);
	ev_free(ls.ev);
	docker_free(ls.docker);
	return 0;
}
