#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Cross-checks with the `openssl` command, outside the library (issue 5):
#   1. CSNDDSG signatures (RSA-2048 PKCS-1.1 over DigestInfo(SHA-256), ECDSA
#      P-256) verify with `openssl dgst -verify` and `openssl pkeyutl -verify`
#      on the public key CSNDPKX extracted; a changed message does not.
#   2. Signatures `openssl dgst -sign` makes with keys generated here and
#      imported into the card (CSNDPKB RSA-CRT + CSNDPKI; ECC-PUBL) verify
#      with CSNDDSV; over a changed message they answer 4/429.
#   3. `openssl enc -aes-256-cbc` / `-des-ede3-cbc` (-nopad) ciphertext
#      deciphers with CSNBSAD / CSNBDEC, and CSNBSAE / CSNBENC ciphertext
#      deciphers with `openssl enc -d`; both directions give the same bytes.
# The card is in process (CSU_CARD=inproc:<mktemp -d>), its master keys
# loaded with CSNBMKP; everything lives in one temporary directory removed
# on exit.
#
#   usage: crosscheck.sh XCHECK_TOOL [OPENSSL]     exit 77 when openssl is absent
set -u

tool=${1:?usage: crosscheck.sh XCHECK_TOOL [OPENSSL]}
openssl=${2:-}
if [[ -z "$openssl" || ! -x "$openssl" ]]; then
    echo "SKIP: no openssl command" >&2
    exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/csu-crosscheck.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
mkdir -m 0700 "$work/card"
export CSU_CARD="inproc:$work/card"

failures=0
step() { printf '%-72s' "$1"; }
pass() { echo "ok"; }
flunk() {
    echo "FAILED"
    [[ -s "$work/err" ]] && sed 's/^/    /' "$work/err"
    failures=$((failures + 1))
}
# run DESCRIPTION COMMAND...: the command must succeed
run() {
    local what=$1
    shift
    step "$what"
    if "$@" >"$work/err" 2>&1; then pass; else flunk; fi
}
# refuse DESCRIPTION COMMAND...: the command must fail (a check that can fail)
refuse() {
    local what=$1
    shift
    step "$what"
    if "$@" >"$work/err" 2>&1; then echo "(accepted)" >"$work/err"; flunk; else pass; fi
}

run "CSNBMKP: SYM, AES and APKA master keys" "$tool" init || exit 1

"$openssl" rand -out "$work/msg" 1000 || exit 1
cp "$work/msg" "$work/msg.changed"
printf 'x' >>"$work/msg.changed"
"$openssl" dgst -sha256 -binary -out "$work/msg.sha256" "$work/msg" || exit 1

# ---- 1. card signs, openssl verifies ------------------------------------------------
run "CSNDDSG RSA-2048 PKCS-1.1, CSNDPKX -> PEM" "$tool" rsa-sign "$work/msg" "$work/rsa.sig" "$work/rsa.pub.pem"
run "  openssl dgst -sha256 -verify" \
    "$openssl" dgst -sha256 -verify "$work/rsa.pub.pem" -signature "$work/rsa.sig" "$work/msg"
run "  openssl pkeyutl -verify (digest:sha256)" \
    "$openssl" pkeyutl -verify -pubin -inkey "$work/rsa.pub.pem" -pkeyopt digest:sha256 \
    -in "$work/msg.sha256" -sigfile "$work/rsa.sig"
refuse "  openssl dgst -verify refuses a changed message" \
    "$openssl" dgst -sha256 -verify "$work/rsa.pub.pem" -signature "$work/rsa.sig" "$work/msg.changed"

run "CSNDDSG ECDSA P-256, r||s -> DER, CSNDPKX -> PEM" \
    "$tool" ecdsa-sign "$work/msg" "$work/ec.sig" "$work/ec.pub.pem"
run "  openssl dgst -sha256 -verify" \
    "$openssl" dgst -sha256 -verify "$work/ec.pub.pem" -signature "$work/ec.sig" "$work/msg"
run "  openssl pkeyutl -verify" \
    "$openssl" pkeyutl -verify -pubin -inkey "$work/ec.pub.pem" -in "$work/msg.sha256" -sigfile "$work/ec.sig"
refuse "  openssl dgst -verify refuses a changed message" \
    "$openssl" dgst -sha256 -verify "$work/ec.pub.pem" -signature "$work/ec.sig" "$work/msg.changed"

# ---- 2. openssl signs, card verifies ------------------------------------------------
run "openssl genpkey RSA-2048, dgst -sha256 -sign" \
    bash -c '"$1" genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2/ossl.rsa.pem" &&
             "$1" dgst -sha256 -sign "$2/ossl.rsa.pem" -out "$2/ossl.rsa.sig" "$2/msg"' _ "$openssl" "$work"
run "  CSNDPKB RSA-CRT + CSNDPKI, CSNDDSV PKCS-1.1: 0/0" \
    "$tool" rsa-verify "$work/ossl.rsa.pem" "$work/msg" "$work/ossl.rsa.sig" ok
run "  CSNDDSV over a changed message: 4/429" \
    "$tool" rsa-verify "$work/ossl.rsa.pem" "$work/msg.changed" "$work/ossl.rsa.sig" bad

run "openssl genpkey P-256, dgst -sha256 -sign" \
    bash -c '"$1" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2/ossl.ec.pem" &&
             "$1" dgst -sha256 -sign "$2/ossl.ec.pem" -out "$2/ossl.ec.sig" "$2/msg"' _ "$openssl" "$work"
run "  CSNDPKB ECC-PUBL, CSNDDSV ECDSA: 0/0" \
    "$tool" ecdsa-verify "$work/ossl.ec.pem" "$work/msg" "$work/ossl.ec.sig" ok
run "  CSNDDSV over a changed message: 4/429" \
    "$tool" ecdsa-verify "$work/ossl.ec.pem" "$work/msg.changed" "$work/ossl.ec.sig" bad

# ---- 3. symmetric ciphers, both directions --------------------------------------------
"$openssl" rand -out "$work/plain" 4096 || exit 1   # a multiple of both block sizes

# cipher_both NAME OPENSSL_CIPHER TOOL_ALG KEY_BYTES IV_BYTES
cipher_both() {
    local name=$1 cipher=$2 alg=$3 key iv
    if ! key=$("$openssl" rand -hex "$4") || ! iv=$("$openssl" rand -hex "$5"); then
        step "openssl rand for $name"
        flunk
        return
    fi
    local f="$work/$alg"
    run "openssl enc -$cipher -nopad" \
        "$openssl" enc "-$cipher" -K "$key" -iv "$iv" -nopad -in "$work/plain" -out "$f.ossl.ct"
    run "  $name deciphers it (key from CSNBCKM)" \
        "$tool" cipher "$alg" dec "$key" "$iv" "$f.ossl.ct" "$f.card.pt"
    run "  same plaintext" cmp "$work/plain" "$f.card.pt"
    run "$name enciphers (key from CSNBCKM)" \
        "$tool" cipher "$alg" enc "$key" "$iv" "$work/plain" "$f.card.ct"
    run "  same ciphertext as openssl enc" cmp "$f.ossl.ct" "$f.card.ct"
    run "  openssl enc -d -$cipher -nopad deciphers it" \
        "$openssl" enc -d "-$cipher" -K "$key" -iv "$iv" -nopad -in "$f.card.ct" -out "$f.ossl.pt"
    run "  same plaintext" cmp "$work/plain" "$f.ossl.pt"
    # a wrong IV must change the first block: the comparison above can fail
    local iv2
    iv2=$(printf '%s' "$iv" | tr '0123456789abcdef' '123456789abcdef0')
    run "  $name with another IV" "$tool" cipher "$alg" dec "$key" "$iv2" "$f.ossl.ct" "$f.card.pt2"
    refuse "  ... does not give the same plaintext" cmp -s "$work/plain" "$f.card.pt2"
}
cipher_both "CSNBSAD/CSNBSAE AES-256-CBC" aes-256-cbc aes 32 16
cipher_both "CSNBDEC/CSNBENC TDES-CBC" des-ede3-cbc tdes 24 8

if ((failures > 0)); then
    echo "$failures cross-check(s) FAILED"
    exit 1
fi
echo "all cross-checks passed"
