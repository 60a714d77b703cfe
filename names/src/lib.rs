//! What smem-rs's plugin and its clients must agree on, written once: the
//! names of the modules and of their options, and the values of `drop`.
//! The plugin declares its modules with these names; smem-client writes its
//! chains and media options with them. No dependency (clap's `ValueEnum` for
//! [`DropPolicy`] behind the `clap` feature).

use std::ffi::CStr;
use std::fmt;

/// Names for the values of a field-less enum, declared once: `ALL`,
/// `as_str`, `Display`, and `FromStr` (case and surrounding space ignored;
/// the error lists the names):
///
/// ```
/// #[derive(Clone, Copy, Debug, PartialEq)]
/// enum Abi { Auto, Frame }
/// smem_names::named!("abi", Abi { Auto = "auto", Frame = "frame" });
/// assert_eq!("FRAME".parse::<Abi>(), Ok(Abi::Frame));
/// assert_eq!(Abi::ALL.map(|a| a.to_string()), ["auto", "frame"]);
/// ```
#[macro_export]
macro_rules! named {
    ($what:literal, $ty:ident { $($variant:ident = $name:literal),* $(,)? }) => {
        impl $ty {
            /// Every value, in order.
            pub const ALL: [$ty; [$($name),*].len()] = [$($ty::$variant),*];

            /// Its name, as written in chains and arguments.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)*
                }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::UnknownName;
            fn from_str(text: &str) -> Result<Self, $crate::UnknownName> {
                $crate::parse_name($what, text, &$ty::ALL.map(|v| (v.as_str(), v)))
            }
        }
    };
}

/// A name as text and as the C string VLC's tables want.
macro_rules! names {
    ($($(#[$doc:meta])* $id:ident = $text:literal;)*) => {
        $($(#[$doc])* pub const $id: $crate::Name = $crate::Name::new($text, match CStr::from_bytes_with_nul(concat!($text, "\0").as_bytes()) {
            Ok(c) => c,
            Err(_) => panic!("a name holds no NUL"),
        });)*
    };
}

/// A module or option name: `as_str` for chains, `as_c_str` for VLC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Name {
    text: &'static str,
    c: &'static CStr,
}

impl Name {
    const fn new(text: &'static str, c: &'static CStr) -> Name {
        Name { text, c }
    }

    pub const fn as_str(self) -> &'static str {
        self.text
    }

    pub const fn as_c_str(self) -> &'static CStr {
        self.c
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text)
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

/// The plugin's modules.
pub mod module {
    use super::*;
    names! {
        /// The stream output itself (`#...:smem{...}` still says `smem`:
        /// smem-rs answers to the stock module's name by its shortcut).
        SMEM_RS = "smem_rs";
        /// The shortcut both smem modules answer to in a chain.
        SMEM = "smem";
        /// The stream filter before transcode that tells smem each frame's
        /// time in the stream and the segment's ends.
        MARK = "smem_mark";
        /// The demux filter that logs what the demuxer sends (`:demux-filter=`).
        PREROLL = "smem_preroll";
        /// The raw video "encoder" that hands transcode's pictures to smem
        /// without copying them (`#transcode{vcodec=I420,venc=smem_raw}`).
        RAW = "smem_raw";
        /// The RTSP input (`access_demux` for `rtsp://`), on retina: VLC 3
        /// as Debian and Ubuntu ship it has none (no live555).
        RTSP = "smem_rtsp";
        /// The URL scheme it answers to, as live555 did.
        RTSP_SCHEME = "rtsp";
    }
    /// The file VLC loads smem-rs from (VLC loads only `*_plugin.so`).
    pub const PLUGIN_FILE: &str = "libsmem_rs_plugin.so";
}

/// smem's options inside `smem{...}` (the variable is `sout-smem-` + name),
/// in the order VLC lists them: the stock module's seven, then smem-rs's.
pub mod smem {
    use super::*;
    /// The prefix of smem's variables (`--sout-smem-time-sync`).
    pub const PREFIX: &str = "sout-smem-";
    names! {
        VIDEO_PRERENDER = "video-prerender-callback";
        AUDIO_PRERENDER = "audio-prerender-callback";
        VIDEO_POSTRENDER = "video-postrender-callback";
        AUDIO_POSTRENDER = "audio-postrender-callback";
        VIDEO_DATA = "video-data";
        AUDIO_DATA = "audio-data";
        TIME_SYNC = "time-sync";
        QUEUE = "queue";
        DROP = "drop";
        TUNE_ALLOCATOR = "tune-allocator";
        VIDEO_FRAME = "video-frame-callback";
        AUDIO_FRAME = "audio-frame-callback";
        MAX_HELD = "max-held";
        REALTIME = "realtime";
    }
    /// Every option, in the plugin's order.
    pub const ALL: [Name; 14] = [
        VIDEO_PRERENDER,
        AUDIO_PRERENDER,
        VIDEO_POSTRENDER,
        AUDIO_POSTRENDER,
        VIDEO_DATA,
        AUDIO_DATA,
        TIME_SYNC,
        QUEUE,
        DROP,
        TUNE_ALLOCATOR,
        VIDEO_FRAME,
        AUDIO_FRAME,
        MAX_HELD,
        REALTIME,
    ];
}

/// smem_mark's chain option and smem_preroll's media options.
pub mod mark {
    use super::*;
    names! {
        /// `smem_mark{video-only}`: the audio tracks end at smem_mark (their
        /// formats are still seen), for grabs of video alone.
        VIDEO_ONLY = "video-only";
        /// `smem_mark{decoder-threads=N}`: `avcodec-threads` for the decoders
        /// of this chain (transcode's), set on its sout instance. 1 takes out
        /// FFmpeg's frame threads, each of which holds a frame back.
        DECODER_THREADS = "decoder-threads";
        /// `:smem-preroll-lead=US`: how far before the start VLC was asked
        /// to start, microseconds.
        PREROLL_LEAD = "smem-preroll-lead";
        /// `:smem-preroll-length=US`: how long after the start the frames stop.
        PREROLL_LENGTH = "smem-preroll-length";
    }
}

/// smem_rtsp's options: live555's names where it had one, so applications'
/// media options keep working (`:rtsp-tcp`, `:rtsp-user`, `:rtsp-pwd`).
pub mod rtsp {
    use super::*;
    names! {
        /// RTP interleaved in the RTSP connection (true, the default) or
        /// over UDP (`:no-rtsp-tcp`).
        TCP = "rtsp-tcp";
        /// The user name, when the URL has none.
        USER = "rtsp-user";
        /// The password, when the URL has none. Never logged.
        PASSWORD = "rtsp-pwd";
        /// Milliseconds to connect and have the server answer DESCRIBE,
        /// SETUP and PLAY. Not `rtsp-timeout`: VLC's stream_out_rtp declares
        /// that one (seconds), and VLC looks a default up by name alone.
        TIMEOUT = "rtsp-connect-timeout";
        /// Milliseconds without a frame after which the connection is
        /// taken for lost.
        IDLE_TIMEOUT = "rtsp-idle-timeout";
        /// Milliseconds to keep reconnecting after the connection is lost
        /// (0: end the input at once; -1: forever).
        RECONNECT = "rtsp-reconnect";
    }
    /// Every option, in the plugin's order.
    pub const ALL: [Name; 6] = [TCP, USER, PASSWORD, TIMEOUT, IDLE_TIMEOUT, RECONNECT];
}

/// `url` as it may be shown (logs, errors, summaries): a password in it
/// replaced by `***`, the user kept (`rtsp://admin:***@camera/live`).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    match authority.rfind('@') {
        Some(at) if authority[..at].contains(':') => {
            let user = authority[..at].split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{}", &rest[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// What smem does when a track's queue is full (`drop=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DropPolicy {
    /// VLC waits for room: nothing is lost.
    #[default]
    None,
    /// The oldest queued frame makes room: a slow consumer always gets the
    /// newest (live sources).
    Oldest,
    /// The frame arriving is dropped.
    Newest,
}

named!("drop policy", DropPolicy { None = "none", Oldest = "oldest", Newest = "newest" });

/// A name that is none of the values it could be: says which they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownName {
    /// What was asked for: "drop policy", "abi", "video format"...
    pub what: &'static str,
    pub given: String,
    pub expected: Vec<&'static str>,
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let expected = match self.expected.split_last() {
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        };
        write!(f, "unknown {} {:?}: {expected}", self.what, self.given)
    }
}

impl std::error::Error for UnknownName {}

/// The value of `T` whose name is `text` (ASCII case and surrounding space
/// ignored), from `(name, value)` pairs where aliases may follow; the
/// error lists the first name of each value.
pub fn parse_name<T: Copy + PartialEq>(
    what: &'static str,
    text: &str,
    names: &[(&'static str, T)],
) -> Result<T, UnknownName> {
    let wanted = text.trim();
    names.iter().find(|(name, _)| name.eq_ignore_ascii_case(wanted)).map(|(_, v)| *v).ok_or_else(|| {
        let mut expected: Vec<&'static str> = Vec::new();
        for (i, (name, value)) in names.iter().enumerate() {
            if !names[..i].iter().any(|(_, seen)| seen == value) {
                expected.push(name);
            }
        }
        UnknownName { what, given: text.to_owned(), expected }
    })
}

#[cfg(feature = "clap")]
impl clap::ValueEnum for DropPolicy {
    fn value_variants<'a>() -> &'a [Self] {
        &DropPolicy::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let help = match self {
            DropPolicy::None => "VLC waits for room: nothing is lost",
            DropPolicy::Oldest => "The oldest waiting frame is dropped: the newest always gets through",
            DropPolicy::Newest => "The arriving frame is dropped",
        };
        Some(clap::builder::PossibleValue::new(self.as_str()).help(help))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_their_c_strings() {
        for name in smem::ALL.iter().chain(&[module::MARK, module::PREROLL, mark::PREROLL_LEAD]) {
            assert_eq!(name.as_c_str().to_str(), Ok(name.as_str()));
        }
        assert_eq!(module::MARK, "smem_mark");
    }

    #[test]
    fn a_url_s_password_is_never_shown() {
        assert_eq!(redact_url("rtsp://admin:hunter2@cam:554/a@b"), "rtsp://admin:***@cam:554/a@b");
        assert_eq!(redact_url("rtsp://admin@cam/live"), "rtsp://admin@cam/live", "no password");
        assert_eq!(redact_url("rtsp://cam/x?user=a@b"), "rtsp://cam/x?user=a@b");
        assert_eq!(redact_url("/videos/a:b@c.mkv"), "/videos/a:b@c.mkv", "a path");
    }

    #[test]
    fn drop_policies_read_as_written_and_say_what_they_take() {
        for d in DropPolicy::ALL {
            assert_eq!(d.to_string().parse::<DropPolicy>(), Ok(d));
        }
        assert_eq!(" OLDEST ".parse::<DropPolicy>(), Ok(DropPolicy::Oldest));
        let e = "some".parse::<DropPolicy>().unwrap_err();
        assert_eq!(e.to_string(), r#"unknown drop policy "some": none, oldest or newest"#);
    }

    #[test]
    fn aliases_are_not_listed() {
        let names = [("s16", 1), ("s16l", 1), ("f32", 2)];
        assert_eq!(parse_name("audio format", "S16L", &names), Ok(1));
        assert_eq!(parse_name("audio format", "u8", &names).unwrap_err().expected, ["s16", "f32"]);
    }
}
