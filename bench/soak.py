"""make soak: many cameras for a long time in one Python process (issue 35).

GStreamer's RTSP server (tests/rtsp/server.py) serves CAMERAS live cameras
(videotestsrc, 640x360 H.264 at 25 fps, zero-latency x264, a key frame every
2 s; --shared: one pipeline per camera, as a camera is). One thread per camera
iterates `smem_rs.open(url, latest=True)` and takes SOAK_FRAME_MS a frame (a
slow consumer: the newest frame always, the others dropped). Every minute, and
at the start and end: this process's resident memory, threads and open file
descriptors (sockets among them). At the end, per camera: frames delivered,
frames dropped (the gaps in the frames' times: what the camera sent that the
consumer never saw), and a verdict on flatness, as `name: value` lines.

    SOAK_SECONDS=600 SOAK_CAMERAS=4 SOAK_FRAME_MS=60 python3 bench/soak.py

"start" is taken once every camera has delivered its first 5 s (the pools and
threads VLC makes once are there by then); flat: resident memory within
max(16 MB, 10 %) of it at the end, the same threads and descriptors.
"""

import os
import subprocess
import sys
import threading
import time

import smem_rs

SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))
CAMERAS = int(os.environ.get("SOAK_CAMERAS", "4"))
FRAME_MS = float(os.environ.get("SOAK_FRAME_MS", "60"))
FPS = 25
WARM_UP = 5.0
SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "rtsp", "server.py")


def resident_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def threads():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("Threads:"))


def descriptors():
    """(open file descriptors, of which sockets)."""
    links = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            links.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass  # closed meanwhile (listdir's own)
    return len(links), sum(link.startswith("socket:") for link in links)


def sample():
    fds, sockets = descriptors()
    return {"rss_kb": resident_kb(), "threads": threads(), "fds": fds, "sockets": sockets}


def camera_mount(name):
    return (
        f"/{name}=( videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=360,framerate={FPS}/1 "
        f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={2 * FPS} bitrate=800 "
        f"! rtph264pay name=pay0 pt=96 config-interval=-1 )"
    )


class Camera(threading.Thread):
    def __init__(self, name, url, stop):
        super().__init__(name=name, daemon=True)
        self.url, self.stop = url, stop
        self.delivered = self.dropped = 0
        self.first_time = self.last_time = None
        self.error = None
        self.ended = None

    def run(self):
        try:
            with smem_rs.open(self.url, latest=True, idle_timeout=10) as frames:
                for frame in frames:
                    if self.last_time is not None:
                        self.dropped += max(0, round((frame.time - self.last_time) * FPS) - 1)
                    else:
                        self.first_time = frame.time
                    self.last_time = frame.time
                    self.delivered += 1
                    time.sleep(FRAME_MS / 1000)  # the slow consumer's work
                    if self.stop.is_set():
                        break
                self.ended = frames.ended
        except Exception as error:  # reported at the end, with the figures
            self.error = f"{type(error).__name__}: {error}"

    def seconds(self):
        return 0.0 if self.first_time is None else self.last_time - self.first_time


def line(name, value):
    print(f"{name}: {value}", flush=True)


def main():
    server = subprocess.Popen(
        ["/usr/bin/python3", SERVER, "--port", "0", "--shared", "--protocols", "tcp",
         "--lifetime", str(SECONDS + 120), *[camera_mount(f"cam{i}") for i in range(CAMERAS)]],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        ready = server.stdout.readline()
        if not ready.startswith("ready "):
            sys.exit(f"soak: the RTSP server did not start ({ready!r})")
        port = int(ready.split()[1])
        line("soak_cameras", CAMERAS)
        line("soak_seconds", SECONDS)
        line("soak_frame_ms", FRAME_MS)
        line("soak_before_open", " ".join(f"{k}={v}" for k, v in sample().items()))
        stop = threading.Event()
        cameras = [Camera(f"cam{i}", f"rtsp://127.0.0.1:{port}/cam{i}", stop) for i in range(CAMERAS)]
        for camera in cameras:
            camera.start()
        began = time.monotonic()
        while time.monotonic() - began < 30 and not all(c.seconds() >= WARM_UP or c.error for c in cameras):
            time.sleep(0.1)
        start = sample()
        line("soak_start", " ".join(f"{k}={v}" for k, v in start.items()))
        began = time.monotonic()
        samples = [start]
        minute = 1
        while (elapsed := time.monotonic() - began) < SECONDS:
            time.sleep(min(1.0, SECONDS - elapsed))
            if time.monotonic() - began >= 60 * minute:
                samples.append(sample())
                line(f"soak_minute_{minute}", " ".join(f"{k}={v}" for k, v in samples[-1].items())
                     + " delivered=" + ",".join(str(c.delivered) for c in cameras))
                minute += 1
        end = sample()
        samples.append(end)
        line("soak_end", " ".join(f"{k}={v}" for k, v in end.items()))
        stop.set()
        for camera in cameras:
            camera.join(timeout=20)
        line("soak_after_close", " ".join(f"{k}={v}" for k, v in sample().items()))
        for camera in cameras:
            line(f"soak_{camera.name}_delivered", camera.delivered)
            line(f"soak_{camera.name}_dropped", camera.dropped)
            line(f"soak_{camera.name}_seconds", f"{camera.seconds():.1f}")
            if camera.error:
                line(f"soak_{camera.name}_error", camera.error)
        grown_kb = end["rss_kb"] - start["rss_kb"]
        line("soak_rss_start_mb", f"{start['rss_kb'] / 1024:.1f}")
        line("soak_rss_end_mb", f"{end['rss_kb'] / 1024:.1f}")
        line("soak_rss_max_mb", f"{max(s['rss_kb'] for s in samples) / 1024:.1f}")
        line("soak_rss_growth_mb", f"{grown_kb / 1024:.1f}")
        problems = []
        if grown_kb > max(16 * 1024, start["rss_kb"] / 10):
            problems.append(f"resident memory grew {grown_kb / 1024:.1f} MB")
        for key in ("threads", "fds", "sockets"):
            if end[key] != start[key]:
                problems.append(f"{key} {start[key]} -> {end[key]}")
        for camera in cameras:
            if camera.error or camera.delivered == 0 or camera.is_alive():
                problems.append(f"{camera.name}: {camera.error or 'no frames' if not camera.is_alive() else 'did not stop'}")
        line("soak_verdict", "flat" if not problems else "NOT flat: " + "; ".join(problems))
        sys.exit(1 if problems else 0)
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
