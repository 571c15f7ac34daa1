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
 *             names, 6/7 user AD, 8/9 skeletons, 10/11 capacities (u32),
 *             12/13 KEKs (only for a key whose form is IM or EX);
 *             OUT 1/2 generated tokens
 *   CSNBKPI2  IN 1 key part bit length (u32), 2 key part, 3 token; OUT 1 token
 *   CSNBKYT2  IN 1 token, 2 verification pattern given, 3 KEK (external
 *             tokens only); OUT 1 pattern made
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

/* Labels of AES and HMAC keys live in AES key storage; DES (KYT2, KTC2 for TR-31) in DES key storage. */
static enum csu_store v5_store(const struct csu_wire_msg *req)
{
    for (uint16_t i = 0; i < req->rule_count; i++)
        if (word_is(req->rules + (size_t)CSU_RULE_WORD * i, "DES"))
            return CSU_STORE_DES;
    return CSU_STORE_AES;
}

/* The token a (length, identifier) pair designates (a label: its record), sent as @p tag. */
static csu_err token_in(const long *len, const unsigned char *id, uint16_t tag, struct csu_keyid *k,
                        struct csu_wire_msg *req)
{
    long n;
    if (!len || !id)
        return CSU_E_NULL_POINTER;
    csu_err err = csu_get_length(len, 0, V5_MAX_BUFFER, &n);
    if (err == CSU_OK)
        err = csu_keyid_resolve(v5_store(req), id, (size_t)n, k);
    if (err == CSU_OK && !csu_wire_add_block(req, tag, k->token, k->length))
        err = CSU_E_INTERNAL;
    return err;
}

/*
 * The output capacity: the caller's buffer length (NULL length counts as 0),
 * or the largest record when the token goes into a label's record.
 */
static csu_err capacity_in(const long *len, const struct csu_keyid *k, uint16_t tag, uint8_t store[4],
                           struct csu_wire_msg *req)
{
    long n = CSU_KEYID_MAX_TOKEN;
    csu_err err = k && k->is_label ? CSU_OK : csu_get_length(len, 0, V5_MAX_BUFFER, &n);
    return err == CSU_OK ? u32_in((uint32_t)n, store, tag, req) : err;
}

/*
 * A token output for a label: the reply is taken into this buffer, then
 * written into the record; the caller's identifier (the label) and its
 * length are left as they are.
 */
struct label_out {
    long len;
    unsigned char tok[CSU_KEYID_MAX_TOKEN];
};

static long *out_len(const struct csu_keyid *k, long *caller, struct label_out *o)
{
    o->len = (long)sizeof(o->tok);
    return k->is_label ? &o->len : caller;
}

static unsigned char *out_buf(const struct csu_keyid *k, unsigned char *caller, struct label_out *o)
{
    return k->is_label ? o->tok : caller;
}

/* After the round trip: a label's record takes the new token (rc < 8 only); a failed write is the answer. */
static void write_back(const struct csu_keyid *k, const struct label_out *o, long *return_code, long *reason_code)
{
    if (!k->is_label || *return_code >= 8)
        return;
    csu_err err = csu_keyid_write_back(k, o->tok, (size_t)o->len);
    if (err != CSU_OK)
        csu_set_err(return_code, reason_code, err);
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
        err = capacity_in(target_key_token_length, NULL, CSU_TAG_OUT_CAPACITY, capacity, &req);
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    call_token_verb(&req, return_code, reason_code, target_key_token_length, target_key_token);
}

/* One generated key's inputs: key type, skeleton (for TOKEN), capacity. */
static csu_err kgn2_key_in(unsigned i, const unsigned char *key_type, const long *gen_len,
                           const unsigned char *gen, struct csu_keyid *k, uint8_t capacity[4],
                           struct csu_wire_msg *req)
{
    if (!key_type)
        return CSU_E_NULL_POINTER;
    if (!gen_len || !gen)
        return CSU_E_NULL_POINTER;
    csu_err err = csu_wire_add_block(req, CSU_TAG_IN(1 + i), key_type, 8) ? CSU_OK : CSU_E_INTERNAL;
    /* TOKEN: the skeleton is the input (a label's record holds it); otherwise a label names where the key goes. */
    bool label = *gen_len > 0 && csu_keyid_kind(gen[0]) == CSU_KEYID_LABEL;
    if (err == CSU_OK && (word_is(key_type, "TOKEN") || label))
        err = token_in(gen_len, gen, CSU_TAG_IN(7 + i), k, req);
    if (err == CSU_OK)
        err = capacity_in(gen_len, k, CSU_TAG_IN(9 + i), capacity, req);
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

/*
 * True when key @p i (0, 1) of the rule array's key form is IM or EX: its
 * KEK identifier is then sent (IN 12 / 13); OP keys ignore it, so a client's
 * unused KEK parameter is never read.
 */
static bool kgn2_needs_kek(const long *count, const unsigned char *rules, unsigned i)
{
    static const char *const forms[] = {"EX", "IM", "OPEX", "OPIM", "EXEX", "IMEX", "IMIM"};
    for (long w = 0; rules && w < *count; w++)
        for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++)
            if (word_is(rules + CSU_RULE_WORD * w, forms[f]) && strlen(forms[f]) > 2 * i)
                return forms[f][2 * i] != 'O';
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
    if (!return_code || !reason_code)
        return;
    struct csu_wire_msg req = {.op = CSU_OP_CSNBKGN2};
    struct csu_keyid k1, k2, kek1, kek2;
    csu_keyid_init(&k1);
    csu_keyid_init(&k2);
    csu_keyid_init(&kek1);
    csu_keyid_init(&kek2);
    uint8_t bits[4], cap1[4], cap2[4];
    long nbits;
    csu_err err = rules_in(rule_array_count, rule_array, &req);
    bool two = err == CSU_OK && kgn2_two_keys(rule_array_count, rule_array);
    if (err == CSU_OK && csu_get_length(clear_key_bit_length, 0, V5_MAX_KEY_BITS, &nbits) != CSU_OK)
        err = CSU_E_CLEAR_BITS;
    if (err == CSU_OK)
        err = u32_in((uint32_t)nbits, bits, CSU_TAG_IN(1), &req);
    if (err == CSU_OK)
        err = kgn2_key_in(1, key_type_1, generated_key_identifier_1_length, generated_key_identifier_1, &k1, cap1,
                          &req);
    if (err == CSU_OK && two)
        err = kgn2_key_in(2, key_type_2, generated_key_identifier_2_length, generated_key_identifier_2, &k2, cap2,
                          &req);
    if (err == CSU_OK)
        err = data_in(key_name_1_length, key_name_1, V5_NAME_LEN, CSU_TAG_IN(4), &req);
    if (err == CSU_OK)
        err = data_in(user_associated_data_1_length, user_associated_data_1, V5_MAX_UAD, CSU_TAG_IN(6), &req);
    if (err == CSU_OK && two)
        err = data_in(key_name_2_length, key_name_2, V5_NAME_LEN, CSU_TAG_IN(5), &req);
    if (err == CSU_OK && two)
        err = data_in(user_associated_data_2_length, user_associated_data_2, V5_MAX_UAD, CSU_TAG_IN(7), &req);
    if (err == CSU_OK && kgn2_needs_kek(rule_array_count, rule_array, 0))
        err = token_in(KEK_key_identifier_1_length, KEK_key_identifier_1, CSU_TAG_IN(12), &kek1, &req);
    if (err == CSU_OK && two && kgn2_needs_kek(rule_array_count, rule_array, 1))
        err = token_in(KEK_key_identifier_2_length, KEK_key_identifier_2, CSU_TAG_IN(13), &kek2, &req);
    struct label_out o1, o2;
    struct csu_reply rep;
    if (err == CSU_OK)
        err = csu_call(&req, &rep);
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
    } else {
        if (csu_reply_has_output(&rep))
            err = kgn2_out(&rep, out_len(&k1, generated_key_identifier_1_length, &o1),
                           out_buf(&k1, generated_key_identifier_1, &o1),
                           out_len(&k2, generated_key_identifier_2_length, &o2),
                           out_buf(&k2, generated_key_identifier_2, &o2), two);
        csu_set_reply(return_code, reason_code, &rep, err);
        csu_reply_free(&rep);
        write_back(&k1, &o1, return_code, reason_code);
        if (two)
            write_back(&k2, &o2, return_code, reason_code);
    }
    csu_keyid_release(&k1);
    csu_keyid_release(&k2);
    csu_keyid_release(&kek1);
    csu_keyid_release(&kek2);
}

/* A verb that rewrites the key it is given: the token back to the caller, or into the label's record. */
static void call_key_verb(const struct csu_wire_msg *req, const struct csu_keyid *k, long *return_code,
                          long *reason_code, long *len, unsigned char *buf)
{
    struct label_out o;
    call_token_verb(req, return_code, reason_code, out_len(k, len, &o), out_buf(k, buf, &o));
    write_back(k, &o, return_code, reason_code);
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
    struct csu_keyid k;
    csu_keyid_init(&k);
    uint8_t bits[4], capacity[4];
    csu_err err = rules_in(rule_array_count, rule_array, &req);
    if (err == CSU_OK)
        err = key_in(clear_key_part_length, clear_key_part, CSU_TAG_IN(1), CSU_TAG_IN(2), bits, &req);
    if (err == CSU_OK)
        err = token_in(key_identifier_length, key_identifier, CSU_TAG_IN(3), &k, &req);
    if (err == CSU_OK)
        err = capacity_in(key_identifier_length, &k, CSU_TAG_OUT_CAPACITY, capacity, &req);
    if (err != CSU_OK)
        csu_set_err(return_code, reason_code, err);
    else
        call_key_verb(&req, &k, return_code, reason_code, key_identifier_length, key_identifier);
    csu_keyid_release(&k);
}

/* The pattern made (GENERATE) back to the caller: it must fit @p cap. */
static csu_err kyt2_out(const struct csu_reply *rep, long cap, long *vp_len, unsigned char *vp)
{
    const struct csu_wire_block *out = csu_wire_find(&rep->msg, CSU_TAG_OUT(1));
    if (!csu_reply_has_output(rep) || !out)
        return CSU_OK;
    if ((long)out->length > cap)
        return CSU_E_REPLY;
    memcpy(vp, out->data, out->length);
    *vp_len = (long)out->length;
    return CSU_OK;
}

void SECURITYAPI CSNBKYT2(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                          long *rule_array_count, unsigned char *rule_array, long *key_identifier_length,
                          unsigned char *key_identifier, long *KEK_key_identifier_length,
                          unsigned char *KEK_key_identifier, long *reserved_length, unsigned char *reserved,
                          long *verification_pattern_length, unsigned char *verification_pattern)
{
    (void)exit_data_length;
    (void)exit_data;
    (void)reserved_length;
    (void)reserved;
    if (!return_code || !reason_code)
        return;
    struct csu_wire_msg req = {.op = CSU_OP_CSNBKYT2};
    struct csu_keyid k, kek;
    csu_keyid_init(&k);
    csu_keyid_init(&kek);
    uint8_t capacity[4];
    long vp_len = 0;
    csu_err err = rules_in(rule_array_count, rule_array, &req);
    if (err == CSU_OK && (!verification_pattern_length || !verification_pattern))
        err = CSU_E_NULL_POINTER;
    if (err == CSU_OK)
        err = csu_get_length(verification_pattern_length, 0, V5_MAX_BUFFER, &vp_len);
    if (err == CSU_OK)
        err = token_in(key_identifier_length, key_identifier, CSU_TAG_IN(1), &k, &req);
    /* An external token (X'02') is tested under its KEK; other tokens ignore the parameter. */
    if (err == CSU_OK && k.token[0] == 0x02)
        err = token_in(KEK_key_identifier_length, KEK_key_identifier, CSU_TAG_IN(3), &kek, &req);
    /* The pattern to VERIFY; with GENERATE the card ignores it. */
    if (err == CSU_OK && vp_len > 0 &&
        !csu_wire_add_block(&req, CSU_TAG_IN(2), verification_pattern, (size_t)(vp_len < V5_MAX_VP ? vp_len : V5_MAX_VP)))
        err = CSU_E_INTERNAL;
    if (err == CSU_OK)
        err = u32_in((uint32_t)vp_len, capacity, CSU_TAG_OUT_CAPACITY, &req);
    struct csu_reply rep;
    if (err == CSU_OK)
        err = csu_call(&req, &rep);
    csu_keyid_release(&k);
    csu_keyid_release(&kek);
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    err = kyt2_out(&rep, vp_len, verification_pattern_length, verification_pattern);
    csu_set_reply(return_code, reason_code, &rep, err);
    csu_reply_free(&rep);
}

/* RTCMK on a label rewrites its record (not when already current); RTNMK on a label: 8/33 (reference §4.2). */
void SECURITYAPI CSNBKTC2(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                          long *rule_array_count, unsigned char *rule_array, long *key_identifier_length,
                          unsigned char *key_identifier)
{
    (void)exit_data_length;
    (void)exit_data;
    if (!return_code || !reason_code)
        return;
    struct csu_wire_msg req = {.op = CSU_OP_CSNBKTC2};
    struct csu_keyid k;
    csu_keyid_init(&k);
    uint8_t capacity[4];
    csu_err err = rules_in(rule_array_count, rule_array, &req);
    if (err == CSU_OK)
        err = token_in(key_identifier_length, key_identifier, CSU_TAG_IN(1), &k, &req);
    for (uint16_t i = 0; err == CSU_OK && k.is_label && i < req.rule_count; i++)
        if (word_is(req.rules + (size_t)CSU_RULE_WORD * i, "RTNMK"))
            err = CSU_E_RULE_KEYWORD;
    if (err == CSU_OK)
        err = capacity_in(key_identifier_length, &k, CSU_TAG_OUT_CAPACITY, capacity, &req);
    if (err != CSU_OK)
        csu_set_err(return_code, reason_code, err);
    else
        call_key_verb(&req, &k, return_code, reason_code, key_identifier_length, key_identifier);
    csu_keyid_release(&k);
}
