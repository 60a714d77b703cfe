#!/usr/bin/env bash
# An arm64 Debian root for building and testing smem-rs on arm64 from this
# amd64 machine: mmdebstrap with Debian's packages (VLC and its development
# files, a C compiler, python-vlc, numpy), cached as a tarball.
#   debian/arm64-root.sh RELEASE DIR   (RELEASE: bookworm or trixie)
# Leaves a fresh copy of the root in DIR. Its programs run here through
# qemu-user-static and binfmt_misc, which this script sets up if missing:
# a chroot into DIR then runs arm64 programs as they are.
set -euo pipefail
release=$1 dir=$2
cd "$(dirname "$0")/.."
cache=target/arm64
tarball=$cache/$release.tar
mkdir -p "$cache"

# qemu-user-static registers its interpreters with binfmt_misc; where
# binfmt_misc is not mounted (a container), it is mounted and registered
# here. The F flag opens the interpreter now, so it works inside chroots.
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  cat /usr/lib/binfmt.d/qemu-aarch64.conf >/proc/sys/fs/binfmt_misc/register
fi

if [ ! -f "$tarball" ]; then
  echo "arm64: creating a Debian $release arm64 root with mmdebstrap (cached in $tarball)"
  mmdebstrap --quiet --arch=arm64 --format=tar --variant=apt \
    --include=ca-certificates,gcc,libc6-dev,pkg-config,dpkg-dev,libvlc-dev,libvlccore-dev,vlc-plugin-base,libvlc-bin,python3,python3-vlc,python3-numpy,python3-venv,python3-pip,python3-pytest \
    "$release" "$tarball.part"
  mv "$tarball.part" "$tarball"
fi

# A run that was killed may have left /proc, /sys or /dev mounted in the
# old root: those go first, and rm never crosses into a mount.
mkdir -p "$dir"
absdir=$(realpath "$dir")
awk -v r="$absdir/" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
if awk -v r="$absdir/" 'index($2, r) == 1' /proc/mounts | grep -q .; then
  echo "arm64: $absdir still has mounts in it; not removing it"
  exit 1
fi
rm -rf --one-file-system "$dir" && mkdir -p "$dir"
tar -C "$dir" -xf "$tarball"
