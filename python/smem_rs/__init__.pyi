import os
from typing import Iterator, List, Literal, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

PLUGIN_DIR: str

VideoFormat = Optional[Literal["rgb24", "rgba", "bgra", "i420", "nv12", "grey", "yuv420p10", "yuv420p12", "yuv420p16", "yuv422p10", "p010"]]
"""Packed RGB (converted by the stream's own matrix), 8-bit planes, or 16-bit planes of
deep colour (10-bit HEVC, HDR): yuv420p10 and the like are ffmpeg's pix_fmt names."""

class Error(Exception):
    """The input could not be grabbed; the message is VLC's own."""

class VideoFrame:
    """A video frame: numpy arrays viewing VLC's buffer (kept alive by them)."""

    array: Union[npt.NDArray[np.uint8], npt.NDArray[np.uint16]]
    """Packed formats: (height, width, channels). Planar ones: the first plane, (height, width):
    uint8, or uint16 for the deep-colour formats."""
    planes: list[Union[npt.NDArray[np.uint8], npt.NDArray[np.uint16]]]
    """Every plane as (lines, samples); one for packed formats."""
    bits: int
    """Bits of each sample that carry the picture: 8, or 10, 12, 16 for the deep-colour
    formats (uint16 samples; p010's 10 bits are the high ones)."""
    width: int
    height: int
    format: str
    time: float
    """The frame's time in the stream, in seconds, as PyAV's frame.time and ffprobe's
    pts_time give it (with smem-rs; else counted from the start, or the last seek)."""
    pts: int
    """VLC's timestamp in microseconds (its own clock)."""
    item: int
    """The playlist item the frame is from (0 for a single input)."""
    es_id: Optional[int]
    sar: Optional[Tuple[int, int]]
    frame_rate: Optional[Tuple[int, int]]
    generation: Optional[int]
    zero_copy: bool
    index: int
    """Which video frame of the input this is, from 0, counting those `every` left out (PyAV's frame.index)."""
    field_order: Optional[Literal["progressive", "tt", "bb"]]
    """How the frame was coded, as ffprobe's field_order (VLC's packetizer flags; None with the stock smem)."""
    color_space: Optional[str]
    """ffprobe's names ("smpte170m" for BT.601, "bt709", "bt2020nc"); None when neither VLC nor the file says.
    Packed RGB: the matrix it was converted with (the stream's, else VLC's guess: BT.709
    above 576 lines, BT.601 up to them)."""
    color_primaries: Optional[str]
    color_transfer: Optional[str]
    color_range: Optional[Literal["tv", "pc"]]
    """The range of these pixels: VLC's I420 of a full-range source is limited ("tv"); RGB is "pc"."""
    rotation: Optional[int]
    """Degrees to turn the picture clockwise to show it upright: numpy.rot90(array, -rotation // 90)."""
    camera_time: Optional[float]
    """When the camera took the frame, on its own clock (RTCP sender reports), in seconds since the
    Unix epoch as time.time(): rtsp:// once its first report came; None otherwise (a file)."""
    gap_before: Optional[float]
    """The first frame after a gap (an rtsp:// input that reconnected): the gap's length in seconds."""

class AudioFrame:
    """A block of interleaved audio, as (samples, channels)."""

    array: Union[npt.NDArray[np.int16], npt.NDArray[np.float32]]
    rate: int
    channels: int
    time: float
    pts: int
    item: int
    es_id: Optional[int]
    """VLC's ES id: tells two audio tracks apart (None with the stock smem)."""
    zero_copy: bool
    camera_time: Optional[float]
    """When the camera took the sound, seconds since the Unix epoch (see VideoFrame.camera_time)."""
    gap_before: Optional[float]
    """The gap before this block, in seconds (see VideoFrame.gap_before)."""

class Frames(Iterator[Union[VideoFrame, AudioFrame]]):
    """Frames of one input in delivery order; a context manager that stops the grab."""

    def __iter__(self) -> "Frames": ...
    def __next__(self) -> Union[VideoFrame, AudioFrame]: ...
    def __enter__(self) -> "Frames": ...
    def __exit__(self, *args: object) -> bool: ...
    def close(self) -> None:
        """Stops the grab: no frame comes after it returns, and frames already taken stay
        valid. VLC's player finishes stopping in the background (wait_closed() waits for
        it). From another thread, a waiting iterator ends first."""
    def seek(self, seconds: float) -> None:
        """Seeks to media time `seconds`: the next frames are from there (the first at or
        after it, with smem-rs); frames queued from before are dropped. Raises Error when the
        input cannot seek (a live stream) or the grab has ended."""
    @property
    def ended(self) -> Optional[Literal["ended", "stopped", "timed-out", "idle"]]: ...
    @property
    def zero_copy(self) -> Optional[bool]:
        """Whether smem-rs's frame ABI delivered (no copy), once the grab ended."""
    @property
    def gaps(self) -> Optional[list[float]]:
        """Once the grab ended: the gaps in the stream in seconds, in order (an rtsp:// input
        that reconnected); [] if none. None while it goes on."""

def held_frames() -> int:
    """How many of VLC's frames this process holds (arrays viewing VLC's buffers, alive)."""

def wait_closed() -> None:
    """Waits until every grab closed in the background has stopped VLC (close() returns
    before; at most two at a time). Registered with atexit; call it before counting threads
    or memory."""

def open(
    input: str,
    *,
    video: VideoFormat = "rgb24",
    audio: Optional[Literal["s16", "f32"]] = None,
    start: Optional[float] = None,
    stop: Optional[float] = None,
    every: Optional[float] = None,
    buffer: int = 4,
    queue: int = 0,
    drop: Literal["none", "oldest", "newest"] = "none",
    latest: bool = False,
    options: Sequence[str] = (),
    abi: Literal["auto", "frame", "legacy"] = "auto",
    realtime: bool = False,
    timeout: Optional[float] = None,
    idle_timeout: Optional[float] = None,
    tune_allocator: bool = False,
    record: Optional[Union[str, os.PathLike[str]]] = None,
) -> Frames:
    """Opens a file or anything VLC opens (udp://@:1234, http://..., a playlist).

    video, audio: the formats to convert to (None skips that kind). Packed RGB is
    converted here from VLC's I420 by the stream's matrix; yuv420p10, yuv420p12,
    yuv420p16, yuv422p10 and p010 come as uint16 planes.
    start, stop: media seconds [start, stop), as ffmpeg's -ss/-to.
    every: one video frame every so many seconds of media time: the first at or after
    each multiple of it from start (0 without one), and the first after a seek.
    buffer: frames waiting for the iterator (VLC waits when it is full).
    queue, drop: smem's delivery queue for live sources.
    latest: the live mode, for cameras: each frame reaches the iterator as soon
    as VLC has decoded it (no input caching, one decoder thread, no frame held
    back), and a consumer slower than the source gets the newest frame; the
    older ones are dropped (buffer does not apply). The trade: frames missed
    are gone, and nothing absorbs the network's jitter.
    options: extra VLC media options (":network-caching=300").
    idle_timeout: end when no frame came for so long (a silent source).
    tune_allocator: tune glibc's malloc before VLC starts (M_MMAP_MAX=0,
    M_TRIM_THRESHOLD=2147483647, M_ARENA_MAX=1), for the whole process and the
    rest of its life: a few percent faster where VLC still copies pictures
    (abi="legacy", the stock smem), but nothing the process allocates (numpy
    arrays, a model's tensors) is given back to the system any more, and frames
    once held stay resident until it exits. Off by default: a grab leaves the
    allocator as the application has it, and the frames' memory goes back when
    they are dropped.
    record: also write the input's stream, as it comes and without re-encoding,
    to this .mkv (Matroska: it plays even if the process is killed) or .mp4 file
    (its index is written at the end: a killed process leaves it unplayable). It
    starts at the key frame VLC decodes from and holds every track VLC sends; an
    existing file is replaced; a path that cannot be written raises at once.
    """

def attach(
    player: object,
    *,
    video: VideoFormat = "rgb24",
    audio: Optional[Literal["s16", "f32"]] = None,
    every: Optional[float] = None,
    buffer: int = 4,
    queue: int = 0,
    drop: Literal["none", "oldest", "newest"] = "none",
    latest: bool = False,
    abi: Literal["auto", "frame", "legacy"] = "auto",
    realtime: bool = False,
    timeout: Optional[float] = None,
    idle_timeout: Optional[float] = None,
    tune_allocator: bool = False,
) -> Frames:
    """Frames of a python-vlc MediaPlayer the application plays, pauses and seeks itself.

    Attach before player.play(): the player is given a copy of its media with the
    stream output added (its own media is left as it was, and given back at the end).
    The frames end when the player ends or stops; closing them stops the player.
    Its vlc.Instance must be made after `import smem_rs` (or smem-rs installed for
    the whole system) for the frame ABI. Frames.seek is refused: seek the player.
    realtime=True paces VLC at the media's speed from the first frame (a player
    being watched: its pauses are kept).
    tune_allocator: as open()'s (off by default).
    """


def frames_at(
    input: str, times: Sequence[float], *, video: VideoFormat = "rgb24", options: Sequence[str] = ()
) -> List[Optional[VideoFrame]]:
    """The video frame shown at each time (the first at or after it), from one open; None after the last."""

def frame_at(
    input: str, time: float, *, video: VideoFormat = "rgb24", options: Sequence[str] = ()
) -> Optional[VideoFrame]:
    """The video frame shown at `time` (the first at or after it), or None after the last."""
