//! Which of a session's streams VLC can decode, and how VLC is told about
//! them: the codec, its set-up and the picture or sound it gives. The
//! names are RTP's (RFC 3551, 6184, 7798, 2435, 3640), as an SDP says them.

use crate::ffi::access_demux::{NewTrack, TrackKind};
use crate::fourcc::Fourcc;

/// What the SDP and, when it has them, the codec's parameters say of one
/// stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamInfo {
    /// `video`, `audio`, `application`...
    pub media: String,
    /// The encoding name, as the SDP writes it (`H264`, `MPEG4-GENERIC`).
    pub encoding: String,
    pub clock_rate: u32,
    pub channels: Option<u16>,
    /// Width and height, once known.
    pub dimensions: Option<(u32, u32)>,
    pub frame_rate: Option<(u32, u32)>,
    /// H.264's avcC or H.265's hvcC record, AAC's AudioSpecificConfig.
    pub extra: Vec<u8>,
}

/// The encodings this input plays; the others are left out, by name, in
/// the log.
pub const PLAYED: &str = "H264, H265, JPEG, MPEG4-GENERIC (AAC), PCMU, PCMA, L16";

/// Whether VLC needs the stream's parameters before it can be told of the
/// track: H.264 and H.265 frames carry no set-up of their own until a key
/// frame, and VLC's packetizer reads the avcC/hvcC record once.
pub fn needs_parameters(info: &StreamInfo) -> bool {
    info.extra.is_empty() && ["h264", "h265"].iter().any(|e| info.encoding.eq_ignore_ascii_case(e))
}

/// What to send after each access unit of this stream, untimed, so that
/// VLC's packetizer passes the unit on at once: an H.264 access unit
/// delimiter (4-byte length, as the avcC track's units). VLC 3.0's H.264
/// packetizer holds an access unit until the next one's first NAL unit, even
/// whole ones in avcC form: a frame of latency (40 ms at 25 fps). The
/// delimiter ends it; the packetizer then puts it at the head of the next
/// unit, where the standard places it, and drops a second one the stream
/// sends itself. Untimed, it sets no frame's time.
pub fn access_unit_end(info: &StreamInfo) -> Option<&'static [u8]> {
    const H264_AUD: [u8; 6] = [0, 0, 0, 2, 0x09, 0xF0];
    (info.media.eq_ignore_ascii_case("video") && info.encoding.eq_ignore_ascii_case("h264")).then_some(&H264_AUD[..])
}

/// The track VLC is to decode for `info`, or why it is left out.
pub fn track_for(info: &StreamInfo) -> Result<NewTrack, String> {
    let video = || TrackKind::Video {
        width: info.dimensions.map_or(0, |d| d.0),
        height: info.dimensions.map_or(0, |d| d.1),
        frame_rate: info.frame_rate,
    };
    let channels = u32::from(info.channels.unwrap_or(1));
    let audio = |bits_per_sample| TrackKind::Audio { rate: info.clock_rate, channels, bits_per_sample };
    let (kind, codec, packetized, original) =
        match (info.media.to_ascii_lowercase().as_str(), info.encoding.to_ascii_lowercase().as_str()) {
            // Whole access units (retina ends them at the RTP marker bit) with
            // 4-byte NAL lengths, and the avcC/hvcC record as set-up, as MP4
            // and Matroska give them. VLC's packetizer still holds each until
            // the next begins (a frame of latency) unless something ends it:
            // H.264's is ended by access_unit_end.
            ("video", "h264") => (video(), Fourcc::new(b"h264"), false, Some(Fourcc::new(b"avc1"))),
            ("video", "h265") => (video(), Fourcc::new(b"hevc"), false, Some(Fourcc::new(b"hvc1"))),
            ("video" | "image", "jpeg") => (video(), Fourcc::new(b"MJPG"), true, None),
            ("audio", "mpeg4-generic") => (audio(0), Fourcc::new(b"mp4a"), true, None),
            ("audio", "pcmu") => (audio(8), Fourcc::new(b"mlaw"), true, None),
            ("audio", "pcma") => (audio(8), Fourcc::new(b"alaw"), true, None),
            ("audio", "l16") => (audio(16), Fourcc::new(b"s16b"), true, None),
            (media, _) => return Err(format!("{media}/{} (this input plays {PLAYED})", info.encoding)),
        };
    if let TrackKind::Video { width, height, .. } = kind {
        // 16384 is H.265's and VLC's own limit; an SDP that says more is broken.
        if width > 16_384 || height > 16_384 {
            return Err(format!("{}: {width}x{height} is not a picture size", info.encoding));
        }
    }
    if let TrackKind::Audio { rate, channels, .. } = kind {
        if !(1_000..=384_000).contains(&rate) || !(1..=8).contains(&channels) {
            return Err(format!("{}: {rate} Hz with {channels} channels is not a sound", info.encoding));
        }
    }
    Ok(NewTrack { kind, codec, original_fourcc: original, extra: info.extra.clone(), packetized })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_h264_access_unit_ends_with_a_delimiter() {
        let end = access_unit_end(&info("video", "H264", 90_000)).unwrap();
        // A 2-byte NAL unit of type 9 (AUD), primary_pic_type 7 (any slice).
        assert_eq!((&end[..4], end[4] & 0x1F, end[5] >> 5), (&[0, 0, 0, 2][..], 9, 7));
        assert_eq!(access_unit_end(&info("video", "H265", 90_000)), None);
        assert_eq!(access_unit_end(&info("audio", "MPEG4-GENERIC", 48_000)), None);
    }

    fn info(media: &str, encoding: &str, clock_rate: u32) -> StreamInfo {
        StreamInfo { media: media.into(), encoding: encoding.into(), clock_rate, ..Default::default() }
    }

    #[test]
    fn camera_codecs_map_to_vlc_s() {
        let h264 = StreamInfo {
            dimensions: Some((1280, 720)),
            extra: vec![0, 0, 0, 1, 0x67],
            ..info("video", "H264", 90_000)
        };
        let t = track_for(&h264).unwrap();
        assert_eq!((t.codec, t.original_fourcc), (Fourcc::new(b"h264"), Some(Fourcc::new(b"avc1"))));
        assert!(!t.packetized, "through VLC's packetizer");
        assert_eq!(t.kind, TrackKind::Video { width: 1280, height: 720, frame_rate: None });
        assert_eq!(t.extra, h264.extra);
        assert_eq!(track_for(&info("video", "H265", 90_000)).unwrap().codec, Fourcc::new(b"hevc"));
        assert_eq!(track_for(&info("video", "JPEG", 90_000)).unwrap().codec, Fourcc::new(b"MJPG"));
        let aac = StreamInfo { channels: Some(2), extra: vec![0x12, 0x10], ..info("audio", "MPEG4-GENERIC", 44_100) };
        let t = track_for(&aac).unwrap();
        assert_eq!(
            (t.codec, t.kind),
            (Fourcc::new(b"mp4a"), TrackKind::Audio { rate: 44_100, channels: 2, bits_per_sample: 0 })
        );
        let ulaw = track_for(&info("audio", "PCMU", 8_000)).unwrap();
        assert_eq!(
            (ulaw.codec, ulaw.kind),
            (Fourcc::new(b"mlaw"), TrackKind::Audio { rate: 8_000, channels: 1, bits_per_sample: 8 })
        );
        assert_eq!(track_for(&info("audio", "PCMA", 8_000)).unwrap().codec, Fourcc::new(b"alaw"));
    }

    #[test]
    fn h26x_without_parameter_sets_waits_for_them() {
        let bare = info("video", "H264", 90_000);
        assert!(needs_parameters(&bare));
        assert!(!needs_parameters(&StreamInfo { extra: vec![1, 0x64], ..bare }));
        assert!(!needs_parameters(&info("video", "JPEG", 90_000)), "every JPEG is whole");
        assert!(!needs_parameters(&info("audio", "PCMU", 8_000)));
    }

    #[test]
    fn what_it_cannot_play_is_named() {
        let why = track_for(&info("video", "MP2T", 90_000)).unwrap_err();
        assert!(why.starts_with("video/MP2T"), "{why}");
        assert!(track_for(&info("audio", "MP4A-LATM", 44_100)).is_err());
        assert!(track_for(&info("application", "vnd.onvif.metadata", 90_000)).is_err());
        let huge = StreamInfo { dimensions: Some((65_535, 65_535)), ..info("video", "H264", 90_000) };
        assert!(track_for(&huge).unwrap_err().contains("65535x65535"));
        assert!(track_for(&StreamInfo { channels: Some(200), ..info("audio", "L16", 44_100) }).is_err());
    }
}
