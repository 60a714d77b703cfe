//! The C side of the library: the smem callbacks VLC calls on its decoder
//! threads, one typed trampoline per callback, and the sink each one finds
//! through its `*-data` pointer. With the libvlc bindings and the frame
//! ABI's structs, the only unsafe code of the crate.

use std::ffi::{c_int, c_uint, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use crate::abi::{self, Frame, HeldFrame};
use crate::format::PlaneLayout;
use crate::pool::{Buffer, Pool, Storage};

/// What the video postrender callback says about the bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct VideoMeta {
    pub width: c_int,
    pub height: c_int,
    pub pts: i64,
}

/// What the audio postrender callback says about the bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AudioMeta {
    pub channels: c_uint,
    pub rate: c_uint,
    pub nb_samples: c_uint,
    pub pts: i64,
}

type BorrowFn<'a, M> = Box<dyn FnMut(&[u8], M) + Send + 'a>;
type OwnFn<'a, M> = Box<dyn FnMut(Buffer, M) + Send + 'a>;

/// Where a legacy sink's frames go.
pub(crate) enum Deliver<'a, M> {
    /// Push closures borrow the bytes; the buffer then goes back to the pool.
    Borrowed(BorrowFn<'a, M>),
    /// The pull queue takes the buffer itself; dropping the item returns it.
    Owned(OwnFn<'a, M>),
}

/// The first panic of a closure, as text.
fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// One kind of track's buffers on the legacy callbacks, and the function
/// that receives its frames. Buffers come from the pool at prerender and go
/// to `deliver` at postrender; in steady state they are reused, so no frame
/// allocates.
pub(crate) struct Sink<'a, M> {
    inner: Mutex<Inner<'a, M>>,
    pool: Arc<Pool>,
}

struct Inner<'a, M> {
    deliver: Deliver<'a, M>,
    lent: Vec<Storage>,
    /// The first panic of `deliver`; later frames are dropped.
    panic: Option<String>,
}

impl<'a, M> Sink<'a, M> {
    /// `keep`: how many spare buffers the pool holds on to.
    pub(crate) fn new(deliver: Deliver<'a, M>, keep: usize) -> Box<Sink<'a, M>> {
        let inner = Mutex::new(Inner { deliver, lent: Vec::with_capacity(4), panic: None });
        Box::new(Sink { inner, pool: Pool::new(keep) })
    }

    /// The `*-data` pointer: this sink's address.
    pub(crate) fn data(&self) -> usize {
        self as *const Sink<'a, M> as usize
    }

    pub(crate) fn take_panic(&self) -> Option<String> {
        self.inner.lock().map(|mut i| i.panic.take()).unwrap_or_else(|_| Some("a frame callback panicked".into()))
    }

    fn lend(&self, size: usize) -> *mut u8 {
        let Ok(mut inner) = self.inner.lock() else { return std::ptr::null_mut() };
        if inner.panic.is_some() {
            return std::ptr::null_mut(); // smem drops the frame
        }
        let mut buffer = self.pool.take(size.max(1));
        let ptr = buffer.as_mut_ptr();
        inner.lent.push(buffer);
        ptr
    }

    fn give_back(&self, ptr: *mut u8, size: usize, meta: M) {
        let Ok(mut inner) = self.inner.lock() else { return };
        let Some(i) = inner.lent.iter().position(|b| b.as_ptr() == ptr.cast_const()) else { return };
        let buffer = inner.lent.swap_remove(i);
        let size = size.min(buffer.len());
        let delivered = catch_unwind(AssertUnwindSafe(|| match &mut inner.deliver {
            Deliver::Borrowed(f) => {
                f(&buffer[..size], meta);
                self.pool.put(buffer);
            }
            Deliver::Owned(f) => f(Buffer::pooled(buffer, size, Arc::clone(&self.pool)), meta),
        }));
        if let Err(payload) = delivered {
            inner.panic.get_or_insert(panic_text(payload));
        }
    }
}

/// # Safety (for VLC)
/// `data` is the address of a live `Sink<M>` (the grab keeps it alive until
/// the player has stopped); `buffer` is smem's out-parameter.
unsafe extern "C" fn prerender<M>(data: *mut c_void, buffer: *mut *mut u8, size: usize) {
    let _ = catch_unwind(|| {
        // SAFETY: as documented above.
        let sink = unsafe { &*(data as *const Sink<'static, M>) };
        let lent = sink.lend(size);
        unsafe { *buffer = lent };
    });
}

/// # Safety (for VLC)
/// As [`prerender`], for a `Sink<VideoMeta>`; `buffer` is the one prerender lent.
unsafe extern "C" fn video_postrender(
    data: *mut c_void,
    buffer: *mut u8,
    width: c_int,
    height: c_int,
    _pixel_pitch: c_int,
    size: usize,
    pts: i64,
) {
    let _ = catch_unwind(|| {
        // SAFETY: as documented on prerender.
        let sink = unsafe { &*(data as *const Sink<'static, VideoMeta>) };
        sink.give_back(buffer, size, VideoMeta { width, height, pts });
    });
}

/// # Safety (for VLC)
/// As [`prerender`], for a `Sink<AudioMeta>`.
#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn audio_postrender(
    data: *mut c_void,
    buffer: *mut u8,
    channels: c_uint,
    rate: c_uint,
    nb_samples: c_uint,
    _bits_per_sample: c_uint,
    size: usize,
    pts: i64,
) {
    let _ = catch_unwind(|| {
        // SAFETY: as documented on prerender.
        let sink = unsafe { &*(data as *const Sink<'static, AudioMeta>) };
        sink.give_back(buffer, size, AudioMeta { channels, rate, nb_samples, pts });
    });
}

/// The legacy callbacks' addresses, as smem's options want them:
/// (video prerender, video postrender, audio prerender, audio postrender).
pub(crate) fn legacy_addresses() -> [usize; 4] {
    [
        prerender::<VideoMeta> as *const () as usize,
        video_postrender as *const () as usize,
        prerender::<AudioMeta> as *const () as usize,
        audio_postrender as *const () as usize,
    ]
}

/// A frame of the frame ABI, for the duration of its callback: safe reads
/// of what smem described.
pub(crate) struct FrameRef<'f> {
    frame: &'f Frame,
}

impl<'f> FrameRef<'f> {
    pub(crate) fn info(&self) -> abi::FrameInfo {
        abi::FrameInfo::of(self.frame)
    }
    pub(crate) fn pts(&self) -> i64 {
        self.frame.pts
    }
    pub(crate) fn media_time(&self) -> Option<i64> {
        self.frame.media_time()
    }
    pub(crate) fn video(&self) -> Option<&'f abi::Video> {
        // SAFETY: smem.h: set for a video frame, valid during the callback.
        unsafe { self.frame.video.as_ref() }
    }
    pub(crate) fn audio(&self) -> Option<&'f abi::Audio> {
        // SAFETY: as `video`.
        unsafe { self.frame.audio.as_ref() }
    }
    /// The whole block for video (planes point into it), the samples for audio.
    pub(crate) fn data(&self) -> &'f [u8] {
        // SAFETY: valid during the callback (smem.h).
        unsafe {
            let (data, len) = abi::frame_bytes(self.frame);
            abi::bytes(data, len)
        }
    }
    /// The planes as offsets into [`FrameRef::data`].
    pub(crate) fn planes(&self, out: &mut Vec<PlaneLayout>) {
        out.clear();
        let Some(v) = self.video() else { return };
        let base = v.data as usize;
        for p in &v.planes[..(v.plane_count as usize).min(abi::MAX_PLANES)] {
            out.push(PlaneLayout {
                offset: (p.pixels as usize).wrapping_sub(base),
                pitch: p.pitch,
                visible_bytes: p.visible_bytes,
                lines: p.lines,
            });
        }
    }
    /// Keeps the frame's bytes past the callback; `None` at smem's `max-held`.
    pub(crate) fn hold(&self) -> Option<HeldFrame> {
        let data = self.data();
        // SAFETY: this frame's callback is running on this thread.
        unsafe { HeldFrame::hold(self.frame, data.as_ptr(), data.len()) }
    }
}

type FrameFn<'a> = Box<dyn FnMut(FrameRef<'_>) + Send + 'a>;

/// A kind's frame callback on the frame ABI.
pub(crate) struct FrameSink<'a> {
    inner: Mutex<FrameInner<'a>>,
    kind: u32,
}

struct FrameInner<'a> {
    deliver: FrameFn<'a>,
    panic: Option<String>,
}

impl<'a> FrameSink<'a> {
    pub(crate) fn video(deliver: FrameFn<'a>) -> Box<FrameSink<'a>> {
        Box::new(FrameSink { inner: Mutex::new(FrameInner { deliver, panic: None }), kind: abi::KIND_VIDEO })
    }
    pub(crate) fn audio(deliver: FrameFn<'a>) -> Box<FrameSink<'a>> {
        Box::new(FrameSink { inner: Mutex::new(FrameInner { deliver, panic: None }), kind: abi::KIND_AUDIO })
    }
    pub(crate) fn data(&self) -> usize {
        self as *const FrameSink<'a> as usize
    }
    pub(crate) fn take_panic(&self) -> Option<String> {
        self.inner.lock().map(|mut i| i.panic.take()).unwrap_or_else(|_| Some("a frame callback panicked".into()))
    }
    fn deliver(&self, frame: &Frame) {
        let Ok(mut inner) = self.inner.lock() else { return };
        if inner.panic.is_some() || frame.kind != self.kind || frame.version < abi::FRAME_VERSION {
            return;
        }
        let delivered = catch_unwind(AssertUnwindSafe(|| (inner.deliver)(FrameRef { frame })));
        if let Err(payload) = delivered {
            inner.panic.get_or_insert(panic_text(payload));
        }
    }
}

/// # Safety (for VLC)
/// `data` is the address of a live [`FrameSink`] (kept alive until the
/// player has stopped); `frame` is smem's, valid during the call.
unsafe extern "C" fn on_frame(data: *mut c_void, frame: *const Frame) {
    let _ = catch_unwind(|| {
        // SAFETY: as documented above.
        let (sink, frame) = unsafe { (&*(data as *const FrameSink<'static>), frame.as_ref()) };
        if let Some(frame) = frame {
            sink.deliver(frame);
        }
    });
}

/// The frame callback's address (one for both kinds: the sink knows its kind).
pub(crate) fn frame_address() -> usize {
    on_frame as abi::FrameCallback as usize
}
