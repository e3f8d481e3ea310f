//! Appends that other processes make to rollouts, as the kernel reports them (inotify on the
//! folders that hold rollouts), so that a list sees them without a stat of every file.
//!
//! Appending changes no folder's mtime, so without this only the files written in the last
//! hour and the periodic sweep catch an old rollout that another program (the reference
//! resuming it) appends to. A folder is watched before its files are checked, so a change made
//! after a check always leaves an event; events are read without blocking at each refresh, and
//! a write that returned before a list began is reported to that list. When the kernel's queue
//! overflows, or watching is not possible (another OS, the watch limit), the watcher says so and
//! the caller falls back to a sweep.

use std::collections::HashMap;
use std::collections::HashSet;
use std::path::Path;
use std::path::PathBuf;

/// What the watcher has to say since it was last asked.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Changes {
    /// Rollout files modified (written to, or their times set).
    pub(super) files: HashSet<PathBuf>,
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
            let flags =
                AddWatchFlags::IN_MODIFY | AddWatchFlags::IN_ATTRIB | AddWatchFlags::IN_ONLYDIR;
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

        /// The files modified since the last call, without waiting.
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
                    if event.mask.contains(AddWatchFlags::IN_IGNORED) {
                        // The folder is gone; a new one of the same name is watched afresh.
                        if let Some(dir) = self.folders.remove(&event.wd) {
                            self.watched.remove(&dir);
                        }
                        continue;
                    }
                    let (Some(dir), Some(name)) = (self.folders.get(&event.wd), event.name) else {
                        continue;
                    };
                    changes.files.insert(dir.join(name));
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

        pub(in crate::index) fn changes(&mut self) -> Changes {
            Changes {
                files: HashSet::new(),
                missed: true,
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
                missed: false
            }
        );
        assert_eq!(watcher.changes(), Changes::default());

        file.set_modified(std::time::SystemTime::UNIX_EPOCH)
            .unwrap();
        assert_eq!(watcher.changes().files, HashSet::from([busy]));
    }
}
