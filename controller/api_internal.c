/*
 * Internal endpoints (docs/internal-api.md): publishers report endpoints,
 * routers watch the route table (routes.c keeps both), logspout asks whose a
 * container is.
 */
#include <stdlib.h>

#include "controller/handlers.h"
#include "controller/routes.h"
#include "controller/scheduler/scheduler.h"

void
internal_routes(struct api *a)
{
	char *table = routes_render(a->ctl);

	if (table == NULL) {
		api_detail(a, 500, "cannot build the route table");
		return;
	}
	routes_watch(a, table);
	free(table);
}

/*
 * GET /v1/internal/containers/<container id>: whose container this is, by the
 * scheduler's record (logspout attributes its output so, never by labels).
 */
void
internal_container(struct api *a)
{
	struct sched_container c;

	if (a->ctl->sched == NULL || sched_find(a->ctl->sched, a->seg[0], &c) < 0) {
		api_detail(a, 404, "Not found");
		return;
	}
	api_json(a, 200, json_pack("{s:s,s:s,s:s,s:I,s:s,s:I}", "container", a->seg[0],
	    "name", c.name, "app", c.app, "release", (json_int_t)c.release, "type", c.type,
	    "num", (json_int_t)c.num));
}

void
internal_endpoints(struct api *a)
{
	json_t *eps = a->body ? json_object_get(a->body, "endpoints") : NULL;
	struct err e = { 0 };
	bool malformed;

	if (eps == NULL || !json_is_array(eps) || json_array_size(eps) > 10000) {
		api_field_error(a, "endpoints", "Expected a list of endpoints.");
		return;
	}
	if (routes_report(a->ctl, a->seg[0], eps, &malformed, &e) < 0) {
		if (malformed)
			api_field_error(a, "endpoints", "Each endpoint needs container, app, release, "
			    "type, num and addr.");
		else
			api_db_error(a, &e, NULL);
		return;
	}
	api_text(a, 204, NULL, "", 0);
}
