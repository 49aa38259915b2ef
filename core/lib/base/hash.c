/* SPDX-License-Identifier: MIT */
/* hash.c - SHA-256 through OpenSSL EVP. */
#include "base/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#define SK_HASH_CHUNK (64 * 1024)

struct sk_sha256 {
	EVP_MD_CTX *ctx;
	/* libcrypto failed: the digest is unusable and final gives "". */
	bool failed;
};

struct sk_sha256 *sk_sha256_new(void)
{
	struct sk_sha256 *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || !EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(h->ctx);
		free(h);
		return NULL;
	}
	return h;
}

void sk_sha256_update(struct sk_sha256 *h, const void *data, size_t len)
{
	if (h->failed || len == 0)
		return;
	if (!EVP_DigestUpdate(h->ctx, data, len))
		h->failed = true;
}

void sk_hex(const unsigned char *bytes, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 0xf];
	}
	out[2 * len] = '\0';
}

void sk_sha256_final_hex(struct sk_sha256 *h,
			 char hex[SK_SHA256_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	hex[0] = '\0';
	if (h->failed || !EVP_DigestFinal_ex(h->ctx, md, &len) ||
	    len * 2 != SK_SHA256_HEX_LEN) {
		h->failed = true;
		return;
	}
	sk_hex(md, len, hex);
}

void sk_sha256_reset(struct sk_sha256 *h)
{
	h->failed = !EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL);
}

void sk_sha256_free(struct sk_sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int sk_sha256_fd(int fd, char hex[SK_SHA256_HEX_LEN + 1],
		 unsigned long long *size)
{
	struct sk_sha256 *h;
	unsigned long long total = 0;
	char *buf;
	int ret = 0;

	hex[0] = '\0';
	h = sk_sha256_new();
	buf = malloc(SK_HASH_CHUNK);
	if (!h || !buf) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf, SK_HASH_CHUNK);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		if (n == 0)
			break;
		sk_sha256_update(h, buf, (size_t)n);
		total += (unsigned long long)n;
	}
	sk_sha256_final_hex(h, hex);
	if (hex[0] == '\0') {
		ret = -EIO;
		goto out;
	}
	if (size)
		*size = total;
out:
	free(buf);
	sk_sha256_free(h);
	return ret;
}

int sk_sha256_file(const char *path, char hex[SK_SHA256_HEX_LEN + 1],
		   unsigned long long *size)
{
	struct stat st;
	int fd, ret;

	hex[0] = '\0';
	/* O_NONBLOCK: opening a FIFO must not hang; it is refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	ret = sk_sha256_fd(fd, hex, size);
out:
	close(fd);
	return ret;
}

int sk_sha256_hex_valid(const char *s)
{
	size_t i;

	if (!s)
		return 0;
	for (i = 0; i < SK_SHA256_HEX_LEN; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return 0;
	}
	return s[SK_SHA256_HEX_LEN] == '\0';
}

void sk_sha256_hex_of(const void *data, size_t len,
		      char hex[SK_SHA256_HEX_LEN + 1])
{
	struct sk_sha256 *h = sk_sha256_new();

	hex[0] = '\0';
	if (!h)
		return;
	sk_sha256_update(h, data, len);
	sk_sha256_final_hex(h, hex);
	sk_sha256_free(h);
}
