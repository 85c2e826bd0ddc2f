//! `summary.json`: one run's numbers, gathered from Criterion's output and the benches' cell records
//! ([`crate::record`]), the latest run's cell per id; a group mixing runs or lacking planned cells is warned
//! of. The published figure is Criterion's median. Schema 1 files (the mean published) are upgraded by [`load`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use serde::{Deserialize, Serialize};

use super::bench::{per_task, read_bench};
pub use super::bench::{Bench, Interval};
use super::format::unique;
use super::{OLDEST_SUMMARY_SCHEMA, SUMMARY_SCHEMA};
use crate::catalogue::Group;
use crate::files::{from_versioned, iso8601, read_versioned_value};
use crate::record::{read_cells, safe, split_id, CellRecord, MachineReference, RunInfo};

/// One saved run's numbers, the schema it was read from and Criterion's folder when it was saved.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub schema: u64,
    pub taskbench_version: String,
    pub machine: String,
    pub run: String,
    pub criterion_home: String,
    pub groups: Vec<GroupSummary>,
    pub benchmarks: Vec<Bench>,
}

/// A group as its bench binary recorded it, with the seconds its runs took (`None` in older runs).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GroupSummary {
    pub group: String,
    pub unit: String,
    pub value_is: String,
    pub n_values: Vec<usize>,
    pub recorded_at: String,
    pub models: Vec<ModelInfo>,
    pub skipped: Vec<SkippedInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wall_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<CellNote>,
    /// Its measured cells' samples are round-aligned ([`crate::harness::rounds`]): every one was measured
    /// in interleaved rounds of one bench run, so sample `i` of two cells at one N is one round's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interleaved: bool,
    /// The machine reference read in its rounds, every N's in turn ([`crate::measure::reference`]); empty
    /// outside rounds and in runs saved before it existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub machine_reference: Vec<MachineReference>,
}

/// One note a cell's reading left (a reading taken again, a figure's source), with the cell's id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CellNote {
    pub id: String,
    pub note: String,
}

pub type ModelInfo = crate::record::ModelRecord;
pub type SkippedInfo = crate::record::Skipped;

/// Seconds from each bench run's start to its last record among `cells`, summed over the runs.
fn wall_seconds(cells: &[&CellRecord]) -> u64 {
    let mut last: BTreeMap<u64, u64> = BTreeMap::new();
    for c in cells {
        let end = last.entry(c.run.started_unix_ms).or_default();
        *end = (*end).max(c.written_at_unix);
    }
    last.iter().map(|(start_ms, end)| end.saturating_sub(start_ms / 1000)).sum()
}

/// A summary, the Criterion files to copy (path in the run, source), the warnings, which cells came from
/// which bench run, the newest record's time and the cores the benches could use.
pub struct Gathered {
    pub summary: Summary,
    pub raw_files: Vec<(PathBuf, PathBuf)>,
    pub warnings: Vec<String>,
    pub provenance: Vec<String>,
    pub newest_record_unix: u64,
    pub bench_usable_cores: Option<usize>,
}

/// Reads the cell records in `records_dir` and the Criterion results they name under `criterion_home`.
pub fn gather(criterion_home: &Path, records_dir: &Path) -> Result<Gathered> {
    if !criterion_home.is_dir() {
        bail!(
            "{}: no Criterion output here. Run `cargo bench` first (or set CRITERION_HOME / CARGO_TARGET_DIR \
             to where it wrote)",
            criterion_home.display()
        );
    }
    let cells = read_cells(records_dir)?;
    // In the catalogue's group order.
    let mut by_group: BTreeMap<(usize, &str), Vec<&CellRecord>> = BTreeMap::new();
    for c in &cells {
        by_group.entry(Group::rank(&c.group)).or_default().push(c);
    }
    let (mut groups, mut benchmarks) = (Vec::new(), Vec::new());
    let (mut raw_files, mut warnings, mut provenance) = (Vec::new(), Vec::new(), Vec::new());
    for ((_, group), cells) in by_group {
        let mut skipped: Vec<SkippedInfo> = Vec::new();
        for cell in &cells {
            match measured(criterion_home, cell, &mut warnings)? {
                Ok((bench, files)) => {
                    benchmarks.push(bench);
                    raw_files.extend(files);
                }
                Err(reason) => {
                    skipped.push(SkippedInfo { id: cell.id.clone(), model: cell.model.clone(), n: cell.n, reason })
                }
            }
        }
        let (lines, warned) = runs_of(group, &cells);
        provenance.extend(lines);
        warnings.extend(warned);
        groups.push(group_summary(group, &cells, skipped));
    }
    sort_benchmarks(&mut benchmarks, &groups);
    let home = std::path::absolute(criterion_home).unwrap_or_else(|_| criterion_home.to_path_buf());
    let summary = Summary {
        schema: SUMMARY_SCHEMA,
        taskbench_version: env!("CARGO_PKG_VERSION").to_string(),
        machine: String::new(),
        run: String::new(),
        criterion_home: home.to_string_lossy().into_owned(),
        groups,
        benchmarks,
    };
    let newest_record_unix = cells.iter().map(|c| c.written_at_unix).max().unwrap_or(0);
    let bench_usable_cores = cells
        .iter()
        .filter(|c| c.run.usable_cores > 0)
        .max_by_key(|c| c.run.started_unix_ms)
        .map(|c| c.run.usable_cores);
    Ok(Gathered { summary, raw_files, warnings, provenance, newest_record_unix, bench_usable_cores })
}

/// A group as its cells recorded it (the newest cell's unit).
fn group_summary(group: &str, cells: &[&CellRecord], skipped: Vec<SkippedInfo>) -> GroupSummary {
    let newest = cells.iter().max_by_key(|c| (c.run.started_unix_ms, c.written_at_unix)).expect("a group has cells");
    let mut n_values: Vec<usize> = cells.iter().map(|c| c.n).collect();
    n_values.sort_unstable();
    n_values.dedup();
    GroupSummary {
        group: group.to_string(),
        unit: newest.unit.clone(),
        value_is: newest.value_is.clone(),
        n_values,
        recorded_at: iso8601(cells.iter().map(|c| c.written_at_unix).max().unwrap_or(0)),
        models: models_in_order(group, cells),
        skipped,
        wall_seconds: Some(wall_seconds(cells)),
        notes: cells
            .iter()
            .flat_map(|c| c.notes.iter().map(|n| CellNote { id: c.id.clone(), note: n.clone() }))
            .collect(),
        interleaved: interleaved(cells),
        machine_reference: machine_reference(cells),
    }
}

/// The machine reference of the group's rounds: at each N, the readings its cells recorded (every cell at
/// one N holds the same rounds'; the newest bench run's).
fn machine_reference(cells: &[&CellRecord]) -> Vec<MachineReference> {
    let mut at_n: BTreeMap<usize, &CellRecord> = BTreeMap::new();
    for c in cells.iter().filter(|c| !c.machine_reference.is_empty()) {
        let kept = at_n.entry(c.n).or_insert(c);
        if c.run.started_unix_ms > kept.run.started_unix_ms {
            *kept = c;
        }
    }
    at_n.values().flat_map(|c| c.machine_reference.iter().copied()).collect()
}

/// Whether every measured cell was in interleaved rounds of one bench run.
fn interleaved(cells: &[&CellRecord]) -> bool {
    let measured: Vec<&&CellRecord> = cells.iter().filter(|c| c.skipped.is_none() && c.failed.is_none()).collect();
    let one_run = measured.iter().all(|c| c.run.id == measured[0].run.id);
    !measured.is_empty() && one_run && measured.iter().all(|c| c.interleaved)
}

type Measured = std::result::Result<(Bench, Vec<(PathBuf, PathBuf)>), String>;

/// A cell's result and the Criterion files to copy, or why it has none (no result from Criterion also warns).
fn measured(criterion_home: &Path, cell: &CellRecord, warnings: &mut Vec<String>) -> Result<Measured> {
    let (id, model, n, group) = (&cell.id, &cell.model, cell.n, cell.group.as_str());
    if let Some(reason) = cell.skipped.clone().or_else(|| cell.failed.as_ref().map(|f| format!("failed: {f}"))) {
        return Ok(Err(reason));
    }
    let rel = Path::new(&safe(group)).join(safe(model)).join(n.to_string());
    let dir = criterion_home.join(&rel).join("new");
    if !dir.join("estimates.json").is_file() {
        warnings.push(format!("{id}: recorded as run, but {} holds no estimates.json", dir.display()));
        return Ok(Err("ran, but Criterion saved no result for it".to_string()));
    }
    let bench = read_bench(&dir, group, model, n, &cell.unit, id)?;
    let raw_rel = Path::new("criterion").join(&rel).join("new");
    let files = ["benchmark.json", "estimates.json", "sample.json"].map(|f| (raw_rel.join(f), dir.join(f)));
    let raw = Some(raw_rel.to_string_lossy().into_owned());
    Ok(Ok((Bench { raw, build: cell.build.clone(), ..bench }, files.into())))
}

/// A group's models in the order the run that planned the most planned them, then any others by name; each
/// with its latest cell's configuration.
fn models_in_order(group: &str, cells: &[&CellRecord]) -> Vec<ModelInfo> {
    let mut runs: Vec<&RunInfo> = cells.iter().map(|c| &c.run).collect();
    runs.sort_by_key(|r| (std::cmp::Reverse(r.cells.len()), std::cmp::Reverse(r.started_unix_ms)));
    runs.dedup_by(|a, b| a.id == b.id);
    let planned = runs.iter().flat_map(|r| &r.cells).filter_map(|id| split_id(group, id).ok()).map(|(model, _)| model);
    let mut names: Vec<String> = cells.iter().map(|c| c.model.clone()).collect();
    names.sort();
    let mut models: Vec<ModelInfo> = Vec::new();
    for name in planned.chain(names) {
        if models.iter().any(|m| m.name == name) {
            continue;
        }
        let latest = cells.iter().filter(|c| c.model == name).max_by_key(|c| c.run.started_unix_ms);
        if let Some(c) = latest.filter(|c| !c.config.is_empty()) {
            models.push(ModelInfo { name, config: c.config.clone(), caveat: c.caveat.clone(), tasks: c.tasks });
        }
    }
    models
}

/// Which run each of a group's cells came from, and warnings of cells from several runs or missing.
fn runs_of(group: &str, cells: &[&CellRecord]) -> (Vec<String>, Vec<String>) {
    let mut runs: BTreeMap<(u64, &str), Vec<&str>> = BTreeMap::new();
    for c in cells {
        runs.entry((c.run.started_unix_ms, c.run.id.as_str())).or_default().push(c.id.as_str());
    }
    let mut lines = Vec::new();
    for ((_, run), ids) in &runs {
        let which = if runs.len() == 1 { "every cell".to_string() } else { list(ids) };
        let cells = if ids.len() == 1 { "cell" } else { "cells" };
        lines.push(format!("{group}: {} {cells} from run {run}: {which}", ids.len()));
    }
    let mut warnings = Vec::new();
    if runs.len() > 1 {
        let counts: Vec<String> = runs.iter().map(|((_, run), ids)| format!("{} from {run}", ids.len())).collect();
        warnings.push(format!(
            "{group} mixes {} runs ({}); its cells were measured at different times, possibly with other \
             settings. Re-run the group whole to save one run",
            runs.len(),
            counts.join(", ")
        ));
    }
    let missing: BTreeSet<&str> = cells
        .iter()
        .flat_map(|c| &c.run.cells)
        .map(String::as_str)
        .filter(|id| !cells.iter().any(|c| c.id == *id))
        .collect();
    let missing: Vec<&str> = missing.into_iter().collect();
    if !missing.is_empty() {
        warnings.push(format!(
            "{group} lacks {} of its cells (not run: interrupted, failed or filtered out): {}",
            missing.len(),
            list(&missing)
        ));
    }
    (lines, warnings)
}

/// Ids for a message: all of them up to 8, else the first 8 and how many more.
fn list(ids: &[&str]) -> String {
    const SHOWN: usize = 8;
    if ids.len() <= SHOWN {
        ids.join(", ")
    } else {
        format!("{}, and {} more", ids[..SHOWN].join(", "), ids.len() - SHOWN)
    }
}

/// Orders benchmarks by group, then by the models' order in the records ([`model_names`]), then by N.
fn sort_benchmarks(benchmarks: &mut [Bench], groups: &[GroupSummary]) {
    let order = model_names(groups);
    let position = |model: &str| order.iter().position(|m| m == model).unwrap_or(usize::MAX);
    benchmarks.sort_by(|a, b| {
        let key = (Group::rank(&a.group), position(&a.model), &a.model, a.n);
        key.cmp(&(Group::rank(&b.group), position(&b.model), &b.model, b.n))
    });
}

/// Every model of the groups' model lists, once, in the order first named (the registry's when measured).
pub fn model_names<'a>(groups: impl IntoIterator<Item = &'a GroupSummary>) -> Vec<String> {
    unique(groups.into_iter().flat_map(|g| &g.models).map(|m| m.name.clone()))
}

/// Reads a `summary.json` of any readable schema, as the current [`Summary`]. See the module docs.
pub fn load(path: &Path) -> Result<Summary> {
    let (schema, mut value) = read_versioned_value(path, OLDEST_SUMMARY_SCHEMA, SUMMARY_SCHEMA)?;
    if schema == 1 {
        upgrade_v1(&mut value).map_err(|e| anyhow!("{}: does not match schema version 1: {e}", path.display()))?;
    }
    from_versioned(path, schema, value)
}

/// Rewrites a schema 1 summary's benchmarks in the current form (the stored median published, no samples).
fn upgrade_v1(value: &mut serde_json::Value) -> std::result::Result<(), serde_json::Error> {
    use serde::de::Error as _;
    let missing = |field: &str| serde_json::Error::custom(format!("missing field `{field}`"));
    let benchmarks = value.get_mut("benchmarks").and_then(|b| b.as_array_mut()).ok_or_else(|| missing("benchmarks"))?;
    for b in benchmarks.iter_mut() {
        let o = b.as_object_mut().ok_or_else(|| serde_json::Error::custom("a benchmark is not an object"))?;
        let text = |o: &serde_json::Map<String, serde_json::Value>, f: &str| {
            o.get(f).and_then(|v| v.as_str().map(str::to_string)).ok_or_else(|| missing(f))
        };
        let n = o.get("n").and_then(|v| v.as_u64()).ok_or_else(|| missing("n"))? as usize;
        let (_, per_n) = per_task(&text(o, "group")?, &text(o, "unit")?, n);
        let median: Interval = serde_json::from_value(o.get("median").cloned().ok_or_else(|| missing("median"))?)?;
        let mean_per_task = o.remove("per_task").ok_or_else(|| missing("per_task"))?;
        o.insert("mean_per_task".into(), mean_per_task);
        o.insert("per_task".into(), serde_json::to_value(median.scaled(per_n))?);
        o.insert("samples".into(), serde_json::Value::Array(Vec::new()));
    }
    Ok(())
}

impl Summary {
    pub fn group(&self, name: &str) -> Option<&GroupSummary> {
        self.groups.iter().find(|g| g.group == name)
    }

    pub fn bench(&self, id: &str) -> Option<&Bench> {
        self.benchmarks.iter().find(|b| b.id == id)
    }
}
