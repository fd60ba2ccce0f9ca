/*
 * App events: the lines "<app>[deis-controller]: <msg>" that `deis logs`
 * shows (a build, a config change, a crash), logged here and sent to the
 * logger; and the scheduler's state callback, which turns a crash into one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "controller/controller.h"
#include "controller/events.h"
#include "controller/jobs.h"
#include "controller/routes.h"
#include "controller/scheduler/scheduler.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/syslog.h"
#include "lib/xalloc.h"

void
event_log(struct ctl *ctl, const char *app, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	/* The Deis console logger format, which logspout turns into an app log line. */
	fprintf(stderr, "INFO [%s]: %s\n", app, msg.p);
	event_send(ctl, app, msg.p);
	buf_release(&msg);
}

void
event_container_state(const struct sched_container *c, enum sched_state old, void *arg)
{
	struct ctl *ctl = arg;

	struct buf tail = BUF_INIT;
	time_t now = time(NULL);

	/* a routed container stopped: out of the routers' tables now */
	if (old == SCHED_UP && (!strcmp(c->type, "web") || !strcmp(c->type, "cmd")))
		jobs_on_loop(ctl->jobs, routes_prune);
	/* one started: its publisher's report may have come first (routes_pending.c) */
	if (c->state == SCHED_UP && old != SCHED_UP && (!strcmp(c->type, "web") ||
	    !strcmp(c->type, "cmd")))
		jobs_on_loop(ctl->jobs, routes_pending);
	if (c->state != SCHED_CRASHED || old == SCHED_CRASHED)
		return;
	if (c->restarts)
		buf_addf(&tail, "; restarted %u time%s so far", c->restarts,
		    c->restarts == 1 ? "" : "s");
	if (c->restarting)
		buf_addstr(&tail, "; starting again");
	else if (c->next_start)
		buf_addf(&tail, "; starting again in %lld s",
		    (long long)(c->next_start > now ? c->next_start - now : 0));
	event_log(ctl, c->app, "%s crashed (exit status %d)%s", c->name, c->exit_code,
	    tail.p);
	buf_release(&tail);
}

/*
 * App events go to the logger as RFC 5424: over one TCP connection with
 * octet counting when the logger listens there (no loss while it is up), else
 * as a UDP datagram. Never blocks the caller for long: a connect is bounded
 * (300 ms) and retried at most every 5 s, a send never waits. Any thread.
 */
static pthread_mutex_t sink_mu = PTHREAD_MUTEX_INITIALIZER;
static int sink_fd = -1;
static time_t sink_retry_at;

static int
sink_open(const struct addrinfo *ai)
{
	struct pollfd p;
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), err = 0;
	socklen_t el = sizeof(err);

	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	p.fd = fd;
	p.events = POLLOUT;
	if (errno == EINPROGRESS && poll(&p, 1, 300) == 1 &&
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0)
		return fd;
	close(fd);
	return -1;
}

/* A connection that has sent the platform's logger key, when there is one. */
static int
sink_connect(const struct addrinfo *ai, const char *key)
{
	struct buf hello = BUF_INIT;
	int fd = sink_open(ai);

	if (fd < 0 || key == NULL)
		return fd;
	syslog_key_frame(&hello, key);
	if (send(fd, hello.p, hello.len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)hello.len) {
		close(fd);
		fd = -1;
	}
	explicit_bzero(hello.p, hello.len);
	buf_release(&hello);
	return fd;
}

/* Send one frame over TCP; false when it was not sent whole (use UDP). */
static bool
sink_tcp(const char *host, const char *port, const char *key, const char *line, size_t n)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	char frame[2100];
	int flen;
	ssize_t w;
	bool ok = false;

	flen = snprintf(frame, sizeof(frame), "%zu %.*s", n, (int)n, line);
	if (flen < 0 || (size_t)flen >= sizeof(frame))
		return false;
	pthread_mutex_lock(&sink_mu);
	if (sink_fd < 0 && time(NULL) >= sink_retry_at) {
		if (getaddrinfo(host, port, &hints, &ai) == 0) {
			sink_fd = sink_connect(ai, key);
			freeaddrinfo(ai);
		}
		if (sink_fd < 0)
			sink_retry_at = time(NULL) + 5;
	}
	if (sink_fd >= 0) {
		char c;

		/* The logger restarted: its end closed; a send now would be lost. */
		if (recv(sink_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
			close(sink_fd);
			sink_fd = -1;
			if (getaddrinfo(host, port, &hints, &ai) == 0) {
				sink_fd = sink_connect(ai, key);
				freeaddrinfo(ai);
			}
		}
	}
	if (sink_fd >= 0) {
		w = send(sink_fd, frame, (size_t)flen, MSG_NOSIGNAL | MSG_DONTWAIT);
		ok = w == flen;
		if (!ok) {
			/* A partial frame would desync the stream: start a new one later. */
			close(sink_fd);
			sink_fd = -1;
			sink_retry_at = time(NULL) + 1;
		}
	}
	pthread_mutex_unlock(&sink_mu);
	return ok;
}

void
event_send(struct ctl *ctl, const char *app, const char *msg)
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
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "<14>1 %s.%06ldZ deis-controller %s deis-controller - - %s",
	    ts, now.tv_nsec / 1000, app, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	/* a keyed logger takes no datagram: a line it could not take over TCP is lost */
	if (sink_tcp(host, colon + 1, ctl->logger_key, line, (size_t)n) || ctl->logger_key)
		return;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		return;
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0) {
		if (sendto(fd, line, (size_t)n, 0, ai->ai_addr, ai->ai_addrlen) < 0)
			log_debug("event for '%s' not sent to the logger", app);
		close(fd);
	}
	freeaddrinfo(ai);
}
