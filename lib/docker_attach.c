/*
 * The hijacked attach: Docker answers POST /containers/ID/attach with 101 and
 * then the socket is the container's stdin and output. libcurl has no use for
 * a connection after its response, so this one request is written by hand on
 * a unix socket of our own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/docker.h"
#include "lib/xalloc.h"

#define HEAD_MAX 16384

static bool
word_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > 128)
		return false;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && *s != '_' && *s != '-' && *s != '.')
			return false;
	return true;
}

static int
sock_connect(const char *path, struct err *e)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 30 };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return err_set(e, 500, "docker socket path too long: '%s'", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(e, 503, "cannot make a socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err_set(e, 503, "cannot reach the Docker daemon at '%s': %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* The daemon's {"message": ...} after a refusal, else the status alone. */
static int
refused(int status, const char *body, const char *id, struct err *e)
{
	json_t *j = json_loads(body, JSON_DECODE_ANY, NULL);
	const char *m = json_string_value(json_object_get(j, "message"));

	err_set(e, status == 404 ? 404 : 503, "cannot attach to container '%.12s': %s", id,
	    m ? m : "the daemon refused");
	json_decref(j);
	return -1;
}

int
docker_container_attach(struct docker *d, const char *id, struct buf *extra, struct err *e)
{
	struct buf in = BUF_INIT;
	struct timeval tv = { 0 };
	char *req, *end = NULL;
	int fd, status = 0;
	size_t hlen;

	if (id == NULL || !word_ok(id))
		return err_set(e, 400, "invalid container id '%s'", id ? id : "");
	fd = sock_connect(docker_sock(d), e);
	if (fd < 0)
		return -1;
	req = xasprintf("POST /v%s/containers/%s/attach?stream=1&stdin=1&stdout=1&stderr=1 "
	    "HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
	    "Content-Length: 0\r\n\r\n", docker_api_version(d), id);
	if (write_all(fd, req, strlen(req)) < 0) {
		err_set(e, 503, "cannot attach to container '%.12s': %s", id, strerror(errno));
		goto fail;
	}
	while ((end = strstr(in.p ? in.p : "", "\r\n\r\n")) == NULL) {
		ssize_t k;

		if (in.len >= HEAD_MAX) {
			err_set(e, 503, "cannot attach to container '%.12s': answer too long", id);
			goto fail;
		}
		buf_grow(&in, 4096);
		k = read(fd, in.p + in.len, in.cap - in.len - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			err_set(e, 503, "cannot attach to container '%.12s': %s", id,
			    k == 0 ? "the daemon closed the connection" : strerror(errno));
			goto fail;
		}
		buf_setlen(&in, in.len + (size_t)k);
	}
	hlen = (size_t)(end - in.p) + 4;
	if (sscanf(in.p, "HTTP/1.%*d %d", &status) != 1)
		status = 0;
	if (status != 101 && status != 200) {
		refused(status, in.p + hlen, id, e);
		goto fail;
	}
	buf_add(extra, in.p + hlen, in.len - hlen);
	/* from here on the stream waits as long as the process runs */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	free(req);
	buf_release(&in);
	return fd;
fail:
	free(req);
	buf_release(&in);
	close(fd);
	return -1;
}
