/* SPDX-License-Identifier: Apache-2.0 */
/* Being written: the card cache of unwrapped keys (issue 7). */
typedef int card_keycache_unit_not_empty;
