//! Where rollouts live and how they are named, as the reference does it:
//! `sessions/YYYY/MM/DD/rollout-YYYY-MM-DDThh-mm-ss-<thread id>.jsonl`, or flat in
//! `archived_sessions/` under the same file name.

use std::path::Path;
use std::path::PathBuf;

use codex_protocol::ThreadId;
use time::OffsetDateTime;
use time::PrimitiveDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

pub(crate) const SESSIONS_DIR: &str = "sessions";
pub(crate) const ARCHIVED_DIR: &str = "archived_sessions";

/// The timestamp inside a rollout file name; also the spelling of the reference's cursors.
pub(crate) const FILE_TIMESTAMP: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]-[minute]-[second]");

/// The file name of a rollout started at `start` (the reference uses local time).
pub(crate) fn file_name(id: ThreadId, start: OffsetDateTime) -> String {
    let stamp = start
        .format(FILE_TIMESTAMP)
        .unwrap_or_else(|_| String::from("1970-01-01T00-00-00"));
    format!("rollout-{stamp}-{id}.jsonl")
}

/// The start time and thread id a rollout file name carries, or `None` for any other file.
pub(crate) fn parse_file_name(name: &str) -> Option<(PrimitiveDateTime, ThreadId)> {
    let core = name.strip_prefix("rollout-")?.strip_suffix(".jsonl")?;
    // A UUID is 36 characters; the timestamp and a '-' come before it.
    let split = core.len().checked_sub(36)?;
    let (stamp, id) = core.split_at(split);
    let stamp = stamp.strip_suffix('-')?;
    let stamp = parse_plain_stamp(stamp)
        .or_else(|| PrimitiveDateTime::parse(stamp, FILE_TIMESTAMP).ok())?;
    Some((stamp, id.parse().ok()?))
}

/// A [`FILE_TIMESTAMP`] as this crate and the reference write it, read without the general
/// parser, which cost a folder's listing more than listing it: every name is parsed. `None`
/// for anything else, which the general parser then reads (or refuses).
fn parse_plain_stamp(stamp: &str) -> Option<PrimitiveDateTime> {
    let bytes = stamp.as_bytes();
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b'-'), (16, b'-')];
    if bytes.len() != 19 || separators.iter().any(|&(at, byte)| bytes[at] != byte) {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<u16> {
        bytes[from..to].iter().try_fold(0u16, |value, byte| {
            byte.is_ascii_digit()
                .then(|| value * 10 + u16::from(byte - b'0'))
        })
    };
    let two = |from: usize| number(from, from + 2).and_then(|value| u8::try_from(value).ok());
    let month = time::Month::try_from(two(5)?).ok()?;
    let date = time::Date::from_calendar_date(i32::from(number(0, 4)?), month, two(8)?).ok()?;
    let time = time::Time::from_hms(two(11)?, two(14)?, two(17)?).ok()?;
    Some(PrimitiveDateTime::new(date, time))
}

/// Where the live rollout of `id`, started at `start`, is written. A writer that must know the
/// path before the file exists (to answer with it at once) asks here, so the name cannot drift
/// from the one [`crate::RolloutStore::create`] uses.
pub fn rollout_path(codex_home: &Path, id: ThreadId, start: OffsetDateTime) -> PathBuf {
    day_folder(codex_home, start.year(), start.month(), start.day()).join(file_name(id, start))
}

/// The day folder of a live rollout with this file name.
pub(crate) fn live_path(codex_home: &Path, file_name: &str) -> Option<PathBuf> {
    let (stamp, _) = parse_file_name(file_name)?;
    Some(day_folder(codex_home, stamp.year(), stamp.month(), stamp.day()).join(file_name))
}

/// `sessions/YYYY/MM/DD` under `codex_home`.
fn day_folder(codex_home: &Path, year: i32, month: time::Month, day: u8) -> PathBuf {
    codex_home
        .join(SESSIONS_DIR)
        .join(format!("{year:04}"))
        .join(format!("{:02}", u8::from(month)))
        .join(format!("{day:02}"))
}

/// The folders directly inside `dir`. A missing `dir` holds none.
pub(crate) fn subfolders(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    Ok(entries(dir)?
        .into_iter()
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
        .map(|entry| entry.path())
        .collect())
}

/// The rollout files directly inside `dir` (by their names). A missing `dir` holds none.
pub(crate) fn rollout_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    Ok(named_rollouts(dir)?
        .into_iter()
        .map(|(_, _, name)| dir.join(name))
        .collect())
}

/// The rollout files directly inside `dir`, each with what its name says (start time and thread
/// id), and the name. A missing `dir` holds none.
pub(crate) fn named_rollouts(
    dir: &Path,
) -> std::io::Result<Vec<(PrimitiveDateTime, ThreadId, std::ffi::OsString)>> {
    Ok(entries(dir)?
        .into_iter()
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
        .filter_map(|entry| {
            let name = entry.file_name();
            let (at, id) = parse_file_name(name.to_str()?)?;
            Some((at, id, name))
        })
        .collect())
}

/// The rollout of thread `id` by its file name, live ones first, walking the folders (newest
/// day first) without the index.
pub(crate) fn find_by_id(codex_home: &Path, id: ThreadId) -> Option<PathBuf> {
    let suffix = format!("-{id}.jsonl");
    let named = |dir: &Path| {
        let files = rollout_files(dir).ok()?;
        files.into_iter().find(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.ends_with(&suffix))
        })
    };
    let newest_first = |dir: &Path| {
        let mut found = subfolders(dir).unwrap_or_default();
        found.sort_by(|a, b| b.cmp(a));
        found
    };
    for year in newest_first(&codex_home.join(SESSIONS_DIR)) {
        for month in newest_first(&year) {
            for day in newest_first(&month) {
                if let Some(path) = named(&day) {
                    return Some(path);
                }
            }
        }
    }
    named(&codex_home.join(ARCHIVED_DIR))
}

fn entries(dir: &Path) -> std::io::Result<Vec<std::fs::DirEntry>> {
    match std::fs::read_dir(dir) {
        // Entries that vanish while being listed are simply not there.
        Ok(entries) => Ok(entries.filter_map(Result::ok).collect()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(err) => Err(err),
    }
}

pub(crate) fn is_rollout_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| parse_file_name(name).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use time::macros::datetime;

    #[test]
    fn plain_stamps_read_as_the_general_parser_reads_them() {
        let stamps = [
            "2025-01-31T23-59-59",
            "2024-02-29T00-00-00",
            "2023-02-29T00-00-00",
            "2025-13-01T00-00-00",
            "2025-00-10T00-00-00",
            "2025-04-31T10-00-00",
            "2025-04-30T24-00-00",
            "2025-04-30T23-60-00",
            "2025-04-30T23-00-60",
            "2025-4-30T23-00-00x",
            "2025-04-30 23-00-00",
            "2025-04-30T23:00:00",
            "+2025-04-30T23-00-0",
            "2025-04-30T23-00-\u{e9}",
            "",
        ];
        for stamp in stamps {
            let general = PrimitiveDateTime::parse(stamp, FILE_TIMESTAMP).ok();
            let plain = parse_plain_stamp(stamp);
            assert!(plain.is_none() || plain == general, "{stamp}");
        }
        assert_eq!(
            parse_plain_stamp("2025-01-31T23-59-59"),
            Some(datetime!(2025-01-31 23:59:59))
        );
        assert_eq!(parse_plain_stamp("2023-02-29T00-00-00"), None);
    }

    #[test]
    fn names_round_trip() {
        let id: ThreadId = "01a20b3d-9c0b-7013-ad7f-e4e60e59123d".parse().unwrap();
        let name = file_name(id, datetime!(2026-11-24 01:48:36.747 UTC));
        assert_eq!(
            name,
            "rollout-2026-11-24T01-48-36-01a20b3d-9c0b-7013-ad7f-e4e60e59123d.jsonl"
        );
        assert_eq!(
            parse_file_name(&name),
            Some((datetime!(2026-11-24 01:48:36), id))
        );
        assert_eq!(
            live_path(Path::new("/h"), &name).unwrap(),
            Path::new("/h/sessions/2026/11/24").join(&name)
        );
        assert_eq!(parse_file_name("rollout-nope.jsonl"), None);
        assert_eq!(parse_file_name("session_index.jsonl"), None);
    }
}
