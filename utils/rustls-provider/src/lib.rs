//! The process's one rustls crypto provider. reqwest is built without a provider of its own, so
//! every crate that makes an HTTP client (the model clients, the MCP client, rmcp inside it)
//! calls [`ensure_rustls_crypto_provider`] before it builds one.

use std::sync::Once;

/// Installs ring as the process-wide rustls provider, once; later calls do nothing. A provider
/// installed by someone else first is kept.
pub fn ensure_rustls_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // `Err` means another provider was installed first, which serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    use super::ensure_rustls_crypto_provider;

    #[test]
    fn a_provider_is_installed_and_a_second_call_is_harmless() {
        ensure_rustls_crypto_provider();
        ensure_rustls_crypto_provider();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }
}
