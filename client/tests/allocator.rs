//! A grab leaves glibc's allocator as the process has it, unless asked to
//! tune it (`tune_allocator(true)`, opt-in): then VLC's transcode stops
//! faulting its picture buffers in again every frame. The storm is forced
//! with a fixed 128 KiB mmap threshold, which glibc reads from the
//! environment at process start: the test runs itself again as a child
//! process with it set, as a grab comes, told not to tune, and told to.

use std::process::Command;

use smem_client::{Grab, VideoChroma};

const CHILD: &str = "SMEM_CLIENT_ALLOCATOR_CHILD";

fn minor_faults() -> u64 {
    // SAFETY: getrusage fills the struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    usage.ru_minflt as u64
}

/// In the child: grab 1080p as RGBA and print the page faults per frame
/// from the first frame to the last; `tune` None: the grab as it comes.
fn grab_and_count(y4m: &str, tune: Option<bool>) {
    let profile_dir = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().to_path_buf();
    std::env::set_var("VLC_PLUGIN_PATH", smem_testkit::plugin::copy_plugin(&profile_dir, "client-allocator-plugins"));
    let (mut first, mut last, mut frames) = (0, 0, 0u64);
    let grab = match tune {
        Some(tune) => Grab::new(y4m).tune_allocator(tune),
        None => Grab::new(y4m),
    };
    grab.video(VideoChroma::Rgba, |_| {
        let now = minor_faults();
        if frames == 0 {
            first = now;
        }
        last = now;
        frames += 1;
    })
    .run()
    .unwrap();
    println!("faults_per_frame: {}", (last - first) / (frames - 1));
}

#[test]
fn a_grab_tunes_the_allocator_only_when_told_to() {
    if let Ok(spec) = std::env::var(CHILD) {
        let (y4m, tune) = spec.rsplit_once(',').unwrap();
        let tune = match tune {
            "tune" => Some(true),
            "no" => Some(false),
            _ => None,
        };
        return grab_and_count(y4m, tune);
    }
    let dir = smem_testkit::scratch("client-allocator");
    let y4m = dir.join("in.y4m").to_str().unwrap().to_owned();
    smem_testkit::media::write_y4m(&y4m, 1920, 1080, 25, 48).unwrap();
    let child = |tune: &str| {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "a_grab_tunes_the_allocator_only_when_told_to", "--nocapture"])
            .env(CHILD, format!("{y4m},{tune}"))
            .env("MALLOC_MMAP_THRESHOLD_", "131072")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let faults =
            text.lines().find_map(|l| l.strip_prefix("faults_per_frame: ")).unwrap_or_else(|| panic!("{text}"));
        faults.parse::<u64>().unwrap()
    };
    let frame_pages = 1920 * 1080 * 4 / 4096;
    let (default, untuned, tuned) = (child("default"), child("no"), child("tune"));
    eprintln!(
        "1080p RGBA, forced storm: faults per frame {default} by default, {untuned} untuned, {tuned} with the grab's tuning"
    );
    assert!(untuned > frame_pages, "no storm to stop: {untuned} faults a frame");
    assert!(default > frame_pages, "the grab tuned the allocator by default: {default} faults a frame");
    assert!(tuned < frame_pages / 4, "the grab's tuning left {tuned} faults a frame");
}
