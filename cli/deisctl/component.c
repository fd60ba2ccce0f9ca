/*
 * The platform's components in the seed's start order, and how each one runs
 * as a container of the platform image. Settings come from config.json: the
 * platform section (domain, image, host ports) and each component's own
 * section, whose keys become environment variables (registrationMode →
 * DEIS_REGISTRATION_MODE), as Deis's units read /deis/<component>/<key>;
 * the router's become deis-router flags instead (router_settings.c).
 *
 * Host ports (platform section): httpPort 80, httpsPort 443, sshPort 2222 and
 * healthPort (only when set) for the router, on all interfaces, bound by the
 * router itself on the host's network; builderPort 2223 (builder, all
 * interfaces: git over SSH when no router passes TCP through), controllerPort
 * 8000 and registryPort 5000 (published on 127.0.0.1 only: the engine pushes
 * and pulls through the loopback, which it trusts without TLS; the router
 * reaches the controller and the builder at their published ports too).
 */
#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli/deisctl/deisctl.h"
#include "lib/buf.h"
#include "lib/docker.h"
#include "lib/xalloc.h"

/* ---- building a create body ---- */

static void
body_env(json_t *body, const char *k, const char *v)
{
	json_array_append_new(json_object_get(body, "Env"), json_sprintf("%s=%s", k, v));
}

static void
body_bind(json_t *body, const char *src, const char *dst, const char *mode)
{
	json_t *hc = json_object_get(body, "HostConfig");

	json_array_append_new(json_object_get(hc, "Binds"),
	    mode ? json_sprintf("%s:%s:%s", src, dst, mode) : json_sprintf("%s:%s", src, dst));
}

static void
body_volume(struct dctl *d, json_t *body, const char *vol, const char *dst)
{
	char *src = xasprintf("%s-%s", d->prefix, vol);

	body_bind(body, src, dst, NULL);
	free(src);
}

static void
body_port(json_t *body, int cport, const char *hostip, int hport)
{
	json_t *hc = json_object_get(body, "HostConfig");
	char key[32], hp[16];

	snprintf(key, sizeof(key), "%d/tcp", cport);
	snprintf(hp, sizeof(hp), "%d", hport);
	json_object_set_new(json_object_get(body, "ExposedPorts"), key, json_object());
	json_object_set_new(json_object_get(hc, "PortBindings"), key,
	    json_pack("[{s:s, s:s}]", "HostIp", hostip, "HostPort", hp));
}

static void
body_cmd(json_t *body, const char *const *argv)
{
	json_t *cmd = json_object_get(body, "Cmd");
	size_t i;

	for (i = 0; argv[i]; i++)
		json_array_append_new(cmd, json_string(argv[i]));
}

/* On a swarm the path of each node's engine socket (platform dockerSocket). */
static void
body_docker_sock(struct dctl *d, json_t *body)
{
	body_bind(body, dctl_swarm_mode(d) ? dctl_swarm_socket(d) : docker_sock(d->docker),
	    "/var/run/docker.sock", NULL);
}

/*
 * A file the component reads at target, with content data: with mode=swarm
 * it goes in the body's DeisFiles, which swarm.c makes Swarm secrets (a bind
 * mount from the state dir would resolve on whichever node runs the task).
 */
static void
body_file(json_t *body, const char *target, const char *data)
{
	json_t *files = json_object_get(body, "DeisFiles");

	if (!files) {
		files = json_object();
		json_object_set_new(body, "DeisFiles", files);
	}
	json_object_set_new(files, target, json_string(data));
}

/* body_file() of the state file rel; -1 with e set when it cannot be read. */
static int
body_state_file(struct dctl *d, json_t *body, const char *rel, const char *target,
    struct err *e)
{
	char *path = dctl_state_path(d, rel), chunk[4096];
	struct buf b = BUF_INIT;
	FILE *f = fopen(path, "re");
	size_t n;
	int rc = 0;

	if (!f) {
		rc = err_set(e, 1, "cannot read '%s': %s", path, strerror(errno));
	} else {
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len < (400u << 10))
			buf_add(&b, chunk, n);
		if (ferror(f) || b.len >= (400u << 10))
			rc = err_set(e, 1, "cannot read '%s' (or over 400 KiB, Swarm's limit "
			    "for a secret)", path);
		fclose(f);
		explicit_bzero(chunk, sizeof(chunk));
	}
	if (rc == 0)
		body_file(body, target, b.p ? b.p : "");
	if (b.p)
		explicit_bzero(b.p, b.len);
	buf_release(&b);
	free(path);
	return rc;
}

/* "http://<prefix>-<name>:port": how components find each other on the platform network. */
static char *
peer_url(struct dctl *d, const char *name, int port)
{
	return xasprintf("http://%s-%s:%d", d->prefix, name, port);
}

/* registrationMode → DEIS_REGISTRATION_MODE; NULL for keys deisctl keeps for itself. */
static char *
env_name(const char *key)
{
	struct buf b = BUF_INIT;
	const char *p;

	if (!strcmp(key, "image"))
		return NULL;
	buf_addstr(&b, "DEIS_");
	for (p = key; *p; p++) {
		if (isupper((unsigned char)*p) && p != key)
			buf_addch(&b, '_');
		buf_addch(&b, *p == '/' || *p == '-' || *p == '.' ? '_' :
		    toupper((unsigned char)*p));
	}
	return buf_detach(&b, NULL);
}

/* ---- the components ---- */

static int
spec_logger(struct dctl *d, const struct component *c, json_t *body, struct err *e)
{
	const char *argv[] = { "deis-logger", "-t", "0.0.0.0:514",
	    "-l", "0.0.0.0:8088", "-d", "/var/lib/deis/logger", NULL };

	body_cmd(body, argv);
	body_volume(d, body, "logger", "/var/lib/deis/logger");
	/*
	 * Lines are filed only from the platform's senders: on a swarm the syslog
	 * port is on the control-plane node's address, which apps reach too.
	 */
	body_env(body, "DEIS_LOGGER_KEY", d->logger_key);
	return 0;
}

static int
spec_logspout(struct dctl *d, const struct component *c, json_t *body, struct err *e)
{
	char *logger = xasprintf("%s-logger:514", d->prefix), host[128] = "localhost";
	char *ctl = peer_url(d, "controller", 8000);
	const char *argv[] = { "deis-logspout", "-l", logger, "-s", "/var/run/docker.sock",
	    "-S", "/var/lib/deis/logspout/state.json", "-H", host, "-c", ctl, NULL };

	gethostname(host, sizeof(host) - 1);
	body_cmd(body, argv);
	body_volume(d, body, "logspout", "/var/lib/deis/logspout");
	body_docker_sock(d, body);
	body_env(body, "DEIS_LOGGER_SYSLOG", logger);
	body_env(body, "DEIS_LOGGER_KEY", d->logger_key);
	/* Whose container it is: the controller's record, never the labels alone. */
	body_env(body, "DEIS_INTERNAL_TOKEN", d->internal_token);
	/* Only this platform's app containers (the controller labels them with the prefix). */
	body_env(body, "DEIS_PLATFORM", d->prefix);
	free(logger);
	free(ctl);
	return 0;
}

/*
 * With config store backend=s3 (store_settings.c): the bucket is checked (or
 * created) first, the configuration is rendered into the state dir and bound
 * read-only, the keys come as environment, and the label sh.deis.store (the
 * configuration's digest) makes any change of it a new spec.
 */
/*
 * The registry asks for credentials (htpasswd, user "deis"): the builder
 * pushes and the scheduler pulls with them; nothing else reads it, neither a
 * build step nor the daemon fetching for one (a Dockerfile's FROM or ADD of a
 * URL) nor an app. The password is 256 random bits, so bcrypt's cost can be
 * its least (4: about 1 ms per request, which the registry pays on each).
 * Rewritten when it does not hold the current password.
 */
static int
registry_htpasswd(struct dctl *d, struct err *e)
{
	char *path = dctl_state_path(d, DCTL_REGISTRY_HTPASSWD), line[256], salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;
	const char *h;
	FILE *f;
	int rc;

	memset(&cd, 0, sizeof(cd));
	line[0] = '\0';
	if ((f = fopen(path, "re")) != NULL) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	line[strcspn(line, "\r\n")] = '\0';
	free(path);
	if (strncmp(line, "deis:", 5) == 0 &&
	    (h = crypt_r(d->registry_password, line + 5, &cd)) != NULL && strcmp(h, line + 5) == 0)
		return 0;
	if (crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof(salt)) == NULL ||
	    (h = crypt_r(d->registry_password, salt, &cd)) == NULL || h[0] == '*')
		return err_set(e, 1, "cannot hash the registry's password: %s", strerror(errno));
	snprintf(line, sizeof(line), "deis:%s\n", h);
	rc = dctl_state_write(d, DCTL_REGISTRY_HTPASSWD, line, strlen(line), e);
	explicit_bzero(&cd, sizeof(cd));
	return rc;
}

/* The environment of a component that pushes to or pulls from the registry. */
static void
body_registry_auth(struct dctl *d, json_t *body)
{
	body_env(body, "DEIS_REGISTRY_USER", "deis");
	body_env(body, "DEIS_REGISTRY_PASSWORD", d->registry_password);
}

static int
spec_registry(struct dctl *d, const struct component *c, json_t *body, struct err *e)
{
	const char *argv[] = { "docker-registry", "serve", "/etc/deis/registry.yml", NULL };
	struct store_s3 s;
	char *yml, *path, sum[65] = "";
	int rc;

	body_port(body, 5000, "127.0.0.1", dctl_state_port(d, "registryPort", 5000));
	if (registry_htpasswd(d, e) < 0)
		return -1;
	if (dctl_swarm_mode(d)) {
		if (body_state_file(d, body, DCTL_REGISTRY_HTPASSWD, "/etc/deis/registry.htpasswd",
		    e) < 0)
			return -1;
	} else {
		path = dctl_state_path(d, DCTL_REGISTRY_HTPASSWD);
		body_bind(body, path, "/etc/deis/registry.htpasswd", "ro");
		free(path);
	}
	body_env(body, "REGISTRY_AUTH", "htpasswd");
	body_env(body, "REGISTRY_AUTH_HTPASSWD_REALM", "deis");
	body_env(body, "REGISTRY_AUTH_HTPASSWD_PATH", "/etc/deis/registry.htpasswd");
	if (!dctl_store_s3(d)) {
		body_cmd(body, argv);
		body_volume(d, body, "registry", "/var/lib/deis/registry");
		return 0;
	}
	if (dctl_store_load(d, &s, e) < 0)
		return -1;
	if (dctl_store_probe(&s, e) < 0) {
		dctl_store_release(&s);
		return -1;
	}
	yml = dctl_store_registry_yml(&s);
	rc = dctl_state_write(d, DCTL_REGISTRY_S3_FILE, yml, strlen(yml), e);
	argv[2] = DCTL_REGISTRY_S3_CONF;
	body_cmd(body, argv);
	path = dctl_state_path(d, DCTL_REGISTRY_S3_FILE);
	if (dctl_swarm_mode(d)) {
		/* a Swarm secret with the keys in it: never in the service's environment */
		char *with_keys = dctl_store_registry_yml_keys(&s);

		body_file(body, DCTL_REGISTRY_S3_CONF, with_keys);
		explicit_bzero(with_keys, strlen(with_keys));
		free(with_keys);
	} else {
		body_bind(body, path, DCTL_REGISTRY_S3_CONF, "ro");
		body_env(body, "REGISTRY_STORAGE_S3_ACCESSKEY", s.access);
		body_env(body, "REGISTRY_STORAGE_S3_SECRETKEY", s.secret);
	}
	dctl_digest_hex(yml, sum);
	json_object_set_new(json_object_get(body, "Labels"), "sh.deis.store", json_string(sum));
	free(path);
	free(yml);
	dctl_store_release(&s);
	return rc;
}

static int
spec_database(struct dctl *d, const struct component *c, json_t *body, struct err *e)
{
	const char *argv[] = { "/usr/lib/deis/database-start", NULL };

	if (!d->database_password[0])
		return err_set(e, 1, "no database password: run 'deisctl install database'");
	body_cmd(body, argv);
	body_env(body, "DEIS_DATABASE_PASSWORD", d->database_password);
	body_volume(d, body, "database", "/var/lib/deis/db");
	return 0;
}

static int
spec_controller(struct dctl *d, const struct component *c, json_t *body, struct err *e)
{
	const char *argv[] = { "deis-controller", NULL };
	char *logger = peer_url(d, "logger", 8088), *syslog = xasprintf("%s-logger:514", d->prefix);
	char *self, *builder;
	char *registry = xasprintf("127.0.0.1:%d", dctl_state_port(d, "registryPort", 5000));
	char *appnet, *peers, *trusted;

	body_cmd(body, argv);
	body_env(body, "DEIS_LISTEN", "0.0.0.0:8000");
	/*
	 * Where routers reach the controller and the builder (the route table's
	 * "controller" and "builder"). On one host the router is on the host's
	 * network, where the platform network's names do not resolve: their
	 * published ports on the loopback, settings that stay put when a
	 * container is made again (its address on the platform network may not).
	 * On a swarm, swarm.c rewrites the names to the control-plane node's
	 * address and these ports.
	 */
	if (dctl_swarm_mode(d)) {
		self = xasprintf("%s-controller:8000", d->prefix);
		builder = xasprintf("%s-builder:2223", d->prefix);
	} else {
		self = xasprintf("127.0.0.1:%d", dctl_state_port(d, "controllerPort", 8000));
		builder = xasprintf("127.0.0.1:%d", dctl_state_port(d, "builderPort", 2223));
	}
	/*
	 * The controller is on the apps' bridge (it probes them there); their
	 * requests to its API are refused (the bridge's gateway is the host). On
	 * a swarm app tasks are on overlays and reach the controller's host port
	 * from their node's docker_gwbridge: that network is refused instead.
	 */
	appnet = dctl_engine_app_net(d, dctl_swarm_mode(d) ? "docker_gwbridge" : "bridge");
	if (appnet)
		body_env(body, "DEIS_DENY_NET", appnet);
	free(appnet);
	/*
	 * The routers, whose X-Forwarded-For names the client (per-address login
	 * limits, logs): on one host the platform's network, which apps are not
	 * on (the router, on the host's network, comes through the controller's
	 * published loopback port, so from that network's gateway); on a swarm
	 * the router-mesh nodes' addresses (routers on the host network connect
	 * from there).
	 */
	if (dctl_swarm_mode(d)) {
		trusted = dctl_swarm_router_addrs(d);
	} else if ((trusted = dctl_engine_app_net(d, d->prefix)) != NULL) {
		trusted[strcspn(trusted, ",")] = '\0';	/* "subnet,gateway" */
	}
	if (trusted && trusted[0])
		body_env(body, "DEIS_TRUSTED_PROXIES", trusted);
	free(trusted);
	/*
	 * A network per app, subnets from this pool; the controller and the
	 * publisher join each one. The router needs not: on the host's network
	 * it reaches every bridge's containers (and cannot join a network).
	 */
	body_env(body, "DEIS_APP_SUBNETS", dctl_state_get(d, "platform", "appSubnets",
	    "100.80.0.0/16"));
	peers = xasprintf("%s-controller,%s-publisher", d->prefix, d->prefix);
	body_env(body, "DEIS_APP_PEERS", peers);
	free(peers);
	if (dctl_component_postgres(d)) {
		char *url = xasprintf("postgres://deis:%s@%s-database:5432/postgres",
		    d->database_password, d->prefix);

		body_env(body, "DEIS_DB_URL", url);
		free(url);
	} else {
		body_env(body, "DEIS_DB_URL", "sqlite:///var/lib/deis/db/controller.db");
		body_volume(d, body, "database", "/var/lib/deis/db");
	}
	body_env(body, "DEIS_DOMAIN", dctl_state_get(d, "platform", "domain", "localhost"));
	body_env(body, "DEIS_REGISTRY", registry);
	body_registry_auth(d, body);
	body_env(body, "DEIS_LOGGER_URL", logger);
	body_env(body, "DEIS_LOGGER_SYSLOG", syslog);
	body_env(body, "DEIS_LOGGER_KEY", d->logger_key);
	body_env(body, "DEIS_CONTROLLER_ADDR", self);
	body_env(body, "DEIS_BUILDER_ADDR", builder);
	body_env(body, "DEIS_PLATFORM", d->prefix);	/* the sh.deis.platform label of its containers */
	body_env(body, "DEIS_BUILDER_KEY", d->builder_key);
	body_env(body, "DEIS_INTERNAL_TOKEN", d->internal_token);
	body_docker_sock(d, body);
	body_port(body, 8000, "127.0.0.1", dctl_state_port(d, "controllerPort", 8000));
	free(logger);
	free(syslog);
	free(self);
	free(builder);
	free(registry);
	return 0;
}

static int
spec_builder(struct dctl *d, const struct component *c, json_t *body, struct err *e)
{
	const char *argv[] = { "deis-builder", "start", NULL };
	char *ctl = peer_url(d, "controller", 8000);
	char *registry = xasprintf("127.0.0.1:%d", dctl_state_port(d, "registryPort", 5000));
	char *st = dctl_state_path(d, "builder"), *lib = dctl_state_path(d, "builder-lib");
	char *images = xasprintf("%s/images", lib), *bps = xasprintf("%s/buildpacks", lib);
	const char *ca;

	body_cmd(body, argv);
	body_env(body, "DEIS_CONTROLLER_URL", ctl);
	body_env(body, "DEIS_REGISTRY", registry);
	body_registry_auth(d, body);
	body_env(body, "DEIS_BUILDER_KEY", d->builder_key);
	body_env(body, "DEIS_BUILDER_STATE", st);
	body_env(body, "DEIS_BUILDER_LIB", images);
	body_env(body, "DEIS_BUILDPACKS", bps);
	body_env(body, "DEIS_STACK_IMAGE", dctl_state_get(d, "builder", "stackImage",
	    "deis/stack:bookworm"));
	if (d->build_network)
		body_env(body, "DEIS_BUILD_NETWORK", d->build_network);
	body_env(body, "DEIS_BUILD_MEMORY_MB", dctl_state_get(d, "builder", "buildMemoryMB", "2048"));
	body_env(body, "DEIS_BUILD_CPUS", dctl_state_get(d, "builder", "buildCPUs", "2"));
	body_env(body, "DEIS_BUILD_TIMEOUT", dctl_state_get(d, "builder", "buildTimeout", "900"));
	body_env(body, "DEIS_BUILD_PIDS", dctl_state_get(d, "builder", "buildPids", "1024"));
	body_env(body, "DEIS_BUILD_DISK_MB", dctl_state_get(d, "builder", "buildDiskMB", "10240"));
	if (d->build_cgroup) {
		/* the host's hierarchy, where the builder makes each build's group */
		body_env(body, "DEIS_BUILD_CGROUP", d->build_cgroup);
		body_bind(body, "/sys/fs/cgroup", DCTL_BUILD_CGROUP, NULL);
	}
	/*
	 * Build containers bind-mount paths under the builder's state: the engine
	 * resolves them on the host, so they are host directories at the same path.
	 */
	body_bind(body, st, st, NULL);
	body_bind(body, lib, lib, "ro");
	/* Builds trust what this host trusts (the CA of a TLS-inspecting proxy included):
	 * npm and pip fetch over TLS. A host path, handed on to the engine as it is. */
	ca = dctl_state_get(d, "builder", "caBundle", "/etc/ssl/certs/ca-certificates.crt");
	if (ca[0] && access(ca, R_OK) == 0)
		body_env(body, "DEIS_BUILDER_CA_BUNDLE", ca);
	body_docker_sock(d, body);
	body_port(body, 2223, "0.0.0.0", dctl_state_port(d, "builderPort", 2223));
	free(ctl);
	free(registry);
	free(st);
	free(lib);
	free(images);
	free(bps);
	return 0;
}

static int
spec_publisher(struct dctl *d, const struct component *c, json_t *body, struct err *e)
{
	char *ctl = peer_url(d, "controller", 8000), host[128] = "localhost";
	const char *argv[] = { "deis-publisher", "--controller", ctl, NULL };

	gethostname(host, sizeof(host) - 1);
	body_cmd(body, argv);
	body_env(body, "DEIS_INTERNAL_TOKEN", d->internal_token);
	body_env(body, "DEIS_HOST", host);
	/* The controller labels its app containers sh.deis.platform=<prefix>: only those. */
	body_env(body, "DEIS_PLATFORM", d->prefix);
	body_docker_sock(d, body);
	free(ctl);
	return 0;
}

/*
 * The router listens on 80, 443 (HTTPS: the platform certificate when sslCert
 * and sslKey are set, the apps' certificates by SNI always), 2222 (git to the
 * builder) and 9090 (health), and gets a flag for each router setting the user
 * set (router_settings.c).
 *
 * On one host it runs on the host's network, as on a swarm: it binds the host
 * ports itself (httpPort, httpsPort, sshPort; healthPort only when set, since
 * nothing but a balancer needs it and two platforms must not share one), so no
 * userland proxy and no NAT stand in the request path (issue 16: they held the
 * router to 0.4x nginx). It reaches apps at their addresses on their bridges,
 * which the host routes to, and the controller and the builder at their
 * published loopback ports (spec_controller). With mode=swarm the body keeps
 * the container ports, which swarm.c rewrites.
 */
static void
router_argv(struct dctl *d, json_t *body)
{
	char *ctl, *http, *https, *ssh, *health = NULL;
	bool swarm = dctl_swarm_mode(d);

	if (swarm) {
		ctl = peer_url(d, "controller", 8000);
		http = xstrdup("0.0.0.0:80");
		https = xstrdup("0.0.0.0:443");
		ssh = xstrdup("0.0.0.0:2222");
		health = xstrdup("0.0.0.0:9090");
	} else {
		ctl = xasprintf("http://127.0.0.1:%d", dctl_state_port(d, "controllerPort", 8000));
		http = xasprintf("0.0.0.0:%d", dctl_state_port(d, "httpPort", 80));
		https = xasprintf("0.0.0.0:%d", dctl_state_port(d, "httpsPort", 443));
		ssh = xasprintf("0.0.0.0:%d", dctl_state_port(d, "sshPort", 2222));
		if (dctl_state_get(d, "platform", "healthPort", NULL))
			health = xasprintf("0.0.0.0:%d", dctl_state_port(d, "healthPort", 9090));
	}
	{
		const char *argv[] = { "deis-router", "--listen", http, "--tls-listen", https,
		    "--tcp-listen", ssh, "--routes", "/var/lib/deis/router/routes.json",
		    "--controller", ctl, health ? "--health-listen" : NULL, health, NULL };

		body_cmd(body, argv);
	}
	if (!swarm) {
		json_object_set_new(json_object_get(body, "HostConfig"), "NetworkMode",
		    json_string("host"));
		json_object_del(body, "NetworkingConfig");
	}
	free(ctl);
	free(http);
	free(https);
	free(ssh);
	free(health);
}

static int
spec_router(struct dctl *d, const struct component *c, json_t *body, struct err *e)
{
	bool tls = false;
	int rc;

	router_argv(d, body);
	rc = dctl_router_args(d, json_object_get(body, "Cmd"), json_object_get(body, "Env"),
	    &tls, e);
	if (rc < 0)
		return -1;
	if (tls) {
		char *dir = dctl_state_path(d, "router-tls"), *crt = xasprintf("%s/tls.crt", dir);
		char *key = xasprintf("%s/tls.key", dir);

		if (access(crt, R_OK) < 0 || access(key, R_OK) < 0)
			rc = err_set(e, 1, "router: the certificate files under '%s' are missing: "
			    "deisctl config router set sslCert=FILE sslKey=FILE", dir);
		else if (!dctl_swarm_mode(d))
			body_bind(body, dir, DCTL_ROUTER_TLS_DIR, "ro");
		else if (body_state_file(d, body, "router-tls/tls.crt", DCTL_ROUTER_TLS_DIR
		    "/tls.crt", e) < 0 || body_state_file(d, body, "router-tls/tls.key",
		    DCTL_ROUTER_TLS_DIR "/tls.key", e) < 0)
			rc = -1;
		/* The fingerprints: a new certificate is a new spec, so start applies it. */
		json_object_set_new(json_object_get(body, "Labels"), "sh.deis.tls",
		    json_sprintf("%s %s", dctl_state_get(d, "router", "sslCert", ""),
		    dctl_state_get(d, "router", "sslKey", "")));
		free(dir);
		free(crt);
		free(key);
		if (rc < 0)
			return -1;
	}
	body_env(body, "DEIS_INTERNAL_TOKEN", d->internal_token);
	body_volume(d, body, "router", "/var/lib/deis/router");
	return 0;
}

/*
 * The supervisor (supervise.c): deisctl itself, with the Docker socket and the
 * state dir (read-only, at its own path: the marks of `deisctl stop`). It
 * needs no network.
 */
static int
spec_supervisor(struct dctl *d, const struct component *c, json_t *body, struct err *e)
{
	const char *argv[] = { "deisctl", "--state", d->state_dir, "--prefix", d->prefix,
	    "supervise", NULL };
	json_t *hc = json_object_get(body, "HostConfig");

	body_cmd(body, argv);
	body_docker_sock(d, body);
	body_bind(body, d->state_dir, d->state_dir, "ro");
	json_object_set_new(hc, "NetworkMode", json_string("none"));
	json_object_del(body, "NetworkingConfig");
	return 0;
}

static const struct component components[] = {
	{ "store", NULL, "named volumes and the state dir; the registry's images on its "
	    "volume or in S3 ('config store set backend=s3'; no container)", NULL },
	{ "logger", "deis-logger", NULL, spec_logger },
	{ "logspout", "deis-logspout", NULL, spec_logspout },
	{ "database", "postgres", "SQLite in the volume <prefix>-database, opened by the "
	    "controller (no container; 'config database set engine=postgres' for PostgreSQL)",
	    spec_database },
	{ "registry", "docker-registry", NULL, spec_registry },
	{ "controller", "deis-controller", NULL, spec_controller },
	{ "builder", "deis-builder", NULL, spec_builder },
	{ "publisher", "deis-publisher", NULL, spec_publisher },
	{ "router", "deis-router", NULL, spec_router },
	{ "supervisor", "deisctl", NULL, spec_supervisor },
};

bool
dctl_component_postgres(const struct dctl *d)
{
	const char *engine = dctl_state_get(d, "database", "engine", "sqlite");

	return !strcmp(engine, "postgres") || !strcmp(engine, "postgresql");
}

bool
dctl_component_runs(const struct dctl *d, const struct component *c)
{
	if (!c->binary)
		return false;
	/* on a swarm, Swarm restarts what stops */
	if (!strcmp(c->name, "supervisor"))
		return !dctl_swarm_mode(d);
	return strcmp(c->name, "database") != 0 || dctl_component_postgres(d);
}

const struct component *
dctl_component_all(size_t *n)
{
	*n = ARRAY_SIZE(components);
	return components;
}

const struct component *
dctl_component_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(components); i++)
		if (!strcmp(components[i].name, name))
			return &components[i];
	return NULL;
}

char *
dctl_component_container(const struct dctl *d, const struct component *c)
{
	return xasprintf("%s-%s", d->prefix, c->name);
}

const char *
dctl_component_image(const struct dctl *d, const struct component *c)
{
	const char *img = c ? dctl_state_get(d, c->name, "image", NULL) : NULL;

	return img ? img : dctl_state_get(d, "platform", "image", DEISCTL_IMAGE_DEFAULT);
}

void
dctl_digest_hex(const char *s, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
	for (i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

json_t *
dctl_component_body(struct dctl *d, const struct component *c, struct err *e)
{
	const char *image = dctl_component_image(d, c), *key;
	char *name = dctl_component_container(d, c), *id, *text, spec[65] = "";
	json_t *body, *section, *v;

	id = dctl_engine_image_id(d, image, e);
	if (!id) {
		free(name);
		return NULL;
	}
	body = json_pack("{s:s, s:s, s:[], s:[], s:{}, s:{s:s, s:s, s:s},"
	    " s:{s:{s:s}, s:s, s:[], s:{}, s:{s:s, s:{s:s, s:s}}},"
	    " s:{s:{s:{s:[s]}}}}",
	    "Image", image, "Hostname", name, "Cmd", "Env", "ExposedPorts",
	    "Labels", "sh.deis.instance", d->prefix, "sh.deis.component", c->name,
	    "sh.deis.image", id,
	    "HostConfig", "RestartPolicy", "Name", "unless-stopped", "NetworkMode", d->prefix,
	    "Binds", "PortBindings", "LogConfig", "Type", "json-file", "Config", "max-size", "10m",
	    "max-file", "3",
	    "NetworkingConfig", "EndpointsConfig", d->prefix, "Aliases", c->name);
	free(id);
	if (c->spec(d, c, body, e) < 0) {
		json_decref(body);
		free(name);
		return NULL;
	}
	section = json_object_get(d->config, c->name);
	json_object_foreach(section, key, v) {
		/* The router's settings are its flags (router_settings.c), never environment. */
		char *env = strcmp(c->name, "router") || !dctl_router_known(key) ? env_name(key) : NULL;

		if (env && json_is_string(v))
			body_env(body, env, json_string_value(v));
		free(env);
	}
	text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	dctl_digest_hex(text, spec);
	free(text);
	json_object_set_new(json_object_get(body, "Labels"), "sh.deis.spec", json_string(spec));
	free(name);
	return body;
}
