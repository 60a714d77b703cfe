//! Delivery modes under real libvlc: synchronous by default (the callbacks
//! run in Send, on VLC's thread, as with stock), and `queue=N` (one smem
//! thread calls every callback; `drop` decides what a full queue does).

use smem_testkit::{
    assert_ours_served, assert_played, clip_with_sound, mpeg4_clip, path, play, scratch, Clip, Run, Smem,
};

/// The calls of one kind without their arrival times, pts from the first
/// (VLC's clock starts anew each run): what the application was told.
fn told(run: &Run, kind: &str) -> Vec<String> {
    let calls = if kind == "video" { &run.video.calls } else { &run.audio.calls };
    let first = calls.first().map_or(0, |c| c.pts);
    calls
        .iter()
        .map(|c| {
            let c = smem_testkit::Call { pts: c.pts - first, t_us: 0, rss_kb: None, ..c.clone() };
            format!("{c:?}")
        })
        .collect()
}

#[test]
fn callbacks_keep_their_threads_synchronous_like_stock_queued_on_one() {
    let Clip { dir, y4m, wav, slave } = clip_with_sound("threads", (160, 120), 50);
    let ts = mpeg4_clip(&dir);
    let transcode = "transcode{vcodec=RV24,acodec=s16l}";
    let cases: [(&str, &str, Vec<&str>); 3] = [
        ("raw y4m", &y4m, vec!["--no-audio"]),
        ("raw wav", &wav, vec!["--no-video"]),
        ("transcode with audio and video", &ts, vec!["--chain", transcode]),
    ];
    for (case, media, args) in &cases {
        let with = |who: Smem, opts: &str| {
            let mut a = args.clone();
            a.extend(["--smem-opts", opts]);
            let run = play(who, &dir, media, &a);
            assert_played(&run);
            assert!(run.video.frames + run.audio.frames > 20, "{case}: {}", run.stdout);
            assert_eq!(run.callback_overlaps, 0, "{case} {who:?} {opts}: two callbacks at once");
            run
        };
        let stock = with(Smem::Stock, "no-time-sync");
        let ours = with(Smem::Ours, "no-time-sync");
        assert_ours_served(&ours);
        for (kind, ours, stock) in [("video", &ours.video, &stock.video), ("audio", &ours.audio, &stock.audio)] {
            assert!(
                ours.callback_threads <= stock.callback_threads,
                "{case}: ours called {kind} from {} threads, stock from {}",
                ours.callback_threads,
                stock.callback_threads
            );
        }
        assert!(
            !ours.callback_thread_names.join(",").contains("smem-deliver"),
            "{case}: synchronous mode used smem's thread"
        );

        let queued = with(Smem::Ours, "no-time-sync,queue=3");
        assert_eq!(queued.callback_threads, 1, "{case}: {}", queued.stdout);
        assert_eq!(queued.callback_thread_names.join(","), "smem-deliver", "{case}");
        eprintln!(
            "{case}: threads per track (video, audio): stock ({}, {}), ours ({}, {}); queue=3: {} in all",
            stock.video.callback_threads,
            stock.audio.callback_threads,
            ours.video.callback_threads,
            ours.audio.callback_threads,
            queued.callback_threads
        );
    }
    let _ = slave;
}

#[test]
fn a_plain_c_client_sees_the_same_threads_as_with_stock_and_one_with_a_queue() {
    let Clip { dir, y4m, wav, .. } = clip_with_sound("c-threads", (160, 120), 50);
    let ts = mpeg4_clip(&dir);
    let video = "video-prerender-callback={vpre},video-postrender-callback={vpost},video-data={vdata}";
    let audio = "audio-prerender-callback={apre},audio-postrender-callback={apost},audio-data={adata}";
    let cases = [
        ("raw y4m", &y4m, format!("#smem{{{video},OPTS}}"), (true, false)),
        ("raw wav", &wav, format!("#smem{{{audio},OPTS}}"), (false, true)),
        (
            "transcode with audio and video",
            &ts,
            format!("#transcode{{vcodec=RV24,acodec=s16l}}:smem{{{video},{audio},OPTS}}"),
            (true, true),
        ),
    ];
    for (case, media, sout, (has_video, has_audio)) in &cases {
        let stock = smem_testkit::c_host_run(Smem::Stock, media, &sout.replace("OPTS", "no-time-sync"));
        let ours = smem_testkit::c_host_run(Smem::Ours, media, &sout.replace("OPTS", "time-sync=false"));
        let queued = smem_testkit::c_host_run(Smem::Ours, media, &sout.replace("OPTS", "time-sync=false,queue=3"));
        let n = |r: &std::collections::HashMap<String, String>, k: &str| r[k].parse::<u64>().unwrap();
        assert_eq!(
            (n(&ours, "frames") > 10, n(&ours, "audio_blocks") > 10),
            (*has_video, *has_audio),
            "{case}: {ours:?}"
        );
        for kind in ["video_threads", "audio_threads"] {
            assert!(
                n(&ours, kind) <= n(&stock, kind),
                "{case}: {kind} ours {} stock {}",
                n(&ours, kind),
                n(&stock, kind)
            );
        }
        assert_eq!(n(&queued, "threads"), 1, "{case}: {queued:?}");
        for r in [&stock, &ours, &queued] {
            assert_eq!(n(r, "overlaps"), 0, "{case}: two callbacks at once: {r:?}");
        }
        assert_eq!(
            (n(&queued, "frames"), n(&queued, "audio_blocks")),
            (n(&ours, "frames"), n(&ours, "audio_blocks")),
            "{case}"
        );
        eprintln!(
            "C client, {case}: threads (video, audio) stock ({}, {}), ours ({}, {}), queue=3 {} in all",
            stock["video_threads"],
            stock["audio_threads"],
            ours["video_threads"],
            ours["audio_threads"],
            queued["threads"]
        );
    }
}

#[test]
fn a_queue_with_drop_none_delivers_exactly_what_synchronous_delivers() {
    let Clip { dir, y4m, slave, .. } = clip_with_sound("queue-same", (160, 120), 40);
    let ts = mpeg4_clip(&dir);
    let cases: [(&str, &str, Vec<&str>); 2] = [
        ("raw y4m + wav", &y4m, vec!["--option", &slave]),
        ("transcode", &ts, vec!["--chain", "transcode{vcodec=RV24,acodec=s16l}"]),
    ];
    for (case, media, args) in &cases {
        let mut runs = Vec::new();
        for opts in ["no-time-sync", "no-time-sync,queue=4,drop=none"] {
            let (v, a) = (path(&dir, "v.raw"), path(&dir, "a.raw"));
            let mut all = args.clone();
            all.extend(["--smem-opts", opts, "--video-out", &v, "--audio-out", &a]);
            let run = play(Smem::Ours, &dir, media, &all);
            assert_played(&run);
            runs.push((
                told(&run, "video"),
                told(&run, "audio"),
                std::fs::read(&v).unwrap(),
                std::fs::read(&a).unwrap(),
                run,
            ));
        }
        let (sync, queued) = (&runs[0], &runs[1]);
        assert!(sync.0.len() >= 30 && sync.1.len() >= 30, "{case}: {} video, {} audio", sync.0.len(), sync.1.len());
        assert_eq!(queued.0, sync.0, "{case}: video calls differ");
        assert_eq!(queued.1, sync.1, "{case}: audio calls differ");
        assert!(queued.2 == sync.2, "{case}: video bytes differ");
        assert!(queued.3 == sync.3, "{case}: audio bytes differ");
        assert!(queued.4.log_has("dropped (0 given no buffer, 0 by the full queue)"), "{case}: {}", queued.4.log);
    }
}

#[test]
fn a_seek_with_a_queue_lets_nothing_from_before_it_through() {
    // 640 pixels wide: every one of the 150 frames has its own picture, so
    // the bytes delivered say which frame each one was (pts cannot: VLC
    // rebases them on its clock after a seek).
    let Clip { dir, y4m, slave, .. } = clip_with_sound("queue-seek", (640, 96), 150);
    let (_, _, frames) = smem_testkit::media::read_y4m(&y4m).unwrap();
    let index: std::collections::HashMap<&[u8], usize> =
        frames.iter().enumerate().map(|(i, f)| (f.as_slice(), i)).collect();
    assert_eq!(index.len(), 150, "frames are not all different");
    // Paced, with a callback slower than the frame rate: frames wait in the
    // queue when the seek to 4 s (frame 100) comes, 50 ms into playback.
    let out = path(&dir, "video.raw");
    let args = [
        "--option",
        &slave,
        "--time-sync",
        "true",
        "--seek",
        "4000",
        "--callback-sleep-us",
        "60000",
        "--smem-opts",
        "queue=8",
        "--video-out",
        &out,
    ];
    let run = play(Smem::Ours, &dir, &y4m, &args);
    assert_played(&run);
    let delivered: Vec<usize> = std::fs::read(&out).unwrap().chunks(frames[0].len()).map(|f| index[f]).collect();
    assert!(delivered.windows(2).all(|w| w[0] < w[1]), "a frame from before the seek came after it: {delivered:?}");
    // The seek happened: a jump forward, or (when it came before the first
    // delivery) nothing from the start at all.
    let jumped = delivered.windows(2).any(|w| w[1] - w[0] > 40) || delivered[0] >= 95;
    assert!(jumped && *delivered.last().unwrap() >= 140, "no seek to frame 100 in {delivered:?}");
    // How many queued frames the flushes discarded depends on how far VLC
    // had read when the seek came; the property above holds either way.
    let discarded: usize = run
        .log
        .lines()
        .filter_map(|l| l.split("track flushed: ").nth(1)?.split(' ').next()?.parse::<usize>().ok())
        .sum();
    eprintln!("seek with queue=8: frames delivered {delivered:?}; {discarded} queued frames discarded");
}

#[test]
fn drop_newest_and_drop_oldest_count_and_log_what_they_drop() {
    let dir = scratch("queue-drops");
    let y4m = path(&dir, "in.y4m");
    smem_testkit::media::write_y4m(&y4m, 64, 48, 25, 100).unwrap();
    let (_, _, frames) = smem_testkit::media::read_y4m(&y4m).unwrap();
    let out = path(&dir, "video.raw");
    for policy in ["oldest", "newest"] {
        let opts = format!("no-time-sync,queue=2,drop={policy}");
        let run = play(
            Smem::Ours,
            &dir,
            &y4m,
            &["--no-audio", "--smem-opts", &opts, "--callback-sleep-us", "5000", "--video-out", &out],
        );
        assert_played(&run);
        let delivered = run.video.frames as u64;
        let line = run.log.lines().find(|l| l.contains("smem_rs: video track ended")).expect("no end line");
        let expected = format!(
            "video track ended: {delivered} delivered, {} dropped (0 given no buffer, {} by the full queue)",
            100 - delivered,
            100 - delivered
        );
        assert!(line.contains(&expected), "{policy}: {line} (expected {expected})");
        assert!(delivered < 100, "{policy}: nothing was dropped");
        assert!(run.log_has("smem_rs: video queue full: a frame was dropped (1 dropped so far)"), "{policy}");
        let pts: Vec<i64> = run.video.calls.iter().map(|c| c.pts).collect();
        assert!(pts.windows(2).all(|w| w[0] < w[1]), "{policy}: frames out of order");
        // oldest never drops the frame being sent: the last one arrives.
        if policy == "oldest" {
            let bytes = std::fs::read(&out).unwrap();
            assert!(bytes.ends_with(&frames[99]), "drop=oldest lost the last frame");
        }
    }
}

#[test]
fn drop_without_a_queue_is_said_and_changes_nothing() {
    let dir = scratch("drop-no-queue");
    let y4m = path(&dir, "in.y4m");
    smem_testkit::media::write_y4m(&y4m, 64, 48, 25, 20).unwrap();
    let run = play(Smem::Ours, &dir, &y4m, &["--no-audio", "--smem-opts", "no-time-sync,drop=oldest"]);
    assert_played(&run);
    assert_eq!(run.video.frames, 20);
    assert!(run.log_has("[warning] smem_rs: sout-smem-drop has no effect while sout-smem-queue is 0"), "{}", run.log);
}

#[test]
fn tune_allocator_stops_the_page_fault_storm_and_the_hint_names_it() {
    // 1080p transcoded to RV32. Whether glibc hands VLC's 8 MB picture
    // buffers back to the kernel every frame depends on the host's
    // allocation history; a fixed mmap threshold of 128 KiB (glibc's
    // starting value, which it otherwise raises as it goes) makes it happen
    // every time, as in the hosts that hit it.
    let dir = scratch("tune-allocator");
    let y4m = path(&dir, "in.y4m");
    smem_testkit::media::write_y4m(&y4m, 1920, 1080, 25, 64).unwrap();
    let frame_pages = (1920.0 * 1080.0 * 4.0) / 4096.0;
    let storm_env = [("MALLOC_MMAP_THRESHOLD_", "131072")];
    let run = |opts: &str, env: &[(&str, &str)]| {
        let args = ["--no-audio", "--chain", "transcode{vcodec=RV32}", "--smem-opts", opts];
        let r = smem_testkit::play_with_env(Smem::Ours, &dir, &y4m, &args, env);
        assert_played(&r);
        assert_eq!(r.video.frames, 64, "{}", r.stdout);
        (
            r.video.faults_per_frame.unwrap(),
            r.log.lines().filter(|l| l.contains("[warning] smem_rs: this process page-faults")).count(),
            r,
        )
    };
    let hint_names_the_fixes =
        |r: &Run| r.log_has("sout-smem-tune-allocator") && r.log_has("MALLOC_ARENA_MAX=1 MALLOC_MMAP_MAX_=0");

    let (storm, hints, r) = run("no-time-sync", &storm_env);
    assert!(storm > frame_pages, "no storm with a 128 KiB mmap threshold: {storm} faults a frame");
    assert_eq!(hints, 1, "{}", r.log);
    assert!(hint_names_the_fixes(&r));

    let (tuned, hints, r) = run("no-time-sync,tune-allocator", &storm_env);
    let set: Vec<&str> = r.log.lines().filter(|l| l.contains("smem_rs: tune-allocator: set")).collect();
    assert_eq!(set.len(), 1, "{}", r.log);
    assert!(set[0].contains("M_MMAP_MAX=0") && set[0].contains("M_ARENA_MAX=1"), "{}", set[0]);
    assert!(tuned < frame_pages / 4.0, "tune-allocator left {tuned} faults a frame");
    assert_eq!(hints, 0, "the hint came with tune-allocator set");

    // As the host comes: the hint appears exactly when the storm does.
    let (natural, hints, _) = run("no-time-sync", &[]);
    assert_eq!(hints, usize::from(natural > frame_pages), "{natural} faults a frame, {hints} hints");
    eprintln!("1080p to RV32, faults per frame: forced storm {storm}, tune-allocator {tuned}, this host as it comes {natural}");
}
