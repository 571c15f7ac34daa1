/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The default control vectors of reference §3.4 (ICSF APG default-CV table
 * as transcribed by CCARV; [P]) and the bit fields fixed-length tokens use.
 */
#include "tok_cv.h"

#include <string.h>

/* Byte 5 of a CV holds bits 40-47: key form in 40-42, KEY-PART in 44. */
#define CV_FORM_BYTE 5
#define CV_FORM_MASK 0xE0u
#define CV_KEY_PART 0x08u

static const struct cv_type cv_types[] = {
    /* name       single              double left         double right        triple */
    {"DATA", 0x00007D0003000000, 0x00007D0003410000, 0x00007D0003210000, 0x00007D0003600081},
    {"MAC", 0x00054D0003000000, 0x00054D0003410000, 0x00054D0003210000, 0x00054D0003600081},
    {"MACVER", 0x0005440003000000, 0x0005440003410000, 0x0005440003210000, 0x0005440003600081},
    {"CIPHER", 0x0003710003000000, 0x0003710003410000, 0x0003710003210000, 0x0003710003600081},
    {"ENCIPHER", 0x0003600003000000, 0x0003600003410000, 0x0003600003210000, 0x0003600003600081},
    {"DECIPHER", 0x0003500003000000, 0x0003500003410000, 0x0003500003210000, 0x0003500003600081},
    {"EXPORTER", 0, 0x00417D0003410000, 0x00417D0003210000, 0x00417D0003600081},
    {"IMPORTER", 0, 0x00427D0003410000, 0x00427D0003210000, 0x00427D0003600081},
    {"PINGEN", 0, 0x00227E0003410000, 0x00227E0003210000, 0x00227E0003600081},
    {"PINVER", 0, 0x0022420003410000, 0x0022420003210000, 0x0022420003600081},
    {"IPINENC", 0, 0x00215F0003410000, 0x00215F0003210000, 0x00215F0003600000},
    {"OPINENC", 0, 0x0024770003410000, 0x0024770003210000, 0x0024770003600081},
    {"DATAC", 0, 0x0000710003410000, 0x0000710003210000, 0},
    {"DATAM", 0, 0x00004D0003410000, 0x00004D0003210000, 0},
    {"DATAMV", 0, 0x0000440003410000, 0x0000440003210000, 0},
    {"IKEYXLAT", 0, 0x0042420003410000, 0x0042420003210000, 0},
    {"OKEYXLAT", 0, 0x0041420003410000, 0x0041420003210000, 0},
    {"IMP-PKA", 0, 0x0042050003410000, 0x0042050003210000, 0x0042050003600081},
    {"DKYGENKY", 0, 0x0071440003410000, 0x0071440003210000, 0},
    {"CVARDEC", 0x003F420003000000, 0, 0, 0},
    {"CVARENC", 0x003F480003000000, 0, 0, 0},
    {"CVARPINE", 0x003F410003000000, 0, 0, 0},
    {"CVARXCVL", 0x003F440003000000, 0, 0, 0},
    {"CVARXCVR", 0x003F470003000000, 0, 0, 0},
};

#define CV_TYPE_COUNT (sizeof(cv_types) / sizeof(cv_types[0]))

static void cv_store(uint64_t v, uint8_t out[CV_LEN])
{
    for (int i = CV_LEN - 1; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

/* Keyword equality after blank/NUL padding and case folding, as csu_rules does. */
bool cv_keyword_is(const uint8_t *kw, size_t width, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < width; i++) {
        uint8_t c = kw[i] == 0 ? ' ' : kw[i];
        if (c >= 'a' && c <= 'z')
            c = (uint8_t)(c - 'a' + 'A');
        if (c != (i < n ? (uint8_t)name[i] : ' '))
            return false;
    }
    return true;
}

const struct cv_type *cv_type_find(const uint8_t keyword[8])
{
    for (size_t i = 0; i < CV_TYPE_COUNT; i++)
        if (cv_keyword_is(keyword, 8, cv_types[i].name))
            return &cv_types[i];
    return NULL;
}

const struct cv_type *cv_type_by_cv(const uint8_t left[CV_LEN])
{
    uint8_t base[CV_LEN];
    memcpy(base, left, CV_LEN);
    /* Compare without the key-form and KEY-PART bits (byte 5) and parity. */
    base[CV_FORM_BYTE] = 0;
    base[7] = 0;
    for (size_t i = 0; i < CV_TYPE_COUNT; i++) {
        uint64_t any = cv_types[i].single ? cv_types[i].single : cv_types[i].dleft;
        uint8_t t[CV_LEN];
        cv_store(any, t);
        t[CV_FORM_BYTE] = 0;
        t[7] = 0;
        if (memcmp(t, base, CV_LEN) == 0)
            return &cv_types[i];
    }
    return NULL;
}

/* Byte 1 holds bits 8-15: key class 0100 (KEK), subtype 000 sending / 001 receiving, parity. */
#define CV_CLASS_BYTE 1
#define CV_GKS_BYTE 2

bool cv_kek_allows(const uint8_t cv[CV_LEN], enum cv_kek kind, uint8_t gks)
{
    uint8_t want = kind == CV_KEK_EXPORTER ? 0x40u : 0x42u;
    return (cv[CV_CLASS_BYTE] & 0xFEu) == want && (cv[CV_GKS_BYTE] & gks) == gks;
}

static void cv_apply_form(uint8_t cv[CV_LEN], enum cv_form form)
{
    /* DOUBLE-O / TRIPLE-O set the first key-form bit (010 → 110, 011 → 111, 001 → 101). */
    if (form == CV_FORM_DIFFERENT)
        cv[CV_FORM_BYTE] |= 0x80u;
    cv_fix_parity(cv);
}

csu_err cv_default(const struct cv_type *t, size_t key_len, enum cv_form form, uint8_t left[CV_LEN],
                   uint8_t right[CV_LEN])
{
    uint64_t l, r;
    switch (key_len) {
    case 8: l = t->single; r = 0; break;
    case 16: l = t->dleft; r = t->dright; break;
    case 24: l = t->triple; r = t->triple; break;
    default: return CSU_E_KEY_LENGTH;
    }
    if (l == 0)
        return CSU_E_TYPE_LENGTH;
    if (key_len == 8 && form != CV_FORM_PLAIN)
        return CSU_E_TYPE_LENGTH;
    cv_store(l, left);
    cv_store(r, right);
    if (key_len > 8) {
        cv_apply_form(left, form);
        cv_apply_form(right, form);
    }
    return CSU_OK;
}

size_t cv_key_length(const uint8_t left[CV_LEN])
{
    switch ((left[CV_FORM_BYTE] & CV_FORM_MASK) >> 5) {
    case 0: return 8;        /* 000 single */
    case 2: case 6: return 16; /* 010, 110 double */
    case 3: case 7: return 24; /* 011, 111 triple */
    default: return 0;       /* 001/101 right half, 100 reserved */
    }
}

bool cv_is_key_part(const uint8_t left[CV_LEN])
{
    return (left[CV_FORM_BYTE] & CV_KEY_PART) != 0;
}

void cv_set_key_part(uint8_t cv[CV_LEN], bool on)
{
    if (on)
        cv[CV_FORM_BYTE] |= CV_KEY_PART;
    else
        cv[CV_FORM_BYTE] &= (uint8_t)~CV_KEY_PART;
    cv_fix_parity(cv);
}

static bool odd_bits(uint8_t b)
{
    return __builtin_popcount(b) & 1;
}

bool cv_parity_ok(const uint8_t cv[CV_LEN])
{
    for (size_t i = 0; i < CV_LEN; i++)
        if (odd_bits(cv[i]))
            return false;
    return true;
}

void cv_fix_parity(uint8_t cv[CV_LEN])
{
    for (size_t i = 0; i < CV_LEN; i++)
        cv[i] = (uint8_t)((cv[i] & 0xFEu) | odd_bits(cv[i] & 0xFEu));
}

bool des_parity_ok(const uint8_t *key, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!odd_bits(key[i]))
            return false;
    return true;
}

void des_fix_parity(uint8_t *key, size_t len)
{
    for (size_t i = 0; i < len; i++)
        key[i] = (uint8_t)((key[i] & 0xFEu) | !odd_bits(key[i] & 0xFEu));
}
