/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host halves of the fixed-length symmetric key verbs (card halves in
 * card/fw_symkey.c; token layout in docs/tokens-fixed.md).
 *
 * Blocks per verb (CSU_TAG_IN(n) / CSU_TAG_OUT(n)):
 *   CSNBKTB  rules; IN1 key_type (8), IN2 key_value (KEY: DES key length,
 *            AES 32), IN3 control_vector (CV: 16)            → OUT1 token
 *   CSNBKGN  IN1 key_form (4), IN2 key_length, IN3 key_type_1, IN4 key_type_2
 *            (8 each), IN5/IN6 KEK tokens (64, only for a key whose
 *            half of key_form is IM or EX), IN7/IN8 generated ids (64)
 *                                                             → OUT1/OUT2 tokens
 *   CSNBCKM  rules; IN1 clear key                              → OUT1 token
 *   CSNBCKI  IN1 clear key (8), IN2 target token (if a token)   → OUT1 token
 *   CSNBKPI  rules; IN1 key part (token's key length, not for COMPLETE),
 *            IN2 token                                          → OUT1 token
 *   CSNBKYT  rules; IN1 token (64) or clear key, IN2 value_1, IN3 value_2
 *            (VERIFY)                                           → OUT1 value_1, OUT2 value_2
 *   CSNBKYTX as CSNBKYT (same operation), plus IN4 the KEK token when
 *            the key identifier is an external token
 *   CSNBKTC  rules; IN1 token                                   → OUT1 token
 * The host reads only what the rule array says the caller passed; the card
 * parses the rule array again and decides.
 */
#include <string.h>

#include "csu_boundary.h"
#include "csu_keyid.h"
#include "csu_wire.h"

#define KW 8
#define TOKEN_LEN CSU_FIXED_TOKEN_LEN
#define SYMKEY_MAX_RULES 8L

/* Keyword equality after NUL→blank and case folding (as csu_rules compares). */
static bool word_is(const unsigned char *kw, size_t width, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < width; i++) {
        unsigned char c = kw[i] == 0 ? ' ' : kw[i];
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 'a' + 'A');
        if (c != (i < n ? (unsigned char)name[i] : ' '))
            return false;
    }
    return true;
}

/* True when the rule array holds @p name. */
static bool rule_has(long count, const unsigned char *rules, const char *name)
{
    for (long i = 0; i < count; i++)
        if (word_is(rules + i * KW, KW, name))
            return true;
    return false;
}

/* Common start: rule-array pointers and count checked before the bytes are read. */
static csu_err rules_in(const long *count, const unsigned char *rules, long min, long max,
                        struct csu_wire_msg *req)
{
    if (!count || (*count > 0 && !rules))
        return CSU_E_NULL_POINTER;
    if (*count < min || *count > max)
        return CSU_E_RULE_COUNT;
    req->rule_count = (uint16_t)*count;
    req->rules = rules;
    return CSU_OK;
}

/*
 * The 64-byte token a key identifier designates.  A label is read from the
 * store the verb says (@p aes: the AES store only), else from DES key storage
 * and, when absent there, AES key storage (both hold fixed-length tokens).
 */
static csu_err fixed_key(const unsigned char *id, enum csu_store first, struct csu_keyid *k)
{
    csu_err err = first == CSU_STORE_AES ? csu_keyid_resolve_either(CSU_STORE_AES, CSU_STORE_DES, id, TOKEN_LEN, k)
                                         : csu_keyid_resolve_either(CSU_STORE_DES, CSU_STORE_AES, id, TOKEN_LEN, k);
    if (err == CSU_OK && k->length != TOKEN_LEN)
        err = CSU_E_TOKEN_VERSION; /* a variable-length token where a fixed one belongs */
    return err;
}

/*
 * An output key identifier: a well-formed label names an existing record
 * (its token is in k, whatever its length); any other content is the
 * caller's buffer, overwritten (k->token NULL).
 */
static csu_err target_id(const unsigned char *id, enum csu_store first, struct csu_keyid *k)
{
    if (!id || csu_keyid_kind(id[0]) != CSU_KEYID_LABEL || csu_label_check(id) != CSU_OK)
        return csu_keyid_resolve_output(first, id, TOKEN_LEN, k); /* the caller's buffer */
    csu_err err = fixed_key(id, first, k);
    return err == CSU_E_TOKEN_VERSION ? CSU_OK : err; /* any record may receive the new token */
}

/* Where a verb's 64-byte output goes: the caller's buffer, or @p local for a label's record. */
static unsigned char *out_buffer(const struct csu_keyid *k, unsigned char *caller, unsigned char *local)
{
    return k->is_label ? local : caller;
}

/*
 * After the round trip: a label's record takes the new token (rc < 8 only).
 * A failed write replaces the card's answer.
 */
static void write_back(const struct csu_keyid *k, const unsigned char *tok, long *return_code, long *reason_code)
{
    if (!k->is_label || *return_code >= 8)
        return;
    csu_err err = csu_keyid_write_back(k, tok, TOKEN_LEN);
    if (err != CSU_OK)
        csu_set_err(return_code, reason_code, err);
}

static bool add(struct csu_wire_msg *req, unsigned n, const void *data, size_t len)
{
    return csu_wire_add_block(req, CSU_TAG_IN(n), data, len);
}

/* Copy reply block OUT(n) of exactly @p len bytes to @p out (skipped when out is NULL). */
static csu_err take(const struct csu_reply *rep, unsigned n, unsigned char *out, size_t len, bool required)
{
    const struct csu_wire_block *b = csu_wire_find(&rep->msg, CSU_TAG_OUT(n));
    if (!b)
        return required ? CSU_E_REPLY : CSU_OK;
    if (b->length != len)
        return CSU_E_REPLY;
    if (out)
        memcpy(out, b->data, len);
    return CSU_OK;
}

/* One round trip; outputs (up to two) copied only when the card's return code is below 8. */
struct out_spec {
    unsigned char *p;
    size_t len;
    bool required;
};

static void round_trip(const struct csu_wire_msg *req, csu_err err, long *return_code, long *reason_code,
                       struct out_spec o1, struct out_spec o2)
{
    struct csu_reply rep;
    if (err == CSU_OK)
        err = csu_call(req, &rep);
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    csu_err copy = CSU_OK;
    if (csu_reply_has_output(&rep)) {
        /* Validate both blocks before writing either, so a bad reply leaves outputs untouched. */
        copy = take(&rep, 1, NULL, o1.len, o1.required);
        if (copy == CSU_OK)
            copy = take(&rep, 2, NULL, o2.len, o2.required);
        if (copy == CSU_OK && o1.p)
            take(&rep, 1, o1.p, o1.len, false);
        if (copy == CSU_OK && o2.p)
            take(&rep, 2, o2.p, o2.len, false);
    }
    csu_set_reply(return_code, reason_code, &rep, copy);
    csu_reply_free(&rep);
}

static const struct out_spec NO_OUT = {NULL, 0, false};

/* ---- CSNBKTB ------------------------------------------------------------- */

/* Bytes of key_value the caller passed with KEY: AES 32; DES the key length. */
static size_t ktb_value_length(long count, const unsigned char *rules, const unsigned char *cv)
{
    static const struct {
        const char *word;
        size_t len;
    } lens[] = {{"SINGLE", 8}, {"KEYLN8", 8}, {"DOUBLE", 16}, {"KEYLN16", 16}, {"DOUBLE-O", 16},
                {"TRIPLE", 24}, {"KEYLN24", 24}, {"TRIPLE-O", 24}};
    if (rule_has(count, rules, "AES"))
        return 32;
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
        if (rule_has(count, rules, lens[i].word))
            return lens[i].len;
    if (cv && rule_has(count, rules, "CV")) { /* key-form bits 40-42 of the left CV */
        unsigned form = (cv[5] & 0xE0u) >> 5;
        return form == 2 || form == 6 ? 16 : form == 3 || form == 7 ? 24 : 8;
    }
    return 8;
}

void SECURITYAPI CSNBKTB(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         unsigned char *key_token, unsigned char *key_type, long *rule_array_count,
                         unsigned char *rule_array, unsigned char *key_value, void *reserved_field_1,
                         long *reserved_field_2, unsigned char *reserved_field_3, unsigned char *control_vector,
                         unsigned char *reserved_field_4, long *reserved_field_5, unsigned char *reserved_field_6,
                         unsigned char *master_key_verification_number)
{
    (void)exit_data_length, (void)exit_data, (void)reserved_field_1, (void)reserved_field_2;
    (void)reserved_field_3, (void)reserved_field_4, (void)reserved_field_5, (void)reserved_field_6;
    (void)master_key_verification_number; /* legacy MK version field: the card sets the MKVP */
    if (!return_code || !reason_code)
        return;
    struct csu_wire_msg req = {.op = CSU_OP_CSNBKTB};
    csu_err err = rules_in(rule_array_count, rule_array, 1, SYMKEY_MAX_RULES, &req);
    if (err == CSU_OK && (!key_token || !key_type))
        err = CSU_E_NULL_POINTER;
    bool with_key = err == CSU_OK && rule_has(*rule_array_count, rule_array, "KEY");
    bool with_cv = err == CSU_OK && rule_has(*rule_array_count, rule_array, "CV");
    if (err == CSU_OK && ((with_key && !key_value) || (with_cv && !control_vector)))
        err = CSU_E_NULL_POINTER;
    if (err == CSU_OK) {
        add(&req, 1, key_type, KW);
        if (with_key)
            add(&req, 2, key_value, ktb_value_length(*rule_array_count, rule_array, control_vector));
        if (with_cv)
            add(&req, 3, control_vector, 16);
    }
    round_trip(&req, err, return_code, reason_code, (struct out_spec){key_token, TOKEN_LEN, true}, NO_OUT);
}

/* ---- CSNBKGN ------------------------------------------------------------- */

/* The store of a generated key's label: AES DATA keys in AES key storage, DES keys in DES (TOKEN: either). */
static enum csu_store kgn_store(const unsigned char *key_type)
{
    return word_is(key_type, KW, "AESDATA") || word_is(key_type, KW, "AESTOKEN") ? CSU_STORE_AES : CSU_STORE_DES;
}

/*
 * A generated key identifier: the caller's 64 bytes, or a label's record
 * (the skeleton for TOKEN/AESTOKEN; a record of another length goes as a
 * null token, which only TOKEN refuses, with 8/155).
 */
static csu_err kgn_target(const unsigned char *type, const unsigned char *id, struct csu_keyid *k,
                          const uint8_t **send)
{
    static const uint8_t null_token[TOKEN_LEN];
    csu_err err = target_id(id, kgn_store(type), k);
    *send = !k->is_label ? id : k->length == TOKEN_LEN ? k->token : null_token;
    return err;
}

/* A DES key-encrypting key (token or label of DES key storage), sent as @p tag. */
static csu_err kek_in(const unsigned char *id, uint16_t tag, struct csu_keyid *k, struct csu_wire_msg *req)
{
    if (!id)
        return CSU_E_NULL_POINTER;
    csu_err err = csu_keyid_resolve(CSU_STORE_DES, id, TOKEN_LEN, k);
    if (err == CSU_OK && k->length != TOKEN_LEN)
        err = CSU_E_TOKEN_VERSION;
    if (err == CSU_OK && !csu_wire_add_block(req, tag, k->token, TOKEN_LEN))
        err = CSU_E_INTERNAL;
    return err;
}

/* Key @p i's KEK (IN5 / IN6) when its half of key_form is IM or EX; OP keys ignore the parameter. */
static csu_err kgn_kek(const unsigned char *key_form, unsigned i, const unsigned char *kek, struct csu_keyid *k,
                       struct csu_wire_msg *req)
{
    const unsigned char *half = key_form + 2 * i;
    if (!word_is(half, 2, "IM") && !word_is(half, 2, "EX"))
        return CSU_OK;
    return kek_in(kek, CSU_TAG_IN(5 + i), k, req);
}

void SECURITYAPI CSNBKGN(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         unsigned char *key_form, unsigned char *key_length, unsigned char *key_type_1,
                         unsigned char *key_type_2, unsigned char *KEK_key_identifier_1,
                         unsigned char *KEK_key_identifier_2, unsigned char *generated_key_identifier_1,
                         unsigned char *generated_key_identifier_2)
{
    (void)exit_data_length, (void)exit_data;
    if (!return_code || !reason_code)
        return;
    struct csu_wire_msg req = {.op = CSU_OP_CSNBKGN};
    struct csu_keyid k1, k2, kek1, kek2;
    csu_keyid_init(&k1);
    csu_keyid_init(&k2);
    csu_keyid_init(&kek1);
    csu_keyid_init(&kek2);
    const uint8_t *gen1 = NULL, *gen2 = NULL;
    csu_err err = CSU_OK;
    if (!key_form || !key_length || !key_type_1 || !generated_key_identifier_1)
        err = CSU_E_NULL_POINTER;
    /* Two keys when the form's last two characters are set (OPOP, OPEX, …); else key 2 is ignored. */
    bool pair = err == CSU_OK && !word_is(key_form + 2, 2, "");
    if (err == CSU_OK && pair && (!key_type_2 || !generated_key_identifier_2))
        err = CSU_E_NULL_POINTER;
    if (err == CSU_OK)
        err = kgn_target(key_type_1, generated_key_identifier_1, &k1, &gen1);
    if (err == CSU_OK && pair)
        err = kgn_target(key_type_2, generated_key_identifier_2, &k2, &gen2);
    if (err == CSU_OK)
        err = kgn_kek(key_form, 0, KEK_key_identifier_1, &kek1, &req);
    if (err == CSU_OK && pair)
        err = kgn_kek(key_form, 1, KEK_key_identifier_2, &kek2, &req);
    if (err == CSU_OK) {
        add(&req, 1, key_form, 4);
        add(&req, 2, key_length, KW);
        add(&req, 3, key_type_1, KW);
        add(&req, 7, gen1, TOKEN_LEN);
        if (pair) {
            add(&req, 4, key_type_2, KW);
            add(&req, 8, gen2, TOKEN_LEN);
        }
    }
    unsigned char tok1[TOKEN_LEN], tok2[TOKEN_LEN];
    round_trip(&req, err, return_code, reason_code,
               (struct out_spec){out_buffer(&k1, generated_key_identifier_1, tok1), TOKEN_LEN, true},
               (struct out_spec){pair ? out_buffer(&k2, generated_key_identifier_2, tok2) : NULL, TOKEN_LEN, pair});
    write_back(&k1, tok1, return_code, reason_code);
    if (pair)
        write_back(&k2, tok2, return_code, reason_code);
    csu_keyid_release(&k1);
    csu_keyid_release(&k2);
    csu_keyid_release(&kek1);
    csu_keyid_release(&kek2);
}

/* ---- CSNBCKM, CSNBCKI ---------------------------------------------------- */

void SECURITYAPI CSNBCKM(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, long *clear_key_length,
                         unsigned char *clear_key, unsigned char *target_key_identifier)
{
    (void)exit_data_length, (void)exit_data;
    if (!return_code || !reason_code)
        return;
    struct csu_wire_msg req = {.op = CSU_OP_CSNBCKM};
    struct csu_keyid k;
    csu_keyid_init(&k);
    long zero = 0;
    csu_err err = rules_in(rule_array_count ? rule_array_count : &zero, rule_array, 0, 1, &req);
    long len = 0;
    if (err == CSU_OK && (!clear_key_length || !clear_key))
        err = CSU_E_NULL_POINTER;
    if (err == CSU_OK)
        err = csu_get_length(clear_key_length, 0, 32, &len);
    bool aes = err == CSU_OK && rule_has(req.rule_count, rule_array, "AES");
    if (err == CSU_OK)
        err = target_id(target_key_identifier, aes ? CSU_STORE_AES : CSU_STORE_DES, &k);
    if (err == CSU_OK)
        add(&req, 1, clear_key, (size_t)len);
    unsigned char tok[TOKEN_LEN];
    round_trip(&req, err, return_code, reason_code,
               (struct out_spec){out_buffer(&k, target_key_identifier, tok), TOKEN_LEN, true}, NO_OUT);
    write_back(&k, tok, return_code, reason_code);
    csu_keyid_release(&k);
}

void SECURITYAPI CSNBCKI(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         unsigned char *clear_key, unsigned char *target_key_identifier)
{
    (void)exit_data_length, (void)exit_data;
    if (!return_code || !reason_code)
        return;
    struct csu_wire_msg req = {.op = CSU_OP_CSNBCKI};
    struct csu_keyid k;
    csu_keyid_init(&k);
    csu_err err = clear_key ? target_id(target_key_identifier, CSU_STORE_DES, &k) : CSU_E_NULL_POINTER;
    /* An internal token as target (the caller's or the record's) lends its CV (e.g. a DATA skeleton). */
    bool lends = err == CSU_OK && (k.is_label ? k.token : target_key_identifier)[0] == 0x01;
    if (lends && !k.is_label)
        err = fixed_key(target_key_identifier, CSU_STORE_DES, &k);
    if (err == CSU_OK && lends && k.length != TOKEN_LEN)
        err = CSU_E_TOKEN_VERSION;
    if (err == CSU_OK) {
        add(&req, 1, clear_key, 8);
        if (lends)
            add(&req, 2, k.token, TOKEN_LEN);
    }
    unsigned char out[TOKEN_LEN];
    round_trip(&req, err, return_code, reason_code,
               (struct out_spec){out_buffer(&k, target_key_identifier, out), TOKEN_LEN, true}, NO_OUT);
    write_back(&k, out, return_code, reason_code);
    csu_keyid_release(&k);
}

/* ---- CSNBKPI ------------------------------------------------------------- */

/*
 * Key length of a fixed-length DES token: key-form bits of the left CV (v0)
 * or byte 59 (v1).  Other tokens (AES v4: bytes 32-47 are key material) 0:
 * no key part is read, the card refuses the token (8/64).
 */
static size_t des_token_key_length(const uint8_t *tok)
{
    if (tok[4] != 0x00 && tok[4] != 0x01)
        return 0;
    if (tok[4] == 0x01)
        return tok[59] == 0x20 ? 24 : 16;
    unsigned form = (tok[37] & 0xE0u) >> 5;
    return form == 2 || form == 6 ? 16 : form == 3 || form == 7 ? 24 : 8;
}

void SECURITYAPI CSNBKPI(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, unsigned char *key_part,
                         unsigned char *key_identifier)
{
    (void)exit_data_length, (void)exit_data;
    if (!return_code || !reason_code)
        return;
    struct csu_wire_msg req = {.op = CSU_OP_CSNBKPI};
    struct csu_keyid k;
    csu_keyid_init(&k);
    csu_err err = rules_in(rule_array_count, rule_array, 1, 2, &req);
    if (err == CSU_OK)
        err = key_identifier ? fixed_key(key_identifier, CSU_STORE_DES, &k) : CSU_E_NULL_POINTER;
    bool takes_part = err == CSU_OK && !rule_has(*rule_array_count, rule_array, "COMPLETE");
    if (takes_part && !key_part)
        err = CSU_E_NULL_POINTER;
    if (err == CSU_OK) {
        size_t part_len = des_token_key_length(k.token);
        if (takes_part && part_len > 0)
            add(&req, 1, key_part, part_len);
        add(&req, 2, k.token, TOKEN_LEN);
    }
    unsigned char tok[TOKEN_LEN];
    round_trip(&req, err, return_code, reason_code,
               (struct out_spec){out_buffer(&k, key_identifier, tok), TOKEN_LEN, true}, NO_OUT);
    write_back(&k, tok, return_code, reason_code);
    csu_keyid_release(&k);
}

/* ---- CSNBKYT ------------------------------------------------------------- */

/* Bytes of key_identifier the key rule says were passed: 0 (master keys), clear lengths, or a token. */
static size_t kyt_identifier_length(long count, const unsigned char *rules)
{
    static const struct {
        const char *word;
        size_t len;
    } rule_len[] = {{"KEY-KM", 0},    {"KEY-NKM", 0},   {"KEY-OKM", 0},   {"KEY-CLR", 8},
                    {"KEY-CLRD", 16}, {"KEY-CLRT", 24}, {"CLR-A128", 16}, {"CLR-A192", 24},
                    {"CLR-A256", 32}};
    for (size_t i = 0; i < sizeof(rule_len) / sizeof(rule_len[0]); i++)
        if (rule_has(count, rules, rule_len[i].word))
            return rule_len[i].len;
    return TOKEN_LEN;
}

/*
 * CSNBKYT and CSNBKYTX: @p kek (KYTX only) is sent (IN4) when the key
 * identifier is an external token, whose key is under that KEK.
 */
static void kyt_call(long *return_code, long *reason_code, long *rule_array_count, unsigned char *rule_array,
                     unsigned char *key_identifier, unsigned char *value_1, unsigned char *value_2,
                     const unsigned char *kek)
{
    struct csu_wire_msg req = {.op = CSU_OP_CSNBKYT};
    struct csu_keyid k, kk;
    csu_keyid_init(&k);
    csu_keyid_init(&kk);
    csu_err err = rules_in(rule_array_count, rule_array, 1, 5, &req);
    size_t id_len = err == CSU_OK ? kyt_identifier_length(*rule_array_count, rule_array) : 0;
    bool verify = err == CSU_OK && rule_has(*rule_array_count, rule_array, "VERIFY");
    /* SHA-256 and AES-MK name AES keys: their labels are looked for in AES key storage first. */
    bool aes = err == CSU_OK && (rule_has(*rule_array_count, rule_array, "SHA-256") ||
                                 rule_has(*rule_array_count, rule_array, "AES-MK"));
    /* value_1 carries data for the DES random-number method and the SYM/ASYM MK pattern only. */
    if (err == CSU_OK && (!value_2 || (id_len > 0 && !key_identifier)))
        err = CSU_E_NULL_POINTER;
    const uint8_t *tok = key_identifier;
    if (err == CSU_OK && id_len == TOKEN_LEN) {
        err = fixed_key(key_identifier, aes ? CSU_STORE_AES : CSU_STORE_DES, &k);
        tok = k.token;
    }
    if (err == CSU_OK && id_len == TOKEN_LEN && kek && tok[0] == 0x02)
        err = kek_in(kek, CSU_TAG_IN(4), &kk, &req);
    if (err == CSU_OK) {
        if (id_len)
            add(&req, 1, tok, id_len);
        if (verify && value_1)
            add(&req, 2, value_1, 8);
        if (verify)
            add(&req, 3, value_2, 8);
    }
    round_trip(&req, err, return_code, reason_code, (struct out_spec){value_1, 8, false},
               (struct out_spec){verify ? NULL : value_2, 8, false});
    csu_keyid_release(&k);
    csu_keyid_release(&kk);
}

void SECURITYAPI CSNBKYT(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, unsigned char *key_identifier,
                         unsigned char *value_1, unsigned char *value_2)
{
    (void)exit_data_length, (void)exit_data;
    if (!return_code || !reason_code)
        return;
    kyt_call(return_code, reason_code, rule_array_count, rule_array, key_identifier, value_1, value_2, NULL);
}

/* Key Test Extended: CSNBKYT plus the KEK of an external token (the same card operation, with IN4). */
void SECURITYAPI CSNBKYTX(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                          long *rule_array_count, unsigned char *rule_array, unsigned char *key_identifier,
                          unsigned char *random_number, unsigned char *verification_pattern,
                          unsigned char *kek_key_identifier)
{
    (void)exit_data_length, (void)exit_data;
    if (!return_code || !reason_code)
        return;
    kyt_call(return_code, reason_code, rule_array_count, rule_array, key_identifier, random_number,
             verification_pattern, kek_key_identifier);
}

/* ---- CSNBKTC ------------------------------------------------------------- */

/*
 * RTCMK on a label rewrites the record (unless the key was already current:
 * the record is left as it is, 0/0).  RTNMK on a label is refused (8/33):
 * host key storage follows the RTCMK model, reference §4.2.
 */
void SECURITYAPI CSNBKTC(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, unsigned char *key_identifier)
{
    (void)exit_data_length, (void)exit_data;
    if (!return_code || !reason_code)
        return;
    struct csu_wire_msg req = {.op = CSU_OP_CSNBKTC};
    struct csu_keyid k;
    csu_keyid_init(&k);
    csu_err err = rules_in(rule_array_count, rule_array, 1, 2, &req);
    bool aes = err == CSU_OK && rule_has(*rule_array_count, rule_array, "AES");
    if (err == CSU_OK)
        err = key_identifier ? fixed_key(key_identifier, aes ? CSU_STORE_AES : CSU_STORE_DES, &k)
                             : CSU_E_NULL_POINTER;
    if (err == CSU_OK && k.is_label && rule_has(*rule_array_count, rule_array, "RTNMK"))
        err = CSU_E_RULE_KEYWORD;
    if (err == CSU_OK)
        add(&req, 1, k.token, TOKEN_LEN);
    unsigned char tok[TOKEN_LEN];
    round_trip(&req, err, return_code, reason_code,
               (struct out_spec){out_buffer(&k, key_identifier, tok), TOKEN_LEN, true}, NO_OUT);
    write_back(&k, tok, return_code, reason_code);
    csu_keyid_release(&k);
}
