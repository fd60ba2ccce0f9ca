/*
 * Process types. A Procfile is "type: command" per line (Heroku's format; Deis
 * read it as YAML, of which this is the subset anyone writes). A buildpack's
 * bin/release prints YAML whose default_process_types map we read the same
 * way. Both are untrusted input (fuzz/fuzz-procfile.c): bounded, and the
 * result is JSON for the controller, never text for a shell on our side.
 */
#include <string.h>

#include "builder/builder.h"
#include "lib/str.h"
#include "lib/xalloc.h"

#define PROC_TYPE_MAX 63
#define PROC_CMD_MAX 4096
#define PROC_TYPES_MAX 64

static bool
proc_type_valid(struct str t)
{
	size_t i;

	if (t.len == 0 || t.len > PROC_TYPE_MAX)
		return false;
	for (i = 0; i < t.len; i++) {
		char ch = t.p[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

/* Strip one pair of matching YAML quotes around a whole value. */
static struct str
unquote(struct str v)
{
	if (v.len >= 2 && (v.p[0] == '"' || v.p[0] == '\'') && v.p[v.len - 1] == v.p[0])
		return str_make(v.p + 1, v.len - 2);
	return v;
}

/* Add "type: command" in line to obj. 1 added, 0 not such a line, -1 invalid. */
static int
add_entry(json_t *obj, struct str line)
{
	const char *colon = memchr(line.p, ':', line.len);
	struct str type, cmd;
	char *t, *c;

	if (!colon)
		return 0;
	type = str_trim(str_make(line.p, (size_t)(colon - line.p)));
	cmd = unquote(str_trim(str_make(colon + 1, line.len - (size_t)(colon - line.p) - 1)));
	if (!proc_type_valid(type) || cmd.len == 0 || cmd.len > PROC_CMD_MAX ||
	    memchr(cmd.p, '\0', cmd.len))
		return -1;
	if (json_object_size(obj) >= PROC_TYPES_MAX)
		return -1;
	t = str_dup(type);
	c = str_dup(cmd);
	json_object_set_new(obj, t, json_stringn(c, cmd.len));
	free(t);
	free(c);
	return 1;
}

json_t *
procfile_parse(const char *text, size_t len, struct err *e)
{
	json_t *obj = json_object();
	size_t pos = 0;
	int lineno = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		struct str line = str_make(text + pos, n);

		pos += n + (nl ? 1 : 0);
		lineno++;
		if (line.len && line.p[line.len - 1] == '\r')
			line.len--;
		line = str_trim(line);
		if (line.len == 0 || line.p[0] == '#' || str_eqs(line, "---"))
			continue;
		if (add_entry(obj, line) != 1) {
			json_decref(obj);
			err_set(e, 1, "Procfile line %d is not 'type: command' (types are letters, "
			    "digits, '_' and '-')", lineno);
			return NULL;
		}
	}
	return obj;
}

json_t *
release_default_types(const char *text, size_t len)
{
	json_t *obj = json_object();
	size_t pos = 0;
	int in_map = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		struct str line = str_make(text + pos, n);

		pos += n + (nl ? 1 : 0);
		if (line.len && line.p[line.len - 1] == '\r')
			line.len--;
		if (str_trim(line).len == 0)
			continue;
		if (line.p[0] != ' ' && line.p[0] != '\t') {
			in_map = str_eqs(str_trim(line), "default_process_types:");
			continue;
		}
		if (in_map)
			add_entry(obj, str_trim(line));	/* a bad entry is skipped, not fatal */
	}
	return obj;
}
