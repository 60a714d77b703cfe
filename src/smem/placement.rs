//! Where a track's frames are copied: on VLC's thread, in Send, or on smem's
//! delivery thread.
//!
//! Handing a frame over costs VLC's thread nothing when that thread would
//! otherwise wait for its input (raw media, paced playback), and then it
//! wins twice: the copy overlaps VLC's reading, and at end of stream VLC's
//! input finds its decoder idle instead of sleeping 100 ms for it. When
//! VLC's thread is busy between frames (a transcode decoding and scaling
//! each one), the frame it just wrote is hot in its core's cache: copying
//! it there, as stock smem does, is measured faster and steadier than
//! pulling 8 MB a frame across to the other core, where runs spread from
//! stock's time to half as long again.
//!
//! So Send measures how busy VLC's thread was between two of our calls
//! (its CPU time over the wall time) and copies inline while that share,
//! smoothed over a few frames, is high. A track starts inline, as stock
//! did: VLC's thread is busy at first anyway (a transcode, or a raw input's
//! start-up backlog), and no frame of a transcode is held beside the next.
//! The thread's CPU clock is a system call, so one interval in every
//! `SAMPLE_EVERY` is measured.

use std::time::{Duration, Instant};

/// One interval between Sends in this many is measured.
pub const SAMPLE_EVERY: u32 = 4;
/// Weight of the newest sample in the smoothed share: about 8 frames' worth.
const SMOOTHING: f64 = 0.4;
/// Copy inline from this share of busy time on...
const GO_INLINE: f64 = 0.6;
/// ...and hand frames over again below this one.
const GO_HANDOFF: f64 = 0.4;

#[derive(Debug)]
pub struct Placement {
    /// Smoothed share of the time VLC's thread spent working between calls.
    busy: f64,
    inline: bool,
    /// Wall clock and the thread's CPU time when the last measured Send returned.
    last_exit: Option<(Instant, Duration)>,
    sends: u32,
}

/// A track starts copying in Send, as stock did, until VLC's thread is
/// seen waiting between frames.
impl Default for Placement {
    fn default() -> Self {
        Placement { busy: 1.0, inline: true, last_exit: None, sends: 0 }
    }
}

/// The wall clock and the calling thread's CPU time, read only when needed.
pub type Clocks = (Instant, Duration);

impl Placement {
    /// As Send begins: whether to copy this frame on the calling thread.
    /// `clocks` is read only on the Sends that end a measured interval.
    pub fn copy_inline(&mut self, clocks: impl FnOnce() -> Clocks) -> bool {
        if let Some((then, then_cpu)) = self.last_exit.take() {
            let (wall, cpu) = clocks();
            let elapsed = wall.saturating_duration_since(then).as_secs_f64();
            if elapsed > 0.0 {
                let share = (cpu.saturating_sub(then_cpu).as_secs_f64() / elapsed).min(1.0);
                self.busy += SMOOTHING * (share - self.busy);
            }
            if self.inline && self.busy < GO_HANDOFF {
                self.inline = false;
            } else if !self.inline && self.busy > GO_INLINE {
                self.inline = true;
            }
        }
        self.inline
    }

    /// As Send returns: every `SAMPLE_EVERY`th call starts a measured interval.
    pub fn returned(&mut self, clocks: impl FnOnce() -> Clocks) {
        self.sends = self.sends.wrapping_add(1);
        if self.sends % SAMPLE_EVERY == 0 {
            self.last_exit = Some(clocks());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plays `frames` frames through a placement: VLC's thread works
    /// `work` and waits `wait` between Sends, and each Send takes `ours`
    /// (CPU time too). Returns the decision for each frame.
    fn run(placement: &mut Placement, frames: usize, work_us: u64, wait_us: u64, ours_us: u64) -> Vec<bool> {
        let (work, wait, ours) = (Duration::from_micros(work_us), Duration::from_micros(wait_us), Duration::from_micros(ours_us));
        let origin = Instant::now();
        let (mut wall, mut cpu) = (placement.last_exit.map_or(Duration::ZERO, |(w, _)| w - origin), placement.last_exit.map_or(Duration::ZERO, |(_, c)| c));
        (0..frames)
            .map(|_| {
                wall += work + wait;
                cpu += work;
                let inline = placement.copy_inline(|| (origin + wall, cpu));
                wall += ours;
                cpu += ours;
                placement.returned(|| (origin + wall, cpu));
                inline
            })
            .collect()
    }

    #[test]
    fn the_clocks_are_read_once_every_few_sends() {
        let mut p = Placement::default();
        let mut reads = 0;
        for _ in 0..40 {
            p.copy_inline(|| {
                reads += 1;
                (Instant::now(), Duration::ZERO)
            });
            p.returned(|| {
                reads += 1;
                (Instant::now(), Duration::ZERO)
            });
        }
        // 10 Sends start an interval as they return; the next Send ends each
        // one but the last.
        let samples = 40 / SAMPLE_EVERY as usize;
        assert_eq!(reads, 2 * samples - 1);
    }

    #[test]
    fn a_track_starts_copying_in_send_as_stock_did() {
        let mut p = Placement::default();
        assert!(run(&mut p, 3, 20, 530, 5).iter().all(|&inline| inline));
    }

    #[test]
    fn a_thread_that_waits_for_its_input_hands_frames_over() {
        // Raw 1080p: VLC's decoder thread works ~20 us, waits ~530 us.
        let mut p = Placement::default();
        let decisions = run(&mut p, 400, 20, 530, 5);
        let handed_over = decisions.iter().position(|&inline| !inline).expect("hands over");
        assert!(handed_over <= 12, "took {handed_over} frames");
        assert!(decisions[handed_over..].iter().all(|&inline| !inline), "flapped back");
    }

    #[test]
    fn a_busy_thread_copies_inline_after_a_few_frames() {
        // A transcode: ~1.1 ms of work per frame, no waiting; from a track
        // that was handing frames over.
        let mut p = Placement::default();
        run(&mut p, 100, 20, 530, 5);
        let decisions = run(&mut p, 200, 1100, 0, 300);
        let first_inline = decisions.iter().position(|&inline| inline).expect("goes inline");
        assert!(first_inline <= 12, "took {first_inline} frames");
        assert!(decisions[first_inline..].iter().all(|&inline| inline), "flapped back");
    }

    #[test]
    fn it_follows_a_change_of_pace_without_flapping() {
        let mut p = Placement::default();
        run(&mut p, 100, 1100, 0, 300);
        // Paced from here on: 40 ms between frames, 1 ms of work.
        let decisions = run(&mut p, 100, 1000, 39_000, 300);
        let back = decisions.iter().position(|&inline| !inline).expect("hands over again");
        assert!(decisions[back..].iter().all(|&inline| !inline), "flapped");
        // Half busy sits between the thresholds: whatever it chose, it keeps.
        let mut p = Placement::default();
        let decisions = run(&mut p, 300, 500, 500, 10);
        assert!(decisions.windows(2).filter(|w| w[0] != w[1]).count() <= 1);
    }

    #[test]
    fn clocks_that_go_nowhere_or_backwards_change_nothing() {
        let mut p = Placement::default();
        let now = Instant::now();
        p.last_exit = Some((now, Duration::from_secs(5)));
        // Same instant, CPU time lower than before (another thread's clock).
        assert!(p.copy_inline(|| (now, Duration::from_secs(1))));
        assert_eq!(p.busy, 1.0);
    }
}
