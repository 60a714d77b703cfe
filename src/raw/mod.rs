//! `smem_raw`: transcode's raw video "encoder", without the copy.
//!
//! Transcode always encodes: with `vcodec=I420` VLC's raw encoder
//! (avcodec's rawvideo) copies every decoded picture into a new block, 3 MB
//! a 1080p I420 frame, before smem sees it. Chosen by name
//! (`#transcode{vcodec=I420,venc=smem_raw}`, score 0 so VLC never picks it
//! by itself), this encoder hands smem a block that *is* the picture: it
//! points at the picture's planes and holds the picture until released.
//!
//! The block's layout travels in the ES format, where smem (and any other
//! stream output) reads it: libvlccore lays a picture's planes back to back,
//! each `pitch` x `lines` of an aligned `width` x `height` picture
//! (`picture_Setup`), so we tell the next stream that coded size, and the
//! visible size as transcode set it. smem then finds the visible picture in
//! the block as it does for any coded block (`smem::geometry::locate`):
//! the frame ABI points into it, the legacy callbacks copy it out, and a
//! `duplicate{}` branch's copy (`block_Duplicate`) keeps the same layout.
//! A picture laid out otherwise (a filter's own buffers, a size change
//! transcode did not reopen us for) is copied into the promised layout:
//! always right, and free of copies whenever it can be.
#![forbid(unsafe_code)]

use std::ffi::CStr;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::ffi::block::BlockChain;
use crate::ffi::descriptor::{ModuleInfo, StaticCStr};
use crate::ffi::encoder::{self, OwnedBlock, Picture, PlaneShape, Setup, VideoEncoder};
use crate::ffi::object::Object;
use crate::ffi::stream::OpenError;
use crate::ffi::sys;
use crate::fourcc::Fourcc;
use crate::smem::formats::{self, Chroma};
use crate::smem::geometry::{plane_shape, visible_size};

pub const MODULE_NAME: &CStr = smem_names::module::RAW.as_c_str();

pub static MODULE: ModuleInfo = ModuleInfo {
    name: MODULE_NAME,
    shortname: c"Smem raw",
    description: c"Raw video for smem, without a copy (Rust)",
    capability: c"encoder",
    score: 0,
    shortcuts: &[StaticCStr::new(MODULE_NAME)],
    category: sys::CAT_INPUT as i64,
    subcategory: sys::SUBCAT_INPUT_VCODEC as i64,
    options: &[],
    open: (c"OpenRaw", encoder::open::<RawEncoder>),
    close: (c"CloseRaw", encoder::close::<RawEncoder>),
};

/// The layout of every block of an ES: each plane's pitch and lines, back
/// to back, as the ES format tells the next stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Promise {
    /// The size the format gives (the block holds a `width` x `height`
    /// picture of the chroma, tightly packed plane after plane).
    pub width: u32,
    pub height: u32,
    pub planes: Vec<(usize, usize)>,
}

impl Promise {
    /// The layout libvlccore gives pictures (`shapes`, from a picture it
    /// made), if it is that of a packed `W` x `H` picture of `chroma`: then
    /// a format can say it and our blocks can be the pictures themselves.
    pub fn of_pictures(chroma: &Chroma, shapes: &[PlaneShape]) -> Option<Promise> {
        let first = shapes.first()?;
        let pixel = chroma.planes().first()?.pixel_size as usize;
        if pixel == 0 || first.pitch % pixel != 0 || shapes.len() != chroma.planes().len() {
            return None;
        }
        let width = u32::try_from(first.pitch / pixel).ok()?;
        let height = u32::try_from(first.lines).ok()?;
        let promise = Promise::packed(chroma, width, height);
        let same = promise.planes.iter().zip(shapes).all(|(&(pitch, lines), s)| (pitch, lines) == (s.pitch, s.lines));
        same.then_some(promise)
    }

    /// A tightly packed `width` x `height` picture of `chroma` (for the
    /// visible size: what VLC's raw encoder writes).
    pub fn packed(chroma: &Chroma, width: u32, height: u32) -> Promise {
        Promise { width, height, planes: chroma.planes().iter().map(|p| plane_shape(p, width, height)).collect() }
    }

    pub fn size(&self) -> usize {
        self.planes.iter().map(|(pitch, lines)| pitch * lines).sum()
    }

    /// Whether a picture with these planes is a block of this layout as it
    /// is: same shapes, back to back from plane 0.
    pub fn fits(&self, shapes: &[PlaneShape]) -> bool {
        let mut at = 0isize;
        shapes.len() == self.planes.len()
            && self.planes.iter().zip(shapes).all(|(&(pitch, lines), s)| {
                let fits = s.pitch == pitch && s.lines == lines && s.offset == at;
                at += (pitch * lines) as isize;
                fits
            })
    }
}

/// Copies plane `from` (`from_pitch` bytes a line) into plane `to`
/// (`to_pitch`, `to_lines`): the lines and columns both have; the rest of
/// `to` is left as it is.
pub fn copy_plane(from: &[u8], from_pitch: usize, to: &mut [u8], to_pitch: usize, to_lines: usize) {
    if from_pitch == 0 || to_pitch == 0 {
        return;
    }
    let width = from_pitch.min(to_pitch);
    for (src, dst) in from.chunks(from_pitch).zip(to.chunks_mut(to_pitch)).take(to_lines) {
        let n = width.min(src.len()).min(dst.len());
        dst[..n].copy_from_slice(&src[..n]);
    }
}

/// The encoder of one video track.
pub struct RawEncoder {
    chroma: Fourcc,
    promise: Promise,
    /// `false` when the promise is the packed visible picture (libvlccore's
    /// layout could not be told in a format): every picture is copied.
    lends: bool,
    /// A frame's duration for the block (0 when transcode gives no rate).
    length: i64,
    /// A picture was copied though the pictures are lent (logged once).
    copy_logged: AtomicBool,
}

impl VideoEncoder for RawEncoder {
    const MODULE_NAME: &'static CStr = MODULE_NAME;

    fn open(setup: &mut Setup<'_>) -> Result<Self, OpenError> {
        let (chroma, video) = setup.wanted();
        if !video {
            setup.log().debug("not a video track: only raw video is ours");
            return Err(OpenError::NotForUs);
        }
        let Some(described) = formats::chroma(chroma) else {
            setup.log().error(&format!(
                "{chroma} is not a raw picture format this VLC knows: {} only makes raw video \
                 (vcodec=I420, RV32, RV24...)",
                MODULE_NAME.to_string_lossy()
            ));
            return Err(OpenError::NotForUs);
        };
        setup.set_input_chroma(chroma);
        let Some(mut input) = setup.input() else {
            setup.log().error("transcode gave no video format");
            return Err(OpenError::NotForUs);
        };
        input.chroma = chroma;
        let (vis_w, vis_h) = visible_size(&input);
        let lent = setup.layout_of(&input).and_then(|shapes| Promise::of_pictures(&described, &shapes));
        let (promise, lends) = match lent {
            Some(promise) => (promise, true),
            None => {
                setup.log().warn(&format!(
                    "{chroma} pictures of {}x{} are not laid out as one packed picture: each frame is copied",
                    input.width, input.height
                ));
                (Promise::packed(&described, vis_w, vis_h), false)
            }
        };
        // The visible size and its offset (0, as VLC's raw encoder reads
        // the planes from their first byte) are left as transcode set them.
        setup.set_output(chroma, (promise.width, promise.height));
        let length = setup.output_frame_rate().map_or(0, |(rate, base)| 1_000_000 * i64::from(base) / i64::from(rate));
        setup.log().debug(&format!(
            "{chroma} {vis_w}x{vis_h} in blocks of {}x{} ({} bytes), {}",
            promise.width,
            promise.height,
            promise.size(),
            if lends { "the pictures themselves" } else { "copied" }
        ));
        Ok(RawEncoder { chroma, promise, lends, length, copy_logged: AtomicBool::new(false) })
    }

    fn encode(&self, log: &Object<'_>, picture: &Picture<'_>) -> Option<BlockChain> {
        let shapes = picture.planes();
        let lent = (self.lends && picture.chroma() == self.chroma && self.promise.fits(&shapes))
            .then(|| picture.lend(self.promise.size()))
            .flatten();
        let mut block = match lent {
            Some(block) => block,
            None => self.copy(log, picture, &shapes)?,
        };
        let fields = match picture.top_field_first() {
            None => 0,
            Some(true) => sys::BLOCK_FLAG_TOP_FIELD_FIRST,
            Some(false) => sys::BLOCK_FLAG_BOTTOM_FIELD_FIRST,
        };
        // Every raw picture stands alone: a key frame, as avcodec marks them.
        block.stamp(picture.date(), picture.date(), self.length, sys::BLOCK_FLAG_TYPE_I | fields);
        Some(block)
    }
}

impl RawEncoder {
    fn copy(&self, log: &Object<'_>, picture: &Picture<'_>, shapes: &[PlaneShape]) -> Option<BlockChain> {
        if self.lends && !self.copy_logged.swap(true, Ordering::Relaxed) {
            log.debug(&format!(
                "a {} picture laid out as {shapes:?} (promised: {:?}), or not libvlccore's own: copied",
                picture.chroma(),
                self.promise.planes
            ));
        }
        if picture.chroma() != self.chroma {
            log.error(&format!("a {} picture where {} was agreed: dropped", picture.chroma(), self.chroma));
            return None;
        }
        let Some(mut block) = OwnedBlock::new(self.promise.size()) else {
            log.error(&format!("cannot allocate a block of {} bytes: frame dropped", self.promise.size()));
            return None;
        };
        let out = block.data_mut();
        out.fill(0);
        let mut at = 0;
        for (index, &(pitch, lines)) in self.promise.planes.iter().enumerate() {
            let from_pitch = shapes.get(index).map_or(0, |s| s.pitch);
            copy_plane(picture.plane(index), from_pitch, &mut out[at..at + pitch * lines], pitch, lines);
            at += pitch * lines;
        }
        Some(block.into_chain())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smem::formats::shapes;
    use crate::smem::geometry::packed_size;

    fn i420() -> Chroma {
        Chroma::new(Fourcc::new(b"I420"), &shapes::I420)
    }

    fn back_to_back(planes: &[(usize, usize)]) -> Vec<PlaneShape> {
        let mut at = 0isize;
        planes
            .iter()
            .map(|&(pitch, lines)| {
                let shape = PlaneShape { pitch, lines, offset: at };
                at += (pitch * lines) as isize;
                shape
            })
            .collect()
    }

    #[test]
    fn libvlccore_s_1080p_i420_layout_is_a_packed_1920x1092_picture() {
        // picture_Setup for 1920x1088: width aligned to 32, height to 32, + 4 lines.
        let shapes = back_to_back(&[(1920, 1092), (960, 546), (960, 546)]);
        let promise = Promise::of_pictures(&i420(), &shapes).unwrap();
        assert_eq!((promise.width, promise.height), (1920, 1092));
        assert_eq!(promise.size(), packed_size(&i420(), 1920, 1092));
        assert!(promise.fits(&shapes));
    }

    #[test]
    fn a_picture_laid_out_otherwise_does_not_fit() {
        let promise = Promise::packed(&i420(), 64, 48);
        assert!(promise.fits(&back_to_back(&[(64, 48), (32, 24), (32, 24)])));
        // Separate allocations: planes not back to back.
        let mut apart = back_to_back(&[(64, 48), (32, 24), (32, 24)]);
        apart[2].offset += 64;
        assert!(!promise.fits(&apart));
        // Wider lines (a filter's own pool).
        assert!(!promise.fits(&back_to_back(&[(128, 48), (64, 24), (64, 24)])));
        assert!(!promise.fits(&back_to_back(&[(64, 48), (32, 24)])));
    }

    #[test]
    fn chroma_planes_that_are_not_the_luma_s_fraction_cannot_be_promised() {
        let shapes = back_to_back(&[(64, 52), (48, 26), (32, 26)]);
        assert_eq!(Promise::of_pictures(&i420(), &shapes), None);
        let rv24 = Chroma::new(Fourcc::new(b"RV24"), &shapes::RV24);
        // A pitch that is not whole pixels.
        assert_eq!(Promise::of_pictures(&rv24, &back_to_back(&[(100, 8)])), None);
        let promise = Promise::of_pictures(&rv24, &back_to_back(&[(96, 8)])).unwrap();
        assert_eq!((promise.width, promise.height), (32, 8));
    }

    #[test]
    fn copying_keeps_the_top_left_both_planes_have() {
        // 3 lines of 4 into 2 lines of 3 (and back, padded with what was there).
        let from: Vec<u8> = (0..12).collect();
        let mut to = vec![0u8; 6];
        copy_plane(&from, 4, &mut to, 3, 2);
        assert_eq!(to, [0, 1, 2, 4, 5, 6]);
        let mut wide = vec![9u8; 15];
        copy_plane(&to, 3, &mut wide, 5, 3);
        assert_eq!(wide, [0, 1, 2, 9, 9, 4, 5, 6, 9, 9, 9, 9, 9, 9, 9]);
        copy_plane(&from, 0, &mut wide, 5, 3);
    }
}
