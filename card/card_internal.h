/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file card_internal.h
 * What the firmware modules (fw_*.c, post, state) share inside the card.
 */
#ifndef CARD_INTERNAL_H
#define CARD_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "card.h"
#include "card_drbg.h"
#include "csu_wire.h"

#include <openssl/evp.h>

#define CARD_SERIAL_LEN 8
#define CARD_EID_LEN 16
#define CARD_HISTORY 5
/** Bound on |clock offset|: 10,000 years of seconds. */
#define CARD_MAX_CLOCK_OFFSET INT64_C(315576000000)

/** NMK register states, as CSUACFQ reports them. */
enum mk_nmk_state { NMK_EMPTY = 1, NMK_PARTIAL = 2, NMK_FULL = 3 };

/**
 * One master-key register set: new, current and old registers.
 *
 * The patterns and fingerprints of the current and old registers are made
 * once, when a register changes, instead of on every lookup (a SHA-256 or
 * SHA-1 each, ~0.1 us, on every keyed verb).  Whatever writes cmk, omk or
 * their flags calls card_mk_register_changed (card_mk.h) before anyone can
 * look up; card_state_save refuses a state whose derived values disagree.
 * Being part of the struct, they follow every copy (a restored "before").
 */
struct card_mk_set {
    uint8_t nmk[32];
    uint8_t cmk[32];
    uint8_t omk[32];
    uint8_t nmk_state; /**< enum mk_nmk_state */
    bool cmk_valid;
    bool omk_valid;
    /* derived from cmk/omk by card_mk_register_changed only; zero when the register is empty */
    uint8_t cmk_vp[8], omk_vp[8]; /**< verification patterns (card_mk_vp) */
    uint8_t cmk_fp[32], omk_fp[32]; /**< key-cache fingerprints (card_keycache_mk_fp) */
    bool fp_ok;                     /**< the fingerprints were made (a hash can fail) */
};

/** Persistent card state (card.state in the state directory). */
struct card_state {
    char serial[CARD_SERIAL_LEN + 1]; /**< adapter serial number, made at first start */
    int64_t clock_offset;             /**< card clock minus host clock, seconds (SETCLOCK) */
    char eid[CARD_EID_LEN + 1];       /**< environment identifier, blank when unset */
    bool intrusion_latch;             /**< set by tamper events, cleared by RESET-IL */
    bool battery_low;                 /**< set by tamper events, cleared by RESETBAT */
    struct card_mk_set mk[4];         /**< SYM, ASYM, AES, APKA (enum mk_set) */
};

/** One command's outcome, kept for CSUACFQ STATDIAG. */
struct card_history_entry {
    char verb[9];
    uint32_t return_code;
};

struct card {
    char *state_dir;
    int lock_fd; /* flock on STATEDIR/card.lock: one process per card */
    struct card_ctx_table *ctx_table; /* multi-part sequences (card_ctx.h) */
    struct card_keycache *keycache;   /* unwrapped keys (card_keycache.h); NULL when off */
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t post_done;
    _Atomic enum card_post_state post; /* written under lock, read lock-free */
    char failed_test[16];
    bool post_thread_running;
    bool stopping;
    pthread_t post_thread;
    unsigned post_seconds;
    char *fail_kat;
    struct card_state state;
    uint8_t reinit_token[8];
    bool reinit_token_valid;
    struct card_history_entry history[CARD_HISTORY];
    unsigned history_next;
    unsigned worker_serial;
};

struct card_worker {
    struct card *card;
    struct card_drbg *drbg;
};

#define FW_MAX_OUTPUTS 4

/** One request in execution: the decoded request and the reply being built. */
struct fw_ctx {
    struct card *card;
    struct card_worker *worker;
    enum card_post_state post; /**< POST state when the request arrived */
    const struct csu_wire_msg *req;
    struct csu_wire_msg rep;   /**< return/reason default 0/0; rules and blocks */
    uint8_t rules_out[CSU_WIRE_MAX_RULES * CSU_RULE_WORD];
    uint8_t *outputs[FW_MAX_OUTPUTS];
    size_t output_lens[FW_MAX_OUTPUTS];
    unsigned output_count;
};

/** A request executed, its reply ready to send as pieces (card_process_gather). */
struct card_reply {
    struct csu_wire_msg req;
    struct fw_ctx ctx;
    struct csu_wire_gather gather; /**< points into ctx (rules, outputs) */
};

/**
 * card_process without the reply copy: execute the request and leave the
 * reply frame as pieces in @p r->gather for one gathered send (the daemon's
 * sendmsg), then card_reply_release(r), which wipes and frees the outputs.
 * Same frame bytes as card_process.  On an error nothing is left to release.
 */
csu_err card_process_gather(struct card_worker *w, const uint8_t *request, size_t request_len, struct card_reply *r);
void card_reply_release(struct card_reply *r);

/** Allocate an output block of @p len bytes tagged @p tag (wiped after send). */
uint8_t *fw_output(struct fw_ctx *ctx, uint16_t tag, size_t len);

/**
 * Cut the output block @p p (from fw_output) to its first @p len bytes, for
 * a verb that learns its output length only after writing it (unpadding).
 * The bytes past @p len are not sent and are wiped with the rest.
 * @return false if @p p is not an output of this request or @p len grows it.
 */
bool fw_output_shrink(struct fw_ctx *ctx, const uint8_t *p, size_t len);

/** Append one 8-byte element to the reply's rule array (blank padded). */
bool fw_put_element(struct fw_ctx *ctx, const char *text);

/** Read the request's CSU_TAG_OUT_CAPACITY (0 when absent). */
uint32_t fw_out_capacity(const struct fw_ctx *ctx);

/* Operation handlers, by verb family (host halves in csu/verb_*.c). */
csu_err fw_csuacfq(struct fw_ctx *ctx); /* fw_node.c */
csu_err fw_csuacfc(struct fw_ctx *ctx);
csu_err fw_csnbrng(struct fw_ctx *ctx); /* fw_random.c */
csu_err fw_csnbrngl(struct fw_ctx *ctx);
csu_err fw_csnbmkp(struct fw_ctx *ctx); /* fw_masterkey.c */
csu_err fw_csnbktb(struct fw_ctx *ctx); /* fw_symkey.c */
csu_err fw_csnbkgn(struct fw_ctx *ctx);
csu_err fw_csnbckm(struct fw_ctx *ctx);
csu_err fw_csnbcki(struct fw_ctx *ctx);
csu_err fw_csnbkpi(struct fw_ctx *ctx);
csu_err fw_csnbkyt(struct fw_ctx *ctx);
csu_err fw_csnbktc(struct fw_ctx *ctx);
csu_err fw_csnbktb2(struct fw_ctx *ctx); /* fw_symkey2.c */
csu_err fw_csnbkgn2(struct fw_ctx *ctx);
csu_err fw_csnbkpi2(struct fw_ctx *ctx);
csu_err fw_csnbkyt2(struct fw_ctx *ctx);
csu_err fw_csnbktc2(struct fw_ctx *ctx);
csu_err fw_csndpkb(struct fw_ctx *ctx); /* fw_pka.c */
csu_err fw_csndpkg(struct fw_ctx *ctx);
csu_err fw_csndpki(struct fw_ctx *ctx);
csu_err fw_csndpkx(struct fw_ctx *ctx);
csu_err fw_csndktc(struct fw_ctx *ctx);

csu_err fw_csnbenc(struct fw_ctx *ctx); /* fw_cipher_des.c */
csu_err fw_csnbdec(struct fw_ctx *ctx);
csu_err fw_csnbmgn(struct fw_ctx *ctx);
csu_err fw_csnbmvr(struct fw_ctx *ctx);
csu_err fw_csnbsae(struct fw_ctx *ctx); /* fw_cipher_aes.c */
csu_err fw_csnbsad(struct fw_ctx *ctx);
csu_err fw_csnbmgn2(struct fw_ctx *ctx);
csu_err fw_csnbmvr2(struct fw_ctx *ctx);
csu_err fw_csnbhmg(struct fw_ctx *ctx);
csu_err fw_csnbhmv(struct fw_ctx *ctx);
csu_err fw_csnbowh(struct fw_ctx *ctx); /* fw_hash.c */
csu_err fw_csnddsg(struct fw_ctx *ctx); /* fw_pkacrypto.c */
csu_err fw_csnddsv(struct fw_ctx *ctx);
csu_err fw_csndpke(struct fw_ctx *ctx);
csu_err fw_csndpkd(struct fw_ctx *ctx);
csu_err fw_csnbksi(struct fw_ctx *ctx); /* fw_keystore.c */
csu_err fw_csndsyx(struct fw_ctx *ctx); /* fw_keyxport.c */
csu_err fw_csndsyi(struct fw_ctx *ctx);
csu_err fw_csndsyi2(struct fw_ctx *ctx);
csu_err fw_csndedh(struct fw_ctx *ctx); /* fw_ecdh.c */

/* Persistent state (card_state.c). */
csu_err card_state_load(const char *dir, struct card_state *st);
csu_err card_state_save(const char *dir, const struct card_state *st);
void card_state_reset(struct card_state *st);

/* Power-on self-test (card_post.c).  Returns the failed test's name or NULL. */
const char *card_post_run(const char *fail_kat);

/**
 * SHA-256 and SHA-1, fetched once per process.  EVP_sha256() makes OpenSSL 3
 * look the implementation up on every use (a locked method-store search);
 * the per-call hashes (verification patterns, key-cache identifiers) use these.
 */
const EVP_MD *card_sha256(void);
const EVP_MD *card_sha1(void);

/** Card clock (host clock plus the SETCLOCK offset), seconds since the epoch. */
int64_t card_now(struct card *card);

#endif /* CARD_INTERNAL_H */
