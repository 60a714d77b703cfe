//! smem-grab's arguments: what clap reads, checked as it reads them.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use smem_client::{Abi, DropPolicy};

use crate::images::{Format, PngCompression};

pub const ABOUT: &str = "Frames as PNG, JPEG or raw RGB, and sound as WAV, from anything VLC plays, through smem";
pub const LONG_ABOUT: &str = "\
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

#[derive(Debug, Parser)]
#[command(name = "smem-grab", version, about = ABOUT, long_about = LONG_ABOUT)]
pub struct Args {
    /// A file, or anything VLC opens: udp://@:1234, http://..., dvd:///dev/sr0, a playlist
    pub input: String,

    /// Folder for the images and the WAV (created if missing)
    #[arg(short, long, value_name = "DIR", default_value = "grab")]
    pub output: PathBuf,

    /// What each selected frame becomes: png, jpeg, raw (the frames back to
    /// back in DIR/video.rgb, described by DIR/video.json), or none (count only)
    #[arg(long, value_enum, default_value_t = Format::Png)]
    pub format: Format,

    /// PNG compression: fast (fdeflate; chosen by measurement: as fast as
    /// ffmpeg with files of the same size), default (zlib balanced), best
    #[arg(long, value_enum, value_name = "LEVEL", default_value_t = PngCompression::Fast)]
    pub png_compression: PngCompression,

    /// JPEG quality, 1 to 100
    #[arg(long, value_name = "Q", default_value_t = 90, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub jpeg_quality: u8,

    /// One frame every SECONDS of media time, as thumbnails are made: the
    /// first frame (of each playlist item), then the first at or after each
    /// step counted from --start; default: every frame
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    pub every: Option<f64>,

    /// Stop after writing N images
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_frames: Option<u64>,

    /// The frames from SECONDS of media time on (as ffmpeg's -ss)
    #[arg(long, value_name = "SECONDS", value_parser = seconds)]
    pub start: Option<f64>,

    /// The frames before SECONDS of media time (as ffmpeg's -to)
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    pub stop: Option<f64>,

    /// Scale the pictures to WIDTHxHEIGHT (VLC's transcode scaling)
    #[arg(long, value_name = "WIDTHxHEIGHT", value_parser = size, conflicts_with = "width")]
    pub scale: Option<(u32, u32)>,

    /// Scale the pictures to WIDTH pixels wide, keeping their aspect ratio
    #[arg(long, value_name = "WIDTH", value_parser = clap::value_parser!(u32).range(1..=16384))]
    pub width: Option<u32>,

    /// Grab no video
    #[arg(long)]
    pub no_video: bool,

    /// Grab no audio
    #[arg(long)]
    pub no_audio: bool,

    /// Where the sound goes [default: DIR/audio.wav]; with several audio
    /// tracks, FILE-1.wav, FILE-2.wav... (the summary says which is which)
    #[arg(long, value_name = "FILE")]
    pub wav: Option<PathBuf>,

    /// Play at the media's own pace (smem's time-sync) instead of as fast as VLC decodes
    #[arg(long)]
    pub realtime: bool,

    /// Let up to N frames per track wait for smem's delivery thread instead
    /// of delivering each on VLC's thread (smem's queue; 0 to 1000)
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=1000))]
    pub queue: u16,

    /// What a full queue does (smem's drop)
    #[arg(long, value_enum, value_name = "POLICY", default_value_t = DropPolicy::None)]
    pub drop: DropPolicy,

    /// The live mode (cameras): each frame as soon as VLC decoded it (no
    /// input caching, one decoder thread), and the newest frame to a slow
    /// disk or encoder instead of falling behind (--queue 1 --drop oldest)
    #[arg(long, conflicts_with_all = ["queue", "drop"])]
    pub latest: bool,

    /// Also write the input's stream to FILE as it comes, without
    /// re-encoding: .mkv (Matroska; plays even if smem-grab is killed) or
    /// .mp4 (playable only once smem-grab ends: its index comes last)
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,

    /// A VLC media option, e.g. :input-slave=sound.wav (repeatable)
    #[arg(long = "media-option", value_name = "OPTION")]
    pub media_options: Vec<String>,

    /// Encoding threads [default: the number of cores]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: Option<u16>,

    /// No progress bar (it is shown only when stderr is a terminal anyway)
    #[arg(long)]
    pub no_progress: bool,

    /// Give up after SECONDS
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    pub timeout: Option<f64>,

    /// End the grab when no frame has come for SECONDS (0: never) [default:
    /// 10 for network inputs, which VLC waits on for ever; never for files
    /// and rtsp://, whose input ends by itself after rtsp-reconnect]
    #[arg(long, value_name = "SECONDS", value_parser = seconds)]
    pub idle_timeout: Option<f64>,

    /// Print the summary as one JSON object
    #[arg(long)]
    pub json: bool,

    /// Tune glibc's malloc for this process before VLC starts
    /// (M_MMAP_MAX=0, M_TRIM_THRESHOLD=2147483647, M_ARENA_MAX=1), so that
    /// VLC stops faulting its picture buffers in again every frame where it
    /// still copies them (--abi legacy, the stock smem: 2-3x faster). Memory
    /// once used is then kept until the process exits. Off by default
    #[arg(long)]
    pub tune_allocator: bool,

    /// What smem-grab now does by default (malloc left as it is); accepted so
    /// that scripts written when tuning was the default keep working
    #[arg(long, hide = true, conflicts_with = "tune_allocator")]
    pub no_tune_allocator: bool,

    /// How smem hands frames over: frame (smem-rs's frame ABI: VLC's own
    /// buffers, no copy), legacy (the stock smem callbacks: one copy), or
    /// auto (frame when VLC will load smem-rs)
    #[arg(long, value_enum, default_value_t = Abi::Auto)]
    pub abi: Abi,
}

pub fn seconds(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .ok_or_else(|| format!("{text:?} is not a number of seconds"))
}

pub fn positive_seconds(text: &str) -> Result<f64, String> {
    seconds(text).and_then(|s| if s > 0.0 { Ok(s) } else { Err("it must be above 0".into()) })
}

pub fn size(text: &str) -> Result<(u32, u32), String> {
    let parse = |n: &str| n.parse::<u32>().ok().filter(|n| (1..=16384).contains(n));
    match text.split_once(['x', 'X']).map(|(w, h)| (parse(w), parse(h))) {
        Some((Some(w), Some(h))) => Ok((w, h)),
        _ => Err(format!("{text:?} is not WIDTHxHEIGHT (e.g. 640x360)")),
    }
}

/// A network input (VLC waits on it for ever when it goes silent).
pub fn is_network(input: &str) -> bool {
    input.split_once("://").is_some_and(|(scheme, _)| !scheme.eq_ignore_ascii_case("file"))
}

/// An `rtsp://` input: smem_rtsp bounds its own waits (`rtsp-idle-timeout`)
/// and reconnects through a gap for `rtsp-reconnect`, which an idle
/// timeout here would cut short.
fn is_rtsp(input: &str) -> bool {
    input.split_once("://").is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("rtsp"))
}

/// The idle timeout: as given (0 turns it off), else 10 s for network
/// inputs other than `rtsp://`.
pub fn idle_timeout(args: &Args) -> Option<Duration> {
    const NETWORK_IDLE_SECONDS: f64 = 10.0;
    match args.idle_timeout {
        Some(s) if s > 0.0 => Some(Duration::from_secs_f64(s)),
        Some(_) => None,
        None => {
            (is_network(&args.input) && !is_rtsp(&args.input)).then(|| Duration::from_secs_f64(NETWORK_IDLE_SECONDS))
        }
    }
}

impl Args {
    /// The scaling asked for: --scale, or --width with the height VLC keeps.
    pub fn scale(&self) -> (Option<u32>, Option<u32>) {
        match (self.scale, self.width) {
            (Some((w, h)), _) => (Some(w), Some(h)),
            (None, width) => (width, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(a: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("smem-grab").chain(a.iter().copied()))
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
        let parse = |a: &[&str]| parse(a).unwrap();
        let ten = Some(Duration::from_secs(10));
        assert_eq!(idle_timeout(&parse(&["udp://@:1234"])), ten);
        assert_eq!(idle_timeout(&parse(&["HTTP://cam/stream"])), ten);
        assert_eq!(idle_timeout(&parse(&["clip.mkv"])), None);
        assert_eq!(idle_timeout(&parse(&["rtsp://cam/live"])), None, "smem_rtsp bounds its waits and reconnects");
        assert_eq!(idle_timeout(&parse(&["rtsp://cam/live", "--idle-timeout", "3"])), Some(Duration::from_secs(3)));
        assert_eq!(idle_timeout(&parse(&["file:///clip.mkv"])), None);
        assert_eq!(idle_timeout(&parse(&["udp://@:1234", "--idle-timeout", "0"])), None);
        assert_eq!(idle_timeout(&parse(&["clip.mkv", "--idle-timeout", "2.5"])), Some(Duration::from_millis(2500)));
    }

    #[test]
    fn arguments_are_checked_by_clap() {
        assert!(parse(&["in.mkv"]).is_ok());
        assert!(parse(&[]).is_err());
        assert!(parse(&["in.mkv", "--scale", "640x360", "--width", "320"]).is_err());
        assert!(parse(&["in.mkv", "--latest", "--queue", "2"]).is_err());
        assert!(parse(&["in.mkv", "--jpeg-quality", "0"]).is_err());
        assert!(parse(&["in.mkv", "--format", "gif"]).is_err());
        let a = parse(&["in.mkv", "--every", "10", "--format", "jpeg", "--png-compression", "best"]).unwrap();
        assert_eq!((a.every, a.format, a.png_compression), (Some(10.0), Format::Jpeg, PngCompression::Best));
        let a = parse(&["in.mkv", "--drop", "oldest", "--queue", "3", "--abi", "legacy"]).unwrap();
        assert_eq!((a.drop, a.queue, a.abi), (DropPolicy::Oldest, 3, Abi::Legacy));
    }
}
