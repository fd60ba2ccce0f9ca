/*
 * The forced command's view of what the client asked for. sshd hands us the
 * client's command line as one string (SSH_ORIGINAL_COMMAND); git sends
 * `git-receive-pack '/myapp.git'` (ssh:// URLs) or `git-receive-pack 'myapp.git'`
 * (scp-like URLs). We accept exactly those shapes and never give the string
 * to a shell: the repository path we run git on is built from the validated
 * app name alone (Dokku's CVE-2026-45408 came from trusting this string).
 */
#include <string.h>

#include "builder/builder.h"
#include "lib/xalloc.h"

#define SSHCMD_MAX 512

static const struct {
	const char *name;
	enum sshcmd_op op;
} ops[] = {
	{ "git-receive-pack", SSHCMD_RECEIVE_PACK },
	{ "git receive-pack", SSHCMD_RECEIVE_PACK },
	{ "git-upload-pack", SSHCMD_UPLOAD_PACK },
	{ "git upload-pack", SSHCMD_UPLOAD_PACK },
};

bool
app_name_valid(const char *s)
{
	size_t i;

	if (!s || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (i = 1; s[i]; i++) {
		if (i >= APP_NAME_MAX)
			return false;
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	}
	return true;
}

bool
user_name_valid(const char *s)
{
	size_t i;

	if (!s || !s[0])
		return false;
	for (i = 0; s[i]; i++) {
		char ch = s[i];

		if (i >= 150)
			return false;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '@' || ch == '.' || ch == '+' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

bool
key_type_valid(const char *s)
{
	size_t i;

	/* ssh-ed25519, ecdsa-sha2-nistp256, sk-ssh-ed25519@openssh.com, rsa-sha2-512 ... */
	if (!s || !s[0] || strlen(s) > 64)
		return false;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '@' || s[i] == '.'))
			return false;
	return true;
}

bool
key_blob_valid(const char *s)
{
	size_t i, pad = 0;

	if (!s || !s[0] || strlen(s) > 16384)
		return false;
	for (i = 0; s[i]; i++) {
		char ch = s[i];

		if (ch == '=') {
			pad++;
			continue;
		}
		if (pad || !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '+' || ch == '/'))
			return false;
	}
	return pad <= 2 && i % 4 == 0;
}

int
sshcmd_parse(const char *cmd, struct sshcmd *out, struct err *e)
{
	const char *arg = NULL, *end;
	size_t i, n, len;
	char name[APP_NAME_MAX + 1];

	if (!cmd || !cmd[0])
		return err_set(e, 1, "interactive shells are not allowed; use `git push`");
	len = strlen(cmd);
	if (len > SSHCMD_MAX)
		return err_set(e, 1, "command too long");
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		n = strlen(ops[i].name);
		if (strncmp(cmd, ops[i].name, n) == 0 && cmd[n] == ' ') {
			out->op = ops[i].op;
			arg = cmd + n + 1;
			break;
		}
	}
	if (!arg) {
		/* Only the first word, and only printable: it goes to the user's terminal. */
		n = strcspn(cmd, " \t\r\n");
		for (i = 0; i < n && i < 40; i++)
			if (cmd[i] < 0x21 || cmd[i] > 0x7e)
				break;
		return err_set(e, 1, "command '%.*s' is not allowed; only git push and fetch are",
		    (int)i, cmd);
	}
	end = arg + strlen(arg);
	if (*arg == '\'') {
		if (end - arg < 2 || end[-1] != '\'')
			return err_set(e, 1, "unbalanced quotes in the repository name");
		arg++;
		end--;
	}
	if (memchr(arg, '\'', (size_t)(end - arg)) || memchr(arg, '"', (size_t)(end - arg)) ||
	    memchr(arg, '`', (size_t)(end - arg)))
		return err_set(e, 1, "quotes are not allowed in the repository name");
	if (memmem(arg, (size_t)(end - arg), "..", 2))
		return err_set(e, 1, "'..' is not allowed in the repository name");
	if (arg < end && *arg == '/')
		arg++;
	if (end - arg > 4 && memcmp(end - 4, ".git", 4) == 0)
		end -= 4;
	n = (size_t)(end - arg);
	if (n == 0 || n > APP_NAME_MAX)
		return err_set(e, 1, "invalid repository name: use <app>.git");
	memcpy(name, arg, n);
	name[n] = '\0';
	if (strlen(name) != n || !app_name_valid(name))
		return err_set(e, 1, "invalid app name in the repository path: names are "
		    "lower-case letters, digits and dashes");
	memcpy(out->app, name, n + 1);
	return 0;
}
