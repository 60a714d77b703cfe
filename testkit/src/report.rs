//! What smem-host saw, typed: written as JSON with `--report FILE` and read
//! back by the tests, and printed as `key: value` lines for people and for
//! `make bench` (the same values).

use std::fmt;

use serde::{Deserialize, Serialize};

/// One playback through smem-host.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The `:sout` chain given to VLC.
    pub sout: String,
    /// libvlc's state at the end ("Ended", "Error", ...).
    pub state: String,
    /// With `--playlist`: how many items were played.
    pub playlist_items: Option<usize>,
    pub wall_seconds: f64,
    pub video: TrackReport,
    pub audio: TrackReport,
    /// Deliveries (prerender to postrender, or a frame callback) that began
    /// while another was running, across tracks.
    pub callback_overlaps: u64,
    /// Distinct threads that called any callback, and their names (sorted).
    pub callback_threads: usize,
    pub callback_thread_names: Vec<String>,
    pub max_rss_kb: i64,
    /// Lines our module logged, at any level.
    pub smem_rs_log_lines: usize,
    /// Every line a module named smem* logged above debug: "level module: text".
    pub smem_log: Vec<String>,
}

/// One track kind's callbacks.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrackReport {
    /// Frames (video) or blocks (audio) delivered.
    pub frames: u64,
    pub prerender_calls: u64,
    pub bytes: u64,
    /// The last format seen, as text.
    pub format: Option<String>,
    pub first_pts: Option<i64>,
    pub last_pts: Option<i64>,
    /// What the callbacks found wrong (a foreign buffer, a wrong size...).
    pub errors: Vec<String>,
    pub callback_threads: usize,
    /// Minor page faults of the process per frame, first frame to last.
    pub faults_per_frame: Option<f64>,
    /// `--abi frame` only.
    pub frame_abi: Option<FrameAbiReport>,
    /// Every call, in order.
    pub calls: Vec<Call>,
}

/// What the frame ABI told a track, and what its hold mode did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FrameAbiReport {
    pub hold_refused: u64,
    pub keyframes: u64,
    pub dropped_before: u64,
    pub es_ids: Vec<i32>,
    pub generations: Vec<u32>,
    /// `--hold elsewhere`: whether hold refused a frame after its callback.
    pub hold_elsewhere_refused: Option<bool>,
    /// `--hold keep:N` / `after-exit`: frames still held at the end, and how
    /// many of them no longer had the bytes they were delivered with.
    pub held_at_end: Option<usize>,
    pub held_changed: Option<usize>,
}

/// One delivered frame or block. Video fields are 0 for audio and the
/// reverse, as in the C structs they come from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Call {
    pub pts: i64,
    /// When it arrived, from the start of playback.
    pub t_us: u64,
    /// The process's resident memory then (`--report-rss`).
    pub rss_kb: Option<u64>,
    pub size: usize,
    pub width: u32,
    pub height: u32,
    /// The legacy video callback's `pixel_pitch`.
    pub pixel_pitch: u32,
    pub channels: u32,
    pub rate: u32,
    pub nb_samples: u32,
    pub bits_per_sample: u32,
    /// `--abi frame` only.
    pub frame: Option<FrameCall>,
}

/// What a frame of the frame ABI described, beyond the legacy fields.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FrameCall {
    pub dts: i64,
    pub es_id: i32,
    pub generation: u32,
    pub flags: u32,
    pub dropped_before: u64,
    /// The chroma (or codec) or sample format, as four characters.
    pub fourcc: String,
    pub x_offset: u32,
    pub y_offset: u32,
    pub coded: (u32, u32),
    pub sar: (u32, u32),
    pub frame_rate: (u32, u32),
    pub color_space: i32,
    pub full_range: bool,
    pub primaries: i32,
    pub transfer: i32,
    pub orientation: i32,
    /// Each plane: (pitch, visible bytes, lines).
    pub planes: Vec<(usize, usize, usize)>,
    pub physical_channels: u32,
    /// Version 2 and 3: the stream's time (None if unknown), a plane
    /// pixel's bytes and bits, `SMEM_FIELDS_*`, `SMEM_COLOR_*`.
    pub media_time: Option<i64>,
    pub pixel: (u32, u32),
    pub field_order: u32,
    pub color_source: u32,
}

impl FrameCall {
    pub const KEYFRAME: u32 = 1;
    pub fn is_keyframe(&self) -> bool {
        self.flags & Self::KEYFRAME != 0
    }
}

impl Call {
    /// The frame ABI's fields; panics for a legacy call.
    pub fn frame(&self) -> &FrameCall {
        self.frame.as_ref().expect("a call of the frame ABI (--abi frame)")
    }
}

impl TrackReport {
    /// What the frame ABI told; panics for a legacy run.
    pub fn abi(&self) -> &FrameAbiReport {
        self.frame_abi.as_ref().expect("a run of the frame ABI (--abi frame)")
    }
}

impl Report {
    /// Whether our module logged a line containing `needle` above debug.
    pub fn smem_logged(&self, needle: &str) -> bool {
        self.smem_log.iter().any(|l| l.contains(needle))
    }
}

/// The `key: value` lines smem-host prints (`make bench` and
/// `make check-install` read some of them).
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "sout: {}", self.sout)?;
        writeln!(f, "state: {}", self.state)?;
        if let Some(items) = self.playlist_items {
            writeln!(f, "playlist_items: {items}")?;
        }
        writeln!(f, "wall_seconds: {:.3}", self.wall_seconds)?;
        for (name, t) in [("video", &self.video), ("audio", &self.audio)] {
            writeln!(f, "{name}_frames: {}", t.frames)?;
            writeln!(f, "{name}_prerender_calls: {}", t.prerender_calls)?;
            writeln!(f, "{name}_bytes: {}", t.bytes)?;
            if let Some(format) = &t.format {
                writeln!(f, "{name}_format: {format}")?;
            }
            if let (Some(first), Some(last)) = (t.first_pts, t.last_pts) {
                writeln!(f, "{name}_pts: {first} .. {last}")?;
            }
            for e in t.errors.iter().take(5) {
                writeln!(f, "{name}_error: {e}")?;
            }
            writeln!(f, "{name}_errors: {}", t.errors.len())?;
            writeln!(f, "{name}_callback_threads: {}", t.callback_threads)?;
            if let Some(faults) = t.faults_per_frame {
                writeln!(f, "{name}_faults_per_frame: {faults:.1}")?;
            }
        }
        for (name, t) in [("video", &self.video), ("audio", &self.audio)] {
            let Some(a) = &t.frame_abi else { continue };
            let list = |v: Vec<String>| v.join(",");
            writeln!(f, "{name}_hold_refused: {}", a.hold_refused)?;
            writeln!(f, "{name}_keyframes: {}", a.keyframes)?;
            writeln!(f, "{name}_dropped_before: {}", a.dropped_before)?;
            writeln!(f, "{name}_es_ids: {}", list(a.es_ids.iter().map(i32::to_string).collect()))?;
            writeln!(f, "{name}_generations: {}", list(a.generations.iter().map(u32::to_string).collect()))?;
            if let Some(refused) = a.hold_elsewhere_refused {
                writeln!(f, "{name}_hold_elsewhere_refused: {refused}")?;
            }
            if let (Some(held), Some(changed)) = (a.held_at_end, a.held_changed) {
                writeln!(f, "{name}_held_at_end: {held}")?;
                writeln!(f, "{name}_held_changed: {changed}")?;
            }
        }
        writeln!(f, "callback_overlaps: {}", self.callback_overlaps)?;
        writeln!(f, "callback_threads: {}", self.callback_threads)?;
        writeln!(f, "callback_thread_names: {}", self.callback_thread_names.join(","))?;
        writeln!(f, "max_rss_kb: {}", self.max_rss_kb)?;
        writeln!(f, "smem_rs_log_lines: {}", self.smem_rs_log_lines)?;
        for line in &self.smem_log {
            writeln!(f, "log {line}")?;
        }
        Ok(())
    }
}
