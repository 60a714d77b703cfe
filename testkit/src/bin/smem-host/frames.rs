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

use smem_client::abi::{Frame as SmemFrame, FLAG_KEYFRAME, KIND_AUDIO, KIND_VIDEO};
use smem_testkit::report::{Call, FrameAbiReport, FrameCall};

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
    /// The last frame delivered and its hold function (for `elsewhere`).
    pub last: Option<(usize, HoldFn)>,
}

type HoldFn = unsafe extern "C" fn(*const SmemFrame) -> *const SmemFrame;

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
unsafe fn visible_bytes(frame: &SmemFrame, out: &mut Vec<u8>) -> u64 {
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

fn fourcc(code: u32) -> String {
    String::from_utf8_lossy(&code.to_le_bytes()).into_owned()
}

/// The frame as a report call, and its format as text.
fn describe(frame: &SmemFrame) -> (Call, String) {
    let mut fc = FrameCall {
        dts: frame.dts,
        es_id: frame.es_id,
        generation: frame.generation,
        flags: frame.flags,
        dropped_before: frame.dropped_before,
        ..FrameCall::default()
    };
    fc.media_time = (frame.media_time != smem_client::abi::TIME_UNKNOWN).then_some(frame.media_time);
    let mut call = Call { pts: frame.pts, ..Call::default() };
    // SAFETY: as in `visible_bytes`.
    if let Some(v) = unsafe { frame.video.as_ref() } {
        fc.fourcc = fourcc(v.chroma);
        fc.x_offset = v.x_offset;
        fc.y_offset = v.y_offset;
        fc.coded = (v.coded_width, v.coded_height);
        fc.sar = (v.sar_num, v.sar_den);
        fc.frame_rate = (v.frame_rate_num, v.frame_rate_den);
        fc.color_space = v.color_space;
        fc.full_range = v.color_range_full != 0;
        fc.primaries = v.primaries;
        fc.transfer = v.transfer;
        fc.orientation = v.orientation;
        fc.pixel = (v.pixel_size, v.pixel_bits);
        fc.field_order = v.field_order;
        fc.color_source = v.color_source;
        fc.planes = v.planes[..v.plane_count as usize].iter().map(|p| (p.pitch, p.visible_bytes, p.lines)).collect();
        (call.width, call.height, call.size) = (v.width, v.height, v.size);
        let pitches: Vec<String> =
            fc.planes.iter().map(|(pitch, bytes, lines)| format!("{pitch}/{bytes}x{lines}")).collect();
        let format = format!("{}x{} {} planes={}", v.width, v.height, fc.fourcc, pitches.join(","));
        call.frame = Some(fc);
        (call, format)
    } else if let Some(a) = unsafe { frame.audio.as_ref() } {
        fc.fourcc = fourcc(a.format);
        fc.physical_channels = a.physical_channels;
        (call.channels, call.rate, call.nb_samples, call.bits_per_sample, call.size) =
            (a.channels, a.rate, a.samples, a.bits_per_sample, a.size);
        let format = format!("{} channels {} Hz {} bits {}", a.channels, a.rate, a.bits_per_sample, fc.fourcc);
        call.frame = Some(fc);
        (call, format)
    } else {
        (call, "none".into())
    }
}

fn frame_callback(data: *mut c_void, frame: *const SmemFrame, magic: u64, kind: u32) {
    let Some(track) = track(data, magic) else {
        eprintln!("smem-host: frame callback called with a foreign data pointer");
        std::process::abort();
    };
    // SAFETY: smem passes a frame valid for this call.
    let Some(f) = (unsafe { frame.as_ref() }) else { std::process::abort() };
    delivery_starts();
    let mut st = track.state.lock().unwrap();
    if f.kind != kind || f.struct_size as usize != size_of::<SmemFrame>() {
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
    let (call, format) = describe(f);
    record_frame(&mut st, &buffer, f, call, format);
    st.buffer = buffer;
    hold_as_told(&mut st, frame, checksum);
    if let Some((_, last)) = st.faults.as_mut() {
        *last = minor_faults();
    }
    delivery_ends();
}

fn record_frame(st: &mut TrackState, bytes: &[u8], f: &SmemFrame, mut call: Call, format: String) {
    st.count += 1;
    st.prerender_calls += 1;
    st.bytes += bytes.len() as u64;
    st.first_pts.get_or_insert(f.pts);
    st.last_pts = f.pts;
    call.t_us = since_start_us() as u64;
    call.rss_kb = st.report_rss.then(crate::rss_kb);
    st.calls.push(call);
    st.format = format;
    if let Some(out) = st.out.as_mut() {
        use std::io::Write;
        let _ = out.write_all(bytes);
    }
    let frames = &mut st.frames;
    if f.flags & FLAG_KEYFRAME != 0 {
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
fn hold_as_told(st: &mut TrackState, frame: *const SmemFrame, checksum: u64) {
    // SAFETY: every frame carries hold/release (smem.h).
    let f = unsafe { &*frame };
    let (hold, release) = (f.hold.expect("hold is set"), f.release.expect("release is set"));
    let frames = &mut st.frames;
    frames.last = Some((frame as usize, hold));
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
                unsafe { release(oldest.frame as *const SmemFrame) };
            }
        }
        HoldMode::AfterExit | HoldMode::Never => frames.held.push_back(HeldFrame { frame: held as usize, checksum }),
        HoldMode::None | HoldMode::Elsewhere => {}
    }
}

pub(crate) extern "C" fn video_frame(data: *mut c_void, frame: *const SmemFrame) {
    frame_callback(data, frame, crate::MAGIC_VIDEO, KIND_VIDEO)
}

pub(crate) extern "C" fn audio_frame(data: *mut c_void, frame: *const SmemFrame) {
    frame_callback(data, frame, crate::MAGIC_AUDIO, KIND_AUDIO)
}

/// After playback (and after libvlc_release for `after-exit`): what the
/// hold mode leaves to do, and what the frame ABI told the track.
pub(crate) fn finish(track: &Track) -> FrameAbiReport {
    let mut st = track.state.lock().unwrap();
    let frames = &mut st.frames;
    let mode = frames.hold;
    let mut report = FrameAbiReport {
        hold_refused: frames.hold_refused,
        keyframes: frames.keyframes,
        dropped_before: frames.dropped_before,
        es_ids: frames.es_ids.clone(),
        generations: frames.generations.clone(),
        ..FrameAbiReport::default()
    };
    if let (HoldMode::Elsewhere, Some((last, hold))) = (mode, frames.last) {
        // The last frame's callback is long over: hold must refuse it. The
        // frame's memory is gone, so smem only looks the address up.
        // SAFETY: hold is smem's; it does not read a frame it does not know.
        let refused = std::thread::spawn(move || unsafe { hold(last as *const SmemFrame) }.is_null()).join();
        report.hold_elsewhere_refused = Some(refused.unwrap_or(false));
    }
    if mode == HoldMode::AfterExit || matches!(mode, HoldMode::Keep(_)) {
        let (count, mut changed) = (frames.held.len(), 0);
        let mut scratch = Vec::new();
        for held in frames.held.drain(..) {
            let frame = held.frame as *const SmemFrame;
            // SAFETY: held by us and not released yet: valid until release.
            unsafe {
                if visible_bytes(&*frame, &mut scratch) != held.checksum {
                    changed += 1;
                }
                ((*frame).release.expect("release is set"))(frame);
            }
        }
        (report.held_at_end, report.held_changed) = (Some(count), Some(changed));
    }
    report
}
