//! The vmkaudit inventory file (JSON, `schema_version` 2; version 1 files are read too, the
//! fields they lack stay unknown, see [`crate::model::READ_VERSIONS`]).

use std::path::Path;

use crate::error::{Error, Location, Result};
use crate::model::{Inventory, Source, SourceKind, READ_VERSIONS, SCHEMA_VERSION};

/// Parse an inventory file. Unknown keys are errors that name the key and its position.
pub fn parse(path: &Path, text: &str) -> Result<Inventory> {
    located(path, text, parse_split(text))
}

/// [`parse`] of `text`, whose parallel parse gave `split` (`None`: it failed).
fn located(path: &Path, text: &str, split: Option<Inventory>) -> Result<Inventory> {
    // A good inventory is parsed with its hosts in parallel (`parse_split`). When that fails,
    // the whole text is parsed again in one pass for the error's place and wording; and the
    // schema version is checked first, so a future file gets a clear message instead of a
    // complaint about some new field.
    let parsed = match split {
        Some(inv) => Ok(inv),
        None => serde_json::from_str::<Inventory>(text),
    };
    if !matches!(&parsed, Ok(inv) if READ_VERSIONS.contains(&inv.schema_version)) {
        check_version(path, text)?;
    }
    let inv = parsed.map_err(|e| {
        let loc = if e.line() > 0 {
            Location::at(path, e.line(), Some(e.column()))
        } else {
            Location::file(path)
        };
        Error::input(loc, json_message(&e))
    })?;
    if let Some((h, first, second)) = duplicate_vmk(&inv) {
        let host = &inv.hosts[h];
        let device = &host.vmks[second].device;
        let at = |vmk: usize| {
            locate(
                text,
                &[
                    Step::Key("hosts"),
                    Step::Index(h),
                    Step::Key("vmks"),
                    Step::Index(vmk),
                    Step::Key("device"),
                ],
            )
        };
        let (loc, which) = match (at(second), at(first)) {
            (Some((line, col)), Some((first_line, _))) => (
                Location::at(path, line, Some(col)),
                format!("first on line {first_line}"),
            ),
            _ => (
                Location::file(path),
                format!("vmks[{first}] and vmks[{second}]"),
            ),
        };
        return Err(Error::input(
            loc,
            format!("{device} appears twice for host {} ({which})", host.name),
        ));
    }
    Ok(finish(path, inv))
}

/// Read an inventory file from `stream` without holding its text
/// ([`super::json_stream`]). When it is not a good inventory, `reread` gives its whole text,
/// in which [`parse`]'s one-pass parse finds what is wrong and where (a duplicate vmk is
/// located in the text without parsing it again).
pub fn read(
    path: &Path,
    mut stream: impl std::io::Read,
    reread: impl FnOnce() -> Result<String>,
) -> Result<Inventory> {
    match super::json_stream::read(&mut stream) {
        // A duplicate vmk is located in the text.
        Ok(Some(inv)) if duplicate_vmk(&inv).is_none() => Ok(finish(path, inv)),
        Ok(split) => located(path, &reread()?, split),
        Err(e) => Err(crate::fsutil::input_read_error(path, e)),
    }
}

/// A parsed inventory as the importer hands it on: each source knows the schema version it
/// was read from, and a file without sources is its hosts' source.
fn finish(path: &Path, mut inv: Inventory) -> Inventory {
    for s in &mut inv.sources {
        s.schema_version = Some(inv.schema_version);
    }
    if inv.sources.is_empty() {
        inv.sources.push(Source {
            collected_at: inv.collected_at.clone(),
            schema_version: Some(inv.schema_version),
            ..Source::named(path.display().to_string(), SourceKind::Inventory)
        });
    }
    inv
}

/// Parse a good inventory of a readable schema version with its hosts in parallel (the block
/// reader of [`super::json_stream`] over the text). `None` when anything is wrong; the caller
/// then parses in one pass, which gives the error with its line and column in the whole file.
fn parse_split(text: &str) -> Option<Inventory> {
    // Reading from memory cannot fail.
    super::json_stream::read(&mut text.as_bytes())
        .ok()
        .flatten()
}

/// The first vmk device that occurs twice on one host, as (host, first vmk, second vmk)
/// indexes. The CSV importers refuse the same (`csvutil::HostTable`): one device is one adapter.
fn duplicate_vmk(inv: &Inventory) -> Option<(usize, usize, usize)> {
    for (h, host) in inv.hosts.iter().enumerate() {
        let vmks = &host.vmks;
        if vmks.len() <= 32 {
            for second in 1..vmks.len() {
                if let Some(first) = (0..second).find(|&i| vmks[i].device == vmks[second].device) {
                    return Some((h, first, second));
                }
            }
        } else {
            let mut seen = std::collections::HashMap::with_capacity(vmks.len());
            for (second, v) in vmks.iter().enumerate() {
                if let Some(&first) = seen.get(v.device.as_str()) {
                    return Some((h, first, second));
                }
                seen.insert(v.device.as_str(), second);
            }
        }
    }
    None
}

/// One step of a path into a JSON document.
#[derive(Debug, Clone, Copy)]
enum Step {
    Key(&'static str),
    Index(usize),
}

/// The line and column where the value at `path` in `text` ends, found by walking the JSON
/// again with serde_json (which locates the error the walk raises there). Only for messages:
/// a second pass over the text, made only when there is an error to locate.
fn locate(text: &str, path: &[Step]) -> Option<(usize, usize)> {
    let mut de = serde_json::Deserializer::from_str(text);
    match serde::de::DeserializeSeed::deserialize(Walk(path), &mut de) {
        // The text parsed before, so the only error is the walk's own, at the value.
        Err(e) if e.line() > 0 => Some((e.line(), e.column())),
        _ => None,
    }
}

/// Walks to the value at a path and fails there; ignores everything else.
struct Walk<'a>(&'a [Step]);

impl<'de> serde::de::DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match self.0.split_first() {
                Some((Step::Key(k), rest)) if *k == key => map.next_value_seed(Walk(rest))?,
                _ => map.next_value::<serde::de::IgnoredAny>().map(drop)?,
            }
        }
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        loop {
            let more = match self.0.split_first() {
                Some((Step::Index(n), rest)) if *n == i => seq.next_element_seed(Walk(rest))?,
                _ => seq.next_element::<serde::de::IgnoredAny>()?.map(drop),
            };
            if more.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        self.at_leaf()
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.at_leaf()
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.at_leaf()
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.at_leaf()
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.at_leaf()
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.at_leaf()
    }
}

impl Walk<'_> {
    /// At the end of the path: fail, so that serde_json says where this is.
    fn at_leaf<E: serde::de::Error>(&self) -> Result<(), E> {
        if self.0.is_empty() {
            Err(E::custom("here"))
        } else {
            Ok(())
        }
    }
}

/// An error when `text` has no `schema_version` or one this build does not read.
fn check_version(path: &Path, text: &str) -> Result<()> {
    #[derive(serde::Deserialize)]
    struct Version {
        schema_version: Option<serde_json::Value>,
    }
    match serde_json::from_str::<Version>(text) {
        Ok(Version {
            schema_version: Some(v),
        }) if !v
            .as_u64()
            .is_some_and(|v| READ_VERSIONS.iter().any(|&r| u64::from(r) == v)) =>
        {
            let reads = READ_VERSIONS
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(" and ");
            Err(Error::input(
                Location::file(path),
                format!(
                    "unsupported inventory schema_version {v} (this vmkaudit reads versions \
                     {reads}; it writes {SCHEMA_VERSION})"
                ),
            ))
        }
        Ok(Version {
            schema_version: None,
        }) => Err(Error::input(
            Location::file(path),
            "not a vmkaudit inventory file: missing `schema_version`",
        )),
        _ => Ok(()),
    }
}

/// serde_json's message without its trailing " at line X column Y" (the location is printed
/// in front already), with a did-you-mean for a misspelt field or value.
fn json_message(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    crate::error::with_suggestion(msg)
}

/// Write an inventory as pretty JSON (the same bytes as [`to_string`]) to `w`.
pub fn write(inv: &Inventory, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, inv)?;
    w.write_all(b"\n")
}

/// Serialize an inventory as pretty JSON.
pub fn to_string(inv: &Inventory) -> String {
    let mut s = serde_json::to_string_pretty(inv).expect("inventory serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_parsed_in_parallel_are_the_hosts_of_one_pass() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/lab-inventory.json");
        let text = std::fs::read_to_string(path).unwrap();
        let one_pass: Inventory = serde_json::from_str(&text).unwrap();
        assert!(one_pass.hosts.len() > 50);
        let split = parse_split(&text).expect("a good inventory parses split");
        assert_eq!(split, one_pass);
    }

    #[test]
    fn a_bad_host_is_located_in_the_whole_file_not_in_the_host() {
        // The split parse fails on the third host; the error is the one-pass error, with the
        // line of the whole file, not a position inside the host's text.
        let text = "{\"schema_version\": 2,\n \"hosts\": [\n{\"name\": \"a\", \"vmks\": []},\n\
                    {\"name\": \"b\", \"vmks\": []},\n{\"name\": \"c\", \"vmks\": [], \"mtu\": 1}]}";
        assert!(parse_split(text).is_none());
        let err = parse(Path::new("inv.json"), text).unwrap_err().to_string();
        assert!(err.starts_with("inv.json:5:"), "{err}");
        assert!(err.contains("unknown field `mtu`"), "{err}");
    }

    #[test]
    fn unknown_key_is_named_with_position() {
        let text = "{\"schema_version\": 1,\n \"hosts\": [{\"name\": \"a\", \"vmkz\": []}]}";
        let err = parse(Path::new("inv.json"), text).unwrap_err().to_string();
        assert!(err.starts_with("inv.json:2:"), "{err}");
        assert!(err.contains("unknown field `vmkz`"), "{err}");
        assert!(err.ends_with("did you mean `vmks`?"), "{err}");
    }

    #[test]
    fn future_schema_version_is_refused() {
        let err = parse(Path::new("i.json"), r#"{"schema_version": 3, "hosts": []}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "unsupported inventory schema_version 3 (this vmkaudit reads versions 1 and 2"
            ),
            "{err}"
        );
    }

    #[test]
    fn a_version_1_file_reads_with_the_new_fields_unknown() {
        let text = r#"{"schema_version": 1, "hosts": [{"name": "a", "netstacks": [
            {"key": "defaultTcpipStack", "gateway": "10.0.0.1"}],
            "firewall": {"incoming_blocked": true, "outgoing_blocked": true, "rulesets": [
              {"key": "sshServer", "enabled": true, "all_ip": false}]},
            "vmks": [{"device": "vmk0", "vlan": 10}]}]}"#;
        let inv = parse(Path::new("i.json"), text).unwrap();
        assert_eq!(inv.schema_version, 1);
        let h = &inv.hosts[0];
        assert_eq!(
            (&h.services, &h.pnics, &h.lockdown_mode),
            (&None, &None, &None)
        );
        assert_eq!(h.netstacks.as_ref().unwrap()[0].routes, None);
        let rs = &h.firewall.as_ref().unwrap().rulesets[0];
        assert_eq!(
            (
                rs.ip_list_user_configurable,
                rs.user_controllable,
                &rs.rules
            ),
            (None, None, &None)
        );
        let v = &h.vmks[0];
        assert_eq!(v.vlan, Some(crate::model::Vlan::Id(10)));
        assert_eq!(
            (&v.teaming, &v.security, v.iscsi_bound),
            (&None, &None, None)
        );
    }

    #[test]
    fn vlan_specs_round_trip_and_bad_ones_say_what_is_expected() {
        use crate::model::{Vlan, VlanSpec};
        let text = r#"{"schema_version": 2, "hosts": [{"name": "a", "vmks": [
            {"device": "vmk0", "vlan": 0},
            {"device": "vmk1", "vlan": {"trunk": [[0, 99], [200, 200]]}},
            {"device": "vmk2", "vlan": {"pvlan": 101}}]}]}"#;
        let inv = parse(Path::new("i.json"), text).unwrap();
        let vlans: Vec<_> = inv.hosts[0].vmks.iter().map(|v| v.vlan.clone()).collect();
        assert_eq!(
            vlans,
            [
                Some(Vlan::Id(0)),
                Some(Vlan::Spec(VlanSpec::Trunk(vec![[0, 99], [200, 200]]))),
                Some(Vlan::Spec(VlanSpec::Pvlan(101))),
            ]
        );
        assert_eq!(vlans[1].as_ref().unwrap().to_string(), "trunk 0-99,200");
        let back = parse(Path::new("i.json"), &to_string(&inv)).unwrap();
        assert_eq!(back.hosts, inv.hosts);
        for bad in [r#"5000"#, r#""10""#, r#"{"trunk": 5}"#, r#"{"range": [1]}"#] {
            let text = format!(
                r#"{{"schema_version": 2, "hosts": [{{"name": "a", "vmks": [{{"device": "vmk0", "vlan": {bad}}}]}}]}}"#
            );
            let err = parse(Path::new("i.json"), &text).unwrap_err().to_string();
            assert!(err.starts_with("i.json:1:"), "{bad}: {err}");
        }
        let text = r#"{"schema_version": 2, "hosts": [{"name": "a", "vmks": [{"device": "vmk0", "vlan": 5000}]}]}"#;
        let err = parse(Path::new("i.json"), text).unwrap_err().to_string();
        assert!(err.contains("a VLAN ID 0-4095"), "{err}");
    }

    #[test]
    fn unknown_service_values_are_kept() {
        // A nicType this version does not know (a newer vSphere's) is kept, never dropped.
        let text = r#"{"schema_version": 1, "hosts": [{"name": "a", "vmks": [
            {"device": "vmk1", "services": ["vmotion", "futureTraffic"]}]}]}"#;
        let inv = parse(Path::new("i.json"), text).unwrap();
        let services = inv.hosts[0].vmks[0].services.clone();
        assert_eq!(
            services,
            Some(vec!["vmotion".to_string(), "futureTraffic".to_string()])
        );
        let back = parse(Path::new("i.json"), &to_string(&inv)).unwrap();
        assert_eq!(back.hosts[0].vmks[0].services, services);
    }

    #[test]
    fn round_trips() {
        let mut inv = Inventory::new();
        inv.hosts.push(crate::model::Host::named("esx1"));
        let back = parse(Path::new("x"), &to_string(&inv)).unwrap();
        assert_eq!(back.hosts, inv.hosts);
    }
}
