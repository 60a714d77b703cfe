//! Where the start is, from both sides: the demuxer's (stream time) and the
//! stream output's (VLC's clock), and what smem does with each frame.
//! Plain logic, unit-tested without VLC.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::pairing::{Entry, Observed, Pairing, SentBlock, SentLog};
use crate::ffi::es::VideoExtra;

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Past the start by this much of decoding time, no block can be before it
/// any more (B-frames wait far less): pre-roll marking stops.
const PREROLL_HORIZON_US: i64 = 2_000_000;

/// What smem_preroll saw of the demuxer's last seek, in stream time.
#[derive(Debug, Default)]
pub struct StartPoint {
    seen: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    /// The input will ask the demuxer to seek to a start (`:start-time`),
    /// and has not yet: what the demuxer sends until then is from before.
    seek_pending: bool,
    /// The start: where the demuxer seeks to, plus the lead.
    start: Option<i64>,
    /// How long after the start the frames stop (none: they do not).
    length: Option<i64>,
    /// Each track's first block (pts, or dts without) since the seek.
    firsts: Vec<(i32, i64)>,
    /// The seek is done: first blocks are noted (with or without a start).
    sought: bool,
    /// Still marking pre-roll (until well past the start).
    marking: bool,
    /// What was sent of each track, for smem_mark to pair with what it
    /// sees on VLC's clock.
    sent: SentLog,
    /// The demuxer is VLC's Matroska one, and how late it runs every track
    /// (see [`StartPoint::codec_delay`]).
    matroska: bool,
    shift: i64,
    /// The shift was read from the file's track headers (see
    /// [`Preroll::with_file_shift`]): what smem_mark learns later is not needed.
    shift_from_file: bool,
}

impl Seen {
    /// Nothing seen yet: first blocks are noted from the start unless the
    /// input is about to seek to a start time.
    fn new(seek_pending: bool) -> Seen {
        Seen { seek_pending, sought: !seek_pending, ..Seen::default() }
    }
}

impl StartPoint {
    /// Whether the demuxer has sought to a start point, or is about to.
    pub fn has_start(&self) -> bool {
        let seen = locked(&self.seen);
        seen.seek_pending || seen.start.is_some()
    }

    /// Track `es_id`'s first block since the seek, in stream time.
    pub fn first_of(&self, es_id: i32) -> Option<i64> {
        let seen = locked(&self.seen);
        Some(seen.firsts.iter().find(|(id, _)| *id == es_id)?.1)
    }

    /// A track of this demuxer's input has a codec delay (Opus's pre-skip).
    /// VLC 3's Matroska demuxer runs every track late by the largest codec
    /// delay of the file (less each track's own), where ffmpeg takes only
    /// each track's own off: its times are the container's plus that shift
    /// (measured with VLC 3.0.24 on ffmpeg's WebM and MKV with Opus, with the
    /// audio starting with the video and 0.5 s after it).
    pub fn codec_delay(&self, delay: i64) {
        let mut seen = locked(&self.seen);
        if seen.matroska && !seen.shift_from_file {
            seen.shift = seen.shift.max(delay);
        }
    }

    /// How far this demuxer's times run after the container's.
    fn shift(&self) -> i64 {
        locked(&self.seen).shift
    }

    /// Whether this demuxer sends track `es_id`.
    pub fn sends(&self, es_id: i32) -> bool {
        locked(&self.seen).sent.sends(es_id)
    }

    /// Pairs a block of track `es_id` that smem_mark sees on VLC's clock
    /// with the one the demuxer sent (see [`Pairing`]).
    fn pair(&self, es_id: i32, pairing: &mut Pairing, seen: Observed) -> Option<SentBlock> {
        locked(&self.seen).sent.pair(es_id, pairing, seen)
    }

    /// The pair of a track's first block, which a flush showed was sent
    /// before the latest seek (see [`Pairing`]).
    fn give_back(&self, es_id: i32, given: Vec<Entry>) {
        locked(&self.seen).sent.give_back(es_id, given)
    }

    /// The start and the segment's length, in stream time, if this
    /// demuxer sought to one.
    pub fn start(&self) -> Option<(i64, Option<i64>)> {
        let seen = locked(&self.seen);
        Some((seen.start?, seen.length))
    }
}

/// smem_preroll's logic: marks what lies before the start.
#[derive(Debug)]
pub struct Preroll {
    point: Arc<StartPoint>,
    /// How far past the demuxer's own start point the start is.
    lead: i64,
    /// The segment's length, if it has an end.
    length: Option<i64>,
}

impl Preroll {
    /// `seek_pending`: the input was given a start time, and will ask the
    /// demuxer to seek to it.
    pub fn new(lead: i64, length: Option<i64>, seek_pending: bool) -> Preroll {
        let point = StartPoint { seen: Mutex::new(Seen::new(seek_pending)) };
        Preroll { point: Arc::new(point), lead: lead.max(0), length: length.filter(|l| *l > 0) }
    }

    /// The demuxer is VLC's `demuxer` module (`mkv`, `mp4`...).
    pub fn for_demuxer(self, demuxer: &str) -> Preroll {
        locked(&self.point.seen).matroska = demuxer == "mkv";
        self
    }

    /// The Matroska file's largest codec delay, read from its track headers
    /// before the demuxer sends a block: every frame is placed with it,
    /// whichever track's first block reaches smem_mark first.
    pub fn with_file_shift(self, delay: i64) -> Preroll {
        let mut seen = locked(&self.point.seen);
        if seen.matroska {
            seen.shift = delay.max(0);
            seen.shift_from_file = true;
        }
        drop(seen);
        self
    }

    /// The demuxer has done a seek the input asked for: the tracks' first
    /// blocks are noted anew. A demuxer that seeks without saying where it
    /// lands (no `ES_OUT_SET_NEXT_DISPLAY_TIME`) leaves no start point:
    /// VLC's own flags decide then.
    pub fn sought(&self) {
        let mut seen = locked(&self.point.seen);
        seen.seek_pending = false;
        seen.sought = true;
        seen.firsts.clear();
        seen.sent.restart();
    }

    /// VLC's clock starts anew (a discontinuity in the stream, and VLC
    /// flushes its decoders): the tracks' first blocks are noted anew,
    /// unless the seek to the start is still to come.
    pub fn clock_reset(&self) {
        let mut seen = locked(&self.point.seen);
        if !seen.seek_pending {
            seen.firsts.clear();
        }
        seen.sent.restart();
    }

    pub fn point(&self) -> &Arc<StartPoint> {
        &self.point
    }

    /// The demuxer seeks to `time` (`ES_OUT_SET_NEXT_DISPLAY_TIME`). The
    /// lead and the length are the start time's: a later seek (the
    /// application's) starts right at its time, and has no end.
    pub fn next_display_time(&self, time: i64) {
        let mut seen = locked(&self.point.seen);
        let to_start = seen.seek_pending;
        *seen = Seen {
            seek_pending: false,
            start: Some(time.saturating_add(if to_start { self.lead } else { 0 })),
            length: self.length.filter(|_| to_start),
            firsts: Vec::new(),
            sought: true,
            marking: true,
            sent: std::mem::take(&mut seen.sent),
            matroska: seen.matroska,
            shift: seen.shift,
            shift_from_file: seen.shift_from_file,
        };
    }

    /// A block the demuxer sends: notes each track's first, and says
    /// whether it is before the start.
    pub fn is_preroll(&self, es_id: Option<i32>, pts: i64, dts: i64) -> bool {
        let time = if pts > 0 { pts } else { dts };
        let mut seen = locked(&self.point.seen);
        if let Some(id) = es_id.filter(|_| time > 0) {
            seen.sent.push(id, SentBlock { time, dts: dts.max(0) });
        }
        // An :input-slave's demuxer may seek without a start point of its
        // own: its tracks' first blocks still place them on VLC's clock.
        if let Some(id) = es_id.filter(|_| seen.sought && time > 0) {
            if !seen.firsts.iter().any(|(known, _)| *known == id) {
                seen.firsts.push((id, time));
            }
        }
        let Some(start) = seen.start.filter(|_| seen.marking) else { return false };
        if dts > 0 && dts >= start.saturating_add(PREROLL_HORIZON_US) {
            seen.marking = false;
            return false;
        }
        time > 0 && time < start
    }
}

/// What smem does with a frame of a marked track.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Keep,
    BeforeStart,
    AfterStop,
}

/// The start and stop on VLC's clock, once a track of the input has them:
/// one clock serves all of an input's tracks, so the others take them from
/// it (an `:input-slave`'s demuxer may not seek to a start point itself).
pub type SharedStart = Arc<Mutex<Option<(i64, Option<i64>)>>>;

/// How VLC's packetizer flagged a block's fields (`BLOCK_FLAG_*_FIELD_FIRST`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fields {
    /// No flag: VLC takes the picture as progressive.
    #[default]
    Unflagged,
    TopFirst,
    BottomFirst,
}

/// One track as smem_mark sees it, on VLC's clock.
#[derive(Debug)]
pub struct Start {
    es_id: i32,
    /// The track's video format before transcode (colour as the demuxer or
    /// packetizer declared it).
    source: Option<VideoExtra>,
    /// The start points of the input's demuxers (one of them has this track).
    points: Vec<Arc<StartPoint>>,
    shared: SharedStart,
    blocks: Mutex<Blocks>,
    /// A frame of this track was kept: the later ones come after it (and
    /// after a seek, elsewhere: nothing is left out any more).
    passed: AtomicBool,
}

/// What the blocks said since the last flush.
#[derive(Debug, Default)]
struct Blocks {
    /// The first block's time.
    first: Option<i64>,
    /// The latest blocks, to find the one a frame was decoded from.
    times: VecDeque<Noted>,
    /// Its blocks paired with the demuxer's (smem_preroll's).
    pairing: Pairing,
    /// The stream time of the frame placed last.
    last_placed: Option<i64>,
    /// VLC's flushes (seeks) since the track was added.
    generation: u32,
    /// Without smem_preroll, VLC's own flags: the latest pre-roll block.
    last_preroll: Option<i64>,
    /// ... and the blocks that are not pre-roll.
    not_preroll: Vec<i64>,
}

/// A block on its way to transcode: its times on VLC's clock, its fields,
/// and its times in the stream once paired (kept across flushes: transcode
/// has no flush, and frames decoded before one may still come out).
#[derive(Clone, Copy, Debug)]
struct Noted {
    vlc: Observed,
    fields: Fields,
    /// Flagged pre-roll (decoded only to reach a start or a seek's target).
    preroll: bool,
    stream: Option<SentBlock>,
    /// The flushes before it.
    generation: u32,
}

/// Blocks remembered: a few GOPs' worth, more than a decoder holds.
const MAX_BLOCKS: usize = 1024;
/// The latest block times kept to find a frame's block (frames leave the
/// decoder a few blocks after theirs come in).
const RECENT_BLOCKS: usize = 256;

impl Start {
    pub fn new(es_id: i32, points: Vec<Arc<StartPoint>>, shared: SharedStart) -> Start {
        Start { es_id, source: None, points, shared, blocks: Mutex::default(), passed: AtomicBool::new(false) }
    }

    /// The track's video format before transcode.
    pub fn with_source(self, source: VideoExtra) -> Start {
        Start { source: Some(source), ..self }
    }

    pub fn source(&self) -> Option<VideoExtra> {
        self.source
    }

    pub fn es_id(&self) -> i32 {
        self.es_id
    }

    /// The start point of the demuxer that sends this track (an input's
    /// file, or one of its `:input-slave`s).
    fn own_point(&self) -> Option<&Arc<StartPoint>> {
        self.points.iter().find(|p| p.sends(self.es_id))
    }

    /// Notes one block on its way to transcode: its time (pts, or dts) and
    /// VLC's pre-roll flag.
    pub fn note(&self, time: i64, preroll: bool) {
        self.note_block(Observed::video(time), preroll, Fields::Unflagged)
    }

    /// [`Start::note`], with the block's dts, its length if it is audio, and
    /// its field flags.
    pub fn note_block(&self, seen: Observed, preroll: bool, fields: Fields) {
        let time = seen.time;
        let mut blocks = locked(&self.blocks);
        let stream = match self.own_point() {
            Some(point) => point.pair(self.es_id, &mut blocks.pairing, seen),
            None => blocks.pairing.anchor().map(|anchor| anchor.place(seen)),
        };
        if blocks.times.len() == RECENT_BLOCKS {
            blocks.times.pop_front();
        }
        let generation = blocks.generation;
        blocks.times.push_back(Noted { vlc: seen, fields, preroll, stream, generation });
        if self.passed.load(Ordering::Acquire) {
            return;
        }
        blocks.first.get_or_insert(time);
        if preroll {
            blocks.last_preroll = Some(blocks.last_preroll.map_or(time, |t| t.max(time)));
        } else if blocks.not_preroll.len() < MAX_BLOCKS {
            blocks.not_preroll.push(time);
        }
    }

    /// The start and the stop on VLC's clock, from the track's first block
    /// on both sides.
    fn start_on_vlc_clock(&self, blocks: &Blocks) -> Option<(i64, Option<i64>)> {
        // The start from the demuxer that sought to one; this track's first
        // block from the demuxer that has the track (the same one, or an
        // :input-slave's, on the same time line).
        let own = self.points.iter().find_map(|p| p.start()).and_then(|(start, length)| {
            let first = self.points.iter().find_map(|p| p.first_of(self.es_id))?;
            let start = start.saturating_add(blocks.first?.saturating_sub(first));
            Some((start, length.map(|l| start.saturating_add(l))))
        });
        let mut shared = locked(&self.shared);
        match own {
            Some(own) => {
                shared.get_or_insert(own);
                Some(own)
            }
            None => *shared,
        }
    }

    /// smem_preroll saw a seek to a start point, but where it falls on VLC's
    /// clock is not known yet: no track's first block has come.
    fn waiting_for_start(&self) -> bool {
        self.points.iter().any(|p| p.has_start())
    }

    /// Where the start is on VLC's clock: with smem_preroll, exactly; else
    /// the first block VLC did not flag pre-roll (one not flagged but earlier
    /// than one flagged is VLC's first of a seek, sent before it flags).
    fn start(&self, blocks: &Blocks) -> Option<i64> {
        if let Some((start, _)) = self.start_on_vlc_clock(blocks) {
            return Some(start);
        }
        if self.waiting_for_start() {
            return None;
        }
        let after = blocks.last_preroll.unwrap_or(i64::MIN);
        blocks.not_preroll.iter().copied().filter(|&t| t > after).min()
    }

    /// A video frame with `pts`, of a track of `frame_rate` (num/den, 0/0 if
    /// unknown). It is judged by the block it was decoded from: the one with
    /// that time, or, when VLC's encoder in transcode counted time in frames
    /// of that rate, the one whose time it cut down to `pts`.
    pub fn video(&self, pts: i64, frame_rate: (u32, u32)) -> Verdict {
        let blocks = locked(&self.blocks);
        let (num, den) = frame_rate;
        let on_grid = |t: i64| if num > 0 && den > 0 { on_grid(t, num, den) } else { t };
        let block = decoded_from(&blocks, pts, frame_rate, blocks.last_placed);
        let decoded_from = block.map(|block| block.vlc.time);
        // Is `bound` (on VLC's clock) after this frame's time?
        let is_after = |bound: i64| match decoded_from {
            Some(time) => time < bound,
            None => pts < on_grid(bound),
        };
        if let Some((_, Some(stop))) = self.start_on_vlc_clock(&blocks) {
            if !is_after(stop) {
                return Verdict::AfterStop;
            }
        }
        if self.passed.load(Ordering::Acquire) {
            // Past the start, a picture is left out only if its own block
            // was pre-roll: the application seeked, and VLC's decoder still
            // gives a few pictures from before the target (the first stamped
            // with a later one's time, as libavcodec skips B-frames then).
            return if block.is_some_and(|b| b.preroll) { Verdict::BeforeStart } else { Verdict::Keep };
        }
        let Some(start) = self.start(&blocks) else {
            return Verdict::BeforeStart; // decoded before any block past the start
        };
        let before = is_after(start);
        drop(blocks);
        self.verdict(before)
    }

    /// An audio block from `pts` to `end`: kept if it holds sound from the
    /// start on.
    pub fn audio(&self, pts: i64, end: i64) -> Verdict {
        let blocks = locked(&self.blocks);
        let on_clock = self.start_on_vlc_clock(&blocks);
        if on_clock.and_then(|(_, stop)| stop).is_some_and(|stop| pts >= stop) {
            return Verdict::AfterStop;
        }
        if self.passed.load(Ordering::Acquire) {
            return Verdict::Keep;
        }
        let before = match on_clock {
            Some((start, _)) => end.max(pts) <= start,
            None if self.waiting_for_start() => true,
            None => blocks.last_preroll.is_some_and(|last| end.max(pts) <= last),
        };
        drop(blocks);
        self.verdict(before)
    }

    fn verdict(&self, before: bool) -> Verdict {
        if before {
            return Verdict::BeforeStart;
        }
        self.passed.store(true, Ordering::Release);
        Verdict::Keep
    }

    /// VLC flushes its decoders when it seeks. Before the start was
    /// reached, that is VLC's own seek to it (the blocks it sent first are
    /// from before: forget them); after, a seek elsewhere. Either way VLC's
    /// clock starts anew.
    pub fn flushed(&self) {
        let mut blocks = locked(&self.blocks);
        let given = blocks.pairing.flushed();
        if let Some(point) = self.own_point().filter(|_| !given.is_empty()) {
            point.give_back(self.es_id, given);
        }
        if !self.passed.load(Ordering::Acquire) {
            *blocks = Blocks::default();
        }
        blocks.generation += 1;
    }

    /// A frame with VLC's `pts`: its media time, in microseconds of the
    /// stream's own time (the demuxer's, 0 at its zero), from the block it
    /// was decoded from as smem_preroll saw it sent (video frames are matched
    /// to their block as in [`Start::video`]), and how that block was
    /// flagged, if it is known.
    ///
    /// A frame with no block of its own time: a decoder that dated a
    /// picture by the dts of the packet it was fed last (VLC's avcodec does
    /// when libavcodec gives no pts), the time that dts has in the stream;
    /// audio that transcode cut anew, from the latest block before it.
    pub fn place(&self, pts: i64, frame_rate: (u32, u32)) -> (Option<i64>, Option<Fields>) {
        let mut blocks = locked(&self.blocks);
        let after = blocks.last_placed;
        let (time, fields) = match decoded_from(&blocks, pts, frame_rate, after) {
            Some(block) => (block.stream.map(|s| s.time), Some(block.fields)),
            None => match dated_by_dts(&blocks, pts, frame_rate, after) {
                Some(block) => (block.stream.map(|s| s.dts).filter(|dts| *dts > 0), None),
                None => {
                    let placed = blocks.times.iter().filter(|b| b.stream.is_some());
                    let before = placed.clone().filter(|b| b.vlc.time <= pts).max_by_key(|b| b.vlc.time);
                    let near = before.or_else(|| placed.min_by_key(|b| b.vlc.time));
                    (near.and_then(|b| Some(b.stream?.time + (pts - b.vlc.time))), None)
                }
            },
        };
        if time.is_some() {
            blocks.last_placed = time;
        }
        // VLC's stream times count from VLC_TS_0 (1), and run late by the
        // demuxer's shift.
        let shift = self.own_point().map_or(0, |p| p.shift());
        (time.map(|t| t.saturating_sub(1 + shift)), fields)
    }
}

/// The block a video frame with `pts` was decoded from: the one with that
/// time, or, when VLC's encoder in transcode counted time in frames of
/// `frame_rate`, the one whose time it cut down to `pts` (the first after
/// `after` in the stream, if two are: see [`find_time`]).
fn decoded_from(blocks: &Blocks, pts: i64, frame_rate: (u32, u32), after: Option<i64>) -> Option<Noted> {
    find_time(blocks, (pts, frame_rate, after), |b| b.vlc.time, |s| s.time)
}

/// The block whose dts a frame with `pts` carries (see [`Start::place`]).
fn dated_by_dts(blocks: &Blocks, pts: i64, frame_rate: (u32, u32), after: Option<i64>) -> Option<Noted> {
    find_time(blocks, (pts, frame_rate, after), |b| b.vlc.dts, |s| s.dts).filter(|b| b.vlc.dts > 0)
}

/// The latest block whose `time` is `pts`, or is cut down to it on the
/// frame rate's grid. Two blocks can share a step of the grid when VLC's
/// clock moved by a part of a frame: after a seek, the one sent since
/// (VLC's decoder in transcode drops the pictures it holds at the
/// discontinuity a seek starts with); else (a live clock's drift) the first
/// in the stream after the frame placed last, `after`, as frames come out
/// in presentation order.
fn find_time(
    blocks: &Blocks,
    (pts, (num, den), after): (i64, (u32, u32), Option<i64>),
    time: impl Fn(&Noted) -> i64,
    stream: impl Fn(&SentBlock) -> i64,
) -> Option<Noted> {
    // The latest first: after a seek VLC's clock may pass a time again.
    let times = blocks.times.iter().rev();
    if let Some(exact) = times.clone().find(|b| time(b) == pts) {
        return Some(*exact);
    }
    if num == 0 || den == 0 {
        return None;
    }
    let on_it = times.filter(|b| on_grid(time(b), num, den) == pts);
    let newest = on_it.clone().map(|b| b.generation).max()?;
    let on_it = on_it.filter(|b| b.generation == newest);
    let later = |b: &&Noted| b.stream.map(|s| stream(&s)).zip(after).is_some_and(|(s, after)| s > after);
    let next = on_it.clone().filter(later).min_by_key(|b| b.stream.map(|s| stream(&s)));
    next.or_else(|| on_it.clone().next()).copied()
}

/// `time` cut down to a whole number of frames at `num`/`den` fps, as
/// VLC's avcodec encoder does (`modules/codec/avcodec/encoder.c`: pts in
/// time base units, then back, each in integer steps).
fn on_grid(time: i64, num: u32, den: u32) -> i64 {
    let frames = i128::from(time) * i128::from(num) / 1_000_000 / i128::from(den);
    (frames * 1_000_000 * i128::from(den) / i128::from(num)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAW: (u32, u32) = (0, 0);
    /// VLC's clock runs this far ahead of the stream's in these tests.
    const CLOCK: i64 = 5_000_123;

    /// A demuxer that seeks to `seek` with `lead`, then sends `blocks`
    /// (es id, stream time): the start point, and what it marked.
    fn demux(seek: i64, lead: i64, blocks: &[(i32, i64)]) -> (Arc<StartPoint>, Vec<bool>) {
        segment(seek, lead, None, blocks)
    }

    fn segment(seek: i64, lead: i64, length: Option<i64>, blocks: &[(i32, i64)]) -> (Arc<StartPoint>, Vec<bool>) {
        let p = Preroll::new(lead, length, true);
        p.next_display_time(seek);
        let marked = blocks.iter().map(|&(id, t)| p.is_preroll(Some(id), t, t)).collect();
        (Arc::clone(p.point()), marked)
    }

    #[test]
    fn the_demuxer_s_side_marks_what_is_before_the_start() {
        let (point, marked) = demux(500_000, 500_000, &[(0, 480_001), (1, 490_000), (0, 1_000_001), (0, 960_001)]);
        assert_eq!(marked, [true, true, false, true]);
        assert_eq!((point.start(), point.first_of(0)), (Some((1_000_000, None)), Some(480_001)));
        assert_eq!(point.first_of(1), Some(490_000));
        assert_eq!(point.first_of(2), None);
        let p = Preroll::new(0, None, false);
        assert!(!p.is_preroll(Some(0), 5, 5), "no seek: nothing is pre-roll");
        p.next_display_time(1_000_000);
        assert!(!p.is_preroll(Some(0), 3_100_000, 3_000_001), "well past the start");
        assert!(!p.is_preroll(Some(0), 960_001, 880_001), "marking is over");
    }

    #[test]
    fn video_frames_before_the_start_go_on_either_clock_and_grid() {
        // Start 1.0 s; the key frame at 0.96 s (VLC's packetizer dropped its
        // flag), 1.0 s at the start, decoding order with B-frames.
        let stream = [(0, 960_001), (0, 1_080_001), (0, 1_000_001), (0, 1_040_001)];
        let (point, _) = demux(0, 1_000_000, &stream);
        for fps in [RAW, (25, 1)] {
            let s = Start::new(0, vec![Arc::clone(&point)], SharedStart::default());
            for &(_, t) in &stream {
                s.note(t + CLOCK, false);
            }
            let vlc = |t: i64| if fps == RAW { t + CLOCK } else { on_grid(t + CLOCK, 25, 1) };
            assert_eq!(s.video(vlc(960_001), fps), Verdict::BeforeStart, "{fps:?}");
            assert_eq!(s.video(vlc(1_000_001), fps), Verdict::Keep, "{fps:?}");
            assert_eq!(s.video(vlc(960_001), fps), Verdict::Keep, "past the start, everything passes");
        }
    }

    #[test]
    fn after_an_application_s_seek_pictures_of_pre_roll_blocks_go() {
        let (point, _) = demux(0, 0, &[(0, 1)]);
        let s = Start::new(0, vec![point], SharedStart::default());
        s.note(CLOCK, false);
        assert_eq!(s.video(CLOCK, RAW), Verdict::Keep);
        // The application seeks to 0.5 s from a key frame at 0: VLC flags
        // the blocks before it pre-roll, and its decoder still gives the
        // picture of one of them (stamped with the next's time).
        for (t, preroll) in [(400_000, true), (440_000, true), (480_000, true), (520_000, false)] {
            s.note(t + 2 * CLOCK, preroll);
        }
        assert_eq!(s.video(440_000 + 2 * CLOCK, RAW), Verdict::BeforeStart);
        assert_eq!(s.video(480_000 + 2 * CLOCK, RAW), Verdict::BeforeStart);
        assert_eq!(s.video(520_000 + 2 * CLOCK, RAW), Verdict::Keep);
    }

    #[test]
    fn a_segment_ends_before_its_stop() {
        // [1.0, 2.0) at 25 fps, transcoded: the frame at 1.96 s is the last.
        let stream: Vec<(i32, i64)> = (24..60).map(|n| (0, n * 40_000 + 1)).collect();
        let (point, _) = segment(0, 1_000_000, Some(1_000_000), &stream);
        let s = Start::new(0, vec![point], SharedStart::default());
        let fps = (25, 1);
        let vlc = |n: i64| on_grid(n * 40_000 + 1 + CLOCK, 25, 1);
        for (n, verdict) in
            [(24, Verdict::BeforeStart), (25, Verdict::Keep), (49, Verdict::Keep), (50, Verdict::AfterStop)]
        {
            s.note(n * 40_000 + 1 + CLOCK, false);
            if n == 24 {
                for &(_, t) in &stream[1..] {
                    s.note(t + CLOCK, false);
                }
            }
            assert_eq!(s.video(vlc(n), fps), verdict, "frame {n}");
        }
        let audio = Start::new(1, Vec::new(), SharedStart::default());
        assert_eq!(audio.audio(i64::MAX - 1, i64::MAX), Verdict::Keep, "no start point: no stop either");
    }

    #[test]
    fn a_start_between_frames_keeps_the_first_frame_after_it() {
        // 30000/1001 fps, start 1.5 s: frames at 1.4848 and 1.5182 s.
        let frame = |n: i64| n * 1_001_000 / 30 + 1;
        let stream: Vec<(i32, i64)> = (40..50).map(|n| (0, frame(n))).collect();
        let (point, _) = demux(500_000, 1_000_000, &stream);
        let s = Start::new(0, vec![point], SharedStart::default());
        for &(_, t) in &stream {
            s.note(t + CLOCK, false);
        }
        let ntsc = (30_000, 1_001);
        let vlc = |n: i64| on_grid(frame(n) + CLOCK, 30_000, 1_001);
        assert_eq!(s.video(vlc(44), ntsc), Verdict::BeforeStart);
        assert_eq!(s.video(vlc(45), ntsc), Verdict::Keep);
    }

    #[test]
    fn audio_keeps_the_block_that_holds_the_start() {
        let stream = [(1, 970_000), (1, 991_333), (1, 1_012_666)];
        let (point, _) = demux(1_000_000, 0, &stream);
        let s = Start::new(1, vec![point], SharedStart::default());
        s.note(970_000 + CLOCK, true);
        assert_eq!(s.audio(970_000 + CLOCK, 991_333 + CLOCK), Verdict::BeforeStart);
        assert_eq!(s.audio(991_333 + CLOCK, 1_012_666 + CLOCK), Verdict::Keep, "holds the start");
        let lone = Start::new(2, Vec::new(), SharedStart::default());
        assert_eq!(lone.audio(5, 10), Verdict::Keep, "no start point, no pre-roll: nothing is left out");
    }

    #[test]
    fn an_input_slave_s_track_is_placed_by_its_own_first_block() {
        // A video file with an :input-slave WAV whose demuxer seeks without a
        // start point of its own: the audio is placed by its own first block.
        let video = Preroll::new(500_000, None, true);
        let wav = Preroll::new(500_000, None, true);
        assert!(!wav.is_preroll(Some(1), 7, 7), "before the seek: not noted");
        wav.sought();
        video.next_display_time(500_000);
        video.sought();
        assert!(!wav.is_preroll(Some(1), 500_001, 500_001), "no start point of its own: nothing is pre-roll");
        let points = vec![Arc::clone(video.point()), Arc::clone(wav.point())];
        let audio = Start::new(1, points, SharedStart::default());
        audio.note(500_001 + CLOCK, false);
        assert_eq!(audio.audio(980_000 + CLOCK, 999_000 + CLOCK), Verdict::BeforeStart);
        assert_eq!(audio.audio(999_000 + CLOCK, 1_020_000 + CLOCK), Verdict::Keep, "holds the start");
    }

    #[test]
    fn a_track_whose_demuxer_has_no_start_point_takes_another_track_s() {
        // A video file and an :input-slave WAV whose demuxer does not seek to
        // a start point: the audio waits for the video's start on VLC's clock.
        let (point, _) = demux(500_000, 500_000, &[(0, 480_001)]);
        let shared = SharedStart::default();
        let video = Start::new(0, vec![Arc::clone(&point)], Arc::clone(&shared));
        let audio = Start::new(1, vec![point, Arc::new(StartPoint::default())], shared);
        audio.note(950_000 + CLOCK, false);
        assert_eq!(audio.audio(950_000 + CLOCK, 970_000 + CLOCK), Verdict::BeforeStart, "waits for the start");
        video.note(480_001 + CLOCK, false);
        assert_eq!(video.video(480_001 + CLOCK, RAW), Verdict::BeforeStart);
        assert_eq!(audio.audio(980_000 + CLOCK, 1_001_000 + CLOCK), Verdict::Keep, "holds the start");
    }

    #[test]
    fn what_comes_before_the_seek_to_the_start_is_before_it() {
        // avformat's demuxer can send the frame it probed before the input
        // asks it to seek to the start.
        let p = Preroll::new(1_000_000, None, true);
        let s = Start::new(0, vec![Arc::clone(p.point())], SharedStart::default());
        assert!(!p.is_preroll(Some(0), 1, 1));
        s.note(1 + CLOCK, false);
        assert_eq!(s.video(1 + CLOCK, RAW), Verdict::BeforeStart, "sent before the seek");
        p.sought(); // no ES_OUT_SET_NEXT_DISPLAY_TIME: VLC's flags decide
        let lone = Start::new(1, vec![Arc::clone(p.point())], SharedStart::default());
        lone.note(5, false);
        assert_eq!(lone.video(5, RAW), Verdict::Keep);
    }

    #[test]
    fn a_flush_before_the_start_forgets_what_came_before_it() {
        // VLC read the file's first frame before its seek to the start.
        let stream = [(0, 5_960_001), (0, 6_000_001)];
        let (point, _) = demux(6_000_000, 0, &stream);
        let s = Start::new(0, vec![point], SharedStart::default());
        s.note(10_000, false);
        s.flushed();
        assert_eq!(s.video(10_000, RAW), Verdict::BeforeStart, "the frame still in the decoder");
        for &(_, t) in &stream {
            s.note(t + CLOCK, true);
        }
        assert_eq!(s.video(5_960_001 + CLOCK, RAW), Verdict::BeforeStart);
        assert_eq!(s.video(6_000_001 + CLOCK, RAW), Verdict::Keep);
    }

    #[test]
    fn without_smem_preroll_vlc_s_flags_decide() {
        // VLC sent the key frame at 1.0 s before it marked pre-roll; the
        // start is 1.5 s.
        let s = Start::new(0, Vec::new(), SharedStart::default());
        s.note(1_000_000, false);
        for t in (1_040_000..1_480_000).step_by(40_000) {
            s.note(t, true);
        }
        s.note(1_520_000, false);
        s.note(1_480_000, true);
        assert_eq!(s.video(1_000_000, RAW), Verdict::BeforeStart);
        assert_eq!(s.video(1_480_000, RAW), Verdict::BeforeStart);
        assert_eq!(s.video(1_520_000, RAW), Verdict::Keep);
        let s = Start::new(0, Vec::new(), SharedStart::default());
        s.note(900_000, true);
        assert_eq!(s.video(900_000, (25, 1)), Verdict::BeforeStart, "decoded before any block past the start");
    }

    #[test]
    fn media_time_is_the_stream_s_own_across_seeks() {
        // No start time: first blocks are noted from the first one.
        let p = Preroll::new(0, None, false);
        let s = Start::new(0, vec![Arc::clone(p.point())], SharedStart::default());
        assert_eq!(s.place(CLOCK, RAW), (None, None), "no block yet");
        for t in [1, 80_001, 40_001] {
            assert!(!p.is_preroll(Some(0), t, t));
            s.note(t + CLOCK, false);
        }
        assert_eq!(s.place(40_001 + CLOCK, RAW).0, Some(40_000));
        assert_eq!(s.video(40_001 + CLOCK, RAW), Verdict::Keep, "no start time: nothing is left out");
        // Transcoded at 25 fps: the frame's pts cut down to VLC's grid.
        assert_eq!(s.place(on_grid(80_001 + CLOCK, 25, 1), (25, 1)).0, Some(80_000));
        // The application seeks to 2 s: the demuxer lands on the key frame
        // at 1.92 s and VLC's clock starts anew somewhere else.
        p.next_display_time(2_000_001);
        p.sought();
        assert!(p.is_preroll(Some(0), 1_920_001, 1_920_001), "a seek's own start: no lead");
        s.flushed();
        let later = 77_000_000;
        s.note(1_920_001 + later, false);
        assert_eq!(s.place(1_920_001 + later, RAW).0, Some(1_920_000));
        assert_eq!(s.video(1_920_001 + later, RAW), Verdict::Keep, "past the start: a seek's frames pass");
        // A discontinuity at the end of a live stream: VLC flushes, then
        // transcode drains a frame decoded before it, on the old clock.
        p.clock_reset();
        s.flushed();
        assert_eq!(s.place(1_960_001 + later, RAW).0, Some(1_960_000));
    }

    #[test]
    fn a_frame_takes_the_fields_of_the_block_it_came_from() {
        let s = Start::new(0, Vec::new(), SharedStart::default());
        s.note_block(Observed::video(1_000_000), false, Fields::TopFirst);
        s.note_block(Observed::video(1_040_000), false, Fields::Unflagged);
        assert_eq!(s.place(1_000_000, RAW).1, Some(Fields::TopFirst));
        assert_eq!(s.place(on_grid(1_040_000, 25, 1), (25, 1)).1, Some(Fields::Unflagged));
        assert_eq!(s.place(5, RAW).1, None, "no such block: not known");
        let extra = VideoExtra { primaries: 1, ..VideoExtra::default() };
        assert_eq!(Start::new(0, Vec::new(), SharedStart::default()).with_source(extra).source(), Some(extra));
    }

    /// A demuxer with no start time that sent `times` of track 0, and a
    /// track that smem_mark sees.
    fn sent(times: &[i64]) -> (Preroll, Start) {
        let p = Preroll::new(0, None, false);
        for &t in times {
            p.is_preroll(Some(0), t, t);
        }
        let s = Start::new(0, vec![Arc::clone(p.point())], SharedStart::default());
        (p, s)
    }

    #[test]
    fn a_pause_moves_vlc_s_clock_and_each_frame_keeps_its_own_time() {
        // 25 fps; the application pauses 1 s after the 3rd frame: VLC's
        // clock moves on by the pause, the stream's does not.
        let stream: Vec<i64> = (0..6).map(|n| n * 40_000 + 1).collect();
        let (_, s) = sent(&stream);
        let vlc = |n: i64| stream[n as usize] + CLOCK + if n >= 3 { 1_000_000 } else { 0 };
        for n in 0..6 {
            s.note(vlc(n), false);
        }
        for n in 0..6 {
            assert_eq!(s.place(vlc(n), RAW).0, Some(n * 40_000), "frame {n}");
            assert_eq!(s.place(on_grid(vlc(n), 25, 1), (25, 1)).0, Some(n * 40_000), "frame {n}, transcoded");
        }
    }

    #[test]
    fn a_rate_change_scales_vlc_s_clock_and_times_stay_the_stream_s() {
        // B-frames in decoding order; from the 4th block on, twice the rate
        // (unpaced: VLC's input refuses a rate while smem paces it): VLC's
        // clock runs half as far per block, and each block is the next sent.
        let stream = [1, 120_001, 40_001, 80_001, 240_001, 160_001, 200_001, 360_001, 280_001];
        let (_, s) = sent(&stream);
        let vlc = |t: i64| if t >= 240_001 { CLOCK + 240_001 + (t - 240_001) / 2 } else { CLOCK + t };
        for &t in &stream {
            s.note(vlc(t), false);
        }
        for &t in &stream {
            assert_eq!(s.place(vlc(t), RAW).0, Some(t - 1), "block at {t}");
        }
    }

    #[test]
    fn a_picture_dated_by_a_later_packet_s_dts_has_that_dts_s_time() {
        // After a pause, libavcodec gave a picture no pts and VLC's decoder
        // dated it by the dts of the packet it was fed: the 2.76 s block,
        // whose dts is 2.72 s in the stream.
        let p = Preroll::new(0, None, false);
        let sent = [(2_720_001, 2_640_001), (2_760_001, 2_720_001)];
        for (pts, dts) in sent {
            p.is_preroll(Some(0), pts, dts);
        }
        let s = Start::new(0, vec![Arc::clone(p.point())], SharedStart::default());
        let paused = 1_040_000;
        s.note(2_720_001 + CLOCK, false);
        let later = Observed { time: 2_760_001 + CLOCK + paused, dts: 2_720_001 + CLOCK + paused, audio_length: None };
        s.note_block(later, false, Fields::Unflagged);
        assert_eq!(s.place(on_grid(later.dts, 25, 1), (25, 1)).0, Some(2_720_000));
        assert_eq!(s.place(on_grid(later.time, 25, 1), (25, 1)).0, Some(2_760_000));
    }

    #[test]
    fn audio_a_packetizer_cut_is_placed_between_the_blocks_sent() {
        // MPEG-TS audio: each block sent holds 3 frames of 24 ms, which the
        // packetizer hands on one by one, stamped by counting samples.
        let (_, s) = sent(&[1, 72_001, 144_001]);
        let frame = |n: i64| {
            let time = CLOCK + n * 24_000 + 1;
            Observed { time, dts: time, audio_length: Some(24_000) }
        };
        for n in 0..9 {
            s.note_block(frame(n), false, Fields::Unflagged);
        }
        for n in 0..9 {
            assert_eq!(s.place(frame(n).time, RAW).0, Some(n * 24_000), "frame {n}");
            assert_eq!(s.place(frame(n).time + 5_000, RAW).0, Some(n * 24_000 + 5_000), "transcode's own block");
        }
    }

    #[test]
    fn a_block_the_packetizer_drops_is_skipped() {
        let stream: Vec<i64> = (0..5).map(|n| n * 40_000 + 1).collect();
        let (_, s) = sent(&stream);
        for n in [0, 1, 3, 4] {
            s.note(stream[n] + CLOCK, false);
        }
        assert_eq!(s.place(stream[3] + CLOCK, RAW).0, Some(120_000));
        assert_eq!(s.place(stream[4] + CLOCK, RAW).0, Some(160_000));
    }

    #[test]
    fn after_a_seek_a_block_from_before_it_keeps_its_clock_and_the_next_pair_anew() {
        let (p, s) = sent(&[1, 40_001, 80_001]);
        s.note(1 + CLOCK, false);
        assert_eq!(s.video(1 + CLOCK, RAW), Verdict::Keep, "no start time: frames pass");
        // The application seeks to 5 s: the demuxer has gone there before
        // VLC's decoder flushes, and the block it was decoding still comes.
        p.next_display_time(5_000_001);
        p.sought();
        for t in [5_000_001, 5_040_001] {
            p.is_preroll(Some(0), t, t);
        }
        s.note(40_001 + CLOCK, false);
        s.flushed();
        let later = 9_000_000;
        s.note(5_000_001 + later, false);
        s.note(5_040_001 + later, false);
        assert_eq!(s.place(40_001 + CLOCK, RAW).0, Some(40_000), "decoded before the seek, out after it");
        assert_eq!(s.place(5_000_001 + later, RAW).0, Some(5_000_000));
        assert_eq!(s.place(5_040_001 + later, RAW).0, Some(5_040_000));
    }

    #[test]
    fn two_blocks_in_one_step_of_the_grid_are_told_apart_by_the_stream() {
        // A live clock moved back 45 ms between two blocks: both are cut
        // down to the same step of the encoder's 25 fps grid.
        let (_, s) = sent(&[640_001, 680_001, 720_001, 760_001]);
        let vlc = [4_980_852, 5_020_852, 5_060_852 - 45_426, 5_100_852 - 45_426];
        for t in vlc {
            s.note(t, false);
        }
        let fps = (25, 1);
        assert_eq!(s.place(on_grid(vlc[0], 25, 1), fps).0, Some(640_000));
        let vlc = &vlc[1..];
        assert_eq!(on_grid(vlc[0], 25, 1), on_grid(vlc[1], 25, 1), "one step");
        assert_eq!(s.place(on_grid(vlc[0], 25, 1), fps).0, Some(680_000));
        assert_eq!(s.place(on_grid(vlc[1], 25, 1), fps).0, Some(720_000), "the next in the stream");
        assert_eq!(s.place(on_grid(vlc[2], 25, 1), fps).0, Some(760_000));
    }

    #[test]
    fn after_a_seek_back_a_step_of_the_grid_is_the_new_block_s() {
        // VLC's clock after a seek back starts below where it was: the new
        // 1.72 s block shares a grid step with the old 2.68 s one.
        let (p, s) = sent(&[2_640_001, 2_680_001]);
        s.note(5_000_001, false);
        s.note(5_040_001, false);
        assert_eq!(s.video(5_000_001, RAW), Verdict::Keep);
        assert_eq!(s.place(on_grid(5_000_001, 25, 1), (25, 1)).0, Some(2_640_000));
        p.next_display_time(1_720_001);
        p.sought();
        p.is_preroll(Some(0), 1_720_001, 1_720_001);
        s.flushed();
        s.note(5_041_000, false);
        assert_eq!(on_grid(5_041_000, 25, 1), on_grid(5_040_001, 25, 1));
        assert_eq!(s.place(on_grid(5_041_000, 25, 1), (25, 1)).0, Some(1_720_000));
    }

    #[test]
    fn matroska_runs_late_by_an_opus_track_s_delay() {
        // ffmpeg's WebM: video stored at 7 ms, which VLC's Matroska demuxer
        // sends at 13.5 ms (an Opus track's 6.5 ms pre-skip).
        let p = Preroll::new(0, None, false).for_demuxer("mkv");
        p.is_preroll(Some(0), 13_501, 13_501);
        p.point().codec_delay(6_500);
        let s = Start::new(0, vec![Arc::clone(p.point())], SharedStart::default());
        s.note(13_501 + CLOCK, false);
        assert_eq!(s.place(13_501 + CLOCK, RAW).0, Some(7_000), "ffprobe's 0.007");
        // Read from the file, the shift is there before the first block,
        // and smem_mark's late word changes nothing.
        let p = Preroll::new(0, None, false).for_demuxer("mkv").with_file_shift(6_500);
        p.is_preroll(Some(0), 13_501, 13_501);
        let s = Start::new(0, vec![Arc::clone(p.point())], SharedStart::default());
        s.note(13_501 + CLOCK, false);
        assert_eq!(s.place(13_501 + CLOCK, RAW).0, Some(7_000), "before the Opus track reached smem_mark");
        p.point().codec_delay(3_000);
        assert_eq!(p.point().shift(), 6_500);
        let mp4 = Preroll::new(0, None, false).for_demuxer("mp4");
        mp4.point().codec_delay(6_500);
        assert_eq!(mp4.point().shift(), 0, "an MP4's edit list is its demuxer's business");
    }
}
