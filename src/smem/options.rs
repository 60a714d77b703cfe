//! The `sout-smem-*` options, declared once in [`OPTIONS`]: the module
//! descriptor, the names `config_ChainParse` reads from `smem{...}`, and the
//! raw values are all derived from that table; [`validate`] turns the raw
//! values into typed [`Settings`].
//!
//! Stock smem runs addresses through `atoll` (`12abc` silently becomes 12),
//! and VLC 3.0's `config_ChainParse` sets a chain bool to true whatever its
//! value and an integer through `strtoll`. Here a value written in the
//! chain is read as written, and every value either parses exactly or is
//! refused with a reason.

use std::ffi::CStr;
use std::fmt;

use crate::ffi::descriptor::{ConfigOption, OptionDefault, Visibility};

pub const PREFIX: &CStr = c"sout-smem-";
pub const PREFIX_STR: &str = smem_names::smem::PREFIX;

/// Chain names (the variable is `sout-smem-` + name), shared with
/// smem-client (`smem-names`).
pub mod name {
    use smem_names::smem;
    pub const VIDEO_PRERENDER: &str = smem::VIDEO_PRERENDER.as_str();
    pub const AUDIO_PRERENDER: &str = smem::AUDIO_PRERENDER.as_str();
    pub const VIDEO_POSTRENDER: &str = smem::VIDEO_POSTRENDER.as_str();
    pub const AUDIO_POSTRENDER: &str = smem::AUDIO_POSTRENDER.as_str();
    pub const VIDEO_DATA: &str = smem::VIDEO_DATA.as_str();
    pub const AUDIO_DATA: &str = smem::AUDIO_DATA.as_str();
    pub const TIME_SYNC: &str = smem::TIME_SYNC.as_str();
    pub const QUEUE: &str = smem::QUEUE.as_str();
    pub const DROP: &str = smem::DROP.as_str();
    pub const TUNE_ALLOCATOR: &str = smem::TUNE_ALLOCATOR.as_str();
    pub const VIDEO_FRAME: &str = smem::VIDEO_FRAME.as_str();
    pub const AUDIO_FRAME: &str = smem::AUDIO_FRAME.as_str();
    pub const MAX_HELD: &str = smem::MAX_HELD.as_str();
    pub const REALTIME: &str = smem::REALTIME.as_str();
}

/// The most frames a track may queue (`queue=N`): far past any useful
/// depth, low enough that a typo cannot ask for gigabytes per track.
pub const QUEUE_MAX: usize = 1000;
/// The values `drop` takes, as written.
pub const DROP_VALUES: [&str; 3] =
    [DropPolicy::None.as_str(), DropPolicy::Oldest.as_str(), DropPolicy::Newest.as_str()];
/// Frames an output lets the application hold at once (`max-held`) unless
/// told otherwise: enough for a few frames in flight to a worker, few enough
/// that 1080p RV32 stays under 150 MB.
pub const DEFAULT_MAX_HELD: i64 = 16;
/// The most `max-held` accepts.
pub const MAX_HELD_MAX: usize = 10_000;

const fn address(name: &'static CStr, text: &'static CStr, longtext: &'static CStr) -> ConfigOption {
    ConfigOption {
        name,
        default: OptionDefault::String(c"0"),
        text,
        longtext,
        advanced: true,
        visibility: Visibility::Volatile,
    }
}

/// Every option, in the order VLC lists them: the stock module's seven with
/// its names, types, defaults and texts, then ours. None is `safe`, so a
/// playlist cannot set any of them.
pub static OPTIONS: [ConfigOption; 14] = [
    address(
        c"sout-smem-video-prerender-callback",
        c"Video prerender callback",
        c"Address of the video prerender callback function. This function will set the buffer where render will be done.",
    ),
    address(
        c"sout-smem-audio-prerender-callback",
        c"Audio prerender callback",
        c"Address of the audio prerender callback function. This function will set the buffer where render will be done.",
    ),
    address(
        c"sout-smem-video-postrender-callback",
        c"Video postrender callback",
        c"Address of the video postrender callback function. This function will be called when the render is into the buffer.",
    ),
    address(
        c"sout-smem-audio-postrender-callback",
        c"Audio postrender callback",
        c"Address of the audio postrender callback function. This function will be called when the render is into the buffer.",
    ),
    address(c"sout-smem-video-data", c"Video Callback data", c"Data for the video callback function."),
    address(c"sout-smem-audio-data", c"Audio callback data", c"Data for the audio callback function."),
    ConfigOption {
        name: c"sout-smem-time-sync",
        default: OptionDefault::Bool(true),
        text: c"Time Synchronized output",
        longtext: c"Time Synchronisation option for output. If true, stream will render as usual, else it will be rendered as fast as possible.",
        advanced: true,
        visibility: Visibility::Private,
    },
    ConfigOption {
        name: c"sout-smem-queue",
        default: OptionDefault::Integer(0),
        text: c"Frames queued per track",
        longtext: c"0: the callbacks run in Send, on VLC's thread, as with the stock smem. N > 0: Send queues up to N frames per track and returns; one smem thread calls every callback of this output.",
        advanced: true,
        visibility: Visibility::Private,
    },
    ConfigOption {
        name: c"sout-smem-drop",
        default: OptionDefault::String(c"none"),
        text: c"What a full queue does",
        longtext: c"none: Send waits for room (nothing is lost); oldest: the oldest queued frame of the track is dropped (live sources); newest: the frame being sent is dropped.",
        advanced: true,
        visibility: Visibility::Private,
    },
    ConfigOption {
        name: c"sout-smem-tune-allocator",
        default: OptionDefault::Bool(false),
        text: c"Tune glibc's allocator for video",
        longtext: c"Keep VLC's per-frame picture buffers in the process instead of returning them to the kernel and faulting them in again every frame (2-3x faster transcodes). Changes malloc for the whole process: memory once used is kept for reuse.",
        advanced: true,
        visibility: Visibility::Private,
    },
    address(
        c"sout-smem-video-frame-callback",
        c"Video frame callback",
        c"Address of a function void cb(void *data, const smem_frame_t *frame) (include/smem.h): gets each video frame described and without a copy, instead of the prerender/postrender pair.",
    ),
    address(
        c"sout-smem-audio-frame-callback",
        c"Audio frame callback",
        c"Address of a function void cb(void *data, const smem_frame_t *frame) (include/smem.h): gets each audio block described and without a copy, instead of the prerender/postrender pair.",
    ),
    ConfigOption {
        name: c"sout-smem-max-held",
        default: OptionDefault::Integer(DEFAULT_MAX_HELD),
        text: c"Frames the application may hold",
        longtext: c"How many frames from the frame callbacks the application may keep at once (smem_frame_t.hold); past that, hold returns NULL.",
        advanced: true,
        visibility: Visibility::Private,
    },
    ConfigOption {
        name: c"sout-smem-realtime",
        default: OptionDefault::Bool(false),
        text: c"Real time from the first frame",
        longtext: c"With time-sync: the first frame at once, each other one at the media's pace after it (VLC hands over the second it caches before its clock starts at once). For inputs VLC paces (files); a live source paces itself, and this would keep its caching as latency.",
        advanced: true,
        visibility: Visibility::Private,
    },
];

/// The option's name inside `smem{...}`: its variable name less the prefix.
pub fn chain_name(option: &ConfigOption) -> &'static CStr {
    let full = option.name.to_bytes_with_nul();
    CStr::from_bytes_with_nul(&full[PREFIX.to_bytes().len()..]).expect("every option name starts with the prefix")
}

/// A value as read, before validation: the text written in the chain, or
/// what VLC's variable holds (an inherited `--sout-smem-*` or the default),
/// written out as text. `None`: the variable is missing.
pub type RawValue = Option<String>;

/// Each option's raw value, in [`OPTIONS`] order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawOptions(Vec<(&'static str, RawValue)>);

impl RawOptions {
    /// Raw values from `read(option)` (VLC's variables), overridden by what
    /// the chain says for an option: the last `name=value` wins, a bare
    /// `name` is written empty (true for a bool), and `no-name` or `noname`
    /// is false for a bool.
    pub fn read(entries: &[(String, Option<String>)], mut read: impl FnMut(&ConfigOption) -> RawValue) -> Self {
        let values = OPTIONS
            .iter()
            .map(|option| {
                let name = chain_name(option).to_str().expect("option names are ASCII");
                let is_bool = matches!(option.default, OptionDefault::Bool(_));
                let written = entries.iter().rev().find_map(|(entry, value)| {
                    if entry == name {
                        Some(value.clone().unwrap_or_else(|| if is_bool { "true".into() } else { String::new() }))
                    } else if is_bool
                        && (entry.strip_prefix("no-") == Some(name) || entry.strip_prefix("no") == Some(name))
                    {
                        Some(match value {
                            // `no-time-sync=false`: a double negative, read as written.
                            Some(v) => match parse_bool(v) {
                                Ok(b) => (!b).to_string(),
                                Err(_) => v.clone(),
                            },
                            None => "false".into(),
                        })
                    } else {
                        None
                    }
                });
                (name, written.or_else(|| read(option)))
            })
            .collect();
        RawOptions(values)
    }

    /// Raw values given by name (tests); options not named are missing.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        let values = OPTIONS
            .iter()
            .map(|option| {
                let name = chain_name(option).to_str().expect("option names are ASCII");
                (name, pairs.iter().rev().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned()))
            })
            .collect();
        RawOptions(values)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| *n == name).and_then(|(_, v)| v.as_deref())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddressError {
    Empty,
    Signed,
    NoHexDigits,
    BadDigit(char),
    TooLarge,
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddressError::Empty => write!(f, "it is empty"),
            AddressError::Signed => write!(f, "an address has no sign"),
            AddressError::NoHexDigits => write!(f, "'0x' is not followed by hex digits"),
            AddressError::BadDigit(c) => write!(f, "{c:?} is not a digit"),
            AddressError::TooLarge => write!(f, "it does not fit in a {}-bit address", usize::BITS),
        }
    }
}

/// Parses an address written in decimal (what every client writes) or as
/// `0x` hex. Surrounding white space is ignored; anything else is an error.
pub fn parse_address(text: &str) -> Result<usize, AddressError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AddressError::Empty);
    }
    if text.starts_with(['+', '-']) {
        return Err(AddressError::Signed);
    }
    let (digits, radix) = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some("") => return Err(AddressError::NoHexDigits),
        Some(hex) => (hex, 16),
        None => (text, 10),
    };
    let mut value: usize = 0;
    for c in digits.chars() {
        let digit = c.to_digit(radix).ok_or(AddressError::BadDigit(c))?;
        value = value
            .checked_mul(radix as usize)
            .and_then(|v| v.checked_add(digit as usize))
            .ok_or(AddressError::TooLarge)?;
    }
    Ok(value)
}

/// Reads a boolean option value as people write it.
pub fn parse_bool(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("expected true/false, yes/no, on/off or 1/0".to_owned()),
    }
}

/// A count of frames from 0 to `max`, written in decimal digits only;
/// `expected` says what the option takes.
fn parse_frames(value: &str, max: usize, expected: &str) -> Result<usize, String> {
    let problem = || format!("expected {expected} to {max}");
    let text = value.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(problem());
    }
    text.parse::<usize>().ok().filter(|&n| n <= max).ok_or_else(problem)
}

/// `queue`: 0 (synchronous) up to [`QUEUE_MAX`] frames per track.
pub fn parse_queue(value: &str) -> Result<usize, String> {
    parse_frames(value, QUEUE_MAX, "a number of frames from 0 (synchronous)")
}

/// What a full queue does with one more frame of its track (shared with
/// smem-client).
pub use smem_names::DropPolicy;

pub fn parse_drop(value: &str) -> Result<DropPolicy, String> {
    value.parse().map_err(|_| format!("expected one of {}", DROP_VALUES.join(", ")))
}

/// A prerender/postrender pair and its data pointer, as addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallbackAddresses {
    pub prerender: usize,
    pub postrender: usize,
    pub data: usize,
}

/// What a kind's frames are handed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sink {
    /// Stock's prerender/postrender pair: smem copies into the application's buffer.
    Legacy(CallbackAddresses),
    /// The frame callback of `include/smem.h`: described, not copied.
    Frames { callback: usize, data: usize },
}

impl Sink {
    /// Every function address of the sink, with its option name.
    pub fn code_addresses(&self, kind: &str) -> Vec<(String, usize)> {
        match *self {
            Sink::Legacy(a) => vec![
                (format!("{kind}-prerender-callback"), a.prerender),
                (format!("{kind}-postrender-callback"), a.postrender),
            ],
            Sink::Frames { callback, .. } => vec![(format!("{kind}-frame-callback"), callback)],
        }
    }
}

/// `max-held`: 0 (the application may hold nothing) up to [`MAX_HELD_MAX`].
pub fn parse_max_held(value: &str) -> Result<usize, String> {
    parse_frames(value, MAX_HELD_MAX, "a number of frames from 0")
}

/// How frames reach the application.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Delivery {
    /// In Send, on VLC's thread, as with the stock smem.
    #[default]
    Synchronous,
    /// Up to `frames` per track wait for smem's delivery thread.
    Queued { frames: usize, drop: DropPolicy },
}

/// The options, validated and typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub video: Option<Sink>,
    pub audio: Option<Sink>,
    pub time_sync: bool,
    /// With `time_sync`: paced from the first frame ([`super::pace`]).
    pub realtime: bool,
    pub delivery: Delivery,
    /// `drop` was set while `queue` is 0, where nothing is ever dropped.
    pub drop_without_queue: bool,
    pub tune_allocator: bool,
    pub max_held: usize,
}

/// One refused option value, with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionError {
    pub option: &'static str,
    pub value: String,
    pub problem: String,
}

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid value {:?} for option {}{}: {}", self.value, PREFIX_STR, self.option, self.problem)
    }
}

/// Reads one option with `parse`; a missing variable takes `default`.
fn typed<T>(
    raw: &RawOptions,
    option: &'static str,
    default: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
    errors: &mut Vec<OptionError>,
) -> Option<T> {
    let value = raw.get(option).unwrap_or(default);
    parse(value).map_err(|problem| errors.push(OptionError { option, value: value.to_owned(), problem })).ok()
}

fn pair(
    kind: &'static str,
    names: [&'static str; 3],
    raw: &RawOptions,
    errors: &mut Vec<OptionError>,
) -> Option<CallbackAddresses> {
    let address = |name, errors: &mut Vec<OptionError>| {
        typed(raw, name, "0", |v| parse_address(v).map_err(|e| e.to_string()), errors)
    };
    let prerender = address(names[0], errors);
    let postrender = address(names[1], errors);
    let data = address(names[2], errors);
    match (prerender?, postrender?, data?) {
        (0, 0, _) => None,
        (pre, 0, _) => {
            errors.push(OptionError {
                option: names[1],
                value: "0".into(),
                problem: format!("{kind} prerender callback {pre:#x} is set but its postrender callback is not"),
            });
            None
        }
        (0, post, _) => {
            errors.push(OptionError {
                option: names[0],
                value: "0".into(),
                problem: format!("{kind} postrender callback {post:#x} is set but its prerender callback is not"),
            });
            None
        }
        (prerender, postrender, data) => Some(CallbackAddresses { prerender, postrender, data }),
    }
}

/// A kind's sink: its prerender/postrender pair or its frame callback (not
/// both: which one would get the frames?).
fn sink(kind: &'static str, names: [&'static str; 4], raw: &RawOptions, errors: &mut Vec<OptionError>) -> Option<Sink> {
    let pair = pair(kind, [names[0], names[1], names[2]], raw, errors);
    let callback = typed(raw, names[3], "0", |v| parse_address(v).map_err(|e| e.to_string()), errors)?;
    match (pair, callback) {
        (pair, 0) => pair.map(Sink::Legacy),
        (None, callback) => {
            let data = typed(raw, names[2], "0", |v| parse_address(v).map_err(|e| e.to_string()), &mut Vec::new());
            Some(Sink::Frames { callback, data: data.unwrap_or(0) })
        }
        (Some(_), callback) => {
            errors.push(OptionError {
                option: names[3],
                value: callback.to_string(),
                problem: format!(
                    "the {kind} prerender/postrender pair is set too: give {kind} frames either to the \
                     frame callback or to the pair, not both"
                ),
            });
            None
        }
    }
}

/// Validates all options at once, so every bad value is reported.
pub fn validate(raw: &RawOptions) -> Result<Settings, Vec<OptionError>> {
    use name::*;
    let mut errors = Vec::new();
    let video = sink("video", [VIDEO_PRERENDER, VIDEO_POSTRENDER, VIDEO_DATA, VIDEO_FRAME], raw, &mut errors);
    let audio = sink("audio", [AUDIO_PRERENDER, AUDIO_POSTRENDER, AUDIO_DATA, AUDIO_FRAME], raw, &mut errors);
    let max_held = typed(raw, MAX_HELD, "16", parse_max_held, &mut errors);
    let time_sync = typed(raw, TIME_SYNC, "true", parse_bool, &mut errors);
    let queue = typed(raw, QUEUE, "0", parse_queue, &mut errors);
    let drop = typed(raw, DROP, "none", parse_drop, &mut errors);
    let tune_allocator = typed(raw, TUNE_ALLOCATOR, "false", parse_bool, &mut errors);
    let realtime = typed(raw, REALTIME, "false", parse_bool, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let (queue, drop) = (queue.unwrap_or_default(), drop.unwrap_or_default());
    Ok(Settings {
        video,
        audio,
        time_sync: time_sync.unwrap_or(true),
        realtime: realtime.unwrap_or(false),
        delivery: match queue {
            0 => Delivery::Synchronous,
            frames => Delivery::Queued { frames, drop },
        },
        drop_without_queue: queue == 0 && drop != DropPolicy::None,
        tune_allocator: tune_allocator.unwrap_or(false),
        max_held: max_held.unwrap_or(DEFAULT_MAX_HELD as usize),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_and_hex_addresses() {
        assert_eq!(parse_address("0"), Ok(0));
        assert_eq!(parse_address("140737488355328"), Ok(140_737_488_355_328));
        assert_eq!(parse_address("0x7fff0000"), Ok(0x7fff_0000));
        assert_eq!(parse_address("0XABCdef"), Ok(0xabc_def));
        assert_eq!(parse_address(" 42\n"), Ok(42));
        assert_eq!(parse_address("007"), Ok(7));
        assert_eq!(parse_address(&usize::MAX.to_string()), Ok(usize::MAX));
    }

    #[test]
    fn refuses_what_atoll_would_guess() {
        let cases: &[(&str, AddressError)] = &[
            ("", AddressError::Empty),
            ("   ", AddressError::Empty),
            ("abc", AddressError::BadDigit('a')),
            ("12abc", AddressError::BadDigit('a')),
            ("-1", AddressError::Signed),
            ("+5", AddressError::Signed),
            ("0x", AddressError::NoHexDigits),
            ("0xZZ", AddressError::BadDigit('Z')),
            ("1 2", AddressError::BadDigit(' ')),
            ("18446744073709551616", AddressError::TooLarge),
            ("0x10000000000000000", AddressError::TooLarge),
            ("1.5", AddressError::BadDigit('.')),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_address(text).as_ref(), Err(expected), "{text:?}");
        }
    }

    fn raw(vpre: &str, vpost: &str, apre: &str, apost: &str) -> RawOptions {
        RawOptions::from_pairs(&[
            ("video-prerender-callback", vpre),
            ("video-postrender-callback", vpost),
            ("video-data", "0"),
            ("audio-prerender-callback", apre),
            ("audio-postrender-callback", apost),
            ("audio-data", "0"),
            ("time-sync", "false"),
        ])
    }

    fn entry(n: &str, v: Option<&str>) -> (String, Option<String>) {
        (n.to_owned(), v.map(str::to_owned))
    }

    /// What VLC's variables hold after `config_ChainParse` of a chain that
    /// sets none of ours: the declared defaults.
    fn defaults(o: &ConfigOption) -> RawValue {
        Some(match o.default {
            OptionDefault::Bool(b) => b.to_string(),
            OptionDefault::Integer(n) => n.to_string(),
            OptionDefault::String(s) | OptionDefault::Password(s) => s.to_str().unwrap().to_owned(),
        })
    }

    #[test]
    fn the_table_names_every_option_once_under_the_prefix() {
        let names: Vec<&str> = OPTIONS.iter().map(|o| chain_name(o).to_str().unwrap()).collect();
        assert_eq!(
            names[..7],
            [
                "video-prerender-callback",
                "audio-prerender-callback",
                "video-postrender-callback",
                "audio-postrender-callback",
                "video-data",
                "audio-data",
                "time-sync"
            ]
        );
        for (i, n) in names.iter().enumerate() {
            assert!(!names[i + 1..].contains(n), "{n} twice");
        }
        // The names smem-client writes its chains with are the table's, in order.
        assert_eq!(names, smem_names::smem::ALL.map(|n| n.as_str()));
        assert!(OPTIONS.iter().all(|o| o.name.to_str().unwrap().starts_with(PREFIX_STR)));
    }

    #[test]
    fn pairs_and_defaults() {
        let opts = validate(&raw("10", "20", "0", "0")).unwrap();
        assert_eq!(opts.video, Some(Sink::Legacy(CallbackAddresses { prerender: 10, postrender: 20, data: 0 })));
        assert_eq!(opts.audio, None);
        assert!(!opts.time_sync);
        // Missing variables behave as the declared defaults.
        let opts = validate(&RawOptions::default()).unwrap();
        assert_eq!((opts.video, opts.audio, opts.time_sync), (None, None, true));
        assert_eq!(opts.delivery, Delivery::Synchronous);
        // Stock's time-sync alone: pacing from the first frame is asked for.
        assert!(!opts.realtime);
        assert!(validate(&RawOptions::from_pairs(&[("realtime", "true")])).unwrap().realtime);
    }

    #[test]
    fn half_pairs_and_bad_values_are_all_reported() {
        let errors = validate(&raw("10", "0", "abc", "0x")).unwrap_err();
        let options: Vec<_> = errors.iter().map(|e| e.option).collect();
        assert_eq!(options, ["video-postrender-callback", "audio-prerender-callback", "audio-postrender-callback"]);
        assert!(errors[0].to_string().contains("sout-smem-video-postrender-callback"));
        assert!(errors[1].to_string().contains("\"abc\""));
        let errors = validate(&raw("0", "20", "0", "0")).unwrap_err();
        assert_eq!(errors[0].option, "video-prerender-callback");
    }

    #[test]
    fn the_chain_text_wins_over_the_variable() {
        // VLC's variable says what config_ChainParse made of the chain
        // (true for any bool, strtoll for an integer); the text says what
        // was written.
        let from_vlc = defaults;
        let sync = |e: &[(String, Option<String>)]| {
            validate(&RawOptions::read(e, from_vlc)).map(|s| s.time_sync).map_err(|e| e[0].option)
        };
        assert_eq!(sync(&[]), Ok(true));
        assert_eq!(sync(&[entry("video-data", Some("1"))]), Ok(true));
        assert_eq!(sync(&[entry("time-sync", Some("false"))]), Ok(false));
        assert_eq!(sync(&[entry("time-sync", Some("0"))]), Ok(false));
        assert_eq!(sync(&[entry("time-sync", Some("TRUE"))]), Ok(true));
        assert_eq!(sync(&[entry("time-sync", None)]), Ok(true));
        assert_eq!(sync(&[entry("no-time-sync", None)]), Ok(false));
        assert_eq!(sync(&[entry("notime-sync", None)]), Ok(false));
        assert_eq!(sync(&[entry("no-time-sync", Some("false"))]), Ok(true));
        assert_eq!(sync(&[entry("time-sync", Some("no")), entry("time-sync", Some("yes"))]), Ok(true));
        assert_eq!(sync(&[entry("time-sync", Some("maybe"))]), Err("time-sync"));

        let queue = |e: &[(String, Option<String>)]| {
            validate(&RawOptions::read(e, from_vlc)).map(|s| s.delivery).map_err(|e| (e[0].option, e[0].value.clone()))
        };
        assert_eq!(queue(&[entry("queue", Some("4"))]), Ok(Delivery::Queued { frames: 4, drop: DropPolicy::None }));
        assert_eq!(
            queue(&[entry("queue", Some("1")), entry("drop", Some("oldest"))]),
            Ok(Delivery::Queued { frames: 1, drop: DropPolicy::Oldest })
        );
        assert_eq!(queue(&[entry("queue", Some("abc"))]), Err(("queue", "abc".to_owned())));
        assert_eq!(queue(&[entry("queue", None)]), Err(("queue", String::new())));
        assert_eq!(queue(&[entry("drop", Some("some"))]), Err(("drop", "some".to_owned())));
    }

    #[test]
    fn empty_chain_values_are_refused_not_defaulted() {
        let read = |e: &[(String, Option<String>)]| RawOptions::read(e, defaults);
        let r = read(&[
            entry("video-prerender-callback", Some("")),
            entry("video-postrender-callback", Some("20")),
            entry("audio-data", None),
        ]);
        let errors = validate(&r).unwrap_err();
        let refused: Vec<_> = errors.iter().map(|e| (e.option, e.value.as_str())).collect();
        assert_eq!(refused, [("video-prerender-callback", ""), ("audio-data", "")]);
        assert!(errors[0].to_string().contains("it is empty"));
    }

    #[test]
    fn queue_and_drop_values() {
        assert_eq!(parse_queue("0"), Ok(0));
        assert_eq!(parse_queue(" 8 "), Ok(8));
        assert_eq!(parse_queue("1000"), Ok(QUEUE_MAX));
        for bad in ["", "-1", "+2", "1001", "0x10", "2.5", "99999999999999999999999", "many"] {
            let e = parse_queue(bad).unwrap_err();
            assert!(e.contains("from 0 (synchronous) to 1000"), "{bad:?}: {e}");
        }
        assert_eq!(parse_drop("none"), Ok(DropPolicy::None));
        assert_eq!(parse_drop("Oldest"), Ok(DropPolicy::Oldest));
        assert_eq!(parse_drop("newest"), Ok(DropPolicy::Newest));
        assert!(parse_drop("latest").unwrap_err().contains("none, oldest, newest"));
        let mut r = RawOptions::from_pairs(&[("drop", "oldest")]);
        assert!(validate(&r).unwrap().drop_without_queue);
        r = RawOptions::from_pairs(&[("drop", "oldest"), ("queue", "2")]);
        assert!(!validate(&r).unwrap().drop_without_queue);
    }

    #[test]
    fn data_pointers_are_parsed_too() {
        let mut pairs =
            vec![("video-prerender-callback", "10"), ("video-postrender-callback", "20"), ("video-data", "12abc")];
        assert_eq!(validate(&RawOptions::from_pairs(&pairs)).unwrap_err()[0].option, "video-data");
        pairs[2].1 = "0";
        let Some(Sink::Legacy(pair)) = validate(&RawOptions::from_pairs(&pairs)).unwrap().video else { panic!() };
        assert_eq!(pair.data, 0);
    }

    #[test]
    fn frame_callbacks() {
        let opts = validate(&RawOptions::from_pairs(&[("video-frame-callback", "30"), ("video-data", "7")])).unwrap();
        assert_eq!(opts.video, Some(Sink::Frames { callback: 30, data: 7 }));
        assert_eq!((opts.audio, opts.max_held), (None, 16));
        // One kind on each ABI.
        let opts = validate(&RawOptions::from_pairs(&[
            ("video-frame-callback", "30"),
            ("audio-prerender-callback", "10"),
            ("audio-postrender-callback", "20"),
            ("max-held", "0"),
        ]))
        .unwrap();
        assert!(matches!(opts.audio, Some(Sink::Legacy(_))));
        assert_eq!(opts.max_held, 0);
        // Both for one kind is refused, naming the frame callback.
        let errors = validate(&RawOptions::from_pairs(&[
            ("video-frame-callback", "30"),
            ("video-prerender-callback", "10"),
            ("video-postrender-callback", "20"),
        ]))
        .unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].option, "video-frame-callback");
        assert!(errors[0].to_string().contains("not both"), "{}", errors[0]);
        for bad in ["-1", "10001", "", "4k"] {
            let errors = validate(&RawOptions::from_pairs(&[("max-held", bad)])).unwrap_err();
            assert_eq!(errors[0].option, "max-held", "{bad:?}");
        }
        assert_eq!(validate(&RawOptions::from_pairs(&[("audio-frame-callback", "0x")])).unwrap_err().len(), 1);
    }
}
