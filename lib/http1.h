#ifndef LIB_HTTP1_H
#define LIB_HTTP1_H
/*
 * Strict, zero-copy, incremental HTTP/1.1 message-head parser and chunked-body
 * decoder (RFC 9112/9110), shared by the router, the controller and the logger.
 * The rules it enforces and the vectors it is tested with are in
 * shared/reference/security.md §3.1–3.2: ambiguous framing is an error, never a
 * guess.
 *
 * Parsing is stateless over the bytes received so far: call the parse function
 * again with the whole head buffer each time more bytes arrive (heads are small
 * and bounded by the limits). All struct str fields point into the caller's
 * buffer and are valid as long as it is.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/str.h"

#define HTTP1_MAX_HEADERS 100

struct http1_limits {
	size_t max_line;	/* request line (414 when longer); default 8192 */
	size_t max_field;	/* one header line (431 when longer); default 8192 */
	size_t max_head;	/* whole head (431 when longer); default 65536 */
	size_t max_headers;	/* header count (431 when more); default 100 */
};
extern const struct http1_limits http1_default_limits;

struct http1_header {
	struct str name, value;	/* value without leading/trailing OWS */
};

enum http1_body {
	HTTP1_BODY_NONE,	/* no body (or response: see http1_parse_response) */
	HTTP1_BODY_LENGTH,	/* content_length bytes follow */
	HTTP1_BODY_CHUNKED,	/* chunked transfer coding follows */
	HTTP1_BODY_EOF,		/* response only: body runs until the connection closes */
};

struct http1_request {
	struct str method, target;
	int minor;			/* HTTP/1.<minor>: 0 or 1 */
	struct http1_header headers[HTTP1_MAX_HEADERS];
	size_t nheaders;
	/* Derived from the headers: */
	struct str host;		/* the one Host value (empty if HTTP/1.0 without Host) */
	enum http1_body body;
	uint64_t content_length;
	bool keep_alive;		/* after this exchange the connection may be reused */
	bool upgrade;			/* Connection: upgrade + Upgrade present */
	bool expect_continue;
	/*
	 * Added: the origin-form target to forward. Equal to target, except for an
	 * absolute-form target ("http://h/p?q"), where it is "/p?q" ("/" when the
	 * target has no path) and host is the target's authority (a Host header
	 * that disagrees with it is rejected with 400).
	 */
	struct str path;
};

struct http1_response {
	int status, minor;
	struct str reason;
	struct http1_header headers[HTTP1_MAX_HEADERS];
	size_t nheaders;
	enum http1_body body;
	uint64_t content_length;
	bool keep_alive;
};

/*
 * Parse a request head from buf[0..len).
 * Returns the length of the head (> 0, including the final empty line) when it
 * is complete and valid; 0 when more bytes are needed; or a negative HTTP status
 * (-400, -414, -431, -501 for an unsupported transfer coding, -505 for a version
 * other than 1.0/1.1) when the request must be rejected and the connection closed.
 * lim may be NULL for the defaults. Leading empty lines (CRLF) are skipped and
 * counted in the returned length.
 *
 * Strict choices (security.md §3.1): bare LF/CR, obs-fold, whitespace before a
 * colon, bad name/value bytes, duplicate Content-Length (even identical), CL with
 * leading zeros or not 1*DIGIT, CL + TE, TE in HTTP/1.0, TE whose final coding
 * is not chunked, more than one Host, a Host that is not host[:port], userinfo
 * in an absolute-form target, a header name extending Transfer-Encoding or
 * Content-Length ("Transfer-Encodingx": http-parser 2.9 frames by it): all
 * -400. TE with another coding before chunked, and CONNECT: -501.
 * Content-Length: 0 gives body NONE. expect_continue is only set for HTTP/1.1.
 */
int http1_parse_request(const char *buf, size_t len, struct http1_request *req,
    const struct http1_limits *lim);

/*
 * Parse a response head. request_method is the method of the request it answers
 * (HEAD and 1xx/204/304 responses have no body). Returns as above; any error is
 * -502 (a proxy answers 502 and drops the backend connection). Transfer-Encoding
 * must be exactly chunked (any other coding is -502); no CL and no TE gives
 * HTTP1_BODY_EOF with keep_alive false. content_length is also set for bodiless
 * responses that carry one (HEAD, 304).
 */
int http1_parse_response(const char *buf, size_t len, struct http1_response *res,
    struct str request_method, const struct http1_limits *lim);

/* Case-insensitive header lookup; the first match or NULL. */
const struct http1_header *http1_find(const struct http1_header *h, size_t n, const char *name);

/*
 * Incremental chunked-body decoder. Zero the struct to start. Each call
 * consumes bytes from in[0..inlen) and appends decoded payload bytes to out
 * (which may be NULL to just validate and count).
 * Returns: the number of input bytes consumed (>= 0) with *done set once the
 * last chunk and trailer section have been consumed (bytes after that belong to
 * the next message); or -1 on malformed input (the connection must be closed).
 * Trailers are validated and discarded, never merged into headers. Chunk
 * extensions are bounded (1 KiB per chunk line).
 */
struct buf;
struct http1_chunked {
	int state;
	uint64_t remaining;	/* bytes left in the current chunk */
	size_t line_len;	/* bytes of the current size/trailer line seen */
	uint64_t total;		/* decoded payload bytes so far */
};
long http1_chunked_decode(struct http1_chunked *c, const char *in, size_t inlen,
    struct buf *out, bool *done);

/*
 * The upper-case reason phrase Django 1.6 sent for status, without the code:
 * http1_reason_upper(404) is "NOT FOUND" (write "%d %s"). Unknown codes give
 * "UNKNOWN STATUS CODE", as Django did. The result is a static string.
 */
const char *http1_reason_upper(int status);
/* The standard reason phrase (RFC 9110): http1_reason(404) is "Not Found". Static. */
const char *http1_reason(int status);

#endif
