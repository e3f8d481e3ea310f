//! Durations for humans, in the reference's compact format: milliseconds under a second,
//! seconds with two decimals under a minute, then minutes and zero-padded seconds.
//!
//! ```
//! use std::time::Duration;
//! use codex_utils_elapsed::format_duration;
//!
//! assert_eq!(format_duration(Duration::from_millis(850)), "850ms");
//! assert_eq!(format_duration(Duration::from_millis(1_500)), "1.50s");
//! assert_eq!(format_duration(Duration::from_secs(65)), "1m 05s");
//! ```

use std::time::Duration;
use std::time::Instant;

/// Formats `duration` as `850ms`, `1.50s` or `1m 05s`. Minutes do not roll over into hours
/// (`60m 01s`), and the sub-second part is truncated to whole milliseconds.
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1_000 {
        format!("{millis}ms")
    } else if millis < 60_000 {
        // From whole milliseconds, as the reference does, so 1.4999s prints as 1.50s.
        format!("{:.2}s", millis as f64 / 1_000.0)
    } else {
        let minutes = millis / 60_000;
        let seconds = millis % 60_000 / 1_000;
        format!("{minutes}m {seconds:02}s")
    }
}

/// Formats the time since `start`, as [`format_duration`] does.
pub fn format_elapsed(start: Instant) -> String {
    format_duration(start.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn check(millis: u64, expected: &str) {
        assert_eq!(
            format_duration(Duration::from_millis(millis)),
            expected,
            "{millis}ms"
        );
    }

    #[test]
    fn milliseconds_below_a_second() {
        check(0, "0ms");
        check(250, "250ms");
        check(999, "999ms");
        assert_eq!(format_duration(Duration::from_micros(999_999)), "999ms");
    }

    #[test]
    fn seconds_below_a_minute() {
        check(1_000, "1.00s");
        check(1_500, "1.50s");
        check(12_345, "12.35s");
        // Rounds to two decimals rather than switching to minutes early.
        check(59_999, "60.00s");
    }

    #[test]
    fn minutes_and_padded_seconds() {
        check(60_000, "1m 00s");
        check(65_000, "1m 05s");
        check(75_999, "1m 15s");
        check(3_600_000, "60m 00s");
        check(3_601_000, "60m 01s");
    }

    #[test]
    fn elapsed_since_an_instant() {
        assert!(format_elapsed(Instant::now()).ends_with("ms"));
    }
}
