#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Run one JUnit class with a private card directory: CSU_CARD must be in the
# environment before the JVM loads libcsulcca, so it is set here; the test
# itself starts csucard on that socket (CardDaemon) and stops it.
# Usage: run-junit.sh JAVA [java args...]
set -eu
java=$1; shift
dir=$(mktemp -d "${TMPDIR:-/tmp}/csuj.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
export CSU_CARD="unix:$dir/card.sock"
# Key storage files of this run (Card.start initialises them with CSNBKSI).
export CSUDESDS="$dir/des.ks" CSUAESDS="$dir/aes.ks" CSUPKADS="$dir/pka.ks"
export CSUDESLD="$dir" CSUAESLD="$dir" CSUPKALD="$dir"
"$java" -Dcsucard.dir="$dir" "$@"
