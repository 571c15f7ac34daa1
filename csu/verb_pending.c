/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every verb of IBM's header that is not available here yet: each answers
 * 8/335 ("function not available in this environment", as IBM's library
 * does for verbs a platform lacks) and touches no output.  The definitions
 * are generated from verb_table.def; a verb leaves this file by changing its
 * state there from PENDING to DONE and getting a real host half.
 */
#include "csu_boundary.h"

/* The generated definitions ignore every parameter but the first two. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define CSU_DEFINE_DONE(name, params)
#define CSU_DEFINE_PENDING(name, params)                                                                   \
    void SECURITYAPI name params                                                                           \
    {                                                                                                      \
        csu_verb_unavailable(return_code, reason_code);                                                        \
    }
#define CSU_VERB(name, family, state, params) CSU_DEFINE_##state(name, params)
#include "verb_table.def"
