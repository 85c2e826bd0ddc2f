//! The page Criterion would have drawn for a cell measured without plots (see [`plots_at_risk`]), written
//! where Criterion keeps the cell's page so that every link to it still leads somewhere.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::bench::{per_iteration, read_bench, Interval};
use crate::files::write_atomic;

/// Whether Criterion 0.8 may panic drawing this cell's plots: a sample set it kept for the cell (`new`,
/// `base`, a named baseline) has every per-iteration value identical. If this run's samples are identical
/// to those too (exact byte counts repeat), the t-test plot indexes an empty list (`kde.rs`). The values and
/// estimates do not depend on the plots.
pub fn plots_at_risk(cell_dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(cell_dir) else { return false };
    entries.flatten().any(|e| per_iteration(&e.path().join("sample.json")).is_ok_and(|v| v.iter().all(|x| *x == v[0])))
}

/// The estimates and every sample of a cell measured without plots, as `<cell>/report/index.html`, where
/// the links of Criterion's index and of `taskbench report` lead.
pub fn write_plain_page(cell_dir: &Path, group: &str, unit: &str, model: &str, n: usize) -> Result<PathBuf> {
    let id = format!("{group}/{model}/{n}");
    let b = read_bench(&cell_dir.join("new"), group, model, n, unit, &id)?;
    let values = per_iteration(&cell_dir.join("new").join("sample.json"))?;
    let row = |name: &str, i: &Interval| {
        format!("<tr><td>{name}</td><td>{}</td><td>[{}, {}]</td></tr>", i.point, i.lower, i.upper)
    };
    let html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{id}</title></head><body>\n<h1>{id}</h1>\n\
         <p>Drawn by taskbench: this cell's previous samples were all identical, so Criterion's plots were off \
         for it in this run (Criterion 0.8 panics drawing a t-test of identical samples). The values below are \
         Criterion's own, from <code>new/estimates.json</code> and <code>new/sample.json</code>.</p>\n\
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
