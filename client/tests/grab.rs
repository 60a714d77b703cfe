//! The client library and the grabber under real libvlc, with the smem-rs
//! plugin built in this workspace, on media the tests generate.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use smem_client::vlc::{Instance, Player};
use smem_client::{Abi, AudioSample, EndReason, Error, Grab, Item, VideoChroma};

/// target/<profile>/client-test-plugins with the plugin, set as VLC_PLUGIN_PATH.
fn use_our_plugin() {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let profile_dir = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().to_path_buf();
        smem_testkit::plugin::copy_plugin(&profile_dir, "client-test-plugins")
    });
    std::env::set_var("VLC_PLUGIN_PATH", dir);
}

fn scratch(name: &str) -> PathBuf {
    smem_testkit::scratch(&format!("client-tests/{name}"))
}

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_owned()
}

#[test]
fn push_closures_get_typed_frames_with_the_input_bytes() {
    use_our_plugin();
    let dir = scratch("push");
    let (y4m, wav) = (p(&dir, "in.y4m"), p(&dir, "in.wav"));
    smem_testkit::media::write_y4m(&y4m, 64, 48, 25, 20).unwrap();
    smem_testkit::media::write_wav(&wav, 48_000, 2, 0.8).unwrap();
    let (mut video, mut audio) = (Vec::new(), Vec::new());
    let mut planes_ok = true;
    let end = Grab::new(&y4m)
        .media_option(format!(":input-slave={wav}"))
        .video(VideoChroma::I420, |f| {
            // Planar: three planes, and line accessors agree with them.
            // The data is VLC's picture itself (smem_raw): lines are padded.
            let packed = f.packed();
            planes_ok &= f.planes.len() == 3
                && (f.planes[1].visible_bytes, f.planes[1].lines) == (32, 24)
                && f.line(0, 47) == Some(&packed[47 * 64..48 * 64])
                && (f.width, f.height, f.chroma) == (64, 48, VideoChroma::I420);
            video.extend_from_slice(&packed);
        })
        .audio(AudioSample::S16l, |b| {
            assert_eq!((b.channels, b.rate, b.sample), (2, 48_000, AudioSample::S16l));
            assert_eq!(b.samples * 4, b.data.len());
            audio.extend_from_slice(b.data);
        })
        .run()
        .unwrap();
    assert_eq!(end.reason, EndReason::Ended);
    assert!(end.frame_abi, "smem-rs is on VLC_PLUGIN_PATH: the frame ABI is used");
    assert_eq!((end.video_tracks, end.audio_tracks), (1, 1));
    assert_eq!(end.video_frames, 20);
    assert!(planes_ok);
    assert!(video == smem_testkit::media::read_y4m(&y4m).unwrap().2.concat(), "video bytes differ from the input");
    let pcm = smem_testkit::media::read_wav_pcm(&wav).unwrap();
    // VLC's core keeps back the last audio block at end of stream.
    assert!(pcm.starts_with(&audio) && audio.len() * 10 >= pcm.len() * 9, "{} of {} PCM bytes", audio.len(), pcm.len());
}

#[test]
fn pull_queue_is_bounded_and_ends_cleanly() {
    use_our_plugin();
    let dir = scratch("pull");
    let y4m = p(&dir, "in.y4m");
    smem_testkit::media::write_y4m(&y4m, 64, 48, 25, 30).unwrap();
    let expected = smem_testkit::media::read_y4m(&y4m).unwrap().2;

    // A slow consumer: VLC waits for it (the grab cannot finish before the
    // consumer has taken all but `bound` items), and nothing is lost.
    let start = Instant::now();
    let mut frames = Grab::new(&y4m).frames(Some(VideoChroma::I420), None, 2);
    let mut got = Vec::new();
    for item in &mut frames {
        let Item::Video(f) = item else { panic!("audio was not asked for") };
        std::thread::sleep(Duration::from_millis(20));
        got.push(f.packed().into_owned());
    }
    let end = frames.finish().unwrap();
    assert_eq!(end.reason, EndReason::Ended);
    assert!(got == expected, "{} frames, or their bytes differ", got.len());
    assert!(start.elapsed() >= Duration::from_millis(20 * 30), "the consumer's pace was not applied");

    // A consumer that leaves early: dropping the queue stops the grab at once.
    let start = Instant::now();
    let mut frames = Grab::new(&y4m).realtime(true).frames(Some(VideoChroma::Rgba), None, 1);
    let first = frames.next();
    assert!(matches!(&first, Some(Item::Video(f)) if f.packed().len() == 64 * 48 * 4), "{first:?}");
    let end = frames.finish().unwrap();
    assert_eq!(end.reason, EndReason::Stopped);
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn errors_are_reported_not_panicked() {
    use_our_plugin();
    let dir = scratch("errors");
    assert!(
        matches!(Grab::new(p(&dir, "missing.mkv")).video(VideoChroma::Rgba, |_| {}).run(), Err(Error::Input(m)) if m.contains("no such file"))
    );
    assert!(matches!(Grab::new(p(&dir, "x")).run(), Err(Error::Setup(_))));
    // A closure that panics: the grab ends with the panic's message, and
    // VLC goes on without calling it again.
    let y4m = p(&dir, "in.y4m");
    smem_testkit::media::write_y4m(&y4m, 32, 32, 25, 10).unwrap();
    let mut calls = 0;
    let result = Grab::new(&y4m)
        .video(VideoChroma::Rgba, |_| {
            calls += 1;
            panic!("client bug");
        })
        .run();
    assert_eq!(result.unwrap_err(), Error::Callback("client bug".into()));
    assert_eq!(calls, 1);
}

#[test]
fn grabs_share_one_vlc_and_each_hears_its_own_errors() {
    use_our_plugin();
    let dir = scratch("shared");
    let junk = p(&dir, "junk.mp4");
    std::fs::write(&junk, [0x5a; 4096]).unwrap();
    let y4m = p(&dir, "in.y4m");
    smem_testkit::media::write_y4m(&y4m, 32, 32, 25, 10).unwrap();
    let vlc = Instance::shared().unwrap();
    // The clip's own errors, played alone (VLC's y4m demuxer says one).
    let alone = Grab::new(&y4m).video(VideoChroma::Rgba, |_| {}).run().unwrap().vlc_errors;
    // Grabs of a junk file on one thread while the clip plays on another, on
    // the one instance: each has its own errors and no other's, and no grab
    // spoils a later one.
    let failing = std::thread::spawn(move || {
        (0..4).map(|_| Grab::new(&junk).video(VideoChroma::Rgba, |_| {}).run().unwrap()).collect::<Vec<_>>()
    });
    for _ in 0..4 {
        let end = Grab::new(&y4m).video(VideoChroma::Rgba, |_| {}).run().unwrap();
        assert_eq!(end.video_frames, 10);
        assert_eq!(end.vlc_errors, alone, "the clip's errors, none of the junk's");
    }
    for end in failing.join().unwrap() {
        assert_eq!(end.video_frames, 0);
        assert!(!end.vlc_errors.is_empty(), "VLC's errors about the junk");
        assert!(end.vlc_errors.iter().all(|e| !alone.contains(e)), "the clip's errors: {:?}", end.vlc_errors);
    }
    assert!(Arc::ptr_eq(&vlc, &Instance::shared().unwrap()), "one instance for the process");
}

#[test]
fn grabs_at_once_from_threads_each_get_their_own_clip_s_frames() {
    use_our_plugin();
    // Four threads, each grabbing its own clip five times in turn, all at
    // once on the shared instance: every frame is its clip's picture, at its
    // time, none missing.
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (path, pictures) = clip(&format!("threads-{t}"), 10 + t);
            std::thread::spawn(move || {
                for _ in 0..5 {
                    let got: Vec<(usize, i64)> = Grab::new(&path)
                        .frames(Some(VideoChroma::I420), None, 4)
                        .filter_map(|item| match item {
                            Item::Video(f) => Some((pictures.iter().position(|p| p[..] == f.packed()[..])?, f.time_us)),
                            _ => None,
                        })
                        .collect();
                    let expected: Vec<(usize, i64)> = (0..pictures.len()).map(|n| (n, n as i64 * 40_000)).collect();
                    assert_eq!(got, expected, "clip {t}");
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}

#[test]
fn a_queue_runs_every_closure_on_one_smem_thread_and_loses_nothing_with_drop_none() {
    use_our_plugin();
    let dir = scratch("queue");
    let (y4m, wav) = (p(&dir, "in.y4m"), p(&dir, "in.wav"));
    smem_testkit::media::write_y4m(&y4m, 64, 48, 25, 30).unwrap();
    smem_testkit::media::write_wav(&wav, 48_000, 2, 1.2).unwrap();
    let (_, _, frames) = smem_testkit::media::read_y4m(&y4m).unwrap();
    let threads = std::sync::Mutex::new(Vec::<String>::new());
    let note = || {
        // The kernel's name for the thread (std names only its own threads).
        let name = std::fs::read_to_string("/proc/thread-self/comm").unwrap().trim().to_owned();
        let mut t = threads.lock().unwrap();
        if !t.contains(&name) {
            t.push(name);
        }
    };
    let mut video = Vec::new();
    let end = Grab::new(&y4m)
        .media_option(format!(":input-slave={wav}"))
        .queue(4, smem_client::DropPolicy::None)
        .video(VideoChroma::I420, |f| {
            note();
            video.extend_from_slice(&f.packed());
        })
        .audio(AudioSample::S16l, |_| note())
        .run()
        .unwrap();
    assert_eq!(end.reason, EndReason::Ended);
    assert!(video == frames.concat(), "queued video differs from the file");
    assert_eq!(*threads.lock().unwrap(), ["smem-deliver"], "closures ran on other threads");

    // latest(): a closure slower than the input gets fewer frames, in order.
    let mut pts = Vec::new();
    let end = Grab::new(&y4m)
        .latest()
        .video(VideoChroma::I420, |f| {
            std::thread::sleep(Duration::from_millis(5));
            pts.push(f.pts);
        })
        .run()
        .unwrap();
    assert_eq!(end.reason, EndReason::Ended);
    assert!(!pts.is_empty() && pts.len() < 30 && pts.windows(2).all(|w| w[0] < w[1]), "{} frames: {pts:?}", pts.len());
}

#[test]
fn frames_does_not_take_over_a_closure_s_track() {
    use_our_plugin();
    let dir = scratch("frames-and-closure");
    let y4m = p(&dir, "in.y4m");
    smem_testkit::media::write_y4m(&y4m, 32, 32, 25, 5).unwrap();
    let mut frames = Grab::new(&y4m).video(VideoChroma::Rgba, |_| {}).frames(Some(VideoChroma::I420), None, 2);
    assert!(frames.next().is_none());
    assert!(matches!(frames.finish(), Err(Error::Setup(m)) if m.contains("video")));
}

#[test]
fn both_abis_give_the_same_items_and_the_frame_abi_holds_vlc_s_blocks() {
    use_our_plugin();
    let dir = scratch("abis");
    let (y4m, wav) = (p(&dir, "in.y4m"), p(&dir, "in.wav"));
    smem_testkit::media::write_y4m(&y4m, 96, 64, 25, 15).unwrap();
    smem_testkit::media::write_wav(&wav, 48_000, 2, 0.6).unwrap();
    let pull = |abi: Abi| {
        let mut frames = Grab::new(&y4m).abi(abi).media_option(format!(":input-slave={wav}")).frames(
            Some(VideoChroma::I420),
            Some(AudioSample::S16l),
            4,
        );
        let items: Vec<Item> = (&mut frames).collect();
        (items, frames.finish().unwrap())
    };
    let (legacy, legacy_end) = pull(Abi::Legacy);
    let (frame, frame_end) = pull(Abi::Frame);
    assert!(!legacy_end.frame_abi && frame_end.frame_abi);
    let video = |items: &[Item]| -> Vec<Vec<u8>> {
        items.iter().filter_map(|i| if let Item::Video(f) = i { Some(f.packed().into_owned()) } else { None }).collect()
    };
    let audio = |items: &[Item]| -> Vec<u8> {
        items
            .iter()
            .filter_map(|i| if let Item::Audio(b) = i { Some(b.data.to_vec()) } else { None })
            .flatten()
            .collect()
    };
    assert_eq!(video(&legacy).len(), 15);
    assert!(video(&legacy) == video(&frame), "the same pictures through both ABIs");
    assert!(audio(&legacy) == audio(&frame), "the same PCM through both ABIs");
    // Collected items outlive the bound smem lets us hold (video and audio
    // together): the first ones are VLC's blocks, the rest copies; all stay
    // valid after the grab.
    let held = frame
        .iter()
        .filter(|i| match i {
            Item::Video(f) => f.data.is_vlc_block(),
            Item::Audio(b) => b.data.is_vlc_block(),
        })
        .count();
    assert!(held > 0 && held < frame.len(), "{held} of {} items held", frame.len());
    for item in &frame {
        match item {
            Item::Video(f) => {
                let info = f.info.expect("the frame ABI tells the ES id and flags");
                let format = f.format.expect("and the format");
                assert_eq!((&format.fourcc, format.frame_rate), (b"I420", (25, 1)));
                assert_eq!(info.dropped_before, 0);
            }
            Item::Audio(b) => assert!(b.info.is_some()),
        }
    }
    let es: std::collections::BTreeSet<i32> = frame
        .iter()
        .map(|i| match i {
            Item::Video(f) => f.info.unwrap().es_id,
            Item::Audio(b) => b.info.unwrap().es_id,
        })
        .collect();
    assert_eq!(es.len(), 2, "video and audio have their own ES ids");
    assert!(legacy
        .iter()
        .all(|i| matches!(i, Item::Video(f) if f.info.is_none()) || matches!(i, Item::Audio(b) if b.info.is_none())));
}

#[test]
fn a_stop_handle_ends_the_pull_iterator_from_another_thread_and_silence_ends_a_grab() {
    use_our_plugin();
    let dir = scratch("stop-handle");
    let y4m = p(&dir, "in.y4m");
    smem_testkit::media::write_y4m(&y4m, 64, 48, 25, 250).unwrap(); // 10 s in real time
    let mut frames = Grab::new(&y4m).realtime(true).frames(Some(VideoChroma::I420), None, 4);
    let stop = frames.stop_handle();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(1));
        stop.stop();
    });
    let start = Instant::now();
    let mut times = Vec::new();
    for item in &mut frames {
        let Item::Video(f) = item else { panic!("audio was not asked for") };
        assert_eq!(f.item, 0);
        times.push(f.time_us);
    }
    stopper.join().unwrap();
    assert!(start.elapsed() < Duration::from_secs(3), "the iterator ended {:?} in", start.elapsed());
    let end = frames.finish().unwrap();
    assert_eq!(end.reason, EndReason::Stopped);
    // VLC runs ahead by its caching at first, then at the media's pace.
    assert!((15..=80).contains(&times.len()), "{} frames in a second of 10", times.len());
    // Media time counts from the first frame, 40 ms a frame.
    assert!(times.iter().enumerate().all(|(n, &t)| t == n as i64 * 40_000), "{times:?}");

    // A grab of a file never idles; one whose frames stop coming does. VLC
    // waits on a network input that goes silent: a UDP port nobody sends to.
    let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let start = Instant::now();
    let end = Grab::new(format!("udp://@:{port}"))
        .idle_timeout(Duration::from_secs(1))
        .video(VideoChroma::I420, |_| {})
        .run()
        .unwrap();
    assert_eq!(end.reason, EndReason::Idle);
    assert!(start.elapsed() < Duration::from_secs(3), "idle after {:?}", start.elapsed());
}

// An application's own player, attached to (`Grab::attach`) and driven by
// the application while frames come: each frame's media time is its own
// picture's (told by its bytes) through a pause and the application's seeks.

/// `count` pictures of raw video at 25 fps, each different (a bar that
/// moves 4 pixels a picture across the width): picture n is at n * 40 ms.
fn clip(name: &str, count: usize) -> (String, Vec<Vec<u8>>) {
    let path = p(&scratch(name), "clip.y4m");
    smem_testkit::media::write_y4m(&path, count * 4, 16, 25, count).unwrap();
    let (_, _, pictures) = smem_testkit::media::read_y4m(&path).unwrap();
    (path, pictures)
}

/// Plays `path` on the application's player in real time, attached to,
/// while `drive` does what an application does (then, with `stop`, the
/// grab stops); each frame's (picture number, media time in microseconds).
fn play_attached(path: &str, pictures: &[Vec<u8>], drive: impl FnOnce(&Player), stop: bool) -> Vec<(usize, i64)> {
    use_our_plugin();
    let instance = Instance::new(&["--no-xlib", "--quiet", "--aout=dummy", "--vout=dummy"]).unwrap();
    let player = Player::new(&instance.media(path).unwrap()).unwrap();
    // SAFETY: a live player of this process's libvlc; the grab holds its own reference.
    let grab = unsafe { Grab::attach(player.as_raw()) }.realtime(true);
    let frames = grab.frames(Some(VideoChroma::I420), None, 8);
    let stopper = frames.stop_handle();
    player.play().unwrap();
    let reader = std::thread::spawn({
        let pictures = pictures.to_vec();
        move || {
            let mut got = Vec::new();
            for item in frames {
                let Item::Video(f) = item else { continue };
                let n = pictures.iter().position(|p| p[..] == f.packed()[..]).expect("one of the clip's pictures");
                got.push((n, f.time_us));
            }
            got
        }
    });
    drive(&player);
    if stop {
        stopper.stop();
    }
    reader.join().unwrap()
}

#[test]
fn a_pause_leaves_every_frame_at_its_picture_s_time() {
    let (path, pictures) = clip("pause.y4m", 100);
    let got = play_attached(
        &path,
        &pictures,
        |player| {
            std::thread::sleep(Duration::from_millis(1500));
            player.set_pause(true);
            std::thread::sleep(Duration::from_secs(1));
            player.set_pause(false);
        },
        false,
    );
    assert!(got.len() >= 95, "{} frames", got.len());
    let wrong: Vec<_> = got.iter().filter(|(n, t)| *t != *n as i64 * 40_000).collect();
    assert!(wrong.is_empty(), "(picture, time): {wrong:?}");
}

/// `realtime(true)` paces from the first frame: VLC's first second (what it
/// buffers before its clock starts) is not handed over at once, and a
/// frame comes no earlier than its media time after the first. Generous
/// bounds: not a timing bar, only the rule.
#[test]
fn realtime_paces_from_the_first_frame() {
    use_our_plugin();
    let (path, pictures) = clip("realtime.y4m", 75);
    let frames = Grab::new(&path).realtime(true).frames(Some(VideoChroma::I420), None, 4);
    let mut arrivals = Vec::new();
    let mut first = None;
    for item in frames {
        let Item::Video(f) = item else { continue };
        let at = *first.get_or_insert_with(Instant::now);
        arrivals.push((f.time_us, at.elapsed()));
    }
    assert_eq!(arrivals.len(), pictures.len());
    let early: Vec<_> = arrivals
        .iter()
        .filter(|(t, at)| at.as_micros() as i64 + 150_000 < *t)
        .map(|(t, at)| (t, at.as_millis()))
        .collect();
    assert!(early.is_empty(), "(media time us, ms after the first) ahead of real time: {early:?}");
    assert!(arrivals[24].1 >= Duration::from_millis(800), "the first second in {:?}", arrivals[24].1);
}

/// An attached player paused 1 s during a 3 s clip: the grab, in real
/// time, ends after about 4 s of wall time, not 3 or less.
#[test]
fn a_pause_of_the_attached_player_lengthens_a_realtime_grab() {
    let (path, pictures) = clip("paused.y4m", 75);
    let start = Instant::now();
    let got = play_attached(
        &path,
        &pictures,
        |player| {
            std::thread::sleep(Duration::from_millis(1000));
            player.set_pause(true);
            std::thread::sleep(Duration::from_secs(1));
            player.set_pause(false);
        },
        false,
    );
    let took = start.elapsed();
    assert!(got.len() >= 70, "{} frames", got.len());
    assert!(took >= Duration::from_millis(3700), "ended after {took:?}");
}

#[test]
fn the_application_s_seeks_leave_every_frame_at_its_picture_s_time() {
    // VLC 3's transcode gives no picture after a seek until its clock
    // passes where it was (its encoder refuses a pts from the past): each
    // seek is given time.
    let (path, pictures) = clip("seek.y4m", 250);
    let got = play_attached(
        &path,
        &pictures,
        |player| {
            std::thread::sleep(Duration::from_millis(1000));
            player.set_time(5_000);
            std::thread::sleep(Duration::from_millis(2500));
            player.set_time(3_000);
            std::thread::sleep(Duration::from_millis(2500));
        },
        true,
    );
    let wrong: Vec<_> = got.iter().filter(|(n, t)| *t != *n as i64 * 40_000).collect();
    assert!(wrong.is_empty(), "(picture, time): {wrong:?}");
    let shown: Vec<usize> = got.iter().map(|(n, _)| *n).collect();
    assert!(shown.windows(2).any(|w| w[1] > w[0] + 10), "the seek forward was played: {shown:?}");
    assert!(shown.windows(2).any(|w| w[1] < w[0]), "the seek back was played: {shown:?}");
}

/// Packed RGB asked for with smem-rs: VLC delivers I420 and the client
/// converts it on the consumer's thread, by the stream's matrix (BT.601
/// for this untagged SD clip, as VLC's own conversion).
#[cfg(feature = "rgb")]
#[test]
fn rgb_from_the_frame_abi_is_vlc_s_i420_converted_here() {
    use_our_plugin();
    let dir = scratch("rgb");
    let y4m = p(&dir, "in.y4m");
    smem_testkit::media::write_y4m(&y4m, 96, 64, 25, 10).unwrap();
    let pull = |abi: Abi| -> Vec<smem_client::OwnedVideoFrame> {
        let frames = Grab::new(&y4m).abi(abi).frames(Some(VideoChroma::Rv24), None, 4);
        frames.filter_map(|i| if let Item::Video(f) = i { Some(f) } else { None }).collect()
    };
    let (ours, vlc) = (pull(Abi::Frame), pull(Abi::Legacy));
    assert_eq!((ours.len(), vlc.len()), (10, 10));
    for (o, v) in ours.iter().zip(&vlc) {
        assert_eq!((o.chroma, o.width, o.height, o.data.len()), (VideoChroma::Rv24, 96, 64, 96 * 64 * 3));
        assert!(!o.data.is_vlc_block(), "a buffer of its own: VLC's I420 went back");
        let format = o.format.expect("the frame ABI's description");
        assert_eq!(
            (format.color_space().map(|c| c.as_str()), format.color_range().map(|r| r.as_str())),
            (Some("smpte170m"), Some("pc"))
        );
        let diff: u64 = o.data.iter().zip(v.data.iter()).map(|(a, b)| u64::from(a.abs_diff(*b))).sum();
        let mean = diff as f64 / o.data.len() as f64;
        assert!(mean < 2.0, "{mean} from VLC's own RGB: another matrix or range?");
    }
}
