/* deis-run/1 frames: see runproto.h. */
#include <string.h>

#include "lib/runproto.h"

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static long
bad(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return -1;
}

long
runproto_parse(const void *p, size_t n, struct runproto_frame *f, const char **why)
{
	const unsigned char *u = p;
	uint32_t len;

	if (n < 1)
		return 0;
	if (u[0] < RUNPROTO_STDIN || u[0] > RUNPROTO_ERROR)
		return bad(why, "unknown frame type");
	if (n < RUNPROTO_HDR)
		return 0;
	len = be32(u + 1);
	if (len > RUNPROTO_MAX)
		return bad(why, "frame too long");
	memset(f, 0, sizeof(*f));
	f->type = (enum runproto_type)u[0];
	switch (f->type) {
	case RUNPROTO_RESIZE:
		if (len != 4)
			return bad(why, "resize frame of the wrong size");
		break;
	case RUNPROTO_EOF:
		if (len != 0)
			return bad(why, "eof frame with a payload");
		break;
	case RUNPROTO_EXIT:
		if (len != 4)
			return bad(why, "exit frame of the wrong size");
		break;
	default:
		break;
	}
	if (n - RUNPROTO_HDR < len)
		return 0;
	f->data = (const char *)u + RUNPROTO_HDR;
	f->len = len;
	if (f->type == RUNPROTO_RESIZE) {
		f->rows = (unsigned)u[5] << 8 | u[6];
		f->cols = (unsigned)u[7] << 8 | u[8];
		if (f->rows == 0 || f->cols == 0)
			return bad(why, "resize to 0 rows or columns");
	} else if (f->type == RUNPROTO_EXIT) {
		f->status = be32(u + 5);
	}
	return (long)(RUNPROTO_HDR + len);
}

static void
add_hdr(struct buf *out, enum runproto_type type, size_t len)
{
	unsigned char h[RUNPROTO_HDR] = {
		(unsigned char)type, (unsigned char)(len >> 24), (unsigned char)(len >> 16),
		(unsigned char)(len >> 8), (unsigned char)len,
	};

	buf_add(out, h, sizeof(h));
}

void
runproto_add(struct buf *out, enum runproto_type type, const void *data, size_t len)
{
	const char *p = data;

	do {
		size_t k = len > RUNPROTO_MAX ? RUNPROTO_MAX : len;

		add_hdr(out, type, k);
		if (k)
			buf_add(out, p, k);
		p += k;
		len -= k;
	} while (len);
}

void
runproto_add_resize(struct buf *out, unsigned rows, unsigned cols)
{
	unsigned char d[4] = {
		(unsigned char)(rows >> 8), (unsigned char)rows,
		(unsigned char)(cols >> 8), (unsigned char)cols,
	};

	runproto_add(out, RUNPROTO_RESIZE, d, sizeof(d));
}

void
runproto_add_exit(struct buf *out, unsigned status)
{
	unsigned char d[4] = {
		(unsigned char)(status >> 24), (unsigned char)(status >> 16),
		(unsigned char)(status >> 8), (unsigned char)status,
	};

	runproto_add(out, RUNPROTO_EXIT, d, sizeof(d));
}
