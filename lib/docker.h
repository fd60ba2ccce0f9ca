#ifndef LIB_DOCKER_H
#define LIB_DOCKER_H
/*
 * A client for the Docker Engine API over its unix socket (libcurl with
 * CURLOPT_UNIX_SOCKET_PATH), JSON through jansson.
 *
 * Threads: a struct docker is immutable after docker_new() and may be shared by
 * any number of threads; every call makes its own curl handle and connection.
 * Every call BLOCKS for at most its timeout (documented per call); none may be
 * made from an event-loop thread.
 *
 * Errors: functions fill a caller-provided struct err and return -1. e->code is
 * the HTTP status Docker answered (404 no such container/image, 409 conflict,
 * ...) or 0 when the daemon could not be reached or its answer made no sense.
 * Messages are one lower-case line naming the subject: "docker: cannot create
 * container 'x': Conflict. The container name ..." (Docker's own message last).
 *
 * Paths given to docker_request() exclude the version prefix: "/containers/json".
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <jansson.h>

#include "lib/buf.h"
#include "lib/err.h"

#define DOCKER_SOCK_DEFAULT "/var/run/docker.sock"
/* The API version we speak; lowered to the daemon's if it is older. */
#define DOCKER_API_VERSION "1.41"
#define DOCKER_ID_MAX 65	/* 64 hex digits + NUL */

struct docker;

/*
 * sock: path of the daemon's unix socket; NULL means $DOCKER_HOST when it is
 * "unix://PATH", else DOCKER_SOCK_DEFAULT. Nothing is contacted yet. Never
 * returns NULL. Free with docker_free() (accepts NULL).
 */
struct docker *docker_new(const char *sock);
void docker_free(struct docker *d);
const char *docker_sock(const struct docker *d);

/*
 * GET /version (unversioned): checks the daemon answers and settles the API
 * version prefix: DOCKER_API_VERSION, or the daemon's ApiVersion when older.
 * Call once before sharing d between threads. Blocks up to 5 s.
 */
int docker_ping(struct docker *d, struct err *e);
/* The "1.41" in use (valid after docker_ping(), else DOCKER_API_VERSION). */
const char *docker_api_version(const struct docker *d);

/*
 * One request. method "GET", "POST", "DELETE"; path with query, without the
 * version prefix; body NULL or a JSON value sent as application/json. The
 * response body is appended to resp (may be NULL to discard), at most 64 MiB.
 * *status gets the HTTP status. Returns 0 whenever Docker answered at all
 * (whatever the status), -1 when it could not be reached or the transfer
 * failed or timed out (timeout_ms 0: no limit).
 */
int docker_request(struct docker *d, const char *method, const char *path,
    const json_t *body, long timeout_ms, long *status, struct buf *resp, struct err *e);

/*
 * Like docker_request() but a status outside 200..299 (and not in ok_extra, a
 * 0-terminated list such as {304, 404, 0}, may be NULL) is an error whose
 * message is "docker: <what>: <Docker's message>". Returns the parsed JSON
 * body (caller owns; json_decref()) when there is one, or json_null() for an
 * empty or non-JSON body; NULL on error. *status may be NULL.
 */
json_t *docker_call(struct docker *d, const char *method, const char *path,
    const json_t *body, long timeout_ms, const int *ok_extra, long *status,
    const char *what, struct err *e);
/* As docker_call, with the registry credentials when image is on their registry. */
json_t *docker_call_image(struct docker *d, const char *method, const char *path,
    const json_t *body, long timeout_ms, const int *ok_extra, long *status, const char *what,
    const char *image, struct err *e);

/*
 * Registry credentials. The engine's X-Registry-Auth value (base64url of the
 * JSON auth config) for user at server; caller frees (and wipes). The handle's
 * credentials go with a pull (and docker_call_image) only of an image named on
 * that server ("server/..."): never to another registry, which would be sent
 * them when it asks.
 */
char *docker_registry_auth(const char *server, const char *user, const char *password);
void docker_set_registry_auth(struct docker *d, const char *server, const char *user,
    const char *password);
/* Whether image ref is named on registry server ("server/..."); false for a NULL server. */
bool docker_ref_on(const char *ref, const char *server);
/* The header line for ref, or NULL when ref is not on the handle's registry. */
const char *docker_registry_auth_for(const struct docker *d, const char *ref);

/* Containers. All block up to 30 s unless stated. */

/*
 * POST /containers/create?name=NAME with config (the Docker create body).
 * id gets the new container's id. e->code 409: the name is taken; 404: no such
 * image locally.
 */
int docker_container_create(struct docker *d, const char *name, const json_t *config,
    char id[DOCKER_ID_MAX], struct err *e);
/* Already started (304) is success. */
int docker_container_start(struct docker *d, const char *id, struct err *e);
/* SIGTERM, then SIGKILL after timeout_s; already stopped (304) and gone (404) are success. Blocks up to timeout_s + 30 s. */
int docker_container_stop(struct docker *d, const char *id, int timeout_s, struct err *e);
/* Send signal (e.g. "TERM", "KILL"). Not running (409) and gone (404) are success. */
int docker_container_kill(struct docker *d, const char *id, const char *signal, struct err *e);
/* POST /containers/ID/resize: the terminal of a container made with Tty. */
int docker_container_resize(struct docker *d, const char *id, unsigned rows, unsigned cols,
    struct err *e);
/*
 * POST /containers/ID/attach?stream=1&stdin=1&stdout=1&stderr=1, hijacked
 * (Connection: Upgrade, Upgrade: tcp): returns the socket, a blocking
 * close-on-exec descriptor the caller owns, that now carries the
 * container's stdin one way and its output the other (raw bytes for a
 * container made with Tty, else multiplexed frames); bytes the daemon sent
 * after its answer's head are appended to extra. Attach before the start
 * so that no output is lost. -1 with e set (e->code 404: no such
 * container). Blocks up to 30 s. (docker_attach.c)
 */
int docker_container_attach(struct docker *d, const char *id, struct buf *extra, struct err *e);
/* Remove (force kills a running one). Gone (404) is success. */
int docker_container_remove(struct docker *d, const char *id, bool force, struct err *e);
int docker_container_rename(struct docker *d, const char *id, const char *name, struct err *e);
/* GET /containers/ID/json; caller owns the result. */
json_t *docker_container_inspect(struct docker *d, const char *id, struct err *e);
/*
 * GET /containers/json?all=1&filters={"label":[label]}; label is "key=value"
 * or "key" or NULL for all. Caller owns the array.
 */
json_t *docker_container_list(struct docker *d, const char *label, struct err *e);
/*
 * POST /containers/ID/wait: blocks until the container stops or timeout_ms
 * passes (then -1 with e->code 504). *exit_code gets its status.
 */
int docker_container_wait(struct docker *d, const char *id, long timeout_ms, int *exit_code,
    struct err *e);
/*
 * GET /containers/ID/logs?stdout=1&stderr=1 of a stopped container, stdout and
 * stderr merged in order (the multiplexed stream is taken apart); at most max
 * bytes are kept (the rest is dropped and *truncated set when non-NULL).
 */
int docker_container_logs(struct docker *d, const char *id, size_t max, struct buf *out,
    bool *truncated, struct err *e);

/*
 * Run argv (with the extra environment env, "K=V", may be NULL) in the running
 * container id, as `docker exec` does, to completion (bounded by timeout_ms):
 * stdout and stderr merged and appended to out (at most 1 MiB), the exit
 * status into *code. -1 with e set when it could not be run (e->code 404: no
 * such container, 409: not running). The env strings are wiped after use.
 */
int docker_exec(struct docker *d, const char *id, const char *const *argv,
    const char *const *env, long timeout_ms, struct buf *out, int *code, struct err *e);

/* Images. */

/* GET /images/REF/json (an object; caller owns); NULL with e->code 404 when absent. */
json_t *docker_image_inspect(struct docker *d, const char *ref, struct err *e);
/* 0 when ref is present locally; -1 with e->code 404 when not. Blocks up to 30 s. */
int docker_image_present(struct docker *d, const char *ref, struct err *e);
/*
 * The local image ref's id ("sha256:<hex>", the digest of its config: the same
 * whatever name pulled it) into id; -1 with e->code 404 when not present.
 */
#define DOCKER_IMAGE_ID_MAX 80
int docker_image_id(struct docker *d, const char *ref, char id[DOCKER_IMAGE_ID_MAX],
    struct err *e);
/*
 * POST /images/create?fromImage=REPO&tag=TAG; the streamed progress is read to
 * its end and an "error" in it fails the pull. Blocks up to timeout_ms.
 */
int docker_image_pull(struct docker *d, const char *ref, long timeout_ms, struct err *e);

/* Events. */

/*
 * Called once per event (the decoded JSON object, borrowed for the call) on
 * the thread running docker_events(). Return 0 to go on, -1 to stop.
 */
typedef int docker_event_fn(json_t *event, void *arg);

/*
 * GET /events?since=SINCE&filters=FILTERS (filters: a JSON text such as
 * {"type":["container"]}, may be NULL; since: Unix time with fraction, 0 for
 * "from now"). BLOCKS until *stop becomes non-zero (noticed within 1 s), fn
 * returns -1, or the stream ends or fails. Returns 0 when stopped by *stop or
 * fn, -1 (e filled) when the stream ended or failed.
 */
int docker_events(struct docker *d, const char *filters, double since, docker_event_fn *fn,
    void *arg, volatile int *stop, struct err *e);

/*
 * A curl handle set for one request to the daemon (its socket, the versioned
 * URL of path, method, a 5 s connect timeout, no signals), for a component
 * that runs its transfers itself (logspout's curl multi). NULL when curl has
 * no memory. The caller sets the rest and cleans it up.
 */
CURL *docker_easy(const struct docker *d, const char *method, const char *path);

/*
 * Streams (lib/docker_stream.c): the one decoder of each of Docker's stream
 * formats, and one streaming request, shared by every component.
 */

/*
 * The multiplexed stdout/stderr stream of a non-TTY container: frames of an
 * 8-byte header {stream, 0, 0, 0, size32be} and size bytes (stream 0 stdin,
 * 1 stdout, 2 stderr). Fed any split of the bytes, the decoder hands each
 * frame's payload to fn in one or more pieces, in order; flags tell where a
 * frame begins and ends (an empty frame is one call with n 0 and both flags).
 * Nothing is buffered: a piece is a slice of the bytes fed.
 */
#define DOCKER_FRAME_START 1
#define DOCKER_FRAME_END 2
typedef void docker_frame_fn(void *arg, int stream, const char *p, size_t n, int flags);
struct docker_frames {
	docker_frame_fn *fn;
	void *arg;
	unsigned char hdr[8];
	unsigned hdr_have;
	uint32_t left;		/* payload bytes of the current frame still to come */
	bool in_frame;
};
void docker_frames_init(struct docker_frames *f, docker_frame_fn *fn, void *arg);
void docker_frames_feed(struct docker_frames *f, const char *p, size_t n);
/* Whether the bytes fed so far end inside a frame (its header or payload cut). */
bool docker_frames_partial(const struct docker_frames *f);
/*
 * A whole multiplexed answer: the payloads of stdin, stdout and stderr
 * frames appended to out in order, at most max bytes of out in total (the
 * rest dropped, *truncated set when non-NULL); a cut last frame counts as far
 * as it goes.
 */
void docker_demux(const char *in, size_t len, struct buf *out, size_t max, bool *truncated);

/*
 * The JSON-lines progress stream of a build, a push or a pull: each line an
 * object; {"stream": text} goes to text (may be NULL), the first {"error": m}
 * is kept in error with failed set, a {"message": m} (the body of a refusal)
 * is kept when no error was. Lines longer than 16 MiB stop the decoder
 * (docker_progress_feed returns -1).
 */
struct docker_progress {
	void (*text)(const char *p, size_t n, void *arg);
	void *arg;
	struct buf line;
	char error[512];
	bool failed;
};
void docker_progress_init(struct docker_progress *p,
    void (*text)(const char *p, size_t n, void *arg), void *arg);
int docker_progress_feed(struct docker_progress *p, const char *data, size_t n);
/* Takes a last line without LF, then frees the decoder's memory. */
void docker_progress_finish(struct docker_progress *p);

/*
 * One streaming request: an upload from in_fd (in_size bytes, or chunked when
 * -1) and/or an answer body handed to body as it arrives. image: the request
 * concerns that image (a push), so X-Registry-Auth carries the handle's
 * credentials when it is on their registry, "{}" otherwise. tick is called
 * about once a second while the transfer runs; body or tick returning -1
 * aborts it. what names the operation in messages. Returns 0 when Docker
 * answered 2xx and the body was read to its end; else -1 with e->code the
 * status (503: Docker unreachable or the transfer failed, 504: timeout) and
 * e->msg "<what>: <Docker's message or the transfer's error>". A status
 * outside 2xx never reaches body. Blocks up to timeout_ms (0: no limit).
 */
struct docker_stream {
	const char *method, *path;	/* path with query, without the version prefix */
	const char *ctype;		/* of the upload, or NULL */
	int in_fd;			/* -1: no upload */
	long long in_size;
	const char *image;
	long timeout_ms;
	int (*body)(const char *p, size_t n, void *arg);
	int (*tick)(void *arg);
	void *arg;
	const char *what;
};
int docker_stream(struct docker *d, const struct docker_stream *s, struct err *e);

/* Docker's {"message": "..."} of an answer b, or its raw body, made one line, into out. */
void docker_message(const struct buf *b, char *out, size_t size);

/*
 * Split an image reference into repository and tag/digest: "h:5000/a:v2" →
 * "h:5000/a" and "v2"; no tag → "latest"; "a@sha256:..." → "a" and
 * "sha256:..." (with *digest true). Caller owns *repo and *tag (free()).
 */
int docker_ref_split(const char *ref, char **repo, char **tag, bool *digest);

#endif
