/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the card's context table (card/card_ctx.c) with a small
 * table and an injected clock: store / checkout / checkin / drop, one use
 * per vector, LRU eviction when full, idle expiry, every entry busy,
 * kind and variant binding, vectors of another table, objects freed exactly
 * once, and the 8/2036 reply mapping.
 */
#include <setjmp.h> /* cmocka needs these three first */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <string.h>

#include "card_ctx.h"

static uint64_t fake_now;
static uint64_t fake_clock(void)
{
    return fake_now;
}

static int freed;
static int objs[16];
static void count_free(void *obj)
{
    assert_true((int *)obj >= objs && (int *)obj < objs + 16);
    freed++;
}

static struct card_ctx_table *small_table(unsigned max, unsigned idle)
{
    struct card_ctx_limits lim = {.max_entries = max, .idle_seconds = idle, .now = fake_clock};
    struct card_ctx_table *t = NULL;
    assert_int_equal(card_ctx_table_new(&lim, NULL, &t), CSU_OK);
    return t;
}

static void store(struct card_ctx_table *t, int i, uint8_t tok[CARD_CTX_TOKEN_LEN])
{
    assert_int_equal(card_ctx_store(t, NULL, CARD_CTX_KIND_HASH, 7, &objs[i], count_free, tok), CARD_CTX_OK);
}

static enum card_ctx_status checkout(struct card_ctx_table *t, const uint8_t *tok, struct card_ctx_lease *l)
{
    return card_ctx_checkout(t, CARD_CTX_KIND_HASH, 7, tok, CARD_CTX_TOKEN_LEN, l);
}

static int setup(void **state)
{
    (void)state;
    fake_now = 1000;
    freed = 0;
    return 0;
}

static void test_life_cycle(void **state)
{
    (void)state;
    struct card_ctx_table *t = small_table(4, 10);
    uint8_t t1[CARD_CTX_TOKEN_LEN], t2[CARD_CTX_TOKEN_LEN];
    struct card_ctx_lease l;
    store(t, 0, t1);
    assert_int_equal(card_ctx_count(t), 1);
    assert_int_equal(checkout(t, t1, &l), CARD_CTX_OK);
    assert_ptr_equal(l.obj, &objs[0]);
    /* Checked out: the same vector cannot be used by a second call. */
    struct card_ctx_lease l2;
    assert_int_equal(checkout(t, t1, &l2), CARD_CTX_INVALID);
    assert_int_equal(card_ctx_checkin(t, &l, t2), CARD_CTX_OK);
    assert_memory_not_equal(t1, t2, CARD_CTX_TOKEN_LEN);
    assert_int_equal(checkout(t, t1, &l), CARD_CTX_INVALID); /* replay of the previous vector */
    assert_int_equal(checkout(t, t2, &l), CARD_CTX_OK);
    card_ctx_drop(t, &l);
    assert_int_equal(freed, 1);
    assert_int_equal(card_ctx_count(t), 0);
    assert_int_equal(checkout(t, t2, &l), CARD_CTX_INVALID); /* finished */
    card_ctx_table_free(t);
    assert_int_equal(freed, 1);
}

static void test_binding(void **state)
{
    (void)state;
    struct card_ctx_table *t = small_table(4, 10), *other = small_table(4, 10);
    uint8_t tok[CARD_CTX_TOKEN_LEN], bad[CARD_CTX_TOKEN_LEN];
    struct card_ctx_lease l;
    store(t, 0, tok);
    assert_int_equal(card_ctx_checkout(t, CARD_CTX_KIND_HMAC, 7, tok, sizeof(tok), &l), CARD_CTX_INVALID);
    assert_int_equal(card_ctx_checkout(t, CARD_CTX_KIND_HASH, 8, tok, sizeof(tok), &l), CARD_CTX_INVALID);
    assert_int_equal(card_ctx_checkout(t, CARD_CTX_KIND_HASH, 7, tok, sizeof(tok) - 1, &l), CARD_CTX_INVALID);
    assert_int_equal(card_ctx_checkout(t, CARD_CTX_KIND_HASH, 7, NULL, 0, &l), CARD_CTX_INVALID);
    /* Another table (another card start) with an entry in the same slot. */
    uint8_t tok_other[CARD_CTX_TOKEN_LEN];
    store(other, 1, tok_other);
    assert_int_equal(checkout(other, tok, &l), CARD_CTX_INVALID);
    assert_int_equal(checkout(t, tok_other, &l), CARD_CTX_INVALID);
    /* Every bit of the sealed part matters. */
    for (size_t i = 0; i < CARD_CTX_TOKEN_LEN * 8; i++) {
        memcpy(bad, tok, sizeof(bad));
        bad[i / 8] ^= (uint8_t)(1u << (i % 8));
        assert_int_equal(checkout(t, bad, &l), CARD_CTX_INVALID);
    }
    assert_int_equal(checkout(t, tok, &l), CARD_CTX_OK);
    card_ctx_drop(t, &l);
    card_ctx_table_free(t);
    card_ctx_table_free(other);
    assert_int_equal(freed, 2); /* other's entry freed with its table */
}

static void test_lru_eviction(void **state)
{
    (void)state;
    struct card_ctx_table *t = small_table(3, 100);
    uint8_t tok[4][CARD_CTX_TOKEN_LEN];
    struct card_ctx_lease l;
    for (int i = 0; i < 3; i++) {
        store(t, i, tok[i]);
        fake_now++;
    }
    /* Use entry 0 again: entry 1 becomes the least recently used. */
    assert_int_equal(checkout(t, tok[0], &l), CARD_CTX_OK);
    assert_int_equal(card_ctx_checkin(t, &l, tok[0]), CARD_CTX_OK);
    store(t, 3, tok[3]);
    assert_int_equal(freed, 1);
    assert_int_equal(card_ctx_count(t), 3);
    assert_int_equal(checkout(t, tok[1], &l), CARD_CTX_INVALID);
    for (int i = 0; i < 4; i += (i == 0 ? 2 : 1)) { /* 0, 2, 3 live */
        assert_int_equal(checkout(t, tok[i], &l), CARD_CTX_OK);
        card_ctx_drop(t, &l);
    }
    assert_int_equal(freed, 4);
    card_ctx_table_free(t);
}

static void test_idle_expiry(void **state)
{
    (void)state;
    struct card_ctx_table *t = small_table(8, 10);
    uint8_t a[CARD_CTX_TOKEN_LEN], b[CARD_CTX_TOKEN_LEN];
    struct card_ctx_lease l;
    store(t, 0, a);
    fake_now += 6;
    store(t, 1, b);
    fake_now += 5; /* a idle 11 s, b 5 s */
    assert_int_equal(checkout(t, a, &l), CARD_CTX_INVALID);
    assert_int_equal(freed, 1);
    assert_int_equal(checkout(t, b, &l), CARD_CTX_OK);
    fake_now += 60; /* a checked-out entry never expires under its user */
    uint8_t c[CARD_CTX_TOKEN_LEN];
    store(t, 2, c);
    assert_int_equal(card_ctx_checkin(t, &l, b), CARD_CTX_OK);
    assert_int_equal(card_ctx_count(t), 2);
    fake_now += 11;
    store(t, 3, a); /* sweeps both idle ones */
    assert_int_equal(card_ctx_count(t), 1);
    assert_int_equal(freed, 3);
    card_ctx_table_free(t);
    assert_int_equal(freed, 4);
}

static void test_all_busy(void **state)
{
    (void)state;
    struct card_ctx_table *t = small_table(2, 10);
    uint8_t a[CARD_CTX_TOKEN_LEN], b[CARD_CTX_TOKEN_LEN], c[CARD_CTX_TOKEN_LEN];
    struct card_ctx_lease la, lb;
    store(t, 0, a);
    store(t, 1, b);
    assert_int_equal(checkout(t, a, &la), CARD_CTX_OK);
    assert_int_equal(checkout(t, b, &lb), CARD_CTX_OK);
    assert_int_equal(card_ctx_store(t, NULL, CARD_CTX_KIND_HASH, 7, &objs[2], count_free, c), CARD_CTX_NOMEM);
    assert_int_equal(freed, 0); /* the caller keeps its object on failure */
    card_ctx_drop(t, &la);
    store(t, 2, c);
    card_ctx_table_free(t); /* frees the idle one and the one still checked out */
    assert_int_equal(freed, 3);
}

static void test_reply_mapping(void **state)
{
    (void)state;
    assert_int_equal(card_ctx_reply(CARD_CTX_INVALID), CSU_E_CHAIN_VECTOR);
    struct csu_cca_code c = csu_err_to_cca(CSU_E_CHAIN_VECTOR);
    assert_int_equal(c.return_code, 8);
    assert_int_equal(c.reason_code, 2036);
    assert_int_equal(card_ctx_reply(CARD_CTX_NOMEM), CSU_E_NOMEM);
    assert_int_equal(card_ctx_reply(CARD_CTX_CRYPTO), CSU_E_CRYPTO);
    assert_int_equal(card_ctx_reply(CARD_CTX_OK), CSU_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_life_cycle, setup),   cmocka_unit_test_setup(test_binding, setup),
        cmocka_unit_test_setup(test_lru_eviction, setup), cmocka_unit_test_setup(test_idle_expiry, setup),
        cmocka_unit_test_setup(test_all_busy, setup),     cmocka_unit_test_setup(test_reply_mapping, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
