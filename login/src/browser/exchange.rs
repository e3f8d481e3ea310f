//! The two requests to the issuer's token endpoint: the authorization code for the account's
//! tokens, then the id token for an API key. Bodies are form-encoded by hand, as the reference
//! writes them (see `url::query_string`).

use serde::Deserialize;

use super::url::query_string;

/// The tokens the code exchange hands out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IssuedTokens {
    pub id_token: String,
    pub access_token: String,
    pub refresh_token: String,
}

/// What the code exchange needs besides the code.
pub(crate) struct CodeExchange<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub code_verifier: &'a str,
}

async fn post_form(
    http: &reqwest::Client,
    issuer: &str,
    body: String,
) -> Result<reqwest::Response, reqwest::Error> {
    http.post(format!("{issuer}/oauth/token"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
}

/// `grant_type=authorization_code`; the error is what the browser is shown after
/// `Token exchange failed: `.
pub(crate) async fn exchange_code(
    http: &reqwest::Client,
    exchange: &CodeExchange<'_>,
    code: &str,
) -> Result<IssuedTokens, String> {
    #[derive(Deserialize)]
    struct TokenResponse {
        id_token: String,
        access_token: String,
        refresh_token: String,
    }

    let body = query_string(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", exchange.redirect_uri),
        ("client_id", exchange.client_id),
        ("code_verifier", exchange.code_verifier),
    ]);
    let response = post_form(http, exchange.issuer, body)
        .await
        .map_err(|err| err.to_string())?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("token endpoint returned status {status}"));
    }
    let tokens: TokenResponse = response.json().await.map_err(|err| err.to_string())?;
    Ok(IssuedTokens {
        id_token: tokens.id_token,
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
    })
}

/// The RFC 8693 token exchange of the id token for an API key. The sign-in does without a key
/// when this fails, so the error is only logged.
pub(crate) async fn obtain_api_key(
    http: &reqwest::Client,
    issuer: &str,
    client_id: &str,
    id_token: &str,
) -> Result<String, String> {
    #[derive(Deserialize)]
    struct ExchangeResponse {
        access_token: String,
    }

    let body = query_string(&[
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("client_id", client_id),
        ("requested_token", "openai-api-key"),
        ("subject_token", id_token),
        (
            "subject_token_type",
            "urn:ietf:params:oauth:token-type:id_token",
        ),
    ]);
    let response = post_form(http, issuer, body)
        .await
        .map_err(|err| err.to_string())?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("api key exchange failed with status {status}"));
    }
    let exchanged: ExchangeResponse = response.json().await.map_err(|err| err.to_string())?;
    Ok(exchanged.access_token)
}
