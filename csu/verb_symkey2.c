/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host halves of the variable-length symmetric key verbs (card halves in
 * card/fw_symkey2.c): CSNBKTB2, CSNBKGN2, CSNBKPI2, CSNBKYT2, CSNBKTC2.
 *
 * Blocks (CSU_TAG_IN(n) / CSU_TAG_OUT(n)); CSU_TAG_OUT_CAPACITY carries the
 * caller's output buffer size where a verb has one output:
 *   CSNBKTB2  IN 1 clear_key_bit_length (u32), 2 clear key, 3 key name,
 *             4 user associated data; OUT 1 target token
 *   CSNBKGN2  IN 1 clear_key_bit_length (u32), 2/3 key_type_1/2, 4/5 key
 *             names, 6/7 user AD, 8/9 skeletons, 10/11 capacities (u32);
 *             OUT 1/2 generated tokens
 *   CSNBKPI2  IN 1 key part bit length (u32), 2 key part, 3 token; OUT 1 token
 *   CSNBKYT2  IN 1 token, 2 verification pattern given; OUT 1 pattern made
 *   CSNBKTC2  IN 1 token; OUT 1 token
 * Token lengths come from the token header, never from the length the
 * caller passes (clients pass their buffer size, e.g. 2500).
 */
#include <string.h>

#include "csu_boundary.h"
#include "csu_keyid.h"
#include "csu_rules.h"
#include "csu_wire.h"

/* Largest buffer length we read as a number (lengths are u32 on the wire). */
#define V5_MAX_BUFFER 0x7FFFFFFFL
/* A clear key or key part: at most 2048 bits (HMAC) is valid; longer is refused by the card. */
#define V5_MAX_KEY_BITS 4096L
#define V5_NAME_LEN 64L
#define V5_MAX_UAD 255L
#define V5_MAX_VP 16L

/* Caller's rule array: count within the wire limit, array present. */
static csu_err rules_in(const long *count, const unsigned char *rules, struct csu_wire_msg *req)
{
    if (!count)
        return CSU_E_NULL_POINTER;
    if (*count < 0 || *count > (long)CSU_WIRE_MAX_RULES)
        return CSU_E_RULE_COUNT;
    if (*count > 0 && !rules)
        return CSU_E_NULL_POINTER;
    req->rule_count = (uint16_t)*count;
    req->rules = rules;
    return CSU_OK;
}

/* An optional (length, data) input of at most @p max bytes. */
static csu_err data_in(const long *len, const unsigned char *data, long max, uint16_t tag, struct csu_wire_msg *req)
{
    long n;
    csu_err err = csu_get_length(len, 0, max, &n);
    if (err != CSU_OK)
        return err;
    if (n == 0)
        return CSU_OK;
    if (!data)
        return CSU_E_NULL_POINTER;
    return csu_wire_add_block(req, tag, data, (size_t)n) ? CSU_OK : CSU_E_INTERNAL;
}

/* A u32 input held in @p store (which must outlive the call). */
static csu_err u32_in(uint32_t v, uint8_t store[4], uint16_t tag, struct csu_wire_msg *req)
{
    csu_store_be32(store, v);
    return csu_wire_add_block(req, tag, store, 4) ? CSU_OK : CSU_E_INTERNAL;
}

/* A bit length and the bytes it covers (key or key part). */
static csu_err key_in(const long *bits, const unsigned char *key, uint16_t bits_tag, uint16_t key_tag,
                      uint8_t store[4], struct csu_wire_msg *req)
{
    long n;
    csu_err err = csu_get_length(bits, 0, V5_MAX_KEY_BITS, &n);
    if (err != CSU_OK)
        return CSU_E_CLEAR_BITS;
    err = u32_in((uint32_t)n, store, bits_tag, req);
    if (err == CSU_OK && n > 0 && key) /* the card decides whether a key was needed */
        err = csu_wire_add_block(req, key_tag, key, (size_t)(n + 7) / 8) ? CSU_OK : CSU_E_INTERNAL;
    return err;
}

/* The token a (length, identifier) pair designates, sent as @p tag. */
static csu_err token_in(const long *len, const unsigned char *id, uint16_t tag, struct csu_wire_msg *req)
{
    long n;
    if (!len || !id)
        return CSU_E_NULL_POINTER;
    csu_err err = csu_get_length(len, 0, V5_MAX_BUFFER, &n);
    const uint8_t *tok = NULL;
    size_t tok_len = 0;
    if (err == CSU_OK)
        err = csu_keyid_token(id, (size_t)n, &tok, &tok_len);
    if (err == CSU_OK && !csu_wire_add_block(req, tag, tok, tok_len))
        err = CSU_E_INTERNAL;
    return err;
}

/* The caller's output capacity: its buffer length (NULL length counts as 0). */
static csu_err capacity_in(const long *len, uint16_t tag, uint8_t store[4], struct csu_wire_msg *req)
{
    long n;
    csu_err err = csu_get_length(len, 0, V5_MAX_BUFFER, &n);
    return err == CSU_OK ? u32_in((uint32_t)n, store, tag, req) : err;
}

/* A token output checks before anything is written: present, a v5 token whose header length is its length, fits. */
static csu_err token_out_check(const struct csu_reply *rep, uint16_t tag, const long *len)
{
    const struct csu_wire_block *b = csu_wire_find(&rep->msg, tag);
    if (!b || b->length < 8 || csu_load_be16(b->data + 2) != b->length || (long)b->length > *len)
        return CSU_E_REPLY;
    return CSU_OK;
}

static void token_out_copy(const struct csu_reply *rep, uint16_t tag, long *len, unsigned char *buf)
{
    const struct csu_wire_block *b = csu_wire_find(&rep->msg, tag);
    memcpy(buf, b->data, b->length);
    *len = (long)b->length;
}

/*
 * One round trip for a verb that returns one token into (@p len, @p buf):
 * copied only when the card answered rc < 8 and the token fits.
 */
static void call_token_verb(const struct csu_wire_msg *req, long *return_code, long *reason_code, long *len,
                            unsigned char *buf)
{
    struct csu_reply rep;
    csu_err err = csu_call(req, &rep);
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    if (csu_reply_has_output(&rep)) {
        err = token_out_check(&rep, CSU_TAG_OUT(1), len);
        if (err == CSU_OK)
            token_out_copy(&rep, CSU_TAG_OUT(1), len, buf);
    }
    csu_set_reply(return_code, reason_code, &rep, err);
    csu_reply_free(&rep);
}

void SECURITYAPI CSNBKTB2(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                          long *rule_array_count, unsigned char *rule_array, long *clear_key_bit_length,
                          unsigned char *clear_key_value, long *key_name_length, unsigned char *key_name,
                          long *user_associated_data_length, unsigned char *user_associated_data,
                          long *token_data_length, unsigned char *token_data, long *reserved_length,
                          unsigned char *reserved, long *target_key_token_length, unsigned char *target_key_token)
{
    (void)exit_data_length;
    (void)exit_data;
    (void)token_data_length; /* token_data and verb_data serve key types not built here */
    (void)token_data;
    (void)reserved_length;
    (void)reserved;
    if (!return_code || !reason_code)
        return;
    struct csu_wire_msg req = {.op = CSU_OP_CSNBKTB2};
    uint8_t bits[4], capacity[4];
    csu_err err = rules_in(rule_array_count, rule_array, &req);
    if (err == CSU_OK && (!target_key_token_length || !target_key_token))
        err = CSU_E_NULL_POINTER;
    if (err == CSU_OK)
        err = key_in(clear_key_bit_length, clear_key_value, CSU_TAG_IN(1), CSU_TAG_IN(2), bits, &req);
    if (err == CSU_OK)
        err = data_in(key_name_length, key_name, V5_NAME_LEN, CSU_TAG_IN(3), &req);
    if (err == CSU_OK)
        err = data_in(user_associated_data_length, user_associated_data, V5_MAX_UAD, CSU_TAG_IN(4), &req);
    if (err == CSU_OK)
        err = capacity_in(target_key_token_length, CSU_TAG_OUT_CAPACITY, capacity, &req);
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    call_token_verb(&req, return_code, reason_code, target_key_token_length, target_key_token);
}

/* True when the 8-byte keyword @p w is @p kw (NUL as blank, case folded, as the card reads it). */
static bool word_is(const unsigned char *w, const char *kw)
{
    uint8_t padded[CSU_RULE_WORD];
    csu_rules_put_word(padded, kw);
    for (size_t i = 0; i < CSU_RULE_WORD; i++) {
        unsigned char c = w[i] == 0 ? ' ' : (w[i] >= 'a' && w[i] <= 'z') ? (unsigned char)(w[i] - 'a' + 'A') : w[i];
        if (c != padded[i])
            return false;
    }
    return true;
}

/* One generated key's inputs: key type, skeleton (for TOKEN), capacity. */
static csu_err kgn2_key_in(unsigned i, const unsigned char *key_type, const long *gen_len,
                           const unsigned char *gen, uint8_t capacity[4], struct csu_wire_msg *req)
{
    if (!key_type)
        return CSU_E_NULL_POINTER;
    if (!gen_len || !gen)
        return CSU_E_NULL_POINTER;
    csu_err err = csu_wire_add_block(req, CSU_TAG_IN(1 + i), key_type, 8) ? CSU_OK : CSU_E_INTERNAL;
    /* TOKEN: the skeleton is the input; otherwise a label names where the key goes. */
    bool label = *gen_len > 0 && csu_keyid_kind(gen[0]) == CSU_KEYID_LABEL;
    if (err == CSU_OK && (word_is(key_type, "TOKEN") || label))
        err = token_in(gen_len, gen, CSU_TAG_IN(7 + i), req);
    if (err == CSU_OK)
        err = capacity_in(gen_len, CSU_TAG_IN(9 + i), capacity, req);
    return err;
}

/* True when the rule array asks for two keys (OPOP and the like): the
 * host must then send the second key's parameters. */
static bool kgn2_two_keys(const long *count, const unsigned char *rules)
{
    static const char *const pairs[] = {"OPOP", "OPEX", "OPIM", "EXEX", "IMEX", "IMIM"};
    for (long i = 0; rules && i < *count; i++)
        for (size_t p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++)
            if (word_is(rules + CSU_RULE_WORD * i, pairs[p]))
                return true;
    return false;
}

/* Both generated tokens are checked before either is written. */
static csu_err kgn2_out(const struct csu_reply *rep, long *len1, unsigned char *gen1, long *len2,
                        unsigned char *gen2, bool two)
{
    csu_err err = token_out_check(rep, CSU_TAG_OUT(1), len1);
    if (err == CSU_OK && two)
        err = token_out_check(rep, CSU_TAG_OUT(2), len2);
    if (err != CSU_OK)
        return err;
    token_out_copy(rep, CSU_TAG_OUT(1), len1, gen1);
    if (two)
        token_out_copy(rep, CSU_TAG_OUT(2), len2, gen2);
    return CSU_OK;
}

void SECURITYAPI CSNBKGN2(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                          long *rule_array_count, unsigned char *rule_array, long *clear_key_bit_length,
                          unsigned char *key_type_1, unsigned char *key_type_2, long *key_name_1_length,
                          unsigned char *key_name_1, long *key_name_2_length, unsigned char *key_name_2,
                          long *user_associated_data_1_length, unsigned char *user_associated_data_1,
                          long *user_associated_data_2_length, unsigned char *user_associated_data_2,
                          long *KEK_key_identifier_1_length, unsigned char *KEK_key_identifier_1,
                          long *KEK_key_identifier_2_length, unsigned char *KEK_key_identifier_2,
                          long *generated_key_identifier_1_length, unsigned char *generated_key_identifier_1,
                          long *generated_key_identifier_2_length, unsigned char *generated_key_identifier_2)
{
    (void)exit_data_length;
    (void)exit_data;
    (void)KEK_key_identifier_1_length; /* KEKs serve the IM/EX forms, answered 8/335 by the card */
    (void)KEK_key_identifier_1;
    (void)KEK_key_identifier_2_length;
    (void)KEK_key_identifier_2;
    if (!return_code || !reason_code)
        return;
    struct csu_wire_msg req = {.op = CSU_OP_CSNBKGN2};
    uint8_t bits[4], cap1[4], cap2[4];
    long nbits;
    csu_err err = rules_in(rule_array_count, rule_array, &req);
    bool two = err == CSU_OK && kgn2_two_keys(rule_array_count, rule_array);
    if (err == CSU_OK && csu_get_length(clear_key_bit_length, 0, V5_MAX_KEY_BITS, &nbits) != CSU_OK)
        err = CSU_E_CLEAR_BITS;
    if (err == CSU_OK)
        err = u32_in((uint32_t)nbits, bits, CSU_TAG_IN(1), &req);
    if (err == CSU_OK)
        err = kgn2_key_in(1, key_type_1, generated_key_identifier_1_length, generated_key_identifier_1, cap1, &req);
    if (err == CSU_OK && two)
        err = kgn2_key_in(2, key_type_2, generated_key_identifier_2_length, generated_key_identifier_2, cap2, &req);
    if (err == CSU_OK)
        err = data_in(key_name_1_length, key_name_1, V5_NAME_LEN, CSU_TAG_IN(4), &req);
    if (err == CSU_OK)
        err = data_in(user_associated_data_1_length, user_associated_data_1, V5_MAX_UAD, CSU_TAG_IN(6), &req);
    if (err == CSU_OK && two)
        err = data_in(key_name_2_length, key_name_2, V5_NAME_LEN, CSU_TAG_IN(5), &req);
    if (err == CSU_OK && two)
        err = data_in(user_associated_data_2_length, user_associated_data_2, V5_MAX_UAD, CSU_TAG_IN(7), &req);
    struct csu_reply rep;
    if (err == CSU_OK)
        err = csu_call(&req, &rep);
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    if (csu_reply_has_output(&rep))
        err = kgn2_out(&rep, generated_key_identifier_1_length, generated_key_identifier_1,
                       generated_key_identifier_2_length, generated_key_identifier_2, two);
    csu_set_reply(return_code, reason_code, &rep, err);
    csu_reply_free(&rep);
}

void SECURITYAPI CSNBKPI2(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                          long *rule_array_count, unsigned char *rule_array, long *clear_key_part_length,
                          unsigned char *clear_key_part, long *key_identifier_length, unsigned char *key_identifier)
{
    (void)exit_data_length;
    (void)exit_data;
    if (!return_code || !reason_code)
        return;
    struct csu_wire_msg req = {.op = CSU_OP_CSNBKPI2};
    uint8_t bits[4], capacity[4];
    csu_err err = rules_in(rule_array_count, rule_array, &req);
    if (err == CSU_OK)
        err = key_in(clear_key_part_length, clear_key_part, CSU_TAG_IN(1), CSU_TAG_IN(2), bits, &req);
    if (err == CSU_OK)
        err = token_in(key_identifier_length, key_identifier, CSU_TAG_IN(3), &req);
    if (err == CSU_OK)
        err = capacity_in(key_identifier_length, CSU_TAG_OUT_CAPACITY, capacity, &req);
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    call_token_verb(&req, return_code, reason_code, key_identifier_length, key_identifier);
}

void SECURITYAPI CSNBKYT2(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                          long *rule_array_count, unsigned char *rule_array, long *key_identifier_length,
                          unsigned char *key_identifier, long *KEK_key_identifier_length,
                          unsigned char *KEK_key_identifier, long *reserved_length, unsigned char *reserved,
                          long *verification_pattern_length, unsigned char *verification_pattern)
{
    (void)exit_data_length;
    (void)exit_data;
    (void)KEK_key_identifier_length; /* only external KEK-wrapped tokens need it: answered 8/335 */
    (void)KEK_key_identifier;
    (void)reserved_length;
    (void)reserved;
    if (!return_code || !reason_code)
        return;
    struct csu_wire_msg req = {.op = CSU_OP_CSNBKYT2};
    uint8_t capacity[4];
    long vp_len = 0;
    csu_err err = rules_in(rule_array_count, rule_array, &req);
    if (err == CSU_OK && (!verification_pattern_length || !verification_pattern))
        err = CSU_E_NULL_POINTER;
    if (err == CSU_OK)
        err = csu_get_length(verification_pattern_length, 0, V5_MAX_BUFFER, &vp_len);
    if (err == CSU_OK)
        err = token_in(key_identifier_length, key_identifier, CSU_TAG_IN(1), &req);
    /* The pattern to VERIFY; with GENERATE the card ignores it. */
    if (err == CSU_OK && vp_len > 0 &&
        !csu_wire_add_block(&req, CSU_TAG_IN(2), verification_pattern, (size_t)(vp_len < V5_MAX_VP ? vp_len : V5_MAX_VP)))
        err = CSU_E_INTERNAL;
    if (err == CSU_OK)
        err = u32_in((uint32_t)vp_len, capacity, CSU_TAG_OUT_CAPACITY, &req);
    struct csu_reply rep;
    if (err == CSU_OK)
        err = csu_call(&req, &rep);
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    const struct csu_wire_block *out = csu_wire_find(&rep.msg, CSU_TAG_OUT(1));
    if (csu_reply_has_output(&rep) && out) {
        if ((long)out->length > vp_len) {
            err = CSU_E_REPLY;
        } else {
            memcpy(verification_pattern, out->data, out->length);
            *verification_pattern_length = (long)out->length;
        }
    }
    csu_set_reply(return_code, reason_code, &rep, err);
    csu_reply_free(&rep);
}

void SECURITYAPI CSNBKTC2(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                          long *rule_array_count, unsigned char *rule_array, long *key_identifier_length,
                          unsigned char *key_identifier)
{
    (void)exit_data_length;
    (void)exit_data;
    if (!return_code || !reason_code)
        return;
    struct csu_wire_msg req = {.op = CSU_OP_CSNBKTC2};
    uint8_t capacity[4];
    csu_err err = rules_in(rule_array_count, rule_array, &req);
    if (err == CSU_OK)
        err = token_in(key_identifier_length, key_identifier, CSU_TAG_IN(1), &req);
    if (err == CSU_OK)
        err = capacity_in(key_identifier_length, CSU_TAG_OUT_CAPACITY, capacity, &req);
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    call_token_verb(&req, return_code, reason_code, key_identifier_length, key_identifier);
}
