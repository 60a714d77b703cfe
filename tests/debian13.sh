#!/usr/bin/env bash
# make test-debian13: the .deb built here (Debian 12) in a fresh Debian 13
# root made with mmdebstrap from Debian's packages. Inside it: `apt install
# ./smem-rs_*.deb` (which pulls VLC), then a C libvlc client compiled there,
# a python-vlc client and smem-grab must get their frames through smem_rs
# with no VLC_PLUGIN_PATH, and the same counts and bytes as the same clients
# here; `apt remove` must give VLC's stock smem back. Before the package,
# the x86_64 manylinux wheel is pip-installed there (Python 3.13) and must
# get what it gets here (Python 3.11). The root (without VLC) and the
# packages apt fetches are cached in target/debian13.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
deb=target/debian/smem-rs_${version}_$(dpkg --print-architecture).deb
cache=target/debian13
tarball=$cache/root.tar
root=$cache/root
mkdir -p "$cache/archives/partial"

tests/debian13/root-tarball.sh "$tarball"

# The media, the clients and what they get here (Debian 12).
work=$cache/work
tests/debian13/reference.sh "$work"
stop_camera() { kill "$(cat "$work/rtsp_server.pid")" 2>/dev/null || true; }
wheel=$(ls -t target/wheels/dist/smem_rs-*manylinux*_x86_64.whl | head -1)

# Debian 13: a fresh root each time, from the cached tarball. A run that was
# killed may have left /proc, /sys or /dev mounted in the old root: those go
# first, and rm never crosses into a mount.
mkdir -p "$root"
absroot=$(realpath "$root")
awk -v r="$absroot/" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
if awk -v r="$absroot/" 'index($2, r) == 1' /proc/mounts | grep -q .; then
  echo "debian13: $absroot still has mounts in it; not removing it"; exit 1
fi
rm -rf --one-file-system "$root" && mkdir -p "$root"
tar -C "$root" -xf "$tarball"
mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  stop_camera
}
trap cleanup EXIT
for fs in proc sys dev; do
  mount --rbind "/$fs" "$root/$fs" && mounted+=("$root/$fs")
done
mount --bind "$cache/archives" "$root/var/cache/apt/archives" && mounted+=("$root/var/cache/apt/archives")
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/smem/here"
cp "$deb" "$root/smem/smem-rs.deb"
cp "$work/clip.avi" "$work/clip.mp4" "$work/clients.sh" "$work/wheel_check.py" "$work/rtsp_url" "$wheel" "$root/smem/"
cp "$work"/smem_grab.* "$root/smem/here/"
chroot "$root" /bin/sh -eu <<'IN_ROOT' >"$work/debian13.log" 2>&1
export DEBIAN_FRONTEND=noninteractive
unset VLC_PLUGIN_PATH
apt-get update -qq
cat /etc/debian_version >/smem/debian_version
# The wheel first, on its own plugin: pip in a venv, Debian 13's Python.
apt-get install -y -qq python3-venv python3-numpy libvlc5 vlc-plugin-base >/dev/null
python3 -m venv --system-site-packages /smem/venv
/smem/venv/bin/pip install -q --no-deps --no-index /smem/smem_rs-*.whl
python3 --version >/smem/python_version
/smem/venv/bin/python /smem/wheel_check.py /smem/clip.mp4 >/smem/debian13_wheel.txt
apt-get install -y -qq /smem/smem-rs.deb >/dev/null
dpkg-query -W -f='${Version}' libvlccore9 >/smem/vlc_version
# libvlc-bin (recommended) keeps VLC's plugins.dat by its dpkg trigger.
cache=$(ls /usr/lib/*/vlc/plugins/plugins.dat)
echo "$cache: $(grep -c -a smem_preroll "$cache") entries name smem_preroll" >/smem/plugins_dat
/smem/clients.sh /smem/here /smem/clip.avi /usr/bin/smem-grab "$(cat /smem/rtsp_url)" >/smem/debian13.txt
man -w smem-grab >/smem/man 2>&1 || true
apt-get remove -y -qq smem-rs >/dev/null
echo "after removal: $(grep -c -a smem_preroll "$cache") entries name smem_preroll" >>/smem/plugins_dat
SMEM_GRAB_VERBOSE=1 /smem/here/smem_grab /smem/clip.avi /smem/v /smem/a "" >/dev/null 2>/smem/removed.log
IN_ROOT
cp "$root/smem/debian13.txt" "$root/smem/debian13_wheel.txt" "$work/"
echo "debian13_release: $(cat "$root/smem/debian_version")"
echo "debian13_vlc: $(cat "$root/smem/vlc_version")"
sed 's/^/debian13_plugins_dat: /' "$root/smem/plugins_dat"
echo "debian13_python: $(cat "$root/smem/python_version")"
paste -d' ' <(sed 's/^/debian12 /' "$work/here.txt") <(sed 's/^/debian13 /' "$work/debian13.txt")
paste -d' ' <(sed 's/^/debian12 /' "$work/here_wheel.txt") <(sed 's/^/debian13 /' "$work/debian13_wheel.txt")
fail=0
if ! diff "$work/here_wheel.txt" "$work/debian13_wheel.txt" >/dev/null; then
  echo "debian13: the wheel got other frames than on Debian 12:"
  diff "$work/here_wheel.txt" "$work/debian13_wheel.txt" || true
  fail=1
fi
grep -q ': smem_rs$' "$work/debian13.txt" || { echo "debian13: smem_rs did not serve the clients"; fail=1; }
if grep -q ': smem$' "$work/debian13.txt"; then echo "debian13: a client got the stock smem"; fail=1; fi
grep -q '^grab_abi: frame$' "$work/debian13.txt" || { echo "debian13: smem-grab did not find smem_rs"; fail=1; }
grep -q '^grab_rtsp_video_frames: 50$' "$work/debian13.txt" || { echo "debian13: smem-grab did not play the RTSP camera"; fail=1; }
if ! diff <(grep -v _module "$work/here.txt" | grep -v grab_abi) <(grep -v _module "$work/debian13.txt" | grep -v grab_abi) >/dev/null; then
  echo "debian13: the clients got other frames than on Debian 12:"
  diff "$work/here.txt" "$work/debian13.txt" || true
  fail=1
fi
if grep -q 'using sout stream module "smem"' "$root/smem/removed.log"; then
  echo "debian13: after apt remove, the stock smem answers again"
else
  echo "debian13: after apt remove, the stock smem did not answer"; fail=1
fi
echo "debian13_seconds: $(($(date +%s) - start))"
exit $fail
