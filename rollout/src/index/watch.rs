//! What other processes do to the folders that hold rollouts, as the kernel reports it (inotify):
//! files appended to, and files created, deleted or moved, so that a list sees them without a
//! stat of every file or a listing of every folder.
//!
//! Appending changes no folder's mtime, so without this only the files written in the last
//! hour and the periodic sweep catch an old rollout that another program (the reference
//! resuming it) appends to. And a folder whose mtime is too recent to trust (see
//! [`super::refresh`]) would be listed again at every look. A folder is watched before its
//! files are checked, so a change made after a check always leaves an event; events are read
//! without blocking at each refresh, and a write that returned before a list began is reported
//! to that list. When the kernel's queue overflows, or watching is not possible (another OS, the
//! watch limit), the watcher says so and the caller falls back to folder mtimes and sweeps.

use std::collections::HashMap;
use std::collections::HashSet;
use std::path::Path;
use std::path::PathBuf;

/// What the watcher has to say since it was last asked.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Changes {
    /// Rollout files modified (written to, or their times set).
    pub(super) files: HashSet<PathBuf>,
    /// Watched folders whose entries changed (a file created, deleted or moved in or out), or
    /// which moved or vanished themselves (and are no longer watched).
    pub(super) folders: HashSet<PathBuf>,
    /// Some changes may have been missed: the queue overflowed.
    pub(super) missed: bool,
}

#[cfg(target_os = "linux")]
pub(super) use linux::Watcher;

#[cfg(not(target_os = "linux"))]
pub(super) use other::Watcher;

#[cfg(target_os = "linux")]
mod linux {
    use nix::errno::Errno;
    use nix::sys::inotify::AddWatchFlags;
    use nix::sys::inotify::InitFlags;
    use nix::sys::inotify::Inotify;
    use nix::sys::inotify::WatchDescriptor;

    use super::*;

    /// One inotify instance watching the rollout folders.
    #[derive(Debug)]
    pub(in crate::index) struct Watcher {
        inotify: Option<Inotify>,
        folders: HashMap<WatchDescriptor, PathBuf>,
        watched: HashSet<PathBuf>,
    }

    impl Default for Watcher {
        fn default() -> Self {
            let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)
                .inspect_err(|err| tracing::warn!("cannot watch the rollout folders: {err}"))
                .ok();
            Watcher {
                inotify,
                folders: HashMap::new(),
                watched: HashSet::new(),
            }
        }
    }

    impl Watcher {
        /// Watches `dir` for modified files, once. Says whether it is watched.
        pub(in crate::index) fn watch(&mut self, dir: &Path) -> bool {
            if self.watched.contains(dir) {
                return true;
            }
            let Some(inotify) = &self.inotify else {
                return false;
            };
            let flags = AddWatchFlags::IN_MODIFY
                | AddWatchFlags::IN_ATTRIB
                | AddWatchFlags::IN_CREATE
                | AddWatchFlags::IN_DELETE
                | AddWatchFlags::IN_MOVED_FROM
                | AddWatchFlags::IN_MOVED_TO
                | AddWatchFlags::IN_MOVE_SELF
                | AddWatchFlags::IN_DELETE_SELF
                | AddWatchFlags::IN_ONLYDIR;
            match inotify.add_watch(dir, flags) {
                Ok(wd) => {
                    self.folders.insert(wd, dir.to_path_buf());
                    self.watched.insert(dir.to_path_buf());
                    true
                }
                Err(err) => {
                    tracing::debug!("cannot watch {}: {err}", dir.display());
                    false
                }
            }
        }

        /// Whether `dir` is watched now.
        pub(in crate::index) fn watching(&self, dir: &Path) -> bool {
            self.watched.contains(dir)
        }

        /// What changed since the last call, without waiting.
        pub(in crate::index) fn changes(&mut self) -> Changes {
            let mut changes = Changes::default();
            let Some(inotify) = &self.inotify else {
                changes.missed = true;
                return changes;
            };
            loop {
                let events = match inotify.read_events() {
                    Ok(events) => events,
                    Err(Errno::EAGAIN) => return changes,
                    Err(err) => {
                        tracing::warn!("cannot read the rollout folders' changes: {err}");
                        changes.missed = true;
                        return changes;
                    }
                };
                for event in events {
                    if event.mask.contains(AddWatchFlags::IN_Q_OVERFLOW) {
                        changes.missed = true;
                    }
                    let gone = AddWatchFlags::IN_IGNORED | AddWatchFlags::IN_MOVE_SELF;
                    if event.mask.intersects(gone) {
                        // The folder is gone (or, moved, no longer where its path says): a new
                        // one at its path is watched afresh.
                        if let Some(dir) = self.folders.remove(&event.wd) {
                            if event.mask.contains(AddWatchFlags::IN_MOVE_SELF) {
                                let _ = inotify.rm_watch(event.wd);
                            }
                            self.watched.remove(&dir);
                            changes.folders.insert(dir);
                        }
                        continue;
                    }
                    let Some(dir) = self.folders.get(&event.wd) else {
                        continue;
                    };
                    let entries = AddWatchFlags::IN_CREATE
                        | AddWatchFlags::IN_DELETE
                        | AddWatchFlags::IN_MOVED_FROM
                        | AddWatchFlags::IN_MOVED_TO
                        | AddWatchFlags::IN_DELETE_SELF;
                    if event.mask.intersects(entries) {
                        changes.folders.insert(dir.clone());
                    } else if let Some(name) = event.name {
                        changes.files.insert(dir.join(name));
                    }
                }
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod other {
    use super::*;

    /// No watching here: every refresh says changes may have been missed.
    #[derive(Debug, Default)]
    pub(in crate::index) struct Watcher;

    impl Watcher {
        pub(in crate::index) fn watch(&mut self, _dir: &Path) -> bool {
            false
        }

        pub(in crate::index) fn watching(&self, _dir: &Path) -> bool {
            false
        }

        pub(in crate::index) fn changes(&mut self) -> Changes {
            Changes {
                missed: true,
                ..Changes::default()
            }
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn writes_and_new_times_in_watched_folders_are_reported_once() {
        let dir = tempfile::tempdir().unwrap();
        let quiet = dir.path().join("quiet.jsonl");
        let busy = dir.path().join("busy.jsonl");
        std::fs::write(&quiet, "a\n").unwrap();
        std::fs::write(&busy, "a\n").unwrap();
        let mut watcher = Watcher::default();
        assert!(watcher.watch(dir.path()));
        assert!(watcher.watching(dir.path()));
        assert_eq!(watcher.changes(), Changes::default());

        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&busy)
            .unwrap();
        std::io::Write::write_all(&mut file, b"b\n").unwrap();
        assert_eq!(
            watcher.changes(),
            Changes {
                files: HashSet::from([busy.clone()]),
                ..Changes::default()
            }
        );
        assert_eq!(watcher.changes(), Changes::default());

        file.set_modified(std::time::SystemTime::UNIX_EPOCH)
            .unwrap();
        assert_eq!(watcher.changes().files, HashSet::from([busy]));
    }

    #[test]
    fn new_deleted_and_moved_entries_mark_their_folder() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("day");
        std::fs::create_dir(&dir).unwrap();
        let mut watcher = Watcher::default();
        assert!(watcher.watch(&dir));
        let folder_changed = || Changes {
            folders: HashSet::from([dir.clone()]),
            ..Changes::default()
        };

        let file = dir.join("a.jsonl");
        std::fs::File::create(&file).unwrap();
        assert_eq!(watcher.changes(), folder_changed());
        let moved = root.path().join("a.jsonl");
        std::fs::rename(&file, &moved).unwrap();
        assert_eq!(watcher.changes(), folder_changed());
        std::fs::rename(&moved, &file).unwrap();
        assert_eq!(watcher.changes(), folder_changed());
        std::fs::remove_file(&file).unwrap();
        assert_eq!(watcher.changes(), folder_changed());

        // The folder itself moved away: no longer watched, and said so.
        std::fs::rename(&dir, root.path().join("elsewhere")).unwrap();
        assert_eq!(watcher.changes(), folder_changed());
        assert!(!watcher.watching(&dir));
    }
}
