//! Writing the frames: PNG and JPEG are encoded on a bounded pool of worker
//! threads, off VLC's threads; a full pool makes the grab wait, so memory
//! stays bounded when the disk or the encoder is slower than VLC. Raw
//! frames are appended to one file, in order, with a JSON sidecar.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use clap::ValueEnum;
use serde::Serialize;
use smem_client::OwnedVideoFrame;

/// What each selected frame becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One PNG a frame (RGB, 8 bits).
    Png,
    /// One JPEG a frame.
    Jpeg,
    /// The RGB frames back to back in video.rgb, described by video.json.
    Raw,
    /// No files: count the frames only.
    None,
}

/// PNG compression, from fastest to smallest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PngCompression {
    /// fdeflate's fast mode: several times faster than zlib, files a little larger.
    Fast,
    /// zlib's balanced level.
    Default,
    /// zlib's highest level: slow, a few percent smaller.
    Best,
}

impl PngCompression {
    fn png(self) -> png::Compression {
        match self {
            PngCompression::Fast => png::Compression::Fast,
            PngCompression::Default => png::Compression::Balanced,
            PngCompression::Best => png::Compression::High,
        }
    }
}

/// One frame to write: its number in the stream (from 1) and the frame.
pub struct Job {
    pub number: u64,
    pub frame: OwnedVideoFrame,
}

/// The RGB bytes of a frame, lines tightly packed (a copy only if smem's
/// lines are not).
fn rgb_lines(frame: &OwnedVideoFrame) -> Result<std::borrow::Cow<'_, [u8]>, String> {
    let (w, h) = (frame.width, frame.height);
    let pixels = frame.packed();
    match frame.planes.first() {
        Some(p) if frame.planes.len() == 1 && p.visible_bytes == w * 3 && p.lines == h && pixels.len() == w * h * 3 => {
            Ok(pixels)
        }
        _ => Err(format!("a {w}x{h} frame of {} bytes is not RGB", frame.data.len())),
    }
}

fn encode(
    job: &Job,
    dir: &Path,
    format: Format,
    png_compression: PngCompression,
    jpeg_quality: u8,
) -> Result<(PathBuf, u64), String> {
    let frame = &job.frame;
    let pixels = rgb_lines(frame)?;
    let extension = if format == Format::Jpeg { "jpg" } else { "png" };
    let name = format!("frame-{:06}.{extension}", job.number);
    let path = dir.join(&name);
    // Written under another name and renamed once complete: an interrupted
    // or killed grab leaves whole images or none.
    let part = dir.join(format!(".{name}.part"));
    let failed = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let file = File::create(&part).map_err(|e| failed(&e))?;
    match format {
        Format::Jpeg => {
            let (w, h) = (u16::try_from(frame.width), u16::try_from(frame.height));
            let (Ok(w), Ok(h)) = (w, h) else { return Err(failed(&"JPEG takes at most 65535 pixels a side")) };
            jpeg_encoder::Encoder::new(BufWriter::new(&file), jpeg_quality)
                .encode(&pixels, w, h, jpeg_encoder::ColorType::Rgb)
                .map_err(|e| failed(&e))?;
        }
        _ => {
            let mut encoder = png::Encoder::new(BufWriter::new(&file), frame.width as u32, frame.height as u32);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            encoder.set_compression(png_compression.png());
            let mut writer = encoder.write_header().map_err(|e| failed(&e))?;
            writer.write_image_data(&pixels).map_err(|e| failed(&e))?;
            writer.finish().map_err(|e| failed(&e))?;
        }
    }
    std::fs::rename(&part, &path).map_err(|e| failed(&e))?;
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    Ok((path, bytes))
}

#[derive(Default)]
struct Written {
    files: u64,
    bytes: u64,
    error: Option<String>,
}

/// The encoding workers of PNG and JPEG.
pub struct Pool {
    jobs: Option<SyncSender<Job>>,
    workers: Vec<JoinHandle<()>>,
    written: Arc<Mutex<Written>>,
}

impl Pool {
    /// `workers` threads; at most `depth` frames wait for one.
    pub fn start(
        dir: &Path,
        format: Format,
        png_compression: PngCompression,
        jpeg_quality: u8,
        workers: usize,
        depth: usize,
    ) -> Pool {
        let (jobs, queue) = sync_channel::<Job>(depth);
        let queue = Arc::new(Mutex::new(queue));
        let written = Arc::new(Mutex::new(Written::default()));
        let workers = (0..workers.max(1))
            .map(|n| {
                let (queue, written, dir): (Arc<Mutex<Receiver<Job>>>, _, _) =
                    (Arc::clone(&queue), Arc::clone(&written), dir.to_owned());
                std::thread::Builder::new()
                    .name(format!("smem-grab-encode-{n}"))
                    .spawn(move || loop {
                        let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
                        let Ok(job) = job else { return };
                        let result = encode(&job, &dir, format, png_compression, jpeg_quality);
                        drop(job); // the frame's buffer goes back to the grab
                        let mut w = written.lock().unwrap_or_else(PoisonError::into_inner);
                        match result {
                            Ok((_, bytes)) => (w.files, w.bytes) = (w.files + 1, w.bytes + bytes),
                            Err(e) => {
                                w.error.get_or_insert(e);
                            }
                        }
                    })
                    .expect("cannot start an encoding thread")
            })
            .collect();
        Pool { jobs: Some(jobs), workers, written }
    }

    /// Hands a frame to the workers; waits while `depth` frames wait already.
    /// Err: an earlier frame could not be written.
    pub fn write(&self, job: Job) -> Result<(), String> {
        if let Some(e) = self.written.lock().unwrap_or_else(PoisonError::into_inner).error.clone() {
            return Err(e);
        }
        self.jobs.as_ref().map(|jobs| drop(jobs.send(job))).ok_or_else(|| "the encoders have stopped".to_owned())
    }

    /// Waits for every frame handed over; returns (files, bytes).
    pub fn finish(mut self) -> Result<(u64, u64), String> {
        drop(self.jobs.take());
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
        let w = std::mem::take(&mut *self.written.lock().unwrap_or_else(PoisonError::into_inner));
        match w.error {
            Some(e) => Err(e),
            None => Ok((w.files, w.bytes)),
        }
    }
}

/// How to read video.rgb: written next to it as video.json.
#[derive(Serialize)]
pub struct RawSidecar {
    pub file: String,
    pub pixel_format: &'static str,
    pub width: usize,
    pub height: usize,
    pub frame_bytes: usize,
    /// Each frame's number in the stream (from 1), VLC's pts and its media
    /// time, both in microseconds, in file order.
    pub frames: Vec<(u64, i64, i64)>,
}

/// Raw frames, appended in the order they come.
pub struct RawWriter {
    path: PathBuf,
    out: BufWriter<File>,
    sidecar: RawSidecar,
    bytes: u64,
}

impl RawWriter {
    pub fn create(dir: &Path) -> Result<RawWriter, String> {
        let path = dir.join("video.rgb");
        let out = BufWriter::new(File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?);
        let sidecar = RawSidecar {
            file: "video.rgb".into(),
            pixel_format: "rgb24",
            width: 0,
            height: 0,
            frame_bytes: 0,
            frames: Vec::new(),
        };
        Ok(RawWriter { path, out, sidecar, bytes: 0 })
    }

    /// Appends a frame; one size per file, as the sidecar describes one.
    pub fn write(&mut self, job: Job) -> Result<(), String> {
        let pixels = rgb_lines(&job.frame)?;
        let s = &mut self.sidecar;
        if s.frames.is_empty() {
            (s.width, s.height, s.frame_bytes) = (job.frame.width, job.frame.height, pixels.len());
        } else if (s.width, s.height) != (job.frame.width, job.frame.height) {
            return Err(format!(
                "the picture size changed to {}x{}: raw output holds one size",
                job.frame.width, job.frame.height
            ));
        }
        self.out.write_all(&pixels).map_err(|e| format!("{}: {e}", self.path.display()))?;
        s.frames.push((job.number, job.frame.pts, job.frame.time_us));
        self.bytes += pixels.len() as u64;
        Ok(())
    }

    /// Flushes video.rgb and writes video.json; returns (frames, bytes).
    pub fn finish(mut self) -> Result<(u64, u64), String> {
        self.out.flush().map_err(|e| format!("{}: {e}", self.path.display()))?;
        let json = self.path.with_file_name("video.json");
        let text = serde_json::to_string_pretty(&self.sidecar).expect("the sidecar serializes");
        std::fs::write(&json, text + "\n").map_err(|e| format!("{}: {e}", json.display()))?;
        Ok((self.sidecar.frames.len() as u64, self.bytes))
    }
}
