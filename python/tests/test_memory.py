"""A grab gives its memory back: a script that keeps the frames of a 1080p
x264 file in a list, drops them and collects is back within 150 MB of the
resident memory it had before the grab, for RGB and I420 alike (issue 38: a
grab used to tune glibc's malloc for the whole process, which then kept every
burst). Each run in a fresh interpreter, so that resident memory is the grab's
alone. Run by `make test` with the rest of python/tests."""

import subprocess
import sys

import pytest

from test_smem_rs import ffmpeg

FRAMES = 100
SLACK_MB = 150

KEEP_THEN_DROP = """
import gc, sys
import smem_rs

def resident_mb():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS:")) // 1024

path, fmt, tune = sys.argv[1], sys.argv[2], sys.argv[3] == "tune"
before = resident_mb()
afters = []
# Twice: once a burst was freed, glibc serves blocks of its size from its
# heaps (its mmap threshold rises), where a second burst could stay.
for _ in range(2):
    frames = [f for f in smem_rs.open(path, video=fmt, tune_allocator=tune)]
    count, shape = len(frames), frames[0].array.shape
    kept = resident_mb()
    del frames
    gc.collect()
    afters.append(resident_mb())
print(count, shape[1], shape[0], before, kept, max(afters))
"""


@pytest.fixture(scope="module")
def clip_1080p(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("memory") / "1080p.mp4")
    ffmpeg(
        "-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=25:duration={FRAMES // 25}",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path,
    )
    return path


def keep_then_drop(path, fmt, tune="no"):
    """(frames, width, height, MB before, MB with the frames kept, MB after del + gc,
    the more of two bursts)."""
    out = subprocess.run(
        [sys.executable, "-c", KEEP_THEN_DROP, path, fmt, tune], check=True, capture_output=True, text=True
    ).stdout
    return tuple(int(n) for n in out.split())


@pytest.mark.parametrize("fmt, bytes_a_pixel", [("rgb24", 3), ("i420", 1.5)])
def test_frames_kept_then_dropped_give_their_memory_back(clip_1080p, fmt, bytes_a_pixel):
    count, width, height, before, kept, after = keep_then_drop(clip_1080p, fmt)
    print(f"{fmt}: {before} MB before the grab, {kept} MB with {count} frames kept, {after} MB after del + gc")
    assert (count, width, height) == (FRAMES, 1920, 1080)
    frames_mb = FRAMES * 1920 * 1080 * bytes_a_pixel / 2**20
    assert kept > before + frames_mb / 2, f"the frames were not kept: {kept} MB"
    assert after <= before + SLACK_MB, f"{after} MB after the frames were dropped, {before} MB before"


def test_tuning_the_allocator_is_a_keyword_and_the_frames_are_the_same(clip_1080p):
    count, width, height, *_ = keep_then_drop(clip_1080p, "i420", "tune")
    assert (count, width, height) == (FRAMES, 1920, 1080)
