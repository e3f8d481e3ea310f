//! Reading a rules file: the `prefix_rule(...)` subset of the Starlark policy language the
//! reference writes and reads, and nothing more.
//!
//! A file is a sequence of calls `prefix_rule(pattern = [...], decision = "...",
//! justification = "...", match = [...], not_match = [...])` with keyword arguments only,
//! double- or single-quoted strings, lists, trailing commas and `#` comments. Anything else
//! (other functions, variables, numbers, triple-quoted or raw strings, positional arguments)
//! is refused with its line and column, so a rule is never silently skipped.

use std::fmt;

use super::Decision;
use super::PatternToken;
use super::PrefixRule;

/// What is wrong with a rules file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line and column of the offending text.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for ParseError {}

/// The rules of `text`, in file order.
pub fn parse_rules(text: &str) -> Result<Vec<PrefixRule>, ParseError> {
    let (tokens, end) = tokenize(text)?;
    let mut parser = Parser { tokens, at: 0, end };
    let mut rules = Vec::new();
    while parser.peek().is_some() {
        rules.push(parser.rule()?);
    }
    Ok(rules)
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Ident(String),
    Str(String),
    Open(char),
    Close(char),
    Comma,
    Equals,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    line: usize,
    column: usize,
}

/// The tokens of `text`, and the line and column just past its end.
fn tokenize(text: &str) -> Result<(Vec<Token>, (usize, usize)), ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let (mut at, mut line, mut column) = (0, 1, 1);
    while let Some(&c) = chars.get(at) {
        let (start_line, start_column) = (line, column);
        let error = |message: String| ParseError {
            line: start_line,
            column: start_column,
            message,
        };
        let kind = match c {
            '\n' => {
                at += 1;
                line += 1;
                column = 1;
                continue;
            }
            ' ' | '\t' | '\r' => {
                at += 1;
                column += 1;
                continue;
            }
            '#' => {
                while chars.get(at).is_some_and(|c| *c != '\n') {
                    at += 1;
                }
                continue;
            }
            '(' | '[' => Kind::Open(c),
            ')' | ']' => Kind::Close(c),
            ',' => Kind::Comma,
            '=' => Kind::Equals,
            '"' | '\'' => {
                if chars.get(at + 1) == Some(&c) && chars.get(at + 2) == Some(&c) {
                    return Err(error("triple-quoted strings are not supported".to_owned()));
                }
                let mut value = String::new();
                let mut end = at + 1;
                loop {
                    match chars.get(end) {
                        None | Some('\n') => {
                            return Err(error("unterminated string".to_owned()));
                        }
                        Some(&q) if q == c => break,
                        Some('\\') => {
                            let (decoded, used) = escape(&chars[end + 1..])
                                .ok_or_else(|| error("invalid escape in string".to_owned()))?;
                            value.push(decoded);
                            end += 1 + used;
                        }
                        Some(&other) => {
                            value.push(other);
                            end += 1;
                        }
                    }
                }
                column += end + 1 - at;
                at = end + 1;
                tokens.push(Token {
                    kind: Kind::Str(value),
                    line: start_line,
                    column: start_column,
                });
                continue;
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut end = at;
                while chars
                    .get(end)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
                {
                    end += 1;
                }
                let word: String = chars[at..end].iter().collect();
                column += end - at;
                at = end;
                tokens.push(Token {
                    kind: Kind::Ident(word),
                    line: start_line,
                    column: start_column,
                });
                continue;
            }
            other => return Err(error(format!("unexpected character `{other}`"))),
        };
        at += 1;
        column += 1;
        tokens.push(Token {
            kind,
            line: start_line,
            column: start_column,
        });
    }
    Ok((tokens, (line, column)))
}

/// Decodes the escape after a backslash: the character and how many characters it used.
fn escape(rest: &[char]) -> Option<(char, usize)> {
    let hex = |digits: usize| {
        let text: String = rest.get(1..=digits)?.iter().collect();
        let code = u32::from_str_radix(&text, 16).ok()?;
        Some((char::from_u32(code)?, 1 + digits))
    };
    match rest.first()? {
        'n' => Some(('\n', 1)),
        't' => Some(('\t', 1)),
        'r' => Some(('\r', 1)),
        'b' => Some(('\u{8}', 1)),
        'f' => Some(('\u{c}', 1)),
        '0' => Some(('\0', 1)),
        '\\' => Some(('\\', 1)),
        '"' => Some(('"', 1)),
        '\'' => Some(('\'', 1)),
        '/' => Some(('/', 1)),
        'x' => hex(2),
        'u' => hex(4),
        'U' => hex(8),
        _ => None,
    }
}

/// A value of a keyword argument.
enum Value {
    Str(String),
    List(Vec<Value>),
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    /// Where the text ends, for errors about what is missing there.
    end: (usize, usize),
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn advance(&mut self, expected: &str) -> Result<Token, ParseError> {
        let token = self.tokens.get(self.at).cloned().ok_or_else(|| {
            let (line, column) = self.end;
            ParseError {
                line,
                column,
                message: format!("unexpected end of file, expected {expected}"),
            }
        })?;
        self.at += 1;
        Ok(token)
    }

    fn expect(&mut self, kind: Kind, expected: &str) -> Result<Token, ParseError> {
        let token = self.advance(expected)?;
        if token.kind == kind {
            Ok(token)
        } else {
            Err(unexpected(&token, expected))
        }
    }

    fn rule(&mut self) -> Result<PrefixRule, ParseError> {
        let name = self.advance("`prefix_rule(`")?;
        match &name.kind {
            Kind::Ident(word) if word == "prefix_rule" => {}
            Kind::Ident(word) => {
                return Err(at(
                    &name,
                    format!("only prefix_rule(...) is supported, found `{word}`"),
                ));
            }
            _ => return Err(unexpected(&name, "`prefix_rule(`")),
        }
        self.expect(Kind::Open('('), "`(`")?;
        let mut arguments = Arguments::default();
        loop {
            let token = self.advance("a keyword argument or `)`")?;
            let key = match token.kind.clone() {
                Kind::Close(')') => break,
                Kind::Ident(key) => key,
                _ => {
                    return Err(at(
                        &token,
                        "prefix_rule takes keyword arguments only (such as pattern = [...])"
                            .to_owned(),
                    ));
                }
            };
            self.expect(Kind::Equals, "`=`")?;
            let value = self.value()?;
            arguments.set(&token, &key, value)?;
            let after = self.advance("`,` or `)`")?;
            match after.kind {
                Kind::Comma => {}
                Kind::Close(')') => break,
                _ => return Err(unexpected(&after, "`,` or `)`")),
            }
        }
        arguments.into_rule(&name)
    }

    fn value(&mut self) -> Result<(Token, Value), ParseError> {
        let token = self.advance("a string or a list")?;
        let value = match &token.kind {
            Kind::Str(text) => Value::Str(text.clone()),
            Kind::Open('[') => {
                let mut items = Vec::new();
                loop {
                    if matches!(self.peek().map(|token| &token.kind), Some(Kind::Close(']'))) {
                        self.at += 1;
                        break;
                    }
                    items.push(self.value()?.1);
                    let after = self.advance("`,` or `]`")?;
                    match after.kind {
                        Kind::Comma => {}
                        Kind::Close(']') => break,
                        _ => return Err(unexpected(&after, "`,` or `]`")),
                    }
                }
                Value::List(items)
            }
            _ => {
                return Err(at(
                    &token,
                    "unsupported value: only strings and lists of strings are allowed".to_owned(),
                ));
            }
        };
        Ok((token, value))
    }
}

/// The keyword arguments of one call, as they are read.
#[derive(Default)]
struct Arguments {
    pattern: Option<(Token, Value)>,
    decision: Option<(Token, Value)>,
    justification: Option<(Token, Value)>,
    matches: Option<(Token, Value)>,
    not_matches: Option<(Token, Value)>,
}

impl Arguments {
    fn set(
        &mut self,
        key_token: &Token,
        key: &str,
        value: (Token, Value),
    ) -> Result<(), ParseError> {
        let slot = match key {
            "pattern" => &mut self.pattern,
            "decision" => &mut self.decision,
            "justification" => &mut self.justification,
            "match" => &mut self.matches,
            "not_match" => &mut self.not_matches,
            other => {
                return Err(at(
                    key_token,
                    format!("prefix_rule has no argument `{other}`"),
                ));
            }
        };
        if slot.is_some() {
            return Err(at(key_token, format!("argument `{key}` is given twice")));
        }
        *slot = Some(value);
        Ok(())
    }

    fn into_rule(self, call: &Token) -> Result<PrefixRule, ParseError> {
        let (pattern_token, pattern) = self
            .pattern
            .ok_or_else(|| at(call, "prefix_rule needs a pattern".to_owned()))?;
        let pattern = pattern_of(&pattern_token, pattern)?;
        let decision = match self.decision {
            None => Decision::Allow,
            Some((token, Value::Str(text))) => match text.as_str() {
                "allow" => Decision::Allow,
                "prompt" => Decision::Prompt,
                "forbidden" => Decision::Forbidden,
                other => {
                    return Err(at(
                        &token,
                        format!("unknown decision `{other}`: expected allow, prompt or forbidden"),
                    ));
                }
            },
            Some((token, Value::List(_))) => {
                return Err(at(&token, "decision must be a string".to_owned()));
            }
        };
        let justification = match self.justification {
            None => None,
            Some((_, Value::Str(text))) => Some(text),
            Some((token, Value::List(_))) => {
                return Err(at(&token, "justification must be a string".to_owned()));
            }
        };
        let rule = PrefixRule {
            pattern,
            decision,
            justification,
        };
        for (examples, should_match) in [(self.matches, true), (self.not_matches, false)] {
            let Some((token, examples)) = examples else {
                continue;
            };
            for example in examples_of(&token, examples)? {
                if rule.matches(&example) != should_match {
                    let verb = if should_match { "match" } else { "not match" };
                    return Err(at(
                        &token,
                        format!(
                            "example {} should {verb} this rule's pattern",
                            super::render_prefix(&example)
                        ),
                    ));
                }
            }
        }
        Ok(rule)
    }
}

fn pattern_of(token: &Token, value: Value) -> Result<Vec<PatternToken>, ParseError> {
    let Value::List(items) = value else {
        return Err(at(token, "pattern must be a list".to_owned()));
    };
    if items.is_empty() {
        return Err(at(token, "pattern must not be empty".to_owned()));
    }
    items
        .into_iter()
        .map(|item| match item {
            Value::Str(word) => Ok(PatternToken::Word(word)),
            Value::List(alternatives) => {
                let words = strings(token, alternatives, "alternatives in a pattern")?;
                if words.is_empty() {
                    Err(at(
                        token,
                        "a list of alternatives must not be empty".to_owned(),
                    ))
                } else {
                    Ok(PatternToken::AnyOf(words))
                }
            }
        })
        .collect()
}

/// `match` / `not_match`: commands as lists of words, or strings split like a shell would.
fn examples_of(token: &Token, value: Value) -> Result<Vec<Vec<String>>, ParseError> {
    let Value::List(items) = value else {
        return Err(at(token, "examples must be a list".to_owned()));
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Str(line) => shlex::split(&line)
                .filter(|words| !words.is_empty())
                .ok_or_else(|| at(token, format!("cannot split example `{line}` into words"))),
            Value::List(words) => strings(token, words, "the words of an example"),
        })
        .collect()
}

fn strings(token: &Token, values: Vec<Value>, what: &str) -> Result<Vec<String>, ParseError> {
    values
        .into_iter()
        .map(|value| match value {
            Value::Str(text) => Ok(text),
            Value::List(_) => Err(at(token, format!("{what} must be strings"))),
        })
        .collect()
}

fn at(token: &Token, message: String) -> ParseError {
    ParseError {
        line: token.line,
        column: token.column,
        message,
    }
}

fn unexpected(token: &Token, expected: &str) -> ParseError {
    let found = match &token.kind {
        Kind::Ident(word) => format!("`{word}`"),
        Kind::Str(text) => format!("the string {text:?}"),
        Kind::Open(c) | Kind::Close(c) => format!("`{c}`"),
        Kind::Comma => "`,`".to_owned(),
        Kind::Equals => "`=`".to_owned(),
    };
    at(token, format!("expected {expected}, found {found}"))
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn words(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    #[test]
    fn reads_what_the_reference_writes_and_documents() {
        let text = r#"
# approved by the user
prefix_rule(pattern=["touch"], decision="allow")
prefix_rule(pattern=["say", "a \"quoted\" \\ word\u00e9"], decision="allow")
prefix_rule(
    pattern = ["git", ["status", 'log']],   # either subcommand
    decision = "prompt",
    justification = "look first",
    match = [["git", "status"], "git log --oneline"],
    not_match = ["git push"],
)
prefix_rule(pattern = ["rm"], decision = "forbidden",)
"#;
        let rules = parse_rules(text).unwrap();
        assert_eq!(
            rules,
            vec![
                PrefixRule {
                    pattern: vec![PatternToken::Word("touch".into())],
                    decision: Decision::Allow,
                    justification: None,
                },
                PrefixRule {
                    pattern: vec![
                        PatternToken::Word("say".into()),
                        PatternToken::Word("a \"quoted\" \\ wordé".into()),
                    ],
                    decision: Decision::Allow,
                    justification: None,
                },
                PrefixRule {
                    pattern: vec![
                        PatternToken::Word("git".into()),
                        PatternToken::AnyOf(words(&["status", "log"])),
                    ],
                    decision: Decision::Prompt,
                    justification: Some("look first".into()),
                },
                PrefixRule {
                    pattern: vec![PatternToken::Word("rm".into())],
                    decision: Decision::Forbidden,
                    justification: None,
                },
            ]
        );
        assert_eq!(parse_rules("  # nothing\n\n").unwrap(), Vec::new());
    }

    #[test]
    fn refuses_the_rest_of_the_language_with_its_place() {
        for (text, expected) in [
            (
                "allow = \"x\"",
                "1:1: only prefix_rule(...) is supported, found `allow`",
            ),
            (
                "prefix_rule(pattern=[\"a\"]",
                "1:26: unexpected end of file, expected `,` or `)`",
            ),
            (
                "prefix_rule([\"a\"])",
                "1:13: prefix_rule takes keyword arguments only (such as pattern = [...])",
            ),
            (
                "prefix_rule(pattern=[\"a\"], color=\"red\")",
                "1:28: prefix_rule has no argument `color`",
            ),
            (
                "prefix_rule(pattern=[\"a\"], pattern=[\"b\"])",
                "1:28: argument `pattern` is given twice",
            ),
            (
                "prefix_rule(decision=\"allow\")",
                "1:1: prefix_rule needs a pattern",
            ),
            ("prefix_rule(pattern=[])", "1:21: pattern must not be empty"),
            ("prefix_rule(pattern=\"a\")", "1:21: pattern must be a list"),
            (
                "prefix_rule(pattern=[\"a\"], decision=\"maybe\")",
                "1:37: unknown decision `maybe`: expected allow, prompt or forbidden",
            ),
            ("prefix_rule(pattern=[1])", "1:22: unexpected character `1`"),
            (
                "prefix_rule(pattern=[True])",
                "1:22: unsupported value: only strings and lists of strings are allowed",
            ),
            ("prefix_rule(pattern=[\"a])", "1:22: unterminated string"),
            (
                "prefix_rule(pattern=[\"\"\"a\"\"\"])",
                "1:22: triple-quoted strings are not supported",
            ),
            (
                "prefix_rule(pattern=[\"\\q\"])",
                "1:22: invalid escape in string",
            ),
            (
                "\n  prefix_rule(pattern=[\"a\"], match=[\"b\"])",
                "2:36: example [\"b\"] should match this rule's pattern",
            ),
            (
                "prefix_rule(pattern=[\"a\"], not_match=[[\"a\", \"b\"]])",
                "1:38: example [\"a\", \"b\"] should not match this rule's pattern",
            ),
            (
                "prefix_rule(pattern=[\"a\"]) x",
                "1:28: only prefix_rule(...) is supported, found `x`",
            ),
        ] {
            let error = parse_rules(text).unwrap_err();
            assert_eq!(error.to_string(), expected, "{text}");
        }
    }
}
