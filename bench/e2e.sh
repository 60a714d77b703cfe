#!/usr/bin/env bash
# End-to-end wall time of one libvlc run, side by side in one go: the same
# chain ending in our smem, in `dummy` (copies nothing: the limit), and in the
# stock C smem (its `time-sync=false` and its only working unpaced spelling,
# `no-time-sync`). Prints `name: value` lines, then a table.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=target/release/smem-host
PLUGINS=target/vlc-plugins
OUT=out/bench; mkdir -p "$OUT"
REPS=${REPS:-5}

[ -f "$OUT/1080p.y4m" ] || $HOST gen-y4m "$OUT/1080p.y4m" 1920x1080 25 100   # 4 s raw I420
[ -f "$OUT/640x480.y4m" ] || $HOST gen-y4m "$OUT/640x480.y4m" 640x480 25 250  # 10 s

# best of $REPS wall seconds for: media, plugin path ("" = stock only), sout
best() {
  local media=$1 path=$2 sout=$3 t best=
  for _ in $(seq "$REPS"); do
    t=$(env ${path:+VLC_PLUGIN_PATH=$path} $HOST play "$media" --sout "$sout" --timeout 60 2>/dev/null | sed -n 's/^wall_seconds: //p')
    best=$(python3 -c "print(min(float('$t'), float('${best:-1e9}')))")
  done
  echo "$best"
}
V='video-prerender-callback={vpre},video-postrender-callback={vpost},video-data={vdata}'
declare -A R
for case in 1080p:1080p.y4m: rv32_640:640x480.y4m:transcode{vcodec=RV32}:; do
  IFS=: read -r name file chain _ <<<"$case"
  pre=${chain:+$chain:}
  R[${name}_ours]=$(best "$OUT/$file" "$PLUGINS" "#${pre}smem{$V,time-sync=false}")
  R[${name}_dummy]=$(best "$OUT/$file" "" "#${pre}dummy")
  R[${name}_stock_false]=$(best "$OUT/$file" "" "#${pre}smem{$V,time-sync=false}")
  R[${name}_stock_no]=$(best "$OUT/$file" "" "#${pre}smem{$V,no-time-sync}")
done
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
for name in 1080p rv32_640; do
  for k in ours dummy stock_false stock_no; do echo "e2e_${name}_${k}_seconds: ${R[${name}_$k]}"; done
  echo "e2e_${name}_ours_over_dummy: $(ratio ${R[${name}_ours]} ${R[${name}_dummy]})"
  echo "e2e_${name}_stock_over_ours: $(ratio ${R[${name}_stock_false]} ${R[${name}_ours]})"
  echo "e2e_${name}_stock_unpaced_over_ours: $(ratio ${R[${name}_stock_no]} ${R[${name}_ours]})"
done
echo
printf '%-34s %8s %8s %18s %16s\n' case ours dummy "stock time-sync=false" "stock no-time-sync"
printf '%-34s %8s %8s %18s %16s\n' "raw 1080p I420, 4 s (y4m)" ${R[1080p_ours]} ${R[1080p_dummy]} ${R[1080p_stock_false]} ${R[1080p_stock_no]}
printf '%-34s %8s %8s %18s %16s\n' "640x480 -> RV32, 10 s" ${R[rv32_640_ours]} ${R[rv32_640_dummy]} ${R[rv32_640_stock_false]} ${R[rv32_640_stock_no]}
echo "(wall seconds, best of $REPS, each including libvlc start-up)"
