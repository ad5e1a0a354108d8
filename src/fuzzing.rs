//! Fuzz entry points: one function per input format vmkaudit reads from outside, each taking
//! arbitrary bytes and driving the real code path with them. None may panic or abort, whatever
//! the bytes; a panic is a bug.
//!
//! The cargo-fuzz targets in `fuzz/fuzz_targets/` call these functions, and
//! `tests/it/fuzz_corpus.rs` replays every file of `fuzz/corpus/<target>/` through them in the
//! normal test run (on stable Rust), so a crash once found stays fixed. See docs/fuzzing.md.
//!
//! * [`soap_response`]: a vSphere SOAP answer, on a thread with a tokio thread's stack, through
//!   both readers (the whole-answer
//!   [`crate::collect::soap::response_body`] and the streaming page parser), then the mapping
//!   of every host object into the model, the evaluation and every report.
//! * [`inventory_json`], [`rvtools`], [`powercli`]: a file given to `check` (written to a
//!   temporary file and read by [`crate::inventory::load`], with the format named and
//!   recognised), then the evaluation and every report; for an inventory file also the block
//!   reader against the one-pass parse.
//! * [`ruleset_toml`]: a rule set file ([`RuleSet::load`]), then an evaluation of a small estate
//!   with it.
//! * [`run_config`]: a `vmkaudit run` configuration file, read and validated
//!   ([`Config::load`]).
//!
//! Files are written into a new temporary directory each, so that the real readers run (text
//! decoding included) and relative paths in them resolve to nothing outside it.
//!
//! Beyond "no panic", the report step checks one invariant: no report holds a raw control
//! character ([`crate::render::controls`]).

use std::path::Path;
use std::sync::OnceLock;

use chrono::TimeZone as _;

use crate::collect::map::{map_host, Structure};
use crate::collect::page::{parse_page, PageEvent};
use crate::collect::soap;
use crate::config::{Config, OutputFormat};
use crate::evaluate::{evaluate, RuleSet};
use crate::i18n::Lang;
use crate::inventory::{self, Format};
use crate::model::Inventory;
use crate::render::html::Templates;
use crate::render::{self, controls, RenderOptions};

/// A fuzz entry point.
pub type Target = fn(&[u8]);

/// Every entry point, by the name of its cargo-fuzz target and corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("soap_response", soap_response),
    ("inventory_json", inventory_json),
    ("rvtools", rvtools),
    ("powercli", powercli),
    ("ruleset_toml", ruleset_toml),
    ("run_config", run_config),
];

/// The stack of a tokio worker or blocking thread, where the collector parses answers.
pub const TOKIO_THREAD_STACK: usize = 2 << 20;

/// A SOAP response body, as a vCenter or anything on its address could send it. It is parsed
/// on a thread with the stack the collector's threads have ([`TOKIO_THREAD_STACK`]), so that
/// an input that needs more stack crashes here as it would in a real run; a panic is passed on.
pub fn soap_response(data: &[u8]) {
    std::thread::scope(|s| {
        let worker = std::thread::Builder::new()
            .stack_size(TOKIO_THREAD_STACK)
            .spawn_scoped(s, || soap_response_here(data))
            .expect("spawn a thread");
        if let Err(panic) = worker.join() {
            std::panic::resume_unwind(panic);
        }
    });
}

fn soap_response_here(data: &[u8]) {
    // The whole-answer reader (login, service content, faults) gets the body as text, the way
    // reqwest decodes it.
    let _ = soap::response_body(&String::from_utf8_lossy(data));
    // The streaming reader of RetrievePropertiesEx pages gets the bytes.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _ = parse_page(data, &*crate::collect::page::as_is(), &tx);
    drop(tx);
    let mut inv = Inventory::new();
    let structure = Structure::default();
    while let Ok(ev) = rx.try_recv() {
        if let PageEvent::Objects(objects) = ev {
            for (i, oc) in objects.iter().enumerate() {
                inv.hosts.push(map_host(oc, &structure, i % 2 == 1));
            }
        }
    }
    if !inv.hosts.is_empty() {
        inv.hosts.sort_by(|a, b| a.name.cmp(&b.name));
        check_and_render(&inv, default_rules(), data.len());
    }
}

/// A vmkaudit inventory file. Beyond "no panic": what the block reader
/// ([`crate::inventory::json_stream`]) accepts, the one-pass parse of the whole text accepts
/// too, as the same inventory (the block reader only cuts the text; serde_json decides).
pub fn inventory_json(data: &[u8]) {
    if let Ok(Some(streamed)) = crate::inventory::json_stream::read(&mut &data[..]) {
        let whole: Inventory = serde_json::from_slice(data)
            .expect("the one-pass parse accepts what the block reader accepted");
        assert!(
            streamed == whole,
            "the block reader and the one-pass parse read different inventories"
        );
    }
    import(data, Format::Inventory);
}

/// An RVTools `vSC_VMK` CSV export, or an RVTools workbook (bytes starting like a ZIP archive).
pub fn rvtools(data: &[u8]) {
    import(data, Format::Rvtools);
}

/// A PowerCLI `Export-Csv` of VMkernel adapters.
pub fn powercli(data: &[u8]) {
    import(data, Format::Powercli);
}

/// A rule set file, read as `--rules FILE` reads it. It is alone in a new directory, so a
/// relative `extends` finds nothing or itself (a cycle).
pub fn ruleset_toml(data: &[u8]) {
    with_file("rules.toml", data, |path| {
        if let Ok(rules) = RuleSet::load(path) {
            check_and_render(small_estate(), &rules, data.len());
        }
    });
}

/// A `vmkaudit run` configuration file, read and validated as `run --config FILE` does.
pub fn run_config(data: &[u8]) {
    with_file("vmkaudit.toml", data, |path| {
        let _ = Config::load(path).map_err(|e| e.to_string());
    });
}

/// Read `data` as a file in `format`, and as a file whose format is recognised, as `check`
/// does; check and render what was read.
fn import(data: &[u8], format: Format) {
    with_file("input", data, |path| {
        if let Ok(inv) = inventory::load(path, Some(format)) {
            check_and_render(&inv, default_rules(), data.len());
        }
        let _ = inventory::load(path, None);
    });
}

/// Run `f` on a file `name` holding `data`, alone in a new temporary directory.
fn with_file(name: &str, data: &[u8], f: impl FnOnce(&Path)) {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join(name);
    if std::fs::write(&path, data).is_ok() {
        f(&path);
    }
}

/// The built-in default rule set, parsed once.
fn default_rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(RuleSet::builtin_default)
}

/// A small estate for rule sets to run on: two clusters, a standalone host, services,
/// stacks, switches, VLANs and a firewall.
fn small_estate() -> &'static Inventory {
    static INV: OnceLock<Inventory> = OnceLock::new();
    INV.get_or_init(|| {
        let json = r#"{"schema_version": 1, "sources": [{"name": "vc", "kind": "vcenter"}],
"hosts": [
 {"name": "esx1.lab", "cluster": "Prod", "datacenter": "DC", "connection_state": "connected",
  "netstacks": [{"key": "defaultTcpipStack", "gateway": "10.0.0.1"}],
  "switches": [{"name": "vSwitch0", "kind": "standard", "mtu": 1500}],
  "vmks": [
   {"device": "vmk0", "portgroup": "Mgmt", "switch": "vSwitch0", "vlan": 10,
    "ipv4": "10.0.0.11", "netmask": "255.255.255.0", "dhcp": false, "mtu": 1500,
    "services": ["management", "vmotion"]},
   {"device": "vmk1", "portgroup": "vSAN", "switch": "vSwitch0", "vlan": 0,
    "ipv4": "10.0.0.11", "netmask": "255.255.0.0", "dhcp": true, "mtu": 9000,
    "services": ["vsan"], "gateway": "192.168.1.1"}],
  "firewall": {"incoming_blocked": false, "outgoing_blocked": true, "rulesets": [
   {"key": "sshServer", "enabled": true, "all_ip": false, "allowed_ips": [],
    "allowed_networks": ["0.0.0.0/0"]},
   {"key": "CIMSLP", "enabled": true, "all_ip": true, "allowed_ips": [], "allowed_networks": []}]}},
 {"name": "esx2.lab", "cluster": "Edge", "connection_state": "connected",
  "vmks": [{"device": "vmk0", "ipv4": "10.1.0.12", "netmask": "255.255.255.0", "mtu": 1500,
   "services": ["management"]}]},
 {"name": "esx3.lab", "connection_state": "disconnected", "vmks": []}
]}"#;
        inventory::json::parse(Path::new("estate.json"), json).expect("the small estate is valid")
    })
}

/// The built-in templates, compiled once.
fn templates() -> &'static Templates {
    static T: OnceLock<Templates> = OnceLock::new();
    T.get_or_init(|| Templates::load(None).expect("the built-in templates compile"))
}

/// Evaluate `inv` with `rules` and render every report into memory, in the language `seed`
/// picks; panic if a report holds a raw control character.
fn check_and_render(inv: &Inventory, rules: &RuleSet, seed: usize) {
    let now = chrono::Local
        .with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
        .single()
        .unwrap_or_else(chrono::Local::now);
    let lang = Lang::ALL[seed % Lang::ALL.len()];
    let mut ff = evaluate(inv, rules, lang, now);
    // As the second run after the small estate: the configuration changes are listed too.
    ff.previous_run = Some("2026-05-31T12:00:00+00:00".into());
    ff.drift = Some(crate::drift::compare(small_estate(), inv));
    let opts = RenderOptions {
        formats: vec![OutputFormat::Html, OutputFormat::Csv, OutputFormat::Json],
        lang,
        templates_dir: None,
        title: Some("fuzz".into()),
        fail_on: crate::findings::FailOn::default(),
    };
    // The report as `render::report_html` makes it, with the templates compiled once (that
    // is most of the time of a run under the fuzzer's instrumentation). The email's HTML body
    // compiles them on every call, so only one input in 16 renders it.
    let view = render::view::build(inv, &ff, lang, opts.title.as_deref());
    let html = templates().render("report", &view).unwrap_or_default();
    let email = if seed % 32 < 2 {
        render::email_html(inv, &ff, &opts).unwrap_or_default()
    } else {
        String::new()
    };
    let outputs = [
        ("report.html", html),
        ("email.html", email),
        ("email.txt", render::email_text(inv, &ff, &opts)),
        ("checklist.txt", render::checklist_text(inv, &ff, &opts)),
        ("findings.json", render::findings_json(&ff)),
        (
            "findings.csv",
            String::from_utf8_lossy(&render::csv::findings_csv(inv, &ff, lang)).into_owned(),
        ),
        (
            "vmks.csv",
            String::from_utf8_lossy(&render::csv::vmks_csv(inv, lang)).into_owned(),
        ),
        (
            "changes.csv",
            String::from_utf8_lossy(&render::drift::changes_csv(&ff, lang)).into_owned(),
        ),
    ];
    for (name, text) in &outputs {
        // CSV line ends are CRLF by design.
        let text = if name.ends_with(".csv") {
            text.replace("\r\n", "\n")
        } else {
            text.clone()
        };
        if let Some(c) = text.chars().find(|&c| controls::is_hidden(c)) {
            panic!("{name} holds the raw control character {c:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_small_estate_parses_and_every_target_takes_empty_and_garbage_input() {
        assert_eq!(small_estate().hosts.len(), 3);
        for (_, target) in TARGETS {
            target(b"");
            target(b"\xff\xfe\x00garbage\n");
        }
    }
}
