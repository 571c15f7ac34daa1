/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file tok_var.h
 * Variable-length symmetric key tokens, version X'05' (reference §3.6):
 * a strict parser, the serialiser, and the skeleton CSNBKTB2 builds from
 * its keywords.  Design decisions (field values we chose where the
 * reference is unconfirmed) are in docs/tokens-v5.md.
 *
 * Layout (offsets decimal, integers big-endian):
 *   0 id | 1 rsv | 2-3 total length | 4 version X'05' | 5-7 rsv
 *   8 key material state | 9 KVP type | 10-25 KVP | 26 wrap method |
 *   27 hash | 28 payload format version | 29 rsv
 *   30 AD version | 31 rsv | 32-33 AD length | 34 kl | 35 iead | 36 uad |
 *   37 rsv | 38-39 payload bits | 40 rsv | 41 algorithm | 42-43 key type |
 *   44 kuf, KUFs | kmf, KMFs | name | IBM extended AD | user AD | payload
 *
 * The parser copies every field into struct tokv, so the serialiser gives
 * back the exact bytes it parsed; the wrapping (wrap_var.h) hashes that
 * serialisation, which is why every reserved byte must be zero and every
 * count and length must agree with the content.
 */
#ifndef TOK_VAR_H
#define TOK_VAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csu_err.h"

#define TOKV_VERSION 0x05
#define TOKV_AD_OFFSET 30u       /**< the associated data starts here */
#define TOKV_AD_FIXED 16u        /**< AD bytes besides the variable parts */
#define TOKV_MIN_LEN (TOKV_AD_OFFSET + TOKV_AD_FIXED)
#define TOKV_MAX_LEN 725u        /**< ICSF's CKDS maximum */
#define TOKV_MAX_FIELDS 8u       /**< most KUFs (and KMFs) we accept */
#define TOKV_NAME_LEN 64u
#define TOKV_KVP_LEN 16u
#define TOKV_MAX_PAYLOAD 512u    /**< payload bytes (4096 bits) */

/** Token identifier (byte 0). */
enum tokv_id { TOKV_ID_NULL = 0x00, TOKV_ID_INTERNAL = 0x01, TOKV_ID_EXTERNAL = 0x02 };

/** Key material state (byte 8). */
enum tokv_kms { TOKV_KMS_NONE = 0x00, TOKV_KMS_CLEAR = 0x01, TOKV_KMS_KEK = 0x02, TOKV_KMS_MK = 0x03 };

/** KVP type (byte 9), wrap method (26), hash (27). */
enum { TOKV_KVP_NONE = 0x00, TOKV_KVP_AES_MK = 0x01, TOKV_KVP_KEK = 0x02 };
enum { TOKV_WRAP_CLEAR = 0x00, TOKV_WRAP_AESKW = 0x02, TOKV_WRAP_PKOAEP2 = 0x03 };
enum { TOKV_HASH_NONE = 0x00, TOKV_HASH_SHA256 = 0x02 };

/** Algorithm (byte 41).  DES (X'01') tokens are not handled here. */
enum tokv_alg { TOKV_ALG_AES = 0x02, TOKV_ALG_HMAC = 0x03 };

/** Key type (bytes 42-43). */
enum tokv_type { TOKV_CIPHER = 0x0001, TOKV_MAC = 0x0002, TOKV_EXPORTER = 0x0003, TOKV_IMPORTER = 0x0004 };

/* Key-usage field values (docs/tokens-v5.md). */
#define TOKV_KUF1_ENCRYPT 0x8000u
#define TOKV_KUF1_DECRYPT 0x4000u
#define TOKV_KUF1_GENERATE 0xC000u /**< GENERATE: generate and verify */
#define TOKV_KUF1_VERIFY 0x4000u
#define TOKV_KUF1_EXPORT 0x8000u  /**< EXPORTER */
#define TOKV_KUF1_IMPORT 0x8000u  /**< IMPORTER */
#define TOKV_KUF2_HASH_ALL 0xF800u /**< SHA-1, -224, -256, -384, -512 */

/* Key-management field 1 (reference §3.6, confirmed). */
#define TOKV_KMF1_XPRT_SYM 0x8000u
#define TOKV_KMF1_XPRTUASY 0x4000u
#define TOKV_KMF1_XPRTAASY 0x2000u
#define TOKV_KMF1_XPRT_RAW 0x1000u
#define TOKV_KMF1_XPRTCPAC 0x0800u
#define TOKV_KMF1_NOEX_DES 0x0080u
#define TOKV_KMF1_NOEX_AES 0x0040u
#define TOKV_KMF1_NOEX_RSA 0x0008u

/*
 * Key-management field 2, bits 0-1 (mask X'C000'): key completeness.
 * In a skeleton: the MINnPART the key must be entered in (0 = none given).
 * With a key: 0 complete; 1 incomplete, may be completed; 2 and 3
 * incomplete, 1 or 2 more parts required.  See docs/tokens-v5.md.
 */
#define TOKV_KMF2_PARTS_MASK 0xC000u
#define TOKV_KMF2_PARTS_SHIFT 14

/** A parsed token; every byte of it, so that building it gives it back. */
struct tokv {
    uint8_t id;          /**< enum tokv_id */
    uint8_t kms;         /**< enum tokv_kms */
    uint8_t kvp_type;
    uint8_t kvp[TOKV_KVP_LEN];
    uint8_t wrap_method;
    uint8_t wrap_hash;
    uint8_t pfv;         /**< payload format version: 0 V0, 1 V1 */
    uint8_t alg;         /**< enum tokv_alg */
    uint16_t key_type;   /**< enum tokv_type */
    uint8_t kuf_count, kmf_count;
    uint16_t kuf[TOKV_MAX_FIELDS];
    uint16_t kmf[TOKV_MAX_FIELDS];
    uint8_t name_len;    /**< 0 or 64 */
    uint8_t name[TOKV_NAME_LEN];
    uint8_t iead_len;
    uint8_t iead[255];
    uint8_t uad_len;
    uint8_t uad[255];
    uint16_t payload_bits;
    uint8_t payload[TOKV_MAX_PAYLOAD];
};

/** Associated-data length (bytes 32-33) the token's fields imply. */
size_t tokv_ad_length(const struct tokv *t);

/** Offset of the payload: everything before it is what the wrap hashes. */
size_t tokv_payload_offset(const struct tokv *t);

/** Total token length (bytes 2-3) the token's fields imply. */
size_t tokv_length(const struct tokv *t);

/**
 * Parse @p len bytes at @p buf (exactly one token) into @p t.
 * @return CSU_OK;
 *   CSU_E_TOKEN_NULL (8/180) null token; CSU_E_TOKEN_TYPE (8/181) byte 0;
 *   CSU_E_TOKEN_VERSION (8/49) byte 4; CSU_E_KEY_LENGTH (8/43) bytes 2-3
 *   disagree with @p len or out of range; CSU_E_TOKEN_HEADER (8/63)
 *   reserved header bytes; CSU_E_TOKEN_CONSISTENCY (8/65) wrapping or AD
 *   section invalid (counts, lengths, reserved bytes, values);
 *   CSU_E_PAYLOAD (8/2113) payload length impossible for the key state.
 */
csu_err tokv_parse(const uint8_t *buf, size_t len, struct tokv *t);

/**
 * Write the bytes before the payload (header, wrapping info, AD) with the
 * lengths the fields imply.  @return CSU_OK or CSU_E_LENGTH (@p cap small).
 */
csu_err tokv_write_prefix(const struct tokv *t, uint8_t *out, size_t cap, size_t *len);

/** Write the whole token.  @return CSU_OK or CSU_E_LENGTH. */
csu_err tokv_build(const struct tokv *t, uint8_t *out, size_t cap, size_t *len);

/** Key completeness value (KMF2 bits 0-1); 0 when there is no KMF2. */
unsigned tokv_parts(const struct tokv *t);
void tokv_set_parts(struct tokv *t, unsigned parts);

/** True when the key is complete and may be used for cryptography. */
static inline bool tokv_is_complete(const struct tokv *t)
{
    return t->kms != TOKV_KMS_NONE && tokv_parts(t) == 0;
}

/** True when @p bits is a valid clear key length for @p alg. */
bool tokv_key_bits_valid(uint8_t alg, unsigned bits);

/** Wipe a token structure (clear payloads are key material). */
void tokv_wipe(struct tokv *t);

/** What CSNBKTB2's rule array asks for (see tokv_ktb2_parse). */
struct tokv_request {
    uint8_t id;        /**< INTERNAL / EXTERNAL */
    bool key_clear;    /**< KEY-CLR (else NO-KEY) */
    struct tokv tok;   /**< the skeleton, kms NONE */
};

/**
 * Parse CSNBKTB2's keywords into a skeleton.
 * @return CSU_OK, CSU_E_RULE_COUNT (8/35), CSU_E_RULE_KEYWORD (8/33),
 *         CSU_E_RULE_CONFLICT (8/34), CSU_E_RULE_MISSING (8/129).
 */
csu_err tokv_ktb2_parse(long count, const uint8_t *rules, struct tokv_request *req);

/**
 * The default skeleton of @p alg / @p type, as CSNBKTB2 builds it from
 * `INTERNAL <alg> NO-KEY <type>`.
 * @return CSU_OK or CSU_E_KEY_TYPE (8/61) when the pair does not exist.
 */
csu_err tokv_default_skeleton(uint8_t alg, uint16_t type, struct tokv *t);

#endif /* TOK_VAR_H */
