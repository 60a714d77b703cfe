//! The frame ABI (`include/smem.h`) under real libvlc, against the legacy
//! callbacks of the same plugin: the same visible bytes for every raw format
//! (read line by line through the plane pitches the frame gives), correct
//! descriptions, and the lifetime rules (hold, release, the bound, misuse).

use smem_testkit::{assert_ours_served, assert_played, media, path, play, scratch, Run, Smem};

/// Plays `media` once per ABI with `args`, writing what each delivers.
fn both(dir: &std::path::Path, media: &str, args: &[&str]) -> (Run, Vec<u8>, Vec<u8>, Run, Vec<u8>, Vec<u8>) {
    let mut out = Vec::new();
    for abi in ["legacy", "frame"] {
        let (v, a) = (path(dir, &format!("{abi}.video")), path(dir, &format!("{abi}.audio")));
        let mut all = args.to_vec();
        all.extend(["--abi", abi, "--video-out", &v, "--audio-out", &a, "--time-sync", "false"]);
        let run = play(Smem::Ours, dir, media, &all);
        assert_played(&run);
        assert_ours_served(&run);
        out.push((run, std::fs::read(&v).unwrap_or_default(), std::fs::read(&a).unwrap_or_default()));
    }
    let (frame, legacy) = (out.pop().unwrap(), out.pop().unwrap());
    (legacy.0, legacy.1, legacy.2, frame.0, frame.1, frame.2)
}

#[test]
fn every_raw_video_chroma_gives_the_legacy_bytes_through_the_plane_pitches() {
    let dir = scratch("frame-chromas");
    // Odd sizes: chroma planes round up, lines have odd lengths.
    let y4m = path(&dir, "in.y4m");
    media::write_y4m(&y4m, 321, 241, 25, 6).unwrap();
    let mut checked = Vec::new();
    for chroma in ["I420", "RV24", "RV32", "YUY2", "NV12", "I422", "I444", "GREY", "RV16", "UYVY", "J420", "YV12"] {
        let chain = format!("transcode{{vcodec={chroma}}}");
        let (legacy, lv, _, frame, fv, _) = both(&dir, &y4m, &["--no-audio", "--chain", &chain]);
        if legacy.video.frames == 0 {
            eprintln!("{chroma}: this VLC's transcode makes no {chroma}; skipped");
            continue;
        }
        assert_eq!(legacy.video.frames, frame.video.frames, "{chroma}");
        assert!(!lv.is_empty() && lv == fv, "{chroma}: {} legacy bytes, {} through the frame ABI", lv.len(), fv.len());
        let calls = frame.video.calls.iter().collect::<Vec<_>>();
        let first = calls[0];
        assert_eq!(first.frame().fourcc, chroma, "{chroma}");
        // Legacy reports "WxH pixel_pitch=..": the same visible size.
        let size = legacy.video.format.as_deref().unwrap_or_default().split(' ').next().unwrap().to_owned();
        assert_eq!(format!("{}x{}", first.width, first.height), size, "{chroma}");
        assert!(!first.frame().planes.is_empty(), "{chroma}: a raw chroma is described plane by plane");
        // transcode keeps the display aspect of 321x241 with a SAR near 1.
        let (num, den) = first.frame().sar;
        assert!((f64::from(num) / f64::from(den) - 1.0).abs() < 0.01, "{chroma}: sar {num}/{den}");
        assert_eq!(first.frame().frame_rate, (25, 1));
        checked.push(chroma);
    }
    eprintln!("checked: {checked:?}");
    for core in ["I420", "RV24", "RV32", "YUY2"] {
        assert!(checked.contains(&core), "{core} was not checked");
    }
}

#[test]
fn raw_y4m_and_cropped_mpeg4_decode_give_the_legacy_bytes() {
    let dir = scratch("frame-cropped");
    let y4m = path(&dir, "in.y4m");
    media::write_y4m(&y4m, 64, 48, 25, 5).unwrap();
    // Raw I420 straight from the file: no transcode at all.
    let (legacy, lv, _, frame, fv, _) = both(&dir, &y4m, &["--no-audio"]);
    assert_eq!(lv, media::read_y4m(&y4m).unwrap().2.concat());
    assert_eq!(lv, fv);
    assert_eq!(legacy.video.frames, 5);
    assert_eq!(frame.video.calls[0].frame().planes, [(64, 64, 48), (32, 32, 24), (32, 32, 24)]);

    // An mpeg4 decode is coded at 320x256 (padded lines) for a visible
    // 320x240: the frame ABI points into the coded picture.
    let ts = smem_testkit::mpeg4_clip(&dir);
    let (legacy, lv, la, frame, fv, fa) =
        both(&dir, &ts, &["--chain", "transcode{vcodec=I420,acodec=s16l}", "--no-audio"]);
    assert_eq!(legacy.video.frames, frame.video.frames);
    assert!(!lv.is_empty() && lv == fv, "{} vs {} bytes", lv.len(), fv.len());
    assert_eq!(la, fa);
    let first = &frame.video.calls[0];
    assert_eq!((first.width, first.height), (320, 240));
    eprintln!("mpeg4 decode: coded {:?} planes {:?}", first.frame().coded, first.frame().planes);
}

#[test]
fn every_pcm_format_gives_the_legacy_bytes() {
    let dir = scratch("frame-pcm");
    let wav = path(&dir, "in.wav");
    media::write_wav(&wav, 44_100, 2, 0.6).unwrap();
    for (acodec, bits) in [("s16l", 16), ("s32l", 32), ("fl32", 32), ("u8", 8), ("s24l", 24)] {
        let chain = format!("transcode{{acodec={acodec}}}");
        let (legacy, _, la, frame, _, fa) = both(&dir, &wav, &["--no-video", "--chain", &chain]);
        assert!(legacy.audio.frames > 0, "{acodec}");
        assert_eq!(legacy.audio.frames, frame.audio.frames, "{acodec}");
        assert!(la == fa, "{acodec}: {} vs {} bytes", la.len(), fa.len());
        let first = &frame.audio.calls[0];
        assert_eq!(first.bits_per_sample, bits, "{acodec}");
        assert_eq!((first.channels, first.rate), (2, 44100));
        assert_eq!(first.frame().physical_channels, 0x6, "{acodec}: left and right");
        let samples: i64 = frame.audio.calls.iter().map(|c| i64::from(c.nb_samples)).sum();
        assert_eq!(samples as usize * 2 * bits as usize / 8, fa.len(), "{acodec}: samples count the bytes");
    }
}

/// An mkv with one video and two PCM audio tracks of different tones, made by ffmpeg.
fn two_audio_tracks(dir: &std::path::Path) -> String {
    let out = path(dir, "two-audio.mkv");
    let status = std::process::Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=1"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=1:sample_rate=48000"])
        .args(["-f", "lavfi", "-i", "sine=frequency=880:duration=1:sample_rate=48000"])
        .args(["-map", "0:v", "-map", "1:a", "-map", "2:a", "-c:v", "mpeg4", "-c:a", "pcm_s16le", &out])
        .status()
        .expect("ffmpeg (make deps installs it)");
    assert!(status.success(), "ffmpeg could not make {out}");
    out
}

#[test]
fn two_audio_tracks_are_told_apart_by_es_id() {
    let dir = scratch("frame-two-audio");
    let mkv = two_audio_tracks(&dir);
    let run = play(
        Smem::Ours,
        &dir,
        &mkv,
        &["--abi", "frame", "--chain", "transcode{vcodec=I420,acodec=s16l}", "--option", ":sout-all"],
    );
    assert_played(&run);
    let audio = run.audio.calls.iter().collect::<Vec<_>>();
    let mut ids: Vec<i32> = audio.iter().map(|c| c.frame().es_id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 2, "two audio ES ids expected, got {ids:?}");
    for id in &ids {
        let blocks: Vec<_> = audio.iter().filter(|c| c.frame().es_id == *id).collect();
        assert!(blocks.len() >= 10, "ES {id}: {} blocks", blocks.len());
        // Each track's pts only grow: they are two streams, not one.
        assert!(blocks.windows(2).all(|w| w[0].pts < w[1].pts), "ES {id}");
    }
    // Every track has its own generation.
    let video_gen = run.video.calls[0].frame().generation;
    assert!(audio.iter().all(|c| c.frame().generation != video_gen));
}

#[test]
fn a_format_change_in_one_output_changes_the_generation() {
    // Two clips of different sizes played one after the other on one player
    // with :sout-keep: one smem output sees its format change.
    let dir = scratch("frame-generation");
    let (a, b) = (path(&dir, "a.y4m"), path(&dir, "b.y4m"));
    media::write_y4m(&a, 64, 48, 25, 4).unwrap();
    media::write_y4m(&b, 80, 60, 25, 4).unwrap();
    let run = play(
        Smem::Ours,
        &dir,
        &a,
        &["--abi", "frame", "--no-audio", "--time-sync", "false", "--then", &b, "--option", ":sout-keep"],
    );
    assert_played(&run);
    let calls = run.video.calls.iter().collect::<Vec<_>>();
    assert_eq!(calls.len(), 8);
    let (first, second) = (&calls[..4], &calls[4..]);
    let generation = |c: &&smem_testkit::Call| c.frame().generation;
    assert!(first.iter().all(|c| c.width == 64 && generation(c) == generation(&first[0])));
    assert!(second.iter().all(|c| c.width == 80 && generation(c) == generation(&second[0])));
    assert_ne!(generation(&first[0]), generation(&second[0]));
    assert_eq!(run.log.matches("smem (Rust) opened").count(), 1, "one output for both clips");
}

#[test]
fn encoded_passthrough_flags_keyframes() {
    let dir = scratch("frame-keyframes");
    let ts = smem_testkit::mpeg4_clip(&dir);
    let (legacy, lv, _, frame, fv, _) = both(&dir, &ts, &["--no-audio"]);
    assert_eq!(legacy.video.frames, frame.video.frames);
    assert_eq!(lv, fv, "encoded data is handed over as it is by both ABIs");
    let calls = frame.video.calls.iter().collect::<Vec<_>>();
    assert!(calls.iter().all(|c| c.frame().fourcc == "mp4v" && c.frame().planes.is_empty()), "{:?}", calls[0]);
    let generation = calls[0].frame().generation;
    assert!(calls.iter().all(|c| c.frame().generation == generation), "encoded sizes vary; the format does not");
    let keyframes = calls.iter().filter(|c| i64::from(c.frame().flags) & 1 != 0).count();
    assert!(keyframes >= 1 && keyframes < calls.len(), "{keyframes} keyframes of {}", calls.len());
    assert!(i64::from(calls[0].frame().flags) & 1 != 0, "the first frame of an mpeg4 stream is a keyframe");
}

#[test]
fn seeking_while_frames_are_held_delivers_and_releases_cleanly() {
    let clip = smem_testkit::clip_with_sound("frame-seek", (64, 48), 100);
    let run = play(
        Smem::Ours,
        &clip.dir,
        &clip.y4m,
        &["--abi", "frame", "--option", &clip.slave, "--hold", "keep:4", "--seek", "2000", "--smem-opts", "queue=8"],
    );
    assert_played(&run);
    assert_eq!(run.video.abi().held_changed, Some(0));
    assert_eq!(run.audio.abi().held_changed, Some(0));
    assert!(run.video.frames >= 40, "{}", run.stdout);
}

#[test]
fn held_frames_stay_valid_after_libvlc_release_and_release_safely() {
    // The video blocks of a transcode are freed by avcodec's plugin, which
    // VLC unloads at libvlc_release: without pinning it, this crashes.
    let clip = smem_testkit::clip_with_sound("frame-after-exit", (160, 120), 12);
    let run = play(
        Smem::Ours,
        &clip.dir,
        &clip.y4m,
        &[
            "--abi",
            "frame",
            "--chain",
            "transcode{vcodec=RV32,acodec=s16l}",
            "--option",
            &clip.slave,
            "--hold",
            "after-exit",
        ],
    );
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    assert_played(&run);
    assert_eq!(run.video.abi().held_at_end.unwrap() + run.audio.abi().held_at_end.unwrap(), 16, "the default bound");
    assert_eq!(run.video.abi().held_changed, Some(0));
    assert_eq!(run.audio.abi().held_changed, Some(0));
    assert!(run.log_has("the application still holds 16 frames: each stays valid until it is released"));
}

#[test]
fn misuse_is_reported_never_crashes() {
    let dir = scratch("frame-misuse");
    let y4m = path(&dir, "in.y4m");
    media::write_y4m(&y4m, 32, 24, 25, 30).unwrap();
    let base = ["--abi", "frame", "--no-audio", "--time-sync", "false"];

    // Released twice: ignored, said (rate-limited).
    let run = play(Smem::Ours, &dir, &y4m, &[&base[..], &["--hold", "twice"]].concat());
    assert_played(&run);
    let lines = run.log.lines().filter(|l| l.contains("release: the frame is not held (released twice")).count();
    assert_eq!(lines, 2, "30 double releases are logged at the 1st and 10th:\n{}", run.log);

    // Hold from another thread after the callback: refused, said.
    let run = play(Smem::Ours, &dir, &y4m, &[&base[..], &["--hold", "elsewhere"]].concat());
    assert_played(&run);
    assert_eq!(run.video.abi().hold_elsewhere_refused, Some(true));

    // Never released: the bound stops holds, Close names how many are left.
    let run = play(Smem::Ours, &dir, &y4m, &[&base[..], &["--hold", "never", "--smem-opts", "max-held=5"]].concat());
    assert_played(&run);
    assert_eq!(run.video.frames, 30, "the bound drops nothing: the frame is still delivered");
    assert_eq!(run.video.abi().hold_refused, 25);
    assert!(run.log_has("hold refused: the application already holds 5 frames (sout-smem-max-held)"));
    assert!(run.log_has("the application still holds 5 frames"));

    // Both ABIs for one kind, and a bad bound: refused at Open, with reasons.
    let run =
        play(Smem::Ours, &dir, &y4m, &["--no-audio", "--smem-opts", "video-frame-callback={vframe},max-held=lots"]);
    assert!(run.log_has("give video frames either to the frame callback or to the pair, not both"), "{}", run.log);
    assert!(run.log_has("invalid value \"lots\" for option sout-smem-max-held"), "{}", run.log);
    assert_eq!(run.video.frames, 0);
}

#[test]
fn ten_thousand_holds_at_the_bound() {
    let dir = scratch("frame-bound");
    let y4m = path(&dir, "in.y4m");
    media::write_y4m(&y4m, 16, 16, 25, 10_004).unwrap();
    let run = play(
        Smem::Ours,
        &dir,
        &y4m,
        &["--abi", "frame", "--no-audio", "--time-sync", "false", "--hold", "never", "--smem-opts", "max-held=4"],
    );
    assert_played(&run);
    assert_eq!(run.video.frames, 10_004);
    assert_eq!(run.video.abi().hold_refused, 10_000);
    let refusals = run.log.lines().filter(|l| l.contains("hold refused")).count();
    assert_eq!(refusals, 5, "logged at the 1st, 10th, 100th, 1000th and 10000th");
}

#[test]
fn our_code_copies_the_legacy_frames_and_nothing_through_the_frame_abi() {
    let clip = smem_testkit::clip_with_sound("frame-copies", (96, 64), 10);
    let args = ["--chain", "transcode{vcodec=RV24,acodec=s16l}", "--option", &clip.slave];
    let (legacy, lv, la, frame, fv, fa) = both(&clip.dir, &clip.y4m, &args);
    let copied = |run: &Run, kind: &str| -> u64 {
        let line = run.log.lines().find(|l| l.contains(&format!("smem_rs: {kind} track ended"))).expect("end line");
        let words: Vec<&str> = line.split_whitespace().collect();
        let at = words.iter().position(|w| *w == "bytes").expect("bytes copied");
        words[at - 1].parse().unwrap()
    };
    assert_eq!(copied(&legacy, "video"), lv.len() as u64);
    assert_eq!(copied(&legacy, "audio"), la.len() as u64);
    assert_eq!((copied(&frame, "video"), copied(&frame, "audio")), (0, 0));
    assert_eq!((lv, la), (fv, fa));
}

#[test]
fn a_plain_c_host_compiles_against_smem_h_and_gets_every_frame_on_vlcs_threads() {
    let clip = smem_testkit::clip_with_sound("frame-c-host", (96, 64), 20);
    let media = clip.y4m.clone();
    let chain = "#transcode{vcodec=RV24,acodec=s16l}:smem";
    let legacy = format!(
        "{chain}{{video-prerender-callback={{vpre}},video-postrender-callback={{vpost}},video-data={{vdata}},\
         audio-prerender-callback={{apre}},audio-postrender-callback={{apost}},audio-data={{adata}},time-sync=false}}"
    );
    let frames = format!(
        "{chain}{{video-frame-callback={{vframe}},video-data={{vdata}},audio-frame-callback={{aframe}},audio-data={{adata}},time-sync=false}}"
    );
    // The slave WAV comes through the media option the host does not take:
    // play the y4m alone for video, the WAV alone for audio.
    for (input, kind) in [(&media, "frames"), (&clip.wav, "audio_blocks")] {
        let a = smem_testkit::c_host_run(Smem::Ours, input, &legacy);
        let b = smem_testkit::c_host_run(Smem::Ours, input, &frames);
        assert_eq!(a[kind], b[kind], "{input}: legacy {a:?}\nframe ABI {b:?}");
        assert!(b[kind].parse::<u32>().unwrap() > 0);
        assert_eq!(a["threads"], b["threads"], "the same VLC threads call both ABIs");
        assert_eq!(b["overlaps"], "0");
    }
}

/// smem-client's `#[repr(C)]` mirror of the header against bindgen's reading
/// of `include/smem.h`: same sizes, same offsets.
#[test]
fn the_client_library_s_structs_match_the_header() {
    use smem_client::abi;
    use smem_rs_plugin::ffi::sys;
    use std::mem::{offset_of, size_of};
    assert_eq!(size_of::<abi::Frame>(), size_of::<sys::smem_frame_t>());
    assert_eq!(size_of::<abi::Video>(), size_of::<sys::smem_video_t>());
    assert_eq!(size_of::<abi::Audio>(), size_of::<sys::smem_audio_t>());
    assert_eq!(size_of::<abi::Plane>(), size_of::<sys::smem_plane_t>());
    macro_rules! same {
        ($ours:ty, $theirs:ty, $($field:ident),*) => {
            $(assert_eq!(offset_of!($ours, $field), offset_of!($theirs, $field), stringify!($field));)*
        };
    }
    same!(
        abi::Frame,
        sys::smem_frame_t,
        struct_size,
        version,
        kind,
        es_id,
        pts,
        dts,
        flags,
        generation,
        dropped_before,
        video,
        audio,
        hold,
        release,
        media_time,
        camera_time,
        gap_before
    );
    same!(
        abi::Video,
        sys::smem_video_t,
        struct_size,
        chroma,
        width,
        height,
        x_offset,
        y_offset,
        coded_width,
        coded_height,
        sar_num,
        sar_den,
        frame_rate_num,
        frame_rate_den,
        color_space,
        color_range_full,
        primaries,
        transfer,
        orientation,
        plane_count,
        planes,
        data,
        size,
        pixel_size,
        pixel_bits,
        field_order,
        color_source
    );
    same!(
        abi::Audio,
        sys::smem_audio_t,
        struct_size,
        format,
        rate,
        channels,
        physical_channels,
        bits_per_sample,
        samples,
        data,
        size
    );
    same!(abi::Plane, sys::smem_plane_t, pixels, pitch, visible_bytes, lines);
    assert_eq!(abi::FRAME_VERSION, sys::SMEM_FRAME_VERSION);
    assert_eq!((abi::KIND_VIDEO, abi::KIND_AUDIO), (sys::SMEM_KIND_VIDEO, sys::SMEM_KIND_AUDIO));
    assert_eq!(
        (abi::FLAG_KEYFRAME, abi::FLAG_DISCONTINUITY, abi::FLAG_CORRUPTED),
        (sys::SMEM_FLAG_KEYFRAME, sys::SMEM_FLAG_DISCONTINUITY, sys::SMEM_FLAG_CORRUPTED)
    );
    assert_eq!(abi::TIME_UNKNOWN, sys::SMEM_TIME_UNKNOWN);
    assert_eq!(
        [abi::FIELDS_UNKNOWN, abi::FIELDS_PROGRESSIVE, abi::FIELDS_TOP_FIRST, abi::FIELDS_BOTTOM_FIRST],
        [
            sys::SMEM_FIELDS_UNKNOWN,
            sys::SMEM_FIELDS_PROGRESSIVE,
            sys::SMEM_FIELDS_TOP_FIRST,
            sys::SMEM_FIELDS_BOTTOM_FIRST
        ]
    );
    assert_eq!(
        [abi::COLOR_UNKNOWN, abi::COLOR_FRAMES, abi::COLOR_SOURCE],
        [sys::SMEM_COLOR_UNKNOWN, sys::SMEM_COLOR_FRAMES, sys::SMEM_COLOR_SOURCE]
    );
    assert_eq!(abi::MAX_PLANES, sys::SMEM_MAX_PLANES as usize);
}
