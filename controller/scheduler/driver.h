#ifndef CONTROLLER_SCHEDULER_DRIVER_H
#define CONTROLLER_SCHEDULER_DRIVER_H
/*
 * The interface between the scheduler's logic (scheduler.c: naming, health,
 * rollout order, the state table) and a container engine: `docker` (one host,
 * docker.c) and `swarm` (swarm.c: Swarm services, one replica per container
 * name, many hosts). A driver knows nothing of releases or rollouts: it
 * creates, starts, stops and removes single named units and reports what it
 * observes.
 *
 * Every function BLOCKS (engine round trips) and may be called from several
 * threads at once on the same driver handle.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "controller/scheduler/scheduler.h"
#include "lib/err.h"

/* One container to run, fully resolved by scheduler.c. Borrowed for the call. */
struct sched_unit {
	const char *name;		/* "<app>_v<N>.<type>.<num>" */
	const char *app;
	unsigned release;
	const char *type;
	unsigned num;
	const char *image;
	const char *const *env;		/* NULL-terminated "K=V" */
	const char *const *entrypoint;	/* NULL: the image's */
	const char *const *cmd;		/* NULL: the image's */
	long long memory;		/* bytes, 0: no limit */
	long cpu_shares;		/* 0: engine default */
	const struct sched_kv *tags;	/* placement constraints; the docker driver ignores them */
	size_t ntags;
	bool oneoff;			/* `run`: no restart policy, no published port */
	bool tty;			/* an interactive one-off: a terminal, stdin open */
	int port;			/* the app's port: $PORT, probed, published, routed */
};

/* What a driver saw happen to (or exist as) one platform container. */
enum sched_obs_kind {
	SCHED_OBS_EXISTS,	/* from a listing: state is the container's state now */
	SCHED_OBS_CREATE,
	SCHED_OBS_START,
	SCHED_OBS_DIE,		/* exit_code set */
	SCHED_OBS_OOM,
	SCHED_OBS_RENAME,	/* name is the new name */
	SCHED_OBS_DESTROY,
};

struct sched_obs {
	enum sched_obs_kind kind;
	const char *id;
	const char *cid;	/* the container running the unit, when known (docker: id) */
	const char *name;	/* may be NULL (then taken from the labels) */
	const char *app;	/* from the labels */
	unsigned release;
	const char *type;
	unsigned num;
	enum sched_state state;	/* SCHED_OBS_EXISTS only */
	int exit_code;		/* SCHED_OBS_DIE, and EXISTS when exited */
	bool restarting;	/* SCHED_OBS_DIE and EXISTS: the engine's policy starts it again */
	double time;		/* engine's Unix time of the event, 0 when unknown */
	const char *addr;	/* "IP:PORT" when known (listings, our own starts), else NULL */
};

typedef void sched_obs_fn(const struct sched_obs *o, void *arg);

struct sched_driver {
	const char *name;
	bool unit_is_container;	/* a unit's id is its container's (docker), else a service's */
	/* Make a handle (nothing contacted); NULL and e filled on a bad config. */
	void *(*open)(const struct sched_config *cfg, const char *platform, struct err *e);
	void (*close)(void *h);
	/* Check the engine answers. */
	int (*ping)(void *h, struct err *e);
	/*
	 * Make image available to run (pull it when missing, where the driver
	 * can inspect it) and tell the port its server listens on (*port: the
	 * lowest TCP port the image exposes, SCHED_PORT when none).
	 */
	int (*prepare)(void *h, const char *image, int *port, struct err *e);
	/*
	 * The id of image (its config digest, whatever name reaches it), pulled
	 * where the driver can inspect it; id holds SCHED_IMAGE_ID_MAX bytes.
	 */
	int (*image_id)(void *h, const char *image, char *id, struct err *e);
	/*
	 * Create and start u. id gets the container's id as soon as it exists
	 * (also when start then fails: the caller removes it). addr gets
	 * "IP:PORT" when the unit has an address, else "".
	 */
	int (*start)(void *h, const struct sched_unit *u, char id[SCHED_ID_MAX], char addr[48],
	    struct err *e);
	/*
	 * An interactive one-off (u->tty): create u, attach to it (*fd the
	 * hijacked stream, extra what came with its answer), then start it; id as
	 * for start. NULL where the engine running the unit is out of reach
	 * (swarm: another node's).
	 */
	int (*start_tty)(void *h, const struct sched_unit *u, char id[SCHED_ID_MAX], int *fd,
	    struct buf *extra, struct err *e);
	/* The terminal size of a start_tty unit; NULL without start_tty. */
	int (*resize)(void *h, const char *id, unsigned rows, unsigned cols, struct err *e);
	/* Wait up to timeout_ms for unit id to stop: *rc its status; NULL without start_tty. */
	int (*wait)(void *h, const char *id, unsigned timeout_ms, int *rc, struct err *e);
	/* Is it running now? 1 yes, 0 no (*exit_code set), -1 error. */
	int (*running)(void *h, const char *id, int *exit_code, struct err *e);
	/*
	 * A unit that stopped and that the engine will not start again by itself
	 * (killed or stopped behind the platform's back, or exited 0): start it.
	 * 1 started, 0 nothing to do (it runs, or the engine is restarting it),
	 * -1 error. NULL where the engine replaces such units itself (swarm).
	 */
	int (*revive)(void *h, const char *id, struct err *e);
	/* Ask it to stop (SIGTERM) without waiting. Gone is success. */
	int (*signal_stop)(void *h, const char *id, struct err *e);
	/* Stop (grace timeout_s, then kill) and remove. Gone is success. */
	int (*remove)(void *h, const char *id, unsigned timeout_s, struct err *e);
	int (*rename)(void *h, const char *id, const char *name, struct err *e);
	/*
	 * Wait for the one-off unit id (named name, made by start) to end within
	 * timeout_ms: *rc its status, out its merged output (at most max bytes).
	 * The caller removes it.
	 */
	int (*finish)(void *h, const char *name, const char *id, unsigned timeout_ms, size_t max,
	    int *rc, struct buf *out, struct err *e);
	/*
	 * The last lines (at most lines) unit id printed, stdout and stderr
	 * merged, appended to out: what a start that failed said.
	 */
	int (*output)(void *h, const char *id, int lines, struct buf *out, struct err *e);
	/*
	 * The TCP ports something listens on inside unit id, appended to out as
	 * "3000, 8080" (empty: none); NULL when the driver cannot look (swarm:
	 * the unit may be on another node). -1 when it cannot tell.
	 */
	int (*listening)(void *h, const char *id, struct buf *out, struct err *e);
	/* Report every platform container (SCHED_OBS_EXISTS) to fn. */
	int (*list)(void *h, sched_obs_fn *fn, void *arg, struct err *e);
	/*
	 * Follow the engine's events from since (Unix time; 0: now) and report
	 * them to fn until *stop (noticed within about 1 s): returns 0; or the
	 * stream fails: returns -1.
	 */
	int (*watch)(void *h, double since, sched_obs_fn *fn, void *arg, volatile int *stop,
	    struct err *e);
	/*
	 * The app is gone (its units removed): what the driver kept for it goes
	 * (its network). May be NULL.
	 */
	void (*app_gone)(void *h, const char *app);
};

extern const struct sched_driver sched_driver_docker;


/* labels.c: what the drivers share. */
struct docker;
/* The engine handle of a driver: cfg's socket, with the registry's credentials. */
struct docker *sched_engine_open(const struct sched_config *cfg);
/*
 * appnet.c: one network per app, "<platform>-app-<app>" with a /24 from the
 * pool (sched_appnet_pool parses "a.b.c.d/n", n 8..24). ensure: made when
 * missing with driver "bridge" (docker driver; the peers, platform
 * containers such as router, controller, publisher, connected, and again
 * when it is there) or "overlay" (swarm driver, on a manager; peers NULL);
 * name gets its name. remove: whatever is connected disconnected, the
 * network removed (best effort).
 */
/* The swarm driver's pool when none is configured (deisctl's appSubnets default). */
#define SCHED_APPNET_POOL "100.80.0.0/16"
int sched_appnet_pool(const char *spec, uint32_t *base, unsigned *bits, struct err *e);
/*
 * The app's network name, "<platform>-app-<app>"; for an overlay, past
 * SCHED_APPNET_SWARM_MAX characters (Swarm's names are DNS labels), its first
 * 54 characters, '-' and 8 hex digits of a hash of the whole name.
 */
#define SCHED_APPNET_SWARM_MAX 63
void sched_appnet_name(char out[SCHED_NAME_MAX], const char *platform, const char *app,
    const char *driver);
/*
 * The first /24 of the pool base/bits that no subnet of nets (an engine's
 * GET /networks answer, borrowed) overlaps, into *net (host order); -1 when
 * the pool is full.
 */
int sched_appnet_pick(const json_t *nets, uint32_t base, unsigned bits, uint32_t *net);
int sched_appnet_ensure(struct docker *d, const char *platform, const char *app, const char *driver,
    uint32_t base, unsigned bits, const char *const *peers, char name[SCHED_NAME_MAX],
    struct err *e);
void sched_appnet_remove(struct docker *d, const char *platform, const char *app,
    const char *driver);
/*
 * BLOCKS: make image present on the engine d (pull it when missing) and give
 * its id (SCHED_IMAGE_ID_MAX bytes; id may be NULL) and the port its server
 * listens on (sched_image_port; port may be NULL).
 */
int sched_engine_image(struct docker *d, const char *image, char *id, int *port,
    struct err *e);
/*
 * The app's port of an image (its inspect): the lowest TCP port it exposes,
 * as Deis v1 published; SCHED_PORT (5000) when it exposes none.
 */
int sched_image_port(json_t *inspect);
/* 0, or -1 (e, code 400) for a network app containers may not join (host, container:...). */
int sched_network_check(const char *network, struct err *e);
/* The capabilities to put back, as a JSON array of strings; caller owns it. */
json_t *sched_cap_add_json(const char *const *cap_add);
/* The sh.deis.* labels naming u on the engine; caller owns them. */
json_t *sched_unit_labels(const char *platform, const struct sched_unit *u);
/* A numeric label ("v3" when vprefix); 0 when absent or malformed. */
unsigned sched_label_uint(json_t *labels, const char *key, bool vprefix);
/* The unit's port from its labels (sh.deis.port); SCHED_PORT for units made before it. */
int sched_label_port(json_t *labels);
extern const struct sched_driver sched_driver_swarm;

#endif
