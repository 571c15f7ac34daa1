/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The card's persistent state, one small text file "card.state" in the
 * state directory.  Saved the way swtpm saves TPM state: temporary file,
 * fsync, rename over the old one, fsync of the directory, so that a crash
 * at any instant leaves the old or the new state and never a mix.
 */
#include "card_internal.h"
#include "card_mk.h"

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

static bool parse_line(char *line, struct card_state *st)
{
    char *eq = strchr(line, '=');
    if (!eq)
        return false;
    *eq = '\0';
    const char *key = line, *value = eq + 1;
    char *end;
    if (strncmp(key, "mk.", 3) == 0)
        return parse_mk_line(key, value, st);
    if (strcmp(key, "version") == 0)
        return strcmp(value, "1") == 0;
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

static csu_err parse_state(char *text, struct card_state *st)
{
    bool have_serial = false, ok = true;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); ok && line; line = strtok_r(NULL, "\n", &save)) {
        ok = parse_line(line, st);
        have_serial |= strncmp(line, "serial", 7) == 0;
    }
    for (int set = 0; set < MK_SET_COUNT; set++) /* the registers were written behind card_mk's back */
        card_mk_register_changed(&st->mk[set], (enum mk_set)set);
    return ok && have_serial ? CSU_OK : CSU_E_INTERNAL;
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
    csu_err err = parse_state(text, st);
    OPENSSL_cleanse(text, sizeof(text));
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

csu_err card_state_save(const char *dir, const struct card_state *st)
{
    /* every register change is saved: a writer that forgot card_mk_register_changed fails here, loudly */
    if (!card_mk_patterns_ok(st))
        return CSU_E_INTERNAL;
    char text[STATE_MAX];
    int n = snprintf(text, sizeof(text),
                     "version=1\nserial=%s\nclock_offset=%" PRId64 "\neid=%s\nintrusion_latch=%d\nbattery_low=%d\n",
                     st->serial, st->clock_offset, st->eid, st->intrusion_latch, st->battery_low);
    if (n > 0 && (size_t)n < sizeof(text))
        n += put_master_keys(text + n, sizeof(text) - (size_t)n, st);
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
