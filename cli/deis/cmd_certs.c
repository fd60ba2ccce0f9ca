/*
 * certs:* — list, add (one certificate per subject alternative name, as Deis
 * did), remove. Certificates belong to the user, not to an app.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/deis/deis.h"
#include "lib/xalloc.h"

static const char certs_usage[] =
"\n"
"Valid commands for certs:\n"
"\n"
"certs:list            list SSL certificates for an app\n"
"certs:add             add an SSL certificate to an app\n"
"certs:remove          remove an SSL certificate from an app\n"
"\n"
"Use 'deis help [command]' to learn more.\n";

CMD(deis_cmd_certs_help)
{
	fputs(certs_usage, stdout);
	return 0;
}

static const struct cmd_spec list_spec = {
	"\n"
	"Show certificate information for an SSL application.\n"
	"\n"
	"Usage: deis certs:list [options]\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_LIMIT,
	deis_opts_limit, 0, 0, false,
};

static void
repeat(char ch, size_t n)
{
	while (n--)
		putchar(ch);
}

/* The Deis table, including its quirk: Expires width only grows with long names. */
static void
certs_table(json_t *results)
{
	size_t name_max = 0, expires_max = 0, tab = 5, bufsp = 5, i;
	json_t *cert, *map = json_object();

	json_array_foreach(results, i, cert) {
		const char *name = deis_jstr(cert, "common_name"), *exp = deis_jstr(cert, "expires");

		json_object_set_new(map, name, json_string(exp));
		if (strlen(name) > name_max)
			name_max = strlen(name);
		if (strlen(exp) > name_max)
			expires_max = strlen(exp);
	}
	if (name_max < strlen("Common Name")) {
		tab += strlen("Common Name") - name_max;
		name_max = strlen("Common Name");
	} else {
		bufsp += name_max - strlen("Common Name");
	}
	if (expires_max < strlen("Expires"))
		expires_max = strlen("Expires");
	printf("Common Name");
	repeat(' ', bufsp);
	printf("Expires\n");
	repeat('-', name_max);
	repeat(' ', 5);
	repeat('-', expires_max);
	putchar('\n');
	deis_print_tabs(map, (int)tab);
	json_decref(map);
}

static void
certs_render(json_t *results, const void *arg)
{
	if (json_array_size(results) == 0)
		printf("No certs\n");
	else
		certs_table(results);
}

static int
certs_print(struct client *c, const char *app, long limit)
{
	return deis_list_show(c, "/v1/certs/", limit, NULL, certs_render, NULL);
}

CMD(deis_cmd_certs_list)
{
	return deis_cmd_run_list(&list_spec, argc, argv, false, certs_print);
}

static const struct opt add_opts[] = {
	{ 0, "common-name", true, NULL },
	{ 0, "subject-alt-names", true, NULL },
	{ 0, NULL, false, NULL },
};
static const struct cmd_spec add_spec = {
	"\n"
	"Binds a certificate/key pair to an application.\n"
	"\n"
	"Usage: deis certs:add <cert> <key> [options]\n"
	"\n"
	"Arguments:\n"
	"  <cert>\n"
	"    The public key of the SSL certificate.\n"
	"  <key>\n"
	"    The private key of the SSL certificate.\n"
	"\n"
	"Options:\n"
	"  --common-name=<cname>\n"
	"    The common name of the certificate. If none is provided, the controller will\n"
	"    interpret the common name from the certificate.\n"
	"  --subject-alt-names=<sans>\n"
	"    The subject alternate names (SAN) of the certificate, separated by commas. This will\n"
	"    create multiple Certificate objects in the controller, one for each SAN.\n",
	add_opts, 2, 2, false,
};

static int
cert_add_one(struct client *c, const char *cert, const char *key, const char *cn)
{
	struct response res;
	json_t *req = json_pack("{s:s%, s:s%}", "certificate", cert, strlen(cert), "key", key,
	    strlen(key));

	if (req && cn && *cn)
		json_object_set_new(req, "common_name", json_string(cn));
	if (deis_api_send(c, "POST", "/v1/certs/", req, true, &res) < 0)
		return -1;
	deis_response_release(&res);
	return 0;
}

CMD(deis_cmd_certs_add)
{
	struct args a;
	struct client c;
	struct buf cert = BUF_INIT, key = BUF_INIT;
	const char *sans, *cn;
	int rc;

	if (!deis_args_run(&a, &add_spec, argc, argv, &rc))
		return rc;
	rc = -1;
	if (deis_client_load(&c) < 0)
		goto out_args;
	printf("Adding SSL endpoint... ");
	fflush(stdout);
	if (deis_file_read(a.pos[0], &cert) < 0 || deis_file_read(a.pos[1], &key) < 0)
		goto out;
	sans = deis_args_get(&a, &add_spec, "subject-alt-names");
	cn = deis_args_get(&a, &add_spec, "common-name");
	if (sans && *sans) {
		char *list = xstrdup(sans), *save = NULL, *san;

		rc = 0;
		for (san = strtok_r(list, ",", &save); san && rc == 0;
		    san = strtok_r(NULL, ",", &save))
			rc = cert_add_one(&c, cert.p, key.p, san);
		free(list);
	} else {
		rc = cert_add_one(&c, cert.p, key.p, cn);
	}
	if (rc == 0)
		printf("done\n");
out:
	explicit_bzero(key.p, key.len);
	buf_release(&key);
	buf_release(&cert);
	deis_client_release(&c);
out_args:
	deis_args_release(&a);
	return rc;
}

static const struct cmd_spec remove_spec = {
	"\n"
	"removes a certificate/key pair from the application.\n"
	"\n"
	"Usage: deis certs:remove <cn> [options]\n"
	"\n"
	"Arguments:\n"
	"  <cn>\n"
	"    the common name of the cert to remove from the app.\n",
	NULL, 1, 1, false,
};

static int
certs_remove(struct client *c, const char *app, const struct args *a,
    const struct cmd_spec *spec)
{
	return deis_api_act(c, "DELETE", "/v1/certs/", a->pos[0], NULL, true, "Removing %s... ",
	    a->pos[0]);
}

CMD(deis_cmd_certs_remove)
{
	return deis_cmd_run(&remove_spec, argc, argv, false, certs_remove);
}
