"""The first frame, by one reader, in one process: prints
`<reader> first_frame_ms <median> thumbs_s <seconds> thumbs <n>`.

    python py_first_frame.py READER CLIP CLIPS_DIR [OPENS]

first_frame_ms: the median milliseconds of OPENS (default 30) opens of CLIP
in a warm process (one open before, untimed), each open to the first frame's
array (RGB; OpenCV's own BGR) touched to closed. thumbs_s: the seconds to
take the first frame of every .mp4 in CLIPS_DIR in turn in this process,
each array touched, from before the first open to after the last close (the
imports are done before; VLC's start, when it is shared, falls in this
time, as it would in an application). Run by bench/newest.sh for ours, the
newest PyAV and OpenCV, side by side; each reader as a user calls it, with
its defaults."""
import os, statistics, sys, time

reader, clip, clips_dir = sys.argv[1], sys.argv[2], sys.argv[3]
opens = int(sys.argv[4]) if len(sys.argv) > 4 else 30
clips = sorted(os.path.join(clips_dir, f) for f in os.listdir(clips_dir) if f.endswith(".mp4"))

if reader == "ours":
    import smem_rs

    def first(path):
        with smem_rs.open(path, video="rgb24") as frames:
            return int(next(frames).array[::16, ::16, 0].sum())
elif reader == "pyav":
    import av

    def first(path):
        with av.open(path) as c:
            return int(next(c.decode(video=0)).to_ndarray(format="rgb24")[::16, ::16, 0].sum())
elif reader == "opencv":
    import cv2

    def first(path):
        cap = cv2.VideoCapture(path)
        ok, bgr = cap.read()
        cap.release()
        return int(bgr[::16, ::16, 0].sum())
else:
    sys.exit(f"unknown reader {reader}")

t = time.perf_counter()
for path in clips:
    first(path)
thumbs = time.perf_counter() - t
first(clip)  # warm for CLIP (the thumbs already warmed the reader)
per_open = []
for _ in range(opens):
    t = time.perf_counter()
    first(clip)
    per_open.append(time.perf_counter() - t)
print(f"{reader} first_frame_ms {statistics.median(per_open) * 1e3:.2f} thumbs_s {thumbs:.3f} thumbs {len(clips)}")
