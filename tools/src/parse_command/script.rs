//! Reading a shell script as a list of plain commands, or refusing to.
//!
//! The classifier only looks inside scripts made of simple commands whose words are literal:
//! unquoted words, `'single'` and `"double"` quoted strings without expansions, and their
//! concatenations, joined by `&&`, `||`, `;`, `|` or newlines. Anything else (redirections,
//! substitutions, variables, subshells, control flow, assignments, comments, background jobs)
//! makes the whole script one unknown command, as the reference does.

/// The plain commands of `script` in source order, each as its words; `None` when the script
/// holds anything but plain commands. Quoted words lose their quotes but keep their backslashes,
/// the way the reference reads them.
pub(crate) fn plain_commands(script: &str) -> Option<Vec<Vec<String>>> {
    let mut reader = Reader {
        chars: script.chars().collect(),
        at: 0,
    };
    let mut commands = Vec::new();
    let mut current: Vec<String> = Vec::new();
    // After `&&`, `||` and `|` another command must follow.
    let mut needs_command = false;
    while let Some(c) = reader.peek(0) {
        match c {
            ' ' | '\t' | '\r' => reader.at += 1,
            '\\' if reader.peek(1) == Some('\n') => reader.at += 2,
            '\n' => {
                reader.at += 1;
                if !current.is_empty() {
                    commands.push(std::mem::take(&mut current));
                }
            }
            ';' => {
                if current.is_empty() || matches!(reader.peek(1), Some(';' | '&')) {
                    return None;
                }
                reader.at += 1;
                commands.push(std::mem::take(&mut current));
            }
            '&' | '|' => {
                let doubled = reader.peek(1) == Some(c);
                let pipe_both = c == '|' && reader.peek(1) == Some('&');
                if current.is_empty() || (c == '&' && !doubled) || pipe_both {
                    return None;
                }
                reader.at += if doubled { 2 } else { 1 };
                commands.push(std::mem::take(&mut current));
                needs_command = true;
            }
            '<' | '>' | '(' | ')' | '`' | '$' => return None,
            '#' => return None,
            _ => {
                let word = reader.word()?;
                if current.is_empty() && !is_plain_command_name(&word) {
                    return None;
                }
                current.push(word.text);
                needs_command = false;
            }
        }
    }
    if needs_command {
        return None;
    }
    if !current.is_empty() {
        commands.push(current);
    }
    Some(commands)
}

/// Words that begin something other than a simple command in bash's grammar.
const NOT_COMMANDS: [&str; 29] = [
    "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
    "in", "select", "function", "coproc", "time", "{", "}", "[", "[[", "]]", "!", "declare",
    "typeset", "export", "readonly", "local", "unset",
];

struct Word {
    text: String,
    /// Whether the word was written without any quotes.
    unquoted: bool,
}

fn is_plain_command_name(word: &Word) -> bool {
    if !word.unquoted || NOT_COMMANDS.contains(&word.text.as_str()) || word.text == "unsetenv" {
        return false;
    }
    // `NAME=value` before a command is an assignment, not a command.
    match word.text.split_once('=') {
        Some((name, _)) => !is_identifier(name.trim_end_matches('+')),
        None => true,
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

struct Reader {
    chars: Vec<char>,
    at: usize,
}

impl Reader {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    /// One word: unquoted runs and quoted strings up to a blank or an operator.
    fn word(&mut self) -> Option<Word> {
        let mut text = String::new();
        let mut unquoted = true;
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\t' | '\r' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')' => break,
                '$' | '`' => return None,
                '\'' => {
                    unquoted = false;
                    self.at += 1;
                    loop {
                        match self.peek(0)? {
                            '\'' => break,
                            other => text.push(other),
                        }
                        self.at += 1;
                    }
                    self.at += 1;
                }
                '"' => {
                    unquoted = false;
                    self.at += 1;
                    loop {
                        match self.peek(0)? {
                            '"' => break,
                            '$' | '`' => return None,
                            '\\' => {
                                text.push('\\');
                                text.push(self.peek(1)?);
                                self.at += 1;
                            }
                            other => text.push(other),
                        }
                        self.at += 1;
                    }
                    self.at += 1;
                }
                '\\' => {
                    let escaped = self.peek(1)?;
                    if escaped == '\n' {
                        return None;
                    }
                    text.push('\\');
                    text.push(escaped);
                    self.at += 2;
                }
                other => {
                    text.push(other);
                    self.at += 1;
                }
            }
        }
        Some(Word { text, unquoted })
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn check(script: &str, expected: Option<&[&[&str]]>) {
        let expected = expected.map(|commands| {
            commands
                .iter()
                .map(|words| words.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        });
        assert_eq!(plain_commands(script), expected, "{script}");
    }

    #[test]
    fn plain_commands_and_their_operators() {
        check("ls -1", Some(&[&["ls", "-1"]]));
        check(
            "ls && pwd; echo 'hi there' | wc -l",
            Some(&[&["ls"], &["pwd"], &["echo", "hi there"], &["wc", "-l"]]),
        );
        check("rg foo || true", Some(&[&["rg", "foo"], &["true"]]));
        check("ls\npwd\n", Some(&[&["ls"], &["pwd"]]));
        check("ls &&\n  pwd", Some(&[&["ls"], &["pwd"]]));
        check("ls \\\n  -la", Some(&[&["ls", "-la"]]));
        check("cat x;", Some(&[&["cat", "x"]]));
        check("", Some(&[]));
    }

    #[test]
    fn quoted_words_lose_their_quotes() {
        check("echo \"hello world\"", Some(&[&["echo", "hello world"]]));
        check(
            "git commit -m \"line1\nline2\"",
            Some(&[&["git", "commit", "-m", "line1\nline2"]]),
        );
        check(
            r#"echo "/usr"'/'"local"/bin"#,
            Some(&[&["echo", "/usr/local/bin"]]),
        );
        check(
            r#"rg -n '^\[workspace\]' Cargo.toml"#,
            Some(&[&["rg", "-n", r"^\[workspace\]", "Cargo.toml"]]),
        );
        check("rg -g\"*.py\" x", Some(&[&["rg", "-g*.py", "x"]]));
        check("echo '' x", Some(&[&["echo", "", "x"]]));
    }

    #[test]
    fn anything_but_plain_commands_is_refused() {
        for script in [
            "echo $HOME",
            "echo \"hi ${USER}\"",
            "echo $(pwd)",
            "echo `pwd`",
            "ls > out.txt",
            "cat < in.txt",
            "ls 2>&1",
            "echo hi & echo bye",
            "ls |& cat",
            "(ls)",
            "ls || (pwd && echo hi)",
            "for i in 1 2; do echo $i; done",
            "if true; then ls; fi",
            "{ ls; }",
            "[ -f x ] && cat x",
            "! ls",
            "FOO=1 ls",
            "export FOO=1",
            "ls # comment",
            "ls &&",
            "| ls",
            "; ls",
            "ls ;; pwd",
            "echo 'unterminated",
            "echo \"unterminated",
            "\"ls\" -la",
        ] {
            check(script, None);
        }
    }
}
