//! The run history in the reports: the configuration changes since the previous run
//! ([`crate::drift`], kept in `findings.json` as `drift`) and the trend of findings by severity
//! over the kept runs (`trend`).
//!
//! [`view`] makes the "Changed since the previous run" table of report.html (at most
//! [`super::view::TABLE_ROWS`] rows; `changes.csv` has them all), [`trend_chart`] the inline
//! SVG line chart (a dash pattern and a marker shape per severity, so it reads in black and
//! white print too), [`trend_table`] the same as rows for the email, [`changes_csv`] the CSV
//! file and [`email_lines`] the plain-text summary. Words come from [`super::labels`]; a value
//! is shown as the inventory has it, except `true`/`false` (yes/no), none, and a ruleset open
//! to every address.

use serde::Serialize;

use super::labels::label;
use crate::drift::{Change, Counts, Field, Item, Kind, ALL_IPS};
use crate::findings::{FindingsFile, Severity, TrendPoint};
use crate::i18n::Lang;

/// The rows of changes the email lists.
pub const EMAIL_CHANGES: usize = 20;
/// The runs the email's trend table lists (the newest).
pub const EMAIL_TREND_RUNS: usize = 10;

fn kind_key(k: Kind) -> &'static str {
    match k {
        Kind::Added => "drift_added",
        Kind::Removed => "drift_removed",
        Kind::Changed => "drift_changed",
        Kind::Unverified => "drift_unverified",
    }
}

fn item_key(i: Item) -> &'static str {
    match i {
        Item::Host => "item_host",
        Item::Vmk => "item_vmk",
        Item::Netstack => "item_netstack",
        Item::Switch => "item_switch",
        Item::Firewall => "item_firewall",
        Item::Ruleset => "item_ruleset",
        Item::Service => "item_service",
    }
}

fn field_key(f: Field) -> &'static str {
    match f {
        Field::Ipv4 => "field_ipv4",
        Field::Netmask => "field_netmask",
        Field::Dhcp => "field_dhcp",
        Field::Ipv6 => "field_ipv6",
        Field::Gateway => "field_gateway",
        Field::Mtu => "field_mtu",
        Field::Services => "field_services",
        Field::Portgroup => "field_portgroup",
        Field::Switch => "field_switch",
        Field::Vlan => "field_vlan",
        Field::Netstack => "field_netstack",
        Field::Teaming => "field_teaming",
        Field::Routes => "field_routes",
        Field::Uplinks => "field_uplinks",
        Field::IncomingBlocked => "field_incoming_blocked",
        Field::OutgoingBlocked => "field_outgoing_blocked",
        Field::Enabled => "field_enabled",
        Field::AllowedIps => "field_allowed_ips",
        Field::Running => "field_running",
        Field::Policy => "field_policy",
        Field::Version => "field_version",
    }
}

pub fn kind(lang: Lang, k: Kind) -> &'static str {
    label(lang, kind_key(k))
}

pub fn item(lang: Lang, i: Item) -> &'static str {
    label(lang, item_key(i))
}

pub fn field(lang: Lang, f: Field) -> &'static str {
    label(lang, field_key(f))
}

/// A value of `field` as the reports show it.
fn value(lang: Lang, field: Option<Field>, v: Option<&str>) -> String {
    match (field, v) {
        (Some(_), None) => label(lang, "none").to_string(),
        (None, None) => String::new(),
        (Some(f), Some("true")) if f.is_flag() => label(lang, "yes").to_string(),
        (Some(f), Some("false")) if f.is_flag() => label(lang, "no").to_string(),
        (Some(Field::AllowedIps), Some(ALL_IPS)) => label(lang, "all_ips").to_string(),
        (_, Some(v)) => v.to_string(),
    }
}

/// One change as the report, the email and `changes.csv` show it.
#[derive(Debug, Serialize)]
pub struct ChangeRow {
    pub host: String,
    pub cluster: String,
    pub item: &'static str,
    pub object: Option<String>,
    /// `added`, `removed`, `changed` or `unverified`.
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub field: Option<&'static str>,
    pub before: String,
    pub after: String,
}

pub fn row(c: &Change, lang: Lang) -> ChangeRow {
    let after = match (c.kind, &c.after) {
        (Kind::Unverified, None) => label(lang, "not_collected").to_string(),
        (Kind::Unverified, Some(state)) => super::view::connection_state(lang, state),
        (_, after) => value(lang, c.field, after.as_deref()),
    };
    ChangeRow {
        host: c.host.clone(),
        cluster: super::view::cluster_label(lang, c.cluster.as_deref()),
        item: item(lang, c.item),
        object: c.object.clone(),
        kind: c.kind.as_str(),
        kind_label: kind(lang, c.kind),
        field: c.field.map(|f| field(lang, f)),
        before: value(lang, c.field, c.before.as_deref()),
        after,
    }
}

/// The "Changed since the previous run" part of the report.
#[derive(Debug, Serialize)]
pub struct DriftView {
    /// The previous run kept an inventory to compare with.
    pub compared: bool,
    pub counts: Counts,
    /// Configuration changes (not counting unverified hosts).
    pub total: usize,
    pub rows: Vec<ChangeRow>,
    /// Changes not listed (in changes.csv).
    pub omitted: usize,
}

/// The drift part of a run with a previous run (`None` without one), at most `max` rows.
pub fn view(ff: &FindingsFile, lang: Lang, max: usize) -> Option<DriftView> {
    ff.previous_run.as_ref()?;
    let changes = ff.drift.as_deref().unwrap_or_default();
    let counts = Counts::of(changes);
    Some(DriftView {
        compared: ff.drift.is_some(),
        counts,
        total: counts.drift(),
        rows: changes.iter().take(max).map(|c| row(c, lang)).collect(),
        omitted: changes.len().saturating_sub(max),
    })
}

/// `changes.csv`: every change since the previous run (no rows when nothing changed).
pub fn changes_csv(ff: &FindingsFile, lang: Lang) -> Vec<u8> {
    let header = [
        "host",
        "cluster",
        "drift_item",
        "object",
        "drift_change",
        "drift_field",
        "drift_before",
        "drift_after",
    ]
    .iter()
    .map(|k| label(lang, k))
    .collect();
    let rows = ff.drift.iter().flatten().map(|c| {
        let r = row(c, lang);
        vec![
            r.host,
            r.cluster,
            r.item.to_string(),
            r.object.unwrap_or_default(),
            r.kind_label.to_string(),
            r.field.unwrap_or_default().to_string(),
            r.before,
            r.after,
        ]
    });
    super::csv::to_bytes(header, rows)
}

/// The trend chart: one line per severity over the kept runs.
#[derive(Debug, Serialize)]
pub struct TrendChart {
    pub width: u32,
    pub height: u32,
    /// The plot area's left, right, top and bottom.
    pub left: u32,
    pub right: u32,
    pub top: u32,
    pub bottom: u32,
    /// Horizontal grid lines with their value.
    pub grid: Vec<GridLine>,
    pub lines: Vec<TrendLine>,
    /// Run labels under the x axis (thinned out to fit).
    pub ticks: Vec<Tick>,
    pub runs: usize,
    /// Description for screen readers: the first and last run's counts.
    pub summary: String,
}

#[derive(Debug, Serialize)]
pub struct GridLine {
    pub y: u32,
    pub text_y: u32,
    pub value: usize,
}

#[derive(Debug, Serialize)]
pub struct TrendLine {
    pub sev: &'static str,
    pub label: &'static str,
    /// SVG polyline points, `x,y x,y …`.
    pub points: String,
    pub marks: Vec<Mark>,
    /// The last value, written at the line's end.
    pub last: usize,
    pub last_x: u32,
    pub last_y: u32,
}

#[derive(Debug, Serialize)]
pub struct Mark {
    pub x: u32,
    pub y: u32,
    pub value: usize,
    pub run: String,
}

#[derive(Debug, Serialize)]
pub struct Tick {
    pub x: u32,
    pub label: String,
}

/// `2026-11-24T06:00:00+00:00` → `11-24 06:00`.
fn short(generated_at: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(generated_at) {
        Ok(t) => t.format("%m-%d %H:%M").to_string(),
        Err(_) => generated_at.chars().take(16).collect(),
    }
}

/// The chart of `trend`; `None` with fewer than two runs (nothing to draw a trend from).
pub fn trend_chart(trend: &[TrendPoint], lang: Lang) -> Option<TrendChart> {
    const WIDTH: u32 = 720;
    const HEIGHT: u32 = 220;
    const LEFT: u32 = 48;
    const RIGHT: u32 = WIDTH - 56;
    const TOP: u32 = 14;
    const BOTTOM: u32 = HEIGHT - 34;
    if trend.len() < 2 {
        return None;
    }
    let max = trend
        .iter()
        .flat_map(|p| Severity::ALL.map(|s| p.by_severity[s]))
        .max()
        .unwrap_or(0)
        .max(1);
    // A round top for the grid: 1, 2, 5 × 10^n.
    let mut top = 1;
    while top < max {
        top = match top.to_string().as_bytes()[0] {
            b'1' => top * 2,
            b'2' => top / 2 * 5,
            _ => top * 2,
        };
    }
    let n = trend.len() as u32;
    let x = |i: usize| LEFT + (RIGHT - LEFT) * i as u32 / (n - 1);
    let y = |v: usize| BOTTOM - ((BOTTOM - TOP) as u64 * v as u64 / top as u64) as u32;
    let values = if top % 2 == 0 {
        vec![0, top / 2, top]
    } else {
        vec![0, top]
    };
    let grid = values
        .into_iter()
        .map(|v| GridLine {
            y: y(v),
            text_y: y(v) + 4,
            value: v,
        })
        .collect();
    let lines = Severity::ALL
        .iter()
        .map(|&sev| {
            let marks: Vec<Mark> = trend
                .iter()
                .enumerate()
                .map(|(i, p)| Mark {
                    x: x(i),
                    y: y(p.by_severity[sev]),
                    value: p.by_severity[sev],
                    run: short(&p.generated_at),
                })
                .collect();
            let last = marks.last().expect("two runs or more");
            TrendLine {
                sev: sev.as_str(),
                label: super::labels::severity(lang, sev),
                points: marks
                    .iter()
                    .map(|m| format!("{},{}", m.x, m.y))
                    .collect::<Vec<_>>()
                    .join(" "),
                last: last.value,
                last_x: last.x + 8,
                last_y: last.y + 4,
                marks,
            }
        })
        .collect();
    // About one label per 90 px.
    let every = (trend.len() * 90).div_ceil((RIGHT - LEFT) as usize).max(1);
    let ticks = trend
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0 || *i == trend.len() - 1)
        .filter(|(i, _)| *i == trend.len() - 1 || trend.len() - 1 - i >= every)
        .map(|(i, p)| Tick {
            x: x(i),
            label: short(&p.generated_at),
        })
        .collect();
    let counts = |p: &TrendPoint| {
        Severity::ALL
            .iter()
            .map(|&s| format!("{} {}", p.by_severity[s], super::labels::severity(lang, s)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (first, last) = (&trend[0], &trend[trend.len() - 1]);
    Some(TrendChart {
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: RIGHT,
        top: TOP,
        bottom: BOTTOM,
        grid,
        lines,
        ticks,
        runs: trend.len(),
        summary: format!(
            "{} → {}: {} → {}",
            short(&first.generated_at),
            short(&last.generated_at),
            counts(first),
            counts(last)
        ),
    })
}

/// One run of the trend as a table row (the email's variant of the chart).
#[derive(Debug, Serialize)]
pub struct TrendRow {
    pub run: String,
    pub error: usize,
    pub warning: usize,
    pub info: usize,
}

/// The newest [`EMAIL_TREND_RUNS`] runs, oldest first; empty with fewer than two runs.
pub fn trend_table(trend: &[TrendPoint]) -> Vec<TrendRow> {
    if trend.len() < 2 {
        return Vec::new();
    }
    trend[trend.len().saturating_sub(EMAIL_TREND_RUNS)..]
        .iter()
        .map(|p| TrendRow {
            run: short(&p.generated_at),
            error: p.by_severity[Severity::Error],
            warning: p.by_severity[Severity::Warning],
            info: p.by_severity[Severity::Info],
        })
        .collect()
}

/// The plain-text email's lines about the changes and the trend.
pub fn email_lines(ff: &FindingsFile, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(v) = view(ff, lang, EMAIL_CHANGES) {
        out.push(String::new());
        out.push(format!("{}:", label(lang, "drift_title")));
        if !v.compared {
            out.push(format!("  {}", label(lang, "drift_no_baseline")));
        } else if v.rows.is_empty() {
            out.push(format!("  {}", label(lang, "drift_none")));
        } else {
            out.push(format!(
                "  {} {} · {} {} · {} {} · {} {}",
                v.counts.changed,
                label(lang, "drift_n_changed"),
                v.counts.added,
                label(lang, "drift_n_added"),
                v.counts.removed,
                label(lang, "drift_n_removed"),
                v.counts.unverified,
                label(lang, "drift_n_unverified"),
            ));
            for r in &v.rows {
                let object = r
                    .object
                    .as_deref()
                    .map(|o| format!(" {o}"))
                    .unwrap_or_default();
                let what = match r.field {
                    Some(f) => format!("{f}: {} → {}", r.before, r.after),
                    None if r.kind == "unverified" => format!("{} ({})", r.kind_label, r.after),
                    None => r.kind_label.to_string(),
                };
                out.push(format!("- {} {}{object}: {what}", r.host, r.item));
            }
            if v.omitted > 0 {
                out.push(format!("  … {} {}", v.omitted, label(lang, "drift_more")));
            }
        }
    }
    let rows = trend_table(&ff.trend);
    if !rows.is_empty() {
        out.push(String::new());
        out.push(format!(
            "{} ({} / {} / {}):",
            label(lang, "trend_title"),
            super::labels::severity(lang, Severity::Error),
            super::labels::severity(lang, Severity::Warning),
            super::labels::severity(lang, Severity::Info)
        ));
        for r in rows {
            out.push(format!(
                "  {}  {} / {} / {}",
                r.run, r.error, r.warning, r.info
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::testing::{file, finding};

    fn point(run: &str, at: &str, e: usize, w: usize) -> TrendPoint {
        let mut fs: Vec<_> = (0..e)
            .map(|i| finding("MTU004", &format!("e{i}"), None, Severity::Error))
            .collect();
        fs.extend((0..w).map(|i| finding("GW004", &format!("w{i}"), None, Severity::Warning)));
        TrendPoint {
            run: run.into(),
            generated_at: at.into(),
            by_severity: file(at, fs).summary.by_severity,
        }
    }

    #[test]
    fn trend_chart_needs_two_runs_and_scales_to_a_round_top() {
        let a = point("a", "2026-11-23T06:00:00+00:00", 3, 7);
        let b = point("b", "2026-11-24T06:00:00+00:00", 1, 12);
        assert!(trend_chart(std::slice::from_ref(&a), Lang::En).is_none());
        assert!(trend_table(std::slice::from_ref(&a)).is_empty());
        let c = trend_chart(&[a, b], Lang::En).unwrap();
        let grid: Vec<usize> = c.grid.iter().map(|g| g.value).collect();
        assert_eq!(grid, [0, 10, 20]);
        let err = &c.lines[0];
        assert_eq!(err.sev, "error");
        assert_eq!(err.marks.len(), 2);
        assert_eq!((err.marks[0].x, err.marks[1].x), (c.left, c.right));
        // 3 of 20 above the bottom.
        assert_eq!(err.marks[0].y, c.bottom - (c.bottom - c.top) * 3 / 20);
        assert_eq!(c.lines[1].last, 12);
        assert_eq!(c.ticks.len(), 2);
        assert_eq!(c.ticks[1].label, "11-24 06:00");
        assert!(c.summary.contains("3 Error"), "{}", c.summary);
    }

    #[test]
    fn values_are_shown_in_the_report_language() {
        let c = Change {
            host: "esx1".into(),
            cluster: None,
            item: Item::Ruleset,
            object: Some("sshServer".into()),
            kind: Kind::Changed,
            field: Some(Field::AllowedIps),
            before: Some(ALL_IPS.into()),
            after: Some("10.0.0.0/24".into()),
        };
        let r = row(&c, Lang::ZhCn);
        assert_eq!(r.before, label(Lang::ZhCn, "all_ips"));
        assert_ne!(r.before, ALL_IPS);
        assert_eq!(r.after, "10.0.0.0/24");
        let flag = Change {
            field: Some(Field::Enabled),
            before: Some("false".into()),
            after: Some("true".into()),
            ..c.clone()
        };
        let r = row(&flag, Lang::En);
        assert_eq!((r.before.as_str(), r.after.as_str()), ("no", "yes"));
        let gone = Change {
            item: Item::Host,
            object: None,
            kind: Kind::Unverified,
            field: None,
            before: None,
            after: None,
            ..c
        };
        assert_eq!(row(&gone, Lang::En).after, "not collected");
    }
}
