//! Task models that run in another language's process, all through one line protocol any language can speak
//! (`scripts/probe-protocol.md`): a probe program per language, in `scripts/<row>/`, and one [`Language`]
//! entry saying how to find its toolchain, build it and run it. [`ProbeModel`] is the [`TaskModel`] of every
//! such row: it builds the probe once per source and toolchain ([`build`]), drives it ([`client`]) and checks
//! every count it reports, so that a probe that loses or invents tasks fails the run instead of giving a number.
//!
//! The rows: `goroutine` ([`go`]), `java-vthread` ([`java`]) and `erlang` ([`erlang`]). Adding a language is its probe program, a
//! [`Language`] (a toolchain finder, a build and a run command, its configuration line and caveat) and its
//! line in [`super::registry`].
//!
//! What every probe measures, with its own runtime's clock:
//! - parked: `parked N` reads the runtime's own heap figure (after a full collection) as the baseline;
//!   `spawn` times the spawn loop alone, waits until all N tasks are parked, reads the heap again (and the
//!   runtime's separate stack figure where it keeps one, Go's `StackInuse`), and `release` lets them finish.
//!   RSS and the kernel's share are read from outside, from the probe's pid ([`MemorySource::pid`]).
//! - holding: the same with each task holding K bytes across its park point, every byte read back after
//!   release and summed (`held`), so a probe that drops the state fails.
//! - spawn-join, handoff and yield: timed inside the probe, every count checked here.
//!
//! A parked run whose observer reads memory runs in a fresh probe process, started before the baseline and
//! outside every clock; timing runs use one long-lived probe, warm like every other model, replaced when it
//! fails.

pub mod build;
pub mod client;
pub mod erlang;
pub mod go;
pub mod java;

use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use anyhow::{anyhow, bail, Result};

pub use self::build::{Probe, Toolchain};
pub use self::client::{Child, Hello, Reply};
use super::{wait_limit, MemorySource, Observer, ParkedRun, SpawnSite, TaskModel, STATE_SIZES};
use crate::limits::Needs;
use crate::provenance::ProbeBuild;

/// One language's entry: everything [`ProbeModel`] needs to know about a probe besides the protocol.
pub struct Language {
    /// The row's id (`goroutine`); also the probe's build folder, `<target>/taskbench/<name>/`.
    pub name: &'static str,
    /// Its tasks, plural, for messages: `goroutines`.
    pub tasks: &'static str,
    /// Where the probe's sources are (`scripts/<name>/`), given the toolchain found.
    pub source_dir: fn(&Toolchain) -> std::path::PathBuf,
    /// Which files of that folder are sources, hashed into [`ProbeBuild`].
    pub is_source: fn(&str) -> bool,
    /// Finds the toolchain on this machine, or says in one line why it is not here and how to get it.
    pub find: fn() -> Result<Toolchain, String>,
    /// Builds the probe from the source folder into an empty folder (a no-op for a probe run from source).
    pub build: fn(&Toolchain, &std::path::Path, &std::path::Path) -> Result<(), String>,
    /// The file a finished build leaves in its folder.
    pub built: &'static str,
    /// The command that starts the probe built in the folder.
    pub command: fn(&Toolchain, &std::path::Path) -> Command,
    /// The fields its `hello` line must hold besides `pid`, which [`Language::config`] reads.
    pub hello: &'static [&'static str],
    /// The row's configuration line from the probe's `hello` and its source hash.
    pub config: fn(&Hello, &str) -> String,
    pub caveat: &'static str,
    pub spawn_site: SpawnSite,
    pub needs: Needs,
}

/// The variable that hands a row's toolchain, as a process found it, to the cell processes it starts
/// (`TASKBENCH_TOOLCHAIN_JAVA_VTHREAD`). Finding it again ran `java -version` (0.05 s) or an `erl` (0.15 s) in
/// every cell's process: about 340 erlang and 320 java processes in a full run.
pub fn toolchain_env(row: &str) -> String {
    format!("TASKBENCH_TOOLCHAIN_{}", row.to_uppercase().replace('-', "_"))
}

/// The toolchains this process found, as the variables ([`toolchain_env`]) its cell processes inherit.
pub fn handed_down() -> Vec<(String, String)> {
    FOUND.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
}

static FOUND: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// The [`TaskModel`] of a row measured by a probe.
pub struct ProbeModel {
    lang: &'static Language,
    toolchain: OnceLock<Result<Toolchain, String>>,
    probe: OnceLock<Result<Probe, String>>,
    /// The long-lived probe the timing runs and `config` talk to; replaced when it fails.
    server: Mutex<Option<Child>>,
}

impl ProbeModel {
    pub const fn new(lang: &'static Language) -> Self {
        Self { lang, toolchain: OnceLock::new(), probe: OnceLock::new(), server: Mutex::new(None) }
    }

    /// The model with `toolchain` instead of the one [`Language::find`] would find (a test's fake probe).
    pub fn with_toolchain(lang: &'static Language, toolchain: Toolchain) -> Self {
        let model = Self::new(lang);
        let _ = model.toolchain.set(Ok(toolchain));
        model
    }

    pub fn language(&self) -> &'static Language {
        self.lang
    }

    /// The toolchain: the one the parent process found, if it handed one down ([`toolchain_env`]), else found
    /// here (and then handed down to this process's children: [`handed_down`]).
    pub fn toolchain(&self) -> Result<&Toolchain, String> {
        self.toolchain.get_or_init(|| self.inherit_or_find()).as_ref().map_err(Clone::clone)
    }

    fn inherit_or_find(&self) -> Result<Toolchain, String> {
        let var = toolchain_env(self.lang.name);
        if let Some(tc) = std::env::var(&var).ok().and_then(|text| serde_json::from_str(&text).ok()) {
            return Ok(tc);
        }
        let found = (self.lang.find)()?;
        if let Ok(text) = serde_json::to_string(&found) {
            FOUND.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push((var, text));
        }
        Ok(found)
    }

    /// The built probe, building it on first use.
    pub fn probe(&self) -> Result<&Probe, String> {
        self.probe.get_or_init(|| build::build_probe(self.lang, self.toolchain()?)).as_ref().map_err(Clone::clone)
    }

    /// The command that starts the probe, with the toolchain's variables.
    pub fn command(&self) -> Result<Command> {
        let probe = self.probe().map_err(|e| anyhow!(e))?;
        let tc = self.toolchain().map_err(|e| anyhow!(e))?;
        let mut cmd = (self.lang.command)(tc, &probe.dir);
        cmd.envs(tc.env.iter().map(|(k, v)| (k, v)));
        Ok(cmd)
    }

    /// Starts a probe server and reads its `hello`.
    fn start(&self) -> Result<Child> {
        Child::start(self.command()?, self.lang.name, self.lang.hello)
    }

    /// Runs `f` on the long-lived probe, starting it if needed; a probe that failed is dropped (killed).
    fn with_server<T>(&self, f: impl FnOnce(&mut Child) -> Result<T>) -> Result<T> {
        let mut server = self.server.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if server.is_none() {
            *server = Some(self.start()?);
        }
        let child = server.as_mut().expect("started above");
        let result = f(child);
        if child.broken {
            *server = None;
        }
        result
    }

    /// The `hello` of the long-lived probe.
    pub fn hello(&self) -> Result<Hello> {
        self.with_server(|c| Ok(c.hello.clone()))
    }

    /// The parked experiment, each task holding `hold` bytes when asked.
    fn parked_holding(&self, n: usize, hold: Option<usize>, observer: &mut dyn Observer) -> Result<ParkedRun> {
        if !observer.reads_memory() {
            // A timing run: the warm, reused process, as every other model is timed warm.
            return self.with_server(|c| parked(self.lang, c, n, hold, observer));
        }
        // A memory run: a fresh process each time, so that no earlier run's leftovers are in its readings.
        let mut child = self.start()?;
        parked(self.lang, &mut child, n, hold, observer)
    }
}

impl TaskModel for ProbeModel {
    fn name(&self) -> &'static str {
        self.lang.name
    }

    fn config(&self) -> String {
        let hash = self.probe().map(|p| p.build.hash.clone()).unwrap_or_default();
        match self.hello() {
            Ok(h) => (self.lang.config)(&h, &hash),
            Err(e) => format!("unavailable: {e:#}"),
        }
    }

    fn caveat(&self) -> Option<&'static str> {
        Some(self.lang.caveat)
    }

    fn spawn_site(&self) -> SpawnSite {
        self.lang.spawn_site
    }

    fn needs(&self) -> Needs {
        self.lang.needs
    }

    fn warm_up_tasks(&self) -> usize {
        // The probe's runtime is up once it says hello; tasks spawned first would leave their remains for
        // the cold burst to reuse.
        0
    }

    fn available(&self) -> Result<(), String> {
        self.probe().map(|_| ())
    }

    fn probe_build(&self) -> Option<ProbeBuild> {
        self.probe().ok().map(|p| p.build.clone())
    }

    fn run_parked(&self, n: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
        self.parked_holding(n, None, observer)
    }

    fn run_holding(&self, n: usize, k: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
        if !STATE_SIZES.contains(&k) {
            bail!("{k} B is not one of the state sizes {STATE_SIZES:?}");
        }
        self.parked_holding(n, Some(k), observer)
    }

    fn run_spawn_join(&self, n: usize) -> Result<Duration> {
        let limit = wait_limit(n);
        let tasks = self.lang.tasks;
        self.with_server(|c| {
            let r = c.request(&format!("spawn_join {n} limit_ms={}", child_limit_ms(limit)), "spawn_join", limit)?;
            let finished = r.num("finished")?;
            if finished != n as u64 {
                c.broken = true;
                bail!("{finished} trivial {tasks} ran, expected exactly {n}");
            }
            Ok(Duration::from_nanos(r.num("ns")?))
        })
    }

    fn run_handoff(&self, n: usize, laps: usize) -> Result<Duration> {
        let limit = wait_limit(n * laps);
        let tasks = self.lang.tasks;
        self.with_server(|c| {
            let ask = format!("handoff {n} laps={laps} limit_ms={}", child_limit_ms(limit));
            let r = c.request(&ask, "handoff", limit)?;
            let (made, out_of_order, finished) = (r.num("handoffs")?, r.num("out_of_order")?, r.num("finished")?);
            if made != (n * laps) as u64 || out_of_order != 0 || finished != n as u64 {
                c.broken = true;
                bail!(
                    "a ring of {n} {tasks}, {laps} laps: expected exactly {} hand-offs in ring order; {made} \
                     happened, {out_of_order} of them out of order, and {finished} of {n} {tasks} finished",
                    n * laps
                );
            }
            Ok(Duration::from_nanos(r.num("ns")?))
        })
    }

    fn run_yield(&self, n: usize, yields: usize) -> Result<Duration> {
        let limit = wait_limit(n * yields);
        let tasks = self.lang.tasks;
        self.with_server(|c| {
            let r =
                c.request(&format!("yield {n} yields={yields} limit_ms={}", child_limit_ms(limit)), "yield", limit)?;
            let (count, finished) = (r.num("yields")?, r.num("finished")?);
            if count != (n * yields) as u64 || finished != n as u64 {
                c.broken = true;
                bail!("expected {n} {tasks} to yield {yields} times each; {finished} finished, {count} yields");
            }
            Ok(Duration::from_nanos(r.num("ns")?))
        })
    }
}

/// Memory figures of the probe process, as the probe read them.
struct ChildMemory {
    heap: u64,
    /// Task stacks outside the heap figure, where the runtime keeps them apart (Go's `StackInuse`).
    stack: Option<u64>,
    pid: u32,
}

impl MemorySource for ChildMemory {
    fn heap_bytes(&self) -> Option<u64> {
        Some(self.heap)
    }
    fn stack_bytes(&self) -> Option<u64> {
        self.stack
    }
    fn pid(&self) -> Option<u32> {
        Some(self.pid)
    }
}

fn parked(
    lang: &Language,
    child: &mut Child,
    n: usize,
    hold: Option<usize>,
    observer: &mut dyn Observer,
) -> Result<ParkedRun> {
    let (limit, tasks) = (wait_limit(n), lang.tasks);
    let pid = child.hello.pid;
    let memory = |r: &Reply| -> Result<ChildMemory> {
        Ok(ChildMemory { heap: r.num("heap")?, stack: r.opt_num("stack")?, pid })
    };

    let asked = hold.map(|k| format!(" hold={k}")).unwrap_or_default();
    let base = child.request(&format!("parked {n} limit_ms={}{asked}", child_limit_ms(limit)), "baseline", limit)?;
    if let Err(e) = memory(&base).and_then(|m| observer.before_spawn(&m)) {
        // The observer's error is the one to report; the probe is dropped (killed) either way.
        let _ = child.request("abort", "aborted", limit);
        return Err(e);
    }
    // A timing run skips the probe's memory reading: a full collection scans every live task.
    let spawn = if observer.reads_memory() { "spawn" } else { "spawn nomem" };
    let parked = child.request(spawn, "parked", limit)?;
    let arrived = parked.num("arrived")?;
    let observed = if arrived == n as u64 {
        memory(&parked).and_then(|m| observer.all_parked(&m))
    } else {
        Err(anyhow!("{arrived} {tasks} parked, expected exactly {n}"))
    };
    let joined = child.request("release", "joined", limit)?;
    if arrived != n as u64 {
        // A probe that miscounts its tasks is not trusted with another run.
        child.broken = true;
    }
    observed?;
    let finished = joined.num("finished")?;
    if finished != n as u64 {
        child.broken = true;
        bail!("expected exactly {n} {tasks}; {arrived} parked and {finished} finished");
    }
    // Every task read back its whole state after the park point: the state was held, not dropped.
    if let Some(k) = hold {
        let (read, expected) = (joined.num("held")?, (n * k) as u64 * HELD_BYTE);
        if read != expected {
            child.broken = true;
            bail!("{n} {tasks} holding {k} B read back {read} in all after release, expected {expected}");
        }
    }
    Ok(ParkedRun { spawn_time: Duration::from_nanos(parked.num("spawn_ns")?), parked: n })
}

/// The byte the probes' holding tasks fill their state with.
pub const HELD_BYTE: u64 = 0x5a;

/// The probe's own bound on a wait: a little under ours, so that its error line arrives before our timeout.
pub fn child_limit_ms(limit: Duration) -> u128 {
    (limit.as_millis() * 9 / 10).max(1)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    static FINDS: AtomicUsize = AtomicUsize::new(0);

    static HANDED: Language = Language {
        name: "handed-down-fake",
        tasks: "fake tasks",
        source_dir: |tc| tc.path.clone(),
        is_source: |_| false,
        find: || {
            FINDS.fetch_add(1, Ordering::SeqCst);
            let env = vec![("FAKE".to_string(), "1".into())];
            Ok(Toolchain { path: "/fake".into(), version: "1".into(), version_line: "fake 1".into(), env })
        },
        build: |_, _, _| Ok(()),
        built: "none",
        command: |_, _| Command::new("/bin/false"),
        hello: &[],
        config: |_, _| String::new(),
        caveat: "a fake",
        spawn_site: SpawnSite::Inside,
        needs: Needs::IN_CHILD_PROCESS,
    };

    /// Fails on: a cell's process that finds its row's toolchain again (a `java -version`, an `erl` started in
    /// every process) instead of taking the one its parent found and handed down.
    #[test]
    fn a_found_toolchain_is_handed_down_and_taken_up() {
        let found = ProbeModel::new(&HANDED).toolchain().unwrap().clone();
        assert_eq!(FINDS.load(Ordering::SeqCst), 1);
        let var = toolchain_env("handed-down-fake");
        assert_eq!(var, "TASKBENCH_TOOLCHAIN_HANDED_DOWN_FAKE");
        let (_, text) = handed_down().into_iter().find(|(v, _)| *v == var).expect("handed down");
        // As a cell's process sees it: the variable set by its parent. (No other test reads this variable.)
        std::env::set_var(&var, text);
        let child = ProbeModel::new(&HANDED);
        assert_eq!(child.toolchain().unwrap(), &found);
        assert_eq!(FINDS.load(Ordering::SeqCst), 1, "the child found the toolchain again");
    }
}
