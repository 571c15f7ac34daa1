/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the stored master-key patterns (card_mk_register_changed):
 * card_mk_find and card_mk_current compare with patterns made when a
 * register changes, so every path that changes a register must remake
 * them.  For each register set, through every such path -- CSNBMKP
 * FIRST/MIDDLE/LAST + SET, RANDOM + SET, CLEAR, a refused SET (8/704),
 * saving and loading the state file, resetting the state (RQ-REINT) --
 * the lookups must find the current key (not old), the old key (old: the
 * verb's 0/10001), and refuse a retired or unknown key (8/48) or any key
 * without a current register (12/764); the expected patterns are
 * recomputed here with OpenSSL.  The card-level paths (card_open's state
 * load, CSNBMKP and CSUACFC RQ-REINT requests) are in test_card.c.
 *
 * Also: card_state_save refuses a register changed behind card_mk's back,
 * and the key cache's master-key fingerprint of a key card_mk_find handed
 * out is the stored one, equal to the hashed one.
 */
#include <setjmp.h> /* cmocka needs these three first */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card_keycache.h"
#include "card_mk.h"

static const enum mk_set all_sets[] = {MK_SYM, MK_ASYM, MK_AES, MK_APKA};

/* ---- helpers ----------------------------------------------------------------- */

/* A key for a set: odd parity for the DES sets, distinct thirds, not weak. */
static void make_key(enum mk_set set, uint8_t seed, uint8_t key[32])
{
    unsigned len = mk_set_length(set);
    memset(key, 0, 32);
    for (unsigned i = 0; i < len; i++) {
        uint8_t b = (uint8_t)(seed * 29u + i * 53u + (i * i) * 7u + 0x35u);
        if (set == MK_SYM || set == MK_ASYM)
            b = (uint8_t)((b & 0xfe) | !(__builtin_popcount(b & 0xfe) & 1));
        key[i] = b;
    }
}

/* SHA-1 (24-byte keys) or SHA-256 (32-byte keys) of X'01' || key, first 8 bytes: reference §3.8. */
static void expected_vp(enum mk_set set, const uint8_t *key, uint8_t vp[MK_VP_LEN])
{
    unsigned len = mk_set_length(set), md_len = 0;
    uint8_t in[33], md[EVP_MAX_MD_SIZE];
    in[0] = 0x01;
    memcpy(in + 1, key, len);
    assert_int_equal(EVP_Digest(in, 1 + len, md, &md_len, len == 32 ? EVP_sha256() : EVP_sha1(), NULL), 1);
    memcpy(vp, md, MK_VP_LEN);
}

static void process(struct card_state *st, enum mk_set set, enum mkp_action action, const uint8_t *part)
{
    long warning = 0;
    assert_int_equal(card_mk_process(st, set, action, part, NULL, &warning), CSU_OK);
}

/* CLEAR, FIRST, MIDDLE, LAST with three parts XORing to @p key, then SET. */
static void load_and_set(struct card_state *st, enum mk_set set, const uint8_t key[32])
{
    uint8_t p1[32], p2[32], p3[32];
    make_key(set, 201, p1);
    make_key(set, 202, p2);
    for (int i = 0; i < 32; i++)
        p3[i] = (uint8_t)(key[i] ^ p1[i] ^ p2[i]);
    process(st, set, MKP_CLEAR, NULL);
    process(st, set, MKP_FIRST, p1);
    process(st, set, MKP_MIDDLE, p2);
    process(st, set, MKP_LAST, p3);
    process(st, set, MKP_SET, NULL);
}

/* Look up the register @p key's pattern names: @p want, and for CSU_OK the key and the old flag. */
static void expect_find(const struct card_state *st, enum mk_set set, const uint8_t key[32], csu_err want,
                        bool want_old)
{
    uint8_t vp[MK_VP_LEN], got[32] = {0};
    bool old = !want_old;
    expected_vp(set, key, vp);
    csu_err err = card_mk_find(st, set, vp, got, &old);
    if (err != want)
        fail_msg("set %d: card_mk_find gave %d, want %d", (int)set, (int)err, (int)want);
    if (want == CSU_OK) {
        assert_memory_equal(got, key, mk_set_length(set));
        assert_int_equal(old, want_old);
    }
}

/* The current register is @p key (lookups and card_mk_current), @p old_key the old one (NULL: none). */
static void expect_registers(const struct card_state *st, enum mk_set set, const uint8_t key[32],
                             const uint8_t *old_key)
{
    expect_find(st, set, key, CSU_OK, false);
    if (old_key)
        expect_find(st, set, old_key, CSU_OK, true);
    uint8_t cur[32], vp[MK_VP_LEN], want_vp[MK_VP_LEN];
    assert_int_equal(card_mk_current(st, set, cur, vp), CSU_OK);
    assert_memory_equal(cur, key, mk_set_length(set));
    expected_vp(set, key, want_vp);
    assert_memory_equal(vp, want_vp, MK_VP_LEN);
    assert_true(card_mk_patterns_ok(st));
}

static void fresh_state(struct card_state *st)
{
    memset(st, 0xA5, sizeof(*st)); /* reset must not depend on a zeroed struct */
    card_state_reset(st);
    snprintf(st->serial, sizeof(st->serial), "EM123456");
}

static void make_dir(char dir[64])
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, 64, "%s/csu-cardmk-XXXXXX", tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
}

static void remove_dir(const char *dir)
{
    static const char *const names[] = {"card.state", "card.state.tmp"};
    char path[128];
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* ---- every path, every set -------------------------------------------------------- */

static void one_set(enum mk_set set, const char *dir)
{
    struct card_state st, loaded;
    uint8_t k1[32], k2[32], k3[32], unknown[32], r[32], vp[MK_VP_LEN];
    make_key(set, 1, k1);
    make_key(set, 2, k2);
    make_key(set, 3, k3);
    make_key(set, 4, unknown);

    fresh_state(&st); /* nothing loaded: 12/764 */
    expect_find(&st, set, k1, CSU_E_MK_NOT_LOADED, false);
    assert_int_equal(card_mk_current(&st, set, r, vp), CSU_E_MK_NOT_LOADED);
    assert_true(card_mk_patterns_ok(&st));

    load_and_set(&st, set, k1); /* first SET: current only */
    expect_registers(&st, set, k1, NULL);
    expect_find(&st, set, unknown, CSU_E_MKVP, false);

    load_and_set(&st, set, k2); /* second SET: k1 becomes old */
    expect_registers(&st, set, k2, k1);
    expect_find(&st, set, unknown, CSU_E_MKVP, false);

    process(&st, set, MKP_CLEAR, NULL); /* CLEAR touches only the new register */
    expect_registers(&st, set, k2, k1);

    uint8_t p[32]; /* SET of the current key again: 8/704, registers unchanged */
    memcpy(p, k2, sizeof(p));
    process(&st, set, MKP_FIRST, p);
    memset(p, 0, sizeof(p));
    process(&st, set, MKP_LAST, p);
    long warning = 0;
    assert_int_equal(card_mk_process(&st, set, MKP_SET, NULL, NULL, &warning), CSU_E_MK_SAME);
    expect_registers(&st, set, k2, k1);

    load_and_set(&st, set, k3); /* third SET: k1 is gone */
    expect_registers(&st, set, k3, k2);
    expect_find(&st, set, k1, CSU_E_MKVP, false);

    struct card_drbg *drbg = NULL; /* RANDOM + SET: a key not known beforehand */
    assert_int_equal(card_drbg_open("test_card_mk", 12, &drbg), CSU_OK);
    assert_int_equal(card_mk_process(&st, set, MKP_RANDOM, NULL, drbg, &warning), CSU_OK);
    card_drbg_close(drbg);
    process(&st, set, MKP_SET, NULL);
    assert_int_equal(card_mk_current(&st, set, r, vp), CSU_OK);
    expect_registers(&st, set, r, k3);
    expect_find(&st, set, k2, CSU_E_MKVP, false);

    /* saved and loaded again: the loaded state's patterns are made at load */
    assert_int_equal(card_state_save(dir, &st), CSU_OK);
    memset(&loaded, 0x5A, sizeof(loaded));
    assert_int_equal(card_state_load(dir, &loaded), CSU_OK);
    expect_registers(&loaded, set, r, k3);
    expect_find(&loaded, set, k2, CSU_E_MKVP, false);
    expect_find(&loaded, set, unknown, CSU_E_MKVP, false);

    /* a restored copy (CSNBMKP when the save fails) carries its own patterns */
    struct card_state before = loaded;
    load_and_set(&loaded, set, k1);
    expect_registers(&loaded, set, k1, r);
    loaded = before;
    expect_registers(&loaded, set, r, k3);

    /* reset (CSUACFC RQ-REINT): nothing found, then loading works again from empty */
    card_state_reset(&loaded);
    expect_find(&loaded, set, r, CSU_E_MK_NOT_LOADED, false);
    expect_find(&loaded, set, k3, CSU_E_MK_NOT_LOADED, false);
    assert_true(card_mk_patterns_ok(&loaded));
    load_and_set(&loaded, set, k1);
    expect_registers(&loaded, set, k1, NULL);
    expect_find(&loaded, set, r, CSU_E_MKVP, false);
    expect_find(&loaded, set, k3, CSU_E_MKVP, false);

    OPENSSL_cleanse(&st, sizeof(st));
    OPENSSL_cleanse(&loaded, sizeof(loaded));
    OPENSSL_cleanse(&before, sizeof(before));
}

static void test_every_path_every_set(void **state)
{
    (void)state;
    char dir[64];
    make_dir(dir);
    for (size_t i = 0; i < sizeof(all_sets) / sizeof(all_sets[0]); i++)
        one_set(all_sets[i], dir);
    remove_dir(dir);
}

/* A register written without card_mk_register_changed: caught by the save, not served. */
static void test_forgotten_writer_refused(void **state)
{
    (void)state;
    char dir[64];
    make_dir(dir);
    struct card_state st;
    uint8_t k1[32], k2[32];
    fresh_state(&st);
    make_key(MK_AES, 1, k1);
    make_key(MK_AES, 2, k2);
    load_and_set(&st, MK_AES, k1);
    assert_int_equal(card_state_save(dir, &st), CSU_OK);
    memcpy(st.mk[MK_AES].cmk, k2, 32); /* behind card_mk's back */
    assert_false(card_mk_patterns_ok(&st));
    assert_int_equal(card_state_save(dir, &st), CSU_E_INTERNAL);
    st.mk[MK_APKA].omk_valid = true; /* a flag alone counts too */
    card_mk_register_changed(&st.mk[MK_AES], MK_AES);
    assert_false(card_mk_patterns_ok(&st));
    card_mk_register_changed(&st.mk[MK_APKA], MK_APKA);
    assert_true(card_mk_patterns_ok(&st));
    expect_find(&st, MK_AES, k2, CSU_OK, false);
    expect_find(&st, MK_AES, k1, CSU_E_MKVP, false);
    assert_int_equal(card_state_save(dir, &st), CSU_OK);
    OPENSSL_cleanse(&st, sizeof(st));
    remove_dir(dir);
}

/* ---- the key cache's fingerprint ------------------------------------------------------ */

static void test_keycache_fingerprint(void **state)
{
    (void)state;
    struct card_state st;
    uint8_t k1[32], k2[32], other[32], got[32], vp[MK_VP_LEN];
    uint8_t hashed1[32], hashed2[32], hashed_other[32], fp[32];
    bool old;
    fresh_state(&st);
    make_key(MK_APKA, 1, k1);
    make_key(MK_APKA, 2, k2);
    load_and_set(&st, MK_APKA, k1);
    load_and_set(&st, MK_APKA, k2);
    memcpy(other, k2, 32);
    other[31] ^= 0x01;
    /* unbound: hashed */
    assert_int_equal(card_keycache_mk_fp(MK_APKA, k1, 32, hashed1), CSU_OK);
    assert_int_equal(card_keycache_mk_fp(MK_APKA, k2, 32, hashed2), CSU_OK);
    assert_int_equal(card_keycache_mk_fp(MK_APKA, other, 32, hashed_other), CSU_OK);
    assert_memory_not_equal(hashed1, hashed2, 32);
    assert_memory_equal(st.mk[MK_APKA].cmk_fp, hashed2, 32);
    assert_memory_equal(st.mk[MK_APKA].omk_fp, hashed1, 32);

    struct card_keycache *kc = NULL;
    struct kc_binding saved;
    assert_int_equal(card_keycache_new(16, 1u << 20, &kc), CSU_OK);
    card_keycache_bind(kc, &saved);
    expected_vp(MK_APKA, k2, vp); /* current */
    assert_int_equal(card_mk_find(&st, MK_APKA, vp, got, &old), CSU_OK);
    assert_int_equal(card_keycache_mk_fp(MK_APKA, got, 32, fp), CSU_OK);
    assert_memory_equal(fp, hashed2, 32);
    assert_int_equal(card_keycache_mk_fp(MK_APKA, other, 32, fp), CSU_OK); /* other bytes: hashed */
    assert_memory_equal(fp, hashed_other, 32);
    assert_int_equal(card_keycache_mk_fp(MK_AES, got, 32, fp), CSU_OK); /* another set: hashed */
    assert_memory_not_equal(fp, hashed2, 32);
    expected_vp(MK_APKA, k1, vp); /* old */
    assert_int_equal(card_mk_find(&st, MK_APKA, vp, got, &old), CSU_OK);
    assert_true(old);
    assert_int_equal(card_keycache_mk_fp(MK_APKA, got, 32, fp), CSU_OK);
    assert_memory_equal(fp, hashed1, 32);

    /* the stored value is what is handed out (white box: a planted one shows through) */
    memset(st.mk[MK_APKA].omk_fp, 0xEE, 32);
    assert_int_equal(card_mk_find(&st, MK_APKA, vp, got, &old), CSU_OK);
    assert_int_equal(card_keycache_mk_fp(MK_APKA, got, 32, fp), CSU_OK);
    assert_memory_not_equal(fp, hashed1, 32);
    assert_false(card_mk_patterns_ok(&st));
    card_mk_register_changed(&st.mk[MK_APKA], MK_APKA);
    assert_true(card_mk_patterns_ok(&st));

    /* the request ends: the noted key is forgotten, the bytes are hashed again */
    assert_int_equal(card_mk_find(&st, MK_APKA, vp, got, &old), CSU_OK);
    memset(st.mk[MK_APKA].omk_fp, 0xEE, 32);
    assert_int_equal(card_mk_find(&st, MK_APKA, vp, got, &old), CSU_OK);
    card_keycache_unbind(&saved);
    assert_int_equal(card_keycache_mk_fp(MK_APKA, got, 32, fp), CSU_OK);
    assert_memory_equal(fp, hashed1, 32);
    /* unbound lookups note nothing */
    assert_int_equal(card_mk_find(&st, MK_APKA, vp, got, &old), CSU_OK);
    assert_int_equal(card_keycache_mk_fp(MK_APKA, got, 32, fp), CSU_OK);
    assert_memory_equal(fp, hashed1, 32);
    card_keycache_free(kc);
    OPENSSL_cleanse(&st, sizeof(st));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_path_every_set),
        cmocka_unit_test(test_forgotten_writer_refused),
        cmocka_unit_test(test_keycache_fingerprint),
    };
    return cmocka_run_group_tests_name("card_mk", tests, NULL, NULL);
}
