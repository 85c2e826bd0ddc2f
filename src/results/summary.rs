//! `summary.json`: the numbers of one run, gathered from Criterion's output and the bench binaries' records.
//!
//! The records ([`crate::record`], one per `group/model/N` cell) say which cells were measured, in which
//! run, and which were skipped; only measured cells are read from Criterion's folder. For each id the latest
//! run's cell is kept, so a filtered or interrupted run adds to the earlier ones instead of replacing them; a
//! group whose cells come from more than one run, or that lacks cells a run planned, is named in a warning,
//! and [`Gathered::provenance`] says which cells came from which run.
//!
//! Units: Criterion's value is `ns` for one iteration of N tasks in the time groups, and already `bytes/task`
//! in the memory groups. Each record keeps Criterion's value and adds the per-task values (`ns/task` = value
//! / N) that comparisons and charts use.
//!
//! The published figure ([`Bench::per_task`]) is Criterion's median with its bootstrap interval, not the
//! mean: every sample of a cell comes from separate fresh processes, and one slow process (a cold first
//! iteration, a noisy neighbour) moves the mean of 10 samples far more than the median. The mean stays in
//! [`Bench::mean_per_task`], every sample's per-task value in [`Bench::samples`] (for the noise test of
//! [`super::noise`]), and a cell whose samples do not describe one number well carries a flag.
//!
//! Schema 1 files (older taskbench) published the mean and kept no samples; [`load`] reads them with the
//! published figure rebuilt from their stored median, and no samples.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use serde::{Deserialize, Serialize};

pub use super::noise::Interval;
use super::noise::{is_bimodal, mean_far_from_median, Sampled};
use super::{OLDEST_SUMMARY_SCHEMA, SUMMARY_SCHEMA};
use crate::catalogue::{Group, Measures};
use crate::files::{from_versioned, iso8601, read_json, read_versioned_value};
use crate::provenance::Build;
use crate::record::{read_cells, safe, split_id, CellRecord, RunInfo};

/// One saved run's numbers. See the module docs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    /// The version of the file it was read from; [`SUMMARY_SCHEMA`] when written by this build.
    pub schema: u64,
    /// The version of taskbench that wrote the file.
    pub taskbench_version: String,
    pub machine: String,
    pub run: String,
    /// Criterion's folder when the run was saved: where its HTML pages for this run were.
    pub criterion_home: String,
    pub groups: Vec<GroupSummary>,
    pub benchmarks: Vec<Bench>,
}

/// A group as its bench binary recorded it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GroupSummary {
    pub group: String,
    /// Criterion's unit for the group: `ns` (one iteration of N tasks) or `bytes/task`.
    pub unit: String,
    pub value_is: String,
    pub n_values: Vec<usize>,
    /// When the group's bench finished (UTC, ISO 8601).
    pub recorded_at: String,
    pub models: Vec<ModelInfo>,
    pub skipped: Vec<SkippedInfo>,
}

/// A model as its cells recorded it (the record's own type).
pub type ModelInfo = crate::record::ModelRecord;

/// A cell that did not run, and why (the record's own type).
pub type SkippedInfo = crate::record::Skipped;

/// One `group/model/N` result.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Bench {
    pub id: String,
    pub group: String,
    pub model: String,
    pub n: usize,
    /// Criterion's unit: `ns` per iteration (N tasks), or `bytes/task`.
    pub unit: String,
    /// Criterion's mean, with its bootstrap confidence interval, in Criterion's unit.
    pub mean: Interval,
    /// Criterion's median, with its bootstrap confidence interval, in Criterion's unit.
    pub median: Interval,
    pub std_dev: f64,
    /// `ns/task` or `bytes/task`: the unit of the per-task values below, the unit every comparison uses.
    pub per_task_unit: String,
    /// The published figure: the median per task, with its bootstrap confidence interval.
    pub per_task: Interval,
    /// The mean per task, with its bootstrap confidence interval.
    pub mean_per_task: Interval,
    /// Every Criterion sample's per-task value (time ÷ iterations, ÷ N in the time groups), in Criterion's
    /// order. Empty for runs read from schema 1.
    pub samples: Vec<f64>,
    /// Criterion's sample count (each sample is one or more iterations).
    pub sample_count: usize,
    /// Iterations summed over all samples.
    pub iterations: f64,
    /// `Linear` or `Flat`.
    pub sampling_mode: Option<String>,
    /// Where Criterion's files for this benchmark were copied, relative to the run folder.
    pub raw: Option<String>,
    /// The build that measured the cell (schema 3 on); `None` in older runs, whose build is the save-time
    /// checkout in `machine.json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,
}

impl Bench {
    /// The catalogue's entry for the cell's group, or one described from the run's unit.
    pub fn group(&self) -> Group {
        Group::find_or_unknown(&self.group, &self.unit)
    }

    /// The samples split into two clusters ([`is_bimodal`]); false when there are no samples.
    pub fn bimodal(&self) -> bool {
        is_bimodal(&self.samples)
    }

    /// The mean and the median differ by more than 10% ([`mean_far_from_median`]).
    pub fn mean_median(&self) -> bool {
        mean_far_from_median(self.mean_per_task.point, self.per_task.point)
    }

    /// One number describes the cell poorly: [`Bench::bimodal`] or [`Bench::mean_median`].
    pub fn flagged(&self) -> bool {
        self.bimodal() || self.mean_median()
    }
}

impl Sampled for Bench {
    fn median_per_task(&self) -> &Interval {
        &self.per_task
    }
    fn samples(&self) -> &[f64] {
        &self.samples
    }
    fn measures(&self) -> Measures {
        self.group().measures
    }
}

// The parts of Criterion 0.8's files that are read (src/estimate.rs, src/report.rs, src/lib.rs SavedSample).
#[derive(Deserialize)]
struct CEstimate {
    confidence_interval: CInterval,
    point_estimate: f64,
    standard_error: f64,
}

#[derive(Deserialize)]
struct CInterval {
    confidence_level: f64,
    lower_bound: f64,
    upper_bound: f64,
}

#[derive(Deserialize)]
struct CEstimates {
    mean: CEstimate,
    median: CEstimate,
    std_dev: CEstimate,
}

#[derive(Deserialize)]
struct CBenchmark {
    group_id: String,
    function_id: Option<String>,
    value_str: Option<String>,
    full_id: String,
}

#[derive(Deserialize)]
struct CSample {
    sampling_mode: Option<String>,
    iters: Vec<f64>,
    times: Vec<f64>,
}

impl From<&CEstimate> for Interval {
    fn from(e: &CEstimate) -> Interval {
        Interval {
            point: e.point_estimate,
            lower: e.confidence_interval.lower_bound,
            upper: e.confidence_interval.upper_bound,
            confidence_level: e.confidence_interval.confidence_level,
            standard_error: e.standard_error,
        }
    }
}

/// A summary and the Criterion files to copy beside it: (path relative to the run folder, source file).
pub struct Gathered {
    pub summary: Summary,
    pub raw_files: Vec<(PathBuf, PathBuf)>,
    /// Things a user should hear about that do not stop the save.
    pub warnings: Vec<String>,
    /// Which cells came from which run: one line per run and group.
    pub provenance: Vec<String>,
    /// The newest record's time (seconds since the epoch): when the run finished.
    pub newest_record_unix: u64,
    /// The cores the bench processes could use (their affinity), when the records say: the save may run
    /// with another affinity than the benches did (`taskset -c 0 cargo bench`).
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
    let mut by_group: BTreeMap<&str, Vec<&CellRecord>> = BTreeMap::new();
    for c in &cells {
        by_group.entry(c.group.as_str()).or_default().push(c);
    }
    let mut groups = Vec::new();
    let mut benchmarks = Vec::new();
    let mut raw_files = Vec::new();
    let mut warnings = Vec::new();
    let mut provenance = Vec::new();
    let mut by_group: Vec<(&str, Vec<&CellRecord>)> = by_group.into_iter().collect();
    by_group.sort_by_key(|(group, _)| Group::rank(group));
    for (group, cells) in by_group {
        let newest =
            cells.iter().max_by_key(|c| (c.run.started_unix_ms, c.written_at_unix)).expect("a group has cells");
        // Models in the order the runs planned them (the registry's), the run that planned the most first (a
        // filtered run after a full one must not reorder the group), then any others by name.
        let mut models: Vec<ModelInfo> = Vec::new();
        let mut runs: Vec<&RunInfo> = cells.iter().map(|c| &c.run).collect();
        runs.sort_by_key(|r| (std::cmp::Reverse(r.cells.len()), std::cmp::Reverse(r.started_unix_ms)));
        runs.dedup_by(|a, b| a.id == b.id);
        let planned: Vec<String> = runs
            .iter()
            .flat_map(|r| r.cells.iter())
            .filter_map(|id| split_id(group, id).ok())
            .map(|(model, _)| model)
            .collect();
        let mut order: Vec<&str> = planned.iter().map(String::as_str).collect();
        let mut names: Vec<&str> = cells.iter().map(|c| c.model.as_str()).collect();
        names.sort();
        order.extend(names);
        for name in order {
            if models.iter().any(|m| m.name == name) {
                continue;
            }
            let latest = cells.iter().filter(|c| c.model == name).max_by_key(|c| c.run.started_unix_ms);
            if let Some(c) = latest.filter(|c| !c.config.is_empty()) {
                models.push(ModelInfo {
                    name: name.to_string(),
                    config: c.config.clone(),
                    caveat: c.caveat.clone(),
                    tasks: c.tasks,
                });
            }
        }
        let mut skipped: Vec<SkippedInfo> = Vec::new();
        for cell in &cells {
            let (id, model, n) = (&cell.id, &cell.model, cell.n);
            if let Some(reason) = cell.skipped.clone().or_else(|| cell.failed.as_ref().map(|f| format!("failed: {f}")))
            {
                skipped.push(SkippedInfo { id: id.clone(), model: model.clone(), n, reason });
                continue;
            }
            let rel = Path::new(&safe(group)).join(safe(model)).join(n.to_string());
            let dir = criterion_home.join(&rel).join("new");
            if !dir.join("estimates.json").is_file() {
                warnings.push(format!("{id}: recorded as run, but {} holds no estimates.json", dir.display()));
                skipped.push(SkippedInfo {
                    id: id.clone(),
                    model: model.clone(),
                    n,
                    reason: "ran, but Criterion saved no result for it".to_string(),
                });
                continue;
            }
            let bench = read_bench(&dir, group, model, n, &cell.unit, id)?;
            let raw_rel = Path::new("criterion").join(&rel).join("new");
            for file in ["benchmark.json", "estimates.json", "sample.json"] {
                raw_files.push((raw_rel.join(file), dir.join(file)));
            }
            benchmarks.push(Bench {
                raw: Some(raw_rel.to_string_lossy().into_owned()),
                build: cell.build.clone(),
                ..bench
            });
        }
        let (lines, warned) = runs_of(group, &cells);
        provenance.extend(lines);
        warnings.extend(warned);
        let mut n_values: Vec<usize> = cells.iter().map(|c| c.n).collect();
        n_values.sort_unstable();
        n_values.dedup();
        groups.push(GroupSummary {
            group: group.to_string(),
            unit: newest.unit.clone(),
            value_is: newest.value_is.clone(),
            n_values,
            recorded_at: iso8601(cells.iter().map(|c| c.written_at_unix).max().unwrap_or(0)),
            models,
            skipped,
        });
    }
    groups.sort_by(|a, b| Group::rank(&a.group).cmp(&Group::rank(&b.group)));
    sort_benchmarks(&mut benchmarks, &groups);
    let summary = Summary {
        schema: SUMMARY_SCHEMA,
        taskbench_version: env!("CARGO_PKG_VERSION").to_string(),
        machine: String::new(),
        run: String::new(),
        criterion_home: std::path::absolute(criterion_home)
            .unwrap_or_else(|_| criterion_home.to_path_buf())
            .to_string_lossy()
            .into_owned(),
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

/// Which run each of a group's cells came from (one line per run), and the warnings: cells from more than
/// one run, and cells a run planned that no run recorded (interrupted, failed, or filtered out).
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
    let mut missing: Vec<&str> = cells
        .iter()
        .flat_map(|c| c.run.cells.iter())
        .map(String::as_str)
        .filter(|id| !cells.iter().any(|c| c.id == *id))
        .collect();
    missing.sort_unstable();
    missing.dedup();
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

/// Each sample's value per iteration (`times[i] / iters[i]`, Criterion's unit) from a Criterion
/// `sample.json`.
pub fn per_iteration(sample_json: &Path) -> Result<Vec<f64>> {
    let sample: CSample = read_json(sample_json)?;
    if sample.iters.len() != sample.times.len() || sample.iters.is_empty() {
        bail!("{}: iters and times differ in length or are empty", sample_json.display());
    }
    Ok(sample.times.iter().zip(&sample.iters).map(|(t, i)| t / i).collect())
}

/// One cell's result from Criterion's folder `dir` (`<home>/<group>/<model>/<N>/new`).
pub fn read_bench(dir: &Path, group: &str, model: &str, n: usize, unit: &str, id: &str) -> Result<Bench> {
    let info: CBenchmark = read_json(&dir.join("benchmark.json"))?;
    let expected = (group, Some(model), Some(n.to_string()));
    if (info.group_id.as_str(), info.function_id.as_deref(), info.value_str.clone()) != expected {
        bail!("{}: holds benchmark {:?}, expected {id}", dir.join("benchmark.json").display(), info.full_id);
    }
    let est: CEstimates = read_json(&dir.join("estimates.json"))?;
    let sample: CSample = read_json(&dir.join("sample.json"))?;
    if sample.iters.len() != sample.times.len() || sample.iters.is_empty() {
        bail!("{}: iters and times differ in length or are empty", dir.join("sample.json").display());
    }
    // Time groups: one iteration is N tasks. A unit already "per task" is kept as it is.
    let (per_task_unit, per_n) = per_task(group, unit, n);
    let samples: Vec<f64> = sample.times.iter().zip(&sample.iters).map(|(t, i)| t / i / per_n).collect();
    if let Some(bad) = samples.iter().find(|v| !v.is_finite()) {
        bail!("{}: a sample's value per iteration is {bad}", dir.join("sample.json").display());
    }
    let mean = Interval::from(&est.mean);
    let median = Interval::from(&est.median);
    Ok(Bench {
        id: id.to_string(),
        group: group.to_string(),
        model: model.to_string(),
        n,
        unit: unit.to_string(),
        mean,
        median,
        std_dev: est.std_dev.point_estimate,
        per_task_unit,
        per_task: median.scaled(per_n),
        mean_per_task: mean.scaled(per_n),
        samples,
        sample_count: sample.times.len(),
        iterations: sample.iters.iter().sum(),
        sampling_mode: sample.sampling_mode,
        raw: None,
        build: None,
    })
}

/// The per-task unit of a group's values, and what to divide Criterion's value by to get it: N for the time
/// groups (one iteration is N tasks), 1 for the memory groups (already per task).
fn per_task(group: &str, unit: &str, n: usize) -> (String, f64) {
    let g = Group::find_or_unknown(group, unit);
    let per_n = if g.is_time() { n as f64 } else { 1.0 };
    (g.per_task_unit().to_string(), per_n)
}

/// Reads a `summary.json` of any readable schema, as the current [`Summary`]. See the module docs.
pub fn load(path: &Path) -> Result<Summary> {
    let (schema, mut value) = read_versioned_value(path, OLDEST_SUMMARY_SCHEMA, SUMMARY_SCHEMA)?;
    if schema == 1 {
        upgrade_v1(&mut value).map_err(|e| anyhow!("{}: does not match schema version 1: {e}", path.display()))?;
    }
    from_versioned(path, schema, value)
}

/// A schema 1 benchmark: `per_task` was the mean, and there were no samples or flags.
#[derive(Deserialize)]
struct BenchV1 {
    id: String,
    group: String,
    model: String,
    n: usize,
    unit: String,
    mean: Interval,
    median: Interval,
    std_dev: f64,
    per_task_unit: String,
    per_task: Interval,
    sample_count: usize,
    iterations: f64,
    sampling_mode: Option<String>,
    raw: Option<String>,
}

/// Rewrites a schema 1 summary's benchmarks in the current form: the published figure becomes the stored
/// median per task (so medians are compared with medians across schemas), the mean moves to
/// `mean_per_task`, and there are no samples. The schema number stays 1: it says where the data came from.
fn upgrade_v1(value: &mut serde_json::Value) -> std::result::Result<(), serde_json::Error> {
    use serde::de::Error as _;
    let benchmarks = value
        .get_mut("benchmarks")
        .and_then(|b| b.as_array_mut())
        .ok_or_else(|| serde_json::Error::custom("missing field `benchmarks`"))?;
    for b in benchmarks.iter_mut() {
        let old: BenchV1 = serde_json::from_value(b.take())?;
        let (_, per_n) = per_task(&old.group, &old.unit, old.n);
        let new = Bench {
            per_task: old.median.scaled(per_n),
            mean_per_task: old.per_task,
            samples: Vec::new(),
            build: None,
            id: old.id,
            group: old.group,
            model: old.model,
            n: old.n,
            unit: old.unit,
            mean: old.mean,
            median: old.median,
            std_dev: old.std_dev,
            per_task_unit: old.per_task_unit,
            sample_count: old.sample_count,
            iterations: old.iterations,
            sampling_mode: old.sampling_mode,
            raw: old.raw,
        };
        *b = serde_json::to_value(new)?;
    }
    Ok(())
}

/// Orders benchmarks by group, then by the models' order in the records, then by N.
pub fn sort_benchmarks(benchmarks: &mut [Bench], groups: &[GroupSummary]) {
    let order = model_order(groups);
    benchmarks.sort_by(|a, b| {
        (Group::rank(&a.group), order.get(&a.model).copied().unwrap_or(usize::MAX), &a.model, a.n).cmp(&(
            Group::rank(&b.group),
            order.get(&b.model).copied().unwrap_or(usize::MAX),
            &b.model,
            b.n,
        ))
    });
}

/// Each model's first position across the groups' model lists (the registry's order).
pub fn model_order(groups: &[GroupSummary]) -> BTreeMap<String, usize> {
    let mut order = BTreeMap::new();
    for g in groups {
        for m in &g.models {
            let next = order.len();
            order.entry(m.name.clone()).or_insert(next);
        }
    }
    order
}

impl Summary {
    pub fn group(&self, name: &str) -> Option<&GroupSummary> {
        self.groups.iter().find(|g| g.group == name)
    }

    pub fn bench(&self, id: &str) -> Option<&Bench> {
        self.benchmarks.iter().find(|b| b.id == id)
    }
}
