//! TLS for the load engine: rustls with the ring provider, Mozilla's roots (or any
//! certificate with `insecure`), and the ALPN offer for the HTTP version asked for.

use std::sync::Arc;

use crate::template::{Origin, Scheme};

/// Builds the TLS client configuration (ring provider; Mozilla roots unless `insecure`).
pub fn tls_config(
    origin: &Origin,
    insecure: bool,
    alpn: &[&[u8]],
) -> Result<
    (
        Arc<rustls::ClientConfig>,
        rustls::pki_types::ServerName<'static>,
    ),
    String,
> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let mut config = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCert(provider)))
            .with_no_client_auth()
    } else {
        let roots =
            rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let name = rustls::pki_types::ServerName::try_from(origin.host.clone())
        .map_err(|e| format!("`{}` is not a valid TLS server name: {e}", origin.host))?;
    Ok((Arc::new(config), name))
}

/// Accepts any certificate (`insecure = true`): for self-signed test and staging servers.
#[derive(Debug)]
struct AcceptAnyCert(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Which protocol connections to `origin` speak, before ALPN has its say.
pub fn alpn_for(version: rigor_model::plan::HttpVersion, scheme: Scheme) -> Vec<&'static [u8]> {
    use rigor_model::plan::HttpVersion;
    match (version, scheme) {
        (_, Scheme::Http) => Vec::new(),
        (HttpVersion::Http1, _) => vec![b"http/1.1"],
        (HttpVersion::Http2, _) => vec![b"h2"],
        (HttpVersion::Auto, _) => vec![b"h2", b"http/1.1"],
    }
}
