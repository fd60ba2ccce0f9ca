/*
 * create-admin: the platform's first administrator, made through the
 * controller's local channel (`deis-controller create-admin` run in its
 * container with `docker exec`), never through the API: no registrant becomes
 * an administrator unless the operator sets `config controller set
 * firstUserAdmin=true` (Deis's rule). And the note `start` prints while the
 * platform has no administrator.
 *
 * The password goes to the controller in the exec's environment
 * (DEIS_ADMIN_PASSWORD), which only the engine and the command see: the
 * engine's exec API has no stdin without hijacking the connection, and an
 * argument would be in the exec's inspect output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/deisctl/deisctl.h"
#include "lib/buf.h"
#include "lib/docker.h"
#include "lib/xalloc.h"

#define PASSWORD_MAX 1024


/* Read one line of password into pw (n bytes); prompt without echo on a terminal. */
static int
read_password(const char *prompt, char *pw, size_t n)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	int rc = 0;

	if (tty) {
		fputs(prompt, stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	if (fgets(pw, (int)n, stdin) == NULL)
		rc = -1;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (rc == 0)
		pw[strcspn(pw, "\r\n")] = '\0';
	return rc;
}

int
dctl_cmd_create_admin(struct dctl *d, int argc, char **argv)
{
	char pw[PASSWORD_MAX], again[PASSWORD_MAX], *name = NULL, *env = NULL;
	const char *args[] = { "deis-controller", "create-admin", NULL, NULL, NULL };
	const char *envs[] = { NULL, NULL };
	struct buf out = BUF_INIT;
	struct err e = { 0 };
	int rc = 1, code = -1;

	if (argc != 3) {
		fprintf(stderr, "usage: deisctl create-admin <username> <email>   "
		    "(password on stdin, or prompted on a terminal)\n");
		return 2;
	}
	/* As dctl_ping() (main.c) says it, after the usage check. */
	if (docker_ping(d->docker, &e) < 0) {
		fprintf(stderr, "deisctl: the Docker engine does not answer at '%s': %s\n",
		    docker_sock(d->docker), e.msg);
		return 1;
	}
	if (read_password("password: ", pw, sizeof(pw)) < 0 || !pw[0]) {
		fprintf(stderr, "deisctl: create-admin: no password given\n");
		goto out;
	}
	if (isatty(STDIN_FILENO) && (read_password("password (again): ", again,
	    sizeof(again)) < 0 || strcmp(pw, again) != 0)) {
		fprintf(stderr, "deisctl: create-admin: the passwords differ\n");
		goto out;
	}
	name = dctl_platform_ops(d)->controller(d, &e);
	if (!name) {
		fprintf(stderr, "deisctl: create-admin: %s\n", e.msg);
		goto out;
	}
	args[2] = argv[1];
	args[3] = argv[2];
	env = xasprintf("DEIS_ADMIN_PASSWORD=%s", pw);
	envs[0] = env;
	if (docker_exec(d->docker, name, args, envs, 60000, &out, &code, &e) < 0) {
		if (e.code == 404 || e.code == 409)
			fprintf(stderr, "deisctl: create-admin: the controller is not running: "
			    "'deisctl start controller' first (%s)\n", e.msg);
		else
			fprintf(stderr, "deisctl: create-admin: %s\n", e.msg);
		goto out;
	}
	if (code != 0) {
		/* The controller's own words: "create-admin: username: This field must be unique." */
		fprintf(stderr, "deisctl: %s", out.len ? out.p : "create-admin failed\n");
		goto out;
	}
	fputs(out.p ? out.p : "", stdout);
	rc = 0;
out:
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(again, sizeof(again));
	if (env)
		explicit_bzero(env, strlen(env));
	free(env);
	free(name);
	buf_release(&out);
	return rc;
}

int
dctl_controller_check(const char *key, const char *value, struct err *e)
{
	if (!strcmp(key, "firstUserAdmin") && strcmp(value, "true") && strcmp(value, "false"))
		return err_set(e, 2, "firstUserAdmin '%s' is not true or false", value);
	if (!strcmp(key, "bootTimeout")) {
		const char *errstr = NULL;

		strtonum(value, 1, 3600, &errstr);
		if (errstr)
			return err_set(e, 2, "bootTimeout '%s' is not a number of seconds from 1 to "
			    "3600 (Heroku's boot limit is 60)", value);
	}
	if (!strcmp(key, "quotaApps") || !strcmp(key, "quotaContainers")) {
		const char *errstr = NULL;

		strtonum(value, 0, 1000000, &errstr);
		if (errstr)
			return err_set(e, 2, "%s '%s' is not a number (0: no quota)", key, value);
	}
	if (!strcmp(key, "quotaMemory") && value[0] && strcmp(value, "0") &&
	    (strspn(value, "0123456789") == 0 || !strchr("BbKkMmGg", value[strspn(value,
	    "0123456789")]) || strlen(value + strspn(value, "0123456789")) > 2))
		return err_set(e, 2, "quotaMemory '%s' is not <number><B|K|M|G> like 512M", value);
	if (!strcmp(key, "tokenLifetime")) {
		const char *errstr = NULL;

		strtonum(value, 0, 10LL * 366 * 86400, &errstr);
		if (errstr)
			return err_set(e, 2, "tokenLifetime '%s' is not a number of seconds (0: "
			    "tokens never expire)", value);
	}
	if (!strcmp(key, "registrationMode") && strcmp(value, "enabled") &&
	    strcmp(value, "disabled") && strcmp(value, "admin_only"))
		return err_set(e, 2, "registrationMode '%s' is not enabled, disabled or admin_only",
		    value);
	return 0;
}

void
dctl_admin_note(struct dctl *d)
{
	const char *args[] = { "deis-controller", "has-admin", NULL };
	const char *first = dctl_state_get(d, "controller", "firstUserAdmin", NULL);
	struct buf out = BUF_INIT;
	struct err e = { 0 };
	char *name = dctl_platform_ops(d)->controller(d, &e);
	int code = -1;

	/* Best effort: start has already said whether the controller runs. */
	if (name && docker_exec(d->docker, name, args, NULL, 30000, &out, &code, &e) == 0 && code == 1) {
		if (first && !strcmp(first, "true"))
			printf("no administrator yet: the first user to register becomes one "
			    "(config controller firstUserAdmin=true)\n");
		else
			printf("no administrator yet: make the first one with\n"
			    "    deisctl create-admin <username> <email>   "
			    "(password on stdin, or prompted)\n"
			    "then 'deis login' as it; 'deis register' makes ordinary users\n");
	}
	free(name);
	buf_release(&out);
}
