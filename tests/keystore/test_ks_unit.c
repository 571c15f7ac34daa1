/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: label syntax (8/32), patterns, record codec, error table, list-file format, store basics. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ks_internal.h"

static void mk_label(uint8_t l[KS_LABEL_LEN], const char *s)
{
    memset(l, ' ', KS_LABEL_LEN);
    memcpy(l, s, strlen(s) > KS_LABEL_LEN ? KS_LABEL_LEN : strlen(s));
}

static void test_label_syntax(void **state)
{
    (void)state;
    static const char *const good[] = {"A", "KEY.ONE", "$#@.A1", "ABCDEFGH.ABCDEFGH",
                                       "A.B.C.D.E.F.G", "ABCDEFGH.ABCDEFGH.ABCDEFGH.ABCDEFGH.ABCDEFGH.ABCDEFGH.ABCDEFGH"};
    static const char *const bad[] = {"1ABC", "A..B", "A.", ".A", "ABCDEFGHI", "A.B.C.D.E.F.G.H", "a.b", "A-B",
                                      "A B", "A*", ""};
    uint8_t l[KS_LABEL_LEN];
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
        mk_label(l, good[i]);
        assert_int_equal(ks_label_check(l), KS_OK);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        mk_label(l, bad[i]);
        assert_int_equal(ks_label_check(l), KS_LABEL);
        assert_int_equal(ks_err_cca(KS_LABEL).reason_code, 32);
    }
    mk_label(l, "A");
    l[63] = 'X'; /* text after the padding */
    assert_int_equal(ks_label_check(l), KS_LABEL);
}

static void test_patterns(void **state)
{
    (void)state;
    uint8_t p[KS_LABEL_LEN], l[KS_LABEL_LEN];
    struct {
        const char *pat, *label;
        bool match;
    } cases[] = {{"*", "A", true},         {"*", "A.B.C", true},     {"A.*", "A.B", true},
                 {"A.*", "A.B.C", true},   {"A.*", "A", false},      {"AB*", "ABC", true},
                 {"AB*", "AB", true},      {"AB*", "AB.C", false},   {"A.B*.C", "A.BX.C", true},
                 {"A.B*.C", "A.BX.D", false}, {"A.B", "A.B", true},  {"A.B", "A.B.C", false},
                 {"*.C", "A.C", true},     {"*.C", "A.B.C", false}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        mk_label(p, cases[i].pat);
        mk_label(l, cases[i].label);
        assert_int_equal(ks_pattern_check(p), KS_OK);
        assert_int_equal(ks_pattern_match(p, l), cases[i].match);
    }
    mk_label(p, "A*B");
    assert_int_equal(ks_pattern_check(p), KS_LABEL);
    mk_label(p, "1*");
    assert_int_equal(ks_pattern_check(p), KS_LABEL);
}

static void test_record_codec(void **state)
{
    (void)state;
    static struct ks_record r, back;
    mk_label(r.label, "REC.ONE");
    r.created = 1000;
    r.updated = 2000;
    r.seq = 7;
    r.token_len = 64;
    memset(r.token, 0x5A, 64);
    r.token[0] = 1;
    static uint8_t buf[KS_REC_HDR + KS_MAX_TOKEN];
    size_t n = ks_record_encode(&r, buf);
    assert_int_equal(n, KS_REC_HDR + 64);
    assert_true(ks_record_decode(r.label, buf, n, &back));
    assert_int_equal(back.seq, 7);
    assert_int_equal(back.created, 1000);
    assert_int_equal(back.updated, 2000);
    assert_memory_equal(back.token, r.token, 64);
    /* any flipped byte, a wrong label or a wrong length is detected */
    for (size_t i = 0; i < n; i++) {
        buf[i] ^= 0x01;
        assert_false(ks_record_decode(r.label, buf, n, &back));
        buf[i] ^= 0x01;
    }
    uint8_t other[KS_LABEL_LEN];
    mk_label(other, "REC.TWO");
    assert_false(ks_record_decode(other, buf, n, &back));
    assert_false(ks_record_decode(r.label, buf, n - 1, &back));
    assert_false(ks_record_decode(r.label, buf, 10, &back));
}

static void test_error_table(void **state)
{
    (void)state;
    struct {
        ks_err e;
        long rc, rs;
    } t[] = {{KS_NOT_FOUND, 8, 30},  {KS_EXISTS, 8, 44},      {KS_LABEL, 8, 32},     {KS_UNSET, 8, 6007},
             {KS_NO_MATCH, 4, 158}, {KS_BAD_RECORD, 8, 192}, {KS_IO, 12, 197},      {KS_OK, 0, 0}};
    for (size_t i = 0; i < sizeof(t) / sizeof(*t); i++) {
        assert_int_equal(ks_err_cca(t[i].e).return_code, t[i].rc);
        assert_int_equal(ks_err_cca(t[i].e).reason_code, t[i].rs);
    }
    assert_int_equal(ks_map_rc(MDB_NOTFOUND), KS_NOT_FOUND);
    assert_int_equal(ks_map_rc(MDB_KEYEXIST), KS_EXISTS);
    assert_int_equal(ks_map_rc(EIO), KS_IO);
    assert_int_equal(ks_map_rc(KS_BODY(KS_NOT_NULL)), KS_NOT_NULL);
}

static void test_list_format(void **state)
{
    (void)state;
    uint8_t line[154], pat[KS_LABEL_LEN];
    mk_label(pat, "A.*");
    ks_list_header(line, KS_DES, pat, 12, 0);
    assert_memory_equal(line, "DES KEY-RECORD-LIST", 19);
    assert_memory_equal(line + 50, "12    ", 6);
    assert_memory_equal(line + 58, "154 154 ", 8);
    assert_memory_equal(line + 75, "\r\n", 2);
    assert_memory_equal(line + 77, pat, 64);
    assert_memory_equal(line + 152, "\r\n", 2);
    assert_int_equal(line[24], ' ');
    assert_int_equal(line[30], '-'); /* ccyy-mm-dd at 26 */
    static struct ks_record r;
    mk_label(r.label, "A.B");
    r.created = 86400;
    r.updated = 86400 * 2;
    ks_list_detail(line, &r, true, "DATA", "INTERNAL", "ABCD");
    assert_int_equal(line[0], ' ');
    assert_memory_equal(line + 3, r.label, 64);
    assert_memory_equal(line + 67, "DATA    ", 8);
    assert_memory_equal(line + 75, "\r\n", 2);
    assert_memory_equal(line + 77, "ABCD", 4);
    assert_memory_equal(line + 133, "INTERNAL", 8);
    assert_memory_equal(line + 152, "\r\n", 2);
    ks_list_detail(line, &r, false, "DATA", "INTERNAL", "ABCD");
    assert_int_equal(line[0], '*');
    assert_memory_equal(line + 67, "ERROR   ", 8);
}

static char dir[] = "/tmp/ks_unit_XXXXXX";

static void set_paths(void)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/aes.key", dir);
    setenv("CSUAESDS", p, 1);
    setenv("CSUAESLD", dir, 1);
    ks_close_all();
}

static void test_store_basics(void **state)
{
    (void)state;
    set_paths();
    uint8_t l[KS_LABEL_LEN], tok[64], out[256];
    size_t n = 0;
    mk_label(l, "K.ONE");
    memset(tok, 0x11, sizeof(tok));
    tok[0] = 1;
    assert_int_equal(ks_read(KS_AES, l, out, sizeof(out), &n), KS_NOT_INIT);
    uint8_t vp[8] = {1, 2, 3, 4, 5, 6, 7, 8}, vp2[8];
    assert_int_equal(ks_init(KS_AES, vp), KS_OK);
    uint32_t ver = 0;
    assert_int_equal(ks_header(KS_AES, vp2, &ver), KS_OK);
    assert_memory_equal(vp, vp2, 8);
    assert_int_equal(ver, KS_FORMAT_VERSION);
    assert_int_equal(ks_read(KS_AES, l, out, sizeof(out), &n), KS_NOT_FOUND);
    assert_int_equal(ks_create(KS_AES, l, NULL, 0), KS_OK);
    assert_int_equal(ks_create(KS_AES, l, NULL, 0), KS_EXISTS);
    assert_int_equal(ks_read(KS_AES, l, out, sizeof(out), &n), KS_OK);
    assert_int_equal(n, 0);
    assert_int_equal(ks_write(KS_AES, l, tok, 64, true), KS_OK);
    assert_int_equal(ks_write(KS_AES, l, tok, 64, true), KS_NOT_NULL);
    assert_int_equal(ks_read(KS_AES, l, out, sizeof(out), &n), KS_OK);
    assert_int_equal(n, 64);
    assert_memory_equal(out, tok, 64);
    assert_int_equal(ks_read(KS_AES, l, out, 10, &n), KS_LENGTH);
    char path[512];
    size_t count = 0;
    uint8_t pat[KS_LABEL_LEN];
    mk_label(pat, "K.*");
    assert_int_equal(ks_list(KS_AES, pat, NULL, path, sizeof(path), &count), KS_OK);
    assert_int_equal(count, 1);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t buf[400];
    assert_int_equal(fread(buf, 1, sizeof(buf), f), 308);
    fclose(f);
    assert_memory_equal(buf + 154 + 3, l, 64);
    mk_label(pat, "Z*");
    assert_int_equal(ks_list(KS_AES, pat, NULL, path, sizeof(path), &count), KS_NO_MATCH);
    assert_int_equal(ks_delete(KS_AES, l, false), KS_OK); /* TOKEN-DL */
    assert_int_equal(ks_read(KS_AES, l, out, sizeof(out), &n), KS_OK);
    assert_int_equal(n, 0);
    mk_label(pat, "K*");
    assert_int_equal(ks_delete_matching(KS_AES, pat, true, &count), KS_NO_MATCH);
    mk_label(pat, "K.*");
    assert_int_equal(ks_delete_matching(KS_AES, pat, true, &count), KS_OK);
    assert_int_equal(count, 1);
    assert_int_equal(ks_read(KS_AES, l, out, sizeof(out), &n), KS_NOT_FOUND);
    mk_label(l, "9BAD");
    assert_int_equal(ks_create(KS_AES, l, NULL, 0), KS_LABEL);
}

/* A damaged record reads as 8/192 and lists with '*'. */
static void test_damaged_record(void **state)
{
    (void)state;
    set_paths();
    uint8_t l[KS_LABEL_LEN], tok[64], out[64];
    mk_label(l, "DMG");
    memset(tok, 0x22, 64);
    tok[0] = 1;
    assert_int_equal(ks_create(KS_AES, l, tok, 64), KS_OK);
    ks_close_all();
    MDB_env *env;
    MDB_dbi dbi;
    MDB_txn *t;
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 2);
    assert_int_equal(mdb_env_open(env, getenv("CSUAESDS"), MDB_NOSUBDIR, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &t), 0);
    assert_int_equal(mdb_dbi_open(t, "records", 0, &dbi), 0);
    MDB_val k = {64, l}, v;
    assert_int_equal(mdb_get(t, dbi, &k, &v), 0);
    uint8_t copy[256];
    memcpy(copy, v.mv_data, v.mv_size);
    copy[KS_REC_HDR + 5] ^= 1;
    MDB_val nv = {v.mv_size, copy};
    assert_int_equal(mdb_put(t, dbi, &k, &nv, 0), 0);
    assert_int_equal(mdb_txn_commit(t), 0);
    mdb_env_close(env);
    setenv("CSUCACHE", "N", 1);
    ks_close_all();
    size_t n;
    assert_int_equal(ks_read(KS_AES, l, out, sizeof(out), &n), KS_BAD_RECORD);
    assert_int_equal(ks_err_cca(KS_BAD_RECORD).reason_code, 192);
    unsetenv("CSUCACHE");
    ks_close_all();
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_syntax),  cmocka_unit_test(test_patterns),
        cmocka_unit_test(test_record_codec),  cmocka_unit_test(test_error_table),
        cmocka_unit_test(test_list_format),   cmocka_unit_test(test_store_basics),
        cmocka_unit_test(test_damaged_record),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
