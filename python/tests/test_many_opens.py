"""Many opens in one process, as a thumbnailer makes them: `close()` returns
before VLC's player has stopped (it stops in the background, two at most),
the first frames are ffmpeg's first pictures and stay valid, threads are the
same after 200 opens, and an interpreter that ends right after a close exits
cleanly (atexit waits for VLC). Run in a fresh interpreter: its threads are
its own."""

import subprocess
import sys

from test_smem_rs import decode, ffmpeg

SCRIPT = r"""
import sys, time
import numpy as np
import smem_rs

clip, first_picture = sys.argv[1], np.fromfile(sys.argv[2], dtype=np.uint8).reshape(240, 320)

def threads():
    with open("/proc/self/status") as status:
        return int(next(l for l in status if l.startswith("Threads:")).split()[1])

def first():
    frames = smem_rs.open(clip, video="grey")
    frame = next(frames)
    frames.close()
    assert frames.ended == "stopped", frames.ended
    return frame

first(); smem_rs.wait_closed()
rest = threads()
kept, most = [], 0
for n in range(200):
    frame = first()
    most = max(most, threads())
    if n % 40 == 0:
        kept.append(frame)
smem_rs.wait_closed()
after = threads()
# Kept past their grab's close, stopped or stopping: still ffmpeg's pictures.
for frame in kept:
    assert frame.time == 0.0, frame.time
    assert np.array_equal(frame.array, first_picture)
print(f"threads rest={rest} after={after} most={most}")
assert after == rest, (rest, after)
first()  # the interpreter ends while this one's player stops
"""


def test_close_does_not_wait_for_vlc_and_threads_stay_flat(tmp_path):
    clip = str(tmp_path / "clip.mp4")
    # ffmpeg's defaults: B-frames and an edit list; its first picture at 0 s.
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
           clip)
    picture = tmp_path / "first.grey"
    picture.write_bytes(decode(clip, "gray")[: 320 * 240])
    run = subprocess.run([sys.executable, "-c", SCRIPT, clip, str(picture)], capture_output=True, text=True,
                         timeout=300)
    print(run.stdout, run.stderr)
    assert run.returncode == 0, run.stderr
    figures = dict(word.split("=") for word in run.stdout.split() if "=" in word)
    rest, most = int(figures["rest"]), int(figures["most"])
    # At most two grabs stop in the background, each with VLC's threads.
    assert most <= rest + 2 * 12, run.stdout
