/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of card/tok_fixed.c, card/tok_cv.c and card/wrap_fixed.c, and
 * of CSNBKGN's DES keys as the card makes them (driven through
 * card_process on a mkdtemp state directory, then unwrapped in the card
 * to look at the clear key): TVV, each parser rejection, the default-CV
 * table, key-form bits and parity, the CV binding of DES wrapping, the
 * AES LRC, odd parity and distinct halves of generated keys.
 */
#include <setjmp.h> /* cmocka needs these three first */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card_internal.h"
#include "csu_mu.h"
#include "csu_rules.h"
#include "tok_cv.h"
#include "tok_fixed.h"
#include "wrap_fixed.h"
#include "card_fixture.h" /* struct fixture, setup, teardown: a card on a fresh directory */

static const uint8_t DATA_KW[8] = "DATA    ";

static void des_token(uint8_t tok[64], const char *type, size_t len)
{
    uint8_t kw[8], l[8], r[8];
    memset(kw, ' ', 8);
    memcpy(kw, type, strlen(type));
    assert_int_equal(cv_default(cv_type_find(kw), len, CV_FORM_PLAIN, l, r), CSU_OK);
    tok_fixed_build_des(tok, false, l, r);
}

static void tvv_is_word_sum(void **state)
{
    (void)state;
    uint8_t t[64];
    for (int i = 0; i < 64; i++)
        t[i] = 0xFF;
    tok_fixed_seal(t);
    /* 15 words of 0xFFFFFFFF sum to -15 modulo 2^32. */
    assert_int_equal(csu_load_be32(t + 60), (uint32_t)(0u - 15u));
    assert_int_equal(tok_fixed_tvv(t), (uint32_t)(0u - 15u));
}

static void parse_rejections(void **state)
{
    (void)state;
    uint8_t t[64];
    struct tok_fixed info;
    des_token(t, "DATA", 16);
    assert_int_equal(tok_fixed_parse(t, 64, &info), CSU_OK);
    assert_int_equal(info.key_len, 16);
    assert_false(info.has_key);
    assert_int_equal(tok_fixed_parse(t, 63, &info), CSU_E_LENGTH);
    t[0] = 0x00;
    assert_int_equal(tok_fixed_parse(t, 64, &info), CSU_E_TOKEN_NULL);
    t[0] = 0x1F;
    assert_int_equal(tok_fixed_parse(t, 64, &info), CSU_E_TOKEN_TYPE);
    t[0] = 0x01;
    t[4] = 0x03;
    assert_int_equal(tok_fixed_parse(t, 64, &info), CSU_E_TOKEN_VERSION);
    t[4] = 0x00;
    t[33] ^= 1; /* TVV no longer matches */
    assert_int_equal(tok_fixed_parse(t, 64, &info), CSU_E_TVV_INTERNAL);
    t[0] = 0x02;
    assert_int_equal(tok_fixed_parse(t, 64, &info), CSU_E_TVV_EXTERNAL);
    t[0] = 0x01;
    t[33] ^= 1;
    t[45] = 0x41; /* right CV announcing a left half */
    tok_fixed_seal(t);
    assert_int_equal(tok_fixed_parse(t, 64, &info), CSU_E_TOKEN_CONSISTENCY);
    /* External AES version 4 does not exist. */
    tok_fixed_build_aes(t, 32);
    t[0] = 0x02;
    tok_fixed_seal(t);
    assert_int_equal(tok_fixed_parse(t, 64, &info), CSU_E_TOKEN_VERSION);
    /* Version 1 DES: zero CVs, length byte 59. */
    memset(t, 0, 64);
    t[0] = 1, t[4] = 1, t[59] = 0x20;
    tok_fixed_seal(t);
    assert_int_equal(tok_fixed_parse(t, 64, &info), CSU_OK);
    assert_int_equal(info.key_len, 24);
    t[59] = 0x30;
    tok_fixed_seal(t);
    assert_int_equal(tok_fixed_parse(t, 64, &info), CSU_E_AES_BITS);
}

static void aes_fields(void **state)
{
    (void)state;
    uint8_t t[64];
    struct tok_fixed info;
    tok_fixed_build_aes(t, 24);
    assert_int_equal(tok_fixed_parse(t, 64, &info), CSU_OK);
    assert_int_equal(info.key_len, 24);
    assert_int_equal(info.kind, TOK_AES_INTERNAL);
    csu_store_be16(t + 56, 100);
    tok_fixed_seal(t);
    assert_int_equal(tok_fixed_parse(t, 64, &info), CSU_E_AES_BITS);
    csu_store_be16(t + 56, 128);
    csu_store_be16(t + 58, 32); /* encrypted length without the key flag */
    tok_fixed_seal(t);
    assert_int_equal(tok_fixed_parse(t, 64, &info), CSU_E_AES_ENC_LENGTH);
    t[6] = 0x80;
    tok_fixed_seal(t);
    assert_int_equal(tok_fixed_parse(t, 64, &info), CSU_OK);
    assert_true(info.has_key);
    t[50] = 1;
    tok_fixed_seal(t);
    assert_int_equal(tok_fixed_parse(t, 64, &info), CSU_E_CV);
}

static void cv_table(void **state)
{
    (void)state;
    uint8_t l[8], r[8];
    const struct cv_type *data = cv_type_find(DATA_KW);
    assert_non_null(data);
    static const uint8_t nul_padded[8] = {'d', 'a', 't', 'a', 0, 0, 0, 0};
    assert_ptr_equal(cv_type_find(nul_padded), data);
    assert_int_equal(cv_default(data, 24, CV_FORM_PLAIN, l, r), CSU_OK);
    static const uint8_t triple[8] = {0x00, 0x00, 0x7D, 0x00, 0x03, 0x60, 0x00, 0x81};
    assert_memory_equal(l, triple, 8);
    assert_memory_equal(r, triple, 8);
    assert_int_equal(cv_key_length(l), 24);
    assert_int_equal(cv_default(data, 16, CV_FORM_DIFFERENT, l, r), CSU_OK);
    assert_int_equal(l[5] & 0xE0, 0xC0); /* 110: DOUBLE-O */
    assert_int_equal(r[5] & 0xE0, 0xA0); /* 101 */
    assert_true(cv_parity_ok(l) && cv_parity_ok(r));
    assert_int_equal(cv_key_length(l), 16);
    cv_set_key_part(l, true);
    assert_true(cv_is_key_part(l) && cv_parity_ok(l));
    cv_set_key_part(l, false);
    assert_false(cv_is_key_part(l));
    uint8_t kw[8] = "EXPORTER";
    assert_int_equal(cv_default(cv_type_find(kw), 8, CV_FORM_PLAIN, l, r), CSU_E_TYPE_LENGTH);
    assert_int_equal(cv_default(data, 32, CV_FORM_PLAIN, l, r), CSU_E_KEY_LENGTH);
    assert_ptr_equal(cv_type_by_cv(l), data); /* form and KEY-PART bits ignored */
    uint8_t nope[8] = "NOSUCH  ";
    assert_null(cv_type_find(nope));
    uint8_t k[3] = {0x00, 0x01, 0xFE};
    des_fix_parity(k, 3);
    assert_true(des_parity_ok(k, 3));
    assert_int_equal(k[0], 0x01);
}

static void des_wrap_binds_cv(void **state)
{
    (void)state;
    uint8_t mk[24], key[16], wrapped[16], back[16], l[8], r[8], l2[8], r2[8];
    for (int i = 0; i < 24; i++)
        mk[i] = (uint8_t)(7 * i + 1);
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)(31 * i + 3);
    assert_int_equal(cv_default(cv_type_find(DATA_KW), 16, CV_FORM_PLAIN, l, r), CSU_OK);
    uint8_t mac[8] = "MAC     ";
    assert_int_equal(cv_default(cv_type_find(mac), 16, CV_FORM_PLAIN, l2, r2), CSU_OK);
    assert_int_equal(wrap_des_parts(mk, l, r, key, wrapped, 16, true), CSU_OK);
    assert_int_equal(wrap_des_parts(mk, l, r, wrapped, back, 16, false), CSU_OK);
    assert_memory_equal(back, key, 16);
    assert_int_equal(wrap_des_parts(mk, l2, r2, wrapped, back, 16, false), CSU_OK);
    assert_memory_not_equal(back, key, 8); /* another CV: another key */
    assert_memory_not_equal(back + 8, key + 8, 8);
    assert_int_equal(wrap_des_parts(mk, l, r, key, wrapped, 12, true), CSU_E_LENGTH);
    uint8_t lrc_in[3] = {0x0F, 0xF0, 0x01};
    assert_int_equal(wrap_lrc(lrc_in, 3), 0xFE);
}

/* ---- generated keys, through the card ------------------------------------ */

static struct csu_wire_msg call(struct fixture *f, struct csu_wire_msg *req, uint8_t **reply)
{
    uint8_t *frame;
    size_t len, rlen;
    struct csu_wire_msg rep;
    assert_int_equal(csu_wire_encode(req, false, &frame, &len), CSU_OK);
    assert_int_equal(card_process(f->w, frame, len, reply, &rlen), CSU_OK);
    csu_wire_free(frame, len);
    assert_int_equal(csu_wire_decode_reply(*reply, rlen, &rep), CSU_OK);
    return rep;
}

static void mkp(struct fixture *f, const char *set, const char *action, uint32_t rc)
{
    uint8_t rules[16], *reply;
    csu_rules_put_word(rules, set);
    csu_rules_put_word(rules + 8, action);
    struct csu_wire_msg req = {.op = CSU_OP_CSNBMKP, .rule_count = 2, .rules = rules};
    struct csu_wire_msg rep = call(f, &req, &reply);
    assert_int_equal(rep.return_code, rc);
    free(reply);
}

static void kgn(struct fixture *f, const char *len, uint8_t tok[64], uint32_t *rc, uint32_t *rs)
{
    uint8_t form[4] = {'O', 'P', ' ', ' '}, kl[8], gen[64] = {0}, *reply;
    csu_rules_put_word(kl, len);
    struct csu_wire_msg req = {.op = CSU_OP_CSNBKGN};
    csu_wire_add_block(&req, CSU_TAG_IN(1), form, 4);
    csu_wire_add_block(&req, CSU_TAG_IN(2), kl, 8);
    csu_wire_add_block(&req, CSU_TAG_IN(3), DATA_KW, 8);
    csu_wire_add_block(&req, CSU_TAG_IN(7), gen, 64);
    struct csu_wire_msg rep = call(f, &req, &reply);
    *rc = rep.return_code, *rs = rep.reason_code;
    const struct csu_wire_block *b = csu_wire_find(&rep, CSU_TAG_OUT(1));
    if (b && b->length == 64)
        memcpy(tok, b->data, 64);
    free(reply);
}

static void generated_des_keys(void **state)
{
    struct fixture *f = *state;
    uint8_t tok[64], key[WRAP_MAX_KEY];
    uint32_t rc, rs;
    struct tok_fixed info;
    bool old = true;
    kgn(f, "KEYLN16", tok, &rc, &rs);
    assert_int_equal(rc, 12); /* no SYM master key yet */
    assert_int_equal(rs, 764);
    mkp(f, "SYM-MK", "RANDOM", 0);
    mkp(f, "SYM-MK", "SET", 0);
    for (int round = 0; round < 20; round++) {
        kgn(f, round % 2 ? "KEYLN24" : "DOUBLE-O", tok, &rc, &rs);
        assert_int_equal(rc, 0);
        assert_int_equal(tok_fixed_parse(tok, 64, &info), CSU_OK);
        assert_int_equal(wrap_fixed_unwrap(f->card, tok, &info, key, &old), CSU_OK);
        assert_false(old);
        assert_true(des_parity_ok(key, info.key_len));
        assert_memory_not_equal(key, key + 8, 8);
        if (info.key_len == 24)
            assert_memory_not_equal(key + 8, key + 16, 8);
        /* Changing the CV (MAC instead of DATA) yields another key. */
        uint8_t other[WRAP_MAX_KEY], saved[64];
        memcpy(saved, tok, 64);
        tok[34] ^= 0x30;
        tok_fixed_seal(tok);
        struct tok_fixed info2;
        if (tok_fixed_parse(tok, 64, &info2) == CSU_OK &&
            wrap_fixed_unwrap(f->card, tok, &info2, other, &old) == CSU_OK)
            assert_memory_not_equal(other, key, info.key_len);
        memcpy(tok, saved, 64);
    }
    /* wrap/unwrap round trip and the AES LRC check. */
    uint8_t aes[64], clear[32], back[WRAP_MAX_KEY];
    for (int i = 0; i < 32; i++)
        clear[i] = (uint8_t)(i * 9);
    mkp(f, "AES-MK", "RANDOM", 0);
    mkp(f, "AES-MK", "SET", 0);
    tok_fixed_build_aes(aes, 32);
    assert_int_equal(wrap_fixed_wrap(f->card, aes, clear, 32), CSU_OK);
    assert_int_equal(tok_fixed_parse(aes, 64, &info), CSU_OK);
    assert_int_equal(wrap_fixed_unwrap(f->card, aes, &info, back, &old), CSU_OK);
    assert_memory_equal(back, clear, 32);
    aes[7] ^= 1;
    tok_fixed_seal(aes);
    assert_int_equal(wrap_fixed_unwrap(f->card, aes, &info, back, &old), CSU_E_LRC);
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(tvv_is_word_sum), cmocka_unit_test(parse_rejections), cmocka_unit_test(aes_fields),
        cmocka_unit_test(cv_table),        cmocka_unit_test(des_wrap_binds_cv),
    };
    const struct CMUnitTest card[] = {cmocka_unit_test(generated_des_keys)};
    int failed = cmocka_run_group_tests_name("tokens", pure, NULL, NULL);
    failed += cmocka_run_group_tests_name("card", card, setup, teardown);
    return failed;
}
