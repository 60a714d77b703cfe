//! What the grab did: printed as `key: value` lines, or as one JSON object.

use serde::Serialize;

use crate::wav::WavSummary;

/// One input played (a playlist gives one per item).
#[derive(Debug, Serialize)]
pub struct ItemSummary {
    pub mrl: String,
    pub video_frames: u64,
    pub audio_blocks: u64,
    pub video_tracks: usize,
    pub audio_tracks: usize,
    /// VLC could not play it (the others still were).
    pub error: Option<String>,
}

/// What the grab did: printed as `key: value` lines, or as JSON.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub input: String,
    pub video_tracks: usize,
    pub audio_tracks: usize,
    pub video_formats: Vec<String>,
    pub video_frames: u64,
    pub first_pts: Option<i64>,
    pub last_pts: Option<i64>,
    /// Media time of the first and last frame, seconds.
    pub first_time: Option<f64>,
    pub last_time: Option<f64>,
    pub images: u64,
    pub image_format: String,
    pub image_bytes: u64,
    pub output: String,
    pub audio_formats: Vec<String>,
    pub audio_blocks: u64,
    pub audio_samples: u64,
    /// Each audio track's WAV.
    pub wav_files: Vec<WavSummary>,
    /// Set when the stock smem could not tell several audio tracks apart.
    pub audio_note: Option<String>,
    pub items: Vec<ItemSummary>,
    pub wall_seconds: f64,
    pub frames_per_second: f64,
    /// ended (the input, or the segment, ended), interrupted (SIGINT or
    /// SIGTERM), idle (--idle-timeout), timed-out (--timeout).
    pub ended: String,
    /// "frame" or "legacy": which smem ABI delivered.
    pub abi: String,
    /// The gaps in the stream, seconds, in order (an rtsp:// input that
    /// lost its connection and got it back).
    pub gap_seconds: Vec<f64>,
}

impl Summary {
    pub fn print_lines(&self) {
        let list = |v: &[String]| if v.is_empty() { "none".to_owned() } else { v.join(", ") };
        println!("input: {}", self.input);
        if self.items.len() > 1 {
            for (n, item) in self.items.iter().enumerate() {
                let error = item.error.as_ref().map(|e| format!(" (failed: {e})")).unwrap_or_default();
                println!(
                    "item {n}: {} ({} video frames, {} audio blocks){error}",
                    item.mrl, item.video_frames, item.audio_blocks
                );
            }
        }
        println!("tracks: {} video, {} audio", self.video_tracks, self.audio_tracks);
        println!("video_formats: {}", list(&self.video_formats));
        println!("video_frames: {}", self.video_frames);
        if let (Some(first), Some(last)) = (self.first_time, self.last_time) {
            println!("video_time: {first:.3} .. {last:.3} s");
        }
        println!("images: {} {} ({} bytes) in {}", self.images, self.image_format, self.image_bytes, self.output);
        println!("audio_formats: {}", list(&self.audio_formats));
        println!("audio_blocks: {}", self.audio_blocks);
        println!("audio_samples: {}", self.audio_samples);
        for wav in &self.wav_files {
            let es = wav.es_id.map(|id| format!(", es {id}")).unwrap_or_default();
            let language = wav.language.as_ref().map(|l| format!(", {l}")).unwrap_or_default();
            println!(
                "wav_file: {} (item {}{es}{language}: {} channels {} Hz, {} samples, {} bytes of PCM)",
                wav.file, wav.item, wav.channels, wav.rate, wav.samples, wav.bytes
            );
            if wav.skipped_blocks > 0 {
                println!("wav_skipped_blocks: {} (a later audio format; one WAV holds one)", wav.skipped_blocks);
            }
        }
        if let Some(note) = &self.audio_note {
            println!("audio_note: {note}");
        }
        println!("wall_seconds: {:.3}", self.wall_seconds);
        println!("frames_per_second: {:.1}", self.frames_per_second);
        if !self.gap_seconds.is_empty() {
            let each = self.gap_seconds.iter().map(|g| format!("{g:.3}")).collect::<Vec<_>>().join(", ");
            println!("gaps: {} ({each} s)", self.gap_seconds.len());
        }
        println!("ended: {}", self.ended);
        println!("abi: {}", self.abi);
    }
}
