//! The fix scripts: written by default, checked by shellcheck, and — for the shell script —
//! run against a stand-in `esxcli` that records its arguments, so quoting and the host guard are
//! shown by what would actually be executed.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common;

/// `vmkaudit check` of `inventory` (with `rules` when given) into `out`; the exit code.
fn check(inventory: &Path, rules: Option<&Path>, out: &Path) -> Option<i32> {
    let mut args = vec![
        "check".to_string(),
        inventory.display().to_string(),
        "-o".into(),
        out.display().to_string(),
    ];
    if let Some(r) = rules {
        args.extend(["--rules".into(), r.display().to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = common::vmkaudit(&common::root(), &args);
    assert!(
        o.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.status.code()
}

/// A directory with a stand-in `esxcli`: `system hostname get` answers as host `fqdn`, any other
/// call appends its arguments, one per line and then `--`, to `log`.
fn fake_esxcli(dir: &Path, fqdn: &str, log: &Path) {
    let short = fqdn.split('.').next().unwrap();
    let script = format!(
        "#!/bin/sh\nif [ \"$*\" = 'system hostname get' ]; then\n\
         printf '   Domain Name: example\\n   Fully Qualified Domain Name: %s\\n   Host Name: %s\\n' '{fqdn}' '{short}'\n\
         exit 0\nfi\nprintf '%s\\n' \"$@\" -- >> '{}'\n",
        log.display()
    );
    let path = dir.join("esxcli");
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Run `sh script args…` with the stand-in `esxcli` of host `fqdn` first on PATH; (exit code,
/// the recorded esxcli calls, stderr).
fn run_sh(script: &Path, args: &[&str], fqdn: &str) -> (Option<i32>, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("calls");
    fake_esxcli(tmp.path(), fqdn, &log);
    let path = format!(
        "{}:{}",
        tmp.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("sh")
        .arg(script)
        .args(args)
        .env("PATH", path)
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        !tmp.path().join("pwned").exists(),
        "a value from the inventory was executed"
    );
    (
        o.status.code(),
        calls,
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

#[test]
fn the_lab_gets_fix_scripts_that_run_only_on_the_named_host() {
    let out = tempfile::tempdir().unwrap();
    check(
        &common::repo("samples/lab-inventory.json"),
        Some(&common::repo("samples/lab-rules.toml")),
        out.path(),
    );
    let sh = out.path().join("remediation.sh");
    let ps1 = std::fs::read_to_string(out.path().join("remediation.ps1")).unwrap();
    let text = std::fs::read_to_string(&sh).unwrap();
    assert!(text.contains("NOBODY HAS RUN THIS SCRIPT"), "{text}");
    assert!(ps1.contains("NOBODY HAS RUN THIS SCRIPT"), "{ps1}");
    // FW001 is planted on esx-bj-c02 (firewall allows incoming by default).
    let host = "esx-bj-c02.corp.example";
    assert!(ps1.contains(&format!("$vmhost = Get-VMHost -Name '{host}'")));
    assert!(ps1.contains("Set-VMHostFirewallDefaultPolicy -AllowIncoming $false"));

    let (code, calls, _) = run_sh(&sh, &[host], host);
    assert_eq!(code, Some(0));
    assert_eq!(
        calls,
        "network\nfirewall\nset\n--default-action\nfalse\n--\n"
    );

    // On another host, or without a host, nothing runs.
    let (code, calls, err) = run_sh(&sh, &[host], "esx-bj-c03.corp.example");
    assert_eq!((code, calls.as_str()), (Some(2), ""), "{err}");
    assert!(err.contains("not the one named"), "{err}");
    let (code, calls, _) = run_sh(&sh, &[], host);
    assert_eq!((code, calls.as_str()), (Some(2), ""));
    let (code, listed, _) = run_sh(&sh, &["--list"], host);
    assert_eq!(code, Some(0));
    let _ = listed;

    if let Some(shellcheck) = common::tool("shellcheck", "shellcheck") {
        let o = Command::new(shellcheck).arg(&sh).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    }
}

#[test]
fn values_from_a_hostile_inventory_stay_single_arguments() {
    // MTU002 fires on esx02's vmk2 (its MTU differs from its cluster peers'); name that vmk
    // like an attack on the shell and on PowerShell.
    let evil = "vmk2'$(touch pwned)`touch pwned`;touch pwned #’";
    let fixture = common::repo("tests/fixtures/rules/MTU002/fires.json");
    let mut inv: Value = serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    let host = inv["hosts"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|h| h["name"] == "esx02.lab.example")
        .unwrap();
    for v in host["vmks"].as_array_mut().unwrap() {
        if v["device"] == "vmk2" {
            v["device"] = Value::String(evil.into());
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("evil.json");
    std::fs::write(&path, serde_json::to_string(&inv).unwrap()).unwrap();
    let out = tmp.path().join("out");
    check(&path, None, &out);

    let sh = out.join("remediation.sh");
    let (code, calls, err) = run_sh(&sh, &["esx02.lab.example"], "esx02.lab.example");
    assert_eq!(code, Some(0), "{err}");
    assert!(
        calls.contains(&format!("-i\n{evil}\n-m\n")),
        "the device name is one argument: {calls}"
    );
    let ps1 = std::fs::read_to_string(out.join("remediation.ps1")).unwrap();
    assert!(
        ps1.contains("-Name 'vmk2''$(touch pwned)`touch pwned`;touch pwned #’’' |"),
        "{ps1}"
    );
    if let Some(shellcheck) = common::tool("shellcheck", "shellcheck") {
        let o = Command::new(shellcheck).arg(&sh).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    }

    // A control character in a value: no command at all, the manual steps only, and the
    // comment cannot be broken out of.
    let evil_nl = "vmk2\ntouch pwned";
    let text = std::fs::read_to_string(&path).unwrap().replace(
        &serde_json::to_string(evil).unwrap(),
        &serde_json::to_string(evil_nl).unwrap(),
    );
    std::fs::write(&path, text).unwrap();
    let out2 = tmp.path().join("out2");
    check(&path, None, &out2);
    let sh2 = std::fs::read_to_string(out2.join("remediation.sh")).unwrap();
    assert!(
        !sh2.lines().any(|l| l
            .trim_start()
            .starts_with("esxcli network ip interface set")),
        "{sh2}"
    );
    assert!(sh2.contains("No safe automatic fix"), "{sh2}");
    assert!(
        !sh2.lines().any(|l| l.trim_start().starts_with("touch")),
        "{sh2}"
    );
}

#[test]
fn the_remediation_format_can_be_left_out() {
    let out = tempfile::tempdir().unwrap();
    let o = common::vmkaudit(
        &common::root(),
        &[
            "check",
            "samples/lab-inventory.json",
            "--format",
            "html,json",
            "-o",
            out.path().to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(out.path().join("report.html").is_file());
    assert!(!out.path().join("remediation.sh").exists());
    assert!(!out.path().join("remediation.ps1").exists());
}
