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

from ._smem_rs import AudioFrame, Error, Frames, VideoFrame, attach, held_frames, open  # noqa: E402

__all__ = ["open", "attach", "Frames", "VideoFrame", "AudioFrame", "Error", "held_frames", "PLUGIN_DIR"]

#: The folder of the VLC plugin this package carries (on VLC_PLUGIN_PATH).
PLUGIN_DIR = _PLUGINS
