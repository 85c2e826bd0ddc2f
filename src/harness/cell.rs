//! Isolated cells: every Criterion sample of a `group/model/N` cell is measured in a fresh process, so that no
//! figure depends on what ran before it in the bench binary (allocator free lists, glibc's dynamic trim and
//! mmap thresholds raised by an earlier 10^6 cell, runtime tables that only grow), and so that Criterion's
//! interval covers the variation between processes, not only inside one.
//!
//! The bench binary re-executes itself with [`CELL_ENV`] naming the cell. The child reads one request per
//! line on stdin (the number of measured iterations) and answers each with one line, `taskbench-cell
//! <value>`: the sum of those iterations' values (ns for the time groups, bytes per task for the memory
//! groups), which the parent hands to Criterion. The child's stderr is the parent's, so its skip and failure
//! lines show.
//!
//! - **Warm** cells (the timing groups `spawn` and `spawn_join`): a child serves [`samples_per_process`]
//!   consecutive Criterion calls (Criterion's one warm-up call counts as one). Before its first answer it
//!   runs [`WARM_UP_ITERATIONS`] untimed full iterations at the same N. The figure is the steady state of a
//!   process that has done this before.
//! - **Cold** cells (every memory group, and the `_cold` timing groups): one child per iteration, answering
//!   one request; it builds the runtime, warms it with a handful of tasks
//!   ([`crate::models::TaskModel::warm_up_tasks`]), then measures the first burst of N. The figure is what a
//!   program pays the first time it fans out N tasks. Where the clock plays no part (memory, instruction
//!   counts) and the row's tasks own no thread or stack, two of a cell's cold processes run at a time
//!   ([`two_at_once`]).
//!
//! A child that fails answers `taskbench-cell-failed <reason>` instead of a value and exits; the parent's
//! error then carries the reason, and the runner records the cell as failed ([`super::runner`]).
//!
//! Process start-up, runtime construction and the warm-up are outside every clock: the child times itself.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use anyhow::{anyhow, bail, Context, Result};

use super::spec::{GroupSpec, KERNEL_SHARE};
use crate::catalogue::Temperature;
use crate::limits::Needs;

/// Names the cell (`group/model/N`) a child process measures.
pub const CELL_ENV: &str = "TASKBENCH_CELL";
/// The number of tasks a child runs, for a cell whose id does not end in it (the state groups end in K): the
/// parent chose it once for the model's row, so every process of every cell of the row runs the same N.
pub const TASKS_ENV: &str = "TASKBENCH_CELL_TASKS";
/// Untimed full iterations a warm timing child runs before it measures.
pub const WARM_UP_ITERATIONS: u64 = 2;
/// How many consecutive Criterion calls one warm child serves before the next call starts a fresh process.
/// Up to 10^5 tasks: one, so every sample is its own process (cheap at that size, and the variation between
/// processes is most of the noise). At 10^6 the untimed warm-up dominates the run time, so a process serves
/// two samples. (Cold cells always start a process per iteration.)
pub fn samples_per_process(n: usize) -> u32 {
    match n {
        0..=100_000 => 1,
        _ => 2,
    }
}

/// Criterion calls one process of a cell serves: [`samples_per_process`] warm, one cold (a cold process times
/// its first burst and nothing after it).
pub fn calls_per_process(temperature: Temperature, n: usize) -> u32 {
    match temperature {
        Temperature::Warm => samples_per_process(n),
        Temperature::Cold => 1,
    }
}

/// Turns off running a cell's processes two at a time (`0`): see [`two_at_once`].
pub const TWO_AT_ONCE_ENV: &str = "TASKBENCH_TWO_AT_ONCE";

/// Whether a cell's fresh processes may run two at a time, the next one started while the current one
/// measures: only in groups whose readings do not depend on the clock (bytes and instruction counts: an
/// allocator's count, a process's RSS and page tables, callgrind's count are the process's own whatever runs
/// beside it), only for rows whose tasks own no thread and no stack mapping (two processes of those would
/// double the threads and mappings a cell takes from the machine's limits), never where a process reads the
/// kernel's share (it starts from a machine-wide reading of kernel stacks that a second process moves: Go's,
/// Java's and Erlang's rows outside the state groups), with at least two cores, and only when the machine
/// holds both processes' tasks (`room_for_two`: the preflight's check at twice N). `TASKBENCH_TWO_AT_ONCE=0`
/// turns it off.
pub fn two_at_once(spec: &GroupSpec, needs: &Needs, room_for_two: impl FnOnce() -> bool) -> bool {
    let off = std::env::var(TWO_AT_ONCE_ENV).is_ok_and(|v| v.trim() == "0");
    let reads_kernel_share = spec.state_sizes.is_none() && (KERNEL_SHARE.applies)(needs);
    spec.readings_repeat()
        && !off
        && needs.threads_per_task == 0
        && needs.maps_per_task == 0
        && !reads_kernel_share
        && crate::models::available_cores() >= 2
        && room_for_two()
}

const RESULT_PREFIX: &str = "taskbench-cell ";
/// How a child says its cell failed, with the reason on the rest of the line.
const FAILED_PREFIX: &str = "taskbench-cell-failed ";
/// A child's note on how a reading was taken (a discarded reading, a figure's source), for the cell's record.
const NOTE_PREFIX: &str = "taskbench-cell-note ";
/// Another memory figure the child's run read beside its cell's (`<kind> <value>`: see [`also`]).
const ALSO_PREFIX: &str = "taskbench-cell-also ";
/// A note for another memory figure's cell (`<kind> <text>`: see [`note_for`]).
const ALSO_NOTE_PREFIX: &str = "taskbench-cell-also-note ";

/// What a child's answers carried besides their cells' values: the other memory figures its runs read, and
/// their notes, each by kind name, in order.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Also {
    pub values: Vec<(String, f64)>,
    pub notes: Vec<(String, String)>,
}

/// A failure the child reported itself: its reason is the whole message (the parent adds nothing).
#[derive(Debug)]
struct Reported(String);

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Reported {}

/// The cell (`group/model/N`) this process was started to measure, if it is a cell's child.
pub fn requested_cell() -> Option<String> {
    std::env::var(CELL_ENV).ok()
}

/// The number of tasks this cell's process was told to run ([`TASKS_ENV`]): an error when it was told none
/// or something that is not a count.
pub fn requested_tasks() -> Result<usize> {
    let text = std::env::var(TASKS_ENV).map_err(|_| anyhow!("{TASKS_ENV} is not set: the parent names N"))?;
    text.parse().map_err(|_| anyhow!("{TASKS_ENV}={text:?} is not a task count"))
}

/// Parent side: the processes measuring one cell. Warm samples reuse a process for as many calls as the
/// caller says; cold iterations each get their own.
pub struct CellProcesses {
    temperature: Temperature,
    /// Arguments for the re-executed binary (none for a bench binary; a test filter for a test binary).
    args: Vec<String>,
    current: Option<(String, ChildCell)>,
    /// A cold process started for the next call of the current cell while the current one measures, its
    /// request sent ([`CellProcesses::plan_two_at_once`]).
    ahead: Option<(String, ChildCell)>,
    /// The cell (its key) whose processes run two at a time, and how many of its processes are still to start.
    two_at_once: Option<(String, usize)>,
    /// Processes started so far (tests check that cold mode starts one per iteration).
    pub started: usize,
    /// The children's notes since the last [`CellProcesses::take_notes`].
    notes: Vec<String>,
    /// What the children's answers carried besides values since the last [`CellProcesses::take_also`].
    also: Also,
}

struct ChildCell {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    served: u32,
    /// Whether the request for the next answer was sent, and how that went (a process started ahead has its
    /// request sent when it starts).
    sent: Option<std::io::Result<()>>,
}

impl CellProcesses {
    pub fn new(temperature: Temperature) -> Self {
        Self {
            temperature,
            args: Vec::new(),
            current: None,
            ahead: None,
            two_at_once: None,
            started: 0,
            notes: Vec::new(),
            also: Also::default(),
        }
    }

    /// Lets the next `processes` cold processes of cell `id` run two at a time ([`two_at_once`]): while one
    /// measures, the next is started with its request, so that it warms up and measures beside it. Ends with
    /// the cell ([`CellProcesses::finish`]).
    pub fn plan_two_at_once(&mut self, id: &str, tasks: Option<usize>, processes: usize) {
        self.two_at_once = Some((key(id, tasks), processes));
    }

    /// Passes `args` to every child (a test binary needs its filter to reach the test that serves cells).
    pub fn with_args(mut self, args: &[&str]) -> Self {
        self.args = args.iter().map(|a| a.to_string()).collect();
        self
    }

    /// The summed value of `iters` iterations of cell `id`, measured in child processes. A warm child serves
    /// `samples_per_process` calls; a cold iteration always has a process of its own. `tasks` is the N the
    /// children run when `id` does not end in it ([`TASKS_ENV`]).
    pub fn measure(&mut self, id: &str, tasks: Option<usize>, iters: u64, samples_per_process: u32) -> Result<f64> {
        match self.temperature {
            Temperature::Warm => self.ask(id, tasks, iters, samples_per_process),
            Temperature::Cold => (0..iters).map(|_| self.ask(id, tasks, 1, 1)).sum(),
        }
    }

    fn ask(&mut self, id: &str, tasks: Option<usize>, iters: u64, serves: u32) -> Result<f64> {
        let key = key(id, tasks);
        if self.current.as_ref().is_none_or(|(cell, _)| *cell != key) {
            self.end_current();
            self.current = match self.ahead.take() {
                Some((cell, child)) if cell == key => Some((cell, child)),
                other => {
                    if let Some((_, child)) = other {
                        child.end();
                    }
                    Some((key.clone(), self.start(id, tasks)?))
                }
            };
        }
        let (_, child) = self.current.as_mut().expect("started above");
        child.send(iters);
        self.start_ahead(id, tasks, &key);
        let (_, child) = self.current.as_mut().expect("started above");
        let answer = child.receive(&mut self.notes, &mut self.also);
        if answer.is_err() || child.served >= serves {
            self.end_current();
        }
        answer.map_err(|e| if e.is::<Reported>() { e } else { e.context(format!("the process measuring {id}")) })
    }

    /// A process of cell `id`, counted against its two-at-a-time plan.
    fn start(&mut self, id: &str, tasks: Option<usize>) -> Result<ChildCell> {
        let child = ChildCell::start(id, tasks, &self.args)?;
        self.started += 1;
        if let Some((_, left)) = self.two_at_once.as_mut().filter(|(cell, _)| *cell == key(id, tasks)) {
            *left = left.saturating_sub(1);
        }
        Ok(child)
    }

    /// Starts the next process of the current cold cell beside the current one, where its plan allows one more
    /// ([`CellProcesses::plan_two_at_once`]). A process that cannot start here is left for its own call.
    fn start_ahead(&mut self, id: &str, tasks: Option<usize>, key: &str) {
        let planned = self.two_at_once.as_ref().is_some_and(|(cell, left)| cell == key && *left > 0);
        if self.temperature != Temperature::Cold || self.ahead.is_some() || !planned {
            return;
        }
        if let Ok(mut next) = self.start(id, tasks) {
            next.send(1);
            self.ahead = Some((key.to_string(), next));
        }
    }

    /// The other figures and notes the children's answers carried since the last call.
    pub fn take_also(&mut self) -> Also {
        std::mem::take(&mut self.also)
    }

    /// The notes the children gave since the last call, in order.
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    /// Lets the current child and one started ahead exit (end of their stdin) and reaps them; ends the cell's
    /// two-at-a-time plan.
    pub fn finish(&mut self) {
        self.end_current();
        if let Some((_, ahead)) = self.ahead.take() {
            ahead.end();
        }
        self.two_at_once = None;
    }

    fn end_current(&mut self) {
        if let Some((_, cell)) = self.current.take() {
            cell.end();
        }
    }
}

/// How a cell's processes are told apart: its id, and its N where the id does not end in it.
fn key(id: &str, tasks: Option<usize>) -> String {
    match tasks {
        Some(n) => format!("{id} with {n} tasks"),
        None => id.to_string(),
    }
}

impl Drop for CellProcesses {
    fn drop(&mut self) {
        self.finish();
    }
}

impl ChildCell {
    fn start(id: &str, tasks: Option<usize>, args: &[String]) -> Result<ChildCell> {
        let exe = std::env::current_exe().context("finding the bench binary to re-execute")?;
        let mut command = Command::new(&exe);
        match tasks {
            Some(n) => command.env(TASKS_ENV, n.to_string()),
            None => command.env_remove(TASKS_ENV),
        };
        let mut child = command
            .args(args)
            .envs(crate::models::probe::handed_down())
            .env(CELL_ENV, id)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {} for {id}", exe.display()))?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Ok(ChildCell { child, stdin, stdout, served: 0, sent: None })
    }

    /// Lets the child exit (end of its stdin) and reaps it: one started ahead and never asked finishes its
    /// reading first.
    fn end(mut self) {
        drop(self.stdin);
        let _ = self.child.wait();
    }

    /// Sends the request for `iters` iterations, unless it went when the process started ahead.
    fn send(&mut self, iters: u64) {
        if self.sent.is_none() {
            self.sent = Some(writeln!(self.stdin, "{iters}").and_then(|()| self.stdin.flush()));
        }
    }

    fn receive(&mut self, notes: &mut Vec<String>, also: &mut Also) -> Result<f64> {
        // A child whose warm-up failed has answered and exited already: the request cannot be sent, but its
        // answer is still to be read.
        let sent = self.sent.take().unwrap_or(Ok(()));
        self.served += 1;
        let mut line = String::new();
        loop {
            line.clear();
            if self.stdout.read_line(&mut line).context("reading the answer")? == 0 {
                sent.context("sending the request")?;
                let status = self.child.wait().map(|s| s.to_string()).unwrap_or_default();
                bail!("it exited ({status}) without an answer; its error is printed above");
            }
            // Anywhere in the line: a test binary's child prints its answer after libtest's unfinished line.
            if let Some((_, reason)) = line.split_once(FAILED_PREFIX) {
                return Err(Reported(reason.trim().to_string()).into());
            }
            if let Some((_, note)) = line.split_once(ALSO_NOTE_PREFIX) {
                let (kind, text) = note.trim().split_once(' ').unwrap_or((note.trim(), ""));
                also.notes.push((kind.to_string(), text.to_string()));
                continue;
            }
            if let Some((_, reading)) = line.split_once(ALSO_PREFIX) {
                let (kind, value) = reading.trim().split_once(' ').unwrap_or((reading.trim(), ""));
                let value = value.parse().with_context(|| format!("{line:?}: not a reading"))?;
                also.values.push((kind.to_string(), value));
                continue;
            }
            if let Some((_, note)) = line.split_once(NOTE_PREFIX) {
                notes.push(note.trim().to_string());
                continue;
            }
            if line.contains(RESULT_PREFIX) {
                return parse_result(&line);
            }
        }
    }
}

/// The value in a child's output (its last result line).
pub fn parse_result(stdout: &str) -> Result<f64> {
    let line =
        stdout.lines().rev().find_map(|l| l.split_once(RESULT_PREFIX)).ok_or_else(|| anyhow!("no result line"))?.1;
    let value: f64 = line.trim().parse().with_context(|| format!("{line:?} is not a number"))?;
    if !value.is_finite() {
        bail!("the result {value} is not finite");
    }
    Ok(value)
}

/// Child side: a note on how a reading was taken, for the cell's record (`taskbench-cell-note <text>` on the
/// answer pipe); outside a cell's child it is only printed. Either way it is printed on stderr too.
pub fn note(text: &str) {
    super::say::say(text);
    if requested_cell().is_some() {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{NOTE_PREFIX}{}", text.replace('\n', " / ")).and_then(|()| out.flush());
    }
}

/// Child side: another memory figure this process's run read beside its cell's, for the parent to keep for
/// the group that reads it ([`super::shared`]); outside a cell's child, nothing.
pub fn also(kind: &str, value: f64) {
    if requested_cell().is_some() {
        let mut out = std::io::stdout().lock();
        // `{:?}` prints an f64 exactly enough to read back the same value.
        let _ = writeln!(out, "{ALSO_PREFIX}{kind} {value:?}").and_then(|()| out.flush());
    }
}

/// Child side: a note on the reading of `kind`: this cell's own ([`note`]) when `own`, else kept for the cell
/// of the group that reads `kind`, which prints it when it uses the reading.
pub fn note_for(kind: &str, own: bool, text: &str) {
    if own || requested_cell().is_none() {
        return note(text);
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{ALSO_NOTE_PREFIX}{kind} {}", text.replace('\n', " / ")).and_then(|()| out.flush());
}

/// Child side: `warm_up` once, then answers every request on stdin with `measure(iters)` until stdin ends,
/// then exits the process (Criterion never runs in a child). A failure is the answer (`taskbench-cell-failed
/// <reason>`, for the parent to print and record) and ends the process with status 1.
pub fn serve_child(warm_up: impl FnOnce() -> Result<()>, mut measure: impl FnMut(u64) -> Result<f64>) -> ! {
    let fail = |e: anyhow::Error| -> ! {
        let reason = format!("{e:#}").replace('\n', " / ");
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{FAILED_PREFIX}{reason}").and_then(|()| out.flush());
        std::process::exit(1)
    };
    warm_up().unwrap_or_else(|e| fail(e));
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = line.unwrap_or_else(|e| fail(e.into()));
        let iters: u64 = line.trim().parse().unwrap_or_else(|_| fail(anyhow!("{line:?} is not an iteration count")));
        let value = measure(iters).unwrap_or_else(|e| fail(e));
        let mut out = std::io::stdout().lock();
        // `{:?}` prints an f64 exactly enough to read back the same value.
        if writeln!(out, "{RESULT_PREFIX}{value:?}").and_then(|()| out.flush()).is_err() {
            break;
        }
    }
    std::process::exit(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails on: two processes at once allowed for a timing group (each would slow the other's clock), for a
    /// row whose tasks are threads or own a stack (twice its threads and mappings against the machine's
    /// limits), for a probe row whose process reads the kernel's share (the machine-wide kernel-stack reading
    /// a second process moves: Erlang's at 10^4 then read 0 B, which Criterion refuses), or where the machine
    /// cannot hold both processes' tasks.
    #[test]
    fn two_processes_at_once_only_for_readings_of_stackless_rows_that_fit_twice() {
        use crate::catalogue::{HEAP, SPAWN_COLD, SPAWN_INSTRUCTIONS, STATE_HEAP};
        let thread = Needs { threads_per_task: 1, ..Needs::STACKLESS };
        let coroutine = Needs { maps_per_task: 1, ..Needs::STACKLESS };
        let state = GroupSpec { state_sizes: Some(&[0, 64]), ..GroupSpec::of(&STATE_HEAP) };
        let heap = GroupSpec::of(&HEAP);
        let two_cores = crate::models::available_cores() >= 2;
        assert_eq!(two_at_once(&heap, &Needs::STACKLESS, || true), two_cores);
        assert_eq!(two_at_once(&GroupSpec::of(&SPAWN_INSTRUCTIONS), &Needs::STACKLESS, || true), two_cores);
        assert!(!two_at_once(&GroupSpec::of(&SPAWN_COLD), &Needs::STACKLESS, || true), "a timing group");
        assert!(!two_at_once(&heap, &thread, || true));
        assert!(!two_at_once(&heap, &coroutine, || true));
        assert!(!two_at_once(&heap, &Needs::IN_CHILD_PROCESS, || true), "reads the kernel's share");
        assert_eq!(two_at_once(&state, &Needs::IN_CHILD_PROCESS, || true), two_cores, "no kernel's share");
        assert!(!two_at_once(&heap, &Needs::STACKLESS, || false), "no room for twice N");
    }

    #[test]
    fn result_lines_round_trip_and_garbage_is_an_error() {
        assert_eq!(parse_result("noise\ntaskbench-cell 1234.5\n").unwrap(), 1234.5);
        assert_eq!(parse_result(&format!("{RESULT_PREFIX}{:?}\n", 0.1 + 0.2)).unwrap(), 0.1 + 0.2);
        assert!(parse_result("taskbench-cell nope\n").is_err());
        assert!(parse_result("taskbench-cell NaN\n").is_err());
        assert!(parse_result("nothing here\n").is_err());
    }
}
