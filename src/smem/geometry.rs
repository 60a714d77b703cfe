//! Frame geometry: which bytes of a raw video block make the picture, and
//! the copy plan that moves them into the application's buffer.
//!
//! A raw block holds its planes one after another, each line `pitch` bytes.
//! VLC's encoders write either the visible picture (`visible_width` x
//! `visible_height`, as `transcode` does) or the whole coded picture
//! (`width` x `height`, which can carry padding lines and columns). Stock
//! smem copies the block as it is and reports the coded `width`/`height`,
//! which then do not describe the bytes (e.g. 320x256 for a 320x240 buffer).
//! We find which of the two layouts the block has, deliver the visible
//! picture tightly packed, and report its real size.

use super::formats::{Chroma, Plane};
use crate::copy::copy_rows;
use crate::ffi::es::VideoFormat;
use crate::ffi::frame::PlaneView;

/// Up to four planes (YUVA).
pub const MAX_PLANES: usize = 4;

/// Copy `count` runs of `len` bytes from `src + i*src_stride` to
/// `dst + i*dst_stride`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CopyRun {
    pub src: usize,
    pub src_stride: usize,
    pub dst: usize,
    pub dst_stride: usize,
    pub len: usize,
    pub count: usize,
}

impl CopyRun {
    /// A run whose lines are back to back on both sides is one memcpy.
    fn merged(self) -> CopyRun {
        if self.count > 1 && self.src_stride == self.len && self.dst_stride == self.len {
            CopyRun { len: self.len * self.count, count: 1, ..self }
        } else {
            self
        }
    }
}

/// How to deliver one block: what to tell the application and how to copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FramePlan {
    pub width: u32,
    pub height: u32,
    /// Bytes delivered (the size passed to both callbacks).
    pub size: usize,
    /// The block length this plan was made for.
    pub block_len: usize,
    pub layout: Layout,
    runs: [CopyRun; MAX_PLANES],
    run_count: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// The block is exactly the visible picture, tightly packed.
    Visible,
    /// The block is the coded picture; we cut the visible part out of it.
    Cropped,
    /// Not a layout we can explain (or not raw video): passed on unchanged.
    Opaque,
}

fn ceil_div(a: u64, b: u64) -> u64 {
    a.div_ceil(b)
}

/// Bytes per line and lines of `plane` for a `width` x `height` picture.
pub fn plane_shape(plane: &Plane, width: u32, height: u32) -> (usize, usize) {
    let samples = ceil_div(u64::from(width) * u64::from(plane.w_num), u64::from(plane.w_den));
    let lines = ceil_div(u64::from(height) * u64::from(plane.h_num), u64::from(plane.h_den));
    ((samples * u64::from(plane.pixel_size)) as usize, lines as usize)
}

/// Size of a tightly packed `width` x `height` picture of `chroma`.
pub fn packed_size(chroma: &Chroma, width: u32, height: u32) -> usize {
    chroma
        .planes()
        .iter()
        .map(|p| {
            let (pitch, lines) = plane_shape(p, width, height);
            pitch * lines
        })
        .sum()
}

impl FramePlan {
    pub fn runs(&self) -> &[CopyRun] {
        &self.runs[..self.run_count]
    }

    fn whole(width: u32, height: u32, block_len: usize, layout: Layout) -> FramePlan {
        let mut runs = [CopyRun::default(); MAX_PLANES];
        runs[0] = CopyRun { src: 0, src_stride: block_len, dst: 0, dst_stride: block_len, len: block_len, count: 1 };
        FramePlan { width, height, size: block_len, block_len, layout, runs, run_count: 1 }
    }

    /// A block that is not raw video we know: delivered byte for byte with
    /// the coded size, as stock smem does.
    pub fn opaque(format: &VideoFormat, block_len: usize) -> FramePlan {
        FramePlan::whole(format.width, format.height, block_len, Layout::Opaque)
    }

    /// Plans the delivery of a `block_len`-byte block of `chroma`.
    pub fn new(chroma: &Chroma, format: &VideoFormat, block_len: usize) -> FramePlan {
        match locate(chroma, format, block_len) {
            // The block is the packed picture: one memcpy.
            Some(p) if p.layout == Layout::Visible => FramePlan::whole(p.width, p.height, block_len, Layout::Visible),
            Some(picture) => crop_plan(&picture, block_len),
            None => FramePlan::opaque(format, block_len),
        }
    }

    /// Runs the plan: `dst` must be `self.size` bytes, `src` the block.
    /// A plane whose lines are back to back is one memcpy; padded lines go
    /// through the row kernel in one call per plane.
    pub fn copy(&self, src: &[u8], dst: &mut [u8]) {
        for run in self.runs() {
            if run.count == 1 {
                dst[run.dst..][..run.len].copy_from_slice(&src[run.src..][..run.len]);
            } else {
                copy_rows(&src[run.src..], run.src_stride, &mut dst[run.dst..], run.dst_stride, run.len, run.count);
            }
        }
    }
}

/// The visible size, falling back to the coded size where a format leaves
/// the visible one unset or larger than the picture.
pub fn visible_size(format: &VideoFormat) -> (u32, u32) {
    let fits = |vis: u32, off: u32, full: u32| vis > 0 && u64::from(off) + u64::from(vis) <= u64::from(full);
    let w = if fits(format.visible_width, format.x_offset, format.width) { format.visible_width } else { format.width };
    let h =
        if fits(format.visible_height, format.y_offset, format.height) { format.visible_height } else { format.height };
    (w, h)
}

/// Where the visible picture of each plane lies in a block: what the frame
/// ABI hands out, and what the legacy copy reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    /// `Visible` or `Cropped`.
    pub layout: Layout,
    planes: [PlaneView; MAX_PLANES],
    count: usize,
}

impl Picture {
    pub fn planes(&self) -> &[PlaneView] {
        &self.planes[..self.count]
    }
    /// Bytes of the visible picture, tightly packed.
    pub fn packed_size(&self) -> usize {
        self.planes().iter().map(|p| p.visible_bytes * p.lines).sum()
    }
}

/// Finds the visible picture in a `block_len`-byte block of `chroma`: the
/// block is either the visible picture packed, or the coded picture (we
/// then point into it); `None` for any other size.
pub fn locate(chroma: &Chroma, format: &VideoFormat, block_len: usize) -> Option<Picture> {
    let (vis_w, vis_h) = visible_size(format);
    if vis_w > 0 && vis_h > 0 && block_len == packed_size(chroma, vis_w, vis_h) {
        let whole = VideoFormat::picture(format.chroma, (vis_w, vis_h), (0, 0), (vis_w, vis_h));
        return crop(chroma, &whole, block_len);
    }
    if block_len > 0 && block_len == packed_size(chroma, format.width, format.height) {
        return crop(chroma, format, block_len);
    }
    None
}

/// The visible rectangle of a block holding a `format.width` x
/// `format.height` picture, plane by plane.
fn crop(chroma: &Chroma, format: &VideoFormat, block_len: usize) -> Option<Picture> {
    let (vis_w, vis_h) = visible_size(format);
    let (x_off, y_off) =
        if (vis_w, vis_h) == (format.width, format.height) { (0, 0) } else { (format.x_offset, format.y_offset) };
    let mut planes = [PlaneView::default(); MAX_PLANES];
    let mut plane_start = 0usize;
    for (view, plane) in planes.iter_mut().zip(chroma.planes()) {
        let (pitch, lines) = plane_shape(plane, format.width, format.height);
        let (visible_bytes, visible_lines) = plane_shape(plane, vis_w, vis_h);
        let x =
            (u64::from(x_off) * u64::from(plane.w_num) / u64::from(plane.w_den)) as usize * plane.pixel_size as usize;
        let y = (u64::from(y_off) * u64::from(plane.h_num) / u64::from(plane.h_den)) as usize;
        if x + visible_bytes > pitch || y + visible_lines > lines {
            return None;
        }
        *view = PlaneView { offset: plane_start + y * pitch + x, pitch, visible_bytes, lines: visible_lines };
        plane_start += pitch * lines;
    }
    let count = chroma.planes().len();
    // Every plane stays inside the block.
    if planes[..count].iter().any(|p| p.end() > block_len) {
        return None;
    }
    let mut picture = Picture { width: vis_w, height: vis_h, layout: Layout::Cropped, planes, count };
    if picture.packed_size() == block_len {
        picture.layout = Layout::Visible;
    }
    Some(picture)
}

/// The copy of a located picture into a packed buffer.
fn crop_plan(picture: &Picture, block_len: usize) -> FramePlan {
    let mut runs = [CopyRun::default(); MAX_PLANES];
    let mut dst = 0usize;
    for (run, view) in runs.iter_mut().zip(picture.planes()) {
        *run = CopyRun {
            src: view.offset,
            src_stride: view.pitch,
            dst,
            dst_stride: view.visible_bytes,
            len: view.visible_bytes,
            count: view.lines,
        }
        .merged();
        dst += view.visible_bytes * view.lines;
    }
    FramePlan {
        width: picture.width,
        height: picture.height,
        size: dst,
        block_len,
        layout: picture.layout,
        runs,
        run_count: picture.count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fourcc::Fourcc;
    use crate::smem::formats::shapes;

    /// A chroma of the shapes pure tests know (no libvlccore here).
    fn fmt(code: &[u8; 4], w: u32, h: u32, vw: u32, vh: u32, x: u32, y: u32) -> (Chroma, VideoFormat) {
        let f = VideoFormat::picture(Fourcc::new(code), (w, h), (x, y), (vw, vh));
        let planes: &[_] = match code {
            b"I420" => &shapes::I420,
            b"RV24" => &shapes::RV24,
            b"NV12" => &shapes::NV12,
            _ => panic!("no test shape for {code:?}"),
        };
        (Chroma::new(f.chroma, planes), f)
    }

    #[test]
    fn packed_sizes() {
        let (i420, _) = fmt(b"I420", 0, 0, 0, 0, 0, 0);
        assert_eq!(packed_size(&i420, 1920, 1080), 1920 * 1080 * 3 / 2);
        // Odd sizes round chroma planes up: 5x3 -> Y 15, U/V 3x2 each.
        assert_eq!(packed_size(&i420, 5, 3), 15 + 6 + 6);
        let (rv24, _) = fmt(b"RV24", 0, 0, 0, 0, 0, 0);
        assert_eq!(packed_size(&rv24, 320, 240), 230_400);
    }

    #[test]
    fn visible_block_is_one_memcpy_with_visible_size() {
        // transcode to RV24 of a 320x240 clip coded as 320x256.
        let (c, f) = fmt(b"RV24", 320, 256, 320, 240, 0, 0);
        let plan = FramePlan::new(&c, &f, 230_400);
        assert_eq!((plan.width, plan.height, plan.size, plan.layout), (320, 240, 230_400, Layout::Visible));
        assert_eq!(plan.runs().len(), 1);
    }

    #[test]
    fn coded_block_is_cropped_plane_by_plane() {
        // I420 coded 8x6 with a visible 4x2 window at (2,2).
        let (c, f) = fmt(b"I420", 8, 6, 4, 2, 2, 2);
        let len = packed_size(&c, 8, 6);
        let plan = FramePlan::new(&c, &f, len);
        assert_eq!((plan.width, plan.height, plan.size, plan.layout), (4, 2, 4 * 2 + 2 * 2, Layout::Cropped));
        let src: Vec<u8> = (0..len as u32).map(|i| i as u8).collect();
        let mut dst = vec![0u8; plan.size];
        plan.copy(&src, &mut dst);
        // Y rows 2..4, columns 2..6; U/V (4x3 planes) row 1, columns 1..3.
        let y = |r: usize, c: usize| src[r * 8 + c];
        let u = |r: usize, c: usize| src[48 + r * 4 + c];
        let v = |r: usize, c: usize| src[60 + r * 4 + c];
        let expected = [
            y(2, 2),
            y(2, 3),
            y(2, 4),
            y(2, 5),
            y(3, 2),
            y(3, 3),
            y(3, 4),
            y(3, 5),
            u(1, 1),
            u(1, 2),
            v(1, 1),
            v(1, 2),
        ];
        assert_eq!(dst, expected);
    }

    #[test]
    fn coded_block_with_only_extra_lines_copies_plane_prefixes() {
        let (c, f) = fmt(b"I420", 16, 20, 16, 16, 0, 0);
        let plan = FramePlan::new(&c, &f, packed_size(&c, 16, 20));
        assert_eq!(plan.layout, Layout::Cropped);
        // Full-width lines merge into one copy per plane.
        assert!(plan.runs().iter().all(|r| r.count == 1));
        assert_eq!(plan.runs()[1].src, 16 * 20);
        assert_eq!(plan.size, packed_size(&c, 16, 16));
    }

    #[test]
    fn unknown_layouts_pass_through_unchanged() {
        let (c, f) = fmt(b"RV24", 320, 256, 320, 240, 0, 0);
        let plan = FramePlan::new(&c, &f, 1000);
        assert_eq!((plan.width, plan.height, plan.size, plan.layout), (320, 256, 1000, Layout::Opaque));
        let src = vec![7u8; 1000];
        let mut dst = vec![0u8; 1000];
        plan.copy(&src, &mut dst);
        assert_eq!(src, dst);
    }

    #[test]
    fn missing_or_oversized_visible_size_falls_back_to_coded() {
        let (c, f) = fmt(b"I420", 64, 48, 0, 0, 0, 0);
        assert_eq!(visible_size(&f), (64, 48));
        let plan = FramePlan::new(&c, &f, packed_size(&c, 64, 48));
        assert_eq!((plan.width, plan.height, plan.layout), (64, 48, Layout::Visible));
        let (_, f) = fmt(b"I420", 64, 48, 60, 48, 8, 0);
        assert_eq!(visible_size(&f), (64, 48));
    }

    #[test]
    fn empty_block() {
        let (c, f) = fmt(b"I420", 64, 48, 64, 48, 0, 0);
        let plan = FramePlan::new(&c, &f, 0);
        assert_eq!((plan.size, plan.layout), (0, Layout::Opaque));
    }
}
