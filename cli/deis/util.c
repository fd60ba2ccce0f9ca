/*
 * Helpers shared by the commands: app detection through `git remote -v`,
 * git remotes, prompts, and the Deis output formats (aligned tables, the
 * " (n of count)" suffix, log colours). git runs with an argv array, never
 * through a shell.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli/deis/deis.h"
#include "lib/xalloc.h"

extern char **environ;

bool deis_json;

static struct buf errmsg = BUF_INIT;

int
deis_fail(const char *fmt, ...)
{
	va_list ap;

	buf_reset(&errmsg);
	va_start(ap, fmt);
	buf_vaddf(&errmsg, fmt, ap);
	va_end(ap);
	return -1;
}

const char *
deis_errmsg(void)
{
	return errmsg.p;
}

int
deis_git_run(char *const argv[], struct buf *out, int which)
{
	posix_spawn_file_actions_t fa;
	int pfd[2], status, rc = -1;
	pid_t pid;
	char chunk[4096];
	ssize_t n;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (which == 2) {
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	} else {
		posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	}
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	for (;;) {
		n = read(pfd[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out)
			buf_add(out, chunk, (size_t)n);
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status))
		rc = WEXITSTATUS(status);
	return rc;
}

char *
deis_git_remote_url(const char *host, const char *app)
{
	return xasprintf("ssh://git@%s:2222/%s.git", host, app);
}

/* The URL of the first remote that mentions the controller's host, or NULL. */
static char *
git_find_remote(const char *host)
{
	char *argv[] = { "git", "remote", "-v", NULL };
	struct buf out = BUF_INIT;
	char *line, *save = NULL, *res = NULL;

	if (*host == '\0' || deis_git_run(argv, &out, 1) != 0)
		goto out;
	for (line = strtok_r(out.p, "\n", &save); line && !res;
	    line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t'), *url, *end;

		/* "<name>\t<url> (fetch)" */
		if (tab == NULL)
			continue;
		url = tab + 1;
		end = url + strcspn(url, " ");
		if (memmem(url, (size_t)(end - url), host, strlen(host)))
			res = xstrndup(url, (size_t)(end - url));
	}
out:
	buf_release(&out);
	return res;
}

int
deis_app_detect(const struct client *c, const char *explicit_app, char **app, bool *from_git)
{
	char cwd[PATH_MAX], *url, *base, *dot;
	const char *slash;

	if (from_git)
		*from_git = false;
	if (explicit_app && *explicit_app) {
		*app = xstrdup(explicit_app);
		return 0;
	}
	url = git_find_remote(c->host);
	if (url) {
		if (from_git)
			*from_git = true;
		slash = strrchr(url, '/');
		base = xstrdup(slash ? slash + 1 : url);
		dot = strchr(base, '.');
		if (dot)
			*dot = '\0';
		free(url);
		*app = base;
		return 0;
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return deis_fail("cannot determine the current directory: %s", strerror(errno));
	slash = strrchr(cwd, '/');
	base = xstrdup(slash && slash[1] ? slash + 1 : cwd);
	for (char *p = base; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	*app = base;
	return 0;
}

int
deis_git_remote_create(const char *host, const char *remote, const char *app)
{
	char *url = deis_git_remote_url(host, app);
	char *argv[] = { "git", "remote", "add", (char *)remote, url, NULL };
	struct buf err = BUF_INIT;
	int st = deis_git_run(argv, &err, 2);

	/* Go printed git's stderr on stdout */
	fputs(err.p, stdout);
	free(url);
	if (st < 0) {
		buf_release(&err);
		return deis_fail("cannot run 'git': %s", strerror(errno));
	}
	if (st != 0) {
		/* "remote already exists": exit 3 since git 2.30, 128 before */
		if (st == 3 || (st == 128 && strstr(err.p, "already exists"))) {
			printf("To replace the existing git remote entry, run:\n");
			printf("  git remote rename deis deis.old && deis git:remote -a %s\n", app);
		}
		buf_release(&err);
		return deis_fail("exit status %d", st);
	}
	buf_release(&err);
	printf("Git remote %s added\n", remote);
	return 0;
}

int
deis_git_remote_delete(const char *app)
{
	char *argv[] = { "git", "remote", "-v", NULL };
	struct buf out = BUF_INIT;
	char *line, *save = NULL, *name = NULL;
	int st;

	if (deis_git_run(argv, &out, 1) != 0) {
		buf_release(&out);
		return deis_fail("exit status 128");
	}
	for (line = strtok_r(out.p, "\n", &save); line && !name;
	    line = strtok_r(NULL, "\n", &save))
		if (strstr(line, app))
			name = xstrndup(line, strcspn(line, "\t"));
	buf_release(&out);
	if (name == NULL)
		return deis_fail("Could not find remote matching app in 'git remote -v'");
	{
		char *rm[] = { "git", "remote", "remove", name, NULL };

		st = deis_git_run(rm, NULL, 1);
	}
	if (st != 0) {
		free(name);
		return deis_fail("exit status %d", st);
	}
	printf("Git remote %s removed\n", name);
	free(name);
	return 0;
}

const char *
deis_limit_count(long n, long count, char *tmp, size_t tmplen)
{
	if (n == count)
		return "\n";
	snprintf(tmp, tmplen, " (%ld of %ld)\n", n, count);
	return tmp;
}

void
deis_json_fmt_value(json_t *v, struct buf *out)
{
	char *s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		buf_add(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		buf_addf(out, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		buf_addf(out, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		buf_addstr(out, "true");
		break;
	case JSON_FALSE:
		buf_addstr(out, "false");
		break;
	case JSON_NULL:
		buf_addstr(out, "<nil>");
		break;
	default:
		s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
		buf_addstr(out, s ? s : "");
		free(s);
	}
}

const char *
deis_jstr(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : "";
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void
deis_print_tabs(json_t *obj, int spaces)
{
	size_t n = json_object_size(obj), i = 0, max = 0;
	const char **keys;
	const char *k;
	json_t *v;

	if (n == 0)
		return;
	keys = xcalloc(n, sizeof(*keys));
	json_object_foreach(obj, k, v) {
		keys[i++] = k;
		if (strlen(k) > max)
			max = strlen(k);
	}
	qsort(keys, n, sizeof(*keys), cmp_str);
	max += (size_t)spaces;
	for (i = 0; i < n; i++) {
		struct buf val = BUF_INIT;

		deis_json_fmt_value(json_object_get(obj, keys[i]), &val);
		printf("%s%*s", keys[i], (int)(max - strlen(keys[i])), "");
		fwrite(val.p, 1, val.len, stdout);
		putchar('\n');
		buf_release(&val);
	}
	free(keys);
}

const char *
deis_drink_of_choice(void)
{
	const char *d = getenv("DEIS_DRINK_OF_CHOICE");

	return d && *d ? d : "coffee";
}

const char *
deis_log_color(const char *s, size_t n)
{
	static const char *const colors[] = {
		"", "\033[31m", "\033[32m", "\033[33m", "\033[34m", "\033[35m", "\033[36m",
		"", "", "\033[39m",
	};
	unsigned char sum = 0;
	int c;

	for (size_t i = 0; i < n; i++)
		sum = (unsigned char)(sum + (unsigned char)s[i]);
	c = sum % 7 + 1;
	if (c == 7)
		c = 9;
	return colors[c];
}

char *
deis_prompt_line(const char *prompt)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	fputs(prompt, stdout);
	fflush(stdout);
	n = getline(&line, &cap, stdin);
	if (n < 0) {
		free(line);
		return xstrdup("");
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

char *
deis_prompt_password(const char *prompt)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	char *pw;

	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	pw = deis_prompt_line(prompt);
	if (tty)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	return pw;
}

/* Go spells errno texts in lower case: "open x: no such file or directory". */
static const char *
go_strerror(int e)
{
	static char tmp[128];

	snprintf(tmp, sizeof(tmp), "%s", strerror(e));
	if (tmp[0] >= 'A' && tmp[0] <= 'Z')
		tmp[0] = (char)(tmp[0] + 32);
	return tmp;
}

int
deis_file_read(const char *path, struct buf *out)
{
	char chunk[8192];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return deis_fail("open %s: %s", path, go_strerror(errno));
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return deis_fail("read %s: %s", path, go_strerror(errno));
		}
		if (n == 0)
			break;
		buf_add(out, chunk, (size_t)n);
	}
	close(fd);
	return 0;
}

int
deis_parse_limit_opt(const char *s, long dflt, long *out)
{
	char *end;
	long v;

	if (s == NULL) {
		*out = dflt;
		return 0;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v <= 0)
		return deis_fail("strconv.ParseInt: parsing \"%s\": invalid syntax", s);
	*out = v;
	return 0;
}

void
deis_print_raw_json(const struct buf *raw)
{
	fwrite(raw->p, 1, raw->len, stdout);
	if (raw->len == 0 || raw->p[raw->len - 1] != '\n')
		putchar('\n');
}

int
deis_app_load(struct client *c, const char *explicit_app, char **app)
{
	if (deis_client_load(c) < 0)
		return -1;
	if (deis_app_detect(c, explicit_app, app, NULL) < 0) {
		deis_client_release(c);
		return -1;
	}
	return 0;
}

char *
deis_json_take_dump(json_t *req)
{
	char *s;

	if (req == NULL) {
		deis_fail("invalid argument: not valid UTF-8");
		return NULL;
	}
	s = json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(req);
	if (s == NULL)
		deis_fail("cannot encode the request");
	return s;
}

int
deis_api_send(struct client *c, const char *method, const char *path, json_t *req, bool spin,
    struct response *res)
{
	char *body;
	int rc;

	if ((body = deis_json_take_dump(req)) == NULL)
		return -1;
	rc = deis_api_call(c, method, path, body, spin, res);
	free(body);
	return rc;
}

char *
deis_url_seg(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0), *r;

	if (e == NULL)
		return xstrdup(s);
	r = xstrdup(e);
	curl_free(e);
	return r;
}
