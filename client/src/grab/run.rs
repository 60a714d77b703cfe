//! Playing a grab: VLC set up with the sinks' chain, each input (or
//! playlist item) played in turn and watched until it ends, stops, times
//! out or is sought, then the tally.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::sinks::KindSink;
use super::{AttachedPlayer, Grab, ProgressFn, StopHandle, SPARE_BUFFERS};
use crate::chain::{GrabChain, Record};
use crate::outcome::{EndOfStream, EndReason, Error, ItemEnd, Progress};
use crate::seek::Seeks;
use crate::segment::segment_options;
use crate::timeline::{Kind, Timeline};
use crate::trampolines::{AudioMeta, VideoMeta};
use crate::vlc::{self, Instance, LogLevel, LogListener, Media, Player, State};

/// Playlists within playlists are followed this deep.
const MAX_PLAYLIST_DEPTH: usize = 8;

/// What the sinks of a grab share with its run loop.
pub(super) struct Shared {
    video: AtomicU64,
    audio: AtomicU64,
    /// Video frames placed, delivered or left out by `every` (a sign of
    /// life for `idle_timeout` too): the next one's index.
    seen: AtomicU64,
    pub(super) timeline: Timeline,
    /// The gaps in the stream (a reconnect) the frames said, video's and
    /// audio's apart: each track's first frame after a gap tells it.
    gaps: [Mutex<Vec<Duration>>; 2],
}

impl Shared {
    /// Counts a frame in and tells where it is, or `None` when it is not
    /// to be delivered (past the segment's stop, or between two of
    /// `every`'s steps). `media_time`: smem-rs's, when the frame ABI tells it.
    pub(super) fn place(&self, kind: Kind, pts: i64, media_time: Option<i64>) -> Option<Placed> {
        let time_us = self.timeline.place(kind, pts, media_time)?;
        let item = self.timeline.item();
        if kind == Kind::Audio {
            self.audio.fetch_add(1, Ordering::Relaxed);
            return Some(Placed { time_us, item, index: 0 });
        }
        let index = self.seen.fetch_add(1, Ordering::Relaxed);
        if !self.timeline.wanted(time_us) {
            return None;
        }
        self.video.fetch_add(1, Ordering::Relaxed);
        Some(Placed { time_us, item, index })
    }

    /// A frame of `kind` came after a gap of `gap_us` microseconds.
    pub(super) fn gap(&self, kind: Kind, gap_us: i64) {
        let gaps = &self.gaps[usize::from(kind == Kind::Audio)];
        gaps.lock().unwrap_or_else(PoisonError::into_inner).push(Duration::from_micros(gap_us.max(0) as u64));
    }

    /// The gaps in the stream: as the video saw them, or the sound in a
    /// grab of sound alone.
    fn gaps(&self) -> Vec<Duration> {
        let [video, audio] = &self.gaps;
        let taken = |gaps: &Mutex<Vec<Duration>>| gaps.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let video = taken(video);
        if video.is_empty() {
            taken(audio)
        } else {
            video
        }
    }

    /// (video frames, audio blocks) delivered so far.
    fn counts(&self) -> (u64, u64) {
        (self.video.load(Ordering::Relaxed), self.audio.load(Ordering::Relaxed))
    }

    /// Everything that came, delivered or left out.
    fn activity(&self) -> u64 {
        self.seen.load(Ordering::Relaxed) + self.audio.load(Ordering::Relaxed)
    }
}

/// Where a frame delivered is.
pub(super) struct Placed {
    /// Media time, microseconds.
    pub time_us: i64,
    /// The input or playlist item.
    pub item: usize,
    /// A video frame's index in the grab (see [`crate::frame::Video::index`]).
    pub index: u64,
}

/// Ends a grab's seeks when its run returns, early or not.
struct EndSeeks<'s>(&'s Seeks);

impl Drop for EndSeeks<'_> {
    fn drop(&mut self) {
        self.0.end();
    }
}

/// An application's player (attached) with its own media, to give back.
struct Theirs {
    player: Player,
    own: Media,
    /// Told once the player has our media.
    ready: Option<SyncSender<()>>,
    /// The media we gave it last.
    given: Option<*mut std::ffi::c_void>,
}

/// A grab being played.
struct Run<'a> {
    /// The player of the last item, still playing when the grab ends by a
    /// stop, a timeout or silence and the caller is told before it stops
    /// ([`crate::Frames::finish_in_background`]). First, so dropped first:
    /// VLC calls into the sinks until it has stopped.
    last_player: Option<Player>,
    /// Told how the grab ended before the last player stops.
    early_end: Option<SyncSender<Result<EndOfStream, Error>>>,
    input: String,
    /// VLC's lines while this grab plays, on its instance.
    log: LogListener,
    shared: Arc<Shared>,
    video: Option<KindSink<'a, VideoMeta>>,
    audio: Option<KindSink<'a, AudioMeta>>,
    /// The media options every play of every item gets (the chain...).
    options: Vec<String>,
    media_options: Vec<String>,
    segment: (Option<f64>, Option<f64>),
    smem_rs: bool,
    frame_abi: bool,
    stop: StopHandle,
    timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    progress: Option<ProgressFn<'a>>,
    seeks: Arc<Seeks>,
    theirs: Option<Theirs>,
    start: Instant,
}

/// How one play of an item ended.
enum Watched {
    Over(State, EndReason),
    /// Asked to seek to (seconds, epoch): the item is played again from there.
    Seek(f64, u32),
}

impl<'a> Grab<'a> {
    /// Plays the input to its end, calling the closures for every frame.
    /// A playlist (M3U, XSPF...) has its items played in turn, each with
    /// this grab's options (the playlist's own options are not applied).
    pub fn run(self) -> Result<EndOfStream, Error> {
        // However run returns, a seek asked is refused at once from then on.
        let seeks = Arc::clone(&self.seeks);
        let _end_seeks = EndSeeks(&seeks);
        let mut run = Run::start(self)?;
        let first = match &run.theirs {
            Some(theirs) => theirs.own.duplicate().map_err(Error::Setup)?,
            None => run.log.instance().media(&run.input).map_err(Error::Input)?,
        };
        let (items, reason) = run.play_all(first)?;
        let end = run.end(items, reason);
        if let Some(early) = run.early_end.take() {
            let _ = early.send(end.clone());
        }
        drop(run.last_player.take()); // stops: no callback runs after this
        end
    }
}

impl<'a> Run<'a> {
    /// VLC, the sinks and the chain for `grab`.
    fn start(grab: Grab<'a>) -> Result<Run<'a>, Error> {
        let Grab {
            input,
            video,
            audio,
            realtime,
            media_options,
            vlc_args,
            progress,
            stop,
            timeout,
            idle_timeout,
            segment,
            every,
            queue,
            live,
            pull_bound,
            tune_allocator,
            scale,
            abi,
            seeks,
            attached,
            record,
            early_end,
        } = grab;
        if video.is_none() && audio.is_none() {
            return Err(Error::Setup("nothing to grab: ask for video, audio or both".into()));
        }
        if attached.is_none() && !input.contains("://") && !Path::new(&input).exists() {
            return Err(Error::Input(format!("{input}: no such file")));
        }
        let record = match record {
            Some(path) => Some(Record::create(&path).map_err(Error::Setup)?),
            None => None,
        };
        if tune_allocator {
            crate::allocator::tune();
        }
        let log = vlc_instance(&vlc_args)?.listen();
        let smem_rs = vlc::smem_rs_available();
        let frame_abi = abi.is_frame(smem_rs);
        // smem-rs cuts a segment exactly (smem_preroll and smem_mark); with
        // the stock smem the frames VLC sends are cut here by their pts.
        let cut_here = if smem_rs && segment.0.is_some() { None } else { segment.1 };
        let mut timeline = Timeline::new(segment.0, cut_here, video.is_some());
        timeline.every(every);
        let shared = Arc::new(Shared {
            video: AtomicU64::new(0),
            audio: AtomicU64::new(0),
            seen: AtomicU64::new(0),
            timeline,
            gaps: Default::default(),
        });
        // Spare buffers: the pull queue's items hold theirs until dropped.
        let keep = SPARE_BUFFERS + pull_bound.unwrap_or(0);
        let chain = GrabChain {
            video: video.as_ref().map(|v| v.0),
            audio: audio.as_ref().map(|a| a.0),
            realtime,
            queue,
            live,
            scale,
            // smem_mark and smem_preroll (smem-rs's): exact segments and
            // seeks, and each frame's time in the stream on the frame ABI.
            mark: smem_rs,
            // smem_raw (smem-rs's): no copy between VLC's decoder and smem.
            raw: smem_rs,
            record,
        };
        let video = video.map(|(chroma, to)| KindSink::video(frame_abi, chroma, to, &shared, keep));
        let audio = audio.map(|(sample, to)| KindSink::audio(frame_abi, sample, to, &shared, keep));
        // Held by the pull queue's items, the one being sent and the one
        // being read; beyond that (items kept longer), frames are copied.
        let max_held = frame_abi.then_some(pull_bound.map_or(0, |bound| bound + SPARE_BUFFERS + 2));
        let callbacks = (video.as_ref().map(|v| v.callbacks()), audio.as_ref().map(|a| a.callbacks()));
        let options = chain.media_options(callbacks, max_held, frame_abi);
        let theirs = match attached {
            // SAFETY: Grab::attach's caller's promise.
            Some(AttachedPlayer(raw, ready)) => {
                let player = unsafe { Player::retained(raw) }.map_err(Error::Setup)?;
                let own = player.media().ok_or_else(|| Error::Setup("the media player has no media".into()))?;
                Some(Theirs { player, own, ready, given: None })
            }
            None => None,
        };
        Ok(Run {
            last_player: None,
            early_end,
            input,
            log,
            shared,
            video,
            audio,
            options,
            media_options,
            segment,
            smem_rs,
            frame_abi,
            stop,
            timeout,
            idle_timeout,
            progress,
            seeks,
            theirs,
            start: Instant::now(),
        })
    }

    /// Plays `first`, and a playlist's items in turn, until one does not
    /// end by itself: each item's end, and why the grab ended.
    fn play_all(&mut self, first: Media) -> Result<(Vec<ItemEnd>, EndReason), Error> {
        let mut pending = vec![(first, 0)];
        let mut items: Vec<ItemEnd> = Vec::new();
        while let Some((media, depth)) = pending.pop() {
            drop(self.last_player.take());
            self.shared.timeline.begin_item(items.len());
            let before = self.shared.counts();
            let (media, state, why) = self.play_item(media, depth)?;
            let after = self.shared.counts();
            if state == State::Ended && after == before && self.theirs.is_none() && depth < MAX_PLAYLIST_DEPTH {
                let subitems = media.subitems();
                if !subitems.is_empty() {
                    // A playlist: its items are played next, in order.
                    pending.extend(subitems.into_iter().rev().map(|item| (item, depth + 1)));
                    continue;
                }
            }
            let mrl = if depth == 0 { self.input.clone() } else { media.mrl() };
            items.push(self.item_end(mrl, &media, state, why, (before, after)));
            if why != EndReason::Ended {
                return Ok((items, why));
            }
        }
        Ok((items, EndReason::Ended))
    }

    /// Plays one item, again from a seek's start point when asked: the
    /// media last played, its state and why it ended.
    fn play_item(&mut self, mut media: Media, depth: usize) -> Result<(Media, State, EndReason), Error> {
        let mut seek_to = None;
        loop {
            let start = seek_to.or(self.segment.0);
            let mut own = segment_options((start, self.segment.1), self.smem_rs && start.is_some());
            own.extend(self.media_options.iter().cloned());
            for option in self.options.iter().chain(&own) {
                media.add_option(option).map_err(Error::Setup)?;
            }
            let player = self.player_for(&media)?;
            self.stop.waking(Some(player.wake()));
            let watched = self.watch(&player);
            self.stop.waking(None);
            let last = matches!(watched, Watched::Over(_, why) if why != EndReason::Ended);
            if last && self.early_end.is_some() && self.theirs.is_none() {
                // The grab ends here: the caller hears how before the
                // player has stopped (`run` stops it after telling).
                self.last_player = Some(player);
            } else {
                drop(player); // stops: no callback of this item runs after this
            }
            match watched {
                Watched::Over(state, why) => return Ok((media, state, why)),
                Watched::Seek(seconds, epoch) => {
                    // Only now that the player has stopped: what it sent
                    // while stopping carries the epoch before.
                    self.seeks.playing_from(epoch);
                    self.shared.timeline.seek(seconds);
                    let mrl = if depth == 0 { self.input.clone() } else { media.mrl() };
                    media = self.log.instance().media(&mrl).map_err(Error::Input)?;
                    seek_to = Some(seconds);
                }
            }
        }
    }

    /// A player for `media`, playing: ours, or the application's given it.
    fn player_for(&mut self, media: &Media) -> Result<Player, Error> {
        let Some(theirs) = self.theirs.as_mut() else {
            let player = Player::new(media).map_err(Error::Setup)?;
            self.log.follow(&player);
            player.play().map_err(Error::Input)?;
            return Ok(player);
        };
        // SAFETY: a live player (`theirs` holds a reference).
        let player = unsafe { Player::retained(theirs.player.as_raw()) }.map_err(Error::Setup)?;
        player.set_media(media);
        theirs.given = Some(media.as_raw());
        if let Some(ready) = theirs.ready.take() {
            let _ = ready.send(());
        }
        Ok(player)
    }

    /// Watches a play until it is over, or a seek is to be applied.
    fn watch(&mut self, player: &Player) -> Watched {
        let (mut last_activity, mut last_frame) = (self.shared.activity(), Instant::now());
        let mut last_report = Instant::now();
        loop {
            let state = player.state();
            if state.is_over() || self.shared.timeline.past_stop(self.video.is_some(), self.audio.is_some()) {
                return Watched::Over(state, EndReason::Ended);
            }
            if self.stop.is_stopped() {
                return Watched::Over(state, EndReason::Stopped);
            }
            if self.timeout.is_some_and(|t| self.start.elapsed() > t) {
                return Watched::Over(state, EndReason::TimedOut);
            }
            let activity = self.shared.activity();
            if activity != last_activity {
                (last_activity, last_frame) = (activity, Instant::now());
            } else if self.idle_timeout.is_some_and(|t| last_frame.elapsed() > t) {
                return Watched::Over(state, EndReason::Idle);
            }
            if let Some((seconds, epoch)) = self.seek_asked(player, state) {
                return Watched::Seek(seconds, epoch);
            }
            if last_report.elapsed() >= Duration::from_millis(100) {
                last_report = Instant::now();
                self.report(player);
            }
            // libvlc's end, error and stop events wake this at once; the
            // timeout only paces the checks above.
            player.wait_over(Duration::from_millis(20));
        }
    }

    /// A seek the consumer asked for that can be applied now (others are
    /// answered with why not).
    fn seek_asked(&self, player: &Player, state: State) -> Option<(f64, u32)> {
        let (seconds, epoch) = self.seeks.take()?;
        if self.theirs.is_some() {
            self.seeks.answer(Err("the player is the application's: seek it with its own set_time".into()));
        } else if !player.is_seekable() {
            // Known once VLC plays (before, the input is still opening).
            if matches!(state, State::Playing | State::Paused) {
                self.seeks.answer(Err("the input cannot seek (a live stream?)".into()));
            }
        } else {
            // Played again from the seek's start point: exact as a start
            // time, and nothing from before follows. Answered first: the
            // consumer drops the stale items, which lets a decoder blocked
            // on the full queue go, so the player can stop.
            self.seeks.answer(Ok(()));
            return Some((seconds, epoch));
        }
        None
    }

    fn report(&mut self, player: &Player) {
        let Some(report) = self.progress.as_mut() else { return };
        let (video_frames, audio_blocks) = self.shared.counts();
        report(&Progress {
            position: player.position(),
            time_ms: player.time_ms(),
            length_ms: player.length_ms(),
            video_frames,
            audio_blocks,
            elapsed: self.start.elapsed(),
        });
    }

    /// How an item was played, with VLC's errors while it played.
    fn item_end(
        &self,
        mrl: String,
        media: &Media,
        state: State,
        why: EndReason,
        counts: ((u64, u64), (u64, u64)),
    ) -> ItemEnd {
        let vlc_errors = self
            .log
            .take()
            .into_iter()
            .filter(|l| l.level == "error")
            .map(|l| format!("{}: {}", l.module, l.text))
            .collect();
        let (before, after) = counts;
        ItemEnd {
            // A camera's URL may carry its password: never shown.
            mrl: smem_names::redact_url(&mrl),
            reason: why,
            failed: state == State::Error,
            video_frames: after.0 - before.0,
            audio_blocks: after.1 - before.1,
            tracks: media.tracks(),
            vlc_errors,
        }
    }

    /// The tally, once every player has stopped (but the last one, when
    /// the caller is told before it stops).
    fn end(&self, items: Vec<ItemEnd>, reason: EndReason) -> Result<EndOfStream, Error> {
        if let Some(theirs) = &self.theirs {
            // Stopped already (dropping our Player stops it): it gets its own
            // media back, unless the application gave it another since.
            if theirs.player.media().is_some_and(|now| Some(now.as_raw()) == theirs.given) {
                theirs.player.set_media(&theirs.own);
            }
        }
        let wall = self.start.elapsed();
        let panics =
            [self.video.as_ref().and_then(KindSink::take_panic), self.audio.as_ref().and_then(KindSink::take_panic)];
        if let Some(panic) = panics.into_iter().flatten().next() {
            return Err(Error::Callback(panic));
        }
        // One input that VLC could not play is an error; a playlist's item
        // that fails is reported in its ItemEnd and the others still play.
        if let [item] = &items[..] {
            if item.failed {
                let why =
                    if item.vlc_errors.is_empty() { "no reason given".into() } else { item.vlc_errors.join("; ") };
                return Err(Error::Input(format!("VLC could not play {}: {why}", item.mrl)));
            }
        }
        let count = |kind| items.iter().flat_map(|i| &i.tracks).filter(|t| t.kind == kind).count();
        let (video_frames, audio_blocks) = self.shared.counts();
        Ok(EndOfStream {
            reason,
            video_tracks: count(vlc::TrackKind::Video),
            audio_tracks: count(vlc::TrackKind::Audio),
            video_frames,
            audio_blocks,
            skipped_video_frames: self.shared.seen.load(Ordering::Relaxed) - video_frames,
            wall,
            vlc_errors: items.iter().flat_map(|i| i.vlc_errors.iter().cloned()).collect(),
            frame_abi: self.frame_abi,
            items,
            gaps: self.shared.gaps(),
        })
    }
}

/// The libvlc instance a grab plays on: the process's shared one (VLC
/// started once: no window nor sound, errors kept, the rest of the log not
/// even formatted), or one of its own for a grab with VLC arguments.
fn vlc_instance(vlc_args: &[String]) -> Result<Arc<Instance>, Error> {
    if vlc_args.is_empty() {
        return Instance::shared().map_err(Error::Setup);
    }
    let mut args = vlc::SHARED_ARGS.to_vec();
    if vlc_args.iter().any(|a| a.starts_with("--verbose") || a.starts_with("-v")) {
        args.retain(|a| *a != "--quiet");
    }
    args.extend(vlc_args.iter().map(String::as_str));
    Instance::keeping_log_from(&args, LogLevel::Error).map(Arc::new).map_err(Error::Setup)
}
