//! Control characters from a source made visible in the reports.
//!
//! Host, cluster and port group names, source error texts and the like come from servers and
//! files vmkaudit does not control. A raw NUL, ESC or other control character copied into a
//! report would hide text, forge lines or drive a terminal (`cat checklist.txt`), so
//! [`visible`] replaces every such character with the Rust-style escape of its code point,
//! `\u{1b}` for ESC, `\u{0}` for NUL: visible, unambiguous for the auditor, ASCII only.
//!
//! Replaced ([`is_hidden`]): the C0 controls except tab and line feed (so also CR), DEL, the C1
//! controls (U+0080–U+009F), and the bidirectional embedding, override and isolate controls
//! (U+202A–U+202E, U+2066–U+2069), which reorder what follows them on screen. Tab and line feed
//! are legitimate in multi-line texts (a server's fault message, a waiver reason) and are kept.
//! A backslash is not escaped, so the text `\u{1b}` from a source looks the same as a real ESC.
//!
//! It is applied where text enters each output, once: the handlebars escape function
//! (`report.html` and the email's HTML body: every value the templates print), each CSV cell
//! (`findings.csv`, `vmks.csv`), and the whole of the plain-text outputs (`checklist.txt`, the
//! email's text body), whose own text has no control characters but line ends. `findings.json`
//! keeps the source's text exactly: JSON escapes C0 controls itself, and [`json_escape_rest`]
//! escapes the rest (`\u007f`, `\u0085`, `\u202e`), which JSON allows raw; a JSON reader gets the
//! original characters back.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` is replaced by [`visible`].
pub fn is_hidden(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `s` may hold a character [`is_hidden`]: a quick test on bytes (C0, DEL, and the
/// lead bytes of C1 and of the bidirectional controls).
fn may_hide(s: &str) -> bool {
    s.bytes()
        .any(|b| (b < 0x20 && b != b'\t' && b != b'\n') || b == 0x7F || b == 0xC2 || b == 0xE2)
}

/// `s` with every character that [`is_hidden`] replaced by `\u{HEX}` (borrowed when there is
/// none, which is nearly always).
pub fn visible(s: &str) -> Cow<'_, str> {
    if !may_hide(s) {
        return Cow::Borrowed(s);
    }
    escape(s, is_hidden)
}

/// `s` with every character `hide` picks written as `\u{HEX}` (borrowed when there is none).
fn escape(s: &str, hide: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(&hide) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if hide(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`visible`] for one line of a script comment or other line-based text: line feed, tab and
/// the Unicode line and paragraph separators are escaped too (`\u{a}`), so text from a source
/// can never end the line it is on.
pub fn visible_line(s: &str) -> Cow<'_, str> {
    escape(s, |c| {
        is_hidden(c) || matches!(c, '\n' | '\t' | '\u{2028}' | '\u{2029}')
    })
}

/// [`visible`] for an owned string (returned as it is when nothing is replaced).
pub fn visible_string(s: String) -> String {
    match visible(&s) {
        Cow::Borrowed(_) => s,
        Cow::Owned(o) => o,
    }
}

/// Serialised JSON `json` with the characters [`is_hidden`] that JSON leaves raw (DEL, C1,
/// bidirectional controls) written as `\uXXXX` escapes. Such characters can only stand inside
/// strings in serde_json's output, so the document means exactly the same.
pub fn json_escape_rest(json: String) -> String {
    if !may_hide(&json) || !json.chars().any(|c| c != '\n' && is_hidden(c)) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c != '\n' && is_hidden(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible_escapes_and_the_rest_is_untouched() {
        assert_eq!(
            visible("a\u{0}b\u{1b}[31mc\r\u{7f}\u{85}\u{9b}\u{202e}\u{2066}"),
            r"a\u{0}b\u{1b}[31mc\u{d}\u{7f}\u{85}\u{9b}\u{202e}\u{2066}"
        );
        for s in [
            "vmk0",
            "管理网络",
            "tab\tand\nline",
            "",
            "é ü \u{a0} \u{2014} \u{200f}",
        ] {
            assert!(matches!(visible(s), Cow::Borrowed(_)), "{s:?}");
        }
    }

    #[test]
    fn json_keeps_the_text_with_escapes() {
        let original = "x\u{1b}\u{7f}\u{85}\u{202e}y\n";
        let json = serde_json::to_string_pretty(&serde_json::json!({ "h": original })).unwrap();
        assert!(json.contains('\u{7f}'), "serde_json writes DEL raw");
        let out = json_escape_rest(json);
        assert!(!out.chars().any(|c| c != '\n' && is_hidden(c)), "{out:?}");
        assert!(out.contains(r"x\u001b\u007f\u0085\u202ey\n"), "{out}");
        let back: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back["h"], original);
    }
}
