/*
 * Healing: an app's unit that stopped and that the engine will not start
 * again is started by the scheduler. Docker restarts a crash itself (the
 * "on-failure" policy, with its own back-off), but not a container killed or
 * stopped from outside (`docker kill`, `docker stop`), nor one whose process
 * exited 0; Heroku restarts any dyno that stops, and so does this, after a
 * back-off of its own so that a process that keeps exiting does not spin.
 *
 * A periodic pass trusts the table (no engine call unless a unit is dead); a
 * scale asks the engine about each unit of its release, so that a scale to
 * the count already listed repairs even what died a moment ago.
 *
 * Only the newest release among an app's units is healed (an older one still
 * listed is on its way out), never a one-off `run`, never a unit the scheduler
 * is stopping, and never while a rollout holds the app (it decides).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/scheduler/sched_int.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define HEAL_BACKOFF_MAX 60	/* seconds */

struct dead {
	char app[SCHED_APP_MAX];
	char id[SCHED_ID_MAX];
};

/* Seconds a unit with that many unasked deaths in a row stays down before it is started again. */
static time_t
backoff(unsigned streak)
{
	unsigned k = streak ? streak - 1 : 0;
	time_t d = (time_t)1 << (k > 6 ? 6 : k);

	return d > HEAL_BACKOFF_MAX ? HEAL_BACKOFF_MAX : d;
}

/*
 * A unit to look at: the platform's, not a one-off, not being stopped, and
 * dead as far as the table knows; with ask_engine, whatever the table says
 * (its die event may not have arrived yet: the engine is asked).
 */
static bool
is_dead(const struct entry *en, bool ask_engine)
{
	if (!en->owned || en->stopping || strcmp(en->c.type, "run") == 0)
		return false;
	return ask_engine || en->c.state == SCHED_DOWN || en->c.state == SCHED_CRASHED;
}

/* The newest release among the app's units (not `run`); table locked. */
static unsigned
newest(struct sched *s, const char *app)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < s->ntab; i++)
		if (s->tab[i].owned && strcmp(s->tab[i].c.type, "run") != 0 &&
		    strcmp(s->tab[i].c.app, app) == 0 && s->tab[i].c.release > v)
			v = s->tab[i].c.release;
	return v;
}

time_t
sched_heal_plan(struct sched *s, const struct entry *en)
{
	if (s->drv->revive == NULL || !en->died || en->c.restarting || !is_dead(en, false) ||
	    en->c.release != newest(s, en->c.app))
		return 0;
	return en->c.updated + backoff(en->streak);
}

/*
 * The dead units to start (app NULL: every app), their back-off past unless
 * now; release 0: each app's newest, else that one. Caller frees *out.
 */
static size_t
collect(struct sched *s, const char *app, unsigned release, bool now, struct dead **out)
{
	time_t t = time(NULL);
	size_t i, n = 0;

	*out = NULL;
	pthread_mutex_lock(&s->tmu);
	for (i = 0; i < s->ntab; i++) {
		const struct entry *en = &s->tab[i];

		if (!is_dead(en, now) || (app && strcmp(en->c.app, app) != 0))
			continue;
		if (!now && t - en->c.updated < backoff(en->streak))
			continue;
		if (en->c.release != (release ? release : newest(s, en->c.app)))
			continue;
		*out = xrealloc(*out, (n + 1) * sizeof(**out));
		strlcpy((*out)[n].app, en->c.app, sizeof((*out)[n].app));
		strlcpy((*out)[n].id, en->c.id, sizeof((*out)[n].id));
		n++;
	}
	pthread_mutex_unlock(&s->tmu);
	return n;
}

/* Start unit id again if it is still dead; the app is locked. 1 when started. */
static int
revive(struct sched *s, const char *id, bool ask_engine, sched_heal_fn *fn, void *arg)
{
	struct sched_container c;
	struct entry *en;
	struct err e = { 0 };
	bool still;
	int r;

	pthread_mutex_lock(&s->tmu);
	en = tab_find(s, id);
	still = en && is_dead(en, ask_engine);
	if (still)
		c = en->c;
	pthread_mutex_unlock(&s->tmu);
	if (!still)
		return 0;
	r = s->drv->revive(s->h, id, &e);
	if (r < 0) {
		log_warn("scheduler: cannot start '%s' again: %s", c.name, e.msg);
		return 0;
	}
	if (r > 0) {
		log_info("scheduler: '%s' had stopped (%s, exit %d) and was started again",
		    c.name, sched_state_name(c.state), c.exit_code);
		if (fn)
			fn(&c, arg);
	}
	return r;
}

size_t
sched_heal_locked(struct sched *s, const char *app, unsigned release, bool now,
    sched_heal_fn *fn, void *arg)
{
	struct dead *d;
	size_t n, i, started = 0;

	if (s->drv->revive == NULL)
		return 0;
	n = collect(s, app, release, now, &d);
	for (i = 0; i < n; i++)
		started += revive(s, d[i].id, now, fn, arg) > 0;
	free(d);
	return started;
}

size_t
sched_heal(struct sched *s, sched_heal_fn *fn, void *arg)
{
	struct dead *d;
	size_t n, i, j, started = 0;

	if (s->drv->revive == NULL)
		return 0;
	n = collect(s, NULL, 0, false, &d);
	for (i = 0; i < n; i++) {
		/* one pass per app: the first of its units takes the lock for all */
		for (j = 0; j < i && strcmp(d[j].app, d[i].app) != 0; j++)
			;
		if (j < i)
			continue;
		if (!sched_app_trylock(s, d[i].app))
			continue;
		started += sched_heal_locked(s, d[i].app, 0, false, fn, arg);
		sched_app_unlock(s, d[i].app);
	}
	free(d);
	return started;
}
