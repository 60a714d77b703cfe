//! What an RTSP input is asked to do: the URL without its credentials, the
//! credentials (from the URL, else `rtsp-user` and `rtsp-pwd`), the
//! transport and the time limits. The password is kept out of every text
//! this module makes.

use std::fmt;
use std::time::Duration;

use smem_names::redact_url;

/// Default for `rtsp-connect-timeout`: to connect and have each of DESCRIBE, SETUP
/// and PLAY answered.
pub const DEFAULT_TIMEOUT_MS: i64 = 5_000;
/// Default for `rtsp-idle-timeout`: live555 gave up after 10 s without data.
pub const DEFAULT_IDLE_TIMEOUT_MS: i64 = 10_000;
/// Default for `rtsp-reconnect`: a minute, long enough for a camera to
/// reboot or a link to come back, short enough that a camera gone for good
/// ends the input with a clear error.
pub const DEFAULT_RECONNECT_MS: i64 = 60_000;
/// Default for `rtsp-tcp`: RTP interleaved in the RTSP connection. retina's
/// UDP has no reorder buffer and sends no receiver reports (fine on a LAN).
pub const DEFAULT_TCP: bool = true;

#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials {{ user: {:?}, password: <hidden> }}", self.user)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// The URL with no user or password in it: what is logged and sent.
    pub url: url::Url,
    pub credentials: Option<Credentials>,
    pub tcp: bool,
    pub timeout: Duration,
    pub idle_timeout: Duration,
    pub reconnect: Reconnect,
}

/// What the input does when the connection is lost after it played.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reconnect {
    /// Ends, as an input with no reconnect.
    Never,
    /// Tries again for so long after the loss.
    For(Duration),
    Forever,
}

impl Reconnect {
    /// `rtsp-reconnect` in milliseconds: 0 never, -1 forever.
    fn from_ms(value: Option<i64>, warnings: &mut Vec<String>) -> Reconnect {
        match value.unwrap_or(DEFAULT_RECONNECT_MS) {
            0 => Reconnect::Never,
            -1 => Reconnect::Forever,
            ms if ms > 0 => Reconnect::For(Duration::from_millis(ms as u64)),
            ms => {
                let (name, default) = (smem_names::rtsp::RECONNECT, DEFAULT_RECONNECT_MS);
                warnings.push(format!(
                    "{name}={ms} is not a time (milliseconds, 0 for never, -1 for ever); {default} is used"
                ));
                Reconnect::For(Duration::from_millis(default as u64))
            }
        }
    }
}

/// The options as VLC's variables hold them (`None`: unset or empty).
#[derive(Clone, Debug, Default)]
pub struct RawOptions {
    pub user: Option<String>,
    pub password: Option<String>,
    pub tcp: Option<bool>,
    pub timeout_ms: Option<i64>,
    pub idle_timeout_ms: Option<i64>,
    pub reconnect_ms: Option<i64>,
}

/// Why a URL cannot be played; the text never holds the password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadUrl(pub String);

impl fmt::Display for BadUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn millis(value: Option<i64>, default: i64, name: &str, errors: &mut Vec<String>) -> Duration {
    match value {
        Some(ms) if ms > 0 => Duration::from_millis(ms as u64),
        Some(ms) => {
            errors.push(format!("{name}={ms} is not a time (milliseconds above 0); {default} is used"));
            Duration::from_millis(default as u64)
        }
        None => Duration::from_millis(default as u64),
    }
}

impl Settings {
    /// The settings for `url` and the options; `warnings` gets what was set
    /// wrong and replaced by its default.
    pub fn new(url: &str, raw: &RawOptions, warnings: &mut Vec<String>) -> Result<Settings, BadUrl> {
        let mut parsed =
            url::Url::parse(url).map_err(|e| BadUrl(format!("cannot read the URL {}: {e}", redact_url(url))))?;
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(BadUrl(format!("the URL {} names no host", redact_url(url))));
        }
        // The URL's user info comes %-encoded; bytes that are not UTF-8 are replaced.
        let decode = |text: &str| percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned();
        let in_url = (!parsed.username().is_empty() || parsed.password().is_some()).then(|| Credentials {
            user: decode(parsed.username()),
            password: parsed.password().map(decode).unwrap_or_default(),
        });
        let from_options =
            raw.user.clone().map(|user| Credentials { user, password: raw.password.clone().unwrap_or_default() });
        let credentials = in_url.or(from_options);
        // Neither can fail on a URL with a host.
        let _ = parsed.set_username("");
        let _ = parsed.set_password(None);
        Ok(Settings {
            url: parsed,
            credentials,
            tcp: raw.tcp.unwrap_or(DEFAULT_TCP),
            timeout: millis(raw.timeout_ms, DEFAULT_TIMEOUT_MS, smem_names::rtsp::TIMEOUT.as_str(), warnings),
            idle_timeout: millis(
                raw.idle_timeout_ms,
                DEFAULT_IDLE_TIMEOUT_MS,
                smem_names::rtsp::IDLE_TIMEOUT.as_str(),
                warnings,
            ),
            reconnect: Reconnect::from_ms(raw.reconnect_ms, warnings),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str, raw: RawOptions) -> Settings {
        Settings::new(url, &raw, &mut Vec::new()).unwrap()
    }

    #[test]
    fn credentials_come_from_the_url_first_and_leave_it() {
        let s = settings("rtsp://admin:p%40ss@10.0.0.2:554/live?ch=1", RawOptions::default());
        assert_eq!(s.credentials, Some(Credentials { user: "admin".into(), password: "p@ss".into() }));
        assert_eq!(s.url.as_str(), "rtsp://10.0.0.2:554/live?ch=1");
        let options = RawOptions { user: Some("u".into()), password: Some("pw".into()), ..Default::default() };
        let s = settings("rtsp://cam/live", options.clone());
        assert_eq!(s.credentials, Some(Credentials { user: "u".into(), password: "pw".into() }));
        let s = settings("rtsp://me:secret@cam/live", options);
        assert_eq!(s.credentials.unwrap().user, "me", "the URL's win, as with live555");
    }

    #[test]
    fn a_password_is_never_shown() {
        let c = Credentials { user: "admin".into(), password: "hunter2".into() };
        assert!(!format!("{c:?}").contains("hunter2"));
        assert_eq!(redact_url("rtsp://admin:hunter2@cam:554/a@b"), "rtsp://admin:***@cam:554/a@b");
        assert_eq!(redact_url("rtsp://cam/x"), "rtsp://cam/x");
        let err = Settings::new("rtsp://admin:hunter2@", &RawOptions::default(), &mut Vec::new()).unwrap_err();
        assert!(!err.0.contains("hunter2"), "{err}");
    }

    #[test]
    fn defaults_and_bad_times() {
        let s = settings("rtsp://127.0.0.1:8554/test", RawOptions::default());
        assert!(s.tcp);
        assert_eq!(s.timeout, Duration::from_millis(DEFAULT_TIMEOUT_MS as u64));
        assert_eq!(s.idle_timeout, Duration::from_millis(DEFAULT_IDLE_TIMEOUT_MS as u64));
        let mut warnings = Vec::new();
        let raw =
            RawOptions { tcp: Some(false), timeout_ms: Some(-1), idle_timeout_ms: Some(1500), ..Default::default() };
        let s = Settings::new("rtsp://h/x", &raw, &mut warnings).unwrap();
        assert!(!s.tcp);
        assert_eq!(s.timeout, Duration::from_millis(DEFAULT_TIMEOUT_MS as u64));
        assert_eq!(s.idle_timeout, Duration::from_millis(1500));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(Settings::new("rtsp://", &RawOptions::default(), &mut Vec::new()).is_err());
    }

    #[test]
    fn reconnect_for_a_while_never_or_for_ever() {
        let reconnect = |ms| {
            let mut warnings = Vec::new();
            let raw = RawOptions { reconnect_ms: ms, ..Default::default() };
            (Settings::new("rtsp://h/x", &raw, &mut warnings).unwrap().reconnect, warnings.len())
        };
        let default = Reconnect::For(Duration::from_millis(DEFAULT_RECONNECT_MS as u64));
        assert_eq!(reconnect(None), (default, 0));
        assert_eq!(reconnect(Some(0)), (Reconnect::Never, 0));
        assert_eq!(reconnect(Some(-1)), (Reconnect::Forever, 0));
        assert_eq!(reconnect(Some(2500)), (Reconnect::For(Duration::from_millis(2500)), 0));
        assert_eq!(reconnect(Some(-7)), (default, 1), "a bad value: the default, and a warning");
    }
}
