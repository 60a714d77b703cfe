#!/usr/bin/env bash
# End to end under real libvlc (smem-host), side by side in one go: the same
# chain ending in our smem (synchronous, and with queue=2,drop=none), in
# `dummy` (copies nothing: the limit), and in the stock C smem, unpaced
# (`no-time-sync`, its only working spelling) and as people write it
# (`time-sync=false`, which stock ignores: it plays in real time).
# Runs are interleaved and the median of $REPS is kept. Prints `name: value`
# lines; bench/run.sh adds the table.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=target/release/smem-host
PLUGINS=target/vlc-plugins
OUT=out/bench; mkdir -p "$OUT"
REPS=${REPS:-11}

# Raw 1080p, 16 s (no transcode: the y4m frames are the I420 blocks), and a
# 1080p source transcoded to RV32 (8 s).
[ -f "$OUT/1080p-400.y4m" ] || $HOST gen-y4m "$OUT/1080p-400.y4m" 1920x1080 25 400
[ -f "$OUT/1080p-200.y4m" ] || $HOST gen-y4m "$OUT/1080p-200.y4m" 1920x1080 25 200

V='video-prerender-callback={vpre},video-postrender-callback={vpost},video-data={vdata}'
median() { python3 -c "import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
ratio() { python3 -c "print(f'{$1/$2:.3f}')"; }

# one run: prints "wall_seconds max_rss_kb"
once() {
  local media=$1 plugins=$2 sout=$3
  env ${plugins:+VLC_PLUGIN_PATH=$plugins} $HOST play "$media" --sout "$sout" --timeout 120 2>/dev/null \
    | awk -F': ' '$1=="state" && $2!="Ended" {bad=1} $1=="wall_seconds"{w=$2} $1=="max_rss_kb"{r=$2} END{if(bad){print "NaN NaN"} else print w, r}'
}

for case in "raw_1080p:1080p-400.y4m:" "rv32_1080p:1080p-200.y4m:transcode{vcodec=RV32}"; do
  IFS=: read -r name file chain <<<"$case"
  pre=${chain:+$chain:}
  declare -A W=() M=()
  for _ in $(seq "$REPS"); do
    for who in ours queue2 dummy stock; do
      case $who in
        ours)  r=$(once "$OUT/$file" "$PLUGINS" "#${pre}smem{$V,time-sync=false}") ;;
        queue2) r=$(once "$OUT/$file" "$PLUGINS" "#${pre}smem{$V,time-sync=false,queue=2,drop=none}") ;;
        dummy) r=$(once "$OUT/$file" "" "#${pre}dummy") ;;
        stock) r=$(once "$OUT/$file" "" "#${pre}smem{$V,no-time-sync}") ;;
      esac
      W[$who]="${W[$who]:-} ${r% *}" M[$who]="${M[$who]:-} ${r#* }"
    done
  done
  # Stock as people write it is paced: one run is enough to show it.
  paced=$(once "$OUT/$file" "" "#${pre}smem{$V,time-sync=false}")
  ours=$(median ${W[ours]}) dummy=$(median ${W[dummy]}) stock=$(median ${W[stock]}) queue2=$(median ${W[queue2]})
  echo "e2e_${name}_ours_seconds: $ours"
  echo "e2e_${name}_queue2_ours_seconds: $queue2"
  echo "e2e_${name}_queue2_ours_over_dummy: $(ratio "$queue2" "$dummy")"
  echo "e2e_${name}_dummy_seconds: $dummy"
  echo "e2e_${name}_stock_no_time_sync_seconds: $stock"
  echo "e2e_${name}_stock_time_sync_false_seconds: ${paced% *}"
  echo "e2e_${name}_ours_over_dummy: $(ratio "$ours" "$dummy")"
  echo "e2e_${name}_stock_over_ours: $(ratio "${paced% *}" "$ours")"
  echo "e2e_${name}_stock_unpaced_over_ours: $(ratio "$stock" "$ours")"
  # What one plain memcpy per frame in Send costs over copying nothing: the
  # budget any copying sink starts from.
  echo "e2e_${name}_stock_unpaced_over_dummy: $(ratio "$stock" "$dummy")"
  rss_ours=$(median ${M[ours]}) rss_stock=$(median ${M[stock]})
  echo "rss_${name}_ours_kb: $rss_ours"
  echo "rss_${name}_stock_kb: $rss_stock"
  echo "rss_${name}_ours_over_stock: $(ratio "$rss_ours" "$rss_stock")"
done
echo "e2e_runs_per_median: $REPS"
