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
#include <sys/types.h>

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
	int build_pids;		/* processes and threads of a build (1024) */
	int build_disk_mb;	/* disk a build may write: its tree, its steps' layers (10240) */
	/*
	 * Where the host's cgroup hierarchy is mounted here, with the name of the
	 * builds' parent group in it after a ':' ("/sys/fs/cgroup:deis-build"):
	 * a Dockerfile build's steps run in a group of their own below that parent,
	 * limited in pids (the classic build API has no pids option). NULL: none.
	 */
	char *build_cgroup;
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

/* engine.c: the Docker calls of a build that stream (over lib/docker). */
struct docker;
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

/*
 * Called about once a second while a build runs, with the container running
 * now (a Dockerfile's step, the buildpack container; NULL between steps):
 * -1 kills it.
 */
typedef int engine_watch_fn(void *arg, const char *container);
struct engine_watch {
	engine_watch_fn *fn;
	void *arg;
};
/* POST /build with a tar context read from fd; streams "stream" text to fn. */
struct engine_limits {
	const char *network;	/* NULL: the engine's default */
	int memory_mb, cpus;	/* 0: none */
	const char *cgroup_parent;	/* NULL or "": the engine's default */
	const struct engine_watch *watch;	/* may be NULL */
};
int engine_build(struct docker *d, const char *tag, int tar_fd, const struct engine_limits *l,
    engine_out_fn *fn, void *arg, int keepalive_s, int timeout_s, struct err *e);
/* Follow a container's logs until it exits, demultiplexed, to fn. */
int engine_follow(struct docker *d, const char *id, engine_out_fn *fn, void *arg,
    int keepalive_s, int timeout_s, const struct engine_watch *watch, struct err *e);
/* POST /images/<repo>/push?tag=<tag> (with the registry credentials); progress to fn. */
int engine_push(struct docker *d, const char *image, engine_out_fn *fn, void *arg,
    int keepalive_s, struct err *e);
/* GET a container path as a tar into fd / PUT a tar from fd into a container path. */
int engine_archive_get(struct docker *d, const char *id, const char *path, int fd, struct err *e);
int engine_archive_put(struct docker *d, const char *id, const char *path, int fd, struct err *e);

/* limits.c: what the classic build API cannot limit: processes of RUN steps, disk. */
#define LIMITS_CGROUP_MAX 256
/*
 * Make the build's cgroup (name: unique per build) with pids.max, and put
 * the steps' cgroup parent ("/<parent>/<name>") in out; out "" and 0 when no
 * build_cgroup is set. -1 with e set when it cannot be made.
 */
int limits_cgroup_make(const struct conf *c, const char *name, char out[LIMITS_CGROUP_MAX],
    struct err *e);
/* Whether a fork in the build's cgroup was refused for its pids.max. */
bool limits_cgroup_hit(const struct conf *c, const char *name);
/* Remove the build's cgroup (every hierarchy); a busy one stays for the sweep. */
void limits_cgroup_remove(const struct conf *c, const char *name);
/*
 * At start (as root): remove the empty groups builds left, make the parent
 * group in every hierarchy and hand it to uid:gid, who runs the builds.
 */
void limits_cgroup_prepare(const struct conf *c, uid_t uid, gid_t gid);
/*
 * Bytes of a commit's tree (its blobs), -1 when git cannot tell; the paths of
 * its submodules (gitlinks) are appended to gitlinks, ", "-separated, when
 * it is not NULL.
 */
long long limits_tree_bytes(const char *repo, const char *sha, struct buf *gitlinks);
/* Bytes allocated under path (one filesystem, links not followed); 0 when absent. */
long long limits_dir_bytes(const char *path);
/*
 * The disk a running build writes, measured every few seconds by
 * limits_watch (an engine_watch_fn): the running container's writable layer
 * plus the growth of the watched host directories. Past the limit it sets
 * over and answers -1, and the engine kills the container.
 */
#define LIMITS_WATCH_DIRS 3
struct limits_watch {
	struct docker *docker;
	const char *cgroup_parent;	/* set: only containers in it are the build's */
	long long limit, used;
	const char *dirs[LIMITS_WATCH_DIRS];
	long long base[LIMITS_WATCH_DIRS];
	uint64_t next_ms;
	bool over;
};
void limits_watch_init(struct limits_watch *w, struct docker *d, const struct conf *c);
/* Count what dir holds (all of it, or only its growth from now). */
void limits_watch_dir(struct limits_watch *w, const char *dir, bool growth_only);
int limits_watch(void *arg, const char *container);
/* A build stopped by one of its limits says which, and how to change it (e->msg rewritten). */
void limits_explain(const struct conf *c, const struct limits_watch *w, bool pids_hit,
    struct err *e);
/* Bytes of the layers of image made at or after since_s (Unix time); -1 when unknown. */
long long limits_image_new_bytes(struct docker *d, const char *image, long long since_s);

/* build.c: the pre-receive hook. Returns the process exit status. */
/* Whether ref is a well-formed "refs/..." name, by git check-ref-format's rules. */
bool build_ref_valid(const char *ref);
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
	struct docker *docker;
	char app[APP_NAME_MAX + 1];
	char user[151];
	char sha[41], sha8[9];
	char *repo;		/* <repo_dir>/<app>.git */
	char *tmp;		/* temp dir: src/ (the tree), env/ (ENV_DIR), out/ */
	json_t *config;		/* the app's config values (object), never NULL */
	char container[80];	/* a build container to remove, or "" */
	char fetch_container[80];	/* the fetch's build container to remove, or "" */
	char slug_container[80];
	struct fetch *fetch;	/* what the build fetches from the user's URLs (fetch.c) */
	char *modules_tar;	/* the submodules, at their paths, as fetched, or NULL */
	uint64_t push_ms;	/* when the user's ssh session began (ev_now_ms), 0 unknown */
	struct buf phases;	/* "receive 0.4 s, build 2.1 s, ...": where the push's time went */
};

/* buildpack.c: compile a buildpack app into image `image`; procfile gets the process types. */
struct build;
int buildpack_build(struct build *b, const char *image, json_t **procfile, struct err *e);
/*
 * Open a file a build container wrote to dir (a directory the builder made):
 * only a regular file itself, never through a symbolic link. An fd, or -1
 * with errno ENOENT when absent, or -1 with e set when it is something else.
 */
int buildpack_open_out(const char *dir, const char *name, struct err *e);
/* Create (0600) or truncate path with n bytes of p. -1 with e set. */
int buildpack_write_file(const char *path, const char *p, size_t n, struct err *e);

/*
 * sandbox.c: the containers the builder runs itself on a user's behalf, with
 * the build's floor (stack image, build network, the builder's uid, no
 * capabilities, no-new-privileges, memory/CPU/pids limits, builder labels,
 * the CA bundle).
 */
#define SANDBOX_ID_MAX 80
/*
 * The create body of such a container running cmd, with binds and env
 * ("K=V"), both NULL-terminated. Caller owns the result (json_decref).
 */
json_t *sandbox_config(const struct build *b, const char *cmd, const char *const *binds,
    const char *const *env);
/*
 * Create and start cfg (its id in id, for the caller to remove), stream its
 * output to the user until it exits, watched by w (limits_watch_init'ed by
 * the caller), and set *exit_code. -1 with e set when it could not run or a
 * limit stopped it (e says which).
 */
int sandbox_run(struct build *b, json_t *cfg, char id[SANDBOX_ID_MAX], struct limits_watch *w,
    int *exit_code, struct err *e);

/*
 * fetch.c: what a build fetches from URLs its user gives (BUILDPACK_URL,
 * .buildpacks, .gitmodules), all fetched in one sandbox container running
 * images/fetch, never by the builder's own process.
 */
struct fetch;
struct fetch *fetch_new(void);
void fetch_free(struct fetch *f);	/* accepts NULL */
/*
 * Add a buildpack "url[#ref]" to be cloned into <dir>/<name>: -1 with e set
 * when url is not http(s):// or git://, or ref is not a plausible ref.
 */
int fetch_add_buildpack(struct fetch *f, const char *spec, const char *name, struct err *e);
/*
 * Add every submodule (gitlink) of the pushed tree, at the commit it
 * records, from its URL in .gitmodules at that commit: -1 with e naming the
 * submodule when it has no URL there or one that is relative or not
 * http(s):// or git://. Sets *n to how many were added.
 */
int fetch_add_submodules(struct fetch *f, const struct build *b, size_t *n, struct err *e);
/* How many fetches were added. */
size_t fetch_count(const struct fetch *f);
/*
 * Run the fetch container: buildpacks into bpdir (a directory the builder
 * made, or NULL when there are none), submodules into <b->tmp>/fetch/modules.tar
 * (b->modules_tar set when there are some). -1 with e naming the URL (and the
 * submodule) whose fetch failed.
 */
int fetch_run(struct build *b, struct fetch *f, const char *bpdir, struct err *e);
/*
 * Unpack b->modules_tar (the container's output: only the submodules' own
 * paths are taken from it, GNU tar with no owner kept) into dir, which holds
 * the pushed tree. 0 when there are no submodules.
 */
int fetch_modules_unpack(struct build *b, const char *dir, struct err *e);

/* build.c: the pushed tree (git archive <sha>) unpacked into a new dir. */
int build_unpack(struct build *b, const char *dir, struct err *e);
/* A file of the pushed commit (caller frees), NULL when it has none. */
char *build_tree_read(struct build *b, const char *path, size_t *len);

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
