//! The `:sout` chain ending in smem, written in one place: [`crate::Grab`]
//! and the test host (smem-testkit's smem-host) both build theirs here.

use std::fmt::Write as _;

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
        let mut smem = Vec::new();
        for (kind, callbacks) in [("video", self.video), ("audio", self.audio)] {
            let mut text = String::new();
            let _ = match callbacks {
                None => continue,
                Some(Callbacks::Pair { prerender, postrender, data }) => write!(
                    text,
                    "{kind}-prerender-callback={prerender},{kind}-postrender-callback={postrender},{kind}-data={data}"
                ),
                Some(Callbacks::Frames { callback, data }) => {
                    write!(text, "{kind}-frame-callback={callback},{kind}-data={data}")
                }
            };
            smem.push(text);
        }
        smem.extend(self.options.iter().filter(|o| !o.is_empty()).cloned());
        let smem = format!("smem{{{}}}", smem.join(","));
        if self.head.is_empty() {
            format!("#{smem}")
        } else {
            format!("#{}:{smem}", self.head)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
