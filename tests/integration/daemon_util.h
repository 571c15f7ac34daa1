/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file daemon_util.h
 * Shared helpers of the integration tests: start the real csucard daemon on
 * a private temporary directory, wait for its socket, stop or kill it,
 * restart it, spawn helper processes, and small wrappers of the verbs.
 *
 * Every daemon and helper process started here is killed at the latest
 * when the test exits: by an atexit handler on a normal exit, by the
 * watchdog on a hang (SIGALRM), and by PR_SET_PDEATHSIG (SIGKILL) when the
 * test process dies any other way.  Temporary directories are removed by
 * the atexit handler.
 */
#ifndef IT_DAEMON_UTIL_H
#define IT_DAEMON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "csulincl.h"

/* ---- checks ------------------------------------------------------------ */

extern int it_failures;

/** Log a failed expectation and count it; the test goes on. */
#define CHECK(cond, ...)                                                                                        \
    do {                                                                                                        \
        if (!(cond)) {                                                                                          \
            it_failures++;                                                                                      \
            it_log("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                                              \
            it_log_more(__VA_ARGS__);                                                                           \
        }                                                                                                       \
    } while (0)

/** A failed expectation after which the test cannot go on: exit(1) (cleanup runs). */
#define REQUIRE(cond, ...)                                                                                      \
    do {                                                                                                        \
        if (!(cond)) {                                                                                          \
            it_failures++;                                                                                      \
            it_log("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                                              \
            it_log_more(__VA_ARGS__);                                                                           \
            it_finish();                                                                                        \
        }                                                                                                       \
    } while (0)

/** Expect a verb's return/reason pair. */
#define CHECK_CODES(rc, rs, want_rc, want_rs, what)                                                             \
    CHECK((rc) == (want_rc) && (rs) == (want_rs), "%s: got %ld/%ld, want %d/%d", (what), (long)(rc), (long)(rs), \
          (int)(want_rc), (int)(want_rs))

/**
 * A known defect of code outside the tests (reported, not yet fixed): logged
 * as "KNOWN BUG <id>", counted as a failure only when IT_STRICT=1 is set in
 * the environment.  When the defect is fixed, turn the KNOWN_BUG into CHECK.
 */
#define KNOWN_BUG(cond, id, ...)                                                                                \
    do {                                                                                                        \
        if (!(cond)) {                                                                                          \
            it_known_bug(id, __FILE__, __LINE__);                                                               \
            it_log_more(__VA_ARGS__);                                                                           \
        }                                                                                                       \
    } while (0)

void it_known_bug(const char *id, const char *file, int line);

void it_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Rest of a CHECK message; ends the line. */
void it_log_more(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * Start a test: name for the log, watchdog of @p watchdog_seconds (the
 * process kills its children and exits 1 when it fires), SIGPIPE left at its
 * default action so that a stray SIGPIPE fails the test.
 */
void it_begin(const char *name, unsigned watchdog_seconds);

/** Print the verdict, clean up, exit 0 when nothing failed, else 1. */
_Noreturn void it_finish(void);

/* ---- time -------------------------------------------------------------- */

/** CLOCK_MONOTONIC in nanoseconds. */
int64_t it_now_ns(void);
void it_sleep_ms(unsigned ms);
static inline double it_ms(int64_t ns)
{
    return (double)ns / 1e6;
}

/* ---- the daemon --------------------------------------------------------- */

struct it_daemon {
    pid_t pid;      /* 0 when not running */
    char dir[128];  /* private temporary directory (mkdtemp, 0700) */
    char state[160]; /* dir/state: the card's state directory (not created by us) */
    char sock[160];  /* dir/card.sock */
    char log[160];   /* dir/csucard.log: the daemon's stdout and stderr */
};

/** Path of the csucard binary under test. */
const char *it_csucard_path(void);

/**
 * Make a private temporary directory (in $TMPDIR if the socket path stays
 * short, else /tmp) and fill in the paths.  Registered for removal at exit.
 */
void it_daemon_init(struct it_daemon *d);

/**
 * Spawn csucard --state @p state --socket @p sock plus @p extra (NULL
 * terminated, may be NULL), output appended to @p log.  Async-signal-safe
 * between fork and exec, so callable while other threads run.  The process
 * is registered for killing at exit.
 * @return the pid, or -1.
 */
pid_t it_spawn_csucard(const char *state, const char *sock, const char *log, const char *const extra[]);

/**
 * Spawn the daemon of @p d with @p extra arguments and wait until its socket
 * accepts connections (at most @p timeout_ms).
 * @return 0; -1 if it exited or did not listen in time (then it is killed).
 */
int it_daemon_start(struct it_daemon *d, const char *const extra[], int timeout_ms);

/**
 * True once a connect() to @p sock succeeds; false when @p pid (if > 0)
 * exited or @p timeout_ms passed.
 */
bool it_wait_socket(const char *sock, pid_t pid, int timeout_ms);

/** One connect() attempt to @p sock. */
/** A connected Unix-socket fd to @p sock, or -1. */
int it_connect_unix(const char *sock);

bool it_socket_accepts(const char *sock);

/**
 * Wait at most @p timeout_ms for @p pid to exit.
 * @return true with its wait status in @p status, false on timeout.
 */
bool it_wait_exit(pid_t pid, int timeout_ms, int *status);

/**
 * Send @p sig and wait up to @p timeout_ms for the exit; if the daemon does
 * not exit, SIGKILL it.
 * @return true when it exited within the time (status in @p status).
 */
bool it_daemon_stop(struct it_daemon *d, int sig, int timeout_ms, int *status);


/** Print the daemon's log (for failures). */
void it_daemon_dump_log(const struct it_daemon *d);

/** Forget a pid that was reaped by the caller. */
void it_forget_pid(pid_t pid);

/* ---- helper processes -------------------------------------------------- */

/**
 * Run this test binary again (/proc/self/exe) with @p argv (argv[0]
 * included, NULL terminated) and @p env_set pairs "NAME=VALUE" added to the
 * environment (NULL terminated, may be NULL); stdout to @p out_path (NULL:
 * inherited).  Registered for killing at exit.
 */
pid_t it_spawn_self(char *const argv[], char *const env_set[], const char *out_path);

/** Read a whole file; NULL on error.  Free with free(). */
char *it_read_file(const char *path, size_t *len);

/* ---- verbs --------------------------------------------------------------- */

#define IT_MAX_ELEMENTS 32

/**
 * CSUACFQ with one keyword (and a second one if @p kw2 is not NULL).
 * @p elements receives up to IT_MAX_ELEMENTS 8-byte elements; returns the
 * output rule_array_count.
 */
long it_query2(const char *kw1, const char *kw2, long *rc, long *rs, unsigned char elements[][8]);
static inline long it_query(const char *kw, long *rc, long *rs, unsigned char elements[][8])
{
    return it_query2(kw, NULL, rc, rs, elements);
}

/** Element @p i (0-based) as a C string with trailing blanks removed. */
const char *it_element(unsigned char elements[][8], long i, char out[9]);

/** CSNBRNGL RANDOM of @p len bytes into @p out. */
void it_rngl(long len, unsigned char *out, long *rc, long *rs);

/**
 * Poll CSUACFQ STATPOST every 20 ms until it reports @p state
 * ("PASSED"/"FAILED"), at most @p timeout_ms.
 */
bool it_wait_post(const char *state, int timeout_ms);

/** Set an environment variable or fail the test. */
void it_setenv(const char *name, const char *value);

#endif /* IT_DAEMON_UTIL_H */
