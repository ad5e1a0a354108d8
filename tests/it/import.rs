//! Integration tests: import. The three sample formats agree on what they share, the importers
//! do not care about column order, `#TYPE` lines, byte-order marks or `;` delimiters, and every
//! inventory (the sample, and each CSV sample once imported) is valid against
//! `schemas/inventory.schema.json`.

use std::path::{Path, PathBuf};

use pretty_assertions::assert_eq;
use serde_json::Value;
use vmkaudit::inventory::{self, Format};
use vmkaudit::model::{
    Direction, Duplex, Firewall, FirewallRule, FirewallRuleset, Host, HostService, Inventory,
    LockdownMode, Netstack, Pnic, Route, SecurityPolicy, Source, SourceKind, Switch, SwitchKind,
    Teaming, Vlan, VlanSpec, Vmk,
};

use crate::common::repo;

const INVENTORY: &str = "samples/lab-inventory.json";
const RVTOOLS: &str = "samples/RVTools_tabvSC_VMK.csv";
const POWERCLI: &str = "samples/powercli-vmk.csv";

fn load(rel: &str, format: Option<Format>) -> Inventory {
    inventory::load(&repo(rel), format).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo("schemas/inventory.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::draft202012::new(&schema).expect("the schema itself is valid")
}

fn schema_errors(value: &Value) -> Vec<String> {
    let v = validator();
    v.iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

pub(crate) fn assert_valid(value: &Value, what: &str) {
    let errors = schema_errors(value);
    assert!(
        errors.is_empty(),
        "{what} is not valid:\n{}",
        errors.join("\n")
    );
}

fn to_value(inv: &Inventory) -> Value {
    serde_json::from_str(&inventory::json::to_string(inv)).unwrap()
}

#[test]
fn lab_inventory_is_valid_against_the_schema() {
    let text = std::fs::read_to_string(repo(INVENTORY)).unwrap();
    assert_valid(&serde_json::from_str(&text).unwrap(), INVENTORY);
}

#[test]
fn imported_csv_samples_serialize_to_valid_inventories() {
    for (rel, format) in [(RVTOOLS, Format::Rvtools), (POWERCLI, Format::Powercli)] {
        assert_valid(&to_value(&load(rel, Some(format))), rel);
    }
}

#[test]
fn csv_imports_leave_every_schema2_field_unknown() {
    // RVTools and PowerCLI exports carry none of the schema-2 data: each field stays null
    // ("not collected"), never an empty list or a default that would pass a check.
    for (rel, format) in [(RVTOOLS, Format::Rvtools), (POWERCLI, Format::Powercli)] {
        let inv = load(rel, Some(format));
        assert!(!inv.hosts.is_empty(), "{rel}");
        for h in &inv.hosts {
            let what = format!("{rel}: {}", h.name);
            assert_eq!(h.services, None, "{what}");
            assert_eq!(h.pnics, None, "{what}");
            assert_eq!(h.lockdown_mode, None, "{what}");
            for n in h.netstacks.iter().flatten() {
                assert_eq!(n.routes, None, "{what} {}", n.key);
            }
            for r in h.firewall.iter().flat_map(|f| &f.rulesets) {
                assert_eq!(
                    (r.ip_list_user_configurable, r.user_controllable, &r.rules),
                    (None, None, &None),
                    "{what} {}",
                    r.key
                );
            }
            for v in &h.vmks {
                let what = format!("{what} {}", v.device);
                assert_eq!((&v.teaming, &v.security), (&None, &None), "{what}");
                assert_eq!(v.iscsi_bound, None, "{what}");
                assert_eq!(
                    (&v.ipv6_gateway, v.ipv6_dhcp, v.ipv6_autoconf),
                    (&None, None, None),
                    "{what}"
                );
                assert!(
                    v.switch_kind != Some(vmkaudit::model::SwitchKind::Nsx),
                    "{what}"
                );
            }
        }
    }
}

#[test]
fn lab_inventory_is_in_canonical_form() {
    // vmkaudit writes back exactly what the generator wrote: field names, order and omissions
    // of the sample match the model.
    let text = std::fs::read_to_string(repo(INVENTORY)).unwrap();
    let inv = load(INVENTORY, None);
    assert_eq!(inventory::json::to_string(&inv), text);
}

/// A model with every optional value present, and one with every optional value absent: both
/// must satisfy the schema, so a model field missing from the schema (or nullable in the model
/// but not in the schema) fails here.
#[test]
fn schema_matches_the_model_at_both_extremes() {
    let full = Inventory {
        schema_version: 2,
        collected_at: Some("2026-01-01T00:00:00Z".into()),
        sources: vec![Source {
            name: "https://vc/sdk".into(),
            kind: SourceKind::Vcenter,
            insecure: true,
            collected_at: Some("2026-01-01T00:00:00Z".into()),
            duration_seconds: Some(12.5),
            product: Some("VMware vCenter Server".into()),
            error: Some("timeout".into()),
            schema_version: None,
        }],
        hosts: vec![Host {
            name: "esx1".into(),
            cluster: Some("CL".into()),
            datacenter: Some("DC".into()),
            source: Some("https://vc/sdk".into()),
            connection_state: Some("connected".into()),
            version: Some("8.0.3".into()),
            build: Some("24022510".into()),
            vmks: vec![Vmk {
                device: "vmk0".into(),
                portgroup: Some("pg".into()),
                switch: Some("vSwitch0".into()),
                switch_kind: Some(SwitchKind::Standard),
                vlan: Some(Vlan::Spec(VlanSpec::Trunk(vec![[0, 99], [4095, 4095]]))),
                ipv4: Some("10.0.0.1".into()),
                netmask: Some("255.255.255.0".into()),
                dhcp: Some(false),
                mtu: Some(1500),
                netstack: Some("defaultTcpipStack".into()),
                gateway: Some("10.0.0.254".into()),
                services: Some(vec!["management".into(), "someFutureService".into()]),
                mac: Some("00:50:56:00:00:01".into()),
                ipv6: vec!["fd00::1/64".into()],
                ipv6_gateway: Some("fd00::fffd".into()),
                ipv6_dhcp: Some(false),
                ipv6_autoconf: Some(true),
                teaming: Some(Teaming {
                    policy: Some("failover_explicit".into()),
                    active: vec!["vmnic0".into()],
                    standby: vec!["vmnic1".into()],
                }),
                security: Some(SecurityPolicy {
                    promiscuous: Some(false),
                    mac_changes: Some(true),
                    forged_transmits: None,
                }),
                iscsi_bound: Some(false),
                reported_gateway: Some("10.0.0.1".into()),
            }],
            netstacks: Some(vec![Netstack {
                key: "defaultTcpipStack".into(),
                gateway: Some("10.0.0.1".into()),
                ipv6_gateway: Some("fd00::fffe".into()),
                routes: Some(vec![Route {
                    network: "10.1.2.0/24".into(),
                    gateway: "10.0.0.253".into(),
                    device: Some("vmk0".into()),
                }]),
            }]),
            switches: Some(vec![Switch {
                name: "vSwitch0".into(),
                kind: SwitchKind::Distributed,
                mtu: Some(9000),
                uplinks: Some(vec!["vmnic0".into()]),
            }]),
            firewall: Some(Firewall {
                incoming_blocked: true,
                outgoing_blocked: false,
                rulesets: vec![FirewallRuleset {
                    key: "sshServer".into(),
                    label: Some("SSH Server".into()),
                    enabled: true,
                    all_ip: false,
                    allowed_ips: vec!["10.0.0.9".into()],
                    allowed_networks: vec!["10.0.0.0/24".into()],
                    ip_list_user_configurable: Some(true),
                    user_controllable: Some(true),
                    rules: Some(vec![FirewallRule {
                        direction: Direction::Inbound,
                        protocol: "tcp".into(),
                        port: 22,
                        end_port: None,
                    }]),
                }],
            }),
            services: Some(vec![HostService {
                key: "TSM-SSH".into(),
                label: Some("SSH".into()),
                running: false,
                policy: "off".into(),
            }]),
            pnics: Some(vec![
                Pnic {
                    device: "vmnic0".into(),
                    link_up: Some(true),
                    speed_mbps: Some(25000),
                    duplex: Some(Duplex::Full),
                },
                Pnic {
                    device: "vmnic1".into(),
                    link_up: Some(false),
                    speed_mbps: None,
                    duplex: None,
                },
            ]),
            lockdown_mode: Some(LockdownMode::Normal),
            not_collected: [(
                "config.virtualNicManagerInfo".to_string(),
                "NoPermission, privilege System.Read".to_string(),
            )]
            .into(),
        }],
    };
    assert_valid(&to_value(&full), "a model with every field set");
    let mut empty = Host::named("esx2");
    empty.vmks.push(Vmk::named("vmk0"));
    let minimal = Inventory {
        hosts: vec![empty],
        ..Inventory::new()
    };
    assert_valid(
        &to_value(&minimal),
        "a model with every optional field unknown",
    );

    // And the schema is not a rubber stamp.
    let mut bad = to_value(&full);
    bad["hosts"][0]["vmks"][0]["vmkz"] = Value::Bool(true);
    bad["hosts"][0]["switches"][0]["kind"] = Value::String("virtual".into());
    bad["schema_version"] = Value::from(3);
    let errors = schema_errors(&bad);
    assert_eq!(errors.len(), 3, "{errors:#?}");
}

/// The fields every format carries, per host, in file order.
#[derive(Debug, PartialEq)]
struct SharedVmk {
    device: String,
    portgroup: Option<String>,
    ipv4: Option<String>,
    netmask: Option<String>,
    dhcp: Option<bool>,
    mtu: Option<u32>,
    mac: Option<String>,
}

fn shared(inv: &Inventory) -> Vec<(String, Vec<SharedVmk>)> {
    inv.hosts
        .iter()
        .map(|h| {
            let vmks = h
                .vmks
                .iter()
                .map(|v| SharedVmk {
                    device: v.device.clone(),
                    portgroup: v.portgroup.clone(),
                    ipv4: v.ipv4.clone(),
                    netmask: v.netmask.clone(),
                    dhcp: v.dhcp,
                    mtu: v.mtu,
                    mac: v.mac.clone(),
                })
                .collect();
            (h.name.clone(), vmks)
        })
        .collect()
}

/// Each vmk's services that the sample PowerCLI export shows (the service columns vmkaudit maps
/// that the export has: none for nvmeTcp, which the lab's designs use, nor for vsanWitness,
/// whose column vmkaudit reads where an export has it), sorted.
fn services(inv: &Inventory) -> Vec<(String, String, Option<Vec<String>>)> {
    let text = std::fs::read_to_string(repo(POWERCLI)).unwrap();
    let header = text
        .lines()
        .find(|l| !l.starts_with("#TYPE"))
        .unwrap()
        .to_string();
    let exportable = |s: &String| {
        vmkaudit::inventory::powercli::SERVICE_COLUMNS
            .iter()
            .any(|(column, svc)| svc == s && header.contains(&format!("\"{column}\"")))
    };
    let mut out = Vec::new();
    for h in &inv.hosts {
        for v in &h.vmks {
            let mut s = v.services.clone();
            if let Some(s) = s.as_mut() {
                s.retain(exportable);
                s.sort();
            }
            out.push((h.name.clone(), v.device.clone(), s));
        }
    }
    out
}

/// The sample inventory as the export tools see it: connected hosts only.
fn connected_sample() -> Inventory {
    let mut inv = load(INVENTORY, None);
    let before = inv.hosts.len();
    inv.hosts.retain(|h| h.is_connected());
    assert_eq!(
        before - inv.hosts.len(),
        1,
        "the lab has one disconnected host"
    );
    inv
}

#[test]
fn the_three_sample_formats_agree_on_shared_fields() {
    let inv = connected_sample();
    let rv = load(RVTOOLS, None);
    let pc = load(POWERCLI, None);
    assert_eq!(rv.sources[0].kind, SourceKind::Rvtools);
    assert_eq!(pc.sources[0].kind, SourceKind::Powercli);
    assert!(inv.hosts.len() > 40 && inv.vmk_count() > 100);

    assert_eq!(shared(&rv), shared(&inv), "RVTools vs inventory");
    assert_eq!(shared(&pc), shared(&inv), "PowerCLI vs inventory");
    assert_eq!(
        services(&pc),
        services(&inv),
        "services: PowerCLI vs inventory"
    );

    for (r, i) in rv.hosts.iter().zip(&inv.hosts) {
        assert_eq!(
            (&r.cluster, &r.datacenter),
            (&i.cluster, &i.datacenter),
            "{}",
            i.name
        );
        let stack_gw = i
            .netstack("defaultTcpipStack")
            .and_then(|n| n.gateway.clone());
        for (rv_vmk, inv_vmk) in r.vmks.iter().zip(&i.vmks) {
            assert_eq!(rv_vmk.ipv6, inv_vmk.ipv6, "{} {}", i.name, inv_vmk.device);
            // RVTools' Gateway column shows the host's default gateway; it is kept apart.
            assert_eq!(rv_vmk.reported_gateway, stack_gw);
        }
    }

    // What a format cannot carry is unknown, never a made-up value.
    for (inv, what) in [(&rv, "RVTools"), (&pc, "PowerCLI")] {
        for h in &inv.hosts {
            assert_eq!(
                (&h.netstacks, &h.switches, &h.firewall, &h.connection_state),
                (&None, &None, &None, &None),
                "{what} {}",
                h.name
            );
            for v in &h.vmks {
                assert_eq!(
                    (&v.switch, v.switch_kind, &v.vlan, &v.netstack, &v.gateway),
                    (&None, None, &None, &None, &None),
                    "{what} {} {}",
                    h.name,
                    v.device
                );
            }
        }
    }
    assert!(rv
        .hosts
        .iter()
        .flat_map(|h| &h.vmks)
        .all(|v| v.services.is_none()));
    assert!(pc
        .hosts
        .iter()
        .all(|h| h.cluster.is_none() && h.datacenter.is_none()));
    assert!(pc
        .hosts
        .iter()
        .flat_map(|h| &h.vmks)
        .all(|v| v.ipv6.is_empty()));
}

#[test]
fn formats_are_recognised_from_content() {
    for (rel, want) in [
        (INVENTORY, Format::Inventory),
        (RVTOOLS, Format::Rvtools),
        (POWERCLI, Format::Powercli),
    ] {
        let text = vmkaudit::fsutil::read_text(&repo(rel)).unwrap();
        assert_eq!(
            inventory::detect(Path::new(rel), &text).unwrap(),
            want,
            "{rel}"
        );
    }
}

// ---- CSV variations: the same data written differently imports to the same model ----------

struct CsvFile {
    type_line: Option<String>,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn read_csv(rel: &str) -> CsvFile {
    let text = vmkaudit::fsutil::read_text(&repo(rel)).unwrap();
    let (type_line, body) = match text.strip_prefix("#TYPE") {
        Some(_) => {
            let (first, rest) = text.split_once('\n').unwrap();
            (Some(first.trim_end().to_string()), rest.to_string())
        }
        None => (None, text.clone()),
    };
    let mut r = csv::Reader::from_reader(body.as_bytes());
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect();
    CsvFile {
        type_line,
        header,
        rows,
    }
}

/// Write `f` with `delimiter`, columns in `order`, optionally with a BOM and the `#TYPE` line.
fn write_csv(f: &CsvFile, order: &[usize], delimiter: u8, bom: bool, type_line: bool) -> String {
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(order.iter().map(|&i| &f.header[i])).unwrap();
    for row in &f.rows {
        w.write_record(order.iter().map(|&i| &row[i])).unwrap();
    }
    let body = String::from_utf8(w.into_inner().unwrap()).unwrap();
    let mut out = String::new();
    if bom {
        out.push('\u{feff}');
    }
    if let (true, Some(t)) = (type_line, &f.type_line) {
        out.push_str(t);
        out.push_str("\r\n");
    }
    out.push_str(&body);
    out
}

/// A fixed, thorough reordering: reversed, then every pair of neighbours swapped.
fn shuffled(n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).rev().collect();
    for pair in order.chunks_mut(2) {
        pair.reverse();
    }
    order
}

fn import_text(dir: &Path, name: &str, text: &str, format: Option<Format>) -> Inventory {
    let p: PathBuf = dir.join(name);
    std::fs::write(&p, text).unwrap();
    inventory::load(&p, format).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Hosts without the per-file `source` field, to compare imports of different files.
fn hosts_of(mut inv: Inventory) -> Vec<Host> {
    for h in &mut inv.hosts {
        h.source = None;
    }
    inv.hosts
}

#[test]
fn csv_column_order_delimiter_bom_and_type_line_do_not_matter() {
    let dir = tempfile::tempdir().unwrap();
    for (rel, format) in [(RVTOOLS, Format::Rvtools), (POWERCLI, Format::Powercli)] {
        let want = hosts_of(load(rel, Some(format)));
        let f = read_csv(rel);
        let n = f.header.len();
        let natural: Vec<usize> = (0..n).collect();
        let order = shuffled(n);
        assert_ne!(order, natural);
        let variants = [
            ("shuffled.csv", write_csv(&f, &order, b',', false, true)),
            ("semicolons.csv", write_csv(&f, &order, b';', true, true)),
            ("tabs.csv", write_csv(&f, &natural, b'\t', false, true)),
            (
                "no-bom-no-type.csv",
                write_csv(&f, &natural, b',', false, false),
            ),
            ("bom.csv", write_csv(&f, &natural, b',', true, true)),
        ];
        for (name, text) in &variants {
            // Recognised from content, and read the same way when the format is named.
            for fmt in [None, Some(format)] {
                let got = hosts_of(import_text(dir.path(), name, text, fmt));
                assert!(got == want, "{rel} as {name} ({fmt:?}) imports differently");
            }
        }
    }
}

#[test]
fn lower_case_headers_with_spaces_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let f = read_csv(RVTOOLS);
    let want = hosts_of(load(RVTOOLS, None));
    let g = CsvFile {
        type_line: None,
        header: f
            .header
            .iter()
            .map(|h| format!(" {} ", h.to_lowercase()))
            .collect(),
        rows: f.rows,
    };
    let order: Vec<usize> = (0..g.header.len()).collect();
    let text = write_csv(&g, &order, b',', false, false);
    assert!(hosts_of(import_text(dir.path(), "lc.csv", &text, None)) == want);
}

#[test]
fn several_inputs_merge_in_argument_order() {
    let inv = inventory::load_all([
        (repo(RVTOOLS).as_path(), None),
        (repo(INVENTORY).as_path(), None),
    ])
    .unwrap();
    let rv = load(RVTOOLS, None);
    let lab = load(INVENTORY, None);
    assert_eq!(inv.hosts.len(), rv.hosts.len() + lab.hosts.len());
    assert_eq!(inv.sources.len(), 1 + lab.sources.len());
    assert_eq!(inv.hosts[0], rv.hosts[0]);
}

#[test]
fn samples_are_what_the_generator_writes() {
    // The generator uses only Python's standard library.
    let Some(python) = crate::common::tool("python3", "python3") else {
        return;
    };
    let out = std::process::Command::new(python)
        .arg(repo("scripts/gen-samples.py"))
        .arg("--check")
        .output()
        .expect("python3 runs scripts/gen-samples.py");
    assert!(
        out.status.success(),
        "samples are out of date or the lab is inconsistent:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn expected_findings_name_real_hosts_and_sources() {
    let text = std::fs::read_to_string(repo("samples/expected-findings.json")).unwrap();
    let exp: Value = serde_json::from_str(&text).unwrap();
    let lab = load(INVENTORY, None);
    let known = |name: &str| {
        lab.hosts.iter().any(|h| h.name == name) || lab.sources.iter().any(|s| s.name == name)
    };
    let faults = exp["faults"].as_array().unwrap();
    assert!(faults.len() >= 24);
    for f in faults {
        let host = f["host"].as_str().unwrap();
        assert!(known(host), "{host}");
        assert!(f["rule"].as_str().is_some_and(|r| !r.is_empty()));
    }
    let healthy: Vec<&str> = exp["healthy_hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert!(
        healthy.len() * 2 > lab.hosts.len(),
        "most hosts are healthy"
    );
    for h in &healthy {
        assert!(known(h), "{h}");
        let planted_warning = faults.iter().any(|f| {
            f["host"] == *h && !["COV001", "COV002"].contains(&f["rule"].as_str().unwrap())
        });
        assert!(
            !planted_warning,
            "{h} is listed healthy but has a planted fault"
        );
    }
}

#[test]
fn utf16_export_from_windows_powershell_is_read() {
    // `... | ConvertTo-Csv > vmk.csv` in Windows PowerShell 5.1 writes UTF-16LE with a BOM.
    let dir = tempfile::tempdir().unwrap();
    let text = vmkaudit::fsutil::read_text(&repo(POWERCLI)).unwrap();
    let bytes: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let p = dir.path().join("vmk-utf16.csv");
    std::fs::write(&p, bytes).unwrap();
    let got = hosts_of(inventory::load(&p, None).unwrap());
    assert!(got == hosts_of(load(POWERCLI, None)));
}

#[test]
fn damaged_inputs_give_errors_or_data_never_a_panic() {
    // Deterministic damage to each sample: a byte-range cut out, or one character replaced by
    // CSV/JSON syntax. Every result must be Ok or a located input error (a panic fails the test).
    for rel in [RVTOOLS, POWERCLI, INVENTORY] {
        let text = vmkaudit::fsutil::read_text(&repo(rel)).unwrap();
        let head: String = text.chars().take(3000).collect();
        let chars: Vec<char> = head.chars().collect();
        let mut errors = 0;
        for (i, repl) in (0..chars.len()).step_by(7).zip(
            ['"', ',', ';', '\n', '\r', 'x', '{', '}', '\t', ':']
                .iter()
                .cycle(),
        ) {
            let replaced: String = chars
                .iter()
                .enumerate()
                .map(|(j, c)| if j == i { *repl } else { *c })
                .collect();
            let cut: String = chars
                .iter()
                .enumerate()
                .filter(|(j, _)| *j < i || *j >= i + 13)
                .map(|(_, c)| *c)
                .collect();
            for damaged in [replaced, cut] {
                let path = Path::new("damaged");
                let result = inventory::detect(path, &damaged).and_then(|f| match f {
                    Format::Inventory => inventory::json::parse(path, &damaged),
                    Format::Rvtools => inventory::rvtools::parse(path, &damaged),
                    Format::Powercli => inventory::powercli::parse(path, &damaged),
                });
                if let Err(e) = result {
                    errors += 1;
                    let msg = e.to_string();
                    assert!(msg.starts_with("damaged"), "{rel}: unlocated error {msg}");
                    assert_eq!(e.exit_code(), vmkaudit::error::ExitCode::Usage);
                }
            }
        }
        assert!(errors > 10, "{rel}: the damage should break some inputs");
    }
}

// ---- Bounded inputs (issue 10, item 5) ----------------------------------------------------

/// Run `vmkaudit args` in `cwd` under a 4 GiB address-space limit, killed after 60 s: an input
/// read without bound fails here instead of taking the machine's memory or hanging the suite.
fn vmkaudit_bounded(cwd: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 4194304; exec \"$0\" \"$@\"")
        .arg(crate::common::bin())
        .args(args)
        .current_dir(cwd)
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run vmkaudit");
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("vmkaudit {args:?} still ran after 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status.code(), stderr)
}

#[test]
fn inputs_that_are_not_regular_files_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("vmk.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let fifo = fifo.display().to_string();
    let folder = dir.path().join("exports");
    std::fs::create_dir(&folder).unwrap();
    let folder = folder.display().to_string();
    for (input, kind) in [
        ("/dev/zero", "a device"),
        (fifo.as_str(), "a named pipe"),
        (folder.as_str(), "a directory"),
    ] {
        for format in [None, Some("rvtools"), Some("inventory")] {
            let mut args = vec!["check", input, "-o", "out"];
            if let Some(f) = format {
                args.extend(["--input-format", f]);
            }
            let (code, stderr) = vmkaudit_bounded(dir.path(), &args);
            assert_eq!(code, Some(2), "{args:?}: {stderr}");
            assert_eq!(
                stderr.trim_end(),
                format!(
                    "vmkaudit: error: {input}: not a regular file but {kind}: give an inventory \
                     file or an export saved as a file"
                ),
                "{args:?}"
            );
        }
    }
    assert!(!dir.path().join("out").exists(), "nothing is written");
}

#[test]
fn inputs_above_the_size_limit_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let size = std::fs::metadata(repo(RVTOOLS)).unwrap().len();
    let sample = repo(RVTOOLS).display().to_string();
    // `check --max-input-bytes`
    let limit = (size - 1).to_string();
    let (code, stderr) = vmkaudit_bounded(
        dir.path(),
        &["check", &sample, "--max-input-bytes", &limit, "-o", "out"],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "vmkaudit: error: {sample}: the file is {size} bytes, more than the limit of {limit} \
             bytes for an input file; raise it with `max_input_bytes` in the configuration or \
             `--max-input-bytes` if the file is right"
        )
    );
    let (code, stderr) = vmkaudit_bounded(
        dir.path(),
        &["check", &sample, "--max-input-bytes", &size.to_string()],
    );
    assert_eq!(code, Some(1), "exactly at the limit is fine: {stderr}");
    // `max_input_bytes` in the run configuration.
    let config = dir.path().join("run.toml");
    std::fs::write(
        &config,
        format!(
            "max_input_bytes = {limit}\n[[inventory]]\npath = \"{sample}\"\n\
             [report]\noutput_dir = \"out\"\n"
        ),
    )
    .unwrap();
    let (code, stderr) = vmkaudit_bounded(dir.path(), &["run", "-c", "run.toml"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("more than the limit of {limit} bytes")),
        "{stderr}"
    );
    // The library's default limit.
    assert_eq!(
        vmkaudit::fsutil::DEFAULT_MAX_INPUT_BYTES,
        2 * 1024 * 1024 * 1024
    );
    let err = inventory::load_limited(&repo(INVENTORY), None, 100).unwrap_err();
    assert_eq!(err.exit_code(), vmkaudit::error::ExitCode::Usage);
    assert!(err.to_string().contains("the limit of 100 bytes"), "{err}");
}

#[test]
fn big_utf16_exports_stream_through_the_decoder() {
    // Far more than the decoder's 64 KiB chunks, with characters outside the BMP (surrogate
    // pairs) at every offset, both byte orders: the same hosts as the UTF-8 file.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("Host,Device,Port Group,MTU\r\n");
    for i in 0..6000 {
        let emoji = "🖧".repeat(i % 3);
        text.push_str(&format!("esx{i:05},vmk0,管理{emoji}网络,1500\r\n"));
        text.push_str(&format!("esx{i:05},vmk1,vMotion {emoji},9000\r\n"));
    }
    assert!(text.len() > 4 * 65536);
    let utf8 = dir.path().join("utf8.csv");
    std::fs::write(&utf8, &text).unwrap();
    let want = hosts_of(inventory::load(&utf8, None).unwrap());
    assert_eq!(want.len(), 6000);
    for (name, big_endian) in [("le.csv", false), ("be.csv", true)] {
        let units = text.encode_utf16();
        let bytes: Vec<u8> = if big_endian {
            [0xFE, 0xFF]
                .into_iter()
                .chain(units.flat_map(u16::to_be_bytes))
                .collect()
        } else {
            [0xFF, 0xFE]
                .into_iter()
                .chain(units.flat_map(u16::to_le_bytes))
                .collect()
        };
        let p = dir.path().join(name);
        std::fs::write(&p, &bytes).unwrap();
        assert!(
            hosts_of(inventory::load(&p, None).unwrap()) == want,
            "{name}"
        );
        // A lone high surrogate on line 3 is an error there.
        let mut bad = bytes.clone();
        let line3 = 2 + 2 * text
            .split_inclusive('\n')
            .take(2)
            .map(|l| l.encode_utf16().count())
            .sum::<usize>();
        let unit: [u8; 2] = if big_endian {
            [0xD8, 0x00]
        } else {
            [0x00, 0xD8]
        };
        bad.splice(line3..line3, unit);
        std::fs::write(&p, &bad).unwrap();
        let err = inventory::load(&p, None).unwrap_err().to_string();
        assert!(
            err.ends_with(&format!(
                "{name}:3: not valid UTF-16 text (unpaired surrogate 0xd800)"
            )),
            "{err}"
        );
    }
}

// ---- The same vmk twice on one host (issue 10, item 12) -----------------------------------

#[test]
fn json_importer_refuses_a_vmk_twice_on_one_host() {
    let dir = tempfile::tempdir().unwrap();
    let mut inv = load(INVENTORY, None);
    let h = 3;
    let again = inv.hosts[h].vmks[0].clone();
    inv.hosts[h].vmks.push(again);
    let text = inventory::json::to_string(&inv);
    let p = dir.path().join("dup.json");
    std::fs::write(&p, &text).unwrap();
    // The lines of the two `"device": "vmk0"` entries of that host.
    let host_at = text
        .find(&format!("\"name\": \"{}\"", inv.hosts[h].name))
        .unwrap();
    let device = format!("\"device\": \"{}\"", inv.hosts[h].vmks[0].device);
    let line_of = |at: usize| text[..at].matches('\n').count() + 1;
    let first = host_at + text[host_at..].find(&device).unwrap();
    let second = first + 1 + text[first + 1..].find(&device).unwrap();
    let err = inventory::load(&p, None).unwrap_err();
    assert_eq!(err.exit_code(), vmkaudit::error::ExitCode::Usage);
    let msg = err.to_string();
    let col = text[..second].len() - text[..second].rfind('\n').unwrap() + device.len() - 1;
    assert_eq!(
        msg,
        format!(
            "{}:{}:{col}: {} appears twice for host {} (first on line {})",
            p.display(),
            line_of(second),
            inv.hosts[h].vmks[0].device,
            inv.hosts[h].name,
            line_of(first)
        )
    );
    // On the command line: exit 2 with that one line.
    let out = crate::common::vmkaudit(dir.path(), &["check", "dup.json", "-o", "out"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("appears twice for host"), "{stderr}");
    // One line of JSON: located by column.
    std::fs::write(&p, serde_json::to_string(&inv).unwrap()).unwrap();
    let msg = inventory::load(&p, None).unwrap_err().to_string();
    assert!(
        msg.starts_with(&format!("{}:1:", p.display())) && msg.ends_with("(first on line 1)"),
        "{msg}"
    );
}

// ---- Exports without the columns the checks need (issue 10, item 16) -----------------------

#[test]
fn exports_without_the_columns_the_checks_need_warn_once_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("RVTools_tabvSC_VMK.csv"),
        "Host,Device,Cluster\nesx1,vmk0,C1\nesx1,vmk1,C1\nesx2,vmk0,C1\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("vmk.csv"),
        "VMHost,Name,Mtu\nesx3,vmk0,1500\n",
    )
    .unwrap();
    let out = crate::common::vmkaudit(
        dir.path(),
        &["check", "RVTools_tabvSC_VMK.csv", "vmk.csv", "-o", "out"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 2, "{stderr}");
    assert!(
        warnings[0].contains(
            "RVTools_tabvSC_VMK.csv: this RVTools export has no column IP Address, Subnet mask, \
             MTU: the IPv4 address and netmask of the vmk and the MTU of the vmk stay unknown \
             for every vmk"
        ),
        "{stderr}"
    );
    assert!(
        warnings[1].contains(
            "vmk.csv: this PowerCLI export has no column IP, SubnetMask, \
             ManagementTrafficEnabled"
        ),
        "{stderr}"
    );
    assert!(!warnings[1].contains("Mtu,"), "{stderr}");
    // The report says it too: once per file and kind of data, naming the columns.
    let ff: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/findings.json")).unwrap())
            .unwrap();
    let cov: Vec<(String, String, String)> = ff["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "COV002")
        .map(|f| {
            (
                f["host"].as_str().unwrap().to_string(),
                f["object"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let on = |file: &str, data: &str| {
        cov.iter()
            .find(|(h, o, _)| h == file && o == data)
            .map(|c| c.2.clone())
            .unwrap_or_else(|| panic!("no COV002 {data} on {file}: {cov:#?}"))
    };
    let ipv4 = on("RVTools_tabvSC_VMK.csv", "ipv4");
    assert!(
        ipv4.starts_with("Not checked on the 2 hosts from RVTools_tabvSC_VMK.csv: ")
            && ipv4.ends_with(
                "No row of the file gives the IPv4 address and netmask of the vmk (column IP \
                 Address, Subnet mask: missing or empty)."
            ),
        "{ipv4}"
    );
    assert!(on("RVTools_tabvSC_VMK.csv", "mtu").contains("(column MTU: missing or empty)"));
    assert!(on("vmk.csv", "ipv4").contains("(column IP, SubnetMask: missing or empty)"));
    assert!(on("vmk.csv", "services").contains("ManagementTrafficEnabled"));
    assert!(!cov.iter().any(|(h, o, _)| h == "vmk.csv" && o == "mtu"));
    // No COV002 per host.
    assert!(cov.iter().all(|(h, _, _)| h.ends_with(".csv")), "{cov:#?}");
}

// ---- RVTools' whole export: the workbook and the all-tabs CSV export (issue 15, §1) --------

const RVTOOLS_XLSX: &str = "samples/RVTools_export.xlsx";
const RVTOOLS_DIR: &str = "samples/rvtools-export";

/// What the RVTools export carries beyond the vSC_VMK tab, per host, as the model holds it.
type Carried = (
    String,
    Option<String>,
    Option<String>,
    Option<Vec<Switch>>,
    Option<Vec<Pnic>>,
    Vec<CarriedVmk>,
);
type CarriedVmk = (
    String,
    Option<String>,
    Option<SwitchKind>,
    Option<Vlan>,
    Option<SecurityPolicy>,
    Option<Teaming>,
);

/// A distributed vmk's port settings in terms RVTools' dvPort tab can hold: VLAN, security,
/// and the teaming as the positions of its uplinks on the switch (`dvUplink<n>`).
type PortView = (
    Option<Vlan>,
    Option<SecurityPolicy>,
    Option<(Option<String>, Vec<usize>, Vec<usize>)>,
);

fn port_view(h: &Host, v: &Vmk) -> PortView {
    let ups = h
        .switch(v.switch.as_deref().unwrap_or_default())
        .and_then(|s| s.uplinks.clone())
        .unwrap_or_default();
    let at = |names: &[String]| -> Vec<usize> {
        names
            .iter()
            .map(|n| ups.iter().position(|u| u == n).unwrap_or(usize::MAX))
            .collect()
    };
    let teaming = v
        .teaming
        .as_ref()
        .map(|t| (t.policy.clone(), at(&t.active), at(&t.standby)));
    (v.vlan.clone(), v.security.clone(), teaming)
}

/// The (host, vmk) pairs of `inv` on a distributed port group whose vmks' port settings
/// differ (port-level overrides), which one dvPort row per port group cannot carry.
fn port_overrides(inv: &Inventory) -> Vec<(String, String)> {
    // (source, switch, port group) → (port view, host, vmk) of each member.
    type Members = Vec<(PortView, String, String)>;
    let mut groups: std::collections::HashMap<(Option<String>, String, String), Members> =
        std::collections::HashMap::new();
    for h in &inv.hosts {
        for v in &h.vmks {
            if let (Some(SwitchKind::Distributed), Some(sw), Some(pg)) =
                (v.switch_kind, &v.switch, &v.portgroup)
            {
                let key = (h.source.clone(), sw.clone(), pg.clone());
                let member = (port_view(h, v), h.name.clone(), v.device.clone());
                groups.entry(key).or_default().push(member);
            }
        }
    }
    let mut out = Vec::new();
    for members in groups.values() {
        if members.iter().any(|m| m.0 != members[0].0) {
            out.extend(members.iter().map(|m| (m.1.clone(), m.2.clone())));
        }
    }
    out
}

/// The fields the RVTools tabs carry. A standard port group's failover order is in no RVTools
/// tab: the sample's teaming is compared for distributed vmks only (and must be unknown on
/// standard ones). RVTools has one dvPort row per distributed port group, so a vmk whose port
/// settings differ from others of its port group (a port-level override) cannot be carried:
/// such port groups' VLAN, security and teaming are left out of the comparison.
fn carried(inv: &Inventory, overridden: &[(String, String)]) -> Vec<Carried> {
    let uniform = |h: &Host, v: &Vmk| !overridden.contains(&(h.name.clone(), v.device.clone()));
    inv.hosts
        .iter()
        .map(|h| {
            let vmks = h
                .vmks
                .iter()
                .map(|v| {
                    if !uniform(h, v) {
                        return (
                            v.device.clone(),
                            v.switch.clone(),
                            v.switch_kind,
                            None,
                            None,
                            None,
                        );
                    }
                    let teaming = match v.switch_kind {
                        Some(SwitchKind::Distributed) => v.teaming.clone(),
                        _ => None,
                    };
                    (
                        v.device.clone(),
                        v.switch.clone(),
                        v.switch_kind,
                        v.vlan.clone(),
                        v.security.clone(),
                        teaming,
                    )
                })
                .collect();
            (
                h.name.clone(),
                h.version.clone(),
                h.build.clone(),
                h.switches.clone(),
                h.pnics.clone(),
                vmks,
            )
        })
        .collect()
}

#[test]
fn rvtools_workbook_and_csv_export_carry_switches_vlans_uplinks_and_versions() {
    let inv = connected_sample();
    let book = load(RVTOOLS_XLSX, None);
    let folder = load(RVTOOLS_DIR, None);
    assert_eq!(book.sources[0].kind, SourceKind::Rvtools);
    assert_eq!(
        book.sources[0].name,
        repo(RVTOOLS_XLSX).display().to_string()
    );
    // The vmk tab reads as the CSV sample does ...
    assert_eq!(shared(&book), shared(&inv), "workbook vs inventory");
    assert_eq!(shared(&folder), shared(&inv), "CSV export vs inventory");
    // ... and the other tabs fill in what the vSC_VMK tab alone leaves unknown.
    let overridden = port_overrides(&inv);
    assert_eq!(
        carried(&book, &overridden),
        carried(&inv, &overridden),
        "workbook vs inventory"
    );
    assert!(book.hosts.iter().all(|h| h.switches.is_some()
        && h.pnics.is_some()
        && h.version.is_some()
        && h.vmks
            .iter()
            .all(|v| v.vlan.is_some() && v.switch.is_some())));
    let distributed_teaming = book
        .hosts
        .iter()
        .flat_map(|h| &h.vmks)
        .filter(|v| v.teaming.is_some())
        .count();
    assert!(distributed_teaming > 80, "{distributed_teaming}");
    // The workbook and the folder of CSV files are the same export.
    assert!(hosts_of(folder.clone()) == hosts_of(book.clone()));
    // So are the CSV files given one by one (in any order), joined by their folder.
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo(RVTOOLS_DIR))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.reverse();
    let one_by_one = inventory::load_all(files.iter().map(|p| (p.as_path(), None))).unwrap();
    assert_eq!(one_by_one.sources.len(), 1);
    assert!(hosts_of(one_by_one) == hosts_of(folder));
    // What no RVTools tab carries stays unknown.
    for h in &book.hosts {
        assert_eq!(
            (&h.netstacks, &h.firewall, &h.services, &h.lockdown_mode),
            (&None, &None, &None, &None),
            "{}",
            h.name
        );
        assert!(h
            .vmks
            .iter()
            .all(|v| v.services.is_none() && v.gateway.is_none()));
    }
    assert_valid(&to_value(&book), RVTOOLS_XLSX);
}

/// The findings of the rules that read switches, VLANs, uplinks, pnics or port-group security
/// are the same from the RVTools export as from the inventory file, for every such rule the
/// export lets run on all hosts; and there is at least one (MTU001 on the lab's vSwitch1).
#[test]
fn rvtools_export_gives_the_same_switch_vlan_and_uplink_findings_as_the_inventory() {
    use vmkaudit::findings::Data;
    let set = vmkaudit::evaluate::RuleSet::load(&repo("samples/lab-rules.toml")).unwrap();
    let now = chrono::Local::now();
    let lang = vmkaudit::i18n::Lang::En;
    let lab = vmkaudit::evaluate::evaluate(&load(INVENTORY, None), &set, lang, now);
    let network = [
        Data::Switches,
        Data::Vlan,
        Data::Pnics,
        Data::Teaming,
        Data::Security,
    ];
    for rel in [RVTOOLS_XLSX, RVTOOLS_DIR] {
        let ff = vmkaudit::evaluate::evaluate(&load(rel, None), &set, lang, now);
        let compared: Vec<&str> = vmkaudit::rules::REGISTRY
            .iter()
            .filter(|r| r.needs.iter().any(|d| network.contains(d)))
            .filter(|r| ff.checked_rules.iter().any(|c| c == r.id))
            .filter(|r| !ff.summary.not_checked.iter().any(|n| n.rule == r.id))
            .map(|r| r.id)
            .collect();
        assert!(compared.contains(&"MTU001"), "{rel}: {compared:?}");
        let of = |ff: &vmkaudit::findings::FindingsFile| {
            let mut v: Vec<(String, String, Option<String>)> = ff
                .findings
                .iter()
                .filter(|f| compared.contains(&f.rule.as_str()))
                .map(|f| {
                    let j = serde_json::to_value(f).unwrap();
                    (
                        f.rule.clone(),
                        j["host"].as_str().unwrap().to_string(),
                        j["object"].as_str().map(str::to_string),
                    )
                })
                .collect();
            v.sort();
            v
        };
        let want = of(&lab);
        assert!(!want.is_empty());
        assert_eq!(of(&ff), want, "{rel}");
    }
}

/// The workbook `book` with the XML of sheet `sheet` changed by `change`.
fn rezip(book: &[u8], sheet: &str, change: impl FnOnce(String) -> String) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(book)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let names: Vec<String> = (0..z.len())
        .map(|i| z.by_index(i).unwrap().name().to_string())
        .collect();
    // The sheet's part: sheets are numbered in the workbook's order.
    let mut wb = String::new();
    z.by_name("xl/workbook.xml")
        .unwrap()
        .read_to_string(&mut wb)
        .unwrap();
    let index = wb
        .split("<sheet ")
        .skip(1)
        .position(|s| s.starts_with(&format!("name=\"{sheet}\"")))
        .unwrap();
    let part = format!("xl/worksheets/sheet{}.xml", index + 1);
    let mut change = Some(change);
    for name in names {
        let mut text = Vec::new();
        z.by_name(&name).unwrap().read_to_end(&mut text).unwrap();
        if name == part {
            let f = change.take().unwrap();
            text = f(String::from_utf8(text).unwrap()).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&text).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn damaged_workbooks_give_errors_or_data_never_a_panic() {
    // Deterministic damage to the XML of the sheets vmkaudit reads: a run of characters cut
    // out, or one replaced by XML syntax. Every result is data or an error naming the file.
    let dir = tempfile::tempdir().unwrap();
    let book = std::fs::read(repo(RVTOOLS_XLSX)).unwrap();
    let p = dir.path().join("damaged.xlsx");
    let mut errors = 0;
    for sheet in [
        "vSC_VMK", "vPort", "dvPort", "vNIC", "vHost", "dvSwitch", "vSwitch",
    ] {
        for (k, repl) in ["<", ">", "\"", "&", "/", "x", "9"].iter().enumerate() {
            for cut in [false, true] {
                let damaged = rezip(&book, sheet, |s| {
                    let head: Vec<char> = s.chars().take(4000).collect();
                    let at = 100 + (k * 541 + usize::from(cut) * 97) % (head.len() - 120);
                    let (a, b) = s.split_at(s.char_indices().nth(at).unwrap().0);
                    let skip = if cut { 13 } else { 1 };
                    let rest: String = b.chars().skip(skip).collect();
                    format!("{a}{}{rest}", if cut { "" } else { repl })
                });
                std::fs::write(&p, damaged).unwrap();
                if let Err(e) = inventory::load(&p, None) {
                    errors += 1;
                    let msg = e.to_string();
                    assert!(
                        msg.starts_with(&p.display().to_string()),
                        "unlocated: {msg}"
                    );
                    assert_eq!(e.exit_code(), vmkaudit::error::ExitCode::Usage, "{msg}");
                }
            }
        }
    }
    assert!(
        errors > 10,
        "the damage should break some workbooks: {errors}"
    );
}

#[test]
fn rvtools_workbook_errors_name_the_sheet_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    // A workbook written like the sample, with one bad MTU cell and one bad VLAN cell.
    let book = std::fs::read(repo(RVTOOLS_XLSX)).unwrap();
    let edit = |sheet: &str, from: &str, to: &str| {
        rezip(&book, sheet, |s| {
            assert!(s.contains(from), "{from}");
            s.replacen(from, to, 1)
        })
    };
    // vSC_VMK row 2 is esx-sh-a01's vmk0; its MTU is column M.
    let bad_mtu = edit(
        "vSC_VMK",
        "<c r=\"M2\"><v>1500</v></c>",
        "<c r=\"M2\" t=\"inlineStr\"><is><t>jumbo</t></is></c>",
    );
    let p = dir.path().join("bad.xlsx");
    let load_edited = |bytes: Vec<u8>| {
        std::fs::write(&p, bytes).unwrap();
        inventory::load(&p, None)
    };
    let err = load_edited(bad_mtu).unwrap_err();
    assert_eq!(err.exit_code(), vmkaudit::error::ExitCode::Usage);
    assert_eq!(
        err.to_string(),
        format!(
            "{}: sheet vSC_VMK, row 2, column \"MTU\" (M): \"jumbo\" is not a whole number",
            p.display()
        )
    );
    // A localized number is fine.
    let cells = [
        (
            "vSC_VMK",
            "<c r=\"M3\"><v>9000</v></c>",
            "<c r=\"M3\" t=\"inlineStr\"><is><t>9\u{a0}000</t></is></c>",
        ),
        (
            "vPort",
            "<c r=\"F2\"><v>10</v></c>",
            "<c r=\"F2\"><v>5000</v></c>",
        ),
    ];
    let [nbsp, bad_vlan] = cells.map(|(sheet, from, to)| load_edited(edit(sheet, from, to)));
    assert!(hosts_of(nbsp.unwrap()) == hosts_of(load(RVTOOLS_XLSX, None)));
    // A vPort VLAN that is no VLAN.
    let err = bad_vlan.unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "{}: sheet vPort, row 2, column \"VLAN\" (F): \"5000\" is not a VLAN",
            p.display()
        )),
        "{err}"
    );
    // On the command line: exit 2 (the workbook with the bad VLAN), one line.
    let out = crate::common::vmkaudit(dir.path(), &["check", "bad.xlsx", "-o", "out"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    // A file that only looks like a workbook.
    std::fs::write(&p, b"PK\x03\x04 not really a zip").unwrap();
    let err = inventory::load(&p, None).unwrap_err().to_string();
    assert!(
        err.contains("not a readable Excel workbook (.xlsx)"),
        "{err}"
    );
}

#[test]
fn rvtools_csv_tabs_without_the_vmk_tab_or_alone_say_what_to_give() {
    let dir = tempfile::tempdir().unwrap();
    let vswitch = repo(&format!("{RVTOOLS_DIR}/RVTools_tabvSwitch.csv"));
    // A tab file alone, under another name: recognised from its header.
    for tab in ["vSwitch", "dvPort", "vNIC", "vHost"] {
        let p = dir.path().join("some-tab.csv");
        std::fs::copy(repo(&format!("{RVTOOLS_DIR}/RVTools_tab{tab}.csv")), &p).unwrap();
        let err = inventory::load(&p, None).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!(
                "{}:1: this is RVTools' {tab} tab, but the vmks are on its vSC_VMK tab",
                p.display()
            )),
            "{err}"
        );
    }
    // A folder without the vmk tab.
    let folder = dir.path().join("export");
    std::fs::create_dir(&folder).unwrap();
    std::fs::copy(&vswitch, folder.join("RVTools_tabvSwitch.csv")).unwrap();
    let err = inventory::load(&folder, None).unwrap_err().to_string();
    assert!(err.contains("has no RVTools_tabvSC_VMK.csv"), "{err}");
    // Tab files given one by one without the vmk tab.
    let err = inventory::load_all([(folder.join("RVTools_tabvSwitch.csv").as_path(), None)])
        .unwrap_err()
        .to_string();
    assert!(err.contains("without the vSC_VMK tab"), "{err}");
    // A bad cell in a tab file is located by line and column.
    let text =
        std::fs::read_to_string(repo(&format!("{RVTOOLS_DIR}/RVTools_tabvNIC.csv"))).unwrap();
    let bad = text.replacen(",25000,True,", ",fast,True,", 1);
    assert_ne!(bad, text);
    std::fs::write(folder.join("RVTools_tabvNIC.csv"), bad).unwrap();
    std::fs::copy(repo(RVTOOLS), folder.join("RVTools_tabvSC_VMK.csv")).unwrap();
    let err = inventory::load(&folder, None).unwrap_err().to_string();
    assert!(
        err.ends_with("RVTools_tabvNIC.csv:2: column \"Speed\": \"fast\" is not a whole number"),
        "{err}"
    );
}

#[test]
fn rvtools_export_without_some_tabs_names_them_once_for_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("export");
    std::fs::create_dir(&folder).unwrap();
    for tab in ["vSC_VMK", "vNIC", "vHost"] {
        let name = format!("RVTools_tab{tab}.csv");
        std::fs::copy(repo(&format!("{RVTOOLS_DIR}/{name}")), folder.join(&name)).unwrap();
    }
    let inv = inventory::load(&folder, None).unwrap();
    assert!(inv
        .hosts
        .iter()
        .all(|h| h.pnics.is_some() && h.switches.is_none()));
    let set = vmkaudit::evaluate::RuleSet::builtin_default();
    let ff =
        vmkaudit::evaluate::evaluate(&inv, &set, vmkaudit::i18n::Lang::En, chrono::Local::now());
    let file = folder.display().to_string();
    let cov = |object: &str| {
        ff.findings
            .iter()
            .find(|f| f.rule == "COV002" && f.subject.object() == Some(object))
            .unwrap_or_else(|| panic!("no COV002 on {object}"))
    };
    let switches = cov("switches");
    assert_eq!(switches.subject.name(), file);
    assert!(
        switches.message.ends_with(
            "No tab of this RVTools export gives switch MTUs (tab vSwitch, dvSwitch: missing \
             or empty)."
        ),
        "{}",
        switches.message
    );
    assert!(switches
        .remediation
        .contains("the workbook (.xlsx) or the folder"));
    // What no tab carries is said of the export, not of its vmk tab.
    assert!(
        cov("firewall")
            .message
            .ends_with("An RVTools export does not include the host firewall configuration."),
        "{}",
        cov("firewall").message
    );
    // One COV002 per kind of data for the file, none per host.
    assert!(ff
        .findings
        .iter()
        .filter(|f| f.rule == "COV002")
        .all(|f| f.subject.name() == file));
}

#[test]
fn extended_powercli_export_carries_what_the_one_liner_adds() {
    let inv = connected_sample();
    let pc = load("samples/powercli-vmk-extended.csv", None);
    assert_eq!(pc.sources[0].kind, SourceKind::Powercli);
    assert_eq!(shared(&pc), shared(&inv));
    assert_eq!(services(&pc), services(&inv));
    for (p, i) in pc.hosts.iter().zip(&inv.hosts) {
        assert_eq!(
            (
                &p.cluster,
                &p.datacenter,
                &p.version,
                &p.build,
                &p.connection_state
            ),
            (
                &i.cluster,
                &i.datacenter,
                &i.version,
                &i.build,
                &i.connection_state
            ),
            "{}",
            i.name
        );
        for (a, b) in p.vmks.iter().zip(&i.vmks) {
            assert_eq!(
                (
                    &a.netstack,
                    &a.gateway,
                    &a.ipv6,
                    &a.switch,
                    a.switch_kind,
                    &a.vlan
                ),
                (
                    &b.netstack,
                    &b.gateway,
                    &b.ipv6,
                    &b.switch,
                    b.switch_kind,
                    &b.vlan
                ),
                "{} {}",
                i.name,
                b.device
            );
        }
        // Still nothing the one-liner does not export.
        assert_eq!(
            (&p.netstacks, &p.switches, &p.firewall),
            (&None, &None, &None)
        );
    }
}

#[test]
fn rvtools_tabs_with_other_versions_names_order_and_number_formats_read_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("export");
    std::fs::create_dir(&folder).unwrap();
    let want = hosts_of(load(RVTOOLS_DIR, None));
    let renames: &[(&str, &[(&str, &str)])] = &[
        ("dvSwitch", &[("Max MTU", "MTU")]),
        (
            "dvPort",
            &[
                ("Allow Promiscuous", "Promiscuous Mode"),
                ("Active Uplink", "Active Uplinks"),
                ("Standby Uplink", "Standby Uplinks"),
            ],
        ),
        ("vNIC", &[("Duplex", "Full Duplex")]),
        ("vSC_VMK", &[]),
        ("vSwitch", &[]),
        ("vPort", &[]),
        ("vHost", &[]),
    ];
    for (tab, names) in renames {
        let mut f = read_csv(&format!("{RVTOOLS_DIR}/RVTools_tab{tab}.csv"));
        for h in &mut f.header {
            if let Some((_, to)) = names.iter().find(|(from, _)| from == h) {
                *h = to.to_string();
            }
        }
        // Numbers as a German or French Excel writes them.
        for row in &mut f.rows {
            for cell in row.iter_mut() {
                if cell == "9000" {
                    *cell = "9.000".into();
                } else if cell == "25000" {
                    *cell = "25\u{202f}000".into();
                }
            }
        }
        let order = shuffled(f.header.len());
        let text = write_csv(&f, &order, b';', true, false);
        std::fs::write(folder.join(format!("RVTools_tab{tab}.csv")), text).unwrap();
    }
    assert!(hosts_of(inventory::load(&folder, None).unwrap()) == want);
}

/// The join's edge cases on a small workbook (also a seed of the `rvtools` fuzz corpus): a
/// port group's security inherited from its vSwitch, trunk and private VLANs, a link that is
/// down, a distributed switch of the same name in another vCenter, a standby uplink no vNIC
/// row maps (teaming unknown), a port group in no tab, a version that does not parse.
#[test]
fn rvtools_join_edge_cases() {
    let inv = load("fuzz/corpus/rvtools/workbook_small.xlsx", None);
    let h = &inv.hosts[0];
    assert_eq!(
        (h.version.as_deref(), h.build.as_deref()),
        (Some("8.0.3"), Some("24022510"))
    );
    let switches = h.switches.as_ref().unwrap();
    assert_eq!(
        switches
            .iter()
            .map(|s| (s.name.as_str(), s.kind, s.mtu, s.uplinks.clone().unwrap()))
            .collect::<Vec<_>>(),
        [
            (
                "vSwitch0",
                SwitchKind::Standard,
                Some(1500),
                vec!["vmnic0".to_string(), "vmnic1".to_string()]
            ),
            (
                "DVS1",
                SwitchKind::Distributed,
                Some(9000),
                vec!["vmnic2".to_string(), "vmnic3".to_string()]
            ),
        ]
    );
    let pnics = h.pnics.as_ref().unwrap();
    assert_eq!(
        pnics[1],
        Pnic {
            device: "vmnic1".into(),
            link_up: Some(false),
            speed_mbps: None,
            duplex: None
        }
    );
    assert_eq!(pnics[2].duplex, Some(Duplex::Full));
    let (v0, v1, v2) = (&h.vmks[0], &h.vmks[1], &h.vmks[2]);
    assert_eq!(v0.vlan, Some(Vlan::Id(4095)));
    assert_eq!(
        v0.security,
        Some(SecurityPolicy {
            promiscuous: Some(false),
            mac_changes: Some(true),
            forged_transmits: Some(false)
        }),
        "inherited from the vSwitch"
    );
    assert_eq!(
        v0.teaming, None,
        "no failover order for a standard port group"
    );
    assert_eq!(v1.vlan, Some(Vlan::Spec(VlanSpec::Trunk(vec![[0, 4094]]))));
    assert_eq!(v1.teaming, None, "dvUplink9 is no vmnic of the host");
    assert_eq!(v2.vlan, Some(Vlan::Spec(VlanSpec::Pvlan(101))));
    assert_eq!(
        v2.teaming,
        Some(Teaming {
            policy: Some("loadbalance_srcid".into()),
            active: vec!["vmnic3".into()],
            standby: vec![]
        })
    );
    let h2 = &inv.hosts[1];
    assert_eq!((h2.version.clone(), h2.build.clone()), (None, None));
    assert_eq!(
        (&h2.vmks[0].switch, &h2.vmks[0].vlan),
        (&None, &None),
        "a port group in no tab stays unknown"
    );
    assert_eq!(
        (&h2.switches, &h2.pnics),
        (&None, &None),
        "no rows in the vSwitch, dvSwitch and vNIC tabs: unknown, not empty"
    );
}

// ---- The inventory file read in blocks (issue 14, item 4) ---------------------------------

#[test]
fn an_inventory_read_in_blocks_is_the_inventory_of_the_one_pass_parse() {
    // The stream reader cuts each host out of the blocks it reads; the one-pass parse of the
    // whole text (kept for located errors) must read the same inventory from every sample.
    for rel in [
        INVENTORY,
        "tests/fixtures/designs/5-stretched-vsan/inventory.json",
    ] {
        let p = repo(rel);
        let text = std::fs::read_to_string(&p).unwrap();
        let streamed = inventory::load(&p, None).unwrap();
        let whole = inventory::json::parse(&p, &text).unwrap();
        assert_eq!(streamed, whole, "{rel}");
        assert!(streamed.hosts.len() > 1, "{rel}");
    }
    // A host that does not parse, far into a file: the error is located in the whole file.
    let dir = tempfile::tempdir().unwrap();
    let mut inv = load("samples/lab-inventory.json", None);
    let last = inv.hosts.len() - 1;
    inv.hosts[last].name = "esx-last".into();
    let text = inventory::json::to_string(&inv).replace(
        "\"name\": \"esx-last\"",
        "\"name\": \"esx-last\", \"colour\": 1",
    );
    let p = dir.path().join("bad.json");
    std::fs::write(&p, &text).unwrap();
    let line = text[..text.find("\"colour\"").unwrap()]
        .matches('\n')
        .count()
        + 1;
    let err = inventory::load(&p, None).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}:{line}:", p.display())) && err.contains("colour"),
        "{err}"
    );
}
