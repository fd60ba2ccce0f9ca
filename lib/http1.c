/*
 * Strict HTTP/1.1 head parser and chunked decoder; see lib/http1.h and
 * shared/reference/security.md §3.1–3.2.
 *
 * Policy, where the RFC leaves a choice: always the stricter one. Bare LF and
 * bare CR are errors, obs-fold is an error, duplicate Content-Length headers
 * are an error even when identical, Content-Length with leading zeros is an
 * error, CL together with TE is an error, TE in HTTP/1.0 is an error, and an
 * empty element in a Transfer-Encoding list is an error. A peer that needs any
 * of these is broken or attacking us.
 */
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/http1.h"

const struct http1_limits http1_default_limits = {
	.max_line = 8192,
	.max_field = 8192,
	.max_head = 65536,
	.max_headers = HTTP1_MAX_HEADERS,
};

/* Content-Length and chunk sizes above this are refused (fits in off_t). */
#define HTTP1_MAX_LENGTH ((uint64_t)INT64_MAX)
#define CHUNK_LINE_MAX 1024
#define TRAILER_LINE_MAX 8192
#define TRAILER_TOTAL_MAX 65536

/* tchar per RFC 9110 §5.6.2. */
static const unsigned char tchar[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1,
	['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1,
	['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
	['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
	['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
	['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,
	['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1,
	['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
	['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
	['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static inline bool
is_tchar(unsigned char c)
{
	return tchar[c] != 0;
}

/* field-vchar / SP / HTAB: VCHAR, obs-text, SP, HTAB. No other CTL, no DEL. */
static inline bool
is_value_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static inline int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Find the end of the line starting at buf[off]. Returns 1 and sets *eol (index
 * of the CR) when a CRLF was found, 0 when more bytes are needed, -1 on a bare
 * LF or a CR not followed by LF.
 */
static int
line_end(const char *buf, size_t len, size_t off, size_t *eol)
{
	size_t i;

	for (i = off; i < len; i++) {
		if (buf[i] == '\n')
			return -1;
		if (buf[i] == '\r') {
			if (i + 1 == len)
				return 0;
			if (buf[i + 1] != '\n')
				return -1;
			*eol = i;
			return 1;
		}
	}
	return 0;
}

/*
 * Parse header lines from buf[off..len) into h[]. Returns the offset just past
 * the empty line ending the head, 0 when more bytes are needed, or a negative
 * status (the caller maps it for responses).
 */
static long
parse_headers(const char *buf, size_t len, size_t off, struct http1_header *h,
    size_t *nh, const struct http1_limits *lim)
{
	size_t maxh = lim->max_headers < HTTP1_MAX_HEADERS ? lim->max_headers : HTTP1_MAX_HEADERS;

	*nh = 0;
	for (;;) {
		size_t eol, i, nstart;
		struct str name, value;
		int r = line_end(buf, len, off, &eol);

		if (r < 0)
			return -400;
		if (r == 0) {
			if (len - off > lim->max_field)
				return -431;
			if (len > lim->max_head)
				return -431;
			return 0;
		}
		if (eol - off > lim->max_field)
			return -431;
		if (eol + 2 > lim->max_head)
			return -431;
		if (eol == off)
			return (long)(eol + 2);
		/* obs-fold, or whitespace before the first header: reject. */
		if (buf[off] == ' ' || buf[off] == '\t')
			return -400;
		if (*nh == maxh)
			return -431;
		nstart = off;
		for (i = off; i < eol && is_tchar((unsigned char)buf[i]); i++)
			;
		if (i == nstart || i == eol || buf[i] != ':')
			return -400;	/* empty name, bad name byte, SP before colon */
		name = str_make(buf + nstart, i - nstart);
		for (i++; i < eol; i++)
			if (!is_value_char((unsigned char)buf[i]))
				return -400;
		value = str_trim(str_make(buf + nstart + name.len + 1, eol - (nstart + name.len + 1)));
		h[*nh].name = name;
		h[*nh].value = value;
		(*nh)++;
		off = eol + 2;
	}
}

const struct http1_header *
http1_find(const struct http1_header *h, size_t n, const char *name)
{
	struct str want = str_from(name);
	size_t i;

	for (i = 0; i < n; i++)
		if (str_eqcase(h[i].name, want))
			return &h[i];
	return NULL;
}

/*
 * Iterate over the elements of a comma-separated list value; *more starts true.
 * Returns 1 with *elem set (OWS trimmed, possibly empty), 0 at the end.
 */
static int
list_next(struct str *rest, bool *more, struct str *elem)
{
	const char *comma;
	size_t n;

	if (!*more)
		return 0;
	comma = rest->len ? memchr(rest->p, ',', rest->len) : NULL;
	n = comma ? (size_t)(comma - rest->p) : rest->len;
	*elem = str_trim(str_make(rest->p, n));
	*more = comma != NULL;
	rest->p += comma ? n + 1 : n;
	rest->len -= comma ? n + 1 : n;
	return 1;
}

static bool
is_token(struct str s)
{
	size_t i;

	if (s.len == 0)
		return false;
	for (i = 0; i < s.len; i++)
		if (!is_tchar((unsigned char)s.p[i]))
			return false;
	return true;
}

/* Framing facts common to requests and responses. */
struct framing {
	int ncl, nte;
	uint64_t cl;
	int te_nchunked;	/* "chunked" codings seen */
	int te_nother;		/* other codings seen */
	bool te_last_chunked;	/* the final coding is chunked */
	bool conn_close, conn_keepalive, conn_upgrade;
	int nhost, nupgrade;
	struct str host;
	bool expect_continue;
};

static int
content_length_parse(struct str v, uint64_t *out)
{
	unsigned long long n;

	/* 1*DIGIT, no list, no sign, no leading zero (the "octal trap"). */
	if (v.len > 1 && v.p[0] == '0')
		return -1;
	if (str_to_u64(v, HTTP1_MAX_LENGTH, &n) < 0)
		return -1;
	*out = n;
	return 0;
}

/*
 * A name that extends a framing header's ("Transfer-Encodingx",
 * "Content-Length-Foo"): Node's http-parser 2.9 matches these by prefix and
 * frames the message differently from us, so a backend using it would desync
 * on what we forward (found by fuzz/fuzz-http1-diff.c). No client needs them.
 */
static bool
framing_lookalike(struct str name)
{
	return (name.len > 17 && strncasecmp(name.p, "transfer-encoding", 17) == 0) ||
	    (name.len > 14 && strncasecmp(name.p, "content-length", 14) == 0);
}

static int
framing_scan(const struct http1_header *h, size_t n, struct framing *f)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < n; i++) {
		struct str name = h[i].name, v = h[i].value, rest = v, e;
		bool more = true;

		if (framing_lookalike(name))
			return -1;
		if (str_eqcase(name, STR_LIT("content-length"))) {
			if (f->ncl++ || content_length_parse(v, &f->cl) < 0)
				return -1;
		} else if (str_eqcase(name, STR_LIT("transfer-encoding"))) {
			/* Several TE headers form one list, in order. */
			f->nte++;
			while (list_next(&rest, &more, &e)) {
				if (!is_token(e))
					return -1;	/* also empty elements */
				f->te_last_chunked = str_eqcase(e, STR_LIT("chunked"));
				if (f->te_last_chunked)
					f->te_nchunked++;
				else
					f->te_nother++;
			}
		} else if (str_eqcase(name, STR_LIT("connection"))) {
			while (list_next(&rest, &more, &e)) {
				if (str_eqcase(e, STR_LIT("close")))
					f->conn_close = true;
				else if (str_eqcase(e, STR_LIT("keep-alive")))
					f->conn_keepalive = true;
				else if (str_eqcase(e, STR_LIT("upgrade")))
					f->conn_upgrade = true;
			}
		} else if (str_eqcase(name, STR_LIT("host"))) {
			f->nhost++;
			f->host = v;
		} else if (str_eqcase(name, STR_LIT("upgrade"))) {
			f->nupgrade++;
		} else if (str_eqcase(name, STR_LIT("expect"))) {
			if (str_eqcase(v, STR_LIT("100-continue")))
				f->expect_continue = true;
		}
	}
	return 0;
}

/* TE present and chunked is not the final coding, or appears twice. */
static bool
framing_te_bad(const struct framing *f)
{
	return f->nte && (!f->te_last_chunked || f->te_nchunked != 1);
}

/*
 * uri-host [ ":" port ] restricted to what a router can route on: a reg-name of
 * unreserved characters, or an IP literal in brackets. No userinfo, no commas,
 * no percent-encoding.
 */
static bool
host_valid(struct str h)
{
	size_t i = 0, ndigits = 0;

	if (h.len == 0)
		return true;	/* RFC 9112 §3.2: empty Host when the target has no authority */
	if (h.p[0] == '[') {
		for (i = 1; i < h.len && h.p[i] != ']'; i++)
			if (hexval((unsigned char)h.p[i]) < 0 && h.p[i] != ':' && h.p[i] != '.')
				return false;
		if (i == h.len || i == 1)
			return false;
		i++;
	} else {
		for (; i < h.len && h.p[i] != ':'; i++) {
			unsigned char c = (unsigned char)h.p[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~'))
				return false;
		}
		if (i == 0)
			return false;
	}
	if (i == h.len)
		return true;
	if (h.p[i] != ':')
		return false;
	for (i++; i < h.len; i++, ndigits++)
		if (h.p[i] < '0' || h.p[i] > '9')
			return false;
	return ndigits <= 5;
}

static bool
target_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

/*
 * Parse the request target. For absolute-form, *authority is set to the
 * authority and *path to the path-and-query ("/" when empty).
 */
static int
target_parse(struct str method, struct str t, struct str *authority, struct str *path)
{
	size_t skip = 0, i;

	*authority = str_make(NULL, 0);
	*path = t;
	if (t.len && t.p[0] == '/')
		return 0;
	if (str_eqs(t, "*"))
		return str_eqs(method, "OPTIONS") ? 0 : -1;
	if (t.len > 7 && strncasecmp(t.p, "http://", 7) == 0)
		skip = 7;
	else if (t.len > 8 && strncasecmp(t.p, "https://", 8) == 0)
		skip = 8;
	else
		return -1;
	for (i = skip; i < t.len && t.p[i] != '/' && t.p[i] != '?' && t.p[i] != '#'; i++)
		;
	*authority = str_make(t.p + skip, i - skip);
	if (authority->len == 0 || !host_valid(*authority))
		return -1;	/* also refuses userinfo ("u@a") */
	if (i == t.len)
		*path = STR_LIT("/");
	else if (t.p[i] != '/')
		return -1;
	else
		*path = str_make(t.p + i, t.len - i);
	return 0;
}

int
http1_parse_request(const char *buf, size_t len, struct http1_request *req,
    const struct http1_limits *lim)
{
	size_t off = 0, eol, i, sp1, sp2;
	struct str line, v, authority;
	struct framing f;
	long hend;
	int r;

	if (!lim)
		lim = &http1_default_limits;
	memset(req, 0, sizeof(*req));

	/* RFC 9112 §2.2: ignore leading empty lines (CRLF only). */
	while (len - off >= 2 && buf[off] == '\r' && buf[off + 1] == '\n') {
		off += 2;
		if (off > lim->max_line)
			return -400;
	}
	if (len - off == 1 && buf[off] == '\r')
		return 0;

	r = line_end(buf, len, off, &eol);
	if (r < 0)
		return -400;
	if (r == 0) {
		if (len - off > lim->max_line)
			return -414;
		/* Reject obvious garbage early: the method must be a token. */
		for (i = off; i < len && buf[i] != ' '; i++)
			if (!is_tchar((unsigned char)buf[i]))
				return buf[i] == '\r' ? 0 : -400;
		return 0;
	}
	if (eol - off > lim->max_line)
		return -414;
	line = str_make(buf + off, eol - off);

	/* method SP request-target SP HTTP-version, exactly one SP each. */
	for (sp1 = 0; sp1 < line.len && is_tchar((unsigned char)line.p[sp1]); sp1++)
		;
	if (sp1 == 0 || sp1 == line.len || line.p[sp1] != ' ')
		return -400;
	for (sp2 = sp1 + 1; sp2 < line.len && target_char((unsigned char)line.p[sp2]); sp2++)
		;
	if (sp2 == sp1 + 1 || sp2 == line.len || line.p[sp2] != ' ')
		return -400;
	req->method = str_make(line.p, sp1);
	req->target = str_make(line.p + sp1 + 1, sp2 - sp1 - 1);
	v = str_make(line.p + sp2 + 1, line.len - sp2 - 1);
	if (v.len != 8 || memcmp(v.p, "HTTP/", 5) != 0 || v.p[6] != '.' ||
	    v.p[5] < '0' || v.p[5] > '9' || v.p[7] < '0' || v.p[7] > '9')
		return -400;
	if (v.p[5] != '1' || (v.p[7] != '0' && v.p[7] != '1'))
		return -505;
	req->minor = v.p[7] - '0';

	hend = parse_headers(buf, len, eol + 2, req->headers, &req->nheaders, lim);
	if (hend <= 0)
		return (int)hend;

	/* The whole head is here: derive framing and routing facts. */
	if (str_eqs(req->method, "CONNECT"))
		return -501;
	if (target_parse(req->method, req->target, &authority, &req->path) < 0)
		return -400;
	if (framing_scan(req->headers, req->nheaders, &f) < 0)
		return -400;
	if (f.nhost > 1 || (f.nhost == 0 && req->minor == 1) || !host_valid(f.host))
		return -400;
	req->host = f.host;
	if (authority.p) {
		/* Route on what we forward: the target's authority (RFC 9112 §3.2.2). A
		 * Host that disagrees with it is an attempt to confuse someone. */
		if (f.nhost && !str_eqcase(f.host, authority))
			return -400;
		req->host = authority;
	}
	if (f.nte) {
		if (req->minor == 0 || f.ncl)
			return -400;	/* TE in 1.0, or CL + TE */
		if (framing_te_bad(&f))
			return -400;	/* chunked not final (RFC 9112 §6.3) */
		if (f.te_nother)
			return -501;
		req->body = HTTP1_BODY_CHUNKED;
	} else if (f.ncl) {
		req->content_length = f.cl;
		req->body = f.cl ? HTTP1_BODY_LENGTH : HTTP1_BODY_NONE;
	}
	if (req->minor == 1)
		req->keep_alive = !f.conn_close;
	else
		req->keep_alive = f.conn_keepalive && !f.conn_close;
	req->upgrade = f.conn_upgrade && f.nupgrade > 0;
	req->expect_continue = f.expect_continue && req->minor == 1;
	return (int)hend;
}

int
http1_parse_response(const char *buf, size_t len, struct http1_response *res,
    struct str request_method, const struct http1_limits *lim)
{
	size_t eol, i;
	struct str line;
	struct framing f;
	long hend;
	int r;

	if (!lim)
		lim = &http1_default_limits;
	memset(res, 0, sizeof(*res));

	r = line_end(buf, len, 0, &eol);
	if (r < 0)
		return -502;
	if (r == 0)
		return len > lim->max_line ? -502 : 0;
	if (eol > lim->max_line)
		return -502;
	line = str_make(buf, eol);
	/* HTTP-version SP 3DIGIT SP reason; a missing final SP is tolerated. */
	if (line.len < 12 || memcmp(line.p, "HTTP/1.", 7) != 0 ||
	    (line.p[7] != '0' && line.p[7] != '1') || line.p[8] != ' ')
		return -502;
	res->minor = line.p[7] - '0';
	for (i = 9; i < 12; i++)
		if (line.p[i] < '0' || line.p[i] > '9')
			return -502;
	res->status = (line.p[9] - '0') * 100 + (line.p[10] - '0') * 10 + (line.p[11] - '0');
	if (res->status < 100 || res->status > 599)
		return -502;
	if (line.len > 12) {
		if (line.p[12] != ' ')
			return -502;
		for (i = 13; i < line.len; i++)
			if (!is_value_char((unsigned char)line.p[i]))
				return -502;
		res->reason = str_make(line.p + 13, line.len - 13);
	} else {
		res->reason = str_make(line.p + 12, 0);
	}

	hend = parse_headers(buf, len, eol + 2, res->headers, &res->nheaders, lim);
	if (hend == 0)
		return 0;
	if (hend < 0)
		return -502;
	if (framing_scan(res->headers, res->nheaders, &f) < 0)
		return -502;
	if (f.nte && (res->minor == 0 || f.ncl || framing_te_bad(&f) || f.te_nother))
		return -502;
	res->keep_alive = res->minor == 1 ? !f.conn_close : f.conn_keepalive && !f.conn_close;
	if ((res->status >= 100 && res->status < 200) || res->status == 204 ||
	    res->status == 304 || str_eqs(request_method, "HEAD")) {
		res->body = HTTP1_BODY_NONE;
		res->content_length = f.cl;
	} else if (f.nte) {
		res->body = HTTP1_BODY_CHUNKED;
	} else if (f.ncl) {
		res->content_length = f.cl;
		res->body = f.cl ? HTTP1_BODY_LENGTH : HTTP1_BODY_NONE;
	} else {
		res->body = HTTP1_BODY_EOF;
		res->keep_alive = false;
	}
	return (int)hend;
}

enum {
	CH_SIZE_START,	/* expecting the first hex digit of a chunk size */
	CH_SIZE,	/* in the hex digits */
	CH_SIZE_BWS,	/* whitespace after the size: only ';' may follow */
	CH_EXT,		/* in chunk extensions, until CR */
	CH_SIZE_LF,	/* CR seen, LF must follow */
	CH_DATA,
	CH_DATA_CR,
	CH_DATA_LF,
	CH_TR_START,	/* at the start of a trailer line or the final CRLF */
	CH_TR_NAME,
	CH_TR_VALUE,
	CH_TR_LF,
	CH_END_LF,
	CH_DONE,
};

long
http1_chunked_decode(struct http1_chunked *c, const char *in, size_t inlen,
    struct buf *out, bool *done)
{
	size_t i = 0;

	*done = c->state == CH_DONE;
	while (i < inlen && c->state != CH_DONE) {
		unsigned char ch = (unsigned char)in[i];
		int hv;

		switch (c->state) {
		case CH_SIZE_START:
			if ((hv = hexval(ch)) < 0)
				return -1;
			c->remaining = (uint64_t)hv;
			c->line_len = 1;
			c->state = CH_SIZE;
			i++;
			continue;
		case CH_DATA: {
			size_t n = inlen - i;

			if (n > c->remaining)
				n = (size_t)c->remaining;
			if (out)
				buf_add(out, in + i, n);
			c->remaining -= n;
			c->total += n;
			i += n;
			if (c->remaining == 0)
				c->state = CH_DATA_CR;
			continue;
		}
		case CH_DATA_CR:
			if (ch != '\r')
				return -1;
			c->state = CH_DATA_LF;
			i++;
			continue;
		case CH_DATA_LF:
			if (ch != '\n')
				return -1;
			c->state = CH_SIZE_START;
			i++;
			continue;
		case CH_SIZE_LF:
			if (ch != '\n')
				return -1;
			i++;
			if (c->remaining) {
				c->state = CH_DATA;
			} else {
				c->state = CH_TR_START;
				c->remaining = 0;	/* reused: trailer bytes seen */
			}
			c->line_len = 0;
			continue;
		case CH_END_LF:
			if (ch != '\n')
				return -1;
			i++;
			c->state = CH_DONE;
			continue;
		default:
			break;
		}

		/* Line states: bounded. */
		if (++c->line_len > (c->state >= CH_TR_START ? TRAILER_LINE_MAX : CHUNK_LINE_MAX))
			return -1;
		switch (c->state) {
		case CH_SIZE:
			if ((hv = hexval(ch)) >= 0) {
				if (c->remaining > (HTTP1_MAX_LENGTH >> 4))
					return -1;
				c->remaining = c->remaining << 4 | (uint64_t)hv;
			} else if (ch == '\r') {
				c->state = CH_SIZE_LF;
			} else if (ch == ';') {
				c->state = CH_EXT;
			} else if (ch == ' ' || ch == '\t') {
				c->state = CH_SIZE_BWS;
			} else {
				return -1;
			}
			break;
		case CH_SIZE_BWS:
			if (ch == ';')
				c->state = CH_EXT;
			else if (ch != ' ' && ch != '\t')
				return -1;
			break;
		case CH_EXT:
			if (ch == '\r')
				c->state = CH_SIZE_LF;
			else if (!is_value_char(ch))
				return -1;
			break;
		case CH_TR_START:
			if (ch == '\r') {
				c->state = CH_END_LF;
				break;
			}
			if (!is_tchar(ch))
				return -1;	/* also obs-fold and empty names */
			c->state = CH_TR_NAME;
			break;
		case CH_TR_NAME:
			if (ch == ':')
				c->state = CH_TR_VALUE;
			else if (!is_tchar(ch))
				return -1;
			break;
		case CH_TR_VALUE:
			if (ch == '\r')
				c->state = CH_TR_LF;
			else if (!is_value_char(ch))
				return -1;
			break;
		case CH_TR_LF:
			if (ch != '\n')
				return -1;
			c->state = CH_TR_START;
			c->line_len = 0;
			break;
		default:
			return -1;	/* unreachable: a broken state */
		}
		if (c->state >= CH_TR_START && ++c->remaining > TRAILER_TOTAL_MAX)
			return -1;
		i++;
	}
	*done = c->state == CH_DONE;
	return (long)i;
}

struct reason {
	int status;
	const char *text;
};

/* Django 1.6's django.core.handlers.wsgi.STATUS_CODE_TEXT, plus 428/429/431. */
static const struct reason reasons[] = {
	{ 100, "CONTINUE" }, { 101, "SWITCHING PROTOCOLS" }, { 102, "PROCESSING" },
	{ 200, "OK" }, { 201, "CREATED" }, { 202, "ACCEPTED" },
	{ 203, "NON-AUTHORITATIVE INFORMATION" }, { 204, "NO CONTENT" },
	{ 205, "RESET CONTENT" }, { 206, "PARTIAL CONTENT" }, { 207, "MULTI-STATUS" },
	{ 208, "ALREADY REPORTED" }, { 226, "IM USED" },
	{ 300, "MULTIPLE CHOICES" }, { 301, "MOVED PERMANENTLY" }, { 302, "FOUND" },
	{ 303, "SEE OTHER" }, { 304, "NOT MODIFIED" }, { 305, "USE PROXY" },
	{ 306, "RESERVED" }, { 307, "TEMPORARY REDIRECT" },
	{ 400, "BAD REQUEST" }, { 401, "UNAUTHORIZED" }, { 402, "PAYMENT REQUIRED" },
	{ 403, "FORBIDDEN" }, { 404, "NOT FOUND" }, { 405, "METHOD NOT ALLOWED" },
	{ 406, "NOT ACCEPTABLE" }, { 407, "PROXY AUTHENTICATION REQUIRED" },
	{ 408, "REQUEST TIMEOUT" }, { 409, "CONFLICT" }, { 410, "GONE" },
	{ 411, "LENGTH REQUIRED" }, { 412, "PRECONDITION FAILED" },
	{ 413, "REQUEST ENTITY TOO LARGE" }, { 414, "REQUEST-URI TOO LONG" },
	{ 415, "UNSUPPORTED MEDIA TYPE" }, { 416, "REQUESTED RANGE NOT SATISFIABLE" },
	{ 417, "EXPECTATION FAILED" }, { 418, "I'M A TEAPOT" },
	{ 422, "UNPROCESSABLE ENTITY" }, { 423, "LOCKED" }, { 424, "FAILED DEPENDENCY" },
	{ 426, "UPGRADE REQUIRED" }, { 428, "PRECONDITION REQUIRED" },
	{ 429, "TOO MANY REQUESTS" }, { 431, "REQUEST HEADER FIELDS TOO LARGE" },
	{ 500, "INTERNAL SERVER ERROR" }, { 501, "NOT IMPLEMENTED" },
	{ 502, "BAD GATEWAY" }, { 503, "SERVICE UNAVAILABLE" }, { 504, "GATEWAY TIMEOUT" },
	{ 505, "HTTP VERSION NOT SUPPORTED" }, { 506, "VARIANT ALSO NEGOTIATES" },
	{ 507, "INSUFFICIENT STORAGE" }, { 508, "LOOP DETECTED" }, { 510, "NOT EXTENDED" },
};

/* RFC 9110 §15's reason phrases (with 429 and 431 from RFC 6585). */
static const struct reason standard[] = {
	{ 100, "Continue" }, { 101, "Switching Protocols" },
	{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
	{ 203, "Non-Authoritative Information" }, { 204, "No Content" },
	{ 205, "Reset Content" }, { 206, "Partial Content" },
	{ 300, "Multiple Choices" }, { 301, "Moved Permanently" }, { 302, "Found" },
	{ 303, "See Other" }, { 304, "Not Modified" }, { 305, "Use Proxy" },
	{ 307, "Temporary Redirect" }, { 308, "Permanent Redirect" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 402, "Payment Required" },
	{ 403, "Forbidden" }, { 404, "Not Found" }, { 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" }, { 407, "Proxy Authentication Required" },
	{ 408, "Request Timeout" }, { 409, "Conflict" }, { 410, "Gone" },
	{ 411, "Length Required" }, { 412, "Precondition Failed" },
	{ 413, "Content Too Large" }, { 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" }, { 416, "Range Not Satisfiable" },
	{ 417, "Expectation Failed" }, { 421, "Misdirected Request" },
	{ 422, "Unprocessable Content" }, { 426, "Upgrade Required" },
	{ 428, "Precondition Required" }, { 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" }, { 501, "Not Implemented" }, { 502, "Bad Gateway" },
	{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" },
};

const char *
http1_reason(int status)
{
	size_t i;

	for (i = 0; i < sizeof(standard) / sizeof(standard[0]); i++)
		if (standard[i].status == status)
			return standard[i].text;
	return status >= 500 ? "Server Error" : status >= 400 ? "Client Error" : "Unknown";
}

const char *
http1_reason_upper(int status)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].text;
	return "UNKNOWN STATUS CODE";
}
