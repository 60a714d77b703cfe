"""Resident memory of a script that keeps a file's frames, drops them and
streams the file once more (issue 38's table); one library and format a run,
in a fresh interpreter. Not part of `make bench`; by hand, for instance:

    for case in ours ours_tuned pyav; do for fmt in rgb24 i420; do
      env -u VLC_PLUGIN_PATH target/pytest-venv/bin/python bench/py_memory.py $case $fmt out/bench/py1080.mp4
    done; done

prints `<case> <format> <frames> frames <MB kept> <MB after del + gc> <MB after one more pass> MB`."""
import gc, sys

which, fmt, path = sys.argv[1], sys.argv[2], sys.argv[3]


def resident_mb():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS:")) // 1024


if which.startswith("ours"):
    import smem_rs

    tune = which == "ours_tuned"
    frames = lambda: iter(smem_rs.open(path, video=fmt, tune_allocator=tune))
elif which == "pyav":
    import av

    def frames():
        with av.open(path) as c:
            s = c.streams.video[0]
            s.thread_type = "AUTO"
            for fr in c.decode(s):
                yield fr.to_ndarray(format="rgb24") if fmt == "rgb24" else fr.to_ndarray()

kept = list(frames())
count, kept_mb = len(kept), resident_mb()
del kept
gc.collect()
after = resident_mb()
for _ in frames():
    pass
print(f"{which} {fmt} {count} frames {kept_mb} {after} {resident_mb()} MB")
