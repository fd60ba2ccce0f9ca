#ifndef BUILDER_BUILDER_H
#define BUILDER_BUILDER_H
/*
 * The builder: OpenSSH's sshd plus one multi-call helper, `deis-builder`:
 *
 *   deis-builder start            prepare the state dir, users, host keys; exec sshd (start.c)
 *   deis-builder keys U T K       sshd's AuthorizedKeysCommand (keys.c)
 *   deis-builder shell            sshd's ForceCommand: check, lock, git-receive-pack (shell.c)
 *   hooks/pre-receive            a symlink to deis-builder in every repo: the build (build.c)
 *
 * sshd gives its helpers a clean environment, so everything they need is in a
 * config file written by `start` (struct conf, conf.c) whose path is in argv
 * (--config) or, for the git hook, in DEIS_BUILDER_CONFIG set by `shell`.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/err.h"

#define BUILDER_CONF_DEFAULT "/var/lib/deis-builder/builder.conf"
#define APP_NAME_MAX 63
#define APP_UUID_MAX 40	/* an app's uuid (36) and its NUL, as the controller gives it */

struct conf {
	char *controller;	/* "http://127.0.0.1:8000", no trailing slash */
	char *builder_key;	/* the secret itself (read from key_file), wiped by conf_free */
	char *key_file;
	char *registry;		/* "127.0.0.1:5000" */
	char *registry_user;	/* its credentials (pushes), or NULL */
	char *registry_password;	/* from <state>/registry-password, not builder.conf */
	char *state_dir;	/* host keys, sshd_config, builder.conf */
	char *repo_dir;		/* <app>.git bare repositories and <app>.lock files */
	char *cache_dir;	/* per-app buildpack caches */
	char *docker_sock;
	char *stack_image;	/* "deis/stack:bookworm" */
	char *lib_dir;		/* builder/images: slugbuilder, runner */
	char *buildpacks_dir;	/* built-in buildpacks */
	char *self;		/* absolute path of deis-builder */
	char *git_user;		/* login user of pushes ("git") */
	char *keys_user;	/* AuthorizedKeysCommandUser ("deis-keys") */
	char *ca_bundle;	/* host path of a PEM bundle buildpack builds trust, or NULL */
	int port;		/* sshd port, 2223 */
	int build_timeout;	/* seconds, whole build (900) */
	char *build_network;	/* the network build steps run on (deisctl's sandbox), or NULL */
	int build_memory_mb;	/* memory (and memory+swap) of a build step (2048) */
	int build_cpus;		/* CPUs a build may use (2) */
	int keepalive;		/* seconds of silence before a progress line */
	int gc_interval;	/* seconds between sweeps of gone apps' repositories */
};

/* conf.c */
/* Fill c with defaults, then the KEY=VALUE lines of path. -1 with e set on error. */
int conf_load(struct conf *c, const char *path, struct err *e);
/* Defaults overridden by DEIS_* environment variables (used by `start`). */
int conf_from_env(struct conf *c, struct err *e);
/* Write c as KEY=VALUE lines to path (mode 0640). */
int conf_write(const struct conf *c, const char *path, struct err *e);
void conf_free(struct conf *c);

/* sshcmd.c: what a client may ask for, parsed without a shell. */
enum sshcmd_op { SSHCMD_RECEIVE_PACK, SSHCMD_UPLOAD_PACK };
struct sshcmd {
	enum sshcmd_op op;
	char app[APP_NAME_MAX + 1];
};
/*
 * Parse SSH_ORIGINAL_COMMAND: `git-receive-pack '<app>.git'` or the same with
 * git-upload-pack (also `git receive-pack`, a leading '/', no quotes, no .git).
 * Anything else is -1 with a message for the user's terminal.
 */
int sshcmd_parse(const char *cmd, struct sshcmd *out, struct err *e);
/* ^[a-z0-9][a-z0-9-]{0,62}$ */
bool app_name_valid(const char *s);
/* A Deis username: 1..150 of [A-Za-z0-9@.+_-]. */
bool user_name_valid(const char *s);
/* An OpenSSH key type and base64 blob as sshd passes them to AuthorizedKeysCommand. */
bool key_type_valid(const char *s);
bool key_blob_valid(const char *s);

/* hooks.c: builder → controller (/v1/hooks/...), with X-Deis-Builder-Auth. */
/*
 * POST body to path; *status gets the HTTP status and *resp the decoded JSON
 * (caller owns, may be json_null()). -1 when the controller did not answer.
 * Blocks up to timeout_s.
 */
int hooks_post(const struct conf *c, const char *path, json_t *body, int timeout_s,
    long *status, json_t **resp, struct err *e);
/* The "detail" of an error answer, or a generic text for the status. */
const char *hooks_detail(const json_t *resp, long status);

/* procfile.c */
/*
 * Parse a Procfile ("type: command" lines) into a JSON object (caller owns).
 * Types must be [A-Za-z0-9_-]{1,63}; blank lines and '#' comments are skipped;
 * a bad line is -1 with e naming the line.
 */
json_t *procfile_parse(const char *text, size_t len, struct err *e);
/* default_process_types of a buildpack's `bin/release` YAML, as a JSON object. */
json_t *release_default_types(const char *text, size_t len);

/* engine.c: the streaming Docker Engine calls the build needs (libcurl, unix socket). */
struct engine;
/* Called with each piece of output the engine streams (already decoded). */
typedef void engine_out_fn(const char *p, size_t n, void *arg);
/*
 * dockerfile.c: the images a Dockerfile makes the daemon use (FROM that is no
 * stage nor scratch, COPY --from= that names no stage; ONBUILD triggers read
 * the same), global ARG defaults substituted for FROM, ARG and ENV for
 * --from; a reference with a variable it cannot tell is kept as written.
 * Fills *out (free each and the array) and returns their number.
 */
size_t dockerfile_images(const char *text, size_t len, char ***out);

struct engine *engine_new(const char *sock);
/* Pushes of images named on server go with these credentials (none to others). */
void engine_set_registry_auth(struct engine *g, const char *server, const char *user,
    const char *password);
void engine_free(struct engine *g);
/* One JSON request; see builder/engine.c. *resp may be NULL. */
int engine_call(struct engine *g, const char *method, const char *path, const json_t *body,
    long *status, json_t **resp, struct err *e);
/* POST /build with a tar context read from fd; streams "stream" text to fn. */
struct engine_limits {
	const char *network;	/* NULL: the engine's default */
	int memory_mb, cpus;	/* 0: none */
};
int engine_build(struct engine *g, const char *tag, int tar_fd, const struct engine_limits *l,
    engine_out_fn *fn, void *arg, int keepalive_s, int timeout_s, struct err *e);
/* Follow a container's logs until it exits, demultiplexed, to fn. */
int engine_follow(struct engine *g, const char *id, engine_out_fn *fn, void *arg,
    int keepalive_s, int timeout_s, struct err *e);
/* POST /images/<repo>/push?tag=<tag>; progress becomes fn lines. */
int engine_push(struct engine *g, const char *image, engine_out_fn *fn, void *arg,
    int keepalive_s, struct err *e);
/* GET a container path as a tar into fd / PUT a tar from fd into a container path. */
int engine_archive_get(struct engine *g, const char *id, const char *path, int fd, struct err *e);
int engine_archive_put(struct engine *g, const char *id, const char *path, int fd, struct err *e);
/* Force-remove a container; gone is success. */
void engine_remove(struct engine *g, const char *id);

/* build.c: the pre-receive hook. Returns the process exit status. */
int build_main(int argc, char **argv);
/* rm -rf -- path, bounded at 120 s (build dirs, the tmp sweep, a reused name's repo). 0 or -1. */
int builder_rm_rf(const char *path);

/* gc.c: repositories and caches of apps that are gone. */
/* The app's push lock, not blocking: an fd, or -1 (e->code EWOULDBLOCK when held). */
int builder_lock(const struct conf *c, const char *app, struct err *e);
/* The uuid <repo>/deis-app-uuid names, "" when none. */
void repo_uuid(const char *repo, char uuid[APP_UUID_MAX + 2]);
/* Remove what gone apps left: how many, or -1 with e set (controller unreachable). */
int builder_gc(const struct conf *c, struct err *e);
/* builder_gc in a detached child: when gc_interval has passed, or now with force. */
void builder_gc_spawn(const struct conf *c, bool force);
int gc_main(int argc, char **argv);
/* One build (build.c); buildpack.c reads it. */
struct build {
	const struct conf *conf;
	struct engine *engine;
	char app[APP_NAME_MAX + 1];
	char user[151];
	char sha[41], sha8[9];
	char *repo;		/* <repo_dir>/<app>.git */
	char *tmp;		/* temp dir: src/ (the tree), env/ (ENV_DIR), out/ */
	json_t *config;		/* the app's config values (object), never NULL */
	char container[80];	/* a build container to remove, or "" */
	char slug_container[80];
};

/* buildpack.c: compile a buildpack app into image `image`; procfile gets the process types. */
struct build;
int buildpack_build(struct build *b, const char *image, json_t **procfile, struct err *e);

/* main.c subcommands */
int keys_main(int argc, char **argv);
int shell_main(int argc, char **argv);
int start_main(int argc, char **argv);

/* Terminal output of a push: Deis's "-----> " lines (out.c). */
void out_step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Raw text from a build, re-indented line by line (partial lines are kept). */
void out_stream(const char *p, size_t n, void *arg);
void out_flush(void);
/* A progress line for a long silent phase (keeps proxies from cutting the push). */
void out_keepalive(uint64_t elapsed_ms);
extern uint64_t out_last_ms;	/* when the user last saw a line (ev_now_ms) */

#endif
