//! Property tests (proptest) over the pure parts that see untrusted input:
//! option values and frame geometry. Each prints how many cases it ran.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use smem_rs_plugin::ffi::es::VideoFormat;
use smem_rs_plugin::fourcc::Fourcc;
use smem_rs_plugin::smem::formats::{chroma, Chroma};
use smem_rs_plugin::smem::geometry::{packed_size, visible_size, FramePlan, Layout};
use smem_rs_plugin::smem::options::{
    parse_address, parse_bool, parse_drop, parse_queue, validate, Delivery, RawOptions, Sink,
};

fn run<S: Strategy>(name: &str, cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    runner.run(&strategy, test).unwrap_or_else(|e| panic!("{name}: {e}"));
    eprintln!("{name}: {cases} cases");
}

/// Text that looks like what people (and attackers) write in an option.
fn option_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ \t]*[+-]?(0[xX])?[0-9a-fA-FzZ.]{0,24}[ \t]*",
        any::<u64>().prop_map(|n| n.to_string()),
        any::<u128>().prop_map(|n| n.to_string()),
    ]
}

#[test]
fn addresses_parse_exactly_or_not_at_all() {
    run("parse_address(any text)", 20_000, option_text(), |text| {
        if let Ok(value) = parse_address(&text) {
            // Accepted text is digits only (after an optional 0x), and means `value`.
            let t = text.trim();
            let ok = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                Some(hex) => usize::from_str_radix(hex, 16) == Ok(value) && hex.bytes().all(|b| b.is_ascii_hexdigit()),
                None => t.parse::<usize>() == Ok(value) && t.bytes().all(|b| b.is_ascii_digit()),
            };
            prop_assert!(ok, "{text:?} accepted as {value}");
        }
        Ok(())
    });
    run("parse_address(decimal and hex of any usize)", 20_000, any::<usize>(), |n| {
        prop_assert_eq!(parse_address(&n.to_string()), Ok(n));
        prop_assert_eq!(parse_address(&format!("{n:#x}")), Ok(n));
        prop_assert_eq!(parse_address(&format!(" {n}\t")), Ok(n));
        Ok(())
    });
}

#[test]
fn option_sets_validate_consistently() {
    let value =
        prop_oneof![Just("0".to_owned()), Just(String::new()), any::<u16>().prop_map(|n| n.to_string()), option_text()];
    let raw = (
        proptest::collection::vec(proptest::option::of(value.clone()), 6),
        proptest::option::of(prop_oneof![Just("true".to_owned()), Just("false".to_owned()), option_text()]),
        proptest::option::of(prop_oneof![
            Just("0".to_owned()),
            (0u32..2000).prop_map(|n| n.to_string()),
            option_text()
        ]),
        proptest::option::of(prop_oneof![Just("none".to_owned()), Just("oldest".to_owned()), option_text()]),
    );
    let names = [
        "video-prerender-callback",
        "video-postrender-callback",
        "video-data",
        "audio-prerender-callback",
        "audio-postrender-callback",
        "audio-data",
    ];
    run("validate(any option set)", 20_000, raw, |(addresses, sync, queue, drop)| {
        let mut pairs: Vec<(&str, &str)> =
            names.iter().zip(&addresses).filter_map(|(n, v)| Some((*n, v.as_deref()?))).collect();
        for (name, value) in [("time-sync", &sync), ("queue", &queue), ("drop", &drop)] {
            if let Some(v) = value {
                pairs.push((name, v));
            }
        }
        match validate(&RawOptions::from_pairs(&pairs)) {
            Ok(options) => {
                // A pair is set only whole; nothing set means both zero.
                for sink in [options.video, options.audio].into_iter().flatten() {
                    let Sink::Legacy(pair) = sink else { unreachable!("no frame callback is set here") };
                    prop_assert!(pair.prerender != 0 && pair.postrender != 0);
                }
                prop_assert_eq!(options.time_sync, sync.as_deref().is_none_or(|s| parse_bool(s).unwrap()));
                let frames = queue.as_deref().map_or(0, |q| parse_queue(q).unwrap());
                let policy = drop.as_deref().map_or(Default::default(), |d| parse_drop(d).unwrap());
                match options.delivery {
                    Delivery::Synchronous => prop_assert_eq!(frames, 0),
                    Delivery::Queued { frames: n, drop } => prop_assert!(n == frames && n > 0 && drop == policy),
                }
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in errors {
                    prop_assert!(e.to_string().starts_with("invalid value") && e.to_string().contains("sout-smem-"));
                }
            }
        }
        Ok(())
    });
    let entry = ("(no-?|notime-)?time-sync|queue|drop|video-data|[a-z-]{0,12}", proptest::option::of(option_text()));
    run("RawOptions::read(any chain)", 20_000, proptest::collection::vec(entry, 0..6), |entries| {
        let _ = validate(&RawOptions::read(&entries, |_| None));
        Ok(())
    });
    run("parse_bool, parse_queue, parse_drop(any text)", 10_000, option_text(), |text| {
        let _ = (parse_bool(&text), parse_queue(&text), parse_drop(&text));
        Ok(())
    });
}

/// Raw chromas of every plane shape, as this libvlccore lays them out.
fn chromas() -> Vec<Chroma> {
    let codes: [&[u8; 4]; 14] = [
        b"I420", b"RV24", b"RV32", b"YUY2", b"NV12", b"NV16", b"I422", b"I444", b"I411", b"I410", b"I0AL", b"P010",
        b"YUVA", b"GREY",
    ];
    let known: Vec<Chroma> = codes.iter().filter_map(|c| chroma(Fourcc::new(c))).collect();
    assert!(known.len() >= 12, "this libvlccore knows only {} of {}", known.len(), codes.len());
    known
}

fn chroma_index() -> impl Strategy<Value = usize> {
    0..chromas().len()
}

/// Formats as VLC could describe them, and some it should not.
fn video_format() -> impl Strategy<Value = VideoFormat> {
    (1u32..200, 1u32..200, 0u32..24, 0u32..24, 0u32..220, 0u32..220)
        .prop_map(|(w, h, x, y, vw, vh)| VideoFormat::picture(Fourcc(0), (w, h), (x, y), (vw, vh)))
}

/// The bytes the visible rectangle should be, computed line by line from
/// the coded picture, independently of the plan.
fn reference_crop(chroma: &Chroma, f: &VideoFormat, block: &[u8]) -> Vec<u8> {
    let (vw, vh) = visible_size(f);
    let (x0, y0) = if (vw, vh) == (f.width, f.height) { (0, 0) } else { (f.x_offset, f.y_offset) };
    let mut out = Vec::new();
    let mut plane_start = 0;
    for p in chroma.planes() {
        let scale = |v: u32, num: u32, den: u32| (v as usize * num as usize).div_ceil(den as usize);
        let pitch = scale(f.width, p.w_num, p.w_den) * p.pixel_size as usize;
        let lines = scale(f.height, p.h_num, p.h_den);
        let row = scale(vw, p.w_num, p.w_den) * p.pixel_size as usize;
        let x = (x0 as usize * p.w_num as usize / p.w_den as usize) * p.pixel_size as usize;
        let y = y0 as usize * p.h_num as usize / p.h_den as usize;
        for line in 0..scale(vh, p.h_num, p.h_den) {
            let at = plane_start + (y + line) * pitch + x;
            out.extend_from_slice(&block[at..at + row]);
        }
        plane_start += pitch * lines;
    }
    out
}

#[test]
fn frame_plans_stay_in_bounds_and_copy_the_right_bytes() {
    // Block lengths: the visible picture, the coded picture, or anything.
    let case = (chroma_index(), video_format(), 0u8..3, 0usize..300_000);
    let layouts = std::sync::Mutex::new([0usize; 3]);
    let all = chromas();
    run("FramePlan(any chroma, format, block length)", 3_000, case, |(ci, format, kind, any_len)| {
        let chroma = &all[ci];
        let (vw, vh) = visible_size(&format);
        let block_len = match kind {
            0 => packed_size(chroma, vw, vh),
            1 => packed_size(chroma, format.width, format.height),
            _ => any_len,
        };
        let plan = FramePlan::new(chroma, &format, block_len);
        prop_assert_eq!(plan.block_len, block_len);
        let block: Vec<u8> = (0..block_len).map(|i| (i % 251) as u8 + 1).collect();
        let mut dst = vec![0u8; plan.size];
        plan.copy(&block, &mut dst);
        prop_assert!(!dst.contains(&0), "part of the delivered buffer was left unwritten");
        layouts.lock().unwrap()[plan.layout as usize] += 1;
        match plan.layout {
            Layout::Visible => {
                prop_assert_eq!(plan.size, packed_size(chroma, plan.width, plan.height));
                prop_assert!(dst == block);
            }
            Layout::Cropped => {
                prop_assert_eq!((plan.width, plan.height), (vw, vh));
                prop_assert_eq!(block_len, packed_size(chroma, format.width, format.height));
                prop_assert!(dst == reference_crop(chroma, &format, &block), "cropped bytes differ");
            }
            Layout::Opaque => {
                prop_assert!(dst == block);
                prop_assert_eq!((plan.width, plan.height), (format.width, format.height));
            }
        }
        // The plan reads one copy per plane when lines are contiguous.
        if kind == 0 {
            prop_assert_eq!(plan.layout, Layout::Visible);
            prop_assert!(plan.runs().len() == 1);
        }
        Ok(())
    });
    let [visible, cropped, opaque] = *layouts.lock().unwrap();
    eprintln!("  plans made: {visible} visible, {cropped} cropped, {opaque} opaque");
    assert!(visible > 0 && cropped > 0 && opaque > 0, "a layout was never exercised");
}
