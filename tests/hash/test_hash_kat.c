/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CSNBOWH known answers and chaining, end to end through libcsulcca on an
 * in-process card (CSU_CARD=inproc:<mkdtemp dir>):
 *   FIPS 180-4 / FIPS 202 examples ("abc", "", the 448- and 896-bit
 *   messages, one million 'a' in pieces) for SHA-1/2/3, the RFC 1321 suite
 *   for MD5, the RIPEMD-160 authors' examples; every vector both ONLY and in
 *   FIRST/MIDDLE/LAST pieces; random piecewise == ONLY for every algorithm;
 *   openCryptoki's exact calls (client-calling-patterns.md P1); texts larger
 *   than a frame (split by the host).
 */
#include <setjmp.h> /* cmocka needs these three first */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "hash_test_util.h"

static char state_dir[128];

#define EXPECT(rc_, rs_, rc, rs)                                                                          \
    do {                                                                                                  \
        if ((rc) != (rc_) || (rs) != (rs_))                                                               \
            fail_msg("line %d: got %ld/%ld, expected %d/%d", __LINE__, (long)(rc), (long)(rs), rc_, rs_); \
    } while (0)

static const char m448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char m896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmn"
                           "opqrsmnopqrstnopqrstu";
#define MILLION_A NULL /* marker: one million 'a' */

struct kat {
    const char *alg;
    const char *msg; /* MILLION_A for the long message */
    const char *hex;
};

/* FIPS 180-4 examples (NIST "Example Algorithms" SHA1.pdf .. SHA512.pdf,
 * FIPS 180-2 appendix long messages) and FIPS 202 examples (NIST SHA3-*.pdf);
 * MD5: RFC 1321 §A.5; RIPEMD-160: Dobbertin, Bosselaers, Preneel, published
 * test vectors. */
static const struct kat kats[] = {
    {"SHA-1", "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
    {"SHA-1", "", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
    {"SHA-1", m448, "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
    {"SHA-1", m896, "a49b2446a02c645bf419f995b67091253a04a259"},
    {"SHA-1", MILLION_A, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"},
    {"SHA-224", "abc", "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"},
    {"SHA-224", "", "d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f"},
    {"SHA-224", m448, "75388b16512776cc5dba5da1fd890150b0c6455cb4f58b1952522525"},
    {"SHA-224", m896, "c97ca9a559850ce97a04a96def6d99a9e0e0e2ab14e6b8df265fc0b3"},
    {"SHA-224", MILLION_A, "20794655980c91d8bbb4c1ea97618a4bf03f42581948b2ee4ee7ad67"},
    {"SHA-256", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"SHA-256", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"SHA-256", m448, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {"SHA-256", m896, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    {"SHA-256", MILLION_A, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
    {"SHA-384", "abc",
     "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"},
    {"SHA-384", "",
     "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b"},
    {"SHA-384", m448,
     "3391fdddfc8dc7393707a65b1b4709397cf8b1d162af05abfe8f450de5f36bc6b0455a8520bc4e6f5fe95b1fe3c8452b"},
    {"SHA-384", m896,
     "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039"},
    {"SHA-384", MILLION_A,
     "9d0e1809716474cb086e834e310a4a1ced149e9c00f248527972cec5704c2a5b07b8b3dc38ecc4ebae97ddd87f3d8985"},
    {"SHA-512", "abc",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e"
     "2a9ac94fa54ca49f"},
    {"SHA-512", "",
     "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81"
     "a538327af927da3e"},
    {"SHA-512", m448,
     "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c33596fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd703"
     "54ec631238ca3445"},
    {"SHA-512", m896,
     "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd2654"
     "5e96e55b874be909"},
    {"SHA-512", MILLION_A,
     "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e"
     "4eadb217ad8cc09b"},
    {"SHA3-224", "abc", "e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf"},
    {"SHA3-224", "", "6b4e03423667dbb73b6e15454f0eb1abd4597f9a1b078e3f5b5a6bc7"},
    {"SHA3-224", m448, "8a24108b154ada21c9fd5574494479ba5c7e7ab76ef264ead0fcce33"},
    {"SHA3-224", m896, "543e6868e1666c1a643630df77367ae5a62a85070a51c14cbf665cbc"},
    {"SHA3-224", MILLION_A, "d69335b93325192e516a912e6d19a15cb51c6ed5c15243e7a7fd653c"},
    {"SHA3-256", "abc", "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"},
    {"SHA3-256", "", "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"},
    {"SHA3-256", m448, "41c0dba2a9d6240849100376a8235e2c82e1b9998a999e21db32dd97496d3376"},
    {"SHA3-256", m896, "916f6061fe879741ca6469b43971dfdb28b1a32dc36cb3254e812be27aad1d18"},
    {"SHA3-256", MILLION_A, "5c8875ae474a3634ba4fd55ec85bffd661f32aca75c6d699d0cdcb6c115891c1"},
    {"SHA3-384", "abc",
     "ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c2596da7cf0e49be4b298d88cea927ac7f539f1edf228376d25"},
    {"SHA3-384", "",
     "0c63a75b845e4f7d01107d852e4c2485c51a50aaaa94fc61995e71bbee983a2ac3713831264adb47fb6bd1e058d5f004"},
    {"SHA3-384", m448,
     "991c665755eb3a4b6bbdfb75c78a492e8c56a22c5c4d7e429bfdbc32b9d4ad5aa04a1f076e62fea19eef51acd0657c22"},
    {"SHA3-384", m896,
     "79407d3b5916b59c3e30b09822974791c313fb9ecc849e406f23592d04f625dc8c709b98b43b3852b337216179aa7fc7"},
    {"SHA3-384", MILLION_A,
     "eee9e24d78c1855337983451df97c8ad9eedf256c6334f8e948d252d5e0e76847aa0774ddb90a842190d2c558b4b8340"},
    {"SHA3-512", "abc",
     "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e10e116e9192af3c91a7ec57647e3934057340b4cf408d5a5"
     "6592f8274eec53f0"},
    {"SHA3-512", "",
     "a69f73cca23a9ac5c8b567dc185a756e97c982164fe25859e0d1dcc1475c80a615b2123af1f5f94c11e3e9402c3ac558f500199d95b6d3e3"
     "01758586281dcd26"},
    {"SHA3-512", m448,
     "04a371e84ecfb5b8b77cb48610fca8182dd457ce6f326a0fd3d7ec2f1e91636dee691fbe0c985302ba1b0d8dc78c086346b533b49c030d99"
     "a27daf1139d6e75e"},
    {"SHA3-512", m896,
     "afebb2ef542e6579c50cad06d2e578f9f8dd6881d7dc824d26360feebf18a4fa73e3261122948efcfd492e74e82e2189ed0fb440d187f382"
     "270cb455f21dd185"},
    {"SHA3-512", MILLION_A,
     "3c3a876da14034ab60627c077bb98f7e120a2a5370212dffb3385a18d4f38859ed311d0a9d5141ce9cc5c66ee689b266a8aa18ace8282a0e"
     "0db596c90b0a7b87"},
    /* RFC 1321 A.5 */
    {"MD5", "", "d41d8cd98f00b204e9800998ecf8427e"},
    {"MD5", "a", "0cc175b9c0f1b6a831c399e269772661"},
    {"MD5", "abc", "900150983cd24fb0d6963f7d28e17f72"},
    {"MD5", "message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
    {"MD5", "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
    {"MD5", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"},
    {"MD5", "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
     "57edf4a22be3c955ac49da2e2107b67a"},
    {"MD5", MILLION_A, "7707d6ae4e027c70eea2a935c2296f21"},
    /* RIPEMD-160 authors' examples */
    {"RPMD-160", "", "9c1185a5c5e9fc54612808977ee8f548b2258d31"},
    {"RPMD-160", "a", "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe"},
    {"RPMD-160", "abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"},
    {"RPMD-160", "message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36"},
    {"RPMD-160", "abcdefghijklmnopqrstuvwxyz", "f71c27109c692c1b56bbdceb5b9d2865b3708dbc"},
    {"RPMD-160", m448, "12a053384a9c0c88e405a06c27dcf49ada62eb2b"},
    {"RPMD-160", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
     "b0e20b6e3116640286ed3a87a5713079b21f5189"},
    {"RPMD-160", "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
     "9b752e45573d4b39f4dbd3323cab82bf63326bfb"},
    {"RPMD-160", MILLION_A, "52783243c1697bdbe16d37f97f68f08325dc1528"},
};

static unsigned char *million_a;

static void kat_message(const struct kat *k, const unsigned char **msg, long *len)
{
    *msg = k->msg ? (const unsigned char *)k->msg : million_a;
    *len = k->msg ? (long)strlen(k->msg) : 1000000L;
}

/* Hash @p msg in pieces: FIRST and MIDDLEs of @p blocks_per_piece blocks,
 * the rest (possibly empty) as LAST.  Returns the LAST call's codes. */
static void hash_pieces(const struct ht_alg *a, const unsigned char *msg, long len, long blocks_per_piece,
                        unsigned char *digest, long *rc, long *rs)
{
    unsigned char cv[CV_LEN_SHA3];
    long piece = blocks_per_piece * a->block, done = 0, hl = 64;
    const char *seg = "FIRST";
    while (len - done >= piece && piece > 0) {
        ht_owh(a->keyword, seg, msg + done, piece, cv, a->vector, digest, &hl, rc, rs);
        if (*rc != 0)
            return;
        done += piece;
        seg = "MIDDLE";
    }
    if (done == 0) { /* a message shorter than one piece: an empty FIRST */
        ht_owh(a->keyword, "FIRST", "", 0, cv, a->vector, digest, &hl, rc, rs);
        if (*rc != 0)
            return;
    }
    ht_owh(a->keyword, "LAST", msg + done, len - done, cv, a->vector, digest, &hl, rc, rs);
    assert_int_equal(hl, 64); /* hash_length is an input only */
}

static void test_kats_only_and_pieces(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
        const struct kat *k = &kats[i];
        const struct ht_alg *a = ht_alg(k->alg);
        const unsigned char *msg;
        long len, rc, rs;
        kat_message(k, &msg, &len);
        unsigned char want[64], got[64];
        size_t want_len;
        ht_hex(k->hex, want, &want_len);
        assert_int_equal(want_len, a->digest);

        long hl = a->digest;
        memset(got, 0, sizeof(got));
        ht_owh(k->alg, "ONLY", msg, len, NULL, 0, got, &hl, &rc, &rs);
        EXPECT(0, 0, rc, rs);
        if (memcmp(got, want, want_len) != 0)
            fail_msg("%s ONLY of a %ld-byte message: wrong digest", k->alg, len);

        /* The same message in pieces: one block at a time, and 1000 blocks. */
        for (long per = 1; per <= 1000; per *= 1000) {
            memset(got, 0, sizeof(got));
            hash_pieces(a, msg, len, per, got, &rc, &rs);
            EXPECT(0, 0, rc, rs);
            if (memcmp(got, want, want_len) != 0)
                fail_msg("%s in %ld-block pieces of a %ld-byte message: wrong digest", k->alg, per, len);
        }
    }
}

/* No rule for the segment: ONLY is the default. */
static void test_default_only(void **state)
{
    (void)state;
    unsigned char got[32];
    long hl = 32, rc, rs;
    ht_owh("SHA-256", NULL, "abc", 3, NULL, 0, got, &hl, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    unsigned char want[32];
    size_t n;
    ht_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, &n);
    assert_memory_equal(got, want, 32);
}

/* Random lengths, random block-multiple pieces, a short or empty LAST,
 * empty MIDDLEs here and there: always equal to OpenSSL in one go. */
static void test_random_pieces_equal_only(void **state)
{
    (void)state;
    srand(12345);
    unsigned char *buf = malloc(20000);
    assert_non_null(buf);
    for (int i = 0; i < 20000; i++)
        buf[i] = (unsigned char)rand();
    for (size_t ai = 0; ai < HT_ALG_COUNT; ai++) {
        const struct ht_alg *a = &ht_algs[ai];
        for (int round = 0; round < 25; round++) {
            unsigned char cv[CV_LEN_SHA3], got[64], want[64];
            long done = 0, rc, rs, hl = a->digest;
            long total = rand() % 15000;
            const char *seg = "FIRST";
            for (;;) {
                long piece = (rand() % 8) * a->block; /* 0 .. 7 blocks */
                if (done + piece > total)
                    break;
                ht_owh(a->keyword, seg, buf + done, piece, cv, a->vector, NULL, NULL, &rc, &rs);
                EXPECT(0, 0, rc, rs);
                done += piece;
                seg = "MIDDLE";
            }
            if (round % 5 == 0 && strcmp(seg, "MIDDLE") == 0) { /* a zero-length LAST after whole blocks */
                ht_evp(a, buf, (size_t)done, want);
                total = done;
            } else {
                if (strcmp(seg, "FIRST") == 0) {
                    ht_owh(a->keyword, "FIRST", "", 0, cv, a->vector, NULL, NULL, &rc, &rs);
                    EXPECT(0, 0, rc, rs);
                }
                ht_evp(a, buf, (size_t)total, want);
            }
            ht_owh(a->keyword, "LAST", buf + done, total - done, cv, a->vector, got, &hl, &rc, &rs);
            EXPECT(0, 0, rc, rs);
            if (memcmp(got, want, (size_t)a->digest) != 0)
                fail_msg("%s: %ld bytes in pieces differ from one go (round %d)", a->keyword, total, round);
        }
    }
    free(buf);
}

/* openCryptoki's calls (client-calling-patterns.md P1): chaining vector 128,
 * hash_length the digest size on every call, FIRST/MIDDLE whole blocks,
 * LAST and ONLY possibly empty; hash_length comes back unchanged. */
static void test_opencryptoki_calls(void **state)
{
    (void)state;
    const char *algs[] = {"SHA-1", "SHA-256", "SHA-384", "SHA-512"};
    unsigned char text[512];
    for (int i = 0; i < 512; i++)
        text[i] = (unsigned char)(i * 7);
    for (int i = 0; i < 4; i++) {
        const struct ht_alg *a = ht_alg(algs[i]);
        unsigned char cv[128], hash[64], want[64];
        long rc, rs, hl = a->digest;
        /* C_DigestInit + C_DigestFinal: ONLY with no text. */
        ht_owh(a->keyword, "ONLY", NULL, 0, cv, 128, hash, &hl, &rc, &rs);
        EXPECT(0, 0, rc, rs);
        assert_int_equal(hl, a->digest);
        ht_evp(a, "", 0, want);
        assert_memory_equal(hash, want, (size_t)a->digest);
        /* Update, update, final with nothing left: FIRST, MIDDLE, LAST(0). */
        ht_owh(a->keyword, "FIRST", text, 2 * a->block, cv, 128, hash, &hl, &rc, &rs);
        EXPECT(0, 0, rc, rs);
        ht_owh(a->keyword, "MIDDLE", text + 2 * a->block, a->block, cv, 128, hash, &hl, &rc, &rs);
        EXPECT(0, 0, rc, rs);
        ht_owh(a->keyword, "LAST", NULL, 0, cv, 128, hash, &hl, &rc, &rs);
        EXPECT(0, 0, rc, rs);
        assert_int_equal(hl, a->digest);
        ht_evp(a, text, (size_t)(3 * a->block), want);
        assert_memory_equal(hash, want, (size_t)a->digest);
    }
}

/* A hash buffer larger than the digest: leftmost bytes, the rest and
 * hash_length untouched; NUL-padded lower-case keywords are accepted. */
static void test_large_hash_buffer_and_keyword_forms(void **state)
{
    (void)state;
    unsigned char hash[100], want[20];
    memset(hash, 0xEE, sizeof(hash));
    long hl = 100, rc, rs, count = 2, tl = 3, cvl = 0;
    unsigned char rules[16] = {'s', 'h', 'a', '-', '1', 0, 0, 0, 'O', 'N', 'L', 'Y', 0, 0, 0, 0};
    CSNBOWH(&rc, &rs, NULL, NULL, &count, rules, &tl, (unsigned char *)"abc", &cvl, NULL, &hl, hash);
    EXPECT(0, 0, rc, rs);
    assert_int_equal(hl, 100);
    ht_evp(ht_alg("SHA-1"), "abc", 3, want);
    assert_memory_equal(hash, want, 20);
    for (int i = 20; i < 100; i++)
        assert_int_equal(hash[i], 0xEE);
}

/* Texts larger than one frame (1 MiB): the host splits them. */
static void test_texts_larger_than_a_frame(void **state)
{
    (void)state;
    const long big = 2500000L + 77;
    unsigned char *buf = malloc((size_t)big);
    assert_non_null(buf);
    for (long i = 0; i < big; i++)
        buf[i] = (unsigned char)(i * 31 + (i >> 9));
    for (size_t ai = 0; ai < HT_ALG_COUNT; ai += 4) { /* SHA-1, SHA-512, SHA3-512 */
        const struct ht_alg *a = &ht_algs[ai];
        unsigned char got[64], want[64], cv[CV_LEN_SHA3];
        long hl = a->digest, rc, rs;
        ht_evp(a, buf, (size_t)big, want);
        ht_owh(a->keyword, "ONLY", buf, big, NULL, 0, got, &hl, &rc, &rs);
        EXPECT(0, 0, rc, rs);
        assert_memory_equal(got, want, (size_t)a->digest);
        /* A large FIRST, a large MIDDLE (whole blocks), a large LAST. */
        long first = (1100000L / a->block) * a->block, middle = (1200000L / a->block) * a->block;
        ht_owh(a->keyword, "FIRST", buf, first, cv, a->vector, NULL, NULL, &rc, &rs);
        EXPECT(0, 0, rc, rs);
        ht_owh(a->keyword, "MIDDLE", buf + first, middle, cv, a->vector, NULL, NULL, &rc, &rs);
        EXPECT(0, 0, rc, rs);
        /* A large MIDDLE that is not whole blocks is refused before any state changes. */
        ht_owh(a->keyword, "MIDDLE", buf, 2 * 1018368L + 1, cv, a->vector, NULL, NULL, &rc, &rs);
        EXPECT(8, 51, rc, rs);
        ht_owh(a->keyword, "LAST", buf + first + middle, big - first - middle, cv, a->vector, got, &hl, &rc, &rs);
        EXPECT(0, 0, rc, rs);
        assert_memory_equal(got, want, (size_t)a->digest);
    }
    free(buf);
}

static int setup(void **state)
{
    (void)state;
    ht_inproc_card(state_dir);
    million_a = malloc(1000000);
    if (!million_a)
        return -1;
    memset(million_a, 'a', 1000000);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(million_a);
    ht_remove_dir(state_dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kats_only_and_pieces),
        cmocka_unit_test(test_default_only),
        cmocka_unit_test(test_random_pieces_equal_only),
        cmocka_unit_test(test_opencryptoki_calls),
        cmocka_unit_test(test_large_hash_buffer_and_keyword_forms),
        cmocka_unit_test(test_texts_larger_than_a_frame),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
