//! smem-grab: frames as PNG, JPEG or raw RGB, and sound as WAV, from
//! anything VLC plays (files, discs, network streams, playlists), through
//! VLC's smem stream output. Exit status: 0 done, 1 the input could not be
//! grabbed, 2 bad arguments, 130/143 stopped by SIGINT/SIGTERM (after the
//! files and the summary are complete); each failure is one
//! `smem-grab: ...` line.

mod images;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use smem_client::vlc::TrackKind;
use smem_client::{
    Abi, AudioSample, DropPolicy, EndReason, Error, Grab, Item, ItemEnd, OwnedAudioBlock, Progress, StopHandle,
    VideoChroma,
};
use std::sync::atomic::{AtomicI32, Ordering};

use images::{Format, Job, PngCompression, Pool, RawWriter};

const ABOUT: &str = "Frames as PNG, JPEG or raw RGB, and sound as WAV, from anything VLC plays, through smem";
const LONG_ABOUT: &str = "\
Frames as PNG, JPEG or raw RGB, and sound as WAV, from anything VLC plays: files, \
DVD and Blu-ray, network streams (udp://@:1234, http://...), playlists. VLC decodes \
and converts; smem hands each frame over; the images are encoded on worker threads.

Examples:
  smem-grab clip.mkv --every 10 -o thumbs            one PNG every 10 s of the clip
  smem-grab clip.mkv --start 60 --stop 65 -o seg     every frame from 1:00 to 1:05
  smem-grab clip.mkv --no-video --wav sound.wav      the sound as 16-bit WAV
  smem-grab udp://@:1234 --latest --every 1          a live camera, the newest frame each second
  smem-grab list.m3u -o grabs                        every item of a playlist in turn

A live grab ends with Ctrl-C (or SIGTERM), or when the source has sent nothing
for --idle-timeout seconds: the images already taken are finished, the WAV
files are closed, the summary says `ended: interrupted` (or `idle`). A second
Ctrl-C exits at once. Each audio track gets a WAV of its own.

Exit status: 0 done, 1 the input could not be grabbed, 2 bad arguments,
130 interrupted (SIGINT), 143 terminated (SIGTERM).";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum QueueDrop {
    /// VLC waits for room: nothing is lost.
    None,
    /// The oldest waiting frame is dropped: the newest always gets through.
    Oldest,
    /// The arriving frame is dropped.
    Newest,
}

#[derive(Debug, Parser)]
#[command(name = "smem-grab", version, about = ABOUT, long_about = LONG_ABOUT)]
struct Args {
    /// A file, or anything VLC opens: udp://@:1234, http://..., dvd:///dev/sr0, a playlist
    input: String,

    /// Folder for the images and the WAV (created if missing)
    #[arg(short, long, value_name = "DIR", default_value = "grab")]
    output: PathBuf,

    /// What each selected frame becomes: png, jpeg, raw (the frames back to
    /// back in DIR/video.rgb, described by DIR/video.json), or none (count only)
    #[arg(long, value_enum, default_value_t = Format::Png)]
    format: Format,

    /// PNG compression: fast (fdeflate; chosen by measurement: as fast as
    /// ffmpeg with files of the same size), default (zlib balanced), best
    #[arg(long, value_enum, value_name = "LEVEL", default_value_t = PngCompression::Fast)]
    png_compression: PngCompression,

    /// JPEG quality, 1 to 100
    #[arg(long, value_name = "Q", default_value_t = 90, value_parser = clap::value_parser!(u8).range(1..=100))]
    jpeg_quality: u8,

    /// One frame every SECONDS of media time, by pts (the first frame, then
    /// the first at or after each step), as thumbnails are made; default:
    /// every frame
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    every: Option<f64>,

    /// Stop after writing N images
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_frames: Option<u64>,

    /// The frames from SECONDS of media time on (as ffmpeg's -ss)
    #[arg(long, value_name = "SECONDS", value_parser = seconds)]
    start: Option<f64>,

    /// The frames before SECONDS of media time (as ffmpeg's -to)
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    stop: Option<f64>,

    /// Scale the pictures to WIDTHxHEIGHT (VLC's transcode scaling)
    #[arg(long, value_name = "WIDTHxHEIGHT", value_parser = size, conflicts_with = "width")]
    scale: Option<(u32, u32)>,

    /// Scale the pictures to WIDTH pixels wide, keeping their aspect ratio
    #[arg(long, value_name = "WIDTH", value_parser = clap::value_parser!(u32).range(1..=16384))]
    width: Option<u32>,

    /// Grab no video
    #[arg(long)]
    no_video: bool,

    /// Grab no audio
    #[arg(long)]
    no_audio: bool,

    /// Where the sound goes [default: DIR/audio.wav]; with several audio
    /// tracks, FILE-1.wav, FILE-2.wav... (the summary says which is which)
    #[arg(long, value_name = "FILE")]
    wav: Option<PathBuf>,

    /// Play at the media's own pace (smem's time-sync) instead of as fast as VLC decodes
    #[arg(long)]
    realtime: bool,

    /// Let up to N frames per track wait for smem's delivery thread instead
    /// of delivering each on VLC's thread (smem's queue; 0 to 1000)
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=1000))]
    queue: u16,

    /// What a full queue does (smem's drop)
    #[arg(long, value_enum, value_name = "POLICY", default_value_t = QueueDrop::None)]
    drop: QueueDrop,

    /// For live inputs: --queue 1 --drop oldest, so a slow disk or encoder
    /// always gets the newest frame instead of falling behind
    #[arg(long, conflicts_with_all = ["queue", "drop"])]
    latest: bool,

    /// A VLC media option, e.g. :input-slave=sound.wav (repeatable)
    #[arg(long = "media-option", value_name = "OPTION")]
    media_options: Vec<String>,

    /// Encoding threads [default: the number of cores]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    workers: Option<u16>,

    /// No progress bar (it is shown only when stderr is a terminal anyway)
    #[arg(long)]
    no_progress: bool,

    /// Give up after SECONDS
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    timeout: Option<f64>,

    /// End the grab when no frame has come for SECONDS (0: never) [default:
    /// 10 for network inputs, which VLC waits on for ever; never for files]
    #[arg(long, value_name = "SECONDS", value_parser = seconds)]
    idle_timeout: Option<f64>,

    /// Print the summary as one JSON object
    #[arg(long)]
    json: bool,

    /// Leave glibc's malloc as it is. By default it is tuned before VLC
    /// starts (M_MMAP_MAX=0, M_TRIM_THRESHOLD=2147483647, M_ARENA_MAX=1) so
    /// that VLC stops faulting its picture buffers in again every frame:
    /// 2-3x faster transcodes, memory kept for reuse
    #[arg(long)]
    no_tune_allocator: bool,

    /// How smem hands frames over: frame (smem-rs's frame ABI: VLC's own
    /// buffers, no copy), legacy (the stock smem callbacks: one copy), or
    /// auto (frame when VLC will load smem-rs)
    #[arg(long, value_enum, default_value_t = AbiArg::Auto)]
    abi: AbiArg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum AbiArg {
    Auto,
    Frame,
    Legacy,
}

fn seconds(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .ok_or_else(|| format!("{text:?} is not a number of seconds"))
}

fn positive_seconds(text: &str) -> Result<f64, String> {
    seconds(text).and_then(|s| if s > 0.0 { Ok(s) } else { Err("it must be above 0".into()) })
}

fn size(text: &str) -> Result<(u32, u32), String> {
    let parse = |n: &str| n.parse::<u32>().ok().filter(|n| (1..=16384).contains(n));
    match text.split_once(['x', 'X']).map(|(w, h)| (parse(w), parse(h))) {
        Some((Some(w), Some(h))) => Ok((w, h)),
        _ => Err(format!("{text:?} is not WIDTHxHEIGHT (e.g. 640x360)")),
    }
}

/// Which frames become images: one per `every` seconds of pts.
#[derive(Debug, Default)]
struct Selection {
    every_us: Option<i64>,
    next_pts: Option<i64>,
}

impl Selection {
    fn new(every: Option<f64>) -> Self {
        Selection { every_us: every.map(|s| (s * 1e6).round() as i64), next_pts: None }
    }

    fn wants(&mut self, pts: i64) -> bool {
        let Some(step) = self.every_us else { return true };
        match self.next_pts {
            Some(next) if pts < next => false,
            Some(next) => {
                // The next step after this frame (several if the input jumped).
                self.next_pts = Some(next + step * ((pts - next) / step + 1));
                true
            }
            None => {
                self.next_pts = Some(pts + step);
                true
            }
        }
    }
}

/// Which track an audio block belongs to: the input (playlist item) and
/// VLC's ES id (none with the stock smem, which cannot tell).
type TrackKey = (usize, Option<i32>);

/// The WAV of one audio track: its first format; blocks of another are counted.
struct Wav {
    key: TrackKey,
    path: PathBuf,
    writer: hound::WavWriter<std::io::BufWriter<std::fs::File>>,
    format: (u32, u32),
    samples: u64,
    bytes: u64,
    other_format_blocks: u64,
    /// Samples since the header was last brought up to date.
    unflushed: u64,
}

/// One WAV per audio track, named after `base`: the base itself while there
/// is one track, `base-1.wav`, `base-2.wav`... once there are more (the
/// first is renamed then; an open file keeps being written).
struct Wavs {
    base: PathBuf,
    tracks: Vec<Wav>,
}

impl Wavs {
    fn numbered(&self, n: usize) -> PathBuf {
        let stem = self.base.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "audio".into());
        self.base.with_file_name(format!("{stem}-{n}.wav"))
    }

    fn write(&mut self, block: &OwnedAudioBlock) -> Result<(), String> {
        let key = (block.item, block.info.map(|i| i.es_id));
        let index = match self.tracks.iter().position(|w| w.key == key) {
            Some(index) => index,
            None => {
                let n = self.tracks.len() + 1;
                if n == 2 {
                    let first = self.numbered(1);
                    std::fs::rename(&self.tracks[0].path, &first)
                        .map_err(|e| format!("{}: {e}", self.tracks[0].path.display()))?;
                    self.tracks[0].path = first;
                }
                let path = if n == 1 { self.base.clone() } else { self.numbered(n) };
                let spec = hound::WavSpec {
                    channels: block.channels as u16,
                    sample_rate: block.rate,
                    bits_per_sample: 16,
                    sample_format: hound::SampleFormat::Int,
                };
                let writer = hound::WavWriter::create(&path, spec).map_err(|e| format!("{}: {e}", path.display()))?;
                let format = (block.channels, block.rate);
                self.tracks.push(Wav {
                    key,
                    path,
                    writer,
                    format,
                    samples: 0,
                    bytes: 0,
                    other_format_blocks: 0,
                    unflushed: 0,
                });
                n - 1
            }
        };
        let wav = &mut self.tracks[index];
        if wav.format != (block.channels, block.rate) {
            wav.other_format_blocks += 1; // one WAV holds one format
            return Ok(());
        }
        let failed = |e: hound::Error| format!("{}: {e}", wav.path.display());
        let mut samples = wav.writer.get_i16_writer((block.data.len() / 2) as u32);
        for pair in block.data.chunks_exact(2) {
            samples.write_sample(i16::from_le_bytes([pair[0], pair[1]]));
        }
        samples.flush().map_err(failed)?;
        wav.samples += block.samples as u64;
        wav.bytes += block.data.len() as u64;
        wav.unflushed += block.samples as u64;
        // About once a second of sound the header is brought up to date: a
        // grab killed outright leaves a WAV readable up to there.
        if wav.unflushed >= u64::from(block.rate) {
            wav.unflushed = 0;
            wav.writer.flush().map_err(|e| format!("{}: {e}", wav.path.display()))?;
        }
        Ok(())
    }

    /// Closes every WAV (headers final) and describes each. With several
    /// tracks, each file is then named after its place among its input's
    /// audio tracks in VLC's order, and its language where VLC knows it:
    /// `audio-1-eng.wav`, `audio-2-fra.wav` (`audio-item1-2.wav` when a
    /// playlist's items had sound).
    fn finish(mut self, items: &[ItemEnd]) -> Result<Vec<WavSummary>, String> {
        let several_items = self.tracks.iter().any(|w| w.key.0 != self.tracks[0].key.0);
        let stem = self.base.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "audio".into());
        let mut finals = Vec::new();
        for (n, wav) in self.tracks.iter().enumerate() {
            let (item, es_id) = wav.key;
            let audio_tracks: Vec<&smem_client::vlc::Track> = items
                .get(item)
                .map(|i| i.tracks.iter().filter(|t| t.kind == TrackKind::Audio).collect())
                .unwrap_or_default();
            let place = es_id.and_then(|id| audio_tracks.iter().position(|t| t.id == id)).map_or(n + 1, |p| p + 1);
            let language = es_id
                .and_then(|id| audio_tracks.iter().find(|t| t.id == id))
                .and_then(|t| t.language.clone())
                .filter(|l| l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
            let mut name = stem.clone();
            if several_items {
                name += &format!("-item{item}");
            }
            name += &format!("-{place}");
            if let Some(language) = &language {
                name += &format!("-{language}");
            }
            finals.push((self.base.with_file_name(format!("{name}.wav")), language));
        }
        let rename = self.tracks.len() > 1;
        let mut written = Vec::new();
        for (n, wav) in std::mem::take(&mut self.tracks).into_iter().enumerate() {
            wav.writer.finalize().map_err(|e| format!("{}: {e}", wav.path.display()))?;
            let (item, es_id) = wav.key;
            // Two steps, so that no file takes the name of one not renamed yet.
            let mut path = wav.path.clone();
            if rename {
                let part = wav.path.with_extension(format!("wav.{n}.part"));
                std::fs::rename(&wav.path, &part).map_err(|e| format!("{}: {e}", wav.path.display()))?;
                path = part;
            }
            written.push((
                path,
                WavSummary {
                    file: if rename { finals[n].0.display().to_string() } else { wav.path.display().to_string() },
                    item,
                    es_id,
                    language: finals[n].1.clone(),
                    channels: wav.format.0,
                    rate: wav.format.1,
                    samples: wav.samples,
                    bytes: wav.bytes,
                    skipped_blocks: wav.other_format_blocks,
                },
            ));
        }
        for (part, summary) in &written {
            if rename {
                std::fs::rename(part, &summary.file).map_err(|e| format!("{}: {e}", summary.file))?;
            }
        }
        let mut written: Vec<WavSummary> = written.into_iter().map(|(_, summary)| summary).collect();
        written.sort_by(|a, b| a.file.cmp(&b.file));
        Ok(written)
    }
}

/// One WAV written.
#[derive(Debug, Serialize)]
struct WavSummary {
    file: String,
    /// The input it came from (a playlist's item index).
    item: usize,
    /// VLC's ES id of the track (none with the stock smem).
    es_id: Option<i32>,
    language: Option<String>,
    channels: u32,
    rate: u32,
    /// Samples per channel.
    samples: u64,
    bytes: u64,
    /// Blocks of a later format, not written (one WAV holds one).
    skipped_blocks: u64,
}

/// One input played (a playlist gives one per item).
#[derive(Debug, Serialize)]
struct ItemSummary {
    mrl: String,
    video_frames: u64,
    audio_blocks: u64,
    video_tracks: usize,
    audio_tracks: usize,
    /// VLC could not play it (the others still were).
    error: Option<String>,
}

/// What the grab did: printed as `key: value` lines, or as JSON.
#[derive(Debug, Default, Serialize)]
struct Summary {
    input: String,
    video_tracks: usize,
    audio_tracks: usize,
    video_formats: Vec<String>,
    video_frames: u64,
    first_pts: Option<i64>,
    last_pts: Option<i64>,
    /// Media time of the first and last frame, seconds.
    first_time: Option<f64>,
    last_time: Option<f64>,
    images: u64,
    image_format: String,
    image_bytes: u64,
    output: String,
    audio_formats: Vec<String>,
    audio_blocks: u64,
    audio_samples: u64,
    /// Each audio track's WAV.
    wav_files: Vec<WavSummary>,
    /// Set when the stock smem could not tell several audio tracks apart.
    audio_note: Option<String>,
    items: Vec<ItemSummary>,
    wall_seconds: f64,
    frames_per_second: f64,
    /// ended (the input, or the segment, ended), interrupted (SIGINT or
    /// SIGTERM), idle (--idle-timeout), timed-out (--timeout).
    ended: String,
    /// "frame" or "legacy": which smem ABI delivered.
    abi: String,
}

impl Summary {
    fn print_lines(&self) {
        let list = |v: &[String]| if v.is_empty() { "none".to_owned() } else { v.join(", ") };
        println!("input: {}", self.input);
        if self.items.len() > 1 {
            for (n, item) in self.items.iter().enumerate() {
                let error = item.error.as_ref().map(|e| format!(" (failed: {e})")).unwrap_or_default();
                println!(
                    "item {n}: {} ({} video frames, {} audio blocks){error}",
                    item.mrl, item.video_frames, item.audio_blocks
                );
            }
        }
        println!("tracks: {} video, {} audio", self.video_tracks, self.audio_tracks);
        println!("video_formats: {}", list(&self.video_formats));
        println!("video_frames: {}", self.video_frames);
        if let (Some(first), Some(last)) = (self.first_time, self.last_time) {
            println!("video_time: {first:.3} .. {last:.3} s");
        }
        println!("images: {} {} ({} bytes) in {}", self.images, self.image_format, self.image_bytes, self.output);
        println!("audio_formats: {}", list(&self.audio_formats));
        println!("audio_blocks: {}", self.audio_blocks);
        println!("audio_samples: {}", self.audio_samples);
        for wav in &self.wav_files {
            let es = wav.es_id.map(|id| format!(", es {id}")).unwrap_or_default();
            let language = wav.language.as_ref().map(|l| format!(", {l}")).unwrap_or_default();
            println!(
                "wav_file: {} (item {}{es}{language}: {} channels {} Hz, {} samples, {} bytes of PCM)",
                wav.file, wav.item, wav.channels, wav.rate, wav.samples, wav.bytes
            );
            if wav.skipped_blocks > 0 {
                println!("wav_skipped_blocks: {} (a later audio format; one WAV holds one)", wav.skipped_blocks);
            }
        }
        if let Some(note) = &self.audio_note {
            println!("audio_note: {note}");
        }
        println!("wall_seconds: {:.3}", self.wall_seconds);
        println!("frames_per_second: {:.1}", self.frames_per_second);
        println!("ended: {}", self.ended);
        println!("abi: {}", self.abi);
    }
}

/// Where the frames go.
enum Sink {
    Pool(Pool),
    Raw(RawWriter),
    Count,
}

fn progress_bar(args: &Args) -> ProgressBar {
    if args.no_progress || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {percent:>3}%  {msg}  ETA {eta}")
            .expect("a valid template")
            .progress_chars("#>-"),
    );
    bar
}

fn show(bar: &ProgressBar, p: &Progress) {
    let rate = p.video_frames as f64 / p.elapsed.as_secs_f64().max(1e-3);
    if p.length_ms > 0 {
        bar.set_length(p.length_ms as u64);
        bar.set_position(p.time_ms.clamp(0, p.length_ms) as u64);
    }
    bar.set_message(format!(
        "{:.1}/{:.1} s  {} frames ({rate:.1}/s)  {} audio blocks",
        p.time_ms.max(0) as f64 / 1000.0,
        p.length_ms.max(0) as f64 / 1000.0,
        p.video_frames,
        p.audio_blocks
    ));
}

/// A network input (VLC waits on it for ever when it goes silent).
fn is_network(input: &str) -> bool {
    input.split_once("://").is_some_and(|(scheme, _)| !scheme.eq_ignore_ascii_case("file"))
}

/// The idle timeout: as given (0 turns it off), else 10 s for network inputs.
fn idle_timeout(args: &Args) -> Option<Duration> {
    const NETWORK_IDLE_SECONDS: f64 = 10.0;
    match args.idle_timeout {
        Some(s) if s > 0.0 => Some(Duration::from_secs_f64(s)),
        Some(_) => None,
        None => is_network(&args.input).then(|| Duration::from_secs_f64(NETWORK_IDLE_SECONDS)),
    }
}

/// The signal that interrupted the grab (SIGINT or SIGTERM), 0 if none.
static INTERRUPTED_BY: AtomicI32 = AtomicI32::new(0);

/// On the first SIGINT or SIGTERM, stops the grab (it then ends normally,
/// files complete); on a second, exits at once. Runs on a thread of its own,
/// never in the signal handler, so libvlc is never called from one.
fn stop_on_signals(stop: StopHandle) -> Result<(), String> {
    let mut signals = Signals::new([SIGINT, SIGTERM]).map_err(|e| format!("cannot catch signals: {e}"))?;
    std::thread::Builder::new()
        .name("smem-grab-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                if INTERRUPTED_BY.swap(signal, Ordering::SeqCst) != 0 {
                    // The second one: the user does not want to wait.
                    signal_hook::low_level::exit(128 + signal);
                }
                stop.stop();
            }
        })
        .map_err(|e| format!("cannot start the signal thread: {e}"))?;
    Ok(())
}

fn grab(args: &Args) -> Result<Summary, String> {
    std::fs::create_dir_all(&args.output).map_err(|e| format!("{}: {e}", args.output.display()))?;
    let (queue, drop) = if args.latest {
        (1, DropPolicy::Oldest)
    } else {
        (
            usize::from(args.queue),
            match args.drop {
                QueueDrop::None => DropPolicy::None,
                QueueDrop::Oldest => DropPolicy::Oldest,
                QueueDrop::Newest => DropPolicy::Newest,
            },
        )
    };
    let scale = match (args.scale, args.width) {
        (Some((w, h)), _) => (Some(w), Some(h)),
        (None, width) => (width, None),
    };
    let mut grab = Grab::new(args.input.clone())
        .realtime(args.realtime)
        .queue(queue, drop)
        .tune_allocator(!args.no_tune_allocator)
        .abi(match args.abi {
            AbiArg::Auto => Abi::Auto,
            AbiArg::Frame => Abi::Frame,
            AbiArg::Legacy => Abi::Legacy,
        })
        .scale(scale.0, scale.1)
        .segment(args.start, args.stop);
    for option in &args.media_options {
        grab = grab.media_option(option.clone());
    }
    if let Some(t) = args.timeout {
        grab = grab.timeout(Duration::from_secs_f64(t));
    }
    if let Some(idle) = idle_timeout(args) {
        grab = grab.idle_timeout(idle);
    }
    let bar = progress_bar(args);
    let shown = bar.clone();
    grab = grab.on_progress(move |p| show(&shown, p));

    let workers = args.workers.map_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()), usize::from);
    let mut sink = match (args.no_video, args.format) {
        (true, _) | (_, Format::None) => Sink::Count,
        (false, Format::Raw) => Sink::Raw(RawWriter::create(&args.output)?),
        // Two frames a worker wait at most: bounded memory, busy workers.
        (false, format) => {
            Sink::Pool(Pool::start(&args.output, format, args.png_compression, args.jpeg_quality, workers, 2 * workers))
        }
    };
    let mut wavs = Wavs { base: args.wav.clone().unwrap_or_else(|| args.output.join("audio.wav")), tracks: Vec::new() };
    let mut selection = Selection::new(args.every);
    let mut s = Summary { input: args.input.clone(), output: args.output.display().to_string(), ..Summary::default() };
    let video = (!args.no_video).then_some(VideoChroma::Rv24);
    let audio = (!args.no_audio).then_some(AudioSample::S16l);
    if video.is_none() && audio.is_none() {
        return Err("--no-video and --no-audio leave nothing to grab".into());
    }

    let mut frames = grab.frames(video, audio, 4);
    stop_on_signals(frames.stop_handle())?;
    let mut failure = None;
    // Each new size and audio format, in order; written out once at the end.
    let (mut sizes, mut rates) = (Vec::new(), Vec::new());
    let seconds = |us: i64| us as f64 / 1e6;
    for item in &mut frames {
        let written = match item {
            Item::Video(frame) => {
                s.video_frames += 1;
                s.first_pts.get_or_insert(frame.pts);
                s.last_pts = Some(frame.pts);
                s.first_time.get_or_insert(seconds(frame.time_us));
                s.last_time = Some(seconds(frame.time_us));
                if !sizes.contains(&(frame.width, frame.height)) {
                    sizes.push((frame.width, frame.height));
                }
                if !selection.wants(frame.pts) || args.max_frames.is_some_and(|max| s.images >= max) {
                    Ok(())
                } else {
                    s.images += 1;
                    let job = Job { number: s.video_frames, frame };
                    match &mut sink {
                        Sink::Pool(pool) => pool.write(job),
                        Sink::Raw(raw) => raw.write(job),
                        Sink::Count => Ok(()),
                    }
                }
            }
            Item::Audio(block) => {
                s.audio_blocks += 1;
                s.audio_samples += block.samples as u64;
                if !rates.contains(&(block.channels, block.rate)) {
                    rates.push((block.channels, block.rate));
                }
                wavs.write(&block)
            }
        };
        if let Err(e) = written {
            failure = Some(e);
            break;
        }
        // Every image asked for is on its way: stop VLC (audio too).
        if args.max_frames.is_some_and(|max| s.images >= max) {
            break;
        }
    }
    let end = frames.finish();
    s.video_formats = sizes.iter().map(|(w, h)| format!("{w}x{h} RGB")).collect();
    s.audio_formats = rates.iter().map(|(c, r)| format!("{c} channels {r} Hz s16l")).collect();
    bar.finish_and_clear();
    let (images, bytes) = match sink {
        Sink::Pool(pool) => pool.finish(),
        Sink::Raw(raw) => raw.finish(),
        Sink::Count => Ok((s.images, 0)),
    }?;
    let items = end.as_ref().map(|e| e.items.as_slice()).unwrap_or_default();
    s.wav_files = wavs.finish(items)?;
    if let Some(e) = failure {
        return Err(e);
    }
    let end = end.map_err(|e| match e {
        Error::Input(why) => why,
        other => other.to_string(),
    })?;
    if let Some(why) = end.nothing_decoded(&args.input) {
        return Err(why);
    }
    (s.images, s.image_bytes) = (images, bytes);
    s.image_format = format!("{:?}", args.format).to_lowercase();
    (s.video_tracks, s.audio_tracks) = (end.video_tracks, end.audio_tracks);
    s.items = end
        .items
        .iter()
        .map(|item| {
            let count = |kind| item.tracks.iter().filter(|t| t.kind == kind).count();
            ItemSummary {
                mrl: item.mrl.clone(),
                video_frames: item.video_frames,
                audio_blocks: item.audio_blocks,
                video_tracks: count(TrackKind::Video),
                audio_tracks: count(TrackKind::Audio),
                error: item.failed.then(|| item.vlc_errors.join("; ")),
            }
        })
        .collect();
    if !end.frame_abi && !args.no_audio && s.items.iter().any(|i| i.audio_tracks > 1) {
        s.audio_note = Some(
            "the stock smem cannot tell audio tracks apart: only the track VLC selected was grabbed \
             (with smem-rs every track gets its own WAV)"
                .into(),
        );
    }
    s.wall_seconds = end.wall.as_secs_f64();
    s.frames_per_second = if s.wall_seconds > 0.0 { s.video_frames as f64 / s.wall_seconds } else { 0.0 };
    s.ended = match end.reason {
        EndReason::Ended => "ended",
        EndReason::Stopped if INTERRUPTED_BY.load(Ordering::SeqCst) != 0 => "interrupted",
        EndReason::Stopped => "stopped",
        EndReason::Idle => "idle",
        EndReason::TimedOut => "timed-out",
    }
    .to_owned();
    s.abi = if end.frame_abi { "frame" } else { "legacy" }.to_owned();
    Ok(s)
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) if matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // clap's message, on one line; --help says the rest.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("bad arguments").trim_start_matches("error: ");
            eprintln!("smem-grab: {first} (see smem-grab --help)");
            return ExitCode::from(2);
        }
    };
    let result = grab(&args);
    // 128 + the signal, as a shell reports a process the signal ended.
    let interrupted = INTERRUPTED_BY.load(Ordering::SeqCst);
    let done = if interrupted != 0 { ExitCode::from(128 + interrupted as u8) } else { ExitCode::SUCCESS };
    match result {
        Ok(summary) if args.json => {
            println!("{}", serde_json::to_string(&summary).expect("the summary serializes"));
            done
        }
        Ok(summary) => {
            summary.print_lines();
            done
        }
        Err(e) => {
            eprintln!("smem-grab: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_keeps_the_first_frame_at_or_after_each_step() {
        let mut s = Selection::new(Some(1.0));
        let kept: Vec<i64> = (0..100).map(|n| 1_000_000 + n * 40_000).filter(|&pts| s.wants(pts)).collect();
        assert_eq!(kept, [1_000_000, 2_000_000, 3_000_000, 4_000_000]);
        // A jump forward keeps the next frame and steps on from it.
        let mut s = Selection::new(Some(1.0));
        assert!(s.wants(0) && !s.wants(500_000) && s.wants(5_300_000) && !s.wants(5_900_000) && s.wants(6_000_000));
        let mut all = Selection::new(None);
        assert!((0..10).all(|n| all.wants(n)));
    }

    #[test]
    fn sizes_and_seconds() {
        assert_eq!(size("640x360"), Ok((640, 360)));
        assert_eq!(size("64X48"), Ok((64, 48)));
        for bad in ["640", "0x10", "x", "640x", "99999x10", "axb"] {
            assert!(size(bad).is_err(), "{bad}");
        }
        assert_eq!(seconds("1.5"), Ok(1.5));
        assert!(seconds("-1").is_err() && seconds("nan").is_err() && positive_seconds("0").is_err());
    }

    #[test]
    fn network_inputs_idle_out_after_ten_seconds_unless_told_otherwise() {
        let parse = |a: &[&str]| Args::try_parse_from(std::iter::once("smem-grab").chain(a.iter().copied())).unwrap();
        let ten = Some(Duration::from_secs(10));
        assert_eq!(idle_timeout(&parse(&["udp://@:1234"])), ten);
        assert_eq!(idle_timeout(&parse(&["HTTP://cam/stream"])), ten);
        assert_eq!(idle_timeout(&parse(&["clip.mkv"])), None);
        assert_eq!(idle_timeout(&parse(&["file:///clip.mkv"])), None);
        assert_eq!(idle_timeout(&parse(&["udp://@:1234", "--idle-timeout", "0"])), None);
        assert_eq!(idle_timeout(&parse(&["clip.mkv", "--idle-timeout", "2.5"])), Some(Duration::from_millis(2500)));
    }

    #[test]
    fn arguments_are_checked_by_clap() {
        let parse = |a: &[&str]| Args::try_parse_from(std::iter::once("smem-grab").chain(a.iter().copied()));
        assert!(parse(&["in.mkv"]).is_ok());
        assert!(parse(&[]).is_err());
        assert!(parse(&["in.mkv", "--scale", "640x360", "--width", "320"]).is_err());
        assert!(parse(&["in.mkv", "--latest", "--queue", "2"]).is_err());
        assert!(parse(&["in.mkv", "--jpeg-quality", "0"]).is_err());
        assert!(parse(&["in.mkv", "--format", "gif"]).is_err());
        let a = parse(&["in.mkv", "--every", "10", "--format", "jpeg", "--png-compression", "best"]).unwrap();
        assert_eq!((a.every, a.format, a.png_compression), (Some(10.0), Format::Jpeg, PngCompression::Best));
    }
}
