#!/usr/bin/env bash
# smem-grab against ffmpeg, the tool everyone has, on the same 100 frames of
# 1080p y4m, one PNG a frame, side by side: interleaved runs, medians of
# $GRAB_REPS. Both write into a fresh folder each run; ffmpeg from Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=out/bench; mkdir -p "$OUT"
REPS=${GRAB_REPS:-3}
CLIP=$OUT/1080p-100.y4m
[ -f "$CLIP" ] || target/release/smem-host gen-y4m "$CLIP" 1920x1080 25 100
median() { python3 -c "import statistics,sys; print(round(statistics.median(float(x) for x in sys.argv[1:]), 3))" "$@"; }
now() { date +%s.%N; }

ours=() theirs=() ours_bytes=0 theirs_bytes=0
for _ in $(seq "$REPS"); do
  rm -rf "$OUT/grab-ours" "$OUT/grab-ffmpeg"; mkdir -p "$OUT/grab-ffmpeg"
  t=$(now)
  VLC_PLUGIN_PATH=target/vlc-plugins target/release/smem-grab "$CLIP" -o "$OUT/grab-ours" --no-audio >/dev/null
  ours+=("$(python3 -c "print($(now) - $t)")")
  t=$(now)
  ffmpeg -hide_banner -loglevel error -i "$CLIP" "$OUT/grab-ffmpeg/out-%04d.png"
  theirs+=("$(python3 -c "print($(now) - $t)")")
  ours_bytes=$(du -sb "$OUT/grab-ours" | cut -f1) theirs_bytes=$(du -sb "$OUT/grab-ffmpeg" | cut -f1)
  [ "$(ls "$OUT/grab-ours" | grep -c png)" = 100 ] || { echo "smem-grab wrote $(ls "$OUT/grab-ours" | grep -c png) PNGs, not 100"; exit 1; }
done
o=$(median "${ours[@]}") f=$(median "${theirs[@]}")
echo "grab_png_1080p_seconds_ours: $o"
echo "grab_png_1080p_seconds_ffmpeg: $f"
echo "grab_png_1080p_ours_over_ffmpeg: $(python3 -c "print(f'{$o / $f:.3f}')")"
echo "grab_png_1080p_bytes_ours: $ours_bytes"
echo "grab_png_1080p_bytes_ffmpeg: $theirs_bytes"
echo "grab_png_1080p_bytes_ours_over_ffmpeg: $(python3 -c "print(f'{$ours_bytes / $theirs_bytes:.3f}')")"
