//! smem: stream output to memory. For every raw frame, asks the
//! application for a buffer (prerender), copies the picture or PCM into it,
//! and hands it back with its format and pts (postrender).
//!
//! A drop-in replacement for VLC 3.0's C `smem`: same options, defaults and
//! callback signatures. Differences, all deliberate: option values are
//! validated and callback addresses must point at code; a track without
//! callbacks is refused once instead of failing on every block; video is
//! delivered with the size that describes its bytes; `time-sync=false`
//! really unpaces the input; `realtime=true` (ours, off by default) paces
//! from the first frame (VLC hands over its first buffered second at once,
//! as stock did and still does without it); a NULL
//! buffer drops one frame with a rate-limited message; `queue=N` and `drop`
//! (off by default) let Send return before the callbacks run.

#![forbid(unsafe_code)]

pub mod allocator;
pub mod formats;
pub mod geometry;
pub mod options;
pub mod pace;
pub mod queue;

use std::ffi::CStr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::camera_clock::CameraClock;
use crate::ffi::block::BlockChain;
use crate::ffi::callbacks::{AudioBlockInfo, AudioCallbacks, NoBuffer, VideoCallbacks, VideoFrameInfo};
use crate::ffi::descriptor::{ModuleInfo, OptionDefault, StaticCStr};
use crate::ffi::es::{AudioFormat, EsFormat, EsKind, VideoExtra, VideoFormat};
use crate::ffi::exec_maps::{CodeAddress, Executable};
use crate::ffi::frame::{AudioDescription, Description, FrameCallback, FrameHeader, Holds, VideoDescription};
use crate::ffi::object::{HeldObject, Object};
use crate::ffi::process::minor_faults;
use crate::ffi::stream::{self, guarded, OpenError, Stream, StreamOutput};
use crate::ffi::sys;
use crate::fourcc::Fourcc;
use crate::mark::{self, Fields, Start, Verdict};
use allocator::FaultWatch;
use formats::Chroma;
use geometry::{FramePlan, Layout, Picture};
use options::{RawOptions, Settings, Sink};
use queue::{Consumer, DeliveryThread, TrackId};

/*** Module descriptor ***/

pub const MODULE_NAME: &CStr = smem_names::module::SMEM_RS.as_c_str();
/// Above the stock module's (0), so `smem` means this one when both are installed.
pub const SCORE: i32 = 100;

pub static MODULE: ModuleInfo = ModuleInfo {
    name: MODULE_NAME,
    shortname: c"Smem",
    description: c"Stream output to memory buffer (Rust)",
    capability: c"sout stream",
    score: SCORE,
    shortcuts: &[StaticCStr::new(smem_names::module::SMEM.as_c_str()), StaticCStr::new(MODULE_NAME)],
    category: sys::CAT_SOUT as i64,
    subcategory: sys::SUBCAT_SOUT_STREAM as i64,
    options: &options::OPTIONS,
    open: (c"Open", stream::open::<Smem>),
    close: (c"Close", stream::close::<Smem>),
};

/*** Open / Close ***/

/// Where a kind's frames go: stock's pair (a copy into the application's
/// buffer) or the frame callback (VLC's block itself, described).
#[derive(Clone, Copy)]
enum Output<Pair> {
    Legacy(Pair),
    Frames(FrameCallback),
}

pub struct Smem {
    video: Option<Output<VideoCallbacks>>,
    audio: Option<Output<AudioCallbacks>>,
    /// The frames the application holds (frame callbacks), and their bound.
    holds: Arc<Holds>,
    /// Bumped at every new track and every format change of one.
    generation: Arc<AtomicU32>,
    time_sync: bool,
    /// `realtime` (with `time-sync`): each frame held until its date,
    /// counted from the first frame's (VLC's first second comes at once
    /// otherwise). Opt-in: a live source paces itself, and holding its
    /// frames to their dates would keep VLC's caching as latency.
    pacer: Option<pace::Pacer>,
    /// `queue=N`: the thread that calls every callback. Without it, Send
    /// calls them on VLC's thread, as stock did, under VLC's sout lock:
    /// never two at once, and applications may rely on that.
    queue: Option<DeliveryThread<Deliverer>>,
    next_track: AtomicU64,
    /// Without `tune-allocator`, video tracks watch for a page-fault storm.
    watch_faults: bool,
}

/// Every option's raw value: the chain's text where it has one, else the
/// variable `config_ChainParse` made (an inherited `--sout-smem-*` or the
/// default).
fn read_options(stream: &Stream<'_>) -> RawOptions {
    let names: Vec<&CStr> = options::OPTIONS.iter().map(options::chain_name).collect();
    stream.parse_config(options::PREFIX, &names);
    RawOptions::read(&stream.chain_entries(), |option| match option.default {
        OptionDefault::String(_) | OptionDefault::Password(_) => stream.var_string(option.name),
        OptionDefault::Bool(_) => stream.var_bool(option.name).map(|b| b.to_string()),
        OptionDefault::Integer(_) => stream.var_integer(option.name).map(|n| n.to_string()),
    })
}

/// The application's callbacks, each address found in executable memory
/// before it is ever called; every address that is not is logged, then the
/// chain is refused.
struct Outputs {
    video: Option<Output<VideoCallbacks>>,
    audio: Option<Output<AudioCallbacks>>,
}

fn outputs(stream: &Stream<'_>, video: Option<Sink>, audio: Option<Sink>) -> Result<Outputs, OpenError> {
    let mut executable = Executable::default();
    let mut ok = true;
    let mut code = |kind: &str, sink: &Sink| -> Vec<CodeAddress> {
        let mut found = Vec::new();
        for (option, address) in sink.code_addresses(kind) {
            match executable.code(address) {
                Ok(Some(code)) => found.push(code),
                Err(e) => {
                    stream.error(&format!("cannot read /proc/self/maps to check the callback addresses: {e}"));
                    ok = false;
                }
                Ok(None) => {
                    stream.error(&format!(
                        "invalid value \"{address}\" for option {}{option}: \
                         {address:#x} is not the address of a function in this process",
                        options::PREFIX_STR
                    ));
                    ok = false;
                }
            }
        }
        found
    };
    let video = video.map(|sink| (code("video", &sink), sink));
    let audio = audio.map(|sink| (code("audio", &sink), sink));
    if !ok {
        return Err(OpenError::Refused);
    }
    let video = video.map(|(code, sink)| match sink {
        Sink::Legacy(a) => Output::Legacy(VideoCallbacks::new(code[0], code[1], a.data)),
        Sink::Frames { data, .. } => Output::Frames(FrameCallback::new(code[0], data)),
    });
    let audio = audio.map(|(code, sink)| match sink {
        Sink::Legacy(a) => Output::Legacy(AudioCallbacks::new(code[0], code[1], a.data)),
        Sink::Frames { data, .. } => Output::Frames(FrameCallback::new(code[0], data)),
    });
    Ok(Outputs { video, audio })
}

impl StreamOutput for Smem {
    type Track = Track;
    const MODULE_NAME: &'static CStr = MODULE_NAME;

    fn open(stream: &Stream<'_>) -> Result<Self, OpenError> {
        let settings = options::validate(&read_options(stream)).map_err(|errors| {
            for e in &errors {
                stream.error(&e.to_string());
            }
            stream.error("refusing the smem chain: no callback is called with an invalid value");
            OpenError::Refused
        })?;
        let Settings { video, audio, time_sync, realtime, delivery, drop_without_queue, tune_allocator, max_held } =
            settings;
        if video.is_none() && audio.is_none() {
            stream.error(
                "no callbacks given: set sout-smem-video-prerender-callback and \
                 sout-smem-video-postrender-callback (or the audio pair), or a frame callback \
                 (sout-smem-video-frame-callback, sout-smem-audio-frame-callback)",
            );
            return Err(OpenError::Refused);
        }
        let Outputs { video, audio } = outputs(stream, video, audio)?;
        if tune_allocator {
            allocator::tune(stream);
        }
        if realtime && !time_sync {
            stream.warn("sout-smem-realtime has no effect while sout-smem-time-sync is false: nothing paces the input");
        }
        if drop_without_queue {
            stream.warn("sout-smem-drop has no effect while sout-smem-queue is 0: every frame is delivered in Send");
        }
        let queue = match delivery {
            options::Delivery::Synchronous => None,
            options::Delivery::Queued { frames, drop } => {
                let thread = DeliveryThread::spawn("smem-deliver", frames, drop, Deliverer { log: stream.hold() });
                Some(thread.map_err(|e| {
                    stream.error(&format!("cannot start the delivery thread: {e}"));
                    OpenError::Refused
                })?)
            }
        };
        stream.debug(&format!(
            "smem (Rust) opened: video callbacks {}, audio callbacks {}, time-sync {time_sync}, realtime {realtime}, delivery {}, max-held {max_held}",
            output_name(&video),
            output_name(&audio),
            match delivery {
                options::Delivery::Synchronous => "synchronous (in Send)".to_owned(),
                options::Delivery::Queued { frames, drop } =>
                    format!("queued (up to {frames} per track, drop {drop}) on thread smem-deliver"),
            }
        ));
        Ok(Smem {
            video,
            audio,
            holds: Holds::new(max_held, stream.hold()),
            generation: Arc::new(AtomicU32::new(0)),
            time_sync,
            pacer: (time_sync && realtime).then(pace::Pacer::default),
            queue,
            next_track: AtomicU64::new(0),
            watch_faults: !tune_allocator,
        })
    }

    fn pace_nocontrol(&self) -> bool {
        self.time_sync
    }

    fn close(self, stream: &Stream<'_>) {
        // Delivers what is left (nothing, after every Del) and joins the thread.
        if let Some(queue) = self.queue {
            queue.finish();
        }
        let held = self.holds.close();
        if held > 0 {
            stream.warn(&format!(
                "the application still holds {held} frames: each stays valid until it is released \
                 (smem_frame_t.release)"
            ));
        }
        stream.debug("smem (Rust) closed");
    }

    /*** Add / Del / Flush ***/

    fn add(&self, stream: &Stream<'_>, es: &EsFormat) -> Option<Track> {
        let start = crate::mark::start_of(stream.instance_key(), es.id);
        let media = match es.kind {
            EsKind::Video(format) => {
                let source = start.as_ref().and_then(|s| s.source());
                Media::Video(Box::new(self.add_video(stream, es, format, source)?))
            }
            EsKind::Audio(format) => Media::Audio(self.add_audio(stream, es, format)?),
            EsKind::Other(_) => {
                stream.debug(&format!("track {} ({}) is neither video nor audio: not delivered", es.id, es.codec));
                return None;
            }
        };
        let kind = media.kind();
        let dropped = Arc::new(AtomicU64::new(0));
        let frames = FrameSource {
            holds: Arc::clone(&self.holds),
            es_id: es.id,
            generations: Arc::clone(&self.generation),
            generation: self.generation.fetch_add(1, Ordering::Relaxed) + 1,
            dropped: Arc::clone(&dropped),
        };
        let delivery = Arc::new(Mutex::new(Delivery { media, frames, stats: Stats::default() }));
        let id = self.next_track.fetch_add(1, Ordering::Relaxed);
        let faults = (self.watch_faults && kind == Kind::Video).then(FaultWatch::default);
        let frame_rate = match &es.kind {
            EsKind::Video(format) => format.extra.frame_rate,
            _ => (0, 0),
        };
        let start = start.map(|start| (start, frame_rate));
        // An input with a camera clock (smem_rtsp) opened before its tracks came.
        let camera = start.as_ref().and_then(|_| crate::camera_clock::for_input(stream.input_key()));
        let (before_start, after_stop, previous_media_time) = (0, 0, None);
        Some(Track {
            id,
            kind,
            delivery,
            queue_dropped: 0,
            dropped,
            faults,
            start,
            before_start,
            after_stop,
            camera,
            previous_media_time,
        })
    }

    fn del(&self, stream: &Stream<'_>, track: Track) {
        // Every frame of this track queued so far is delivered first.
        if let Some(queue) = &self.queue {
            queue.drain(track.id);
        }
        let stats = track.delivery.lock().unwrap_or_else(PoisonError::into_inner).stats;
        let dropped = stats.no_buffer + track.queue_dropped;
        if track.start.is_some() {
            stream.debug(&format!(
                "{} track: {} frames before the start and {} after the stop left out (smem_mark)",
                track.kind, track.before_start, track.after_stop
            ));
        }
        stream.debug(&format!(
            "{} track ended: {} delivered, {dropped} dropped ({} given no buffer, {} by the full queue), {} bytes copied",
            track.kind, stats.delivered, stats.no_buffer, track.queue_dropped, stats.copied
        ));
    }

    fn flush(&self, stream: &Stream<'_>, track: &mut Track) {
        // A seek: what is queued from before it never reaches the application.
        let discarded = self.queue.as_ref().map_or(0, |queue| queue.flush(track.id).len());
        if let Some(pacer) = &self.pacer {
            pacer.restart();
        }
        stream.debug(&format!("{} track flushed: {discarded} queued frames discarded", track.kind));
    }

    /*** Send ***/

    /// Synchronous: delivers the chain here, on VLC's thread, before
    /// returning. Queued: hands its frames to the queue, one by one.
    fn send(&self, stream: &Stream<'_>, track: &mut Track, mut blocks: BlockChain) {
        if let Some((start, frame_rate)) = &track.start {
            let kind = track.kind;
            let (mut before, mut after) = (0, 0);
            blocks.retain(|block| {
                let verdict = match kind {
                    Kind::Video => start.video(block.pts(), *frame_rate),
                    Kind::Audio => start.audio(block.pts(), block.pts().saturating_add(block.length())),
                };
                match verdict {
                    Verdict::Keep => return true,
                    Verdict::BeforeStart => before += 1,
                    Verdict::AfterStop => after += 1,
                }
                false
            });
            track.before_start += before;
            track.after_stop += after;
        }
        if let Some(watch) = &mut track.faults {
            let bytes = blocks.iter().map(|b| b.data().len()).sum();
            if let Some(per_frame) = watch.frame(bytes, minor_faults) {
                allocator::hint(stream, track.kind, per_frame);
            }
        }
        while let Some(frame) = blocks.pop_front() {
            let date = frame.iter().next().map(|block| block.pts()).filter(|date| *date > 0);
            if let (Some(pacer), Some(date)) = (&self.pacer, date) {
                let wait = pacer.wait(date, crate::ffi::vlccore::now());
                if wait > 0 {
                    std::thread::sleep(std::time::Duration::from_micros(wait.unsigned_abs()));
                }
            }
            let stamp = track.stamp(&frame);
            let Some(queue) = &self.queue else {
                deliver(stream, &track.delivery, frame, stamp);
                continue;
            };
            if let Some(dropped) = queue.push(track.id, (Arc::clone(&track.delivery), frame, stamp)) {
                drop(dropped);
                track.queue_dropped += 1;
                track.dropped.fetch_add(1, Ordering::Relaxed);
                // 1st, 10th, 100th...: a live source cannot flood the log.
                if is_power_of_ten(track.queue_dropped) {
                    stream.warn(&format!(
                        "{} queue full: a frame was dropped ({} dropped so far)",
                        track.kind, track.queue_dropped
                    ));
                }
            }
        }
    }
}

fn output_name<P>(output: &Option<Output<P>>) -> &'static str {
    match output {
        None => "none",
        Some(Output::Legacy(_)) => "set",
        Some(Output::Frames(_)) => "frame callback",
    }
}

impl Smem {
    /// `source`: the track's format before transcode (smem_mark's), for the
    /// colour transcode drops.
    fn add_video(
        &self,
        stream: &Stream<'_>,
        es: &EsFormat,
        format: VideoFormat,
        source: Option<VideoExtra>,
    ) -> Option<VideoTrack> {
        let Some(output) = self.video else {
            stream.error(&format!(
                "video track {} ({}) refused: no video callbacks were given \
                 (sout-smem-video-prerender-callback/-postrender-callback)",
                es.id, es.codec
            ));
            return None;
        };
        let chroma = formats::chroma(format.chroma).or_else(|| formats::chroma(es.codec));
        match chroma {
            Some(c) => stream.debug(&format!(
                "video track {}: {} {}x{} (visible {}x{} at {},{})",
                es.id,
                c.fourcc,
                format.width,
                format.height,
                format.visible_width,
                format.visible_height,
                format.x_offset,
                format.y_offset
            )),
            None => stream.warn(&format!(
                "video track {}: {} is not raw video; its buffers will hold the {} data as it is \
                 (use transcode{{vcodec=RV24}} or another raw chroma for pictures)",
                es.id, es.codec, es.codec
            )),
        }
        let (extra, color_source) = colour(format.extra, source, format.chroma);
        let format = VideoFormat { extra, ..format };
        Some(VideoTrack { output, codec: es.codec, format, chroma, plan: None, described: None, color_source })
    }

    fn add_audio(&self, stream: &Stream<'_>, es: &EsFormat, format: AudioFormat) -> Option<AudioTrack> {
        let Some(output) = self.audio else {
            stream.error(&format!(
                "audio track {} ({}) refused: no audio callbacks were given \
                 (sout-smem-audio-prerender-callback/-postrender-callback)",
                es.id, es.codec
            ));
            return None;
        };
        let Some(bits_per_sample) = formats::audio_bits_per_sample(es.codec) else {
            stream.error(&format!(
                "audio track {} refused: {} is not raw PCM (use transcode{{acodec=s16l}} or another PCM format)",
                es.id, es.codec
            ));
            return None;
        };
        if format.channels == 0 || format.rate == 0 {
            stream.error(&format!(
                "audio track {} ({}) refused: its format says {} channels at {} Hz",
                es.id, es.codec, format.channels, format.rate
            ));
            return None;
        }
        stream.debug(&format!("audio track {}: {} {} channels {} Hz", es.id, es.codec, format.channels, format.rate));
        Some(AudioTrack { output, codec: es.codec, format, bits_per_sample })
    }
}

/*** Tracks ***/

#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    delivered: u64,
    /// Frames the application gave no buffer for.
    no_buffer: u64,
    /// Bytes our code copied (into the legacy callbacks' buffers; the
    /// frame ABI copies none). `make bench` reads it from the log.
    copied: u64,
}

/// A track VLC added. Its delivery state travels with each queued frame.
pub struct Track {
    id: TrackId,
    kind: Kind,
    delivery: Arc<Mutex<Delivery>>,
    /// Frames the full queue dropped (`drop=oldest|newest`).
    queue_dropped: u64,
    /// Drops not yet told to the application (`dropped_before`).
    dropped: Arc<AtomicU64>,
    /// Video without `tune-allocator`: is VLC's pipeline page-faulting?
    faults: Option<FaultWatch>,
    /// Where the start is, when smem_mark leads the chain, and the video's
    /// frame rate (0/0 for audio).
    start: Option<(Arc<Start>, (u32, u32))>,
    /// Frames left out as before the start, and as after the stop.
    before_start: u64,
    after_stop: u64,
    /// The camera's clock and gaps, when the input has them (an RTSP
    /// input) and smem_mark gives the frames their media time.
    camera: Option<Arc<CameraClock>>,
    /// The media time of the track's previous frame: whether a gap lies
    /// between it and the next.
    previous_media_time: Option<i64>,
}

impl Track {
    /// What smem knows of a frame when VLC sends it, before any queue: its
    /// media time (with smem_mark and smem_preroll).
    fn stamp(&mut self, frame: &BlockChain) -> Stamp {
        let Some(block) = frame.iter().next() else { return Stamp::default() };
        let rate = |frame_rate: (u32, u32)| if self.kind == Kind::Video { frame_rate } else { (0, 0) };
        let (media_time, fields) = match &self.start {
            Some((start, frame_rate)) => start.place(block.pts(), rate(*frame_rate)),
            // The packetizer's flags on the frame's own block, when it has
            // them: an encoder in transcode flags none.
            None => (None, Some(mark::fields_of(block.flags())).filter(|f| *f != Fields::Unflagged)),
        };
        // Fields: the packetizer's, on the block the frame was decoded from
        // (smem_mark's); audio has none.
        let fields = fields.filter(|_| self.kind == Kind::Video);
        let field_order = match fields {
            None => sys::SMEM_FIELDS_UNKNOWN,
            Some(Fields::Unflagged) => sys::SMEM_FIELDS_PROGRESSIVE,
            Some(Fields::TopFirst) => sys::SMEM_FIELDS_TOP_FIRST,
            Some(Fields::BottomFirst) => sys::SMEM_FIELDS_BOTTOM_FIRST,
        };
        let (mut camera_time, mut gap_before) = (None, 0);
        if let (Some(camera), Some(time)) = (&self.camera, media_time) {
            camera_time = camera.camera_time(time);
            gap_before = camera.gap_before(self.previous_media_time, time);
            self.previous_media_time = Some(time);
        }
        Stamp { media_time, field_order, camera_time, gap_before }
    }
}

pub struct Delivery {
    media: Media,
    frames: FrameSource,
    stats: Stats,
}

/// What a track's frames tell beyond their format (the frame ABI).
struct FrameSource {
    holds: Arc<Holds>,
    es_id: i32,
    /// The output's generation counter, and this track's current value.
    generations: Arc<AtomicU32>,
    generation: u32,
    dropped: Arc<AtomicU64>,
}

impl FrameSource {
    fn header(&self, stamp: Stamp) -> FrameHeader {
        FrameHeader {
            es_id: self.es_id,
            generation: self.generation,
            dropped_before: self.dropped.swap(0, Ordering::Relaxed),
            media_time: stamp.media_time,
            field_order: stamp.field_order,
            camera_time: stamp.camera_time,
            gap_before: stamp.gap_before,
        }
    }
    /// The track's format changed: its frames get a new generation.
    fn next_generation(&mut self) {
        self.generation = self.generations.fetch_add(1, Ordering::Relaxed) + 1;
    }
}

/// What smem knows of a frame when VLC sends it (see [`Track::stamp`]),
/// carried with it through the queue.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stamp {
    media_time: Option<i64>,
    /// `SMEM_FIELDS_*`.
    field_order: u32,
    /// Microseconds since the Unix epoch on the camera's clock.
    camera_time: Option<i64>,
    /// The gap (a reconnect) before the frame, microseconds; 0 if none.
    gap_before: i64,
}

/// The delivery thread's own state: the stream, held for logging.
pub struct Deliverer {
    log: HeldObject,
}

/// A track's kind, as the log names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Video,
    Audio,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Video => "video",
            Kind::Audio => "audio",
        })
    }
}

enum Media {
    /// Boxed: a video track's state (format, plan) is several times an audio one's.
    Video(Box<VideoTrack>),
    Audio(AudioTrack),
}

impl Media {
    fn kind(&self) -> Kind {
        match self {
            Media::Video(_) => Kind::Video,
            Media::Audio(_) => Kind::Audio,
        }
    }
}

impl Consumer for Deliverer {
    type Item = (Arc<Mutex<Delivery>>, BlockChain, Stamp);

    fn consume(&mut self, (track, frame, stamp): Self::Item) {
        deliver(&self.log.object(), &track, frame, stamp);
    }
}

/// Delivers a frame of `track`'s, in Send or on the queue's thread: a panic
/// is logged as `internal error in Deliver` and that frame is dropped.
fn deliver(log: &Object<'_>, track: &Mutex<Delivery>, frame: BlockChain, stamp: Stamp) {
    guarded(log, "Deliver", (), || track.lock().unwrap_or_else(PoisonError::into_inner).deliver(log, frame, stamp))
}

impl Delivery {
    /// A frame the application gives no buffer for is dropped, and the
    /// stream goes on (stock smem's Send failed, and VLC then stopped the
    /// whole stream: "cannot continue streaming due to errors").
    fn deliver(&mut self, log: &Object<'_>, mut blocks: BlockChain, stamp: Stamp) {
        let Delivery { media, frames, stats } = self;
        while let Some(block) = blocks.pop_front() {
            let header = frames.header(stamp);
            let delivered = match media {
                Media::Video(v) => v.send(log, frames, &header, block),
                Media::Audio(a) => a.send(frames, &header, block),
            };
            match delivered {
                Ok(copied) => {
                    stats.delivered += 1;
                    stats.copied += copied as u64;
                }
                Err(NoBuffer) => {
                    stats.no_buffer += 1;
                    // 1st, 10th, 100th...: a stuck client cannot flood the log.
                    if is_power_of_ten(stats.no_buffer) {
                        log.error(&format!(
                            "the {} prerender callback gave no buffer: frame dropped ({} dropped so far)",
                            media.kind(),
                            stats.no_buffer
                        ));
                    }
                }
            }
        }
    }
}

pub struct VideoTrack {
    output: Output<VideoCallbacks>,
    /// The ES's codec: what the frame ABI names when the data is not raw.
    codec: Fourcc,
    format: VideoFormat,
    chroma: Option<Chroma>,
    /// The plan for the current block size; blocks of one track keep one
    /// size, so this is made once and reused for every frame.
    plan: Option<FramePlan>,
    /// The frame ABI's description for the current block size.
    described: Option<(usize, VideoDescription)>,
    /// `SMEM_COLOR_*`: where the format's colour comes from.
    color_source: u32,
}

impl VideoTrack {
    /// The plan for blocks of `block_len` bytes, made on the first one and
    /// kept (and borrowed, not copied) for every frame after it.
    fn plan_for(&mut self, log: &Object<'_>, block_len: usize) -> &FramePlan {
        if self.plan.as_ref().is_some_and(|p| p.block_len != block_len) {
            self.plan = None;
        }
        let (chroma, format) = (self.chroma.as_ref(), &self.format);
        self.plan.get_or_insert_with(|| {
            let plan = match chroma {
                Some(chroma) => FramePlan::new(chroma, format, block_len),
                None => FramePlan::opaque(format, block_len),
            };
            if let (Some(chroma), Layout::Opaque) = (chroma, plan.layout) {
                warn_unexplained(log, chroma, format, block_len);
            }
            plan
        })
    }

    /// The description of blocks of `block_len` bytes; a new size (after
    /// the first) is a new format, so a new generation.
    fn describe(&mut self, log: &Object<'_>, frames: &mut FrameSource, block_len: usize) -> &VideoDescription {
        match &self.described {
            // Encoded data (no chroma) is described the same whatever its size.
            Some((len, _)) if *len == block_len || self.chroma.is_none() => {}
            previous => {
                let picture = self.chroma.as_ref().and_then(|c| geometry::locate(c, &self.format, block_len));
                if let (Some(chroma), None) = (self.chroma.as_ref(), picture) {
                    warn_unexplained(log, chroma, &self.format, block_len);
                }
                let description = VideoDescription {
                    color_source: self.color_source,
                    ..video_description(&self.format, self.codec, self.chroma.as_ref(), picture)
                };
                if previous.as_ref().is_some_and(|(_, d)| *d != description) {
                    frames.next_generation();
                }
                self.described = Some((block_len, description));
            }
        }
        &self.described.as_ref().expect("described just above").1
    }

    /// Delivers one frame; returns the bytes copied.
    fn send(
        &mut self,
        log: &Object<'_>,
        frames: &mut FrameSource,
        header: &FrameHeader,
        block: BlockChain,
    ) -> Result<usize, NoBuffer> {
        let Some(first) = block.iter().next() else { return Ok(0) };
        let (data, pts) = (first.data(), first.pts());
        match self.output {
            Output::Legacy(callbacks) => {
                // Stock reports 0 for what it does not know as raw video.
                let pixel_pitch = self.chroma.as_ref().map_or(0, Chroma::pixel_pitch);
                let plan = self.plan_for(log, data.len());
                let info = VideoFrameInfo { width: plan.width, height: plan.height, pixel_pitch, pts };
                callbacks.deliver(plan.size, info, |dst| plan.copy(data, dst)).map(|()| plan.size)
            }
            Output::Frames(callback) => {
                let description = *self.describe(log, frames, data.len());
                callback.deliver(&frames.holds, header, Description::Video(&description), block);
                Ok(0)
            }
        }
    }
}

fn warn_unexplained(log: &Object<'_>, chroma: &Chroma, format: &VideoFormat, block_len: usize) {
    let (visible_w, visible_h) = geometry::visible_size(format);
    log.warn(&format!(
        "a {} block of {block_len} bytes is neither {visible_w}x{visible_h} nor {}x{} packed: delivered as it is",
        chroma.fourcc, format.width, format.height
    ));
}

/// The colour of a track's frames in `chroma`, and where it comes from
/// (`SMEM_COLOR_*`): the frames' own format's when it says any, else the
/// source track's (before transcode, which drops it). The range is then the
/// chroma's: transcode converts a full-range picture (VLC's J420...) into a
/// YUV chroma's limited range (measured: ffmpeg's yuv420p of a full-range
/// H.264, byte for byte); RGB and J chromas are full.
fn colour(own: VideoExtra, source: Option<VideoExtra>, chroma: Fourcc) -> (VideoExtra, u32) {
    let says = |e: &VideoExtra| e.color_space != 0 || e.primaries != 0 || e.transfer != 0 || e.color_range_full;
    let full = |c: Fourcc| {
        const RGB: [&[u8; 4]; 8] = [b"RV32", b"RV24", b"RGBA", b"BGRA", b"ARGB", b"RV16", b"RV15", b"RGBP"];
        c.0.to_le_bytes()[0] == b'J' || RGB.iter().any(|code| Fourcc::new(code) == c)
    };
    match source {
        _ if says(&own) => (own, sys::SMEM_COLOR_FRAMES),
        Some(src) if says(&src) => (
            VideoExtra {
                color_space: src.color_space,
                color_range_full: full(chroma),
                primaries: src.primaries,
                transfer: src.transfer,
                ..own
            },
            sys::SMEM_COLOR_SOURCE,
        ),
        _ => (own, sys::SMEM_COLOR_UNKNOWN),
    }
}

/// The frame ABI's description of a track's blocks: the located picture,
/// or (not raw, or a size we cannot explain) the format with no planes.
fn video_description(
    format: &VideoFormat,
    codec: Fourcc,
    chroma: Option<&Chroma>,
    picture: Option<Picture>,
) -> VideoDescription {
    let (width, height) = picture.map_or((format.width, format.height), |p| (p.width, p.height));
    // A visible part smaller than the coded picture starts at VLC's offsets.
    let (x_offset, y_offset) =
        if (width, height) != (format.width, format.height) { (format.x_offset, format.y_offset) } else { (0, 0) };
    let mut description = VideoDescription {
        chroma: chroma.map_or(codec.0, |c| c.fourcc.0),
        width,
        height,
        x_offset,
        y_offset,
        coded_width: format.width,
        coded_height: format.height,
        extra: format.extra,
        pixel: chroma.map_or((0, 0), |c| c.pixel),
        ..VideoDescription::default()
    };
    if let Some(picture) = picture {
        for (out, plane) in description.planes.iter_mut().zip(picture.planes()) {
            *out = *plane;
        }
        description.plane_count = picture.planes().len();
    }
    description
}

pub struct AudioTrack {
    output: Output<AudioCallbacks>,
    codec: Fourcc,
    format: AudioFormat,
    bits_per_sample: u32,
}

impl AudioTrack {
    /// Delivers one block; returns the bytes copied.
    fn send(&mut self, frames: &FrameSource, header: &FrameHeader, block: BlockChain) -> Result<usize, NoBuffer> {
        let Some(first) = block.iter().next() else { return Ok(0) };
        let (data, pts) = (first.data(), first.pts());
        let frame_bytes = (self.bits_per_sample / 8).max(1) as usize * self.format.channels as usize;
        let samples = (data.len() / frame_bytes) as u32;
        match self.output {
            Output::Legacy(callbacks) => {
                let info = AudioBlockInfo {
                    channels: self.format.channels,
                    rate: self.format.rate,
                    nb_samples: samples,
                    bits_per_sample: self.bits_per_sample,
                    pts,
                };
                callbacks.deliver(data.len(), info, |dst| dst.copy_from_slice(data)).map(|()| data.len())
            }
            Output::Frames(callback) => {
                let description = AudioDescription {
                    format: self.codec.0,
                    rate: self.format.rate,
                    channels: self.format.channels,
                    physical_channels: self.format.physical_channels,
                    bits_per_sample: self.bits_per_sample,
                    samples,
                };
                callback.deliver(&frames.holds, header, Description::Audio(&description), block);
                Ok(0)
            }
        }
    }
}

/// 1, 10, 100...: when a repeated event is logged.
fn is_power_of_ten(mut n: u64) -> bool {
    while n >= 10 && n % 10 == 0 {
        n /= 10;
    }
    n == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_comes_from_the_frames_or_else_from_the_source_track() {
        let bt709 = VideoExtra {
            color_space: 2,
            primaries: 1,
            transfer: 2,
            color_range_full: true,
            sar: (1, 1),
            ..VideoExtra::default()
        };
        let transcoded = VideoExtra { sar: (4, 3), ..VideoExtra::default() };
        let i420 = Fourcc::new(b"I420");
        let (extra, from) = colour(transcoded, Some(bt709), i420);
        assert_eq!((extra.color_space, extra.primaries, extra.sar, from), (2, 1, (4, 3), sys::SMEM_COLOR_SOURCE));
        assert!(!extra.color_range_full, "transcode converted the full-range picture into I420's range");
        assert!(colour(transcoded, Some(bt709), Fourcc::new(b"J420")).0.color_range_full);
        assert!(colour(transcoded, Some(bt709), Fourcc::new(b"RV24")).0.color_range_full);
        assert_eq!(colour(bt709, None, i420), (bt709, sys::SMEM_COLOR_FRAMES));
        assert_eq!(colour(bt709, Some(transcoded), i420).1, sys::SMEM_COLOR_FRAMES, "the frames' own first");
        assert_eq!(colour(transcoded, Some(transcoded), i420), (transcoded, sys::SMEM_COLOR_UNKNOWN));
    }

    #[test]
    fn drop_messages_are_rate_limited() {
        let logged: Vec<u64> = (1..=20_000).filter(|&n| is_power_of_ten(n)).collect();
        assert_eq!(logged, [1, 10, 100, 1000, 10_000]);
    }
}
