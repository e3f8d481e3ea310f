//! What an OpenAI id or access token (a JWT) says about the account: email, plan and ids.
//!
//! Only the payload is read; the signature is not checked, because the token came straight from
//! the issuer over TLS (or from the client that owns it) and is only used to label the account.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use codex_protocol::account::PlanType;
use serde::Deserialize;

/// The claims of one token that the agent uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenClaims {
    pub email: Option<String>,
    /// The raw `chatgpt_plan_type`, such as `"pro"`; see [`plan_type_from_claim`].
    pub chatgpt_plan_type: Option<String>,
    pub chatgpt_user_id: Option<String>,
    pub chatgpt_account_id: Option<String>,
}

/// Maps a `chatgpt_plan_type` claim to the plans clients are told about, as the reference
/// does: `education` is `Edu`, and anything unknown is `Unknown`.
pub fn plan_type_from_claim(raw: &str) -> PlanType {
    match raw {
        "free" => PlanType::Free,
        "go" => PlanType::Go,
        "plus" => PlanType::Plus,
        "pro" => PlanType::Pro,
        "team" => PlanType::Team,
        "business" => PlanType::Business,
        "enterprise" => PlanType::Enterprise,
        "edu" | "education" => PlanType::Edu,
        _ => PlanType::Unknown,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClaimsError {
    #[error("invalid ID token format")]
    Format,
    #[error(transparent)]
    Base64(#[from] base64::DecodeError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    email: Option<String>,
    #[serde(rename = "https://api.openai.com/profile", default)]
    profile: Option<Profile>,
    #[serde(rename = "https://api.openai.com/auth", default)]
    auth: Option<AuthClaims>,
}

#[derive(Deserialize)]
struct Profile {
    #[serde(default)]
    email: Option<String>,
}

#[derive(Deserialize)]
struct AuthClaims {
    #[serde(default)]
    chatgpt_plan_type: Option<String>,
    #[serde(default)]
    chatgpt_user_id: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    chatgpt_account_id: Option<String>,
}

/// Reads the claims of `jwt`: three non-empty dot-separated parts whose middle one is
/// base64url JSON.
pub fn parse_claims(jwt: &str) -> Result<TokenClaims, ClaimsError> {
    let mut parts = jwt.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ClaimsError::Format);
    };
    if header.is_empty() || payload.is_empty() || signature.is_empty() {
        return Err(ClaimsError::Format);
    }
    let payload: Payload = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload)?)?;
    let auth = payload.auth;
    Ok(TokenClaims {
        email: payload
            .email
            .or_else(|| payload.profile.and_then(|profile| profile.email)),
        chatgpt_plan_type: auth
            .as_ref()
            .and_then(|auth| auth.chatgpt_plan_type.clone()),
        chatgpt_user_id: auth
            .as_ref()
            .and_then(|auth| auth.chatgpt_user_id.clone().or(auth.user_id.clone())),
        chatgpt_account_id: auth.and_then(|auth| auth.chatgpt_account_id),
    })
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    fn jwt(payload: serde_json::Value) -> String {
        let encode = |value: &serde_json::Value| URL_SAFE_NO_PAD.encode(value.to_string());
        format!(
            "{}.{}.sig",
            encode(&json!({"alg": "none"})),
            encode(&payload)
        )
    }

    #[test]
    fn claims_come_from_the_payload() {
        let token = jwt(json!({
            "email": "user@example.com",
            "https://api.openai.com/auth": {
                "chatgpt_plan_type": "pro",
                "user_id": "user-1",
                "chatgpt_account_id": "acc-1",
            },
        }));
        assert_eq!(
            parse_claims(&token).unwrap(),
            TokenClaims {
                email: Some("user@example.com".into()),
                chatgpt_plan_type: Some("pro".into()),
                chatgpt_user_id: Some("user-1".into()),
                chatgpt_account_id: Some("acc-1".into()),
            }
        );
    }

    #[test]
    fn the_profile_email_is_the_fallback() {
        let token = jwt(json!({"https://api.openai.com/profile": {"email": "p@example.com"}}));
        assert_eq!(
            parse_claims(&token).unwrap().email.as_deref(),
            Some("p@example.com")
        );
    }

    #[test]
    fn tokens_that_are_not_three_parts_are_refused() {
        for token in ["", "a.b", "a..c", "a.b.c.d", ".b.c"] {
            assert!(
                matches!(parse_claims(token), Err(ClaimsError::Format)),
                "{token}"
            );
        }
        assert!(matches!(parse_claims("x.y.z"), Err(ClaimsError::Base64(_))));
    }

    #[test]
    fn plans_map_as_the_reference_maps_them() {
        assert_eq!(plan_type_from_claim("education"), PlanType::Edu);
        assert_eq!(plan_type_from_claim("plus"), PlanType::Plus);
        assert_eq!(plan_type_from_claim("galactic"), PlanType::Unknown);
    }
}
