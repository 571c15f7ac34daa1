/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Card halves of the node verbs CSUACFQ and CSUACFC (host halves in
 * csu/verb_node.c).  Element layouts: cca-reference.md §1.5 and
 * docs/reference-notes.md §2-4 and "STATICSA / STATICSB"; decisions in
 * docs/verbs.md.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "card_keycache.h"
#include "card_mk.h"
#include "csu_mu.h"
#include "csu_rules.h"
#include "csu_version.h"

/* ---- CSUACFQ ---------------------------------------------------------- */

static void put_number(struct fw_ctx *ctx, long n)
{
    char text[24];
    snprintf(text, sizeof(text), "%ld", n);
    fw_put_element(ctx, text);
}

/* Elements 4-6 of STATCCA/STATCCAE: version, build date, caller's role. */
static void put_version_date_role(struct fw_ctx *ctx)
{
    unsigned char version[9] = {0};
    csu_cca_version_field(version);
    fw_put_element(ctx, (const char *)version);
    fw_put_element(ctx, CSU_CCA_BUILD_DATE);
    fw_put_element(ctx, "DEFAULT"); /* no logon yet: the default role */
}

/* NMK, CMK and OMK states of one register set ("1" empty ... "3" full). */
static void put_register_states(struct fw_ctx *ctx, enum mk_set set)
{
    char states[3];
    pthread_mutex_lock(&ctx->card->lock);
    card_mk_states(&ctx->card->state, set, states);
    pthread_mutex_unlock(&ctx->card->lock);
    for (int i = 0; i < 3; i++)
        fw_put_element(ctx, (char[2]){states[i], 0});
}

static csu_err q_statcca(struct fw_ctx *ctx)
{
    put_register_states(ctx, MK_SYM);
    put_version_date_role(ctx);
    return CSU_OK;
}

static csu_err q_statccae(struct fw_ctx *ctx)
{
    put_register_states(ctx, MK_SYM);
    put_version_date_role(ctx);
    put_register_states(ctx, MK_ASYM);
    return CSU_OK;
}

static csu_err q_stataes(struct fw_ctx *ctx)
{
    put_register_states(ctx, MK_AES);
    put_number(ctx, 256); /* largest AES key the card permits */
    return CSU_OK;
}

static csu_err q_statapka(struct fw_ctx *ctx)
{
    put_register_states(ctx, MK_APKA);
    return CSU_OK;
}

static csu_err q_statcard(struct fw_ctx *ctx)
{
    static const char *const fixed[] = {
        "1",        /* 1 installed adapters */
        "1",        /* 2 DES hardware level */
        "1",        /* 3 RSA hardware level */
        "1",        /* 4 POST version */
        "EMULATED", /* 5 coprocessor OS name */
        "1.0",      /* 6 coprocessor OS version */
        "EMULATOR", /* 7 part number */
        "0",        /* 8 EC level */
        "1",        /* 9 miniboot version */
        "0",        /* 10 CPU speed (MHz): not meaningful for an emulator */
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        fw_put_element(ctx, fixed[i]);
    pthread_mutex_lock(&ctx->card->lock);
    char serial[CARD_SERIAL_LEN + 1];
    memcpy(serial, ctx->card->state.serial, sizeof(serial));
    pthread_mutex_unlock(&ctx->card->lock);
    fw_put_element(ctx, serial); /* 11 adapter ID */
    put_number(ctx, 0);          /* 12 flash size (MB) */
    put_number(ctx, 0);          /* 13 DRAM size (MB) */
    put_number(ctx, 0);          /* 14 battery-backed memory (KB) */
    fw_put_element(ctx, serial); /* 15 serial number */
    return CSU_OK;
}

static csu_err q_statdiag(struct fw_ctx *ctx)
{
    struct card *card = ctx->card;
    pthread_mutex_lock(&card->lock);
    put_number(ctx, card->state.battery_low ? 2 : 1);
    put_number(ctx, card->state.intrusion_latch ? 2 : 1);
    put_number(ctx, card->post == CARD_POST_FAILED ? 1 : 0); /* error log: a failed POST is logged */
    for (int i = 0; i < 4; i++)
        put_number(ctx, 1); /* mesh, low voltage, high temperature, radiation: none seen */
    struct card_history_entry recent[CARD_HISTORY];
    unsigned next = card->history_next;
    memcpy(recent, card->history, sizeof(recent));
    pthread_mutex_unlock(&card->lock);
    /* Most recent first; blanks for commands that never ran. */
    for (unsigned i = 1; i <= CARD_HISTORY; i++)
        fw_put_element(ctx, i <= next ? recent[(next - i) % CARD_HISTORY].verb : "");
    for (unsigned i = 1; i <= CARD_HISTORY; i++) {
        if (i <= next)
            put_number(ctx, (long)recent[(next - i) % CARD_HISTORY].return_code);
        else
            fw_put_element(ctx, "");
    }
    return CSU_OK;
}

static csu_err q_stateid(struct fw_ctx *ctx)
{
    char eid[CARD_EID_LEN + 1];
    pthread_mutex_lock(&ctx->card->lock);
    memcpy(eid, ctx->card->state.eid, sizeof(eid));
    pthread_mutex_unlock(&ctx->card->lock);
    char half[9] = {0};
    memcpy(half, eid, 8);
    fw_put_element(ctx, half);
    memcpy(half, eid + 8, 8);
    fw_put_element(ctx, half);
    return CSU_OK;
}

static csu_err q_statexpt(struct fw_ctx *ctx)
{
    static const long values[] = {1, 0, 1, 1, 0, 4096};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        put_number(ctx, values[i]);
    return CSU_OK;
}

static csu_err q_timedate(struct fw_ctx *ctx)
{
    time_t now = (time_t)card_now(ctx->card);
    struct tm tm;
    if (!gmtime_r(&now, &tm))
        return CSU_E_INTERNAL;
    char text[16];
    strftime(text, sizeof(text), "%Y%m%d", &tm);
    fw_put_element(ctx, text);
    strftime(text, sizeof(text), "%H%M%S", &tm);
    fw_put_element(ctx, text);
    put_number(ctx, tm.tm_wday + 1); /* 1 = Sunday, as SETCLOCK's WW */
    return CSU_OK;
}

/* Extension (docs/verbs.md): POST state, and the failed test's name. */
static csu_err q_statpost(struct fw_ctx *ctx)
{
    static const char *const names[] = {"RUNNING", "PASSED", "FAILED"};
    const char *failed;
    enum card_post_state s = card_post_state(ctx->card, &failed);
    fw_put_element(ctx, names[s]);
    fw_put_element(ctx, failed);
    return CSU_OK;
}

/* A counter as one 8-character element: saturates at 99999999. */
static void put_count(struct fw_ctx *ctx, uint64_t n)
{
    put_number(ctx, n > 99999999u ? 99999999L : (long)n);
}

/*
 * Extension (docs/key-cache.md): the key cache's counters, never its
 * contents.  Elements: entries, entry bound, bytes (KiB), byte bound
 * (KiB), hits, misses, evictions, flushed.  All zero when it is off.
 */
static csu_err q_statkche(struct fw_ctx *ctx)
{
    struct kc_stats st;
    card_keycache_stats(ctx->card->keycache, &st);
    const uint64_t values[] = {st.entries,   st.max_entries, st.bytes / 1024u, st.max_bytes / 1024u,
                               st.hits,      st.misses,      st.evictions,     st.flushed};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        put_count(ctx, values[i]);
    return CSU_OK;
}

/*
 * STATICSA / STATICSB: register states in the rule array, verification
 * patterns in verb_data as blocks {length(2), id(2), value} (big-endian).
 * Layout and sources: docs/reference-notes.md "STATICSA / STATICSB".  All
 * blocks are always present at fixed offsets (openCryptoki checks the IDs at
 * fixed offsets even for empty registers); a value is the register's
 * pattern only when the register is valid (CMK/OMK) or full (NMK), zeros
 * otherwise.
 */
enum mk_register { REG_NEW, REG_CURRENT, REG_OLD };

#define MKVP_HEADER 4
#define SET_NONE MK_SET_COUNT /* the reserved block X'0F09': no register behind it */
#define HASH16 16             /* MDC-4 hash-pattern field of the first six blocks */

struct mkvp_block {
    uint16_t id;
    uint8_t set;    /* enum mk_set, or SET_NONE */
    uint8_t reg;    /* enum mk_register */
    uint8_t length; /* value bytes */
};

/* In reply order, with each block's offset; the value starts 4 bytes later. */
static const struct mkvp_block mkvp_blocks[] = {
    {0x0F02, MK_SYM, REG_OLD, HASH16},           /* 0 */
    {0x0F01, MK_SYM, REG_CURRENT, HASH16},       /* 20 */
    {0x0F00, MK_SYM, REG_NEW, HASH16},           /* 40 */
    {0x0F05, MK_ASYM, REG_OLD, HASH16},          /* 60 */
    {0x0F04, MK_ASYM, REG_CURRENT, HASH16},      /* 80 */
    {0x0F03, MK_ASYM, REG_NEW, HASH16},          /* 100 */
    {0x0F08, MK_SYM, REG_OLD, MK_VP_LEN},        /* 120 */
    {0x0F07, MK_SYM, REG_CURRENT, MK_VP_LEN},    /* 132 */
    {0x0F06, MK_SYM, REG_NEW, MK_VP_LEN},        /* 144 */
    {0x0F09, SET_NONE, 0, MK_VP_LEN},            /* 156, content unknown: zeros */
    {0x0F0C, MK_AES, REG_OLD, MK_VP_LEN},        /* 168 */
    {0x0F0B, MK_AES, REG_CURRENT, MK_VP_LEN},    /* 180 */
    {0x0F0A, MK_AES, REG_NEW, MK_VP_LEN},        /* 192; STATICSA ends at 204 */
    {0x0F0F, MK_APKA, REG_OLD, MK_VP_LEN},       /* 204 */
    {0x0F0E, MK_APKA, REG_CURRENT, MK_VP_LEN},   /* 216 */
    {0x0F0D, MK_APKA, REG_NEW, MK_VP_LEN},       /* 228; STATICSB ends at 240 */
};

/* How much of the table, and how many register sets' states, each returns. */
struct mkvp_query {
    size_t blocks;
    int sets; /* SYM, ASYM, AES[, APKA]: enum mk_set order */
};
static const struct mkvp_query staticsa = {13, 3};
static const struct mkvp_query staticsb = {16, 4};

static size_t mkvp_length(const struct mkvp_query *q)
{
    size_t n = 0;
    for (size_t i = 0; i < q->blocks; i++)
        n += MKVP_HEADER + mkvp_blocks[i].length;
    return n;
}

/* The pattern of the register a block describes; left zero when it is empty. */
static void put_register_pattern(const struct card_mk_set *m, enum mk_set set, enum mk_register reg, uint8_t *out)
{
    switch (reg) {
    case REG_NEW: /* changes with every part: hashed when asked */
        if (m->nmk_state == NMK_FULL)
            card_mk_vp(set, m->nmk, out);
        return;
    case REG_CURRENT: /* stored when the register changed (card_mk_register_changed) */
        if (m->cmk_valid)
            memcpy(out, m->cmk_vp, MK_VP_LEN);
        return;
    case REG_OLD:
        if (m->omk_valid)
            memcpy(out, m->omk_vp, MK_VP_LEN);
        return;
    }
}

/*
 * One block.  The 16-byte MDC-4 fields carry the register's 8-byte
 * verification pattern followed by 8 zero bytes: this card does not compute
 * MDC-4 (no token it makes uses it), and a client comparing the first 8
 * bytes with a token's pattern still finds its register.
 */
static size_t put_mkvp_block(const struct card_state *st, const struct mkvp_block *b, uint8_t *out)
{
    csu_store_be16(out, (uint16_t)(MKVP_HEADER + b->length));
    csu_store_be16(out + 2, b->id);
    memset(out + MKVP_HEADER, 0, b->length);
    if (b->set < MK_SET_COUNT)
        put_register_pattern(&st->mk[b->set], (enum mk_set)b->set, (enum mk_register)b->reg, out + MKVP_HEADER);
    return MKVP_HEADER + b->length;
}

static csu_err put_mk_patterns(struct fw_ctx *ctx, const struct mkvp_query *q)
{
    size_t length = mkvp_length(q);
    if (fw_out_capacity(ctx) < length)
        return CSU_E_LENGTH; /* as IBM: verb_data too small is 8/72 */
    uint8_t *out = fw_output(ctx, CSU_TAG_OUT_DATA, length);
    if (!out)
        return CSU_E_NOMEM;
    char serial[CARD_SERIAL_LEN + 1];
    char states[MK_SET_COUNT][3];
    struct card *card = ctx->card;
    /* States and patterns from one snapshot, so they agree with each other. */
    pthread_mutex_lock(&card->lock);
    memcpy(serial, card->state.serial, sizeof(serial));
    for (int s = 0; s < q->sets; s++)
        card_mk_states(&card->state, (enum mk_set)s, states[s]);
    size_t off = 0;
    for (size_t i = 0; i < q->blocks; i++)
        off += put_mkvp_block(&card->state, &mkvp_blocks[i], out + off);
    pthread_mutex_unlock(&card->lock);
    fw_put_element(ctx, serial);
    for (int s = 0; s < q->sets; s++)
        for (int r = 0; r < 3; r++)
            fw_put_element(ctx, (char[2]){states[s][r], 0});
    return CSU_OK;
}

static csu_err q_staticsa(struct fw_ctx *ctx)
{
    return put_mk_patterns(ctx, &staticsa);
}

static csu_err q_staticsb(struct fw_ctx *ctx)
{
    return put_mk_patterns(ctx, &staticsb);
}

/* Known CCA keywords this card does not serve yet (8/335). */
static csu_err q_unavailable(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

struct query {
    csu_err (*fn)(struct fw_ctx *ctx);
    bool before_post; /* answered while POST runs or after it failed */
};

enum {
    Q_STATCCA = 1, Q_STATCCAE, Q_STATAES, Q_STATAPKA, Q_STATCARD, Q_STATCRD2, Q_STATDIAG, Q_STATEID, Q_STATEXPT,
    Q_TIMEDATE, Q_STATPOST, Q_STATMOFN, Q_STATICSA, Q_STATICSB, Q_STATICSC, Q_STATICSX, Q_STATKPR, Q_STATKPRL,
    Q_STATVKPR, Q_STATVKPL, Q_STATTKPR, Q_NUM_DECT, Q_DOM_NUMS, Q_DOM_USAG, Q_DOM_CONT, Q_GETCOMPD, Q_STATKCHE, Q_COUNT_
};

static const struct query queries[Q_COUNT_] = {
    [Q_STATCCA] = {q_statcca, false},       [Q_STATCCAE] = {q_statccae, false},
    [Q_STATAES] = {q_stataes, false},       [Q_STATAPKA] = {q_statapka, false},
    [Q_STATCARD] = {q_statcard, false},     [Q_STATCRD2] = {q_statcard, false},
    [Q_STATDIAG] = {q_statdiag, true},      [Q_STATEID] = {q_stateid, false},
    [Q_STATEXPT] = {q_statexpt, false},     [Q_TIMEDATE] = {q_timedate, false},
    [Q_STATPOST] = {q_statpost, true},      [Q_STATMOFN] = {q_unavailable, false},
    [Q_STATICSA] = {q_staticsa, false},     [Q_STATICSB] = {q_staticsb, false},
    [Q_STATICSC] = {q_unavailable, false},  [Q_STATICSX] = {q_unavailable, false},
    [Q_STATKPR] = {q_unavailable, false},   [Q_STATKPRL] = {q_unavailable, false},
    [Q_STATVKPR] = {q_unavailable, false},  [Q_STATVKPL] = {q_unavailable, false},
    [Q_STATTKPR] = {q_unavailable, false},  [Q_NUM_DECT] = {q_unavailable, false},
    [Q_DOM_NUMS] = {q_unavailable, false},  [Q_DOM_USAG] = {q_unavailable, false},
    [Q_DOM_CONT] = {q_unavailable, false},  [Q_GETCOMPD] = {q_unavailable, false},
    [Q_STATKCHE] = {q_statkche, false},
};

static const struct csu_keyword query_words[] = {
    {"ADAPTER1", 0, 1},          {"STATCCA", 1, Q_STATCCA},   {"STATCCAE", 1, Q_STATCCAE},
    {"STATAES", 1, Q_STATAES},   {"STATAPKA", 1, Q_STATAPKA}, {"STATCARD", 1, Q_STATCARD},
    {"STATCRD2", 1, Q_STATCRD2}, {"STATDIAG", 1, Q_STATDIAG}, {"STATEID", 1, Q_STATEID},
    {"STATEXPT", 1, Q_STATEXPT}, {"TIMEDATE", 1, Q_TIMEDATE}, {"STATPOST", 1, Q_STATPOST},
    {"STATMOFN", 1, Q_STATMOFN}, {"STATICSA", 1, Q_STATICSA}, {"STATICSB", 1, Q_STATICSB},
    {"STATICSC", 1, Q_STATICSC}, {"STATICSX", 1, Q_STATICSX}, {"STATKPR", 1, Q_STATKPR},
    {"STATKPRL", 1, Q_STATKPRL}, {"STATVKPR", 1, Q_STATVKPR}, {"STATVKPL", 1, Q_STATVKPL},
    {"STATTKPR", 1, Q_STATTKPR}, {"NUM-DECT", 1, Q_NUM_DECT}, {"DOM-NUMS", 1, Q_DOM_NUMS},
    {"DOM-USAG", 1, Q_DOM_USAG}, {"DOM-CONT", 1, Q_DOM_CONT}, {"GETCOMPD", 1, Q_GETCOMPD},
    {"STATKCHE", 1, Q_STATKCHE},
};

static const struct csu_rule_spec query_spec = {query_words, sizeof(query_words) / sizeof(query_words[0]), 1, 2,
                                                1u << 1};

csu_err fw_csuacfq(struct fw_ctx *ctx)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&query_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    const struct query *q = &queries[r.value[1]];
    if (ctx->post != CARD_POST_PASSED && !q->before_post)
        return ctx->post == CARD_POST_RUNNING ? CSU_E_CARD_NOT_READY : CSU_E_CARD_FAILED;
    return q->fn(ctx);
}

/* ---- CSUACFC ---------------------------------------------------------- */

#define SETCLOCK_LEN 16 /* YYYYMMDDHHmmSSWW, GMT */

static bool parse_digits(const uint8_t *p, int n, int lo, int hi, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return v >= lo && v <= hi;
}

/* Seconds since the epoch of a SETCLOCK string, or -1 when it is invalid. */
static int64_t parse_setclock(const uint8_t *p)
{
    int year, mon, day, hour, min, sec, wday;
    if (!parse_digits(p, 4, 1970, 9999, &year) || !parse_digits(p + 4, 2, 1, 12, &mon) ||
        !parse_digits(p + 6, 2, 1, 31, &day) || !parse_digits(p + 8, 2, 0, 23, &hour) ||
        !parse_digits(p + 10, 2, 0, 59, &min) || !parse_digits(p + 12, 2, 0, 59, &sec) ||
        !parse_digits(p + 14, 2, 1, 7, &wday))
        return -1;
    struct tm tm = {.tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = day,
                    .tm_hour = hour, .tm_min = min, .tm_sec = sec};
    time_t t = timegm(&tm);
    /* timegm normalises 31 February into March: refuse dates that moved. */
    if (t == (time_t)-1 || tm.tm_mday != day || tm.tm_mon != mon - 1)
        return -1;
    return (int64_t)t;
}

/* Apply @p change to the persistent state and save it, under the card lock. */
static csu_err update_state(struct card *card, void (*change)(struct card *card, const void *arg), const void *arg)
{
    pthread_mutex_lock(&card->lock);
    change(card, arg);
    csu_err err = card_state_save(card->state_dir, &card->state);
    pthread_mutex_unlock(&card->lock);
    return err;
}

static void set_clock(struct card *card, const void *arg)
{
    card->state.clock_offset = *(const int64_t *)arg - (int64_t)time(NULL);
}

static void clear_latch(struct card *card, const void *arg)
{
    (void)arg;
    card->state.intrusion_latch = false;
}

static void clear_battery(struct card *card, const void *arg)
{
    (void)arg;
    card->state.battery_low = false;
}

static void reinitialise(struct card *card, const void *arg)
{
    (void)arg;
    card_state_reset(&card->state);
    card_keycache_flush(card->keycache, KC_ALL_SETS); /* zeroize: no key outlives its master key */
    card->reinit_token_valid = false;
    OPENSSL_cleanse(card->reinit_token, sizeof(card->reinit_token));
}

static const struct csu_wire_block *verb_data(const struct fw_ctx *ctx, size_t need)
{
    const struct csu_wire_block *b = csu_wire_find(ctx->req, CSU_TAG_VERB_DATA);
    return (b && b->length >= need) ? b : NULL;
}

static csu_err c_setclock(struct fw_ctx *ctx)
{
    const struct csu_wire_block *b = verb_data(ctx, SETCLOCK_LEN);
    if (!b)
        return CSU_E_LENGTH;
    int64_t t = parse_setclock(b->data);
    if (t < 0)
        return CSU_E_DATA;
    return update_state(ctx->card, set_clock, &t);
}

static csu_err c_rq_token(struct fw_ctx *ctx)
{
    if (fw_out_capacity(ctx) < 8)
        return CSU_E_LENGTH;
    uint8_t *out = fw_output(ctx, CSU_TAG_OUT_DATA, 8);
    if (!out)
        return CSU_E_NOMEM;
    csu_err err = card_drbg_generate(ctx->worker->drbg, out, 8, NULL, 0);
    if (err != CSU_OK)
        return err;
    pthread_mutex_lock(&ctx->card->lock);
    memcpy(ctx->card->reinit_token, out, 8);
    ctx->card->reinit_token_valid = true;
    pthread_mutex_unlock(&ctx->card->lock);
    return CSU_OK;
}

/* RQ-REINT: verb_data must be the one's complement of the RQ-TOKEN token. */
static csu_err c_rq_reint(struct fw_ctx *ctx)
{
    const struct csu_wire_block *b = verb_data(ctx, 8);
    if (!b)
        return CSU_E_LENGTH;
    uint8_t expect[8];
    pthread_mutex_lock(&ctx->card->lock);
    bool valid = ctx->card->reinit_token_valid;
    for (int i = 0; i < 8; i++)
        expect[i] = (uint8_t)~ctx->card->reinit_token[i];
    ctx->card->reinit_token_valid = false; /* one attempt per token */
    pthread_mutex_unlock(&ctx->card->lock);
    bool match = valid && CRYPTO_memcmp(expect, b->data, 8) == 0;
    OPENSSL_cleanse(expect, sizeof(expect));
    if (!match)
        return CSU_E_COMMAND_DATA;
    return update_state(ctx->card, reinitialise, NULL);
}

static csu_err c_reset_il(struct fw_ctx *ctx)
{
    return update_state(ctx->card, clear_latch, NULL);
}

static csu_err c_resetbat(struct fw_ctx *ctx)
{
    return update_state(ctx->card, clear_battery, NULL);
}

/* Function-control vectors belong with access control (not served yet). */
static csu_err c_unavailable(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

static csu_err (*const controls[])(struct fw_ctx *) = {c_setclock, c_rq_token, c_rq_reint, c_reset_il,
                                                        c_resetbat, c_unavailable};

static const struct csu_keyword control_words[] = {
    {"ADAPTER1", 0, 0}, {"SETCLOCK", 1, 0}, {"RQ-TOKEN", 1, 1}, {"RQ-REINT", 1, 2},
    {"RESET-IL", 1, 3}, {"RESETBAT", 1, 4}, {"LOAD-FCV", 1, 5}, {"CLR-FCV", 1, 5},
};

static const struct csu_rule_spec control_spec = {control_words, sizeof(control_words) / sizeof(control_words[0]),
                                                  1, 2, 1u << 1};

csu_err fw_csuacfc(struct fw_ctx *ctx)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&control_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    return controls[r.value[1]](ctx);
}
