/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key cache is transparent (docs/key-cache.md):
 *   same_answers   every family (DES encipher and MAC, AES v4 and v5 encipher,
 *                  AES CMAC, HMAC, key tests, RSA and ECDSA sign/verify), each
 *                  call made twice, gives byte-identical answers with
 *                  CSU_CARD_KEY_CACHE=off and on; with the cache on the second
 *                  calls are hits, with it off STATKCHE is all zero
 *   one_byte       a token changed in one byte (TVV recomputed, so it parses)
 *                  after the original was cached is unwrapped from scratch
 *   mk_change      AES-MK and APKA-MK SET: the sets' entries are flushed; tokens
 *                  under the old MK answer 0/10001 cached or not; a second SET
 *                  makes them 8/48, cached or not
 *   zeroize        CSUACFC RQ-TOKEN/RQ-REINT empties the cache; keys then 12/764
 */
#include "kc_util.h"

static char dir[64];

struct tokens {
    unsigned char des_data[64], des_mac[64], aes_v4[64];
    unsigned char v5_cipher[V5_BUF], v5_mac[V5_BUF], v5_hmac[V5_BUF];
    long v5_cipher_len, v5_mac_len, v5_hmac_len;
    unsigned char rsa[TOK_BUF], ecc[TOK_BUF];
    long rsa_len, ecc_len;
};

static struct tokens t;

static void path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static void save(const char *name, const void *p, size_t n)
{
    char f[128];
    path(f, sizeof(f), name);
    FILE *fp = fopen(f, "wb");
    CHECK(fp && fwrite(p, 1, n, fp) == n && fclose(fp) == 0);
}

static size_t load(const char *name, void *p, size_t cap)
{
    char f[128];
    path(f, sizeof(f), name);
    FILE *fp = fopen(f, "rb");
    CHECK(fp);
    size_t n = fread(p, 1, cap, fp);
    fclose(fp);
    return n;
}

/* Fresh master keys and tokens; @p arg non-NULL: the caller chose the card's environment. */
static void make_tokens(void *arg)
{
    if (!arg)
        kc_env(dir, NULL);
    kc_all_mks();
    kc_des_tokens(1, t.des_data, t.des_mac);
    kc_aes_v4(2, t.aes_v4);
    t.v5_cipher_len = kc_v5("INTERNAL NO-KEY AES CIPHER", "AES", 3, 32, t.v5_cipher);
    t.v5_mac_len = kc_v5("INTERNAL NO-KEY AES MAC GENERATE", "AES", 4, 16, t.v5_mac);
    t.v5_hmac_len = kc_v5("INTERNAL NO-KEY HMAC MAC GENERATE", "HMAC", 5, 32, t.v5_hmac);
    t.rsa_len = rsa_generate(2048, "SIG-ONLY", t.rsa);
    t.ecc_len = ecc_generate(0x00, 256, "SIG-ONLY", t.ecc);
    CHECK(t.rsa_len > 0 && t.ecc_len > 0);
    save("tokens", &t, sizeof(t));
}

/* Every family once; codes and outputs appended to @p log. */
struct log {
    unsigned char bytes[16384];
    size_t len;
};

static void note(struct log *l, long code, const unsigned char *out, long out_len)
{
    CHECK(l->len + sizeof(code) + (size_t)out_len <= sizeof(l->bytes));
    memcpy(l->bytes + l->len, &code, sizeof(code));
    memcpy(l->bytes + l->len + sizeof(code), out, (size_t)out_len);
    l->len += sizeof(code) + (size_t)out_len;
}

#define FAMILIES 11

static void every_family(struct log *l)
{
    unsigned char out[1024];
    long n, code;
    code = kc_des_enc(t.des_data, out, &n);
    note(l, code, out, n);
    CHECK(code == 0);
    code = kc_des_mac(t.des_mac, out, &n);
    note(l, code, out, n);
    CHECK(code == 0);
    code = kc_keytest(0, t.des_data, 64, out, &n);
    note(l, code, out, n);
    CHECK(code == 0);
    code = kc_aes_enc(t.aes_v4, 64, out, &n);
    note(l, code, out, n);
    CHECK(code == 0);
    code = kc_keytest(2, t.aes_v4, 64, out, &n);
    note(l, code, out, n);
    CHECK(code == 0);
    code = kc_aes_enc(t.v5_cipher, t.v5_cipher_len, out, &n);
    note(l, code, out, n);
    CHECK(code == 0);
    code = kc_keytest(1, t.v5_cipher, t.v5_cipher_len, out, &n);
    note(l, code, out, n);
    CHECK(code == 0);
    code = kc_mac2(0, t.v5_mac, t.v5_mac_len, out, &n);
    note(l, code, out, n);
    CHECK(code == 0);
    code = kc_mac2(1, t.v5_hmac, t.v5_hmac_len, out, &n);
    note(l, code, out, n);
    CHECK(code == 0);
    code = kc_sign(1, t.rsa, t.rsa_len, out, &n);
    note(l, code, out, n);
    CHECK(code == 0);
    code = kc_sign(0, t.ecc, t.ecc_len, out, &n);
    note(l, code, out, n);
    CHECK(code == 0);
}

static void run_families(void *arg)
{
    const char *mode = arg;
    kc_env(dir, mode);
    load("tokens", &t, sizeof(t));
    static struct log l;
    every_family(&l);
    struct kc_counts first = kc_counts();
    every_family(&l);
    struct kc_counts second = kc_counts();
    if (strcmp(mode, "off") == 0) {
        for (int i = 0; i < 8; i++)
            CHECK(second.v[i] == 0);
    } else {
        CHECK(first.v[KC_MISSES] >= 8 && first.v[KC_ENTRIES] >= 8);
        /* the second round is served from the cache: one hit per family at least */
        CHECK(second.v[KC_HITS] - first.v[KC_HITS] >= FAMILIES - 2);
        CHECK(second.v[KC_MISSES] == first.v[KC_MISSES]);
    }
    save(mode, l.bytes, l.len);
}

static void same_answers(void)
{
    static unsigned char on[16384], off[16384];
    CHECK(kc_child(run_families, "off"));
    CHECK(kc_child(run_families, "64"));
    size_t n_off = load("off", off, sizeof(off)), n_on = load("64", on, sizeof(on));
    if (n_off != n_on || memcmp(on, off, n_on) != 0)
        for (size_t i = 0; i < n_on && i < n_off; i++)
            if (on[i] != off[i])
                fprintf(stderr, "answers differ at byte %zu of %zu/%zu\n", i, n_on, n_off);
    CHECK(n_off == n_on && n_on > 0 && memcmp(on, off, n_on) == 0);
    printf("same_answers: %zu bytes of answers identical, cache on and off\n", n_on);
}

static void reseal(unsigned char tok[64])
{
    uint32_t sum = 0;
    for (int off = 0; off < 60; off += 4)
        sum += (uint32_t)tok[off] << 24 | (uint32_t)tok[off + 1] << 16 | (uint32_t)tok[off + 2] << 8 | tok[off + 3];
    tok[60] = (unsigned char)(sum >> 24), tok[61] = (unsigned char)(sum >> 16);
    tok[62] = (unsigned char)(sum >> 8), tok[63] = (unsigned char)sum;
}

/* Results of the changed tokens, written for comparison between modes. */
static void run_one_byte(void *arg)
{
    const char *mode = arg;
    kc_env(dir, mode);
    load("tokens", &t, sizeof(t));
    unsigned char out[1024], orig[64];
    long n, n0;
    static struct log l;
    /* DES: a changed key part (TVV fixed) is a different, valid key: another ciphertext */
    CHECK(kc_des_enc(t.des_data, orig, &n0) == 0);
    t.des_data[17] ^= 0x01;
    reseal(t.des_data);
    long code = kc_des_enc(t.des_data, out, &n);
    note(&l, code, out, n);
    CHECK(code == 0 && n == n0 && memcmp(out, orig, (size_t)n) != 0);
    /* AES v4, v5, RSA, ECC: every byte is bound; the changed token fails from scratch */
    CHECK(kc_aes_enc(t.aes_v4, 64, out, &n) == 0);
    t.aes_v4[20] ^= 0x01;
    reseal(t.aes_v4);
    code = kc_aes_enc(t.aes_v4, 64, out, &n);
    note(&l, code, out, n);
    CHECK(code / 10000 >= 8);
    CHECK(kc_mac2(1, t.v5_hmac, t.v5_hmac_len, out, &n) == 0);
    t.v5_hmac[t.v5_hmac_len - 1] ^= 0x01;
    code = kc_mac2(1, t.v5_hmac, t.v5_hmac_len, out, &n);
    note(&l, code, out, n);
    CHECK(code / 10000 >= 8);
    CHECK(kc_sign(1, t.rsa, t.rsa_len, out, &n) == 0);
    t.rsa[t.rsa_len - 1] ^= 0x01; /* last byte of the public section: bound by the payload's hash */
    code = kc_sign(1, t.rsa, t.rsa_len, out, &n);
    note(&l, code, out, n);
    CHECK(code / 10000 >= 8);
    CHECK(kc_sign(0, t.ecc, t.ecc_len, out, &n) == 0);
    t.ecc[t.ecc_len - 1] ^= 0x01;
    code = kc_sign(0, t.ecc, t.ecc_len, out, &n);
    note(&l, code, out, n);
    CHECK(code / 10000 >= 8);
    char name[32];
    snprintf(name, sizeof(name), "byte-%s", mode);
    save(name, l.bytes, l.len);
}

static void one_byte(void)
{
    static unsigned char on[16384], off[16384];
    CHECK(kc_child(run_one_byte, "off"));
    CHECK(kc_child(run_one_byte, "64"));
    size_t n_off = load("byte-off", off, sizeof(off)), n_on = load("byte-64", on, sizeof(on));
    CHECK(n_off == n_on && memcmp(on, off, n_on) == 0);
    printf("one_byte: changed tokens answer as uncached\n");
}

/* Codes of the AES and APKA families for the current tokens. */
static void mk_codes(long want, int runs)
{
    unsigned char out[1024];
    long n;
    for (int i = 0; i < runs; i++) {
        CHECK(kc_aes_enc(t.aes_v4, 64, out, &n) == want);
        CHECK(kc_mac2(1, t.v5_hmac, t.v5_hmac_len, out, &n) == want);
        CHECK(kc_sign(1, t.rsa, t.rsa_len, out, &n) == want);
        CHECK(kc_sign(0, t.ecc, t.ecc_len, out, &n) == want);
        CHECK(kc_des_enc(t.des_data, out, &n) == 0); /* SYM untouched */
    }
}

static void run_mk_change(void *arg)
{
    const char *mode = arg;
    kc_env(dir, mode);
    make_tokens(dir); /* the other mode's run left them under retired keys */
    mk_codes(0, 2);
    struct kc_counts before = kc_counts();
    kc_new_mk("AES-MK");
    kc_new_mk("APKA-MK");
    struct kc_counts after = kc_counts();
    if (strcmp(mode, "off") != 0) {
        CHECK(after.v[KC_FLUSHED] - before.v[KC_FLUSHED] >= 4); /* AES v4, v5, RSA, ECC */
        CHECK(after.v[KC_ENTRIES] >= 1);                         /* the DES key stays */
    }
    mk_codes(10001, 3); /* first a miss, then from the cache: 0/10001 both */
    kc_new_mk("AES-MK");
    kc_new_mk("APKA-MK");
    mk_codes(80048, 2);
}

static void mk_change(void)
{
    CHECK(kc_child(run_mk_change, "off"));
    CHECK(kc_child(run_mk_change, "64"));
    printf("mk_change: flush on SET, 0/10001 then 8/48 cached or not\n");
}

static void run_zeroize(void *arg)
{
    kc_env(dir, arg);
    make_tokens(dir);
    unsigned char out[1024], token[8];
    long n, rc, rs, count, len = 8;
    mk_codes(0, 2);
    CHECK(kc_counts().v[KC_ENTRIES] >= 5);
    unsigned char rules[8];
    count = cca_rules(rules, "RQ-TOKEN");
    CSUACFC(&rc, &rs, NULL, NULL, &count, rules, &len, token);
    CHECK(rc == 0 && len == 8);
    for (int i = 0; i < 8; i++)
        token[i] = (unsigned char)~token[i];
    count = cca_rules(rules, "RQ-REINT");
    CSUACFC(&rc, &rs, NULL, NULL, &count, rules, &len, token);
    CHECK(rc == 0);
    struct kc_counts c = kc_counts();
    CHECK(c.v[KC_ENTRIES] == 0 && c.v[KC_KIB] == 0);
    CHECK(kc_des_enc(t.des_data, out, &n) == 120764);
    CHECK(kc_sign(1, t.rsa, t.rsa_len, out, &n) == 120764);
}

static void zeroize(void)
{
    CHECK(kc_child(run_zeroize, "64"));
    printf("zeroize: cache empty, keys 12/764\n");
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/csu-kcv-XXXXXX");
    CHECK(mkdtemp(dir));
    CHECK(kc_child(make_tokens, NULL));
    same_answers();
    one_byte();
    mk_change();
    zeroize();
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return 0;
}
