#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"

char buf_empty[1];

void
buf_init(struct buf *b, size_t hint)
{
	b->p = buf_empty;
	b->len = b->cap = 0;
	if (hint)
		buf_grow(b, hint);
}

void
buf_release(struct buf *b)
{
	if (b->cap)
		free(b->p);
	buf_init(b, 0);
}

char *
buf_detach(struct buf *b, size_t *len)
{
	char *p;

	if (len)
		*len = b->len;
	p = b->cap ? b->p : xstrdup("");
	buf_init(b, 0);
	return p;
}

void
buf_grow(struct buf *b, size_t n)
{
	size_t want;

	if (b->len + n + 1 <= b->cap)
		return;
	if (b->len + n + 1 < b->len)
		die(1, "buffer size overflow");
	want = b->cap ? b->cap : 64;
	while (want < b->len + n + 1)
		want = want * 3 / 2 + 16;
	if (!b->cap) {
		b->p = xmalloc(want);
		b->p[0] = '\0';
	} else {
		b->p = xrealloc(b->p, want);
	}
	b->cap = want;
}

void
buf_setlen(struct buf *b, size_t len)
{
	if (!b->cap) {
		if (len)
			die(1, "buf_setlen beyond an empty buffer");
		return;
	}
	if (len >= b->cap)
		die(1, "buf_setlen beyond allocation");
	b->len = len;
	b->p[len] = '\0';
}

void
buf_add(struct buf *b, const void *data, size_t n)
{
	if (!n)
		return;
	buf_grow(b, n);
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_addstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addch(struct buf *b, int c)
{
	char ch = (char)c;

	buf_add(b, &ch, 1);
}

void
buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	buf_grow(b, 64);
	va_copy(cp, ap);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		die(1, "vsnprintf failed");
	if ((size_t)n >= b->cap - b->len) {
		buf_grow(b, (size_t)n);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void
buf_remove_head(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	buf_setlen(b, b->len - n);
}
