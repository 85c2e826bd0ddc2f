//! One self-contained HTML page for one run or a comparison: per group a log-log chart of per-task cost
//! against N (a colour per model, a dash pattern per run) and the table beneath it, the runs, machine
//! differences, caveats, skips, and links to Criterion's pages where they still hold this run's data. The
//! page fetches nothing: CSS and SVG are inline, there is no script. Written with `format!` rather than a
//! template crate: `maud` leaves `'` as it is, [`esc`] writes `&#39;`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Result};

use super::chart::{color_of, Key, LogLog, Point, Series};
use super::format::{esc, human, thousands};
use super::links::Links;
use super::noise::DiffRule;
use super::run::Run;
use super::table::{self, tasks_line, GroupTable, Table, REAL_MARK};
use super::text::row_cells;
use crate::catalogue;
use crate::files::{iso8601, now_unix, write_atomic};

const CSS: &str = include_str!("report.css");

/// Builds the page for `runs` and writes it to `out`, marking differences by `rule`. `criterion_home` is where
/// to look for Criterion's pages besides the folder each run recorded.
pub fn write_report(runs: &[Run], rule: &DiffRule, out: &Path, criterion_home: Option<&Path>) -> Result<()> {
    let out_dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !out_dir.is_dir() {
        bail!("{}: folder does not exist (for --out {})", out_dir.display(), out.display());
    }
    write_atomic(out, render(runs, rule, out_dir, criterion_home, None)?.as_bytes())
}

/// The page, with links relative to `out_dir`. `intro`, for a page that is not a saved run's, is a paragraph
/// under the title and a list.
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
        let _ = writeln!(h, "<p class=\"desc\">{}</p>{}", esc(text), list(items.iter().map(|i| esc(i))));
    }
    let runs = c.runs.iter().map(|r| {
        let path = if r.path.trim_end_matches('/').ends_with(&r.label) {
            String::new()
        } else {
            format!("<br>{}", esc(&r.path))
        };
        vec![
            format!("<b>{}</b>", r.letter),
            format!("<code>{}</code>{path}", esc(&r.label)),
            esc(&r.machine),
            esc(&r.date),
            esc(&r.builds.describe()),
        ]
    });
    h += &section("Runs", "", &table(&["", "run", "machine", "saved", "build"], runs));
    let letters: Vec<&str> = c.runs.iter().map(|r| r.letter.as_str()).collect();
    let by_run = |first: &str, rows: &[(String, Vec<String>)]| {
        let rows = rows.iter().map(|(name, values)| [name].into_iter().chain(values).map(|v| esc(v)).collect());
        table(&[[first].as_slice(), &letters].concat(), rows)
    };
    if c.runs.len() > 1 {
        let diffs =
            if c.machine_diffs.is_empty() { "<p>None.</p>".to_string() } else { by_run("field", &c.machine_diffs) };
        let same = format!("<p class=\"skipped\">The same in every run: {}.</p>", esc(&c.same_fields()));
        h += &section("Machine differences", "read these before the numbers", &(diffs + &same));
        if !c.config_diffs.is_empty() {
            h += &section("Model configuration differences", "", &by_run("model", &c.config_diffs));
        }
    } else {
        let configs = c.configs.iter().map(|(m, cfg)| vec![esc(m), format!("<code>{}</code>", esc(cfg))]);
        h += &section("Models", "", &table(&["model", "configuration"], configs));
    }
    if !c.caveats.is_empty() {
        h +=
            &section("Caveats", "", &list(c.caveats.iter().map(|(m, cav)| format!("<b>{}</b>: {}", esc(m), esc(cav)))));
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
        "<footer><p>{}</p><p>Hover a value for its interval's bounds, a ratio for the test behind it. Charts: both axes \
         logarithmic; points are medians, bars their {:.0}% confidence interval. Points at or below zero, and a state \
         group's K = 0, are listed under their chart. The numbers come from each run's <code>summary.json</code>.</p>\
         </footer>\n</main>\n</body>\n</html>\n",
        esc(&c.legend()),
        c.confidence_level * 100.0
    );
    Ok(h)
}

fn section(title: &str, desc: &str, body: &str) -> String {
    let desc = if desc.is_empty() { String::new() } else { format!("<p class=\"desc\">{}</p>", esc(desc)) };
    format!("<section><h2>{title}</h2>{desc}{body}</section>\n")
}

fn table(head: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let head: String = head.iter().map(|h| format!("<th>{}</th>", esc(h))).collect();
    let rows: String = rows.into_iter().map(|r| format!("<tr><td>{}</td></tr>", r.join("</td><td>"))).collect();
    format!("<table><tr>{head}</tr>{rows}</table>")
}

/// A list, each item already HTML; nothing without items.
fn list(items: impl IntoIterator<Item = String>) -> String {
    let items: String = items.into_iter().map(|i| format!("<li>{i}</li>")).collect();
    if items.is_empty() {
        items
    } else {
        format!("<ul class=\"skipped\">{items}</ul>")
    }
}

/// RSS plus the kernel's share per task, for every model and N with both, a column per run.
fn totals_section(c: &Table) -> String {
    let totals: Vec<_> = (0..c.runs.len()).map(|i| c.totals(i)).collect();
    let mut keys: Vec<(&str, usize)> = Vec::new();
    for t in totals.iter().flatten() {
        if !keys.contains(&(&t.model, t.n)) {
            keys.push((&t.model, t.n));
        }
    }
    let rows = keys.iter().map(|&(model, n)| {
        let cells = totals.iter().map(|run| match run.iter().find(|t| t.model == model && t.n == n) {
            Some(t) => format!("<b>{}</b> = {} + {}", thousands(t.bytes()), thousands(t.rss), thousands(t.kernel)),
            None => "—".to_string(),
        });
        [esc(model), thousands(n as f64)].into_iter().chain(cells).collect()
    });
    let head: Vec<String> = c.runs.iter().map(|r| format!("{}: RSS + kernel", r.letter)).collect();
    let head: Vec<&str> = ["model", "N"].into_iter().chain(head.iter().map(String::as_str)).collect();
    let desc =
        "What a live task costs the machine in all, bytes per task: its resident bytes plus the kernel's stacks \
                and page tables (the medians of rss_per_task and kernel_per_task, added).";
    if keys.is_empty() {
        return String::new();
    }
    section("RSS + kernel", desc, &table(&head, rows))
}

/// A group: what its value is, its chart and table, Criterion's page, wall times, the readings' notes and skips.
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
        let _ = write!(
            h,
            "<p class=\"skipped\"><a href=\"{}\">Criterion's page for {name}</a> (latest local run).</p>",
            esc(href)
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
        let _ = write!(h, "<p class=\"skipped\">Wall time of the bench runs: {}.</p>", walls.join(", "));
    }
    for (title, items) in [
        (
            "Notes from the readings",
            g.notes.iter().map(|(i, n)| (&n.id, c.in_runs(&[*i]), &n.note)).collect::<Vec<_>>(),
        ),
        ("Skipped", g.skipped.iter().map(|(who, s)| (&s.id, c.in_runs(who), &s.reason)).collect()),
    ] {
        if !items.is_empty() {
            let items = items
                .into_iter()
                .map(|(id, runs, text)| format!("<code>{}</code>{}: {}", esc(id), esc(&runs), esc(text)));
            let _ = write!(h, "<p class=\"skipped\"><b>{title}:</b></p>{}", list(items));
        }
    }
    h + "</section>\n"
}

/// The group's table: a row per model and x, each run's value (hover: bounds, flags) and ratio (hover: the
/// verdict), and links to Criterion's pages.
fn group_table(c: &Table, g: &GroupTable, colors: &BTreeMap<String, String>, links: &Links) -> String {
    let unit = g.group.short_unit();
    let per_floor = g.interleaved.iter().any(|&i| i);
    let mut h = format!("<table><tr><th>model</th><th class=\"num\">{}</th>", g.group.axis.letter());
    for (i, r) in c.runs.iter().enumerate() {
        let _ = write!(h, "<th class=\"num\">{}: {}</th>", r.letter, esc(unit));
        if per_floor {
            let _ = write!(h, "<th class=\"num\">{} ×floor</th>", r.letter);
        }
        if i > 0 {
            let _ = write!(h, "<th class=\"num\">{}/A</th>", r.letter);
        }
    }
    h += "<th>Criterion</th></tr>";
    for (k, row) in g.rows.iter().enumerate() {
        let first = k == 0 || g.rows[k - 1].model != row.model;
        let mut cells = row_cells(row, g.group.measures).into_iter();
        let (model, _) = cells.next().expect("a model");
        if first {
            let swatch = color_of(colors, &row.model);
            let model = esc(&model);
            let _ = write!(
                h,
                "<tr class=\"first\"><td><span class=\"swatch\" style=\"background:{swatch}\"></span>{model}</td>"
            );
        } else {
            h += "<tr><td></td>";
        }
        let mut td = |(text, tip): (String, String)| {
            let real = if text.ends_with(REAL_MARK) { " real" } else { "" };
            let title = if tip.is_empty() { String::new() } else { format!(" title=\"{}\"", esc(&tip)) };
            let _ = write!(h, "<td class=\"num{real}\"{title}>{}</td>", esc(&text));
        };
        td(cells.next().expect("an x"));
        for (i, ratio) in row.per_floor.iter().enumerate() {
            td(cells.next().expect("a value per run"));
            if per_floor {
                td(ratio.map_or_else(Default::default, |r| {
                    let tip = format!("median of {} per-round ratios to floor, 95% interval", r.rounds);
                    (format!("{:.2}× ({:.2}–{:.2})", r.median, r.low, r.high), tip)
                }));
            }
            if i > 0 {
                td(cells.next().expect("a ratio per later run"));
            }
        }
        let details: Vec<String> = row
            .cells
            .iter()
            .enumerate()
            .filter_map(|(i, cl)| {
                let href = links.cells.get(&(i, cl.as_ref()?.id.clone()))?;
                Some(format!(
                    "<a href=\"{}\">{}</a>",
                    esc(href),
                    if c.runs.len() > 1 { c.runs[i].letter.as_str() } else { "details" }
                ))
            })
            .collect();
        let _ = write!(h, "<td>{}</td></tr>", details.join(" "));
    }
    h + "</table>"
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
            let value = human(v.point, measures);
            if v.point > 0.0 && row.x == 0 {
                at_zero.push(format!("{who}{} {value}", row.model));
            } else if v.point > 0.0 {
                let bounds = format!("{} – {}", human(v.lower, measures), human(v.upper, measures));
                let tip = format!("{who}{}, {x}={}: {value} ({bounds})", row.model, row.x);
                series.entry((i, &row.model)).or_default().push(Point { n: row.x, value: v, tip });
            } else {
                not_drawn.push(format!("{letter} {} {x}={}", row.model, row.x));
            }
        }
    }
    let mut below = String::new();
    if !at_zero.is_empty() {
        let _ = write!(
            below,
            "<p class=\"skipped\">At K = 0 (each task holding nothing; a log axis has no place for it): {}.</p>",
            esc(&at_zero.join(", "))
        );
    }
    if !not_drawn.is_empty() {
        let _ = write!(below, "<p class=\"skipped\">Not drawn (value ≤ 0): {}.</p>", esc(&not_drawn.join(", ")));
    }
    if series.is_empty() {
        return format!("<p class=\"skipped\">No positive values to chart.</p>{below}");
    }
    let series = series.into_iter().map(|((run, m), points)| Series { color: color_of(colors, m), style: run, points });
    // Colours are models; with several runs, dash patterns are runs.
    let mut keys: Vec<Key> =
        g.models().into_iter().map(|m| Key { color: color_of(colors, m), text: m.into(), ..Key::default() }).collect();
    for (i, r) in c.runs.iter().enumerate().filter(|_| multi) {
        // The run part of `machine/run` (the machine is in the runs table), its last 30 characters at most.
        let name: Vec<char> = r.label.rsplit('/').next().unwrap_or(&r.label).chars().collect();
        let name: String = if name.len() > 30 {
            "…".chars().chain(name[name.len() - 29..].iter().copied()).collect()
        } else {
            name.iter().collect()
        };
        let (text, title) = (format!("{}: {name}", r.letter), Some(r.label.clone()));
        keys.push(Key { color: "#333".into(), style: Some(i), text, title, space_above: i == 0, ..Key::default() });
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
