/* SPDX-License-Identifier: Apache-2.0 */
/* Table-driven rule-array parsing (contract in csu_rules.h). */
#include "csu_rules.h"

#include <string.h>

#include "csu_wire.h" /* CSU_RULE_WORD */

csu_err csu_rules_check_count(const struct csu_rule_spec *spec, long count)
{
    return (count < spec->min_count || count > spec->max_count) ? CSU_E_RULE_COUNT : CSU_OK;
}

/* Blank-padded, upper-case copy of one keyword; NUL bytes count as blanks. */
static void normalise(const uint8_t *in, char out[CSU_RULE_WORD])
{
    for (size_t i = 0; i < CSU_RULE_WORD; i++) {
        uint8_t c = in[i];
        if (c == 0)
            c = ' ';
        else if (c >= 'a' && c <= 'z')
            c = (uint8_t)(c - 'a' + 'A');
        out[i] = (char)c;
    }
}

static const struct csu_keyword *lookup(const struct csu_rule_spec *spec, const char word[CSU_RULE_WORD])
{
    for (size_t i = 0; i < spec->word_count; i++) {
        char padded[CSU_RULE_WORD];
        csu_rules_put_word((uint8_t *)padded, spec->words[i].word);
        if (memcmp(padded, word, CSU_RULE_WORD) == 0)
            return &spec->words[i];
    }
    return NULL;
}

csu_err csu_rules_parse(const struct csu_rule_spec *spec, long count, const uint8_t *rules,
                        struct csu_rule_result *out)
{
    *out = (struct csu_rule_result){0};
    csu_err err = csu_rules_check_count(spec, count);
    if (err != CSU_OK)
        return err;
    if (count > 0 && !rules)
        return CSU_E_NULL_POINTER;
    for (long i = 0; i < count; i++) {
        char word[CSU_RULE_WORD];
        normalise(rules + (size_t)i * CSU_RULE_WORD, word);
        const struct csu_keyword *kw = lookup(spec, word);
        if (!kw)
            return CSU_E_RULE_KEYWORD;
        uint32_t bit = 1u << kw->group;
        if (out->present & bit)
            return CSU_E_RULE_CONFLICT;
        out->present |= bit;
        out->value[kw->group] = kw->value;
    }
    if ((out->present & spec->required_groups) != spec->required_groups)
        return CSU_E_RULE_MISSING;
    return CSU_OK;
}

void csu_rules_put_word(uint8_t out[8], const char *word)
{
    size_t n = strnlen(word, CSU_RULE_WORD);
    memset(out, ' ', CSU_RULE_WORD);
    memcpy(out, word, n);
}
