//! Writing a file that holds secrets (credentials, tokens): readable by its owner only (0600 on
//! unix) and replaced whole or not at all, so a reader never sees half of it and a crash never
//! leaves a truncated file.
//!
//! ```
//! use codex_utils_private_file::write_private_file;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("nested").join("secret.json");
//! write_private_file(&path, b"{}").unwrap();
//! write_private_file(&path, b"{\"a\":1}").unwrap();
//! assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"a\":1}");
//! ```

use std::io::Write;
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;

/// Replaces `path` with `contents`, creating its folder if needed. The bytes go to a fresh
/// owner-only file beside it, which is then renamed over it; on failure the temp file is
/// removed and `path` is as it was.
pub fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    // The process id keeps other processes' temp files apart, the counter this process's.
    let temp = dir.join(format!(
        ".{name}.{}-{}.tmp",
        std::process::id(),
        NEXT_TEMP.fetch_add(1, Ordering::Relaxed)
    ));
    let result = create_private(&temp, contents).and_then(|()| std::fs::rename(&temp, path));
    if result.is_err() {
        // Nothing useful remains of a half-done write; a leftover temp file is only litter.
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Creates `path`, which must not exist, owner-only, and writes `contents` through to disk.
fn create_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::write_private_file;

    fn names_in(dir: &std::path::Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_file_is_owner_only_and_replaced_by_rename() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.json");
        write_private_file(&path, b"old").unwrap();
        let old = std::fs::File::open(&path).unwrap();

        write_private_file(&path, b"new").unwrap();

        // The open handle still reads the old file: the new one took its name, it was not
        // written in place.
        assert_eq!(std::io::read_to_string(old).unwrap(), "old");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(names_in(dir.path()), vec!["secret.json".to_string()]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_failed_write_leaves_the_target_and_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        // A folder where the file should go: the rename fails.
        let path = dir.path().join("taken");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("inside"), "kept").unwrap();

        assert!(write_private_file(&path, b"new").is_err());

        assert_eq!(names_in(dir.path()), vec!["taken".to_string()]);
        assert_eq!(
            std::fs::read_to_string(path.join("inside")).unwrap(),
            "kept"
        );
    }
}
