//! The seven `sout-smem-*` options: their names, and turning their string
//! values into callback addresses. Stock smem runs every value through
//! `atoll`, so `12abc` silently becomes 12 and `abc` becomes 0; here every
//! value either parses exactly or is refused with a reason.

use std::ffi::CStr;
use std::fmt;

pub const PREFIX: &CStr = c"sout-smem-";
pub const PREFIX_STR: &str = "sout-smem-";

/// The option names inside `smem{...}`, in the stock module's order.
pub const CHAIN_OPTIONS: [&CStr; 7] = [
    c"video-prerender-callback",
    c"audio-prerender-callback",
    c"video-postrender-callback",
    c"audio-postrender-callback",
    c"video-data",
    c"audio-data",
    c"time-sync",
];

/// The full variable names (`sout-smem-` + option).
pub mod var {
    use std::ffi::CStr;
    pub const VIDEO_PRERENDER: &CStr = c"sout-smem-video-prerender-callback";
    pub const AUDIO_PRERENDER: &CStr = c"sout-smem-audio-prerender-callback";
    pub const VIDEO_POSTRENDER: &CStr = c"sout-smem-video-postrender-callback";
    pub const AUDIO_POSTRENDER: &CStr = c"sout-smem-audio-postrender-callback";
    pub const VIDEO_DATA: &CStr = c"sout-smem-video-data";
    pub const AUDIO_DATA: &CStr = c"sout-smem-audio-data";
    pub const TIME_SYNC: &CStr = c"sout-smem-time-sync";
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

/// Reads a boolean option value as people write it. `None` (a bare
/// `time-sync`) means true.
pub fn parse_bool(value: Option<&str>) -> Result<bool, String> {
    let Some(value) = value else { return Ok(true) };
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("expected true/false, yes/no, on/off or 1/0".to_owned()),
    }
}

/// `time-sync` as written in the `smem{...}` chain, if it is there.
///
/// VLC 3.0's `config_ChainParse` sets a chain bool to true whatever its
/// value (only the `no-`/`no` prefix makes it false), so stock smem never
/// sees `time-sync=false`. We read the value ourselves; the last one wins.
pub fn chain_time_sync(entries: &[(String, Option<String>)]) -> Option<Result<bool, OptionError>> {
    entries.iter().rev().find_map(|(name, value)| {
        let negated = matches!(name.as_str(), "no-time-sync" | "notime-sync");
        if name != "time-sync" && !negated {
            return None;
        }
        Some(match parse_bool(value.as_deref()) {
            Ok(b) => Ok(b != negated),
            Err(problem) => Err(OptionError { option: "time-sync", value: value.clone().unwrap_or_default(), problem }),
        })
    })
}

/// The option values as VLC handed them to us (`None`: variable missing).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawOptions {
    pub video_prerender: Option<String>,
    pub video_postrender: Option<String>,
    pub video_data: Option<String>,
    pub audio_prerender: Option<String>,
    pub audio_postrender: Option<String>,
    pub audio_data: Option<String>,
    pub time_sync: Option<bool>,
}

impl RawOptions {
    /// An address option written empty in the chain (`name=` or a bare
    /// `name`) reaches VLC's variables as the default "0", which would hide
    /// the mistake; it is taken as the empty value it is, and refused.
    pub fn take_empty_chain_values(&mut self, entries: &[(String, Option<String>)]) {
        let fields = [
            ("video-prerender-callback", &mut self.video_prerender),
            ("video-postrender-callback", &mut self.video_postrender),
            ("video-data", &mut self.video_data),
            ("audio-prerender-callback", &mut self.audio_prerender),
            ("audio-postrender-callback", &mut self.audio_postrender),
            ("audio-data", &mut self.audio_data),
        ];
        for (name, field) in fields {
            let last = entries.iter().rev().find(|(n, _)| n == name);
            if let Some((_, value)) = last {
                if value.as_deref().is_none_or(str::is_empty) {
                    *field = Some(String::new());
                }
            }
        }
    }
}

/// A prerender/postrender pair and its data pointer, as addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallbackAddresses {
    pub prerender: usize,
    pub postrender: usize,
    pub data: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub video: Option<CallbackAddresses>,
    pub audio: Option<CallbackAddresses>,
    pub time_sync: bool,
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

/// Parses one option; "0" (the default) and a missing variable mean unset.
fn address(option: &'static str, value: &Option<String>, errors: &mut Vec<OptionError>) -> Option<usize> {
    let value = value.as_deref().unwrap_or("0");
    match parse_address(value) {
        Ok(address) => Some(address),
        Err(e) => {
            errors.push(OptionError { option, value: value.to_owned(), problem: e.to_string() });
            None
        }
    }
}

fn pair(
    kind: &'static str,
    names: [&'static str; 3],
    values: [&Option<String>; 3],
    errors: &mut Vec<OptionError>,
) -> Option<CallbackAddresses> {
    let prerender = address(names[0], values[0], errors);
    let postrender = address(names[1], values[1], errors);
    let data = address(names[2], values[2], errors);
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

/// Validates all options at once, so every bad value is reported.
pub fn validate(raw: &RawOptions) -> Result<Options, Vec<OptionError>> {
    let mut errors = Vec::new();
    let video = pair(
        "video",
        ["video-prerender-callback", "video-postrender-callback", "video-data"],
        [&raw.video_prerender, &raw.video_postrender, &raw.video_data],
        &mut errors,
    );
    let audio = pair(
        "audio",
        ["audio-prerender-callback", "audio-postrender-callback", "audio-data"],
        [&raw.audio_prerender, &raw.audio_postrender, &raw.audio_data],
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Options { video, audio, time_sync: raw.time_sync.unwrap_or(true) })
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
        RawOptions {
            video_prerender: Some(vpre.into()),
            video_postrender: Some(vpost.into()),
            video_data: Some("0".into()),
            audio_prerender: Some(apre.into()),
            audio_postrender: Some(apost.into()),
            audio_data: Some("0".into()),
            time_sync: Some(false),
        }
    }

    #[test]
    fn pairs_and_defaults() {
        let opts = validate(&raw("10", "20", "0", "0")).unwrap();
        assert_eq!(opts.video, Some(CallbackAddresses { prerender: 10, postrender: 20, data: 0 }));
        assert_eq!(opts.audio, None);
        assert!(!opts.time_sync);
        // Missing variables behave as the declared defaults.
        let opts = validate(&RawOptions::default()).unwrap();
        assert_eq!((opts.video, opts.audio, opts.time_sync), (None, None, true));
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
    fn time_sync_is_read_from_the_chain_value() {
        let entry = |n: &str, v: Option<&str>| (n.to_owned(), v.map(str::to_owned));
        let sync = |e: &[(String, Option<String>)]| chain_time_sync(e).map(|r| r.map_err(|e| e.option));
        assert_eq!(sync(&[]), None);
        assert_eq!(sync(&[entry("video-data", Some("1"))]), None);
        assert_eq!(sync(&[entry("time-sync", Some("false"))]), Some(Ok(false)));
        assert_eq!(sync(&[entry("time-sync", Some("0"))]), Some(Ok(false)));
        assert_eq!(sync(&[entry("time-sync", Some("TRUE"))]), Some(Ok(true)));
        assert_eq!(sync(&[entry("time-sync", None)]), Some(Ok(true)));
        assert_eq!(sync(&[entry("no-time-sync", None)]), Some(Ok(false)));
        assert_eq!(sync(&[entry("notime-sync", None)]), Some(Ok(false)));
        assert_eq!(sync(&[entry("time-sync", Some("no")), entry("time-sync", Some("yes"))]), Some(Ok(true)));
        assert_eq!(sync(&[entry("time-sync", Some("maybe"))]), Some(Err("time-sync")));
    }

    #[test]
    fn empty_chain_values_are_refused_not_defaulted() {
        let entry = |n: &str, v: Option<&str>| (n.to_owned(), v.map(str::to_owned));
        let mut r = raw("0", "20", "0", "0");
        r.take_empty_chain_values(&[entry("video-prerender-callback", Some("")), entry("audio-data", None)]);
        let errors = validate(&r).unwrap_err();
        let refused: Vec<_> = errors.iter().map(|e| (e.option, e.value.as_str())).collect();
        assert_eq!(refused, [("video-prerender-callback", ""), ("audio-data", "")]);
        assert!(errors[0].to_string().contains("it is empty"));
        // A value that is there is left as VLC parsed it.
        let mut r = raw("10", "20", "0", "0");
        r.take_empty_chain_values(&[entry("video-prerender-callback", Some("10"))]);
        assert!(validate(&r).is_ok());
    }

    #[test]
    fn data_pointers_are_parsed_too() {
        let mut r = raw("10", "20", "0", "0");
        r.video_data = Some("12abc".into());
        assert_eq!(validate(&r).unwrap_err()[0].option, "video-data");
        r.video_data = Some("0".into());
        assert_eq!(validate(&r).unwrap().video.unwrap().data, 0);
    }
}
