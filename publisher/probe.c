#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "lib/buf.h"
#include "publisher/publisher.h"

enum probe_res
probe_tcp(const char *ip, int port, unsigned timeout_ms)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct pollfd p;
	int fd, err = 0, n;
	socklen_t el = sizeof(err);
	enum probe_res r = PROBE_DOWN;

	if (inet_pton(AF_INET, ip, &sin.sin_addr) != 1)
		return PROBE_DOWN;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return PROBE_DOWN;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
		r = PROBE_OK;
	} else if (errno == EINPROGRESS) {
		p.fd = fd;
		p.events = POLLOUT;
		n = poll(&p, 1, (int)timeout_ms);
		if (n == 0)
			r = PROBE_BUSY;
		else if (n == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0)
			r = PROBE_OK;
	}
	close(fd);
	return r;
}

static size_t
discard(char *p, size_t sz, size_t n, void *arg)
{
	return sz * n;
}

enum probe_res
probe_http(const char *ip, int port, const char *path, unsigned timeout_ms)
{
	CURL *c = curl_easy_init();
	struct buf url = BUF_INIT;
	long status = 0;
	CURLcode rc;

	if (c == NULL)
		return PROBE_DOWN;
	buf_addf(&url, "http://%s:%d%s%s", ip, port, path[0] == '/' ? "" : "/", path);
	curl_easy_setopt(c, CURLOPT_URL, url.p);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	if ((rc = curl_easy_perform(c)) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	buf_release(&url);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return PROBE_BUSY;
	return status == 200 ? PROBE_OK : PROBE_DOWN;
}
