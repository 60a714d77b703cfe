#!/usr/bin/env bash
# The Debian 13 (trixie) root the package test and the bench's newest-peers
# section start from: mmdebstrap from Debian's packages, without VLC, cached
# as a tarball (TARBALL, default target/debian13/root.tar).
set -euo pipefail
cd "$(dirname "$0")/../.."
tarball=${1:-target/debian13/root.tar}
mkdir -p "$(dirname "$tarball")"
if [ ! -f "$tarball" ]; then
  echo "debian13: creating a Debian 13 (trixie) root with mmdebstrap (cached in $tarball)"
  mmdebstrap --quiet --format=tar --variant=apt --include=ca-certificates,gcc,libc6-dev,pkg-config,libvlc-dev,python3,python3-vlc \
    trixie "$tarball.part"
  mv "$tarball.part" "$tarball"
fi
