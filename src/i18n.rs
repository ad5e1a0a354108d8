//! Report languages.
//!
//! Reports speak English and Simplified Chinese. Text that the rules produce carries both
//! languages ([`Text`]); the renderer picks one with [`Lang`].

use serde::{Deserialize, Serialize};

/// A report language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    #[serde(rename = "en")]
    En,
    #[serde(rename = "zh-CN")]
    ZhCn,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// Parse `en` or `zh-CN` (also `zh`, `zh-cn`, `zh_CN`).
    pub fn parse(s: &str) -> Option<Lang> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "en" | "en-us" | "en-gb" => Some(Lang::En),
            "zh" | "zh-cn" | "zh-hans" => Some(Lang::ZhCn),
            _ => None,
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Lang::parse(s).ok_or_else(|| format!("unknown language `{s}` (expected `en` or `zh-CN`)"))
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A piece of text in both report languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub en: String,
    pub zh: String,
}

impl Text {
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> Self {
        Text {
            en: en.into(),
            zh: zh.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::ZhCn => &self.zh,
        }
    }
}

/// Build a [`Text`] from two format strings sharing the same arguments in scope:
/// `text!("vmk {dev} has MTU {mtu}", "vmk {dev} 的 MTU 为 {mtu}")`.
#[macro_export]
macro_rules! text {
    ($en:expr, $zh:expr $(,)?) => {
        $crate::i18n::Text {
            en: format!($en),
            zh: format!($zh),
        }
    };
}
