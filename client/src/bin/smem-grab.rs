//! smem-grab: frames as PNG and sound as WAV from anything VLC plays,
//! through smem, with a progress bar and a summary.
//!
//!   smem-grab INPUT [-o DIR] [--png all|none|first:N|every:N] [--no-video]
//!       [--no-audio] [--wav FILE] [--realtime] [--media-option OPT]...
//!       [--no-progress] [--timeout SECONDS] [--queue N] [--drop POLICY] [--latest]
//!       [--no-tune-allocator]
//!
//! Exit status: 0 done, 1 the input could not be grabbed, 2 bad arguments.

use std::fs::File;
use std::io::{IsTerminal, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use smem_client::{encode, AudioSample, DropPolicy, Error, Grab, Progress, VideoChroma};

const USAGE: &str = "usage: smem-grab INPUT [-o DIR] [--png all|none|first:N|every:N] [--no-video] [--no-audio] \
[--wav FILE] [--realtime] [--media-option OPT]... [--no-progress] [--timeout SECONDS] \
[--queue N] [--drop none|oldest|newest] [--latest] [--no-tune-allocator]

  --queue N        smem queues up to N frames per track and one smem thread writes them (default 0:
                   in VLC's threads, as they are decoded)
  --drop POLICY    what a full queue does: none (VLC waits), oldest (the oldest queued frame is
                   dropped), newest (the arriving frame is dropped)
  --latest         for live inputs: --queue 1 --drop oldest (always the newest frame)
  --no-tune-allocator
                   by default smem-grab tunes glibc's malloc before VLC starts (M_MMAP_MAX=0,
                   M_TRIM_THRESHOLD=2147483647, M_ARENA_MAX=1), so that VLC stops faulting its
                   picture buffers in again every frame (2-3x faster transcodes, memory kept for
                   reuse); this leaves malloc as it is";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PngChoice {
    All,
    None,
    First(u64),
    Every(u64),
}

impl PngChoice {
    fn parse(text: &str) -> Result<PngChoice, String> {
        let number = |n: &str| match n.parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("--png {text}: N must be a whole number above 0")),
        };
        match text.split_once(':') {
            None if text == "all" => Ok(PngChoice::All),
            None if text == "none" => Ok(PngChoice::None),
            Some(("first", n)) => Ok(PngChoice::First(number(n)?)),
            Some(("every", n)) => Ok(PngChoice::Every(number(n)?)),
            _ => Err(format!("--png takes all, none, first:N or every:N, not {text:?}")),
        }
    }

    /// Whether frame `index` (counting from 0) is written.
    fn wants(self, index: u64) -> bool {
        match self {
            PngChoice::All => true,
            PngChoice::None => false,
            PngChoice::First(n) => index < n,
            PngChoice::Every(n) => index % n == 0,
        }
    }
}

#[derive(Debug)]
struct Args {
    input: String,
    dir: PathBuf,
    png: PngChoice,
    video: bool,
    audio: bool,
    wav: Option<PathBuf>,
    realtime: bool,
    media_options: Vec<String>,
    progress: bool,
    timeout: Option<Duration>,
    queue: usize,
    drop: DropPolicy,
    tune_allocator: bool,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut a = Args {
        input: String::new(),
        dir: PathBuf::from("grab"),
        png: PngChoice::All,
        video: true,
        audio: true,
        wav: None,
        realtime: false,
        media_options: Vec::new(),
        progress: true,
        timeout: None,
        queue: 0,
        drop: DropPolicy::None,
        tune_allocator: true,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "-o" | "--output" => a.dir = PathBuf::from(value()?),
            "--png" => a.png = PngChoice::parse(&value()?)?,
            "--no-video" => a.video = false,
            "--no-audio" => a.audio = false,
            "--wav" => a.wav = Some(PathBuf::from(value()?)),
            "--realtime" => a.realtime = true,
            "--media-option" => a.media_options.push(value()?),
            "--no-progress" => a.progress = false,
            "--timeout" => {
                let v = value()?;
                let s: f64 = v.parse().ok().filter(|s: &f64| *s > 0.0).ok_or(format!("--timeout takes seconds, not {v:?}"))?;
                a.timeout = Some(Duration::from_secs_f64(s));
            }
            "--queue" => {
                let v = value()?;
                a.queue = v.parse().ok().filter(|n| *n <= 1000).ok_or(format!("--queue takes a number of frames from 0 to 1000, not {v:?}"))?;
            }
            "--drop" => {
                a.drop = match value()?.as_str() {
                    "none" => DropPolicy::None,
                    "oldest" => DropPolicy::Oldest,
                    "newest" => DropPolicy::Newest,
                    other => return Err(format!("--drop takes none, oldest or newest, not {other:?}")),
                }
            }
            "--latest" => (a.queue, a.drop) = (1, DropPolicy::Oldest),
            "--no-tune-allocator" => a.tune_allocator = false,
            "-h" | "--help" => return Err(USAGE.into()),
            s if s.starts_with('-') && s.len() > 1 => return Err(format!("unknown option {s}")),
            s if a.input.is_empty() => a.input = s.to_owned(),
            s => return Err(format!("one input only (got {:?} and {s:?})", a.input)),
        }
    }
    if a.input.is_empty() {
        return Err("no input given".into());
    }
    if !a.video && !a.audio {
        return Err("--no-video and --no-audio leave nothing to grab".into());
    }
    Ok(a)
}

/// A WAV file written as blocks arrive; the sizes are patched in at the end.
struct WavWriter {
    file: File,
    format: (u32, u32), // channels, rate
    bytes: u64,
    other_format_blocks: u64,
}

impl WavWriter {
    fn create(path: &Path, channels: u32, rate: u32) -> std::io::Result<WavWriter> {
        let mut file = File::create(path)?;
        file.write_all(&encode::wav_header(rate, channels as u16, 16, 0))?;
        Ok(WavWriter { file, format: (channels, rate), bytes: 0, other_format_blocks: 0 })
    }

    /// Rewrites the header with the final size.
    fn finish(mut self) -> std::io::Result<()> {
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(&encode::wav_header(self.format.1, self.format.0 as u16, 16, self.bytes as u32))
    }
}

/// What arrived, for the summary.
#[derive(Default)]
struct Seen {
    video_formats: Vec<(usize, usize)>,
    frames: u64,
    first_pts: Option<i64>,
    last_pts: i64,
    pngs: u64,
    audio_formats: Vec<(u32, u32)>,
    blocks: u64,
    samples: u64,
    wav: Option<WavWriter>,
    error: Option<String>,
}

fn bar(p: &Progress) -> String {
    let seconds = |ms: i64| ms as f64 / 1000.0;
    if p.length_ms > 0 {
        let done = (p.position.clamp(0.0, 1.0) * 30.0).round() as usize;
        format!(
            "[{}{}] {:3.0}%  {:.1}/{:.1} s  {} frames  {} audio blocks",
            "#".repeat(done),
            "-".repeat(30 - done),
            p.position.clamp(0.0, 1.0) * 100.0,
            seconds(p.time_ms),
            seconds(p.length_ms),
            p.video_frames,
            p.audio_blocks
        )
    } else {
        format!("{:.1} s  {} frames  {} audio blocks", seconds(p.time_ms.max(0)), p.video_frames, p.audio_blocks)
    }
}

fn grab(args: &Args) -> Result<(), String> {
    std::fs::create_dir_all(&args.dir).map_err(|e| format!("{}: {e}", args.dir.display()))?;
    let wav_path = args.wav.clone().unwrap_or_else(|| args.dir.join("audio.wav"));
    let seen = std::sync::Mutex::new(Seen::default());
    let show_progress = args.progress && std::io::stderr().is_terminal();

    let mut grab =
        Grab::new(args.input.clone()).realtime(args.realtime).queue(args.queue, args.drop).tune_allocator(args.tune_allocator);
    for option in &args.media_options {
        grab = grab.media_option(option.clone());
    }
    if let Some(t) = args.timeout {
        grab = grab.timeout(t);
    }
    if args.video {
        grab = grab.video(VideoChroma::Rgba, |frame| {
            let mut s = seen.lock().unwrap();
            let index = s.frames;
            s.frames += 1;
            s.first_pts.get_or_insert(frame.pts);
            s.last_pts = frame.pts;
            if !s.video_formats.contains(&(frame.width, frame.height)) {
                s.video_formats.push((frame.width, frame.height));
            }
            if args.png.wants(index) && s.error.is_none() {
                if let Some(rgba) = frame.plane(0) {
                    let rgb: Vec<u8> = rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
                    let path = args.dir.join(format!("frame-{:06}.png", index + 1));
                    match std::fs::write(&path, encode::png_rgb(frame.width as u32, frame.height as u32, &rgb)) {
                        Ok(()) => s.pngs += 1,
                        Err(e) => s.error = Some(format!("{}: {e}", path.display())),
                    }
                }
            }
        });
    }
    if args.audio {
        grab = grab.audio(AudioSample::S16l, |block| {
            let mut s = seen.lock().unwrap();
            s.blocks += 1;
            s.samples += block.samples as u64;
            if !s.audio_formats.contains(&(block.channels, block.rate)) {
                s.audio_formats.push((block.channels, block.rate));
            }
            if s.wav.is_none() && s.error.is_none() {
                match WavWriter::create(&wav_path, block.channels, block.rate) {
                    Ok(w) => s.wav = Some(w),
                    Err(e) => s.error = Some(format!("{}: {e}", wav_path.display())),
                }
            }
            let mut failed = None;
            if let Some(w) = s.wav.as_mut() {
                if w.format == (block.channels, block.rate) {
                    match w.file.write_all(block.data) {
                        Ok(()) => w.bytes += block.data.len() as u64,
                        Err(e) => failed = Some(format!("{}: {e}", wav_path.display())),
                    }
                } else {
                    w.other_format_blocks += 1; // one WAV holds one format
                }
            }
            if failed.is_some() {
                s.error = failed;
            }
        });
    }
    if show_progress {
        grab = grab.on_progress(|p| {
            eprint!("\r{}\x1b[K", bar(p));
        });
    }
    let result = grab.run();
    if show_progress {
        eprint!("\r\x1b[K");
    }
    let end = result.map_err(|e| match e {
        Error::Input(why) => why,
        other => other.to_string(),
    })?;
    let mut s = seen.into_inner().unwrap();
    if let Some(e) = s.error.take() {
        return Err(e);
    }
    if s.frames == 0 && s.blocks == 0 && end.reason == smem_client::EndReason::Ended {
        let why = end.vlc_errors.first().map(|e| format!(" (VLC: {e})")).unwrap_or_default();
        return Err(format!("{}: no video or audio could be decoded{why}", args.input));
    }
    let wav = s.wav.take();
    let (wav_bytes, wav_other) = wav.as_ref().map_or((0, 0), |w| (w.bytes, w.other_format_blocks));
    if let Some(w) = wav {
        w.finish().map_err(|e| format!("{}: {e}", wav_path.display()))?;
    }

    let list = |v: Vec<String>| if v.is_empty() { "none".to_owned() } else { v.join(", ") };
    println!("input: {}", args.input);
    println!("tracks: {} video, {} audio", end.video_tracks, end.audio_tracks);
    println!("video_formats: {}", list(s.video_formats.iter().map(|(w, h)| format!("{w}x{h} RGBA")).collect()));
    println!("video_frames: {}", s.frames);
    if let Some(first) = s.first_pts {
        println!("video_pts: {first} .. {} ({:.2} s)", s.last_pts, (s.last_pts - first) as f64 / 1e6);
    }
    println!("png_files: {} in {}", s.pngs, args.dir.display());
    println!("audio_formats: {}", list(s.audio_formats.iter().map(|(c, r)| format!("{c} channels {r} Hz s16l")).collect()));
    println!("audio_blocks: {}", s.blocks);
    println!("audio_samples: {}", s.samples);
    if wav_bytes > 0 {
        println!("wav_file: {} ({} bytes of PCM)", wav_path.display(), wav_bytes);
    }
    if wav_other > 0 {
        println!("wav_skipped_blocks: {wav_other} (a later audio format; one WAV holds one)");
    }
    let secs = end.wall.as_secs_f64();
    println!("wall_seconds: {secs:.3}");
    println!("frames_per_second: {:.1}", if secs > 0.0 { s.frames as f64 / secs } else { 0.0 });
    println!("ended: {:?}", end.reason);
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse_args(&args) {
        Ok(a) => a,
        Err(e) if e == USAGE => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("smem-grab: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match grab(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("smem-grab: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Args, String> {
        parse_args(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn png_choices() {
        assert_eq!(PngChoice::parse("all"), Ok(PngChoice::All));
        assert_eq!(PngChoice::parse("first:3"), Ok(PngChoice::First(3)));
        assert!(PngChoice::parse("every:0").is_err());
        assert!(PngChoice::parse("some").is_err());
        let every = PngChoice::Every(10);
        assert_eq!((0..25).filter(|i| every.wants(*i)).collect::<Vec<_>>(), [0, 10, 20]);
        assert_eq!((0..25).filter(|i| PngChoice::First(2).wants(*i)).count(), 2);
    }

    #[test]
    fn bad_arguments_say_what_is_wrong() {
        assert_eq!(args(&[]).unwrap_err(), "no input given");
        assert!(args(&["a", "b"]).unwrap_err().contains("one input only"));
        assert!(args(&["a", "--frobnicate"]).unwrap_err().contains("unknown option --frobnicate"));
        assert!(args(&["a", "--timeout", "soon"]).unwrap_err().contains("--timeout takes seconds"));
        assert!(args(&["a", "--no-video", "--no-audio"]).unwrap_err().contains("nothing to grab"));
        assert!(args(&["a", "-o"]).unwrap_err().contains("-o needs a value"));
        let a = args(&["clip.y4m", "--png", "every:5", "--realtime", "-o", "out"]).unwrap();
        assert_eq!((a.png, a.realtime, a.dir), (PngChoice::Every(5), true, PathBuf::from("out")));
    }
}
