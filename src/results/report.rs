//! One self-contained HTML page for one run or a comparison: per group a log-log chart of per-task cost
//! against N (one line per model, one dash pattern per run), the table beneath it, caveats and skipped
//! benchmarks, and links to Criterion's detailed pages where they still hold this run's data.
//!
//! The page fetches nothing: CSS and SVG are inline, there is no script, and links go only to local files.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use super::chart::{Key, LogLog, Point, Series, DASHES};
use super::format::{esc, human, plus_minus_pct, thousands};
use super::links::Links;
use super::noise::Interval;
use super::noise::{Basis, DiffRule};
use super::run::Run;
use super::table::{self, ratio_cell, tasks_line, Cell, GroupTable, Table, FLAG_MARK, REAL_MARK};
use crate::catalogue::{self, Measures};
use crate::files::{iso8601, now_unix, write_atomic};

/// Builds the page for `runs` and writes it to `out`, marking differences by `rule`. `criterion_home` is where
/// to look for Criterion's pages besides the folder recorded in each run.
pub fn write_report(runs: &[Run], rule: &DiffRule, out: &Path, criterion_home: Option<&Path>) -> Result<()> {
    let out_dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !out_dir.is_dir() {
        bail!("{}: folder does not exist (for --out {})", out_dir.display(), out.display());
    }
    let html = render(runs, rule, &out_dir, criterion_home)?;
    write_atomic(out, html.as_bytes())
}

/// The page as a string. `out_dir` is where it will be written: links are made relative to it.
pub fn render(runs: &[Run], rule: &DiffRule, out_dir: &Path, criterion_home: Option<&Path>) -> Result<String> {
    render_page(runs, rule, out_dir, criterion_home, None)
}

/// Plain text under the page's title, for a page that is not a saved run's: what it covers, and a list.
#[derive(Debug, Clone, Default)]
pub struct Intro {
    pub text: String,
    pub items: Vec<String>,
}

/// [`render`], with an [`Intro`] under the title.
pub fn render_page(
    runs: &[Run],
    rule: &DiffRule,
    out_dir: &Path,
    criterion_home: Option<&Path>,
    intro: Option<&Intro>,
) -> Result<String> {
    let c = table::read(runs, rule)?;
    let links = Links::find(runs, out_dir, criterion_home);
    let colors = c.colors();
    let mut h = String::new();
    let title = if c.runs.len() == 1 {
        format!("taskbench: {}", c.runs[0].label)
    } else {
        format!("taskbench: {}", c.runs.iter().map(|r| r.label.as_str()).collect::<Vec<_>>().join(" vs "))
    };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n\
         </head>\n<body>\n<main>\n<h1>What does a task cost?</h1>\n<p class=\"sub\">{} · generated {} by taskbench {}</p>\n",
        esc(&title),
        esc(&title),
        iso8601(now_unix()),
        env!("CARGO_PKG_VERSION")
    );
    if let Some(intro) = intro {
        let _ = writeln!(h, "<p class=\"desc\">{}</p>", esc(&intro.text));
        if !intro.items.is_empty() {
            h.push_str("<ul class=\"skipped\">");
            for item in &intro.items {
                let _ = write!(h, "<li>{}</li>", esc(item));
            }
            h.push_str("</ul>\n");
        }
    }

    runs_section(&mut h, &c);
    if c.runs.len() > 1 {
        machine_section(&mut h, &c);
    } else {
        configs_section(&mut h, &c);
    }
    if !c.caveats.is_empty() {
        h.push_str("<section><h2>Caveats</h2><ul class=\"caveats\">");
        for (m, cav) in &c.caveats {
            let _ = write!(h, "<li><b>{}</b>: {}</li>", esc(m), esc(cav));
        }
        h.push_str("</ul></section>\n");
    }
    h.push_str("<nav><b>Groups:</b> ");
    for g in &c.groups {
        let _ = write!(h, "<a href=\"#g-{0}\">{0}</a> ", esc(g.group.name));
    }
    h.push_str("</nav>\n");
    for g in &c.groups {
        group_section(&mut h, &c, g, &colors, &links);
        if g.group.name == catalogue::KERNEL.name {
            totals_section(&mut h, &c);
        }
    }
    let _ = write!(
        h,
        "<footer><p>{}</p><p>Charts: both axes logarithmic; points are medians, bars their {:.0}% confidence interval \
         (often narrower than the marker). Points at or below zero, and a state group's K = 0, cannot be drawn on a \
         log axis and are listed under their chart. The numbers come from each run's <code>summary.json</code>.</p></footer>\n\
         </main>\n</body>\n</html>\n",
        esc(&c.legend()),
        c.confidence_level * 100.0
    );
    Ok(h)
}

/// The page's style sheet, inlined into every page.
const CSS: &str = include_str!("report.css");

/// RSS plus the kernel's share per task, for every model and N with both, one column per run.
fn totals_section(h: &mut String, c: &Table) {
    let totals: Vec<_> = (0..c.runs.len()).map(|i| c.totals(i)).collect();
    let mut keys: Vec<(String, usize)> = Vec::new();
    for t in totals.iter().flatten() {
        if !keys.contains(&(t.model.clone(), t.n)) {
            keys.push((t.model.clone(), t.n));
        }
    }
    if keys.is_empty() {
        return;
    }
    h.push_str(
        "<section id=\"g-total\"><h2>RSS + kernel <small>bytes per task</small></h2><p class=\"desc\">What a live \
         task costs the machine in all: its resident bytes plus the kernel's stacks and page tables (the medians of \
         rss_per_task and kernel_per_task, added).</p><table><tr><th>model</th><th class=\"num\">N</th>",
    );
    for r in &c.runs {
        let _ = write!(h, "<th class=\"num\">{} RSS + kernel</th>", esc(&r.letter));
    }
    h.push_str("</tr>");
    for (model, n) in &keys {
        let _ = write!(h, "<tr><td>{}</td><td class=\"num\">{}</td>", esc(model), thousands(*n as f64));
        for run in &totals {
            match run.iter().find(|t| &t.model == model && t.n == *n) {
                Some(t) => {
                    let _ = write!(
                        h,
                        "<td class=\"num\"><b>{}</b> <span class=\"ci\">= {} + {}</span></td>",
                        thousands(t.bytes()),
                        thousands(t.rss),
                        thousands(t.kernel)
                    );
                }
                None => h.push_str("<td class=\"num missing\">—</td>"),
            }
        }
        h.push_str("</tr>");
    }
    h.push_str("</table></section>\n");
}

fn runs_section(h: &mut String, c: &Table) {
    h.push_str(
        "<section><h2>Runs</h2><table><tr><th></th><th>run</th><th>machine</th><th>saved</th><th>build</th></tr>",
    );
    for r in &c.runs {
        let _ = write!(
            h,
            "<tr><td><b>{}</b></td><td class=\"nowrap\"><code>{}</code>{}</td><td>{}</td><td class=\"nowrap\">{}</td><td>{}</td></tr>",
            esc(&r.letter),
            esc(&r.label),
            if r.path.trim_end_matches('/').ends_with(&r.label) {
                String::new()
            } else {
                format!("<br><span class=\"ci\">{}</span>", esc(&r.path))
            },
            esc(&r.machine),
            esc(&r.date),
            esc(&r.builds.describe())
        );
    }
    h.push_str("</table></section>\n");
}

fn machine_section(h: &mut String, c: &Table) {
    h.push_str("<section><h2>Machine differences</h2>");
    if c.machine_diffs.is_empty() {
        h.push_str("<p>None: the runs share every recorded machine setting.</p>");
    } else {
        h.push_str(
            "<p class=\"desc\">Read these before the numbers: a difference here can explain a difference below.</p>",
        );
        by_run(h, c, "field", &c.machine_diffs, esc);
    }
    let _ = write!(h, "<p class=\"skipped\">The same in every run: {}.</p>", esc(&c.same_fields()));
    if !c.config_diffs.is_empty() {
        h.push_str("<h3>Model configuration differences</h3>");
        by_run(h, c, "model", &c.config_diffs, |v| format!("<code>{}</code>", esc(v)));
    }
    h.push_str("</section>\n");
}

/// A table with a row per item (its name first) and a column per run, each value as `cell` writes it.
fn by_run(h: &mut String, c: &Table, first: &str, rows: &[(String, Vec<String>)], cell: impl Fn(&str) -> String) {
    let _ = write!(h, "<table><tr><th>{first}</th>");
    for r in &c.runs {
        let _ = write!(h, "<th>{}</th>", esc(&r.letter));
    }
    h.push_str("</tr>");
    for (name, values) in rows {
        let _ = write!(h, "<tr><td>{}</td>", esc(name));
        for v in values {
            let _ = write!(h, "<td>{}</td>", cell(v));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
}

fn configs_section(h: &mut String, c: &Table) {
    h.push_str("<section><h2>Models</h2><table><tr><th>model</th><th>configuration</th></tr>");
    for (m, cfg) in &c.configs {
        let _ = write!(h, "<tr><td>{}</td><td><code>{}</code></td></tr>", esc(m), esc(cfg));
    }
    h.push_str("</table></section>\n");
}

fn group_section(h: &mut String, c: &Table, g: &GroupTable, colors: &BTreeMap<String, String>, links: &Links) {
    let unit = g.group.short_unit();
    let _ = write!(
        h,
        "<section id=\"g-{0}\"><h2>{0} <small>{1}, lower is better</small></h2><p class=\"desc\">{2}</p>",
        esc(g.group.name),
        esc(unit),
        esc(&g.value_is)
    );
    if let Some(line) = tasks_line(g) {
        let _ = write!(h, "<p class=\"desc\">{}</p>", esc(&line));
    }
    h.push_str(&chart(c, g, colors));
    table_html(h, c, g, colors, links);
    let multi = c.runs.len() > 1;
    h.push_str("</table>");
    if let Some(href) = links.groups.get(g.group.name) {
        let _ = write!(
            h,
            "<p class=\"skipped\"><a href=\"{}\">Criterion's page for {}</a> (latest local run).</p>",
            esc(href),
            esc(g.group.name)
        );
    }
    let walls: Vec<String> = g
        .wall_seconds
        .iter()
        .enumerate()
        .filter_map(|(i, w)| {
            Some(format!("{} s{}", (*w)?, if multi { format!(" ({})", c.runs[i].letter) } else { String::new() }))
        })
        .collect();
    if !walls.is_empty() {
        let _ = write!(h, "<p class=\"skipped\">Wall time of the bench runs: {}.</p>", esc(&walls.join(", ")));
    }
    if !g.notes.is_empty() {
        h.push_str("<p class=\"skipped\"><b>Notes from the readings:</b></p><ul class=\"skipped\">");
        for (i, n) in &g.notes {
            let _ = write!(h, "<li><code>{}</code>{}: {}</li>", esc(&n.id), esc(&c.in_runs(&[*i])), esc(&n.note));
        }
        h.push_str("</ul>");
    }
    if !g.skipped.is_empty() {
        h.push_str("<p class=\"skipped\"><b>Skipped:</b></p><ul class=\"skipped\">");
        for (who, s) in &g.skipped {
            let _ = write!(h, "<li><code>{}</code>{}: {}</li>", esc(&s.id), esc(&c.in_runs(who)), esc(&s.reason));
        }
        h.push_str("</ul>");
    }
    if multi {
        let _ = write!(
            h,
            "<p class=\"skipped\"><span class=\"real\">{REAL_MARK}</span>: a real difference: {}.</p>",
            esc(&c.rule.describe(c.confidence_level))
        );
    }
    if g.rows.iter().any(|r| r.cells.iter().flatten().any(Cell::flagged)) {
        let _ = write!(
            h,
            "<p class=\"skipped\"><span class=\"flag\">{FLAG_MARK}</span>: the samples split into two clusters, or \
             the mean and median differ by more than 10%; hover for which.</p>"
        );
    }
    h.push_str("</section>\n");
}

/// The group's table: a row per model and x, each run's value with its interval, ratios, and links.
fn table_html(h: &mut String, c: &Table, g: &GroupTable, colors: &BTreeMap<String, String>, links: &Links) {
    let unit = g.group.short_unit();
    let multi = c.runs.len() > 1;
    let _ = write!(h, "<table><tr><th>model</th><th class=\"num\">{}</th>", g.group.axis.letter());
    for (i, r) in c.runs.iter().enumerate() {
        let head = if multi { format!("{}: {unit}", r.letter) } else { unit.to_string() };
        let level = c.confidence_level * 100.0;
        let _ = write!(h, "<th class=\"num\">{}</th><th class=\"num\">{level:.0}% CI</th>", esc(&head));
        if i > 0 {
            let _ = write!(h, "<th class=\"num\">{}/A</th>", esc(&r.letter));
        }
    }
    h.push_str("<th>Criterion</th></tr>");
    let mut last_model = "";
    for row in &g.rows {
        let first = row.model != last_model;
        last_model = &row.model;
        let swatch = colors.get(&row.model).map(String::as_str).unwrap_or("#000");
        let _ = write!(
            h,
            "<tr{}><td>{}</td><td class=\"num\">{}</td>",
            if first { " class=\"first\"" } else { "" },
            if first {
                format!("<span class=\"swatch\" style=\"background:{swatch}\"></span>{}", esc(&row.model))
            } else {
                String::new()
            },
            row.x
        );
        let mut details = Vec::new();
        for (i, cell) in row.cells.iter().enumerate() {
            h.push_str(&cell_html(cell.as_ref(), i, g.group.measures));
            if let Some(href) = cell.as_ref().and_then(|cl| links.cells.get(&(i, cl.id.clone()))) {
                let label = if multi { c.runs[i].letter.clone() } else { "details".into() };
                details.push(format!("<a href=\"{}\">{}</a>", esc(href), esc(&label)));
            }
        }
        let _ = write!(h, "<td>{}</td></tr>", details.join(" "));
    }
}

/// Run `i`'s cells of a row: the value (with [`FLAG_MARK`]), its interval, and after run A the ratio.
fn cell_html(cell: Option<&Cell>, i: usize, measures: Measures) -> String {
    let mut h = match cell {
        Some(cl) => format!(
            "<td class=\"num\">{}{}</td><td class=\"num ci\" title=\"{}\">{}</td>",
            esc(&human(cl.per_task.point, measures)),
            flag_html(cl, measures),
            esc(&ci_text(&cl.per_task, measures)),
            esc(&ci_pct(&cl.per_task))
        ),
        None => "<td class=\"num missing\">—</td><td></td>".to_string(),
    };
    match cell.filter(|_| i > 0) {
        Some(cl) => {
            let real = if cl.real == Some(true) { " real" } else { "" };
            let _ =
                write!(h, "<td class=\"num{real}\" title=\"{}\">{}</td>", esc(&verdict_text(cl)), esc(&ratio_cell(cl)));
        }
        None if i > 0 => h.push_str("<td></td>"),
        None => {}
    }
    h
}

/// [`FLAG_MARK`] with its reasons as a tooltip, for a flagged cell; nothing otherwise.
fn flag_html(c: &Cell, measures: Measures) -> String {
    if c.flagged() {
        format!(" <span class=\"flag\" title=\"{}\">{FLAG_MARK}</span>", esc(&c.flag_reasons(measures)))
    } else {
        String::new()
    }
}

/// The verdict behind a ratio, for its tooltip: the test's p-value or the interval fallback, and the effect.
fn verdict_text(c: &Cell) -> String {
    let Some(v) = c.verdict else { return String::new() };
    let basis = match v.basis {
        Basis::MannWhitney { p } => format!("Mann–Whitney p = {p:.2e}"),
        Basis::Intervals { overlap: true } => "no samples in one run; intervals overlap".to_string(),
        Basis::Intervals { overlap: false } => "no samples in one run; intervals do not overlap".to_string(),
    };
    format!(
        "{}: {basis}; medians differ by {:.1}% (minimum {:.0}%)",
        if v.real { "real" } else { "within noise" },
        v.effect * 100.0,
        v.min_effect * 100.0
    )
}

/// `297 ns – 310 ns`.
fn ci_text(v: &Interval, measures: Measures) -> String {
    format!("{} – {}", human(v.lower, measures), human(v.upper, measures))
}

/// `±2.1%`: half the interval, relative; exact byte counts give intervals narrower than printed digits, so
/// the bounds themselves go in the tooltip.
fn ci_pct(v: &Interval) -> String {
    plus_minus_pct(v.relative_half_width())
}

/// A log-log SVG chart of one group: per-task value against N, a colour per model and a dash pattern per run.
fn chart(c: &Table, g: &GroupTable, colors: &BTreeMap<String, String>) -> String {
    let mut series: BTreeMap<(usize, String), Vec<Point>> = BTreeMap::new();
    let mut not_drawn = Vec::new();
    let mut at_zero = Vec::new();
    let multi = c.runs.len() > 1;
    let x = g.group.axis;
    for row in &g.rows {
        for (i, cell) in row.cells.iter().enumerate() {
            let Some(cl) = cell else { continue };
            let who = if multi { format!("{}: ", c.runs[i].letter) } else { String::new() };
            if row.x == 0 && cl.per_task.point > 0.0 {
                // K = 0, the base of a state group: the log axis has no place for it, so it is listed.
                at_zero.push(format!("{who}{} {}", row.model, human(cl.per_task.point, g.group.measures)));
            } else if cl.per_task.point > 0.0 {
                let v = cl.per_task;
                let tip = format!(
                    "{who}{}, {}={}: {} ({})",
                    row.model,
                    g.group.axis.letter(),
                    row.x,
                    human(v.point, g.group.measures),
                    ci_text(&v, g.group.measures)
                );
                series.entry((i, row.model.clone())).or_default().push(Point { n: row.x, value: v, tip });
            } else {
                not_drawn.push(format!("{} {} {}={}", c.runs[i].letter, row.model, g.group.axis.letter(), row.x));
            }
        }
    }
    let zero_line = (!at_zero.is_empty()).then(|| {
        format!(
            "<p class=\"skipped\">At K = 0 (each task holding nothing; a log axis has no place for it): {}.</p>",
            esc(&at_zero.join(", "))
        )
    });
    if series.is_empty() {
        return format!("<p class=\"skipped\">No positive values to chart.</p>{}", zero_line.unwrap_or_default());
    }
    let color = |m: &str| colors.get(m).cloned().unwrap_or_else(|| "#000".into());
    let series = series
        .into_iter()
        .map(|((run, model), points)| Series {
            color: color(&model),
            dash: DASHES[run % DASHES.len()],
            marker: run,
            points,
        })
        .collect();
    let keys = chart_keys(c, g, color);
    let chart = LogLog {
        x,
        measures: g.group.measures,
        y_label: format!("{} (log scale)", g.group.short_unit()),
        aria: format!("{} per task against {}, log-log", g.group.name, g.group.axis.letter()),
        legend_width: 290.0,
        series,
        keys,
        header: Vec::new(),
        footer: Vec::new(),
    };
    let mut s = chart.svg();
    s.push_str(&zero_line.unwrap_or_default());
    if !not_drawn.is_empty() {
        let _ = write!(s, "<p class=\"skipped\">Not drawn (value ≤ 0): {}.</p>", esc(&not_drawn.join(", ")));
    }
    s
}

/// The group chart's legend: colours are models; with several runs, dash patterns are runs.
fn chart_keys(c: &Table, g: &GroupTable, color: impl Fn(&str) -> String) -> Vec<Key> {
    let mut keys: Vec<Key> =
        g.models().into_iter().map(|m| Key { color: color(m), text: m.to_string(), ..Key::default() }).collect();
    if c.runs.len() > 1 {
        keys.extend(c.runs.iter().enumerate().map(|(i, r)| Key {
            color: "#333".into(),
            dash: DASHES[i % DASHES.len()],
            marker: Some(i),
            text: format!("{}: {}", r.letter, ellipsize(&run_name(&r.label), 30)),
            title: Some(r.label.clone()),
            space_above: i == 0,
            ..Key::default()
        }));
    }
    keys
}

/// The run part of `machine/run`: the machine is in the runs table.
fn run_name(label: &str) -> String {
    label.rsplit('/').next().unwrap_or(label).to_string()
}

fn ellipsize(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("…{}", s.chars().skip(s.chars().count() - (max - 1)).collect::<String>())
    }
}
