#ifndef LIB_RUN_H
#define LIB_RUN_H
/*
 * run: the one way this project starts a subprocess (git's run-command.h).
 * A program is started from an argv array and an optional environment array,
 * never through a shell. Each of stdin, stdout and stderr is inherited (the
 * default: a zeroed struct run inherits all three), connected to /dev/null,
 * connected to a pipe whose parent end is returned, or connected to an fd
 * the caller gives.
 *
 *	const char *argv[] = { "git", "archive", sha, NULL };
 *	struct run r = { .argv = argv, .out = RUN_PIPE };
 *	if (run_start(&r, &e) < 0) ...;	read r.out_fd ...; close it
 *	run_wait(&r, 10000, &status, &e);
 *
 * Every fd the helper creates is O_CLOEXEC in the parent; the child gets only
 * 0, 1 and 2 plus whatever the caller left without O_CLOEXEC.
 * Not thread-safe with respect to other fork()ing threads' pipes (like every
 * fork/exec helper); fine in this project's single-threaded helpers.
 */
#include <stddef.h>
#include <sys/types.h>

struct buf;
struct err;

enum run_io {
	RUN_INHERIT = 0,	/* the child shares the parent's fd */
	RUN_NULL,		/* /dev/null */
	RUN_PIPE,		/* a pipe; the parent's end is in in_fd/out_fd/err_fd */
	RUN_FD,			/* the fd given in in_fd/out_fd/err_fd (the caller keeps it) */
	RUN_TO_OUT,		/* stderr only: the same as the child's stdout */
};

struct run {
	const char *const *argv;	/* argv[0] without '/' is looked up in PATH */
	const char *const *env;		/* NULL: the parent's environment */
	const char *dir;		/* chdir() there first, or NULL */
	enum run_io in, out, err;
	int in_fd, out_fd, err_fd;	/* RUN_FD: input; RUN_PIPE: output (parent's end, owned by the caller) */
	int new_pgrp;			/* the child leads its own process group (run_kill kills the group) */
	pid_t pid;			/* > 0 while started and not yet reaped */
};

/*
 * Start r. Returns 0, or -1 with e set ("cannot run 'git': No such file or
 * directory") when the program could not be executed; nothing is left behind
 * on failure.
 */
int run_start(struct run *r, struct err *e);

/*
 * Wait for the child for at most timeout_ms (< 0: forever). On exit, returns 0
 * and sets *status to the exit code, or 128 + the signal number when a signal
 * ended it. On timeout, kills the child (SIGTERM, then SIGKILL after 2 s),
 * reaps it, and returns -1 with e set. Pipe ends are not closed here.
 */
int run_wait(struct run *r, int timeout_ms, int *status, struct err *e);

/* Send sig to the child (its group when new_pgrp). No-op once reaped. */
void run_kill(struct run *r, int sig);

/*
 * Run argv to completion with input in[0..inlen) on its stdin (in may be NULL:
 * /dev/null), collecting its stdout in out and its stderr in errout (either may
 * be NULL: output discarded; the same buf twice merges them). Bounded by
 * timeout_ms as run_wait. Returns 0 with *status set, or -1 with e set.
 */
int run_capture(const char *const *argv, const char *const *env, const char *dir,
    const char *in, size_t inlen, struct buf *out, struct buf *errout,
    int timeout_ms, int *status, struct err *e);

#endif
