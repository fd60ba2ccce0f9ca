/*
 * The containers the builder runs itself for a build (the buildpack build,
 * and the fetch of what a user's URLs name): every one on the stack image,
 * on the builds' network, as the builder's own uid, with no capabilities,
 * no-new-privileges and the build's memory, CPU and process limits, and the
 * labels by which a cleanup finds what a killed builder left. Anything done
 * on a user's behalf that reaches the network runs here, never in the
 * builder's process, whose network reaches the platform.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "builder/builder.h"
#include "lib/docker.h"
#include "lib/xalloc.h"

#define BUILD_CA_BUNDLE "/etc/ssl/deis-build-ca.pem"

/*
 * Builds fetch over TLS (npm, pip, git). Where the host reaches the internet
 * through a TLS-inspecting proxy its CA is in the host's bundle, not in the
 * stack's: mount that bundle and point every fetcher at it. Its path is the
 * engine's (the host's), which is also where the builder's container got it.
 */
static void
trust_ca_bundle(json_t *cfg, const char *bundle)
{
	static const char *const vars[] = { "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "PIP_CERT",
	    "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO" };
	json_t *env = json_object_get(cfg, "Env");
	size_t i;

	json_array_append_new(json_object_get(json_object_get(cfg, "HostConfig"), "Binds"),
	    json_sprintf("%s:%s:ro", bundle, BUILD_CA_BUNDLE));
	for (i = 0; i < ARRAY_SIZE(vars); i++)
		json_array_append_new(env, json_sprintf("%s=%s", vars[i], BUILD_CA_BUNDLE));
}

json_t *
sandbox_config(const struct build *b, const char *cmd, const char *const *binds,
    const char *const *env)
{
	const struct conf *c = b->conf;
	json_t *cfg, *hc, *jb = json_array(), *je = json_array();
	size_t i;

	for (i = 0; binds[i]; i++)
		json_array_append_new(jb, json_string(binds[i]));
	json_array_append_new(je, json_string("STACK=bookworm"));
	json_array_append_new(je, json_string("PATH=/usr/local/bin:/usr/bin:/bin"));
	for (i = 0; env[i]; i++)
		json_array_append_new(je, json_string(env[i]));
	cfg = json_pack("{s:s, s:[s], s:s, s:s, s:o, s:{s:s, s:s, s:s},"
	    " s:{s:o, s:[s], s:[s], s:I, s:s}}",
	    "Image", c->stack_image,
	    "Cmd", cmd,
	    "User", "",
	    "WorkingDir", "/tmp",
	    "Env", je,
	    "Labels", "deis.builder", "build", "deis.app", b->app, "deis.builder.state", c->state_dir,
	    "HostConfig",
	    "Binds", jb,
	    "CapDrop", "ALL", "SecurityOpt", "no-new-privileges", "PidsLimit", (json_int_t)c->build_pids,
	    "NetworkMode", c->build_network ? c->build_network : "bridge");
	json_object_set_new(cfg, "User", json_sprintf("%u:%u", (unsigned)getuid(),
	    (unsigned)getgid()));
	hc = json_object_get(cfg, "HostConfig");
	json_object_set_new(hc, "Memory", json_integer((json_int_t)c->build_memory_mb << 20));
	json_object_set_new(hc, "MemorySwap", json_integer((json_int_t)c->build_memory_mb << 20));
	json_object_set_new(hc, "NanoCpus", json_integer((json_int_t)c->build_cpus * 1000000000));
	if (c->ca_bundle && c->ca_bundle[0])
		trust_ca_bundle(cfg, c->ca_bundle);
	return cfg;
}

int
sandbox_run(struct build *b, json_t *cfg, char id[SANDBOX_ID_MAX], struct limits_watch *w,
    int *exit_code, struct err *e)
{
	const struct conf *c = b->conf;
	struct engine_watch watch = { limits_watch, w };
	json_t *resp;

	*exit_code = -1;
	resp = docker_call(b->docker, "POST", "/containers/create", cfg, 30000, NULL, NULL,
	    "cannot create a build container", e);
	if (resp == NULL) {
		if (e->code == 404)
			err_set(e, 1, "the stack image '%s' is missing: run builder/images/build-stack",
			    c->stack_image);
		return -1;
	}
	snprintf(id, SANDBOX_ID_MAX, "%s", json_string_value(json_object_get(resp, "Id")) ?: "");
	json_decref(resp);
	if (docker_container_start(b->docker, id, e) < 0)
		return -1;
	if (engine_follow(b->docker, id, out_stream, NULL, c->keepalive, c->build_timeout,
	    &watch, e) < 0) {
		limits_explain(c, w, false, e);
		return -1;
	}
	out_flush();
	return docker_container_wait(b->docker, id, 60000, exit_code, e);
}
