//! One `group/model/N` cell's result ([`Bench`]), read from Criterion's folder: its value per iteration (ns
//! for N tasks, or bytes per task) and the per-task values every comparison uses.

use std::path::Path;

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

pub use super::noise::Interval;
use super::noise::{is_bimodal, mean_far_from_median, DiffRule, Verdict};
use crate::catalogue::Group;
use crate::files::read_json;
use crate::provenance::Build;

/// One cell: Criterion's figures per iteration (`unit`), and per task (`per_task_unit`) the median, mean and
/// each sample (none in schema 1); `raw`, Criterion's files in the run folder; `build`, none before schema 3.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Bench {
    pub id: String,
    pub group: String,
    pub model: String,
    pub n: usize,
    pub unit: String,
    pub mean: Interval,
    pub median: Interval,
    pub std_dev: f64,
    pub per_task_unit: String,
    pub per_task: Interval,
    pub mean_per_task: Interval,
    pub samples: Vec<f64>,
    pub sample_count: usize,
    /// Iterations summed over all samples.
    pub iterations: f64,
    pub sampling_mode: Option<String>,
    pub raw: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,
}

impl Bench {
    /// The catalogue's entry for the cell's group, or one described from the run's unit.
    pub fn group(&self) -> Group {
        Group::find_or_unknown(&self.group, &self.unit)
    }

    pub fn bimodal(&self) -> bool {
        is_bimodal(&self.samples)
    }

    pub fn mean_median(&self) -> bool {
        mean_far_from_median(self.mean_per_task.point, self.per_task.point)
    }
}

impl DiffRule {
    /// Whether `other` differs from `reference` for real ([`DiffRule::verdict`]).
    pub fn judge(&self, reference: &Bench, other: &Bench) -> Verdict {
        let (a, b) = (reference, other);
        self.verdict(a.group().measures, (&a.per_task, &a.samples), (&b.per_task, &b.samples))
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
        let CInterval { confidence_level, lower_bound: lower, upper_bound: upper } = e.confidence_interval;
        Interval { point: e.point_estimate, lower, upper, confidence_level, standard_error: e.standard_error }
    }
}

/// A Criterion `sample.json`, checked, and each sample's value per iteration (`times[i] / iters[i]`).
fn read_samples(sample_json: &Path) -> Result<(Vec<f64>, CSample)> {
    let sample: CSample = read_json(sample_json)?;
    if sample.iters.len() != sample.times.len() || sample.iters.is_empty() {
        bail!("{}: iters and times differ in length or are empty", sample_json.display());
    }
    Ok((sample.times.iter().zip(&sample.iters).map(|(t, i)| t / i).collect(), sample))
}

/// Each sample's value per iteration (Criterion's unit) from a Criterion `sample.json`.
pub fn per_iteration(sample_json: &Path) -> Result<Vec<f64>> {
    Ok(read_samples(sample_json)?.0)
}

/// One cell's result from Criterion's folder `dir` (`<home>/<group>/<model>/<N>/new`).
pub fn read_bench(dir: &Path, group: &str, model: &str, n: usize, unit: &str, id: &str) -> Result<Bench> {
    let info: CBenchmark = read_json(&dir.join("benchmark.json"))?;
    if (info.group_id.as_str(), info.function_id.as_deref(), info.value_str)
        != (group, Some(model), Some(n.to_string()))
    {
        bail!("{}: holds benchmark {:?}, expected {id}", dir.join("benchmark.json").display(), info.full_id);
    }
    let est: CEstimates = read_json(&dir.join("estimates.json"))?;
    let (per_iteration, sample) = read_samples(&dir.join("sample.json"))?;
    let (per_task_unit, per_n) = per_task(group, unit, n);
    let samples: Vec<f64> = per_iteration.iter().map(|v| v / per_n).collect();
    if let Some(bad) = samples.iter().find(|v| !v.is_finite()) {
        bail!("{}: a sample's value per iteration is {bad}", dir.join("sample.json").display());
    }
    let (mean, median) = (Interval::from(&est.mean), Interval::from(&est.median));
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

/// A group's per-task unit, and what to divide Criterion's value by for it: N in the time groups, else 1.
pub fn per_task(group: &str, unit: &str, n: usize) -> (String, f64) {
    let g = Group::find_or_unknown(group, unit);
    (g.per_task_unit().to_string(), if g.is_time() { n as f64 } else { 1.0 })
}
