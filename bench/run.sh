#!/usr/bin/env bash
# make bench: every performance figure of the project, measured side by side
# in one run on this machine. One `name: value` line per figure, then a table.
#   1. end to end under libvlc in smem-host: ours (synchronous and queue=2),
#      dummy and stock (bench/e2e.sh)
#   2. end to end in a plain C host and a python-vlc host, untuned and with
#      the allocator tuned, page faults per frame; the C host also on the
#      frame ABI, and the bytes our code copies per frame (bench/hosts.sh)
#   3. a live UDP source and a slow consumer: lag (bench/live.sh)
#   3b. smem-grab against ffmpeg, 100 PNGs of 1080p (bench/grab.sh)
#   3c. the Python package against PyAV and OpenCV, 1080p H.264 into numpy
#      (bench/python.sh)
#   3d. smem_raw: the frame ABI with no raw encode against ffmpeg's decode,
#      page faults untuned (bench/zero_copy.sh)
#   3e. the newest PyAV, OpenCV and video-reader-rs from PyPI beside the
#      wheel, in a Debian 13 root (bench/newest.sh); there too, many short
#      files: the first frame of a 720p clip, of 100 clips in one process
#   3f. glass-to-numpy latency of a live RTSP camera: ours (latest=True), the
#      stock smem with VLC's defaults, GStreamer, OpenCV 5, PyAV 19, and with
#      a consumer taking 80 ms a frame (bench/live_rtsp.sh)
#   4. the copy in process against memcpy (criterion, benches/copy.rs)
#   5. allocations and instructions per frame under valgrind (bench/valgrind.py),
#      and the client library's pull iterator's allocations per frame
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=out/bench; mkdir -p "$OUT"
FIGURES=$OUT/figures.txt; : >"$FIGURES"

echo "== end to end (median of ${REPS:-11} interleaved runs)"
bench/e2e.sh | tee -a "$FIGURES"

echo "== end to end in a plain C host and a python-vlc host (medians of ${HOST_REPS:-4} and ${PYTHON_REPS:-8} interleaved runs)"
bench/hosts.sh | tee -a "$FIGURES"

echo "== a live UDP source, an 80 ms callback"
bench/live.sh | tee -a "$FIGURES"

echo "== smem-grab against ffmpeg: 100 frames of 1080p to PNG (median of ${GRAB_REPS:-3})"
bench/grab.sh | tee -a "$FIGURES"

echo "== Python: 1080p x264 into numpy, smem_rs against PyAV and OpenCV (median of ${PY_REPS:-3})"
PY_REPS=${PY_REPS:-3} bench/python.sh | tee -a "$FIGURES"

echo "== smem_raw: no raw encode, C host on the frame ABI, against ffmpeg's decode (median of ${ZC_REPS:-5})"
bench/zero_copy.sh | tee -a "$FIGURES"

echo "== the newest Python readers from PyPI, in a Debian 13 root (median of ${NEWEST_REPS:-5} rounds)"
NEWEST_REPS=${NEWEST_REPS:-5} bench/newest.sh | tee -a "$FIGURES"

echo "== glass to numpy: a live RTSP camera (720p25 x264 zero-latency on 127.0.0.1), ${LIVE_FRAMES:-300} frames a reader, then ${LIVE_SLOW_FRAMES:-150} with an 80 ms consumer"
bench/live_rtsp.sh | tee -a "$FIGURES"

echo "== copy into the application's buffer vs memcpy (criterion)"
cargo bench --bench copy -- --noplot >"$OUT/criterion.txt" 2>&1 || { tail -20 "$OUT/criterion.txt"; exit 1; }
python3 - <<'PY' | tee -a "$FIGURES"
import json, glob, os
base = "target/criterion/copy"
# The ratio from the paired run (alternating, fastest round of each); the
# throughputs from criterion.
paired = dict(l.split() for l in open(f"{base}/paired.txt"))
for case_dir in sorted(glob.glob(f"{base}/smem_rs/*/")):
    case = os.path.basename(case_dir.rstrip("/"))
    est = lambda who: json.load(open(f"{base}/{who}/{case}/new/estimates.json"))["median"]["point_estimate"]
    bench = json.load(open(f"{base}/smem_rs/{case}/new/benchmark.json"))
    size = bench["throughput"]["Bytes"]
    ours, memcpy = est("smem_rs"), est("memcpy")
    print(f"copy_{case}_gib_per_s: {size / ours / 1.073741824:.2f}")
    print(f"copy_{case}_memcpy_gib_per_s: {size / memcpy / 1.073741824:.2f}")
    print(f"copy_{case}_vs_memcpy: {paired[case]}")
PY

echo "== per frame under valgrind (DHAT, callgrind)"
python3 bench/valgrind.py | tee -a "$FIGURES"

echo "== the client library's pull iterator (a counting global allocator)"
cargo test --release -p smem-client --test pull_allocations -- --nocapture 2>&1 | grep -E '^allocs_per_frame_pull: ' | tee -a "$FIGURES"

python3 - "$FIGURES" <<'PY'
import sys
f = dict(l.strip().split(": ", 1) for l in open(sys.argv[1]) if ": " in l)
g = lambda k: f.get(k, "-")
print()
print(f"{'end to end in smem-host, wall s':34} {'ours':>7} {'queue=2':>7} {'dummy':>7} {'ours/dummy':>10} {'queue2/dummy':>12} {'stock unpaced':>13} {'stock time-sync=false':>21} {'that/ours':>9}")
for case, label in (("raw_1080p", "raw 1080p I420 y4m, 16 s"), ("rv32_1080p", "1080p -> RV32 transcode, 8 s")):
    p = f"e2e_{case}_"
    print(f"{label:34} {g(p+'ours_seconds'):>7} {g(p+'queue2_ours_seconds'):>7} {g(p+'dummy_seconds'):>7} {g(p+'ours_over_dummy'):>10} {g(p+'queue2_ours_over_dummy'):>12} {g(p+'stock_no_time_sync_seconds'):>13} {g(p+'stock_time_sync_false_seconds'):>21} {g(p+'stock_over_ours'):>9}")
print()
print(f"{'plain hosts, wall s (faults/frame)':34} {'tuning':>8} {'ours':>16} {'dummy':>7} {'stock':>16} {'ours/dummy':>10} {'frame ABI':>9} {'its /dummy':>10}")
for host in ("c", "python"):
    for case in ("raw_1080p", "rv32_1080p", "rv32_4k"):
        p = f"e2e_{host}_{case}_"
        if p + "untuned_ours_seconds" not in f:
            continue
        for tuning in ("untuned", "tuned"):
            ours = f"{g(p+tuning+'_ours_seconds')} ({g(f'faults_per_frame_{host}_{case}_{tuning}_ours')})"
            stock = f"{g(p+tuning+'_stock_seconds')} ({g(f'faults_per_frame_{host}_{case}_{tuning}_stock')})"
            print(f"{host+' '+case:34} {tuning:>8} {ours:>16} {g(p+tuning+'_dummy_seconds'):>7} {stock:>16} {g(p+tuning+'_ours_over_dummy'):>10} {g(p+tuning+'_v2_ours_seconds'):>9} {g(p+'v2_'+tuning+'_ours_over_dummy'):>10}")
        option = f"{g(p+'option_ours_seconds')} ({g(f'faults_per_frame_{host}_{case}_option_ours')})"
        print(f"{'':34} {'option':>8} {option:>16}   stock untuned / ours with tune-allocator: {g(p+'stock_over_tuned_ours')}")
print()
print(f"smem-grab, 100 PNGs of 1080p: {g('grab_png_1080p_seconds_ours')} s and {g('grab_png_1080p_bytes_ours')} bytes; ffmpeg {g('grab_png_1080p_seconds_ffmpeg')} s and {g('grab_png_1080p_bytes_ffmpeg')} bytes; time {g('grab_png_1080p_ours_over_ffmpeg')}, bytes {g('grab_png_1080p_bytes_ours_over_ffmpeg')}")
print(f"live UDP source, 80 ms callback: lag {g('live_lag_seconds_default')} s synchronous, {g('live_lag_seconds_queue1_drop_oldest')} s with queue=1,drop=oldest")
print(f"Python, 1080p x264 into numpy, s: smem_rs RGB {g('py_ours_rgb_1080p_h264_seconds')}, PyAV {g('py_pyav_rgb_1080p_h264_seconds')}, OpenCV {g('py_opencv_bgr_1080p_h264_seconds')} (ratios {g('py_rgb_1080p_h264_ours_over_pyav')}, {g('py_rgb_1080p_h264_ours_over_opencv')}); YUV planes {g('py_ours_yuv_1080p_h264_seconds')} vs PyAV {g('py_pyav_yuv_1080p_h264_seconds')} ({g('py_yuv_1080p_h264_ours_over_pyav')}); copies a frame {g('py_copies_per_frame')}")
print(f"Python, page faults a frame as it comes (untuned): RGB {g('faults_per_frame_py_ours_rgb_untuned')}, I420 through smem_raw {g('faults_per_frame_py_ours_yuv_untuned')}, I420 on the legacy ABI {g('faults_per_frame_py_ours_yuv_legacy_untuned')} ({g('py_ours_yuv_legacy_1080p_h264_seconds')} s)")
print()
print(f"{'peak RSS, kB (median)':34} {'ours':>10} {'stock':>10} {'ours/stock':>10}")
for case in ("raw_1080p", "rv32_1080p"):
    print(f"{case:34} {g(f'rss_{case}_ours_kb'):>10} {g(f'rss_{case}_stock_kb'):>10} {g(f'rss_{case}_ours_over_stock'):>10}")
print()
print(f"{'copy, GiB/s (criterion)':34} {'ours':>7} {'memcpy':>7} {'ratio (paired)':>15}")
for k in sorted(k for k in f if k.startswith("copy_") and k.endswith("_vs_memcpy")):
    case = k[len("copy_"):-len("_vs_memcpy")]
    print(f"{case:34} {g(f'copy_{case}_gib_per_s'):>7} {g(f'copy_{case}_memcpy_gib_per_s'):>7} {g(k):>15}")
print()
print(f"bytes our code copies per frame, 1080p RV32: legacy callbacks {g('copy_bytes_per_frame_legacy')}, frame ABI {g('copy_bytes_per_frame_v2')}")
print(f"allocations per frame in our code: {g('allocs_per_frame')} (all {g('allocs_in_ours_long_run')} of ours are in Open/Add/Del); on the frame ABI holding every frame: {g('allocs_per_frame_v2_held')}; the client's pull iterator: {g('allocs_per_frame_pull')}")
print(f"instructions per frame: ours {g('instructions_per_frame_ours')}, stock {g('instructions_per_frame_stock')}, ratio {g('instructions_per_frame_ours_over_stock')}")
print(f"  of which outside the memcpy both make: ours {g('instructions_per_frame_outside_memcpy_ours')}, stock {g('instructions_per_frame_outside_memcpy_stock')}")
print(f"  of which in the module's own code: ours {g('instructions_per_frame_own_code_ours')}, stock {g('instructions_per_frame_own_code_stock')}")
print()
v = lambda k: g("py_newest_version_" + k)
print(f"newest readers, Debian 13 root (Python {v('python')}, VLC {v('vlc')}): wall s (CPU s, peak RSS MB)")
cases = [("ours_rgb", "smem_rs rgb24"), ("ours_yuv", "smem_rs i420"), ("pyav_rgb", f"PyAV {v('pyav')} rgb24"),
         ("pyav_yuv", "PyAV yuv420p"), ("opencv_bgr", f"OpenCV {v('opencv')} BGR"),
         ("vrr_rgb", f"video-reader-rs {v('video_reader_rs')} iter"), ("vrr_fast_rgb", "video-reader-rs decode_fast")]
print(f"{'':14}" + "".join(f"{label:>28}" for _, label in cases))
for file in ("1080p_h264", "2160p_hevc", "720p_vp9"):
    cell = lambda c: f"{g(f'py_newest_{file}_{c}_seconds')} ({g(f'py_newest_{file}_{c}_cpu_seconds')}, {int(int(g(f'py_newest_{file}_{c}_peak_rss_kb')) / 1024) if g(f'py_newest_{file}_{c}_peak_rss_kb') != '-' else '-'})"
    print(f"{file:14}" + "".join(f"{cell(c):>28}" for c, _ in cases))
print(f"first frame of a 720p x264 clip, warm process, ms: smem_rs {g('py_first_frame_ms_ours')}, PyAV {g('py_first_frame_ms_pyav')}, OpenCV {g('py_first_frame_ms_opencv')} (ours / PyAV {g('py_first_frame_ours_over_pyav_newest')})")
print(f"first frame of 100 three-second 720p clips, one process, s: smem_rs {g('py_thumbs_100_clips_seconds_ours')}, PyAV {g('py_thumbs_100_clips_seconds_pyav')}, OpenCV {g('py_thumbs_100_clips_seconds_opencv')} (ours / PyAV {g('py_thumbs_100_clips_ours_over_pyav_newest')})")
print()
print(f"{'glass to numpy, live RTSP, ms':34} {'p50':>7} {'p95':>7} {'max':>7} {'80ms: p50':>10} {'p95':>7} {'last 50':>8}")
for reader in ("ours", "stock", "gst", "opencv", "pyav", "opencv_host", "pyav_host"):
    if g(f"live_rtsp_latency_p50_ms_{reader}") == "-":
        continue
    l = lambda k: g(f"live_rtsp_latency_{k}_ms_{reader}")
    print(f"{reader:34} {l('p50'):>7} {l('p95'):>7} {l('max'):>7} {l('slow_p50'):>10} {l('slow_p95'):>7} {l('slow_last50_p50'):>8}")
print(f"ours minus the best peer ({g('live_rtsp_best_peer')}): p50 {g('live_rtsp_latency_p50_ours_minus_best_peer_ms')} ms, p95 {g('live_rtsp_latency_p95_ours_minus_best_peer_ms')} ms")
PY
