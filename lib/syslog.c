#include <string.h>

#include "lib/buf.h"
#include "lib/syslog.h"

/* 3164 TAGs are ≤ 32 characters by the RFC; Deis app names run longer. */
#define TAG_MAX 64

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_print(char c)
{
	return c >= 33 && c <= 126;
}

/* Read exactly n digits at s[*i]; returns -1 if any is not a digit. */
static int
digits(const char *s, size_t len, size_t *i, size_t n)
{
	int v = 0;

	if (*i + n > len)
		return -1;
	for (; n > 0; n--, (*i)++) {
		if (!is_digit(s[*i]))
			return -1;
		v = v * 10 + (s[*i] - '0');
	}
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

int
syslog_time_parse(struct str s, int64_t *us)
{
	const char *p = s.p;
	size_t i = 0, len = s.len;
	int y, mo, d, h, mi, sec, frac = 0, fdigits = 0, off = 0;

	if ((y = digits(p, len, &i, 4)) < 0 || i >= len || p[i++] != '-' ||
	    (mo = digits(p, len, &i, 2)) < 0 || i >= len || p[i++] != '-' ||
	    (d = digits(p, len, &i, 2)) < 0 || i >= len || (p[i] != 'T' && p[i] != 't') ||
	    (i++, (h = digits(p, len, &i, 2)) < 0) || i >= len || p[i++] != ':' ||
	    (mi = digits(p, len, &i, 2)) < 0 || i >= len || p[i++] != ':' ||
	    (sec = digits(p, len, &i, 2)) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (sec == 60)
		sec = 59;	/* a leap second sorts with the second before it */
	if (i < len && p[i] == '.') {
		i++;
		if (i >= len || !is_digit(p[i]))
			return -1;
		for (; i < len && is_digit(p[i]); i++, fdigits++)
			if (fdigits < 6)
				frac = frac * 10 + (p[i] - '0');
		if (fdigits > 9)
			return -1;
		for (; fdigits < 6; fdigits++)
			frac *= 10;
	}
	if (i == len)
		return -1;
	if (p[i] == 'Z' || p[i] == 'z') {
		i++;
	} else if (len - i == 3 && memcmp(p + i, "UTC", 3) == 0) {
		i += 3;
	} else if (p[i] == '+' || p[i] == '-') {
		int sign = p[i++] == '-' ? -1 : 1, oh, om;

		if ((oh = digits(p, len, &i, 2)) < 0 || i >= len || p[i++] != ':' ||
		    (om = digits(p, len, &i, 2)) < 0 || oh > 23 || om > 59)
			return -1;
		off = sign * (oh * 60 + om);
	} else {
		return -1;
	}
	if (i != len)
		return -1;
	*us = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec -
	    (int64_t)off * 60) * 1000000) + frac;
	return 0;
}

size_t
syslog_time_format(int64_t us, char *out)
{
	int64_t secs = us >= 0 ? us / 1000000 : (us - 999999) / 1000000;
	int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	int64_t rem = secs - days * 86400;
	int64_t frac = us - secs * 1000000;
	unsigned m, d;
	int y;
	size_t i;
	char tmp[SYSLOG_TIME_LEN + 1];

	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		y = y < 0 ? 0 : 9999;
	/* Fixed layout written digit by digit: no sprintf. */
	memcpy(tmp, "0000-00-00T00:00:00.000000Z", SYSLOG_TIME_LEN + 1);
	for (i = 0; i < 4; i++, y /= 10)
		tmp[3 - i] = (char)('0' + y % 10);
	tmp[5] = (char)('0' + m / 10), tmp[6] = (char)('0' + m % 10);
	tmp[8] = (char)('0' + d / 10), tmp[9] = (char)('0' + d % 10);
	tmp[11] = (char)('0' + rem / 36000), tmp[12] = (char)('0' + rem / 3600 % 10);
	tmp[14] = (char)('0' + rem % 3600 / 600), tmp[15] = (char)('0' + rem % 3600 / 60 % 10);
	tmp[17] = (char)('0' + rem % 60 / 10), tmp[18] = (char)('0' + rem % 10);
	for (i = 0; i < 6; i++, frac /= 10)
		tmp[25 - i] = (char)('0' + frac % 10);
	memcpy(out, tmp, SYSLOG_TIME_LEN + 1);
	return SYSLOG_TIME_LEN;
}

/* Next SP-terminated token of 1..max printable characters; advances *i past the SP. */
static int
token(const char *p, size_t len, size_t *i, size_t max, struct str *out, bool need_sp)
{
	size_t s = *i;

	while (*i < len && p[*i] != ' ') {
		if (!is_print(p[*i]))
			return -1;
		(*i)++;
	}
	if (*i == s || *i - s > max)
		return -1;
	*out = str_make(p + s, *i - s);
	if (*i < len)
		(*i)++;
	else if (need_sp)
		return -1;
	if (out->len == 1 && out->p[0] == '-')
		*out = str_make(out->p, 0);
	return 0;
}

/* STRUCTURED-DATA: "-" or one or more "[id (name="value")*]" with \" \\ \] escapes. */
static int
parse_sd(const char *p, size_t len, size_t *i, struct str *sd)
{
	size_t s = *i;

	if (*i < len && p[*i] == '-') {
		(*i)++;
		*sd = str_make(p + s, 0);
		return 0;
	}
	while (*i < len && p[*i] == '[') {
		bool quoted = false;

		(*i)++;
		if (*i >= len || !is_print(p[*i]) || p[*i] == ']' || p[*i] == '=' || p[*i] == '"')
			return -1;
		for (;;) {
			if (*i >= len)
				return -1;
			if (quoted) {
				if (p[*i] == '\\')
					(*i)++;
				else if (p[*i] == '"')
					quoted = false;
			} else if (p[*i] == '"') {
				quoted = true;
			} else if (p[*i] == ']') {
				break;
			} else if (p[*i] != ' ' && !is_print(p[*i])) {
				return -1;
			}
			(*i)++;
		}
		(*i)++;
	}
	if (*i == s)
		return -1;
	*sd = str_make(p + s, *i - s);
	return 0;
}

static struct str
clean_msg(const char *p, size_t len)
{
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3, len -= 3;
	while (len && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	return str_make(p, len);
}

static int
parse_5424(const char *p, size_t len, size_t i, struct syslog_msg *m)
{
	struct str ts;

	m->version = 1;
	if (token(p, len, &i, 64, &ts, true) < 0)
		return -1;
	if (ts.len && syslog_time_parse(ts, &m->time_us) < 0)
		return -1;
	if (token(p, len, &i, SYSLOG_MAX_HOSTNAME, &m->hostname, true) < 0 ||
	    token(p, len, &i, SYSLOG_MAX_APPNAME, &m->app, true) < 0 ||
	    token(p, len, &i, SYSLOG_MAX_PROCID, &m->procid, true) < 0 ||
	    token(p, len, &i, SYSLOG_MAX_MSGID, &m->msgid, true) < 0 ||
	    parse_sd(p, len, &i, &m->sd) < 0)
		return -1;
	if (i < len) {
		if (p[i] != ' ')
			return -1;
		i++;
	}
	m->msg = clean_msg(p + i, len - i);
	return m->app.len ? 0 : -1;
}

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

/* "Mmm dd hh:mm:ss" (day space-padded); the year is unknown, so no time. */
static bool
is_3164_time(const char *p, size_t len)
{
	size_t k;

	if (len < 15)
		return false;
	for (k = 0; k < 12; k++)
		if (memcmp(p, months + 3 * k, 3) == 0)
			break;
	return k < 12 && p[3] == ' ' && (p[4] == ' ' || is_digit(p[4])) && is_digit(p[5]) &&
	    p[6] == ' ' && is_digit(p[7]) && is_digit(p[8]) && p[9] == ':' &&
	    is_digit(p[10]) && is_digit(p[11]) && p[12] == ':' && is_digit(p[13]) &&
	    is_digit(p[14]);
}

/* TAG ["[" PID "]"] ":" [SP] at p[*i]. */
static int
parse_tag(const char *p, size_t len, size_t *i, struct syslog_msg *m)
{
	size_t s = *i, j = *i;

	while (j < len && is_print(p[j]) && p[j] != '[' && p[j] != ':')
		j++;
	if (j == s || j - s > TAG_MAX || j >= len || (j - s == 1 && p[s] == '-'))
		return -1;	/* "-" is NILVALUE in 5424: no tag */
	m->app = str_make(p + s, j - s);
	m->procid = str_make(p + j, 0);
	if (p[j] == '[') {
		size_t ps = ++j;

		while (j < len && is_print(p[j]) && p[j] != ']')
			j++;
		if (j >= len || p[j] != ']' || j - ps > SYSLOG_MAX_PROCID)
			return -1;
		m->procid = str_make(p + ps, j - ps);
		if (m->procid.len == 1 && m->procid.p[0] == '-')
			m->procid.len = 0;
		j++;
	}
	if (j >= len || p[j] != ':')
		return -1;
	j++;
	if (j < len && p[j] == ' ')
		j++;
	*i = j;
	return 0;
}

static int
parse_3164(const char *p, size_t len, size_t i, struct syslog_msg *m)
{
	size_t j, save;
	int64_t us;

	m->version = 0;
	if (is_3164_time(p + i, len - i)) {
		i += 15;
		if (i < len && p[i] == ' ')
			i++;
	} else {
		for (j = i; j < len && p[j] != ' '; j++)
			;
		if (j - i >= 19 && is_digit(p[i]) && syslog_time_parse(str_make(p + i, j - i), &us) == 0) {
			m->time_us = us;
			i = j < len ? j + 1 : j;
		}
	}
	save = i;
	if (parse_tag(p, len, &i, m) < 0) {
		/* HOSTNAME SP TAG */
		i = save;
		for (j = i; j < len && is_print(p[j]); j++)
			;
		if (j == i || j >= len || p[j] != ' ' || j - i > SYSLOG_MAX_HOSTNAME)
			return -1;
		m->hostname = str_make(p + i, j - i);
		i = j + 1;
		if (parse_tag(p, len, &i, m) < 0)
			return -1;
	}
	m->msg = clean_msg(p + i, len - i);
	return 0;
}

int
syslog_parse(const char *p, size_t len, struct syslog_msg *m)
{
	size_t i = 0;

	memset(m, 0, sizeof(*m));
	m->pri = -1;
	m->time_us = -1;
	if (len && p[0] == '<') {
		int pri = 0;

		for (i = 1; i < len && i <= 4 && is_digit(p[i]); i++)
			pri = pri * 10 + (p[i] - '0');
		if (i == 1 || i > 4 || i >= len || p[i] != '>' || pri > 191)
			return -1;
		m->pri = pri;
		i++;
		if (len - i >= 2 && p[i] == '1' && p[i + 1] == ' ')
			return parse_5424(p, len, i + 2, m);
	}
	return parse_3164(p, len, i, m);
}

/* Header field: printable, cut to max, "-" when empty. */
static void
add_field(struct buf *out, struct str s, size_t max)
{
	size_t i;

	if (s.len == 0) {
		buf_addch(out, '-');
		return;
	}
	if (s.len > max)
		s.len = max;
	buf_grow(out, s.len);
	for (i = 0; i < s.len; i++)
		out->p[out->len + i] = is_print(s.p[i]) ? s.p[i] : '_';
	buf_setlen(out, out->len + s.len);
}

void
syslog_format(struct buf *out, const struct syslog_msg *m, bool octet_count)
{
	char ts[SYSLOG_TIME_LEN + 1];
	size_t start = out->len, n;
	int pri = m->pri >= 0 && m->pri <= 191 ? m->pri : 13;

	buf_addf(out, "<%d>1 ", pri);
	if (m->time_us >= 0) {
		syslog_time_format(m->time_us, ts);
		buf_add(out, ts, SYSLOG_TIME_LEN);
	} else {
		buf_addch(out, '-');
	}
	buf_addch(out, ' ');
	add_field(out, m->hostname, SYSLOG_MAX_HOSTNAME);
	buf_addch(out, ' ');
	add_field(out, m->app, SYSLOG_MAX_APPNAME);
	buf_addch(out, ' ');
	add_field(out, m->procid, SYSLOG_MAX_PROCID);
	buf_addch(out, ' ');
	add_field(out, m->msgid, SYSLOG_MAX_MSGID);
	buf_addch(out, ' ');
	if (m->sd.len)
		buf_add(out, m->sd.p, m->sd.len);
	else
		buf_addch(out, '-');
	if (m->msg.len) {
		buf_addch(out, ' ');
		buf_add(out, m->msg.p, m->msg.len);
	}
	if (octet_count) {
		char pre[24];
		size_t k = sizeof(pre);

		n = out->len - start;
		pre[--k] = ' ';
		do {
			pre[--k] = (char)('0' + n % 10);
			n /= 10;
		} while (n);
		n = sizeof(pre) - k;
		buf_grow(out, n);
		memmove(out->p + start + n, out->p + start, out->len - start);
		memcpy(out->p + start, pre + k, n);
		buf_setlen(out, out->len + n);
	}
}

void
syslog_framer_init(struct syslog_framer *f, size_t max)
{
	memset(f, 0, sizeof(*f));
	f->max = max ? max : SYSLOG_MAX_FRAME;
}

enum syslog_frame_res
syslog_frame_next(struct syslog_framer *f, const char *buf, size_t len, size_t *used,
    struct str *frame)
{
	size_t off = 0, n, i;
	const char *s, *lf;

	*frame = str_make(buf, 0);
	if (f->skip) {
		n = f->skip < len ? (size_t)f->skip : len;
		f->skip -= n;
		off += n;
		if (f->skip) {
			*used = off;
			return SYSLOG_FRAME_MORE;
		}
	}
	if (f->skip_line) {
		lf = memchr(buf + off, '\n', len - off);
		if (lf == NULL) {
			*used = len;
			return SYSLOG_FRAME_MORE;
		}
		off = (size_t)(lf - buf) + 1;
		f->skip_line = false;
	}
	while (off < len && (buf[off] == '\n' || buf[off] == '\r'))
		off++;
	*used = off;
	if (off == len)
		return SYSLOG_FRAME_MORE;
	s = buf + off;
	n = len - off;
	if (is_digit(s[0])) {
		for (i = 0; i < n && i < 11 && is_digit(s[i]); i++)
			;
		if (i == n && i <= 10)
			return SYSLOG_FRAME_MORE;	/* cannot tell yet */
		if (i <= 10 && s[i] == ' ') {
			uint64_t v = 0;
			size_t k;

			for (k = 0; k < i; k++)
				v = v * 10 + (uint64_t)(s[k] - '0');
			if (v == 0) {
				*used = off + i + 1;
				return SYSLOG_FRAME_BAD;
			}
			if (v > f->max) {
				off += i + 1;
				n = v < len - off ? (size_t)v : len - off;
				f->skip = v - n;
				*used = off + n;
				return SYSLOG_FRAME_BAD;
			}
			if (n - i - 1 < v)
				return SYSLOG_FRAME_MORE;
			*frame = str_make(s + i + 1, (size_t)v);
			*used = off + i + 1 + (size_t)v;
			return SYSLOG_FRAME_OK;
		}
		/* digits then something else: a line that begins with digits */
	}
	lf = memchr(s, '\n', n);
	if (lf == NULL) {
		if (n > f->max) {
			f->skip_line = true;
			*used = len;
			return SYSLOG_FRAME_BAD;
		}
		return SYSLOG_FRAME_MORE;
	}
	n = (size_t)(lf - s);
	*used = off + n + 1;
	if (n > f->max)
		return SYSLOG_FRAME_BAD;
	if (n && s[n - 1] == '\r')
		n--;
	*frame = str_make(s, n);
	return SYSLOG_FRAME_OK;
}

void
syslog_key_frame(struct buf *out, const char *key)
{
	buf_addf(out, "%zu " SYSLOG_KEY_WORD "%s", sizeof(SYSLOG_KEY_WORD) - 1 + strlen(key), key);
}

bool
syslog_key_ok(struct str frame, const char *key)
{
	size_t w = sizeof(SYSLOG_KEY_WORD) - 1, n = strlen(key), i;
	unsigned char diff = 0;

	if (n == 0 || frame.len != w + n || memcmp(frame.p, SYSLOG_KEY_WORD, w) != 0)
		return false;
	for (i = 0; i < n; i++)
		diff |= (unsigned char)(frame.p[w + i] ^ key[i]);
	return diff == 0;
}
