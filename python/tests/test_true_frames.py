"""Frames that stay true while an application drives its player, on the media
people have: each frame's time is its own picture's (matched by content
against ffmpeg's decode, timed by ffprobe) through pauses, rate changes and
the application's seeks; RGB by the stream's own matrix; deep colour as
uint16. Run by `make test` with the rest of python/tests."""

import hashlib
import json
import subprocess
import threading
import time

import numpy as np
import pytest

import smem_rs
from test_smem_rs import decode, ffmpeg, free_udp_port


def probe_times(path):
    """ffprobe's pts_time of each picture, in presentation order."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time", "-of", "json", path],
        check=True, capture_output=True, text=True,
    ).stdout
    return sorted(float(f["pts_time"]) for f in json.loads(out)["frames"])


class Pictures:
    """ffmpeg's decode of a file's luma, each picture with ffprobe's time."""

    def __init__(self, path, width, height):
        raw = decode(path, "gray")
        size = width * height
        times = probe_times(path)
        assert len(raw) == size * len(times), "one time a picture"
        self.time = {hashlib.sha1(raw[i * size : (i + 1) * size]).digest(): (i, t) for i, t in enumerate(times)}

    def of(self, frame):
        """(index, ffprobe's time) of the picture the frame holds."""
        return self.time[hashlib.sha1(np.ascontiguousarray(frame.array).tobytes()).digest()]

    def wrong_times(self, frames):
        """The frames whose time is not their picture's (to 1 ms), from the
        first (VLC 3's MP4 demuxer stamps the first pictures of a file with
        B-frames late; smem_preroll gives them their own times back)."""
        wrong = []
        for f in frames:
            index, t = self.of(f)
            if abs(f.time - t) > 0.001:
                wrong.append((index, t, round(f.time, 4)))
        return wrong


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("true")
    files = {
        "x264": (str(d / "x264.mp4"), 320, 240),
        "hevc": (str(d / "hevc.mp4"), 320, 240),
        "mpeg2": (str(d / "mpeg2.ts"), 352, 288),
        "vp9_opus": (str(d / "vp9.webm"), 320, 240),
        "x264_opus": (str(d / "x264_opus.mkv"), 320, 240),
    }
    src = ["-f", "lavfi", "-i", "testsrc2=size={}:rate=25:duration={}"]
    # x264 with B-frames and a key frame every 25, as the camera clip.
    ffmpeg(*src[:3], src[3].format("320x240", 4), "-c:v", "libx264", "-bf", "3", "-g", "25", "-pix_fmt", "yuv420p",
           files["x264"][0])
    ffmpeg(*src[:3], src[3].format("320x240", 2), "-c:v", "libx265", "-x265-params", "log-level=error:bframes=4",
           "-pix_fmt", "yuv420p", files["hevc"][0])
    ffmpeg(*src[:3], src[3].format("352x288", 2), "-f", "lavfi", "-i", "sine=f=440:duration=2", "-c:v", "mpeg2video",
           "-bf", "2", "-b:v", "3M", "-c:a", "mp2", files["mpeg2"][0])
    # WebM as YouTube serves it: VP9 with Opus, whose codec delay (6.5 ms)
    # VLC's Matroska demuxer adds to every track's times and ffmpeg does not.
    ffmpeg(*src[:3], src[3].format("320x240", 2), "-f", "lavfi", "-i", "sine=f=440:duration=2", "-c:v", "libvpx-vp9",
           "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus", files["vp9_opus"][0])
    ffmpeg(*src[:3], src[3].format("320x240", 2), "-f", "lavfi", "-i", "sine=f=440:duration=2", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", "-c:a", "libopus", files["x264_opus"][0])
    return files


def play_attached(path, script, **kwargs):
    """An application's python-vlc player, attached to and played in real time
    while `script(player)` drives it; every video frame it gave."""
    import vlc

    instance = vlc.Instance(["--no-xlib", "--quiet"])
    player = instance.media_player_new()
    player.set_media(instance.media_new_path(path))
    frames = smem_rs.attach(player, video="grey", realtime=True, **kwargs)
    got = []
    reader = threading.Thread(target=lambda: got.extend(frames))
    reader.start()
    player.play()
    script(player)
    reader.join(timeout=60)
    assert frames.ended == "ended", frames.ended
    return got


def pause_for_a_second(player):
    time.sleep(1.5)
    player.set_pause(1)
    time.sleep(1.0)
    player.set_pause(0)


def double_the_rate(player):
    time.sleep(1.0)
    player.set_rate(2.0)


def seek_back_then_forward(player):
    time.sleep(1.5)
    player.set_time(500)
    time.sleep(1.0)
    player.set_time(3200)


@pytest.mark.parametrize("script", [pause_for_a_second, double_the_rate, seek_back_then_forward])
def test_each_frame_keeps_its_picture_s_time_while_the_application_drives(clips, script):
    path, width, height = clips["x264"]
    pictures = Pictures(path, width, height)
    got = play_attached(path, script)
    # smem_raw: no picture is refused after a seek back (VLC's raw encoder
    # refused every pts from the past, about 1 s of pictures).
    assert len(got) >= 75
    assert pictures.wrong_times(got) == []
    if script is pause_for_a_second:
        assert got[-1].time == pytest.approx(3.96, abs=0.001), "the last picture of a 4 s file, pause or not"
    if script is seek_back_then_forward:
        shown = [pictures.of(f)[0] for f in got]
        # After each seek, the first picture is the first at or after its
        # target (0.5 s, 3.2 s): VLC's pre-roll pictures are left out.
        jumps = [b for a, b in zip(shown, shown[1:]) if b != a + 1]
        assert jumps == [13, 80], shown


@pytest.mark.parametrize("kind", ["x264", "hevc", "mpeg2", "vp9_opus"])
@pytest.mark.parametrize("audio", [None, "s16"])
def test_every_time_is_ffprobe_s_on_real_media(clips, kind, audio):
    path, width, height = clips[kind]
    pictures = Pictures(path, width, height)
    got = [f for f in smem_rs.open(path, video="grey", audio=audio) if isinstance(f, smem_rs.VideoFrame)]
    assert len(got) >= len(pictures.time) - 3
    assert pictures.wrong_times(got) == []


def test_times_do_not_depend_on_the_run(clips):
    path = clips["hevc"][0]
    runs = [[round(f.time, 6) for f in smem_rs.open(path, video="grey")] for _ in range(5)]
    assert all(run == runs[0] for run in runs), runs


def test_a_matroska_file_s_first_times_do_not_depend_on_which_track_starts(clips):
    # With no file caching (an unpaced grab's default) the video's first
    # pictures may reach smem before the Opus track does: the codec delay
    # that moves every time comes from the file's headers, not from it (6 of
    # 20 to 24 of 30 opens had their first frames 6.5 ms late before).
    path, width, height = clips["x264_opus"]
    pictures = Pictures(path, width, height)
    for _ in range(20):
        with smem_rs.open(path, video="grey") as frames:
            first = [next(frames) for _ in range(3)]
        assert pictures.wrong_times(first) == []


def test_a_live_source_s_times_are_the_broadcaster_s(tmp_path):
    # The broadcaster sends MPEG-TS over UDP and writes the same stream to a
    # file: ffprobe's times on the file are the times PyAV gives a reader.
    port = free_udp_port()
    sent = str(tmp_path / "sent.ts")
    with smem_rs.open(f"udp://@127.0.0.1:{port}", video="grey", idle_timeout=3) as frames:
        source = subprocess.Popen(
            ["ffmpeg", "-v", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "4",
             "-c:v", "mpeg2video", "-b:v", "2M", "-map", "0", "-f", "tee",
             f"[f=mpegts]udp://127.0.0.1:{port}?pkt_size=1316|[f=mpegts]{sent}"],
            stdin=subprocess.DEVNULL,
        )
        try:
            got = list(frames)
        finally:
            source.wait(timeout=30)
    pictures = Pictures(sent, 320, 240)
    assert len(got) >= 50
    wrong = [(f.time, pictures.of(f)) for f in got if abs(f.time - pictures.of(f)[1]) > 0.001]
    assert wrong == [], len(got)


@pytest.fixture(scope="module")
def colour(tmp_path_factory):
    d = tmp_path_factory.mktemp("colour")
    make = {
        "bt709_720p": ("1280x720", ["-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709"]),
        "untagged_1080p": ("1920x1080", []),
        "untagged_576p": ("720x576", []),
    }
    files = {}
    for name, (size, tags) in make.items():
        files[name] = str(d / f"{name}.mp4")
        ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={size}:rate=5:duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
               *tags, files[name])
    files["bt2020_10bit"] = str(d / "bt2020.mp4")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=640x360:rate=5:duration=1", "-c:v", "libx265",
           "-x265-params", "log-level=error", "-pix_fmt", "yuv420p10le", "-color_primaries", "bt2020",
           "-color_trc", "smpte2084", "-colorspace", "bt2020nc", files["bt2020_10bit"])
    return files


def ffmpeg_rgb(path, matrix, eight_bit_first=False):
    """ffmpeg's RGB of `path` by `matrix` from limited range; by frame."""
    vf = f"scale=in_color_matrix={matrix}:in_range=tv,format=rgb24"
    if eight_bit_first:
        vf = "format=yuv420p," + vf
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-vf", vf, "-f", "rawvideo", "-"],
                         check=True, capture_output=True).stdout
    return raw


@pytest.mark.parametrize("name, matrix, said", [
    ("bt709_720p", "bt709", "bt709"),          # the stream says BT.709
    ("untagged_1080p", "bt709", "bt709"),      # untagged HD: VLC 3's guess, BT.709
    ("untagged_576p", "bt601", "smpte170m"),   # untagged SD: BT.601 (ffprobe: smpte170m)
    ("bt2020_10bit", "bt2020", "bt2020nc"),    # HDR10 from HEVC
])
def test_rgb_uses_the_stream_s_matrix(colour, name, matrix, said):
    path = colour[name]
    frames = [f for f in smem_rs.open(path, video="rgb24")]
    h, w, _ = frames[0].array.shape
    deep = name == "bt2020_10bit"
    # VLC delivers the 10-bit picture as 8-bit I420, equal to ffmpeg's own
    # yuv420p (checked below): ffmpeg converts that same picture.
    reference = np.frombuffer(ffmpeg_rgb(path, matrix, eight_bit_first=deep), np.uint8).reshape(-1, h, w, 3)
    other = np.frombuffer(ffmpeg_rgb(path, "bt601" if matrix != "bt601" else "bt709"), np.uint8).reshape(-1, h, w, 3)
    # Each frame against ffmpeg's picture it holds (the nearest).
    assert len(frames) >= 3
    for f in frames:
        n = min(range(len(reference)), key=lambda i: np.abs(f.array.astype(int) - reference[i]).mean())
        assert f.color_space == said and f.color_range == "pc"
        assert np.abs(f.array.astype(int) - reference[n]).mean() < 1.0
        assert np.abs(f.array.astype(int) - other[n]).mean() > 3.0, "another matrix would show"
    if deep:
        direct = np.frombuffer(ffmpeg_rgb(path, matrix), np.uint8).reshape(-1, h, w, 3)
        assert np.abs(frames[-1].array.astype(int) - direct[-1]).mean() < 1.5, "ffmpeg straight from 10 bits"
        i420 = list(smem_rs.open(path, video="i420"))[-1]
        y = np.frombuffer(decode(path, "yuv420p"), np.uint8)[-w * h * 3 // 2 :][: w * h].reshape(h, w)
        assert np.array_equal(i420.planes[0], y), "VLC's 8-bit picture is ffmpeg's yuv420p"


@pytest.mark.parametrize("fmt, pix_fmt, planes", [("yuv420p10", "yuv420p10le", 3), ("p010", "p010le", 2)])
def test_deep_colour_comes_as_uint16_planes_equal_to_ffmpeg_s(colour, fmt, pix_fmt, planes):
    path = colour["bt2020_10bit"]
    frames = list(smem_rs.open(path, video=fmt))
    reference = np.frombuffer(decode(path, pix_fmt), np.uint16)
    w, h = 640, 360
    size = w * h * 3 // 2
    pictures = {reference[i : i + size].tobytes() for i in range(0, len(reference), size)}
    assert len(frames) >= 3
    for f in frames:
        assert f.format == fmt and f.bits == 10 and f.array.dtype == np.uint16 and f.array.shape == (h, w)
        assert len(f.planes) == planes and all(p.dtype == np.uint16 for p in f.planes)
        assert b"".join(np.ascontiguousarray(p).tobytes() for p in f.planes) in pictures
    assert frames[0].zero_copy
    if fmt == "p010":
        assert (frames[-1].array & 0x3F).max() == 0, "P010's 10 bits are the high ones"
    else:
        assert frames[-1].array.max() < 1024


def test_close_from_another_thread_ends_the_waiting_iterator(clips):
    path = clips["x264"][0]
    frames = smem_rs.open(path, video="grey", realtime=True)
    got = []
    reader = threading.Thread(target=lambda: got.extend(frames))
    reader.start()
    time.sleep(1.0)  # the reader waits in __next__ for the next frame
    frames.close()
    assert frames.ended == "stopped", "close returned once the grab had ended"
    reader.join(timeout=5)
    assert not reader.is_alive() and 5 < len(got) < 100
