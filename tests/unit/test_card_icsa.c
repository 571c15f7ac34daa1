/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the card's master-key status and lookups, driven through
 * card_process (card_request.h).
 *
 * CSUACFQ STATICSA / STATICSB: element counts, serial and register states,
 * verb_data length and block IDs at the documented offsets, verification
 * patterns of master keys loaded from known parts (recomputed here with
 * OpenSSL), zeros for empty or partly loaded registers, 8/72 for a
 * too-small verb_data; STATAES / STATAPKA / STATCCAE follow the same
 * registers.  Master-key lookups (card_mk_find_locked, card_mk_find_apka:
 * current, old, 8/48, 12/764) after CSNBMKP SET, after the state is loaded
 * again by card_open, and after RQ-REINT, for every set.
 */
#include "card_request.h"

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
        cmocka_unit_test_setup_teardown(test_icsa_icsb_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_icsa_icsb_too_small, setup, teardown),
        cmocka_unit_test_setup_teardown(test_icsa_icsb_patterns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_without_clear, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mk_lookup_card_paths, setup, teardown),
    };
    return cmocka_run_group_tests_name("card_icsa", tests, NULL, NULL);
}
