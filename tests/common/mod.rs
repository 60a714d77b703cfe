//! Helpers for the end-to-end tests: the freshly built plugin in a folder
//! of its own (VLC loads only `*_plugin.so`, and scans folders recursively),
//! and the smem-host binary run as a subprocess, with our plugin on
//! `VLC_PLUGIN_PATH` or without it (stock VLC only).
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

#[path = "../../src/bin/smem-host/media.rs"]
pub mod media;
pub mod plugin_copy;

pub const HOST: &str = env!("CARGO_BIN_EXE_smem-host");

/// target/<profile>/test-plugins with a copy of libsmem_rs_plugin.so.
pub fn plugin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| plugin_copy::copy_plugin(Path::new(HOST).parent().unwrap(), "test-plugins"))
}

/// A scratch folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(HOST).parent().unwrap().join("test-scratch").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_owned()
}

/// A clip in a fresh scratch folder: `frames` of `w`x`h` y4m at 25 fps and
/// as long a 48 kHz stereo WAV, played with it through `slave`
/// (`:input-slave=<wav>`).
pub struct Clip {
    pub dir: PathBuf,
    pub y4m: String,
    pub wav: String,
    pub slave: String,
}

pub fn clip_with_sound(name: &str, (w, h): (usize, usize), frames: usize) -> Clip {
    let dir = scratch(name);
    let (y4m, wav) = (path(&dir, "in.y4m"), path(&dir, "in.wav"));
    media::write_y4m(&y4m, w, h, 25, frames).unwrap();
    media::write_wav(&wav, 48_000, 2, frames as f64 / 25.0).unwrap();
    let slave = format!(":input-slave={wav}");
    Clip { dir, y4m, wav, slave }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Smem {
    Ours,
    Stock,
}

pub struct Run {
    pub status: i32,
    pub summary: HashMap<String, String>,
    pub stdout: String,
    pub stderr: String,
    pub log: String,
    pub report: Vec<HashMap<String, String>>,
}

impl Run {
    pub fn get(&self, key: &str) -> &str {
        self.summary
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no {key} in:\n{}\n{}", self.stdout, self.stderr))
    }
    pub fn num(&self, key: &str) -> f64 {
        self.get(key).parse().unwrap()
    }
    /// Report lines of one kind ("video" or "audio").
    pub fn calls(&self, kind: &str) -> Vec<&HashMap<String, String>> {
        self.report.iter().filter(|r| r["kind"] == kind).collect()
    }
    pub fn log_has(&self, needle: &str) -> bool {
        self.log.lines().any(|l| l.contains(needle))
    }
}

/// Runs `smem-host play MEDIA ARGS...`; `dir` receives the log and report.
pub fn play(who: Smem, dir: &Path, media: &str, args: &[&str]) -> Run {
    play_with_env(who, dir, media, args, &[])
}

/// [`play`] with extra environment variables for the host (and VLC).
pub fn play_with_env(who: Smem, dir: &Path, media: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let (log, report) = (path(dir, "vlc.log"), path(dir, "report.txt"));
    let _ = std::fs::remove_file(&report);
    let _ = std::fs::remove_file(&log);
    let mut cmd = Command::new(HOST);
    cmd.envs(env.iter().copied());
    cmd.arg("play").arg(media).args(args).args(["--log", &log, "--report", &report]);
    match who {
        Smem::Ours => cmd.env("VLC_PLUGIN_PATH", plugin_dir()),
        Smem::Stock => cmd.env_remove("VLC_PLUGIN_PATH"),
    };
    let out = cmd.output().expect("cannot run smem-host");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let summary =
        stdout.lines().filter_map(|l| l.split_once(": ")).map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let report = std::fs::read_to_string(&report)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let mut fields = l.split(' ');
            let mut map: HashMap<String, String> = HashMap::new();
            map.insert("kind".into(), fields.next().unwrap_or_default().to_owned());
            for f in fields {
                if let Some((k, v)) = f.split_once('=') {
                    map.insert(k.to_owned(), v.to_owned());
                }
            }
            map
        })
        .collect();
    Run {
        status: out.status.code().unwrap_or(-1),
        summary,
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        log: std::fs::read_to_string(&log).unwrap_or_default(),
        report,
    }
}

pub fn field(call: &HashMap<String, String>, key: &str) -> i64 {
    call[key].parse().unwrap()
}

/// A 320x240 mpeg4 + mp2 clip, encoded by VLC itself from generated media.
pub fn mpeg4_clip(dir: &Path) -> String {
    let (y4m, wav, ts) = (path(dir, "src.y4m"), path(dir, "src.wav"), path(dir, "clip.ts"));
    media::write_y4m(&y4m, 320, 240, 25, 40).unwrap();
    media::write_wav(&wav, 48_000, 2, 1.6).unwrap();
    let sout = format!("#transcode{{vcodec=mp4v,vb=800,acodec=mpga,ab=128}}:std{{access=file,mux=ts,dst={ts}}}");
    let run = play(Smem::Stock, dir, &y4m, &["--sout", &sout, "--option", &format!(":input-slave={wav}")]);
    assert_eq!(run.get("state"), "Ended", "{}", run.stdout);
    assert!(std::fs::metadata(&ts).map(|m| m.len() > 10_000).unwrap_or(false), "clip not written");
    ts
}

pub fn assert_played(run: &Run) {
    assert_eq!(run.get("state"), "Ended", "playback did not end normally:\n{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.num("video_errors") + run.num("audio_errors"), 0.0, "{}", run.stdout);
}

pub fn assert_ours_served(run: &Run) {
    assert!(run.log_has("using sout stream module \"smem_rs\""), "our module did not serve the chain:\n{}", run.log);
    assert!(run.log_has("smem_rs: smem (Rust) opened"), "{}", run.log);
}

/// tests/hosts/c_host.c, built once with the system compiler: a plain C
/// libvlc client (see its header for what it prints).
pub fn c_host() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let exe = Path::new(HOST).parent().unwrap().join("c_host");
        let flags = Command::new("pkg-config").args(["--cflags", "--libs", "libvlc"]).output().expect("pkg-config");
        let flags = String::from_utf8(flags.stdout).unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let (source, include) = (root.join("tests/hosts/c_host.c"), root.join("include"));
        let status = Command::new("cc")
            .args(["-Wall", "-Wextra", "-Werror", "-O2", "-o", exe.to_str().unwrap(), source.to_str().unwrap()])
            .arg(format!("-I{}", include.display()))
            .args(flags.split_whitespace())
            .arg("-lpthread")
            .status()
            .expect("cc");
        assert!(status.success(), "tests/hosts/c_host.c does not build");
        exe
    })
}

/// Runs the C host on `media` with `sout` ({vpre}... filled in by it);
/// returns its `key: value` lines.
pub fn c_host_run(who: Smem, media: &str, sout: &str) -> HashMap<String, String> {
    let mut cmd = Command::new(c_host());
    cmd.args([media, sout]);
    match who {
        Smem::Ours => cmd.env("VLC_PLUGIN_PATH", plugin_dir()),
        Smem::Stock => cmd.env_remove("VLC_PLUGIN_PATH"),
    };
    let out = cmd.output().expect("cannot run c_host");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success() && text.contains("state: Ended"), "c_host {media} {sout}: {text}");
    text.lines().filter_map(|l| l.split_once(": ")).map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}
