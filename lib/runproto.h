#ifndef LIB_RUNPROTO_H
#define LIB_RUNPROTO_H
/*
 * deis-run/1: the framing of an interactive `deis run` on its upgraded
 * connection (docs/internal-api.md, "Interactive runs"). Both directions are
 * a sequence of frames: one type byte, the payload's length as 4 bytes big
 * endian, the payload (at most RUNPROTO_MAX bytes).
 *
 *   client -> controller: STDIN (bytes for the terminal), RESIZE (rows, cols:
 *   2 bytes each, big endian, neither 0), EOF (empty: no more stdin)
 *   controller -> client: OUTPUT (the terminal's bytes), EXIT (the status as
 *   4 bytes big endian; the controller then closes), ERROR (one line of UTF-8
 *   saying what failed; then closes)
 *
 * Pure functions, no I/O: the CLI and the controller share them.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

#define RUNPROTO_NAME "deis-run/1"	/* the Upgrade token */
#define RUNPROTO_HDR 5
#define RUNPROTO_MAX 65536

enum runproto_type {
	RUNPROTO_STDIN = 1,
	RUNPROTO_RESIZE = 2,
	RUNPROTO_EOF = 3,
	RUNPROTO_OUTPUT = 4,
	RUNPROTO_EXIT = 5,
	RUNPROTO_ERROR = 6,
};

struct runproto_frame {
	enum runproto_type type;
	const char *data;	/* points into the parsed bytes */
	size_t len;
	unsigned rows, cols;	/* RESIZE */
	unsigned status;	/* EXIT */
};

/*
 * Parse the frame at the start of p (n bytes): returns the bytes it takes
 * (f filled, f->data pointing into p), 0 when more bytes are needed, -1 on a
 * malformed frame (an unknown type, a payload over RUNPROTO_MAX, a RESIZE,
 * EOF or EXIT of the wrong size, a RESIZE of 0 rows or columns); why is in
 * *why (a static string) when why is not NULL.
 */
long runproto_parse(const void *p, size_t n, struct runproto_frame *f, const char **why);

/* Append one frame to out; len at most RUNPROTO_MAX (a larger one is split). */
void runproto_add(struct buf *out, enum runproto_type type, const void *data, size_t len);
void runproto_add_resize(struct buf *out, unsigned rows, unsigned cols);
void runproto_add_exit(struct buf *out, unsigned status);

#endif
