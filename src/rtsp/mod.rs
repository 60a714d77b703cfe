//! `smem_rtsp`: `rtsp://` for the VLC 3 that Debian and Ubuntu ship, which
//! has no RTSP input (live555 disabled since 3.0.12-2). An `access_demux`
//! for the `rtsp` scheme, as live555's was (VLC looks those up by scheme
//! before any plain access), on retina (Moonfire NVR's RTSP client): H.264,
//! H.265 and MJPEG video, AAC, G.711 and L16 sound, for VLC's own decoders.
//!
//! What it follows of live555's module (VLC 3.0 `modules/access/live555.cpp`):
//! H.264 and H.265 go through VLC's packetizer (Annex B, not packetized);
//! AAC carries its AudioSpecificConfig; the PCR is the oldest of the
//! tracks' newest times; `DEMUX_GET_PTS_DELAY` is `network-caching`; a
//! live stream cannot pause, seek or be paced; sat.ip URLs are left to
//! VLC's satip module; its option names (`rtsp-tcp`, `rtsp-user`,
//! `rtsp-pwd`). Where it differs: TCP by default; a request that is not
//! answered ends the input within the time set (`rtsp-connect-timeout`); a
//! connection lost while playing (the server gone, no frame for
//! `rtsp-idle-timeout`) is opened again for as long as `rtsp-reconnect`
//! allows (`session.rs`), the tracks going on, their times with the gap in
//! them, the first block after it flagged a discontinuity.
//!
//! A server that cannot be reached, refuses us or does not answer is the
//! input's failure, not a reason to try another module: Open succeeds, and
//! the first Demux ends the input in VLC's Error state. Declining would
//! hand the URL to VLC's `satip` and `realrtsp` accesses, which cannot play
//! a camera and, on a server that does not answer, wait 40 s more. Only a
//! server that offers nothing this input plays is declined, and only where
//! VLC has live555 too, which may play it (MPEG-TS, LATM...).
#![forbid(unsafe_code)]

pub mod clock;
pub mod session;
pub mod settings;
pub mod tracks;

use std::ffi::CStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::camera_clock::{self, CameraClock};
use crate::ffi::access_demux::{self, AccessDemux, EsOut, Frame, Step, TrackId};
use crate::ffi::descriptor::{ConfigOption, ModuleInfo, OptionDefault, StaticCStr, Visibility};
use crate::ffi::object::Object;
use crate::ffi::stream::OpenError;
use crate::ffi::{sys, vlccore};
use clock::Clock;
use session::{End, Event, Session};
use settings::{RawOptions, Settings};
use smem_names::redact_url;
use smem_names::rtsp as names;

pub const MODULE_NAME: &CStr = smem_names::module::RTSP.as_c_str();
/// VLC's own RTSP input, where a VLC has it (not Debian's, not Ubuntu's).
const LIVE555: &CStr = c"live555";

/// How long one `Demux` call waits for a frame: VLC's input checks between
/// calls whether it is being stopped.
const DEMUX_WAIT: Duration = Duration::from_millis(100);
/// Frames one `Demux` call sends at most, so that VLC's input stays responsive.
const DEMUX_BATCH: usize = 16;

pub static OPTIONS: [ConfigOption; 6] = [
    ConfigOption {
        name: names::TCP.as_c_str(),
        default: OptionDefault::Bool(settings::DEFAULT_TCP),
        text: c"Use RTP over RTSP (TCP)",
        longtext: c"RTP interleaved in the RTSP connection (the default here). Off: RTP over UDP, \
                which this input does not reorder (a local network only).",
        advanced: true,
        visibility: Visibility::Private,
    },
    ConfigOption {
        name: names::USER.as_c_str(),
        default: OptionDefault::String(c""),
        text: c"Username",
        longtext: c"The username for the connection, if the URL has none.",
        advanced: true,
        visibility: Visibility::Private,
    },
    ConfigOption {
        name: names::PASSWORD.as_c_str(),
        default: OptionDefault::Password(c""),
        text: c"Password",
        longtext: c"The password for the connection, if the URL has none. Never logged.",
        advanced: true,
        visibility: Visibility::Private,
    },
    ConfigOption {
        name: names::TIMEOUT.as_c_str(),
        default: OptionDefault::Integer(settings::DEFAULT_TIMEOUT_MS),
        text: c"Connection timeout (ms)",
        longtext: c"How long to connect, and to wait for each answer of the server to DESCRIBE, SETUP and PLAY, \
                before the input ends with an error.",
        advanced: true,
        visibility: Visibility::Private,
    },
    ConfigOption {
        name: names::IDLE_TIMEOUT.as_c_str(),
        default: OptionDefault::Integer(settings::DEFAULT_IDLE_TIMEOUT_MS),
        text: c"Idle timeout (ms)",
        longtext: c"How long a playing stream may send no frame before its connection is taken for lost \
                (then reconnected, see rtsp-reconnect).",
        advanced: true,
        visibility: Visibility::Private,
    },
    ConfigOption {
        name: names::RECONNECT.as_c_str(),
        default: OptionDefault::Integer(settings::DEFAULT_RECONNECT_MS),
        text: c"Reconnect for (ms)",
        longtext: c"How long to keep reconnecting after a connection that played is lost (the server gone, \
                the connection reset, no frame for rtsp-idle-timeout), before the input ends with an error. \
                0: end at once; -1: for ever. A first connection that fails is never retried.",
        advanced: true,
        visibility: Visibility::Private,
    },
];

pub static MODULE: ModuleInfo = ModuleInfo {
    name: MODULE_NAME,
    shortname: c"RTSP (Rust)",
    description: c"RTSP input on retina, for smem-rs (Rust)",
    capability: c"access_demux",
    // Above live555's 0 where both are installed; VLC only asks access_demux
    // modules whose shortcut is the URL's scheme.
    score: 10,
    shortcuts: &[StaticCStr::new(MODULE_NAME), StaticCStr::new(smem_names::module::RTSP_SCHEME.as_c_str())],
    category: sys::CAT_INPUT as i64,
    subcategory: sys::SUBCAT_INPUT_ACCESS as i64,
    options: &OPTIONS,
    open: (c"OpenRtsp", access_demux::open::<RtspInput>),
    close: (c"CloseRtsp", access_demux::close::<RtspInput>),
};

/// A stream played: its place in the clock, and VLC's track once declared
/// (an H.264 or H.265 stream whose SDP had no parameter sets is declared
/// at its first key frame, which brings them).
#[derive(Clone, Copy, Debug)]
struct Track {
    id: Option<TrackId>,
    clock_index: usize,
    /// Sent after each frame: [`tracks::access_unit_end`].
    unit_end: Option<&'static [u8]>,
    /// Its next block is the first after a gap: flagged a discontinuity.
    after_gap: bool,
}

pub struct RtspInput {
    /// None: the session did not start (why is logged): Demux fails.
    session: Option<Session>,
    /// By retina's stream index.
    tracks: Vec<Option<Track>>,
    clock: Clock,
    pts_delay: i64,
    /// The URL as it may be logged.
    shown: String,
    started: Instant,
    tally: Tally,
    /// The camera's clock and the gaps, for the smem output serving this
    /// input.
    camera: Arc<CameraClock>,
}

/// What came, for the log at Close.
#[derive(Default)]
struct Tally {
    frames: u64,
    /// Frames before their stream's parameters were known: undecodable.
    frames_before_parameters: u64,
    lost_packets: u64,
    /// Packets the session could not read.
    damaged: u64,
    /// The gaps reconnects ended, in milliseconds.
    gaps_ms: Vec<u128>,
    sender_reports: u64,
}

/// Now, in microseconds since the Unix epoch.
fn unix_micros_now() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    clock::micros_of(now)
}

fn raw_options(log: &Object<'_>) -> RawOptions {
    RawOptions {
        user: log.var_inherit_string(names::USER.as_c_str()),
        password: log.var_inherit_string(names::PASSWORD.as_c_str()),
        tcp: log.var_inherit_bool(names::TCP.as_c_str()),
        timeout_ms: log.var_inherit_integer(names::TIMEOUT.as_c_str()),
        idle_timeout_ms: log.var_inherit_integer(names::IDLE_TIMEOUT.as_c_str()),
        reconnect_ms: log.var_inherit_integer(names::RECONNECT.as_c_str()),
    }
}

impl AccessDemux for RtspInput {
    const MODULE_NAME: &'static CStr = MODULE_NAME;

    fn open(log: &Object<'_>, input: usize, url: &str, out: &mut EsOut) -> Result<Self, OpenError> {
        let shown = redact_url(url);
        // As live555: sat.ip's RTSP is the satip module's.
        let location = url.split_once("://").map_or(url, |(_, rest)| rest);
        if location.starts_with("sat.ip") || log.var_inherit_string(c"satip-host").is_some() {
            log.debug(&format!("{shown} is for SAT>IP: left to the satip module"));
            return Err(OpenError::NotForUs);
        }
        let mut warnings = Vec::new();
        let settings = Settings::new(url, &raw_options(log), &mut warnings).map_err(|e| {
            log.error(&e.to_string());
            OpenError::Refused
        })?;
        warnings.iter().for_each(|w| log.warn(w));
        let transport = if settings.tcp { "TCP" } else { "UDP" };
        log.debug(&format!("connecting to {} (RTP over {transport})", settings.url));
        let started = Instant::now();
        let (session, played, left_out) = match Session::start(settings) {
            Ok(started) => started,
            Err(session::Failure::Unplayable(why)) if vlccore::module_exists(LIVE555) => {
                log.warn(&format!("{shown}: {why}; left to live555"));
                return Err(OpenError::NotForUs);
            }
            Err(session::Failure::Unplayable(why) | session::Failure::Failed(why)) => {
                log.error(&format!("{shown}: {why}"));
                return Ok(RtspInput::new(shown, started, None, Vec::new(), 0, input));
            }
        };
        for why in &left_out {
            log.warn(&format!("{shown}: left out {why}"));
        }
        let mut tracks = vec![None; played.iter().map(|p| p.stream + 1).max().unwrap_or(0)];
        let mut declared = Vec::new();
        for played in &played {
            let name = format!("{}/{}", played.info.media, played.info.encoding);
            let id = match tracks::needs_parameters(&played.info) {
                true => {
                    log.debug(&format!("{name}: no parameter sets in the SDP; declared at the first key frame"));
                    None
                }
                false => match tracks::track_for(&played.info).ok().and_then(|track| out.add(&track)) {
                    Some(id) => Some(id),
                    None => {
                        log.warn(&format!("VLC refused the track {name}"));
                        continue;
                    }
                },
            };
            let unit_end = tracks::access_unit_end(&played.info);
            tracks[played.stream] = Some(Track { id, clock_index: declared.len(), unit_end, after_gap: false });
            declared.push(name);
        }
        let caching_ms = log.var_inherit_integer(c"network-caching").unwrap_or(1000).max(0);
        log.info(&format!("{shown}: playing {} in {} ms", declared.join(", "), started.elapsed().as_millis()));
        Ok(RtspInput::new(shown, started, Some(session), tracks, caching_ms * 1000, input))
    }

    fn demux(&mut self, log: &Object<'_>, out: &mut EsOut) -> Step {
        let mut wait = DEMUX_WAIT;
        for _ in 0..DEMUX_BATCH {
            let Some(session) = &self.session else { return Step::Failed };
            match session.next(wait) {
                None => return Step::More,
                Some(Event::Frame(frame)) => self.send(log, out, frame),
                Some(Event::Damaged(why)) => {
                    if self.tally.damaged == 0 {
                        log.warn(&format!("{}: {why} (the frame is lost; later ones are counted)", self.shown));
                    }
                    self.tally.damaged += 1;
                }
                Some(Event::SenderReport(report)) => self.sender_report(log, report),
                Some(Event::Lost(why)) => {
                    log.warn(&format!("{}: connection lost: {why}; reconnecting", self.shown));
                }
                Some(Event::End(End::Closed)) => {
                    log.info(&format!("{}: the server ended the stream", self.shown));
                    return Step::End;
                }
                Some(Event::End(End::Failed(why))) => {
                    log.error(&format!("{}: {why}", self.shown));
                    return Step::Failed;
                }
            }
            // More only if already waiting.
            wait = Duration::ZERO;
        }
        Step::More
    }

    fn pts_delay(&self) -> i64 {
        self.pts_delay
    }

    fn close(mut self, log: &Object<'_>) {
        if let Some(session) = self.session.take() {
            session.stop();
        }
        log.debug(&format!(
            "{}: {} frames in {:.1} s ({} before their parameter sets, left out), {} RTP packets lost, {} unreadable, \
             {} gaps (ms: {:?}); session ended",
            self.shown,
            self.tally.frames,
            self.started.elapsed().as_secs_f64(),
            self.tally.frames_before_parameters,
            self.tally.lost_packets,
            self.tally.damaged,
            self.tally.gaps_ms.len(),
            self.tally.gaps_ms
        ));
    }
}

impl RtspInput {
    /// An input playing `session`'s `tracks`; without a session, one that
    /// did not start (its first Demux fails).
    fn new(
        shown: String,
        started: Instant,
        session: Option<Session>,
        tracks: Vec<Option<Track>>,
        pts_delay: i64,
        input: usize,
    ) -> RtspInput {
        let clock = Clock::new(tracks.iter().flatten().count());
        let camera = camera_clock::publish(input);
        RtspInput { session, tracks, clock, pts_delay, shown, started, tally: Tally::default(), camera }
    }

    /// A sender report for a stream played: the camera's clock, published.
    fn sender_report(&mut self, log: &Object<'_>, report: session::SenderReport) {
        let Some(Some(_)) = self.tracks.get(report.stream) else { return };
        let Some(time) = self.clock.time_of(clock::micros(report.ticks, report.clock_rate)) else { return };
        let camera_time = camera_clock::ntp_to_unix_micros(report.ntp);
        if self.tally.sender_reports == 0 {
            let ahead_ms = (camera_time - unix_micros_now()) as f64 / 1000.0;
            log.debug(&format!(
                "{}: first sender report: the camera's clock reads {ahead_ms:+.1} ms from ours (its report's time less the time it came)",
                self.shown
            ));
        }
        self.tally.sender_reports += 1;
        self.camera.sender_report(time, camera_time);
    }

    fn send(&mut self, log: &Object<'_>, out: &mut EsOut, frame: session::Frame) {
        let Some(Some(mut track)) = self.tracks.get(frame.stream).copied() else { return };
        if track.id.is_none() {
            let declared =
                frame.parameters.as_ref().and_then(|info| tracks::track_for(info).ok()).and_then(|t| out.add(&t));
            if declared.is_none() {
                self.tally.frames_before_parameters += 1;
                return;
            }
            log.debug(&format!("{}: stream {} declared with its parameter sets", self.shown, frame.stream));
            track.id = declared;
            self.tracks[frame.stream] = Some(track);
        }
        if let Some(gap) = frame.gap {
            log.info(&format!(
                "{}: back after a gap of {} ms ({} connection attempts)",
                self.shown,
                gap.length.as_millis(),
                gap.attempts
            ));
            self.tally.gaps_ms.push(gap.length.as_millis());
            self.clock.resume(clock::micros_of(gap.length));
            for track in self.tracks.iter_mut().flatten() {
                track.after_gap = true;
            }
            track.after_gap = true;
        }
        let Some(id) = track.id else { return };
        let after_gap = std::mem::take(&mut track.after_gap);
        self.tracks[frame.stream] = Some(track);
        let placed = self.clock.frame(track.clock_index, clock::micros(frame.ticks, frame.clock_rate));
        let (pts, jumped) = (placed.pts, placed.jumped);
        if jumped {
            log.warn(&format!("{}: the stream's times jumped; VLC's clock starts anew", self.shown));
            out.reset_pcr();
        }
        if frame.loss > 0 {
            if self.tally.lost_packets == 0 {
                log.warn(&format!(
                    "{}: {} RTP packets lost (first loss; the rest are counted)",
                    self.shown, frame.loss
                ));
            }
            self.tally.lost_packets += u64::from(frame.loss);
        }
        if let Some(gap) = frame.gap {
            self.camera.gap(pts, clock::micros_of(gap.length));
        }
        let sent = out.send(
            id,
            &Frame {
                data: &frame.data,
                pts,
                key: frame.key,
                discontinuity: jumped || after_gap,
                corrupted: frame.loss > 0,
            },
        );
        if sent {
            self.tally.frames += 1;
            if let Some(end) = track.unit_end {
                out.send_untimed(id, end);
            }
        }
        if let Some(pcr) = self.clock.pcr() {
            out.set_pcr(pcr);
        }
    }
}
