/*
 * deisctl: pinning a bridge's MAC address (cli/deisctl/bridge.c), against
 * real Linux bridges made for the test (root and `ip` needed, else skipped):
 * an unpinned bridge takes the MAC of a port with a lower one (the kernel's
 * rule that stalled connections through docker0), a pinned one keeps its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/deisctl/deisctl.h"

static char br[16], port[16];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
sh(const char *fmt, ...)
{
	char cmd[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("'%s' failed", cmd);
}

static void
readsys(const char *ifname, const char *what, char *buf, size_t size)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, what);
	f = fopen(path, "re");
	assert_non_null(f);
	assert_non_null(fgets(buf, (int)size, f));
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

static int
setup(void **state)
{
	snprintf(br, sizeof(br), "tbr%d", (int)getpid() % 100000);
	snprintf(port, sizeof(port), "tpt%d", (int)getpid() % 100000);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];
	int r;

	snprintf(cmd, sizeof(cmd), "ip link del %s 2>/dev/null; ip link del %s 2>/dev/null", port, br);
	r = system(cmd);
	(void)r;
	return 0;
}

/* A bridge (its own random address) and a port with a lower MAC joining it: its MAC after. */
static void
bridge_with_low_port(bool pin, char *before, char *after, size_t size)
{
	struct err e = { 0 };
	char type[8];

	sh("ip link add %s type bridge", br);
	readsys(br, "addr_assign_type", type, sizeof(type));
	assert_string_not_equal(type, "3");
	if (pin) {
		assert_int_equal(dctl_bridge_pin(br, &e), 0);
		readsys(br, "addr_assign_type", type, sizeof(type));
		assert_string_equal(type, "3");
	}
	readsys(br, "address", before, size);
	sh("ip link add %s type veth peer name %sp && ip link set %s address 02:00:00:00:00:01", port, port, port);
	sh("ip link set %s master %s", port, br);
	readsys(br, "address", after, size);
	teardown(NULL);
}

static void
test_unpinned_bridge_moves(void **state)
{
	char before[32], after[32];

	if (geteuid() != 0 || system("command -v ip >/dev/null") != 0)
		skip();
	bridge_with_low_port(false, before, after, sizeof(before));
	assert_string_equal(after, "02:00:00:00:00:01");
}

static void
test_pinned_bridge_stays(void **state)
{
	char before[32], after[32];

	if (geteuid() != 0 || system("command -v ip >/dev/null") != 0)
		skip();
	bridge_with_low_port(true, before, after, sizeof(before));
	assert_string_equal(after, before);
}

static void
test_not_here(void **state)
{
	struct err e = { 0 };

	/* a remote engine's bridge, or a name that is not an interface: nothing to do */
	assert_int_equal(dctl_bridge_pin("no-such-if0", &e), 0);
	assert_int_equal(dctl_bridge_pin("../etc", &e), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unpinned_bridge_moves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pinned_bridge_stays, setup, teardown),
		cmocka_unit_test(test_not_here),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
