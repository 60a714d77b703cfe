//! One RTSP session on a thread of its own: a current-thread tokio runtime
//! that runs retina (DESCRIBE, SETUP, PLAY, then the frames) and ends with
//! the input: Close stops it, the session's TEARDOWN goes out, and the
//! thread, its sockets and its tasks are gone when [`Session::stop`]
//! returns. Nothing of ours runs after Close, so VLC may unload the plugin.
//!
//! Frames cross to VLC's input thread through a bounded channel: when VLC
//! is slower than the camera the session waits (TCP pushes back on the
//! server) rather than dropping frames.
//!
//! A connection lost after the session played (the server went away, the
//! connection broke, nothing came for `rtsp-idle-timeout`) is opened again,
//! after 0.25 s, 0.5 s, 1 s, then every 2 s, for as long as
//! `rtsp-reconnect` allows; every attempt bounded by `rtsp-connect-timeout` and by
//! that limit. The streams must be the same as before (the same encodings
//! in the same places): VLC's tracks go on. The first frame after the gap
//! says how long it was. A first connection that fails is not retried: a
//! wrong URL fails at once.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use futures_util::StreamExt;
use retina::client::{self, Demuxed, InitialTimestampPolicy, PlayOptions, SessionGroup, SetupOptions, Transport};
use retina::codec::{CodecItem, FrameFormat, ParameterSetInsertion, ParametersRef};
use tokio::sync::{oneshot, Notify};
use tokio::time::Instant;

use super::settings::{Reconnect, Settings};
use super::tracks::{track_for, StreamInfo};

/// Frames waiting for VLC's input thread, at most.
const QUEUE: usize = 64;
/// How long Close waits for the TEARDOWN to be answered.
const TEARDOWN_WAIT: Duration = Duration::from_secs(1);
/// How long the runtime's end waits for work outside it (a name lookup).
const SHUTDOWN_WAIT: Duration = Duration::from_millis(100);
/// The wait before the first attempt to reconnect, doubled after each
/// failed one up to [`RECONNECT_MAX_WAIT`].
const RECONNECT_FIRST_WAIT: Duration = Duration::from_millis(250);
const RECONNECT_MAX_WAIT: Duration = Duration::from_secs(2);

/// How frames come: H.264 and H.265 as in MP4 (4-byte NAL lengths, the
/// avcC/hvcC record as set-up) with their parameter sets again before
/// every key frame (a camera may change them), AAC raw with its
/// AudioSpecificConfig as set-up (`tracks.rs` says why).
const FORMAT: FrameFormat = FrameFormat {
    h26x_framing: retina::codec::h26x::Framing::FourByteLength,
    parameter_set_insertion: ParameterSetInsertion::EachKeyFrame,
    aac_framing: retina::codec::aac::Framing::Raw,
};

/// Why a session did not start.
#[derive(Debug)]
pub enum Failure {
    /// The server answered, but nothing it offers can be played here.
    Unplayable(String),
    /// The server could not be reached, refused us, or did not answer.
    Failed(String),
}

/// A stream the session plays, with what is known of it at PLAY.
#[derive(Clone, Debug)]
pub struct Played {
    pub stream: usize,
    pub info: StreamInfo,
}

/// A frame of one stream.
#[derive(Debug)]
pub struct Frame {
    pub stream: usize,
    pub data: Vec<u8>,
    /// RTP ticks since the stream's start (shared by the streams).
    pub ticks: i64,
    pub clock_rate: u32,
    pub key: bool,
    /// RTP packets lost just before it.
    pub loss: u16,
    /// The stream's parameters, when this frame brought new ones (a video
    /// stream whose SDP had none gets them at its first key frame).
    pub parameters: Option<StreamInfo>,
    /// The first frame after a reconnect: the gap before it.
    pub gap: Option<Gap>,
}

/// What a sender report says: RTP time `ticks` (as a [`Frame`]'s) of
/// `stream` was `ntp` (NTP's 64-bit format) on the camera's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SenderReport {
    pub stream: usize,
    pub ticks: i64,
    pub clock_rate: u32,
    pub ntp: u64,
}

/// A time with no frame, between a lost connection's last frame and the
/// next session's first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gap {
    pub length: Duration,
    /// The connections tried to end it.
    pub attempts: u32,
}

/// How a session ended by itself.
#[derive(Debug)]
pub enum End {
    /// The server closed the session (TEARDOWN, BYE, end of a recording).
    Closed,
    Failed(String),
}

#[derive(Debug)]
pub enum Event {
    Frame(Frame),
    /// Packets the session could not read (lost fragments, a stream joined
    /// mid-frame): it goes on; the frames they belonged to are lost.
    Damaged(String),
    /// The connection was lost, why; the session reconnects.
    Lost(String),
    /// An RTCP sender report: the camera's wall-clock time of a stream's
    /// RTP time.
    SenderReport(SenderReport),
    End(End),
}

/// What retina says of an error, without the connection's details that
/// follow its first line.
fn said(error: &retina::Error) -> String {
    error.to_string().lines().next().unwrap_or_default().to_owned()
}

type Started = Result<(Vec<Played>, Vec<String>), Failure>;

pub struct Session {
    events: Receiver<Event>,
    /// Told when VLC took a frame: the session may send again.
    room: Arc<Notify>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Session {
    /// Connects and starts playing; returns the streams played and, by
    /// name, those left out. Bounded by the settings' timeout for each
    /// request.
    pub fn start(settings: Settings) -> Result<(Session, Vec<Played>, Vec<String>), Failure> {
        let (started_tx, started_rx) = mpsc::sync_channel::<Started>(1);
        let (events_tx, events) = mpsc::sync_channel(QUEUE);
        let (stop, stop_rx) = oneshot::channel();
        let room = Arc::new(Notify::new());
        let session_room = room.clone();
        // The requests' own timeouts bound the start; this only guards
        // against a thread that never answers at all.
        let bound = settings.timeout * 8 + TEARDOWN_WAIT;
        let thread = std::thread::Builder::new()
            .name("smem_rtsp".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_io().enable_time().build();
                match runtime {
                    Ok(runtime) => {
                        runtime.block_on(run(settings, started_tx, events_tx, session_room, stop_rx));
                        // A name lookup still running (getaddrinfo, on the
                        // blocking pool) must not hold Close past the
                        // timeouts: it finishes alone (the plugin stays
                        // mapped: -z nodelete).
                        runtime.shutdown_timeout(SHUTDOWN_WAIT);
                    }
                    Err(e) => {
                        let _ = started_tx.send(Err(Failure::Failed(format!("cannot start its runtime: {e}"))));
                    }
                }
            })
            .map_err(|e| Failure::Failed(format!("cannot start its thread: {e}")))?;
        let mut session = Session { events, room, stop: Some(stop), thread: Some(thread) };
        match started_rx.recv_timeout(bound) {
            Ok(Ok((played, left_out))) => Ok((session, played, left_out)),
            Ok(Err(failure)) => {
                session.end();
                Err(failure)
            }
            Err(_) => {
                session.end();
                Err(Failure::Failed("the session neither started nor failed".into()))
            }
        }
    }

    /// The next event, waiting at most `wait`; `None` if none came.
    pub fn next(&self, wait: Duration) -> Option<Event> {
        let event = match self.events.recv_timeout(wait) {
            Ok(event) => Some(event),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => Some(Event::End(End::Failed("the session's thread ended".into()))),
        };
        self.room.notify_one();
        event
    }

    /// Stops the session (TEARDOWN) and joins its thread.
    pub fn stop(mut self) {
        self.end();
    }

    fn end(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // A session blocked on a full queue is woken to see the stop.
        self.room.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.end();
    }
}

async fn run(
    settings: Settings,
    started: SyncSender<Started>,
    events: SyncSender<Event>,
    room: Arc<Notify>,
    mut stop: oneshot::Receiver<()>,
) {
    let group = Arc::new(SessionGroup::default());
    let opened = tokio::select! {
        _ = &mut stop => None,
        opened = open(&settings, group.clone()) => Some(opened),
    };
    match opened {
        Some(Ok((mut demuxed, played, left_out))) => {
            let streams: Vec<usize> = played.iter().map(|p| p.stream).collect();
            if started.send(Ok((played.clone(), left_out))).is_ok() {
                let mut last_frame = Instant::now();
                let mut resumed = None;
                loop {
                    let end = tokio::select! {
                        _ = &mut stop => break,
                        end = pump(&mut demuxed, &streams, &events, &room, &settings, &mut last_frame, &mut resumed) => end,
                    };
                    let end = match (end, settings.reconnect) {
                        (End::Failed(why), Reconnect::For(_) | Reconnect::Forever) => {
                            if !deliver(&events, &room, Event::Lost(why.clone())).await {
                                break;
                            }
                            drop(demuxed);
                            tokio::select! {
                                _ = &mut stop => break,
                                again = reconnect(&settings, &group, &played, &why) => match again {
                                    Ok((next, attempts)) => {
                                        (demuxed, resumed) = (next, Some(attempts));
                                        continue;
                                    }
                                    Err(failed) => End::Failed(failed),
                                },
                            }
                        }
                        (end, _) => end,
                    };
                    // Waits for room like a frame (a stop still ends it).
                    tokio::select! {
                        _ = &mut stop => {}
                        _ = deliver(&events, &room, Event::End(end)) => {}
                    }
                    break;
                }
            }
        }
        Some(Err(failure)) => {
            let _ = started.send(Err(failure));
        }
        None => {}
    }
    // The session is dropped: retina sends its TEARDOWN on a task of this
    // runtime, given a moment to be answered.
    let _ = tokio::time::timeout(TEARDOWN_WAIT, group.await_teardown()).await;
}

/// Opens the session again after a loss (`why`), with a backoff, until it
/// plays the same streams as before or `settings.reconnect` runs out;
/// returns it and the attempts it took, or why the input ends.
async fn reconnect(
    settings: &Settings,
    group: &Arc<SessionGroup>,
    played: &[Played],
    why: &str,
) -> Result<(Demuxed, u32), String> {
    let lost = Instant::now();
    let limit = match settings.reconnect {
        Reconnect::For(limit) => Some(limit),
        Reconnect::Forever => None,
        Reconnect::Never => return Err(why.to_owned()),
    };
    let deadline = limit.map(|limit| lost + limit);
    let gave_up = |last: &str| {
        let ms = limit.unwrap_or_default().as_millis();
        format!("{why}; not back within {ms} ms ({}); the last attempt: {last}", smem_names::rtsp::RECONNECT)
    };
    let mut wait = RECONNECT_FIRST_WAIT;
    let mut attempts = 0;
    let mut last_failure = String::new();
    loop {
        if attempts > 0 && deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return Err(gave_up(&last_failure));
        }
        // The first attempt at once: a server that restarted may be back.
        attempts += 1;
        let mut bounded = settings.clone();
        if let Some(deadline) = deadline {
            bounded.timeout = bounded.timeout.min(deadline.saturating_duration_since(Instant::now()));
        }
        match open(&bounded, group.clone()).await {
            Ok((demuxed, again, _)) => {
                let same = |p: &Played, q: &Played| {
                    p.stream == q.stream
                        && p.info.media.eq_ignore_ascii_case(&q.info.media)
                        && p.info.encoding.eq_ignore_ascii_case(&q.info.encoding)
                };
                if again.len() == played.len() && again.iter().zip(played).all(|(p, q)| same(p, q)) {
                    return Ok((demuxed, attempts));
                }
                let names = |streams: &[Played]| {
                    streams
                        .iter()
                        .map(|p| format!("{}/{}", p.info.media, p.info.encoding))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                return Err(format!("{why}; back with other streams ({}, was {})", names(&again), names(played)));
            }
            Err(Failure::Failed(e) | Failure::Unplayable(e)) => last_failure = e,
        }
        let pause = deadline.map_or(wait, |deadline| wait.min(deadline.saturating_duration_since(Instant::now())));
        tokio::time::sleep(pause).await;
        wait = (wait * 2).min(RECONNECT_MAX_WAIT);
    }
}

/// One request, bounded by the settings' timeout; a failure says which.
async fn request<T>(
    settings: &Settings,
    what: &str,
    future: impl std::future::Future<Output = Result<T, retina::Error>>,
) -> Result<T, Failure> {
    match tokio::time::timeout(settings.timeout, future).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(Failure::Failed(format!("{what} failed: {}", said(&e)))),
        Err(_) => Err(Failure::Failed(format!(
            "no answer to {what} within {} ms ({})",
            settings.timeout.as_millis(),
            smem_names::rtsp::TIMEOUT
        ))),
    }
}

fn info_of(stream: &client::Stream) -> StreamInfo {
    let mut info = StreamInfo {
        media: stream.media().to_owned(),
        encoding: stream.encoding_name().to_owned(),
        clock_rate: stream.clock_rate_hz(),
        channels: stream.channels().map(|c| c.get()),
        ..StreamInfo::default()
    };
    match stream.parameters() {
        Some(ParametersRef::Video(video)) => {
            info.dimensions = Some(video.pixel_dimensions());
            // retina gives seconds per frame as (numerator, denominator).
            info.frame_rate = video.frame_rate().map(|(num, den)| (den, num));
            info.extra = video.extra_data().to_vec();
        }
        Some(ParametersRef::Audio(audio)) => {
            info.clock_rate = audio.clock_rate();
            info.channels = Some(audio.channels().get());
            info.extra = audio.extra_data().to_vec();
        }
        _ => {}
    }
    info
}

async fn open(settings: &Settings, group: Arc<SessionGroup>) -> Result<(Demuxed, Vec<Played>, Vec<String>), Failure> {
    let creds = settings
        .credentials
        .as_ref()
        .map(|c| client::Credentials { username: c.user.clone(), password: c.password.clone() });
    let options = client::SessionOptions::default()
        .creds(creds)
        .session_group(group)
        .user_agent(format!("smem-rs/{} (VLC smem_rtsp)", env!("CARGO_PKG_VERSION")));
    let mut session = request(settings, "DESCRIBE", client::Session::describe(settings.url.clone(), options)).await?;
    let mut chosen = Vec::new();
    let mut left_out = Vec::new();
    for (index, stream) in session.streams().iter().enumerate() {
        match track_for(&info_of(stream)) {
            Ok(_) => chosen.push(index),
            Err(why) => left_out.push(why),
        }
    }
    if chosen.is_empty() {
        let offered = if left_out.is_empty() { "no stream".to_owned() } else { left_out.join("; ") };
        return Err(Failure::Unplayable(format!("nothing this input can play: {offered}")));
    }
    let transport = match settings.tcp {
        true => Transport::Tcp(Default::default()),
        false => Transport::Udp(Default::default()),
    };
    for &index in &chosen {
        let setup = SetupOptions::default().transport(transport.clone()).frame_format(FORMAT);
        request(settings, "SETUP", session.setup(index, setup)).await?;
    }
    // Streams whose RTP-Info lacks an rtptime start at their first packet.
    let play = PlayOptions::default().initial_timestamp(InitialTimestampPolicy::Permissive);
    let playing = request(settings, "PLAY", session.play(play)).await?;
    let demuxed = playing.demuxed().map_err(|e| Failure::Failed(format!("cannot read the streams: {}", said(&e))))?;
    let played =
        chosen.iter().map(|&stream| Played { stream, info: info_of(&demuxed.streams()[stream]) }).collect::<Vec<_>>();
    Ok((demuxed, played, left_out))
}

/// Errors with no frame between them after which the session is taken
/// for broken (a damaged stream recovers at its next key frame).
const MAX_ERRORS_IN_A_ROW: u32 = 200;

/// RTCP's BYE: the sender leaves.
const RTCP_BYE: u8 = 203;

/// Hands the session's frames to VLC until it ends: the server says BYE
/// on every stream played (a recording's end), or the session fails (the
/// connection closed or broke, nothing for `idle`). An error after which
/// the session goes on (a damaged packet) is reported and counted.
///
/// `last_frame` is when the newest frame came; `resumed`, the attempts a
/// reconnect took, until the first frame after it carries its gap.
async fn pump(
    demuxed: &mut Demuxed,
    streams: &[usize],
    events: &SyncSender<Event>,
    room: &Notify,
    settings: &Settings,
    last_frame: &mut Instant,
    resumed: &mut Option<u32>,
) -> End {
    let idle = settings.idle_timeout;
    let mut deadline = Instant::now() + idle;
    let mut left: Vec<usize> = Vec::new();
    let mut last_error: Option<String> = None;
    let mut errors_in_a_row = 0;
    loop {
        let item = match tokio::time::timeout_at(deadline, demuxed.next()).await {
            Err(_) => {
                let ms = idle.as_millis();
                return End::Failed(format!("no frame for {ms} ms ({})", smem_names::rtsp::IDLE_TIMEOUT));
            }
            Ok(None) => {
                let why = last_error
                    .map_or("the server closed the connection".into(), |e| format!("the session failed: {e}"));
                return End::Failed(why);
            }
            Ok(Some(Err(e))) => {
                let error = said(&e);
                errors_in_a_row += 1;
                if errors_in_a_row > MAX_ERRORS_IN_A_ROW {
                    return End::Failed(format!("the session failed: {error}"));
                }
                if !deliver(events, room, Event::Damaged(error.clone())).await {
                    return End::Closed;
                }
                last_error = Some(error);
                continue;
            }
            Ok(Some(Ok(item))) => item,
        };
        let mut frame = match item {
            CodecItem::VideoFrame(f) => Frame {
                stream: f.stream_id(),
                ticks: f.timestamp().elapsed(),
                clock_rate: f.timestamp().clock_rate().get(),
                key: f.is_random_access_point(),
                loss: f.loss(),
                parameters: f.has_new_parameters().then(|| info_of(&demuxed.streams()[f.stream_id()])),
                gap: None,
                data: f.into_data(),
            },
            CodecItem::AudioFrame(f) => Frame {
                stream: f.stream_id(),
                ticks: f.timestamp().elapsed(),
                clock_rate: f.timestamp().clock_rate().get(),
                key: true,
                loss: f.loss(),
                parameters: None,
                gap: None,
                data: f.data().to_vec(),
            },
            CodecItem::Rtcp(rtcp) => {
                let report = rtcp.pkts().find_map(|p| p.as_sender_report().ok().flatten());
                if let (Some(report), Some(time)) = (report, rtcp.rtp_timestamp()) {
                    let report = SenderReport {
                        stream: rtcp.stream_id(),
                        ticks: time.elapsed(),
                        clock_rate: time.clock_rate().get(),
                        ntp: report.ntp_timestamp().0,
                    };
                    if !deliver(events, room, Event::SenderReport(report)).await {
                        return End::Closed;
                    }
                }
                if rtcp.pkts().any(|p| p.payload_type() == RTCP_BYE) && !left.contains(&rtcp.stream_id()) {
                    left.push(rtcp.stream_id());
                    if streams.iter().all(|s| left.contains(s)) {
                        return End::Closed;
                    }
                }
                continue;
            }
            _ => continue, // ONVIF metadata
        };
        let now = Instant::now();
        if let Some(attempts) = resumed.take() {
            frame.gap = Some(Gap { length: now - *last_frame, attempts });
        }
        (*last_frame, deadline) = (now, now + idle);
        (last_error, errors_in_a_row) = (None, 0);
        if !deliver(events, room, Event::Frame(frame)).await {
            return End::Closed;
        }
    }
}

/// Queues `event` for VLC's input thread, waiting for room; `false` if the
/// input is gone.
async fn deliver(events: &SyncSender<Event>, room: &Notify, mut event: Event) -> bool {
    loop {
        match events.try_send(event) {
            Ok(()) => return true,
            Err(TrySendError::Full(back)) => {
                event = back;
                room.notified().await;
            }
            Err(TrySendError::Disconnected(_)) => return false,
        }
    }
}
