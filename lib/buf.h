#ifndef LIB_BUF_H
#define LIB_BUF_H
/*
 * struct buf: a growable byte buffer that is always NUL-terminated, so buf.p can
 * be passed wherever a C string is expected (it may also hold NUL bytes; len is
 * the truth). Initialise with BUF_INIT or buf_init(); buf.p is never NULL after
 * that. Release the memory with buf_release(); buf_detach() hands it to the caller.
 */
#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *p;
	size_t len;
	size_t cap;	/* 0: p points at a shared empty string, nothing allocated */
};

extern char buf_empty[];
#define BUF_INIT { buf_empty, 0, 0 }

void buf_init(struct buf *b, size_t hint);
/* Frees the memory and re-initialises b; safe on an initialised empty buffer. */
void buf_release(struct buf *b);
/* Caller owns the returned string (free()); b is re-initialised. */
char *buf_detach(struct buf *b, size_t *len);
/* Ensure room for n more bytes plus the NUL. */
void buf_grow(struct buf *b, size_t n);
void buf_setlen(struct buf *b, size_t len);
static inline void buf_reset(struct buf *b) { buf_setlen(b, 0); }

void buf_add(struct buf *b, const void *data, size_t n);
void buf_addstr(struct buf *b, const char *s);
void buf_addch(struct buf *b, int c);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Drop the first n bytes (consumed input). */
void buf_remove_head(struct buf *b, size_t n);

#endif
