/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Known-answer test of the card's Hash_DRBG (card/card_drbg.c) against every
 * NIST CAVS 14.3 Hash_DRBG SHA-256 vector of the three files:
 *  - sha256_hash_noreseed.fax: instantiate with EntropyInput / Nonce /
 *    PersonalizationString (card_drbg_open_test), two generate calls with the
 *    two AdditionalInput values;
 *  - sha256_hash_pr_false.fax: the same, with a reseed (EntropyInputReseed,
 *    AdditionalInputReseed) between instantiation and the first generate;
 *  - sha256_hash_pr_true.fax: instantiated with prediction resistance
 *    (card_drbg_open_test_pr), each generate takes its EntropyInputPR and
 *    AdditionalInput (card_drbg_generate_pr).
 * In each case the second output must equal ReturnedBits.  Also: the test
 * instance is deterministic, requests above the DRBG's per-call maximum are
 * split, and live instances reseed / generate with prediction resistance.
 *
 * Usage: test_drbg DIR/sha256_hash_noreseed.fax; the other two files are
 * looked up beside it.  The vectors live in the shared folder beside the
 * checkout; when a file is absent the test exits 77 (CTest SKIP_RETURN_CODE)
 * instead of passing without having checked anything.
 */
#include <setjmp.h> /* cmocka needs these three first */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card_drbg.h"

#define MAX_FIELD 512 /* bytes; the files' longest value is 128 */

enum mode { NORESEED, PR_FALSE, PR_TRUE, N_MODES };

static const char *const mode_file[N_MODES] = {
    "sha256_hash_noreseed.fax",
    "sha256_hash_pr_false.fax",
    "sha256_hash_pr_true.fax",
};

struct vector {
    int section_sha256; /* inside a [SHA-256] section */
    int count;
    uint8_t entropy[MAX_FIELD], nonce[MAX_FIELD], pers[MAX_FIELD], adin[2][MAX_FIELD], returned[MAX_FIELD];
    uint8_t entropy_reseed[MAX_FIELD], adin_reseed[MAX_FIELD], entropy_pr[2][MAX_FIELD];
    size_t entropy_len, nonce_len, pers_len, adin_len[2], returned_len;
    size_t entropy_reseed_len, adin_reseed_len, entropy_pr_len[2];
    int adin_seen, pr_seen;
    int have; /* bit per field seen since COUNT */
};

enum {
    F_ENTROPY = 1,
    F_NONCE = 2,
    F_PERS = 4,
    F_ADIN1 = 8,
    F_ADIN2 = 16,
    F_RETURNED = 32,
    F_ENTROPY_RESEED = 64,
    F_ADIN_RESEED = 128,
    F_PR1 = 256,
    F_PR2 = 512,
    F_BASE = 63,
};

static const int mode_fields[N_MODES] = {
    F_BASE,
    F_BASE | F_ENTROPY_RESEED | F_ADIN_RESEED,
    F_BASE | F_PR1 | F_PR2,
};

static char vector_path[N_MODES][4096];
static const char *vector_file; /* the file being read, for messages */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode a hex value; fails the test on odd length, bad digits or overflow. */
static size_t unhex(const char *s, uint8_t *out, int line)
{
    size_t n = strlen(s);
    if (n % 2 != 0 || n / 2 > MAX_FIELD)
        fail_msg("%s:%d: bad hex length %zu", vector_file, line, n);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval((unsigned char)s[2 * i]), lo = hexval((unsigned char)s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            fail_msg("%s:%d: bad hex digit", vector_file, line);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return n / 2;
}

/* NULL for an empty value, as a caller without one would pass. */
static const uint8_t *opt(const uint8_t *p, size_t len)
{
    return len ? p : NULL;
}

static void run_vector(enum mode mode, const struct vector *v, int line)
{
    if (v->have != mode_fields[mode])
        fail_msg("%s:%d: COUNT = %d has fields %#x, expected %#x", vector_file, line, v->count, v->have,
                 mode_fields[mode]);
    struct card_drbg *d = NULL;
    if (mode == PR_TRUE)
        assert_int_equal(card_drbg_open_test_pr(v->entropy, v->entropy_len, v->nonce, v->nonce_len,
                                                opt(v->pers, v->pers_len), v->pers_len, &d),
                         CSU_OK);
    else
        assert_int_equal(card_drbg_open_test(v->entropy, v->entropy_len, v->nonce, v->nonce_len,
                                             opt(v->pers, v->pers_len), v->pers_len, &d),
                         CSU_OK);
    if (mode == PR_FALSE)
        assert_int_equal(card_drbg_reseed(d, v->entropy_reseed, v->entropy_reseed_len,
                                          opt(v->adin_reseed, v->adin_reseed_len), v->adin_reseed_len),
                         CSU_OK);
    uint8_t out[MAX_FIELD];
    for (int i = 0; i < 2; i++) {
        if (mode == PR_TRUE)
            assert_int_equal(card_drbg_generate_pr(d, out, v->returned_len, v->entropy_pr[i], v->entropy_pr_len[i],
                                                   opt(v->adin[i], v->adin_len[i]), v->adin_len[i]),
                             CSU_OK);
        else
            assert_int_equal(
                card_drbg_generate(d, out, v->returned_len, opt(v->adin[i], v->adin_len[i]), v->adin_len[i]),
                CSU_OK);
    }
    card_drbg_close(d);
    if (memcmp(out, v->returned, v->returned_len) != 0)
        fail_msg("%s:%d: COUNT = %d: ReturnedBits differ", vector_file, line, v->count);
}

/* Every [SHA-256] vector of the mode's file; sections for other hashes are skipped. */
static void run_cavs_file(enum mode mode)
{
    vector_file = vector_path[mode];
    FILE *f = fopen(vector_file, "r");
    assert_non_null(f);
    static struct vector v; /* ~6 KiB: keep it off the stack */
    memset(&v, 0, sizeof(v));
    char line[4096];
    int lineno = 0, pending = 0, pending_line = 0, sections = 0, skipped = 0, run = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        size_t n = strlen(line);
        if (n == sizeof(line) - 1 && line[n - 1] != '\n')
            fail_msg("%s:%d: line too long", vector_file, lineno);
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
            line[--n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        if (line[0] == '[') {
            if (pending) {
                run_vector(mode, &v, pending_line);
                run++;
                pending = 0;
            }
            if (strncmp(line, "[SHA-", 5) == 0) {
                v.section_sha256 = strcmp(line, "[SHA-256]") == 0;
                sections += v.section_sha256;
            }
            if (strncmp(line, "[PredictionResistance = ", 24) == 0 && v.section_sha256 &&
                strcmp(line + 24, mode == PR_TRUE ? "True]" : "False]") != 0)
                fail_msg("%s:%d: unexpected '%s' in this file", vector_file, lineno, line);
            continue;
        }
        char *eq = strstr(line, " = ");
        const char *value = eq ? eq + 3 : NULL;
        if (!eq) {
            eq = strchr(line, '=');
            if (!eq)
                fail_msg("%s:%d: unexpected line '%s'", vector_file, lineno, line);
            value = eq + 1;
        }
        char *key_end = eq;
        while (key_end > line && key_end[-1] == ' ')
            key_end--;
        *key_end = '\0';
        if (strcmp(line, "COUNT") == 0) {
            if (pending) {
                run_vector(mode, &v, pending_line);
                run++;
            }
            pending = v.section_sha256;
            skipped += !v.section_sha256;
            pending_line = lineno;
            v.count = atoi(value);
            v.have = 0;
            v.adin_seen = 0;
            v.pr_seen = 0;
            continue;
        }
        if (!pending)
            continue;
        if (strcmp(line, "EntropyInput") == 0) {
            v.entropy_len = unhex(value, v.entropy, lineno);
            v.have |= F_ENTROPY;
        } else if (strcmp(line, "Nonce") == 0) {
            v.nonce_len = unhex(value, v.nonce, lineno);
            v.have |= F_NONCE;
        } else if (strcmp(line, "PersonalizationString") == 0) {
            v.pers_len = unhex(value, v.pers, lineno);
            v.have |= F_PERS;
        } else if (strcmp(line, "AdditionalInput") == 0) {
            if (v.adin_seen >= 2)
                fail_msg("%s:%d: more than two AdditionalInput values", vector_file, lineno);
            v.adin_len[v.adin_seen] = unhex(value, v.adin[v.adin_seen], lineno);
            v.have |= v.adin_seen == 0 ? F_ADIN1 : F_ADIN2;
            v.adin_seen++;
        } else if (strcmp(line, "EntropyInputPR") == 0) {
            /* follows the AdditionalInput of the same generate call */
            if (v.pr_seen >= 2 || v.pr_seen + 1 != v.adin_seen)
                fail_msg("%s:%d: EntropyInputPR out of place", vector_file, lineno);
            v.entropy_pr_len[v.pr_seen] = unhex(value, v.entropy_pr[v.pr_seen], lineno);
            v.have |= v.pr_seen == 0 ? F_PR1 : F_PR2;
            v.pr_seen++;
        } else if (strcmp(line, "EntropyInputReseed") == 0) {
            v.entropy_reseed_len = unhex(value, v.entropy_reseed, lineno);
            v.have |= F_ENTROPY_RESEED;
        } else if (strcmp(line, "AdditionalInputReseed") == 0) {
            v.adin_reseed_len = unhex(value, v.adin_reseed, lineno);
            v.have |= F_ADIN_RESEED;
        } else if (strcmp(line, "ReturnedBits") == 0) {
            v.returned_len = unhex(value, v.returned, lineno);
            v.have |= F_RETURNED;
        } else {
            fail_msg("%s:%d: unknown field '%s'", vector_file, lineno, line);
        }
    }
    if (pending) {
        run_vector(mode, &v, pending_line);
        run++;
    }
    assert_int_equal(ferror(f), 0);
    fclose(f);
    print_message("%s: %d SHA-256 vectors passed in %d sections (%d vectors of other hashes skipped)\n",
                  mode_file[mode], run, sections, skipped);
    assert_true(sections > 0);
    assert_true(run >= sections); /* every section had vectors */
}

static void test_cavs_noreseed(void **state)
{
    (void)state;
    run_cavs_file(NORESEED);
}

static void test_cavs_pr_false(void **state)
{
    (void)state;
    run_cavs_file(PR_FALSE);
}

static void test_cavs_pr_true(void **state)
{
    (void)state;
    run_cavs_file(PR_TRUE);
}

/* Entropy arguments: required for a test instance, refused for a live one. */
static void test_reseed_args(void **state)
{
    (void)state;
    uint8_t entropy[32], nonce[16], a[64], b[64];
    memset(entropy, 0x11, sizeof(entropy));
    memset(nonce, 0x22, sizeof(nonce));
    struct card_drbg *t, *live;
    assert_int_equal(card_drbg_open_test(entropy, 32, nonce, 16, NULL, 0, &t), CSU_OK);
    assert_int_equal(card_drbg_reseed(t, NULL, 0, NULL, 0), CSU_E_NULL_POINTER);
    assert_int_equal(card_drbg_reseed(t, entropy, 0, NULL, 0), CSU_E_LENGTH);
    assert_int_equal(card_drbg_reseed(t, entropy, 32, (const uint8_t *)"adin", 4), CSU_OK);
    assert_int_equal(card_drbg_generate_pr(t, a, sizeof(a), NULL, 0, NULL, 0), CSU_E_NULL_POINTER);
    card_drbg_close(t);
    assert_int_equal(card_drbg_open("test", 4, &live), CSU_OK);
    assert_int_equal(card_drbg_reseed(live, entropy, 32, NULL, 0), CSU_E_LENGTH);
    assert_int_equal(card_drbg_reseed(live, NULL, 0, (const uint8_t *)"adin", 4), CSU_OK);
    assert_int_equal(card_drbg_generate_pr(live, a, sizeof(a), entropy, 32, NULL, 0), CSU_E_LENGTH);
    assert_int_equal(card_drbg_generate_pr(live, a, sizeof(a), NULL, 0, NULL, 0), CSU_OK);
    assert_int_equal(card_drbg_generate_pr(live, b, sizeof(b), NULL, 0, NULL, 0), CSU_OK);
    assert_memory_not_equal(a, b, sizeof(a));
    card_drbg_close(live);
}

/* Same inputs, same outputs; the outputs depend on the additional input. */
static void test_deterministic(void **state)
{
    (void)state;
    uint8_t entropy[32], nonce[16], a[64], b[64], c[64];
    memset(entropy, 0x11, sizeof(entropy));
    memset(nonce, 0x22, sizeof(nonce));
    struct card_drbg *d1, *d2, *d3;
    assert_int_equal(card_drbg_open_test(entropy, 32, nonce, 16, NULL, 0, &d1), CSU_OK);
    assert_int_equal(card_drbg_open_test(entropy, 32, nonce, 16, NULL, 0, &d2), CSU_OK);
    assert_int_equal(card_drbg_open_test(entropy, 32, nonce, 16, NULL, 0, &d3), CSU_OK);
    assert_int_equal(card_drbg_generate(d1, a, sizeof(a), NULL, 0), CSU_OK);
    assert_int_equal(card_drbg_generate(d2, b, sizeof(b), NULL, 0), CSU_OK);
    assert_int_equal(card_drbg_generate(d3, c, sizeof(c), (const uint8_t *)"adin", 4), CSU_OK);
    assert_memory_equal(a, b, sizeof(a));
    assert_memory_not_equal(a, c, sizeof(a));
    assert_int_equal(card_drbg_generate(d1, a, sizeof(a), NULL, 0), CSU_OK);
    assert_memory_not_equal(a, b, sizeof(a)); /* the state moved on */
    card_drbg_close(d1);
    card_drbg_close(d2);
    card_drbg_close(d3);
    card_drbg_close(NULL);
}

/* One call larger than the DRBG's largest request (OpenSSL: 64 KiB) is split, not refused. */
static void test_large_request(void **state)
{
    (void)state;
    size_t n = 3 * 65536 + 17;
    uint8_t *out = calloc(1, n);
    assert_non_null(out);
    struct card_drbg *d;
    assert_int_equal(card_drbg_open("test", 4, &d), CSU_OK);
    assert_int_equal(card_drbg_generate(d, out, n, NULL, 0), CSU_OK);
    assert_int_equal(card_drbg_generate(d, out, 0, NULL, 0), CSU_OK);
    card_drbg_close(d);
    /* each 64 KiB chunk got output (a zero tail would mean a chunk was skipped) */
    for (size_t start = 0; start < n; start += 65536) {
        size_t len = n - start < 64 ? n - start : 64;
        int nonzero = 0;
        for (size_t i = 0; i < len; i++)
            nonzero |= out[start + i];
        assert_true(nonzero || len < 4);
    }
    free(out);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR/sha256_hash_noreseed.fax\n", argv[0]);
        return 2;
    }
    const char *slash = strrchr(argv[1], '/');
    int dir_len = slash ? (int)(slash - argv[1] + 1) : 0;
    for (int m = 0; m < N_MODES; m++) {
        int n = snprintf(vector_path[m], sizeof(vector_path[m]), "%.*s%s", dir_len, argv[1], mode_file[m]);
        if (n < 0 || (size_t)n >= sizeof(vector_path[m])) {
            fprintf(stderr, "path too long: %s\n", argv[1]);
            return 2;
        }
        FILE *probe = fopen(vector_path[m], "r");
        if (!probe) {
            fprintf(stderr, "SKIP: CAVS vectors not found at %s (%s)\n", vector_path[m], strerror(errno));
            return 77;
        }
        fclose(probe);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cavs_noreseed),
        cmocka_unit_test(test_cavs_pr_false),
        cmocka_unit_test(test_cavs_pr_true),
        cmocka_unit_test(test_reseed_args),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_large_request),
    };
    return cmocka_run_group_tests_name("drbg", tests, NULL, NULL);
}
