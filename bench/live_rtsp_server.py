#!/usr/bin/python3
"""make bench, glass-to-numpy latency: an RTSP server on 127.0.0.1
(gst-rtsp-server) sending 720p25 H.264 from x264enc with zero-latency
settings (tune=zerolatency, speed-preset=ultrafast, no B-frames). Every frame
carries its send time (CLOCK_REALTIME in microseconds, taken just before the
push into appsrc) as 64 black or white 80x80 blocks in the luma
(bench/live_rtsp_pattern.py), which survive the compression. Each client gets
its own pipeline, fed from a thread at 25 fps. Prints "ready PORT"; stops by
itself after --lifetime seconds or on SIGTERM.

  live_rtsp_server.py [--port 0] [--lifetime 600]   ->  rtsp://127.0.0.1:PORT/live
"""
import argparse
import os
import signal
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_rtsp_pattern as pattern  # noqa: E402

WIDTH, HEIGHT, FPS = 1280, 720, 25
PIPELINE = (
    f"( appsrc name=src is-live=true format=time do-timestamp=true max-buffers=1 leaky-type=downstream "
    f"caps=video/x-raw,format=I420,width={WIDTH},height={HEIGHT},framerate={FPS}/1 "
    "! x264enc tune=zerolatency speed-preset=ultrafast bframes=0 key-int-max=25 bitrate=4000 "
    "! video/x-h264,profile=constrained-baseline ! rtph264pay name=pay0 pt=96 config-interval=1 )"
)


def feed(appsrc, stop):
    """Pushes frames at 25 fps until the media is unprepared. A push before
    the pipeline runs (or while it flushes) is refused: the frame is lost,
    as a camera's would be, and the next one is pushed on time."""
    frame = pattern.Frame(WIDTH, HEIGHT)
    period = 1 / FPS
    due = time.monotonic()
    index = 0
    while not stop.is_set():
        due += period
        frame.moving_bar(index)
        index += 1
        sent_us = time.time_ns() // 1000
        data = frame.stamped(sent_us)
        appsrc.emit("push-buffer", Gst.Buffer.new_wrapped(data))
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            due = time.monotonic()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--lifetime", type=float, default=600.0)
    args = parser.parse_args()
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(PIPELINE)
    factory.set_shared(False)
    stops = []

    def configure(_factory, media):
        appsrc = media.get_element().get_by_name_recurse_up("src")
        stop = threading.Event()
        stops.append(stop)
        media.connect("unprepared", lambda _m: stop.set())
        threading.Thread(target=feed, args=(appsrc, stop), daemon=True).start()

    factory.connect("media-configure", configure)
    server.get_mount_points().add_factory("/live", factory)
    loop = GLib.MainLoop()
    if server.attach(None) == 0:
        print("cannot listen", file=sys.stderr)
        sys.exit(1)
    print(f"ready {server.get_bound_port()}", flush=True)
    GLib.timeout_add(int(args.lifetime * 1000), loop.quit)
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    loop.run()
    for stop in stops:
        stop.set()


if __name__ == "__main__":
    main()
