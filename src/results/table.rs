//! The one table every renderer reads: per group, model and x (N, or K in a state group) each run's median,
//! interval, flags and verdict against the first run; the skips, the models' order, configurations and
//! caveats, each run's builds and the machine fields that differ; and the pivots the renderers need.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::{bail, Result};

use super::format::{grouped, human, letter, ratio, thousands, unique};
use super::noise::{DiffRule, Interval, Verdict, MEAN_MEDIAN_LIMIT};
use super::paired::{paired_ratio, PairedRatio};
use super::reference::{Moved, Reference};
use super::run::{Builds, Run};
use super::summary::{model_names, Bench, CellNote, GroupSummary, ModelInfo, SkippedInfo};
use crate::catalogue::{Group, Measures, KERNEL, RSS};

/// Colours for models, in the runs' model order; distinguishable and readable on white.
pub const PALETTE: &[&str] = &[
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22",
    "#393b79", "#637939",
];
/// The mark for a real difference.
pub const REAL_MARK: &str = "≠";
/// After [`REAL_MARK`]: the change lies within what the machine reference moved ([`Moved::explains`]).
pub const MACHINE_MARK: &str = "≈ref";
/// The mark for a cell one number describes poorly ([`flag_meaning`]).
pub const FLAG_MARK: &str = "~";

/// Runs side by side, the first the reference; the diffs hold a value per run (`-`: no configuration).
#[derive(Debug, Clone)]
pub struct Table {
    pub runs: Vec<RunHeader>,
    pub machine_diffs: Vec<(String, Vec<String>)>,
    pub machine_same: Vec<String>,
    pub models: Vec<String>,
    pub config_diffs: Vec<(String, Vec<String>)>,
    pub configs: Vec<(String, String)>,
    pub caveats: BTreeMap<String, String>,
    pub groups: Vec<GroupTable>,
    pub confidence_level: f64,
    pub rule: DiffRule,
}

/// A run: its column letter, `machine/run` label, folder, machine, date, whether it kept samples, builds.
#[derive(Debug, Clone)]
pub struct RunHeader {
    pub letter: String,
    pub label: String,
    pub path: String,
    pub machine: String,
    pub date: String,
    pub has_samples: bool,
    pub builds: Builds,
    /// Its machine-speed reference, over all its groups' rounds; `None` in runs saved before it existed.
    pub reference: Option<Reference>,
}

/// A group: rows by model and x, skips with the runs that skipped them, a state group's N per model, each
/// run's wall time, the notes with their run.
#[derive(Debug, Clone)]
pub struct GroupTable {
    pub group: Group,
    pub value_is: String,
    pub rows: Vec<Row>,
    pub skipped: Vec<(Vec<usize>, SkippedInfo)>,
    pub tasks: Vec<(String, usize)>,
    pub wall_seconds: Vec<Option<u64>>,
    pub notes: Vec<(usize, CellNote)>,
    /// Per run: its samples are round-aligned ([`GroupSummary::interleaved`]).
    pub interleaved: Vec<bool>,
}

/// The row the findings' multiples are taken against: a raw `async-task` with no runtime.
pub const FLOOR: &str = "floor";
/// The rows every paired ratio is taken against: the floor, and `tokio-ct`, the single-threaded runtime (one
/// thread, so the cores' and the wake's share of a slow moment moves it least).
pub const PAIRED_TO: [&str; 2] = [FLOOR, "tokio-ct"];

/// One model at one x: a cell per run, `None` where the run has no result.
#[derive(Debug, Clone)]
pub struct Row {
    pub model: String,
    pub x: usize,
    pub cells: Vec<Option<Cell>>,
    /// Per row of [`PAIRED_TO`], per run of an interleaved group: the paired ratio to that row at the same x.
    pub paired: [Vec<Option<PairedRatio>>; PAIRED_TO.len()],
}

/// A run's result: the median per task, the mean, the flags, and (after run A) the ratio and verdict.
#[derive(Debug, Clone)]
pub struct Cell {
    pub id: String,
    pub per_task: Interval,
    pub mean_per_task: f64,
    pub bimodal: bool,
    pub mean_median: bool,
    pub ratio: Option<f64>,
    pub verdict: Option<Verdict>,
    pub real: Option<bool>,
    /// A timing cell's real change that lies within what the machine reference moved between run A and
    /// this run ([`Moved::explains`]); `None` where a run has no reference.
    pub machine_moved: Option<bool>,
}

/// One model's memory at one N in all: RSS plus the kernel's share, bytes per task.
#[derive(Debug, Clone, PartialEq)]
pub struct Total {
    pub model: String,
    pub n: usize,
    pub rss: f64,
    pub kernel: f64,
}

impl Total {
    pub fn bytes(&self) -> f64 {
        self.rss + self.kernel
    }
}

impl Cell {
    fn new(b: &Bench, reference: Option<&Bench>, rule: &DiffRule, moved: Option<Moved>) -> Cell {
        let verdict = reference.map(|r| rule.judge(r, b));
        let ratio = reference.filter(|r| r.per_task.point != 0.0).map(|r| b.per_task.point / r.per_task.point);
        let time = b.group().measures == Measures::Time;
        let margin = rule.min_effect_for(Measures::Time);
        let machine_moved = moved.zip(ratio).filter(|_| time).map(|(m, r)| m.explains(r, margin));
        Cell {
            id: b.id.clone(),
            per_task: b.per_task,
            mean_per_task: b.mean_per_task.point,
            bimodal: b.bimodal(),
            mean_median: b.mean_median(),
            ratio,
            real: verdict.map(|v| v.real),
            verdict,
            machine_moved,
        }
    }

    /// The median per task.
    pub fn value(&self) -> f64 {
        self.per_task.point
    }

    pub fn flagged(&self) -> bool {
        self.bimodal || self.mean_median
    }

    /// Why the cell is flagged, in words; empty when it is not.
    pub fn flag_reasons(&self, measures: Measures) -> String {
        let mean = human(self.mean_per_task, measures);
        let mean = format!("mean {mean} is more than {:.0}% from the median", MEAN_MEDIAN_LIMIT * 100.0);
        let why = [(self.bimodal, "samples split into two clusters".to_string()), (self.mean_median, mean)];
        why.into_iter().filter(|w| w.0).map(|w| w.1).collect::<Vec<_>>().join("; ")
    }
}

/// What [`FLAG_MARK`] means.
pub fn flag_meaning() -> String {
    let limit = MEAN_MEDIAN_LIMIT * 100.0;
    format!("the samples split into two clusters, or the mean and median differ by more than {limit:.0}%")
}

/// `s`, with [`FLAG_MARK`] when the cell is flagged.
pub fn marked(s: String, c: &Cell) -> String {
    if c.flagged() {
        format!("{s} {FLAG_MARK}")
    } else {
        s
    }
}

impl GroupTable {
    /// Run `run`'s cell for `model` at `x`.
    pub fn cell(&self, model: &str, x: usize, run: usize) -> Option<&Cell> {
        self.rows.iter().find(|r| r.model == model && r.x == x)?.cells.get(run)?.as_ref()
    }

    /// The rows that have a cell in run `run`, with it.
    pub fn cells_of(&self, run: usize) -> impl Iterator<Item = (&Row, &Cell)> {
        self.rows.iter().filter_map(move |r| Some((r, r.cells.get(run)?.as_ref()?)))
    }

    /// The cells run `run` skipped.
    pub fn skipped_in(&self, run: usize) -> impl Iterator<Item = &SkippedInfo> {
        self.skipped.iter().filter(move |(who, _)| who.contains(&run)).map(|(_, s)| s)
    }

    /// The models of the rows, once each, in row order.
    pub fn models(&self) -> Vec<&str> {
        let mut models: Vec<&str> = self.rows.iter().map(|r| r.model.as_str()).collect();
        models.dedup();
        models
    }
}

/// The table of `runs`, the first the reference; they must share a benchmark, in the same unit.
pub fn read(runs: &[Run], rule: &DiffRule) -> Result<Table> {
    let Some(first) = runs.first() else { bail!("no runs given") };
    for r in &runs[1..] {
        if !r.summary.benchmarks.iter().any(|b| first.summary.bench(&b.id).is_some()) {
            bail!(
                "{} and {}: no benchmark in common (first holds {}, second holds {}); nothing to compare",
                first.path.display(),
                r.path.display(),
                describe_ids(first),
                describe_ids(r)
            );
        }
        for b in &r.summary.benchmarks {
            if let Some(a) = first.summary.bench(&b.id).filter(|a| a.per_task_unit != b.per_task_unit) {
                bail!(
                    "{}: {} is in {}, but in {} in {}; the runs cannot be compared",
                    r.path.join("summary.json").display(),
                    b.id,
                    b.per_task_unit,
                    a.per_task_unit,
                    first.path.join("summary.json").display()
                );
            }
        }
    }
    Ok(build(runs, rule))
}

/// The table of one run (no second run: nothing is marked).
pub fn of_run(run: &Run) -> Table {
    build(std::slice::from_ref(run), &DiffRule::default())
}

fn build(runs: &[Run], rule: &DiffRule) -> Table {
    let references: Vec<Option<Reference>> = runs.iter().map(|r| Reference::of_groups(&r.summary.groups)).collect();
    let header = |(i, r): (usize, &Run)| RunHeader {
        letter: letter(i),
        label: r.label(),
        path: r.path.display().to_string(),
        machine: r.machine.one_line(),
        date: r.machine.date.clone(),
        has_samples: r.summary.schema >= 2 || r.summary.benchmarks.iter().any(|b| !b.samples.is_empty()),
        builds: r.builds(),
        reference: references[i],
    };
    let (machine_diffs, machine_same) = machine_fields(runs);
    let all_groups: Vec<&GroupSummary> = runs.iter().flat_map(|r| &r.summary.groups).collect();
    let models = model_names(all_groups.iter().copied());
    let (configs, config_diffs, caveats) = model_configs(runs, &models);
    let mut names: Vec<&str> = all_groups.iter().map(|g| g.group.as_str()).collect();
    names.extend(runs.iter().flat_map(|r| r.summary.benchmarks.iter().map(|b| b.group.as_str())));
    names.sort_by_key(|g| Group::rank(g));
    names.dedup();
    let groups: Vec<GroupTable> = names.into_iter().map(|g| group_table(runs, &references, g, &models, rule)).collect();
    // The level of the last cell, in group order.
    let benches = || runs.iter().rev().flat_map(|r| r.summary.benchmarks.iter().rev());
    let last = groups.iter().rev().find_map(|g| benches().find(|b| b.group == g.group.name));
    let (confidence_level, rule) = (last.map_or(0.95, |b| b.per_task.confidence_level), *rule);
    let runs = runs.iter().enumerate().map(header).collect();
    Table { runs, machine_diffs, machine_same, models, config_diffs, configs, caveats, groups, confidence_level, rule }
}

/// The machine fields that differ between runs (with each run's value), and those that do not (but `date`).
fn machine_fields(runs: &[Run]) -> (Vec<(String, Vec<String>)>, Vec<String>) {
    let fields: Vec<Vec<(String, String)>> = runs.iter().map(|r| r.machine.fields()).collect();
    let values = |i: usize| fields.iter().map(|f| f.get(i).map(|x| x.1.clone()).unwrap_or_default()).collect();
    let named = fields[0].iter().enumerate().filter(|(_, (name, _))| name != "date");
    let all: Vec<(String, Vec<String>)> = named.map(|(i, (name, _))| (name.clone(), values(i))).collect();
    let (same, diffs): (Vec<_>, Vec<_>) = all.into_iter().partition(|(_, v)| v.iter().all(|x| *x == v[0]));
    (diffs, same.into_iter().map(|(name, _)| name).collect())
}

type Configs = (Vec<(String, String)>, Vec<(String, Vec<String>)>, BTreeMap<String, String>);

/// Each model's configuration (the first run's having one), those that differ between runs, and caveats.
fn model_configs(runs: &[Run], models: &[String]) -> Configs {
    let of_run: Vec<Vec<&ModelInfo>> =
        runs.iter().map(|r| r.summary.groups.iter().flat_map(|g| &g.models).collect()).collect();
    let config = |infos: &Vec<&ModelInfo>, m: &str| {
        infos.iter().find(|x| x.name == m && x.config != "-").map_or("-".to_string(), |x| x.config.clone())
    };
    let by_model: Vec<(String, Vec<String>)> =
        models.iter().map(|m| (m.clone(), of_run.iter().map(|infos| config(infos, m)).collect())).collect();
    // Each model's first caveat: collected from the last, as a map keeps the last value of a key.
    let caveats = of_run.iter().flatten().rev().filter_map(|m| Some((m.name.clone(), m.caveat.clone()?))).collect();
    let configs =
        by_model.iter().map(|(m, v)| (m.clone(), v.iter().find(|c| *c != "-").cloned().unwrap_or_default())).collect();
    let diffs = by_model.into_iter().filter(|(_, v)| v.iter().any(|c| *c != v[0])).collect();
    (configs, diffs, caveats)
}

/// One group's rows (model × x, a cell per run), skips and task counts.
/// `references`: each run's machine reference over all its groups.
fn group_table(
    runs: &[Run],
    references: &[Option<Reference>],
    g: &str,
    models: &[String],
    rule: &DiffRule,
) -> GroupTable {
    let summaries: Vec<Option<&GroupSummary>> = runs.iter().map(|r| r.summary.group(g)).collect();
    let benches: Vec<Vec<&Bench>> =
        runs.iter().map(|r| r.summary.benchmarks.iter().filter(|b| b.group == g).collect()).collect();
    let unit = benches.iter().zip(&summaries).find_map(|(b, s)| b.first().map(|b| &b.unit).or(s.map(|s| &s.unit)));
    let value_is = summaries.iter().flatten().map(|s| s.value_is.clone()).find(|v| !v.is_empty()).unwrap_or_default();
    let skips =
        summaries.iter().enumerate().flat_map(|(i, s)| s.iter().flat_map(|s| &s.skipped).map(move |s| (s.clone(), i)));
    let skipped = grouped(skips).into_iter().map(|(s, who)| (who, s)).collect();
    let keys: BTreeSet<(usize, &str, usize)> =
        benches.iter().flatten().map(|b| (rank(models, &b.model), b.model.as_str(), b.n)).collect();
    // The machine's move from run A: the group's own rounds' reference where both runs have one, else the runs'.
    let of_run = |i: usize| {
        let own = summaries[i].and_then(|s| Reference::of(&s.machine_reference));
        own.zip(summaries[0].and_then(|s| Reference::of(&s.machine_reference)))
            .or_else(|| references[i].zip(references[0]))
    };
    let moved: Vec<Option<Moved>> = (0..runs.len()).map(|i| of_run(i).map(|(b, a)| b.moved_from(&a))).collect();
    let rows = keys
        .into_iter()
        .map(|(_, model, x)| {
            let found: Vec<Option<&Bench>> =
                benches.iter().map(|of_run| of_run.iter().find(|b| b.model == model && b.n == x).copied()).collect();
            let reference = |i: usize| found[0].filter(|_| i > 0);
            let cell = |(i, b): (usize, &Option<&Bench>)| b.map(|b| Cell::new(b, reference(i), rule, moved[i]));
            let cells = found.iter().enumerate().map(cell).collect();
            let paired = PAIRED_TO.map(|to| {
                (found.iter().zip(&benches).zip(&summaries))
                    .map(|((b, of_run), s)| {
                        let to = of_run.iter().find(|r| r.model == to && r.n == x)?;
                        s.filter(|s| s.interleaved).and_then(|_| paired_ratio(&to.samples, &(*b)?.samples))
                    })
                    .collect()
            });
            Row { model: model.to_string(), x, cells, paired }
        })
        .collect();
    // A state group's N per model, from the first run that recorded it.
    let recorded =
        summaries.iter().flatten().flat_map(|gs| &gs.models).filter_map(|m| Some((m.name.clone(), m.tasks?)));
    let tasks = grouped(recorded).into_iter().map(|(m, ns)| (m, ns[0])).collect();
    let wall_seconds = summaries.iter().map(|s| s.and_then(|s| s.wall_seconds)).collect();
    let notes =
        summaries.iter().enumerate().flat_map(|(i, s)| s.iter().flat_map(|s| &s.notes).map(move |n| (i, n.clone())));
    let group = Group::find_or_unknown(g, unit.map_or("", String::as_str));
    let interleaved = summaries.iter().map(|s| s.is_some_and(|s| s.interleaved)).collect();
    GroupTable { group, value_is, rows, skipped, tasks, wall_seconds, notes: notes.collect(), interleaved }
}

impl Table {
    pub fn group(&self, name: &str) -> Option<&GroupTable> {
        self.groups.iter().find(|g| g.group.name == name)
    }

    /// A model's place in the runs' model order; models without a configuration last.
    pub fn rank(&self, model: &str) -> usize {
        rank(&self.models, model)
    }

    /// Run `run`'s RSS plus the kernel's share for every model and N with both medians, in row order.
    pub fn totals(&self, run: usize) -> Vec<Total> {
        let (Some(rss), Some(kernel)) = (self.group(RSS.name), self.group(KERNEL.name)) else { return Vec::new() };
        rss.cells_of(run)
            .filter_map(|(r, c)| {
                let k = kernel.cell(&r.model, r.x, run)?;
                Some(Total { model: r.model.clone(), n: r.x, rss: c.value(), kernel: k.value() })
            })
            .collect()
    }

    /// A colour per model, in the model order, so a model keeps its colour in every chart of a run.
    pub fn colors(&self) -> BTreeMap<String, String> {
        let rows = self.groups.iter().flat_map(|g| &g.rows).map(|r| r.model.as_str());
        let models = unique(self.configs.iter().map(|(m, _)| m.as_str()).chain(rows));
        models.into_iter().enumerate().map(|(i, m)| (m.to_string(), PALETTE[i % PALETTE.len()].to_string())).collect()
    }

    /// The legend under every comparison: what the values are, the rule behind [`REAL_MARK`], what
    /// [`FLAG_MARK`] means, and which runs lack samples.
    pub fn legend(&self) -> String {
        let pct = format!("{:.0}%", self.confidence_level * 100.0);
        let mut s = format!("Values are per task: the median, ± half its {pct} confidence interval.");
        if self.runs.len() > 1 {
            let _ = write!(
                s,
                " Ratios are medians over run A's. {REAL_MARK} marks a real difference: {}. A ratio without \
                 {REAL_MARK} is within noise and is not evidence of a difference.",
                self.rule.describe(self.confidence_level)
            );
        }
        let _ = write!(s, " {FLAG_MARK} after a value: {}; one number describes it poorly.", flag_meaning());
        let old: Vec<&str> = self.runs.iter().filter(|r| !r.has_samples).map(|r| r.letter.as_str()).collect();
        if !old.is_empty() {
            let (runs, were, it, its) =
                if old.len() == 1 { ("Run", "was", "it", "its") } else { ("Runs", "were", "they", "their") };
            let _ = write!(
                s,
                " {runs} {} {were} saved by an older taskbench (summary schema 1), which published means and kept \
                 no per-sample values: {its} medians are read from the saved estimates, {its} differences are \
                 judged by the interval rule, and {it} cannot be flagged bimodal.",
                old.join(", ")
            );
        }
        s
    }

    /// ` in A, B` for the runs listed; nothing for a single-run table.
    pub fn in_runs(&self, who: &[usize]) -> String {
        if self.runs.len() == 1 {
            String::new()
        } else if who.len() == self.runs.len() {
            " in every run".to_string()
        } else {
            format!(" in {}", who.iter().map(|i| self.runs[*i].letter.as_str()).collect::<Vec<_>>().join(", "))
        }
    }

    /// The fields every run shares, the crate versions as one item when they all agree.
    pub fn same_fields(&self) -> String {
        let crates_differ = self.machine_diffs.iter().any(|(f, _)| f.starts_with("crate "));
        let same = self.machine_same.iter().map(String::as_str);
        let mut out: Vec<&str> = same.filter(|f| crates_differ || !f.starts_with("crate ")).collect();
        if !crates_differ {
            out.push("runtime crate versions");
        }
        out.join(", ")
    }
}

fn rank(models: &[String], model: &str) -> usize {
    models.iter().position(|m| m == model).unwrap_or(usize::MAX)
}

fn describe_ids(r: &Run) -> String {
    let groups: BTreeSet<&str> = r.summary.benchmarks.iter().map(|b| b.group.as_str()).collect();
    if groups.is_empty() {
        "no benchmarks".to_string()
    } else {
        format!("{} benchmarks of {}", r.summary.benchmarks.len(), groups.into_iter().collect::<Vec<_>>().join(", "))
    }
}

/// `1.03×`, with [`REAL_MARK`] when the difference is real; `-` without a ratio.
pub fn ratio_cell(c: &Cell) -> String {
    match c.ratio {
        None => "-".to_string(),
        Some(r) if c.real == Some(true) && c.machine_moved == Some(true) => {
            format!("{} {REAL_MARK} {MACHINE_MARK}", ratio(r))
        }
        Some(r) if c.real == Some(true) => format!("{} {REAL_MARK}", ratio(r)),
        Some(r) => ratio(r),
    }
}

/// A state group's N per model, in one line (`None` elsewhere).
pub fn tasks_line(g: &GroupTable) -> Option<String> {
    let each: Vec<String> = g.tasks.iter().map(|(m, n)| format!("{m} {}", thousands(*n as f64))).collect();
    (!each.is_empty()).then(|| format!("N, the same at every K: {}.", each.join(", ")))
}
