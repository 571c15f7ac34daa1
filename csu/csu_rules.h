/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file csu_rules.h
 * Table-driven rule-array parsing, shared by host and card.
 *
 * A verb describes its keywords in one table: each keyword belongs to a
 * group and carries a value.  At most one keyword of a group may appear
 * (8/34 otherwise); a keyword not in the table is 8/33; a count outside the
 * verb's range is 8/35; a group marked required but absent is 8/129.
 * Keywords are compared after turning NUL bytes into blanks and folding
 * lower case (clients send NUL-filled and blank-padded keywords alike).
 */
#ifndef CSU_RULES_H
#define CSU_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "csu_err.h"

#define CSU_RULE_GROUPS 8u

struct csu_keyword {
    char word[9];   /**< keyword, NUL-terminated, without padding */
    uint8_t group;  /**< 0 .. CSU_RULE_GROUPS-1 */
    uint32_t value; /**< what the verb acts on */
};

struct csu_rule_spec {
    const struct csu_keyword *words;
    size_t word_count;
    long min_count;
    long max_count;
    uint32_t required_groups; /**< bit g set: group g must be present */
};

struct csu_rule_result {
    uint32_t present;                  /**< bit g set: group g was given */
    uint32_t value[CSU_RULE_GROUPS];   /**< value of group g's keyword */
};

/** Check @p count against the verb's range: CSU_OK or CSU_E_RULE_COUNT. */
csu_err csu_rules_check_count(const struct csu_rule_spec *spec, long count);

/**
 * Parse @p count keywords of @p rules (count x 8 bytes) against @p spec.
 * @return CSU_OK, CSU_E_RULE_COUNT, CSU_E_RULE_KEYWORD, CSU_E_RULE_CONFLICT,
 *         CSU_E_RULE_MISSING, CSU_E_NULL_POINTER (rules NULL with count > 0).
 */
csu_err csu_rules_parse(const struct csu_rule_spec *spec, long count, const uint8_t *rules,
                        struct csu_rule_result *out);

/** Value of group @p g, or @p dflt when absent. */
static inline uint32_t csu_rules_value(const struct csu_rule_result *r, unsigned g, uint32_t dflt)
{
    return (r->present & (1u << g)) ? r->value[g] : dflt;
}

/** Write @p word blank-padded to 8 bytes at @p out. */
void csu_rules_put_word(uint8_t out[8], const char *word);

#endif /* CSU_RULES_H */
