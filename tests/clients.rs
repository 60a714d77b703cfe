//! The clients people already have, run against our plugin under real
//! libvlc: the C example (built here with the system compiler and
//! `pkg-config libvlc`) and the python-vlc example (Debian's python3-vlc,
//! ctypes callbacks). Each must receive exactly the bytes of the input.

use std::path::Path;
use std::process::Command;

use smem_testkit::{media, path, scratch};

struct Output {
    stdout: String,
    stderr: String,
    video: Vec<u8>,
    audio: Vec<u8>,
}

fn run(client: &[&str], dir: &Path, input: &str, chain: &str) -> Output {
    let (video, audio) = (path(dir, "video.raw"), path(dir, "audio.raw"));
    let out = Command::new(client[0])
        .args(&client[1..])
        .args([input, &video, &audio, chain])
        .env("VLC_PLUGIN_PATH", smem_testkit::plugin_dir())
        .env("SMEM_GRAB_VERBOSE", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {client:?}: {e}"));
    let o = Output {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        video: std::fs::read(&video).unwrap_or_default(),
        audio: std::fs::read(&audio).unwrap_or_default(),
    };
    assert!(
        out.status.success(),
        "{client:?} {input} {chain}: {}\n{}",
        o.stdout,
        &o.stderr[o.stderr.len().saturating_sub(3000)..]
    );
    assert!(o.stdout.contains("state: Ended"), "{}", o.stdout);
    assert!(o.stderr.contains("using sout stream module \"smem_rs\""), "{client:?}: our plugin did not serve smem");
    o
}

fn value<'a>(o: &'a Output, key: &str) -> &'a str {
    o.stdout
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}: ")))
        .unwrap_or_else(|| panic!("no {key} in {}", o.stdout))
}

/// What an example prints for the media below, per ABI.
struct Expected {
    /// The y4m's size (odd sizes for the frame ABI: its pitches are read).
    size: (usize, usize),
    video_format: &'static str,
    audio_format: &'static str,
    /// The RV24 transcode's `video_format` shows one plane.
    rv24_format: &'static str,
    /// The frame ABI examples keep a frame past libvlc_release.
    kept_after_exit: bool,
}

/// Plays raw video, raw audio and a transcode through `client`: the raw
/// bytes are the input's, the formats are as printed.
fn check_client(client: &[&str], dir: &Path, expected: &Expected) {
    let (y4m, wav) = (path(dir, "in.y4m"), path(dir, "in.wav"));
    media::write_y4m(&y4m, expected.size.0, expected.size.1, 25, 12).unwrap();
    media::write_wav(&wav, 48_000, 2, 0.5).unwrap();

    let o = run(client, dir, &y4m, "");
    assert!(o.video == media::read_y4m(&y4m).unwrap().2.concat(), "{client:?}: video bytes differ from the file");
    assert!(value(&o, "video_format").starts_with(expected.video_format), "{}", o.stdout);
    if expected.kept_after_exit {
        assert!(value(&o, "kept_after_exit").starts_with("read"), "{}", o.stdout);
    }

    let o = run(client, dir, &wav, "");
    let pcm = media::read_wav_pcm(&wav).unwrap();
    // VLC's core keeps back the last audio block at end of stream.
    assert!(
        pcm.starts_with(&o.audio) && o.audio.len() * 10 >= pcm.len() * 8,
        "{client:?}: {} of {} PCM bytes",
        o.audio.len(),
        pcm.len()
    );
    assert!(value(&o, "audio_format").starts_with(expected.audio_format), "{}", o.stdout);

    // Transcoded to RV24 (VLC's transcode rounds odd sizes to even ones):
    // 3 bytes a pixel of the size printed, whatever the pitch.
    let o = run(client, dir, &y4m, "transcode{vcodec=RV24}");
    assert_eq!(value(&o, "video_frames"), "12");
    let format = value(&o, "video_format");
    let (w, h) = format.split(' ').next().unwrap().split_once('x').unwrap();
    let (w, h): (usize, usize) = (w.parse().unwrap(), h.parse().unwrap());
    assert!(format.contains(expected.rv24_format), "{}", o.stdout);
    assert_eq!(o.video.len(), w * h * 3 * 12, "{format}");
}

/// The stock callbacks' examples.
const LEGACY: Expected = Expected {
    size: (64, 48),
    video_format: "64x48 pixel_pitch=12 size=4608",
    audio_format: "2 channels 48000 Hz 16 bits",
    rv24_format: "64x48 pixel_pitch=24 size=9216",
    kept_after_exit: false,
};

/// The frame ABI's examples.
const FRAMES: Expected = Expected {
    size: (65, 47),
    video_format: "65x47 I420 planes=3",
    audio_format: "2 channels 48000 Hz 16 bits s16l",
    rv24_format: " RV24 planes=1",
    kept_after_exit: true,
};

#[test]
fn the_c_example_receives_the_input_bytes() {
    let dir = scratch("client-c");
    let exe = path(&dir, "smem_grab");
    build_c(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smem_grab.c"), &exe);
    check_client(&[&exe], &dir, &LEGACY);
}

#[test]
fn the_python_vlc_example_with_ctypes_callbacks_receives_the_input_bytes() {
    let dir = scratch("client-python");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smem_grab.py");
    // Debian's python3, where python3-vlc is installed (not a pyenv one).
    check_client(&["/usr/bin/python3", script.to_str().unwrap()], &dir, &LEGACY);
}

/// Builds a C client as its users would, warnings as errors, with
/// include/smem.h on the include path.
fn build_c(source: &Path, exe: &str) {
    let flags = Command::new("pkg-config").args(["--cflags", "--libs", "libvlc"]).output().expect("pkg-config");
    let flags = String::from_utf8(flags.stdout).unwrap();
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("include");
    let status = Command::new("cc")
        .args(["-Wall", "-Wextra", "-Werror", "-O2", "-o", exe, source.to_str().unwrap()])
        .arg(format!("-I{}", include.display()))
        .args(flags.split_whitespace())
        .status()
        .expect("cc");
    assert!(status.success(), "{} does not build", source.display());
}

#[test]
fn the_c_frame_abi_example_reads_the_planes_and_keeps_a_frame_past_libvlc() {
    let dir = scratch("client-c-frames");
    let exe = path(&dir, "smem_frames");
    build_c(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smem_frames.c"), &exe);
    check_client(&[&exe], &dir, &FRAMES);
}

#[test]
fn the_python_frame_abi_example_reads_zero_copy_numpy_views() {
    let dir = scratch("client-python-frames");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smem_frames.py");
    let numpy = Command::new("/usr/bin/python3").args(["-c", "import numpy"]).status().is_ok_and(|s| s.success());
    assert!(numpy, "python3-numpy is missing: `make deps` installs it");
    check_client(&["/usr/bin/python3", script.to_str().unwrap()], &dir, &FRAMES);
    let o = run(&["/usr/bin/python3", script.to_str().unwrap()], &dir, &path(&dir, "in.y4m"), "");
    assert!(value(&o, "video_format").contains("numpy=yes"), "{}", o.stdout);
}

/// The complete C client docs/frame-abi.md shows, compiled out of the page
/// itself and run: what it prints is what the page says it does.
#[test]
fn the_readme_s_frame_abi_client_compiles_and_runs() {
    let dir = scratch("client-readme");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("docs/frame-abi.md")).unwrap();
    let start = readme.find("```c\n/* readme_frames.c").expect("docs/frame-abi.md's C client") + "```c\n".len();
    let source = &readme[start..start + readme[start..].find("```").unwrap()];
    let (file, exe) = (path(&dir, "readme_frames.c"), path(&dir, "readme_frames"));
    std::fs::write(&file, source).unwrap();
    build_c(Path::new(&file), &exe);

    let y4m = path(&dir, "in.y4m");
    media::write_y4m(&y4m, 64, 48, 25, 10).unwrap();
    let out = Command::new(&exe).arg(&y4m).env("VLC_PLUGIN_PATH", smem_testkit::plugin_dir()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("last frame: 64x48"), "{text}");
    assert!(text.contains(&format!("frames: 10, picture bytes: {}", 64 * 48 * 3 * 10)), "{text}");
}
