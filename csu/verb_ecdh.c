/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host half of CSNDEDH, ECC Diffie-Hellman (card half and block numbering
 * in card/fw_ecdh.c; decisions in docs/ecdh.md).  The host checks the
 * pointers and lengths it must read, resolves the key identifiers (PKA
 * tokens or labels; the output skeleton a token or a label of AES or DES
 * key storage), sends the output buffer's size and copies the derived
 * token (or Z, PASSTHRU) back only when the card answered rc < 8.
 */
#include <ctype.h>
#include <string.h>

#include <openssl/crypto.h>

#include "csu_boundary.h"
#include "csu_keyid.h"
#include "csu_wire.h"

#define PARTY_MAX 64L
#define OUTPUT_MAX 8192L /* largest output buffer length we read a token from */

/* Scratch for a token going into a label's record (written back after the call). */
struct label_out {
    long len;
    unsigned char tok[CSU_KEYID_MAX_TOKEN];
};

static bool has_word(const long *count, const unsigned char *rules, const char *kw)
{
    size_t n = strlen(kw);
    for (long i = 0; i < *count; i++) {
        const unsigned char *w = rules + (size_t)CSU_RULE_WORD * (size_t)i;
        bool match = true;
        for (size_t j = n; j < CSU_RULE_WORD; j++)
            match &= w[j] == ' ' || w[j] == 0;
        for (size_t j = 0; match && j < n; j++)
            match = toupper(w[j]) == kw[j];
        if (match)
            return true;
    }
    return false;
}

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

/* A PKA key identifier (token at its header's length, or a label) sent as @p tag. */
static csu_err key_in(const long *len, const unsigned char *id, uint16_t tag, struct csu_keyid *k,
                      struct csu_wire_msg *req)
{
    if (!len || !id)
        return CSU_E_NULL_POINTER;
    if (*len < 1 || *len > (long)CSU_WIRE_MAX_FRAME)
        return CSU_E_LENGTH;
    csu_err err = csu_keyid_resolve(CSU_STORE_PKA, id, (size_t)*len, k);
    if (err == CSU_OK && !csu_wire_add_block(req, tag, k->token, k->length))
        err = CSU_E_LENGTH;
    return err;
}

/* A KEK identifier this card does not serve: absent, length 0 or a null token only. */
static csu_err no_kek(const long *len, const unsigned char *id)
{
    if (!len || *len == 0 || !id)
        return CSU_OK;
    if (*len < 0)
        return CSU_E_LENGTH;
    return id[0] == 0 ? CSU_OK : CSU_E_UNAVAILABLE;
}

/* chaining_vector and reserved..reserved5: length 0 (or a NULL length). */
static csu_err reserved_in(long *const lens[6])
{
    long v;
    for (int i = 0; i < 6; i++)
        if (csu_get_length(lens[i], 0, 0, &v) != CSU_OK)
            return CSU_E_LENGTH;
    return CSU_OK;
}

static csu_err party_in(const long *len, const unsigned char *party, struct csu_wire_msg *req)
{
    long n;
    if (csu_get_length(len, 0, PARTY_MAX, &n) != CSU_OK)
        return CSU_E_LENGTH;
    if (n > 0 && !party)
        return CSU_E_NULL_POINTER;
    return n == 0 || csu_wire_add_block(req, CSU_TAG_IN(3), party, (size_t)n) ? CSU_OK : CSU_E_LENGTH;
}

static csu_err u32_in(const long *v, uint16_t tag, uint8_t store[4], struct csu_wire_msg *req)
{
    if (!v)
        return CSU_E_NULL_POINTER;
    if (*v < 0 || *v > 0xFFFFL)
        return CSU_E_LENGTH;
    csu_store_be32(store, (uint32_t)*v);
    return csu_wire_add_block(req, tag, store, 4) ? CSU_OK : CSU_E_LENGTH;
}

/*
 * The output skeleton (derivations): a token in the caller's buffer or a
 * label of DES (KEY-DES) or AES key storage.  The capacity sent is the
 * caller's buffer length, or a record's largest size for a label.
 */
static csu_err skeleton_in(const long *len, const unsigned char *id, bool des, struct csu_keyid *k,
                           struct csu_wire_msg *req, uint8_t cap[4])
{
    if (*len < 1 || *len > OUTPUT_MAX)
        return CSU_E_LENGTH;
    csu_err err = csu_keyid_resolve(des ? CSU_STORE_DES : CSU_STORE_AES, id, (size_t)*len, k);
    if (err == CSU_OK && !csu_wire_add_block(req, CSU_TAG_IN(5), k->token, k->length))
        err = CSU_E_LENGTH;
    long c = k->is_label ? (long)CSU_KEYID_MAX_TOKEN : *len;
    return err == CSU_OK ? u32_in(&c, CSU_TAG_OUT_CAPACITY, cap, req) : err;
}

/* PASSTHRU: the output is a plain buffer that receives Z. */
static csu_err z_buffer_in(const long *len, struct csu_wire_msg *req, uint8_t cap[4])
{
    long c = *len > OUTPUT_MAX ? OUTPUT_MAX : *len;
    return *len < 0 ? CSU_E_LENGTH : u32_in(&c, CSU_TAG_OUT_CAPACITY, cap, req);
}

/* OUT(1) into (@p len, @p buf) if present and fitting, else a bad reply. */
static csu_err copy_out(const struct csu_reply *rep, long *len, unsigned char *buf)
{
    const struct csu_wire_block *b = csu_wire_find(&rep->msg, CSU_TAG_OUT(1));
    if (!b || (long)b->length > *len)
        return CSU_E_REPLY;
    memcpy(buf, b->data, b->length);
    *len = (long)b->length;
    return CSU_OK;
}

/* The round trip; the output goes to the caller or, for a label, into its record. */
static void call_edh(const struct csu_wire_msg *req, const struct csu_keyid *out_key, long *return_code,
                     long *reason_code, long *out_len, unsigned char *out)
{
    static _Thread_local struct label_out o;
    struct csu_reply rep;
    csu_err err = csu_call(req, &rep);
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    bool label = out_key && out_key->is_label;
    o.len = (long)sizeof(o.tok);
    if (csu_reply_has_output(&rep))
        err = label ? copy_out(&rep, &o.len, o.tok) : copy_out(&rep, out_len, out);
    csu_set_reply(return_code, reason_code, &rep, err);
    csu_reply_free(&rep);
    if (label && *return_code < 8) {
        err = csu_keyid_write_back(out_key, o.tok, (size_t)o.len);
        if (err != CSU_OK)
            csu_set_err(return_code, reason_code, err);
    }
    OPENSSL_cleanse(&o, sizeof(o));
}

void SECURITYAPI CSNDEDH(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, long *private_key_identifier_length,
                         unsigned char *private_key_identifier, long *private_KEK_key_identifier_length,
                         unsigned char *private_KEK_key_identifier, long *public_key_identifier_length,
                         unsigned char *public_key_identifier, long *chaining_vector_length,
                         unsigned char *chaining_vector, long *party_identifier_length,
                         unsigned char *party_identifier, long *key_bit_length, long *reserved_length,
                         unsigned char *reserved, long *reserved2_length, unsigned char *reserved2,
                         long *reserved3_length, unsigned char *reserved3, long *reserved4_length,
                         unsigned char *reserved4, long *reserved5_length, unsigned char *reserved5,
                         long *output_KEK_key_identifier_length, unsigned char *output_KEK_key_identifier,
                         long *output_key_identifier_length, unsigned char *output_key_identifier)
{
    (void)exit_data_length, (void)exit_data, (void)chaining_vector, (void)reserved, (void)reserved2;
    (void)reserved3, (void)reserved4, (void)reserved5;
    if (!return_code || !reason_code)
        return;
    struct csu_wire_msg req = {.op = CSU_OP_CSNDEDH};
    struct csu_keyid priv, pub, out;
    csu_keyid_init(&priv);
    csu_keyid_init(&pub);
    csu_keyid_init(&out);
    long *reserved_lens[6] = {chaining_vector_length, reserved_length,  reserved2_length,
                              reserved3_length,       reserved4_length, reserved5_length};
    uint8_t bits[4], cap[4];
    csu_err err = rules_in(rule_array_count, rule_array, &req);
    if (err == CSU_OK && (!output_key_identifier_length || !output_key_identifier))
        err = CSU_E_NULL_POINTER;
    if (err == CSU_OK)
        err = reserved_in(reserved_lens);
    if (err == CSU_OK)
        err = party_in(party_identifier_length, party_identifier, &req);
    if (err == CSU_OK)
        err = u32_in(key_bit_length, CSU_TAG_IN(4), bits, &req);
    if (err == CSU_OK)
        err = no_kek(private_KEK_key_identifier_length, private_KEK_key_identifier);
    if (err == CSU_OK)
        err = no_kek(output_KEK_key_identifier_length, output_KEK_key_identifier);
    if (err == CSU_OK)
        err = key_in(private_key_identifier_length, private_key_identifier, CSU_TAG_IN(1), &priv, &req);
    if (err == CSU_OK)
        err = key_in(public_key_identifier_length, public_key_identifier, CSU_TAG_IN(2), &pub, &req);
    bool passthru = err == CSU_OK && has_word(rule_array_count, rule_array, "PASSTHRU");
    if (err == CSU_OK && passthru)
        err = z_buffer_in(output_key_identifier_length, &req, cap);
    else if (err == CSU_OK)
        err = skeleton_in(output_key_identifier_length, output_key_identifier,
                          has_word(rule_array_count, rule_array, "KEY-DES"), &out, &req, cap);
    if (err == CSU_OK)
        call_edh(&req, passthru ? NULL : &out, return_code, reason_code, output_key_identifier_length,
                 output_key_identifier);
    else
        csu_set_err(return_code, reason_code, err);
    csu_keyid_release(&priv);
    csu_keyid_release(&pub);
    csu_keyid_release(&out);
}
