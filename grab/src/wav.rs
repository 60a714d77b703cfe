//! The sound: one WAV per audio track, named after its place and language.

use std::path::PathBuf;

use serde::Serialize;
use smem_client::vlc::TrackKind;
use smem_client::{ItemEnd, OwnedAudioBlock};

/// Which track an audio block belongs to: the input (playlist item) and
/// VLC's ES id (none with the stock smem, which cannot tell).
pub type TrackKey = (usize, Option<i32>);

/// The WAV of one audio track: its first format; blocks of another are counted.
pub struct Wav {
    key: TrackKey,
    path: PathBuf,
    writer: hound::WavWriter<std::io::BufWriter<std::fs::File>>,
    format: (u32, u32),
    samples: u64,
    bytes: u64,
    other_format_blocks: u64,
    /// Samples since the header was last brought up to date.
    unflushed: u64,
}

/// One WAV per audio track, named after `base`: the base itself while there
/// is one track, `base-1.wav`, `base-2.wav`... once there are more (the
/// first is renamed then; an open file keeps being written).
pub struct Wavs {
    pub base: PathBuf,
    pub tracks: Vec<Wav>,
}

impl Wavs {
    fn numbered(&self, n: usize) -> PathBuf {
        let stem = self.base.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "audio".into());
        self.base.with_file_name(format!("{stem}-{n}.wav"))
    }

    pub fn write(&mut self, block: &OwnedAudioBlock) -> Result<(), String> {
        let key = (block.item, block.info.map(|i| i.es_id));
        let index = match self.tracks.iter().position(|w| w.key == key) {
            Some(index) => index,
            None => {
                let n = self.tracks.len() + 1;
                if n == 2 {
                    let first = self.numbered(1);
                    std::fs::rename(&self.tracks[0].path, &first)
                        .map_err(|e| format!("{}: {e}", self.tracks[0].path.display()))?;
                    self.tracks[0].path = first;
                }
                let path = if n == 1 { self.base.clone() } else { self.numbered(n) };
                let spec = hound::WavSpec {
                    channels: block.channels as u16,
                    sample_rate: block.rate,
                    bits_per_sample: 16,
                    sample_format: hound::SampleFormat::Int,
                };
                let writer = hound::WavWriter::create(&path, spec).map_err(|e| format!("{}: {e}", path.display()))?;
                let format = (block.channels, block.rate);
                self.tracks.push(Wav {
                    key,
                    path,
                    writer,
                    format,
                    samples: 0,
                    bytes: 0,
                    other_format_blocks: 0,
                    unflushed: 0,
                });
                n - 1
            }
        };
        let wav = &mut self.tracks[index];
        if wav.format != (block.channels, block.rate) {
            wav.other_format_blocks += 1; // one WAV holds one format
            return Ok(());
        }
        let failed = |e: hound::Error| format!("{}: {e}", wav.path.display());
        let mut samples = wav.writer.get_i16_writer((block.data.len() / 2) as u32);
        for pair in block.data.chunks_exact(2) {
            samples.write_sample(i16::from_le_bytes([pair[0], pair[1]]));
        }
        samples.flush().map_err(failed)?;
        wav.samples += block.samples as u64;
        wav.bytes += block.data.len() as u64;
        wav.unflushed += block.samples as u64;
        // About once a second of sound the header is brought up to date: a
        // grab killed outright leaves a WAV readable up to there.
        if wav.unflushed >= u64::from(block.rate) {
            wav.unflushed = 0;
            wav.writer.flush().map_err(|e| format!("{}: {e}", wav.path.display()))?;
        }
        Ok(())
    }

    /// Closes every WAV (headers final) and describes each. With several
    /// tracks, each file is then named after its place among its input's
    /// audio tracks in VLC's order, and its language where VLC knows it:
    /// `audio-1-eng.wav`, `audio-2-fra.wav` (`audio-item1-2.wav` when a
    /// playlist's items had sound).
    pub fn finish(mut self, items: &[ItemEnd]) -> Result<Vec<WavSummary>, String> {
        let several_items = self.tracks.iter().any(|w| w.key.0 != self.tracks[0].key.0);
        let stem = self.base.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "audio".into());
        let mut finals = Vec::new();
        for (n, wav) in self.tracks.iter().enumerate() {
            let (item, es_id) = wav.key;
            let audio_tracks: Vec<&smem_client::vlc::Track> = items
                .get(item)
                .map(|i| i.tracks.iter().filter(|t| t.kind == TrackKind::Audio).collect())
                .unwrap_or_default();
            let place = es_id.and_then(|id| audio_tracks.iter().position(|t| t.id == id)).map_or(n + 1, |p| p + 1);
            let language = es_id
                .and_then(|id| audio_tracks.iter().find(|t| t.id == id))
                .and_then(|t| t.language.clone())
                .filter(|l| l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
            let mut name = stem.clone();
            if several_items {
                name += &format!("-item{item}");
            }
            name += &format!("-{place}");
            if let Some(language) = &language {
                name += &format!("-{language}");
            }
            finals.push((self.base.with_file_name(format!("{name}.wav")), language));
        }
        let rename = self.tracks.len() > 1;
        let mut written = Vec::new();
        for (n, wav) in std::mem::take(&mut self.tracks).into_iter().enumerate() {
            wav.writer.finalize().map_err(|e| format!("{}: {e}", wav.path.display()))?;
            let (item, es_id) = wav.key;
            // Two steps, so that no file takes the name of one not renamed yet.
            let mut path = wav.path.clone();
            if rename {
                let part = wav.path.with_extension(format!("wav.{n}.part"));
                std::fs::rename(&wav.path, &part).map_err(|e| format!("{}: {e}", wav.path.display()))?;
                path = part;
            }
            written.push((
                path,
                WavSummary {
                    file: if rename { finals[n].0.display().to_string() } else { wav.path.display().to_string() },
                    item,
                    es_id,
                    language: finals[n].1.clone(),
                    channels: wav.format.0,
                    rate: wav.format.1,
                    samples: wav.samples,
                    bytes: wav.bytes,
                    skipped_blocks: wav.other_format_blocks,
                },
            ));
        }
        for (part, summary) in &written {
            if rename {
                std::fs::rename(part, &summary.file).map_err(|e| format!("{}: {e}", summary.file))?;
            }
        }
        let mut written: Vec<WavSummary> = written.into_iter().map(|(_, summary)| summary).collect();
        written.sort_by(|a, b| a.file.cmp(&b.file));
        Ok(written)
    }
}

/// One WAV written.
#[derive(Debug, Serialize)]
pub struct WavSummary {
    pub file: String,
    /// The input it came from (a playlist's item index).
    pub item: usize,
    /// VLC's ES id of the track (none with the stock smem).
    pub es_id: Option<i32>,
    pub language: Option<String>,
    pub channels: u32,
    pub rate: u32,
    /// Samples per channel.
    pub samples: u64,
    pub bytes: u64,
    /// Blocks of a later format, not written (one WAV holds one).
    pub skipped_blocks: u64,
}
