//! The two URLs of the sign-in: the issuer's authorize page the user opens, and the local
//! `/success` page the callback redirects the browser to. Both are written byte for byte as
//! the reference writes them: parameters in a fixed order, values percent-encoded with only
//! RFC 3986's unreserved characters left as they are (so a space is `%20`, never `+`).

use std::fmt::Write as _;

use serde_json::Map;
use serde_json::Value;

use super::DEFAULT_ISSUER;

/// Percent-encodes every byte of `value` except `A-Z a-z 0-9 - . _ ~`.
pub(crate) fn percent_encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

/// `name=value&…` with each value percent-encoded.
pub(crate) fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={}", percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// What the authorize URL is made of.
pub(crate) struct AuthorizeRequest<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub code_challenge: &'a str,
    pub state: &'a str,
    pub originator: &'a str,
    pub allowed_workspace_id: Option<&'a str>,
}

/// `{issuer}/oauth/authorize?…` with the reference's parameters, in its order.
pub(crate) fn authorize_url(request: &AuthorizeRequest<'_>) -> String {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", request.client_id),
        ("redirect_uri", request.redirect_uri),
        ("scope", "openid profile email offline_access"),
        ("code_challenge", request.code_challenge),
        ("code_challenge_method", "S256"),
        ("id_token_add_organizations", "true"),
        ("codex_cli_simplified_flow", "true"),
        ("state", request.state),
        ("originator", request.originator),
    ];
    if let Some(workspace_id) = request.allowed_workspace_id {
        pairs.push(("allowed_workspace_id", workspace_id));
    }
    format!(
        "{}/oauth/authorize?{}",
        request.issuer,
        query_string(&pairs)
    )
}

/// The `https://api.openai.com/auth` object of a JWT's payload; empty when the token is not a
/// JWT or has none. Only the success page's details come from here, so a token that cannot be
/// read just leaves them blank.
pub(crate) fn auth_claims(jwt: &str) -> Map<String, Value> {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    let mut parts = jwt.split('.');
    let (Some(header), Some(payload), Some(signature)) = (parts.next(), parts.next(), parts.next())
    else {
        return Map::new();
    };
    if header.is_empty() || payload.is_empty() || signature.is_empty() {
        return Map::new();
    }
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(payload) else {
        return Map::new();
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(mut payload)) => match payload.remove("https://api.openai.com/auth") {
            Some(Value::Object(auth)) => auth,
            _ => Map::new(),
        },
        _ => Map::new(),
    }
}

/// `http://localhost:{port}/success?…`: where the callback sends the browser once the tokens
/// are stored, with what the page may show about the account.
pub(crate) fn success_url(port: u16, issuer: &str, id_token: &str, access_token: &str) -> String {
    let id_claims = auth_claims(id_token);
    let access_claims = auth_claims(access_token);
    let text = |claims: &Map<String, Value>, name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let flag = |name: &str| {
        id_claims
            .get(name)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    let needs_setup = !flag("completed_platform_onboarding") && flag("is_org_owner");
    let platform_url = if issuer == DEFAULT_ISSUER {
        "https://platform.openai.com"
    } else {
        "https://platform.api.openai.org"
    };
    let org_id = text(&id_claims, "organization_id");
    let project_id = text(&id_claims, "project_id");
    let plan_type = text(&access_claims, "chatgpt_plan_type");
    let needs_setup = needs_setup.to_string();
    let query = query_string(&[
        ("id_token", id_token),
        ("needs_setup", &needs_setup),
        ("org_id", &org_id),
        ("project_id", &project_id),
        ("plan_type", &plan_type),
        ("platform_url", platform_url),
    ]);
    format!("http://localhost:{port}/success?{query}")
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    fn jwt(payload: Value) -> String {
        format!("h.{}.s", URL_SAFE_NO_PAD.encode(payload.to_string()))
    }

    #[test]
    fn only_unreserved_characters_stay_as_they_are() {
        assert_eq!(
            percent_encode("aZ09-._~ /:?&=+%é"),
            "aZ09-._~%20%2F%3A%3F%26%3D%2B%25%C3%A9"
        );
    }

    #[test]
    fn the_authorize_url_is_written_as_the_reference_writes_it() {
        // Recorded from codex-cli 0.101.0 (challenge and state replaced), originator
        // `my client/é`, forced workspace `ws 1&x`.
        let url = authorize_url(&AuthorizeRequest {
            issuer: "https://auth.openai.com",
            client_id: "app_EMoamEEZ73f0CkXaXp7hrann",
            redirect_uri: "http://localhost:1455/auth/callback",
            code_challenge: "CHALLENGE",
            state: "STATE",
            originator: "my client/é",
            allowed_workspace_id: Some("ws 1&x"),
        });
        assert_eq!(
            url,
            "https://auth.openai.com/oauth/authorize?response_type=code\
             &client_id=app_EMoamEEZ73f0CkXaXp7hrann\
             &redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback\
             &scope=openid%20profile%20email%20offline_access\
             &code_challenge=CHALLENGE&code_challenge_method=S256\
             &id_token_add_organizations=true&codex_cli_simplified_flow=true\
             &state=STATE&originator=my%20client%2F%C3%A9&allowed_workspace_id=ws%201%26x"
        );
    }

    #[test]
    fn the_success_url_carries_the_account_details() {
        let id_token = jwt(json!({"https://api.openai.com/auth": {
            "organization_id": "org-1",
            "project_id": "proj-1",
            "completed_platform_onboarding": false,
            "is_org_owner": true,
        }}));
        let access_token =
            jwt(json!({"https://api.openai.com/auth": {"chatgpt_plan_type": "pro"}}));
        assert_eq!(
            success_url(1455, DEFAULT_ISSUER, &id_token, &access_token),
            format!(
                "http://localhost:1455/success?id_token={id_token}&needs_setup=true\
                 &org_id=org-1&project_id=proj-1&plan_type=pro\
                 &platform_url=https%3A%2F%2Fplatform.openai.com"
            )
        );
        // Unreadable tokens leave the details blank; another issuer points elsewhere.
        assert_eq!(
            success_url(9, "http://127.0.0.1:1", "x", "y"),
            "http://localhost:9/success?id_token=x&needs_setup=false&org_id=&project_id=\
             &plan_type=&platform_url=https%3A%2F%2Fplatform.api.openai.org"
        );
    }
}
