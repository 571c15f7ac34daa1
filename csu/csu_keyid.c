/* SPDX-License-Identifier: Apache-2.0 */
/* Key identifiers: label or token (see csu_keyid.h). */
#include "csu_keyid.h"

#include <openssl/crypto.h>
#include <string.h>

#include "csu_mu.h"

enum csu_keyid_kind csu_keyid_kind(uint8_t b)
{
    switch (b) {
    case 0x00: return CSU_KEYID_NULL;
    case 0x01: return CSU_KEYID_INTERNAL;
    case 0x02: return CSU_KEYID_EXTERNAL;
    case 0x1E: return CSU_KEYID_PKA_EXTERNAL;
    case 0x1F: return CSU_KEYID_PKA_INTERNAL;
    default: return (b >= 0x20 && b <= 0xFE) ? CSU_KEYID_LABEL : CSU_KEYID_INVALID;
    }
}

csu_err csu_token_length(const uint8_t *buf, size_t buf_len, size_t *len)
{
    if (!buf || buf_len < 8)
        return CSU_E_LENGTH;
    enum csu_keyid_kind kind = csu_keyid_kind(buf[0]);
    size_t n;
    switch (kind) {
    case CSU_KEYID_NULL:
        n = buf_len >= CSU_FIXED_TOKEN_LEN ? CSU_FIXED_TOKEN_LEN : csu_load_be16(buf + 2);
        break;
    case CSU_KEYID_INTERNAL:
    case CSU_KEYID_EXTERNAL:
        n = buf[4] == 0x05 ? csu_load_be16(buf + 2) : CSU_FIXED_TOKEN_LEN;
        break;
    case CSU_KEYID_PKA_EXTERNAL:
    case CSU_KEYID_PKA_INTERNAL:
        n = csu_load_be16(buf + 2);
        break;
    default:
        return CSU_E_TOKEN_TYPE;
    }
    if (n < 8 || n > buf_len)
        return CSU_E_LENGTH;
    *len = n;
    return CSU_OK;
}

static bool label_char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '#' || c == '$' || c == '@';
}

csu_err csu_label_check(const uint8_t label[CSU_LABEL_LEN])
{
    size_t end = 0;
    while (end < CSU_LABEL_LEN && label[end] != ' ')
        end++;
    for (size_t i = end; i < CSU_LABEL_LEN; i++)
        if (label[i] != ' ')
            return CSU_E_LABEL_FORMAT;
    if (end == 0 || (label[0] >= '0' && label[0] <= '9'))
        return CSU_E_LABEL_FORMAT;
    size_t tokens = 1, run = 0;
    for (size_t i = 0; i < end; i++) {
        if (label[i] == '.') {
            if (run == 0)
                return CSU_E_LABEL_FORMAT;
            tokens++;
            run = 0;
        } else if (!label_char(label[i]) || ++run > 8) {
            return CSU_E_LABEL_FORMAT;
        }
    }
    return (run == 0 || tokens > 7) ? CSU_E_LABEL_FORMAT : CSU_OK;
}

static const struct csu_keyid_backend *_Atomic backend;

void csu_keyid_set_backend(const struct csu_keyid_backend *b) { backend = b; }

/* A label's record; a null record reads as a 64-byte null token. */
static csu_err resolve_label(enum csu_store store, const uint8_t *id, struct csu_keyid *out)
{
    const struct csu_keyid_backend *b = backend;
    if (!b)
        return CSU_E_KEYSTORE_UNSET;
    memcpy(out->label, id, CSU_LABEL_LEN);
    out->is_label = true;
    size_t len = 0;
    csu_err err = b->read(store, out->label, out->record, sizeof(out->record), &len);
    if (err != CSU_OK)
        return err;
    if (len == 0) {
        memset(out->record, 0, CSU_FIXED_TOKEN_LEN);
        len = CSU_FIXED_TOKEN_LEN;
    }
    out->token = out->record;
    out->length = len;
    return CSU_OK;
}

/* A token identifier, used in place at its header's length. */
static csu_err resolve_token(const uint8_t *id, size_t id_len, struct csu_keyid *out)
{
    if (id_len < 1)
        return CSU_E_LENGTH;
    if (csu_keyid_kind(id[0]) == CSU_KEYID_INVALID)
        return CSU_E_TOKEN_TYPE;
    csu_err err = csu_token_length(id, id_len, &out->length);
    if (err == CSU_OK)
        out->token = id;
    return err;
}

void csu_keyid_init(struct csu_keyid *k)
{
    k->token = NULL;
    k->length = 0;
    k->is_label = false;
    k->store = CSU_STORE_DES;
}

static void reset(enum csu_store store, struct csu_keyid *out)
{
    csu_keyid_init(out);
    out->store = store;
}

static bool is_label(const uint8_t *id, size_t id_len)
{
    return id_len >= 1 && csu_keyid_kind(id[0]) == CSU_KEYID_LABEL;
}

/* A label's syntax, before any store is opened. */
static csu_err label_in(const uint8_t *id, size_t id_len)
{
    return id_len < CSU_LABEL_LEN ? CSU_E_LENGTH : csu_label_check(id);
}

csu_err csu_keyid_resolve(enum csu_store store, const uint8_t *id, size_t id_len, struct csu_keyid *out)
{
    reset(store, out);
    if (!id)
        return CSU_E_NULL_POINTER;
    if (!is_label(id, id_len))
        return resolve_token(id, id_len, out);
    csu_err err = label_in(id, id_len);
    return err != CSU_OK ? err : resolve_label(store, id, out);
}

/* The label is not in that store, or that store is not set up. */
static bool absent(csu_err err)
{
    return err == CSU_E_LABEL_NOT_FOUND || err == CSU_E_KEYSTORE_UNSET || err == CSU_E_KEYSTORE_MISSING;
}

csu_err csu_keyid_resolve_either(enum csu_store first, enum csu_store second, const uint8_t *id, size_t id_len,
                                 struct csu_keyid *out)
{
    csu_err err = csu_keyid_resolve(first, id, id_len, out);
    if (!absent(err))
        return err;
    csu_keyid_release(out);
    csu_err err2 = csu_keyid_resolve(second, id, id_len, out);
    /* Neither store has it: "not found" says more than "the other store is not set up". */
    if (absent(err2) && (err == CSU_E_LABEL_NOT_FOUND || err2 == CSU_E_LABEL_NOT_FOUND))
        return CSU_E_LABEL_NOT_FOUND;
    return err2;
}

csu_err csu_keyid_resolve_output(enum csu_store store, const uint8_t *id, size_t id_len, struct csu_keyid *out)
{
    reset(store, out);
    if (!id)
        return CSU_E_NULL_POINTER;
    /* Clients pass uninitialised output buffers: only a well-formed label names a record. */
    if (!is_label(id, id_len) || label_in(id, id_len) != CSU_OK)
        return CSU_OK;
    return resolve_label(store, id, out);
}

csu_err csu_keyid_write_back(const struct csu_keyid *k, const uint8_t *token, size_t length)
{
    /* Unchanged (RTCMK of a current key): no commit, the record keeps its update counter. */
    if (!k->is_label || (length == k->length && memcmp(token, k->token, length) == 0))
        return CSU_OK;
    const struct csu_keyid_backend *b = backend;
    return b ? b->write(k->store, k->label, token, length) : CSU_E_KEYSTORE_UNSET;
}

void csu_keyid_release(struct csu_keyid *k)
{
    if (k->is_label)
        OPENSSL_cleanse(k->record, sizeof(k->record));
    k->is_label = false;
    k->token = NULL;
    k->length = 0;
}
