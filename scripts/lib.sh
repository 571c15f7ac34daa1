#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Shared set-up for scripts/demo and scripts/test: Debian packages, build.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JOBS=$(nproc 2>/dev/null || echo 2)

# Packages the build, the tests and the demo need (Debian 12 names).
PACKAGES=(build-essential cmake pkg-config libssl-dev liblmdb-dev libcmocka-dev openjdk-17-jdk-headless junit4)

log() { printf '\n== %s\n' "$*"; }

# Install whatever of "$@" is missing, with apt-get (as root, or through sudo).
ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  log "installing: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# configure_and_build BUILD_DIR [cmake options...]
configure_and_build() {
  local dir=$1
  shift
  log "configure $dir $*"
  cmake -S "$ROOT" -B "$ROOT/$dir" "$@" >/dev/null
  log "build $dir"
  cmake --build "$ROOT/$dir" -j "$JOBS"
}
