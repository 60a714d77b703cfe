//! The RTSP input (`smem_rtsp`) under real libvlc, against two independent
//! RTSP servers on 127.0.0.1 that the tests start and stop: GStreamer's
//! gst-rtsp-server (tests/rtsp/server.py; TCP and UDP) and VLC's own
//! (`#rtp{sdp=rtsp://...}`, UDP only). The servers send files made here
//! by ffmpeg; the frames that come out equal ffmpeg's decode of those files
//! (H.264, H.265), or VLC's decode of the same file played directly (MJPEG,
//! AAC), frame for frame. Then every way it fails: each a clear message
//! under smem_rtsp, VLC's Error state, in bounded time, no password logged.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use smem_testkit::rtsp::{h264_mount, mount, GstServer};
use smem_testkit::{path, play, scratch, Run, Smem};

const W: usize = 320;
const H: usize = 240;
const I420: usize = W * H * 3 / 2;
/// The chain of every video grab: VLC's pictures handed over uncopied.
const VIDEO_CHAIN: &str = "transcode{vcodec=I420,venc=smem_raw}";

/// The test media, made once: 2 s at 25 fps of ffmpeg's moving test
/// picture (every frame differs), a key frame a second, no B-frames (as
/// cameras send).
struct Media {
    h264: String,
    h265: String,
    mjpeg: String,
    /// H.264 with AAC stereo at 48 kHz.
    av: String,
    /// H.264 with Opus, a sound this input does not play.
    h264_opus: String,
    /// The test kit's sound, mono 8 kHz 16-bit: what G.711 carries.
    tone: String,
}

fn ffmpeg(args: &[&str]) {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .stdin(Stdio::null())
        .status()
        .expect("cannot run ffmpeg (make deps installs it)");
    assert!(status.success(), "ffmpeg {args:?} failed");
}

/// ffmpeg's moving test picture (every frame differs), 320x240 at 25 fps.
const PICTURE: &str = "testsrc2=size=320x240:rate=25";
/// x264 as cameras send it: no B-frames, a key frame a second.
const X264: [&str; 8] = ["-c:v", "libx264", "-bf", "0", "-g", "25", "-pix_fmt", "yuv420p"];

/// `seconds` of [`PICTURE`] as [`X264`] encodes it, to `path`.
fn h264_clip(path: &str, seconds: u32) {
    let seconds = seconds.to_string();
    ffmpeg(&[&["-f", "lavfi", "-i", PICTURE, "-t", &seconds], &X264[..], &[path]].concat());
}

fn media() -> &'static Media {
    static MEDIA: OnceLock<Media> = OnceLock::new();
    MEDIA.get_or_init(|| {
        let dir = scratch("rtsp-media");
        let media = Media {
            h264: path(&dir, "h264.mkv"),
            h265: path(&dir, "h265.mkv"),
            mjpeg: path(&dir, "mjpeg.mkv"),
            av: path(&dir, "av.mkv"),
            h264_opus: path(&dir, "h264-opus.mkv"),
            tone: path(&dir, "tone.wav"),
        };
        h264_clip(&media.h264, 2);
        ffmpeg(
            &["-f", "lavfi", "-i", PICTURE, "-t", "2", "-c:v", "libx265"]
                .into_iter()
                .chain(["-x265-params", "bframes=0:keyint=25:log-level=none", "-pix_fmt", "yuv420p", &media.h265])
                .collect::<Vec<_>>(),
        );
        // RTP's JPEG (RFC 2435) carries no Huffman tables: the standard ones.
        ffmpeg(
            &["-f", "lavfi", "-i", PICTURE, "-t", "2", "-c:v", "mjpeg", "-huffman", "default"]
                .into_iter()
                .chain(["-q:v", "5", "-pix_fmt", "yuvj420p", &media.mjpeg])
                .collect::<Vec<_>>(),
        );
        let sine = "sine=frequency=440:sample_rate=48000";
        // H.264 with a sound: AAC (played), Opus (left out).
        let with_sound = |sound: &[&str], file: &str| {
            let picture_and_sine = ["-f", "lavfi", "-i", PICTURE, "-f", "lavfi", "-i", sine, "-t", "2"];
            ffmpeg(&[&picture_and_sine[..], &X264[..], sound, &[file]].concat());
        };
        with_sound(&["-c:a", "aac", "-ac", "2", "-b:a", "128k"], &media.av);
        with_sound(&["-c:a", "libopus", "-ac", "2"], &media.h264_opus);
        smem_testkit::media::write_wav(&media.tone, 8_000, 1, 2.0).unwrap();
        media
    })
}

/// One test at a time: each streams in real time, and UDP on a loaded
/// machine would lose packets.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// ffmpeg's decode of `file`, frame by frame, as `pix_fmt`.
fn ffmpeg_frames(file: &str, pix_fmt: &str) -> Vec<Vec<u8>> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i", file, "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"])
        .output()
        .expect("ffmpeg");
    out.stdout.chunks(I420).map(<[u8]>::to_vec).collect()
}

fn raw_frames(file: &str) -> Vec<Vec<u8>> {
    std::fs::read(file).unwrap_or_default().chunks(I420).map(<[u8]>::to_vec).collect()
}

/// smem-host on `url` through our smem, video (and sound if `audio`) to
/// raw files in `dir`.
fn grab(dir: &Path, url: &str, audio: bool, options: &[&str]) -> Run {
    grab_with(play, dir, url, audio, options)
}

/// [`grab`], smem-host run by `player` ([`play`], or `play_offline`).
fn grab_with(
    player: fn(Smem, &Path, &str, &[&str]) -> Run,
    dir: &Path,
    url: &str,
    audio: bool,
    options: &[&str],
) -> Run {
    let video = path(dir, "video.raw");
    let sound = path(dir, "audio.raw");
    let chain = if audio { format!("{}:transcode{{acodec=s16l}}", VIDEO_CHAIN) } else { VIDEO_CHAIN.to_owned() };
    let chain = chain.replace("}:transcode{", ",");
    let mut args = vec!["--time-sync", "false", "--chain", &chain, "--video-out", &video, "--timeout", "30"];
    if audio {
        args.extend(["--audio-out", &sound]);
    } else {
        args.push("--no-audio");
    }
    let opts: Vec<String> = options.iter().map(|o| o.to_string()).collect();
    for o in &opts {
        args.extend(["--option", o]);
    }
    player(Smem::Ours, dir, url, &args)
}

fn rtsp_lines(run: &Run) -> String {
    run.log.lines().filter(|l| l.contains("smem_rtsp")).collect::<Vec<_>>().join("\n")
}

/// The frames VLC gave, checked against `reference` frame for frame: all of
/// them, in order, byte for byte.
fn assert_every_frame(what: &str, run: &Run, dir: &Path, reference: &[Vec<u8>]) {
    let got = raw_frames(&path(dir, "video.raw"));
    assert_eq!(run.state, "Ended", "{what}: {}\n{}", run.stdout, rtsp_lines(run));
    assert_eq!(got.len(), reference.len(), "{what}: frames\n{}", rtsp_lines(run));
    for (i, (g, r)) in got.iter().zip(reference).enumerate() {
        assert!(g == r, "{what}: frame {i} differs from the reference");
    }
}

#[test]
fn h264_and_h265_over_tcp_and_udp_give_every_frame_as_ffmpeg_decodes_it() {
    let _serial = serial();
    let m = media();
    let h265 =
        mount("h265", &format!("filesrc location={} ! matroskademux ! h265parse ! rtph265pay name=pay0 pt=96", m.h265));
    let server = GstServer::start(&[], &[h264_mount(&m.h264), h265]);
    let (h264_ref, h265_ref) = (ffmpeg_frames(&m.h264, "yuv420p"), ffmpeg_frames(&m.h265, "yuv420p"));
    assert_eq!(h264_ref.len(), 50);
    for (name, mount, options, reference) in [
        ("h264 tcp", "/h264", &[][..], &h264_ref),
        ("h264 udp", "/h264", &[":no-rtsp-tcp"][..], &h264_ref),
        ("h265 tcp", "/h265", &[][..], &h265_ref),
    ] {
        let dir = scratch(&format!("rtsp-{}", name.replace(' ', "-")));
        let run = grab(&dir, &server.url(mount), false, options);
        assert_every_frame(name, &run, &dir, reference);
        let transport = if options.is_empty() { "TCP" } else { "UDP" };
        assert!(run.log_has(&format!("(RTP over {transport})")), "{name}: {}", rtsp_lines(&run));
        assert!(run.log_has("smem_rtsp: ") && run.log_has("the server ended the stream"), "{}", rtsp_lines(&run));
        assert!(!run.log_has("satip:") && !run.log_has("access_realrtsp:"), "{name}: another module was tried");
    }
    // Each session ended with a TEARDOWN the server saw.
    let deadline = Instant::now() + Duration::from_secs(3);
    while server.said("teardown") < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!((server.said("play"), server.said("teardown")), (3, 3));
}

/// The live mode's chain (smem-client's `Grab::latest`): smem_mark's
/// `decoder-threads=1` reaches transcode's decoder (FFmpeg's frame threads
/// each hold a frame back) and no caching; every frame still comes, whole.
/// Without it, VLC's default (frame threads) is left as it was.
#[test]
fn the_live_chain_decodes_on_one_thread_and_loses_nothing() {
    let _serial = serial();
    let m = media();
    let server = GstServer::start(&[], &[h264_mount(&m.h264)]);
    let reference = ffmpeg_frames(&m.h264, "yuv420p");
    for (name, mark) in [("live", "smem_mark{video-only,decoder-threads=1}:"), ("default", "smem_mark{video-only}:")] {
        let dir = scratch(&format!("rtsp-chain-{name}"));
        let video = path(&dir, "video.raw");
        let chain = format!("{mark}{VIDEO_CHAIN}");
        let args = ["--time-sync", "false", "--chain", &chain, "--video-out", &video, "--timeout", "30", "--no-audio"];
        let run =
            play(Smem::Ours, &dir, &server.url("/h264"), &[&args[..], &["--option", ":network-caching=0"]].concat());
        assert_every_frame(name, &run, &dir, &reference);
        let one_thread = run.log_has("allowing 1 thread(s) for decoding");
        assert_eq!(one_thread, name == "live", "{name}: avcodec's threads");
        assert_eq!(run.log_has("smem_mark: the chain's decoders use 1 thread(s)"), name == "live");
    }
}

#[test]
fn mjpeg_and_aac_come_as_vlc_decodes_the_files_sent() {
    let _serial = serial();
    let m = media();
    let mjpeg =
        mount("mjpeg", &format!("filesrc location={} ! matroskademux ! jpegparse ! rtpjpegpay name=pay0", m.mjpeg));
    let av = mount(
        "av",
        &format!(
            "filesrc location={} ! matroskademux name=d d.video_0 ! queue ! h264parse ! rtph264pay name=pay0 pt=96 \
             d.audio_0 ! queue ! aacparse ! rtpmp4gpay name=pay1 pt=97",
            m.av
        ),
    );
    let server = GstServer::start(&[], &[mjpeg, av]);
    for (name, file, audio) in [("mjpeg", &m.mjpeg, false), ("av", &m.av, true)] {
        let (over_rtsp, direct) = (scratch(&format!("rtsp-{name}")), scratch(&format!("rtsp-{name}-file")));
        let run = grab(&over_rtsp, &server.url(&format!("/{name}")), audio, &[]);
        let file_run = grab(&direct, file, audio, &[]);
        assert_eq!((run.state.as_str(), file_run.state.as_str()), ("Ended", "Ended"), "{name}: {}", rtsp_lines(&run));
        let (got, want) = (raw_frames(&path(&over_rtsp, "video.raw")), raw_frames(&path(&direct, "video.raw")));
        assert!(want.len() >= 49, "{name}: VLC played {} frames of the file", want.len());
        assert!(got == want, "{name}: {} frames over RTSP, {} from the file, or they differ", got.len(), want.len());
        if audio {
            assert!(run.log_has("playing video/h264, audio/mpeg4-generic"), "{}", rtsp_lines(&run));
            let got = std::fs::read(path(&over_rtsp, "audio.raw")).unwrap();
            let want = std::fs::read(path(&direct, "audio.raw")).unwrap();
            assert!(want.len() >= 48_000 * 4 * 19 / 10, "{} bytes of sound from the file", want.len());
            assert!(got == want, "AAC: {} bytes over RTSP, {} from the file, or they differ", got.len(), want.len());
        }
    }
}

#[test]
fn g711_sound_is_the_sound_sent() {
    let _serial = serial();
    let m = media();
    let pipeline = |enc: &str, pay: &str| {
        format!("filesrc location={} ! wavparse ! audioconvert ! {enc} ! {pay} name=pay0", m.tone)
    };
    let server = GstServer::start(
        &[],
        &[mount("pcmu", &pipeline("mulawenc", "rtppcmupay")), mount("pcma", &pipeline("alawenc", "rtppcmapay"))],
    );
    let tone = smem_testkit::media::read_wav_pcm(&m.tone).unwrap();
    let tone: Vec<i32> = tone.chunks(2).map(|s| i32::from(i16::from_le_bytes([s[0], s[1]]))).collect();
    for law in ["pcmu", "pcma"] {
        let dir = scratch(&format!("rtsp-{law}"));
        let sound = path(&dir, "audio.raw");
        let args = ["--no-video", "--time-sync", "false", "--chain", "transcode{acodec=s16l}", "--audio-out", &sound];
        let run = play(Smem::Ours, &dir, &server.url(&format!("/{law}")), &args);
        assert_eq!(run.state, "Ended", "{law}: {}", rtsp_lines(&run));
        assert_eq!(run.audio.calls.first().map(|c| (c.rate, c.channels)), Some((8_000, 1)), "{law}");
        let got: Vec<i32> =
            std::fs::read(&sound).unwrap().chunks(2).map(|s| i32::from(i16::from_le_bytes([s[0], s[1]]))).collect();
        // All but the last packet, which VLC keeps as it does a file's.
        assert!(got.len() >= tone.len() * 9 / 10, "{law}: {} of {} samples", got.len(), tone.len());
        for (i, (g, t)) in got.iter().zip(&tone).enumerate() {
            // G.711's steps: 1/16 of the value, and a little near 0.
            assert!((g - t).abs() <= t.abs() / 16 + 16, "{law}: sample {i}: {g} for {t}");
        }
    }
}

#[test]
fn vlc_s_own_rtsp_server_over_udp() {
    let _serial = serial();
    let dir = scratch("rtsp-vlc-server");
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    // VLC's server (stock VLC, no smem) sends the file in real time; its
    // SDP has no parameter sets: the track is declared at the first key frame.
    let long = path(&dir, "long.mkv");
    h264_clip(&long, 4);
    let sout = format!("#rtp{{sdp=rtsp://127.0.0.1:{port}/cam}}");
    let server_dir = dir.join("server");
    std::fs::create_dir_all(&server_dir).unwrap();
    let server = std::thread::spawn({
        let (server_dir, long) = (server_dir.clone(), long.clone());
        move || play(Smem::Stock, &server_dir, &long, &["--sout", &sout, "--timeout", "20"])
    });
    std::thread::sleep(Duration::from_millis(700));
    let run = grab(&dir, &format!("rtsp://127.0.0.1:{port}/cam"), false, &[":no-rtsp-tcp"]);
    let _ = server.join();
    let reference = ffmpeg_frames(&long, "yuv420p");
    let got = raw_frames(&path(&dir, "video.raw"));
    assert!(got.len() >= 25, "{} frames from VLC's server:\n{}", got.len(), rtsp_lines(&run));
    let first = reference.iter().position(|r| *r == got[0]).expect("the first frame is one of the file's");
    assert_eq!(first % 25, 0, "the first frame shown is a key frame's");
    assert!(got.iter().zip(&reference[first..]).all(|(g, r)| g == r), "frames from {first} on differ");
    assert!(run.log_has("declared with its parameter sets"), "{}", rtsp_lines(&run));
}

/// A TCP server on 127.0.0.1 that answers every connection with `reply`
/// (nothing at all if `None`) and keeps it open; stops when dropped.
struct FakeServer {
    port: u16,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl FakeServer {
    fn start(reply: Option<&'static [u8]>) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::spawn(move || {
            let mut open: Vec<TcpStream> = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(60);
            while !stopped.load(std::sync::atomic::Ordering::Relaxed) && Instant::now() < deadline {
                if let Ok((mut conn, _)) = listener.accept() {
                    conn.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
                    let mut request = [0u8; 4096];
                    let _ = conn.read(&mut request);
                    if let Some(reply) = reply {
                        let _ = conn.write_all(reply);
                    }
                    open.push(conn);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        FakeServer { port, stop }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// An input that fails: VLC's Error state, our message, in time, and no
/// other module tried after ours.
fn assert_fails(what: &str, run: &Run, took: Duration, message: &str, within: Duration) {
    let ours = rtsp_lines(run);
    assert_eq!(run.state, "Error", "{what}: {}\n{ours}", run.stdout);
    assert!(run.log.lines().any(|l| l.starts_with("[error] smem_rtsp: ") && l.contains(message)), "{what}: {ours}");
    assert!(took < within, "{what}: took {took:?}");
    assert!(!run.log_has("satip:") && !run.log_has("access_realrtsp:"), "{what}: another module was tried");
    assert_eq!(run.video.frames, 0, "{what}");
}

fn timed(dir: &Path, url: &str, options: &[&str]) -> (Run, Duration) {
    let start = Instant::now();
    let run = grab(dir, url, false, options);
    (run, start.elapsed())
}

#[test]
fn every_failure_is_a_clear_message_in_bounded_time() {
    let _serial = serial();
    let m = media();
    let server = GstServer::start(&[], &[h264_mount(&m.h264)]);
    let refused = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port(); // closed again
    let silent = FakeServer::start(None);
    let garbage = FakeServer::start(Some(b"HELLO THIS IS NOT RTSP\r\n\x00\x01\x02\r\n\r\n"));
    let second = Duration::from_secs(1);
    let cases: Vec<(&str, String, Vec<&str>, &str, Duration)> = vec![
        ("refused", format!("rtsp://127.0.0.1:{refused}/x"), vec![], "Connection refused", 3 * second),
        ("404", server.url("/nothing"), vec![], "404", 3 * second),
        (
            "silent",
            format!("rtsp://127.0.0.1:{}/x", silent.port),
            vec![":rtsp-connect-timeout=1000"],
            "no answer to DESCRIBE within 1000 ms",
            4 * second,
        ),
        ("garbage", format!("rtsp://127.0.0.1:{}/x", garbage.port), vec![], "DESCRIBE failed", 3 * second),
    ];
    for (what, url, options, message, within) in cases {
        let dir = scratch(&format!("rtsp-fail-{}", what.replace(' ', "-")));
        let (run, took) = timed(&dir, &url, &options);
        assert_fails(what, &run, took, message, within);
        eprintln!("{what}: {took:?}: {}", rtsp_lines(&run).lines().find(|l| l.starts_with("[error]")).unwrap_or(""));
    }
    // An unknown host, looked up in a network namespace of its own with
    // nothing in it: the name's query never leaves this machine.
    let dir = scratch("rtsp-fail-unknown-host");
    let start = Instant::now();
    let run = grab_with(smem_testkit::play_offline, &dir, "rtsp://no-such-camera.invalid/x", false, &[]);
    assert_fails("unknown host", &run, start.elapsed(), "DESCRIBE failed", 8 * second);
}

#[test]
fn with_no_reconnect_a_server_that_stops_sending_or_goes_away_mid_stream_ends_the_input() {
    let _serial = serial();
    // 8 s of video, played in real time: the server is stopped 1.5 s in.
    let dir = scratch("rtsp-midstream");
    let long = path(&dir, "long.mkv");
    h264_clip(&long, 8);
    for (what, freeze) in [("frozen", true), ("killed", false)] {
        let mut server = GstServer::start(&[], &[h264_mount(&long)]);
        let url = server.url("/h264");
        let run_dir = scratch(&format!("rtsp-midstream-{what}"));
        let start = Instant::now();
        let options = [":rtsp-idle-timeout=1000", ":rtsp-reconnect=0"];
        let grab = std::thread::spawn(move || grab(&run_dir, &url, false, &options));
        std::thread::sleep(Duration::from_millis(1500));
        let stopped = Instant::now();
        if freeze {
            server.freeze();
        } else {
            server.kill();
        }
        let run = grab.join().unwrap();
        let (took, after_stop) = (start.elapsed(), stopped.elapsed());
        let ours = rtsp_lines(&run);
        assert_eq!(run.state, "Error", "{what}: {ours}");
        assert!(run.video.frames >= 20 && run.video.frames < 150, "{what}: {} frames", run.video.frames);
        let message =
            if freeze { "no frame for 1000 ms (rtsp-idle-timeout)" } else { "the server closed the connection" };
        assert!(run.log.lines().any(|l| l.starts_with("[error] smem_rtsp") && l.contains(message)), "{what}: {ours}");
        assert!(after_stop < Duration::from_secs(4), "{what}: ended {after_stop:?} after the server stopped");
        eprintln!("{what}: ended {after_stop:?} after the server stopped ({took:?} in all): {ours}");
        server.kill();
    }
}

/// The gap a reconnect ended, in ms, as smem_rtsp logged it.
fn gaps_logged(run: &Run) -> Vec<u64> {
    let gaps = run
        .log
        .lines()
        .filter_map(|l| l.split_once("back after a gap of "))
        .filter_map(|(_, rest)| rest.split_once(" ms").and_then(|(ms, _)| ms.parse().ok()));
    gaps.collect()
}

#[test]
fn a_camera_that_restarts_is_reconnected_and_the_gap_logged() {
    let _serial = serial();
    // The server killed 3 s in and started again 3 s later on the same
    // port; it sends its 5 s file again from the start, to the end.
    let dir = scratch("rtsp-restart");
    let clip = path(&dir, "clip.mkv");
    h264_clip(&clip, 5);
    let mut server = GstServer::start(&[], &[h264_mount(&clip)]);
    let url = server.url("/h264");
    let run_dir = scratch("rtsp-restart-run");
    let grab = std::thread::spawn(move || grab(&run_dir, &url, false, &[]));
    std::thread::sleep(Duration::from_millis(3000));
    let killed = Instant::now();
    server.kill();
    std::thread::sleep(Duration::from_millis(3000));
    server.restart();
    let down = killed.elapsed();
    let run = grab.join().unwrap();
    let ours = rtsp_lines(&run);
    assert_eq!(run.state, "Ended", "{ours}");
    assert!(run.log_has("connection lost: the server closed the connection; reconnecting"), "{ours}");
    let gaps = gaps_logged(&run);
    assert_eq!(gaps.len(), 1, "{ours}");
    // From the last frame before the kill to the first after the restart:
    // the time the server was down, and less than 2 s more.
    let down_ms = down.as_millis() as u64;
    assert!(gaps[0] + 100 >= down_ms && gaps[0] < down_ms + 2000, "gap {} ms, server down {down_ms} ms", gaps[0]);
    // About 3 s of the first session, then all 5 s of the second.
    assert!((125 + 50..=125 + 90).contains(&run.video.frames), "{} frames\n{ours}", run.video.frames);
    assert!(run.log_has("1 gaps (ms: ["), "{ours}");
    assert_eq!(server.said("play"), 2);
    eprintln!("server down {down_ms} ms, gap {} ms: {ours}", gaps[0]);
}

#[test]
fn a_server_that_never_comes_back_ends_the_input_by_the_reconnect_limit() {
    let _serial = serial();
    let dir = scratch("rtsp-never-back");
    let long = path(&dir, "long.mkv");
    h264_clip(&long, 8);
    // Killed: the connection closes, every attempt is refused. Frozen: no
    // frame for 1 s, then every attempt connects and is never answered.
    for (what, freeze, lost_after) in [("killed", false, 0), ("frozen", true, 1000)] {
        let mut server = GstServer::start(&[], &[h264_mount(&long)]);
        let url = server.url("/h264");
        let run_dir = scratch(&format!("rtsp-never-back-{what}"));
        let options = [":rtsp-idle-timeout=1000", ":rtsp-reconnect=2000"];
        let grab = std::thread::spawn(move || grab(&run_dir, &url, false, &options));
        std::thread::sleep(Duration::from_millis(1500));
        let stopped = Instant::now();
        if freeze {
            server.freeze();
        } else {
            server.kill();
        }
        let run = grab.join().unwrap();
        let after_stop = stopped.elapsed();
        let ours = rtsp_lines(&run);
        assert_eq!(run.state, "Error", "{what}: {ours}");
        assert!(run.log_has("; reconnecting"), "{what}: {ours}");
        let message = "not back within 2000 ms (rtsp-reconnect); the last attempt: ";
        assert!(run.log.lines().any(|l| l.starts_with("[error] smem_rtsp") && l.contains(message)), "{what}: {ours}");
        // Ends at the limit, not a whole attempt or backoff later (Close
        // gives the sessions dropped a second to be torn down).
        let limit = Duration::from_millis(lost_after + 2000);
        assert!(after_stop >= limit && after_stop < limit + Duration::from_millis(1500), "{what}: {after_stop:?}");
        eprintln!("{what}: ended {after_stop:?} after the server stopped: {ours}");
        server.kill();
    }
}

/// `file`'s H.264 as RTP, each frame passing an `identity` synced to the
/// pipeline's clock that the server logs: its send time ("sent N UNIX_US").
fn h264_mount_logging_send_times(file: &str) -> String {
    let pipeline = "matroskademux ! h264parse ! identity sync=true name=sent ! rtph264pay name=pay0 pt=96";
    mount("h264", &format!("filesrc location={file} ! {pipeline}"))
}

/// What the server logged of each frame sent: its send time (microseconds
/// since the Unix epoch) and RTP timestamp, by frame number; waits a moment
/// for `frames` lines (its output is read on a thread of its own).
fn send_times(server: &GstServer, frames: usize) -> Vec<(i64, u32)> {
    let deadline = Instant::now() + Duration::from_secs(3);
    while server.lines("sent ").len() < frames && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let field = |l: &str, n: usize| l.split(' ').nth(n).and_then(|v| v.parse::<i64>().ok()).expect("a number");
    server.lines("sent ").iter().map(|l| (field(l, 2), field(l, 3) as u32)).collect()
}

/// The camera time the server's first sender report gives RTP time `rtp`.
fn sender_report_time(server: &GstServer, rtp: u32) -> Option<i64> {
    let report = server.lines("sr ").first()?.clone();
    let mut fields = report.split(' ').skip(1).map(|v| v.parse::<u64>().unwrap());
    let (ntp, report_rtp) = (fields.next()?, fields.next()? as u32);
    let ntp_us = ((ntp >> 32) as i64 - 2_208_988_800) * 1_000_000 + (((ntp & 0xFFFF_FFFF) * 1_000_000) >> 32) as i64;
    Some(ntp_us + i64::from(rtp.wrapping_sub(report_rtp) as i32) * 1_000_000 / 90_000)
}

/// A grab of `url` through smem-client: each video frame's number in the
/// stream sent (from its time: 25 fps from 0) and camera time
/// (microseconds since the Unix epoch).
fn camera_times(url: &str) -> Vec<(usize, Option<i64>)> {
    let mut got = Vec::new();
    let end = smem_client::Grab::new(url)
        .video(smem_client::VideoChroma::I420, |f| {
            let unix_us =
                |t: std::time::SystemTime| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_micros() as i64;
            let number = ((f.time_us + 20_000) / 40_000) as usize;
            got.push((number, f.camera_time().map(unix_us)));
        })
        .run()
        .expect("the grab plays");
    assert_eq!(end.reason, smem_client::EndReason::Ended, "{:?}", end.vlc_errors);
    got
}

/// A server sending 6 s of [`PICTURE`], logging its send times and sender
/// reports; the plugin of this build for smem-client's grabs.
fn camera_logging_send_times() -> GstServer {
    static CLIP: OnceLock<String> = OnceLock::new();
    let clip = CLIP.get_or_init(|| {
        let clip = path(&scratch("rtsp-camera-clock"), "clip.mkv");
        h264_clip(&clip, 6);
        clip
    });
    std::env::set_var("VLC_PLUGIN_PATH", smem_testkit::plugin_dir());
    GstServer::start(&[], &[h264_mount_logging_send_times(clip)])
}

#[test]
fn each_frame_carries_the_camera_s_time_from_its_sender_reports() {
    let _serial = serial();
    let server = camera_logging_send_times();
    let frames = camera_times(&server.url("/h264"));
    let sent = send_times(&server, 150);
    // gst-rtsp-server may send the last frame without RTP's marker bit.
    assert!(frames.len() == 150 && sent.len() >= 149, "{} frames, {} sent", frames.len(), sent.len());
    // None until the first sender report (gst-rtsp-server sends one after
    // a second or two, then every 5 s), then every frame has one.
    let first = frames.iter().position(|(_, t)| t.is_some()).expect("no camera time came");
    assert!(frames[first..].iter().all(|(_, t)| t.is_some()), "a frame after the first report has none");
    assert!(first < 100, "the first camera time came with frame {first}");
    let matched = frames_as_sent(&server, &frames[first..]);
    // On 127.0.0.1 the server's clock is ours: each camera time is the
    // frame's send time give or take what the server's reports put between
    // them (gst-rtsp-server: a frame's RTP time 19.7 ms after it left the
    // payloader) and how late a loaded machine let a frame leave.
    let mut errors: Vec<i64> = matched.iter().map(|&(k, t)| t - sent[k].0).collect();
    errors.sort_unstable();
    let (low, median, high) = (errors[0], errors[errors.len() / 2], errors[errors.len() - 1]);
    eprintln!("camera time less send time: median {median} us, {low} to {high}, from frame {first}");
    assert!((-5_000..25_000).contains(&median), "camera times {median} us from the send times");
}

/// Each camera time is what `server`'s sender reports say of a frame's
/// RTP time (its first report; later ones drift a few microseconds): the
/// server's frame numbers of `frames` (numbered from their own times),
/// with their camera times. The server may count a frame the client never
/// had (one it sent before PLAY): the numbers then differ by one, alike for
/// every frame.
fn frames_as_sent(server: &GstServer, frames: &[(usize, Option<i64>)]) -> Vec<(usize, i64)> {
    let sent = send_times(server, frames.len());
    let said: Vec<i64> = sent.iter().map(|s| sender_report_time(server, s.1).expect("a sender report")).collect();
    let mut shift = None;
    let mut matched = Vec::new();
    for &(n, time) in frames {
        let Some(time) = time else { continue };
        let k = (0..said.len()).min_by_key(|&k| (said[k] - time).abs()).unwrap();
        assert!((said[k] - time).abs() <= 100, "frame {n}: camera time {time}, the nearest report's {}", said[k]);
        assert_eq!(*shift.get_or_insert(k as i64 - n as i64), k as i64 - n as i64, "frame {n} is the server's {k}");
        matched.push((k, time));
    }
    matched
}

#[test]
fn two_cameras_started_a_second_apart_line_up_by_camera_time() {
    let _serial = serial();
    let servers = [0, 1].map(|_| camera_logging_send_times());
    let urls = servers.each_ref().map(|s| s.url("/h264"));
    let [a, b] = std::thread::scope(|scope| {
        let a = scope.spawn(|| camera_times(&urls[0]));
        std::thread::sleep(Duration::from_millis(1000));
        let b = scope.spawn(|| camera_times(&urls[1]));
        [a.join().unwrap(), b.join().unwrap()]
    });
    // Each camera's frames as its server numbered them, with their camera
    // times (each as its server's sender reports say).
    let (a, b) = (frames_as_sent(&servers[0], &a), frames_as_sent(&servers[1], &b));
    let sent = servers.each_ref().map(|s| send_times(s, 150));
    // Each of the second camera's frames, matched with the first camera's
    // frame nearest in camera time: the two were sent together (within
    // half a frame, as their sends were logged on this machine's clock).
    let nearest = |frames: &[(usize, i64)], time: i64| frames.iter().min_by_key(|(_, t)| (t - time).abs()).unwrap().0;
    let overlap: Vec<_> = b.iter().filter(|(_, t)| (a[0].1..=a[a.len() - 1].1).contains(t)).collect();
    assert!(overlap.len() >= 40, "{} of the second camera's frames overlap the first's", overlap.len());
    // How far apart two frames lined up are in camera time, less how far
    // apart they were sent: 0 but for how late this loaded machine let some
    // frames leave.
    let camera_time_of_a = |k: usize| a.iter().find(|(i, _)| *i == k).unwrap().1;
    let mut off: Vec<i64> = overlap
        .iter()
        .map(|&&(m, t)| {
            let k = nearest(&a, t);
            ((t - camera_time_of_a(k)) - (sent[1][m].0 - sent[0][k].0)).abs()
        })
        .collect();
    off.sort_unstable();
    let offset = nearest(&a, overlap[0].1) as i64 - overlap[0].0 as i64;
    let median = off[off.len() / 2];
    eprintln!("{} frames lined up, {median} us off their send times (median); {offset} frames apart", off.len());
    assert!((20..=35).contains(&offset), "started about a second apart: {offset} frames");
    assert!(median <= 5_000, "frames lined up by camera time are {median} us off their send times");
}

#[test]
fn credentials_from_the_url_or_the_options_and_no_password_in_the_log() {
    let _serial = serial();
    let m = media();
    let password = "s3cret-pw";
    let server = GstServer::start(&["--user", "cam", "--password", password], &[h264_mount(&m.h264)]);
    let plain = server.url("/h264");
    let with = |user: &str, pw: &str| plain.replace("rtsp://", &format!("rtsp://{user}:{pw}@"));
    let runs: Vec<(&str, String, Vec<String>, bool)> = vec![
        ("in the URL", with("cam", password), vec![], true),
        ("as options", plain.clone(), vec![":rtsp-user=cam".into(), format!(":rtsp-pwd={password}")], true),
        ("none", plain.clone(), vec![], false),
        ("wrong password", with("cam", "wrong"), vec![], false),
    ];
    for (what, url, options, plays) in runs {
        let dir = scratch(&format!("rtsp-auth-{}", what.replace(' ', "-")));
        let options: Vec<&str> = options.iter().map(String::as_str).collect();
        let (run, took) = timed(&dir, &url, &options);
        if plays {
            assert_eq!((run.state.as_str(), run.video.frames), ("Ended", 50), "{what}: {}", rtsp_lines(&run));
        } else {
            assert_fails(what, &run, took, "401", Duration::from_secs(3));
        }
        let ours = rtsp_lines(&run);
        assert!(!ours.contains(password) && !ours.contains(":wrong@"), "{what}: a password in our log: {ours}");
        if what == "in the URL" {
            assert!(ours.contains("rtsp://cam:***@127.0.0.1"), "{ours}");
        }
    }
}

/// The threads named smem_rtsp in this process, and its sockets.
fn threads_and_sockets() -> (usize, usize) {
    let threads = std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim() == "smem_rtsp")
        .count();
    let sockets = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter(|target| target.to_string_lossy().starts_with("socket:"))
        .count();
    (threads, sockets)
}

#[test]
fn a_grab_s_session_thread_and_sockets_end_with_it() {
    let _serial = serial();
    let m = media();
    let server = GstServer::start(&["--protocols", "tcp"], &[h264_mount(&m.h264)]);
    std::env::set_var("VLC_PLUGIN_PATH", smem_testkit::plugin_dir());
    let (_, sockets_before) = threads_and_sockets();
    let mut during = None;
    let mut times = Vec::new();
    let end = smem_client::Grab::new(server.url("/h264"))
        .video(smem_client::VideoChroma::I420, |f| {
            if f.index == 10 {
                during = Some(threads_and_sockets());
            }
            times.push(f.time_us);
        })
        .run()
        .expect("the grab plays");
    assert_eq!(end.video_frames, 50);
    // Each frame's time in the stream, from its RTP timestamp: 40 ms apart
    // from 0.
    let expected: Vec<i64> = (0..50).map(|i| i * 40_000).collect();
    assert_eq!(times, expected);
    let during = during.expect("frame 10 came");
    assert_eq!(during.0, 1, "one session thread while it plays");
    assert!(during.1 > sockets_before, "its connection is open while it plays");
    assert_eq!(threads_and_sockets(), (0, sockets_before), "nothing left after the grab");
    assert!(server.said("teardown") >= 1 || server.said("play") == 1);
}

#[test]
fn a_plain_c_libvlc_client_on_the_stock_callbacks_plays_a_camera() {
    let _serial = serial();
    let m = media();
    let server = GstServer::start(&[], &[h264_mount(&m.h264)]);
    let sout = "#transcode{vcodec=RV24}:smem{video-prerender-callback={vpre},video-postrender-callback={vpost},\
                video-data={vdata},time-sync=false}";
    let out = smem_testkit::c_host_run(Smem::Ours, &server.url("/h264"), sout);
    // VLC's raw encoder (RV24 without venc=smem_raw) drops a picture whose
    // time rounds onto the last one's; a live clock's jitter makes a few.
    let frames: usize = out["frames"].parse().unwrap();
    assert!((45..=50).contains(&frames), "{out:?}");
}

#[test]
fn a_python_vlc_client_plays_a_camera() {
    let _serial = serial();
    let m = media();
    let server = GstServer::start(&[], &[h264_mount(&m.h264)]);
    let dir = scratch("rtsp-python-vlc");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smem_frames.py");
    let (video, sound) = (path(&dir, "video.raw"), path(&dir, "audio.raw"));
    let out = Command::new("/usr/bin/python3")
        .args([script.to_str().unwrap(), &server.url("/h264"), &video, &sound, "transcode{vcodec=I420,venc=smem_raw}"])
        .env("VLC_PLUGIN_PATH", smem_testkit::plugin_dir())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("video_frames: 50"), "{text}");
    assert!(
        raw_frames(&video) == ffmpeg_frames(&m.h264, "yuv420p"),
        "the example's frames differ from ffmpeg's decode"
    );
}

#[test]
fn what_it_cannot_play_is_named_and_left_out_or_declined() {
    let _serial = serial();
    let m = media();
    let h264_and_opus = mount(
        "mixed",
        // Both from one file: its demuxer goes on when the track not set up
        // has nowhere to go (two sources of their own stalled, now and then).
        &format!(
            "filesrc location={} ! matroskademux name=d d.video_0 ! queue ! h264parse ! rtph264pay name=pay0 pt=96 \
             d.audio_0 ! queue ! opusparse ! rtpopuspay name=pay1 pt=97",
            m.h264_opus
        ),
    );
    let mpeg_ts = mount(
        "ts",
        &format!("filesrc location={} ! matroskademux ! h264parse ! mpegtsmux ! rtpmp2tpay name=pay0 pt=33", m.h264),
    );
    let server = GstServer::start(&[], &[h264_and_opus, mpeg_ts]);
    // A track it cannot play beside one it can: the other plays, this one is named.
    let dir = scratch("rtsp-left-out");
    let run = grab(&dir, &server.url("/mixed"), false, &[]);
    assert_eq!((run.state.as_str(), run.video.frames), ("Ended", 50), "{}", rtsp_lines(&run));
    assert!(
        run.log.lines().any(|l| l.starts_with("[warning] smem_rtsp") && l.contains("left out audio/opus")),
        "{}",
        rtsp_lines(&run)
    );
    // Nothing it can play: named; an error here (no live555 to leave it to
    // on Debian's VLC).
    let dir = scratch("rtsp-declined");
    let (run, took) = timed(&dir, &server.url("/ts"), &[]);
    assert_fails("MPEG-TS only", &run, took, "nothing this input can play: video/mp2t", Duration::from_secs(3));
}

/// An H.264 SPS (baseline, level 5.1) of `mbs` x `mbs` macroblocks, with
/// its emulation prevention bytes: what a camera's SDP carries base64'd.
fn sps_of(mbs: u32) -> Vec<u8> {
    let mut bits: Vec<bool> = Vec::new();
    let mut put = |value: u32, n: u32| (0..n).rev().for_each(|i| bits.push(value >> i & 1 == 1));
    let ue = |v: u32, put: &mut dyn FnMut(u32, u32)| {
        let n = 32 - (v + 1).leading_zeros();
        put(0, n - 1);
        put(v + 1, n);
    };
    put(0x67, 8); // NAL header: SPS
    put(66, 8); // profile_idc: baseline
    put(0, 8); // constraint flags
    put(51, 8); // level_idc
    for v in [0, 0, 2, 1] {
        ue(v, &mut put); // sps id, log2_max_frame_num-4, poc type 2, max ref frames
    }
    put(0, 1); // gaps_in_frame_num_allowed
    ue(mbs - 1, &mut put); // pic_width_in_mbs_minus1
    ue(mbs - 1, &mut put); // pic_height_in_map_units_minus1
    put(0b1100, 4); // frame_mbs_only, direct_8x8, no cropping, no VUI
    put(1, 1); // rbsp stop bit
    while bits.len() % 8 != 0 {
        bits.push(false);
    }
    let bytes: Vec<u8> = bits.chunks(8).map(|b| b.iter().fold(0, |a, &bit| a << 1 | u8::from(bit))).collect();
    let mut out = Vec::new();
    for b in bytes {
        if out.len() >= 2 && out[out.len() - 2..] == [0, 0] && b <= 3 {
            out.push(3);
        }
        out.push(b);
    }
    out
}

fn base64(data: &[u8]) -> String {
    const TABLE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    data.chunks(3)
        .flat_map(|c| {
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            (0..4).map(move |i| if i <= c.len() { TABLE[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' })
        })
        .collect()
}

#[test]
fn an_sdp_with_absurd_dimensions_is_refused_by_name() {
    let _serial = serial();
    // A camera whose SDP says 40000x40000 (2500 macroblocks a side).
    let sdp = format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=cam\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n\
         a=fmtp:96 packetization-mode=1;sprop-parameter-sets={},aM48gA==\r\na=control:track1\r\n",
        base64(&sps_of(2500))
    );
    let reply = format!(
        "RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Base: rtsp://127.0.0.1/cam/\r\nContent-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    );
    let server = FakeServer::start(Some(Box::leak(reply.into_bytes().into_boxed_slice())));
    let dir = scratch("rtsp-absurd");
    let (run, took) = timed(&dir, &format!("rtsp://127.0.0.1:{}/cam", server.port), &[]);
    assert_fails("40000x40000", &run, took, "40000x40000 is not a picture size", Duration::from_secs(3));
}
