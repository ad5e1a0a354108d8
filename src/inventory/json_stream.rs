//! Reading a large inventory file without holding its text: the file is read in blocks, the
//! objects of its `hosts` array are cut out of the stream as they end and parsed into the model
//! on every core (serde_json, [`Hosts::CHUNK`] hosts per rayon task) while the next blocks are
//! read; everything else (the schema version, the sources) is kept and parsed at the end. Peak
//! memory is the model plus a few blocks, not the model plus the file (at 40,000 hosts, a
//! 100 MB schema-1 file or a 233 MB schema-2 one).
//!
//! This module only finds where each host's object begins and ends (strings, escapes and
//! nesting); serde_json parses and checks everything. Anything unexpected — bad syntax, a
//! host that does not parse, a `hosts` that is not an array of objects, a duplicate `hosts`
//! key, a key written with escapes — makes [`read`] answer `None`, and the caller reads the
//! whole text again with [`super::json::parse`], which says what is wrong and where.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::model::{Host, Inventory, Source};

/// Bytes read at a time.
const BLOCK: usize = 1 << 20;

/// Hosts parsed per rayon task.
const CHUNK: usize = 128;

/// Read an inventory from `input`: its top level and its hosts, in file order. `Ok(None)`
/// when the text is not a good inventory (the caller parses it again in one pass for the
/// error); `Err` only when reading fails.
pub fn read(input: &mut dyn Read) -> std::io::Result<Option<Inventory>> {
    let parsed: Mutex<Vec<(usize, Vec<Host>)>> = Mutex::new(Vec::new());
    let failed = AtomicBool::new(false);
    let mut splitter = Splitter::default();
    let scanned = rayon::in_place_scope(|scope| -> std::io::Result<bool> {
        let (parsed, failed) = (&parsed, &failed);
        let mut chunks = 0;
        let mut hand_off = |chunk: Chunk| {
            let index = chunks;
            chunks += 1;
            scope.spawn(move |_| match chunk.parse() {
                Some(hosts) => parsed
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((index, hosts)),
                None => failed.store(true, Ordering::Relaxed),
            });
        };
        let mut block = vec![0u8; BLOCK];
        loop {
            let n = match input.read(&mut block) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if !splitter.feed(&block[..n], &mut hand_off) || failed.load(Ordering::Relaxed) {
                // The caller reads the whole text again.
                return Ok(false);
            }
        }
        let last = std::mem::take(&mut splitter.chunk);
        if !last.ends.is_empty() {
            hand_off(last);
        }
        Ok(splitter.complete())
    })?;
    if !scanned || failed.load(Ordering::Relaxed) {
        return Ok(None);
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Top {
        schema_version: u32,
        #[serde(default)]
        collected_at: Option<String>,
        #[serde(default)]
        sources: Vec<Source>,
        /// Emptied by the splitter.
        hosts: [(); 0],
    }
    let Ok(top) = serde_json::from_slice::<Top>(&splitter.rest) else {
        return Ok(None);
    };
    let _ = top.hosts;
    if !crate::model::READ_VERSIONS.contains(&top.schema_version) {
        return Ok(None);
    }
    let mut parsed = parsed.into_inner().unwrap_or_else(|p| p.into_inner());
    parsed.sort_unstable_by_key(|(index, _)| *index);
    let mut hosts = Vec::with_capacity(parsed.iter().map(|(_, h)| h.len()).sum());
    for (_, chunk) in parsed {
        hosts.extend(chunk);
    }
    Ok(Some(Inventory {
        schema_version: top.schema_version,
        collected_at: top.collected_at,
        sources: top.sources,
        hosts,
    }))
}

/// The texts of some hosts, one after the other.
#[derive(Default)]
struct Chunk {
    text: Vec<u8>,
    /// Where each host's text ends.
    ends: Vec<usize>,
}

impl Chunk {
    /// The hosts, each with its lists' spare room given back; `None` when one does not parse.
    fn parse(&self) -> Option<Vec<Host>> {
        let mut start = 0;
        let mut hosts = Vec::with_capacity(self.ends.len());
        for &end in &self.ends {
            let mut host: Host = serde_json::from_slice(&self.text[start..end]).ok()?;
            host.shrink_to_fit();
            hosts.push(host);
            start = end;
        }
        Some(hosts)
    }
}

/// Where the splitter is in the text, outside strings.
#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
enum At {
    /// Before the top-level object.
    #[default]
    Start,
    /// In the top-level object, before a key (or its end).
    Key,
    /// In the top-level object, after a key, before its `:`.
    Colon,
    /// After the `:` of a key, before its value.
    Value,
    /// In a value of the top-level object other than `hosts` (nested deeper, or a scalar).
    Other,
    /// In the top-level object after a value, before `,` or its end.
    AfterValue,
    /// In the `hosts` array, before a host (or, `first`, its end).
    HostStart { first: bool },
    /// Inside a host's object.
    Host,
    /// In the `hosts` array after a host, before `,` or `]`.
    AfterHost,
    /// After the top-level object.
    End,
}

/// The state of the scan over the blocks.
#[derive(Default)]
struct Splitter {
    at: At,
    /// Nesting inside the current value (`Other`) or host (`Host`): open `{` and `[`.
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// The current key of the top level, while it is read, and whether it had an escape.
    key: Vec<u8>,
    key_escaped: bool,
    /// Whether the key just read is `hosts`, and whether `hosts` was seen already.
    key_is_hosts: bool,
    seen_hosts: bool,
    /// Everything but the hosts' texts.
    rest: Vec<u8>,
    /// Hosts not handed off yet; the one being read is at the end of its text.
    chunk: Chunk,
}

impl Splitter {
    /// Scan `bytes`, handing off every [`CHUNK`] complete hosts. `false` when the text cannot
    /// be a good inventory.
    fn feed(&mut self, bytes: &[u8], hand_off: &mut impl FnMut(Chunk)) -> bool {
        let mut i = 0;
        // Where the bytes not yet copied begin, and whether they go to the host's text.
        let mut from = 0;
        while i < bytes.len() {
            if self.in_string {
                if self.escaped {
                    // The character after a backslash that ended the previous block.
                    self.escaped = false;
                    if self.at == At::Key {
                        self.key.push(bytes[i]);
                    }
                    i += 1;
                    continue;
                }
                // Up to the next quote or backslash in one step.
                let Some(j) = memchr::memchr2(b'"', b'\\', &bytes[i..]) else {
                    if self.at == At::Key {
                        self.key.extend_from_slice(&bytes[i..]);
                    }
                    break;
                };
                if self.at == At::Key {
                    self.key.extend_from_slice(&bytes[i..i + j]);
                }
                i += j;
                if bytes[i] == b'\\' {
                    self.key_escaped |= self.at == At::Key;
                    // The next character, whatever it is, is part of the escape.
                    if i + 1 < bytes.len() {
                        i += 2;
                    } else {
                        self.escaped = true;
                        i += 1;
                    }
                    continue;
                }
                // The closing quote.
                self.in_string = false;
                if self.at == At::Key {
                    self.key_is_hosts = !self.key_escaped && self.key == b"hosts";
                    self.at = At::Colon;
                }
                i += 1;
                continue;
            }
            let b = bytes[i];
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                i += 1;
                continue;
            }
            match self.at {
                At::Host => match b {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => {
                        self.depth -= 1;
                        if self.depth == 0 {
                            // The host ends here.
                            self.chunk.text.extend_from_slice(&bytes[from..=i]);
                            from = i + 1;
                            self.chunk.ends.push(self.chunk.text.len());
                            if self.chunk.ends.len() == CHUNK {
                                hand_off(std::mem::take(&mut self.chunk));
                            }
                            self.at = At::AfterHost;
                        }
                    }
                    _ => {}
                },
                At::HostStart { first } => match b {
                    b'{' => {
                        // Bytes before the host (the array's `[` or a `,`) went to `rest`
                        // already; the host's text starts here.
                        from = i;
                        self.at = At::Host;
                        self.depth = 1;
                    }
                    b']' if first => {
                        self.rest.extend_from_slice(b"]");
                        from = i + 1;
                        self.at = At::AfterValue;
                    }
                    _ => return false,
                },
                At::AfterHost => match b {
                    b',' => {
                        from = i + 1;
                        self.at = At::HostStart { first: false };
                    }
                    b']' => {
                        self.rest.extend_from_slice(b"]");
                        from = i + 1;
                        self.at = At::AfterValue;
                    }
                    _ => return false,
                },
                At::Start => match b {
                    b'{' => self.at = At::Key,
                    _ => return false,
                },
                At::Key => match b {
                    b'"' => {
                        self.in_string = true;
                        self.key.clear();
                        self.key_escaped = false;
                    }
                    // `{}`, or a trailing comma: serde_json says which.
                    b'}' => self.at = At::End,
                    _ => return false,
                },
                At::Colon => match b {
                    b':' => self.at = At::Value,
                    _ => return false,
                },
                At::Value if self.key_is_hosts => {
                    if b != b'[' || self.seen_hosts {
                        return false;
                    }
                    self.seen_hosts = true;
                    self.key_is_hosts = false;
                    self.rest.extend_from_slice(&bytes[from..=i]);
                    from = i + 1;
                    self.at = At::HostStart { first: true };
                }
                At::Value => {
                    self.at = At::Other;
                    self.depth = 0;
                    // Scan this byte again as the value's first.
                    continue;
                }
                At::Other => match b {
                    // A scalar ends at the `,` or `}` after it.
                    b',' if self.depth == 0 => self.at = At::Key,
                    b'}' if self.depth == 0 => self.at = At::End,
                    b'"' => {
                        self.in_string = true;
                        if self.depth == 0 {
                            // A string value: done at its closing quote.
                            self.at = At::AfterValue;
                        }
                    }
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => {
                        if self.depth == 0 {
                            return false;
                        }
                        self.depth -= 1;
                        if self.depth == 0 {
                            self.at = At::AfterValue;
                        }
                    }
                    _ => {}
                },
                At::AfterValue => match b {
                    b',' => self.at = At::Key,
                    b'}' => self.at = At::End,
                    _ => return false,
                },
                // Anything after the top-level object is an error serde_json reports.
                At::End => return false,
            }
            i += 1;
        }
        // The bytes not copied yet: a host's beginning goes on with its text, the rest to `rest`.
        match self.at {
            At::Host => self.chunk.text.extend_from_slice(&bytes[from..]),
            At::HostStart { .. } | At::AfterHost => {}
            _ => self.rest.extend_from_slice(&bytes[from..]),
        }
        true
    }

    /// Whether the text ended where a good inventory may end: after the top-level object,
    /// with a `hosts` array.
    fn complete(&self) -> bool {
        self.at == At::End && !self.in_string && self.seen_hosts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `.1` bytes per read.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(self.1).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn read_in_blocks(text: &str, block: usize) -> Option<Inventory> {
        read(&mut Trickle(text.as_bytes(), block)).unwrap()
    }

    const GOOD: &str = r#" {"schema_version": 2, "collected_at": "2026-01-01T00:00:00Z",
        "hosts": [ {"name": "esx{1}", "cluster": "a\"]}[{", "vmks": [{"device": "vmk0"}]},
                   {"name": "esx\\2\u00e9", "vmks": []} ,{"name": "esx3"}],
        "sources": [{"name": "vc\"1", "kind": "vcenter", "insecure": false}] } "#;

    #[test]
    fn hosts_are_cut_out_of_the_stream_whatever_the_block_boundaries() {
        let whole: Inventory = serde_json::from_str(GOOD).unwrap();
        for block in [1, 2, 3, 7, 64, 4096] {
            let inv = read_in_blocks(GOOD, block).unwrap_or_else(|| panic!("block {block}"));
            assert_eq!(inv, whole, "block {block}");
        }
        assert_eq!(whole.hosts[0].cluster.as_deref(), Some("a\"]}[{"));
        assert_eq!(whole.hosts[1].name, "esx\\2é");
    }

    #[test]
    fn many_hosts_keep_their_order_across_chunks() {
        let hosts: Vec<String> = (0..1000)
            .map(|i| format!(r#"{{"name": "esx{i}", "vmks": []}}"#))
            .collect();
        let text = format!(r#"{{"hosts": [{}], "schema_version": 1}}"#, hosts.join(","));
        let inv = read_in_blocks(&text, 333).unwrap();
        let names: Vec<&str> = inv.hosts.iter().map(|h| h.name.as_str()).collect();
        let expected: Vec<String> = (0..1000).map(|i| format!("esx{i}")).collect();
        assert_eq!(names, expected);
        assert_eq!(
            read_in_blocks(r#"{"schema_version": 2, "hosts": []}"#, 5)
                .unwrap()
                .hosts,
            []
        );
    }

    #[test]
    fn anything_wrong_is_left_to_the_one_pass_parse() {
        for bad in [
            r#"{"schema_version": 2, "hosts": [{"name": "a"} {"name": "b"}]}"#,
            r#"{"schema_version": 2, "hosts": [{"name": "a"},]}"#,
            r#"{"schema_version": 2, "hosts": [{"name": "a"}, 3]}"#,
            r#"{"schema_version": 2, "hosts": {"name": "a"}}"#,
            r#"{"schema_version": 2, "hosts": [], "hosts": []}"#,
            r#"{"schema_version": 2, "h\u006fsts": [{"name": "a"}]}"#,
            r#"{"schema_version": 2, "hosts": [{"name": "a", "colour": 1}]}"#,
            r#"{"schema_version": 2, "hosts": [{"name": "a"}], "extra": 1}"#,
            r#"{"schema_version": 2, "hosts": [{"name": "a"}]} trailing"#,
            r#"{"schema_version": 2, "hosts": [{"name": "a"}]"#,
            r#"{"schema_version": 2, "hosts": [{"name": "a}]}"#,
            r#"{"schema_version": 9, "hosts": []}"#,
            r#"{"schema_version": 2}"#,
            r#"{"schema_version": 2, "sources": [}, "hosts": []}"#,
            r#"[{"schema_version": 2, "hosts": []}]"#,
            "",
        ] {
            for block in [1, 4, 4096] {
                assert!(read_in_blocks(bad, block).is_none(), "block {block}: {bad}");
            }
        }
    }

    /// Every one-byte change of a good inventory (a byte left out, or a structural byte put
    /// in): what the block reader accepts, the one-pass parse accepts as the same inventory.
    #[test]
    fn the_block_reader_never_accepts_what_the_one_pass_parse_refuses() {
        let good = GOOD.as_bytes();
        let mut accepted = 0;
        let mut check = |text: &[u8]| {
            for block in [1, 5, 4096] {
                let mut trickle = Trickle(text, block);
                if let Some(streamed) = read(&mut trickle).unwrap() {
                    let whole: Inventory = serde_json::from_slice(text)
                        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(text)));
                    assert_eq!(streamed, whole, "{}", String::from_utf8_lossy(text));
                    accepted += 1;
                }
            }
        };
        for i in 0..good.len() {
            let mut cut = good.to_vec();
            cut.remove(i);
            check(&cut);
            for b in [b'"', b'\\', b'{', b'}', b'[', b']', b',', b':'] {
                let mut more = good.to_vec();
                more.insert(i, b);
                check(&more);
            }
        }
        // Some changes keep it good (a space left out, a character of a name).
        assert!(accepted > 0);
    }
}
