//! The operating system's name and version as `os_info` reports them on Linux, without running
//! `lsb_release` when its answer can be worked out from files.
//!
//! `os_info` runs `lsb_release -a`, maps its `Distributor ID` to an [`os_info::Type`] and its
//! `Release` to an [`os_info::Version`]. On Debian (12 and later) `lsb_release` is the
//! "minimal" shell script, which sources `/etc/os-release` and prints a few of its fields: it
//! starts a shell and half a dozen processes (`getopt`, `cut`, `tr`), milliseconds before a
//! server can answer `initialize`. When the `lsb_release` that `PATH` finds is, byte for byte, a
//! script whose behaviour is known here, and the release file uses only plain assignments of
//! known keys, the script's output is computed here instead and read the way `os_info` reads it.
//! Anything else (another `lsb_release`, a file with shell code or unknown keys, a distribution
//! not in [`os_type`]'s table) returns `None`, and the caller asks `os_info`.

use std::collections::HashMap;
use std::path::Path;
use std::path::PathBuf;

use sha2::Digest;
use sha2::Sha256;

/// SHA-256 digests of the `lsb_release` scripts that [`minimal_script_output`] reproduces:
/// Debian's `lsb-release` package 12.0-1 (bookworm), `lsb-release-minimal`.
const KNOWN_SCRIPTS: &[&str] =
    &["484188f4b37b4021998dafd1966cda1c6f8207af9aee3ad51746a5d22acf3e65"];

/// The keys a release file may assign for its output to be computed here. Sourcing assigns shell
/// variables, so a key such as `PATH` or `LC_ALL` would change what the script's later commands
/// do; only the keys of the os-release specification (and Ubuntu's codename) are accepted.
const RELEASE_KEYS: &[&str] = &[
    "NAME",
    "ID",
    "ID_LIKE",
    "PRETTY_NAME",
    "CPE_NAME",
    "VARIANT",
    "VARIANT_ID",
    "VERSION",
    "VERSION_ID",
    "VERSION_CODENAME",
    "BUILD_ID",
    "IMAGE_ID",
    "IMAGE_VERSION",
    "RELEASE_TYPE",
    "HOME_URL",
    "DOCUMENTATION_URL",
    "SUPPORT_URL",
    "BUG_REPORT_URL",
    "PRIVACY_POLICY_URL",
    "SUPPORT_END",
    "LOGO",
    "ANSI_COLOR",
    "VENDOR_NAME",
    "VENDOR_URL",
    "EXPERIMENT",
    "EXPERIMENT_URL",
    "DEFAULT_HOSTNAME",
    "ARCHITECTURE",
    "SYSEXT_LEVEL",
    "CONFEXT_LEVEL",
    "SYSEXT_SCOPE",
    "CONFEXT_SCOPE",
    "PORTABLE_PREFIXES",
    "UBUNTU_CODENAME",
];

/// The variables the script prints; a value the environment gives one of them is the script's
/// default when the release file does not assign it.
const PRINTED_KEYS: &[&str] = &[
    "ID",
    "NAME",
    "PRETTY_NAME",
    "VERSION_ID",
    "VERSION_CODENAME",
];

/// The system's name and version, as `os_info` would display them, when they can be known
/// without running `lsb_release`.
pub(crate) fn detect() -> Option<(String, String)> {
    let script = find_in_path("lsb_release")?;
    let is_known = std::fs::read(&script)
        .ok()
        .is_some_and(|bytes| is_known_script(&bytes));
    if !is_known {
        return None;
    }
    let env = |name: &str| std::env::var(name).ok();
    let lsb_os_release = env("LSB_OS_RELEASE");
    // The script sources a name without a slash from `PATH`, not from the current directory.
    if lsb_os_release
        .as_deref()
        .is_some_and(|path| !path.starts_with('/'))
    {
        return None;
    }
    let release_file = release_file(lsb_os_release, |path| Path::new(path).is_file());
    let release_text = match &release_file {
        Some(path) => Some(std::fs::read_to_string(path).ok()?),
        None => None,
    };
    let environment: HashMap<&str, String> = PRINTED_KEYS
        .iter()
        .filter_map(|&key| Some((key, env(key)?)))
        .collect();
    let output = minimal_script_output(release_text.as_deref(), &environment)?;
    let (os_type, version) = read_like_os_info(&output, || Path::new("/etc/rpi-issue").exists())?;
    Some((os_type.to_string(), version.to_string()))
}

/// Where `execvp` would find `program`: the first directory of `PATH` (an empty entry being the
/// current directory) holding a file of that name. A file there that cannot be run, or no
/// `PATH`, gives `None` (`execvp` would go on searching, or search a default path), and so does
/// a name that is not a regular file.
fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let candidate = std::env::split_paths(&path)
        .map(|dir| {
            if dir.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                dir
            }
        })
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.exists())?;
    let metadata = std::fs::metadata(&candidate).ok()?;
    #[cfg(unix)]
    let runnable = std::os::unix::fs::PermissionsExt::mode(&metadata.permissions()) & 0o111 != 0;
    #[cfg(not(unix))]
    let runnable = false;
    (metadata.is_file() && runnable).then_some(candidate)
}

fn is_known_script(bytes: &[u8]) -> bool {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    KNOWN_SCRIPTS.contains(&hex.as_str())
}

/// The file the script sources: `/etc/os-release` if it is a file, else `/usr/lib/os-release`,
/// unless `LSB_OS_RELEASE` names a file.
fn release_file(lsb_os_release: Option<String>, is_file: impl Fn(&str) -> bool) -> Option<String> {
    if let Some(chosen) = lsb_os_release.filter(|path| is_file(path)) {
        return Some(chosen);
    }
    ["/etc/os-release", "/usr/lib/os-release"]
        .into_iter()
        .find(|path| is_file(path))
        .map(str::to_owned)
}

/// What the minimal script prints for `-a` to a pipe, given the release file it sources (if any)
/// and the printed variables' values in its environment. `None` when the file holds anything
/// whose effect when sourced is not certain here.
fn minimal_script_output(
    release_text: Option<&str>,
    environment: &HashMap<&str, String>,
) -> Option<String> {
    let mut vars: HashMap<&str, String> = environment.clone();
    if let Some(text) = release_text {
        for (key, value) in parse_release_file(text)? {
            if let Some(printed) = PRINTED_KEYS.iter().find(|&&printed| printed == key) {
                vars.insert(printed, value);
            }
        }
    }
    // `cut` and `tr` work on bytes, and `tr`'s classes change only ASCII letters; keeping to
    // ASCII makes the byte and character views agree.
    let id = vars.get("ID").cloned().unwrap_or_default();
    if !id.is_ascii() {
        return None;
    }
    let mut id = capitalize(&id);
    if let Some(name) = vars.get("NAME")
        && id.eq_ignore_ascii_case(name)
    {
        id = name.clone();
    }
    let or_none = |value: Option<&String>| match value {
        Some(value) if !value.is_empty() => value.clone(),
        _ => "n/a".to_owned(),
    };
    Some(format!(
        "Distributor ID:\t{}\nDescription:\t{}\nRelease:\t{}\nCodename:\t{}\n",
        or_none(Some(&id)),
        or_none(vars.get("PRETTY_NAME")),
        or_none(vars.get("VERSION_ID")),
        or_none(vars.get("VERSION_CODENAME")),
    ))
}

fn capitalize(id: &str) -> String {
    let mut chars = id.chars();
    match chars.next() {
        Some(first) => format!("{}{}", first.to_ascii_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// The assignments of a release file, in order, when every line is blank, a comment, or
/// `KEY=value` with a key from [`RELEASE_KEYS`] and a value that the shell takes literally: bare
/// words of safe characters, single quotes, or double quotes without `$` or backquotes (where a
/// backslash escapes `"`, `\`, `$` and backquote, and stays before anything else).
fn parse_release_file(text: &str) -> Option<Vec<(&str, String)>> {
    let mut assignments = Vec::new();
    // Split on `\n` alone: to the shell a `\r` is part of the line.
    for line in text.split('\n') {
        if line.chars().all(|c| c == ' ' || c == '\t') || line.starts_with('#') {
            continue;
        }
        let (key, raw) = line.split_once('=')?;
        if !RELEASE_KEYS.contains(&key) {
            return None;
        }
        let value = shell_literal(raw)?;
        if value.chars().any(char::is_control) {
            return None;
        }
        assignments.push((key, value));
    }
    Some(assignments)
}

fn shell_literal(raw: &str) -> Option<String> {
    if let Some(inner) = raw.strip_prefix('\'') {
        let inner = inner.strip_suffix('\'')?;
        return (!inner.contains('\'')).then(|| inner.to_owned());
    }
    if let Some(inner) = raw.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return chars.as_str().is_empty().then_some(value),
                '$' | '`' => return None,
                '\\' => match chars.next()? {
                    escaped @ ('"' | '\\' | '$' | '`') => value.push(escaped),
                    other => {
                        value.push('\\');
                        value.push(other);
                    }
                },
                other => value.push(other),
            }
        }
        return None;
    }
    let bare = |c: char| c.is_ascii_alphanumeric() || "._-/:+,@%=".contains(c);
    raw.chars().all(bare).then(|| raw.to_owned())
}

/// What `os_info` makes of `lsb_release -a`'s output: the first word after `Distributor ID:`
/// names the type, the first word after `Release:` (unless it starts or ends with a dot) is
/// the version. `None` for a distribution `os_info` would not recognise from `lsb_release`
/// (it then reads the release files itself).
fn read_like_os_info(
    output: &str,
    has_rpi_issue: impl Fn() -> bool,
) -> Option<(os_info::Type, os_info::Version)> {
    let distribution = word_after(output, "Distributor ID:")?;
    let os_type = os_type(distribution, has_rpi_issue)?;
    let version = match word_after(output, "Release:")
        .filter(|word| !word.starts_with('.') && !word.ends_with('.'))
    {
        Some("rolling") => os_info::Version::Rolling(None),
        Some(word) => os_info::Version::from_string(word),
        None => os_info::Version::Unknown,
    };
    Some((os_type, version))
}

fn word_after<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let start = text.find(prefix)? + prefix.len();
    let rest = text[start..].trim_start();
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// `os_info`'s (3.15) table from `lsb_release`'s distributor to a type, for the distributions
/// whose `lsb_release` may be the minimal script (Debian and its derivatives) and a few others.
fn os_type(distribution: &str, has_rpi_issue: impl Fn() -> bool) -> Option<os_info::Type> {
    use os_info::Type;
    Some(match distribution {
        "Debian" if has_rpi_issue() => Type::Raspbian,
        "Debian" => Type::Debian,
        "Raspbian" => Type::Raspbian,
        "Ubuntu" => Type::Ubuntu,
        "Linuxmint" => Type::Mint,
        "Pop" => Type::Pop,
        "Kali" => Type::Kali,
        "Elementary" => Type::Elementary,
        "Zorin" => Type::Zorin,
        "Arch" => Type::Arch,
        "Fedora" | "Fedora Linux" => Type::Fedora,
        "Gentoo" => Type::Gentoo,
        "NixOS" => Type::NixOS,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    const BOOKWORM: &str = r#"PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
"#;

    const JAMMY: &str = r#"PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
UBUNTU_CODENAME=jammy
"#;

    const MINT: &str = r#"NAME="Linux Mint"
VERSION="21.3 (Virginia)"
ID=linuxmint
ID_LIKE="ubuntu debian"
PRETTY_NAME="Linux Mint 21.3"
VERSION_ID="21.3"
VERSION_CODENAME=virginia
"#;

    fn output(text: &str) -> Option<String> {
        minimal_script_output(Some(text), &HashMap::new())
    }

    /// The type and version strings `os_info` would give for a release file.
    fn check(text: &str) -> Option<(String, String)> {
        let (os_type, version) = read_like_os_info(&output(text)?, || false)?;
        Some((os_type.to_string(), version.to_string()))
    }

    #[test]
    fn the_script_s_output_for_debian() {
        assert_eq!(
            output(BOOKWORM).as_deref(),
            Some(
                "Distributor ID:\tDebian\nDescription:\tDebian GNU/Linux 12 (bookworm)\n\
                 Release:\t12\nCodename:\tbookworm\n"
            )
        );
    }

    #[test]
    fn a_name_differing_from_the_id_only_in_case_replaces_it() {
        let text = "ID=pop\nNAME=\"POP\"\nVERSION_ID=22.04\n";
        assert_eq!(
            output(text).as_deref(),
            Some("Distributor ID:\tPOP\nDescription:\tn/a\nRelease:\t22.04\nCodename:\tn/a\n")
        );
    }

    #[test]
    fn the_environment_supplies_what_the_file_does_not() {
        let environment =
            HashMap::from([("VERSION_ID", "7".to_owned()), ("ID", "ignored".to_owned())]);
        assert_eq!(
            minimal_script_output(Some("ID=debian\n"), &environment).as_deref(),
            Some("Distributor ID:\tDebian\nDescription:\tn/a\nRelease:\t7\nCodename:\tn/a\n")
        );
        assert_eq!(
            minimal_script_output(None, &HashMap::new()).as_deref(),
            Some("Distributor ID:\tn/a\nDescription:\tn/a\nRelease:\tn/a\nCodename:\tn/a\n")
        );
    }

    #[test]
    fn versions_and_types_read_as_os_info_reads_them() {
        let own = |os: &str, version: &str| Some((os.to_owned(), version.to_owned()));
        assert_eq!(check(BOOKWORM), own("Debian", "12.0.0"));
        assert_eq!(check(JAMMY), own("Ubuntu", "22.4.0"));
        assert_eq!(check(MINT), own("Linux Mint", "21.3.0"));
        assert_eq!(
            check("ID=arch\nVERSION_ID=rolling\n"),
            own("Arch Linux", "Rolling Release")
        );
        assert_eq!(
            check("ID=debian\nVERSION_ID=.5\n"),
            own("Debian", "Unknown")
        );
        assert_eq!(
            check("ID=debian\nVERSION_ID=trixie/sid\n"),
            own("Debian", "trixie/sid")
        );
        assert_eq!(check("ID=debian\n"), own("Debian", "n/a"));
        // os_info reads the release files itself for a distributor it does not know.
        assert_eq!(check("ID=plan9\nVERSION_ID=4\n"), None);
        assert_eq!(check("NAME=Debian\n"), None);
    }

    #[test]
    fn a_raspberry_pi_s_debian_is_raspbian() {
        let (os_type, _) = read_like_os_info(&output(BOOKWORM).unwrap(), || true).unwrap();
        assert_eq!(os_type, os_info::Type::Raspbian);
    }

    #[test]
    fn the_first_release_word_is_found_even_in_the_description() {
        // os_info searches the whole output, so a description holding "Release:" wins.
        let text = "ID=debian\nPRETTY_NAME=\"Debian Release: 9\"\nVERSION_ID=12\n";
        assert_eq!(check(text), Some(("Debian".to_owned(), "9.0.0".to_owned())));
    }

    #[test]
    fn quoting_is_read_as_the_shell_reads_it() {
        assert_eq!(
            parse_release_file("NAME='a \"b\"'\nID=\"x\\\"y\\$z\\q\"\n# c\n\nVERSION=1.0+2\n"),
            Some(vec![
                ("NAME", "a \"b\"".to_owned()),
                ("ID", "x\"y$z\\q".to_owned()),
                ("VERSION", "1.0+2".to_owned()),
            ])
        );
    }

    #[test]
    fn files_that_are_not_plain_assignments_are_left_to_the_script() {
        for text in [
            "ID=\"$HOME\"\n",
            "ID=`id`\n",
            "ID=\"debian\n",
            "ID=\"a\"b\n",
            "ID=a b\n",
            "ID=~/x\n",
            "PATH=/tmp\n",
            "LC_ALL=C\n",
            " ID=debian\n",
            "export ID=debian\n",
            "ID='it''s'\n",
            "ID=\"tab\there\"\n",
            "ID=\"debian\"\r\n",
        ] {
            assert_eq!(parse_release_file(text), None, "{text:?}");
        }
        assert_eq!(output("ID=débian\n"), None);
    }

    #[test]
    fn the_release_file_is_the_one_the_script_sources() {
        let only = |files: &'static [&'static str]| move |path: &str| files.contains(&path);
        let both = only(&["/etc/os-release", "/usr/lib/os-release", "/x"]);
        assert_eq!(release_file(None, both).as_deref(), Some("/etc/os-release"));
        assert_eq!(release_file(Some("/x".into()), both).as_deref(), Some("/x"));
        assert_eq!(
            release_file(Some("/missing".into()), only(&["/usr/lib/os-release"])).as_deref(),
            Some("/usr/lib/os-release")
        );
        assert_eq!(release_file(None, only(&[])), None);
    }

    /// On a machine whose `lsb_release` is a known script, its output for each sample file is
    /// the one computed here.
    #[test]
    fn the_computed_output_is_the_script_s_on_this_machine() {
        let Some(script) = find_in_path("lsb_release")
            .filter(|script| std::fs::read(script).is_ok_and(|bytes| is_known_script(&bytes)))
        else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let samples = [
            BOOKWORM,
            JAMMY,
            MINT,
            "ID=pop\nNAME=\"POP\"\n",
            "ID=x\nPRETTY_NAME='a \"b\" Release: 3'\nVERSION_ID=\"1\\\\2\\q\"\n",
        ];
        for (index, sample) in samples.into_iter().enumerate() {
            let file = dir.path().join(format!("os-release-{index}"));
            std::fs::write(&file, sample).unwrap();
            let mut command = std::process::Command::new(&script);
            command.arg("-a").env("LSB_OS_RELEASE", &file);
            for key in PRINTED_KEYS {
                command.env_remove(key);
            }
            let ran = command.output().unwrap();
            assert_eq!(
                Some(String::from_utf8(ran.stdout).unwrap()),
                output(sample),
                "{sample}"
            );
        }
    }

    /// On a machine whose `lsb_release` is a known script, the shortcut agrees with `os_info`
    /// (which runs it); elsewhere there is nothing to compare.
    #[cfg(target_os = "linux")]
    #[test]
    fn agrees_with_os_info_on_this_machine() {
        if let Some((os, version)) = detect() {
            let info = os_info::get();
            assert_eq!(
                (os, version),
                (info.os_type().to_string(), info.version().to_string())
            );
        }
    }
}
