/*
 * deis-builder: one binary, several roles (builder.h). git runs it as
 * hooks/pre-receive through a symlink, so argv[0] decides that role.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "builder/builder.h"
#include "lib/log.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: deis-builder start                       prepare state, exec sshd\n"
	    "       deis-builder keys [--config F] U T K     AuthorizedKeysCommand\n"
	    "       deis-builder shell [--config F]          ForceCommand\n"
	    "       deis-builder gc [--config F]             remove gone apps' repositories\n"
	    "       deis-builder parse-command CMD           check an SSH command (debugging)\n");
}

int
main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	int rc;

	base = base ? base + 1 : argv[0];
	log_init("deis-builder");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(base, "pre-receive") == 0)
		rc = build_main(argc, argv);
	else if (argc >= 2 && strcmp(argv[1], "start") == 0)
		rc = start_main(argc - 1, argv + 1);
	else if (argc >= 2 && strcmp(argv[1], "keys") == 0)
		rc = keys_main(argc - 1, argv + 1);
	else if (argc >= 2 && strcmp(argv[1], "shell") == 0)
		rc = shell_main(argc - 1, argv + 1);
	else if (argc >= 2 && strcmp(argv[1], "gc") == 0)
		rc = gc_main(argc - 1, argv + 1);
	else if (argc == 3 && strcmp(argv[1], "parse-command") == 0) {
		struct sshcmd c;
		struct err e = { 0 };

		if (sshcmd_parse(argv[2], &c, &e) < 0) {
			fprintf(stderr, "error: %s\n", e.msg);
			rc = 1;
		} else {
			printf("%s %s\n", c.op == SSHCMD_RECEIVE_PACK ? "receive-pack" : "upload-pack",
			    c.app);
			rc = 0;
		}
	} else if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage();
		rc = 0;
	} else {
		usage();
		rc = 2;
	}
	curl_global_cleanup();
	return rc;
}
