#ifndef CONTROLLER_THROTTLE_H
#define CONTROLLER_THROTTLE_H
/*
 * Failed password checks, counted per user name (10) and per client address
 * (30) in a 60 s window (throttle.c). In memory, per process; loop thread only.
 */

/* Seconds a check of username's password from ip must wait (the longer limit); 0: none. */
long throttle_wait(const char *username, const char *ip);
/* Count a failed check of username's password from ip. */
void throttle_fail(const char *username, const char *ip);
/* A right password clears its user's count (the address keeps its failures). */
void throttle_clear(const char *username);

#endif
