//! `smem_rs._smem_rs`: the Python face of smem-client. A grab runs on
//! smem-client's threads; VLC's threads never take the GIL. Frames wait in
//! the client's bounded queue, and the iterator releases the GIL while it
//! waits. Each frame's numpy arrays view VLC's own block (smem-rs's frame
//! ABI) or the buffer the stock smem filled, kept alive by the arrays.
//!
//! The client decides (frame selection, delivery, RGB conversion, names);
//! this binding translates: `convert.rs` (names to values), `frames.rs`
//! (arrays), `iter.rs` (the iterator).

mod convert;
mod frames;
mod iter;

use std::sync::Mutex;

use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use smem_client::{Abi, AudioSample, DropPolicy, Grab, VideoChroma};

use convert::Wrap;
use frames::{AudioFrame, VideoFrame};
use iter::{PyFrames, Slot};

pyo3::create_exception!(
    _smem_rs,
    Error,
    PyException,
    "The input could not be grabbed; the message is VLC's own (a missing file, an unknown chroma, a bad option)."
);

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
/// queue, drop: smem's delivery queue for live sources. latest: the live
/// mode (cameras): each frame as soon as VLC decoded it, and to a slow
/// consumer the newest one (older ones dropped; buffer does not apply).
/// options: extra VLC media options.
/// timeout, idle_timeout: end after so long, or when no frame came for so long.
/// tune_allocator: tune glibc's malloc for the whole process, for the rest of
/// its life (see the stub's docstring); off by default.
/// record: a .mkv or .mp4 path the input's stream is also written to, as it
/// comes and without re-encoding.
#[pyfunction]
#[pyo3(signature = (input, *, video = Some(Wrap(VideoChroma::Rv24)), audio = None, start = None, stop = None, every = None,
    buffer = 4, queue = 0, drop = Wrap(DropPolicy::None), latest = false, options = Vec::new(), abi = Wrap(Abi::Auto), realtime = false,
    timeout = None, idle_timeout = None, tune_allocator = false, record = None),
    text_signature = "(input, *, video='rgb24', audio=None, start=None, stop=None, every=None, buffer=4, queue=0, \
    drop='none', latest=False, options=(), abi='auto', realtime=False, timeout=None, idle_timeout=None, \
    tune_allocator=False, record=None)")]
#[allow(clippy::too_many_arguments)]
fn open(
    py: Python<'_>,
    input: String,
    video: Option<Wrap<VideoChroma>>,
    audio: Option<Wrap<AudioSample>>,
    start: Option<f64>,
    stop: Option<f64>,
    every: Option<f64>,
    buffer: usize,
    queue: usize,
    drop: Wrap<DropPolicy>,
    latest: bool,
    options: Vec<String>,
    abi: Wrap<Abi>,
    realtime: bool,
    timeout: Option<f64>,
    idle_timeout: Option<f64>,
    tune_allocator: bool,
    record: Option<std::path::PathBuf>,
) -> PyResult<PyFrames> {
    let mut grab = Grab::new(input.clone()).segment(start, stop).tune_allocator(tune_allocator);
    if let Some(file) = record {
        grab = grab.record(file);
    }
    for option in options {
        grab = grab.media_option(option);
    }
    let delivery = Delivery { video, audio, every, buffer, queue, drop, latest, abi, realtime, timeout, idle_timeout };
    delivery.start(py, grab, input, false)
}

/// Frames of a python-vlc `MediaPlayer` the application plays, pauses and
/// seeks itself. Attach before player.play(): the player is given a copy of
/// its media with the stream output added, and its own media back at the
/// end. The frames end when the player ends or stops; closing them stops
/// the player. Its vlc.Instance must be made after `import smem_rs` (or
/// smem-rs installed for the whole system). The options are open()'s.
#[pyfunction]
#[pyo3(signature = (player, *, video = Some(Wrap(VideoChroma::Rv24)), audio = None, every = None, buffer = 4, queue = 0,
    drop = Wrap(DropPolicy::None), latest = false, abi = Wrap(Abi::Auto), realtime = false, timeout = None, idle_timeout = None,
    tune_allocator = false),
    text_signature = "(player, *, video='rgb24', audio=None, every=None, buffer=4, queue=0, drop='none', \
    latest=False, abi='auto', realtime=False, timeout=None, idle_timeout=None, tune_allocator=False)")]
#[allow(clippy::too_many_arguments)]
fn attach(
    player: &Bound<'_, PyAny>,
    video: Option<Wrap<VideoChroma>>,
    audio: Option<Wrap<AudioSample>>,
    every: Option<f64>,
    buffer: usize,
    queue: usize,
    drop: Wrap<DropPolicy>,
    latest: bool,
    abi: Wrap<Abi>,
    realtime: bool,
    timeout: Option<f64>,
    idle_timeout: Option<f64>,
    tune_allocator: bool,
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
    let delivery = Delivery { video, audio, every, buffer, queue, drop, latest, abi, realtime, timeout, idle_timeout };
    // SAFETY: python-vlc's MediaPlayer holds a live libvlc_media_player_t
    // (its `_as_parameter_`) of the libvlc this module is linked with (one
    // libvlc.so.5 per process); the grab keeps a reference of its own.
    let grab = unsafe { Grab::attach(raw as *mut std::ffi::c_void) }.tune_allocator(tune_allocator);
    delivery.start(player.py(), grab, "the attached MediaPlayer".into(), true)
}

/// What `open` and `attach` share: how frames are delivered, as Python
/// gave it; smem-client decides the rest.
struct Delivery {
    video: Option<Wrap<VideoChroma>>,
    audio: Option<Wrap<AudioSample>>,
    every: Option<f64>,
    buffer: usize,
    queue: usize,
    drop: Wrap<DropPolicy>,
    latest: bool,
    abi: Wrap<Abi>,
    realtime: bool,
    timeout: Option<f64>,
    idle_timeout: Option<f64>,
}

impl Delivery {
    fn start(self, py: Python<'_>, grab: Grab<'static>, input: String, attached: bool) -> PyResult<PyFrames> {
        let (video, audio) = (self.video.map(|v| v.0), self.audio.map(|a| a.0));
        if video.is_none() && audio.is_none() {
            return Err(PyValueError::new_err("video=None and audio=None leave nothing to grab"));
        }
        if self.every.is_some_and(|e| e.is_nan() || e <= 0.0) {
            return Err(PyValueError::new_err("every must be above 0 seconds"));
        }
        let mut grab = grab.realtime(self.realtime).abi(self.abi.0).queue(self.queue, self.drop.0).every(self.every);
        if self.latest {
            grab = grab.latest();
        }
        if let Some(t) = convert::seconds(self.timeout)? {
            grab = grab.timeout(t);
        }
        if let Some(t) = convert::seconds(self.idle_timeout)? {
            grab = grab.idle_timeout(t);
        }
        let stop = grab.stop_handle();
        let buffer = self.buffer.max(1);
        // An attached player gets its media before this returns (VLC starts).
        let frames = py.detach(move || grab.frames(video, audio, buffer));
        Ok(PyFrames {
            input,
            attached,
            seeker: frames.seek_handle(),
            frames: Slot::new(frames),
            stop,
            end: Mutex::new(None),
            warned_stock: Mutex::new(false),
        })
    }
}

/// How many of VLC's frames this process holds right now (arrays that view
/// VLC's buffers, alive): 0 once they are all garbage.
#[pyfunction]
fn held_frames() -> usize {
    smem_client::held_frames()
}

/// Waits until every grab closed in the background has stopped VLC
/// (`close()` returns before; at most two at a time). Registered with
/// `atexit`, so VLC's threads never run into the interpreter's end; call it
/// before counting threads or memory.
#[pyfunction]
fn wait_closed(py: Python<'_>) {
    py.detach(smem_client::wait_closed)
}

#[pymodule]
fn _smem_rs(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(open, m)?)?;
    m.add_function(wrap_pyfunction!(attach, m)?)?;
    m.add_function(wrap_pyfunction!(held_frames, m)?)?;
    m.add_function(wrap_pyfunction!(wait_closed, m)?)?;
    m.add_class::<PyFrames>()?;
    m.add_class::<VideoFrame>()?;
    m.add_class::<AudioFrame>()?;
    m.add("Error", m.py().get_type::<Error>())?;
    Ok(())
}
