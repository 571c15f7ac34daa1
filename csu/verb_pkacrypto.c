/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host halves of CSNDDSG, CSNDDSV, CSNDPKE and CSNDPKD (card halves and
 * block numbering in card/fw_pkacrypto.c; decisions in docs/pka-crypto.md).
 * The host checks the pointers and lengths it must read, resolves the key
 * identifier (token at its header's length, or a PKA key-storage label),
 * sends the output buffer's size as CSU_TAG_OUT_CAPACITY and copies outputs
 * back only when the return code is below 8.
 */
#include <string.h>

#include "csu_boundary.h"
#include "csu_keyid.h"
#include "csu_wire.h"

/* Largest hash / data a signature verb takes (raw PKCS-1.1 data is at most k - 11). */
#define SIG_DATA_MAX 4096L
/* Largest signature (RSA-4096: 512 bytes; r ‖ s of P-521: 132). */
#define SIG_MAX 512L
/* Largest RSA block (PKE data, PKD ciphertext). */
#define RSA_BLOCK_MAX 512L

static csu_err rule_args(const long *count, const unsigned char *rules)
{
    if (!count)
        return CSU_E_NULL_POINTER;
    if (*count < 0 || *count > (long)CSU_WIRE_MAX_RULES)
        return CSU_E_RULE_COUNT;
    return (*count > 0 && !rules) ? CSU_E_NULL_POINTER : CSU_OK;
}

/* An input buffer of 1..max bytes. */
static csu_err in_buffer(const long *length, const unsigned char *buf, long max, long *len)
{
    if (!length || !buf)
        return CSU_E_NULL_POINTER;
    return csu_get_length(length, 0, max, len) != CSU_OK || *len == 0 ? CSU_E_LENGTH : CSU_OK;
}

/* A key identifier: a PKA token (real length from its header) or a label. */
static csu_err in_key(const long *length, const unsigned char *id, struct csu_keyid *k)
{
    if (!length || !id)
        return CSU_E_NULL_POINTER;
    if (*length < 1 || *length > (long)CSU_WIRE_MAX_FRAME)
        return CSU_E_LENGTH;
    return csu_keyid_resolve(CSU_STORE_PKA, id, (size_t)*length, k);
}

/* An output buffer: its pointers and a non-negative capacity. */
static csu_err out_buffer(const long *length, const unsigned char *buf)
{
    if (!length || !buf)
        return CSU_E_NULL_POINTER;
    return *length < 0 ? CSU_E_LENGTH : CSU_OK;
}

/* data_struct is reserved: NULL or length 0. */
static csu_err reserved_struct(const long *length)
{
    long v;
    return csu_get_length(length, 0, 0, &v);
}

static bool add_capacity(struct csu_wire_msg *req, long cap, uint8_t buf[4])
{
    csu_store_be32(buf, (uint32_t)(cap < (long)CSU_WIRE_MAX_FRAME ? cap : (long)CSU_WIRE_MAX_FRAME));
    return csu_wire_add_block(req, CSU_TAG_OUT_CAPACITY, buf, 4);
}

/* Copy block @p tag to (@p out_len, @p out): it must be there and fit. */
static csu_err copy_out(const struct csu_reply *rep, uint16_t tag, long *out_len, unsigned char *out)
{
    const struct csu_wire_block *b = csu_wire_find(&rep->msg, tag);
    if (!b || b->length > (size_t)*out_len)
        return CSU_E_REPLY;
    memcpy(out, b->data, b->length);
    *out_len = (long)b->length;
    return CSU_OK;
}

/* One round trip; @p out_len / @p out receive OUT(1) when given. */
static void round_trip(const struct csu_wire_msg *req, long *return_code, long *reason_code, long *out_len,
                       unsigned char *out, long *bit_len)
{
    struct csu_reply rep;
    csu_err err = csu_call(req, &rep);
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    if (csu_reply_has_output(&rep) && out) {
        long cap = *out_len;
        const struct csu_wire_block *bits = csu_wire_find(&rep.msg, CSU_TAG_OUT(2));
        if (bit_len && (!bits || bits->length != 4))
            err = CSU_E_REPLY;
        if (err == CSU_OK)
            err = copy_out(&rep, CSU_TAG_OUT(1), &cap, out);
        if (err == CSU_OK)
            *out_len = cap;
        if (err == CSU_OK && bit_len)
            *bit_len = (long)csu_load_be32(bits->data);
    }
    csu_set_reply(return_code, reason_code, &rep, err);
    csu_reply_free(&rep);
}

void SECURITYAPI CSNDDSG(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, long *PKA_private_key_id_length,
                         unsigned char *PKA_private_key_id, long *hash_length, unsigned char *hash,
                         long *signature_field_length, long *signature_bit_length, unsigned char *signature_field)
{
    (void)exit_data_length, (void)exit_data;
    if (!return_code || !reason_code)
        return;
    struct csu_keyid key;
    csu_keyid_init(&key);
    long data_len = 0;
    csu_err err = rule_args(rule_array_count, rule_array);
    if (err == CSU_OK)
        err = in_buffer(hash_length, hash, SIG_DATA_MAX, &data_len);
    if (err == CSU_OK)
        err = out_buffer(signature_field_length, signature_field);
    if (err == CSU_OK && !signature_bit_length)
        err = CSU_E_NULL_POINTER;
    if (err == CSU_OK)
        err = in_key(PKA_private_key_id_length, PKA_private_key_id, &key);
    uint8_t cap[4];
    struct csu_wire_msg req = {.op = CSU_OP_CSNDDSG, .rule_count = (uint16_t)(err == CSU_OK ? *rule_array_count : 0),
                               .rules = rule_array};
    if (err == CSU_OK && !(csu_wire_add_block(&req, CSU_TAG_IN(1), key.token, key.length) &&
                           csu_wire_add_block(&req, CSU_TAG_IN(2), hash, (size_t)data_len) &&
                           add_capacity(&req, *signature_field_length, cap)))
        err = CSU_E_LENGTH;
    if (err == CSU_OK)
        round_trip(&req, return_code, reason_code, signature_field_length, signature_field, signature_bit_length);
    else
        csu_set_err(return_code, reason_code, err);
    csu_keyid_release(&key);
}

void SECURITYAPI CSNDDSV(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, long *PKA_public_key_id_length,
                         unsigned char *PKA_public_key_id, long *hash_length, unsigned char *hash,
                         long *signature_field_length, unsigned char *signature_field)
{
    (void)exit_data_length, (void)exit_data;
    if (!return_code || !reason_code)
        return;
    struct csu_keyid key;
    csu_keyid_init(&key);
    long data_len = 0, sig_len = 0;
    csu_err err = rule_args(rule_array_count, rule_array);
    if (err == CSU_OK)
        err = in_buffer(hash_length, hash, SIG_DATA_MAX, &data_len);
    if (err == CSU_OK)
        err = in_buffer(signature_field_length, signature_field, SIG_MAX, &sig_len);
    if (err == CSU_OK)
        err = in_key(PKA_public_key_id_length, PKA_public_key_id, &key);
    struct csu_wire_msg req = {.op = CSU_OP_CSNDDSV, .rule_count = (uint16_t)(err == CSU_OK ? *rule_array_count : 0),
                               .rules = rule_array};
    if (err == CSU_OK && !(csu_wire_add_block(&req, CSU_TAG_IN(1), key.token, key.length) &&
                           csu_wire_add_block(&req, CSU_TAG_IN(2), hash, (size_t)data_len) &&
                           csu_wire_add_block(&req, CSU_TAG_IN(3), signature_field, (size_t)sig_len)))
        err = CSU_E_LENGTH;
    if (err == CSU_OK)
        round_trip(&req, return_code, reason_code, NULL, NULL, NULL);
    else
        csu_set_err(return_code, reason_code, err);
    csu_keyid_release(&key);
}

/* CSNDPKE and CSNDPKD share one shape: data in, key, data out. */
static void rsa_cipher(uint16_t op, long *return_code, long *reason_code, long *rule_array_count,
                       unsigned char *rule_array, long *in_len, unsigned char *in, long *data_struct_length,
                       long *key_len, unsigned char *key_id, long *out_len, unsigned char *out)
{
    struct csu_keyid key;
    csu_keyid_init(&key);
    long n = 0;
    csu_err err = rule_args(rule_array_count, rule_array);
    if (err == CSU_OK)
        err = in_buffer(in_len, in, RSA_BLOCK_MAX, &n);
    if (err == CSU_OK)
        err = reserved_struct(data_struct_length);
    if (err == CSU_OK)
        err = out_buffer(out_len, out);
    if (err == CSU_OK)
        err = in_key(key_len, key_id, &key);
    uint8_t cap[4];
    struct csu_wire_msg req = {.op = op, .rule_count = (uint16_t)(err == CSU_OK ? *rule_array_count : 0),
                               .rules = rule_array};
    if (err == CSU_OK && !(csu_wire_add_block(&req, CSU_TAG_IN(1), in, (size_t)n) &&
                           csu_wire_add_block(&req, CSU_TAG_IN(2), key.token, key.length) &&
                           add_capacity(&req, *out_len, cap)))
        err = CSU_E_LENGTH;
    if (err == CSU_OK)
        round_trip(&req, return_code, reason_code, out_len, out, NULL);
    else
        csu_set_err(return_code, reason_code, err);
    csu_keyid_release(&key);
}

void SECURITYAPI CSNDPKE(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, long *key_value_length,
                         unsigned char *key_value, long *data_struct_length, unsigned char *data_struct,
                         long *RSA_public_key_length, unsigned char *RSA_public_key, long *RSA_encipher_length,
                         unsigned char *RSA_encipher)
{
    (void)exit_data_length, (void)exit_data, (void)data_struct;
    if (!return_code || !reason_code)
        return;
    rsa_cipher(CSU_OP_CSNDPKE, return_code, reason_code, rule_array_count, rule_array, key_value_length, key_value,
               data_struct_length, RSA_public_key_length, RSA_public_key, RSA_encipher_length, RSA_encipher);
}

void SECURITYAPI CSNDPKD(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, long *enciphered_key_length,
                         unsigned char *enciphered_key, long *data_struct_length, unsigned char *data_struct,
                         long *RSA_private_key_length, unsigned char *RSA_private_key, long *key_value_length,
                         unsigned char *key_value)
{
    (void)exit_data_length, (void)exit_data, (void)data_struct;
    if (!return_code || !reason_code)
        return;
    rsa_cipher(CSU_OP_CSNDPKD, return_code, reason_code, rule_array_count, rule_array, enciphered_key_length,
               enciphered_key, data_struct_length, RSA_private_key_length, RSA_private_key, key_value_length,
               key_value);
}
