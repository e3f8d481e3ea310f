//! Rate-limit headers of model responses, as the ChatGPT backend sends them, into one snapshot
//! per limit family.
//!
//! The default family is `codex` (`x-codex-primary-used-percent`, …); any other family shows
//! itself with an `x-<id>-primary-used-percent` header. Credits are only ever sent for the
//! account (`x-codex-credits-*`) and are reported with every family.

use std::collections::BTreeSet;

use codex_protocol::protocol::CreditsSnapshot;
use codex_protocol::protocol::RateLimitSnapshot;
use codex_protocol::protocol::RateLimitWindow;
use reqwest::header::HeaderMap;

const DEFAULT_FAMILY: &str = "codex";
const PRIMARY_USED: &str = "-primary-used-percent";

/// The `codex` snapshot (always, even without any header), then every other family with some
/// data, ordered by id.
pub fn parse_all(headers: &HeaderMap) -> Vec<RateLimitSnapshot> {
    let mut snapshots = vec![parse_family(headers, DEFAULT_FAMILY)];
    let others: BTreeSet<String> = headers
        .keys()
        .filter_map(|name| {
            let name = name.as_str().to_ascii_lowercase();
            let family = name.strip_suffix(PRIMARY_USED)?.strip_prefix("x-")?;
            let id = limit_id(family);
            (id != DEFAULT_FAMILY).then_some(id)
        })
        .collect();
    snapshots.extend(
        others
            .iter()
            .map(|id| parse_family(headers, id))
            .filter(|snapshot| {
                snapshot.primary.is_some()
                    || snapshot.secondary.is_some()
                    || snapshot.credits.is_some()
            }),
    );
    snapshots
}

/// A new snapshot keeps the credits and plan of the previous one when it brings none, and
/// belongs to `codex` when it names no family.
pub fn carry_over(
    previous: Option<&RateLimitSnapshot>,
    mut snapshot: RateLimitSnapshot,
) -> RateLimitSnapshot {
    if snapshot.limit_id.is_none() {
        snapshot.limit_id = Some(DEFAULT_FAMILY.to_owned());
    }
    if snapshot.credits.is_none() {
        snapshot.credits = previous.and_then(|previous| previous.credits.clone());
    }
    if snapshot.plan_type.is_none() {
        snapshot.plan_type = previous.and_then(|previous| previous.plan_type);
    }
    snapshot
}

/// Header families spell ids with `-`, snapshots with `_`.
fn limit_id(family: &str) -> String {
    family.trim().to_ascii_lowercase().replace('-', "_")
}

fn parse_family(headers: &HeaderMap, id: &str) -> RateLimitSnapshot {
    let prefix = format!("x-{}", id.replace('_', "-"));
    let window = |which: &str| {
        let name = |field: &str| format!("{prefix}-{which}-{field}");
        parse_window(
            text(headers, &name("used-percent")),
            text(headers, &name("window-minutes")),
            text(headers, &name("reset-at")),
        )
    };
    RateLimitSnapshot {
        limit_id: Some(limit_id(id)),
        limit_name: text(headers, &format!("{prefix}-limit-name"))
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_owned),
        primary: window("primary"),
        secondary: window("secondary"),
        credits: parse_credits(headers),
        plan_type: None,
    }
}

/// A window is reported when its used percent is a number and there is some data: a non-zero
/// percent, a non-zero window, or a reset time.
fn parse_window(
    used_percent: Option<&str>,
    window_minutes: Option<&str>,
    resets_at: Option<&str>,
) -> Option<RateLimitWindow> {
    let used_percent = used_percent?
        .parse::<f64>()
        .ok()
        .filter(|value| value.is_finite())?;
    let window_minutes = window_minutes.and_then(|value| value.parse::<i64>().ok());
    let resets_at = resets_at.and_then(|value| value.parse::<i64>().ok());
    let some_data = used_percent != 0.0
        || window_minutes.is_some_and(|minutes| minutes != 0)
        || resets_at.is_some();
    some_data.then_some(RateLimitWindow {
        used_percent,
        window_minutes,
        resets_at,
    })
}

fn parse_credits(headers: &HeaderMap) -> Option<CreditsSnapshot> {
    let flag = |name: &str| match text(headers, name)? {
        raw if raw.eq_ignore_ascii_case("true") || raw == "1" => Some(true),
        raw if raw.eq_ignore_ascii_case("false") || raw == "0" => Some(false),
        _ => None,
    };
    Some(CreditsSnapshot {
        has_credits: flag("x-codex-credits-has-credits")?,
        unlimited: flag("x-codex-credits-unlimited")?,
        balance: text(headers, "x-codex-credits-balance")
            .map(str::trim)
            .filter(|balance| !balance.is_empty())
            .map(str::to_owned),
    })
}

fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok()
}

#[cfg(test)]
mod tests {
    use codex_protocol::account::PlanType;
    use pretty_assertions::assert_eq;
    use reqwest::header::HeaderName;
    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    HeaderValue::from_str(value).unwrap(),
                )
            })
            .collect()
    }

    fn window(used_percent: f64, minutes: Option<i64>, resets_at: Option<i64>) -> RateLimitWindow {
        RateLimitWindow {
            used_percent,
            window_minutes: minutes,
            resets_at,
        }
    }

    fn empty(id: &str) -> RateLimitSnapshot {
        RateLimitSnapshot {
            limit_id: Some(id.to_owned()),
            limit_name: None,
            primary: None,
            secondary: None,
            credits: None,
            plan_type: None,
        }
    }

    #[test]
    fn without_headers_there_is_still_an_empty_codex_snapshot() {
        assert_eq!(parse_all(&HeaderMap::new()), vec![empty("codex")]);
    }

    #[test]
    fn every_family_is_read_with_the_accounts_credits() {
        let found = parse_all(&headers(&[
            ("x-codex-primary-used-percent", "12.5"),
            ("x-codex-primary-window-minutes", "300"),
            ("x-codex-primary-reset-at", "1704069000"),
            ("x-codex-secondary-used-percent", "40"),
            ("x-codex-secondary-window-minutes", "10080"),
            ("x-codex-credits-has-credits", "1"),
            ("x-codex-credits-unlimited", "False"),
            ("x-codex-credits-balance", " 7.5 "),
            ("x-codex-limit-name", "  "),
            ("X-Codex-Mini-Primary-Used-Percent", "3"),
            ("x-codex-mini-limit-name", "GPT-5.1-Codex-Mini"),
            // Used percent zero and nothing else: no data, so no window.
            ("x-codex-other-primary-used-percent", "0"),
        ]));
        let credits = Some(CreditsSnapshot {
            has_credits: true,
            unlimited: false,
            balance: Some("7.5".to_owned()),
        });
        assert_eq!(
            found,
            vec![
                RateLimitSnapshot {
                    primary: Some(window(12.5, Some(300), Some(1704069000))),
                    secondary: Some(window(40.0, Some(10080), None)),
                    credits: credits.clone(),
                    ..empty("codex")
                },
                RateLimitSnapshot {
                    limit_name: Some("GPT-5.1-Codex-Mini".to_owned()),
                    primary: Some(window(3.0, None, None)),
                    credits: credits.clone(),
                    ..empty("codex_mini")
                },
                // Kept for the credits it carries, as the reference does.
                RateLimitSnapshot {
                    credits,
                    ..empty("codex_other")
                },
            ]
        );
    }

    #[test]
    fn some_data_decides_whether_a_window_is_reported() {
        let check = |pairs: &[(&str, &str)]| parse_all(&headers(pairs))[0].primary.clone();
        assert_eq!(check(&[("x-codex-primary-used-percent", "0")]), None);
        assert_eq!(
            check(&[
                ("x-codex-primary-used-percent", "0"),
                ("x-codex-primary-window-minutes", "0"),
            ]),
            None
        );
        assert_eq!(
            check(&[
                ("x-codex-primary-used-percent", "0"),
                ("x-codex-primary-reset-at", "5"),
            ]),
            Some(window(0.0, None, Some(5)))
        );
        assert_eq!(
            check(&[
                ("x-codex-primary-used-percent", "nan"),
                ("x-codex-primary-reset-at", "5"),
            ]),
            None
        );
        assert_eq!(
            check(&[
                ("x-codex-credits-has-credits", "yes"),
                ("x-codex-credits-unlimited", "1")
            ]),
            None
        );
    }

    #[test]
    fn credits_and_plan_carry_over_from_the_previous_snapshot() {
        let previous = RateLimitSnapshot {
            credits: Some(CreditsSnapshot {
                has_credits: true,
                unlimited: false,
                balance: Some("50".to_owned()),
            }),
            plan_type: Some(PlanType::Plus),
            ..empty("codex")
        };
        let next = RateLimitSnapshot {
            limit_id: None,
            primary: Some(window(30.0, Some(120), Some(200))),
            ..empty("codex_other")
        };
        assert_eq!(
            carry_over(Some(&previous), next.clone()),
            RateLimitSnapshot {
                limit_id: Some("codex".to_owned()),
                credits: previous.credits.clone(),
                plan_type: Some(PlanType::Plus),
                ..next.clone()
            }
        );
        assert_eq!(
            carry_over(None, next.clone()),
            RateLimitSnapshot {
                limit_id: Some("codex".to_owned()),
                ..next
            }
        );
    }
}
