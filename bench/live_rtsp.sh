#!/usr/bin/env bash
# make bench, glass-to-numpy latency of a live RTSP camera, side by side in
# one run: bench/live_rtsp_server.py sends 720p25 H.264 (x264 zero-latency)
# from 127.0.0.1 with each frame's send time in its pixels, and each reader
# (bench/live_rtsp_reader.py) records receive time minus send time, read
# from its own numpy array. Readers, each with its low-latency settings:
#   ours    smem_rs.open(url, latest=True) (the wheel of `make wheel`, host)
#   stock   python-vlc, the stock smem callbacks, VLC's defaults (our plugins loaded)
#   gst     rtspsrc latency=0 ! decodebin ! videoconvert ! appsink (host)
#   opencv  OpenCV 5 (FFmpeg backend; rtsp_transport tcp, fflags nobuffer, flags low_delay)
#   pyav    PyAV 19 (the same options)
# OpenCV and PyAV are the newest from PyPI, in the Debian 13 root that
# bench/newest.sh makes (it shares this host's network and clock); without
# that root, the host's python3-opencv and python3-av, named opencv_host and
# pyav_host. Each reader: ${LIVE_FRAMES:-300} frames taken as they come, then
# ${LIVE_SLOW_FRAMES:-150} with a consumer that takes 80 ms a frame (its lag
# must stay flat: the median of the last 50 is printed beside the first 50's).
# Readers alternate; one round by default (LIVE_ROUNDS).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=out/bench/live_rtsp; mkdir -p "$OUT"
FRAMES=${LIVE_FRAMES:-300}
SLOW_FRAMES=${LIVE_SLOW_FRAMES:-150}
ROUNDS=${LIVE_ROUNDS:-1}
root=target/debian13/bench-root
wheel=$(ls -t target/wheels/smem_rs-*.whl | head -1)

# ours: the wheel in a venv of Debian's python3 (its gi, vlc and numpy too).
venv=target/live-rtsp-venv
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$venv"
"$venv/bin/pip" install -q --force-reinstall --no-deps --no-index "$wheel"

mounted=()
server_pid=
cleanup() {
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
newest=no
if [ -f "$root/bench-ready" ]; then
  for fs in proc sys dev; do
    mountpoint -q "$root/$fs" || { mount --rbind "/$fs" "$root/$fs" && mounted+=("$root/$fs"); }
  done
  mkdir -p "$root/bench"
  cp bench/live_rtsp_reader.py bench/live_rtsp_pattern.py "$root/bench/"
  newest=yes
fi
readers="ours stock gst opencv pyav"

/usr/bin/python3 bench/live_rtsp_server.py --lifetime 900 >"$OUT/server.txt" 2>"$OUT/server.err" &
server_pid=$!
for _ in $(seq 100); do grep -q '^ready' "$OUT/server.txt" 2>/dev/null && break; sleep 0.1; done
url="rtsp://127.0.0.1:$(awk '/^ready/ {print $2}' "$OUT/server.txt")/live"

# The command that runs reader $1 (each one's own time limits aside, 120 s at most).
command_of() {
  case $1 in
  ours) cmd=(env -u VLC_PLUGIN_PATH "$venv/bin/python" bench/live_rtsp_reader.py) ;;
  stock) cmd=(env VLC_PLUGIN_PATH=target/vlc-plugins /usr/bin/python3 bench/live_rtsp_reader.py) ;;
  gst) cmd=(/usr/bin/python3 bench/live_rtsp_reader.py) ;;
  opencv | pyav)
    if [ $newest = yes ]; then
      cmd=(chroot "$root" /bench-venv/bin/python /bench/live_rtsp_reader.py)
    else
      cmd=(/usr/bin/python3 bench/live_rtsp_reader.py)
    fi ;;
  esac
}
run() { # reader url frames [--work-ms N]
  command_of "$1"
  local name=$1
  [ $newest = yes ] || case $1 in opencv | pyav) name=${1}_host ;; esac
  timeout 120 "${cmd[@]}" "$@" 2>>"$OUT/readers.err" | sed "s/\"reader\": \"$1\"/\"reader\": \"$name\"/"
}
results=$OUT/results.jsonl
: >"$results"
# One reader's run, a second after the last one ended, and tried a second
# time if it got no frame: a client that connects while the server still
# tears the last one's pipeline down now and then gets no frame for 20 s
# (2 runs of 10 back to back with GStreamer's reader; 0 of 10 a second
# apart). Every retry is counted and printed (live_rtsp_retries).
retries=0
measure() { # slow(true|false) reader url frames [--work-ms N]
  local slow=$1 out
  shift
  for attempt in 1 2; do
    sleep 1
    out=$(run "$@" | sed "s/^{/{\"slow\": $slow, /") || true
    if [ -n "$out" ] && ! grep -q '"lags_ms": \[\]' <<<"$out"; then
      echo "$out" >>"$results"
      return
    fi
    [ $attempt = 2 ] || { retries=$((retries + 1)); echo "live_rtsp: $1 (slow $slow) got no frame; again" >&2; }
  done
  [ -z "$out" ] || echo "$out" >>"$results"
  echo "live_rtsp: $1 (slow $slow) failed" >&2
}
for _ in $(seq "$ROUNDS"); do
  for reader in $readers; do
    measure false "$reader" "$url" "$FRAMES"
    measure true "$reader" "$url" "$SLOW_FRAMES" --work-ms 80
  done
done
echo "live_rtsp_retries: $retries"
if [ $newest = yes ]; then
  chroot "$root" /bench-venv/bin/python -c 'import importlib.metadata as m
for name, dist in (("pyav", "av"), ("opencv", "opencv-python-headless")): print(f"live_rtsp_version_{name}: {m.version(dist)}")'
fi

/usr/bin/python3 - "$results" <<'PY'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    d = json.loads(line)
    runs.setdefault((d["reader"], d["slow"]), []).append(d)
def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]
p50 = {}
p95 = {}
for (reader, slow), ds in sorted(runs.items()):
    lags = [x for d in ds for x in d["lags_ms"]]
    bad = sum(d["bad"] for d in ds)
    key = "slow_" if slow else ""
    if not lags:
        print(f"live_rtsp_latency_{key}p50_ms_{reader}: NaN")
        continue
    print(f"live_rtsp_latency_{key}p50_ms_{reader}: {pct(lags, 50):.1f}")
    print(f"live_rtsp_latency_{key}p95_ms_{reader}: {pct(lags, 95):.1f}")
    print(f"live_rtsp_latency_{key}max_ms_{reader}: {max(lags):.1f}")
    print(f"live_rtsp_{key}frames_{reader}: {len(lags)}")
    print(f"live_rtsp_{key}bad_frames_{reader}: {bad}")
    if slow:
        last = ds[-1]["lags_ms"]
        print(f"live_rtsp_latency_slow_first50_p50_ms_{reader}: {statistics.median(last[:50]):.1f}")
        print(f"live_rtsp_latency_slow_last50_p50_ms_{reader}: {statistics.median(last[-50:]):.1f}")
    (p50 if not slow else p50.setdefault("slow", {}))[reader] = pct(lags, 50)
    (p95 if not slow else p95.setdefault("slow", {}))[reader] = pct(lags, 95)
for key, a, b in (("", p50, p95), ("slow_", p50.get("slow", {}), p95.get("slow", {}))):
    peers = {r: v for r, v in a.items() if r not in ("ours", "stock", "slow")}
    if "ours" in a and peers:
        best = min(peers, key=peers.get)
        print(f"live_rtsp_{key}best_peer: {best}")
        print(f"live_rtsp_latency_{key}p50_ours_minus_best_peer_ms: {a['ours'] - a[best]:.1f}")
        print(f"live_rtsp_latency_{key}p95_ours_minus_best_peer_ms: {b['ours'] - b[best]:.1f}")
PY
