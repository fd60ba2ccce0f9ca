#ifndef PUBLISHER_PUBLISHER_H
#define PUBLISHER_PUBLISHER_H
/*
 * deis-publisher: one per host. Tells the controller which app containers on
 * this host can take traffic (docs/internal-api.md, "Publisher → controller"):
 * running `web`/`cmd` containers that accept a TCP connection on their port
 * and, when the app sets HEALTHCHECK_URL, answer it with 200.
 *
 * Threads: one follows Docker's event stream and marks the set dirty; the main
 * thread resyncs when dirty (at once) and every interval (always), and sends
 * the complete set, so a lost event or a controller restart heals by itself.
 */
#include <stdbool.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/err.h"

struct docker;

struct pub_config {
	const char *controller;		/* "http://host:8000" */
	const char *token;		/* internal token */
	const char *host;		/* this host's id in the controller */
	const char *platform;		/* label value of sh.deis.platform, NULL: any */
	unsigned interval_ms;		/* resync period (3000; at most 4000) */
	unsigned probe_timeout_ms;	/* per probe (1000) */
};

/*
 * probe.c: is this endpoint healthy? A probe that times out is not a dead
 * endpoint: a saturated server (a full listen backlog drops the SYN; a busy
 * one answers late) is alive, and the caller decides (scan.c keeps one that
 * answered before).
 */
enum probe_res {
	PROBE_DOWN = 0,		/* refused, unreachable, or an answer other than 200 */
	PROBE_OK = 1,
	PROBE_BUSY = 2,		/* no answer within the timeout */
};
/* A TCP connect to ip:port within timeout_ms. */
enum probe_res probe_tcp(const char *ip, int port, unsigned timeout_ms);
/* GET http://ip:port<path>: OK when it answers 200 within timeout_ms. */
enum probe_res probe_http(const char *ip, int port, const char *path, unsigned timeout_ms);

/*
 * scan.c: the routable endpoints of this host as the JSON array the
 * controller takes ([{"container","name","app","release","type","num","addr"}]).
 * Caller owns it; NULL with e filled when Docker does not answer.
 */
json_t *scan_endpoints(struct docker *d, const struct pub_config *c, int *booting,
    struct err *e);

/* report.c: PUT the set to the controller; 0 or -1 with e filled. */
int report_endpoints(const struct pub_config *c, json_t *endpoints, struct err *e);

#endif
