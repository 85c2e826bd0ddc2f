//! `taskbench report`: one self-contained HTML page (no script, nothing fetched) of the comparison's blocks,
//! with per group a log-log chart (a colour per model, a dash pattern per run) and links to Criterion's pages
//! where they still hold this run's data.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use super::chart::{color_of, Key, LogLog, Point, Series};
use super::format::{esc, human};
use super::noise::DiffRule;
use super::page::{self, Block, Format};
use super::run::Run;
use super::table::{self, GroupTable, Table};
use super::text::{self, Links};
use crate::files::{iso8601, now_unix, relative_to, write_atomic};
use crate::record::criterion_cell_dir;

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
    let (links, group_links) = links(runs, out_dir, criterion_home);
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
    let mut blocks = Vec::new();
    if let Some((text, items)) = intro {
        blocks.extend([Block::Para(text.to_string()), Block::List(items.to_vec())]);
    }
    let nav: String = c.groups.iter().map(|g| format!("<a href=\"#{0}\">{0}</a> ", esc(g.group.name))).collect();
    blocks.push(Block::Html(format!("<nav><b>Groups:</b> {nav}</nav>")));
    // Each group's chart above its table, Criterion's page for the group below it.
    let more = |g: &GroupTable, o: &mut Vec<Block>| {
        let at = o.iter().position(|b| matches!(b, Block::Table(_))).unwrap_or(o.len());
        o.insert(at, Block::Html(chart(&c, g, &colors)));
        if let Some(href) = group_links.get(g.group.name) {
            let link = format!(
                "<p><a href=\"{}\">Criterion's page for {}</a> (latest local run).</p>",
                esc(href),
                g.group.name
            );
            o.insert(at + 2, Block::Html(link));
        }
    };
    blocks.extend(text::blocks(&c, &links, &colors, &more));
    blocks.push(Block::Para(format!(
        "Hover a value for its interval's bounds, a ratio for the test behind it; a value links to Criterion's \
         page for it where Criterion's folder still holds this run's data. Charts: both axes logarithmic; points \
         are medians, bars their {:.0}% confidence interval. Points at or below zero, and a state group's K = 0, \
         are listed under their chart. The numbers come from each run's `summary.json`.",
        c.confidence_level * 100.0
    )));
    h += &page::write(&blocks, Format::Html);
    Ok(h + "</main>\n</body>\n</html>\n")
}

/// Hrefs of Criterion's pages relative to `out_dir`, by (run, cell id) and by group: only where Criterion's
/// folder (the one each run names, or `extra_home`) still holds the very data the run saved (its
/// `estimates.json` byte for byte), so a link never shows another run's numbers.
fn links(runs: &[Run], out_dir: &Path, extra_home: Option<&Path>) -> (Links, BTreeMap<String, String>) {
    let (mut cells, mut groups) = (Links::new(), BTreeMap::new());
    let page = |dir: PathBuf| dir.join("report").join("index.html");
    for (i, run) in runs.iter().enumerate() {
        let homes: Vec<&Path> = [Path::new(&run.summary.criterion_home)].into_iter().chain(extra_home).collect();
        for b in &run.summary.benchmarks {
            let Some(raw) = &b.raw else { continue };
            let Ok(saved) = fs::read(run.path.join(raw).join("estimates.json")) else { continue };
            let cell = |home: &Path| criterion_cell_dir(home, &b.group, &b.model, b.n);
            let same = |home: &&Path| fs::read(cell(home).join("new").join("estimates.json")).is_ok_and(|e| e == saved);
            let Some(home) = homes.iter().find(|h| same(h) && page(cell(h)).is_file()) else { continue };
            let Some(link) = href(out_dir, &page(cell(home))) else { continue };
            cells.insert((i, b.id.clone()), link);
            let group_page = page(home.join(&b.group));
            if let Some(gh) = group_page.is_file().then(|| href(out_dir, &group_page)).flatten() {
                groups.entry(b.group.clone()).or_insert(gh);
            }
        }
    }
    (cells, groups)
}

/// A relative URL from `from_dir` to `target` when they share a root, else a `file://` URL.
fn href(from_dir: &Path, target: &Path) -> Option<String> {
    let rel = match relative_to(from_dir, target) {
        Some(p) => p.to_string_lossy().into_owned(),
        None => format!("file://{}", fs::canonicalize(target).ok()?.display()),
    };
    Some(url_path(&rel))
}

/// `p` with every byte but letters, digits and `-._~/:` percent-encoded.
pub fn url_path(p: &str) -> String {
    let keep = |b: u8| b.is_ascii_alphanumeric() || b"-._~/:".contains(&b);
    p.bytes().map(|b| if keep(b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
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
    for (what, items) in [
        ("At K = 0 (each task holding nothing; a log axis has no place for it)", at_zero),
        ("Not drawn (value ≤ 0)", not_drawn),
    ] {
        if !items.is_empty() {
            let _ = write!(below, "<p class=\"skipped\">{what}: {}.</p>", esc(&items.join(", ")));
        }
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
        let short = name.len() > 30;
        let tail: String = name[if short { name.len() - 29 } else { 0 }..].iter().collect();
        let name = if short { format!("…{tail}") } else { tail };
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
