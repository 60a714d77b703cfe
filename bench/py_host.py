#!/usr/bin/python3
"""py_host: a python-vlc host for `make bench`, as python smem clients are
written: ctypes callbacks, one preallocated buffer, a count.

    python3 py_host.py MEDIA SOUT

SOUT is the whole :sout chain; {vpre} {vpost} {vdata} in it become this
host's callback and data addresses. Prints wall_seconds (play to end),
frames, faults_per_frame (minor page faults of the process from the first
frame to the last, per frame) and max_rss_kb, like bench/c_host.c.
"""
import ctypes
import resource
import sys
import time

import vlc

PRERENDER = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t)
VIDEO_POSTRENDER = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                    ctypes.c_int, ctypes.c_size_t, ctypes.c_int64)


def minor_faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


class Sink:
    def __init__(self):
        self.buffer = ctypes.create_string_buffer(1)
        self.frames = 0
        self.faults = [0, 0]


sink = Sink()


@PRERENDER
def prerender(data, buffer, size):
    if sink.frames == 0:
        sink.faults[0] = minor_faults()
    if ctypes.sizeof(sink.buffer) < size:
        sink.buffer = ctypes.create_string_buffer(size)
    buffer[0] = ctypes.addressof(sink.buffer)


@VIDEO_POSTRENDER
def postrender(data, buffer, width, height, pitch, size, pts):
    sink.frames += 1
    sink.faults[1] = minor_faults()


def main():
    if len(sys.argv) != 3:
        print("usage: py_host.py MEDIA SOUT", file=sys.stderr)
        return 2
    address = lambda f: ctypes.cast(f, ctypes.c_void_p).value
    tag = ctypes.c_int(1)
    sout = (sys.argv[2].replace("{vpre}", str(address(prerender)))
            .replace("{vpost}", str(address(postrender)))
            .replace("{vdata}", str(ctypes.addressof(tag))))
    instance = vlc.Instance(["--no-xlib", "--aout=dummy", "--vout=dummy", "--quiet"])
    media = instance.media_new_path(sys.argv[1])
    media.add_option(":sout=" + sout)
    media.add_option(":no-sout-audio")
    player = instance.media_player_new()
    player.set_media(media)
    start = time.monotonic()
    player.play()
    ended = (vlc.State.Ended, vlc.State.Error, vlc.State.Stopped)
    while player.get_state() not in ended and time.monotonic() - start < 300:
        time.sleep(0.002)
    wall = time.monotonic() - start
    state = player.get_state()
    player.stop()
    player.release()
    instance.release()
    print("state:", "Ended" if state == vlc.State.Ended else "other")
    print(f"wall_seconds: {wall:.3f}")
    print("frames:", sink.frames)
    if sink.frames > 1:
        print(f"faults_per_frame: {(sink.faults[1] - sink.faults[0]) / (sink.frames - 1):.1f}")
    print("max_rss_kb:", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return 0 if state == vlc.State.Ended else 1


if __name__ == "__main__":
    sys.exit(main())
