//! TLS against a real HTTPS server with a self-signed certificate (made here with rcgen):
//! refused without --insecure, accepted with it, and HTTP/2 negotiated through ALPN.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use common::{load, serial};

/// Serves `HTTP/x ok` (the protocol version it saw) over TLS on a loopback port.
fn https_server() -> SocketAddr {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let certs = vec![cert.cert.der().clone()];
    let key = rustls::pki_types::PrivateKeyDer::try_from(cert.signing_key.serialize_der()).unwrap();
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(
                        |request: hyper::Request<hyper::body::Incoming>| async move {
                            let body = format!("{:?} ok\n", request.version());
                            Ok::<_, Infallible>(hyper::Response::new(http_body_util::Full::new(
                                bytes::Bytes::from(body),
                            )))
                        },
                    );
                    let _ = hyper_util::server::conn::auto::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
                });
            }
        });
    });
    addr
}

#[test]
fn self_signed_certificates_need_insecure() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let addr = https_server();
    let url = format!("https://localhost:{}/", addr.port());
    let r = load(dir.path(), &[&url, "-n", "20", "-c", "2"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("TLS handshake failed") && r.stderr.contains("--insecure"),
        "{}",
        r.stderr
    );
    let r = load(
        dir.path(),
        &[
            &url,
            "-n",
            "40",
            "-c",
            "2",
            "--insecure",
            "--expect-body",
            "HTTP/1.1 ok",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json["total"]["requests"], 40);
    assert_eq!(r.json["total"]["errors"], 0);
    assert_eq!(
        r.json["generator"]["connections_opened"], 2,
        "keep-alive over TLS"
    );
    // Each connection's TCP connect and TLS handshake are timed, once.
    let stages = &r.json["total"]["stages"];
    assert_eq!(stages["connect"]["count"], 2, "{stages}");
    assert_eq!(stages["tls"]["count"], 2, "{stages}");
    assert!(stages["tls"]["min_ns"].as_u64().unwrap() > 0, "{stages}");
    assert_eq!(stages["ttfb"]["count"], 40, "{stages}");
}

#[test]
fn http2_is_negotiated_through_alpn() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let addr = https_server();
    let url = format!("https://localhost:{}/", addr.port());
    for version in ["2", "auto"] {
        let r = load(
            dir.path(),
            &[
                &url,
                "-n",
                "60",
                "-c",
                "4",
                "--threads",
                "1",
                "-k",
                "--http",
                version,
                "--expect-body",
                "HTTP/2.0 ok",
            ],
        );
        assert_eq!(r.code, 0, "--http {version}: {}", r.stderr);
        assert_eq!(
            r.json["total"]["errors"], 0,
            "--http {version}: {}",
            r.json["total"]
        );
        assert_eq!(r.json["total"]["requests"], 60);
        // Four streams share one HTTP/2 connection.
        assert_eq!(
            r.json["generator"]["connections_opened"], 1,
            "--http {version}"
        );
        let stages = &r.json["total"]["stages"];
        assert_eq!(stages["tls"]["count"], 1, "--http {version}: {stages}");
        assert_eq!(stages["ttfb"]["count"], 60, "--http {version}: {stages}");
    }
}
