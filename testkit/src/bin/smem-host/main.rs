//! smem-host: a small libvlc application that plays media through a
//! `:sout=...:smem{...}` chain with callbacks of its own, and records what
//! arrives. The tests and `make bench` drive VLC through it.
//!
//!   smem-host play MEDIA [--chain T] [--time-sync B] [--no-video] [--no-audio]
//!       [--smem-opts S] [--sout RAW] [--option O]... [--video-out F]
//!       [--audio-out F] [--report F] [--log F]
//!       [--null-every N] [--callback-sleep-us US] [--report-rss] [--seek MS] [--stop-after MS] [--video-off-on MS,MS]
//!       [--abi frame|legacy] [--hold none|keep:N|after-exit|twice|never|elsewhere]
//!       [--playlist] [--then MEDIA]... [--no-sout] [--fill-template IN OUT]
//!       [--timeout S] [--vlc-arg A]... [--quiet]
//!   smem-host soak DIR [--cycles N] [--players N]
//!   smem-host gen-y4m PATH WxH FPS FRAMES
//!   smem-host gen-wav PATH RATE CHANNELS SECONDS

mod frames;
mod soak;

use smem_client::vlc as libvlc;
use smem_client::{Callbacks, SmemChain};
use smem_testkit::report::{Call, Report, TrackReport};
use smem_testkit::{media, script};

use std::ffi::{c_int, c_uint, c_void};
use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

/// When playback started: report lines carry their arrival time from here.
static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

fn since_start_us() -> u128 {
    START.get().map(|s| s.elapsed().as_micros()).unwrap_or(0)
}

/// Whether a delivery (prerender to postrender) is in progress, across
/// tracks: stock smem never started one while another was (VLC's sout lock),
/// and applications may rely on that.
static DELIVERING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static OVERLAPS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn delivery_starts() {
    use std::sync::atomic::Ordering::SeqCst;
    if DELIVERING.swap(true, SeqCst) {
        OVERLAPS.fetch_add(1, SeqCst);
    }
}

fn delivery_ends() {
    DELIVERING.store(false, std::sync::atomic::Ordering::SeqCst);
}

pub(crate) const MAGIC_VIDEO: u64 = 0x5649_4445_4f5f_5f5f;
pub(crate) const MAGIC_AUDIO: u64 = 0x4155_4449_4f5f_5f5f;

/// What one track's callbacks saw. Its address is the `*-data` pointer.
pub(crate) struct Track {
    magic: u64,
    state: Mutex<TrackState>,
}

#[derive(Default)]
struct TrackState {
    buffer: Vec<u8>,
    prerender_size: usize,
    count: u64,
    null_every: u64,
    /// Time prerender takes, to widen the window in which deliveries could overlap.
    callback_sleep: Duration,
    prerender_calls: u64,
    bytes: u64,
    errors: Vec<String>,
    first_pts: Option<i64>,
    last_pts: i64,
    format: String,
    calls: Vec<Call>,
    out: Option<std::io::BufWriter<std::fs::File>>,
    /// If set, every video frame must have this width (a frame of another
    /// player's media arriving here would be cross-talk).
    expect_width: Option<i32>,
    /// The threads that called this track's callbacks (pthread id, name).
    threads: Vec<(u64, String)>,
    /// Add the process's resident memory to each report line.
    report_rss: bool,
    /// The process's minor page faults at the first prerender and the last postrender.
    faults: Option<(u64, u64)>,
    /// `--abi frame`: what the frame ABI told, and the hold mode.
    frames: frames::FrameState,
}

/// Minor page faults of this process so far.
fn minor_faults() -> u64 {
    // SAFETY: getrusage fills the struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    usage.ru_minflt.max(0) as u64
}

/// The calling thread: its pthread id and name.
fn this_thread() -> (u64, String) {
    let mut name = [0u8; 16];
    // SAFETY: pthread_self is always valid; the buffer holds 16 bytes, the
    // most a Linux thread name takes with its NUL.
    let me = unsafe { libc::pthread_self() };
    unsafe { libc::pthread_getname_np(me, name.as_mut_ptr().cast(), name.len()) };
    let len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    (me as u64, String::from_utf8_lossy(&name[..len]).into_owned())
}

/// Resident memory of this process now.
fn rss_kb() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4
}

impl Track {
    fn new(magic: u64) -> Track {
        Track { magic, state: Mutex::default() }
    }
    fn data(&self) -> usize {
        self as *const Track as usize
    }
}

/// Finds the track behind a data pointer, or None if VLC gave us garbage.
fn track<'a>(data: *mut c_void, magic: u64) -> Option<&'a Track> {
    // SAFETY: the data pointers we hand out point at Tracks alive for the
    // whole playback; a wrong pointer is caught by the magic check.
    let track = unsafe { (data as *const Track).as_ref()? };
    (track.magic == magic).then_some(track)
}

fn prerender(data: *mut c_void, buffer: *mut *mut u8, size: usize, magic: u64) {
    let Some(track) = track(data, magic) else {
        eprintln!("smem-host: prerender called with a foreign data pointer");
        std::process::abort();
    };
    delivery_starts();
    let mut st = track.state.lock().unwrap();
    st.prerender_calls += 1;
    st.prerender_size = size;
    // SAFETY: always valid; cheap, so the name is looked up on new threads only.
    let me = unsafe { libc::pthread_self() } as u64;
    if !st.threads.iter().any(|(id, _)| *id == me) {
        st.threads.push(this_thread());
    }
    if st.faults.is_none() {
        let now = minor_faults();
        st.faults = Some((now, now));
    }
    std::thread::sleep(st.callback_sleep);
    if st.null_every > 0 && st.prerender_calls % st.null_every == 0 {
        // SAFETY: `buffer` is the out-parameter smem passes us.
        unsafe { *buffer = std::ptr::null_mut() };
        delivery_ends();
        return;
    }
    // Grown once and reused: the host should cost as little as a real client.
    if st.buffer.len() < size.max(1) {
        st.buffer.resize(size.max(1), 0xAA);
    }
    // SAFETY: as above; the buffer stays put until postrender.
    unsafe { *buffer = st.buffer.as_mut_ptr() };
}

fn record<'t>(track: &'t Track, buffer: *mut u8, size: usize, mut call: Call) -> std::sync::MutexGuard<'t, TrackState> {
    let mut st = track.state.lock().unwrap();
    if buffer != st.buffer.as_mut_ptr() {
        st.errors.push(format!("postrender buffer {buffer:p} is not the prerender buffer"));
    }
    if size != st.prerender_size {
        let expected = st.prerender_size;
        st.errors.push(format!("postrender size {size} != prerender size {expected}"));
    }
    st.count += 1;
    st.bytes += size as u64;
    if let Some((_, last)) = st.faults.as_mut() {
        *last = minor_faults();
    }
    st.first_pts.get_or_insert(call.pts);
    st.last_pts = call.pts;
    call.t_us = since_start_us() as u64;
    call.rss_kb = st.report_rss.then(rss_kb);
    st.calls.push(call);
    let TrackState { out, buffer, .. } = &mut *st;
    if let Some(out) = out.as_mut() {
        let _ = out.write_all(&buffer[..size]);
    }
    delivery_ends();
    st
}

pub(crate) extern "C" fn video_prerender(data: *mut c_void, buffer: *mut *mut u8, size: usize) {
    prerender(data, buffer, size, MAGIC_VIDEO)
}

pub(crate) extern "C" fn audio_prerender(data: *mut c_void, buffer: *mut *mut u8, size: usize) {
    prerender(data, buffer, size, MAGIC_AUDIO)
}

pub(crate) extern "C" fn video_postrender(
    data: *mut c_void,
    buffer: *mut u8,
    width: c_int,
    height: c_int,
    pixel_pitch: c_int,
    size: usize,
    pts: i64,
) {
    let Some(track) = track(data, MAGIC_VIDEO) else { std::process::abort() };
    let call = Call {
        pts,
        size,
        width: width as u32,
        height: height as u32,
        pixel_pitch: pixel_pitch as u32,
        ..Call::default()
    };
    let mut st = record(track, buffer, size, call);
    if st.expect_width.is_some_and(|w| w != width) {
        st.errors.push(format!("cross-talk: a {width} pixel wide frame reached this player"));
    }
    st.format = format!("{width}x{height} pixel_pitch={pixel_pitch} size={size}");
}

pub(crate) extern "C" fn audio_postrender(
    data: *mut c_void,
    buffer: *mut u8,
    channels: c_uint,
    rate: c_uint,
    nb_samples: c_uint,
    bits_per_sample: c_uint,
    size: usize,
    pts: i64,
) {
    let Some(track) = track(data, MAGIC_AUDIO) else { std::process::abort() };
    let call = Call { pts, size, channels, rate, nb_samples, bits_per_sample, ..Call::default() };
    let mut st = record(track, buffer, size, call);
    st.format = format!("{channels} channels {rate} Hz {bits_per_sample} bits");
}

#[derive(Default)]
pub(crate) struct PlayArgs {
    media: String,
    chain: String,
    time_sync: Option<String>,
    no_video: bool,
    no_audio: bool,
    smem_opts: String,
    sout: Option<String>,
    options: Vec<String>,
    video_out: Option<String>,
    audio_out: Option<String>,
    report: Option<String>,
    log: Option<String>,
    null_every: u64,
    callback_sleep_us: u64,
    report_rss: bool,
    /// `--abi frame`: the frame callbacks instead of the prerender/postrender pairs.
    frame_abi: bool,
    hold: frames::HoldMode,
    script: script::Script,
    playlist: bool,
    /// Media played after MEDIA on the same player (and so the same stream
    /// output, with :sout-keep).
    then: Vec<String>,
    no_sout: bool,
    template: Option<(String, String)>,
    timeout: f64,
    vlc_args: Vec<String>,
    quiet: bool,
}

fn parse_play(args: &[String]) -> Result<PlayArgs, String> {
    let mut p = PlayArgs { timeout: 120.0, ..Default::default() };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--chain" => p.chain = value()?,
            "--time-sync" => p.time_sync = Some(value()?),
            "--no-video" => p.no_video = true,
            "--no-audio" => p.no_audio = true,
            "--quiet" => p.quiet = true,
            "--smem-opts" => p.smem_opts = value()?,
            "--sout" => p.sout = Some(value()?),
            "--option" => p.options.push(value()?),
            "--video-out" => p.video_out = Some(value()?),
            "--audio-out" => p.audio_out = Some(value()?),
            "--report" => p.report = Some(value()?),
            "--log" => p.log = Some(value()?),
            "--null-every" => p.null_every = value()?.parse().map_err(|_| "--null-every takes a number")?,
            "--callback-sleep-us" => {
                p.callback_sleep_us = value()?.parse().map_err(|_| "--callback-sleep-us takes microseconds")?
            }
            "--report-rss" => p.report_rss = true,
            "--abi" => match value()?.as_str() {
                "frame" => p.frame_abi = true,
                "legacy" => p.frame_abi = false,
                other => return Err(format!("--abi takes frame or legacy, not {other}")),
            },
            "--hold" => p.hold = frames::parse_hold(&value()?)?,
            "--seek" => p.script.seek_ms = Some(value()?.parse().map_err(|_| "--seek takes milliseconds")?),
            "--stop-after" => {
                p.script.stop_after_ms = Some(value()?.parse().map_err(|_| "--stop-after takes milliseconds")?)
            }
            "--video-off-on" => {
                let v = value()?;
                let ms = v.split_once(',').and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
                p.script.video_off_on_ms = Some(ms.ok_or("--video-off-on takes OFF_MS,ON_MS")?);
            }
            "--playlist" => p.playlist = true,
            "--then" => p.then.push(value()?),
            "--no-sout" => p.no_sout = true,
            "--fill-template" => {
                let from = value()?;
                p.template = Some((from, value()?));
            }
            "--timeout" => p.timeout = value()?.parse().map_err(|_| "--timeout takes seconds")?,
            "--vlc-arg" => p.vlc_args.push(value()?),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            s if p.media.is_empty() => p.media = s.to_owned(),
            s => return Err(format!("unexpected argument {s}")),
        }
    }
    if p.media.is_empty() {
        return Err("play needs a media path".into());
    }
    Ok(p)
}

/// Replaces {vpre} {vpost} {apre} {apost} {vdata} {adata} by this
/// process's callback addresses and the tracks' data pointers.
fn fill_placeholders(text: &str, video: &Track, audio: &Track) -> String {
    let (vpre, vpost) = (video_prerender as *const () as usize, video_postrender as *const () as usize);
    let (apre, apost) = (audio_prerender as *const () as usize, audio_postrender as *const () as usize);
    let (vframe, aframe) = (frames::video_frame as *const () as usize, frames::audio_frame as *const () as usize);
    text.replace("{vframe}", &vframe.to_string())
        .replace("{aframe}", &aframe.to_string())
        .replace("{vpre}", &vpre.to_string())
        .replace("{vpost}", &vpost.to_string())
        .replace("{apre}", &apre.to_string())
        .replace("{apost}", &apost.to_string())
        .replace("{vdata}", &video.data().to_string())
        .replace("{adata}", &audio.data().to_string())
}

/// The `#...:smem{...}` chain for these tracks: `--sout` as given (its
/// placeholders filled in), or built from the other options.
pub(crate) fn sout_string(p: &PlayArgs, video: &Track, audio: &Track) -> String {
    if let Some(raw) = &p.sout {
        return fill_placeholders(raw, video, audio);
    }
    let callbacks = |track: &Track, prerender: usize, postrender: usize, frame: usize| {
        if p.frame_abi {
            Callbacks::Frames { callback: frame, data: track.data() }
        } else {
            Callbacks::Pair { prerender, postrender, data: track.data() }
        }
    };
    let mut options: Vec<String> = p.time_sync.iter().map(|sync| format!("time-sync={sync}")).collect();
    options.push(fill_placeholders(&p.smem_opts, video, audio));
    SmemChain {
        head: p.chain.clone(),
        video: (!p.no_video).then(|| {
            callbacks(
                video,
                video_prerender as *const () as usize,
                video_postrender as *const () as usize,
                frames::video_frame as *const () as usize,
            )
        }),
        audio: (!p.no_audio).then(|| {
            callbacks(
                audio,
                audio_prerender as *const () as usize,
                audio_postrender as *const () as usize,
                frames::audio_frame as *const () as usize,
            )
        }),
        options,
    }
    .sout()
}

fn play(p: &PlayArgs) -> Result<bool, String> {
    let video = Box::new(Track::new(MAGIC_VIDEO));
    let audio = Box::new(Track::new(MAGIC_AUDIO));
    for (track, out) in [(&video, &p.video_out), (&audio, &p.audio_out)] {
        let mut st = track.state.lock().unwrap();
        st.null_every = p.null_every;
        st.callback_sleep = Duration::from_micros(p.callback_sleep_us);
        st.report_rss = p.report_rss;
        st.frames.hold = p.hold;
        if let Some(path) = out {
            st.out = Some(std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?));
        }
    }
    let sout = sout_string(p, &video, &audio);
    if let Some((from, to)) = &p.template {
        let text = std::fs::read_to_string(from).map_err(|e| format!("{from}: {e}"))?;
        std::fs::write(to, fill_placeholders(&text, &video, &audio)).map_err(|e| format!("{to}: {e}"))?;
    }
    let mut vlc_args: Vec<&str> = vec!["--no-xlib", "--aout=dummy", "--vout=dummy", "--no-stats", "--quiet"];
    vlc_args.extend(p.vlc_args.iter().map(String::as_str));
    let instance = libvlc::Instance::new(&vlc_args)?;
    let _ = START.set(std::time::Instant::now());
    let mut options = if p.no_sout { vec![] } else { vec![format!(":sout={sout}")] };
    options.extend(p.options.iter().cloned());
    let timeout = Duration::from_secs_f64(p.timeout);
    let media = instance.media(&p.media)?;
    // A playlist's items are played one by one, each with the application's
    // own options added to whatever the playlist gave it.
    let mut items = if p.playlist { script::subitems(&media, timeout)? } else { vec![media] };
    for next in &p.then {
        items.push(instance.media(next)?);
    }
    let (mut state, mut elapsed) = (libvlc::State::Ended, Duration::ZERO);
    let mut player: Option<libvlc::Player> = None;
    for item in &items {
        for option in &options {
            item.add_option(option)?;
        }
        // --then: one player for every item; otherwise a player per item.
        if p.then.is_empty() {
            player = None;
        }
        let current = match player.take() {
            Some(existing) => {
                existing.set_media(item);
                existing
            }
            None => libvlc::Player::new(item)?,
        };
        let (s, e) = script::play_to_end(&current, timeout, &p.script)?;
        player = Some(current);
        elapsed += e;
        if s != libvlc::State::Ended {
            state = s;
        }
    }
    drop(player);
    let items_played = items.len();
    drop(items);
    let log = instance.take_log();
    drop(instance);

    if let Some(path) = &p.log {
        let mut text = String::new();
        for l in &log {
            let _ = writeln!(text, "[{}] {}: {}", l.level, l.module, l.text);
        }
        std::fs::write(path, text).map_err(|e| format!("{path}: {e}"))?;
    }
    let played = Played { sout, state, items: items_played, elapsed };
    let report = report_of(p, played, &video, &audio, &log)?;
    if let Some(path) = &p.report {
        let json = serde_json::to_string(&report).map_err(|e| e.to_string())?;
        std::fs::write(path, json).map_err(|e| format!("{path}: {e}"))?;
    }
    if !p.quiet {
        print!("{report}");
    }
    Ok(state == libvlc::State::Ended)
}

/// What a play did, for its report.
struct Played {
    sout: String,
    state: libvlc::State,
    items: usize,
    elapsed: Duration,
}

/// The report of a play: each track's tally, threads, memory, smem's log.
fn report_of(
    p: &PlayArgs,
    played: Played,
    video: &Track,
    audio: &Track,
    log: &[libvlc::LogLine],
) -> Result<Report, String> {
    let mut report = Report {
        sout: played.sout,
        state: format!("{:?}", played.state),
        playlist_items: p.playlist.then_some(played.items),
        wall_seconds: played.elapsed.as_secs_f64(),
        ..Report::default()
    };
    let mut all_threads: Vec<(u64, String)> = Vec::new();
    for (track, out) in [(&video, &mut report.video), (&audio, &mut report.audio)] {
        let mut st = track.state.lock().unwrap();
        if let Some(file) = st.out.as_mut() {
            file.flush().map_err(|e| e.to_string())?;
        }
        *out = TrackReport {
            frames: st.count,
            prerender_calls: st.prerender_calls,
            bytes: st.bytes,
            format: (st.count > 0).then(|| st.format.clone()),
            first_pts: st.first_pts.filter(|_| st.count > 0),
            last_pts: (st.count > 0).then_some(st.last_pts),
            errors: st.errors.clone(),
            callback_threads: st.threads.len(),
            // From the first frame to the last: the pipeline's steady state.
            faults_per_frame: st
                .faults
                .filter(|_| st.count > 1)
                .map(|(first, last)| (last - first) as f64 / (st.count - 1) as f64),
            frame_abi: None,
            calls: std::mem::take(&mut st.calls),
        };
        for t in &st.threads {
            if !all_threads.contains(t) {
                all_threads.push(t.clone());
            }
        }
    }
    if p.frame_abi {
        // After libvlc_release: held frames must still be valid, and release safe.
        report.video.frame_abi = Some(frames::finish(video));
        report.audio.frame_abi = Some(frames::finish(audio));
    }
    report.callback_overlaps = OVERLAPS.load(std::sync::atomic::Ordering::SeqCst);
    report.callback_threads = all_threads.len();
    let mut names: Vec<String> = all_threads.into_iter().map(|(_, n)| n).collect();
    names.sort_unstable();
    report.callback_thread_names = names;
    report.max_rss_kb = max_rss_kb();
    report.smem_rs_log_lines = log.iter().filter(|l| l.module == "smem_rs").count();
    report.smem_log = log
        .iter()
        .filter(|l| l.module.starts_with("smem") && l.level != "debug")
        .map(|l| format!("{} {}: {}", l.level, l.module, l.text))
        .collect();
    Ok(report)
}

/// Peak resident memory of this process so far.
fn max_rss_kb() -> i64 {
    // SAFETY: getrusage fills the struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return 0;
    }
    usage.ru_maxrss
}

fn run(args: &[String]) -> Result<bool, String> {
    let arg = |i: usize| {
        args.get(i).cloned().ok_or_else(|| format!("missing argument {i}; see the usage in the source header"))
    };
    match args.first().map(String::as_str) {
        Some("play") => play(&parse_play(&args[1..])?),
        Some("soak") => soak::run(&args[1..]),
        Some("gen-y4m") => {
            let size = arg(2)?;
            let (w, h) = size.split_once('x').ok_or("size is WxH")?;
            let num = |s: &str| s.parse::<usize>().map_err(|_| format!("not a number: {s}"));
            media::write_y4m(&arg(1)?, num(w)?, num(h)?, num(&arg(3)?)? as u32, num(&arg(4)?)?)
                .map_err(|e| e.to_string())?;
            Ok(true)
        }
        Some("gen-wav") => {
            let num = |s: String| s.parse::<f64>().map_err(|_| format!("not a number: {s}"));
            media::write_wav(&arg(1)?, num(arg(2)?)? as u32, num(arg(3)?)? as u16, num(arg(4)?)?)
                .map_err(|e| e.to_string())?;
            Ok(true)
        }
        _ => {
            Err("usage: smem-host play MEDIA [...] | gen-y4m PATH WxH FPS FRAMES | gen-wav PATH RATE CH SECONDS".into())
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(3),
        Err(e) => {
            eprintln!("smem-host: {e}");
            ExitCode::from(2)
        }
    }
}
