//! The pull iterator's steady state allocates nothing: each item holds the
//! buffer smem filled, and dropping it hands the buffer back for a later
//! frame. Counted with a global allocator, in a test binary of its own so
//! that no other test allocates meanwhile. (VLC allocates with malloc, not
//! through this allocator: what is counted is the client library's work.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use smem_client::{Grab, Item, VideoChroma};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn pull_items_reuse_smem_s_buffers_without_allocating() {
    let profile_dir = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().to_path_buf();
    std::env::set_var("VLC_PLUGIN_PATH", smem_testkit::plugin::copy_plugin(&profile_dir, "client-alloc-plugins"));
    let dir = smem_testkit::scratch("client-allocs");
    let y4m = dir.join("in.y4m").to_str().unwrap().to_owned();
    smem_testkit::media::write_y4m(&y4m, 320, 240, 25, 120).unwrap();
    let expected = smem_testkit::media::read_y4m(&y4m).unwrap().2;

    let mut frames = Grab::new(&y4m).frames(Some(VideoChroma::I420), None, 2);
    let (mut at_20, mut at_100) = (0, 0);
    for (n, item) in (&mut frames).enumerate() {
        let Item::Video(f) = item else { panic!("audio was not asked for") };
        // Slow at first: the queue fills and VLC's thread waits in send,
        // which sets up (once, allocating) what std's channel needs to wait
        // on that thread; the steady state after it is what is counted.
        if n < 20 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        // Line by line (VLC's picture has padded lines): no copy here.
        let mut at = 0;
        for (plane, layout) in f.planes.iter().enumerate() {
            for line in 0..layout.lines {
                let want = &expected[n][at..at + layout.visible_bytes];
                assert!(f.line(plane, line) == Some(want), "frame {n} differs");
                at += layout.visible_bytes;
            }
        }
        assert_eq!(at, expected[n].len());
        match n {
            20 => at_20 = ALLOCATIONS.load(Ordering::Relaxed),
            100 => at_100 = ALLOCATIONS.load(Ordering::Relaxed),
            _ => {}
        }
    }
    assert_eq!(frames.finish().unwrap().video_frames, 120);
    let per_frame = (at_100 - at_20) as f64 / 80.0;
    eprintln!("allocs_per_frame_pull: {per_frame}");
    assert_eq!(at_100 - at_20, 0, "{} allocations in 80 frames of steady state", at_100 - at_20);
}
