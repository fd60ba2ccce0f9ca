/*
 * The settings file, ~/.deis/client.json (or ~/.deis/$DEIS_PROFILE.json), with
 * the Deis 1.13 keys: username, ssl_verify, controller, token, response_limit.
 * It holds a token, so the directory is 0700 and the file 0600, and it is
 * written to a temporary file that is renamed over the old one: a crash or a
 * full disk never leaves a half-written file behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/deis/deis.h"
#include "lib/xalloc.h"

#define DEFAULT_RESPONSE_LIMIT 100

static const char *
home_dir(void)
{
	const char *h = getenv("HOME");

	return h && *h ? h : "/";
}

static char *
settings_dir(void)
{
	return xasprintf("%s/.deis", home_dir());
}

char *
deis_settings_path(void)
{
	const char *profile = getenv("DEIS_PROFILE");

	if (profile == NULL || *profile == '\0')
		profile = "client";
	return xasprintf("%s/.deis/%s.json", home_dir(), profile);
}

void
deis_settings_release(struct settings *s)
{
	free(s->username);
	free(s->controller);
	if (s->token) {
		explicit_bzero(s->token, strlen(s->token));
		free(s->token);
	}
	memset(s, 0, sizeof(*s));
}

static char *
dup_field(json_t *root, const char *key)
{
	json_t *v = json_object_get(root, key);

	return xstrdup(json_is_string(v) ? json_string_value(v) : "");
}

int
deis_settings_load(struct settings *s)
{
	char *path = deis_settings_path();
	json_error_t jerr;
	json_t *root, *v;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		deis_fail("Not logged in. Use 'deis login' or 'deis register' to get started.");
		goto out;
	}
	root = json_load_file(path, 0, &jerr);
	if (root == NULL || !json_is_object(root)) {
		deis_fail("cannot read settings file '%s': %s", path,
		    root ? "not a JSON object" : jerr.text);
		json_decref(root);
		goto out;
	}
	s->username = dup_field(root, "username");
	s->controller = dup_field(root, "controller");
	s->token = dup_field(root, "token");
	v = json_object_get(root, "ssl_verify");
	/* Files written by Deis 1.13 usually say false; respect what is there. */
	s->ssl_verify = v == NULL ? true : json_is_true(v);
	v = json_object_get(root, "response_limit");
	s->response_limit = json_is_integer(v) ? (long)json_integer_value(v) : 0;
	if (s->response_limit <= 0)
		s->response_limit = DEFAULT_RESPONSE_LIMIT;
	json_decref(root);
	rc = 0;
out:
	free(path);
	return rc;
}

int
deis_settings_save(const struct settings *s)
{
	char *dir = settings_dir(), *path = deis_settings_path(), *tmp = NULL, *text = NULL;
	json_t *root;
	size_t len, off = 0;
	int fd = -1, rc = -1;

	if (mkdir(dir, 0700) < 0) {
		if (errno != EEXIST) {
			deis_fail("cannot create '%s': %s", dir, strerror(errno));
			goto out;
		}
		/* Deis 1.13 made it 0775; it holds tokens, so tighten it. */
		(void)chmod(dir, 0700);
	}
	root = json_pack("{s:s, s:b, s:s, s:s, s:I}",
	    "username", s->username ? s->username : "",
	    "ssl_verify", s->ssl_verify,
	    "controller", s->controller ? s->controller : "",
	    "token", s->token ? s->token : "",
	    "response_limit", (json_int_t)(s->response_limit > 0 ? s->response_limit :
		DEFAULT_RESPONSE_LIMIT));
	if (root == NULL) {
		deis_fail("cannot encode settings (invalid UTF-8?)");
		goto out;
	}
	text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (text == NULL) {
		deis_fail("cannot encode settings");
		goto out;
	}
	tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		deis_fail("cannot create '%s': %s", tmp, strerror(errno));
		goto out;
	}
	len = strlen(text);
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			deis_fail("cannot write '%s': %s", tmp, strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		deis_fail("cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		deis_fail("cannot rename '%s': %s", tmp, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && tmp)
		unlink(tmp);
	if (text) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	free(tmp);
	free(path);
	free(dir);
	return rc;
}

int
deis_settings_delete(void)
{
	char *path = deis_settings_path();
	int rc = 0;

	if (unlink(path) < 0 && errno != ENOENT)
		rc = deis_fail("cannot remove '%s': %s", path, strerror(errno));
	free(path);
	return rc;
}
