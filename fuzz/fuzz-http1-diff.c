/*
 * Differential libFuzzer target: lib/http1 against Node's http-parser 2.9
 * (Debian libhttp-parser-dev) on the same bytes (security.md §3.8).
 *
 * Our parser is the stricter one by design, so the oracle runs one way: when
 * we accept a request head of n bytes with a method http-parser knows and it
 * accepts it too, it must end the head at the same byte and agree on the
 * version and the framing (chunked or Content-Length and its value). A request that we accept and a mainstream parser frames
 * differently is exactly a smuggling bug.
 */
#include <http_parser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/http1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	bool head_done;
	bool has_te_hdr;
};

static int
on_headers_complete(http_parser *p)
{
	((struct seen *)p->data)->head_done = true;
	http_parser_pause(p, 1);
	return 0;
}

static void
check(int cond)
{
	if (!cond)
		abort();
}

static bool
known_method(struct str m)
{
	static const char *const known[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS",
		"PATCH", NULL };
	int i;

	for (i = 0; known[i]; i++)
		if (str_eqs(m, known[i]))
			return true;
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http1_request req;
	http_parser_settings settings;
	http_parser p;
	struct seen seen = { 0 };
	size_t n;
	int r;

	r = http1_parse_request((const char *)data, size, &req, NULL);
	if (r <= 0 || !known_method(req.method) || req.target.len == 0 || req.target.p[0] != '/')
		return 0;

	memset(&settings, 0, sizeof(settings));
	settings.on_headers_complete = on_headers_complete;
	http_parser_init(&p, HTTP_REQUEST);
	p.data = &seen;
	n = http_parser_execute(&p, &settings, (const char *)data, (size_t)r);
	/*
	 * If http-parser rejects what we accept, a backend using it answers 400:
	 * conservative, not a desync (it has its own quirks, e.g. it treats a
	 * header named "Transfer-Encodingh" as Transfer-Encoding). If it accepts
	 * the head, it must frame it exactly as we do.
	 */
	if (HTTP_PARSER_ERRNO(&p) != HPE_PAUSED)
		return 0;
	check(seen.head_done);
	/* ... at the same byte (paused in on_headers_complete, http-parser has
	 * not yet counted the final LF) ... */
	check(n + 1 == (size_t)r);
	/* ... with the same version and framing. */
	check(p.http_major == 1 && p.http_minor == req.minor);
	if (req.body == HTTP1_BODY_CHUNKED)
		check(p.flags & F_CHUNKED);
	else
		check(!(p.flags & F_CHUNKED));
	if (req.body == HTTP1_BODY_LENGTH)
		check(p.content_length == req.content_length);
	/* Keep-alive is not compared: http-parser misreads odd Connection lists
	 * (e.g. "keep-alive" among 8-bit tokens), and a disagreement there only
	 * closes a connection early, it cannot desync one. */
	return 0;
}
