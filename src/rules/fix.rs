//! Fix templates: the commands that fix a rule's finding, declared with the rule.
//!
//! A rule with a deterministic fix declares a [`FixTemplate`]: esxcli commands (run on the host
//! itself) and PowerCLI commands (run against vCenter, `$vmhost` being the host) with `{name}`
//! placeholders (a name of letters, digits and `_`; any other brace, such as a PowerShell script
//! block, is literal). When the rule fires, the engine fills the placeholders from the finding:
//! `{object}` is the finding's object and any other name is an argument of the finding's message
//! or remediation of the same name (`{dev}`, `{mtu}`, …). Every value is quoted for its shell
//! (POSIX sh single quotes, PowerShell single quotes), and a value with a control character or
//! a placeholder without a value gives no commands at all: the fix scripts then list the finding
//! with its manual steps. vmkaudit writes these commands into `remediation.sh` and
//! `remediation.ps1` for a person to review; it never runs them.

use crate::findings::Fix;

/// The commands that fix a rule's finding, with `{name}` placeholders.
#[derive(Debug, Clone, Copy)]
pub struct FixTemplate {
    /// esxcli / ESXi Shell commands, one per line, run on the host. Empty when only vCenter can
    /// make the change (a distributed switch, for instance).
    pub esxcli: &'static [&'static str],
    /// PowerCLI commands; `$vmhost` is the host object (`Get-VMHost`). Empty when there is none.
    pub powercli: &'static [&'static str],
}

impl FixTemplate {
    /// The filled commands, or `None` when a placeholder has no value or a value cannot be
    /// quoted safely (a control character).
    pub fn fill(&self, value: &dyn Fn(&str) -> Option<String>) -> Option<Fix> {
        let fill_all = |lines: &[&str], quote: fn(&str) -> String| {
            lines
                .iter()
                .map(|l| fill(l, value, quote))
                .collect::<Option<Vec<_>>>()
        };
        Some(Fix {
            esxcli: fill_all(self.esxcli, sh_quote)?,
            powercli: fill_all(self.powercli, ps_quote)?,
        })
    }

    /// The placeholder names the template uses.
    pub fn placeholders(&self) -> std::collections::BTreeSet<&'static str> {
        self.esxcli
            .iter()
            .chain(self.powercli)
            .flat_map(|l| pieces(l))
            .filter_map(|p| match p {
                Piece::Name(n) => Some(n),
                Piece::Text(_) => None,
            })
            .collect()
    }
}

enum Piece<'a> {
    Text(&'a str),
    Name(&'a str),
}

/// A template as literal text and `{name}` placeholders.
fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let rest = template;
    let mut text_start = 0;
    let mut at = 0;
    while let Some(open) = rest[at..].find('{').map(|i| at + i) {
        let name_len = rest[open + 1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len() - open - 1);
        let name = &rest[open + 1..open + 1 + name_len];
        let closed = rest[open + 1 + name_len..].starts_with('}');
        if name_len > 0 && closed && !name.starts_with(|c: char| c.is_ascii_digit()) {
            out.push(Piece::Text(&rest[text_start..open]));
            out.push(Piece::Name(name));
            text_start = open + name_len + 2;
            at = text_start;
        } else {
            at = open + 1;
        }
    }
    out.push(Piece::Text(&rest[text_start..]));
    out
}

fn fill(
    template: &str,
    value: &dyn Fn(&str) -> Option<String>,
    quote: fn(&str) -> String,
) -> Option<String> {
    let mut out = String::with_capacity(template.len() + 16);
    for p in pieces(template) {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Name(n) => {
                let v = value(n)?;
                if v.is_empty() || v.chars().any(char::is_control) {
                    return None;
                }
                out.push_str(&quote(&v));
            }
        }
    }
    Some(out)
}

/// `value` for a POSIX shell: as it is when it holds only characters no shell treats
/// specially, else in single quotes (a quote inside written as `'\''`).
pub fn sh_quote(value: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:@%+=,".contains(c);
    if !value.is_empty() && value.chars().all(plain) && !value.starts_with('-') {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

/// `value` for PowerShell: as it is when it is a plain number, else in single quotes, every
/// single quote PowerShell knows (`'` and the typographic ones U+2018–U+201B) doubled.
pub fn ps_quote(value: &str) -> String {
    if !value.is_empty() && value.chars().all(|c| c.is_ascii_digit()) {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: FixTemplate = FixTemplate {
        esxcli: &["esxcli network ip interface set -i {object} -m {mtu}"],
        powercli: &[
            "Get-VMHostNetworkAdapter -VMHost $vmhost -VMKernel -Name {object} | Set-VMHostNetworkAdapter -Mtu {mtu} -Confirm:$false",
        ],
    };

    fn values<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn placeholders_are_filled_and_quoted_per_shell() {
        let fix = T
            .fill(&values(&[("object", "vmk1"), ("mtu", "9000")]))
            .unwrap();
        assert_eq!(
            fix.esxcli,
            ["esxcli network ip interface set -i vmk1 -m 9000"]
        );
        assert_eq!(
            fix.powercli,
            ["Get-VMHostNetworkAdapter -VMHost $vmhost -VMKernel -Name 'vmk1' | Set-VMHostNetworkAdapter -Mtu 9000 -Confirm:$false"]
        );
        assert_eq!(
            T.placeholders().into_iter().collect::<Vec<_>>(),
            ["mtu", "object"]
        );
    }

    #[test]
    fn hostile_values_stay_one_argument() {
        let fix = T
            .fill(&values(&[
                ("object", "vmk1'; rm -rf / #’$(x)"),
                ("mtu", "9000"),
            ]))
            .unwrap();
        assert_eq!(
            fix.esxcli[0],
            r"esxcli network ip interface set -i 'vmk1'\''; rm -rf / #’$(x)' -m 9000"
        );
        assert!(fix.powercli[0].contains(r"-Name 'vmk1''; rm -rf / #’’$(x)' |"));
        // A leading dash is quoted (never read as an option); so is an empty-looking value.
        assert_eq!(sh_quote("-x"), "'-x'");
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(ps_quote("12a"), "'12a'");
    }

    #[test]
    fn script_blocks_are_literal() {
        let t = FixTemplate {
            esxcli: &[],
            powercli: &[
                "Get-VMHostService -VMHost $vmhost | Where-Object { $_.Key -eq {key} } | Stop-VMHostService -Confirm:$false",
            ],
        };
        let fix = t.fill(&values(&[("key", "TSM-SSH")])).unwrap();
        assert_eq!(
            fix.powercli,
            ["Get-VMHostService -VMHost $vmhost | Where-Object { $_.Key -eq 'TSM-SSH' } | Stop-VMHostService -Confirm:$false"]
        );
        assert!(fix.esxcli.is_empty());
        assert_eq!(t.placeholders().into_iter().collect::<Vec<_>>(), ["key"]);
    }

    #[test]
    fn no_commands_when_a_value_is_missing_or_has_a_control_character() {
        assert_eq!(T.fill(&values(&[("object", "vmk1")])), None);
        assert_eq!(
            T.fill(&values(&[("object", "vmk1\nreboot"), ("mtu", "9000")])),
            None
        );
        assert_eq!(T.fill(&values(&[("object", ""), ("mtu", "9000")])), None);
    }
}
