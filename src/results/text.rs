//! `taskbench compare`'s output: the [`Table`] as aligned text for a terminal or as Markdown to paste, in
//! one walk; [`table`] writes every table of both, and the README's.

use std::fmt::Write as _;
use std::ops::Range;

use super::format::{half_width_pct, human, md_escape};
use super::table::{ratio_cell, tasks_line, Cell, GroupTable, Row, Table, FLAG_MARK};
use crate::catalogue::Measures;

/// Output formats of `taskbench compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Terminal,
    Markdown,
}

/// Renders a comparison as aligned text or as Markdown to paste.
pub fn render(c: &Table, format: Format) -> String {
    let md = format == Format::Markdown;
    let mut o = String::from(if md { "**Runs**\n\n" } else { "Runs\n" });
    for r in &c.runs {
        let (machine, build) = (&r.machine, r.builds.describe());
        let _ = if md {
            let (machine, build) = (md_escape(machine), md_escape(&build));
            writeln!(o, "- **{}**: `{}`, saved {}: {machine}\n  - build: {build}", r.letter, r.label, r.date)
        } else {
            writeln!(
                o,
                "  {}  {}  ({}), saved {}\n     {machine}\n     build: {build}",
                r.letter, r.label, r.path, r.date
            )
        };
    }
    o.push('\n');
    if c.runs.len() > 1 {
        machine_and_configs(&mut o, c, md);
    }
    for g in &c.groups {
        group(&mut o, c, g, md);
    }
    for (m, cav) in &c.caveats {
        let _ = if md { writeln!(o, "- Caveat, {m}: {}", md_escape(cav)) } else { writeln!(o, "Caveat, {m}: {cav}") };
    }
    let _ = writeln!(o, "{}{}", if md { "\n" } else { "" }, c.legend());
    o
}

fn machine_and_configs(o: &mut String, c: &Table, md: bool) {
    let bold = |s: &str| if md { format!("**{s}**") } else { s.to_string() };
    if c.machine_diffs.is_empty() {
        let _ = writeln!(o, "{} none (same {}).", bold("Machine differences:"), c.same_fields());
    } else {
        let title =
            if md { "**Machine differences**\n" } else { "Machine differences (read these before the numbers)" };
        let _ = writeln!(o, "{title}");
        let header: Vec<String> =
            std::iter::once("field".to_string()).chain(c.runs.iter().map(|r| r.letter.clone())).collect();
        let rows: Vec<Vec<String>> =
            c.machine_diffs.iter().map(|(f, v)| std::iter::once(f.clone()).chain(v.clone()).collect()).collect();
        table(o, &header, &rows, 0..0, md);
        let _ = writeln!(o, "{}The same in every run: {}.", if md { "\n" } else { "  " }, c.same_fields());
    }
    o.push('\n');
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
    o.push('\n');
}

fn group(o: &mut String, c: &Table, g: &GroupTable, md: bool) {
    let (name, unit) = (g.group.name, g.group.short_unit());
    let _ = if md {
        writeln!(o, "**{name}** ({unit}): {}\n", md_escape(&g.value_is))
    } else {
        writeln!(o, "{name} ({unit}): {}", g.value_is)
    };
    let mut header = vec!["model".to_string(), g.group.axis.letter().to_string()];
    for (i, r) in c.runs.iter().enumerate() {
        header.push(format!("{} ({unit})", r.letter));
        if i > 0 {
            header.push(format!("{}/A", r.letter));
        }
    }
    let rows: Vec<Vec<String>> = g.rows.iter().map(|r| row_cells(r, g.group.measures, !md)).collect();
    table(o, &header, &rows, 1..usize::MAX, md);
    if let Some(line) = tasks_line(g) {
        let _ = writeln!(o, "{}{line}", if md { "\n" } else { "  " });
    }
    if md && !g.skipped.is_empty() {
        o.push('\n');
    }
    for (who, s) in &g.skipped {
        let _ = if md {
            writeln!(o, "- skipped{}: `{}`: {}", c.in_runs(who), s.id, md_escape(&s.reason))
        } else {
            writeln!(o, "  skipped{}: {}: {}", c.in_runs(who), s.id, s.reason)
        };
    }
    o.push('\n');
}

/// One row's cells: model, N (or K), then each run's value (`253 ns ±1.2%`: the median and half its
/// interval, with [`FLAG_MARK`]) and each later run's ratio. `aligned` pads where a mark would be, so
/// right-aligned numbers line up in text.
fn row_cells(row: &Row, measures: Measures, aligned: bool) -> Vec<String> {
    let mut out = vec![row.model.clone(), row.x.to_string()];
    let pad = |s: String, marked: bool| if aligned && !marked { format!("{s}  ") } else { s };
    for (i, cell) in row.cells.iter().enumerate() {
        let value =
            |c: &Cell| format!("{} ±{}%", human(c.value(), measures), half_width_pct(c.per_task.relative_half_width()));
        out.push(cell.as_ref().map_or("—".to_string(), |c| marked(pad(value(c), c.flagged()), c)));
        if i > 0 {
            out.push(
                cell.as_ref()
                    .map_or("-".to_string(), |c| pad(ratio_cell(c), c.real == Some(true) || c.ratio.is_none())),
            );
        }
    }
    out
}

/// `s`, with [`FLAG_MARK`] when the cell's samples split into two clusters or its mean and median differ:
/// one number describes it poorly.
pub(super) fn marked(s: String, c: &Cell) -> String {
    if c.flagged() {
        format!("{s} {FLAG_MARK}")
    } else {
        s
    }
}

/// A table: the columns in `right` are right-aligned (padded in text, `---:` in Markdown).
pub(super) fn table(o: &mut String, header: &[String], rows: &[Vec<String>], right: Range<usize>, md: bool) {
    if md {
        let line = |cells: &[String]| cells.iter().map(|c| md_escape(c)).collect::<Vec<_>>().join(" | ");
        let align: Vec<&str> = (0..header.len()).map(|i| if right.contains(&i) { "---:" } else { "---" }).collect();
        let _ = writeln!(o, "| {} |\n|{}|", line(header), align.join("|"));
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
            let _ = if right.contains(&i) { write!(s, "  {pad}{c}") } else { write!(s, "  {c}{pad}") };
        }
        let _ = writeln!(o, "{}", s.trim_end());
    }
}
