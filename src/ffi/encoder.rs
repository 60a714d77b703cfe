//! The `encoder` glue. A module implements [`VideoEncoder`] in safe Rust;
//! the `extern "C"` functions here are what VLC (transcode) calls. They own
//! the module state (`p_sys`) and catch every panic at the edge.
//!
//! [`Picture`] is a borrowed `picture_t`: its planes, and the two ways a
//! picture becomes a block: [`Picture::lend`], a block that points at the
//! picture's own memory and holds the picture until the block is released
//! (no copy), and [`OwnedBlock`], a block of our own to copy into.

use std::ffi::{c_int, CStr};
use std::ptr;

use super::block::BlockChain;
use super::es::{EsFormat, EsKind, VideoFormat};
use super::object::Object;
use super::stream::{guarded, install_panic_hook, take_sys, OpenError};
use super::sys;
use crate::fourcc::Fourcc;

/// The encoder a module implements. Transcode calls one encoder from one
/// thread at a time (its own, or its encoder thread with `threads=`).
pub trait VideoEncoder: Sized + Send {
    const MODULE_NAME: &'static CStr;

    fn open(setup: &mut Setup<'_>) -> Result<Self, OpenError>;
    /// A block for `picture` (`None` drops it, after logging why).
    fn encode(&self, log: &Object<'_>, picture: &Picture<'_>) -> Option<BlockChain>;
}

/// One plane of a picture: its shape, and where it starts relative to the
/// first plane's first byte.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlaneShape {
    pub pitch: usize,
    pub lines: usize,
    /// Bytes from plane 0's start (may be negative, or anywhere, for a
    /// picture whose planes are separate allocations).
    pub offset: isize,
}

/// A picture's planes, in order (at most VLC's `PICTURE_PLANE_MAX`): no
/// allocation per frame.
#[derive(Clone, Copy, Debug)]
pub struct Planes {
    shapes: [PlaneShape; PICTURE_PLANES],
    count: usize,
}

/// VLC 3.0's `PICTURE_PLANE_MAX`, the length of `picture_t::p`.
const PICTURE_PLANES: usize = 5;

impl std::ops::Deref for Planes {
    type Target = [PlaneShape];
    fn deref(&self) -> &[PlaneShape] {
        &self.shapes[..self.count]
    }
}

/// The encoder while VLC opens it: its formats, to read and to set.
pub struct Setup<'a> {
    raw: &'a mut sys::encoder_t,
    log: Object<'a>,
}

impl<'a> Setup<'a> {
    pub fn log(&self) -> &Object<'a> {
        &self.log
    }

    /// The codec transcode asks for (`vcodec=`), and whether the track is video.
    pub fn wanted(&self) -> (Fourcc, bool) {
        let out = &self.raw.fmt_out;
        (Fourcc(out.i_codec), out.i_cat == sys::es_format_category_e_VIDEO_ES)
    }

    /// The pictures transcode will hand over, as it has set them up.
    pub fn input(&self) -> Option<VideoFormat> {
        // SAFETY: fmt_in is the encoder's own, valid during Open.
        match unsafe { EsFormat::from_raw(&self.raw.fmt_in) }?.kind {
            EsKind::Video(video) => Some(video),
            _ => None,
        }
    }

    /// Asks transcode for pictures of `chroma` (it converts to it).
    pub fn set_input_chroma(&mut self, chroma: Fourcc) {
        self.raw.fmt_in.i_codec = chroma.0;
        // Writing a union field is safe; a video encoder's fmt_in is video.
        self.raw.fmt_in.__bindgen_anon_1.video.i_chroma = chroma.0;
    }

    /// What the next stream is told the blocks hold: raw `chroma` pictures
    /// coded at `width` x `height`. The rest of the format (the visible
    /// size, rates, aspect, colour) stays transcode's: it opens encoders
    /// once to try them, and reads the visible size left in `fmt_out` then
    /// as the size asked for (`width=`, `height=`).
    pub fn set_output(&mut self, chroma: Fourcc, (width, height): (u32, u32)) {
        self.raw.fmt_out.i_codec = chroma.0;
        // Writing a union field is safe; a video encoder's fmt_out is video.
        self.raw.fmt_out.__bindgen_anon_1.video.i_chroma = chroma.0;
        self.raw.fmt_out.__bindgen_anon_1.video.i_width = width;
        self.raw.fmt_out.__bindgen_anon_1.video.i_height = height;
    }

    /// The frame rate transcode gives the next stream, if it has one.
    pub fn output_frame_rate(&self) -> Option<(u32, u32)> {
        // SAFETY: as set_output.
        let video = unsafe { &self.raw.fmt_out.__bindgen_anon_1.video };
        (video.i_frame_rate > 0 && video.i_frame_rate_base > 0).then_some((video.i_frame_rate, video.i_frame_rate_base))
    }

    /// The planes of a picture libvlccore makes for `format` (this VLC's
    /// own layout, asked rather than assumed); `None` if it cannot.
    pub fn layout_of(&self, format: &VideoFormat) -> Option<Vec<PlaneShape>> {
        // SAFETY: an all-zero video_format_t is valid (no palette pointer).
        let mut video: sys::video_format_t = unsafe { std::mem::zeroed() };
        video.i_chroma = format.chroma.0;
        video.i_width = format.width;
        video.i_height = format.height;
        video.i_x_offset = format.x_offset;
        video.i_y_offset = format.y_offset;
        video.i_visible_width = format.visible_width;
        video.i_visible_height = format.visible_height;
        video.i_sar_num = 1;
        video.i_sar_den = 1;
        // SAFETY: a valid format; the picture is released right here.
        unsafe {
            let picture = ptr::NonNull::new(sys::picture_NewFromFormat(&video))?;
            let shapes = Picture { raw: picture.as_ref() }.planes().to_vec();
            sys::picture_Release(picture.as_ptr());
            Some(shapes)
        }
    }
}

/// A picture transcode lends the encoder for the call.
pub struct Picture<'a> {
    raw: &'a sys::picture_t,
}

impl Picture<'_> {
    pub fn chroma(&self) -> Fourcc {
        Fourcc(self.raw.format.i_chroma)
    }

    /// VLC's planes of the picture, as many as it says it has.
    fn raw_planes(&self) -> &[sys::plane_t] {
        let count = usize::try_from(self.raw.i_planes).unwrap_or(0).min(self.raw.p.len()).min(PICTURE_PLANES);
        &self.raw.p[..count]
    }

    /// Its planes, in order.
    pub fn planes(&self) -> Planes {
        let mut planes = Planes { shapes: [PlaneShape::default(); PICTURE_PLANES], count: 0 };
        let first = self.raw.p[0].p_pixels as isize;
        for (shape, p) in planes.shapes.iter_mut().zip(self.raw_planes()) {
            *shape = PlaneShape {
                pitch: usize::try_from(p.i_pitch).unwrap_or(0),
                lines: usize::try_from(p.i_lines).unwrap_or(0),
                offset: (p.p_pixels as isize).wrapping_sub(first),
            };
            planes.count += 1;
        }
        planes
    }

    /// Plane `index`'s bytes (`pitch` x `lines`).
    pub fn plane(&self, index: usize) -> &[u8] {
        let Some(p) = self.raw_planes().get(index) else { return &[] };
        let len = usize::try_from(p.i_pitch).unwrap_or(0) * usize::try_from(p.i_lines).unwrap_or(0);
        if p.p_pixels.is_null() || len == 0 {
            return &[];
        }
        // SAFETY: a picture's plane holds i_pitch * i_lines bytes at p_pixels.
        unsafe { std::slice::from_raw_parts(p.p_pixels, len) }
    }

    /// VLC's presentation time (`date`, microseconds).
    pub fn date(&self) -> i64 {
        self.raw.date
    }

    /// `None` for a progressive picture, else whether the top field is first.
    pub fn top_field_first(&self) -> Option<bool> {
        (!self.raw.b_progressive).then_some(self.raw.b_top_field_first)
    }

    /// A block of the picture's first `len` bytes from plane 0 on, without
    /// a copy: it holds the picture until the block is released.
    ///
    /// `None` unless the planes lie back to back from plane 0 over those
    /// `len` bytes (every byte of the block is then a byte of one of the
    /// picture's planes) and the picture is libvlccore's plain kind.
    pub fn lend(&self, len: usize) -> Option<BlockChain> {
        let planes = self.planes();
        let covered: usize = planes.iter().map(|p| p.pitch * p.lines).sum();
        let back_to_back =
            planes.iter().try_fold(0isize, |at, p| (p.offset == at).then(|| at + (p.pitch * p.lines) as isize));
        // A picture with private data or a context (a video output's pool, a
        // hardware surface) may be destroyed by code of a plugin VLC unloads
        // before the application lets go of the block: copied instead.
        // libvlccore's own pictures (decoders' and filters' in transcode) have
        // neither, and libvlccore's destroy.
        let plain = self.raw.p_sys.is_null() && self.raw.context.is_null();
        if !plain || back_to_back.is_none() || len > covered || self.raw.p[0].p_pixels.is_null() {
            return None;
        }
        let lent = Box::new(LentPicture {
            // SAFETY: an all-zero block_t is a valid value; block_Init fills it.
            block: unsafe { std::mem::zeroed() },
            // SAFETY: a live picture; our reference is dropped in release_lent.
            picture: unsafe { sys::picture_Hold(ptr::from_ref(self.raw).cast_mut()) },
        });
        let lent = Box::into_raw(lent);
        // SAFETY: `lent` is ours until its block's release: block_Init points
        // the block at the picture's planes (checked above), which stay
        // alive while the picture is held.
        unsafe {
            sys::block_Init(&mut (*lent).block, self.raw.p[0].p_pixels.cast(), len);
            (*lent).block.pf_release = Some(release_lent);
            Some(BlockChain::from_raw(&mut (*lent).block))
        }
    }
}

/// A block that lends a picture's memory: the block first, so VLC's block
/// pointer is this struct's.
#[repr(C)]
struct LentPicture {
    block: sys::block_t,
    picture: *mut sys::picture_t,
}

unsafe extern "C" fn release_lent(block: *mut sys::block_t) {
    // SAFETY: only blocks made by Picture::lend have this release: the block
    // is the first field of a leaked LentPicture, released once.
    let lent = unsafe { Box::from_raw(block.cast::<LentPicture>()) };
    // SAFETY: the reference Picture::lend took.
    unsafe { sys::picture_Release(lent.picture) };
}

/// A block of our own (`block_Alloc`), to fill before it goes.
pub struct OwnedBlock {
    chain: BlockChain,
    raw: ptr::NonNull<sys::block_t>,
}

impl OwnedBlock {
    pub fn new(len: usize) -> Option<OwnedBlock> {
        // SAFETY: block_Alloc returns a block of `len` bytes, or null.
        let raw = ptr::NonNull::new(unsafe { sys::block_Alloc(len) })?;
        // SAFETY: a fresh block, ours alone.
        Some(OwnedBlock { chain: unsafe { BlockChain::from_raw(raw.as_ptr()) }, raw })
    }

    pub fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: a block we own holds i_buffer writable bytes at p_buffer.
        unsafe {
            let block = self.raw.as_mut();
            if block.i_buffer == 0 {
                return &mut [];
            }
            std::slice::from_raw_parts_mut(block.p_buffer, block.i_buffer)
        }
    }

    pub fn into_chain(self) -> BlockChain {
        self.chain
    }
}

impl BlockChain {
    /// Sets the head block's times (microseconds) and `BLOCK_FLAG_*`.
    pub fn stamp(&mut self, pts: i64, dts: i64, length: i64, flags: u32) {
        let Some(head) = self.head_mut() else { return };
        head.i_pts = pts;
        head.i_dts = dts;
        head.i_length = length;
        head.i_flags = flags;
    }
}

unsafe extern "C" fn encode_video<E: VideoEncoder>(
    raw: *mut sys::encoder_t,
    picture: *mut sys::picture_t,
) -> *mut sys::block_t {
    // SAFETY: VLC calls with the encoder Open set up (p_sys is our module)
    // and a picture valid for the call (or null: flush, nothing buffered).
    unsafe {
        let Some(picture) = picture.as_ref() else { return ptr::null_mut() };
        let log = Object::from_raw(raw.cast(), E::MODULE_NAME);
        let Some(module) = (*raw).p_sys.cast::<E>().as_ref() else { return ptr::null_mut() };
        let picture = Picture { raw: picture };
        guarded(&log, "Encode", None, || module.encode(&log, &picture)).map_or(ptr::null_mut(), BlockChain::into_raw)
    }
}

/// `Open` as registered in the descriptor.
///
/// # Safety
/// Called by VLC with a live `encoder_t`.
pub unsafe extern "C" fn open<E: VideoEncoder>(obj: *mut sys::vlc_object_t) -> c_int {
    // SAFETY: VLC's module loader calls Open with the encoder_t it is
    // creating (alive until Close); p_sys and pf_encode_video are ours to
    // set, and the module state is leaked into p_sys until Close.
    unsafe {
        install_panic_hook();
        let raw = obj.cast::<sys::encoder_t>();
        let log = Object::from_raw(obj, E::MODULE_NAME);
        let mut setup = Setup { raw: &mut *raw, log };
        match guarded(&log, "Open", Err(OpenError::NotForUs), || E::open(&mut setup)) {
            Ok(module) => {
                (*raw).p_sys = Box::into_raw(Box::new(module)).cast();
                (*raw).pf_encode_video = Some(encode_video::<E>);
                sys::VLC_SUCCESS as c_int
            }
            Err(OpenError::Refused) => sys::VLC_ETIMEOUT,
            Err(OpenError::NotForUs) => sys::VLC_EGENERIC,
        }
    }
}

/// `Close` as registered in the descriptor.
///
/// # Safety
/// Called by VLC once, after a successful `open::<E>` on the same encoder.
pub unsafe extern "C" fn close<E: VideoEncoder>(obj: *mut sys::vlc_object_t) {
    // SAFETY: p_sys is the Box Open leaked (or null), taken back once.
    unsafe {
        let raw = obj.cast::<sys::encoder_t>();
        let log = Object::from_raw(obj, E::MODULE_NAME);
        if let Some(module) = take_sys::<E, _>(&mut (*raw).p_sys) {
            guarded(&log, "Close", (), || drop(module));
        }
    }
}
