#ifndef LOGGER_LOGGER_H
#define LOGGER_LOGGER_H
/*
 * deis-logger: syslog in (TCP octet counting or newlines, UDP), per-app log
 * files with an in-memory tail, an HTTP API to read, follow and delete an
 * app's logs, and drains that forward lines to external syslog endpoints.
 *
 * Everything runs in one thread on one lib/ev.h loop. Memory is bounded by
 * the options below: per-connection frame buffers, per-app tails (evicted
 * least recently used past a global budget), per-drain and per-follower
 * output queues. What does not fit is dropped and counted, never blocked on.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "lib/buf.h"
#include "lib/str.h"

struct ev;
struct httpd;
struct httpd_req;
struct syslog_msg;
struct err;

struct logger_opts {
	const char *dir;		/* log files: <dir>/<app>.log[.N] */
	size_t file_max;		/* rotate past this size; default 16 MiB */
	int history;			/* rotated files kept; default 4 */
	size_t tail_bytes;		/* in-memory tail per app; default 256 KiB */
	size_t tail_budget;		/* all tails together; default 64 MiB */
	size_t frame_max;		/* largest syslog frame; default SYSLOG_MAX_FRAME */
	int max_conns;			/* syslog TCP connections; default 1024 */
	size_t drain_queue;		/* per-drain queue; default 4 MiB */
	size_t follow_queue;		/* per-follower queue; default 4 MiB */
	const char *key;		/* $DEIS_LOGGER_KEY: TCP peers must send it first; no UDP */
};

struct logger_stats {
	uint64_t received;		/* frames and datagrams seen */
	uint64_t stored;		/* lines filed under an app */
	uint64_t malformed;		/* unparseable or unframeable, skipped */
	uint64_t unfiled;		/* parsed but no usable app name */
	uint64_t conns, conns_refused;
	uint64_t unauthenticated;	/* connections closed for a missing or wrong key */
	uint64_t write_errors;		/* failed writes to log files */
	uint64_t follow_dropped;	/* lines not sent to a slow follower */
};

struct store;
struct drain;

struct logger {
	struct ev *ev;
	struct logger_opts o;
	struct logger_stats st;
	struct store *store;
	struct drain *drains;		/* linked through drain->next */
	struct httpd *httpd;
	bool stopping;
};

/*
 * recv.c: one syslog message (a frame or datagram) from a peer. The app is
 * APP-NAME (RFC 3164: the TAG); a "deis-controller" line "INFO [app]: msg"
 * goes to that app with proc deis-controller (Deis's rule). The stored line is
 * "<RFC 3339 UTC time, µs> <app>[<proc>]: <msg>" (proc "1" when none); a
 * message with several lines becomes several stored lines. Unparseable
 * messages count as malformed, those without a usable app name as unfiled.
 */
void logger_ingest(struct logger *lg, const char *p, size_t len);
/* Wall clock in microseconds since the epoch. */
int64_t logger_now_us(void);
/* An app name we file under: [A-Za-z0-9][A-Za-z0-9._-]{0,63}. */
bool logger_valid_app(struct str app);

/* recv.c: syslog listeners. addr is "host:port" ("[v6]:port" or ":port" for any). */
int recv_listen_tcp(struct logger *lg, const char *addr);
int recv_listen_udp(struct logger *lg, const char *addr);
/* Stop accepting and read what connected peers already sent (shutdown). */
void recv_drain_all(struct logger *lg);
/* Free connections closed during this loop iteration (before-sleep hook). */
void recv_before_sleep(void);
/* Resolve "host:port" for a listener or a drain; returns 0 or -1 (logged). */
struct sockaddr_storage;
int recv_resolve(const char *addr, bool passive, int socktype, struct sockaddr_storage *ss,
    unsigned *sslen);

/* store.c: per-app files, tails and followers. */
struct store *store_new(struct logger *lg);
void store_free(struct store *s);
/* Append one formatted line (no LF) to app's log; app must be valid. */
void store_append(struct store *s, struct str app, const char *line, size_t len);
/* Write buffered lines to files (called before the loop sleeps). */
void store_flush(struct store *s);
/*
 * The last n lines of app (n ≥ 1), each ending in LF, appended to out; returns
 * the number of lines. Reads files when the in-memory tail is short.
 */
size_t store_tail(struct store *s, struct str app, size_t n, struct buf *out);
/* Remove app's files and memory; followers stay attached. */
void store_delete(struct store *s, struct str app);
/* Send app's new lines to req (a started stream) until req closes. */
void store_follow(struct store *s, struct str app, struct httpd_req *req);
/* Forget a follower (its stream is finished or its client gone). */
void store_unfollow(struct store *s, struct httpd_req *req);
/* Write what is pending and close the files: the next line reopens them (SIGUSR1, logrotate). */
void store_reopen(struct store *s);
/* Tails in memory and apps known, for /_stats. */
void store_stats(struct store *s, size_t *apps, size_t *tail_bytes);

/* drain.c: forwarders. spec is "[app=](tcp|udp|syslog)://host:port". */
int drain_add(struct logger *lg, const char *spec);
/* Queue m (app and proc already resolved) for every drain that wants app. */
void drain_forward(struct logger *lg, const struct syslog_msg *m);
void drain_free_all(struct logger *lg);
/* JSON array of drains with their counters appended to out. */
void drain_stats(struct logger *lg, struct buf *out);

/* http.c: the API on port 8088. */
int http_start(struct logger *lg, const char *addr, struct err *e);
void http_stats(struct logger *lg, struct buf *out);

#endif
