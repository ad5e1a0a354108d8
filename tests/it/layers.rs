//! The module graph is layered (ARCHITECTURE.md, "Layers"): a module uses only modules of lower
//! layers (or, at the bottom, modules of its own layer, without a cycle).
//!
//! The test reads every `crate::…` path in `src/**/*.rs`: `use` lines, paths in code, macros
//! (`crate::say!`, resolved to the module whose file defines them) and intra-doc links (a doc
//! link is a dependency of the docs). Plain `//` comment lines are skipped; `#[cfg(test)]`
//! modules are not: a test helper imported from an upper layer is a dependency too.
//! `src/lib.rs` (the module list) and `src/main.rs` (the binary) stand above everything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common::repo;

/// The layers, bottom first. Keep in step with the diagram in ARCHITECTURE.md.
const LAYERS: &[&[&str]] = &[
    // Base: errors, files, words, the model, small shared utilities.
    &[
        "error", "ui", "choice", "retry", "tls", "secret", "i18n", "model", "fsutil", "drift",
        "alloc",
    ],
    &["findings"],
    // Sources.
    &["collect", "inventory"],
    &["rules"],
    &["evaluate"],
    &["render"],
    &["deliver"],
    &["config"],
    &["cli"],
    &["app"],
    // Fuzz entry points: every parser and the whole pipeline.
    &["fuzzing"],
];

/// Imports against the direction that live in files other work is changing right now. Each
/// entry is (file, module it may use, why). The list may only shrink: an entry that is no
/// longer needed fails the test, so remove it with the fix.
const KNOWN_VIOLATIONS: &[(&str, &str, &str)] = &[];

/// The layer of each top-level module.
fn layer_of() -> BTreeMap<&'static str, usize> {
    let mut out = BTreeMap::new();
    for (i, layer) in LAYERS.iter().enumerate() {
        for m in *layer {
            assert!(out.insert(*m, i).is_none(), "{m} is in two layers");
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file under `src/` belongs to (`None` for lib.rs and main.rs).
fn module_of(rel: &str) -> Option<String> {
    let first = rel.strip_prefix("src/")?.split('/').next()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main")).then(|| name.to_string())
}

/// The text that counts: everything but plain `//` comment lines (doc comments stay).
fn significant(text: &str) -> String {
    text.lines()
        .filter(|l| {
            let t = l.trim_start();
            !t.starts_with("//") || t.starts_with("///") || t.starts_with("//!")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every first segment after `crate::` in `text`, with `!` appended for a macro:
/// `crate::a::b` → `a`, `crate::{a::X, b}` → `a`, `b`, `crate::say!` → `say!`.
fn crate_paths(text: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find("crate::") {
        let at = from + i;
        from = at + "crate::".len();
        // `crate` as a whole word (`$crate::` counts too).
        if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
            continue;
        }
        let rest = &text[from..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a::X, b::{Y, Z}}`: the names at depth 1.
            let mut depth = 1;
            let mut expect_name = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => expect_name = true,
                    c if c.is_whitespace() => {}
                    _ if expect_name && depth == 1 => {
                        out.push(ident(&group[j..]));
                        expect_name = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            let is_macro = rest[name.len()..].starts_with('!');
            out.push(if is_macro { format!("{name}!") } else { name });
        }
    }
    out
}

/// `#[macro_export]` macros are `crate::name!` wherever they are defined: the module of the
/// file that defines each.
fn exported_macros(files: &[(String, String)]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (rel, text) in files {
        let Some(module) = module_of(rel) else {
            continue;
        };
        let mut exported = false;
        for line in text.lines() {
            let t = line.trim();
            if t.starts_with("#[macro_export]") {
                exported = true;
            } else if let Some(rest) = t.strip_prefix("macro_rules!") {
                if exported {
                    let name: String = rest
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    out.insert(format!("{name}!"), module.clone());
                }
                exported = false;
            } else if !t.starts_with("#[") && !t.starts_with("///") && !t.is_empty() {
                exported = false;
            }
        }
    }
    out
}

/// Every (file, module) edge: the file uses a path of another top-level module.
fn edges() -> BTreeSet<(String, String, String)> {
    let root = repo("");
    let mut paths = Vec::new();
    rust_files(&root.join("src"), &mut paths);
    let files: Vec<(String, String)> = paths
        .iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read_to_string(p).unwrap())
        })
        .collect();
    let macros = exported_macros(&files);
    let layers = layer_of();
    let mut out = BTreeSet::new();
    for (rel, text) in &files {
        let Some(module) = module_of(rel) else {
            continue;
        };
        assert!(
            layers.contains_key(module.as_str()),
            "{rel}: module `{module}` is in no layer; add it to LAYERS here and to the diagram in ARCHITECTURE.md"
        );
        for name in crate_paths(&significant(text)) {
            // `use crate::text;` imports the macro `text!`.
            let target = match macros
                .get(&name)
                .or_else(|| macros.get(&format!("{name}!")))
            {
                Some(m) => m.clone(),
                None => name.clone(),
            };
            assert!(
                layers.contains_key(target.as_str()),
                "{rel}: `crate::{name}` is not a known module or exported macro"
            );
            if target != module {
                out.insert((rel.clone(), module.clone(), target));
            }
        }
    }
    out
}

#[test]
fn path_scanner_finds_plain_grouped_and_macro_paths() {
    let text = "use crate::a::B;\nuse crate::{c::D, e::{F, G},\n  h};\nlet x = crate::i::j();\n\
                crate::say!(\"x\");\n$crate::k::T;\nmycrate::no::Way;\n/// [`crate::l`]";
    assert_eq!(
        crate_paths(text),
        ["a", "c", "e", "h", "i", "say!", "k", "l"]
    );
    assert_eq!(
        significant("a\n  // crate::skipped\n/// crate::kept\n//! crate::kept2"),
        "a\n/// crate::kept\n//! crate::kept2"
    );
    let files = vec![(
        "src/ui.rs".to_string(),
        "/// Doc.\n#[macro_export]\nmacro_rules! say {\n".to_string(),
    )];
    assert_eq!(exported_macros(&files)["say!"], "ui");
}

#[test]
fn modules_only_use_lower_layers() {
    let layers = layer_of();
    let known: BTreeSet<(&str, &str)> = KNOWN_VIOLATIONS.iter().map(|(f, m, _)| (*f, *m)).collect();
    let edges = edges();
    let mut against = Vec::new();
    let mut used_known = BTreeSet::new();
    for (file, from, to) in &edges {
        let upward = layers[to.as_str()] > layers[from.as_str()];
        let cli_outside_app = to == "cli" && from != "app";
        if !(upward || cli_outside_app) {
            continue;
        }
        if known.contains(&(file.as_str(), to.as_str())) {
            used_known.insert((file.as_str(), to.as_str()));
        } else {
            against.push(format!(
                "{file}: `{from}` (layer {}) uses `{to}` (layer {})",
                layers[from.as_str()],
                layers[to.as_str()]
            ));
        }
    }
    assert!(
        against.is_empty(),
        "imports against the layer direction (ARCHITECTURE.md, \"Layers\"); move the shared \
         item down, or pass plain data up:\n{}",
        against.join("\n")
    );
    let stale: Vec<_> = known.difference(&used_known).collect();
    assert!(
        stale.is_empty(),
        "KNOWN_VIOLATIONS entries no longer needed (remove them): {stale:?}"
    );
}

#[test]
fn no_cycles_between_modules() {
    // The allowed edges only point down, or sideways within the base layer: no cycle there.
    let known: BTreeSet<(&str, &str)> = KNOWN_VIOLATIONS.iter().map(|(f, m, _)| (*f, *m)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, from, to) in edges() {
        if !known.contains(&(file.as_str(), to.as_str())) {
            graph.entry(from).or_default().insert(to);
        }
    }
    // Depth-first search with colours; report the first cycle found.
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(2) => return None,
            Some(1) => {
                let start = stack.iter().position(|s| s == n).unwrap();
                let mut cycle = stack[start..].to_vec();
                cycle.push(n.to_string());
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for next in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(next, graph, state, stack) {
                return Some(c);
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if let Some(cycle) = visit(n, &graph, &mut state, &mut Vec::new()) {
            panic!("module cycle: {}", cycle.join(" -> "));
        }
    }
}

/// Every `[dependencies]` entry of Cargo.toml is used by the library or the binary: a crate
/// nothing uses is only build time and supply-chain surface.
#[test]
fn every_dependency_is_used() {
    let manifest: toml::Table = std::fs::read_to_string(repo("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let mut paths = Vec::new();
    rust_files(&repo("src"), &mut paths);
    let code: String = paths
        .iter()
        .map(|p| significant(&std::fs::read_to_string(p).unwrap()))
        .collect::<Vec<_>>()
        .join("\n");
    let deps = manifest["dependencies"].as_table().expect("[dependencies]");
    let unused: Vec<&String> = deps
        .keys()
        .filter(|name| {
            let krate = name.replace('-', "_");
            let used = |pat: String| {
                code.match_indices(&pat).any(|(i, _)| {
                    i == 0 || {
                        let before = code.as_bytes()[i - 1];
                        !(before.is_ascii_alphanumeric() || before == b'_')
                    }
                })
            };
            !(used(format!("{krate}::")) || used(format!("use {krate}")))
        })
        .collect();
    assert!(
        unused.is_empty(),
        "dependencies nothing in src/ uses (remove them from Cargo.toml): {unused:?}"
    );
}

/// The diagram in ARCHITECTURE.md names the modules in the order of [`LAYERS`], top first.
#[test]
fn architecture_md_shows_the_layers() {
    let text = std::fs::read_to_string(repo("ARCHITECTURE.md")).unwrap();
    let section = text
        .split_once("## Layers")
        .expect("ARCHITECTURE.md has a \"## Layers\" section")
        .1;
    let diagram = section
        .split("```")
        .nth(1)
        .expect("a diagram in a fenced block");
    // The first line of the diagram each module's name appears on (as a whole word).
    let line_of = |m: &str| {
        diagram.lines().position(|l| {
            l.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .any(|w| w == m)
        })
    };
    let mut above = usize::MAX;
    for layer in LAYERS {
        let lines: Vec<_> = layer.iter().map(|m| (m, line_of(m))).collect();
        for (m, line) in &lines {
            let line = line.unwrap_or_else(|| panic!("the diagram does not show `{m}`"));
            assert!(line < above, "`{m}` is not drawn above the layers below it");
        }
        above = lines.iter().filter_map(|(_, l)| *l).min().unwrap();
    }
}
