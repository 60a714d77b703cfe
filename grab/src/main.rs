//! smem-grab: frames as PNG, JPEG or raw RGB, and sound as WAV, from
//! anything VLC plays (files, discs, network streams, playlists), through
//! VLC's smem stream output. Exit status: 0 done, 1 the input could not be
//! grabbed, 2 bad arguments, 130/143 stopped by SIGINT/SIGTERM (after the
//! files and the summary are complete); each failure is one
//! `smem-grab: ...` line.
//!
//! smem-client decides which frames, how they are delivered and converted;
//! this program translates its arguments and writes the files.

mod args;
mod images;
mod signals;
mod summary;
mod wav;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use smem_client::vlc::TrackKind;
use smem_client::{AudioSample, EndOfStream, EndReason, Error, Grab, Item, Progress, VideoChroma};

use args::Args;
use images::{Format, Job, Pool, RawWriter};
use signals::{stop_on_signals, INTERRUPTED_BY};
use summary::{ItemSummary, Summary};
use wav::Wavs;

/// Where the frames go.
enum Sink {
    Pool(Pool),
    Raw(RawWriter),
    Count,
}

impl Sink {
    fn new(args: &Args) -> Result<Sink, String> {
        let workers =
            args.workers.map_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()), usize::from);
        Ok(match (args.no_video, args.format) {
            (true, _) | (_, Format::None) => Sink::Count,
            (false, Format::Raw) => Sink::Raw(RawWriter::create(&args.output)?),
            // Two frames a worker wait at most: bounded memory, busy workers.
            (false, format) => Sink::Pool(Pool::start(
                &args.output,
                format,
                args.png_compression,
                args.jpeg_quality,
                workers,
                2 * workers,
            )),
        })
    }

    fn write(&mut self, job: Job) -> Result<(), String> {
        match self {
            Sink::Pool(pool) => pool.write(job),
            Sink::Raw(raw) => raw.write(job),
            Sink::Count => Ok(()),
        }
    }

    /// (images, bytes) once every one is written.
    fn finish(self, images: u64) -> Result<(u64, u64), String> {
        match self {
            Sink::Pool(pool) => pool.finish(),
            Sink::Raw(raw) => raw.finish(),
            Sink::Count => Ok((images, 0)),
        }
    }
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

/// The grab the arguments ask for.
fn grab_of(args: &Args, bar: &ProgressBar) -> Grab<'static> {
    let mut grab = Grab::new(args.input.clone())
        .realtime(args.realtime)
        .queue(usize::from(args.queue), args.drop)
        .tune_allocator(args.tune_allocator)
        .abi(args.abi)
        .scale(args.scale().0, args.scale().1)
        .segment(args.start, args.stop)
        .every(args.every);
    if args.latest {
        grab = grab.latest();
    }
    if let Some(file) = &args.record {
        grab = grab.record(file);
    }
    for option in &args.media_options {
        grab = grab.media_option(option.clone());
    }
    if let Some(t) = args.timeout {
        grab = grab.timeout(Duration::from_secs_f64(t));
    }
    if let Some(idle) = args::idle_timeout(args) {
        grab = grab.idle_timeout(idle);
    }
    let shown = bar.clone();
    grab.on_progress(move |p| show(&shown, p))
}

fn grab(args: &Args) -> Result<Summary, String> {
    std::fs::create_dir_all(&args.output).map_err(|e| format!("{}: {e}", args.output.display()))?;
    // RGB: smem-client has VLC deliver I420 and converts it, by the
    // stream's matrix, when smem-rs is there.
    let video = (!args.no_video).then_some(VideoChroma::Rv24);
    let audio = (!args.no_audio).then_some(AudioSample::S16l);
    if video.is_none() && audio.is_none() {
        return Err("--no-video and --no-audio leave nothing to grab".into());
    }
    let bar = progress_bar(args);
    let mut sink = Sink::new(args)?;
    let mut wavs = Wavs { base: args.wav.clone().unwrap_or_else(|| args.output.join("audio.wav")), tracks: Vec::new() };
    let mut s = Summary {
        input: smem_client::redact_url(&args.input),
        output: args.output.display().to_string(),
        ..Summary::default()
    };

    let mut frames = grab_of(args, &bar).frames(video, audio, 4);
    stop_on_signals(frames.stop_handle())?;
    let mut failure = None;
    // Each new size and audio format, in order; written out once at the end.
    let (mut sizes, mut rates) = (Vec::new(), Vec::new());
    let seconds = |us: i64| us as f64 / 1e6;
    for item in &mut frames {
        let written = match item {
            Item::Video(frame) => {
                s.first_pts.get_or_insert(frame.pts);
                s.last_pts = Some(frame.pts);
                s.first_time.get_or_insert(seconds(frame.time_us));
                s.last_time = Some(seconds(frame.time_us));
                if !sizes.contains(&(frame.width, frame.height)) {
                    sizes.push((frame.width, frame.height));
                }
                s.images += 1;
                sink.write(Job { number: frame.index + 1, frame })
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
    let (images, bytes) = sink.finish(s.images)?;
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
    tally(&mut s, &end, args);
    Ok(s)
}

/// What the end of stream tells, into the summary.
fn tally(s: &mut Summary, end: &EndOfStream, args: &Args) {
    // Every frame decoded, those --every left out too.
    s.video_frames = end.video_frames + end.skipped_video_frames;
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
    s.gap_seconds = end.gaps.iter().map(|gap| gap.as_secs_f64()).collect();
    s.wall_seconds = end.wall.as_secs_f64();
    s.frames_per_second = if s.wall_seconds > 0.0 { s.video_frames as f64 / s.wall_seconds } else { 0.0 };
    s.ended = match end.reason {
        EndReason::Stopped if INTERRUPTED_BY.load(Ordering::SeqCst) != 0 => "interrupted".to_owned(),
        reason => reason.to_string(),
    };
    s.abi = if end.frame_abi { "frame" } else { "legacy" }.to_owned();
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
