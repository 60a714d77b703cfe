//! End to end: the built plugin loaded by real libvlc (3.0, Debian's) on
//! media these tests generate, driven through the smem-host application.

use smem_testkit::{assert_ours_served, assert_played, clip_with_sound, media, path, play, scratch, Clip, Run, Smem};

const US: i64 = 1_000_000;

/// The pts of consecutive calls, checked to step by `step(call)` within
/// `tolerance` µs (a lost block would leave a gap of a whole block).
fn assert_pts_contiguous(calls: &[&smem_testkit::Call], tolerance: i64, step: impl Fn(&smem_testkit::Call) -> i64) {
    for pair in calls.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let gap = b.pts - a.pts;
        assert!((gap - step(a)).abs() <= tolerance, "pts step {gap} after {a:?}, expected {}", step(a));
    }
}

#[test]
fn y4m_frames_arrive_byte_for_byte_with_their_pts() {
    for (w, h) in [(320, 240), (321, 241)] {
        let dir = scratch(&format!("y4m-{w}x{h}"));
        let y4m = path(&dir, "in.y4m");
        media::write_y4m(&y4m, w, h, 25, 20).unwrap();
        let out = path(&dir, "video.raw");
        let run = play(Smem::Ours, &dir, &y4m, &["--no-audio", "--time-sync", "false", "--video-out", &out]);
        assert_played(&run);
        assert_ours_served(&run);

        let (_, _, frames) = media::read_y4m(&y4m).unwrap();
        assert_eq!(run.video.frames as usize, frames.len());
        assert!(std::fs::read(&out).unwrap() == frames.concat(), "{w}x{h}: delivered bytes differ from the file");
        let calls = run.video.calls.iter().collect::<Vec<_>>();
        for call in &calls {
            assert_eq!((i64::from(call.width), i64::from(call.height)), (w as i64, h as i64));
            assert_eq!(i64::from(call.pixel_pitch), 12, "I420 pixel_pitch as stock reports it (bits)");
            assert_eq!((call.size as i64) as usize, media::i420_frame_size(w, h));
        }
        assert_pts_contiguous(&calls, 1, |_| US / 25);
    }
}

#[test]
fn wav_pcm_arrives_byte_for_byte_with_its_pts() {
    let dir = scratch("wav");
    let wav = path(&dir, "in.wav");
    media::write_wav(&wav, 48_000, 2, 2.0).unwrap();
    let out = path(&dir, "audio.raw");
    let run = play(Smem::Ours, &dir, &wav, &["--no-video", "--time-sync", "false", "--audio-out", &out]);
    assert_played(&run);
    assert_ours_served(&run);

    let expected = media::read_wav_pcm(&wav).unwrap();
    let got = std::fs::read(&out).unwrap();
    let calls = run.audio.calls.iter().collect::<Vec<_>>();
    // VLC's core keeps back the last audio block at end of stream.
    let last_block = (calls[0].size as i64) as usize;
    assert!(got.len() >= expected.len() - last_block, "{} of {} bytes", got.len(), expected.len());
    assert!(expected.starts_with(&got), "delivered PCM differs from the file");
    for call in &calls {
        assert_eq!((i64::from(call.channels), i64::from(call.rate), i64::from(call.bits_per_sample)), (2, 48_000, 16));
        assert_eq!(i64::from(call.nb_samples) * 4, (call.size as i64));
    }
    assert_pts_contiguous(&calls, 1, |c| i64::from(c.nb_samples) * US / 48_000);
}

/// Audio blocks as (pts relative to the first, bytes).
fn audio_blocks(run: &Run, raw: &[u8]) -> Vec<(i64, Vec<u8>)> {
    let calls = run.audio.calls.iter().collect::<Vec<_>>();
    let first = calls.first().map(|c| c.pts).unwrap_or(0);
    let mut at = 0;
    calls
        .iter()
        .map(|c| {
            let size = (c.size as i64) as usize;
            at += size;
            (c.pts - first, raw[at - size..at].to_vec())
        })
        .collect()
}

#[test]
fn transcoded_output_matches_the_stock_module() {
    let dir = scratch("differential");
    let clip = smem_testkit::mpeg4_clip(&dir);
    for (vcodec, acodec, pitch, bits) in [("RV24", "s16l", 24, 16), ("RV32", "fl32", 32, 32), ("I420", "s16l", 12, 16)]
    {
        let mut runs = Vec::new();
        for who in [Smem::Ours, Smem::Stock] {
            let (v, a) = (path(&dir, &format!("{who:?}.v")), path(&dir, &format!("{who:?}.a")));
            // `no-time-sync` is the only spelling that unpaces stock smem.
            let chain = format!("transcode{{vcodec={vcodec},acodec={acodec}}}");
            let run = play(
                who,
                &dir,
                &clip,
                &["--chain", &chain, "--smem-opts", "no-time-sync", "--video-out", &v, "--audio-out", &a],
            );
            assert_played(&run);
            runs.push((run, std::fs::read(v).unwrap(), std::fs::read(a).unwrap()));
        }
        let [(ours, ours_v, ours_a), (stock, stock_v, stock_a)] = <[_; 2]>::try_from(runs).ok().unwrap();
        assert_ours_served(&ours);
        assert!(!stock.log_has("smem_rs"), "the stock run loaded our plugin");

        // Video: the same bytes, frame for frame, with the same pixel_pitch.
        assert!(ours.video.frames >= 30, "{}", ours.stdout);
        assert_eq!(ours.video.frames, stock.video.frames, "{vcodec}");
        assert!(ours_v == stock_v, "{vcodec}: video bytes differ from stock");
        let (ours_calls, stock_calls) =
            (ours.video.calls.iter().collect::<Vec<_>>(), stock.video.calls.iter().collect::<Vec<_>>());
        for (o, s) in ours_calls.iter().zip(&stock_calls) {
            assert_eq!((o.size as i64), (s.size as i64));
            assert_eq!((i64::from(o.pixel_pitch), i64::from(s.pixel_pitch)), (pitch, pitch));
            // Ours describes the bytes delivered; stock reports the coded height.
            assert_eq!((i64::from(o.width), i64::from(o.height)), (320, 240));
            assert_eq!((o.size as i64), 320 * 240 * pitch / 8);
        }
        eprintln!(
            "{vcodec}: stock reports {}x{}, ours 320x240",
            i64::from(stock_calls[0].width),
            i64::from(stock_calls[0].height)
        );

        // Audio: stock delivers only the first block of each chain it gets;
        // every block it delivers is in ours, identical and in order, and ours
        // has no gap.
        let (ours_blocks, stock_blocks) = (audio_blocks(&ours, &ours_a), audio_blocks(&stock, &stock_a));
        assert!(
            ours_blocks.len() >= stock_blocks.len() && stock_blocks.len() > 30,
            "{} vs {}",
            ours_blocks.len(),
            stock_blocks.len()
        );
        let mut it = ours_blocks.iter();
        for block in &stock_blocks {
            assert!(it.any(|b| b == block), "{acodec}: stock block at {} µs missing from ours", block.0);
        }
        let calls = ours.audio.calls.iter().collect::<Vec<_>>();
        assert!(calls.iter().all(|c| i64::from(c.bits_per_sample) == bits && i64::from(c.channels) == 2));
        // Decoders may shorten a first block without shifting the next pts.
        assert_pts_contiguous(&calls, 1_000, |c| i64::from(c.nb_samples) * US / 48_000);
    }
}

#[test]
fn time_sync_true_follows_the_clock_and_false_does_not() {
    let dir = scratch("time-sync");
    let y4m = path(&dir, "in.y4m");
    media::write_y4m(&y4m, 160, 120, 25, 100).unwrap(); // 4 s
    let timed = |sync: &str| {
        let run = play(Smem::Ours, &dir, &y4m, &["--no-audio", "--time-sync", sync]);
        assert_played(&run);
        assert_eq!(run.video.frames, 100);
        assert!(run.log_has(&format!("time-sync {sync}")), "{}", run.log);
        run.wall_seconds
    };
    let (paced, unpaced) = (timed("true"), timed("false"));
    eprintln!("4 s clip: time-sync=true {paced:.2} s, time-sync=false {unpaced:.2} s");
    // Paced, VLC's input still reads about 1 s ahead at start (stock too).
    assert!(paced > 2.6, "time-sync=true took {paced} s for 4 s of media");
    assert!(unpaced < 1.5 && unpaced * 3.0 < paced, "time-sync=false took {unpaced} s (true: {paced} s)");
}

#[test]
fn a_track_without_callbacks_is_refused_once_and_the_other_flows() {
    let Clip { dir, y4m, slave, .. } = clip_with_sound("one-sided", (64, 48), 25);
    let run = play(Smem::Ours, &dir, &y4m, &["--no-audio", "--time-sync", "false", "--option", &slave]);
    assert_played(&run);
    assert_eq!(run.video.frames, 25);
    assert_eq!(run.audio.prerender_calls, 0);
    let refusals = run.log.lines().filter(|l| l.contains("smem_rs: audio track") && l.contains("refused")).count();
    assert_eq!(refusals, 1, "{}", run.log);

    let run = play(Smem::Ours, &dir, &y4m, &["--no-video", "--time-sync", "false", "--option", &slave]);
    assert_played(&run);
    assert!(run.audio.frames > 0);
    assert_eq!(run.video.prerender_calls, 0);
    assert!(run.log_has("smem_rs: video track 0 (I420) refused"), "{}", run.log);
}

#[test]
fn a_null_buffer_drops_that_frame_only_and_is_logged_sparingly() {
    let dir = scratch("null-buffer");
    let y4m = path(&dir, "in.y4m");
    media::write_y4m(&y4m, 64, 48, 25, 60).unwrap();
    // Every 3rd prerender hands back NULL: 20 of 60 frames dropped.
    let run = play(Smem::Ours, &dir, &y4m, &["--no-audio", "--time-sync", "false", "--null-every", "3"]);
    assert_played(&run);
    assert_eq!(run.video.prerender_calls, 60, "every frame asks again");
    assert_eq!(run.video.frames, 40);
    let drops: Vec<&str> = run.log.lines().filter(|l| l.contains("prerender callback gave no buffer")).collect();
    assert_eq!(drops.len(), 2, "logged on the 1st and 10th drop only: {drops:?}");
    assert!(drops[1].contains("(10 dropped so far)"));
    assert!(run.log_has("video track ended: 40 delivered, 20 dropped"));
}

#[test]
fn one_delivery_at_a_time_video_and_audio_included_as_with_stock() {
    // Stock smem's callbacks ran under VLC's sout lock: a delivery (prerender
    // to postrender) never began while another was under way, and
    // applications may share state between their video and audio callbacks
    // on that ground. Prerender sleeps 2 ms to widen the window.
    let Clip { dir, y4m, slave, .. } = clip_with_sound("one-at-a-time", (64, 48), 50);
    for who in [Smem::Ours, Smem::Stock] {
        let run =
            play(who, &dir, &y4m, &["--option", &slave, "--smem-opts", "no-time-sync", "--callback-sleep-us", "2000"]);
        assert_played(&run);
        assert!(run.video.frames == 50 && run.audio.frames >= 30, "{who:?}: {}", run.stdout);
        assert_eq!(run.callback_overlaps, 0, "{who:?}: deliveries overlapped");
    }
}
