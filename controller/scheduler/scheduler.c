/*
 * The scheduler's driver-independent core: lifecycle, the in-memory table of
 * platform containers and the event thread that keeps it current. Rollouts
 * live in rollout.c.
 *
 * The table is a small array (an app has a handful of containers; a host a
 * few hundred): linear scans under one mutex cost far less than one engine
 * round trip, which is what listing must never do.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "controller/scheduler/sched_int.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"

static const char *const state_names[] = {
	[SCHED_CREATED] = "created", [SCHED_UP] = "up", [SCHED_DOWN] = "down",
	[SCHED_CRASHED] = "crashed", [SCHED_DESTROYED] = "destroyed", [SCHED_ERROR] = "error",
};

const char *
sched_state_name(enum sched_state st)
{
	return (unsigned)st < ARRAY_SIZE(state_names) ? state_names[st] : "error";
}

double
sched_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const struct sched_driver *const drivers[] = { &sched_driver_docker,
	&sched_driver_swarm };

struct sched *
sched_new(const struct sched_config *cfg, struct err *e)
{
	const char *name = cfg->driver ? cfg->driver : "docker";
	const struct sched_driver *drv = NULL;
	const char *platform = cfg->platform ? cfg->platform : "deis";
	struct sched *s;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(drivers); i++)
		if (strcmp(drivers[i]->name, name) == 0)
			drv = drivers[i];
	if (drv == NULL) {
		err_set(e, 400, "scheduler: unknown driver '%s'", name);
		return NULL;
	}
	for (i = 0; platform[i]; i++)
		if (!isalnum((unsigned char)platform[i]) && !strchr("_.-", platform[i]))
			break;
	if (platform[i] || i == 0 || i > 64) {
		err_set(e, 400, "scheduler: bad platform id '%s'", platform);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->drv = drv;
	s->h = drv->open(cfg, platform, e);
	if (s->h == NULL) {
		free(s);
		return NULL;
	}
	s->platform = xstrdup(platform);
	s->boot_timeout_ms = cfg->boot_timeout_ms ? cfg->boot_timeout_ms : 60000;
	s->stop_timeout_s = cfg->stop_timeout_s ? cfg->stop_timeout_s : 10;
	s->run_timeout_ms = cfg->run_timeout_ms ? cfg->run_timeout_ms : 1200000;
	s->app_memory = cfg->app_memory > 0 ? cfg->app_memory : SCHED_APP_MEMORY_DEFAULT;
	pthread_mutex_init(&s->tmu, NULL);
	pthread_mutex_init(&s->amu, NULL);
	return s;
}

void
sched_free(struct sched *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (s->thread_started) {
		s->stop = 1;
		pthread_join(s->thread, NULL);
	}
	s->drv->close(s->h);
	for (i = 0; i < s->nlocks; i++) {
		pthread_mutex_destroy(&s->locks[i]->mu);
		free(s->locks[i]);
	}
	free(s->locks);
	free(s->tab);
	free(s->owned);
	free(s->platform);
	pthread_mutex_destroy(&s->tmu);
	pthread_mutex_destroy(&s->amu);
	free(s);
}

void
sched_on_state(struct sched *s, sched_state_fn *fn, void *arg)
{
	s->on_state = fn;
	s->on_state_arg = arg;
}

void
sched_on_switch(struct sched *s, sched_switch_fn *fn, void *arg)
{
	s->on_switch = fn;
	s->on_switch_arg = arg;
}

void
sched_on_own(struct sched *s, sched_own_fn *fn, void *arg)
{
	s->on_own = fn;
	s->on_own_arg = arg;
}

/* The set of ids the scheduler created: sorted, for bsearch. Callers hold tmu. */

static int
cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

static bool
owned_has(struct sched *s, const char *id)
{
	return s->nowned && bsearch(id, s->owned, s->nowned, sizeof(*s->owned), cmp_id);
}

static void
owned_add(struct sched *s, const char *id)
{
	size_t i;

	if (strlen(id) >= SCHED_ID_MAX || owned_has(s, id))
		return;
	if (s->nowned == s->capowned) {
		s->capowned = s->capowned ? s->capowned * 2 : 64;
		s->owned = xrealloc(s->owned, s->capowned * sizeof(*s->owned));
	}
	for (i = s->nowned; i > 0 && strcmp(s->owned[i - 1], id) > 0; i--)
		memcpy(s->owned[i], s->owned[i - 1], sizeof(*s->owned));
	strlcpy(s->owned[i], id, sizeof(*s->owned));
	s->nowned++;
}

static void
owned_del(struct sched *s, const char *id)
{
	char (*p)[SCHED_ID_MAX] = s->nowned ? bsearch(id, s->owned, s->nowned,
	    sizeof(*s->owned), cmp_id) : NULL;
	size_t i;

	if (p == NULL)
		return;
	i = (size_t)(p - s->owned);
	memmove(&s->owned[i], &s->owned[i + 1], (s->nowned - i - 1) * sizeof(*s->owned));
	s->nowned--;
}

/* Table. Callers hold tmu. */

struct entry *
tab_find(struct sched *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->ntab; i++)
		if (strcmp(s->tab[i].c.id, id) == 0)
			return &s->tab[i];
	return NULL;
}

static struct entry *
tab_add(struct sched *s, const struct sched_obs *o)
{
	struct entry *en;

	if (strlen(o->id) >= SCHED_ID_MAX || strlen(o->app) >= SCHED_APP_MAX ||
	    strlen(o->type) >= SCHED_TYPE_MAX)
		return NULL;
	if (s->ntab == s->captab) {
		s->captab = s->captab ? s->captab * 2 : 32;
		s->tab = xrealloc(s->tab, s->captab * sizeof(*s->tab));
	}
	en = &s->tab[s->ntab++];
	memset(en, 0, sizeof(*en));
	en->owned = owned_has(s, o->id);
	strlcpy(en->c.id, o->id, sizeof(en->c.id));
	if (o->cid && strlen(o->cid) < sizeof(en->c.cid))
		strlcpy(en->c.cid, o->cid, sizeof(en->c.cid));
	strlcpy(en->c.app, o->app, sizeof(en->c.app));
	strlcpy(en->c.type, o->type, sizeof(en->c.type));
	en->c.release = o->release;
	en->c.num = o->num;
	if (o->name)
		strlcpy(en->c.name, o->name, sizeof(en->c.name));
	else
		sched_name(en->c.name, sizeof(en->c.name), o->app, o->release, o->type, o->num);
	en->c.state = SCHED_DESTROYED;	/* "was not there": the caller sets the state */
	en->c.created = o->time > 0 ? (time_t)o->time : time(NULL);
	en->c.updated = en->c.created;
	return en;
}

static void
tab_del(struct sched *s, struct entry *en)
{
	size_t i = (size_t)(en - s->tab);

	memmove(&s->tab[i], &s->tab[i + 1], (s->ntab - i - 1) * sizeof(*s->tab));
	s->ntab--;
}

struct change {
	bool changed;
	struct sched_container c;
	enum sched_state old;
};

static void
set_state(struct entry *en, enum sched_state st, struct change *ch)
{
	en->touched = sched_now();
	if (en->c.state == st)
		return;
	ch->changed = true;
	ch->old = en->c.state;
	log_debug("scheduler: '%s' %s -> %s", en->c.name, sched_state_name(en->c.state),
	    sched_state_name(st));
	en->c.state = st;
	en->c.updated = time(NULL);
	ch->c = en->c;
}

static void
notify(struct sched *s, const struct change *ch)
{
	if (ch->changed && s->on_state)
		s->on_state(&ch->c, ch->old, s->on_state_arg);
}

/* Removed (by us, or the platform's seen destroyed), with the container that ran it. */
static void
gone_add(struct sched *s, const char *id, const char *cid)
{
	strlcpy(s->gone[s->gone_next], id, sizeof(s->gone[0]));
	strlcpy(s->gone_cid[s->gone_next], cid, sizeof(s->gone_cid[0]));
	s->gone_next = (s->gone_next + 1) % SCHED_GONE_MAX;
}

/*
 * en leaves the table: destroyed, for the state callback when it was the
 * platform's, whose id and container are then remembered as gone.
 */
static void
tab_gone(struct sched *s, struct entry *en, struct change *ch)
{
	set_state(en, SCHED_DESTROYED, ch);
	if (en->owned) {
		owned_del(s, en->c.id);
		gone_add(s, en->c.id, en->c.cid);
	} else {
		ch->changed = false;
	}
	tab_del(s, en);
}

/* Recently removed by us: late events about them must not bring them back. */
static bool
gone_has(struct sched *s, const char *id)
{
	size_t i;

	for (i = 0; i < SCHED_GONE_MAX; i++)
		if (strcmp(s->gone[i], id) == 0)
			return true;
	return false;
}

/* A death nobody asked for: counted, and in a streak unless it had been up a while. */
static void
died(struct entry *en, const struct sched_obs *o)
{
	time_t now = time(NULL);

	en->c.crashes++;
	en->streak = en->up_at && now - en->up_at >= HEAL_STEADY_S ? 1 : en->streak + 1;
	en->died = true;
	en->c.restarting = o->restarting;
}

void
sched_observe(const struct sched_obs *o, void *arg)
{
	struct sched *s = arg;
	struct change ch = { .changed = false };
	struct entry *en;

	pthread_mutex_lock(&s->tmu);
	en = tab_find(s, o->id);
	if (en == NULL) {
		if (o->kind == SCHED_OBS_DESTROY || gone_has(s, o->id))
			goto out;
		en = tab_add(s, o);
		if (en == NULL)
			goto out;
	}
	if (o->addr && *o->addr)
		strlcpy(en->c.addr, o->addr, sizeof(en->c.addr));
	if (o->cid && *o->cid && strlen(o->cid) < sizeof(en->c.cid))
		strlcpy(en->c.cid, o->cid, sizeof(en->c.cid));
	switch (o->kind) {
	case SCHED_OBS_EXISTS:
		if (o->name)
			strlcpy(en->c.name, o->name, sizeof(en->c.name));
		if (o->state == SCHED_CRASHED || o->state == SCHED_DOWN) {
			en->c.exit_code = o->exit_code;
			en->c.restarting = o->restarting;
			/* found dead (a listing after a restart of ours or the engine's) */
			en->died = en->died || (o->state != en->c.state && !en->stopping);
		}
		set_state(en, o->state, &ch);
		break;
	case SCHED_OBS_CREATE:
		if (en->c.state == SCHED_DESTROYED)
			set_state(en, SCHED_CREATED, &ch);
		break;
	case SCHED_OBS_START:
		if (en->died)
			en->c.restarts++;
		en->died = false;
		en->c.restarting = false;
		en->up_at = time(NULL);
		set_state(en, SCHED_UP, &ch);
		break;
	case SCHED_OBS_OOM:
		en->oom = true;
		break;
	case SCHED_OBS_DIE:
		en->c.exit_code = o->exit_code;
		/* a one-off container's exit is its result, not a crash */
		if (en->stopping || strcmp(en->c.type, "run") == 0) {
			set_state(en, SCHED_DOWN, &ch);
		} else {
			died(en, o);
			set_state(en, o->exit_code != 0 || en->oom ? SCHED_CRASHED : SCHED_DOWN, &ch);
		}
		en->oom = false;
		break;
	case SCHED_OBS_RENAME:
		if (o->name)
			strlcpy(en->c.name, o->name, sizeof(en->c.name));
		break;
	case SCHED_OBS_DESTROY:
		tab_gone(s, en, &ch);
		en = NULL;
		break;
	}
	/* derived, never kept: the change's copy and every listing compute it */
	if (en && ch.changed)
		ch.c.next_start = sched_heal_plan(s, en);
	/* what the platform did not create is nobody's business */
	if (en && !en->owned)
		ch.changed = false;
out:
	pthread_mutex_unlock(&s->tmu);
	notify(s, &ch);
}

void
sched_own(struct sched *s, const char *id)
{
	struct entry *en;

	pthread_mutex_lock(&s->tmu);
	owned_add(s, id);
	if ((en = tab_find(s, id)) != NULL)
		en->owned = true;
	pthread_mutex_unlock(&s->tmu);
}

int
sched_own_created(struct sched *s, const struct sched_container *c, struct err *e)
{
	struct change ch = { .changed = false };
	struct entry *en;

	if (s->on_own && s->on_own(c, true, s->on_own_arg) < 0)
		return err_set(e, 503, "scheduler: cannot record '%s' (%s) as the platform's",
		    c->name, c->id);
	pthread_mutex_lock(&s->tmu);
	owned_add(s, c->id);
	if ((en = tab_find(s, c->id)) != NULL && !en->owned) {
		/* seen before it was ours: it appears now, in the state it has */
		en->owned = true;
		if (en->c.state != SCHED_DESTROYED) {
			ch.changed = true;
			ch.old = SCHED_DESTROYED;
			ch.c = en->c;
		}
	}
	pthread_mutex_unlock(&s->tmu);
	notify(s, &ch);
	return 0;
}

bool
sched_removed(struct sched *s, const char *cid)
{
	size_t i;
	bool r = false;

	pthread_mutex_lock(&s->tmu);
	for (i = 0; i < SCHED_GONE_MAX && !r && *cid; i++)
		r = strcmp(s->gone_cid[i], cid) == 0;
	pthread_mutex_unlock(&s->tmu);
	return r;
}

bool
sched_owns(struct sched *s, const char *id)
{
	struct sched_container c;

	return sched_entry(s, id, &c) == 0;
}

size_t
sched_adopt_named(struct sched *s, struct sched_container **out)
{
	char name[SCHED_NAME_MAX];
	struct entry *en;
	size_t i, n = 0;

	*out = NULL;
	pthread_mutex_lock(&s->tmu);
	for (i = 0; i < s->ntab; i++) {
		en = &s->tab[i];
		if (en->owned || sched_name(name, sizeof(name), en->c.app, en->c.release,
		    en->c.type, en->c.num) < 0 || strcmp(name, en->c.name) != 0)
			continue;
		en->owned = true;
		owned_add(s, en->c.id);
		*out = xrealloc(*out, (n + 1) * sizeof(**out));
		(*out)[n++] = en->c;
	}
	pthread_mutex_unlock(&s->tmu);
	return n;
}

int
sched_orphan_named(struct sched *s, const char *name, char id[SCHED_ID_MAX])
{
	size_t i;
	int ret = -1;

	pthread_mutex_lock(&s->tmu);
	for (i = 0; i < s->ntab; i++) {
		if (!s->tab[i].owned && strcmp(s->tab[i].c.name, name) == 0) {
			strlcpy(id, s->tab[i].c.id, SCHED_ID_MAX);
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&s->tmu);
	return ret;
}

int
sched_find(struct sched *s, const char *cid, struct sched_container *out)
{
	size_t i;
	int ret = -1;

	if (cid == NULL || *cid == '\0')
		return -1;
	pthread_mutex_lock(&s->tmu);
	for (i = 0; i < s->ntab; i++) {
		if (s->tab[i].owned && strcmp(s->tab[i].c.cid, cid) == 0) {
			*out = s->tab[i].c;
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&s->tmu);
	return ret;
}

void
sched_mark_stopping(struct sched *s, const char *id, bool on)
{
	struct entry *en;

	pthread_mutex_lock(&s->tmu);
	if ((en = tab_find(s, id)) != NULL)
		en->stopping = on;
	pthread_mutex_unlock(&s->tmu);
}

void
sched_forget(struct sched *s, const char *id)
{
	struct change ch = { .changed = false };
	struct sched_container c = { .id = "" };
	struct entry *en;
	bool owned;

	pthread_mutex_lock(&s->tmu);
	owned = owned_has(s, id);
	owned_del(s, id);
	en = tab_find(s, id);
	if (en == NULL || !en->owned)
		gone_add(s, id, "");	/* removed by us all the same: no late event brings it back */
	if (en != NULL) {
		c = en->c;
		tab_gone(s, en, &ch);
	}
	pthread_mutex_unlock(&s->tmu);
	notify(s, &ch);
	if (owned && s->on_own) {
		strlcpy(c.id, id, sizeof(c.id));
		s->on_own(&c, false, s->on_own_arg);
	}
}

int
sched_entry(struct sched *s, const char *id, struct sched_container *out)
{
	struct entry *en;

	pthread_mutex_lock(&s->tmu);
	if ((en = tab_find(s, id)) != NULL && en->owned)
		*out = en->c;
	else
		en = NULL;
	pthread_mutex_unlock(&s->tmu);
	return en ? 0 : -1;
}

void
sched_rename_entry(struct sched *s, const char *id, const char *name)
{
	struct entry *en;

	pthread_mutex_lock(&s->tmu);
	if ((en = tab_find(s, id)) != NULL)
		strlcpy(en->c.name, name, sizeof(en->c.name));
	pthread_mutex_unlock(&s->tmu);
}

static int
cmp_container(const void *a, const void *b)
{
	const struct sched_container *x = a, *y = b;
	int r = strcmp(x->type, y->type);

	if (r)
		return r;
	if (x->num != y->num)
		return x->num < y->num ? -1 : 1;
	return x->release < y->release ? -1 : x->release > y->release;
}

size_t
sched_select(struct sched *s, const char *app, const char *type, struct sched_container **out)
{
	size_t i, n = 0;
	bool run;

	*out = NULL;
	pthread_mutex_lock(&s->tmu);
	for (i = 0; i < s->ntab; i++) {
		run = strcmp(s->tab[i].c.type, "run") == 0;
		if (!s->tab[i].owned || strcmp(s->tab[i].c.app, app) != 0)
			continue;
		if (type == NULL ? run : strcmp(s->tab[i].c.type, type) != 0)
			continue;
		*out = xrealloc(*out, (n + 1) * sizeof(**out));
		(*out)[n] = s->tab[i].c;
		(*out)[n++].next_start = sched_heal_plan(s, &s->tab[i]);
	}
	pthread_mutex_unlock(&s->tmu);
	if (n > 1)
		qsort(*out, n, sizeof(**out), cmp_container);
	return n;
}

int
sched_list(struct sched *s, const char *app, bool with_run, struct sched_container **out,
    size_t *n)
{
	struct sched_container *runs;
	size_t nr;

	*n = sched_select(s, app, NULL, out);
	if (!with_run)
		return 0;
	nr = sched_select(s, app, "run", &runs);
	if (nr) {
		*out = xrealloc(*out, (*n + nr) * sizeof(**out));
		memcpy(*out + *n, runs, nr * sizeof(*runs));
		*n += nr;
		qsort(*out, *n, sizeof(**out), cmp_container);
	}
	free(runs);
	return 0;
}

int
sched_get(struct sched *s, const char *app, const char *type, unsigned num,
    struct sched_container *out)
{
	struct sched_container *v;
	size_t n, i;
	int ret = -1;

	n = sched_select(s, app, type, &v);
	for (i = 0; i < n; i++) {
		if (v[i].num == num) {
			*out = v[i];	/* sorted by release: the last match is the newest */
			ret = 0;
		}
	}
	free(v);
	return ret;
}

/* Per-app locks: created on first use, freed when nobody holds or waits. */

/* The app's lock, made when there is none; the caller holds amu. */
static struct applock *
applock_get(struct sched *s, const char *app)
{
	struct applock *l;
	size_t i;

	for (i = 0; i < s->nlocks; i++)
		if (strcmp(s->locks[i]->app, app) == 0)
			return s->locks[i];
	l = xcalloc(1, sizeof(*l));
	strlcpy(l->app, app, sizeof(l->app));
	pthread_mutex_init(&l->mu, NULL);
	s->locks = xrealloc(s->locks, (s->nlocks + 1) * sizeof(*s->locks));
	s->locks[s->nlocks++] = l;
	return l;
}

void
sched_app_lock(struct sched *s, const char *app)
{
	struct applock *l;

	pthread_mutex_lock(&s->amu);
	l = applock_get(s, app);
	l->refs++;
	pthread_mutex_unlock(&s->amu);
	pthread_mutex_lock(&l->mu);
}

bool
sched_app_trylock(struct sched *s, const char *app)
{
	struct applock *l;
	bool got;

	pthread_mutex_lock(&s->amu);
	l = applock_get(s, app);
	/* a new lock is free; one that exists has a reference per holder or waiter */
	got = pthread_mutex_trylock(&l->mu) == 0;
	if (got)
		l->refs++;
	pthread_mutex_unlock(&s->amu);
	return got;
}

void
sched_app_unlock(struct sched *s, const char *app)
{
	size_t i;
	struct applock *l;

	pthread_mutex_lock(&s->amu);
	for (i = 0; i < s->nlocks; i++) {
		l = s->locks[i];
		if (strcmp(l->app, app) != 0)
			continue;
		pthread_mutex_unlock(&l->mu);
		if (--l->refs == 0) {
			pthread_mutex_destroy(&l->mu);
			free(l);
			s->locks[i] = s->locks[--s->nlocks];
		}
		break;
	}
	pthread_mutex_unlock(&s->amu);
}

/*
 * Reconcile: one listing replaces what the table believes. Entries not listed
 * and not touched since the listing began are gone.
 */
static int
reconcile(struct sched *s, struct err *e)
{
	struct change ch;
	double t0 = sched_now();
	size_t i;

	if (s->drv->list(s->h, sched_observe, s, e) < 0)
		return -1;
	s->listed_at = t0;
	for (;;) {
		ch.changed = false;
		pthread_mutex_lock(&s->tmu);
		for (i = 0; i < s->ntab; i++)
			if (s->tab[i].touched < t0)
				break;
		if (i < s->ntab)
			tab_gone(s, &s->tab[i], &ch);
		pthread_mutex_unlock(&s->tmu);
		if (i >= s->ntab && !ch.changed)
			break;
		notify(s, &ch);
	}
	return 0;
}

static void
nap(struct sched *s, unsigned ms)
{
	for (; ms > 0 && !s->stop; ms -= ms < 100 ? ms : 100)
		usleep(100 * 1000);
}

/*
 * Follow the engine's events from the last listing on. When the stream fails
 * (engine restarted, socket gone), list again before following again: events
 * lost while away are recovered by the listing, never guessed.
 */
static void *
event_thread(void *arg)
{
	struct sched *s = arg;
	struct err e;
	unsigned backoff = 500;
	bool need_list = false;
	double t;

	while (!s->stop) {
		if (need_list) {
			if (reconcile(s, &e) < 0) {
				log_warn("scheduler: %s", e.msg);
				nap(s, backoff);
				backoff = backoff * 2 > 10000 ? 10000 : backoff * 2;
				continue;
			}
			need_list = false;
			log_info("scheduler: engine back, table reconciled");
		}
		t = sched_now();
		if (s->drv->watch(s->h, s->listed_at, sched_observe, s, &s->stop, &e) == 0)
			break;
		log_warn("scheduler: %s; listing again", e.msg);
		need_list = true;
		if (sched_now() - t > 10)
			backoff = 500;
		nap(s, backoff);
		backoff = backoff * 2 > 10000 ? 10000 : backoff * 2;
	}
	return NULL;
}

int
sched_start(struct sched *s, struct err *e)
{
	int r;

	if (s->thread_started)
		return 0;
	if (s->drv->ping(s->h, e) < 0 || reconcile(s, e) < 0)
		return -1;
	r = pthread_create(&s->thread, NULL, event_thread, s);
	if (r != 0)
		return err_set(e, 0, "scheduler: cannot start the event thread: %s", strerror(r));
	s->thread_started = true;
	return 0;
}

/* Names and limits. */

int
sched_name(char *name, size_t size, const char *app, unsigned release, const char *type,
    unsigned num)
{
	int n = snprintf(name, size, "%s_v%u.%s.%u", app, release, type, num);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static size_t
span(const char *p, const char *set)
{
	return strspn(p, set);
}

int
sched_name_parse(const char *name, char app[SCHED_APP_MAX], unsigned *release,
    char type[SCHED_TYPE_MAX], unsigned *num)
{
	static const char lower_digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	const char *p = name, *q;
	unsigned long long v;
	size_t n;

	n = span(p, "abcdefghijklmnopqrstuvwxyz0123456789-");
	if (n == 0 || n >= SCHED_APP_MAX || p[n] != '_' || p[n + 1] != 'v')
		return -1;
	memcpy(app, p, n);
	app[n] = '\0';
	p += n + 2;
	n = span(p, "0123456789");
	if (n == 0 || p[n] != '.' || str_to_u64(str_make(p, n), 1000000000000ULL, &v) < 0 || v == 0 || v > 1000000000)
		return -1;
	*release = (unsigned)v;
	p += n + 1;
	q = strrchr(p, '.');
	if (q == NULL || q == p || (size_t)(q - p) >= SCHED_TYPE_MAX || !strchr(lower_digits, *p))
		return -1;
	n = span(p, "abcdefghijklmnopqrstuvwxyz0123456789_-");
	if (p + n != q)
		return -1;
	memcpy(type, p, n);
	type[n] = '\0';
	p = q + 1;
	n = span(p, "0123456789");
	if (n == 0 || p[n] != '\0' || str_to_u64(str_make(p, n), 1000000000000ULL, &v) < 0 || v == 0 || v > 1000000000)
		return -1;
	*num = (unsigned)v;
	return 0;
}

int
sched_memory_parse(const char *s, long long *bytes)
{
	unsigned long long v = 0;
	long long mult;
	size_t n = strspn(s, "0123456789");
	const char *u = s + n;

	if (n == 0 || n > 15)
		return -1;
	if (str_to_u64(str_make(s, n), 1000000000000ULL, &v) < 0)
		return -1;
	if (strcasecmp(u, "B") == 0)
		mult = 1;
	else if (strcasecmp(u, "K") == 0 || strcasecmp(u, "KB") == 0)
		mult = 1LL << 10;
	else if (strcasecmp(u, "M") == 0 || strcasecmp(u, "MB") == 0)
		mult = 1LL << 20;
	else if (strcasecmp(u, "G") == 0 || strcasecmp(u, "GB") == 0)
		mult = 1LL << 30;
	else
		return -1;
	if (v > (unsigned long long)(1LL << 50) / (unsigned long long)mult)
		return -1;
	*bytes = (long long)v * mult;
	return 0;
}
