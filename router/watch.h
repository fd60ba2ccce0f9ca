#ifndef ROUTER_WATCH_H
#define ROUTER_WATCH_H
/*
 * Start the thread that follows the controller's route stream at
 * <controller_url>/v1/internal/routes. Each new valid table is written to
 * conf.routes_file, then notify() is called (from that thread). Runs until the
 * process exits. Returns 0 or -1.
 */
int watch_start(const char *controller_url, void (*notify)(void));

#endif
