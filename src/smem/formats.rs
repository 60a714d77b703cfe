//! Format tables: the plane layout of every raw video chroma smem delivers,
//! and the sample size of every raw PCM format. They mirror VLC's own
//! `vlc_fourcc_GetChromaDescription` and `aout_BitsPerSample`; a test checks
//! each entry against those functions of the installed libvlccore.

use crate::fourcc::Fourcc;

/// One plane: its size relative to the picture (`w_num/w_den` of the width,
/// `h_num/h_den` of the height) and its bytes per sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plane {
    pub w_num: u32,
    pub w_den: u32,
    pub h_num: u32,
    pub h_den: u32,
    pub pixel_size: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Chroma {
    pub fourcc: Fourcc,
    pub planes: &'static [Plane],
    /// What stock smem 3.0 reports as `pixel_pitch` (it passes bits per
    /// pixel under that name), where it knows the chroma.
    pub stock_pixel_pitch: Option<u32>,
}

const fn plane(w_num: u32, w_den: u32, h_num: u32, h_den: u32, pixel_size: u32) -> Plane {
    Plane { w_num, w_den, h_num, h_den, pixel_size }
}

const fn entry(code: &[u8; 4], planes: &'static [Plane], stock: Option<u32>) -> Chroma {
    Chroma { fourcc: Fourcc::new(code), planes, stock_pixel_pitch: stock }
}

// Plane shapes shared by many chromas; the number is bytes per sample.
const PACKED1: &[Plane] = &[plane(1, 1, 1, 1, 1)];
const PACKED2: &[Plane] = &[plane(1, 1, 1, 1, 2)];
const PACKED3: &[Plane] = &[plane(1, 1, 1, 1, 3)];
const PACKED4: &[Plane] = &[plane(1, 1, 1, 1, 4)];
const PACKED8: &[Plane] = &[plane(1, 1, 1, 1, 8)];
const fn planar3(w_den: u32, h_den: u32, size: u32) -> [Plane; 3] {
    [plane(1, 1, 1, 1, size), plane(1, w_den, 1, h_den, size), plane(1, w_den, 1, h_den, size)]
}
const YUV420: &[Plane] = &planar3(2, 2, 1);
const YUV422: &[Plane] = &planar3(2, 1, 1);
const YUV440: &[Plane] = &planar3(1, 2, 1);
const YUV444: &[Plane] = &planar3(1, 1, 1);
const YUV411: &[Plane] = &planar3(4, 1, 1);
const YUV410: &[Plane] = &planar3(4, 4, 1);
const YUV420_16: &[Plane] = &planar3(2, 2, 2);
const YUV422_16: &[Plane] = &planar3(2, 1, 2);
const YUV444_16: &[Plane] = &planar3(1, 1, 2);
const YUVA420: &[Plane] = &[plane(1, 1, 1, 1, 1), plane(1, 2, 1, 2, 1), plane(1, 2, 1, 2, 1), plane(1, 1, 1, 1, 1)];
const YUVA422: &[Plane] = &[plane(1, 1, 1, 1, 1), plane(1, 2, 1, 1, 1), plane(1, 2, 1, 1, 1), plane(1, 1, 1, 1, 1)];
const YUVA444: &[Plane] = &[plane(1, 1, 1, 1, 1); 4];
const NV420: &[Plane] = &[plane(1, 1, 1, 1, 1), plane(1, 2, 1, 2, 2)];
const NV422: &[Plane] = &[plane(1, 1, 1, 1, 1), plane(1, 2, 1, 1, 2)];
const P010: &[Plane] = &[plane(1, 1, 1, 1, 2), plane(1, 2, 1, 2, 4)];

/// Every raw chroma smem lays out. Stock smem 3.0 names twelve of them (with
/// its `pixel_pitch` values); it passes all others through as opaque bytes.
pub static CHROMAS: &[Chroma] = &[
    // The chromas stock smem knows, with the value it reports.
    entry(b"RV32", PACKED4, Some(32)),
    entry(b"RGBA", PACKED4, Some(32)),
    entry(b"ARGB", PACKED4, Some(32)),
    entry(b"RV24", PACKED3, Some(24)),
    entry(b"I444", YUV444, Some(24)),
    entry(b"RV16", PACKED2, Some(16)),
    entry(b"RV15", PACKED2, Some(16)),
    entry(b"I422", YUV422, Some(16)),
    entry(b"I420", YUV420, Some(12)),
    entry(b"YV12", YUV420, Some(12)),
    entry(b"RGBP", PACKED1, Some(8)),
    // Stock says 16 for this 8-bit format; we report the real 8.
    entry(b"RGB8", PACKED1, None),
    // Everything else VLC can hand over raw.
    entry(b"BGRA", PACKED4, None),
    entry(b"RV12", PACKED2, None),
    entry(b"RGA4", PACKED8, None),
    entry(b"GREY", PACKED1, None),
    entry(b"GRFL", PACKED2, None),
    entry(b"GRFB", PACKED2, None),
    entry(b"YUY2", PACKED2, None),
    entry(b"YVYU", PACKED2, None),
    entry(b"UYVY", PACKED2, None),
    entry(b"VYUY", PACKED2, None),
    entry(b"J420", YUV420, None),
    entry(b"J422", YUV422, None),
    entry(b"J444", YUV444, None),
    entry(b"I440", YUV440, None),
    entry(b"J440", YUV440, None),
    entry(b"I411", YUV411, None),
    entry(b"I410", YUV410, None),
    entry(b"YVU9", YUV410, None),
    entry(b"I40A", YUVA420, None),
    entry(b"I42A", YUVA422, None),
    entry(b"YUVA", YUVA444, None),
    entry(b"NV12", NV420, None),
    entry(b"NV21", NV420, None),
    entry(b"NV16", NV422, None),
    entry(b"NV61", NV422, None),
    entry(b"P010", P010, None),
    entry(b"I09L", YUV420_16, None),
    entry(b"I09B", YUV420_16, None),
    entry(b"I0AL", YUV420_16, None),
    entry(b"I0AB", YUV420_16, None),
    entry(b"I0CL", YUV420_16, None),
    entry(b"I0CB", YUV420_16, None),
    entry(b"I0FL", YUV420_16, None),
    entry(b"I0FB", YUV420_16, None),
    entry(b"I29L", YUV422_16, None),
    entry(b"I29B", YUV422_16, None),
    entry(b"I2AL", YUV422_16, None),
    entry(b"I2AB", YUV422_16, None),
    entry(b"I2CL", YUV422_16, None),
    entry(b"I2CB", YUV422_16, None),
    entry(b"I2FL", YUV422_16, None),
    entry(b"I2FB", YUV422_16, None),
    entry(b"I49L", YUV444_16, None),
    entry(b"I49B", YUV444_16, None),
    entry(b"I4AL", YUV444_16, None),
    entry(b"I4AB", YUV444_16, None),
    entry(b"I4CL", YUV444_16, None),
    entry(b"I4CB", YUV444_16, None),
    entry(b"I4FL", YUV444_16, None),
    entry(b"I4FB", YUV444_16, None),
    entry(b"GBR8", YUV444, None),
    entry(b"GBAL", YUV444_16, None),
    entry(b"GBAB", YUV444_16, None),
];

pub fn chroma(fourcc: Fourcc) -> Option<&'static Chroma> {
    CHROMAS.iter().find(|c| c.fourcc == fourcc)
}

impl Chroma {
    /// Average bits per pixel over all planes (12 for I420, 24 for RV24).
    pub fn bits_per_pixel(&self) -> u32 {
        self.planes.iter().map(|p| p.pixel_size * 8 * p.w_num * p.h_num / (p.w_den * p.h_den)).sum()
    }

    /// The `pixel_pitch` argument of the video postrender callback: stock's
    /// value where it has one (clients depend on it), else bits per pixel,
    /// the unit stock uses.
    pub fn pixel_pitch(&self) -> u32 {
        self.stock_pixel_pitch.unwrap_or_else(|| self.bits_per_pixel())
    }
}

/// Bits per sample of the raw PCM formats (interleaved), as VLC's
/// `aout_BitsPerSample`; `None` for anything compressed.
pub fn audio_bits_per_sample(format: Fourcc) -> Option<u32> {
    let bits = match &format.bytes() {
        b"u8  " | b"s8  " | b"alaw" | b"mlaw" => 8,
        b"s16l" | b"s16b" | b"u16l" | b"u16b" => 16,
        b"s24l" | b"s24b" | b"u24l" | b"u24b" => 24,
        b"s32l" | b"s32b" | b"u32l" | b"u32b" | b"f32l" | b"f32b" | b"s244" | b"S244" => 32,
        b"f64l" | b"f64b" => 64,
        _ => return None,
    };
    Some(bits)
}

/// The codes `audio_bits_per_sample` knows, for the cross-check test.
pub const AUDIO_FORMATS: &[&[u8; 4]] = &[
    b"u8  ", b"s8  ", b"alaw", b"mlaw", b"s16l", b"s16b", b"u16l", b"u16b", b"s24l", b"s24b", b"u24l", b"u24b",
    b"s32l", b"s32b", b"u32l", b"u32b", b"f32l", b"f32b", b"s244", b"S244", b"f64l", b"f64b",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_pixel_pitch_values_are_kept() {
        let pitch = |c: &[u8; 4]| chroma(Fourcc::new(c)).unwrap().pixel_pitch();
        assert_eq!(pitch(b"RV24"), 24);
        assert_eq!(pitch(b"RV32"), 32);
        assert_eq!(pitch(b"I420"), 12);
        assert_eq!(pitch(b"I422"), 16);
        assert_eq!(pitch(b"I444"), 24);
        assert_eq!(pitch(b"RV15"), 16);
        // New chromas use the same unit: bits per pixel.
        assert_eq!(pitch(b"YUY2"), 16);
        assert_eq!(pitch(b"NV12"), 12);
        assert_eq!(pitch(b"I0AL"), 24);
        assert_eq!(pitch(b"RGB8"), 8);
    }

    #[test]
    fn stock_values_agree_with_computed_bits() {
        for c in CHROMAS {
            if let Some(stock) = c.stock_pixel_pitch {
                assert_eq!(stock, c.bits_per_pixel(), "{:?}", c.fourcc);
            }
        }
    }

    #[test]
    fn table_has_no_duplicates() {
        for (i, c) in CHROMAS.iter().enumerate() {
            assert!(CHROMAS[i + 1..].iter().all(|d| d.fourcc != c.fourcc), "{:?} twice", c.fourcc);
        }
    }

    #[test]
    fn pcm_sizes() {
        assert_eq!(audio_bits_per_sample(Fourcc::new(b"s16l")), Some(16));
        assert_eq!(audio_bits_per_sample(Fourcc::new(b"f32l")), Some(32));
        assert_eq!(audio_bits_per_sample(Fourcc::new(b"f64l")), Some(64));
        assert_eq!(audio_bits_per_sample(Fourcc::new(b"s24l")), Some(24));
        assert_eq!(audio_bits_per_sample(Fourcc::new(b"mpga")), None);
        assert_eq!(audio_bits_per_sample(Fourcc::new(b"mp4a")), None);
    }
}
