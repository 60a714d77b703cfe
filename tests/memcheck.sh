#!/usr/bin/env bash
# make check-memory: valgrind memcheck over full pipeline runs of the built
# plugin under real libvlc. Counts only what valgrind attributes to our
# plugin (a stack through libsmem_rs_plugin.so): invalid reads/writes, use of
# uninitialised memory, and definitely lost blocks. VLC's and glibc's own
# findings are printed as context, never counted against us.
#
# A self-check first proves the check can fail: a debug build asked to leak
# (SMEM_RS_FAULT=leak) must be caught.
set -euo pipefail
cd "$(dirname "$0")/.."

RELEASE_HOST=target/release/smem-host
RELEASE_PLUGINS=target/vlc-plugins
DEBUG_PLUGINS=target/debug/memcheck-plugins
OUT=out/check-memory
mkdir -p "$OUT" "$DEBUG_PLUGINS"
cp target/debug/libsmem_rs_plugin.so "$DEBUG_PLUGINS/"

VALGRIND=(valgrind -v --tool=memcheck --leak-check=full --show-leak-kinds=definite
  --errors-for-leak-kinds=definite --keep-debuginfo=yes --num-callers=60)

$RELEASE_HOST gen-y4m "$OUT/a.y4m" 64x48 25 10 >/dev/null
$RELEASE_HOST gen-y4m "$OUT/odd.y4m" 321x241 25 5 >/dev/null
$RELEASE_HOST gen-y4m "$OUT/long.y4m" 64x48 25 50 >/dev/null
$RELEASE_HOST gen-wav "$OUT/a.wav" 48000 2 0.4 >/dev/null
$RELEASE_HOST gen-wav "$OUT/long.wav" 48000 2 2 >/dev/null
$RELEASE_HOST gen-wav "$OUT/mono.wav" 44100 1 0.4 >/dev/null

# The RTSP input: GStreamer's RTSP server on 127.0.0.1 sends a 2 s H.264
# clip in real time (stopped on exit, or by itself after 10 minutes).
ffmpeg -v error -y -f lavfi -i testsrc2=size=160x120:rate=25:duration=2 -c:v libx264 -bf 0 -g 25 \
  -pix_fmt yuv420p "$OUT/cam.mkv"
/usr/bin/python3 tests/rtsp/server.py --port 0 --lifetime 600 \
  "/cam=( filesrc location=$OUT/cam.mkv ! matroskademux ! h264parse ! rtph264pay name=pay0 pt=96 )" >"$OUT/rtsp-server.txt" &
RTSP_SERVER=$!
trap 'kill $RTSP_SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q '^ready' "$OUT/rtsp-server.txt" 2>/dev/null && break; sleep 0.1; done
RTSP_PORT=$(sed -n 's/^ready //p' "$OUT/rtsp-server.txt")
[ -n "$RTSP_PORT" ] || { echo "the RTSP server did not start"; exit 1; }
CLOSED_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# Reads one valgrind log; prints "errors_in_ours lost_bytes_in_ours errors_all lost_bytes_all".
summarise() {
  python3 - "$1" <<'EOF'
import re, sys
text = open(sys.argv[1], errors="replace").read()
records, current = [], []
for line in text.splitlines():
    body = re.sub(r"^==\d+== ?", "", line)
    if body.strip() == "":
        if current: records.append(current)
        current = []
    else:
        current.append(body)
if current: records.append(current)
ours_err = ours_lost = all_err = all_lost = 0
for rec in records:
    head = rec[0]
    leak = re.match(r"([\d,]+)(?: \(([\d,]+) direct, [\d,]+ indirect\))? bytes in [\d,]+ blocks are definitely lost", head)
    is_error = re.match(r"(Invalid (read|write|free)|Conditional jump|Use of uninitialised|Syscall param|Mismatched free|Source and destination overlap)", head)
    if not (leak or is_error): continue
    # glibc's loader keeps its scope arrays for the process's life; valgrind
    # calls them lost when VLC loads a module, whoever's call led there.
    allocated_by = next((l for l in rec[1:] if not re.search(r"vgpreload|\bmalloc\b|\bcalloc\b|\brealloc\b", l)), "")
    if leak and re.search(r"\((dl-[\w-]+\.c|rtld[\w-]*\.h):\d+\)", allocated_by): continue
    ours = any("smem_rs_plugin" in l for l in rec)
    if leak:
        n = int((leak.group(2) or leak.group(1)).replace(",", ""))
        all_lost += n
        if ours: ours_lost += n
    else:
        all_err += 1
        if ours: ours_err += 1
print(ours_err, ours_lost, all_err, all_lost)
EOF
}

# run NAME PLUGIN_DIR [ENV=VALUE...] -- HOST-ARGS...; sets RESULT to the summary.
run() {
  local name=$1 plugins=$2; shift 2
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
  local log="$OUT/$name.valgrind.txt"
  env VLC_PLUGIN_PATH="$plugins" "${envs[@]}" "${VALGRIND[@]}" --log-file="$log" \
    "$@" >"$OUT/$name.stdout" 2>"$OUT/$name.stderr" || true
  # valgrind -v names every object it loads: our plugin must be among them.
  grep -q "Reading syms from .*libsmem_rs_plugin.so" "$log" \
    || { echo "$name: our plugin was not loaded under valgrind (see $log)"; exit 1; }
  RESULT=$(summarise "$log")
}

# Self-check: a leak in our code must be seen.
run self-check "$DEBUG_PLUGINS" SMEM_RS_FAULT=leak -- \
  target/debug/smem-host play "$OUT/a.y4m" --no-audio --time-sync false
read -r _ lost _ _ <<<"$RESULT"
if [ "$lost" -lt 4096 ]; then
  echo "memcheck self-check failed: a 4096-byte leak in our plugin was not seen ($lost bytes)"; exit 1
fi
echo "memcheck_self_check: an injected 4096-byte leak was seen ($lost bytes definitely lost in ours)"

HOST=$RELEASE_HOST
declare -a names=(transcode raw-odd-size null-buffer refused one-sided seek queued-drops-seek-stop format-change soak panic-in-send panic-in-deliver
  frame-held-after-exit frame-keep-seek frame-double-release frame-never-released segment
  raw-held-after-exit raw-legacy-filters raw-duplicate rtsp rtsp-stopped rtsp-refused)
total_err=0 total_lost=0
printf '%-16s %8s %10s   %s\n' scenario errors lost "(VLC and libraries: errors / definitely lost bytes)"
for name in "${names[@]}"; do
  plugins=$RELEASE_PLUGINS envs=() host=$HOST
  case $name in
    transcode)    args=(play "$OUT/a.y4m" --chain 'transcode{vcodec=RV24,acodec=s16l}' --time-sync false --option ":input-slave=$OUT/a.wav") ;;
    raw-odd-size) args=(play "$OUT/odd.y4m" --no-audio --time-sync false) ;;
    null-buffer)  args=(play "$OUT/a.y4m" --no-audio --time-sync false --null-every 3) ;;
    refused)      args=(play "$OUT/a.y4m" --sout '#smem{video-prerender-callback=12abc,video-postrender-callback={vpost}}') ;;
    one-sided)    args=(play "$OUT/a.y4m" --no-audio --time-sync false --option ":input-slave=$OUT/a.wav") ;;
    seek)         args=(play "$OUT/long.y4m" --time-sync true --seek 1000 --option ":input-slave=$OUT/long.wav") ;;
    # queue=2,drop=oldest with a slow callback: drops, a flush at the seek,
    # and a stop while frames are queued.
    queued-drops-seek-stop) args=(play "$OUT/long.y4m" --time-sync true --seek 1000 --stop-after 1500 --callback-sleep-us 30000 \
                  --smem-opts queue=2,drop=oldest --option ":input-slave=$OUT/long.wav") ;;
    format-change) args=(play "$OUT/a.y4m" --then "$OUT/odd.y4m" --then "$OUT/a.wav" --then "$OUT/mono.wav" --option :sout-keep --time-sync false) ;;
    soak)         args=(soak "$OUT/soak" --cycles 6 --players 3) ;;
    # A panic mid-stream must still release the block chain it was given.
    panic-in-send) plugins=$DEBUG_PLUGINS envs=(SMEM_RS_FAULT=panic:Send) host=target/debug/smem-host
                  args=(play "$OUT/a.y4m" --no-audio --time-sync false) ;;
    # The same where a chain is delivered (in Send).
    panic-in-deliver) plugins=$DEBUG_PLUGINS envs=(SMEM_RS_FAULT=panic:Deliver) host=target/debug/smem-host
                  args=(play "$OUT/a.y4m" --time-sync false --option ":input-slave=$OUT/a.wav") ;;
    # The frame ABI: frames held past libvlc_release (avcodec's blocks,
    # released after VLC unloaded its plugins), held across a queued seek,
    # released twice, and never released (the application's leak, not ours).
    frame-held-after-exit) args=(play "$OUT/a.y4m" --abi frame --hold after-exit --chain 'transcode{vcodec=RV24,acodec=s16l}'
                  --time-sync false --option ":input-slave=$OUT/a.wav") ;;
    frame-keep-seek) args=(play "$OUT/long.y4m" --abi frame --hold keep:4 --time-sync true --seek 1000
                  --smem-opts queue=2 --option ":input-slave=$OUT/long.wav") ;;
    frame-double-release) args=(play "$OUT/odd.y4m" --abi frame --hold twice --no-audio --time-sync false) ;;
    frame-never-released) args=(play "$OUT/long.y4m" --abi frame --hold never --no-audio --time-sync false --smem-opts max-held=8) ;;
    # An exact segment: smem_preroll between the demuxer and VLC's ES
    # output, smem_mark first in the chain, smem cutting both ends.
    segment)      args=(play "$OUT/long.y4m" --chain 'smem_mark:transcode{vcodec=RV24,acodec=s16l}' --time-sync false
                  --option ":input-slave=$OUT/long.wav" --option :start-time=0.4 --option :demux-filter=smem_preroll
                  --option :smem-preroll-lead=400000 --option :smem-preroll-length=600000 --option :stop-time=2) ;;
    # smem_raw: VLC's pictures as blocks, held past libvlc_release; cut out
    # by the legacy copy through a filter; through duplicate{}'s copy.
    raw-held-after-exit) args=(play "$OUT/odd.y4m" --abi frame --hold after-exit --chain 'transcode{vcodec=I420,venc=smem_raw,acodec=s16l}'
                  --time-sync false --option ":input-slave=$OUT/a.wav") ;;
    raw-legacy-filters) args=(play "$OUT/odd.y4m" --no-audio --time-sync false
                  --chain 'transcode{vcodec=RV24,venc=smem_raw,vfilter=invert,deinterlace,deinterlace-module=yadif}') ;;
    raw-duplicate) args=(play "$OUT/a.y4m" --no-audio --abi frame --hold keep:3
                  --sout '#transcode{vcodec=I420,venc=smem_raw}:duplicate{dst=smem{video-frame-callback={vframe},video-data={vdata},time-sync=false},dst=dummy}') ;;
    # The RTSP input (smem_rtsp): a whole stream to the server's BYE; one
    # stopped mid-stream (TEARDOWN, the session's thread joined); a refused
    # connection.
    rtsp)         args=(play "rtsp://127.0.0.1:$RTSP_PORT/cam" --no-audio --abi frame --chain 'transcode{vcodec=I420,venc=smem_raw}'
                  --time-sync false) ;;
    rtsp-stopped) args=(play "rtsp://127.0.0.1:$RTSP_PORT/cam" --no-audio --chain 'transcode{vcodec=RV24}' --time-sync false
                  --stop-after 800) ;;
    rtsp-refused) args=(play "rtsp://127.0.0.1:$CLOSED_PORT/cam" --no-audio --time-sync false) ;;
  esac
  run "$name" "$plugins" "${envs[@]}" -- "$host" "${args[@]}"
  read -r err lost all_err all_lost <<<"$RESULT"
  printf '%-16s %8d %10d   (%d / %d)\n' "$name" "$err" "$lost" "$all_err" "$all_lost"
  total_err=$((total_err + err)) total_lost=$((total_lost + lost))
done
echo "memcheck_runs: ${#names[@]}"
echo "memcheck_errors_in_ours: $total_err"
echo "memcheck_definitely_lost_bytes_in_ours: $total_lost"
echo "valgrind logs: $OUT/*.valgrind.txt"
[ "$total_err" -eq 0 ] && [ "$total_lost" -eq 0 ]
