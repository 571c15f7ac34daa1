/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bench_daemon.h
 * What every benchmark needs to run a throwaway csucard: start it (killed
 * with its parent), wait for its socket, pin it, stop it, show its log,
 * remove its directory, find the binary, and a monotonic clock.
 */
#ifndef BENCH_DAEMON_H
#define BENCH_DAEMON_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/** Most extra csucard arguments bench_daemon_start passes on. */
#define BENCH_DAEMON_MAX_ARGS 8

double bench_now(void);
void bench_sleep(double seconds);

/** fork+exec `csucard --state STATE --socket SOCK --workers 2 EXTRA...`, output to @p log. */
pid_t bench_daemon_start(const char *csucard, const char *state, const char *sock, const char *log,
                         const char *const *extra, int n_extra);

/** Wait up to @p limit s for the socket while the daemon lives (*pid = -1 once reaped). */
bool bench_daemon_wait_socket(pid_t *pid, const char *sock, double limit);

/** SIGTERM and wait 10 s (then SIGKILL); true when it exited 0. */
bool bench_daemon_stop(pid_t pid);

/** Set the CPU affinity of every thread of @p pid. */
bool bench_set_process_affinity(pid_t pid, const cpu_set_t *set);

void bench_show_log(const char *log);

/** rm -rf @p dir. */
void bench_remove_tree(const char *dir);

/** @p given resolved, or csucard next to this executable; checked executable. */
bool bench_find_csucard(const char *given, char *out, size_t len);

#endif
