/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The card's persistent state, one small text file "card.state" in the
 * state directory.  Saved the way swtpm saves TPM state: temporary file,
 * fsync, rename over the old one, fsync of the directory, so that a crash
 * at any instant leaves the old or the new state and never a mix.
 *
 * The master-key registers are written as "mk.S.R=hex" lines, but only
 * inside the sealed line "mkseal=hex" (card_seal.h: AES-256-GCM under the
 * card's device key, bound to the serial number); version 2.  A version 1
 * file (registers in the clear) still loads and is rewritten sealed at once.
 */
#include "card_internal.h"
#include "card_mk.h"
#include "card_seal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>


#define STATE_FILE "card.state"
#define STATE_MAX 4096
#define MK_TEXT_MAX 1536 /* the registers' lines: 4 sets x (state + 3 x 64 hex digits) */
#define SEAL_AAD "csucard master keys v2 serial="

void card_state_reset(struct card_state *st)
{
    char serial[CARD_SERIAL_LEN + 1];
    memcpy(serial, st->serial, sizeof(serial)); /* the serial number survives re-initialisation */
    OPENSSL_cleanse(st, sizeof(*st));
    memcpy(st->serial, serial, sizeof(serial));
    for (int set = 0; set < MK_SET_COUNT; set++) {
        st->mk[set].nmk_state = NMK_EMPTY;
        card_mk_register_changed(&st->mk[set], (enum mk_set)set);
    }
    memset(st->eid, ' ', CARD_EID_LEN);
}

/* "EM" and six digits, from the card's randomness. */
static csu_err new_serial(char out[CARD_SERIAL_LEN + 1])
{
    uint8_t r[6];
    if (RAND_bytes(r, sizeof(r)) != 1)
        return CSU_E_CRYPTO;
    snprintf(out, CARD_SERIAL_LEN + 1, "EM%c%c%c%c%c%c", '0' + r[0] % 10, '0' + r[1] % 10, '0' + r[2] % 10,
             '0' + r[3] % 10, '0' + r[4] % 10, '0' + r[5] % 10);
    return CSU_OK;
}

static void state_path(const char *dir, const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", dir, name);
}

/* Copy a value of exactly @p want printable characters, or fail. */
static bool take_text(const char *value, char *dst, size_t want)
{
    if (strlen(value) != want)
        return false;
    for (size_t i = 0; i < want; i++)
        if (value[i] < 0x20 || value[i] > 0x7e)
            return false;
    memcpy(dst, value, want);
    dst[want] = '\0';
    return true;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Exactly @p n bytes of lower-case hex. */
static bool take_hex(const char *value, uint8_t *dst, size_t n)
{
    if (strlen(value) != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int hi = hex_value(value[2 * i]), lo = hex_value(value[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        dst[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

/* "mk.S.R=..." lines: S the set (0-3), R nmk_state, nmk, cmk or omk. */
static bool parse_mk_line(const char *key, const char *value, struct card_state *st)
{
    if (strlen(key) < 5 || key[3] < '0' || key[3] > '3' || key[4] != '.')
        return false;
    enum mk_set set = (enum mk_set)(key[3] - '0');
    struct card_mk_set *m = &st->mk[set];
    const char *reg = key + 5;
    size_t len = mk_set_length(set);
    if (strcmp(reg, "nmk_state") == 0) {
        if (strlen(value) != 1 || value[0] < '1' || value[0] > '3')
            return false;
        m->nmk_state = (uint8_t)(value[0] - '0');
        return true;
    }
    if (strcmp(reg, "nmk") == 0)
        return take_hex(value, m->nmk, len);
    if (strcmp(reg, "cmk") == 0)
        return (m->cmk_valid = take_hex(value, m->cmk, len));
    if (strcmp(reg, "omk") == 0)
        return (m->omk_valid = take_hex(value, m->omk, len));
    return false;
}

/* What a state file says beyond struct card_state. */
struct parsed {
    const char *seal;  /* the hex of "mkseal=" (version 2), in the text */
    bool clear_mk;     /* registers in the clear ("mk." lines, version 1): seal them */
};

static bool parse_line(char *line, struct card_state *st, struct parsed *p)
{
    char *eq = strchr(line, '=');
    if (!eq)
        return false;
    *eq = '\0';
    const char *key = line, *value = eq + 1;
    char *end;
    if (strncmp(key, "mk.", 3) == 0) {
        p->clear_mk = true;
        return parse_mk_line(key, value, st);
    }
    if (strcmp(key, "mkseal") == 0) {
        p->seal = value;
        return true;
    }
    if (strcmp(key, "version") == 0)
        return strcmp(value, "1") == 0 || strcmp(value, "2") == 0;
    if (strcmp(key, "serial") == 0)
        return take_text(value, st->serial, CARD_SERIAL_LEN);
    if (strcmp(key, "eid") == 0)
        return take_text(value, st->eid, CARD_EID_LEN);
    if (strcmp(key, "clock_offset") == 0) {
        errno = 0;
        st->clock_offset = strtoll(value, &end, 10);
        /* SETCLOCK only sets years 1970-9999: anything beyond is a damaged file. */
        return errno == 0 && *end == '\0' && end != value && st->clock_offset > -CARD_MAX_CLOCK_OFFSET &&
               st->clock_offset < CARD_MAX_CLOCK_OFFSET;
    }
    if (strcmp(key, "intrusion_latch") == 0 || strcmp(key, "battery_low") == 0) {
        if (strcmp(value, "0") != 0 && strcmp(value, "1") != 0)
            return false;
        *(key[0] == 'i' ? &st->intrusion_latch : &st->battery_low) = value[0] == '1';
        return true;
    }
    return true; /* keys of later versions are ignored */
}

/* The sealed registers' associated data: the card they belong to. */
static size_t seal_aad(const struct card_state *st, char out[sizeof(SEAL_AAD) + CARD_SERIAL_LEN])
{
    return (size_t)snprintf(out, sizeof(SEAL_AAD) + CARD_SERIAL_LEN, "%s%s", SEAL_AAD, st->serial);
}

/* Open "mkseal=" and read the register lines inside it. */
static csu_err open_master_keys(const char *dir, const char *hex, struct card_state *st)
{
    uint8_t sealed[MK_TEXT_MAX + CARD_SEAL_OVERHEAD];
    char text[MK_TEXT_MAX + 1], aad[sizeof(SEAL_AAD) + CARD_SERIAL_LEN];
    size_t len = strlen(hex) / 2;
    if (strlen(hex) % 2 != 0 || len < CARD_SEAL_OVERHEAD || len > sizeof(sealed) || !take_hex(hex, sealed, len))
        return CSU_E_INTERNAL;
    csu_err err = card_unseal(dir, (const uint8_t *)aad, seal_aad(st, aad), sealed, len, (uint8_t *)text);
    size_t text_len = len - CARD_SEAL_OVERHEAD;
    text[text_len] = '\0';
    struct parsed inner = {0};
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); err == CSU_OK && line;
         line = strtok_r(NULL, "\n", &save))
        if (strncmp(line, "mk.", 3) != 0 || !parse_line(line, st, &inner))
            err = CSU_E_INTERNAL;
    OPENSSL_cleanse(text, sizeof(text));
    return err;
}

static csu_err parse_state(const char *dir, char *text, struct card_state *st, struct parsed *p)
{
    bool have_serial = false, ok = true;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); ok && line; line = strtok_r(NULL, "\n", &save)) {
        ok = parse_line(line, st, p);
        have_serial |= strncmp(line, "serial", 7) == 0;
    }
    csu_err err = ok && have_serial ? CSU_OK : CSU_E_INTERNAL;
    if (err == CSU_OK && p->seal)
        err = open_master_keys(dir, p->seal, st);
    for (int set = 0; set < MK_SET_COUNT; set++) /* the registers were written behind card_mk's back */
        card_mk_register_changed(&st->mk[set], (enum mk_set)set);
    return err;
}

csu_err card_state_load(const char *dir, struct card_state *st)
{
    *st = (struct card_state){0};
    card_state_reset(st);
    char path[4096];
    state_path(dir, STATE_FILE, path, sizeof(path));
    FILE *f = fopen(path, "re");
    if (!f) {
        if (errno != ENOENT)
            return CSU_E_DEV_NAME;
        csu_err err = new_serial(st->serial); /* first start: a new card */
        return err == CSU_OK ? card_state_save(dir, st) : err;
    }
    char text[STATE_MAX + 1];
    size_t n = fread(text, 1, STATE_MAX + 1, f);
    fclose(f);
    if (n > STATE_MAX)
        return CSU_E_INTERNAL;
    text[n] = '\0';
    struct parsed p = {0};
    csu_err err = parse_state(dir, text, st, &p);
    OPENSSL_cleanse(text, sizeof(text));
    if (err == CSU_OK && p.clear_mk) /* a version 1 file: seal its registers now */
        err = card_state_save(dir, st);
    if (err != CSU_OK)
        OPENSSL_cleanse(st, sizeof(*st));
    return err;
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Append "mk.S.NAME=hex" for one register. */
static int put_register(char *out, size_t cap, int set, const char *name, const uint8_t *key, size_t len)
{
    int n = snprintf(out, cap, "mk.%d.%s=", set, name);
    for (size_t i = 0; n >= 0 && (size_t)n + 3 < cap && i < len; i++)
        n += snprintf(out + n, cap - (size_t)n, "%02x", key[i]);
    return n + snprintf(out + n, cap - (size_t)n, "\n");
}

static int put_master_keys(char *out, size_t cap, const struct card_state *st)
{
    int n = 0;
    for (int set = 0; set < MK_SET_COUNT && (size_t)n < cap; set++) {
        const struct card_mk_set *m = &st->mk[set];
        size_t len = mk_set_length((enum mk_set)set);
        int state = m->nmk_state ? m->nmk_state : NMK_EMPTY;
        n += snprintf(out + n, cap - (size_t)n, "mk.%d.nmk_state=%d\n", set, state);
        if (state != NMK_EMPTY && (size_t)n < cap)
            n += put_register(out + n, cap - (size_t)n, set, "nmk", m->nmk, len);
        if (m->cmk_valid && (size_t)n < cap)
            n += put_register(out + n, cap - (size_t)n, set, "cmk", m->cmk, len);
        if (m->omk_valid && (size_t)n < cap)
            n += put_register(out + n, cap - (size_t)n, set, "omk", m->omk, len);
    }
    return n;
}

/* "mkseal=hex\n": the register lines sealed under the device key; -1 when they cannot be. */
static int put_sealed_master_keys(const char *dir, char *out, size_t cap, const struct card_state *st)
{
    char mk[MK_TEXT_MAX], aad[sizeof(SEAL_AAD) + CARD_SERIAL_LEN];
    uint8_t sealed[MK_TEXT_MAX + CARD_SEAL_OVERHEAD];
    int len = put_master_keys(mk, sizeof(mk), st);
    bool ok = len > 0 && (size_t)len < sizeof(mk) &&
              card_seal(dir, (const uint8_t *)aad, seal_aad(st, aad), (const uint8_t *)mk, (size_t)len, sealed) ==
                  CSU_OK;
    OPENSSL_cleanse(mk, sizeof(mk));
    size_t total = ok ? (size_t)len + CARD_SEAL_OVERHEAD : 0;
    int n = ok ? snprintf(out, cap, "mkseal=") : -1;
    for (size_t i = 0; ok && i < total && (size_t)n + 3 < cap; i++)
        n += snprintf(out + n, cap - (size_t)n, "%02x", sealed[i]);
    if (ok && (size_t)n < cap)
        n += snprintf(out + n, cap - (size_t)n, "\n");
    return ok ? n : -1;
}

csu_err card_state_save(const char *dir, const struct card_state *st)
{
    /* every register change is saved: a writer that forgot card_mk_register_changed fails here, loudly */
    if (!card_mk_patterns_ok(st))
        return CSU_E_INTERNAL;
    char text[STATE_MAX];
    int n = snprintf(text, sizeof(text),
                     "version=2\nserial=%s\nclock_offset=%" PRId64 "\neid=%s\nintrusion_latch=%d\nbattery_low=%d\n",
                     st->serial, st->clock_offset, st->eid, st->intrusion_latch, st->battery_low);
    if (n > 0 && (size_t)n < sizeof(text)) {
        int sealed = put_sealed_master_keys(dir, text + n, sizeof(text) - (size_t)n, st);
        n = sealed < 0 ? -1 : n + sealed;
    }
    if (n < 0 || (size_t)n >= sizeof(text)) {
        OPENSSL_cleanse(text, sizeof(text));
        return CSU_E_INTERNAL;
    }
    char tmp[4096], path[4096];
    state_path(dir, STATE_FILE ".tmp", tmp, sizeof(tmp));
    state_path(dir, STATE_FILE, path, sizeof(path));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        OPENSSL_cleanse(text, sizeof(text));
        return CSU_E_DEV_NAME;
    }
    bool ok = write_all(fd, text, (size_t)n) && fsync(fd) == 0;
    OPENSSL_cleanse(text, sizeof(text));
    ok = (close(fd) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return CSU_E_INTERNAL;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return CSU_OK;
}
