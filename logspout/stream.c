/*
 * Docker's log stream (GET /containers/<id>/logs?timestamps=1) to lines.
 *
 * Non-TTY containers: the multiplexed format (lib/docker's frame decoder);
 * TTY containers: raw text. The first byte tells them apart (a header starts
 * with 0, 1 or 2; raw text with the timestamp's first digit). Every log entry (a frame, or a raw line)
 * begins with "<RFC 3339 time with nanoseconds> ". Docker splits lines longer
 * than 16 KiB into several entries without LF; they are joined here per
 * stream, up to SYSLOG_MAX_MSG bytes, beyond which a line goes out in pieces.
 *
 * Pure: bytes in, lines out through the callback; no I/O.
 */
#include <stdint.h>
#include <string.h>

#include "lib/syslog.h"
#include "logspout/logspout.h"

int64_t
lstream_parse_ts(const char *s, size_t len)
{
	int64_t us, extra = 0;
	const char *dot = memchr(s, '.', len);
	int k;

	/* nanoseconds in an int64_t end in 2262 */
	if (syslog_time_parse(str_make(s, len), &us) < 0 || us < 0 || us > INT64_MAX / 1000 - 1)
		return -1;
	if (dot) {
		/* digits 7..9 of the fraction, which syslog_time_parse drops */
		for (k = 7, dot++; k <= 9; k++) {
			extra *= 10;
			if (dot + k - 1 < s + len && dot[k - 1] >= '0' && dot[k - 1] <= '9')
				extra += dot[k - 1] - '0';
		}
	}
	return us * 1000 + extra;
}

void
lstream_init(struct lstream *s, int64_t skip_upto, lstream_emit_fn *fn, void *arg)
{
	memset(s, 0, sizeof(*s));
	s->skip_upto = skip_upto;
	s->emit = fn;
	s->arg = arg;
	buf_init(&s->out[0].line, 0);
	buf_init(&s->out[1].line, 0);
}

void
lstream_release(struct lstream *s)
{
	buf_release(&s->out[0].line);
	buf_release(&s->out[1].line);
}

/* Data bytes of the current entry. */
static void
entry_data(struct lstream *s, const char *p, size_t n)
{
	struct lstream_part *pt = &s->out[s->stream];

	while (n > 0) {
		const char *lf = memchr(p, '\n', n);
		size_t take = lf ? (size_t)(lf - p) : n;

		if (!s->skip_entry) {
			while (take > 0) {
				size_t room, k;

				if (pt->line.len == SYSLOG_MAX_MSG) {
					/* longer than a message may be: send it in pieces */
					s->emit(s->arg, s->stream, pt->line.p, pt->line.len, pt->first_ns,
					    s->entry_ns);
					buf_reset(&pt->line);
					s->pieces++;
				}
				room = SYSLOG_MAX_MSG - pt->line.len;
				k = take < room ? take : room;
				if (pt->line.len == 0)
					pt->first_ns = s->entry_ns;
				buf_add(&pt->line, p, k);
				p += k, n -= k, take -= k;
			}
		} else {
			p += take, n -= take;
		}
		if (lf == NULL)
			break;
		p++, n--;
		if (!s->skip_entry) {
			size_t len = pt->line.len;

			if (len && pt->line.p[len - 1] == '\r')
				len--;
			if (pt->line.len == 0)
				pt->first_ns = s->entry_ns;
			s->emit(s->arg, s->stream, pt->line.p, len, pt->first_ns, s->entry_ns);
			buf_reset(&pt->line);
		}
		if (s->mode == 2) {
			/* raw: a new entry, with its own timestamp, begins after the LF */
			s->in_ts = true;
			s->ts_have = 0;
			return;
		}
	}
}

/* Entry bytes: the "<time> " prefix, then data. Returns the bytes consumed. */
static size_t
entry_bytes(struct lstream *s, const char *p, size_t n)
{
	size_t i = 0;

	while (s->in_ts && i < n) {
		if (p[i] == ' ') {
			s->entry_ns = lstream_parse_ts(s->ts, s->ts_have);
			s->in_ts = false;
			if (s->entry_ns < 0) {
				s->bad_ts++;
				s->entry_ns = 0;
			}
			s->skip_entry = s->entry_ns > 0 && s->entry_ns <= s->skip_upto;
			i++;
			break;
		}
		if (s->ts_have == sizeof(s->ts) - 1 || p[i] == '\n') {
			/* no timestamp: take the entry as it is */
			s->in_ts = false;
			s->entry_ns = 0;
			s->skip_entry = false;
			s->bad_ts++;
			entry_data(s, s->ts, s->ts_have);
			break;
		}
		s->ts[s->ts_have++] = p[i++];
	}
	if (s->in_ts || i == n)
		return i;
	if (s->mode == 2) {
		/* one raw entry ends at its LF */
		const char *lf = memchr(p + i, '\n', n - i);
		size_t k = lf ? (size_t)(lf - (p + i)) + 1 : n - i;

		entry_data(s, p + i, k);
		return i + k;
	}
	entry_data(s, p + i, n - i);
	return n;
}

/* A piece of a frame's payload (multiplexed streams): each frame is one entry. */
static void
frame_piece(void *arg, int stream, const char *p, size_t n, int flags)
{
	struct lstream *s = arg;
	size_t off = 0;

	if (flags & DOCKER_FRAME_START) {
		s->stream = stream == 2 ? 1 : 0;
		s->in_ts = true;
		s->ts_have = 0;
	}
	while (off < n)
		off += entry_bytes(s, p + off, n - off);
	if ((flags & DOCKER_FRAME_END) && s->in_ts && s->ts_have) {
		/* a whole entry without the time prefix: keep its bytes */
		s->in_ts = false;
		s->entry_ns = 0;
		s->skip_entry = false;
		s->bad_ts++;
		entry_data(s, s->ts, s->ts_have);
	}
}

void
lstream_feed(struct lstream *s, const char *data, size_t len)
{
	size_t off = 0;

	if (len && s->mode == 0) {
		s->mode = (unsigned char)data[0] <= 2 ? 1 : 2;
		s->in_ts = true;
		docker_frames_init(&s->frames, frame_piece, s);
	}
	if (s->mode == 1) {
		docker_frames_feed(&s->frames, data, len);
		return;
	}
	while (off < len)
		off += entry_bytes(s, data + off, len - off);
}

void
lstream_finish(struct lstream *s)
{
	int i;

	/* a last line without LF (the container stopped mid-line) */
	for (i = 0; i < 2; i++)
		if (s->out[i].line.len) {
			s->emit(s->arg, i, s->out[i].line.p, s->out[i].line.len, s->out[i].first_ns,
			    s->entry_ns);
			buf_reset(&s->out[i].line);
		}
}
