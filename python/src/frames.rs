//! The frames Python sees: numpy arrays viewing the bytes smem-client
//! delivered (VLC's own block, smem's buffer, or the client's RGB), kept
//! alive by the arrays, and described by the client's typed values.

use std::sync::Arc;

use numpy::ndarray::{ArrayView2, ArrayView3, ShapeBuilder};
use numpy::{Element, PyArray2, PyArray3};
use pyo3::prelude::*;
use pyo3::types::PyList;
use smem_client::{rgb_channels, AudioSample, OwnedAudioBlock, OwnedVideoFrame};

use crate::Error;

/// Keeps a frame's bytes alive for as long as an array views them.
#[pyclass(frozen)]
struct Owner {
    video: Option<OwnedVideoFrame>,
    audio: Option<OwnedAudioBlock>,
}

impl Owner {
    fn bytes(&self) -> &[u8] {
        match (&self.video, &self.audio) {
            (Some(v), _) => &v.data,
            (_, Some(a)) => &a.data,
            _ => &[],
        }
    }
}

/// A view of `bytes` as a numpy array of `shape` and `strides` (in
/// elements of `T`), owned by `owner`.
fn view3<'py, T: Element>(
    owner: &Bound<'py, Owner>,
    offset: usize,
    shape: (usize, usize, usize),
    strides: (usize, usize, usize),
) -> PyResult<Bound<'py, PyAny>> {
    let bytes = &owner.get().bytes()[offset..];
    // SAFETY: the bytes are T-aligned sample data (u8, or i16/f32 PCM from
    // VLC's blocks and our pool, allocated at least 16-byte aligned).
    let (prefix, items, _) = unsafe { bytes.align_to::<T>() };
    if !prefix.is_empty() {
        return Err(Error::new_err("a frame's bytes are not aligned for its samples"));
    }
    let view = ArrayView3::from_shape(shape.strides(strides), items)
        .map_err(|e| Error::new_err(format!("a frame's bytes do not hold its picture: {e}")))?;
    // SAFETY: the array views memory `owner` keeps alive and never moves
    // (VLC's block or our buffer), and numpy holds `owner` as its base.
    Ok(unsafe { PyArray3::borrow_from_array(&view, owner.clone().into_any()) }.into_any())
}

/// A plane of `lines` lines of `bytes` bytes, `pitch` bytes apart, as a
/// (lines, samples) array of `T` (u8, or u16 for the deep-colour chromas).
fn view2<'py, T: Element>(
    owner: &Bound<'py, Owner>,
    offset: usize,
    (lines, bytes): (usize, usize),
    pitch: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let size = std::mem::size_of::<T>();
    let raw = &owner.get().bytes()[offset..];
    // SAFETY: any bytes are valid u8/u16 samples; alignment is checked.
    let (prefix, items, _) = unsafe { raw.align_to::<T>() };
    if !prefix.is_empty() || pitch % size != 0 {
        return Err(Error::new_err("a frame's planes are not aligned for their samples"));
    }
    let view = ArrayView2::from_shape((lines, bytes / size).strides((pitch / size, 1)), items)
        .map_err(|e| Error::new_err(format!("a frame's bytes do not hold its plane: {e}")))?;
    // SAFETY: as view3.
    Ok(unsafe { PyArray2::borrow_from_array(&view, owner.clone().into_any()) }.into_any())
}

/// A video frame: its pixels as numpy arrays viewing VLC's buffer.
#[pyclass(frozen, name = "VideoFrame", module = "smem_rs")]
pub struct VideoFrame {
    /// Packed formats: (height, width, channels) uint8. Planar ones: the
    /// first plane, (height, width): uint8, or uint16 for the deep-colour
    /// formats.
    #[pyo3(get)]
    array: Py<PyAny>,
    /// Every plane as a (lines, samples) array (one for packed formats).
    #[pyo3(get)]
    planes: Py<PyList>,
    /// Bits of each sample that carry the picture: 8, or 10, 12, 16 for the
    /// deep-colour formats (uint16 arrays; p010's 10 bits are the high ones).
    #[pyo3(get)]
    bits: u32,
    #[pyo3(get)]
    width: usize,
    #[pyo3(get)]
    height: usize,
    /// The format asked for: "rgb24", "rgba", "bgra", "i420", "nv12", "grey",
    /// "yuv420p10", "yuv420p12", "yuv420p16", "yuv422p10", "p010".
    #[pyo3(get)]
    format: &'static str,
    /// The frame's time in the stream, seconds, as PyAV's `frame.time` and
    /// ffprobe's `pts_time` (with smem-rs; else counted from the start, or
    /// the last seek).
    #[pyo3(get)]
    time: f64,
    /// VLC's own timestamp, microseconds (its clock, not the media's).
    #[pyo3(get)]
    pts: i64,
    /// The playlist item it came from (0 for a single input).
    #[pyo3(get)]
    item: usize,
    /// VLC's ES id (None with the stock smem).
    #[pyo3(get)]
    es_id: Option<i32>,
    /// Sample aspect ratio (num, den), frame rate (num, den): None with the stock smem.
    #[pyo3(get)]
    sar: Option<(u32, u32)>,
    #[pyo3(get)]
    frame_rate: Option<(u32, u32)>,
    /// Changes whenever the track's format does (None with the stock smem).
    #[pyo3(get)]
    generation: Option<u32>,
    /// Whether the array views VLC's own block (no copy was made).
    #[pyo3(get)]
    zero_copy: bool,
    /// Which video frame of the input this is, from 0, counting those
    /// `every` left out (as PyAV's frame.index).
    #[pyo3(get)]
    index: u64,
    /// "progressive", "tt" (top field first) or "bb", as ffprobe's
    /// field_order; None when VLC does not say (the stock smem).
    #[pyo3(get)]
    field_order: Option<&'static str>,
    /// Colour as ffprobe names it ("bt709"...); None when nobody said.
    #[pyo3(get)]
    color_space: Option<&'static str>,
    #[pyo3(get)]
    color_primaries: Option<&'static str>,
    #[pyo3(get)]
    color_transfer: Option<&'static str>,
    /// "pc" (full) or "tv" (limited): the range of these pixels.
    #[pyo3(get)]
    color_range: Option<&'static str>,
    /// Degrees to turn the picture clockwise to show it upright (a phone's
    /// video): numpy.rot90(array, -rotation // 90).
    #[pyo3(get)]
    rotation: Option<u32>,
    /// When the camera took the frame, on its own clock, in seconds since
    /// the Unix epoch (as time.time()): rtsp:// once its first RTCP sender
    /// report came; None otherwise (a file, the stock smem).
    #[pyo3(get)]
    camera_time: Option<f64>,
    /// The first frame after a gap (an rtsp:// input that lost its
    /// connection and got it back): the gap's length, seconds; else None.
    #[pyo3(get)]
    gap_before: Option<f64>,
}

/// Microseconds as seconds.
fn seconds(us: i64) -> f64 {
    us as f64 / 1e6
}

impl VideoFrame {
    /// `frame`'s description around its pixels, `array` and `planes`: the
    /// client's typed values by their ffprobe names.
    fn new(frame: &OwnedVideoFrame, array: Bound<'_, PyAny>, planes: Bound<'_, PyList>) -> Self {
        let (info, video) = (frame.info, frame.format);
        VideoFrame {
            field_order: video.and_then(|v| v.field_order()).map(|f| f.as_str()),
            color_space: video.and_then(|v| v.color_space()).map(|c| c.as_str()),
            color_primaries: video.and_then(|v| v.color_primaries()).map(|c| c.as_str()),
            color_transfer: video.and_then(|v| v.color_transfer()).map(|c| c.as_str()),
            color_range: video.and_then(|v| v.color_range()).map(|r| r.as_str()),
            rotation: video.and_then(|v| v.rotation()),
            array: array.unbind(),
            planes: planes.unbind(),
            bits: frame.chroma.sample_bits(),
            width: frame.width,
            height: frame.height,
            format: frame.chroma.name(),
            time: frame.time_us as f64 / 1e6,
            pts: frame.pts,
            item: frame.item,
            index: frame.index,
            es_id: info.map(|i| i.es_id),
            sar: video.map(|v| v.sar),
            frame_rate: video.map(|v| v.frame_rate),
            generation: info.map(|i| i.generation),
            zero_copy: frame.data.is_vlc_block(),
            camera_time: info.and_then(|i| i.camera_time).map(seconds),
            gap_before: info.and_then(|i| i.gap_before).map(seconds),
        }
    }
}

#[pymethods]
impl VideoFrame {
    fn __repr__(&self) -> String {
        format!("<VideoFrame {}x{} {} time={:.3}>", self.width, self.height, self.format, self.time)
    }
}

/// A block of audio: interleaved samples as a (samples, channels) array.
#[pyclass(frozen, name = "AudioFrame", module = "smem_rs")]
pub struct AudioFrame {
    /// (samples, channels): int16 for "s16", float32 for "f32".
    #[pyo3(get)]
    array: Py<PyAny>,
    #[pyo3(get)]
    rate: u32,
    #[pyo3(get)]
    channels: u32,
    #[pyo3(get)]
    time: f64,
    #[pyo3(get)]
    pts: i64,
    #[pyo3(get)]
    item: usize,
    /// VLC's ES id: tells two audio tracks apart (None with the stock smem).
    #[pyo3(get)]
    es_id: Option<i32>,
    #[pyo3(get)]
    zero_copy: bool,
    /// When the camera took the sound, seconds since the Unix epoch (see
    /// VideoFrame.camera_time).
    #[pyo3(get)]
    camera_time: Option<f64>,
    /// The gap before this block, seconds (see VideoFrame.gap_before).
    #[pyo3(get)]
    gap_before: Option<f64>,
}

#[pymethods]
impl AudioFrame {
    fn __repr__(&self, py: Python<'_>) -> String {
        let samples = self.array.bind(py).len().unwrap_or(0);
        format!("<AudioFrame {samples} samples x {} channels at {} Hz time={:.3}>", self.channels, self.rate, self.time)
    }
}

/// `frame`'s planes as numpy arrays viewing its bytes (VLC's block or
/// smem's buffer, or the client's RGB), with its description.
pub fn video_frame(py: Python<'_>, frame: OwnedVideoFrame) -> PyResult<VideoFrame> {
    let (width, height, chroma, layout) = (frame.width, frame.height, frame.chroma, Arc::clone(&frame.planes));
    let Some(&first) = layout.first() else {
        return Err(Error::new_err(format!("a {width}x{height} frame of {} bytes is not {chroma}", frame.data.len())));
    };
    let owner = Bound::new(py, Owner { video: Some(frame), audio: None })?;
    let planes = PyList::empty(py);
    for p in layout.iter() {
        let plane = match chroma.sample_bytes() {
            2 => view2::<u16>(&owner, p.offset, (p.lines, p.visible_bytes), p.pitch)?,
            _ => view2::<u8>(&owner, p.offset, (p.lines, p.visible_bytes), p.pitch)?,
        };
        planes.append(plane)?;
    }
    let array = match rgb_channels(chroma) {
        Some(c) => view3::<u8>(&owner, first.offset, (height, width, c), (first.pitch, c, 1))?,
        None => planes.get_item(0)?,
    };
    let frame = owner.get().video.as_ref().expect("the owner holds the frame");
    Ok(VideoFrame::new(frame, array, planes))
}

pub fn audio_frame(py: Python<'_>, block: OwnedAudioBlock) -> PyResult<AudioFrame> {
    let (rate, channels, samples, sample) = (block.rate, block.channels, block.samples, block.sample);
    let (time, pts, item, es_id) = (block.time_us as f64 / 1e6, block.pts, block.item, block.info.map(|i| i.es_id));
    let zero_copy = block.data.is_vlc_block();
    let camera_time = block.info.and_then(|i| i.camera_time).map(seconds);
    let gap_before = block.info.and_then(|i| i.gap_before).map(seconds);
    let c = channels as usize;
    let owner = Bound::new(py, Owner { video: None, audio: Some(block) })?;
    let array = match sample {
        AudioSample::Fl32 => view3::<f32>(&owner, 0, (samples, c, 1), (c, 1, 1))?,
        _ => view3::<i16>(&owner, 0, (samples, c, 1), (c, 1, 1))?,
    };
    // (samples, channels): the third axis of one is dropped.
    let array = array.call_method1("reshape", ((samples, c),))?;
    Ok(AudioFrame { array: array.unbind(), rate, channels, time, pts, item, es_id, zero_copy, camera_time, gap_before })
}
