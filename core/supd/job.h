/* SPDX-License-Identifier: MIT */
/*
 * job.h - the durable state of one campaign message: a JSON file per
 * message id under <state_dir>/supd/jobs/ (and, once the install ended, a
 * copy of its confirmation.json under <state_dir>/supd/records/ with the
 * same file name), rewritten durably (temp file,
 * fsync, rename, fsync of the directory) at every step, so that a restart
 * of supd, a crash or a reboot continues the job where it was and never
 * acks a message twice (docs/tr50.md, "Exactly once").
 *
 * Phases: received -> downloading -> installing -> reporting -> done.
 * Messages that are answered at once (busy, bad request) start in
 * reporting.
 */
#ifndef SUPD_JOB_H
#define SUPD_JOB_H

#include <stdbool.h>
#include <stddef.h>

struct json_object;

#define SUPD_SUBDIR "supd"
#define SUPD_JOBS "jobs"
#define SUPD_RECORDS "records"
/* Longest message id supd keeps a job for (the file name holds it). */
#define SUPD_ID_MAX 120

enum supd_phase {
	SUPD_PH_RECEIVED = 0,
	SUPD_PH_DOWNLOADING,
	SUPD_PH_INSTALLING,
	SUPD_PH_REPORTING,
	SUPD_PH_DONE,
};

struct supd_job {
	/* Saved in the job file. */
	char *id;
	char *name;	     /* package file name on the portal, or NULL */
	long long timeout_s; /* 0: none */
	long long received;  /* wall clock, seconds since the epoch */
	/* How long the job has been under way, counted on the monotonic
	 * clock and carried across supd restarts: a wall clock that jumps
	 * (a gateway without RTC setting its time at boot) must not time a
	 * job out. Time while supd is down is not counted. */
	long long elapsed_ms;
	enum supd_phase phase;
	/* Download tries in a row that moved no byte; complete downloads
	 * that failed the size or crc32 check. */
	unsigned net_failures;
	unsigned verify_failures;
	/* sup wrote this job's record (it got past preflight). Until then,
	 * the sup process started for the job (0: none), its start time in
	 * clock ticks after boot and the id of that boot. */
	bool sup_started;
	long long sup_pid;
	unsigned long long sup_start;
	char *boot_id;
	/* The answer, from phase reporting on: ack errorCode, errorMessage
	 * (NULL for success) and params (owned, or NULL). */
	int code;
	char *message;
	struct json_object *params;
	bool have_record; /* a copy of the final confirmation is kept */
	long long mono_ms; /* not saved: when elapsed_ms was brought up to date */
	bool audit_sent;
	bool uploaded; /* or given up */
	unsigned upload_failures;
	unsigned ack_refusals;
	long long finished; /* wall clock of "done", 0 before */

	/* In memory only. */
	char *path;	   /* the job file */
	char *record_path; /* the kept copy of the confirmation */
	long long next_ms; /* monotonic ms of the next step */
	unsigned retries;  /* transient failures in a row (backoff) */
	unsigned record_misses;
	size_t audit_next; /* audit messages already published */
	unsigned audit_failures;
	/* The sup this process started and still waits for (0: none), its
	 * output pipe (-1: none) and the output so far (at most 16 KiB). */
	int child_pid;
	int child_fd;
	char *out;
	size_t out_len;
	bool noted_suspend;
};

/* The file name of a message id: "m-ID.json" for ids of [A-Za-z0-9_-.]
 * not starting with '.', else "x-HEX.json". -EINVAL for an empty id, one
 * longer than SUPD_ID_MAX or one with a byte that is not printable ASCII;
 * else 0 with *out malloc'd. */
int supd_job_file(const char *id, char **out);
/* The message id a job file name stands for (malloc'd), NULL if the name
 * is not one of a job file. */
char *supd_job_id_of(const char *file_name);
bool supd_job_is_file(const char *file_name);

/* A new job (phase received, received now) for id under supd_dir
 * (<state_dir>/supd); NULL on allocation failure or an invalid id. Not
 * saved yet. */
struct supd_job *supd_job_new(const char *supd_dir, const char *id);
/* Write the job file durably; 0 or -errno. */
int supd_job_save(struct supd_job *j);
/* Bring elapsed_ms up to date and return it in seconds. */
long long supd_job_elapsed_s(struct supd_job *j);
/* supd_job_save(), logging a failure (what, where, why). */
int supd_job_commit(struct supd_job *j);
/* Read the job file file_name of supd_dir: 0, -ENOENT, -ENOMEM, or
 * -EINVAL with *why. */
int supd_job_load(const char *supd_dir, const char *file_name,
		  struct supd_job **out, const char **why);
void supd_job_free(struct supd_job *j);

/* Set the final answer and move to reporting (not saved). message may be
 * NULL (success); params is taken over (may be NULL). Returns 0 or
 * -ENOMEM. */
int supd_job_set_result(struct supd_job *j, int code, const char *message,
			struct json_object *params);

const char *supd_phase_name(enum supd_phase p);

#endif
