#!/usr/bin/env bash
# make deb: target/debian/smem-rs_<version>_<arch>.deb from the release build,
# with dpkg-deb and the files in debian/: the plugin in VLC's plugin folder
# (VLC's own dpkg trigger on that folder refreshes plugins.dat on install,
# upgrade and removal, as for Debian's vlc-plugin-* packages), smem.h and
# smem.pc, smem-grab with a manual page made by help2man, the README and
# the copyright. Depends come from what the binaries link (dpkg-shlibdeps)
# and from the plugin ABI VLC's headers name.
#   debian/build-deb.sh            this machine's architecture (make build)
#   ARCH=arm64 debian/build-deb.sh the arm64 package, cross-built
#                                  (debian/cross-arm64.sh); its Depends are
#                                  computed in the arm64 root it built against
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
host=$(dpkg --print-architecture)
arch=${ARCH:-$host}
multiarch=$(dpkg-architecture -a"$arch" -qDEB_HOST_MULTIARCH 2>/dev/null)
# The binaries, and the tools that read them.
release=target/release tools="" sysroot=""
if [ "$arch" != "$host" ]; then
  [ "$arch" = arm64 ] || { echo "build-deb: $arch: only arm64 is cross-built here"; exit 1; }
  release=target/aarch64-unknown-linux-gnu/release tools=aarch64-linux-gnu- sysroot=target/arm64/sysroot
fi
pluginsdir=$(pkg-config --variable=pluginsdir vlc-plugin | sed "s|/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/|/$multiarch/|")
# "__3_0_0f" in vlc_plugin.h: libvlccore9 provides vlc-plugin-abi-3-0-0f.
# The plugin also answers to the ABI's t64 name (Debian 13's, the same ABI
# on 64-bit architectures: see build.rs), so either will do.
suffix=$(sed -n 's/.*define MODULE_SUFFIX "__\(.*\)"/\1/p' "$sysroot$(pkg-config --variable=includedir vlc-plugin)/vlc/plugins/vlc_plugin.h")
abi="vlc-plugin-abi-${suffix//_/-}"
if "${tools}nm" -D --defined-only $release/libsmem_rs_plugin.so | grep -q " vlc_entry__${suffix%t64}t64$"; then
  abi="vlc-plugin-abi-${suffix%t64}"; abi="${abi//_/-} | ${abi//_/-}t64"
fi
out=target/debian
root=$out/root
rm -rf "$root" && mkdir -p "$root/DEBIAN"

plugin=$root$pluginsdir/stream_out/libsmem_rs_plugin.so
install -D -m 644 $release/libsmem_rs_plugin.so "$plugin"
install -D -m 755 $release/smem-grab "$root/usr/bin/smem-grab"
"${tools}strip" --strip-unneeded --remove-section=.comment --remove-section=.note "$plugin" "$root/usr/bin/smem-grab"
install -D -m 644 include/smem.h "$root/usr/include/vlc/smem.h"
mkdir -p "$root/usr/lib/$multiarch/pkgconfig"
sed -e 's|@includedir@|/usr/include|' -e "s|@version@|$version|" include/smem.pc.in >"$root/usr/lib/$multiarch/pkgconfig/smem.pc"
chmod 644 "$root/usr/lib/$multiarch/pkgconfig/smem.pc"

mkdir -p "$root/usr/share/man/man1"
# The manual page from --help: the same text on every architecture (this
# machine's smem-grab says it).
help2man --no-info --version-string="$version" --name="frames and sound from anything VLC plays, through smem" \
  target/release/smem-grab | gzip -9n >"$root/usr/share/man/man1/smem-grab.1.gz"
doc=$root/usr/share/doc/smem-rs
mkdir -p "$doc"
gzip -9n <debian/changelog >"$doc/changelog.gz"
gzip -9n <README.md >"$doc/README.md.gz"
# The manual the README points to (docs/*.md), beside it as it is in the source.
mkdir -p "$doc/docs"
for page in docs/*.md; do gzip -9n <"$page" >"$doc/$page.gz"; done
crates=$(cargo tree -p smem-rs -p smem-grab -e normal --prefix none --format '{p}: {l}' \
  | grep -v -E '^(smem-rs|smem-grab|smem-client) ' | sed 's/ (\*)//' | sort -u | sed 's/^/  /')
python3 - "$doc/copyright" "$crates" <<'PY'
import sys
text = open("debian/copyright.in").read().replace("@CRATES@", sys.argv[2])
open(sys.argv[1], "w").write(text)
PY
find "$root/usr" -type d -exec chmod 755 {} +
find "$root/usr" -type f ! -path '*/usr/bin/*' -exec chmod 644 {} +

# dpkg-shlibdeps wants a debian/control to read; it gets one of its own. It
# reads the libraries' shlibs from dpkg's database: this machine's, or the
# arm64 root's (run there, under qemu).
shlibs_dir=$(mktemp -d)
mkdir -p "$shlibs_dir/debian"
printf 'Source: smem-rs\n\nPackage: smem-rs\nArchitecture: any\n' >"$shlibs_dir/debian/control"
if [ -z "$sysroot" ]; then
  shlibs=$(cd "$shlibs_dir" && dpkg-shlibdeps -O "-e$OLDPWD/$plugin" "-e$OLDPWD/$root/usr/bin/smem-grab" | sed -n 's/^shlibs:Depends=//p')
else
  work=$sysroot/tmp/shlibs && rm -rf "$work" && mkdir -p "$work" && cp -r "$shlibs_dir/debian" "$work/"
  cp "$plugin" "$root/usr/bin/smem-grab" "$work/"
  shlibs=$(chroot "$sysroot" sh -c 'cd /tmp/shlibs && dpkg-shlibdeps -O -elibsmem_rs_plugin.so -esmem-grab' | sed -n 's/^shlibs:Depends=//p')
  rm -rf "$work"
fi
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
