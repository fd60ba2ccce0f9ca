/*
 * The controller's validators on untrusted input: SSH public keys (base64 and
 * the binary key blob with its length fields), domains, memory limits, config
 * keys. Oracle: no crash or UB, and an accepted key's normalised form is a
 * prefix-free "type base64" that validates again to the same fingerprints.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controller/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *norm = malloc(size + 1), *norm2 = malloc(size + 1);
	char md5[48], sha[64], md5b[48], shab[64];
	struct err e;
	long long bytes;

	memcpy(s, data, size);
	s[size] = '\0';
	if (validate_ssh_key(s, md5, sha, norm, &e) == 0) {
		if (validate_ssh_key(norm, md5b, shab, norm2, &e) != 0 || strcmp(norm, norm2) ||
		    strcmp(md5, md5b) || strcmp(sha, shab))
			abort();
	}
	validate_memory(s, &bytes, &e);
	validate_config_key(s, &e);
	validate_app_id(s, &e);
	validate_domain(s, &e);	/* last: it lowercases in place */
	free(s);
	free(norm);
	free(norm2);
	return 0;
}
