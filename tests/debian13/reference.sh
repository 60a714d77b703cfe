#!/usr/bin/env bash
# What the package and wheel tests hold other machines to: the media, the
# clients, and what they get here (this machine, this build).
#   tests/debian13/reference.sh WORK
# Leaves in WORK: clip.avi (raw video and PCM: the clients' input), clip.mp4
# (x264 with B-frames: the wheel's), the clients (examples/smem_grab.c and
# .py, clients.sh, wheel_check.py), here.txt (tests/debian13/clients.sh on
# this build) and here_wheel.txt (the x86_64 manylinux wheel, pip-installed
# in a venv). It also leaves a camera running: GStreamer's RTSP server on
# 127.0.0.1 sending cam.mkv (rtsp_url; rtsp_server.pid for the caller to
# stop it; it stops by itself after 30 minutes). Run from the repository's top.
set -euo pipefail
work=$1
wheel=$(ls -t target/wheels/dist/smem_rs-*manylinux*_x86_64.whl | head -1)
rm -rf "$work" && mkdir -p "$work/here"
ffmpeg -v error -y -f lavfi -i testsrc2=size=160x120:rate=25:duration=2 -f lavfi -i sine=frequency=440:duration=2 \
  -c:v rawvideo -pix_fmt yuv420p -c:a pcm_s16le -ac 2 "$work/clip.avi"
ffmpeg -v error -y -f lavfi -i testsrc2=size=320x240:rate=25:duration=3 -c:v libx264 -g 25 -bf 2 \
  -pix_fmt yuv420p "$work/clip.mp4"
ffmpeg -v error -y -f lavfi -i testsrc2=size=160x120:rate=25:duration=2 -c:v libx264 -g 25 -bf 0 \
  -pix_fmt yuv420p "$work/cam.mkv"
/usr/bin/python3 tests/rtsp/server.py --port 0 --lifetime 1800 \
  "/cam=( filesrc location=$PWD/$work/cam.mkv ! matroskademux ! h264parse ! rtph264pay name=pay0 pt=96 )" \
  >"$work/rtsp_server.txt" &
echo $! >"$work/rtsp_server.pid"
for _ in $(seq 100); do grep -q '^ready' "$work/rtsp_server.txt" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/^ready //p' "$work/rtsp_server.txt")
[ -n "$port" ] || { echo "reference: the RTSP server did not start"; exit 1; }
echo "rtsp://127.0.0.1:$port/cam" >"$work/rtsp_url"
cp examples/smem_grab.c examples/smem_grab.py tests/debian13/clients.sh tests/arm64/wheel_check.py "$work/"
cp "$work"/smem_grab.* "$work/here/"
VLC_PLUGIN_PATH="$PWD/target/vlc-plugins" "$work/clients.sh" "$work/here" "$PWD/$work/clip.avi" \
  "$PWD/target/release/smem-grab" "$(cat "$work/rtsp_url")" >"$work/here.txt"
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" install -q --no-deps --no-index "$wheel"
env -u VLC_PLUGIN_PATH "$work/venv/bin/python" "$work/wheel_check.py" "$work/clip.mp4" >"$work/here_wheel.txt"
