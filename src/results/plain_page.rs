//! The page Criterion would have drawn for a cell measured without plots ([`plots_at_risk`]), written where
//! Criterion keeps the cell's page so that every link to it still leads somewhere.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::bench::{per_iteration, read_bench, Interval};
use crate::files::write_atomic;

/// Whether Criterion 0.8 may panic drawing this cell's plots: a sample set it kept has all values identical;
/// identical new samples then make its t-test plot index an empty list (`kde.rs`).
pub fn plots_at_risk(cell_dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(cell_dir) else { return false };
    entries.flatten().any(|e| per_iteration(&e.path().join("sample.json")).is_ok_and(|v| v.iter().all(|x| *x == v[0])))
}

/// Writes `<cell>/report/index.html`: the estimates, and every sample as a dot.
pub fn write_plain_page(cell_dir: &Path, group: &str, unit: &str, model: &str, n: usize) -> Result<PathBuf> {
    let id = format!("{group}/{model}/{n}");
    let b = read_bench(&cell_dir.join("new"), group, model, n, unit, &id)?;
    let values = per_iteration(&cell_dir.join("new").join("sample.json"))?;
    let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(*v), h.max(*v)));
    let pad = if hi > lo { (hi - lo) * 0.1 } else { hi.abs().max(1.0) * 0.05 };
    let (lo, hi) = (lo - pad, hi + pad);
    let (w, h, m) = (640.0, 240.0, 40.0);
    let x = |i: usize| m + (w - 2.0 * m) * (i as f64 + 0.5) / values.len() as f64;
    let y = |v: f64| h - m - (h - 2.0 * m) * (v - lo) / (hi - lo);
    let mut svg = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\">");
    let my = y(b.median.point);
    let _ = write!(svg, "<line x1=\"{m}\" x2=\"{}\" y1=\"{my:.1}\" y2=\"{my:.1}\" stroke=\"#888\"/>", w - m);
    for (i, v) in values.iter().enumerate() {
        let _ = write!(svg, "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"#1f4e9c\"/>", x(i), y(*v));
    }
    let _ = write!(
        svg,
        "<text x=\"{m}\" y=\"20\" font-size=\"12\">{unit} per iteration, sample by sample (grey: median)</text></svg>"
    );
    let row = |name: &str, i: &Interval| {
        format!("<tr><td>{name}</td><td>{}</td><td>[{}, {}]</td></tr>", i.point, i.lower, i.upper)
    };
    let html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{id}</title></head><body>\n<h1>{id}</h1>\n\
         <p>Drawn by taskbench: this cell's previous samples were all identical, so Criterion's plots were off \
         for it in this run (Criterion 0.8 panics drawing a t-test of identical samples). The values below are \
         Criterion's own, from <code>new/estimates.json</code> and <code>new/sample.json</code>.</p>\n{svg}\n\
         <table><tr><th></th><th>{unit}</th><th>confidence interval</th></tr>{}{}</table>\n\
         <p>Samples ({unit} per iteration): {}</p>\n</body></html>\n",
        row("median", &b.median),
        row("mean", &b.mean),
        values.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", "),
    );
    let dir = cell_dir.join("report");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("index.html");
    write_atomic(&path, html.as_bytes())?;
    Ok(path)
}
