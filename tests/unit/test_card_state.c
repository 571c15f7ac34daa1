/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the card state at rest (card_state.c, card_seal.c): the
 * master-key registers are saved sealed under the card's device key
 * (STATEDIR/bbram.key), never in the clear.
 *
 * Covers: a saved state holds no register in the clear (neither the key's
 * hex nor an "mk." line) and says version 2; bbram.key is 32 bytes, 0600;
 * the registers load back equal (current, old, new with its state); a
 * changed hex digit of the sealed line, a changed serial number (the seal
 * is bound to it), a missing or damaged bbram.key each make the load fail
 * (the state is left wiped) rather than come up with other master keys;
 * the key file restored, the state loads again; a version 1 file with its
 * registers in the clear loads and is rewritten sealed at once.
 */
#include <setjmp.h> /* cmocka needs these three first */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "card_mk.h"
#include "card_seal.h"

struct fixture {
    char dir[64];
    char state[128], key[128];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/csu-state-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->state, sizeof(f->state), "%s/card.state", f->dir);
    snprintf(f->key, sizeof(f->key), "%s/%s", f->dir, CARD_SEAL_KEY_FILE);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char path[160];
    static const char *const names[] = {"card.state", "card.state.tmp", CARD_SEAL_KEY_FILE, "bbram.key.tmp",
                                        "bbram.key.away"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", f->dir, names[i]);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static char *read_text(const char *path)
{
    static char text[8192];
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(text, 1, sizeof(text) - 1, fp);
    fclose(fp);
    text[n] = '\0';
    return text;
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

/* A state with AES current and old registers and an APKA new register (partly loaded). */
static void fill_registers(struct card_state *st)
{
    struct card_mk_set *aes = &st->mk[MK_AES], *apka = &st->mk[MK_APKA];
    memset(aes->cmk, 0x5a, 32);
    memset(aes->omk, 0xa5, 32);
    aes->cmk_valid = aes->omk_valid = true;
    memset(apka->nmk, 0x3c, 32);
    apka->nmk_state = NMK_PARTIAL;
    card_mk_register_changed(aes, MK_AES);
    card_mk_register_changed(apka, MK_APKA);
}

static void assert_registers(const struct card_state *st)
{
    uint8_t want[32];
    memset(want, 0x5a, 32);
    assert_true(st->mk[MK_AES].cmk_valid);
    assert_memory_equal(st->mk[MK_AES].cmk, want, 32);
    memset(want, 0xa5, 32);
    assert_true(st->mk[MK_AES].omk_valid);
    assert_memory_equal(st->mk[MK_AES].omk, want, 32);
    memset(want, 0x3c, 32);
    assert_int_equal(st->mk[MK_APKA].nmk_state, NMK_PARTIAL);
    assert_memory_equal(st->mk[MK_APKA].nmk, want, 32);
    assert_false(st->mk[MK_SYM].cmk_valid);
}

/* A fresh card, its registers filled and saved. */
static void saved_card(struct fixture *f, struct card_state *st)
{
    assert_int_equal(card_state_load(f->dir, st), CSU_OK); /* first start: new serial, saved */
    fill_registers(st);
    assert_int_equal(card_state_save(f->dir, st), CSU_OK);
}

static void test_no_register_in_the_clear(void **state)
{
    struct fixture *f = *state;
    struct card_state st;
    saved_card(f, &st);
    const char *text = read_text(f->state);
    char key_hex[65];
    hex(st.mk[MK_AES].cmk, 32, key_hex);
    assert_non_null(strstr(text, "version=2\n"));
    assert_non_null(strstr(text, "\nmkseal="));
    assert_null(strstr(text, "mk."));
    assert_null(strstr(text, key_hex));
    assert_null(strstr(text, "5a5a5a5a"));
    assert_null(strstr(text, "3c3c3c3c"));
    struct stat sb;
    assert_int_equal(stat(f->key, &sb), 0);
    assert_int_equal(sb.st_size, 32);
    assert_int_equal(sb.st_mode & 0777, 0600);

    struct card_state back;
    assert_int_equal(card_state_load(f->dir, &back), CSU_OK);
    assert_string_equal(back.serial, st.serial);
    assert_registers(&back);
}

/* Each damage makes the load fail and wipes what was read. */
static void assert_load_refused(struct fixture *f)
{
    struct card_state st;
    memset(&st, 0x77, sizeof(st));
    assert_int_not_equal(card_state_load(f->dir, &st), CSU_OK);
    assert_false(st.mk[MK_AES].cmk_valid);
    assert_int_equal(st.mk[MK_AES].cmk[0], 0);
}

static void test_damaged_seal_refused(void **state)
{
    struct fixture *f = *state;
    struct card_state st;
    saved_card(f, &st);
    char good[8192];
    snprintf(good, sizeof(good), "%s", read_text(f->state));
    char bad[8192];
    memcpy(bad, good, sizeof(bad));
    char *digit = strstr(bad, "mkseal=") + 7 + 40; /* inside the sealed registers */
    *digit = *digit == '0' ? '1' : '0';
    write_text(f->state, bad);
    assert_load_refused(f);

    memcpy(bad, good, sizeof(bad)); /* the seal is bound to the serial number */
    char *serial = strstr(bad, "serial=") + 7;
    *serial = *serial == '9' ? '8' : '9';
    write_text(f->state, bad);
    assert_load_refused(f);

    write_text(f->state, good);
    struct card_state back;
    assert_int_equal(card_state_load(f->dir, &back), CSU_OK);
    assert_registers(&back);
}

static void test_device_key_missing_or_damaged(void **state)
{
    struct fixture *f = *state;
    struct card_state st;
    saved_card(f, &st);
    char away[160];
    snprintf(away, sizeof(away), "%s/bbram.key.away", f->dir);
    assert_int_equal(rename(f->key, away), 0);
    assert_load_refused(f); /* gone (as after a zeroize): no master keys, and no new ones made up */

    write_text(f->key, "short");
    assert_load_refused(f);
    uint8_t other[32];
    memset(other, 0x42, sizeof(other));
    FILE *fp = fopen(f->key, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(other, 1, sizeof(other), fp), sizeof(other));
    fclose(fp);
    assert_load_refused(f); /* another device key */

    assert_int_equal(rename(away, f->key), 0);
    struct card_state back;
    assert_int_equal(card_state_load(f->dir, &back), CSU_OK);
    assert_registers(&back);
}

static void test_version1_sealed_on_load(void **state)
{
    struct fixture *f = *state;
    char text[1024], cmk[65];
    uint8_t key[32];
    memset(key, 0x5a, sizeof(key));
    hex(key, 32, cmk);
    snprintf(text, sizeof(text),
             "version=1\nserial=42000017\nclock_offset=0\neid=                \nintrusion_latch=0\nbattery_low=0\n"
             "mk.2.nmk_state=1\nmk.2.cmk=%s\n",
             cmk);
    write_text(f->state, text);
    struct card_state st;
    assert_int_equal(card_state_load(f->dir, &st), CSU_OK);
    assert_true(st.mk[MK_AES].cmk_valid);
    assert_memory_equal(st.mk[MK_AES].cmk, key, 32);
    const char *now = read_text(f->state);
    assert_non_null(strstr(now, "version=2\n"));
    assert_null(strstr(now, cmk));
    assert_null(strstr(now, "mk."));
    struct card_state back;
    assert_int_equal(card_state_load(f->dir, &back), CSU_OK);
    assert_string_equal(back.serial, "42000017");
    assert_memory_equal(back.mk[MK_AES].cmk, key, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_register_in_the_clear, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_seal_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_key_missing_or_damaged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version1_sealed_on_load, setup, teardown),
    };
    return cmocka_run_group_tests_name("card_state", tests, NULL, NULL);
}
