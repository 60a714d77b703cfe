//! Our format tables against the installed libvlccore's own answers
//! (`vlc_fourcc_GetChromaDescription`, `aout_BitsPerSample`).

use smem_rs_plugin::ffi::sys;
use smem_rs_plugin::fourcc::Fourcc;
use smem_rs_plugin::smem::formats::{audio_bits_per_sample, AUDIO_FORMATS, CHROMAS};

#[test]
fn every_chroma_has_vlc_plane_layout() {
    for chroma in CHROMAS {
        let desc = unsafe { sys::vlc_fourcc_GetChromaDescription(chroma.fourcc.0).as_ref() };
        let desc = desc.unwrap_or_else(|| panic!("VLC does not know {:?}", chroma.fourcc));
        assert_eq!(desc.plane_count as usize, chroma.planes.len(), "{:?}", chroma.fourcc);
        // What geometry relies on: bytes per line and lines of each plane,
        // per pixel / line of the picture (VLC counts NV12's interleaved
        // chroma as full width at 1 byte, we as half width at 2: same bytes).
        for (ours, vlc) in chroma.planes.iter().zip(&desc.p) {
            let ratio = |n: u32, d: u32| (n as f64) / (d as f64);
            let our_line = ratio(ours.w_num, ours.w_den) * ours.pixel_size as f64;
            let vlc_line = ratio(vlc.w.num, vlc.w.den) * desc.pixel_size as f64;
            assert_eq!(our_line, vlc_line, "{:?} bytes per line", chroma.fourcc);
            assert_eq!(ratio(ours.h_num, ours.h_den), ratio(vlc.h.num, vlc.h.den), "{:?} lines", chroma.fourcc);
        }
    }
}

#[test]
fn every_pcm_format_has_vlc_sample_size() {
    for code in AUDIO_FORMATS {
        let fourcc = Fourcc::new(code);
        let vlc = unsafe { sys::aout_BitsPerSample(fourcc.0) };
        assert_eq!(audio_bits_per_sample(fourcc), Some(vlc), "{fourcc:?}");
    }
    assert_eq!(unsafe { sys::aout_BitsPerSample(Fourcc::new(b"mpga").0) }, 0);
    assert_eq!(audio_bits_per_sample(Fourcc::new(b"mpga")), None);
}
