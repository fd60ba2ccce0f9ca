/*
 * deis-builder keys <user> <type> <key>: sshd's AuthorizedKeysCommand.
 * sshd expands %u %t %k without sanitising them (OpenSSH bz3936), so each is
 * validated before use. The controller says which Deis user owns the key
 * (POST /v1/hooks/key); we answer with one authorized_keys line that carries
 * the user to the forced command in its environment, or with nothing at all
 * (exit 0) for a key nobody owns, which sshd takes as "not authorized".
 */
#include <stdio.h>
#include <string.h>

#include "builder/builder.h"
#include "lib/log.h"

static bool
fingerprint_valid(const char *s)
{
	size_t i;

	if (strlen(s) > 128)
		return false;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F') || s[i] == ':'))
			return false;
	return true;
}

static bool
path_quotable(const char *s)
{
	return strpbrk(s, "\"\\\n\r ") == NULL;
}

int
keys_main(int argc, char **argv)
{
	const char *conf_path = BUILDER_CONF_DEFAULT, *user, *type, *blob;
	const char *who, *fp;
	struct conf c;
	struct err e = { 0 };
	json_t *body, *resp = NULL;
	long status;
	int i = 1;

	if (argc >= 3 && strcmp(argv[1], "--config") == 0) {
		conf_path = argv[2];
		i = 3;
	}
	if (argc - i != 3) {
		log_error("usage: deis-builder keys [--config FILE] <user> <key type> <key>");
		return 2;
	}
	user = argv[i];
	type = argv[i + 1];
	blob = argv[i + 2];
	if (conf_load(&c, conf_path, &e) < 0) {
		log_error("%s", e.msg);
		return 1;
	}
	if (c.self == NULL) {
		/* the forced command's path: `deis-builder start` writes it */
		log_error("config '%s' names no 'self'", conf_path);
		conf_free(&c);
		return 1;
	}
	if (strcmp(user, c.git_user) != 0) {
		/* Only the git user logs in with platform keys; silence means "no key". */
		conf_free(&c);
		return 0;
	}
	if (!key_type_valid(type) || !key_blob_valid(blob)) {
		log_warn("refusing malformed key of type '%.64s'", type);
		conf_free(&c);
		return 0;
	}
	body = json_pack("{s:s, s:s}", "type", type, "key", blob);
	if (hooks_post(&c, "/v1/hooks/key", body, 10, &status, &resp, &e) < 0) {
		log_error("%s", e.msg);
		json_decref(body);
		conf_free(&c);
		return 1;
	}
	json_decref(body);
	if (status == 404) {
		json_decref(resp);
		conf_free(&c);
		return 0;
	}
	if (status != 200) {
		log_error("controller answered %ld to a key lookup: %s", status,
		    hooks_detail(resp, status));
		json_decref(resp);
		conf_free(&c);
		return 1;
	}
	who = json_string_value(json_object_get(resp, "username"));
	fp = json_string_value(json_object_get(resp, "fingerprint"));
	if (!fp)
		fp = "";
	if (!user_name_valid(who) || !fingerprint_valid(fp) || !path_quotable(c.self) ||
	    !path_quotable(conf_path)) {
		log_error("refusing a key lookup answer with an invalid username or fingerprint");
		json_decref(resp);
		conf_free(&c);
		return 1;
	}
	/*
	 * ForceCommand overrides command=; the command= is there so that the key
	 * stays restricted even under a configuration without ForceCommand.
	 */
	printf("restrict,environment=\"DEIS_BUILDER_USER=%s\","
	    "environment=\"DEIS_BUILDER_FINGERPRINT=%s\","
	    "command=\"%s shell --config %s\" %s %s\n",
	    who, fp, c.self, conf_path, type, blob);
	json_decref(resp);
	conf_free(&c);
	return fflush(stdout) == 0 ? 0 : 1;
}
