/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host halves of the DES data verbs (card halves in card/fw_cipher_des.c).
 * Blocks of each request and reply:
 *   CSNBENC  rules; IN1 key token, IN2 plaintext, IN3 IV (8), IN4 pad
 *            character (u32), IN5 chaining vector (18)
 *                                         → OUT1 ciphertext, OUT2 chaining vector (18)
 *   CSNBDEC  rules; IN1 key token, IN2 ciphertext, IN3 IV, IN5 chaining vector
 *                                         → OUT1 plaintext, OUT2 chaining vector
 *   CSNBMGN  rules; IN1 key token, IN2 text, IN3 chaining vector (18)
 *                                         → OUT1 MAC (ONLY/LAST) | OUT2 chaining vector (FIRST/MIDDLE)
 *   CSNBMVR  as CSNBMGN plus IN4 the MAC to verify (ONLY/LAST)
 *                                         → OUT2 chaining vector (FIRST/MIDDLE)
 * The host scans the rule array only for what bounds the caller's buffers
 * (padding rule, chaining, segment, MAC length); the card parses it again
 * and decides.  The chaining vector is 18 bytes (openCryptoki's buffer):
 * never more is read or written.
 */
#include <string.h>

#include "csu_boundary.h"
#include "csu_keyid.h"
#include "csu_wire.h"

#define KW 8
#define DES_CV_LEN 18
#define DES_MAX_RULES 3L
/* Text one call takes: the frame (1 MiB) less room for token, vectors and rules. */
#define DES_TEXT_MAX ((long)CSU_WIRE_MAX_FRAME - 4096L)
#define RS_TEXT_TOO_LONG 153L /* 8/153: text length exceeds limit (no csu_err value) */

/* Keyword equality after NUL→blank and case folding (as csu_rules compares). */
static bool word_is(const unsigned char *kw, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < KW; i++) {
        unsigned char c = kw[i] == 0 ? ' ' : kw[i];
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 'a' + 'A');
        if (c != (i < n ? (unsigned char)name[i] : ' '))
            return false;
    }
    return true;
}

static bool rule_has(const struct csu_wire_msg *req, const char *name)
{
    for (uint16_t i = 0; i < req->rule_count; i++)
        if (word_is(req->rules + (size_t)i * KW, name))
            return true;
    return false;
}

/* Rule-array pointers and count checked before the bytes are read. */
static csu_err rules_in(const long *count, const unsigned char *rules, struct csu_wire_msg *req)
{
    if (!count || (*count > 0 && !rules))
        return CSU_E_NULL_POINTER;
    if (*count < 0 || *count > DES_MAX_RULES)
        return CSU_E_RULE_COUNT;
    req->rule_count = (uint16_t)*count;
    req->rules = rules;
    return CSU_OK;
}

/* The text length: NULL 8/184, negative 8/72, above the limit 8/153 (reported through @p too_long). */
static csu_err text_in(const long *text_length, const unsigned char *text, bool *too_long)
{
    *too_long = false;
    if (!text_length)
        return CSU_E_NULL_POINTER;
    if (*text_length < 0)
        return CSU_E_LENGTH;
    if (*text_length > DES_TEXT_MAX) {
        *too_long = true;
        return CSU_OK;
    }
    return *text_length > 0 && !text ? CSU_E_NULL_POINTER : CSU_OK;
}

/* The reply block OUT(n) if its length is in [lo, hi], else NULL. */
static const struct csu_wire_block *reply_block(const struct csu_reply *rep, unsigned n, size_t lo, size_t hi)
{
    const struct csu_wire_block *b = csu_wire_find(&rep->msg, CSU_TAG_OUT(n));
    return b && b->length >= lo && b->length <= hi ? b : NULL;
}

static void finish(long *return_code, long *reason_code, csu_err err, bool too_long)
{
    if (err == CSU_OK && too_long) {
        *return_code = 8;
        *reason_code = RS_TEXT_TOO_LONG;
        return;
    }
    csu_set_err(return_code, reason_code, err);
}

/* ---- CSNBENC / CSNBDEC -------------------------------------------------- */

struct cipher_args {
    unsigned char *key_identifier;
    long *text_length;
    unsigned char *text_in;
    unsigned char *iv;
    long *rule_array_count;
    unsigned char *rule_array;
    long *pad_character; /* encipher only */
    unsigned char *chaining_vector;
    unsigned char *text_out;
};

/* Output bounds: a padding rule adds 1-8 bytes on encipher and strips 1-8 on decipher. */
static void cipher_bounds(const struct csu_wire_msg *req, bool encrypt, size_t len, size_t *lo, size_t *hi)
{
    bool pads = rule_has(req, "X9.23") || rule_has(req, "4700-PAD");
    *lo = *hi = len;
    if (pads && encrypt)
        *lo = len + 1, *hi = len + 8;
    if (pads && !encrypt)
        *lo = len >= 8 ? len - 8 : 0, *hi = len > 0 ? len - 1 : 0;
}

static csu_err cipher_copy_back(const struct csu_reply *rep, const struct cipher_args *a, size_t lo, size_t hi)
{
    const struct csu_wire_block *t = reply_block(rep, 1, lo, hi), *v = reply_block(rep, 2, DES_CV_LEN, DES_CV_LEN);
    if (!t || !v)
        return CSU_E_REPLY;
    memcpy(a->text_out, t->data, t->length);
    memcpy(a->chaining_vector, v->data, DES_CV_LEN);
    *a->text_length = (long)t->length;
    return CSU_OK;
}

static void cipher_verb(long *return_code, long *reason_code, const struct cipher_args *a, bool encrypt)
{
    struct csu_wire_msg req = {.op = encrypt ? CSU_OP_CSNBENC : CSU_OP_CSNBDEC};
    bool too_long = false;
    csu_err err = rules_in(a->rule_array_count, a->rule_array, &req);
    if (err == CSU_OK)
        err = text_in(a->text_length, a->text_in, &too_long);
    bool cont = err == CSU_OK && rule_has(&req, "CONTINUE");
    if (err == CSU_OK && (!a->key_identifier || !a->chaining_vector || (!cont && !a->iv) ||
                          (*a->text_length > 0 && !a->text_out)))
        err = CSU_E_NULL_POINTER;
    if (err != CSU_OK || too_long) {
        finish(return_code, reason_code, err, too_long);
        return;
    }
    struct csu_keyid k;
    err = csu_keyid_resolve(CSU_STORE_DES, a->key_identifier, CSU_FIXED_TOKEN_LEN, &k);
    size_t len = (size_t)*a->text_length;
    long padc = a->pad_character ? *a->pad_character : 0;
    uint8_t pad[4] = {0, 0, (uint8_t)(padc >= 0 && padc <= 0xFF ? 0 : 1), (uint8_t)padc}; /* 256+: refused */
    if (err == CSU_OK) {
        csu_wire_add_block(&req, CSU_TAG_IN(1), k.token, k.length);
        csu_wire_add_block(&req, CSU_TAG_IN(2), a->text_in, len);
        if (a->iv)
            csu_wire_add_block(&req, CSU_TAG_IN(3), a->iv, 8);
        if (encrypt)
            csu_wire_add_block(&req, CSU_TAG_IN(4), pad, sizeof(pad));
        if (cont)
            csu_wire_add_block(&req, CSU_TAG_IN(5), a->chaining_vector, DES_CV_LEN);
    }
    struct csu_reply rep;
    if (err == CSU_OK)
        err = csu_call(&req, &rep);
    csu_keyid_release(&k);
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    size_t lo, hi;
    cipher_bounds(&req, encrypt, len, &lo, &hi);
    csu_err copy = csu_reply_has_output(&rep) ? cipher_copy_back(&rep, a, lo, hi) : CSU_OK;
    csu_set_reply(return_code, reason_code, &rep, copy);
    csu_reply_free(&rep);
}

void SECURITYAPI CSNBENC(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         unsigned char *key_identifier, long *text_length, unsigned char *plaintext,
                         unsigned char *initialization_vector, long *rule_array_count, unsigned char *rule_array,
                         long *pad_character, unsigned char *chaining_vector, unsigned char *ciphertext)
{
    (void)exit_data_length, (void)exit_data;
    if (!return_code || !reason_code)
        return;
    const struct cipher_args a = {key_identifier,   text_length,   plaintext,       initialization_vector,
                                  rule_array_count, rule_array,    pad_character,   chaining_vector,
                                  ciphertext};
    cipher_verb(return_code, reason_code, &a, true);
}

void SECURITYAPI CSNBDEC(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         unsigned char *key_identifier, long *text_length, unsigned char *ciphertext,
                         unsigned char *initialization_vector, long *rule_array_count, unsigned char *rule_array,
                         unsigned char *chaining_vector, unsigned char *plaintext)
{
    (void)exit_data_length, (void)exit_data;
    if (!return_code || !reason_code)
        return;
    const struct cipher_args a = {key_identifier,   text_length, ciphertext,      initialization_vector,
                                  rule_array_count, rule_array,  NULL,            chaining_vector,
                                  plaintext};
    cipher_verb(return_code, reason_code, &a, false);
}

/* ---- CSNBMGN / CSNBMVR -------------------------------------------------- */

static size_t mac_length(const struct csu_wire_msg *req)
{
    return rule_has(req, "MACLEN8") ? 8 : rule_has(req, "MACLEN6") ? 6 : 4;
}

static void mac_verb(long *return_code, long *reason_code, unsigned char *key_identifier, long *text_length,
                     unsigned char *text, long *rule_array_count, unsigned char *rule_array,
                     unsigned char *chaining_vector, unsigned char *mac, bool verify)
{
    struct csu_wire_msg req = {.op = verify ? CSU_OP_CSNBMVR : CSU_OP_CSNBMGN};
    bool too_long = false;
    csu_err err = rules_in(rule_array_count, rule_array, &req);
    if (err == CSU_OK)
        err = text_in(text_length, text, &too_long);
    bool chained = err == CSU_OK && (rule_has(&req, "FIRST") || rule_has(&req, "MIDDLE"));
    bool resumes = err == CSU_OK && (rule_has(&req, "MIDDLE") || rule_has(&req, "LAST"));
    bool final = !chained;
    if (err == CSU_OK && (!key_identifier || ((chained || resumes) && !chaining_vector) || (final && !mac)))
        err = CSU_E_NULL_POINTER;
    if (err != CSU_OK || too_long) {
        finish(return_code, reason_code, err, too_long);
        return;
    }
    struct csu_keyid k;
    size_t mac_len = mac_length(&req);
    err = csu_keyid_resolve(CSU_STORE_DES, key_identifier, CSU_FIXED_TOKEN_LEN, &k);
    if (err == CSU_OK) {
        csu_wire_add_block(&req, CSU_TAG_IN(1), k.token, k.length);
        csu_wire_add_block(&req, CSU_TAG_IN(2), text, (size_t)*text_length);
        if (resumes)
            csu_wire_add_block(&req, CSU_TAG_IN(3), chaining_vector, DES_CV_LEN);
        if (verify && final)
            csu_wire_add_block(&req, CSU_TAG_IN(4), mac, mac_len);
    }
    struct csu_reply rep;
    if (err == CSU_OK)
        err = csu_call(&req, &rep);
    csu_keyid_release(&k);
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    csu_err copy = CSU_OK;
    if (csu_reply_has_output(&rep) && rep.msg.return_code == 0) {
        const struct csu_wire_block *b = NULL;
        if (chained && (b = reply_block(&rep, 2, DES_CV_LEN, DES_CV_LEN)) != NULL)
            memcpy(chaining_vector, b->data, DES_CV_LEN);
        else if (final && !verify && (b = reply_block(&rep, 1, mac_len, mac_len)) != NULL)
            memcpy(mac, b->data, mac_len);
        copy = b || (final && verify) ? CSU_OK : CSU_E_REPLY;
    }
    csu_set_reply(return_code, reason_code, &rep, copy);
    csu_reply_free(&rep);
}

void SECURITYAPI CSNBMGN(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         unsigned char *key_identifier, long *text_length, unsigned char *text,
                         long *rule_array_count, unsigned char *rule_array, unsigned char *chaining_vector,
                         unsigned char *MAC)
{
    (void)exit_data_length, (void)exit_data;
    if (!return_code || !reason_code)
        return;
    mac_verb(return_code, reason_code, key_identifier, text_length, text, rule_array_count, rule_array,
             chaining_vector, MAC, false);
}

void SECURITYAPI CSNBMVR(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         unsigned char *key_identifier, long *text_length, unsigned char *text,
                         long *rule_array_count, unsigned char *rule_array, unsigned char *chaining_vector,
                         unsigned char *MAC)
{
    (void)exit_data_length, (void)exit_data;
    if (!return_code || !reason_code)
        return;
    mac_verb(return_code, reason_code, key_identifier, text_length, text, rule_array_count, rule_array,
             chaining_vector, MAC, true);
}
