/*
 * A small docopt-like argument parser: enough of docopt's grammar to accept
 * every command line the Deis 1.13 client accepted (options before or after
 * positionals, `--opt=value` and `--opt value`, `-xVALUE` and `-x VALUE`,
 * clustered short flags, unique long-option prefixes, `--`), and the KEY=value
 * forms of config:set, ps:scale and limits:set.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cli/deis/deis.h"
#include "lib/xalloc.h"

static int
opt_count(const struct cmd_spec *spec)
{
	int n = 0;

	while (spec->opts && spec->opts[n].longname)
		n++;
	return n;
}

/* Exact long name first, else a unique prefix (docopt accepts `--conf`). */
static int
opt_find_long(const struct cmd_spec *spec, const char *name, size_t len)
{
	int i, n = opt_count(spec), hit = -1;

	for (i = 0; i < n; i++)
		if (strlen(spec->opts[i].longname) == len &&
		    strncmp(spec->opts[i].longname, name, len) == 0)
			return i;
	for (i = 0; i < n; i++) {
		if (strncmp(spec->opts[i].longname, name, len) == 0) {
			if (hit >= 0)
				return -2;	/* ambiguous */
			hit = i;
		}
	}
	return hit;
}

static int
opt_find_short(const struct cmd_spec *spec, char c)
{
	int i, n = opt_count(spec);

	for (i = 0; i < n; i++)
		if (spec->opts[i].shortc == c)
			return i;
	return -1;
}

/*
 * Whether s (starting with '-', not "-") would be read as options of spec:
 * "--" itself, a --help or a long name (or unique prefix) of spec, or a cluster
 * whose first letter is -h or one of spec's short options (the rest of the
 * cluster is then read as docopt reads it).
 */
static bool
opt_known(const struct cmd_spec *spec, const char *s)
{
	const char *name = s + 2, *eq;
	size_t len;

	if (s[1] != '-')
		return s[1] == 'h' || opt_find_short(spec, s[1]) >= 0;
	if (*name == '\0')
		return true;
	eq = strchr(name, '=');
	len = eq ? (size_t)(eq - name) : strlen(name);
	if (len == 4 && strncmp(name, "help", 4) == 0)
		return true;
	return opt_find_long(spec, name, len) != -1;
}

static void
pos_add(struct args *a, const char *s, int cap)
{
	if (a->npos < cap)
		a->pos[a->npos++] = s;
}

int
deis_args_parse(struct args *a, const struct cmd_spec *spec, int argc, char **argv,
    char *why, size_t whylen)
{
	int i, n = opt_count(spec), idx;
	bool only_pos = false;

	memset(a, 0, sizeof(*a));
	a->pos = xcalloc((size_t)argc + 1, sizeof(*a->pos));
	if (n > ARGS_MAX_OPTS) {
		snprintf(why, whylen, "too many options in grammar");
		return -1;
	}
	for (i = 0; i < n; i++)
		a->val[i] = spec->opts[i].dflt;

	for (i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (only_pos || s[0] != '-' || s[1] == '\0' ||
		    (spec->unknown_pos && !opt_known(spec, s))) {
			pos_add(a, s, argc);
			continue;
		}
		if (strcmp(s, "--") == 0) {
			only_pos = true;
			continue;
		}
		if (s[1] == '-') {
			const char *name = s + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);

			if (len == 4 && strncmp(name, "help", 4) == 0 &&
			    opt_find_long(spec, "help", 4) < 0) {
				a->help = true;
				continue;
			}
			idx = opt_find_long(spec, name, len);
			if (idx == -2) {
				snprintf(why, whylen, "option '--%.*s' is ambiguous", (int)len, name);
				return -1;
			}
			if (idx < 0) {
				snprintf(why, whylen, "unknown option '--%.*s'", (int)len, name);
				return -1;
			}
			if (!spec->opts[idx].has_arg) {
				if (eq) {
					snprintf(why, whylen, "option '--%s' takes no value",
					    spec->opts[idx].longname);
					return -1;
				}
				a->val[idx] = "true";
			} else if (eq) {
				a->val[idx] = eq + 1;
			} else if (i + 1 < argc) {
				a->val[idx] = argv[++i];
			} else {
				snprintf(why, whylen, "option '--%s' requires a value",
				    spec->opts[idx].longname);
				return -1;
			}
			continue;
		}
		/* a cluster of short options: -io, -aAPP, -a APP */
		for (const char *p = s + 1; *p; p++) {
			if (*p == 'h' && opt_find_short(spec, 'h') < 0) {
				a->help = true;
				continue;
			}
			idx = opt_find_short(spec, *p);
			if (idx < 0) {
				snprintf(why, whylen, "unknown option '-%c'", *p);
				return -1;
			}
			if (!spec->opts[idx].has_arg) {
				a->val[idx] = "true";
				continue;
			}
			if (p[1]) {
				a->val[idx] = p[1] == '=' ? p + 2 : p + 1;
			} else if (i + 1 < argc) {
				a->val[idx] = argv[++i];
			} else {
				snprintf(why, whylen, "option '-%c' requires a value", *p);
				return -1;
			}
			break;
		}
	}
	if (a->help)
		return 0;
	if (a->npos < spec->min_pos) {
		snprintf(why, whylen, "missing argument");
		return -1;
	}
	if (spec->max_pos >= 0 && a->npos > spec->max_pos) {
		snprintf(why, whylen, "unexpected argument '%s'", a->pos[spec->max_pos]);
		return -1;
	}
	return 0;
}

void
deis_args_release(struct args *a)
{
	free(a->pos);
	a->pos = NULL;
	a->npos = 0;
}

const char *
deis_args_get(const struct args *a, const struct cmd_spec *spec, const char *name)
{
	int i, n = opt_count(spec);

	for (i = 0; i < n; i++)
		if (strcmp(spec->opts[i].longname, name) == 0)
			return a->val[i];
	return NULL;
}

bool
deis_args_flag(const struct args *a, const struct cmd_spec *spec, const char *name)
{
	const char *v = deis_args_get(a, spec, name);

	return v != NULL && strcmp(v, "true") == 0;
}

/* docopt prints the usage text without its surrounding blank lines. */
static void
print_trimmed(FILE *f, const char *s)
{
	size_t len;

	while (*s == '\n')
		s++;
	len = strlen(s);
	while (len > 0 && s[len - 1] == '\n')
		len--;
	fprintf(f, "%.*s\n", (int)len, s);
}

void
deis_args_print_usage_line(const char *usage)
{
	const char *p = strstr(usage, "Usage:"), *end;
	size_t len;

	if (p == NULL) {
		print_trimmed(stderr, usage);
		return;
	}
	/* the section runs until a blank line */
	end = strstr(p, "\n\n");
	len = end ? (size_t)(end - p) : strlen(p);
	while (len > 0 && isspace((unsigned char)p[len - 1]))
		len--;
	fprintf(stderr, "%.*s\n", (int)len, p);
}

bool
deis_args_run(struct args *a, const struct cmd_spec *spec, int argc, char **argv, int *rc)
{
	char why[256];

	if (deis_args_parse(a, spec, argc, argv, why, sizeof(why)) < 0) {
		deis_args_print_usage_line(spec->usage);
		deis_args_release(a);
		*rc = 1;
		return false;
	}
	if (a->help) {
		print_trimmed(stdout, spec->usage);
		deis_args_release(a);
		*rc = 0;
		return false;
	}
	return true;
}

/* Go's [A-z] class: 'A'..'z', which also admits [ \ ] ^ _ and backquote. */
static bool
is_az(unsigned char c)
{
	return c >= 'A' && c <= 'z';
}

int
deis_kv_parse_config(const char *s, size_t *keylen, const char **val)
{
	const char *eq = strchr(s, '=');
	size_t i;

	if (eq == NULL || eq == s || eq[1] == '\0')
		return -1;
	if (!is_az((unsigned char)s[0]) && s[0] != '_')
		return -1;
	for (i = 1; s + i < eq; i++)
		if (!is_az((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '_')
			return -1;
	*keylen = (size_t)(eq - s);
	*val = eq + 1;
	return 0;
}

static int
kv_key_alpha(const char *s, size_t *keylen)
{
	const char *eq = strchr(s, '=');
	size_t i;

	if (eq == NULL || eq == s)
		return -1;
	for (i = 0; s + i < eq; i++)
		if (!is_az((unsigned char)s[i]))
			return -1;
	*keylen = (size_t)(eq - s);
	return 0;
}

int
deis_kv_parse_scale(const char *s, size_t *keylen, long long *num)
{
	const char *v;
	long long n = 0;

	if (kv_key_alpha(s, keylen) < 0)
		return -1;
	v = s + *keylen + 1;
	if (*v == '\0')
		return -1;
	for (; *v; v++) {
		if (!isdigit((unsigned char)*v))
			return -1;
		if (n > 100000000LL)
			return -1;	/* Atoi would overflow long before this matters */
		n = n * 10 + (*v - '0');
	}
	*num = n;
	return 0;
}

int
deis_kv_parse_limit(const char *s, size_t *keylen, const char **val)
{
	const char *v, *p;
	size_t digits, units;

	if (kv_key_alpha(s, keylen) < 0)
		return -1;
	v = s + *keylen + 1;
	for (p = v; isdigit((unsigned char)*p); p++)
		;
	digits = (size_t)(p - v);
	if (digits == 0)
		return -1;
	units = strlen(p);
	if (units == 0) {
		if (digits > 4)
			return -1;
	} else {
		if (units > 2)
			return -1;
		for (; *p; p++)
			if (!strchr("bkmgBKMG", *p))
				return -1;
	}
	*val = v;
	return 0;
}
