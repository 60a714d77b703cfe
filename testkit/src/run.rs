//! Running the hosts under real libvlc: smem-host (typed [`Report`]) with
//! our plugin on `VLC_PLUGIN_PATH` or without it (stock VLC only), and the
//! plain C host; scratch folders and generated clips.

use std::collections::HashMap;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::media;
use crate::report::Report;

/// target/<profile>: where cargo put this test binary's workspace builds.
pub fn profile_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test binary's path");
        // target/<profile>/deps/<test> or target/<profile>/<binary>
        let parent = exe.parent().expect("a folder");
        let dir = if parent.ends_with("deps") { parent.parent().expect("target/<profile>") } else { parent };
        dir.to_path_buf()
    })
}

/// smem-host, built by `cargo build --workspace` (or `make test`).
pub fn host() -> PathBuf {
    let host = profile_dir().join("smem-host");
    assert!(host.exists(), "{} is not built: run `cargo build --workspace` (or `make test`) first", host.display());
    host
}

/// target/<profile>/test-plugins with a copy of libsmem_rs_plugin.so.
pub fn plugin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| crate::plugin::copy_plugin(profile_dir(), "test-plugins"))
}

/// A scratch folder for one test, empty.
pub fn scratch(name: &str) -> PathBuf {
    let dir = profile_dir().join("test-scratch").join(name);
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

/// Which smem VLC gets: ours (on `VLC_PLUGIN_PATH`) or the stock one alone.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Smem {
    Ours,
    Stock,
}

/// One smem-host run: its report, and what it printed and logged.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
    /// VLC's whole log, one `[level] module: text` line per message.
    pub log: String,
    pub report: Report,
}

impl Deref for Run {
    type Target = Report;
    fn deref(&self) -> &Report {
        &self.report
    }
}

impl Run {
    pub fn log_has(&self, needle: &str) -> bool {
        self.log.lines().any(|l| l.contains(needle))
    }
    /// How many lines of VLC's log contain `needle`.
    pub fn log_count(&self, needle: &str) -> usize {
        self.log.lines().filter(|l| l.contains(needle)).count()
    }
}

/// Runs `smem-host play MEDIA ARGS...`; `dir` receives the log and report.
pub fn play(who: Smem, dir: &Path, media: &str, args: &[&str]) -> Run {
    play_with_env(who, dir, media, args, &[])
}

/// [`play`] with extra environment variables for the host (and VLC).
pub fn play_with_env(who: Smem, dir: &Path, media: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    play_command(Command::new(host()), who, dir, media, args, env)
}

/// [`play`] in a network namespace of its own with nothing in it (`unshare
/// --net`, as root): whatever VLC looks up or connects to, nothing leaves
/// this machine.
pub fn play_offline(who: Smem, dir: &Path, media: &str, args: &[&str]) -> Run {
    let mut cmd = Command::new("unshare");
    cmd.arg("--net").arg(host());
    play_command(cmd, who, dir, media, args, &[])
}

/// `cmd` (smem-host, or what runs it) given `play MEDIA ARGS...`.
fn play_command(mut cmd: Command, who: Smem, dir: &Path, media: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let (log, report) = (path(dir, "vlc.log"), path(dir, "report.json"));
    let _ = std::fs::remove_file(&report);
    let _ = std::fs::remove_file(&log);
    cmd.envs(env.iter().copied());
    cmd.arg("play").arg(media).args(args).args(["--log", &log, "--report", &report]);
    match who {
        Smem::Ours => cmd.env("VLC_PLUGIN_PATH", plugin_dir()),
        Smem::Stock => cmd.env_remove("VLC_PLUGIN_PATH"),
    };
    let out = cmd.output().expect("cannot run smem-host");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // No report: the host stopped before the end (bad arguments, a crash).
    let report = std::fs::read_to_string(&report)
        .map(|text| serde_json::from_str(&text).expect("smem-host's report parses"))
        .unwrap_or_default();
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout,
        stderr,
        log: std::fs::read_to_string(&log).unwrap_or_default(),
        report,
    }
}

/// A 320x240 mpeg4 + mp2 clip, encoded by VLC itself from generated media.
pub fn mpeg4_clip(dir: &Path) -> String {
    let (y4m, wav, ts) = (path(dir, "src.y4m"), path(dir, "src.wav"), path(dir, "clip.ts"));
    media::write_y4m(&y4m, 320, 240, 25, 40).unwrap();
    media::write_wav(&wav, 48_000, 2, 1.6).unwrap();
    let sout = format!("#transcode{{vcodec=mp4v,vb=800,acodec=mpga,ab=128}}:std{{access=file,mux=ts,dst={ts}}}");
    let run = play(Smem::Stock, dir, &y4m, &["--sout", &sout, "--option", &format!(":input-slave={wav}")]);
    assert_eq!(run.state, "Ended", "{}", run.stdout);
    assert!(std::fs::metadata(&ts).map(|m| m.len() > 10_000).unwrap_or(false), "clip not written");
    ts
}

pub fn assert_played(run: &Run) {
    assert_eq!(run.state, "Ended", "playback did not end normally:\n{}\n{}", run.stdout, run.stderr);
    assert!(run.video.errors.is_empty() && run.audio.errors.is_empty(), "{}", run.stdout);
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
        let exe = profile_dir().join("c_host");
        let flags = Command::new("pkg-config").args(["--cflags", "--libs", "libvlc"]).output().expect("pkg-config");
        let flags = String::from_utf8(flags.stdout).unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace");
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
/// returns its `key: value` lines (a C program's plain output).
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
