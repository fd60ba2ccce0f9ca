#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

static const char *log_prog = "deis";
static enum log_level log_min = LOG_INFO;

void
log_init(const char *prog)
{
	const char *lvl = getenv("DEIS_LOG_LEVEL");

	log_prog = prog;
	if (lvl == NULL)
		return;
	if (!strcmp(lvl, "debug"))
		log_min = LOG_DEBUG;
	else if (!strcmp(lvl, "warn"))
		log_min = LOG_WARN;
	else if (!strcmp(lvl, "error"))
		log_min = LOG_ERROR;
}

void
log_set_level(enum log_level lvl)
{
	log_min = lvl;
}

int
log_enabled(enum log_level lvl)
{
	return lvl >= log_min;
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *names[] = { "debug", "info", "warn", "error" };
	char line[4096];
	va_list ap;
	int n;

	if (lvl < log_min)
		return;
	n = snprintf(line, sizeof(line), "%s: %s: ", log_prog, names[lvl]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	/* One write per line so lines from threads and processes do not interleave. */
	strcat(line, "\n");
	fputs(line, stderr);
}
