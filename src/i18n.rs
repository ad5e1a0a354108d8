//! Report languages and the one translation mechanism.
//!
//! English is the source language and stays in the code next to its use: rule documentation in
//! the rule declarations, report labels in `LABELS` (src/render/labels.rs), messages in
//! [`msg!`](crate::msg!) calls. Every translatable string has a stable key (`GW001.summary`,
//! `label.hosts_checked`, `GW001.message`); each other language is one flat TOML catalog in
//! `locales/` (`"GW001.summary" = "…"`), embedded in the binary and listed once in
//! [`LANGUAGES`]. A message is kept as its key, English template and arguments ([`Msg`]) and
//! rendered in a language when the report is written: the catalog's template (the English one
//! when the catalog lacks the key) with its `{name}` placeholders replaced by the arguments, each
//! of which may itself be translatable (a [`Msg`], or a list joined with the language's
//! separator). `tests/it/i18n.rs` keeps every catalog complete, without unused keys and with the
//! English placeholders.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::OnceLock;

/// A report language: one line of [`LANGUAGES`].
#[derive(Debug)]
pub struct Language {
    /// BCP 47 tag, as written in `findings.json` and `<html lang>`.
    pub code: &'static str,
    /// Other spellings `--lang` and `[report] language` accept (lower case, `-` for `_`).
    pub aliases: &'static [&'static str],
    /// The language's name in itself (`vmkaudit rules ID` heads its section with it).
    pub name: &'static str,
    /// The catalog (`locales/<code>.toml`); `None` for English, the source language.
    pub catalog: Option<&'static str>,
}

/// Every report language. English, the source, comes first. Adding a language is one catalog
/// file in `locales/` and one line here.
pub const LANGUAGES: &[Language] = &[
    Language {
        code: "en",
        aliases: &["en-us", "en-gb"],
        name: "English",
        catalog: None,
    },
    Language {
        code: "zh-CN",
        aliases: &["zh", "zh-hans"],
        name: "中文",
        catalog: Some(include_str!("../locales/zh-CN.toml")),
    },
];

/// A report language: an index into [`LANGUAGES`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Lang(u8);

impl Lang {
    /// English, the source language.
    #[allow(non_upper_case_globals)]
    pub const En: Lang = Lang(0);
    /// Simplified Chinese (the name the code has always used for it).
    #[allow(non_upper_case_globals)]
    pub const ZhCn: Lang = Lang::by_code("zh-CN");

    /// Every language of [`LANGUAGES`], in its order.
    pub const ALL: [Lang; LANGUAGES.len()] = {
        let mut all = [Lang(0); LANGUAGES.len()];
        let mut i = 0;
        while i < all.len() {
            all[i] = Lang(i as u8);
            i += 1;
        }
        all
    };

    /// The language whose code is `code` (exactly); a compile error in a constant otherwise.
    const fn by_code(code: &str) -> Lang {
        let mut i = 0;
        while i < LANGUAGES.len() {
            let c = LANGUAGES[i].code.as_bytes();
            let want = code.as_bytes();
            if c.len() == want.len() {
                let mut j = 0;
                while j < c.len() && c[j] == want[j] {
                    j += 1;
                }
                if j == c.len() {
                    return Lang(i as u8);
                }
            }
            i += 1;
        }
        panic!("no such language in LANGUAGES");
    }

    /// Its position in [`LANGUAGES`] (and [`Lang::ALL`]).
    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    /// Its line of [`LANGUAGES`].
    pub fn language(self) -> &'static Language {
        &LANGUAGES[self.index()]
    }

    /// `en`, `zh-CN`.
    pub fn code(self) -> &'static str {
        self.language().code
    }

    /// Whether this is English, the source language.
    pub fn is_source(self) -> bool {
        self == Lang::En
    }

    /// Parse a language code or one of its aliases, case-insensitively and with `_` for `-`
    /// (`zh-CN`, `zh_CN`, `zh`, `en-GB`).
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.to_ascii_lowercase().replace('_', "-");
        Lang::ALL.into_iter().find(|l| {
            let lang = l.language();
            lang.code.eq_ignore_ascii_case(&s) || lang.aliases.contains(&s.as_str())
        })
    }
}

/// The language codes as a phrase: `` `en` or `zh-CN` `` (quoted) or `en or zh-CN`.
pub fn codes_phrase(quoted: bool) -> String {
    let codes: Vec<String> = LANGUAGES
        .iter()
        .map(|l| {
            if quoted {
                format!("`{}`", l.code)
            } else {
                l.code.to_string()
            }
        })
        .collect();
    match codes.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => codes.concat(),
    }
}

/// A language name that is neither a code nor an alias of [`LANGUAGES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language `{given}` (expected {})", codes_phrase(true))]
pub struct UnknownLanguage {
    pub given: String,
}

impl std::str::FromStr for Lang {
    type Err = UnknownLanguage;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Lang::parse(s).ok_or_else(|| UnknownLanguage {
            given: s.to_string(),
        })
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl std::fmt::Debug for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Lang({})", self.code())
    }
}

impl serde::Serialize for Lang {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Lang {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Parse a catalog: a flat TOML table of string values (`"GW001.summary" = "…"`).
pub fn parse_catalog(text: &str) -> Result<BTreeMap<String, String>, toml::de::Error> {
    toml::from_str(text)
}

/// The catalog of `lang` (empty for English).
pub fn catalog(lang: Lang) -> &'static BTreeMap<String, String> {
    static CATALOGS: OnceLock<Vec<BTreeMap<String, String>>> = OnceLock::new();
    let all = CATALOGS.get_or_init(|| {
        LANGUAGES
            .iter()
            .map(|l| {
                l.catalog
                    .map(|text| {
                        parse_catalog(text).unwrap_or_else(|e| {
                            panic!("the embedded catalog of {} is invalid: {e}", l.code)
                        })
                    })
                    .unwrap_or_default()
            })
            .collect()
    });
    &all[lang.index()]
}

/// The translation of `key` in `lang`, or `english` (English, or a key the catalog lacks).
pub fn tr(lang: Lang, key: &str, english: &'static str) -> &'static str {
    if lang.is_source() {
        return english;
    }
    catalog(lang).get(key).map_or(english, String::as_str)
}

/// A piece of a template: literal text or a `{name}` placeholder.
enum Piece<'a> {
    Text(&'a str),
    Arg(&'a str),
}

/// Split a template into text and `{name}` placeholders; `{{` and `}}` are literal braces
/// (as in `format!`), any other brace is kept as it is.
fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(at) = rest.find(['{', '}']) {
        if at > 0 {
            out.push(Piece::Text(&rest[..at]));
        }
        let tail = &rest[at..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push(Piece::Text(&tail[..1]));
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('{') {
            if let Some(end) = tail.find('}') {
                let name = &tail[1..end];
                if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    out.push(Piece::Arg(name));
                    rest = &tail[end + 1..];
                    continue;
                }
            }
        }
        out.push(Piece::Text(&tail[..1]));
        rest = &tail[1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

/// The `{name}` placeholders of a template.
pub fn placeholders(template: &str) -> BTreeSet<&str> {
    pieces(template)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Arg(name) => Some(name),
            Piece::Text(_) => None,
        })
        .collect()
}

/// A translatable message: its key, English template and arguments, rendered in a language by
/// [`Msg::render`]. Build it with [`msg!`](crate::msg!).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    key: &'static str,
    english: &'static str,
    args: Vec<(&'static str, Arg)>,
}

/// A value for a placeholder of a [`Msg`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Text that is the same in every language (names, addresses, numbers, commands).
    Text(String),
    /// Text that is translated itself.
    Msg(Box<Msg>),
    /// Items joined with the language's separator.
    List(Vec<Arg>, Separator),
}

/// How a list [`Arg`] joins its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    /// `a, b, c` (`list.separator`).
    Comma,
    /// `a; b; c`, for items that are clauses themselves (`list.clause_separator`).
    Semicolon,
}

impl Separator {
    fn text(self, lang: Lang) -> String {
        match self {
            Separator::Comma => crate::msg!("list.separator", ", ").render(lang),
            Separator::Semicolon => crate::msg!("list.clause_separator", "; ").render(lang),
        }
    }
}

/// What may fill a placeholder: anything displayable (the same in every language), a [`Msg`]
/// or an [`Arg`].
pub trait ToArg {
    fn to_arg(self) -> Arg;
}

impl<T: std::fmt::Display> ToArg for T {
    fn to_arg(self) -> Arg {
        Arg::Text(self.to_string())
    }
}

impl ToArg for Msg {
    fn to_arg(self) -> Arg {
        Arg::Msg(Box::new(self))
    }
}

impl ToArg for Arg {
    fn to_arg(self) -> Arg {
        self
    }
}

impl ToArg for &Msg {
    fn to_arg(self) -> Arg {
        self.clone().to_arg()
    }
}

impl ToArg for &Arg {
    fn to_arg(self) -> Arg {
        self.clone()
    }
}

/// A list whose items are joined with the language's list separator (`, `, `、`).
pub fn list<T: ToArg>(items: impl IntoIterator<Item = T>) -> Arg {
    Arg::List(
        items.into_iter().map(ToArg::to_arg).collect(),
        Separator::Comma,
    )
}

/// A list of clauses, joined with the language's clause separator (`; `, `；`).
pub fn clauses<T: ToArg>(items: impl IntoIterator<Item = T>) -> Arg {
    Arg::List(
        items.into_iter().map(ToArg::to_arg).collect(),
        Separator::Semicolon,
    )
}

impl Arg {
    fn write(&self, lang: Lang, out: &mut String) {
        match self {
            Arg::Text(s) => out.push_str(s),
            Arg::Msg(m) => m.write(lang, out),
            Arg::List(items, sep) => {
                let sep = if items.len() > 1 {
                    sep.text(lang)
                } else {
                    String::new()
                };
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(&sep);
                    }
                    item.write(lang, out);
                }
            }
        }
    }
}

impl Msg {
    /// Use [`msg!`](crate::msg!), which also checks at compile time that the arguments are exactly the
    /// English template's placeholders.
    pub fn new(key: &'static str, english: &'static str, args: Vec<(&'static str, Arg)>) -> Msg {
        Msg { key, english, args }
    }

    /// The value of argument `name` when it is plain text (a name, address or number, the same
    /// in every language), looking into nested messages too; for fix templates.
    pub fn text_arg(&self, name: &str) -> Option<&str> {
        self.args.iter().find_map(|(n, a)| match a {
            Arg::Text(t) if *n == name => Some(t.as_str()),
            Arg::Msg(m) => m.text_arg(name),
            _ => None,
        })
    }

    /// The stable key (`GW001.message`).
    pub fn key(&self) -> &'static str {
        self.key
    }

    /// The English template.
    pub fn english(&self) -> &'static str {
        self.english
    }

    /// The message in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        let mut out = String::new();
        self.write(lang, &mut out);
        out
    }

    fn write(&self, lang: Lang, out: &mut String) {
        for piece in pieces(tr(lang, self.key, self.english)) {
            match piece {
                Piece::Text(s) => out.push_str(s),
                Piece::Arg(name) => match self.args.iter().find(|(n, _)| *n == name) {
                    Some((_, arg)) => arg.write(lang, out),
                    None => {
                        // A catalog placeholder the English lacks: tests/it/i18n.rs rules it out.
                        debug_assert!(false, "{}: no argument `{name}`", self.key);
                        let _ = write!(out, "{{{name}}}");
                    }
                },
            }
        }
    }
}

/// A translatable message: `msg!(key, english template, arguments...)`.
///
/// The key is stable and names the message in every catalog (`"GW001.message"`); the English
/// template uses `{name}` placeholders (`{{`/`}}` for literal braces); each argument is
/// `name = expr` (taken by value) or, for a variable of the same name, just `name` (borrowed). An argument is anything
/// displayable (the same in every language), a [`Msg`] or a list ([`list`], [`clauses`]).
/// The placeholders and the arguments must match exactly, which the compiler checks.
///
/// ```
/// use vmkaudit::i18n::{list, Lang};
/// let stack = "vmotion";
/// let m = vmkaudit::msg!("example.gateways", "{n} gateways on {stack}: {gws}.",
///     n = 2, stack, gws = list(["10.0.0.1", "10.0.0.2"]));
/// assert_eq!(m.render(Lang::En), "2 gateways on vmotion: 10.0.0.1, 10.0.0.2.");
/// ```
#[macro_export]
macro_rules! msg {
    ($key:literal, $english:literal $(, $($args:tt)*)?) => {
        $crate::__msg!($key, $english; []; $($($args)*)?)
    };
}

/// The argument muncher of [`msg!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __msg {
    ($key:literal, $english:literal; [$($name:ident = $e:expr,)*]; $(,)?) => {{
        // Never called: makes `format!` check that the placeholders are exactly the arguments.
        #[allow(dead_code, clippy::useless_format)]
        fn placeholders_are_the_arguments() -> ::std::string::String {
            ::std::format!($english $(, $name = 0)*)
        }
        $crate::i18n::Msg::new(
            $key,
            $english,
            ::std::vec![$((::std::stringify!($name), $crate::i18n::ToArg::to_arg($e))),*],
        )
    }};
    ($key:literal, $english:literal; [$($done:tt)*]; $name:ident = $e:expr $(, $($rest:tt)*)?) => {
        $crate::__msg!($key, $english; [$($done)* $name = $e,]; $($($rest)*)?)
    };
    ($key:literal, $english:literal; [$($done:tt)*]; $name:ident $(, $($rest:tt)*)?) => {
        $crate::__msg!($key, $english; [$($done)* $name = &$name,]; $($($rest)*)?)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_parse_by_code_and_alias() {
        for (s, code) in [
            ("en", "en"),
            ("EN", "en"),
            ("en-US", "en"),
            ("en_gb", "en"),
            ("zh-CN", "zh-CN"),
            ("zh_CN", "zh-CN"),
            ("zh-cn", "zh-CN"),
            ("zh", "zh-CN"),
            ("zh-Hans", "zh-CN"),
        ] {
            assert_eq!(Lang::parse(s).map(Lang::code), Some(code), "{s}");
        }
        for s in ["fr", "", "zh-TW", "english"] {
            assert_eq!(Lang::parse(s), None, "{s}");
        }
        let err = "de".parse::<Lang>().unwrap_err().to_string();
        assert_eq!(err, "unknown language `de` (expected `en` or `zh-CN`)");
        assert_eq!(codes_phrase(false), "en or zh-CN");
        assert_eq!(Lang::default(), Lang::En);
        assert_eq!(Lang::ZhCn.code(), "zh-CN");
        assert_eq!(Lang::ALL.len(), LANGUAGES.len());
        assert_eq!(
            serde_json::to_string(&Lang::ALL).unwrap(),
            r#"["en","zh-CN"]"#
        );
        let back: Vec<Lang> = serde_json::from_str(r#"["en","zh-CN"]"#).unwrap();
        assert_eq!(back, Lang::ALL);
    }

    #[test]
    fn templates_split_into_text_and_placeholders() {
        let p = placeholders("{a} and {b_2}, {{not}} {a} { x } {} {");
        assert_eq!(p.into_iter().collect::<Vec<_>>(), ["a", "b_2"]);
        let m = Msg::new(
            "test.braces",
            "Where {{$_.Key -eq \"{s}\"}} {missing-brace",
            vec![("s", "TSM".to_arg())],
        );
        assert_eq!(
            m.render(Lang::En),
            "Where {$_.Key -eq \"TSM\"} {missing-brace"
        );
    }

    #[test]
    fn messages_nest_and_lists_use_the_language_separator() {
        let stack = "vmotion";
        let items = vec![
            crate::msg!("test.item", "{gw} (stack)", gw = "10.0.0.1"),
            crate::msg!("test.item", "{gw} (stack)", gw = "10.0.0.2"),
        ];
        let m = crate::msg!(
            "test.outer",
            "{n} on {stack}: {gws}; {clauses}",
            n = 2,
            stack,
            gws = list(items),
            clauses = clauses(["a", "b"])
        );
        assert_eq!(
            m.render(Lang::En),
            "2 on vmotion: 10.0.0.1 (stack), 10.0.0.2 (stack); a; b"
        );
        // A key the catalog lacks falls back to English; the separators come from the catalog.
        assert_eq!(
            m.render(Lang::ZhCn),
            "2 on vmotion: 10.0.0.1 (stack)、10.0.0.2 (stack); a；b"
        );
        assert_eq!(
            list(["one"]).to_arg(),
            Arg::List(vec![Arg::Text("one".into())], Separator::Comma)
        );
        assert_eq!(
            crate::msg!("test.plain", "plain").render(Lang::ZhCn),
            "plain"
        );
    }

    #[test]
    fn translations_are_looked_up_by_key() {
        assert_eq!(tr(Lang::En, "list.separator", ", "), ", ");
        assert_eq!(tr(Lang::ZhCn, "list.separator", ", "), "、");
        assert_eq!(tr(Lang::ZhCn, "no.such.key", "English"), "English");
        assert!(catalog(Lang::En).is_empty());
        assert!(!catalog(Lang::ZhCn).is_empty());
    }

    #[test]
    fn a_dotted_key_left_unquoted_is_an_error() {
        // `GW001.summary = "x"` is a nested table in TOML, not the flat key the code looks up.
        assert!(parse_catalog("GW001.summary = \"x\"").is_err());
        assert!(parse_catalog("\"GW001.summary\" = 3").is_err());
        let ok = parse_catalog("\"GW001.summary\" = \"x\"").unwrap();
        assert_eq!(ok["GW001.summary"], "x");
    }
}
