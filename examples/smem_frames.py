#!/usr/bin/python3
"""smem_frames.py: a python-vlc client of smem-rs's frame ABI (include/smem.h).

Plays MEDIA through
    #transcode{...}:smem{video-frame-callback=...,audio-frame-callback=...,time-sync=false}
and writes the visible lines of every picture (plane after plane) to VIDEO_OUT
and every audio block to AUDIO_OUT, then prints what arrived. With numpy
installed, each plane is a zero-copy numpy view of VLC's own buffer
(lines x pitch, cut to the visible bytes); without it, ctypes reads the lines.

    python3 smem_frames.py MEDIA VIDEO_OUT AUDIO_OUT ["transcode{vcodec=RV24,venc=smem_raw,acodec=s16l}"]

A view is valid during the callback only. To keep a frame, call
frame.hold(frame) and later frame.release(held) (see keep_last below).
"""
import ctypes
import os
import sys
import time

import vlc

try:
    import numpy
except ImportError:  # the frames still arrive; lines are read with ctypes
    numpy = None

c = ctypes


class Plane(c.Structure):
    _fields_ = [("pixels", c.POINTER(c.c_uint8)), ("pitch", c.c_size_t), ("visible_bytes", c.c_size_t),
                ("lines", c.c_size_t)]


class Video(c.Structure):
    _fields_ = [("struct_size", c.c_uint32), ("chroma", c.c_uint32), ("width", c.c_uint32), ("height", c.c_uint32),
                ("x_offset", c.c_uint32), ("y_offset", c.c_uint32), ("coded_width", c.c_uint32),
                ("coded_height", c.c_uint32), ("sar_num", c.c_uint32), ("sar_den", c.c_uint32),
                ("frame_rate_num", c.c_uint32), ("frame_rate_den", c.c_uint32), ("color_space", c.c_int32),
                ("color_range_full", c.c_int32), ("primaries", c.c_int32), ("transfer", c.c_int32),
                ("orientation", c.c_int32), ("plane_count", c.c_uint32), ("planes", Plane * 4),
                ("data", c.POINTER(c.c_uint8)), ("size", c.c_size_t)]


class Audio(c.Structure):
    _fields_ = [("struct_size", c.c_uint32), ("format", c.c_uint32), ("rate", c.c_uint32), ("channels", c.c_uint32),
                ("physical_channels", c.c_uint32), ("bits_per_sample", c.c_uint32), ("samples", c.c_uint32),
                ("reserved", c.c_uint32), ("data", c.POINTER(c.c_uint8)), ("size", c.c_size_t)]


class Frame(c.Structure):
    pass


HOLD = c.CFUNCTYPE(c.POINTER(Frame), c.POINTER(Frame))
RELEASE = c.CFUNCTYPE(None, c.POINTER(Frame))
Frame._fields_ = [("struct_size", c.c_uint32), ("version", c.c_uint32), ("kind", c.c_uint32), ("es_id", c.c_int32),
                  ("pts", c.c_int64), ("dts", c.c_int64), ("flags", c.c_uint32), ("generation", c.c_uint32),
                  ("dropped_before", c.c_uint64), ("video", c.POINTER(Video)), ("audio", c.POINTER(Audio)),
                  ("hold", HOLD), ("release", RELEASE)]
FRAME_CALLBACK = c.CFUNCTYPE(None, c.c_void_p, c.POINTER(Frame))


def fourcc(code):
    return code.to_bytes(4, "little").decode("latin-1")


def plane_views(video):
    """Each plane's visible picture as a (lines, visible_bytes) array, no copy."""
    views = []
    for plane in video.planes[:video.plane_count]:
        if numpy is not None:
            whole = numpy.ctypeslib.as_array(plane.pixels, shape=((plane.lines - 1) * plane.pitch + plane.visible_bytes,))
            rows = numpy.lib.stride_tricks.as_strided(whole, shape=(plane.lines, plane.visible_bytes),
                                                      strides=(plane.pitch, 1), writeable=False)
            views.append(rows)
        else:
            base = c.addressof(plane.pixels.contents)
            views.append([c.string_at(base + line * plane.pitch, plane.visible_bytes) for line in range(plane.lines)])
    return views


class Sink:
    def __init__(self, path):
        self.out = open(path, "wb")
        self.count = 0
        self.bytes = 0
        self.format = ""
        self.es_id = None
        self.kept = None  # the last picture, held

    def write(self, data):
        self.out.write(data)
        self.bytes += len(data)


def main(argv):
    if len(argv) < 4:
        print(f"usage: {argv[0]} MEDIA VIDEO_OUT AUDIO_OUT [CHAIN]", file=sys.stderr)
        return 2
    media_path, video_out, audio_out = argv[1:4]
    chain = argv[4] if len(argv) > 4 else "transcode{vcodec=RV24,venc=smem_raw,acodec=s16l}"
    video_sink, audio_sink = Sink(video_out), Sink(audio_out)

    @FRAME_CALLBACK
    def on_video(_data, frame_ptr):
        frame = frame_ptr.contents
        v = frame.video.contents
        if v.plane_count == 0:  # not a picture smem lays out: VLC's data as it is
            video_sink.write(c.string_at(v.data, v.size))
        for view in plane_views(v):
            video_sink.write(view.tobytes() if numpy is not None else b"".join(view))
        video_sink.count += 1
        video_sink.es_id = frame.es_id
        video_sink.format = (f"{v.width}x{v.height} {fourcc(v.chroma)} planes={v.plane_count} "
                             f"numpy={'yes' if numpy is not None else 'no'} last_pts={frame.pts}")
        # Keep the last picture past its callback: hold, and release the one before.
        held = frame.hold(frame_ptr)
        if held:
            if video_sink.kept:
                video_sink.kept.contents.release(video_sink.kept)
            video_sink.kept = held

    @FRAME_CALLBACK
    def on_audio(_data, frame_ptr):
        frame = frame_ptr.contents
        a = frame.audio.contents
        audio_sink.write(c.string_at(a.data, a.size))
        audio_sink.count += 1
        audio_sink.es_id = frame.es_id
        audio_sink.format = (f"{a.channels} channels {a.rate} Hz {a.bits_per_sample} bits {fourcc(a.format)}, "
                             f"{a.samples} samples, last_pts={frame.pts}")

    address = lambda f: c.cast(f, c.c_void_p).value
    sout = (f":sout=#{chain}{':' if chain else ''}smem{{"
            f"video-frame-callback={address(on_video)},audio-frame-callback={address(on_audio)},time-sync=false}}")

    # VLC 3's transcodes fault their picture buffers in again every frame
    # when glibc gives them back to the kernel: keep them in the process.
    # glibc's malloc.h: M_MMAP_MAX -4, M_TRIM_THRESHOLD -1, M_ARENA_MAX -8.
    libc = c.CDLL(None)
    for param, value in ((-4, 0), (-1, 2**31 - 1), (-8, 1)):
        libc.mallopt(param, value)

    verbose = "--verbose=2" if os.environ.get("SMEM_GRAB_VERBOSE") == "1" else "--quiet"
    instance = vlc.Instance(["--no-xlib", "--aout=dummy", "--vout=dummy", verbose])
    media = instance.media_new(media_path)  # a path, or a URL (rtsp://camera/...)
    media.add_option(sout)
    player = instance.media_player_new()
    player.set_media(media)
    player.play()
    deadline = time.monotonic() + 60
    while player.get_state() not in (vlc.State.Ended, vlc.State.Error, vlc.State.Stopped) and time.monotonic() < deadline:
        time.sleep(0.01)
    state = player.get_state()
    player.stop()  # no callback runs after this; the ctypes callbacks may go
    player.release()
    instance.release()

    # libvlc is gone; the held picture is still valid until released.
    kept = "none"
    if video_sink.kept:
        v = video_sink.kept.contents.video.contents
        kept = f"read {len(c.string_at(v.data, v.size))} bytes and released"
        video_sink.kept.contents.release(video_sink.kept)

    print(f"state: {'Ended' if state == vlc.State.Ended else state}")
    for name, sink, unit in (("video", video_sink, "frames"), ("audio", audio_sink, "blocks")):
        sink.out.close()
        print(f"{name}_{unit}: {sink.count}\n{name}_bytes: {sink.bytes}\n{name}_format: {sink.format}\n{name}_es: {sink.es_id}")
    print(f"kept_after_exit: {kept}")
    return 0 if state == vlc.State.Ended else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
