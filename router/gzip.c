/*
 * Response compression, as Deis configured nginx's gzip module: on by default,
 * level 5, at least 256 bytes, a fixed type list plus text/html, not for MSIE
 * 4-6, not for HTTP/1.0, Vary: Accept-Encoding. Bodies are deflated as they
 * stream (never buffered whole): each batch read from the backend is
 * compressed and flushed (Z_SYNC_FLUSH), the end of the response finishes the
 * stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "router/gzip.h"

struct gzip_conf gzip_conf = {
	.on = true,
	.level = 5,
	.min_length = 256,
	.disable = GZIP_DISABLE_MSIE6,
	.http_minor = 1,
	.proxied_any = true,
	.vary = true,
};

struct gzip {
	z_stream z;
};

/* Deis's router/gzipTypes default (text/html is always added, as nginx does). */
static const char default_types[] = "application/x-javascript application/xhtml+xml "
    "application/xml application/xml+rss application/json text/css text/javascript "
    "text/plain text/xml";

static int
types_parse(const char *s, char *why, size_t whylen)
{
	size_t n = 0;

	gzip_conf.ntypes = 0;
	gzip_conf.any_type = false;
	gzip_conf.types[gzip_conf.ntypes++] = STR_LIT("text/html");
	while (*s) {
		const char *slash;

		s += strspn(s, " \t,");
		n = strcspn(s, " \t,");
		if (n == 0)
			break;
		slash = memchr(s, '/', n);
		if (n == 1 && *s == '*') {
			gzip_conf.any_type = true;
		} else if (slash == NULL || slash == s || slash == s + n - 1 ||
		    memchr(s, ';', n) != NULL) {
			snprintf(why, whylen, "'%.*s' is not a media type (type/subtype)", (int)n, s);
			return -1;
		} else if (gzip_conf.ntypes == GZIP_MAX_TYPES) {
			snprintf(why, whylen, "more than %d types", GZIP_MAX_TYPES - 1);
			return -1;
		} else {
			gzip_conf.types[gzip_conf.ntypes++] = str_make(s, n);
		}
		s += n;
	}
	return 0;
}

static int
on_off(const char *v, bool *out, char *why, size_t whylen)
{
	if (strcmp(v, "on") == 0)
		*out = true;
	else if (strcmp(v, "off") == 0)
		*out = false;
	else
		return snprintf(why, whylen, "expected on or off"), -1;
	return 0;
}

int
gzip_conf_set(const char *flag, const char *v, char *why, size_t whylen)
{
	const char *errstr = NULL;

	if (strcmp(flag, "--gzip") == 0)
		return on_off(v, &gzip_conf.on, why, whylen) < 0 ? -1 : 1;
	if (strcmp(flag, "--gzip-vary") == 0)
		return on_off(v, &gzip_conf.vary, why, whylen) < 0 ? -1 : 1;
	if (strcmp(flag, "--gzip-level") == 0) {
		long long n = strtonum(v, 1, 9, &errstr);

		if (errstr == NULL)
			gzip_conf.level = (int)n;
	} else if (strcmp(flag, "--gzip-min-length") == 0) {
		long long n = strtonum(v, 0, 1LL << 40, &errstr);

		if (errstr == NULL)
			gzip_conf.min_length = (uint64_t)n;
	} else if (strcmp(flag, "--gzip-types") == 0) {
		return types_parse(v, why, whylen) < 0 ? -1 : 1;
	} else if (strcmp(flag, "--gzip-http-version") == 0) {
		if (strcmp(v, "1.0") == 0)
			gzip_conf.http_minor = 0;
		else if (strcmp(v, "1.1") == 0)
			gzip_conf.http_minor = 1;
		else
			return snprintf(why, whylen, "expected 1.0 or 1.1"), -1;
	} else if (strcmp(flag, "--gzip-proxied") == 0) {
		if (strcmp(v, "any") == 0)
			gzip_conf.proxied_any = true;
		else if (strcmp(v, "off") == 0)
			gzip_conf.proxied_any = false;
		else
			return snprintf(why, whylen, "expected any or off"), -1;
	} else if (strcmp(flag, "--gzip-disable") == 0) {
		if (gzip_conf.disable == GZIP_DISABLE_REGEX)
			regfree(&gzip_conf.disable_re);
		if (*v == '\0') {
			gzip_conf.disable = GZIP_DISABLE_NONE;
		} else if (strcmp(v, "msie6") == 0) {
			gzip_conf.disable = GZIP_DISABLE_MSIE6;
		} else {
			int r = regcomp(&gzip_conf.disable_re, v, REG_EXTENDED | REG_NOSUB);

			if (r != 0) {
				char msg[128];

				regerror(r, &gzip_conf.disable_re, msg, sizeof(msg));
				snprintf(why, whylen, "bad regular expression: %s", msg);
				gzip_conf.disable = GZIP_DISABLE_NONE;
				return -1;
			}
			gzip_conf.disable = GZIP_DISABLE_REGEX;
		}
	} else {
		return 0;
	}
	if (errstr)
		return snprintf(why, whylen, "%s", errstr), -1;
	return 1;
}

void
gzip_conf_finish(void)
{
	char why[128];

	if (gzip_conf.ntypes == 0 && types_parse(default_types, why, sizeof(why)) < 0)
		abort();	/* the built-in list is valid */
}

/* "0", "0.", "0.0", "0.000": q is zero. Anything else admits. */
static bool
q_zero(struct str q)
{
	size_t i;

	if (q.len == 0 || q.p[0] != '0')
		return false;
	if (q.len == 1)
		return true;
	if (q.p[1] != '.')
		return false;
	for (i = 2; i < q.len; i++)
		if (q.p[i] != '0')
			return false;
	return true;
}

bool
gzip_accepts(struct str v)
{
	int gzip = -1, star = -1;	/* -1: not listed; 0: refused; 1: accepted */

	while (v.len) {
		const char *comma = memchr(v.p, ',', v.len);
		size_t len = comma ? (size_t)(comma - v.p) : v.len;
		struct str item = str_make(v.p, len), coding, params;
		const char *semi = memchr(item.p, ';', item.len);
		int ok = 1;

		v.p += comma ? len + 1 : len;
		v.len -= comma ? len + 1 : len;
		coding = str_trim(semi ? str_make(item.p, (size_t)(semi - item.p)) : item);
		params = semi ? str_make(semi + 1, item.len - (size_t)(semi - item.p) - 1) : STR_LIT("");
		while (params.len) {
			const char *s2 = memchr(params.p, ';', params.len);
			size_t pl = s2 ? (size_t)(s2 - params.p) : params.len;
			struct str p = str_trim(str_make(params.p, pl));

			if (p.len >= 2 && (p.p[0] == 'q' || p.p[0] == 'Q') && p.p[1] == '=')
				ok = !q_zero(str_trim(str_make(p.p + 2, p.len - 2)));
			params.p += s2 ? pl + 1 : pl;
			params.len -= s2 ? pl + 1 : pl;
		}
		if (str_eqcase(coding, STR_LIT("gzip")) || str_eqcase(coding, STR_LIT("x-gzip")))
			gzip = gzip == 1 ? 1 : ok;
		else if (str_eqs(coding, "*"))
			star = star == 1 ? 1 : ok;
	}
	return gzip >= 0 ? gzip == 1 : star == 1;
}

bool
gzip_type_ok(struct str ct)
{
	const char *semi = memchr(ct.p, ';', ct.len);
	size_t i;

	if (gzip_conf.any_type)
		return true;
	if (semi)
		ct.len = (size_t)(semi - ct.p);
	ct = str_trim(ct);
	for (i = 0; i < gzip_conf.ntypes; i++)
		if (str_eqcase(ct, gzip_conf.types[i]))
			return true;
	return false;
}

/* nginx's msie6: "MSIE [4-6]\." and not "SV1" (XP SP2's IE 6 handles gzip). */
static bool
msie6(struct str ua)
{
	const char *p = ua.p, *end = ua.p + ua.len;

	for (; p + 7 <= end; p++) {
		if (memcmp(p, "MSIE ", 5) == 0 && p[5] >= '4' && p[5] <= '6' && p[6] == '.') {
			for (p = ua.p; p + 3 <= end; p++)
				if (memcmp(p, "SV1", 3) == 0)
					return false;
			return true;
		}
	}
	return false;
}

bool
gzip_ua_disabled(struct str ua)
{
	char tmp[1024];

	switch (gzip_conf.disable) {
	case GZIP_DISABLE_NONE:
		return false;
	case GZIP_DISABLE_MSIE6:
		return msie6(ua);
	case GZIP_DISABLE_REGEX:
		/* the parser admits no NUL in a field value; longer agents are cut */
		if (ua.len >= sizeof(tmp))
			ua.len = sizeof(tmp) - 1;
		memcpy(tmp, ua.p, ua.len);
		tmp[ua.len] = '\0';
		return regexec(&gzip_conf.disable_re, tmp, 0, NULL, 0) == 0;
	}
	return false;
}

enum gzip_req
gzip_request(const struct http1_request *req)
{
	const struct http1_header *h;

	if (!gzip_conf.on || req->upgrade || str_eqs(req->method, "HEAD"))
		return GZIP_REQ_NO;
	if (req->minor < gzip_conf.http_minor)
		return GZIP_REQ_VARY;
	if ((h = http1_find(req->headers, req->nheaders, "accept-encoding")) == NULL ||
	    !gzip_accepts(h->value))
		return GZIP_REQ_VARY;
	if (!gzip_conf.proxied_any && http1_find(req->headers, req->nheaders, "via"))
		return GZIP_REQ_VARY;
	if (gzip_conf.disable != GZIP_DISABLE_NONE &&
	    (h = http1_find(req->headers, req->nheaders, "user-agent")) != NULL &&
	    gzip_ua_disabled(h->value))
		return GZIP_REQ_VARY;
	return GZIP_REQ_YES;
}

enum gzip_mode
gzip_response(enum gzip_req rq, const struct http1_response *res)
{
	const struct http1_header *h;
	int s = res->status;

	if (rq == GZIP_REQ_NO)
		return GZIP_NONE;
	/* nginx compresses 200, 403 and 404; any 2xx with a whole body is as safe */
	if (!((s >= 200 && s < 300 && s != 204 && s != 206) || s == 403 || s == 404))
		return GZIP_NONE;
	if (res->body == HTTP1_BODY_LENGTH && res->content_length < gzip_conf.min_length)
		return GZIP_NONE;
	if (http1_find(res->headers, res->nheaders, "content-encoding"))
		return GZIP_NONE;
	if ((h = http1_find(res->headers, res->nheaders, "content-type")) == NULL ||
	    !gzip_type_ok(h->value))
		return GZIP_NONE;
	if (rq != GZIP_REQ_YES || res->body == HTTP1_BODY_NONE)
		return gzip_conf.vary ? GZIP_VARY : GZIP_NONE;
	return GZIP_COMPRESS;
}

struct gzip *
gzip_new(void)
{
	struct gzip *g = xcalloc(1, sizeof(*g));

	/* windowBits 15 + 16: the gzip wrapper; memLevel 8 (zlib's default) */
	if (deflateInit2(&g->z, gzip_conf.level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		die(111, "deflateInit2: out of memory");
	return g;
}

int
gzip_write(struct gzip *g, const char *p, size_t n, bool last, struct buf *out)
{
	int flush = last ? Z_FINISH : Z_SYNC_FLUSH, r;

	if (n == 0 && !last)
		return 0;
	g->z.next_in = (Bytef *)(uintptr_t)p;
	g->z.avail_in = (uInt)n;
	do {
		size_t room = deflateBound(&g->z, g->z.avail_in) + 64;

		buf_grow(out, room);
		g->z.next_out = (Bytef *)out->p + out->len;
		g->z.avail_out = (uInt)room;
		r = deflate(&g->z, flush);
		if (r == Z_STREAM_ERROR)
			return -1;
		buf_setlen(out, out->len + (room - g->z.avail_out));
	} while (g->z.avail_out == 0 || (last && r != Z_STREAM_END));
	return 0;
}

void
gzip_free(struct gzip *g)
{
	if (g == NULL)
		return;
	deflateEnd(&g->z);
	free(g);
}
