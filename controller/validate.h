#ifndef CONTROLLER_VALIDATE_H
#define CONTROLLER_VALIDATE_H
/*
 * Validation rules of the Deis API (shared/reference/deis-v1.md §2). Pure
 * functions: each returns 0 when the input is acceptable, else -1 with the Deis
 * message in e->msg (e->code 400).
 */
#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"

/*
 * App id: ^[a-z0-9-]+$, at most 64 chars. The syntax only: also used to look
 * up existing apps, so it must accept every name an app may already have.
 */
int validate_app_id(const char *id, struct err *e);
/*
 * A name no new app may take, whoever asks (administrators too): "deis"
 * (Deis's reserved name, and the controller's host deis.<domain>), "deis-*",
 * and the platform's component names (deisctl's table, cli/deisctl/component.c:
 * store, logger, logspout, database, registry, controller, builder, publisher,
 * router), so that no app's <name>.<domain> passes for a part of the platform.
 * Checked at creation only: an app made with such a name before keeps working.
 * -1 with e (400, "<id> is a reserved name.", Deis's message) when reserved.
 */
int validate_app_reserved(const char *id, struct err *e);
/* Config key: ^[a-z_]+[a-z0-9_]*$ case-insensitive. */
int validate_config_key(const char *key, struct err *e);
/* Memory limit: ^[0-9]+(MB|KB|GB|[BKMG])$ case-insensitive; *bytes set when not NULL. */
int validate_memory(const char *v, long long *bytes, struct err *e);
/* CPU shares 0..1024. */
int validate_cpu(long long v, struct err *e);
/* Process type: ^[a-z]+ (we anchor it: ^[a-z][a-z0-9_-]*$, at most 63). */
int validate_proc_type(const char *t, struct err *e);
/* Tag key ^[A-Za-z]+$, value ^\w+$. */
int validate_tag(const char *k, const char *v, struct err *e);
/*
 * Domain rules (lowercases and strips one trailing dot in place):
 * <= 255 chars, no wildcard first label, labels ^(?!-)[a-z0-9-]{1,63}(?<!-)$
 * without "--", not all digits, a single label with digits rejected.
 */
int validate_domain(char *d, struct err *e);
/* Username: Django's ^[\w.@+-]+$, at most 30 chars. */
int validate_username(const char *u, struct err *e);

/*
 * An SSH public key line "type base64 [comment]": type known, base64 decodes,
 * decoded blob starts with the same type, RSA >= 2048 bits, no DSA.
 * On success fills md5 ("aa:bb:..", 48 bytes) and sha256 ("SHA256:...", 64
 * bytes) fingerprints and the normalised "type base64" (without comment or
 * options) in norm (caller provides len(public)+1 bytes).
 */
int validate_ssh_key(const char *public, char md5[48], char sha256[64], char *norm,
    struct err *e);

/* A random "adjective-noun" app name into out (at least 64 bytes). */
void app_name_random(char *out, size_t n);

#endif
