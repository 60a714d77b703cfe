//! The `sout stream` glue. A module implements [`StreamOutput`] in safe
//! Rust; the `extern "C"` functions here are what VLC calls. They own the
//! module state (`p_sys`) and the per-track state (the `id`), and catch every
//! panic at the edge: it is logged and turned into an error VLC understands.

use std::any::Any;
use std::ffi::{c_int, CStr};
use std::ops::Deref;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use super::block::BlockChain;
use super::es::EsFormat;
use super::object::{c_string, Object};
use super::sys;

/// Why Open did not take the stream.
#[derive(Debug, PartialEq, Eq)]
pub enum OpenError {
    /// The chain is meant for us but unusable: stop VLC's module search
    /// (`VLC_ETIMEOUT`) so no other `smem` is tried with the same options.
    Refused,
    /// Let VLC try the next candidate module (`VLC_EGENERIC`).
    NotForUs,
}

/// The stream output a module implements. VLC serialises the calls of one
/// stream (under the sout instance lock), so `&self` is never raced by
/// another hook of the same stream; tracks get `&mut`.
pub trait StreamOutput: Sized + Send + Sync {
    type Track: Send;
    /// Our module name, the tag of every log line.
    const MODULE_NAME: &'static CStr;

    fn open(stream: &Stream<'_>) -> Result<Self, OpenError>;
    /// `true` keeps VLC's input paced by the clock; `false` lets it run as
    /// fast as it can decode.
    fn pace_nocontrol(&self) -> bool;
    /// `None` refuses the track (after logging why).
    fn add(&self, stream: &Stream<'_>, format: &EsFormat) -> Option<Self::Track>;
    /// Takes the chain: a frame it cannot deliver is the module's to log;
    /// only a panic makes Send fail towards VLC.
    fn send(&self, stream: &Stream<'_>, track: &mut Self::Track, blocks: BlockChain);
    fn flush(&self, stream: &Stream<'_>, track: &mut Self::Track);
    fn del(&self, stream: &Stream<'_>, track: Self::Track);
    fn close(self, stream: &Stream<'_>);
}

/// A borrowed `sout_stream_t`: its logger and variables (through `Deref`
/// to [`Object`]) and its config chain.
pub struct Stream<'a> {
    raw: *mut sys::sout_stream_t,
    object: Object<'a>,
}

impl<'a> Stream<'a> {
    /// # Safety
    /// `raw` must be a live `sout_stream_t` for `'a`.
    pub(super) unsafe fn from_sout(raw: *mut sys::sout_stream_t, module: &'static CStr) -> Self {
        unsafe { Self::from_raw(raw, module) }
    }

    /// The stream output instance this stream belongs to, as a key: the
    /// modules of one chain share it.
    pub fn instance_key(&self) -> usize {
        // SAFETY: a live stream's p_sout is its sout instance.
        unsafe { (*self.raw).p_sout as usize }
    }

    /// The player whose input this stream output serves (the sout
    /// instance's parent object: VLC's input resource hands it that), as a
    /// key; 0 if there is none.
    pub fn input_key(&self) -> usize {
        // SAFETY: a live stream's sout instance is a live VLC object.
        unsafe { (*self.raw).p_sout.as_ref().map_or(0, |sout| sout.obj.parent as usize) }
    }

    /// Sets the integer variable `name` on this stream's sout instance,
    /// creating it there: the chain's modules and the decoders transcode
    /// makes (children of the chain's streams) inherit it before libvlc's
    /// own settings; nothing outside this chain sees it. False if VLC refused.
    pub fn set_chain_integer(&self, name: &CStr, value: i64) -> bool {
        // SAFETY: a live stream's p_sout is a live VLC object (its first
        // member is the object's header, as VLC_OBJECT assumes); the name is
        // NUL-terminated; an integer variable takes `i_int`.
        unsafe {
            let sout = (*self.raw).p_sout.cast::<sys::vlc_object_t>();
            if sys::var_Create(sout, name.as_ptr(), sys::VLC_VAR_INTEGER as c_int) != sys::VLC_SUCCESS as c_int {
                return false;
            }
            let value = sys::vlc_value_t { i_int: value };
            sys::var_SetChecked(sout, name.as_ptr(), sys::VLC_VAR_INTEGER as c_int, value) == sys::VLC_SUCCESS as c_int
        }
    }

    /// # Safety
    /// `raw` must be a live `sout_stream_t` for `'a`.
    unsafe fn from_raw(raw: *mut sys::sout_stream_t, module: &'static CStr) -> Self {
        Stream { raw, object: unsafe { Object::from_raw(raw.cast(), module) } }
    }

    /// Reads the options `prefix + name` from this stream's `{...}` chain
    /// (falling back to inherited values and the declared defaults).
    pub fn parse_config(&self, prefix: &CStr, options: &[&CStr]) {
        // SAFETY: p_cfg is this stream's own chain, alive while the stream is.
        unsafe { self.object.parse_config_chain(prefix, options, (*self.raw).p_cfg) }
    }
}

impl<'a> Stream<'a> {
    /// The `name=value` entries of this stream's `{...}` chain, as written
    /// (`value` is `None` for a bare `name`).
    pub fn chain_entries(&self) -> Vec<(String, Option<String>)> {
        // SAFETY: chain strings are NUL-terminated (or null), owned by the chain.
        let text = |p: *const std::ffi::c_char| unsafe { c_string(p) };
        let mut entries = Vec::new();
        // SAFETY: p_cfg is this stream's chain, a valid list (or null).
        let mut next = unsafe { (*self.raw).p_cfg };
        while let Some(entry) = unsafe { next.as_ref() } {
            if let Some(name) = text(entry.psz_name) {
                entries.push((name, text(entry.psz_value)));
            }
            next = entry.p_next;
        }
        entries
    }
}

impl<'a> Deref for Stream<'a> {
    type Target = Object<'a>;
    fn deref(&self) -> &Object<'a> {
        &self.object
    }
}

fn panic_text(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic")
}

thread_local! {
    /// Where the last panic on this thread happened, for the log line.
    static PANIC_LOCATION: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Our cdylib carries its own copy of std, so this hook sees only panics in
/// this plugin, never the host's. It keeps the location for VLC's log
/// instead of printing to stderr (and, with RUST_BACKTRACE set, building a
/// symbol cache that nothing frees when VLC unloads the plugin).
pub(super) fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let location = info.location().map(|l| format!("{}:{}", l.file(), l.line()));
            let _ = PANIC_LOCATION.try_with(|slot| slot.replace(location));
        }))
    });
}

/// Runs `f`, turning a panic into an error logged on `log` and `on_panic`.
/// Every `extern "C"` edge and every thread of ours runs its work in here.
pub fn guarded<R>(log: &Object<'_>, hook: &str, on_panic: R, f: impl FnOnce() -> R) -> R {
    let run = || {
        crate::fault::at_hook(hook);
        f()
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(value) => value,
        Err(payload) => {
            // Logging itself must not unwind out of here either.
            let _ = catch_unwind(AssertUnwindSafe(|| {
                let at = PANIC_LOCATION.with(|slot| slot.take()).map(|l| format!(" at {l}")).unwrap_or_default();
                log.error(&format!("internal error in {hook}: {}{at}", panic_text(&*payload)))
            }));
            on_panic
        }
    }
}

unsafe fn module<'s, M: StreamOutput>(raw: *mut sys::sout_stream_t) -> &'s M {
    unsafe { &*((*raw).p_sys as *const M) }
}

/// `Open` as registered in the descriptor.
///
/// # Safety
/// Called by VLC with a live `sout_stream_t`.
pub unsafe extern "C" fn open<M: StreamOutput>(obj: *mut sys::vlc_object_t) -> c_int {
    // SAFETY: VLC's module loader calls Open with the sout_stream_t it is
    // creating (alive until Close); p_sys and the pf_* hooks are ours to set,
    // and the module state is leaked into p_sys until Close takes it back.
    unsafe {
        install_panic_hook();
        let raw = obj.cast::<sys::sout_stream_t>();
        let stream = Stream::from_raw(raw, M::MODULE_NAME);
        let opened = guarded(&stream, "Open", Err(OpenError::Refused), || M::open(&stream));
        match opened {
            Ok(module) => {
                (*raw).pace_nocontrol = module.pace_nocontrol();
                (*raw).p_sys = Box::into_raw(Box::new(module)).cast();
                (*raw).pf_add = Some(add::<M>);
                (*raw).pf_del = Some(del::<M>);
                (*raw).pf_send = Some(send::<M>);
                (*raw).pf_flush = Some(flush::<M>);
                sys::VLC_SUCCESS as c_int
            }
            Err(OpenError::Refused) => sys::VLC_ETIMEOUT,
            Err(OpenError::NotForUs) => sys::VLC_EGENERIC,
        }
    }
}

/// Takes back the state an Open leaked into a `p_sys` slot, leaving it null
/// (`None` if it was: Open failed, or it was taken already).
///
/// # Safety
/// `slot` must be null or hold a `Box<T>` leaked by `Box::into_raw`.
pub(super) unsafe fn take_sys<T, S>(slot: &mut *mut S) -> Option<Box<T>> {
    let raw = std::mem::replace(slot, ptr::null_mut());
    // SAFETY: the caller's contract: a leaked Box<T>, taken back once.
    (!raw.is_null()).then(|| unsafe { Box::from_raw(raw.cast::<T>()) })
}

/// `Close` as registered in the descriptor.
///
/// # Safety
/// Called by VLC once, after a successful `open::<M>` on the same stream.
pub unsafe extern "C" fn close<M: StreamOutput>(obj: *mut sys::vlc_object_t) {
    // SAFETY: VLC calls Close once, on the stream a successful Open set up:
    // p_sys is the Box Open leaked (or null), taken back exactly once here.
    unsafe {
        let raw = obj.cast::<sys::sout_stream_t>();
        let Some(module) = take_sys::<M, _>(&mut (*raw).p_sys) else { return };
        let stream = Stream::from_raw(raw, M::MODULE_NAME);
        guarded(&stream, "Close", (), || module.close(&stream));
    }
}

unsafe extern "C" fn add<M: StreamOutput>(
    raw: *mut sys::sout_stream_t,
    format: *const sys::es_format_t,
) -> *mut sys::sout_stream_id_sys_t {
    // SAFETY: `raw` is the stream Open set up (p_sys is our module, alive
    // until Close); `format` is VLC's es_format_t, valid during the call;
    // the Track is leaked as the id VLC hands back to Send, Flush and Del.
    unsafe {
        let stream = Stream::from_raw(raw, M::MODULE_NAME);
        let Some(format) = EsFormat::from_raw(format) else {
            stream.error("Add called without an ES format");
            return ptr::null_mut();
        };
        let module = module::<M>(raw);
        match guarded(&stream, "Add", None, || module.add(&stream, &format)) {
            Some(track) => Box::into_raw(Box::new(track)).cast(),
            None => ptr::null_mut(),
        }
    }
}

unsafe extern "C" fn del<M: StreamOutput>(raw: *mut sys::sout_stream_t, id: *mut sys::sout_stream_id_sys_t) {
    // SAFETY: `id` is a Track Add leaked (or null), handed back once by VLC
    // and reclaimed here; `raw` is the stream Open set up.
    unsafe {
        if id.is_null() {
            return;
        }
        let track = Box::from_raw(id.cast::<M::Track>());
        let stream = Stream::from_raw(raw, M::MODULE_NAME);
        let module = module::<M>(raw);
        guarded(&stream, "Del", (), || module.del(&stream, *track));
    }
}

unsafe extern "C" fn send<M: StreamOutput>(
    raw: *mut sys::sout_stream_t,
    id: *mut sys::sout_stream_id_sys_t,
    blocks: *mut sys::block_t,
) -> c_int {
    // SAFETY: VLC hands over `blocks` (ours to release, done by BlockChain)
    // and the `id` Add returned (alive until Del); it serialises the hooks of
    // one stream under its sout lock, so the &mut to the Track is unique.
    unsafe {
        // Owned from here on: released on every path, panics included.
        let blocks = BlockChain::from_raw(blocks);
        let stream = Stream::from_raw(raw, M::MODULE_NAME);
        let Some(track) = id.cast::<M::Track>().as_mut() else {
            stream.error("Send called for a track that was refused");
            return sys::VLC_EGENERIC;
        };
        let module = module::<M>(raw);
        let sent = guarded(&stream, "Send", false, || {
            module.send(&stream, track, blocks);
            true
        });
        if sent {
            sys::VLC_SUCCESS as c_int
        } else {
            sys::VLC_EGENERIC
        }
    }
}

unsafe extern "C" fn flush<M: StreamOutput>(raw: *mut sys::sout_stream_t, id: *mut sys::sout_stream_id_sys_t) {
    // SAFETY: `id` is a Track Add returned (alive until Del), and VLC
    // serialises the hooks of one stream, so the &mut to it is unique.
    unsafe {
        let stream = Stream::from_raw(raw, M::MODULE_NAME);
        let Some(track) = id.cast::<M::Track>().as_mut() else { return };
        let module = module::<M>(raw);
        guarded(&stream, "Flush", (), || module.flush(&stream, track));
    }
}
