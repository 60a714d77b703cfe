#!/usr/bin/python3
"""smem_grab.py: a python-vlc client of smem with ctypes callbacks.

Plays MEDIA through
    #transcode{...}:smem{video-prerender-callback=...,...,time-sync=false}
and writes every video frame to VIDEO_OUT and every audio block to AUDIO_OUT,
back to back, then prints what arrived. Needs Debian's python3-vlc;
SMEM_GRAB_VERBOSE=1 shows VLC's log on stderr.

    python3 smem_grab.py MEDIA VIDEO_OUT AUDIO_OUT ["transcode{vcodec=RV24,acodec=s16l}"]

ctypes callbacks live in anonymous executable pages made by libffi, not in
any shared object: smem-rs accepts them because it checks addresses against
the process's executable mappings, not with dladdr.
"""
import ctypes
import os
import sys
import time

import vlc

# VLC 3.0's smem callback signatures (size_t sizes since VLC 2.2).
PRERENDER = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t)
VIDEO_POSTRENDER = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                    ctypes.c_int, ctypes.c_size_t, ctypes.c_int64)
AUDIO_POSTRENDER = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint,
                                    ctypes.c_uint, ctypes.c_uint, ctypes.c_size_t, ctypes.c_int64)


class Sink:
    """One track's buffer, its output file, and what arrived."""

    def __init__(self, path):
        self.out = open(path, "wb")
        self.buffer = ctypes.create_string_buffer(1)
        self.count = 0
        self.bytes = 0
        self.format = ""

    def prerender(self, size):
        if size > ctypes.sizeof(self.buffer):
            self.buffer = ctypes.create_string_buffer(size)
        return ctypes.addressof(self.buffer)

    def received(self, buffer, size, fmt):
        self.out.write(ctypes.string_at(buffer, size))
        self.count += 1
        self.bytes += size
        self.format = fmt


def main(argv):
    if len(argv) < 4:
        print(f"usage: {argv[0]} MEDIA VIDEO_OUT AUDIO_OUT [CHAIN]", file=sys.stderr)
        return 2
    media_path, video_out, audio_out = argv[1:4]
    chain = argv[4] if len(argv) > 4 else "transcode{vcodec=RV24,acodec=s16l}"
    sinks = {1: Sink(video_out), 2: Sink(audio_out)}
    # The data pointers: addresses of two C integers that name the sinks.
    tags = {key: ctypes.c_int(key) for key in sinks}

    def sink_of(data):
        return sinks[ctypes.cast(data, ctypes.POINTER(ctypes.c_int)).contents.value]

    @PRERENDER
    def prerender(data, buffer, size):
        buffer[0] = sink_of(data).prerender(size)

    @VIDEO_POSTRENDER
    def video_postrender(data, buffer, width, height, pixel_pitch, size, pts):
        sink_of(data).received(buffer, size, f"{width}x{height} pixel_pitch={pixel_pitch} size={size} last_pts={pts}")

    @AUDIO_POSTRENDER
    def audio_postrender(data, buffer, channels, rate, nb_samples, bits, size, pts):
        sink_of(data).received(buffer, size, f"{channels} channels {rate} Hz {bits} bits, {nb_samples} samples, last_pts={pts}")

    address = lambda f: ctypes.cast(f, ctypes.c_void_p).value
    sout = (f":sout=#{chain}{':' if chain else ''}smem{{"
            f"video-prerender-callback={address(prerender)},video-postrender-callback={address(video_postrender)},"
            f"audio-prerender-callback={address(prerender)},audio-postrender-callback={address(audio_postrender)},"
            f"video-data={ctypes.addressof(tags[1])},audio-data={ctypes.addressof(tags[2])},time-sync=false}}")

    # VLC 3's transcodes fault their picture buffers in again every frame
    # when glibc gives them back to the kernel (2-3x slower): keep them in
    # the process, before VLC starts its threads. glibc's malloc.h:
    # M_MMAP_MAX -4, M_TRIM_THRESHOLD -1, M_ARENA_MAX -8.
    libc = ctypes.CDLL(None)
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

    print(f"state: {'Ended' if state == vlc.State.Ended else state}")
    for name, sink, unit in (("video", sinks[1], "frames"), ("audio", sinks[2], "blocks")):
        sink.out.close()
        print(f"{name}_{unit}: {sink.count}\n{name}_bytes: {sink.bytes}\n{name}_format: {sink.format}")
    return 0 if state == vlc.State.Ended else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
