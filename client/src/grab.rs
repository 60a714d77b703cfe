//! A grab: one input played through transcode + smem, with closures (push)
//! or a bounded queue (pull) receiving typed frames until end of stream.

use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::abi::{FrameInfo, VideoInfo};
use crate::chain::{Callbacks, SmemChain};
use crate::format::{AudioSample, PlaneLayout, VideoChroma};
use crate::pool::Buffer;
use crate::trampolines::{self, AudioMeta, Deliver, FrameRef, FrameSink, Sink, VideoMeta};
use crate::vlc::{self, Instance, LogLevel, Player, State};

/// A picture, borrowed for the duration of the callback.
#[derive(Debug)]
pub struct VideoFrame<'f> {
    pub width: usize,
    pub height: usize,
    pub chroma: VideoChroma,
    /// Where each plane is in `data`. Empty if the bytes do not match the
    /// chroma at this size (then `data` is as VLC gave it).
    pub planes: &'f [PlaneLayout],
    /// Timestamp in microseconds (VLC's clock).
    pub pts: i64,
    pub data: &'f [u8],
    /// ES id, dts, flags, generation, drops: with smem-rs's frame ABI only.
    pub info: Option<FrameInfo>,
    /// Coded size, aspect ratio, frame rate, colour: with the frame ABI only.
    pub format: Option<VideoInfo>,
}

/// Plane `index` of `data`: from its first byte to its last picture byte.
fn plane_bytes<'d>(data: &'d [u8], planes: &[PlaneLayout], index: usize) -> Option<&'d [u8]> {
    let p = planes.get(index)?;
    data.get(p.offset..p.offset.checked_add(p.span())?)
}

/// The picture bytes of line `line` of plane `plane` (its padding left out).
fn line_bytes<'d>(data: &'d [u8], planes: &[PlaneLayout], plane: usize, line: usize) -> Option<&'d [u8]> {
    let p = planes.get(plane)?;
    if line >= p.lines {
        return None;
    }
    let start = p.offset.checked_add(line.checked_mul(p.pitch)?)?;
    data.get(start..start.checked_add(p.visible_bytes)?)
}

impl VideoFrame<'_> {
    /// The bytes of plane `index`, from its first byte to its last picture
    /// byte (lines `pitch` apart).
    pub fn plane(&self, index: usize) -> Option<&[u8]> {
        plane_bytes(self.data, self.planes, index)
    }

    /// The picture bytes of line `line` of plane `plane`.
    pub fn line(&self, plane: usize, line: usize) -> Option<&[u8]> {
        line_bytes(self.data, self.planes, plane, line)
    }

    /// A copy that outlives the callback.
    pub fn to_owned(&self) -> OwnedVideoFrame {
        OwnedVideoFrame {
            width: self.width,
            height: self.height,
            chroma: self.chroma,
            planes: Arc::from(self.planes),
            pts: self.pts,
            data: Buffer::from(self.data.to_vec()),
            info: self.info,
            format: self.format,
        }
    }
}

/// Interleaved PCM, borrowed for the duration of the callback.
#[derive(Debug)]
pub struct AudioBlock<'f> {
    pub channels: u32,
    pub rate: u32,
    pub sample: AudioSample,
    /// Samples per channel.
    pub samples: usize,
    pub pts: i64,
    pub data: &'f [u8],
    /// ES id, dts, flags, generation, drops: with smem-rs's frame ABI only.
    pub info: Option<FrameInfo>,
}

impl AudioBlock<'_> {
    /// A copy that outlives the callback.
    pub fn to_owned(&self) -> OwnedAudioBlock {
        OwnedAudioBlock {
            channels: self.channels,
            rate: self.rate,
            sample: self.sample,
            samples: self.samples,
            pts: self.pts,
            data: Buffer::from(self.data.to_vec()),
            info: self.info,
        }
    }
}

/// A picture the item owns: the pull iterator's items hold VLC's block
/// (smem-rs's frame ABI) or the buffer smem filled (legacy callbacks), and
/// dropping one hands it back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedVideoFrame {
    pub width: usize,
    pub height: usize,
    pub chroma: VideoChroma,
    /// Shared by every frame of one layout (no allocation per frame).
    pub planes: Arc<[PlaneLayout]>,
    pub pts: i64,
    pub data: Buffer,
    pub info: Option<FrameInfo>,
    pub format: Option<VideoInfo>,
}

impl OwnedVideoFrame {
    /// The bytes of plane `index` (see [`VideoFrame::plane`]).
    pub fn plane(&self, index: usize) -> Option<&[u8]> {
        plane_bytes(&self.data, &self.planes, index)
    }

    /// The picture bytes of line `line` of plane `plane`.
    pub fn line(&self, plane: usize, line: usize) -> Option<&[u8]> {
        line_bytes(&self.data, &self.planes, plane, line)
    }

    /// The picture with its lines tightly packed, plane after plane: the
    /// data itself when it is laid out so already, else a copy.
    pub fn packed(&self) -> std::borrow::Cow<'_, [u8]> {
        let tight = self.planes.iter().scan(0, |at, p| {
            let ok = p.offset == *at && p.pitch == p.visible_bytes;
            *at += p.visible_bytes * p.lines;
            Some(ok)
        });
        let size: usize = self.planes.iter().map(|p| p.visible_bytes * p.lines).sum();
        if self.planes.is_empty() || (tight.into_iter().all(|ok| ok) && size <= self.data.len()) {
            let end = if self.planes.is_empty() { self.data.len() } else { size };
            return std::borrow::Cow::Borrowed(&self.data[..end]);
        }
        let mut out = Vec::with_capacity(size);
        for (i, p) in self.planes.iter().enumerate() {
            for line in 0..p.lines {
                out.extend_from_slice(self.line(i, line).unwrap_or_default());
            }
        }
        std::borrow::Cow::Owned(out)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedAudioBlock {
    pub channels: u32,
    pub rate: u32,
    pub sample: AudioSample,
    pub samples: usize,
    pub pts: i64,
    pub data: Buffer,
    pub info: Option<FrameInfo>,
}

/// Which of smem's callback ABIs a grab uses ([`Grab::abi`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Abi {
    /// smem-rs's frame ABI when VLC will load smem-rs (its plugin is in a
    /// folder VLC scans), else the legacy callbacks.
    #[default]
    Auto,
    /// The frame ABI (`include/smem.h`): VLC's blocks, described, no copy.
    /// Only smem-rs has it.
    Frame,
    /// The stock smem's prerender/postrender callbacks: smem copies each
    /// frame into a buffer of ours.
    Legacy,
}

/// What the pull style yields, in arrival order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Video(OwnedVideoFrame),
    Audio(OwnedAudioBlock),
}

/// What smem does when a track's queue is full ([`Grab::queue`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DropPolicy {
    /// VLC waits for room: nothing is lost.
    #[default]
    None,
    /// The oldest queued frame makes room: a slow consumer always gets
    /// the newest (live sources).
    Oldest,
    /// The frame arriving is dropped.
    Newest,
}

impl DropPolicy {
    fn as_str(self) -> &'static str {
        match self {
            DropPolicy::None => "none",
            DropPolicy::Oldest => "oldest",
            DropPolicy::Newest => "newest",
        }
    }
}

/// Where playback is, reported to [`Grab::on_progress`] about ten times a second.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    /// 0.0 to 1.0 (0 while the length is unknown).
    pub position: f32,
    pub time_ms: i64,
    /// 0 or less when unknown (live input).
    pub length_ms: i64,
    pub video_frames: u64,
    pub audio_blocks: u64,
    pub elapsed: Duration,
}

/// Why the grab stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// The input ended.
    Ended,
    /// [`Grab::stop_handle`] was set (or the pull queue was dropped).
    Stopped,
    /// [`Grab::timeout`] passed.
    TimedOut,
}

/// The end of stream, and what it saw.
#[derive(Clone, Debug)]
pub struct EndOfStream {
    pub reason: EndReason,
    /// Tracks VLC found in the input, whether or not they were asked for.
    pub video_tracks: usize,
    pub audio_tracks: usize,
    pub video_frames: u64,
    pub audio_blocks: u64,
    pub wall: Duration,
    /// VLC's error messages (`module: text`), in order.
    pub vlc_errors: Vec<String>,
    /// Whether frames came through smem-rs's frame ABI.
    pub frame_abi: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// Nothing asked for, or an argument libvlc cannot take.
    Setup(String),
    /// The input could not be played; the text says why, from VLC's log.
    Input(String),
    /// A frame callback panicked (its message); later frames were dropped.
    Callback(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Setup(s) | Error::Input(s) => f.write_str(s),
            Error::Callback(s) => write!(f, "a frame callback panicked: {s}"),
        }
    }
}

impl std::error::Error for Error {}

type VideoFn<'a> = Box<dyn FnMut(&VideoFrame<'_>) + Send + 'a>;
type ProgressFn<'a> = Box<dyn FnMut(&Progress) + Send + 'a>;
type AudioFn<'a> = Box<dyn FnMut(&AudioBlock<'_>) + Send + 'a>;

/// Who gets a kind's frames: a closure that borrows them (push), or the
/// pull queue, which takes the buffers themselves.
enum To<Closure, Queue> {
    Closure(Closure),
    Queue(Queue),
}

type VideoTo<'a> = To<VideoFn<'a>, Box<dyn FnMut(OwnedVideoFrame) + Send + 'a>>;
type AudioTo<'a> = To<AudioFn<'a>, Box<dyn FnMut(OwnedAudioBlock) + Send + 'a>>;

/// One input to grab frames from. Closures run on VLC's threads; `run`
/// returns only after the player has stopped, so they may borrow from the
/// caller.
pub struct Grab<'a> {
    input: String,
    video: Option<(VideoChroma, VideoTo<'a>)>,
    audio: Option<(AudioSample, AudioTo<'a>)>,
    realtime: bool,
    media_options: Vec<String>,
    vlc_args: Vec<String>,
    progress: Option<ProgressFn<'a>>,
    stop: Arc<AtomicBool>,
    timeout: Option<Duration>,
    queue: Option<(usize, DropPolicy)>,
    /// The pull queue's bound, when [`Grab::frames`] drives this grab.
    pull_bound: Option<usize>,
    tune_allocator: bool,
    /// transcode's `width` and `height`.
    scale: (Option<u32>, Option<u32>),
    abi: Abi,
}

/// Spare buffers a sink keeps besides those the pull queue's items hold:
/// one being filled and one being handed over.
const SPARE_BUFFERS: usize = 2;

impl<'a> Grab<'a> {
    /// `input` is a path, or a URL (anything with "://").
    pub fn new(input: impl Into<String>) -> Grab<'a> {
        Grab {
            input: input.into(),
            video: None,
            audio: None,
            realtime: false,
            media_options: Vec::new(),
            vlc_args: Vec::new(),
            progress: None,
            stop: Arc::new(AtomicBool::new(false)),
            timeout: None,
            queue: None,
            pull_bound: None,
            tune_allocator: true,
            scale: (None, None),
            abi: Abi::Auto,
        }
    }

    /// Which smem callback ABI to use; [`Abi::Auto`] (the default) takes
    /// smem-rs's frame ABI when VLC will load smem-rs.
    pub fn abi(mut self, abi: Abi) -> Self {
        self.abi = abi;
        self
    }

    /// Receive video converted to `chroma`.
    pub fn video(mut self, chroma: VideoChroma, f: impl FnMut(&VideoFrame<'_>) + Send + 'a) -> Self {
        self.video = Some((chroma, To::Closure(Box::new(f))));
        self
    }

    /// Receive audio converted to `sample`.
    pub fn audio(mut self, sample: AudioSample, f: impl FnMut(&AudioBlock<'_>) + Send + 'a) -> Self {
        self.audio = Some((sample, To::Closure(Box::new(f))));
        self
    }

    /// `true`: play at the media's own pace (smem's `time-sync`); `false`
    /// (the default): as fast as VLC decodes.
    pub fn realtime(mut self, realtime: bool) -> Self {
        self.realtime = realtime;
        self
    }

    /// smem's `queue` and `drop`: up to `frames` per track wait for one
    /// smem thread that runs every closure, and `drop` says what a full
    /// queue does. Without it (or with 0 frames) the closures run on VLC's
    /// threads as VLC decodes. The stock C smem ignores both options.
    pub fn queue(mut self, frames: usize, drop: DropPolicy) -> Self {
        self.queue = (frames > 0).then_some((frames, drop));
        self
    }

    /// For live inputs: `queue(1, DropPolicy::Oldest)`, so a closure slower
    /// than the source always gets the newest frame instead of falling
    /// behind.
    pub fn latest(self) -> Self {
        self.queue(1, DropPolicy::Oldest)
    }

    /// Scale the video to `width` x `height` (transcode's `width` and
    /// `height`); with one of them `None`, VLC keeps the aspect ratio.
    pub fn scale(mut self, width: Option<u32>, height: Option<u32>) -> Self {
        self.scale = (width, height);
        self
    }

    /// `true` (the default): before VLC starts, tune glibc's allocator so
    /// that VLC's transcodes stop faulting their picture buffers in again
    /// every frame ([`crate::allocator`]; 2-3x faster at 1080p, 4x at 4K).
    /// It acts once per process and on the whole process: memory once used
    /// is kept for reuse. `false` leaves malloc as the process has it.
    pub fn tune_allocator(mut self, tune: bool) -> Self {
        self.tune_allocator = tune;
        self
    }

    /// An extra media option, e.g. `:input-slave=audio.wav`.
    pub fn media_option(mut self, option: impl Into<String>) -> Self {
        self.media_options.push(option.into());
        self
    }

    /// An extra libvlc argument, e.g. `--verbose=2`.
    pub fn vlc_arg(mut self, arg: impl Into<String>) -> Self {
        self.vlc_args.push(arg.into());
        self
    }

    /// Called on the calling thread about ten times a second.
    pub fn on_progress(mut self, f: impl FnMut(&Progress) + Send + 'a) -> Self {
        self.progress = Some(Box::new(f));
        self
    }

    /// Give up after this long.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Set it to true (from any thread) to stop the grab.
    pub fn stop_handle(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop)
    }

    /// Plays the input to its end, calling the closures for every frame.
    pub fn run(self) -> Result<EndOfStream, Error> {
        let Grab {
            input,
            video,
            audio,
            realtime,
            media_options,
            vlc_args,
            mut progress,
            stop,
            timeout,
            queue,
            pull_bound,
            tune_allocator,
            scale,
            abi,
        } = self;
        if video.is_none() && audio.is_none() {
            return Err(Error::Setup("nothing to grab: ask for video, audio or both".into()));
        }
        if !input.contains("://") && !Path::new(&input).exists() {
            return Err(Error::Input(format!("{input}: no such file")));
        }
        let counts = Arc::new((AtomicU64::new(0), AtomicU64::new(0)));
        let (video_chroma, audio_sample) = (video.as_ref().map(|v| v.0), audio.as_ref().map(|a| a.0));

        let mut args = vec!["--no-xlib", "--aout=dummy", "--vout=dummy", "--no-stats"];
        if !vlc_args.iter().any(|a| a.starts_with("--verbose") || a.starts_with("-v")) {
            args.push("--quiet");
        }
        args.extend(vlc_args.iter().map(String::as_str));
        if tune_allocator {
            crate::allocator::tune();
        }
        // Only VLC's errors are reported (EndOfStream::vlc_errors): the
        // rest is not even formatted, so a chatty VLC costs no allocation.
        let instance = Instance::keeping_log_from(&args, LogLevel::Error).map_err(Error::Setup)?;
        let frame_abi = match abi {
            Abi::Auto => vlc::smem_rs_available(),
            Abi::Frame => true,
            Abi::Legacy => false,
        };
        // The sinks outlive the player: it is dropped (stopped) first below.
        // Spare buffers: the pull queue's items hold theirs until dropped.
        let keep = SPARE_BUFFERS + pull_bound.unwrap_or(0);
        let video_sink = video.map(|(chroma, to)| KindSink::video(frame_abi, chroma, to, &counts, keep));
        let audio_sink = audio.map(|(sample, to)| KindSink::audio(frame_abi, sample, to, &counts, keep));
        let chain = Chain { video: video_chroma, audio: audio_sample, realtime, queue, scale };
        // Held by the pull queue's items, the one being sent and the one
        // being read; beyond that (items kept longer), frames are copied.
        let max_held = pull_bound.map_or(0, |bound| bound + SPARE_BUFFERS + 2);
        let mut options = vec![chain.sout(video_sink.as_ref(), audio_sink.as_ref(), frame_abi.then_some(max_held))];
        if video_sink.is_none() {
            options.push(":no-sout-video".into());
        }
        if audio_sink.is_none() {
            options.push(":no-sout-audio".into());
        }
        options.extend(media_options.iter().cloned());

        let media = instance.media(&input).map_err(Error::Input)?;
        for option in &options {
            media.add_option(option).map_err(Error::Setup)?;
        }
        let player = Player::new(&media).map_err(Error::Setup)?;
        let start = Instant::now();
        player.play().map_err(Error::Input)?;
        let mut last_report = Instant::now();
        let (state, reason) = loop {
            let state = player.state();
            if state.is_over() {
                break (state, EndReason::Ended);
            }
            if stop.load(Ordering::Relaxed) {
                break (state, EndReason::Stopped);
            }
            if timeout.is_some_and(|t| start.elapsed() > t) {
                break (state, EndReason::TimedOut);
            }
            if let Some(report) = progress.as_mut() {
                if last_report.elapsed() >= Duration::from_millis(100) {
                    last_report = Instant::now();
                    report(&Progress {
                        position: player.position(),
                        time_ms: player.time_ms(),
                        length_ms: player.length_ms(),
                        video_frames: counts.0.load(Ordering::Relaxed),
                        audio_blocks: counts.1.load(Ordering::Relaxed),
                        elapsed: start.elapsed(),
                    });
                }
            }
            // libvlc's end, error and stop events wake this at once; the
            // timeout only paces progress reports and the stop handle.
            player.wait_over(Duration::from_millis(20));
        };
        drop(player); // stops: no callback runs after this
        let wall = start.elapsed();
        let (audio_tracks, video_tracks) = media.track_counts();
        let vlc_errors: Vec<String> = instance
            .take_log()
            .into_iter()
            .filter(|l| l.level == "error")
            .map(|l| format!("{}: {}", l.module, l.text))
            .collect();
        let panics =
            [video_sink.as_ref().and_then(KindSink::take_panic), audio_sink.as_ref().and_then(KindSink::take_panic)];
        if let Some(panic) = panics.into_iter().flatten().next() {
            return Err(Error::Callback(panic));
        }
        let (video_frames, audio_blocks) = (counts.0.load(Ordering::Relaxed), counts.1.load(Ordering::Relaxed));
        if state == State::Error {
            let why = if vlc_errors.is_empty() { "no reason given".into() } else { vlc_errors.join("; ") };
            return Err(Error::Input(format!("VLC could not play {input}: {why}")));
        }
        Ok(EndOfStream { reason, video_tracks, audio_tracks, video_frames, audio_blocks, wall, vlc_errors, frame_abi })
    }
}

/// What the `:sout` chain asks of transcode and smem.
struct Chain {
    video: Option<VideoChroma>,
    audio: Option<AudioSample>,
    realtime: bool,
    queue: Option<(usize, DropPolicy)>,
    scale: (Option<u32>, Option<u32>),
}

impl Chain {
    /// The `:sout` option for smem with these sinks' callbacks and data
    /// pointers; `max_held` with the frame ABI.
    fn sout<V, A>(&self, video: Option<&KindSink<V>>, audio: Option<&KindSink<A>>, max_held: Option<usize>) -> String {
        let [vpre, vpost, apre, apost] = trampolines::legacy_addresses();
        let mut codecs = Vec::new();
        if let Some(chroma) = self.video.filter(|_| video.is_some()) {
            codecs.push(format!("vcodec={}", chroma.fourcc()));
            codecs.extend(self.scale.0.map(|width| format!("width={width}")));
            codecs.extend(self.scale.1.map(|height| format!("height={height}")));
        }
        if let Some(sample) = self.audio.filter(|_| audio.is_some()) {
            codecs.push(format!("acodec={}", sample.fourcc()));
        }
        let mut options = vec![format!("time-sync={}", self.realtime)];
        options.extend(self.queue.map(|(frames, drop)| format!("queue={frames},drop={}", drop.as_str())));
        options.extend(max_held.map(|max_held| format!("max-held={max_held}")));
        let chain = SmemChain {
            head: format!("transcode{{{}}}", codecs.join(",")),
            video: video.map(|s| callbacks_of(s, vpre, vpost)),
            audio: audio.map(|s| callbacks_of(s, apre, apost)),
            options,
        };
        format!(":sout={}", chain.sout())
    }
}

/// A sink's callbacks as the chain names them.
fn callbacks_of<M>(sink: &KindSink<'_, M>, prerender: usize, postrender: usize) -> Callbacks {
    match sink {
        KindSink::Legacy(s) => Callbacks::Pair { prerender, postrender, data: s.data() },
        KindSink::Frames(s) => Callbacks::Frames { callback: trampolines::frame_address(), data: s.data() },
    }
}

/// A kind's sink on either ABI.
enum KindSink<'a, M> {
    Legacy(Box<Sink<'a, M>>),
    Frames(Box<FrameSink<'a>>),
}

impl<'a, M> KindSink<'a, M> {
    fn take_panic(&self) -> Option<String> {
        match self {
            KindSink::Legacy(s) => s.take_panic(),
            KindSink::Frames(s) => s.take_panic(),
        }
    }
}

type Counts = Arc<(AtomicU64, AtomicU64)>;

impl<'a> KindSink<'a, VideoMeta> {
    fn video(frame_abi: bool, chroma: VideoChroma, to: VideoTo<'a>, counts: &Counts, keep: usize) -> Self {
        let counts = Arc::clone(counts);
        if frame_abi {
            KindSink::Frames(FrameSink::video(video_frames(chroma, to, counts)))
        } else {
            KindSink::Legacy(Sink::new(video_deliver(chroma, to, counts), keep))
        }
    }
}

impl<'a> KindSink<'a, AudioMeta> {
    fn audio(frame_abi: bool, sample: AudioSample, to: AudioTo<'a>, counts: &Counts, keep: usize) -> Self {
        let counts = Arc::clone(counts);
        if frame_abi {
            KindSink::Frames(FrameSink::audio(audio_frames(sample, to, counts)))
        } else {
            KindSink::Legacy(Sink::new(audio_deliver(sample, to, counts), keep))
        }
    }
}

/// The plane layout of the last picture size, shared by its frames.
struct Layouts {
    chroma: VideoChroma,
    key: (usize, usize, usize),
    planes: Arc<[PlaneLayout]>,
}

impl Layouts {
    /// The layout for `width` x `height` in `len` bytes; empty if the bytes
    /// do not match the chroma. Computed once per size, not per frame.
    fn get(&mut self, width: usize, height: usize, len: usize) -> &Arc<[PlaneLayout]> {
        if self.key != (width, height, len) {
            let fits = self.chroma.frame_size(width, height) == len;
            self.key = (width, height, len);
            self.planes = if fits { self.chroma.planes(width, height).into() } else { Arc::from([]) };
        }
        &self.planes
    }
}

fn video_deliver<'a>(chroma: VideoChroma, to: VideoTo<'a>, counts: Counts) -> Deliver<'a, VideoMeta> {
    let mut layouts = Layouts { chroma, key: (0, 0, 0), planes: Arc::from([]) };
    let size = |width: i32, height: i32| (width.max(0) as usize, height.max(0) as usize);
    match to {
        To::Closure(mut f) => Deliver::Borrowed(Box::new(move |data, VideoMeta { width, height, pts }| {
            let (width, height) = size(width, height);
            let planes = layouts.get(width, height, data.len());
            counts.0.fetch_add(1, Ordering::Relaxed);
            f(&VideoFrame { width, height, chroma, planes, pts, data, info: None, format: None });
        })),
        To::Queue(mut f) => Deliver::Owned(Box::new(move |data, VideoMeta { width, height, pts }| {
            let (width, height) = size(width, height);
            let planes = Arc::clone(layouts.get(width, height, data.len()));
            counts.0.fetch_add(1, Ordering::Relaxed);
            f(OwnedVideoFrame { width, height, chroma, planes, pts, data, info: None, format: None });
        })),
    }
}

fn audio_deliver<'a>(sample: AudioSample, to: AudioTo<'a>, counts: Counts) -> Deliver<'a, AudioMeta> {
    match to {
        To::Closure(mut f) => {
            Deliver::Borrowed(Box::new(move |data, AudioMeta { channels, rate, nb_samples, pts }| {
                counts.1.fetch_add(1, Ordering::Relaxed);
                f(&AudioBlock { channels, rate, sample, samples: nb_samples as usize, pts, data, info: None });
            }))
        }
        To::Queue(mut f) => Deliver::Owned(Box::new(move |data, AudioMeta { channels, rate, nb_samples, pts }| {
            counts.1.fetch_add(1, Ordering::Relaxed);
            f(OwnedAudioBlock { channels, rate, sample, samples: nb_samples as usize, pts, data, info: None });
        })),
    }
}

/// The planes of the frame ABI's last layout, shared by its frames: a new
/// `Arc` only when the layout changes.
struct FrameLayouts {
    scratch: Vec<PlaneLayout>,
    planes: Arc<[PlaneLayout]>,
}

impl FrameLayouts {
    fn of(&mut self, frame: &FrameRef<'_>) -> Arc<[PlaneLayout]> {
        frame.planes(&mut self.scratch);
        if self.scratch[..] != self.planes[..] {
            self.planes = Arc::from(&self.scratch[..]);
        }
        Arc::clone(&self.planes)
    }
}

/// A pull item's bytes: VLC's block held (no copy), or a copy when smem's
/// `max-held` is reached (items kept past the queue).
fn held_or_copied(frame: &FrameRef<'_>) -> Buffer {
    match frame.hold() {
        Some(held) => Buffer::held(held),
        None => Buffer::from(frame.data().to_vec()),
    }
}

type FrameFn<'a> = Box<dyn FnMut(FrameRef<'_>) + Send + 'a>;
/// A video frame's closure, given the frame and its shared plane layout.
type PlanedFn<'a> = Box<dyn FnMut(&FrameRef<'_>, Arc<[PlaneLayout]>) + Send + 'a>;

fn video_frames<'a>(chroma: VideoChroma, to: VideoTo<'a>, counts: Counts) -> FrameFn<'a> {
    let mut layouts = FrameLayouts { scratch: Vec::with_capacity(4), planes: Arc::from([]) };
    let mut deliver: PlanedFn<'a> = match to {
        To::Closure(mut f) => Box::new(move |frame, planes| {
            let Some(v) = frame.video() else { return };
            f(&VideoFrame {
                width: v.width as usize,
                height: v.height as usize,
                chroma,
                planes: &planes,
                pts: frame.pts(),
                data: frame.data(),
                info: Some(frame.info()),
                format: Some(VideoInfo::of(v)),
            });
        }),
        To::Queue(mut f) => Box::new(move |frame, planes| {
            let Some(v) = frame.video() else { return };
            f(OwnedVideoFrame {
                width: v.width as usize,
                height: v.height as usize,
                chroma,
                planes,
                pts: frame.pts(),
                data: held_or_copied(frame),
                info: Some(frame.info()),
                format: Some(VideoInfo::of(v)),
            });
        }),
    };
    Box::new(move |frame| {
        let planes = layouts.of(&frame);
        counts.0.fetch_add(1, Ordering::Relaxed);
        deliver(&frame, planes);
    })
}

fn audio_frames<'a>(sample: AudioSample, to: AudioTo<'a>, counts: Counts) -> FrameFn<'a> {
    let describe = |frame: &FrameRef<'_>| {
        let a = frame.audio()?;
        Some((a.channels, a.rate, a.samples as usize, frame.pts(), Some(frame.info())))
    };
    match to {
        To::Closure(mut f) => Box::new(move |frame| {
            let Some((channels, rate, samples, pts, info)) = describe(&frame) else { return };
            counts.1.fetch_add(1, Ordering::Relaxed);
            f(&AudioBlock { channels, rate, sample, samples, pts, data: frame.data(), info });
        }),
        To::Queue(mut f) => Box::new(move |frame| {
            let Some((channels, rate, samples, pts, info)) = describe(&frame) else { return };
            counts.1.fetch_add(1, Ordering::Relaxed);
            f(OwnedAudioBlock { channels, rate, sample, samples, pts, data: held_or_copied(&frame), info });
        }),
    }
}

/// The pull style: owned items from a bounded queue, in arrival order. A
/// full queue makes VLC's decoder wait (back-pressure); the iterator ends at
/// end of stream, and [`Frames::finish`] says how it ended.
pub struct Frames {
    items: Option<Receiver<Item>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<EndOfStream, Error>>>,
}

impl Grab<'static> {
    /// Starts the grab on a thread of its own; at most `bound` items wait
    /// in the queue. The formats are the ones to convert to; `None` skips
    /// that kind of track. A kind that a closure ([`Grab::video`],
    /// [`Grab::audio`]) receives already cannot be pulled as well: then the
    /// iterator yields nothing and [`Frames::finish`] says why.
    pub fn frames(mut self, video: Option<VideoChroma>, audio: Option<AudioSample>, bound: usize) -> Frames {
        let taken =
            [(video.is_some() && self.video.is_some(), "video"), (audio.is_some() && self.audio.is_some(), "audio")];
        if let Some((_, kind)) = taken.iter().find(|(both, _)| *both) {
            let why =
                format!("frames() asks for {kind} that a .{kind}() closure receives already: use one or the other");
            let thread = std::thread::Builder::new().spawn(move || Err(Error::Setup(why))).ok();
            return Frames { items: None, stop: self.stop_handle(), thread };
        }
        let (tx, rx) = sync_channel(bound);
        // Err from send: the consumer is gone; the grab is being stopped.
        if let Some(chroma) = video {
            let tx = tx.clone();
            self.video = Some((chroma, To::Queue(Box::new(move |f| drop(tx.send(Item::Video(f)))))));
        }
        if let Some(sample) = audio {
            let tx = tx.clone();
            self.audio = Some((sample, To::Queue(Box::new(move |b| drop(tx.send(Item::Audio(b)))))));
        }
        drop(tx);
        self.pull_bound = Some(bound);
        let stop = self.stop_handle();
        let thread = std::thread::Builder::new().name("smem-grab".into()).spawn(move || self.run()).ok();
        Frames { items: Some(rx), stop, thread }
    }
}

impl Iterator for Frames {
    type Item = Item;
    fn next(&mut self) -> Option<Item> {
        self.items.as_ref()?.recv().ok()
    }
}

impl Frames {
    /// Stops the grab if it is still going and says how it ended.
    pub fn finish(mut self) -> Result<EndOfStream, Error> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<EndOfStream, Error> {
        self.stop.store(true, Ordering::Relaxed);
        // Dropping the receiver releases a decoder blocked on a full queue.
        drop(self.items.take());
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(Error::Callback("the grab thread panicked".into())),
            None => Err(Error::Setup("cannot start the grab thread".into())),
        }
    }
}

impl Drop for Frames {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.shutdown();
        }
    }
}
