//! What a grab delivers: one type per kind, over the bytes it holds. A
//! closure borrows them for its call ([`VideoFrame`], [`AudioBlock`]); a
//! pull item owns them ([`OwnedVideoFrame`], [`OwnedAudioBlock`]): VLC's own
//! block with smem-rs's frame ABI, the buffer smem filled with the stock one.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::abi::{FrameInfo, VideoInfo};
use crate::format::{AudioSample, PlaneLayout, VideoChroma};
use crate::pool::Buffer;

/// A picture and what is known of it, over bytes `D`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Video<D> {
    pub width: usize,
    pub height: usize,
    pub chroma: VideoChroma,
    /// Where each plane is in `data`; shared by every frame of one layout
    /// (no allocation per frame). Empty if the bytes do not match the
    /// chroma at this size (then `data` is as VLC gave it).
    pub planes: Arc<[PlaneLayout]>,
    /// Timestamp in microseconds (VLC's clock).
    pub pts: i64,
    /// Media time in microseconds: the frame's time in the stream with
    /// smem-rs; else from the start of the item (or of the segment asked
    /// for, [`crate::Grab::segment`]), by pts.
    pub time_us: i64,
    /// Which input this frame is from: 0, or the index of a playlist's item.
    pub item: usize,
    /// Which video frame of the grab this is, from 0, across items, counting
    /// those [`crate::Grab::every`] left out (as PyAV's `frame.index`).
    pub index: u64,
    pub data: D,
    /// ES id, dts, flags, generation, drops: with smem-rs's frame ABI only.
    pub info: Option<FrameInfo>,
    /// Coded size, aspect ratio, frame rate, colour: with the frame ABI only.
    pub format: Option<VideoInfo>,
}

/// Interleaved PCM and what is known of it, over bytes `D`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Audio<D> {
    pub channels: u32,
    pub rate: u32,
    pub sample: AudioSample,
    /// Samples per channel.
    pub samples: usize,
    pub pts: i64,
    /// Media time in microseconds (see [`Video::time_us`]).
    pub time_us: i64,
    /// Which input this block is from (see [`Video::item`]).
    pub item: usize,
    pub data: D,
    /// ES id, dts, flags, generation, drops: with smem-rs's frame ABI only.
    pub info: Option<FrameInfo>,
}

/// A picture, borrowed for the duration of the callback.
pub type VideoFrame<'f> = Video<&'f [u8]>;
/// A picture the item owns: dropping it hands VLC's block (or smem's
/// buffer) back.
pub type OwnedVideoFrame = Video<Buffer>;
/// Interleaved PCM, borrowed for the duration of the callback.
pub type AudioBlock<'f> = Audio<&'f [u8]>;
/// Interleaved PCM the item owns.
pub type OwnedAudioBlock = Audio<Buffer>;

/// What the pull style yields, in arrival order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Video(OwnedVideoFrame),
    Audio(OwnedAudioBlock),
}

impl<D: AsRef<[u8]>> Video<D> {
    /// The bytes of plane `index`, from its first byte to its last picture
    /// byte (lines `pitch` apart).
    pub fn plane(&self, index: usize) -> Option<&[u8]> {
        let p = self.planes.get(index)?;
        self.data.as_ref().get(p.offset..p.offset.checked_add(p.span())?)
    }

    /// The picture bytes of line `line` of plane `plane` (its padding left out).
    pub fn line(&self, plane: usize, line: usize) -> Option<&[u8]> {
        let p = self.planes.get(plane)?;
        if line >= p.lines {
            return None;
        }
        let start = p.offset.checked_add(line.checked_mul(p.pitch)?)?;
        self.data.as_ref().get(start..start.checked_add(p.visible_bytes)?)
    }

    /// The picture with its lines tightly packed, plane after plane: the
    /// data itself when it is laid out so already, else a copy.
    pub fn packed(&self) -> Cow<'_, [u8]> {
        let data = self.data.as_ref();
        let mut at = 0;
        let tight = self.planes.iter().all(|p| {
            let ok = p.offset == at && p.pitch == p.visible_bytes;
            at += p.visible_bytes * p.lines;
            ok
        });
        if self.planes.is_empty() || (tight && at <= data.len()) {
            let end = if self.planes.is_empty() { data.len() } else { at };
            return Cow::Borrowed(&data[..end]);
        }
        let mut out = Vec::with_capacity(at);
        for (i, p) in self.planes.iter().enumerate() {
            for line in 0..p.lines {
                out.extend_from_slice(self.line(i, line).unwrap_or_default());
            }
        }
        Cow::Owned(out)
    }
}

/// Microseconds since the Unix epoch as a [`SystemTime`].
fn system_time(unix_us: i64) -> Option<SystemTime> {
    match u64::try_from(unix_us) {
        Ok(us) => SystemTime::UNIX_EPOCH.checked_add(Duration::from_micros(us)),
        Err(_) => SystemTime::UNIX_EPOCH.checked_sub(Duration::from_micros(unix_us.unsigned_abs())),
    }
}

impl<D> Video<D> {
    /// When the camera took the frame, on its own wall clock (the NTP time
    /// of its RTCP sender reports, as GStreamer's `rtspsrc
    /// add-reference-timestamp-meta` gives it): an `rtsp://` input, once
    /// its first sender report came; `None` otherwise (a file).
    pub fn camera_time(&self) -> Option<SystemTime> {
        self.info.and_then(|i| i.camera_time).and_then(system_time)
    }

    /// The frame is its track's first after a gap in the stream (an
    /// `rtsp://` input that lost its connection and got it back): how long
    /// the gap was. Its `info.discontinuity` is set too.
    pub fn gap_before(&self) -> Option<Duration> {
        self.info.and_then(|i| i.gap_before).map(|us| Duration::from_micros(us.max(0) as u64))
    }

    /// The same frame over other bytes.
    pub(crate) fn with_data<E>(&self, data: E) -> Video<E> {
        Video {
            width: self.width,
            height: self.height,
            chroma: self.chroma,
            planes: Arc::clone(&self.planes),
            pts: self.pts,
            time_us: self.time_us,
            item: self.item,
            index: self.index,
            data,
            info: self.info,
            format: self.format,
        }
    }
}

impl VideoFrame<'_> {
    /// A copy that outlives the callback.
    pub fn to_owned(&self) -> OwnedVideoFrame {
        self.with_data(Buffer::copy_of(self.data))
    }
}

impl<D> Audio<D> {
    /// When the camera took the sound (see [`Video::camera_time`]).
    pub fn camera_time(&self) -> Option<SystemTime> {
        self.info.and_then(|i| i.camera_time).and_then(system_time)
    }

    /// The gap before this block (see [`Video::gap_before`]).
    pub fn gap_before(&self) -> Option<Duration> {
        self.info.and_then(|i| i.gap_before).map(|us| Duration::from_micros(us.max(0) as u64))
    }

    /// The same block over other bytes.
    pub(crate) fn with_data<E>(&self, data: E) -> Audio<E> {
        let Audio { channels, rate, sample, samples, pts, time_us, item, info, .. } = *self;
        Audio { channels, rate, sample, samples, pts, time_us, item, data, info }
    }
}

impl AudioBlock<'_> {
    /// A copy that outlives the callback.
    pub fn to_owned(&self) -> OwnedAudioBlock {
        self.with_data(Buffer::copy_of(self.data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn i420(width: usize, height: usize, data: Vec<u8>, planes: Vec<PlaneLayout>) -> OwnedVideoFrame {
        let chroma = VideoChroma::I420;
        let planes = planes.into();
        Video {
            width,
            height,
            chroma,
            planes,
            pts: 0,
            time_us: 0,
            item: 0,
            index: 0,
            data: data.into(),
            info: None,
            format: None,
        }
    }

    #[test]
    fn packed_is_the_data_itself_when_tight_and_a_copy_without_the_padding_else() {
        let tight = i420(4, 2, (0..12).collect(), VideoChroma::I420.planes(4, 2));
        assert!(matches!(tight.packed(), Cow::Borrowed(b) if b.len() == 12));
        // Luma lines 6 bytes apart, 4 of picture.
        let padded = vec![
            PlaneLayout { offset: 0, pitch: 6, visible_bytes: 4, lines: 2 },
            PlaneLayout { offset: 12, pitch: 2, visible_bytes: 2, lines: 1 },
            PlaneLayout { offset: 14, pitch: 2, visible_bytes: 2, lines: 1 },
        ];
        let frame = i420(4, 2, (0..16).collect(), padded);
        assert_eq!(frame.line(0, 1), Some(&[6, 7, 8, 9][..]));
        assert_eq!(frame.line(0, 2), None);
        assert_eq!(frame.plane(1), Some(&[12, 13][..]));
        assert_eq!(&frame.packed()[..], [0, 1, 2, 3, 6, 7, 8, 9, 12, 13, 14, 15]);
    }
}
