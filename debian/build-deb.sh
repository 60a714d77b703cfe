#!/usr/bin/env bash
# make deb: target/debian/smem-rs_<version>_<arch>.deb from the release build,
# with dpkg-deb and the files in debian/: the plugin in VLC's plugin folder
# (VLC's own dpkg trigger on that folder refreshes plugins.dat on install,
# upgrade and removal, as for Debian's vlc-plugin-* packages), smem.h and
# smem.pc, smem-grab with a manual page made by help2man, the README and
# the copyright. Depends come from what the binaries link (dpkg-shlibdeps)
# and from the plugin ABI VLC's headers name.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
pluginsdir=$(pkg-config --variable=pluginsdir vlc-plugin)
# "__3_0_0f" in vlc_plugin.h: libvlccore9 provides vlc-plugin-abi-3-0-0f.
# The plugin also answers to the ABI's t64 name (Debian 13's, the same ABI
# on 64-bit architectures: see build.rs), so either will do.
suffix=$(sed -n 's/.*define MODULE_SUFFIX "__\(.*\)"/\1/p' "$(pkg-config --variable=includedir vlc-plugin)/vlc/plugins/vlc_plugin.h")
abi="vlc-plugin-abi-${suffix//_/-}"
if nm -D --defined-only target/release/libsmem_rs_plugin.so | grep -q " vlc_entry__${suffix%t64}t64$"; then
  abi="vlc-plugin-abi-${suffix%t64}"; abi="${abi//_/-} | ${abi//_/-}t64"
fi
out=target/debian
root=$out/root
rm -rf "$root" && mkdir -p "$root/DEBIAN"

plugin=$root$pluginsdir/stream_out/libsmem_rs_plugin.so
install -D -m 644 target/release/libsmem_rs_plugin.so "$plugin"
install -D -m 755 target/release/smem-grab "$root/usr/bin/smem-grab"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$plugin" "$root/usr/bin/smem-grab"
install -D -m 644 include/smem.h "$root/usr/include/vlc/smem.h"
mkdir -p "$root/usr/lib/$multiarch/pkgconfig"
sed -e 's|@includedir@|/usr/include|' -e "s|@version@|$version|" include/smem.pc.in >"$root/usr/lib/$multiarch/pkgconfig/smem.pc"
chmod 644 "$root/usr/lib/$multiarch/pkgconfig/smem.pc"

mkdir -p "$root/usr/share/man/man1"
help2man --no-info --version-string="$version" --name="frames and sound from anything VLC plays, through smem" \
  target/release/smem-grab | gzip -9n >"$root/usr/share/man/man1/smem-grab.1.gz"
doc=$root/usr/share/doc/smem-rs
mkdir -p "$doc"
gzip -9n <debian/changelog >"$doc/changelog.gz"
gzip -9n <README.md >"$doc/README.md.gz"
crates=$(cargo tree -p smem-rs -p smem-grab -e normal --prefix none --format '{p}: {l}' \
  | grep -v -E '^(smem-rs|smem-grab|smem-client) ' | sed 's/ (\*)//' | sort -u | sed 's/^/  /')
python3 - "$doc/copyright" "$crates" <<'PY'
import sys
text = open("debian/copyright.in").read().replace("@CRATES@", sys.argv[2])
open(sys.argv[1], "w").write(text)
PY
find "$root/usr" -type d -exec chmod 755 {} +
find "$root/usr" -type f ! -path '*/usr/bin/*' -exec chmod 644 {} +

# dpkg-shlibdeps wants a debian/control to read; it gets one of its own.
shlibs_dir=$(mktemp -d)
mkdir -p "$shlibs_dir/debian"
printf 'Source: smem-rs\n\nPackage: smem-rs\nArchitecture: any\n' >"$shlibs_dir/debian/control"
shlibs=$(cd "$shlibs_dir" && dpkg-shlibdeps -O "-e$OLDPWD/$plugin" "-e$OLDPWD/$root/usr/bin/smem-grab" | sed -n 's/^shlibs:Depends=//p')
rm -rf "$shlibs_dir"

size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@INSTALLED_SIZE@|$size|" \
  -e "s#@DEPENDS@#$shlibs, $abi, vlc-plugin-base#" debian/control.in >"$root/DEBIAN/control"
(cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

deb=$out/smem-rs_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "deb: $deb"
dpkg-deb --field "$deb" Package Version Depends
