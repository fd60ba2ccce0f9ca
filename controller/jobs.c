#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "controller/controller.h"
#include "controller/db.h"
#include "controller/jobs.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/xalloc.h"

/* Jobs waiting for one class of workers, FIFO. */
struct queue {
	pthread_cond_t cv;
	struct job *head, **tail;
	int len, max;		/* max 0: unbounded */
};

struct jobs {
	struct ctl *ctl;
	pthread_mutex_t mu;
	struct queue blocking, cpu;
	struct job *done;		/* finished, for the loop */
	int pending;
};

struct worker_arg {
	struct jobs *js;
	struct queue *q;
	bool with_db;
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
	struct worker_arg *wa = arg;
	struct jobs *js = wa->js;
	struct queue *q = wa->q;
	struct err e = { 0 };
	struct db *db = NULL;

	if (wa->with_db && (db = db_open(js->ctl->db_url, &e)) == NULL)
		die(111, "worker cannot open database: %s", e.msg);
	free(wa);
	worker_db = db;
	for (;;) {
		struct job *j;

		pthread_mutex_lock(&js->mu);
		while (q->head == NULL)
			pthread_cond_wait(&q->cv, &js->mu);
		j = q->head;
		q->head = j->next;
		if (q->head == NULL)
			q->tail = &q->head;
		q->len--;
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

static void
workers_start(struct jobs *js, struct queue *q, int n, bool with_db)
{
	int i;

	for (i = 0; i < n; i++) {
		struct worker_arg *wa = xcalloc(1, sizeof(*wa));
		pthread_t t;

		wa->js = js;
		wa->q = q;
		wa->with_db = with_db;
		if (pthread_create(&t, NULL, worker, wa) != 0)
			die(111, "cannot start worker thread");
		pthread_detach(t);
	}
}

static void
queue_init(struct queue *q, int max)
{
	pthread_cond_init(&q->cv, NULL);
	q->head = NULL;
	q->tail = &q->head;
	q->max = max;
}

struct jobs *
jobs_new(struct ctl *ctl, int n, int ncpu, int cpu_queue)
{
	struct jobs *js = xcalloc(1, sizeof(*js));

	js->ctl = ctl;
	pthread_mutex_init(&js->mu, NULL);
	queue_init(&js->blocking, 0);
	queue_init(&js->cpu, cpu_queue);
	if (ev_on_wake(ctl->ev, jobs_wake, js) < 0)
		die(111, "cannot create the wake-up event");
	workers_start(js, &js->blocking, n, true);
	workers_start(js, &js->cpu, ncpu, false);
	return js;
}

/* Queue j on q; -1 (nothing queued) when q is full. */
static int
enqueue(struct jobs *js, struct queue *q, struct job *j)
{
	pthread_mutex_lock(&js->mu);
	if (q->max && q->len >= q->max) {
		pthread_mutex_unlock(&js->mu);
		return -1;
	}
	j->next = NULL;
	*q->tail = j;
	q->tail = &j->next;
	q->len++;
	js->pending++;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&js->mu);
	return 0;
}

void
jobs_submit(struct jobs *js, struct job *j)
{
	enqueue(js, &js->blocking, j);
}

int
jobs_submit_cpu(struct jobs *js, struct job *j)
{
	return enqueue(js, &js->cpu, j);
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
