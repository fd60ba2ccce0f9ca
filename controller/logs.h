#ifndef CONTROLLER_LOGS_H
#define CONTROLLER_LOGS_H
/*
 * An app's logs, through the logger's HTTP API (logs.c; --logger-url).
 */
#include "lib/buf.h"

struct api;

/*
 * BLOCKS (30 s at most; a worker): GET <logger_url>/<app>?log_lines=<lines>
 * into body (at most 16 MiB) and the HTTP status into *status. 0, or -1 when
 * the transfer failed.
 */
int logs_fetch(const char *logger_url, const char *app, long lines, struct buf *body,
    long *status);
/* BLOCKS (10 s at most; a worker): DELETE <logger_url>/<app>/; best effort, logged. */
void logs_delete(const char *logger_url, const char *app);
/*
 * Answer a (GET .../logs?follow=true) with the logger's follow stream of the
 * app a->seg[0], starting with its last lines; a lives until the stream ends.
 */
void logs_follow(struct api *a, long lines);

#endif
