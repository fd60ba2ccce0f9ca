/*
 * The "many hosts" shape, described: with `deisctl config platform set
 * mode=swarm` each component is a Swarm service instead of a container
 * (platform_swarm.c operates them). The description of the platform stays
 * component.c's: the container create body of a component (argv, environment,
 * secrets, volumes, labels) is turned into a service spec here, with no call
 * to the engine but for the router-mesh nodes' addresses.
 *
 * Placement, by node labels (Deis v1's topologies, docs/deisctl.md):
 *
 *   deis.controlPlane=true  logger, database, registry, controller, builder
 *                           (replicated, one task each)
 *   deis.routerMesh=true    router (global: one per labelled node)
 *   deis.dataPlane=true     publisher, logspout (global)
 *
 * Network: every service is on the host network (Target "host"). The units
 * of the controller's swarm driver answer at "<node address>:<published
 * port>", which only the nodes' own network reaches (on a one-node swarm
 * advertised on 127.0.0.1, only the host's loopback), so the router, the
 * controller and the publisher must be there; and the service VIPs of an
 * overlay do not answer on engines run with --iptables=false (probed, see
 * docs/deisctl.md). Components find each other by port on the control-plane
 * node: the ones reached from other nodes (controller, builder, the logger's
 * syslog) at the node's Swarm address, the ones only the control plane uses
 * (the logger's HTTP API, PostgreSQL, the registry) on 127.0.0.1. The
 * container ports of component.c become the platform's host-port settings:
 * "0.0.0.0:8000" and "<prefix>-controller:8000" in an argument or a value
 * become "0.0.0.0:<controllerPort>" and "<node address>:<controllerPort>".
 *
 * Files: a bind mount resolves on the node running the task, so the files
 * every node needs (the registry's htpasswd and S3 configuration, the
 * router's certificate) are not bound from the state dir: component.c puts
 * them in the body's "DeisFiles" (target path -> content) and they become
 * Swarm secrets named after their content's digest (a new content is a new
 * secret and so a new spec), which Swarm copies to each node running a task.
 * The spec lists them (ContainerSpec.Secrets, SecretID still empty) and
 * carries their content in "DeisSecrets" (name -> content), which
 * platform_swarm.c creates and removes before sending the spec.
 *
 * The registry: with the S3 store every node that pulls app images (control
 * plane, where the builder pushes, and data plane) runs one, a global service
 * on the nodes deisctl labels deis.registry=true (Swarm's constraints are
 * conjunctions: "control plane or data plane" needs a label of its own), each
 * on its node's 127.0.0.1:<registryPort>, all on the same bucket: the engines
 * pull 127.0.0.1:<registryPort>/<app>:<tag> from their own node.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/deisctl/deisctl.h"
#include "lib/buf.h"
#include "lib/docker.h"
#include "lib/xalloc.h"

/* A component's container port and the platform setting that is its host port. */
struct sport {
	const char *comp;
	int cport;
	const char *key;
	int def;
	bool local;	/* reached from the control-plane node only: 127.0.0.1 */
};

static const struct sport sports[] = {
	{ "logger", 514, "syslogPort", 514, false },
	{ "logger", 8088, "loggerPort", 8088, true },
	{ "database", 5432, "databasePort", 5432, true },
	{ "registry", 5000, "registryPort", 5000, true },
	{ "controller", 8000, "controllerPort", 8000, false },
	{ "builder", 2223, "builderPort", 2223, false },
	{ "router", 80, "httpPort", 80, false },
	{ "router", 443, "httpsPort", 443, false },
	{ "router", 2222, "sshPort", 2222, false },
	{ "router", 9090, "healthPort", 9090, false },
};

int
dctl_swarm_socket_check(const char *value, struct err *e)
{
	if (value[0] != '/' || strlen(value) > 200 || strpbrk(value, ": \t\n,"))
		return err_set(e, 2, "dockerSocket '%s' is not an absolute path (no ':', ',', "
		    "spaces): the Docker engine's socket on every node", value);
	return 0;
}

const char *
dctl_swarm_socket(const struct dctl *d)
{
	return dctl_state_get(d, "platform", "dockerSocket", docker_sock(d->docker));
}

bool
dctl_swarm_registry_everywhere(const struct dctl *d)
{
	return dctl_swarm_mode(d) && dctl_store_s3(d);
}

bool
dctl_swarm_mode(const struct dctl *d)
{
	return !strcmp(dctl_state_get(d, "platform", "mode", "host"), "swarm");
}

int
dctl_swarm_mode_check(const char *value, struct err *e)
{
	if (strcmp(value, "host") != 0 && strcmp(value, "swarm") != 0)
		return err_set(e, 2, "mode '%s' is not 'host' (containers on this engine) or "
		    "'swarm' (services on a Swarm manager's engine)", value);
	return 0;
}

const char *
dctl_swarm_role(const char *component)
{
	if (!strcmp(component, "router"))
		return "deis.routerMesh";
	if (!strcmp(component, "publisher") || !strcmp(component, "logspout"))
		return "deis.dataPlane";
	return "deis.controlPlane";
}

bool
dctl_swarm_global(const char *component)
{
	return strcmp(dctl_swarm_role(component), "deis.controlPlane") != 0;
}

/* The registry's label with the S3 store (global), else the component's role. */
static const char *
placement(const struct dctl *d, const char *component, bool *global)
{
	if (!strcmp(component, "registry") && dctl_swarm_registry_everywhere(d)) {
		*global = true;
		return DCTL_SWARM_REGISTRY_LABEL;
	}
	*global = dctl_swarm_global(component);
	return dctl_swarm_role(component);
}

/*
 * The body's DeisFiles as Swarm secrets: their references into cs's Secrets
 * (mode 0400, root), their content into files (name -> content).
 */
static void
files_to_secrets(const struct dctl *d, const char *component, const json_t *body, json_t *cs,
    json_t *files)
{
	json_t *secrets = json_array(), *v;
	const char *target;

	json_object_foreach((json_t *)json_object_get(body, "DeisFiles"), target, v) {
		const char *data = json_string_value(v) ?: "", *base = strrchr(target, '/');
		char digest[65], *name, *p;

		dctl_digest_hex(data, digest);
		name = xasprintf("%s-%s-%s-%.12s", d->prefix, component, base ? base + 1 : target,
		    digest);
		for (p = name; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
				*p = '-';
		json_array_append_new(secrets, json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:i}}",
		    "SecretName", name, "SecretID", "",
		    "File", "Name", target, "UID", "0", "GID", "0", "Mode", 0400));
		json_object_set_new(files, name, json_string(data));
		free(name);
	}
	if (json_array_size(secrets))
		json_object_set(cs, "Secrets", secrets);
	json_decref(secrets);
}

/* s at p starts ":<port>" and no digit follows. */
static size_t
port_at(const char *p, int port)
{
	char want[16];
	size_t n = (size_t)snprintf(want, sizeof(want), ":%d", port);

	if (strncmp(p, want, n) != 0 || (p[n] >= '0' && p[n] <= '9'))
		return 0;
	return n;
}

/* The character before a peer's name may not continue a name ("mydeis-logger"). */
static bool
name_starts(const char *s, const char *p)
{
	return p == s || !(isalnum((unsigned char)p[-1]) || strchr("-_.", p[-1]));
}

char *
dctl_swarm_rewrite(const struct dctl *d, const char *owner, const char *s, const char *cp_addr)
{
	struct buf b = BUF_INIT;
	const char *p = s;
	size_t i, n = 0, m;

	while (*p) {
		const struct sport *sp = NULL;
		const char *host = NULL;

		for (i = 0; i < ARRAY_SIZE(sports) && !sp; i++) {
			char peer[96];

			/* a listen address of the owner's own */
			if (!strcmp(sports[i].comp, owner) && !strncmp(p, "0.0.0.0", 7) &&
			    (n = port_at(p + 7, sports[i].cport))) {
				sp = &sports[i];
				host = sp->local ? "127.0.0.1" : "0.0.0.0";
				n += 7;
				break;
			}
			/* a peer, by its name on the one-host platform network */
			m = (size_t)snprintf(peer, sizeof(peer), "%s-%s", d->prefix, sports[i].comp);
			if (!strncmp(p, peer, m) && name_starts(s, p) &&
			    (n = port_at(p + m, sports[i].cport))) {
				sp = &sports[i];
				host = sp->local ? "127.0.0.1" : cp_addr;
				n += m;
			}
		}
		if (sp) {
			buf_addf(&b, "%s:%d", host, dctl_state_port(d, sp->key, sp->def));
			p += n;
		} else {
			buf_addch(&b, *p++);
		}
	}
	return buf_detach(&b, NULL);
}

/* "src:dst[:mode]" → a Swarm mount: a volume when src is a name, else a bind. */
static json_t *
mount_of(const char *bind)
{
	const char *c1 = strchr(bind, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	char *src, *dst;
	json_t *m;

	if (!c1)
		return NULL;
	src = xstrndup(bind, (size_t)(c1 - bind));
	dst = c2 ? xstrndup(c1 + 1, (size_t)(c2 - c1 - 1)) : xstrdup(c1 + 1);
	m = json_pack("{s:s, s:s, s:s, s:b}", "Type", src[0] == '/' ? "bind" : "volume",
	    "Source", src, "Target", dst, "ReadOnly", c2 && !strcmp(c2 + 1, "ro"));
	free(src);
	free(dst);
	return m;
}

json_t *
dctl_swarm_service(const struct dctl *d, const char *component, const json_t *body,
    const char *cp_addr)
{
	json_t *args = json_array(), *env = json_array(), *mounts = json_array(), *labels;
	json_t *cs, *spec, *v, *hc = json_object_get(body, "HostConfig"), *files = json_object();
	bool global;
	const char *comp_role = placement(d, component, &global);
	char *name = xasprintf("%s-%s", d->prefix, component), *t, *constraint, digest[65];
	size_t i;

	json_array_foreach(json_object_get(body, "Cmd"), i, v) {
		/* logspout's -H <host>: every node names itself (the task's hostname below) */
		if (!strcmp(component, "logspout") && !strcmp(json_string_value(v), "-H")) {
			i++;
			continue;
		}
		t = dctl_swarm_rewrite(d, component, json_string_value(v), cp_addr);
		json_array_append_new(args, json_string(t));
		free(t);
	}
	json_array_foreach(json_object_get(body, "Env"), i, v) {
		if (!strncmp(json_string_value(v), "DEIS_HOST=", 10))
			continue;
		t = dctl_swarm_rewrite(d, component, json_string_value(v), cp_addr);
		json_array_append_new(env, json_string(t));
		free(t);
	}
	/* What one host gets from its port mappings, here a component's own port. */
	if (!strcmp(component, "registry"))
		json_array_append_new(env, json_sprintf("REGISTRY_HTTP_ADDR=127.0.0.1:%d",
		    dctl_state_port(d, "registryPort", 5000)));
	else if (!strcmp(component, "database"))
		json_array_append_new(env, json_sprintf("PGPORT=%d",
		    dctl_state_port(d, "databasePort", 5432)));
	else if (!strcmp(component, "builder"))
		json_array_append_new(env, json_sprintf("DEIS_BUILDER_PORT=%d",
		    dctl_state_port(d, "builderPort", 2223)));
	else if (!strcmp(component, "controller")) {
		json_array_append_new(env, json_string("DEIS_SCHEDULER=swarm"));
		/* apps only on data-plane nodes (the seed's second topology isolates them) */
		json_array_append_new(env, json_string("DEIS_SWARM_NODE_LABEL=deis.dataPlane"));
	}
	else if (!strcmp(component, "publisher"))
		json_array_append_new(env, json_string("DEIS_HOST={{.Node.Hostname}}"));
	json_array_foreach(json_object_get(hc, "Binds"), i, v) {
		json_t *m = mount_of(json_string_value(v));

		if (m)
			json_array_append_new(mounts, m);
	}
	labels = json_deep_copy(json_object_get(body, "Labels"));
	json_object_del(labels, "sh.deis.spec");
	cs = json_pack("{s:O, s:o, s:o, s:o, s:s, s:O}", "Image", json_object_get(body, "Image"),
	    "Args", args, "Env", env, "Mounts", mounts, "Hostname", "{{.Node.Hostname}}",
	    "Labels", labels);
	files_to_secrets(d, component, body, cs, files);
	constraint = xasprintf("node.labels.%s==true", comp_role);
	spec = json_pack("{s:s, s:O, s:{s:o, s:[{s:s}], s:{s:s, s:I, s:i},"
	    " s:{s:[s]}, s:{s:s, s:{s:s, s:s}}}}",
	    "Name", name, "Labels", labels,
	    "TaskTemplate", "ContainerSpec", cs, "Networks", "Target", "host",
	    "RestartPolicy", "Condition", "any", "Delay", (json_int_t)3000000000LL, "MaxAttempts", 0,
	    "Placement", "Constraints", constraint,
	    "LogDriver", "Name", "json-file", "Options", "max-size", "10m", "max-file", "3");
	if (global)
		json_object_set_new(spec, "Mode", json_pack("{s:{}}", "Global"));
	else
		json_object_set_new(spec, "Mode", json_pack("{s:{s:i}}", "Replicated", "Replicas", 1));
	json_decref(labels);
	/* The digest of everything above: start keeps a service whose spec is the same. */
	t = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
	dctl_digest_hex(t, digest);
	free(t);
	json_object_set_new(json_object_get(spec, "Labels"), "sh.deis.spec", json_string(digest));
	json_object_set_new(json_object_get(cs, "Labels"), "sh.deis.spec", json_string(digest));
	/* not part of the digest: the secrets' names are their contents' digests */
	json_object_set_new(spec, "DeisSecrets", files);
	free(constraint);
	free(name);
	return spec;
}

bool
dctl_swarm_labelled(const json_t *node, const char *label)
{
	const char *v = json_string_value(json_object_get(json_object_get(json_object_get(node,
	    "Spec"), "Labels"), label));

	return v && !strcmp(v, "true");
}

char *
dctl_swarm_router_addrs(struct dctl *d)
{
	json_t *nodes = docker_call(d->docker, "GET", "/nodes", NULL, 30000, NULL, NULL, "nodes",
	    &(struct err){ 0 }), *n;
	struct buf b = BUF_INIT;
	const char *addr;
	size_t i;

	json_array_foreach(nodes, i, n) {
		addr = json_string_value(json_object_get(json_object_get(n, "Status"), "Addr"));
		if (dctl_swarm_labelled(n, "deis.routerMesh") && addr && addr[0] && strcmp(addr, "0.0.0.0"))
			buf_addf(&b, "%s%s", b.len ? "," : "", addr);
	}
	json_decref(nodes);
	return buf_detach(&b, NULL);
}
