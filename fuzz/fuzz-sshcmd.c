/*
 * libFuzzer target for the builder's SSH command parser: whatever a client
 * sends as its command, the parser must not crash, and anything it accepts
 * must name a valid app (the only thing used to build a path).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "builder/builder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct sshcmd c;
	struct err e = { 0 };
	json_t *j;

	memcpy(s, data, size);
	s[size] = '\0';
	if (sshcmd_parse(s, &c, &e) == 0) {
		if (!app_name_valid(c.app) || strstr(c.app, ".."))
			abort();
	}
	/* The same bytes as a Procfile and as bin/release output. */
	j = procfile_parse((const char *)data, size, &e);
	json_decref(j);
	j = release_default_types((const char *)data, size);
	json_decref(j);
	free(s);
	return 0;
}
