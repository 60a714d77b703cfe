//! The C side of the library: the smem callbacks VLC calls on its decoder
//! threads, and the sink each one finds through its `*-data` pointer. With
//! the libvlc bindings, the only unsafe code of the crate.

use std::ffi::{c_int, c_uint, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use crate::pool::{Buffer, Pool};

/// What the postrender callback said about the bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Meta {
    Video { width: c_int, height: c_int, pts: i64 },
    Audio { channels: c_uint, rate: c_uint, nb_samples: c_uint, pts: i64 },
}

type BorrowFn<'a> = Box<dyn FnMut(&[u8], Meta) + Send + 'a>;
type OwnFn<'a> = Box<dyn FnMut(Buffer, Meta) + Send + 'a>;

/// Where a sink's frames go.
pub(crate) enum Deliver<'a> {
    /// Push closures borrow the bytes; the buffer then goes back to the pool.
    Borrowed(BorrowFn<'a>),
    /// The pull queue takes the buffer itself; dropping the item returns it.
    Owned(OwnFn<'a>),
}

/// One kind of track's buffers and the function that receives its frames.
/// Buffers come from the pool at prerender and go to `deliver` at
/// postrender; in steady state they are reused, so no frame allocates.
pub(crate) struct Sink<'a> {
    inner: Mutex<Inner<'a>>,
    pool: Arc<Pool>,
}

struct Inner<'a> {
    deliver: Deliver<'a>,
    lent: Vec<Vec<u8>>,
    /// The first panic of `deliver`; later frames are dropped.
    panic: Option<String>,
}

impl<'a> Sink<'a> {
    /// `keep`: how many spare buffers the pool holds on to.
    pub(crate) fn new(deliver: Deliver<'a>, keep: usize) -> Box<Sink<'a>> {
        let inner = Mutex::new(Inner { deliver, lent: Vec::with_capacity(4), panic: None });
        Box::new(Sink { inner, pool: Pool::new(keep) })
    }

    /// The `*-data` pointer: this sink's address.
    pub(crate) fn data(&self) -> usize {
        self as *const Sink<'a> as usize
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

    fn give_back(&self, ptr: *mut u8, size: usize, meta: Meta) {
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
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            inner.panic.get_or_insert(text);
        }
    }
}

/// # Safety (for VLC)
/// `data` is the address of a live [`Sink`] (the grab keeps it alive until
/// the player has stopped); `buffer` is smem's out-parameter.
pub(crate) unsafe extern "C" fn prerender(data: *mut c_void, buffer: *mut *mut u8, size: usize) {
    let _ = catch_unwind(|| {
        // SAFETY: as documented above.
        let sink = unsafe { &*(data as *const Sink<'static>) };
        let lent = sink.lend(size);
        unsafe { *buffer = lent };
    });
}

/// # Safety (for VLC)
/// As [`prerender`]; `buffer` is the one prerender lent.
pub(crate) unsafe extern "C" fn video_postrender(
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
        let sink = unsafe { &*(data as *const Sink<'static>) };
        sink.give_back(buffer, size, Meta::Video { width, height, pts });
    });
}

/// # Safety (for VLC)
/// As [`video_postrender`].
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe extern "C" fn audio_postrender(
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
        let sink = unsafe { &*(data as *const Sink<'static>) };
        sink.give_back(buffer, size, Meta::Audio { channels, rate, nb_samples, pts });
    });
}

/// The callbacks' addresses, as smem's options want them.
pub(crate) fn addresses() -> (usize, usize, usize) {
    (prerender as *const () as usize, video_postrender as *const () as usize, audio_postrender as *const () as usize)
}
