//! Saving a run folder and loading one back; which build(s) measured a run. Saving is all or nothing: the
//! files go into a hidden temporary folder beside the target, are flushed and renamed into place (an
//! existing run is replaced, with `force`, by two renames).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

use super::format::grouped;
use super::machine::{short, Machine};
use super::summary::{self, Gathered, Summary};
use crate::files::{read_versioned, run_stamp, to_json, write_atomic};
use crate::machine::MACHINE_SCHEMA;
use crate::provenance::Build;
use crate::record::criterion_cell_dir;

/// What `taskbench save` needs; the run's name defaults to when the benches finished, `label` appended.
#[derive(Debug, Clone)]
pub struct SaveOptions {
    pub criterion_home: PathBuf,
    pub records_dir: PathBuf,
    pub results_dir: PathBuf,
    pub name: Option<String>,
    pub label: Option<String>,
    pub machine_name: Option<String>,
    pub force: bool,
}

/// A saved run, what the user should hear about it, and whether an older run was replaced.
#[derive(Debug)]
pub struct Saved {
    pub path: PathBuf,
    pub summary: Summary,
    pub warnings: Vec<String>,
    pub provenance: Vec<String>,
    pub mixed_builds: Option<String>,
    pub replaced: bool,
}

/// Saves the current Criterion output as a run of `machine`. See the module docs.
pub fn save(opts: &SaveOptions, machine: Machine) -> Result<Saved> {
    let (gathered, mut machine, builds) = gather_as_benched(&opts.criterion_home, &opts.records_dir, machine)?;
    if let Some(m) = &opts.machine_name {
        check_name(m, "machine name")?;
        machine.slug = m.clone();
    }
    let run_name = match (&opts.name, &opts.label) {
        (Some(n), _) => n.clone(),
        (None, Some(l)) => format!("{}-{l}", run_stamp(gathered.newest_record_unix)),
        (None, None) => run_stamp(gathered.newest_record_unix),
    };
    check_name(&run_name, "run name")?;
    let machine_dir = opts.results_dir.join(&machine.slug);
    let target = machine_dir.join(&run_name);
    if target.exists() && !opts.force {
        bail!("{}: this run exists already; pass --force to replace it, or --name to pick another", target.display());
    }
    let mut summary = gathered.summary;
    summary.machine = machine.slug.clone();
    summary.run = run_name.clone();
    // Every file's bytes now, so a vanished file fails before anything is written; summary.json last: a
    // folder without it is not a run.
    let mut files = vec![(PathBuf::from("machine.json"), to_json(&machine)?.into_bytes())];
    for (rel, src) in &gathered.raw_files {
        files.push((rel.clone(), fs::read(src).with_context(|| format!("{}: cannot read", src.display()))?));
    }
    files.push((PathBuf::from("summary.json"), to_json(&summary)?.into_bytes()));
    fs::create_dir_all(&machine_dir).with_context(|| format!("{}: cannot create", machine_dir.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{run_name}.saving-"))
        .tempdir_in(&machine_dir)
        .with_context(|| format!("{}: cannot create a folder in it", machine_dir.display()))?;
    for (rel, bytes) in &files {
        let dest = tmp.path().join(rel);
        let parent = dest.parent().expect("a file in the folder");
        fs::create_dir_all(parent).with_context(|| format!("{}: cannot create", parent.display()))?;
        write_atomic(&dest, bytes)?;
    }
    sync_dir(tmp.path());
    let replaced = put_in_place(tmp.path(), &target, &machine_dir, &run_name)?;
    sync_dir(&machine_dir);
    let mixed_builds =
        builds.is_mixed().then(|| format!("the cells come from more than one build: {}", builds.describe()));
    let (warnings, provenance) = (gathered.warnings, gathered.provenance);
    Ok(Saved { path: target, summary, warnings, provenance, mixed_builds, replaced })
}

/// Renames `tmp` to `target`, moving an existing run aside first; true when one was replaced.
fn put_in_place(tmp: &Path, target: &Path, machine_dir: &Path, run_name: &str) -> Result<bool> {
    if !target.exists() {
        fs::rename(tmp, target).with_context(|| format!("{}: cannot write", target.display()))?;
        return Ok(false);
    }
    let old = machine_dir.join(format!(".{run_name}.replaced-{}", std::process::id()));
    fs::rename(target, &old).with_context(|| format!("{}: cannot move aside", target.display()))?;
    if let Err(e) = fs::rename(tmp, target) {
        let _ = fs::rename(&old, target);
        return Err(e).with_context(|| format!("{}: cannot write", target.display()));
    }
    let _ = fs::remove_dir_all(&old);
    Ok(true)
}

/// [`summary::gather`], the machine as the benches ran on it, and the builds that measured the cells.
fn gather_as_benched(home: &Path, records_dir: &Path, mut machine: Machine) -> Result<(Gathered, Machine, Builds)> {
    let gathered = summary::gather(home, records_dir)?;
    if let Some(cores) = gathered.bench_usable_cores {
        machine.available_parallelism = cores;
    }
    let builds = Builds::of(&gathered.summary, &machine);
    if let Builds::Measured(measured) = &builds {
        let one = match measured.as_slice() {
            [(Some(b), _)] => Some(b),
            _ => None,
        };
        machine.git_commit = one.and_then(|b| b.commit.clone());
        machine.git_dirty = one.and_then(|b| b.dirty);
    }
    Ok((gathered, machine, builds))
}

/// Which build(s) measured a run's cells, each with its cells' ids; or, for an older run, the save-time checkout.
#[derive(Debug, Clone, PartialEq)]
pub enum Builds {
    Measured(Vec<(Option<Build>, Vec<String>)>),
    SaveTimeCheckout { commit: Option<String>, dirty: Option<bool> },
}

impl Builds {
    /// The builds `summary`'s cells name; the save-time checkout in `machine` when none does.
    pub fn of(summary: &Summary, machine: &Machine) -> Builds {
        if summary.benchmarks.iter().all(|b| b.build.is_none()) {
            return Builds::SaveTimeCheckout { commit: machine.git_commit.clone(), dirty: machine.git_dirty };
        }
        Builds::Measured(grouped(summary.benchmarks.iter().map(|b| (b.build.clone(), b.id.clone()))))
    }

    pub fn is_mixed(&self) -> bool {
        matches!(self, Builds::Measured(b) if b.len() > 1)
    }

    /// One line: the build, or each build with its cells, or the save-time checkout said as such.
    pub fn describe(&self) -> String {
        match self {
            Builds::SaveTimeCheckout { commit, dirty } => {
                let commit = match (commit, dirty) {
                    (Some(c), Some(true)) => format!("commit {} with uncommitted changes", short(c)),
                    (Some(c), _) => format!("commit {}", short(c)),
                    (None, _) => "an unknown commit".to_string(),
                };
                format!("the save-time checkout, {commit} (this run's cells do not name the build that measured them)")
            }
            Builds::Measured(builds) if builds.len() == 1 => one_line(&builds[0].0),
            Builds::Measured(builds) => {
                let all: Vec<&str> = builds.iter().flat_map(|(_, ids)| ids.iter().map(String::as_str)).collect();
                let each: Vec<String> =
                    builds.iter().map(|(b, ids)| format!("{} measured {}", one_line(b), cells(ids, &all))).collect();
                format!("{} builds: {}", builds.len(), each.join("; "))
            }
        }
    }
}

fn one_line(build: &Option<Build>) -> String {
    build.as_ref().map_or_else(|| "a build not recorded".to_string(), Build::one_line)
}

/// `ids` in few words: by rows (theirs, or the fewer others') or whole groups where they cover them, else one
/// by one.
fn cells(ids: &[String], all: &[&str]) -> String {
    // A probe's build measures every cell of its rows: named by rows, from either side.
    let model_of = |id: &str| id.split('/').nth(1).unwrap_or(id).to_string();
    let mine: BTreeSet<String> = ids.iter().map(|id| model_of(id)).collect();
    let others: BTreeSet<String> = all.iter().map(|id| model_of(id)).filter(|m| !mine.contains(m)).collect();
    let of = |models: &BTreeSet<String>| all.iter().filter(|id| models.contains(&model_of(id))).count();
    if of(&mine) == ids.len() && mine.len() <= 3 {
        return format!("every cell of {} ({} cells)", Vec::from_iter(mine).join(", "), ids.len());
    }
    if of(&mine) == ids.len() && !others.is_empty() && others.len() < mine.len() {
        return format!("every cell but those of {} ({} cells)", Vec::from_iter(others).join(", "), ids.len());
    }
    let group_of = |id: &str| id.split('/').next().unwrap_or(id).to_string();
    let mut groups: Vec<String> = ids.iter().map(|id| group_of(id)).collect();
    groups.dedup();
    let parts: Vec<String> = groups
        .iter()
        .map(|g| {
            let mine: Vec<&str> = ids.iter().map(String::as_str).filter(|id| group_of(id) == *g).collect();
            let total = all.iter().filter(|id| group_of(id) == *g).count();
            if mine.len() == total {
                format!("{g} (all {total} cells)")
            } else {
                mine.join(", ")
            }
        })
        .collect();
    parts.join(", ")
}

/// Every cell recorded so far as an unsaved run `name` in Criterion's folder, and which run each came from.
pub fn unsaved(criterion_home: &Path, records_dir: &Path, machine: Machine, name: &str) -> Result<(Run, Vec<String>)> {
    let (gathered, machine, _) = gather_as_benched(criterion_home, records_dir, machine)?;
    let mut summary = gathered.summary;
    summary.machine = machine.slug.clone();
    summary.run = name.to_string();
    let home = PathBuf::from(&summary.criterion_home);
    for b in &mut summary.benchmarks {
        b.raw = Some(criterion_cell_dir(&home, &b.group, &b.model, b.n).join("new").to_string_lossy().into_owned());
    }
    Ok((Run { path: home, machine, summary }, gathered.provenance))
}

/// Makes the renames durable; best effort (some filesystems refuse to open a folder).
fn sync_dir(dir: &Path) {
    if let Ok(f) = fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

fn check_name(name: &str, what: &str) -> Result<()> {
    if name.is_empty()
        || name.starts_with('.')
        || name.contains(['/', '\\'])
        || name.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        bail!("{what} {name:?}: use letters, digits, '-', '_' or '.', not starting with '.'");
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct Run {
    pub path: PathBuf,
    pub machine: Machine,
    pub summary: Summary,
}

impl Run {
    /// `machine/run`, how runs are named in tables.
    pub fn label(&self) -> String {
        format!("{}/{}", self.summary.machine, self.summary.run)
    }

    pub fn builds(&self) -> Builds {
        Builds::of(&self.summary, &self.machine)
    }
}

/// Loads a run folder written by `taskbench save`, with an error naming the file and the problem.
pub fn load(path: &Path) -> Result<Run> {
    if !path.exists() {
        bail!("{}: no such run folder", path.display());
    }
    if !path.is_dir() {
        bail!("{}: not a folder; a run is a folder holding machine.json and summary.json", path.display());
    }
    let summary_path = path.join("summary.json");
    if !summary_path.exists() {
        let runs = list_runs_in(path);
        if !runs.is_empty() {
            bail!("{}: this is a machine folder, not a run; pick one of its runs: {}", path.display(), runs.join(", "));
        }
        bail!("{}: file not found; a run folder holds machine.json and summary.json", summary_path.display());
    }
    let machine: Machine = read_versioned(&path.join("machine.json"), MACHINE_SCHEMA)?;
    let summary = summary::load(&summary_path)?;
    Ok(Run { path: path.to_path_buf(), machine, summary })
}

/// Loads several runs, refusing the same folder twice.
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<Run>> {
    let mut runs: Vec<Run> = Vec::new();
    for p in paths {
        let run = load(p)?;
        let canon = fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        if runs.iter().any(|r| fs::canonicalize(&r.path).unwrap_or_else(|_| r.path.clone()) == canon) {
            bail!("{}: given twice", p.display());
        }
        runs.push(run);
    }
    Ok(runs)
}

/// The runs in `dir` (its folders holding a `summary.json`) but hidden ones, sorted.
fn list_runs_in(dir: &Path) -> Vec<String> {
    let names = fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.file_name().to_string_lossy().into_owned());
    let mut out: Vec<String> =
        names.filter(|n| !n.starts_with('.') && dir.join(n).join("summary.json").is_file()).collect();
    out.sort();
    out
}

/// Every run under `results_dir` (`<machine>/<run>`), sorted, skipping hidden (in-progress) folders.
pub fn list(results_dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = fs::read_dir(results_dir).map_err(|e| anyhow!("{}: cannot read: {e}", results_dir.display()))?;
    let machines = entries.flatten().filter(|m| !m.file_name().to_string_lossy().starts_with('.')).map(|m| m.path());
    let mut out: Vec<PathBuf> = machines.flat_map(|m| list_runs_in(&m).into_iter().map(move |r| m.join(r))).collect();
    out.sort();
    Ok(out)
}
