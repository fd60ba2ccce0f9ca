#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include "router/router.h"

static const uint8_t sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

static size_t
v2(uint8_t *out, int cmd, int fam, const uint8_t *addr, size_t alen)
{
	memcpy(out, sig, 12);
	out[12] = (uint8_t)(0x20 | cmd);
	out[13] = (uint8_t)fam;
	out[14] = (uint8_t)(alen >> 8);
	out[15] = (uint8_t)alen;
	memcpy(out + 16, addr, alen);
	return 16 + alen;
}

/* Every strict prefix needs more, the whole is accepted, what follows is not eaten. */
static void
complete_only_at_end(const uint8_t *h, size_t len, struct sockaddr_storage *ss)
{
	uint8_t buf[2048];
	size_t i;

	for (i = 1; i < len; i++)
		assert_int_equal(proxyproto_parse(h, i, ss), 0);
	memcpy(buf, h, len);
	memcpy(buf + len, "GET / HTTP/1.1\r\n", 16);
	assert_int_equal(proxyproto_parse(buf, len + 16, ss), (int)len);
	assert_int_equal(proxyproto_parse(h, len, ss), (int)len);
}

static void
test_v1(void **state)
{
	struct sockaddr_storage ss;
	char ip[64];
	const char *h = "PROXY TCP4 203.0.113.9 192.0.2.1 5555 80\r\n";

	complete_only_at_end((const uint8_t *)h, strlen(h), &ss);
	assert_int_equal(ss.ss_family, AF_INET);
	inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof(ip));
	assert_string_equal(ip, "203.0.113.9");
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 5555);

	h = "PROXY TCP6 2001:db8::7 ::1 65535 0\r\n";
	complete_only_at_end((const uint8_t *)h, strlen(h), &ss);
	assert_int_equal(ss.ss_family, AF_INET6);

	h = "PROXY UNKNOWN\r\n";
	complete_only_at_end((const uint8_t *)h, strlen(h), &ss);
	assert_int_equal(ss.ss_family, AF_UNSPEC);
}

static void
test_v1_bad(void **state)
{
	static const char *const bad[] = {
		"PROXY TCP4 1.2.3.4 1.2.3.4 1 2\n\r\n", "PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n",
		"PROXY TCP4 1.2.3.4 1.2.3.4 1 2 3\r\n", "PROXY TCP4 1.2.3.4  1.2.3.4 1 2\r\n",
		"PROXY TCP4 1.2.3.4 1.2.3.4 1 2 \r\n", "PROXY TCP4 ::1 ::1 1 2\r\n",
		"PROXY TCP6 1.2.3.4 1.2.3.4 1 2\r\n", "PROXY TCP4 1.2.3.4 1.2.3.4 -1 2\r\n",
		"PROXY TCP4 1.2.3.4 1.2.3.4 1 65536\r\n", "PROXY TCP4 1.2.3.4 1.2.3.4 080 2\r\n",
		"PROXY TCP4 1.2.3.4 1.2.3.x 1 2\r\n", "PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n",
		"PROXY \r\n", "PROXY\r\n", "proxy UNKNOWN\r\n", "GET / HTTP/1.1\r\n", "X",
		"PROXY TCP4 1.2.3.4 1.2.3.4 1 2\rX",
	};
	struct sockaddr_storage ss;
	char longline[200];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(proxyproto_parse((const uint8_t *)bad[i], strlen(bad[i]), &ss), -1);
	}
	memset(longline, 'A', sizeof(longline));
	memcpy(longline, "PROXY UNKNOWN ", 14);
	assert_int_equal(proxyproto_parse((const uint8_t *)longline, 106, &ss), 0);
	assert_int_equal(proxyproto_parse((const uint8_t *)longline, 107, &ss), -1);
}

static void
test_v2(void **state)
{
	uint8_t h[2048], a[216];
	struct sockaddr_storage ss;
	size_t n;

	memset(a, 0, sizeof(a));
	a[0] = 203, a[1] = 0, a[2] = 113, a[3] = 9, a[8] = 0x15, a[9] = 0xb3;
	n = v2(h, 1, 0x11, a, 12);
	complete_only_at_end(h, n, &ss);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 5555);
	assert_int_equal(((uint8_t *)&((struct sockaddr_in *)&ss)->sin_addr)[0], 203);

	n = v2(h, 1, 0x21, a, 36 + 20);	/* TLVs after the addresses */
	complete_only_at_end(h, n, &ss);
	assert_int_equal(ss.ss_family, AF_INET6);

	n = v2(h, 0, 0x11, a, 12);	/* LOCAL */
	complete_only_at_end(h, n, &ss);
	assert_int_equal(ss.ss_family, AF_UNSPEC);
	n = v2(h, 1, 0x00, a, 0);
	complete_only_at_end(h, n, &ss);
	assert_int_equal(ss.ss_family, AF_UNSPEC);
	n = v2(h, 1, 0x31, a, 216);
	complete_only_at_end(h, n, &ss);
	assert_int_equal(ss.ss_family, AF_UNSPEC);
}

static void
test_v2_bad(void **state)
{
	uint8_t h[2048], a[64];
	struct sockaddr_storage ss;
	size_t n;

	memset(a, 0, sizeof(a));
	n = v2(h, 1, 0x11, a, 11);	/* too short for TCP4 */
	assert_int_equal(proxyproto_parse(h, n, &ss), -1);
	n = v2(h, 1, 0x21, a, 35);
	assert_int_equal(proxyproto_parse(h, n, &ss), -1);
	n = v2(h, 2, 0x11, a, 12);	/* command 2 */
	assert_int_equal(proxyproto_parse(h, n, &ss), -1);
	n = v2(h, 1, 0x41, a, 12);	/* family 4 */
	assert_int_equal(proxyproto_parse(h, n, &ss), -1);
	n = v2(h, 1, 0x11, a, 12);
	h[12] = 0x11;			/* version 1 in the binary form */
	assert_int_equal(proxyproto_parse(h, 13, &ss), -1);
	h[12] = 0x21;
	h[14] = 0x04;			/* 1036 bytes of addresses: over our bound */
	h[15] = 0x0c;
	assert_int_equal(proxyproto_parse(h, 16, &ss), -1);
	h[5] = 0x0e;			/* signature */
	assert_int_equal(proxyproto_parse(h, 6, &ss), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1),
		cmocka_unit_test(test_v1_bad),
		cmocka_unit_test(test_v2),
		cmocka_unit_test(test_v2_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
