#ifndef CONTROLLER_SCHEDULER_INT_H
#define CONTROLLER_SCHEDULER_INT_H
/*
 * Private to controller/scheduler: the scheduler object shared by scheduler.c
 * (lifecycle, state table, event thread) and rollout.c (deploy, scale,
 * restart, run, destroy, health checks).
 *
 * Locks: `tmu` guards the table and is only ever held for copies and
 * updates, never across an engine call or a callback. `amu` guards the list
 * of per-app locks. An operation holds its app's lock for its whole duration
 * and takes `tmu` briefly inside it; never the other way round.
 */
#include <pthread.h>

#include "controller/scheduler/driver.h"
#include "controller/scheduler/scheduler.h"

#define SCHED_GONE_MAX 128

/*
 * A Dockerfile image's entrypoint for one-off commands (rollout.c): run with
 * /bin/sh -c, it execs the command line it is given ("bash -c <command>"), or
 * the same with sh where the image has no bash. The command is an argument,
 * never part of this text.
 */
#define SCHED_ONEOFF_SHIM \
	"command -v \"$0\" >/dev/null 2>&1 || exec sh \"$@\"; exec \"$0\" \"$@\""

struct entry {
	struct sched_container c;
	bool owned;		/* created by the scheduler (sched_own): else invisible */
	bool stopping;		/* the scheduler asked it to stop: its death is not a crash */
	bool oom;
	bool died;		/* its last death was not asked for: the next start is a restart */
	unsigned streak;	/* such deaths in a row, each after less than HEAL_STEADY_S up */
	time_t up_at;		/* when it last started */
	double touched;		/* wall time of the last update, for reconcile */
};

struct applock {
	char app[SCHED_APP_MAX];
	pthread_mutex_t mu;
	unsigned refs;
};

struct sched {
	const struct sched_driver *drv;
	void *h;
	char *platform;
	unsigned boot_timeout_ms;
	unsigned stop_timeout_s;
	unsigned run_timeout_ms;
	long long app_memory;	/* bytes, for types without a `deis limits` memory limit */

	sched_state_fn *on_state;
	void *on_state_arg;
	sched_switch_fn *on_switch;
	void *on_switch_arg;
	sched_own_fn *on_own;
	void *on_own_arg;

	pthread_mutex_t tmu;
	struct entry *tab;
	size_t ntab, captab;
	char gone[SCHED_GONE_MAX][SCHED_ID_MAX];	/* ring of ids removed by us */
	char gone_cid[SCHED_GONE_MAX][SCHED_ID_MAX];	/* ... and their containers */
	size_t gone_next;
	char (*owned)[SCHED_ID_MAX];	/* ids the scheduler created, sorted */
	size_t nowned, capowned;

	pthread_mutex_t amu;
	struct applock **locks;
	size_t nlocks;

	pthread_t thread;
	bool thread_started;
	volatile int stop;
	double listed_at;	/* wall time the last reconcile listing began */
};

/* scheduler.c */
double sched_now(void);
/* Apply one observation to the table and tell the callback of any change. */
void sched_observe(const struct sched_obs *o, void *arg);
/* Mark a container as being stopped by us (its death will read `down`). */
void sched_mark_stopping(struct sched *s, const char *id, bool on);
/* Forget a container we removed (reports `destroyed` once). */
void sched_forget(struct sched *s, const char *id);
/*
 * Own id (the scheduler created it): record it through the own callback, then
 * mark it. -1 (e set) when the callback refused.
 */
int sched_own_created(struct sched *s, const struct sched_container *c, struct err *e);
/* Copy of one entry by id; -1 when unknown. */
int sched_entry(struct sched *s, const char *id, struct sched_container *out);
/* Set an entry's name (after a rename). */
void sched_rename_entry(struct sched *s, const char *id, const char *name);
/*
 * Copies of the app's entries (type NULL: every type but `run`; "run": only
 * one-off ones; else that type), sorted by type, num, release.
 */
size_t sched_select(struct sched *s, const char *app, const char *type,
    struct sched_container **out);

void sched_app_lock(struct sched *s, const char *app);
void sched_app_unlock(struct sched *s, const char *app);
/* The app's lock if nobody holds it (then unlock as usual); false at once otherwise. */
bool sched_app_trylock(struct sched *s, const char *app);
/*
 * A container the platform did not record that holds a unit's name: 0 and its
 * id, or -1. Made by a controller killed between the engine's create and its
 * record (a build step cannot choose its name), it would block the name.
 */
int sched_orphan_named(struct sched *s, const char *name, char id[SCHED_ID_MAX]);
/* The entry of unit id, or NULL; the caller holds tmu. */
struct entry *tab_find(struct sched *s, const char *id);

/*
 * heal.c. When heal will start en (dead, not asked for; table locked) again:
 * its death plus the back-off of its streak; 0 when heal will not (the engine
 * restarts it, a one-off, an older release, a driver without revive).
 */
time_t sched_heal_plan(struct sched *s, const struct entry *en);
/* A unit up this long before it dies starts a new streak (Docker's rule too). */
#define HEAL_STEADY_S 10
/*
 * sched_heal() for one app whose lock the caller holds: its dead units of
 * release (0: the app's newest) started again, their back-off past; with now,
 * at once and every unit asked of the engine (one inspect each), whatever the
 * table says. Returns how many were started.
 */
size_t sched_heal_locked(struct sched *s, const char *app, unsigned release, bool now,
    sched_heal_fn *fn, void *arg);

#endif
