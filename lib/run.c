/*
 * Subprocesses from argv/env arrays (see run.h). The child reports a failed
 * exec through a close-on-exec pipe, so run_start() can say "cannot run"
 * instead of the caller seeing a mysterious exit 127.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/ev.h"
#include "lib/run.h"

extern char **environ;

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * Prepare one of the child's standard fds: *child is what the child gets (or -1
 * to inherit), *parent the parent's end of a pipe (or -1).
 */
static int
io_prepare(enum run_io mode, int given, int is_input, int *child, int *parent)
{
	int p[2];

	*child = *parent = -1;
	switch (mode) {
	case RUN_INHERIT:
	case RUN_TO_OUT:
		return 0;
	case RUN_NULL:
		*child = open("/dev/null", (is_input ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
		return *child < 0 ? -1 : 0;
	case RUN_PIPE:
		if (pipe2(p, O_CLOEXEC) < 0)
			return -1;
		*child = is_input ? p[0] : p[1];
		*parent = is_input ? p[1] : p[0];
		return 0;
	case RUN_FD:
		if (given < 0) {
			errno = EBADF;
			return -1;
		}
		/* A private copy so closing ours never closes the caller's. */
		*child = fcntl(given, F_DUPFD_CLOEXEC, 3);
		return *child < 0 ? -1 : 0;
	}
	errno = EINVAL;
	return -1;
}

/* In the child: only async-signal-safe calls from here to exec. */
static void __attribute__((noreturn))
child_exec(const struct run *r, int fds[3], int report)
{
	sigset_t none;
	int i, e;

	if (r->new_pgrp)
		setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (i = 1; i < NSIG; i++)
		if (i != SIGKILL && i != SIGSTOP)
			signal(i, SIG_DFL);
	/* fds[] are all >= 3 (see io_prepare), so dup2 cannot clobber a source. */
	for (i = 0; i < 3; i++)
		if (fds[i] >= 0 && dup2(fds[i], i) < 0)
			goto fail;
	if (r->err == RUN_TO_OUT && dup2(1, 2) < 0)
		goto fail;
	if (r->dir && chdir(r->dir) < 0)
		goto fail;
	execvpe(r->argv[0], (char *const *)r->argv,
	    r->env ? (char *const *)r->env : environ);
fail:
	e = errno;
	if (write(report, &e, sizeof(e)) < 0) {
		/* nothing left to do: the parent sees exit 127 */
	}
	_exit(127);
}

int
run_start(struct run *r, struct err *e)
{
	int fds[3] = { -1, -1, -1 }, par[3] = { -1, -1, -1 };
	enum run_io modes[3] = { r->in, r->out, r->err };
	int given[3] = { r->in_fd, r->out_fd, r->err_fd };
	int rep[2] = { -1, -1 }, i, child_errno = 0;
	const char *name = r->argv && r->argv[0] ? r->argv[0] : "(null)";
	ssize_t n;

	r->pid = -1;
	if (!r->argv || !r->argv[0])
		return err_set(e, 500, "cannot run a program without argv");
	for (i = 0; i < 3; i++) {
		if (modes[i] == RUN_TO_OUT && i != 2) {
			errno = EINVAL;
			goto fail;
		}
		if (io_prepare(modes[i], given[i], i == 0, &fds[i], &par[i]) < 0)
			goto fail;
		/* Keep the child's ends above 2 so dup2 ordering is trivial. */
		if (fds[i] >= 0 && fds[i] < 3) {
			int hi = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);

			if (hi < 0)
				goto fail;
			close(fds[i]);
			fds[i] = hi;
		}
	}
	if (pipe2(rep, O_CLOEXEC) < 0)
		goto fail;
	r->pid = fork();
	if (r->pid < 0)
		goto fail;
	if (r->pid == 0)
		child_exec(r, fds, rep[1]);
	close_fd(&rep[1]);
	for (i = 0; i < 3; i++)
		close_fd(&fds[i]);
	do
		n = read(rep[0], &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close_fd(&rep[0]);
	if (n == sizeof(child_errno)) {
		while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
			;
		r->pid = -1;
		for (i = 0; i < 3; i++)
			close_fd(&par[i]);
		return err_set(e, 500, "cannot run '%s': %s", name, strerror(child_errno));
	}
	if (r->in == RUN_PIPE)
		r->in_fd = par[0];
	if (r->out == RUN_PIPE)
		r->out_fd = par[1];
	if (r->err == RUN_PIPE)
		r->err_fd = par[2];
	return 0;
fail:
	child_errno = errno;
	for (i = 0; i < 3; i++) {
		close_fd(&fds[i]);
		close_fd(&par[i]);
	}
	close_fd(&rep[0]);
	close_fd(&rep[1]);
	r->pid = -1;
	return err_set(e, 500, "cannot run '%s': %s", name, strerror(child_errno));
}

void
run_kill(struct run *r, int sig)
{
	if (r->pid <= 0)
		return;
	if (r->new_pgrp)
		kill(-r->pid, sig);
	else
		kill(r->pid, sig);
}

static int
decode_status(int ws)
{
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	if (WIFSIGNALED(ws))
		return 128 + WTERMSIG(ws);
	return 255;
}

/* Reap r if it has exited; 1 when reaped, 0 when still running, -1 on error. */
static int
try_reap(struct run *r, int *status)
{
	int ws;
	pid_t p;

	do
		p = waitpid(r->pid, &ws, WNOHANG);
	while (p < 0 && errno == EINTR);
	if (p < 0)
		return -1;
	if (p == 0)
		return 0;
	*status = decode_status(ws);
	r->pid = -1;
	return 1;
}

/* Sleep until r exits or ms pass (pidfd when the kernel has it, else short naps). */
static void
wait_some(struct run *r, int pidfd, int ms)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	struct timespec ts;

	if (pidfd >= 0) {
		poll(&pfd, 1, ms);
		return;
	}
	if (ms < 0 || ms > 10)
		ms = 10;	/* no pidfd: short naps, also when waiting forever */
	ts.tv_sec = 0;
	ts.tv_nsec = (long)ms * 1000000L;
	nanosleep(&ts, NULL);
}

int
run_wait(struct run *r, int timeout_ms, int *status, struct err *e)
{
	uint64_t deadline = timeout_ms < 0 ? 0 : ev_now_ms() + (uint64_t)timeout_ms;
	int pidfd, rc, killed = 0, st = 255;
	uint64_t now, kill_at = 0;

	if (r->pid <= 0)
		return err_set(e, 500, "no child to wait for");
	pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
	for (;;) {
		rc = try_reap(r, &st);
		if (rc != 0)
			break;
		now = ev_now_ms();
		if (!killed && deadline && now >= deadline) {
			run_kill(r, SIGTERM);
			killed = 1;
			kill_at = now + 2000;
		} else if (killed == 1 && now >= kill_at) {
			run_kill(r, SIGKILL);
			killed = 2;
		}
		if (timeout_ms < 0 && !killed)
			wait_some(r, pidfd, -1);
		else
			wait_some(r, pidfd, killed ? 100 : (int)(deadline - now));
	}
	if (pidfd >= 0)
		close(pidfd);
	if (rc < 0)
		return err_set(e, 500, "cannot wait for child: %s", strerror(errno));
	if (killed)
		return err_set(e, 504, "'%s' timed out after %d ms", r->argv[0], timeout_ms);
	if (status)
		*status = st;
	return 0;
}

static void
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int
run_capture(const char *const *argv, const char *const *env, const char *dir,
    const char *in, size_t inlen, struct buf *out, struct buf *errout,
    int timeout_ms, int *status, struct err *e)
{
	struct run r = { .argv = argv, .env = env, .dir = dir };
	uint64_t deadline = timeout_ms < 0 ? 0 : ev_now_ms() + (uint64_t)timeout_ms;
	sigset_t pipe_set, old_set;
	size_t off = 0;
	char chunk[8192];
	int rc, left;

	r.in = in ? RUN_PIPE : RUN_NULL;
	r.out = RUN_PIPE;
	r.err = (errout && errout == out) ? RUN_TO_OUT : RUN_PIPE;
	r.in_fd = r.out_fd = r.err_fd = -1;
	/* A child that exits without reading its input must not kill us with SIGPIPE. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, &old_set);
	if (run_start(&r, e) < 0) {
		sigprocmask(SIG_SETMASK, &old_set, NULL);
		return -1;
	}
	if (r.in_fd >= 0) {
		set_nonblock(r.in_fd);
		if (inlen == 0)
			close_fd(&r.in_fd);
	}
	while (r.in_fd >= 0 || r.out_fd >= 0 || r.err_fd >= 0) {
		struct pollfd p[3];
		int np = 0, i;

		if (r.in_fd >= 0)
			p[np++] = (struct pollfd){ .fd = r.in_fd, .events = POLLOUT };
		if (r.out_fd >= 0)
			p[np++] = (struct pollfd){ .fd = r.out_fd, .events = POLLIN };
		if (r.err_fd >= 0)
			p[np++] = (struct pollfd){ .fd = r.err_fd, .events = POLLIN };
		left = -1;
		if (deadline) {
			uint64_t now = ev_now_ms();

			if (now >= deadline)
				break;
			left = (int)(deadline - now);
		}
		rc = poll(p, np, left);
		if (rc < 0 && errno != EINTR)
			break;
		for (i = 0; rc > 0 && i < np; i++) {
			ssize_t n;

			if (!p[i].revents)
				continue;
			if (p[i].fd == r.in_fd) {
				n = write(r.in_fd, in + off, inlen - off);
				if (n > 0)
					off += (size_t)n;
				if ((n < 0 && errno != EAGAIN && errno != EINTR) || off == inlen)
					close_fd(&r.in_fd);
				continue;
			}
			n = read(p[i].fd, chunk, sizeof(chunk));
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n <= 0) {
				if (p[i].fd == r.out_fd)
					close_fd(&r.out_fd);
				else
					close_fd(&r.err_fd);
				continue;
			}
			if (p[i].fd == r.out_fd && out)
				buf_add(out, chunk, (size_t)n);
			else if (p[i].fd == r.err_fd && errout)
				buf_add(errout, chunk, (size_t)n);
		}
	}
	close_fd(&r.in_fd);
	close_fd(&r.out_fd);
	close_fd(&r.err_fd);
	/* Drop a SIGPIPE we may have earned, then restore the mask. */
	{
		struct timespec zero = { 0, 0 };

		while (sigtimedwait(&pipe_set, NULL, &zero) > 0)
			;
	}
	sigprocmask(SIG_SETMASK, &old_set, NULL);
	left = -1;
	if (deadline) {
		uint64_t now = ev_now_ms();

		left = now >= deadline ? 0 : (int)(deadline - now);
	}
	return run_wait(&r, left, status, e);
}
