#ifndef LIB_EV_H
#define LIB_EV_H
/*
 * A small epoll event loop shaped like Redis's ae.c: handlers are indexed by fd,
 * timers are one-shot (re-arm from the callback), and a before-sleep hook runs
 * once per iteration, which is where connections marked for closing are reaped
 * (never free a connection inside its own callback).
 *
 * One loop per thread; nothing here is thread-safe except ev_wake().
 */
#include <stdint.h>

#define EV_READ  1
#define EV_WRITE 2

struct ev;
typedef void ev_fd_fn(struct ev *ev, int fd, int mask, void *arg);
typedef void ev_timer_fn(struct ev *ev, void *arg);
typedef void ev_hook_fn(struct ev *ev, void *arg);

/* maxfds: the highest fd + 1 the loop will ever see. Free with ev_free(). */
struct ev *ev_new(int maxfds);
void ev_free(struct ev *ev);

/*
 * Watch fd for mask (EV_READ|EV_WRITE); replaces any previous mask and handler.
 * mask 0 removes the fd. Returns 0 or -1 (errno set).
 */
int ev_set(struct ev *ev, int fd, int mask, ev_fd_fn *fn, void *arg);
int ev_mask(struct ev *ev, int fd);

/* Monotonic milliseconds. */
uint64_t ev_now_ms(void);
/* Run fn after ms milliseconds; returns an id for ev_timer_cancel(), never 0. */
uint64_t ev_timer(struct ev *ev, uint64_t ms, ev_timer_fn *fn, void *arg);
void ev_timer_cancel(struct ev *ev, uint64_t id);

void ev_before_sleep(struct ev *ev, ev_hook_fn *fn, void *arg);
/*
 * Register a function that another thread may trigger with ev_wake(); it runs
 * in the loop's thread. Only one per loop.
 */
int ev_on_wake(struct ev *ev, ev_hook_fn *fn, void *arg);
void ev_wake(struct ev *ev);

/* Run until ev_stop(). */
void ev_run(struct ev *ev);
void ev_stop(struct ev *ev);

#endif
