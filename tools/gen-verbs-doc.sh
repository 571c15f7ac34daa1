#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prints the verb rows of docs/verbs.md from csu/verb_table.def, with the
# notes kept in tools/verb-notes.txt ("VERB<TAB>note").  Usage:
#   tools/gen-verbs-doc.sh > /tmp/rows.md    (then paste over the table)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
notes="$root/tools/verb-notes.txt"
echo '| verb | state | family | notes |'
echo '|---|---|---|---|'
grep -E '^CSU_VERB\(' "$root/csu/verb_table.def" |
  sed -E 's/^CSU_VERB\(([A-Z0-9_]+), *([A-Z]+), *([A-Z]+),.*/\1 \2 \3/' |
  while read -r verb family state; do
    if [ "$state" = DONE ]; then st="implemented"; else st="not yet (8/335)"; fi
    note=$(awk -F'\t' -v v="$verb" '$1 == v { print $2 }' "$notes" 2>/dev/null || true)
    printf '| `%s` | %s | %s | %s |\n' "$verb" "$st" "$(echo "$family" | tr 'A-Z' 'a-z')" "$note"
  done
