//! smem-grab on media as people have it, made by Debian's ffmpeg, with
//! ffmpeg's own decode as the oracle: a segment of an x264 file with
//! B-frames and sparse key frames is exactly ffmpeg's `-ss`/`-to` segment;
//! two audio tracks give two WAVs, each ffmpeg's decode of its track; a
//! playlist's items are grabbed in turn.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// x264 with B-frames and a key frame every 12 frames, 25 fps, 4 s: the
/// frames' pictures all differ (testsrc2 moves).
fn x264(dir: &Path, container: &str) -> String {
    let file = dir.join(format!("x264.{container}"));
    ffmpeg(
        &["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=4"]
            .into_iter()
            .chain(["-c:v", "libx264", "-g", "12", "-bf", "2", "-pix_fmt", "yuv420p", s(&file)])
            .collect::<Vec<_>>(),
    );
    s(&file).to_owned()
}

/// Each frame of `rgb` (160x120 RGB, back to back) as the index of the
/// closest frame of ffmpeg's whole decode of `input`: VLC and ffmpeg convert
/// to RGB a little differently, so pictures are matched, not bytes.
fn frame_numbers(input: &str, rgb: &[u8]) -> Vec<usize> {
    let size = 160 * 120 * 3;
    let all = ffmpeg_output(&["-i", input, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]);
    let reference: Vec<&[u8]> = all.chunks(size).collect();
    rgb.chunks(size)
        .map(|frame| {
            let distance =
                |r: &[u8]| frame.iter().zip(r).step_by(7).map(|(a, b)| u64::from(a.abs_diff(*b))).sum::<u64>();
            (0..reference.len()).min_by_key(|&i| distance(reference[i])).unwrap()
        })
        .collect()
}

#[test]
fn a_segment_is_the_frames_ffmpeg_gives_for_it() {
    let dir = scratch("segment");
    for container in ["mp4", "mkv"] {
        let input = x264(&dir, container);
        for (start, stop) in [("1", "2"), ("1.5", "2.02"), ("0.3", "0.9")] {
            let expected = frame_numbers(
                &input,
                &ffmpeg_output(&["-ss", start, "-to", stop, "-i", &input, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]),
            );
            let out = dir.join(format!("{container}-{start}"));
            let text = ok(&[&input, "-o", s(&out), "--format", "raw", "--start", start, "--stop", stop, "--json"]);
            let got = frame_numbers(&input, &std::fs::read(out.join("video.rgb")).unwrap());
            assert_eq!(got, expected, "{container} --start {start} --stop {stop}");
            // Media time in the summary: the segment's first and last frames.
            let summary: serde_json::Value = serde_json::from_str(&text).unwrap();
            let seconds = |n: usize| n as f64 * 0.04;
            let first = summary["first_time"].as_f64().unwrap();
            assert!((first - seconds(expected[0])).abs() < 0.021, "first_time {first} for frame {}", expected[0]);
        }
    }
}

#[test]
fn a_segment_s_sound_is_cut_to_the_block() {
    // x264 with AAC (1024 samples a block at 48 kHz), and a WAV as
    // :input-slave of a video (its demuxer seeks with no start point of its own).
    let dir = scratch("segment-sound");
    let (mp4, y4m, wav) = (dir.join("av.mp4"), dir.join("v.y4m"), dir.join("a.wav"));
    ffmpeg(
        &["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=4"]
            .into_iter()
            .chain(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=4"])
            .chain(["-c:v", "libx264", "-c:a", "aac", "-ac", "2", s(&mp4)])
            .collect::<Vec<_>>(),
    );
    smem_testkit::media::write_y4m(s(&y4m), 64, 48, 25, 100).unwrap();
    smem_testkit::media::write_wav(s(&wav), 48_000, 2, 4.0).unwrap();
    let slave = format!(":input-slave={}", s(&wav));
    for (input, extra) in [(s(&mp4), None), (s(&y4m), Some(slave.as_str()))] {
        let out = dir.join("out");
        let mut args = vec![input, "-o", s(&out), "--format", "none", "--start", "1", "--stop", "2", "--json"];
        args.extend(extra.map(|option| ["--media-option", option]).into_iter().flatten());
        let summary: serde_json::Value = serde_json::from_str(&ok(&args)).unwrap();
        assert_eq!(summary["video_frames"], 25, "{input}: {summary}");
        let samples = summary["wav_files"][0]["samples"].as_u64().unwrap();
        // One second, give or take the blocks that hold the start and the stop.
        assert!((48_000 - 1_024..=48_000 + 2 * 2_048).contains(&samples), "{input}: {samples} samples for 1 s");
    }
}

/// PCM samples as i16, from a WAV read by hound.
fn wav_samples(path: &str) -> (u16, Vec<i16>) {
    let mut reader = hound::WavReader::open(path).unwrap();
    (reader.spec().channels, reader.samples::<i16>().map(Result::unwrap).collect())
}

#[test]
fn two_audio_tracks_give_two_wavs_each_ffmpeg_s_decode_of_its_track() {
    let dir = scratch("two-tracks");
    let input = dir.join("two.mkv");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=160x120:rate=25:duration=2",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000:duration=2",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=1000:sample_rate=48000:duration=2",
        "-map",
        "0",
        "-map",
        "1",
        "-map",
        "2",
        "-c:v",
        "libx264",
        "-c:a",
        "pcm_s16le",
        "-ac",
        "2",
        "-metadata:s:a:0",
        "language=eng",
        "-metadata:s:a:1",
        "language=fra",
        s(&input),
    ]); // rustfmt: keep the ffmpeg command line readable
    let out = dir.join("out");
    let text = ok(&[s(&input), "-o", s(&out), "--format", "none", "--json"]);
    let summary: serde_json::Value = serde_json::from_str(&text).unwrap();
    let wavs = summary["wav_files"].as_array().unwrap();
    assert_eq!(wavs.len(), 2, "{summary}");
    for (n, (wav, language)) in wavs.iter().zip(["eng", "fra"]).enumerate() {
        let file = wav["file"].as_str().unwrap();
        assert!(file.ends_with(&format!("audio-{}-{language}.wav", n + 1)), "{file}");
        assert_eq!(wav["language"], language);
        let (channels, ours) = wav_samples(file);
        assert_eq!(channels, 2);
        let pcm = ffmpeg_output(&["-i", s(&input), "-map", &format!("0:a:{n}"), "-f", "s16le", "-"]);
        let theirs: Vec<i16> = pcm.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect();
        // VLC keeps back the stream's last block at its end (stock smem too).
        assert!(theirs.starts_with(&ours), "track {n}: the samples differ from ffmpeg's");
        assert!(theirs.len() - ours.len() <= 2 * 4800, "track {n}: {} of {} samples", ours.len(), theirs.len());
    }
    assert_ne!(wav_samples(wavs[0]["file"].as_str().unwrap()).1, wav_samples(wavs[1]["file"].as_str().unwrap()).1);

    // The legacy callbacks cannot tell the tracks apart: one track, said so.
    let out = dir.join("legacy");
    let text = ok(&[s(&input), "-o", s(&out), "--format", "none", "--abi", "legacy"]);
    assert!(text.contains("audio_note: the stock smem cannot tell audio tracks apart"), "{text}");
    let (_, legacy) = wav_samples(s(&out.join("audio.wav")));
    let (_, first) = wav_samples(wavs[0]["file"].as_str().unwrap());
    assert_eq!(legacy, first, "the legacy grab kept VLC's selected track, whole");
}

#[test]
fn a_playlist_s_items_are_grabbed_in_turn_without_its_options() {
    let dir = scratch("playlist");
    let (a, b) = (dir.join("a.y4m"), dir.join("b.y4m"));
    smem_testkit::media::write_y4m(s(&a), 64, 48, 25, 10).unwrap();
    smem_testkit::media::write_y4m(s(&b), 64, 48, 25, 15).unwrap();
    let forbidden = dir.join("written-by-the-playlist.ts");
    let m3u = dir.join("list.m3u");
    let sout = format!("#EXTVLCOPT:sout=#std{{access=file,mux=ts,dst={}}}", s(&forbidden));
    std::fs::write(&m3u, format!("#EXTM3U\n{}\n{sout}\n{}\n", s(&a), s(&b))).unwrap();
    let xspf = dir.join("list.xspf");
    std::fs::write(
        &xspf,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<playlist version=\"1\" xmlns=\"http://xspf.org/ns/0/\">\
             <trackList><track><location>file://{}</location></track><track><location>file://{}</location></track>\
             </trackList></playlist>\n",
            s(&b),
            s(&a)
        ),
    )
    .unwrap();
    for (list, frames) in [(&m3u, [10, 15]), (&xspf, [15, 10])] {
        let out = dir.join("out");
        let text = ok(&[s(list), "-o", s(&out), "--format", "raw", "--json"]);
        let summary: serde_json::Value = serde_json::from_str(&text).unwrap();
        let items = summary["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{summary}");
        assert_eq!([items[0]["video_frames"].as_u64(), items[1]["video_frames"].as_u64()], frames.map(Some));
        assert_eq!(summary["video_frames"], 25);
        assert_eq!(std::fs::metadata(out.join("video.rgb")).unwrap().len(), 25 * 64 * 48 * 3);
    }
    assert!(!forbidden.exists(), "the playlist's own :sout was applied");
    // Stock smem gets the same items (the options go to each item).
    let out = Command::new(EXE)
        .args([s(&m3u), "-o", s(&dir.join("stock")), "--format", "none"])
        .env_remove("VLC_PLUGIN_PATH")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("video_frames: 25"), "{text}");
}
