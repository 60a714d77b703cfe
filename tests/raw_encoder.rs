//! `smem_raw` (`#transcode{vcodec=...,venc=smem_raw}`) under real libvlc:
//! VLC's decoded pictures reach smem without VLC's raw encoder copying
//! them, and every frame's visible bytes are those VLC's raw encoder gives,
//! through the frame ABI and the legacy callbacks alike: every chroma at
//! odd sizes, with filters, scaling, deinterlacing and transcode's encoder
//! thread, through `duplicate{}`, and held past libvlc_release. H.264 with B-frames gives
//! ffmpeg's decode, every frame (VLC's raw encoder drops some).

use std::process::Command;

use smem_testkit::{assert_ours_served, assert_played, media, path, play, scratch, Run, Smem};

/// One run of `media` through `head` (the chain before smem) on `abi`:
/// the run and the video bytes it delivered.
fn grab(dir: &std::path::Path, media: &str, head: &str, abi: &str, extra: &[&str]) -> (Run, Vec<u8>) {
    let out = path(dir, &format!("{abi}-{}.video", head.len()));
    // A run that delivers nothing must not leave an earlier run's bytes.
    let _ = std::fs::remove_file(&out);
    let mut args = vec!["--no-audio", "--time-sync", "false", "--abi", abi, "--video-out", &out, "--chain", head];
    args.extend(extra);
    let run = play(Smem::Ours, dir, media, &args);
    assert_played(&run);
    assert_ours_served(&run);
    let bytes = std::fs::read(&out).unwrap_or_default();
    (run, bytes)
}

/// `transcode{<codecs>}` with VLC's raw encoder, and with ours.
fn both_encoders(codecs: &str) -> (String, String) {
    (format!("transcode{{{codecs}}}"), format!("transcode{{{codecs},venc=smem_raw}}"))
}

/// The run used smem_raw, and lent VLC's pictures rather than copying them.
fn assert_lent(run: &Run) {
    assert!(run.log_has("using encoder module \"smem_rs\""), "smem_raw was not used:\n{}", run.log);
    assert!(run.log_has("the pictures themselves"), "smem_raw copied:\n{}", run.log);
    assert!(!run.log_has("or not libvlccore's own: copied"), "a picture was copied:\n{}", run.log);
}

#[test]
fn every_raw_chroma_at_an_odd_size_gives_vlc_s_raw_encoder_bytes_without_a_copy() {
    let dir = scratch("raw-chromas");
    let y4m = path(&dir, "in.y4m");
    media::write_y4m(&y4m, 321, 241, 25, 6).unwrap();
    let mut checked = Vec::new();
    for chroma in ["I420", "RV24", "RV32", "YUY2", "NV12", "I422", "I444", "GREY", "RV16", "UYVY", "J420", "YV12"] {
        let (vlc, ours) = both_encoders(&format!("vcodec={chroma}"));
        let (legacy, expected) = grab(&dir, &y4m, &vlc, "legacy", &[]);
        if legacy.video.frames == 0 {
            eprintln!("{chroma}: this VLC's transcode makes no {chroma}; skipped");
            continue;
        }
        let (frame, lent) = grab(&dir, &y4m, &ours, "frame", &[]);
        assert_lent(&frame);
        assert_eq!(frame.video.frames, legacy.video.frames, "{chroma}");
        assert!(lent == expected, "{chroma}: {} bytes lent, {} from VLC's encoder", lent.len(), expected.len());
        // The planes are the picture's own: lines longer than the visible
        // 322 (transcode makes sizes even), padded to libvlccore's alignment.
        let first = frame.video.calls[0].frame();
        assert_eq!(first.fourcc, chroma);
        assert!(first.planes.iter().all(|&(pitch, visible, _)| pitch > visible), "{chroma}: {:?}", first.planes);
        assert_eq!((frame.video.calls[0].width, frame.video.calls[0].height), (322, 242), "{chroma}");
        // The legacy callbacks copy the same visible bytes out of it.
        let (_, copied) = grab(&dir, &y4m, &ours, "legacy", &[]);
        assert!(copied == expected, "{chroma}: the legacy callbacks over smem_raw");
        checked.push(chroma);
    }
    eprintln!("checked: {checked:?}");
    for core in ["I420", "RV24", "RV32", "YUY2"] {
        assert!(checked.contains(&core), "{core} was not checked");
    }
}

#[test]
fn filters_scaling_and_deinterlacing_give_vlc_s_raw_encoder_bytes() {
    let dir = scratch("raw-filters");
    let y4m = path(&dir, "in.y4m");
    media::write_y4m(&y4m, 322, 242, 25, 8).unwrap();
    for codecs in [
        "vcodec=I420,vfilter=invert",
        "vcodec=RV32,scale=0.5",
        "vcodec=I420,width=200,height=150",
        "vcodec=I420,deinterlace,deinterlace-module=yadif",
        "vcodec=I422,deinterlace,deinterlace-module=yadif2x,vfilter=invert",
        // transcode's own encoder thread.
        "vcodec=I420,threads=2",
    ] {
        let (vlc, ours) = both_encoders(codecs);
        let (legacy, expected) = grab(&dir, &y4m, &vlc, "legacy", &[]);
        let (frame, lent) = grab(&dir, &y4m, &ours, "frame", &[]);
        assert!(legacy.video.frames >= 7, "{codecs}: {} frames", legacy.video.frames);
        assert_eq!(frame.video.frames, legacy.video.frames, "{codecs}");
        assert!(!lent.is_empty() && lent == expected, "{codecs}: {} vs {} bytes", lent.len(), expected.len());
        assert!(frame.log_has("using encoder module \"smem_rs\""), "{codecs}");
    }
}

#[test]
fn a_duplicate_branch_gets_the_same_frames_whether_it_holds_the_block_or_a_copy() {
    let dir = scratch("raw-duplicate");
    let y4m = path(&dir, "in.y4m");
    media::write_y4m(&y4m, 161, 121, 25, 6).unwrap();
    let (_, expected) = grab(&dir, &y4m, "transcode{vcodec=I420}", "legacy", &[]);
    let smem = "smem{video-frame-callback={vframe},video-data={vdata},time-sync=false}";
    // duplicate{} hands the last branch the block, the others a copy
    // (block_Duplicate): one run of each.
    for (name, branches) in [("copy", format!("dst={smem},dst=dummy")), ("block", format!("dst=dummy,dst={smem}"))] {
        let out = path(&dir, &format!("{name}.video"));
        let sout = format!("#transcode{{vcodec=I420,venc=smem_raw}}:duplicate{{{branches}}}");
        let run = play(Smem::Ours, &dir, &y4m, &["--no-audio", "--abi", "frame", "--sout", &sout, "--video-out", &out]);
        assert_played(&run);
        assert_lent(&run);
        assert_eq!(run.video.frames, 6, "{name}");
        assert!(std::fs::read(&out).unwrap() == expected, "{name}: not VLC's raw encoder's bytes");
    }
}

/// ffmpeg's decode of `file` as raw I420, frame by frame.
fn ffmpeg_i420(file: &str, width: usize, height: usize) -> Vec<Vec<u8>> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i", file, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])
        .output()
        .expect("ffmpeg");
    assert!(out.status.success());
    out.stdout.chunks(media::i420_frame_size(width, height)).map(<[u8]>::to_vec).collect()
}

#[test]
fn h264_with_b_frames_gives_every_frame_of_ffmpeg_s_decode() {
    let dir = scratch("raw-h264");
    let mp4 = path(&dir, "bframes.mp4");
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=322x198:rate=25", "-t", "2"])
        .args(["-c:v", "libx264", "-bf", "2", "-pix_fmt", "yuv420p", &mp4])
        .status()
        .unwrap();
    assert!(status.success());
    let decoded = ffmpeg_i420(&mp4, 322, 198);
    assert_eq!(decoded.len(), 50);
    let (vlc, ours) = both_encoders("vcodec=I420");
    let (frame, lent) = grab(&dir, &mp4, &ours, "frame", &[]);
    assert_lent(&frame);
    let frames: Vec<&[u8]> = lent.chunks(media::i420_frame_size(322, 198)).collect();
    assert_eq!(frames.len(), decoded.len(), "every frame ffmpeg decodes");
    for (i, (ours, theirs)) in frames.iter().zip(&decoded).enumerate() {
        assert!(ours == theirs, "frame {i} differs from ffmpeg's decode");
    }
    // VLC's raw encoder (avcodec's) drops frames whose times it rounds
    // together at the start: the reason smem_raw stamps the picture's own.
    let (legacy, _) = grab(&dir, &mp4, &vlc, "legacy", &[]);
    eprintln!("VLC's raw encoder: {} of {} frames", legacy.video.frames, decoded.len());
    assert!(legacy.video.frames <= frame.video.frames);
}

#[test]
fn frames_held_past_libvlc_release_stay_valid_and_release_safely() {
    let clip = smem_testkit::clip_with_sound("raw-after-exit", (160, 120), 12);
    let args = ["--abi", "frame", "--chain", "transcode{vcodec=RV32,venc=smem_raw,acodec=s16l}"];
    let run = play(
        Smem::Ours,
        &clip.dir,
        &clip.y4m,
        &[&args[..], &["--option", &clip.slave, "--hold", "after-exit"]].concat(),
    );
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    assert_played(&run);
    assert_lent(&run);
    assert_eq!(run.video.abi().held_at_end.unwrap() + run.audio.abi().held_at_end.unwrap(), 16, "the default bound");
    assert!(run.log_has("the application still holds 16 frames: each stays valid until it is released"));
}

#[test]
fn a_coded_format_is_refused_with_a_clear_message() {
    let dir = scratch("raw-refused");
    let y4m = path(&dir, "in.y4m");
    media::write_y4m(&y4m, 64, 48, 25, 3).unwrap();
    let run = play(
        Smem::Ours,
        &dir,
        &y4m,
        &["--no-audio", "--time-sync", "false", "--chain", "transcode{vcodec=h264,venc=smem_raw}"],
    );
    assert_eq!(run.status, 0, "no crash: {}", run.stderr);
    assert_eq!(run.video.frames, 0);
    assert!(
        run.log_has("smem_raw: h264 is not a raw picture format this VLC knows"),
        "no message under smem_raw:\n{}",
        run.log
    );
}
