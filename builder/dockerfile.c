/*
 * The images a Dockerfile makes the daemon use: every FROM that is not an
 * earlier stage (nor scratch) and every COPY --from= that names no stage,
 * with the global ARGs' defaults substituted as the daemon does for FROM.
 * The builder asks the controller about each before the build (images belong
 * to apps), since the daemon uses an image already on the engine by any name
 * without asking the registry. Pure: no I/O.
 *
 * Read as the classic builder reads: a "# escape=" directive before anything
 * else, comments, line continuations with the escape character, instruction
 * names in any case, the JSON form of COPY's arguments is not needed (--from
 * comes first either way).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "builder/builder.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

struct arg {
	char *name, *value;
	bool global;		/* an ARG before the first FROM: FROM sees only these */
};

struct parse {
	struct arg args[128];
	size_t nargs;
	char *stages[64];
	size_t nstages;
	bool after_from;
};

/* The latest definition of name (global ones only when global). */
static const char *
arg_get(const struct parse *p, const char *name, size_t len, bool global)
{
	size_t i;

	for (i = p->nargs; i-- > 0;)
		if ((!global || p->args[i].global) && strlen(p->args[i].name) == len &&
		    !strncmp(p->args[i].name, name, len))
			return p->args[i].value;
	return NULL;
}

/*
 * $X, ${X}, ${X:-default}, ${X:+alt} with the ARGs and ENVs seen (global ones
 * only for FROM). NULL when a variable without a default is unknown (a build
 * argument or a value we cannot tell): the caller keeps the text as it is,
 * which no image is named, so the build is refused rather than guessed.
 */
static char *
expand(const struct parse *p, const char *s, bool global)
{
	struct buf b = BUF_INIT;
	const char *v, *end, *op;
	size_t n;

	buf_addstr(&b, "");
	while (*s) {
		if (*s != '$') {
			buf_addch(&b, *s++);
			continue;
		}
		s++;
		if (*s == '{' && (end = strchr(s, '}')) != NULL) {
			s++;
			n = strcspn(s, ":}");
			v = arg_get(p, s, n, global);
			op = s[n] == ':' ? s + n + 1 : NULL;
			if (v == NULL && !(op && *op == '-')) {
				buf_release(&b);
				return NULL;
			}
			if (op && *op == '-')
				buf_add(&b, v && *v ? v : op + 1, v && *v ? strlen(v) :
				    (size_t)(end - op - 1));
			else if (op && *op == '+')
				buf_add(&b, op + 1, v && *v ? (size_t)(end - op - 1) : 0);
			else if (v)
				buf_addstr(&b, v);
			s = end + 1;
			continue;
		}
		n = 0;
		while (isalnum((unsigned char)s[n]) || s[n] == '_')
			n++;
		if ((v = arg_get(p, s, n, global)) == NULL) {
			buf_release(&b);
			return NULL;
		}
		buf_addstr(&b, v);
		s += n;
	}
	return buf_detach(&b, NULL);
}

static bool
is_stage(const struct parse *p, const char *s)
{
	size_t i;

	for (i = 0; i < p->nstages; i++)
		if (!strcasecmp(p->stages[i], s))
			return true;
	/* a stage may be named by its index */
	for (i = 0; s[i]; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return i > 0 && (size_t)atoi(s) < p->nstages;
}

static void
add(char ***out, size_t *n, char *ref)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*out)[i], ref)) {
			free(ref);
			return;
		}
	*out = xrealloc(*out, (*n + 1) * sizeof(**out));
	(*out)[(*n)++] = ref;
}

/* The words of one instruction's arguments, split on blanks (in place). */
static size_t
words(char *s, char **w, size_t max)
{
	size_t n = 0;

	while (*s && n < max) {
		while (*s == ' ' || *s == '\t')
			*s++ = '\0';
		if (!*s)
			break;
		w[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
	}
	return n;
}

static void
define(struct parse *p, const char *name, size_t len, const char *value)
{
	if (p->nargs >= ARRAY_SIZE(p->args))
		return;
	p->args[p->nargs].name = xstrndup(name, len);
	p->args[p->nargs].value = xstrdup(value);
	p->args[p->nargs].global = !p->after_from;
	p->nargs++;
}

/* ref as the daemon would read it, or its text when it cannot be told. */
static void
add_ref(struct parse *p, const char *raw, bool global, bool may_be_stage, char ***out, size_t *n)
{
	char *ref = expand(p, raw, global);

	if (ref == NULL)
		ref = xstrdup(raw);
	if (*ref && strcasecmp(ref, "scratch") && !(may_be_stage && is_stage(p, ref)))
		add(out, n, ref);
	else
		free(ref);
}

static void
instruction(struct parse *p, char *line, char ***out, size_t *n)
{
	char *w[64], *eq;
	size_t nw = words(line, w, 64), i;

	if (nw == 0)
		return;
	if (!strcasecmp(w[0], "ONBUILD") && nw > 1) {
		/* a trigger runs in the builds FROM this image: its COPY --from counts there */
		memmove(w, w + 1, (nw - 1) * sizeof(*w));
		nw--;
	}
	if (!strcasecmp(w[0], "ARG") || !strcasecmp(w[0], "ENV")) {
		bool env = !strcasecmp(w[0], "ENV");

		if (env && nw > 2 && !strchr(w[1], '=')) {	/* ENV key value */
			define(p, w[1], strlen(w[1]), w[2]);
			return;
		}
		for (i = 1; i < nw; i++) {
			eq = strchr(w[i], '=');
			if (eq)
				define(p, w[i], (size_t)(eq - w[i]), eq + 1);
			else if (!env && !arg_get(p, w[i], strlen(w[i]), false))
				define(p, w[i], strlen(w[i]), "");	/* a build argument: none given */
		}
	} else if (!strcasecmp(w[0], "FROM")) {
		for (i = 1; i < nw && !strncmp(w[i], "--", 2); i++)
			;
		if (i < nw)
			add_ref(p, w[i], true, true, out, n);
		p->after_from = true;
		if (p->nstages < ARRAY_SIZE(p->stages))
			p->stages[p->nstages++] = xstrdup(i + 2 < nw && !strcasecmp(w[i + 1], "AS") ?
			    w[i + 2] : "");
	} else if (!strcasecmp(w[0], "COPY") || !strcasecmp(w[0], "ADD")) {
		for (i = 1; i < nw && !strncmp(w[i], "--", 2); i++)
			if (!strncasecmp(w[i], "--from=", 7))
				add_ref(p, w[i] + 7, false, true, out, n);
	}
}

size_t
dockerfile_images(const char *text, size_t len, char ***out)
{
	struct parse p = { .nargs = 0 };
	struct buf line = BUF_INIT;
	const char *s = text, *end = text + len, *nl;
	char esc = '\\';
	bool directives = true;
	size_t n = 0, i, l;

	*out = NULL;
	buf_addstr(&line, "");
	for (; s < end; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL)
			nl = end;
		l = (size_t)(nl - s);
		if (l && s[l - 1] == '\r')
			l--;
		while (l && (*s == ' ' || *s == '\t'))
			s++, l--;
		if (l && *s == '#') {
			if (directives && l > 8 && !strncasecmp(s, "# escape=", 9) && l > 9)
				esc = s[9] == '`' ? '`' : '\\';
			continue;	/* a comment, also inside a continued instruction */
		}
		directives = false;
		while (l && (s[l - 1] == ' ' || s[l - 1] == '\t'))
			l--;
		if (l && s[l - 1] == esc) {
			buf_add(&line, s, l - 1);
			buf_addch(&line, ' ');
			continue;
		}
		buf_add(&line, s, l);
		instruction(&p, line.p, out, &n);
		buf_reset(&line);
		if (nl == end)
			break;
	}
	if (line.len)
		instruction(&p, line.p, out, &n);
	buf_release(&line);
	for (i = 0; i < p.nargs; i++) {
		free(p.args[i].name);
		free(p.args[i].value);
	}
	for (i = 0; i < p.nstages; i++)
		free(p.stages[i]);
	return n;
}
