#ifndef LIB_STR_H
#define LIB_STR_H
/*
 * struct str: a non-owning slice of bytes (not NUL-terminated). Valid only as
 * long as the memory it points into.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

struct str {
	const char *p;
	size_t len;
};

#define STR_LIT(s) ((struct str){ (s), sizeof(s) - 1 })
static inline struct str str_from(const char *s) { return (struct str){ s, s ? strlen(s) : 0 }; }
static inline struct str str_make(const char *p, size_t n) { return (struct str){ p, n }; }

static inline bool
str_eq(struct str a, struct str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static inline bool
str_eqcase(struct str a, struct str b)
{
	return a.len == b.len && (a.len == 0 || strncasecmp(a.p, b.p, a.len) == 0);
}

static inline bool
str_eqs(struct str a, const char *s)
{
	return str_eq(a, str_from(s));
}

static inline bool
str_startswith(struct str a, const char *prefix)
{
	size_t n = strlen(prefix);

	return a.len >= n && memcmp(a.p, prefix, n) == 0;
}

/* Caller owns the result (free()). */
char *str_dup(struct str s);
/* Strip leading and trailing spaces and tabs. */
struct str str_trim(struct str s);
/*
 * Parse a whole decimal unsigned integer (digits only, no sign, no spaces) no
 * greater than max. Returns 0 and sets *out, or -1.
 */
int str_to_u64(struct str s, unsigned long long max, unsigned long long *out);

#endif
