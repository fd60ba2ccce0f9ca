/*
 * deis-run/1 frames from an untrusted peer (the controller parses a client's,
 * the CLI a controller's). Oracle: no crash or UB; a parsed frame stays
 * within the input, and writing it again gives the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/runproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct runproto_frame f;
	size_t off = 0;
	long n;

	while ((n = runproto_parse(data + off, size - off, &f, NULL)) > 0) {
		struct buf b = BUF_INIT;

		if ((size_t)n > size - off || f.len > RUNPROTO_MAX ||
		    (f.len && (f.data < (const char *)data + off ||
		    f.data + f.len > (const char *)data + off + n)))
			abort();
		if (f.type == RUNPROTO_RESIZE)
			runproto_add_resize(&b, f.rows, f.cols);
		else if (f.type == RUNPROTO_EXIT)
			runproto_add_exit(&b, f.status);
		else
			runproto_add(&b, f.type, f.data, f.len);
		if (b.len != (size_t)n || memcmp(b.p, data + off, b.len) != 0)
			abort();
		buf_release(&b);
		off += (size_t)n;
	}
	return 0;
}
