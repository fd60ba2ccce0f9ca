/*
 * TLS for the HTTPS listener (OpenSSL). One base context per worker carries the
 * platform certificate (--tls-cert/--tls-key), if any; each route table carries
 * one context per certificate from the controller ("certs" in the table), and
 * the SNI callback switches a connection to the one for its server name (exact
 * match, then "*.parent"). SSL_CTX objects are reference counted by OpenSSL,
 * so a connection keeps its context after the table that made it is gone.
 */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <string.h>
#include <strings.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "router/router.h"

static SSL_CTX *base_ctx;

static SSL_CTX *
ctx_new(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	    SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	return ctx;
}

static const char *
tls_error(void)
{
	static char b[256];
	unsigned long e = ERR_get_error();

	if (e == 0)
		return "unknown error";
	ERR_error_string_n(e, b, sizeof(b));
	ERR_clear_error();
	return b;
}

static SSL_CTX *
sni_lookup(const struct route_table *t, const char *name)
{
	const char *dot;
	size_t i;

	if (t == NULL || name == NULL)
		return NULL;
	for (i = 0; i < t->ncerts; i++)
		if (strcasecmp(t->certs[i].host, name) == 0)
			return t->certs[i].ctx;
	dot = strchr(name, '.');
	for (i = 0; dot && i < t->ncerts; i++)
		if (t->certs[i].host[0] == '*' && strcasecmp(t->certs[i].host + 1, dot) == 0)
			return t->certs[i].ctx;
	return NULL;
}

static int
sni_callback(SSL *ssl, int *alert, void *arg)
{
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	SSL_CTX *ctx = sni_lookup(W.table, name);

	if (ctx) {
		SSL_set_SSL_CTX(ssl, ctx);
		return SSL_TLSEXT_ERR_OK;
	}
	if (conf.tls_cert)
		return SSL_TLSEXT_ERR_OK;	/* the platform certificate */
	*alert = SSL_AD_UNRECOGNIZED_NAME;
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

int
tls_init(void)
{
	base_ctx = ctx_new();
	if (base_ctx == NULL) {
		log_error("cannot create a TLS context: %s", tls_error());
		return -1;
	}
	if (conf.tls_cert) {
		if (SSL_CTX_use_certificate_chain_file(base_ctx, conf.tls_cert) != 1) {
			log_error("cannot load '%s': %s", conf.tls_cert, tls_error());
			return -1;
		}
		if (SSL_CTX_use_PrivateKey_file(base_ctx, conf.tls_key, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(base_ctx) != 1) {
			log_error("cannot load '%s': %s", conf.tls_key, tls_error());
			return -1;
		}
	}
	SSL_CTX_set_tlsext_servername_callback(base_ctx, sni_callback);
	return 0;
}

SSL *
tls_new(int fd)
{
	SSL *ssl = SSL_new(base_ctx);

	if (ssl == NULL)
		return NULL;
	if (SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_accept_state(ssl);
	return ssl;
}

/* A context for one certificate given as PEM text (cert chain, then key). */
SSL_CTX *
tls_ctx_from_pem(const char *cert, const char *key, char *why, size_t whylen)
{
	SSL_CTX *ctx = ctx_new();
	BIO *b = NULL;
	X509 *x = NULL;
	EVP_PKEY *pk = NULL;

	if (ctx == NULL)
		goto fail;
	b = BIO_new_mem_buf(cert, -1);
	x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	if (x == NULL || SSL_CTX_use_certificate(ctx, x) != 1)
		goto fail;
	X509_free(x);
	x = NULL;
	/* the rest of the PEM is the chain */
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (SSL_CTX_add_extra_chain_cert(ctx, x) != 1)
			goto fail;
		x = NULL;	/* owned by ctx now */
	}
	ERR_clear_error();
	BIO_free(b);
	b = BIO_new_mem_buf(key, -1);
	pk = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	if (pk == NULL || SSL_CTX_use_PrivateKey(ctx, pk) != 1 || SSL_CTX_check_private_key(ctx) != 1)
		goto fail;
	EVP_PKEY_free(pk);
	BIO_free(b);
	return ctx;
fail:
	snprintf(why, whylen, "%s", tls_error());
	X509_free(x);
	EVP_PKEY_free(pk);
	BIO_free(b);
	SSL_CTX_free(ctx);
	return NULL;
}

void
tls_ctx_free(SSL_CTX *ctx)
{
	SSL_CTX_free(ctx);
}
