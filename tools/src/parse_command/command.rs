//! What one plain command does: read a file, list files, search, or something else; and which
//! commands in a pipeline only reshape another's output.

use codex_protocol::parse_command::ParsedCommand;

/// A command's words as one line, quoted where needed.
pub(super) fn join(words: &[String]) -> String {
    shlex::try_join(words.iter().map(String::as_str))
        .unwrap_or_else(|_| "<command included NUL byte>".to_owned())
}

/// Classifies one command given as its words (program first).
pub(super) fn classify(words: &[String]) -> ParsedCommand {
    let cmd = join(words);
    let Some((program, args)) = words.split_first() else {
        return ParsedCommand::Unknown { cmd };
    };
    let list = |path: Option<&String>| ParsedCommand::ListFiles {
        cmd: cmd.clone(),
        path: path.map(|p| short_display_path(p)),
    };
    let search = |query: Option<&String>, path: Option<&String>| ParsedCommand::Search {
        cmd: cmd.clone(),
        query: query.cloned(),
        path: path.map(|p| short_display_path(p)),
    };
    let read = |path: Option<String>| match path {
        Some(path) => ParsedCommand::Read {
            cmd: cmd.clone(),
            name: short_display_path(&path),
            path,
        },
        None => ParsedCommand::Unknown { cmd: cmd.clone() },
    };
    match program.as_str() {
        "ls" => list(operands(args, LS_VALUES, Dashed::Kept).first().copied()),
        "eza" | "exa" => list(operands(args, EZA_VALUES, Dashed::Kept).first().copied()),
        "tree" => list(operands(args, TREE_VALUES, Dashed::Kept).first().copied()),
        "du" => list(operands(args, DU_VALUES, Dashed::Kept).first().copied()),
        "rg" | "rga" | "ripgrep-all" => {
            let found = operands(args, RG_VALUES, Dashed::Dropped);
            if args.iter().any(|arg| arg == "--files") {
                list(found.first().copied())
            } else {
                search(found.first().copied(), found.get(1).copied())
            }
        }
        "ag" | "ack" | "pt" => {
            let found = operands(args, AG_VALUES, Dashed::Dropped);
            search(found.first().copied(), found.get(1).copied())
        }
        "grep" | "egrep" | "fgrep" => {
            let (query, path) = grep_query_and_path(args);
            search(query.as_ref(), path)
        }
        "git" => match args.split_first() {
            Some((sub, rest)) if sub == "grep" => {
                let (query, path) = grep_query_and_path(rest);
                search(query.as_ref(), path)
            }
            Some((sub, rest)) if sub == "ls-files" => list(
                operands(rest, GIT_LS_FILES_VALUES, Dashed::Kept)
                    .first()
                    .copied(),
            ),
            _ => ParsedCommand::Unknown { cmd },
        },
        "fd" => {
            let found = operands(args, FD_VALUES, Dashed::Dropped);
            match found.as_slice() {
                [only] if is_pathish(only) => list(Some(only)),
                [only] => search(Some(only), None),
                [query, path, ..] => search(Some(query), Some(path)),
                [] => list(None),
            }
        }
        "find" => {
            let root = args
                .iter()
                .find(|arg| !arg.starts_with('-') && !matches!(arg.as_str(), "!" | "(" | ")"));
            match find_pattern(args) {
                Some(query) => search(Some(query), root),
                None => list(root),
            }
        }
        "cat" | "more" => read(only_operand(args, &[])),
        "bat" | "batcat" => read(only_operand(args, BAT_VALUES)),
        "less" => read(only_operand(args, LESS_VALUES)),
        "head" => read(head_or_tail_file(args, false)),
        "tail" => read(head_or_tail_file(args, true)),
        "awk" => read(awk_data_file(args)),
        "nl" => read(
            operands(args, NL_VALUES, Dashed::Dropped)
                .first()
                .map(|p| (*p).clone()),
        ),
        "sed" => read(sed_printed_file(args)),
        python if is_python(python) && python_walks_files(args) => list(None),
        _ => ParsedCommand::Unknown { cmd },
    }
}

/// Whether a command in a script only reshapes what another printed (`| head -n 40`,
/// `| wc -l`, `| sort`), so the summary can leave it out.
pub(super) fn is_formatting_helper(words: &[String]) -> bool {
    let Some((program, args)) = words.split_first() else {
        return false;
    };
    match program.as_str() {
        "wc" | "tr" | "cut" | "sort" | "uniq" | "tee" | "column" | "yes" | "printf" => true,
        "xargs" => !xargs_edits_in_place(args),
        "awk" => awk_data_file(args).is_none(),
        "head" | "tail" => {
            let count_ok = |count: &str| {
                if program == "tail" {
                    is_digits(count.strip_prefix('+').unwrap_or(count))
                } else {
                    is_digits(count)
                }
            };
            match args {
                [] => true,
                [arg] => arg.starts_with('-'),
                [flag, count] => matches!(flag.as_str(), "-n" | "-c") && count_ok(count),
                _ => false,
            }
        }
        "sed" => sed_printed_file(args).is_none(),
        _ => false,
    }
}

/// Shortens a path for display to its last meaningful component: `webview/src` shows as
/// `webview`, `./dist` as `.`, `core/src/spawn.rs` as `spawn.rs`.
pub(super) fn short_display_path(path: &str) -> String {
    const NOISE: [&str; 4] = ["build", "dist", "node_modules", "src"];
    let normalized = path.replace('\\', "/");
    let trimmed = normalized.trim_end_matches('/');
    trimmed
        .rsplit('/')
        .find(|part| !part.is_empty() && !NOISE.contains(part))
        .unwrap_or(trimmed)
        .to_owned()
}

const LS_VALUES: &[&str] = &[
    "-I",
    "-w",
    "--block-size",
    "--format",
    "--time-style",
    "--color",
    "--quoting-style",
];
const EZA_VALUES: &[&str] = &[
    "-I",
    "--ignore-glob",
    "--color",
    "--sort",
    "--time-style",
    "--time",
];
const TREE_VALUES: &[&str] = &["-L", "-P", "-I", "--charset", "--filelimit", "--sort"];
const DU_VALUES: &[&str] = &[
    "-d",
    "--max-depth",
    "-B",
    "--block-size",
    "--exclude",
    "--time-style",
];
const RG_VALUES: &[&str] = &[
    "-g",
    "--glob",
    "--iglob",
    "-t",
    "--type",
    "--type-add",
    "--type-not",
    "-m",
    "--max-count",
    "-A",
    "-B",
    "-C",
    "--context",
    "--max-depth",
];
const AG_VALUES: &[&str] = &[
    "-G",
    "-g",
    "--file-search-regex",
    "--ignore-dir",
    "--ignore-file",
    "--path-to-ignore",
];
const GIT_LS_FILES_VALUES: &[&str] = &["--exclude", "--exclude-from", "--pathspec-from-file"];
const FD_VALUES: &[&str] = &[
    "-t",
    "--type",
    "-e",
    "--extension",
    "-E",
    "--exclude",
    "--search-path",
];
const BAT_VALUES: &[&str] = &[
    "--theme",
    "--language",
    "--style",
    "--terminal-width",
    "--tabs",
    "--line-range",
    "--map-syntax",
];
const LESS_VALUES: &[&str] = &[
    "-p",
    "-P",
    "-x",
    "-y",
    "-z",
    "-j",
    "--pattern",
    "--prompt",
    "--tabs",
    "--shift",
    "--jump-target",
];
const NL_VALUES: &[&str] = &["-s", "-w", "-v", "-i", "-b"];
const AWK_VALUES: &[&str] = &["-F", "-v", "-f", "--field-separator", "--assign", "--file"];
const SED_VALUES: &[&str] = &["-e", "-f", "--expression", "--file"];

/// What happens to arguments that look like flags after a `--`.
#[derive(Clone, Copy, PartialEq)]
enum Dashed {
    /// They are operands (`cat -- -file`).
    Kept,
    /// They are still left out.
    Dropped,
}

/// The operands among `args`: not flags, not `--flag=value`, not the values of the flags in
/// `value_flags`; after `--`, everything (see [`Dashed`]).
fn operands<'a>(args: &'a [String], value_flags: &[&str], dashed: Dashed) -> Vec<&'a String> {
    let mut found = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--" {
            found.extend(args.filter(|arg| dashed == Dashed::Kept || !arg.starts_with('-')));
            break;
        }
        if value_flags.contains(&arg.as_str()) {
            args.next();
        } else if !arg.starts_with('-') {
            found.push(arg);
        }
    }
    found
}

/// The one operand of `args`, when there is exactly one.
fn only_operand(args: &[String], value_flags: &[&str]) -> Option<String> {
    match operands(args, value_flags, Dashed::Kept).as_slice() {
        [only] => Some((*only).clone()),
        _ => None,
    }
}

fn is_digits(text: &str) -> bool {
    text.chars().all(|c| c.is_ascii_digit())
}

fn is_pathish(text: &str) -> bool {
    matches!(text, "." | "..")
        || text.starts_with("./")
        || text.starts_with("../")
        || text.contains('/')
        || text.contains('\\')
}

/// The pattern and the first path of `grep`/`git grep` arguments; a pattern given with `-e` or
/// `-f` leaves every operand a path.
fn grep_query_and_path(args: &[String]) -> (Option<String>, Option<&String>) {
    let mut pattern: Option<String> = None;
    let mut found = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--" => {
                found.extend(args.by_ref());
                break;
            }
            "-e" | "--regexp" | "-f" | "--file" => {
                if let Some(value) = args.next() {
                    pattern.get_or_insert_with(|| value.clone());
                }
            }
            "-m" | "--max-count" | "-C" | "--context" | "-A" | "--after-context" | "-B"
            | "--before-context" => {
                args.next();
            }
            flag if flag.starts_with('-') => {}
            _ => found.push(arg),
        }
    }
    match pattern {
        Some(pattern) => (Some(pattern), found.first().copied()),
        None => (found.first().map(|q| (*q).clone()), found.get(1).copied()),
    }
}

/// The pattern of `find … -name PATTERN` (or `-iname`, `-path`, `-regex`): the first such test.
fn find_pattern(args: &[String]) -> Option<&String> {
    let test = args
        .iter()
        .position(|arg| matches!(arg.as_str(), "-name" | "-iname" | "-path" | "-regex"))?;
    args.get(test + 1)
}

/// The file `head`/`tail` read: `head FILE`, `head -n 50 FILE`, `head -n50 FILE`, and for
/// `tail` also `+N` counts.
fn head_or_tail_file(args: &[String], plus_allowed: bool) -> Option<String> {
    let is_count = |count: &str| {
        let digits = match count.strip_prefix('+') {
            Some(rest) if plus_allowed => rest,
            _ => count,
        };
        if plus_allowed {
            !digits.is_empty() && is_digits(digits)
        } else {
            is_digits(digits)
        }
    };
    let rest = match args {
        [flag, count, rest @ ..] if flag == "-n" && is_count(count) => Some(rest),
        [flag, ..] if flag != "-n" && flag.starts_with("-n") && is_count(&flag[2..]) => {
            Some(&args[1..])
        }
        _ => None,
    };
    if let Some(file) = rest.and_then(|rest| rest.iter().find(|arg| !arg.starts_with('-'))) {
        return Some(file.clone());
    }
    match args {
        [file] if !file.starts_with('-') => Some(file.clone()),
        _ => None,
    }
}

/// The data file of an `awk` command: the first operand after `-f SCRIPT`, else the one after
/// the program text.
fn awk_data_file(args: &[String]) -> Option<String> {
    let found = operands(args, AWK_VALUES, Dashed::Dropped);
    let index = if args.iter().any(|arg| arg == "-f" || arg == "--file") {
        0
    } else {
        1
    };
    found.get(index).map(|file| (*file).clone())
}

/// Whether `sed` is given a script like `10p` or `1,200p`.
fn is_line_range(script: &str) -> bool {
    let Some(range) = script.strip_suffix('p') else {
        return false;
    };
    let mut ends = range.split(',');
    let valid = |end: Option<&str>| end.is_some_and(|end| !end.is_empty() && is_digits(end));
    match (ends.next(), ends.next(), ends.next()) {
        (first, None, None) => valid(first),
        (first, second @ Some(_), None) => valid(first) && valid(second),
        _ => false,
    }
}

/// The file of `sed -n RANGE FILE` (the script maybe given with `-e`): the one `sed` command
/// that reads a file rather than reshaping a pipe.
fn sed_printed_file(args: &[String]) -> Option<String> {
    if !args.iter().any(|arg| arg == "-n") {
        return None;
    }
    let mut has_range = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "-e" | "--expression" => has_range |= rest.next().is_some_and(|s| is_line_range(s)),
            "-f" | "--file" => {
                rest.next();
            }
            _ => {}
        }
    }
    has_range = has_range
        || args
            .iter()
            .any(|arg| !arg.starts_with('-') && is_line_range(arg));
    if !has_range {
        return None;
    }
    match operands(args, SED_VALUES, Dashed::Dropped).as_slice() {
        [] => None,
        [script, rest @ ..] if is_line_range(script) => rest.first().map(|file| (*file).clone()),
        [file, ..] => Some((*file).clone()),
    }
}

/// Whether `xargs` runs a command that edits files in place (`xargs sed -i …`,
/// `xargs perl -pi -e …`, `xargs rg --replace …`): such a pipeline stage is kept.
fn xargs_edits_in_place(args: &[String]) -> bool {
    const VALUE_FLAGS: [&str; 7] = ["-E", "-e", "-I", "-L", "-n", "-P", "-s"];
    let mut index = 0;
    let command = loop {
        let Some(arg) = args.get(index) else {
            return false;
        };
        if arg == "--" {
            break &args[index + 1..];
        }
        if !arg.starts_with('-') {
            break &args[index..];
        }
        index += if VALUE_FLAGS.contains(&arg.as_str()) {
            2
        } else {
            1
        };
    };
    let in_place = |flags: &[String]| {
        flags
            .iter()
            .any(|flag| flag.starts_with("-i") || flag.starts_with("-pi"))
    };
    match command.split_first() {
        Some((program, flags)) => match program.as_str() {
            "perl" | "ruby" => in_place(flags),
            "sed" => in_place(flags) || flags.iter().any(|flag| flag == "--in-place"),
            "rg" => flags.iter().any(|flag| flag == "--replace"),
            _ => false,
        },
        None => false,
    }
}

fn is_python(program: &str) -> bool {
    matches!(program, "python" | "python2" | "python3")
        || program.starts_with("python2.")
        || program.starts_with("python3.")
}

/// Whether `python -c SCRIPT` walks the file system.
fn python_walks_files(args: &[String]) -> bool {
    const WALKS: [&str; 7] = [
        "os.walk",
        "os.listdir",
        "os.scandir",
        "glob.glob",
        "glob.iglob",
        "pathlib.Path",
        ".rglob(",
    ];
    let Some(flag) = args.iter().position(|arg| arg == "-c") else {
        return false;
    };
    args.get(flag + 1)
        .is_some_and(|script| WALKS.iter().any(|walk| script.contains(walk)))
}
