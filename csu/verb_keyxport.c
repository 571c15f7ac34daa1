/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host halves of CSNDSYX, CSNDSYI and CSNDSYI2: symmetric keys exported
 * under an RSA public key and imported with its private key (card halves
 * in card/fw_keyxport.c; decisions in docs/key-transport.md).
 *
 * Blocks (CSU_TAG_IN(n) / CSU_TAG_OUT(n)); CSU_TAG_OUT_CAPACITY is the size
 * of the verb's one output buffer (the largest record for a label):
 *   CSNDSYX   IN 1 source key token, 2 RSA public key token; OUT 1 enciphered key
 *   CSNDSYI   IN 1 enciphered key, 2 RSA private key token; OUT 1 internal token
 *   CSNDSYI2  IN 1 enciphered key (blob or external v5 token), 2 RSA private
 *             key token, 3 user_mod_data (key name), 4 target template
 *             (only when the target holds a variable-length token); OUT 1 token
 * Token lengths come from the token headers (clients pass buffer sizes such
 * as 2500); an imported key whose target is a label goes into its record.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "csu_boundary.h"
#include "csu_keyid.h"
#include "csu_rules.h"
#include "csu_wire.h"

/* Largest enciphered key: an RSA-4096 block, or a CKM-RAKW blob of an HMAC key. */
#define ENCIPHERED_MAX 2048L
#define NAME_LEN 64L

/* The caller's rule array: count within the wire limit, array present. */
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

/* True when the rule array holds @p kw (NUL as blank, case folded, as the card reads it). */
static bool has_word(const struct csu_wire_msg *req, const char *kw)
{
    uint8_t want[CSU_RULE_WORD];
    csu_rules_put_word(want, kw);
    for (uint16_t i = 0; i < req->rule_count; i++) {
        const unsigned char *w = req->rules + (size_t)CSU_RULE_WORD * i;
        size_t j = 0;
        for (; j < CSU_RULE_WORD; j++) {
            unsigned char c = w[j] == 0 ? ' ' : (w[j] >= 'a' && w[j] <= 'z') ? (unsigned char)(w[j] - 32) : w[j];
            if (c != want[j])
                break;
        }
        if (j == CSU_RULE_WORD)
            return true;
    }
    return false;
}

/* DES keys live in DES key storage, AES and HMAC keys in AES key storage. */
static enum csu_store sym_store(const struct csu_wire_msg *req)
{
    return has_word(req, "AES") || has_word(req, "HMAC") ? CSU_STORE_AES : CSU_STORE_DES;
}

/* A key identifier (token at its header's length, or a label) sent as @p tag. */
static csu_err key_in(enum csu_store store, const long *len, const unsigned char *id, uint16_t tag,
                      struct csu_keyid *k, struct csu_wire_msg *req)
{
    if (!len || !id)
        return CSU_E_NULL_POINTER;
    if (*len < 1 || *len > (long)CSU_WIRE_MAX_FRAME)
        return CSU_E_LENGTH;
    csu_err err = csu_keyid_resolve(store, id, (size_t)*len, k);
    if (err == CSU_OK && !csu_wire_add_block(req, tag, k->token, k->length))
        err = CSU_E_LENGTH;
    return err;
}

/* A required input of 1..@p max bytes. */
static csu_err data_in(const long *len, const unsigned char *data, long max, uint16_t tag, struct csu_wire_msg *req)
{
    if (!len || !data)
        return CSU_E_NULL_POINTER;
    if (*len < 1 || *len > max)
        return CSU_E_LENGTH;
    return csu_wire_add_block(req, tag, data, (size_t)*len) ? CSU_OK : CSU_E_INTERNAL;
}

static csu_err capacity_in(long cap, uint8_t store[4], struct csu_wire_msg *req)
{
    csu_store_be32(store, (uint32_t)(cap < (long)CSU_WIRE_MAX_FRAME ? cap : (long)CSU_WIRE_MAX_FRAME));
    return csu_wire_add_block(req, CSU_TAG_OUT_CAPACITY, store, 4) ? CSU_OK : CSU_E_INTERNAL;
}

/* One round trip; OUT(1) goes to (@p out_len, @p out) when the return code is below 8. */
static void round_trip(const struct csu_wire_msg *req, long *return_code, long *reason_code, long *out_len,
                       unsigned char *out)
{
    struct csu_reply rep;
    csu_err err = csu_call(req, &rep);
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    if (csu_reply_has_output(&rep)) {
        const struct csu_wire_block *b = csu_wire_find(&rep.msg, CSU_TAG_OUT(1));
        if (!b || b->length > (size_t)*out_len) {
            err = CSU_E_REPLY;
        } else {
            memcpy(out, b->data, b->length);
            *out_len = (long)b->length;
        }
    }
    csu_set_reply(return_code, reason_code, &rep, err);
    csu_reply_free(&rep);
}

void SECURITYAPI CSNDSYX(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, long *source_key_identifier_length,
                         unsigned char *source_key_identifier, long *RSA_public_key_identifier_len,
                         unsigned char *RSA_public_key_identifier, long *RSA_enciphered_key_length,
                         unsigned char *RSA_enciphered_key)
{
    (void)exit_data_length, (void)exit_data;
    if (!return_code || !reason_code)
        return;
    struct csu_wire_msg req = {.op = CSU_OP_CSNDSYX};
    struct csu_keyid src, rsa;
    csu_keyid_init(&src);
    csu_keyid_init(&rsa);
    uint8_t cap[4];
    csu_err err = rules_in(rule_array_count, rule_array, &req);
    if (err == CSU_OK && (!RSA_enciphered_key_length || !RSA_enciphered_key))
        err = CSU_E_NULL_POINTER;
    if (err == CSU_OK && *RSA_enciphered_key_length < 0)
        err = CSU_E_LENGTH;
    if (err == CSU_OK)
        err = key_in(sym_store(&req), source_key_identifier_length, source_key_identifier, CSU_TAG_IN(1), &src,
                     &req);
    if (err == CSU_OK)
        err = key_in(CSU_STORE_PKA, RSA_public_key_identifier_len, RSA_public_key_identifier, CSU_TAG_IN(2), &rsa,
                     &req);
    if (err == CSU_OK)
        err = capacity_in(*RSA_enciphered_key_length, cap, &req);
    if (err == CSU_OK)
        round_trip(&req, return_code, reason_code, RSA_enciphered_key_length, RSA_enciphered_key);
    else
        csu_set_err(return_code, reason_code, err);
    csu_keyid_release(&src);
    csu_keyid_release(&rsa);
}

/*
 * The imported token's destination: the caller's buffer, or a label's
 * record (the reply lands in @p o, then is written into the record).
 */
struct target {
    struct csu_keyid k;
    long len;
    unsigned char tok[CSU_KEYID_MAX_TOKEN];
};

static csu_err target_in(enum csu_store store, const long *len, const unsigned char *id, struct target *t,
                         uint8_t cap[4], struct csu_wire_msg *req)
{
    if (!len || !id)
        return CSU_E_NULL_POINTER;
    if (*len < 0 || *len > (long)CSU_WIRE_MAX_FRAME)
        return CSU_E_LENGTH;
    csu_err err = csu_keyid_resolve_output(store, id, (size_t)*len, &t->k);
    t->len = (long)sizeof(t->tok);
    return err == CSU_OK ? capacity_in(t->k.is_label ? t->len : *len, cap, req) : err;
}

/* The round trip of an import, then a label's record takes the token. */
static void import_trip(const struct csu_wire_msg *req, struct target *t, long *target_len, unsigned char *target,
                        long *return_code, long *reason_code)
{
    bool label = t->k.is_label;
    round_trip(req, return_code, reason_code, label ? &t->len : target_len, label ? t->tok : target);
    if (label && *return_code < 8) {
        csu_err err = csu_keyid_write_back(&t->k, t->tok, (size_t)t->len);
        if (err != CSU_OK)
            csu_set_err(return_code, reason_code, err);
    }
}

void SECURITYAPI CSNDSYI(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, long *RSA_enciphered_key_length,
                         unsigned char *RSA_enciphered_key, long *RSA_private_key_identifier_len,
                         unsigned char *RSA_private_key_identifier, long *target_key_identifier_length,
                         unsigned char *target_key_identifier)
{
    (void)exit_data_length, (void)exit_data;
    if (!return_code || !reason_code)
        return;
    struct csu_wire_msg req = {.op = CSU_OP_CSNDSYI};
    struct csu_keyid rsa;
    csu_keyid_init(&rsa);
    struct target t;
    csu_keyid_init(&t.k);
    uint8_t cap[4];
    csu_err err = rules_in(rule_array_count, rule_array, &req);
    if (err == CSU_OK)
        err = data_in(RSA_enciphered_key_length, RSA_enciphered_key, ENCIPHERED_MAX, CSU_TAG_IN(1), &req);
    if (err == CSU_OK)
        err = key_in(CSU_STORE_PKA, RSA_private_key_identifier_len, RSA_private_key_identifier, CSU_TAG_IN(2), &rsa,
                     &req);
    if (err == CSU_OK)
        err = target_in(sym_store(&req), target_key_identifier_length, target_key_identifier, &t, cap, &req);
    if (err == CSU_OK)
        import_trip(&req, &t, target_key_identifier_length, target_key_identifier, return_code, reason_code);
    else
        csu_set_err(return_code, reason_code, err);
    csu_keyid_release(&rsa);
    csu_keyid_release(&t.k);
    OPENSSL_cleanse(t.tok, sizeof(t.tok));
}

/*
 * A target that already holds a variable-length token (a skeleton, or a
 * label's record) is sent as IN(4): CKM-RAKW takes the key's attributes
 * from it.  Anything else (an uninitialised buffer) is not sent.
 */
static csu_err template_in(const struct target *t, const long *len, const unsigned char *id,
                           struct csu_wire_msg *req)
{
    const uint8_t *tok = t->k.is_label ? t->k.token : id;
    size_t avail = t->k.is_label ? t->k.length : (size_t)*len, n;
    if (!tok || avail < 8 || tok[0] != 0x01 || tok[4] != 0x05 || csu_token_length(tok, avail, &n) != CSU_OK)
        return CSU_OK;
    return csu_wire_add_block(req, CSU_TAG_IN(4), tok, n) ? CSU_OK : CSU_E_INTERNAL;
}

void SECURITYAPI CSNDSYI2(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                          long *rule_array_count, unsigned char *rule_array, long *RSA_enciphered_key_length,
                          unsigned char *RSA_enciphered_key, long *RSA_private_key_identifier_length,
                          unsigned char *RSA_private_key_identifier, long *user_mod_data_length,
                          unsigned char *user_mod_data, long *target_key_identifier_length,
                          unsigned char *target_key_identifier)
{
    (void)exit_data_length, (void)exit_data;
    if (!return_code || !reason_code)
        return;
    struct csu_wire_msg req = {.op = CSU_OP_CSNDSYI2};
    struct csu_keyid rsa;
    csu_keyid_init(&rsa);
    struct target t;
    csu_keyid_init(&t.k);
    uint8_t cap[4];
    long name_len = 0;
    csu_err err = rules_in(rule_array_count, rule_array, &req);
    if (err == CSU_OK)
        err = data_in(RSA_enciphered_key_length, RSA_enciphered_key, ENCIPHERED_MAX, CSU_TAG_IN(1), &req);
    if (err == CSU_OK)
        err = key_in(CSU_STORE_PKA, RSA_private_key_identifier_length, RSA_private_key_identifier, CSU_TAG_IN(2),
                     &rsa, &req);
    if (err == CSU_OK)
        err = csu_get_length(user_mod_data_length, 0, NAME_LEN, &name_len);
    if (err == CSU_OK && name_len != 0 && name_len != NAME_LEN)
        err = CSU_E_LENGTH; /* a key name is a 64-byte label */
    if (err == CSU_OK && name_len > 0)
        err = data_in(&name_len, user_mod_data, NAME_LEN, CSU_TAG_IN(3), &req);
    if (err == CSU_OK)
        err = target_in(CSU_STORE_AES, target_key_identifier_length, target_key_identifier, &t, cap, &req);
    if (err == CSU_OK)
        err = template_in(&t, target_key_identifier_length, target_key_identifier, &req);
    if (err == CSU_OK)
        import_trip(&req, &t, target_key_identifier_length, target_key_identifier, return_code, reason_code);
    else
        csu_set_err(return_code, reason_code, err);
    csu_keyid_release(&rsa);
    csu_keyid_release(&t.k);
    OPENSSL_cleanse(t.tok, sizeof(t.tok));
}
