#!/usr/bin/env bash
# End to end in the hosts people write: a plain C libvlc host (tests/hosts/c_host.c)
# and a python-vlc host (bench/py_host.py), each only setting callbacks.
# Cases: raw 1080p y4m (I420, no transcode), 1080p transcoded to RV32, and in
# the C host 4K to RV32. Sinks: ours, dummy (copies nothing: the limit) and
# stock smem unpaced (no-time-sync). Each untuned and tuned, tuned being the
# same allocator settings for every sink, from the environment as a user
# would set them; and ours with tune-allocator in an untuned process.
# Interleaved runs, medians of $HOST_REPS (C) and $PYTHON_REPS (python); page faults per frame from the
# first frame to the last. Prints `name: value` lines.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=out/bench; mkdir -p "$OUT"
PLUGINS=target/vlc-plugins
# The python host spreads more from run to run than the C one: more runs.
C_REPS=${HOST_REPS:-4}
PY_REPS=${PYTHON_REPS:-8}
TUNED_ENV="MALLOC_ARENA_MAX=1 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4294967296"

cc -O2 -Iinclude -o "$OUT/c_host" tests/hosts/c_host.c $(pkg-config --cflags --libs libvlc)
[ -f "$OUT/1080p-200.y4m" ] || target/release/smem-host gen-y4m "$OUT/1080p-200.y4m" 1920x1080 25 200
[ -f "$OUT/4k-50.y4m" ] || target/release/smem-host gen-y4m "$OUT/4k-50.y4m" 3840x2160 25 50

V='video-prerender-callback={vpre},video-postrender-callback={vpost},video-data={vdata}'
# The frame ABI (include/smem.h): the C host only.
V2='video-frame-callback={vframe},video-data={vdata}'
median() { python3 -c "import statistics,sys; v=[float(x) for x in sys.argv[1:] if x!='NaN']; print(round(statistics.median(v),3) if v else 'NaN')" "$@"; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.3f}' if b==b and b>0 and a==a else 'NaN')" "$1" "$2"; }

# one HOST MEDIA SOUT PLUGINS ENV: prints "wall faults rss"
one() {
  local host=$1 media=$2 sout=$3 plugins=$4 envs=$5 cmd
  case $host in
    c)  cmd=("$OUT/c_host") ;;
    py) cmd=(/usr/bin/python3 bench/py_host.py) ;;
  esac
  env $envs ${plugins:+VLC_PLUGIN_PATH=$plugins} "${cmd[@]}" "$media" "$sout" 2>/dev/null \
    | awk -F': ' '$1=="state" && $2!="Ended" {bad=1} $1=="wall_seconds"{w=$2} $1=="faults_per_frame"{f=$2} $1=="max_rss_kb"{r=$2}
                  END{if(bad || w=="") print "NaN NaN NaN"; else print w, (f==""?"NaN":f), r}'
}

for spec in "c:raw_1080p:1080p-200.y4m:" "c:rv32_1080p:1080p-200.y4m:transcode{vcodec=RV32}" "c:rv32_4k:4k-50.y4m:transcode{vcodec=RV32}" \
            "python:raw_1080p:1080p-200.y4m:" "python:rv32_1080p:1080p-200.y4m:transcode{vcodec=RV32}"; do
  IFS=: read -r host name file chain <<<"$spec"
  short=$host; [ "$host" = python ] && short=py
  pre=${chain:+$chain:}
  REPS=$C_REPS; [ "$host" = python ] && REPS=$PY_REPS
  declare -A W=() F=() R=()
  for _ in $(seq "$REPS"); do
    for tuning in untuned tuned; do
      envs=""; [ "$tuning" = tuned ] && envs=$TUNED_ENV
      sinks="ours dummy stock"; [ "$host" = c ] && sinks="ours v2_ours dummy stock"
      for who in $sinks; do
        case $who in
          ours)  r=$(one "$short" "$OUT/$file" "#${pre}smem{$V,time-sync=false}" "$PLUGINS" "$envs") ;;
          v2_ours) r=$(one "$short" "$OUT/$file" "#${pre}smem{$V2,time-sync=false}" "$PLUGINS" "$envs") ;;
          dummy) r=$(one "$short" "$OUT/$file" "#${pre}dummy" "" "$envs") ;;
          stock) r=$(one "$short" "$OUT/$file" "#${pre}smem{$V,no-time-sync}" "" "$envs") ;;
        esac
        read -r w f m <<<"$r"
        k="${tuning}_$who"; W[$k]="${W[$k]:-} $w" F[$k]="${F[$k]:-} $f" R[$k]="${R[$k]:-} $m"
      done
    done
    # Ours with its own option, in a process nobody tuned.
    read -r w f m <<<"$(one "$short" "$OUT/$file" "#${pre}smem{$V,time-sync=false,tune-allocator}" "$PLUGINS" "")"
    W[option_ours]="${W[option_ours]:-} $w" F[option_ours]="${F[option_ours]:-} $f" R[option_ours]="${R[option_ours]:-} $m"
  done
  p="e2e_${host}_${name}"
  for k in untuned_ours untuned_v2_ours untuned_dummy untuned_stock tuned_ours tuned_v2_ours tuned_dummy tuned_stock option_ours; do
    [ -n "${W[$k]:-}" ] || continue
    echo "${p}_${k}_seconds: $(median ${W[$k]})"
    echo "rss_${host}_${name}_${k}_kb: $(median ${R[$k]})"
    [[ $k == *_dummy ]] || echo "faults_per_frame_${host}_${name}_${k}: $(median ${F[$k]})"
  done
  for tuning in untuned tuned; do
    echo "${p}_${tuning}_ours_over_dummy: $(ratio "$(median ${W[${tuning}_ours]})" "$(median ${W[${tuning}_dummy]})")"
    echo "${p}_${tuning}_stock_over_dummy: $(ratio "$(median ${W[${tuning}_stock]})" "$(median ${W[${tuning}_dummy]})")"
    if [ -n "${W[${tuning}_v2_ours]:-}" ]; then
      echo "${p}_v2_${tuning}_ours_over_dummy: $(ratio "$(median ${W[${tuning}_v2_ours]})" "$(median ${W[${tuning}_dummy]})")"
    fi
  done
  # The frame ABI's headline figures: raw in an untuned host, the transcode tuned.
  case $host:$name in
    c:raw_1080p) echo "${p}_v2_ours_over_dummy: $(ratio "$(median ${W[untuned_v2_ours]})" "$(median ${W[untuned_dummy]})")" ;;
  esac
  # Stock as shipped, in an untuned process, over ours with tune-allocator.
  echo "${p}_stock_over_tuned_ours: $(ratio "$(median ${W[untuned_stock]})" "$(median ${W[option_ours]})")"
  echo "${p}_option_ours_over_tuned_dummy: $(ratio "$(median ${W[option_ours]})" "$(median ${W[tuned_dummy]})")"
  echo "rss_${host}_${name}_option_ours_over_untuned_ours: $(ratio "$(median ${R[option_ours]})" "$(median ${R[untuned_ours]})")"
  unset W F R
done
# What our code copies per frame, as the module counts it at its copy sites
# (logged at Del): the legacy callbacks get a copy, the frame ABI none.
for abi in legacy frame; do
  VLC_PLUGIN_PATH=$PLUGINS target/release/smem-host play "$OUT/1080p-200.y4m" --no-audio --chain 'transcode{vcodec=RV32}' --time-sync false \
    --abi $abi --log "$OUT/copies-$abi.log" --quiet
  line=$(grep 'smem_rs: video track ended' "$OUT/copies-$abi.log")
  python3 - "$abi" "$line" <<'PY'
import re, sys
abi, line = sys.argv[1], sys.argv[2]
m = re.search(r"(\d+) delivered.*, (\d+) bytes copied", line)
name = "v2" if abi == "frame" else "legacy"
print(f"copy_bytes_per_frame_{name}: {int(m.group(2)) // max(int(m.group(1)), 1)}")
PY
done
echo "e2e_c_runs_per_median: $C_REPS"
echo "e2e_python_runs_per_median: $PY_REPS"
