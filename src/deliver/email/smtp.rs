//! Sending over SMTP: the transport (lettre's blocking client on rustls), the password, and the
//! retries.
//!
//! STARTTLS is required, never opportunistic; `security = "tls"` is TLS from the first byte;
//! `none` (loopback only unless forced) is no encryption. rustls checks the server against the
//! system roots plus `email.ca_file`, read by [`crate::tls`] like the collector's CA file. Transient failures are retried with capped exponential
//! backoff ([`crate::retry`]); permanent ones (a 5xx reply, a client-side or TLS problem) are
//! not, told apart by lettre's error kinds and the rustls error underneath, never by text. The
//! password comes from an environment variable or a file and never appears in a log line or an
//! error.

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

use super::settings::{PasswordSource, SmtpSecurity, SmtpSettings};
use crate::choice::Choice;
use crate::deliver::Error;
use crate::secret::{read_secret, SecretSource};

/// `host:port (security)` for messages.
pub fn server_label(smtp: &SmtpSettings) -> String {
    format!("{}:{} ({})", smtp.host, smtp.port, smtp.security.name())
}

/// The SMTP password, read by the one secret reader ([`crate::secret::read_secret`]: first
/// line, trimming, checks, the warning about a file others can read).
pub(crate) fn read_password(source: &PasswordSource) -> Result<String, Error> {
    let source = match source {
        PasswordSource::Env(var) => SecretSource::Env {
            var,
            setting: "email.password_env",
        },
        PasswordSource::File(path) => SecretSource::File(path),
    };
    Ok(read_secret(source)?)
}

fn tls_parameters(smtp: &SmtpSettings) -> Result<TlsParameters, Error> {
    let mut b = TlsParameters::builder(smtp.host.clone());
    let tls_error = |source| Error::Tls {
        host: smtp.host.clone(),
        source,
    };
    if let Some(ca) = &smtp.ca_file {
        for der in crate::tls::load_ca_file(ca)? {
            b = b.add_root_certificate(Certificate::from_der(der.to_vec()).map_err(tls_error)?);
        }
    }
    b.build_rustls().map_err(tls_error)
}

fn transport(smtp: &SmtpSettings) -> Result<SmtpTransport, Error> {
    let tls = match smtp.security {
        SmtpSecurity::Starttls => Tls::Required(tls_parameters(smtp)?),
        SmtpSecurity::Tls => Tls::Wrapper(tls_parameters(smtp)?),
        SmtpSecurity::None => Tls::None,
    };
    let mut b = SmtpTransport::builder_dangerous(smtp.host.clone())
        .port(smtp.port)
        .tls(tls)
        .timeout(Some(smtp.timeout));
    if let (Some(user), Some(source)) = (&smtp.username, &smtp.password) {
        b = b.credentials(Credentials::new(user.clone(), read_password(source)?));
    }
    Ok(b.build())
}

/// The TLS error (rustls) behind an SMTP error, if that is what it is. rustls errors reach
/// lettre wrapped in an `io::Error`, whose `source()` skips the wrapped error itself.
fn tls_cause(e: &lettre::transport::smtp::Error) -> Option<&rustls::Error> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(err) = next {
        if let Some(t) = err.downcast_ref::<rustls::Error>() {
            return Some(t);
        }
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if let Some(t) = inner.downcast_ref::<rustls::Error>() {
                return Some(t);
            }
        }
        next = err.source();
    }
    None
}

/// A failure that another attempt will not fix: a 5xx reply, a client-side problem (no
/// common authentication mechanism, ...) or TLS (an untrusted or mismatched certificate).
fn is_permanent(e: &lettre::transport::smtp::Error) -> bool {
    e.is_permanent() || e.is_client() || e.is_tls() || tls_cause(e).is_some()
}

/// Send `message`, retrying transient failures; `sleep` waits between attempts.
pub fn send(smtp: &SmtpSettings, message: &Message, sleep: &dyn Fn(Duration)) -> Result<(), Error> {
    let server = server_label(smtp);
    let transport = transport(smtp).map_err(|e| Error::Setup {
        server: server.clone(),
        source: Box::new(e),
    })?;
    let attempts = smtp.retry.attempts();
    crate::retry::blocking(
        &smtp.retry,
        sleep,
        |_| transport.send(message).map(|_| ()),
        |e| !is_permanent(e),
        |e, attempt, delay| {
            tracing::warn!(
                "sending the email via {server} failed (attempt {attempt} of {attempts}): {e}; retrying in {:.1}s",
                delay.as_secs_f64()
            )
        },
    )
    .map_err(|failed| Error::Send {
        server: server.clone(),
        attempts: failed.attempts,
        untrusted_certificate: matches!(
            tls_cause(&failed.error),
            Some(rustls::Error::InvalidCertificate(_))
        ),
        source: failed.error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_from_env_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        std::fs::write(&p, "s3cret\r\nignored\n").unwrap();
        assert_eq!(read_password(&PasswordSource::File(p)).unwrap(), "s3cret");
        let e =
            read_password(&PasswordSource::Env("VMKAUDIT_TEST_SURELY_UNSET".into())).unwrap_err();
        assert!(
            matches!(&e, Error::Password(crate::secret::SecretError::EnvNotSet { var, .. }) if var == "VMKAUDIT_TEST_SURELY_UNSET"),
            "{e:?}"
        );
        assert!(e.to_string().contains("VMKAUDIT_TEST_SURELY_UNSET"), "{e}");
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        assert!(matches!(
            read_password(&PasswordSource::File(empty)),
            Err(Error::Password(_))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn smtp_password_file_others_can_read_gives_a_warning() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("smtp.pw");
        std::fs::write(&p, "s3cret\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let log = crate::secret::tests::logged(|| {
            assert_eq!(
                read_password(&PasswordSource::File(p.clone())).unwrap(),
                "s3cret"
            );
        });
        assert!(
            log.contains("smtp.pw can be read by other users (mode 644)"),
            "{log}"
        );
        assert!(!log.contains("s3cret"), "{log}");
    }
}
