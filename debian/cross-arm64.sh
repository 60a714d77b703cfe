#!/usr/bin/env bash
# The plugin, smem-grab and (with `wheel`) the Python package for arm64
# (aarch64), cross-built on this amd64 machine: rustup's aarch64 standard
# library, Debian's aarch64 cross gcc (for linking and va_arg.c) and, as
# sysroot, a Debian 12 arm64 root holding VLC's arm64 libraries and headers
# (debian/arm64-root.sh). Debian 12's glibc and VLC: the result installs on
# Debian 12 and 13 arm64 alike.
#   debian/cross-arm64.sh [COMMAND...]
# Output: target/aarch64-unknown-linux-gnu/release/{libsmem_rs_plugin.so,smem-grab};
# then COMMAND, if given, runs in the same cross environment (python/wheels.sh
# builds the aarch64 wheel so: maturin's cargo links like this one).
set -euo pipefail
cd "$(dirname "$0")/.."
target=aarch64-unknown-linux-gnu
sysroot=target/arm64/sysroot
rustup target list --installed | grep -qx "$target" || rustup target add "$target"
if [ ! -x "$sysroot/usr/bin/dpkg" ] || [ "${SMEM_RS_FRESH_SYSROOT:-}" = 1 ]; then
  debian/arm64-root.sh bookworm "$sysroot"
fi
root=$(realpath "$sysroot")
lib=$root/usr/lib/aarch64-linux-gnu
# Debian's development symlinks are absolute (libm.so -> /lib/.../libm.so.6):
# here they would point into this machine, and the linker would skip them
# for the static archives. Made relative, they stay inside the root.
find "$lib" -maxdepth 1 -type l -lname '/*' | while read -r link; do
  ln -sfr "$root$(readlink "$link")" "$link"
done

# pkg-config reads the root's .pc files and prefixes their paths with it.
export PKG_CONFIG_ALLOW_CROSS=1 PKG_CONFIG_SYSROOT_DIR=$root
export PKG_CONFIG_LIBDIR=$lib/pkgconfig:$root/usr/share/pkgconfig
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
# bindgen reads the root's glibc and VLC headers as an aarch64 compiler would.
export BINDGEN_EXTRA_CLANG_ARGS_aarch64_unknown_linux_gnu="--sysroot=$root"
# Linked against the root (its glibc, crt files and VLC): libvlc for
# smem-client, and the libraries VLC's own need, found there.
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C link-arg=--sysroot=$root -L native=$lib -C link-arg=-Wl,-rpath-link,$lib -C link-arg=-Wl,-rpath-link,$root/lib/aarch64-linux-gnu"

cargo build --release --target "$target" -p smem-rs -p smem-grab
out=target/$target/release
file "$out/libsmem_rs_plugin.so" "$out/smem-grab" | sed "s|$PWD/||"

if [ $# -gt 0 ]; then
  "$@"
fi
