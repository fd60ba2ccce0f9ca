/*
 * The router's platform certificate (Deis: /deis/router/sslCert and sslKey,
 * which deisctl read from files). `config router set sslCert=FILE sslKey=FILE`
 * reads the PEM files on the operator's machine, checks them with OpenSSL (a
 * certificate, then an unencrypted private key that matches it), and keeps
 * their content in the state dir, <state>/router-tls/tls.crt and tls.key
 * (0600 in a 0700 directory). The router container gets that directory
 * read-only at DCTL_ROUTER_TLS_DIR and the flags --tls-cert/--tls-key.
 * config.json keeps only each file's SHA-256 fingerprint, so `config router
 * get` never prints the key and a new certificate changes the router's spec.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli/deisctl/deisctl.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

#define PEM_MAX (1 << 20)

static const char *
ssl_error(void)
{
	static char b[200];
	unsigned long e = ERR_get_error();

	ERR_clear_error();
	if (e == 0)
		return "not PEM";
	ERR_error_string_n(e, b, sizeof(b));
	return b;
}

/* Refuse a passphrase prompt: the router starts unattended. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/* "~/x" is the operator's home, as Deis's deisctl resolved it. */
static char *
expand_home(const char *path)
{
	const char *home = getenv("HOME");

	if (path[0] == '~' && path[1] == '/' && home && *home)
		return xasprintf("%s%s", home, path + 1);
	return xstrdup(path);
}

static int
read_file(const char *path, struct buf *out, struct err *e)
{
	char *p = expand_home(path), chunk[8192];
	ssize_t n;
	int fd;

	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_set(e, 2, "cannot read '%s': %s", p, strerror(errno));
		free(p);
		return -1;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (out->len + (size_t)n > PEM_MAX) {
			close(fd);
			err_set(e, 2, "'%s' is larger than %d bytes: not a PEM file", p, PEM_MAX);
			free(p);
			return -1;
		}
		buf_add(out, chunk, (size_t)n);
	}
	close(fd);
	explicit_bzero(chunk, sizeof(chunk));
	if (n < 0) {
		err_set(e, 2, "cannot read '%s': %s", p, strerror(errno));
		free(p);
		return -1;
	}
	free(p);
	return 0;
}

static void
hex(const unsigned char *md, unsigned n, char out[DCTL_FP_LEN + 1])
{
	unsigned i;

	for (i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static X509 *
cert_parse(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, no_passphrase, NULL) : NULL;

	BIO_free(b);
	return x;
}

static EVP_PKEY *
key_parse(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL) : NULL;

	BIO_free(b);
	return k;
}

int
dctl_tls_load(const char *path, bool is_key, char **pem, char fp[DCTL_FP_LEN + 1],
    struct err *e)
{
	struct buf b = BUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned char *der = NULL;
	unsigned int n = 0;
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	int len;

	*pem = NULL;
	if (read_file(path, &b, e) < 0)
		goto fail;
	if (!b.len || memchr(b.p, '\0', b.len)) {
		err_set(e, 2, "'%s' is not a PEM %s", path, is_key ? "private key" : "certificate");
		goto fail;
	}
	if (is_key) {
		k = key_parse(b.p);
		if (!k) {
			err_set(e, 2, "'%s' is not an unencrypted PEM private key (%s)", path,
			    ssl_error());
			goto fail;
		}
		/* The public half's digest: safe to show, and it names the key. */
		len = i2d_PUBKEY(k, &der);
		EVP_PKEY_free(k);
		if (len <= 0 || !EVP_Digest(der, (size_t)len, md, &n, EVP_sha256(), NULL)) {
			OPENSSL_free(der);
			err_set(e, 2, "'%s': cannot encode the public key", path);
			goto fail;
		}
		OPENSSL_free(der);
	} else {
		x = cert_parse(b.p);
		if (!x) {
			err_set(e, 2, "'%s' is not a PEM certificate (%s)", path, ssl_error());
			goto fail;
		}
		if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0)
			fprintf(stderr, "deisctl: warning: the certificate in '%s' has expired\n", path);
		X509_digest(x, EVP_sha256(), md, &n);
		X509_free(x);
	}
	hex(md, n, fp);
	*pem = buf_detach(&b, NULL);
	return 0;
fail:
	ERR_clear_error();
	if (b.p)
		explicit_bzero(b.p, b.len);
	buf_release(&b);
	return -1;
}

int
dctl_tls_match(const char *cert_pem, const char *key_pem, struct err *e)
{
	X509 *x = cert_parse(cert_pem);
	EVP_PKEY *k = key_parse(key_pem);
	int rc = 0;

	if (!x || !k || X509_check_private_key(x, k) != 1)
		rc = err_set(e, 2, "sslKey does not match sslCert's certificate: set both in one "
		    "command: deisctl config router set sslCert=FILE sslKey=FILE");
	ERR_clear_error();
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}

int
dctl_tls_dhparam_check(const char *path, struct err *e)
{
	struct buf b = BUF_INIT;
	EVP_PKEY *p = NULL;
	BIO *bio;
	int rc = -1;

	if (read_file(path, &b, e) < 0)
		goto out;
	bio = b.len ? BIO_new_mem_buf(b.p, (int)b.len) : NULL;
	p = bio ? PEM_read_bio_Parameters(bio, NULL) : NULL;
	BIO_free(bio);
	if (!p || EVP_PKEY_get_base_id(p) != EVP_PKEY_DH) {
		err_set(e, 2, "'%s' is not PEM DH parameters (openssl dhparam)", path);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	EVP_PKEY_free(p);
	buf_release(&b);
	return rc;
}

char *
dctl_tls_stored(const struct dctl *d, bool is_key)
{
	char *path = dctl_state_path(d, is_key ? "router-tls/tls.key" : "router-tls/tls.crt");
	struct buf b = BUF_INIT;
	struct err e = { 0 };
	char *out = NULL;

	if (access(path, F_OK) == 0 && read_file(path, &b, &e) == 0)
		out = buf_detach(&b, NULL);
	buf_release(&b);
	free(path);
	return out;
}

int
dctl_tls_store(struct dctl *d, const char *cert_pem, const char *key_pem, struct err *e)
{
	char *dir = dctl_state_path(d, "router-tls");
	int rc = -1;

	if (dctl_state_mkdir(d, e) < 0)
		goto out;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		err_set(e, 1, "cannot create '%s': %s", dir, strerror(errno));
		goto out;
	}
	if (cert_pem && dctl_state_write(d, "router-tls/tls.crt", cert_pem, strlen(cert_pem), e) < 0)
		goto out;
	if (key_pem && dctl_state_write(d, "router-tls/tls.key", key_pem, strlen(key_pem), e) < 0)
		goto out;
	rc = 0;
out:
	free(dir);
	return rc;
}

void
dctl_tls_remove(struct dctl *d, bool is_key)
{
	char *path = dctl_state_path(d, is_key ? "router-tls/tls.key" : "router-tls/tls.crt");

	unlink(path);
	free(path);
}
