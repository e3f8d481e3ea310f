//! Unsigned JWTs for tests of ChatGPT sign-in: the agent reads the claims of the tokens an issuer
//! hands out, never their signature.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use serde_json::json;

/// A token whose payload is `claims`, with an `alg: none` header and a placeholder signature.
pub fn fake_jwt(claims: &Value) -> String {
    let encode = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
    format!("{}.{}.sig", encode(&json!({"alg": "none"})), encode(claims))
}

/// The claims of a ChatGPT account's id token as the issuer writes them.
pub fn chatgpt_claims(email: &str, plan_type: &str, account_id: &str) -> Value {
    json!({
        "email": email,
        "https://api.openai.com/auth": {
            "chatgpt_plan_type": plan_type,
            "chatgpt_user_id": "user-test",
            "chatgpt_account_id": account_id,
        },
    })
}
