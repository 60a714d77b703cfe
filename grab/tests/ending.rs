//! How a grab ends when the input does not: Ctrl-C in a terminal, SIGTERM
//! from a service manager, a live source that goes silent. A live MPEG-TS
//! source with sound is sent over UDP on loopback by ffmpeg, in real time;
//! the grabber runs under a real pseudo-terminal (`script`) where a person
//! would press Ctrl-C. What it leaves is read back with hound and png.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Waits for `child` at most `limit`; kills it (and fails) past that.
fn wait_at_most(child: &mut Child, limit: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The grabber in a terminal of its own (`script`); what is written to the
/// returned child's stdin is typed into that terminal.
fn in_terminal(args: &str) -> Child {
    Command::new("script")
        .args(["-qec", &format!("exec {EXE} {args}"), "/dev/null"])
        .env("VLC_PLUGIN_PATH", plugins())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script (util-linux)")
}

fn output_of(child: Child) -> String {
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).replace('\r', "")
}

/// The --json summary in the grabber's output (in a terminal, after the
/// progress bar's last escape codes on the same line).
fn summary(text: &str) -> serde_json::Value {
    let at = text.find("{\"input\"").unwrap_or_else(|| panic!("no JSON summary in:\n{text}"));
    serde_json::from_str(text[at..].lines().next().unwrap()).unwrap()
}

/// Every WAV the summary lists holds exactly the samples it counts, and
/// every image in `dir` is a whole PNG.
fn files_are_complete(summary: &serde_json::Value, dir: &Path) {
    let wavs = summary["wav_files"].as_array().unwrap();
    assert!(!wavs.is_empty(), "no sound was kept: {summary}");
    for wav in wavs {
        let mut reader = hound::WavReader::open(wav["file"].as_str().unwrap()).expect("a WAV reader opens it");
        let channels = u64::from(reader.spec().channels);
        let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
        assert!(wav["samples"].as_u64().unwrap() > 48_000, "less than a second of sound: {wav}");
        assert_eq!(samples.len() as u64, wav["samples"].as_u64().unwrap() * channels, "{wav}");
    }
    let names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(!names.iter().any(|n| n.ends_with(".part")), "half-written files left: {names:?}");
    let images = names.iter().filter(|n| n.ends_with(".png")).count() as u64;
    assert!(images > 0 && images == summary["images"].as_u64().unwrap(), "{names:?} for {summary}");
    for (_, (w, h, _)) in pngs(dir) {
        assert_eq!((w, h), (320, 240));
    }
}

#[test]
fn ctrl_c_and_sigterm_end_a_live_grab_with_complete_files_and_a_summary() {
    let port = free_udp_port();
    let mut source = live_source(port, 40);
    let dir = scratch("ctrl-c");
    let out = dir.join("out");
    let mut grab = in_terminal(&format!("udp://@:{port} -o {} --every 0.5 --json", s(&out)));
    std::thread::sleep(Duration::from_secs(5));
    grab.stdin.as_mut().unwrap().write_all(b"\x03").unwrap();
    let status = wait_at_most(&mut grab, Duration::from_secs(10));
    let text = output_of(grab);
    assert_eq!(status.code(), Some(130), "{text}");
    let interrupted = summary(&text);
    assert_eq!(interrupted["ended"], "interrupted");
    assert!(interrupted["video_frames"].as_u64().unwrap() > 25, "{interrupted}");
    files_are_complete(&interrupted, &out);

    // A service manager's SIGTERM, to the grabber itself (no terminal).
    let out = dir.join("term");
    let mut grab = Command::new(EXE)
        .args([&format!("udp://@:{port}"), "-o", s(&out), "--every", "0.5", "--json"])
        .env("VLC_PLUGIN_PATH", plugins())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(4));
    Command::new("kill").args(["-TERM", &grab.id().to_string()]).status().unwrap();
    let status = wait_at_most(&mut grab, Duration::from_secs(10));
    let text = output_of(grab);
    assert_eq!(status.code(), Some(143), "{text}");
    let terminated = summary(&text);
    assert_eq!(terminated["ended"], "interrupted");
    files_are_complete(&terminated, &out);
    let _ = source.kill();
    let _ = source.wait();
}

#[test]
fn a_source_that_goes_silent_ends_the_grab_after_the_idle_timeout() {
    let port = free_udp_port();
    let mut source = live_source(port, 3);
    let dir = scratch("idle");
    let mut grab = Command::new(EXE)
        .args([&format!("udp://@:{port}"), "-o", s(&dir), "--format", "none", "--idle-timeout", "2", "--json"])
        .env("VLC_PLUGIN_PATH", plugins())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(source.wait().unwrap().success());
    let silent = Instant::now();
    let status = wait_at_most(&mut grab, Duration::from_secs(15));
    let after = silent.elapsed();
    let text = output_of(grab);
    assert!(status.success(), "{text}");
    let idle = summary(&text);
    assert_eq!(idle["ended"], "idle");
    assert!(idle["video_frames"].as_u64().unwrap() > 25, "{idle}");
    // 2 s of silence, plus the frames VLC still had in hand, plus a second.
    assert!(after < Duration::from_secs(3), "ended {after:?} after the source stopped");
}

#[test]
fn a_second_ctrl_c_exits_at_once_during_a_slow_encode() {
    // Noise at 1920x1080 with the slowest PNG compression on one worker:
    // seconds a frame, so after the first Ctrl-C the frames still queued
    // would take many seconds to finish.
    let dir = scratch("second-ctrl-c");
    let noise = dir.join("noise.y4m");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "nullsrc=s=1920x1080:r=10,geq=random(1)*255:128:128",
        "-t",
        "0.6",
        "-pix_fmt",
        "yuv420p",
        s(&noise),
    ]);
    let args = format!("{} -o {} --png-compression best --workers 1 --no-audio", s(&noise), s(&dir.join("out")));
    let mut grab = in_terminal(&args);
    std::thread::sleep(Duration::from_secs(2));
    grab.stdin.as_mut().unwrap().write_all(b"\x03").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(grab.try_wait().unwrap().is_none(), "the first Ctrl-C lets the queued frames finish");
    let second = Instant::now();
    grab.stdin.as_mut().unwrap().write_all(b"\x03").unwrap();
    let status = wait_at_most(&mut grab, Duration::from_secs(10));
    assert!(second.elapsed() < Duration::from_secs(1), "took {:?} after the second Ctrl-C", second.elapsed());
    assert_eq!(status.code(), Some(130));
    let text = output_of(grab);
    assert!(!text.contains("ended:"), "no summary after a second Ctrl-C:\n{text}");
}
