#ifndef CONTROLLER_EVENTS_H
#define CONTROLLER_EVENTS_H
/*
 * App events (events.c): what happened to an app, as Deis told it in the
 * app's log ("<app>[deis-controller]: <msg>"). Each goes to stderr and, when
 * --logger-syslog is set, to the logger, which `deis logs` reads.
 */
#include "controller/scheduler/scheduler.h"

struct ctl;

/* Log an app event in the Deis format; any thread, never blocks for long. */
void event_log(struct ctl *ctl, const char *app, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * Send msg to the logger as RFC 5424 (TCP with octet counting when the logger
 * takes it, else UDP; with ctl->logger_key, TCP after the key frame and never
 * UDP); nothing when ctl->logger_syslog is NULL. Any thread;
 * a connect is bounded (300 ms) and a send never waits.
 */
void event_send(struct ctl *ctl, const char *app, const char *msg);
/* The scheduler's state callback (any thread; arg is the ctl): a crash is an event. */
void event_container_state(const struct sched_container *c, enum sched_state old, void *arg);

#endif
