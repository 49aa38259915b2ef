/* SPDX-License-Identifier: MIT */
/*
 * slog.h - supd's log lines on stderr (the journal under systemd):
 * "supd: error: ...", "supd: warning: ..." and "supd: ...". Callers quote
 * text from the portal with sk_show() and never pass a secret.
 */
#ifndef SUPD_SLOG_H
#define SUPD_SLOG_H

void supd_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void supd_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void supd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
