/*
 * The multiplexed stdout/stderr stream of a non-TTY container, decoded: the
 * one decoder every component uses (lib/docker.h). Pure: bytes in, pieces out
 * through the callback, nothing allocated (the logspout fuzz target links it).
 */
#include <string.h>

#include "lib/docker.h"

void
docker_frames_init(struct docker_frames *f, docker_frame_fn *fn, void *arg)
{
	memset(f, 0, sizeof(*f));
	f->fn = fn;
	f->arg = arg;
}

void
docker_frames_feed(struct docker_frames *f, const char *p, size_t n)
{
	while (n > 0) {
		size_t k;
		int flags = 0;

		if (!f->in_frame) {
			while (f->hdr_have < 8 && n > 0) {
				f->hdr[f->hdr_have++] = (unsigned char)*p++;
				n--;
			}
			if (f->hdr_have < 8)
				return;
			f->hdr_have = 0;
			f->in_frame = true;
			f->left = (uint32_t)f->hdr[4] << 24 | (uint32_t)f->hdr[5] << 16 |
			    (uint32_t)f->hdr[6] << 8 | f->hdr[7];
			flags = DOCKER_FRAME_START;
			if (f->left == 0) {
				f->in_frame = false;
				f->fn(f->arg, f->hdr[0], p, 0, DOCKER_FRAME_START | DOCKER_FRAME_END);
				continue;
			}
			if (n == 0) {
				f->fn(f->arg, f->hdr[0], p, 0, flags);
				return;
			}
		}
		k = n < f->left ? n : f->left;
		f->left -= (uint32_t)k;
		if (f->left == 0) {
			flags |= DOCKER_FRAME_END;
			f->in_frame = false;
		}
		f->fn(f->arg, f->hdr[0], p, k, flags);
		p += k;
		n -= k;
	}
}

bool
docker_frames_partial(const struct docker_frames *f)
{
	return f->in_frame || f->hdr_have > 0;
}

struct demux {
	struct buf *out;
	size_t max;
	bool *truncated;
};

static void
demux_piece(void *arg, int stream, const char *p, size_t n, int flags)
{
	struct demux *m = arg;
	size_t room = m->out->len < m->max ? m->max - m->out->len : 0;

	if (stream > 2)	/* 0 stdin, 1 stdout, 2 stderr; anything else is not output */
		return;
	if (n > room && m->truncated)
		*m->truncated = true;
	buf_add(m->out, p, n < room ? n : room);
}

void
docker_demux(const char *in, size_t len, struct buf *out, size_t max, bool *truncated)
{
	struct demux m = { out, max, truncated };
	struct docker_frames f;

	docker_frames_init(&f, demux_piece, &m);
	docker_frames_feed(&f, in, len);
}

