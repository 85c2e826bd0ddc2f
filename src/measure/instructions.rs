//! Instructions per spawn, counted by valgrind's callgrind: a figure that a slow day, a busy neighbour or a
//! frequency change cannot move, beside the clock's.
//!
//! What is counted: the user-space instructions that the spawning thread executes inside
//! [`crate::models::spawn_all`] (the spawn loop, and everything it calls on that thread: the task's
//! allocation, the queue push, waking a worker), for N spawns, divided by N. Not counted: what the runtime's
//! other threads do with the new tasks, and the kernel's side of a system call (a thread's `clone`, a futex
//! wake). So the figure is the whole spawn for a model whose loop runs on one thread (floor, tokio-ct), and
//! the spawning thread's share for the others. Callgrind runs every thread of the program on one core, in
//! turn, so a count does not depend on how the machine schedules them.
//!
//! Why valgrind is driven directly rather than through gungraun (iai-callgrind): those are benchmark
//! harnesses, with bench macros and a runner binary of their own to install. The suite needs one number from
//! one named function inside its own cell processes: one valgrind command line (`--toggle-collect` on the
//! function's name) and the `totals:` line of the file it writes.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{anyhow, bail, Context, Result};
use criterion::measurement::{Measurement, ValueFormatter};
use criterion::Throughput;

/// The function whose instructions are counted, as callgrind matches demangled names.
pub const SPAWN_LOOP: &str = "taskbench::models::spawn_all*";

/// Set in a process started under valgrind: `<model> <N>`, the spawns it runs for the count.
pub const CHILD_ENV: &str = "TASKBENCH_INSTRUCTIONS_CHILD";

/// The line a group prints when valgrind is missing.
pub const VALGRIND_MISSING: &str =
    "valgrind not found on PATH: install it (e.g. `apt-get install valgrind`) to include the instruction counts";

/// valgrind on `PATH`, or the line that says how to get it.
pub fn find_valgrind() -> Result<PathBuf, String> {
    find_on_path("valgrind", &std::env::var_os("PATH").unwrap_or_default()).ok_or_else(|| VALGRIND_MISSING.into())
}

fn find_on_path(program: &str, path: &OsString) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(path)
        .map(|dir| dir.join(program))
        .find(|p| p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// The instructions `function` (a callgrind pattern) executed, inclusive of what it calls on the same
/// thread, when `program` runs with `args` and `envs` under callgrind. Fails when valgrind is missing, the
/// program fails, or the function never ran.
/// `clear` names environment variables the program must not inherit.
pub fn count(function: &str, program: &Path, args: &[&str], envs: &[(&str, String)], clear: &[&str]) -> Result<u64> {
    let valgrind = find_valgrind().map_err(|e| anyhow!(e))?;
    let dir = tempfile::tempdir().context("a folder for callgrind's output")?;
    let out_file = dir.path().join("callgrind.out");
    let mut cmd = Command::new(valgrind);
    cmd.args(["--tool=callgrind", "--collect-atstart=no", "--dump-instr=no", "--dump-line=no"])
        .arg(format!("--toggle-collect={function}"))
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(program)
        .args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    for k in clear {
        cmd.env_remove(k);
    }
    let out = cmd.output().context("running valgrind")?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<_> = stderr.lines().rev().take(6).collect::<Vec<_>>().into_iter().rev().collect();
        bail!("{} under callgrind failed ({}): {}", program.display(), out.status, tail.join(" | "));
    }
    let text = std::fs::read_to_string(&out_file).with_context(|| format!("reading {}", out_file.display()))?;
    match totals(&text) {
        Some(0) | None => bail!("callgrind counted nothing in {function}: the function never ran, or was inlined"),
        Some(n) => Ok(n),
    }
}

/// The Criterion measurement whose value is instructions per task, so Criterion's pages read in
/// instructions (the labels still say "time": Criterion has no other word). Values come from `iter_custom`.
pub struct InstructionsPerTask;

impl Measurement for InstructionsPerTask {
    type Intermediate = ();
    type Value = f64;

    fn start(&self) {}
    fn end(&self, (): ()) -> f64 {
        0.0
    }
    fn add(&self, a: &f64, b: &f64) -> f64 {
        a + b
    }
    fn zero(&self) -> f64 {
        0.0
    }
    fn to_f64(&self, value: &f64) -> f64 {
        *value
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &InstructionsFormatter
    }
}

/// Instruction counts as they are: per task, unscaled.
pub struct InstructionsFormatter;

impl ValueFormatter for InstructionsFormatter {
    fn scale_values(&self, _typical: f64, _values: &mut [f64]) -> &'static str {
        "instructions/task"
    }
    fn scale_throughputs(&self, _typical: f64, _: &Throughput, _values: &mut [f64]) -> &'static str {
        "instructions/task"
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "instructions/task"
    }
}

/// The instruction total of a callgrind output file: its `totals:` line (or `summary:`, which older
/// versions write instead).
pub fn totals(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("totals:").or_else(|| l.strip_prefix("summary:")))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// What a process started under valgrind for a count was asked to run: the model's name and N.
pub fn requested() -> Option<Result<(String, usize)>> {
    let text = std::env::var(CHILD_ENV).ok()?;
    let parsed = text
        .split_once(' ')
        .and_then(|(model, n)| Some((model.to_string(), n.parse().ok()?)))
        .ok_or_else(|| anyhow!("{CHILD_ENV}={text:?} is not `<model> <N>`"));
    Some(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_read_the_callgrind_file_and_nothing_else() {
        let text = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nfn=(1) main\n5 100\ntotals: 123456\n";
        assert_eq!(totals(text), Some(123_456));
        assert_eq!(totals("events: Ir\nsummary: 42\n"), Some(42));
        assert_eq!(totals("events: Ir\nfn=(1) main\n5 100\n"), None);
    }

    #[test]
    fn valgrind_is_looked_for_on_path_only() {
        assert_eq!(find_on_path("valgrind", &OsString::from("/nonexistent")), None);
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("valgrind");
        std::fs::write(&plain, "").unwrap();
        assert_eq!(find_on_path("valgrind", &dir.path().as_os_str().to_owned()), None, "not executable");
    }
}
