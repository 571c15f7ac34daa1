/* SPDX-License-Identifier: Apache-2.0 */
/* The cases of test_keyxport_verbs.c (included once, after its helpers). */

/* ---- setup ------------------------------------------------------------------------ */

static void label_of(unsigned char label[64], const char *text)
{
    memset(label, ' ', 64);
    memcpy(label, text, strlen(text));
}

static void ksi(const char *store)
{
    unsigned char rules[16];
    char list[32];
    snprintf(list, sizeof(list), "CURRENT %s", store);
    long rc, rs, zero = 0, n = cca_rules(rules, list);
    CSNBKSI(&rc, &rs, NULL, NULL, &n, rules, &zero, NULL, &zero, NULL, NULL);
    assert_int_equal(CODE(rc, rs), 0);
}

static int setup(void **state)
{
    (void)state;
    if (!cca_card_open(dir1) || !mkdtemp(dir2)) /* CRP01 (CSU_CARD), then CRP02's directory */
        return -1;
    char value[160];
    snprintf(value, sizeof(value), "inproc:%s", dir2);
    setenv("CSU_CARD_CRP02", value, 1);
    cca_key_stores(dir1);
    RAND_bytes(hmac_key, sizeof(hmac_key));
    rsa = EVP_RSA_gen(2048);
    EVP_PKEY *small = EVP_RSA_gen(512);
    if (!rsa || !small)
        return -1;
    for (int card = 2; card >= 1; card--) { /* each card its own random master keys */
        use_card(card);
        if (cca_mk_random("SYM-MK") || cca_mk_random("ASYM-MK") || cca_mk_random("AES-MK") || cca_mk_random("APKA-MK"))
            return -1;
    }
    use_card(2);
    rsa_priv2_len = import_rsa(rsa, "KEY-MGMT", rsa_priv2);
    rsa_sig2_len = import_rsa(rsa, "SIG-ONLY", rsa_sig2);
    rsa_pub_len = public_of(rsa_priv2, rsa_priv2_len, rsa_pub);
    unsigned char tmp[BUF];
    long tmp_len = import_rsa(small, "KEY-MGMT", tmp);
    small_pub_len = public_of(tmp, tmp_len, small_pub);
    EVP_PKEY_free(small);
    use_card(1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    use_card(1);
    EVP_PKEY_free(rsa);
    int rc1 = cca_remove_dir(dir1), rc2 = cca_remove_dir(dir2);
    return rc1 == 0 && rc2 == 0 ? 0 : -1;
}

/* ---- opaque methods: DES and AES DATA keys ----------------------------------------------- */

struct opaque_case {
    const char *method;
    int padding;
    const EVP_MD *(*md)(void);
};

static const struct opaque_case opaque_cases[] = {
    {"PKCS-1.2", RSA_PKCS1_PADDING, NULL},
    {"PKCSOAEP", RSA_PKCS1_OAEP_PADDING, EVP_sha1},
    {"PKCSOAEP SHA-1", RSA_PKCS1_OAEP_PADDING, EVP_sha1},
    {"PKCSOAEP SHA-256", RSA_PKCS1_OAEP_PADDING, EVP_sha256},
    {"ZERO-PAD", RSA_NO_PADDING, NULL},
};

/* Export from card 1, recover with OpenSSL, import on card 2, use it there. */
static void opaque_round_trip(const char *alg, const unsigned char *key, long key_len)
{
    for (size_t i = 0; i < sizeof(opaque_cases) / sizeof(opaque_cases[0]); i++) {
        const struct opaque_case *c = &opaque_cases[i];
        char list[40];
        snprintf(list, sizeof(list), "%s %s", alg, c->method);
        unsigned char tok1[64], ct[512], clear[512], tok2[BUF];
        long ct_len = sizeof(ct), tok2_len = BUF;
        use_card(1);
        fixed_key(alg, key, key_len, tok1);
        assert_int_equal(syx(list, tok1, 64, rsa_pub, rsa_pub_len, ct, &ct_len), 0);
        assert_int_equal(ct_len, 256);
        size_t n = ossl_decrypt(c->padding, c->md ? c->md() : NULL, ct, (size_t)ct_len, clear);
        if (c->padding == RSA_NO_PADDING) { /* right-aligned, zeros to the left */
            assert_int_equal(n, 256);
            for (size_t j = 0; j < 256 - (size_t)key_len; j++)
                assert_int_equal(clear[j], 0);
            memmove(clear, clear + 256 - key_len, (size_t)key_len);
            n = (size_t)key_len;
        }
        assert_int_equal(n, (size_t)key_len);
        assert_memory_equal(clear, key, (size_t)key_len);
        use_card(2);
        assert_int_equal(syi(list, ct, ct_len, rsa_priv2, rsa_priv2_len, tok2, &tok2_len), 0);
        assert_int_equal(tok2_len, 64);
        assert_memory_not_equal(tok2 + 8, tok1 + 8, 8); /* another card's master key */
        if (strcmp(alg, "DES") == 0)
            check_des(tok2, key);
        else
            check_aes(tok2, 64, key);
    }
    use_card(1);
}

static void test_des_opaque(void **state)
{
    (void)state;
    opaque_round_trip("DES", des_key, 16);
}

static void test_aes_v4_opaque(void **state)
{
    (void)state;
    opaque_round_trip("AES", aes_key, 32);
}

/* ---- CKM-RAKW ---------------------------------------------------------------------------- */

static void rakw_round_trip(const char *hash, const EVP_MD *md)
{
    unsigned char tok1[BUF], out[1024], eph[512], key[64], tok2[BUF], name[64];
    long out_len = sizeof(out), tok2_len = BUF;
    char list[40];
    snprintf(list, sizeof(list), "AES CKM-RAKW%s%s", hash ? " " : "", hash ? hash : "");
    use_card(1);
    long tok1_len = v5_key("INTERNAL AES NO-KEY CIPHER", "AES", aes_key, 32, tok1);
    assert_int_equal(syx(list, tok1, tok1_len, rsa_pub, rsa_pub_len, out, &out_len), 0);
    assert_int_equal(out_len, 256 + 40); /* OAEP block, then KWP of 32 bytes */
    /* PKCS#11 CKM_RSA_AES_KEY_WRAP, undone by OpenSSL alone */
    assert_int_equal(ossl_decrypt(RSA_PKCS1_OAEP_PADDING, md, out, 256, eph), 32);
    assert_int_equal(aes_unwrap_pad(eph, out + 256, (size_t)out_len - 256, key), 32);
    assert_memory_equal(key, aes_key, 32);
    use_card(2);
    label_of(name, "KX.RAKW.KEY");
    assert_int_equal(syi2(list, out, out_len, rsa_priv2, rsa_priv2_len, name, tok2, &tok2_len), 0);
    assert_non_null(memmem(tok2, (size_t)tok2_len, name, 64));
    check_aes(tok2, tok2_len, aes_key);
    use_card(1);
}

static void test_rakw(void **state)
{
    (void)state;
    rakw_round_trip(NULL, EVP_sha1());
    rakw_round_trip("SHA-256", EVP_sha256());
}

/* A CKM-RAKW blob made outside the card (OpenSSL, AES-128 ephemeral key) imports. */
static void test_rakw_from_outside(void **state)
{
    (void)state;
    unsigned char eph[16], blob[512 + 48], tok2[BUF];
    RAND_bytes(eph, sizeof(eph));
    size_t n = ossl_encrypt(RSA_PKCS1_OAEP_PADDING, EVP_sha1(), eph, sizeof(eph), blob);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int w = 0;
    EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_128_wrap_pad(), NULL, eph, NULL), 1);
    assert_int_equal(EVP_EncryptUpdate(c, blob + n, &w, aes_key, 32), 1);
    EVP_CIPHER_CTX_free(c);
    long blob_len = (long)n + w, tok2_len = BUF;
    use_card(2);
    assert_int_equal(syi2("AES CKM-RAKW", blob, blob_len, rsa_priv2, rsa_priv2_len, NULL, tok2, &tok2_len), 0);
    check_aes(tok2, tok2_len, aes_key);
    blob[blob_len - 1] ^= 1; /* KWP integrity check fails: same answer as a bad RSA block */
    tok2_len = BUF;
    assert_int_equal(syi2("AES CKM-RAKW", blob, blob_len, rsa_priv2, rsa_priv2_len, NULL, tok2, &tok2_len), 80066);
    use_card(1);
}

/* ---- PKOAEP2 ---------------------------------------------------------------------------- */

static long pkoaep2_export(const char *list, const char *skeleton, const char *alg, const unsigned char *key,
                           long key_len, unsigned char *ext)
{
    unsigned char tok1[BUF];
    long ext_len = BUF;
    use_card(1);
    long tok1_len = v5_key(skeleton, alg, key, key_len, tok1);
    assert_int_equal(syx(list, tok1, tok1_len, rsa_pub, rsa_pub_len, ext, &ext_len), 0);
    assert_int_equal(ext[0], 0x02); /* external v5 token */
    assert_int_equal(ext[26], 0x03); /* wrapped by PKOAEP2 */
    return ext_len;
}

static void test_pkoaep2_hmac(void **state)
{
    (void)state;
    unsigned char ext[BUF], msg[512], tok2[BUF];
    long ext_len = pkoaep2_export("HMAC PKOAEP2", "INTERNAL HMAC NO-KEY MAC", "HMAC", hmac_key, 48, ext);
    /* payload: RSA-OAEP(SHA-256) of hash(32) ‖ bit length(2) ‖ key */
    size_t n = ossl_decrypt(RSA_PKCS1_OAEP_PADDING, EVP_sha256(), ext + ext_len - 256, 256, msg);
    assert_int_equal(n, 34 + 48);
    assert_int_equal(msg[32] * 256 + msg[33], 384);
    assert_memory_equal(msg + 34, hmac_key, 48);
    use_card(2);
    long tok2_len = BUF;
    assert_int_equal(syi2("HMAC PKOAEP2", ext, ext_len, rsa_priv2, rsa_priv2_len, NULL, tok2, &tok2_len), 0);
    assert_int_equal(tok2[0], 0x01);
    check_hmac(tok2, tok2_len);
    /* a changed key-usage field no longer matches the hash in the payload */
    ext[45] ^= 0x40;
    tok2_len = BUF;
    assert_int_equal(syi2("HMAC PKOAEP2", ext, ext_len, rsa_priv2, rsa_priv2_len, NULL, tok2, &tok2_len), 82113);
    use_card(1);
}

static void test_pkoaep2_aes(void **state)
{
    (void)state;
    unsigned char ext[BUF], tok2[BUF];
    long ext_len = pkoaep2_export("AES PKOAEP2 SHA-1", "INTERNAL AES NO-KEY CIPHER", "AES", aes_key, 32, ext);
    use_card(2);
    long tok2_len = BUF;
    assert_int_equal(syi2("AES PKOAEP2", ext, ext_len, rsa_priv2, rsa_priv2_len, NULL, tok2, &tok2_len), 0);
    check_aes(tok2, tok2_len, aes_key);
    tok2_len = BUF; /* the token says SHA-1: a contradicting keyword is refused */
    assert_int_equal(syi2("AES PKOAEP2 SHA-256", ext, ext_len, rsa_priv2, rsa_priv2_len, NULL, tok2, &tok2_len),
                     80034);
    use_card(1);
}

/* ---- rejection classes ---------------------------------------------------------------------- */

static uint32_t tvv(const unsigned char *t)
{
    uint32_t s = 0;
    for (int i = 0; i < 60; i += 4)
        s += (uint32_t)t[i] << 24 | (uint32_t)t[i + 1] << 16 | (uint32_t)t[i + 2] << 8 | t[i + 3];
    return s;
}

static void test_export_prohibited(void **state)
{
    (void)state;
    unsigned char tok[64], v5[BUF], out[1024];
    long out_len;
    use_card(1);
    fixed_key("DES", des_key, 16, tok);
    tok[32 + 2] &= (unsigned char)~0x40; /* CV bit 17 off: not exportable */
    tok[32 + 2] ^= 0x01;                 /* keep the CV byte's even parity */
    uint32_t s = tvv(tok);
    tok[60] = (unsigned char)(s >> 24), tok[61] = (unsigned char)(s >> 16), tok[62] = (unsigned char)(s >> 8),
    tok[63] = (unsigned char)s;
    out_len = sizeof(out);
    assert_int_equal(syx("DES PKCS-1.2", tok, 64, rsa_pub, rsa_pub_len, out, &out_len), 80064);
    long v5_len = v5_key("INTERNAL AES NO-KEY CIPHER NOEXUASY", "AES", aes_key, 32, v5);
    out_len = sizeof(out);
    assert_int_equal(syx("AES CKM-RAKW", v5, v5_len, rsa_pub, rsa_pub_len, out, &out_len), 80064);
    v5_len = v5_key("INTERNAL AES NO-KEY MAC GENERATE", "AES", aes_key, 32, v5);
    out_len = sizeof(out); /* CKM-RAKW exports AES CIPHER keys only */
    assert_int_equal(syx("AES CKM-RAKW", v5, v5_len, rsa_pub, rsa_pub_len, out, &out_len), 80064);
}

static void test_key_and_rsa_rejections(void **state)
{
    (void)state;
    unsigned char des[64], aes[64], ct[512], tok2[BUF];
    long ct_len = sizeof(ct), tok2_len = BUF;
    use_card(1);
    fixed_key("DES", des_key, 16, des);
    fixed_key("AES", aes_key, 32, aes);
    /* algorithm keyword against the token; method against the token form */
    assert_int_equal(syx("AES PKCS-1.2", des, 64, rsa_pub, rsa_pub_len, ct, &ct_len), 82089);
    ct_len = sizeof(ct);
    assert_int_equal(syx("AES CKM-RAKW", aes, 64, rsa_pub, rsa_pub_len, ct, &ct_len), 80064);
    /* RSA-512: too small for OAEP-SHA-256 of a 32-byte key, and for PKOAEP2 of an HMAC key */
    ct_len = sizeof(ct);
    assert_int_equal(syx("AES PKCSOAEP SHA-256", aes, 64, small_pub, small_pub_len, ct, &ct_len), 80760);
    ct_len = sizeof(ct);
    assert_int_equal(syx("DES PKCS-1.2", des, 64, rsa_pub, rsa_pub_len, ct, &ct_len), 0);
    use_card(2);
    /* a SIG-ONLY key cannot import; a public key has no private part */
    assert_int_equal(syi("DES PKCS-1.2", ct, ct_len, rsa_sig2, rsa_sig2_len, tok2, &tok2_len), 80064);
    assert_int_equal(syi("DES PKCS-1.2", ct, ct_len, rsa_pub, rsa_pub_len, tok2, &tok2_len), 82038);
    /* bad padding: a changed block, the wrong method, a short block */
    ct[100] ^= 0x55;
    assert_int_equal(syi("DES PKCS-1.2", ct, ct_len, rsa_priv2, rsa_priv2_len, tok2, &tok2_len), 80066);
    ct[100] ^= 0x55;
    assert_int_equal(syi("DES PKCSOAEP", ct, ct_len, rsa_priv2, rsa_priv2_len, tok2, &tok2_len), 80066);
    assert_int_equal(syi("DES PKCS-1.2", ct, ct_len - 1, rsa_priv2, rsa_priv2_len, tok2, &tok2_len), 80066);
    /* target buffer too small */
    tok2_len = 63;
    assert_int_equal(syi("DES PKCS-1.2", ct, ct_len, rsa_priv2, rsa_priv2_len, tok2, &tok2_len), 80072);
    assert_int_equal(tok2_len, 63);
    tok2_len = BUF;
    assert_int_equal(syi("DES PKCS-1.2", ct, ct_len, rsa_priv2, rsa_priv2_len, tok2, &tok2_len), 0);
    check_des(tok2, des_key);
    use_card(1);
}

static void test_parameter_rejections(void **state)
{
    (void)state;
    unsigned char des[64], ct[512], rules[16], tok2[BUF];
    long ct_len = 100, rc, rs, n, des_len = 64, zero = 0, tok2_len = BUF;
    use_card(1);
    fixed_key("DES", des_key, 16, des);
    /* output buffer too small: 8/72, nothing written */
    memset(ct, 0xEE, sizeof(ct));
    assert_int_equal(syx("DES PKCS-1.2", des, 64, rsa_pub, rsa_pub_len, ct, &ct_len), 80072);
    assert_int_equal(ct_len, 100);
    assert_int_equal(ct[0], 0xEE);
    ct_len = sizeof(ct);
    assert_int_equal(syx("DES FOOBAR", des, 64, rsa_pub, rsa_pub_len, ct, &ct_len), 80033);
    assert_int_equal(syx("DES", des, 64, rsa_pub, rsa_pub_len, ct, &ct_len), 80129);
    assert_int_equal(syx("HMAC PKCS-1.2", des, 64, rsa_pub, rsa_pub_len, ct, &ct_len), 80034);
    assert_int_equal(syx("DES PKCS-1.2 SHA-256", des, 64, rsa_pub, rsa_pub_len, ct, &ct_len), 80034);
    assert_int_equal(syx("DES PKCSOAEP PKCS-1.2", des, 64, rsa_pub, rsa_pub_len, ct, &ct_len), 80034);
    assert_int_equal(syx("AES AESKW", des, 64, rsa_pub, rsa_pub_len, ct, &ct_len), 80335);
    /* NULL pointers */
    n = cca_rules(rules, "DES PKCS-1.2");
    CSNDSYX(&rc, &rs, NULL, NULL, &n, rules, &des_len, des, &rsa_pub_len, rsa_pub, &ct_len, NULL);
    assert_int_equal(CODE(rc, rs), 80184);
    CSNDSYX(&rc, &rs, NULL, NULL, &n, rules, &des_len, NULL, &rsa_pub_len, rsa_pub, &ct_len, ct);
    assert_int_equal(CODE(rc, rs), 80184);
    CSNDSYX(NULL, &rs, NULL, NULL, &n, rules, &des_len, des, &rsa_pub_len, rsa_pub, &ct_len, ct); /* no crash */
    n = cca_rules(rules, "DES PKCS-1.2");
    CSNDSYI(&rc, &rs, NULL, NULL, &n, rules, &ct_len, ct, &rsa_priv2_len, rsa_priv2, &tok2_len, NULL);
    assert_int_equal(CODE(rc, rs), 80184);
    /* lengths: an empty enciphered key, a negative output length, a bad rule count */
    CSNDSYI(&rc, &rs, NULL, NULL, &n, rules, &zero, ct, &rsa_priv2_len, rsa_priv2, &tok2_len, tok2);
    assert_int_equal(CODE(rc, rs), 80072);
    long neg = -1;
    CSNDSYX(&rc, &rs, NULL, NULL, &n, rules, &des_len, des, &rsa_pub_len, rsa_pub, &neg, ct);
    assert_int_equal(CODE(rc, rs), 80072);
    n = 4;
    CSNDSYX(&rc, &rs, NULL, NULL, &n, (unsigned char *)"DES     PKCS-1.2AES     DES     ", &des_len, des,
            &rsa_pub_len, rsa_pub, &ct_len, ct);
    assert_int_equal(CODE(rc, rs), 80035);
    /* CSNDSYI2: the method is required; a key name must be 64 bytes */
    assert_int_equal(syi2("AES", ct, 256, rsa_priv2, rsa_priv2_len, NULL, tok2, &tok2_len), 80035);
    long five = 5;
    n = cca_rules(rules, "AES CKM-RAKW");
    CSNDSYI2(&rc, &rs, NULL, NULL, &n, rules, &ct_len, ct, &rsa_priv2_len, rsa_priv2, &five,
             (unsigned char *)"ABCDE", &tok2_len, tok2);
    assert_int_equal(CODE(rc, rs), 80072);
}

/* ---- labels: source, RSA key and target named in key storage ------------------------------------ */

static void test_labels(void **state)
{
    (void)state;
    unsigned char src_label[64], priv_label[64], dst_label[64], des[64], ct[512], rec[BUF];
    long rc, rs, zero = 0, ct_len = sizeof(ct), label_len = 64;
    label_of(src_label, "KX.SOURCE");
    label_of(priv_label, "KX.RSA");
    label_of(dst_label, "KX.TARGET");
    use_card(1);
    ksi("DES");
    fixed_key("DES", des_key, 16, des);
    CSNBKRC(&rc, &rs, NULL, NULL, src_label);
    assert_int_equal(CODE(rc, rs), 0);
    CSNBKRW(&rc, &rs, NULL, NULL, des, src_label);
    assert_int_equal(CODE(rc, rs), 0);
    assert_int_equal(syx("DES PKCSOAEP", src_label, 64, rsa_pub, rsa_pub_len, ct, &ct_len), 0);
    use_card(2);
    ksi("PKA");
    CSNDKRC(&rc, &rs, NULL, NULL, &zero, NULL, priv_label, &rsa_priv2_len, rsa_priv2);
    assert_int_equal(CODE(rc, rs), 0);
    CSNBKRC(&rc, &rs, NULL, NULL, dst_label);
    assert_int_equal(CODE(rc, rs), 0);
    assert_int_equal(syi("DES PKCSOAEP", ct, ct_len, priv_label, 64, dst_label, &label_len), 0);
    assert_int_equal(label_len, 64); /* the identifier is left as it was */
    CSNBKRR(&rc, &rs, NULL, NULL, dst_label, rec);
    assert_int_equal(CODE(rc, rs), 0);
    check_des(rec, des_key);
    check_des(dst_label, des_key);
    use_card(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_des_opaque),
        cmocka_unit_test(test_aes_v4_opaque),
        cmocka_unit_test(test_rakw),
        cmocka_unit_test(test_rakw_from_outside),
        cmocka_unit_test(test_pkoaep2_hmac),
        cmocka_unit_test(test_pkoaep2_aes),
        cmocka_unit_test(test_export_prohibited),
        cmocka_unit_test(test_key_and_rsa_rejections),
        cmocka_unit_test(test_parameter_rejections),
        cmocka_unit_test(test_labels),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
