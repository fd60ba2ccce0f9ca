#ifndef CLI_DEISCTL_DEISCTL_H
#define CLI_DEISCTL_DEISCTL_H
/*
 * deisctl: the platform operator's tool (Deis v1 §6), for one host or, with
 * platform mode=swarm, a Docker Swarm. It never needs the controller to be up: it
 * talks to the Docker engine only (lib/docker.h), and keeps its own state in a
 * directory (default /var/lib/deis):
 *
 *   config.json       {"platform":{"domain":"localhost",...},"<component>":{k:v}}, 0600
 *   builder-key       platform secrets, generated once by install, 0600
 *   internal-token
 *   database-password (only with database engine=postgres)
 *   builder/          the builder's state (repositories, caches, host keys): a host
 *                     directory, because build containers bind-mount paths under it
 *   builder-lib/      the builder's scripts and buildpacks, copied out of the image
 *
 * Each component is a container named <prefix>-<component> (prefix "deis") from
 * the platform image, on the network <prefix>, restart policy unless-stopped
 * (Docker is the supervisor), state in named volumes <prefix>-<component>.
 * Another prefix and state dir give an isolated second platform (the tests).
 *
 *   main.c       options, the command table, usage
 *   state.c      the state dir: config.json, secrets
 *   component.c  the component table and each component's container spec
 *   engine.c     networks, volumes, containers: ensure, start, stop, inspect
 *   bridge.c     pins the MAC address of the bridges the platform uses
 *   router_settings.c  the router's Deis settings: validation, deis-router flags
 *   router_tls.c    the router's platform certificate (sslCert, sslKey)
 *   store_settings.c  the store (filesystem | s3): checks, the registry's S3 config, the probe
 *   cmd_platform.c  install, uninstall, start, stop, restart, status, list, journal:
 *                   the targets parsed, then the mode's operations (struct platform_ops)
 *   cmd_config.c    config get/set/rm, scale, rolling-restart
 *   cmd_backup.c    backup, restore: the state, the database and the local store to
 *                   a directory, and back onto a new node
 *   cmd_admin.c     create-admin: the first administrator, through the controller's
 *                   local channel (docker exec), never the API
 *   platform.c      what the modes share: preparation, image checks, readiness;
 *                   dctl_platform_ops() picks the mode's operations
 *   platform_local.c  mode=host: the operations on containers of the local engine
 *   platform_swarm.c  mode=swarm: the operations on Swarm services
 *   swarm.c      mode=swarm described: placement by node labels, addresses, service specs
 *
 * Who calls whom: main.c -> cmd_*.c -> dctl_platform_ops(d)->op ->
 * platform_local.c | platform_swarm.c -> platform.c, component.c, engine.c
 * (and swarm.c for the swarm); nothing calls back up.
 */
#include <stdbool.h>

#include <jansson.h>

#include "lib/err.h"

struct buf;
struct docker;

#define DEISCTL_STATE_DEFAULT "/var/lib/deis"
#define DEISCTL_PREFIX_DEFAULT "deis"
#define DEISCTL_IMAGE_DEFAULT "deis/platform:latest"
#define DEISCTL_SECRET_LEN 64	/* hex digits */

/* The context every command gets; built once in main(). */
struct dctl {
	struct docker *docker;
	char *state_dir;	/* absolute */
	char *prefix;		/* container/network/volume name prefix */
	json_t *config;		/* owned; loaded from config.json (empty object when none) */
	char builder_key[DEISCTL_SECRET_LEN + 1];	/* empty until dctl_state_secrets() */
	char internal_token[DEISCTL_SECRET_LEN + 1];
	char registry_password[DEISCTL_SECRET_LEN + 1];	/* user "deis": the builder, the scheduler */
	char logger_key[DEISCTL_SECRET_LEN + 1];	/* the syslog senders': lib/syslog.h */
	char database_password[DEISCTL_SECRET_LEN + 1];	/* empty unless PostgreSQL */
	char *build_network;	/* the builds' sandbox network once dctl_buildnet_up made it */
	char *build_cgroup;	/* "<mount in the builder>:<parent group>", or NULL: see buildnet.c */
};

/*
 * buildnet.c: the builds' sandbox network, "<prefix>-build": a bridge with
 * inter-container traffic off, closed by the host's firewall to the host and
 * to private, link-local and loopback destinations (internet through NAT
 * only). up: make it (kept when there) and insert the rules once, set
 * d->build_network; 1 (and a warning) when the engine's host has no
 * DOCKER-USER chain (iptables off): builds then run on the default bridge.
 * up also sets d->build_cgroup (the builds' cgroup parent; NULL and a warning
 * when the engine does not use cgroupfs). down: delete the rules, the
 * network and the cgroup parent.
 */
#define DCTL_BUILD_CGROUP "/run/deis/cgroup"	/* the host's /sys/fs/cgroup, in the builder */
int dctl_buildnet_up(struct dctl *d, struct err *e);
int dctl_buildnet_down(struct dctl *d, struct err *e);
/* A builder setting's value (buildMemoryMB, buildCPUs, buildTimeout, ...) in range; else -1, e says. */
int dctl_builder_check(const char *key, const char *value, struct err *e);

/* Check that the engine answers (main.c); -1 after telling the user. */
int dctl_ping(struct dctl *d);

/* ---- state.c ---- */

/* Create the state dir (0700) if it is not there. */
int dctl_state_mkdir(const struct dctl *d, struct err *e);
/* Write <state_dir>/<rel> atomically with mode 0600 (its directory must exist). */
int dctl_state_write(const struct dctl *d, const char *rel, const char *data, size_t len,
    struct err *e);
/* Load config.json into d->config (an empty object when the file does not exist). */
int dctl_state_load(struct dctl *d, struct err *e);
/* Create the state dir (0700) if needed and write config.json atomically (0600). */
int dctl_state_save(struct dctl *d, struct err *e);
/*
 * Read the secrets, generating each one first when create is true and it is
 * missing. The database password exists only with engine=postgres; without
 * create, a missing one is left empty.
 */
int dctl_state_secrets(struct dctl *d, bool create, struct err *e);
/* True once install has run (the secrets exist). */
bool dctl_state_installed(const struct dctl *d);
/*
 * A component's setting: config.json's value, else def (may be NULL). The
 * pointer is borrowed from d->config or is def.
 */
const char *dctl_state_get(const struct dctl *d, const char *section, const char *key,
    const char *def);
/* An integer port setting within 1..65535, else def. */
int dctl_state_port(const struct dctl *d, const char *key, int def);
/* Caller owns the result (free()): "<state_dir>/<rel>". */
char *dctl_state_path(const struct dctl *d, const char *rel);

/* ---- component.c ---- */

struct component {
	const char *name;
	const char *binary;	/* the program in the platform image; NULL: never a container */
	const char *what;	/* one line for status when it runs no container */
	/* Fill the container create body (Image, Cmd, Env, HostConfig...). */
	int (*spec)(struct dctl *d, const struct component *c, json_t *body, struct err *e);
};

/* True when the database component is PostgreSQL (config database engine=postgres). */
bool dctl_component_postgres(const struct dctl *d);
/* True when c runs as a container with the current configuration. */
bool dctl_component_runs(const struct dctl *d, const struct component *c);
/* The components in start order; *n gets the count. */
const struct component *dctl_component_all(size_t *n);
/* NULL when name is not a component. */
const struct component *dctl_component_find(const char *name);
/* Caller owns the result: "<prefix>-<name>". */
char *dctl_component_container(const struct dctl *d, const struct component *c);
/* The platform image reference (config platform.image or the default). */
const char *dctl_component_image(const struct dctl *d, const struct component *c);
/*
 * The complete create body of c's container, labelled with its spec digest.
 * Caller owns the result. NULL with e set when c cannot be specified.
 */
json_t *dctl_component_body(struct dctl *d, const struct component *c, struct err *e);
/* out gets the SHA-256 of s in hex. */
void dctl_digest_hex(const char *s, char out[65]);

/* ---- router_settings.c ---- */

/* Where the router container finds the platform certificate (<state>/router-tls, read-only). */
#define DCTL_ROUTER_TLS_DIR "/etc/deis/router-tls"

/* The router's access log when accessLog is not set: a file in its volume, rotated by the router. */
#define DCTL_ROUTER_ACCESS_LOG "/var/lib/deis/router/access.log"
/* The access log file in the router's container, or NULL when it goes to stdout or nowhere. */
const char *dctl_router_access_file(const struct dctl *d);
/*
 * Print the last lines (at most `lines`) of the access log file (that of
 * dctl_router_access_file(), and the rotated one before it) of the running
 * router container, through `docker exec`. -1 with e set (e->code 404: no such
 * container on this engine, 409: not running).
 */
int dctl_router_access_tail(struct dctl *d, const char *container, int lines, struct err *e);
/* True when key is a router setting of the table (never passed as environment). */
bool dctl_router_known(const char *key);
/*
 * Check the settings of one `config router set` (changes: key -> string value)
 * before anything is stored. sslCert/sslKey values are file paths: the files
 * are read and checked, their content written to the state dir only when every
 * setting is valid, and the values in changes replaced by "sha256:<hex>".
 * workers and workerProcesses are one setting: the other is dropped from the
 * section. -1 with e set (code 2): nothing was stored.
 */
int dctl_router_config_set(struct dctl *d, json_t *changes, struct err *e);
/* After `config router rm key`: drop what deisctl stored beside config.json for it. */
void dctl_router_config_rm(struct dctl *d, const char *key);
/*
 * Append to cmd (a JSON array of strings) the deis-router flags of the settings
 * the user set, in the table's order, and to env ("K=V" strings) the environment
 * they need. Settings not set add nothing: the router's defaults are Deis's,
 * but for accessLog, whose default here is DCTL_ROUTER_ACCESS_LOG (last). *tls is true when the platform certificate is set (then the caller binds
 * <state>/router-tls at DCTL_ROUTER_TLS_DIR). -1 with e set on an unusable config.json.
 */
int dctl_router_args(const struct dctl *d, json_t *cmd, json_t *env, bool *tls, struct err *e);
/* Check a platform setting's value (the host ports); -1 with e set (code 2). */
int dctl_platform_check(const char *key, const char *value, struct err *e);

/* ---- router_tls.c ---- */

#define DCTL_FP_LEN 64	/* SHA-256 in hex */

/*
 * Read the PEM file at path ("~/" is $HOME): a certificate (then its chain),
 * or with is_key an unencrypted private key. *pem gets the whole file (caller
 * frees), fp the SHA-256 of the certificate (DER) or of the key's public half.
 * -1 with e set (code 2) when it is not that.
 */
int dctl_tls_load(const char *path, bool is_key, char **pem, char fp[DCTL_FP_LEN + 1],
    struct err *e);
/* 0 when key_pem is the private key of cert_pem's first certificate. */
int dctl_tls_match(const char *cert_pem, const char *key_pem, struct err *e);
/* 0 when path is a PEM file of DH parameters (sslDhparam is checked, then unused). */
int dctl_tls_dhparam_check(const char *path, struct err *e);
/* The stored certificate or key (caller frees), NULL when there is none. */
char *dctl_tls_stored(const struct dctl *d, bool is_key);
/* Store either or both (NULL: keep) under <state>/router-tls, 0600. */
int dctl_tls_store(struct dctl *d, const char *cert_pem, const char *key_pem, struct err *e);
/* Remove the stored certificate or key. */
void dctl_tls_remove(struct dctl *d, bool is_key);

/* ---- store_settings.c ---- */

#define DCTL_STORE_SECRET_FILE "store-secret-key"	/* in the state dir, 0600 */
#define DCTL_REGISTRY_S3_FILE "registry-s3.yml"	/* in the state dir, rendered at start */
#define DCTL_REGISTRY_HTPASSWD "registry.htpasswd"	/* in the state dir: user deis, bcrypt */
#define DCTL_REGISTRY_S3_CONF "/etc/deis/registry-s3.yml"	/* where the registry sees it */

/* The s3 backend's settings, checked; strings borrowed from d->config but secret and url. */
struct store_s3 {
	const char *endpoint;	/* as set, or NULL (AWS) */
	const char *region, *bucket, *access, *rootdir;
	char *secret;		/* owned, wiped by dctl_store_release() */
	char *url;		/* owned: the endpoint without a trailing '/', or AWS's */
	bool verify;
};

/*
 * Check the settings of one `config store set` (changes: key -> string value)
 * before anything is stored; Deis's gateway/accessKey and gateway/secretKey
 * are renamed. A secretKey is written to <state>/store-secret-key (0600) and
 * its value in changes replaced by a note of where it is. -1 with e set
 * (code 2): nothing was stored.
 */
int dctl_store_config_set(struct dctl *d, json_t *changes, struct err *e);
/* After `config store rm key`: secretKey removes the secret file too. */
void dctl_store_config_rm(struct dctl *d, const char *key);
/* Deis's registry s3* and swift* keys are refused with where they went. -1 with e (code 2). */
int dctl_store_registry_key(const char *key, struct err *e);
/* True when config store backend=s3. */
bool dctl_store_s3(const struct dctl *d);
/* Fill s from config.json and the secret file; -1 with e when incomplete or malformed. */
int dctl_store_load(const struct dctl *d, struct store_s3 *s, struct err *e);
void dctl_store_release(struct store_s3 *s);
/* The registry's configuration for s (no keys in it); caller frees. */
char *dctl_store_registry_yml(const struct store_s3 *s);
/* The same with the keys in it (mode=swarm: a Swarm secret, never a file); caller wipes, frees. */
char *dctl_store_registry_yml_keys(const struct store_s3 *s);
/*
 * A signed request for the bucket, bounded (5 s connect, 10 s in all); a
 * missing bucket is created. -1 with e saying what failed: unreachable, keys
 * refused, other answers.
 */
int dctl_store_probe(const struct store_s3 *s, struct err *e);
/*
 * What `restart` asks before it stops the registry: with backend=s3 the
 * settings load and the probe passes; 0 with backend=filesystem.
 */
int dctl_store_check(const struct dctl *d, struct err *e);

/* ---- engine.c ---- */

enum cstate { CS_MISSING, CS_CREATED, CS_RUNNING, CS_RESTARTING, CS_EXITED };

struct cinfo {
	enum cstate state;
	char id[65];
	char spec[65];		/* sh.deis.spec label */
	char status[64];	/* Docker's State.Status */
	char started[40];	/* State.StartedAt */
	char health[32];	/* State.Health.Status or "" */
	int exit_code;
	long restarts;
};

/* Create the platform network and the named volumes (idempotent). */
int dctl_engine_prepare(struct dctl *d, struct err *e);
/*
 * The network apps' requests to the controller come from, network (Docker's
 * "bridge" on one host, "docker_gwbridge" on a swarm, where app tasks are on
 * overlays and leave through it), as "subnet,gateway" for the controller's
 * DEIS_DENY_NET, or NULL when the engine does not say. Caller frees.
 */
char *dctl_engine_app_net(struct dctl *d, const char *network);
/* ---- bridge.c ---- */
/*
 * Set a local bridge's MAC address to its current value, so Linux stops
 * moving it to the lowest port's as containers come and go. 0 when done,
 * already pinned or not on this host; -1 with e set (and the command to run).
 */
int dctl_bridge_pin(const char *ifname, struct err *e);
/* dctl_bridge_pin for the apps' network (Docker's bridge) and the platform's; warns. */
void dctl_bridges_pin(struct dctl *d);
/* Remove the platform network (when no container uses it). */
int dctl_engine_network_remove(struct dctl *d, const char *name, struct err *e);
/* The bridge network name of the platform (labelled), made when missing; options borrowed. */
int dctl_engine_network(struct dctl *d, const char *name, json_t *options, struct err *e);
/* Connect container name to every network of an app of the platform (networks per app). */
int dctl_engine_connect_apps(struct dctl *d, const char *name, struct err *e);
/* Remove the platform's app networks that no app container uses any more (uninstall --purge). */
int dctl_engine_app_networks_remove(struct dctl *d, struct err *e);
/* Names of the binaries in the platform image (its sh.deis.binaries label); caller owns. */
char *dctl_engine_image_binaries(struct dctl *d, struct err *e);
/*
 * The image's id ("sha256:..."; caller owns), or NULL with e set (404: no such
 * image). Part of every spec, so a rebuilt image under the same tag counts.
 */
char *dctl_engine_image_id(struct dctl *d, const char *ref, struct err *e);
/* True when the image label lists bin. */
bool dctl_engine_has_binary(const char *binaries, const char *bin);
/* Inspect the container name (CS_MISSING when there is none). */
int dctl_engine_inspect(struct dctl *d, const char *name, struct cinfo *ci, struct err *e);
/*
 * The running task container of Swarm service on this engine (caller frees);
 * NULL with e->code 0 when none runs here, with e set on an engine error.
 */
char *dctl_engine_task(struct dctl *d, const char *service, struct err *e);
/*
 * Make the container name match body: keep it when its spec label is the same,
 * else remove and create it again. *created tells which happened.
 */
int dctl_engine_ensure(struct dctl *d, const char *name, json_t *body, bool *created, struct err *e);
int dctl_engine_start(struct dctl *d, const char *name, struct err *e);
int dctl_engine_stop(struct dctl *d, const char *name, int timeout_s, struct err *e);
int dctl_engine_remove(struct dctl *d, const char *name, struct err *e);
/* Connect a container to an extra network (already connected is success). */
int dctl_engine_connect(struct dctl *d, const char *name, const char *network, struct err *e);
/* The last bytes of the container's output (stdout and stderr merged). */
int dctl_engine_logs(struct dctl *d, const char *name, int tail, struct err *e);
/* Run image with argv and binds to completion (bounded by timeout_s); nonzero exit is an error. */
int dctl_engine_run_once(struct dctl *d, const char *image, const char *const *argv,
    const char *const *binds, int timeout_s, struct err *e);
/*
 * Why a container ended, as its logs say: its last 600 lines into out
 * (trailing newlines dropped; empty when they cannot be read), and the last
 * line returned, pointing into out (release it with buf_release()).
 */
const char *dctl_engine_last_line(struct dctl *d, const char *container, struct buf *out);
/* Milliseconds on the monotonic clock: for deadlines. */
long long dctl_now_ms(void);
/* Wait until name is running and has stayed up for settle_ms; -1 when it exits or time runs out. */
int dctl_engine_wait_up(struct dctl *d, const char *name, int timeout_ms, int settle_ms,
    struct err *e);

/* ---- platform.c: what both modes share ---- */

#define DCTL_MAX_COMPONENTS 16

/*
 * The operations of one platform mode, which the commands call without
 * knowing it. sel[] marks the target components in dctl_component_all()'s
 * order. Each prints its own lines and errors and returns the command's exit
 * code: 0, 1 on a failure, 3 (status) when something is not running.
 */
struct platform_ops {
	const char *mode;	/* the platform setting: "host" | "swarm" */
	/* Prepare (secrets, settings, files) and make what start will run, not started. */
	int (*install)(struct dctl *d, const bool *sel);
	/* Converge each component to its spec, in order, and wait until it is up and ready. */
	int (*start)(struct dctl *d, const bool *sel);
	/* Stop them, last started first; their data stays. */
	int (*stop)(struct dctl *d, const bool *sel);
	/*
	 * Replace what runs even when its spec is the same; a registry whose store
	 * fails its check (dctl_store_check()) is left running as it was.
	 */
	int (*restart)(struct dctl *d, const bool *sel);
	/* One line per component (verbose: status; else list's table). */
	int (*status)(struct dctl *d, const bool *sel, bool verbose);
	/* The last lines of each component's output. */
	int (*journal)(struct dctl *d, const bool *sel, int lines);
	/* Apply the router's new "workers" setting (already saved) to the running routers. */
	int (*scale)(struct dctl *d, long long workers);
	/*
	 * Remove what runs (containers, services); the command then removes what
	 * the modes share (networks, volumes, state dir).
	 */
	int (*uninstall)(struct dctl *d, const bool *sel);
	/* The container to exec into to reach the controller; caller frees; NULL with e set. */
	char *(*controller)(struct dctl *d, struct err *e);
};

extern const struct platform_ops dctl_platform_local;	/* platform_local.c */
extern const struct platform_ops dctl_platform_swarm;	/* platform_swarm.c */

/* The operations of the platform's mode setting (never asks the engine). */
const struct platform_ops *dctl_platform_ops(const struct dctl *d);
/*
 * What starting needs before the components (secrets, config, network,
 * volumes, the builder's files). Returns the image's binaries (caller owns).
 */
char *dctl_platform_prepare(struct dctl *d, const bool *sel, struct err *e);
/* True when c's program is in the image (binaries: its sh.deis.binaries label). */
bool dctl_platform_present(const struct component *c, const char *binaries);
/* Print the line for a component the image lacks. */
void dctl_platform_say_missing(struct dctl *d, const struct component *c);
/* Wait (bounded) for the controller's and the registry's readiness URLs on 127.0.0.1. */
int dctl_platform_ready(struct dctl *d, const struct component *c, struct err *e);

/* ---- swarm.c ---- */

/* True with `config platform set mode=swarm`. */
bool dctl_swarm_mode(const struct dctl *d);
/* Check a value of the platform setting mode (host, swarm); -1 with e set (code 2). */
int dctl_swarm_mode_check(const char *value, struct err *e);
/* The node label ("deis.controlPlane", "deis.routerMesh", "deis.dataPlane") placing component. */
const char *dctl_swarm_role(const char *component);
/*
 * s (an argument or "K=V" of owner's container body) with the one-host
 * addresses replaced: "0.0.0.0:<container port>" by the host port setting's,
 * "<prefix>-<peer>:<port>" by cp_addr (or 127.0.0.1 for peers only the control
 * plane uses) and the peer's host port. Caller frees.
 */
char *dctl_swarm_rewrite(const struct dctl *d, const char *owner, const char *s,
    const char *cp_addr);
/*
 * The Swarm service spec of component from its container create body
 * (dctl_component_body()), labelled sh.deis.spec with its digest. Caller owns.
 */
json_t *dctl_swarm_service(const struct dctl *d, const char *component, const json_t *body,
    const char *cp_addr);
/* True for the components that run one task per labelled node (router, publisher, logspout). */
bool dctl_swarm_global(const char *component);
/* True when the node (an element of GET /nodes) carries label=true. */
bool dctl_swarm_labelled(const json_t *node, const char *label);
/* The addresses of the swarm's router-mesh nodes, comma separated ("" when none); caller owns. */
char *dctl_swarm_router_addrs(struct dctl *d);
/* The label deisctl puts on the nodes that pull app images (control and data plane). */
#define DCTL_SWARM_REGISTRY_LABEL "deis.registry"
/* True with mode=swarm and the S3 store: a registry on every node labelled deis.registry. */
bool dctl_swarm_registry_everywhere(const struct dctl *d);
/* Check the platform setting dockerSocket (an absolute path); -1 with e set (code 2). */
int dctl_swarm_socket_check(const char *value, struct err *e);
/*
 * The engine's socket as services bind it on every node: the platform setting
 * dockerSocket, else the socket deisctl was given.
 */
const char *dctl_swarm_socket(const struct dctl *d);

/* ---- lb.c ---- */

/* `deisctl lb haproxy`: an HAProxy configuration for the router mesh, on stdout. */
int dctl_cmd_lb(struct dctl *d, int argc, char **argv);

/* ---- commands: argv[0] is the verb ---- */

int dctl_cmd_install(struct dctl *d, int argc, char **argv);
int dctl_cmd_uninstall(struct dctl *d, int argc, char **argv);
int dctl_cmd_start(struct dctl *d, int argc, char **argv);
int dctl_cmd_stop(struct dctl *d, int argc, char **argv);
int dctl_cmd_restart(struct dctl *d, int argc, char **argv);
int dctl_cmd_status(struct dctl *d, int argc, char **argv);
int dctl_cmd_list(struct dctl *d, int argc, char **argv);
int dctl_cmd_journal(struct dctl *d, int argc, char **argv);
int dctl_cmd_config(struct dctl *d, int argc, char **argv);
int dctl_cmd_scale(struct dctl *d, int argc, char **argv);
int dctl_cmd_rolling_restart(struct dctl *d, int argc, char **argv);
int dctl_cmd_create_admin(struct dctl *d, int argc, char **argv);
/* supervise.c: the supervisor's loop (the `supervisor` component's command). */
int dctl_cmd_supervise(struct dctl *d, int argc, char **argv);
int dctl_cmd_backup(struct dctl *d, int argc, char **argv);	/* cmd_backup.c */
int dctl_cmd_restore(struct dctl *d, int argc, char **argv);
/* Did `deisctl stop` stop component (its mark in <state>/stopped)? */
bool dctl_stopped_by_operator(const struct dctl *d, const char *component);
/* Leave (stopped) or remove the mark that keeps the supervisor from starting component. */
int dctl_mark_stopped(const struct dctl *d, const char *component, bool stopped, struct err *e);
/* A controller setting's value (firstUserAdmin: true|false, registrationMode); else -1, e says. */
int dctl_controller_check(const char *key, const char *value, struct err *e);
/*
 * After start: when the running controller says the platform has no
 * administrator, print how to make the first one (stdout). Silent otherwise,
 * and when the controller cannot be asked.
 */
void dctl_admin_note(struct dctl *d);

#endif
