/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of table-driven rule-array parsing (csu/csu_rules.c) and of the
 * csu_err -> CCA code table those results end in (csu/csu_err.c).
 *
 * Covers: the count range (8/35: negative, 0 when the minimum is 1, above
 * the maximum), unknown keywords (8/33), conflicts (8/34: two of a group,
 * one keyword twice), a missing required group (8/129), NUL-filled and
 * lower-case keywords accepted, NULL rules with a count (8/184), and the
 * result (present groups and their values).
 */
#include <setjmp.h> /* cmocka needs these three first */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <limits.h>
#include <string.h>

#include "csu_err.h"
#include "csu_rules.h"

enum { G_FORM = 0, G_MODE = 1, G_EXTRA = 2 };

static const struct csu_keyword words[] = {
    {"ALPHA", G_FORM, 11},   {"BETA", G_FORM, 12},  {"GAMMA", G_MODE, 21},
    {"DELTA", G_MODE, 22},   {"LONGWORD", G_EXTRA, 31}, /* a full 8-character keyword */
    {"RT-KRD", G_EXTRA, 32}, /* punctuation is compared as is */
};

/* One to three keywords; group 0 required. */
static const struct csu_rule_spec spec = {words, sizeof(words) / sizeof(words[0]), 1, 3, 1u << G_FORM};
/* Zero to two keywords; nothing required. */
static const struct csu_rule_spec optional = {words, sizeof(words) / sizeof(words[0]), 0, 2, 0};

/* Build a rule array of blank-padded keywords. */
static void rules_of(uint8_t *out, int n, const char *const *list)
{
    for (int i = 0; i < n; i++)
        csu_rules_put_word(out + 8 * i, list[i]);
}

static csu_err parse(const struct csu_rule_spec *s, int n, const char *const *list, struct csu_rule_result *r)
{
    uint8_t buf[8 * 8];
    rules_of(buf, n, list);
    return csu_rules_parse(s, n, buf, r);
}

static void expect_code(csu_err err, long rc, long rs)
{
    struct csu_cca_code c = csu_err_to_cca(err);
    assert_int_equal(c.return_code, rc);
    assert_int_equal(c.reason_code, rs);
}

static void test_accepts(void **state)
{
    (void)state;
    struct csu_rule_result r;
    const char *one[] = {"ALPHA"};
    assert_int_equal(parse(&spec, 1, one, &r), CSU_OK);
    assert_int_equal(r.present, 1u << G_FORM);
    assert_int_equal(r.value[G_FORM], 11);
    assert_int_equal(csu_rules_value(&r, G_FORM, 99), 11);
    assert_int_equal(csu_rules_value(&r, G_MODE, 99), 99); /* absent: the default */

    const char *three[] = {"DELTA", "LONGWORD", "BETA"}; /* order does not matter */
    assert_int_equal(parse(&spec, 3, three, &r), CSU_OK);
    assert_int_equal(r.present, (1u << G_FORM) | (1u << G_MODE) | (1u << G_EXTRA));
    assert_int_equal(r.value[G_FORM], 12);
    assert_int_equal(r.value[G_MODE], 22);
    assert_int_equal(r.value[G_EXTRA], 31);

    const char *punct[] = {"RT-KRD", "ALPHA"};
    assert_int_equal(parse(&spec, 2, punct, &r), CSU_OK);
    assert_int_equal(r.value[G_EXTRA], 32);

    /* count 0 where the verb allows it: rules may then be NULL */
    assert_int_equal(csu_rules_parse(&optional, 0, NULL, &r), CSU_OK);
    assert_int_equal(r.present, 0);
}

static void test_count(void **state)
{
    (void)state;
    struct csu_rule_result r;
    const char *list[] = {"ALPHA", "GAMMA", "LONGWORD", "BETA"};
    uint8_t buf[8 * 4];
    rules_of(buf, 4, list);
    static const long bad_counts[] = {-1, -8, LONG_MIN, 0, 4, 5, 65, LONG_MAX};
    for (size_t i = 0; i < sizeof(bad_counts) / sizeof(bad_counts[0]); i++) {
        memset(&r, 0xee, sizeof(r));
        assert_int_equal(csu_rules_parse(&spec, bad_counts[i], buf, &r), CSU_E_RULE_COUNT);
        assert_int_equal(r.present, 0); /* result cleared on failure */
        assert_int_equal(csu_rules_check_count(&spec, bad_counts[i]), CSU_E_RULE_COUNT);
    }
    /* the count is checked before the pointer */
    assert_int_equal(csu_rules_parse(&spec, -1, NULL, &r), CSU_E_RULE_COUNT);
    assert_int_equal(csu_rules_parse(&spec, 0, NULL, &r), CSU_E_RULE_COUNT);
    assert_int_equal(csu_rules_parse(&optional, 3, buf, &r), CSU_E_RULE_COUNT);
    assert_int_equal(csu_rules_parse(&optional, -1, buf, &r), CSU_E_RULE_COUNT);
    for (long n = 1; n <= 3; n++)
        assert_int_equal(csu_rules_check_count(&spec, n), CSU_OK);
    assert_int_equal(csu_rules_check_count(&optional, 0), CSU_OK);
    expect_code(CSU_E_RULE_COUNT, 8, 35);
}

static void test_unknown_keyword(void **state)
{
    (void)state;
    struct csu_rule_result r;
    static const char *const unknown[][2] = {
        {"ALPHA", "EPSILON"}, /* unknown second */
        {"ALPH", "GAMMA"},    /* prefix of a keyword */
        {"ALPHAX", "GAMMA"},  /* keyword with a suffix */
        {"LONGWORX", "ALPHA"},
        {" ALPHA", "GAMMA"},  /* leading blank */
        {"", "ALPHA"},        /* all blanks */
    };
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        const char *list[] = {unknown[i][0], unknown[i][1]};
        assert_int_equal(parse(&spec, 2, list, &r), CSU_E_RULE_KEYWORD);
    }
    /* bytes after a NUL still count: "ALPHA\0X\0" is not ALPHA */
    uint8_t raw[8] = {'A', 'L', 'P', 'H', 'A', 0, 'X', 0};
    assert_int_equal(csu_rules_parse(&spec, 1, raw, &r), CSU_E_RULE_KEYWORD);
    /* a non-ASCII byte */
    uint8_t high[8] = {'A', 'L', 'P', 'H', 0xc1, ' ', ' ', ' '};
    assert_int_equal(csu_rules_parse(&spec, 1, high, &r), CSU_E_RULE_KEYWORD);
    expect_code(CSU_E_RULE_KEYWORD, 8, 33);
}

static void test_conflict(void **state)
{
    (void)state;
    struct csu_rule_result r;
    const char *two_of_group[] = {"ALPHA", "BETA"};
    assert_int_equal(parse(&spec, 2, two_of_group, &r), CSU_E_RULE_CONFLICT);
    const char *twice[] = {"ALPHA", "ALPHA"};
    assert_int_equal(parse(&spec, 2, twice, &r), CSU_E_RULE_CONFLICT);
    const char *late[] = {"GAMMA", "ALPHA", "DELTA"};
    assert_int_equal(parse(&spec, 3, late, &r), CSU_E_RULE_CONFLICT);
    /* the same keyword in two spellings is still twice */
    uint8_t buf[16];
    memcpy(buf, "ALPHA   ", 8);
    memcpy(buf + 8, "alpha\0\0\0", 8);
    assert_int_equal(csu_rules_parse(&spec, 2, buf, &r), CSU_E_RULE_CONFLICT);
    expect_code(CSU_E_RULE_CONFLICT, 8, 34);
}

static void test_missing(void **state)
{
    (void)state;
    struct csu_rule_result r;
    const char *no_form[] = {"GAMMA"};
    assert_int_equal(parse(&spec, 1, no_form, &r), CSU_E_RULE_MISSING);
    const char *no_form2[] = {"GAMMA", "LONGWORD"};
    assert_int_equal(parse(&spec, 2, no_form2, &r), CSU_E_RULE_MISSING);
    /* two required groups, one given */
    struct csu_rule_spec both = spec;
    both.required_groups = (1u << G_FORM) | (1u << G_MODE);
    const char *form_only[] = {"ALPHA"};
    assert_int_equal(parse(&both, 1, form_only, &r), CSU_E_RULE_MISSING);
    const char *full[] = {"ALPHA", "DELTA"};
    assert_int_equal(parse(&both, 2, full, &r), CSU_OK);
    expect_code(CSU_E_RULE_MISSING, 8, 129);
}

/* Clients send NUL-filled keywords and lower case; both match. */
static void test_spellings(void **state)
{
    (void)state;
    struct csu_rule_result r;
    static const uint8_t spellings[][8] = {
        {'A', 'L', 'P', 'H', 'A', 0, 0, 0},
        {'a', 'l', 'p', 'h', 'a', ' ', ' ', ' '},
        {'a', 'L', 'p', 'H', 'a', 0, ' ', 0}, /* mixed case, mixed padding */
        {'A', 'L', 'P', 'H', 'A', ' ', 0, ' '},
    };
    for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
        assert_int_equal(csu_rules_parse(&spec, 1, spellings[i], &r), CSU_OK);
        assert_int_equal(r.value[G_FORM], 11);
    }
    static const uint8_t longword[8] = {'l', 'o', 'n', 'g', 'w', 'o', 'r', 'd'};
    uint8_t two[16];
    memcpy(two, "BETA\0\0\0\0", 8);
    memcpy(two + 8, longword, 8);
    assert_int_equal(csu_rules_parse(&spec, 2, two, &r), CSU_OK);
    assert_int_equal(r.value[G_FORM], 12);
    assert_int_equal(r.value[G_EXTRA], 31);
    static const uint8_t rt[8] = {'r', 't', '-', 'k', 'r', 'd', 0, 0};
    memcpy(two + 8, rt, 8);
    assert_int_equal(csu_rules_parse(&spec, 2, two, &r), CSU_OK);
    assert_int_equal(r.value[G_EXTRA], 32);
}

static void test_null_rules(void **state)
{
    (void)state;
    struct csu_rule_result r;
    memset(&r, 0xee, sizeof(r));
    assert_int_equal(csu_rules_parse(&spec, 1, NULL, &r), CSU_E_NULL_POINTER);
    assert_int_equal(r.present, 0);
    assert_int_equal(csu_rules_parse(&optional, 2, NULL, &r), CSU_E_NULL_POINTER);
    expect_code(CSU_E_NULL_POINTER, 8, 184);
}

static void test_put_word(void **state)
{
    (void)state;
    uint8_t out[10];
    memset(out, 'Z', sizeof(out));
    csu_rules_put_word(out, "ODD");
    assert_memory_equal(out, "ODD     ZZ", 10);
    csu_rules_put_word(out, "");
    assert_memory_equal(out, "        ZZ", 10);
    csu_rules_put_word(out, "TOOLONGWORD"); /* cut at 8, never past */
    assert_memory_equal(out, "TOOLONGWZZ", 10);
}

/* Every internal error has a CCA pair and a text (return code 4 for the
 * CSU_W_* outcomes, 8 or more for errors); unknown values map to 16/336. */
static void test_err_table(void **state)
{
    (void)state;
    expect_code(CSU_OK, 0, 0);
    for (int e = 1; e < CSU_E_COUNT_; e++) {
        struct csu_cca_code c = csu_err_to_cca((csu_err)e);
        assert_true(c.return_code == 4 || c.return_code == 8 || c.return_code == 12 || c.return_code == 16);
        assert_true(c.reason_code > 0);
        assert_non_null(csu_strerror((csu_err)e));
        assert_true(strlen(csu_strerror((csu_err)e)) > 0);
    }
    expect_code(CSU_E_COUNT_, 16, 336);
    expect_code((csu_err)-1, 16, 336);
    expect_code(CSU_E_FRAME, 16, 556);
    expect_code(CSU_E_REPLY, 16, 337);
    expect_code(CSU_E_LENGTH, 8, 72);
    expect_code(CSU_E_CARD_FAILED, 12, 338);
    assert_string_equal(csu_strerror(CSU_E_COUNT_), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts),     cmocka_unit_test(test_count),    cmocka_unit_test(test_unknown_keyword),
        cmocka_unit_test(test_conflict),    cmocka_unit_test(test_missing),  cmocka_unit_test(test_spellings),
        cmocka_unit_test(test_null_rules),  cmocka_unit_test(test_put_word), cmocka_unit_test(test_err_table),
    };
    return cmocka_run_group_tests_name("rules", tests, NULL, NULL);
}
