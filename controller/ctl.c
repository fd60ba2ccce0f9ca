/*
 * Process-wide pieces of the controller: signals, container state changes
 * from the scheduler, and app events sent to the logger.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "controller/controller.h"
#include "controller/scheduler/scheduler.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/xalloc.h"

static void (*sig_fn)(struct ev *, void *);

static void
sig_read(struct ev *ev, int fd, int mask, void *arg)
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	sig_fn(ev, arg);
}

void
ctl_signals(struct ctl *ctl, void (*fn)(struct ev *, void *))
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
	sig_fn = fn;
	ev_set(ctl->ev, fd, EV_READ, sig_read, ctl);
}

void
ctl_on_container_state(const struct sched_container *c, enum sched_state old, void *arg)
{
	struct ctl *ctl = arg;

	if (c->state == SCHED_CRASHED && old != SCHED_CRASHED)
		ctl_event(ctl, c->app, "%s crashed (exit status %d)", c->name, c->exit_code);
}

/*
 * App events go to the logger as RFC 5424 over UDP on loopback or the
 * platform network: one datagram per event, never blocking the caller.
 * Called from any thread.
 */
void
logsink_send(struct ctl *ctl, const char *app, const char *msg)
{
	char host[256], line[2048], ts[40];
	const char *colon;
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai = NULL;
	struct timespec now;
	struct tm tm;
	int fd, n;

	if (ctl->logger_syslog == NULL)
		return;
	colon = strrchr(ctl->logger_syslog, ':');
	if (colon == NULL || (size_t)(colon - ctl->logger_syslog) >= sizeof(host))
		return;
	memcpy(host, ctl->logger_syslog, (size_t)(colon - ctl->logger_syslog));
	host[colon - ctl->logger_syslog] = '\0';
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "<14>1 %s.%06ldZ deis-controller %s deis-controller - - %s",
	    ts, now.tv_nsec / 1000, app, msg);
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0) {
		if (sendto(fd, line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1, 0,
		    ai->ai_addr, ai->ai_addrlen) < 0)
			log_debug("event for '%s' not sent to the logger", app);
		close(fd);
	}
	freeaddrinfo(ai);
}
