/* SPDX-License-Identifier: MIT */
/* sign.c - re-sign a SUP: same manifest and payloads, new manifest.sig. */
#include "package/sign.h"

#include <stdlib.h>
#include <string.h>

#include "package/supfile.h"
#include "package/suptar.h"
#include "verify/signature.h"

#define COPY_CHUNK (64 * 1024)

/* Payload i, streamed and verified again on the way out. */
static int copy_payload(const struct sk_supfile *f, size_t i,
			struct sk_suptar *w, char *buf, struct sk_problems *d)
{
	const struct sk_payload_decl *p = &f->manifest.payloads[i];
	struct sk_payload_stream *st = NULL;
	char *err = NULL;
	int ret = -1;

	if (sk_payload_stream_open(f, i, &st, &err) ||
	    sk_suptar_entry(w, p->name, p->size))
		goto out;
	for (;;) {
		int64_t n = sk_payload_stream_read(st, buf, COPY_CHUNK, &err);

		if (n < 0)
			goto out;
		if (n == 0)
			break;
		if (sk_suptar_write(w, buf, (size_t)n))
			goto out;
	}
	ret = 0;
out:
	if (err)
		sk_problems_add(d, SK_PROBLEM_PACKAGE, "%s: %s", f->path, err);
	free(err);
	sk_payload_stream_close(st);
	return ret;
}

/* The new manifest.sig: made by s, or the one given, checked. */
static int new_signature(const struct sk_supfile *f, const struct sk_signer *s,
			 const unsigned char *given, size_t given_len,
			 unsigned char **sig, size_t *sig_len,
			 struct sk_problems *d)
{
	struct sk_sig_result r;
	char *err = NULL;
	int ret = -1;

	if (s) {
		ret = sk_signer_sign(s, f->manifest_text, f->manifest_len,
				     sk_signing_time(), sig, sig_len, &err);
		if (ret)
			sk_problems_add(d, SK_PROBLEM_SETUP,
					"cannot sign '%s': %s", f->path,
					err ? err : "out of memory");
		free(err);
		return ret;
	}
	if (sk_signature_check_match(f->manifest_text, f->manifest_len, given,
				     given_len, &r) == 0 &&
	    (*sig = malloc(given_len))) {
		memcpy(*sig, given, given_len);
		*sig_len = given_len;
		ret = 0;
	} else {
		sk_problems_add(d, SK_PROBLEM_PACKAGE,
				"the signature given cannot sign '%s': %s",
				f->path, r.reason ? r.reason : "out of memory");
	}
	sk_sig_result_release(&r);
	return ret;
}

int sk_sign_package(const char *in, const char *out, const struct sk_signer *s,
		    const unsigned char *given, size_t given_len,
		    struct sk_problems *d)
{
	struct sk_supfile f;
	struct sk_suptar w;
	unsigned char *sig = NULL;
	size_t sig_len = 0;
	char *buf = NULL;
	int ret = -1;

	memset(&w, 0, sizeof(w));
	/* The old signature, if any, is dropped unread. */
	if (sk_supfile_open(&f, in, NULL, NULL, SK_SUPFILE_NO_SIG, NULL, d) != 0 ||
	    new_signature(&f, s, given, given_len, &sig, &sig_len, d))
		goto out;
	buf = malloc(COPY_CHUNK);
	if (!buf) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		goto out;
	}
	if (sk_suptar_open(&w, out, d) ||
	    sk_suptar_entry(&w, SK_MANIFEST_NAME, f.manifest_len) ||
	    sk_suptar_write(&w, f.manifest_text, f.manifest_len) ||
	    sk_suptar_entry(&w, SK_SIGNATURE_NAME, sig_len) ||
	    sk_suptar_write(&w, sig, sig_len))
		goto out;
	for (size_t i = 0; i < f.manifest.n_payloads; i++)
		if (copy_payload(&f, i, &w, buf, d))
			goto out;
	if (sk_suptar_commit(&w))
		goto out;
	ret = 0;
out:
	sk_suptar_release(&w);
	sk_supfile_close(&f);
	free(sig);
	free(buf);
	return ret;
}
