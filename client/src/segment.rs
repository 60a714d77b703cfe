//! The media options that play a segment ([`crate::Grab::segment`]).

use smem_names::mark;

/// How far past the stop VLC is told to read (see [`Grab::segment`]).
pub(crate) const STOP_MARGIN_SECONDS: f64 = 1.0;
/// How far before an exact segment's start VLC is told to start, so that it
/// decodes frames before it whatever the key frames (see smem-rs's
/// `smem_preroll`).
const START_LEAD_SECONDS: f64 = 1.0;

/// The media options of a segment. VLC stops reading at its stop-time and
/// loses the frames its decoders still hold then: it reads on a little, and
/// the cut is made after it. An exact segment starts VLC a little early and
/// has smem-rs's smem_preroll and smem_mark (added with it) cut both ends.
pub(crate) fn segment_options((start, stop): (Option<f64>, Option<f64>), exact: bool) -> Vec<String> {
    let mut options = Vec::new();
    let micros = |s: f64| (s * 1e6).round() as i64;
    match start {
        Some(start) if exact => {
            // Half the start when it is short: VLC seeks only to a time above 0.
            let vlc_start = (start - START_LEAD_SECONDS).max(start / 2.0);
            options.push(format!(":start-time={vlc_start}"));
            options.push(format!(":{}={}", mark::PREROLL_LEAD, micros(start) - micros(vlc_start)));
            if let Some(stop) = stop {
                options.push(format!(":{}={}", mark::PREROLL_LENGTH, micros(stop) - micros(start)));
            }
        }
        Some(start) => options.push(format!(":start-time={start}")),
        None => {}
    }
    if let Some(stop) = stop {
        options.push(format!(":stop-time={}", stop + STOP_MARGIN_SECONDS));
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_start_vlc_early_when_smem_rs_cuts_them() {
        assert_eq!(
            segment_options((Some(60.0), Some(65.0)), true),
            [":start-time=59", ":smem-preroll-lead=1000000", ":smem-preroll-length=5000000", ":stop-time=66"]
        );
        // A short start: VLC seeks only to a time above 0.
        assert_eq!(segment_options((Some(0.5), None), true), [":start-time=0.25", ":smem-preroll-lead=250000"]);
        assert_eq!(segment_options((Some(1.5), Some(2.0)), false), [":start-time=1.5", ":stop-time=3"]);
        assert_eq!(segment_options((None, Some(2.0)), true), [":stop-time=3"]);
        assert!(segment_options((None, None), true).is_empty());
    }
}
