/*
 * `deisctl lb haproxy`: a configuration for HAProxy (Debian's haproxy, the
 * load balancer Deis recommended) in front of the router mesh, on stdout:
 *
 *   deisctl lb haproxy [--bind ADDR] [--http-port N] [--https-port N]
 *                      [--ssh-port N] [--http]
 *
 * One frontend per router port (httpPort, httpsPort, sshPort) on ADDR (all
 * interfaces by default) and the same port numbers unless given, each to a
 * backend of every router: with mode=swarm the address of each node labelled
 * deis.routerMesh=true (GET /nodes, the nodes' Swarm addresses), on one host
 * 127.0.0.1. TCP by default for all three (TLS ends at the routers, which
 * hold the certificates); --http makes the HTTP port's frontend HTTP mode
 * (X-Forwarded-For added). Health checks: GET /health-check on each router's
 * health port (healthPort; on a swarm 9090 when unset, where the router always
 * listens; on one host without one, the HTTP port, whose /health-check answers
 * 200 for a Host naming no app), every second (3 s to answer), down after
 * three failures, up after two successes: a busy router is not dropped for
 * one slow answer (with every router down HAProxy closes new connections at
 * once), a dead one is out within about 3 s. With the router's proxyProtocol=true, the servers get
 * send-proxy (the health port never expects it).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/deisctl/deisctl.h"
#include "lib/buf.h"
#include "lib/docker.h"
#include "lib/xalloc.h"

static const char lb_usage[] =
    "usage: deisctl lb haproxy [--bind ADDR] [--http-port N] [--https-port N] "
    "[--ssh-port N] [--http]\n";

/* A port option: 1..65535, else -1 with a message. */
static int
port_arg(const char *opt, const char *v)
{
	const char *errstr = NULL;
	long long p = strtonum(v, 1, 65535, &errstr);

	if (errstr) {
		fprintf(stderr, "deisctl: lb: %s '%s' is not a port from 1 to 65535\n", opt, v);
		return -1;
	}
	return (int)p;
}

struct router_node {
	const char *name, *addr;	/* borrowed from the node list */
};

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct router_node *)a)->name, ((const struct router_node *)b)->name);
}

/*
 * The routers' names and addresses, one per line into names and addrs, in the
 * order of the names; the count, or -1 after saying why.
 */
static int
router_nodes(struct dctl *d, struct buf *names, struct buf *addrs)
{
	struct err e = { 0 };
	struct router_node *r;
	json_t *nodes, *n;
	size_t i, count = 0;

	if (!dctl_swarm_mode(d)) {
		buf_addstr(names, "router\n");
		buf_addstr(addrs, "127.0.0.1\n");
		return 1;
	}
	if (dctl_ping(d) < 0)
		return -1;
	nodes = docker_call(d->docker, "GET", "/nodes", NULL, 30000, NULL, NULL, "list nodes", &e);
	if (!nodes) {
		fprintf(stderr, "deisctl: lb: %s\n", e.msg);
		return -1;
	}
	r = xcalloc(json_array_size(nodes) + 1, sizeof(*r));
	json_array_foreach(nodes, i, n) {
		const char *addr = json_string_value(json_object_get(json_object_get(n, "Status"),
		    "Addr"));
		const char *host = json_string_value(json_object_get(json_object_get(n,
		    "Description"), "Hostname"));

		if (!dctl_swarm_labelled(n, "deis.routerMesh") || !addr || !addr[0] ||
		    !strcmp(addr, "0.0.0.0"))
			continue;
		r[count].name = host && host[0] ? host : json_string_value(json_object_get(n, "ID"));
		r[count++].addr = addr;
	}
	qsort(r, count, sizeof(*r), by_name);
	for (i = 0; i < count; i++) {
		buf_addf(names, "%s\n", r[i].name ? r[i].name : "router");
		buf_addf(addrs, "%s\n", r[i].addr);
	}
	free(r);
	json_decref(nodes);
	if (!count)
		fprintf(stderr, "deisctl: lb: no Swarm node is labelled deis.routerMesh=true with "
		    "an address: 'docker node update --label-add deis.routerMesh=true <node>'\n");
	return count ? (int)count : -1;
}

/* One backend: every router at port, checked on the health port. */
static void
backend(const char *name, const char *mode, const struct buf *names, const struct buf *addrs,
    int port, int health, bool proxy)
{
	const char *np = names->p, *ap = addrs->p;

	printf("\nbackend %s\n    mode %s\n    balance %s\n", name, mode,
	    !strcmp(mode, "http") ? "roundrobin" : "leastconn");
	printf("    option httpchk GET /health-check HTTP/1.0\n"
	    "    http-check expect status 200\n");
	while (np && *np && ap && *ap) {
		size_t nl = strcspn(np, "\n"), al = strcspn(ap, "\n");

		printf("    server %.*s %.*s:%d check port %d inter 1s fall 3 rise 2%s\n",
		    (int)nl, np, (int)al, ap, port, health, proxy ? " send-proxy" : "");
		np += nl + (np[nl] ? 1 : 0);
		ap += al + (ap[al] ? 1 : 0);
	}
}

int
dctl_cmd_lb(struct dctl *d, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bind", required_argument, NULL, 'b' },
		{ "http-port", required_argument, NULL, 'H' },
		{ "https-port", required_argument, NULL, 'S' },
		{ "ssh-port", required_argument, NULL, 'G' },
		{ "http", no_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	int http = dctl_state_port(d, "httpPort", 80), https = dctl_state_port(d, "httpsPort", 443);
	int ssh = dctl_state_port(d, "sshPort", 2222), health, c;
	int fhttp = http, fhttps = https, fssh = ssh;
	const char *bind = "*";
	bool http_mode = false, proxy;
	struct buf names = BUF_INIT, addrs = BUF_INIT;

	if (argc < 2 || strcmp(argv[1], "haproxy") != 0) {
		fputs(lb_usage, stderr);
		return 2;
	}
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'b': bind = optarg; break;
		case 'H': fhttp = port_arg("--http-port", optarg); break;
		case 'S': fhttps = port_arg("--https-port", optarg); break;
		case 'G': fssh = port_arg("--ssh-port", optarg); break;
		case 'm': http_mode = true; break;
		default: fputs(lb_usage, stderr); return 2;
		}
		if (fhttp < 0 || fhttps < 0 || fssh < 0)
			return 2;
	}
	if (optind != argc || !*bind || strpbrk(bind, " \t\n#")) {
		fputs(lb_usage, stderr);
		return 2;
	}
	if (dctl_state_get(d, "platform", "healthPort", NULL) || dctl_swarm_mode(d))
		health = dctl_state_port(d, "healthPort", 9090);
	else
		health = http;
	proxy = !strcmp(dctl_state_get(d, "router", "proxyProtocol", "false"), "true");
	if (router_nodes(d, &names, &addrs) < 0) {
		buf_release(&names);
		buf_release(&addrs);
		return 1;
	}
	printf("# HAProxy in front of the Deis router mesh ('deisctl lb haproxy', "
	    "docs/topologies.md).\n# Made from the swarm's router-mesh nodes: run it again "
	    "when they change.\n");
	/* no maxconn: HAProxy derives it from the file descriptor limit it is given */
	printf("global\n    log stdout format short daemon notice\n\ndefaults\n    log global\n    timeout connect 5s\n"
	    "    timeout client 1300s\n    timeout server 1300s\n    timeout check 3s\n"
	    "    retries 2\n    option redispatch\n");
	printf("\nfrontend deis-http\n    bind %s:%d\n    mode %s\n%s    default_backend "
	    "deis-http\n", bind, fhttp, http_mode ? "http" : "tcp",
	    http_mode ? "    option forwardfor\n" : "");
	backend("deis-http", http_mode ? "http" : "tcp", &names, &addrs, http, health, proxy);
	printf("\nfrontend deis-https\n    bind %s:%d\n    mode tcp\n    default_backend "
	    "deis-https\n", bind, fhttps);
	backend("deis-https", "tcp", &names, &addrs, https, health, proxy);
	printf("\nfrontend deis-git\n    bind %s:%d\n    mode tcp\n    default_backend "
	    "deis-git\n", bind, fssh);
	backend("deis-git", "tcp", &names, &addrs, ssh, health, false);
	buf_release(&names);
	buf_release(&addrs);
	return fflush(stdout) == 0 ? 0 : 1;
}
