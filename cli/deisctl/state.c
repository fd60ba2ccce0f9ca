/*
 * The state directory: config.json and the platform secrets. Everything here is
 * written with mode 0600 in a 0700 directory, atomically (temp file + rename),
 * so a crash never leaves half a config or a truncated secret.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/deisctl/deisctl.h"
#include "lib/xalloc.h"

char *
dctl_state_path(const struct dctl *d, const char *rel)
{
	return xasprintf("%s/%s", d->state_dir, rel);
}

int
dctl_state_mkdir(const struct dctl *d, struct err *e)
{
	if (mkdir(d->state_dir, 0700) < 0 && errno != EEXIST)
		return err_set(e, 1, "cannot create '%s': %s", d->state_dir, strerror(errno));
	return 0;
}

/* Write data to path atomically with mode 0600. */
static int
state_write(const char *path, const char *data, size_t len, struct err *e)
{
	char *tmp = xasprintf("%s.new", path);
	int fd, rc = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_set(e, 1, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) < 0) {
		err_set(e, 1, "cannot write '%s': %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		err_set(e, 1, "cannot rename '%s': %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

int
dctl_state_write(const struct dctl *d, const char *rel, const char *data, size_t len,
    struct err *e)
{
	char *path = dctl_state_path(d, rel);
	int rc = state_write(path, data, len, e);

	free(path);
	return rc;
}

int
dctl_state_load(struct dctl *d, struct err *e)
{
	char *path = dctl_state_path(d, "config.json");
	json_error_t je;
	json_t *j;

	json_decref(d->config);
	d->config = NULL;
	if (access(path, F_OK) < 0) {
		free(path);
		d->config = json_object();
		return 0;
	}
	j = json_load_file(path, 0, &je);
	if (!j || !json_is_object(j)) {
		err_set(e, 1, "cannot read '%s': %s", path, j ? "not a JSON object" : je.text);
		json_decref(j);
		free(path);
		return -1;
	}
	free(path);
	d->config = j;
	return 0;
}

int
dctl_state_save(struct dctl *d, struct err *e)
{
	char *path, *text;
	int rc;

	if (dctl_state_mkdir(d, e) < 0)
		return -1;
	text = json_dumps(d->config, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text)
		return err_set(e, 1, "cannot encode the configuration");
	path = dctl_state_path(d, "config.json");
	rc = state_write(path, text, strlen(text), e);
	free(path);
	free(text);
	return rc;
}

static void
secret_new(char out[DEISCTL_SECRET_LEN + 1])
{
	unsigned char raw[DEISCTL_SECRET_LEN / 2];
	size_t got = 0, i;
	ssize_t n;

	while (got < sizeof(raw)) {
		n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0 && errno != EINTR)
			die(1, "getrandom: %s", strerror(errno));
		if (n > 0)
			got += (size_t)n;
	}
	for (i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof(raw));
}

/*
 * Read one secret file into out; generate it first when create and missing.
 * optional: missing without create is no error (out is left empty).
 */
static int
secret_load(const struct dctl *d, const char *name, bool create, bool optional,
    char out[DEISCTL_SECRET_LEN + 1], struct err *e)
{
	char *path = dctl_state_path(d, name);
	char line[256];
	FILE *f;
	int rc = -1;

	f = fopen(path, "re");
	if (!f && errno == ENOENT && optional && !create) {
		out[0] = '\0';
		rc = 0;
		goto out;
	}
	if (!f && errno == ENOENT && create) {
		secret_new(out);
		if (state_write(path, out, strlen(out), e) < 0)
			goto out;
		rc = 0;
		goto out;
	}
	if (!f) {
		err_set(e, 1, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	if (strlen(line) < 16 || strlen(line) > DEISCTL_SECRET_LEN) {
		err_set(e, 1, "secret '%s' is malformed: remove it and run 'deisctl install'", path);
		goto out;
	}
	memcpy(out, line, strlen(line) + 1);
	rc = 0;
out:
	explicit_bzero(line, sizeof(line));
	free(path);
	return rc;
}

int
dctl_state_secrets(struct dctl *d, bool create, struct err *e)
{
	if (create && dctl_state_mkdir(d, e) < 0)
		return -1;
	if (secret_load(d, "builder-key", create, false, d->builder_key, e) < 0 ||
	    secret_load(d, "internal-token", create, false, d->internal_token, e) < 0)
		return -1;
	/* made at the first use after an upgrade too: start needs it */
	if (secret_load(d, "registry-password", create || dctl_state_installed(d), false,
	    d->registry_password, e) < 0 ||
	    secret_load(d, "logger-key", create || dctl_state_installed(d), false,
	    d->logger_key, e) < 0)
		return -1;
	d->database_password[0] = '\0';
	if (!dctl_component_postgres(d))
		return 0;
	return secret_load(d, "database-password", create, true, d->database_password, e);
}

bool
dctl_state_installed(const struct dctl *d)
{
	char *path = dctl_state_path(d, "internal-token");
	bool ok = access(path, R_OK) == 0;

	free(path);
	return ok;
}

const char *
dctl_state_get(const struct dctl *d, const char *section, const char *key, const char *def)
{
	json_t *v = json_object_get(json_object_get(d->config, section), key);

	return json_is_string(v) ? json_string_value(v) : def;
}

int
dctl_state_port(const struct dctl *d, const char *key, int def)
{
	const char *v = dctl_state_get(d, "platform", key, NULL), *errstr = NULL;
	long long n;

	if (!v)
		return def;
	n = strtonum(v, 1, 65535, &errstr);
	return errstr ? def : (int)n;
}
