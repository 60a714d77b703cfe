#!/usr/bin/env bash
# make test-arm64: the arm64 .deb and the aarch64 wheel, cross-built here,
# in a fresh arm64 Debian 12 root and a fresh Debian 13 one
# (debian/arm64-root.sh: mmdebstrap, cached in target/arm64) whose programs
# run under qemu user emulation. Inside each:
#  1. the wheel, pip-installed in a venv, on its own plugin: the same I420
#     bytes, segment and media times as the x86_64 wheel here;
#  2. `apt install ./smem-rs_*_arm64.deb`, then a C libvlc client compiled
#     there, a python-vlc client and smem-grab: the same counts and bytes as
#     the same clients here (tests/debian13/clients.sh);
#  3. `apt remove`: VLC's stock smem answers again.
#   tests/arm64.sh [RELEASE...]    (default: bookworm trixie)
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
deb=target/debian/smem-rs_${version}_arm64.deb
wheel_arm=$(ls -t target/wheels/dist/smem_rs-*manylinux*_aarch64.whl | head -1)
cache=target/arm64
work=$cache/work
# The media, the clients and what they get here (amd64).
tests/debian13/reference.sh "$work"
stop_camera() { kill "$(cat "$work/rtsp_server.pid")" 2>/dev/null || true; }

# One release: its root, the wheel, the package and its removal.
in_root() {
local release=$1 root=$cache/root-$1
# Runs in a subshell of its own (a pipeline): its mounts go when it ends.
trap cleanup EXIT
debian/arm64-root.sh "$release" "$root"
for fs in proc sys dev; do
  mount --rbind "/$fs" "$root/$fs" && mounted+=("$root/$fs")
done
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/smem/here"
cp "$deb" "$root/smem/smem-rs.deb"
cp "$wheel_arm" "$root/smem/"
cp "$work/clip.avi" "$work/clip.mp4" "$work/clients.sh" "$work/wheel_check.py" "$work/rtsp_url" "$root/smem/"
cp "$work"/smem_grab.* "$root/smem/here/"
chroot "$root" /bin/sh -eu <<'IN_ROOT' >"$work/arm64-$release.log" 2>&1
export DEBIAN_FRONTEND=noninteractive
unset VLC_PLUGIN_PATH
uname -m >/smem/machine
cat /etc/debian_version >/smem/debian_version
dpkg-query -W -f='${Version}' libvlccore9 >/smem/vlc_version
python3 -m venv --system-site-packages /smem/venv
/smem/venv/bin/pip install -q --no-deps --no-index /smem/smem_rs-*.whl
/smem/venv/bin/python /smem/wheel_check.py /smem/clip.mp4 >/smem/arm64_wheel.txt
apt-get install -y -qq /smem/smem-rs.deb >/dev/null
cache=$(ls /usr/lib/*/vlc/plugins/plugins.dat)
echo "$cache: $(grep -c -a smem_preroll "$cache") entries name smem_preroll" >/smem/plugins_dat
/smem/clients.sh /smem/here /smem/clip.avi /usr/bin/smem-grab "$(cat /smem/rtsp_url)" >/smem/arm64.txt
apt-get remove -y -qq smem-rs >/dev/null
echo "after removal: $(grep -c -a smem_preroll "$cache") entries name smem_preroll" >>/smem/plugins_dat
SMEM_GRAB_VERBOSE=1 /smem/here/smem_grab /smem/clip.avi /smem/v /smem/a "" >/dev/null 2>/smem/removed.log
IN_ROOT
cp "$root/smem/arm64.txt" "$work/arm64-$release.txt"
cp "$root/smem/arm64_wheel.txt" "$work/arm64-${release}_wheel.txt"
echo "arm64_machine: $(cat "$root/smem/machine") (qemu user emulation)"
echo "arm64_release: $(cat "$root/smem/debian_version")"
echo "arm64_vlc: $(cat "$root/smem/vlc_version")"
sed 's/^/arm64_plugins_dat: /' "$root/smem/plugins_dat"
paste -d' ' <(sed 's/^/amd64 /' "$work/here.txt") <(sed 's/^/arm64 /' "$work/arm64-$release.txt")
paste -d' ' <(sed 's/^/amd64 /' "$work/here_wheel.txt") <(sed 's/^/arm64 /' "$work/arm64-${release}_wheel.txt")
local fail=0
grep -q ': smem_rs$' "$work/arm64-$release.txt" || { echo "arm64: smem_rs did not serve the clients"; fail=1; }
if grep -q ': smem$' "$work/arm64-$release.txt"; then echo "arm64: a client got the stock smem"; fail=1; fi
grep -q '^grab_abi: frame$' "$work/arm64-$release.txt" || { echo "arm64: smem-grab did not find smem_rs"; fail=1; }
grep -q '^grab_rtsp_video_frames: 50$' "$work/arm64-$release.txt" || { echo "arm64: smem-grab did not play the RTSP camera"; fail=1; }
same() { diff <(grep -v -E "$3" "$1") <(grep -v -E "$3" "$2") >/dev/null; }
if ! same "$work/here.txt" "$work/arm64-$release.txt" '_module|grab_abi'; then
  echo "arm64: the clients got other frames than on amd64:"
  diff "$work/here.txt" "$work/arm64-$release.txt" || true
  fail=1
fi
if ! same "$work/here_wheel.txt" "$work/arm64-${release}_wheel.txt" '^$'; then
  echo "arm64: the wheel got other frames than on amd64:"
  diff "$work/here_wheel.txt" "$work/arm64-${release}_wheel.txt" || true
  fail=1
fi
if grep -q 'using sout stream module "smem"' "$root/smem/removed.log"; then
  echo "arm64: after apt remove, the stock smem answers again"
else
  echo "arm64: after apt remove, the stock smem did not answer"
  fail=1
fi
cleanup
return $fail
}

mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  mounted=()
}
trap 'cleanup; stop_camera' EXIT
status=0
for release in ${*:-bookworm trixie}; do
  in_root "$release" | sed -e "s/^arm64_/arm64_${release}_/" -e "s/^arm64:/arm64 $release:/" || status=1
done
stop_camera
echo "arm64_seconds: $(($(date +%s) - start))"
exit $status
