/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host halves of CSNDPKB, CSNDPKG, CSNDPKI, CSNDPKX and CSNDKTC (card
 * halves and block numbering in card/fw_pka.c).  The host checks the
 * pointers and lengths it must read, sends key tokens at the length their
 * header gives (clients pass buffer sizes such as 2500), sends the output
 * buffer's size as CSU_TAG_OUT_CAPACITY and copies OUT(1) back only when
 * the return code is below 8.
 */
#include <openssl/crypto.h>
#include <string.h>

#include "csu_boundary.h"
#include "csu_keyid.h"
#include "csu_wire.h"

/* Largest key-values structure accepted (its real length comes from its fields). */
#define PKA_KVS_MAX 65535L
#define PKA_NAME_LEN 64L

static csu_err rule_args(const long *count, const unsigned char *rules)
{
    if (!count)
        return CSU_E_NULL_POINTER;
    if (*count < 0 || *count > (long)CSU_WIRE_MAX_RULES)
        return CSU_E_RULE_COUNT;
    return (*count > 0 && !rules) ? CSU_E_NULL_POINTER : CSU_OK;
}

/* A key identifier the verb reads: a token (at its header's length) or a label of @p store. */
static csu_err in_key(enum csu_store store, const long *length, const unsigned char *id, struct csu_keyid *k)
{
    if (!length || !id)
        return CSU_E_NULL_POINTER;
    if (*length < 1 || *length > (long)CSU_WIRE_MAX_FRAME)
        return CSU_E_LENGTH;
    return csu_keyid_resolve(store, id, (size_t)*length, k);
}

/*
 * A key identifier the verb writes.  A label names an existing record of
 * @p store, which receives the token; anything else is the caller's buffer,
 * whatever it holds.
 */
static csu_err out_identifier(enum csu_store store, const long *length, const unsigned char *id,
                              struct csu_keyid *k)
{
    if (!length || !id)
        return CSU_E_NULL_POINTER;
    if (*length < 1)
        return CSU_E_LENGTH;
    return csu_keyid_resolve_output(store, id, (size_t)*length, k);
}

/* Copy OUT(1) to the caller: it must fit the capacity the caller gave. */
static csu_err token_reply(const struct csu_reply *rep, long *out_len, unsigned char *out)
{
    const struct csu_wire_block *b = csu_wire_find(&rep->msg, CSU_TAG_OUT(1));
    if (!b || b->length > (size_t)*out_len)
        return CSU_E_REPLY;
    memcpy(out, b->data, b->length);
    *out_len = (long)b->length;
    return CSU_OK;
}

/* One round trip whose output is a token in (@p out_len, @p out). */
static void pka_call(struct csu_wire_msg *req, long *return_code, long *reason_code, long *out_len,
                     unsigned char *out)
{
    uint8_t capacity[4];
    long cap = *out_len < (long)CSU_WIRE_MAX_FRAME ? *out_len : (long)CSU_WIRE_MAX_FRAME;
    csu_store_be32(capacity, (uint32_t)cap);
    struct csu_reply rep;
    csu_err err = csu_wire_add_block(req, CSU_TAG_OUT_CAPACITY, capacity, 4) ? csu_call(req, &rep) : CSU_E_LENGTH;
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    if (csu_reply_has_output(&rep))
        err = token_reply(&rep, out_len, out);
    csu_set_reply(return_code, reason_code, &rep, err);
    csu_reply_free(&rep);
}

/*
 * One round trip whose output token goes to (@p out_len, @p out), or, when
 * @p k is a label, into its record (the caller's label and length stay).
 */
static void pka_call_key(struct csu_wire_msg *req, const struct csu_keyid *k, long *return_code,
                         long *reason_code, long *out_len, unsigned char *out)
{
    if (!k->is_label) {
        pka_call(req, return_code, reason_code, out_len, out);
        return;
    }
    uint8_t tok[CSU_KEYID_MAX_TOKEN];
    long len = (long)sizeof(tok);
    pka_call(req, return_code, reason_code, &len, tok);
    csu_err err = *return_code < 8 ? csu_keyid_write_back(k, tok, (size_t)len) : CSU_OK;
    if (err != CSU_OK)
        csu_set_err(return_code, reason_code, err);
    OPENSSL_cleanse(tok, sizeof(tok));
}

/* Reserved length parameters: NULL or 0 (nothing else is served). */
static csu_err reserved_zero(long *const lengths[], size_t n)
{
    long v;
    for (size_t i = 0; i < n; i++)
        if (csu_get_length(lengths[i], 0, 0, &v) != CSU_OK)
            return CSU_E_LENGTH;
    return CSU_OK;
}

static csu_err pkb_args(long *rule_array_count, unsigned char *rule_array, long *kvs_length, unsigned char *kvs,
                        long *key_name_ln, unsigned char *key_name, long *token_length, unsigned char *token,
                        long *kvs_len, long *name_len)
{
    csu_err err = rule_args(rule_array_count, rule_array);
    if (err == CSU_OK)
        err = csu_get_length(kvs_length, 0, PKA_KVS_MAX, kvs_len);
    if (err == CSU_OK && *kvs_len > 0 && !kvs)
        err = CSU_E_NULL_POINTER;
    if (err == CSU_OK)
        err = csu_get_length(key_name_ln, 0, PKA_NAME_LEN, name_len);
    if (err == CSU_OK && *name_len != 0 && *name_len != PKA_NAME_LEN)
        err = CSU_E_LENGTH;
    if (err == CSU_OK && *name_len && !key_name)
        err = CSU_E_NULL_POINTER;
    if (err == CSU_OK && (!token_length || !token))
        err = CSU_E_NULL_POINTER;
    if (err == CSU_OK && *token_length < 0)
        err = CSU_E_LENGTH;
    return err;
}

void SECURITYAPI CSNDPKB(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, long *key_values_structure_length,
                         unsigned char *key_values_structure, long *key_name_ln, unsigned char *key_name,
                         long *customer_data_length, unsigned char *customer_data, long *reserved_2_length,
                         unsigned char *reserved_2, long *reserved_3_length, unsigned char *reserved_3,
                         long *reserved_4_length, unsigned char *reserved_4, long *reserved_5_length,
                         unsigned char *reserved_5, long *token_length, unsigned char *token)
{
    (void)exit_data_length, (void)exit_data, (void)customer_data, (void)reserved_2, (void)reserved_3;
    (void)reserved_4, (void)reserved_5;
    if (!return_code || !reason_code)
        return;
    long kvs_len = 0, name_len = 0;
    long *const reserved[] = {customer_data_length, reserved_2_length, reserved_3_length, reserved_4_length,
                              reserved_5_length};
    csu_err err = pkb_args(rule_array_count, rule_array, key_values_structure_length, key_values_structure,
                           key_name_ln, key_name, token_length, token, &kvs_len, &name_len);
    if (err == CSU_OK)
        err = reserved_zero(reserved, 5);
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    struct csu_wire_msg req = {.op = CSU_OP_CSNDPKB, .rule_count = (uint16_t)*rule_array_count,
                               .rules = rule_array};
    if (kvs_len > 0)
        csu_wire_add_block(&req, CSU_TAG_IN(1), key_values_structure, (size_t)kvs_len);
    if (name_len > 0)
        csu_wire_add_block(&req, CSU_TAG_IN(2), key_name, (size_t)name_len);
    pka_call(&req, return_code, reason_code, token_length, token);
}

void SECURITYAPI CSNDPKG(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, long *regeneration_data_length,
                         unsigned char *regeneration_data, long *skeleton_key_token_length,
                         unsigned char *skeleton_key_token, unsigned char *transport_key_identifier,
                         long *generated_key_identifier_length, unsigned char *generated_key_identifier)
{
    (void)exit_data_length, (void)exit_data;
    (void)transport_key_identifier; /* XPORT only, which is not served */
    if (!return_code || !reason_code)
        return;
    long regen_len = 0;
    struct csu_keyid skeleton, target;
    csu_keyid_init(&skeleton);
    csu_keyid_init(&target);
    csu_err err = rule_args(rule_array_count, rule_array);
    if (err == CSU_OK)
        err = csu_get_length(regeneration_data_length, 0, PKA_KVS_MAX, &regen_len);
    if (err == CSU_OK && regen_len > 0 && !regeneration_data)
        err = CSU_E_NULL_POINTER;
    if (err == CSU_OK)
        err = in_key(CSU_STORE_PKA, skeleton_key_token_length, skeleton_key_token, &skeleton);
    /* A label: the generated key goes into that (existing) PKA key-storage record. */
    if (err == CSU_OK)
        err = out_identifier(CSU_STORE_PKA, generated_key_identifier_length, generated_key_identifier, &target);
    if (err == CSU_OK) {
        struct csu_wire_msg req = {.op = CSU_OP_CSNDPKG, .rule_count = (uint16_t)*rule_array_count,
                                   .rules = rule_array};
        if (regen_len > 0)
            csu_wire_add_block(&req, CSU_TAG_IN(1), regeneration_data, (size_t)regen_len);
        csu_wire_add_block(&req, CSU_TAG_IN(2), skeleton.token, skeleton.length);
        pka_call_key(&req, &target, return_code, reason_code, generated_key_identifier_length,
                     generated_key_identifier);
    } else {
        csu_set_err(return_code, reason_code, err);
    }
    csu_keyid_release(&skeleton);
    csu_keyid_release(&target);
}

void SECURITYAPI CSNDPKI(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, long *source_key_token_length,
                         unsigned char *source_key_token, unsigned char *importer_key_identifier,
                         long *target_key_identifier_length, unsigned char *target_key_identifier)
{
    (void)exit_data_length, (void)exit_data;
    if (!return_code || !reason_code)
        return;
    struct csu_keyid source, importer, target;
    csu_keyid_init(&source);
    csu_keyid_init(&importer);
    csu_keyid_init(&target);
    long importer_len = PKA_NAME_LEN;
    csu_err err = rule_args(rule_array_count, rule_array);
    if (err == CSU_OK)
        err = in_key(CSU_STORE_PKA, source_key_token_length, source_key_token, &source);
    /*
     * Clear sources need no importer (clients pass 64 x 00) and the card takes
     * none; a label must still name a DES key-storage record (8/32, 8/30).
     */
    if (err == CSU_OK)
        err = out_identifier(CSU_STORE_DES, &importer_len, importer_key_identifier, &importer);
    csu_keyid_release(&importer);
    if (err == CSU_OK)
        err = out_identifier(CSU_STORE_PKA, target_key_identifier_length, target_key_identifier, &target);
    if (err == CSU_OK) {
        struct csu_wire_msg req = {.op = CSU_OP_CSNDPKI, .rule_count = (uint16_t)*rule_array_count,
                                   .rules = rule_array};
        csu_wire_add_block(&req, CSU_TAG_IN(1), source.token, source.length);
        pka_call_key(&req, &target, return_code, reason_code, target_key_identifier_length, target_key_identifier);
    } else {
        csu_set_err(return_code, reason_code, err);
    }
    csu_keyid_release(&source);
    csu_keyid_release(&target);
}

void SECURITYAPI CSNDPKX(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, long *source_key_identifier_length,
                         unsigned char *source_key_identifier, long *target_key_token_length,
                         unsigned char *target_key_token)
{
    (void)exit_data_length, (void)exit_data;
    if (!return_code || !reason_code)
        return;
    struct csu_keyid source;
    csu_keyid_init(&source);
    csu_err err = rule_args(rule_array_count, rule_array);
    if (err == CSU_OK)
        err = in_key(CSU_STORE_PKA, source_key_identifier_length, source_key_identifier, &source);
    /* The target is a token buffer (reference §1.4), never a label. */
    if (err == CSU_OK && (!target_key_token_length || !target_key_token))
        err = CSU_E_NULL_POINTER;
    if (err == CSU_OK && *target_key_token_length < 1)
        err = CSU_E_LENGTH;
    if (err == CSU_OK) {
        struct csu_wire_msg req = {.op = CSU_OP_CSNDPKX, .rule_count = (uint16_t)*rule_array_count,
                                   .rules = rule_array};
        csu_wire_add_block(&req, CSU_TAG_IN(1), source.token, source.length);
        pka_call(&req, return_code, reason_code, target_key_token_length, target_key_token);
    } else {
        csu_set_err(return_code, reason_code, err);
    }
    csu_keyid_release(&source);
}

/* True when the rule array holds RTNMK (refused for labels: host key storage uses RTCMK, reference §4.2). */
static bool has_rtnmk(const long *count, const unsigned char *rules)
{
    static const unsigned char word[8] = {'R', 'T', 'N', 'M', 'K', ' ', ' ', ' '};
    for (long i = 0; i < *count; i++) {
        unsigned char w[8];
        for (size_t j = 0; j < 8; j++) {
            unsigned char c = rules[i * 8 + (long)j];
            w[j] = c == 0 ? ' ' : (c >= 'a' && c <= 'z') ? (unsigned char)(c - 'a' + 'A') : c;
        }
        if (memcmp(w, word, 8) == 0)
            return true;
    }
    return false;
}

void SECURITYAPI CSNDKTC(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, long *key_id_length,
                         unsigned char *key_id)
{
    (void)exit_data_length, (void)exit_data;
    if (!return_code || !reason_code)
        return;
    struct csu_keyid k;
    csu_keyid_init(&k);
    csu_err err = rule_args(rule_array_count, rule_array);
    if (err == CSU_OK)
        err = in_key(CSU_STORE_PKA, key_id_length, key_id, &k);
    if (err == CSU_OK && k.is_label && has_rtnmk(rule_array_count, rule_array))
        err = CSU_E_RULE_KEYWORD;
    if (err == CSU_OK) {
        /* The request frame holds a copy, so the reply may overwrite key_id. */
        struct csu_wire_msg req = {.op = CSU_OP_CSNDKTC, .rule_count = (uint16_t)*rule_array_count,
                                   .rules = rule_array};
        csu_wire_add_block(&req, CSU_TAG_IN(1), k.token, k.length);
        pka_call_key(&req, &k, return_code, reason_code, key_id_length, key_id);
    } else {
        csu_set_err(return_code, reason_code, err);
    }
    csu_keyid_release(&k);
}
