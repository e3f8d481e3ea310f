//! Plan mode's `<proposed_plan>` blocks: the model writes its plan between the two tag lines of
//! an answer, and the client sees that text as a plan item rather than as part of the message.
//!
//! The split works line by line as the text streams: a line is held back only while it could
//! still be a tag line (optional indentation, then a prefix of a tag), so ordinary text flows on
//! at once. A tag counts only on a line of its own; anywhere else it is plain text.

const OPEN: &str = "<proposed_plan>";
const CLOSE: &str = "</proposed_plan>";

/// A piece of streamed answer text, told apart by where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// Text of the message itself.
    Message(String),
    /// An opening tag line: a plan starts.
    PlanStart,
    /// Text inside a plan block.
    Plan(String),
    /// A closing tag line, or the end of the text inside an unclosed block.
    PlanEnd,
}

/// Splits one message's text, fed in pieces, into [`Segment`]s.
#[derive(Debug, Default)]
pub(crate) struct PlanSplitter {
    in_plan: bool,
    /// The current line, held while it may still turn out to be a tag line.
    held: String,
    /// Whether the current line has been ruled out as a tag line (its text was let through).
    line_released: bool,
}

impl PlanSplitter {
    pub(crate) fn push(&mut self, delta: &str) -> Vec<Segment> {
        let mut out = Vec::new();
        let mut rest = delta;
        while !rest.is_empty() {
            if self.line_released {
                // Everything to the end of the line goes through as it is.
                let end = rest.find('\n').map_or(rest.len(), |at| at + 1);
                let (text, tail) = rest.split_at(end);
                self.text(text.to_owned(), &mut out);
                if text.ends_with('\n') {
                    self.line_released = false;
                }
                rest = tail;
                continue;
            }
            let Some(ch) = rest.chars().next() else {
                break;
            };
            rest = &rest[ch.len_utf8()..];
            self.held.push(ch);
            if ch == '\n' {
                let line = std::mem::take(&mut self.held);
                self.end_line(line, &mut out);
            } else if !could_be_tag(&self.held) {
                let text = std::mem::take(&mut self.held);
                self.line_released = true;
                self.text(text, &mut out);
            }
        }
        out
    }

    /// The end of the message: a held line is judged as it stands and an open block closes.
    pub(crate) fn finish(&mut self) -> Vec<Segment> {
        let mut out = Vec::new();
        let line = std::mem::take(&mut self.held);
        if !line.is_empty() {
            self.end_line(line, &mut out);
        }
        if std::mem::take(&mut self.in_plan) {
            out.push(Segment::PlanEnd);
        }
        self.line_released = false;
        out
    }

    fn end_line(&mut self, line: String, out: &mut Vec<Segment>) {
        match line.trim() {
            OPEN if !self.in_plan => {
                self.in_plan = true;
                out.push(Segment::PlanStart);
            }
            CLOSE if self.in_plan => {
                self.in_plan = false;
                out.push(Segment::PlanEnd);
            }
            _ => self.text(line, out),
        }
    }

    /// Adds text to the last segment when it is of the same kind, so a line arrives whole.
    fn text(&self, text: String, out: &mut Vec<Segment>) {
        if text.is_empty() {
            return;
        }
        match (self.in_plan, out.last_mut()) {
            (false, Some(Segment::Message(last))) | (true, Some(Segment::Plan(last))) => {
                last.push_str(&text);
            }
            (false, _) => out.push(Segment::Message(text)),
            (true, _) => out.push(Segment::Plan(text)),
        }
    }
}

/// Whether a line begun with `held` may still be a tag line.
fn could_be_tag(held: &str) -> bool {
    let slug = held.trim();
    slug.is_empty() || OPEN.starts_with(slug) || CLOSE.starts_with(slug)
}

fn split_all(text: &str) -> Vec<Segment> {
    let mut splitter = PlanSplitter::default();
    let mut segments = splitter.push(text);
    segments.extend(splitter.finish());
    segments
}

/// The message's text without its plan blocks.
pub(crate) fn without_plans(text: &str) -> String {
    split_all(text)
        .into_iter()
        .filter_map(|segment| match segment {
            Segment::Message(text) => Some(text),
            _ => None,
        })
        .collect()
}

/// The text of the message's last plan block, if it has one.
pub(crate) fn last_plan(text: &str) -> Option<String> {
    let mut plan = None;
    for segment in split_all(text) {
        match segment {
            Segment::PlanStart => plan = Some(String::new()),
            Segment::Plan(text) => {
                if let Some(plan) = plan.as_mut() {
                    plan.push_str(&text);
                }
            }
            Segment::Message(_) | Segment::PlanEnd => {}
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn fed(pieces: &[&str]) -> Vec<Segment> {
        let mut splitter = PlanSplitter::default();
        let mut out = Vec::new();
        for piece in pieces {
            out.extend(splitter.push(piece));
        }
        out.extend(splitter.finish());
        out
    }

    #[test]
    fn a_plan_block_split_across_pieces_becomes_plan_segments() {
        assert_eq!(
            fed(&[
                "Here is the plan.\n<propo",
                "sed_plan>\n1. read\n",
                "</proposed_plan>\nDone"
            ]),
            vec![
                Segment::Message("Here is the plan.\n".into()),
                Segment::PlanStart,
                Segment::Plan("1. read\n".into()),
                Segment::PlanEnd,
                Segment::Message("Done".into()),
            ]
        );
    }

    #[test]
    fn ordinary_text_is_not_held_back() {
        let mut splitter = PlanSplitter::default();
        assert_eq!(splitter.push("Hel"), vec![Segment::Message("Hel".into())]);
        assert_eq!(
            splitter.push("lo <b"),
            vec![Segment::Message("lo <b".into())]
        );
        // A line that starts like a tag waits until it cannot be one.
        assert_eq!(
            splitter.push("\n  </pro"),
            vec![Segment::Message("\n".into())]
        );
        assert_eq!(
            splitter.push("x"),
            vec![Segment::Message("  </prox".into())]
        );
    }

    #[test]
    fn a_tag_with_other_text_on_its_line_is_text() {
        assert_eq!(
            fed(&["  <proposed_plan> and more\n"]),
            vec![Segment::Message("  <proposed_plan> and more\n".into())]
        );
        // A closing tag outside a block is text as well.
        assert_eq!(
            fed(&["</proposed_plan>\n"]),
            vec![Segment::Message("</proposed_plan>\n".into())]
        );
    }

    #[test]
    fn an_unclosed_block_ends_with_the_message_and_a_last_tag_line_needs_no_newline() {
        assert_eq!(
            fed(&["<proposed_plan>\n- one\n"]),
            vec![
                Segment::PlanStart,
                Segment::Plan("- one\n".into()),
                Segment::PlanEnd
            ]
        );
        assert_eq!(
            fed(&["<proposed_plan>\n- one\n</proposed_plan>"]),
            vec![
                Segment::PlanStart,
                Segment::Plan("- one\n".into()),
                Segment::PlanEnd
            ]
        );
    }

    #[test]
    fn plans_are_taken_out_of_the_message_and_the_last_one_is_the_plan() {
        let text = "intro\n<proposed_plan>\nA\n</proposed_plan>\nmid\n<proposed_plan>\nB\n</proposed_plan>\nend";
        assert_eq!(without_plans(text), "intro\nmid\nend");
        assert_eq!(last_plan(text).as_deref(), Some("B\n"));
        assert_eq!(last_plan("no plan here"), None);
    }

    #[test]
    fn multibyte_text_passes_whole() {
        assert_eq!(
            fed(&["é<", "ü\n", "<ü"]),
            vec![
                Segment::Message("é<".into()),
                Segment::Message("ü\n".into()),
                Segment::Message("<ü".into())
            ]
        );
    }
}
