/*
 * `deis run` on a terminal: the run request upgraded to deis-run/1
 * (lib/runproto.h), the terminal in raw mode (Ctrl-C is a byte for the
 * remote process), the window size sent at start and on every SIGWINCH, and
 * the remote process's status as ours. libcurl makes the connection (http or
 * https, the same checks as every request) and then only carries bytes
 * (CURLOPT_CONNECT_ONLY).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli/deis/deis.h"
#include "lib/runproto.h"
#include "lib/xalloc.h"

#define HEAD_MAX 65536
#define BODY_MAX (1u << 20)
#define ANSWER_TIMEOUT_MS (1200 * 1000)	/* the controller may pull the image first */

static struct termios saved;
static bool raw_on;
static int winch_pipe[2] = { -1, -1 };

static void
term_restore(void)
{
	if (raw_on)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
	raw_on = false;
}

static void
on_fatal(int sig)
{
	term_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
on_winch(int sig)
{
	int saved_errno = errno;
	ssize_t n = write(winch_pipe[1], "w", 1);

	(void)sig;
	(void)n;
	errno = saved_errno;
}

static int
term_raw(void)
{
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &saved) < 0)
		return deis_fail("cannot read the terminal's settings: %s", strerror(errno));
	t = saved;
	cfmakeraw(&t);
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &t) < 0)
		return deis_fail("cannot set the terminal to raw mode: %s", strerror(errno));
	raw_on = true;
	atexit(term_restore);
	signal(SIGTERM, on_fatal);
	signal(SIGHUP, on_fatal);
	signal(SIGQUIT, on_fatal);
	return 0;
}

/* Wait until sock is readable (POLLIN) or writable (POLLOUT); 0, or -1 on timeout. */
static int
sock_wait(curl_socket_t sock, short ev, int timeout_ms)
{
	struct pollfd p = { .fd = sock, .events = ev };
	int n;

	while ((n = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	return n > 0 ? 0 : -1;
}

static int
send_all(CURL *h, curl_socket_t sock, const char *p, size_t n)
{
	while (n) {
		size_t k = 0;
		CURLcode rc = curl_easy_send(h, p, n, &k);

		if (rc == CURLE_AGAIN) {
			if (sock_wait(sock, POLLOUT, 60000) < 0)
				return -1;
			continue;
		}
		if (rc != CURLE_OK)
			return -1;
		p += k;
		n -= k;
	}
	return 0;
}

/*
 * Read what is there into in (until CURLE_AGAIN, so nothing stays in the TLS
 * layer where poll cannot see it). 1 more bytes, 0 none now, -1 closed.
 */
static int
recv_some(CURL *h, struct buf *in)
{
	int got = 0;

	for (;;) {
		size_t k = 0;
		CURLcode rc;

		buf_grow(in, 16384);
		rc = curl_easy_recv(h, in->p + in->len, in->cap - in->len - 1, &k);
		if (rc == CURLE_AGAIN)
			return got;
		if (rc != CURLE_OK || k == 0)
			return got ? 1 : -1;	/* report the bytes first; EOF on the next call */
		buf_setlen(in, in->len + k);
		got = 1;
	}
}

static int
write_out(const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(STDOUT_FILENO, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* A refusal (not 101): the rest of its body, rendered the Deis way. */
static int
refused(CURL *h, curl_socket_t sock, struct buf *in, size_t hlen)
{
	struct response res = { 0 };
	struct buf msg = BUF_INIT;
	const char *sp = memchr(in->p, ' ', hlen), *cl;
	size_t want = BODY_MAX, eol;

	if (sp) {
		eol = strcspn(sp + 1, "\r\n");
		snprintf(res.status_line, sizeof(res.status_line), "%.*s", (int)eol, sp + 1);
		res.status = strtol(sp + 1, NULL, 10);
	}
	if ((cl = strcasestr(in->p, "\r\ncontent-length:")) != NULL && cl < in->p + hlen)
		want = strtoul(cl + 17, NULL, 10);
	while (in->len - hlen < want && in->len - hlen < BODY_MAX) {
		int r = recv_some(h, in);

		if (r < 0 || (r == 0 && sock_wait(sock, POLLIN, 30000) < 0))
			break;
	}
	buf_init(&res.body, 0);
	buf_add(&res.body, in->p + hlen, in->len - hlen < want ? in->len - hlen : want);
	deis_http_render_error(&res, &msg);
	deis_fail("%s", msg.p);
	buf_release(&msg);
	buf_release(&res.body);
	return -1;
}

static void
send_size(CURL *h, curl_socket_t sock)
{
	struct winsize ws;
	struct buf f = BUF_INIT;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0 || ws.ws_col == 0)
		return;
	runproto_add_resize(&f, ws.ws_row, ws.ws_col);
	send_all(h, sock, f.p, f.len);
	buf_release(&f);
}

/*
 * The session: stdin and window sizes out, the terminal's bytes in, until
 * the EXIT frame (its status returned) or an ERROR frame or a lost
 * connection (-1, deis_fail).
 */
static int
session(CURL *h, curl_socket_t sock, struct buf *in)
{
	struct pollfd p[3] = {
		{ .fd = sock, .events = POLLIN },
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = winch_pipe[0], .events = POLLIN },
	};
	struct buf f = BUF_INIT;
	char chunk[16384];

	send_size(h, sock);
	for (;;) {
		struct runproto_frame fr;
		const char *why = NULL;
		long n;
		int r;

		/* what is already here first: a frame may have come with the 101 */
		while ((n = runproto_parse(in->p, in->len, &fr, &why)) > 0) {
			if (fr.type == RUNPROTO_OUTPUT) {
				write_out(fr.data, fr.len);
			} else if (fr.type == RUNPROTO_EXIT) {
				buf_release(&f);
				return (int)(fr.status & 0xff);
			} else if (fr.type == RUNPROTO_ERROR) {
				term_restore();
				deis_fail("%.*s", (int)fr.len, fr.data);
				buf_release(&f);
				return -1;
			} else {
				n = -1;
				why = "the controller sent a client's frame";
				break;
			}
			buf_remove_head(in, (size_t)n);
		}
		if (n < 0) {
			term_restore();
			buf_release(&f);
			return deis_fail("bad answer from the controller: %s", why);
		}
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			r = recv_some(h, in);
			if (r < 0) {
				term_restore();
				buf_release(&f);
				return deis_fail("the connection to the controller was lost");
			}
		}
		if (p[1].revents) {
			ssize_t k = read(STDIN_FILENO, chunk, sizeof(chunk));

			if (k < 0 && errno == EINTR)
				continue;
			buf_reset(&f);
			if (k <= 0) {
				runproto_add(&f, RUNPROTO_EOF, NULL, 0);
				p[1].fd = -1;	/* no more stdin; poll ignores it */
			} else {
				runproto_add(&f, RUNPROTO_STDIN, chunk, (size_t)k);
			}
			if (send_all(h, sock, f.p, f.len) < 0) {
				term_restore();
				buf_release(&f);
				return deis_fail("the connection to the controller was lost");
			}
		}
		if (p[2].revents) {
			while (read(winch_pipe[0], chunk, sizeof(chunk)) > 0)
				;
			send_size(h, sock);
		}
	}
	buf_release(&f);
	term_restore();
	return deis_fail("cannot wait for the terminal: %s", strerror(errno));
}

int
deis_run_tty(struct client *c, const char *path, const char *body)
{
	CURL *h = curl_easy_init();
	struct buf req = BUF_INIT, in = BUF_INIT;
	curl_socket_t sock = CURL_SOCKET_BAD;
	const char *host = strstr(c->base, "://"), *end = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	char *url = xasprintf("%s%s", c->base, path);
	int rc = -1;
	size_t hlen;
	CURLcode cc;

	if (h == NULL)
		die(1, "curl_easy_init failed");
	host = host ? host + 3 : c->base;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->s.ssl_verify ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->s.ssl_verify ? 2L : 0L);
	if ((cc = curl_easy_perform(h)) != CURLE_OK ||
	    curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &sock) != CURLE_OK ||
	    sock == CURL_SOCKET_BAD) {
		deis_fail("cannot connect to %s: %s", c->base, errbuf[0] ? errbuf :
		    curl_easy_strerror(cc));
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	buf_addf(&req, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Deis Client v" DEIS_VERSION
	    "\r\nAuthorization: token %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\nConnection: Upgrade\r\nUpgrade: " RUNPROTO_NAME "\r\n\r\n%s",
	    path, host, c->s.token ? c->s.token : "", strlen(body), body);
	if (send_all(h, sock, req.p, req.len) < 0) {
		deis_fail("cannot send the request to %s", c->base);
		goto out;
	}
	while ((end = in.len ? strstr(in.p, "\r\n\r\n") : NULL) == NULL) {
		int r = recv_some(h, &in);

		if (r < 0 || in.len > HEAD_MAX) {
			deis_fail("the controller closed the connection without an answer");
			goto out;
		}
		if (r == 0 && sock_wait(sock, POLLIN, ANSWER_TIMEOUT_MS) < 0) {
			deis_fail("no answer from the controller");
			goto out;
		}
	}
	hlen = (size_t)(end - in.p) + 4;
	if (strncmp(in.p, "HTTP/1.1 101 ", 13) != 0) {
		refused(h, sock, &in, hlen);
		goto out;
	}
	buf_remove_head(&in, hlen);
	if (pipe2(winch_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		die(1, "pipe2 failed");
	signal(SIGWINCH, on_winch);
	if (term_raw() < 0)
		goto out;
	rc = session(h, sock, &in);
	term_restore();
out:
	if (req.p)
		explicit_bzero(req.p, req.len);	/* the token */
	buf_release(&req);
	buf_release(&in);
	free(url);
	curl_easy_cleanup(h);
	return rc;
}
