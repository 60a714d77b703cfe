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
use crate::seek::Seeks;
use crate::timeline::{Kind, Timeline};
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
    /// Media time in microseconds: from the start of the item (or of the
    /// segment asked for, [`Grab::segment`]), by pts.
    pub time_us: i64,
    /// Which input this frame is from: 0, or the index of a playlist's item.
    pub item: usize,
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
            time_us: self.time_us,
            item: self.item,
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
    /// Media time in microseconds (see [`VideoFrame::time_us`]).
    pub time_us: i64,
    /// Which input this block is from (see [`VideoFrame::item`]).
    pub item: usize,
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
            time_us: self.time_us,
            item: self.item,
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
    pub time_us: i64,
    pub item: usize,
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
    pub time_us: i64,
    pub item: usize,
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
    /// [`StopHandle::stop`] was called (or the pull queue was dropped).
    Stopped,
    /// [`Grab::timeout`] passed.
    TimedOut,
    /// No frame came for [`Grab::idle_timeout`]: a live source went silent.
    Idle,
}

/// Stops a grab from any thread ([`Grab::stop_handle`], [`Frames::stop_handle`]):
/// the player stops, the frames already delivered stay delivered, and the
/// grab ends with [`EndReason::Stopped`].
#[derive(Clone, Debug, Default)]
pub struct StopHandle(Arc<AtomicBool>);

impl StopHandle {
    pub fn stop(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// How one input (or one item of a playlist) was played.
#[derive(Clone, Debug)]
pub struct ItemEnd {
    /// The input as given, or the playlist item's MRL.
    pub mrl: String,
    pub reason: EndReason,
    /// VLC could not play it (see `vlc_errors`).
    pub failed: bool,
    pub video_frames: u64,
    pub audio_blocks: u64,
    /// The tracks VLC found in it, whether or not they were asked for.
    pub tracks: Vec<vlc::Track>,
    /// VLC's error messages while it played (`module: text`).
    pub vlc_errors: Vec<String>,
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
    /// Each input played: the input itself, or a playlist's items in order
    /// (a frame's `item` indexes this).
    pub items: Vec<ItemEnd>,
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
    stop: StopHandle,
    timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    /// Media times to start and stop at, in seconds.
    segment: (Option<f64>, Option<f64>),
    queue: Option<(usize, DropPolicy)>,
    /// The pull queue's bound, when [`Grab::frames`] drives this grab.
    pull_bound: Option<usize>,
    tune_allocator: bool,
    /// transcode's `width` and `height`.
    scale: (Option<u32>, Option<u32>),
    abi: Abi,
    seeks: Arc<Seeks>,
    /// An application's own player, given to [`Grab::attach`].
    attached: Option<AttachedPlayer>,
}

/// A `libvlc_media_player_t` of the application's, and who waits until it
/// has our media ([`Grab::frames`]: the application plays it next).
struct AttachedPlayer(*mut std::ffi::c_void, Option<std::sync::mpsc::SyncSender<()>>);

// SAFETY: libvlc's media player functions may be called from any thread.
unsafe impl Send for AttachedPlayer {}

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
            stop: StopHandle::default(),
            timeout: None,
            idle_timeout: None,
            segment: (None, None),
            queue: None,
            pull_bound: None,
            tune_allocator: true,
            scale: (None, None),
            abi: Abi::Auto,
            seeks: Arc::default(),
            attached: None,
        }
    }

    /// Frames of a media player the application has already (python-vlc's
    /// `MediaPlayer`, a C program's `libvlc_media_player_t`), which it
    /// plays, pauses and seeks itself. The grab gives the player a copy of
    /// its media with the `:sout` chain added (the application's media
    /// never carries our callbacks), waits for it to end, then stops it
    /// and gives it its own media back. Attach before `play()`: setting the
    /// media stops a player that is playing. Its VLC instance must know
    /// smem-rs to use the frame ABI (`VLC_PLUGIN_PATH` set before that
    /// instance was made, or smem-rs installed). Options about the input
    /// (segments, media options, playlists, [`Frames::seek`]) are the
    /// application's to set on its player and media.
    ///
    /// # Safety
    /// `player` must be a live `libvlc_media_player_t` of the libvlc this
    /// crate is linked with.
    pub unsafe fn attach(player: *mut std::ffi::c_void) -> Grab<'a> {
        Grab { attached: Some(AttachedPlayer(player, None)), ..Grab::new("the application's media player") }
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

    /// End the grab when no frame has come for this long
    /// ([`EndReason::Idle`]): a live source that went away, since VLC
    /// keeps waiting for a network input that stopped sending.
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.idle_timeout = Some(idle);
        self
    }

    /// Only the frames whose media time is in [`start`, `stop`) seconds, as
    /// ffmpeg's `-ss`/`-to` give them, on containers VLC seeks in exactly
    /// (MP4, MKV/WebM...; MPEG-TS only roughly). VLC starts decoding at a
    /// key frame before `start`: smem-rs (its `smem_preroll` and
    /// `smem_mark`) leaves out what comes before the start and from the stop
    /// on, by the demuxer's own times. With the stock smem, the frames VLC
    /// delivers (pre-roll included) are cut by their pts, counted from the
    /// first as `start`. Audio is kept or cut by whole blocks. Each frame's
    /// `time_us` counts from the first delivered, taken to be at `start`.
    pub fn segment(mut self, start: Option<f64>, stop: Option<f64>) -> Self {
        self.segment = (start.filter(|s| *s > 0.0), stop);
        self
    }

    /// Stops the grab from any thread.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Plays the input to its end, calling the closures for every frame.
    /// A playlist (M3U, XSPF...) has its items played in turn, each with
    /// this grab's options (the playlist's own options are not applied).
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
            idle_timeout,
            segment,
            queue,
            pull_bound,
            tune_allocator,
            scale,
            abi,
            seeks,
            attached,
        } = self;
        // However run returns, a seek asked is refused at once from then on.
        let _end_seeks = EndSeeks(&seeks);
        if video.is_none() && audio.is_none() {
            return Err(Error::Setup("nothing to grab: ask for video, audio or both".into()));
        }
        if attached.is_none() && !input.contains("://") && !Path::new(&input).exists() {
            return Err(Error::Input(format!("{input}: no such file")));
        }
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
        let smem_rs = vlc::smem_rs_available();
        let frame_abi = match abi {
            Abi::Auto => smem_rs,
            Abi::Frame => true,
            Abi::Legacy => false,
        };
        // smem-rs cuts a segment exactly (smem_preroll and smem_mark); with
        // the stock smem the frames VLC sends are cut here by their pts.
        let exact_segment = smem_rs && segment.0.is_some();
        let cut_here = if exact_segment { None } else { segment.1 };
        let shared = Arc::new(Shared {
            video: AtomicU64::new(0),
            audio: AtomicU64::new(0),
            timeline: Timeline::new(segment.0, cut_here, video.is_some()),
        });
        // The sinks outlive the players: each is dropped (stopped) first below.
        // Spare buffers: the pull queue's items hold theirs until dropped.
        let keep = SPARE_BUFFERS + pull_bound.unwrap_or(0);
        let video_sink = video.map(|(chroma, to)| KindSink::video(frame_abi, chroma, to, &shared, keep));
        let audio_sink = audio.map(|(sample, to)| KindSink::audio(frame_abi, sample, to, &shared, keep));
        // smem_mark and smem_preroll (smem-rs's): exact segments and seeks,
        // and each frame's time in the stream on the frame ABI.
        let mark = smem_rs;
        let chain = Chain { video: video_chroma, audio: audio_sample, realtime, queue, scale, mark };
        // Held by the pull queue's items, the one being sent and the one
        // being read; beyond that (items kept longer), frames are copied.
        let max_held = pull_bound.map_or(0, |bound| bound + SPARE_BUFFERS + 2);
        let mut options = vec![chain.sout(video_sink.as_ref(), audio_sink.as_ref(), frame_abi.then_some(max_held))];
        if video_sink.is_none() {
            options.push(":no-sout-video".into());
        }
        // Without audio, smem_mark still sees the audio tracks' formats (an
        // Opus track's delay moves a Matroska file's times) and ends them.
        if audio_sink.is_none() && !mark {
            options.push(":no-sout-audio".into());
        }
        if !frame_abi {
            // The legacy callbacks cannot tell two tracks of a kind apart:
            // only the tracks VLC selects (one of each kind) are sent.
            options.push(":no-sout-all".into());
        }
        if mark {
            options.push(":demux-filter=smem_preroll".into());
        }
        // A play's own options: where it starts (the segment's start, or a
        // seek's), then the application's.
        let play_options = |seek_to: Option<f64>| {
            let start = seek_to.or(segment.0);
            let mut own = segment_options((start, segment.1), smem_rs && start.is_some());
            own.extend(media_options.iter().cloned());
            own
        };

        let start = Instant::now();
        // SAFETY: Grab::attach's caller's promise.
        let (attached, mut media_given) = match attached {
            Some(AttachedPlayer(raw, ready)) => {
                let player = unsafe { Player::retained(raw) }.map_err(Error::Setup)?;
                let own = player.media().ok_or_else(|| Error::Setup("the media player has no media".into()))?;
                (Some((player, own)), ready)
            }
            None => (None, None),
        };
        let first = match &attached {
            Some((_, own)) => own.duplicate().map_err(Error::Setup)?,
            None => instance.media(&input).map_err(Error::Input)?,
        };
        // The media we gave the application's player.
        let mut given = None;
        let mut pending = vec![(first, 0)];
        let mut items: Vec<ItemEnd> = Vec::new();
        let mut reason = EndReason::Ended;
        let mut failure = None;
        while let Some((mut media, depth)) = pending.pop() {
            shared.timeline.begin_item(items.len());
            let before = shared.counts();
            let (mut last_counts, mut last_frame) = (before, Instant::now());
            let mut seek_to = None;
            // One play of the item; a seek plays it again from there.
            let (state, why) = 'play: loop {
                for option in options.iter().chain(&play_options(seek_to)) {
                    media.add_option(option).map_err(Error::Setup)?;
                }
                let player = match &attached {
                    Some((theirs, _)) => {
                        // SAFETY: a live player (ours holds a reference).
                        let player = unsafe { Player::retained(theirs.as_raw()) }.map_err(Error::Setup)?;
                        player.set_media(&media);
                        given = Some(media.as_raw());
                        if let Some(ready) = media_given.take() {
                            let _ = ready.send(());
                        }
                        player
                    }
                    None => {
                        let player = Player::new(&media).map_err(Error::Setup)?;
                        player.play().map_err(Error::Input)?;
                        player
                    }
                };
                let mut last_report = Instant::now();
                let (state, why) = loop {
                    let state = player.state();
                    if state.is_over() {
                        break (state, EndReason::Ended);
                    }
                    if shared.timeline.past_stop(video_sink.is_some(), audio_sink.is_some()) {
                        break (state, EndReason::Ended);
                    }
                    if stop.is_stopped() {
                        break (state, EndReason::Stopped);
                    }
                    if timeout.is_some_and(|t| start.elapsed() > t) {
                        break (state, EndReason::TimedOut);
                    }
                    let counts = shared.counts();
                    if counts != last_counts {
                        (last_counts, last_frame) = (counts, Instant::now());
                    } else if idle_timeout.is_some_and(|t| last_frame.elapsed() > t) {
                        break (state, EndReason::Idle);
                    }
                    if let Some((seconds, epoch)) = seeks.take() {
                        if attached.is_some() {
                            seeks.answer(Err("the player is the application's: seek it with its own set_time".into()));
                        } else if !player.is_seekable() {
                            // Known once VLC plays (before, the input is still opening).
                            if matches!(state, State::Playing | State::Paused) {
                                seeks.answer(Err("the input cannot seek (a live stream?)".into()));
                            }
                        } else {
                            // Played again from the seek's start point: exact as
                            // a start time, and nothing from before follows.
                            // Answered first: the consumer drops the stale
                            // items, which lets a decoder blocked on the
                            // full queue go, so the player can stop.
                            seeks.answer(Ok(()));
                            drop(player);
                            seeks.playing_from(epoch);
                            shared.timeline.seek(seconds);
                            let mrl = if depth == 0 { input.clone() } else { media.mrl() };
                            media = instance.media(&mrl).map_err(Error::Input)?;
                            seek_to = Some(seconds);
                            continue 'play;
                        }
                    }
                    if let Some(report) = progress.as_mut() {
                        if last_report.elapsed() >= Duration::from_millis(100) {
                            last_report = Instant::now();
                            report(&Progress {
                                position: player.position(),
                                time_ms: player.time_ms(),
                                length_ms: player.length_ms(),
                                video_frames: counts.0,
                                audio_blocks: counts.1,
                                elapsed: start.elapsed(),
                            });
                        }
                    }
                    // libvlc's end, error and stop events wake this at once; the
                    // timeout only paces the checks above.
                    player.wait_over(Duration::from_millis(20));
                };
                drop(player); // stops: no callback of this item runs after this
                break (state, why);
            };
            let after = shared.counts();
            let subitems = if state == State::Ended && after == before && attached.is_none() {
                media.subitems()
            } else {
                Vec::new()
            };
            if !subitems.is_empty() && depth < MAX_PLAYLIST_DEPTH {
                // A playlist: its items are played next, in order.
                pending.extend(subitems.into_iter().rev().map(|item| (item, depth + 1)));
                continue;
            }
            let vlc_errors: Vec<String> = instance
                .take_log()
                .into_iter()
                .filter(|l| l.level == "error")
                .map(|l| format!("{}: {}", l.module, l.text))
                .collect();
            let mrl = if depth == 0 { input.clone() } else { media.mrl() };
            if state == State::Error && failure.is_none() {
                let why = if vlc_errors.is_empty() { "no reason given".into() } else { vlc_errors.join("; ") };
                failure = Some(format!("VLC could not play {mrl}: {why}"));
            }
            items.push(ItemEnd {
                mrl,
                reason: why,
                failed: state == State::Error,
                video_frames: after.0 - before.0,
                audio_blocks: after.1 - before.1,
                tracks: media.tracks(),
                vlc_errors,
            });
            if why != EndReason::Ended {
                reason = why;
                break;
            }
        }
        if let Some((theirs, own)) = &attached {
            // Stopped already (dropping our Player stops it): it gets its own
            // media back, unless the application gave it another since.
            if theirs.media().is_some_and(|now| Some(now.as_raw()) == given) {
                theirs.set_media(own);
            }
        }
        let wall = start.elapsed();
        let panics =
            [video_sink.as_ref().and_then(KindSink::take_panic), audio_sink.as_ref().and_then(KindSink::take_panic)];
        if let Some(panic) = panics.into_iter().flatten().next() {
            return Err(Error::Callback(panic));
        }
        // One input that VLC could not play is an error; a playlist's item
        // that fails is reported in its ItemEnd and the others still play.
        if let (Some(why), [_]) = (&failure, &items[..]) {
            return Err(Error::Input(why.clone()));
        }
        let count = |kind| items.iter().flat_map(|i| &i.tracks).filter(|t| t.kind == kind).count();
        let (video_frames, audio_blocks) = shared.counts();
        Ok(EndOfStream {
            reason,
            video_tracks: count(vlc::TrackKind::Video),
            audio_tracks: count(vlc::TrackKind::Audio),
            video_frames,
            audio_blocks,
            wall,
            vlc_errors: items.iter().flat_map(|i| i.vlc_errors.iter().cloned()).collect(),
            frame_abi,
            items,
        })
    }
}

/// How far past the stop VLC is told to read (see [`Grab::segment`]).
const STOP_MARGIN_SECONDS: f64 = 1.0;
/// How far before an exact segment's start VLC is told to start, so that it
/// decodes frames before it whatever the key frames (see smem-rs's
/// `smem_preroll`).
const START_LEAD_SECONDS: f64 = 1.0;

/// The media options of a segment. VLC stops reading at its stop-time and
/// loses the frames its decoders still hold then: it reads on a little, and
/// the cut is made after it. An exact segment starts VLC a little early and
/// has smem-rs's smem_preroll and smem_mark (added with it) cut both ends.
fn segment_options((start, stop): (Option<f64>, Option<f64>), exact: bool) -> Vec<String> {
    let mut options = Vec::new();
    let micros = |s: f64| (s * 1e6).round() as i64;
    match start {
        Some(start) if exact => {
            // Half the start when it is short: VLC seeks only to a time above 0.
            let vlc_start = (start - START_LEAD_SECONDS).max(start / 2.0);
            options.push(format!(":start-time={vlc_start}"));
            options.push(format!(":smem-preroll-lead={}", micros(start) - micros(vlc_start)));
            if let Some(stop) = stop {
                options.push(format!(":smem-preroll-length={}", micros(stop) - micros(start)));
            }
        }
        Some(start) => options.push(format!(":start-time={start}")),
        None => {}
    }
    if let Some(stop) = stop {
        options.push(format!(":stop-time={}", stop + STOP_MARGIN_SECONDS));
    }
    options
}

/// Playlists within playlists are followed this deep.
const MAX_PLAYLIST_DEPTH: usize = 8;

/// What the sinks of a grab share with its run loop.
struct Shared {
    video: AtomicU64,
    audio: AtomicU64,
    timeline: Timeline,
}

impl Shared {
    /// Counts a frame in and gives its (media time, item), or `None` when
    /// it falls past the segment's stop. `media_time`: smem-rs's, when the
    /// frame ABI tells it.
    fn place(&self, kind: Kind, pts: i64, media_time: Option<i64>) -> Option<(i64, usize)> {
        let time = self.timeline.place(kind, pts, media_time)?;
        let count = if kind == Kind::Video { &self.video } else { &self.audio };
        count.fetch_add(1, Ordering::Relaxed);
        Some((time, self.timeline.item()))
    }

    /// (video frames, audio blocks) delivered so far.
    fn counts(&self) -> (u64, u64) {
        (self.video.load(Ordering::Relaxed), self.audio.load(Ordering::Relaxed))
    }
}

/// What the `:sout` chain asks of transcode and smem.
struct Chain {
    video: Option<VideoChroma>,
    audio: Option<AudioSample>,
    realtime: bool,
    queue: Option<(usize, DropPolicy)>,
    scale: (Option<u32>, Option<u32>),
    /// smem_mark first: frames VLC decodes only to reach the start go.
    mark: bool,
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
        let mark = match (self.mark, audio.is_some()) {
            (false, _) => "",
            (true, true) => "smem_mark:",
            (true, false) => "smem_mark{video-only}:",
        };
        let chain = SmemChain {
            head: format!("{mark}transcode{{{}}}", codecs.join(",")),
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

impl<'a> KindSink<'a, VideoMeta> {
    fn video(frame_abi: bool, chroma: VideoChroma, to: VideoTo<'a>, shared: &Arc<Shared>, keep: usize) -> Self {
        let shared = Arc::clone(shared);
        if frame_abi {
            KindSink::Frames(FrameSink::video(video_frames(chroma, to, shared)))
        } else {
            KindSink::Legacy(Sink::new(video_deliver(chroma, to, shared), keep))
        }
    }
}

impl<'a> KindSink<'a, AudioMeta> {
    fn audio(frame_abi: bool, sample: AudioSample, to: AudioTo<'a>, shared: &Arc<Shared>, keep: usize) -> Self {
        let shared = Arc::clone(shared);
        if frame_abi {
            KindSink::Frames(FrameSink::audio(audio_frames(sample, to, shared)))
        } else {
            KindSink::Legacy(Sink::new(audio_deliver(sample, to, shared), keep))
        }
    }
}

/// The plane layout of the last picture size, shared by its frames.
struct Layouts {
    chroma: VideoChroma,
    key: (usize, usize, usize),
    /// The picture's size, as its bytes say.
    size: (usize, usize),
    planes: Arc<[PlaneLayout]>,
}

impl Layouts {
    /// The picture size and layout for a frame reported as `width` x
    /// `height` in `len` bytes (the stock smem reports the coded size: the
    /// bytes tell the visible one); no planes if the bytes match no picture
    /// of the chroma. Computed once per report, not per frame.
    fn get(&mut self, width: usize, height: usize, len: usize) -> ((usize, usize), &Arc<[PlaneLayout]>) {
        if self.key != (width, height, len) {
            self.key = (width, height, len);
            match self.chroma.picture_in(width, height, len) {
                Some((w, h)) => (self.size, self.planes) = ((w, h), self.chroma.planes(w, h).into()),
                None => (self.size, self.planes) = ((width, height), Arc::from([])),
            }
        }
        (self.size, &self.planes)
    }
}

fn video_deliver<'a>(chroma: VideoChroma, to: VideoTo<'a>, shared: Arc<Shared>) -> Deliver<'a, VideoMeta> {
    let mut layouts = Layouts { chroma, key: (0, 0, 0), size: (0, 0), planes: Arc::from([]) };
    let size = |width: i32, height: i32| (width.max(0) as usize, height.max(0) as usize);
    match to {
        To::Closure(mut f) => Deliver::Borrowed(Box::new(move |data, VideoMeta { width, height, pts }| {
            let (width, height) = size(width, height);
            let Some((time_us, item)) = shared.place(Kind::Video, pts, None) else { return };
            let ((width, height), planes) = layouts.get(width, height, data.len());
            f(&VideoFrame { width, height, chroma, planes, pts, time_us, item, data, info: None, format: None });
        })),
        To::Queue(mut f) => Deliver::Owned(Box::new(move |data, VideoMeta { width, height, pts }| {
            let (width, height) = size(width, height);
            let Some((time_us, item)) = shared.place(Kind::Video, pts, None) else { return };
            let ((width, height), planes) = layouts.get(width, height, data.len());
            let planes = Arc::clone(planes);
            f(OwnedVideoFrame { width, height, chroma, planes, pts, time_us, item, data, info: None, format: None });
        })),
    }
}

fn audio_deliver<'a>(sample: AudioSample, to: AudioTo<'a>, shared: Arc<Shared>) -> Deliver<'a, AudioMeta> {
    match to {
        To::Closure(mut f) => {
            Deliver::Borrowed(Box::new(move |data, AudioMeta { channels, rate, nb_samples, pts }| {
                let Some((time_us, item)) = shared.place(Kind::Audio, pts, None) else { return };
                let samples = nb_samples as usize;
                f(&AudioBlock { channels, rate, sample, samples, pts, time_us, item, data, info: None });
            }))
        }
        To::Queue(mut f) => Deliver::Owned(Box::new(move |data, AudioMeta { channels, rate, nb_samples, pts }| {
            let Some((time_us, item)) = shared.place(Kind::Audio, pts, None) else { return };
            let samples = nb_samples as usize;
            f(OwnedAudioBlock { channels, rate, sample, samples, pts, time_us, item, data, info: None });
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
/// A video frame's closure, given the frame, its shared plane layout,
/// and its (media time, item).
type PlanedFn<'a> = Box<dyn FnMut(&FrameRef<'_>, Arc<[PlaneLayout]>, (i64, usize)) + Send + 'a>;

fn video_frames<'a>(chroma: VideoChroma, to: VideoTo<'a>, shared: Arc<Shared>) -> FrameFn<'a> {
    let mut layouts = FrameLayouts { scratch: Vec::with_capacity(4), planes: Arc::from([]) };
    let mut deliver: PlanedFn<'a> = match to {
        To::Closure(mut f) => Box::new(move |frame, planes, (time_us, item)| {
            let Some(v) = frame.video() else { return };
            f(&VideoFrame {
                width: v.width as usize,
                height: v.height as usize,
                chroma,
                planes: &planes,
                pts: frame.pts(),
                time_us,
                item,
                data: frame.data(),
                info: Some(frame.info()),
                format: Some(VideoInfo::of(v)),
            });
        }),
        To::Queue(mut f) => Box::new(move |frame, planes, (time_us, item)| {
            let Some(v) = frame.video() else { return };
            f(OwnedVideoFrame {
                width: v.width as usize,
                height: v.height as usize,
                chroma,
                planes,
                pts: frame.pts(),
                time_us,
                item,
                data: held_or_copied(frame),
                info: Some(frame.info()),
                format: Some(VideoInfo::of(v)),
            });
        }),
    };
    Box::new(move |frame| {
        if frame.video().is_none() {
            return;
        }
        let Some(placed) = shared.place(Kind::Video, frame.pts(), frame.media_time()) else { return };
        let planes = layouts.of(&frame);
        deliver(&frame, planes, placed);
    })
}

fn audio_frames<'a>(sample: AudioSample, to: AudioTo<'a>, shared: Arc<Shared>) -> FrameFn<'a> {
    let describe = |frame: &FrameRef<'_>| {
        let a = frame.audio()?;
        Some((a.channels, a.rate, a.samples as usize, frame.pts(), Some(frame.info())))
    };
    match to {
        To::Closure(mut f) => Box::new(move |frame| {
            let Some((channels, rate, samples, pts, info)) = describe(&frame) else { return };
            let Some((time_us, item)) = shared.place(Kind::Audio, pts, frame.media_time()) else { return };
            f(&AudioBlock { channels, rate, sample, samples, pts, time_us, item, data: frame.data(), info });
        }),
        To::Queue(mut f) => Box::new(move |frame| {
            let Some((channels, rate, samples, pts, info)) = describe(&frame) else { return };
            let Some((time_us, item)) = shared.place(Kind::Audio, pts, frame.media_time()) else { return };
            let data = held_or_copied(&frame);
            f(OwnedAudioBlock { channels, rate, sample, samples, pts, time_us, item, data, info });
        }),
    }
}

/// The pull style: owned items from a bounded queue, in arrival order. A
/// full queue makes VLC's decoder wait (back-pressure); the iterator ends at
/// end of stream, and [`Frames::finish`] says how it ended.
pub struct Frames {
    /// Items with the seek epoch they were sent in.
    items: Option<Receiver<(u32, Item)>>,
    stop: StopHandle,
    seeks: Arc<Seeks>,
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
            return Frames { items: None, stop: self.stop_handle(), seeks: Arc::clone(&self.seeks), thread };
        }
        let (tx, rx) = sync_channel(bound);
        // Err from send: the consumer is gone; the grab is being stopped.
        if let Some(chroma) = video {
            let (tx, seeks) = (tx.clone(), Arc::clone(&self.seeks));
            self.video = Some((chroma, To::Queue(Box::new(move |f| drop(tx.send((seeks.playing(), Item::Video(f))))))));
        }
        if let Some(sample) = audio {
            let (tx, seeks) = (tx.clone(), Arc::clone(&self.seeks));
            self.audio = Some((sample, To::Queue(Box::new(move |b| drop(tx.send((seeks.playing(), Item::Audio(b))))))));
        }
        drop(tx);
        self.pull_bound = Some(bound);
        let (stop, seeks) = (self.stop_handle(), Arc::clone(&self.seeks));
        // An attached player gets our media before this returns: the
        // application plays it next.
        let (ready, given) = sync_channel(1);
        if let Some(attached) = self.attached.as_mut() {
            attached.1 = Some(ready);
        }
        let attached = self.attached.is_some();
        let thread = std::thread::Builder::new().name("smem-grab".into()).spawn(move || self.run()).ok();
        if attached {
            // Err: the grab failed first; Frames::finish says why.
            let _ = given.recv_timeout(ATTACH_WAIT);
        }
        Frames { items: Some(rx), stop, seeks, thread }
    }
}

impl Iterator for Frames {
    type Item = Item;
    fn next(&mut self) -> Option<Item> {
        let items = self.items.as_ref()?;
        loop {
            let (epoch, item) = items.recv().ok()?;
            if epoch == self.seeks.epoch() {
                return Some(item);
            }
        }
    }
}

impl EndOfStream {
    /// Why nothing came, when the input ended without a single frame or
    /// block (a file VLC cannot read): VLC's first error, if it gave one.
    pub fn nothing_decoded(&self, input: &str) -> Option<String> {
        if self.video_frames > 0 || self.audio_blocks > 0 || self.reason != EndReason::Ended {
            return None;
        }
        let why = self.vlc_errors.first().map(|e| format!(" (VLC: {e})")).unwrap_or_default();
        Some(format!("{input}: no video or audio could be decoded{why}"))
    }
}

/// Ends a grab's seeks when its run returns, early or not.
struct EndSeeks<'s>(&'s Seeks);

impl Drop for EndSeeks<'_> {
    fn drop(&mut self) {
        self.0.end();
    }
}

/// Seeks a pull grab from any thread ([`Frames::seek_handle`]).
#[derive(Clone, Debug)]
pub struct SeekHandle(Arc<Seeks>);

impl SeekHandle {
    /// As [`Frames::seek`].
    pub fn seek(&self, seconds: f64) -> Result<(), Error> {
        if !seconds.is_finite() || seconds < 0.0 {
            return Err(Error::Setup(format!("cannot seek to {seconds} s")));
        }
        if !self.0.ask(seconds) {
            return Err(Error::Setup("the grab has ended: cannot seek".into()));
        }
        self.0.wait_answer(SEEK_WAIT).map_err(Error::Input)
    }
}

/// How long [`Grab::frames`] waits for an attached player to get our media.
const ATTACH_WAIT: Duration = Duration::from_secs(10);

/// How long [`Frames::seek`] waits for VLC to play.
const SEEK_WAIT: Duration = Duration::from_secs(10);

/// What [`Frames::next_within`] found.
#[derive(Debug)]
// Returned once per frame: boxing the item would allocate per frame.
#[allow(clippy::large_enum_variant)]
pub enum Next {
    Item(Item),
    /// The grab is over ([`Frames::finish`] says how).
    Ended,
    /// Nothing came in the time given; the grab goes on.
    Waiting,
}

impl Frames {
    /// The next item, waiting at most `timeout`: for a caller that must
    /// look up now and then (a Python iterator checking for Ctrl-C).
    pub fn next_within(&mut self, timeout: Duration) -> Next {
        let Some(items) = self.items.as_ref() else { return Next::Ended };
        let until = Instant::now() + timeout;
        loop {
            match items.recv_timeout(until.saturating_duration_since(Instant::now())) {
                // Queued before the latest seek: stale.
                Ok((epoch, _)) if epoch != self.seeks.epoch() => continue,
                Ok((_, item)) => return Next::Item(item),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => return Next::Waiting,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Next::Ended,
            }
        }
    }

    /// Seeks to media time `seconds` (waiting, up to 10 s, for VLC to start
    /// playing): the input is played again from there, as with a start
    /// time, and the items queued from before are dropped. With smem-rs the
    /// first video frame is the first at or after `seconds` and times stay
    /// the stream's own; with the stock smem VLC resumes at the key frame
    /// before, and times count from `seconds`.
    pub fn seek(&self, seconds: f64) -> Result<(), Error> {
        self.seek_handle().seek(seconds)
    }

    /// Seeks from any thread (see [`Frames::seek`]).
    pub fn seek_handle(&self) -> SeekHandle {
        SeekHandle(Arc::clone(&self.seeks))
    }

    /// Stops the grab from any thread (a Ctrl-C handler, say): the iterator
    /// yields what was delivered already, then ends.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Stops the grab if it is still going and says how it ended.
    pub fn finish(mut self) -> Result<EndOfStream, Error> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<EndOfStream, Error> {
        self.stop.stop();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_start_vlc_early_when_smem_rs_cuts_them() {
        assert_eq!(
            segment_options((Some(60.0), Some(65.0)), true),
            [":start-time=59", ":smem-preroll-lead=1000000", ":smem-preroll-length=5000000", ":stop-time=66"]
        );
        // A short start: VLC seeks only to a time above 0.
        assert_eq!(segment_options((Some(0.5), None), true), [":start-time=0.25", ":smem-preroll-lead=250000"]);
        assert_eq!(segment_options((Some(1.5), Some(2.0)), false), [":start-time=1.5", ":stop-time=3"]);
        assert_eq!(segment_options((None, Some(2.0)), true), [":stop-time=3"]);
        assert!(segment_options((None, None), true).is_empty());
    }
}
