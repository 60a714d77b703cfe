//! The `:sout` chain ending in smem, written in one place: [`crate::Grab`]
//! and the test host (smem-testkit's smem-host) both build theirs here,
//! with the option and module names smem-rs declares (`smem-names`).

use std::fmt::Write as _;

use smem_names::{mark, module, smem, DropPolicy};

use crate::format::{AudioSample, VideoChroma};

/// Where smem hands one kind of track's frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Callbacks {
    /// The stock prerender/postrender pair (smem copies into your buffer).
    Pair { prerender: usize, postrender: usize, data: usize },
    /// smem-rs's frame callback (`include/smem.h`).
    Frames { callback: usize, data: usize },
}

/// `#<head>:smem{...}`: what comes before smem (`transcode{...}`, or
/// nothing), the callbacks of each kind, and smem's other options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SmemChain {
    /// The chain before smem, without `#` (empty: smem alone).
    pub head: String,
    pub video: Option<Callbacks>,
    pub audio: Option<Callbacks>,
    /// smem's other options as written, e.g. `time-sync=false`, `queue=2`.
    pub options: Vec<String>,
}

impl SmemChain {
    /// The chain, starting with `#` (a media option wants `:sout=` before it).
    pub fn sout(&self) -> String {
        let mut options = Vec::new();
        let kinds = [
            (self.video, [smem::VIDEO_PRERENDER, smem::VIDEO_POSTRENDER, smem::VIDEO_DATA, smem::VIDEO_FRAME]),
            (self.audio, [smem::AUDIO_PRERENDER, smem::AUDIO_POSTRENDER, smem::AUDIO_DATA, smem::AUDIO_FRAME]),
        ];
        for (callbacks, [prerender_name, postrender_name, data_name, frame_name]) in kinds {
            let mut text = String::new();
            let _ = match callbacks {
                None => continue,
                Some(Callbacks::Pair { prerender, postrender, data }) => {
                    write!(text, "{prerender_name}={prerender},{postrender_name}={postrender},{data_name}={data}")
                }
                Some(Callbacks::Frames { callback, data }) => {
                    write!(text, "{frame_name}={callback},{data_name}={data}")
                }
            };
            options.push(text);
        }
        options.extend(self.options.iter().filter(|o| !o.is_empty()).cloned());
        let smem = format!("{}{{{}}}", module::SMEM, options.join(","));
        if self.head.is_empty() {
            format!("#{smem}")
        } else {
            format!("#{}:{smem}", self.head)
        }
    }
}

/// What a grab asks of transcode and smem: its whole chain and the media
/// options that go with it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct GrabChain {
    pub video: Option<VideoChroma>,
    pub audio: Option<AudioSample>,
    pub realtime: bool,
    pub queue: Option<(usize, DropPolicy)>,
    /// [`crate::Grab::latest`]: no input caching and, with smem_mark, one
    /// decoder thread.
    pub live: bool,
    pub scale: (Option<u32>, Option<u32>),
    /// smem-rs's smem_mark first and smem_preroll on the demuxer: exact
    /// segments and seeks, and each frame's time in the stream.
    pub mark: bool,
    /// smem-rs's smem_raw encoder: VLC's decoded pictures reach smem as
    /// they are, where VLC's raw encoder would copy each one.
    pub raw: bool,
    /// The input's stream also written to a file, as it comes.
    pub record: Option<Record>,
}

/// A file the input's stream is written to without re-encoding (VLC's
/// `duplicate{}` into `std{}`), its container named by its extension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    path: String,
    mux: &'static str,
}

impl Record {
    /// `.mkv` (Matroska: playable up to its last cluster when the process
    /// dies) or `.mp4` (its index, the moov, written when the grab ends).
    pub fn new(path: &std::path::Path) -> Result<Record, String> {
        let shown = path.display();
        let text = path.to_str().ok_or_else(|| format!("record: {shown}: the path is not UTF-8"))?;
        let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        let mux = match extension.as_deref() {
            Some("mkv") => "mkv",
            Some("mp4") => "mp4",
            _ => return Err(format!("record: {shown}: name the file .mkv (Matroska) or .mp4 (MP4)")),
        };
        // Quoted once, a path survives VLC's two option parsers (duplicate's,
        // then std's) with its commas and braces, but not a quote or a backslash.
        if text.contains(['"', '\\']) {
            return Err(format!("record: {shown}: VLC's stream output cannot take a path with \" or \\ in it"));
        }
        Ok(Record { path: text.to_owned(), mux })
    }

    /// [`Record::new`], and the file created now: a folder that cannot be
    /// written says so here, where VLC would only log it.
    pub fn create(path: &std::path::Path) -> Result<Record, String> {
        let record = Record::new(path)?;
        std::fs::File::create(path).map_err(|e| format!("record: cannot write {}: {e}", path.display()))?;
        Ok(record)
    }

    /// `std{...}`, the path quoted.
    fn std(&self) -> String {
        format!("std{{access=file,mux={},dst=\"{}\"}}", self.mux, self.path)
    }
}

impl GrabChain {
    /// Every media option for these (video, audio) callbacks: `:sout=...`,
    /// what VLC need not decode, and smem_preroll. `max_held` on the frame ABI.
    pub fn media_options(
        &self,
        (video, audio): (Option<Callbacks>, Option<Callbacks>),
        max_held: Option<usize>,
        frame_abi: bool,
    ) -> Vec<String> {
        let mut codecs = Vec::new();
        if let Some(chroma) = self.video.filter(|_| video.is_some()) {
            codecs.push(format!("vcodec={}", chroma.fourcc()));
            if self.raw {
                codecs.push(format!("venc={}", module::RAW));
            }
            codecs.extend(self.scale.0.map(|width| format!("width={width}")));
            codecs.extend(self.scale.1.map(|height| format!("height={height}")));
        }
        if let Some(sample) = self.audio.filter(|_| audio.is_some()) {
            codecs.push(format!("acodec={}", sample.fourcc()));
        }
        let mut smem_options = vec![format!("{}={}", smem::TIME_SYNC, self.realtime)];
        if self.realtime && self.mark {
            // Paced from the first frame, not after VLC's cached second (smem-rs only).
            smem_options.push(format!("{}=true", smem::REALTIME));
        }
        smem_options.extend(self.queue.map(|(frames, drop)| format!("{}={frames},{}={drop}", smem::QUEUE, smem::DROP)));
        smem_options.extend(max_held.map(|max_held| format!("{}={max_held}", smem::MAX_HELD)));
        let mut mark_options = Vec::new();
        if audio.is_none() {
            mark_options.push(mark::VIDEO_ONLY.to_string());
        }
        if self.live {
            mark_options.push(format!("{}=1", mark::DECODER_THREADS));
        }
        let mark = match (self.mark, mark_options.is_empty()) {
            (false, _) => String::new(),
            (true, true) => format!("{}:", module::MARK),
            (true, false) => format!("{}{{{}}}:", module::MARK, mark_options.join(",")),
        };
        let chain =
            SmemChain { head: format!("{mark}transcode{{{}}}", codecs.join(",")), video, audio, options: smem_options };
        // Without audio, smem_mark still sees the audio tracks' formats (an
        // Opus track's delay moves a Matroska file's times) and ends them.
        let left_out = [(video.is_none(), "video"), (audio.is_none() && !self.mark, "audio")];
        let left_out = left_out.iter().filter(|(out, _)| *out).map(|(_, kind)| *kind);
        let mut options = Vec::new();
        match &self.record {
            None => {
                options.push(format!(":sout={}", chain.sout()));
                options.extend(left_out.map(|kind| format!(":no-sout-{kind}")));
            }
            // The file gets every track VLC sends; the grab's branch only
            // the kinds it takes (duplicate's select).
            Some(record) => {
                let select: Vec<String> = left_out.map(|kind| format!("no{kind}")).collect();
                let select =
                    if select.is_empty() { String::new() } else { format!(",select=\"{}\"", select.join(",")) };
                let grab = chain.sout();
                let grab = grab.trim_start_matches('#');
                // Quoted: duplicate would take the chain's `:` for its own.
                options.push(format!(":sout=#duplicate{{dst={},dst=\"{grab}\"{select}}}", record.std()));
            }
        }
        if self.live {
            // A live source's caching only delays each frame.
            options.push(":network-caching=0".into());
        }
        if !frame_abi {
            // The legacy callbacks cannot tell two tracks of a kind apart:
            // only the tracks VLC selects (one of each kind) are sent.
            options.push(":no-sout-all".into());
        }
        if self.mark {
            options.push(format!(":demux-filter={}", module::PREROLL));
        }
        if !self.realtime {
            // A file's caching (VLC 3's default: 1 s) only delays the start
            // when nothing paces the stream, and makes the input queue that
            // much of the file for the decoder before the first frame: a
            // stop decodes all of it before VLC lets go (a 720p grab's
            // close, 29 ms to 6 ms). Paced grabs keep it: VLC's clock may
            // need the margin. An application's own `:file-caching` comes
            // later and wins.
            options.push(":file-caching=0".into());
        }
        options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grab_s_options() {
        let chain = GrabChain {
            video: Some(VideoChroma::I420),
            audio: Some(AudioSample::S16l),
            queue: Some((1, DropPolicy::Oldest)),
            scale: (Some(320), None),
            mark: true,
            raw: true,
            ..GrabChain::default()
        };
        let frames = Some(Callbacks::Frames { callback: 1, data: 2 });
        assert_eq!(
            chain.media_options((frames, None), Some(8), true),
            [
                ":sout=#smem_mark{video-only}:transcode{vcodec=I420,venc=smem_raw,width=320}:smem{video-frame-callback=1,\
                 video-data=2,time-sync=false,queue=1,drop=oldest,max-held=8}",
                ":demux-filter=smem_preroll",
                ":file-caching=0"
            ]
        );
        let live = GrabChain { live: true, ..chain.clone() };
        let options = live.media_options((frames, frames), Some(8), true);
        assert!(options[0].starts_with(":sout=#smem_mark{decoder-threads=1}:transcode{"), "{options:?}");
        assert_eq!(options[1..], [":network-caching=0", ":demux-filter=smem_preroll", ":file-caching=0"]);
        // A paced grab through smem-rs asks for real time from the first
        // frame; the stock smem has no such option.
        let paced = GrabChain { realtime: true, ..chain.clone() };
        assert!(paced.media_options((frames, None), None, true)[0].contains("time-sync=true,realtime=true"));
        let stock = GrabChain { mark: false, raw: false, realtime: true, ..chain };
        let pair = Some(Callbacks::Pair { prerender: 1, postrender: 2, data: 3 });
        assert_eq!(stock.media_options((None, pair), None, false)[1..], [":no-sout-video", ":no-sout-all"]);
        assert!(!stock.media_options((None, pair), None, false)[0].contains("realtime"));
        let stock_live = GrabChain { live: true, ..stock };
        assert_eq!(
            stock_live.media_options((None, pair), None, false)[1..],
            [":no-sout-video", ":network-caching=0", ":no-sout-all"]
        );
    }

    #[test]
    fn a_recording_grab_s_chain() {
        let record = Record::new(std::path::Path::new("/tmp/a 'b', {c}.MKV")).unwrap();
        let chain = GrabChain { video: Some(VideoChroma::I420), record: Some(record), ..GrabChain::default() };
        let frames = Some(Callbacks::Frames { callback: 1, data: 2 });
        assert_eq!(
            chain.media_options((frames, None), None, true),
            [
                r#":sout=#duplicate{dst=std{access=file,mux=mkv,dst="/tmp/a 'b', {c}.MKV"},dst="transcode{vcodec=I420}:smem{video-frame-callback=1,video-data=2,time-sync=false}",select="noaudio"}"#,
                ":file-caching=0"
            ]
        );
        let mp4 = Record::new(std::path::Path::new("cam.mp4")).unwrap();
        let chain = GrabChain { record: Some(mp4), mark: true, ..chain };
        assert!(chain.media_options((frames, None), None, true)[0].starts_with(
            r#":sout=#duplicate{dst=std{access=file,mux=mp4,dst="cam.mp4"},dst="smem_mark{video-only}:transcode{"#
        ));
        for bad in ["cam.avi", "cam", "cam.mkv.part"] {
            let error = Record::new(std::path::Path::new(bad)).map(|_| ()).unwrap_err();
            assert!(error.contains(".mkv (Matroska) or .mp4"), "{bad}: {error}");
        }
        let error = Record::new(std::path::Path::new("a\"b.mkv")).map(|_| ()).unwrap_err();
        assert!(error.contains("cannot take a path with"), "{error}");
    }

    #[test]
    fn chains() {
        let chain = SmemChain {
            head: "transcode{vcodec=RV24}".into(),
            video: Some(Callbacks::Pair { prerender: 1, postrender: 2, data: 3 }),
            audio: Some(Callbacks::Frames { callback: 4, data: 5 }),
            options: vec!["time-sync=false".into()],
        };
        assert_eq!(
            chain.sout(),
            "#transcode{vcodec=RV24}:smem{video-prerender-callback=1,video-postrender-callback=2,video-data=3,\
             audio-frame-callback=4,audio-data=5,time-sync=false}"
        );
        assert_eq!(SmemChain::default().sout(), "#smem{}");
    }
}
