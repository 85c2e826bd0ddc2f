//! Runs side by side: the machine differences first, then per group, model and N each run's median per task
//! with its confidence interval, its ratio to the first run, a mark where the difference is real, and a mark
//! where a cell's samples do not describe one number well.
//!
//! "Real" is [`DiffRule::judge`]'s verdict (see [`super::noise`]): the per-sample values are separated by a
//! Mann–Whitney U test and the medians differ by at least a minimum effect. A ratio without the mark is
//! within the noise and should not be read as a difference.
//!
//! [`Comparison`] is the one table every renderer reads: cells keyed by run, group (the catalogue's
//! [`Group`]), model and x (N, or K in a state group: [`Group::axis`]), each with its median, interval, mean,
//! flags and verdict; the groups' skipped cells grouped by id and reason; model configurations and caveats;
//! each run's builds. [`super::text`] renders it for a terminal and as Markdown, [`super::report`] as HTML,
//! [`super::chart`] and [`super::findings`] draw and describe it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::{bail, Result};

use super::format::{human, ratio, thousands};
use super::noise::{DiffRule, Interval, Verdict, MEAN_MEDIAN_LIMIT};
use super::run::{Builds, Run};
use super::summary::{model_order, Bench, GroupSummary, SkippedInfo};
use crate::catalogue::{Group, Measures};

/// The mark for a real difference.
pub const REAL_MARK: &str = "≠";
/// The mark for a cell whose samples split into two clusters or whose mean and median differ by over 10%.
pub const FLAG_MARK: &str = "~";

/// Everything a comparison shows. Built by [`compare`]; also used for a single run (no ratios).
#[derive(Debug, Clone)]
pub struct Comparison {
    pub runs: Vec<RunHeader>,
    /// Machine fields whose values differ: (field, one value per run).
    pub machine_diffs: Vec<(String, Vec<String>)>,
    /// Machine fields that are the same in every run.
    pub machine_same: Vec<String>,
    /// Models whose configuration differs between runs: (model, one config per run, `-` when absent).
    pub config_diffs: Vec<(String, Vec<String>)>,
    /// Every model's configuration in the first run that has it, for one-run reports.
    pub configs: Vec<(String, String)>,
    /// Model caveats from any run.
    pub caveats: BTreeMap<String, String>,
    pub groups: Vec<GroupTable>,
    /// Confidence level of the intervals (0.95 unless configured otherwise).
    pub confidence_level: f64,
    /// The rule that marked the differences.
    pub rule: DiffRule,
}

#[derive(Debug, Clone)]
pub struct RunHeader {
    /// `A`, `B`, ...: column names.
    pub letter: String,
    pub label: String,
    pub path: String,
    pub machine: String,
    pub date: String,
    /// The run's summary keeps every sample's value (schema 2 on); without them its differences are judged
    /// by the interval fallback.
    pub has_samples: bool,
    /// The build(s) that measured the run, or the save-time checkout for older runs.
    pub builds: Builds,
}

#[derive(Debug, Clone)]
pub struct GroupTable {
    /// The catalogue's entry (or one described from the run's unit): name, unit, axis, column.
    pub group: Group,
    pub value_is: String,
    pub rows: Vec<Row>,
    /// Skipped benchmarks, each with the indices of the runs that skipped it for that reason.
    pub skipped: Vec<(Vec<usize>, SkippedInfo)>,
    /// A state group's number of tasks per model (its rows' `n` is K); empty elsewhere.
    pub tasks: Vec<(String, usize)>,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub model: String,
    /// The last part of the cell's id: N, or K in a state group.
    pub n: usize,
    /// One per run; `None` where the run has no result.
    pub cells: Vec<Option<Cell>>,
}

#[derive(Debug, Clone)]
pub struct Cell {
    pub id: String,
    /// The median per task and its confidence interval.
    pub per_task: Interval,
    /// The mean per task, for the flag's explanation.
    pub mean_per_task: f64,
    /// The samples split into two clusters.
    pub bimodal: bool,
    /// The mean and median differ by more than 10%.
    pub mean_median: bool,
    /// This run's median over the first run's; `None` for the first run or when the first has no value.
    pub ratio: Option<f64>,
    /// The verdict against the first run's cell; `None` for the first run or when the first has no value.
    pub verdict: Option<Verdict>,
    /// Whether the difference to the first run is real (`verdict.real`).
    pub real: Option<bool>,
}

impl Cell {
    fn new(b: &Bench, reference: Option<&Bench>, rule: &DiffRule) -> Cell {
        let verdict = reference.map(|r| rule.judge(r, b));
        Cell {
            id: b.id.clone(),
            per_task: b.per_task,
            mean_per_task: b.mean_per_task.point,
            bimodal: b.bimodal(),
            mean_median: b.mean_median(),
            ratio: reference.filter(|r| r.per_task.point != 0.0).map(|r| b.per_task.point / r.per_task.point),
            real: verdict.map(|v| v.real),
            verdict,
        }
    }

    /// Whether the cell carries [`FLAG_MARK`].
    pub fn flagged(&self) -> bool {
        self.bimodal || self.mean_median
    }

    /// Why the cell is flagged, in words; empty when it is not.
    pub fn flag_reasons(&self, measures: Measures) -> String {
        let mut why = Vec::new();
        if self.bimodal {
            why.push("samples split into two clusters".to_string());
        }
        if self.mean_median {
            why.push(format!(
                "mean {} is more than {:.0}% from the median",
                human(self.mean_per_task, measures),
                MEAN_MEDIAN_LIMIT * 100.0
            ));
        }
        why.join("; ")
    }
}

/// Builds the comparison of `runs` (the first is the reference), marking differences by `rule`. Two or more
/// runs must share a benchmark.
pub fn compare(runs: &[Run], rule: &DiffRule) -> Result<Comparison> {
    if runs.is_empty() {
        bail!("no runs given");
    }
    let first_ids: BTreeSet<&str> = runs[0].summary.benchmarks.iter().map(|b| b.id.as_str()).collect();
    for r in &runs[1..] {
        if !r.summary.benchmarks.iter().any(|b| first_ids.contains(b.id.as_str())) {
            bail!(
                "{} and {}: no benchmark in common (first holds {}, second holds {}); nothing to compare",
                runs[0].path.display(),
                r.path.display(),
                describe_ids(&runs[0]),
                describe_ids(r)
            );
        }
    }

    for r in &runs[1..] {
        for b in &r.summary.benchmarks {
            if let Some(a) = runs[0].summary.bench(&b.id).filter(|a| a.per_task_unit != b.per_task_unit) {
                bail!(
                    "{}: {} is in {}, but in {} in {}; the runs cannot be compared",
                    r.path.join("summary.json").display(),
                    b.id,
                    b.per_task_unit,
                    a.per_task_unit,
                    runs[0].path.join("summary.json").display()
                );
            }
        }
    }
    let letters: Vec<String> = (0..runs.len()).map(letter).collect();
    let headers = runs
        .iter()
        .zip(&letters)
        .map(|(r, l)| RunHeader {
            letter: l.clone(),
            label: r.label(),
            path: r.path.display().to_string(),
            machine: r.machine.one_line(),
            date: r.machine.date.clone(),
            has_samples: has_samples(r),
            builds: r.builds(),
        })
        .collect();

    let fields: Vec<Vec<(String, String)>> = runs.iter().map(|r| r.machine.fields()).collect();
    let mut machine_diffs = Vec::new();
    let mut machine_same = Vec::new();
    for (i, (name, _)) in fields[0].iter().enumerate() {
        // `date` always differs and is shown with the runs.
        if name == "date" {
            continue;
        }
        let values: Vec<String> = fields.iter().map(|f| f.get(i).map(|x| x.1.clone()).unwrap_or_default()).collect();
        if values.iter().all(|v| *v == values[0]) {
            machine_same.push(name.clone());
        } else {
            machine_diffs.push((name.clone(), values));
        }
    }

    let all_groups: Vec<GroupSummary> = runs.iter().flat_map(|r| r.summary.groups.clone()).collect();
    let order = model_order(&all_groups);
    let mut configs_by_model: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut caveats = BTreeMap::new();
    for (i, r) in runs.iter().enumerate() {
        for g in &r.summary.groups {
            for m in &g.models {
                let v = configs_by_model.entry(m.name.clone()).or_insert_with(|| vec!["-".to_string(); runs.len()]);
                if v[i] == "-" {
                    v[i] = m.config.clone();
                }
                if let Some(c) = &m.caveat {
                    caveats.entry(m.name.clone()).or_insert_with(|| c.clone());
                }
            }
        }
    }
    let mut by_order: Vec<(String, Vec<String>)> = configs_by_model.into_iter().collect();
    by_order.sort_by_key(|(m, _)| order.get(m).copied().unwrap_or(usize::MAX));
    let configs =
        by_order.iter().map(|(m, v)| (m.clone(), v.iter().find(|c| *c != "-").cloned().unwrap_or_default())).collect();
    let config_diffs = by_order.into_iter().filter(|(_, v)| v.iter().any(|c| *c != v[0])).collect();

    let mut group_names: Vec<String> =
        all_groups.iter().map(|g| g.group.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    for r in runs {
        for b in &r.summary.benchmarks {
            if !group_names.contains(&b.group) {
                group_names.push(b.group.clone());
            }
        }
    }
    group_names.sort_by(|a, b| Group::rank(a).cmp(&Group::rank(b)));

    let mut groups = Vec::new();
    let mut confidence_level = 0.95;
    for g in group_names {
        let mut keys: BTreeSet<(usize, String, usize)> = BTreeSet::new();
        let mut unit = String::new();
        let mut value_is = String::new();
        let mut skipped: Vec<(Vec<usize>, SkippedInfo)> = Vec::new();
        for (i, r) in runs.iter().enumerate() {
            for b in r.summary.benchmarks.iter().filter(|b| b.group == g) {
                keys.insert((order.get(&b.model).copied().unwrap_or(usize::MAX), b.model.clone(), b.n));
                if unit.is_empty() {
                    unit = b.unit.clone();
                }
                confidence_level = b.per_task.confidence_level;
            }
            if let Some(gs) = r.summary.group(&g) {
                if unit.is_empty() {
                    unit = gs.unit.clone();
                }
                if value_is.is_empty() {
                    value_is = gs.value_is.clone();
                }
                for s in &gs.skipped {
                    match skipped.iter_mut().find(|(_, k)| k.id == s.id && k.reason == s.reason) {
                        Some((who, _)) => who.push(i),
                        None => skipped.push((vec![i], s.clone())),
                    }
                }
            }
        }
        let rows = keys
            .into_iter()
            .map(|(_, model, n)| {
                let benches: Vec<Option<&Bench>> = runs
                    .iter()
                    .map(|r| r.summary.benchmarks.iter().find(|b| b.group == g && b.model == model && b.n == n))
                    .collect();
                let cells = benches
                    .iter()
                    .enumerate()
                    .map(|(i, b)| b.map(|b| Cell::new(b, benches[0].filter(|_| i > 0), rule)))
                    .collect();
                Row { model, n, cells }
            })
            .collect();
        // A state group's N per model, from the first run that recorded it.
        let mut tasks: Vec<(String, usize)> = Vec::new();
        for m in runs.iter().filter_map(|r| r.summary.group(&g)).flat_map(|gs| &gs.models) {
            if let (Some(n), false) = (m.tasks, tasks.iter().any(|(name, _)| *name == m.name)) {
                tasks.push((m.name.clone(), n));
            }
        }
        let group = Group::find_or_unknown(&g, &unit);
        groups.push(GroupTable { group, value_is, rows, skipped, tasks });
    }
    Ok(Comparison {
        runs: headers,
        machine_diffs,
        machine_same,
        config_diffs,
        configs,
        caveats,
        groups,
        confidence_level,
        rule: *rule,
    })
}

/// Whether a run's summary keeps per-sample values: schema 2 on, or any benchmark with samples.
fn has_samples(r: &Run) -> bool {
    r.summary.schema >= 2 || r.summary.benchmarks.iter().any(|b| !b.samples.is_empty())
}

fn describe_ids(r: &Run) -> String {
    let groups: BTreeSet<&str> = r.summary.benchmarks.iter().map(|b| b.group.as_str()).collect();
    if groups.is_empty() {
        "no benchmarks".to_string()
    } else {
        format!("{} benchmarks of {}", r.summary.benchmarks.len(), groups.into_iter().collect::<Vec<_>>().join(", "))
    }
}

/// `A`, `B`, ..., `Z`, `AA`, ...
fn letter(i: usize) -> String {
    let mut s = String::new();
    let mut i = i + 1;
    while i > 0 {
        i -= 1;
        s.insert(0, (b'A' + (i % 26) as u8) as char);
        i /= 26;
    }
    s
}

/// `1.03×`, with the real-difference mark when it applies; `-` without a ratio.
pub fn ratio_cell(c: &Cell) -> String {
    match c.ratio {
        None => "-".to_string(),
        Some(r) if c.real == Some(true) => format!("{} {REAL_MARK}", ratio(r)),
        Some(r) => ratio(r),
    }
}

/// The legend printed under every comparison table: what the values are, the exact rule behind
/// [`REAL_MARK`], and what [`FLAG_MARK`] means.
pub fn legend(c: &Comparison) -> String {
    let pct = format!("{:.0}%", c.confidence_level * 100.0);
    let mut s = format!("Values are per task: the median, ± half its {pct} confidence interval.");
    if c.runs.len() > 1 {
        let _ = write!(
            s,
            " Ratios are medians over run A's. {REAL_MARK} marks a real difference: {}. A ratio without \
             {REAL_MARK} is within noise and is not evidence of a difference.",
            c.rule.describe(c.confidence_level)
        );
    }
    let _ = write!(
        s,
        " {FLAG_MARK} after a value: its samples split into two clusters, or its mean and median differ by more \
         than {:.0}%; one number describes it poorly.",
        MEAN_MEDIAN_LIMIT * 100.0
    );
    let old: Vec<&str> = c.runs.iter().filter(|r| !r.has_samples).map(|r| r.letter.as_str()).collect();
    if !old.is_empty() {
        let (runs, were, it, its) =
            if old.len() == 1 { ("Run", "was", "it", "its") } else { ("Runs", "were", "they", "their") };
        let _ = write!(
            s,
            " {runs} {} {were} saved by an older taskbench (summary schema 1), which published means and kept no \
             per-sample values: {its} medians are read from the saved estimates, {its} differences are judged by \
             the interval rule, and {it} cannot be flagged bimodal.",
            old.join(", ")
        );
    }
    s
}

/// A state group's N per model, in one line (`None` elsewhere): its rows are by K, at one N per model.
pub fn tasks_line(g: &GroupTable) -> Option<String> {
    if g.tasks.is_empty() {
        return None;
    }
    let each: Vec<String> = g.tasks.iter().map(|(m, n)| format!("{m} {}", thousands(*n as f64))).collect();
    Some(format!("N, the same at every K: {}.", each.join(", ")))
}

/// ` in A, B` for the runs listed; nothing for a single-run comparison.
pub fn in_runs(c: &Comparison, who: &[usize]) -> String {
    if c.runs.len() == 1 {
        String::new()
    } else if who.len() == c.runs.len() {
        " in every run".to_string()
    } else {
        format!(" in {}", who.iter().map(|i| c.runs[*i].letter.as_str()).collect::<Vec<_>>().join(", "))
    }
}

/// The fields every run shares, with the crate versions folded into one item when they all agree.
pub fn same_fields(c: &Comparison) -> String {
    let crates_differ = c.machine_diffs.iter().any(|(f, _)| f.starts_with("crate "));
    let mut out: Vec<&str> =
        c.machine_same.iter().filter(|f| crates_differ || !f.starts_with("crate ")).map(String::as_str).collect();
    if !crates_differ {
        out.push("runtime crate versions");
    }
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        assert_eq!(letter(0), "A");
        assert_eq!(letter(25), "Z");
        assert_eq!(letter(26), "AA");
    }
}
