/*
 * libFuzzer target for what the deis CLI parses: its argument grammar, the
 * KEY=value / type=num / type=limit forms, Procfile YAML, SSH public keys,
 * and the rendering of a controller's error answer.
 *
 * Oracles besides "no crash, no UB": a parsed argument list has at most as
 * many positionals as words and respects the grammar's bounds; a KEY=value
 * split puts the key before the first '=' and a non-empty value after it; an
 * error rendering starts with "\n<status>\n".
 *
 * Input: byte 0 selects the grammar; the rest is split at NUL bytes into
 * argv, and also used whole as a value, a Procfile, a key file and a body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/deis/deis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		abort();
}

static const struct opt opts[] = {
	{ 'a', "app", true, NULL },
	{ 0, "confirm", true, NULL },
	{ 'r', "remote", true, "deis" },
	{ 'i', "interactive", false, NULL },
	{ 'o', "overwrite", false, NULL },
	{ 0, "no-remote", false, NULL },
	{ 0, NULL, false, NULL },
};

static void
fuzz_args(uint8_t sel, const char *text, size_t len)
{
	struct cmd_spec spec = { "Usage: deis x\n", opts, sel & 3, (sel >> 2) & 3, sel & 16 };
	char *argv[64], why[256];
	struct args a;
	int argc = 0;
	size_t i = 0;

	if ((sel >> 2 & 3) == 3)
		spec.max_pos = -1;
	argv[argc++] = "x:y";
	while (i < len && argc < 63) {
		argv[argc++] = (char *)text + i;
		i += strlen(text + i) + 1;
	}
	argv[argc] = NULL;
	if (deis_args_parse(&a, &spec, argc, argv, why, sizeof(why)) == 0 && !a.help) {
		check(a.npos <= argc - 1);
		check(a.npos >= spec.min_pos);
		check(spec.max_pos < 0 || a.npos <= spec.max_pos);
	}
	deis_args_release(&a);
}

static void
fuzz_kv(const char *s)
{
	const char *val, *eq = strchr(s, '=');
	size_t klen;
	long long n;

	if (deis_kv_parse_config(s, &klen, &val) == 0) {
		check(eq != NULL && klen == (size_t)(eq - s) && val == eq + 1 && *val != '\0');
	}
	if (deis_kv_parse_scale(s, &klen, &n) == 0)
		check(eq != NULL && klen == (size_t)(eq - s) && n >= 0);
	if (deis_kv_parse_limit(s, &klen, &val) == 0)
		check(eq != NULL && klen == (size_t)(eq - s) && *val >= '0' && *val <= '9');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	struct response res = { 0 };
	struct buf out = BUF_INIT;
	json_t *pf;
	char *id = NULL;

	if (size < 1)
		return 0;
	text = malloc(size + 1);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';

	fuzz_args(data[0], text, size - 1);
	fuzz_kv(text);
	pf = deis_procfile_parse(text);
	json_decref(pf);
	if (deis_ssh_pubkey_id("/x/k.pub", text, &id) == 0)
		check(id != NULL);
	free(id);

	strcpy(res.status_line, "400 BAD REQUEST");
	buf_init(&res.body, 0);
	buf_add(&res.body, data + 1, size - 1);
	deis_http_render_error(&res, &out);
	check(strncmp(out.p, "\n400 BAD REQUEST\n", 17) == 0);
	buf_release(&out);
	buf_release(&res.body);
	free(text);
	return 0;
}
