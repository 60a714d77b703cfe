//! Many grabs in one process, as a thumbnailer makes them: memory and
//! threads stay flat (each grab's threads joined, its blocks given back),
//! on the one VLC instance they share. Alone in its test binary, so no
//! other test's grabs move the figures.

use std::path::PathBuf;

use smem_client::{Grab, Item, VideoChroma};

/// (resident memory in kB, threads) of this process, from /proc.
fn rss_and_threads() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| -> u64 {
        let line = status.lines().find(|l| l.starts_with(name)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    (field("VmRSS:"), field("Threads:"))
}

#[test]
fn a_thousand_opens_leave_memory_and_threads_flat() {
    let profile_dir = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().to_path_buf();
    let plugins = smem_testkit::plugin::copy_plugin(&profile_dir, "many-opens-plugins");
    std::env::set_var("VLC_PLUGIN_PATH", plugins);
    let dir: PathBuf = smem_testkit::scratch("client-many-opens");
    let clip = dir.join("clip.y4m").to_str().unwrap().to_owned();
    smem_testkit::media::write_y4m(&clip, 64, 48, 25, 5).unwrap();

    // The first frame of each open, pulled, then the grab closed: what a
    // thumbnailer does. Every other grab closes as Python's `close()` does,
    // its player stopping in the background while the next one opens.
    let open_once = |n: usize| {
        let mut frames = Grab::new(&clip).frames(Some(VideoChroma::Rv24), None, 2);
        let first = frames.next();
        assert!(matches!(first, Some(Item::Video(_))), "a first frame");
        let end = match n % 2 {
            0 => frames.finish(),
            _ => frames.finish_in_background(),
        };
        // The frame outlives its grab, stopped or stopping.
        let Some(Item::Video(frame)) = first else { unreachable!() };
        assert!(frame.line(0, 0).is_some_and(|line| line.len() == 64 * 3));
        end.unwrap();
    };
    let mut at = Vec::new();
    let mut most_threads = 0;
    for n in 1..=1000 {
        open_once(n);
        most_threads = most_threads.max(rss_and_threads().1);
        if n == 100 || n == 1000 {
            smem_client::wait_closed();
            at.push(rss_and_threads());
        }
    }
    let [(rss_100, threads_100), (rss_1000, threads_1000)] = at[..] else { unreachable!() };
    eprintln!(
        "after 100 opens: {rss_100} kB, {threads_100} threads; after 1000: {rss_1000} kB, {threads_1000} threads"
    );
    assert_eq!(threads_1000, threads_100, "a grab's threads outlive it");
    // Two grabs stopping in the background at most (each with VLC's input,
    // decoder and avcodec threads), not a pile of them.
    eprintln!("threads while grabs stop in the background: at most {most_threads}");
    assert!(most_threads <= threads_100 + 2 * 12, "{most_threads} threads at one time ({threads_100} at rest)");
    assert!(rss_1000 <= rss_100 + 4096, "memory grows: {rss_100} kB after 100 opens, {rss_1000} kB after 1000");
}
