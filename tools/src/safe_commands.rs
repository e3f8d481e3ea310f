//! Commands that only read, which the `untrusted` approval policy runs without asking. The list
//! follows the reference's: plain readers, `git` inspection subcommands, `find`/`rg` without
//! their options that run or write things, `sed -n` printing, and `bash -lc` scripts made only
//! of such commands joined by `&&`, `||`, `;` or `|`.

/// Programs that never write or run other programs, whatever their arguments.
const READERS: &[&str] = &[
    "cat", "cd", "cut", "echo", "expr", "false", "grep", "head", "id", "ls", "nl", "paste", "pwd",
    "rev", "seq", "stat", "tail", "tr", "true", "uname", "uniq", "wc", "which", "whoami",
];

const UNSAFE_FIND_OPTIONS: &[&str] = &[
    "-exec", "-execdir", "-ok", "-okdir", "-delete", "-fls", "-fprint", "-fprint0", "-fprintf",
];

const UNSAFE_RG_OPTIONS: &[&str] = &["--pre", "--hostname-bin", "--search-zip", "-z"];

const SAFE_GIT_SUBCOMMANDS: &[&str] = &["status", "log", "diff", "show", "branch"];

/// Whether `argv` is known to only read.
pub(crate) fn is_known_safe(argv: &[String]) -> bool {
    if let Some(script) = shell_script(argv) {
        return script_is_safe(script);
    }
    is_safe_simple(argv)
}

fn shell_script(argv: &[String]) -> Option<&str> {
    match argv {
        [shell, flag, script] if is_shell(shell) && (flag == "-lc" || flag == "-c") => {
            Some(script.as_str())
        }
        _ => None,
    }
}

fn is_shell(program: &str) -> bool {
    let name = std::path::Path::new(program)
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or(program);
    matches!(name, "bash" | "zsh" | "sh")
}

/// A script is safe when every command in it is; anything beyond plain words and the list
/// operators (redirections, substitutions, subshells) makes it unknown.
fn script_is_safe(script: &str) -> bool {
    let Some(words) = shlex::split(script) else {
        return false;
    };
    let mut command: Vec<String> = Vec::new();
    for word in words {
        if matches!(word.as_str(), "&&" | "||" | ";" | "|") {
            if !is_safe_simple(&command) {
                return false;
            }
            command.clear();
            continue;
        }
        // Quotes are gone after splitting, so any of these may be an operator; refuse them.
        if word.contains(['&', '|', ';', '<', '>', '$', '`', '(', ')']) {
            return false;
        }
        command.push(word);
    }
    is_safe_simple(&command)
}

fn is_safe_simple(argv: &[String]) -> bool {
    let Some((program, args)) = argv.split_first() else {
        return false;
    };
    match program.as_str() {
        name if READERS.contains(&name) => true,
        "find" => !args
            .iter()
            .any(|arg| UNSAFE_FIND_OPTIONS.contains(&arg.as_str())),
        "rg" => !args.iter().any(|arg| {
            UNSAFE_RG_OPTIONS
                .iter()
                .any(|option| arg == option || arg.starts_with(&format!("{option}=")))
        }),
        "git" => args
            .first()
            .is_some_and(|sub| SAFE_GIT_SUBCOMMANDS.contains(&sub.as_str())),
        "sed" => match args {
            [flag, range] | [flag, range, _] => flag == "-n" && is_print_range(range),
            _ => false,
        },
        "base64" => !args
            .iter()
            .any(|arg| arg == "-o" || arg.starts_with("--output")),
        _ => false,
    }
}

/// `Np` or `M,Np`.
fn is_print_range(range: &str) -> bool {
    let Some(numbers) = range.strip_suffix('p') else {
        return false;
    };
    let mut parts = numbers.split(',');
    let valid = |part: Option<&str>| {
        part.is_some_and(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()))
    };
    let first = parts.next();
    let second = parts.next();
    valid(first) && (second.is_none() || valid(second)) && parts.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::is_known_safe;

    fn argv(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    #[test]
    fn readers_and_scripts_of_readers_are_safe() {
        for safe in [
            argv(&["ls", "-la"]),
            argv(&["git", "status"]),
            argv(&["sed", "-n", "1,20p", "file.rs"]),
            argv(&["bash", "-lc", "pwd && ls | wc -l"]),
            argv(&["rg", "-n", "needle"]),
        ] {
            assert!(is_known_safe(&safe), "{safe:?}");
        }
        for unsafe_ in [
            argv(&["rm", "-rf", "x"]),
            argv(&["git", "push"]),
            argv(&["find", ".", "-delete"]),
            argv(&["rg", "--pre", "sh", "x"]),
            argv(&["bash", "-lc", "ls > out.txt"]),
            argv(&["bash", "-lc", "ls && rm x"]),
            argv(&["bash", "-lc", "echo $(rm x)"]),
            argv(&["sed", "-i", "s/a/b/", "f"]),
        ] {
            assert!(!is_known_safe(&unsafe_), "{unsafe_:?}");
        }
    }
}
