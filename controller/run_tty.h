#ifndef CONTROLLER_RUN_TTY_H
#define CONTROLLER_RUN_TTY_H
/*
 * `deis run` on a terminal (run_tty.c): POST /v1/apps/<app>/run with
 * Connection: Upgrade and Upgrade: deis-run/1. A job starts the one-off with
 * a terminal, attached (app_run_tty); the loop then answers 101 and hands the
 * connection to a thread of its own that bridges the client's deis-run/1
 * frames (lib/runproto.h) and the container's attach stream until the
 * process exits (an EXIT frame) or the client goes (the container killed and
 * removed at once). Nothing of a session runs on the loop after the 101.
 */
struct api;

/* Loop side: a->seg[0] is the app (loaded and allowed), command checked. Answers. */
void run_tty_start(struct api *a, const char *command);

#endif
