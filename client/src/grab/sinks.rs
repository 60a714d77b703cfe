//! What smem hands over, turned into frames: on the legacy callbacks (our
//! buffers, described by the chroma) or on the frame ABI (VLC's blocks,
//! described by smem-rs), for a closure that borrows them or for the pull
//! queue that takes them.

use std::sync::Arc;

use super::run::{Placed, Shared};
use super::{AudioTo, To, VideoTo};
use crate::abi::VideoInfo;
use crate::chain::Callbacks;
use crate::format::{AudioSample, PlaneLayout, VideoChroma};
use crate::frame::{Audio, Video};
use crate::pool::Buffer;
use crate::timeline::Kind;
use crate::trampolines::{self, AudioMeta, Deliver, FrameRef, FrameSink, Sink, VideoMeta};

/// A kind's sink on either ABI.
pub(super) enum KindSink<'a, M> {
    Legacy(Box<Sink<'a, M>>),
    Frames(Box<FrameSink<'a>>),
}

impl<'a, M> KindSink<'a, M> {
    pub(super) fn take_panic(&self) -> Option<String> {
        match self {
            KindSink::Legacy(s) => s.take_panic(),
            KindSink::Frames(s) => s.take_panic(),
        }
    }
}

impl<'a> KindSink<'a, VideoMeta> {
    pub(super) fn video(
        frame_abi: bool,
        chroma: VideoChroma,
        to: VideoTo<'a>,
        shared: &Arc<Shared>,
        keep: usize,
    ) -> Self {
        let shared = Arc::clone(shared);
        if frame_abi {
            KindSink::Frames(FrameSink::video(video_frames(chroma, to, shared)))
        } else {
            KindSink::Legacy(Sink::new(video_deliver(chroma, to, shared), keep))
        }
    }

    /// This sink's callbacks as the chain names them.
    pub(super) fn callbacks(&self) -> Callbacks {
        let [prerender, postrender, ..] = trampolines::legacy_addresses();
        callbacks_of(self, prerender, postrender)
    }
}

impl<'a> KindSink<'a, AudioMeta> {
    pub(super) fn audio(
        frame_abi: bool,
        sample: AudioSample,
        to: AudioTo<'a>,
        shared: &Arc<Shared>,
        keep: usize,
    ) -> Self {
        let shared = Arc::clone(shared);
        if frame_abi {
            KindSink::Frames(FrameSink::audio(audio_frames(sample, to, shared)))
        } else {
            KindSink::Legacy(Sink::new(audio_deliver(sample, to, shared), keep))
        }
    }

    /// This sink's callbacks as the chain names them.
    pub(super) fn callbacks(&self) -> Callbacks {
        let [.., prerender, postrender] = trampolines::legacy_addresses();
        callbacks_of(self, prerender, postrender)
    }
}

fn callbacks_of<M>(sink: &KindSink<'_, M>, prerender: usize, postrender: usize) -> Callbacks {
    match sink {
        KindSink::Legacy(s) => Callbacks::Pair { prerender, postrender, data: s.data() },
        KindSink::Frames(s) => Callbacks::Frames { callback: trampolines::frame_address(), data: s.data() },
    }
}

/// Where a frame's bytes come from: lent to a closure, or owned by a pull item.
trait Source {
    fn lent(&self) -> &[u8];
    fn owned(self) -> Buffer;
}

impl<'a> To<Box<dyn FnMut(&Video<&[u8]>) + Send + 'a>, Box<dyn FnMut(Video<Buffer>) + Send + 'a>> {
    /// Hands over a frame with its bytes.
    fn video(&mut self, frame: Video<()>, bytes: impl Source) {
        match self {
            To::Closure(f) => f(&frame.with_data(bytes.lent())),
            To::Queue(f) => f(frame.with_data(bytes.owned())),
        }
    }
}

impl<'a> To<Box<dyn FnMut(&Audio<&[u8]>) + Send + 'a>, Box<dyn FnMut(Audio<Buffer>) + Send + 'a>> {
    /// Hands over a block with its bytes.
    fn audio(&mut self, block: Audio<()>, bytes: impl Source) {
        match self {
            To::Closure(f) => f(&block.with_data(bytes.lent())),
            To::Queue(f) => f(block.with_data(bytes.owned())),
        }
    }
}

/// The plane layout of the last picture size, shared by its frames.
struct Layouts {
    chroma: VideoChroma,
    key: (usize, usize, usize),
    /// The picture's size, as its bytes say.
    size: (usize, usize),
    planes: Arc<[PlaneLayout]>,
}

impl Layouts {
    /// The picture size and layout for a frame reported as `width` x
    /// `height` in `len` bytes (the stock smem reports the coded size: the
    /// bytes tell the visible one); no planes if the bytes match no picture
    /// of the chroma. Computed once per report, not per frame.
    fn get(&mut self, width: usize, height: usize, len: usize) -> ((usize, usize), Arc<[PlaneLayout]>) {
        if self.key != (width, height, len) {
            self.key = (width, height, len);
            match self.chroma.picture_in(width, height, len) {
                Some((w, h)) => (self.size, self.planes) = ((w, h), self.chroma.planes(w, h).into()),
                None => (self.size, self.planes) = ((width, height), Arc::from([])),
            }
        }
        (self.size, Arc::clone(&self.planes))
    }
}

/// A legacy sink's bytes: borrowed from the buffer it fills, or the buffer itself.
enum Bytes<'d> {
    Borrowed(&'d [u8]),
    Owned(Buffer),
}

impl Source for Bytes<'_> {
    fn lent(&self) -> &[u8] {
        match self {
            Bytes::Borrowed(data) => data,
            Bytes::Owned(buffer) => buffer,
        }
    }

    fn owned(self) -> Buffer {
        match self {
            Bytes::Borrowed(data) => Buffer::copy_of(data),
            Bytes::Owned(buffer) => buffer,
        }
    }
}

/// The legacy callbacks' deliver function for `to`: with the frame's bytes as `Bytes`.
fn legacy<'a, M: 'a>(mut deliver: impl FnMut(Bytes<'_>, M) + Send + 'a, queue: bool) -> Deliver<'a, M> {
    if queue {
        Deliver::Owned(Box::new(move |data, meta| deliver(Bytes::Owned(data), meta)))
    } else {
        Deliver::Borrowed(Box::new(move |data, meta| deliver(Bytes::Borrowed(data), meta)))
    }
}

fn video_deliver<'a>(chroma: VideoChroma, mut to: VideoTo<'a>, shared: Arc<Shared>) -> Deliver<'a, VideoMeta> {
    let mut layouts = Layouts { chroma, key: (0, 0, 0), size: (0, 0), planes: Arc::from([]) };
    let queue = matches!(to, To::Queue(_));
    legacy(
        move |data, VideoMeta { width, height, pts }| {
            let Some(Placed { time_us, item, index }) = shared.place(Kind::Video, pts, None) else { return };
            let (width, height) = (width.max(0) as usize, height.max(0) as usize);
            let ((width, height), planes) = layouts.get(width, height, data.lent().len());
            let (info, format) = (None, None);
            let frame = Video { width, height, chroma, planes, pts, time_us, item, index, data: (), info, format };
            to.video(frame, data);
        },
        queue,
    )
}

fn audio_deliver<'a>(sample: AudioSample, mut to: AudioTo<'a>, shared: Arc<Shared>) -> Deliver<'a, AudioMeta> {
    let queue = matches!(to, To::Queue(_));
    legacy(
        move |data, AudioMeta { channels, rate, nb_samples, pts }| {
            let Some(Placed { time_us, item, .. }) = shared.place(Kind::Audio, pts, None) else { return };
            let samples = nb_samples as usize;
            let block = Audio { channels, rate, sample, samples, pts, time_us, item, data: (), info: None };
            to.audio(block, data);
        },
        queue,
    )
}

/// The planes of the frame ABI's last layout, shared by its frames: a new
/// `Arc` only when the layout changes.
struct FrameLayouts {
    scratch: Vec<PlaneLayout>,
    planes: Arc<[PlaneLayout]>,
}

impl FrameLayouts {
    fn of(&mut self, frame: &FrameRef<'_>) -> Arc<[PlaneLayout]> {
        frame.planes(&mut self.scratch);
        if self.scratch[..] != self.planes[..] {
            self.planes = Arc::from(&self.scratch[..]);
        }
        Arc::clone(&self.planes)
    }
}

impl Source for &FrameRef<'_> {
    fn lent(&self) -> &[u8] {
        self.data()
    }

    /// VLC's block held (no copy), or a copy when smem's `max-held` is
    /// reached (items kept past the queue).
    fn owned(self) -> Buffer {
        match self.hold() {
            Some(held) => Buffer::held(held),
            None => Buffer::copy_of(self.data()),
        }
    }
}

type FrameFn<'a> = Box<dyn FnMut(FrameRef<'_>) + Send + 'a>;

fn video_frames<'a>(chroma: VideoChroma, mut to: VideoTo<'a>, shared: Arc<Shared>) -> FrameFn<'a> {
    let mut layouts = FrameLayouts { scratch: Vec::with_capacity(4), planes: Arc::from([]) };
    Box::new(move |frame| {
        let Some(v) = frame.video() else { return };
        let Some(Placed { time_us, item, index }) = shared.place(Kind::Video, frame.pts(), frame.media_time()) else {
            return;
        };
        let info = frame.info();
        if let Some(gap) = info.gap_before {
            shared.gap(Kind::Video, gap);
        }
        let video = Video {
            width: v.width as usize,
            height: v.height as usize,
            chroma,
            planes: layouts.of(&frame),
            pts: frame.pts(),
            time_us,
            item,
            index,
            data: (),
            info: Some(info),
            format: Some(VideoInfo::of(v)),
        };
        to.video(video, &frame);
    })
}

fn audio_frames<'a>(sample: AudioSample, mut to: AudioTo<'a>, shared: Arc<Shared>) -> FrameFn<'a> {
    Box::new(move |frame| {
        let Some(a) = frame.audio() else { return };
        let (pts, info) = (frame.pts(), Some(frame.info()));
        let Some(Placed { time_us, item, .. }) = shared.place(Kind::Audio, pts, frame.media_time()) else { return };
        if let Some(gap) = info.and_then(|i| i.gap_before) {
            shared.gap(Kind::Audio, gap);
        }
        let (channels, rate, samples) = (a.channels, a.rate, a.samples as usize);
        let block = Audio { channels, rate, sample, samples, pts, time_us, item, data: (), info };
        to.audio(block, &frame);
    })
}
