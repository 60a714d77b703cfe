"""What the smem_rs wheel gets from a file, as `name: value` lines, to hold
one machine's wheel to another's (tests/arm64.sh, tests/debian13.sh): the
frames' bytes (I420: VLC's own), an exact segment, media times, and that
its own plugin (not a system-wide one) served them."""

import hashlib
import sys

import smem_rs

path = sys.argv[1]
md5, times, zero_copy = hashlib.md5(), [], True
for frame in smem_rs.open(path, video="i420"):
    for plane in frame.planes:
        md5.update(plane.tobytes())
    times.append(round(frame.time, 6))
    zero_copy &= frame.zero_copy
print(f"wheel_i420_frames: {len(times)}")
print(f"wheel_i420_md5: {md5.hexdigest()}")
print(f"wheel_first_times: {times[:4]}")
print(f"wheel_zero_copy: {zero_copy}")
segment = [round(f.time, 6) for f in smem_rs.open(path, video="grey", start=1.0, stop=1.5)]
print(f"wheel_segment: {len(segment)} frames, {segment[0]} .. {segment[-1]}")
rgb = [f for f in smem_rs.open(path, video="rgb24")]
print(f"wheel_rgb: {len(rgb)} frames {rgb[0].array.shape} {rgb[0].color_space} {rgb[0].color_range}")
# The RGB conversion is SIMD (AVX2 here, NEON on arm64): its rounding may
# differ by one; the mean level says the same picture.
print(f"wheel_rgb_mean: {sum(float(f.array.mean()) for f in rgb) / len(rgb):.1f}")
print(f"wheel_plugin: {'own' if not smem_rs._SYSTEM else 'system'}")
