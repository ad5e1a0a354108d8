//! Named choices: config values and command-line words that pick one of a few options
//! (`security = "starttls"`, `--format html,csv`, `fail_on = "warning"`).
//!
//! A type lists its choices once ([`Choice`]); [`parse`] reads a name and [`deserialize`] lets
//! serde read it straight into the enum, so a config file never holds a string that is checked
//! later and unwrapped. An unknown name is an [`Unknown`] error that lists the choices and, when
//! one is close, says "did you mean"; read from a TOML file, the error carries the value's line
//! and column (see [`crate::error::toml_error`]).

use std::fmt;

/// An enum whose values are picked by name.
pub trait Choice: Copy + Sized + 'static {
    /// What a name names, for messages: `report format`, `send value`.
    const WHAT: &'static str;
    /// Every choice, in the order messages list them.
    const ALL: &'static [Self];

    /// The name of this choice.
    fn name(self) -> &'static str;

    /// The choice `s` names. Exact by default; a type may accept more (case, blanks).
    fn from_name(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.name() == s)
    }
}

/// A name that is none of the choices.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{value}`{place} (expected {expected}){hint}")]
pub struct Unknown {
    what: &'static str,
    value: String,
    /// Where the name was given, e.g. ` in --format`; empty when the location says it.
    place: String,
    expected: String,
    hint: String,
}

impl Unknown {
    /// `value` among `names` (the hint is computed here).
    pub fn new(what: &'static str, value: &str, names: &[&str]) -> Unknown {
        Unknown {
            what,
            value: value.to_string(),
            place: String::new(),
            expected: expected(names),
            hint: crate::error::did_you_mean(value, names.iter().copied()),
        }
    }

    /// Say where the name was given (`--format`), for errors that have no file location.
    pub fn given_in(mut self, place: &str) -> Unknown {
        self.place = format!(" in {place}");
        self
    }
}

/// `a, b or c`.
pub fn expected(names: &[&str]) -> String {
    match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The names of `T`'s choices.
pub fn names<T: Choice>() -> Vec<&'static str> {
    T::ALL.iter().map(|c| c.name()).collect()
}

/// The choice `s` names.
pub fn parse<T: Choice>(s: &str) -> Result<T, Unknown> {
    T::from_name(s).ok_or_else(|| Unknown::new(T::WHAT, s, &names::<T>()))
}

/// Every name in `list` as a choice, each once, in the order given.
pub fn parse_set<'a, T: Choice + PartialEq>(
    list: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<T>, Unknown> {
    let mut out = Vec::new();
    for s in list {
        let c = parse::<T>(s)?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}

/// Serde: read a string and take the choice it names (for `impl Deserialize`).
pub fn deserialize<'de, T: Choice, D: serde::Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    struct Visitor<T>(std::marker::PhantomData<T>);
    impl<T: Choice> serde::de::Visitor<'_> for Visitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "one of {}", expected(&names::<T>()))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
            parse(v).map_err(E::custom)
        }
    }
    d.deserialize_str(Visitor(std::marker::PhantomData))
}

/// Implement `Deserialize` (through [`deserialize`]) and `Display` (the name) for a [`Choice`].
#[macro_export]
macro_rules! choice_serde {
    ($t:ty) => {
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::choice::deserialize(d)
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::choice::Choice::name(*self))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Colour {
        Red,
        Green,
        Blue,
    }

    impl Choice for Colour {
        const WHAT: &'static str = "colour";
        const ALL: &'static [Self] = &[Colour::Red, Colour::Green, Colour::Blue];
        fn name(self) -> &'static str {
            match self {
                Colour::Red => "red",
                Colour::Green => "green",
                Colour::Blue => "blue",
            }
        }
    }
    crate::choice_serde!(Colour);

    #[derive(Debug, serde::Deserialize)]
    struct Doc {
        #[allow(dead_code)]
        colour: serde_spanned::Spanned<Colour>,
    }

    #[test]
    fn names_parse_and_unknown_names_list_the_choices() {
        assert_eq!(parse::<Colour>("green"), Ok(Colour::Green));
        assert_eq!(
            parse::<Colour>("gren").unwrap_err().to_string(),
            "unknown colour `gren` (expected red, green or blue); did you mean `green`?"
        );
        assert_eq!(
            parse::<Colour>("pink")
                .unwrap_err()
                .given_in("--colour")
                .to_string(),
            "unknown colour `pink` in --colour (expected red, green or blue)"
        );
        assert_eq!(
            parse_set::<Colour>(["blue", "red", "blue"]),
            Ok(vec![Colour::Blue, Colour::Red])
        );
        assert_eq!(Colour::Blue.to_string(), "blue");
        assert_eq!(expected(&["a"]), "a");
    }

    #[test]
    fn toml_errors_are_located_at_the_value() {
        let text = "\n\ncolour = \"bleu\"\n";
        let e = toml::from_str::<Doc>(text).unwrap_err();
        let err = crate::error::toml_error(std::path::Path::new("c.toml"), text, &e).to_string();
        assert_eq!(
            err,
            "c.toml:3:10: unknown colour `bleu` (expected red, green or blue); did you mean `blue`?"
        );
        let e = toml::from_str::<Doc>("colour = 3\n").unwrap_err();
        assert!(
            e.message().contains("expected one of red, green or blue"),
            "{e}"
        );
    }
}
