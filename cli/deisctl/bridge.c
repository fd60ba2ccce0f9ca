/*
 * Pinning the MAC address of the bridges the platform uses.
 *
 * Linux gives a bridge whose address was never set explicitly the lowest MAC
 * among its ports, so such a docker0 takes a new address whenever an app
 * container with a lower one joins or leaves (every deploy and scale).
 * Containers keep the old one in their ARP cache, and what they send to the
 * host meanwhile is dropped: the router's answer to docker-proxy, behind
 * every published port, is retransmitted for seconds to a MAC nobody has,
 * and the client waits (seen: `deis ps:scale` hanging once in ~80 runs).
 * Setting the address, even to its current value, pins it for good
 * (addr_assign_type 3, NET_ADDR_SET). Docker pins the bridges of networks it
 * creates, but not always docker0.
 */
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/deisctl/deisctl.h"
#include "lib/docker.h"
#include "lib/xalloc.h"

static int
sysfs_read(const char *ifname, const char *what, char *buf, size_t size)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, what);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	if (!fgets(buf, (int)size, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int
dctl_bridge_pin(const char *ifname, struct err *e)
{
	char type[8], mac[32];
	unsigned b[6];
	struct ifreq ifr = { 0 };
	int fd, i, rc = 0;

	if (strlen(ifname) >= IFNAMSIZ || strchr(ifname, '/') ||
	    sysfs_read(ifname, "addr_assign_type", type, sizeof(type)) < 0 ||
	    sysfs_read(ifname, "address", mac, sizeof(mac)) < 0)
		return 0;	/* not on this host (a remote engine): nothing to do here */
	if (strcmp(type, "3") == 0)
		return 0;	/* already set explicitly */
	if (sscanf(mac, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return err_set(e, 1, "cannot read the MAC address of '%s' ('%s')", ifname, mac);
	strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	for (i = 0; i < 6; i++)
		ifr.ifr_hwaddr.sa_data[i] = (char)b[i];
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || ioctl(fd, SIOCSIFHWADDR, &ifr) < 0)
		rc = err_set(e, 1, "cannot pin the MAC address of bridge '%s' (%s): it changes as "
		    "containers come and go, which stalls connections through published ports; "
		    "as root: ip link set %s address %s", ifname, strerror(errno), ifname, mac);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The Linux bridge behind a Docker network, or NULL (not a bridge network). */
static char *
bridge_name(struct dctl *d, const char *network)
{
	char *path = xasprintf("/networks/%s", network), *out = NULL;
	struct err e = { 0 };
	json_t *r = docker_call(d->docker, "GET", path, NULL, 30000, NULL, NULL, "inspect network",
	    &e);
	const char *name, *id;

	free(path);
	if (r == NULL)
		return NULL;
	name = json_string_value(json_object_get(json_object_get(r, "Options"),
	    "com.docker.network.bridge.name"));
	id = json_string_value(json_object_get(r, "Id"));
	if (name && *name)
		out = xstrdup(name);
	else if (id && strlen(id) >= 12 &&
	    strcmp(json_string_value(json_object_get(r, "Driver")) ?: "", "bridge") == 0)
		out = xasprintf("br-%.12s", id);
	json_decref(r);
	return out;
}

void
dctl_bridges_pin(struct dctl *d)
{
	const char *nets[] = { "bridge", d->prefix };
	struct err e = { 0 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(nets); i++) {
		char *br = bridge_name(d, nets[i]);

		if (br && dctl_bridge_pin(br, &e) < 0)
			fprintf(stderr, "deisctl: warning: %s\n", e.msg);
		free(br);
	}
}
