//! The vmkaudit inventory file (JSON, `schema_version` 1).

use std::path::Path;

use crate::error::{Error, Location, Result};
use crate::model::{Inventory, Source, SourceKind, SCHEMA_VERSION};

/// Parse an inventory file. Unknown keys are errors that name the key and its position.
pub fn parse(path: &Path, text: &str) -> Result<Inventory> {
    // One pass over the (possibly 100 MB) text when it is a good inventory. When it is not,
    // the schema version is checked first, so a future file gets a clear message instead of a
    // complaint about some new field.
    let parsed = serde_json::from_str::<Inventory>(text);
    if !matches!(&parsed, Ok(inv) if inv.schema_version == SCHEMA_VERSION) {
        check_version(path, text)?;
    }
    let mut inv = parsed.map_err(|e| {
        let loc = if e.line() > 0 {
            Location::at(path, e.line(), Some(e.column()))
        } else {
            Location::file(path)
        };
        Error::input(loc, json_message(&e))
    })?;
    if inv.sources.is_empty() {
        inv.sources.push(Source {
            name: path.display().to_string(),
            kind: SourceKind::Inventory,
            insecure: false,
            collected_at: inv.collected_at.clone(),
            product: None,
            error: None,
        });
    }
    Ok(inv)
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
        }) if v != serde_json::json!(SCHEMA_VERSION) => Err(Error::input(
            Location::file(path),
            format!(
                "unsupported inventory schema_version {v} (this vmkaudit reads version {SCHEMA_VERSION})"
            ),
        )),
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
    fn unknown_key_is_named_with_position() {
        let text = "{\"schema_version\": 1,\n \"hosts\": [{\"name\": \"a\", \"vmkz\": []}]}";
        let err = parse(Path::new("inv.json"), text).unwrap_err().to_string();
        assert!(err.starts_with("inv.json:2:"), "{err}");
        assert!(err.contains("unknown field `vmkz`"), "{err}");
        assert!(err.ends_with("did you mean `vmks`?"), "{err}");
    }

    #[test]
    fn future_schema_version_is_refused() {
        let err = parse(Path::new("i.json"), r#"{"schema_version": 2, "hosts": []}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unsupported inventory schema_version 2"),
            "{err}"
        );
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
