#ifndef LIB_UTF8_H
#define LIB_UTF8_H
/*
 * Make arbitrary bytes (a process's output) valid UTF-8 for JSON: append
 * p[0..n) to out with every invalid or truncated sequence, overlong form,
 * surrogate and NUL replaced by U+FFFD.
 */
#include <stddef.h>

#include "lib/buf.h"

void utf8_sanitize(struct buf *out, const char *p, size_t n);

#endif
