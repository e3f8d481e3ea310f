//! Cutting long tool output down for the model, the way the reference does: the start and the
//! end are kept and the middle is replaced by a marker, `…N tokens truncated…` under a token
//! budget or `…N chars truncated…` under a byte budget (see
//! [`crate::model_family::TruncationPolicy`]).
//!
//! Output is cut twice. A tool cuts its own text to the policy (unified exec to its
//! `max_output_tokens`, the shell tools to the model's policy); then the whole output sent back
//! to the model is cut to 1.2 times the model's policy, which can cut through a first marker.

use codex_protocol::models::FunctionCallOutputBody;
use codex_protocol::models::FunctionCallOutputContentItem;

use crate::model_family::TruncationPolicy;

/// The reference's estimate of a token: four bytes.
const BYTES_PER_TOKEN: usize = 4;

/// Tokens in `text`, estimated from its length.
pub(crate) fn approx_tokens(text: &str) -> usize {
    text.len().div_ceil(BYTES_PER_TOKEN)
}

fn byte_budget(policy: TruncationPolicy) -> usize {
    match policy {
        TruncationPolicy::Tokens(tokens) => tokens.saturating_mul(BYTES_PER_TOKEN),
        TruncationPolicy::Bytes(bytes) => bytes,
    }
}

/// The budget of a whole tool output: 1.2 times `policy`.
pub(crate) fn for_output(policy: TruncationPolicy) -> TruncationPolicy {
    let scale = |limit: usize| limit.saturating_mul(6) / 5;
    match policy {
        TruncationPolicy::Tokens(tokens) => TruncationPolicy::Tokens(scale(tokens)),
        TruncationPolicy::Bytes(bytes) => TruncationPolicy::Bytes(scale(bytes)),
    }
}

/// Keeps the start and the end of `text` within `policy`'s budget, half each, marking what was
/// cut in the middle.
pub(crate) fn truncate_text(text: &str, policy: TruncationPolicy) -> String {
    let budget = byte_budget(policy);
    if text.len() <= budget {
        return text.to_owned();
    }
    let mut head_end = budget / 2;
    while !text.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let mut tail_start = text.len() - (budget - budget / 2);
    while !text.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    let marker = match policy {
        TruncationPolicy::Tokens(_) => {
            let removed = (text.len() - budget).div_ceil(BYTES_PER_TOKEN);
            format!("…{removed} tokens truncated…")
        }
        TruncationPolicy::Bytes(_) => {
            let removed = text[head_end..tail_start].chars().count();
            format!("…{removed} chars truncated…")
        }
    };
    format!("{}{marker}{}", &text[..head_end], &text[tail_start..])
}

/// [`truncate_text`], headed by `Total output lines: N` and a blank line when it cuts.
pub(crate) fn truncate_with_line_count(text: &str, policy: TruncationPolicy) -> String {
    if text.len() <= byte_budget(policy) {
        return text.to_owned();
    }
    let lines = text.lines().count();
    format!(
        "Total output lines: {lines}\n\n{}",
        truncate_text(text, policy)
    )
}

/// A client tool's answer cut like any other tool output: its texts share `policy`'s budget in
/// proportion to their lengths (images pass untouched), so a client cannot flood the context.
pub(crate) fn truncate_body(
    body: FunctionCallOutputBody,
    policy: TruncationPolicy,
) -> FunctionCallOutputBody {
    let items = match body {
        FunctionCallOutputBody::String(text) => {
            return FunctionCallOutputBody::String(truncate_text(&text, policy));
        }
        FunctionCallOutputBody::List(items) => items,
    };
    let total: usize = items
        .iter()
        .map(|item| match item {
            FunctionCallOutputContentItem::InputText { text } => text.len(),
            FunctionCallOutputContentItem::InputImage { .. } => 0,
        })
        .sum();
    let budget = byte_budget(policy);
    if total <= budget {
        return FunctionCallOutputBody::List(items);
    }
    let share = |len: usize| {
        let part = budget.saturating_mul(len) / total;
        match policy {
            TruncationPolicy::Tokens(_) => TruncationPolicy::Tokens(part / BYTES_PER_TOKEN),
            TruncationPolicy::Bytes(_) => TruncationPolicy::Bytes(part),
        }
    };
    FunctionCallOutputBody::List(
        items
            .into_iter()
            .map(|item| match item {
                FunctionCallOutputContentItem::InputText { text } => {
                    let text = truncate_text(&text, share(text.len()));
                    FunctionCallOutputContentItem::InputText { text }
                }
                image @ FunctionCallOutputContentItem::InputImage { .. } => image,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn a_client_answer_shares_the_budget_and_keeps_images() {
        let image = FunctionCallOutputContentItem::InputImage {
            image_url: "data:image/png;base64,AAAA".to_owned(),
        };
        let body = FunctionCallOutputBody::List(vec![
            FunctionCallOutputContentItem::InputText {
                text: "a".repeat(300),
            },
            image.clone(),
            FunctionCallOutputContentItem::InputText {
                text: "b".repeat(100),
            },
        ]);
        let FunctionCallOutputBody::List(items) = truncate_body(body, TruncationPolicy::Bytes(200))
        else {
            panic!("a list stays a list");
        };
        let texts: Vec<&str> = items
            .iter()
            .filter_map(|item| match item {
                FunctionCallOutputContentItem::InputText { text } => Some(text.as_str()),
                FunctionCallOutputContentItem::InputImage { .. } => None,
            })
            .collect();
        assert_eq!(
            texts,
            [
                format!("{}…150 chars truncated…{}", "a".repeat(75), "a".repeat(75)),
                format!("{}…50 chars truncated…{}", "b".repeat(25), "b".repeat(25)),
            ]
        );
        assert_eq!(items[1], image);

        let short = FunctionCallOutputBody::String("fine".to_owned());
        assert_eq!(
            truncate_body(short.clone(), TruncationPolicy::Bytes(200)),
            short
        );
    }

    #[test]
    fn keeps_both_ends_and_counts_what_it_cut() {
        let long = "a".repeat(40) + &"b".repeat(40);
        let cases = [
            ("short", TruncationPolicy::Tokens(10), "short".to_owned()),
            (
                long.as_str(),
                TruncationPolicy::Tokens(5),
                format!("{}…15 tokens truncated…{}", "a".repeat(10), "b".repeat(10)),
            ),
            (
                long.as_str(),
                TruncationPolicy::Bytes(20),
                format!("{}…60 chars truncated…{}", "a".repeat(10), "b".repeat(10)),
            ),
            // A cut inside a character moves outwards; chars count characters, not bytes.
            (
                "éééééé",
                TruncationPolicy::Bytes(5),
                "é…4 chars truncated…é".to_owned(),
            ),
        ];
        for (text, policy, expected) in cases {
            assert_eq!(truncate_text(text, policy), expected, "{policy:?}");
        }
    }

    #[test]
    fn line_count_heads_only_a_cut_text() {
        assert_eq!(
            truncate_with_line_count("1\n2\n", TruncationPolicy::Bytes(10)),
            "1\n2\n"
        );
        assert_eq!(
            truncate_with_line_count("1\n2\n3\n4\n", TruncationPolicy::Bytes(4)),
            "Total output lines: 4\n\n1\n…4 chars truncated…4\n"
        );
    }

    #[test]
    fn whole_outputs_get_a_fifth_more() {
        assert_eq!(
            for_output(TruncationPolicy::Tokens(10_000)),
            TruncationPolicy::Tokens(12_000)
        );
        assert_eq!(
            for_output(TruncationPolicy::Bytes(10_000)),
            TruncationPolicy::Bytes(12_000)
        );
    }
}
