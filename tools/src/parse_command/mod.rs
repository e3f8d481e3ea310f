//! What a command does, for display: [`parse_command`] reads a command line as a list of
//! [`ParsedCommand`]s (read a file, list files, search, or unknown), which approvals and
//! command events carry and clients show as `commandActions`.
//!
//! It is a best-effort reading, with the reference's rules: `bash -lc` scripts are split into
//! their commands when they hold only plain commands, pipeline helpers that only reshape output
//! (`| head`, `| wc -l`, `| sort`) are left out, `cd DIR` makes later reads relative to `DIR`,
//! and everything else stays one unknown command.

mod command;
mod script;

use std::path::Path;
use std::path::PathBuf;

use codex_protocol::parse_command::ParsedCommand;

use self::command::classify;
use self::command::is_formatting_helper;
use self::command::join;
pub(crate) use self::script::plain_commands;

/// What `argv` does, command by command, in the order they run; consecutive duplicates appear
/// once.
///
/// ```
/// use codex_protocol::parse_command::ParsedCommand;
///
/// let argv = ["bash", "-lc", "cd core && sed -n '1,80p' src/lib.rs"].map(String::from);
/// assert_eq!(
///     codex_tools::parse_command(&argv),
///     [ParsedCommand::Read {
///         cmd: "sed -n '1,80p' src/lib.rs".to_owned(),
///         name: "lib.rs".to_owned(),
///         path: "core/src/lib.rs".to_owned(),
///     }]
/// );
/// ```
pub fn parse_command(argv: &[String]) -> Vec<ParsedCommand> {
    let mut parsed = if let Some(script) = shell_script(argv) {
        parse_script(script)
    } else if let Some(script) = powershell_script(argv) {
        vec![ParsedCommand::Unknown {
            cmd: script.to_owned(),
        }]
    } else {
        parse_argv(argv)
    };
    parsed.dedup();
    parsed
}

/// The script of `bash -lc SCRIPT`, `zsh -c SCRIPT`, `/bin/sh -c SCRIPT`.
fn shell_script(argv: &[String]) -> Option<&str> {
    match argv {
        [shell, flag, script]
            if matches!(flag.as_str(), "-lc" | "-c")
                && matches!(program_name(shell), "bash" | "zsh" | "sh") =>
        {
            Some(script)
        }
        _ => None,
    }
}

/// The script of `pwsh -NoProfile -Command SCRIPT` and the like, which is not read further.
fn powershell_script(argv: &[String]) -> Option<&str> {
    const FLAGS: [&str; 4] = ["-nologo", "-noprofile", "-command", "-c"];
    let (shell, args) = argv.split_first()?;
    if args.len() < 2 || !matches!(program_name(shell), "pwsh" | "powershell") {
        return None;
    }
    for (index, flag) in args[..args.len() - 1].iter().enumerate() {
        let flag = flag.to_ascii_lowercase();
        if !FLAGS.contains(&flag.as_str()) {
            return None;
        }
        if flag == "-command" || flag == "-c" {
            return Some(&args[index + 1]);
        }
    }
    None
}

/// `bash` for `bash`, `/bin/bash` and `bash.exe`.
fn program_name(program: &str) -> &str {
    Path::new(program)
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or(program)
}

fn parse_script(script: &str) -> Vec<ParsedCommand> {
    let whole = || {
        vec![ParsedCommand::Unknown {
            cmd: script.to_owned(),
        }]
    };
    let Some(commands) = script::plain_commands(script).filter(|c| !c.is_empty()) else {
        return whole();
    };
    let several = commands.len() > 1;
    let commands: Vec<Vec<String>> = commands
        .into_iter()
        .filter(|words| !is_formatting_helper(words))
        .collect();
    if commands.is_empty() {
        return whole();
    }
    let mut parsed = classify_in_sequence(&commands);
    if parsed.len() > 1 {
        parsed.retain(|command| !is_unknown(command, |cmd| cmd == "true"));
        simplify(&mut parsed);
    }
    if let [only] = parsed.as_mut_slice() {
        retitle(only, script, several);
    }
    parsed
}

/// A command given as words rather than as a script: `["rg", "foo", "src"]`, possibly with
/// `&&`, `||`, `;` or `|` among the words.
fn parse_argv(argv: &[String]) -> Vec<ParsedCommand> {
    let argv = match argv {
        [first, pipe, rest @ ..]
            if pipe == "|" && matches!(first.as_str(), "yes" | "y" | "no" | "n") =>
        {
            rest
        }
        _ => argv,
    };
    let commands: Vec<Vec<String>> = if argv.iter().any(|word| is_connector(word)) {
        argv.split(|word| is_connector(word))
            .filter(|words| !words.is_empty())
            .map(<[String]>::to_vec)
            .collect()
    } else {
        vec![argv.to_vec()]
    };
    let mut parsed = classify_in_sequence(&commands);
    simplify(&mut parsed);
    parsed
}

fn is_connector(word: &str) -> bool {
    matches!(word, "&&" | "||" | "|" | ";")
}

/// Classifies each command, following `cd` so that files read afterwards are named relative to
/// where the script started.
fn classify_in_sequence(commands: &[Vec<String>]) -> Vec<ParsedCommand> {
    let mut dir: Option<String> = None;
    let mut parsed = Vec::new();
    for words in commands {
        if let Some((program, args)) = words.split_first()
            && program == "cd"
        {
            if let Some(target) = cd_target(args) {
                dir = Some(match dir {
                    Some(base) => join_paths(&base, &target),
                    None => target,
                });
            }
            continue;
        }
        let mut command = classify(words);
        if let (ParsedCommand::Read { path, .. }, Some(base)) = (&mut command, &dir) {
            *path = join_paths(base, path);
        }
        parsed.push(command);
    }
    parsed
}

/// The directory `cd ARGS` goes to: the last operand, or the one after `--`.
fn cd_target(args: &[String]) -> Option<String> {
    let mut target = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--" {
            return args.next().cloned();
        }
        if !arg.starts_with('-') {
            target = Some(arg.clone());
        }
    }
    target
}

fn join_paths(base: &str, path: &str) -> String {
    if base.is_empty() || is_absolute(path) {
        return path.to_owned();
    }
    PathBuf::from(base)
        .join(path)
        .to_string_lossy()
        .into_owned()
}

/// Absolute here or on Windows (`C:\…`, `\\server\…`): a `cd` does not change such a path.
fn is_absolute(path: &str) -> bool {
    let bytes = path.as_bytes();
    Path::new(path).is_absolute()
        || path.starts_with("\\\\")
        || (bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && &bytes[1..3] == b":\\")
}

fn is_unknown(command: &ParsedCommand, test: impl Fn(&str) -> bool) -> bool {
    matches!(command, ParsedCommand::Unknown { cmd } if test(cmd))
}

fn first_word_is(cmd: &str, word: &str) -> bool {
    shlex::split(cmd).is_some_and(|words| words.first().is_some_and(|first| first == word))
}

/// Leaves out what says nothing about the work while something else remains: a leading `echo`,
/// `true` (as in `cmd || true`) and `nl` given only flags.
fn simplify(parsed: &mut Vec<ParsedCommand>) {
    while parsed.len() > 1 {
        let noise = if is_unknown(&parsed[0], |cmd| first_word_is(cmd, "echo")) {
            Some(0)
        } else {
            parsed
                .iter()
                .position(|command| is_unknown(command, |cmd| cmd == "true"))
                .or_else(|| {
                    parsed.iter().position(|command| {
                        is_unknown(command, |cmd| {
                            shlex::split(cmd).is_some_and(|words| {
                                words.first().is_some_and(|first| first == "nl")
                                    && words[1..].iter().all(|word| word.starts_with('-'))
                            })
                        })
                    })
                })
        };
        match noise {
            Some(index) => {
                parsed.remove(index);
            }
            None => return,
        }
    }
}

/// The text a script's only command is shown with: the whole script when it had no other
/// commands (requoted), and for a read piped through `sed -n` the script as written.
fn retitle(command: &mut ParsedCommand, script: &str, several: bool) {
    let words = shlex::split(script).unwrap_or_else(|| vec![script.to_owned()]);
    let connected = several || words.iter().any(|word| is_connector(word));
    let piped_through_sed_n = words.iter().any(|word| word == "|")
        && words
            .windows(2)
            .any(|pair| pair[0] == "sed" && pair[1] == "-n");
    match command {
        ParsedCommand::Read { cmd, .. } if connected && piped_through_sed_n => {
            *cmd = script.to_owned();
        }
        ParsedCommand::Read { cmd, .. }
        | ParsedCommand::ListFiles { cmd, .. }
        | ParsedCommand::Search { cmd, .. }
            if !connected =>
        {
            *cmd = join(&words);
        }
        ParsedCommand::Read { .. }
        | ParsedCommand::ListFiles { .. }
        | ParsedCommand::Search { .. }
        | ParsedCommand::Unknown { .. } => {}
    }
}

#[cfg(test)]
mod tests;
