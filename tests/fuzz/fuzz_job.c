/* SPDX-License-Identifier: MIT */
/*
 * fuzz_job.c - supd's job files (supd_job_load()) and the mapping
 * between message ids and job file names (supd_job_file(),
 * supd_job_id_of()), which turns a portal's message id into a file name.
 *
 * Input: the job file, written as STATE/supd/jobs/m-fuzz.json. Its first
 * line (up to 200 bytes) is also taken as a message id and as a file
 * name.
 *
 * Checked: a job that loads is saved and loaded again unchanged; an id
 * that gets a file name gets it back from that name, and the name is one
 * plain file name (no '/', not "." or ".."); a name that stands for an id
 * stands for a valid one. Anything else is a finding (abort).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzzutil.h"
#include "job.h"

static char *supd_dir, *job_path;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *jobs;

	(void)argc;
	(void)argv;
	supd_dir = fz_join(fz_tmpdir(), SUPD_SUBDIR);
	jobs = fz_join(supd_dir, SUPD_JOBS);
	fz_mkdirs(jobs);
	job_path = fz_join(jobs, "m-fuzz.json");
	free(jobs);
	return 0;
}

static void finding(const char *what, const char *detail)
{
	fprintf(stderr, "finding: %s: '%s'\n", what, detail);
	abort();
}

static int same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static void names(const uint8_t *data, size_t size)
{
	size_t len = 0;
	char *line, *file = NULL, *id;

	while (len < size && len < 200 && data[len] != '\n')
		len++;
	line = fz_strndup(data, len);
	if (supd_job_file(line, &file) == 0) {
		if (!file || strchr(file, '/') || !strcmp(file, ".") ||
		    !strcmp(file, ".."))
			finding("an id gets an unsafe file name", line);
		id = supd_job_id_of(file);
		if (!id || strcmp(id, line) != 0)
			finding("an id does not come back from its file name",
				line);
		if (!supd_job_is_file(file))
			finding("a job file name is not recognised", file);
		free(id);
	}
	free(file);
	id = supd_job_id_of(line);
	if (id) {
		/* "x-61.json" names id "a" as well as "m-a.json" does: only
		 * the id must be one supd would make a job of. */
		if (supd_job_file(id, &file) != 0)
			finding("a job file name stands for an invalid id",
				line);
		free(file);
		free(id);
	}
	free(line);
}

static void round_trip(struct supd_job *j)
{
	struct supd_job *k;
	const char *why = NULL;

	if (supd_job_save(j) != 0)
		fz_die("cannot save the job again");
	if (supd_job_load(supd_dir, "m-fuzz.json", &k, &why) != 0)
		finding("a saved job does not load", why ? why : "");
	if (!same(j->id, k->id) || !same(j->name, k->name) ||
	    !same(j->boot_id, k->boot_id) || !same(j->message, k->message) ||
	    j->phase != k->phase || j->timeout_s != k->timeout_s ||
	    j->received != k->received || j->code != k->code ||
	    j->sup_pid != k->sup_pid || j->sup_start != k->sup_start ||
	    j->net_failures != k->net_failures ||
	    j->upload_failures != k->upload_failures ||
	    j->have_record != k->have_record || j->uploaded != k->uploaded ||
	    j->finished != k->finished ||
	    !json_object_equal(j->params, k->params))
		finding("a job changed on the round trip", j->id);
	supd_job_free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct supd_job *j = NULL;
	const char *why = NULL;

	names(data, size);
	fz_write(job_path, data, size, 0600);
	if (supd_job_load(supd_dir, "m-fuzz.json", &j, &why) != 0) {
		if (!why)
			abort(); /* refused without saying why */
		return 0;
	}
	supd_phase_name(j->phase);
	round_trip(j);
	supd_job_free(j);
	return 0;
}
