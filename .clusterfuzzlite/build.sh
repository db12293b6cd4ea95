#!/bin/bash -eu
# Builds every cargo-fuzz target with the sanitizer OSS-Fuzz asks for and ships each one
# with its committed seed corpus.
cd "$SRC/winsock-sim"
cargo fuzz build -O
for target in $(cargo fuzz list); do
    cp "fuzz/target/x86_64-unknown-linux-gnu/release/$target" "$OUT/"
    if [ -d "fuzz/corpus/$target" ]; then
        (cd "fuzz/corpus/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
    fi
done
