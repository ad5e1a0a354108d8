//! Integration tests: import. The three sample formats agree on what they share, the importers
//! do not care about column order, `#TYPE` lines, byte-order marks or `;` delimiters, and every
//! inventory (the sample, and each CSV sample once imported) is valid against
//! `schemas/inventory.schema.json`.

use std::path::{Path, PathBuf};

use pretty_assertions::assert_eq;
use serde_json::Value;
use vmkaudit::inventory::{self, Format};
use vmkaudit::model::{
    Firewall, FirewallRuleset, Host, Inventory, Netstack, Source, SourceKind, Switch, SwitchKind,
    Vmk,
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

fn assert_valid(value: &Value, what: &str) {
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
        schema_version: 1,
        collected_at: Some("2026-01-01T00:00:00Z".into()),
        sources: vec![Source {
            name: "https://vc/sdk".into(),
            kind: SourceKind::Vcenter,
            insecure: true,
            collected_at: Some("2026-01-01T00:00:00Z".into()),
            product: Some("VMware vCenter Server".into()),
            error: Some("timeout".into()),
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
                vlan: Some(4095),
                ipv4: Some("10.0.0.1".into()),
                netmask: Some("255.255.255.0".into()),
                dhcp: Some(false),
                mtu: Some(1500),
                netstack: Some("defaultTcpipStack".into()),
                gateway: Some("10.0.0.254".into()),
                services: Some(vec!["management".into(), "someFutureService".into()]),
                mac: Some("00:50:56:00:00:01".into()),
                ipv6: vec!["fd00::1".into()],
                reported_gateway: Some("10.0.0.1".into()),
            }],
            netstacks: Some(vec![Netstack {
                key: "defaultTcpipStack".into(),
                gateway: Some("10.0.0.1".into()),
                ipv6_gateway: Some("fd00::fffe".into()),
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
                }],
            }),
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
    bad["schema_version"] = Value::from(2);
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

fn services(inv: &Inventory) -> Vec<(String, String, Option<Vec<String>>)> {
    let mut out = Vec::new();
    for h in &inv.hosts {
        for v in &h.vmks {
            let mut s = v.services.clone();
            if let Some(s) = s.as_mut() {
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
                    (&v.switch, v.switch_kind, v.vlan, &v.netstack, &v.gateway),
                    (&None, None, None, &None, &None),
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
