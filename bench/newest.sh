#!/usr/bin/env bash
# make bench, the newest Python readers: smem_rs against the newest PyAV,
# opencv-python-headless and video-reader-rs from PyPI, side by side in one
# environment: a Debian 13 root (its Python 3.13, since PyAV 19 needs 3.12 or
# later; its VLC 3.0 from Debian's packages) where our manylinux wheel is
# pip-installed like theirs. Three files people have: 1080p x264 with
# B-frames (10 s), 4K HEVC (3 s), 720p VP9 with Opus (10 s). Every frame into
# numpy and touched (bench/py_frames.py), each reader with its fastest
# documented settings: PyAV thread_type AUTO and to_ndarray, OpenCV
# VideoCapture.read (BGR), video-reader-rs iterating and decode_fast. Wall
# and CPU seconds, peak RSS; medians of ${NEWEST_REPS:-3} interleaved rounds.
# And many short files (bench/py_first_frame.py): the first frame of a 720p
# x264 clip with AAC (10 s) in a warm process, open to array to closed, for
# ours, PyAV and OpenCV; the first frame of each of 100 three-second 720p
# x264 clips in one process, ours against PyAV.
#
# The root and its venv are made once (target/debian13/bench-root; remove it
# to take newer releases from PyPI). video-reader-rs 0.4.5's wheel names a
# libsharpyuv it does not carry: Debian's libsharpyuv0 stands in for it.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=out/bench; mkdir -p "$OUT"
REPS=${NEWEST_REPS:-3}
tarball=target/debian13/root.tar
root=target/debian13/bench-root
tests/debian13/root-tarball.sh "$tarball" >&2

# The media, made here by Debian 12's ffmpeg.
[ -f "$OUT/py1080.mp4" ] || ffmpeg -v error -y -f lavfi -i testsrc2=size=1920x1080:rate=25:duration=10 \
  -f lavfi -i sine=frequency=440:sample_rate=48000:duration=10 -c:v libx264 -bf 2 -c:a aac -ac 2 "$OUT/py1080.mp4"
[ -f "$OUT/hevc2160.mp4" ] || ffmpeg -v error -y -f lavfi -i testsrc2=size=3840x2160:rate=25:duration=3 \
  -c:v libx265 -preset fast -x265-params log-level=error -pix_fmt yuv420p -tag:v hvc1 "$OUT/hevc2160.mp4"
[ -f "$OUT/vp9720.webm" ] || ffmpeg -v error -y -f lavfi -i testsrc2=size=1280x720:rate=25:duration=10 \
  -f lavfi -i sine=frequency=440:sample_rate=48000:duration=10 -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 2M \
  -c:a libopus "$OUT/vp9720.webm"
[ -f "$OUT/py720.mp4" ] || ffmpeg -v error -y -f lavfi -i testsrc2=size=1280x720:rate=25:duration=10 \
  -f lavfi -i sine=frequency=440:sample_rate=48000:duration=10 -c:v libx264 -bf 2 -c:a aac -ac 2 "$OUT/py720.mp4"
# 100 different clips (the hue turned), B-frames and an edit list as ffmpeg
# makes them; veryfast keeps the B-frames and makes them in about 1.5 min.
if [ ! -f "$OUT/clips720/clip99.mp4" ]; then
  mkdir -p "$OUT/clips720"
  for i in $(seq -w 0 99); do
    ffmpeg -v error -y -f lavfi -i "testsrc2=size=1280x720:rate=25:duration=3,hue=h=$((10#$i * 3))" \
      -c:v libx264 -preset veryfast "$OUT/clips720/clip$i.mp4"
  done
fi

mkdir -p "$root"
absroot=$(realpath "$root")
mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
if [ ! -f "$root/bench-ready" ]; then
  echo "newest: making the bench root in $root (Debian 13, the newest readers from PyPI)" >&2
  awk -v r="$absroot/" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf --one-file-system "$root" && mkdir -p "$root"
  tar -C "$root" -xf "$tarball"
fi
for fs in proc sys dev; do
  mountpoint -q "$root/$fs" || { mount --rbind "/$fs" "$root/$fs" && mounted+=("$root/$fs"); }
done
cp /etc/resolv.conf "$root/etc/resolv.conf"
# This machine's CA bundle: PyPI may be reached through a proxy it trusts.
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
if [ ! -f "$root/bench-ready" ]; then
  chroot "$root" /bin/sh -eu <<'IN_ROOT' >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3-venv libvlc5 libvlc-bin vlc-plugin-base libsharpyuv0 >/dev/null
python3 -m venv /bench-venv
/bench-venv/bin/pip install -q numpy av opencv-python-headless video-reader-rs 2>&1 | grep -v "opt/wheels" || true
ln -sf libsharpyuv.so.0 "$(dirname "$(ls /usr/lib/*/libsharpyuv.so.0)")/libsharpyuv-48a062bd.so.0"
/bench-venv/bin/python -c "import av, cv2, numpy, video_reader"
touch /bench-ready
IN_ROOT
fi
mkdir -p "$root/bench"
cp bench/py_frames.py bench/py_first_frame.py "$OUT/py1080.mp4" "$OUT/hevc2160.mp4" "$OUT/vp9720.webm" "$OUT/py720.mp4" "$root/bench/"
cp -ru "$OUT/clips720" "$root/bench/"
rm -f "$root"/bench/smem_rs-*.whl
cp "$(ls -t target/wheels/dist/smem_rs-*manylinux*_x86_64.whl | head -1)" "$root/bench/"

chroot "$root" /bin/sh -eu -s "$REPS" <<'IN_ROOT' >"$OUT/newest.txt"
unset VLC_PLUGIN_PATH
cd /bench
/bench-venv/bin/pip install -q --force-reinstall --no-deps --no-index smem_rs-*.whl 2>&1 | grep -v "opt/wheels" >&2 || true
/bench-venv/bin/python - <<'PY'
import importlib.metadata as m, platform, subprocess, av
for name, dist in (("pyav", "av"), ("opencv", "opencv-python-headless"), ("video_reader_rs", "video-reader-rs"), ("numpy", "numpy"), ("smem_rs", "smem-rs")):
    print(f"version {name} {m.version(dist)}")
print(f"version python {platform.python_version()}")
print(f"version pyav_ffmpeg {av.ffmpeg_version_info}")
vlc = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libvlccore9"], capture_output=True, text=True).stdout
lavc = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libavcodec61"], capture_output=True, text=True).stdout
print(f"version vlc {vlc}")
print(f"version vlc_libavcodec {lavc}")
PY
for _ in $(seq "$1"); do
  for file in py1080.mp4 hevc2160.mp4 vp9720.webm; do
    for case in ours_rgb ours_yuv pyav_rgb pyav_yuv opencv_bgr vrr_rgb vrr_fast_rgb; do
      echo "$file $(/bench-venv/bin/python py_frames.py "$case" "$file" 2>/dev/null || echo "$case NaN s 0 frames 0 copies NaN cpu 0 kb")"
    done
  done
  for reader in ours pyav opencv; do
    echo "first $(/bench-venv/bin/python py_first_frame.py "$reader" py720.mp4 clips720 2>/dev/null || echo "$reader first_frame_ms NaN thumbs_s NaN thumbs 0")"
  done
done
IN_ROOT

python3 - "$OUT/newest.txt" <<'PY'
import statistics, sys
files = {"py1080.mp4": "1080p_h264", "hevc2160.mp4": "2160p_hevc", "vp9720.webm": "720p_vp9"}
runs, versions, first = {}, {}, {}
for line in open(sys.argv[1]):
    words = line.split()
    if words[0] == "version":
        versions[words[1]] = " ".join(words[2:])
        continue
    if words[0] == "first":
        _, reader, _, ms, _, thumbs_s, _, n = words[:8]
        first.setdefault(reader, []).append((float(ms), float(thumbs_s), int(n)))
        continue
    file, case, seconds, _, frames, _, _, _, cpu, _, rss, _ = words[:12]
    runs.setdefault((files[file], case), []).append((float(seconds), int(frames), float(cpu), int(rss)))
for name, value in versions.items():
    print(f"py_newest_version_{name}: {value}")
med = {}
for (file, case), r in runs.items():
    ok = [x for x in r if x[0] == x[0]]
    if not ok:
        continue
    m = tuple(statistics.median(x[i] for x in ok) for i in range(4))
    med[file, case] = m
    print(f"py_newest_{file}_{case}_seconds: {m[0]:.3f}")
    print(f"py_newest_{file}_{case}_cpu_seconds: {m[2]:.3f}")
    print(f"py_newest_{file}_{case}_peak_rss_kb: {int(m[3])}")
    print(f"py_newest_{file}_{case}_frames: {int(m[1])}")
ratio = lambda a, b: f"{a / b:.3f}" if a and b else "NaN"
s = lambda file, case, i=0: med.get((file, case), (None,) * 4)[i]
print(f"py_rgb_1080p_h264_ours_over_pyav_newest: {ratio(s('1080p_h264', 'ours_rgb'), s('1080p_h264', 'pyav_rgb'))}")
print(f"py_yuv_1080p_h264_ours_over_pyav_newest: {ratio(s('1080p_h264', 'ours_yuv'), s('1080p_h264', 'pyav_yuv'))}")
print(f"py_rgb_2160p_hevc_ours_over_pyav_newest: {ratio(s('2160p_hevc', 'ours_rgb'), s('2160p_hevc', 'pyav_rgb'))}")
print(f"py_cpu_1080p_h264_ours_over_pyav_newest: {ratio(s('1080p_h264', 'ours_rgb', 2), s('1080p_h264', 'pyav_rgb', 2))}")
peers = ("pyav_rgb", "opencv_bgr", "vrr_rgb", "vrr_fast_rgb")
for file in files.values():
    times = {p: s(file, p) for p in peers if s(file, p)}
    if not times:
        continue
    best = min(times, key=times.get)
    print(f"py_rgb_{file}_best_peer: {best}")
    print(f"py_rgb_{file}_ours_over_best_peer: {ratio(s(file, 'ours_rgb'), times[best])}")
    print(f"py_yuv_{file}_ours_over_pyav_newest: {ratio(s(file, 'ours_yuv'), s(file, 'pyav_yuv'))}")
first_med = {}
for reader, r in first.items():
    ok = [x for x in r if x[0] == x[0]]
    if ok:
        first_med[reader] = tuple(statistics.median(x[i] for x in ok) for i in range(2))
        print(f"py_first_frame_ms_{reader}: {first_med[reader][0]:.2f}")
        print(f"py_thumbs_{ok[0][2]}_clips_seconds_{reader}: {first_med[reader][1]:.3f}")
f = lambda reader, i: first_med.get(reader, (None, None))[i]
print(f"py_first_frame_ours_over_pyav_newest: {ratio(f('ours', 0), f('pyav', 0))}")
print(f"py_thumbs_100_clips_ours_over_pyav_newest: {ratio(f('ours', 1), f('pyav', 1))}")
print(f"py_newest_rounds: {max(len(r) for r in runs.values())}")
PY
