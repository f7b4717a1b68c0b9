//! TLS trust for the API client: the system CA store read through
//! rustls-native-certs, which honours `SSL_CERT_FILE` and `SSL_CERT_DIR`.
//! Never a bundled root list: CI networks and proxies re-sign TLS with their
//! own CA, and tests trust a throwaway CA the same way.

use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};

use super::error::ApiError;

/// A rustls TLS config whose roots are exactly the system's CA certificates.
pub(crate) fn system_tls_config() -> Result<TlsConfig, ApiError> {
    let found = rustls_native_certs::load_native_certs();
    if found.certs.is_empty() {
        let reason = found
            .errors
            .first()
            .map(ToString::to_string)
            .unwrap_or_else(|| "no certificates found".to_owned());
        return Err(ApiError::CaStore { reason });
    }
    // Unreadable extra files are not fatal while some roots loaded.
    let roots: Vec<Certificate<'static>> = found
        .certs
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()).to_owned())
        .collect();
    Ok(TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(RootCerts::new_with_certs(&roots))
        .build())
}
