//! Formats, as the running VLC knows them: the plane layout of a raw video
//! chroma comes from libvlccore's own table at Add, the sample size of a
//! PCM format likewise. A chroma this VLC does not know (3.0.23 has no
//! `I2FL`) is simply not raw video, as the stock module treats it. All that
//! is ours is what stock smem reports differently: its `pixel_pitch`.

use crate::ffi::vlccore::{self, ChromaDescription};
use crate::fourcc::Fourcc;

/// One plane: its size relative to the picture (`w_num/w_den` of the width,
/// `h_num/h_den` of the height) and its bytes per sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Plane {
    pub w_num: u32,
    pub w_den: u32,
    pub h_num: u32,
    pub h_den: u32,
    pub pixel_size: u32,
}

/// A raw video chroma: its planes, and what stock smem calls its pixel pitch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chroma {
    pub fourcc: Fourcc,
    planes: [Plane; 4],
    plane_count: usize,
    /// libvlccore's bytes per pixel of a plane, and the bits of them used.
    pub pixel: (u32, u32),
}

/// What stock smem 3.0 reports as `pixel_pitch` (it passes bits per pixel
/// under that name) for the twelve chromas it names; clients depend on
/// these. It says 16 for RGB8, whose real 8 we report instead.
const STOCK_PIXEL_PITCH: [(&[u8; 4], u32); 11] = [
    (b"RV32", 32),
    (b"RGBA", 32),
    (b"ARGB", 32),
    (b"RV24", 24),
    (b"I444", 24),
    (b"RV16", 16),
    (b"RV15", 16),
    (b"I422", 16),
    (b"I420", 12),
    (b"YV12", 12),
    (b"RGBP", 8),
];

impl Chroma {
    /// A chroma of these planes (at most four).
    pub fn new(fourcc: Fourcc, planes: &[Plane]) -> Chroma {
        let mut all = [Plane::default(); 4];
        let plane_count = planes.len().min(4);
        all[..plane_count].copy_from_slice(&planes[..plane_count]);
        let size = all[0].pixel_size;
        Chroma { fourcc, planes: all, plane_count, pixel: (size, size * 8) }
    }

    /// libvlccore's description in our terms. VLC gives one sample size for
    /// all planes and counts a semi-planar chroma's interleaved plane (NV12,
    /// NV16, P010...) in single samples; we count it in pairs of two
    /// samples at half the rate, which is what its bytes are, odd widths
    /// included (NV12 at 5 pixels wide: 3 pairs, 6 bytes a line). `None`
    /// for an opaque hardware chroma (no planes).
    pub fn from_vlc(fourcc: Fourcc, desc: &ChromaDescription) -> Option<Chroma> {
        if desc.plane_count == 0 || desc.pixel_size == 0 {
            return None;
        }
        let semi_planar = desc.plane_count == 2;
        let planes: Vec<Plane> = desc.planes[..desc.plane_count]
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let pairs = semi_planar && i == 1;
                Plane {
                    w_num: p.w.0,
                    w_den: if pairs { p.w.1 * 2 } else { p.w.1 },
                    h_num: p.h.0,
                    h_den: p.h.1,
                    pixel_size: if pairs { desc.pixel_size * 2 } else { desc.pixel_size },
                }
            })
            .collect();
        if planes.iter().any(|p| p.w_num == 0 || p.w_den == 0 || p.h_num == 0 || p.h_den == 0) {
            return None;
        }
        Some(Chroma { pixel: (desc.pixel_size, desc.pixel_bits), ..Chroma::new(fourcc, &planes) })
    }

    pub fn planes(&self) -> &[Plane] {
        &self.planes[..self.plane_count]
    }

    /// Average bits per pixel over all planes (12 for I420, 24 for RV24).
    pub fn bits_per_pixel(&self) -> u32 {
        self.planes().iter().map(|p| p.pixel_size * 8 * p.w_num * p.h_num / (p.w_den * p.h_den)).sum()
    }

    /// What stock smem reports as `pixel_pitch`, where it names the chroma.
    pub fn stock_pixel_pitch(&self) -> Option<u32> {
        STOCK_PIXEL_PITCH.iter().find(|(code, _)| Fourcc::new(code) == self.fourcc).map(|(_, pitch)| *pitch)
    }

    /// The `pixel_pitch` argument of the video postrender callback: stock's
    /// value where it has one (clients depend on it), else bits per pixel,
    /// the unit stock uses.
    pub fn pixel_pitch(&self) -> u32 {
        self.stock_pixel_pitch().unwrap_or_else(|| self.bits_per_pixel())
    }
}

/// The chroma `fourcc` as this VLC lays it out; `None` if VLC does not know
/// it as raw video.
pub fn chroma(fourcc: Fourcc) -> Option<Chroma> {
    Chroma::from_vlc(fourcc, &vlccore::chroma_description(fourcc)?)
}

/// Bits per sample of a raw PCM format (interleaved), as this VLC's
/// `aout_BitsPerSample` says; `None` for anything compressed.
pub fn audio_bits_per_sample(format: Fourcc) -> Option<u32> {
    match vlccore::audio_bits_per_sample(format) {
        0 => None,
        bits => Some(bits),
    }
}

/// Plane shapes for tests of the pure parts, which run without libvlccore.
#[cfg(test)]
pub mod shapes {
    use super::Plane;

    const fn plane(w_den: u32, h_den: u32, pixel_size: u32) -> Plane {
        Plane { w_num: 1, w_den, h_num: 1, h_den, pixel_size }
    }
    pub const I420: [Plane; 3] = [plane(1, 1, 1), plane(2, 2, 1), plane(2, 2, 1)];
    pub const RV24: [Plane; 1] = [plane(1, 1, 3)];
    pub const NV12: [Plane; 2] = [plane(1, 1, 1), plane(2, 2, 2)];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::vlccore::PlaneRatio;

    /// A description as libvlccore gives it: (width ratio, height ratio) per plane.
    type Ratio = (u32, u32);
    fn desc(planes: &[(Ratio, Ratio)], pixel_size: u32) -> ChromaDescription {
        let mut d = ChromaDescription { plane_count: planes.len(), pixel_size, ..Default::default() };
        for (out, (w, h)) in d.planes.iter_mut().zip(planes) {
            *out = PlaneRatio { w: *w, h: *h };
        }
        d
    }

    #[test]
    fn vlc_descriptions_map_to_planes() {
        // What libvlccore 3.0 says for I420, NV12 and NV16.
        let i420 = desc(&[((1, 1), (1, 1)), ((1, 2), (1, 2)), ((1, 2), (1, 2))], 1);
        assert_eq!(Chroma::from_vlc(Fourcc::new(b"I420"), &i420).unwrap().planes(), shapes::I420);
        let nv12 = desc(&[((1, 1), (1, 1)), ((2, 2), (1, 2))], 1);
        let nv12 = Chroma::from_vlc(Fourcc::new(b"NV12"), &nv12).unwrap();
        assert_eq!(nv12.bits_per_pixel(), 12);
        // 5 pixels wide: 3 CbCr pairs, 6 bytes a line (VLC's ratio alone says 5).
        let p = nv12.planes()[1];
        assert_eq!((5 * p.w_num).div_ceil(p.w_den) * p.pixel_size, 6);
        let nv16 = desc(&[((1, 1), (1, 1)), ((1, 1), (1, 1))], 1);
        let nv16 = Chroma::from_vlc(Fourcc::new(b"NV16"), &nv16).unwrap();
        assert_eq!(nv16.bits_per_pixel(), 16);
        // An opaque hardware chroma has no planes: not raw video.
        assert_eq!(Chroma::from_vlc(Fourcc::new(b"VAOP"), &desc(&[], 0)), None);
    }

    #[test]
    fn stock_pixel_pitch_values_are_kept() {
        let with = |code: &[u8; 4], planes: &[Plane]| Chroma::new(Fourcc::new(code), planes).pixel_pitch();
        assert_eq!(with(b"RV24", &shapes::RV24), 24);
        assert_eq!(with(b"I420", &shapes::I420), 12);
        assert_eq!(with(b"YV12", &shapes::I420), 12);
        // Stock's 16 for RV15 is kept although its bits are 15 in VLC's eyes.
        assert_eq!(with(b"RV15", &[Plane { pixel_size: 2, ..shapes::RV24[0] }]), 16);
        // Others: bits per pixel, stock's unit.
        assert_eq!(with(b"NV12", &shapes::NV12), 12);
        assert_eq!(with(b"RGB8", &[Plane { pixel_size: 1, ..shapes::RV24[0] }]), 8);
    }
}
