/*
 * Limits on failed password checks (login, passwd; security.md §3.5), per
 * user name and per client address: after LOGIN_FAILS failures of a name, or
 * LOGIN_FAILS_IP from an address, within LOGIN_WINDOW seconds, their checks
 * wait until the window ends. The counters live in memory, in a fixed table
 * (one loop thread, so no locking), and are per controller process.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "controller/throttle.h"

#define LOGIN_FAILS	10	/* per user name */
#define LOGIN_FAILS_IP	30	/* per client address */
#define LOGIN_WINDOW	60
#define THROTTLE_SLOTS	4096

struct throttle {
	char user[80];		/* "u:<name>" or "ip:<address>"; "" = free */
	time_t start;		/* beginning of the window, monotonic seconds */
	int fails;
};

static struct throttle throttle[THROTTLE_SLOTS];

static time_t
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/*
 * The slot counting username's failures, or a slot to reuse for it (free,
 * expired, or else the oldest of its probe sequence) when create is set; NULL
 * when there is none and create is not set.
 */
static struct throttle *
throttle_slot(const char *username, bool create, time_t now)
{
	unsigned long h = 5381;
	struct throttle *t, *free_slot = NULL, *oldest = NULL, *victim;
	const char *p;
	int i;

	for (p = username; *p; p++)
		h = h * 33 + (unsigned char)*p;
	for (i = 0; i < 8; i++) {
		t = &throttle[(h + (unsigned long)i) % THROTTLE_SLOTS];
		if (t->user[0] && !strcmp(t->user, username))
			return t;
		if (!t->user[0] || now - t->start >= LOGIN_WINDOW) {
			if (free_slot == NULL)
				free_slot = t;
		} else if (oldest == NULL || t->start < oldest->start) {
			oldest = t;
		}
	}
	if (!create)
		return NULL;
	victim = free_slot ? free_slot : oldest;
	memset(victim, 0, sizeof(*victim));
	strlcpy(victim->user, username, sizeof(victim->user));
	victim->start = now;
	return victim;
}

/* Seconds until key may try again (after max failures), or 0 when it may now. */
static long
throttle_key_wait(const char *key, int max)
{
	time_t now = mono_now();
	struct throttle *t = throttle_slot(key, false, now);

	if (t == NULL || now - t->start >= LOGIN_WINDOW || t->fails < max)
		return 0;
	return (long)(t->start + LOGIN_WINDOW - now);
}

static void
throttle_key_fail(const char *key)
{
	time_t now = mono_now();
	struct throttle *t = throttle_slot(key, true, now);

	if (now - t->start >= LOGIN_WINDOW) {
		t->start = now;
		t->fails = 0;
	}
	t->fails++;
}

/* The wait for a check of username's password from ip: the longer of the two limits. */
long
throttle_wait(const char *username, const char *ip)
{
	char ku[80], ki[80];
	long wu, wi;

	snprintf(ku, sizeof(ku), "u:%s", username);
	snprintf(ki, sizeof(ki), "ip:%s", ip);
	wu = throttle_key_wait(ku, LOGIN_FAILS);
	wi = throttle_key_wait(ki, LOGIN_FAILS_IP);
	return wu > wi ? wu : wi;
}

void
throttle_fail(const char *username, const char *ip)
{
	char k[80];

	snprintf(k, sizeof(k), "u:%s", username);
	throttle_key_fail(k);
	snprintf(k, sizeof(k), "ip:%s", ip);
	throttle_key_fail(k);
}

/* A right password clears its user's count (the address keeps its failures). */
void
throttle_clear(const char *username)
{
	char k[80];
	struct throttle *t;

	snprintf(k, sizeof(k), "u:%s", username);
	if ((t = throttle_slot(k, false, mono_now())) != NULL)
		memset(t, 0, sizeof(*t));
}
