#!/usr/bin/env bash
# make bench, Python section: frames of a 1080p x264 file (B-frames, 10 s,
# 250 frames, AAC) into numpy, side by side in one run: smem_rs (the wheel,
# in a venv with no VLC_PLUGIN_PATH) against PyAV (container.decode,
# to_ndarray, thread_type AUTO) and OpenCV (VideoCapture.read), Debian's
# python3-av and python3-opencv. Medians of ${PY_REPS:-5} interleaved runs.
# smem_rs's page faults per frame as it comes (untuned): I420 through
# smem_raw (the frame ABI) and through the legacy ABI (VLC's raw encoder).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=out/bench; mkdir -p "$OUT"
clip=$OUT/py1080.mp4
[ -f "$clip" ] || ffmpeg -v error -y -f lavfi -i testsrc2=size=1920x1080:rate=25:duration=10 \
  -f lavfi -i sine=frequency=440:sample_rate=48000:duration=10 -c:v libx264 -bf 2 -c:a aac -ac 2 "$clip"
venv=target/pybench-venv
if [ ! -x "$venv/bin/python" ]; then /usr/bin/python3 -m venv --system-site-packages "$venv"; fi
"$venv/bin/pip" install -q --force-reinstall --no-deps "$(ls -t target/wheels/smem_rs-*.whl | head -1)"
cases=(ours_rgb pyav_rgb opencv_bgr ours_yuv ours_yuv_legacy pyav_yuv ours_audio pyav_audio)
for _ in $(seq "${PY_REPS:-5}"); do
  for c in "${cases[@]}"; do env -u VLC_PLUGIN_PATH "$venv/bin/python" bench/py_frames.py "$c" "$clip"; done
done >"$OUT/python.txt"
python3 - "$OUT/python.txt" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    words = line.split()
    case, seconds, frames, copies, faults = words[0], words[1], words[3], words[5], words[11]
    runs.setdefault(case, []).append((float(seconds), int(frames), int(copies), float(faults)))
med = {c: statistics.median(s for s, _, _, _ in r) for c, r in runs.items()}
for c in runs:
    print(f"py_{c}_1080p_h264_seconds: {med[c]:.3f}")
    print(f"py_{c}_frames: {runs[c][0][1]}")
    if c.startswith("ours_") and c != "ours_audio":
        print(f"faults_per_frame_py_{c}_untuned: {statistics.median(f for _, _, _, f in runs[c]):.1f}")
print(f"py_rgb_1080p_h264_ours_over_pyav: {med['ours_rgb'] / med['pyav_rgb']:.3f}")
print(f"py_rgb_1080p_h264_ours_over_opencv: {med['ours_rgb'] / med['opencv_bgr']:.3f}")
print(f"py_yuv_1080p_h264_ours_over_pyav: {med['ours_yuv'] / med['pyav_yuv']:.3f}")
print(f"py_audio_h264_ours_over_pyav: {med['ours_audio'] / med['pyav_audio']:.3f}")
print(f"py_copies_per_frame: {runs['ours_yuv'][0][2] / runs['ours_yuv'][0][1]:.3f}")
PY
