//! The usage payload (`/wham/usage`, `/api/codex/usage`) and how it becomes rate-limit
//! snapshots.

use codex_protocol::account::PlanType;
use codex_protocol::protocol::CreditsSnapshot;
use codex_protocol::protocol::RateLimitSnapshot;
use codex_protocol::protocol::RateLimitWindow;
use serde::Deserialize;

/// The id of the family the plain `rate_limit` of the payload describes.
pub const CODEX_LIMIT_ID: &str = "codex";

/// The usage payload as the backend sends it; only what the snapshots need is read.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct UsagePayload {
    pub plan_type: BackendPlanType,
    #[serde(default)]
    pub rate_limit: Option<RateLimitDetails>,
    #[serde(default)]
    pub credits: Option<CreditDetails>,
    #[serde(default)]
    pub additional_rate_limits: Option<Vec<AdditionalRateLimit>>,
}

/// The plans the backend names, more than clients are told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendPlanType {
    Guest,
    Free,
    Go,
    Plus,
    Pro,
    FreeWorkspace,
    Team,
    Business,
    Education,
    Quorum,
    K12,
    Enterprise,
    Edu,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RateLimitDetails {
    #[serde(default)]
    pub primary_window: Option<WindowDetails>,
    #[serde(default)]
    pub secondary_window: Option<WindowDetails>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WindowDetails {
    pub used_percent: f64,
    pub limit_window_seconds: i64,
    pub reset_at: i64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CreditDetails {
    pub has_credits: bool,
    pub unlimited: bool,
    #[serde(default)]
    pub balance: Option<String>,
}

/// Another metered family (e.g. a smaller model's own limits).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AdditionalRateLimit {
    pub limit_name: String,
    pub metered_feature: String,
    #[serde(default)]
    pub rate_limit: Option<RateLimitDetails>,
}

impl BackendPlanType {
    /// The plan as clients are told it.
    pub fn plan_type(self) -> PlanType {
        match self {
            Self::Free => PlanType::Free,
            Self::Go => PlanType::Go,
            Self::Plus => PlanType::Plus,
            Self::Pro => PlanType::Pro,
            Self::Team => PlanType::Team,
            Self::Business => PlanType::Business,
            Self::Enterprise => PlanType::Enterprise,
            Self::Edu | Self::Education => PlanType::Edu,
            Self::Guest | Self::FreeWorkspace | Self::Quorum | Self::K12 => PlanType::Unknown,
        }
    }
}

/// One snapshot per family: `codex` first (with the credits), then the additional families in
/// the payload's order, named by their metered feature. Every snapshot carries the plan.
pub fn snapshots_from_usage(payload: UsagePayload) -> Vec<RateLimitSnapshot> {
    let plan_type = Some(payload.plan_type.plan_type());
    let mut snapshots = vec![snapshot(
        CODEX_LIMIT_ID.to_owned(),
        None,
        payload.rate_limit.as_ref(),
        payload.credits.map(|credits| CreditsSnapshot {
            has_credits: credits.has_credits,
            unlimited: credits.unlimited,
            balance: credits.balance,
        }),
        plan_type,
    )];
    for extra in payload.additional_rate_limits.unwrap_or_default() {
        snapshots.push(snapshot(
            extra.metered_feature,
            Some(extra.limit_name),
            extra.rate_limit.as_ref(),
            None,
            plan_type,
        ));
    }
    snapshots
}

fn snapshot(
    limit_id: String,
    limit_name: Option<String>,
    details: Option<&RateLimitDetails>,
    credits: Option<CreditsSnapshot>,
    plan_type: Option<PlanType>,
) -> RateLimitSnapshot {
    RateLimitSnapshot {
        limit_id: Some(limit_id),
        limit_name,
        primary: details.and_then(|details| details.primary_window.as_ref().map(window)),
        secondary: details.and_then(|details| details.secondary_window.as_ref().map(window)),
        credits,
        plan_type,
    }
}

fn window(details: &WindowDetails) -> RateLimitWindow {
    RateLimitWindow {
        used_percent: details.used_percent,
        window_minutes: minutes(details.limit_window_seconds),
        resets_at: Some(details.reset_at),
    }
}

/// Whole minutes, rounded up; a window without a positive length has none.
fn minutes(seconds: i64) -> Option<i64> {
    (seconds > 0).then(|| (seconds + 59) / 60)
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    fn snapshots(payload: serde_json::Value) -> Vec<RateLimitSnapshot> {
        snapshots_from_usage(serde_json::from_value(payload).unwrap())
    }

    #[test]
    fn the_codex_family_comes_first_with_credits_and_extra_families_follow() {
        let found = snapshots(json!({
            "plan_type": "pro",
            "rate_limit": {
                "allowed": true,
                "limit_reached": false,
                "primary_window": {"used_percent": 42, "limit_window_seconds": 301,
                                   "reset_after_seconds": 5, "reset_at": 123},
                "secondary_window": {"used_percent": 84, "limit_window_seconds": 3600,
                                     "reset_after_seconds": 5, "reset_at": 456},
            },
            "credits": {"has_credits": true, "unlimited": false, "balance": "9.99"},
            "additional_rate_limits": [{
                "limit_name": "GPT-5.1-Codex-Mini",
                "metered_feature": "codex_mini",
                "rate_limit": {
                    "allowed": true,
                    "limit_reached": false,
                    "primary_window": {"used_percent": 70, "limit_window_seconds": 0,
                                       "reset_after_seconds": 0, "reset_at": 789},
                    "secondary_window": null,
                },
            }],
        }));
        assert_eq!(
            found,
            vec![
                RateLimitSnapshot {
                    limit_id: Some("codex".to_owned()),
                    limit_name: None,
                    primary: Some(RateLimitWindow {
                        used_percent: 42.0,
                        window_minutes: Some(6),
                        resets_at: Some(123),
                    }),
                    secondary: Some(RateLimitWindow {
                        used_percent: 84.0,
                        window_minutes: Some(60),
                        resets_at: Some(456),
                    }),
                    credits: Some(CreditsSnapshot {
                        has_credits: true,
                        unlimited: false,
                        balance: Some("9.99".to_owned()),
                    }),
                    plan_type: Some(PlanType::Pro),
                },
                RateLimitSnapshot {
                    limit_id: Some("codex_mini".to_owned()),
                    limit_name: Some("GPT-5.1-Codex-Mini".to_owned()),
                    primary: Some(RateLimitWindow {
                        used_percent: 70.0,
                        window_minutes: None,
                        resets_at: Some(789),
                    }),
                    secondary: None,
                    credits: None,
                    plan_type: Some(PlanType::Pro),
                },
            ]
        );
    }

    #[test]
    fn a_payload_without_limits_still_names_the_codex_family_and_plan() {
        let found = snapshots(json!({"plan_type": "education", "rate_limit": null}));
        assert_eq!(
            found,
            vec![RateLimitSnapshot {
                limit_id: Some("codex".to_owned()),
                limit_name: None,
                primary: None,
                secondary: None,
                credits: None,
                plan_type: Some(PlanType::Edu),
            }]
        );
        let plans: Vec<_> = ["guest", "free_workspace", "k12", "quorum", "go", "business"]
            .into_iter()
            .map(|plan| snapshots(json!({"plan_type": plan}))[0].plan_type)
            .collect();
        assert_eq!(
            plans,
            vec![
                Some(PlanType::Unknown),
                Some(PlanType::Unknown),
                Some(PlanType::Unknown),
                Some(PlanType::Unknown),
                Some(PlanType::Go),
                Some(PlanType::Business),
            ]
        );
    }
}
