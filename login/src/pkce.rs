//! PKCE (RFC 7636) for the ChatGPT sign-in: a secret verifier the login server keeps and its
//! S256 challenge, which goes into the authorize URL, plus the random `state` that ties the
//! browser's callback to this login.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::Digest;
use sha2::Sha256;

/// A verifier and its challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkceCodes {
    /// 64 random bytes, base64url without padding; sent only with the code exchange.
    pub code_verifier: String,
    /// base64url(SHA-256(verifier)), without padding; method `S256`.
    pub code_challenge: String,
}

/// Fresh PKCE codes.
pub fn generate_pkce() -> PkceCodes {
    pkce_from_bytes(&rand::random::<[u8; 64]>())
}

fn pkce_from_bytes(bytes: &[u8]) -> PkceCodes {
    let code_verifier = URL_SAFE_NO_PAD.encode(bytes);
    let code_challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(code_verifier.as_bytes()));
    PkceCodes {
        code_verifier,
        code_challenge,
    }
}

/// A fresh `state`: 32 random bytes, base64url without padding.
pub fn generate_state() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn the_challenge_is_the_s256_of_the_verifier() {
        // RFC 7636, appendix B: the verifier of these 32 bytes and its challenge.
        let bytes = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        assert_eq!(
            pkce_from_bytes(&bytes),
            PkceCodes {
                code_verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into(),
                code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
            }
        );
    }

    #[test]
    fn fresh_codes_have_the_reference_lengths_and_differ() {
        let first = generate_pkce();
        let second = generate_pkce();
        // 64 bytes are 86 base64url characters, a SHA-256 digest 43, 32 bytes 43.
        assert_eq!(first.code_verifier.len(), 86);
        assert_eq!(first.code_challenge.len(), 43);
        assert_eq!(generate_state().len(), 43);
        assert_ne!(first, second);
        assert_ne!(generate_state(), generate_state());
    }
}
