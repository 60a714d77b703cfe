#!/usr/bin/env bash
# A live source and a slow consumer: ffmpeg serves 25 fps MPEG-TS over UDP
# on loopback in real time for 20 s, and smem-host watches it (transcode to
# RV24) with a video callback that takes 80 ms, once synchronous (default)
# and once with queue=1,drop=oldest, both at the same time. The lag of a
# frame is how much later than the least late frame it reached the
# application (arrival minus pts); the figure is the mean over the last 10.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=out/bench/live; mkdir -p "$OUT"
HOST=target/release/smem-host
PLUGINS=target/vlc-plugins

port() { python3 -c "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
declare -A PORT=([default]=$(port) [queue1_drop_oldest]=$(port))
declare -A OPTS=([default]="" [queue1_drop_oldest]="queue=1,drop=oldest")

pids=()
for mode in default queue1_drop_oldest; do
  VLC_PLUGIN_PATH=$PLUGINS $HOST play "udp://@127.0.0.1:${PORT[$mode]}" --no-audio --chain 'transcode{vcodec=RV24}' \
    --callback-sleep-us 80000 --stop-after 20000 --timeout 60 ${OPTS[$mode]:+--smem-opts ${OPTS[$mode]}} \
    --report "$OUT/$mode.json" >"$OUT/$mode.out" 2>&1 &
  pids+=($!)
done
sleep 0.5
for mode in default queue1_drop_oldest; do
  ffmpeg -hide_banner -loglevel error -re -f lavfi -i testsrc=size=320x240:rate=25 -t 22 -c:v mpeg4 -q:v 5 -g 25 \
    -f mpegts "udp://127.0.0.1:${PORT[$mode]}?pkt_size=1316" </dev/null &
  pids+=($!)
done
wait "${pids[@]}" || true

for mode in default queue1_drop_oldest; do
  python3 - "$OUT/$mode.json" "$mode" <<'PY'
import json, sys
# smem-host's report (smem-testkit's Report): each video call's arrival and pts.
late = [c["t_us"] - c["pts"] for c in json.load(open(sys.argv[1]))["video"]["calls"]]
least = min(late)
lags = [(l - least) / 1e6 for l in late]
tail = lags[-10:]
print(f"live_lag_seconds_{sys.argv[2]}: {sum(tail) / len(tail):.2f}")
print(f"live_frames_{sys.argv[2]}: {len(lags)}")
PY
done
