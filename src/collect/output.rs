//! The inventory file of `vmkaudit collect`, written from hosts serialized as they come.
//!
//! `collect` does not evaluate: it only writes the collected hosts to a file. Instead of keeping
//! every host's mapped model until the end (about 5 KB of memory per host), each host is
//! serialized right after it is mapped, on the thread that parsed its page, and appended to a
//! spill file ([`Spill::add`]: an unnamed temporary file beside the output); only its name,
//! vmk count and place in that file stay in memory (a few dozen bytes), and the model is freed
//! there. [`Collected::write`] then copies the hosts from the spill file, sorted as
//! [`super::collect_with`] sorts them, between the head and the tail of the inventory: byte for
//! byte the file that [`crate::inventory::json::write`] writes for the same inventory. Memory
//! no longer grows with the number of hosts collected; the spill file is as large as the
//! inventory file and goes away with the process.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Mutex;

use crate::model::{Host, Inventory};

/// The indentation of a host in the inventory file: inside the top-level object's `hosts`
/// array, two levels of two spaces.
const HOST_INDENT: &[u8] = b"    ";

/// `host` serialized as [`crate::inventory::json::write`] writes it inside an inventory: pretty
/// JSON, every line after the first indented for its place in the `hosts` array.
fn host_json(host: &Host) -> Vec<u8> {
    let pretty = serde_json::to_vec_pretty(host).expect("a host serializes");
    // JSON strings hold no raw line break: every one is between two tokens.
    let breaks = memchr::memchr_iter(b'\n', &pretty).count();
    let mut json = Vec::with_capacity(pretty.len() + breaks * HOST_INDENT.len());
    for (i, line) in pretty.split(|b| *b == b'\n').enumerate() {
        if i > 0 {
            json.push(b'\n');
            json.extend_from_slice(HOST_INDENT);
        }
        json.extend_from_slice(line);
    }
    json
}

/// One host in the spill file.
#[derive(Debug, Clone)]
pub struct SpilledHost {
    /// The host's name, for sorting.
    pub name: String,
    /// How many vmks it has, for the summary line.
    pub vmks: usize,
    /// Where its JSON is in the spill file, and how long it is.
    at: u64,
    len: usize,
}

/// The spill file and how far it is written; the first write that failed, if any.
#[derive(Debug)]
struct SpillFile {
    out: BufWriter<File>,
    len: u64,
    failed: Option<std::io::Error>,
}

/// Where the serialized hosts wait, in the order they came, until the inventory is written.
#[derive(Debug)]
pub struct Spill(Mutex<SpillFile>);

impl Spill {
    /// An unnamed temporary file in `dir` (it is removed when closed, also if the process
    /// dies).
    pub fn new(dir: &Path) -> std::io::Result<Spill> {
        let file = tempfile::tempfile_in(dir)?;
        Ok(Spill(Mutex::new(SpillFile {
            out: BufWriter::with_capacity(256 << 10, file),
            len: 0,
            failed: None,
        })))
    }

    /// Serialize `host` and append it. A write that fails is kept, and reported by
    /// [`Collected::write`].
    pub fn add(&self, host: &Host) -> SpilledHost {
        let json = host_json(host);
        let mut f = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let at = f.len;
        if f.failed.is_none() {
            match f.out.write_all(&json) {
                Ok(()) => f.len += json.len() as u64,
                Err(e) => f.failed = Some(e),
            }
        }
        SpilledHost {
            name: host.name.clone(),
            vmks: host.vmks.len(),
            at,
            len: json.len(),
        }
    }
}

/// What `collect` gathered: the inventory without its hosts (sources, time) and the hosts
/// in the spill file, in the inventory's order.
#[derive(Debug)]
pub struct Collected {
    /// `hosts` is empty; the hosts are in [`Collected::hosts`].
    pub inventory: Inventory,
    pub hosts: Vec<SpilledHost>,
    pub spill: Spill,
}

/// The `hosts` key of the top-level object, empty: where the hosts go. Only the top-level
/// object's keys are indented by two spaces after a line break.
const EMPTY_HOSTS: &[u8] = b"\n  \"hosts\": []";

impl Collected {
    /// How many vmks the hosts have.
    pub fn vmk_count(&self) -> usize {
        self.hosts.iter().map(|h| h.vmks).sum()
    }

    /// Write the inventory file: the same bytes as [`crate::inventory::json::write`] of the
    /// inventory with its hosts. Fails with the spill file's error if writing it failed.
    pub fn write(&self, w: &mut dyn Write) -> std::io::Result<()> {
        debug_assert!(self.inventory.hosts.is_empty());
        let head = serde_json::to_vec_pretty(&self.inventory)?;
        let at = memchr::memmem::rfind(&head, EMPTY_HOSTS).ok_or_else(|| {
            std::io::Error::other("the inventory has no `hosts` key to write the hosts into")
        })?;
        let mut spill = self.spill.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = spill.failed.take() {
            return Err(e);
        }
        spill.out.flush()?;
        let mut file = spill.out.get_ref();
        if self.hosts.is_empty() {
            w.write_all(&head)?;
        } else {
            let open = at + EMPTY_HOSTS.len() - 1;
            w.write_all(&head[..open])?;
            let mut json = Vec::new();
            for (i, h) in self.hosts.iter().enumerate() {
                w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
                w.write_all(HOST_INDENT)?;
                json.resize(h.len, 0);
                file.seek(SeekFrom::Start(h.at))?;
                file.read_exact(&mut json)?;
                w.write_all(&json)?;
            }
            w.write_all(b"\n  ")?;
            w.write_all(&head[open..])?;
        }
        w.write_all(b"\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Source, SourceKind, Vmk};

    fn written(inv: &Inventory) -> (Vec<u8>, Vec<u8>) {
        let mut want = Vec::new();
        crate::inventory::json::write(inv, &mut want).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let spill = Spill::new(dir.path()).unwrap();
        // Spilled in another order than the inventory's, as hosts arrive from streams.
        let mut hosts: Vec<SpilledHost> = inv.hosts.iter().rev().map(|h| spill.add(h)).collect();
        hosts.reverse();
        let collected = Collected {
            inventory: Inventory {
                hosts: Vec::new(),
                ..inv.clone()
            },
            hosts,
            spill,
        };
        let mut got = Vec::new();
        collected.write(&mut got).unwrap();
        assert_eq!(collected.vmk_count(), inv.vmk_count());
        (got, want)
    }

    #[test]
    fn the_file_from_serialized_hosts_is_the_inventory_file_byte_for_byte() {
        let mut inv = Inventory::new();
        // No source, no host.
        let (got, want) = written(&inv);
        assert_eq!(String::from_utf8(got), String::from_utf8(want));
        inv.collected_at = Some("2026-12-01T20:00:00Z".into());
        inv.sources.push(Source {
            name: "https://vc01.lab/sdk \"hosts\": []\n".into(),
            kind: SourceKind::Vcenter,
            insecure: false,
            collected_at: Some("2026-12-01T20:00:01Z".into()),
            duration_seconds: Some(1.5),
            product: Some("VMware vCenter Server".into()),
            error: None,
            schema_version: None,
        });
        // A source and no host.
        let (got, want) = written(&inv);
        assert_eq!(String::from_utf8(got), String::from_utf8(want));
        // Hosts with nested lists, empty lists and strings that need escaping.
        for i in 0..3 {
            let mut h = Host::named(format!("esx{i}.lab \"q\"\n\u{e9}"));
            h.cluster = Some("C1".into());
            if i > 0 {
                h.vmks.push(Vmk::named("vmk0"));
                h.vmks[0].services = Some(vec!["management".into(), "vmotion".into()]);
                h.vmks[0].ipv6 = Vec::new();
            }
            inv.hosts.push(h);
        }
        let (got, want) = written(&inv);
        assert_eq!(String::from_utf8(got), String::from_utf8(want));
    }
}
