/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Integration 6: CSUACRA / CSUACRD.
 *
 * CRP01 is a running daemon, CRP02 a configured card whose socket does not
 * exist (so a call routed to it answers 12/338, which shows where a thread's
 * calls go).  Checked: allocate / again / other device held, deallocate /
 * again, DEV-ANY always 0/0, bad lengths, names and rule counts, and that
 * allocation belongs to the calling thread.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "daemon_util.h"

static void resource(bool allocate, const char *keywords, long count, const char *name, long name_len, long *rc,
                     long *rs)
{
    unsigned char rules[24];
    memset(rules, ' ', sizeof(rules));
    memcpy(rules, keywords, strnlen(keywords, sizeof(rules)));
    unsigned char buf[16];
    memset(buf, ' ', sizeof(buf));
    if (name)
        memcpy(buf, name, strnlen(name, sizeof(buf)));
    long n = count, len = name_len;
    *rc = *rs = -1;
    if (allocate)
        CSUACRA(rc, rs, NULL, NULL, &n, rules, &len, name ? buf : NULL);
    else
        CSUACRD(rc, rs, NULL, NULL, &n, rules, &len, name ? buf : NULL);
}

#define ALLOC(kw, name, len, want_rc, want_rs, what)                                                            \
    do {                                                                                                        \
        long rc_, rs_;                                                                                          \
        resource(true, kw, 1, name, len, &rc_, &rs_);                                                           \
        CHECK_CODES(rc_, rs_, want_rc, want_rs, what);                                                          \
    } while (0)
#define DEALLOC(kw, name, len, want_rc, want_rs, what)                                                          \
    do {                                                                                                        \
        long rc_, rs_;                                                                                          \
        resource(false, kw, 1, name, len, &rc_, &rs_);                                                          \
        CHECK_CODES(rc_, rs_, want_rc, want_rs, what);                                                          \
    } while (0)

static void expect_rngl(long want_rc, long want_rs, const char *what)
{
    unsigned char out[32];
    long rc, rs;
    it_rngl(32, out, &rc, &rs);
    CHECK_CODES(rc, rs, want_rc, want_rs, what);
}

/* ---- the second thread, in step with the main thread ---- */

static pthread_barrier_t step;

static void *other_thread(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&step); /* 1: main holds CRP01 */
    ALLOC("DEVICE", "CRP01", 5, 0, 0, "thread 2: CSUACRA CRP01 while thread 1 holds CRP01");
    expect_rngl(0, 0, "thread 2: CSNBRNGL on CRP01");
    DEALLOC("DEVICE", "CRP01", 5, 0, 0, "thread 2: CSUACRD CRP01");
    DEALLOC("DEVICE", "CRP01", 5, 8, 6001, "thread 2: CSUACRD CRP01 again");
    ALLOC("DEVICE", "CRP02", 5, 0, 0, "thread 2: CSUACRA CRP02 while thread 1 holds CRP01");
    pthread_barrier_wait(&step); /* 2: thread 2 holds CRP02 */
    expect_rngl(12, 338, "thread 2: CSNBRNGL routed to CRP02 (no card there)");
    pthread_barrier_wait(&step); /* 3: main checked its own routing */
    DEALLOC("DEVICE", "CRP02", 5, 0, 0, "thread 2: CSUACRD CRP02");
    expect_rngl(0, 0, "thread 2: CSNBRNGL on the default device again");
    return NULL;
}

int main(void)
{
    it_begin("resource_alloc", 50);
    struct it_daemon d;
    it_daemon_init(&d);
    char spec[200], spec2[200];
    snprintf(spec, sizeof(spec), "unix:%s", d.sock);
    snprintf(spec2, sizeof(spec2), "unix:%s/absent.sock", d.dir);
    it_setenv("CSU_CARD", spec);
    it_setenv("CSU_CARD_CRP02", spec2);
    unsetenv("CSU_DEFAULT_ADAPTER");
    const char *const args[] = {"--workers", "2", NULL};
    REQUIRE(it_daemon_start(&d, args, 10000) == 0, "csucard did not start");
    REQUIRE(it_wait_post("PASSED", 10000), "POST did not pass");

    /* ---- the brief's sequence ---- */
    ALLOC("DEVICE", "CRP01", 5, 0, 0, "CSUACRA DEVICE CRP01");
    expect_rngl(0, 0, "CSNBRNGL with CRP01 allocated");
    ALLOC("DEVICE", "CRP01", 5, 8, 6000, "CSUACRA DEVICE CRP01 again");
    ALLOC("DEVICE", "CRP02", 5, 8, 6012, "CSUACRA DEVICE CRP02 while CRP01 held");

    /* Allocation is per thread. */
    pthread_t t;
    pthread_barrier_init(&step, NULL, 2);
    REQUIRE(pthread_create(&t, NULL, other_thread, NULL) == 0, "pthread_create");
    pthread_barrier_wait(&step); /* 1 */
    pthread_barrier_wait(&step); /* 2 */
    expect_rngl(0, 0, "thread 1: CSNBRNGL on CRP01 while thread 2 holds CRP02");
    ALLOC("DEVICE", "CRP01", 5, 8, 6000, "thread 1: still holds CRP01");
    pthread_barrier_wait(&step); /* 3 */
    pthread_join(t, NULL);
    pthread_barrier_destroy(&step);

    DEALLOC("DEVICE", "CRP01", 5, 0, 0, "CSUACRD DEVICE CRP01");
    DEALLOC("DEVICE", "CRP01", 5, 8, 6001, "CSUACRD DEVICE CRP01 again");
    for (int i = 0; i < 3; i++)
        DEALLOC("DEV-ANY", "CRP00", 5, 0, 0, "CSUACRD DEV-ANY CRP00 with nothing allocated");
    ALLOC("DEVICE", "CRP01", 5, 0, 0, "CSUACRA DEVICE CRP01 (before DEV-ANY release)");
    DEALLOC("DEV-ANY", "CRP00", 5, 0, 0, "CSUACRD DEV-ANY CRP00 with CRP01 allocated");
    DEALLOC("DEVICE", "CRP01", 5, 8, 6001, "CSUACRD CRP01 after DEV-ANY released it");
    ALLOC("DEVICE", "CRP", 3, 8, 6013, "CSUACRA DEVICE name length 3");
    DEALLOC("DEVICE", "CRP", 3, 8, 6013, "CSUACRD DEVICE name length 3");
    ALLOC("DEVICE", "XYZ01", 5, 8, 6014, "CSUACRA DEVICE XYZ01");
    long rc, rs;
    resource(true, "DEVICE  DEV-ANY", 2, "CRP01", 5, &rc, &rs);
    CHECK_CODES(rc, rs, 8, 35, "CSUACRA rule count 2");
    resource(false, "DEVICE  DEV-ANY", 2, "CRP01", 5, &rc, &rs);
    CHECK_CODES(rc, rs, 8, 35, "CSUACRD rule count 2");
    resource(true, "DEVICE", 0, "CRP01", 5, &rc, &rs);
    CHECK_CODES(rc, rs, 8, 35, "CSUACRA rule count 0");

    /* ---- more of the documented codes (docs/codes.md) ---- */
    ALLOC("DEVICE", "CRP00", 5, 8, 6014, "CSUACRA DEVICE CRP00");
    ALLOC("DEVICE", "CRP66", 5, 8, 6014, "CSUACRA DEVICE CRP66");
    ALLOC("DEVICE", "CRP03", 5, 8, 6014, "CSUACRA DEVICE CRP03 (not configured)");
    ALLOC("BOGUS", "CRP01", 5, 8, 33, "CSUACRA keyword BOGUS");
    ALLOC("DEVICE", NULL, 5, 8, 184, "CSUACRA DEVICE NULL name");
    ALLOC("DEVICE", "CRP01", 8, 0, 0, "CSUACRA DEVICE 'CRP01   ' (length 8, blank padded)");
    DEALLOC("DEVICE", "CRP01", 5, 0, 0, "CSUACRD DEVICE CRP01 (allocated padded)");
    ALLOC("DEV-ANY", "CRP00", 5, 0, 0, "CSUACRA DEV-ANY");
    expect_rngl(0, 0, "CSNBRNGL after CSUACRA DEV-ANY");
    DEALLOC("DEV-ANY", "CRP00", 5, 0, 0, "CSUACRD DEV-ANY");

    /* Routing follows the allocation in this thread too. */
    ALLOC("DEVICE", "CRP02", 5, 0, 0, "CSUACRA DEVICE CRP02");
    expect_rngl(12, 338, "CSNBRNGL routed to CRP02");
    /* docs/codes.md: CSUACRD of a device other than the one allocated is 8/6014
     * (the name is not valid for this thread); 8/6001 is for nothing allocated. */
    resource(false, "DEVICE", 1, "CRP01", 5, &rc, &rs);
    CHECK_CODES(rc, rs, 8, 6014, "CSUACRD CRP01 while CRP02 is allocated");
    ALLOC("DEVICE", "CRP02", 5, 8, 6000, "CRP02 still allocated after CSUACRD of another device");
    DEALLOC("DEVICE", "CRP02", 5, 0, 0, "CSUACRD DEVICE CRP02");
    expect_rngl(0, 0, "CSNBRNGL on the default device again");
    /* Unconfigured other device while one is held: which check comes first. */
    ALLOC("DEVICE", "CRP01", 5, 0, 0, "CSUACRA DEVICE CRP01 (order check)");
    resource(true, "DEVICE", 1, "CRP03", 5, &rc, &rs);
    CHECK(rc == 8 && (rs == 6012 || rs == 6014), "CSUACRA CRP03 (not configured) while CRP01 is held: %ld/%ld", rc,
          rs);
    it_log("note: CSUACRA CRP03 (not configured) while CRP01 is held answers %ld/%ld (6014 checked before 6012)\n",
           rc, rs);
    DEALLOC("DEVICE", "CRP01", 5, 0, 0, "CSUACRD DEVICE CRP01 (order check)");

    int status = -1;
    CHECK(it_daemon_stop(&d, SIGTERM, 10000, &status), "daemon did not stop on SIGTERM");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "daemon exit status 0x%x", status);
    if (it_failures)
        it_daemon_dump_log(&d);
    it_finish();
}
