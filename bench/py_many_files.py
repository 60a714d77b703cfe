"""Many short files in one warm process: each opened, its first frame taken
as RGB (the array touched), closed, in turn. Prints, for each reader, the
median milliseconds an open (open to first array to closed), and for ours
the split: open(), the first frame, close().

    python3 bench/py_many_files.py [N_CLIPS] [ROUNDS]

Makes its 1-second 320x240 x264 clips (ffmpeg's defaults: B-frames, an edit
list) in a temporary folder. smem_rs from the installed wheel; PyAV and
OpenCV from the system."""
import os, shutil, statistics, subprocess, sys, tempfile, time

n_clips = int(sys.argv[1]) if len(sys.argv) > 1 else 20
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
folder = tempfile.mkdtemp(prefix="many-files-")
clips = []
for i in range(n_clips):
    path = os.path.join(folder, f"clip{i:03}.mp4")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration=1",
                    "-c:v", "libx264", path], check=True)
    clips.append(path)


def ours(path, split):
    import smem_rs
    t0 = time.perf_counter()
    frames = smem_rs.open(path, video="rgb24")
    t1 = time.perf_counter()
    f = next(frames)
    acc = int(f.array[::16, ::16, 0].sum())
    t2 = time.perf_counter()
    del f
    frames.close()
    t3 = time.perf_counter()
    split.append((t1 - t0, t2 - t1, t3 - t2))
    return acc


def pyav(path, split):
    import av
    with av.open(path) as c:
        fr = next(c.decode(video=0))
        return int(fr.to_ndarray(format="rgb24")[::16, ::16, 0].sum())


def opencv(path, split):
    import cv2
    cap = cv2.VideoCapture(path)
    ok, bgr = cap.read()
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    cap.release()
    return int(rgb[::16, ::16, 0].sum())


readers = {"ours": ours, "pyav": pyav, "opencv": opencv}
for name, read in readers.items():
    read(clips[0], [])  # warm: modules loaded, VLC started once if it is kept
results = {}
for name, read in readers.items():
    per_open, split = [], []
    for _ in range(rounds):
        for path in clips:
            t = time.perf_counter()
            read(path, split)
            per_open.append(time.perf_counter() - t)
    results[name] = statistics.median(per_open) * 1e3
    line = f"{name}: {results[name]:.1f} ms an open (median of {len(per_open)})"
    if split:
        parts = [statistics.median(s[i] for s in split) * 1e3 for i in range(3)]
        line += f"; open() {parts[0]:.1f} ms, first frame {parts[1]:.1f} ms, close() {parts[2]:.1f} ms"
    print(line, flush=True)
print(f"ours / pyav: {results['ours'] / results['pyav']:.1f}x; ours / opencv: {results['ours'] / results['opencv']:.1f}x")
shutil.rmtree(folder)
