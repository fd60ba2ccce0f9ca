/*
 * A log file several processes append to, rotated by size by the writers
 * themselves: when a write would take the file past max_size, the writer
 * renames PATH.(k-1) to PATH.k down to PATH to PATH.1, keeping max_files
 * files in all, and opens a new PATH. No line is lost or torn:
 *
 * - every write is whole lines to a description opened O_APPEND, so each
 *   lands whole at the end of whichever file the description names, before
 *   or after a rename alike;
 * - a writer whose file was renamed (another worker rotated it) finds it
 *   full (its size is past max_size) at its next write and reopens PATH; one
 *   whose file was removed (renamed over by a later rotation, or deleted by
 *   an operator) finds it unlinked and reopens PATH: it never writes into a
 *   file that is gone;
 * - two writers never both rotate: the rotation runs under an exclusive
 *   flock() on the directory (each rotation opens its own description of it,
 *   so the workers exclude each other even though they were forked with one
 *   description of the log), and rotates only when PATH still is the file
 *   this writer found full; otherwise another rotated first and this one
 *   only reopens.
 *
 * The check is one fstat() per write, i.e. per event-loop turn that logged
 * something, not per request. Files may pass max_size by what the writers
 * had in flight at once (at most a buffer each).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/xalloc.h"
#include "router/router.h"

int
logfile_open(struct logfile *lf, const char *path, uint64_t max_size, int max_files)
{
	int fd;

	if (max_files < 2 || max_files > LOGFILE_MAX_FILES) {
		errno = EINVAL;
		return -1;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	lf->fd = fd;
	lf->path = xstrdup(path);
	lf->max_size = max_size;
	lf->max_files = max_files;
	lf->rotations = 0;
	return 0;
}

void
logfile_close(struct logfile *lf)
{
	if (lf->fd >= 0)
		close(lf->fd);
	lf->fd = -1;
	free(lf->path);
	lf->path = NULL;
}

/* PATH.k, or PATH itself for k = 0. Caller frees. */
static char *
numbered(const char *path, int k)
{
	return k ? xasprintf("%s.%d", path, k) : xstrdup(path);
}

/* Shift PATH.(max-2) → PATH.(max-1), ..., PATH → PATH.1; a missing one is skipped. */
static int
shift(const char *path, int max_files)
{
	int k;

	for (k = max_files - 1; k >= 1; k--) {
		char *from = numbered(path, k - 1), *to = numbered(path, k);
		int rc = rename(from, to);

		free(from);
		free(to);
		if (rc < 0 && errno != ENOENT)
			return -1;
	}
	return 0;
}

/* The directory of path, opened for a lock. */
static int
dir_open(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL ? xstrdup(".") : slash == path ? xstrdup("/") :
	    xstrndup(path, (size_t)(slash - path));
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	free(dir);
	return fd;
}

/*
 * This writer's file is full (need: the bytes about to be written) or gone:
 * rotate when PATH is still that file and still full, then reopen PATH.
 */
static int
rotate(struct logfile *lf, const struct stat *mine, size_t need)
{
	struct stat cur;
	int dfd, fd, rc = -1;

	dfd = dir_open(lf->path);
	if (dfd < 0)
		return -1;
	if (flock(dfd, LOCK_EX) < 0)
		goto out;
	if (stat(lf->path, &cur) == 0 && cur.st_dev == mine->st_dev &&
	    cur.st_ino == mine->st_ino && cur.st_size > 0 &&
	    (uint64_t)cur.st_size + need > lf->max_size) {
		if (shift(lf->path, lf->max_files) < 0)
			goto out;
		lf->rotations++;
	}
	fd = open(lf->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		goto out;
	close(lf->fd);
	lf->fd = fd;
	rc = 0;
out:
	close(dfd);	/* releases the lock */
	return rc;
}

/* Write p[0..n) whole, retrying on EINTR and short writes. */
static int
write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
logfile_write(struct logfile *lf, const char *p, size_t n)
{
	struct stat st;

	if (lf->max_size && fstat(lf->fd, &st) == 0 &&
	    (st.st_nlink == 0 || (st.st_size > 0 && (uint64_t)st.st_size + n > lf->max_size)))
		rotate(lf, &st, n);	/* failing, the lines go to the file we have */
	return write_all(lf->fd, p, n);
}
