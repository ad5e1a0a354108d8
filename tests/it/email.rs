//! Integration tests: scheduled runs (`vmkaudit run`) and email delivery.
//!
//! Each test runs the built binary against a real SMTP server: Debian's aiosmtpd on
//! 127.0.0.1 (`python3 -m aiosmtpd ... -c aiosmtpd.handlers.Mailbox DIR`, or
//! tests/smtp/server.py for STARTTLS, implicit TLS and AUTH), then parses what arrived in the
//! Maildir with tests/smtp/parse_mail.py (Python's `email` package): recipients, subject,
//! MIME structure, the HTML body and the attachments.
//!
//! The tools: python3 with aiosmtpd (Debian: python3-aiosmtpd), openssl for the test
//! certificates, systemd-analyze for the units. A test that needs one that is missing is
//! skipped with one line saying what to install, or fails when `CI` is set
//! ([`common::require`]); the rest of the suite needs nothing but the binary and `/bin/sh`.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common;

const PASSWORD: &str = "correct horse battery staple";

/// A python3 that has aiosmtpd (Debian's python3-aiosmtpd), or `None` when the test is to be
/// skipped.
fn python() -> Option<PathBuf> {
    common::python_with("aiosmtpd", "python3-aiosmtpd")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running aiosmtpd, killed on drop.
struct Smtpd {
    child: Child,
    port: u16,
    maildir: PathBuf,
    log: PathBuf,
}

impl Smtpd {
    fn maildir(dir: &Path) -> PathBuf {
        let maildir = dir.join("Maildir");
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        maildir
    }

    /// `python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c aiosmtpd.handlers.Mailbox DIR`; `None`
    /// when there is no aiosmtpd (the test is skipped).
    fn module(dir: &Path) -> Option<Smtpd> {
        let maildir = Self::maildir(dir);
        let port = free_port();
        let mut cmd = Command::new(python()?);
        cmd.args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir);
        Some(Self::spawn(cmd, port, maildir, dir))
    }

    /// tests/smtp/server.py with `args`.
    fn script(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Option<Smtpd> {
        let maildir = Self::maildir(dir);
        let port = free_port();
        let mut cmd = Command::new(python()?);
        cmd.arg(common::repo("tests/smtp/server.py"))
            .arg("--port")
            .arg(port.to_string())
            .arg("--maildir")
            .arg(&maildir)
            .args(args)
            .envs(env.iter().copied());
        Some(Self::spawn(cmd, port, maildir, dir))
    }

    /// tests/smtp/server.py with the test certificate and `args`.
    fn with_tls(dir: &Path, certs: &Certs, args: &[&str], env: &[(&str, &str)]) -> Option<Smtpd> {
        let mut all = vec![
            "--cert",
            certs.cert.to_str().unwrap(),
            "--key",
            certs.key.to_str().unwrap(),
        ];
        all.extend_from_slice(args);
        Self::script(dir, &all, env)
    }

    fn spawn(mut cmd: Command, port: u16, maildir: PathBuf, dir: &Path) -> Smtpd {
        let log = dir.join("smtpd.log");
        let log_file = std::fs::File::create(&log).unwrap();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("start aiosmtpd");
        let mut smtpd = Smtpd {
            child,
            port,
            maildir,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return smtpd;
            }
            if let Ok(Some(status)) = smtpd.child.try_wait() {
                panic!(
                    "aiosmtpd exited ({status}): {}",
                    std::fs::read_to_string(&smtpd.log).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not start listening"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every message that arrived, described by tests/smtp/parse_mail.py.
    fn messages(&self) -> Vec<Value> {
        parse_mail(&self.maildir).expect("the python3 the server runs on")
    }
}

impl Drop for Smtpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The messages in `path` (a Maildir or one `.eml` file), described by
/// tests/smtp/parse_mail.py (only Python's standard library); `None` when there is no python3
/// (the rest of the test is skipped).
fn parse_mail(path: &Path) -> Option<Vec<Value>> {
    let out = Command::new(common::tool("python3", "python3")?)
        .arg(common::repo("tests/smtp/parse_mail.py"))
        .arg(path)
        .output()
        .expect("run parse_mail.py");
    assert!(
        out.status.success(),
        "parse_mail.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    match serde_json::from_slice::<Value>(&out.stdout).unwrap() {
        Value::Array(v) => Some(v),
        other => panic!("unexpected parse_mail output {other}"),
    }
}

/// A working directory with an inventory and a config.
struct Lab {
    dir: tempfile::TempDir,
}

impl Lab {
    fn new(fixture: &str) -> Lab {
        let lab = Lab {
            dir: tempfile::tempdir().unwrap(),
        };
        lab.use_inventory(fixture);
        lab
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Replace the inventory the config reads (as the next collection would).
    fn use_inventory(&self, fixture: &str) {
        std::fs::copy(
            common::repo(&format!("tests/fixtures/runs/{fixture}")),
            self.path().join("inventory.json"),
        )
        .unwrap();
    }

    /// Write `cfg.toml`: the inventory, reports into `out`, never failing on findings, and the
    /// given extra tables.
    fn config(&self, extra: &str) -> PathBuf {
        let cfg = self.path().join("cfg.toml");
        let text = format!(
            "name = \"Test Lab\"\n\n[[inventory]]\npath = \"inventory.json\"\n\n[report]\noutput_dir = \"out\"\nfail_on = \"never\"\n{extra}"
        );
        std::fs::write(&cfg, text).unwrap();
        cfg
    }

    fn out(&self) -> PathBuf {
        self.path().join("out")
    }

    /// Run folders, oldest first.
    fn runs(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.out())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                vmkaudit::deliver::rundir::RunName::parse(p.file_name().unwrap().to_str().unwrap())
                    .is_some()
                    && std::fs::symlink_metadata(p).unwrap().is_dir()
            })
            .collect();
        v.sort_by_key(|p| {
            vmkaudit::deliver::rundir::RunName::parse(p.file_name().unwrap().to_str().unwrap())
        });
        v
    }

    fn latest(&self) -> PathBuf {
        self.out().join("latest")
    }

    fn run(&self, cfg: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
        Command::new(common::bin())
            .arg("run")
            .arg("--config")
            .arg(cfg)
            .args(args)
            .current_dir(self.path())
            .env_remove("RUST_LOG")
            .envs(env.iter().copied())
            .output()
            .expect("run vmkaudit")
    }
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn header<'a>(m: &'a Value, name: &str) -> &'a str {
    m["headers"][name].as_str().unwrap_or("")
}

/// A CA and a server certificate for 127.0.0.1 signed by it (openssl CLI).
struct Certs {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

/// `None` when there is no openssl (the test is skipped).
fn make_certs(dir: &Path) -> Option<Certs> {
    let openssl_bin = common::tool("openssl", "openssl")?;
    let d = dir.join("pki");
    std::fs::create_dir_all(&d).unwrap();
    let openssl = |args: &[&str]| {
        let out = Command::new(&openssl_bin)
            .args(args)
            .current_dir(&d)
            .output()
            .expect("run openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca_args = vec!["req", "-x509"];
    ca_args.extend(ec);
    ca_args.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=vmkaudit test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(&ca_args);
    let mut csr_args = vec!["req"];
    csr_args.extend(ec);
    csr_args.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    openssl(&csr_args);
    std::fs::write(
        d.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    Some(Certs {
        ca: d.join("ca.pem"),
        cert: d.join("server.pem"),
        key: d.join("server.key"),
    })
}

/// The `[email]` table for a plain SMTP server on loopback.
fn plain_email(port: u16, extra: &str) -> String {
    format!(
        "\n[email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {port}\nsecurity = \"none\"\nfrom = \"vmkaudit <vmkaudit@lab.example>\"\nto = [\"ops@lab.example\"]\nretries = 0\n{extra}"
    )
}

/// Check the message the way every test wants it: structure, bodies, attachments.
fn assert_report_message(m: &Value, run_dir: &Path, attach: &[&str]) {
    let tree = &m["tree"];
    assert_eq!(tree["type"], "multipart/mixed", "{tree}");
    let parts = tree["parts"].as_array().unwrap();
    assert_eq!(parts[0]["type"], "multipart/alternative", "{tree}");
    let alt: Vec<&str> = parts[0]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["type"].as_str().unwrap())
        .collect();
    assert_eq!(alt, ["text/plain", "text/html"]);

    let html = m["html"].as_str().unwrap();
    let text = m["text"].as_str().unwrap();
    assert!(html.to_ascii_lowercase().contains("<html"), "{html}");
    assert!(html.contains("Test Lab"), "{html}");
    assert!(text.contains("Test Lab"), "{text}");
    assert!(!text.contains('<'), "plain text has markup: {text}");

    let atts = m["attachments"].as_array().unwrap();
    let mut expected_count = 0;
    for name in attach {
        let file = run_dir.join(name);
        let found = atts.iter().find(|a| a["filename"] == *name);
        if file.exists() {
            expected_count += 1;
            let a = found.unwrap_or_else(|| panic!("{name} not attached: {atts:?}"));
            let want_type = match *name {
                n if n.ends_with(".html") => "text/html",
                n if n.ends_with(".csv") => "text/csv",
                n if n.ends_with(".txt") => "text/plain",
                _ => "application/json",
            };
            assert_eq!(a["type"], want_type, "{name}");
            assert_eq!(a["charset"], "utf-8", "{name}");
            assert_eq!(a["disposition"], "attachment", "{name}");
            assert_eq!(
                a["content"].as_str().unwrap(),
                std::fs::read_to_string(&file).unwrap(),
                "{name} differs from the report file"
            );
        } else {
            assert!(found.is_none(), "{name} attached but not written");
            assert!(
                html.contains(&format!("{name} is not attached")),
                "{name}: no note in {html}"
            );
        }
    }
    assert_eq!(atts.len(), expected_count, "{atts:?}");
}

#[test]
fn report_email_arrives_with_recipients_subject_parts_and_attachments() {
    let lab = Lab::new("run1.json");
    let Some(smtpd) = Smtpd::module(lab.path()) else {
        return;
    };
    let cfg = lab.config(&plain_email(
        smtpd.port,
        "to = [\"ops@lab.example\", \"Net Team <net@lab.example>\"]\ncc = [\"audit@lab.example\"]\nbcc = [\"archive@lab.example\"]\nattach = [\"report.html\", \"findings.csv\", \"vmks.csv\", \"checklist.txt\", \"findings.json\"]\n",
    )
    .replace("to = [\"ops@lab.example\"]\n", ""));
    let out = lab.run(&cfg, &[], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Email sent via 127.0.0.1:"),
        "{}",
        stderr(&out)
    );

    let msgs = smtpd.messages();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    let m = &msgs[0];
    assert_eq!(header(m, "From"), "vmkaudit <vmkaudit@lab.example>");
    assert_eq!(
        header(m, "To"),
        "ops@lab.example, Net Team <net@lab.example>"
    );
    assert_eq!(header(m, "Cc"), "audit@lab.example");
    assert_eq!(header(m, "Auto-Submitted"), "auto-generated");
    assert_eq!(header(m, "X-MailFrom"), "vmkaudit@lab.example");
    let rcpt = header(m, "X-RcptTo");
    for r in [
        "ops@lab.example",
        "net@lab.example",
        "audit@lab.example",
        "archive@lab.example",
    ] {
        assert!(rcpt.contains(r), "{r} not an envelope recipient: {rcpt}");
    }
    assert_eq!(header(m, "Bcc"), "", "Bcc must not be a header");
    assert!(!header(m, "Message-ID").is_empty());

    let run_dir = lab.runs().pop().unwrap();
    let findings = read_json(&run_dir.join("findings.json"));
    let count = |k: &str| findings["summary"]["by_severity"][k].as_u64().unwrap();
    let subject = header(m, "Subject");
    assert!(subject.starts_with("[vmkaudit] Test Lab: "), "{subject}");
    assert!(
        subject.contains(&format!("{} error", count("error"))),
        "{subject}"
    );
    assert!(
        subject.contains(&format!("{} warning", count("warning"))),
        "{subject}"
    );
    assert!(subject.ends_with(", first run"), "{subject}");

    assert_report_message(
        m,
        &run_dir,
        &[
            "report.html",
            "findings.csv",
            "vmks.csv",
            "checklist.txt",
            "findings.json",
        ],
    );
    // The run folder holds the reports, and `latest` leads to it.
    assert_eq!(
        std::fs::read_link(lab.latest()).unwrap(),
        Path::new(run_dir.file_name().unwrap())
    );
    assert!(!run_dir.join("message.eml").exists());
}

#[test]
fn subject_template_is_filled_in() {
    let lab = Lab::new("run1.json");
    let Some(smtpd) = Smtpd::module(lab.path()) else {
        return;
    };
    let cfg = lab.config(&plain_email(
        smtpd.port,
        "subject = \"{name} audit: {errors}E/{warnings}W/{infos}I on {hosts} hosts, {changes} {{ok}}\"\n",
    ));
    let out = lab.run(&cfg, &[], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let msgs = smtpd.messages();
    let findings = read_json(&lab.latest().join("findings.json"));
    let count = |k: &str| findings["summary"]["by_severity"][k].as_u64().unwrap();
    assert_eq!(
        header(&msgs[0], "Subject"),
        format!(
            "Test Lab audit: {}E/{}W/{}I on 3 hosts, first run {{ok}}",
            count("error"),
            count("warning"),
            count("info")
        )
    );
}

#[test]
fn starttls_with_a_private_ca_and_authentication() {
    let lab = Lab::new("run1.json");
    let Some(certs) = make_certs(lab.path()) else {
        return;
    };
    let Some(smtpd) = Smtpd::with_tls(
        lab.path(),
        &certs,
        &[
            "--require-starttls",
            "--auth-user",
            "vmkaudit",
            "--auth-password-env",
            "TEST_SMTPD_PASSWORD",
        ],
        &[("TEST_SMTPD_PASSWORD", PASSWORD)],
    ) else {
        return;
    };
    let email = |ca: bool| {
        format!(
            "\n[email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\nsecurity = \"starttls\"\n{}username = \"vmkaudit\"\npassword_env = \"VMKAUDIT_TEST_SMTP_PASSWORD\"\nfrom = \"vmkaudit@lab.example\"\nto = [\"ops@lab.example\"]\nretries = 2\nretry_delay_secs = 0.05\n",
            smtpd.port,
            if ca {
                format!("ca_file = \"{}\"\n", certs.ca.display())
            } else {
                String::new()
            }
        )
    };
    let cfg = lab.config(&email(true));
    let out = lab.run(&cfg, &[], &[("VMKAUDIT_TEST_SMTP_PASSWORD", PASSWORD)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("(starttls)"), "{}", stderr(&out));
    let msgs = smtpd.messages();
    assert_eq!(msgs.len(), 1);
    assert_report_message(&msgs[0], &lab.runs()[0], &["report.html", "findings.csv"]);

    // A wrong password is a permanent failure: exit 4 at once, no retries, reports kept.
    let out = lab.run(
        &cfg,
        &[],
        &[("VMKAUDIT_TEST_SMTP_PASSWORD", "wrong password")],
    );
    let err = stderr(&out);
    assert_eq!(code(&out), 4, "{err}");
    assert!(err.contains("after 1 attempt"), "{err}");
    assert!(err.contains("535"), "{err}");
    assert!(
        !err.contains("wrong password") && !err.contains(PASSWORD),
        "{err}"
    );
    assert!(lab.runs()[1].join("findings.json").is_file());

    // The password variable not set: exit 4 with its name.
    let out = lab.run(&cfg, &[], &[]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("VMKAUDIT_TEST_SMTP_PASSWORD (email.password_env) is not set"),
        "{}",
        stderr(&out)
    );

    // Without the private CA the server's certificate is not trusted.
    let cfg = lab.config(&email(false));
    let out = lab.run(&cfg, &[], &[("VMKAUDIT_TEST_SMTP_PASSWORD", PASSWORD)]);
    let err = stderr(&out);
    assert_eq!(code(&out), 4, "{err}");
    assert!(err.contains("email.ca_file"), "{err}");
    assert!(err.contains("after 1 attempt"), "{err}");
    assert_eq!(smtpd.messages().len(), 1, "nothing more arrived");
}

#[test]
fn starttls_is_required_never_skipped() {
    // A plain server without STARTTLS: the password must not go out in clear text.
    let lab = Lab::new("run1.json");
    let Some(smtpd) = Smtpd::module(lab.path()) else {
        return;
    };
    let cfg = lab.config(&plain_email(smtpd.port, "retries = 3\nretry_delay_secs = 0.05\n")
        .replace("security = \"none\"\n", "security = \"starttls\"\nusername = \"u\"\npassword_env = \"VMKAUDIT_TEST_SMTP_PASSWORD\"\n")
        .replace("retries = 0\n", ""));
    let out = lab.run(&cfg, &[], &[("VMKAUDIT_TEST_SMTP_PASSWORD", PASSWORD)]);
    let err = stderr(&out);
    assert_eq!(code(&out), 4, "{err}");
    assert!(err.contains("STARTTLS is not supported"), "{err}");
    assert!(err.contains("after 1 attempt"), "{err}");
    assert!(smtpd.messages().is_empty());
    assert!(lab.latest().join("findings.json").is_file());
}

#[test]
fn implicit_tls_delivers() {
    let lab = Lab::new("run1.json");
    let Some(certs) = make_certs(lab.path()) else {
        return;
    };
    let Some(smtpd) = Smtpd::with_tls(lab.path(), &certs, &["--implicit-tls"], &[]) else {
        return;
    };
    let cfg = lab.config(&format!(
        "\n[email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\nsecurity = \"tls\"\nca_file = \"{}\"\nfrom = \"vmkaudit@lab.example\"\nto = [\"ops@lab.example\"]\n",
        smtpd.port,
        certs.ca.display()
    ));
    let out = lab.run(&cfg, &[], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("(tls)"), "{}", stderr(&out));
    assert_eq!(smtpd.messages().len(), 1);
}

#[test]
fn smtp_server_down_exits_4_and_keeps_every_report() {
    let lab = Lab::new("run1.json");
    let port = free_port(); // nothing listens there
    let cfg = lab.config(
        &plain_email(port, "").replace("retries = 0\n", "retries = 2\nretry_delay_secs = 0.05\n"),
    );
    // An earlier run (its email written, not sent).
    let first = lab.run(&cfg, &["--dry-run-email"], &[]);
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    let earlier = lab.runs()[0].clone();
    let earlier_json = std::fs::read(earlier.join("findings.json")).unwrap();

    let started = Instant::now();
    let out = lab.run(&cfg, &[], &[]);
    let err = stderr(&out);
    assert_eq!(code(&out), 4, "{err}");
    assert!(err.contains("email delivery failed"), "{err}");
    assert!(
        err.contains(&format!("127.0.0.1:{port} (none) after 3 attempts")),
        "{err}"
    );
    assert!(err.contains("the reports were written to"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30));

    let runs = lab.runs();
    assert_eq!(runs.len(), 2);
    let failed = &runs[1];
    let findings = read_json(&failed.join("findings.json"));
    assert_eq!(findings["schema_version"], 1);
    assert_eq!(
        std::fs::read_link(lab.latest()).unwrap(),
        Path::new(failed.file_name().unwrap())
    );
    assert_eq!(
        std::fs::read(earlier.join("findings.json")).unwrap(),
        earlier_json
    );
    assert!(earlier.join("message.eml").is_file());
}

/// `email.ca_file` is read like the collector's `--ca-file` (src/tls.rs): vCenter's
/// `download.zip` or a DER certificate get the same hint, before anything is sent.
#[test]
fn a_zip_or_der_smtp_ca_file_gets_the_collectors_hint() {
    let lab = Lab::new("run1.json");
    let zip = lab.path().join("download.zip");
    std::fs::write(&zip, b"PK\x03\x04 the rest of an archive").unwrap();
    let der = lab.path().join("ca.cer");
    std::fs::write(&der, [0x30, 0x82, 0x01, 0x0a, 0x02, 0x01]).unwrap();
    for (file, hint) in [
        (
            &zip,
            "unzip it and give the PEM root certificate inside (certs/lin/*.0)",
        ),
        (&der, "openssl x509 -inform der -in FILE -out ca.pem"),
    ] {
        let email = plain_email(free_port(), &format!("ca_file = \"{}\"\n", file.display()))
            .replace("security = \"none\"", "security = \"starttls\"");
        let out = lab.run(&lab.config(&email), &[], &[]);
        let err = stderr(&out);
        assert_eq!(code(&out), 4, "{err}");
        assert!(err.contains(hint), "{err}");
        assert!(err.contains("email.ca_file"), "{err}");
        assert!(err.contains(&file.display().to_string()), "{err}");
    }
}

#[test]
fn send_changes_mails_the_first_run_but_not_an_unchanged_one() {
    let lab = Lab::new("run1.json");
    let Some(smtpd) = Smtpd::module(lab.path()) else {
        return;
    };
    let cfg = lab.config(&plain_email(smtpd.port, "send = \"changes\"\n"));
    let out = lab.run(&cfg, &[], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(smtpd.messages().len(), 1, "a first run counts as a change");

    let out = lab.run(&cfg, &[], &[]);
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "{err}");
    assert!(
        err.contains("Email not sent: send = \"changes\" and nothing is new or resolved"),
        "{err}"
    );
    assert_eq!(smtpd.messages().len(), 1, "no mail for an unchanged run");
    assert_eq!(lab.runs().len(), 2);
    assert!(!lab.runs()[1].join("message.eml").exists());
}

#[test]
fn send_changes_after_a_failed_email_sends_even_without_a_change() {
    let lab = Lab::new("run1.json");
    let Some(smtpd) = Smtpd::module(lab.path()) else {
        return;
    };
    // First run: the server is unreachable (wrong port); the change (a first run) is not mailed.
    let cfg = lab.config(&plain_email(free_port(), "send = \"changes\"\n"));
    let out = lab.run(&cfg, &[], &[]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let record = read_json(&lab.runs()[0].join("delivery.json"));
    assert_eq!(record["email"], "failed", "{record}");
    // Second run, nothing changed, server reachable: sends what the first run could not.
    let cfg = lab.config(&plain_email(smtpd.port, "send = \"changes\"\n"));
    let out = lab.run(&cfg, &[], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(smtpd.messages().len(), 1);
    assert_eq!(
        read_json(&lab.runs()[1].join("delivery.json"))["email"],
        "sent"
    );
    // Third run, nothing changed, last email delivered: nothing sent.
    let out = lab.run(&cfg, &[], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(smtpd.messages().len(), 1);
    assert_eq!(
        read_json(&lab.runs()[2].join("delivery.json"))["email"],
        "skipped"
    );
}

#[test]
fn dry_run_writes_message_eml_instead_of_sending() {
    let lab = Lab::new("run1.json");
    let port = free_port(); // nothing listens: a send attempt would fail
    let attach = "attach = [\"report.html\", \"findings.json\"]\n";

    // --dry-run-email
    let cfg = lab.config(&plain_email(port, attach));
    let out = lab.run(&cfg, &["--dry-run-email"], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // email.dry_run = true
    let cfg = lab.config(&plain_email(port, &format!("{attach}dry_run = true\n")));
    let out = lab.run(&cfg, &[], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // No smtp_host at all.
    let cfg = lab.config(&format!(
        "\n[email]\nfrom = \"vmkaudit@lab.example\"\nto = [\"ops@lab.example\"]\n{attach}"
    ));
    let out = lab.run(&cfg, &[], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Email written to"),
        "{}",
        stderr(&out)
    );

    let runs = lab.runs();
    assert_eq!(runs.len(), 3);
    for run in &runs {
        let eml = run.join("message.eml");
        let Some(msgs) = parse_mail(&eml) else {
            return;
        };
        assert_eq!(msgs.len(), 1);
        assert_eq!(header(&msgs[0], "To"), "ops@lab.example");
        assert!(header(&msgs[0], "Subject").starts_with("[vmkaudit] Test Lab: "));
        assert_report_message(&msgs[0], run, &["report.html", "findings.json"]);
        // Written atomically: no temporary files left.
        for e in std::fs::read_dir(run).unwrap() {
            let name = e.unwrap().file_name();
            assert!(
                !name.to_string_lossy().starts_with(".vmkaudit-tmp"),
                "{name:?}"
            );
        }
    }
    // The later runs know their predecessor.
    let last = parse_mail(&runs[2].join("message.eml")).expect("python3 was there above");
    assert!(
        header(&last[0], "Subject").contains(" new, ")
            && header(&last[0], "Subject").contains(" resolved since "),
        "{}",
        header(&last[0], "Subject")
    );
}

#[test]
fn insecure_smtp_to_a_remote_host_is_a_config_error() {
    let lab = Lab::new("run1.json");
    let cfg = lab.config(
        "\n[email]\nsmtp_host = \"mail.example.com\"\nsecurity = \"none\"\nfrom = \"a@b.example\"\nto = [\"c@d.example\"]\n",
    );
    let out = lab.run(&cfg, &[], &[]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains("cfg.toml:12:12:"), "{err}");
    assert!(err.contains("only to a loopback address"), "{err}");
    assert!(!lab.out().exists(), "nothing is written for a bad config");
}

#[test]
fn runs_never_share_a_folder_and_retention_keeps_the_newest() {
    let lab = Lab::new("run1.json");
    let cfg = lab.config("keep = 3\n");
    for _ in 0..4 {
        let out = lab.run(&cfg, &[], &[]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    }
    // Unrelated things in the output directory are left alone.
    std::fs::create_dir_all(lab.out().join("2026-01-01_000000.keep-me")).unwrap();
    std::fs::write(lab.out().join("notes.txt"), "mine").unwrap();
    let out = lab.run(&cfg, &[], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let runs = lab.runs();
    assert_eq!(runs.len(), 3, "{runs:?}");
    let names: std::collections::BTreeSet<_> =
        runs.iter().map(|r| r.file_name().unwrap()).collect();
    assert_eq!(names.len(), 3);
    assert_eq!(
        std::fs::read_link(lab.latest()).unwrap(),
        Path::new(runs[2].file_name().unwrap())
    );
    assert!(lab.out().join("2026-01-01_000000.keep-me").is_dir());
    assert_eq!(
        std::fs::read_to_string(lab.out().join("notes.txt")).unwrap(),
        "mine"
    );
    // Each run keeps its findings.json; the newest compares with the one before it.
    let newest = read_json(&runs[2].join("findings.json"));
    let before = read_json(&runs[1].join("findings.json"));
    assert_eq!(newest["previous_run"], before["generated_at"]);
}

/// The fixtures (tests/fixtures/runs/) raise MTU, duplicate-address and firewall findings that
/// change between the two runs.
#[test]
fn history_marks_new_persisting_and_resolved_across_changed_inventories() {
    let lab = Lab::new("run1.json");
    let Some(smtpd) = Smtpd::module(lab.path()) else {
        return;
    };
    let cfg = lab.config(&plain_email(smtpd.port, "send = \"changes\"\n"));
    let out = lab.run(&cfg, &[], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    lab.use_inventory("run2.json");
    let out = lab.run(&cfg, &[], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let runs = lab.runs();
    let one = read_json(&runs[0].join("findings.json"));
    let two = read_json(&runs[1].join("findings.json"));
    let id = |f: &Value| {
        (
            f["rule"].as_str().unwrap().to_string(),
            f["host"].as_str().unwrap().to_string(),
            f["object"].as_str().map(str::to_string),
        )
    };
    let list = |v: &Value, key: &str| v[key].as_array().cloned().unwrap_or_default();
    let before: std::collections::BTreeSet<_> = list(&one, "findings").iter().map(id).collect();
    let after: std::collections::BTreeSet<_> = list(&two, "findings").iter().map(id).collect();
    assert!(
        !before.is_empty() && !after.is_empty(),
        "the fixtures raise findings"
    );
    // Both files, history included, follow the published schema.
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(common::repo("schemas/findings.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for v in [&one, &two] {
        let errors: Vec<String> = validator.iter_errors(v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}");
    }
    assert!(one.get("previous_run").is_none());
    assert_eq!(two["previous_run"], one["generated_at"]);

    for f in list(&two, "findings") {
        let want = if before.contains(&id(&f)) {
            "persisting"
        } else {
            "new"
        };
        assert_eq!(f["status"], want, "{f}");
    }
    let resolved: std::collections::BTreeSet<_> = list(&two, "resolved").iter().map(id).collect();
    let gone: std::collections::BTreeSet<_> = before.difference(&after).cloned().collect();
    assert_eq!(resolved, gone);

    let with = |v: &Value, key: &str, rule: &str, host: &str, status: Option<&str>| {
        list(v, key).iter().any(|f| {
            f["rule"] == rule && f["host"] == host && status.is_none_or(|s| f["status"] == s)
        })
    };
    assert!(
        with(
            &two,
            "findings",
            "ADDR001",
            "esx02.lab.local",
            Some("persisting")
        ),
        "{two}"
    );
    assert!(
        with(
            &two,
            "findings",
            "ADDR001",
            "esx03.lab.local",
            Some("persisting")
        ),
        "{two}"
    );
    assert!(
        with(&two, "findings", "SVC001", "esx03.lab.local", Some("new")),
        "{two}"
    );
    assert!(
        with(&two, "resolved", "MTU004", "esx01.lab.local", None),
        "{two}"
    );
    assert!(!list(&two, "findings")
        .iter()
        .any(|f| f["host"] == "esx01.lab.local" && f["rule"] == "MTU004"));

    // Both runs changed something, so both were mailed; the second subject counts it.
    let msgs = smtpd.messages();
    assert_eq!(msgs.len(), 2);
    let new = list(&two, "findings")
        .iter()
        .filter(|f| f["status"] == "new" && f.get("waived").is_none())
        .count();
    let gone_count = list(&two, "resolved")
        .iter()
        .filter(|f| f.get("waived").is_none())
        .count();
    let subject = header(&msgs[1], "Subject");
    assert!(
        subject.contains(&format!(", {new} new, {gone_count} resolved since ")),
        "{subject}"
    );
}

#[test]
fn an_outage_does_not_resolve_findings() {
    let lab = Lab::new("run1.json");
    let cfg = lab.config("");
    let out = lab.run(&cfg, &[], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    lab.use_inventory("run2-outage.json");
    let out = lab.run(&cfg, &[], &[]);
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "{err}");
    // esx01 is not responding (its 8 findings of run 1) and esx03's vCenter could not be
    // collected (its 5): neither host's findings count as resolved.
    assert!(
        err.contains(" 13 finding(s) of the previous run could not be re-checked"),
        "{err}"
    );
    let two = read_json(&lab.latest().join("findings.json"));
    let resolved: Vec<(String, String)> = two["resolved"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["host"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        resolved,
        [("ADDR001".to_string(), "esx02.lab.local".to_string())],
        "only the checked host's finding is resolved"
    );
}

#[test]
fn contrib_config_is_valid() {
    let v = vmkaudit::config::Config::load(&common::repo("contrib/vmkaudit.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let email = v.email.expect("contrib config has [email]");
    assert!(email.smtp.is_some());
    assert_eq!(email.send, vmkaudit::config::SendPolicy::Always);
}

#[test]
fn sample_config_runs_without_vcenter_or_smtp() {
    let dir = tempfile::tempdir().unwrap();
    let samples = dir.path().join("samples");
    std::fs::create_dir_all(&samples).unwrap();
    for f in ["vmkaudit.toml", "lab-inventory.json", "lab-rules.toml"] {
        std::fs::copy(common::repo(&format!("samples/{f}")), samples.join(f))
            .unwrap_or_else(|e| panic!("samples/{f}: {e}"));
    }
    let out = common::vmkaudit(dir.path(), &["run", "--config", "samples/vmkaudit.toml"]);
    let err = stderr(&out);
    assert!(matches!(code(&out), 0 | 1), "{err}");
    // The reports land in samples/vmkaudit-report, with the email as message.eml.
    let latest = samples.join("vmkaudit-report/latest");
    assert!(latest.join("findings.json").is_file(), "{err}");
    let Some(msgs) = parse_mail(&latest.join("message.eml")) else {
        return;
    };
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["tree"]["type"], "multipart/mixed");
}

/// The job line of contrib/vmkaudit.cron, run by /bin/sh as cron would, with the paths moved
/// into a temporary directory and a stand-in for the binary that records what it got. The
/// secrets file is contrib/secrets.env.example with a password full of shell characters.
#[test]
fn cron_line_passes_secrets_verbatim_and_reports_failures() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cron = std::fs::read_to_string(common::repo("contrib/vmkaudit.cron")).unwrap();
    let line = cron
        .lines()
        .find(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .expect("a job line");
    // minute hour day month weekday user command
    let fields: Vec<&str> = line.splitn(7, ' ').collect();
    assert_eq!(fields[..6], ["0", "6", "*", "*", "*", "vmkaudit"], "{line}");
    assert!(
        !fields[6].contains('%'),
        "cron turns % into newlines: {line}"
    );
    let docs = std::fs::read_to_string(common::repo("docs/scheduling.md")).unwrap();
    assert!(
        docs.contains(line),
        "docs/scheduling.md shows another cron line"
    );

    let password = r#"p@ss w0rd$HOME&;|"x`id`\y"#;
    let example = std::fs::read_to_string(common::repo("contrib/secrets.env.example")).unwrap();
    assert!(example.contains("change-me"), "{example}");
    std::fs::write(
        d.join("secrets.env"),
        example.replace("change-me", password),
    )
    .unwrap();
    let state = d.join("state");
    std::fs::create_dir_all(&state).unwrap();
    let stub = d.join("vmkaudit");
    std::fs::write(
        &stub,
        "#!/bin/sh\nprintf '%s\\n%s\\n%s\\n%s\\n' \"$VMKAUDIT_SMTP_PASSWORD\" \"$VMKAUDIT_VCENTER_PASSWORD\" \"$*\" \"$PWD\" > \"$STUB_OUT\"\nexit \"$STUB_RC\"\n",
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let command = fields[6]
        .replace(
            "/etc/vmkaudit/secrets.env",
            d.join("secrets.env").to_str().unwrap(),
        )
        .replace("/usr/local/bin/vmkaudit", stub.to_str().unwrap())
        .replace("/var/lib/vmkaudit", state.to_str().unwrap());
    let run = |rc: &str| {
        let out = Command::new("/bin/sh")
            .args(["-c", &command])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("STUB_OUT", d.join("got.txt"))
            .env("STUB_RC", rc)
            .output()
            .unwrap();
        let got = std::fs::read_to_string(d.join("got.txt")).unwrap_or_default();
        (out, got)
    };
    let (out, got) = run("1");
    assert!(out.status.success(), "{out:?}");
    assert!(out.stderr.is_empty() && out.stdout.is_empty(), "{out:?}");
    let got: Vec<&str> = got.lines().collect();
    assert_eq!(got[0], password, "SMTP password altered by the shell");
    assert_eq!(got[1], password, "vCenter password altered by the shell");
    assert_eq!(got[2], "-q run --config /etc/vmkaudit/vmkaudit.toml");
    assert_eq!(Path::new(got[3]), state);
    // A failed run (exit 4: email not sent) prints, so cron mails MAILTO.
    let (out, _) = run("4");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "vmkaudit: exit code 4\n"
    );
}

/// contrib/vmkaudit.service and .timer pass `systemd-analyze verify` (with ExecStart pointing at
/// the built binary, since verify checks that the program exists), and the service runs the
/// job the docs describe.
#[test]
fn systemd_units_verify() {
    let Some(systemd_analyze) = common::tool("systemd-analyze", "systemd") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let service = std::fs::read_to_string(common::repo("contrib/vmkaudit.service")).unwrap();
    assert!(service.contains(
        "\nExecStart=/usr/local/bin/vmkaudit run --config /etc/vmkaudit/vmkaudit.toml\n"
    ));
    assert!(
        service.contains("\nSuccessExitStatus=1\n"),
        "exit 1 (findings) is success"
    );
    assert!(service.contains("\nEnvironmentFile=/etc/vmkaudit/secrets.env\n"));
    std::fs::write(
        dir.path().join("vmkaudit.service"),
        service.replace("/usr/local/bin/vmkaudit", common::bin().to_str().unwrap()),
    )
    .unwrap();
    std::fs::copy(
        common::repo("contrib/vmkaudit.timer"),
        dir.path().join("vmkaudit.timer"),
    )
    .unwrap();
    let out = Command::new(systemd_analyze)
        .arg("verify")
        .arg(dir.path().join("vmkaudit.timer"))
        .arg(dir.path().join("vmkaudit.service"))
        .env("SYSTEMD_LOG_LEVEL", "notice")
        .output()
        .expect("run systemd-analyze");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && err.trim().is_empty(), "{err}");
}

/// `send = "findings"`: no mail while everything at the fail level is waived, a mail once the
/// fail level is lowered; a report file above `max_attachment_bytes` stays out of that mail,
/// and the body says so and where the file is.
#[test]
fn send_findings_follows_the_fail_level_and_big_files_are_left_out_with_a_note() {
    let lab = Lab::new("run1.json");
    let Some(smtpd) = Smtpd::module(lab.path()) else {
        return;
    };
    // Waive the fixture's errors (MTU001, MTU004, ADDR001); its warnings stay.
    let mut rules = String::from("extends = \"default\"\n");
    for rule in ["MTU001", "MTU004", "ADDR001"] {
        rules.push_str(&format!(
            "\n[[waiver]]\nrule = \"{rule}\"\nhost = \"*\"\nreason = \"accepted in test\"\n"
        ));
    }
    std::fs::write(lab.path().join("rules.toml"), rules).unwrap();
    let email = plain_email(
        smtpd.port,
        "send = \"findings\"\nattach = [\"report.html\", \"findings.csv\"]\nmax_attachment_bytes = 20000\n",
    );
    let config = |fail_on: &str| {
        let cfg = lab.config(&format!("\n[rules]\nfile = \"rules.toml\"\n{email}"));
        let text = std::fs::read_to_string(&cfg)
            .unwrap()
            .replace("fail_on = \"never\"", &format!("fail_on = \"{fail_on}\""));
        std::fs::write(&cfg, text).unwrap();
        cfg
    };

    let out = lab.run(&config("error"), &[], &[]);
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "{err}");
    assert!(
        err.contains("Email not sent: send = \"findings\" and there are no findings at or above the fail level (error)"),
        "{err}"
    );
    assert!(smtpd.messages().is_empty());
    assert_eq!(
        read_json(&lab.runs()[0].join("delivery.json"))["email"],
        "skipped"
    );

    let out = lab.run(&config("warning"), &[], &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let msgs = smtpd.messages();
    assert_eq!(msgs.len(), 1);
    let run = &lab.runs()[1];
    let html_size = std::fs::metadata(run.join("report.html")).unwrap().len();
    let csv_size = std::fs::metadata(run.join("findings.csv")).unwrap().len();
    assert!(
        html_size > 20000 && csv_size <= 20000,
        "{html_size} {csv_size}"
    );
    let names: Vec<&str> = msgs[0]["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["findings.csv"]);
    let abs = std::fs::canonicalize(run).unwrap();
    for body in [&msgs[0]["html"], &msgs[0]["text"]] {
        let body = body.as_str().unwrap();
        assert!(
            body.contains("report.html (")
                && body.contains("is not attached: it is larger than the")
                && body.contains(abs.to_str().unwrap()),
            "{body}"
        );
    }
}

/// A broken template in `templates_dir` stops `vmkaudit run` before anything is collected or
/// written (here: before the missing inventory file is even looked at).
#[test]
fn a_broken_custom_template_stops_the_run_before_collection() {
    let lab = Lab::new("run1.json");
    let tpl = lab.path().join("tpl");
    std::fs::create_dir_all(&tpl).unwrap();
    std::fs::write(
        tpl.join("email.html.hbs"),
        "<p>{{#if verdict}}unclosed</p>\n",
    )
    .unwrap();
    let cfg = lab.config("templates_dir = \"tpl\"\n");
    std::fs::remove_file(lab.path().join("inventory.json")).unwrap();
    let out = lab.run(&cfg, &[], &[]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains("email.html.hbs"), "{err}");
    assert!(!err.contains("inventory.json"), "collection started: {err}");
    assert!(!lab.out().exists());
}

/// A `vmkaudit run` in the background, killed with SIGKILL on drop.
struct Background {
    child: Child,
}

impl Background {
    /// Start `vmkaudit run --config cfg` in `lab` and read its stderr until a line contains
    /// `until` (the rest is drained in a thread, so the child never blocks on a full pipe).
    fn start(lab: &Lab, cfg: &Path, until: &str) -> Background {
        use std::io::BufRead;
        let mut child = Command::new(common::bin())
            .arg("run")
            .arg("--config")
            .arg(cfg)
            .current_dir(lab.path())
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start vmkaudit");
        let mut reader = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        let bg = Background { child };
        loop {
            let mut line = String::new();
            let n = reader.read_line(&mut line).unwrap();
            assert!(n > 0, "vmkaudit ended before printing {until:?}:\n{seen}");
            seen.push_str(&line);
            if line.contains(until) {
                break;
            }
        }
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        bg
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `kill -9` and reap it.
    fn kill(mut self) {
        self.child.kill().unwrap();
        let status = self.child.wait().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9)
        );
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `[email]` table for an SMTP server that is down (nothing listens), retried with a
/// long delay: a run stays in the retries until it is killed.
fn email_down(extra: &str) -> String {
    plain_email(
        free_port(),
        &format!("retries = 5\nretry_delay_secs = 600\n{extra}"),
    )
    .replacen("retries = 0\n", "", 1)
}

/// Two runs on one output directory (issue 10, item 3): the second waits `report.lock_wait`,
/// then exits 2 naming the run that holds the directory, and the first run's reports stay
/// whole. A holder killed with `kill -9` blocks nobody.
#[test]
fn a_second_run_on_the_same_output_directory_waits_then_exits_2() {
    let lab = Lab::new("run1.json");
    let cfg = lab.config(&format!("keep = 1\nlock_wait = 1\n{}", email_down("")));
    // The first run has written its reports and is retrying the email.
    let first = Background::start(&lab, &cfg, "retrying in");
    let runs = lab.runs();
    assert_eq!(runs.len(), 1);
    let first_dir = runs[0].clone();
    let reports: Vec<(String, Vec<u8>)> = ["report.html", "findings.json", "findings.csv"]
        .iter()
        .map(|n| (n.to_string(), std::fs::read(first_dir.join(n)).unwrap()))
        .collect();

    let second = lab.run(&cfg, &[], &[]);
    let err = stderr(&second);
    assert_eq!(code(&second), 2, "{err}");
    assert!(
        err.contains(&format!(
            "vmkaudit: error: another vmkaudit run (pid {}, started at ",
            first.pid()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            ") is writing to {}; gave up after waiting 1s (report.lock_wait)",
            lab.out().display()
        )),
        "{err}"
    );
    // The first run's folder is whole and still the only one; `latest` leads to it.
    assert_eq!(lab.runs(), std::slice::from_ref(&first_dir));
    for (name, bytes) in &reports {
        assert_eq!(
            &std::fs::read(first_dir.join(name)).unwrap(),
            bytes,
            "{name}"
        );
    }
    assert_eq!(
        std::fs::read_link(lab.latest()).unwrap(),
        Path::new(first_dir.file_name().unwrap())
    );

    // kill -9: the kernel drops the lock with the process, the next run goes ahead at once.
    first.kill();
    let cfg = lab.config("keep = 1\nlock_wait = 0\n");
    let third = lab.run(&cfg, &[], &[]);
    assert_eq!(code(&third), 0, "{}", stderr(&third));
    let runs = lab.runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_ne!(runs[0], first_dir);
    assert!(lab.latest().join("report.html").is_file());
    assert!(lab.latest().join("findings.json").is_file());
}

/// A run killed while it retries the SMTP server (issue 10, item 7) leaves its email owed in
/// the outbox; the next run, with nothing new since and the server back, mails the change.
#[test]
fn a_run_killed_while_sending_leaves_its_email_owed_and_the_next_run_sends_it() {
    let lab = Lab::new("run1.json");
    let Some(smtpd) = Smtpd::module(lab.path()) else {
        return;
    };
    let up = || lab.config(&plain_email(smtpd.port, "send = \"changes\"\n"));
    let out = lab.run(&up(), &[], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(smtpd.messages().len(), 1);

    // The next collection has a new finding (SVC001 on esx03); the server is down and the run
    // is killed during the retries.
    lab.use_inventory("run2.json");
    let cfg = lab.config(&email_down("send = \"changes\"\n"));
    let killed = Background::start(&lab, &cfg, "retrying in");
    killed.kill();
    let runs = lab.runs();
    assert_eq!(runs.len(), 2);
    let killed_run = runs[1].file_name().unwrap().to_str().unwrap().to_string();
    let new_finding = read_json(&runs[1].join("findings.json"))["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "SVC001" && f["host"] == "esx03.lab.local" && f["status"] == "new");
    assert!(new_finding, "the fixture changes");
    assert!(!runs[1].join("delivery.json").exists());
    let outbox = read_json(&lab.out().join(vmkaudit::deliver::outbox::FILE));
    assert_eq!(outbox["owed"][0]["run"], killed_run.as_str(), "{outbox}");

    // Nothing is new since the killed run, but its email is owed: this run sends.
    let out = lab.run(&up(), &[], &[]);
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "{err}");
    assert!(err.contains("Email sent via"), "{err}");
    let msgs = smtpd.messages();
    assert_eq!(msgs.len(), 2);
    let text = msgs[1]["text"].as_str().unwrap();
    assert!(
        text.contains("The email of 1 earlier run(s)") && text.contains("was not delivered"),
        "{text}"
    );
    // The finding that was new in the killed run is in the report mailed.
    let csv = msgs[1]["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["filename"] == "findings.csv")
        .expect("findings.csv attached")["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        csv.lines()
            .any(|l| l.contains("SVC001") && l.contains("esx03.lab.local")),
        "{csv}"
    );
    let last = lab.runs().pop().unwrap();
    assert_eq!(read_json(&last.join("delivery.json"))["email"], "sent");
    assert!(!lab.out().join(vmkaudit::deliver::outbox::FILE).exists());

    // Delivered: the next unchanged run sends nothing.
    let out = lab.run(&up(), &[], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(smtpd.messages().len(), 2);
}

/// A `latest` directory of the user's own (issue 10, item 10) is never replaced: exit 2 with a
/// clear line before anything is read or written, and the directory is untouched.
#[test]
fn a_latest_of_the_users_own_is_left_alone() {
    let lab = Lab::new("run1.json");
    let cfg = lab.config("");
    std::fs::create_dir_all(lab.latest()).unwrap();
    std::fs::write(lab.latest().join("notes.txt"), "mine").unwrap();
    let out = lab.run(&cfg, &[], &[]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "vmkaudit: error: {}: is a directory that vmkaudit did not make;",
            lab.latest().display()
        )),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(lab.latest().join("notes.txt")).unwrap(),
        "mine"
    );
    assert!(lab.runs().is_empty());
    // Moved away, the next run makes its own `latest`.
    std::fs::rename(lab.latest(), lab.out().join("latest.mine")).unwrap();
    let out = lab.run(&cfg, &[], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(std::fs::read_link(lab.latest()).is_ok());
}

/// What `kill -9` leaves (issue 10, item 11): a run folder that was never completed. It does
/// not count towards `keep`, and the next run removes it; a folder of someone else's that
/// happens to have a run-folder name is neither counted nor touched.
#[test]
fn unfinished_run_folders_do_not_count_and_the_next_run_removes_them() {
    use vmkaudit::deliver::rundir::{COMPLETE_MARKER, RUN_MARKER};
    let lab = Lab::new("run1.json");
    let cfg = lab.config("keep = 2\n");
    let out = lab.run(&cfg, &[], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let first = lab.runs()[0].clone();
    assert!(first.join(COMPLETE_MARKER).is_file());
    // A run killed while writing its reports, and someone's own folder.
    let dead = lab.out().join("2026-01-01_000000");
    std::fs::create_dir(&dead).unwrap();
    std::fs::write(
        dead.join(RUN_MARKER),
        "{\"pid\": 4194304, \"started\": \"2026-01-01T00:00:00+00:00\"}\n",
    )
    .unwrap();
    std::fs::write(dead.join("report.html"), "<html><body>half").unwrap();
    let mine = lab.out().join("2026-01-02_000000");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "mine").unwrap();

    let out = lab.run(&cfg, &[], &[]);
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "{err}");
    assert!(
        err.contains(&format!(
            "removed the unfinished run folder {} (left by a run that was interrupted)",
            dead.display()
        )),
        "{err}"
    );
    assert!(!dead.exists());
    // Two complete runs, keep = 2: nothing pruned, the user's folder untouched.
    assert_eq!(lab.runs().len(), 3, "{:?}", lab.runs());
    assert!(first.is_dir());
    assert_eq!(
        std::fs::read_to_string(mine.join("notes.txt")).unwrap(),
        "mine"
    );
    // A third run prunes the oldest complete run, still not the user's folder.
    let out = lab.run(&cfg, &[], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!first.exists());
    assert_eq!(
        std::fs::read_to_string(mine.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(lab.runs().len(), 3, "{:?}", lab.runs());
}
