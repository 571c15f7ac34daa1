/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Labels and wildcard patterns (reference §4.1).  Pattern rules (documented
 * in docs/keystore.md): a token may be '*' or end in '*' (prefix match within
 * the token); a final token that is exactly '*' matches one or more
 * remaining tokens, so "*" lists everything and "A.*" lists A.B and A.B.C.
 */
#include <string.h>

#include "csu_keyid.h"
#include "keystore.h"

ks_err ks_label_check(const uint8_t label[KS_LABEL_LEN])
{
    return csu_label_check(label) == CSU_OK ? KS_OK : KS_LABEL;
}

static bool label_char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '#' || c == '$' || c == '@';
}

static size_t label_end(const uint8_t label[KS_LABEL_LEN])
{
    size_t end = 0;
    while (end < KS_LABEL_LEN && label[end] != ' ')
        end++;
    return end;
}

bool ks_is_pattern(const uint8_t pattern[KS_LABEL_LEN])
{
    return memchr(pattern, '*', label_end(pattern)) != NULL;
}

ks_err ks_pattern_check(const uint8_t p[KS_LABEL_LEN])
{
    size_t end = label_end(p);
    for (size_t i = end; i < KS_LABEL_LEN; i++)
        if (p[i] != ' ')
            return KS_LABEL;
    if (end == 0 || (p[0] >= '0' && p[0] <= '9'))
        return KS_LABEL;
    size_t tokens = 1, run = 0;
    bool star = false; /* the current token already ended with '*' */
    for (size_t i = 0; i < end; i++) {
        if (p[i] == '.') {
            if (run == 0)
                return KS_LABEL;
            tokens++;
            run = 0;
            star = false;
        } else if (star || ++run > 8 || !(label_char(p[i]) || p[i] == '*')) {
            return KS_LABEL; /* nothing may follow a '*' inside a token */
        } else {
            star = p[i] == '*';
        }
    }
    return (run == 0 || tokens > 7) ? KS_LABEL : KS_OK;
}

/* Match one pattern token [p, pe) against one label token [l, le). */
static bool token_match(const uint8_t *p, size_t pn, const uint8_t *l, size_t ln)
{
    if (pn > 0 && p[pn - 1] == '*')
        return ln >= pn - 1 && memcmp(p, l, pn - 1) == 0;
    return pn == ln && memcmp(p, l, pn) == 0;
}

static size_t token_len(const uint8_t *s, size_t i, size_t end)
{
    size_t j = i;
    while (j < end && s[j] != '.')
        j++;
    return j - i;
}

bool ks_pattern_match(const uint8_t pattern[KS_LABEL_LEN], const uint8_t label[KS_LABEL_LEN])
{
    size_t pe = label_end(pattern), le = label_end(label);
    size_t pi = 0, li = 0;
    while (pi < pe) {
        if (li >= le)
            return false;
        size_t pn = token_len(pattern, pi, pe), ln = token_len(label, li, le);
        bool last = pi + pn >= pe;
        if (last && pn == 1 && pattern[pi] == '*')
            return true; /* a final '*' matches all remaining tokens */
        if (!token_match(pattern + pi, pn, label + li, ln))
            return false;
        pi += pn + 1;
        li += ln + 1;
    }
    return li >= le;
}
