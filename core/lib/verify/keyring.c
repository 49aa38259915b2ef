/* SPDX-License-Identifier: MIT */
/* keyring.c - trust anchors and CRLs from PEM files into an X509_STORE. */
#include "verify/keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/trustfile.h"
#include "base/util.h"
#include "verify/certinfo.h"

struct sk_keyring {
	char *path;
	char *crl_path;
	X509_STORE *store;
	struct sk_cert_info *anchors;
	size_t n;
	size_t n_crls;
};

struct bio_st *sk_pem_read_fd(int fd, const char *what, const char *path,
			      struct sk_problems *d)
{
	char *buf = NULL;
	size_t len = 0;
	BIO *b = NULL;
	int r = sk_read_all(fd, SK_KEYRING_MAX_BYTES, &buf, &len);

	close(fd);
	if (r == -EFBIG)
		sk_problems_add(d, SK_PROBLEM_SETUP,
				"%s '%s' is larger than %d bytes", what, path,
				SK_KEYRING_MAX_BYTES);
	else if (r == -ENOMEM)
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
	else if (r)
		sk_problems_add(d, SK_PROBLEM_SETUP, "%s '%s': %s", what, path,
				strerror(-r));
	if (r)
		return NULL;
	b = BIO_new(BIO_s_mem());
	if (!b || BIO_write(b, buf, (int)len) != (int)len) {
		BIO_free(b);
		b = NULL;
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
	}
	/* It may hold a private key (sup pack --key). */
	OPENSSL_cleanse(buf, len);
	free(buf);
	return b;
}

/* One DER certificate as an anchor; 0 or -1. */
static int add_anchor(struct sk_keyring *k, const unsigned char *der, long len,
		      struct sk_problems *d)
{
	const unsigned char *q = der;
	X509 *x = d2i_X509(NULL, &q, len);
	struct sk_cert_info *g;
	int ret = -1;

	if (!x || q != der + len)
		goto out;
	g = realloc(k->anchors, (k->n + 1) * sizeof(*g));
	if (!g)
		goto oom;
	k->anchors = g;
	if (sk_cert_info_from_x509(&g[k->n], x))
		goto oom;
	if (!X509_STORE_add_cert(k->store, x)) {
		sk_cert_info_release(&g[k->n]);
		goto oom;
	}
	k->n++;
	ret = 0;
	goto out;
oom:
	sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
out:
	X509_free(x);
	return ret;
}

/* One DER CRL; 0 or -1. */
static int add_crl(struct sk_keyring *k, const unsigned char *der, long len)
{
	const unsigned char *q = der;
	X509_CRL *c = d2i_X509_CRL(NULL, &q, len);
	int ret = -1;

	if (c && q == der + len && X509_STORE_add_crl(k->store, c)) {
		k->n_crls++;
		ret = 0;
	}
	X509_CRL_free(c);
	return ret;
}

/*
 * Each PEM block of the file open as fd (closed here; path names it) in
 * turn: kind is the block's type ("X509 CRL" for CRLs, "CERTIFICATE" for
 * anchors). Anything else is refused, a private key above all. 0 or -1
 * (d filled).
 */
static int load_blocks(struct sk_keyring *k, const char *what, const char *path,
		       int fd, const char *kind, struct sk_problems *d)
{
	BIO *b = sk_pem_read_fd(fd, what, path, d);
	int ret = -1, count = 0;

	if (!b)
		return -1;
	for (;;) {
		char *name = NULL, *header = NULL;
		unsigned char *data = NULL;
		long len = 0;
		int ok = 0;

		if (!PEM_read_bio(b, &name, &header, &data, &len)) {
			unsigned long e = ERR_peek_last_error();

			ERR_clear_error();
			if (ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
				break; /* the end */
			sk_problems_add(d, SK_PROBLEM_SETUP,
					"%s '%s': PEM block %d is damaged",
					what, path, count + 1);
			goto out;
		}
		count++;
		if (strstr(name, "PRIVATE KEY")) {
			sk_problems_add(
				d, SK_PROBLEM_SETUP,
				"%s '%s': PEM block %d is a private key; it must hold %s blocks only (remove the key, and consider it exposed)",
				what, path, count, kind);
		} else if (strcmp(name, kind) != 0) {
			char shown[SK_SHOW_MAX];

			sk_problems_add(
				d, SK_PROBLEM_SETUP,
				"%s '%s': PEM block %d is a '%s', expected %s",
				what, path, count,
				sk_show(name, strlen(name), shown), kind);
		} else if (strcmp(kind, "CERTIFICATE") == 0) {
			ok = add_anchor(k, data, len, d) == 0;
			if (!ok)
				sk_problems_add(
					d, SK_PROBLEM_SETUP,
					"%s '%s': certificate %d cannot be read",
					what, path, count);
		} else {
			ok = add_crl(k, data, len) == 0;
			if (!ok)
				sk_problems_add(
					d, SK_PROBLEM_SETUP,
					"%s '%s': CRL %d cannot be read", what,
					path, count);
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_clear_free(data, (size_t)len);
		ERR_clear_error();
		if (!ok)
			goto out;
	}
	if (count == 0) {
		sk_problems_add(d, SK_PROBLEM_SETUP, "%s '%s' holds no PEM %s",
				what, path, kind);
		goto out;
	}
	ret = 0;
out:
	BIO_free(b);
	return ret;
}

struct sk_keyring *sk_keyring_load_fd(int fd, const char *keyring_path,
				      struct sk_problems *d)
{
	struct sk_keyring *k = calloc(1, sizeof(*k));

	if (!k || !(k->path = strdup(keyring_path)) ||
	    !(k->store = X509_STORE_new())) {
		close(fd);
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		sk_keyring_free(k);
		return NULL;
	}
	if (load_blocks(k, "keyring", keyring_path, fd, "CERTIFICATE", d)) {
		sk_keyring_free(k);
		return NULL;
	}
	return k;
}

int sk_keyring_add_crls_fd(struct sk_keyring *k, int fd, const char *crl_path,
			   struct sk_problems *d)
{
	if (k->crl_path || !(k->crl_path = strdup(crl_path))) {
		close(fd);
		sk_problems_add(d, SK_PROBLEM_SYSTEM,
				k->crl_path ? "CRL file loaded twice"
					    : "out of memory");
		return -1;
	}
	return load_blocks(k, "CRL file", crl_path, fd, "X509 CRL", d);
}

struct sk_keyring *sk_keyring_load(const char *keyring_path,
				   const char *crl_path, struct sk_problems *d)
{
	int fd = sk_trusted_open("keyring", keyring_path, SK_KEYRING_MAX_BYTES,
				 d);
	struct sk_keyring *k =
		fd < 0 ? NULL : sk_keyring_load_fd(fd, keyring_path, d);

	if (!k || !crl_path)
		return k;
	fd = sk_trusted_open("CRL file", crl_path, SK_KEYRING_MAX_BYTES, d);
	if (fd < 0 || sk_keyring_add_crls_fd(k, fd, crl_path, d)) {
		sk_keyring_free(k);
		return NULL;
	}
	return k;
}

void sk_keyring_free(struct sk_keyring *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++)
		sk_cert_info_release(&k->anchors[i]);
	free(k->anchors);
	X509_STORE_free(k->store);
	free(k->path);
	free(k->crl_path);
	free(k);
}

const char *sk_keyring_path(const struct sk_keyring *k)
{
	return k->path;
}

const char *sk_keyring_crl_path(const struct sk_keyring *k)
{
	return k->crl_path;
}

size_t sk_keyring_count(const struct sk_keyring *k)
{
	return k->n;
}

const struct sk_cert_info *sk_keyring_anchor(const struct sk_keyring *k,
					     size_t i)
{
	return i < k->n ? &k->anchors[i] : NULL;
}

size_t sk_keyring_crl_count(const struct sk_keyring *k)
{
	return k->n_crls;
}

struct x509_store_st *sk_keyring_store(const struct sk_keyring *k)
{
	return k->store;
}
