/*
 * Endpoints reported before the scheduler knows their container. A
 * publisher reports a container as soon as its engine says it started; the
 * `swarm` driver learns a new task's container from the manager's reading
 * (every second), so the report of a unit's new task (a unit scaled up,
 * a crash replaced, a unit rescheduled off a lost node) can come first. Such
 * an endpoint, of the app's newest release or the next one (a deploy's first
 * unit; any release for an app with no unit yet), is held here rather than
 * refused, and routed as soon as the scheduler sees that container run: not
 * at the publisher's next report. Any other release is refused at once. One that the scheduler
 * never makes its own within the endpoint expiry (a returning node's old
 * task, a container with borrowed labels) is dropped then, and logged as any
 * endpoint the scheduler did not make. Loop thread only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/controller.h"
#include "controller/db.h"
#include "controller/routes.h"
#include "controller/scheduler/scheduler.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define PENDING_MAX 256

struct pending {
	char container[SCHED_ID_MAX];
	char host[128];
	char name[SCHED_NAME_MAX];
	char app[SCHED_APP_MAX];
	char type[SCHED_TYPE_MAX];
	unsigned release, num;
	char addr[48];
	char reported[DB_TIME_LEN];
	time_t at;
};

static struct pending held[PENDING_MAX];
static size_t nheld;

static void
drop(size_t i, const char *why)
{
	struct pending *p = &held[i];

	if (why)
		log_warn("endpoint of container %.64s not routed: %s for '%s' v%u %s.%u", p->container,
		    why, p->app, p->release, p->type, p->num);
	held[i] = held[--nheld];
}

bool
routes_pending_add(struct ctl *ctl, const char *host, const char *container, const char *name,
    const char *app, unsigned release, const char *type, unsigned num, const char *addr)
{
	struct sched_container *cs = NULL;
	struct pending *p;
	size_t n = 0, i;
	unsigned newest = 0;

	if (ctl->sched == NULL || strlen(host) >= sizeof(p->host) ||
	    strlen(container) >= sizeof(p->container) || strlen(app) >= sizeof(p->app) ||
	    strlen(type) >= sizeof(p->type) || strlen(addr) >= sizeof(p->addr))
		return false;
	/* of the app's newest release or the next (a deploy's first unit), or an app with none */
	sched_list(ctl->sched, app, false, &cs, &n);
	for (i = 0; i < n; i++)
		newest = cs[i].release > newest ? cs[i].release : newest;
	free(cs);
	if (newest && (release < newest || release > newest + 1))
		return false;
	for (i = 0; i < nheld && strcmp(held[i].container, container) != 0; i++)
		;
	if (i == nheld) {
		if (nheld == PENDING_MAX)
			drop(0, "too many endpoints held (the scheduler did not make them)");
		i = nheld++;
		memset(&held[i], 0, sizeof(held[i]));
		held[i].at = time(NULL);
	}
	p = &held[i];
	strlcpy(p->container, container, sizeof(p->container));
	strlcpy(p->host, host, sizeof(p->host));
	strlcpy(p->name, name ? name : "", sizeof(p->name));
	strlcpy(p->app, app, sizeof(p->app));
	strlcpy(p->type, type, sizeof(p->type));
	strlcpy(p->addr, addr, sizeof(p->addr));
	p->release = release;
	p->num = num;
	db_now(p->reported);
	return true;
}

void
routes_pending(struct ctl *ctl)
{
	struct sched_container c;
	struct err e = { 0 };
	time_t now = time(NULL);
	char rs[16], ns[16];
	size_t i = 0;
	int n = 0;

	while (i < nheld) {
		struct pending *p = &held[i];

		if (ctl->sched && sched_find(ctl->sched, p->container, &c) == 0 &&
		    c.state == SCHED_UP && strcmp(c.app, p->app) == 0 && c.release == p->release &&
		    strcmp(c.type, p->type) == 0 && c.num == p->num) {
			snprintf(rs, sizeof(rs), "%u", p->release);
			snprintf(ns, sizeof(ns), "%u", p->num);
			/* as its report would have: fresh as of then, the newest release only */
			if (db_execp(ctl->db, &e, "INSERT INTO endpoints (container, host, name, app, "
			    "release, type, num, addr, updated) SELECT $1, $2, $3, $4, CAST($5 AS "
			    "INTEGER), $6, CAST($7 AS INTEGER), $8, $9 WHERE NOT EXISTS (SELECT 1 FROM "
			    "endpoints WHERE app = $4 AND release > CAST($5 AS INTEGER)) ON CONFLICT "
			    "(container) DO NOTHING", p->container, p->host, p->name, p->app, rs,
			    p->type, ns, p->addr, p->reported) > 0)
				n++;
			else if (e.msg[0])
				log_warn("cannot route '%s': %s", p->name, e.msg);
			drop(i, NULL);
		} else if (now - p->at > ROUTES_ENDPOINT_TTL_S) {
			drop(i, "not the container the scheduler runs (a replaced task, or borrowed labels)");
		} else {
			i++;
		}
	}
	if (n > 0) {
		log_info("%d endpoint(s) routed as the scheduler saw them start", n);
		routes_changed(ctl);
	}
}
