#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include "lib/ev.h"
#include "lib/xalloc.h"

struct ev_fd {
	int mask;
	ev_fd_fn *fn;
	void *arg;
};

struct ev_timer {
	uint64_t id, when;
	ev_timer_fn *fn;
	void *arg;
};

struct ev {
	int epfd, maxfds;
	bool stop;
	struct ev_fd *fds;
	/* Timers in a binary min-heap on `when`; cancelled ones have fn == NULL. */
	struct ev_timer *timers;
	size_t ntimers, captimers;
	uint64_t next_id;
	ev_hook_fn *before, *wake_fn;
	void *before_arg, *wake_arg;
	int wakefd;
};

uint64_t
ev_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct ev *
ev_new(int maxfds)
{
	struct ev *ev = xcalloc(1, sizeof(*ev));

	ev->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ev->epfd < 0)
		die(111, "epoll_create1: %s", strerror(errno));
	ev->maxfds = maxfds;
	ev->fds = xcalloc((size_t)maxfds, sizeof(*ev->fds));
	ev->wakefd = -1;
	ev->next_id = 1;
	return ev;
}

void
ev_free(struct ev *ev)
{
	if (ev == NULL)
		return;
	close(ev->epfd);
	if (ev->wakefd >= 0)
		close(ev->wakefd);
	free(ev->fds);
	free(ev->timers);
	free(ev);
}

int
ev_set(struct ev *ev, int fd, int mask, ev_fd_fn *fn, void *arg)
{
	struct epoll_event ee = { 0 };
	int op;

	if (fd < 0 || fd >= ev->maxfds) {
		errno = ERANGE;
		return -1;
	}
	if (mask == 0) {
		if (ev->fds[fd].mask)
			epoll_ctl(ev->epfd, EPOLL_CTL_DEL, fd, &ee);
		ev->fds[fd].mask = 0;
		ev->fds[fd].fn = NULL;
		ev->fds[fd].arg = NULL;
		return 0;
	}
	op = ev->fds[fd].mask ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	ee.events = ((mask & EV_READ) ? EPOLLIN : 0) | ((mask & EV_WRITE) ? EPOLLOUT : 0);
	ee.data.fd = fd;
	if (epoll_ctl(ev->epfd, op, fd, &ee) < 0)
		return -1;
	ev->fds[fd].mask = mask;
	ev->fds[fd].fn = fn;
	ev->fds[fd].arg = arg;
	return 0;
}

int
ev_mask(struct ev *ev, int fd)
{
	return fd >= 0 && fd < ev->maxfds ? ev->fds[fd].mask : 0;
}

static void
heap_swap(struct ev *ev, size_t a, size_t b)
{
	struct ev_timer t = ev->timers[a];

	ev->timers[a] = ev->timers[b];
	ev->timers[b] = t;
}

static void
heap_up(struct ev *ev, size_t i)
{
	while (i > 0 && ev->timers[(i - 1) / 2].when > ev->timers[i].when) {
		heap_swap(ev, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(struct ev *ev, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < ev->ntimers && ev->timers[l].when < ev->timers[m].when)
			m = l;
		if (r < ev->ntimers && ev->timers[r].when < ev->timers[m].when)
			m = r;
		if (m == i)
			return;
		heap_swap(ev, i, m);
		i = m;
	}
}

uint64_t
ev_timer(struct ev *ev, uint64_t ms, ev_timer_fn *fn, void *arg)
{
	struct ev_timer *t;
	uint64_t id;

	if (ev->ntimers == ev->captimers) {
		ev->captimers = ev->captimers ? ev->captimers * 2 : 16;
		ev->timers = xrealloc(ev->timers, ev->captimers * sizeof(*ev->timers));
	}
	t = &ev->timers[ev->ntimers++];
	id = ev->next_id++;
	t->id = id;
	t->when = ev_now_ms() + ms;
	t->fn = fn;
	t->arg = arg;
	heap_up(ev, ev->ntimers - 1);
	return id;
}

void
ev_timer_cancel(struct ev *ev, uint64_t id)
{
	size_t i;

	/* Linear: timers per loop are few (one per connection at most). */
	for (i = 0; i < ev->ntimers; i++)
		if (ev->timers[i].id == id) {
			ev->timers[i].fn = NULL;
			return;
		}
}

void
ev_before_sleep(struct ev *ev, ev_hook_fn *fn, void *arg)
{
	ev->before = fn;
	ev->before_arg = arg;
}

static void
wake_read(struct ev *ev, int fd, int mask, void *arg)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) > 0)
		;
	if (ev->wake_fn)
		ev->wake_fn(ev, ev->wake_arg);
}

int
ev_on_wake(struct ev *ev, ev_hook_fn *fn, void *arg)
{
	if (ev->wakefd < 0) {
		ev->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (ev->wakefd < 0)
			return -1;
		if (ev_set(ev, ev->wakefd, EV_READ, wake_read, NULL) < 0)
			return -1;
	}
	ev->wake_fn = fn;
	ev->wake_arg = arg;
	return 0;
}

void
ev_wake(struct ev *ev)
{
	uint64_t one = 1;
	ssize_t n;

	n = write(ev->wakefd, &one, sizeof(one));
	(void)n;
}

void
ev_stop(struct ev *ev)
{
	ev->stop = true;
}

static void
run_timers(struct ev *ev)
{
	uint64_t now = ev_now_ms();

	while (ev->ntimers && ev->timers[0].when <= now) {
		struct ev_timer t = ev->timers[0];

		ev->timers[0] = ev->timers[--ev->ntimers];
		heap_down(ev, 0);
		if (t.fn)
			t.fn(ev, t.arg);
	}
}

void
ev_run(struct ev *ev)
{
	struct epoll_event events[256];

	ev->stop = false;
	while (!ev->stop) {
		int timeout = -1, n, i;

		if (ev->before)
			ev->before(ev, ev->before_arg);
		if (ev->stop)
			break;
		while (ev->ntimers && ev->timers[0].fn == NULL) {
			ev->timers[0] = ev->timers[--ev->ntimers];
			heap_down(ev, 0);
		}
		if (ev->ntimers) {
			uint64_t now = ev_now_ms();

			timeout = ev->timers[0].when <= now ? 0 : (int)(ev->timers[0].when - now);
		}
		n = epoll_wait(ev->epfd, events, (int)ARRAY_SIZE(events), timeout);
		if (n < 0 && errno != EINTR)
			die(111, "epoll_wait: %s", strerror(errno));
		for (i = 0; i < n; i++) {
			int fd = events[i].data.fd, mask = 0;
			struct ev_fd *f = &ev->fds[fd];

			if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				mask |= EV_READ;
			if (events[i].events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
				mask |= EV_WRITE;
			mask &= f->mask ? f->mask : 0;
			if (mask && f->fn)
				f->fn(ev, fd, mask, f->arg);
		}
		run_timers(ev);
	}
}
