//! The translation catalogs (`locales/*.toml`) against the code: every key the code uses is in
//! every catalog, no catalog has a key the code no longer uses, and every translation has the
//! placeholders of its English source. The keys come from the labels table, the rule registry
//! and the `msg!` calls, which are read from `src/**/*.rs` (like xgettext).

use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;
use vmkaudit::i18n::{self, Lang, LANGUAGES};
use vmkaudit::render::labels::{self, LABELS};
use vmkaudit::rules::{DocField, REGISTRY};

use crate::common::repo;

/// Decode the body of a Rust `"..."` literal (the escapes messages use).
fn rust_str(body: &str) -> String {
    let mut out = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\n') => while chars.next_if(|c| c.is_whitespace()).is_some() {},
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// The Rust sources under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of every source file: without its unit tests (which may build messages with
/// made-up keys) and without comment lines (documentation examples).
fn sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    rust_files(&repo("src"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let code = text.split("\n#[cfg(test)]").next().unwrap_or("");
            let code: Vec<&str> = code
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect();
            let name = p.strip_prefix(repo("")).unwrap().display().to_string();
            (name, code.join("\n"))
        })
        .collect()
}

/// Every `msg!(key, english, ...)` in the sources: key -> (English, where).
fn messages(problems: &mut Vec<String>) -> BTreeMap<String, (String, String)> {
    let re = Regex::new(r#"msg!\(\s*"([^"]*)"\s*,\s*"((?:[^"\\]|\\.)*)""#).unwrap();
    let mut found: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (file, code) in sources() {
        for c in re.captures_iter(&code) {
            let (key, english) = (c[1].to_string(), rust_str(&c[2]));
            match found.get(&key) {
                Some((other, at)) if *other != english => problems.push(format!(
                    "message {key} has two English texts ({at} and {file})"
                )),
                Some(_) => {}
                None => {
                    found.insert(key, (english, file.clone()));
                }
            }
        }
    }
    found
}

/// Every key the code uses, with its English source.
fn source_keys(problems: &mut Vec<String>) -> BTreeMap<String, String> {
    let mut keys = BTreeMap::new();
    let mut add = |key: String, english: String, problems: &mut Vec<String>| {
        if let Some(old) = keys.insert(key.clone(), english) {
            problems.push(format!("key {key} is used twice (once for `{old}`)"));
        }
    };
    for (k, en) in LABELS {
        add(labels::catalog_key(k), en.to_string(), problems);
    }
    for r in REGISTRY {
        for f in DocField::ALL {
            add(r.doc_key(f), r.english(f).to_string(), problems);
        }
    }
    // Each rule-set parameter once (a shared one is listed by every rule that reads it).
    for p in vmkaudit::rules::param::declared() {
        add(p.doc_key(), p.doc().to_string(), problems);
    }
    for (key, (english, _)) in messages(problems) {
        add(key, english, problems);
    }
    keys
}

#[test]
fn every_catalog_has_exactly_the_keys_of_the_code_with_their_placeholders() {
    let mut problems = Vec::new();
    let keys = source_keys(&mut problems);
    // The extraction works: messages from several modules are found.
    for key in [
        "list.separator",
        "label.hosts_checked",
        "GW001.summary",
        "subject.default",
    ] {
        assert!(keys.contains_key(key), "{key} not found in the code");
    }
    for lang in LANGUAGES.iter().filter(|l| l.catalog.is_some()) {
        let catalog = match i18n::parse_catalog(lang.catalog.unwrap()) {
            Ok(c) => c,
            Err(e) => panic!("locales/{}.toml: {e}", lang.code),
        };
        for (key, english) in &keys {
            match catalog.get(key) {
                None => problems.push(format!("{}: missing key {key}", lang.code)),
                Some(text) => {
                    let (want, got) = (i18n::placeholders(english), i18n::placeholders(text));
                    if want != got {
                        problems.push(format!(
                            "{}: {key} has placeholders {got:?}, the English {want:?}",
                            lang.code
                        ));
                    }
                }
            }
        }
        for key in catalog.keys().filter(|k| !keys.contains_key(*k)) {
            problems.push(format!("{}: key {key} is not used by the code", lang.code));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn zh_cn_catalog_has_no_empty_values() {
    let zh = i18n::catalog(Lang::ZhCn);
    assert!(zh.len() > 100, "the zh-CN catalog is loaded");
    let empty: Vec<&String> = zh
        .iter()
        .filter(|(_, v)| v.trim().is_empty())
        .map(|(k, _)| k)
        .collect();
    assert!(empty.is_empty(), "empty translations: {empty:?}");
}

#[test]
fn every_language_but_english_has_its_catalog_file() {
    assert_eq!(LANGUAGES[0].code, "en", "English, the source, comes first");
    assert!(LANGUAGES[0].catalog.is_none());
    for lang in &LANGUAGES[1..] {
        let file = repo(&format!("locales/{}.toml", lang.code));
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(Some(text.as_str()), lang.catalog, "{}", lang.code);
    }
    let files = std::fs::read_dir(repo("locales")).unwrap().count();
    assert_eq!(files, LANGUAGES.len() - 1, "a catalog no language uses");
}

#[test]
fn labels_named_in_the_code_exist() {
    // `label(lang, "key")` with a literal key; computed keys are checked by the snapshots
    // (a missing label panics in debug builds).
    let re = Regex::new(r#"label\(\s*[a-z_]+\s*,\s*"([a-z_]+)"\s*\)"#).unwrap();
    let mut n = 0;
    for (file, code) in sources() {
        for c in re.captures_iter(&code) {
            n += 1;
            assert!(
                LABELS.iter().any(|(k, _)| *k == &c[1]),
                "{file}: unknown label `{}`",
                &c[1]
            );
        }
    }
    assert!(n > 20, "only {n} label uses found");
}

#[test]
fn the_findings_schema_accepts_every_language_code() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo("schemas/findings.schema.json")).unwrap(),
    )
    .unwrap();
    let pattern = schema["properties"]["language"]["pattern"]
        .as_str()
        .expect("language has a pattern");
    let re = Regex::new(pattern).unwrap();
    for lang in LANGUAGES {
        assert!(
            re.is_match(lang.code),
            "{} does not match {pattern}",
            lang.code
        );
    }
    assert!(!re.is_match("english"));
}
