//! CA files: the extra certificates a TLS client trusts besides the system roots.
//!
//! One place reads a CA file for every TLS client of vmkaudit (the vSphere collector's
//! `ca_file`, the SMTP client's `email.ca_file`), so that the same mistakes get the same hints: a ZIP archive
//! (vCenter's `certs/download.zip` as downloaded from its start page), a DER certificate, or a
//! file with no PEM certificate in it. The result is the certificates in DER form, for whichever
//! TLS library the caller builds on. This module is a bottom layer: it uses nothing of the crate.

use std::path::{Path, PathBuf};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

/// Why a CA file cannot be used. The messages name the file, never its content.
#[derive(Debug, thiserror::Error)]
pub enum CaFileError {
    /// The file cannot be read.
    #[error("cannot read CA file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is a ZIP archive, most likely vCenter's `certs/download.zip`.
    #[error(
        "CA file {} is a ZIP archive (vCenter's certs/download.zip?); unzip it and give the PEM \
         root certificate inside (certs/lin/*.0)",
        path.display()
    )]
    Zip { path: PathBuf },
    /// A `BEGIN CERTIFICATE` block that cannot be decoded.
    #[error("CA file {} is not a PEM certificate bundle: {source}", path.display())]
    Pem {
        path: PathBuf,
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    /// No PEM certificate at all (a DER file, say).
    #[error(
        "CA file {} holds no PEM certificate (no -----BEGIN CERTIFICATE----- block); a DER \
         certificate can be converted with `openssl x509 -inform der -in FILE -out ca.pem`",
        path.display()
    )]
    NoCertificate { path: PathBuf },
}

/// The certificates of the PEM file at `path` (one or more `BEGIN CERTIFICATE` blocks; other
/// blocks are ignored).
pub fn load_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, CaFileError> {
    let pem = std::fs::read(path).map_err(|source| CaFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_ca_bundle(path, &pem)
}

/// [`load_ca_file`] on bytes already read; `path` is what messages name.
pub fn parse_ca_bundle(
    path: &Path,
    pem: &[u8],
) -> Result<Vec<CertificateDer<'static>>, CaFileError> {
    if pem.starts_with(b"PK\x03\x04") {
        return Err(CaFileError::Zip {
            path: path.to_path_buf(),
        });
    }
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| CaFileError::Pem {
            path: path.to_path_buf(),
            source,
        })?;
    if certs.is_empty() {
        return Err(CaFileError::NoCertificate {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed certificate (any will do: it is only parsed).
    const PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBeTCCASCgAwIBAgITWYiwZm2gpHv6Nc3HAI+XGNDFzjAKBggqhkjOPQQDAjAT
MREwDwYDVQQDDAh2bWthdWRpdDAeFw0yNjEyMDExNjM4MDFaFw0zNjExMjgxNjM4
MDFaMBMxETAPBgNVBAMMCHZta2F1ZGl0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcD
QgAEP96vVZ+uL3h6LxX21K4uxT8Ay9MYaNdC/k0oud4tSzT+ae9KLfIsILlJdAWK
ZgdWX0wwJvbzLmSubkpTblD3oKNTMFEwHQYDVR0OBBYEFEo8PE4M/4tLvumJQCOW
i7iaA5uoMB8GA1UdIwQYMBaAFEo8PE4M/4tLvumJQCOWi7iaA5uoMA8GA1UdEwEB
/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgAvxR5R2BHruhYKfFXit4oVP4D09m
fHSvNhF86lzYw5gCIBun73Ee+/h0eSXNsnZU2K5Jf9d10QbA0OzauhWOLegC
-----END CERTIFICATE-----
";

    #[test]
    fn reads_every_certificate_of_a_bundle() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ca.pem");
        std::fs::write(&p, format!("a comment\n{PEM}{PEM}")).unwrap();
        assert_eq!(load_ca_file(&p).unwrap().len(), 2);
    }

    #[test]
    fn ca_file_mistakes_are_explained() {
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("download.zip");
        std::fs::write(&zip, b"PK\x03\x04rest").unwrap();
        let e = load_ca_file(&zip).unwrap_err();
        assert!(matches!(e, CaFileError::Zip { .. }), "{e:?}");
        assert!(e.to_string().contains("certs/lin/*.0"), "{e}");
        let der = dir.path().join("ca.cer");
        std::fs::write(&der, [0x30, 0x82, 0x01, 0x0a]).unwrap();
        let e = load_ca_file(&der).unwrap_err();
        assert!(matches!(e, CaFileError::NoCertificate { .. }), "{e:?}");
        assert!(e.to_string().contains("openssl x509 -inform der"), "{e}");
        let e = load_ca_file(&dir.path().join("missing.pem")).unwrap_err();
        assert!(
            matches!(&e, CaFileError::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound),
            "{e:?}"
        );
        assert!(e.to_string().starts_with("cannot read CA file"), "{e}");
        let broken = dir.path().join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let e = load_ca_file(&broken).unwrap_err();
        assert!(matches!(e, CaFileError::Pem { .. }), "{e:?}");
        assert!(e.to_string().contains("broken.pem"), "{e}");
    }
}
