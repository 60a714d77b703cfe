#!/usr/bin/env bash
# make bench, smem_raw: VLC's decoded pictures to the application with no
# raw encode in between (#transcode{vcodec=...,venc=smem_raw}), in the plain
# C host (tests/hosts/c_host.c) on the frame ABI, untuned:
#   - 1080p x264 with B-frames (the Python section's file) to I420, against
#     ffmpeg's decode alone (`ffmpeg -f null`, the same Debian libavcodec VLC
#     uses): the real limit, since `dummy` pays the raw encode too. Both are
#     whole processes timed alike; VLC's raw encoder beside them, and ours
#     with smem's tune-allocator (no page-fault storm of the decoder's own
#     picture buffers); page faults per frame of each, untuned and tuned.
#   - 1080p to RV32 (the hosts section's file): page faults per frame, with
#     smem_raw and with VLC's raw encoder.
# Interleaved runs, medians of ${ZC_REPS:-5}. Prints `name: value` lines.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=out/bench; mkdir -p "$OUT"
PLUGINS=target/vlc-plugins
REPS=${ZC_REPS:-5}
clip=$OUT/py1080.mp4
y4m=$OUT/1080p-200.y4m
[ -f "$clip" ] || ffmpeg -v error -y -f lavfi -i testsrc2=size=1920x1080:rate=25:duration=10 \
  -f lavfi -i sine=frequency=440:sample_rate=48000:duration=10 -c:v libx264 -bf 2 -c:a aac -ac 2 "$clip"
[ -f "$y4m" ] || target/release/smem-host gen-y4m "$y4m" 1920x1080 25 200
cc -O2 -Iinclude -o "$OUT/c_host" tests/hosts/c_host.c $(pkg-config --cflags --libs libvlc)
V2='video-frame-callback={vframe},video-data={vdata},time-sync=false'

# whole MEDIA CMD...: prints "wall faults_per_frame frames" of one c_host run
# (wall of the whole process, as for ffmpeg), or of ffmpeg's decode.
whole() {
  python3 - "$@" <<'PY'
import subprocess, sys, time
cmd = sys.argv[1:]
t = time.perf_counter()
out = subprocess.run(cmd, capture_output=True, text=True)
wall = time.perf_counter() - t
f = dict(l.split(": ", 1) for l in out.stdout.splitlines() if ": " in l)
ok = out.returncode == 0 and f.get("state", "Ended") == "Ended"
print(f"{wall:.3f} {f.get('faults_per_frame', 'NaN')} {f.get('frames', 'NaN')}" if ok else "NaN NaN NaN")
PY
}
host() { whole env VLC_PLUGIN_PATH=$PLUGINS "$OUT/c_host" "$@"; }
median() { python3 -c "import statistics,sys; v=[float(x) for x in sys.argv[1:] if x!='NaN']; print(round(statistics.median(v),3) if v else 'NaN')" "$@"; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.3f}' if b==b and b>0 and a==a else 'NaN')" "$1" "$2"; }

declare -A W=() F=() N=()
for _ in $(seq "$REPS"); do
  for who in ours ours_tuned vlc_raw_encoder ffmpeg_decode; do
    case $who in
      ours) r=$(host "$clip" "#transcode{vcodec=I420,venc=smem_raw}:smem{$V2}") ;;
      ours_tuned) r=$(host "$clip" "#transcode{vcodec=I420,venc=smem_raw}:smem{$V2,tune-allocator}") ;;
      vlc_raw_encoder) r=$(host "$clip" "#transcode{vcodec=I420}:smem{$V2}") ;;
      ffmpeg_decode) r=$(whole ffmpeg -v error -i "$clip" -an -f null -) ;;
    esac
    read -r w f n <<<"$r"; W[$who]="${W[$who]:-} $w"; F[$who]="${F[$who]:-} $f"; N[$who]=$n
  done
done
p=e2e_i420_1080p_h264
for who in ours ours_tuned vlc_raw_encoder ffmpeg_decode; do echo "${p}_${who}_seconds: $(median ${W[$who]})"; done
for who in ours ours_tuned vlc_raw_encoder; do echo "faults_per_frame_c_i420_1080p_h264_${who}: $(median ${F[$who]})"; done
echo "${p}_ours_frames: ${N[ours]}"
echo "${p}_vlc_raw_encoder_frames: ${N[vlc_raw_encoder]}"
echo "${p}_ours_over_ffmpeg_decode: $(ratio "$(median ${W[ours]})" "$(median ${W[ffmpeg_decode]})")"
echo "${p}_ours_tuned_over_ffmpeg_decode: $(ratio "$(median ${W[ours_tuned]})" "$(median ${W[ffmpeg_decode]})")"
echo "${p}_vlc_raw_encoder_over_ffmpeg_decode: $(ratio "$(median ${W[vlc_raw_encoder]})" "$(median ${W[ffmpeg_decode]})")"

W=() F=()
# The storm is slow (seconds a run): fewer runs, the faults barely spread.
for _ in $(seq $(( (REPS + 1) / 2 ))); do
  for who in zero_copy vlc_raw_encoder; do
    venc=""; [ $who = zero_copy ] && venc=",venc=smem_raw"
    read -r w f n <<<"$(host "$y4m" "#transcode{vcodec=RV32$venc}:smem{$V2}")"
    W[$who]="${W[$who]:-} $w" F[$who]="${F[$who]:-} $f"
  done
done
for who in zero_copy vlc_raw_encoder; do
  echo "e2e_c_rv32_1080p_untuned_${who}_seconds: $(median ${W[$who]})"
  echo "faults_per_frame_c_rv32_1080p_untuned_${who}: $(median ${F[$who]})"
done
echo "e2e_zero_copy_runs_per_median: $REPS"
