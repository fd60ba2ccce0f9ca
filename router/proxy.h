#ifndef ROUTER_PROXY_H
#define ROUTER_PROXY_H
/*
 * Client connections, private to router/proxy.c (the connection: accept,
 * read, write, close, timeouts), router/proxy_request.c (request heads,
 * routing, router-made responses, the end of an exchange) and router/relay.c
 * (the backend side of an exchange: connect and retry, the request body out,
 * the response in).
 *
 * A struct client is owned by the worker's client list from accept until
 * client_close(), which only marks it; proxy_reap() frees it before the loop
 * sleeps. c->up, when set, belongs to the current exchange; c->table holds a
 * reference for the exchange's duration.
 */
#include <arpa/inet.h>
#include <openssl/ssl.h>

#include "router/gzip.h"
#include "router/router.h"

#define HIGH_WATER (256 * 1024)
#define READ_CHUNK 16384
#define UP_READ_CHUNK 65536
#define PIPELINE_MAX 65536
#define LINGER_MS 1000
#define MAX_ATTEMPTS 3
#define HEAD_READ_MAX (65536 + READ_CHUNK)
#define PROXYHDR_MAX (16 + 1024)

enum cstate {
	C_PROXYHDR,	/* --proxy-protocol: reading the PROXY header (before TLS) */
	C_HEAD,		/* waiting for a request head */
	C_CONNECT,	/* backend connect in progress */
	C_EXCHANGE,	/* forwarding the request, relaying the response */
	C_TUNNEL,	/* Upgrade or TCP passthrough: bytes both ways */
	C_LINGER,	/* response written, write side shut, draining input */
};

struct listener {
	int fd;
	enum listener_kind kind;
	int port;
};

struct client {
	int fd, mask;
	enum cstate state;
	const struct listener *l;
	/* the client: the socket's peer, or the PROXY header's source when it came
	 * from a trusted peer (conn_peer keeps the connection's); per request, the
	 * X-Forwarded-For address when the peer is in --real-ip-from (ip_from_xff) */
	struct sockaddr_storage peer, conn_peer;
	char ip[INET6_ADDRSTRLEN];
	bool ip_from_xff;
	bool fwd_trusted;	/* the peer is a trusted balancer: its X-Forwarded-* count */
	struct buf in, out;
	bool in_eof, close_after, dead;
	uint64_t deadline;
	SSL *ssl;		/* NULL for plain HTTP */
	bool tls_read_wants_write, tls_write_wants_read;
	/* the current exchange */
	struct route_table *table;
	struct app *app;
	struct upconn *up;
	struct buf fwd;		/* forwarded head, kept to retry a bodiless request */
	int attempts;
	bool spared;		/* one failed reused connection did not count as an attempt */
	bool got_response;	/* any byte of the response from the backend */
	bool tcp;		/* TCP passthrough */
	enum http1_body req_body;
	uint64_t req_remaining;
	struct http1_chunked req_ch;
	uint64_t body_start, body_bytes;	/* for the minimum upload rate */
	bool req_done, keep_alive, client10, upgrade;
	enum http1_body res_body, res_out;
	uint64_t res_remaining;
	struct http1_chunked res_ch;
	bool res_head_done, res_keep_alive;
	enum gzip_req gz_req;	/* what the request allows (gzip.h) */
	struct gzip *gz;	/* the response body is being compressed */
	/* this exchange's timeouts: the app's, the controller's or the builder's */
	unsigned connect_ms, first_byte_ms, idle_ms;
	uint64_t affinity;	/* FNV-1a of the --affinity-arg value; 0: absent or empty */
	/* for the access log */
	int status;
	const char *code;
	uint64_t t_start, t_up, bytes_out, out_mark;
	char method[16], reqline[256], host[128], referer[128], ua[160], upaddr[64], reqid[72];
	TAILQ_ENTRY(client) entry;
};

extern struct buf proxy_scratch;	/* per-worker scratch for decoded chunks */

/* proxy.c */
void client_close(struct client *c);
void client_flush(struct client *c);
/* Recompute both sockets' epoll masks from the state (see proxy.c). */
void client_update(struct client *c);
/* The address of sa as text into out (len bytes), "-" for another family; returns out. */
const char *proxy_sockaddr_ip(const struct sockaddr_storage *sa, char *out, size_t len);

/* proxy_request.c */
/* Take what the client sent (c->in) as c's state says: parse a head, feed the exchange. */
void client_process(struct client *c);
void access_log(struct client *c);
void respond_error(struct client *c, int status, const char *code, bool keep);
void exchange_end(struct client *c);
/* Abort the exchange; status 0 or a response already started: close the client. */
void exchange_fail(struct client *c, int status, const char *code);

/* relay.c */
/* Pick an endpoint and get a backend connection; 0, or -1 when none is left to try. */
int exchange_connect(struct client *c);
void exchange_retry(struct client *c, bool connect_failed, const char *code);
void exchange_request_body(struct client *c);
void exchange_response(struct client *c);
void upstream_flush(struct client *c, struct upconn *u);

#endif
