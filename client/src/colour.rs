//! What a picture's colour, field order and orientation are, as typed
//! values named the way ffprobe names them (`color_space=bt709`,
//! `field_order=tt`...), read from what smem-rs's frame ABI tells
//! ([`VideoInfo`]). VLC's values are `vlc_es.h`'s.

use std::fmt;

use crate::abi::{self, VideoInfo};

/// Typed values with ffprobe's name for each.
macro_rules! named {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vdoc])* $variant,)* }

        impl $name {
            /// ffprobe's name for it.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named! {
    /// The YCbCr matrix (VLC's `video_color_space_t`).
    ColorSpace {
        /// BT.601: ffprobe says `smpte170m` (or `bt470bg`, the same matrix;
        /// VLC keeps no difference).
        Bt601 = "smpte170m",
        Bt709 = "bt709",
        Bt2020 = "bt2020nc",
    }
}

named! {
    /// The colour primaries (VLC's `video_color_primaries_t`).
    ColorPrimaries {
        Bt601_525 = "smpte170m",
        Bt601_625 = "bt470bg",
        Bt709 = "bt709",
        Bt2020 = "bt2020",
        DciP3 = "smpte431",
        FccBt470M = "bt470m",
    }
}

named! {
    /// The transfer function (VLC's `video_transfer_func_t`).
    ColorTransfer {
        Linear = "linear",
        Srgb = "iec61966-2-1",
        Bt470Bg = "gamma28",
        Bt470M = "gamma22",
        Bt709 = "bt709",
        Pq = "smpte2084",
        Smpte240 = "smpte240m",
        Hlg = "arib-std-b67",
    }
}

named! {
    /// Full or limited range.
    ColorRange {
        /// Full range (0-255 for 8 bits).
        Full = "pc",
        /// Limited ("TV") range (16-235 for 8-bit luma).
        Limited = "tv",
    }
}

named! {
    /// How the picture was coded: as ffprobe's `field_order`.
    FieldOrder {
        Progressive = "progressive",
        /// Interlaced, top field first.
        TopFirst = "tt",
        /// Interlaced, bottom field first.
        BottomFirst = "bb",
    }
}

impl ColorSpace {
    /// VLC's value for it.
    pub const fn vlc(self) -> i32 {
        match self {
            ColorSpace::Bt601 => 1,
            ColorSpace::Bt709 => 2,
            ColorSpace::Bt2020 => 3,
        }
    }

    /// Whether ffprobe's `name` is this matrix (VLC has one value for
    /// BT.601, where ffprobe names two).
    pub fn is_ffprobe(self, name: &str) -> bool {
        name == self.as_str() || (self == ColorSpace::Bt601 && name == "bt470bg")
    }

    fn of_vlc(value: i32) -> Option<ColorSpace> {
        [ColorSpace::Bt601, ColorSpace::Bt709, ColorSpace::Bt2020].into_iter().find(|s| s.vlc() == value)
    }
}

/// The `index - 1`th of `values` (VLC's 0 is "undefined").
fn nth<T: Copy>(values: &[T], vlc: i32) -> Option<T> {
    values.get(usize::try_from(vlc).ok()?.checked_sub(1)?).copied()
}

impl VideoInfo {
    /// The matrix the stream declares; `None` when it declares none.
    pub fn color_space(&self) -> Option<ColorSpace> {
        ColorSpace::of_vlc(self.color_space)
    }

    pub fn color_primaries(&self) -> Option<ColorPrimaries> {
        use ColorPrimaries::*;
        nth(&[Bt601_525, Bt601_625, Bt709, Bt2020, DciP3, FccBt470M], self.primaries)
    }

    pub fn color_transfer(&self) -> Option<ColorTransfer> {
        use ColorTransfer::*;
        nth(&[Linear, Srgb, Bt470Bg, Bt470M, Bt709, Pq, Smpte240, Hlg], self.transfer)
    }

    /// The range of these pixels; `None` when nobody said (the colour
    /// fields are VLC's defaults).
    pub fn color_range(&self) -> Option<ColorRange> {
        (self.color_source != abi::COLOR_UNKNOWN).then_some(if self.color_range_full {
            ColorRange::Full
        } else {
            ColorRange::Limited
        })
    }

    pub fn field_order(&self) -> Option<FieldOrder> {
        match self.field_order {
            abi::FIELDS_PROGRESSIVE => Some(FieldOrder::Progressive),
            abi::FIELDS_TOP_FIRST => Some(FieldOrder::TopFirst),
            abi::FIELDS_BOTTOM_FIRST => Some(FieldOrder::BottomFirst),
            _ => None,
        }
    }

    /// Degrees to turn the picture clockwise to show it upright (a phone's
    /// video); `None` for a flip or a transposition, which no turn undoes.
    pub fn rotation(&self) -> Option<u32> {
        // VLC's orientations: 6 is stored turned 90 degrees anti-clockwise,
        // 3 turned 180, 5 turned 270.
        match self.orientation {
            0 => Some(0),
            6 => Some(90),
            3 => Some(180),
            5 => Some(270),
            _ => None,
        }
    }

    /// The YCbCr matrix to turn these pixels into RGB with: the one the
    /// stream declares, else VLC 3's own guess for an untagged picture of
    /// `height` lines, BT.709 above 576 lines and BT.601 up to them (its
    /// Direct3D 11 display, `modules/video_output/win32/d3d11_quad.c`).
    pub fn matrix(&self, height: usize) -> ColorSpace {
        self.color_space().unwrap_or(if height > 576 { ColorSpace::Bt709 } else { ColorSpace::Bt601 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vlc_values_get_ffprobe_s_names() {
        let v = VideoInfo {
            color_space: 2,
            primaries: 4,
            transfer: 6,
            color_source: abi::COLOR_SOURCE,
            field_order: abi::FIELDS_TOP_FIRST,
            orientation: 6,
            ..VideoInfo::default()
        };
        assert_eq!(v.color_space().map(|c| c.as_str()), Some("bt709"));
        assert_eq!(v.color_primaries().map(|c| c.as_str()), Some("bt2020"));
        assert_eq!(v.color_transfer().map(|c| c.as_str()), Some("smpte2084"));
        assert_eq!(
            (v.color_range(), v.field_order(), v.rotation()),
            (Some(ColorRange::Limited), Some(FieldOrder::TopFirst), Some(90))
        );
        let unsaid = VideoInfo::default();
        assert_eq!((unsaid.color_space(), unsaid.color_primaries(), unsaid.color_range()), (None, None, None));
        assert_eq!((unsaid.matrix(576), unsaid.matrix(720)), (ColorSpace::Bt601, ColorSpace::Bt709));
        assert_eq!(VideoInfo { color_space: 3, ..unsaid }.matrix(576), ColorSpace::Bt2020);
        assert_eq!(VideoInfo { transfer: 99, ..unsaid }.color_transfer(), None);
    }
}
