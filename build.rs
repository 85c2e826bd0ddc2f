//! Records what the binaries are built from, so that a run saved where the source tree is absent (the bench
//! binaries copied to another machine) still names its compiler, crate versions and commit
//! (`taskbench::results::machine::BuildFacts::built_in`): `rustc -V` of the compiler cargo builds with,
//! `git rev-parse HEAD` and whether tracked files differed from it, and a copy of `Cargo.lock`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));

    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    emit("TASKBENCH_BUILD_RUSTC", output(Command::new(rustc).arg("-V"), &dir));
    let commit = output(Command::new("git").args(["rev-parse", "HEAD"]), &dir);
    // Tracked files only, as `taskbench save` decides it; as of this script's last run (see below).
    let dirty = commit
        .as_ref()
        .and_then(|_| output(Command::new("git").args(["status", "--porcelain", "--untracked-files=no"]), &dir))
        .map(|changes| (!changes.is_empty()).to_string());
    emit("TASKBENCH_BUILD_GIT_COMMIT", commit);
    emit("TASKBENCH_BUILD_GIT_DIRTY", dirty);

    let lock = std::fs::read_to_string(dir.join("Cargo.lock")).unwrap_or_default();
    std::fs::write(out.join("Cargo.lock"), lock).expect("writing Cargo.lock into OUT_DIR");

    // Run again when what is recorded can change: the lock, the sources (dirty or not), the commit.
    for path in ["build.rs", "Cargo.toml", "Cargo.lock", "src", "benches", "scripts"] {
        println!("cargo:rerun-if-changed={path}");
    }
    let git_path = |p: &str| output(Command::new("git").args(["rev-parse", "--git-path", p]), &dir);
    let branch = output(Command::new("git").args(["rev-parse", "--symbolic-full-name", "HEAD"]), &dir)
        .filter(|b| b.starts_with("refs/"));
    for p in ["HEAD", "index", "packed-refs"].into_iter().map(String::from).chain(branch) {
        // Only files that exist: a missing one would make cargo run this script on every build.
        if let Some(file) = git_path(&p).map(|f| dir.join(f)).filter(|f| f.exists()) {
            println!("cargo:rerun-if-changed={}", file.display());
        }
    }
}

/// A command's trimmed stdout when it succeeds (empty output included), else `None`.
fn output(cmd: &mut Command, dir: &Path) -> Option<String> {
    let out = cmd.current_dir(dir).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// An environment variable for the crate's code; empty when the value is unknown.
fn emit(name: &str, value: Option<String>) {
    let value = value.unwrap_or_default().replace('\n', " ");
    println!("cargo:rustc-env={name}={value}");
}
