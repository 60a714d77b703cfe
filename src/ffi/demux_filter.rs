//! The glue of a `demux_filter` module that watches what the demuxer sends
//! to VLC's ES output: it puts an ES output of its own between the two,
//! which may mark blocks on their way and passes everything on unchanged.
//! A module implements [`EsWatch`] in safe Rust. A control's argument is
//! read from its `va_list` by the C compiler (`va_arg.c`), so this works on
//! every architecture VLC runs on.

use std::ffi::{c_int, CStr};
use std::path::Path;
use std::ptr;

use super::object::{c_string, Object};
use super::stream::{guarded, install_panic_hook, take_sys};
use super::sys::{self, VaArgs};

/// What a demux filter does with the demuxer's output.
pub trait EsWatch: Sized + Send + Sync {
    const MODULE_NAME: &'static CStr;

    /// `input` identifies the player the demuxer reads for (a key it shares
    /// with the stream output's `Stream::input_key`); `demuxer` is the
    /// demuxer module's name (`mkv`, `mp4`, `ts`...); `file` the local file
    /// it reads, if it reads one.
    fn open(log: &Object<'_>, input: usize, demuxer: &str, file: Option<&Path>) -> Self;
    /// The demuxer says where its next picture to show is
    /// (`ES_OUT_SET_NEXT_DISPLAY_TIME`, VLC's pre-roll point), in its
    /// stream's time.
    fn next_display_time(&self, time: i64);
    /// The input asked the demuxer to seek (`DEMUX_SET_TIME` or
    /// `DEMUX_SET_POSITION`), and it has.
    fn sought(&self);
    /// The demuxer reset VLC's clock (`ES_OUT_RESET_PCR`): a discontinuity.
    fn clock_reset(&self);
    /// A block on its way, of the ES with VLC's id `es_id` (when known): its
    /// pts in the stream, where the demuxer's is wrong.
    fn true_pts(&self, es_id: Option<i32>, pts: i64, dts: i64) -> Option<i64>;
    /// A block on its way (after `true_pts`): `true` marks it pre-roll
    /// (decoded, not shown).
    fn is_preroll(&self, es_id: Option<i32>, pts: i64, dts: i64) -> bool;
}

/// Our ES output: VLC's `es_out_t` first, so VLC's pointer is ours.
#[repr(C)]
struct Watch<W> {
    out: sys::es_out_t,
    /// The ES output the demuxer had (VLC's).
    real: *mut sys::es_out_t,
    /// The filter, a VLC object alive as long as this: hooks log on it.
    filter: *mut sys::vlc_object_t,
    watch: W,
}

/// The filter's state: where our ES output is, to put VLC's back at Close.
struct Filter<W> {
    next: *mut sys::demux_t,
    watch: Box<Watch<W>>,
}

/// # Safety
/// `out` must be the `es_out_t` of a live `Watch<W>`.
unsafe fn watch_of<'w, W>(out: *mut sys::es_out_t) -> &'w Watch<W> {
    unsafe { &*out.cast::<Watch<W>>() }
}

impl<W: EsWatch> Watch<W> {
    /// The filter, to log on.
    fn log(&self) -> Object<'_> {
        // SAFETY: the filter outlives its ES output (Close puts VLC's back).
        unsafe { Object::from_raw(self.filter, W::MODULE_NAME) }
    }
}

unsafe extern "C" fn es_add<W: EsWatch>(
    out: *mut sys::es_out_t,
    format: *const sys::es_format_t,
) -> *mut sys::es_out_id_t {
    // SAFETY: `out` is our Watch; its `real` is VLC's live ES output.
    unsafe {
        let real = watch_of::<W>(out).real;
        match (*real).pf_add {
            Some(add) => add(real, format),
            None => ptr::null_mut(),
        }
    }
}

/// VLC's id of the ES behind `id`, the handle a demuxer sends with. VLC
/// 3.0's input hands demuxers its timeshift ES output, whose handle starts
/// with the pointer to the real ES, whose first member is the id
/// (`src/input/es_out_timeshift.c`, `src/input/es_out.c`). Not an API:
/// read only through non-null pointers and kept only if it looks like an id.
///
/// # Safety
/// `id` must be a handle the input's ES output gave the demuxer.
unsafe fn es_id_of(id: *mut sys::es_out_id_t) -> Option<i32> {
    unsafe {
        let es = (id as *const *const i32).as_ref()?;
        let es_id = *es.as_ref()?;
        (0..1 << 24).contains(&es_id).then_some(es_id)
    }
}

unsafe extern "C" fn es_send<W: EsWatch>(
    out: *mut sys::es_out_t,
    id: *mut sys::es_out_id_t,
    block: *mut sys::block_t,
) -> c_int {
    // SAFETY: as es_add; `block` is the demuxer's, valid until handed on.
    unsafe {
        let w = watch_of::<W>(out);
        if let Some(b) = block.as_mut() {
            let es_id = es_id_of(id);
            if let Some(pts) = guarded(&w.log(), "EsSend", None, || w.watch.true_pts(es_id, b.i_pts, b.i_dts)) {
                b.i_pts = pts;
            }
            let (pts, dts) = (b.i_pts, b.i_dts);
            if guarded(&w.log(), "EsSend", false, || w.watch.is_preroll(es_id, pts, dts)) {
                b.i_flags |= sys::BLOCK_FLAG_PREROLL;
            }
        }
        match (*w.real).pf_send {
            Some(send) => send(w.real, id, block),
            None => sys::VLC_EGENERIC,
        }
    }
}

unsafe extern "C" fn es_del<W: EsWatch>(out: *mut sys::es_out_t, id: *mut sys::es_out_id_t) {
    // SAFETY: as es_add.
    unsafe {
        let real = watch_of::<W>(out).real;
        if let Some(del) = (*real).pf_del {
            del(real, id);
        }
    }
}

unsafe extern "C" fn es_control<W: EsWatch>(out: *mut sys::es_out_t, query: c_int, args: VaArgs) -> c_int {
    // SAFETY: as es_add; `args` is the control's va_list, passed on as is
    // (the time is read from a copy); ES_OUT_SET_NEXT_DISPLAY_TIME's
    // argument is an int64_t.
    unsafe {
        let w = watch_of::<W>(out);
        if query == sys::es_out_query_e_ES_OUT_SET_NEXT_DISPLAY_TIME as c_int {
            let time = sys::smem_rs_va_next_i64(args);
            guarded(&w.log(), "EsControl", (), || w.watch.next_display_time(time));
        }
        if query == sys::es_out_query_e_ES_OUT_RESET_PCR as c_int {
            // A discontinuity (MPEG-TS): VLC flushes its decoders and its
            // clock starts anew, as after a seek.
            guarded(&w.log(), "EsControl", (), || w.watch.clock_reset());
        }
        match (*w.real).pf_control {
            Some(control) => control(w.real, query, args),
            None => sys::VLC_EGENERIC,
        }
    }
}

unsafe extern "C" fn es_destroy(_out: *mut sys::es_out_t) {
    // Demuxers never destroy their ES output: the input owns VLC's, and
    // Close frees ours.
}

unsafe extern "C" fn demux<W: EsWatch>(filter: *mut sys::demux_t) -> c_int {
    // SAFETY: p_sys is our Filter (Open set it, Close takes it); its `next`
    // is the live demuxer we filter.
    unsafe {
        let state = &*(*filter).p_sys.cast::<Filter<W>>();
        match (*state.next).pf_demux {
            Some(demux) => demux(state.next),
            None => 0, // VLC_DEMUXER_EOF
        }
    }
}

unsafe extern "C" fn control<W: EsWatch>(filter: *mut sys::demux_t, query: c_int, args: VaArgs) -> c_int {
    // SAFETY: as demux; demux_vaControl passes the va_list on.
    unsafe {
        let state = &*(*filter).p_sys.cast::<Filter<W>>();
        let result = sys::demux_vaControl(state.next, query, args);
        // A seek by time or by position (MPEG-TS, libvlc's set_position).
        let seek = [sys::demux_query_e_DEMUX_SET_TIME, sys::demux_query_e_DEMUX_SET_POSITION];
        if seek.iter().any(|&q| query == q as c_int) {
            guarded(&state.watch.log(), "DemuxControl", (), || state.watch.watch.sought());
        }
        result
    }
}

/// `Open` as registered in the descriptor.
///
/// # Safety
/// Called by VLC with a live `demux_t` being created as a filter.
pub unsafe extern "C" fn open<W: EsWatch>(obj: *mut sys::vlc_object_t) -> c_int {
    // SAFETY: VLC's demux filter contract: p_next is the demuxer below,
    // alive until our Close; its ES output is swapped for ours here and
    // put back in Close.
    unsafe {
        install_panic_hook();
        let filter = obj.cast::<sys::demux_t>();
        let log = Object::from_raw(obj, W::MODULE_NAME);
        let next = (*filter).__bindgen_anon_1.p_next;
        if next.is_null() || (*next).out.is_null() {
            log.error("no demuxer to filter");
            return sys::VLC_EGENERIC;
        }
        // The object the input belongs to (a media player): the stream
        // output's sout instance belongs to it too.
        let input = (*next).p_input.as_ref().map_or(0, |input| input.obj.parent as usize);
        let demuxer = match (*next).p_module.is_null() {
            true => None,
            false => c_string(sys::module_get_object((*next).p_module)),
        };
        let demuxer = demuxer.unwrap_or_default();
        // VLC sets psz_file for a local file only.
        let file = c_string((*next).psz_file).map(std::path::PathBuf::from);
        let Some(watch) = guarded(&log, "Open", None, || Some(W::open(&log, input, &demuxer, file.as_deref()))) else {
            return sys::VLC_EGENERIC;
        };
        let mut watch = Box::new(Watch {
            out: sys::es_out_t {
                pf_add: Some(es_add::<W>),
                pf_send: Some(es_send::<W>),
                pf_del: Some(es_del::<W>),
                pf_control: Some(es_control::<W>),
                pf_destroy: Some(es_destroy),
                p_sys: ptr::null_mut(),
            },
            real: (*next).out,
            filter: obj,
            watch,
        });
        (*next).out = &mut watch.out;
        (*filter).p_sys = Box::into_raw(Box::new(Filter { next, watch })).cast();
        (*filter).pf_demux = Some(demux::<W>);
        (*filter).pf_control = Some(control::<W>);
        sys::VLC_SUCCESS as c_int
    }
}

/// `Close` as registered in the descriptor.
///
/// # Safety
/// Called by VLC once, after a successful `open::<W>` on the same filter.
pub unsafe extern "C" fn close<W: EsWatch>(obj: *mut sys::vlc_object_t) {
    // SAFETY: p_sys is the Filter Open leaked, taken back once; the
    // demuxer gets VLC's ES output back before ours is freed.
    unsafe {
        let filter = obj.cast::<sys::demux_t>();
        let Some(state) = take_sys::<Filter<W>, _>(&mut (*filter).p_sys) else { return };
        (*state.next).out = state.watch.real;
    }
}
