"""smem_rs.open("rtsp://...") on a camera's stream: GStreamer's RTSP server
(tests/rtsp/server.py) on 127.0.0.1 sends a file made here, through the
plugin's own RTSP input (smem_rtsp), on the VLC Debian ships (no live555)."""

import os
import socket
import statistics
import subprocess
import time

import numpy as np
import pytest

import smem_rs

SERVER = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "rtsp", "server.py")


class Server:
    """gst-rtsp-server on a free port of 127.0.0.1, one /cam mount."""

    def __init__(self, clip, *flags, port=0):
        pipeline = f"( filesrc location={clip} ! matroskademux ! h264parse ! rtph264pay name=pay0 pt=96 )"
        self.args = [*flags, f"/cam={pipeline}"]
        self.port = port
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", SERVER, "--port", str(self.port), "--lifetime", "120", *self.args],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline()
        assert line.startswith("ready "), line
        self.port = int(line.split()[1])

    def url(self, credentials=""):
        return f"rtsp://{credentials}127.0.0.1:{self.port}/cam"

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def camera_clip(tmp_path_factory, seconds):
    """`seconds` of ffmpeg's moving test picture as a camera sends it (x264, no B-frames)."""
    path = str(tmp_path_factory.mktemp("rtsp") / f"cam{seconds}.mkv")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={seconds}",
         "-c:v", "libx264", "-bf", "0", "-g", "25", "-pix_fmt", "yuv420p", path],
        check=True,
    )
    return path


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory):
    return camera_clip(tmp_path_factory, 4)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return camera_clip(tmp_path_factory, 2)


@pytest.fixture
def camera(clip):
    server = Server(clip)
    yield server
    server.stop()


def test_a_camera_s_frames_as_numpy_with_their_times(camera, clip):
    frames = list(smem_rs.open(camera.url()))
    from_file = list(smem_rs.open(clip))
    assert len(frames) == len(from_file) == 50
    assert frames[0].array.shape == (240, 320, 3)
    for f, g in zip(frames, from_file):
        assert np.array_equal(f.array, g.array)
    assert [round(f.time, 6) for f in frames] == [round(i * 0.04, 6) for i in range(50)]


def test_failures_raise_smem_rs_error_with_vlc_s_reason(clip):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(smem_rs.Error, match="Connection refused"):
        list(smem_rs.open(f"rtsp://127.0.0.1:{closed}/cam"))
    assert time.monotonic() - start < 5

    server = Server(clip, "--user", "cam", "--password", "hunter2")
    try:
        with pytest.raises(smem_rs.Error, match="401") as failed:
            list(smem_rs.open(server.url("cam:wrong-one@")))
        assert "wrong-one" not in str(failed.value)
        frames = list(smem_rs.open(server.url("cam:hunter2@")))
        assert len(frames) == 50
        frames = list(smem_rs.open(server.url(), options=[":rtsp-user=cam", ":rtsp-pwd=hunter2"]))
        assert len(frames) == 50
    finally:
        server.stop()


def test_a_silent_server_ends_within_the_timeout_set():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        start = time.monotonic()
        with pytest.raises(smem_rs.Error, match="no answer to DESCRIBE within 800 ms"):
            list(smem_rs.open(f"rtsp://127.0.0.1:{port}/cam", options=[":rtsp-connect-timeout=800"]))
        assert time.monotonic() - start < 4


def test_a_camera_cannot_seek_and_says_so(camera):
    with smem_rs.open(camera.url()) as frames:
        first = next(frames)
        with pytest.raises(smem_rs.Error, match="cannot seek"):
            frames.seek(1.0)
        rest = list(frames)
    assert first.time == 0.0 and len(rest) == 49, "the grab goes on after the refused seek"


def test_latest_hands_a_slow_consumer_the_newest_frame(long_clip):
    """The live mode end to end: a consumer that takes 0.2 s a frame, on a
    camera sending 25 fps in real time, is handed the newest frame each
    time (0.2 s of stream between two), not the next one from a queue."""
    server = Server(long_clip)
    try:
        taken = []
        with smem_rs.open(server.url(), latest=True) as frames:
            for frame in frames:
                taken.append((time.monotonic(), frame.time))
                assert frame.array.shape == (240, 320, 3)
                time.sleep(0.2)
    finally:
        server.stop()
    assert 8 <= len(taken) <= 30, taken
    gaps = [b[1] - a[1] for a, b in zip(taken, taken[1:])]
    assert min(gaps) > 0, "frames in stream order"
    assert statistics.median(gaps) >= 0.12, gaps
    # Its lag (wall time less stream time, from the first frame) stays flat
    # from the first frame: no caching hands over a second of stream at
    # once, which a queue would then feed the consumer late (0.8 s of lag
    # built up over the first five frames with queue=1, drop="oldest").
    lags = [(t - taken[0][0]) - (s - taken[0][1]) for t, s in taken]
    assert max(lags) - min(lags) < 0.4, lags

@pytest.fixture(scope="module")
def clip5(tmp_path_factory):
    return camera_clip(tmp_path_factory, 5)


def test_a_camera_that_restarts_keeps_the_iterator_going(clip5):
    """The server killed 3 s in and started again 3 s later on the same
    port: the iterator waits through the gap, never raises, and goes on
    with the times the wall clock took."""
    server = Server(clip5)
    try:
        times, came, gaps_before = [], [], []
        killed = restarted = None
        with smem_rs.open(server.url()) as frames:
            start = time.monotonic()
            for frame in frames:
                times.append(frame.time)
                came.append(time.monotonic())
                gaps_before.append(frame.gap_before)
                if killed is None and came[-1] - start >= 3:
                    server.stop()
                    killed = time.monotonic()
                    time.sleep(3)
                    server.start()
                    restarted = time.monotonic()
        assert killed is not None
        # The frames the server sent before it was killed, then its whole file again.
        assert 125 + 40 <= len(times) <= 125 + 100, len(times)
        steps = [b - a for a, b in zip(times, times[1:])]
        gap = max(steps)
        assert 3 <= gap < 3 + 3, f"the gap in the times: {gap:.3f} s"
        assert all(s > 0 for s in steps), "the times only go forward"
        resumed = next(t for t, step in zip(came[1:], steps) if step == gap)
        assert resumed - restarted < 2 + 1.2, f"back {resumed - restarted:.2f} s after the server"
        # The first frame after the gap says how long it was; the end report lists it.
        told = [(i, g) for i, g in enumerate(gaps_before) if g is not None]
        assert len(told) == 1, told
        after = steps.index(gap) + 1
        assert told[0][0] == after and abs(told[0][1] - gap) < 0.002, (told, gap)
        assert frames.gaps == pytest.approx([told[0][1]], abs=1e-6)
        assert frames.ended == "ended"
    finally:
        server.stop()


def test_a_camera_s_clock_on_its_frames_and_none_for_a_file(clip, clip5):
    """gst-rtsp-server's sender reports tell this machine's real time: each
    frame's camera_time, once the first report came (a second or three in),
    is a little before time.time() as the frame comes (after VLC's 1 s of
    caching); a file has none."""
    server = Server(clip5)
    try:
        got = [(f.camera_time, time.time()) for f in smem_rs.open(server.url())]
    finally:
        server.stop()
    timed = [(c, t) for c, t in got if c is not None]
    assert len(got) == 125 and len(timed) >= 25, f"{len(timed)} of {len(got)} frames have a camera time"
    assert all(0 < t - c < 3 for c, t in timed), [(round(t - c, 3)) for c, t in timed]
    steps = [b[0] - a[0] for a, b in zip(timed, timed[1:])]
    assert all(abs(s - 0.04) < 0.002 for s in steps), steps
    assert all(f.camera_time is None and f.gap_before is None for f in smem_rs.open(clip))
