//! I420 to packed RGB, off VLC's threads (feature `rgb`): measured faster
//! than VLC's own conversion, which runs on its decoding thread, and by the
//! stream's own matrix ([`VideoInfo::matrix`]) where VLC's takes BT.601.
//! The pull iterator converts here when a grab asks for packed RGB and
//! smem-rs delivers.

use std::sync::Arc;

use crate::colour::ColorSpace;
use crate::format::VideoChroma;
use crate::frame::{OwnedVideoFrame, Video};
use crate::pool::{Buffer, Pool, Storage};
use crate::VideoInfo;

/// `frame` (I420) as `to` (RV24, RGBA or RV32), in a new buffer, by the
/// stream's matrix and the range of its pixels (limited unless VLC says
/// full). The result is full range; its [`VideoInfo`] says the matrix it
/// was converted with.
pub fn from_i420(frame: &OwnedVideoFrame, to: VideoChroma) -> Result<OwnedVideoFrame, String> {
    let channels = channels_of(to)?;
    let mut out = Storage::of(frame.width * frame.height * channels);
    let format = convert(frame, to, channels, &mut out)?;
    Ok(rgb_frame(frame, to, format, Buffer::owning(out)))
}

/// As [`from_i420`], into a buffer of `pool` that goes back to it when the
/// frame is dropped: no allocation, nothing zeroed, no page faulted in, in
/// steady state (the rows are written once, into the caller's frame).
pub(crate) fn from_i420_pooled(
    frame: &OwnedVideoFrame,
    to: VideoChroma,
    pool: &Arc<Pool>,
) -> Result<OwnedVideoFrame, String> {
    let channels = channels_of(to)?;
    let size = frame.width * frame.height * channels;
    let mut out = pool.take(size);
    let converted = convert(frame, to, channels, &mut out[..size]);
    match converted {
        Ok(format) => Ok(rgb_frame(frame, to, format, Buffer::pooled(out, size, Arc::clone(pool)))),
        Err(why) => {
            pool.put(out);
            Err(why)
        }
    }
}

fn rgb_frame(frame: &OwnedVideoFrame, to: VideoChroma, format: VideoInfo, data: Buffer) -> OwnedVideoFrame {
    let planes = to.planes(frame.width, frame.height);
    Video { chroma: to, planes: Arc::from(planes), format: Some(format), ..frame.with_data(data) }
}

/// Bytes a pixel of `to`, a packed RGB format.
fn channels_of(to: VideoChroma) -> Result<usize, String> {
    crate::format::rgb_channels(to).ok_or_else(|| format!("{to:?} is not a packed RGB format"))
}

/// Converts `frame` into `out` (`width * height * channels` bytes, every
/// one written) and says what the result's format is.
fn convert(frame: &OwnedVideoFrame, to: VideoChroma, channels: usize, out: &mut [u8]) -> Result<VideoInfo, String> {
    let (width, height) = (frame.width, frame.height);
    let [y, u, v] = match frame.planes[..] {
        [y, u, v] if frame.chroma == VideoChroma::I420 => [y, u, v],
        _ => return Err(format!("a {width}x{height} frame is not I420")),
    };
    let info = frame.format.unwrap_or_default();
    let space = info.matrix(height);
    let matrix = match space {
        ColorSpace::Bt709 => yuv::YuvStandardMatrix::Bt709,
        ColorSpace::Bt2020 => yuv::YuvStandardMatrix::Bt2020,
        ColorSpace::Bt601 => yuv::YuvStandardMatrix::Bt601,
    };
    let full = info.color_range() == Some(crate::colour::ColorRange::Full);
    let range = if full { yuv::YuvRange::Full } else { yuv::YuvRange::Limited };
    let data: &[u8] = &frame.data;
    let plane = |p: crate::PlaneLayout| data.get(p.offset..p.offset + p.span()).ok_or("a plane past the frame's bytes");
    let image = yuv::YuvPlanarImage {
        y_plane: plane(y)?,
        y_stride: y.pitch as u32,
        u_plane: plane(u)?,
        u_stride: u.pitch as u32,
        v_plane: plane(v)?,
        v_stride: v.pitch as u32,
        width: width as u32,
        height: height as u32,
    };
    let stride = (width * channels) as u32;
    let converted = match to {
        VideoChroma::Rv24 => yuv::yuv420_to_rgb(&image, out, stride, range, matrix),
        VideoChroma::Rgba => yuv::yuv420_to_rgba(&image, out, stride, range, matrix),
        _ => yuv::yuv420_to_bgra(&image, out, stride, range, matrix),
    };
    converted.map_err(|e| format!("converting a {width}x{height} frame to {to:?}: {e}"))?;
    Ok(VideoInfo { color_space: space.vlc(), color_range_full: true, color_source: crate::abi::COLOR_FRAMES, ..info })
}
