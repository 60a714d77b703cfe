//! The camera's own clock, shared by an input with the smem output that
//! serves it: `smem_rtsp` learns from RTCP sender reports which wall-clock
//! time (the camera's, NTP) goes with which stream time (the microseconds it
//! sends as pts), and where its reconnects left gaps; smem finds the record
//! by its input (as smem_mark finds smem_preroll's points) and stamps each
//! frame, whose `media_time` is on that stream time, with its camera time
//! and the gap before it.

#![forbid(unsafe_code)]

use std::sync::{Arc, Mutex, PoisonError};

use crate::mark::Registry;

/// One input's camera clock.
#[derive(Debug, Default)]
pub struct CameraClock(Mutex<State>);

#[derive(Clone, Debug, Default)]
struct State {
    /// The newest sender report: a stream time and its camera time.
    sync: Option<Sync>,
    /// The gaps a reconnect ended: the stream time of the first frame
    /// after each, and its length (microseconds), oldest first.
    gaps: Vec<(i64, i64)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sync {
    stream_time: i64,
    /// Microseconds since the Unix epoch.
    camera_time: i64,
}

/// Gaps remembered at most (the oldest go first: a frame is stamped
/// seconds after its gap, not hours).
const GAPS_KEPT: usize = 64;

/// Microseconds since the Unix epoch of an NTP timestamp (seconds since
/// 1900 in its high 32 bits, a fraction of a second in the low ones).
pub fn ntp_to_unix_micros(ntp: u64) -> i64 {
    const NTP_UNIX_OFFSET_S: i64 = 2_208_988_800;
    let seconds = (ntp >> 32) as i64 - NTP_UNIX_OFFSET_S;
    let micros = ((ntp & 0xFFFF_FFFF) * 1_000_000) >> 32;
    seconds * 1_000_000 + micros as i64
}

impl CameraClock {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A sender report: `stream_time` (microseconds, the input's pts less
    /// VLC's origin) is `camera_time` on the camera's clock.
    pub fn sender_report(&self, stream_time: i64, camera_time: i64) {
        self.state().sync = Some(Sync { stream_time, camera_time });
    }

    /// A reconnect ended a gap of `length` microseconds; the first frame
    /// after it is at `stream_time`.
    pub fn gap(&self, stream_time: i64, length: i64) {
        let mut state = self.state();
        if state.gaps.len() == GAPS_KEPT {
            state.gaps.remove(0);
        }
        state.gaps.push((stream_time, length));
    }

    /// The camera time of a frame at `stream_time`, once a sender report
    /// came (through a gap too: the stream time has the gap in it).
    pub fn camera_time(&self, stream_time: i64) -> Option<i64> {
        self.state().sync.map(|sync| sync.camera_time + (stream_time - sync.stream_time))
    }

    /// The length of the gaps between a track's frame at `previous` (None:
    /// its first) and its next one at `stream_time`; 0 if none.
    pub fn gap_before(&self, previous: Option<i64>, stream_time: i64) -> i64 {
        let Some(previous) = previous else { return 0 };
        let state = self.state();
        state.gaps.iter().filter(|(at, _)| *at > previous && *at <= stream_time).map(|(_, length)| length).sum()
    }
}

/// Every input's clock, by input (the media player, as smem_mark's
/// `input_key`).
static CLOCKS: Registry<CameraClock> = Registry::new();

/// A new clock for `input`, found by [`for_input`] until it is dropped.
pub fn publish(input: usize) -> Arc<CameraClock> {
    let clock = Arc::new(CameraClock::default());
    CLOCKS.insert(input, &clock);
    clock
}

/// The clock of `input`, if its input has one (an RTSP input).
pub fn for_input(input: usize) -> Option<Arc<CameraClock>> {
    CLOCKS.find(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ntp_times_become_unix_microseconds() {
        assert_eq!(ntp_to_unix_micros(2_208_988_800 << 32), 0);
        let ntp = ((2_208_988_800u64 + 1_700_000_000) << 32) | (1 << 31);
        assert_eq!(ntp_to_unix_micros(ntp), 1_700_000_000_500_000);
    }

    #[test]
    fn camera_times_follow_the_newest_report() {
        let clock = CameraClock::default();
        assert_eq!(clock.camera_time(40_000), None, "no report yet");
        clock.sender_report(1_000_000, 1_700_000_000_000_000);
        assert_eq!(clock.camera_time(1_040_000), Some(1_700_000_000_040_000));
        assert_eq!(clock.camera_time(0), Some(1_699_999_999_000_000), "before the report too");
        clock.sender_report(6_000_000, 1_700_000_005_000_100);
        assert_eq!(clock.camera_time(6_000_000), Some(1_700_000_005_000_100));
    }

    #[test]
    fn a_gap_is_told_to_each_track_s_first_frame_after_it() {
        let clock = CameraClock::default();
        clock.gap(5_000_000, 3_800_000);
        assert_eq!(clock.gap_before(None, 5_000_000), 0, "a track's first frame follows no gap");
        assert_eq!(clock.gap_before(Some(1_160_000), 5_000_000), 3_800_000);
        assert_eq!(clock.gap_before(Some(1_150_000), 5_020_000), 3_800_000, "audio, a little later");
        assert_eq!(clock.gap_before(Some(5_000_000), 5_040_000), 0, "the next frame: none");
        for i in 0..100 {
            clock.gap(10_000_000 + i, 1);
        }
        assert_eq!(clock.state().gaps.len(), GAPS_KEPT);
    }
}
