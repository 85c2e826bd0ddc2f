//! `taskbench compare`'s output: the [`Table`] as aligned text for a terminal or as Markdown to paste.
//! One walk over the table; [`Format`] decides only how a heading, a table and a list item look.

use std::fmt::Write as _;

use super::format::{half_width_pct, human, md_escape};
use super::noise::Interval;
use super::table::{ratio_cell, tasks_line, GroupTable, Row, Table, FLAG_MARK};
use crate::catalogue::{Group, Measures};

/// Output formats of `taskbench compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Terminal,
    Markdown,
}

/// `253 ns ±1.2%`: the per-task value and half its confidence interval.
pub fn value_cell(v: &Interval, measures: Measures) -> String {
    format!("{} ±{}%", human(v.point, measures), half_width_pct(v.relative_half_width()))
}

/// One row's cells: model, N (or K), then each run's value (with [`FLAG_MARK`]) and each later run's ratio.
/// `aligned` pads where a mark would be, so right-aligned numbers line up in text.
fn row_cells(row: &Row, measures: Measures, aligned: bool) -> Vec<String> {
    let mut out = vec![row.model.clone(), row.x.to_string()];
    let pad = |s: String, marked: bool| if aligned && !marked { format!("{s}  ") } else { s };
    for (i, cell) in row.cells.iter().enumerate() {
        out.push(match cell {
            Some(c) if c.flagged() => format!("{} {FLAG_MARK}", value_cell(&c.per_task, measures)),
            Some(c) => pad(value_cell(&c.per_task, measures), false),
            None => "—".to_string(),
        });
        if i > 0 {
            out.push(match cell {
                Some(c) => pad(ratio_cell(c), c.real == Some(true) || c.ratio.is_none()),
                None => "-".to_string(),
            });
        }
    }
    out
}

/// Renders a comparison as aligned text or as Markdown to paste.
pub fn render(c: &Table, format: Format) -> String {
    let md = format == Format::Markdown;
    let mut out = String::new();
    let o = &mut out;
    let _ = writeln!(o, "{}", if md { "**Runs**\n" } else { "Runs" });
    for r in &c.runs {
        if md {
            let _ = writeln!(o, "- **{}**: `{}`, saved {}: {}", r.letter, r.label, r.date, md_escape(&r.machine));
            let _ = writeln!(o, "  - build: {}", md_escape(&r.builds.describe()));
        } else {
            let _ = writeln!(o, "  {}  {}  ({}), saved {}", r.letter, r.label, r.path, r.date);
            let _ = writeln!(o, "     {}", r.machine);
            let _ = writeln!(o, "     build: {}", r.builds.describe());
        }
    }
    let _ = writeln!(o);
    if c.runs.len() > 1 {
        machine_and_configs(o, c, md);
    }
    for g in &c.groups {
        group(o, c, g, md);
    }
    for (m, cav) in &c.caveats {
        let _ = if md { writeln!(o, "- Caveat, {m}: {}", md_escape(cav)) } else { writeln!(o, "Caveat, {m}: {cav}") };
    }
    let _ = writeln!(o, "{}{}", if md { "\n" } else { "" }, c.legend());
    out
}

fn machine_and_configs(o: &mut String, c: &Table, md: bool) {
    let bold = |s: &str| if md { format!("**{s}**") } else { s.to_string() };
    if c.machine_diffs.is_empty() {
        let _ = writeln!(o, "{} none (same {}).", bold("Machine differences:"), c.same_fields());
    } else {
        let _ = writeln!(
            o,
            "{}",
            if md { "**Machine differences**\n" } else { "Machine differences (read these before the numbers)" }
        );
        let header: Vec<String> =
            std::iter::once("field".to_string()).chain(c.runs.iter().map(|r| r.letter.clone())).collect();
        let rows: Vec<Vec<String>> =
            c.machine_diffs.iter().map(|(f, v)| std::iter::once(f.clone()).chain(v.clone()).collect()).collect();
        table(o, &header, &rows, usize::MAX, md);
        let _ = writeln!(o, "{}The same in every run: {}.", if md { "\n" } else { "  " }, c.same_fields());
    }
    let _ = writeln!(o);
    if c.config_diffs.is_empty() {
        return;
    }
    let _ = writeln!(o, "{}", bold("Model configuration differences") + if md { "\n" } else { "" });
    for (m, v) in &c.config_diffs {
        if md {
            let per_run: Vec<String> = c.runs.iter().zip(v).map(|(r, cfg)| format!("{}: `{cfg}`", r.letter)).collect();
            let _ = writeln!(o, "- {m}: {}", per_run.join("; "));
        } else {
            let _ = writeln!(o, "  {m}");
            for (r, cfg) in c.runs.iter().zip(v) {
                let _ = writeln!(o, "    {}: {cfg}", r.letter);
            }
        }
    }
    let _ = writeln!(o);
}

fn group(o: &mut String, c: &Table, g: &GroupTable, md: bool) {
    let Group { name, measures, .. } = g.group;
    if md {
        let _ = writeln!(o, "**{name}** ({}): {}\n", g.group.short_unit(), md_escape(&g.value_is));
    } else {
        let _ = writeln!(o, "{name} ({}): {}", g.group.short_unit(), g.value_is);
    }
    let mut header = vec!["model".to_string(), g.group.axis.letter().to_string()];
    for (i, r) in c.runs.iter().enumerate() {
        header.push(format!("{} ({})", r.letter, g.group.short_unit()));
        if i > 0 {
            header.push(format!("{}/A", r.letter));
        }
    }
    let rows: Vec<Vec<String>> = g.rows.iter().map(|r| row_cells(r, measures, !md)).collect();
    table(o, &header, &rows, 1, md);
    if let Some(line) = tasks_line(g) {
        let _ = writeln!(o, "{}{line}", if md { "\n" } else { "  " });
    }
    if md && !g.skipped.is_empty() {
        let _ = writeln!(o);
    }
    for (who, s) in &g.skipped {
        let _ = if md {
            writeln!(o, "- skipped{}: `{}`: {}", c.in_runs(who), s.id, md_escape(&s.reason))
        } else {
            writeln!(o, "  skipped{}: {}: {}", c.in_runs(who), s.id, s.reason)
        };
    }
    let _ = writeln!(o);
}

/// A table: columns from `right_from` on are right-aligned (padded in text, `---:` in Markdown).
fn table(o: &mut String, header: &[String], rows: &[Vec<String>], right_from: usize, md: bool) {
    if md {
        let line = |cells: &[String]| cells.iter().map(|c| md_escape(c)).collect::<Vec<_>>().join(" | ");
        let _ = writeln!(o, "| {} |", line(header));
        let align: Vec<&str> = (0..header.len()).map(|i| if i >= right_from { "---:" } else { "---" }).collect();
        let _ = writeln!(o, "|{}|", align.join("|"));
        for r in rows {
            let _ = writeln!(o, "| {} |", line(r));
        }
        return;
    }
    let width = |s: &str| s.chars().count();
    let mut w: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(width(c));
        }
    }
    for cells in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        let mut s = String::from(" ");
        for (i, c) in cells.iter().enumerate() {
            let pad = " ".repeat(w[i] - width(c));
            let _ = if i >= right_from { write!(s, "  {pad}{c}") } else { write!(s, "  {c}{pad}") };
        }
        let _ = writeln!(o, "{}", s.trim_end());
    }
}
