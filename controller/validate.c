#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

#include "controller/validate.h"
#include "lib/xalloc.h"

int
validate_app_id(const char *id, struct err *e)
{
	size_t i, n = strlen(id);

	if (n == 0 || n > 64)
		return err_set(e, 400, "App IDs can only contain [a-z0-9-]");
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)id[i]) || isdigit((unsigned char)id[i]) || id[i] == '-'))
			return err_set(e, 400, "App IDs can only contain [a-z0-9-]");
	return 0;
}

int
validate_app_reserved(const char *id, struct err *e)
{
	/* Keep in step with deisctl's components (cli/deisctl/component.c). */
	static const char *const names[] = { "deis", "store", "logger", "logspout", "database",
	    "registry", "controller", "builder", "publisher", "router" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(id, names[i]))
			return err_set(e, 400, "%s is a reserved name.", id);
	if (!strncmp(id, "deis-", 5))
		return err_set(e, 400, "%s is a reserved name.", id);
	return 0;
}

int
validate_config_key(const char *key, struct err *e)
{
	size_t i;
	static const char msg[] =
	    "Config keys must start with a letter or underscore and only contain [A-z0-9_]";

	if (!key[0] || !(isalpha((unsigned char)key[0]) || key[0] == '_'))
		return err_set(e, 400, "%s", msg);
	for (i = 1; key[i]; i++)
		if (!(isalnum((unsigned char)key[i]) || key[i] == '_'))
			return err_set(e, 400, "%s", msg);
	if (i > 255)
		return err_set(e, 400, "%s", msg);
	return 0;
}

int
validate_memory(const char *v, long long *bytes, struct err *e)
{
	size_t i = 0, n = strlen(v);
	unsigned long long num = 0, mult;
	const char *unit;

	while (i < n && isdigit((unsigned char)v[i])) {
		if (num > 1000000000000ULL)
			goto bad;
		num = num * 10 + (unsigned)(v[i] - '0');
		i++;
	}
	if (i == 0)
		goto bad;
	unit = v + i;
	if (!strcasecmp(unit, "B"))
		mult = 1;
	else if (!strcasecmp(unit, "K") || !strcasecmp(unit, "KB"))
		mult = 1024;
	else if (!strcasecmp(unit, "M") || !strcasecmp(unit, "MB"))
		mult = 1024 * 1024;
	else if (!strcasecmp(unit, "G") || !strcasecmp(unit, "GB"))
		mult = 1024ULL * 1024 * 1024;
	else
		goto bad;
	if (num > (1ULL << 50) / mult)
		goto bad;
	if (bytes)
		*bytes = (long long)(num * mult);
	return 0;
bad:
	return err_set(e, 400, "Limit format: <number><unit>, where unit = B, K, M or G");
}

int
validate_cpu(long long v, struct err *e)
{
	if (v < 0 || v > 1024)
		return err_set(e, 400, "CPU shares must be between 0 and 1024");
	return 0;
}

int
validate_proc_type(const char *t, struct err *e)
{
	size_t i;

	if (!islower((unsigned char)t[0]))
		goto bad;
	for (i = 1; t[i]; i++)
		if (!(islower((unsigned char)t[i]) || isdigit((unsigned char)t[i]) ||
		    t[i] == '_' || t[i] == '-'))
			goto bad;
	if (i > 63)
		goto bad;
	return 0;
bad:
	return err_set(e, 400, "Process types can only contain [a-z]");
}

int
validate_tag(const char *k, const char *v, struct err *e)
{
	size_t i;

	if (!k[0])
		return err_set(e, 400, "Tag keys can only contain [a-zA-Z]");
	for (i = 0; k[i]; i++)
		if (!isalpha((unsigned char)k[i]))
			return err_set(e, 400, "Tag keys can only contain [a-zA-Z]");
	if (v == NULL)
		return 0;
	if (!v[0])
		return err_set(e, 400, "Tag values can only contain [a-zA-Z0-9_]");
	for (i = 0; v[i]; i++)
		if (!(isalnum((unsigned char)v[i]) || v[i] == '_'))
			return err_set(e, 400, "Tag values can only contain [a-zA-Z0-9_]");
	return 0;
}

int
validate_domain(char *d, struct err *e)
{
	size_t n, i, labels = 0;
	char *label, *save = NULL, *copy;
	bool has_digit = false;
	int rc = 0;

	for (i = 0; d[i]; i++)
		d[i] = (char)tolower((unsigned char)d[i]);
	n = strlen(d);
	if (n && d[n - 1] == '.')
		d[--n] = '\0';
	if (n == 0 || n > 255)
		return err_set(e, 400, "Hostname must be 255 characters or less.");
	if (d[0] == '*')
		return err_set(e, 400, "Adding a wildcard subdomain is currently not supported.");
	copy = xstrdup(d);
	for (label = strtok_r(copy, ".", &save); label; label = strtok_r(NULL, ".", &save)) {
		size_t ln = strlen(label);
		bool all_digits = true;

		labels++;
		if (ln > 63 || label[0] == '-' || label[ln - 1] == '-' || strstr(label, "--"))
			rc = -1;
		for (i = 0; i < ln; i++) {
			if (!(islower((unsigned char)label[i]) || isdigit((unsigned char)label[i]) ||
			    label[i] == '-'))
				rc = -1;
			if (isdigit((unsigned char)label[i]))
				has_digit = true;
			else
				all_digits = false;
		}
		if (all_digits)
			rc = -1;
	}
	free(copy);
	/* Empty labels ("a..b") show up as a length mismatch. */
	if (strstr(d, "..") || d[0] == '.')
		rc = -1;
	if (labels == 1 && has_digit)
		rc = -1;
	if (rc < 0)
		return err_set(e, 400, "Hostname does not look valid.");
	return 0;
}

int
validate_username(const char *u, struct err *e)
{
	size_t i;

	if (!u[0] || strlen(u) > 30)
		goto bad;
	for (i = 0; u[i]; i++)
		if (!(isalnum((unsigned char)u[i]) || strchr("_.@+-", u[i])))
			goto bad;
	return 0;
bad:
	return err_set(e, 400, "Enter a valid username. This value may contain only letters, "
	    "numbers and @/./+/-/_ characters.");
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int
validate_ssh_key(const char *public, char md5[48], char sha256[64], char *norm, struct err *e)
{
	static const char *types[] = { "ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256",
		"ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
		"sk-ecdsa-sha2-nistp256@openssh.com" };
	const char *sp, *b64, *end;
	unsigned char *blob = NULL, dig[EVP_MAX_MD_SIZE];
	unsigned int diglen;
	size_t tlen, blen, i;
	int n, rc = -1;
	bool known = false;

	while (*public == ' ')
		public++;
	sp = strchr(public, ' ');
	if (sp == NULL)
		return err_set(e, 400, "Key contains invalid base64 chars");
	tlen = (size_t)(sp - public);
	for (i = 0; i < ARRAY_SIZE(types); i++)
		if (strlen(types[i]) == tlen && !memcmp(types[i], public, tlen))
			known = true;
	if (!known)
		return err_set(e, 400, "Key type is not supported (use ed25519, ecdsa or rsa >= 2048)");
	b64 = sp + 1;
	while (*b64 == ' ')
		b64++;
	end = b64 + strcspn(b64, " \t\r\n");
	blen = (size_t)(end - b64);
	if (blen == 0 || blen % 4 || blen > 16384)
		return err_set(e, 400, "Key contains invalid base64 chars");
	blob = xmalloc(blen);
	n = EVP_DecodeBlock(blob, (const unsigned char *)b64, (int)blen);
	if (n < 0)
		goto bad64;
	if (end[-1] == '=')
		n--;
	if (end[-2] == '=')
		n--;
	/* The blob starts with the key type as an SSH string. */
	if (n < 4 || be32(blob) != tlen || (size_t)n < 4 + tlen || memcmp(blob + 4, public, tlen))
		goto bad64;
	if (tlen == 7 && !memcmp(public, "ssh-rsa", 7)) {
		/* string type, mpint e, mpint n: n's length gives the key size. */
		size_t off = 4 + tlen, elen, nlen;

		if ((size_t)n < off + 4)
			goto bad64;
		elen = be32(blob + off);
		off += 4 + elen;
		if ((size_t)n < off + 4 || elen > (size_t)n)
			goto bad64;
		nlen = be32(blob + off);
		if (nlen > (size_t)n)
			goto bad64;
		if (nlen && blob[off + 4] == 0)
			nlen--;
		if (nlen * 8 < 2048) {
			err_set(e, 400, "RSA keys must be at least 2048 bits");
			goto out;
		}
	}
	EVP_Digest(blob, (size_t)n, dig, &diglen, EVP_md5(), NULL);
	for (i = 0; i < diglen; i++)
		snprintf(md5 + i * 3, 4, i + 1 < diglen ? "%02x:" : "%02x", dig[i]);
	EVP_Digest(blob, (size_t)n, dig, &diglen, EVP_sha256(), NULL);
	{
		unsigned char enc[64];
		int el = EVP_EncodeBlock(enc, dig, (int)diglen);

		while (el > 0 && enc[el - 1] == '=')
			el--;
		snprintf(sha256, 64, "SHA256:%.*s", el, enc);
	}
	memcpy(norm, public, (size_t)(end - public));
	norm[end - public] = '\0';
	rc = 0;
	goto out;
bad64:
	err_set(e, 400, "Key contains invalid base64 chars");
out:
	free(blob);
	return rc;
}

void
app_name_random(char *out, size_t n)
{
	static const char *adj[] = { "ablest", "absurd", "actual", "allied", "artful", "atomic",
		"august", "bamboo", "benign", "blonde", "blurry", "bolder", "breezy", "bubbly",
		"candid", "casual", "cheery", "classy", "clever", "convex", "cubist", "dainty",
		"dapper", "decent", "deluxe", "docile", "dogged", "drafty", "dreamy", "earthy",
		"easier", "echoed", "edible", "elfish", "excess", "exotic", "expert", "fabled",
		"famous", "feline", "finest", "flaxen", "folksy", "frisky", "frozen", "gaslit",
		"gentle", "gifted", "ginger", "global", "golden", "grassy", "hearty", "hidden",
		"hipper", "honest", "humble", "hungry", "hushed", "iambic", "iconic", "indoor",
		"inward", "ironic", "jagged", "jangly", "jovial", "kindly", "lively", "loving",
		"lucent", "lyrical", "marble", "mellow", "modest", "mutual", "nimble", "normal",
		"peachy", "placid", "polite", "prompt", "quaint", "quirky", "rising", "rugged",
		"rustic", "serene", "snappy", "steady", "stoked", "sunlit", "timely", "tranquil",
		"trendy", "unsung", "upbeat", "urbane", "velvet", "vernal", "wintry", "zealous" };
	static const char *noun[] = { "ampersand", "asteroid", "backbone", "bagpiper", "ballpark",
		"banister", "bathroom", "beehive", "blowfish", "bluebird", "bullhorn", "bulldozer",
		"cabbage", "calliope", "campfire", "cannonball", "caravan", "cargo", "catapult",
		"chipmunk", "clamshell", "cobblestone", "coconut", "compass", "cornfield",
		"cowboy", "crossbow", "cupcake", "daffodil", "dartboard", "dinosaur", "doorstop",
		"dragonfly", "drumstick", "eggplant", "elephant", "fairway", "fiddler", "firefly",
		"flagpole", "flamingo", "footprint", "fountain", "gazebo", "gingerbread",
		"gumball", "hairbrush", "hammock", "harmonica", "hedgehog", "horseshoe",
		"hourglass", "jackknife", "jamboree", "jetliner", "kickstand", "lamppost",
		"landmass", "lemonade", "lighthouse", "lunchbox", "magician", "marzipan",
		"meadowlark", "moonbeam", "mudpuppy", "nightcap", "oatmeal", "oxygen", "paintbrush",
		"pancake", "peppermint", "pinwheel", "playroom", "poodle", "quicksand", "raccoon",
		"radiator", "rainbow", "riverbed", "rocketship", "sandcastle", "scarecrow",
		"seashell", "sidecar", "skylight", "snowflake", "stagecoach", "sunflower",
		"teacup", "tollbooth", "tortoise", "treehouse", "trombone", "vagabond", "waxworks",
		"windmill", "woodshed", "yearbook", "zeppelin" };
	uint32_t r[2];

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		die(111, "getrandom failed");
	snprintf(out, n, "%s-%s", adj[r[0] % ARRAY_SIZE(adj)], noun[r[1] % ARRAY_SIZE(noun)]);
}
