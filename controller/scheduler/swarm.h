#ifndef CONTROLLER_SCHEDULER_SWARM_H
#define CONTROLLER_SCHEDULER_SWARM_H
/*
 * The `swarm` driver's two files: swarm.c (service specs, the driver's
 * operations: create, start, stop, remove, rename, run) and swarm_state.c
 * (readings of services and tasks: `list`, `watch`, one service's task).
 * Private to them; the scheduler sees only sched_driver_swarm (driver.h).
 */
#include <pthread.h>

#include "controller/scheduler/driver.h"

/* The node label of the data plane (deisctl's), where app units go once a node has it. */
#define SWARM_DATA_PLANE "deis.dataPlane"

/* One service as a reading saw it. */
struct svc {
	char id[SCHED_ID_MAX];
	char name[SCHED_NAME_MAX];
	char app[SCHED_APP_MAX];
	char type[SCHED_TYPE_MAX];
	unsigned release, num;
	char task[SCHED_ID_MAX];	/* the current task, "" when none */
	char cid[SCHED_ID_MAX];		/* its container, "" when none yet */
	enum sched_state state;
	int exit_code;
	char addr[48];
	double created;
};

struct snap {
	struct svc *v;
	size_t n;
};

struct sw {
	struct docker *d;
	char *platform;
	char *label;		/* "sh.deis.platform=<platform>" */
	uint32_t pool;		/* the apps' networks' subnets (appnet.c) */
	unsigned pool_bits;
	pthread_mutex_t netmu;	/* one app network made at a time: Swarm allows overlaps */
	unsigned pids_limit;
	unsigned boot_timeout_ms;
	unsigned stop_timeout_s;
	json_t *cap_add;
	char *node_label;	/* every unit's constraint node.labels.<it>==true; NULL: none */
	volatile int poke;	/* we changed something: watch reads again at once */
	pthread_mutex_t mu;	/* guards last */
	struct snap last;	/* the latest reading, where watch goes on from */
	sched_obs_fn *fn;	/* the observer list was given: start reports to it too */
	void *fn_arg;
};

/*
 * The service spec of unit u named name, on u's app network; caller owns it.
 * NULL and e filled on a bad unit (a tag Swarm's constraints cannot hold).
 */
json_t *swarm_spec(struct sw *k, const struct sched_unit *u, const char *name, struct err *e);
/*
 * The driver's `list`: one reading, each service reported as SCHED_OBS_EXISTS;
 * the reading is kept as where swarm_watch() goes on from.
 */
int swarm_list(void *h, sched_obs_fn *fn, void *arg, struct err *e);
/* The driver's `watch`: poll and report the difference from the previous reading. */
int swarm_watch(void *h, double since, sched_obs_fn *fn, void *arg, volatile int *stop,
    struct err *e);
/*
 * The current task of service id: its state word into st (a copy), exit
 * status, and address when running. -1 on an engine error (404: no such
 * service). err (errsz bytes) gets the task's error message when not NULL,
 * cid its container's id ("" when none yet) when not NULL.
 */
int swarm_svc_task(struct sw *k, const char *id, char st[32], int *code, char addr[48],
    char cid[SCHED_ID_MAX], char *err, size_t errsz, struct err *e);
/* Whether st is one of the words of the NULL-terminated set. */
bool swarm_state_in(const char *st, const char *const *set);
/* The task states that are final ("complete", "failed", ...), NULL-terminated. */
extern const char *const swarm_ended[];

#endif
