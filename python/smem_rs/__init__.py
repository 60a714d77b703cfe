"""Frames from anything VLC plays, as numpy arrays, through smem-rs.

    import smem_rs
    with smem_rs.open("clip.mkv", video="rgb24") as frames:
        for frame in frames:
            frame.array        # (height, width, 3) uint8: VLC's own buffer, no copy
            frame.time         # seconds of media time

VLC decodes on its own threads and never takes the GIL; frames wait in a
bounded queue (``buffer``), and the iterator releases the GIL while it
waits. An array keeps VLC's buffer alive: it stays valid after the
iterator, the player and VLC itself are gone, and is given back when the
array (and every view of it) is garbage.

This package carries its own VLC plugin (``plugins/libsmem_rs_plugin.so``)
and points VLC at it (``VLC_PLUGIN_PATH``) when it is imported, unless
smem-rs is installed for the whole system (the Debian package), which VLC
loads already: import it before anything in the process starts libvlc
(python-vlc's ``vlc.Instance``).
Without the plugin VLC's stock smem is used: frames are copied, and a
``RuntimeWarning`` says so once.
"""

import glob as _glob
import os as _os

_PLUGINS = _os.path.join(_os.path.dirname(__file__), "plugins")
# smem-rs installed for the whole system (the Debian package): VLC loads that
# one already, and two copies of one plugin would each keep its own state.
_SYSTEM = _glob.glob("/usr/lib/*/vlc/plugins/stream_out/libsmem_rs_plugin.so")
if not _SYSTEM and _os.path.exists(_os.path.join(_PLUGINS, "libsmem_rs_plugin.so")):
    _paths = [p for p in _os.environ.get("VLC_PLUGIN_PATH", "").split(_os.pathsep) if p]
    if _PLUGINS not in _paths:
        _os.environ["VLC_PLUGIN_PATH"] = _os.pathsep.join([_PLUGINS, *_paths])

import atexit as _atexit  # noqa: E402

from ._smem_rs import AudioFrame, Error, Frames, VideoFrame, attach, held_frames, open, wait_closed  # noqa: E402

# A closed grab's player stops in the background: done before the
# interpreter ends, so VLC's threads never run into its end.
_atexit.register(wait_closed)

__all__ = [
    "open", "attach", "frames_at", "frame_at", "Frames", "VideoFrame", "AudioFrame", "Error", "held_frames", "wait_closed",
    "PLUGIN_DIR",
]

#: The folder of the VLC plugin this package carries (on VLC_PLUGIN_PATH).
PLUGIN_DIR = _PLUGINS

#: Read on rather than seek when the next time wanted is at most this many
#: seconds ahead (a seek plays the input again from the key frame before it).
#: Either way the frame is the same: this only decides which is faster.
_READ_ON_SECONDS = 1.0


def frames_at(input, times, *, video="rgb24", options=()):
    """The video frame shown at each of ``times`` (seconds): the first frame
    at or after it, from one open of ``input``, in the order asked; ``None``
    for a time after the last frame. Exact as ``open``'s ``start`` is: the
    times are the stream's own, each frame's picture is the one shown then.
    Like torchcodec's ``get_frames_played_at`` or decord's ``get_batch``."""
    wanted = [max(float(t), 0.0) for t in times]
    found = [None] * len(wanted)
    if not wanted:
        return found
    order = sorted(range(len(wanted)), key=wanted.__getitem__)
    first = wanted[order[0]]
    # Half a microsecond: times are whole microseconds; floats may fall short.
    at_or_after = lambda f, t: isinstance(f, VideoFrame) and f.time >= t - 5e-7  # noqa: E731
    with open(input, video=video, audio=None, start=first or None, options=list(options), buffer=2) as frames:
        frame = None
        for i in order:
            t = wanted[i]
            if frame is None or frame.time < t - 5e-7:
                if frame is not None and t - frame.time > _READ_ON_SECONDS:
                    try:
                        frames.seek(t)
                    except Error:
                        pass  # VLC reached the end meanwhile: what is left is queued, read on
                frame = next((f for f in frames if at_or_after(f, t)), None)
                if frame is None:
                    break
            found[i] = frame
    return found


def frame_at(input, time, *, video="rgb24", options=()):
    """The video frame shown at ``time`` (the first at or after it), or
    ``None`` after the last frame: ``frames_at(input, [time])[0]``."""
    return frames_at(input, [time], video=video, options=options)[0]
