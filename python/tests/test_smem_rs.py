"""smem_rs (the wheel `make wheel` builds, installed in a fresh venv with no
VLC_PLUGIN_PATH and no `make install`) under real libvlc, on media made by
Debian's ffmpeg. Run by `make test` (python/run-tests.sh)."""

import gc
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

import smem_rs


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def decode(path, pix_fmt, *args):
    """ffmpeg's own decode of `path`, as raw bytes."""
    return subprocess.run(
        ["ffmpeg", "-v", "error", *args, "-i", path, "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"],
        check=True,
        capture_output=True,
    ).stdout


@pytest.fixture(scope="session")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("media")
    files = {
        # odd size, x264 with B-frames, and a sound track
        "odd": str(d / "odd.mkv"),
        "h264": str(d / "h264.mp4"),
        "two_tracks": str(d / "two.mkv"),
    }
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=322x182:rate=25:duration=2", "-c:v", "libx264", "-pix_fmt", "yuv420p", files["odd"])
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=4",
        "-c:v", "libx264", "-g", "12", "-bf", "2", "-c:a", "aac", "-ac", "2", files["h264"],
    )
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=2",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2",
        "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000:duration=2",
        "-map", "0", "-map", "1", "-map", "2", "-c:v", "libx264", "-c:a", "pcm_s16le", "-ac", "2", files["two_tracks"],
    )
    return files


def test_the_package_brings_its_plugin_and_vlc_uses_it(media):
    assert os.path.exists(os.path.join(smem_rs.PLUGIN_DIR, "libsmem_rs_plugin.so"))
    system = smem_rs._SYSTEM  # the Debian package's, which VLC loads itself
    assert (smem_rs.PLUGIN_DIR in os.environ.get("VLC_PLUGIN_PATH", "").split(os.pathsep)) != bool(system)
    with smem_rs.open(media["h264"]) as frames:
        first = next(frames)
    assert first.es_id is not None, "the frame ABI"
    assert first.array.shape == (240, 320, 3) and first.array.dtype == np.uint8
    with smem_rs.open(media["h264"], video="i420") as frames:
        assert next(frames).zero_copy, "VLC's own buffer"
    assert first.sar == (1, 1) and first.frame_rate == (25, 1)


@pytest.mark.parametrize("fmt", ["i420", "nv12", "grey"])
def test_planes_hold_the_legacy_copy_s_bytes_at_an_odd_size(media, fmt):
    ours = [f for f in smem_rs.open(media["odd"], video=fmt)]
    with pytest.warns(RuntimeWarning, match="legacy callbacks"):
        legacy = [f for f in smem_rs.open(media["odd"], video=fmt, abi="legacy")]
    assert len(ours) == len(legacy) >= 45
    # Kept past max-held, later frames are copies: the first one is VLC's buffer.
    assert ours[0].zero_copy and not any(f.zero_copy for f in legacy)
    for a, b in zip(ours, legacy):
        assert (a.width, a.height) == (b.width, b.height) == (322, 182)
        assert len(a.planes) == len(b.planes) == {"i420": 3, "nv12": 2}.get(fmt, 1)
        for pa, pb in zip(a.planes, b.planes):
            assert np.array_equal(pa, pb)


def test_rgb_is_converted_here_close_to_ffmpeg_s(media):
    # VLC delivers I420 and smem_rs converts (BT.601, limited range), off
    # VLC's threads; the three packed layouts are one conversion.
    rgb = [f for f in smem_rs.open(media["odd"], video="rgb24")]
    rgba = [f.array for f in smem_rs.open(media["odd"], video="rgba")]
    bgra = [f.array for f in smem_rs.open(media["odd"], video="bgra")]
    reference = np.frombuffer(decode(media["odd"], "rgb24"), dtype=np.uint8).reshape(-1, 182, 322, 3)
    assert len(rgb) == len(rgba) == len(bgra) == len(reference)
    for f, a, b, r in zip(rgb, rgba, bgra, reference):
        assert f.array.shape == (182, 322, 3) and not f.zero_copy
        assert np.array_equal(a[..., :3], f.array) and np.array_equal(b[..., 2::-1], f.array)
        assert (a[..., 3] == 255).all()
        # ffmpeg interpolates chroma a little differently at colour edges.
        assert np.abs(f.array.astype(int) - r).mean() < 1.5
    with pytest.warns(RuntimeWarning):
        legacy = next(iter(smem_rs.open(media["odd"], video="rgb24", abi="legacy")))
    assert legacy.array.shape == (182, 322, 3) and np.abs(legacy.array.astype(int) - reference[0]).mean() < 1.5


def test_i420_planes_are_ffmpeg_s_decode(media):
    frames = list(smem_rs.open(media["odd"], video="i420"))
    reference = decode(media["odd"], "yuv420p")
    w, h = 322, 182
    size = w * h * 3 // 2
    pictures = {reference[i : i + w * h] for i in range(0, len(reference), size)}
    assert (frames[0].width, frames[0].height) == (w, h)
    assert all(f.planes[0].tobytes() in pictures for f in frames)


def test_arrays_outlive_the_iterator_the_player_and_vlc(media):
    kept = []
    with smem_rs.open(media["h264"], video="i420", buffer=2) as frames:
        for f in frames:
            kept.append(f)  # more than smem's max-held: the later ones are copies
    copies = [f.zero_copy for f in kept]
    assert copies[0] and not copies[-1], "held up to max-held, then copied"
    snapshot = [f.array.copy() for f in kept]
    gc.collect()
    for f, s in zip(kept, snapshot):
        assert np.array_equal(f.array, s)
    views = [f.planes[0][10:20] for f in kept[:3]]
    del kept, snapshot, f
    gc.collect()
    assert all(v.shape[0] == 10 for v in views), "a view keeps its frame's buffer"
    assert smem_rs.held_frames() == 3, "the three frames the views keep, no more"
    del views
    gc.collect()
    assert smem_rs.held_frames() == 0, "every VLC buffer given back once its arrays are garbage"


def test_times_are_the_stream_s_own(media):
    # ffprobe's pts_time for each frame, as PyAV's frame.time gives it, from
    # the first: VLC 3's MP4 demuxer stamps the first pictures of an x264 file
    # with B-frames late, smem_preroll gives them their own times back
    # (README); smem_raw loses none of them.
    probed = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "frame=pts_time", "-of", "csv=p=0", media["h264"]],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    probed = [round(float(t.strip(",")), 3) for t in probed if t.strip(",")]
    times = [round(f.time, 3) for f in smem_rs.open(media["h264"], video="grey")]
    assert times == probed


def test_frames_at_times_from_one_open(media):
    # h264.mp4: 4 s at 25 fps, B-frames, a key frame every 12. Each time's
    # frame is the first at or after it, ffmpeg's picture, in the order asked;
    # read on (0.5 after 0.0), sought (2.0 after 0.52, 3.96 after 2.0).
    expected = decode(media["h264"], "gray")
    size = 320 * 240
    pictures = [expected[i : i + size] for i in range(0, len(expected), size)]
    times = [2.0, 0.0, 0.5, 0.51, 3.96, 10.0, 0.04]
    got = smem_rs.frames_at(media["h264"], times, video="grey")
    assert got[5] is None, "after the last frame"
    assert [round(f.time, 3) for f in got if f] == [2.0, 0.0, 0.52, 0.52, 3.96, 0.04]
    assert [pictures.index(f.array.tobytes()) for f in got if f] == [50, 0, 13, 13, 99, 1]
    assert smem_rs.frame_at(media["h264"], 1.5, video="grey").time == pytest.approx(1.52)
    assert smem_rs.frames_at(media["h264"], []) == []


def test_seeking_forward_and_back_gives_the_frames_from_there(media):
    expected = decode(media["h264"], "gray")
    size = 320 * 240
    pictures = [expected[i : i + size] for i in range(0, len(expected), size)]
    got = []
    with smem_rs.open(media["h264"], video="grey", audio="s16", buffer=2) as frames:
        for f in frames:
            if isinstance(f, smem_rs.AudioFrame):
                got.append(("audio", round(f.time, 3)))
                continue
            got.append(("video", round(f.time, 3), pictures.index(f.array.tobytes())))
            seen = [g for g in got if g[0] == "video"]
            if len(seen) == 5:
                frames.seek(3.0)  # forward, a B-frame between key frames
            elif seen[-1][1] == 3.2 and len(seen) < 20:
                frames.seek(1.52)  # back
            elif len(seen) == 20:
                break
    video = [g[1:] for g in got if g[0] == "video"]
    # Each picture is ffmpeg's at its time; after a seek, the first frame at
    # or after the target, nothing from before.
    # Every picture (smem_raw: VLC's raw encoder lost pictures 1 and 2 here),
    # each at its own time from picture 0 (see test_times_are_the_stream_s_own).
    assert video[:5] == [(0.0, 0), (0.04, 1), (0.08, 2), (0.12, 3), (0.16, 4)]
    assert video[5:11] == [(round(3.0 + n * 0.04, 3), 75 + n) for n in range(6)]
    assert video[11:20] == [(round(1.52 + n * 0.04, 3), 38 + n) for n in range(9)]
    audio = [g[1] for g in got if g[0] == "audio"]
    after_back = got.index(("video", 1.52, 38))
    assert all(t >= 1.5 for g in got[after_back:] if g[0] == "audio" for t in [g[1]])
    assert any(abs(t - 3.0) < 0.03 for t in audio), "audio resumes at the seek too"


def test_a_live_source_cannot_seek(tmp_path):
    port = free_udp_port()
    source = live_source(port, 4)
    try:
        with smem_rs.open(f"udp://@:{port}", idle_timeout=2) as frames:
            next(frames)
            with pytest.raises(smem_rs.Error, match="cannot seek"):
                frames.seek(1.0)
            assert next(frames) is not None, "the grab goes on"
        with pytest.raises(smem_rs.Error, match="ended"):
            frames.seek(1.0)
    finally:
        source.kill()


def test_a_segment_and_every(media):
    seg = [f for f in smem_rs.open(media["h264"], video="i420", start=1, stop=2)]
    assert len(seg) == 25
    assert seg[0].time == pytest.approx(1.0) and seg[-1].time == pytest.approx(1.96)
    expected = decode(media["h264"], "yuv420p", "-ss", "1", "-to", "2")
    size = 320 * 240 * 3 // 2
    assert [f.planes[0].tobytes() for f in seg] == [expected[i : i + 320 * 240] for i in range(0, len(expected), size)]
    every = [f.time for f in smem_rs.open(media["h264"], video="grey", every=1)]
    # The first frame, then the first at or after each second.
    assert every == pytest.approx([0, 1, 2, 3])
    every = [f.time for f in smem_rs.open(media["h264"], video="grey", every=0.5, start=1.5)]
    assert every == pytest.approx([1.52, 2, 2.52, 3, 3.52]), "25 fps: no frame at 1.5 s"


def test_two_audio_tracks_are_told_apart(media):
    blocks = [b for b in smem_rs.open(media["two_tracks"], video=None, audio="s16")]
    tracks = sorted({b.es_id for b in blocks})
    assert len(tracks) == 2
    for n, es in enumerate(tracks):
        ours = np.concatenate([b.array for b in blocks if b.es_id == es])
        assert ours.shape[1] == 2 and ours.dtype == np.int16
        pcm = subprocess.run(
            ["ffmpeg", "-v", "error", "-i", media["two_tracks"], "-map", f"0:a:{n}", "-f", "s16le", "-"],
            check=True,
            capture_output=True,
        ).stdout
        theirs = np.frombuffer(pcm, dtype=np.int16).reshape(-1, 2)
        assert np.array_equal(ours, theirs[: len(ours)]) and len(theirs) - len(ours) <= 4800


def test_float_audio(media):
    blocks = [b for b in smem_rs.open(media["h264"], video=None, audio="f32")]
    assert blocks[0].array.dtype == np.float32 and blocks[0].array.shape[1] == 2 and blocks[0].rate == 48000
    # ffmpeg's sine source plays at 1/8 of full scale.
    assert 0.05 < float(np.abs(np.concatenate([b.array for b in blocks])).max()) < 0.2


def test_bad_inputs_raise_errors_a_program_can_catch(tmp_path):
    with pytest.raises(smem_rs.Error, match="no such file"):
        list(smem_rs.open(str(tmp_path / "missing.mkv")))
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\0" * 4096)
    with pytest.raises(smem_rs.Error):
        list(smem_rs.open(str(junk)))
    with pytest.raises(ValueError, match="unknown video format"):
        smem_rs.open("x.mkv", video="yuv9")
    with pytest.raises(ValueError, match="nothing to grab"):
        smem_rs.open("x.mkv", video=None, audio=None)


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def live_source(port, seconds):
    return subprocess.Popen(
        [
            "ffmpeg", "-v", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
            "-t", str(seconds), "-c:v", "mpeg2video", "-f", "mpegts", f"udp://127.0.0.1:{port}?pkt_size=1316",
        ],
        stdin=subprocess.DEVNULL,
    )


def test_a_live_source_with_latest_and_a_slow_consumer(tmp_path):
    port = free_udp_port()
    source = live_source(port, 6)
    try:
        times = []
        start = time.monotonic()
        with smem_rs.open(f"udp://@:{port}", latest=True, idle_timeout=2) as frames:
            for f in frames:
                # Taken while the source still sends: after it stops, VLC
                # drains what it holds and media time stands still.
                if source.poll() is None:
                    times.append((time.monotonic() - start, f.time))
                time.sleep(0.2)  # a slow detector: 5 frames a second of 25
            assert frames.ended == "idle"
        assert len(times) >= 10
        # The newest frame each time: media time keeps up with the clock.
        (wall0, media0), (wall1, media1) = times[1], times[-1]
        assert (media1 - media0) > 0.8 * (wall1 - wall0)
    finally:
        source.kill()


def test_ctrl_c_stops_iteration_promptly(tmp_path):
    port = free_udp_port()
    source = live_source(port, 20)
    script = tmp_path / "grab.py"
    script.write_text(
        "import smem_rs, sys\n"
        "n = 0\n"
        "try:\n"
        f"    for f in smem_rs.open('udp://@:{port}'):\n"
        "        n += 1\n"
        "        if n == 1: print('first', flush=True)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted after', n, flush=True)\n"
    )
    try:
        grab = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
        assert grab.stdout.readline().strip() == "first"
        time.sleep(1)
        sent = time.monotonic()
        grab.send_signal(signal.SIGINT)
        out, _ = grab.communicate(timeout=10)
        assert time.monotonic() - sent < 2.0
        assert out.startswith("interrupted after") and grab.returncode == 0
    finally:
        source.kill()


def test_without_its_plugin_it_uses_the_stock_smem_and_says_so(media, tmp_path):
    # The package copied without its plugin: VLC's stock smem serves.
    if smem_rs._SYSTEM:
        pytest.skip("smem-rs is installed for the whole system: VLC would load it")
    bare = tmp_path / "bare"
    shutil.copytree(os.path.dirname(smem_rs.__file__), bare / "smem_rs", ignore=shutil.ignore_patterns("plugins"))
    code = (
        "import warnings, smem_rs\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        f"    frames = list(smem_rs.open({media['h264']!r}, video='i420'))\n"
        "print(len(frames), frames[0].width, frames[0].height, len(frames[0].planes), frames[0].zero_copy, len(w))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "VLC_PLUGIN_PATH"}
    env["PYTHONPATH"] = str(bare)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()
    assert out[1:] == ["320", "240", "3", "False", "1"], out
    assert int(out[0]) >= 95


def test_attaching_to_a_python_vlc_player_the_application_plays(media):
    # An application's own python-vlc objects (Debian's python3-vlc): smem_rs
    # was imported first, so its instance knows smem-rs.
    import vlc
    instance = vlc.Instance(["--no-xlib", "--quiet"])
    player = instance.media_player_new()
    own = instance.media_new_path(media["odd"])
    player.set_media(own)
    frames = smem_rs.attach(player, video="grey")
    player.play()
    got = list(frames)
    assert frames.ended == "ended" and frames.zero_copy
    reference = decode(media["odd"], "gray")
    size = 322 * 182
    pictures = [reference[i : i + size] for i in range(0, len(reference), size)]
    assert len(got) >= len(pictures) - 3
    assert all(f.array.tobytes() in pictures for f in got)
    assert got[-1].time == pytest.approx((len(pictures) - 1) * 0.04)
    # The application's media is given back as it was: it plays normally again.
    assert player.get_media().get_mrl() == own.get_mrl()
    with pytest.raises(smem_rs.Error, match="set_time"):
        attached = smem_rs.attach(player, video="grey")
        player.play()
        next(attached)
        attached.seek(1.0)
    attached.close()
    with pytest.raises(TypeError, match="MediaPlayer"):
        smem_rs.attach(own)



def test_attaching_to_a_vlc_made_before_the_import_says_what_to_do(media):
    if smem_rs._SYSTEM:
        pytest.skip("smem-rs is installed for the whole system: every VLC knows it")
    code = (
        "import vlc\n"
        "instance = vlc.Instance(['--no-xlib', '--quiet'])\n"
        f"player = instance.media_player_new(); player.set_media(instance.media_new_path({media['odd']!r}))\n"
        "import smem_rs\n"
        "frames = smem_rs.attach(player, video='grey')\n"
        "player.play()\n"
        "try:\n"
        "    print(len(list(frames)))\n"
        "except smem_rs.Error as e:\n"
        "    print('Error:', e)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "VLC_PLUGIN_PATH"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60).stdout
    assert out.startswith("Error:") and "import smem_rs first" in out, out


def test_the_frame_says_fields_colour_and_rotation_as_ffprobe_does(tmp_path):
    interlaced, bt709, rotated = (str(tmp_path / n) for n in ("tff.ts", "bt709.mp4", "rotated.mp4"))
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=720x576:rate=25:duration=1", "-c:v", "mpeg2video",
           "-flags", "+ilme+ildct", "-top", "1", "-b:v", "4M", interlaced)
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
           "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "pc", bt709)
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=1", "-c:v", "libx264", rotated)
    # A phone's display matrix, written into the track header (ffmpeg 5.1 writes none).
    data = bytearray(open(rotated, "rb").read())
    matrix = data.find(b"tkhd") + 4 + 4 + 4 * 5 + 8 + 8
    data[matrix : matrix + 36] = b"".join(v.to_bytes(4, "big") for v in (0, 0x10000, 0, 0xFFFF0000, 0, 0, 0, 0, 0x40000000))
    open(rotated, "wb").write(data)
    first = lambda path, **kw: next(iter(smem_rs.open(path, **kw)))  # noqa: E731
    assert first(interlaced, video="grey").field_order == "tt"
    f = first(bt709, video="i420")
    assert (f.color_space, f.color_primaries, f.color_transfer, f.field_order) == ("bt709", "bt709", "bt709", "progressive")
    assert f.color_range == "tv", "VLC's I420 of a full-range picture is limited range (as ffmpeg's yuv420p)"
    assert first(bt709, video="rgb24").color_range == "pc"
    assert first(rotated, video="grey").rotation == 90 and first(bt709, video="grey").rotation == 0
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream_side_data=rotation", "-of", "csv=p=0", rotated],
                           capture_output=True, text=True).stdout
    assert "-90" in probe, "the file really carries the matrix"


SMEM_GRAB = os.path.join(os.path.dirname(__file__), "..", "..", "target", "release", "smem-grab")


def smem_grab_frames(tmp_path, input, *args):
    """smem-grab's raw frames of `input`: (index, media time) of each, from its sidecar."""
    out = tmp_path / f"grab{len(list(tmp_path.iterdir()))}"
    env = {**os.environ, "VLC_PLUGIN_PATH": smem_rs.PLUGIN_DIR}
    subprocess.run([SMEM_GRAB, input, "-o", str(out), "--format", "raw", "--no-audio", "--json", *args],
                   env=env, check=True, capture_output=True)
    with open(out / "video.json") as f:
        sidecar = __import__("json").load(f)
    return [(number - 1, round(time / 1e6, 6)) for number, _pts, time in sidecar["frames"]]


@pytest.mark.skipif(not os.path.exists(SMEM_GRAB), reason="smem-grab not built (make build)")
def test_smem_grab_and_python_keep_the_same_frames_for_every(media, tmp_path):
    """One `every` in smem-client: by media time, per item, on a grid from the start."""
    python = [(f.index, round(f.time, 6)) for f in smem_rs.open(media["h264"], every=0.5, start=1.5)]
    assert [t for _, t in python] == pytest.approx([1.52, 2, 2.52, 3, 3.52]), "25 fps: no frame at 1.5 s"
    assert smem_grab_frames(tmp_path, media["h264"], "--every", "0.5", "--start", "1.5") == python
    # A playlist of two items: each starts with its first frame, and frames
    # are counted across both.
    playlist = tmp_path / "two.m3u"
    playlist.write_text(f"{media['h264']}\n{media['h264']}\n")  # one size: smem-grab's raw holds one
    python = [(f.item, f.index, round(f.time, 6)) for f in smem_rs.open(str(playlist), every=1.5)]
    assert [(i, t) for i, _, t in python] == [(0, 0.0), (0, 1.52), (0, 3.0), (1, 0.0), (1, 1.52), (1, 3.0)]
    assert python[3][1] >= 95, "the second item's first frame follows the first item's"
    assert smem_grab_frames(tmp_path, str(playlist), "--every", "1.5") == [(n, t) for _, n, t in python]
