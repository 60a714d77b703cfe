//! Bad input, faults, untrusted sources and streams that change, each tried
//! for real: the built plugin under real libvlc, driven by smem-host.

use smem_testkit::{clip_with_sound, media, path, play, play_with_env, scratch, Clip, Run, Smem};

/// The process ended by itself: no signal, no abort, no Rust panic exit.
fn assert_survived(run: &Run, what: &str) {
    assert!(
        matches!(run.status, 0 | 3),
        "{what}: smem-host exited with {}:\n{}\n{}",
        run.status,
        run.stdout,
        run.stderr
    );
}

fn callback_calls(run: &Run) -> u64 {
    run.video.prerender_calls + run.audio.prerender_calls
}

fn no_fallback_to_stock(run: &Run) -> bool {
    !run.log_has("using sout stream module \"smem\"")
}

#[test]
fn every_bad_option_value_is_refused_with_a_message_and_no_call() {
    let Clip { dir, y4m, slave, .. } = clip_with_sound("bad-values", (64, 48), 5);
    let video = |pre: &str, post: &str, data: &str| {
        format!("#smem{{video-prerender-callback={pre},video-postrender-callback={post},video-data={data},audio-prerender-callback={{apre}},audio-postrender-callback={{apost}}}}")
    };
    // (chain, option named in the message, value shown in the message, reason)
    let mut cases: Vec<(String, &str, &str, &str)> = Vec::new();
    for (written, shown, reason) in [
        ("", "", "it is empty"),
        ("\" \"", " ", "it is empty"),
        ("abc", "abc", "'a' is not a digit"),
        ("12abc", "12abc", "'a' is not a digit"),
        ("-1", "-1", "an address has no sign"),
        ("+5", "+5", "an address has no sign"),
        ("0x", "0x", "'0x' is not followed by hex digits"),
        ("0xZZ", "0xZZ", "'Z' is not a digit"),
        ("18446744073709551616", "18446744073709551616", "does not fit in a 64-bit address"),
        ("99999999999999999999999", "99999999999999999999999", "does not fit in a 64-bit address"),
        // Numbers, but not code: null page, first page, a data object.
        ("1", "1", "is not the address of a function"),
        ("4096", "4096", "is not the address of a function"),
        ("{vdata}", "*", "is not the address of a function"),
    ] {
        cases.push((video(written, "{vpost}", "0"), "video-prerender-callback", shown, reason));
    }
    for (written, shown, reason) in
        [("12abc", "12abc", "'a' is not a digit"), ("4096", "4096", "not the address of a function")]
    {
        cases.push((video("{vpre}", written, "0"), "video-postrender-callback", shown, reason));
    }
    for (written, shown, reason) in [("-1", "-1", "no sign"), ("0xZZ", "0xZZ", "not a digit"), ("", "", "it is empty")]
    {
        cases.push((video("{vpre}", "{vpost}", written), "video-data", shown, reason));
    }
    // Half pairs: a prerender without its postrender, and the reverse.
    cases.push((
        "#smem{video-prerender-callback={vpre}}".into(),
        "video-postrender-callback",
        "0",
        "is set but its postrender callback is not",
    ));
    cases.push((
        "#smem{audio-postrender-callback={apost}}".into(),
        "audio-prerender-callback",
        "0",
        "is set but its prerender callback is not",
    ));
    cases.push((
        "#smem{video-prerender-callback={vpre},video-postrender-callback={vpost},time-sync=maybe}".into(),
        "time-sync",
        "maybe",
        "expected true/false",
    ));
    let frames = "expected a number of frames from 0 (synchronous) to 1000";
    for (written, shown, option, reason) in [
        ("queue=abc", "abc", "queue", frames),
        ("queue=-1", "-1", "queue", frames),
        ("queue=1001", "1001", "queue", frames),
        ("queue=0x4", "0x4", "queue", frames),
        ("queue", "", "queue", frames),
        ("queue=2,drop=sometimes", "sometimes", "drop", "expected one of none, oldest, newest"),
        ("drop=", "", "drop", "expected one of none, oldest, newest"),
    ] {
        cases.push((
            format!("#smem{{video-prerender-callback={{vpre}},video-postrender-callback={{vpost}},{written}}}"),
            option,
            shown,
            reason,
        ));
    }

    for (chain, option, shown, reason) in &cases {
        let run = play(Smem::Ours, &dir, &y4m, &["--sout", chain, "--option", &slave]);
        let case = format!("{chain} ({option}={shown:?})");
        assert_survived(&run, &case);
        assert_eq!(callback_calls(&run), 0, "{case}: a callback was called");
        let errors: Vec<&str> = run.log.lines().filter(|l| l.starts_with("[error] smem_rs: invalid value")).collect();
        assert_eq!(errors.len(), 1, "{case}: expected one message, got {errors:?}\n{}", run.log);
        // "*": a value only smem-host knows (its own data pointer).
        let named = if *shown == "*" {
            format!("for option sout-smem-{option}:")
        } else {
            format!("invalid value \"{shown}\" for option sout-smem-{option}:")
        };
        assert!(errors[0].contains(&named), "{case}: expected '{named}' in {}", errors[0]);
        assert!(errors[0].contains(reason), "{case}: reason missing in {}", errors[0]);
        assert!(no_fallback_to_stock(&run), "{case}: VLC fell back to the stock smem");
    }
    eprintln!("{} bad values refused under libvlc", cases.len());
}

#[test]
fn a_panic_in_any_hook_is_caught_logged_and_survived() {
    let Clip { dir, y4m, slave, .. } = clip_with_sound("panics", (64, 48), 75);
    // "Deliver queued": the same panic on the queue's delivery thread.
    for hook in ["Open", "Add", "Send", "Deliver", "Deliver queued", "Flush", "Del", "Close"] {
        let (hook, queued) = match hook.split_once(' ') {
            Some((hook, _)) => (hook, true),
            None => (hook, false),
        };
        let fault = format!("panic:{hook}");
        // Flush needs a seek, and a seek needs paced playback to land mid-stream.
        let mut args: Vec<&str> = match hook {
            "Flush" => vec!["--option", &slave, "--time-sync", "true", "--seek", "2000"],
            _ => vec!["--option", &slave, "--time-sync", "false"],
        };
        if queued {
            args.extend(["--smem-opts", "queue=2"]);
        }
        let run = play_with_env(Smem::Ours, &dir, &y4m, &args, &[("SMEM_RS_FAULT", &fault)]);
        assert_survived(&run, hook);
        let message = format!("smem_rs: internal error in {hook}: fault injected in {hook}");
        assert!(run.log_has(&message), "{hook}: no '{message}' in the log:\n{}", run.log);
        match hook {
            "Open" => {
                assert_eq!(callback_calls(&run), 0);
                assert!(no_fallback_to_stock(&run), "a panicking Open fell back to stock");
            }
            "Add" | "Send" => assert_eq!(run.video.frames + run.audio.frames, 0, "{hook}"),
            // Every chain panics before it is delivered (in Send, or on the
            // queue's thread, which lives on); the stream ends normally.
            "Deliver" => {
                assert_eq!(run.state, "Ended", "{hook}");
                assert_eq!(run.video.frames + run.audio.frames, 0, "{hook}");
            }
            _ => {
                assert_eq!(run.state, "Ended", "{hook}");
                assert!(run.video.frames > 0 && run.audio.frames > 0, "{hook}");
            }
        }
    }
}

#[test]
fn a_panic_in_smem_preroll_s_hooks_is_caught_logged_and_survived() {
    // An MP4 seeked to a start time: the demuxer's seek (DemuxControl), its
    // next display time (EsControl) and every block (EsSend) pass through
    // smem_preroll.
    let dir = scratch("preroll-panics");
    let mp4 = path(&dir, "in.mp4");
    let made = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25:duration=3", "-c:v", "libx264"])
        .arg(&mp4)
        .status()
        .unwrap();
    assert!(made.success());
    for hook in ["EsSend", "EsControl", "DemuxControl"] {
        let fault = format!("panic:{hook}");
        let args = ["--no-audio", "--time-sync", "false", "--chain", "smem_mark:transcode{vcodec=I420}"];
        let options = ["--option", ":demux-filter=smem_preroll", "--option", ":start-time=1"];
        let args: Vec<&str> = args.into_iter().chain(options).collect();
        let run = play_with_env(Smem::Ours, &dir, &mp4, &args, &[("SMEM_RS_FAULT", &fault)]);
        assert_survived(&run, hook);
        let message = format!("smem_preroll: internal error in {hook}: fault injected in {hook}");
        assert!(run.log_has(&message), "{hook}: no '{message}' in the log:\n{}", run.log);
        assert_eq!(run.state, "Ended", "{hook}");
        // Without the blocks smem_preroll saw, the start cannot be placed on
        // VLC's clock: smem_mark waits for it, and the segment is empty.
        assert!(run.video.frames > 0 || hook == "EsSend", "{hook}");
    }
}

/// A playlist whose items carry smem chains or `sout-smem-*` options with
/// this process's real callback addresses (smem-host fills them in).
fn playlists(dir: &std::path::Path, y4m: &str) -> Vec<(String, String)> {
    let hostile = [
        "sout=#smem{video-prerender-callback={vpre},video-postrender-callback={vpost},video-data=4096,time-sync=false}",
        "sout=#transcode{vcodec=RV24}:smem{video-prerender-callback={vpre},video-postrender-callback={vpost}}",
        "sout-smem-video-prerender-callback={vpre}",
        "sout-smem-video-postrender-callback={vpost}",
        "sout-smem-video-data=4096",
        "sout-smem-time-sync=1",
    ];
    let m3u = format!(
        "#EXTM3U\n#EXTINF:1,clip\n{}\n{y4m}\n",
        hostile.iter().map(|o| format!("#EXTVLCOPT:{o}")).collect::<Vec<_>>().join("\n")
    );
    let xspf = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <playlist xmlns=\"http://xspf.org/ns/0/\" xmlns:vlc=\"http://www.videolan.org/vlc/playlist/ns/0/\" version=\"1\">\n\
         <trackList><track><location>file://{y4m}</location>\n\
         <extension application=\"http://www.videolan.org/vlc/playlist/0\">\n{}\n</extension></track></trackList></playlist>\n",
        hostile.iter().map(|o| format!("<vlc:option>{o}</vlc:option>")).collect::<Vec<_>>().join("\n")
    );
    let mut out = Vec::new();
    for (name, text) in [("list.m3u", m3u), ("list.xspf", xspf)] {
        let template = path(dir, &format!("{name}.in"));
        std::fs::write(&template, text).unwrap();
        out.push((template, path(dir, name)));
    }
    out
}

#[test]
fn playlist_options_never_reach_a_callback_nor_change_the_applications_chain() {
    let dir = scratch("playlists");
    let y4m = path(&dir, "in.y4m");
    media::write_y4m(&y4m, 64, 48, 25, 10).unwrap();
    for (template, list) in playlists(&dir, &y4m) {
        // 1. The application plays the playlist without any sout of its own:
        //    the item plays, and no callback is reached from the playlist.
        let run = play(Smem::Ours, &dir, &list, &["--playlist", "--no-sout", "--fill-template", &template, &list]);
        assert_survived(&run, &list);
        assert!(std::fs::read_to_string(&list).unwrap().contains("video-data=4096"));
        assert_eq!(run.playlist_items, Some(1), "{list}: {}", run.stdout);
        assert_eq!(run.state, "Ended", "{list}");
        assert!(run.log_has("using video decoder module"), "{list}: the item did not play:\n{}", run.log);
        assert_eq!(callback_calls(&run), 0, "{list}: a playlist option reached smem's callbacks");
        assert!(!run.log_has("smem_rs"), "{list}: the playlist opened smem");
        for name in ["sout", "sout-smem-video-prerender-callback", "sout-smem-video-data"] {
            assert!(run.log_has(&format!("unsafe option \"{name}\" has been ignored")), "{list}: {name} not refused");
        }

        // 2. The application's own chain: its data pointer, its (raw I420)
        //    format and its time-sync hold whatever the item says.
        let run = play(
            Smem::Ours,
            &dir,
            &list,
            &["--playlist", "--no-audio", "--time-sync", "false", "--fill-template", &template, &list],
        );
        assert_survived(&run, &list);
        assert_eq!(run.state, "Ended", "{list}");
        assert_eq!(run.video.frames, 10, "{list}: {}", run.stdout);
        assert_eq!(run.video.errors.len(), 0, "{list}: {}", run.stdout);
        assert!(
            run.video.calls.iter().all(|c| i64::from(c.pixel_pitch) == 12),
            "{list}: the playlist's transcode was applied"
        );
        assert!(run.log_has("time-sync false"), "{list}: the playlist changed time-sync");
        assert!(run.log_has("unsafe option \"sout-smem-video-data\" has been ignored"), "{list}");
    }
}

#[test]
fn several_tracks_at_once_arrive_intact_and_apart() {
    let dir = scratch("multi-track");
    let (a, b, wav) = (path(&dir, "a.y4m"), path(&dir, "b.y4m"), path(&dir, "in.wav"));
    media::write_y4m(&a, 64, 48, 25, 20).unwrap();
    media::write_y4m(&b, 80, 48, 25, 20).unwrap();
    media::write_wav(&wav, 48_000, 2, 0.8).unwrap();
    let out = path(&dir, "video.raw");
    let slave = format!(":input-slave={b}#{wav}");
    let run = play(
        Smem::Ours,
        &dir,
        &a,
        &["--option", &slave, "--option", ":sout-all", "--time-sync", "false", "--video-out", &out],
    );
    assert_survived(&run, "two video tracks");
    assert_eq!(run.state, "Ended");
    assert!(run.log_has("smem_rs: video track 1: I420 80x48"), "{}", run.log);
    assert!(run.audio.frames > 0);
    // The one video callback gets both tracks' frames, interleaved: each
    // must be a whole frame of its own track, in that track's order.
    let raw = std::fs::read(&out).unwrap();
    let mut expected =
        [(64, media::read_y4m(&a).unwrap().2.into_iter()), (80, media::read_y4m(&b).unwrap().2.into_iter())];
    let (mut at, mut per_track) = (0, [0, 0]);
    for call in &run.video.calls {
        let size = (call.size as i64) as usize;
        let k = expected.iter().position(|(w, _)| *w == i64::from(call.width)).expect("a frame of neither track");
        let frame = expected[k].1.next().expect("more frames than the track has");
        assert!(raw[at..at + size] == frame[..], "track {k} frame {} differs", per_track[k]);
        at += size;
        per_track[k] += 1;
    }
    assert_eq!(per_track, [20, 20]);
}

/// 4 s of 64x48 video with 4 s of stereo sound (an input slave), for the
/// paced tests that act mid-stream.
fn four_second_clip(name: &str) -> (std::path::PathBuf, String, String) {
    let Clip { dir, y4m, slave, .. } = clip_with_sound(name, (64, 48), 100);
    (dir, y4m, slave)
}

#[test]
fn tracks_removed_and_added_again_mid_stream() {
    let (dir, y4m, slave) = four_second_clip("track-toggle");
    // Paced, so that switching the video track off at 1 s and on at 2 s
    // happens mid-stream: VLC deletes the track (Del) and adds a new one (Add).
    let run = play(Smem::Ours, &dir, &y4m, &["--option", &slave, "--time-sync", "true", "--video-off-on", "1000,2000"]);
    assert_survived(&run, "toggle");
    assert_eq!(run.state, "Ended");
    let added = run.log.lines().filter(|l| l.contains("smem_rs: video track 0: I420 64x48")).count();
    let ended = run.log.lines().filter(|l| l.contains("smem_rs: video track ended")).count();
    assert_eq!((added, ended), (2, 2), "{}", run.log);
    let frames = run.video.frames;
    assert!(frames > 25 && frames < 100, "{frames} video frames");
    assert_eq!(run.video.errors.len() + run.audio.errors.len(), 0);
    // 4 s of audio in 50 ms blocks: it went on while video was off.
    assert!(run.audio.frames > 70, "{}", run.stdout);
}

#[test]
fn seeking_flushes_and_playback_goes_on() {
    let (dir, y4m, slave) = four_second_clip("seek");
    let run = play(Smem::Ours, &dir, &y4m, &["--option", &slave, "--time-sync", "true", "--seek", "3000"]);
    assert_survived(&run, "seek");
    assert_eq!(run.state, "Ended");
    assert!(run.log_has("smem_rs: video track flushed") && run.log_has("smem_rs: audio track flushed"), "{}", run.log);
    let frames = run.video.frames;
    // Frames up to about 1 s read ahead, then the last second after the seek.
    assert!((25..90).contains(&frames), "{frames} video frames");
    assert_eq!(run.video.errors.len() + run.audio.errors.len(), 0);
}

#[test]
fn stopping_during_playback_is_clean() {
    let (dir, y4m, slave) = four_second_clip("stop");
    let run = play(Smem::Ours, &dir, &y4m, &["--option", &slave, "--time-sync", "true", "--stop-after", "500"]);
    assert_survived(&run, "stop");
    assert_eq!(run.state, "Playing", "stopped while playing");
    assert!(run.video.frames < 100);
    assert_eq!(run.log.lines().filter(|l| l.contains("smem_rs: ") && l.contains("track ended")).count(), 2);
    assert!(run.log_has("smem_rs: smem (Rust) closed"));
}

#[test]
fn soak_200_cycles_and_8_players_at_once() {
    let dir = scratch("soak");
    let out = std::process::Command::new(smem_testkit::host())
        .args(["soak", dir.to_str().unwrap(), "--cycles", "200", "--players", "8"])
        .env("VLC_PLUGIN_PATH", smem_testkit::plugin_dir())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}");
    assert!(out.status.success(), "soak failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let value = |key: &str| -> i64 {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}: ")))
            .unwrap_or_else(|| panic!("no {key}"))
            .parse()
            .unwrap()
    };
    assert_eq!(value("soak_failures"), 0);
    assert_eq!(value("soak_cycles_stopped_midway"), 100);
    assert_eq!(value("smem_rs_errors_logged"), 0);
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with("player_") && l.contains("video_frames=25 ") && l.contains("errors=0"))
            .count(),
        8
    );
    // VLC's own caches grow a little (stock smem: about 1 MB over the same
    // cycles); a per-cycle leak of frames would be megabytes.
    assert!(value("rss_growth_kb") < 8 * 1024, "RSS grew by {} kB", value("rss_growth_kb"));
}

#[test]
fn formats_change_within_one_stream_output() {
    // One player, four media in turn, and :sout-keep: VLC keeps the same
    // smem instance ("reusing sout") and the tracks come and go with new
    // sizes, rates and channel counts.
    let dir = scratch("format-change");
    let (a, b, wa, wb) = (path(&dir, "a.y4m"), path(&dir, "b.y4m"), path(&dir, "a.wav"), path(&dir, "b.wav"));
    media::write_y4m(&a, 64, 48, 25, 10).unwrap();
    media::write_y4m(&b, 80, 60, 25, 10).unwrap();
    media::write_wav(&wa, 48_000, 2, 0.5).unwrap();
    media::write_wav(&wb, 44_100, 1, 0.5).unwrap();
    let out = path(&dir, "video.raw");
    let run = play(
        Smem::Ours,
        &dir,
        &a,
        &[
            "--then",
            &b,
            "--then",
            &wa,
            "--then",
            &wb,
            "--option",
            ":sout-keep",
            "--time-sync",
            "false",
            "--video-out",
            &out,
        ],
    );
    assert_survived(&run, "format change");
    assert_eq!(run.state, "Ended");
    assert_eq!(run.log.lines().filter(|l| l.contains("smem_rs: smem (Rust) opened")).count(), 1, "{}", run.log);
    assert_eq!(run.log.lines().filter(|l| l.contains("reusing sout")).count(), 3, "{}", run.log);
    // Video: 10 frames of each size, each byte-exact, in order.
    let expected = [media::read_y4m(&a).unwrap().2, media::read_y4m(&b).unwrap().2].concat();
    let calls = run.video.calls.iter().collect::<Vec<_>>();
    let sizes: Vec<(i64, i64)> = calls.iter().map(|c| (i64::from(c.width), i64::from(c.height))).collect();
    assert_eq!(sizes, [vec![(64, 48); 10], vec![(80, 60); 10]].concat());
    assert!(std::fs::read(&out).unwrap() == expected.concat(), "video bytes differ across the change");
    // Audio: both formats, each block described by its own format.
    let audio = run.audio.calls.iter().collect::<Vec<_>>();
    let formats: std::collections::BTreeSet<(i64, i64)> =
        audio.iter().map(|c| (i64::from(c.channels), i64::from(c.rate))).collect();
    assert_eq!(formats, [(1, 44_100), (2, 48_000)].into());
    for c in &audio {
        assert_eq!(i64::from(c.nb_samples) * i64::from(c.channels) * 2, (c.size as i64), "{c:?}");
    }
    assert_eq!(run.video.errors.len() + run.audio.errors.len(), 0);
}
