//! `$CODEX_HOME/cloud-requirements-cache.json`: the cloud requirements last fetched, for one
//! account, for an hour, in the reference's format (a payload and its HMAC-SHA256 signature),
//! so either program can use what the other wrote.

use std::io;
use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::Hmac;
use hmac::Mac as _;
use serde::Deserialize;
use serde::Serialize;
use sha2::Sha256;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The cache file under `CODEX_HOME`.
pub const REQUIREMENTS_CACHE_FILE: &str = "cloud-requirements-cache.json";

/// How long cached requirements are used without asking the backend.
pub const REQUIREMENTS_CACHE_TTL: Duration = Duration::from_secs(60 * 60);

/// The key the reference signs its cache with: a file-format constant, without which neither
/// program would trust the other's cache.
const SIGNING_KEY: &[u8] =
    b"codex-cloud-requirements-cache-v3-064f8542-75b4-494c-a294-97d3ce597271";

/// Who the cached requirements belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity<'a> {
    pub chatgpt_user_id: &'a str,
    pub account_id: &'a str,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CacheFile {
    signed_payload: SignedPayload,
    signature: String,
}

/// Field order and spelling are what the signature covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SignedPayload {
    cached_at: String,
    expires_at: String,
    chatgpt_user_id: Option<String>,
    account_id: Option<String>,
    contents: Option<String>,
}

/// Why the cache was not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CacheMiss {
    #[error("cloud requirements cache file not found")]
    NotFound,
    #[error("failed to read cloud requirements cache: {0}")]
    Unreadable(String),
    #[error("cloud requirements cache failed signature verification")]
    BadSignature,
    #[error("ignoring cloud requirements cache for a different account")]
    OtherAccount,
    #[error("cloud requirements cache expired")]
    Expired,
}

fn sign(payload: &SignedPayload) -> Option<String> {
    let bytes = serde_json::to_vec(payload).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(SIGNING_KEY).ok()?;
    mac.update(&bytes);
    Some(STANDARD.encode(mac.finalize().into_bytes()))
}

fn verify(payload: &SignedPayload, signature: &str) -> bool {
    let (Ok(bytes), Ok(signature)) = (serde_json::to_vec(payload), STANDARD.decode(signature))
    else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(SIGNING_KEY) else {
        return false;
    };
    mac.update(&bytes);
    mac.verify_slice(&signature).is_ok()
}

/// The cached requirements text (`None`: the account has none) when the cache is signed,
/// belongs to `identity` and has not expired at `now`.
pub fn read_cache(
    codex_home: &Path,
    identity: Identity<'_>,
    now: OffsetDateTime,
) -> Result<Option<String>, CacheMiss> {
    let bytes = match std::fs::read(codex_home.join(REQUIREMENTS_CACHE_FILE)) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Err(CacheMiss::NotFound),
        Err(err) => return Err(CacheMiss::Unreadable(err.to_string())),
    };
    let file: CacheFile =
        serde_json::from_slice(&bytes).map_err(|err| CacheMiss::Unreadable(err.to_string()))?;
    if !verify(&file.signed_payload, &file.signature) {
        return Err(CacheMiss::BadSignature);
    }
    let payload = file.signed_payload;
    if payload.chatgpt_user_id.as_deref() != Some(identity.chatgpt_user_id)
        || payload.account_id.as_deref() != Some(identity.account_id)
    {
        return Err(CacheMiss::OtherAccount);
    }
    let expires_at = OffsetDateTime::parse(&payload.expires_at, &Rfc3339)
        .map_err(|err| CacheMiss::Unreadable(err.to_string()))?;
    if expires_at <= now {
        return Err(CacheMiss::Expired);
    }
    Ok(payload.contents)
}

/// Replaces the cache with `contents` for `identity`, fetched at `now`; written atomically.
pub fn write_cache(
    codex_home: &Path,
    identity: Identity<'_>,
    contents: Option<String>,
    now: OffsetDateTime,
) -> io::Result<()> {
    // Whole seconds: the reference re-serialises the times before checking the signature, and
    // writes whole seconds without a fraction, so the text is the same either way.
    let stamp = |at: OffsetDateTime| {
        at.replace_nanosecond(0)
            .unwrap_or(at)
            .format(&Rfc3339)
            .map_err(io::Error::other)
    };
    let payload = SignedPayload {
        cached_at: stamp(now)?,
        expires_at: stamp(now + REQUIREMENTS_CACHE_TTL)?,
        chatgpt_user_id: Some(identity.chatgpt_user_id.to_owned()),
        account_id: Some(identity.account_id.to_owned()),
        contents,
    };
    let signature = sign(&payload).ok_or_else(|| io::Error::other("cannot sign the cache"))?;
    let text = serde_json::to_vec_pretty(&CacheFile {
        signed_payload: payload,
        signature,
    })
    .map_err(io::Error::other)?;
    std::fs::create_dir_all(codex_home)?;
    let mut file = tempfile::NamedTempFile::new_in(codex_home)?;
    file.write_all(&text)?;
    file.as_file().sync_all()?;
    file.persist(codex_home.join(REQUIREMENTS_CACHE_FILE))
        .map_err(|error| error.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    const ME: Identity<'static> = Identity {
        chatgpt_user_id: "user-1",
        account_id: "acct-1",
    };

    fn at(text: &str) -> OffsetDateTime {
        OffsetDateTime::parse(text, &Rfc3339).unwrap()
    }

    #[test]
    fn a_cache_serves_its_account_for_an_hour() {
        let dir = tempfile::tempdir().unwrap();
        let written = at("2026-01-01T00:00:00.5Z");
        write_cache(dir.path(), ME, Some("x = 1".to_owned()), written).unwrap();
        assert_eq!(
            read_cache(dir.path(), ME, at("2026-01-01T00:59:00Z")),
            Ok(Some("x = 1".to_owned()))
        );
        assert_eq!(
            read_cache(dir.path(), ME, at("2026-01-01T01:00:00Z")),
            Err(CacheMiss::Expired)
        );
        let other = Identity {
            chatgpt_user_id: "user-2",
            ..ME
        };
        assert_eq!(
            read_cache(dir.path(), other, written),
            Err(CacheMiss::OtherAccount)
        );
        let text = std::fs::read_to_string(dir.path().join(REQUIREMENTS_CACHE_FILE)).unwrap();
        assert!(
            text.contains("\"cached_at\": \"2026-01-01T00:00:00Z\""),
            "{text}"
        );
        // Any change to the payload breaks the signature.
        std::fs::write(
            dir.path().join(REQUIREMENTS_CACHE_FILE),
            text.replace("x = 1", "x = 2"),
        )
        .unwrap();
        assert_eq!(
            read_cache(dir.path(), ME, written),
            Err(CacheMiss::BadSignature)
        );
        std::fs::remove_file(dir.path().join(REQUIREMENTS_CACHE_FILE)).unwrap();
        assert_eq!(
            read_cache(dir.path(), ME, written),
            Err(CacheMiss::NotFound)
        );
    }
}
