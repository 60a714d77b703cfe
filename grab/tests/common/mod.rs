//! What the grabber's tests share: running it with the plugin built in
//! this workspace, scratch folders, generated media, and reading back what
//! it wrote with independent decoders.
#![allow(dead_code)] // each test file uses its part

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub const EXE: &str = env!("CARGO_BIN_EXE_smem-grab");

pub fn plugins() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| smem_testkit::plugin::copy_plugin(Path::new(EXE).parent().unwrap(), "grab-test-plugins"))
}

pub fn grab(args: &[&str]) -> Output {
    Command::new(EXE).args(args).env("VLC_PLUGIN_PATH", plugins()).output().expect("cannot run smem-grab")
}

pub fn ok(args: &[&str]) -> String {
    let out = grab(args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "smem-grab {args:?}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(EXE).parent().unwrap().join("grab-scratch").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// (width, height, RGB pixels) of a PNG, decoded by the png crate.
pub fn read_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((info.color_type, info.bit_depth), (png::ColorType::Rgb, png::BitDepth::Eight));
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

/// The clip every selection test uses: 100 frames, 480x64, 25 fps.
pub fn clip(dir: &Path) -> String {
    let y4m = dir.join("in.y4m");
    smem_testkit::media::write_y4m(s(&y4m), 480, 64, 25, 100).unwrap();
    s(&y4m).to_owned()
}

/// Every frame as delivered, from --format raw: (pixels of each, pts of each).
pub fn raw_frames(dir: &Path, input: &str, extra: &[&str]) -> (Vec<Vec<u8>>, Vec<i64>) {
    let out = dir.join("raw");
    let mut args = vec![input, "-o", s(&out), "--format", "raw", "--no-audio"];
    args.extend(extra);
    ok(&args);
    let sidecar: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("video.json")).unwrap()).unwrap();
    let frame_bytes = sidecar["frame_bytes"].as_u64().unwrap() as usize;
    let pixels = std::fs::read(out.join("video.rgb")).unwrap();
    let pts = sidecar["frames"].as_array().unwrap().iter().map(|f| f[1].as_i64().unwrap()).collect();
    (pixels.chunks(frame_bytes).map(<[u8]>::to_vec).collect(), pts)
}

/// A PNG file's name and its (width, height, RGB pixels).
pub type Png = (String, (u32, u32, Vec<u8>));

/// The PNGs of a folder, in name order.
pub fn pngs(dir: &Path) -> Vec<Png> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".png"))
        .collect();
    names.sort();
    names.into_iter().map(|n| (n.clone(), read_png(&dir.join(&n)))).collect()
}

/// Runs Debian's ffmpeg (quiet); panics with its message if it fails.
pub fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg").args(["-v", "error", "-y"]).args(args).output().expect("ffmpeg (Debian package)");
    assert!(out.status.success(), "ffmpeg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// What ffmpeg decodes, as raw bytes on its stdout.
pub fn ffmpeg_output(args: &[&str]) -> Vec<u8> {
    let out = Command::new("ffmpeg").args(["-v", "error"]).args(args).output().expect("ffmpeg (Debian package)");
    assert!(out.status.success(), "ffmpeg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// A UDP port on loopback nobody listens on now.
pub fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A live MPEG-TS source on loopback, as a camera or an encoder sends one:
/// 320x240 25 fps video with a 440 Hz tone, in real time for `seconds`.
pub fn live_source(port: u16, seconds: u32) -> std::process::Child {
    Command::new("ffmpeg")
        .args(["-v", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"])
        .args(["-t", &seconds.to_string(), "-c:v", "mpeg2video", "-c:a", "mp2", "-f", "mpegts"])
        .arg(format!("udp://127.0.0.1:{port}?pkt_size=1316"))
        .stdin(std::process::Stdio::null())
        .spawn()
        .expect("ffmpeg (Debian package)")
}
