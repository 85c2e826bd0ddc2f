//! The cells' kept times: each cell's latest wall time and estimate, in `<records>/cell-times/<group>.json`,
//! written as the cell finishes or is skipped, and `taskbench limits`' section on time that reads them back
//! before the next run ([`report`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::budget::{DEFAULT_BUDGET_S, HOW_TO_RAISE};
use crate::files::write_atomic;
use crate::record::records_dir;

/// Where cell times are kept: `cell-times/` in the records folder (`target/taskbench/cell-times/`).
pub fn times_dir() -> PathBuf {
    times_dir_in(&records_dir())
}

/// `cell-times/` in the records folder `records`.
pub fn times_dir_in(records: &Path) -> PathBuf {
    records.join("cell-times")
}

/// One cell's latest time, as `taskbench limits` reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredCell {
    pub model: String,
    /// The cell's number of tasks.
    pub n: usize,
    /// The last part of its id where that is not `n` (the state groups' K): cells are kept by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_n: Option<usize>,
    /// Wall seconds of the cell; `None` when it was skipped over the budget.
    pub seconds: Option<f64>,
    /// The estimate made before it ran or was skipped; `None` when no smaller N had run.
    pub estimate_s: Option<f64>,
    pub at_unix: u64,
}

/// A group's cells by id (`group/model/N`).
pub type GroupTimes = BTreeMap<String, StoredCell>;

pub(super) fn store_cell(dir: &Path, group: &str, cell: StoredCell) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("{group}.json"));
    let mut times = read_group(&path).unwrap_or_default();
    times.insert(format!("{group}/{}/{}", cell.model, cell.id_n.unwrap_or(cell.n)), cell);
    write_atomic(&path, &serde_json::to_vec_pretty(&times)?)
}

fn read_group(path: &Path) -> Result<GroupTimes> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Every group's kept cell times in `dir`, by group name.
pub fn read_times(dir: &Path) -> Result<BTreeMap<String, GroupTimes>> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(out) };
    for entry in entries {
        let path = entry?.path();
        if let (Some(group), Some("json")) =
            (path.file_stem().and_then(|s| s.to_str()), path.extension().and_then(|e| e.to_str()))
        {
            out.insert(group.to_string(), read_group(&path)?);
        }
    }
    Ok(out)
}

/// The `taskbench limits` section on time: the budget, how cells are estimated, and the latest time of each
/// cell kept in `dir`, summed per model and N over the groups.
pub fn report(budget: Option<Duration>, dir: &Path) -> Result<String> {
    use std::fmt::Write;
    let mut out = String::new();
    let budget_text = match budget {
        Some(b) => format!("{:.0} s per cell", b.as_secs_f64()),
        None => "unbounded".into(),
    };
    writeln!(out, "Cell time budget: {budget_text} (default {DEFAULT_BUDGET_S} s; {HOW_TO_RAISE}).")?;
    writeln!(
        out,
        "During a bench run a cell is estimated from the same group and model at smaller N that ran before it\n\
         (with two: seconds per process plus seconds per task, fitted to both; with one: seconds per full\n\
         iteration scaled by the ratio of N), times the processes and iterations the cell will run, and\n\
         skipped when the estimate exceeds the budget."
    )?;
    let groups = read_times(dir)?;
    if groups.values().all(|g| g.is_empty()) {
        writeln!(
            out,
            "No bench run has kept cell times in {} yet:\n\
             each cell is estimated during the run, once a smaller N of its group and model has run.",
            dir.display()
        )?;
        return Ok(out);
    }
    let mut table: BTreeMap<&str, BTreeMap<usize, Sum>> = BTreeMap::new();
    let over = |e: Option<f64>| matches!((e, budget), (Some(e), Some(b)) if e > b.as_secs_f64());
    for cell in groups.values().flat_map(|g| g.values()) {
        let sum = table.entry(cell.model.as_str()).or_default().entry(cell.n).or_default();
        match (cell.seconds, cell.estimate_s) {
            (Some(s), _) => (sum.measured, sum.seconds) = (sum.measured + 1, sum.seconds + s),
            (None, e) => sum.estimated += e.unwrap_or(0.0),
        }
        sum.over += usize::from(over(cell.estimate_s));
    }
    let mut ns: Vec<usize> = table.values().flat_map(|m| m.keys().copied()).collect();
    ns.sort_unstable();
    ns.dedup();
    writeln!(
        out,
        "Seconds per model and N, summed over the groups ({}),\n\
         from the latest time of each cell kept in {}.\n\
         ~: estimates of cells skipped over the budget; [k over]: cells whose estimate exceeds the budget now;\n\
         -: not run.",
        groups.keys().cloned().collect::<Vec<_>>().join(", "),
        dir.display()
    )?;
    write!(out, "{:<22}", "model")?;
    for n in &ns {
        write!(out, " {n:>20}")?;
    }
    writeln!(out)?;
    let (mut measured, mut estimated) = (0.0, 0.0);
    for (model, by_n) in &table {
        write!(out, "{model:<22}")?;
        for n in &ns {
            let sum = by_n.get(n).copied().unwrap_or_default();
            measured += sum.seconds;
            estimated += sum.estimated;
            let parts = [
                (sum.measured > 0).then(|| format!("{:.0}", sum.seconds)),
                (sum.estimated > 0.0).then(|| format!("~{:.0}", sum.estimated)),
                (sum.over > 0).then(|| format!("[{} over]", sum.over)),
            ];
            let text = parts.into_iter().flatten().collect::<Vec<_>>().join(" ");
            let text = if text.is_empty() { "-".to_string() } else { text };
            write!(out, " {text:>20}")?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "In all: {measured:.0} s measured, ~{estimated:.0} s estimated for cells that were skipped over the budget."
    )?;
    Ok(out)
}

/// One model at one N in [`report`], summed over the groups.
#[derive(Debug, Clone, Copy, Default)]
struct Sum {
    /// Cells that ran, and their seconds.
    measured: usize,
    seconds: f64,
    /// Estimated seconds of the cells skipped over the budget.
    estimated: f64,
    /// Cells whose estimate exceeds the budget now.
    over: usize,
}

/// Prints [`report`] for this machine's kept times under the budget from the environment.
pub fn print_report(budget: Option<Duration>) -> Result<()> {
    print!("{}", report(budget, &times_dir())?);
    Ok(())
}
