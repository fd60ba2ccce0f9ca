#ifndef LOGSPOUT_LOGSPOUT_H
#define LOGSPOUT_LOGSPOUT_H
/*
 * deis-logspout: one per host. Follows Docker's event stream, attaches to the
 * stdout/stderr of every platform app container through
 * GET /containers/<id>/logs?follow=1, and
 * sends each line to the logger as RFC 5424 over TCP with octet counting,
 * APP-NAME <app>, PROCID <type>.<num>, MSGID stdout|stderr.
 *
 * Whose container it is comes from the controller's record of what its
 * scheduler created (GET /v1/internal/containers/<id>), never from labels,
 * which anyone can write (a Dockerfile LABEL reaches build steps): a container
 * the platform did not make is never attached. Without a controller (-c) the
 * sh.deis.app/type/num labels are believed: only for a host where nobody but
 * the operator runs containers (component tests), never on a platform.
 *
 * One thread, one lib/ev.h loop; the Docker transfers run on a libcurl multi
 * handle driven by that loop (attach.c), the logger connection is sender.c.
 *
 * Memory: the send queue is bounded (high water); above it the log transfers
 * are paused, so Docker (which stores the container's output in its log
 * driver) holds the lines meanwhile and apps never block on us. A line is
 * assembled up to SYSLOG_MAX_MSG bytes; a longer one is sent in pieces.
 *
 * Resume: for every container the time of the last line written to the logger
 * socket is kept (and saved to the state file every second); a new attachment
 * asks Docker for lines since then and skips lines not newer.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "lib/buf.h"
#include "lib/docker.h"

struct ev;

/* What we remember per container id, for as long as the container exists. */
struct cstate {
	char id[65];
	int64_t sent_ns;		/* time of the last line written to the logger; 0 none */
	int64_t queued_ns;		/* time of the last line queued */
	bool attached;			/* a log transfer is running */
	bool gone;			/* destroyed: forget once nothing is queued for it */
	bool refused;			/* Docker answered an error: retry on its next start only */
	bool asking;			/* the controller is being asked whose it is */
	bool foreign;			/* the platform did not make it: never attached */
	unsigned tries;			/* "not ours" answers so far (it may be too new) */
	unsigned pending;		/* frames queued for it */
	LIST_ENTRY(cstate) link;
};

struct logspout {
	struct ev *ev;
	const char *docker_sock;
	struct docker *docker;
	const char *logger_addr;	/* host:port */
	const char *logger_key;		/* $DEIS_LOGGER_KEY or NULL: sent first on each connection */
	const char *state_path;		/* NULL: nothing saved */
	const char *controller;		/* base URL: attribution by its record; NULL: by labels */
	const char *internal_token;
	char hostname[256];
	size_t high_water, low_water;
	LIST_HEAD(, cstate) states;
	bool state_dirty, stopping;
	uint64_t lines, pieces, dropped_docker;	/* counters */
};

/* stream.c: Docker's log stream (timestamps=1) to lines; pure, no I/O. */
typedef void lstream_emit_fn(void *arg, int stream, const char *line, size_t len,
    int64_t first_ns, int64_t last_ns);

struct lstream_part {
	struct buf line;		/* bytes of the current line of this stream */
	int64_t first_ns;		/* time of the entry that began it */
};

struct lstream {
	lstream_emit_fn *emit;		/* stream 0 stdout, 1 stderr; line without LF */
	void *arg;
	int64_t skip_upto;		/* entries not newer than this were sent before */
	int mode;			/* 0 unknown, 1 multiplexed, 2 raw (TTY) */
	struct docker_frames frames;
	int stream;
	char ts[48];
	size_t ts_have;
	bool in_ts, skip_entry;
	int64_t entry_ns;
	struct lstream_part out[2];
	uint64_t pieces;		/* long lines sent in SYSLOG_MAX_MSG pieces */
	uint64_t bad_ts;		/* entries without a readable time */
};

/* Lines whose entries are not newer than skip_upto (ns since the epoch) are dropped. */
void lstream_init(struct lstream *s, int64_t skip_upto, lstream_emit_fn *fn, void *arg);
/* Feed bytes as they come, split anywhere; complete lines go to the callback. */
void lstream_feed(struct lstream *s, const char *p, size_t len);
/* The stream ended: emit what is left of unterminated lines. */
void lstream_finish(struct lstream *s);
void lstream_release(struct lstream *s);
/* "2026-11-26T10:36:52.256096123Z" to nanoseconds since the epoch; -1 if it is not one. */
int64_t lstream_parse_ts(const char *s, size_t len);

/* sender.c: the connection to the logger. */
void sender_init(struct logspout *ls);
/* Queue one framed message for c with line time ts_ns. */
void sender_queue(struct logspout *ls, struct cstate *c, int64_t ts_ns, const struct buf *frame);
/* Bytes queued and not yet written. */
size_t sender_queued(void);
bool sender_full(struct logspout *ls);
/* Try to write everything within ms milliseconds (shutdown). */
void sender_flush(struct logspout *ls, int ms);
void sender_free(void);

/* cstate.c: per-container states and the state file. */
struct cstate *cstate_get(struct logspout *ls, const char *id, bool create);
void cstate_load(struct logspout *ls);
void cstate_save(struct logspout *ls);
/* Forget gone containers with nothing queued. */
void cstate_prune(struct logspout *ls);
void cstate_free_all(struct logspout *ls);

/* attach.c: Docker events, log attachments, the curl multi handle. */
int attach_start(struct logspout *ls);
/* The send queue went below low water: resume paused transfers. */
void attach_resume(struct logspout *ls);
/* Once a second: renew log streams Docker may have left behind a rotation. */
void attach_tick(struct logspout *ls);
void attach_stop(struct logspout *ls);

#endif
