/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file csu_version.h
 * The CCA release this implementation reports (CSUACFV, CSUACFQ STATCCA).
 *
 * Format (docs/reference-notes.md §1): an 8-byte field "ver.rel.mod" plus a
 * one-letter platform indicator, blank padded ('c' on x86, 'z' when
 * CSU_S390_VERSION=y, as IBM's library does), then the build date YYYYMMDD.
 * Clients require at least 7.1 (openCryptoki's CCA token).
 */
#ifndef CSU_VERSION_H
#define CSU_VERSION_H

#include <stdlib.h>
#include <string.h>

#define CSU_CCA_VERSION "7.5.52"
#define CSU_CCA_BUILD_DATE "20251015"
#define CSU_LIBRARY_VERSION "0.1.0"

/** Fill the 8-byte blank-padded version field ("7.5.52c "). */
static inline void csu_cca_version_field(unsigned char out[8])
{
    const char *s390 = getenv("CSU_S390_VERSION");
    char indicator = (s390 && (s390[0] == 'y' || s390[0] == 'Y')) ? 'z' : 'c';
    size_t n = strlen(CSU_CCA_VERSION);
    memset(out, ' ', 8);
    memcpy(out, CSU_CCA_VERSION, n);
    out[n] = (unsigned char)indicator;
}

#endif /* CSU_VERSION_H */
