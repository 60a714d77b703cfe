//! The glue of an `access_demux` module: an input that reads its URL itself
//! (no VLC access below it) and hands VLC elementary streams, as live555's
//! RTSP input does. A module implements [`AccessDemux`] in safe Rust; it
//! declares its tracks and sends their frames through [`EsOut`]. A
//! control's arguments are read from its `va_list` by the C compiler
//! (`va_arg.c`), and VLC's variadic `es_out_Control` is called through it
//! too, so this works on every architecture VLC runs on.

use std::ffi::{c_int, CStr};
use std::ptr;

use super::object::{c_string, Object};
use super::stream::{guarded, install_panic_hook, take_sys, OpenError};
use super::sys::{self, VaArgs};
use crate::fourcc::Fourcc;

/// VLC's first valid time (`VLC_TS_0`): a block's time is this plus its
/// offset from the stream's origin, in microseconds.
pub const VLC_TS_0: i64 = 1;

/// What a step of the input did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Call again.
    More,
    /// The input has ended (the module logged why).
    End,
    /// The input failed (the module logged why): VLC's player goes to its
    /// Error state.
    Failed,
}

/// An input a module implements. VLC calls `demux` and `pts_delay` from
/// the input's own thread, one at a time.
pub trait AccessDemux: Sized + Send {
    /// Our module name, the tag of every log line.
    const MODULE_NAME: &'static CStr;

    /// `url` is the whole URL VLC was given (`rtsp://...`). Declares the
    /// tracks it will send on `out`.
    /// `input`: the input's key, as [`crate::ffi::stream::Stream::input_key`]
    /// gives it to the stream output that serves it.
    fn open(log: &Object<'_>, input: usize, url: &str, out: &mut EsOut) -> Result<Self, OpenError>;
    /// Waits a little (well under a second, so that VLC can stop the input)
    /// for the next frames and sends them.
    fn demux(&mut self, log: &Object<'_>, out: &mut EsOut) -> Step;
    /// How long VLC's input buffers before it starts its clock, in
    /// microseconds (`DEMUX_GET_PTS_DELAY`).
    fn pts_delay(&self) -> i64;
    /// Ends the input: its threads, sockets and tasks end before this returns.
    fn close(self, log: &Object<'_>);
}

/// A track to declare: what VLC's decoders need to know of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTrack {
    pub kind: TrackKind,
    pub codec: Fourcc,
    /// How the frames are laid out when `codec` does not say it all:
    /// `avc1`/`hvc1`, NALs with lengths and an avcC/hvcC set-up (VLC's
    /// packetizers read it, as from MP4 and Matroska).
    pub original_fourcc: Option<Fourcc>,
    /// The codec's set-up (H.264's avcC, H.265's hvcC, AAC's
    /// AudioSpecificConfig...).
    pub extra: Vec<u8>,
    /// `false`: frames go through VLC's packetizer first (H.264, H.265).
    pub packetized: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackKind {
    Video { width: u32, height: u32, frame_rate: Option<(u32, u32)> },
    Audio { rate: u32, channels: u32, bits_per_sample: u32 },
}

/// A frame on its way to VLC.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    pub data: &'a [u8],
    /// Microseconds since the stream's origin (VLC's time less `VLC_TS_0`).
    pub pts: i64,
    pub key: bool,
    /// Something was lost before it: the decoder must not trust its past.
    pub discontinuity: bool,
    /// Known damaged (lost packets inside it).
    pub corrupted: bool,
}

/// A declared track's handle (`es_out_id_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrackId(*mut sys::es_out_id_t);

// SAFETY: an opaque handle VLC gave; only passed back to VLC on the input's thread.
unsafe impl Send for TrackId {}

/// VLC's ES output for this input: `p_demux->out`, read at each call, for
/// a demux filter (smem_preroll) put after Open puts its own there.
pub struct EsOut {
    demux: *mut sys::demux_t,
}

impl EsOut {
    fn raw(&self) -> *mut sys::es_out_t {
        // SAFETY: the live demuxer this EsOut was made for (a hook's).
        unsafe { (*self.demux).out }
    }

    /// `es_out_Add`: declares a track; `None` if VLC refused it.
    pub fn add(&mut self, track: &NewTrack) -> Option<TrackId> {
        let out = self.raw();
        // SAFETY: es_format_Init fills a zeroed es_format_t; the extra is a
        // malloc'd copy that es_format_Clean frees; es_out_Add
        // copies the format, so ours is cleaned right after. `out` is the
        // input's live ES output.
        unsafe {
            let mut fmt: sys::es_format_t = std::mem::zeroed();
            let category = match track.kind {
                TrackKind::Video { .. } => sys::es_format_category_e_VIDEO_ES,
                TrackKind::Audio { .. } => sys::es_format_category_e_AUDIO_ES,
            };
            sys::es_format_Init(&mut fmt, category as c_int, track.codec.0);
            match track.kind {
                TrackKind::Video { width, height, frame_rate } => {
                    let v = &mut fmt.__bindgen_anon_1.video;
                    v.i_width = width;
                    v.i_height = height;
                    v.i_visible_width = width;
                    v.i_visible_height = height;
                    if let Some((num, den)) = frame_rate {
                        v.i_frame_rate = num;
                        v.i_frame_rate_base = den;
                    }
                }
                TrackKind::Audio { rate, channels, bits_per_sample } => {
                    let a = &mut fmt.__bindgen_anon_1.__bindgen_anon_1.audio;
                    a.i_rate = rate;
                    a.i_channels = u8::try_from(channels).unwrap_or(0);
                    a.i_bitspersample = bits_per_sample;
                }
            }
            fmt.b_packetized = track.packetized;
            if let Some(original) = track.original_fourcc {
                fmt.i_original_fourcc = original.0;
            }
            if !track.extra.is_empty() {
                let extra = libc::malloc(track.extra.len());
                if !extra.is_null() {
                    ptr::copy_nonoverlapping(track.extra.as_ptr(), extra.cast::<u8>(), track.extra.len());
                    fmt.p_extra = extra;
                    fmt.i_extra = track.extra.len() as _;
                }
            }
            let id = match (*out).pf_add {
                Some(add) => add(out, &fmt),
                None => ptr::null_mut(),
            };
            sys::es_format_Clean(&mut fmt);
            (!id.is_null()).then_some(TrackId(id))
        }
    }

    /// `es_out_Send`: a copy of the frame in a new block; `false` if VLC
    /// refused it or no block could be had.
    pub fn send(&mut self, track: TrackId, frame: &Frame<'_>) -> bool {
        let out = self.raw();
        // SAFETY: block_Alloc gives a block of at least that size, which we
        // fill and hand to VLC (es_out_Send takes it); `out` and `track` are
        // the input's live ES output and one of its tracks.
        unsafe {
            let block = sys::block_Alloc(frame.data.len());
            let Some(b) = block.as_mut() else { return false };
            ptr::copy_nonoverlapping(frame.data.as_ptr(), b.p_buffer, frame.data.len());
            b.i_pts = VLC_TS_0 + frame.pts;
            b.i_dts = b.i_pts;
            let flags = [
                (frame.key, sys::BLOCK_FLAG_TYPE_I),
                (frame.discontinuity, sys::BLOCK_FLAG_DISCONTINUITY),
                (frame.corrupted, sys::BLOCK_FLAG_CORRUPTED),
            ];
            b.i_flags |= flags.iter().filter(|(set, _)| *set).fold(0, |all, (_, flag)| all | flag);
            match (*out).pf_send {
                Some(send) => send(out, track.0, block) == sys::VLC_SUCCESS as c_int,
                None => false,
            }
        }
    }

    /// A block with no time (`VLC_TS_INVALID`): what a packetizer takes as
    /// part of the stream but no frame's start, so that it sets no frame's time.
    pub fn send_untimed(&mut self, track: TrackId, data: &[u8]) -> bool {
        let out = self.raw();
        // SAFETY: as in `send`; block_Alloc leaves i_pts and i_dts invalid.
        unsafe {
            let block = sys::block_Alloc(data.len());
            let Some(b) = block.as_mut() else { return false };
            ptr::copy_nonoverlapping(data.as_ptr(), b.p_buffer, data.len());
            match (*out).pf_send {
                Some(send) => send(out, track.0, block) == sys::VLC_SUCCESS as c_int,
                None => false,
            }
        }
    }

    /// `es_out_SetPCR`: every block still to come is at or after `time`
    /// (microseconds since the origin).
    pub fn set_pcr(&mut self, time: i64) {
        // SAFETY: ES_OUT_SET_PCR takes one int64_t.
        unsafe { self.control_i64(sys::es_out_query_e_ES_OUT_SET_PCR as c_int, VLC_TS_0 + time) };
    }

    /// `ES_OUT_RESET_PCR`: the times jumped; VLC's clock starts anew.
    pub fn reset_pcr(&mut self) {
        let out = self.raw();
        // SAFETY: ES_OUT_RESET_PCR takes no argument; `out` is live.
        unsafe {
            let control = Self::control_fn(out);
            if control.is_some() {
                sys::smem_rs_control_none(control, out.cast(), sys::es_out_query_e_ES_OUT_RESET_PCR as c_int);
            }
        }
    }

    /// The ES output's control hook, as the C shims take it.
    ///
    /// # Safety
    /// `out` must be live.
    unsafe fn control_fn(out: *mut sys::es_out_t) -> sys::smem_control_fn {
        // SAFETY: pf_control takes (es_out_t *, int, va_list); the shim's
        // type takes (void *, int, va_list): the same C ABI.
        unsafe { std::mem::transmute::<_, sys::smem_control_fn>((*out).pf_control) }
    }

    /// # Safety
    /// `query` must take exactly one int64_t.
    unsafe fn control_i64(&mut self, query: c_int, value: i64) {
        let out = self.raw();
        // SAFETY: as the caller says; `out` is live.
        unsafe {
            let control = Self::control_fn(out);
            if control.is_some() {
                sys::smem_rs_control_i64(control, out.cast(), query, value);
            }
        }
    }
}

unsafe extern "C" fn demux<A: AccessDemux>(raw: *mut sys::demux_t) -> c_int {
    // SAFETY: p_sys is our Input (Open set it, Close takes it); VLC calls
    // Demux from the input's thread only.
    unsafe {
        let log = Object::from_raw(raw.cast(), A::MODULE_NAME);
        let module = &mut *(*raw).p_sys.cast::<A>();
        let mut out = EsOut { demux: raw };
        match guarded(&log, "Demux", Step::Failed, || module.demux(&log, &mut out)) {
            Step::More => 1,    // VLC_DEMUXER_SUCCESS
            Step::End => 0,     // VLC_DEMUXER_EOF
            Step::Failed => -1, // VLC_DEMUXER_EGENERIC
        }
    }
}

unsafe extern "C" fn control<A: AccessDemux>(raw: *mut sys::demux_t, query: c_int, args: VaArgs) -> c_int {
    // SAFETY: as demux; each query answered here takes one pointer, read
    // from a copy of the va_list only for those.
    unsafe {
        let log = Object::from_raw(raw.cast(), A::MODULE_NAME);
        let module = &*(*raw).p_sys.cast::<A>();
        match query as u32 {
            sys::demux_query_e_DEMUX_GET_PTS_DELAY => {
                let delay = guarded(&log, "Control", 0, || module.pts_delay());
                *sys::smem_rs_va_next_ptr(args).cast::<i64>() = delay;
                sys::VLC_SUCCESS as c_int
            }
            // A live stream: no pause, no seek, no pace or rate control.
            sys::demux_query_e_DEMUX_CAN_PAUSE
            | sys::demux_query_e_DEMUX_CAN_SEEK
            | sys::demux_query_e_DEMUX_CAN_CONTROL_PACE
            | sys::demux_query_e_DEMUX_CAN_CONTROL_RATE => {
                *sys::smem_rs_va_next_ptr(args).cast::<bool>() = false;
                sys::VLC_SUCCESS as c_int
            }
            _ => sys::VLC_EGENERIC,
        }
    }
}

/// `Open` as registered in the descriptor.
///
/// # Safety
/// Called by VLC with a live `demux_t` being created as an access_demux.
pub unsafe extern "C" fn open<A: AccessDemux>(obj: *mut sys::vlc_object_t) -> c_int {
    // SAFETY: VLC's access_demux contract: psz_access and psz_location are
    // the URL's scheme and the rest, `out` the input's ES output, alive
    // until Close; p_sys and the hooks are ours to set.
    unsafe {
        install_panic_hook();
        let raw = obj.cast::<sys::demux_t>();
        let log = Object::from_raw(obj, A::MODULE_NAME);
        if !(*raw).__bindgen_anon_1.s.is_null() || (*raw).out.is_null() {
            return sys::VLC_EGENERIC; // a stream below: not an access_demux
        }
        let scheme = c_string((*raw).psz_access).unwrap_or_default();
        let location = c_string((*raw).psz_location).unwrap_or_default();
        let url = format!("{scheme}://{location}");
        // The object the input belongs to (a media player), as smem_preroll
        // keys it: a stream output serving the input finds what it shares.
        let input = (*raw).p_input.as_ref().map_or(0, |input| input.obj.parent as usize);
        let mut out = EsOut { demux: raw };
        match guarded(&log, "Open", Err(OpenError::Refused), || A::open(&log, input, &url, &mut out)) {
            Ok(module) => {
                (*raw).p_sys = Box::into_raw(Box::new(module)).cast();
                (*raw).pf_demux = Some(demux::<A>);
                (*raw).pf_control = Some(control::<A>);
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
/// Called by VLC once, after a successful `open::<A>` on the same object.
pub unsafe extern "C" fn close<A: AccessDemux>(obj: *mut sys::vlc_object_t) {
    // SAFETY: p_sys is the Input Open leaked, taken back once.
    unsafe {
        let raw = obj.cast::<sys::demux_t>();
        let log = Object::from_raw(obj, A::MODULE_NAME);
        let Some(module) = take_sys::<A, _>(&mut (*raw).p_sys) else { return };
        guarded(&log, "Close", (), || module.close(&log));
    }
}
