#include "lib/utf8.h"

static const char replacement[] = "\xef\xbf\xbd";

void
utf8_sanitize(struct buf *out, const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], len, k;
		unsigned long cp;

		if (c >= 0x01 && c < 0x80) {
			buf_addch(out, (int)c);
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			goto bad;	/* NUL, continuation byte, 0xc0/0xc1, 0xf5.. */
		}
		if (i + len > n)
			goto bad;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		buf_add(out, s + i, len);
		i += len;
		continue;
bad:
		buf_add(out, replacement, 3);
		i++;
	}
}
