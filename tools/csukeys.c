/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csukeys: key-storage maintenance.
 *
 *   csukeys --ks-type=DES|AES|PKA --ks-reenc [--batch=N]
 *       Re-encipher every record of the store under the current master key
 *       (after a master-key change, before the next one discards the old key).
 *   csukeys --ks-type=DES|AES|PKA --ks-list PATTERN
 *       Print the labels matching PATTERN ('*' wildcards, docs/keystore.md).
 *
 * Re-encipher, and why it survives a crash: records are read in label order
 * in batches (ks_scan); each token goes through the public verb
 * (CSNBKTC / CSNBKTC2 / CSNDKTC RTCMK, by token: the card re-wraps it); the
 * batch's new tokens and the resume point (its last label) are committed in
 * ONE write transaction (ks_apply_batch), each only if its record is still
 * the one that was read (update counter).  A crash loses at most the batch in
 * flight, which was not committed and is redone on restart from the saved
 * resume point.  RTCMK of a key already under the current master key returns
 * it unchanged, so nothing is ever wrapped twice either.  When the pass ends
 * the resume point is removed and the header re-stamped (CSNBKSI).
 *
 * Record tokens are read and written by this process's own key-storage code
 * (csu_keystore); the verbs are only called with tokens, so the library never
 * opens the store at the same time (LMDB forbids two environments on one file
 * in a process).  The store is closed before CSNBKSI re-stamps it.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "csulincl.h"
#include "keystore.h"

#define W 8
#define DEFAULT_BATCH 256
#define MAX_BATCH 4096

struct item {
    uint8_t label[KS_LABEL_LEN];
    uint64_t seq;
    bool intact;
    size_t len;
    uint8_t tok[KS_MAX_TOKEN];
};

struct batch {
    struct item *items;
    size_t n, cap;
};

struct totals {
    size_t seen, changed, current, skipped, failed, raced, total;
};

static void put_words(unsigned char *out, const char *const *w, long n)
{
    for (long i = 0; i < n; i++) {
        memset(out + i * W, ' ', W);
        memcpy(out + i * W, w[i], strlen(w[i]));
    }
}

/* ---- one token through RTCMK --------------------------------------------- */

enum outcome { RE_CHANGED, RE_CURRENT, RE_SKIPPED, RE_FAILED };

/* Fixed-length DES / AES v4 token: CSNBKTC RTCMK DES|AES. */
static void rtcmk_fixed(uint8_t *tok, long *rc, long *rs)
{
    const char *w[] = {"RTCMK", tok[4] == 0x04 ? "AES" : "DES"};
    unsigned char rules[2 * W];
    long count = 2;
    put_words(rules, w, count);
    CSNBKTC(rc, rs, NULL, NULL, &count, rules, tok);
}

/* Variable-length (X'05') AES or HMAC token: CSNBKTC2. */
static void rtcmk_var(uint8_t *tok, size_t *len, long *rc, long *rs)
{
    const char *w[] = {tok[41] == 0x03 ? "HMAC" : "AES", "RTCMK"};
    unsigned char rules[2 * W];
    long count = 2, n = KS_MAX_TOKEN;
    put_words(rules, w, count);
    CSNBKTC2(rc, rs, NULL, NULL, &count, rules, &n, tok);
    if (*rc < 8)
        *len = (size_t)n;
}

/* PKA internal token: CSNDKTC RTCMK RSA|ECC (an ECC private section follows the header). */
static void rtcmk_pka(uint8_t *tok, size_t *len, long *rc, long *rs)
{
    const char *w[] = {"RTCMK", *len > 8 && tok[8] == 0x20 ? "ECC" : "RSA"};
    unsigned char rules[2 * W];
    long count = 2, n = KS_MAX_TOKEN;
    put_words(rules, w, count);
    CSNDKTC(rc, rs, NULL, NULL, &count, rules, &n, tok);
    if (*rc < 8)
        *len = (size_t)n;
}

/* Only internal tokens are under a master key; null records and external tokens stay as they are. */
static enum outcome reencipher(enum ks_store s, struct item *it, long *rc, long *rs)
{
    uint8_t before[KS_MAX_TOKEN];
    *rc = *rs = 0;
    if (!it->intact)
        return RE_FAILED;
    if (it->len < 8 || (it->tok[0] != 0x01 && it->tok[0] != 0x1F))
        return RE_SKIPPED;
    memcpy(before, it->tok, it->len);
    size_t old_len = it->len;
    if (s == KS_PKA)
        rtcmk_pka(it->tok, &it->len, rc, rs);
    else if (it->tok[4] == 0x05)
        rtcmk_var(it->tok, &it->len, rc, rs);
    else
        rtcmk_fixed(it->tok, rc, rs);
    bool same = it->len == old_len && memcmp(before, it->tok, old_len) == 0;
    OPENSSL_cleanse(before, sizeof(before));
    if (*rc >= 8)
        return RE_FAILED;
    return same ? RE_CURRENT : RE_CHANGED;
}

/* ---- batches --------------------------------------------------------------- */

static bool collect(void *arg, const struct ks_record *rec, bool intact)
{
    struct batch *b = arg;
    struct item *it = &b->items[b->n++];
    memcpy(it->label, rec->label, KS_LABEL_LEN);
    it->seq = rec->seq;
    it->intact = intact;
    it->len = intact ? rec->token_len : 0;
    if (it->len)
        memcpy(it->tok, rec->token, it->len);
    return b->n < b->cap;
}

static void label_text(const uint8_t *label, char out[KS_LABEL_LEN + 1])
{
    size_t n = KS_LABEL_LEN;
    while (n > 0 && label[n - 1] == ' ')
        n--;
    memcpy(out, label, n);
    out[n] = '\0';
}

static void progress(const struct totals *t, bool tty)
{
    if (!tty) { /* one line per batch: scripts and tests follow it */
        printf("reenc %zu/%zu changed=%zu current=%zu skipped=%zu failed=%zu\n", t->seen, t->total, t->changed,
               t->current, t->skipped, t->failed);
        fflush(stdout);
        return;
    }
    enum { BAR = 40 };
    size_t done = t->total ? (t->seen > t->total ? t->total : t->seen) : 0;
    size_t fill = t->total ? done * BAR / t->total : BAR;
    char bar[BAR + 1];
    memset(bar, '#', fill);
    memset(bar + fill, '.', BAR - fill);
    bar[BAR] = '\0';
    printf("\r[%s] %zu/%zu (%zu re-enciphered, %zu failed)", bar, t->seen, t->total, t->changed, t->failed);
    fflush(stdout);
}

/* Re-encipher one batch and commit it with its resume point; false on a store error. */
static bool run_batch(enum ks_store s, struct batch *b, struct ks_update *u, struct totals *t)
{
    size_t nu = 0;
    for (size_t i = 0; i < b->n; i++) {
        long rc, rs;
        struct item *it = &b->items[i];
        enum outcome o = reencipher(s, it, &rc, &rs);
        t->seen++;
        if (o == RE_CHANGED) {
            struct ks_update *x = &u[nu++];
            memcpy(x->label, it->label, KS_LABEL_LEN);
            x->seq = it->seq;
            x->token = it->tok;
            x->token_len = it->len;
        }
        t->current += o == RE_CURRENT;
        t->skipped += o == RE_SKIPPED;
        if (o == RE_FAILED) {
            char l[KS_LABEL_LEN + 1];
            label_text(it->label, l);
            fprintf(stderr, "csukeys: %s: %s %ld/%ld\n", l, it->intact ? "not re-enciphered" : "damaged record",
                    rc, rs);
            t->failed++;
        }
    }
    ks_err err = ks_apply_batch(s, u, nu, b->items[b->n - 1].label);
    for (size_t i = 0; err == KS_OK && i < nu; i++) {
        t->changed += u[i].applied;
        t->raced += !u[i].applied; /* rewritten by someone else meanwhile: theirs stands */
    }
    if (err != KS_OK)
        fprintf(stderr, "\ncsukeys: committing a batch: %s\n", ks_strerror(err));
    return err == KS_OK;
}

/* The pass is over: drop the resume point, then let CSNBKSI stamp the current MKVP. */
static int finish(enum ks_store s, const struct totals *t)
{
    static const char *const type[] = {"DES", "AES", "PKA"};
    ks_err err = ks_apply_batch(s, NULL, 0, NULL);
    ks_close_all();
    if (err != KS_OK) {
        fprintf(stderr, "csukeys: removing the resume point: %s\n", ks_strerror(err));
        return 1;
    }
    if (t->failed == 0) {
        const char *w[] = {"CURRENT", type[s]};
        unsigned char rules[2 * W];
        long count = 2, rc, rs, zero = 0;
        put_words(rules, w, count);
        CSNBKSI(&rc, &rs, NULL, NULL, &count, rules, &zero, NULL, &zero, NULL, NULL);
        if (rc >= 8)
            fprintf(stderr, "csukeys: CSNBKSI (header MKVP): %ld/%ld\n", rc, rs);
    }
    printf("%zu records: %zu re-enciphered, %zu already current, %zu without a master-key wrap, %zu changed by "
           "others meanwhile, %zu failed\n",
           t->seen, t->changed, t->current, t->skipped, t->raced, t->failed);
    return t->failed ? 2 : 0;
}

static int reenc(enum ks_store s, size_t batch_size)
{
    struct batch b = {calloc(batch_size, sizeof(struct item)), 0, batch_size};
    struct ks_update *u = calloc(batch_size, sizeof(*u));
    struct totals t = {0};
    uint8_t cursor[KS_LABEL_LEN];
    bool tty = isatty(STDOUT_FILENO), ok = b.items && u;
    ks_err err = ok ? ks_count(s, &t.total) : KS_NOMEM;
    bool resume = err == KS_OK && ks_get_cursor(s, cursor) == KS_OK;
    if (resume) {
        char l[KS_LABEL_LEN + 1];
        label_text(cursor, l);
        printf("resuming after %s\n", l);
    }
    while (err == KS_OK) {
        b.n = 0;
        err = ks_scan(s, resume ? cursor : NULL, batch_size, collect, &b, NULL);
        if (err != KS_OK || b.n == 0)
            break;
        if (!run_batch(s, &b, u, &t)) {
            err = KS_IO;
            break;
        }
        memcpy(cursor, b.items[b.n - 1].label, KS_LABEL_LEN);
        resume = true;
        progress(&t, tty);
    }
    if (tty)
        printf("\n");
    if (b.items)
        OPENSSL_cleanse(b.items, batch_size * sizeof(struct item));
    free(b.items);
    free(u);
    if (err != KS_OK) {
        fprintf(stderr, "csukeys: %s (run again to resume)\n", ks_strerror(err));
        return 1;
    }
    return finish(s, &t);
}

/* ---- list ----------------------------------------------------------------- */

struct list_arg {
    uint8_t pattern[KS_LABEL_LEN];
    uint8_t last[KS_LABEL_LEN];
    size_t matched;
};

static bool list_one(void *arg, const struct ks_record *rec, bool intact)
{
    struct list_arg *a = arg;
    memcpy(a->last, rec->label, KS_LABEL_LEN);
    if (!ks_pattern_match(a->pattern, rec->label))
        return true;
    char l[KS_LABEL_LEN + 1];
    label_text(rec->label, l);
    printf("%-64s %5zu %s\n", l, intact ? rec->token_len : 0, intact ? "" : "*damaged*");
    a->matched++;
    return true;
}

static int list(enum ks_store s, const char *pattern)
{
    struct list_arg a = {.matched = 0};
    size_t n = strlen(pattern);
    if (n > KS_LABEL_LEN) {
        fprintf(stderr, "csukeys: pattern longer than 64 characters\n");
        return 1;
    }
    memset(a.pattern, ' ', KS_LABEL_LEN);
    memcpy(a.pattern, pattern, n);
    if (ks_pattern_check(a.pattern) != KS_OK) {
        fprintf(stderr, "csukeys: malformed pattern\n");
        return 1;
    }
    size_t visited = 0;
    bool first = true;
    ks_err err;
    do { /* in slices, so one read transaction never spans the whole store */
        err = ks_scan(s, first ? NULL : a.last, 4096, list_one, &a, &visited);
        first = false;
    } while (err == KS_OK && visited == 4096);
    if (err != KS_OK) {
        fprintf(stderr, "csukeys: %s\n", ks_strerror(err));
        return 1;
    }
    return a.matched ? 0 : 3;
}

/* ---- command line --------------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr, "usage: csukeys --ks-type=DES|AES|PKA --ks-reenc [--batch=N]\n"
                    "       csukeys --ks-type=DES|AES|PKA --ks-list PATTERN\n");
    return 1;
}

static bool store_of(const char *name, enum ks_store *s)
{
    static const char *const names[] = {"DES", "AES", "PKA"};
    for (int i = 0; i < KS_STORE_COUNT; i++)
        if (strcmp(name, names[i]) == 0) {
            *s = (enum ks_store)i;
            return true;
        }
    return false;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"ks-type", required_argument, NULL, 't'},
                                         {"ks-reenc", no_argument, NULL, 'r'},
                                         {"ks-list", required_argument, NULL, 'l'},
                                         {"batch", required_argument, NULL, 'b'},
                                         {NULL, 0, NULL, 0}};
    enum ks_store s = KS_STORE_COUNT;
    const char *pattern = NULL;
    bool do_reenc = false;
    long batch = DEFAULT_BATCH;
    for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        if (c == 't' && !store_of(optarg, &s))
            return usage();
        if (c == 'r')
            do_reenc = true;
        if (c == 'l')
            pattern = optarg;
        if (c == 'b')
            batch = strtol(optarg, NULL, 10);
        if (c == '?')
            return usage();
    }
    if (s == KS_STORE_COUNT || do_reenc == (pattern != NULL) || batch < 1 || batch > MAX_BATCH || optind != argc)
        return usage();
    return do_reenc ? reenc(s, (size_t)batch) : list(s, pattern);
}
