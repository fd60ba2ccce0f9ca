#ifndef CONTROLLER_SCHEDULER_H
#define CONTROLLER_SCHEDULER_H
/*
 * The scheduler: runs an app's releases as containers and knows their state.
 *
 * Naming and labels (Deis v1): a container is "<app>_v<N>.<type>.<num>", e.g.
 * "go_v2.web.1"; one-off containers have type "run". Every container carries
 * the labels sh.deis.platform=<platform id> (the mark of a container this
 * platform manages), sh.deis.app, sh.deis.release ("v<N>"), sh.deis.type and
 * sh.deis.num. The environment given at create is the release's config values
 * plus PORT=5000, DEIS_APP, DEIS_RELEASE=v<N> and GIT_SHA: a config change
 * never rebuilds an image.
 *
 * Threads. Calls marked BLOCKS talk to the container engine and may take as
 * long as a deploy (the boot deadline plus up to 10 s of stopping): call them
 * from worker threads, never from the controller's HTTP event loop. Calls on
 * one app are serialised (a per-app lock): a scale waits for a deploy of the
 * same app to finish. sched_list(), sched_get() and sched_state_name() never
 * block on the engine (a mutex held for a table copy): they may be called from
 * the event loop.
 *
 * State. sched_start() lists the platform's containers once, then a thread
 * follows the engine's event stream and keeps an in-memory table; listing
 * reads that table only. When the stream breaks (engine restart), the thread
 * reconnects and lists again.
 *
 * Errors reach users: blocking operations fill struct err with code 503 and
 * the Deis wording ("aborting, app containers failed to respond to health
 * check", "aborting, failed to create some containers") or 400/404 for a bad
 * request; details go to the log at warn level.
 *
 * Crash handling: app containers get Docker's "on-failure" restart policy
 * (unlimited retries, Docker's own exponential back-off from 100 ms up to
 * 1 min), so a crashed process comes back without the controller; the
 * table shows `crashed` between its death and its next start, and the state
 * callback lets the controller log each crash. A container stopped by
 * `docker stop/kill` from outside is not restarted by Docker (its manual-stop
 * rule) and stays `crashed` (non-zero exit) or `down` (exit 0).
 */
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/err.h"

/* Deis v1 container states (sched_state_name() gives the API word). */
enum sched_state {
	SCHED_CREATED,		/* exists, never started or not yet up */
	SCHED_UP,		/* running */
	SCHED_DOWN,		/* stopped on purpose (exit 0 or stopped by the scheduler) */
	SCHED_CRASHED,		/* died on its own with a non-zero status */
	SCHED_DESTROYED,	/* removed (reported once to the callback, then forgotten) */
	SCHED_ERROR,		/* the engine says dead/removal failed */
};

#define SCHED_PORT 5000
/*
 * Memory of an app container without a `deis limits` limit (Deis had none: one
 * app could take the host's memory from all others). Swap is off (the memory
 * limit is also the memory+swap limit) on the docker driver.
 */
#define SCHED_APP_MEMORY_DEFAULT (1LL << 30)
#define SCHED_ID_MAX 65
#define SCHED_APP_MAX 64	/* app ids: [a-z0-9-]{1,63} */
#define SCHED_TYPE_MAX 64	/* process types: [a-z][a-z0-9_-]{0,62} */
#define SCHED_NAME_MAX 192
#define SCHED_IMAGE_ID_MAX 80	/* "sha256:<64 hex>" */

struct sched_kv {
	const char *key;
	const char *value;
};

/*
 * What a release runs. Everything is borrowed for the duration of the call
 * that takes it; nothing is kept.
 *
 * Command of a process type (docs/internal-api.md): buildpack build (dockerfile
 * false): the image's entrypoint is the runner, command ["start", "<type>"].
 * Dockerfile or image build: type "cmd" runs the image's own CMD; any other
 * type runs "/bin/sh -c <procfile[type]>". A type missing from the procfile
 * is a 400 error, except "cmd" for Dockerfile builds.
 */
struct sched_release {
	const char *app;
	unsigned version;		/* N of v<N>, ≥ 1 */
	const char *image;		/* full reference, e.g. "127.0.0.1:5000/myapp:git-1a2b3c4d" */
	const char *git_sha;		/* may be NULL */
	bool dockerfile;
	const struct sched_kv *procfile;	/* type → command */
	size_t nprocfile;
	const struct sched_kv *config;	/* config values → environment */
	size_t nconfig;
	const struct sched_kv *memory;	/* type → limit "512M" (B, K, M, G, KB, MB, GB; case-insensitive) */
	size_t nmemory;
	const struct sched_kv *cpu;	/* type → CPU shares "0".."1024" */
	size_t ncpu;
	const struct sched_kv *tags;	/* placement constraints (swarm driver) */
	size_t ntags;
};

/* One entry of an app's structure: type → number of containers. */
struct sched_scale {
	const char *type;
	unsigned count;
};

/* A container as the table knows it (a copy; the caller owns it). */
struct sched_container {
	char id[SCHED_ID_MAX];		/* the unit's engine id: container (docker), service (swarm) */
	char cid[SCHED_ID_MAX];		/* the container running it now ("" when none known) */
	char name[SCHED_NAME_MAX];
	char app[SCHED_APP_MAX];
	char type[SCHED_TYPE_MAX];
	unsigned release;
	unsigned num;
	enum sched_state state;
	int exit_code;		/* of the last death, when crashed or down */
	unsigned crashes;	/* deaths not asked for since the scheduler saw it */
	unsigned restarts;	/* started again after such a death (by the engine or by heal) */
	bool restarting;	/* dead, and the engine's restart policy starts it again */
	time_t next_start;	/* dead, and the scheduler's heal starts it at this time; else 0
				 * (filled in listings and state changes, not kept in the table) */
	time_t created;		/* first seen (engine's create time when known) */
	time_t updated;		/* last state change */
	char addr[48];		/* "IP:5000" once started, else "" */
};

struct sched_config {
	const char *driver;		/* "docker" (default when NULL) */
	const char *docker_sock;	/* NULL: $DOCKER_HOST or /var/run/docker.sock */
	const char *platform;		/* value of sh.deis.platform; NULL: "deis" */
	/*
	 * Docker network of every app's containers (docker driver without
	 * app_subnets); NULL: "bridge". Never "host". The swarm driver refuses it
	 * (a network per app, always).
	 */
	const char *network;
	unsigned boot_timeout_ms;	/* deadline for new containers to become healthy; 0: 60000 */
	unsigned stop_timeout_s;	/* SIGTERM→SIGKILL grace when stopping; 0: 10 */
	unsigned pids_limit;		/* 0: 512 */
	unsigned run_timeout_ms;	/* bound on `deis run`; 0: 1200000 (Deis: 1200 s) */
	long long app_memory;		/* memory of a container whose type has no `deis limits` one; 0: 1 GiB */
	const char *const *cap_add;	/* NULL-terminated capabilities kept after dropping ALL; NULL: none */
	/*
	 * One network per app, subnets from this pool ("a.b.c.d/n"). docker
	 * driver: these platform containers connected to each (NULL-terminated);
	 * NULL: every app on `network`. swarm driver: NULL is SCHED_APPNET_POOL
	 * (driver.h); the peers are not used (units answer at node addresses).
	 */
	const char *app_subnets;
	const char *const *app_peers;
	/* the platform's registry and the credentials its images are pulled with; NULL: none */
	const char *registry, *registry_user, *registry_password;
	/*
	 * swarm driver: every unit only on nodes carrying this label =true (deisctl
	 * gives "deis.dataPlane": apps never on control-plane or router-only nodes),
	 * in addition to the app's tags; NULL or "": anywhere.
	 */
	const char *node_label;
};

/*
 * Told of every state change: c is the new state (a copy, valid for the call),
 * old the previous one (SCHED_DESTROYED for a container just seen). Called from
 * the event thread or from the thread running an operation, with no scheduler
 * lock held; it must not block and must not call blocking sched_* functions
 * (sched_list/sched_get are fine).
 */
typedef void sched_state_fn(const struct sched_container *c, enum sched_state old, void *arg);

struct sched;

/*
 * Make a scheduler with the driver cfg->driver. Nothing is contacted. Returns
 * NULL and fills e (code 400) for an unknown driver or a bad config. Free with
 * sched_free() (accepts NULL), which stops the event thread (within about
 * 1 s); call it only once every blocking call on s has returned.
 */
struct sched *sched_new(const struct sched_config *cfg, struct err *e);
void sched_free(struct sched *s);

/* Set before sched_start(); fn may be NULL. */
void sched_on_state(struct sched *s, sched_state_fn *fn, void *arg);

/*
 * Identity. The table holds every container the engine shows with the
 * platform's labels, but only units the scheduler itself created are the
 * platform's: they alone are listed, counted, selected, found by sched_find()
 * and told to the state callback. Labels are data anyone can write (a
 * Dockerfile LABEL reaches the daemon's build-step containers); an engine id
 * is not. The own callback makes this survive restarts: it is called on the
 * operation's thread when the scheduler has created a unit (own true: record
 * c->id; return -1 when it cannot, and the unit is removed and the operation
 * fails) and when it has removed one (own false; the result is ignored). At
 * startup, before sched_start(), sched_own() marks each recorded id.
 */
typedef int sched_own_fn(const struct sched_container *c, bool own, void *arg);
void sched_on_own(struct sched *s, sched_own_fn *fn, void *arg);
void sched_own(struct sched *s, const char *id);
/* Non-blocking: whether the scheduler recently removed the unit run by container cid. */
bool sched_removed(struct sched *s, const char *cid);
/* Non-blocking: whether id is a unit of the platform the engine still has. */
bool sched_owns(struct sched *s, const char *id);
/*
 * After sched_start(), for a controller upgraded from one that kept no
 * record: own every unit in the table whose engine name is the one the
 * scheduler gives its labels ("<app>_v<N>.<type>.<num>"), which a build step
 * cannot choose. Copies of them into *out (caller frees), their number
 * returned. The own callback is not called: the caller records them.
 */
size_t sched_adopt_named(struct sched *s, struct sched_container **out);
/*
 * Non-blocking: the platform's unit whose container is cid (a Docker container
 * id as a publisher reports it). 0 and *out filled, or -1.
 */
int sched_find(struct sched *s, const char *cid, struct sched_container *out);

/*
 * Called by sched_deploy() on the operation's thread once the new release's
 * containers are healthy and before the old ones are stopped (also when there
 * are none: a first deploy): the moment to move traffic to the new ones. It may block (keep it bounded: the app's lock
 * is held). Set before sched_start(); fn may be NULL.
 */
typedef void sched_switch_fn(const char *app, unsigned release, void *arg);
void sched_on_switch(struct sched *s, sched_switch_fn *fn, void *arg);

/*
 * BLOCKS (seconds): contact the engine, reconcile the table with the
 * platform's containers (one listing), then start the event thread. Returns -1
 * (e filled) when the engine does not answer.
 */
int sched_start(struct sched *s, struct err *e);

/*
 * BLOCKS: make image present where the driver runs it from (pull it when
 * missing) and give its id: the digest of its config, the same whatever name
 * or digest reached it. 503 with the engine's reason when it cannot.
 */
int sched_image_id(struct sched *s, const char *image, char id[SCHED_IMAGE_ID_MAX],
    struct err *e);

/*
 * BLOCKS: deploy rel with the given structure: pull the image if missing,
 * start the new release's containers (nums 1..count per type), wait until
 * each is healthy, then stop and remove every other container of the app
 * (other releases; not one-off `run` containers). Healthy: for the `web` and
 * `cmd` types, a TCP connect to IP:5000 succeeds and, when the config has
 * HEALTHCHECK_URL, GET of it answers 200 (each try bounded by
 * HEALTHCHECK_TIMEOUT seconds, default 1; first try after
 * HEALTHCHECK_INITIAL_DELAY seconds, default 0); other types: running and not
 * died. All within the boot deadline. On failure the new containers are
 * removed, the old ones keep running, and e says why (503).
 */
struct sched_timing {
	long long prepare_ms;	/* the image made present where it runs (a pull) */
	long long start_ms;	/* the new containers created and started */
	long long health_ms;	/* then until every one of them was healthy */
	long long switch_ms;	/* then until the routers had the new release (on_switch) */
	long long stop_ms;	/* then the old containers stopped and removed */
};
/* t (may be NULL): where the deploy's time went, filled as far as it got. */
int sched_deploy(struct sched *s, const struct sched_release *rel,
    const struct sched_scale *structure, size_t n, struct sched_timing *t, struct err *e);

/*
 * BLOCKS: bring each listed type of the app to its count with rel's spec:
 * new containers get nums after the highest existing one and must become
 * healthy (else they are removed and e says why); surplus ones go newest
 * (highest num) first. Types not listed are left alone. Units of rel that
 * stopped and that the engine will not restart are started again first, so a
 * scale to the count already listed repairs what is down.
 */
int sched_scale(struct sched *s, const struct sched_release *rel,
    const struct sched_scale *structure, size_t n, struct err *e);

/*
 * BLOCKS: start again every app's units that stopped and that the engine will
 * not restart by itself (killed or stopped behind the platform's back, or
 * exited 0), as Heroku restarts a dyno that stops: each once its back-off
 * since its death is past (1 s, doubling with each death not asked for, at
 * most 60 s). Only an app's newest release, never a one-off, and an app a
 * rollout holds is left to it. fn (may be NULL) hears of each unit started.
 * Returns how many were. A driver whose engine replaces such units itself
 * (swarm) has nothing to do. Call it periodically.
 */
typedef void sched_heal_fn(const struct sched_container *c, void *arg);
size_t sched_heal(struct sched *s, sched_heal_fn *fn, void *arg);

/*
 * BLOCKS: rolling restart of the app's containers: all (type NULL), one type
 * (num 0) or one container. One at a time: the old container is renamed
 * aside, a new one with its name (rel's spec) is started and must be healthy
 * before the old one is stopped; on failure the new one is removed, the old
 * one gets its name back and e says why. Fills *out (caller frees) with the
 * restarted containers, *nout with their number (0 and 0 when none matched).
 */
int sched_restart(struct sched *s, const struct sched_release *rel, const char *type,
    unsigned num, struct sched_container **out, size_t *nout, struct err *e);

/*
 * BLOCKS up to the run timeout: one-off container "<app>_v<N>.run.<num>"
 * running "bash -c <command>" with rel's environment, no restart policy:
 * through the runner entrypoint of a buildpack image (the app's .profile.d,
 * in /app), or in place of a Dockerfile image's entrypoint (sh -c where the
 * image has no bash). *rc gets its exit
 * status and out its stdout and stderr merged (at most 1 MiB; the rest is
 * cut). The container is removed afterwards in every case.
 */
int sched_run(struct sched *s, const struct sched_release *rel, const char *command,
    int *rc, struct buf *out, struct err *e);

/*
 * An interactive one-off (`deis run` on a terminal): a unit like sched_run's
 * (same name, spec, limits, network, labels and record), made with a
 * terminal and an open stdin, attached before it starts. fd: the attach
 * stream, raw terminal bytes both ways; extra: bytes that came with the
 * attach's answer. The caller ends it with sched_tty_end() in every case.
 */
struct sched_tty {
	char id[SCHED_ID_MAX];
	char name[SCHED_NAME_MAX];
	int fd;
	struct buf extra;
};
/*
 * BLOCKS: start t (0), or -1 with e (nothing left behind; e->code 501 when
 * the driver cannot attach: swarm). t is initialized here.
 */
int sched_run_tty(struct sched *s, const struct sched_release *rel, const char *command,
    struct sched_tty *t, struct err *e);
/* BLOCKS: set its terminal's size. */
int sched_tty_resize(struct sched *s, const struct sched_tty *t, unsigned rows, unsigned cols,
    struct err *e);
/*
 * BLOCKS: close the stream and remove the unit (and its record). When kill,
 * at once; else after it exits (within a few seconds; killed after that),
 * *status its exit status. Returns 0 when *status was read, else -1.
 */
int sched_tty_end(struct sched *s, struct sched_tty *t, bool kill, int *status);

/*
 * BLOCKS: kill the one-off unit id at once, remove it and forget it (a run
 * nobody waits for any more: its client gone, or an earlier life of the
 * controller's).
 */
void sched_run_remove(struct sched *s, const char *id);

/* BLOCKS: stop and remove every container of app, one-off ones included. */
int sched_destroy(struct sched *s, const char *app, struct err *e);

/*
 * Non-blocking: the app's containers from the table, sorted by type then num
 * (one-off `run` containers only when with_run), copied into *out (caller
 * frees; NULL when none) with their number in *n. Returns 0.
 */
int sched_list(struct sched *s, const char *app, bool with_run,
    struct sched_container **out, size_t *n);
/* Non-blocking: one container by app, type and num (newest release when several). */
int sched_get(struct sched *s, const char *app, const char *type, unsigned num,
    struct sched_container *out);

const char *sched_state_name(enum sched_state st);

/* Helpers, exposed for tests and for the controller's validation. */

/* "<app>_v<N>.<type>.<num>" into name; -1 when it does not fit. */
int sched_name(char *name, size_t size, const char *app, unsigned release, const char *type,
    unsigned num);
/*
 * Parse a container name back (Deis regex, stricter: the whole name must
 * match). Returns 0 and fills the parts, or -1.
 */
int sched_name_parse(const char *name, char app[SCHED_APP_MAX], unsigned *release,
    char type[SCHED_TYPE_MAX], unsigned *num);
/* "512M" → bytes (Deis limit format <number><B|K|M|G|KB|MB|GB>, case-insensitive). */
int sched_memory_parse(const char *s, long long *bytes);

#endif
