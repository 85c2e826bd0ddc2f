//! One self-contained HTML page for one run or a comparison: per group a log-log chart of per-task cost
//! against N (one line per model, one dash pattern per run), the table beneath it, caveats and skipped
//! benchmarks, and links to Criterion's detailed pages where they still hold this run's data.
//!
//! The page fetches nothing: CSS and SVG are inline, there is no script, and links go only to local files.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use super::compare::{
    compare, in_runs, legend, ratio_cell, same_fields, Cell, Comparison, GroupTable, FLAG_MARK, REAL_MARK,
};
use super::noise::{Basis, DiffRule};
use super::run::Run;
use super::summary::{Interval, Total, KERNEL_GROUP};
use super::{human, iso8601, now_unix, per_task_label, relative_to, thousands, write_atomic};

/// Colours for models, in registry order; distinguishable and readable on white.
const PALETTE: &[&str] = &[
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22",
    "#393b79", "#637939",
];
/// Dash patterns for runs A, B, C, ...
const DASHES: &[&str] = &["", "7 4", "2 3", "10 3 2 3", "4 4 1 4"];

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
    let c = compare(runs, rule)?;
    let links = Links::find(runs, out_dir, criterion_home);
    let colors = model_colors(&c);
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
        let _ = write!(h, "<a href=\"#g-{0}\">{0}</a> ", esc(&g.group));
    }
    h.push_str("</nav>\n");
    for g in &c.groups {
        group_section(&mut h, &c, g, &colors, &links);
        if g.group == KERNEL_GROUP {
            totals_section(&mut h, &c, runs);
        }
    }
    let _ = write!(
        h,
        "<footer><p>{}</p><p>Charts: both axes logarithmic; points are medians, bars their {:.0}% confidence interval \
         (often narrower than the marker). Points at or below zero cannot be drawn on a log axis and are listed \
         under their chart. The numbers come from each run's <code>summary.json</code>.</p></footer>\n\
         </main>\n</body>\n</html>\n",
        esc(&legend(&c)),
        c.confidence_level * 100.0
    );
    Ok(h)
}

const CSS: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#222;background:#fff;margin:0}
main{max-width:1100px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:24px;margin:8px 0 0}h2{font-size:19px;margin:28px 0 6px;border-bottom:1px solid #ddd;padding-bottom:3px}
h2 small{font-weight:normal;color:#666;font-size:14px}.sub{color:#666;margin:2px 0 12px}
table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #e5e5e5;padding:3px 9px;text-align:left;vertical-align:baseline}
th{background:#f5f5f5;font-weight:600}td.num,th.num{text-align:right;white-space:nowrap}
tr.first td{border-top:1px solid #bbb}.ci{color:#777;font-size:12px}.real{color:#b00;font-weight:700}
.flag{color:#a60;font-weight:700;cursor:help}
.missing{color:#aaa}.nowrap{white-space:nowrap}.desc{color:#444;margin:2px 0 6px}code{font-size:12px;background:#f3f3f3;padding:0 3px}
ul.caveats li{color:#7a4b00}.skipped{color:#555;font-size:13px}nav{margin:18px 0 0}nav a{margin-right:10px}
svg{display:block;max-width:100%;height:auto}svg text{font:12px system-ui,sans-serif;fill:#333}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:baseline}
footer{margin-top:32px;color:#555;font-size:13px;border-top:1px solid #ddd}
";

/// RSS plus the kernel's share per task, for every model and N with both, one column per run.
fn totals_section(h: &mut String, c: &Comparison, runs: &[Run]) {
    let totals: Vec<Vec<Total>> = runs.iter().map(|r| r.summary.totals()).collect();
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

fn runs_section(h: &mut String, c: &Comparison) {
    h.push_str("<section><h2>Runs</h2><table><tr><th></th><th>run</th><th>machine</th><th>saved</th></tr>");
    for r in &c.runs {
        let _ = write!(
            h,
            "<tr><td><b>{}</b></td><td class=\"nowrap\"><code>{}</code>{}</td><td>{}</td><td class=\"nowrap\">{}</td></tr>",
            esc(&r.letter),
            esc(&r.label),
            if r.path.trim_end_matches('/').ends_with(&r.label) {
                String::new()
            } else {
                format!("<br><span class=\"ci\">{}</span>", esc(&r.path))
            },
            esc(&r.machine),
            esc(&r.date)
        );
    }
    h.push_str("</table></section>\n");
}

fn machine_section(h: &mut String, c: &Comparison) {
    h.push_str("<section><h2>Machine differences</h2>");
    if c.machine_diffs.is_empty() {
        h.push_str("<p>None: the runs share every recorded machine setting.</p>");
    } else {
        h.push_str(
            "<p class=\"desc\">Read these before the numbers: a difference here can explain a difference below.</p>",
        );
        h.push_str("<table><tr><th>field</th>");
        for r in &c.runs {
            let _ = write!(h, "<th>{}</th>", esc(&r.letter));
        }
        h.push_str("</tr>");
        for (f, vals) in &c.machine_diffs {
            let _ = write!(h, "<tr><td>{}</td>", esc(f));
            for v in vals {
                let _ = write!(h, "<td>{}</td>", esc(v));
            }
            h.push_str("</tr>");
        }
        h.push_str("</table>");
    }
    let _ = write!(h, "<p class=\"skipped\">The same in every run: {}.</p>", esc(&same_fields(c)));
    if !c.config_diffs.is_empty() {
        h.push_str("<h3>Model configuration differences</h3><table><tr><th>model</th>");
        for r in &c.runs {
            let _ = write!(h, "<th>{}</th>", esc(&r.letter));
        }
        h.push_str("</tr>");
        for (m, vals) in &c.config_diffs {
            let _ = write!(h, "<tr><td>{}</td>", esc(m));
            for v in vals {
                let _ = write!(h, "<td><code>{}</code></td>", esc(v));
            }
            h.push_str("</tr>");
        }
        h.push_str("</table>");
    }
    h.push_str("</section>\n");
}

fn configs_section(h: &mut String, c: &Comparison) {
    h.push_str("<section><h2>Models</h2><table><tr><th>model</th><th>configuration</th></tr>");
    for (m, cfg) in &c.configs {
        let _ = write!(h, "<tr><td>{}</td><td><code>{}</code></td></tr>", esc(m), esc(cfg));
    }
    h.push_str("</table></section>\n");
}

fn group_section(h: &mut String, c: &Comparison, g: &GroupTable, colors: &BTreeMap<String, String>, links: &Links) {
    let unit = per_task_label(&g.unit);
    let _ = write!(
        h,
        "<section id=\"g-{0}\"><h2>{0} <small>{1}, lower is better</small></h2><p class=\"desc\">{2}</p>",
        esc(&g.group),
        esc(unit),
        esc(&g.value_is)
    );
    h.push_str(&chart(c, g, colors));
    let multi = c.runs.len() > 1;
    h.push_str("<table><tr><th>model</th><th class=\"num\">N</th>");
    for (i, r) in c.runs.iter().enumerate() {
        let head = if multi { format!("{}: {unit}", r.letter) } else { unit.to_string() };
        let _ = write!(
            h,
            "<th class=\"num\">{}</th><th class=\"num\">{:.0}% CI</th>",
            esc(&head),
            c.confidence_level * 100.0
        );
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
            row.n
        );
        let mut details = Vec::new();
        for (i, cell) in row.cells.iter().enumerate() {
            match cell {
                Some(cl) => {
                    let _ = write!(
                        h,
                        "<td class=\"num\">{}{}</td><td class=\"num ci\" title=\"{}\">{}</td>",
                        esc(&human(cl.per_task.point, &g.unit)),
                        flag_html(cl, &g.unit),
                        esc(&ci_text(&cl.per_task, &g.unit)),
                        esc(&ci_pct(&cl.per_task))
                    );
                    if let Some(href) = links.cells.get(&(i, cl.id.clone())) {
                        let label = if multi { c.runs[i].letter.clone() } else { "details".into() };
                        details.push(format!("<a href=\"{}\">{}</a>", esc(href), esc(&label)));
                    }
                }
                None => h.push_str("<td class=\"num missing\">—</td><td></td>"),
            }
            if i > 0 {
                match cell {
                    Some(cl) => {
                        let _ = write!(
                            h,
                            "<td class=\"num{}\" title=\"{}\">{}</td>",
                            if cl.real == Some(true) { " real" } else { "" },
                            esc(&verdict_text(cl)),
                            esc(&ratio_cell(cl))
                        );
                    }
                    None => h.push_str("<td></td>"),
                }
            }
        }
        let _ = write!(h, "<td>{}</td></tr>", details.join(" "));
    }
    h.push_str("</table>");
    if let Some(href) = links.groups.get(&g.group) {
        let _ = write!(
            h,
            "<p class=\"skipped\"><a href=\"{}\">Criterion's page for {}</a> (latest local run).</p>",
            esc(href),
            esc(&g.group)
        );
    }
    if !g.skipped.is_empty() {
        h.push_str("<p class=\"skipped\"><b>Skipped:</b></p><ul class=\"skipped\">");
        for (who, s) in &g.skipped {
            let _ = write!(h, "<li><code>{}</code>{}: {}</li>", esc(&s.id), esc(&in_runs(c, who)), esc(&s.reason));
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

/// [`FLAG_MARK`] with its reasons as a tooltip, for a flagged cell; nothing otherwise.
fn flag_html(c: &Cell, unit: &str) -> String {
    if c.flagged() {
        format!(" <span class=\"flag\" title=\"{}\">{FLAG_MARK}</span>", esc(&c.flag_reasons(unit)))
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
fn ci_text(v: &Interval, unit: &str) -> String {
    format!("{} – {}", human(v.lower, unit), human(v.upper, unit))
}

/// `±2.1%`: half the interval, relative; exact byte counts give intervals narrower than printed digits, so
/// the bounds themselves go in the tooltip.
fn ci_pct(v: &Interval) -> String {
    let p = v.relative_half_width() * 100.0;
    if p == 0.0 {
        "±0".to_string()
    } else if p < 0.1 {
        format!("±{p:.2}%")
    } else {
        format!("±{p:.1}%")
    }
}

fn model_colors(c: &Comparison) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut models: Vec<&str> = c.configs.iter().map(|(m, _)| m.as_str()).collect();
    for g in &c.groups {
        for r in &g.rows {
            if !models.contains(&r.model.as_str()) {
                models.push(&r.model);
            }
        }
    }
    for (i, m) in models.into_iter().enumerate() {
        out.insert(m.to_string(), PALETTE[i % PALETTE.len()].to_string());
    }
    out
}

/// A log-log SVG chart of one group: per-task value against N.
fn chart(c: &Comparison, g: &GroupTable, colors: &BTreeMap<String, String>) -> String {
    const W: f64 = 1060.0;
    const H: f64 = 400.0;
    const L: f64 = 78.0;
    const R: f64 = 770.0;
    const T: f64 = 16.0;
    const B: f64 = 350.0;
    let mut pts: Vec<(usize, &str, usize, Interval)> = Vec::new();
    let mut not_drawn = Vec::new();
    for row in &g.rows {
        for (i, cell) in row.cells.iter().enumerate() {
            if let Some(cl) = cell {
                if cl.per_task.point > 0.0 {
                    pts.push((i, &row.model, row.n, cl.per_task));
                } else {
                    not_drawn.push(format!("{} {} N={}", c.runs[i].letter, row.model, row.n));
                }
            }
        }
    }
    if pts.is_empty() {
        return "<p class=\"skipped\">No positive values to chart.</p>".to_string();
    }
    let ns: Vec<usize> = {
        let mut v: Vec<usize> = pts.iter().map(|p| p.2).collect();
        v.sort();
        v.dedup();
        v
    };
    let (x0, x1) = pad_range((ns[0] as f64).log10(), (ns[ns.len() - 1] as f64).log10(), 0.08, 0.5);
    let lows = pts.iter().map(|p| if p.3.lower > 0.0 { p.3.lower } else { p.3.point });
    let highs = pts.iter().map(|p| p.3.upper.max(p.3.point));
    let ymin = lows.fold(f64::INFINITY, f64::min).log10();
    let ymax = highs.fold(f64::NEG_INFINITY, f64::max).log10();
    let (y0, y1) = pad_range(ymin, ymax, 0.06, 1.0);
    let sx = |n: f64| L + (n.log10() - x0) / (x1 - x0) * (R - L);
    let sy = |v: f64| B - (v.log10() - y0) / (y1 - y0) * (B - T);

    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" \
         aria-label=\"{} per task against N, log-log\">",
        esc(&g.group)
    );
    let _ = write!(
        s,
        "<rect x=\"{L}\" y=\"{T}\" width=\"{}\" height=\"{}\" fill=\"#fcfcfc\" stroke=\"#bbb\"/>",
        R - L,
        B - T
    );
    for v in y_ticks(y0, y1, &g.unit) {
        let y = sy(v);
        let _ = write!(
            s,
            "<line x1=\"{L}\" x2=\"{R}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e6e6e6\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            L - 6.0,
            y + 4.0,
            esc(&tick_label(v, &g.unit))
        );
    }
    for &n in &ns {
        let x = sx(n as f64);
        let _ = write!(
            s,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{T}\" y2=\"{B}\" stroke=\"#e6e6e6\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            B + 16.0,
            short_n(n)
        );
    }
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">N (tasks), log scale</text>\
         <text transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">{} (log scale)</text>",
        (L + R) / 2.0,
        B + 38.0,
        (T + B) / 2.0,
        esc(per_task_label(&g.unit))
    );

    // One line per model and run; CI bars and markers on top.
    let mut series: BTreeMap<(usize, String), Vec<(usize, Interval)>> = BTreeMap::new();
    for (i, m, n, v) in &pts {
        series.entry((*i, m.to_string())).or_default().push((*n, *v));
    }
    let multi = c.runs.len() > 1;
    for ((run, model), mut line) in series {
        line.sort_by_key(|p| p.0);
        let color = colors.get(&model).map(String::as_str).unwrap_or("#000");
        let dash = DASHES[run % DASHES.len()];
        let path: Vec<String> = line.iter().map(|(n, v)| format!("{:.1},{:.1}", sx(*n as f64), sy(v.point))).collect();
        let _ = write!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{}/>",
            path.join(" "),
            if dash.is_empty() { String::new() } else { format!(" stroke-dasharray=\"{dash}\"") }
        );
        for (n, v) in &line {
            let (x, y) = (sx(*n as f64), sy(v.point));
            if v.lower > 0.0 && v.upper > v.lower {
                let (ya, yb) = (sy(v.lower), sy(v.upper));
                let _ = write!(
                    s,
                    "<path d=\"M{x:.1} {ya:.1}V{yb:.1}M{:.1} {ya:.1}h6M{:.1} {yb:.1}h6\" stroke=\"{color}\" stroke-width=\"1.2\"/>",
                    x - 3.0,
                    x - 3.0
                );
            }
            let who = if multi { format!("{}: ", c.runs[run].letter) } else { String::new() };
            let tip = format!("{who}{model}, N={n}: {} ({})", human(v.point, &g.unit), ci_text(v, &g.unit));
            let _ = write!(s, "{}", marker(run, x, y, color, &tip));
        }
    }

    // Legend: colours are models; with several runs, dash patterns are runs.
    let lx = R + 24.0;
    let mut ly = T + 10.0;
    let mut models: Vec<&String> = g.rows.iter().map(|r| &r.model).collect();
    models.dedup();
    for m in models {
        let color = colors.get(m).map(String::as_str).unwrap_or("#000");
        let _ = write!(
            s,
            "<line x1=\"{lx}\" x2=\"{:.1}\" y1=\"{ly:.1}\" y2=\"{ly:.1}\" stroke=\"{color}\" stroke-width=\"3\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            lx + 26.0,
            lx + 32.0,
            ly + 4.0,
            esc(m)
        );
        ly += 18.0;
    }
    if multi {
        ly += 8.0;
        for (i, r) in c.runs.iter().enumerate() {
            let dash = DASHES[i % DASHES.len()];
            let _ = write!(
                s,
                "<line x1=\"{lx}\" x2=\"{:.1}\" y1=\"{ly:.1}\" y2=\"{ly:.1}\" stroke=\"#333\" stroke-width=\"2\"{}/>{}\
                 <text x=\"{:.1}\" y=\"{:.1}\">{}<title>{}</title></text>",
                lx + 26.0,
                if dash.is_empty() { String::new() } else { format!(" stroke-dasharray=\"{dash}\"") },
                marker(i, lx + 13.0, ly, "#333", &r.label),
                lx + 32.0,
                ly + 4.0,
                esc(&format!("{}: {}", r.letter, ellipsize(&run_name(&r.label), 30))),
                esc(&r.label)
            );
            ly += 18.0;
        }
    }
    s.push_str("</svg>");
    if !not_drawn.is_empty() {
        let _ = write!(s, "<p class=\"skipped\">Not drawn (value ≤ 0): {}.</p>", esc(&not_drawn.join(", ")));
    }
    s
}

/// Run A: filled circle, B: hollow circle, C: filled square, D: hollow square, ...
fn marker(run: usize, x: f64, y: f64, color: &str, tip: &str) -> String {
    let fill = if run % 2 == 0 { color } else { "#fff" };
    let tip = format!("<title>{}</title>", esc(tip));
    if (run / 2) % 2 == 0 {
        format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"{fill}\" stroke=\"{color}\" stroke-width=\"1.5\">{tip}</circle>")
    } else {
        format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"8\" fill=\"{fill}\" stroke=\"{color}\" stroke-width=\"1.5\">{tip}</rect>",
            x - 4.0,
            y - 4.0
        )
    }
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

/// Widens `[a, b]` (log10 units) by `frac` of its span on each side, or to at least `min_span`.
fn pad_range(a: f64, b: f64, frac: f64, min_span: f64) -> (f64, f64) {
    let span = b - a;
    if span < min_span {
        let mid = (a + b) / 2.0;
        (mid - min_span / 2.0, mid + min_span / 2.0)
    } else {
        (a - span * frac, b + span * frac)
    }
}

/// Tick values inside `[10^y0, 10^y1]`: 1-2-5 steps for time, powers of two for bytes, thinned to at most 9.
fn y_ticks(y0: f64, y1: f64, unit: &str) -> Vec<f64> {
    let (lo, hi) = (10f64.powf(y0), 10f64.powf(y1));
    let mut ticks = Vec::new();
    if unit.starts_with("bytes") {
        let mut k = lo.log2().floor() as i32;
        while 2f64.powi(k) <= hi {
            let v = 2f64.powi(k);
            if v >= lo {
                ticks.push(v);
            }
            k += 1;
        }
    } else {
        let mut e = y0.floor() as i32;
        while 10f64.powi(e) <= hi {
            for m in [1.0, 2.0, 5.0] {
                let v = m * 10f64.powi(e);
                if v >= lo && v <= hi {
                    ticks.push(v);
                }
            }
            e += 1;
        }
        // Many decades: keep the powers of ten only.
        if ticks.len() > 9 {
            ticks.retain(|v| (v.log10() - v.log10().round()).abs() < 1e-9);
        }
    }
    let step = ticks.len().div_ceil(9).max(1);
    if step > 1 {
        ticks = ticks.into_iter().enumerate().filter(|(i, _)| i % step == 0).map(|(_, v)| v).collect();
    }
    ticks
}

/// `1 KiB`, `256 B`, `2 µs`: [`human`] without trailing zeros.
fn tick_label(v: f64, unit: &str) -> String {
    let s = human(v, unit);
    let (num, u) = s.split_once(' ').unwrap_or((&s, ""));
    let num = if num.contains('.') { num.trim_end_matches('0').trim_end_matches('.') } else { num };
    format!("{num} {u}")
}

/// `10k`, `1M`, `250`.
fn short_n(n: usize) -> String {
    if n >= 1_000_000 && n % 1_000_000 == 0 {
        format!("{}M", n / 1_000_000)
    } else if n >= 1000 && n % 1000 == 0 {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

/// HTML escaping for text and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Links to Criterion's pages, only where Criterion's folder still holds the very data the run saved.
struct Links {
    /// (run index, benchmark id) → href.
    cells: BTreeMap<(usize, String), String>,
    /// group → href of Criterion's group page.
    groups: BTreeMap<String, String>,
}

impl Links {
    fn find(runs: &[Run], out_dir: &Path, extra_home: Option<&Path>) -> Links {
        let mut cells = BTreeMap::new();
        let mut groups = BTreeMap::new();
        for (i, run) in runs.iter().enumerate() {
            let mut homes = vec![PathBuf::from(&run.summary.criterion_home)];
            if let Some(h) = extra_home {
                homes.push(h.to_path_buf());
            }
            for b in &run.summary.benchmarks {
                let Some(raw) = &b.raw else { continue };
                let Ok(saved) = fs::read(run.path.join(raw).join("estimates.json")) else { continue };
                // raw is "criterion/<group>/<model>/<N>/new": the benchmark's folder under Criterion's home.
                let Some(bench_dir) = Path::new(raw).strip_prefix("criterion").ok().and_then(Path::parent) else {
                    continue;
                };
                for home in &homes {
                    let page = home.join(bench_dir).join("report").join("index.html");
                    let same =
                        fs::read(home.join(bench_dir).join("new").join("estimates.json")).is_ok_and(|b| b == saved);
                    if same && page.is_file() {
                        if let Some(link) = href(out_dir, &page) {
                            cells.insert((i, b.id.clone()), link);
                            let group_page = home.join(&b.group).join("report").join("index.html");
                            if group_page.is_file() {
                                if let Some(gh) = href(out_dir, &group_page) {
                                    groups.entry(b.group.clone()).or_insert(gh);
                                }
                            }
                        }
                        break;
                    }
                }
            }
        }
        Links { cells, groups }
    }
}

/// A relative URL from `from_dir` to `target` when they share a root, else a `file://` URL.
fn href(from_dir: &Path, target: &Path) -> Option<String> {
    let rel = match relative_to(from_dir, target) {
        Some(p) => p.to_string_lossy().into_owned(),
        None => format!("file://{}", fs::canonicalize(target).ok()?.display()),
    };
    Some(url_path(&rel))
}

fn url_path(p: &str) -> String {
    let mut out = String::new();
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks() {
        let t = y_ticks(2.0, 3.0, "ns/task");
        assert_eq!(t, vec![100.0, 200.0, 500.0, 1000.0]);
        let t = y_ticks(1.0f64.log10() + 2.0, 4.0, "bytes/task");
        assert!(t.contains(&128.0) && t.contains(&8192.0));
        assert_eq!(tick_label(1024.0, "bytes/task"), "1 KiB");
        assert_eq!(tick_label(2000.0, "ns/task"), "2 µs");
        assert_eq!(short_n(1_000_000), "1M");
    }

    #[test]
    fn escaping() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(url_path("../a b/index.html"), "../a%20b/index.html");
    }
}
