//! The iterator Python holds: smem-client's pull queue, waited on with the
//! GIL released, and closed from any thread.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use pyo3::exceptions::PyRuntimeWarning;
use pyo3::prelude::*;
use smem_client::{EndOfStream, EndReason, Frames, Item, Next, SeekHandle, StopHandle};

use crate::convert::Wrap;
use crate::frames::{audio_frame, video_frame};
use crate::Error;

/// How often a waiting iterator looks up for Ctrl-C.
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// Where a grab's frames are between calls: `__next__` borrows them for
/// the length of a wait (with the GIL released, so another thread may call
/// `close` meanwhile); `finish` takes them for good once they are back, and
/// a second `finish` waits until the first is done.
pub struct Slot {
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
    pub fn new(frames: Frames) -> Slot {
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
pub struct PyFrames {
    pub input: String,
    /// Frames of an application's MediaPlayer (`attach`).
    pub attached: bool,
    pub frames: Slot,
    pub stop: StopHandle,
    pub seeker: SeekHandle,
    /// How the grab ended, once it has.
    pub end: Mutex<Option<EndOfStream>>,
    pub warned_stock: Mutex<bool>,
}

impl PyFrames {
    /// Ends the grab (if it is still going) and keeps how it ended; VLC's
    /// player stops in the background (see `Frames::finish_in_background`),
    /// the GIL released meanwhile. Called while another thread's
    /// `__next__` waits, it has that wait end, then ends the grab.
    fn finish(&self, py: Python<'_>) -> PyResult<()> {
        self.stop.stop();
        let Some(frames) = py.detach(|| self.frames.take_for_finish()) else { return Ok(()) };
        // Whatever happens next, a `close` waiting on another thread goes
        // on once `end` says how the grab ended.
        let _finished = Finished(&self.frames);
        let finished = py.detach(move || frames.finish_in_background());
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
            Item::Video(f) => Py::new(py, video_frame(py, f)?)?.into_any(),
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
        py.detach(move || seeker.seek(seconds)).map_err(|e| Error::new_err(e.to_string()))
    }

    /// Stops the grab: no frame comes after it returns, and the frames
    /// already taken stay valid. VLC's player finishes stopping in the
    /// background (`smem_rs.wait_closed()` waits for it). From another
    /// thread, it makes a waiting iterator end.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.finish(py)
    }

    /// How the grab ended ("ended", "stopped", "timed-out", "idle"), None while it goes on.
    #[getter]
    fn ended(&self) -> Option<Wrap<EndReason>> {
        self.end.lock().unwrap_or_else(PoisonError::into_inner).as_ref().map(|end| Wrap(end.reason))
    }

    /// Whether smem-rs's frame ABI delivered (no copy), once the grab ended.
    #[getter]
    fn zero_copy(&self) -> Option<bool> {
        self.end.lock().unwrap_or_else(PoisonError::into_inner).as_ref().map(|end| end.frame_abi)
    }

    /// Once the grab ended: the gaps in the stream, in seconds, in order
    /// (an rtsp:// input that lost its connection and got it back); [] if
    /// none. None while it goes on.
    #[getter]
    fn gaps(&self) -> Option<Vec<f64>> {
        let end = self.end.lock().unwrap_or_else(PoisonError::into_inner);
        end.as_ref().map(|end| end.gaps.iter().map(|gap| gap.as_secs_f64()).collect())
    }
}
