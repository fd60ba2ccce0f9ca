#ifndef ROUTER_ROUTER_H
#define ROUTER_ROUTER_H
/*
 * deis-router: private interfaces between its files.
 *
 *   main.c      flags, the parent (worker supervision, route watch), the worker loop
 *   routes.c    the route table: decode, validate, look up, snapshot on disk
 *   watch.c     the controller's route stream (a thread of the parent)
 *   conn.c      a client connection's states and transitions, its events, timeouts
 *   exchange.c  one request: head parsed, decided, answered or forwarded, retried, ended
 *   decide.c    where a parsed request goes (pure: route, whitelist, redirect, limits)
 *   relay.c     bytes: client and backend sockets, request body out, response in
 *   conn.h      struct client and the interfaces of the five files above
 *   upstream.c  backend connections: pick, connect, keep-alive pools, quarantine
 *   accesslog.c the access log, buffered per worker
 *   logfile.c   a log file its writers rotate by size
 *   headers.c   building the forwarded request head and the relayed response head
 *   tls.c       the HTTPS listener: contexts, SNI
 *   proxyproto.c the PROXY protocol header (v1, v2)
 *   stats.c     shared counters for /router-nginx-status
 *   gzip.c      response compression: the decision and streaming deflate (gzip.h)
 *
 * Processes: one parent that never touches client traffic, and N workers, each
 * with its own epoll loop, listeners (SO_REUSEPORT), table and pools. The parent
 * writes each new table to the snapshot file and sends SIGHUP to the workers,
 * which load it and swap it in atomically.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "lib/buf.h"
#include "lib/cidr.h"
#include "lib/http1.h"
#include "lib/str.h"

struct ev;

/* ---- configuration (main.c), read-only after startup ---- */

enum listener_kind {
	LISTEN_HTTP,	/* the routed HTTP port (80) */
	LISTEN_HEALTH,	/* health only: /health-check 200, everything else 404 (9090) */
	LISTEN_TCP,	/* raw TCP passthrough to the builder (2222) */
	LISTEN_HTTPS,	/* TLS, then as LISTEN_HTTP (443) */
};

struct listen_spec {
	enum listener_kind kind;
	char addr[128];		/* "host:port" */
};

struct router_conf {
	struct listen_spec listen[8];
	int nlisten;
	int workers;
	const char *routes_file;	/* snapshot, may be NULL */
	const char *controller_url;	/* watch source, may be NULL */
	char *internal_token;
	uint64_t body_max;		/* 413 beyond this; 0: unlimited */
	unsigned connect_ms, first_byte_ms, idle_ms, header_ms, keepalive_ms;
	/* the controller's route and the builder's TCP passthrough: Deis's own timeouts */
	unsigned ctl_connect_ms, ctl_read_ms, ctl_send_ms, builder_connect_ms, builder_tcp_ms;
	unsigned watch_ms;	/* --watch-timeout: silence that ends the route stream */
	unsigned quarantine_ms;
	int max_conns;			/* per worker */
	int pool_max;			/* idle keep-alive connections per backend, per worker */
	const char *access_log;		/* "stdout", "off" or a file path */
	uint64_t access_log_max_size;	/* a file's rotation size; 0: never */
	int access_log_max_files;	/* files kept, the current one included */
	const char *tls_cert, *tls_key;	/* platform certificate (PEM files), may be NULL */
	unsigned hsts_max_age;		/* Strict-Transport-Security on HTTPS; 0: off */
	bool enforce_https;		/* 301 plain HTTP app requests to https:// */
	bool least_conn;		/* balance by fewest active connections, not round robin */
	unsigned body_min_rate;		/* bytes/s a request body must average after header_ms; 0: off */
	bool proxy_protocol;		/* a PROXY header (v1/v2) starts every HTTP(S) connection */
	struct cidr *real_ip_from;	/* --real-ip-from: peers trusted for the client address */
	size_t nreal_ip_from;
	const char *affinity_arg;	/* --affinity-arg: query argument for sticky endpoints */
	bool status;			/* --status: /router-nginx-status on the default server */
	bool hsts_subdomains, hsts_preload;	/* HSTS directives */
	struct cidr *controller_allow;	/* --controller-whitelist */
	size_t ncontroller_allow;
	bool controller_restricted;	/* --controller-whitelist given non-empty */
	bool enforce_whitelist;		/* no whitelist: nobody is allowed */
};
extern struct router_conf conf;

/* ---- route table (routes.c) ---- */

struct endpoint {
	struct sockaddr_storage sa;
	socklen_t salen;
	char addr[64];		/* as given: "ip:port" */
	char container[80];	/* docker id, part of the pool key */
};


/*
 * A PROXY protocol header (v1 text or v2 binary) at the start of p[0..len).
 * Returns its length (> 0) when complete and valid, 0 when more bytes are
 * needed, -1 when p does not start with a valid header. src gets the client's
 * address, or AF_UNSPEC for "UNKNOWN", v2 LOCAL, UNSPEC and unix addresses
 * (keep the socket's). (proxyproto.c)
 */
int proxyproto_parse(const uint8_t *p, size_t len, struct sockaddr_storage *src);

/* FNV-1a of p[0..n) continuing from h (ROUTER_HASH_SEED to start): host slots,
 * affinity values and keys, status slots. (routes.c) */
#define ROUTER_HASH_SEED 1469598103934665603ULL
uint64_t router_hash(const char *p, size_t n, uint64_t h);

struct app {
	char *name;
	struct endpoint *ep;
	size_t nep;
	unsigned rr;		/* round-robin cursor */
	struct cidr *allow;	/* whitelist, used when restricted */
	size_t nallow;
	bool restricted;	/* a whitelist was given (even if no entry parsed) */
	unsigned timeout_ms;	/* first-byte timeout; 0: the default */
	int stat_slot;		/* stats.c's slot + 1; 0: not looked up yet, -1: none */
};

struct route_table {
	int refs;
	int64_t version;
	char *domain;
	struct app *apps;	/* apps[0] is the controller ("deis") */
	size_t napps;
	struct endpoint builder;
	bool has_builder;
	/* certificates from the controller, by server name ("*.d" for a wildcard) */
	struct table_cert { char *host; struct ssl_ctx_st *ctx; } *certs;
	size_t ncerts;
	/* host (lower case, no port, no trailing dot) -> app index; open addressing */
	struct host_slot { char *host; size_t app; } *slots;
	size_t nslots;
};

/*
 * Decode a table from JSON text. Returns a table with one reference (release
 * with routes_unref()), or NULL with *why set to a static or e->msg message.
 * Endpoints whose address does not resolve are dropped with a warning.
 */
struct route_table *routes_parse(const char *json, size_t len, char *why, size_t whylen);
/* Read a snapshot file; NULL if absent or invalid (why says which). */
struct route_table *routes_load(const char *path, char *why, size_t whylen);
/* Write json to path atomically (tmp file, fsync, rename). Returns 0 or -1. */
int routes_save(const char *path, const char *json, size_t len);
void routes_ref(struct route_table *t);
void routes_unref(struct route_table *t);
/*
 * The app for a Host value (any case, optional port, optional trailing dot), or
 * NULL. The controller is returned for "deis.<domain>".
 */
struct app *routes_lookup(struct route_table *t, struct str host);
/* Whether the client address is allowed by app's whitelist. */
bool routes_allowed(const struct app *a, const struct sockaddr_storage *peer);

/* ---- where a request goes (decide.c) ---- */

enum decide_kind {
	DECIDE_FORWARD,		/* to the app's endpoints */
	DECIDE_HEALTH,		/* 200 "OK" (/health-check) */
	DECIDE_STATUS,		/* 200, the counters (/router-nginx-status with --status) */
	DECIDE_REDIRECT,	/* 301 to https://<redirect_host><path> (--enforce-https) */
	DECIDE_ERROR,		/* a router-made error page */
};

struct decide_in {
	const struct http1_request *req;
	const char *body;		/* body bytes that came with the head */
	size_t body_len;
	enum listener_kind listener;
	struct route_table *table;	/* NULL: no routes yet */
	const struct sockaddr_storage *peer;	/* the client (after --real-ip-from) */
	bool tls;			/* the connection is HTTPS */
	bool fwd_trusted;		/* the peer's X-Forwarded-Proto is believed */
};

struct decision {
	enum decide_kind kind;
	int status;			/* every kind but FORWARD */
	const char *code;		/* ERROR: the router code (static), or NULL */
	bool keep;			/* ERROR: the connection may stay open */
	bool drop_input;		/* ERROR: what follows the head is bad: discard it */
	struct app *app;		/* the routed app (FORWARD, REDIRECT, some ERRORs), or NULL */
	struct str redirect_host;	/* REDIRECT: the Host value without its port */
	unsigned connect_ms, first_byte_ms, idle_ms;	/* FORWARD: this exchange's timeouts */
	uint64_t affinity;		/* FORWARD: --affinity-arg value's hash; 0: none */
};

/*
 * Decide what to do with a parsed request head. Pure: reads rc, in and the
 * table, changes nothing, so it is tested without sockets. d->app points into
 * in->table, which the caller keeps referenced while it uses it.
 */
void decide_request(const struct router_conf *rc, const struct decide_in *in, struct decision *d);

/* ---- counters for the status page (stats.c) ---- */

/*
 * The shared counters, mapped by the parent before forking (--status); 0 or
 * -1. Without it every stats_* call does nothing.
 */
int stats_init(int nworkers);
/* In worker id, before serving: select its block, reset its active gauge. */
void stats_worker_start(int id);
/* An accepted connection; handled: kept (not refused by --max-conns or draining). */
void stats_accept(bool handled);
/* A handled connection freed. */
void stats_close(void);
void stats_bytes(uint64_t in, uint64_t out);
/* A finished request with its status, for the app (NULL: none, e.g. unknown host). */
void stats_response(struct app *a, int status);
/* Append the page: the sum over the workers, as JSON. */
void stats_json(struct buf *out);

/* ---- the access log (accesslog.c) ---- */

/*
 * Where the lines go: "stdout", "off" (or NULL) or a file path, opened for
 * appending (created 0644) and rotated by size (logfile.c) past max_size bytes
 * (0: never), keeping max_files files (2..LOGFILE_MAX_FILES). The parent calls
 * it once to check the destination, then accesslog_close(); each worker calls
 * it again when it starts, so that each has its own description of the file.
 * 0, or -1 with errno set.
 */
int accesslog_open(const char *dest, uint64_t max_size, int max_files);
void accesslog_close(void);
bool accesslog_enabled(void);
/* Write what this worker has buffered, whole lines only (the before-sleep hook, exit). */
void accesslog_flush(void);

/* ---- a log file rotated by its writers (logfile.c) ---- */

#define LOGFILE_MAX_FILES 100

struct logfile {
	int fd;
	char *path;		/* owned */
	uint64_t max_size;	/* rotate before a write would pass it; 0: never */
	int max_files;		/* PATH and PATH.1 .. PATH.(max_files-1) */
	unsigned rotations;	/* done by this writer (tests) */
};

/*
 * Open path for appending (created 0644). 0, or -1 with errno set (EINVAL: max_files out of
 * 2..LOGFILE_MAX_FILES). Release with logfile_close().
 */
int logfile_open(struct logfile *lf, const char *path, uint64_t max_size, int max_files);
/*
 * Append p[0..n) (whole lines) in one write: first, when it would take the file past max_size
 * or the file was removed, rotate or reopen as the header of logfile.c says. Any number of
 * writers, each with its own struct logfile, may share one path. 0, or -1 when the write failed.
 */
int logfile_write(struct logfile *lf, const char *p, size_t n);
void logfile_close(struct logfile *lf);

/* ---- upstream connections (upstream.c) ---- */

struct client;

struct upconn {
	int fd;
	int mask;
	struct uphost *host;
	struct client *c;	/* NULL while idle in the pool */
	struct buf in, out;
	bool connecting;
	bool reused;		/* came from the pool: may have been closed by the peer */
	bool dead;
	bool pooled;		/* in host->idle */
	uint64_t idle_since;
	TAILQ_ENTRY(upconn) pool_entry;
	TAILQ_ENTRY(upconn) dead_entry;
};

struct uphost {
	char key[160];		/* addr + "/" + container */
	struct sockaddr_storage sa;
	socklen_t salen;
	uint64_t quarantine_until;
	int nidle, nactive;
	TAILQ_HEAD(, upconn) idle;
	struct uphost *next;	/* hash chain */
};

/* Per-worker state: the loop, the table, the pools. */
struct worker {
	struct ev *ev;
	struct route_table *table;
	int id;
	bool draining;
	uint64_t rng;
	TAILQ_HEAD(, client) clients;
	TAILQ_HEAD(, client) dead_clients;
	TAILQ_HEAD(, upconn) dead_ups;
	struct uphost **hosts;
	size_t nhostbuckets;
	int nclients;
};
extern struct worker W;

void upstream_init(void);
struct uphost *upstream_host(const struct endpoint *ep);
bool upstream_quarantined(const struct uphost *h);
void upstream_quarantine(struct uphost *h);
/*
 * An idle pooled connection to h, or a new non-blocking one (connect in
 * progress). The connection belongs to c until upstream_release(). NULL with
 * errno set if the socket could not even be created or connect failed at once.
 */
struct upconn *upstream_get(struct uphost *h, struct client *c);
/*
 * The endpoint for the next attempt at app a (which has endpoints): by the
 * affinity key kh (rendezvous hashing) when not 0, else --balance; quarantined
 * ones only when every one is. *hp gets its host.
 */
struct endpoint *upstream_pick(struct app *a, uint64_t kh, struct uphost **hp);
/* Give u back: to the pool when reusable, otherwise closed (deferred). */
void upstream_release(struct upconn *u, bool reusable);
/* Mark u to be closed in the before-sleep hook. */
void upstream_close(struct upconn *u);
void upstream_set_mask(struct upconn *u, int mask);
/* Close idle connections older than the keep-alive limit; before-sleep reaping. */
void upstream_sweep(uint64_t now);
void upstream_reap(void);

/* ---- client connections (conn.c; the request path's own interfaces: conn.h) ---- */

struct listener;
/* A listening socket's handler argument (owned by the worker for its life). */
struct listener *conn_listener_new(int fd, enum listener_kind kind, int port);
/* The listening socket's handler: accept what is queued. */
void conn_accept(struct ev *ev, int fd, int mask, void *arg);
/* Event from the backend side of u's client's current exchange. */
void conn_upstream_event(struct upconn *u, int mask);
/* Deadlines: every client whose deadline passed (the worker's timer). */
void conn_sweep(uint64_t now);
/* Free the clients closed since the last call (before sleeping). */
void conn_reap(void);
/* Close idle keep-alive clients (graceful stop). */
void conn_drain(void);

/* ---- TLS (tls.c) ---- */

struct ssl_st;
/* The worker's base context (platform certificate, SNI callback). 0 or -1. */
int tls_init(void);
/* A server-side SSL for an accepted fd; NULL on failure. Free with SSL_free(). */
struct ssl_st *tls_new(int fd);
/* A context for one PEM certificate (chain) and key; NULL with why set. */
struct ssl_ctx_st *tls_ctx_from_pem(const char *cert, const char *key, char *why, size_t whylen);
void tls_ctx_free(struct ssl_ctx_st *ctx);

/* ---- heads (headers.c) ---- */

struct fwd_info {
	const char *client_ip;
	int listen_port;
	const char *proto;	/* "http" / "https" */
	struct str request_id;	/* chosen id */
	uint64_t start_ms;	/* wall clock, for X-Request-Start */
	bool chunked;		/* the body is re-framed as chunked */
	bool upgrade;
	bool keep_xff;		/* extend the request's X-Forwarded-For (a trusted peer's) */
};

/* Append the head to forward for req (origin-form, hop-by-hop removed). */
void headers_forward_request(struct buf *out, const struct http1_request *req,
    const struct fwd_info *fi);
/*
 * Append the head to send the client for res. framing: the body framing the
 * client will see (LENGTH, CHUNKED, EOF or NONE); keep_alive: whether the
 * client connection stays open. gzip_mode (enum gzip_mode, router/gzip.h):
 * GZIP_VARY adds Vary: Accept-Encoding (with --gzip-vary); GZIP_COMPRESS also
 * drops Content-Length, adds Content-Encoding: gzip and makes a strong ETag weak.
 */
void headers_relay_response(struct buf *out, const struct http1_response *res,
    enum http1_body framing, bool keep_alive, bool client10, bool tunnel, const char *extra,
    int gzip_mode);
/* A complete router-made response (HTML body). */
void headers_error(struct buf *out, int status, const char *code, bool keep_alive,
    const char *request_id);
/* Whether v is an acceptable incoming X-Request-Id. */
bool headers_request_id_ok(struct str v);

#endif
