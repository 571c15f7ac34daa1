/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key-storage verbs (reference §1.4 "Key storage", §4): host-only record
 * verbs on keystore/, and the host half of CSNBKSI (card half in
 * card/fw_keystore.c returns the current master key's pattern).
 * This file also connects csu_keyid (labels in every other verb) to
 * key storage when the library is loaded.
 */
#include <limits.h>
#include <openssl/crypto.h>
#include <string.h>

#include "csu_boundary.h"
#include "csu_keyid.h"
#include "csu_rules.h"
#include "csu_wire.h"
#include "keystore.h"
#include "tok_cv.h"

#define KW 8

/* ---- csu_keyid backend -------------------------------------------------- */

static csu_err backend_read(enum csu_store s, const uint8_t label[CSU_LABEL_LEN], uint8_t *buf, size_t cap,
                            size_t *len)
{
    return ks_err_csu(ks_read((enum ks_store)s, label, buf, cap, len));
}

static csu_err backend_write(enum csu_store s, const uint8_t label[CSU_LABEL_LEN], const uint8_t *tok, size_t len)
{
    return ks_err_csu(ks_write((enum ks_store)s, label, tok, len, false));
}

static const struct csu_keyid_backend ks_backend = {backend_read, backend_write};

__attribute__((constructor)) static void connect_key_storage(void) { csu_keyid_set_backend(&ks_backend); }

/* ---- common ------------------------------------------------------------- */

static void set_ks(long *rc, long *rs, ks_err e)
{
    struct ks_cca c = ks_err_cca(e);
    *rc = c.return_code;
    *rs = c.reason_code;
}

static void set_csu(long *rc, long *rs, csu_err e) { csu_set_err(rc, rs, e); }

enum { G_DEL = 0, G_WRITE = 0 };
enum { DEL_TOKEN = 0, DEL_LABEL = 1, WRITE_CHECK = 0, WRITE_OVERLAY = 1 };

static const struct csu_keyword del_words[] = {{"TOKEN-DL", G_DEL, DEL_TOKEN}, {"LABEL-DL", G_DEL, DEL_LABEL}};
static const struct csu_rule_spec del_spec = {del_words, 2, 0, 1, 0};
static const struct csu_rule_spec del_spec_one = {del_words, 2, 1, 1, 1u << G_DEL}; /* CSNBKRD: RAC = 1 */
static const struct csu_keyword write_words[] = {{"CHECK", G_WRITE, WRITE_CHECK},
                                                 {"OVERLAY", G_WRITE, WRITE_OVERLAY}};
static const struct csu_rule_spec write_spec = {write_words, 2, 0, 1, 0};
static const struct csu_rule_spec none_spec = {NULL, 0, 0, 0, 0};

/* Parse a rule array that may be absent when its count is 0 (clients pass NULL). */
static csu_err rules(const struct csu_rule_spec *spec, const long *count, const unsigned char *ra,
                     struct csu_rule_result *r)
{
    long n = count ? *count : 0;
    return csu_rules_parse(spec, n, ra, r);
}

/* Token kinds each store holds (first byte): null always; DES/AES symmetric; PKA X'1E'/X'1F'. */
static bool store_takes(enum ks_store s, uint8_t first)
{
    if (first == 0x00)
        return true;
    return s == KS_PKA ? (first == 0x1E || first == 0x1F) : (first == 0x01 || first == 0x02);
}

/*
 * The token a create/write verb stores: its real length from its header
 * (clients pass buffer sizes), 0 for a null token or no token at all.
 */
static csu_err token_in(enum ks_store s, const long *len_p, const unsigned char *tok, size_t *len)
{
    long n = len_p ? *len_p : 0;
    if (n < 0 || n > KS_MAX_TOKEN * 4L)
        return CSU_E_LENGTH;
    if (n == 0) {
        *len = 0;
        return CSU_OK;
    }
    if (!tok)
        return CSU_E_NULL_POINTER;
    if (!store_takes(s, tok[0]))
        return CSU_E_TOKEN_TYPE;
    if (tok[0] == 0x00) {
        *len = 0;
        return CSU_OK;
    }
    csu_err err = csu_token_length(tok, (size_t)n, len);
    if (err == CSU_OK && *len > KS_MAX_TOKEN)
        err = CSU_E_LENGTH;
    return err;
}

/* A record's token for the caller: a null record is 64 zero bytes (AKRR/KRR). */
static ks_err read_out(enum ks_store s, const unsigned char *label, unsigned char *out, size_t cap, size_t *len)
{
    uint8_t buf[KS_MAX_TOKEN];
    size_t n = 0;
    ks_err err = ks_read(s, label, buf, sizeof(buf), &n);
    if (err == KS_OK && n == 0) {
        memset(buf, 0, 64);
        n = 64;
    }
    if (err == KS_OK && n > cap)
        err = KS_LENGTH;
    if (err == KS_OK) {
        memcpy(out, buf, n);
        *len = n;
    }
    OPENSSL_cleanse(buf, sizeof(buf));
    return err;
}

/* ---- the record verbs, one implementation per action ------------------ */

static void do_create(enum ks_store s, long *rc, long *rs, const long *rac, const unsigned char *ra,
                      const unsigned char *label, const long *tok_len, const unsigned char *tok)
{
    struct csu_rule_result r;
    size_t n = 0;
    csu_err err = label ? rules(&none_spec, rac, ra, &r) : CSU_E_NULL_POINTER;
    if (err == CSU_OK)
        err = token_in(s, tok_len, tok, &n);
    if (err != CSU_OK)
        return set_csu(rc, rs, err);
    set_ks(rc, rs, ks_create(s, label, tok, n));
}

static void do_delete(enum ks_store s, long *rc, long *rs, const struct csu_rule_spec *spec, const long *rac,
                      const unsigned char *ra, const unsigned char *id, uint32_t dflt)
{
    struct csu_rule_result r;
    csu_err err = id ? rules(spec, rac, ra, &r) : CSU_E_NULL_POINTER;
    if (err != CSU_OK)
        return set_csu(rc, rs, err);
    bool whole = csu_rules_value(&r, G_DEL, dflt) == DEL_LABEL;
    if (ks_is_pattern(id))
        return set_ks(rc, rs, ks_delete_matching(s, id, whole, NULL));
    set_ks(rc, rs, ks_delete(s, id, whole));
}

static void do_read(enum ks_store s, long *rc, long *rs, const long *rac, const unsigned char *ra,
                    const unsigned char *label, long *tok_len, unsigned char *tok, bool fixed64)
{
    struct csu_rule_result r;
    csu_err err = (label && tok && (fixed64 || tok_len)) ? rules(&none_spec, rac, ra, &r) : CSU_E_NULL_POINTER;
    long cap = fixed64 ? 64 : 0;
    if (err == CSU_OK && !fixed64)
        err = csu_get_length(tok_len, 0, LONG_MAX, &cap);
    if (err != CSU_OK)
        return set_csu(rc, rs, err);
    size_t n = 0;
    ks_err kerr = read_out(s, label, tok, (size_t)cap, &n);
    if (kerr == KS_OK && tok_len)
        *tok_len = (long)n;
    set_ks(rc, rs, kerr);
}

static void do_write(enum ks_store s, long *rc, long *rs, const long *rac, const unsigned char *ra,
                     const unsigned char *label, const long *tok_len, const unsigned char *tok, bool overlay_only)
{
    struct csu_rule_result r;
    csu_err err = (label && tok) ? rules(&write_spec, rac, ra, &r) : CSU_E_NULL_POINTER;
    size_t n = 0;
    if (err == CSU_OK)
        err = token_in(s, tok_len, tok, &n);
    if (err != CSU_OK)
        return set_csu(rc, rs, err);
    bool check = !overlay_only && csu_rules_value(&r, G_WRITE, WRITE_CHECK) == WRITE_CHECK;
    set_ks(rc, rs, ks_write(s, label, tok, n, check));
}

/* List-line description of a token: key type, kind, first two MKVP bytes. */
static void hex2(const uint8_t *p, char out[5])
{
    static const char h[] = "0123456789ABCDEF";
    for (int i = 0; i < 2; i++)
        out[2 * i] = h[p[i] >> 4], out[2 * i + 1] = h[p[i] & 15];
    out[4] = '\0';
}

static void describe_sym(const uint8_t *t, size_t n, char type[9], char vp[5])
{
    static const char *const v5_types[] = {"", "CIPHER", "MAC", "EXPORTER", "IMPORTER"};
    if (n >= 64 && t[4] == 0x04) { /* AES fixed-length: a DATA key */
        strcpy(type, "AESDATA");
        hex2(t + 8, vp);
    } else if (n >= 44 && t[4] == 0x05) {
        unsigned kt = (unsigned)t[42] << 8 | t[43];
        strcpy(type, kt >= 1 && kt <= 4 ? v5_types[kt] : (t[41] == 0x03 ? "HMAC" : "ERROR"));
        hex2(t + 10, vp);
    } else if (n >= 64) {
        static const uint8_t zero[8];
        const struct cv_type *ct = cv_type_by_cv(t + 32);
        strcpy(type, memcmp(t + 32, zero, 8) == 0 ? "NO-CV" : ct ? ct->name : "ERROR");
        type[8] = '\0';
        if (t[0] == 0x01)
            hex2(t + 8, vp);
    }
}

static void describe(enum ks_store s, const uint8_t *t, size_t n, char type[9], char kind[9], char vp[5])
{
    strcpy(kind, (t[0] == 0x01 || t[0] == 0x1F) ? "INTERNAL" : "EXTERNAL");
    if (s != KS_PKA) {
        describe_sym(t, n, type, vp);
        return;
    }
    uint8_t sec = n > 8 ? t[8] : 0;
    strcpy(type, sec == 0x04 ? "RSA-PUB" : sec == 0x20 ? "ECC-PRIV" : sec == 0x21 ? "ECC-PUB" : "RSA-PRIV");
}

static void do_list(enum ks_store s, long *rc, long *rs, const long *rac, const unsigned char *ra,
                    const unsigned char *pattern, long *name_len, unsigned char *name)
{
    struct csu_rule_result r;
    csu_err err = (pattern && name_len && name) ? rules(&none_spec, rac, ra, &r) : CSU_E_NULL_POINTER;
    if (err != CSU_OK)
        return set_csu(rc, rs, err);
    /* The caller's capacity: its length when given (1..1023), else IBM's 64-byte field. */
    size_t cap = (*name_len > 0 && *name_len < 1024) ? (size_t)*name_len : 64;
    char path[1024];
    size_t count = 0;
    ks_err kerr = ks_list(s, pattern, describe, path, sizeof(path), &count);
    size_t n = strlen(path);
    if ((kerr == KS_OK || kerr == KS_NO_MATCH) && n > cap)
        kerr = KS_LENGTH;
    if (kerr == KS_OK || kerr == KS_NO_MATCH) {
        memcpy(name, path, n);
        if (n < cap)
            memset(name + n, ' ', cap - n);
        *name_len = (long)n;
    }
    set_ks(rc, rs, kerr);
}

/* ---- CSNBKSI ------------------------------------------------------------ */

static const struct csu_keyword ksi_words[] = {
    {"CURRENT", 0, 0}, {"DES", 1, KS_DES}, {"AES", 1, KS_AES}, {"PKA", 1, KS_PKA}};
static const struct csu_rule_spec ksi_spec = {ksi_words, 4, 2, 2, 3u};

void SECURITYAPI CSNBKSI(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, long *file_name_length,
                         unsigned char *file_name, long *description_length, unsigned char *description,
                         unsigned char *clear_master_key)
{
    (void)exit_data_length, (void)exit_data, (void)description_length, (void)description, (void)clear_master_key;
    if (!return_code || !reason_code)
        return;
    struct csu_rule_result r;
    csu_err err = rule_array_count ? csu_rules_parse(&ksi_spec, *rule_array_count, rule_array, &r)
                                   : CSU_E_NULL_POINTER;
    enum ks_store s = err == CSU_OK ? (enum ks_store)r.value[1] : KS_DES;
    /* A file name, when given, must be the store's configured file (docs/keystore.md). */
    long fl = 0;
    if (err == CSU_OK)
        err = csu_get_length(file_name_length, 0, 1023, &fl);
    char want[1024];
    if (err == CSU_OK && fl > 0 && !file_name)
        err = CSU_E_NULL_POINTER;
    if (err == CSU_OK && fl > 0) {
        size_t n = (size_t)fl;
        while (n > 0 && (file_name[n - 1] == ' ' || file_name[n - 1] == '\0'))
            n--;
        if (ks_store_path(s, want, sizeof(want)) != KS_OK || strlen(want) != n || memcmp(want, file_name, n))
            return set_ks(return_code, reason_code, KS_UNSET);
    }
    struct csu_wire_msg req = {.op = CSU_OP_CSNBKSI};
    if (err == CSU_OK) {
        req.rule_count = (uint16_t)*rule_array_count;
        req.rules = rule_array;
    }
    struct csu_reply rep;
    if (err == CSU_OK)
        err = csu_call(&req, &rep);
    if (err != CSU_OK)
        return set_csu(return_code, reason_code, err);
    if (!csu_reply_has_output(&rep)) {
        csu_set_reply(return_code, reason_code, &rep, CSU_OK);
        return csu_reply_free(&rep);
    }
    const struct csu_wire_block *b = csu_wire_find(&rep.msg, CSU_TAG_OUT(1));
    if (!b || b->length != KS_MKVP_LEN) {
        csu_set_reply(return_code, reason_code, &rep, CSU_E_REPLY);
        return csu_reply_free(&rep);
    }
    ks_err kerr = ks_init(s, b->data);
    csu_reply_free(&rep);
    set_ks(return_code, reason_code, kerr);
}

/* ---- DES ---------------------------------------------------------------- */

void SECURITYAPI CSNBKRC(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         unsigned char *key_label)
{
    (void)exit_data_length, (void)exit_data;
    if (return_code && reason_code)
        do_create(KS_DES, return_code, reason_code, NULL, NULL, key_label, NULL, NULL);
}

void SECURITYAPI CSNBKRD(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, unsigned char *key_identifier)
{
    (void)exit_data_length, (void)exit_data;
    if (!return_code || !reason_code)
        return;
    if (!rule_array_count)
        return set_csu(return_code, reason_code, CSU_E_NULL_POINTER);
    do_delete(KS_DES, return_code, reason_code, &del_spec_one, rule_array_count, rule_array, key_identifier,
              DEL_LABEL);
}

void SECURITYAPI CSNBKRL(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         unsigned char *key_label, long *data_set_name_length, unsigned char *data_set_name,
                         unsigned char *security_server_name)
{
    (void)exit_data_length, (void)exit_data, (void)security_server_name;
    if (return_code && reason_code)
        do_list(KS_DES, return_code, reason_code, NULL, NULL, key_label, data_set_name_length, data_set_name);
}

void SECURITYAPI CSNBKRR(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         unsigned char *key_label, unsigned char *key_token)
{
    (void)exit_data_length, (void)exit_data;
    if (return_code && reason_code)
        do_read(KS_DES, return_code, reason_code, NULL, NULL, key_label, NULL, key_token, true);
}

void SECURITYAPI CSNBKRW(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         unsigned char *key_token, unsigned char *key_label)
{
    (void)exit_data_length, (void)exit_data;
    long len = 64;
    if (return_code && reason_code)
        do_write(KS_DES, return_code, reason_code, NULL, NULL, key_label, &len, key_token, true);
}

/* ---- AES ---------------------------------------------------------------- */

void SECURITYAPI CSNBAKRC(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                          long *rule_array_count, unsigned char *rule_array, unsigned char *key_label,
                          long *key_token_length, unsigned char *key_token)
{
    (void)exit_data_length, (void)exit_data;
    if (return_code && reason_code)
        do_create(KS_AES, return_code, reason_code, rule_array_count, rule_array, key_label, key_token_length,
                  key_token);
}

void SECURITYAPI CSNBAKRD(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                          long *rule_array_count, unsigned char *rule_array, unsigned char *key_identifier)
{
    (void)exit_data_length, (void)exit_data;
    if (return_code && reason_code)
        do_delete(KS_AES, return_code, reason_code, &del_spec, rule_array_count, rule_array, key_identifier,
                  DEL_TOKEN);
}

void SECURITYAPI CSNBAKRL(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                          long *rule_array_count, unsigned char *rule_array, unsigned char *key_label,
                          long *data_set_name_length, unsigned char *data_set_name,
                          unsigned char *security_server_name)
{
    (void)exit_data_length, (void)exit_data, (void)security_server_name;
    if (return_code && reason_code)
        do_list(KS_AES, return_code, reason_code, rule_array_count, rule_array, key_label, data_set_name_length,
                data_set_name);
}

void SECURITYAPI CSNBAKRR(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                          long *rule_array_count, unsigned char *rule_array, unsigned char *key_label,
                          long *key_token_length, unsigned char *key_token)
{
    (void)exit_data_length, (void)exit_data;
    if (return_code && reason_code)
        do_read(KS_AES, return_code, reason_code, rule_array_count, rule_array, key_label, key_token_length,
                key_token, false);
}

void SECURITYAPI CSNBAKRW(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                          long *rule_array_count, unsigned char *rule_array, unsigned char *key_label,
                          long *key_token_length, unsigned char *key_token)
{
    (void)exit_data_length, (void)exit_data;
    if (return_code && reason_code)
        do_write(KS_AES, return_code, reason_code, rule_array_count, rule_array, key_label, key_token_length,
                 key_token, false);
}

/* ---- PKA ---------------------------------------------------------------- */

void SECURITYAPI CSNDKRC(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, unsigned char *key_label,
                         long *key_token_length, unsigned char *key_token)
{
    (void)exit_data_length, (void)exit_data;
    if (return_code && reason_code)
        do_create(KS_PKA, return_code, reason_code, rule_array_count, rule_array, key_label, key_token_length,
                  key_token);
}

void SECURITYAPI CSNDKRD(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, unsigned char *key_identifier)
{
    (void)exit_data_length, (void)exit_data;
    if (return_code && reason_code)
        do_delete(KS_PKA, return_code, reason_code, &del_spec, rule_array_count, rule_array, key_identifier,
                  DEL_LABEL);
}

void SECURITYAPI CSNDKRL(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, unsigned char *key_label,
                         long *data_set_name_length, unsigned char *data_set_name,
                         unsigned char *security_server_name)
{
    (void)exit_data_length, (void)exit_data, (void)security_server_name;
    if (return_code && reason_code)
        do_list(KS_PKA, return_code, reason_code, rule_array_count, rule_array, key_label, data_set_name_length,
                data_set_name);
}

void SECURITYAPI CSNDKRR(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, unsigned char *key_label,
                         long *key_token_length, unsigned char *key_token)
{
    (void)exit_data_length, (void)exit_data;
    if (return_code && reason_code)
        do_read(KS_PKA, return_code, reason_code, rule_array_count, rule_array, key_label, key_token_length,
                key_token, false);
}

void SECURITYAPI CSNDKRW(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, unsigned char *key_label,
                         long *key_token_length, unsigned char *key_token)
{
    (void)exit_data_length, (void)exit_data;
    if (return_code && reason_code)
        do_write(KS_PKA, return_code, reason_code, rule_array_count, rule_array, key_label, key_token_length,
                 key_token, false);
}
