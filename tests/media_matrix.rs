//! The media people have, made by Debian's ffmpeg (cached in
//! target/media-matrix), played by the stock smem and ours on the legacy
//! ABI and ours on the frame ABI, against ffprobe: frame counts (VLC's
//! known differences listed per file, with their cause), the same bytes on
//! our two ABIs, stock's bytes where stock delivers the same frames, and
//! the frame description (size, SAR, frame rate, colour, fields, rotation,
//! sample size, channels, rate). It writes the README's table to
//! target/media-matrix/table.md.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use smem_testkit::{path, play, Run, Smem};

/// One file of the matrix.
struct Case {
    file: &'static str,
    /// ffmpeg's arguments before the output file.
    make: &'static [&'static str],
    /// What transcode is asked for.
    chain: &'static str,
    /// Video frames VLC delivers fewer than ffprobe counts (negative: more),
    /// and why.
    vlc_loses: (i64, &'static str),
    /// Audio channels VLC delivers where ffprobe says otherwise, and why.
    vlc_channels: Option<(u32, &'static str)>,
    /// Why the stock smem delivers some frames only (else: the first of ours).
    stock_skips: Option<&'static str>,
}

const TESTSRC: &str = "testsrc2=size=320x240:rate=25:duration=2";

const CASES: &[Case] = &[
    Case {
        file: "x264-bframes.mp4",
        make: &["-f", "lavfi", "-i", TESTSRC, "-f", "lavfi", "-i", "sine=r=48000:d=2", "-c:v", "libx264", "-bf", "3",
            "-g", "25", "-c:a", "aac", "-ac", "2"],
        chain: "transcode{vcodec=I420,acodec=s16l}",
        vlc_loses: (0, ""),
        vlc_channels: None,
        stock_skips: Some("VLC 3's MP4 demuxer stamps the first pictures of a file with B-frames late (it clamps the edit list's negative dts to 0: the 1st gets the 3rd's time) and VLC's raw encoder in transcode refuses a picture whose pts is not after the last one's: the 2nd and 3rd go (smem_raw keeps them)"),
    },
    Case {
        file: "x265-10bit.mp4",
        make: &["-f", "lavfi", "-i", TESTSRC, "-c:v", "libx265", "-pix_fmt", "yuv420p10le", "-x265-params",
            "log-level=error:bframes=0"],
        chain: "transcode{vcodec=I0AL}",
        vlc_loses: (0, ""),
        vlc_channels: None,
        stock_skips: None,
    },
    Case {
        file: "vp9-odd.webm",
        make: &["-f", "lavfi", "-i", "testsrc2=size=321x241:rate=25:duration=2", "-f", "lavfi", "-i",
            "sine=r=48000:d=2", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus"],
        chain: "transcode{vcodec=I420,acodec=s16l}",
        vlc_loses: (0, ""),
        vlc_channels: None,
        stock_skips: None,
    },
    Case {
        file: "av1.mkv",
        make: &["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=1", "-c:v", "libaom-av1", "-cpu-used",
            "8", "-row-mt", "1"],
        chain: "transcode{vcodec=I420}",
        vlc_loses: (0, ""),
        vlc_channels: None,
        stock_skips: Some("stock copies only the first block of each chain transcode sends (VLC's AV1 decoder gives several pictures at once)"),
    },
    Case {
        file: "mjpeg-camera.avi",
        make: &["-f", "lavfi", "-i", TESTSRC, "-c:v", "mjpeg", "-pix_fmt", "yuvj422p"],
        chain: "transcode{vcodec=I420}",
        vlc_loses: (1, "the last picture: VLC 3's packetizer keeps it back at end of stream (copy.c returns nothing for a drain; mpegvideo's likewise), so it never reaches transcode; stock too"),
        vlc_channels: None,
        stock_skips: None,
    },
    Case {
        file: "mpeg2-interlaced-tff.ts",
        make: &["-f", "lavfi", "-i", "testsrc2=size=720x576:rate=25:duration=2", "-f", "lavfi", "-i",
            "sine=r=48000:d=2", "-c:v", "mpeg2video", "-flags", "+ilme+ildct", "-top", "1", "-b:v", "4M", "-c:a",
            "mp2"],
        chain: "transcode{vcodec=I420,acodec=s16l}",
        vlc_loses: (1, "the last picture: VLC 3's packetizer keeps it back at end of stream (copy.c returns nothing for a drain; mpegvideo's likewise), so it never reaches transcode; stock too"),
        vlc_channels: None,
        stock_skips: None,
    },
    Case {
        file: "dvd-anamorphic.mpg",
        make: &["-f", "lavfi", "-i", "testsrc2=size=720x576:rate=25:duration=2", "-c:v", "mpeg2video", "-aspect",
            "16:9", "-b:v", "4M", "-f", "vob"],
        chain: "transcode{vcodec=I420}",
        vlc_loses: (0, ""),
        vlc_channels: None,
        stock_skips: None,
    },
    Case {
        file: "h264-bt709-full.mp4",
        make: &["-f", "lavfi", "-i", TESTSRC, "-c:v", "libx264", "-bf", "0", "-pix_fmt", "yuv420p", "-color_primaries",
            "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "pc"],
        chain: "transcode{vcodec=I420}",
        vlc_loses: (0, ""),
        vlc_channels: None,
        stock_skips: None,
    },
    Case {
        file: "phone-rotated.mp4",
        // The display matrix is written into the track header afterwards
        // (Debian 12's ffmpeg 5.1 writes none for -metadata rotate).
        make: &["-f", "lavfi", "-i", TESTSRC, "-c:v", "libx264", "-bf", "0", "-pix_fmt", "yuv420p"],
        chain: "transcode{vcodec=I420}",
        vlc_loses: (0, ""),
        vlc_channels: None,
        stock_skips: None,
    },
    Case {
        file: "vfr.mkv",
        make: &["-f", "lavfi", "-i", TESTSRC, "-vf", "setpts='PTS+0.02*floor(N/3)/TB'", "-fps_mode", "vfr",
            "-c:v", "libx264", "-bf", "0"],
        chain: "transcode{vcodec=I420}",
        vlc_loses: (0, ""),
        vlc_channels: None,
        stock_skips: None,
    },
    Case {
        file: "two-audio-and-subtitles.mkv",
        make: &["-f", "lavfi", "-i", TESTSRC, "-f", "lavfi", "-i", "sine=f=440:r=48000:d=2", "-f", "lavfi", "-i",
            "sine=f=1000:r=44100:d=2", "-f", "srt", "-i", "SUBTITLES", "-map", "0", "-map", "1", "-map", "2", "-map",
            "3", "-c:v", "libx264", "-bf", "0", "-c:a", "aac", "-c:s", "srt"],
        chain: "transcode{vcodec=I420,acodec=s16l}",
        vlc_loses: (0, ""),
        vlc_channels: Some((2, "VLC 3's AAC decoder (faad) gives mono AAC as 2 channels (it allows for parametric stereo)")),
        stock_skips: None,
    },
    Case {
        file: "tiny-16x16.mp4",
        make: &["-f", "lavfi", "-i", "testsrc2=size=16x16:rate=25:duration=1", "-c:v", "libx264", "-bf", "0"],
        chain: "transcode{vcodec=I420}",
        vlc_loses: (0, ""),
        vlc_channels: None,
        stock_skips: None,
    },
    Case {
        file: "wide-1918x202.mkv",
        make: &["-f", "lavfi", "-i", "testsrc2=size=1918x202:rate=25:duration=1", "-c:v", "libx264", "-bf", "0"],
        chain: "transcode{vcodec=I420}",
        vlc_loses: (0, ""),
        vlc_channels: None,
        stock_skips: None,
    },
    Case {
        file: "animated.gif",
        make: &["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10:duration=1"],
        chain: "transcode{vcodec=I420}",
        vlc_loses: (-90, "VLC 3 opens a GIF with its image demuxer: the first picture, held 10 s (image-duration) at 10 fps (image-fps); :demux=avformat plays the animation (9 of 10 pictures, the last kept back as above)"),
        vlc_channels: None,
        stock_skips: None,
    },
    Case {
        file: "mono-8khz.mp3",
        make: &["-f", "lavfi", "-i", "sine=r=8000:d=2", "-c:a", "libmp3lame", "-ac", "1"],
        chain: "transcode{acodec=s16l}",
        vlc_loses: (0, ""),
        vlc_channels: None,
        stock_skips: None,
    },
    Case {
        file: "aac-5.1.m4a",
        make: &["-f", "lavfi", "-i", "sine=r=48000:d=2", "-af", "pan=5.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0",
            "-c:a", "aac"],
        chain: "transcode{acodec=s16l}",
        vlc_loses: (0, ""),
        vlc_channels: None,
        stock_skips: None,
    },
];

fn matrix_dir() -> PathBuf {
    let dir = smem_testkit::profile_dir().join("../media-matrix");
    std::fs::create_dir_all(&dir).unwrap();
    dir.canonicalize().unwrap()
}

/// The case's file, made once (target/media-matrix keeps it).
fn make(dir: &Path, case: &Case) -> String {
    let subtitles = dir.join("subtitles.srt");
    std::fs::write(&subtitles, "1\n00:00:00,000 --> 00:00:01,000\nhello\n").unwrap();
    let args: Vec<String> = case
        .make
        .iter()
        .map(|a| if *a == "SUBTITLES" { subtitles.to_string_lossy().into_owned() } else { a.to_string() })
        .collect();
    let rotate = case.file == "phone-rotated.mp4";
    ffmpeg_once(dir, case.file, &args, |made| {
        if rotate {
            rotate_90(made)
        }
    })
}

/// `file` in `dir`, made by ffmpeg with `args` (then `finish`) unless an
/// earlier run made it: written aside and renamed, so a killed run leaves
/// no half file behind.
fn ffmpeg_once(dir: &Path, file: &str, args: &[String], finish: impl FnOnce(&Path)) -> String {
    let out = dir.join(file);
    if !out.exists() {
        let tmp = dir.join(format!("tmp-{file}"));
        let status = Command::new("ffmpeg").args(["-v", "error", "-y"]).args(args).arg(&tmp).status().unwrap();
        assert!(status.success(), "ffmpeg could not make {file}");
        finish(&tmp);
        std::fs::rename(&tmp, &out).unwrap();
    }
    out.to_string_lossy().into_owned()
}

/// Writes a 90° display matrix into an MP4's first track header, as a
/// phone held upright does.
fn rotate_90(mp4: &Path) {
    let mut bytes = std::fs::read(mp4).unwrap();
    let at = bytes.windows(4).position(|w| w == b"tkhd").expect("a track header");
    assert_eq!(bytes[at + 4], 0, "a version 0 tkhd");
    // version/flags, creation, modification, track id, reserved, duration,
    // reserved (8), layer, group, volume, reserved: then the matrix.
    let matrix = at + 4 + 4 + 4 * 5 + 8 + 8;
    let values: [u32; 9] = [0, 0x10000, 0, 0xffff_0000, 0, 0, 0, 0, 0x4000_0000];
    for (n, v) in values.iter().enumerate() {
        bytes[matrix + 4 * n..matrix + 4 * n + 4].copy_from_slice(&v.to_be_bytes());
    }
    std::fs::write(mp4, bytes).unwrap();
}

/// ffprobe's `-of flat` view of a stream kind: key -> value, for the first
/// stream of `kind` ("v" or "a"), frames counted.
fn probe(file: &str, kind: &str) -> HashMap<String, String> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", &format!("{kind}:0"), "-show_streams", "-of", "flat"])
        .arg(file)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let key = k.trim_start_matches("streams.stream.0.").to_owned();
            (key, v.trim_matches('"').to_owned())
        })
        .collect()
}

fn get<'a>(p: &'a HashMap<String, String>, key: &str) -> &'a str {
    p.get(key).map(String::as_str).unwrap_or("")
}

/// The frame's colour as smem-client names it (the names Python and
/// smem-grab give): ffprobe's, "unknown" for none.
fn colour_names(color_space: i32, primaries: i32, transfer: i32) -> [&'static str; 3] {
    let v = smem_client::VideoInfo { color_space, primaries, transfer, ..Default::default() };
    [
        v.color_space().map_or("unknown", |c| c.as_str()),
        v.color_primaries().map_or("unknown", |c| c.as_str()),
        v.color_transfer().map_or("unknown", |c| c.as_str()),
    ]
}

/// Whether smem-client's name for a colour value is ffprobe's (VLC has one
/// value for BT.601's matrix, where ffprobe names two).
fn same_colour(ours: &str, ffprobe: &str) -> bool {
    let ffprobe = if ffprobe.is_empty() { "unknown" } else { ffprobe };
    ours == ffprobe
        || (ours == smem_client::colour::ColorSpace::Bt601.as_str()
            && smem_client::colour::ColorSpace::Bt601.is_ffprobe(ffprobe))
}

fn reduce(num: u64, den: u64) -> (u64, u64) {
    fn gcd(a: u64, b: u64) -> u64 {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    let g = gcd(num, den).max(1);
    (num / g, den / g)
}

fn ratio(text: &str) -> Option<(u64, u64)> {
    let (n, d) = text.split_once([':', '/'])?;
    Some(reduce(n.parse().ok()?, d.parse().ok()?))
}

struct Played {
    stock: Run,
    stock_video: Vec<u8>,
    legacy: Run,
    legacy_video: Vec<u8>,
    frame: Run,
    frame_video: Vec<u8>,
}

fn play_all(dir: &Path, file: &str, chain: &str) -> Played {
    // Ours as smem-client plays: VLC's pictures through smem_raw; stock
    // through VLC's raw encoder, as stock clients have it.
    let raw = chain.replacen("vcodec=", "venc=smem_raw,vcodec=", 1);
    let run = |who: Smem, abi: &str, tag: &str| {
        let out = path(dir, &format!("{tag}.video"));
        let _ = std::fs::remove_file(&out);
        let chain = if who == Smem::Stock { chain } else { raw.as_str() };
        let mut args = vec!["--chain", chain, "--abi", abi, "--video-out", &out, "--time-sync", "false"];
        // Ours with smem_mark and smem_preroll, as smem-client plays: each
        // frame's time and the fields and colour of its source.
        let marked = format!("smem_mark:{chain}");
        if tag == "frame" {
            args = vec!["--chain", &marked, "--abi", abi, "--video-out", &out, "--time-sync", "false"];
            args.extend(["--option", ":demux-filter=smem_preroll"]);
        }
        let played = play(who, dir, file, &args);
        assert_eq!(played.state, "Ended", "{file} ({tag}): {}", played.stderr);
        let bytes = std::fs::read(&out).unwrap_or_default();
        (played, bytes)
    };
    let (stock, stock_video) = run(Smem::Stock, "legacy", "stock");
    let (legacy, legacy_video) = run(Smem::Ours, "legacy", "legacy");
    let (frame, frame_video) = run(Smem::Ours, "frame", "frame");
    Played { stock, stock_video, legacy, legacy_video, frame, frame_video }
}

/// Notes a failed check and goes on: one run shows every file's problems.
macro_rules! check {
    ($failures:ident, $cond:expr, $($msg:tt)+) => {
        if !$cond {
            $failures.push(format!($($msg)+));
        }
    };
}

macro_rules! check_eq {
    ($failures:ident, $left:expr, $right:expr, $($msg:tt)+) => {{
        let (left, right) = (&$left, &$right);
        if left != right {
            $failures.push(format!("{}: {:?} != {:?}", format!($($msg)+), left, right));
        }
    }};
}

#[test]
fn the_media_people_have_against_ffprobe() {
    let dir = matrix_dir();
    let mut failures: Vec<String> = Vec::new();
    let mut table = vec![
        "| file | frames: ffprobe / stock / ours | what the frame ABI says (ffprobe agrees unless noted) | known differences |"
            .to_owned(),
        "|---|---|---|---|".to_owned(),
    ];
    for case in CASES {
        let file = make(&dir, case);
        let work = dir.join(format!("run-{}", case.file));
        std::fs::create_dir_all(&work).unwrap();
        let p = play_all(&work, &file, case.chain);
        let v = probe(&file, "v");
        let name = case.file;
        let mut says = Vec::new();

        // Our two ABIs: the same frames, byte for byte.
        check_eq!(failures, p.legacy.video.frames, p.frame.video.frames, "{name}: video frames, legacy vs frame ABI");
        check_eq!(failures, p.legacy.audio.frames, p.frame.audio.frames, "{name}: audio blocks, legacy vs frame ABI");
        check!(failures, p.legacy_video == p.frame_video, "{name}: the frame ABI's bytes are not the legacy ABI's");

        let probed: u64 = get(&v, "nb_read_frames").parse().unwrap_or(0);
        let ours = p.frame.video.frames;
        let stock = p.stock.video.frames;
        if probed > 0 {
            check_eq!(
                failures,
                probed as i64 - case.vlc_loses.0,
                ours as i64,
                "{name}: ffprobe counts {probed} frames"
            );
            check!(failures, ours >= stock, "{name}: stock delivered {stock}, ours {ours}");
            // The stock smem's frames are ours, byte for byte: the first of
            // ours, or (it copies the first block of a chain only) some.
            if case.stock_skips.is_none() {
                check!(
                    failures,
                    p.legacy_video.starts_with(&p.stock_video),
                    "{name}: stock's frames are not our first"
                );
            } else {
                let frame_len = p.legacy_video.len() / ours.max(1) as usize;
                let mine: Vec<&[u8]> = p.legacy_video.chunks(frame_len).collect();
                let mut at = 0;
                let each_ours = p.stock_video.chunks(frame_len).all(|theirs| {
                    let found = mine[at..].iter().position(|m| *m == theirs);
                    at += found.map_or(0, |i| i + 1);
                    found.is_some()
                });
                check!(failures, each_ours, "{name}: a frame of stock's is none of ours");
            }
            let Some(first) = p.frame.video.calls.first().map(|c| c.frame().clone()) else {
                failures.push(format!("{name}: no video frame"));
                continue;
            };
            let call = &p.frame.video.calls[0];
            // Size, SAR, frame rate.
            let (w, h): (u32, u32) = (get(&v, "width").parse().unwrap(), get(&v, "height").parse().unwrap());
            check_eq!(failures, (call.width, call.height), (w, h), "{name}: size");
            let sar = ratio(get(&v, "sample_aspect_ratio")).unwrap_or((1, 1));
            check_eq!(failures, reduce(first.sar.0.into(), first.sar.1.into()), sar, "{name}: SAR");
            says.push(format!("{w}x{h} SAR {}:{}", sar.0, sar.1));
            let fps = ratio(get(&v, "r_frame_rate")).unwrap();
            if name == "vfr.mkv" {
                says.push(format!("{}/{} fps (VFR: times carry it)", first.frame_rate.0, first.frame_rate.1));
            } else {
                check_eq!(
                    failures,
                    reduce(first.frame_rate.0.into(), first.frame_rate.1.into()),
                    fps,
                    "{name}: frame rate"
                );
                says.push(format!("{}/{} fps", fps.0, fps.1));
            }
            // Colour: ffprobe's when VLC knows it (from the source track, through smem_mark).
            let known = first.color_source != 0;
            if known {
                let [space, primaries, transfer] = colour_names(first.color_space, first.primaries, first.transfer);
                check!(failures, same_colour(space, get(&v, "color_space")), "{name}: space");
                check!(failures, same_colour(primaries, get(&v, "color_primaries")), "{name}: primaries");
                check!(failures, same_colour(transfer, get(&v, "color_transfer")), "{name}: transfer");
                let range = if first.full_range { "full" } else { "limited" };
                says.push(format!("colour {space}/{primaries}/{transfer} ({range} range: the I420 VLC made)"));
            } else {
                says.push(format!("colour unknown (ffprobe: {} {})", get(&v, "color_space"), get(&v, "color_range")));
            }
            // Fields.
            let fields = get(&v, "field_order");
            let expected = match fields {
                "tt" | "tb" => 2,
                "bb" | "bt" => 3,
                _ => 1,
            };
            check_eq!(failures, first.field_order, expected, "{name}: field order (ffprobe {fields:?})");
            says.push(["", "progressive", "top field first", "bottom field first"][expected as usize].to_owned());
            // Rotation: ffprobe's -90 is VLC's "rotated 90" (ORIENT_ROTATED_90, 6).
            let rotation = p_rotation(&file);
            let orientation = match rotation {
                -90 | 270 => 6,
                90 | -270 => 5,
                180 | -180 => 3,
                _ => 0,
            };
            check_eq!(failures, first.orientation, orientation, "{name}: orientation (ffprobe rotation {rotation})");
            if orientation != 0 {
                says.push(format!("rotated {} degrees", -rotation));
            }
            // Sample size: 2 bytes holding 10 bits for a 10-bit chroma.
            let bits = if case.chain.contains("I0AL") { (2, 10) } else { (1, 8) };
            check_eq!(failures, first.pixel, bits, "{name}: bytes and bits of a sample");
            if bits.1 != 8 {
                says.push(format!("{} bytes a sample, {} bits used", bits.0, bits.1));
            }
            // Each frame's time, the stream's: one of ffprobe's, in order, to
            // 1 ms. VLC 3's image demuxer shows a GIF's first picture for 10 s
            // (a time of its own for each copy).
            check!(failures, first.media_time.is_some(), "{name}: a media time");
            if name != "animated.gif" {
                let probed = probe_times(&file);
                let times: Vec<i64> = p.frame.video.calls.iter().filter_map(|c| c.frame().media_time).collect();
                let stray: Vec<i64> =
                    times.iter().copied().filter(|t| !probed.iter().any(|p| p.abs_diff(*t) <= 1_000)).collect();
                check!(failures, stray.is_empty(), "{name}: times none of ffprobe's has: {stray:?} (of {probed:?})");
                // From the first on, an MP4 with B-frames too: VLC 3's MP4
                // demuxer stamps its first pictures late, smem_preroll gives
                // them their own times back (README, Real media).
                check!(failures, times.windows(2).all(|w| w[0] < w[1]), "{name}: times out of order: {times:?}");
                if times.len() == probed.len() {
                    let off: Vec<(usize, i64, i64)> = (times.iter().zip(&probed).enumerate())
                        .filter(|(_, (t, p))| t.abs_diff(**p) > 1_000)
                        .map(|(i, (t, p))| (i, *t, *p))
                        .collect();
                    check!(
                        failures,
                        off.is_empty(),
                        "{name}: frames (index, ours, ffprobe's) off ffprobe's time: {off:?}"
                    );
                }
                check_eq!(failures, times.len(), p.frame.video.calls.len(), "{name}: frames with a media time");
            }
        }
        if case.chain.contains("acodec") {
            // Each audio track (told apart by ES id) against ffprobe's, in order.
            let mut tracks: Vec<(i32, u32, u32, u32)> = Vec::new();
            for call in &p.frame.audio.calls {
                let es = call.frame().es_id;
                if !tracks.iter().any(|t| t.0 == es) {
                    tracks.push((es, call.rate, call.channels, call.frame().physical_channels));
                }
            }
            tracks.sort();
            let probed_tracks = probe_audio(&file);
            check_eq!(failures, tracks.len(), probed_tracks.len(), "{name}: audio tracks");
            for ((_, rate, channels, mask), (p_rate, p_channels, layout)) in tracks.iter().zip(&probed_tracks) {
                let (p_channels, layout) = match case.vlc_channels {
                    Some((c, _)) => (c, "stereo"),
                    None => (*p_channels, layout.as_str()),
                };
                check_eq!(failures, (*rate, *channels), (*p_rate, p_channels), "{name}: rate and channels");
                check_eq!(failures, Some(*mask), vlc_channel_mask(layout), "{name}: channel layout {layout}");
                says.push(format!("{rate} Hz, {channels} channels ({layout})"));
            }
        }
        let frames = if probed > 0 {
            format!("{probed} / {stock} / {ours}")
        } else {
            format!("audio: {} blocks", p.frame.audio.frames)
        };
        let known: Vec<&str> =
            [case.vlc_loses.1, case.vlc_channels.map_or("", |(_, why)| why), case.stock_skips.unwrap_or("")]
                .into_iter()
                .filter(|why| !why.is_empty())
                .collect();
        table.push(format!("| {name} | {frames} | {} | {} |", says.join(", "), known.join("; ")));
    }
    let table = table.join("\n");
    eprintln!("{table}");
    std::fs::write(dir.join("table.md"), table + "\n").unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// VLC's physical channel mask (AOUT_CHAN_*) for ffprobe's layout names.
fn vlc_channel_mask(layout: &str) -> Option<u32> {
    const C: u32 = 0x1;
    const L: u32 = 0x2;
    const R: u32 = 0x4;
    const REAR_L: u32 = 0x20;
    const REAR_R: u32 = 0x40;
    const MIDDLE_L: u32 = 0x100;
    const MIDDLE_R: u32 = 0x200;
    const LFE: u32 = 0x1000;
    Some(match layout {
        "mono" => C,
        "stereo" => L | R,
        "5.1" => L | R | C | LFE | REAR_L | REAR_R,
        "5.1(side)" => L | R | C | LFE | MIDDLE_L | MIDDLE_R,
        _ => return None,
    })
}

/// ffprobe's audio streams: (rate, channels, layout), in order (MPEG-TS
/// lists each again under its program: once each).
fn probe_audio(file: &str) -> Vec<(u32, u32, String)> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "a", "-show_entries"])
        .args(["stream=index,sample_rate,channels,channel_layout", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .unwrap();
    let mut seen = Vec::new();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split(',');
            let index = f.next()?.to_owned();
            let stream = (f.next()?.parse().ok()?, f.next()?.parse().ok()?, f.next().unwrap_or("").to_owned());
            (!seen.contains(&index)).then(|| {
                seen.push(index);
                stream
            })
        })
        .collect()
}

/// ffprobe's time of each picture of the first video stream, microseconds.
fn probe_times(file: &str) -> Vec<i64> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .unwrap();
    let seconds = String::from_utf8_lossy(&out.stdout);
    seconds
        .lines()
        // A line may go on after the time (",H.26[45] User Data Unregistered
        // SEI message" on x264's first frame).
        .filter_map(|l| l.split(',').next()?.trim().parse::<f64>().ok())
        .map(|t| (t * 1e6).round() as i64)
        .collect()
}

/// ffprobe's rotation of the first video stream (0 without a display matrix).
fn p_rotation(file: &str) -> i64 {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries", "stream_side_data=rotation", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).lines().find_map(|l| l.trim().trim_matches(',').parse().ok()).unwrap_or(0)
}

/// 10, 12 and 16-bit chromas this VLC makes, on both ABIs, against
/// ffmpeg's own decode: two bytes a sample, the bits said, the same bytes.
#[test]
fn high_bit_depth_planes_are_ffmpeg_s_decode() {
    let dir = matrix_dir();
    let mut checked = Vec::new();
    for (depth, source_fmt) in [(10, "yuv420p10le"), (12, "yuv420p12le")] {
        let args: Vec<String> = ["-f", "lavfi", "-i", "testsrc2=size=322x180:rate=25:duration=0.4", "-c:v", "libx265"]
            .into_iter()
            .chain(["-pix_fmt", source_fmt, "-x265-params", "log-level=error:bframes=0"])
            .map(str::to_owned)
            .collect();
        let file = ffmpeg_once(&dir, &format!("x265-{depth}bit-noB.mkv"), &args, |_| {});
        let cases: &[(&str, &str, u32)] = if depth == 10 {
            &[("I0AL", "yuv420p10le", 10), ("P010", "p010le", 10), ("I2AL", "yuv422p10le", 10)]
        } else {
            &[("I0CL", "yuv420p12le", 12), ("I0FL", "yuv420p16le", 16)]
        };
        for &(chroma, pix_fmt, bits) in cases {
            let work = dir.join(format!("run-{chroma}-{depth}"));
            std::fs::create_dir_all(&work).unwrap();
            let chain = format!("transcode{{vcodec={chroma}}}");
            let mut out = Vec::new();
            for abi in ["legacy", "frame"] {
                let video = path(&work, &format!("{abi}.video"));
                let _ = std::fs::remove_file(&video);
                let args =
                    ["--chain", &chain, "--abi", abi, "--no-audio", "--video-out", &video, "--time-sync", "false"];
                let run = play(Smem::Ours, &work, &file, &args);
                out.push((run, std::fs::read(&video).unwrap_or_default()));
            }
            let ((legacy, legacy_bytes), (frame, frame_bytes)) = (&out[0], &out[1]);
            if legacy.video.frames == 0 {
                eprintln!("{chroma}: this VLC's transcode makes no {chroma}; skipped");
                continue;
            }
            let decoded = Command::new("ffmpeg")
                .args(["-v", "error", "-i", &file, "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"])
                .output()
                .unwrap()
                .stdout;
            assert_eq!(legacy.video.frames, 10, "{chroma} from {depth} bits: every frame");
            assert!(legacy_bytes == frame_bytes, "{chroma}: the frame ABI's bytes are not the legacy ABI's");
            assert!(*frame_bytes == decoded, "{chroma} from {depth} bits: not ffmpeg's {pix_fmt}");
            let first = frame.video.calls[0].frame();
            assert_eq!(
                (first.fourcc.as_str(), first.pixel),
                (chroma, (2, bits)),
                "{chroma}: bytes and bits of a sample"
            );
            checked.push(chroma);
        }
    }
    eprintln!("checked: {checked:?}");
    assert!(checked.contains(&"I0AL") && checked.contains(&"P010"), "the 10-bit chromas every 3.0 knows");
}
