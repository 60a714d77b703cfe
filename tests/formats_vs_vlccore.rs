//! Our format tables against the installed libvlccore's own answers
//! (`vlc_fourcc_GetChromaDescription`, `aout_BitsPerSample`).
//!
//! VLC point releases know different chromas (3.0.23 has no `I2FL`, 3.0.24
//! has), so every chroma this libvlccore knows must match our table exactly,
//! one it does not know is reported as skipped (VLC cannot hand it to us),
//! and a core set every 3.0.x knows must always be there and checked.

use smem_rs_plugin::ffi::sys;
use smem_rs_plugin::fourcc::Fourcc;
use smem_rs_plugin::smem::formats::{audio_bits_per_sample, Chroma, AUDIO_FORMATS, CHROMAS};

/// Chromas every VLC 3.0.x knows and smem users ask for.
const CORE_CHROMAS: [&[u8; 4]; 5] = [b"I420", b"RV24", b"RV32", b"YUY2", b"NV12"];
/// PCM formats every VLC 3.0.x knows.
const CORE_PCM: [&[u8; 4]; 5] = [b"s16l", b"s24l", b"s32l", b"f32l", b"u8  "];

fn vlc_description(fourcc: Fourcc) -> Option<&'static sys::vlc_chroma_description_t> {
    // SAFETY: libvlccore returns a pointer into its static table, or null.
    unsafe { sys::vlc_fourcc_GetChromaDescription(fourcc.0).as_ref() }
}

/// What geometry relies on: bytes per line and lines of each plane, per
/// pixel / line of the picture (VLC counts NV12's interleaved chroma as full
/// width at 1 byte, we as half width at 2: same bytes).
fn assert_same_layout(chroma: &Chroma, desc: &sys::vlc_chroma_description_t) {
    assert_eq!(desc.plane_count as usize, chroma.planes.len(), "{:?} plane count", chroma.fourcc);
    for (ours, vlc) in chroma.planes.iter().zip(&desc.p) {
        let ratio = |n: u32, d: u32| (n as f64) / (d as f64);
        let our_line = ratio(ours.w_num, ours.w_den) * ours.pixel_size as f64;
        let vlc_line = ratio(vlc.w.num, vlc.w.den) * desc.pixel_size as f64;
        assert_eq!(our_line, vlc_line, "{:?} bytes per line", chroma.fourcc);
        assert_eq!(ratio(ours.h_num, ours.h_den), ratio(vlc.h.num, vlc.h.den), "{:?} lines", chroma.fourcc);
    }
}

#[test]
fn every_chroma_this_vlc_knows_has_its_plane_layout() {
    let mut skipped = Vec::new();
    let mut checked = 0;
    for chroma in CHROMAS {
        match vlc_description(chroma.fourcc) {
            Some(desc) => {
                assert_same_layout(chroma, desc);
                checked += 1;
            }
            None => skipped.push(chroma.fourcc.to_string()),
        }
    }
    eprintln!(
        "{checked} chromas checked against this libvlccore; {} skipped (unknown to it, so VLC never hands them over): {}",
        skipped.len(),
        if skipped.is_empty() { "none".to_owned() } else { skipped.join(" ") }
    );
    assert!(checked >= CORE_CHROMAS.len());
}

#[test]
fn the_core_chromas_are_known_and_match() {
    for code in CORE_CHROMAS {
        let fourcc = Fourcc::new(code);
        let chroma =
            CHROMAS.iter().find(|c| c.fourcc == fourcc).unwrap_or_else(|| panic!("{fourcc:?} not in our table"));
        let desc = vlc_description(fourcc).unwrap_or_else(|| panic!("this libvlccore does not know {fourcc:?}"));
        assert_same_layout(chroma, desc);
    }
}

#[test]
fn every_pcm_format_has_vlc_sample_size() {
    let mut skipped = Vec::new();
    for code in AUDIO_FORMATS {
        let fourcc = Fourcc::new(code);
        // SAFETY: a pure lookup in libvlccore.
        let vlc = unsafe { sys::aout_BitsPerSample(fourcc.0) };
        if vlc == 0 && !CORE_PCM.contains(code) {
            skipped.push(fourcc.to_string());
            continue;
        }
        assert_eq!(audio_bits_per_sample(fourcc), Some(vlc), "{fourcc:?}");
    }
    for code in CORE_PCM {
        assert!(AUDIO_FORMATS.contains(&code), "{code:?} missing from our table");
    }
    eprintln!("PCM formats unknown to this libvlccore, skipped: {skipped:?}");
    // SAFETY: as above.
    assert_eq!(unsafe { sys::aout_BitsPerSample(Fourcc::new(b"mpga").0) }, 0);
    assert_eq!(audio_bits_per_sample(Fourcc::new(b"mpga")), None);
}

#[test]
fn a_chroma_vlc_does_not_know_is_none() {
    // What the skip above relies on: libvlccore answers null, not garbage.
    assert!(vlc_description(Fourcc::new(b"ZZZZ")).is_none());
}
