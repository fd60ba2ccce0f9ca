/*
 * libFuzzer target for lib/syslog.c: the RFC 6587 framer fed in pieces through
 * a bounded buffer, the parser on every frame, and a format → parse round trip.
 *
 * Oracles besides "no crash, no UB": the framer never delivers a frame longer
 * than max, never leaves more than SYSLOG_FRAME_ROOM(max) bytes unconsumed,
 * and delivers the same frames whatever the read sizes; a parsed message
 * formatted and parsed again gives the same app, proc, time and message.
 *
 * Input: byte 0 picks the read size, byte 1 the frame limit; the rest is the stream.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/syslog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		abort();
}

static void
roundtrip(const char *p, size_t len)
{
	struct syslog_msg m, r;
	struct buf b = BUF_INIT;
	struct syslog_framer f;
	struct str fr;
	size_t used;

	if (syslog_parse(p, len, &m) < 0)
		return;
	check(m.app.len > 0);
	check(m.msg.len <= len);
	syslog_format(&b, &m, true);
	syslog_framer_init(&f, b.len + 16);
	check(syslog_frame_next(&f, b.p, b.len, &used, &fr) == SYSLOG_FRAME_OK);
	check(used == b.len);
	check(syslog_parse(fr.p, fr.len, &r) == 0);
	if (m.app.len <= SYSLOG_MAX_APPNAME && memchr(m.app.p, ' ', m.app.len) == NULL)
		check(str_eq(m.app, r.app));
	if (m.procid.len <= SYSLOG_MAX_PROCID)
		check(str_eq(m.procid, r.procid));
	if (m.time_us >= 0 && m.time_us < 253402300800000000LL)
		check(m.time_us == r.time_us);
	if (m.msg.len < 3 || memcmp(m.msg.p, "\xEF\xBB\xBF", 3) != 0)
		check(str_eq(m.msg, r.msg));
	buf_release(&b);
}

/* Frame the stream in reads of `step` bytes; returns the frames joined with a 0xFF marker. */
static void
frame_all(const char *in, size_t len, size_t step, size_t max, struct buf *out, int parse)
{
	struct syslog_framer f;
	size_t room = SYSLOG_FRAME_ROOM(max), have = 0, pos = 0;
	char *win = malloc(room);

	syslog_framer_init(&f, max);
	while (pos < len) {
		size_t n = len - pos;

		if (n > step)
			n = step;
		if (n > room - have)
			n = room - have;
		check(n > 0);
		memcpy(win + have, in + pos, n);
		have += n;
		pos += n;
		for (;;) {
			struct str fr;
			size_t used;
			enum syslog_frame_res r = syslog_frame_next(&f, win, have, &used, &fr);

			check(used <= have);
			if (r == SYSLOG_FRAME_OK) {
				check(fr.len <= max);
				check(fr.p >= win && fr.p + fr.len <= win + have);
				buf_add(out, fr.p, fr.len);
				buf_addch(out, '\xff');
				if (parse)
					roundtrip(fr.p, fr.len);
			} else if (r == SYSLOG_FRAME_BAD) {
				buf_addch(out, '\xfe');
			}
			memmove(win, win + used, have - used);
			have -= used;
			if (r == SYSLOG_FRAME_MORE)
				break;
		}
		check(have < room);
	}
	free(win);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	size_t step, max;

	if (size < 2)
		return 0;
	step = (size_t)data[0] % 64 + 1;
	max = (size_t)data[1] * 4 + 8;
	data += 2;
	size -= 2;
	syslog_parse((const char *)data, size, &(struct syslog_msg){ 0 });
	roundtrip((const char *)data, size);
	frame_all((const char *)data, size, step, max, &a, 1);
	frame_all((const char *)data, size, size ? size : 1, max, &b, 0);
	/* Bad-frame markers may differ in count (an overlong line is reported once), frames may not. */
	{
		size_t i, j;

		for (i = j = 0; i < a.len || j < b.len;) {
			while (i < a.len && a.p[i] == '\xfe')
				i++;
			while (j < b.len && b.p[j] == '\xfe')
				j++;
			if (i == a.len || j == b.len) {
				check(i == a.len && j == b.len);
				break;
			}
			check(a.p[i] == b.p[j]);
			i++, j++;
		}
	}
	buf_release(&a);
	buf_release(&b);
	return 0;
}
