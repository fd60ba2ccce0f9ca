/*
 * auth:* — register, login, logout, passwd, whoami, cancel, regenerate. These
 * write the settings file; login and register first check that the URL is a
 * Deis controller (GET /v1/ must answer 401).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/deis/deis.h"
#include "lib/xalloc.h"

static const char auth_usage[] =
"\n"
"Valid commands for auth:\n"
"\n"
"auth:register          register a new user\n"
"auth:login             authenticate against a controller\n"
"auth:logout            clear the current user session\n"
"auth:passwd            change the password for the current user\n"
"auth:whoami            display the current user\n"
"auth:cancel            remove the current user account\n"
"auth:regenerate        regenerate user tokens\n"
"\n"
"Use 'deis help [command]' to learn more.\n";

CMD(deis_cmd_auth_help)
{
	fputs(auth_usage, stdout);
	return 0;
}

/* A controller we are about to log in to: URL as saved, base and TLS choice. */
struct target {
	char *url;
	char *base;
	char host[256];
	bool ssl_verify;
};

static void
target_release(struct target *t)
{
	free(t->url);
	free(t->base);
}

/* --ssl-verify=false opts out of TLS verification; anything else keeps it. */
static bool
ssl_verify_arg(const char *v)
{
	return !(v && (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0 ||
	    strcasecmp(v, "no") == 0));
}

static int
target_init(struct target *t, const char *controller, bool ssl_verify)
{
	memset(t, 0, sizeof(*t));
	t->ssl_verify = ssl_verify;
	t->url = strstr(controller, "://") ? xstrdup(controller) :
	    xasprintf("http://%s", controller);
	if (deis_controller_split(t->url, &t->base, t->host, sizeof(t->host)) < 0) {
		deis_fail("invalid controller URL '%s'", controller);
		free(t->url);
		t->url = NULL;
		return -1;
	}
	return 0;
}

static const char not_deis[] =
"%s/v1/ does not appear to be a valid Deis controller.\n"
"Make sure that the Controller URI is correct, the server is running and\n"
"your client version is correct.";

static int
check_connection(const struct target *t)
{
	struct request rq = {
		.base = t->base, .ssl_verify = t->ssl_verify, .method = "GET", .path = "/v1/",
	};
	struct response res;
	char saved[512];

	if (deis_http_do(&rq, &res) < 0) {
		/* Go printed the explanation on stdout, then returned the dial error */
		snprintf(saved, sizeof(saved), "%s", deis_errmsg());
		printf(not_deis, t->base);
		printf("\n");
		return deis_fail("%s", saved);
	}
	if (res.status != 401) {
		deis_response_release(&res);
		return deis_fail(not_deis, t->base);
	}
	deis_http_check_api_version(&res);
	deis_response_release(&res);
	return 0;
}

/* Wipe and free a secret; NULL is fine. */
static void
secret_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* Ask for a password without echo, then end the prompt's line. Caller secret_free()s. */
static char *
password_ask(const char *prompt)
{
	char *pass = deis_prompt_password(prompt);

	printf("\n");
	return pass;
}

/*
 * A new password: a copy of given when not NULL, else asked twice ("<label>: ",
 * "<label> (confirm): "). NULL with deis_fail(mismatch) when the answers differ.
 * Caller secret_free()s.
 */
static char *
password_new(const char *given, const char *label, const char *mismatch)
{
	char *prompt, *pass, *confirm;

	if (given)
		return xstrdup(given);
	prompt = xasprintf("%s: ", label);
	pass = deis_prompt_password(prompt);
	free(prompt);
	prompt = xasprintf("\n%s (confirm): ", label);
	confirm = password_ask(prompt);
	free(prompt);
	if (strcmp(pass, confirm) != 0) {
		secret_free(pass);
		secret_free(confirm);
		deis_fail("%s", mismatch);
		return NULL;
	}
	secret_free(confirm);
	return pass;
}

/* POST /v1/auth/login/ and save the settings. */
static int
do_login(const struct target *t, const char *username, const char *password)
{
	struct client c = { 0 };
	struct response res;
	json_t *root;
	int rc = -1;

	c.base = t->base;
	c.s.ssl_verify = t->ssl_verify;
	if (deis_api_send(&c, "POST", "/v1/auth/login/",
	    json_pack("{s:s, s:s}", "username", username, "password", password),
	    false, &res) < 0)
		return -1;
	root = deis_response_json(&res);
	deis_response_release(&res);
	if (root == NULL)
		return -1;
	if (!json_is_string(json_object_get(root, "token"))) {
		json_decref(root);
		return deis_fail("malformed response from the controller: no token");
	}
	c.s.username = (char *)username;
	c.s.controller = t->url;
	c.s.token = (char *)deis_jstr(root, "token");
	c.s.response_limit = 100;
	if (deis_settings_save(&c.s) == 0) {
		printf("Logged in as %s\n", username);
		rc = 0;
	}
	json_decref(root);
	return rc;
}

static const struct opt register_opts[] = {
	{ 0, "username", true, NULL },
	{ 0, "password", true, NULL },
	{ 0, "email", true, NULL },
	{ 0, "ssl-verify", true, NULL },
	{ 0, NULL, false, NULL },
};
static const struct cmd_spec register_spec = {
	"\n"
	"Registers a new user with a Deis controller.\n"
	"\n"
	"Usage: deis auth:register <controller> [options]\n"
	"\n"
	"Arguments:\n"
	"  <controller>\n"
	"    fully-qualified controller URI, e.g. 'http://deis.local3.deisapp.com/'\n"
	"\n"
	"Options:\n"
	"  --username=<username>\n"
	"    provide a username for the new account.\n"
	"  --password=<password>\n"
	"    provide a password for the new account.\n"
	"  --email=<email>\n"
	"    provide an email address.\n"
	"  --ssl-verify=false\n"
	"    disables SSL certificate verification for API requests\n",
	register_opts, 1, 1, false,
};

CMD(deis_cmd_auth_register)
{
	struct args a;
	struct target t;
	struct client c = { 0 };
	struct settings old;
	struct response res;
	char *user = NULL, *pass = NULL, *email = NULL;
	const char *v;
	int rc;

	if (!deis_args_run(&a, &register_spec, argc, argv, &rc))
		return rc;
	rc = -1;
	if (target_init(&t, a.pos[0], ssl_verify_arg(deis_args_get(&a, &register_spec,
	    "ssl-verify"))) < 0)
		goto out_args;
	if (check_connection(&t) < 0)
		goto out;
	v = deis_args_get(&a, &register_spec, "username");
	user = v ? xstrdup(v) : deis_prompt_line("username: ");
	pass = password_new(deis_args_get(&a, &register_spec, "password"), "password",
	    "Password mismatch, aborting registration.");
	if (pass == NULL)
		goto out;
	v = deis_args_get(&a, &register_spec, "email");
	email = v ? xstrdup(v) : deis_prompt_line("email: ");

	c.base = t.base;
	c.s.ssl_verify = t.ssl_verify;
	/* an admin's token lets registration work in admin_only mode */
	if (deis_settings_load(&old) == 0)
		c.s.token = old.token;
	else
		memset(&old, 0, sizeof(old));
	rc = deis_api_send(&c, "POST", "/v1/auth/register/",
	    json_pack("{s:s, s:s, s:s}", "username", user, "password", pass, "email", email),
	    false, &res);
	deis_settings_release(&old);
	if (rc < 0) {
		fflush(stdout);
		fputs("Registration failed: ", stderr);
		goto out;
	}
	deis_response_release(&res);
	printf("Registered %s\n", user);
	rc = do_login(&t, user, pass);
out:
	free(user);
	secret_free(pass);
	free(email);
	target_release(&t);
out_args:
	deis_args_release(&a);
	return rc;
}

static const struct opt login_opts[] = {
	{ 0, "username", true, NULL },
	{ 0, "password", true, NULL },
	{ 0, "ssl-verify", true, NULL },
	{ 0, NULL, false, NULL },
};
static const struct cmd_spec login_spec = {
	"\n"
	"Logs in by authenticating against a controller.\n"
	"\n"
	"Usage: deis auth:login <controller> [options]\n"
	"\n"
	"Arguments:\n"
	"  <controller>\n"
	"    a fully-qualified controller URI, e.g. \"http://deis.local3.deisapp.com/\".\n"
	"\n"
	"Options:\n"
	"  --username=<username>\n"
	"    provide a username for the account.\n"
	"  --password=<password>\n"
	"    provide a password for the account.\n"
	"  --ssl-verify=false\n"
	"    disables SSL certificate verification for API requests\n",
	login_opts, 1, 1, false,
};

static int
login(const char *controller, const char *username, const char *password, bool ssl_verify)
{
	struct target t;
	char *user = NULL, *pass = NULL;
	int rc = -1;

	if (target_init(&t, controller, ssl_verify) < 0)
		return -1;
	if (check_connection(&t) < 0)
		goto out;
	user = username && *username ? xstrdup(username) : deis_prompt_line("username: ");
	pass = password && *password ? xstrdup(password) : password_ask("password: ");
	rc = do_login(&t, user, pass);
out:
	free(user);
	secret_free(pass);
	target_release(&t);
	return rc;
}

CMD(deis_cmd_auth_login)
{
	struct args a;
	int rc;

	if (!deis_args_run(&a, &login_spec, argc, argv, &rc))
		return rc;
	rc = login(a.pos[0], deis_args_get(&a, &login_spec, "username"),
	    deis_args_get(&a, &login_spec, "password"),
	    ssl_verify_arg(deis_args_get(&a, &login_spec, "ssl-verify")));
	deis_args_release(&a);
	return rc;
}

static const struct cmd_spec logout_spec = {
	"\n"
	"Logs out from a controller and clears the user session.\n"
	"\n"
	"Usage: deis auth:logout\n",
	NULL, 0, 0, false,
};

CMD(deis_cmd_auth_logout)
{
	struct args a;
	int rc;

	if (!deis_args_run(&a, &logout_spec, argc, argv, &rc))
		return rc;
	deis_args_release(&a);
	if (deis_settings_delete() < 0)
		return -1;
	printf("Logged out\n");
	return 0;
}

static const struct opt passwd_opts[] = {
	{ 0, "password", true, NULL },
	{ 0, "new-password", true, NULL },
	{ 0, "username", true, NULL },
	{ 0, NULL, false, NULL },
};
static const struct cmd_spec passwd_spec = {
	"\n"
	"Changes the password for the current user.\n"
	"\n"
	"Usage: deis auth:passwd [options]\n"
	"\n"
	"Options:\n"
	"  --password=<password>\n"
	"    the current password for the account.\n"
	"  --new-password=<new-password>\n"
	"    the new password for the account.\n"
	"  --username=<username>\n"
	"    the account's username.\n",
	passwd_opts, 0, 0, false,
};

static int
auth_passwd(struct client *c, const char *app, const struct args *a, const struct cmd_spec *spec)
{
	struct response res;
	const char *user = deis_args_get(a, spec, "username"), *v;
	char *pass = NULL, *newpass;
	json_t *req;
	int rc = -1;

	v = deis_args_get(a, spec, "password");
	if (v && *v)
		pass = xstrdup(v);
	else if (user == NULL || *user == '\0')
		pass = password_ask("current password: ");
	v = deis_args_get(a, spec, "new-password");
	newpass = password_new(v && *v ? v : NULL, "new password",
	    "Password mismatch, not changing.");
	if (newpass == NULL)
		goto out;
	req = json_object();
	if (user && *user)
		json_object_set_new(req, "username", json_string(user));
	if (pass && *pass)
		json_object_set_new(req, "password", json_string(pass));
	json_object_set_new(req, "new_password", json_string(newpass));
	rc = deis_api_send(c, "POST", "/v1/auth/passwd/", req, false, &res);
	if (rc < 0) {
		fflush(stdout);
		fputs("Password change failed: ", stderr);
		goto out;
	}
	deis_response_release(&res);
	printf("Password change succeeded.\n");
out:
	secret_free(pass);
	secret_free(newpass);
	return rc;
}

CMD(deis_cmd_auth_passwd)
{
	return deis_cmd_run(&passwd_spec, argc, argv, false, auth_passwd);
}

static const struct cmd_spec whoami_spec = {
	"\n"
	"Displays the currently logged in user.\n"
	"\n"
	"Usage: deis auth:whoami\n",
	NULL, 0, 0, false,
};

CMD(deis_cmd_auth_whoami)
{
	struct args a;
	struct settings s;
	int rc;

	if (!deis_args_run(&a, &whoami_spec, argc, argv, &rc))
		return rc;
	deis_args_release(&a);
	if (deis_settings_load(&s) < 0)
		return -1;
	printf("You are %s at %s\n", s.username, s.controller);
	deis_settings_release(&s);
	return 0;
}

static const struct opt cancel_opts[] = {
	{ 0, "username", true, NULL },
	{ 0, "password", true, NULL },
	{ 0, "yes", false, NULL },
	{ 0, NULL, false, NULL },
};
static const struct cmd_spec cancel_spec = {
	"\n"
	"Cancels and removes the current account.\n"
	"\n"
	"Usage: deis auth:cancel [options]\n"
	"\n"
	"Options:\n"
	"  --username=<username>\n"
	"    provide a username for the account.\n"
	"  --password=<password>\n"
	"    provide a password for the account.\n"
	"  --yes\n"
	"    force \"yes\" when prompted.\n",
	cancel_opts, 0, 0, false,
};

static int
auth_cancel(struct client *c, const char *app, const struct args *a, const struct cmd_spec *spec)
{
	struct response res;
	const char *user = deis_args_get(a, spec, "username");
	const char *pass = deis_args_get(a, spec, "password");
	bool yes = deis_args_flag(a, spec, "yes");
	int rc;

	if (user == NULL || *user == '\0' || (pass && *pass)) {
		printf("Please log in again in order to cancel this account\n");
		if (login(c->s.controller, user, pass, c->s.ssl_verify) < 0)
			return -1;
		deis_client_release(c);
		if (deis_client_load(c) < 0)
			return -1;
	}
	if (!yes) {
		char *line;

		printf("cancel account %s at %s? (y/N): ", user && *user ? user : c->s.username,
		    c->s.controller);
		line = deis_prompt_line("");
		yes = strcasecmp(line, "y") == 0;
		free(line);
	}
	if (!yes) {
		fflush(stdout);
		fputs("Account not changed\n", stderr);
		return 0;
	}
	if (user && *user)
		rc = deis_api_send(c, "DELETE", "/v1/auth/cancel/", json_pack("{s:s}", "username",
		    user), false, &res);
	else
		rc = deis_api_call(c, "DELETE", "/v1/auth/cancel/", NULL, false, &res);
	if (rc < 0)
		return -1;
	deis_response_release(&res);
	/* cancelling oneself logs out */
	if ((user == NULL || *user == '\0' || strcmp(c->s.username, user) == 0) &&
	    deis_settings_delete() < 0)
		return -1;
	printf("Account cancelled\n");
	return 0;
}

CMD(deis_cmd_auth_cancel)
{
	return deis_cmd_run(&cancel_spec, argc, argv, false, auth_cancel);
}

static const struct opt regen_opts[] = {
	{ 'u', "username", true, NULL },
	{ 0, "all", false, NULL },
	{ 0, NULL, false, NULL },
};
static const struct cmd_spec regen_spec = {
	"\n"
	"Regenerates auth token, defaults to regenerating token for the current user.\n"
	"\n"
	"Usage: deis auth:regenerate [options]\n"
	"\n"
	"Options:\n"
	"  -u --username=<username>\n"
	"    specify user to regenerate. Requires admin privilages.\n"
	"  --all\n"
	"    regenerate token for every user. Requires admin privilages.\n",
	regen_opts, 0, 0, false,
};

static int
auth_regenerate(struct client *c, const char *app, const struct args *a,
    const struct cmd_spec *spec)
{
	struct response res;
	const char *user = deis_args_get(a, spec, "username");
	bool all = deis_args_flag(a, spec, "all");
	json_t *req, *root;

	if (all)
		req = json_pack("{s:b}", "all", 1);
	else if (user && *user)
		req = json_pack("{s:s}", "username", user);
	else
		req = json_object();
	if (deis_api_send(c, "POST", "/v1/auth/tokens/", req, false, &res) < 0)
		return -1;
	if (!all && (user == NULL || *user == '\0')) {
		root = deis_response_json(&res);
		if (root == NULL || !json_is_string(json_object_get(root, "token"))) {
			json_decref(root);
			deis_response_release(&res);
			if (root)
				deis_fail("malformed response from the controller: no token");
			return -1;
		}
		free(c->s.token);
		c->s.token = xstrdup(deis_jstr(root, "token"));
		json_decref(root);
		if (deis_settings_save(&c->s) < 0) {
			deis_response_release(&res);
			return -1;
		}
	}
	deis_response_release(&res);
	printf("Token Regenerated\n");
	return 0;
}

CMD(deis_cmd_auth_regenerate)
{
	return deis_cmd_run(&regen_spec, argc, argv, false, auth_regenerate);
}
