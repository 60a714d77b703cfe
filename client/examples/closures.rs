//! Every frame of a file handed to closures, borrowed: `cargo run -p smem-client --example closures clip.mkv`
use smem_client::{AudioSample, Grab, VideoChroma};

fn main() -> Result<(), smem_client::Error> {
    let input = std::env::args().nth(1).unwrap_or_else(|| "clip.mkv".into());
    let (mut frames, mut samples) = (0, 0);
    let end = Grab::new(input)
        .video(VideoChroma::I420, |f| {
            frames += 1;
            assert_eq!(f.plane(0).map(|luma| luma.len() >= f.width * f.height), Some(true));
        })
        .audio(AudioSample::S16l, |b| samples += b.samples)
        .run()?; // returns at the end of the stream
    println!("{frames} frames, {samples} samples, ended: {}", end.reason);
    Ok(())
}
