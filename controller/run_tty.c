/* Interactive one-offs: the job that starts them and the thread that bridges them. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "controller/api.h"
#include "controller/app.h"
#include "controller/controller.h"
#include "controller/jobs.h"
#include "controller/run_tty.h"
#include "lib/log.h"
#include "lib/runproto.h"
#include "lib/xalloc.h"

#define SESSIONS_MAX 64		/* interactive runs at once, each a thread */
#define READ_CHUNK 16384
/*
 * A quiet session sends an empty OUTPUT frame this often: a router's idle
 * timeout counts bytes, and TCP notices a vanished client only when it has
 * something unacknowledged to send.
 */
#define KEEPALIVE_MS 30000

static atomic_int sessions;

struct session {
	struct job job;
	struct api *a;
	struct sched *sched;
	char app[65];
	char *command;
	struct sched_tty t;
	int cfd;		/* the client's connection, once upgraded */
	struct buf in;		/* the client's bytes not yet parsed */
};

static void
session_free(struct session *s)
{
	free(s->command);
	buf_release(&s->in);
	free(s);
	atomic_fetch_sub(&sessions, 1);
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t k = write(fd, c, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

static int
send_frame(struct session *s, enum runproto_type type, const void *p, size_t n)
{
	struct buf f = BUF_INIT;
	int rc;

	runproto_add(&f, type, p, n);
	rc = write_all(s->cfd, f.p, f.len);
	buf_release(&f);
	return rc;
}

/*
 * A client that vanishes without a FIN (its network cut) is noticed by TCP:
 * keepalives after 30 s of silence, and unacknowledged output given up after
 * 60 s. Not a TCP socket (a unix listener): nothing to set.
 */
static void
client_timeouts(int fd)
{
	int on = 1, idle = 30, intvl = 10, cnt = 3;
	unsigned user_ms = 60000;

	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) < 0)
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_ms, sizeof(user_ms));
}

/*
 * The client's frames in s->in: stdin to the container, resizes to the
 * engine, EOF closes the container's stdin. 0, or -1 after a malformed
 * frame (answered with ERROR).
 */
static int
client_frames(struct session *s, bool *stdin_open)
{
	struct runproto_frame f;
	const char *why = NULL;
	struct err e;
	size_t off = 0;
	long n;

	while ((n = runproto_parse(s->in.p + off, s->in.len - off, &f, &why)) > 0) {
		off += (size_t)n;
		switch (f.type) {
		case RUNPROTO_STDIN:
			if (*stdin_open && write_all(s->t.fd, f.data, f.len) < 0)
				*stdin_open = false;	/* the process closed it; it will end */
			break;
		case RUNPROTO_RESIZE:
			if (sched_tty_resize(s->sched, &s->t, f.rows, f.cols, &e) < 0)
				log_warn("run '%s': %s", s->t.name, e.msg);
			break;
		case RUNPROTO_EOF:
			if (*stdin_open)
				shutdown(s->t.fd, SHUT_WR);
			*stdin_open = false;
			break;
		default:
			why = "a client sends stdin, resize and eof frames only";
			n = -1;
			break;
		}
		if (n < 0)
			break;
	}
	if (n < 0) {
		struct buf msg = BUF_INIT;

		buf_addf(&msg, "bad deis-run/1 frame: %s", why);
		send_frame(s, RUNPROTO_ERROR, msg.p, msg.len);
		buf_release(&msg);
		return -1;
	}
	buf_remove_head(&s->in, off);
	return 0;
}

/*
 * One session until its end: the process exits (its status to the client)
 * or the client goes (the container killed). Either way the unit is removed.
 */
static void
bridge(struct session *s)
{
	struct pollfd p[2] = { { .fd = s->cfd, .events = POLLIN }, { .fd = s->t.fd, .events = POLLIN } };
	bool stdin_open = true, dropped = true;
	char chunk[READ_CHUNK];
	struct buf out = BUF_INIT;
	int status = 0;

	if (s->t.extra.len && send_frame(s, RUNPROTO_OUTPUT, s->t.extra.p, s->t.extra.len) < 0)
		goto end;
	if (s->in.len && client_frames(s, &stdin_open) < 0)
		goto end;
	for (;;) {
		int ready = poll(p, 2, KEEPALIVE_MS);
		ssize_t n;

		if (ready < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (ready == 0) {
			if (send_frame(s, RUNPROTO_OUTPUT, NULL, 0) < 0)
				break;
			continue;
		}
		if (p[1].revents) {
			n = read(s->t.fd, chunk, sizeof(chunk));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				dropped = false;	/* the process's terminal closed: it ended */
				break;
			}
			buf_reset(&out);
			runproto_add(&out, RUNPROTO_OUTPUT, chunk, (size_t)n);
			if (write_all(s->cfd, out.p, out.len) < 0)
				break;
		}
		if (p[0].revents) {
			buf_grow(&s->in, READ_CHUNK);
			n = read(s->cfd, s->in.p + s->in.len, s->in.cap - s->in.len - 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;		/* the client went: no one to answer */
			buf_setlen(&s->in, s->in.len + (size_t)n);
			if (client_frames(s, &stdin_open) < 0)
				break;
		}
	}
end:
	buf_release(&out);
	if (dropped) {
		log_info("run '%s': its client is gone (or broke the protocol); the container is "
		    "killed", s->t.name);
		sched_tty_end(s->sched, &s->t, true, NULL);
	} else if (sched_tty_end(s->sched, &s->t, false, &status) == 0) {
		struct buf f = BUF_INIT;

		runproto_add_exit(&f, (unsigned)status);
		write_all(s->cfd, f.p, f.len);
		buf_release(&f);
		log_info("run '%s' exited with status %d", s->t.name, status);
	} else {
		static const char msg[] = "the process's exit status is unknown";

		send_frame(s, RUNPROTO_ERROR, msg, sizeof(msg) - 1);
	}
	shutdown(s->cfd, SHUT_WR);
	close(s->cfd);
}

static void *
session_thread(void *arg)
{
	struct session *s = arg;

	if (s->cfd < 0)
		sched_tty_end(s->sched, &s->t, true, NULL);	/* the client left before the 101 */
	else
		bridge(s);
	session_free(s);
	return NULL;
}

static void
start_work(struct job *j, struct db *db)
{
	struct session *s = j->arg;

	j->rc = app_run_tty(s->a->ctl, db, s->app, s->command, &s->t, &j->e);
}

static void
start_done(struct job *j)
{
	struct session *s = j->arg;
	pthread_attr_t attr;
	pthread_t t;

	if (j->rc < 0) {
		api_detail(s->a, j->e.code ? j->e.code : 503, "%s", j->e.msg);
		session_free(s);
		return;
	}
	s->cfd = httpd_upgrade(s->a->r, RUNPROTO_NAME, &s->in);
	api_free(s->a);
	s->a = NULL;
	if (s->cfd >= 0)
		client_timeouts(s->cfd);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, session_thread, s) != 0) {
		/* no thread: end it here, the one time the loop waits on a session */
		log_error("run '%s': cannot start a thread; the container is killed", s->t.name);
		if (s->cfd >= 0)
			close(s->cfd);
		s->cfd = -1;
		session_thread(s);
	}
	pthread_attr_destroy(&attr);
}

void
run_tty_start(struct api *a, const char *command)
{
	struct session *s;

	if (atomic_fetch_add(&sessions, 1) >= SESSIONS_MAX) {
		atomic_fetch_sub(&sessions, 1);
		api_detail(a, 503, "too many interactive runs on this controller; try again later");
		return;
	}
	s = xcalloc(1, sizeof(*s));
	s->a = a;
	s->sched = a->ctl->sched;
	s->cfd = -1;
	s->t.fd = -1;
	strlcpy(s->app, a->seg[0], sizeof(s->app));
	s->command = xstrdup(command);
	buf_init(&s->in, 0);
	s->job.work = start_work;
	s->job.done = start_done;
	s->job.arg = s;
	jobs_submit(a->ctl->jobs, &s->job);
}
