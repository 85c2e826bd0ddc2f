//! One self-contained HTML page for one run or a comparison: per group a log-log chart of per-task cost
//! against N (one line per model, one dash pattern per run), the table beneath it, caveats and skipped
//! benchmarks, and links to Criterion's detailed pages where they still hold this run's data.
//!
//! The page fetches nothing: CSS and SVG are inline, there is no script, and links go only to local files.
//! Written with `format!` rather than a template crate: `maud` leaves `'` as it is, [`esc`] writes `&#39;`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Result};

use super::chart::{color_of, Key, LogLog, Point, Series};
use super::format::{esc, human, plus_minus_pct, thousands};
use super::links::Links;
use super::noise::{Basis, DiffRule, Interval};
use super::run::Run;
use super::table::{self, ratio_cell, tasks_line, Cell, GroupTable, Table, FLAG_MARK, REAL_MARK};
use crate::catalogue::{self, Measures};
use crate::files::{iso8601, now_unix, write_atomic};

/// The page's style sheet, inlined into every page.
const CSS: &str = include_str!("report.css");

/// Builds the page for `runs` and writes it to `out`, marking differences by `rule`. `criterion_home` is where
/// to look for Criterion's pages besides the folder recorded in each run.
pub fn write_report(runs: &[Run], rule: &DiffRule, out: &Path, criterion_home: Option<&Path>) -> Result<()> {
    let out_dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !out_dir.is_dir() {
        bail!("{}: folder does not exist (for --out {})", out_dir.display(), out.display());
    }
    write_atomic(out, render(runs, rule, out_dir, criterion_home, None)?.as_bytes())
}

/// The page as a string. `out_dir` is where it will be written: links are made relative to it. `intro`, for a
/// page that is not a saved run's, is plain text under the title (what the page covers) and a list.
pub fn render(
    runs: &[Run],
    rule: &DiffRule,
    out_dir: &Path,
    criterion_home: Option<&Path>,
    intro: Option<(&str, &[String])>,
) -> Result<String> {
    let c = table::read(runs, rule)?;
    let links = Links::find(runs, out_dir, criterion_home);
    let colors = c.colors();
    let labels: Vec<&str> = c.runs.iter().map(|r| r.label.as_str()).collect();
    let title = esc(&format!("taskbench: {}", labels.join(" vs ")));
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n<style>{CSS}</style>\n\
         </head>\n<body>\n<main>\n<h1>What does a task cost?</h1>\n<p class=\"sub\">{title} · generated {} by taskbench {}</p>\n",
        iso8601(now_unix()),
        env!("CARGO_PKG_VERSION")
    );
    if let Some((text, items)) = intro {
        let _ = writeln!(h, "<p class=\"desc\">{}</p>", esc(text));
        if !items.is_empty() {
            let _ = writeln!(h, "{}", list("skipped", items.iter().map(|i| esc(i))));
        }
    }
    h += &runs_section(&c);
    if c.runs.len() > 1 {
        h += &machine_section(&c);
    } else {
        let rows = c.configs.iter().map(|(m, cfg)| format!("<td>{}</td><td><code>{}</code></td>", esc(m), esc(cfg)));
        let configs = table("<th>model</th><th>configuration</th>", rows);
        let _ = writeln!(h, "<section><h2>Models</h2>{configs}</section>");
    }
    if !c.caveats.is_empty() {
        let caveats = c.caveats.iter().map(|(m, cav)| format!("<b>{}</b>: {}", esc(m), esc(cav)));
        let _ = writeln!(h, "<section><h2>Caveats</h2>{}</section>", list("caveats", caveats));
    }
    let nav: String = c.groups.iter().map(|g| format!("<a href=\"#g-{0}\">{0}</a> ", esc(g.group.name))).collect();
    let _ = writeln!(h, "<nav><b>Groups:</b> {nav}</nav>");
    for g in &c.groups {
        h += &group_section(&c, g, &colors, &links);
        if g.group.name == catalogue::KERNEL.name {
            h += &totals_section(&c);
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

/// A table of the header's cells and a row per item, each item its row's cells.
fn table(head: &str, rows: impl IntoIterator<Item = String>) -> String {
    let rows: String = rows.into_iter().map(|r| format!("<tr>{r}</tr>")).collect();
    format!("<table><tr>{head}</tr>{rows}</table>")
}

/// A list of `class` with an entry per item.
fn list(class: &str, items: impl IntoIterator<Item = String>) -> String {
    let items: String = items.into_iter().map(|i| format!("<li>{i}</li>")).collect();
    format!("<ul class=\"{class}\">{items}</ul>")
}

/// The runs: letter, name (with the path where it does not end in the name), machine, date and build.
fn runs_section(c: &Table) -> String {
    let rows = c.runs.iter().map(|r| {
        let path = if r.path.trim_end_matches('/').ends_with(&r.label) {
            String::new()
        } else {
            format!("<br><span class=\"ci\">{}</span>", esc(&r.path))
        };
        let (label, build) = (esc(&r.label), esc(&r.builds.describe()));
        format!(
            "<td><b>{}</b></td><td class=\"nowrap\"><code>{label}</code>{path}</td><td>{}</td><td class=\"nowrap\">{}</td><td>{build}</td>",
            esc(&r.letter),
            esc(&r.machine),
            esc(&r.date)
        )
    });
    let head = "<th></th><th>run</th><th>machine</th><th>saved</th><th>build</th>";
    format!("<section><h2>Runs</h2>{}</section>\n", table(head, rows))
}

/// The machine settings and model configurations that differ between the runs, each run's value side by side.
fn machine_section(c: &Table) -> String {
    let mut h = "<section><h2>Machine differences</h2>".to_string();
    if c.machine_diffs.is_empty() {
        h += "<p>None: the runs share every recorded machine setting.</p>";
    } else {
        h += "<p class=\"desc\">Read these before the numbers: a difference here can explain a difference below.</p>";
        h += &by_run(c, "field", &c.machine_diffs, esc);
    }
    let _ = write!(h, "<p class=\"skipped\">The same in every run: {}.</p>", esc(&c.same_fields()));
    if !c.config_diffs.is_empty() {
        h += "<h3>Model configuration differences</h3>";
        h += &by_run(c, "model", &c.config_diffs, |v| format!("<code>{}</code>", esc(v)));
    }
    h + "</section>\n"
}

/// A table with a row per item (its name first) and a column per run, each value as `cell` writes it.
fn by_run(c: &Table, first: &str, rows: &[(String, Vec<String>)], cell: impl Fn(&str) -> String) -> String {
    let letters: String = c.runs.iter().map(|r| format!("<th>{}</th>", esc(&r.letter))).collect();
    let rows = rows.iter().map(|(name, values)| {
        let values: String = values.iter().map(|v| format!("<td>{}</td>", cell(v))).collect();
        format!("<td>{}</td>{values}", esc(name))
    });
    table(&format!("<th>{first}</th>{letters}"), rows)
}

/// RSS plus the kernel's share per task, for every model and N with both, one column per run.
fn totals_section(c: &Table) -> String {
    let totals: Vec<_> = (0..c.runs.len()).map(|i| c.totals(i)).collect();
    let mut keys: Vec<(&str, usize)> = Vec::new();
    for t in totals.iter().flatten() {
        if !keys.contains(&(&t.model, t.n)) {
            keys.push((&t.model, t.n));
        }
    }
    if keys.is_empty() {
        return String::new();
    }
    let rows = keys.iter().map(|&(model, n)| {
        let cells: String = totals
            .iter()
            .map(|run| match run.iter().find(|t| t.model == model && t.n == n) {
                Some(t) => format!(
                    "<td class=\"num\"><b>{}</b> <span class=\"ci\">= {} + {}</span></td>",
                    thousands(t.bytes()),
                    thousands(t.rss),
                    thousands(t.kernel)
                ),
                None => "<td class=\"num missing\">—</td>".to_string(),
            })
            .collect();
        format!("<td>{}</td><td class=\"num\">{}</td>{cells}", esc(model), thousands(n as f64))
    });
    let runs: String =
        c.runs.iter().map(|r| format!("<th class=\"num\">{} RSS + kernel</th>", esc(&r.letter))).collect();
    format!(
        "<section id=\"g-total\"><h2>RSS + kernel <small>bytes per task</small></h2><p class=\"desc\">What a live \
         task costs the machine in all: its resident bytes plus the kernel's stacks and page tables (the medians of \
         rss_per_task and kernel_per_task, added).</p>{}</section>\n",
        table(&format!("<th>model</th><th class=\"num\">N</th>{runs}"), rows)
    )
}

/// A group: what its value is, its chart and table, where Criterion's page is, wall times, the readings'
/// notes, the skipped cells, and what the marks mean.
fn group_section(c: &Table, g: &GroupTable, colors: &BTreeMap<String, String>, links: &Links) -> String {
    let (name, multi) = (esc(g.group.name), c.runs.len() > 1);
    let mut h = format!(
        "<section id=\"g-{name}\"><h2>{name} <small>{}, lower is better</small></h2><p class=\"desc\">{}</p>",
        esc(g.group.short_unit()),
        esc(&g.value_is)
    );
    if let Some(line) = tasks_line(g) {
        let _ = write!(h, "<p class=\"desc\">{}</p>", esc(&line));
    }
    h += &chart(c, g, colors);
    h += &group_table(c, g, colors, links);
    if let Some(href) = links.groups.get(g.group.name) {
        let href = esc(href);
        let _ = write!(
            h,
            "<p class=\"skipped\"><a href=\"{href}\">Criterion's page for {name}</a> (latest local run).</p>"
        );
    }
    let walls: Vec<String> = g
        .wall_seconds
        .iter()
        .zip(&c.runs)
        .filter_map(|(w, r)| {
            Some(format!("{} s{}", (*w)?, if multi { format!(" ({})", r.letter) } else { String::new() }))
        })
        .collect();
    if !walls.is_empty() {
        let _ = write!(h, "<p class=\"skipped\">Wall time of the bench runs: {}.</p>", esc(&walls.join(", ")));
    }
    h += &listed("Notes from the readings", g.notes.iter().map(|(i, n)| (&n.id, c.in_runs(&[*i]), &n.note)));
    h += &listed("Skipped", g.skipped.iter().map(|(who, s)| (&s.id, c.in_runs(who), &s.reason)));
    if multi {
        let rule = esc(&c.rule.describe(c.confidence_level));
        let _ =
            write!(h, "<p class=\"skipped\"><span class=\"real\">{REAL_MARK}</span>: a real difference: {rule}.</p>");
    }
    if g.rows.iter().any(|r| r.cells.iter().flatten().any(Cell::flagged)) {
        let _ = write!(
            h,
            "<p class=\"skipped\"><span class=\"flag\">{FLAG_MARK}</span>: the samples split into two clusters, or \
             the mean and median differ by more than 10%; hover for which.</p>"
        );
    }
    h + "</section>\n"
}

/// Cells listed under a title, each as `id (in which runs): text`; nothing without cells.
fn listed<'a>(title: &str, cells: impl Iterator<Item = (&'a String, String, &'a String)>) -> String {
    let items: Vec<String> =
        cells.map(|(id, runs, text)| format!("<code>{}</code>{}: {}", esc(id), esc(&runs), esc(text))).collect();
    if items.is_empty() {
        return String::new();
    }
    format!("<p class=\"skipped\"><b>{title}:</b></p>{}", list("skipped", items))
}

/// The group's table: a row per model and x, each run's value with its interval, ratios, and links.
fn group_table(c: &Table, g: &GroupTable, colors: &BTreeMap<String, String>, links: &Links) -> String {
    let (unit, multi, level) = (g.group.short_unit(), c.runs.len() > 1, c.confidence_level * 100.0);
    let mut h = format!("<table><tr><th>model</th><th class=\"num\">{}</th>", g.group.axis.letter());
    for (i, r) in c.runs.iter().enumerate() {
        let head = if multi { format!("{}: {unit}", r.letter) } else { unit.to_string() };
        let _ = write!(h, "<th class=\"num\">{}</th><th class=\"num\">{level:.0}% CI</th>", esc(&head));
        if i > 0 {
            let _ = write!(h, "<th class=\"num\">{}/A</th>", esc(&r.letter));
        }
    }
    h += "<th>Criterion</th></tr>";
    for (k, row) in g.rows.iter().enumerate() {
        if k == 0 || g.rows[k - 1].model != row.model {
            let swatch = color_of(colors, &row.model);
            let model = esc(&row.model);
            let _ = write!(
                h,
                "<tr class=\"first\"><td><span class=\"swatch\" style=\"background:{swatch}\"></span>{model}</td>"
            );
        } else {
            h += "<tr><td></td>";
        }
        let _ = write!(h, "<td class=\"num\">{}</td>", row.x);
        let mut details = Vec::new();
        for (i, cell) in row.cells.iter().enumerate() {
            h += &cells_html(cell.as_ref(), i > 0, g.group.measures);
            if let Some(href) = cell.as_ref().and_then(|cl| links.cells.get(&(i, cl.id.clone()))) {
                let label = if multi { c.runs[i].letter.as_str() } else { "details" };
                details.push(format!("<a href=\"{}\">{}</a>", esc(href), esc(label)));
            }
        }
        let _ = write!(h, "<td>{}</td></tr>", details.join(" "));
    }
    h + "</table>"
}

/// A run's cells of a row: the value (with [`FLAG_MARK`] and why as its tooltip), its interval (the bounds as
/// its tooltip: exact byte counts give intervals narrower than printed digits), and after run A the ratio.
fn cells_html(cell: Option<&Cell>, ratio: bool, measures: Measures) -> String {
    let Some(cl) = cell else {
        return format!("<td class=\"num missing\">—</td><td></td>{}", if ratio { "<td></td>" } else { "" });
    };
    let flag = if cl.flagged() {
        format!(" <span class=\"flag\" title=\"{}\">{FLAG_MARK}</span>", esc(&cl.flag_reasons(measures)))
    } else {
        String::new()
    };
    let v = cl.per_task;
    let mut h = format!(
        "<td class=\"num\">{}{flag}</td><td class=\"num ci\" title=\"{}\">{}</td>",
        esc(&human(v.point, measures)),
        esc(&ci_text(&v, measures)),
        esc(&plus_minus_pct(v.relative_half_width()))
    );
    if ratio {
        let real = if cl.real == Some(true) { " real" } else { "" };
        let _ = write!(h, "<td class=\"num{real}\" title=\"{}\">{}</td>", esc(&verdict_text(cl)), esc(&ratio_cell(cl)));
    }
    h
}

/// The verdict behind a ratio, for its tooltip: the test's p-value or the interval fallback, and the effect.
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

/// `297 ns – 310 ns`.
fn ci_text(v: &Interval, measures: Measures) -> String {
    format!("{} – {}", human(v.lower, measures), human(v.upper, measures))
}

/// One group's log-log chart, a colour per model and a dash pattern per run, and beneath it what a log axis
/// cannot show: a state group's K = 0 and values at or below zero.
fn chart(c: &Table, g: &GroupTable, colors: &BTreeMap<String, String>) -> String {
    let (multi, measures, x) = (c.runs.len() > 1, g.group.measures, g.group.axis.letter());
    let mut series: BTreeMap<(usize, &str), Vec<Point>> = BTreeMap::new();
    let (mut at_zero, mut not_drawn) = (Vec::new(), Vec::new());
    for row in &g.rows {
        for (i, cl) in row.cells.iter().enumerate().filter_map(|(i, cl)| Some((i, cl.as_ref()?))) {
            let (v, letter) = (cl.per_task, &c.runs[i].letter);
            let who = if multi { format!("{letter}: ") } else { String::new() };
            if v.point > 0.0 && row.x == 0 {
                at_zero.push(format!("{who}{} {}", row.model, human(v.point, measures)));
            } else if v.point > 0.0 {
                let tip = format!(
                    "{who}{}, {x}={}: {} ({})",
                    row.model,
                    row.x,
                    human(v.point, measures),
                    ci_text(&v, measures)
                );
                series.entry((i, &row.model)).or_default().push(Point { n: row.x, value: v, tip });
            } else {
                not_drawn.push(format!("{letter} {} {x}={}", row.model, row.x));
            }
        }
    }
    let mut below = String::new();
    if !at_zero.is_empty() {
        let at_zero = esc(&at_zero.join(", "));
        let _ = write!(
            below,
            "<p class=\"skipped\">At K = 0 (each task holding nothing; a log axis has no place for it): {at_zero}.</p>"
        );
    }
    if series.is_empty() {
        return format!("<p class=\"skipped\">No positive values to chart.</p>{below}");
    }
    if !not_drawn.is_empty() {
        let _ = write!(below, "<p class=\"skipped\">Not drawn (value ≤ 0): {}.</p>", esc(&not_drawn.join(", ")));
    }
    let series = series.into_iter().map(|((run, m), points)| Series { color: color_of(colors, m), style: run, points });
    // Colours are models; with several runs, dash patterns are runs.
    let mut keys: Vec<Key> =
        g.models().into_iter().map(|m| Key { color: color_of(colors, m), text: m.into(), ..Key::default() }).collect();
    if multi {
        for (i, r) in c.runs.iter().enumerate() {
            // The run part of `machine/run` (the machine is in the runs table), its last 30 characters at most.
            let name: Vec<char> = r.label.rsplit('/').next().unwrap_or(&r.label).chars().collect();
            let name = match name.len() {
                0..=30 => name.iter().collect(),
                _ => format!("…{}", name[name.len() - 29..].iter().collect::<String>()),
            };
            let (text, title) = (format!("{}: {name}", r.letter), Some(r.label.clone()));
            keys.push(Key { color: "#333".into(), style: Some(i), text, title, space_above: i == 0, ..Key::default() });
        }
    }
    let chart = LogLog {
        x: g.group.axis,
        measures,
        y_label: format!("{} (log scale)", g.group.short_unit()),
        aria: format!("{} per task against {x}, log-log", g.group.name),
        legend_width: 290.0,
        series: series.collect(),
        keys,
        header: Vec::new(),
        footer: Vec::new(),
    };
    chart.svg() + &below
}
