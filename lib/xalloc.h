#ifndef LIB_XALLOC_H
#define LIB_XALLOC_H
/*
 * Allocation that never returns NULL: out of memory is one of the few reasons a
 * daemon may die. die() is for startup and broken invariants only, never for
 * what a peer sent.
 */
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Caller owns the result; free with free(). */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "fatal: <msg>" to stderr and exit(status). */
void die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
