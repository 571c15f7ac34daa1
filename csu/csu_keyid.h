/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file csu_keyid.h
 * Key identifiers on the host side: a 64-byte label or a key token
 * (reference §1.2), and the real length of a token in a caller's buffer
 * (clients pass the buffer size, e.g. 2500, where the token length belongs).
 */
#ifndef CSU_KEYID_H
#define CSU_KEYID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csu_err.h"

#define CSU_LABEL_LEN 64
#define CSU_FIXED_TOKEN_LEN 64

enum csu_keyid_kind {
    CSU_KEYID_NULL,         /**< X'00' null token */
    CSU_KEYID_INTERNAL,     /**< X'01' internal symmetric */
    CSU_KEYID_EXTERNAL,     /**< X'02' external symmetric */
    CSU_KEYID_PKA_EXTERNAL, /**< X'1E' */
    CSU_KEYID_PKA_INTERNAL, /**< X'1F' */
    CSU_KEYID_LABEL,        /**< X'20'-X'FE' */
    CSU_KEYID_INVALID,      /**< anything else (8/181) */
};

/** Classify a key identifier by its first byte. */
enum csu_keyid_kind csu_keyid_kind(uint8_t first_byte);

/**
 * The length of the token at @p buf, read from its header, checked against
 * the @p buf_len bytes the caller said it passed:
 * fixed-length symmetric tokens (version byte 4 != X'05') are 64 bytes;
 * variable-length (version X'05') and PKA tokens carry it in bytes 2-3.
 * A null token is 64 bytes when so much was passed, else its header length.
 * @return CSU_OK, CSU_E_LENGTH (shorter than announced or than a header),
 *         CSU_E_TOKEN_TYPE (first byte not a token).
 */
csu_err csu_token_length(const uint8_t *buf, size_t buf_len, size_t *len);

/**
 * Check a 64-byte label's syntax (reference §4.1): 1-7 dot-separated
 * tokens of 1-8 characters A-Z 0-9 # $ @, not starting with a digit,
 * blank padded.  @return CSU_OK or CSU_E_LABEL_FORMAT.
 */
csu_err csu_label_check(const uint8_t label[CSU_LABEL_LEN]);

/** Which key storage a verb's labels live in (reference §1.2, §4). */
enum csu_store { CSU_STORE_DES = 0, CSU_STORE_AES, CSU_STORE_PKA, CSU_STORE_COUNT };

/** Largest key token key storage keeps (a PKA token of RSA-4096 with name fits). */
#define CSU_KEYID_MAX_TOKEN 8192

/** A resolved key identifier: the caller's token, or a copy of a record's. */
struct csu_keyid {
    const uint8_t *token;  /**< the token bytes (caller's buffer, or record below) */
    size_t length;         /**< its real length */
    bool is_label;         /**< it came from key storage */
    enum csu_store store;
    uint8_t label[CSU_LABEL_LEN];
    uint8_t record[CSU_KEYID_MAX_TOKEN];
};

/**
 * Resolve a key identifier of a verb whose labels live in @p store.
 * A token (first byte X'00'-X'1F') is used in place, its length read from
 * its header (csu_token_length); a label (X'20'-X'FE') is checked
 * (8/32) and read from key storage (8/30 when absent).
 * @param id_len bytes the caller passed (64 for the fixed-length verbs).
 * Release with csu_keyid_release() (the copy may hold a wrapped key).
 */
csu_err csu_keyid_resolve(enum csu_store store, const uint8_t *id, size_t id_len, struct csu_keyid *out);

/**
 * As csu_keyid_resolve, for the verbs whose labels may live in two stores
 * (CSNBKGN, CSNBKTC, CSNBKYT, CSNBKPI take DES and AES fixed-length
 * tokens): a label absent from @p first (8/30, or that store is not set
 * up) is looked for in @p second.
 */
csu_err csu_keyid_resolve_either(enum csu_store first, enum csu_store second, const uint8_t *id, size_t id_len,
                                 struct csu_keyid *out);

/**
 * An identifier the verb only writes (a generated or imported key): a
 * well-formed label names a record, which is read (it must exist: 8/30);
 * anything else, a malformed label included, is the caller's buffer,
 * overwritten whatever it holds (k.token is NULL then): clients pass
 * uninitialised output buffers.
 */
csu_err csu_keyid_resolve_output(enum csu_store store, const uint8_t *id, size_t id_len, struct csu_keyid *out);

/**
 * After a verb produced a new token for @p k: when @p k was a label,
 * write the token into its record (key generate into a label, RTCMK);
 * a token equal to the record's is not written (RTCMK of a current key
 * leaves the record untouched).  For a token identifier do nothing (the
 * verb returns it to the caller).
 */
csu_err csu_keyid_write_back(const struct csu_keyid *k, const uint8_t *token, size_t length);

/**
 * Key storage as csu_keyid sees it.  The key-storage module (keystore/,
 * linked into libcsulcca only) installs it at load time; without it a
 * well-formed label answers 8/6007.
 */
struct csu_keyid_backend {
    /** Read @p label's token (a null record reads as 0 bytes). */
    csu_err (*read)(enum csu_store store, const uint8_t label[CSU_LABEL_LEN], uint8_t *buf, size_t cap,
                    size_t *len);
    /** Replace the token of @p label's existing record. */
    csu_err (*write)(enum csu_store store, const uint8_t label[CSU_LABEL_LEN], const uint8_t *token,
                     size_t len);
};

void csu_keyid_set_backend(const struct csu_keyid_backend *backend);

/** Wipe a resolved identifier. */
/**
 * An empty key identifier, as csu_keyid_release expects one.  Cheaper than
 * "= {0}", which zeroes the 8 KiB label record on every call; resolve sets
 * what it uses.
 */
void csu_keyid_init(struct csu_keyid *k);

void csu_keyid_release(struct csu_keyid *k);

#endif
