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

csu_err csu_keyid_token(const uint8_t *id, size_t id_len, const uint8_t **token, size_t *token_len)
{
    if (!id)
        return CSU_E_NULL_POINTER;
    if (id_len < 1)
        return CSU_E_LENGTH;
    enum csu_keyid_kind kind = csu_keyid_kind(id[0]);
    if (kind == CSU_KEYID_INVALID)
        return CSU_E_TOKEN_TYPE;
    if (kind == CSU_KEYID_LABEL) {
        if (id_len < CSU_LABEL_LEN)
            return CSU_E_LENGTH;
        csu_err err = csu_label_check(id);
        return err != CSU_OK ? err : CSU_E_KEYSTORE_UNSET;
    }
    csu_err err = csu_token_length(id, id_len, token_len);
    if (err == CSU_OK)
        *token = id;
    return err;
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

csu_err csu_keyid_resolve(enum csu_store store, const uint8_t *id, size_t id_len, struct csu_keyid *out)
{
    out->token = NULL;
    out->length = 0;
    out->is_label = false;
    out->store = store;
    if (!id)
        return CSU_E_NULL_POINTER;
    if (id_len >= 1 && csu_keyid_kind(id[0]) == CSU_KEYID_LABEL) {
        if (id_len < CSU_LABEL_LEN)
            return CSU_E_LENGTH;
        csu_err err = csu_label_check(id);
        return err != CSU_OK ? err : resolve_label(store, id, out);
    }
    return csu_keyid_token(id, id_len, &out->token, &out->length);
}

csu_err csu_keyid_write_back(const struct csu_keyid *k, const uint8_t *token, size_t length)
{
    if (!k->is_label)
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
