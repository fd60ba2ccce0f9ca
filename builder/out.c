/*
 * What the user sees during `git push`. Everything goes to stdout of the hook,
 * which git relays as "remote: " lines; like Deis we start each line with
 * ESC[1G (cursor to column 1) so the build output replaces that prefix on a
 * terminal. Lines are written whole, so output from the engine that arrives
 * in pieces never interleaves with our own step lines.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "builder/builder.h"
#include "lib/ev.h"

#define OUT_PREFIX "\033[1G"

static struct buf partial = BUF_INIT;
uint64_t out_last_ms;

static void
out_write(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, p, n);

		if (w <= 0)
			return;	/* the client went away; the build goes on and cleans up */
		p += w;
		n -= (size_t)w;
	}
}

static void
out_line(const char *p, size_t n)
{
	struct buf b = BUF_INIT;

	buf_addstr(&b, OUT_PREFIX);
	buf_add(&b, p, n);
	buf_addch(&b, '\n');
	out_write(b.p, b.len);
	buf_release(&b);
	out_last_ms = ev_now_ms();
}

static void
out_vline(const char *lead, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;

	out_flush();
	buf_addstr(&b, lead);
	buf_vaddf(&b, fmt, ap);
	out_line(b.p, b.len);
	buf_release(&b);
}

void
out_step(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_vline("-----> ", fmt, ap);
	va_end(ap);
}

void
out_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_vline("       ", fmt, ap);
	va_end(ap);
}

void
out_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_vline(" !     ", fmt, ap);
	va_end(ap);
}

void
out_stream(const char *p, size_t n, void *arg)
{
	size_t i, start = 0;

	buf_add(&partial, p, n);
	for (i = 0; i < partial.len; i++) {
		if (partial.p[i] != '\n' && partial.p[i] != '\r')
			continue;
		if (partial.p[i] == '\n' && i == start && i > 0 && partial.p[i - 1] == '\r') {
			start = i + 1;	/* the \n of a \r\n */
			continue;
		}
		if (i > start || partial.p[i] == '\n')
			out_line(partial.p + start, i - start);
		start = i + 1;
	}
	buf_remove_head(&partial, start);
	/* A progress bar without newlines must not grow without bound. */
	if (partial.len > 4096) {
		out_line(partial.p, partial.len);
		buf_reset(&partial);
	}
}

void
out_keepalive(uint64_t elapsed_ms)
{
	out_flush();
	out_info("... still working (%llu s)", (unsigned long long)(elapsed_ms / 1000));
}

void
out_flush(void)
{
	if (partial.len) {
		out_line(partial.p, partial.len);
		buf_reset(&partial);
	}
}
