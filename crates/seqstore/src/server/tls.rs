//! HTTPS: the certificate chain and private key of `[tls]` (`--tls-cert`/`--tls-key`), loaded once
//! at start from PEM files into a rustls acceptor (ring provider, TLS 1.2 and 1.3, ALPN
//! `http/1.1`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::config::TlsConfig;

/// Why the TLS certificate or key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read the TLS {what} `{path}` ({key})")]
    Read {
        /// "certificate chain" or "private key".
        what: &'static str,
        /// Configuration key and flag.
        key: &'static str,
        /// The file.
        path: PathBuf,
        /// I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file has no PEM section of the expected kind, or a broken one.
    #[error(
        "`{path}` ({key}) holds no usable PEM {what}: expected {expected}; convert DER files with `openssl x509 -inform der` \
         or `openssl pkey -inform der`"
    )]
    Pem {
        /// "certificate" or "private key".
        what: &'static str,
        /// Configuration key and flag.
        key: &'static str,
        /// The PEM headers that are accepted.
        expected: &'static str,
        /// The file.
        path: PathBuf,
        /// What the PEM parser found.
        #[source]
        source: rustls_pki_types::pem::Error,
    },
    /// rustls refused the pair (e.g. the key does not belong to the certificate).
    #[error(
        "the TLS certificate `{cert}` and key `{key}` cannot be used together: give the key of the certificate's leaf \
         (the first certificate in the file)"
    )]
    Pair {
        /// Certificate file.
        cert: PathBuf,
        /// Key file.
        key: PathBuf,
        /// rustls' reason.
        #[source]
        source: rustls::Error,
    },
}

/// The acceptor for `config`, or `None` when TLS is not configured.
pub fn acceptor(config: &TlsConfig) -> Result<Option<TlsAcceptor>, Error> {
    let (Some(cert_path), Some(key_path)) = (&config.cert, &config.key) else { return Ok(None) };
    let certs = certificates(cert_path)?;
    let key = private_key(key_path)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let pair_err = |source| Error::Pair { cert: cert_path.clone(), key: key_path.clone(), source };
    let mut server = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(pair_err)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(pair_err)?;
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(TlsAcceptor::from(Arc::new(server))))
}

fn read(path: &Path, what: &'static str, key: &'static str) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::Read { what, key, path: path.to_owned(), source })
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    const KEY: &str = "tls.cert, --tls-cert";
    let pem = read(path, "certificate chain", KEY)?;
    let pem_err = |source| Error::Pem {
        what: "certificate",
        key: KEY,
        expected: "-----BEGIN CERTIFICATE----- sections, the server's certificate first",
        path: path.to_owned(),
        source,
    };
    let certs = CertificateDer::pem_slice_iter(&pem).collect::<Result<Vec<_>, _>>().map_err(pem_err)?;
    if certs.is_empty() {
        return Err(pem_err(rustls_pki_types::pem::Error::NoItemsFound));
    }
    Ok(certs)
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, Error> {
    const KEY: &str = "tls.key, --tls-key";
    let pem = read(path, "private key", KEY)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|source| Error::Pem {
        what: "private key",
        key: KEY,
        expected: "-----BEGIN PRIVATE KEY----- (PKCS#8), -----BEGIN RSA PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----",
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &Path, cert: &[u8], key: &[u8]) -> TlsConfig {
        std::fs::write(dir.join("cert.pem"), cert).expect("write cert");
        std::fs::write(dir.join("key.pem"), key).expect("write key");
        TlsConfig { cert: Some(dir.join("cert.pem")), key: Some(dir.join("key.pem")) }
    }

    #[test]
    fn refusals_name_the_file_and_what_to_give() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        assert!(acceptor(&TlsConfig::default())?.is_none());
        let missing = TlsConfig { cert: Some(dir.path().join("nope.pem")), key: Some(dir.path().join("k.pem")) };
        let text = acceptor(&missing).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("nope.pem") && text.contains("--tls-cert"), "{text}");
        let text = acceptor(&config(dir.path(), b"not pem", b"x")).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("BEGIN CERTIFICATE") && text.contains("cert.pem"), "{text}");
        let cert = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let text = acceptor(&config(dir.path(), cert, b"no key")).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("key.pem") && text.contains("BEGIN PRIVATE KEY"), "{text}");
        Ok(())
    }
}
