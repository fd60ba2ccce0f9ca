/*
 * keys:* — list, add (a path, or a choice among ~/.ssh/<name>.pub), remove.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/deis/deis.h"
#include "lib/xalloc.h"

static const char keys_usage[] =
"\n"
"Valid commands for SSH keys:\n"
"\n"
"keys:list        list SSH keys for the logged in user\n"
"keys:add         add an SSH key\n"
"keys:remove      remove an SSH key\n"
"\n"
"Use 'deis help [command]' to learn more.\n";

CMD(deis_cmd_keys_help)
{
	fputs(keys_usage, stdout);
	return 0;
}

static const struct cmd_spec list_spec = {
	"\n"
	"Lists SSH keys for the logged in user.\n"
	"\n"
	"Usage: deis keys:list [options]\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_LIMIT,
	deis_opts_limit, 0, 0, false,
};

/* "<id> <first 16>...<last 10>" of each public key. */
static void
keys_render(json_t *results, const void *arg)
{
	json_t *k;
	size_t i;

	json_array_foreach(results, i, k) {
		const char *pub = deis_jstr(k, "public");
		size_t n = strlen(pub);

		if (n >= 26)
			printf("%s %.16s...%s\n", deis_jstr(k, "id"), pub, pub + n - 10);
		else
			printf("%s %s\n", deis_jstr(k, "id"), pub);
	}
}

static int
keys_print(struct client *c, const char *app, long limit)
{
	char *heading = xasprintf("%s Keys", c->s.username);
	int rc;

	rc = deis_list_show(c, "/v1/keys/", limit, heading, keys_render, NULL);
	free(heading);
	return rc;
}

CMD(deis_cmd_keys_list)
{
	return deis_cmd_run_list(&list_spec, argc, argv, false, keys_print);
}

int
deis_ssh_pubkey_id(const char *path, const char *contents, char **id)
{
	size_t line = strcspn(contents, "\n"), t, k;
	const char *base, *cmt, *end = contents + line;

	/* `^(ssh-...|ecdsa-[^ ]+) ([^ ]+) ?(.*)`, widened to ssh-ed25519 and sk- keys */
	if (strncmp(contents, "ssh-", 4) != 0 && strncmp(contents, "ecdsa-", 6) != 0 &&
	    strncmp(contents, "sk-", 3) != 0)
		return -1;
	t = strcspn(contents, " \n");
	if (contents[t] != ' ')
		return -1;
	k = strcspn(contents + t + 1, " \n");
	if (k == 0)
		return -1;
	cmt = contents + t + 1 + k;
	if (cmt < end && *cmt == ' ')
		cmt++;
	while (end > cmt && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end > cmt) {
		*id = xstrndup(cmt, (size_t)(end - cmt));
		return 0;
	}
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	*id = xstrndup(base, strcspn(base, "."));
	return 0;
}

struct pubkey {
	char *path;
	char *id;
	char *public;
};

static void
pubkey_release(struct pubkey *k)
{
	free(k->path);
	free(k->id);
	free(k->public);
}

static int
pubkey_load(const char *path, struct pubkey *k)
{
	struct buf text = BUF_INIT;
	size_t n;

	memset(k, 0, sizeof(*k));
	if (deis_file_read(path, &text) < 0)
		return -1;
	if (deis_ssh_pubkey_id(path, text.p, &k->id) < 0) {
		buf_release(&text);
		return deis_fail("%s is not a valid ssh key", path);
	}
	n = strcspn(text.p, "\r\n");
	k->public = xstrndup(text.p, n);
	k->path = xstrdup(path);
	buf_release(&text);
	return 0;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ~/.ssh/<name>.pub menu of the Go client. */
static int
pubkey_choose(struct pubkey *chosen)
{
	const char *home = getenv("HOME");
	char *dir = xasprintf("%s/.ssh", home ? home : "");
	struct pubkey *keys = NULL;
	char **names = NULL, *answer, *end;
	size_t nnames = 0, nkeys = 0, i;
	struct dirent *de;
	DIR *d = opendir(dir);
	long sel;
	int rc = -1;

	if (d == NULL) {
		deis_fail("open %s: no such file or directory", dir);
		free(dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l > 4 && strcmp(de->d_name + l - 4, ".pub") == 0) {
			names = xrealloc(names, (nnames + 1) * sizeof(*names));
			names[nnames++] = xstrdup(de->d_name);
		}
	}
	closedir(d);
	qsort(names, nnames, sizeof(*names), cmp_name);
	keys = xcalloc(nnames + 1, sizeof(*keys));
	for (i = 0; i < nnames; i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);

		if (pubkey_load(p, &keys[nkeys]) == 0)
			nkeys++;
		else
			printf("%s\n", deis_errmsg());
		free(p);
	}
	printf("Found the following SSH public keys:\n");
	for (i = 0; i < nkeys; i++) {
		const char *b = strrchr(keys[i].path, '/');

		printf("%zu) %s %s\n", i + 1, b ? b + 1 : keys[i].path, keys[i].id);
	}
	printf("0) Enter path to pubfile (or use keys:add <key_path>)\n");
	answer = deis_prompt_line("Which would you like to use with Deis? ");
	sel = strtol(answer, &end, 10);
	if (*answer == '\0' || *end != '\0') {
		deis_fail("strconv.ParseInt: parsing \"%s\": invalid syntax", answer);
	} else if (sel < 0 || (size_t)sel > nkeys) {
		deis_fail("%ld is not a valid option", sel);
	} else if (sel == 0) {
		char *path = deis_prompt_line("Enter the path to the pubkey file: ");

		rc = pubkey_load(path, chosen);
		free(path);
	} else {
		*chosen = keys[sel - 1];
		memset(&keys[sel - 1], 0, sizeof(keys[0]));
		rc = 0;
	}
	free(answer);
	for (i = 0; i < nkeys; i++)
		pubkey_release(&keys[i]);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	free(keys);
	free(dir);
	return rc;
}

static const struct cmd_spec add_spec = {
	"\n"
	"Adds SSH keys for the logged in user.\n"
	"\n"
	"Usage: deis keys:add [<key>]\n"
	"\n"
	"Arguments:\n"
	"  <key>\n"
	"    a local file path to an SSH public key used to push application code.\n",
	NULL, 0, 1, false,
};

CMD(deis_cmd_keys_add)
{
	struct args a;
	struct client c;
	struct response res;
	struct pubkey k = { 0 };
	const char *b;
	int rc;

	if (!deis_args_run(&a, &add_spec, argc, argv, &rc))
		return rc;
	rc = -1;
	if (deis_client_load(&c) < 0)
		goto out_args;
	if ((a.npos ? pubkey_load(a.pos[0], &k) : pubkey_choose(&k)) < 0)
		goto out;
	b = strrchr(k.path, '/');
	printf("Uploading %s to deis...", b ? b + 1 : k.path);
	fflush(stdout);
	rc = deis_api_send(&c, "POST", "/v1/keys/", json_pack("{s:s, s:s}", "id", k.id, "public",
	    k.public), false, &res);
	if (rc < 0) {
		printf("\n");
		goto out;
	}
	deis_response_release(&res);
	printf(" done\n");
out:
	pubkey_release(&k);
	deis_client_release(&c);
out_args:
	deis_args_release(&a);
	return rc;
}

static const struct cmd_spec remove_spec = {
	"\n"
	"Removes an SSH key for the logged in user.\n"
	"\n"
	"Usage: deis keys:remove <key>\n"
	"\n"
	"Arguments:\n"
	"  <key>\n"
	"    the SSH public key to revoke source code push access.\n",
	NULL, 1, 1, false,
};

CMD(deis_cmd_keys_remove)
{
	struct args a;
	struct client c;
	struct response res;
	char *path, *seg;
	int rc;

	if (!deis_args_run(&a, &remove_spec, argc, argv, &rc))
		return rc;
	rc = -1;
	if (deis_client_load(&c) < 0)
		goto out_args;
	printf("Removing %s SSH Key...", a.pos[0]);
	fflush(stdout);
	seg = deis_url_seg(a.pos[0]);
	path = xasprintf("/v1/keys/%s", seg);
	rc = deis_api_call(&c, "DELETE", path, NULL, false, &res);
	free(path);
	free(seg);
	if (rc < 0) {
		printf("\n");
	} else {
		deis_response_release(&res);
		printf(" done\n");
	}
	deis_client_release(&c);
out_args:
	deis_args_release(&a);
	return rc;
}
