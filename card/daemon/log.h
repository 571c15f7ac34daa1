/* SPDX-License-Identifier: Apache-2.0 */
/** @file log.h  The daemon's log: one line per event on stderr, with a level. */
#ifndef CSUCARD_LOG_H
#define CSUCARD_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/** Lines above @p level are dropped (default LOG_INFO). */
void log_set_level(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
