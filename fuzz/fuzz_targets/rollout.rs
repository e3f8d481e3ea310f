//! A rollout file as found on disk (torn, edited by hand, written by another version): read
//! whole, scanned for its events, and every line that parses written back and read again.

#![no_main]

use codex_rollout::RolloutItem;
use codex_rollout::RolloutLine;
use codex_rollout::read_rollout;
use codex_rollout::scan_rollout_events;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("rollout.jsonl");
    std::fs::write(&path, data).expect("the rollout");

    let whole = read_rollout(&path);
    let mut events = Vec::new();
    let scanned = scan_rollout_events(&path, |line| events.push(line));

    match (&whole, &scanned) {
        (Ok(whole), Ok(scanned)) => {
            assert_eq!(whole.meta, scanned.meta, "both readers find the same meta");
            // The events scan skips the model's items without parsing them; what it hands over
            // must be exactly what a full read finds.
            let expected: Vec<&RolloutLine> = whole
                .lines
                .iter()
                .filter(|line| {
                    matches!(
                        line.item,
                        RolloutItem::SessionMeta(_) | RolloutItem::EventMsg(_)
                    )
                })
                .collect();
            let found: Vec<&RolloutLine> = events.iter().collect();
            assert_eq!(expected, found, "the events scan and a full read disagree");
            // What the writer would write for a line must read back as the same line.
            for line in &whole.lines {
                let written = serde_json::to_string(line).expect("a line serialises");
                let read: RolloutLine = serde_json::from_str(&written)
                    .unwrap_or_else(|err| panic!("{written} does not read back: {err}"));
                assert_eq!(&read, line, "a line changed on its way through the writer");
            }
        }
        (Err(_), Err(_)) => {}
        (whole, scanned) => {
            panic!("a full read gave {whole:?} but the events scan gave {scanned:?}")
        }
    }
});
