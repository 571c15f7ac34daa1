/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host halves of CSNBSAE / CSNBSAD (AES encipher / decipher) and of the AES
 * and HMAC MAC verbs CSNBMGN2 / CSNBMVR2 / CSNBHMG / CSNBHMV.  Card halves
 * in card/fw_cipher_aes.c and card/fw_cipher_aes_mac.c; docs/cipher-aes.md.
 *
 * Blocks:
 *   SAE/SAD  IN 1 key (token, or the raw key with KEY-CLR), 2 key_parms,
 *            3 block_size (u32), 4 IV, 5 chain_data, 6 input text,
 *            7 optional_data, 8 key_parms_length (u32), 9 chain_data_length
 *            (u32); OUT_CAPACITY output text buffer.
 *            OUT 1 output text, 2 chain_data, 3 GCM tag (into key_parms).
 *   MAC      IN 1 key token, 2 text, 3 chaining vector, 4 MAC to verify,
 *            5 MAC_length (u32), 6 chaining_vector_length (u32).
 *            OUT 1 MAC, 2 chaining vector.
 * Outputs are written only when the card answers rc < 8 and every output
 * fits the caller's buffer; input lengths are never changed.
 */
#include <string.h>

#include "csu_boundary.h"
#include "csu_keyid.h"
#include "csu_wire.h"

#define AES_MAX_TEXT (CSU_WIRE_MAX_FRAME - 16384L) /* room for key, IV, AAD and headers */
#define AES_CHAIN_LEN 64L /* bytes of chain_data sent: CBC uses 32, GCM pieces 52 */
#define AES_MAX_PARMS 256L
#define AES_MAX_IV 256L
#define MAC_CHAIN_LEN 128L
#define MAC_MAX_LEN 64L
#define MAX_BUFFER 0x7FFFFFFFL
#define RS_TEXT_TOO_LONG 153L /* 8/153: no csu_err value yet */

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

/* True when the rule array holds KEY-CLR (the key identifier is then a raw key). */
static bool has_key_clr(const unsigned char *rules, long count)
{
    static const char want[8] = {'K', 'E', 'Y', '-', 'C', 'L', 'R', ' '};
    for (long i = 0; i < count; i++) {
        size_t j = 0;
        for (; j < 8; j++) {
            unsigned char ch = rules[8 * i + j];
            ch = ch == 0 ? ' ' : (ch >= 'a' && ch <= 'z') ? (unsigned char)(ch - 32) : ch;
            if (ch != (unsigned char)want[j])
                break;
        }
        if (j == 8)
            return true;
    }
    return false;
}

/* An optional (length, data) input of at most @p max bytes sent as @p tag; *n gets the length. */
static csu_err data_in(const long *len, const unsigned char *data, long max, uint16_t tag, struct csu_wire_msg *req,
                       long *n)
{
    csu_err err = csu_get_length(len, 0, max, n);
    if (err != CSU_OK || *n == 0)
        return err;
    if (!data)
        return CSU_E_NULL_POINTER;
    return csu_wire_add_block(req, tag, data, (size_t)*n) ? CSU_OK : CSU_E_LENGTH;
}

static csu_err u32_in(long v, uint8_t store[4], uint16_t tag, struct csu_wire_msg *req)
{
    csu_store_be32(store, (uint32_t)v);
    return csu_wire_add_block(req, tag, store, 4) ? CSU_OK : CSU_E_INTERNAL;
}

/* A work area (chain_data, chaining vector): up to @p area bytes sent, its full length as capacity. */
static csu_err area_in(const long *len, const unsigned char *data, long area, uint16_t tag, uint16_t cap_tag,
                       uint8_t store[4], struct csu_wire_msg *req, long *n)
{
    csu_err err = csu_get_length(len, 0, MAX_BUFFER, n);
    if (err == CSU_OK && *n > 0 && !data)
        err = CSU_E_NULL_POINTER;
    if (err == CSU_OK && *n > 0 && !csu_wire_add_block(req, tag, data, (size_t)(*n < area ? *n : area)))
        err = CSU_E_INTERNAL;
    if (err == CSU_OK)
        err = u32_in(*n, store, cap_tag, req);
    return err;
}

/* Copy reply block @p tag into (@p len, @p buf) when present; checked by out_fits first. */
static void out_copy(const struct csu_reply *rep, uint16_t tag, long *len, unsigned char *buf)
{
    const struct csu_wire_block *b = csu_wire_find(&rep->msg, tag);
    if (!b)
        return;
    if (b->length)
        memcpy(buf, b->data, b->length);
    if (len)
        *len = (long)b->length;
}

static bool out_fits(const struct csu_reply *rep, uint16_t tag, long cap, const unsigned char *buf)
{
    const struct csu_wire_block *b = csu_wire_find(&rep->msg, tag);
    return !b || ((long)b->length <= cap && (b->length == 0 || buf));
}

/* ---- CSNBSAE / CSNBSAD --------------------------------------------------------- */

struct sa_args {
    long *rule_array_count;
    unsigned char *rule_array;
    long *key_length;
    unsigned char *key_identifier;
    long *key_parms_length;
    unsigned char *key_parms;
    long *block_size;
    long *iv_length;
    unsigned char *iv;
    long *chain_data_length;
    unsigned char *chain_data;
    long *in_length;
    unsigned char *in;
    long *out_length;
    unsigned char *out;
    long *optional_data_length;
    unsigned char *optional_data;
};

struct sa_store {
    uint8_t block[4], parms_len[4], chain_cap[4], out_cap[4];
    long parms, chain, out;
    bool too_long; /* text above the limit: 8/153, which csu_err cannot express yet */
};

static csu_err sa_key_in(const struct sa_args *a, struct csu_wire_msg *req, struct csu_keyid *k)
{
    long n;
    if (!a->key_length || !a->key_identifier)
        return CSU_E_NULL_POINTER;
    csu_err err = csu_get_length(a->key_length, 0, MAX_BUFFER, &n);
    if (err != CSU_OK)
        return err;
    if (has_key_clr(a->rule_array, *a->rule_array_count)) { /* a raw key: never a label */
        if (n > 64)
            return CSU_E_KEY_LENGTH;
        return csu_wire_add_block(req, CSU_TAG_IN(1), a->key_identifier, (size_t)n) ? CSU_OK : CSU_E_INTERNAL;
    }
    err = csu_keyid_resolve(CSU_STORE_AES, a->key_identifier, (size_t)n, k);
    if (err == CSU_OK && !csu_wire_add_block(req, CSU_TAG_IN(1), k->token, k->length))
        err = CSU_E_INTERNAL;
    return err;
}

static csu_err sa_marshal(const struct sa_args *a, struct csu_wire_msg *req, struct csu_keyid *k, struct sa_store *s)
{
    long n, block;
    csu_err err = rules_in(a->rule_array_count, a->rule_array, req);
    if (err == CSU_OK && (!a->block_size || !a->in_length || !a->out_length))
        err = CSU_E_NULL_POINTER;
    if (err == CSU_OK)
        err = sa_key_in(a, req, k);
    if (err == CSU_OK)
        err = data_in(a->key_parms_length, a->key_parms, AES_MAX_PARMS, CSU_TAG_IN(2), req, &s->parms);
    if (err == CSU_OK && a->key_parms_length && *a->key_parms_length > 0 && !a->key_parms)
        err = CSU_E_NULL_POINTER;
    if (err == CSU_OK)
        err = u32_in(s->parms, s->parms_len, CSU_TAG_IN(8), req);
    if (err == CSU_OK)
        err = csu_get_length(a->block_size, 0, MAX_BUFFER, &block);
    if (err == CSU_OK)
        err = u32_in(block, s->block, CSU_TAG_IN(3), req);
    if (err == CSU_OK)
        err = data_in(a->iv_length, a->iv, AES_MAX_IV, CSU_TAG_IN(4), req, &n);
    if (err == CSU_OK)
        err = area_in(a->chain_data_length, a->chain_data, AES_CHAIN_LEN, CSU_TAG_IN(5), CSU_TAG_IN(9), s->chain_cap,
                      req, &s->chain);
    if (err == CSU_OK && *a->in_length > AES_MAX_TEXT)
        s->too_long = true;
    if (err != CSU_OK || s->too_long)
        return err;
    if (err == CSU_OK)
        err = data_in(a->in_length, a->in, AES_MAX_TEXT, CSU_TAG_IN(6), req, &n);
    if (err == CSU_OK)
        err = data_in(a->optional_data_length, a->optional_data, AES_MAX_TEXT, CSU_TAG_IN(7), req, &n);
    if (err == CSU_OK)
        err = csu_get_length(a->out_length, 0, MAX_BUFFER, &s->out);
    if (err == CSU_OK && s->out > 0 && !a->out)
        err = CSU_E_NULL_POINTER;
    if (err == CSU_OK)
        err = u32_in(s->out, s->out_cap, CSU_TAG_OUT_CAPACITY, req);
    return err;
}

static void sa_outputs(const struct sa_args *a, const struct sa_store *s, const struct csu_reply *rep, csu_err *err)
{
    if (!csu_reply_has_output(rep))
        return;
    if (!out_fits(rep, CSU_TAG_OUT(1), s->out, a->out) ||
        !out_fits(rep, CSU_TAG_OUT(2), s->chain, a->chain_data) ||
        !out_fits(rep, CSU_TAG_OUT(3), s->parms, a->key_parms)) {
        *err = CSU_E_REPLY;
        return;
    }
    out_copy(rep, CSU_TAG_OUT(1), a->out_length, a->out);
    out_copy(rep, CSU_TAG_OUT(2), a->chain_data_length, a->chain_data);
    out_copy(rep, CSU_TAG_OUT(3), a->key_parms_length, a->key_parms);
    if (!csu_wire_find(&rep->msg, CSU_TAG_OUT(1)))
        *a->out_length = 0;
}

static void symmetric_algorithm(long *return_code, long *reason_code, uint16_t op, const struct sa_args *a)
{
    struct csu_wire_msg req = {.op = op};
    struct csu_keyid k;
    csu_keyid_init(&k);
    struct sa_store s = {0};
    struct csu_reply rep;
    csu_err err = sa_marshal(a, &req, &k, &s);
    if (err == CSU_OK && s.too_long) {
        csu_keyid_release(&k);
        *return_code = 8;
        *reason_code = RS_TEXT_TOO_LONG;
        return;
    }
    if (err == CSU_OK)
        err = csu_call(&req, &rep);
    csu_keyid_release(&k);
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    sa_outputs(a, &s, &rep, &err);
    csu_set_reply(return_code, reason_code, &rep, err);
    csu_reply_free(&rep);
}

void SECURITYAPI CSNBSAE(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, long *key_length,
                         unsigned char *key_identifier, long *key_parms_length, unsigned char *key_parms,
                         long *block_size, long *initialization_vector_length, unsigned char *initialization_vector,
                         long *chain_data_length, unsigned char *chain_data, long *clear_text_length,
                         unsigned char *clear_text, long *cipher_text_length, unsigned char *cipher_text,
                         long *optional_data_length, unsigned char *optional_data)
{
    (void)exit_data_length;
    (void)exit_data;
    if (!return_code || !reason_code)
        return;
    struct sa_args a = {rule_array_count, rule_array, key_length, key_identifier, key_parms_length, key_parms,
                        block_size, initialization_vector_length, initialization_vector, chain_data_length,
                        chain_data, clear_text_length, clear_text, cipher_text_length, cipher_text,
                        optional_data_length, optional_data};
    symmetric_algorithm(return_code, reason_code, CSU_OP_CSNBSAE, &a);
}

void SECURITYAPI CSNBSAD(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, long *key_length,
                         unsigned char *key_identifier, long *key_parms_length, unsigned char *key_parms,
                         long *block_size, long *initialization_vector_length, unsigned char *initialization_vector,
                         long *chain_data_length, unsigned char *chain_data, long *cipher_text_length,
                         unsigned char *cipher_text, long *clear_text_length, unsigned char *clear_text,
                         long *optional_data_length, unsigned char *optional_data)
{
    (void)exit_data_length;
    (void)exit_data;
    if (!return_code || !reason_code)
        return;
    struct sa_args a = {rule_array_count, rule_array, key_length, key_identifier, key_parms_length, key_parms,
                        block_size, initialization_vector_length, initialization_vector, chain_data_length,
                        chain_data, cipher_text_length, cipher_text, clear_text_length, clear_text,
                        optional_data_length, optional_data};
    symmetric_algorithm(return_code, reason_code, CSU_OP_CSNBSAD, &a);
}

/* ---- CSNBMGN2 / CSNBMVR2 / CSNBHMG / CSNBHMV ----------------------------------- */

struct mac_args {
    long *rule_array_count;
    unsigned char *rule_array;
    long *key_identifier_length;
    unsigned char *key_identifier;
    long *text_length;
    unsigned char *text;
    long *chain_length;
    unsigned char *chain;
    long *mac_length;
    unsigned char *mac;
};

static csu_err mac_marshal(const struct mac_args *a, bool generate, struct csu_wire_msg *req, struct csu_keyid *k,
                           uint8_t store[2][4], long *chain_cap)
{
    long n, mac_len = 0;
    csu_err err = rules_in(a->rule_array_count, a->rule_array, req);
    if (err == CSU_OK && (!a->key_identifier_length || !a->key_identifier || !a->text_length || !a->mac_length ||
                          !a->mac))
        err = CSU_E_NULL_POINTER;
    if (err == CSU_OK)
        err = csu_get_length(a->key_identifier_length, 0, MAX_BUFFER, &n);
    if (err == CSU_OK)
        err = csu_keyid_resolve(CSU_STORE_AES, a->key_identifier, (size_t)n, k);
    if (err == CSU_OK && !csu_wire_add_block(req, CSU_TAG_IN(1), k->token, k->length))
        err = CSU_E_INTERNAL;
    if (err == CSU_OK)
        err = data_in(a->text_length, a->text, AES_MAX_TEXT, CSU_TAG_IN(2), req, &n);
    if (err == CSU_OK)
        err = area_in(a->chain_length, a->chain, MAC_CHAIN_LEN, CSU_TAG_IN(3), CSU_TAG_IN(6), store[0], req,
                      chain_cap);
    if (err == CSU_OK)
        err = csu_get_length(a->mac_length, 0, MAX_BUFFER, &mac_len);
    if (err == CSU_OK && !generate && mac_len > 0 &&
        !csu_wire_add_block(req, CSU_TAG_IN(4), a->mac, (size_t)(mac_len < MAC_MAX_LEN ? mac_len : MAC_MAX_LEN)))
        err = CSU_E_INTERNAL;
    if (err == CSU_OK)
        err = u32_in(mac_len, store[1], CSU_TAG_IN(5), req);
    return err;
}

static void mac_verb(long *return_code, long *reason_code, uint16_t op, bool generate, const struct mac_args *a)
{
    struct csu_wire_msg req = {.op = op};
    struct csu_keyid k;
    csu_keyid_init(&k);
    uint8_t store[2][4];
    long chain_cap = 0;
    struct csu_reply rep;
    csu_err err = mac_marshal(a, generate, &req, &k, store, &chain_cap);
    if (err == CSU_OK)
        err = csu_call(&req, &rep);
    csu_keyid_release(&k);
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    if (csu_reply_has_output(&rep)) {
        long mac_cap = generate ? *a->mac_length : 0;
        if (!out_fits(&rep, CSU_TAG_OUT(1), mac_cap, a->mac) || !out_fits(&rep, CSU_TAG_OUT(2), chain_cap, a->chain)) {
            err = CSU_E_REPLY;
        } else {
            out_copy(&rep, CSU_TAG_OUT(1), a->mac_length, a->mac);
            out_copy(&rep, CSU_TAG_OUT(2), NULL, a->chain);
        }
    }
    csu_set_reply(return_code, reason_code, &rep, err);
    csu_reply_free(&rep);
}

#define MAC_VERB(NAME, OP, GENERATE)                                                                             \
    void SECURITYAPI NAME(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data, \
                          long *rule_array_count, unsigned char *rule_array, long *key_identifier_length,        \
                          unsigned char *key_identifier, long *message_text_length, unsigned char *message_text, \
                          long *chaining_vector_length, unsigned char *chaining_vector, long *MAC_length,        \
                          unsigned char *MAC_text)                                                               \
    {                                                                                                            \
        (void)exit_data_length;                                                                                  \
        (void)exit_data;                                                                                         \
        if (!return_code || !reason_code)                                                                        \
            return;                                                                                              \
        struct mac_args a = {rule_array_count, rule_array,     key_identifier_length, key_identifier,          \
                             message_text_length, message_text, chaining_vector_length, chaining_vector,       \
                             MAC_length,          MAC_text};                                                     \
        mac_verb(return_code, reason_code, OP, GENERATE, &a);                                                    \
    }

MAC_VERB(CSNBMGN2, CSU_OP_CSNBMGN2, true)
MAC_VERB(CSNBMVR2, CSU_OP_CSNBMVR2, false)
MAC_VERB(CSNBHMG, CSU_OP_CSNBHMG, true)
MAC_VERB(CSNBHMV, CSU_OP_CSNBHMV, false)
