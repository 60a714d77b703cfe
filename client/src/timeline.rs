//! Media time for the frames of a grab, and the segment it keeps.
//!
//! VLC hands a stream output its timestamps on its own clock (the machine's
//! uptime, give or take), not the media's. smem-rs (with smem_mark and
//! smem_preroll) tells each frame's time in the stream itself, across seeks:
//! that is the frame's media time. Without it, within one played item VLC's
//! clock runs with the media, so a frame's media time is its pts less the
//! pts of the item's first video frame (the first audio block when no video
//! is grabbed), plus where the item was started (or last sought to).

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};

/// Which kind of frame is being placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Video,
    Audio,
}

const UNSET: i64 = i64::MIN;

/// Shared by a grab's video and audio sinks (VLC's threads) and its run loop.
#[derive(Debug)]
pub(crate) struct Timeline {
    /// Media time of each item's first frame (or the first after a seek),
    /// microseconds, when smem-rs does not tell it.
    start_us: AtomicI64,
    /// The grab's own start (each playlist item's first frame's time).
    item_start_us: i64,
    /// Frames at or after this media time are not delivered.
    stop_us: Option<i64>,
    /// Whether video frames set the origin (video was asked for).
    video_origin: bool,
    /// VLC pts of the origin in the current item.
    origin: AtomicI64,
    /// The first audio pts of the item, the origin until a video frame comes.
    audio_origin: AtomicI64,
    item: AtomicUsize,
    video_past_stop: AtomicBool,
    audio_past_stop: AtomicBool,
    /// `every`'s step, microseconds.
    every_us: Option<i64>,
    /// The next media time `every` wants a frame at; UNSET: the next frame.
    next_wanted: AtomicI64,
}

impl Timeline {
    pub(crate) fn new(start: Option<f64>, stop: Option<f64>, video_origin: bool) -> Timeline {
        let us = |s: f64| (s * 1e6).round() as i64;
        Timeline {
            start_us: AtomicI64::new(start.map_or(0, us)),
            item_start_us: start.map_or(0, us),
            stop_us: stop.map(us),
            video_origin,
            origin: AtomicI64::new(UNSET),
            audio_origin: AtomicI64::new(UNSET),
            item: AtomicUsize::new(0),
            video_past_stop: AtomicBool::new(false),
            audio_past_stop: AtomicBool::new(false),
            every_us: None,
            next_wanted: AtomicI64::new(UNSET),
        }
    }

    /// One video frame every `seconds` of media time ([`Timeline::wanted`]).
    pub(crate) fn every(&mut self, seconds: Option<f64>) {
        self.every_us = seconds.map(|s| ((s * 1e6).round() as i64).max(1));
    }

    /// Whether `every` keeps the video frame at media time `time`: the
    /// first of each item (and after a seek), then the first at or after
    /// each multiple of the step counted from the grab's start (0 without
    /// one) on the stream's time line. Called for each video frame in turn.
    pub(crate) fn wanted(&self, time: i64) -> bool {
        let Some(step) = self.every_us else { return true };
        let next = self.next_wanted.load(Ordering::Acquire);
        if next != UNSET && time < next {
            return false;
        }
        let from = self.item_start_us;
        let steps = time.saturating_sub(from).div_euclid(step) + 1;
        self.next_wanted.store(from.saturating_add(steps.saturating_mul(step)), Ordering::Release);
        true
    }

    /// A new item (playlist entry) starts: its frames count from its start.
    pub(crate) fn begin_item(&self, index: usize) {
        self.item.store(index, Ordering::SeqCst);
        self.start_us.store(self.item_start_us, Ordering::SeqCst);
        self.origin.store(UNSET, Ordering::SeqCst);
        self.audio_origin.store(UNSET, Ordering::SeqCst);
        self.video_past_stop.store(false, Ordering::SeqCst);
        self.audio_past_stop.store(false, Ordering::SeqCst);
        self.next_wanted.store(UNSET, Ordering::SeqCst);
    }

    /// The player was sought to `seconds`: without smem-rs's media times,
    /// the next frames count from there.
    pub(crate) fn seek(&self, seconds: f64) {
        self.start_us.store((seconds * 1e6).round() as i64, Ordering::SeqCst);
        self.origin.store(UNSET, Ordering::SeqCst);
        self.audio_origin.store(UNSET, Ordering::SeqCst);
        self.video_past_stop.store(false, Ordering::SeqCst);
        self.audio_past_stop.store(false, Ordering::SeqCst);
        self.next_wanted.store(UNSET, Ordering::SeqCst);
    }

    pub(crate) fn item(&self) -> usize {
        self.item.load(Ordering::Relaxed)
    }

    /// The media time of a frame with VLC pts `pts` (smem-rs's `media_time`
    /// when it tells it), in microseconds, or `None` when it is at or past
    /// the stop (it is not to be delivered).
    pub(crate) fn place(&self, kind: Kind, pts: i64, media_time: Option<i64>) -> Option<i64> {
        let time = media_time.unwrap_or_else(|| self.on_vlc_clock(kind, pts));
        if self.stop_us.is_some_and(|stop| time >= stop) {
            let past = if kind == Kind::Video { &self.video_past_stop } else { &self.audio_past_stop };
            past.store(true, Ordering::Release);
            return None;
        }
        Some(time)
    }

    /// The media time of `pts`, counted from the item's (or seek's) first frame.
    fn on_vlc_clock(&self, kind: Kind, pts: i64) -> i64 {
        let origin = match kind {
            Kind::Video => first(&self.origin, pts),
            Kind::Audio if !self.video_origin => first(&self.origin, pts),
            Kind::Audio => match self.origin.load(Ordering::Acquire) {
                UNSET => first(&self.audio_origin, pts),
                origin => origin,
            },
        };
        self.start_us.load(Ordering::Relaxed).saturating_add(pts.saturating_sub(origin))
    }

    /// Whether every kind asked for has reached the stop: the rest of the
    /// item can go unplayed.
    pub(crate) fn past_stop(&self, video: bool, audio: bool) -> bool {
        self.stop_us.is_some()
            && (!video || self.video_past_stop.load(Ordering::Acquire))
            && (!audio || self.audio_past_stop.load(Ordering::Acquire))
    }
}

/// The value of `slot`, set to `pts` if it had none.
fn first(slot: &AtomicI64, pts: i64) -> i64 {
    match slot.compare_exchange(UNSET, pts, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => pts,
        Err(set) => set,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_count_from_the_first_video_frame_at_the_start() {
        let t = Timeline::new(Some(1.0), Some(2.0), true);
        // Audio may come first: it is placed on its own first block until video comes.
        assert_eq!(t.place(Kind::Audio, 5_000_000, None), Some(1_000_000));
        assert_eq!(t.place(Kind::Video, 5_010_000, None), Some(1_000_000));
        assert_eq!(t.place(Kind::Audio, 5_030_000, None), Some(1_020_000));
        assert_eq!(t.place(Kind::Video, 5_970_000, None), Some(1_960_000));
        assert!(!t.past_stop(true, true));
        assert_eq!(t.place(Kind::Video, 6_010_000, None), None, "2.0 s is past [1, 2)");
        assert!(!t.past_stop(true, true), "audio has not reached the stop yet");
        assert_eq!(t.place(Kind::Audio, 6_020_000, None), None);
        assert!(t.past_stop(true, true) && t.past_stop(true, false));
    }

    #[test]
    fn without_video_audio_sets_the_origin_and_items_start_over() {
        let t = Timeline::new(None, None, false);
        assert_eq!(t.place(Kind::Audio, 700, None), Some(0));
        assert_eq!(t.place(Kind::Audio, 21_033, None), Some(20_333));
        assert!(!t.past_stop(false, true), "no stop: never past it");
        t.begin_item(1);
        assert_eq!((t.item(), t.place(Kind::Audio, 9_000_000, None)), (1, Some(0)));
    }

    #[test]
    fn smem_rs_s_media_time_wins_and_a_seek_restarts_the_count() {
        let t = Timeline::new(None, Some(3.0), true);
        assert_eq!(t.place(Kind::Video, 9_000_000, Some(1_400_000)), Some(1_400_000));
        assert_eq!(t.place(Kind::Video, 9_040_000, Some(3_000_000)), None, "the stop, in media time");
        let t = Timeline::new(None, None, true);
        assert_eq!(t.place(Kind::Video, 9_000_000, None), Some(0));
        t.seek(2.5);
        assert_eq!(t.place(Kind::Video, 20_000_000, None), Some(2_500_000));
        assert_eq!(t.place(Kind::Video, 20_040_000, None), Some(2_540_000));
    }

    #[test]
    fn every_keeps_the_first_frame_and_then_one_per_step_from_the_start() {
        let mut t = Timeline::new(Some(1.5), None, true);
        t.every(Some(0.5));
        // 25 fps from 1.52 s: no frame at 1.5 s exactly.
        let kept: Vec<i64> = (0..60).map(|n| 1_520_000 + n * 40_000).filter(|&us| t.wanted(us)).collect();
        assert_eq!(kept, [1_520_000, 2_000_000, 2_520_000, 3_000_000, 3_520_000]);
        // A jump forward keeps the next frame; the grid stays the start's.
        assert!(t.wanted(9_130_000) && !t.wanted(9_490_000) && t.wanted(9_500_000));
        // Each item, and each seek, starts with a frame kept.
        t.begin_item(1);
        assert!(t.wanted(1_600_000) && !t.wanted(1_640_000));
        t.seek(0.0);
        assert!(t.wanted(1_640_000));
        let all = Timeline::new(None, None, true);
        assert!((0..10).all(|us| all.wanted(us)));
    }
}
