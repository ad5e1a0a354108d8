//! Rule-set parameters (`[params]` in a rule set), each declared once, in the rule file that
//! owns it, as a `static` [`Param`]: its key, a description of its type, its default, its doc
//! and how a value is read and validated. The rule lists it in [`Rule::params`](super::Rule)
//! (a parameter shared by two rules is declared by one and referenced by the other); the rule
//! set reader (`evaluate::RuleSet`, a layer above) reads, validates and merges every declared key
//! generically, and `vmkaudit rules`, docs/rules.md and the rule-set reference document them
//! from the same declarations.
//!
//! A rule reads its value typed: `ctx.params.get(&sep004_unexpected_vlan::EXPECTED_VLAN)`.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserializer, Serialize};
use serde_spanned::Spanned;

use crate::error::{did_you_mean, toml_error, Error, Location, Result};
use crate::model::service;

/// A parsed parameter value (the `T` of its [`Param`]).
pub type Value = Arc<dyn Any + Send + Sync>;

/// Why a value is not valid: a message and, when it concerns part of the value (one entry of a
/// list, one key of a table), that part's span in the rule-set file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub span: Option<Range<usize>>,
    pub message: String,
}

impl Invalid {
    /// The whole value is wrong.
    pub fn value(message: impl Into<String>) -> Invalid {
        Invalid {
            span: None,
            message: message.into(),
        }
    }

    /// The part at `span` is wrong.
    pub fn at(span: Range<usize>, message: impl Into<String>) -> Invalid {
        Invalid {
            span: Some(span),
            message: message.into(),
        }
    }
}

/// A parameter: read from the rule set as `R` (serde, usually with [`Spanned`] parts so that a
/// wrong entry is located), validated into `T`.
pub struct Param<T: 'static, R: 'static = T> {
    /// The `[params]` key.
    pub name: &'static str,
    /// What the value is, for the docs (`table of service → VLAN ID (0..4095)`).
    pub ty: &'static str,
    /// What it does (English, one or two sentences).
    pub doc: &'static str,
    pub default: fn() -> T,
    /// Validate and convert the value read.
    pub read: fn(R) -> std::result::Result<T, Invalid>,
}

/// What the rule set reader and the docs need of a [`Param`], whatever its type.
pub trait ParamDecl: Sync {
    fn name(&self) -> &'static str;
    fn ty(&self) -> &'static str;
    /// What it does, in English (the source of the translations).
    fn doc(&self) -> &'static str;
    /// The catalog key of [`ParamDecl::doc`]: `param.<name>`.
    fn doc_key(&self) -> String {
        format!("param.{}", self.name())
    }
    /// What it does, in `lang` (translated through the language's catalog).
    fn doc_in(&self, lang: crate::i18n::Lang) -> &'static str {
        crate::i18n::tr(lang, &self.doc_key(), self.doc())
    }
    fn default_value(&self) -> Value;
    /// `value` written as TOML (`{ vmotion = 20 }`), for the docs.
    fn to_toml(&self, value: &Value) -> String;
    /// This key's value in the `[params]` table of rule set `text` (read from `path`), if the
    /// file sets it: read, validated, errors located at the value.
    fn read_from(&self, path: &Path, text: &str, at: Range<usize>) -> Result<Value>;
}

impl fmt::Debug for dyn ParamDecl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl<T, R> ParamDecl for Param<T, R>
where
    T: Serialize + Send + Sync + 'static,
    R: DeserializeOwned + 'static,
{
    fn name(&self) -> &'static str {
        self.name
    }
    fn ty(&self) -> &'static str {
        self.ty
    }
    fn doc(&self) -> &'static str {
        self.doc
    }
    fn default_value(&self) -> Value {
        Arc::new((self.default)())
    }
    fn to_toml(&self, value: &Value) -> String {
        value
            .downcast_ref::<T>()
            .and_then(|v| toml::Value::try_from(v).ok())
            .map(|v| inline(&v))
            .unwrap_or_default()
    }
    fn read_from(&self, path: &Path, text: &str, at: Range<usize>) -> Result<Value> {
        let de = toml::Deserializer::parse(text).map_err(|e| toml_error(path, text, &e))?;
        let raw: Option<R> = Pick::<R>::new(&["params", self.name])
            .deserialize(de)
            .map_err(|e| toml_error(path, text, &e))?;
        let raw = raw.ok_or_else(|| {
            Error::input(
                Location::from_offset(path, text, at.start),
                format!("cannot read `{}`", self.name),
            )
        })?;
        let value = (self.read)(raw).map_err(|inv| {
            let start = inv.span.map_or(at.start, |s| s.start);
            Error::input(Location::from_offset(path, text, start), inv.message)
        })?;
        Ok(Arc::new(value))
    }
}

/// TOML for a value on one line (inline tables, arrays on one line).
fn inline(v: &toml::Value) -> String {
    match v {
        toml::Value::Table(t) if t.is_empty() => "{}".into(),
        toml::Value::Table(t) => {
            let items: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{k} = {}", inline(v)))
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
        toml::Value::Array(a) => {
            let items: Vec<String> = a.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// Serde seed: from a table, only the value at `path` (`["params", name]`), read as `R`;
/// everything else is skipped.
struct Pick<'p, R> {
    path: &'p [&'p str],
    marker: std::marker::PhantomData<R>,
}

impl<'p, R> Pick<'p, R> {
    fn new(path: &'p [&'p str]) -> Self {
        Pick {
            path,
            marker: std::marker::PhantomData,
        }
    }
}

impl<'de, R: DeserializeOwned> DeserializeSeed<'de> for Pick<'_, R> {
    type Value = Option<R>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Option<R>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, R: DeserializeOwned> Visitor<'de> for Pick<'_, R> {
    type Value = Option<R>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a table")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Option<R>, A::Error> {
        let mut out = None;
        while let Some(key) = map.next_key::<String>()? {
            match self.path {
                [first] if key == *first => out = Some(map.next_value::<R>()?),
                [first, rest @ ..] if key == *first => {
                    out = map.next_value_seed(Pick::<R>::new(rest))?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// Every declared parameter, once each, in registry order.
pub fn declared() -> Vec<&'static dyn ParamDecl> {
    let mut out: Vec<&'static dyn ParamDecl> = Vec::new();
    for r in super::REGISTRY {
        for &p in r.params {
            if !out.iter().any(|q| q.name() == p.name()) {
                out.push(p);
            }
        }
    }
    out
}

/// The declared parameter with this key.
pub fn find(name: &str) -> Option<&'static dyn ParamDecl> {
    declared().into_iter().find(|p| p.name() == name)
}

/// The error for a `[params]` key no rule declares.
pub fn unknown(name: &str) -> String {
    if let Some(why) = super::retired::param(name) {
        return format!("parameter `{name}` was retired: {why}");
    }
    let names: Vec<&str> = declared().iter().map(|p| p.name()).collect();
    let hint = did_you_mean(name, names.iter().copied());
    if hint.is_empty() {
        format!(
            "unknown parameter `{name}` (parameters: {})",
            names.join(", ")
        )
    } else {
        format!("unknown parameter `{name}`{hint}")
    }
}

/// The IDs of the rules that read parameter `name`.
pub fn used_by(name: &str) -> Vec<&'static str> {
    super::REGISTRY
        .iter()
        .filter(|r| r.params.iter().any(|p| p.name() == name))
        .map(|r| r.id)
        .collect()
}

/// The parameter values of a rule set: one per declared parameter (its default unless the rule
/// set sets it).
#[derive(Clone)]
pub struct Params {
    values: BTreeMap<&'static str, Value>,
}

impl Default for Params {
    /// Every declared parameter at its default.
    fn default() -> Params {
        Params {
            values: declared()
                .into_iter()
                .map(|p| (p.name(), p.default_value()))
                .collect(),
        }
    }
}

impl Params {
    /// The value of `param`.
    ///
    /// # Panics
    /// When no rule of the registry lists `param` in its `params` (a programming error every
    /// rule's fixture test catches).
    pub fn get<T: Send + Sync + 'static, R>(&self, param: &Param<T, R>) -> &T {
        self.values
            .get(param.name)
            .and_then(|v| v.downcast_ref::<T>())
            .unwrap_or_else(|| {
                panic!(
                    "parameter `{}` is not declared by a rule of the registry",
                    param.name
                )
            })
    }

    /// Set the value of the declared parameter `name` (a value its declaration read).
    pub fn set(&mut self, name: &'static str, value: Value) {
        self.values.insert(name, value);
    }

    /// Each parameter with its value as TOML, in key order.
    pub fn to_toml(&self) -> Vec<(&'static str, String)> {
        declared()
            .into_iter()
            .filter_map(|p| Some((p.name(), p.to_toml(self.values.get(p.name())?))))
            .collect()
    }
}

impl fmt::Debug for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.to_toml()).finish()
    }
}

impl PartialEq for Params {
    fn eq(&self, other: &Params) -> bool {
        self.to_toml() == other.to_toml()
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers for reading values.

/// A vSphere service name (nicType), exactly.
pub fn service(key: &Spanned<String>) -> std::result::Result<String, Invalid> {
    let s = key.get_ref().trim();
    if service::ALL.contains(&s) {
        return Ok(s.to_string());
    }
    let hint = did_you_mean(s, service::ALL.iter().copied());
    Err(Invalid::at(
        key.span(),
        format!(
            "unknown service `{s}` (expected a vSphere nicType: {}){hint}",
            service::ALL.join(", ")
        ),
    ))
}

/// A table of service → number in `range`, e.g. `{ vmotion = 20 }`; `what` names the number
/// in the out-of-range message (`VLAN ID`).
pub fn service_numbers<N: TryFrom<i64> + PartialOrd + Copy>(
    raw: BTreeMap<Spanned<String>, Spanned<i64>>,
    what: &str,
    range: std::ops::RangeInclusive<N>,
    range_text: &str,
) -> std::result::Result<BTreeMap<String, N>, Invalid> {
    let mut out = BTreeMap::new();
    for (k, v) in &raw {
        let n = N::try_from(*v.get_ref())
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                Invalid::at(
                    v.span(),
                    format!("{what} {} is out of range ({range_text})", v.get_ref()),
                )
            })?;
        out.insert(service(k)?, n);
    }
    Ok(out)
}

/// A list of names, trimmed.
pub fn trimmed<C: FromIterator<String>>(raw: Vec<String>) -> std::result::Result<C, Invalid> {
    Ok(raw.into_iter().map(|s| s.trim().to_string()).collect())
}

/// Strings as a set.
pub fn string_set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}
