//! Building a probe once per source and toolchain: the hash of its sources ([`ProbeBuild`], recorded with every
//! cell it measures) and the folder `<target>/taskbench/<row>/<key>/` its build leaves, made under a temporary
//! name and renamed, so a concurrent build never leaves a half-built probe.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use super::Language;
use crate::provenance::{short_hash_of, ProbeBuild};

/// A language's toolchain as found: what its build and run commands start from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Toolchain {
    /// The executable (`go`) or home folder (a JDK's) the language's commands start from.
    pub path: PathBuf,
    /// The short version for messages: `go1.19.8`, `25.0.3`.
    pub version: String,
    /// The toolchain's own version line, recorded with every cell: `go version go1.19.8 linux/amd64`.
    pub version_line: String,
    /// Variables set for the build and the probe (Go's `GOCACHE` when the default cannot be used).
    pub env: Vec<(String, OsString)>,
}

/// A built probe: the folder its build left, and its provenance.
#[derive(Debug, Clone)]
pub struct Probe {
    pub dir: PathBuf,
    pub build: ProbeBuild,
}

/// `<target>/taskbench`, with a relative target folder taken relative to this crate: where probes are built.
pub fn probes_dir() -> PathBuf {
    let target = crate::record::target_dir();
    let target = if target.is_relative() { Path::new(env!("CARGO_MANIFEST_DIR")).join(target) } else { target };
    target.join("taskbench")
}

/// `scripts/<name>` of this crate: where a probe's sources are.
pub fn scripts_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts").join(name)
}

/// Whether `dir` exists or can be made, and a file can be written in it.
pub fn writable_dir(dir: &Path) -> bool {
    if dir.as_os_str().is_empty() || dir == Path::new("off") || std::fs::create_dir_all(dir).is_err() {
        return false;
    }
    let test = dir.join(format!(".taskbench-write-test-{}", std::process::id()));
    let ok = std::fs::write(&test, b"").is_ok();
    let _ = std::fs::remove_file(&test);
    ok
}

/// The probe's source files as the build reads them: those of `src` that `is_source` names, sorted by name.
pub fn source_files(src: &Path, is_source: fn(&str) -> bool) -> Result<Vec<(String, Vec<u8>)>, String> {
    let listing = std::fs::read_dir(src).map_err(|e| format!("reading {}: {e}", src.display()))?;
    let mut names: Vec<String> =
        listing.filter_map(|e| e.ok()?.file_name().into_string().ok()).filter(|name| is_source(name)).collect();
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
pub fn probe_build(files: &[(String, Vec<u8>)], tc: &Toolchain) -> ProbeBuild {
    let parts = files.iter().flat_map(|(name, bytes)| [name.as_bytes(), bytes.as_slice()]);
    ProbeBuild { hash: short_hash_of(parts), toolchain: tc.version_line.clone() }
}

/// Runs a build command; its stderr (and stdout) is the error when it fails.
pub fn run_build(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("running {:?}: {e}", cmd.get_program()))?;
    if out.status.success() {
        return Ok(());
    }
    let text = format!("{}{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
    Err(format!("{} ({})", text.trim(), out.status))
}

/// Builds `lang`'s probe with `tc` into `<target>/taskbench/<row>/<key>/` unless that holds a build already.
pub fn build_probe(lang: &Language, tc: &Toolchain) -> Result<Probe, String> {
    let src = (lang.source_dir)(tc);
    let build = probe_build(&source_files(&src, lang.is_source)?, tc);
    // One build per source and toolchain (the same version at another path may differ).
    let tool_path = tc.path.as_os_str().as_encoded_bytes();
    let key = short_hash_of([build.hash.as_bytes(), build.toolchain.as_bytes(), tool_path]);
    let parent = probes_dir().join(lang.name);
    let dir = parent.join(&key);
    if dir.join(lang.built).is_file() {
        return Ok(Probe { dir, build });
    }
    // Unique to this build: threads of one process may build the same probe at once (each model its own).
    static BUILDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let build_no = BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = parent.join(format!("{key}.tmp-{}-{build_no}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| format!("creating {}: {e}", tmp.display()))?;
    let built = (lang.build)(tc, &src, &tmp).and_then(|()| match tmp.join(lang.built).is_file() {
        true => Ok(()),
        false => Err(format!("the build left no {} in {}", lang.built, tmp.display())),
    });
    if let Err(e) = built {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(format!("building the {} probe ({}) with {} failed:\n{e}", lang.name, src.display(), tc.version));
    }
    // A folder left without its build (an interrupted build of an older layout) is in the way of the rename.
    if dir.is_dir() && !dir.join(lang.built).is_file() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    match std::fs::rename(&tmp, &dir) {
        Ok(()) => Ok(Probe { dir, build }),
        // Another process built the same probe meanwhile: use theirs.
        Err(_) if dir.join(lang.built).is_file() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(Probe { dir, build })
        }
        Err(e) => Err(format!("moving the {} probe to {}: {e}", lang.name, dir.display())),
    }
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
            path: PathBuf::from("/usr/bin/go"),
            version: "go1.19.8".into(),
            version_line: "go version go1.19.8 linux/amd64".into(),
            env: Vec::new(),
        };
        let files = source_files(dir.path(), super::super::go::GO.is_source).unwrap();
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
