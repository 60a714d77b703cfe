"""smem_rs.open(..., record="cam.mkv"): the input's stream written to a file
as it comes, not re-encoded, while the frames are delivered. The recording is
read back by ffmpeg (frames counted, decoded without an error) and by
smem_rs itself (the same pictures as those delivered)."""

import json
import os
import subprocess

import numpy as np
import pytest

import smem_rs

import test_rtsp


def probe(path, tolerate=()):
    """{codec type: frames} by ffprobe's count, and whether ffmpeg decodes it all
    cleanly (its error lines holding one of `tolerate` left aside)."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_entries", "stream=codec_type,nb_read_frames",
         "-of", "json", path],
        check=True, capture_output=True, text=True,
    ).stdout
    counts = {s["codec_type"]: int(s["nb_read_frames"]) for s in json.loads(out)["streams"]}
    errors = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "null", "-"], capture_output=True, text=True)
    said = [line for line in errors.stderr.splitlines() if not any(t in line for t in tolerate)]
    return counts, errors.returncode == 0 and not said


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """4 s of 320x240 H.264 at 25 fps (a key frame every second) with AAC."""
    path = str(tmp_path_factory.mktemp("record") / "clip.mkv")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4",
         "-f", "lavfi", "-i", "sine=duration=4", "-c:v", "libx264", "-bf", "0", "-g", "25",
         "-pix_fmt", "yuv420p", "-c:a", "aac", path],
        check=True,
    )
    return path


def test_a_file_is_recorded_whole_and_its_frames_delivered_unchanged(clip, tmp_path):
    rec = str(tmp_path / "rec.mkv")
    recorded = list(smem_rs.open(clip, record=rec))
    plain = list(smem_rs.open(clip))
    assert len(recorded) == len(plain) == 100
    for f, g in zip(recorded, plain):
        assert f.time == g.time and np.array_equal(f.array, g.array)
    counts, clean = probe(rec)
    # The last AAC frames past the last picture may still be queued in VLC's
    # muxer when the input ends (seen: 2 of 260 in a 6 s clip).
    assert counts["video"] == 100 and 170 <= counts["audio"] <= 172 and clean, counts
    replayed = list(smem_rs.open(rec))
    assert [f.time for f in replayed] == [f.time for f in plain]
    assert all(np.array_equal(f.array, g.array) for f, g in zip(replayed, plain))


def test_audio_only_and_mp4(clip, tmp_path):
    rec = str(tmp_path / "rec.mkv")
    blocks = list(smem_rs.open(clip, video=None, audio="s16", record=rec))
    assert blocks and all(isinstance(b, smem_rs.AudioFrame) for b in blocks)
    counts, clean = probe(rec)
    assert counts["video"] == 100 and 170 <= counts["audio"] <= 172 and clean, counts
    mp4 = str(tmp_path / "rec.mp4")
    assert len(list(smem_rs.open(clip, record=mp4))) == 100
    counts, clean = probe(mp4)
    # VLC 3's MP4 muxer leaves each track's last sample out (its duration is
    # unknown): one of 100 pictures, two of 172 AAC frames.
    assert counts["video"] == 99 and 168 <= counts["audio"] <= 170 and clean, counts


def test_a_segment_s_recording_starts_at_the_key_frame_before_it(clip, tmp_path):
    rec = str(tmp_path / "rec.mkv")
    delivered = list(smem_rs.open(clip, start=1.5, stop=3.0, record=rec))
    assert len(delivered) == 38 and delivered[0].time == pytest.approx(1.5, abs=0.04)
    counts, clean = probe(rec)
    assert clean and counts["video"] >= 38 + 12, counts  # from the key frame at 1.0 s
    # The file's own times differ a little (VLC's Matroska muxer rounds them
    # to the millisecond): its pictures are found by their content.
    replayed = [f.array.tobytes() for f in smem_rs.open(rec)]
    first = replayed.index(delivered[0].array.tobytes())
    assert first >= 12
    assert replayed[first:first + 38] == [f.array.tobytes() for f in delivered]


def test_a_camera_is_recorded_while_its_frames_are_delivered(clip, tmp_path):
    server = test_rtsp.Server(clip)
    try:
        rec = str(tmp_path / "cam.mkv")
        frames = list(smem_rs.open(server.url(), record=rec))
    finally:
        server.stop()
    assert len(frames) == 100
    counts, clean = probe(rec, tolerate=["non monotonically increasing dts"])
    assert counts["video"] >= 98 and clean, counts
    # Known here: with smem_rtsp's stream, VLC's muxer leaves one picture out
    # after the second key frame (its times step back 10 ms there; also
    # without the grab: #std{} alone), or two pictures get one time (ffmpeg's
    # null muxer says "non monotonically increasing dts"), so the rest of that
    # second's pictures may decode differently. Every other picture is one of
    # those delivered.
    delivered = {f.array.tobytes() for f in frames}
    replayed = list(smem_rs.open(rec))
    assert len(replayed) == counts["video"]
    assert sum(f.array.tobytes() in delivered for f in replayed) >= counts["video"] - 25
    assert all(np.array_equal(f.array, g.array) for f, g in zip(replayed[:25], frames))


def test_a_path_that_cannot_be_written_is_an_error(clip, tmp_path):
    with pytest.raises(smem_rs.Error, match="cannot write .*missing"):
        list(smem_rs.open(clip, record=str(tmp_path / "missing" / "rec.mkv")))
    with pytest.raises(smem_rs.Error, match=r"\.mkv \(Matroska\) or \.mp4"):
        list(smem_rs.open(clip, record=str(tmp_path / "rec.avi")))
    assert not os.path.exists(tmp_path / "rec.avi")
