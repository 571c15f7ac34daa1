/* SPDX-License-Identifier: Apache-2.0 */
/* Being written: see docs/architecture.md. */
typedef int card_tok_var_unit_not_empty;
