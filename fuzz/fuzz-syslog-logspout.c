/*
 * libFuzzer target for logspout's Docker log stream decoder (logspout/stream.c).
 *
 * Oracles besides "no crash, no UB": no line is longer than SYSLOG_MAX_MSG;
 * the lines are the same whatever the read sizes (byte 0 picks the size).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/syslog.h"
#include "logspout/logspout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
collect(void *arg, int stream, const char *line, size_t len, int64_t first_ns, int64_t last_ns)
{
	struct buf *out = arg;

	if (len > SYSLOG_MAX_MSG || (stream != 0 && stream != 1))
		abort();
	buf_addf(out, "%d %lld %lld %zu|", stream, (long long)first_ns, (long long)last_ns, len);
	buf_add(out, line, len);
}

static void
run(const char *p, size_t len, size_t step, struct buf *out)
{
	struct lstream s;
	size_t off;

	lstream_init(&s, 1795687200000000000LL, collect, out);
	for (off = 0; off < len; off += step)
		lstream_feed(&s, p + off, len - off < step ? len - off : step);
	lstream_finish(&s);
	lstream_release(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a = BUF_INIT, b = BUF_INIT;

	if (size < 1)
		return 0;
	run((const char *)data + 1, size - 1, (size_t)data[0] % 32 + 1, &a);
	run((const char *)data + 1, size - 1, size, &b);
	if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0)
		abort();
	buf_release(&a);
	buf_release(&b);
	return 0;
}
