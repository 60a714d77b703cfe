//! Test media the project makes itself, so every expected byte is known:
//! YUV4MPEG2 (`.y4m`, I420) video and PCM `.wav` audio, and their readers.
#![allow(dead_code)]

use std::io::{self, Write};

/// A canonical PCM `.wav`: the 44-byte header, then `pcm`.
pub fn wav_bytes(rate: u32, channels: u16, bits: u16, pcm: &[u8]) -> Vec<u8> {
    let block_align = channels * bits / 8;
    let mut out = Vec::with_capacity(44 + pcm.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + pcm.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * u32::from(block_align)).to_le_bytes());
    out.extend_from_slice(&block_align.to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(pcm.len() as u32).to_le_bytes());
    out.extend_from_slice(pcm);
    out
}

/// Bytes of one I420 frame: Y plus two chroma planes rounded up.
pub fn i420_frame_size(width: usize, height: usize) -> usize {
    width * height + 2 * width.div_ceil(2) * height.div_ceil(2)
}

/// A moving test picture: colour bars, a gradient and a bar that slides
/// with the frame number, so every frame differs.
pub fn i420_frame(width: usize, height: usize, frame: usize) -> Vec<u8> {
    let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
    let mut out = Vec::with_capacity(i420_frame_size(width, height));
    let bar = (frame * 4) % width.max(1);
    for y in 0..height {
        for x in 0..width {
            let luma = if x.abs_diff(bar) < 4 {
                235
            } else {
                16 + (x * 200 / width.max(1) + y * 19 / height.max(1)) as u8 as usize % 220
            };
            out.push(luma as u8);
        }
    }
    for plane in 0..2 {
        for y in 0..ch {
            for x in 0..cw {
                let band = x * 8 / cw.max(1);
                let v = if plane == 0 { 40 + band * 24 + y % 4 } else { 200 - band * 20 + (frame % 8) };
                out.push(v as u8);
            }
        }
    }
    out
}

pub fn write_y4m(path: &str, width: usize, height: usize, fps: u32, frames: usize) -> io::Result<()> {
    let mut f = io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(f, "YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg")?;
    for n in 0..frames {
        f.write_all(b"FRAME\n")?;
        f.write_all(&i420_frame(width, height, n))?;
    }
    f.flush()
}

/// The frames of a `.y4m` file written by `write_y4m`.
pub fn read_y4m(path: &str) -> io::Result<(usize, usize, Vec<Vec<u8>>)> {
    let data = std::fs::read(path)?;
    let header_end = data.iter().position(|&b| b == b'\n').ok_or_else(|| io::Error::other("no y4m header"))?;
    let header = String::from_utf8_lossy(&data[..header_end]);
    let field = |p: char| header.split(' ').find_map(|w| w.strip_prefix(p).and_then(|v| v.parse::<usize>().ok()));
    let (w, h) = (field('W').unwrap_or(0), field('H').unwrap_or(0));
    let size = i420_frame_size(w, h);
    let mut frames = Vec::new();
    let mut at = header_end + 1;
    while at + 6 + size <= data.len() {
        at += 6; // "FRAME\n"
        frames.push(data[at..at + size].to_vec());
        at += size;
    }
    Ok((w, h, frames))
}

/// Interleaved s16le samples: a different tone per channel plus a ramp.
pub fn pcm_s16(rate: u32, channels: u16, seconds: f64) -> Vec<u8> {
    let frames = (f64::from(rate) * seconds) as usize;
    let mut out = Vec::with_capacity(frames * channels as usize * 2);
    for i in 0..frames {
        for c in 0..channels {
            let freq = 440.0 * f64::from(c + 1);
            let t = i as f64 / f64::from(rate);
            let s = (t * freq * std::f64::consts::TAU).sin() * 12_000.0 + ((i % 64) as f64);
            out.extend_from_slice(&(s as i16).to_le_bytes());
        }
    }
    out
}

pub fn write_wav(path: &str, rate: u32, channels: u16, seconds: f64) -> io::Result<()> {
    std::fs::write(path, wav_bytes(rate, channels, 16, &pcm_s16(rate, channels, seconds)))
}

/// The PCM payload of a canonical 44-byte-header `.wav`.
pub fn read_wav_pcm(path: &str) -> io::Result<Vec<u8>> {
    let data = std::fs::read(path)?;
    Ok(data.get(44..).unwrap_or_default().to_vec())
}
