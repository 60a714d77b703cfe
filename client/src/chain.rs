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
        let mut options = vec![format!(":sout={}", chain.sout())];
        if self.live {
            options.push(":network-caching=0".into());
        }
        if video.is_none() {
            options.push(":no-sout-video".into());
        }
        // Without audio, smem_mark still sees the audio tracks' formats (an
        // Opus track's delay moves a Matroska file's times) and ends them.
        if audio.is_none() && !self.mark {
            options.push(":no-sout-audio".into());
        }
        if !frame_abi {
            // The legacy callbacks cannot tell two tracks of a kind apart:
            // only the tracks VLC selects (one of each kind) are sent.
            options.push(":no-sout-all".into());
        }
        if self.mark {
            options.push(format!(":demux-filter={}", module::PREROLL));
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
                ":demux-filter=smem_preroll"
            ]
        );
        let live = GrabChain { live: true, ..chain.clone() };
        let options = live.media_options((frames, frames), Some(8), true);
        assert!(options[0].starts_with(":sout=#smem_mark{decoder-threads=1}:transcode{"), "{options:?}");
        assert_eq!(options[1..], [":network-caching=0", ":demux-filter=smem_preroll"]);
        let stock = GrabChain { mark: false, raw: false, ..chain };
        let pair = Some(Callbacks::Pair { prerender: 1, postrender: 2, data: 3 });
        assert_eq!(stock.media_options((None, pair), None, false)[1..], [":no-sout-video", ":no-sout-all"]);
        let stock_live = GrabChain { live: true, ..stock };
        assert_eq!(stock_live.media_options((None, pair), None, false)[1], ":network-caching=0");
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
