//! How a grab went: progress while it runs, how it ended, what it saw.

use std::fmt;
use std::time::Duration;

use crate::vlc;

/// Where playback is, reported to [`crate::Grab::on_progress`] about ten times a second.
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
    /// [`crate::StopHandle::stop`] was called (or the pull queue was dropped).
    Stopped,
    /// [`crate::Grab::timeout`] passed.
    TimedOut,
    /// No frame came for [`crate::Grab::idle_timeout`]: a live source went silent.
    Idle,
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
    /// Video frames and audio blocks delivered.
    pub video_frames: u64,
    pub audio_blocks: u64,
    /// Video frames decoded but left out by [`crate::Grab::every`].
    pub skipped_video_frames: u64,
    pub wall: Duration,
    /// VLC's error messages (`module: text`), in order.
    pub vlc_errors: Vec<String>,
    /// Whether frames came through smem-rs's frame ABI.
    pub frame_abi: bool,
    /// Each input played: the input itself, or a playlist's items in order
    /// (a frame's `item` indexes this).
    pub items: Vec<ItemEnd>,
    /// The gaps in the stream, in order: each time an `rtsp://` input lost
    /// its connection and got it back, how long no frame came (the frames
    /// after say so too: [`crate::frame::Video::gap_before`]). Empty for a file.
    pub gaps: Vec<Duration>,
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

// Their names in summaries and in Python (`frames.ended`).
smem_names::named!("end reason", EndReason { Ended = "ended", Stopped = "stopped", TimedOut = "timed-out", Idle = "idle" });
