/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CSNBOWH over the Unix socket against the real csucard daemon: a FIPS
 * 180-4 answer with ONLY; a sequence started on one connection (thread) and
 * continued and finished on others, so on different daemon workers (the
 * context table is the card's, not a worker's); a forged vector 8/2036; a
 * vector from before a daemon restart 8/2036 (the table and its key live
 * only as long as the card).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "daemon_util.h"

#define CV 128

static unsigned char text[3 * 64 + 7];

static void owh(const char *seg, const unsigned char *t, long len, unsigned char *cv, unsigned char *hash,
                long *rc, long *rs)
{
    unsigned char rules[16];
    memset(rules, ' ', sizeof(rules));
    memcpy(rules, "SHA-256", 7);
    memcpy(rules + 8, seg, strlen(seg));
    long count = 2, tl = len, cvl = CV, hl = 32;
    CSNBOWH(rc, rs, NULL, NULL, &count, rules, &tl, (unsigned char *)t, &cvl, cv, &hl, hash);
}

struct step {
    const char *seg;
    long offset, length;
    unsigned char *cv, *hash;
    long rc, rs;
};

/* Each step on a thread of its own: a fresh connection to the daemon. */
static void *run_step(void *arg)
{
    struct step *s = arg;
    owh(s->seg, text + s->offset, s->length, s->cv, s->hash, &s->rc, &s->rs);
    return NULL;
}

static void step_on_new_thread(struct step *s)
{
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, run_step, s) == 0, "pthread_create");
    pthread_join(t, NULL);
}

int main(void)
{
    it_begin("hash-socket", 50);
    for (size_t i = 0; i < sizeof(text); i++)
        text[i] = (unsigned char)(i * 3 + 1);
    struct it_daemon d;
    it_daemon_init(&d);
    char spec[200];
    snprintf(spec, sizeof(spec), "unix:%s", d.sock);
    it_setenv("CSU_CARD", spec);
    REQUIRE(it_daemon_start(&d, NULL, 10000) == 0, "csucard did not start");
    REQUIRE(it_wait_post("PASSED", 10000), "POST did not pass");

    long rc, rs;
    unsigned char hash[32], want[32], cv[CV];
    owh("ONLY", (const unsigned char *)"abc", 3, NULL, hash, &rc, &rs);
    CHECK_CODES(rc, rs, 0, 0, "ONLY abc");
    static const unsigned char abc256[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
                                             0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
                                             0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    CHECK(memcmp(hash, abc256, 32) == 0, "SHA-256(abc) over the socket");

    /* FIRST, MIDDLE, LAST each from a different connection. */
    struct step steps[] = {
        {"FIRST", 0, 128, cv, NULL, -1, -1},
        {"MIDDLE", 128, 64, cv, NULL, -1, -1},
        {"LAST", 192, 7, cv, hash, -1, -1},
    };
    for (size_t i = 0; i < 3; i++) {
        step_on_new_thread(&steps[i]);
        CHECK_CODES(steps[i].rc, steps[i].rs, 0, 0, steps[i].seg);
    }
    unsigned int n = 0;
    EVP_Digest(text, sizeof(text), want, &n, EVP_sha256(), NULL);
    CHECK(memcmp(hash, want, 32) == 0, "sequence across connections");

    unsigned char forged[CV];
    memset(forged, 0x5A, sizeof(forged));
    owh("LAST", text, 1, forged, hash, &rc, &rs);
    CHECK_CODES(rc, rs, 8, 2036, "forged vector");

    /* A sequence from before a restart is refused by the new card. */
    owh("FIRST", text, 64, cv, NULL, &rc, &rs);
    CHECK_CODES(rc, rs, 0, 0, "FIRST before restart");
    int status;
    REQUIRE(it_daemon_stop(&d, SIGTERM, 10000, &status), "daemon did not stop");
    REQUIRE(it_daemon_start(&d, NULL, 10000) == 0, "csucard did not restart");
    REQUIRE(it_wait_post("PASSED", 10000), "POST did not pass after restart");
    owh("LAST", text, 0, cv, hash, &rc, &rs);
    CHECK_CODES(rc, rs, 8, 2036, "vector from before the restart");
    it_finish();
}
