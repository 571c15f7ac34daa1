/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Master-key registers (reference §5): CLEAR, FIRST, MIDDLE, LAST, SET and
 * RANDOM with the order rules, parity warnings and error codes of §5.2.
 */
#include "card_mk.h"

#include <assert.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "card_keycache.h"

static_assert(sizeof(((struct card_mk_set *)0)->cmk_vp) == MK_VP_LEN, "stored pattern length");

void card_mk_vp(enum mk_set set, const uint8_t *key, uint8_t vp[MK_VP_LEN])
{
    uint8_t in[1 + 32], md[EVP_MAX_MD_SIZE];
    unsigned len = mk_set_length(set), md_len = 0;
    in[0] = 0x01;
    memcpy(in + 1, key, len);
    EVP_Digest(in, 1 + len, md, &md_len, len == 32 ? card_sha256() : card_sha1(), NULL);
    memcpy(vp, md, MK_VP_LEN);
    OPENSSL_cleanse(in, sizeof(in));
    OPENSSL_cleanse(md, sizeof(md));
}

/* Pattern and fingerprint of one register, or zeros when it is empty. */
static bool derive(enum mk_set set, bool valid, const uint8_t *key, uint8_t vp[MK_VP_LEN], uint8_t fp[32])
{
    memset(vp, 0, MK_VP_LEN);
    memset(fp, 0, 32);
    if (!valid)
        return true;
    card_mk_vp(set, key, vp);
    return card_keycache_mk_fp_hash(set, key, mk_set_length(set), fp) == CSU_OK;
}

void card_mk_register_changed(struct card_mk_set *m, enum mk_set set)
{
    bool ok = derive(set, m->cmk_valid, m->cmk, m->cmk_vp, m->cmk_fp);
    ok &= derive(set, m->omk_valid, m->omk, m->omk_vp, m->omk_fp);
    m->fp_ok = ok; /* else lookups hand out no fingerprint: the cache hashes (and, failing, keeps nothing) */
}

bool card_mk_patterns_ok(const struct card_state *st)
{
    bool ok = true;
    for (int set = 0; set < MK_SET_COUNT; set++) {
        struct card_mk_set fresh = st->mk[set];
        card_mk_register_changed(&fresh, (enum mk_set)set);
        const struct card_mk_set *m = &st->mk[set];
        ok &= CRYPTO_memcmp(fresh.cmk_vp, m->cmk_vp, MK_VP_LEN) == 0 &&
              CRYPTO_memcmp(fresh.omk_vp, m->omk_vp, MK_VP_LEN) == 0 && fresh.fp_ok == m->fp_ok &&
              (!m->fp_ok || (CRYPTO_memcmp(fresh.cmk_fp, m->cmk_fp, 32) == 0 &&
                             CRYPTO_memcmp(fresh.omk_fp, m->omk_fp, 32) == 0));
        OPENSSL_cleanse(&fresh, sizeof(fresh));
    }
    return ok;
}

static bool odd_parity(uint8_t b)
{
    return __builtin_popcount(b) & 1;
}

static void set_odd_parity(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)((p[i] & 0xfe) | !odd_parity(p[i] & 0xfe));
}

/* The 4 weak and 12 semi-weak DES keys (FIPS 74), with odd parity. */
static const uint8_t weak_des[16][8] = {
    {0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01}, {0xFE, 0xFE, 0xFE, 0xFE, 0xFE, 0xFE, 0xFE, 0xFE},
    {0x1F, 0x1F, 0x1F, 0x1F, 0x0E, 0x0E, 0x0E, 0x0E}, {0xE0, 0xE0, 0xE0, 0xE0, 0xF1, 0xF1, 0xF1, 0xF1},
    {0x01, 0xFE, 0x01, 0xFE, 0x01, 0xFE, 0x01, 0xFE}, {0xFE, 0x01, 0xFE, 0x01, 0xFE, 0x01, 0xFE, 0x01},
    {0x1F, 0xE0, 0x1F, 0xE0, 0x0E, 0xF1, 0x0E, 0xF1}, {0xE0, 0x1F, 0xE0, 0x1F, 0xF1, 0x0E, 0xF1, 0x0E},
    {0x01, 0xE0, 0x01, 0xE0, 0x01, 0xF1, 0x01, 0xF1}, {0xE0, 0x01, 0xE0, 0x01, 0xF1, 0x01, 0xF1, 0x01},
    {0x1F, 0xFE, 0x1F, 0xFE, 0x0E, 0xFE, 0x0E, 0xFE}, {0xFE, 0x1F, 0xFE, 0x1F, 0xFE, 0x0E, 0xFE, 0x0E},
    {0x01, 0x1F, 0x01, 0x1F, 0x01, 0x0E, 0x01, 0x0E}, {0x1F, 0x01, 0x1F, 0x01, 0x0E, 0x01, 0x0E, 0x01},
    {0xE0, 0xFE, 0xE0, 0xFE, 0xF1, 0xFE, 0xF1, 0xFE}, {0xFE, 0xE0, 0xFE, 0xE0, 0xFE, 0xF1, 0xFE, 0xF1},
};

/* Weak if any third, parity bits ignored, is a weak or semi-weak DES key. */
static bool has_weak_third(const uint8_t key[24])
{
    for (int t = 0; t < 3; t++)
        for (int w = 0; w < 16; w++) {
            bool same = true;
            for (int i = 0; i < 8 && same; i++)
                same = (key[8 * t + i] & 0xfe) == (weak_des[w][i] & 0xfe);
            if (same)
                return true;
        }
    return false;
}

static bool has_duplicate_thirds(const uint8_t key[24])
{
    return CRYPTO_memcmp(key, key + 8, 8) == 0 || CRYPTO_memcmp(key + 8, key + 16, 8) == 0 ||
           CRYPTO_memcmp(key, key + 16, 8) == 0;
}

static bool is_des_set(enum mk_set set)
{
    return set == MK_SYM || set == MK_ASYM;
}

/* XOR a part into NMK (FIRST starts from zero); checks of §5.2 for DES sets. */
static csu_err add_part(struct card_mk_set *m, enum mk_set set, enum mkp_action action, const uint8_t *part,
                        long *warning)
{
    unsigned len = mk_set_length(set);
    uint8_t next[32];
    for (unsigned i = 0; i < len; i++)
        next[i] = (uint8_t)((action == MKP_FIRST ? 0 : m->nmk[i]) ^ part[i]);
    csu_err err = CSU_OK;
    if (is_des_set(set)) {
        for (unsigned i = 0; i < len; i++)
            if (!odd_parity(part[i]))
                *warning = 702;
        if (action == MKP_LAST && has_weak_third(next))
            err = CSU_E_MK_WEAK;
        else if (action == MKP_LAST && has_duplicate_thirds(next))
            *warning = 701;
    }
    if (err == CSU_OK) {
        memcpy(m->nmk, next, len);
        m->nmk_state = action == MKP_LAST ? NMK_FULL : NMK_PARTIAL;
    }
    OPENSSL_cleanse(next, sizeof(next));
    return err;
}

static csu_err set_master_key(struct card_mk_set *m, enum mk_set set)
{
    if (m->nmk_state != NMK_FULL)
        return CSU_E_MK_STATE;
    uint8_t nvp[MK_VP_LEN];
    card_mk_vp(set, m->nmk, nvp);
    bool same = (m->cmk_valid && CRYPTO_memcmp(m->cmk_vp, nvp, MK_VP_LEN) == 0) ||
                (m->omk_valid && CRYPTO_memcmp(m->omk_vp, nvp, MK_VP_LEN) == 0);
    if (same)
        return CSU_E_MK_SAME;
    if (m->cmk_valid) {
        memcpy(m->omk, m->cmk, sizeof(m->omk));
        m->omk_valid = true;
    }
    memcpy(m->cmk, m->nmk, sizeof(m->cmk));
    m->cmk_valid = true;
    card_mk_register_changed(m, set);
    OPENSSL_cleanse(m->nmk, sizeof(m->nmk));
    m->nmk_state = NMK_EMPTY;
    return CSU_OK;
}

static csu_err random_master_key(struct card_mk_set *m, enum mk_set set, struct card_drbg *drbg)
{
    unsigned len = mk_set_length(set);
    for (int tries = 0; tries < 8; tries++) {
        csu_err err = card_drbg_generate(drbg, m->nmk, len, NULL, 0);
        if (err != CSU_OK)
            return err;
        if (is_des_set(set))
            set_odd_parity(m->nmk, len);
        if (!is_des_set(set) || (!has_weak_third(m->nmk) && !has_duplicate_thirds(m->nmk))) {
            m->nmk_state = NMK_FULL;
            return CSU_OK;
        }
    }
    return CSU_E_CRYPTO;
}

csu_err card_mk_process(struct card_state *st, enum mk_set set, enum mkp_action action, const uint8_t *part,
                        struct card_drbg *drbg, long *warning)
{
    struct card_mk_set *m = &st->mk[set];
    *warning = 0;
    switch (action) {
    case MKP_CLEAR:
        OPENSSL_cleanse(m->nmk, sizeof(m->nmk));
        m->nmk_state = NMK_EMPTY;
        return CSU_OK;
    case MKP_FIRST:
        return m->nmk_state == NMK_EMPTY ? add_part(m, set, action, part, warning) : CSU_E_MK_STATE;
    case MKP_MIDDLE:
    case MKP_LAST:
        return m->nmk_state == NMK_PARTIAL ? add_part(m, set, action, part, warning) : CSU_E_MK_STATE;
    case MKP_SET:
        return set_master_key(m, set);
    case MKP_RANDOM:
        return random_master_key(m, set, drbg);
    }
    return CSU_E_INTERNAL;
}

void card_mk_states(const struct card_state *st, enum mk_set set, char states[3])
{
    const struct card_mk_set *m = &st->mk[set];
    states[0] = (char)('0' + (m->nmk_state ? m->nmk_state : NMK_EMPTY));
    states[1] = m->cmk_valid ? '2' : '1';
    states[2] = m->omk_valid ? '2' : '1';
}

/* Hand a found register to the caller: its bytes, and its fingerprint to the key cache (card_keycache_mk_fp). */
static void give_register(const struct card_mk_set *m, enum mk_set set, bool old, uint8_t *key)
{
    unsigned len = mk_set_length(set);
    memcpy(key, old ? m->omk : m->cmk, len);
    if (m->fp_ok && card_keycache_active())
        card_keycache_note_mk(set, key, len, old ? m->omk_fp : m->cmk_fp);
}

csu_err card_mk_find(const struct card_state *st, enum mk_set set, const uint8_t vp[MK_VP_LEN], uint8_t *key,
                     bool *old)
{
    const struct card_mk_set *m = &st->mk[set];
    if (!m->cmk_valid)
        return CSU_E_MK_NOT_LOADED;
    /* the patterns stored when the registers changed (card_mk_register_changed): no hashing here */
    if (CRYPTO_memcmp(m->cmk_vp, vp, MK_VP_LEN) == 0)
        *old = false;
    else if (m->omk_valid && CRYPTO_memcmp(m->omk_vp, vp, MK_VP_LEN) == 0)
        *old = true;
    else
        return CSU_E_MKVP;
    give_register(m, set, *old, key);
    return CSU_OK;
}

csu_err card_mk_current(const struct card_state *st, enum mk_set set, uint8_t *key, uint8_t vp[MK_VP_LEN])
{
    const struct card_mk_set *m = &st->mk[set];
    if (!m->cmk_valid)
        return CSU_E_MK_NOT_LOADED;
    give_register(m, set, false, key);
    memcpy(vp, m->cmk_vp, MK_VP_LEN);
    return CSU_OK;
}

csu_err card_mk_find_locked(struct card *card, enum mk_set set, const uint8_t vp[MK_VP_LEN], uint8_t *key,
                            bool *old)
{
    pthread_mutex_lock(&card->lock);
    csu_err err = card_mk_find(&card->state, set, vp, key, old);
    pthread_mutex_unlock(&card->lock);
    return err;
}

csu_err card_mk_find_apka(void *card, const uint8_t vp[MK_VP_LEN], uint8_t key[32], bool *old)
{
    return card_mk_find_locked(card, MK_APKA, vp, key, old);
}
