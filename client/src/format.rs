//! The raw formats the library asks VLC for, and how their bytes are laid
//! out in the buffers smem delivers (planes back to back, lines tightly
//! packed: what smem-rs delivers, and what VLC's transcode writes), with
//! the names people ask for them by.

use std::fmt;
use std::str::FromStr;

use smem_names::{parse_name, UnknownName};

/// A raw video format for `transcode{vcodec=...}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VideoChroma {
    /// R, G, B, A bytes per pixel.
    Rgba,
    /// 24-bit RGB, R, G, B bytes per pixel as VLC 3.0's transcode writes it.
    Rv24,
    /// 32-bit RGB (VLC's RV32).
    Rv32,
    /// Planar 4:2:0 YUV: Y, then U and V at half width and height.
    I420,
    /// 4:2:0 YUV: Y, then U and V interleaved at half width and height.
    Nv12,
    /// 8-bit grey (luma only).
    Grey,
    /// Planar 4:2:0 YUV, 10 bits in each little-endian 16-bit sample
    /// (VLC's I0AL, ffmpeg's `yuv420p10le`).
    I420_10,
    /// Planar 4:2:0 YUV, 12 bits a 16-bit sample (I0CL, `yuv420p12le`).
    I420_12,
    /// Planar 4:2:0 YUV, 16-bit samples (I0FL, `yuv420p16le`).
    I420_16,
    /// Planar 4:2:2 YUV, 10 bits a 16-bit sample (I2AL, `yuv422p10le`).
    I422_10,
    /// 4:2:0 YUV, Y then U and V interleaved, 10 bits in the high bits of
    /// each 16-bit sample (P010, `p010le`).
    P010,
}

/// One plane of a delivered picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlaneLayout {
    /// Where the plane starts in the frame's bytes.
    pub offset: usize,
    /// Bytes from one line to the next.
    pub pitch: usize,
    /// Picture bytes at the start of each line (less than `pitch` when
    /// the lines carry padding, as a decoder's coded picture can).
    pub visible_bytes: usize,
    pub lines: usize,
}

impl PlaneLayout {
    /// Bytes from the plane's first byte to one past its last picture byte.
    pub fn span(&self) -> usize {
        if self.lines == 0 {
            0
        } else {
            (self.lines - 1) * self.pitch + self.visible_bytes
        }
    }
}

impl VideoChroma {
    /// VLC's four-character code.
    pub fn fourcc(self) -> &'static str {
        match self {
            VideoChroma::Rgba => "RGBA",
            VideoChroma::Rv24 => "RV24",
            VideoChroma::Rv32 => "RV32",
            VideoChroma::I420 => "I420",
            VideoChroma::Nv12 => "NV12",
            VideoChroma::Grey => "GREY",
            VideoChroma::I420_10 => "I0AL",
            VideoChroma::I420_12 => "I0CL",
            VideoChroma::I420_16 => "I0FL",
            VideoChroma::I422_10 => "I2AL",
            VideoChroma::P010 => "P010",
        }
    }

    /// Bytes of one sample of a plane: 2 for the deep-colour chromas
    /// (16-bit little-endian), else 1.
    pub fn sample_bytes(self) -> usize {
        match self {
            VideoChroma::I420_10
            | VideoChroma::I420_12
            | VideoChroma::I420_16
            | VideoChroma::I422_10
            | VideoChroma::P010 => 2,
            _ => 1,
        }
    }

    /// Bits of each sample that carry the picture (10 for I0AL and P010).
    pub fn sample_bits(self) -> u32 {
        match self {
            VideoChroma::I420_10 | VideoChroma::I422_10 | VideoChroma::P010 => 10,
            VideoChroma::I420_12 => 12,
            VideoChroma::I420_16 => 16,
            _ => 8,
        }
    }

    /// Bits per pixel, which is what smem reports as `pixel_pitch`.
    pub fn bits_per_pixel(self) -> u32 {
        match self {
            VideoChroma::Rgba | VideoChroma::Rv32 => 32,
            VideoChroma::Rv24 => 24,
            VideoChroma::I420 | VideoChroma::Nv12 => 12,
            VideoChroma::Grey => 8,
            VideoChroma::I420_10 | VideoChroma::I420_12 | VideoChroma::I420_16 | VideoChroma::P010 => 24,
            VideoChroma::I422_10 => 32,
        }
    }

    /// The planes of a tightly packed `width` x `height` picture.
    pub fn planes(self, width: usize, height: usize) -> Vec<PlaneLayout> {
        let plane =
            |offset: usize, pitch: usize, lines: usize| PlaneLayout { offset, pitch, visible_bytes: pitch, lines };
        let packed = |bytes_per_pixel: usize| vec![plane(0, width * bytes_per_pixel, height)];
        match self {
            VideoChroma::Rgba | VideoChroma::Rv32 => packed(4),
            VideoChroma::Rv24 => packed(3),
            VideoChroma::I420 | VideoChroma::I420_10 | VideoChroma::I420_12 | VideoChroma::I420_16 => {
                let s = self.sample_bytes();
                let (w, cw, ch) = (width * s, width.div_ceil(2) * s, height.div_ceil(2));
                vec![plane(0, w, height), plane(w * height, cw, ch), plane(w * height + cw * ch, cw, ch)]
            }
            VideoChroma::I422_10 => {
                let (w, cw) = (width * 2, width.div_ceil(2) * 2);
                vec![plane(0, w, height), plane(w * height, cw, height), plane(w * height + cw * height, cw, height)]
            }
            // The interleaved plane is counted in U,V pairs (odd widths too).
            VideoChroma::Nv12 | VideoChroma::P010 => {
                let (s, ch) = (self.sample_bytes(), height.div_ceil(2));
                vec![plane(0, width * s, height), plane(width * s * height, width.div_ceil(2) * 2 * s, ch)]
            }
            VideoChroma::Grey => packed(1),
        }
    }

    /// Bytes of a tightly packed picture.
    pub fn frame_size(self, width: usize, height: usize) -> usize {
        self.planes(width, height).iter().map(|p| p.pitch * p.lines).sum()
    }

    /// The size of the picture in `len` bytes, for a frame reported as
    /// `width` x `height`. The stock smem reports the coded size (640x368
    /// for a 640x360 H.264 picture, or more), while its buffer holds the
    /// visible picture tightly packed: the largest picture no larger than the
    /// report whose bytes are exactly `len` (same width first).
    pub fn picture_in(self, width: usize, height: usize, len: usize) -> Option<(usize, usize)> {
        if self.frame_size(width, height) == len {
            return Some((width, height));
        }
        // Coded sizes are rounded up to 16 (macroblocks) or 64 (VP9, AV1
        // superblocks) at most: the visible size is within that.
        const CODED_ROUNDING: usize = 64;
        (width.saturating_sub(CODED_ROUNDING).max(1)..=width).rev().find_map(|w| {
            (height.saturating_sub(CODED_ROUNDING).max(1)..=height)
                .rev()
                .find(|&h| self.frame_size(w, h) == len)
                .map(|h| (w, h))
        })
    }
}

/// Each chroma's name (ffmpeg's where it has one: `rgb24`, `yuv420p10`...;
/// `i420` and `grey` as people ask for them), then the aliases taken too.
const VIDEO_NAMES: [(&str, VideoChroma); 25] = [
    ("rgb24", VideoChroma::Rv24),
    ("rgba", VideoChroma::Rgba),
    ("bgra", VideoChroma::Rv32),
    ("i420", VideoChroma::I420),
    ("nv12", VideoChroma::Nv12),
    ("grey", VideoChroma::Grey),
    ("yuv420p10", VideoChroma::I420_10),
    ("yuv420p12", VideoChroma::I420_12),
    ("yuv420p16", VideoChroma::I420_16),
    ("yuv422p10", VideoChroma::I422_10),
    ("p010", VideoChroma::P010),
    ("rgb", VideoChroma::Rv24),
    ("rv24", VideoChroma::Rv24),
    ("rv32", VideoChroma::Rv32),
    ("yuv420p", VideoChroma::I420),
    ("gray", VideoChroma::Grey),
    ("grey8", VideoChroma::Grey),
    ("yuv420p10le", VideoChroma::I420_10),
    ("i0al", VideoChroma::I420_10),
    ("yuv420p12le", VideoChroma::I420_12),
    ("i0cl", VideoChroma::I420_12),
    ("yuv420p16le", VideoChroma::I420_16),
    ("i0fl", VideoChroma::I420_16),
    ("yuv422p10le", VideoChroma::I422_10),
    ("p010le", VideoChroma::P010),
];

impl VideoChroma {
    /// Its name: ffmpeg's pixel format where it has one (see [`FromStr`]).
    pub fn name(self) -> &'static str {
        VIDEO_NAMES.iter().find(|(_, c)| *c == self).map_or("?", |(name, _)| name)
    }
}

impl fmt::Display for VideoChroma {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `rgb24`, `rgba`, `bgra`, `i420`, `nv12`, `grey`, `yuv420p10`,
/// `yuv420p12`, `yuv420p16`, `yuv422p10`, `p010`, or an alias (`rgb`,
/// `yuv420p`, `gray`, ffmpeg's `...le`, VLC's fourccs), in any case.
impl FromStr for VideoChroma {
    type Err = UnknownName;
    fn from_str(text: &str) -> Result<Self, UnknownName> {
        parse_name("video format", text, &VIDEO_NAMES)
    }
}

/// Bytes a pixel of a packed RGB chroma (RV24, RGBA, RV32); `None` for
/// the others.
pub fn rgb_channels(chroma: VideoChroma) -> Option<usize> {
    match chroma {
        VideoChroma::Rv24 => Some(3),
        VideoChroma::Rgba | VideoChroma::Rv32 => Some(4),
        _ => None,
    }
}

/// A PCM sample format for `transcode{acodec=...}`, interleaved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AudioSample {
    /// Signed 16-bit little-endian.
    S16l,
    /// Signed 32-bit little-endian.
    S32l,
    /// 32-bit float.
    Fl32,
    /// Unsigned 8-bit.
    U8,
}

const AUDIO_NAMES: [(&str, AudioSample); 8] = [
    ("s16", AudioSample::S16l),
    ("f32", AudioSample::Fl32),
    ("s32", AudioSample::S32l),
    ("u8", AudioSample::U8),
    ("s16l", AudioSample::S16l),
    ("s16le", AudioSample::S16l),
    ("fl32", AudioSample::Fl32),
    ("s32l", AudioSample::S32l),
];

impl fmt::Display for AudioSample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(AUDIO_NAMES.iter().find(|(_, s)| s == self).map_or("?", |(name, _)| name))
    }
}

/// `s16`, `f32`, `s32`, `u8`, or VLC's fourcc (`s16l`, `fl32`...).
impl FromStr for AudioSample {
    type Err = UnknownName;
    fn from_str(text: &str) -> Result<Self, UnknownName> {
        parse_name("audio format", text, &AUDIO_NAMES)
    }
}

impl AudioSample {
    pub fn fourcc(self) -> &'static str {
        match self {
            AudioSample::S16l => "s16l",
            AudioSample::S32l => "s32l",
            AudioSample::Fl32 => "fl32",
            AudioSample::U8 => "u8",
        }
    }

    pub fn bits(self) -> u32 {
        match self {
            AudioSample::S16l => 16,
            AudioSample::S32l | AudioSample::Fl32 => 32,
            AudioSample::U8 => 8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plane_layouts() {
        assert_eq!(VideoChroma::Rgba.frame_size(640, 480), 640 * 480 * 4);
        assert_eq!(VideoChroma::Rv24.frame_size(3, 2), 18);
        let p = VideoChroma::I420.planes(321, 241);
        assert_eq!(p.len(), 3);
        assert_eq!((p[1].offset, p[1].pitch, p[1].lines), (321 * 241, 161, 121));
        assert_eq!(p[2].offset, 321 * 241 + 161 * 121);
        assert_eq!(VideoChroma::I420.frame_size(64, 48), 64 * 48 * 3 / 2);
        let nv12 = VideoChroma::Nv12.planes(5, 3);
        assert_eq!((nv12[1].offset, nv12[1].pitch, nv12[1].lines), (15, 6, 2));
        assert_eq!(VideoChroma::Grey.frame_size(7, 3), 21);
        // Deep colour: two bytes a sample, as ffmpeg's yuv420p10le and p010le.
        let p = VideoChroma::I420_10.planes(5, 3);
        assert_eq!((p[0].pitch, p[1].offset, p[1].pitch, p[1].lines, p[2].offset), (10, 30, 6, 2, 42));
        assert_eq!(VideoChroma::I420_10.frame_size(5, 3), 54);
        let p010 = VideoChroma::P010.planes(5, 3);
        assert_eq!((p010[1].offset, p010[1].pitch, p010[1].lines), (30, 12, 2));
        let i422 = VideoChroma::I422_10.planes(5, 3);
        assert_eq!((i422[1].pitch, i422[1].lines, i422[2].offset), (6, 3, 48));
        assert_eq!((VideoChroma::I420_12.sample_bits(), VideoChroma::P010.sample_bits()), (12, 10));
    }

    #[test]
    fn formats_are_asked_for_by_name() {
        for (name, chroma) in VIDEO_NAMES {
            assert_eq!(name.parse::<VideoChroma>(), Ok(chroma));
            assert_eq!(chroma.to_string().parse::<VideoChroma>(), Ok(chroma));
        }
        assert_eq!(VideoChroma::Rv32.to_string(), "bgra");
        assert_eq!("YUV420P".parse::<VideoChroma>(), Ok(VideoChroma::I420));
        let e = "yuv444p".parse::<VideoChroma>().unwrap_err().to_string();
        assert!(
            e.starts_with(r#"unknown video format "yuv444p": rgb24, rgba, bgra, i420,"#) && e.ends_with("or p010"),
            "{e}"
        );
        assert_eq!(("S16".parse(), "fl32".parse()), (Ok(AudioSample::S16l), Ok(AudioSample::Fl32)));
        assert_eq!(AudioSample::S16l.to_string(), "s16");
        assert_eq!(
            "pcm".parse::<AudioSample>().unwrap_err().to_string(),
            r#"unknown audio format "pcm": s16, f32, s32 or u8"#
        );
    }

    #[test]
    fn the_visible_picture_is_found_in_a_coded_size_report() {
        // Stock smem: 640x360 H.264 reported as 640x368, with 640x360 bytes.
        assert_eq!(VideoChroma::I420.picture_in(640, 368, 640 * 360 * 3 / 2), Some((640, 360)));
        assert_eq!(VideoChroma::Rv24.picture_in(640, 368, 640 * 360 * 3), Some((640, 360)));
        // Odd sizes, both sides coded larger.
        let odd = VideoChroma::I420.frame_size(321, 241);
        assert_eq!(VideoChroma::I420.picture_in(336, 256, odd), Some((321, 241)));
        assert_eq!(VideoChroma::Rgba.picture_in(64, 48, 64 * 48 * 4), Some((64, 48)), "a report that fits is kept");
        assert_eq!(VideoChroma::Rgba.picture_in(64, 48, 7), None, "bytes no picture of that size holds");
    }
}
