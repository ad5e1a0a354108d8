//! Integration tests: live collection against govmomi's vSphere simulator.
//!
//! `tests/vcsim/main.go` (built once per test run into `target/vcsim-fixture/`, offline, from
//! Debian's golang-go and golang-github-vmware-govmomi-dev) loads a scenario from
//! `tests/vcsim/scenarios/` into the simulator and serves it over HTTPS with a CA it generates.
//! The scenario's hosts are written as vmkaudit inventory hosts, so the expected inventory is the
//! scenario itself plus the placement (cluster, datacenter, source) implied by its nesting.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::OnceLock;

use pretty_assertions::assert_eq;
use serde_json::Value;
use vmkaudit::model::{Host, Inventory, SourceKind};

use crate::common;

const PW_VAR: &str = "VMKAUDIT_IT_VC_PASSWORD";

/// The Debian packages the simulator fixture is built from.
const SIMULATOR_PACKAGES: &str = "golang-go golang-github-vmware-govmomi-dev";

/// Where Debian installs Go sources (GOPATH for the fixture's build).
const GOPATH: &str = "/usr/share/gocode";

/// Whether the simulator fixture can be built here: Go and the govmomi sources. When not, the
/// calling test is to return early (skipped, with one line saying what to install), or, with
/// `CI` set, fails ([`common::require`]).
#[track_caller]
pub(crate) fn simulator_available() -> bool {
    common::require_tool("go", SIMULATOR_PACKAGES)
        && common::require("the govmomi sources", SIMULATOR_PACKAGES, || {
            Path::new(GOPATH)
                .join("src/github.com/vmware/govmomi")
                .is_dir()
        })
}

/// Build the fixture program once (rebuilt when its source is newer than the binary).
pub(crate) fn fixture_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let src = common::repo("tests/vcsim");
        let out_dir = common::repo("target/vcsim-fixture");
        std::fs::create_dir_all(&out_dir).expect("create target/vcsim-fixture");
        let bin = out_dir.join("vcsim-fixture");
        let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let fresh = match (mtime(&bin), mtime(&src.join("main.go"))) {
            (Some(b), Some(s)) => b >= s,
            _ => false,
        };
        if !fresh {
            let status = Command::new("go")
                .args(["build", "-o"])
                .arg(&bin)
                .arg(".")
                .current_dir(&src)
                .env("GO111MODULE", "off")
                .env("GOPATH", GOPATH)
                .env("GOCACHE", out_dir.join("gocache"))
                .env_remove("GOROOT")
                .status()
                .expect(
                    "run `go build` for tests/vcsim (install golang-go and \
                     golang-github-vmware-govmomi-dev; scripts/test.sh does)",
                );
            assert!(status.success(), "building tests/vcsim failed");
        }
        bin
    })
}

/// A running simulator; killed when dropped.
struct Sim {
    child: Child,
    _stdin: ChildStdin,
    url: String,
    ca_file: PathBuf,
    user: String,
    password: String,
    scenario: Value,
    _dir: tempfile::TempDir,
}

impl Sim {
    /// The simulator on `scenario`; `None` when it cannot be built here (the test is then
    /// skipped, see [`simulator_available`]).
    #[track_caller]
    fn start(scenario: &str) -> Option<Sim> {
        Sim::start_with(scenario, &[])
    }

    /// A simulator started with extra fixture options (`-hostile ...`).
    #[track_caller]
    fn start_with(scenario: &str, options: &[&str]) -> Option<Sim> {
        if !simulator_available() {
            return None;
        }
        let path = common::repo(&format!("tests/vcsim/scenarios/{scenario}.json"));
        let text = std::fs::read_to_string(&path).expect("read scenario");
        let scenario: Value = serde_json::from_str(&text).expect("scenario is JSON");
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(fixture_bin())
            .arg("-scenario")
            .arg(&path)
            .arg("-dir")
            .arg(dir.path())
            .args(options)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start vcsim fixture");
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("read fixture banner");
        let banner: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("fixture banner `{line}` is not JSON: {e}"));
        Some(Sim {
            child,
            _stdin: stdin,
            url: banner["url"].as_str().unwrap().to_string(),
            ca_file: PathBuf::from(banner["ca_file"].as_str().unwrap()),
            user: banner["user"].as_str().unwrap().to_string(),
            password: scenario["password"].as_str().unwrap_or("pass").to_string(),
            scenario,
            _dir: dir,
        })
    }

    /// The expected hosts: the scenario's hosts with their placement and the properties the
    /// scenario denies (`not_collected`), sorted by name.
    fn expected_hosts(&self, source: &str) -> Vec<Host> {
        let esxi = self.scenario["mode"] == "esxi";
        let mut out = Vec::new();
        let place = |h: &Value, cluster: Option<&str>, dc: &str| -> Host {
            let mut h = h.clone();
            for d in self.scenario["deny"].as_array().into_iter().flatten() {
                if d["host"] == h["name"] {
                    let path = d["path"].as_str().unwrap();
                    let why = format!(
                        "NoPermission, privilege {}",
                        d["privilege"].as_str().unwrap()
                    );
                    h["not_collected"][path] = Value::String(why);
                }
            }
            h["cluster"] = cluster.map_or(Value::Null, |c| Value::String(c.into()));
            if !esxi {
                h["datacenter"] = Value::String(dc.into());
            }
            h["source"] = Value::String(source.into());
            serde_json::from_value(h).expect("scenario host is an inventory host")
        };
        for dc in self.scenario["datacenters"].as_array().unwrap() {
            let dc_name = dc["name"].as_str().unwrap();
            for cl in dc["clusters"].as_array().into_iter().flatten() {
                for h in cl["hosts"].as_array().unwrap() {
                    out.push(place(h, cl["name"].as_str(), dc_name));
                }
            }
            for h in dc["standalone"].as_array().into_iter().flatten() {
                out.push(place(h, None, dc_name));
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Run {
    out: Output,
    inventory: Option<Inventory>,
    stderr: String,
}

/// `vmkaudit` with a clean environment: no log filter, no page-size override, no proxy (the
/// simulator is on loopback).
fn vmkaudit_cmd() -> Command {
    let mut cmd = Command::new(common::bin());
    for var in [
        "RUST_LOG",
        "VMKAUDIT_MAX_OBJECTS",
        "VMKAUDIT_SOURCE_TIMEOUT",
        "VMKAUDIT_STREAMS",
        "VMKAUDIT_MAX_PARALLEL_SOURCES",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// `vmkaudit collect` with the password in an environment variable.
fn collect(password: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("inv.json");
    let mut cmd = vmkaudit_cmd();
    cmd.arg("collect")
        .args(args)
        .args(["--password-env", PW_VAR, "--output"])
        .arg(&out_file)
        .env(PW_VAR, password)
        .current_dir(dir.path());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run vmkaudit");
    let inventory = std::fs::read_to_string(&out_file).ok().map(|t| {
        vmkaudit::inventory::json::parse(&out_file, &t).expect("collect writes a valid inventory")
    });
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    Run {
        out,
        inventory,
        stderr,
    }
}

fn sim_args(sim: &Sim, with_ca: bool) -> Vec<&str> {
    let mut a = vec!["--vcenter", sim.url.as_str(), "--user", sim.user.as_str()];
    if with_ca {
        a.extend(["--ca-file", sim.ca_file.to_str().unwrap()]);
    }
    a
}

/// `vmkaudit run` in `dir` with `cfg` as its vmkaudit.toml and `password` in [`PW_VAR`].
fn run_config(dir: &Path, cfg: &str, password: &str) -> (Output, String) {
    std::fs::write(dir.join("vmkaudit.toml"), cfg).unwrap();
    let out = vmkaudit_cmd()
        .args(["run", "-c", "vmkaudit.toml"])
        .env(PW_VAR, password)
        .current_dir(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stderr)
}

/// The error of the only source of a `collect` that failed it (exit 3).
fn source_error(run: Run) -> String {
    assert_eq!(run.out.status.code(), Some(3), "{}", run.stderr);
    let inv = run.inventory.expect("collect writes the inventory");
    inv.sources[0].error.clone().expect("the source failed")
}

fn closed_port_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("https://127.0.0.1:{port}")
}

#[test]
fn multi_cluster_inventory_equals_the_scenario() {
    let Some(sim) = Sim::start("multi-cluster") else {
        return;
    };
    // A small page size so that the structure pass pages too.
    let run = collect(
        &sim.password,
        &sim_args(&sim, true),
        &[("VMKAUDIT_MAX_OBJECTS", "4")],
    );
    assert_eq!(run.out.status.code(), Some(0), "{}", run.stderr);
    let inv = run.inventory.unwrap();
    assert_eq!(inv.sources.len(), 1);
    let src = &inv.sources[0];
    assert_eq!(src.name, sim.url);
    assert_eq!(src.kind, SourceKind::Vcenter);
    assert!(!src.insecure);
    assert_eq!(src.error, None);
    assert!(src.product.as_deref().unwrap().contains("vCenter"));
    assert!(src.collected_at.is_some() && inv.collected_at.is_some());
    let expected = sim.expected_hosts(&sim.url);
    assert_eq!(inv.hosts.len(), expected.len());
    for (got, want) in inv.hosts.iter().zip(&expected) {
        assert_eq!(got, want, "host {}", want.name);
    }
    assert!(
        !run.stderr.contains(&sim.password),
        "password leaked: {}",
        run.stderr
    );
    // The refused property is reported once, with the privilege.
    let warning = "property config.firewall not readable on 1 object(s) \
                   (NoPermission, privilege Host.Config.NetService): esx-b2.east.lab";
    assert_eq!(run.stderr.matches(warning).count(), 1, "{}", run.stderr);
    // stderr is not a terminal here: plain text, no colour codes, no progress bar.
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
    assert!(!run.stderr.contains("collecting ["), "{}", run.stderr);
}

#[test]
fn collected_inventories_are_valid_against_the_schema() {
    // What `collect` writes, with every schema-2 field the simulator serves (services, pnics
    // with a link down, routes, teaming and security, a port override with a private VLAN,
    // NSX vmks, firewall rules), validates against schemas/inventory.schema.json.
    for scenario in ["multi-cluster", "esxi", "denied"] {
        let Some(sim) = Sim::start(scenario) else {
            return;
        };
        let run = collect(&sim.password, &sim_args(&sim, true), &[]);
        assert_eq!(run.out.status.code(), Some(0), "{}", run.stderr);
        let inv = run.inventory.unwrap();
        let text = vmkaudit::inventory::json::to_string(&inv);
        let value: Value = serde_json::from_str(&text).unwrap();
        crate::import::assert_valid(&value, scenario);
        assert_eq!(value["schema_version"], 2);
        if scenario == "multi-cluster" {
            let a1 = &value["hosts"][0];
            assert_eq!(a1["name"], "esx-a1.east.lab");
            assert_eq!(a1["vmks"][1]["vlan"]["pvlan"], 111);
            assert_eq!(a1["pnics"][4]["link_up"], false);
        }
    }
}

#[test]
fn max_mtu_is_asked_of_vmware_switches_only_and_port_overrides_of_their_switch() {
    // A real vCenter answers InvalidProperty to `config.maxMtu` asked of every
    // DistributedVirtualSwitch: the first structure request asks it of
    // VmwareDistributedVirtualSwitch only. FetchDVPorts goes to the switch of the one port
    // group that allows overrides, for that port group.
    let Some(sim) = Sim::start("multi-cluster") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("requests.jsonl");
    // One stream: the exchange in order (structure read, then host read), as the counts below
    // expect; streams add a host listing that runs beside the structure read.
    let run = collect(
        &sim.password,
        &sim_args(&sim, true),
        &[
            ("VMKAUDIT_DUMP_REQUESTS", dump.to_str().unwrap()),
            ("VMKAUDIT_STREAMS", "1"),
        ],
    );
    assert_eq!(run.out.status.code(), Some(0), "{}", run.stderr);
    let calls: Vec<Value> = std::fs::read_to_string(&dump)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let envelopes = |method: &str| -> Vec<String> {
        calls
            .iter()
            .filter(|c| c["method"] == method)
            .map(|c| c["envelope"].as_str().unwrap().to_string())
            .collect()
    };
    let structure = &envelopes("RetrievePropertiesEx")[0];
    assert!(
        structure.contains("<type>DistributedVirtualSwitch</type>"),
        "{structure}"
    );
    let prop_sets: Vec<&str> = structure.split("<propSet>").skip(1).collect();
    let with_mtu: Vec<&&str> = prop_sets
        .iter()
        .filter(|p| p.contains("config.maxMtu"))
        .collect();
    assert_eq!(with_mtu.len(), 1, "{structure}");
    assert!(
        with_mtu[0].starts_with("<type>VmwareDistributedVirtualSwitch</type>"),
        "{structure}"
    );
    // No InvalidProperty fallback was needed: one structure read, one host read.
    assert_eq!(envelopes("RetrievePropertiesEx").len(), 2, "{calls:?}");
    let fetch = envelopes("FetchDVPorts");
    assert_eq!(fetch.len(), 1, "{calls:?}");
    assert_eq!(
        fetch[0].matches("<portgroupKey>").count(),
        1,
        "{}",
        fetch[0]
    );
}

/// What `vmkaudit collect` of `sim` draws on a pseudo-terminal (`script`, util-linux; Debian:
/// bsdutils), with `env` set; `None` when `script` is missing (the test is then skipped).
fn drawn_on_a_terminal(sim: &Sim, env: &[(&str, &str)]) -> Option<String> {
    if !common::require_tool("script", "bsdutils") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let typescript = dir.path().join("typescript");
    let command = format!(
        "{} collect --vcenter {} --user {} --password-env {PW_VAR} --ca-file {} --output {}",
        common::bin().display(),
        sim.url,
        sim.user,
        sim.ca_file.display(),
        dir.path().join("inv.json").display()
    );
    let mut cmd = Command::new("script");
    cmd.arg("-qec")
        .arg(&command)
        .arg(&typescript)
        .env(PW_VAR, &sim.password)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run util-linux `script`");
    assert!(out.status.success(), "{out:?}");
    Some(String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned())
}

#[test]
fn progress_bar_on_a_terminal_with_warnings_above_it() {
    let Some(sim) = Sim::start("multi-cluster") else {
        return;
    };
    let Some(drawn) = drawn_on_a_terminal(&sim, &[]) else {
        return;
    };
    assert!(drawn.contains("collecting ["), "no progress bar: {drawn:?}");
    let line = drawn
        .lines()
        .find(|l| l.contains("property config.firewall not readable"))
        .unwrap_or_else(|| panic!("no warning: {drawn:?}"));
    // The bar is cleared before the warning is written, not left in front of it.
    let before = &line[..line.find("WARN").unwrap()];
    let visible = before.rsplit('\r').next().unwrap_or("");
    assert!(!visible.contains("collecting"), "{line:?}");
    assert!(!drawn.contains(&sim.password));
}

#[test]
fn esxi_host_with_a_transient_503() {
    // The first request is answered with HTTP 503 and must be retried.
    let Some(sim) = Sim::start("esxi") else {
        return;
    };
    let run = collect(&sim.password, &sim_args(&sim, true), &[]);
    assert_eq!(run.out.status.code(), Some(0), "{}", run.stderr);
    let inv = run.inventory.unwrap();
    assert_eq!(inv.sources[0].kind, SourceKind::Esxi);
    assert!(inv.sources[0].product.as_deref().unwrap().contains("ESX"));
    assert_eq!(inv.hosts, sim.expected_hosts(&sim.url));
}

/// The SOAP calls made, in order, from the `-vv` log (`<url> <Method>: <outcome>`; with `-v`
/// and more, an attempt that is retried is logged too).
fn calls(stderr: &str, url: &str) -> Vec<String> {
    let prefix = format!("{url} ");
    stderr
        .lines()
        .filter_map(|l| {
            let rest = &l[l.find(&prefix)? + prefix.len()..];
            let (method, _) = rest.split_once(": ")?;
            (!method.is_empty() && method.chars().all(|c| c.is_ascii_alphabetic()))
                .then(|| method.to_string())
        })
        .collect()
}

#[test]
fn pages_through_more_hosts_than_max_objects() {
    let Some(sim) = Sim::start("paging") else {
        return;
    };
    let mut args = sim_args(&sim, true);
    args.push("-vv");
    // One stream: the host pass in one sequence (the streams are the next test's). One host
    // per page, so that the structure pass pages too: its objects are ten times fewer bytes
    // than a host, so its pages hold ten times max_objects.
    let env = [("VMKAUDIT_MAX_OBJECTS", "1"), ("VMKAUDIT_STREAMS", "1")];
    let run = collect(&sim.password, &args, &env);
    assert_eq!(run.out.status.code(), Some(0), "{}", run.stderr);
    // The exchange, in order: the structure pass (folders, datacenter, cluster, compute
    // resources, switches and port groups: 11 to 20 objects, 2 pages of 10), then 25 hosts in
    // pages of 1 (1 + 24 continuations), then Logout.
    let mut want = vec![
        "RetrieveServiceContent",
        "Login",
        "CreateContainerView",
        "RetrievePropertiesEx",
        "ContinueRetrievePropertiesEx",
        "DestroyView",
        "CreateContainerView",
        "RetrievePropertiesEx",
    ];
    want.extend(["ContinueRetrievePropertiesEx"; 24]);
    want.extend(["DestroyView", "Logout"]);
    assert_eq!(calls(&run.stderr, &sim.url), want, "{}", run.stderr);
    let inv = run.inventory.unwrap();
    let names: Vec<_> = inv.hosts.iter().map(|h| h.name.as_str()).collect();
    let want: Vec<String> = (1..=25).map(|i| format!("bulk-{i:03}.lab")).collect();
    assert_eq!(names, want);
    for (i, h) in inv.hosts.iter().enumerate() {
        let n = i + 1;
        assert_eq!(h.cluster.as_deref(), Some("Bulk"));
        assert_eq!(h.datacenter.as_deref(), Some("DC-Bulk"));
        assert_eq!(h.vmks.len(), 1);
        assert_eq!(
            h.vmks[0].ipv4.as_deref(),
            Some(format!("10.9.{}.{}", n / 250, n % 250 + 1).as_str())
        );
        assert_eq!(h.vmks[0].services, Some(vec!["management".to_string()]));
    }
}

#[test]
fn wrong_password_is_a_clear_source_failure() {
    let Some(sim) = Sim::start("esxi") else {
        return;
    };
    let wrong = "not-the-Password-42";
    let mut args = sim_args(&sim, true);
    args.push("-vvv");
    let run = collect(wrong, &args, &[]);
    assert_eq!(run.out.status.code(), Some(3), "{}", run.stderr);
    // The first request's 503 is retried; the authentication failure is not.
    assert_eq!(
        calls(&run.stderr, &sim.url),
        ["RetrieveServiceContent", "RetrieveServiceContent", "Login"],
        "{}",
        run.stderr
    );
    let want = format!("login failed for user {} at {}", sim.user, sim.url);
    assert!(run.stderr.contains(&want), "{}", run.stderr);
    let inv = run.inventory.unwrap();
    assert_eq!(inv.sources[0].error.as_deref(), Some(want.as_str()));
    assert!(inv.hosts.is_empty());
    let written = serde_json::to_string(&inv).unwrap();
    assert!(!run.stderr.contains(wrong) && !written.contains(wrong));
}

#[test]
fn closed_port_is_a_source_failure() {
    let url = closed_port_url();
    let run = collect("pw", &["--vcenter", &url, "--user", "u"], &[]);
    assert_eq!(run.out.status.code(), Some(3), "{}", run.stderr);
    let err = run.inventory.unwrap().sources[0].error.clone().unwrap();
    assert!(
        err.starts_with(&format!("cannot connect to {url}")),
        "{err}"
    );
}

#[test]
fn tls_needs_the_ca_or_insecure() {
    let Some(sim) = Sim::start("esxi") else {
        return;
    };
    let mut args = sim_args(&sim, false);
    args.push("-vv");
    let run = collect(&sim.password, &args, &[]);
    assert_eq!(run.out.status.code(), Some(3), "{}", run.stderr);
    // A TLS failure is not retried.
    assert_eq!(
        calls(&run.stderr, &sim.url),
        ["RetrieveServiceContent"],
        "{}",
        run.stderr
    );
    let err = run.inventory.unwrap().sources[0].error.clone().unwrap();
    assert!(err.contains("TLS certificate verification failed"), "{err}");
    assert!(
        err.contains("--ca-file") && err.contains("ca_file"),
        "{err}"
    );
    assert!(err.contains("--insecure"), "{err}");

    let mut args = sim_args(&sim, false);
    args.push("--insecure");
    let run = collect(&sim.password, &args, &[]);
    assert_eq!(run.out.status.code(), Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains("verification is switched off"),
        "{}",
        run.stderr
    );
    let inv = run.inventory.unwrap();
    assert!(inv.sources[0].insecure);
    assert_eq!(inv.hosts.len(), 1);
}

#[test]
fn one_failing_source_does_not_stop_the_other() {
    let Some(sim) = Sim::start("multi-cluster") else {
        return;
    };
    let closed = closed_port_url();
    let args = [
        "--vcenter",
        closed.as_str(),
        "--vcenter",
        sim.url.as_str(),
        "--user",
        sim.user.as_str(),
        "--ca-file",
        sim.ca_file.to_str().unwrap(),
    ];
    let run = collect(&sim.password, &args, &[]);
    assert_eq!(run.out.status.code(), Some(3), "{}", run.stderr);
    let inv = run.inventory.unwrap();
    assert_eq!(inv.sources.len(), 2);
    assert_eq!(inv.sources[0].name, closed);
    assert!(inv.sources[0].error.is_some());
    assert_eq!(inv.sources[1].name, sim.url);
    assert_eq!(inv.sources[1].error, None);
    assert_eq!(inv.hosts, sim.expected_hosts(&sim.url));
}

#[test]
fn missing_privilege_is_named_and_the_session_is_closed() {
    let Some(sim) = Sim::start("deny-view") else {
        return;
    };
    let mut args = sim_args(&sim, true);
    args.push("-vv");
    let run = collect(&sim.password, &args, &[]);
    assert_eq!(run.out.status.code(), Some(3), "{}", run.stderr);
    let err = run.inventory.unwrap().sources[0].error.clone().unwrap();
    assert!(
        err.contains(&format!(
            "user {} lacks the privilege System.View",
            sim.user
        )),
        "{err}"
    );
    assert!(err.contains("docs/collect.md"), "{err}");
    // Logout also after the error.
    assert!(run.stderr.contains("Logout: ok"), "{}", run.stderr);
}

/// `run` failed its source (exit 3) with the expired session of `sim`'s scenario, and
/// collected no host.
#[track_caller]
fn assert_session_expired(run: &Run, sim: &Sim) {
    assert_eq!(run.out.status.code(), Some(3), "{}", run.stderr);
    let inv = run.inventory.as_ref().unwrap();
    assert_eq!(
        inv.sources[0].error.as_deref(),
        Some(
            format!(
                "not authenticated at {} during ContinueRetrievePropertiesEx: the session was \
                 refused or has expired (privilege System.View)",
                sim.url
            )
            .as_str()
        )
    );
    assert!(inv.hosts.is_empty());
}

#[test]
fn a_session_lost_while_paging_fails_the_source_and_still_cleans_up() {
    // The server answers ContinueRetrievePropertiesEx with NotAuthenticated (an expired
    // session): the source fails with a clear message, the paged read is cancelled, the view
    // destroyed and Logout still tried.
    let Some(sim) = Sim::start("expire") else {
        return;
    };
    let mut args = sim_args(&sim, true);
    args.push("-vv");
    let env = [("VMKAUDIT_MAX_OBJECTS", "10"), ("VMKAUDIT_STREAMS", "1")];
    let run = collect(&sim.password, &args, &env);
    assert_session_expired(&run, &sim);
    assert_eq!(
        calls(&run.stderr, &sim.url),
        [
            "RetrieveServiceContent",
            "Login",
            "CreateContainerView",
            "RetrievePropertiesEx",
            "DestroyView",
            "CreateContainerView",
            "RetrievePropertiesEx",
            "ContinueRetrievePropertiesEx",
            "CancelRetrievePropertiesEx",
            "DestroyView",
            "Logout"
        ],
        "{}",
        run.stderr
    );
}

#[test]
fn run_config_sources_with_password_file_and_one_failure() {
    let Some(sim) = Sim::start("esxi") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("vc.pw"), format!("{}\n", sim.password)).unwrap();
    let closed = closed_port_url();
    let cfg = format!(
        r#"name = "lab"

[[vcenter]]
url = "{url}"
user = "{user}"
password_file = "vc.pw"
ca_file = "{ca}"

[[vcenter]]
url = "{closed}"
user = "nobody"
password_env = "{PW_VAR}"

[report]
output_dir = "out"
formats = ["json"]
"#,
        // The https://host:port form (the simulator's URL without /sdk).
        url = sim.url.trim_end_matches("/sdk"),
        user = sim.user,
        ca = sim.ca_file.display(),
    );
    std::fs::write(dir.path().join("vmkaudit.toml"), cfg).unwrap();
    let out = vmkaudit_cmd()
        .args(["run", "-c", "vmkaudit.toml"])
        .env(PW_VAR, "unused-pw")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(!stderr.contains(&sim.password), "{stderr}");
    let text = std::fs::read_to_string(dir.path().join("out/latest/findings.json"))
        .unwrap_or_else(|e| panic!("findings.json: {e}; {stderr}"));
    let ff: Value = serde_json::from_str(&text).unwrap();
    let sources = ff["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 2, "{ff:#}");
    assert_eq!(sources[0]["name"], sim.url.trim_end_matches("/sdk"));
    assert_eq!(sources[0]["kind"], "esxi");
    assert_eq!(sources[0].get("error"), None, "{ff:#}");
    assert_eq!(sources[1]["name"], closed.as_str());
    assert!(sources[1]["error"]
        .as_str()
        .unwrap()
        .starts_with(&format!("cannot connect to {closed}")));
    assert_eq!(ff["summary"]["hosts_checked"], 1, "{ff:#}");
    let failed: Vec<_> = ff["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "COV003")
        .map(|f| f["host"].as_str().unwrap())
        .collect();
    assert_eq!(failed, [closed.as_str()]);
}

#[test]
fn bad_password_source_url_or_ca_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("not-pem.crt"), "MIIB not a PEM file\n").unwrap();
    std::fs::write(dir.path().join("empty.pw"), "\n").unwrap();
    let base = ["collect", "--user", "u", "--output", "x.json"];
    let cases: [(&[&str], &str); 10] = [
        (
            &[
                "--vcenter",
                "https://127.0.0.1:9",
                "--password-env",
                "VMKAUDIT_IT_UNSET_VAR",
            ],
            "VMKAUDIT_IT_UNSET_VAR",
        ),
        (
            &["--vcenter", "https://vc.lab", "--password-env", "hunter2!"],
            "takes the name of an environment variable",
        ),
        (
            &["--vcenter", "http://vc.lab", "--password-env", PW_VAR],
            "must start with https://",
        ),
        (
            &["--vcenter", "https://vc.lab/ui", "--password-env", PW_VAR],
            "expected none or /sdk",
        ),
        (
            &[
                "--vcenter",
                "https://vc.lab:99999",
                "--password-env",
                PW_VAR,
            ],
            "vCenter URL `https://vc.lab:99999` is not valid (invalid port number)",
        ),
        (
            &[
                "--vcenter",
                "https://admin:hunter2@vc.lab",
                "--password-env",
                PW_VAR,
            ],
            "must not contain a user name or password",
        ),
        (
            &[
                "--vcenter",
                "https://vc.lab",
                "--password-env",
                PW_VAR,
                "--ca-file",
                "nope.pem",
            ],
            "nope.pem",
        ),
        (
            &[
                "--vcenter",
                "https://vc.lab",
                "--password-env",
                PW_VAR,
                "--ca-file",
                "not-pem.crt",
            ],
            "CA file not-pem.crt holds no PEM certificate",
        ),
        (
            &["--vcenter", "https://vc.lab", "--password-file", "empty.pw"],
            "the password is empty (the first line of the password file empty.pw)",
        ),
        (
            &["--vcenter", "https://vc.lab", "--password-file", "gone.pw"],
            "password file: gone.pw",
        ),
    ];
    for (args, want) in cases {
        let out = vmkaudit_cmd()
            .args(base)
            .args(args)
            .env(PW_VAR, "pw")
            .env_remove("VMKAUDIT_IT_UNSET_VAR")
            .current_dir(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
        assert!(!stderr.contains("hunter2"), "{args:?}: {stderr}");
        assert!(!dir.path().join("x.json").exists());
    }
}

#[cfg(unix)]
#[test]
fn collect_warns_about_a_password_file_others_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("vc.pw");
    std::fs::write(&pw, "hunter2-secret\n").unwrap();
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o644)).unwrap();
    let closed = closed_port_url();
    let run = |mode: u32| {
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(mode)).unwrap();
        let out = vmkaudit_cmd()
            .args(["collect", "--vcenter", &closed, "--user", "u"])
            .args(["--password-file", "vc.pw", "-o", "inv.json"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let stderr = run(0o644);
    assert!(
        stderr.contains(
            "the password file vc.pw can be read by other users (mode 644); chmod 600 it"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    let stderr = run(0o600);
    assert!(!stderr.contains("can be read by other users"), "{stderr}");
}

#[test]
fn pyvmomi_reads_the_same_as_vmkaudit() {
    // A second, independent client (Debian's python3-pyvmomi) over the same simulator.
    let Some(python) = common::python_with("pyVmomi", "python3-pyvmomi") else {
        return;
    };
    for scenario in ["multi-cluster", "esxi"] {
        let Some(sim) = Sim::start(scenario) else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let inv = dir.path().join("inv.json");
        let run = collect(&sim.password, &sim_args(&sim, true), &[]);
        assert_eq!(run.out.status.code(), Some(0), "{}", run.stderr);
        std::fs::write(
            &inv,
            serde_json::to_string(&run.inventory.unwrap()).unwrap(),
        )
        .unwrap();
        let out = Command::new(&python)
            .arg(common::repo("tests/vcsim/crosscheck.py"))
            .args([&sim.url, &sim.user, PW_VAR])
            .arg(&sim.ca_file)
            .arg(&inv)
            .env(PW_VAR, &sim.password)
            .output()
            .expect("run python3 with pyVmomi");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{scenario}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains(" 0 differences"), "{stdout}");
    }
}

#[test]
fn a_source_slower_than_its_timeout_fails_and_logs_out() {
    let Some(sim) = Sim::start("slow") else {
        return;
    };
    let mut args = sim_args(&sim, true);
    args.push("-vv");
    let run = collect(&sim.password, &args, &[("VMKAUDIT_SOURCE_TIMEOUT", "1")]);
    assert_eq!(run.out.status.code(), Some(3), "{}", run.stderr);
    let err = run.inventory.unwrap().sources[0].error.clone().unwrap();
    assert!(err.contains("did not finish within 1 s"), "{err}");
    // The view left open by the interrupted pass is destroyed, then the session closed.
    let destroyed = run.stderr.find("DestroyView: ok");
    let logout = run.stderr.find("Logout: ok");
    assert!(
        destroyed.is_some() && logout.is_some() && destroyed < logout,
        "{}",
        run.stderr
    );
}

#[test]
fn refused_properties_and_insecure_reach_the_report() {
    // `run` with an insecure [[vcenter]] source whose user may not read a connected host's
    // firewall and services: the inventory says why they are unknown, COV002 names the
    // refused property and privilege, and the HTML report shows the insecure badge.
    let Some(sim) = Sim::start("denied") else {
        return;
    };
    let mut args = sim_args(&sim, false);
    args.push("--insecure");
    let run = collect(&sim.password, &args, &[]);
    assert_eq!(run.out.status.code(), Some(0), "{}", run.stderr);
    let inv = run.inventory.unwrap();
    assert!(inv.sources[0].insecure);
    assert_eq!(inv.hosts, sim.expected_hosts(&sim.url));
    assert_eq!(
        inv.hosts[0].not_collected["config.firewall"],
        "NoPermission, privilege Host.Config.NetService"
    );

    let dir = tempfile::tempdir().unwrap();
    let cfg = format!(
        r#"[[vcenter]]
url = "{url}"
user = "{user}"
password_env = "{PW_VAR}"
insecure = true

[report]
output_dir = "out"
formats = ["html", "json"]
"#,
        url = sim.url,
        user = sim.user,
    );
    let (out, stderr) = run_config(dir.path(), &cfg, &sim.password);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?}: {stderr}",
        out.status
    );
    assert!(stderr.contains("verification is switched off"), "{stderr}");
    assert!(
        stderr.contains(
            "property config.firewall not readable on 1 object(s) \
             (NoPermission, privilege Host.Config.NetService): esx-d1.lab"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains(&sim.password), "{stderr}");
    // A vmk whose distributed port group the user cannot see is named in a warning.
    assert!(
        stderr.contains(
            "1 vmk(s) on a distributed switch whose port group is not visible to the user \
             (read permission on the networking folder?): esx-d1.lab vmk2; port group and VLAN \
             left unknown"
        ),
        "{stderr}"
    );

    let latest = dir.path().join("out/latest");
    let ff: Value =
        serde_json::from_str(&std::fs::read_to_string(latest.join("findings.json")).unwrap())
            .unwrap();
    assert_eq!(ff["sources"][0]["insecure"], Value::Bool(true));
    let cov = |object: &str| -> Value {
        ff["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "COV002" && f["host"] == "esx-d1.lab" && f["object"] == object)
            .unwrap_or_else(|| panic!("no COV002 {object} in {ff:#}"))
            .clone()
    };
    let fw = cov("firewall");
    let msg = fw["message"].as_str().unwrap();
    assert!(
        msg.contains(
            "The server refused config.firewall (NoPermission, privilege \
             Host.Config.NetService) to the collecting user."
        ),
        "{msg}"
    );
    assert!(
        fw["remediation"]
            .as_str()
            .unwrap()
            .contains("Read-only role"),
        "{fw:#}"
    );
    let svc = cov("services");
    let msg = svc["message"].as_str().unwrap();
    assert!(msg.starts_with("Not checked on vmk0, vmk1, vmk2:"), "{msg}");
    assert!(
        msg.contains("config.virtualNicManagerInfo (NoPermission, privilege System.Read)"),
        "{msg}"
    );

    let html = std::fs::read_to_string(latest.join("report.html")).unwrap();
    assert!(
        html.contains("badge-insecure\">⚠ TLS verification disabled"),
        "insecure badge"
    );
    assert!(
        html.contains("config.firewall (NoPermission"),
        "COV002 reason in the report"
    );
}

/// A plain TCP listener on loopback that records every byte any client sends it (reading each
/// connection until it goes quiet), answers nothing and counts connections.
struct Recorder {
    port: u16,
    seen: std::sync::Arc<std::sync::Mutex<(usize, Vec<u8>)>>,
}

impl Recorder {
    fn start() -> Recorder {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = std::sync::Arc::new(std::sync::Mutex::new((0, Vec::new())));
        let out = seen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                out.lock().unwrap().0 += 1;
                let _ = conn.set_read_timeout(Some(std::time::Duration::from_millis(500)));
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = conn.read(&mut buf) {
                    out.lock().unwrap().1.extend_from_slice(&buf[..n]);
                }
            }
        });
        Recorder { port, seen }
    }

    /// Connections accepted and the bytes received.
    fn seen(&self) -> (usize, Vec<u8>) {
        self.seen.lock().unwrap().clone()
    }
}

#[test]
fn a_redirect_is_never_followed_with_the_credentials() {
    // The server answers RetrieveServiceContent normally and Login with 307 to another
    // listener, over plain http: following it would post the user name and password there.
    let trap = Recorder::start();
    let location = format!("http://127.0.0.1:{}/sdk", trap.port);
    let Some(sim) = Sim::start_with(
        "multi-cluster",
        &[
            "-hostile",
            "redirect",
            "-on",
            "Login",
            "-location",
            &location,
        ],
    ) else {
        return;
    };
    let run = collect(&sim.password, &sim_args(&sim, true), &[]);
    let stderr = run.stderr.clone();
    let err = source_error(run);
    let (connections, bytes) = trap.seen();
    let received = String::from_utf8_lossy(&bytes);
    // The password as it travels in the Login envelope (XML-escaped).
    let escaped = sim
        .password
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    assert!(
        !received.contains(&escaped) && !received.contains("<password>"),
        "the password reached the redirect target: {received}"
    );
    assert_eq!(connections, 0, "the redirect was followed");
    assert!(err.contains("HTTP status 307"), "{err}");
    assert!(err.contains(&location), "{err}");
    assert!(err.contains("Login"), "{err}");
    assert!(err.contains("if you trust"), "{err}");
    assert!(!err.contains(&sim.password) && !stderr.contains(&sim.password));
}

/// `run` with a hostile [[vcenter]] source and the lab inventory file: the hostile source
/// fails alone, the reports are written and the exit code is 3.
fn run_with_a_hostile_source(sim: &Sim, extra_vcenter_keys: &str) -> (Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = format!(
        r#"[[vcenter]]
url = "{url}"
user = "{user}"
password_env = "{PW_VAR}"
ca_file = "{ca}"
{extra_vcenter_keys}

[[inventory]]
path = "{inv}"

[report]
output_dir = "out"
formats = ["html", "json"]
"#,
        url = sim.url,
        user = sim.user,
        ca = sim.ca_file.display(),
        inv = common::repo("samples/lab-inventory.json").display(),
    );
    let (out, stderr) = run_config(dir.path(), &cfg, &sim.password);
    assert_eq!(out.status.code(), Some(3), "{:?}: {stderr}", out.status);
    let latest = dir.path().join("out/latest");
    assert!(latest.join("report.html").is_file(), "{stderr}");
    let ff: Value =
        serde_json::from_str(&std::fs::read_to_string(latest.join("findings.json")).unwrap())
            .unwrap();
    // The hostile source failed; the inventory file's sources and hosts are all reported.
    let sources = ff["sources"].as_array().unwrap();
    let (hostile, others): (Vec<&Value>, Vec<&Value>) =
        sources.iter().partition(|s| s["name"] == sim.url.as_str());
    assert_eq!(hostile.len(), 1, "{ff:#}");
    let lab: Value = serde_json::from_str(
        &std::fs::read_to_string(common::repo("samples/lab-inventory.json")).unwrap(),
    )
    .unwrap();
    let names = |v: Vec<&Value>| -> Vec<String> {
        v.iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(others),
        names(lab["sources"].as_array().unwrap().iter().collect()),
        "{ff:#}"
    );
    assert!(
        ff["summary"]["hosts_checked"].as_u64().unwrap() > 0,
        "{ff:#}"
    );
    let err = hostile[0]["error"]
        .as_str()
        .unwrap_or_else(|| panic!("the hostile source did not fail: {ff:#}"))
        .to_string();
    (ff, err)
}

#[test]
fn a_deeply_nested_answer_fails_that_source_only() {
    // 50,000 nested elements in the answer to RetrieveServiceContent (read whole) and to the
    // first RetrievePropertiesEx (parsed as it streams).
    for method in ["RetrieveServiceContent", "RetrievePropertiesEx"] {
        let Some(sim) = Sim::start_with("multi-cluster", &["-hostile", "deep", "-on", method])
        else {
            return;
        };
        let (_, err) = run_with_a_hostile_source(&sim, "");
        assert!(
            err.contains("response nested deeper than") && err.contains(method),
            "{method}: {err}"
        );
    }
}

#[test]
fn an_object_without_its_managed_object_reference_fails_the_source_not_a_phantom_host() {
    let Some(sim) = Sim::start_with(
        "multi-cluster",
        &["-hostile", "noobj", "-on", "RetrievePropertiesEx"],
    ) else {
        return;
    };
    let (_, err) = run_with_a_hostile_source(&sim, "");
    assert!(
        err.contains("has no `obj`") && err.contains("RetrievePropertiesEx"),
        "{err}"
    );
}

#[test]
fn an_answer_above_the_size_cap_fails_that_source() {
    for method in ["RetrieveServiceContent", "RetrievePropertiesEx"] {
        let Some(sim) = Sim::start_with(
            "multi-cluster",
            &["-hostile", "huge", "-on", method, "-bytes", "8388608"],
        ) else {
            return;
        };
        let (_, err) = run_with_a_hostile_source(&sim, "max_response_bytes = 1048576");
        assert!(
            err.contains("larger than 1048576 bytes") && err.contains(method),
            "{method}: {err}"
        );
        assert!(err.contains("max_response_bytes"), "{err}");
    }
    // The same cap from the command line.
    let Some(sim) = Sim::start_with(
        "multi-cluster",
        &[
            "-hostile",
            "huge",
            "-on",
            "RetrievePropertiesEx",
            "-bytes",
            "8388608",
        ],
    ) else {
        return;
    };
    let mut args = sim_args(&sim, true);
    args.extend(["--max-response-bytes", "1048576"]);
    let err = source_error(collect(&sim.password, &args, &[]));
    assert!(err.contains("larger than 1048576 bytes"), "{err}");
}

#[test]
fn a_call_without_an_answer_names_the_wait_and_its_measured_length() {
    // RetrievePropertiesEx takes 4 s on this simulator; the request timeout is 1 s.
    let Some(sim) = Sim::start("slow") else {
        return;
    };
    let err = source_error(collect(
        &sim.password,
        &sim_args(&sim, true),
        &[("VMKAUDIT_REQUEST_TIMEOUT", "1")],
    ));
    assert!(
        err.contains("did not answer RetrievePropertiesEx in time: no answer within 1."),
        "{err}"
    );
    // Retried as a transient failure, and the whole says so.
    assert!(err.contains("; 4 attempts over "), "{err}");
    assert!(err.contains("VMKAUDIT_REQUEST_TIMEOUT"), "{err}");
}

#[test]
fn an_answer_that_stops_arriving_names_the_reading() {
    let Some(sim) = Sim::start_with(
        "multi-cluster",
        &["-hostile", "stall", "-on", "RetrievePropertiesEx"],
    ) else {
        return;
    };
    let err = source_error(collect(
        &sim.password,
        &sim_args(&sim, true),
        &[("VMKAUDIT_REQUEST_TIMEOUT", "1")],
    ));
    assert!(
        err.contains(
            "did not answer RetrievePropertiesEx in time: the answer was still arriving after 1."
        ),
        "{err}"
    );
}

/// What the fixture started with `-track FILE` counts as left open on the server: sessions,
/// container views and property collectors.
fn left_open(track: &Path) -> Value {
    let text = std::fs::read_to_string(track).expect("the fixture's -track file");
    serde_json::from_str(&text).expect("the -track file is JSON")
}

/// `collect -vv` of the simulator on `scenario` started with `-track` (whose file is the
/// second of the pair, in the directory that is the first), `max_objects` hosts per page, with
/// the default streams; `None` when the simulator cannot run here.
#[track_caller]
fn collect_tracked(
    scenario: &str,
    max_objects: &str,
) -> Option<(Sim, (tempfile::TempDir, PathBuf), Run)> {
    let dir = tempfile::tempdir().unwrap();
    let track = dir.path().join("open.json");
    let sim = Sim::start_with(scenario, &["-track", track.to_str().unwrap()])?;
    let mut args = sim_args(&sim, true);
    args.push("-vv");
    let run = collect(
        &sim.password,
        &args,
        &[("VMKAUDIT_MAX_OBJECTS", max_objects)],
    );
    Some((sim, (dir, track), run))
}

/// How often each SOAP method was called, from the `-vv` log.
fn call_counts(stderr: &str, url: &str) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for c in calls(stderr, url) {
        *counts.entry(c).or_insert(0) += 1;
    }
    counts
}

#[test]
fn the_host_pass_is_read_in_streams_of_their_own_collectors() {
    // 25 hosts, 7 per page, 4 streams by default: each stream reads its slice of 6 or 7 hosts
    // through a property collector of its own, in one page instead of 4 pages in a row.
    let Some((sim, (_dir, track), run)) = collect_tracked("paging", "7") else {
        return;
    };
    assert_eq!(run.out.status.code(), Some(0), "{}", run.stderr);
    let counts = call_counts(&run.stderr, &sim.url);
    let want: std::collections::BTreeMap<String, usize> = [
        ("RetrieveServiceContent", 1),
        ("Login", 1),
        // The structure pass's view and the host pass's.
        ("CreateContainerView", 2),
        ("DestroyView", 2),
        // The structure (one page of at most 70 objects) and the list of the hosts.
        ("RetrievePropertiesEx", 2 + 4),
        ("CreatePropertyCollector", 4),
        ("DestroyPropertyCollector", 4),
        ("Logout", 1),
    ]
    .into_iter()
    .map(|(m, n)| (m.to_string(), n))
    .collect();
    assert_eq!(counts, want, "{}", run.stderr);
    let order = calls(&run.stderr, &sim.url);
    assert_eq!(order[..2], ["RetrieveServiceContent", "Login"]);
    assert_eq!(order.last().map(String::as_str), Some("Logout"));
    // The same inventory as read in one sequence (the test above), in name order.
    let inv = run.inventory.unwrap();
    let names: Vec<_> = inv.hosts.iter().map(|h| h.name.as_str()).collect();
    let want: Vec<String> = (1..=25).map(|i| format!("bulk-{i:03}.lab")).collect();
    assert_eq!(names, want);
    let sequential = collect(
        &sim.password,
        &sim_args(&sim, true),
        &[("VMKAUDIT_MAX_OBJECTS", "7"), ("VMKAUDIT_STREAMS", "1")],
    );
    assert_eq!(sequential.inventory.unwrap().hosts, inv.hosts);
    // Nothing left open on the server.
    assert_eq!(
        left_open(&track),
        serde_json::json!({"sessions": 0, "views": 0, "collectors": 0})
    );
}

#[test]
fn a_stream_that_fails_ends_the_source_and_everything_is_still_cleaned_up() {
    // 60 hosts, 10 per page: 4 streams of 15 hosts, each needing a second page, which the
    // server refuses (NotAuthenticated, as for an expired session). The source fails with the
    // stream's error; every view and collector is destroyed and the session logged out.
    let Some((sim, (_dir, track), run)) = collect_tracked("expire-streams", "10") else {
        return;
    };
    assert_session_expired(&run, &sim);
    assert_all_destroyed(&run, &sim, &track, 4);
}

/// Every view and property collector `run` made on `sim` was destroyed again, `collectors`
/// of them property collectors, the session was logged out last, and the fixture's `-track`
/// file counts nothing left open.
#[track_caller]
fn assert_all_destroyed(run: &Run, sim: &Sim, track: &Path, collectors: usize) {
    let counts = call_counts(&run.stderr, &sim.url);
    let count = |m: &str| counts.get(m).copied().unwrap_or(0);
    assert_eq!(
        count("CreatePropertyCollector"),
        collectors,
        "{}",
        run.stderr
    );
    assert_eq!(
        count("DestroyPropertyCollector"),
        collectors,
        "{}",
        run.stderr
    );
    assert_eq!(count("CreateContainerView"), count("DestroyView"));
    let order = calls(&run.stderr, &sim.url);
    assert_eq!(order.last().map(String::as_str), Some("Logout"));
    assert_eq!(
        left_open(track),
        serde_json::json!({"sessions": 0, "views": 0, "collectors": 0})
    );
}

#[test]
fn a_listing_that_fails_after_the_streams_collectors_were_made_leaves_nothing_open() {
    // The streams' property collectors are made while the hosts are listed, not after: here
    // the listing is refused (NoPermission on reading the view's members), when the four
    // collectors already exist. The source fails with the listing's error, and the collectors,
    // the views and the session are all closed again.
    let Some((sim, (_dir, track), run)) = collect_tracked("refuse-listing", "10") else {
        return;
    };
    assert_eq!(run.out.status.code(), Some(3), "{}", run.stderr);
    let inv = run
        .inventory
        .as_ref()
        .expect("collect writes the inventory");
    let err = inv.sources[0].error.clone().expect("the source failed");
    assert!(inv.hosts.is_empty());
    assert!(
        err.contains(&format!(
            "user {} lacks the privilege System.Read on ContainerView:",
            sim.user
        )) && err.contains("(RetrievePropertiesEx)"),
        "{err}"
    );
    assert_all_destroyed(&run, &sim, &track, 4);
}

#[test]
fn the_progress_bar_counts_the_hosts_of_each_source() {
    // A simulator that takes 300 ms per request, so that the bar is drawn while the hosts are
    // read: it shows the hosts done out of the 25 listed, for the source by its address.
    let Some(sim) = Sim::start_with("paging", &["-latency", "300ms"]) else {
        return;
    };
    let Some(drawn) = drawn_on_a_terminal(&sim, &[("VMKAUDIT_MAX_OBJECTS", "7")]) else {
        return;
    };
    let address = sim
        .url
        .trim_start_matches("https://")
        .trim_end_matches("/sdk");
    let per_source = regex::Regex::new(&format!(
        r"collecting \[[=> ]*\] \d+/25 hosts, 0/1 sources done; {} \d+/25",
        regex::escape(address)
    ))
    .unwrap();
    assert!(per_source.is_match(&drawn), "{drawn:?}");
}

#[test]
fn a_host_removed_after_the_listing_is_skipped_not_the_source() {
    // gone-010.lab leaves the inventory between the listing of the hosts and the reading of
    // their properties (vCenter then refuses the read with ManagedObjectNotFound): its stream
    // reads its other hosts, and the source is collected without it.
    let Some(sim) = Sim::start("removed") else {
        return;
    };
    let mut args = sim_args(&sim, true);
    args.push("-v");
    let run = collect(&sim.password, &args, &[("VMKAUDIT_MAX_OBJECTS", "7")]);
    assert_eq!(run.out.status.code(), Some(0), "{}", run.stderr);
    let inv = run.inventory.unwrap();
    let names: Vec<_> = inv.hosts.iter().map(|h| h.name.as_str()).collect();
    let want: Vec<String> = (1..=25)
        .filter(|i| *i != 10)
        .map(|i| format!("gone-{i:03}.lab"))
        .collect();
    assert_eq!(names, want);
    assert!(
        run.stderr
            .contains("was removed since the hosts were listed"),
        "{}",
        run.stderr
    );
}

/// How long a host is held by [`HoldUntilLogout`] at most: far longer than a client that logs
/// out while the hosts are mapped needs (two requests to a local simulator), so that running
/// out of it means the client waited for the mapping first.
const LOGOUT_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// A `finish` hook for [`vmkaudit::collect::collect_hosts`] that holds every host until the
/// fixture's request log (`-log`) shows an answered Logout: a client that waits for its hosts
/// to be mapped before it logs out would wait for ever, so after [`LOGOUT_WAIT`] the hook
/// notes that it gave up and lets the hosts go (a deadlock detector, not a timing).
struct HoldUntilLogout {
    log: PathBuf,
    released: std::sync::atomic::AtomicBool,
    gave_up: std::sync::atomic::AtomicBool,
}

impl HoldUntilLogout {
    fn new(log: &Path) -> std::sync::Arc<Self> {
        std::sync::Arc::new(HoldUntilLogout {
            log: log.to_path_buf(),
            released: Default::default(),
            gave_up: Default::default(),
        })
    }

    fn hold(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        let started = std::time::Instant::now();
        while !self.released.load(SeqCst) {
            if logged_methods(&self.log).iter().any(|m| m == "Logout") {
                self.released.store(true, SeqCst);
            } else if started.elapsed() > LOGOUT_WAIT {
                self.gave_up.store(true, SeqCst);
                self.released.store(true, SeqCst);
            } else {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
    }

    fn gave_up(&self) -> bool {
        self.gave_up.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The methods of the requests the fixture answered, in the order it answered them (its `-log`
/// file; empty before the first answer).
fn logged_methods(log: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        // A line being written is not complete yet.
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| v["method"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The simulator on `scenario` with a request log and a `-track` file (in the returned
/// directory: `requests.log`, `open.json`) and the `extra` options, collected in-process with
/// `max_objects` hosts per page and 4 streams, every host held by a [`HoldUntilLogout`] on the
/// log; `None` when the simulator cannot run here.
#[allow(clippy::type_complexity)]
fn collect_holding_hosts(
    scenario: &str,
    extra: &[&str],
    max_objects: u32,
) -> Option<(
    tempfile::TempDir,
    Sim,
    vmkaudit::model::Inventory,
    Vec<Host>,
    std::sync::Arc<HoldUntilLogout>,
)> {
    use vmkaudit::collect::{collect_hosts, Options, Password, Settings, SourceSpec};
    let dir = tempfile::tempdir().unwrap();
    let (log, track) = (
        dir.path().join("requests.log"),
        dir.path().join("open.json"),
    );
    let mut options = vec![
        "-log",
        log.to_str().unwrap(),
        "-track",
        track.to_str().unwrap(),
    ];
    options.extend(extra);
    let sim = Sim::start_with(scenario, &options)?;
    let spec = SourceSpec {
        url: sim.url.clone(),
        user: sim.user.clone(),
        password: Password::new(sim.password.clone()),
        ca_file: Some(sim.ca_file.clone()),
        insecure: false,
        max_response_bytes: None,
        streams: None,
    };
    let opts = Options {
        max_objects,
        source_timeout: std::time::Duration::from_secs(600),
        settings: Settings::default(),
        max_parallel_sources: 1,
        streams: 4,
    };
    let hold = HoldUntilLogout::new(&log);
    let held = hold.clone();
    let finish = std::sync::Arc::new(move |h: Host| {
        held.hold();
        h
    });
    let (inventory, hosts) = collect_hosts(&[spec], false, opts, finish, |h| &h.name);
    Some((dir, sim, inventory, hosts, hold))
}

#[test]
fn the_session_is_closed_while_the_last_pages_are_still_being_mapped() {
    // 600 hosts, 300 per page: 2 streams of one page each, a page of about 1.7 MB. Every host
    // is held until the server has answered Logout: each stream's page must be taken off the
    // wire whole while its first host is held (not a megabyte and then wait for the parser),
    // its property collector destroyed as soon as that body has arrived, and the session
    // logged out as soon as every stream's has (the two unused collectors and the views
    // destroyed before), without waiting for those hosts to be parsed and mapped.
    let Some((dir, _sim, inventory, hosts, hold)) = collect_holding_hosts("big-pages", &[], 300)
    else {
        return;
    };
    assert!(
        !hold.gave_up(),
        "no Logout within {LOGOUT_WAIT:?} while the hosts were being mapped: {:?}",
        logged_methods(&dir.path().join("requests.log"))
    );
    assert_eq!(inventory.sources[0].error, None);
    let names: Vec<_> = hosts.iter().map(|h| h.name.as_str()).collect();
    let want: Vec<String> = (1..=600).map(|i| format!("big-{i:03}.lab")).collect();
    assert_eq!(names, want);
    // Every collector destroyed before the one Logout, which comes last.
    let methods = logged_methods(&dir.path().join("requests.log"));
    let count = |m: &str| methods.iter().filter(|x| *x == m).count();
    assert_eq!(count("DestroyPropertyCollector"), 4, "{methods:?}");
    assert_eq!(count("Logout"), 1, "{methods:?}");
    assert_eq!(methods.last().map(String::as_str), Some("Logout"));
    assert_eq!(
        left_open(&dir.path().join("open.json")),
        serde_json::json!({"sessions": 0, "views": 0, "collectors": 0})
    );
}

#[test]
fn a_last_page_that_fails_to_parse_after_the_logout_is_still_the_sources_error() {
    // 25 hosts, 7 per page: 4 streams of one page each. Every stream's page arrives whole but
    // its returnval's end tag is misspelt, so it fails to parse only after its hosts, which
    // are held until the session was logged out.
    let Some((dir, _sim, inventory, hosts, hold)) = collect_holding_hosts(
        "paging",
        &["-hostile", "badend", "-on", "RetrievePropertiesEx"],
        7,
    ) else {
        return;
    };
    assert!(!hold.gave_up(), "no Logout before the hosts were mapped");
    let err = inventory.sources[0]
        .error
        .clone()
        .expect("the source failed");
    assert!(
        err.contains("malformed XML") && err.contains("RetrievePropertiesEx"),
        "{err}"
    );
    assert!(hosts.is_empty());
    // Nothing destroyed or logged out twice, nothing left open.
    let methods = logged_methods(&dir.path().join("requests.log"));
    let count = |m: &str| methods.iter().filter(|x| *x == m).count();
    assert_eq!(count("Logout"), 1, "{methods:?}");
    assert_eq!(count("DestroyPropertyCollector"), 4, "{methods:?}");
    assert_eq!(count("CreateContainerView"), count("DestroyView"));
    assert_eq!(
        left_open(&dir.path().join("open.json")),
        serde_json::json!({"sessions": 0, "views": 0, "collectors": 0})
    );
}
