#ifndef CONTROLLER_JOBS_H
#define CONTROLLER_JOBS_H
/*
 * Worker threads for work that blocks (the scheduler talking to Docker), so
 * the HTTP loop never waits. A job's work() runs on a worker with that
 * worker's own database connection; its done() then runs on the loop thread,
 * where it may touch ctl->db and respond to the request that started it.
 */
#include "lib/err.h"

struct ctl;
struct db;

struct job {
	void (*work)(struct job *j, struct db *db);
	void (*done)(struct job *j);
	void *arg;
	int rc;			/* set by work() */
	struct err e;		/* set by work() when rc < 0 */
	struct job *next;	/* private */
};

/* Start n workers; each opens ctl->db_url. Dies at startup if it cannot. */
struct jobs *jobs_new(struct ctl *ctl, int n);
/* Run j; the caller keeps ownership and frees it in done(). */
void jobs_submit(struct jobs *js, struct job *j);
/* The calling worker thread's database connection (NULL outside workers). */
struct db *jobs_db(void);
/* Run fn(ctl) on the loop thread soon; callable from any thread. */
void jobs_on_loop(struct jobs *js, void (*fn)(struct ctl *ctl));
/* Jobs waiting or running (for tests and status). */
int jobs_pending(struct jobs *js);

#endif
