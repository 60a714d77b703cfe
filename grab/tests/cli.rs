//! smem-grab under real libvlc, with the smem-rs plugin built in this
//! workspace, on media the tests generate. Its files are read back with
//! independent decoders (png, hound), and the frames it selects are told
//! apart by their pictures: the generated clip's bar moves 4 pixels a
//! frame, so at 480 pixels wide each of its 100 frames differs.

mod common;

use std::process::Command;

use common::*;

#[test]
fn pngs_hold_exactly_the_frames_delivered() {
    let dir = scratch("pngs");
    let input = clip(&dir);
    let (frames, _) = raw_frames(&dir, &input, &[]);
    assert_eq!(frames.len(), 100);
    let out = dir.join("png");
    let summary = ok(&[&input, "-o", s(&out), "--no-audio"]);
    assert!(summary.contains("images: 100 png"), "{summary}");
    let written = pngs(&out);
    assert_eq!(written.len(), 100);
    for (n, (name, (w, h, pixels))) in written.iter().enumerate() {
        assert_eq!(name, &format!("frame-{:06}.png", n + 1));
        assert_eq!((*w, *h), (480, 64));
        assert!(*pixels == frames[n], "{name}: pixels differ from the frame delivered");
    }
    // Every frame differs, so the selection tests below can tell them apart.
    assert!(frames.windows(2).all(|w| w[0] != w[1]));
    assert!(summary.contains("abi: frame"), "smem-rs is loaded: {summary}");

    // The legacy callbacks give VLC's own RGB, and so does the stock smem
    // (no smem-rs on the plugin path: auto falls back to legacy); with
    // smem-rs, smem-client converts VLC's I420 itself (by the stream's
    // matrix, BT.601 here too): the same pictures, within rounding.
    let (legacy, _) = raw_frames(&dir, &input, &["--abi", "legacy"]);
    let close = |a: &[u8], b: &[u8]| {
        a.len() == b.len() && a.iter().zip(b).map(|(x, y)| u64::from(x.abs_diff(*y))).sum::<u64>() < a.len() as u64 * 2
    };
    assert!(
        legacy.len() == frames.len() && legacy.iter().zip(&frames).all(|(l, f)| close(l, f)),
        "the legacy ABI's frames differ"
    );
    let frames = legacy;
    let out = dir.join("stock");
    let stock = Command::new(EXE)
        .args([&input, "-o", s(&out), "--no-audio", "--max-frames", "5"])
        .env_remove("VLC_PLUGIN_PATH")
        .output()
        .expect("cannot run smem-grab");
    let text = String::from_utf8_lossy(&stock.stdout);
    assert!(stock.status.success(), "{text}{}", String::from_utf8_lossy(&stock.stderr));
    let stock_pngs = pngs(&out);
    assert_eq!(stock_pngs.len(), 5);
    assert!(stock_pngs.iter().zip(&frames).all(|((_, (_, _, p)), f)| p == f), "stock smem's frames differ");

    // A PNG picture as input (VLC decodes it with libpng): the RGB order
    // survives the whole way, exactly with VLC's own RGB (--abi legacy:
    // smem-rs's path goes through 4:2:0, README).
    let (w, h) = (40u32, 30u32);
    let rgb: Vec<u8> = (0..w * h).flat_map(|i| [(i * 7) as u8, (i / w * 8) as u8, (i % w * 6) as u8]).collect();
    let picture = dir.join("in.png");
    let mut encoder = png::Encoder::new(std::fs::File::create(&picture).unwrap(), w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.write_header().unwrap().write_image_data(&rgb).unwrap();
    let out = dir.join("picture");
    ok(&[s(&picture), "-o", s(&out), "--max-frames", "2", "--media-option", ":image-duration=1", "--abi", "legacy"]);
    let written = pngs(&out);
    assert_eq!(written.len(), 2);
    assert!(written.iter().all(|(_, (pw, ph, p))| (*pw, *ph) == (w, h) && *p == rgb), "the picture's pixels differ");
}

#[test]
fn every_start_stop_and_scale_pick_and_size_the_right_frames() {
    let dir = scratch("select");
    let input = clip(&dir);
    let (frames, pts) = raw_frames(&dir, &input, &[]);

    // --every 1: frames 1, 26, 51, 76 (0, 1, 2, 3 s), by pts and by picture.
    let out = dir.join("every");
    ok(&[&input, "-o", s(&out), "--every", "1", "--no-audio"]);
    let written = pngs(&out);
    let names: Vec<&str> = written.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["frame-000001.png", "frame-000026.png", "frame-000051.png", "frame-000076.png"]);
    for (name, (_, _, pixels)) in &written {
        let n: usize = name[6..12].parse().unwrap();
        assert!(*pixels == frames[n - 1], "{name} is not frame {n}");
    }
    assert_eq!([pts[25] - pts[0], pts[50] - pts[0], pts[75] - pts[0]], [1_000_000, 2_000_000, 3_000_000]);

    // --start 1 --stop 2: the second second of the clip. Now and then VLC's
    // avformat demuxer (which reads y4m here) hands out the first frame it
    // probed before it seeks; that frame is no doing of ours, and is not
    // counted.
    let (mut segment, _) = raw_frames(&dir, &input, &["--start", "1", "--stop", "2"]);
    let index = |f: &Vec<u8>| frames.iter().position(|g| g == f).expect("a frame of the clip");
    if index(&segment[0]) == 0 {
        eprintln!("--start 1: VLC's demuxer let frame 0 out first");
        segment.remove(0);
    }
    let first = index(&segment[0]);
    assert!((24..=26).contains(&first), "--start 1 began at frame {first}");
    assert!((23..=27).contains(&segment.len()), "{} frames in one second", segment.len());
    for (i, f) in segment.iter().enumerate() {
        assert_eq!(index(f), first + i, "frame {i} of the segment");
    }

    // --scale and --width: transcode's scaling, aspect kept with --width.
    for (args, size) in [(["--scale", "160x32"], (160, 32)), (["--width", "240"], (240, 32))] {
        let out = dir.join(format!("scale-{}", args[1]));
        ok(&[&input, "-o", s(&out), "--max-frames", "3", "--no-audio", args[0], args[1]]);
        let written = pngs(&out);
        assert_eq!(written.len(), 3, "{args:?}");
        assert!(written.iter().all(|(_, (w, h, _))| (*w, *h) == size), "{args:?}: {:?}", written[0].1 .0);
    }
}

#[test]
fn wav_jpeg_and_json_summaries() {
    let dir = scratch("wav");
    let wav = dir.join("in.wav");
    smem_testkit::media::write_wav(s(&wav), 44_100, 2, 1.0).unwrap();
    let out = dir.join("out");
    ok(&[s(&wav), "-o", s(&out)]);
    let mut reader = hound::WavReader::open(out.join("audio.wav")).unwrap();
    let spec = reader.spec();
    assert_eq!((spec.channels, spec.sample_rate, spec.bits_per_sample), (2, 44_100, 16));
    let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
    let input: Vec<i16> = smem_testkit::media::read_wav_pcm(s(&wav))
        .unwrap()
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    // VLC's core keeps back the last audio block at end of stream.
    assert!(
        input.starts_with(&samples) && samples.len() * 10 >= input.len() * 9,
        "{} of {} samples",
        samples.len(),
        input.len()
    );

    let input = clip(&dir);
    let out = dir.join("jpeg");
    let json = ok(&[&input, "-o", s(&out), "--format", "jpeg", "--every", "2", "--json", "--no-audio"]);
    let summary: serde_json::Value = serde_json::from_str(json.trim()).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!((summary["video_frames"].as_u64(), summary["images"].as_u64()), (Some(100), Some(2)), "{summary}");
    assert_eq!(summary["image_format"], "jpeg");
    assert_eq!(summary["ended"], "ended");
    for name in ["frame-000001.jpg", "frame-000051.jpg"] {
        let bytes = std::fs::read(out.join(name)).unwrap();
        assert!(bytes.starts_with(&[0xFF, 0xD8]) && bytes.ends_with(&[0xFF, 0xD9]), "{name} is not a JPEG");
    }
}

#[test]
fn bad_arguments_and_inputs_get_one_message_and_a_status() {
    let dir = scratch("bad");
    let garbage = dir.join("garbage.mkv");
    std::fs::write(&garbage, b"this is not a video").unwrap();
    let missing = dir.join("missing.mkv");
    for (args, status, message) in [
        (vec![], 2, "smem-grab: the following required arguments were not provided"),
        (vec!["a.mkv", "--format", "gif"], 2, "invalid value 'gif' for '--format <FORMAT>'"),
        (vec!["a.mkv", "--frobnicate"], 2, "unexpected argument '--frobnicate'"),
        (vec!["a.mkv", "--scale", "640"], 2, "is not WIDTHxHEIGHT"),
        (vec!["a.mkv", "--every", "0"], 2, "it must be above 0"),
        (vec!["a.mkv", "--latest", "--queue", "2"], 2, "cannot be used with"),
        (vec![s(&missing)], 1, "no such file"),
        (vec![s(&garbage), "-o", s(&dir)], 1, "no video or audio could be decoded"),
    ] {
        let run = grab(&args);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(status), "{args:?}: {stderr}");
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{args:?}: {stderr}");
        assert!(lines[0].starts_with("smem-grab: ") && lines[0].contains(message), "{args:?}: {stderr}");
    }
    let version = ok(&["--version"]);
    assert!(version.starts_with("smem-grab "), "{version}");
}

#[test]
fn progress_bar_and_help_in_a_terminal() {
    let dir = scratch("tty");
    let y4m = dir.join("in.y4m");
    smem_testkit::media::write_y4m(s(&y4m), 64, 48, 25, 40).unwrap(); // 1.6 s, played in real time
    let run_in_terminal = |args: &str| {
        // `script` gives the grabber a terminal; its output is the transcript.
        let out = Command::new("script")
            .args(["-qec", &format!("{EXE} {args}"), "/dev/null"])
            .env("VLC_PLUGIN_PATH", plugins())
            .output()
            .expect("script (util-linux)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{text}");
        text
    };
    let text = run_in_terminal(&format!("{} -o {} --format none --realtime", s(&y4m), s(&dir.join("out"))));
    assert!(
        text.contains("[#") && text.contains('%') && text.contains("frames (") && text.contains("ETA"),
        "no progress bar:\n{text}"
    );
    assert!(text.contains("video_frames: 40") && text.contains("frames_per_second:"), "no summary:\n{text}");
    // Not a terminal: no bar, just the summary. --no-tune-allocator, from
    // when tuning was the default, is still taken (and does nothing).
    let plain = grab(&[s(&y4m), "-o", s(&dir.join("out")), "--format", "none", "--no-tune-allocator"]);
    assert!(plain.status.success(), "{}", String::from_utf8_lossy(&plain.stderr));
    assert!(!String::from_utf8_lossy(&plain.stderr).contains("[#"));

    let help = run_in_terminal("--help");
    for option in [
        "--every",
        "--start",
        "--stop",
        "--scale",
        "--width",
        "--format",
        "--png-compression",
        "--json",
        "--latest",
        "--record",
        "--queue",
        "--tune-allocator",
        "Exit status",
    ] {
        assert!(help.contains(option), "--help does not explain {option}:\n{help}");
    }
}

/// `smem-grab rtsp://...`: a camera's stream (GStreamer's RTSP server on
/// 127.0.0.1 sending an H.264 file) through the plugin's RTSP input; one
/// that refuses the password is exit 1 with the reason, and the password
/// is never printed.
#[test]
fn an_rtsp_camera_is_grabbed_and_its_failure_is_explained() {
    let dir = scratch("rtsp");
    let clip = dir.join("cam.mkv");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2"])
        .args(["-c:v", "libx264", "-bf", "0", "-g", "25", "-pix_fmt", "yuv420p", s(&clip)])
        .status()
        .unwrap();
    assert!(made.success());
    let mount = smem_testkit::rtsp::h264_mount(s(&clip));
    let server = smem_testkit::rtsp::GstServer::start(&["--user", "cam", "--password", "hunter2"], &[mount]);
    let url = server.url("/h264").replace("rtsp://", "rtsp://cam:hunter2@");
    let out = dir.join("frames");
    let summary = ok(&[&url, "-o", s(&out), "--every", "1", "--no-progress"]);
    assert!(summary.contains("video_frames: 50") && summary.contains("images: 2 png"), "{summary}");
    assert!(summary.contains("input: rtsp://cam:***@127.0.0.1") && !summary.contains("hunter2"), "{summary}");
    assert_eq!(pngs(&out).len(), 2);
    // The live mode: frames come (how many a fast disk takes of the 50 varies).
    let live = dir.join("live");
    let summary = ok(&[&url, "-o", s(&live), "--latest", "--every", "1", "--no-progress"]);
    assert!(summary.contains("input: rtsp://cam:***@127.0.0.1"), "{summary}");
    assert!((1..=2).contains(&pngs(&live).len()), "{summary}");

    let wrong = grab(&[&url.replace("hunter2", "guess"), "-o", s(&dir.join("none")), "--no-progress"]);
    let (stdout, stderr) = (String::from_utf8_lossy(&wrong.stdout), String::from_utf8_lossy(&wrong.stderr));
    assert_eq!(wrong.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("smem_rtsp") && stderr.contains("401"), "{stderr}");
    assert!(!stdout.contains("guess") && !stderr.contains("guess"), "{stdout}{stderr}");
}

/// Frames and decode errors in a file, by ffprobe and ffmpeg: (video
/// frames, audio frames, whether ffmpeg decodes it all without a word).
fn probe(file: &std::path::Path) -> (u64, u64, bool) {
    let (video, audio, errors) = probe_errors(file);
    (video, audio, errors.is_empty())
}

/// [`probe`], with what ffmpeg said.
fn probe_errors(file: &std::path::Path) -> (u64, u64, String) {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-show_entries", "stream=codec_type,nb_read_frames", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .unwrap();
    let (mut video, mut audio) = (0, 0);
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        match line.split_once(',') {
            Some(("video", n)) => video = n.trim().parse().unwrap(),
            Some(("audio", n)) => audio = n.trim().parse().unwrap(),
            _ => {}
        }
    }
    let decoded =
        Command::new("ffmpeg").args(["-v", "error", "-i"]).arg(file).args(["-f", "null", "-"]).output().unwrap();
    assert!(decoded.status.success(), "ffmpeg cannot read {}", file.display());
    (video, audio, String::from_utf8_lossy(&decoded.stderr).into_owned())
}

/// `--record FILE`: the input's stream written as it comes, not
/// re-encoded; the frames delivered are those of a grab without it, and
/// the file's pictures are those delivered. Matroska survives a SIGKILL;
/// a path that cannot be written or another extension is exit 1, said.
#[test]
fn record_writes_the_stream_beside_the_frames() {
    let dir = scratch("record");
    let clip = dir.join("clip.mkv");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=6"])
        .args(["-f", "lavfi", "-i", "sine=duration=6", "-c:v", "libx264", "-bf", "0", "-g", "25"])
        .args(["-pix_fmt", "yuv420p", "-c:a", "aac", s(&clip)])
        .status()
        .unwrap();
    assert!(made.success());
    let rec = dir.join("rec.mkv");
    let (plain, plain_pts) = raw_frames(&dir, s(&clip), &[]);
    let (recorded, recorded_pts) = raw_frames(&dir, s(&clip), &["--record", s(&rec)]);
    assert_eq!(plain.len(), 150);
    // pts are VLC's clock dates: compared from the first.
    let from_first = |pts: &[i64]| pts.iter().map(|p| p - pts[0]).collect::<Vec<_>>();
    assert_eq!(from_first(&recorded_pts), from_first(&plain_pts));
    assert!(recorded == plain, "recording changed the frames delivered");
    // The source's 260 AAC frames but its last two at most, past the last
    // picture: VLC's muxer has them still queued when the input ends.
    let (video, audio, clean) = probe(&rec);
    assert!(video == 150 && (258..=260).contains(&audio) && clean, "{video} pictures, {audio} audio frames");
    let (replayed, _) = raw_frames(&dir, s(&rec), &[]);
    assert!(replayed == plain, "the recording's pictures are not those delivered");

    // Killed mid-way, in real time: the Matroska file plays up to its end.
    // A 12 s clip: libavformat's Matroska muxer writes a cluster once it
    // holds about 5 s of media, so the kill waits for the first one.
    let long = dir.join("long.mkv");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=12"])
        .args(["-c:v", "libx264", "-bf", "0", "-g", "25", "-pix_fmt", "yuv420p", s(&long)])
        .status()
        .unwrap();
    assert!(made.success());
    let killed = dir.join("killed.mkv");
    let mut child = Command::new(EXE)
        .args([s(&long), "-o", s(&dir.join("k")), "--format", "none", "--realtime", "--no-progress"])
        .args(["--record", s(&killed)])
        .env("VLC_PLUGIN_PATH", plugins())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let written = || std::fs::metadata(&killed).map(|m| m.len()).unwrap_or(0);
    let mut waited = 0;
    while written() < 20_000 && waited < 200 && child.try_wait().unwrap().is_none() {
        std::thread::sleep(std::time::Duration::from_millis(100));
        waited += 1;
    }
    assert!(child.try_wait().unwrap().is_none(), "the grab ended before its file had a cluster");
    child.kill().unwrap();
    child.wait().unwrap();
    let (video, _, clean) = probe(&killed);
    assert!(clean && (1..300).contains(&video), "{video} pictures in a killed grab's file ({} bytes)", written());

    for (file, says) in [
        (dir.join("no/such/folder/rec.mkv"), "record: cannot write"),
        (dir.join("rec.avi"), "name the file .mkv (Matroska) or .mp4"),
    ] {
        let out = grab(&[s(&clip), "-o", s(&dir.join("bad")), "--record", s(&file), "--no-progress"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.code() == Some(1) && stderr.contains(says), "{stderr}");
        assert!(!file.exists());
    }

    // A camera's stream (GStreamer's RTSP server).
    let server = smem_testkit::rtsp::GstServer::start(&[], &[smem_testkit::rtsp::h264_mount(s(&clip))]);
    let cam = dir.join("cam.mkv");
    let summary = ok(&[&server.url("/h264"), "-o", s(&dir.join("cam")), "--format", "none", "--record", s(&cam)]);
    assert!(summary.contains("video_frames: 150"), "{summary}");
    // Seen with smem_rtsp's stream, also with #std{} alone (without smem):
    // its times step back ~10 ms after the second key frame, where VLC's
    // muxer may leave a picture out or two get the same time; ffmpeg's
    // null muxer then says "non monotonically increasing dts".
    let (video, _, errors) = probe_errors(&cam);
    let decode_errors: Vec<&str> = errors.lines().filter(|l| !l.contains("non monotonically increasing dts")).collect();
    // One picture lost so, sometimes two (once in 9 runs, CI beside it).
    assert!(decode_errors.is_empty() && (148..=150).contains(&video), "{video} pictures of 150: {errors}");
}

/// A camera that drops and comes back (the server killed 2 s in, started
/// again on the same port 2 s later): the grab goes on through the gap and
/// its summary tells it.
#[test]
fn a_camera_that_restarts_is_one_grab_with_its_gap_in_the_summary() {
    let dir = scratch("rtsp-restart");
    let clip = dir.join("cam.mkv");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4"])
        .args(["-c:v", "libx264", "-bf", "0", "-g", "25", "-pix_fmt", "yuv420p", s(&clip)])
        .status()
        .unwrap();
    assert!(made.success());
    let mut server = smem_testkit::rtsp::GstServer::start(&[], &[smem_testkit::rtsp::h264_mount(s(&clip))]);
    let (url, out) = (server.url("/h264"), dir.join("frames"));
    let grabbing = std::thread::spawn(move || ok(&[&url, "-o", s(&out), "--every", "1", "--no-progress"]));
    std::thread::sleep(std::time::Duration::from_secs(2));
    server.kill();
    std::thread::sleep(std::time::Duration::from_secs(2));
    server.restart();
    let summary = grabbing.join().unwrap();
    assert!(summary.contains("gaps: 1 (") && summary.contains("ended: ended"), "{summary}");
}
