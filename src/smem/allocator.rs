//! VLC 3's transcode pipelines page-fault themselves slow: glibc gives the
//! per-frame picture buffers of VLC's and ffmpeg's threads (8 MB at 1080p,
//! 33 MB at 4K) back to the kernel and faults them in again every frame.
//! `tune-allocator` keeps them instead, and without it a track that sees
//! that storm says once how to stop it.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::ffi::object::Object;
use crate::ffi::process::{mallopt, MallocParam};

/// What `tune-allocator` sets (measured on 1080p and 4K transcodes to RV32):
/// every allocation from the heap, none in mappings of its own (4K frames
/// are past the largest mmap threshold glibc accepts), nothing trimmed back,
/// and new threads on the main arena. The cost: memory once used stays with
/// the process instead of going back to the OS.
pub const TUNED: [(MallocParam, i32, &str); 3] = [
    (MallocParam::MmapMax, 0, "M_MMAP_MAX=0"),
    (MallocParam::TrimThreshold, i32::MAX, "M_TRIM_THRESHOLD=2147483647"),
    (MallocParam::ArenaMax, 1, "M_ARENA_MAX=1"),
];

/// The environment variables a user sets for the same effect before the
/// process starts (then the arena count acts on every thread).
pub const ENVIRONMENT: &str = "MALLOC_ARENA_MAX=1 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4294967296";

static TUNED_ONCE: AtomicBool = AtomicBool::new(false);
static HINTED_ONCE: AtomicBool = AtomicBool::new(false);

/// Applies [`TUNED`], once per process, and logs what it set.
pub fn tune(log: &Object<'_>) {
    if TUNED_ONCE.swap(true, Ordering::Relaxed) {
        log.debug("tune-allocator: glibc's malloc is tuned already (once per process)");
        return;
    }
    let mut set = Vec::new();
    for (param, value, text) in TUNED {
        if mallopt(param, value) {
            set.push(text);
        } else {
            log.warn(&format!("tune-allocator: glibc refused mallopt {text}"));
        }
    }
    log.info(&format!(
        "tune-allocator: set {} for this whole process (memory is kept for reuse instead of going back to the OS)",
        set.join(", ")
    ));
}

/// Frames a track lets pass before it measures (start-up allocates anyway).
const SKIP: u64 = 16;
/// Frames measured.
const WINDOW: u64 = 32;

/// Counts the process's page faults over a window of a track's frames.
#[derive(Debug, Default)]
pub struct FaultWatch {
    frames: u64,
    faults_at_start: u64,
    bytes: u64,
}

impl FaultWatch {
    /// Called with each frame's size; `faults` reads the process's count
    /// (twice per track, at the window's ends). Returns the page faults per
    /// frame once, when the window closes with more faulted bytes per frame
    /// than a frame holds.
    pub fn frame(&mut self, bytes: usize, faults: impl FnOnce() -> u64) -> Option<u64> {
        self.frames += 1;
        if self.frames < SKIP {
            return None;
        }
        if self.frames == SKIP {
            self.faults_at_start = faults();
            return None;
        }
        self.bytes += bytes as u64;
        if self.frames != SKIP + WINDOW {
            return None;
        }
        let per_frame = faults().saturating_sub(self.faults_at_start) / WINDOW;
        (per_frame * 4096 > self.bytes / WINDOW && self.bytes > 0).then_some(per_frame)
    }
}

/// Logs the hint for a storm `FaultWatch` saw, once per process.
pub fn hint(log: &Object<'_>, kind: impl std::fmt::Display, faults_per_frame: u64) {
    if HINTED_ONCE.swap(true, Ordering::Relaxed) {
        return;
    }
    log.warn(&format!(
        "this process page-faults {faults_per_frame} times per {kind} frame (more memory than a frame holds): glibc \
         is returning VLC's picture buffers to the kernel and faulting them in again, which can make a transcode \
         2-3x slower. Set sout-smem-tune-allocator (smem{{...,tune-allocator}}), or start the process with {ENVIRONMENT}"
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(watch: &mut FaultWatch, frames: u64, bytes: usize, faults_per_frame: u64) -> Option<u64> {
        let mut result = None;
        for n in 1..=frames {
            let r = watch.frame(bytes, || n * faults_per_frame);
            result = result.or(r);
        }
        result
    }

    #[test]
    fn a_storm_is_reported_once_after_the_window() {
        // 8 MB frames, 6,800 faults (27 MB) each: the storm measured.
        let mut watch = FaultWatch::default();
        assert_eq!(run(&mut watch, SKIP + WINDOW - 1, 8 << 20, 6800), None, "reported before the window closed");
        assert_eq!(watch.frame(8 << 20, || (SKIP + WINDOW) * 6800), Some(6800));
        assert_eq!(run(&mut watch, 1000, 8 << 20, 6800), None, "reported twice");
    }

    #[test]
    fn a_tuned_process_is_quiet() {
        // 60 faults a frame (what the tuned runs show) against 8 MB frames.
        assert_eq!(run(&mut FaultWatch::default(), 200, 8 << 20, 60), None);
        // Small frames with a few faults each: not a storm either.
        assert_eq!(run(&mut FaultWatch::default(), 200, 64 * 48 * 3 / 2, 1), None);
    }

    #[test]
    fn faults_are_read_only_at_the_window_ends() {
        let mut reads = 0;
        let mut watch = FaultWatch::default();
        for _ in 0..500 {
            watch.frame(1000, || {
                reads += 1;
                0
            });
        }
        assert_eq!(reads, 2);
    }
}
