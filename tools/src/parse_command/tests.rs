use codex_protocol::parse_command::ParsedCommand;
use pretty_assertions::assert_eq;

use super::command::is_formatting_helper;
use super::command::join;
use super::parse_command;

fn read(cmd: &str, name: &str, path: &str) -> ParsedCommand {
    ParsedCommand::Read {
        cmd: cmd.to_owned(),
        name: name.to_owned(),
        path: path.to_owned(),
    }
}

fn list(cmd: &str, path: Option<&str>) -> ParsedCommand {
    ParsedCommand::ListFiles {
        cmd: cmd.to_owned(),
        path: path.map(str::to_owned),
    }
}

fn search(cmd: &str, query: Option<&str>, path: Option<&str>) -> ParsedCommand {
    ParsedCommand::Search {
        cmd: cmd.to_owned(),
        query: query.map(str::to_owned),
        path: path.map(str::to_owned),
    }
}

fn unknown(cmd: &str) -> ParsedCommand {
    ParsedCommand::Unknown {
        cmd: cmd.to_owned(),
    }
}

/// `script` run as `/bin/bash -lc SCRIPT`, the way the shell tools run commands.
fn check_script(script: &str, expected: &[ParsedCommand]) {
    let argv = ["/bin/bash", "-lc", script].map(String::from);
    assert_eq!(parse_command(&argv), expected, "bash -lc {script:?}");
}

/// `line` split into words and run as they are, without a shell.
fn check_words(line: &str, expected: &[ParsedCommand]) {
    let argv = shlex::split(line).expect("a test command line");
    assert_eq!(parse_command(&argv), expected, "{argv:?}");
}

#[test]
fn reads() {
    let cases: &[(&str, ParsedCommand)] = &[
        (
            "cat webview/README.md",
            read("cat webview/README.md", "README.md", "webview/README.md"),
        ),
        (
            "bat --theme TwoDark README.md",
            read("bat --theme TwoDark README.md", "README.md", "README.md"),
        ),
        (
            "batcat README.md",
            read("batcat README.md", "README.md", "README.md"),
        ),
        (
            "less -p TODO README.md",
            read("less -p TODO README.md", "README.md", "README.md"),
        ),
        (
            "more README.md",
            read("more README.md", "README.md", "README.md"),
        ),
        (
            "head -n 50 Cargo.toml",
            read("head -n 50 Cargo.toml", "Cargo.toml", "Cargo.toml"),
        ),
        (
            "head -n50 Cargo.toml",
            read("head -n50 Cargo.toml", "Cargo.toml", "Cargo.toml"),
        ),
        (
            "head Cargo.toml",
            read("head Cargo.toml", "Cargo.toml", "Cargo.toml"),
        ),
        (
            "tail -n +522 README.md",
            read("tail -n +522 README.md", "README.md", "README.md"),
        ),
        (
            "tail -n+10 README.md",
            read("tail -n+10 README.md", "README.md", "README.md"),
        ),
        (
            "tail -n 30 README.md",
            read("tail -n 30 README.md", "README.md", "README.md"),
        ),
        (
            "tail README.md",
            read("tail README.md", "README.md", "README.md"),
        ),
        // A single command is shown requoted from the whole script.
        (
            "sed -n '2000,2200p' tui/src/history_cell.rs",
            read(
                "sed -n '2000,2200p' tui/src/history_cell.rs",
                "history_cell.rs",
                "tui/src/history_cell.rs",
            ),
        ),
        (
            "sed -n 12,20p Cargo.toml",
            read("sed -n '12,20p' Cargo.toml", "Cargo.toml", "Cargo.toml"),
        ),
        (
            "awk '{print $1}' Cargo.toml",
            read("awk '{print $1}' Cargo.toml", "Cargo.toml", "Cargo.toml"),
        ),
        (
            "cat -- ./-strange-file-name",
            read(
                "cat -- ./-strange-file-name",
                "-strange-file-name",
                "./-strange-file-name",
            ),
        ),
        (
            r#"cat "pkg\src\main.rs""#,
            read(r#"cat "pkg\\src\\main.rs""#, "main.rs", r"pkg\src\main.rs"),
        ),
        // Piped through `sed -n`, a read shows the script as written.
        (
            "cat tui/Cargo.toml | sed -n '1,200p'",
            read(
                "cat tui/Cargo.toml | sed -n '1,200p'",
                "Cargo.toml",
                "tui/Cargo.toml",
            ),
        ),
        (
            "nl -ba core/src/parse_command.rs | sed -n '1200,1720p'",
            read(
                "nl -ba core/src/parse_command.rs | sed -n '1200,1720p'",
                "parse_command.rs",
                "core/src/parse_command.rs",
            ),
        ),
        (
            "sed -n '260,640p' exec/src/main.rs | nl -ba",
            read(
                "sed -n '260,640p' exec/src/main.rs | nl -ba",
                "main.rs",
                "exec/src/main.rs",
            ),
        ),
        (
            r#"printf "\n===== ansi-escape/Cargo.toml =====\n"; cat -- ansi-escape/Cargo.toml"#,
            read(
                "cat -- ansi-escape/Cargo.toml",
                "Cargo.toml",
                "ansi-escape/Cargo.toml",
            ),
        ),
    ];
    for (script, expected) in cases {
        check_script(script, std::slice::from_ref(expected));
    }
}

#[test]
fn cd_makes_later_reads_relative_to_it() {
    check_script(
        "cd foo && cat foo.txt",
        &[read("cat foo.txt", "foo.txt", "foo/foo.txt")],
    );
    check_words(
        "cd -- -weird && cat foo.txt",
        &[read("cat foo.txt", "foo.txt", "-weird/foo.txt")],
    );
    check_words(
        "cd dir1 dir2 && cat foo.txt",
        &[read("cat foo.txt", "foo.txt", "dir2/foo.txt")],
    );
    check_script(
        "cd a && cd b && head -n 5 c.txt",
        &[read("head -n 5 c.txt", "c.txt", "a/b/c.txt")],
    );
    check_script(
        "cd /repo && cat /etc/hosts",
        &[read("cat /etc/hosts", "hosts", "/etc/hosts")],
    );
    // Lists and searches keep their own paths.
    check_script(
        r#"cd /Users/me/code/codex && rg -n "codex_api" codex-rs -S | head -n 50"#,
        &[search(
            "rg -n codex_api codex-rs -S",
            Some("codex_api"),
            Some("codex-rs"),
        )],
    );
    check_script("cd codex-rs && rg --files", &[list("rg --files", None)]);
    check_script("cd foo && bar", &[unknown("bar")]);
    // A script that only changes directory shows nothing.
    check_script("cd foo", &[]);
}

#[test]
fn lists() {
    let cases: &[(&str, ParsedCommand)] = &[
        ("ls -la | sed -n '1,120p'", list("ls -la", None)),
        ("ls -I '*.test.js'", list("ls -I '*.test.js'", None)),
        (
            "ls --time-style=long-iso ./dist",
            list("ls '--time-style=long-iso' ./dist", Some(".")),
        ),
        (
            "eza --color=always src",
            list("eza '--color=always' src", Some("src")),
        ),
        ("exa -I target .", list("exa -I target .", Some("."))),
        ("tree -L 2 src", list("tree -L 2 src", Some("src"))),
        ("du -d 2 .", list("du -d 2 .", Some("."))),
        ("rg --files | head -n 50", list("rg --files", None)),
        (
            "rg --files webview/src | sed -n",
            list("rg --files webview/src", Some("webview")),
        ),
        ("yes | rg --files", list("rg --files", None)),
        ("rg --files | nl -ba", list("rg --files", None)),
        ("true && rg --files", list("rg --files", None)),
        ("rg --files || true", list("rg --files", None)),
        ("git ls-files", list("git ls-files", None)),
        (
            "git ls-files --exclude target src",
            list("git ls-files --exclude target src", Some("src")),
        ),
        ("fd -t f src/", list("fd -t f src/", Some("src"))),
        ("find src -type f", list("find src -type f", Some("src"))),
        (
            r#"python -c "import os; print(os.listdir('.'))""#,
            list(r#"python -c "import os; print(os.listdir('.'))""#, None),
        ),
        (
            r#"python3 -c "import glob; print(glob.glob('*.rs'))""#,
            list(
                r#"python3 -c "import glob; print(glob.glob('*.rs'))""#,
                None,
            ),
        ),
    ];
    for (script, expected) in cases {
        check_script(script, std::slice::from_ref(expected));
    }
    check_script("rg --files | head -n 1", &[list("rg --files", None)]);
    let argv = ["bash", "-c", "rg --files | head -n 1"].map(String::from);
    assert_eq!(parse_command(&argv), [list("rg --files", None)]);
}

#[test]
fn searches() {
    let cases: &[(&str, ParsedCommand)] = &[
        (
            r#"rg -n "navigate-to-route" -S"#,
            search(
                "rg -n navigate-to-route -S",
                Some("navigate-to-route"),
                None,
            ),
        ),
        (
            r#"rg -n "BUG|FIXME|TODO|XXX|HACK" -S | head -n 200"#,
            search(
                "rg -n 'BUG|FIXME|TODO|XXX|HACK' -S",
                Some("BUG|FIXME|TODO|XXX|HACK"),
                None,
            ),
        ),
        (
            "rg --colors=never -n foo src",
            search("rg '--colors=never' -n foo src", Some("foo"), Some("src")),
        ),
        (
            "rg -l TODO src",
            search("rg -l TODO src", Some("TODO"), Some("src")),
        ),
        (
            "rga -l TODO src",
            search("rga -l TODO src", Some("TODO"), Some("src")),
        ),
        (
            "grep -R CODEX_SANDBOX_ENV_VAR -n core/src/spawn.rs",
            search(
                "grep -R CODEX_SANDBOX_ENV_VAR -n core/src/spawn.rs",
                Some("CODEX_SANDBOX_ENV_VAR"),
                Some("spawn.rs"),
            ),
        ),
        // A query is never shortened like a path.
        (
            "grep -R src/main.rs -n .",
            search("grep -R src/main.rs -n .", Some("src/main.rs"), Some(".")),
        ),
        (
            "grep -e foo -e bar src",
            search("grep -e foo -e bar src", Some("foo"), Some("src")),
        ),
        (
            "egrep -R TODO src",
            search("egrep -R TODO src", Some("TODO"), Some("src")),
        ),
        (
            "fgrep -l TODO src",
            search("fgrep -l TODO src", Some("TODO"), Some("src")),
        ),
        (
            "git grep TODO src",
            search("git grep TODO src", Some("TODO"), Some("src")),
        ),
        (
            "git grep -l TODO src",
            search("git grep -l TODO src", Some("TODO"), Some("src")),
        ),
        (
            "ag TODO src",
            search("ag TODO src", Some("TODO"), Some("src")),
        ),
        (
            "ack -l TODO src",
            search("ack -l TODO src", Some("TODO"), Some("src")),
        ),
        (
            "pt TODO src",
            search("pt TODO src", Some("TODO"), Some("src")),
        ),
        (
            "fd main src",
            search("fd main src", Some("main"), Some("src")),
        ),
        (
            "find . -name '*.rs'",
            search("find . -name '*.rs'", Some("*.rs"), Some(".")),
        ),
        (
            "yes | rg -n 'foo bar' -S",
            search("rg -n 'foo bar' -S", Some("foo bar"), None),
        ),
    ];
    for (script, expected) in cases {
        check_script(script, std::slice::from_ref(expected));
    }
    check_words(
        "grep -R COD`EX_SANDBOX -n",
        &[search(
            "grep -R 'COD`EX_SANDBOX' -n",
            Some("COD`EX_SANDBOX"),
            None,
        )],
    );
}

#[test]
fn scripts_show_each_command_in_order() {
    check_script(
        "rg --version && node -v && pnpm -v && rg --files | wc -l && rg --files | head -n 40",
        &[
            search("rg --version", None, None),
            unknown("node -v"),
            unknown("pnpm -v"),
            list("rg --files", None),
        ],
    );
    check_script(
        "pwd; ls -la; rg --files -g '!target' | wc -l; rg -n '^\\[workspace\\]' -n Cargo.toml || true; cargo --version",
        &[
            unknown("pwd"),
            list("ls -la", None),
            list("rg --files -g '!target'", None),
            search(
                &join(&["rg", "-n", r"^\[workspace\]", "-n", "Cargo.toml"].map(String::from)),
                Some(r"^\[workspace\]"),
                Some("Cargo.toml"),
            ),
            unknown("cargo --version"),
        ],
    );
    check_script(
        "touch approved.txt && echo approved",
        &[unknown("touch approved.txt"), unknown("echo approved")],
    );
    // A leading echo says nothing about the work.
    check_script(
        "echo start; cat a.txt",
        &[read("cat a.txt", "a.txt", "a.txt")],
    );
    check_script("git status | wc -l", &[unknown("git status")]);
    check_script(
        "rg -l QkBindingController presentation/src/main/java | xargs perl -pi -e 's/QkBindingController/QkController/g'",
        &[
            search(
                "rg -l QkBindingController presentation/src/main/java",
                Some("QkBindingController"),
                Some("java"),
            ),
            unknown("xargs perl -pi -e s/QkBindingController/QkController/g"),
        ],
    );
    // Consecutive duplicates appear once.
    check_script("ls && ls", &[list("ls", None)]);
    // `true` goes when there is anything else, even when that is another `true`.
    check_script("true && true", &[]);
    check_script("true", &[unknown("true")]);
}

#[test]
fn scripts_that_are_not_plain_commands_stay_whole() {
    for script in [
        "echo foo > bar",
        "for i in 1 2 3; do echo line$i; done",
        "cat $FILE",
        "cat \"$(ls | head -n 1)\"",
        "FOO=1 cat x",
        "wc -l src/lib.rs",
        "ls &&",
    ] {
        check_script(script, &[unknown(script)]);
    }
    check_script("git status", &[unknown("git status")]);
    check_script(
        r#"python -c "print('hello')""#,
        &[unknown(r#"python -c "print('hello')""#)],
    );
}

#[test]
fn commands_given_as_words() {
    check_words("git status", &[unknown("git status")]);
    check_words("npm run build", &[unknown("npm run build")]);
    check_words(
        "grep -R CODEX_SANDBOX_ENV_VAR -n .",
        &[search(
            "grep -R CODEX_SANDBOX_ENV_VAR -n .",
            Some("CODEX_SANDBOX_ENV_VAR"),
            Some("."),
        )],
    );
    check_words(
        "rg foo ; echo done",
        &[search("rg foo", Some("foo"), None), unknown("echo done")],
    );
    check_words(
        "rg foo || echo done",
        &[search("rg foo", Some("foo"), None), unknown("echo done")],
    );
    check_words("rg --files && true", &[list("rg --files", None)]);
    check_words(
        "sed -n '260,640p' exec/src/main.rs | nl -ba",
        &[read(
            "sed -n '260,640p' exec/src/main.rs",
            "main.rs",
            "exec/src/main.rs",
        )],
    );
    check_words(
        "zsh -lc 'cat README.md'",
        &[read("cat README.md", "README.md", "README.md")],
    );
    check_words(
        "pwsh -NoProfile -c 'Write-Host hi'",
        &[unknown("Write-Host hi")],
    );
    check_words(
        "powershell -Command Get-ChildItem",
        &[unknown("Get-ChildItem")],
    );
}

#[test]
fn formatting_helpers_are_the_ones_that_only_reshape_output() {
    let words = |line: &str| shlex::split(line).expect("a test command line");
    for helper in [
        "wc -l",
        "sort",
        "uniq -c",
        "cut -d: -f1",
        "tr a b",
        "tee out",
        "column -t",
        "xargs -n 1 echo",
        "awk '{print $1}'",
        "head",
        "head -n 40",
        "head -n50",
        "tail -n +10",
        "tail -c 30",
        "sed",
        "sed -n 10p",
        "sed -n p file.txt",
        "sed -n +10p file.txt",
    ] {
        assert!(is_formatting_helper(&words(helper)), "{helper}");
    }
    for command in [
        "",
        "head -n 40 file.txt",
        "head file.txt",
        "tail -n 30 file.txt",
        "awk '{print $1}' Cargo.toml",
        "awk -f script.awk Cargo.toml",
        "sed -n 10p file.txt",
        "sed -n -e 10p file.txt",
        "sed -n 10p -- file.txt",
        "xargs sed -i s/a/b/",
        "xargs rg --replace x y",
        "nl -ba",
        "grep foo",
    ] {
        assert!(!is_formatting_helper(&words(command)), "{command}");
    }
}

#[test]
fn any_script_gets_a_reading_without_panicking() {
    // Scripts made of the characters the reader treats specially, in a fixed pseudo-random
    // sequence, so that every branch sees odd neighbours (an unterminated quote after a
    // backslash, an operator at the end, multi-byte characters next to a slice point).
    const PIECES: [&str; 28] = [
        "cat", "sed", "-n", "1,2p", "head", "-n5", "rg", "--files", "cd", "x/", " ", "\t", "\n",
        "'", "\"", "\\", "|", "&", ";", "$", "(", ">", "#", "=", "é", "--", "nl", "xargs",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..20_000 {
        let len = next() % 12;
        let script: String = (0..len)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        let argv = ["bash", "-lc", script.as_str()].map(String::from);
        let parsed = parse_command(&argv);
        let words: Vec<String> = script.split(' ').map(str::to_owned).collect();
        parse_command(&words);
        // A script is read command by command or shown whole; only `cd` (or `true && true`)
        // leaves nothing to show.
        assert!(
            !parsed.is_empty() || script.contains("cd"),
            "{script:?} gave no reading"
        );
    }
}
