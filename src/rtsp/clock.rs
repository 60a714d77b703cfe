//! Frame times and VLC's clock reference (PCR) for one session. retina
//! counts each stream's RTP time from the start PLAY's `RTP-Info` gave it,
//! so all tracks share one count (a server's, which may be far from 0); the
//! session's first frame is its time 0, and every frame's time is its count
//! in microseconds from there. VLC's input starts and paces its clock by
//! the PCR: every block sent after it must be at or after it, and it must
//! advance, or nothing plays.

/// A time going back more than this, or forward more than
/// [`MAX_FORWARD_JUMP`], is a discontinuity (a camera that restarted its
/// counter, a server that looped its file).
pub const MAX_BACKWARD_JUMP: i64 = 1_000_000;
pub const MAX_FORWARD_JUMP: i64 = 10_000_000;
/// A track this far behind the newest one (sparse, or stalled) does not
/// hold the clock back.
pub const STALLED_TRACK: i64 = 2_000_000;

/// Ticks of a `clock_rate` clock, in microseconds. Signed: a sender report
/// may describe an RTP time before the stream's start (a server that sent a
/// frame before PLAY reports its time), and a frame before the first is
/// placed by [`Clock::frame`].
pub fn micros(ticks: i64, clock_rate: u32) -> i64 {
    let rate = i128::from(clock_rate.max(1));
    let us = i128::from(ticks) * 1_000_000 / rate;
    us.clamp(-i128::from(i64::MAX / 2), i128::from(i64::MAX / 2)) as i64
}

/// A length of time in microseconds (saturating).
pub fn micros_of(length: std::time::Duration) -> i64 {
    i64::try_from(length.as_micros()).unwrap_or(i64::MAX / 2).min(i64::MAX / 2)
}

#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// The streams' count (microseconds) at the session's time 0.
    origin: Option<i64>,
    /// The newest time each track sent, if any since the last reset.
    last: Vec<Option<i64>>,
    /// The newest time any track sent.
    newest: i64,
    /// The PCR last given to VLC.
    pcr: Option<i64>,
    /// After a reconnect: the time the next frame gets, the newest time
    /// sent plus the gap (the new session counts from its own start).
    resume_at: Option<i64>,
}

/// A frame's place on the session's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placed {
    /// Microseconds since the session's time 0.
    pub pts: i64,
    /// The streams' count jumped here: the caller flags the frame and resets
    /// VLC's clock; times go on from the newest one sent.
    pub jumped: bool,
}

impl Clock {
    pub fn new(tracks: usize) -> Clock {
        Clock { last: vec![None; tracks], ..Clock::default() }
    }

    /// A new session follows a gap of `gap` microseconds: its first frame
    /// is placed that long after the newest one sent, so that the times go
    /// on as the wall clock did (VLC's clock is not reset).
    pub fn resume(&mut self, gap: i64) {
        self.resume_at = Some(self.newest + gap.max(0));
    }

    /// Places a frame of `track` whose count is `count` microseconds.
    pub fn frame(&mut self, track: usize, count: i64) -> Placed {
        if let Some(at) = self.resume_at.take() {
            self.origin = Some(count - at);
            self.last.iter_mut().for_each(|t| *t = None);
        }
        let origin = *self.origin.get_or_insert(count);
        let pts = count - origin;
        let Some(&last) = self.last.get(track) else { return Placed { pts: pts.max(0), jumped: false } };
        let jumped = last.is_some_and(|last| pts < last - MAX_BACKWARD_JUMP || pts > last + MAX_FORWARD_JUMP);
        let pts = if jumped {
            self.origin = Some(count - self.newest);
            self.last.iter_mut().for_each(|t| *t = None);
            self.pcr = None;
            self.newest
        } else {
            pts.max(0)
        };
        let slot = &mut self.last[track];
        *slot = Some(slot.map_or(pts, |last| last.max(pts)));
        self.newest = self.newest.max(pts);
        Placed { pts, jumped }
    }

    /// The session time of a count (microseconds) of the current session,
    /// once its first frame set the origin.
    pub fn time_of(&self, count: i64) -> Option<i64> {
        self.origin.filter(|_| self.resume_at.is_none()).map(|origin| count - origin)
    }

    /// The PCR to give VLC now, if it advanced: the oldest of the tracks'
    /// newest times, leaving out tracks far behind the newest.
    pub fn pcr(&mut self) -> Option<i64> {
        let newest = self.last.iter().flatten().copied().max()?;
        let oldest = self.last.iter().flatten().copied().filter(|&t| t >= newest - STALLED_TRACK).min()?;
        if self.pcr.is_some_and(|pcr| oldest <= pcr) {
            return None;
        }
        self.pcr = Some(oldest);
        self.pcr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_become_microseconds() {
        assert_eq!(micros(90_000, 90_000), 1_000_000);
        assert_eq!(micros(3_600, 90_000), 40_000);
        assert_eq!(micros(441, 44_100), 10_000);
        assert_eq!(micros(-3_600, 90_000), -40_000, "before the stream's start");
        assert_eq!(micros(i64::MAX, 1), i64::MAX / 2, "no overflow");
        assert_eq!(micros(i64::MIN, 1), -(i64::MAX / 2), "no overflow");
    }

    #[test]
    fn the_first_frame_is_time_0() {
        let mut clock = Clock::new(2);
        assert_eq!(clock.frame(0, 747_040_000), Placed { pts: 0, jumped: false });
        assert_eq!(clock.frame(0, 747_080_000).pts, 40_000);
        assert_eq!(clock.frame(1, 747_030_000).pts, 0, "audio a little earlier: at 0");
        assert_eq!(clock.frame(1, 747_060_000).pts, 20_000);
    }

    #[test]
    fn a_report_from_before_the_first_frame_keeps_its_time() {
        // gst-rtsp-server sends a frame while it prepares the stream, before
        // PLAY: its first report may carry that frame's RTP time, one frame
        // before the stream's start. Clamped to the start, every camera time
        // came 40 ms early (seen once on a loaded CI machine).
        let mut clock = Clock::new(1);
        clock.frame(0, micros(0, 90_000));
        assert_eq!(clock.time_of(micros(-3_600, 90_000)), Some(-40_000));
        assert_eq!(clock.frame(0, micros(-3_600, 90_000)).pts, 0, "a frame before the first: at 0");
    }

    #[test]
    fn the_pcr_follows_the_slowest_live_track() {
        let mut clock = Clock::new(2);
        clock.frame(0, 0); // time 0 at count 0
        clock.frame(1, 0);
        assert_eq!(clock.pcr(), Some(0));
        clock.frame(0, 40_000);
        assert_eq!(clock.pcr(), None, "audio behind: the clock waits for it");
        clock.frame(1, 20_000);
        assert_eq!(clock.pcr(), Some(20_000));
        clock.frame(0, 80_000);
        clock.frame(1, 60_000);
        assert_eq!(clock.pcr(), Some(60_000));
        // Audio stops: once video is 2 s ahead, audio no longer holds it.
        clock.frame(0, 1_000_000);
        assert_eq!(clock.pcr(), None);
        clock.frame(0, 2_100_000);
        assert_eq!(clock.pcr(), Some(2_100_000));
    }

    #[test]
    fn a_jump_starts_the_clock_anew_where_it_was() {
        let mut clock = Clock::new(1);
        clock.frame(0, 0);
        assert!(!clock.frame(0, 5_000_000).jumped);
        assert_eq!(clock.pcr(), Some(5_000_000));
        assert!(!clock.frame(0, 4_500_000).jumped, "B-frame order, not a jump");
        assert_eq!(clock.frame(0, 100_000), Placed { pts: 5_000_000, jumped: true }, "the camera restarted its count");
        assert_eq!(clock.frame(0, 140_000).pts, 5_040_000, "and times go on from there");
        assert_eq!(clock.pcr(), Some(5_040_000), "set again after the reset");
        assert!(clock.frame(0, 60_000_000).jumped, "forward 60 s");
    }

    #[test]
    fn after_a_reconnect_times_go_on_with_the_gap_in_them() {
        let mut clock = Clock::new(2);
        clock.frame(0, 900_000_000);
        clock.frame(1, 900_000_000);
        clock.frame(0, 901_000_000);
        clock.frame(1, 901_000_000);
        assert_eq!(clock.pcr(), Some(1_000_000));
        // The new session counts from elsewhere; 15 s passed (more than a jump).
        clock.resume(15_000_000);
        assert_eq!(clock.time_of(5_000), None, "not placed before the new session's first frame");
        assert_eq!(clock.frame(0, 5_000), Placed { pts: 16_000_000, jumped: false });
        assert_eq!(clock.pcr(), Some(16_000_000), "audio not back yet: video alone sets it");
        assert_eq!(clock.frame(1, 5_000).pts, 16_000_000, "the same count: the same time");
        assert_eq!(clock.frame(0, 45_000).pts, 16_040_000);
        assert_eq!(clock.time_of(85_000), Some(16_080_000), "a sender report's time");
        assert_eq!(micros_of(std::time::Duration::from_millis(1500)), 1_500_000);
    }
}
