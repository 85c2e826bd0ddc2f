//! `taskbench compare`'s output: the [`Table`] as aligned text for a terminal or as Markdown to paste, in one
//! walk; [`table`] writes the tables of both (and the README's), [`row_cells`] the cells the report shares.

use std::fmt::Write as _;
use std::ops::Range;

use super::format::{human, plus_minus_pct};
use super::noise::Basis;
use super::table::{marked, ratio_cell, tasks_line, Cell, Row, Table, FLAG_MARK, REAL_MARK};
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
    let (b, code) = if md { ("**", "`") } else { ("", "") };
    let mut o = format!("{b}Runs{b}\n\n");
    for r in &c.runs {
        let (path, machine, build) = (&r.path, &r.machine, r.builds.describe());
        let _ = writeln!(o, "- {b}{}{b}: {code}{}{code} ({path}), saved {}", r.letter, r.label, r.date);
        let _ = writeln!(o, "  - machine: {machine}\n  - build: {build}");
    }
    o.push('\n');
    if c.runs.len() > 1 && c.machine_diffs.is_empty() {
        let _ = writeln!(o, "{b}Machine differences:{b} none (same {}).\n", c.same_fields());
    } else if c.runs.len() > 1 {
        let _ = writeln!(o, "{b}Machine differences{b} (read these before the numbers)\n");
        let header: Vec<String> =
            ["field"].into_iter().chain(c.runs.iter().map(|r| r.letter.as_str())).map(String::from).collect();
        let rows: Vec<Vec<String>> =
            c.machine_diffs.iter().map(|(f, v)| [f.clone()].into_iter().chain(v.clone()).collect()).collect();
        table(&mut o, &header, &rows, 0..0, md);
        let _ = writeln!(o, "\nThe same in every run: {}.\n", c.same_fields());
    }
    if !c.config_diffs.is_empty() {
        let _ = writeln!(o, "{b}Model configuration differences{b}\n");
        for (m, v) in &c.config_diffs {
            let per_run: Vec<String> =
                c.runs.iter().zip(v).map(|(r, cfg)| format!("{}: {code}{cfg}{code}", r.letter)).collect();
            let _ = writeln!(o, "- {m}: {}", per_run.join("; "));
        }
        o.push('\n');
    }
    for g in &c.groups {
        let (name, unit) = (g.group.name, g.group.short_unit());
        let _ = writeln!(o, "{b}{name}{b} ({unit}): {}\n", g.value_is);
        // A run's "×floor" column where some run's samples are round-aligned.
        let per_floor = g.interleaved.iter().any(|&i| i);
        let mut header = vec!["model".to_string(), g.group.axis.letter().to_string()];
        for (i, r) in c.runs.iter().enumerate() {
            header.push(format!("{} ({unit})", r.letter));
            if per_floor {
                header.push(format!("{} ×floor", r.letter));
            }
            if i > 0 {
                header.push(format!("{}/A", r.letter));
            }
        }
        // In text a value without a mark is padded where one would be, so the numbers line up.
        let pad = |(i, (c, _)): (usize, (String, String))| {
            let marked = c.ends_with(FLAG_MARK) || c.ends_with(REAL_MARK) || c == "-" || c == "—";
            if md || i < 2 || marked {
                c
            } else {
                c + "  "
            }
        };
        let rows: Vec<Vec<String>> = (g.rows.iter())
            .map(|r| {
                let cells: Vec<String> = row_cells(r, g.group.measures).into_iter().enumerate().map(pad).collect();
                if per_floor {
                    with_floor_ratios(cells, r)
                } else {
                    cells
                }
            })
            .collect();
        table(&mut o, &header, &rows, 1..usize::MAX, md);
        if let Some(line) = tasks_line(g) {
            let _ = writeln!(o, "\n{line}");
        }
        if per_floor {
            let _ = writeln!(
                o,
                "\n×floor: the median of the per-round ratios to the floor row at the same {}, with its 95% \
                 interval (samples taken in interleaved rounds); blank where a run has no rounds or no floor.",
                g.group.axis.letter()
            );
        }
        if !g.skipped.is_empty() {
            o.push('\n');
        }
        for (who, s) in &g.skipped {
            let _ = writeln!(o, "- skipped{}: {code}{}{code}: {}", c.in_runs(who), s.id, s.reason);
        }
        o.push('\n');
    }
    for (m, cav) in &c.caveats {
        let _ = writeln!(o, "- Caveat, {m}: {cav}");
    }
    let _ = writeln!(o, "\n{}", c.legend());
    o
}

/// One row's cells, each with its tooltip: model, x, then each run's value (`253 ns ±1.2%`: the median, half
/// its interval, [`FLAG_MARK`]; tip: the bounds and why it is flagged) and each later run's ratio (tip: the verdict).
pub fn row_cells(row: &Row, measures: Measures) -> Vec<(String, String)> {
    let mut out = vec![(row.model.clone(), String::new()), (row.x.to_string(), String::new())];
    for (i, cell) in row.cells.iter().enumerate() {
        out.push(cell.as_ref().map_or(("—".to_string(), String::new()), |c| {
            let v = c.per_task;
            let text = format!("{} {}", human(v.point, measures), plus_minus_pct(v.relative_half_width()));
            let bounds = format!("{} – {}", human(v.lower, measures), human(v.upper, measures));
            let tip = [bounds, c.flag_reasons(measures)].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>();
            (marked(text, c), tip.join("; "))
        }));
        if i > 0 {
            out.push(cell.as_ref().map_or(("-".to_string(), String::new()), |c| (ratio_cell(c), verdict_text(c))));
        }
    }
    out
}

/// `cells` ([`row_cells`]) with each run's paired ratio to the floor after its value: `3.00× (2.95–3.04)`,
/// the median of the per-round ratios and its 95% interval ([`crate::results::paired`]); blank without one.
fn with_floor_ratios(cells: Vec<String>, row: &Row) -> Vec<String> {
    let mut cells = cells.into_iter();
    let mut out: Vec<String> = cells.by_ref().take(2).collect();
    for (i, ratio) in row.per_floor.iter().enumerate() {
        out.extend(cells.next());
        out.push(ratio.map_or(String::new(), |r| format!("{:.2}× ({:.2}–{:.2})", r.median, r.low, r.high)));
        if i > 0 {
            out.extend(cells.next());
        }
    }
    out
}

/// The verdict behind a ratio: the test's p-value or the interval fallback, and the effect.
fn verdict_text(c: &Cell) -> String {
    let Some(v) = c.verdict else { return String::new() };
    let basis = match v.basis {
        Basis::MannWhitney { p } => format!("Mann–Whitney p = {p:.2e}"),
        Basis::Intervals { overlap } => {
            format!("no samples in one run; intervals {}overlap", if overlap { "" } else { "do not " })
        }
    };
    let (effect, min) = (v.effect * 100.0, v.min_effect * 100.0);
    let real = if v.real { "real" } else { "within noise" };
    format!("{real}: {basis}; medians differ by {effect:.1}% (minimum {min:.0}%)")
}

/// A table; the columns in `right` are right-aligned (padded in text, `---:` in Markdown).
pub fn table(o: &mut String, header: &[String], rows: &[Vec<String>], right: Range<usize>, md: bool) {
    if md {
        let line = |cells: &[String]| cells.iter().map(|c| c.replace('|', "\\|")).collect::<Vec<_>>().join(" | ");
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
