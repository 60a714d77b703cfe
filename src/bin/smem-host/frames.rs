//! `--abi frame`: the host takes frames through the frame ABI
//! (`include/smem.h`) instead of the prerender/postrender pair. It repacks
//! each frame's visible lines (by the plane pitches it is given) into the
//! same buffer and report the legacy path fills, so the two can be compared
//! byte for byte, and records what only the frame ABI tells.
//!
//! `--hold MODE` exercises the lifetime rules:
//! * `keep:N` holds every frame and releases it N frames later (steady state);
//! * `after-exit` holds every frame (up to the bound) and releases them all
//!   after libvlc_release, checking their bytes first;
//! * `twice` holds each frame once and releases it twice;
//! * `never` holds every frame and never releases it;
//! * `elsewhere` calls hold on a frame from another thread after its callback.

use std::collections::VecDeque;
use std::ffi::c_void;
use std::fmt::Write as _;
use std::sync::Mutex;

use smem_rs_plugin::ffi::sys::{smem_frame_t, SMEM_FLAG_KEYFRAME, SMEM_KIND_AUDIO, SMEM_KIND_VIDEO};

use crate::{delivery_ends, delivery_starts, minor_faults, since_start_us, track, Track, TrackState};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum HoldMode {
    #[default]
    None,
    Keep(usize),
    AfterExit,
    Twice,
    Never,
    Elsewhere,
}

pub(crate) fn parse_hold(text: &str) -> Result<HoldMode, String> {
    Ok(match text {
        "none" => HoldMode::None,
        "after-exit" => HoldMode::AfterExit,
        "twice" => HoldMode::Twice,
        "never" => HoldMode::Never,
        "elsewhere" => HoldMode::Elsewhere,
        other => match other.strip_prefix("keep:").and_then(|n| n.parse().ok()) {
            Some(n) => HoldMode::Keep(n),
            None => return Err(format!("--hold: unknown mode {other:?}")),
        },
    })
}

/// A frame `hold` returned: its address (as the plugin knows it) and the
/// checksum of its visible bytes when it was delivered.
#[derive(Clone, Copy)]
pub(crate) struct HeldFrame {
    frame: usize,
    checksum: u64,
}

/// What the frame ABI told a track, beyond the legacy report.
#[derive(Default)]
pub(crate) struct FrameState {
    pub hold: HoldMode,
    pub held: VecDeque<HeldFrame>,
    pub hold_refused: u64,
    pub keyframes: u64,
    pub dropped_before: u64,
    pub es_ids: Vec<i32>,
    pub generations: Vec<u32>,
}

fn fnv(hash: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *hash = (*hash ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
}

/// The visible bytes of a frame, line by line by the plane pitches, into
/// `out`; their checksum.
///
/// # Safety
/// `frame` must be a frame from smem (during its callback, or held).
unsafe fn visible_bytes(frame: &smem_frame_t, out: &mut Vec<u8>) -> u64 {
    out.clear();
    let mut hash = 0xcbf2_9ce4_8422_2325;
    // SAFETY: the caller's frame; its video/audio pointer is set for its kind.
    if let Some(video) = unsafe { frame.video.as_ref() } {
        if video.plane_count == 0 {
            out.extend_from_slice(unsafe { std::slice::from_raw_parts(video.data, video.size) });
        }
        for plane in &video.planes[..video.plane_count as usize] {
            for line in 0..plane.lines {
                // SAFETY: smem.h: `lines` lines of `visible_bytes` from `pixels`, `pitch` apart.
                let bytes =
                    unsafe { std::slice::from_raw_parts(plane.pixels.add(line * plane.pitch), plane.visible_bytes) };
                out.extend_from_slice(bytes);
            }
        }
    } else if let Some(audio) = unsafe { frame.audio.as_ref() } {
        out.extend_from_slice(unsafe { std::slice::from_raw_parts(audio.data, audio.size) });
    }
    fnv(&mut hash, out);
    hash
}

fn describe(frame: &smem_frame_t) -> (String, String, usize) {
    // SAFETY: as in `visible_bytes`.
    if let Some(v) = unsafe { frame.video.as_ref() } {
        let chroma = String::from_utf8_lossy(&v.chroma.to_le_bytes()).into_owned();
        let pitches: Vec<String> = v.planes[..v.plane_count as usize]
            .iter()
            .map(|p| format!("{}/{}x{}", p.pitch, p.visible_bytes, p.lines))
            .collect();
        let line = format!(
            "video pts={} dts={} es={} generation={} flags={} dropped_before={} chroma={chroma} width={} height={} \
             x_offset={} y_offset={} coded={}x{} sar={}/{} frame_rate={}/{} space={} full_range={} primaries={} \
             transfer={} orientation={} planes={} size={}",
            frame.pts,
            frame.dts,
            frame.es_id,
            frame.generation,
            frame.flags,
            frame.dropped_before,
            v.width,
            v.height,
            v.x_offset,
            v.y_offset,
            v.coded_width,
            v.coded_height,
            v.sar_num,
            v.sar_den,
            v.frame_rate_num,
            v.frame_rate_den,
            v.color_space,
            v.color_range_full,
            v.primaries,
            v.transfer,
            v.orientation,
            if pitches.is_empty() { "none".to_owned() } else { pitches.join(",") },
            v.size
        );
        let format = format!("{}x{} {chroma} planes={}", v.width, v.height, pitches.join(","));
        (line, format, v.size)
    } else if let Some(a) = unsafe { frame.audio.as_ref() } {
        let format_code = String::from_utf8_lossy(&a.format.to_le_bytes()).into_owned();
        let line = format!(
            "audio pts={} dts={} es={} generation={} flags={} dropped_before={} format={format_code} channels={} \
             physical_channels={:#x} rate={} nb_samples={} bits_per_sample={} size={}",
            frame.pts,
            frame.dts,
            frame.es_id,
            frame.generation,
            frame.flags,
            frame.dropped_before,
            a.channels,
            a.physical_channels,
            a.rate,
            a.samples,
            a.bits_per_sample,
            a.size
        );
        let format = format!("{} channels {} Hz {} bits {format_code}", a.channels, a.rate, a.bits_per_sample);
        (line, format, a.size)
    } else {
        ("none".into(), "none".into(), 0)
    }
}

fn frame_callback(data: *mut c_void, frame: *const smem_frame_t, magic: u64, kind: u32) {
    let Some(track) = track(data, magic) else {
        eprintln!("smem-host: frame callback called with a foreign data pointer");
        std::process::abort();
    };
    // SAFETY: smem passes a frame valid for this call.
    let Some(f) = (unsafe { frame.as_ref() }) else { std::process::abort() };
    delivery_starts();
    let mut st = track.state.lock().unwrap();
    if f.kind != kind || f.struct_size as usize != size_of::<smem_frame_t>() {
        st.errors.push(format!("frame kind {} / struct_size {} unexpected", f.kind, f.struct_size));
    }
    // SAFETY: as above.
    let me = unsafe { libc::pthread_self() } as u64;
    if !st.threads.iter().any(|(id, _)| *id == me) {
        st.threads.push(crate::this_thread());
    }
    if st.faults.is_none() {
        let now = minor_faults();
        st.faults = Some((now, now));
    }
    std::thread::sleep(st.callback_sleep);
    let mut buffer = std::mem::take(&mut st.buffer);
    // SAFETY: during the callback.
    let checksum = unsafe { visible_bytes(f, &mut buffer) };
    let (line, format, _) = describe(f);
    record_frame(&mut st, &buffer, f, line, format);
    st.buffer = buffer;
    hold_as_told(&mut st, frame, checksum);
    if let Some((_, last)) = st.faults.as_mut() {
        *last = minor_faults();
    }
    delivery_ends();
}

fn record_frame(st: &mut TrackState, bytes: &[u8], f: &smem_frame_t, line: String, format: String) {
    st.count += 1;
    st.prerender_calls += 1;
    st.bytes += bytes.len() as u64;
    st.first_pts.get_or_insert(f.pts);
    st.last_pts = f.pts;
    let rss = if st.report_rss { format!(" rss_kb={}", crate::rss_kb()) } else { String::new() };
    let _ = writeln!(st.report, "{line} t={}{rss}", since_start_us());
    st.format = format;
    if let Some(out) = st.out.as_mut() {
        use std::io::Write;
        let _ = out.write_all(bytes);
    }
    let frames = &mut st.frames;
    if f.flags & SMEM_FLAG_KEYFRAME != 0 {
        frames.keyframes += 1;
    }
    frames.dropped_before += f.dropped_before;
    if !frames.es_ids.contains(&f.es_id) {
        frames.es_ids.push(f.es_id);
    }
    if frames.generations.last() != Some(&f.generation) {
        frames.generations.push(f.generation);
    }
}

/// # Safety (of the calls inside)
/// `frame` is the frame of the running callback; held frames came from `hold`.
fn hold_as_told(st: &mut TrackState, frame: *const smem_frame_t, checksum: u64) {
    // SAFETY: every frame carries hold/release (smem.h).
    let f = unsafe { &*frame };
    let (hold, release) = (f.hold.expect("hold is set"), f.release.expect("release is set"));
    note_frame(frame);
    let frames = &mut st.frames;
    let mode = frames.hold;
    if matches!(mode, HoldMode::None | HoldMode::Elsewhere) {
        return;
    }
    // SAFETY: during the callback, on its thread.
    let held = unsafe { hold(frame) };
    if held.is_null() {
        frames.hold_refused += 1;
        return;
    }
    match mode {
        HoldMode::Twice => unsafe {
            release(held);
            release(held);
        },
        HoldMode::Keep(n) => {
            frames.held.push_back(HeldFrame { frame: held as usize, checksum });
            while frames.held.len() > n {
                let oldest = frames.held.pop_front().expect("more than n");
                // SAFETY: held by us, released once.
                unsafe { release(oldest.frame as *const smem_frame_t) };
            }
        }
        HoldMode::AfterExit | HoldMode::Never => frames.held.push_back(HeldFrame { frame: held as usize, checksum }),
        HoldMode::None | HoldMode::Elsewhere => {}
    }
}

pub(crate) extern "C" fn video_frame(data: *mut c_void, frame: *const smem_frame_t) {
    frame_callback(data, frame, crate::MAGIC_VIDEO, SMEM_KIND_VIDEO)
}

pub(crate) extern "C" fn audio_frame(data: *mut c_void, frame: *const smem_frame_t) {
    frame_callback(data, frame, crate::MAGIC_AUDIO, SMEM_KIND_AUDIO)
}

/// After playback (and after libvlc_release for `after-exit`): what the
/// hold mode leaves to do, and its report lines.
pub(crate) fn finish(name: &str, track: &Track, summary: &mut String) {
    let mut st = track.state.lock().unwrap();
    let frames = &mut st.frames;
    let mode = frames.hold;
    let _ = writeln!(summary, "{name}_hold_refused: {}", frames.hold_refused);
    let _ = writeln!(summary, "{name}_keyframes: {}", frames.keyframes);
    let _ = writeln!(summary, "{name}_dropped_before: {}", frames.dropped_before);
    let ids: Vec<String> = frames.es_ids.iter().map(i32::to_string).collect();
    let _ = writeln!(summary, "{name}_es_ids: {}", ids.join(","));
    let generations: Vec<String> = frames.generations.iter().map(u32::to_string).collect();
    let _ = writeln!(summary, "{name}_generations: {}", generations.join(","));
    if mode == HoldMode::Elsewhere {
        // The last frame's callback is long over: hold must refuse it. The
        // frame's memory is gone, so smem only looks the address up.
        let (hold, last) = (hold_fn(), frames_last());
        // SAFETY: hold is smem's; it does not read a frame it does not know.
        let refused = std::thread::spawn(move || unsafe { hold(last as *const smem_frame_t) }.is_null()).join();
        let _ = writeln!(summary, "{name}_hold_elsewhere_refused: {}", refused.unwrap_or(false));
    }
    let mut bad = 0;
    let count = frames.held.len();
    if mode == HoldMode::AfterExit || matches!(mode, HoldMode::Keep(_)) {
        let mut scratch = Vec::new();
        for held in frames.held.drain(..) {
            let frame = held.frame as *const smem_frame_t;
            // SAFETY: held by us and not released yet: valid until release.
            unsafe {
                if visible_bytes(&*frame, &mut scratch) != held.checksum {
                    bad += 1;
                }
                ((*frame).release.expect("release is set"))(frame);
            }
        }
        let _ = writeln!(summary, "{name}_held_at_end: {count}");
        let _ = writeln!(summary, "{name}_held_changed: {bad}");
    }
}

/// The plugin's hold function, as handed out with every frame (the frames'
/// own field; stored when the first frame arrived).
fn hold_fn() -> unsafe extern "C" fn(*const smem_frame_t) -> *const smem_frame_t {
    *HOLD_FN.lock().unwrap()
}

static HOLD_FN: Mutex<unsafe extern "C" fn(*const smem_frame_t) -> *const smem_frame_t> = Mutex::new(no_hold);
static LAST_FRAME: Mutex<usize> = Mutex::new(0);

unsafe extern "C" fn no_hold(_: *const smem_frame_t) -> *const smem_frame_t {
    std::ptr::null()
}

fn frames_last() -> usize {
    *LAST_FRAME.lock().unwrap()
}

/// Remembers the hold function and the last frame (for `elsewhere`).
fn note_frame(frame: *const smem_frame_t) {
    // SAFETY: during the callback.
    if let Some(hold) = unsafe { (*frame).hold } {
        *HOLD_FN.lock().unwrap() = hold;
    }
    *LAST_FRAME.lock().unwrap() = frame as usize;
}
