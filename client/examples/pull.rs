//! Owned frames pulled from a bounded queue: `cargo run -p smem-client --example pull clip.mkv`
use smem_client::{AudioSample, Grab, Item, VideoChroma};

fn main() -> Result<(), smem_client::Error> {
    let input = std::env::args().nth(1).unwrap_or_else(|| "clip.mkv".into());
    let mut frames = Grab::new(input).every(Some(0.5)).frames(Some(VideoChroma::Rv24), Some(AudioSample::S16l), 8);
    for item in &mut frames {
        match item {
            Item::Video(f) => println!("frame {} at {} us: {}x{}", f.index, f.time_us, f.width, f.height),
            Item::Audio(b) => assert_eq!(b.channels, 2),
        }
    }
    let end = frames.finish()?; // how it ended; dropping `frames` instead stops the grab
    println!("{} frames kept, {} left out by every", end.video_frames, end.skipped_video_frames);
    Ok(())
}
