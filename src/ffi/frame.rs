//! The frame ABI of `include/smem.h`: a self-describing frame whose planes
//! point into VLC's block, handed to the application's frame callback, and
//! the `hold`/`release` functions that let the application keep it.
//!
//! A frame lives on Send's stack while the callback runs. `hold` moves its
//! block and description into a heap [`FrameBox`] (a spare one when there
//! is one: boxes are reused) that is registered in [`HELD`]; `release` finds it there (so a second release, or a pointer
//! never held, is reported instead of touching freed memory) and frees it.
//! A held frame needs nothing of the output that made it: the block's own
//! release function is pinned in memory ([`pin_code`]) and this library is
//! linked `-z nodelete`, so releasing after libvlc_release is safe.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::ffi::{c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use super::block::BlockChain;
use super::es::VideoExtra;
use super::exec_maps::CodeAddress;
use super::object::HeldObject;
use super::sys;

pub type FrameCallbackFn = unsafe extern "C" fn(data: *mut c_void, frame: *const sys::smem_frame_t);

/// The application's frame callback and its data pointer.
#[derive(Clone, Copy)]
pub struct FrameCallback {
    callback: FrameCallbackFn,
    data: *mut c_void,
}

// SAFETY: plain addresses the application gave us, to be called from VLC's
// threads, as the legacy callbacks always were.
unsafe impl Send for FrameCallback {}
unsafe impl Sync for FrameCallback {}

/// One plane of a picture, as offsets into the block's bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlaneView {
    pub offset: usize,
    pub pitch: usize,
    pub visible_bytes: usize,
    pub lines: usize,
}

impl PlaneView {
    /// One past the last byte the plane covers.
    pub fn end(&self) -> usize {
        if self.lines == 0 {
            self.offset
        } else {
            self.offset + (self.lines - 1) * self.pitch + self.visible_bytes
        }
    }
}

/// What the module tells about a video frame (see `smem_video_t`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VideoDescription {
    pub chroma: u32,
    pub width: u32,
    pub height: u32,
    pub x_offset: u32,
    pub y_offset: u32,
    pub coded_width: u32,
    pub coded_height: u32,
    /// Aspect ratio, frame rate, colour, orientation: VLC's, as they are.
    pub extra: VideoExtra,
    /// `planes[..plane_count]`; none when the block is not a picture we can lay out.
    pub planes: [PlaneView; 4],
    pub plane_count: usize,
    /// Bytes of a plane's pixel, and the bits of them used (0, 0 if not raw).
    pub pixel: (u32, u32),
    /// `SMEM_COLOR_*`: where `extra`'s colour comes from.
    pub color_source: u32,
}

/// What the module tells about an audio block (see `smem_audio_t`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AudioDescription {
    pub format: u32,
    pub rate: u32,
    pub channels: u32,
    pub physical_channels: u32,
    pub bits_per_sample: u32,
    pub samples: u32,
}

pub enum Description<'a> {
    Video(&'a VideoDescription),
    Audio(&'a AudioDescription),
}

/// The per-frame fields both kinds share.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameHeader {
    pub es_id: i32,
    pub generation: u32,
    pub dropped_before: u64,
    /// The stream's own time, microseconds, when smem knows it.
    pub media_time: Option<i64>,
    /// `SMEM_FIELDS_*` (video).
    pub field_order: u32,
    /// The camera's time of the frame, microseconds since the Unix epoch.
    pub camera_time: Option<i64>,
    /// The gap (a reconnect) before the frame, microseconds; 0 if none.
    pub gap_before: i64,
}

/// What one output's frames share: how many the application holds, the
/// bound, and the output's logger while it is open.
pub struct Holds {
    held: AtomicUsize,
    max: usize,
    refused: AtomicU64,
    log: Mutex<Option<HeldObject>>,
}

/// The output whose log gets the messages about frames we cannot attribute
/// (a release of a pointer that is not held): the last one opened.
static LAST_OPENED: Mutex<Weak<Holds>> = Mutex::new(Weak::new());

impl Holds {
    pub fn new(max: usize, log: HeldObject) -> Arc<Holds> {
        let holds =
            Arc::new(Holds { held: AtomicUsize::new(0), max, refused: AtomicU64::new(0), log: Mutex::new(Some(log)) });
        *LAST_OPENED.lock().unwrap_or_else(PoisonError::into_inner) = Arc::downgrade(&holds);
        holds
    }

    /// The output closes: later messages go to stderr. Returns how many
    /// frames the application still holds (they stay valid until released).
    pub fn close(&self) -> usize {
        self.log.lock().unwrap_or_else(PoisonError::into_inner).take();
        self.held.load(Ordering::SeqCst)
    }

    fn warn(&self, msg: &str) {
        match &*self.log.lock().unwrap_or_else(PoisonError::into_inner) {
            Some(object) => object.object().warn(msg),
            None => eprintln!("smem_rs: {msg}"),
        }
    }
}

/// Logs where the last opened output logs (or on stderr).
fn warn_anywhere(msg: &str) {
    match LAST_OPENED.lock().unwrap_or_else(PoisonError::into_inner).upgrade() {
        Some(holds) => holds.warn(msg),
        None => eprintln!("smem_rs: {msg}"),
    }
}

/// A frame as the application sees it (`frame` first, so a pointer to it is
/// a pointer to the box), with what keeps its bytes alive.
#[repr(C)]
struct FrameBox {
    frame: sys::smem_frame_t,
    video: sys::smem_video_t,
    audio: sys::smem_audio_t,
    /// The block the planes point into: on Send's stack until `hold` takes
    /// it into a heap box.
    block: Option<BlockChain>,
    /// The output that made it (`None` in a spare box).
    holds: Option<Arc<Holds>>,
}

impl FrameBox {
    /// Points the frame at this box's own description (after every move).
    fn link(&mut self) {
        if self.frame.kind == sys::SMEM_KIND_VIDEO {
            self.frame.video = &self.video;
        } else {
            self.frame.audio = &self.audio;
        }
    }
}

/// Held frames and their reference counts, by address.
static HELD: Mutex<BTreeMap<usize, usize>> = Mutex::new(BTreeMap::new());

thread_local! {
    /// The frame being delivered on this thread (on Send's stack), and the
    /// heap box a `hold` made of it.
    static CURRENT: Cell<(*mut FrameBox, *mut FrameBox)> = const { Cell::new((ptr::null_mut(), ptr::null_mut())) };
}

impl FrameCallback {
    /// The application's frame callback; `data` is passed through untouched.
    pub fn new(callback: CodeAddress, data: usize) -> Self {
        // SAFETY: the address lies in executable memory (CodeAddress); that
        // it is a `smem_frame_callback` is the application's contract.
        FrameCallback {
            callback: unsafe { std::mem::transmute::<usize, FrameCallbackFn>(callback.get()) },
            data: data as *mut c_void,
        }
    }

    /// Calls the application with `block` described by `header` and `what`.
    /// Plane views must lie inside the block (the module checks them).
    pub fn deliver(&self, holds: &Arc<Holds>, header: &FrameHeader, what: Description<'_>, block: BlockChain) {
        let Some(first) = block.iter().next() else { return };
        let data = first.data();
        let (video, audio, kind) = match what {
            Description::Video(v) => (
                sys::smem_video_t { field_order: header.field_order, ..video_struct(v, data) },
                empty_audio(),
                sys::SMEM_KIND_VIDEO,
            ),
            Description::Audio(a) => (empty_video(), audio_struct(a, data), sys::SMEM_KIND_AUDIO),
        };
        let mut flags = 0;
        let block_flags = first.flags();
        if block_flags & sys::BLOCK_FLAG_TYPE_I != 0 {
            flags |= sys::SMEM_FLAG_KEYFRAME;
        }
        if block_flags & sys::BLOCK_FLAG_DISCONTINUITY != 0 || header.gap_before > 0 {
            flags |= sys::SMEM_FLAG_DISCONTINUITY;
        }
        if block_flags & sys::BLOCK_FLAG_CORRUPTED != 0 {
            flags |= sys::SMEM_FLAG_CORRUPTED;
        }
        let frame = sys::smem_frame_t {
            struct_size: size_of::<sys::smem_frame_t>() as u32,
            version: sys::SMEM_FRAME_VERSION,
            kind,
            es_id: header.es_id,
            pts: first.pts(),
            dts: first.dts(),
            flags,
            generation: header.generation,
            dropped_before: header.dropped_before,
            video: ptr::null(),
            audio: ptr::null(),
            hold: Some(smem_frame_hold),
            release: Some(smem_frame_release),
            media_time: header.media_time.unwrap_or(sys::SMEM_TIME_UNKNOWN),
            camera_time: header.camera_time.unwrap_or(sys::SMEM_TIME_UNKNOWN),
            gap_before: header.gap_before,
        };
        let mut live = FrameBox { frame, video, audio, block: Some(block), holds: Some(Arc::clone(holds)) };
        live.link();
        let live: *mut FrameBox = &mut live;
        let previous = CURRENT.replace((live, ptr::null_mut()));
        // SAFETY: the callback is code (CodeAddress) of the
        // smem_frame_callback signature (the application's contract); the
        // frame and what it points to outlive the call, and `hold` is the
        // only way it is changed meanwhile.
        unsafe { (self.callback)(self.data, live.cast()) };
        CURRENT.set(previous);
        // If the application held the frame, its block went into the heap
        // box; otherwise `live` drops here with the block.
    }
}

fn video_struct(v: &VideoDescription, data: &[u8]) -> sys::smem_video_t {
    let mut planes = [sys::smem_plane_t { pixels: ptr::null(), pitch: 0, visible_bytes: 0, lines: 0 }; 4];
    for (out, plane) in planes.iter_mut().zip(&v.planes[..v.plane_count.min(4)]) {
        assert!(plane.end() <= data.len(), "a plane view leaves the block");
        *out = sys::smem_plane_t {
            pixels: data[plane.offset..].as_ptr(),
            pitch: plane.pitch,
            visible_bytes: plane.visible_bytes,
            lines: plane.lines,
        };
    }
    sys::smem_video_t {
        struct_size: size_of::<sys::smem_video_t>() as u32,
        chroma: v.chroma,
        width: v.width,
        height: v.height,
        x_offset: v.x_offset,
        y_offset: v.y_offset,
        coded_width: v.coded_width,
        coded_height: v.coded_height,
        sar_num: v.extra.sar.0,
        sar_den: v.extra.sar.1,
        frame_rate_num: v.extra.frame_rate.0,
        frame_rate_den: v.extra.frame_rate.1,
        color_space: v.extra.color_space,
        color_range_full: i32::from(v.extra.color_range_full),
        primaries: v.extra.primaries,
        transfer: v.extra.transfer,
        orientation: v.extra.orientation,
        plane_count: v.plane_count.min(4) as u32,
        planes,
        data: data.as_ptr(),
        size: data.len(),
        pixel_size: v.pixel.0,
        pixel_bits: v.pixel.1,
        field_order: sys::SMEM_FIELDS_UNKNOWN,
        color_source: v.color_source,
    }
}

fn audio_struct(a: &AudioDescription, data: &[u8]) -> sys::smem_audio_t {
    sys::smem_audio_t {
        struct_size: size_of::<sys::smem_audio_t>() as u32,
        format: a.format,
        rate: a.rate,
        channels: a.channels,
        physical_channels: a.physical_channels,
        bits_per_sample: a.bits_per_sample,
        samples: a.samples,
        reserved: 0,
        data: data.as_ptr(),
        size: data.len(),
    }
}

fn empty_video() -> sys::smem_video_t {
    video_struct(&VideoDescription::default(), &[])
}

fn empty_audio() -> sys::smem_audio_t {
    audio_struct(&AudioDescription::default(), &[])
}

/// 1, 10, 100...: when a repeated event is logged.
fn worth_logging(mut n: u64) -> bool {
    while n >= 10 && n % 10 == 0 {
        n /= 10;
    }
    n == 1
}

/// `frame->hold(frame)`.
unsafe extern "C" fn smem_frame_hold(frame: *const sys::smem_frame_t) -> *const sys::smem_frame_t {
    catch_unwind(AssertUnwindSafe(|| hold(frame.cast_mut().cast()))).unwrap_or(ptr::null())
}

fn hold(frame: *mut FrameBox) -> *const sys::smem_frame_t {
    let mut held = HELD.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(refs) = held.get_mut(&(frame as usize)) {
        *refs += 1;
        return frame.cast();
    }
    let (live, boxed) = CURRENT.get();
    if frame.is_null() || frame != live {
        drop(held);
        static STRAY: AtomicU64 = AtomicU64::new(0);
        let count = STRAY.fetch_add(1, Ordering::Relaxed) + 1;
        if worth_logging(count) {
            warn_anywhere(&format!(
                "hold: the frame is neither being delivered on this thread nor held \
                 (hold it during its callback, on its thread): nothing held ({count} so far)"
            ));
        }
        return ptr::null();
    }
    if !boxed.is_null() {
        *held.get_mut(&(boxed as usize)).expect("a box made in this callback is held until released") += 1;
        return boxed.cast();
    }
    // SAFETY: `live` is the frame on Send's stack, alive for the whole
    // callback this thread is in; nothing else touches it meanwhile.
    let live = unsafe { &mut *live };
    let Some(holds) = &live.holds else { return ptr::null() };
    if holds.held.fetch_add(1, Ordering::SeqCst) >= holds.max {
        holds.held.fetch_sub(1, Ordering::SeqCst);
        let refused = holds.refused.fetch_add(1, Ordering::Relaxed) + 1;
        drop(held);
        if worth_logging(refused) {
            holds.warn(&format!(
                "hold refused: the application already holds {} frames (sout-smem-max-held); release some, \
                 or copy the frame during its callback ({refused} refused so far)",
                holds.max
            ));
        }
        return ptr::null();
    }
    if let Some(block) = &live.block {
        pin_code(block.release_address());
    }
    let frame = FrameBox {
        frame: live.frame,
        video: live.video,
        audio: live.audio,
        block: live.block.take(),
        holds: live.holds.clone(),
    };
    // A spare box if there is one: no allocation per held frame.
    let mut boxed = match SPARE.lock().unwrap_or_else(PoisonError::into_inner).pop() {
        Some(SpareBox(mut spare)) => {
            *spare = frame;
            spare
        }
        None => Box::new(frame),
    };
    boxed.link();
    let boxed = Box::into_raw(boxed);
    held.insert(boxed as usize, 1);
    CURRENT.set((live, boxed));
    boxed.cast()
}

/// `frame->release(frame)`.
unsafe extern "C" fn smem_frame_release(frame: *const sys::smem_frame_t) {
    let _ = catch_unwind(AssertUnwindSafe(|| release(frame.cast_mut().cast())));
}

fn release(frame: *mut FrameBox) {
    let mut held = HELD.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(refs) = held.get_mut(&(frame as usize)) else {
        drop(held);
        static UNHELD: AtomicU64 = AtomicU64::new(0);
        let count = UNHELD.fetch_add(1, Ordering::Relaxed) + 1;
        if worth_logging(count) {
            warn_anywhere(&format!(
                "release: the frame is not held (released twice, or never held): ignored; \
                 a frame from a callback needs no release unless hold returned it ({count} so far)"
            ));
        }
        return;
    };
    *refs -= 1;
    if *refs > 0 {
        return;
    }
    held.remove(&(frame as usize));
    drop(held);
    // SAFETY: the address was registered by `hold` from Box::into_raw and
    // is removed from the registry just above, so it is taken back once.
    let mut boxed = unsafe { Box::from_raw(frame) };
    drop(boxed.block.take()); // VLC's block goes back
    let holds = boxed.holds.take();
    let mut spare = SPARE.lock().unwrap_or_else(PoisonError::into_inner);
    if spare.len() < SPARE_BOXES {
        spare.push(SpareBox(boxed));
    }
    drop(spare);
    if let Some(holds) = holds {
        holds.held.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A released frame's box, kept for a later hold.
struct SpareBox(Box<FrameBox>);

// SAFETY: a spare box holds no block and no output (both taken at
// release); its raw pointers point into itself or at nothing, and are
// rewritten before it is handed out again.
unsafe impl Send for SpareBox {}

/// Boxes of released frames, kept for the next holds.
static SPARE: Mutex<Vec<SpareBox>> = Mutex::new(Vec::new());
const SPARE_BOXES: usize = 64;

/// Keeps the library holding `address` (a block's release function) mapped
/// for good: VLC unloads plugins at libvlc_release, and a held block may be
/// released after that. Each library is pinned once.
fn pin_code(address: usize) {
    static PINNED: Mutex<Vec<usize>> = Mutex::new(Vec::new());
    if address == 0 {
        return;
    }
    // SAFETY: dladdr only reads the loader's tables; Dl_info is plain data.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    if unsafe { libc::dladdr(address as *const c_void, &mut info) } == 0 || info.dli_fname.is_null() {
        return;
    }
    let base = info.dli_fbase as usize;
    let mut pinned = PINNED.lock().unwrap_or_else(PoisonError::into_inner);
    if pinned.contains(&base) {
        return;
    }
    // SAFETY: dli_fname is the loader's NUL-terminated path of a loaded
    // object; RTLD_NOLOAD only takes another reference on it, and
    // RTLD_NODELETE keeps it mapped after every dlclose. The handle is kept
    // on purpose (never closed).
    let path: &CStr = unsafe { CStr::from_ptr(info.dli_fname) };
    let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD | libc::RTLD_NODELETE) };
    if !handle.is_null() {
        pinned.push(base);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plane_ends() {
        let p = PlaneView { offset: 10, pitch: 8, visible_bytes: 6, lines: 3 };
        assert_eq!(p.end(), 10 + 16 + 6);
        assert_eq!(PlaneView { lines: 0, ..p }.end(), 10);
    }

    #[test]
    fn repeated_messages_are_rate_limited() {
        let logged: Vec<u64> = (1..=2000).filter(|&n| worth_logging(n)).collect();
        assert_eq!(logged, [1, 10, 100, 1000]);
    }
}
