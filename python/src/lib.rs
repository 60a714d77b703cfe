//! `smem_rs._smem_rs`: the Python face of smem-client. A grab runs on
//! smem-client's threads; VLC's threads never take the GIL. Frames wait in
//! the client's bounded queue, and the iterator releases the GIL while it
//! waits. Each frame's numpy arrays view VLC's own block (smem-rs's frame
//! ABI) or the buffer the stock smem filled, kept alive by the arrays.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use numpy::ndarray::{ArrayView2, ArrayView3, ShapeBuilder};
use numpy::{Element, PyArray1, PyArray2, PyArray3, PyArrayMethods};
use pyo3::exceptions::{PyException, PyRuntimeWarning, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyList;
use smem_client::{
    Abi, AudioSample, DropPolicy, EndOfStream, EndReason, Frames, Grab, Item, Next, OwnedAudioBlock, OwnedVideoFrame,
    SeekHandle, StopHandle, VideoChroma,
};

pyo3::create_exception!(
    _smem_rs,
    Error,
    PyException,
    "The input could not be grabbed; the message is VLC's own (a missing file, an unknown chroma, a bad option)."
);

/// How often a waiting iterator looks up for Ctrl-C.
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

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
struct VideoFrame {
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
}

/// ffprobe's names for VLC's colour values (vlc_es.h): (space, primaries,
/// transfer); None for 0 (undefined).
fn colour_names(v: &smem_client::VideoInfo) -> [Option<&'static str>; 3] {
    let primaries = ["", "smpte170m", "bt470bg", "bt709", "bt2020", "smpte431", "bt470m"];
    let transfer =
        ["", "linear", "iec61966-2-1", "gamma28", "gamma22", "bt709", "smpte2084", "smpte240m", "arib-std-b67"];
    [
        colour_name(&COLOR_SPACES, v.color_space),
        colour_name(&primaries, v.primaries),
        colour_name(&transfer, v.transfer),
    ]
}

/// VLC's colour spaces (`video_color_space_t`), by value.
const COLOR_SPACES: [&str; 4] = ["", "bt601", "bt709", "bt2020nc"];

fn colour_name(table: &[&'static str], value: i32) -> Option<&'static str> {
    table.get(usize::try_from(value).ok()?).copied().filter(|n| !n.is_empty())
}

impl VideoFrame {
    /// `frame`'s description around its pixels, `array` and `planes`.
    fn new(
        frame: &OwnedVideoFrame,
        (format, bits): (&'static str, u32),
        array: Bound<'_, PyAny>,
        planes: Bound<'_, PyList>,
    ) -> Self {
        let (info, video) = (frame.info, frame.format);
        let [color_space, color_primaries, color_transfer] = video.map_or([None; 3], |v| colour_names(&v));
        let said = video.is_some_and(|v| v.color_source != smem_client::abi::COLOR_UNKNOWN);
        VideoFrame {
            field_order: video.and_then(|v| match v.field_order {
                smem_client::abi::FIELDS_PROGRESSIVE => Some("progressive"),
                smem_client::abi::FIELDS_TOP_FIRST => Some("tt"),
                smem_client::abi::FIELDS_BOTTOM_FIRST => Some("bb"),
                _ => None,
            }),
            color_space,
            color_primaries,
            color_transfer,
            color_range: video.filter(|_| said).map(|v| if v.color_range_full { "pc" } else { "tv" }),
            // VLC's orientations (vlc_es.h): rotated 90 (anti-clockwise as
            // stored), 180, 270; flips and transpositions are not rotations.
            rotation: video.and_then(|v| match v.orientation {
                0 => Some(0),
                6 => Some(90),
                3 => Some(180),
                5 => Some(270),
                _ => None,
            }),
            array: array.unbind(),
            planes: planes.unbind(),
            bits,
            width: frame.width,
            height: frame.height,
            format,
            time: frame.time_us as f64 / 1e6,
            pts: frame.pts,
            item: frame.item,
            es_id: info.map(|i| i.es_id),
            sar: video.map(|v| v.sar),
            frame_rate: video.map(|v| v.frame_rate),
            generation: info.map(|i| i.generation),
            zero_copy: frame.data.is_vlc_block(),
        }
    }
}

/// Bytes a pixel of a packed format (`None` for the planar ones).
fn packed_channels(format: &str) -> Option<usize> {
    match format {
        "rgb24" => Some(3),
        "rgba" | "bgra" => Some(4),
        _ => None,
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
struct AudioFrame {
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
}

#[pymethods]
impl AudioFrame {
    fn __repr__(&self, py: Python<'_>) -> String {
        let samples = self.array.bind(py).len().unwrap_or(0);
        format!("<AudioFrame {samples} samples x {} channels at {} Hz time={:.3}>", self.channels, self.rate, self.time)
    }
}

fn video_frame(
    py: Python<'_>,
    frame: OwnedVideoFrame,
    (chroma, format): (VideoChroma, &'static str),
) -> PyResult<VideoFrame> {
    let (width, height, layout) = (frame.width, frame.height, Arc::clone(&frame.planes));
    let Some(&first) = layout.first() else {
        return Err(Error::new_err(format!("a {width}x{height} frame of {} bytes is not {format}", frame.data.len())));
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
    let array = match packed_channels(format) {
        Some(c) => view3::<u8>(&owner, first.offset, (height, width, c), (first.pitch, c, 1))?,
        None => planes.get_item(0)?,
    };
    let frame = owner.get().video.as_ref().expect("the owner holds the frame");
    Ok(VideoFrame::new(frame, (format, chroma.sample_bits()), array, planes))
}

/// The YCbCr matrix of a frame VLC delivered: the one its stream declares,
/// else VLC 3's own guess for an untagged picture, BT.709 above 576 lines
/// and BT.601 up to them (its Direct3D 11 display,
/// `modules/video_output/win32/d3d11_quad.c`; its OpenGL display takes
/// BT.709 for anything not tagged BT.601 or BT.2020). With its VLC name.
fn matrix_of(frame: &OwnedVideoFrame) -> (yuv::YuvStandardMatrix, i32) {
    const BT601: i32 = 1;
    const BT709: i32 = 2;
    const BT2020: i32 = 3;
    let declared = frame.format.map_or(0, |v| v.color_space);
    let space = match declared {
        BT601 | BT709 | BT2020 => declared,
        _ if frame.height > 576 => BT709,
        _ => BT601,
    };
    let matrix = match space {
        BT709 => yuv::YuvStandardMatrix::Bt709,
        BT2020 => yuv::YuvStandardMatrix::Bt2020,
        _ => yuv::YuvStandardMatrix::Bt601,
    };
    (matrix, space)
}

/// A frame VLC delivered as I420, converted here to packed RGB (`format`:
/// rgb24, rgba or bgra) into an array of its own, with the GIL released,
/// by the stream's matrix ([`matrix_of`]) and the range of these pixels
/// (limited unless VLC says full).
fn rgb_frame(py: Python<'_>, frame: OwnedVideoFrame, format: &'static str) -> PyResult<VideoFrame> {
    let (width, height) = (frame.width, frame.height);
    let Some(channels) = packed_channels(format) else {
        return Err(PyValueError::new_err(format!("{format} is not a packed RGB format")));
    };
    let [y, u, v] = match frame.planes[..] {
        [y, u, v] => [y, u, v],
        _ => return Err(Error::new_err(format!("a {width}x{height} frame is not I420"))),
    };
    let (matrix, space) = matrix_of(&frame);
    let full = frame.format.is_some_and(|v| v.color_source != smem_client::abi::COLOR_UNKNOWN && v.color_range_full);
    let range = if full { yuv::YuvRange::Full } else { yuv::YuvRange::Limited };
    let converted = py.detach(|| {
        let data: &[u8] = &frame.data;
        let plane = |p: smem_client::PlaneLayout| &data[p.offset..p.offset + p.span()];
        let image = yuv::YuvPlanarImage {
            y_plane: plane(y),
            y_stride: y.pitch as u32,
            u_plane: plane(u),
            u_stride: u.pitch as u32,
            v_plane: plane(v),
            v_stride: v.pitch as u32,
            width: width as u32,
            height: height as u32,
        };
        let mut out = vec![0u8; width * height * channels];
        let stride = (width * channels) as u32;
        let done = match format {
            "rgb24" => yuv::yuv420_to_rgb(&image, &mut out, stride, range, matrix),
            "rgba" => yuv::yuv420_to_rgba(&image, &mut out, stride, range, matrix),
            _ => yuv::yuv420_to_bgra(&image, &mut out, stride, range, matrix),
        };
        done.map(|()| out).map_err(|e| e.to_string())
    });
    let out = converted.map_err(|e| Error::new_err(format!("converting a {width}x{height} frame to {format}: {e}")))?;
    let array = PyArray1::from_vec(py, out).reshape([height, width, channels])?;
    let planes = PyList::new(py, [array.reshape([height, width * channels])?])?;
    // A new array: the I420 block goes back to VLC as `frame` drops. It
    // says the matrix it was converted with; RGB is full range.
    let converted = VideoFrame::new(&frame, (format, 8), array.into_any(), planes);
    let color_space = colour_name(&COLOR_SPACES, space);
    Ok(VideoFrame { zero_copy: false, color_space, color_range: Some("pc"), ..converted })
}

fn audio_frame(py: Python<'_>, block: OwnedAudioBlock) -> PyResult<AudioFrame> {
    let (rate, channels, samples, sample) = (block.rate, block.channels, block.samples, block.sample);
    let (time, pts, item, es_id) = (block.time_us as f64 / 1e6, block.pts, block.item, block.info.map(|i| i.es_id));
    let zero_copy = block.data.is_vlc_block();
    let c = channels as usize;
    let owner = Bound::new(py, Owner { video: None, audio: Some(block) })?;
    let array = match sample {
        AudioSample::Fl32 => view3::<f32>(&owner, 0, (samples, c, 1), (c, 1, 1))?,
        _ => view3::<i16>(&owner, 0, (samples, c, 1), (c, 1, 1))?,
    };
    // (samples, channels): the third axis of one is dropped.
    let array = array.call_method1("reshape", ((samples, c),))?;
    Ok(AudioFrame { array: array.unbind(), rate, channels, time, pts, item, es_id, zero_copy })
}

/// Where a grab's frames are between calls: `__next__` borrows them for
/// the length of a wait (with the GIL released, so another thread may call
/// `close` meanwhile); `finish` takes them for good once they are back, and
/// a second `finish` waits until the first is done.
struct Slot {
    state: Mutex<SlotState>,
    changed: Condvar,
}

#[derive(Default)]
struct SlotState {
    frames: Option<Frames>,
    /// `__next__` has them.
    out: bool,
    /// A `finish` took them and is stopping VLC.
    finishing: bool,
}

impl Slot {
    fn new(frames: Frames) -> Slot {
        Slot { state: Mutex::new(SlotState { frames: Some(frames), ..SlotState::default() }), changed: Condvar::new() }
    }

    fn lock(&self) -> MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The frames for one wait; None once finished (or while another
    /// `__next__` has them: two threads iterating at once share nothing).
    fn borrow(&self) -> Option<Frames> {
        let mut state = self.lock();
        let frames = state.frames.take()?;
        state.out = true;
        Some(frames)
    }

    fn give_back(&self, frames: Frames) {
        let mut state = self.lock();
        state.frames = Some(frames);
        state.out = false;
        self.changed.notify_all();
    }

    /// The frames for good, once `__next__` has given them back (it does
    /// within SIGNAL_CHECK of a stop); None when another `finish` has them,
    /// once it is done.
    fn take_for_finish(&self) -> Option<Frames> {
        let mut state = self.lock();
        while state.out || (state.finishing && state.frames.is_none()) {
            state = self.changed.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
        let frames = state.frames.take()?;
        state.finishing = true;
        Some(frames)
    }

    /// The `finish` that took the frames is done: VLC has stopped.
    fn finished(&self) {
        self.lock().finishing = false;
        self.changed.notify_all();
    }
}

/// Calls [`Slot::finished`] when dropped.
struct Finished<'s>(&'s Slot);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.0.finished();
    }
}

/// Frames of one input, in the order VLC delivers them: an iterator, and a
/// context manager that stops the grab on exit.
#[pyclass(name = "Frames", module = "smem_rs")]
struct PyFrames {
    input: String,
    /// Frames of an application's MediaPlayer (`attach`).
    attached: bool,
    frames: Slot,
    stop: StopHandle,
    seeker: SeekHandle,
    video_format: &'static str,
    /// What VLC is asked for when the frames are not converted here.
    chroma: VideoChroma,
    /// Packed RGB asked for with smem-rs there: VLC delivers I420, and it
    /// is converted here, off VLC's threads.
    convert_here: bool,
    /// How the grab ended, once it has.
    end: Mutex<Option<EndOfStream>>,
    warned_stock: Mutex<bool>,
    /// One video frame every this many seconds of media time (per item).
    every: Option<f64>,
    /// Where `every`'s steps count from.
    every_from: f64,
    /// The next media time wanted, and for which item.
    next_wanted: Mutex<Option<(usize, f64)>>,
}

impl PyFrames {
    /// Whether `every` keeps this frame: the first of each item (and after
    /// a seek), then the first at or after each multiple of the step from
    /// `start` (0 without one) on the stream's time line.
    fn wanted(&self, frame: &OwnedVideoFrame) -> bool {
        let Some(step) = self.every else { return true };
        let time = frame.time_us as f64 / 1e6;
        let mut next = self.next_wanted.lock().unwrap_or_else(PoisonError::into_inner);
        if next.is_some_and(|(item, at)| item == frame.item && time + 1e-9 < at) {
            return false;
        }
        let steps = ((time - self.every_from) / step + 1e-9).floor() + 1.0;
        *next = Some((frame.item, self.every_from + steps * step));
        true
    }

    /// Ends the grab (if it is still going) and keeps how it ended; the
    /// GIL is released while VLC stops. Called while another thread's
    /// `__next__` waits, it has that wait end, then stops VLC.
    fn finish(&self, py: Python<'_>) -> PyResult<()> {
        self.stop.stop();
        let Some(frames) = py.detach(|| self.frames.take_for_finish()) else { return Ok(()) };
        // Whatever happens next, a `close` waiting on another thread goes
        // on once `end` says how the grab ended.
        let _finished = Finished(&self.frames);
        let finished = py.detach(move || frames.finish());
        let why = match finished {
            Ok(end) => {
                let nothing = end.nothing_decoded(&self.input);
                *self.end.lock().unwrap_or_else(PoisonError::into_inner) = Some(end);
                match nothing {
                    Some(why) => why,
                    None => return Ok(()),
                }
            }
            // Nothing decoded either: an attached player VLC ended in error.
            Err(smem_client::Error::Input(why)) => why,
            Err(e) => return Err(Error::new_err(e.to_string())),
        };
        // A player whose vlc.Instance does not know smem-rs plays nothing:
        // VLC ends it in error or at its end, whichever it finds first.
        Err(Error::new_err(if self.attached {
            format!(
                "{why}: if its vlc.Instance was made before `import smem_rs`, VLC does not know smem-rs \
                 (import smem_rs first, or install smem-rs for the whole system)"
            )
        } else {
            why
        }))
    }

    fn convert(&self, py: Python<'_>, item: Item) -> PyResult<Py<PyAny>> {
        let copied = match &item {
            Item::Video(f) => f.info.is_none(),
            Item::Audio(b) => b.info.is_none(),
        };
        if copied {
            let mut warned = self.warned_stock.lock().unwrap_or_else(PoisonError::into_inner);
            if !*warned {
                *warned = true;
                let category = py.get_type::<PyRuntimeWarning>();
                PyErr::warn(
                    py,
                    &category,
                    c"frames come through smem's legacy callbacks (VLC's stock smem, smem-rs not found, or abi='legacy'): they are copied, and carry no ES id",
                    1,
                )?;
            }
        }
        Ok(match item {
            Item::Video(f) if self.convert_here => Py::new(py, rgb_frame(py, f, self.video_format)?)?.into_any(),
            Item::Video(f) => Py::new(py, video_frame(py, f, (self.chroma, self.video_format))?)?.into_any(),
            Item::Audio(b) => Py::new(py, audio_frame(py, b)?)?.into_any(),
        })
    }
}

#[pymethods]
impl PyFrames {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        loop {
            let Some(mut frames) = self.frames.borrow() else { return Ok(None) };
            // VLC's threads never need the GIL: it is released while waiting.
            let (frames, next) = py.detach(move || {
                let next = frames.next_within(SIGNAL_CHECK);
                (frames, next)
            });
            self.frames.give_back(frames);
            match next {
                Next::Item(Item::Video(frame)) if !self.wanted(&frame) => continue,
                Next::Item(item) => return self.convert(py, item).map(Some),
                Next::Ended => {
                    self.finish(py)?;
                    return Ok(None);
                }
                Next::Waiting => {
                    if let Err(interrupted) = py.check_signals() {
                        // Ctrl-C: the grab stops, then the KeyboardInterrupt goes on.
                        let _ = self.finish(py);
                        return Err(interrupted);
                    }
                }
            }
        }
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.finish(py)?;
        Ok(false)
    }

    /// Seeks to media time `seconds`: the next frames are from there. With
    /// smem-rs the first video frame is the first at or after `seconds` and
    /// times stay the stream's own; frames queued from before are dropped.
    /// Raises smem_rs.Error when the input cannot seek (a live stream) or
    /// the grab has ended.
    fn seek(&self, py: Python<'_>, seconds: f64) -> PyResult<()> {
        let seeker = self.seeker.clone();
        py.detach(move || seeker.seek(seconds)).map_err(|e| Error::new_err(e.to_string()))?;
        *self.next_wanted.lock().unwrap_or_else(PoisonError::into_inner) = None;
        Ok(())
    }

    /// Stops the grab and waits for VLC to stop: the frames already taken
    /// stay valid. From another thread, it makes a waiting iterator end.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.finish(py)
    }

    /// How the grab ended ("ended", "stopped", "timed-out", "idle"), None while it goes on.
    #[getter]
    fn ended(&self) -> Option<&'static str> {
        self.end.lock().unwrap_or_else(PoisonError::into_inner).as_ref().map(|end| match end.reason {
            EndReason::Ended => "ended",
            EndReason::Stopped => "stopped",
            EndReason::TimedOut => "timed-out",
            EndReason::Idle => "idle",
        })
    }

    /// Whether smem-rs's frame ABI delivered (no copy), once the grab ended.
    #[getter]
    fn zero_copy(&self) -> Option<bool> {
        self.end.lock().unwrap_or_else(PoisonError::into_inner).as_ref().map(|end| end.frame_abi)
    }
}

fn video_chroma(name: &str) -> PyResult<(VideoChroma, &'static str)> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "rgb24" | "rgb" => (VideoChroma::Rv24, "rgb24"),
        "rgba" => (VideoChroma::Rgba, "rgba"),
        "bgra" | "rv32" => (VideoChroma::Rv32, "bgra"),
        "i420" | "yuv420p" => (VideoChroma::I420, "i420"),
        "nv12" => (VideoChroma::Nv12, "nv12"),
        "grey" | "gray" => (VideoChroma::Grey, "grey"),
        "yuv420p10" | "yuv420p10le" | "i0al" => (VideoChroma::I420_10, "yuv420p10"),
        "yuv420p12" | "yuv420p12le" | "i0cl" => (VideoChroma::I420_12, "yuv420p12"),
        "yuv420p16" | "yuv420p16le" | "i0fl" => (VideoChroma::I420_16, "yuv420p16"),
        "yuv422p10" | "yuv422p10le" | "i2al" => (VideoChroma::I422_10, "yuv422p10"),
        "p010" | "p010le" => (VideoChroma::P010, "p010"),
        _ => {
            return Err(PyValueError::new_err(format!(
                "unknown video format {name:?}: rgb24, rgba, bgra, i420, nv12, grey, yuv420p10, yuv420p12, \
                 yuv420p16, yuv422p10 or p010"
            )))
        }
    })
}

/// Opens `input` (a path, or anything VLC opens: udp://@:1234, http://...,
/// a playlist) and returns its frames.
///
/// video, audio: the formats to convert to ("rgb24", "rgba", "bgra": packed
/// RGB by the stream's own matrix; "i420", "nv12", "grey": 8-bit planes;
/// "yuv420p10", "yuv420p12", "yuv420p16", "yuv422p10", "p010": uint16 planes
/// of deep colour; "s16", "f32"), None skips that kind.
/// start, stop: media seconds [start, stop), as ffmpeg's -ss/-to.
/// every: one video frame every so many seconds of media time.
/// buffer: frames waiting for the iterator (VLC waits when it is full).
/// queue, drop, latest: smem's delivery queue for live sources (latest: the
/// newest frame always). options: extra VLC media options.
/// timeout, idle_timeout: end after so long, or when no frame came for so long.
#[pyfunction]
#[pyo3(signature = (input, *, video = Some("rgb24"), audio = None, start = None, stop = None, every = None,
    buffer = 4, queue = 0, drop = "none", latest = false, options = Vec::new(), abi = "auto", realtime = false,
    timeout = None, idle_timeout = None),
    text_signature = "(input, *, video='rgb24', audio=None, start=None, stop=None, every=None, buffer=4, queue=0, \
    drop='none', latest=False, options=(), abi='auto', realtime=False, timeout=None, idle_timeout=None)")]
#[allow(clippy::too_many_arguments)]
fn open(
    py: Python<'_>,
    input: String,
    video: Option<&str>,
    audio: Option<&str>,
    start: Option<f64>,
    stop: Option<f64>,
    every: Option<f64>,
    buffer: usize,
    queue: usize,
    drop: &str,
    latest: bool,
    options: Vec<String>,
    abi: &str,
    realtime: bool,
    timeout: Option<f64>,
    idle_timeout: Option<f64>,
) -> PyResult<PyFrames> {
    let mut grab = Grab::new(input.clone()).segment(start, stop);
    for option in options {
        grab = grab.media_option(option);
    }
    let delivery =
        Delivery::parse(video, audio, every, buffer, queue, drop, latest, abi, realtime, timeout, idle_timeout)?;
    delivery.start(py, grab, input, start.unwrap_or(0.0), false)
}

/// Frames of a python-vlc `MediaPlayer` the application plays, pauses and
/// seeks itself. Attach before player.play(): the player is given a copy of
/// its media with the stream output added, and its own media back at the
/// end. The frames end when the player ends or stops; closing them stops
/// the player. Its vlc.Instance must be made after `import smem_rs` (or
/// smem-rs installed for the whole system). The options are open()'s.
#[pyfunction]
#[pyo3(signature = (player, *, video = Some("rgb24"), audio = None, every = None, buffer = 4, queue = 0,
    drop = "none", latest = false, abi = "auto", realtime = false, timeout = None, idle_timeout = None),
    text_signature = "(player, *, video='rgb24', audio=None, every=None, buffer=4, queue=0, drop='none', \
    latest=False, abi='auto', realtime=False, timeout=None, idle_timeout=None)")]
#[allow(clippy::too_many_arguments)]
fn attach(
    player: &Bound<'_, PyAny>,
    video: Option<&str>,
    audio: Option<&str>,
    every: Option<f64>,
    buffer: usize,
    queue: usize,
    drop: &str,
    latest: bool,
    abi: &str,
    realtime: bool,
    timeout: Option<f64>,
    idle_timeout: Option<f64>,
) -> PyResult<PyFrames> {
    let kind = player.get_type().name()?.to_string();
    if kind == "Media" {
        return Err(PyTypeError::new_err(
            "attach() takes a MediaPlayer: make one for the media (player = instance.media_player_new(); \
             player.set_media(media)) and attach to it",
        ));
    }
    let raw = player
        .getattr("_as_parameter_")
        .and_then(|p| p.getattr("value"))
        .and_then(|v| v.extract::<Option<usize>>())
        .map_err(|_| PyTypeError::new_err(format!("attach() takes a python-vlc MediaPlayer, not {kind}")))?
        .ok_or_else(|| PyValueError::new_err("the MediaPlayer has no libvlc player (a null pointer)"))?;
    let delivery =
        Delivery::parse(video, audio, every, buffer, queue, drop, latest, abi, realtime, timeout, idle_timeout)?;
    // SAFETY: python-vlc's MediaPlayer holds a live libvlc_media_player_t
    // (its `_as_parameter_`) of the libvlc this module is linked with (one
    // libvlc.so.5 per process); the grab keeps a reference of its own.
    let grab = unsafe { Grab::attach(raw as *mut std::ffi::c_void) };
    delivery.start(player.py(), grab, "the attached MediaPlayer".into(), 0.0, true)
}

/// What `open` and `attach` share: how frames are delivered.
struct Delivery {
    video: Option<(VideoChroma, &'static str)>,
    audio: Option<AudioSample>,
    every: Option<f64>,
    buffer: usize,
    queue: (usize, DropPolicy),
    abi: Abi,
    realtime: bool,
    timeout: Option<f64>,
    idle_timeout: Option<f64>,
}

impl Delivery {
    #[allow(clippy::too_many_arguments)]
    fn parse(
        video: Option<&str>,
        audio: Option<&str>,
        every: Option<f64>,
        buffer: usize,
        queue: usize,
        drop: &str,
        latest: bool,
        abi: &str,
        realtime: bool,
        timeout: Option<f64>,
        idle_timeout: Option<f64>,
    ) -> PyResult<Delivery> {
        let video = video.map(video_chroma).transpose()?;
        let audio = match audio.map(|a| a.to_ascii_lowercase()) {
            None => None,
            Some(a) if a == "s16" || a == "s16l" => Some(AudioSample::S16l),
            Some(a) if a == "f32" || a == "fl32" => Some(AudioSample::Fl32),
            Some(a) => return Err(PyValueError::new_err(format!("unknown audio format {a:?}: s16 or f32"))),
        };
        if video.is_none() && audio.is_none() {
            return Err(PyValueError::new_err("video=None and audio=None leave nothing to grab"));
        }
        let drop = match drop {
            "none" => DropPolicy::None,
            "oldest" => DropPolicy::Oldest,
            "newest" => DropPolicy::Newest,
            other => {
                return Err(PyValueError::new_err(format!("unknown drop policy {other:?}: none, oldest or newest")))
            }
        };
        let abi = match abi {
            "auto" => Abi::Auto,
            "frame" => Abi::Frame,
            "legacy" => Abi::Legacy,
            other => return Err(PyValueError::new_err(format!("unknown abi {other:?}: auto, frame or legacy"))),
        };
        if every.is_some_and(|e| e <= 0.0) {
            return Err(PyValueError::new_err("every must be above 0 seconds"));
        }
        // latest: smem's queue of one, dropping the oldest (Grab::latest).
        let queue = if latest { (1, DropPolicy::Oldest) } else { (queue, drop) };
        Ok(Delivery { video, audio, every, buffer, queue, abi, realtime, timeout, idle_timeout })
    }

    fn start(
        self,
        py: Python<'_>,
        mut grab: Grab<'static>,
        input: String,
        every_from: f64,
        attached: bool,
    ) -> PyResult<PyFrames> {
        let Delivery { video, audio, every, buffer, queue, abi, realtime, timeout, idle_timeout } = self;
        grab = grab.realtime(realtime).abi(abi).queue(queue.0, queue.1);
        if let Some(t) = timeout {
            grab = grab.timeout(Duration::from_secs_f64(t));
        }
        if let Some(t) = idle_timeout {
            grab = grab.idle_timeout(Duration::from_secs_f64(t));
        }
        // Measured (README, Python): VLC's own I420 to RGB runs on its decoding
        // thread and costs more than decoding I420 and converting here, while
        // VLC decodes the next frame. The stock smem copies: it gets VLC's RGB.
        let convert_here = matches!(video, Some((_, "rgb24" | "rgba" | "bgra")))
            && abi != Abi::Legacy
            && smem_client::vlc::smem_rs_available();
        let chroma = if convert_here { Some(VideoChroma::I420) } else { video.map(|v| v.0) };
        let stop = grab.stop_handle();
        // An attached player gets its media before this returns (VLC starts).
        let frames = py.detach(move || grab.frames(chroma, audio, buffer.max(1)));
        Ok(PyFrames {
            input,
            attached,
            seeker: frames.seek_handle(),
            frames: Slot::new(frames),
            stop,
            video_format: video.map_or("none", |v| v.1),
            chroma: video.map_or(VideoChroma::I420, |v| v.0),
            convert_here,
            end: Mutex::new(None),
            warned_stock: Mutex::new(false),
            every,
            every_from,
            next_wanted: Mutex::new(None),
        })
    }
}

/// How many of VLC's frames this process holds right now (arrays that view
/// VLC's buffers, alive): 0 once they are all garbage.
#[pyfunction]
fn held_frames() -> usize {
    smem_client::held_frames()
}

#[pymodule]
fn _smem_rs(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(open, m)?)?;
    m.add_function(wrap_pyfunction!(attach, m)?)?;
    m.add_function(wrap_pyfunction!(held_frames, m)?)?;
    m.add_class::<PyFrames>()?;
    m.add_class::<VideoFrame>()?;
    m.add_class::<AudioFrame>()?;
    m.add("Error", m.py().get_type::<Error>())?;
    Ok(())
}
