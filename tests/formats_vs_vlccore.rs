//! Formats come from the installed libvlccore (`vlc_fourcc_GetChromaDescription`,
//! `aout_BitsPerSample`) at Add. These check that what we build from its
//! answers is right: the chromas and PCM formats every VLC 3.0.x knows have
//! the layouts written out here independently, every chroma VLC describes
//! maps to planes holding the same bytes per line as VLC's own description
//! (semi-planar ones counted in pairs), and what it does not know is not raw.

use smem_rs_plugin::ffi::vlccore;
use smem_rs_plugin::fourcc::Fourcc;
use smem_rs_plugin::smem::formats::{audio_bits_per_sample, chroma, Chroma};

/// Bytes per line and lines of each plane of a `w` x `h` picture.
fn shape(chroma: &Chroma, w: u32, h: u32) -> Vec<(u32, u32)> {
    chroma
        .planes()
        .iter()
        .map(|p| ((w * p.w_num).div_ceil(p.w_den) * p.pixel_size, (h * p.h_num).div_ceil(p.h_den)))
        .collect()
}

#[test]
fn the_chromas_every_vlc_3_knows_have_their_layouts() {
    // 65x49: odd, so every rounding shows.
    // (code, bytes per line and lines of each plane, pixel_pitch)
    type Expected = (&'static [u8; 4], &'static [(u32, u32)], u32);
    let expected: [Expected; 8] = [
        (b"I420", &[(65, 49), (33, 25), (33, 25)], 12),
        (b"RV24", &[(195, 49)], 24),
        (b"RV32", &[(260, 49)], 32),
        (b"YUY2", &[(130, 49)], 16),
        (b"NV12", &[(65, 49), (66, 25)], 12),
        (b"I422", &[(65, 49), (33, 49), (33, 49)], 16),
        (b"I444", &[(65, 49), (65, 49), (65, 49)], 24),
        (b"GREY", &[(65, 49)], 8),
    ];
    for (code, planes, pitch) in expected {
        let c = chroma(Fourcc::new(code)).unwrap_or_else(|| panic!("this libvlccore does not know {code:?}"));
        assert_eq!(shape(&c, 65, 49), planes, "{code:?}");
        assert_eq!(c.pixel_pitch(), pitch, "{code:?}");
    }
}

#[test]
fn every_chroma_vlc_describes_keeps_vlc_s_bytes_per_line() {
    let codes: [&[u8; 4]; 40] = [
        b"RV32", b"RGBA", b"ARGB", b"RV24", b"I444", b"RV16", b"RV15", b"I422", b"I420", b"YV12", b"RGBP", b"RGB8",
        b"BGRA", b"GREY", b"YUY2", b"YVYU", b"UYVY", b"VYUY", b"J420", b"J422", b"J444", b"I440", b"I411", b"I410",
        b"YVU9", b"I40A", b"I42A", b"YUVA", b"NV12", b"NV21", b"NV16", b"NV61", b"P010", b"I0AL", b"I0FL", b"I2AL",
        b"I2FL", b"I4AL", b"GBR8", b"GBAL",
    ];
    let (mut checked, mut unknown) = (0, Vec::new());
    for code in codes {
        let fourcc = Fourcc::new(code);
        let Some(desc) = vlccore::chroma_description(fourcc) else {
            unknown.push(fourcc.to_string());
            assert!(chroma(fourcc).is_none());
            continue;
        };
        let ours = chroma(fourcc).unwrap_or_else(|| panic!("{fourcc:?}: VLC describes it, we do not map it"));
        assert_eq!(ours.planes().len(), desc.plane_count, "{fourcc:?}");
        for (i, (p, v)) in ours.planes().iter().zip(&desc.planes).enumerate() {
            // At an even width, our bytes per line equal VLC's ratio times its sample size.
            let width = 640;
            let vlc_line = width * v.w.0 / v.w.1 * desc.pixel_size;
            assert_eq!((width * p.w_num).div_ceil(p.w_den) * p.pixel_size, vlc_line, "{fourcc:?} plane {i}");
            assert_eq!((p.h_num, p.h_den), v.h, "{fourcc:?} plane {i} lines");
        }
        checked += 1;
    }
    eprintln!("{checked} chromas mapped from this libvlccore; unknown to it (not raw video here): {unknown:?}");
    assert!(checked >= 30);
}

#[test]
fn opaque_and_unknown_chromas_are_not_raw_video() {
    assert!(chroma(Fourcc::new(b"ZZZZ")).is_none());
    // Hardware surfaces: VLC describes them with no planes.
    for code in [b"VAOP", b"VDV0", b"DX11"] {
        assert!(chroma(Fourcc::new(code)).is_none(), "{code:?}");
    }
    // Encoded video is not a chroma either.
    assert!(chroma(Fourcc::new(b"h264")).is_none());
}

#[test]
fn pcm_sample_sizes_come_from_vlc() {
    for (code, bits) in [(b"s16l", 16), (b"s24l", 24), (b"s32l", 32), (b"f32l", 32), (b"u8  ", 8), (b"f64l", 64)] {
        assert_eq!(audio_bits_per_sample(Fourcc::new(code)), Some(bits), "{code:?}");
    }
    for code in [b"mpga", b"mp4a", b"ZZZZ"] {
        assert_eq!(audio_bits_per_sample(Fourcc::new(code)), None, "{code:?}");
    }
}
