//! The glue of a pass-through `sout stream` module: it sees each track's
//! format and blocks, then hands everything on to the next module of the
//! chain unchanged. A module implements [`StreamFilter`] in safe Rust.

use std::ffi::{c_int, CStr};
use std::ptr;

use super::block::BlockChain;
use super::es::EsFormat;
use super::stream::{guarded, install_panic_hook, take_sys, OpenError, Stream};
use super::sys;

/// What a pass-through module does besides passing blocks on.
pub trait StreamFilter: Sized + Send + Sync {
    type Track: Send;
    const MODULE_NAME: &'static CStr;

    fn open(stream: &Stream<'_>) -> Result<Self, OpenError>;
    /// Whether a track goes on to the next module; one that does not is
    /// added here alone, and its blocks end here.
    fn passes(&self, _format: &EsFormat) -> bool {
        true
    }
    /// A track the next module accepted (or that goes no further).
    fn add(&self, format: &EsFormat) -> Self::Track;
    /// Looks at the blocks on their way to the next module.
    fn observe(&self, track: &Self::Track, blocks: &BlockChain);
    fn flush(&self, track: &Self::Track);
    fn close(self, stream: &Stream<'_>);
}

/// Our id for a track: the module's state and the next module's id (null
/// for a track that goes no further).
struct Track<T> {
    state: T,
    next_id: *mut sys::sout_stream_id_sys_t,
}

/// # Safety
/// `raw` must be a stream that `open::<F>` set up.
unsafe fn module<'s, F: StreamFilter>(raw: *mut sys::sout_stream_t) -> &'s F {
    unsafe { &*((*raw).p_sys as *const F) }
}

/// The next module of the chain.
///
/// # Safety
/// `raw` must be a live stream.
unsafe fn next<'s>(raw: *mut sys::sout_stream_t) -> Option<&'s mut sys::sout_stream_t> {
    unsafe { (*raw).p_next.as_mut() }
}

/// `Open` as registered in the descriptor.
///
/// # Safety
/// Called by VLC with a live `sout_stream_t`.
pub unsafe extern "C" fn open<F: StreamFilter>(obj: *mut sys::vlc_object_t) -> c_int {
    // SAFETY: as stream::open: the stream is VLC's until Close; p_sys and
    // the hooks are ours to set.
    unsafe {
        install_panic_hook();
        let raw = obj.cast::<sys::sout_stream_t>();
        let stream = Stream::from_sout(raw, F::MODULE_NAME);
        if next(raw).is_none() {
            stream.error("nothing follows in the chain: put it before the modules it serves (e.g. #smem_mark:transcode{...}:smem{...})");
            return sys::VLC_EGENERIC;
        }
        match guarded(&stream, "Open", Err(OpenError::Refused), || F::open(&stream)) {
            Ok(module) => {
                (*raw).p_sys = Box::into_raw(Box::new(module)).cast();
                (*raw).pf_add = Some(add::<F>);
                (*raw).pf_del = Some(del::<F>);
                (*raw).pf_send = Some(send::<F>);
                (*raw).pf_flush = Some(flush::<F>);
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
/// Called by VLC once, after a successful `open::<F>` on the same stream.
pub unsafe extern "C" fn close<F: StreamFilter>(obj: *mut sys::vlc_object_t) {
    // SAFETY: p_sys is the Box Open leaked (or null), taken back once.
    unsafe {
        let raw = obj.cast::<sys::sout_stream_t>();
        let Some(module) = take_sys::<F, _>(&mut (*raw).p_sys) else { return };
        let stream = Stream::from_sout(raw, F::MODULE_NAME);
        guarded(&stream, "Close", (), || module.close(&stream));
    }
}

unsafe extern "C" fn add<F: StreamFilter>(
    raw: *mut sys::sout_stream_t,
    format: *const sys::es_format_t,
) -> *mut sys::sout_stream_id_sys_t {
    // SAFETY: `raw` is the stream Open set up, its p_next the live next
    // module; `format` is valid during the call. The Track is leaked as our
    // id until Del.
    unsafe {
        let stream = Stream::from_sout(raw, F::MODULE_NAME);
        let module = module::<F>(raw);
        let es = EsFormat::from_raw(format);
        if let Some(es) = es.as_ref().filter(|es| !guarded(&stream, "Add", true, || module.passes(es))) {
            return match guarded(&stream, "Add", None, || Some(module.add(es))) {
                Some(state) => Box::into_raw(Box::new(Track { state, next_id: ptr::null_mut() })).cast(),
                None => ptr::null_mut(),
            };
        }
        let Some(next) = next(raw) else { return ptr::null_mut() };
        let Some(next_add) = next.pf_add else { return ptr::null_mut() };
        let next_id = next_add(next, format);
        if next_id.is_null() {
            return ptr::null_mut();
        }
        let Some(es) = es else { return next_id_only(next, next_id) };
        match guarded(&stream, "Add", None, || Some(module.add(&es))) {
            Some(state) => Box::into_raw(Box::new(Track { state, next_id })).cast(),
            None => next_id_only(next, next_id),
        }
    }
}

/// Undoes the next module's Add when we cannot keep the track.
///
/// # Safety
/// `next_id` must be what `next`'s Add just returned.
unsafe fn next_id_only(
    next: &mut sys::sout_stream_t,
    next_id: *mut sys::sout_stream_id_sys_t,
) -> *mut sys::sout_stream_id_sys_t {
    if let Some(del) = next.pf_del {
        unsafe { del(next, next_id) };
    }
    ptr::null_mut()
}

unsafe extern "C" fn del<F: StreamFilter>(raw: *mut sys::sout_stream_t, id: *mut sys::sout_stream_id_sys_t) {
    // SAFETY: `id` is a Track Add leaked, handed back once and reclaimed here.
    unsafe {
        if id.is_null() {
            return;
        }
        let track = Box::from_raw(id.cast::<Track<F::Track>>());
        if let (false, Some(next)) = (track.next_id.is_null(), next(raw)) {
            if let Some(next_del) = next.pf_del {
                next_del(next, track.next_id);
            }
        }
    }
}

unsafe extern "C" fn send<F: StreamFilter>(
    raw: *mut sys::sout_stream_t,
    id: *mut sys::sout_stream_id_sys_t,
    blocks: *mut sys::block_t,
) -> c_int {
    // SAFETY: VLC hands over `blocks` and our id (alive until Del); the
    // chain goes on to the next module, which takes it over.
    unsafe {
        let chain = BlockChain::from_raw(blocks);
        let Some(track) = id.cast::<Track<F::Track>>().as_ref() else { return sys::VLC_EGENERIC };
        let stream = Stream::from_sout(raw, F::MODULE_NAME);
        let module = module::<F>(raw);
        guarded(&stream, "Send", (), || module.observe(&track.state, &chain));
        if track.next_id.is_null() {
            return sys::VLC_SUCCESS as c_int; // goes no further: `chain` is released
        }
        match next(raw).and_then(|next| Some((next.pf_send?, next))) {
            Some((next_send, next)) => next_send(next, track.next_id, chain.into_raw()),
            None => sys::VLC_EGENERIC, // `chain` is released on the way out
        }
    }
}

unsafe extern "C" fn flush<F: StreamFilter>(raw: *mut sys::sout_stream_t, id: *mut sys::sout_stream_id_sys_t) {
    // SAFETY: `id` is our Track (alive until Del).
    unsafe {
        let Some(track) = id.cast::<Track<F::Track>>().as_ref() else { return };
        let stream = Stream::from_sout(raw, F::MODULE_NAME);
        let module = module::<F>(raw);
        guarded(&stream, "Flush", (), || module.flush(&track.state));
        if let (false, Some(next)) = (track.next_id.is_null(), next(raw)) {
            if let Some(next_flush) = next.pf_flush {
                next_flush(next, track.next_id);
            }
        }
    }
}
