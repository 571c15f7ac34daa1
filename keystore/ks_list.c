/* SPDX-License-Identifier: Apache-2.0 */
/* Being written: see docs/architecture.md. */
typedef int keystore_ks_list_unit_not_empty;
