/*
 * Traffic counters for the status page (Deis enableNginxStatus, answered at
 * /router-nginx-status): one MAP_SHARED region made by the parent before it
 * forks, so the page shows the whole router whichever worker answers.
 *
 * Every worker writes only its own block (cache-line aligned: no sharing
 * between writers, no locked instructions on the request path); the page sums
 * the blocks. Apps get a slot in a shared name table, claimed with a
 * compare-and-swap, so every worker counts an app in the same slot.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/log.h"
#include "router/router.h"

#define APP_SLOTS 4096
#define APP_NAME 72

enum { S_EMPTY, S_BUSY, S_READY };

struct app_name {
	int state;
	char name[APP_NAME];
};

struct app_counts {
	uint64_t requests, responses[5];
};

struct worker_counts {
	uint64_t active, accepted, handled, requests, responses[5], bytes_in, bytes_out;
} __attribute__((aligned(64)));

struct stats_shm {
	int nworkers;
	struct app_name names[APP_SLOTS];
	/* then nworkers worker_counts, then nworkers * APP_SLOTS app_counts */
};

static struct stats_shm *shm;
static struct worker_counts *all_workers, *mine;
static struct app_counts *all_apps, *my_apps;

/* Single writer per counter: a relaxed load and store, no lock prefix. */
static inline void
add(uint64_t *p, uint64_t n)
{
	__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline uint64_t
get(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

int
stats_init(int nworkers)
{
	size_t off = (sizeof(*shm) + 63) & ~(size_t)63;
	size_t size = off + (size_t)nworkers * sizeof(struct worker_counts) +
	    (size_t)nworkers * APP_SLOTS * sizeof(struct app_counts);
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	shm = p;
	shm->nworkers = nworkers;
	all_workers = (struct worker_counts *)((char *)p + off);
	all_apps = (struct app_counts *)(all_workers + nworkers);
	return 0;
}

void
stats_worker_start(int id)
{
	if (shm == NULL)
		return;
	mine = &all_workers[id];
	my_apps = &all_apps[(size_t)id * APP_SLOTS];
	/* a respawned worker: the connections of the one it replaces are gone */
	__atomic_store_n(&mine->active, 0, __ATOMIC_RELAXED);
}

void
stats_accept(bool handled)
{
	if (mine == NULL)
		return;
	add(&mine->accepted, 1);
	if (handled) {
		add(&mine->handled, 1);
		add(&mine->active, 1);
	}
}

void
stats_close(void)
{
	if (mine)
		__atomic_store_n(&mine->active, __atomic_load_n(&mine->active, __ATOMIC_RELAXED) - 1,
		    __ATOMIC_RELAXED);
}

void
stats_bytes(uint64_t in, uint64_t out)
{
	if (mine == NULL)
		return;
	if (in)
		add(&mine->bytes_in, in);
	if (out)
		add(&mine->bytes_out, out);
}

/* The app's slot + 1, or 0 when the table is full. */
static int
app_slot(const char *name)
{
	size_t i = router_hash(name, strlen(name), ROUTER_HASH_SEED) % APP_SLOTS, n;
	char key[APP_NAME];

	/* names come from the table; keep the page valid JSON whatever they hold */
	for (n = 0; name[n] && n + 1 < sizeof(key); n++)
		key[n] = name[n] == '"' || name[n] == '\\' || (unsigned char)name[n] < 0x20 ? '_' : name[n];
	key[n] = '\0';
	for (n = 0; n < APP_SLOTS; n++, i = (i + 1) % APP_SLOTS) {
		struct app_name *s = &shm->names[i];
		int st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE), want = S_EMPTY;

		if (st == S_EMPTY && __atomic_compare_exchange_n(&s->state, &want, S_BUSY, false,
		    __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
			memcpy(s->name, key, sizeof(key));
			__atomic_store_n(&s->state, S_READY, __ATOMIC_RELEASE);
			return (int)i + 1;
		}
		/* another worker is writing this slot's name: a few instructions */
		while ((st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE)) == S_BUSY)
			;
		if (strcmp(s->name, key) == 0)
			return (int)i + 1;
	}
	return 0;
}

void
stats_response(struct app *a, int status)
{
	int cls = status / 100 - 1;

	if (mine == NULL || cls < 0 || cls > 4)
		return;
	add(&mine->requests, 1);
	add(&mine->responses[cls], 1);
	if (a == NULL)
		return;
	if (a->stat_slot == 0)
		a->stat_slot = app_slot(a->name);
	if (a->stat_slot == 0)
		a->stat_slot = -1;
	if (a->stat_slot > 0) {
		add(&my_apps[a->stat_slot - 1].requests, 1);
		add(&my_apps[a->stat_slot - 1].responses[cls], 1);
	}
}

static void
json_classes(struct buf *out, const uint64_t r[5])
{
	buf_addf(out, "{\"1xx\":%llu,\"2xx\":%llu,\"3xx\":%llu,\"4xx\":%llu,\"5xx\":%llu}",
	    (unsigned long long)r[0], (unsigned long long)r[1], (unsigned long long)r[2],
	    (unsigned long long)r[3], (unsigned long long)r[4]);
}

void
stats_json(struct buf *out)
{
	struct worker_counts t;
	size_t i, k;
	int w;
	bool first = true;

	memset(&t, 0, sizeof(t));
	for (w = 0; w < shm->nworkers; w++) {
		const struct worker_counts *c = &all_workers[w];

		t.active += get(&c->active);
		t.accepted += get(&c->accepted);
		t.handled += get(&c->handled);
		t.requests += get(&c->requests);
		for (k = 0; k < 5; k++)
			t.responses[k] += get(&c->responses[k]);
		t.bytes_in += get(&c->bytes_in);
		t.bytes_out += get(&c->bytes_out);
	}
	buf_addf(out, "{\"workers\":%d,\"connections\":{\"active\":%llu,\"accepted\":%llu,"
	    "\"handled\":%llu},\"requests\":%llu,\"responses\":", shm->nworkers,
	    (unsigned long long)t.active, (unsigned long long)t.accepted,
	    (unsigned long long)t.handled, (unsigned long long)t.requests);
	json_classes(out, t.responses);
	buf_addf(out, ",\"bytes\":{\"in\":%llu,\"out\":%llu},\"apps\":{",
	    (unsigned long long)t.bytes_in, (unsigned long long)t.bytes_out);
	for (i = 0; i < APP_SLOTS; i++) {
		struct app_counts a;

		if (__atomic_load_n(&shm->names[i].state, __ATOMIC_ACQUIRE) != S_READY)
			continue;
		memset(&a, 0, sizeof(a));
		for (w = 0; w < shm->nworkers; w++) {
			const struct app_counts *c = &all_apps[(size_t)w * APP_SLOTS + i];

			a.requests += get(&c->requests);
			for (k = 0; k < 5; k++)
				a.responses[k] += get(&c->responses[k]);
		}
		buf_addf(out, "%s\"%s\":{\"requests\":%llu,\"responses\":", first ? "" : ",",
		    shm->names[i].name, (unsigned long long)a.requests);
		json_classes(out, a.responses);
		buf_addch(out, '}');
		first = false;
	}
	buf_addstr(out, "}}\n");
}
