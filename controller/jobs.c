#include <pthread.h>
#include <stdlib.h>

#include "controller/controller.h"
#include "controller/db.h"
#include "controller/jobs.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/xalloc.h"

struct jobs {
	struct ctl *ctl;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *queue, **qtail;	/* waiting, FIFO */
	struct job *done;		/* finished, for the loop */
	int pending;
};

static __thread struct db *worker_db;

struct db *
jobs_db(void)
{
	return worker_db;
}

static void
loop_job_work(struct job *j, struct db *db)
{
}

struct loop_job {
	struct job job;
	struct ctl *ctl;
	void (*fn)(struct ctl *ctl);
};

static void
loop_job_done(struct job *j)
{
	struct loop_job *lj = j->arg;

	lj->fn(lj->ctl);
	free(lj);
}

/* Queued straight onto the done list: no worker needed, none can starve it. */
void
jobs_on_loop(struct jobs *js, void (*fn)(struct ctl *ctl))
{
	struct loop_job *lj = xcalloc(1, sizeof(*lj));

	lj->ctl = js->ctl;
	lj->fn = fn;
	lj->job.work = loop_job_work;
	lj->job.done = loop_job_done;
	lj->job.arg = lj;
	pthread_mutex_lock(&js->mu);
	js->pending++;
	lj->job.next = js->done;
	js->done = &lj->job;
	pthread_mutex_unlock(&js->mu);
	ev_wake(js->ctl->ev);
}

static void *
worker(void *arg)
{
	struct jobs *js = arg;
	struct err e = { 0 };
	struct db *db = db_open(js->ctl->db_url, &e);

	if (db == NULL)
		die(111, "worker cannot open database: %s", e.msg);
	worker_db = db;
	for (;;) {
		struct job *j;

		pthread_mutex_lock(&js->mu);
		while (js->queue == NULL)
			pthread_cond_wait(&js->cv, &js->mu);
		j = js->queue;
		js->queue = j->next;
		if (js->queue == NULL)
			js->qtail = &js->queue;
		pthread_mutex_unlock(&js->mu);

		j->rc = 0;
		j->work(j, db);

		pthread_mutex_lock(&js->mu);
		j->next = js->done;
		js->done = j;
		pthread_mutex_unlock(&js->mu);
		ev_wake(js->ctl->ev);
	}
	return NULL;
}

static void
jobs_wake(struct ev *ev, void *arg)
{
	struct jobs *js = arg;
	struct job *list, *next, *rev = NULL;

	pthread_mutex_lock(&js->mu);
	list = js->done;
	js->done = NULL;
	pthread_mutex_unlock(&js->mu);
	/* Finish in completion order. */
	for (; list; list = next) {
		next = list->next;
		list->next = rev;
		rev = list;
	}
	for (; rev; rev = next) {
		next = rev->next;
		pthread_mutex_lock(&js->mu);
		js->pending--;
		pthread_mutex_unlock(&js->mu);
		rev->done(rev);
	}
}

struct jobs *
jobs_new(struct ctl *ctl, int n)
{
	struct jobs *js = xcalloc(1, sizeof(*js));
	int i;

	js->ctl = ctl;
	js->qtail = &js->queue;
	pthread_mutex_init(&js->mu, NULL);
	pthread_cond_init(&js->cv, NULL);
	if (ev_on_wake(ctl->ev, jobs_wake, js) < 0)
		die(111, "cannot create the wake-up event");
	for (i = 0; i < n; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, worker, js) != 0)
			die(111, "cannot start worker thread");
		pthread_detach(t);
	}
	return js;
}

void
jobs_submit(struct jobs *js, struct job *j)
{
	pthread_mutex_lock(&js->mu);
	j->next = NULL;
	*js->qtail = j;
	js->qtail = &j->next;
	js->pending++;
	pthread_cond_signal(&js->cv);
	pthread_mutex_unlock(&js->mu);
}

int
jobs_pending(struct jobs *js)
{
	int n;

	pthread_mutex_lock(&js->mu);
	n = js->pending;
	pthread_mutex_unlock(&js->mu);
	return n;
}
