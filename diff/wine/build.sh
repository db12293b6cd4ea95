#!/usr/bin/env bash
# Builds the executor (diff/executor) for x86_64-pc-windows-gnu with Debian's Rust 1.85 and
# -Zbuild-std, and puts it with the DLL shim it needs under Wine 8 in diff/wine/bin.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exe_dir="$here/../executor"
bin="$here/bin"
mkdir -p "$bin"
export PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1
# The Windows-gnu start and end objects that rustup's target would ship; -Zbuild-std does
# not build them.
objs="$here/target-objs"
mkdir -p "$objs"
for f in rsbegin rsend; do
    [ -f "$objs/$f.o" ] || /usr/bin/rustc --target x86_64-pc-windows-gnu --emit=obj -Cpanic=abort \
        -Copt-level=3 "/usr/lib/rustlib/src/rust/library/rtstartup/$f.rs" -o "$objs/$f.o"
    cp "$objs/$f.o" "$exe_dir/"
done
(
    cd "$exe_dir"
    CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
        /usr/bin/cargo build --release -Zbuild-std=std,panic_abort \
        --target x86_64-pc-windows-gnu --target-dir "$here/target"
)
rm -f "$exe_dir/rsbegin.o" "$exe_dir/rsend.o"
cp "$here/target/x86_64-pc-windows-gnu/release/winsock-executor.exe" "$bin/"
# Rust 1.85's std imports ProcessPrng from bcryptprimitives.dll, which Wine 8 lacks (Wine 9
# has it): a one-function DLL that forwards to RtlGenRandom stands in.
x86_64-w64-mingw32-gcc -shared -O2 -o "$bin/bcryptprimitives.dll" "$here/bcryptprimitives.c" -ladvapi32
