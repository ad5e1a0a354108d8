//! Drift since the previous run, end to end: two consecutive `vmkaudit run`s of the sample lab
//! with an edited inventory in between list the configuration changes in report.html,
//! changes.csv and findings.json, and `[email] count_drift` lets `send = "changes"` send for
//! them.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::common;

/// A temp dir with the sample inventory as `inventory.json` and a run config writing to `out`.
struct Lab {
    dir: tempfile::TempDir,
}

impl Lab {
    fn new(extra: &str) -> Lab {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            common::repo("samples/lab-inventory.json"),
            dir.path().join("inventory.json"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("cfg.toml"),
            format!(
                "name = \"Drift lab\"\n\n[[inventory]]\npath = \"inventory.json\"\n\n[report]\noutput_dir = \"out\"\nfail_on = \"never\"\n{extra}"
            ),
        )
        .unwrap();
        Lab { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self) -> Output {
        let out = common::vmkaudit(self.path(), &["run", "--config", "cfg.toml"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Edit the inventory the next run reads.
    fn edit(&self, f: impl FnOnce(&mut Value)) {
        let path = self.path().join("inventory.json");
        let mut inv: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        f(&mut inv);
        std::fs::write(&path, serde_json::to_string_pretty(&inv).unwrap()).unwrap();
    }

    fn latest(&self) -> PathBuf {
        self.path().join("out/latest")
    }
}

fn host<'a>(inv: &'a mut Value, name: &str) -> &'a mut Value {
    inv["hosts"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|h| h["name"] == name)
        .unwrap_or_else(|| panic!("{name} in the sample"))
}

fn vmk<'a>(inv: &'a mut Value, name: &str, device: &str) -> &'a mut Value {
    host(inv, name)["vmks"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|v| v["device"] == device)
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn two_runs_of_the_sample_with_an_edited_inventory_show_the_drift() {
    let lab = Lab::new("");
    let first = lab.run();
    let run1 = std::fs::canonicalize(lab.latest()).unwrap();
    assert!(
        run1.join("inventory.json").is_file(),
        "the run keeps its inventory"
    );
    assert!(
        !run1.join("changes.csv").exists(),
        "nothing to compare with yet"
    );
    let f1: Value =
        serde_json::from_str(&std::fs::read_to_string(run1.join("findings.json")).unwrap())
            .unwrap();
    assert!(f1.get("drift").is_none(), "{}", stderr(&first));
    assert_eq!(f1["trend"].as_array().unwrap().len(), 1);

    lab.edit(|inv| {
        vmk(inv, "esx-sh-a01.corp.example", "vmk0")["ipv4"] = "10.16.10.151".into();
        vmk(inv, "esx-sh-a02.corp.example", "vmk1")["mtu"] = 1500.into();
        let mut added = vmk(inv, "esx-sh-b02.corp.example", "vmk3").clone();
        added["device"] = "vmk5".into();
        added["ipv4"] = "10.16.50.252".into();
        host(inv, "esx-sh-b02.corp.example")["vmks"]
            .as_array_mut()
            .unwrap()
            .push(added);
        // Gone from a vCenter that was collected: removed.
        inv["hosts"]
            .as_array_mut()
            .unwrap()
            .retain(|h| h["name"] != "esx-sh-a16.corp.example");
        // Not responding: unverified, never removed.
        host(inv, "esx-bj-c01.corp.example")["connection_state"] = "notResponding".into();
    });
    let second = lab.run();
    let err = stderr(&second);
    assert!(
        err.contains(
            "Configuration since the previous run: 2 setting(s) changed, 1 added, 1 removed, 1 host(s) not verified"
        ),
        "{err}"
    );
    let run2 = std::fs::canonicalize(lab.latest()).unwrap();
    assert_ne!(run1, run2);

    // changes.csv: every change, in order.
    let csv = std::fs::read_to_string(run2.join("changes.csv")).unwrap();
    let csv = csv.trim_start_matches('\u{feff}');
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows,
        [
            "Host,Cluster,Item,Object,Change,Setting,Before,After",
            "esx-bj-c01.corp.example,CL-BJ-Prod,host,,unverified,,,not responding",
            "esx-sh-a01.corp.example,CL-SH-Prod,VMkernel adapter,vmk0,changed,IPv4 address,10.16.10.101,10.16.10.151",
            "esx-sh-a02.corp.example,CL-SH-Prod,VMkernel adapter,vmk1,changed,MTU,9000,1500",
            "esx-sh-a16.corp.example,CL-SH-Prod,host,,removed,,,",
            "esx-sh-b02.corp.example,CL-SH-DB,VMkernel adapter,vmk5,added,,,",
        ],
        "{csv}"
    );

    // findings.json carries the same, and the trend over both runs.
    let f2: Value =
        serde_json::from_str(&std::fs::read_to_string(run2.join("findings.json")).unwrap())
            .unwrap();
    let drift = f2["drift"].as_array().unwrap();
    assert_eq!(drift.len(), 5);
    assert_eq!(drift[0]["kind"], "unverified");
    assert_eq!(drift[0]["after"], "notResponding");
    let trend = f2["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 2);
    assert_eq!(trend[0], f1["trend"][0]);
    assert_eq!(trend[1]["by_severity"], f2["summary"]["by_severity"]);

    // report.html: the section, its rows and the trend chart.
    let html = std::fs::read_to_string(run2.join("report.html")).unwrap();
    let section = &html[html.find("<h3 id=\"drift\">").expect("drift section")..];
    let section = &section[..section.find("</table>").unwrap()];
    assert_eq!(section.matches("<tr class=\"dr-").count(), 5, "{section}");
    assert!(section
        .contains("<td class=\"mono\">10.16.10.101</td><td class=\"mono\">10.16.10.151</td>"));
    assert!(html.contains("<svg class=\"trend\""), "trend chart");
    assert!(html.contains("<span class=\"muted\">2 runs</span>"));

    // A third run with nothing edited: no configuration change.
    lab.run();
    let run3 = std::fs::canonicalize(lab.latest()).unwrap();
    let csv = std::fs::read_to_string(run3.join("changes.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1, "header only: {csv}");
    let html = std::fs::read_to_string(run3.join("report.html")).unwrap();
    assert!(html.contains("No configuration changes since the previous run."));
}

/// `send = "changes"` stays quiet when only the configuration changed, unless `count_drift`.
#[test]
fn count_drift_makes_a_configuration_change_send_the_email() {
    let email = "[email]\nfrom = \"vmkaudit@example.com\"\nto = [\"ops@example.com\"]\nsend = \"changes\"\nattach = [\"changes.csv\"]\n";
    for count_drift in [false, true] {
        let lab = Lab::new(&format!("{email}count_drift = {count_drift}\n"));
        let first = lab.run();
        assert!(
            stderr(&first).contains("Email written to"),
            "{}",
            stderr(&first)
        );
        // Same subnet, unused address: the findings stay the same, the configuration changed.
        lab.edit(|inv| {
            vmk(inv, "esx-sh-a01.corp.example", "vmk0")["ipv4"] = "10.16.10.151".into();
        });
        let second = lab.run();
        let err = stderr(&second);
        assert!(err.contains("0 new, "), "{err}");
        assert!(err.contains(", 0 resolved"), "{err}");
        let run = std::fs::canonicalize(lab.latest()).unwrap();
        if count_drift {
            assert!(err.contains("Email written to"), "{err}");
            let eml = std::fs::read_to_string(run.join("message.eml")).unwrap();
            assert!(eml.contains("10.16.10.151"), "the email lists the change");
            assert!(
                eml.contains("filename=\"changes.csv\""),
                "changes.csv attached"
            );
        } else {
            assert!(
                err.contains(
                    "Email not sent: send = \"changes\" and nothing is new or resolved since"
                ),
                "{err}"
            );
            assert!(!run.join("message.eml").exists());
        }
    }
}
