/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the card firmware (card/), driven directly through
 * card_open / card_worker_open / card_process with request frames built by
 * csu_wire_encode, on a state directory made with mkdtemp (POST synchronous).
 *
 * Covers: CSUACFQ STATCCA / STATCCAE / STATCARD element counts, the serial
 * number's stability across a reopen; CSUACFC SETCLOCK read back through
 * TIMEDATE, bad (8/85) and short (8/72) clock text; RQ-TOKEN / RQ-REINT
 * (0/0 with the complement, 8/385 otherwise); a failing KAT (each one) makes
 * every operation but STATDIAG/STATPOST answer 12/338 and STATPOST name it;
 * CSNBRNG ODD/EVEN parity; CSNBRNGL length limits (8/72); a malformed
 * request frame gets a 16/556 reply.  CSUACFQ STATICSA / STATICSB: element
 * counts, serial and register states, verb_data length and block IDs at the
 * documented offsets, verification patterns of master keys loaded from known
 * parts (recomputed here with OpenSSL), zeros for empty or partly loaded
 * registers, 8/72 for a too-small verb_data; STATAES / STATAPKA / STATCCAE
 * follow the same registers.  Master-key lookups (card_mk_find_locked,
 * card_mk_find_apka: current, old, 8/48, 12/764) after CSNBMKP SET, after
 * the state is loaded again by card_open, and after RQ-REINT, for every set.
 */
#include <setjmp.h> /* cmocka needs these three first */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card.h"
#include "card_mk.h"
#include "csu_mu.h"
#include "csu_rules.h"
#include "csu_wire.h"

/* ---- fixture: one card on a fresh state directory ------------------------ */

struct fixture {
    char dir[64];
    struct card *card;
    struct card_worker *w;
};

static void open_card(struct fixture *f, const char *fail_kat)
{
    struct card_options o = {.state_dir = f->dir, .fail_kat = fail_kat, .post_async = false};
    assert_int_equal(card_open(&o, &f->card), CSU_OK);
    assert_int_equal(card_worker_open(f->card, &f->w), CSU_OK);
}

static void close_card(struct fixture *f)
{
    card_worker_close(f->w);
    card_close(f->card);
    f->w = NULL;
    f->card = NULL;
}

/* Remove the state directory and what the card wrote in it (flat). */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char path[512];
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

static int setup_with(void **state, const char *fail_kat)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof(f->dir), "%s/csu-card-XXXXXX", tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    open_card(f, fail_kat);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, NULL);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f->card)
        close_card(f);
    remove_dir(f->dir);
    free(f);
    return 0;
}

/* ---- one request / reply ------------------------------------------------- */

struct reply {
    uint8_t *frame;
    size_t len;
    struct csu_wire_msg msg;
};

struct req {
    uint16_t op;
    const char *rules[4]; /* NULL-terminated */
    int has_capacity;
    uint32_t capacity;
    const void *data;     /* CSU_TAG_VERB_DATA when non-NULL */
    size_t data_len;
};

/* Send @p frame, decode the reply (which must always be well formed). */
static void send_frame(struct fixture *f, const uint8_t *frame, size_t len, struct reply *rep)
{
    assert_int_equal(card_process(f->w, frame, len, &rep->frame, &rep->len), CSU_OK);
    assert_int_equal(csu_wire_decode_reply(rep->frame, rep->len, &rep->msg), CSU_OK);
}

static void call(struct fixture *f, const struct req *q, struct reply *rep)
{
    uint8_t rules[4 * 8];
    struct csu_wire_msg m = {.op = q->op, .rules = rules};
    while (m.rule_count < 4 && q->rules[m.rule_count]) {
        csu_rules_put_word(rules + 8 * m.rule_count, q->rules[m.rule_count]);
        m.rule_count++;
    }
    uint8_t cap[4];
    if (q->has_capacity) {
        csu_store_be32(cap, q->capacity);
        assert_true(csu_wire_add_block(&m, CSU_TAG_OUT_CAPACITY, cap, 4));
    }
    if (q->data)
        assert_true(csu_wire_add_block(&m, CSU_TAG_VERB_DATA, q->data, q->data_len));
    uint8_t *frame;
    size_t len;
    assert_int_equal(csu_wire_encode(&m, false, &frame, &len), CSU_OK);
    send_frame(f, frame, len, rep);
    assert_int_equal(rep->msg.op, q->op);
    csu_wire_free(frame, len);
}

static void reply_free(struct reply *rep)
{
    csu_wire_free(rep->frame, rep->len);
    rep->frame = NULL;
}

/* Call, check the codes, free the reply. */
static void expect(struct fixture *f, const struct req *q, uint32_t rc, uint32_t rs)
{
    struct reply rep;
    call(f, q, &rep);
    if (rep.msg.return_code != rc || rep.msg.reason_code != rs)
        fail_msg("%s %s: got %u/%u, want %u/%u", csu_op_name(q->op), q->rules[0] ? q->rules[0] : "",
                 rep.msg.return_code, rep.msg.reason_code, rc, rs);
    if (rc >= 8) { /* no output with an error */
        assert_int_equal(rep.msg.rule_count, 0);
        assert_int_equal(rep.msg.block_count, 0);
    }
    reply_free(&rep);
}

/* Element @p i (1-based) of a reply's rule array, blank-padded to 8. */
static void assert_element(const struct reply *rep, int i, const char *want)
{
    assert_true(i >= 1 && i <= rep->msg.rule_count);
    uint8_t padded[8];
    csu_rules_put_word(padded, want);
    if (memcmp(rep->msg.rules + 8 * (i - 1), padded, 8) != 0)
        fail_msg("element %d is '%.8s', want '%.8s'", i, (const char *)rep->msg.rules + 8 * (i - 1),
                 (const char *)padded);
}

static void query(struct fixture *f, const char *keyword, struct reply *rep)
{
    call(f, &(struct req){.op = CSU_OP_CSUACFQ, .rules = {keyword}}, rep);
    assert_int_equal(rep->msg.return_code, 0);
    assert_int_equal(rep->msg.reason_code, 0);
}

/* ---- CSUACFQ ------------------------------------------------------------- */

static void test_query_counts(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *keyword;
        int elements;
    } cases[] = {{"STATCCA", 6}, {"STATCCAE", 9}, {"STATCARD", 15}, {"STATCRD2", 15},
                 {"TIMEDATE", 3}, {"STATPOST", 2}, {"STATDIAG", 17}, {"STATEID", 2}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct reply rep;
        query(f, cases[i].keyword, &rep);
        if (rep.msg.rule_count != cases[i].elements)
            fail_msg("%s: %u elements, want %d", cases[i].keyword, rep.msg.rule_count, cases[i].elements);
        assert_int_equal(rep.msg.block_count, 0);
        reply_free(&rep);
    }
    /* ADAPTER1 may precede the keyword */
    struct reply rep;
    call(f, &(struct req){.op = CSU_OP_CSUACFQ, .rules = {"ADAPTER1", "STATCCA"}}, &rep);
    assert_int_equal(rep.msg.return_code, 0);
    assert_int_equal(rep.msg.rule_count, 6);
    reply_free(&rep);
    /* a passed POST reports itself */
    query(f, "STATPOST", &rep);
    assert_element(&rep, 1, "PASSED");
    assert_element(&rep, 2, "");
    reply_free(&rep);
    /* rule-array errors */
    expect(f, &(struct req){.op = CSU_OP_CSUACFQ, .rules = {"STATNONE"}}, 8, 33);
    expect(f, &(struct req){.op = CSU_OP_CSUACFQ, .rules = {"STATCCA", "STATCARD"}}, 8, 34);
    expect(f, &(struct req){.op = CSU_OP_CSUACFQ, .rules = {"ADAPTER1"}}, 8, 129);
    expect(f, &(struct req){.op = CSU_OP_CSUACFQ, .rules = {NULL}}, 8, 35);
    expect(f, &(struct req){.op = CSU_OP_CSUACFQ, .rules = {"ADAPTER1", "STATCCA", "STATCARD"}}, 8, 35);
    expect(f, &(struct req){.op = CSU_OP_CSUACFQ, .rules = {"STATMOFN"}}, 8, 335);
}

static void copy_element(const struct reply *rep, int i, char out[9])
{
    memcpy(out, rep->msg.rules + 8 * (i - 1), 8);
    out[8] = '\0';
}

/* STATCARD element 15 is the serial number; it stays the same when the same state is reopened. */
static void test_serial_stable(void **state)
{
    struct fixture *f = *state;
    struct reply rep;
    char serial[9], again[9], adapter_id[9];
    query(f, "STATCARD", &rep);
    copy_element(&rep, 15, serial);
    copy_element(&rep, 11, adapter_id);
    reply_free(&rep);
    assert_string_equal(serial, adapter_id);
    assert_memory_equal(serial, "EM", 2);
    for (int i = 2; i < 8; i++)
        assert_true(serial[i] >= '0' && serial[i] <= '9');

    close_card(f);
    open_card(f, NULL);
    query(f, "STATCARD", &rep);
    copy_element(&rep, 15, again);
    reply_free(&rep);
    assert_string_equal(serial, again);
}

/* ---- CSUACFC ------------------------------------------------------------- */

static struct req setclock(const char *text, size_t len)
{
    return (struct req){.op = CSU_OP_CSUACFC, .rules = {"SETCLOCK"}, .data = text, .data_len = len};
}

static void test_setclock(void **state)
{
    struct fixture *f = *state;
    /* 2030-01-02 03:04:05 GMT, a Wednesday (WW = 04, Sunday = 01) */
    expect(f, &(struct req){.op = CSU_OP_CSUACFC, .rules = {"ADAPTER1", "SETCLOCK"},
                            .data = "2030010203040504", .data_len = 16}, 0, 0);
    struct reply rep;
    query(f, "TIMEDATE", &rep);
    assert_element(&rep, 1, "20300102");
    char hms[9];
    copy_element(&rep, 2, hms);
    /* the clock runs on: allow a few seconds between set and read on a loaded machine */
    if (strcmp(hms, "030405  ") < 0 || strcmp(hms, "030414  ") > 0)
        fail_msg("TIMEDATE time '%s', want 030405 (+ a few seconds)", hms);
    assert_element(&rep, 3, "4");
    reply_free(&rep);

    /* the setting is persistent */
    close_card(f);
    open_card(f, NULL);
    query(f, "TIMEDATE", &rep);
    assert_element(&rep, 1, "20300102");
    reply_free(&rep);

    /* invalid text: 8/85 */
    static const char *const bad[] = {
        "2030130203040504", /* month 13 */
        "2030000203040504", /* month 0 */
        "2030023103040504", /* 31 February */
        "2030010003040504", /* day 0 */
        "2030010224040504", /* hour 24 */
        "2030010203600504", /* minute 60 */
        "2030010203046004", /* second 60 */
        "2030010203040500", /* weekday 0 */
        "2030010203040508", /* weekday 8 */
        "1969123123595904", /* before 1970 */
        "2030O10203040504", /* letter O */
        "20300102 3040504", /* blank */
        "-030010203040504",
        "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect(f, &(struct req){.op = CSU_OP_CSUACFC, .rules = {"SETCLOCK"}, .data = bad[i], .data_len = 16}, 8,
               85);
    /* short or absent: 8/72 */
    struct req q = setclock("203001020304050", 15);
    expect(f, &q, 8, 72);
    q = setclock("2", 1);
    expect(f, &q, 8, 72);
    expect(f, &(struct req){.op = CSU_OP_CSUACFC, .rules = {"SETCLOCK"}}, 8, 72);
    /* a refused setting left the clock alone */
    query(f, "TIMEDATE", &rep);
    assert_element(&rep, 1, "20300102");
    reply_free(&rep);
}

/* RQ-TOKEN returns 8 bytes; RQ-REINT wants their one's complement, once. */
static void rq_token(struct fixture *f, uint8_t token[8])
{
    struct reply rep;
    call(f, &(struct req){.op = CSU_OP_CSUACFC, .rules = {"RQ-TOKEN"}, .has_capacity = 1, .capacity = 8}, &rep);
    assert_int_equal(rep.msg.return_code, 0);
    const struct csu_wire_block *b = csu_wire_find(&rep.msg, CSU_TAG_OUT_DATA);
    assert_non_null(b);
    assert_int_equal(b->length, 8);
    memcpy(token, b->data, 8);
    reply_free(&rep);
}

static void test_reinit(void **state)
{
    struct fixture *f = *state;
    uint8_t token[8], answer[8];
    struct req reint = {.op = CSU_OP_CSUACFC, .rules = {"RQ-REINT"}, .data = answer, .data_len = 8};

    /* without a token: refused */
    memset(answer, 0, 8);
    expect(f, &reint, 8, 385);

    /* a wrong answer: refused, and the token is spent */
    rq_token(f, token);
    for (int i = 0; i < 8; i++)
        answer[i] = (uint8_t)~token[i];
    answer[7] ^= 0x01;
    expect(f, &reint, 8, 385);
    answer[7] ^= 0x01;
    expect(f, &reint, 8, 385); /* the right answer, too late */

    /* the token itself (not complemented) is wrong */
    rq_token(f, token);
    memcpy(answer, token, 8);
    expect(f, &reint, 8, 385);

    /* the complement: 0/0 and the clock setting is gone, the serial kept */
    struct reply rep;
    char serial[9], after[9];
    query(f, "STATCARD", &rep);
    copy_element(&rep, 15, serial);
    reply_free(&rep);
    expect(f, &(struct req){.op = CSU_OP_CSUACFC, .rules = {"SETCLOCK"}, .data = "2030010203040504",
                            .data_len = 16}, 0, 0);
    rq_token(f, token);
    for (int i = 0; i < 8; i++)
        answer[i] = (uint8_t)~token[i];
    expect(f, &reint, 0, 0);
    query(f, "STATCARD", &rep);
    copy_element(&rep, 15, after);
    reply_free(&rep);
    assert_string_equal(serial, after);
    query(f, "TIMEDATE", &rep);
    char date[9];
    copy_element(&rep, 1, date);
    reply_free(&rep);
    assert_string_not_equal(date, "20300102");
    expect(f, &reint, 8, 385); /* and only once */

    /* short answer, small output buffer */
    reint.data_len = 7;
    expect(f, &reint, 8, 72);
    expect(f, &(struct req){.op = CSU_OP_CSUACFC, .rules = {"RQ-TOKEN"}, .has_capacity = 1, .capacity = 7}, 8, 72);
    expect(f, &(struct req){.op = CSU_OP_CSUACFC, .rules = {"RQ-TOKEN"}}, 8, 72);
}

static void test_control_misc(void **state)
{
    struct fixture *f = *state;
    expect(f, &(struct req){.op = CSU_OP_CSUACFC, .rules = {"RESET-IL"}}, 0, 0);
    expect(f, &(struct req){.op = CSU_OP_CSUACFC, .rules = {"RESETBAT"}}, 0, 0);
    expect(f, &(struct req){.op = CSU_OP_CSUACFC, .rules = {"LOAD-FCV"}}, 8, 335);
    expect(f, &(struct req){.op = CSU_OP_CSUACFC, .rules = {"SETCLOCK", "RESET-IL"}}, 8, 34);
    expect(f, &(struct req){.op = CSU_OP_CSUACFC, .rules = {"STATCCA"}}, 8, 33);
    expect(f, &(struct req){.op = CSU_OP_CSUACFC, .rules = {"ADAPTER1"}}, 8, 129);
}

/* ---- POST failure -------------------------------------------------------- */

static const char *const query_keywords[] = {
    "STATCCA",  "STATCCAE", "STATAES",  "STATAPKA", "STATCARD", "STATCRD2", "STATEID",
    "STATEXPT", "TIMEDATE", "STATMOFN", "STATICSA", "STATICSB", "STATICSC", "STATICSX",
    "STATKPR",  "STATKPRL", "STATVKPR", "STATVKPL", "STATTKPR", "NUM-DECT", "DOM-NUMS",
    "DOM-USAG", "DOM-CONT", "GETCOMPD",
};
static const char *const control_keywords[] = {"SETCLOCK", "RQ-TOKEN", "RQ-REINT", "RESET-IL",
                                               "RESETBAT", "LOAD-FCV", "CLR-FCV"};

static void failed_kat(void **state, const char *kat)
{
    struct fixture *f = *state;
    close_card(f);
    open_card(f, kat);
    const char *name = NULL;
    assert_int_equal(card_post_state(f->card, &name), CARD_POST_FAILED);
    assert_string_equal(name, kat);

    struct reply rep;
    query(f, "STATPOST", &rep);
    assert_element(&rep, 1, "FAILED");
    assert_element(&rep, 2, kat);
    reply_free(&rep);
    query(f, "STATDIAG", &rep);
    assert_element(&rep, 3, "1"); /* the failure is in the error log */
    reply_free(&rep);

    for (size_t i = 0; i < sizeof(query_keywords) / sizeof(query_keywords[0]); i++)
        expect(f, &(struct req){.op = CSU_OP_CSUACFQ, .rules = {query_keywords[i]}}, 12, 338);
    expect(f, &(struct req){.op = CSU_OP_CSUACFQ, .rules = {"ADAPTER1", "STATCARD"}}, 12, 338);
    for (size_t i = 0; i < sizeof(control_keywords) / sizeof(control_keywords[0]); i++)
        expect(f, &(struct req){.op = CSU_OP_CSUACFC, .rules = {control_keywords[i]}, .has_capacity = 1,
                                .capacity = 8, .data = "2030010203040504", .data_len = 16}, 12, 338);
    static const char *const forms[] = {"RANDOM", "ODD", "EVEN"};
    for (size_t i = 0; i < 3; i++) {
        expect(f, &(struct req){.op = CSU_OP_CSNBRNG, .rules = {forms[i]}}, 12, 338);
        expect(f, &(struct req){.op = CSU_OP_CSNBRNGL, .rules = {forms[i]}, .has_capacity = 1, .capacity = 16},
               12, 338);
    }
    /* every other operation the wire knows, whatever its arguments */
    for (uint16_t op = CSU_OP_CSUACFC; op < CSU_OP_COUNT_; op++) {
        expect(f, &(struct req){.op = op, .rules = {NULL}}, 12, 338);
        expect(f, &(struct req){.op = op, .rules = {"RANDOM", "ADAPTER1"}, .has_capacity = 1, .capacity = 64,
                                .data = "0123456789abcdef", .data_len = 16}, 12, 338);
    }
    /* the failed state holds until the card is reopened without the hook */
    close_card(f);
    open_card(f, NULL);
    query(f, "STATPOST", &rep);
    assert_element(&rep, 1, "PASSED");
    reply_free(&rep);
    expect(f, &(struct req){.op = CSU_OP_CSNBRNG, .rules = {"RANDOM"}}, 0, 0);
}

#define KAT_TEST(name)                                                                                      \
    static void test_fail_kat_##name(void **state)                                                         \
    {                                                                                                      \
        failed_kat(state, #name);                                                                          \
    }
KAT_TEST(SHA256)
KAT_TEST(HMAC256)
KAT_TEST(AES)
KAT_TEST(TDES)
KAT_TEST(RSA)
KAT_TEST(ECDSA)
KAT_TEST(DRBG)

/* ---- random numbers ------------------------------------------------------ */

static int parity(uint8_t b)
{
    return __builtin_popcount(b) & 1;
}

static void test_rng_parity(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *form;
        int want; /* 1 odd, 0 even */
    } forms[] = {{"ODD", 1}, {"EVEN", 0}};
    for (size_t k = 0; k < 2; k++) {
        for (int round = 0; round < 64; round++) { /* 512 bytes through CSNBRNG */
            struct reply rep;
            call(f, &(struct req){.op = CSU_OP_CSNBRNG, .rules = {forms[k].form}}, &rep);
            assert_int_equal(rep.msg.return_code, 0);
            const struct csu_wire_block *b = csu_wire_find(&rep.msg, CSU_TAG_OUT_DATA);
            assert_non_null(b);
            assert_int_equal(b->length, 8);
            for (int i = 0; i < 8; i++)
                if (parity(b->data[i]) != forms[k].want)
                    fail_msg("CSNBRNG %s byte %d = %02x", forms[k].form, i, b->data[i]);
            reply_free(&rep);
        }
        struct reply rep; /* and 8192 bytes through CSNBRNGL */
        call(f, &(struct req){.op = CSU_OP_CSNBRNGL, .rules = {forms[k].form}, .has_capacity = 1,
                              .capacity = CSU_RNGL_MAX}, &rep);
        assert_int_equal(rep.msg.return_code, 0);
        const struct csu_wire_block *b = csu_wire_find(&rep.msg, CSU_TAG_OUT_DATA);
        assert_non_null(b);
        assert_int_equal(b->length, CSU_RNGL_MAX);
        for (size_t i = 0; i < b->length; i++)
            if (parity(b->data[i]) != forms[k].want)
                fail_msg("CSNBRNGL %s byte %zu = %02x", forms[k].form, i, b->data[i]);
        reply_free(&rep);
    }
    /* RANDOM: both parities show up, and two calls differ */
    uint8_t first[8];
    int seen[2] = {0, 0};
    for (int round = 0; round < 2; round++) {
        struct reply rep;
        call(f, &(struct req){.op = CSU_OP_CSNBRNGL, .rules = {"RANDOM"}, .has_capacity = 1, .capacity = 256},
             &rep);
        const struct csu_wire_block *b = csu_wire_find(&rep.msg, CSU_TAG_OUT_DATA);
        assert_non_null(b);
        assert_int_equal(b->length, 256);
        for (size_t i = 0; i < b->length; i++)
            seen[parity(b->data[i])]++;
        if (round == 0)
            memcpy(first, b->data, 8);
        else
            assert_memory_not_equal(first, b->data, 8);
        reply_free(&rep);
    }
    assert_true(seen[0] > 0 && seen[1] > 0);
}

static void test_rngl_lengths(void **state)
{
    struct fixture *f = *state;
    expect(f, &(struct req){.op = CSU_OP_CSNBRNGL, .rules = {"RANDOM"}, .has_capacity = 1, .capacity = 0}, 8, 72);
    expect(f, &(struct req){.op = CSU_OP_CSNBRNGL, .rules = {"RANDOM"}, .has_capacity = 1,
                            .capacity = CSU_RNGL_MAX + 1}, 8, 72);
    expect(f, &(struct req){.op = CSU_OP_CSNBRNGL, .rules = {"RANDOM"}, .has_capacity = 1,
                            .capacity = 0xffffffffu}, 8, 72);
    expect(f, &(struct req){.op = CSU_OP_CSNBRNGL, .rules = {"RANDOM"}}, 8, 72); /* no length at all */
    /* a seed (reserved field) is only for TDES-CBC, which is not served */
    expect(f, &(struct req){.op = CSU_OP_CSNBRNGL, .rules = {"RANDOM"}, .has_capacity = 1, .capacity = 8,
                            .data = "seed", .data_len = 4}, 8, 72);
    static const uint32_t good[] = {1, 2, 7, 8, 9, 4096, CSU_RNGL_MAX};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct reply rep;
        call(f, &(struct req){.op = CSU_OP_CSNBRNGL, .rules = {"EVEN"}, .has_capacity = 1, .capacity = good[i]},
             &rep);
        assert_int_equal(rep.msg.return_code, 0);
        const struct csu_wire_block *b = csu_wire_find(&rep.msg, CSU_TAG_OUT_DATA);
        assert_non_null(b);
        assert_int_equal(b->length, good[i]);
        reply_free(&rep);
    }
    /* rule arrays */
    expect(f, &(struct req){.op = CSU_OP_CSNBRNGL, .rules = {"TDES-CBC"}, .has_capacity = 1, .capacity = 8}, 8, 33);
    expect(f, &(struct req){.op = CSU_OP_CSNBRNGL, .rules = {"ODD", "EVEN"}, .has_capacity = 1, .capacity = 8}, 8,
           34);
    expect(f, &(struct req){.op = CSU_OP_CSNBRNGL, .rules = {NULL}, .has_capacity = 1, .capacity = 8}, 8, 35);
    expect(f, &(struct req){.op = CSU_OP_CSNBRNG, .rules = {"ODD", "EVEN"}}, 8, 35);
    expect(f, &(struct req){.op = CSU_OP_CSNBRNG, .rules = {"KEY"}}, 8, 33);
}

/* ---- malformed frames ---------------------------------------------------- */

static void expect_malformed(struct fixture *f, const uint8_t *frame, size_t len)
{
    struct reply rep;
    send_frame(f, frame, len, &rep);
    assert_int_equal(rep.msg.return_code, 16);
    assert_int_equal(rep.msg.reason_code, 556);
    assert_int_equal(rep.msg.op, CSU_OP_NONE);
    assert_int_equal(rep.msg.rule_count, 0);
    assert_int_equal(rep.msg.block_count, 0);
    reply_free(&rep);
}

static void test_malformed(void **state)
{
    struct fixture *f = *state;
    uint8_t rules[8];
    csu_rules_put_word(rules, "RANDOM");
    struct csu_wire_msg m = {.op = CSU_OP_CSNBRNG, .rule_count = 1, .rules = rules};
    uint8_t *frame;
    size_t len;
    assert_int_equal(csu_wire_encode(&m, false, &frame, &len), CSU_OK);
    for (size_t n = 0; n < len; n++) /* every truncation */
        expect_malformed(f, frame, n);
    expect_malformed(f, NULL, 0);
    uint8_t copy[64];
    memcpy(copy, frame, len);
    copy[len] = 0;
    expect_malformed(f, copy, len + 1); /* too long */
    copy[0] = 'X';
    expect_malformed(f, copy, len); /* magic */
    memcpy(copy, frame, len);
    csu_store_be16(copy + 6, 0x7777);
    expect_malformed(f, copy, len); /* unknown op */
    memcpy(copy, frame, len);
    csu_store_be32(copy + 8, 1);
    expect_malformed(f, copy, len); /* flags */
    /* a reply frame sent as a request */
    uint8_t *rep_frame;
    size_t rep_len;
    assert_int_equal(csu_wire_encode(&m, true, &rep_frame, &rep_len), CSU_OK);
    expect_malformed(f, rep_frame, rep_len);
    csu_wire_free(rep_frame, rep_len);
    /* the card keeps serving afterwards */
    struct reply rep;
    send_frame(f, frame, len, &rep);
    assert_int_equal(rep.msg.return_code, 0);
    reply_free(&rep);
    csu_wire_free(frame, len);
}

/* ---- CSUACFQ STATICSA / STATICSB ------------------------------------------ */

#define ICSA_LENGTH 204
#define ICSB_LENGTH 240

/* Block offsets and IDs (docs/reference-notes.md "STATICSA / STATICSB"). */
static const struct {
    size_t offset;
    uint16_t id;
    uint16_t length; /* whole block */
} icsb_layout[] = {
    {0, 0x0F02, 20},   {20, 0x0F01, 20},  {40, 0x0F00, 20},  {60, 0x0F05, 20},  {80, 0x0F04, 20},
    {100, 0x0F03, 20}, {120, 0x0F08, 12}, {132, 0x0F07, 12}, {144, 0x0F06, 12}, {156, 0x0F09, 12},
    {168, 0x0F0C, 12}, {180, 0x0F0B, 12}, {192, 0x0F0A, 12}, {204, 0x0F0F, 12}, {216, 0x0F0E, 12},
    {228, 0x0F0D, 12},
};
#define ICSA_BLOCKS 13

/* Where each register's 8-byte pattern sits: [set][new, current, old]. */
enum { SET_SYM, SET_ASYM, SET_AES, SET_APKA };
static const size_t vp_offset[4][3] = {
    {148, 136, 124}, /* SYM (8-byte patterns; MDC-4 fields at 44, 24, 4) */
    {104, 84, 64},   /* ASYM (16-byte MDC-4 fields) */
    {196, 184, 172}, /* AES */
    {232, 220, 208}, /* APKA */
};

static void query_verb_data(struct fixture *f, const char *keyword, uint32_t capacity, struct reply *rep,
                            const struct csu_wire_block **data)
{
    call(f, &(struct req){.op = CSU_OP_CSUACFQ, .rules = {keyword}, .has_capacity = 1, .capacity = capacity},
         rep);
    if (rep->msg.return_code != 0 || rep->msg.reason_code != 0)
        fail_msg("%s: %u/%u", keyword, rep->msg.return_code, rep->msg.reason_code);
    *data = csu_wire_find(&rep->msg, CSU_TAG_OUT_DATA);
    assert_non_null(*data);
}

static void assert_layout(const struct csu_wire_block *b, size_t blocks)
{
    for (size_t i = 0; i < blocks; i++) {
        const uint8_t *p = b->data + icsb_layout[i].offset;
        if (csu_load_be16(p) != icsb_layout[i].length || csu_load_be16(p + 2) != icsb_layout[i].id)
            fail_msg("block %zu at %zu: length %u id %04X, want %u %04X", i, icsb_layout[i].offset,
                     csu_load_be16(p), csu_load_be16(p + 2), icsb_layout[i].length, icsb_layout[i].id);
    }
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static void assert_states(const struct reply *rep, int first, const char *states)
{
    for (int i = 0; states[i]; i++)
        assert_element(rep, first + i, (char[2]){states[i], 0});
}

/* A fresh card: all registers empty, every block present with a zero value. */
static void test_icsa_icsb_empty(void **state)
{
    struct fixture *f = *state;
    struct reply rep, card;
    const struct csu_wire_block *b;
    char serial[9];
    query(f, "STATCRD2", &card);
    copy_element(&card, 15, serial);
    reply_free(&card);

    query_verb_data(f, "STATICSA", 4096, &rep, &b);
    assert_int_equal(rep.msg.rule_count, 10);
    assert_element(&rep, 1, serial);
    assert_states(&rep, 2, "111111111");
    assert_int_equal(b->length, ICSA_LENGTH);
    assert_layout(b, ICSA_BLOCKS);
    for (size_t i = 0; i < ICSA_BLOCKS; i++)
        assert_true(all_zero(b->data + icsb_layout[i].offset + 4, icsb_layout[i].length - 4u));
    reply_free(&rep);

    query_verb_data(f, "STATICSB", ICSB_LENGTH, &rep, &b); /* exactly enough */
    assert_int_equal(rep.msg.rule_count, 13);
    assert_element(&rep, 1, serial);
    assert_states(&rep, 2, "111111111111");
    assert_int_equal(b->length, ICSB_LENGTH);
    assert_layout(b, sizeof(icsb_layout) / sizeof(icsb_layout[0]));
    assert_true(all_zero(b->data + 208, 8) && all_zero(b->data + 220, 8) && all_zero(b->data + 232, 8));
    reply_free(&rep);

    /* ADAPTER1 may precede the keyword */
    call(f, &(struct req){.op = CSU_OP_CSUACFQ, .rules = {"ADAPTER1", "STATICSB"}, .has_capacity = 1,
                          .capacity = 256},
         &rep);
    assert_int_equal(rep.msg.return_code, 0);
    assert_int_equal(rep.msg.rule_count, 13);
    reply_free(&rep);
}

/* verb_data too small for the layout: 8/72 and nothing returned. */
static void test_icsa_icsb_too_small(void **state)
{
    struct fixture *f = *state;
    expect(f, &(struct req){.op = CSU_OP_CSUACFQ, .rules = {"STATICSA"}, .has_capacity = 1, .capacity = 203}, 8,
           72);
    expect(f, &(struct req){.op = CSU_OP_CSUACFQ, .rules = {"STATICSB"}, .has_capacity = 1, .capacity = 239}, 8,
           72);
    expect(f, &(struct req){.op = CSU_OP_CSUACFQ, .rules = {"STATICSB"}, .has_capacity = 1, .capacity = 0}, 8, 72);
    expect(f, &(struct req){.op = CSU_OP_CSUACFQ, .rules = {"STATICSA"}}, 8, 72); /* no capacity at all */
    expect(f, &(struct req){.op = CSU_OP_CSUACFQ, .rules = {"STATICSA"}, .has_capacity = 1, .capacity = 204}, 0, 0);
}

/* Odd parity in every byte, as a SYM/ASYM key part should have. */
static void odd_parity(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)((p[i] & 0xfe) | !(__builtin_popcount(p[i] & 0xfe) & 1));
}

static void make_part(uint8_t *part, size_t n, uint8_t seed, bool parity)
{
    for (size_t i = 0; i < n; i++)
        part[i] = (uint8_t)(seed * 37 + i * 11 + (i * i) * 5);
    if (parity)
        odd_parity(part, n);
}

/* Expected pattern of a register: SHA-256 (32-byte) or SHA-1 (24-byte) of X'01' || key, first 8 bytes. */
static void expected_vp(const uint8_t *key, size_t n, uint8_t vp[8])
{
    uint8_t in[33], md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    in[0] = 0x01;
    memcpy(in + 1, key, n);
    assert_int_equal(EVP_Digest(in, 1 + n, md, &md_len, n == 32 ? EVP_sha256() : EVP_sha1(), NULL), 1);
    memcpy(vp, md, 8);
}

static void mkp(struct fixture *f, const char *set, const char *action, const uint8_t *part, size_t n)
{
    expect(f, &(struct req){.op = CSU_OP_CSNBMKP, .rules = {set, action}, .data = part, .data_len = part ? n : 0},
           0, 0);
}

/* FIRST + LAST from two known parts; @p key gets their XOR. */
static void load_parts(struct fixture *f, const char *set, size_t n, uint8_t seed, uint8_t *key)
{
    uint8_t p1[32], p2[32];
    bool parity = n == 24;
    make_part(p1, n, seed, parity);
    make_part(p2, n, (uint8_t)(seed + 101), parity);
    mkp(f, set, "FIRST", p1, n);
    mkp(f, set, "LAST", p2, n);
    for (size_t i = 0; i < n; i++)
        key[i] = p1[i] ^ p2[i];
}

static void assert_vp_at(const struct csu_wire_block *b, size_t offset, const uint8_t *key, size_t n)
{
    uint8_t want[8];
    expected_vp(key, n, want);
    if (memcmp(b->data + offset, want, 8) != 0)
        fail_msg("pattern at %zu differs", offset);
}

/* Known master keys: the patterns sit where clients read them, empty registers are zero. */
/* Regression: on a fresh card and after RQ-REINT, FIRST needs no CLEAR
 * (the new registers start empty, state 1, not 0). */
static void test_first_without_clear(void **state)
{
    struct fixture *f = *state;
    uint8_t key[32];
    load_parts(f, "AES-MK", 32, 7, key);
    mkp(f, "AES-MK", "SET", NULL, 0);
    struct reply rep;
    const struct csu_wire_block *b;
    query_verb_data(f, "STATICSB", 256, &rep, &b);
    reply_free(&rep);
    load_parts(f, "APKA-MK", 32, 9, key); /* a set untouched so far */
    load_parts(f, "SYM-MK", 24, 11, key);
}

static void test_icsa_icsb_patterns(void **state)
{
    struct fixture *f = *state;
    uint8_t aes[32], apka[32], sym_old[24], sym_cur[24];
    /* AES: current; APKA: new (full), not set; SYM: two SETs, so current and old. */
    static const char *const sets[] = {"SYM-MK", "ASYM-MK", "AES-MK", "APKA-MK"};
    for (size_t i = 0; i < 4; i++) /* CLEAR first, as the manual recommends */
        mkp(f, sets[i], "CLEAR", NULL, 0);
    load_parts(f, "AES-MK", 32, 1, aes);
    mkp(f, "AES-MK", "SET", NULL, 0);
    load_parts(f, "APKA-MK", 32, 2, apka);
    load_parts(f, "SYM-MK", 24, 3, sym_old);
    mkp(f, "SYM-MK", "SET", NULL, 0);
    load_parts(f, "SYM-MK", 24, 4, sym_cur);
    mkp(f, "SYM-MK", "SET", NULL, 0);
    /* ASYM: one part only (partly loaded: state 2, no pattern) */
    uint8_t part[24];
    make_part(part, 24, 5, true);
    mkp(f, "ASYM-MK", "FIRST", part, 24);

    struct reply rep;
    const struct csu_wire_block *b;
    query_verb_data(f, "STATICSB", 256, &rep, &b); /* openCryptoki's buffer */
    assert_int_equal(b->length, ICSB_LENGTH);
    assert_layout(b, sizeof(icsb_layout) / sizeof(icsb_layout[0]));
    /* states: SYM N/C/O, ASYM, AES, APKA */
    assert_states(&rep, 2, "122" "211" "121" "311");
    assert_vp_at(b, vp_offset[SET_AES][1], aes, 32);
    assert_vp_at(b, vp_offset[SET_APKA][0], apka, 32);
    assert_vp_at(b, vp_offset[SET_SYM][1], sym_cur, 24);
    assert_vp_at(b, vp_offset[SET_SYM][2], sym_old, 24);
    /* MDC-4 stand-ins: the same pattern followed by 8 zero bytes */
    assert_vp_at(b, 24, sym_cur, 24);
    assert_vp_at(b, 4, sym_old, 24);
    assert_true(all_zero(b->data + 32, 8) && all_zero(b->data + 12, 8));
    /* empty, partial or reserved: zeros */
    static const size_t zero_at[] = {44, 64, 84, 104, 148, 160, 172, 196, 208, 220};
    for (size_t i = 0; i < sizeof(zero_at) / sizeof(zero_at[0]); i++)
        if (!all_zero(b->data + zero_at[i], 8))
            fail_msg("value at %zu is not zero", zero_at[i]);
    uint8_t icsb[ICSB_LENGTH];
    memcpy(icsb, b->data, ICSB_LENGTH);
    reply_free(&rep);

    /* STATICSA is STATICSB's first 204 bytes and 10 elements */
    query_verb_data(f, "STATICSA", 2048, &rep, &b);
    assert_int_equal(rep.msg.rule_count, 10);
    assert_int_equal(b->length, ICSA_LENGTH);
    assert_memory_equal(b->data, icsb, ICSA_LENGTH);
    assert_states(&rep, 2, "122" "211" "121");
    reply_free(&rep);

    /* the state queries agree */
    query(f, "STATAES", &rep);
    assert_states(&rep, 1, "121");
    reply_free(&rep);
    query(f, "STATAPKA", &rep);
    assert_states(&rep, 1, "311");
    reply_free(&rep);
    query(f, "STATCCAE", &rep);
    assert_states(&rep, 1, "122");
    assert_states(&rep, 7, "211");
    reply_free(&rep);

    /* AES SET again with a new key: old takes the first key's pattern */
    uint8_t aes2[32];
    load_parts(f, "AES-MK", 32, 6, aes2);
    mkp(f, "AES-MK", "SET", NULL, 0);
    query_verb_data(f, "STATICSB", 240, &rep, &b);
    assert_states(&rep, 8, "122");
    assert_vp_at(b, vp_offset[SET_AES][1], aes2, 32);
    assert_vp_at(b, vp_offset[SET_AES][2], aes, 32);
    assert_true(all_zero(b->data + vp_offset[SET_AES][0], 8));
    reply_free(&rep);
}

/* card_mk_find_locked (and for APKA card_mk_find_apka) of @p key's pattern. */
static void expect_card_find(struct fixture *f, enum mk_set set, const uint8_t *key, csu_err want, bool want_old)
{
    size_t n = mk_set_length(set);
    uint8_t vp[8], got[32];
    bool old = !want_old;
    expected_vp(key, n, vp);
    assert_int_equal(card_mk_find_locked(f->card, set, vp, got, &old), want);
    if (want == CSU_OK) {
        assert_memory_equal(got, key, n);
        assert_int_equal(old, want_old);
    }
    if (set == MK_APKA) {
        old = !want_old;
        assert_int_equal(card_mk_find_apka(f->card, vp, got, &old), want);
        if (want == CSU_OK)
            assert_int_equal(old, want_old);
    }
}

static void reinitialise(struct fixture *f)
{
    uint8_t token[8], answer[8];
    rq_token(f, token);
    for (int i = 0; i < 8; i++)
        answer[i] = (uint8_t)~token[i];
    expect(f, &(struct req){.op = CSU_OP_CSUACFC, .rules = {"RQ-REINT"}, .data = answer, .data_len = 8}, 0, 0);
}

/* The card's lookups follow every change of the registers: SET, a state reload, RQ-REINT. */
static void test_mk_lookup_card_paths(void **state)
{
    struct fixture *f = *state;
    static const char *const names[] = {"SYM-MK", "ASYM-MK", "AES-MK", "APKA-MK"};
    uint8_t k1[4][32] = {{0}}, k2[4][32] = {{0}}, k3[4][32] = {{0}};
    for (int s = 0; s < 4; s++) {
        size_t n = mk_set_length((enum mk_set)s);
        expect_card_find(f, (enum mk_set)s, k1[s], CSU_E_MK_NOT_LOADED, false);
        load_parts(f, names[s], n, (uint8_t)(20 + s), k1[s]);
        expect_card_find(f, (enum mk_set)s, k1[s], CSU_E_MK_NOT_LOADED, false); /* new register only */
        mkp(f, names[s], "SET", NULL, 0);
        expect_card_find(f, (enum mk_set)s, k1[s], CSU_OK, false);
        load_parts(f, names[s], n, (uint8_t)(30 + s), k2[s]);
        mkp(f, names[s], "SET", NULL, 0);
        load_parts(f, names[s], n, (uint8_t)(40 + s), k3[s]); /* full, not set: unknown to lookups */
    }
    for (int pass = 0; pass < 2; pass++) { /* as set, then as card_open loads them */
        for (int s = 0; s < 4; s++) {
            expect_card_find(f, (enum mk_set)s, k2[s], CSU_OK, false);
            expect_card_find(f, (enum mk_set)s, k1[s], CSU_OK, true);
            expect_card_find(f, (enum mk_set)s, k3[s], CSU_E_MKVP, false);
        }
        close_card(f);
        open_card(f, NULL);
    }
    for (int s = 0; s < 4; s++) { /* the full new register, set after the reload */
        mkp(f, names[s], "SET", NULL, 0);
        expect_card_find(f, (enum mk_set)s, k3[s], CSU_OK, false);
        expect_card_find(f, (enum mk_set)s, k2[s], CSU_OK, true);
        expect_card_find(f, (enum mk_set)s, k1[s], CSU_E_MKVP, false);
    }
    reinitialise(f);
    for (int pass = 0; pass < 2; pass++) { /* zeroized, and still so after a reload */
        for (int s = 0; s < 4; s++) {
            expect_card_find(f, (enum mk_set)s, k3[s], CSU_E_MK_NOT_LOADED, false);
            expect_card_find(f, (enum mk_set)s, k2[s], CSU_E_MK_NOT_LOADED, false);
        }
        close_card(f);
        open_card(f, NULL);
    }
    for (int s = 0; s < 4; s++) {
        size_t n = mk_set_length((enum mk_set)s);
        load_parts(f, names[s], n, (uint8_t)(20 + s), k1[s]);
        mkp(f, names[s], "SET", NULL, 0);
        expect_card_find(f, (enum mk_set)s, k1[s], CSU_OK, false);
        expect_card_find(f, (enum mk_set)s, k3[s], CSU_E_MKVP, false);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_query_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serial_stable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_setclock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reinit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control_misc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_kat_SHA256, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_kat_HMAC256, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_kat_AES, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_kat_TDES, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_kat_RSA, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_kat_ECDSA, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_kat_DRBG, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rng_parity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rngl_lengths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_icsa_icsb_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_icsa_icsb_too_small, setup, teardown),
        cmocka_unit_test_setup_teardown(test_icsa_icsb_patterns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_without_clear, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mk_lookup_card_paths, setup, teardown),
    };
    return cmocka_run_group_tests_name("card", tests, NULL, NULL);
}
