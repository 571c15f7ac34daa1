/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Wycheproof ecdh_secp256r1_test.json through CSNDEDH PASSTHRU: the
 * private key imported (CSNDPKB ECC-PAIR + CSNDPKI), the peer's point put
 * into a public token byte by byte (so the card, not CSNDPKB, judges it).
 * "valid": Z equals "shared"; "invalid": refused (rc 8) whenever a point
 * can be taken from the encoding at all; "acceptable": either, and Z
 * equals "shared" when accepted.  Cases whose encoding yields no
 * uncompressed P-256 point are counted, not silently passed: every one of
 * them must be "invalid" or "acceptable".
 *
 * Usage: test_ecdh_wycheproof <json>; exit 77 when absent.
 */
#include <setjmp.h> /* cmocka needs these three first */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <openssl/x509.h>

#include "../pkacrypto/json_mini.h"
#include "ecdh_util.h"

static const char *json_path;
static int bad_points; /* points off the curve the card refused */

/* True when the 65 bytes at @p q are a point of P-256. */
static bool on_p256(const unsigned char q[65])
{
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    EC_POINT *p = g ? EC_POINT_new(g) : NULL;
    bool ok = p && EC_POINT_oct2point(g, p, q, 65, NULL) == 1;
    EC_POINT_free(p);
    EC_GROUP_free(g);
    return ok;
}

/* True when the SPKI names P-256 by its OID (id-ecPublicKey, prime256v1) rather than by explicit parameters. */
static bool names_p256(const unsigned char *spki, long len)
{
    static const unsigned char oids[] = {0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
                                         0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    for (long i = 0; i + (long)sizeof(oids) <= len && i < 8; i++)
        if (memcmp(spki + i, oids, sizeof(oids)) == 0)
            return true;
    return false;
}

enum peer { PEER_NONE, PEER_DECODED, PEER_BAD_POINT, PEER_ENCODING_ONLY };

/*
 * The peer's point: decoded by OpenSSL as a named P-256 key when it can;
 * else the last 65 bytes when they look like a point.  Such a raw point on
 * the curve means the case's defect is in the encoding (explicit or wrong
 * curve parameters), which a CCA token, naming its curve by type and size,
 * cannot carry: PEER_ENCODING_ONLY.
 */
static enum peer peer_point(const unsigned char *spki, long len, unsigned char q[65])
{
    const unsigned char *p = spki;
    EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, len);
    char group[32] = "";
    long n = -1;
    if (pk && EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) == 1 &&
        strcmp(group, "prime256v1") == 0)
        n = point_of(pk, q, 65);
    EVP_PKEY_free(pk);
    if (n == 65 && names_p256(spki, len))
        return PEER_DECODED;
    if (n == 65)
        return PEER_ENCODING_ONLY;
    if (len < 65 || spki[len - 65] != 0x04)
        return PEER_NONE;
    memcpy(q, spki + len - 65, 65);
    return on_p256(q) ? PEER_ENCODING_ONLY : PEER_BAD_POINT;
}

static void run_case(const struct jnode *t, int counts[4])
{
    static unsigned char spki[8192];
    unsigned char d[64], shared[64], q[65], pub[200], priv[TOK_BUF], z[64];
    long spki_len = jhex(jstr(t, "public"), spki, sizeof(spki));
    long d_len = jhex(jstr(t, "private"), d, sizeof(d));
    long s_len = jhex(jstr(t, "shared"), shared, sizeof(shared));
    const char *result = jstr(t, "result");
    assert_true(spki_len >= 0 && d_len > 0 && s_len >= 0 && result);
    bool valid = strcmp(result, "valid") == 0, invalid = strcmp(result, "invalid") == 0;
    enum peer kind = peer_point(spki, spki_len, q);
    if (kind == PEER_NONE || kind == PEER_ENCODING_ONLY) {
        assert_false(valid); /* a valid case always carries a P-256 point */
        counts[3]++;
        return;
    }
    long priv_len = import_pair(&curves[0], d, (size_t)d_len, priv);
    assert_true(priv_len > 0);
    struct edh_args a = {"PASSTHRU", priv, priv_len, pub, raw_public_token(&curves[0], q, 65, pub), NULL, 0, 0, z,
                         sizeof(z)};
    long got = edh(&a);
    if (got == 0) {
        if (invalid || kind == PEER_BAD_POINT)
            fail_msg("tcId %.0f (%s) accepted", jget(t, "tcId")->num, jstr(t, "comment"));
        assert_int_equal(a.out_len, s_len);
        assert_memory_equal(z, shared, (size_t)s_len);
        counts[0]++;
    } else {
        if (valid)
            fail_msg("tcId %.0f refused with %ld", jget(t, "tcId")->num, got);
        assert_int_equal(got / 10000, 8);
        counts[invalid ? 1 : 2]++;
        bad_points += kind == PEER_BAD_POINT;
    }
}

static void test_ecdh_secp256r1(void **state)
{
    (void)state;
    struct jnode *root = jload(json_path);
    assert_non_null(root);
    int counts[4] = {0}; /* accepted, invalid refused, acceptable refused, no point */
    for (const struct jnode *g = jget(root, "testGroups")->kid; g; g = g->next)
        for (const struct jnode *t = jget(g, "tests")->kid; t; t = t->next)
            run_case(t, counts);
    printf("# accepted %d, invalid refused %d (points off the curve %d), acceptable refused %d, "
           "encoding-only defects %d\n", counts[0], counts[1], bad_points, counts[2], counts[3]);
    assert_true(counts[0] > 0 && bad_points > 0);
    jfree(root);
}

static int setup(void **state)
{
    (void)state;
    return card_start_all("ecdh-wp");
}

static int teardown(void **state)
{
    (void)state;
    card_stop();
    return 0;
}

int main(int argc, char **argv)
{
    json_path = argc > 1 ? argv[1] : "";
    FILE *f = fopen(json_path, "r");
    if (!f) {
        printf("# Wycheproof vectors not found at '%s': skipped\n", json_path);
        return 77;
    }
    fclose(f);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_ecdh_secp256r1)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
