/*
 * The app of bench/platform-router.sh: a web server fast enough that the
 * proxy in front of it, not the app, is what the benchmark measures. One
 * epoll loop per process, one process per core (SO_REUSEPORT), keep-alive,
 * GET / answers "hello, world\n" (13 bytes) and GET /1m one MiB of 'x'; any
 * other path 404. Requests are read up to the end of their head; bodies are
 * not expected (a request with one is answered and the connection closed).
 * Built static on the host by the benchmark and deployed as a Dockerfile app,
 * so it runs on any base image: listens on $PORT (5000 without it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXFD 65536
#define BIG (1024 * 1024)

struct conn {
	char in[4096];
	size_t len;
	const char *out;	/* the response being written, NULL when none */
	size_t off, outlen;
	int close_after;
};

static struct conn *conns[MAXFD];
static char hello[128], notfound[128], *big;
static size_t hello_len, notfound_len, big_len;

static int
listener(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4096) < 0) {
		perror("fastapp: cannot listen");
		exit(1);
	}
	return fd;
}

static void
drop(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	free(conns[fd]);
	conns[fd] = NULL;
}

/* Write what is pending; 0 when all is out, 1 when the socket is full, -1 on error. */
static int
flush(struct conn *c, int fd)
{
	while (c->out && c->off < c->outlen) {
		ssize_t n = write(fd, c->out + c->off, c->outlen - c->off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 1;
		if (n <= 0)
			return -1;
		c->off += (size_t)n;
	}
	c->out = NULL;
	return 0;
}

/* Answer every complete head in the buffer; -1 to close. */
static int
serve(int ep, struct conn *c, int fd)
{
	char *end;
	int r;

	while (!c->out && (end = memmem(c->in, c->len, "\r\n\r\n", 4)) != NULL) {
		size_t head = (size_t)(end + 4 - c->in);

		if (!strncmp(c->in, "GET / ", 6) || !strncmp(c->in, "HEAD / ", 7)) {
			c->out = hello;
			c->outlen = hello_len;
		} else if (!strncmp(c->in, "GET /1m ", 8)) {
			c->out = big;
			c->outlen = big_len;
		} else {
			c->out = notfound;
			c->outlen = notfound_len;
		}
		c->close_after = memmem(c->in, head, "\r\nContent-Length:", 17) != NULL ||
		    memmem(c->in, head, "\r\nTransfer-Encoding:", 20) != NULL;
		c->off = 0;
		memmove(c->in, c->in + head, c->len - head);
		c->len -= head;
		r = flush(c, fd);
		if (r < 0 || (r == 0 && c->close_after))
			return -1;
		if (r == 1) {
			struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.fd = fd };

			epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
		}
	}
	return 0;
}

static void
loop(int lfd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd }, evs[256];
	int ep = epoll_create1(EPOLL_CLOEXEC), n, i, fd, one = 1;

	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd == lfd) {
				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					if (fd >= MAXFD) {
						close(fd);
						continue;
					}
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					conns[fd] = calloc(1, sizeof(struct conn));
					ev.events = EPOLLIN;
					ev.data.fd = fd;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			struct conn *c = conns[fd];

			if (!c)
				continue;
			if (c->out) {
				int r = flush(c, fd);

				if (r < 0 || (r == 0 && c->close_after)) {
					drop(ep, fd);
					continue;
				}
				if (r == 1)
					continue;
				ev.events = EPOLLIN;
				ev.data.fd = fd;
				epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
			}
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
				ssize_t got = read(fd, c->in + c->len, sizeof(c->in) - c->len);

				if (got <= 0 && !(got < 0 && (errno == EAGAIN || errno == EINTR))) {
					drop(ep, fd);
					continue;
				}
				if (got > 0)
					c->len += (size_t)got;
				if (c->len == sizeof(c->in)) {	/* a head this large: not ours */
					drop(ep, fd);
					continue;
				}
			}
			if (serve(ep, c, fd) < 0)
				drop(ep, fd);
		}
	}
}

int
main(void)
{
	const char *p = getenv("PORT");
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN), i;
	int port = p ? (int)strtol(p, NULL, 10) : 5000, lfd;

	signal(SIGPIPE, SIG_IGN);
	hello_len = (size_t)snprintf(hello, sizeof(hello), "HTTP/1.1 200 OK\r\nContent-Type: "
	    "text/plain\r\nContent-Length: 13\r\n\r\nhello, world\n");
	notfound_len = (size_t)snprintf(notfound, sizeof(notfound), "HTTP/1.1 404 Not Found\r\n"
	    "Content-Length: 0\r\n\r\n");
	big = malloc(BIG + 128);
	big_len = (size_t)snprintf(big, 128, "HTTP/1.1 200 OK\r\nContent-Type: "
	    "application/octet-stream\r\nContent-Length: %d\r\n\r\n", BIG);
	memset(big + big_len, 'x', BIG);
	big_len += BIG;
	fprintf(stderr, "fastapp: listening on %d, %ld processes\n", port, ncpu);
	for (i = 1; i < ncpu; i++)
		if (fork() == 0)
			break;
	lfd = listener(port);
	loop(lfd);
	return 0;
}
