/* SPDX-License-Identifier: MIT */
/* fetch.c - download of a job's package. */
#include "fetch.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/meter.h"
#include "base/util.h"
#include "report.h"
#include "slog.h"
#include "spool.h"
#include "tr50/tr50.h"

/* Tries in a row that moved no byte before the download is given up. */
#define NET_TRIES 10
/* Complete downloads failing the size or crc32 check before giving up. */
#define VERIFY_TRIES 3

int supd_fetch_start(struct supd_ctx *ctx, struct supd_job *j)
{
	/* Bytes of another package of the same name are no prefix of this
	 * one. */
	supd_spool_remove(ctx, j);
	j->phase = SUPD_PH_DOWNLOADING;
	if (supd_job_commit(j))
		return SUPD_STEP_RETRY;
	supd_progress(ctx, j, "downloading '%s'", j->name);
	return SUPD_STEP_NEXT;
}

/* Bytes free for us in dir; false with errno on failure. */
static bool free_bytes(const char *dir, uint64_t *out)
{
	struct statvfs sv;

	if (statvfs(dir, &sv) != 0)
		return false;
	if (sv.f_frsize && sv.f_bavail > UINT64_MAX / sv.f_frsize)
		*out = UINT64_MAX;
	else
		*out = (uint64_t)sv.f_bavail * sv.f_frsize;
	return true;
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) ?
		       (uint64_t)st.st_size : 0;
}

/* A try that failed and may work later (network, portal, local I/O). */
static int try_failed(struct supd_ctx *ctx, struct supd_job *j,
		      bool progress, const char *why)
{
	if (progress) {
		j->net_failures = 0;
		j->retries = 0; /* come back soon: the link works */
	} else {
		j->net_failures++;
	}
	if (j->net_failures >= NET_TRIES)
		return supd_finish(ctx, j, SUPD_ACK_DOWNLOAD, NULL,
				   "download of '%s' failed %d times in a row: %s",
				   j->name, NET_TRIES, why);
	supd_warn("job '%s': download of '%s' will be retried: %s", j->id,
		  j->name, why);
	supd_job_commit(j);
	return SUPD_STEP_RETRY;
}

/* A download that is complete but wrong (or that the portal's reply made
 * useless): start over from byte 0. */
static int bad_download(struct supd_ctx *ctx, struct supd_job *j,
			const char *part, const char *why)
{
	if (unlink(part) != 0 && errno != ENOENT)
		supd_warn("cannot remove '%s': %s", part, strerror(errno));
	j->verify_failures++;
	if (j->verify_failures >= VERIFY_TRIES)
		return supd_finish(ctx, j, SUPD_ACK_DOWNLOAD, NULL,
				   "download of '%s' failed verification %d times: %s",
				   j->name, VERIFY_TRIES, why);
	supd_warn("job '%s': download of '%s' discarded, will be retried: %s",
		  j->id, j->name, why);
	supd_job_commit(j);
	return SUPD_STEP_RETRY;
}

/* Download progress goes to the log and to the portal (mailbox.update)
 * at most once per tenth of the file or per PROGRESS_EVERY_MS, whichever
 * comes first: a campaign of many gateways must not flood the portal. */
#define PROGRESS_EVERY_MS 30000

struct progress {
	struct supd_ctx *ctx;
	struct supd_job *j;
	int tenth;	   /* last tenth reported */
	uint64_t start;	   /* bytes there when this try began */
	uint64_t last;	   /* bytes at the last note */
	long long t0, last_ms;
};

static void on_progress(void *data, uint64_t done, uint64_t total)
{
	struct progress *p = data;
	int tenth = total ? (int)(done * 10 / total) : 10;
	long long now = sk_now_ms();
	char d[SK_METER_BYTES_LEN], t[SK_METER_BYTES_LEN], pace[64];

	/* The end has a note of its own, once verified. */
	if (done >= total || done == p->last ||
	    (tenth <= p->tenth && now - p->last_ms < PROGRESS_EVERY_MS))
		return;
	p->tenth = tenth;
	p->last = done;
	p->last_ms = now;
	sk_meter_pace(done - p->start, total - p->start, now - p->t0, pace,
		      sizeof(pace));
	supd_progress(p->ctx, p->j, "downloading '%s': %d%% (%s of %s), %s",
		      p->j->name, (int)(done * 100 / total),
		      sk_meter_bytes(done, d), sk_meter_bytes(total, t), pace);
}

/* Is there room for the rest of the file, with min_free_mb to spare? If
 * not, *step says what the job does next. */
static bool space_ok(struct supd_ctx *ctx, struct supd_job *j, uint64_t need,
		     int *step)
{
	uint64_t avail, keep = ctx->conf->min_free_mb * 1024 * 1024;
	char *why;

	if (!free_bytes(ctx->conf->download_dir, &avail)) {
		why = sk_asprintf("cannot get the free space of '%s': %s",
				  ctx->conf->download_dir, strerror(errno));
		*step = try_failed(ctx, j, false, why ? why : "statvfs failed");
		free(why);
		return false;
	}
	if (avail >= need && avail - need >= keep)
		return true;
	*step = supd_finish(ctx, j, SUPD_ACK_NO_SPACE, NULL,
			    "not enough space in '%s' for '%s': %" PRIu64 " bytes to download, %" PRIu64 " free, %llu MiB must stay free (min_free_mb)",
			    ctx->conf->download_dir, j->name, need, avail,
			    ctx->conf->min_free_mb);
	return false;
}

static int verify(struct supd_ctx *ctx, struct supd_job *j, const char *part,
		  const char *final, const struct supd_tr50_file *f)
{
	uint64_t size = file_size(part);
	uint32_t crc = 0;
	char *why = NULL;
	int r;

	if (size != f->size) {
		why = sk_asprintf("'%s' holds %" PRIu64 " bytes, the portal says %" PRIu64,
				  part, size, f->size);
		r = bad_download(ctx, j, part, why ? why : "size mismatch");
		goto out;
	}
	r = supd_crc32_file(part, &crc);
	if (r) {
		why = sk_asprintf("cannot read '%s': %s", part, strerror(-r));
		r = try_failed(ctx, j, false, why ? why : "read error");
		goto out;
	}
	if (crc != f->crc32) {
		why = sk_asprintf("crc32 of '%s' is %08" PRIx32 ", the portal says %08" PRIx32,
				  part, crc, f->crc32);
		r = bad_download(ctx, j, part, why ? why : "crc32 mismatch");
		goto out;
	}
	if (rename(part, final) != 0) {
		why = sk_asprintf("cannot rename '%s' to '%s': %s", part, final,
				  strerror(errno));
		r = try_failed(ctx, j, false, why ? why : "rename failed");
		goto out;
	}
	sk_fsync_dir(ctx->conf->download_dir);
	j->phase = SUPD_PH_INSTALLING;
	j->net_failures = 0;
	if (supd_job_commit(j)) {
		r = SUPD_STEP_RETRY;
		goto out;
	}
	supd_progress(ctx, j, "downloaded '%s' (%" PRIu64 " bytes, crc32 %08" PRIx32 "); installing",
		      j->name, f->size, f->crc32);
	r = SUPD_STEP_NEXT;
out:
	free(why);
	return r;
}

int supd_fetch_step(struct supd_ctx *ctx, struct supd_job *j)
{
	struct supd_tr50_file f = { 0 };
	struct supd_tr50_err err = { 0 };
	struct progress pd = { .ctx = ctx, .j = j };
	char *part = NULL, *final = NULL;
	uint64_t have;
	int r;

	if (supd_spool_paths(ctx->conf, j->name, &part, &final))
		return SUPD_STEP_RETRY;
	/* A new file id for every try: they are single-use and expire. */
	r = supd_tr50_file_get(ctx->tr50, j->name, &f, &err);
	if (r == SUPD_TR50_ECMD) {
		r = supd_finish(ctx, j, SUPD_ACK_DOWNLOAD, NULL,
				"the portal refused file.get of '%s': %s",
				j->name, err.message ? err.message : "");
		goto out;
	}
	if (r != SUPD_TR50_OK) {
		r = try_failed(ctx, j, false,
			       err.message ? err.message : "file.get failed");
		goto out;
	}
	if (f.size == 0) {
		r = supd_finish(ctx, j, SUPD_ACK_DOWNLOAD, NULL,
				"the portal lists '%s' as an empty file",
				j->name);
		goto out;
	}
	have = file_size(part);
	if (have > f.size) {
		unlink(part);
		have = 0;
	}
	if (have < f.size) {
		if (!space_ok(ctx, j, f.size - have, &r))
			goto out;
		if (have)
			supd_info("job '%s': resuming the download of '%s' at byte %" PRIu64 " of %" PRIu64,
				  j->id, j->name, have, f.size);
		pd.tenth = (int)(have * 10 / f.size);
		pd.start = pd.last = have;
		pd.t0 = pd.last_ms = sk_now_ms();
		r = supd_tr50_download(ctx->tr50, f.file_id, part, f.size,
				     on_progress, &pd, &err);
		if (r == SUPD_TR50_EDATA) {
			r = bad_download(ctx, j, part,
					 err.message ? err.message : "bad reply");
			goto out;
		}
		if (r != SUPD_TR50_OK) {
			r = try_failed(ctx, j, file_size(part) > have,
				       err.message ? err.message : "download failed");
			goto out;
		}
	}
	r = verify(ctx, j, part, final, &f);
out:
	supd_tr50_file_release(&f);
	supd_tr50_err_release(&err);
	free(part);
	free(final);
	return r;
}
