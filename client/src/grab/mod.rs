//! A grab: one input played through transcode + smem, with closures (push)
//! or a bounded queue (pull, [`crate::Frames`]) receiving typed frames
//! until end of stream. This file is the builder; `run.rs` plays, `sinks.rs`
//! turns what smem hands over into frames.

mod closing;
mod handoff;
mod pull;
mod run;
mod sinks;

pub use closing::wait_closed;
pub use pull::{Frames, Next, SeekHandle};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

pub use smem_names::DropPolicy;

use crate::format::{AudioSample, VideoChroma};
use crate::frame::{AudioBlock, OwnedAudioBlock, OwnedVideoFrame, VideoFrame};
use crate::outcome::Progress;
use crate::seek::Seeks;

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

/// Stops a grab from any thread ([`Grab::stop_handle`], [`Frames::stop_handle`]):
/// the player stops, the frames already delivered stay delivered, and the
/// grab ends with [`crate::EndReason::Stopped`].
#[derive(Clone, Debug, Default)]
pub struct StopHandle(Arc<StopState>);

#[derive(Debug, Default)]
struct StopState {
    stopped: AtomicBool,
    /// Wakes the grab's run loop, waiting on its player: a stop is acted on
    /// at once, not at the loop's next look.
    wake: Mutex<Option<crate::vlc::Wake>>,
}

impl StopHandle {
    pub fn stop(&self) {
        self.0.stopped.store(true, Ordering::Relaxed);
        if let Some(wake) = self.0.wake.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
            wake.ring();
        }
    }

    pub fn is_stopped(&self) -> bool {
        self.0.stopped.load(Ordering::Relaxed)
    }

    /// The player the run loop waits on now (none: it waits on none).
    pub(crate) fn waking(&self, wake: Option<crate::vlc::Wake>) {
        *self.0.wake.lock().unwrap_or_else(PoisonError::into_inner) = wake;
    }
}

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
    /// One video frame every so many seconds of media time.
    every: Option<f64>,
    queue: Option<(usize, DropPolicy)>,
    /// [`Grab::latest`]: the live mode.
    live: bool,
    /// The pull queue's bound, when [`Grab::frames`] drives this grab.
    pull_bound: Option<usize>,
    tune_allocator: bool,
    /// transcode's `width` and `height`.
    scale: (Option<u32>, Option<u32>),
    abi: Abi,
    seeks: Arc<Seeks>,
    /// An application's own player, given to [`Grab::attach`].
    attached: Option<AttachedPlayer>,
    /// A file the input's stream is written to as it plays.
    record: Option<std::path::PathBuf>,
    /// Where [`Frames::finish_in_background`] hears how the grab ended,
    /// before the player is stopped.
    early_end: Option<std::sync::mpsc::SyncSender<Result<crate::outcome::EndOfStream, crate::outcome::Error>>>,
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
            every: None,
            queue: None,
            live: false,
            pull_bound: None,
            tune_allocator: false,
            scale: (None, None),
            abi: Abi::Auto,
            seeks: Arc::default(),
            attached: None,
            record: None,
            early_end: None,
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

    /// `true`: play at the media's own pace (smem's `time-sync`), from the
    /// first frame with smem-rs (the stock smem hands over VLC's first
    /// buffered second at once); `false` (the default): as fast as VLC decodes.
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

    /// The live mode, for cameras and other live inputs: each frame reaches
    /// the application as soon as VLC has decoded it, and a consumer slower
    /// than the source gets the newest frame instead of falling behind.
    /// It sets `queue(1, DropPolicy::Oldest)`; [`Grab::frames`] keeps only
    /// the newest item of each kind waiting (older ones are dropped, not
    /// queued); VLC's input caching is 0 (`:network-caching=0`, which a
    /// media option of the caller's overrides); and with smem-rs the
    /// decoder runs on one thread (FFmpeg's frame threads hold a frame back
    /// each: 40 ms at 25 fps). The trade: frames a slow consumer misses are
    /// gone, and no caching absorbs the source's jitter.
    pub fn latest(mut self) -> Self {
        self.live = true;
        self.queue(1, DropPolicy::Oldest)
    }

    /// Scale the video to `width` x `height` (transcode's `width` and
    /// `height`); with one of them `None`, VLC keeps the aspect ratio.
    pub fn scale(mut self, width: Option<u32>, height: Option<u32>) -> Self {
        self.scale = (width, height);
        self
    }

    /// `false` (the default) leaves malloc as the process has it. `true`:
    /// before VLC starts, tune glibc's allocator ([`crate::allocator`]) so
    /// that VLC's transcodes stop faulting their picture buffers in again
    /// every frame, where they still do: the stock smem and the legacy ABI
    /// (2-3x faster at 1080p, 4x at 4K); with smem-rs's `smem_raw` (the
    /// frame ABI) there is little left to win. It acts once per process, on
    /// the whole process and for the rest of its life: nothing the
    /// application allocates is given back to the system any more, so a
    /// burst of frames held once stays resident until the process exits.
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
    /// ([`crate::EndReason::Idle`]): a live source that went away, since VLC
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

    /// One video frame every `seconds` of media time, as thumbnails are
    /// made: the first frame of each item (and after a seek), then the
    /// first at or after each step, counted from the segment's start (0
    /// without one) on the frames' [`VideoFrame::time_us`]. The others are
    /// decoded but not delivered ([`crate::EndOfStream::skipped_video_frames`]
    /// counts them). `None`, 0 or less: every frame.
    pub fn every(mut self, seconds: Option<f64>) -> Self {
        self.every = seconds.filter(|s| s.is_finite() && *s > 0.0);
        self
    }

    /// Also write the input's stream, as VLC reads it and without
    /// re-encoding, to `path` while the frames are delivered (VLC's
    /// `duplicate{}` into `std{}`). The extension names the container:
    /// `.mkv` (Matroska, the one to choose: a grab killed mid-way leaves a
    /// file that plays up to its last few seconds) or `.mp4` (its index is
    /// written when the grab ends: killed, the file does not play). The
    /// file starts at the key frame VLC starts decoding from (before a
    /// segment's start), holds every video and audio track VLC sends, and
    /// is replaced if it exists; a seek or a playlist's next item starts it
    /// again. A path that cannot be written ends the grab before it starts.
    pub fn record(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.record = Some(path.into());
        self
    }

    /// Stops the grab from any thread.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }
}

smem_names::named!("abi", Abi { Auto = "auto", Frame = "frame", Legacy = "legacy" });

impl Abi {
    /// Whether frames come through the frame ABI, given whether VLC will
    /// load smem-rs ([`crate::vlc::smem_rs_available`]).
    pub(crate) fn is_frame(self, smem_rs: bool) -> bool {
        match self {
            Abi::Auto => smem_rs,
            Abi::Frame => true,
            Abi::Legacy => false,
        }
    }
}

#[cfg(feature = "clap")]
impl clap::ValueEnum for Abi {
    fn value_variants<'a>() -> &'a [Self] {
        &Abi::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let help = match self {
            Abi::Auto => "frame when VLC will load smem-rs, else legacy",
            Abi::Frame => "smem-rs's frame ABI: VLC's own buffers, no copy",
            Abi::Legacy => "the stock smem callbacks: one copy",
        };
        Some(clap::builder::PossibleValue::new(self.as_str()).help(help))
    }
}
