//! Exact start points for smem: two small modules, used together by
//! smem-client when asked for the frames from a start time on.
//!
//! VLC asked to start at a time (`:start-time`) seeks to the key frame
//! before it and decodes from there. A stream output after `transcode`
//! cannot tell which of those frames come before the start: VLC hands it
//! timestamps on its own clock (the machine's uptime, give or take), and
//! the pre-roll flag VLC puts on blocks is lost in the decoder (and, for
//! key frames, in VLC's H.264 packetizer). So:
//!
//! * `smem_preroll`, a demux filter (`:demux-filter=smem_preroll`), sees
//!   what the demuxer sends in the stream's own time: where it seeks to
//!   (`ES_OUT_SET_NEXT_DISPLAY_TIME`, plus `:smem-preroll-lead`) and, per
//!   track, the first block it sends from there. It marks the blocks before
//!   the start pre-roll, so VLC's decoders do not even output most of them.
//! * `smem_mark`, first in the stream chain (`#smem_mark:transcode{...}:smem{...}`),
//!   sees the same blocks on VLC's clock. The first block of a track on
//!   both sides gives the offset between the two clocks, so the start on
//!   VLC's clock; smem (smem-rs) then leaves out what lies before it.
//!
//! Both are keyed by the input they serve. Without smem_preroll smem_mark
//! falls back on VLC's own pre-roll flags, which miss a frame or two around
//! key frames.

#![forbid(unsafe_code)]

mod mkv_delay;
mod mp4_edits;
mod pairing;
mod start;

use std::ffi::CStr;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use crate::ffi::block::BlockChain;
use crate::ffi::demux_filter::{self, EsWatch};
use crate::ffi::descriptor::{ConfigOption, ModuleInfo, OptionDefault, StaticCStr, Visibility};
use crate::ffi::es::{EsFormat, EsKind};
use crate::ffi::filter::{self, StreamFilter};
use crate::ffi::object::Object;
use crate::ffi::stream::{OpenError, Stream};
use crate::ffi::sys;
use crate::smem::options::parse_bool;
pub use mp4_edits::Mp4Edits;
pub use pairing::Observed;
pub use start::{Fields, Preroll, SharedStart, Start, StartPoint, Verdict};

pub const MODULE_NAME: &CStr = smem_names::module::MARK.as_c_str();
pub const PREROLL_NAME: &CStr = smem_names::module::PREROLL.as_c_str();
pub const LEAD_OPTION: &CStr = smem_names::mark::PREROLL_LEAD.as_c_str();
pub const LENGTH_OPTION: &CStr = smem_names::mark::PREROLL_LENGTH.as_c_str();
/// smem_mark's chain option: audio tracks end at smem_mark.
pub const VIDEO_ONLY: &str = smem_names::mark::VIDEO_ONLY.as_str();
const DECODER_THREADS: &str = smem_names::mark::DECODER_THREADS.as_str();

pub static MODULE: ModuleInfo = ModuleInfo {
    name: MODULE_NAME,
    shortname: c"Smem mark",
    description: c"Marks where a start point is, for smem (Rust)",
    capability: c"sout stream",
    score: 10,
    shortcuts: &[StaticCStr::new(MODULE_NAME)],
    category: sys::CAT_SOUT as i64,
    subcategory: sys::SUBCAT_SOUT_STREAM as i64,
    options: &[],
    open: (c"OpenMark", filter::open::<Mark>),
    close: (c"CloseMark", filter::close::<Mark>),
};

/// smem_preroll's options (media options, `:smem-preroll-lead=N`).
pub static PREROLL_OPTIONS: [ConfigOption; 2] = [
    ConfigOption {
        name: LEAD_OPTION,
        default: OptionDefault::Integer(0),
        text: c"How far before the start VLC was asked to start (microseconds)",
        longtext: c"smem_preroll takes the start to be this much after the point the demuxer seeks to: \
                an application asks VLC (:start-time) to start this much before the frames it wants, so that \
                VLC decodes some pre-roll whatever the key frames.",
        advanced: true,
        visibility: Visibility::Volatile,
    },
    ConfigOption {
        name: LENGTH_OPTION,
        default: OptionDefault::Integer(0),
        text: c"How long after the start the frames stop (microseconds; 0: they do not)",
        longtext: c"With smem_mark in the stream chain, smem leaves out the frames this long after the start \
                and later: the end of a segment, as exact as its start.",
        advanced: true,
        visibility: Visibility::Volatile,
    },
];

pub static PREROLL_MODULE: ModuleInfo = ModuleInfo {
    name: PREROLL_NAME,
    shortname: c"Smem preroll",
    description: c"Marks the frames before a start point as pre-roll, for smem (Rust)",
    capability: c"demux_filter",
    score: 0,
    shortcuts: &[StaticCStr::new(PREROLL_NAME)],
    category: sys::CAT_INPUT as i64,
    subcategory: sys::SUBCAT_INPUT_DEMUX as i64,
    options: &PREROLL_OPTIONS,
    open: (c"OpenPreroll", demux_filter::open::<PrerollFilter>),
    close: (c"ClosePreroll", demux_filter::close::<PrerollFilter>),
};

/// Open instances by key (a sout instance, or an input): a small list,
/// searched at Add time, never per frame.
pub(crate) struct Registry<T>(Mutex<Vec<(usize, Weak<T>)>>);

impl<T> Registry<T> {
    pub(crate) const fn new() -> Self {
        Registry(Mutex::new(Vec::new()))
    }

    pub(crate) fn insert(&self, key: usize, value: &Arc<T>) {
        let mut list = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        list.retain(|(_, weak)| weak.strong_count() > 0);
        list.push((key, Arc::downgrade(value)));
    }

    pub(crate) fn find(&self, key: usize) -> Option<Arc<T>> {
        self.find_all(key).pop()
    }

    /// Every one open under `key`, oldest first.
    fn find_all(&self, key: usize) -> Vec<Arc<T>> {
        let list = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        list.iter().filter(|(k, _)| *k == key).filter_map(|(_, weak)| weak.upgrade()).collect()
    }

    /// Forgets `value` (and whatever has gone).
    fn remove(&self, value: &Arc<T>) {
        let mut list = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        list.retain(|(_, weak)| weak.strong_count() > 0 && !std::ptr::eq(weak.as_ptr(), Arc::as_ptr(value)));
    }
}

/// The marks' tracks, by sout instance (smem finds its tracks' starts here).
static MARKS: Registry<Starts> = Registry::new();
/// The demux filters' start points, by player: one for each demuxer of
/// its input (the file and its `:input-slave`s).
static POINTS: Registry<StartPoint> = Registry::new();

/// The start of track `es_id` in the chain of sout instance `instance`, if
/// smem_mark leads it.
pub fn start_of(instance: usize, es_id: i32) -> Option<Arc<Start>> {
    let starts = MARKS.find(instance)?;
    let tracks = starts.tracks.lock().unwrap_or_else(PoisonError::into_inner);
    tracks.iter().rev().find(|s| s.es_id() == es_id).cloned()
}

/// One mark's tracks, and their start on VLC's clock once one has it.
#[derive(Default)]
struct Starts {
    tracks: Mutex<Vec<Arc<Start>>>,
    shared: SharedStart,
}

pub struct Mark {
    input: usize,
    starts: Arc<Starts>,
    /// `smem_mark{video-only}`: audio tracks end here (a grab of video
    /// alone), once their format has said what it has to.
    video_only: bool,
}

impl StreamFilter for Mark {
    /// The track's start, and whether it is audio.
    type Track = Option<(Arc<Start>, bool)>;
    const MODULE_NAME: &'static CStr = MODULE_NAME;

    fn open(stream: &Stream<'_>) -> Result<Self, OpenError> {
        let starts = Arc::new(Starts::default());
        MARKS.insert(stream.instance_key(), &starts);
        stream.debug("smem_mark opened: smem will leave out the frames before the start point");
        let entries = stream.chain_entries();
        let video_only = entries
            .iter()
            .any(|(name, value)| name == VIDEO_ONLY && value.as_deref().is_none_or(|v| parse_bool(v).unwrap_or(true)));
        if let Some((_, value)) = entries.iter().find(|(name, _)| name == DECODER_THREADS) {
            match value.as_deref().map(str::parse::<u16>) {
                Some(Ok(threads)) if stream.set_chain_integer(c"avcodec-threads", i64::from(threads)) => {
                    stream.debug(&format!("smem_mark: the chain's decoders use {threads} thread(s) (0: VLC's choice)"))
                }
                _ => stream.warn(&format!("smem_mark: {DECODER_THREADS}={value:?} not applied (a number of threads)")),
            }
        }
        Ok(Mark { input: stream.input_key(), starts, video_only })
    }

    fn passes(&self, format: &EsFormat) -> bool {
        !(self.video_only && matches!(format.kind, EsKind::Audio(_)))
    }

    fn add(&self, format: &EsFormat) -> Self::Track {
        if !matches!(format.kind, EsKind::Video(_) | EsKind::Audio(_)) {
            return None;
        }
        // smem_preroll opens after the stream chain: it is looked up now.
        let points = POINTS.find_all(self.input);
        if let EsKind::Audio(audio) = &format.kind {
            // A Matroska file's times run late by an Opus track's delay: its
            // first block comes with the video's first ones (files interleave
            // them), before transcode has decoded a picture of those.
            for point in points.iter().filter(|p| audio.codec_delay > 0 && p.sends(format.id)) {
                point.codec_delay(audio.codec_delay);
            }
        }
        let mut start = Start::new(format.id, points, Arc::clone(&self.starts.shared));
        if let EsKind::Video(video) = &format.kind {
            start = start.with_source(video.extra);
        }
        let start = Arc::new(start);
        self.starts.tracks.lock().unwrap_or_else(PoisonError::into_inner).push(Arc::clone(&start));
        Some((start, matches!(format.kind, EsKind::Audio(_))))
    }

    fn observe(&self, track: &Self::Track, blocks: &BlockChain) {
        let Some((start, audio)) = track else { return };
        for block in blocks.iter() {
            let pts = if block.pts() > 0 { block.pts() } else { block.dts() };
            if pts > 0 {
                let seen =
                    Observed { time: pts, dts: block.dts().max(0), audio_length: audio.then_some(block.length()) };
                start.note_block(seen, block.is_preroll(), fields_of(block.flags()));
            }
        }
    }

    fn flush(&self, track: &Self::Track) {
        if let Some((start, _)) = track {
            start.flushed();
        }
    }

    fn close(self, stream: &Stream<'_>) {
        MARKS.remove(&self.starts);
        stream.debug("smem_mark closed");
    }
}

/// How VLC's packetizer flagged a block's fields, from its `BLOCK_FLAG_*`.
pub fn fields_of(flags: u32) -> Fields {
    if flags & sys::BLOCK_FLAG_TOP_FIELD_FIRST != 0 {
        Fields::TopFirst
    } else if flags & sys::BLOCK_FLAG_BOTTOM_FIELD_FIRST != 0 {
        Fields::BottomFirst
    } else {
        Fields::Unflagged
    }
}

/// smem_preroll: a [`Preroll`] registered for its input, and the true
/// times of an MP4's first pictures (see [`Mp4Edits`]).
pub struct PrerollFilter {
    preroll: Preroll,
    edits: Option<Mutex<Mp4Edits>>,
}

/// What VLC 3's MP4 demuxer stamps late in a local `file` (it stamps
/// nothing late in files it does not demux).
fn mp4_edits(log: &Object<'_>, demuxer: &str, file: Option<&Path>) -> Option<Mutex<Mp4Edits>> {
    let file = file.filter(|_| demuxer == "mp4")?;
    match Mp4Edits::read(file) {
        Ok(edits) if edits.is_empty() => None,
        Ok(edits) => {
            log.debug(
                "smem_preroll: the MP4 demuxer stamps the first pictures late (an edit list): their own times restored",
            );
            Some(Mutex::new(edits))
        }
        Err(e) => {
            log.warn(&format!("smem_preroll: cannot read the MP4's tables ({e}): its first pictures keep VLC's times"));
            None
        }
    }
}

/// The largest codec delay of a local Matroska `file`, by which VLC 3's
/// demuxer runs its times late (see [`mkv_delay`]).
fn mkv_codec_delay(log: &Object<'_>, demuxer: &str, file: Option<&Path>) -> Option<i64> {
    let file = file.filter(|_| demuxer == "mkv")?;
    match mkv_delay::read(file) {
        Ok(Some(delay)) => {
            if delay > 0 {
                log.debug(&format!("smem_preroll: the Matroska demuxer runs {delay} us late (a track's codec delay)"));
            }
            Some(delay)
        }
        Ok(None) => None,
        Err(e) => {
            log.warn(&format!("smem_preroll: cannot read the Matroska tracks ({e}): the codec delay is learnt later"));
            None
        }
    }
}

impl EsWatch for PrerollFilter {
    const MODULE_NAME: &'static CStr = PREROLL_NAME;

    fn open(log: &Object<'_>, input: usize, demuxer: &str, file: Option<&Path>) -> Self {
        let lead = log.var_inherit_integer(LEAD_OPTION).unwrap_or(0);
        let length = log.var_inherit_integer(LENGTH_OPTION);
        let seek_pending = log.var_inherit_float(c"start-time").is_some_and(|start| start > 0.0);
        let mut preroll = Preroll::new(lead, length, seek_pending).for_demuxer(demuxer);
        if let Some(delay) = mkv_codec_delay(log, demuxer, file) {
            preroll = preroll.with_file_shift(delay);
        }
        POINTS.insert(input, preroll.point());
        log.debug(&format!("smem_preroll opened: blocks before the start point (+{lead} us) are marked pre-roll"));
        PrerollFilter { preroll, edits: mp4_edits(log, demuxer, file) }
    }

    fn next_display_time(&self, time: i64) {
        self.preroll.next_display_time(time)
    }

    fn sought(&self) {
        self.preroll.sought();
        self.restart_edits();
    }

    fn clock_reset(&self) {
        self.preroll.clock_reset();
        self.restart_edits();
    }

    fn true_pts(&self, es_id: Option<i32>, pts: i64, dts: i64) -> Option<i64> {
        self.edits.as_ref()?.lock().unwrap_or_else(PoisonError::into_inner).true_pts(es_id?, pts, dts)
    }

    fn is_preroll(&self, es_id: Option<i32>, pts: i64, dts: i64) -> bool {
        self.preroll.is_preroll(es_id, pts, dts)
    }
}

impl PrerollFilter {
    fn restart_edits(&self) {
        if let Some(edits) = &self.edits {
            edits.lock().unwrap_or_else(PoisonError::into_inner).restart();
        }
    }
}

impl Drop for PrerollFilter {
    fn drop(&mut self) {
        POINTS.remove(self.preroll.point());
    }
}
