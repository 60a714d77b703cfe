//! The pull style: owned items from a bounded queue, read on the
//! application's thread, and seeks asked from it.

use std::sync::mpsc::{sync_channel, Receiver as EndReceiver, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::handoff::{handoff, Receiver};
use super::{Grab, StopHandle, To};
use crate::format::{AudioSample, VideoChroma};
use crate::frame::Item;
use crate::outcome::{EndOfStream, Error};
use crate::pool::Pool;
use crate::seek::Seeks;

/// The pull style: owned items from a bounded queue, in arrival order. A
/// full queue makes VLC's decoder wait (back-pressure); with
/// [`Grab::latest`], only the newest item of each kind waits instead. The
/// iterator ends at end of stream, and [`Frames::finish`] says how it ended.
pub struct Frames {
    /// Items with the seek epoch they were sent in.
    items: Option<Receiver<(u32, Item)>>,
    stop: StopHandle,
    seeks: Arc<Seeks>,
    thread: Option<JoinHandle<Result<EndOfStream, Error>>>,
    /// How the grab ended, told before its player has stopped.
    early_end: Option<EndReceiver<Result<EndOfStream, Error>>>,
    /// The packed RGB asked for, converted here from VLC's I420 (always
    /// `None` without the `rgb` feature).
    #[cfg_attr(not(feature = "rgb"), allow(dead_code))]
    rgb: Option<VideoChroma>,
    /// Why a frame could not be converted (the first time).
    unconverted: Option<String>,
    /// The RGB frames' buffers, back from the frames the caller dropped.
    #[cfg_attr(not(feature = "rgb"), allow(dead_code))]
    rgb_buffers: Arc<Pool>,
}

impl Grab<'static> {
    /// Starts the grab on a thread of its own; at most `bound` items wait
    /// in the queue. The formats are the ones to convert to; `None` skips
    /// that kind of track. A kind that a closure ([`Grab::video`],
    /// [`Grab::audio`]) receives already cannot be pulled as well: then the
    /// iterator yields nothing and [`Frames::finish`] says why.
    pub fn frames(mut self, video: Option<VideoChroma>, audio: Option<AudioSample>, bound: usize) -> Frames {
        let taken =
            [(video.is_some() && self.video.is_some(), "video"), (audio.is_some() && self.audio.is_some(), "audio")];
        if let Some((_, kind)) = taken.iter().find(|(both, _)| *both) {
            let why =
                format!("frames() asks for {kind} that a .{kind}() closure receives already: use one or the other");
            let thread = std::thread::Builder::new().spawn(move || Err(Error::Setup(why))).ok();
            let (stop, seeks) = (self.stop_handle(), Arc::clone(&self.seeks));
            return Frames {
                items: None,
                stop,
                seeks,
                thread,
                early_end: None,
                rgb: None,
                unconverted: None,
                rgb_buffers: Pool::new(0),
            };
        }
        let rgb = video.filter(|&chroma| self.converts_rgb(chroma));
        let video = if rgb.is_some() { Some(VideoChroma::I420) } else { video };
        let newest = self.live.then_some(same_kind as fn(&(u32, Item), &(u32, Item)) -> bool);
        let (tx, rx) = handoff(bound, newest);
        // A send to a consumer that is gone drops the item: the grab is being stopped.
        if let Some(chroma) = video {
            let (tx, seeks) = (tx.clone(), Arc::clone(&self.seeks));
            self.video = Some((chroma, To::Queue(Box::new(move |f| tx.send((seeks.playing(), Item::Video(f)))))));
        }
        if let Some(sample) = audio {
            let (tx, seeks) = (tx.clone(), Arc::clone(&self.seeks));
            self.audio = Some((sample, To::Queue(Box::new(move |b| tx.send((seeks.playing(), Item::Audio(b)))))));
        }
        drop(tx);
        self.pull_bound = Some(bound);
        let (told, early_end) = sync_channel(1);
        self.early_end = Some(told);
        let (stop, seeks) = (self.stop_handle(), Arc::clone(&self.seeks));
        // An attached player gets our media before this returns: the
        // application plays it next.
        let (ready, given) = sync_channel(1);
        if let Some(attached) = self.attached.as_mut() {
            attached.1 = Some(ready);
        }
        let attached = self.attached.is_some();
        let thread = std::thread::Builder::new().name("smem-grab".into()).spawn(move || self.run()).ok();
        if attached {
            // Err: the grab failed first; Frames::finish says why.
            let _ = given.recv_timeout(ATTACH_WAIT);
        }
        // As many as the frames a caller reading one at a time keeps alive.
        let rgb_buffers = Pool::new(super::SPARE_BUFFERS + 1);
        Frames { items: Some(rx), stop, seeks, thread, early_end: Some(early_end), rgb, unconverted: None, rgb_buffers }
    }

    /// Whether packed RGB is better had as I420 from VLC, converted on the
    /// consumer's thread (feature `rgb`): measured faster than VLC's
    /// conversion on its decoder thread, by the stream's own matrix. Only
    /// on smem-rs's frame ABI: the stock smem copies each frame anyway.
    fn converts_rgb(&self, chroma: VideoChroma) -> bool {
        let frame_abi = self.abi.is_frame(crate::vlc::smem_rs_available());
        cfg!(feature = "rgb") && frame_abi && crate::format::rgb_channels(chroma).is_some()
    }
}

/// Whether two items are of one kind (video, audio): the live hand-over
/// keeps the newest of each.
fn same_kind(a: &(u32, Item), b: &(u32, Item)) -> bool {
    std::mem::discriminant(&a.1) == std::mem::discriminant(&b.1)
}

impl Iterator for Frames {
    type Item = Item;
    fn next(&mut self) -> Option<Item> {
        loop {
            let (epoch, item) = self.items.as_ref()?.recv_timeout(None).ok()?;
            if epoch == self.seeks.epoch() {
                if let Some(item) = self.converted(item) {
                    return Some(item);
                }
            }
        }
    }
}

/// Seeks a pull grab from any thread ([`Frames::seek_handle`]).
#[derive(Clone, Debug)]
pub struct SeekHandle(Arc<Seeks>);

impl SeekHandle {
    /// As [`Frames::seek`].
    pub fn seek(&self, seconds: f64) -> Result<(), Error> {
        if !seconds.is_finite() || seconds < 0.0 {
            return Err(Error::Setup(format!("cannot seek to {seconds} s")));
        }
        if !self.0.ask(seconds) {
            return Err(Error::Setup("the grab has ended: cannot seek".into()));
        }
        self.0.wait_answer(SEEK_WAIT).map_err(Error::Input)
    }
}

/// How long [`Grab::frames`] waits for an attached player to get our media.
const ATTACH_WAIT: Duration = Duration::from_secs(10);

/// How long [`Frames::seek`] waits for VLC to play.
const SEEK_WAIT: Duration = Duration::from_secs(10);

/// What [`Frames::next_within`] found.
#[derive(Debug)]
// Returned once per frame: boxing the item would allocate per frame.
#[allow(clippy::large_enum_variant)]
pub enum Next {
    Item(Item),
    /// The grab is over ([`Frames::finish`] says how).
    Ended,
    /// Nothing came in the time given; the grab goes on.
    Waiting,
}

impl Frames {
    /// The next item, waiting at most `timeout`: for a caller that must
    /// look up now and then (a Python iterator checking for Ctrl-C).
    pub fn next_within(&mut self, timeout: Duration) -> Next {
        let until = Instant::now() + timeout;
        loop {
            let Some(items) = self.items.as_ref() else { return Next::Ended };
            match items.recv_timeout(Some(until.saturating_duration_since(Instant::now()))) {
                // Queued before the latest seek: stale.
                Ok((epoch, _)) if epoch != self.seeks.epoch() => continue,
                Ok((_, item)) => match self.converted(item) {
                    Some(item) => return Next::Item(item),
                    None => continue,
                },
                Err(RecvTimeoutError::Timeout) => return Next::Waiting,
                Err(RecvTimeoutError::Disconnected) => return Next::Ended,
            }
        }
    }

    /// Seeks to media time `seconds` (waiting, up to 10 s, for VLC to start
    /// playing): the input is played again from there, as with a start
    /// time, and the items queued from before are dropped. With smem-rs the
    /// first video frame is the first at or after `seconds` and times stay
    /// the stream's own; with the stock smem VLC resumes at the key frame
    /// before, and times count from `seconds`.
    pub fn seek(&self, seconds: f64) -> Result<(), Error> {
        self.seek_handle().seek(seconds)
    }

    /// Seeks from any thread (see [`Frames::seek`]).
    pub fn seek_handle(&self) -> SeekHandle {
        SeekHandle(Arc::clone(&self.seeks))
    }

    /// Stops the grab from any thread (a Ctrl-C handler, say): the iterator
    /// yields what was delivered already, then ends.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Stops the grab if it is still going and says how it ended.
    pub fn finish(mut self) -> Result<EndOfStream, Error> {
        self.shutdown()
    }

    /// As [`Frames::finish`], without waiting for VLC to stop: the grab
    /// ends and says how at once, and its player stops on the grab's own
    /// thread meanwhile (a 720p grab's stop takes 5 to 15 ms; a thumbnailer
    /// opens the next file in that time). No frame comes after this
    /// returns, and the frames taken stay valid. At most two grabs stop in
    /// the background at a time (the next close waits for the oldest);
    /// call [`crate::wait_closed`] before the process exits.
    pub fn finish_in_background(mut self) -> Result<EndOfStream, Error> {
        self.stop_delivery();
        // None: the grab ended before telling (an error), and has returned.
        let Some(end) = self.early_end.take().and_then(|told| told.recv().ok()) else { return self.shutdown() };
        if let Some(thread) = self.thread.take() {
            super::closing::hand_over(thread);
        }
        self.unless_unconverted(end)
    }

    /// `item` as asked for: a video frame converted to packed RGB when
    /// VLC was asked for I420 in its place; `None` if it cannot be.
    fn converted(&mut self, item: Item) -> Option<Item> {
        #[cfg(feature = "rgb")]
        if let (Some(to), Item::Video(frame)) = (self.rgb, &item) {
            return match crate::rgb::from_i420_pooled(frame, to, &self.rgb_buffers) {
                Ok(rgb) => Some(Item::Video(rgb)),
                Err(why) => {
                    self.unconverted.get_or_insert(why);
                    None
                }
            };
        }
        Some(item)
    }

    /// Stops the grab and lets go of the queue: nothing more is delivered.
    fn stop_delivery(&mut self) {
        self.stop.stop();
        // Dropping the receiver releases a decoder blocked on a full queue.
        drop(self.items.take());
    }

    /// How the grab ended, unless a frame could not be converted.
    fn unless_unconverted(&mut self, end: Result<EndOfStream, Error>) -> Result<EndOfStream, Error> {
        match self.unconverted.take() {
            Some(why) => Err(Error::Input(format!("a frame could not be converted to RGB: {why}"))),
            None => end,
        }
    }

    fn shutdown(&mut self) -> Result<EndOfStream, Error> {
        self.stop_delivery();
        let result = match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(Error::Callback("the grab thread panicked".into())),
            None => Err(Error::Setup("cannot start the grab thread".into())),
        };
        self.unless_unconverted(result)
    }
}

impl Drop for Frames {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.shutdown();
        }
    }
}
