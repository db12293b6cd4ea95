#!/usr/bin/env bash
# Installs what the Wine executor needs on a Debian 12 machine: Wine 8 (wine64), the MinGW
# toolchain, and Debian's Rust 1.85 with the standard library's source (rustup cannot
# fetch the Windows target here, so the executor builds std itself: -Zbuild-std).
set -euo pipefail
need=()
for p in wine64 gcc-mingw-w64-x86-64 rustc-web cargo-web rust-web-src; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
