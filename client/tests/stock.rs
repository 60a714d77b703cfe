//! The client library with VLC's stock C smem (no smem-rs on the plugin
//! path: VLC_PLUGIN_PATH is cleared), on files Debian's
//! ffmpeg encodes as people's are. The stock smem reports the coded size
//! (640x368 for a 640x360 H.264 picture) with the visible picture's bytes;
//! the library finds the picture in them, so every frame has its planes.

use std::process::Command;

use smem_client::{Abi, Grab, Item, VideoChroma};

fn ffmpeg(args: &[&str]) -> Vec<u8> {
    let out = Command::new("ffmpeg").args(["-v", "error", "-y"]).args(args).output().expect("ffmpeg (Debian package)");
    assert!(out.status.success(), "ffmpeg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[test]
fn stock_smem_frames_have_their_planes_and_ffmpeg_s_pictures() {
    // The only test of this binary: no other thread reads the environment.
    std::env::remove_var("VLC_PLUGIN_PATH");
    let dir = smem_testkit::scratch("client-stock");
    let file = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let (h264, vp9) = (file("h264.mp4"), file("vp9.webm"));
    let source = |size: &str| format!("testsrc2=size={size}:rate=25:duration=1");
    ffmpeg(&["-f", "lavfi", "-i", &source("640x360"), "-c:v", "libx264", "-pix_fmt", "yuv420p", &h264]);
    ffmpeg(&["-f", "lavfi", "-i", &source("321x241"), "-c:v", "libvpx-vp9", "-pix_fmt", "yuv420p", &vp9]);

    for (input, size) in [(&h264, (640, 360)), (&vp9, (321, 241))] {
        let decoded = ffmpeg(&["-i", input, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"]);
        let luma = size.0 * size.1;
        let frame_bytes = VideoChroma::I420.frame_size(size.0, size.1);
        let pictures: Vec<&[u8]> = decoded.chunks(frame_bytes).map(|f| &f[..luma]).collect();
        for chroma in [VideoChroma::I420, VideoChroma::Rv24] {
            let frames = Grab::new(input.as_str()).abi(Abi::Legacy).frames(Some(chroma), None, 4);
            let mut count = 0;
            for item in frames {
                let Item::Video(f) = item else { panic!("audio was not asked for") };
                count += 1;
                assert!(
                    !f.planes.is_empty(),
                    "{input} {chroma:?}: no planes for a {}x{} frame of {} bytes",
                    f.width,
                    f.height,
                    f.data.len()
                );
                assert_eq!(f.data.len(), chroma.frame_size(f.width, f.height));
                assert!(f.line(0, f.height - 1).is_some(), "{input} {chroma:?}: the last line");
                if chroma == VideoChroma::I420 && (f.width, f.height) == size {
                    // The luma of a frame ffmpeg decodes, byte for byte.
                    let y: Vec<u8> = (0..f.height).flat_map(|l| f.line(0, l).unwrap().to_vec()).collect();
                    assert!(pictures.contains(&y.as_slice()), "{input}: a picture ffmpeg does not decode");
                }
            }
            assert!(count >= 20, "{input} {chroma:?}: {count} frames of 25");
        }
    }
}
