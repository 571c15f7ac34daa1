/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the card firmware (card/), driven directly through
 * card_open / card_worker_open / card_process (card_request.h).
 *
 * Covers: CSUACFQ STATCCA / STATCCAE / STATCARD element counts, the serial
 * number's stability across a reopen; CSUACFC SETCLOCK read back through
 * TIMEDATE, bad (8/85) and short (8/72) clock text; RQ-TOKEN / RQ-REINT
 * (0/0 with the complement, 8/385 otherwise); a failing KAT (each one) makes
 * every operation but STATDIAG/STATPOST answer 12/338 and STATPOST name it;
 * CSNBRNG ODD/EVEN parity; CSNBRNGL length limits (8/72); a malformed
 * request frame gets a 16/556 reply.  The master-key status blocks
 * (STATICSA / STATICSB) and lookups are in test_card_icsa.c.
 */
#include "card_request.h"

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
    };
    return cmocka_run_group_tests_name("card", tests, NULL, NULL);
}
