"""One timed pass over a file's frames into numpy, by one library; prints
`<case> <seconds> s <frames> frames <copies> copies <cpu> cpu <rss> kb
<faults> faults` (CPU seconds of all the process's threads, peak resident
memory, minor page faults per frame from the first frame to the last: smem_rs
only, untuned as it comes, else NaN). Run by bench/python.sh and
bench/newest.sh, side by side with the others. Each frame's array is touched
(a strided read)."""
import resource, sys, time
import numpy as np
which, path = sys.argv[1], sys.argv[2]
t = time.perf_counter(); cpu = time.process_time(); n = 0; acc = 0; copies = 0
minflt = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_minflt
first_fault = None
if which == "ours_rgb":
    import smem_rs
    for f in smem_rs.open(path):
        acc += int(f.array[::16, ::16, 0].sum()); n += 1; first_fault = first_fault or minflt()
elif which in ("ours_yuv", "ours_yuv_legacy"):
    import smem_rs, warnings
    warnings.simplefilter("ignore")  # the legacy ABI's warning
    abi = "legacy" if which == "ours_yuv_legacy" else "auto"
    for f in smem_rs.open(path, video="i420", abi=abi):
        acc += int(f.planes[0][::16, ::16].sum()); n += 1; copies += not f.zero_copy
        first_fault = first_fault or minflt()
elif which == "pyav_rgb":
    import av
    c = av.open(path); s = c.streams.video[0]; s.thread_type = "AUTO"
    for fr in c.decode(s):
        a = fr.to_ndarray(format="rgb24"); acc += int(a[::16, ::16, 0].sum()); n += 1
elif which == "pyav_yuv":
    import av
    c = av.open(path); s = c.streams.video[0]; s.thread_type = "AUTO"
    for fr in c.decode(s):
        a = fr.to_ndarray(); acc += int(a[::16, ::16].sum()); n += 1
elif which == "ours_audio":
    import smem_rs
    for b in smem_rs.open(path, video=None, audio="s16"):
        acc += int(b.array[::64].sum()); n += 1
elif which == "pyav_audio":
    import av
    c = av.open(path)
    for fr in c.decode(audio=0):
        a = fr.to_ndarray(); acc += int(a[:, ::64].sum()); n += 1
elif which == "opencv_bgr":
    import cv2
    cap = cv2.VideoCapture(path)
    while True:
        ok, a = cap.read()
        if not ok: break
        acc += int(a[::16, ::16, 0].sum()); n += 1
elif which == "vrr_rgb":
    # video-reader-rs: its iterator, one RGB frame at a time.
    from video_reader import PyVideoReader
    for a in PyVideoReader(path):
        acc += int(a[::16, ::16, 0].sum()); n += 1
elif which == "vrr_fast_rgb":
    # video-reader-rs's decode_fast: every frame at once, converted in parallel.
    from video_reader import PyVideoReader
    for a in PyVideoReader(path).decode_fast():
        acc += int(a[::16, ::16, 0].sum()); n += 1
wall, cpu = time.perf_counter() - t, time.process_time() - cpu
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
faults = (minflt() - first_fault) / (n - 1) if first_fault and n > 1 else float("nan")
print(f"{which} {wall:.3f} s {n} frames {copies} copies {cpu:.3f} cpu {rss} kb {faults:.1f} faults")
