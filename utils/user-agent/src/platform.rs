//! What the user agent says about the machine: the operating system, its version, the
//! architecture and the terminal.
//!
//! On Linux, `os_info` asks `lsb_release`, a shell script that starts half a dozen processes:
//! milliseconds that a server would otherwise spend before it can answer `initialize`. Where
//! that script is one whose output can be computed from the release files, it is (see
//! `lsb_release`); else a server starts detection on a thread of its own, and keeps the answer in
//! a small cache file that is trusted only while the files the answer came from are unchanged.

use std::path::Path;
use std::path::PathBuf;
use std::sync::OnceLock;

/// Facts about where the server runs, gathered once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub os_version: String,
    pub arch: String,
    pub terminal: String,
}

/// The name of the file that keeps a detected platform between runs.
pub const CACHE_FILE: &str = "platform_cache.txt";

/// The platform this process runs on, once detected.
static CURRENT: OnceLock<Platform> = OnceLock::new();
/// Where [`Platform::start_detecting`] said a detected platform is kept between runs.
static CACHE: OnceLock<PathBuf> = OnceLock::new();

impl Platform {
    /// The platform this process runs on. The first call detects it; later calls, and calls
    /// made while another thread detects it, get that one answer.
    pub fn current() -> &'static Platform {
        CURRENT.get_or_init(|| {
            let cache = CACHE.get().map(PathBuf::as_path);
            let detected = detect(cache);
            if let Some((cache, text)) = cache.zip(detected.refreshed_cache) {
                // The file is written (and synced) on a thread of its own: a server waits for
                // the platform before it answers `initialize`, and needs no file for that.
                let cache = cache.to_path_buf();
                let spawned = std::thread::Builder::new()
                    .name("platform-cache".to_owned())
                    .spawn(move || keep(&cache, &text));
                if let Err(err) = spawned {
                    tracing::debug!("cannot start writing the platform cache: {err}");
                }
            }
            detected.platform
        })
    }

    /// Starts detecting the platform on a thread of its own, so that a server's other start-up
    /// work overlaps it, reading and refreshing (on Linux) the cache file [`CACHE_FILE`] in
    /// `dir` (the server's `$CODEX_HOME`).
    pub fn start_detecting(dir: &Path) {
        // A second call keeps the first cache: the platform is detected once anyway.
        let _ = CACHE.set(dir.join(CACHE_FILE));
        std::thread::spawn(|| {
            Platform::current();
        });
    }
}

/// A platform, and what the cache file should now hold when it did not have it.
struct Detected {
    platform: Platform,
    refreshed_cache: Option<String>,
}

fn detect(cache: Option<&Path>) -> Detected {
    let terminal = detect_terminal();
    let Some(cache) = cache.filter(|_| cfg!(target_os = "linux")) else {
        return Detected {
            platform: detect_os(terminal),
            refreshed_cache: None,
        };
    };
    let fingerprint = fingerprint();
    if let Some(platform) = std::fs::read_to_string(cache)
        .ok()
        .and_then(|text| from_cache(&text, &fingerprint, &terminal))
    {
        return Detected {
            platform,
            refreshed_cache: None,
        };
    }
    let platform = detect_os(terminal);
    let refreshed_cache = Some(to_cache(&platform, &fingerprint));
    Detected {
        platform,
        refreshed_cache,
    }
}

fn keep(cache: &Path, text: &str) {
    if let Err(err) = codex_utils_private_file::write_private_file(cache, text.as_bytes()) {
        tracing::debug!("cannot keep the platform in {}: {err}", cache.display());
    }
}

fn detect_os(terminal: String) -> Platform {
    #[cfg(target_os = "linux")]
    if let Some((os, os_version)) = crate::lsb_release::detect() {
        return Platform {
            os,
            os_version,
            arch: machine().unwrap_or_else(|| std::env::consts::ARCH.to_owned()),
            terminal,
        };
    }
    let info = os_info::get();
    Platform {
        os: info.os_type().to_string(),
        os_version: info.version().to_string(),
        arch: info
            .architecture()
            .unwrap_or(std::env::consts::ARCH)
            .to_string(),
        terminal,
    }
}

/// The machine `uname(2)` names, which is what `os_info` gives as the architecture.
#[cfg(target_os = "linux")]
fn machine() -> Option<String> {
    let name = nix::sys::utsname::uname().ok()?;
    name.machine().to_str().map(str::to_owned)
}

/// What `os_info` reads on Linux, as sizes, times and inodes: the release files and the
/// `lsb_release` that `PATH` finds. Upgrading the system or installing `lsb_release` changes it.
fn fingerprint() -> String {
    let lsb_release = std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("lsb_release"))
                .find(|candidate| candidate.is_file())
        })
        .unwrap_or_default();
    let mut files: Vec<PathBuf> = ["/etc/os-release", "/usr/lib/os-release", "/etc/lsb-release"]
        .into_iter()
        .map(PathBuf::from)
        .collect();
    files.extend(lsb_release);
    let mut fingerprint = format!(
        "v1 {} {}",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH
    );
    for file in files {
        fingerprint.push(' ');
        fingerprint.push_str(&file_identity(&file));
    }
    fingerprint
}

fn file_identity(path: &Path) -> String {
    let Ok(metadata) = std::fs::metadata(path) else {
        return format!("{}:-", path.display());
    };
    let modified = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|since| since.as_nanos())
        .unwrap_or_default();
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&metadata);
    #[cfg(not(unix))]
    let inode = 0;
    format!("{}:{}:{modified}:{inode}", path.display(), metadata.len())
}

/// The cache file: the fingerprint, then the system's name, version and architecture, a line
/// each. The terminal is not kept: it belongs to the environment of each run.
fn to_cache(platform: &Platform, fingerprint: &str) -> String {
    let Platform {
        os,
        os_version,
        arch,
        terminal: _,
    } = platform;
    format!("{fingerprint}\n{os}\n{os_version}\n{arch}\n")
}

fn from_cache(text: &str, fingerprint: &str, terminal: &str) -> Option<Platform> {
    let mut lines = text.lines();
    if lines.next()? != fingerprint {
        return None;
    }
    let platform = Platform {
        os: lines.next()?.to_owned(),
        os_version: lines.next()?.to_owned(),
        arch: lines.next()?.to_owned(),
        terminal: terminal.to_owned(),
    };
    lines.next().is_none().then_some(platform)
}

/// The terminal the server was started from, as far as the environment tells: the program a
/// terminal announces itself as, else `TERM`, else `unknown`.
fn detect_terminal() -> String {
    let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    match (var("TERM_PROGRAM"), var("TERM")) {
        (Some(program), _) => match var("TERM_PROGRAM_VERSION") {
            Some(version) => format!("{program}/{version}"),
            None => program,
        },
        (None, Some(term)) => term,
        (None, None) => "unknown".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn plan9() -> Platform {
        Platform {
            os: "Plan 9".into(),
            os_version: "4.0.0".into(),
            arch: "mips".into(),
            terminal: "rio".into(),
        }
    }

    #[test]
    fn a_cached_platform_is_read_back_with_this_run_s_terminal() {
        let text = to_cache(&plan9(), "print");
        assert_eq!(
            from_cache(&text, "print", "xterm"),
            Some(Platform {
                terminal: "xterm".into(),
                ..plan9()
            })
        );
    }

    #[test]
    fn a_cache_from_other_files_or_cut_short_is_not_trusted() {
        let text = to_cache(&plan9(), "print");
        assert_eq!(from_cache(&text, "other print", "rio"), None);
        assert_eq!(from_cache("print\nPlan 9\n", "print", "rio"), None);
        assert_eq!(from_cache(&format!("{text}extra\n"), "print", "rio"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn detection_uses_a_cache_that_matches_and_replaces_one_that_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("platform");

        std::fs::write(&cache, to_cache(&plan9(), &fingerprint())).unwrap();
        let cached = detect(Some(&cache));
        assert_eq!(cached.platform.os, "Plan 9");
        assert_eq!(cached.refreshed_cache, None);

        std::fs::write(&cache, to_cache(&plan9(), "stale")).unwrap();
        let Detected {
            platform: detected,
            refreshed_cache,
        } = detect(Some(&cache));
        assert_ne!(detected.os, "Plan 9");
        keep(&cache, &refreshed_cache.unwrap());
        let kept = std::fs::read_to_string(&cache).unwrap();
        assert_eq!(
            from_cache(&kept, &fingerprint(), &detected.terminal),
            Some(detected)
        );
    }
}
