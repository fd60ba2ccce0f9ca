/*
 * Per-app storage: <dir>/<app>.log, appended to and rotated by size into
 * <app>.log.1 ... <app>.log.<history>; an in-memory tail (a suffix of the log
 * made of whole lines) answers most reads; followers get every new line.
 *
 * Lines are written with write(2) before the loop sleeps (or once 64 KiB are
 * pending), so a restart of the process loses nothing it had read from a
 * socket. Memory: each loaded app holds at most 2 × tail_bytes of tail plus
 * its pending lines; past tail_budget, or past MAX_OPEN apps, the least
 * recently used app is flushed and unloaded (its files stay).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/tree.h>
#include <unistd.h>

#include "lib/httpd.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "logger/logger.h"

#define MAX_OPEN	512		/* loaded apps (each may hold an fd) */
#define FLUSH_AT	(64 * 1024)	/* pending bytes that trigger a write */
#define READ_CAP	(64 << 20)	/* largest answer read from files */

struct follower {
	struct httpd_req *req;
	struct app *app;
	uint64_t dropped;		/* lines skipped since the last one sent */
	LIST_ENTRY(follower) link;
};

struct app {
	char name[65];
	int fd;				/* O_APPEND on <name>.log, or -1 */
	off_t size;			/* of <name>.log while fd is open */
	struct buf pending;		/* lines not yet written */
	struct buf tail;		/* newest whole lines, LF-terminated */
	bool loaded, complete;		/* tail read from disk; tail is the whole log */
	bool dirty;
	RB_ENTRY(app) node;
	TAILQ_ENTRY(app) lru;		/* loaded apps, most recent first */
	TAILQ_ENTRY(app) dirty_link;
	LIST_HEAD(, follower) followers;
};

static int
app_cmp(struct app *a, struct app *b)
{
	return strcmp(a->name, b->name);
}

RB_HEAD(app_tree, app);
/* libbsd leaves __unused undefined (it clashes with Linux headers). */
#define __unused __attribute__((__unused__))
RB_GENERATE_STATIC(app_tree, app, node, app_cmp)
#undef __unused

struct store {
	struct logger *lg;
	struct app_tree apps;
	TAILQ_HEAD(app_lru_head, app) lru;
	TAILQ_HEAD(app_dirty_head, app) dirty;
	size_t nloaded, nfollowing, tail_total, napps;
};

static void
app_path(const struct store *s, const struct app *a, int gen, char *out, size_t outsz)
{
	if (gen == 0)
		snprintf(out, outsz, "%s/%s.log", s->lg->o.dir, a->name);
	else
		snprintf(out, outsz, "%s/%s.log.%d", s->lg->o.dir, a->name, gen);
}

struct store *
store_new(struct logger *lg)
{
	struct store *s = xcalloc(1, sizeof(*s));

	s->lg = lg;
	RB_INIT(&s->apps);
	TAILQ_INIT(&s->lru);
	TAILQ_INIT(&s->dirty);
	if (mkdir(lg->o.dir, 0750) < 0 && errno != EEXIST)
		die(100, "cannot create '%s': %s", lg->o.dir, strerror(errno));
	return s;
}

static void
tail_set(struct store *s, struct app *a, size_t newlen)
{
	s->tail_total -= a->tail.len;
	buf_setlen(&a->tail, newlen);
	s->tail_total += newlen;
}

/* Keep at most tail_bytes (whole lines) once the tail has grown to twice that. */
static void
tail_trim(struct store *s, struct app *a)
{
	size_t cut;
	const char *lf;

	if (a->tail.len <= 2 * s->lg->o.tail_bytes)
		return;
	cut = a->tail.len - s->lg->o.tail_bytes;
	lf = memchr(a->tail.p + cut - 1, '\n', a->tail.len - cut + 1);
	cut = lf ? (size_t)(lf - a->tail.p) + 1 : a->tail.len;
	s->tail_total -= cut;
	buf_remove_head(&a->tail, cut);
	a->complete = false;
}

static int
app_open(struct store *s, struct app *a)
{
	char path[PATH_MAX];
	struct stat st;

	app_path(s, a, 0, path, sizeof(path));
	a->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (a->fd < 0 || fstat(a->fd, &st) < 0) {
		s->lg->st.write_errors++;
		log_warn("cannot open '%s': %s", path, strerror(errno));
		if (a->fd >= 0)
			close(a->fd);
		a->fd = -1;
		return -1;
	}
	a->size = st.st_size;
	return 0;
}

/* .log.(k-1) -> .log.k, the oldest is overwritten; then a new, empty .log. */
static int
app_rotate(struct store *s, struct app *a)
{
	char from[PATH_MAX], to[PATH_MAX];
	int k;

	close(a->fd);
	a->fd = -1;
	for (k = s->lg->o.history; k >= 1; k--) {
		app_path(s, a, k - 1, from, sizeof(from));
		app_path(s, a, k, to, sizeof(to));
		if (rename(from, to) < 0 && errno != ENOENT)
			log_warn("cannot rename '%s': %s", from, strerror(errno));
	}
	if (s->lg->o.history == 0) {
		app_path(s, a, 0, to, sizeof(to));
		unlink(to);
	}
	return app_open(s, a);
}

static int
app_write(struct store *s, struct app *a)
{
	size_t off = 0;

	if (a->pending.len == 0)
		return 0;
	if ((a->fd < 0 && app_open(s, a) < 0) ||
	    (a->size > 0 && (size_t)a->size + a->pending.len > s->lg->o.file_max &&
	    app_rotate(s, a) < 0)) {
		buf_reset(&a->pending);
		return -1;
	}
	while (off < a->pending.len) {
		ssize_t n = write(a->fd, a->pending.p + off, a->pending.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			s->lg->st.write_errors++;
			log_warn("cannot write log of '%s': %s", a->name, strerror(errno));
			break;
		}
		off += (size_t)n;
		a->size += n;
	}
	buf_reset(&a->pending);
	if (a->pending.cap > 4 * FLUSH_AT)
		buf_release(&a->pending);
	return 0;
}

static void
app_unload(struct store *s, struct app *a)
{
	app_write(s, a);
	if (a->dirty) {
		TAILQ_REMOVE(&s->dirty, a, dirty_link);
		a->dirty = false;
	}
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	tail_set(s, a, 0);
	buf_release(&a->tail);
	buf_release(&a->pending);
	a->loaded = false;
	TAILQ_REMOVE(&s->lru, a, lru);
	s->nloaded--;
	if (LIST_EMPTY(&a->followers)) {
		RB_REMOVE(app_tree, &s->apps, a);
		s->napps--;
		free(a);
	}
}

/* Read the newest tail_bytes of <app>.log into the tail. */
static void
app_load(struct store *s, struct app *a)
{
	char path[PATH_MAX];
	struct stat st;
	off_t from = 0;
	int fd;

	a->loaded = true;
	a->complete = true;
	TAILQ_INSERT_HEAD(&s->lru, a, lru);
	s->nloaded++;
	app_path(s, a, 1, path, sizeof(path));
	if (access(path, F_OK) == 0)
		a->complete = false;
	app_path(s, a, 0, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_size > 0) {
		size_t want;
		ssize_t n;

		if ((size_t)st.st_size > s->lg->o.tail_bytes) {
			from = st.st_size - (off_t)s->lg->o.tail_bytes;
			a->complete = false;
		}
		want = (size_t)(st.st_size - from);
		buf_grow(&a->tail, want);
		n = pread(fd, a->tail.p, want, from);
		if (n > 0) {
			size_t len = (size_t)n, start = 0;
			const char *lf;

			/* only whole lines: cut a partial first line and an unterminated last one */
			if (from > 0) {
				lf = memchr(a->tail.p, '\n', len);
				start = lf ? (size_t)(lf - a->tail.p) + 1 : len;
			}
			while (len > start && a->tail.p[len - 1] != '\n')
				len--;
			tail_set(s, a, len);
			buf_remove_head(&a->tail, start);
			s->tail_total -= start;
		}
	}
	close(fd);
}

static struct app *
app_get(struct store *s, struct str name, bool create)
{
	struct app key, *a;

	/* Lines come in runs of one app: the most recent one is checked first. */
	a = TAILQ_FIRST(&s->lru);
	if (a && a->loaded && strlen(a->name) == name.len && memcmp(a->name, name.p, name.len) == 0)
		return a;
	memcpy(key.name, name.p, name.len);
	key.name[name.len] = '\0';
	a = RB_FIND(app_tree, &s->apps, &key);
	if (a == NULL) {
		if (!create)
			return NULL;
		a = xcalloc(1, sizeof(*a));
		memcpy(a->name, key.name, sizeof(a->name));
		a->fd = -1;
		buf_init(&a->pending, 0);
		buf_init(&a->tail, 0);
		LIST_INIT(&a->followers);
		RB_INSERT(app_tree, &s->apps, a);
		s->napps++;
	}
	if (!a->loaded) {
		app_load(s, a);
	} else if (TAILQ_FIRST(&s->lru) != a) {
		TAILQ_REMOVE(&s->lru, a, lru);
		TAILQ_INSERT_HEAD(&s->lru, a, lru);
	}
	/* Enforce the budgets on the others, oldest first. */
	while ((s->tail_total > s->lg->o.tail_budget || s->nloaded > MAX_OPEN) &&
	    TAILQ_LAST(&s->lru, app_lru_head) != a)
		app_unload(s, TAILQ_LAST(&s->lru, app_lru_head));
	return a;
}

static void
follower_send(struct store *s, struct follower *f, const char *line, size_t len)
{
	if (httpd_stream_pending(f->req) > s->lg->o.follow_queue) {
		f->dropped++;
		s->lg->st.follow_dropped++;
		return;
	}
	if (f->dropped) {
		char note[96];
		int n = snprintf(note, sizeof(note),
		    "... %llu lines dropped: this reader was too slow\n", (unsigned long long)f->dropped);

		httpd_stream_write(f->req, note, (size_t)n);
		f->dropped = 0;
	}
	httpd_stream_write(f->req, line, len);
}

void
store_append(struct store *s, struct str name, const char *line, size_t len)
{
	struct app *a = app_get(s, name, true);
	struct follower *f;

	buf_add(&a->pending, line, len);
	buf_addch(&a->pending, '\n');
	s->tail_total += len + 1;
	buf_add(&a->tail, line, len);
	buf_addch(&a->tail, '\n');
	LIST_FOREACH(f, &a->followers, link)
		follower_send(s, f, a->tail.p + a->tail.len - len - 1, len + 1);
	tail_trim(s, a);
	if (a->pending.len >= FLUSH_AT)
		app_write(s, a);
	else if (!a->dirty) {
		a->dirty = true;
		TAILQ_INSERT_TAIL(&s->dirty, a, dirty_link);
	}
}

void
store_flush(struct store *s)
{
	struct app *a;

	while ((a = TAILQ_FIRST(&s->dirty)) != NULL) {
		TAILQ_REMOVE(&s->dirty, a, dirty_link);
		a->dirty = false;
		app_write(s, a);
	}
}

/* Start of the last n lines of p[0..len) (whole lines); *found says how many. */
static size_t
last_lines(const char *p, size_t len, size_t n, size_t *found)
{
	size_t i = len;

	*found = 0;
	if (len && p[len - 1] == '\n')
		i--;
	while (i > 0) {
		if (p[i - 1] == '\n') {
			if (++*found == n)
				return i;
		}
		i--;
	}
	if (len)
		++*found;
	return 0;
}

/*
 * Read the last n lines of file fd (size bytes, whole lines); prepend them to
 * out. Returns the lines found, scanning backwards in blocks.
 */
static size_t
file_last_lines(int fd, off_t size, size_t n, struct buf *out)
{
	char blk[65536];
	off_t pos = size, start = 0;
	size_t found = 0;
	bool first = true;

	while (pos > 0 && found < n) {
		size_t want = pos > (off_t)sizeof(blk) ? sizeof(blk) : (size_t)pos;
		ssize_t r = pread(fd, blk, want, pos - (off_t)want);
		size_t i;

		if (r != (ssize_t)want)
			return 0;
		pos -= (off_t)want;
		for (i = want; i > 0; i--) {
			if (blk[i - 1] != '\n')
				continue;
			if (first && pos + (off_t)i == size) {
				first = false;	/* the LF that ends the last line */
				continue;
			}
			if (++found == n) {
				start = pos + (off_t)i;
				goto done;
			}
		}
		if (size - pos > READ_CAP) {
			start = pos;
			goto done;
		}
	}
	if (size > 0)
		found++;	/* the first line of the file */
done:
	if (size > start && size - start <= READ_CAP) {
		size_t len = (size_t)(size - start), old = out->len;

		buf_grow(out, len);
		memmove(out->p + len, out->p, old);
		if (pread(fd, out->p, len, start) != (ssize_t)len) {
			memmove(out->p, out->p + len, old);
			return 0;
		}
		buf_setlen(out, old + len);
	}
	return found;
}

size_t
store_tail(struct store *s, struct str name, size_t n, struct buf *out)
{
	struct app *a;
	struct buf tmp = BUF_INIT;
	size_t found, start, total = 0;
	int gen;

	if (n == 0)
		return 0;
	a = app_get(s, name, true);
	start = last_lines(a->tail.p, a->tail.len, n, &found);
	if (found == n || a->complete) {
		buf_add(out, a->tail.p + start, a->tail.len - start);
		return found;
	}
	/* Not all in memory: the files, newest first. */
	app_write(s, a);
	for (gen = 0; gen <= s->lg->o.history && total < n && tmp.len < READ_CAP; gen++) {
		char path[PATH_MAX];
		struct stat st;
		int fd;

		app_path(s, a, gen, path, sizeof(path));
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0)
			total += file_last_lines(fd, st.st_size, n - total, &tmp);
		close(fd);
	}
	buf_add(out, tmp.p, tmp.len);
	buf_release(&tmp);
	return total;
}

void
store_delete(struct store *s, struct str name)
{
	struct app *a = app_get(s, name, true);
	char path[PATH_MAX];
	int gen;

	buf_reset(&a->pending);
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	tail_set(s, a, 0);
	a->complete = true;
	for (gen = 0; gen <= s->lg->o.history + 8; gen++) {
		app_path(s, a, gen, path, sizeof(path));
		if (unlink(path) < 0 && errno != ENOENT)
			log_warn("cannot remove '%s': %s", path, strerror(errno));
	}
}

void
store_follow(struct store *s, struct str name, struct httpd_req *req)
{
	struct app *a = app_get(s, name, true);
	struct follower *f = xcalloc(1, sizeof(*f));

	f->req = req;
	f->app = a;
	req->data = f;
	LIST_INSERT_HEAD(&a->followers, f, link);
	s->nfollowing++;
}

void
store_unfollow(struct store *s, struct httpd_req *req)
{
	struct follower *f = req->data;
	struct app *a;

	if (f == NULL)
		return;
	a = f->app;
	LIST_REMOVE(f, link);
	req->data = NULL;
	free(f);
	s->nfollowing--;
	if (!a->loaded && LIST_EMPTY(&a->followers)) {
		RB_REMOVE(app_tree, &s->apps, a);
		s->napps--;
		free(a);
	}
}

void
store_reopen(struct store *s)
{
	struct app *a;

	store_flush(s);
	TAILQ_FOREACH(a, &s->lru, lru)
		if (a->fd >= 0) {
			close(a->fd);
			a->fd = -1;
		}
}

void
store_stats(struct store *s, size_t *apps, size_t *tail_bytes)
{
	*apps = s->nloaded;
	*tail_bytes = s->tail_total;
}

void
store_free(struct store *s)
{
	struct app *a, *next;

	if (s == NULL)
		return;
	store_flush(s);
	for (a = RB_MIN(app_tree, &s->apps); a; a = next) {
		struct follower *f;

		next = RB_NEXT(app_tree, &s->apps, a);
		while ((f = LIST_FIRST(&a->followers)) != NULL) {
			LIST_REMOVE(f, link);
			f->req->data = NULL;
			free(f);
		}
		if (a->fd >= 0)
			close(a->fd);
		buf_release(&a->tail);
		buf_release(&a->pending);
		RB_REMOVE(app_tree, &s->apps, a);
		free(a);
	}
	free(s);
}
