//! Memory readings shared between the memory groups of one `cargo bench`: a cell's fresh process reads every
//! memory figure of its parked run at once (heap, RSS, the kernel's share, Go's stacks:
//! [`super::experiments::memory_shared`]), the group that started it uses its own figure, and the others
//! are kept here, so that `rss_per_task` and `kernel_per_task` (and `state_rss` after `state_heap`) read
//! the same processes instead of starting their own. Each memory figure was always read in a fresh process
//! of its own; now the figures of one cell come from the same processes, reading for reading: the i-th
//! Criterion call of `rss_per_task/tokio-ct/1000000` gets the RSS of the process that gave
//! `heap_per_task/tokio-ct/1000000` its i-th heap reading.
//!
//! Only benches that one `cargo bench` started share: the store is named by that cargo process (its pid and
//! start time, so a reused pid starts afresh), and a bench binary started any other way measures every cell
//! itself. One `cargo bench` builds every bench from the same sources, so shared readings always come from
//! the same build. A group that finds no reading (the group before it skipped or filtered the cell, or its
//! process could not read that figure) starts a process as before and keeps what it read for the groups after
//! it. Stores of cargo processes that have ended are removed.
//!
//! Hand-written: a few JSON files in the records folder, no crate does this job.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::cell::Also;
use crate::files::{read_json, to_json, write_atomic};
use crate::measure::MemoryKind;
use crate::record::safe;

/// One process's readings: each figure by kind name, the notes on them by kind name, and how long the
/// parent waited for the process (the time budget learns from it in every group that uses the reading).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stored {
    pub values: BTreeMap<String, f64>,
    pub notes: Vec<(String, String)>,
    pub seconds: f64,
}

/// What a group takes from the store for one Criterion iteration.
#[derive(Debug, Clone, PartialEq)]
pub struct Taken {
    pub value: f64,
    pub notes: Vec<String>,
    pub seconds: Duration,
}

/// The cell a reading belongs to: the row that ran it, its x (N, or K in a state group) and, in a state
/// group, the row's N.
#[derive(Debug, Clone, Copy)]
pub struct Key<'a> {
    pub row: &'a str,
    pub x: usize,
    pub tasks: Option<usize>,
}

/// The shared readings of one `cargo bench` (see the module docs).
pub struct SharedReadings {
    dir: PathBuf,
}

impl SharedReadings {
    /// The store of the `cargo bench` that started this binary, under `records`; `None` when cargo did not
    /// start it.
    pub fn of_this_run(records: &Path) -> Option<SharedReadings> {
        let parent = std::os::unix::process::parent_id();
        let comm = std::fs::read_to_string(format!("/proc/{parent}/comm")).ok()?;
        if !comm.trim().starts_with("cargo") {
            return None;
        }
        let session = session_name(parent)?;
        let root = records.join("readings");
        remove_ended(&root, &session);
        Some(SharedReadings::at(root.join(session)))
    }

    /// A store in `dir` (tests).
    pub fn at(dir: PathBuf) -> SharedReadings {
        SharedReadings { dir }
    }

    fn file(&self, key: Key<'_>) -> PathBuf {
        let name = match key.tasks {
            Some(n) => format!("{}-with-{n}-tasks.json", key.x),
            None => format!("{}.json", key.x),
        };
        self.dir.join(safe(key.row)).join(name)
    }

    fn read(&self, key: Key<'_>) -> Vec<Stored> {
        read_json(&self.file(key)).unwrap_or_default()
    }

    /// The `kind` figure of the cell's `index`-th process, if a group before kept it.
    pub fn take(&self, key: Key<'_>, index: usize, kind: MemoryKind) -> Option<Taken> {
        let stored = self.read(key).into_iter().nth(index)?;
        let value = *stored.values.get(kind.name())?;
        let notes = stored.notes.into_iter().filter(|(k, _)| k == kind.name()).map(|(_, text)| text).collect();
        Some(Taken { value, notes, seconds: Duration::from_secs_f64(stored.seconds.max(0.0)) })
    }

    /// Keeps what the cell's `index`-th process read: `kind`'s `value` and the figures and notes it sent
    /// besides, after `waited` for it. A process that stands in for one whose reading lacked `kind` fills
    /// only what that reading lacks.
    pub fn keep(
        &self,
        key: Key<'_>,
        index: usize,
        kind: MemoryKind,
        value: f64,
        also: Also,
        waited: Duration,
    ) -> Result<()> {
        let mut all = self.read(key);
        let mut fresh = Stored { seconds: waited.as_secs_f64(), ..Stored::default() };
        fresh.values.insert(kind.name().to_string(), value);
        fresh.values.extend(also.values);
        fresh.notes = also.notes;
        match all.get_mut(index) {
            Some(old) => {
                for (k, v) in fresh.values {
                    old.values.entry(k).or_insert(v);
                }
            }
            None => all.push(fresh),
        }
        let file = self.file(key);
        std::fs::create_dir_all(file.parent().expect("in a folder"))?;
        write_atomic(&file, to_json(&all)?.as_bytes())
    }
}

/// `<pid>-<start time>` of process `pid` (its start in clock ticks after boot, field 22 of `/proc/<pid>/stat`).
fn session_name(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    let after = &stat[stat.rfind(')')? + 1..];
    let start = after.split_whitespace().nth(19)?;
    Some(format!("{pid}-{start}"))
}

/// Removes the stores of cargo processes that have ended (their pid gone, or reused by another process).
fn remove_ended(root: &Path, current: &str) {
    let Ok(entries) = std::fs::read_dir(root) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let alive = name.split_once('-').and_then(|(pid, _)| pid.parse().ok()).and_then(session_name);
        if name != current && alive.as_deref() != Some(name.as_str()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails on: a reading handed to the wrong cell or index, another kind's figure or notes handed out, or a
    /// stand-in process overwriting figures a group already used.
    #[test]
    fn readings_go_back_to_the_same_cell_and_index_by_kind() {
        let dir = tempfile::tempdir().unwrap();
        let store = SharedReadings::at(dir.path().join("s"));
        let key = Key { row: "tokio-ct", x: 1000, tasks: None };
        let also = |rss: f64| Also {
            values: vec![("rss".into(), rss), ("kernel".into(), 7.0)],
            notes: vec![("kernel".into(), "per thread".into()), ("rss".into(), "r".into())],
        };
        for (i, heap) in [100.0, 101.0].into_iter().enumerate() {
            store.keep(key, i, MemoryKind::Heap, heap, also(400.0 + i as f64), Duration::from_secs(2)).unwrap();
        }
        let rss = store.take(key, 1, MemoryKind::Rss).unwrap();
        assert_eq!((rss.value, rss.notes, rss.seconds), (401.0, vec!["r".to_string()], Duration::from_secs(2)));
        assert_eq!(store.take(key, 0, MemoryKind::Kernel).unwrap().notes, vec!["per thread".to_string()]);
        assert_eq!(store.take(key, 2, MemoryKind::Heap), None);
        assert_eq!(store.take(key, 0, MemoryKind::RuntimeStacks), None);
        assert_eq!(store.take(Key { tasks: Some(1000), ..key }, 0, MemoryKind::Heap), None);
        assert_eq!(store.take(Key { row: "smol", ..key }, 0, MemoryKind::Heap), None);
        // A stand-in for a reading without Go's stacks fills them in, and changes nothing already kept.
        let stacks = Also { values: vec![("heap".into(), 999.0)], notes: vec![] };
        store.keep(key, 0, MemoryKind::RuntimeStacks, 30.0, stacks, Duration::ZERO).unwrap();
        assert_eq!(store.take(key, 0, MemoryKind::RuntimeStacks).unwrap().value, 30.0);
        assert_eq!(store.take(key, 0, MemoryKind::Heap).unwrap().value, 100.0);
    }

    /// Fails on: a session name that does not tell a reused pid from the process that had it, or a store of
    /// a live process removed.
    #[test]
    fn a_session_is_a_live_process_and_its_start() {
        let me = std::process::id();
        let name = session_name(me).unwrap();
        // This test binary's name holds no space: the 22nd field is its start time.
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
        assert_eq!(name, format!("{me}-{}", stat.split_whitespace().nth(21).unwrap()));
        let dir = tempfile::tempdir().unwrap();
        for stale in [format!("{me}-1"), "4194303-5".to_string(), name.clone()] {
            std::fs::create_dir_all(dir.path().join(stale)).unwrap();
        }
        remove_ended(dir.path(), "other");
        let left: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        assert_eq!(left, vec![name]);
    }
}
