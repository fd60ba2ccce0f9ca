/*
 * The access log: one line per request in Deis's "upstreaminfo" format (plus
 * the router code and request id), formatted into this worker's buffer and
 * written by accesslog_flush() once per loop turn (the before-sleep hook), or
 * at once when the buffer passes ACCESSLOG_FULL bytes, never one write per
 * request.
 *
 * Every worker writes to the same destination, so every write holds whole
 * lines only: to a file (logfile.c: opened O_APPEND by each worker, rotated by
 * size) each write lands whole at the end; to a pipe (stdout under Docker) or
 * anything else a write of at most PIPE_BUF bytes is atomic, so the buffer goes
 * out in pieces of whole lines that fit.
 *
 * Formatting avoids printf: the date is made once a second, numbers by hand.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/ev.h"
#include "router/conn.h"
#include "router/router.h"

#define ACCESSLOG_FULL 65536

static int log_fd = -1;			/* stdout; or the file's, in lf */
static struct logfile lf = { .fd = -1 };
static bool log_regular;		/* lf is a regular file: whole buffers, rotated */
static struct buf logbuf = BUF_INIT;

int
accesslog_open(const char *dest, uint64_t max_size, int max_files)
{
	struct stat st;

	accesslog_close();
	if (dest == NULL || strcmp(dest, "off") == 0)
		return 0;
	if (strcmp(dest, "stdout") == 0) {
		log_fd = STDOUT_FILENO;
		return 0;
	}
	if (logfile_open(&lf, dest, max_size, max_files) < 0)
		return -1;
	log_fd = lf.fd;
	/* a FIFO or a device: pieces of PIPE_BUF, no rotation */
	log_regular = fstat(lf.fd, &st) == 0 && S_ISREG(st.st_mode);
	return 0;
}

void
accesslog_close(void)
{
	logfile_close(&lf);
	log_fd = -1;
	log_regular = false;
}

bool
accesslog_enabled(void)
{
	return log_fd >= 0;
}

/* Write p[0..n) whole, retrying on EINTR and short writes; a failure drops it. */
static void
write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(log_fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;	/* nowhere to say so: stderr is for events, not per-request */
		}
		p += w;
		n -= (size_t)w;
	}
}

void
accesslog_flush(void)
{
	const char *p = logbuf.p, *end = logbuf.p + logbuf.len;

	if (logbuf.len == 0)
		return;
	if (log_regular) {
		logfile_write(&lf, p, logbuf.len);	/* a failure drops it, as below */
		log_fd = lf.fd;
	} else {
		while (p < end) {
			size_t n = (size_t)(end - p);

			if (n > PIPE_BUF) {
				/* the last whole line within PIPE_BUF; a longer line
				 * (at most ~1 KiB, the fields are bounded) never occurs */
				const char *nl = memrchr(p, '\n', PIPE_BUF);

				n = nl ? (size_t)(nl + 1 - p) : PIPE_BUF;
			}
			write_all(p, n);
			p += n;
		}
	}
	buf_reset(&logbuf);
	if (logbuf.cap > 4 * ACCESSLOG_FULL)
		buf_release(&logbuf);
}

static char *
put(char *o, const char *s)
{
	size_t n = strlen(s);

	memcpy(o, s, n);
	return o + n;
}

static char *
put_u64(char *o, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(o, tmp + i, sizeof(tmp) - i);
	return o + sizeof(tmp) - i;
}

/* Milliseconds as seconds with three decimals, as "%.3f" of ms / 1000. */
static char *
put_secs(char *o, uint64_t ms)
{
	o = put_u64(o, ms / 1000);
	*o++ = '.';
	*o++ = (char)('0' + ms / 100 % 10);
	*o++ = (char)('0' + ms / 10 % 10);
	*o++ = (char)('0' + ms % 10);
	return o;
}

/* "[02/Jan/2006:15:04:05 +0000]", made again only when the second changes. */
static const char *
date_now(void)
{
	static char d[40];
	static time_t last = -1;
	time_t now = time(NULL);
	struct tm tm;

	if (now != last) {
		gmtime_r(&now, &tm);
		strftime(d, sizeof(d), "[%d/%b/%Y:%H:%M:%S +0000]", &tm);
		last = now;
	}
	return d;
}

void
accesslog_add(const struct client *c)
{
	/* every field is bounded by its array in struct client */
	size_t max = 64 + sizeof(c->ip) + sizeof(c->reqline) + sizeof(c->referer) + sizeof(c->ua) +
	    sizeof(c->upaddr) + sizeof(c->host) + sizeof(c->reqid) + 128 + 3 * 24 + 16;
	uint64_t now = ev_now_ms();
	char *o;

	if (log_fd < 0)
		return;
	buf_grow(&logbuf, max + (c->app ? strlen(c->app->name) : 1));
	o = logbuf.p + logbuf.len;
	o = put(o, date_now());
	o = put(o, " - ");
	o = put(o, c->ip);
	o = put(o, " - - - ");
	o = put_u64(o, (uint64_t)c->status);
	o = put(o, " - \"");
	o = put(o, c->reqline);
	o = put(o, "\" - ");
	o = put_u64(o, c->bytes_out + c->out.len - c->out_mark);
	o = put(o, " - \"");
	o = put(o, c->referer);
	o = put(o, "\" - \"");
	o = put(o, c->ua);
	o = put(o, "\" - \"");
	o = put(o, c->app ? c->app->name : "-");
	o = put(o, "\" - ");
	o = put(o, c->upaddr[0] ? c->upaddr : "-");
	o = put(o, " - ");
	o = put(o, c->host);
	o = put(o, " - ");
	o = put_secs(o, c->t_up ? c->t_up - c->t_start : 0);
	o = put(o, " - ");
	o = put_secs(o, now - c->t_start);
	o = put(o, " - ");
	o = put(o, c->code ? c->code : "-");
	o = put(o, " - ");
	o = put(o, c->reqid[0] ? c->reqid : "-");
	*o++ = '\n';
	buf_setlen(&logbuf, (size_t)(o - logbuf.p));
	if (logbuf.len >= ACCESSLOG_FULL)
		accesslog_flush();
}
