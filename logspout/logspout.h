#ifndef LOGSPOUT_LOGSPOUT_H
#define LOGSPOUT_LOGSPOUT_H
/*
 * deis-logspout: one per host. Follows Docker's event stream, attaches to the
 * stdout/stderr of every platform app container (labels sh.deis.app,
 * sh.deis.type, sh.deis.num) through GET /containers/<id>/logs?follow=1, and
 * sends each line to the logger as RFC 5424 over TCP with octet counting,
 * APP-NAME <app>, PROCID <type>.<num>, MSGID stdout|stderr.
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

struct ev;

/* What we remember per container id, for as long as the container exists. */
struct cstate {
	char id[65];
	int64_t sent_ns;		/* time of the last line written to the logger; 0 none */
	int64_t queued_ns;		/* time of the last line queued */
	bool attached;			/* a log transfer is running */
	bool gone;			/* destroyed: forget once nothing is queued for it */
	unsigned pending;		/* frames queued for it */
	LIST_ENTRY(cstate) link;
};

struct logspout {
	struct ev *ev;
	const char *docker_sock;
	const char *logger_addr;	/* host:port */
	const char *state_path;		/* NULL: nothing saved */
	char hostname[256];
	size_t high_water, low_water;
	LIST_HEAD(, cstate) states;
	bool state_dirty, stopping;
	uint64_t lines, pieces, dropped_docker;	/* counters */
};

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

/* state.c: per-container states and the state file. */
struct cstate *state_get(struct logspout *ls, const char *id, bool create);
void state_load(struct logspout *ls);
void state_save(struct logspout *ls);
/* Forget gone containers with nothing queued. */
void state_prune(struct logspout *ls);
void state_free_all(struct logspout *ls);

/* attach.c: Docker events, log attachments, the curl multi handle. */
int attach_start(struct logspout *ls);
/* The send queue went below low water: resume paused transfers. */
void attach_resume(struct logspout *ls);
void attach_stop(struct logspout *ls);

#endif
