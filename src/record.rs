//! What a bench binary leaves beside Criterion's output: for every `group/model/N` cell, how its model was
//! configured, in which run it was measured, or why it was skipped. `taskbench save` reads it; Criterion
//! itself has no place for it. This module owns the record: its type, writing it and reading it back.
//!
//! One file per cell, `<target>/taskbench/cells/<group>/<model>/<N>.json` (see [`records_dir`]), written
//! atomically as the cell finishes, so an interrupted run keeps every cell that finished and a filtered run
//! replaces only the cells it ran. A measured cell is recorded only when Criterion wrote its result during
//! this run (its `new/estimates.json` is newer than the run's start): list, test and profile modes write
//! nothing. A skipped cell is recorded once the run has recorded a measured one.
//!
//! A run is one bench process; its id is the process's start time. Reading keeps, for each id, the cell
//! from the latest run. Per-group files (`<target>/taskbench/<group>.json`, [`GroupRecord`]) written by older
//! builds are still read, as cells of a run that started when the file was written.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::files::{iso8601, read_json, to_json, write_atomic};

/// One cell as its run left it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CellRecord {
    /// `group/model/N`.
    pub id: String,
    /// `spawn`, `spawn_join`, `heap_per_task`, ...
    pub group: String,
    pub model: String,
    pub n: usize,
    /// Unit of Criterion's value for this group: `ns` (per iteration of N tasks) or `bytes/task`.
    pub unit: String,
    /// What one Criterion value covers, in words.
    pub value_is: String,
    /// The model's configuration (runtime, workers, spawn site); empty when the model cannot run here.
    pub config: String,
    pub caveat: Option<String>,
    /// Why the cell did not run (the line printed for it); `None` when Criterion measured it.
    pub skipped: Option<String>,
    /// Why the cell failed once it had started (a child that died, a count that came out wrong, readings
    /// that never came clean); `None` when it ran to the end. A failed cell has no result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
    /// How the cell's readings were taken where that varies: a reading discarded and taken again, the source
    /// of a figure (e.g. the kernel's stack per thread). One line per event, in order; empty for most cells.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The number of tasks, for a group whose id ends in something else (the state groups end in K, the
    /// bytes each task holds); `None` where `n` is the number of tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tasks: Option<usize>,
    /// Whether its samples were taken in interleaved rounds with the other rows at its N
    /// ([`crate::harness::rounds`]): sample `i` of every such cell of the group and N is round `i`'s.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interleaved: bool,
    /// In interleaved rounds: the machine reference read at the start of each round at its N, in round order
    /// ([`crate::measure::reference`]); empty elsewhere and in records written before it existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub machine_reference: Vec<MachineReference>,
    pub run: RunInfo,
    /// The build that measured the cell; `None` in records written before builds were recorded (a run saved
    /// from those names the checkout at save time instead, and says so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<crate::provenance::Build>,
    /// Seconds since the Unix epoch when the record was written.
    pub written_at_unix: u64,
}

/// One reading of the machine-speed reference ([`crate::measure::reference`]): the fixed single-threaded
/// workload's time and one cross-core wake round trip, in ns (no wake with a single usable core).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct MachineReference {
    pub workload_ns: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wake_ns: Option<f64>,
}

/// The run (one bench process) a cell came from.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RunInfo {
    /// The process's start time, UTC ISO 8601 with milliseconds: `2026-11-27T13:05:12.345Z`.
    pub id: String,
    /// The same instant, milliseconds since the Unix epoch (orders runs).
    pub started_unix_ms: u64,
    /// Cores the bench process could use (its affinity), which sets the runtimes' worker counts; 0 if unknown.
    pub usable_cores: usize,
    /// The N values the run asked for.
    pub n_values: Vec<usize>,
    /// Every cell of the group the run's settings select (rows x N, before Criterion's filter): what a
    /// complete group holds.
    pub cells: Vec<String>,
}

impl RunInfo {
    /// A run that started at `started`.
    pub fn starting_at(started: SystemTime) -> RunInfo {
        let ms = started.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        RunInfo { id: run_id(ms), started_unix_ms: ms, ..RunInfo::default() }
    }
}

fn run_id(ms: u64) -> String {
    let secs = iso8601(ms / 1000);
    format!("{}.{:03}Z", secs.trim_end_matches('Z'), ms % 1000)
}

/// The record of one benchmark group's last run, as builds before per-cell records wrote it
/// (`<target>/taskbench/<group>.json`). Read only.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct GroupRecord {
    pub group: String,
    pub unit: String,
    pub value_is: String,
    pub n_values: Vec<usize>,
    pub models: Vec<ModelRecord>,
    /// Ids (`group/model/N`) that ran.
    pub ran: Vec<String>,
    pub skipped: Vec<Skipped>,
    pub written_at_unix: u64,
    #[serde(default)]
    pub usable_cores: usize,
}

/// A model as it was configured for a run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ModelRecord {
    pub name: String,
    pub config: String,
    pub caveat: Option<String>,
    /// The model's number of tasks in a group whose id ends in something else ([`CellRecord::tasks`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tasks: Option<usize>,
}

/// A benchmark that did not run, with the one line printed for it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Skipped {
    /// `group/model/N`.
    pub id: String,
    pub model: String,
    pub n: usize,
    pub reason: String,
}

/// Criterion's output folder, found the way Criterion finds it: `CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else `target/criterion` under the working directory.
pub fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    target_dir().join("criterion")
}

/// The cargo target folder (`$CARGO_TARGET_DIR` or `target`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("target"))
}

/// Where records are kept: a `taskbench` folder beside Criterion's (`target/taskbench/` by default).
pub fn records_dir() -> PathBuf {
    let home = criterion_home();
    home.parent().map_or_else(|| PathBuf::from("taskbench"), |p| p.join("taskbench"))
}

/// Criterion's `make_filename_safe` (report.rs): the folder name it uses for an id part.
pub fn safe(part: &str) -> String {
    part.chars().map(|c| if "?\"/\\*<>:|^".contains(c) { '_' } else { c }).collect()
}

/// Criterion's folder for a cell: `<home>/<group>/<model>/<N>` (a `BenchmarkId::new(model, n)` in group
/// `group`).
pub fn criterion_cell_dir(home: &Path, group: &str, model: &str, n: usize) -> PathBuf {
    home.join(safe(group)).join(safe(model)).join(n.to_string())
}

/// Where a cell's record lives.
pub fn cell_path(records_dir: &Path, group: &str, model: &str, n: usize) -> PathBuf {
    records_dir.join("cells").join(safe(group)).join(safe(model)).join(format!("{n}.json"))
}

/// Writes a cell's record atomically (see [`write_atomic`]).
pub fn write_cell(records_dir: &Path, cell: &CellRecord) -> Result<()> {
    let path = cell_path(records_dir, &cell.group, &cell.model, cell.n);
    let dir = path.parent().expect("a cell path has a folder");
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    write_atomic(&path, to_json(cell)?.as_bytes())
}

/// Records one run's cells as it goes. See the module docs for when a cell is written.
pub struct CellLog {
    criterion_home: PathBuf,
    records_dir: PathBuf,
    run: RunInfo,
    /// Skips held back until the run has shown that it measures (a list run must write nothing).
    pending: Vec<CellRecord>,
    measuring: bool,
    /// Cells measured and recorded, skips recorded, and failed cells recorded, so far.
    pub measured_cells: usize,
    pub skipped_cells: usize,
    pub failed_cells: usize,
}

impl CellLog {
    /// Where this log writes its records.
    pub fn records_dir(&self) -> &Path {
        &self.records_dir
    }

    /// A log for a run that started at `started`, whose Criterion writes under `criterion_home`.
    pub fn new(criterion_home: PathBuf, records_dir: PathBuf, started: SystemTime) -> CellLog {
        CellLog {
            criterion_home,
            records_dir,
            run: RunInfo::starting_at(started),
            pending: Vec::new(),
            measuring: false,
            measured_cells: 0,
            skipped_cells: 0,
            failed_cells: 0,
        }
    }

    /// Says what the run covers: its N values, usable cores and every cell its settings select.
    pub fn plan(&mut self, n_values: &[usize], usable_cores: usize, cells: Vec<String>) {
        self.run.n_values = n_values.to_vec();
        self.run.usable_cores = usable_cores;
        self.run.cells = cells;
    }

    /// After Criterion ran `cell`: records it if Criterion wrote its result during this run (a cell with
    /// `failed` set is recorded as failed: Criterion's result for it holds stand-ins, not readings). Returns
    /// whether it did.
    pub fn measured(&mut self, mut cell: CellRecord) -> Result<bool> {
        let estimates = criterion_cell_dir(&self.criterion_home, &cell.group, &cell.model, cell.n)
            .join("new")
            .join("estimates.json");
        // A file's time comes from the kernel's coarse clock, up to a tick (10 ms at HZ = 100) behind the one
        // that read the start: a cell done within a tick of it (readings all from the store) looked stale.
        let started = UNIX_EPOCH + std::time::Duration::from_millis(self.run.started_unix_ms.saturating_sub(10));
        let fresh = fs::metadata(&estimates).and_then(|m| m.modified()).is_ok_and(|t| t >= started);
        if !fresh {
            return Ok(false);
        }
        cell.skipped = None;
        let failed = cell.failed.is_some();
        self.write(cell)?;
        if failed {
            self.failed_cells += 1;
        } else {
            self.measured_cells += 1;
        }
        if !self.measuring {
            self.measuring = true;
            for held in std::mem::take(&mut self.pending) {
                self.write(held)?;
                self.skipped_cells += 1;
            }
        }
        Ok(true)
    }

    /// A cell that did not run, and why.
    pub fn skipped(&mut self, mut cell: CellRecord, reason: String) -> Result<()> {
        cell.skipped = Some(reason);
        if self.measuring {
            self.write(cell)?;
            self.skipped_cells += 1;
        } else {
            self.pending.push(cell);
        }
        Ok(())
    }

    fn write(&self, mut cell: CellRecord) -> Result<()> {
        cell.run = self.run.clone();
        cell.written_at_unix = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        write_cell(&self.records_dir, &cell)
    }
}

/// Every cell recorded under `records_dir`, the latest run's for each id, sorted by id. Reads per-group
/// files of older builds too.
pub fn read_cells(records_dir: &Path) -> Result<Vec<CellRecord>> {
    if !records_dir.is_dir() {
        bail!(
            "{}: cannot read the taskbench records (no such folder). Run `cargo bench` first: each bench \
             records its cells in <target>/taskbench/cells/ beside Criterion's output",
            records_dir.display()
        );
    }
    let mut found = Vec::new();
    let mut cell_files = Vec::new();
    json_files_under(&records_dir.join("cells"), &mut cell_files)?;
    for path in cell_files {
        let cell: CellRecord = read_json(&path)?;
        let expected = cell_path(records_dir, &cell.group, &cell.model, cell.n);
        if cell.id != format!("{}/{}/{}", cell.group, cell.model, cell.n) || expected != path || cell.unit.is_empty() {
            bail!(
                "{}: the record does not describe this cell (id {:?}, unit {:?})",
                path.display(),
                cell.id,
                cell.unit
            );
        }
        found.push(cell);
    }
    for path in json_files_in(records_dir)? {
        found.extend(legacy_cells(&path)?);
    }
    if found.is_empty() {
        bail!(
            "{}: no taskbench records (cells/<group>/<model>/<N>.json). Run `cargo bench` first",
            records_dir.display()
        );
    }
    let mut latest: BTreeMap<String, CellRecord> = BTreeMap::new();
    for cell in found {
        match latest.get(&cell.id) {
            Some(kept) if kept.run.started_unix_ms >= cell.run.started_unix_ms => {}
            _ => {
                latest.insert(cell.id.clone(), cell);
            }
        }
    }
    Ok(latest.into_values().collect())
}

fn json_files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries =
        fs::read_dir(dir).map_err(|e| anyhow!("{}: cannot read the taskbench records ({e})", dir.display()))?;
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    out.sort();
    Ok(out)
}

fn json_files_under(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    out.extend(json_files_in(dir)?);
    let mut subdirs: Vec<PathBuf> =
        fs::read_dir(dir)?.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect();
    subdirs.sort();
    for sub in subdirs {
        json_files_under(&sub, out)?;
    }
    Ok(())
}

/// An older build's per-group record as cells, of a run that started when the file was written.
fn legacy_cells(path: &Path) -> Result<Vec<CellRecord>> {
    let rec: GroupRecord = read_json(path)?;
    if rec.group.is_empty() || rec.unit.is_empty() {
        bail!("{}: the record has no group or no unit", path.display());
    }
    let started = UNIX_EPOCH + std::time::Duration::from_secs(rec.written_at_unix);
    let mut ids: Vec<String> = rec.ran.clone();
    ids.extend(rec.skipped.iter().map(|s| s.id.clone()));
    let run = RunInfo {
        usable_cores: rec.usable_cores,
        n_values: rec.n_values.clone(),
        cells: ids,
        ..RunInfo::starting_at(started)
    };
    let cell = |id: &str, skipped: Option<String>| -> Result<CellRecord> {
        let (model, n) = split_id(&rec.group, id).with_context(|| path.display().to_string())?;
        let m = rec.models.iter().find(|m| m.name == model);
        Ok(CellRecord {
            id: id.to_string(),
            group: rec.group.clone(),
            model,
            n,
            unit: rec.unit.clone(),
            value_is: rec.value_is.clone(),
            config: m.map(|m| m.config.clone()).unwrap_or_default(),
            caveat: m.and_then(|m| m.caveat.clone()),
            skipped,
            failed: None,
            notes: Vec::new(),
            run: run.clone(),
            written_at_unix: rec.written_at_unix,
            ..CellRecord::default()
        })
    };
    let mut out = Vec::new();
    for id in &rec.ran {
        out.push(cell(id, None)?);
    }
    for s in &rec.skipped {
        out.push(cell(&s.id, Some(s.reason.clone()))?);
    }
    Ok(out)
}

/// `spawn/tokio-mt/10000` → (`tokio-mt`, 10000), checking the group.
pub fn split_id(group: &str, id: &str) -> Result<(String, usize)> {
    let rest = id
        .strip_prefix(group)
        .and_then(|r| r.strip_prefix('/'))
        .ok_or_else(|| anyhow!("benchmark id {id:?} is not in group {group:?}"))?;
    let (model, n) = rest.rsplit_once('/').ok_or_else(|| anyhow!("benchmark id {id:?} is not group/model/N"))?;
    let n = n.parse().map_err(|_| anyhow!("benchmark id {id:?}: N is not a number"))?;
    Ok((model.to_string(), n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(split_id("spawn", "spawn/tokio-mt/10000").unwrap(), ("tokio-mt".to_string(), 10000));
        assert!(split_id("spawn", "spawn_join/tokio-mt/10").is_err());
        assert!(split_id("spawn", "spawn/tokio-mt/x").is_err());
        assert_eq!(run_id(1_795_728_605_042), "2026-11-26T21:30:05.042Z");
    }
}
