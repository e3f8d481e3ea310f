//! How a finished command's output is framed for the model: the reference's text and JSON
//! shapes, with exit code, wall time and the output cut to the model's policy.

use std::time::Duration;

use crate::model_family::TruncationPolicy;
use crate::truncate::truncate_text;
use crate::truncate::truncate_with_line_count;

/// Seconds to a tenth, as the reference reports them.
fn tenths(duration: Duration) -> f32 {
    (duration.as_secs_f32() * 10.0).round() / 10.0
}

/// The reference's text framing of a finished command for the model: exit code, wall time
/// and the output, its middle cut to `policy` (with the line count when that changed it).
pub(crate) fn frame_exec_output(
    exit_code: i32,
    duration: Duration,
    output: &str,
    policy: TruncationPolicy,
) -> String {
    let seconds = tenths(duration);
    let mut sections = vec![
        format!("Exit code: {exit_code}"),
        format!("Wall time: {seconds} seconds"),
    ];
    let truncated = truncate_text(output, policy);
    let lines = output.lines().count();
    if lines != truncated.lines().count() {
        sections.push(format!("Total output lines: {lines}"));
    }
    sections.push("Output:".to_owned());
    sections.push(truncated);
    sections.join("\n")
}

/// The reference's JSON framing of a finished command (the `shell` tool for models without a
/// freeform `apply_patch`): the output, cut to `policy` under a `Total output lines` head, and
/// its exit code and duration.
pub(crate) fn frame_exec_output_json(
    exit_code: i32,
    duration: Duration,
    output: &str,
    policy: TruncationPolicy,
) -> String {
    // Field order and the `f32` (`0.2`, not `0.20000000298023224`) are the reference's.
    #[derive(serde::Serialize)]
    struct Metadata {
        exit_code: i32,
        duration_seconds: f32,
    }
    #[derive(serde::Serialize)]
    struct Framed {
        output: String,
        metadata: Metadata,
    }
    let framed = Framed {
        output: truncate_with_line_count(output, policy),
        metadata: Metadata {
            exit_code,
            duration_seconds: tenths(duration),
        },
    };
    serde_json::to_string(&framed).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn frames_as_the_reference_does() {
        let policy = TruncationPolicy::Bytes(10_000);
        let quick = Duration::from_millis(20);
        assert_eq!(
            frame_exec_output(3, quick, "bad\n", policy),
            "Exit code: 3\nWall time: 0 seconds\nOutput:\nbad\n"
        );
        assert_eq!(
            frame_exec_output_json(0, Duration::from_millis(210), "hi\n", policy),
            r#"{"output":"hi\n","metadata":{"exit_code":0,"duration_seconds":0.2}}"#
        );
        assert_eq!(
            frame_exec_output_json(3, quick, "1\n2\n3\n4\n", TruncationPolicy::Bytes(4)),
            r#"{"output":"Total output lines: 4\n\n1\n…4 chars truncated…4\n","metadata":{"exit_code":3,"duration_seconds":0.0}}"#
        );
        assert_eq!(
            frame_exec_output(0, quick, "1\n2\n3\n4\n", TruncationPolicy::Bytes(4)),
            "Exit code: 0\nWall time: 0 seconds\nTotal output lines: 4\nOutput:\n1\n…4 chars truncated…4\n"
        );
    }
}
