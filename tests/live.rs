//! Live sources: ffmpeg serves MPEG-TS over UDP in real time (as an IP
//! camera would, on loopback), and a client whose video callback is slower
//! than the frame rate (a detector) watches it through smem.

use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use smem_testkit::{scratch, Run, Smem};

/// A free UDP port on loopback.
fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// ffmpeg sending `seconds` of a 25 fps 320x240 test picture, in real time.
struct Source(Child);

impl Source {
    fn serve(port: u16, seconds: u32) -> Source {
        let child = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25"])
            .args(["-t", &seconds.to_string(), "-c:v", "mpeg4", "-q:v", "5", "-g", "25", "-f", "mpegts"])
            .arg(format!("udp://127.0.0.1:{port}?pkt_size=1316"))
            .stdin(Stdio::null())
            .spawn()
            .expect("cannot run ffmpeg (make deps installs it)");
        Source(child)
    }
    fn wait(mut self) {
        let _ = self.0.wait();
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// smem-host watching the UDP stream on `port` for `ms` of playback, with
/// a video callback that takes 80 ms (the source sends a frame every 40).
fn watch(dir: &std::path::Path, port: u16, smem_opts: &str, ms: u64) -> std::thread::JoinHandle<Run> {
    let dir = dir.to_owned();
    let opts = smem_opts.to_owned();
    std::thread::spawn(move || {
        let url = format!("udp://@127.0.0.1:{port}");
        let args = ["--no-audio", "--chain", "transcode{vcodec=RV24}", "--callback-sleep-us", "80000", "--report-rss"];
        let stop = ms.to_string();
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--stop-after", &stop, "--timeout", "60"]);
        if !opts.is_empty() {
            all.extend(["--smem-opts", &opts]);
        }
        smem_testkit::play(Smem::Ours, &dir, &url, &all)
    })
}

/// How late each frame reached the application, in seconds, behind the
/// least late one: (arrival - pts) minus its smallest value.
fn lags(run: &Run) -> Vec<f64> {
    let late: Vec<i64> = run.video.calls.iter().map(|c| (c.t_us as i64) - c.pts).collect();
    let least = late.iter().copied().min().unwrap_or(0);
    late.iter().map(|l| (l - least) as f64 / 1e6).collect()
}

fn rss_kb(run: &Run) -> Vec<i64> {
    run.video.calls.iter().map(|c| c.rss_kb.unwrap() as i64).collect()
}

#[test]
fn a_slow_consumer_of_a_live_stream_stays_current_with_queue_1_drop_oldest() {
    let dir_latest = scratch("live-latest");
    let dir_default = scratch("live-default");
    let (port_latest, port_default) = (free_port(), free_port());
    // Both watch at once, each its own stream: the default measured beside.
    let latest = watch(&dir_latest, port_latest, "queue=1,drop=oldest", 20_000);
    let default = watch(&dir_default, port_default, "", 20_000);
    std::thread::sleep(Duration::from_millis(500));
    let sources = [Source::serve(port_latest, 22), Source::serve(port_default, 22)];
    let (latest, default) = (latest.join().unwrap(), default.join().unwrap());
    drop(sources);

    for (name, run) in [("queue=1,drop=oldest", &latest), ("default", &default)] {
        assert!(matches!(run.status, 0 | 3), "{name}: {}\n{}", run.stdout, run.stderr);
        assert_eq!(run.video.errors.len(), 0, "{name}: {}", run.stdout);
    }
    let (lag_latest, lag_default) = (lags(&latest), lags(&default));
    let tail = |l: &[f64]| l[l.len().saturating_sub(10)..].iter().sum::<f64>() / l.len().clamp(1, 10) as f64;
    let (rss, frames) = (rss_kb(&latest), lag_latest.len());
    eprintln!(
        "live, 20 s at 25 fps, 80 ms callback: queue=1,drop=oldest {frames} frames, lag at the end {:.2} s, \
         RSS {} -> {} kB; default {} frames, lag at the end {:.2} s, RSS {} -> {} kB",
        tail(&lag_latest),
        rss[frames / 4],
        rss[frames - 1],
        lag_default.len(),
        tail(&lag_default),
        rss_kb(&default)[lag_default.len() / 4],
        rss_kb(&default).last().unwrap()
    );
    assert!(frames >= 150, "queue=1,drop=oldest: only {frames} frames");
    assert!(tail(&lag_latest) <= 0.6, "queue=1,drop=oldest fell {:.2} s behind", tail(&lag_latest));
    assert!(latest.log_has("smem_rs: video queue full: a frame was dropped"), "{}", latest.log);
    // Flat: from a quarter in to the end, less than 16 MB more.
    assert!(rss[frames - 1] - rss[frames / 4] < 16 * 1024, "memory grew: {rss:?}");
    // The default delivers every frame, so a slow consumer falls behind.
    assert!(tail(&lag_default) > 3.0, "default lag {:.2} s", tail(&lag_default));
}

#[test]
fn a_source_that_stops_and_comes_back_is_picked_up_again() {
    let dir = scratch("live-restart");
    let port = free_port();
    let started = Instant::now();
    let watcher = watch(&dir, port, "queue=1,drop=oldest", 12_000);
    std::thread::sleep(Duration::from_millis(500));
    Source::serve(port, 4).wait();
    std::thread::sleep(Duration::from_secs(2));
    let restart = started.elapsed();
    Source::serve(port, 4).wait();
    let run = watcher.join().unwrap();
    assert!(matches!(run.status, 0 | 3), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.video.errors.len(), 0, "{}", run.stdout);
    let calls = run.video.calls.iter().collect::<Vec<_>>();
    // Arrival times count from the host's start, a little after ours.
    let restart_us = restart.as_micros() as i64;
    let before = calls.iter().filter(|c| (c.t_us as i64) < restart_us).count();
    let after: Vec<_> = calls.iter().filter(|c| (c.t_us as i64) > restart_us + 500_000).collect();
    // VLC drops the frames whose timestamps went back (ffmpeg starts
    // again from 0) until its clock catches up: a few arrive, not all.
    assert!(before > 10 && !after.is_empty(), "{before} frames before the restart, {} after", after.len());
    let gaps: Vec<i64> = calls.windows(2).map(|w| (w[1].pts - w[0].pts) / 1000).collect();
    eprintln!("source stopped for 2 s: {before} frames before, {} after; largest pts steps (ms): {:?}", after.len(), {
        let mut g = gaps.clone();
        g.sort_unstable();
        g.split_off(g.len().saturating_sub(3))
    });
    let _ = smem_testkit::host();
}
