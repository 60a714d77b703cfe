//! The frame ABI of smem-rs (`include/smem.h`, version 3), as `#[repr(C)]`
//! structs, and the safe views the library builds on them. The plugin's
//! tests check these layouts against the header (bindgen).

use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};

pub const FRAME_VERSION: u32 = 4;
pub const FIELDS_UNKNOWN: u32 = 0;
pub const FIELDS_PROGRESSIVE: u32 = 1;
pub const FIELDS_TOP_FIRST: u32 = 2;
pub const FIELDS_BOTTOM_FIRST: u32 = 3;
pub const COLOR_UNKNOWN: u32 = 0;
pub const COLOR_FRAMES: u32 = 1;
pub const COLOR_SOURCE: u32 = 2;
pub const KIND_VIDEO: u32 = 1;
pub const KIND_AUDIO: u32 = 2;
pub const FLAG_KEYFRAME: u32 = 0x1;
pub const FLAG_DISCONTINUITY: u32 = 0x2;
pub const FLAG_CORRUPTED: u32 = 0x4;
pub const TIME_UNKNOWN: i64 = i64::MIN;
pub const MAX_PLANES: usize = 4;

/// `smem_plane_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Plane {
    pub pixels: *const u8,
    pub pitch: usize,
    pub visible_bytes: usize,
    pub lines: usize,
}

/// `smem_video_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Video {
    pub struct_size: u32,
    pub chroma: u32,
    pub width: u32,
    pub height: u32,
    pub x_offset: u32,
    pub y_offset: u32,
    pub coded_width: u32,
    pub coded_height: u32,
    pub sar_num: u32,
    pub sar_den: u32,
    pub frame_rate_num: u32,
    pub frame_rate_den: u32,
    pub color_space: i32,
    pub color_range_full: i32,
    pub primaries: i32,
    pub transfer: i32,
    pub orientation: i32,
    pub plane_count: u32,
    pub planes: [Plane; MAX_PLANES],
    pub data: *const u8,
    pub size: usize,
    /// Version 3: read only if `struct_size` covers them.
    pub pixel_size: u32,
    pub pixel_bits: u32,
    pub field_order: u32,
    pub color_source: u32,
}

impl Video {
    /// The version 3 fields, if this plugin is new enough to say them.
    fn v3(&self) -> Option<(u32, u32, u32, u32)> {
        let covered = self.struct_size as usize >= size_of::<Video>();
        covered.then_some((self.pixel_size, self.pixel_bits, self.field_order, self.color_source))
    }
}

/// `smem_audio_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Audio {
    pub struct_size: u32,
    pub format: u32,
    pub rate: u32,
    pub channels: u32,
    pub physical_channels: u32,
    pub bits_per_sample: u32,
    pub samples: u32,
    pub reserved: u32,
    pub data: *const u8,
    pub size: usize,
}

pub type HoldFn = unsafe extern "C" fn(*const Frame) -> *const Frame;
pub type ReleaseFn = unsafe extern "C" fn(*const Frame);

/// `smem_frame_t`.
#[repr(C)]
#[derive(Debug)]
pub struct Frame {
    pub struct_size: u32,
    pub version: u32,
    pub kind: u32,
    pub es_id: i32,
    pub pts: i64,
    pub dts: i64,
    pub flags: u32,
    pub generation: u32,
    pub dropped_before: u64,
    pub video: *const Video,
    pub audio: *const Audio,
    pub hold: Option<HoldFn>,
    pub release: Option<ReleaseFn>,
    /// Version 2: read only if `struct_size` covers it.
    pub media_time: i64,
    /// Version 4: the camera's time, microseconds since the Unix epoch.
    pub camera_time: i64,
    /// Version 4: the gap (a reconnect) before the frame, microseconds.
    pub gap_before: i64,
}

impl Frame {
    /// The frame's time in the stream's own time line, if smem knows it
    /// (and is new enough to say).
    pub(crate) fn media_time(&self) -> Option<i64> {
        let covered = self.covers(std::mem::offset_of!(Frame, media_time));
        (covered && self.media_time != TIME_UNKNOWN).then_some(self.media_time)
    }

    fn covers(&self, offset: usize) -> bool {
        self.struct_size as usize >= offset + size_of::<i64>()
    }

    /// When the camera took the frame (its RTCP sender reports' clock),
    /// microseconds since the Unix epoch, if smem knows it.
    pub(crate) fn camera_time(&self) -> Option<i64> {
        let covered = self.covers(std::mem::offset_of!(Frame, camera_time));
        (covered && self.camera_time != TIME_UNKNOWN).then_some(self.camera_time)
    }

    /// The gap before the frame (a reconnect), microseconds, if any.
    pub(crate) fn gap_before(&self) -> Option<i64> {
        let covered = self.covers(std::mem::offset_of!(Frame, gap_before));
        (covered && self.gap_before > 0).then_some(self.gap_before)
    }
}

/// `smem_frame_callback`.
pub type FrameCallback = unsafe extern "C" fn(data: *mut c_void, frame: *const Frame);

/// What the frame ABI tells beyond the legacy callbacks, for either kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameInfo {
    /// VLC's ES id: tells two tracks of one kind apart.
    pub es_id: i32,
    /// Decoding timestamp, microseconds (0 if unknown).
    pub dts: i64,
    pub keyframe: bool,
    pub discontinuity: bool,
    pub corrupted: bool,
    /// Changes whenever the track's format does.
    pub generation: u32,
    /// Frames of this track smem dropped since the previous one.
    pub dropped_before: u64,
    /// The frame's time in the stream's own time line (the demuxer's, as
    /// ffprobe's `pts_time`), microseconds, when smem-rs knows it
    /// (smem_mark and smem_preroll in the chain).
    pub media_time: Option<i64>,
    /// When the camera took the frame, on its own clock (RTCP sender
    /// reports), microseconds since the Unix epoch: an `rtsp://` input
    /// after its first report, with `media_time`.
    pub camera_time: Option<i64>,
    /// The first frame of its track after a gap (the input reconnected):
    /// the gap's length, microseconds.
    pub gap_before: Option<i64>,
}

impl FrameInfo {
    pub(crate) fn of(frame: &Frame) -> FrameInfo {
        FrameInfo {
            es_id: frame.es_id,
            dts: frame.dts,
            keyframe: frame.flags & FLAG_KEYFRAME != 0,
            discontinuity: frame.flags & FLAG_DISCONTINUITY != 0,
            corrupted: frame.flags & FLAG_CORRUPTED != 0,
            generation: frame.generation,
            dropped_before: frame.dropped_before,
            media_time: frame.media_time(),
            camera_time: frame.camera_time(),
            gap_before: frame.gap_before(),
        }
    }
}

/// What the frame ABI tells about a picture beyond its planes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VideoInfo {
    /// VLC's fourcc of the data (the chroma, or the codec if not raw).
    pub fourcc: [u8; 4],
    pub coded_width: u32,
    pub coded_height: u32,
    /// Where the visible picture starts in the coded one.
    pub x_offset: u32,
    pub y_offset: u32,
    /// Sample aspect ratio; (0, 0) if unknown.
    pub sar: (u32, u32),
    /// Frames per second as (num, den); (0, 0) if unknown.
    pub frame_rate: (u32, u32),
    /// VLC's colour space, range, primaries and transfer values.
    pub color_space: i32,
    pub color_range_full: bool,
    pub primaries: i32,
    pub transfer: i32,
    /// VLC's orientation (0: as stored).
    pub orientation: i32,
    /// Bytes of a plane's pixel (a sample of planar YUV, a whole pixel of
    /// packed RGB) and the bits of them used; (0, 0) if unknown.
    pub pixel: (u32, u32),
    /// How the frame was coded: `FIELDS_*`.
    pub field_order: u32,
    /// Where the colour fields come from: `COLOR_*`.
    pub color_source: u32,
}

impl VideoInfo {
    pub(crate) fn of(video: &Video) -> VideoInfo {
        let (pixel_size, pixel_bits, field_order, color_source) =
            video.v3().unwrap_or((0, 0, FIELDS_UNKNOWN, COLOR_UNKNOWN));
        VideoInfo {
            fourcc: video.chroma.to_le_bytes(),
            coded_width: video.coded_width,
            coded_height: video.coded_height,
            x_offset: video.x_offset,
            y_offset: video.y_offset,
            sar: (video.sar_num, video.sar_den),
            frame_rate: (video.frame_rate_num, video.frame_rate_den),
            color_space: video.color_space,
            color_range_full: video.color_range_full != 0,
            primaries: video.primaries,
            transfer: video.transfer,
            orientation: video.orientation,
            pixel: (pixel_size, pixel_bits),
            field_order,
            color_source,
        }
    }
}

/// VLC blocks this process holds through smem-rs's frame ABI.
static HELD: AtomicUsize = AtomicUsize::new(0);

/// How many of VLC's blocks this process holds right now (frames kept past
/// their callback and not yet given back): 0 once every frame is dropped.
pub fn held_frames() -> usize {
    HELD.load(Ordering::Relaxed)
}

/// A frame smem lets us keep: its bytes stay valid until this drops (from
/// any thread, also after the player or libvlc is gone: the ABI's promise).
pub(crate) struct HeldFrame {
    frame: *const Frame,
    data: *const u8,
    len: usize,
}

// SAFETY: smem.h: a held frame may be read and released from any thread.
unsafe impl Send for HeldFrame {}
unsafe impl Sync for HeldFrame {}

impl HeldFrame {
    /// Holds `frame` (during its callback); `None` at smem's `max-held`.
    ///
    /// # Safety
    /// `frame` must be the frame of the callback running on this thread.
    pub(crate) unsafe fn hold(frame: &Frame, data: *const u8, len: usize) -> Option<HeldFrame> {
        let hold = frame.hold?;
        // SAFETY: the ABI's hold, on the frame of the running callback.
        let held = unsafe { hold(frame) };
        // `then`, not `then_some`: a HeldFrame made eagerly would be released when dropped.
        (!held.is_null()).then(|| {
            HELD.fetch_add(1, Ordering::Relaxed);
            HeldFrame { frame: held, data, len }
        })
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: the block's bytes stay valid while the frame is held.
        unsafe { bytes(self.data, self.len) }
    }
}

impl Drop for HeldFrame {
    fn drop(&mut self) {
        HELD.fetch_sub(1, Ordering::Relaxed);
        // SAFETY: `frame` came from hold and is released exactly once, here.
        unsafe {
            if let Some(release) = (*self.frame).release {
                release(self.frame);
            }
        }
    }
}

/// The bytes a frame describes: the whole block for video (its planes point
/// into it), the samples for audio.
///
/// # Safety
/// `frame` must be valid (its callback running, or held).
pub(crate) unsafe fn frame_bytes(frame: &Frame) -> (*const u8, usize) {
    // SAFETY: the caller's frame: the pointer of its kind is set (smem.h).
    unsafe {
        match (frame.video.as_ref(), frame.audio.as_ref()) {
            (Some(v), _) => (v.data, v.size),
            (None, Some(a)) => (a.data, a.size),
            (None, None) => (std::ptr::null(), 0),
        }
    }
}

/// A slice from a pointer and length that may be null and 0.
///
/// # Safety
/// As [`std::slice::from_raw_parts`] when `len > 0`.
pub(crate) unsafe fn bytes<'f>(data: *const u8, len: usize) -> &'f [u8] {
    if data.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: the caller's promise.
        unsafe { std::slice::from_raw_parts(data, len) }
    }
}
