//! `time-sync` from the first frame. VLC paces its input by its clock, but
//! hands the sout what it buffered before that clock started (its caching,
//! about a second of a file) at once: a consumer then runs that far ahead of
//! real time for the rest of the stream. smem holds each frame until its
//! date, less how early the first frame came, so the first is delivered at
//! once and the others at the media's pace from it. A frame's date (its
//! `pts` in the sout) moves with VLC's clock: an attached player's pause
//! delays the frames after it. The wait is on VLC's thread, in Send, under
//! VLC's stream output lock (as the stock smem's callbacks run): the other
//! tracks' frames, a seek or a stop wait for it too, one frame's gap at most
//! (up to the clock's buffered second just after a pause).

use std::sync::{Mutex, PoisonError};

/// Longer waits are not waited: a date that jumped (a clock VLC reset), not
/// the media's pace.
const MAX_WAIT_US: i64 = 2_000_000;

/// How early (µs) the first frame came against its date, shared by the
/// tracks: measured at the first frame, and again after a flush (a seek).
#[derive(Debug, Default)]
pub struct Pacer {
    early: Mutex<Option<i64>>,
}

impl Pacer {
    /// How long to wait, at `now`, before delivering a frame dated `date`
    /// (both on VLC's clock, µs): 0 for the first, and for one that is late.
    pub fn wait(&self, date: i64, now: i64) -> i64 {
        let mut early = self.early.lock().unwrap_or_else(PoisonError::into_inner);
        let early = *early.get_or_insert(date.saturating_sub(now));
        let wait = date.saturating_sub(early).saturating_sub(now);
        if wait > MAX_WAIT_US {
            0
        } else {
            wait.max(0)
        }
    }

    /// After a seek the clock starts again: the next frame is measured anew.
    pub fn restart(&self) {
        *self.early.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paced_from_the_first_frame() {
        let pacer = Pacer::default();
        // A second of buffered frames, all handed over at 1000 (dates 2000+).
        assert_eq!(pacer.wait(2_000, 1_000), 0);
        assert_eq!(pacer.wait(2_040, 1_000), 40);
        assert_eq!(pacer.wait(2_080, 1_010), 70);
        // Late (the decoder was slow): at once, and the schedule is kept.
        assert_eq!(pacer.wait(2_120, 1_500), 0);
        assert_eq!(pacer.wait(2_600, 1_500), 100);
        // A date that jumped far ahead is not waited for.
        assert_eq!(pacer.wait(10_000_000, 1_500), 0);
        pacer.restart();
        assert_eq!(pacer.wait(9_000, 5_000), 0);
        assert_eq!(pacer.wait(9_040, 5_000), 40);
    }
}
