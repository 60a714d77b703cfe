//! smem: stream output to memory. For every raw frame, asks the
//! application for a buffer (prerender), copies the picture or PCM into it,
//! and hands it back with its format and pts (postrender).
//!
//! A drop-in replacement for VLC 3.0's C `smem`: same options, defaults and
//! callback signatures. Differences, all deliberate: option values are
//! validated and callback addresses must point at code; a track without
//! callbacks is refused once instead of failing on every block; video is
//! delivered with the size that describes its bytes; `time-sync=false`
//! really unpaces the input; a NULL buffer drops one frame with a
//! rate-limited message.

pub mod exec_maps;
pub mod formats;
pub mod geometry;
pub mod options;
pub mod placement;
pub mod worker;

use std::ffi::CStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use crate::ffi::block::BlockChain;
use crate::ffi::callbacks::{AudioBlockInfo, AudioCallbacks, NoBuffer, VideoCallbacks, VideoFrameInfo};
use crate::ffi::clock::thread_cpu_time;
use crate::ffi::descriptor::{ConfigOption, ModuleInfo, OptionDefault, StaticCStr, Visibility};
use crate::ffi::es::{AudioFormat, EsFormat, EsKind, VideoFormat};
use crate::ffi::fault;
use crate::ffi::object::{HeldObject, Level, Object};
use crate::ffi::stream::{self, guarded, OpenError, Stream, StreamOutput};
use crate::ffi::sys;
use formats::Chroma;
use geometry::{FramePlan, Layout};
use options::{var, CallbackAddresses, RawOptions};
use placement::Placement;
use worker::{Consumer, Worker};

/*** Module descriptor ***/

pub const MODULE_NAME: &CStr = c"smem_rs";
/// Above the stock module's, so `smem` means this one when both are installed.
pub const SCORE: i32 = 100;

const fn string_option(name: &'static CStr, text: &'static CStr, longtext: &'static CStr) -> ConfigOption {
    ConfigOption {
        name,
        default: OptionDefault::String(c"0"),
        text,
        longtext,
        advanced: true,
        visibility: Visibility::Volatile,
    }
}

pub static MODULE: ModuleInfo = ModuleInfo {
    name: MODULE_NAME,
    shortname: c"Smem",
    description: c"Stream output to memory buffer (Rust)",
    capability: c"sout stream",
    score: SCORE,
    shortcuts: &[StaticCStr::new(c"smem"), StaticCStr::new(c"smem_rs")],
    category: sys::CAT_SOUT as i64,
    subcategory: sys::SUBCAT_SOUT_STREAM as i64,
    options: &[
        string_option(
            var::VIDEO_PRERENDER,
            c"Video prerender callback",
            c"Address of the video prerender callback function. This function will set the buffer where render will be done.",
        ),
        string_option(
            var::AUDIO_PRERENDER,
            c"Audio prerender callback",
            c"Address of the audio prerender callback function. This function will set the buffer where render will be done.",
        ),
        string_option(
            var::VIDEO_POSTRENDER,
            c"Video postrender callback",
            c"Address of the video postrender callback function. This function will be called when the render is into the buffer.",
        ),
        string_option(
            var::AUDIO_POSTRENDER,
            c"Audio postrender callback",
            c"Address of the audio postrender callback function. This function will be called when the render is into the buffer.",
        ),
        string_option(var::VIDEO_DATA, c"Video Callback data", c"Data for the video callback function."),
        string_option(var::AUDIO_DATA, c"Audio callback data", c"Data for the audio callback function."),
        ConfigOption {
            name: var::TIME_SYNC,
            default: OptionDefault::Bool(true),
            text: c"Time Synchronized output",
            longtext: c"Time Synchronisation option for output. If true, stream will render as usual, else it will be rendered as fast as possible.",
            advanced: true,
            visibility: Visibility::Private,
        },
    ],
    open: (c"Open", stream::open::<Smem>),
    close: (c"Close", stream::close::<Smem>),
};

/*** Open / Close ***/

pub struct Smem {
    video: Option<VideoCallbacks>,
    audio: Option<AudioCallbacks>,
    time_sync: bool,
    /// Calls the callbacks of the frames handed over (see `placement`). With
    /// the frames Send copies itself, one delivery at a time in the order
    /// VLC sent them: stock's ran under VLC's sout lock, never two at once,
    /// and applications may rely on it.
    deliverer: Worker<Deliverer>,
}

fn read_options(stream: &Stream<'_>) -> RawOptions {
    stream.parse_config(options::PREFIX, &options::CHAIN_OPTIONS);
    RawOptions {
        video_prerender: stream.var_string(var::VIDEO_PRERENDER),
        video_postrender: stream.var_string(var::VIDEO_POSTRENDER),
        video_data: stream.var_string(var::VIDEO_DATA),
        audio_prerender: stream.var_string(var::AUDIO_PRERENDER),
        audio_postrender: stream.var_string(var::AUDIO_POSTRENDER),
        audio_data: stream.var_string(var::AUDIO_DATA),
        time_sync: stream.var_bool(var::TIME_SYNC),
    }
}

/// Every callback address must lie in executable memory before we ever call it.
fn check_code_addresses(stream: &Stream<'_>, pairs: &[(&str, Option<CallbackAddresses>)]) -> Result<(), OpenError> {
    let ranges = exec_maps::current().map_err(|e| {
        stream.error(&format!("cannot read /proc/self/maps to check the callback addresses: {e}"));
        OpenError::Refused
    })?;
    let mut ok = true;
    for (kind, addresses) in pairs {
        let Some(a) = addresses else { continue };
        for (which, address) in [("prerender", a.prerender), ("postrender", a.postrender)] {
            if !exec_maps::is_in(&ranges, address) {
                stream.error(&format!(
                    "invalid value \"{address}\" for option {}{kind}-{which}-callback: \
                     {address:#x} is not the address of a function in this process",
                    options::PREFIX_STR
                ));
                ok = false;
            }
        }
    }
    if ok { Ok(()) } else { Err(OpenError::Refused) }
}

impl StreamOutput for Smem {
    type Track = Track;
    const MODULE_NAME: &'static CStr = MODULE_NAME;

    fn open(stream: &Stream<'_>) -> Result<Self, OpenError> {
        let mut raw = read_options(stream);
        let entries = stream.chain_entries();
        raw.take_empty_chain_values(&entries);
        let chain_sync = options::chain_time_sync(&entries);
        let validated = match chain_sync {
            Some(Err(e)) => Err(vec![e]),
            Some(Ok(sync)) => {
                raw.time_sync = Some(sync);
                options::validate(&raw)
            }
            None => options::validate(&raw),
        };
        let options = validated.map_err(|errors| {
            for e in &errors {
                stream.error(&e.to_string());
            }
            stream.error("refusing the smem chain: no callback is called with an invalid value");
            OpenError::Refused
        })?;
        if options.video.is_none() && options.audio.is_none() {
            stream.error(
                "no callbacks given: set sout-smem-video-prerender-callback and \
                 sout-smem-video-postrender-callback (or the audio pair)",
            );
            return Err(OpenError::Refused);
        }
        check_code_addresses(stream, &[("video", options.video), ("audio", options.audio)])?;
        // SAFETY: both addresses of each pair point into executable memory
        // (checked just above); their signatures are the smem ABI clients use.
        let video = options.video.map(|a| unsafe { VideoCallbacks::from_addresses(a.prerender, a.postrender, a.data) });
        let audio = options.audio.map(|a| unsafe { AudioCallbacks::from_addresses(a.prerender, a.postrender, a.data) });
        let deliverer = Worker::spawn("smem-deliver", Deliverer { log: stream.hold() }).map_err(|e| {
            stream.error(&format!("cannot start the delivery thread: {e}"));
            OpenError::Refused
        })?;
        stream.debug(&format!(
            "smem (Rust) opened: video callbacks {}, audio callbacks {}, time-sync {}",
            if video.is_some() { "set" } else { "none" },
            if audio.is_some() { "set" } else { "none" },
            options.time_sync
        ));
        Ok(Smem { video, audio, time_sync: options.time_sync, deliverer })
    }

    fn pace_nocontrol(&self) -> bool {
        self.time_sync
    }

    fn close(self, stream: &Stream<'_>) {
        // Delivers what is left (nothing, after Del) and joins the thread.
        self.deliverer.finish();
        stream.debug("smem (Rust) closed");
    }

    /*** Add / Del / Flush ***/

    fn add(&self, stream: &Stream<'_>, es: &EsFormat) -> Option<Track> {
        let media = match es.kind {
            EsKind::Video(format) => Media::Video(self.add_video(stream, es, format)?),
            EsKind::Audio(format) => Media::Audio(self.add_audio(stream, es, format)?),
            EsKind::Other(_) => {
                stream.debug(&format!("track {} ({}) is neither video nor audio: not delivered", es.id, es.codec));
                return None;
            }
        };
        let kind = media.kind();
        let delivery = Arc::new(Mutex::new(Delivery { media, stats: Stats::default() }));
        Some(Track { kind, delivery, placement: Placement::default(), inline: true, changes_logged: 0 })
    }

    fn del(&self, stream: &Stream<'_>, track: Track) {
        // Every frame of this track handed over is delivered first.
        self.deliverer.drain();
        let kind = track.kind;
        let stats = track.delivery.lock().unwrap_or_else(PoisonError::into_inner).stats;
        stream.debug(&format!(
            "{kind} track ended: {} delivered, {} dropped",
            stats.delivered, stats.dropped
        ));
    }

    fn flush(&self, stream: &Stream<'_>, track: &mut Track) {
        // Blocks already handed over are delivered, as stock smem delivered
        // every block before Send returned.
        self.deliverer.drain();
        stream.debug(&format!("{} track flushed", track.kind));
    }

    /*** Send ***/

    /// Copies the chain here, on VLC's thread, while that thread is busy
    /// between frames; otherwise hands it to the delivery thread and returns
    /// (see `placement`). VLC calls Send under its sout lock, so after the
    /// drain nothing else is delivered while this copies.
    fn send(&self, stream: &Stream<'_>, track: &mut Track, blocks: BlockChain) -> Result<(), ()> {
        let clocks = || (Instant::now(), thread_cpu_time());
        let inline = fault::forced_copy_inline().unwrap_or_else(|| track.placement.copy_inline(clocks));
        if inline != track.inline {
            track.inline = inline;
            // The first two changes tell the story (a start-up backlog, then
            // the steady state); past them, logging would cost per frame.
            if track.changes_logged < 2 {
                track.changes_logged += 1;
                stream.log_cstr(Level::Debug, placement_message(track.kind, inline));
            }
        }
        if inline {
            self.deliverer.drain();
            deliver(stream, &track.delivery, blocks);
        } else {
            self.deliverer.push((Arc::clone(&track.delivery), blocks));
        }
        track.placement.returned(clocks);
        Ok(())
    }
}

impl Smem {
    fn add_video(&self, stream: &Stream<'_>, es: &EsFormat, format: VideoFormat) -> Option<VideoTrack> {
        let Some(callbacks) = self.video else {
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
                es.id, c.fourcc, format.width, format.height, format.visible_width, format.visible_height,
                format.x_offset, format.y_offset
            )),
            None => stream.warn(&format!(
                "video track {}: {} is not raw video; its buffers will hold the {} data as it is \
                 (use transcode{{vcodec=RV24}} or another raw chroma for pictures)",
                es.id, es.codec, es.codec
            )),
        }
        Some(VideoTrack { callbacks, format, chroma, plan: None })
    }

    fn add_audio(&self, stream: &Stream<'_>, es: &EsFormat, format: AudioFormat) -> Option<AudioTrack> {
        let Some(callbacks) = self.audio else {
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
        stream.debug(&format!(
            "audio track {}: {} {} channels {} Hz",
            es.id, es.codec, format.channels, format.rate
        ));
        Some(AudioTrack { callbacks, format, bits_per_sample })
    }
}

/*** Tracks ***/

#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    delivered: u64,
    dropped: u64,
}

/// A track VLC added. Its state travels with each frame handed over to the
/// delivery thread; Send, Flush and Del touch it only with that thread idle.
pub struct Track {
    kind: &'static str,
    delivery: Arc<Mutex<Delivery>>,
    placement: Placement,
    /// The placement's last decision, to log its changes.
    inline: bool,
    changes_logged: u8,
}

pub struct Delivery {
    media: Media,
    stats: Stats,
}

/// The delivery thread's own state: the stream, held for logging.
pub struct Deliverer {
    log: HeldObject,
}

enum Media {
    Video(VideoTrack),
    Audio(AudioTrack),
}

impl Media {
    fn kind(&self) -> &'static str {
        match self {
            Media::Video(_) => "video",
            Media::Audio(_) => "audio",
        }
    }
}

impl Consumer for Deliverer {
    type Item = (Arc<Mutex<Delivery>>, BlockChain);

    fn consume(&mut self, (track, blocks): Self::Item) {
        deliver(&self.log.object(), &track, blocks);
    }
}

/// Logged when a track's placement changes (static: no allocation per frame).
fn placement_message(kind: &str, inline: bool) -> &'static CStr {
    match (kind, inline) {
        ("video", true) => c"video track: VLC's thread is busy between frames: copying on it",
        ("video", false) => c"video track: VLC's thread waits between frames: handing frames to the delivery thread",
        (_, true) => c"audio track: VLC's thread is busy between frames: copying on it",
        (_, false) => c"audio track: VLC's thread waits between frames: handing frames to the delivery thread",
    }
}

/// Delivers a chain of `track`'s, on whichever thread: a panic is logged
/// as `internal error in Deliver` and that chain is dropped.
fn deliver(log: &Object<'_>, track: &Mutex<Delivery>, blocks: BlockChain) {
    guarded(log, "Deliver", (), || track.lock().unwrap_or_else(PoisonError::into_inner).deliver(log, &blocks))
}

impl Delivery {
    /// A frame the application gives no buffer for is dropped, and the
    /// stream goes on (stock smem's Send failed, and VLC then stopped the
    /// whole stream: "cannot continue streaming due to errors").
    fn deliver(&mut self, log: &Object<'_>, blocks: &BlockChain) {
        let Delivery { media, stats } = self;
        for block in blocks.iter() {
            let delivered = match media {
                Media::Video(v) => v.send(log, block.data(), block.pts()),
                Media::Audio(a) => a.send(block.data(), block.pts()),
            };
            match delivered {
                Ok(()) => stats.delivered += 1,
                Err(NoBuffer) => {
                    stats.dropped += 1;
                    // 1st, 10th, 100th...: a stuck client cannot flood the log.
                    if stats.dropped.is_power_of_ten() {
                        log.error(&format!(
                            "the {} prerender callback gave no buffer: frame dropped ({} dropped so far)",
                            media.kind(),
                            stats.dropped
                        ));
                    }
                }
            }
        }
    }
}

pub struct VideoTrack {
    callbacks: VideoCallbacks,
    format: VideoFormat,
    chroma: Option<&'static Chroma>,
    /// The plan for the current block size; blocks of one track keep one
    /// size, so this is made once and reused for every frame.
    plan: Option<FramePlan>,
}

impl VideoTrack {
    /// The plan for blocks of `block_len` bytes, made on the first one and
    /// kept (and borrowed, not copied) for every frame after it.
    fn plan_for(&mut self, log: &Object<'_>, block_len: usize) -> &FramePlan {
        if self.plan.as_ref().is_some_and(|p| p.block_len != block_len) {
            self.plan = None;
        }
        let (chroma, format) = (self.chroma, &self.format);
        self.plan.get_or_insert_with(|| {
            let plan = match chroma {
                Some(chroma) => FramePlan::new(chroma, format, block_len),
                None => FramePlan::opaque(format, block_len),
            };
            if let (Some(chroma), Layout::Opaque) = (chroma, plan.layout) {
                let (visible_w, visible_h) = geometry::visible_size(format);
                log.warn(&format!(
                    "a {} block of {block_len} bytes is neither {visible_w}x{visible_h} nor {}x{} packed: delivered as it is",
                    chroma.fourcc, format.width, format.height
                ));
            }
            plan
        })
    }

    fn send(&mut self, log: &Object<'_>, data: &[u8], pts: i64) -> Result<(), NoBuffer> {
        // Stock reports 0 for what it does not know as raw video.
        let pixel_pitch = self.chroma.map_or(0, Chroma::pixel_pitch);
        let callbacks = self.callbacks;
        let plan = self.plan_for(log, data.len());
        let info = VideoFrameInfo { width: plan.width, height: plan.height, pixel_pitch, pts };
        callbacks.deliver(plan.size, info, |dst| plan.copy(data, dst))
    }
}

pub struct AudioTrack {
    callbacks: AudioCallbacks,
    format: AudioFormat,
    bits_per_sample: u32,
}

impl AudioTrack {
    fn send(&mut self, data: &[u8], pts: i64) -> Result<(), NoBuffer> {
        let frame_bytes = (self.bits_per_sample / 8).max(1) as usize * self.format.channels as usize;
        let info = AudioBlockInfo {
            channels: self.format.channels,
            rate: self.format.rate,
            nb_samples: (data.len() / frame_bytes) as u32,
            bits_per_sample: self.bits_per_sample,
            pts,
        };
        self.callbacks.deliver(data.len(), info, |dst| dst.copy_from_slice(data))
    }
}

trait PowerOfTen {
    fn is_power_of_ten(self) -> bool;
}

impl PowerOfTen for u64 {
    fn is_power_of_ten(self) -> bool {
        let mut n = self;
        while n >= 10 && n % 10 == 0 {
            n /= 10;
        }
        n == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_messages_are_rate_limited() {
        let logged: Vec<u64> = (1..=20_000).filter(|n: &u64| n.is_power_of_ten()).collect();
        assert_eq!(logged, [1, 10, 100, 1000, 10_000]);
    }
}
