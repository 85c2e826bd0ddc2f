//! What a run's numbers depend on besides the code: the hardware, the kernel's settings and limits, the
//! toolchain and the runtime crates' versions, detected now ([`Machine::collect`]) and saved as `machine.json`
//! with every run. `taskbench compare` compares it first (through [`crate::results::machine`], which describes
//! it), so that a hardware difference is not read as a runtime difference.
//!
//! Everything is read from `/proc`, `/sys` (the kernel limits as the preflight reads them, [`Snapshot`]),
//! `Cargo.lock` and two commands (`rustc -V`, `go version`); a value that cannot be read is recorded as
//! missing, never guessed. Where the source tree is absent (the binaries copied to another machine), the
//! compiler, crate versions and commit recorded when the binaries were built stand in
//! ([`BuildFacts::built_in`], from `build.rs`). Hand-written rather than `sysinfo`: the recorded values (the
//! CPU's model line, cores counted from `/proc/cpuinfo`) must stay what earlier runs recorded.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::files::{iso8601, now_unix, slug};
use crate::limits::Snapshot;
use crate::provenance::Build;

/// The `machine.json` schema this build writes and the only one it reads.
pub const MACHINE_SCHEMA: u64 = 1;

/// The crates whose versions decide what is measured. Read from `Cargo.lock`.
pub const TRACKED_CRATES: &[&str] = &[
    "tokio",
    "async-std",
    "async-global-executor",
    "smol",
    "async-executor",
    "async-task",
    "may",
    "futures-executor",
    "compio",
    "event-listener",
    "criterion",
];

/// The project folder: where `Cargo.lock` and `.git` are read from for machine.json. The working folder when
/// it holds a `Cargo.toml` (cargo runs benches there), else the one this build came from.
pub fn project_dir() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if cwd.join("Cargo.toml").is_file() {
        cwd
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }
}

/// The machine a run was made on. Missing values are `null` in JSON.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Machine {
    pub schema: u64,
    /// The folder name under `results/`: CPU model, logical cores, memory. Stable across runs and reboots.
    pub slug: String,
    pub cpu_model: String,
    pub physical_cores: Option<usize>,
    /// CPUs online (`/proc/cpuinfo`).
    pub logical_cores: usize,
    /// CPUs this process may use (affinity, cgroup quota): what the runtimes' default worker counts follow.
    pub available_parallelism: usize,
    pub memory_total_bytes: u64,
    /// A container's memory limit (`/sys/fs/cgroup/memory.max`) when there is one.
    pub cgroup_memory_limit_bytes: Option<u64>,
    pub os: Option<String>,
    pub kernel: String,
    pub arch: String,
    /// The selected value of `/sys/kernel/mm/transparent_hugepage/enabled` (`always`, `madvise`, `never`).
    pub transparent_hugepage: Option<String>,
    pub vm_max_map_count: Option<u64>,
    pub kernel_pid_max: Option<u64>,
    pub kernel_threads_max: Option<u64>,
    /// `ulimit -u`: a number or `unlimited`.
    pub ulimit_nproc: Option<String>,
    pub rustc: Option<String>,
    /// The profile the benches were built with, and any `[profile.*]` overrides in `Cargo.toml`.
    pub build_profile: String,
    /// Version(s) of each tracked crate in `Cargo.lock`; several when the lock holds several.
    pub crates: BTreeMap<String, String>,
    pub go: Option<String>,
    pub git_commit: Option<String>,
    pub git_dirty: Option<bool>,
    /// When the run was saved (UTC, ISO 8601).
    pub date: String,
}

impl Machine {
    /// Describes this machine. `project` is the folder holding `Cargo.toml`, `Cargo.lock` and `.git`.
    pub fn collect(project: &Path) -> Machine {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpu_model(&cpuinfo).unwrap_or_else(|| "unknown CPU".to_string());
        let available_parallelism = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let memory_total_bytes = file_field("/proc/meminfo", "MemTotal:")
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .map_or(0, |kib| kib * 1024);
        let limits = Snapshot::live();
        let build = BuildFacts::live(project).or(BuildFacts::built_in());
        Machine {
            schema: MACHINE_SCHEMA,
            slug: machine_slug(&cpu_model, available_parallelism, memory_total_bytes),
            physical_cores: physical_cores(&cpuinfo),
            logical_cores: count_logical(&cpuinfo).unwrap_or_else(online_cpus),
            available_parallelism,
            memory_total_bytes,
            cgroup_memory_limit_bytes: read_trim("/sys/fs/cgroup/memory.max").and_then(|s| s.parse().ok()),
            os: file_field("/etc/os-release", "PRETTY_NAME=").map(|v| v.trim_matches('"').to_string()),
            kernel: read_trim("/proc/sys/kernel/osrelease").unwrap_or_else(|| "unknown".to_string()),
            arch: std::env::consts::ARCH.to_string(),
            transparent_hugepage: limits.thp,
            vm_max_map_count: limits.max_map_count,
            kernel_pid_max: limits.pid_max,
            kernel_threads_max: limits.threads_max,
            ulimit_nproc: Some(limits.nproc_limit.map_or_else(|| "unlimited".to_string(), |n| n.to_string())),
            rustc: build.rustc,
            build_profile: build_profile(&project.join("Cargo.toml")),
            crates: build.crates,
            go: command_line("go", &["version"], project),
            git_commit: build.git_commit,
            git_dirty: build.git_dirty,
            date: iso8601(now_unix()),
            cpu_model,
        }
    }
}

/// What the binaries were built from: the compiler, the crates' versions, the commit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuildFacts {
    pub rustc: Option<String>,
    /// Versions of [`TRACKED_CRATES`], as [`lock_versions`] reads them.
    pub crates: BTreeMap<String, String>,
    pub git_commit: Option<String>,
    pub git_dirty: Option<bool>,
}

impl BuildFacts {
    /// Read now: the source tree at `project` (its `Cargo.lock` and git) and the compiler cargo would use.
    pub fn live(project: &Path) -> BuildFacts {
        let git_commit = command_line("git", &["rev-parse", "HEAD"], project);
        BuildFacts {
            rustc: command_line(std::env::var("RUSTC").ok().as_deref().unwrap_or("rustc"), &["-V"], project),
            crates: fs::read_to_string(project.join("Cargo.lock")).map(|l| lock_versions(&l)).unwrap_or_default(),
            git_dirty: git_commit.as_ref().and_then(|_| git_dirty(project)),
            git_commit,
        }
    }

    /// Recorded by `build.rs` when this binary was compiled (the facts of [`Build::this_binary`]).
    pub fn built_in() -> BuildFacts {
        let build = Build::this_binary();
        BuildFacts {
            rustc: build.rustc,
            crates: lock_versions(include_str!(concat!(env!("OUT_DIR"), "/Cargo.lock"))),
            git_commit: build.commit,
            git_dirty: build.dirty,
        }
    }

    /// Each fact from `self` where it is known, else from `fallback`; a commit keeps its own dirty flag.
    pub fn or(self, fallback: BuildFacts) -> BuildFacts {
        let (git_commit, git_dirty) = match self.git_commit {
            Some(commit) => (Some(commit), self.git_dirty),
            None => (fallback.git_commit, fallback.git_dirty),
        };
        BuildFacts {
            rustc: self.rustc.or(fallback.rustc),
            crates: if self.crates.is_empty() { fallback.crates } else { self.crates },
            git_commit,
            git_dirty,
        }
    }
}

/// `amd-epyc-7b13-2c-24g`: the CPU model without trademark signs, usable cores, memory rounded to GiB.
pub fn machine_slug(cpu_model: &str, cores: usize, memory_bytes: u64) -> String {
    let mut model = cpu_model.to_string();
    for noise in ["(R)", "(r)", "(TM)", "(tm)", "CPU", "Processor", "processor"] {
        model = model.replace(noise, " ");
    }
    let gib = (memory_bytes as f64 / (1u64 << 30) as f64).round() as u64;
    let mut s = slug(&model);
    if s.is_empty() {
        s = "cpu".to_string();
    }
    format!("{s}-{cores}c-{gib}g")
}

fn cpu_model(cpuinfo: &str) -> Option<String> {
    // x86 says "model name"; some ARM kernels only say "Hardware" or "CPU part".
    ["model name", "Hardware", "Processor", "cpu model", "cpu"].iter().find_map(|key| {
        cpuinfo.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == *key && !v.trim().is_empty()).then(|| v.split_whitespace().collect::<Vec<_>>().join(" "))
        })
    })
}

fn count_logical(cpuinfo: &str) -> Option<usize> {
    let n = cpuinfo.lines().filter(|l| l.split(':').next().map(str::trim) == Some("processor")).count();
    (n > 0).then_some(n)
}

/// Distinct (`physical id`, `core id`) pairs.
fn physical_cores(cpuinfo: &str) -> Option<usize> {
    let mut cores = BTreeSet::new();
    let mut phys = None;
    for (k, v) in cpuinfo.lines().filter_map(|l| l.split_once(':')) {
        match k.trim() {
            "physical id" => phys = Some(v.trim().to_string()),
            "core id" => {
                cores.insert((phys.clone(), v.trim().to_string()));
            }
            _ => {}
        }
    }
    (!cores.is_empty()).then_some(cores.len())
}

fn online_cpus() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    if n > 0 {
        n as usize
    } else {
        1
    }
}

/// What follows `prefix` on the first line of file `path` that starts with it.
fn file_field(path: &str, prefix: &str) -> Option<String> {
    fs::read_to_string(path).ok()?.lines().find_map(|l| l.strip_prefix(prefix)).map(str::to_string)
}

fn read_trim(path: &str) -> Option<String> {
    fs::read_to_string(path).ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// The first line a command prints, or `None` when it is missing or fails.
fn command_line(program: &str, args: &[&str], dir: &Path) -> Option<String> {
    let out = Command::new(program).args(args).current_dir(dir).output().ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout).lines().next().map(|l| l.trim().to_string()).filter(|l| !l.is_empty())
}

fn git_dirty(dir: &Path) -> Option<bool> {
    // Untracked files do not change what was built; results/ itself is often untracked while saving.
    let out =
        Command::new("git").args(["status", "--porcelain", "--untracked-files=no"]).current_dir(dir).output().ok()?;
    out.status.success().then_some(!out.stdout.is_empty())
}

/// `bench (release settings)`, plus the `[profile.release]` / `[profile.bench]` lines from `Cargo.toml`.
fn build_profile(cargo_toml: &Path) -> String {
    let mut base = "bench (cargo bench: release settings)".to_string();
    let Ok(text) = fs::read_to_string(cargo_toml) else { return base };
    let mut section = String::new();
    let mut overrides = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.starts_with('[') {
            section = line.trim_matches(['[', ']']).trim().to_string();
        } else if !line.is_empty() && (section == "profile.release" || section == "profile.bench") {
            overrides.push(format!("{section}.{}", line.replace(' ', "")));
        }
    }
    if !overrides.is_empty() {
        base.push_str(&format!("; {}", overrides.join(", ")));
    }
    base
}

/// Versions of [`TRACKED_CRATES`] in a `Cargo.lock`, comma-joined when it holds several.
pub fn lock_versions(lock: &str) -> BTreeMap<String, String> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut name: Option<String> = None;
    for line in lock.lines() {
        let line = line.trim();
        if line == "[[package]]" {
            name = None;
        } else if let Some(v) = line.strip_prefix("name = ") {
            name = Some(v.trim_matches('"').to_string());
        } else if let Some(v) = line.strip_prefix("version = ") {
            if let Some(n) = name.take().filter(|n| TRACKED_CRATES.contains(&n.as_str())) {
                found.entry(n).or_default().push(v.trim_matches('"').to_string());
            }
        }
    }
    found.into_iter().map(|(k, v)| (k, v.join(", "))).collect()
}
