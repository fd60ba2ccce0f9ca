#ifndef CONTROLLER_JOBS_H
#define CONTROLLER_JOBS_H
/*
 * Worker threads, so the HTTP loop never waits. Two classes: blocking workers
 * for work that waits (the scheduler talking to Docker), each with its own
 * database connection, and CPU workers, one per core, for short work that only
 * computes (password hashing), with a bounded queue so that a flood of it is
 * refused at once instead of piling up. A job's work() runs on a worker; its
 * done() then runs on the loop thread, where it may touch ctl->db and respond
 * to the request that started it.
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

/*
 * Start n blocking workers (each opens ctl->db_url; dies at startup if one
 * cannot) and ncpu CPU workers whose queue holds at most cpu_queue jobs.
 */
struct jobs *jobs_new(struct ctl *ctl, int n, int ncpu, int cpu_queue);
/* Run j on a blocking worker; the caller keeps ownership and frees it in done(). */
void jobs_submit(struct jobs *js, struct job *j);
/* Run j on a CPU worker (its db argument is NULL); -1, nothing queued, when the queue is full. */
int jobs_submit_cpu(struct jobs *js, struct job *j);
/* The calling worker thread's database connection (NULL outside blocking workers). */
struct db *jobs_db(void);
/* Run fn(ctl) on the loop thread soon; callable from any thread. */
void jobs_on_loop(struct jobs *js, void (*fn)(struct ctl *ctl));
/* Jobs waiting or running (for tests and status). */
int jobs_pending(struct jobs *js);

#endif
