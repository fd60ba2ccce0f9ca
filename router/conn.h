#ifndef ROUTER_CONN_H
#define ROUTER_CONN_H
/*
 * Client connections, private to the request path:
 *
 *   conn.c      the connection's states and their transitions (conn_fire's
 *               table), its events (socket ready, timeout), accept, close
 *   exchange.c  one request: the head parsed and decided (decide.c), the
 *               router's own answers, the backend picked and retried, the end
 *   relay.c     bytes: client read/write (TLS, PROXY header), the request
 *               body out, the response parsed and relayed, backend read/write
 *   upstream.c  backend connections (router.h): pools, picking, quarantine
 *   accesslog.c the access log line of a finished request
 *
 * A struct client is owned by the worker's client list from accept until
 * conn_close(), which only marks it CS_CLOSED; conn_reap() frees it before
 * the loop sleeps. c->up, when set, belongs to the current exchange; c->table
 * holds a reference for the exchange's duration. Only conn_fire() changes
 * c->state.
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

enum conn_state {
	CS_PROXYHDR,	/* --proxy-protocol: reading the PROXY header (before TLS) */
	CS_HEAD,	/* waiting for a request head */
	CS_CONNECT,	/* backend connect in progress */
	CS_EXCHANGE,	/* forwarding the request, relaying the response */
	CS_TUNNEL,	/* Upgrade or TCP passthrough: bytes both ways */
	CS_LINGER,	/* response written, write side shut, draining input */
	CS_CLOSED,	/* marked for conn_reap(); nothing more happens to it */
};

/* What moves a connection from one state to another (conn.c's table). */
enum conn_event {
	CE_HEADER_READ,		/* the PROXY header is complete */
	CE_CONNECTING,		/* a backend connect is in progress */
	CE_CONNECTED,		/* the backend connection is ready for the request */
	CE_PASSTHROUGH,		/* the builder's connection is ready (TCP passthrough) */
	CE_UPGRADED,		/* the backend answered 101: a tunnel */
	CE_DONE,		/* the exchange is over, the connection may carry the next */
	CE_TUNNEL_END,		/* the backend closed the tunnel: close after the output */
	CE_SHUTDOWN,		/* everything written, our side shut: drain, then close */
	CE_CLOSE,		/* the connection is closed */
};

struct listener {
	int fd;
	enum listener_kind kind;
	int port;
};

struct client {
	int fd, mask;
	enum conn_state state;
	const struct listener *l;
	/* the client: the socket's peer, or the PROXY header's source when it came
	 * from a trusted peer (conn_peer keeps the connection's); per request, the
	 * X-Forwarded-For address when the peer is in --real-ip-from (ip_from_xff) */
	struct sockaddr_storage peer, conn_peer;
	char ip[INET6_ADDRSTRLEN];
	bool ip_from_xff;
	bool fwd_trusted;	/* the peer is a trusted balancer: its X-Forwarded-* count */
	struct buf in, out;
	bool in_eof, close_after;
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

/* conn.c */
/* Apply event ev to c's state (the table in conn.c); a transition not in it is a bug. */
void conn_fire(struct client *c, enum conn_event ev);
static inline bool conn_closed(const struct client *c) { return c->state == CS_CLOSED; }
/* Close c (deferred: freed by conn_reap()); its exchange's backend connection too. */
void conn_close(struct client *c);
/* Write c->out, then what the state says once it is empty (idle, linger, close). */
void conn_flush(struct client *c);
/* Recompute both sockets' epoll masks from the state (see conn.c). */
void conn_update(struct client *c);
/* Take what the client sent (c->in) as c's state says. */
void conn_process(struct client *c);
/* The address of sa as text into out (len bytes), "-" for another family; returns out. */
const char *conn_addr_text(const struct sockaddr_storage *sa, char *out, size_t len);

/* exchange.c */
/* Parse the head in c->in; true when one was consumed (served, forwarded or rejected). */
bool exchange_head(struct client *c);
/* Start a TCP passthrough exchange to the builder; 0 or -1 (none). */
int exchange_passthrough(struct client *c);
/* Pick an endpoint and get a backend connection; 0, or -1 when none is left to try. */
int exchange_connect(struct client *c);
/* The backend failed before answering: another endpoint, or fail (see exchange.c). */
void exchange_retry(struct client *c, bool connect_failed, const char *code);
/* A router-made error response. keep: the connection may stay open afterwards. */
void exchange_respond_error(struct client *c, int status, const char *code, bool keep);
/* The exchange is over: log it, release it, wait for the next head. */
void exchange_end(struct client *c);
/* Abort the exchange; status 0 or a response already started: close the client. */
void exchange_fail(struct client *c, int status, const char *code);
/* Log the finished request (access log, status counters) if it has a status. */
void exchange_log(struct client *c);

/* relay.c */
/* Read what the client sent into c->in (plain or TLS). */
void relay_client_read(struct client *c);
/* Write c->out to the client as far as it goes. */
void relay_client_write(struct client *c);
/* The PROXY header (see relay.c): 1 read whole, 0 more to come, -1 close. */
int relay_proxy_header(struct client *c);
/* Move request body bytes from c->in to the backend, up to the high water mark. */
void relay_request_body(struct client *c);
/* Relay what the backend sent (head, then body) as far as the bytes go. */
void relay_response(struct client *c);
/* Write u->out to the backend; read what it sent. */
void relay_backend_write(struct client *c, struct upconn *u);
void relay_backend_read(struct client *c, struct upconn *u);

/* accesslog.c */
/* Append c's finished request to the worker's buffer. */
void accesslog_add(const struct client *c);

#endif
