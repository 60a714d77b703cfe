"""make bench, glass-to-numpy latency: one reader of the bench's RTSP stream
(bench/live_rtsp_server.py). Reads the send time out of each frame's own
array and records the receive time (CLOCK_REALTIME, taken as the array is
in hand) minus it. Skips the first --warmup seconds (connection, first key
frame), then takes FRAMES frames; a consumer --work-ms long per frame (a
sleep) stands in for a slow application. Prints one JSON line:
{"reader", "lags_ms": [...], "bad": frames whose pattern did not read}.

  live_rtsp_reader.py READER URL FRAMES [--work-ms 80]
READER: ours, stock (python-vlc, the stock smem callbacks, VLC's defaults),
gst (rtspsrc latency=0 ... appsink), opencv (FFmpeg backend), pyav.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_rtsp_pattern as pattern  # noqa: E402

TCP_NOBUFFER = {"rtsp_transport": "tcp", "fflags": "nobuffer", "flags": "low_delay"}


def now_us():
    return time.time_ns() // 1000


def ours(url):
    import smem_rs

    # LIVE_OURS: more open() keywords as JSON ('{"options": [":network-caching=1000"]}'),
    # to measure what a setting costs.
    extra = json.loads(os.environ.get("LIVE_OURS") or "{}")
    with smem_rs.open(url, **{"video": "rgb24", "latest": True, "idle_timeout": 20, **extra}) as frames:
        for frame in frames:
            yield frame.array


def stock(url):
    """python-vlc with the stock smem's prerender/postrender callbacks into
    one ctypes buffer, VLC's defaults (network-caching 1000, time-sync on)."""
    import ctypes
    import queue

    import numpy as np
    import vlc

    prerender_t = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t)
    postrender_t = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                    ctypes.c_int, ctypes.c_size_t, ctypes.c_int64)
    buffers = {}
    arrived = queue.Queue(maxsize=2)

    @prerender_t
    def prerender(_data, buffer, size):
        if size not in buffers:
            buffers[size] = ctypes.create_string_buffer(size)
        buffer[0] = ctypes.addressof(buffers[size])

    @postrender_t
    def postrender(_data, buffer, width, height, pixel_bits, size, _pts):
        # Copied out as the stock callback must (the buffer is reused), then
        # the newest kept: a full hand-over drops the oldest.
        array = np.frombuffer(ctypes.string_at(buffer, size), np.uint8).reshape(height, width, pixel_bits // 8)
        if arrived.full():
            try:
                arrived.get_nowait()
            except queue.Empty:
                pass
        arrived.put(array)

    address = lambda f: ctypes.cast(f, ctypes.c_void_p).value
    # LIVE_STOCK_ARGS, LIVE_STOCK_SMEM: more libvlc arguments and smem
    # options, to measure what each of VLC's settings costs.
    more = os.environ.get("LIVE_STOCK_ARGS", "").split()
    instance = vlc.Instance(["--no-xlib", "--aout=dummy", "--vout=dummy", "--quiet", *more])
    media = instance.media_new(url)
    media.add_option(f":sout=#transcode{{vcodec=RV24}}:smem{{video-prerender-callback={address(prerender)},"
                     f"video-postrender-callback={address(postrender)}{os.environ.get('LIVE_STOCK_SMEM', '')}}}")
    media.add_option(":no-sout-audio")
    player = instance.media_player_new()
    player.set_media(media)
    player.play()
    try:
        while True:
            yield arrived.get(timeout=20)
    finally:
        player.stop()
        player.release()
        instance.release()


def gst(url):
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstApp", "1.0")
    from gi.repository import Gst, GstApp  # noqa: F401
    import numpy as np

    Gst.init(None)
    pipeline = Gst.parse_launch(
        f"rtspsrc location={url} latency=0 protocols=tcp ! decodebin ! videoconvert ! video/x-raw,format=RGB "
        "! appsink name=sink sync=false max-buffers=1 drop=true")
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    try:
        while True:
            sample = sink.try_pull_sample(20 * Gst.SECOND)
            if sample is None:
                return
            caps = sample.get_caps().get_structure(0)
            width, height = caps.get_value("width"), caps.get_value("height")
            buffer = sample.get_buffer()
            ok, info = buffer.map(Gst.MapFlags.READ)
            stride = len(info.data) // height
            array = np.frombuffer(info.data, np.uint8).reshape(height, stride)[:, : width * 3].reshape(height, width, 3)
            yield array
            buffer.unmap(info)
    finally:
        pipeline.set_state(Gst.State.NULL)


def opencv(url):
    os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] = "|".join(f"{k};{v}" for k, v in TCP_NOBUFFER.items())
    import cv2

    capture = cv2.VideoCapture(url, cv2.CAP_FFMPEG)
    try:
        while True:
            ok, array = capture.read()
            if not ok:
                return
            yield array
    finally:
        capture.release()


def pyav(url):
    import av

    with av.open(url, options=dict(TCP_NOBUFFER), timeout=20) as container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format="rgb24")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("reader", choices=["ours", "stock", "gst", "opencv", "pyav"])
    parser.add_argument("url")
    parser.add_argument("frames", type=int)
    parser.add_argument("--work-ms", type=float, default=0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()
    lags, bad = [], 0
    started = time.monotonic()
    frames = globals()[args.reader](args.url)
    for array in frames:
        received = now_us()
        sent = pattern.read(array)
        if time.monotonic() - started < args.warmup:
            continue
        if sent is None or abs(received - sent) > 60_000_000:
            bad += 1
        else:
            lags.append((received - sent) / 1000)
        if len(lags) + bad >= args.frames:
            break
        if args.work_ms:
            time.sleep(args.work_ms / 1000)
    frames.close()
    print(json.dumps({"reader": args.reader, "lags_ms": lags, "bad": bad}))


if __name__ == "__main__":
    main()
