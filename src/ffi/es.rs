//! A plain copy of the parts of `es_format_t` the module needs, taken at
//! Add time so no pointer into VLC's format is kept.

use super::sys;
use crate::fourcc::Fourcc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VideoFormat {
    pub chroma: Fourcc,
    pub width: u32,
    pub height: u32,
    pub x_offset: u32,
    pub y_offset: u32,
    pub visible_width: u32,
    pub visible_height: u32,
    /// What the frame ABI tells beyond the geometry.
    pub extra: VideoExtra,
}

/// Sample aspect ratio, frame rate, colour and orientation, as VLC's
/// `video_format_t` has them (VLC's enum values, unchanged).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VideoExtra {
    pub sar: (u32, u32),
    pub frame_rate: (u32, u32),
    pub color_space: i32,
    pub color_range_full: bool,
    pub primaries: i32,
    pub transfer: i32,
    pub orientation: i32,
}

impl VideoFormat {
    /// A `width` x `height` picture of `chroma` whose visible part is
    /// `visible` (width, height) at `offset` (x, y). For tests and
    /// benchmarks: VLC's formats come through [`EsFormat::from_raw`].
    pub fn picture(
        chroma: Fourcc,
        (width, height): (u32, u32),
        offset: (u32, u32),
        visible: (u32, u32),
    ) -> VideoFormat {
        VideoFormat {
            chroma,
            width,
            height,
            x_offset: offset.0,
            y_offset: offset.1,
            visible_width: visible.0,
            visible_height: visible.1,
            extra: VideoExtra::default(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AudioFormat {
    pub rate: u32,
    pub channels: u32,
    /// `AOUT_CHAN_*` mask.
    pub physical_channels: u32,
    /// The codec's own delay at the start, in microseconds: an Opus
    /// track's pre-skip (its `OpusHead`, 48 kHz samples); 0 for the others.
    pub codec_delay: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EsKind {
    Video(VideoFormat),
    Audio(AudioFormat),
    Other(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EsFormat {
    pub id: i32,
    pub codec: Fourcc,
    pub kind: EsKind,
}

/// An Opus track's pre-skip, from its `OpusHead` (RFC 7845: the samples at
/// 48 kHz a decoder drops at the start), in microseconds; 0 for the others.
/// VLC's demuxers give the header alone or packed with `OpusTags` (Xiph
/// lacing, as Matroska's does).
pub fn codec_delay(codec: u32, extra: &[u8]) -> i64 {
    if codec != u32::from_le_bytes(*b"Opus") {
        return 0;
    }
    let head = extra.windows(8).position(|w| w == b"OpusHead").map(|at| &extra[at + 8..]);
    match head.and_then(|head| head.get(2..4)) {
        Some(&[low, high]) => i64::from(u16::from_le_bytes([low, high])) * 1_000_000 / 48_000,
        _ => 0,
    }
}

impl EsFormat {
    /// # Safety
    /// `raw` must point at a valid `es_format_t` (or be null).
    pub unsafe fn from_raw(raw: *const sys::es_format_t) -> Option<EsFormat> {
        // SAFETY: caller guarantees `raw` is valid or null; the union member read
        // below is the one `i_cat` selects.
        let fmt = unsafe { raw.as_ref()? };
        let kind = match fmt.i_cat {
            sys::es_format_category_e_VIDEO_ES => {
                let v = unsafe { &fmt.__bindgen_anon_1.video };
                EsKind::Video(VideoFormat {
                    chroma: Fourcc(v.i_chroma),
                    width: v.i_width,
                    height: v.i_height,
                    x_offset: v.i_x_offset,
                    y_offset: v.i_y_offset,
                    visible_width: v.i_visible_width,
                    visible_height: v.i_visible_height,
                    extra: VideoExtra {
                        sar: (v.i_sar_num, v.i_sar_den),
                        frame_rate: (v.i_frame_rate, v.i_frame_rate_base),
                        color_space: v.space as i32,
                        color_range_full: v.b_color_range_full,
                        primaries: v.primaries as i32,
                        transfer: v.transfer as i32,
                        orientation: v.orientation as i32,
                    },
                })
            }
            sys::es_format_category_e_AUDIO_ES => {
                let a = unsafe { &fmt.__bindgen_anon_1.__bindgen_anon_1.audio };
                // SAFETY: `p_extra` holds `i_extra` bytes (or is null).
                let extra = match (fmt.p_extra.is_null(), usize::try_from(fmt.i_extra)) {
                    (false, Ok(len)) => unsafe { std::slice::from_raw_parts(fmt.p_extra.cast::<u8>(), len) },
                    _ => &[],
                };
                EsKind::Audio(AudioFormat {
                    rate: a.i_rate,
                    channels: u32::from(a.i_channels),
                    physical_channels: u32::from(a.i_physical_channels),
                    codec_delay: codec_delay(fmt.i_codec, extra),
                })
            }
            other => EsKind::Other(other),
        };
        Some(EsFormat { id: fmt.i_id, codec: Fourcc(fmt.i_codec), kind })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opus_track_s_delay_is_its_pre_skip() {
        let head = [&b"OpusHead"[..], &[1, 2], &312u16.to_le_bytes(), &48_000u32.to_le_bytes(), &[0, 0, 0]].concat();
        let opus = u32::from_le_bytes(*b"Opus");
        assert_eq!(codec_delay(opus, &head), 6_500);
        // Matroska's: OpusHead and OpusTags packed with Xiph lacing.
        let packed = [&[1, head.len() as u8][..], &head, b"OpusTags", &[0; 8]].concat();
        assert_eq!(codec_delay(opus, &packed), 6_500);
        assert_eq!(codec_delay(opus, b"Opus"), 0, "too short");
        assert_eq!(codec_delay(u32::from_le_bytes(*b"mp4a"), &head), 0);
    }
}
