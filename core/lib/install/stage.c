/* SPDX-License-Identifier: MIT */
/* stage.c - the stage pass and the table of what it staged (stage.h). */
#include "install/stage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "install/host.h"

int sk_stage_open(struct sk_stage *s, const char *state, size_t n_payloads)
{
	struct stat st;
	int r;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->dir = sk_path_join(state, SK_STAGE_DIR_NAME);
	s->verified = calloc(n_payloads ? n_payloads : 1, sizeof(*s->verified));
	s->n_payloads = n_payloads;
	if (!s->dir || !s->verified)
		return -ENOMEM;
	/* What an earlier run staged is never reused. */
	r = sk_remove_tree(s->dir);
	if (r && r != -ENOENT)
		return r;
	if (mkdir(s->dir, 0700) != 0)
		return -errno;
	s->fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->fd < 0 || fstat(s->fd, &st) != 0)
		return -errno;
	/* Whatever the umask said. */
	if (fchmod(s->fd, 0700) != 0)
		return -errno;
	s->dev = st.st_dev;
	return 0;
}

void sk_stage_close(struct sk_stage *s)
{
	int r;

	if (s->fd >= 0)
		close(s->fd);
	if (s->dir) {
		r = sk_remove_tree(s->dir);
		if (r && r != -ENOENT)
			fprintf(stderr, "sup: warning: cannot remove '%s': %s\n",
				s->dir, strerror(-r));
	}
	for (size_t i = 0; i < s->n; i++) {
		free(s->e[i].gw);
		free(s->e[i].name);
	}
	free(s->e);
	free(s->dir);
	free(s->verified);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

int sk_stage_add(struct sk_stage *s, size_t action, const char *gw,
		 const char *name, dev_t dev, ino_t ino)
{
	struct sk_staged *e;

	/* A name the host made: one component, never "." or "..". */
	if (!*name || strchr(name, '/') || name[0] == '.')
		return -EINVAL;
	e = realloc(s->e, (s->n + 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	s->e = e;
	e = &s->e[s->n];
	e->action = action;
	e->gw = strdup(gw);
	e->name = strdup(name);
	e->dev = dev;
	e->ino = ino;
	if (!e->gw || !e->name) {
		free(e->gw);
		free(e->name);
		return -ENOMEM;
	}
	s->n++;
	return 0;
}

void sk_stage_verified(struct sk_stage *s, size_t payload)
{
	if (payload < s->n_payloads)
		s->verified[payload] = true;
}

const struct sk_staged *sk_stage_find(const struct sk_stage *s,
				      size_t action, const char *gw)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (s->e[i].action == action && strcmp(s->e[i].gw, gw) == 0)
			return &s->e[i];
	return NULL;
}

void sk_stage_drop(struct sk_stage *s, size_t action)
{
	for (size_t i = 0; s->fd >= 0 && i < s->n; i++) {
		int r;

		if (s->e[i].action != action)
			continue;
		r = sk_remove_tree_at(s->fd, s->e[i].name);
		if (r && r != -ENOENT)
			fprintf(stderr, "sup: warning: cannot remove '%s/%s': %s\n",
				s->dir, s->e[i].name, strerror(-r));
	}
}

/* The problem class of a failed stage() (see stage.h). */
static enum sk_problem_class stage_class(const char *code)
{
	if (!code)
		return SK_PROBLEM_TARGET;
	if (strcmp(code, "payload_integrity") == 0)
		return SK_PROBLEM_PACKAGE;
	if (strcmp(code, "internal") == 0 || strcmp(code, "no_space") == 0)
		return SK_PROBLEM_SYSTEM;
	return SK_PROBLEM_TARGET;
}

static int stage_action(struct sk_stage *s, const struct sk_env *e,
			const struct sk_supfile *f, size_t i,
			const struct sk_action_type *t, struct sk_problems *d)
{
	const struct sk_action_decl *a = &f->manifest.actions[i];
	struct sk_call_result res;
	struct sk_call call;
	bool ok;

	sk_call_init(&call, SK_PHASE_STAGE, e, f, i, t);
	call.stage = s;
	/* Its failure is reported as a problem of the package, once. */
	call.quiet = true;
	sk_call_run(&call, &res);
	/* A payload that does not match reads as it would in preflight. */
	if (!res.ok && stage_class(res.code) == SK_PROBLEM_PACKAGE)
		sk_problems_add(d, SK_PROBLEM_PACKAGE, "%s: %s", f->path,
				res.message ? res.message : "unknown error");
	else if (!res.ok)
		sk_problems_add(d, stage_class(res.code),
				"action '%s': staging failed: %s", a->id,
				res.message ? res.message : "unknown error");
	ok = res.ok;
	sk_call_result_release(&res);
	return ok ? 0 : -1;
}

int sk_stage_run(struct sk_stage *s, const struct sk_env *e,
		 const struct sk_supfile *f,
		 const struct sk_action_type **types, const bool *skip,
		 struct sk_problems *d)
{
	const struct sk_manifest *m = &f->manifest;
	size_t staged = 0;

	for (size_t i = 0; i < m->n_actions; i++) {
		if ((skip && skip[i]) || !types[i] || !types[i]->ops.stage)
			continue;
		staged++;
		if (stage_action(s, e, f, i, types[i], d) != 0)
			return -1;
	}
	/* One sync for everything staged, not one per file: it must be on
	 * the disk before a rename makes it the target. */
	if (staged && s->fd >= 0 && syncfs(s->fd) != 0) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "cannot sync '%s': %s",
				s->dir, strerror(errno));
		return -1;
	}
	/* What no stage() read to its end: verified here, before anything
	 * runs, as a package without staging always was. */
	for (size_t i = 0; f->deferred && i < m->n_payloads; i++) {
		char *err = NULL;

		if (!f->deferred[i] || s->verified[i])
			continue;
		if (sk_payload_verify(f, i, &err) != 0) {
			sk_problems_add(d, SK_PROBLEM_PACKAGE, "%s: %s",
					f->path, err ? err : "out of memory");
			free(err);
			return -1;
		}
	}
	return 0;
}
