//! The system skills that ship inside the binary, and their installation into
//! `$CODEX_HOME/skills/.system`, where the model can open them like any other file.
//!
//! The installed copy carries a marker with a fingerprint of the embedded files, so a server
//! start rewrites the folder only when the binary brings different skills (or the copy is
//! gone). The new copy is written beside the old one and swapped in by rename, so a crash
//! mid-install never leaves a half-written folder under the real name.

use std::io;
use std::path::Path;
use std::path::PathBuf;

use include_dir::Dir;
use include_dir::include_dir;
use sha2::Digest;
use sha2::Sha256;

static BUNDLED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/bundled");

const MARKER_FILE: &str = ".codex-system-skills.marker";

/// Where the system skills are installed.
pub fn system_skills_dir(codex_home: &Path) -> PathBuf {
    codex_home.join("skills").join(".system")
}

/// Installs the embedded system skills unless the installed copy is already theirs.
pub fn install_system_skills(codex_home: &Path) -> io::Result<()> {
    let target = system_skills_dir(codex_home);
    let fingerprint = fingerprint();
    let marker = target.join(MARKER_FILE);
    if std::fs::read_to_string(&marker).is_ok_and(|found| found.trim() == fingerprint) {
        return Ok(());
    }
    let parent = codex_home.join("skills");
    std::fs::create_dir_all(&parent)?;
    let unique = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or_default()
    );
    let staging = parent.join(format!(".system-new-{unique}"));
    let result = write_tree(&BUNDLED, &staging)
        .and_then(|()| std::fs::write(staging.join(MARKER_FILE), format!("{fingerprint}\n")))
        .and_then(|()| {
            swap_in(
                &staging,
                &target,
                &parent.join(format!(".system-old-{unique}")),
            )
        });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

/// Replaces `target` with `staging`, moving an existing `target` aside first.
fn swap_in(staging: &Path, target: &Path, aside: &Path) -> io::Result<()> {
    let had_old = match std::fs::rename(target, aside) {
        Ok(()) => true,
        Err(err) if err.kind() == io::ErrorKind::NotFound => false,
        Err(err) => return Err(err),
    };
    match std::fs::rename(staging, target) {
        Ok(()) => {}
        // Another server installed the same skills between our check and our rename.
        Err(_) if target.join(MARKER_FILE).is_file() => {
            let _ = std::fs::remove_dir_all(staging);
        }
        Err(err) => {
            if had_old {
                let _ = std::fs::rename(aside, target);
            }
            return Err(err);
        }
    }
    if had_old {
        let _ = std::fs::remove_dir_all(aside);
    }
    Ok(())
}

fn write_tree(dir: &Dir<'_>, to: &Path) -> io::Result<()> {
    std::fs::create_dir_all(to)?;
    for file in dir.files() {
        let path = to.join(file_name(file.path()));
        std::fs::write(&path, file.contents())?;
        if is_script(file.path()) {
            make_executable(&path)?;
        }
    }
    for sub in dir.dirs() {
        write_tree(sub, &to.join(file_name(sub.path())))?;
    }
    Ok(())
}

/// include_dir gives paths relative to the embedded root; only the last part is new here.
fn file_name(path: &Path) -> &std::ffi::OsStr {
    path.file_name().unwrap_or(path.as_os_str())
}

/// The embedding loses file modes, so the helper scripts get theirs back by location.
fn is_script(path: &Path) -> bool {
    path.components()
        .any(|component| component.as_os_str() == "scripts")
}

#[cfg(unix)]
fn make_executable(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> io::Result<()> {
    Ok(())
}

/// A digest of every embedded file's path and contents.
fn fingerprint() -> String {
    let mut files = Vec::new();
    collect_files(&BUNDLED, &mut files);
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut hasher = Sha256::new();
    for (path, contents) in files {
        hasher.update(path.to_string_lossy().as_bytes());
        hasher.update([0]);
        hasher.update((contents.len() as u64).to_le_bytes());
        hasher.update(contents);
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn collect_files<'a>(dir: &'a Dir<'a>, out: &mut Vec<(PathBuf, &'a [u8])>) {
    for file in dir.files() {
        out.push((file.path().to_path_buf(), file.contents()));
    }
    for sub in dir.dirs() {
        collect_files(sub, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::SkillRoot;
    use crate::loader::load_skills;
    use codex_protocol::protocol::SkillScope;

    #[test]
    fn installs_the_bundled_skills_and_lists_them() {
        let home = tempfile::tempdir().unwrap();
        install_system_skills(home.path()).unwrap();
        let outcome = load_skills(
            &[SkillRoot {
                path: system_skills_dir(home.path()),
                scope: SkillScope::System,
            }],
            |_| false,
        );
        let names: Vec<_> = outcome.skills.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["skill-creator", "skill-installer"]);
        assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
        for skill in &outcome.skills {
            let interface = skill.interface.as_ref().unwrap();
            for icon in [&interface.icon_small, &interface.icon_large] {
                let icon = icon.as_ref().unwrap();
                assert!(Path::new(icon).is_file(), "missing icon {icon}");
            }
        }
    }

    #[test]
    fn a_current_install_is_left_alone_and_a_stale_one_replaced() {
        let home = tempfile::tempdir().unwrap();
        install_system_skills(home.path()).unwrap();
        let dir = system_skills_dir(home.path());
        let extra = dir.join("user-note.txt");
        std::fs::write(&extra, "kept while the marker matches").unwrap();
        install_system_skills(home.path()).unwrap();
        assert!(extra.is_file());

        std::fs::write(dir.join(MARKER_FILE), "stale\n").unwrap();
        std::fs::remove_file(dir.join("skill-creator").join("SKILL.md")).unwrap();
        install_system_skills(home.path()).unwrap();
        assert!(!extra.exists());
        assert!(dir.join("skill-creator").join("SKILL.md").is_file());
        let leftovers: Vec<_> = std::fs::read_dir(home.path().join("skills"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(leftovers, [".system"]);
    }

    #[cfg(unix)]
    #[test]
    fn scripts_are_executable() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        install_system_skills(home.path()).unwrap();
        let scripts = system_skills_dir(home.path())
            .join("skill-creator")
            .join("scripts");
        let mut seen = 0;
        for entry in std::fs::read_dir(scripts).unwrap() {
            let mode = entry.unwrap().metadata().unwrap().permissions().mode();
            assert_eq!(mode & 0o111, 0o111);
            seen += 1;
        }
        assert!(seen > 0);
    }
}
