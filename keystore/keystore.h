/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file keystore.h
 * Host key storage (reference §1.3, §4): three LMDB stores (DES, AES, PKA)
 * of wrapped key tokens named by 64-byte labels, shared by any number of
 * processes and threads, with a bounded per-process cache (CSUCACHE).
 * docs/keystore.md describes the file layout, the record format, the cache
 * modes and the failure behaviour.
 *
 * Every function returns a ks_err; ks_err_cca() is the one place that turns
 * it into a CCA return/reason pair, ks_err_csu() into the nearest csu_err.
 */
#ifndef KEYSTORE_H
#define KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csu_err.h"

#define KS_LABEL_LEN 64
#define KS_MAX_TOKEN 8192
#define KS_MKVP_LEN 8

enum ks_store { KS_DES = 0, KS_AES, KS_PKA, KS_STORE_COUNT };

typedef enum ks_err {
    KS_OK = 0,
    KS_NOT_FOUND,    /**< no record with that label            8/30   */
    KS_EXISTS,       /**< label already present                8/44   */
    KS_LABEL,        /**< label syntax                         8/32   */
    KS_UNSET,        /**< store variable unset / no such store 8/6007 */
    KS_NOT_INIT,     /**< store file exists but not initialised 8/6008 */
    KS_NOT_NULL,     /**< CHECK write over a non-null token    8/44   */
    KS_NO_MATCH,     /**< wildcard matched nothing             4/158  */
    KS_BAD_RECORD,   /**< record integrity check failed        8/192  */
    KS_LENGTH,       /**< token length / buffer too small      8/72   */
    KS_TOKEN,        /**< not a key token                      8/181  */
    KS_IO,           /**< file or LMDB I/O error               12/197 */
    KS_NOMEM,        /**< memory exhausted                     12/324 */
    KS_ERR_COUNT_
} ks_err;

struct ks_cca {
    long return_code;
    long reason_code;
};

/** The CCA pair for @p e (the only such table). */
struct ks_cca ks_err_cca(ks_err e);
/** The nearest internal error (for csu_keyid callers). */
csu_err ks_err_csu(ks_err e);
const char *ks_strerror(ks_err e);

/* ---- labels (ks_label.c) ------------------------------------------------ */

/** Label syntax of reference §4.1: CSU_OK or KS_LABEL. */
ks_err ks_label_check(const uint8_t label[KS_LABEL_LEN]);
/** Wildcard pattern syntax: a label whose tokens may be '*' or end in '*'. */
ks_err ks_pattern_check(const uint8_t pattern[KS_LABEL_LEN]);
/** True when @p pattern (checked) matches @p label. */
bool ks_pattern_match(const uint8_t pattern[KS_LABEL_LEN], const uint8_t label[KS_LABEL_LEN]);
/** True when @p pattern contains a '*'. */
bool ks_is_pattern(const uint8_t pattern[KS_LABEL_LEN]);

/* ---- stores (keystore.c, ks_lmdb.c) ------------------------------------- */

/** Cache modes (CSUCACHE): see docs/keystore.md. */
enum ks_cache_mode {
    KS_CACHE_REVALIDATE, /**< default: a hit is used only if no commit happened since */
    KS_CACHE_STATIC,     /**< CSUCACHE=S...: IBM behaviour, other processes' updates unseen */
    KS_CACHE_OFF,        /**< CSUCACHE=N...: every read goes to the file */
};

/** Mode for the value of CSUCACHE (NULL = unset). */
enum ks_cache_mode ks_cache_mode_parse(const char *value);

/** One record as the API hands it out. */
struct ks_record {
    uint8_t label[KS_LABEL_LEN];
    uint64_t created;  /**< seconds since the epoch */
    uint64_t updated;
    uint64_t seq;      /**< update counter of this label, 1 at creation */
    size_t token_len;  /**< 0: null record */
    uint8_t token[KS_MAX_TOKEN];
};

/**
 * Path of store @p s: $CSUDESDS / $CSUAESDS / $CSUPKADS, else
 * /opt/IBM/CCA/keys/{des,aes,pka}.key.  @return KS_UNSET if too long.
 */
ks_err ks_store_path(enum ks_store s, char *buf, size_t cap);

/** Initialise (CSNBKSI): create or re-stamp store @p s with @p mkvp. */
ks_err ks_init(enum ks_store s, const uint8_t mkvp[KS_MKVP_LEN]);
/** The header's MKVP and format version. */
ks_err ks_header(enum ks_store s, uint8_t mkvp[KS_MKVP_LEN], uint32_t *version);
/** Re-stamp the header's MKVP (after a re-encipher). */
ks_err ks_set_mkvp(enum ks_store s, const uint8_t mkvp[KS_MKVP_LEN]);

/** Create a record (token_len 0: null record).  KS_EXISTS if present. */
ks_err ks_create(enum ks_store s, const uint8_t label[KS_LABEL_LEN], const uint8_t *token, size_t token_len);
/**
 * Read a record's token into @p buf (cap bytes).  Goes through the cache.
 * A null record reads as 0 bytes.
 */
ks_err ks_read(enum ks_store s, const uint8_t label[KS_LABEL_LEN], uint8_t *buf, size_t cap, size_t *len);
/** Read a whole record, bypassing the cache. */
ks_err ks_read_record(enum ks_store s, const uint8_t label[KS_LABEL_LEN], struct ks_record *rec);
/**
 * Write a record that exists.  @p only_over_null: fail with KS_NOT_NULL
 * unless the record holds a null token (AKRW/KRW CHECK).
 */
ks_err ks_write(enum ks_store s, const uint8_t label[KS_LABEL_LEN], const uint8_t *token, size_t token_len,
                bool only_over_null);
/** Delete: the record (whole=true, LABEL-DL) or its token (TOKEN-DL). */
ks_err ks_delete(enum ks_store s, const uint8_t label[KS_LABEL_LEN], bool whole);
/** Delete every record matching @p pattern; KS_NO_MATCH when none. */
ks_err ks_delete_matching(enum ks_store s, const uint8_t pattern[KS_LABEL_LEN], bool whole, size_t *count);

/**
 * Visit up to @p max records with labels after @p after (NULL: from the
 * start), in label order, in one read transaction.  The callback may not
 * call back into key storage.  @p visited: records passed to @p fn.
 */
typedef bool (*ks_visit_fn)(void *arg, const struct ks_record *rec, bool intact);
ks_err ks_scan(enum ks_store s, const uint8_t *after, size_t max, ks_visit_fn fn, void *arg, size_t *visited);

/** One update of a batch: replace @p label's token if its seq still is @p seq. */
struct ks_update {
    uint8_t label[KS_LABEL_LEN];
    uint64_t seq;
    const uint8_t *token;
    size_t token_len;
    bool applied; /**< out */
};
/**
 * Apply @p n updates and set the meta value "cursor" to @p cursor (NULL:
 * remove it), all in ONE write transaction: either all of it or none is
 * committed.  Updates whose record changed meanwhile are skipped.
 */
ks_err ks_apply_batch(enum ks_store s, struct ks_update *u, size_t n, const uint8_t *cursor);
/** Read the meta "cursor" (KS_NOT_FOUND when none). */
ks_err ks_get_cursor(enum ks_store s, uint8_t cursor[KS_LABEL_LEN]);

/** Number of records (not counting the header). */
ks_err ks_count(enum ks_store s, size_t *n);

/** Close every store of this process (tests; also safe after fork). */
void ks_close_all(void);

/* ---- cache statistics (ks_cache.c) ------------------------------------ */
struct ks_cache_stats {
    uint64_t hits, misses, revalidated;
};
void ks_cache_stats(enum ks_store s, struct ks_cache_stats *out);

/* ---- key-record-list file (ks_list.c) -------------------------------- */

/** Key type text and token kind for a list line (supplied by the caller). */
typedef void (*ks_describe_fn)(enum ks_store s, const uint8_t *token, size_t len, char type[9], char kind[9],
                               char mkvp_hex[5]);

/**
 * Write the key-record list of records matching @p pattern into the
 * directory named by CSUDESLD/CSUAESLD/CSUPKALD (default
 * /opt/IBM/CCA/keys/{deslist,aeslist,pkalist}), file kyrltnnn.lst.
 * @param[out] path the file's full name (NUL terminated, cap bytes).
 * @param[out] count records listed.  KS_NO_MATCH when none matched.
 */
ks_err ks_list(enum ks_store s, const uint8_t pattern[KS_LABEL_LEN], ks_describe_fn describe, char *path,
               size_t cap, size_t *count);

/** Format one 154-byte detail line of the list file (exposed for tests). */
void ks_list_detail(uint8_t line[154], const struct ks_record *rec, bool intact, const char *type,
                    const char *kind, const char *mkvp_hex);
/** Format the 154-byte header of the list file (exposed for tests). */
void ks_list_header(uint8_t line[154], enum ks_store s, const uint8_t pattern[KS_LABEL_LEN], size_t count,
                    uint64_t now);

#endif
