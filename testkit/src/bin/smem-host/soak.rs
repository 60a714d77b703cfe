//! `smem-host soak DIR`: many players in one process. First N play/stop
//! cycles one after another (every other one stopped mid-stream), then M
//! players at once, each on media of its own width with its own data
//! pointer. Prints `key: value` lines: failures, RSS growth, per-player counts.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::{sout_string, PlayArgs, Track, MAGIC_AUDIO, MAGIC_VIDEO};
use smem_client::vlc::{Instance, Media, Player, State};
use smem_testkit::media;
use smem_testkit::script::{play_media, Script};

/// Frames of each player's clip (1 s), and of the cycles' clip (4 s: long
/// enough to be stopped mid-stream even though paced VLC reads 1 s ahead).
const FRAMES: usize = 25;
const CYCLE_FRAMES: usize = 100;

struct Args {
    dir: String,
    cycles: usize,
    players: usize,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut a = Args { dir: String::new(), cycles: 200, players: 8 };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut number = || it.next().and_then(|v| v.parse().ok()).ok_or_else(|| format!("{arg} takes a number"));
        match arg.as_str() {
            "--cycles" => a.cycles = number()?,
            "--players" => a.players = number()?,
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            s => a.dir = s.to_owned(),
        }
    }
    if a.dir.is_empty() {
        return Err("soak needs a folder for its media".into());
    }
    Ok(a)
}

fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// One player's tracks (their addresses are its data pointers) and media.
struct Client {
    video: Box<Track>,
    audio: Box<Track>,
}

impl Client {
    fn new(width: i32) -> Client {
        let video = Box::new(Track::new(MAGIC_VIDEO));
        video.state.lock().unwrap().expect_width = Some(width);
        Client { video, audio: Box::new(Track::new(MAGIC_AUDIO)) }
    }

    fn sout(&self, time_sync: bool) -> String {
        let args = PlayArgs { time_sync: Some(time_sync.to_string()), ..Default::default() };
        format!(":sout={}", sout_string(&args, &self.video, &self.audio))
    }

    fn media(&self, instance: &Instance, clip: &str, wav: &str, time_sync: bool) -> Result<Media, String> {
        let media = instance.media(clip)?;
        media.add_option(&self.sout(time_sync))?;
        media.add_option(&format!(":input-slave={wav}"))?;
        Ok(media)
    }

    /// (video frames, audio blocks, errors)
    fn counts(&self) -> (u64, u64, Vec<String>) {
        let (v, a) = (self.video.state.lock().unwrap(), self.audio.state.lock().unwrap());
        (v.count, a.count, v.errors.iter().chain(&a.errors).cloned().collect())
    }
}

pub fn run(args: &[String]) -> Result<bool, String> {
    let args = parse(args)?;
    std::fs::create_dir_all(&args.dir).map_err(|e| format!("{}: {e}", args.dir))?;
    let clip = |k: usize| format!("{}/clip{k}.y4m", args.dir);
    let width = |k: usize| 64 + 16 * k as i32;
    for k in 0..args.players.max(1) {
        media::write_y4m(&clip(k), width(k) as usize, 48, 25, FRAMES).map_err(|e| e.to_string())?;
    }
    let cycle_clip = format!("{}/cycle.y4m", args.dir);
    media::write_y4m(&cycle_clip, width(0) as usize, 48, 25, CYCLE_FRAMES).map_err(|e| e.to_string())?;
    let wav = format!("{}/clip.wav", args.dir);
    media::write_wav(&wav, 48_000, 2, 1.0).map_err(|e| e.to_string())?;

    let instance = Instance::new(&["--no-xlib", "--aout=dummy", "--vout=dummy", "--no-stats", "--quiet"])?;
    let mut out = String::new();
    let mut failures = Vec::new();
    let mut smem_errors = 0;
    let mut count_errors = |instance: &Instance| {
        smem_errors += instance.take_log().iter().filter(|l| l.module == "smem_rs" && l.level == "error").count();
    };

    // Cycles, one after another. Even ones run to the end unpaced; odd ones
    // play paced and are stopped 100 ms in, mid-stream.
    let started = Instant::now();
    let (mut rss_warm, mut stopped_midway) = (0, 0);
    for cycle in 0..args.cycles {
        let client = Client::new(width(0));
        let midway = cycle % 2 == 1;
        let media = client.media(&instance, &cycle_clip, &wav, midway)?;
        let script = Script { stop_after_ms: midway.then_some(100), ..Default::default() };
        let (state, _) = play_media(&media, Duration::from_secs(30), &script)?;
        let (video, audio, errors) = client.counts();
        let ok = if midway {
            video < CYCLE_FRAMES as u64
        } else {
            state == State::Ended && video == CYCLE_FRAMES as u64 && audio > 0
        };
        stopped_midway += usize::from(midway && state == State::Playing);
        if !ok || !errors.is_empty() {
            failures.push(format!("cycle {cycle}: {state:?}, {video} frames, {audio} audio blocks, {errors:?}"));
        }
        count_errors(&instance);
        if cycle + 1 == 10.min(args.cycles) {
            rss_warm = rss_kb();
        }
    }
    let rss_end = rss_kb();
    let _ = writeln!(out, "soak_cycles: {}", args.cycles);
    let _ = writeln!(out, "soak_cycles_stopped_midway: {stopped_midway}");
    let _ = writeln!(out, "soak_cycles_seconds: {:.2}", started.elapsed().as_secs_f64());
    let _ = writeln!(out, "rss_kb_after_10_cycles: {rss_warm}");
    let _ = writeln!(out, "rss_kb_after_all_cycles: {rss_end}");
    let _ = writeln!(out, "rss_growth_kb: {}", rss_end as i64 - rss_warm as i64);

    // Players at once, paced so that they all run side by side.
    let clients: Vec<Client> = (0..args.players).map(|k| Client::new(width(k))).collect();
    let mut players = Vec::new();
    for (k, client) in clients.iter().enumerate() {
        let player = Player::new(&client.media(&instance, &clip(k), &wav, true)?)?;
        player.play()?;
        players.push(player);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline && players.iter().any(|p| !p.state().is_over()) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let states: Vec<State> = players.iter().map(Player::state).collect();
    drop(players);
    count_errors(&instance);
    let _ = writeln!(out, "players: {}", args.players);
    for (k, (client, state)) in clients.iter().zip(&states).enumerate() {
        let (video, audio, errors) = client.counts();
        let _ = writeln!(
            out,
            "player_{k}: state={state:?} width={} video_frames={video} audio_blocks={audio} errors={}",
            width(k),
            errors.len()
        );
        if *state != State::Ended || video != FRAMES as u64 || audio == 0 || !errors.is_empty() {
            failures.push(format!("player {k}: {state:?}, {video} frames, {audio} audio blocks, {errors:?}"));
        }
    }
    let _ = writeln!(out, "smem_rs_errors_logged: {smem_errors}");
    for f in failures.iter().take(10) {
        let _ = writeln!(out, "failure: {f}");
    }
    let _ = writeln!(out, "soak_failures: {}", failures.len());
    print!("{out}");
    Ok(failures.is_empty())
}
