//! Which build measured a cell: taskbench's commit and whether the tree differed from it, the compiler, a
//! hash of `Cargo.lock`, and for rows measured by a child probe (Go) the probe's own build. Every cell record
//! carries one ([`crate::record::CellRecord::build`]), so a saved run names the builds that measured it,
//! not whatever was checked out when it was saved.
//!
//! The facts are recorded by `build.rs` when the binary is compiled (see there), so a bench binary copied
//! to another machine still names its build.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The build that measured a cell.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Build {
    /// `git rev-parse HEAD` when the binary was built; `None` outside a git checkout.
    pub commit: Option<String>,
    /// Whether tracked files differed from `commit` when the binary was built.
    pub dirty: Option<bool>,
    /// `rustc -V` of the compiler that built it.
    pub rustc: Option<String>,
    /// The first 16 hex digits of the SHA-256 of the `Cargo.lock` it was built with.
    pub lock_hash: Option<String>,
    /// The child probe that measured the row (Go's), when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<ProbeBuild>,
}

/// A child probe's build: a hash of its source and the toolchain that compiled it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProbeBuild {
    /// The first 16 hex digits of the SHA-256 over the probe's source files.
    pub hash: String,
    /// The toolchain's own version line (`go version go1.19.8 linux/amd64`).
    pub toolchain: String,
}

impl Build {
    /// The build of the running binary, as `build.rs` recorded it.
    pub fn this_binary() -> Build {
        let known = |v: &'static str| (!v.is_empty()).then(|| v.to_string());
        Build {
            commit: known(env!("TASKBENCH_BUILD_GIT_COMMIT")),
            dirty: known(env!("TASKBENCH_BUILD_GIT_DIRTY")).map(|d| d == "true"),
            rustc: known(env!("TASKBENCH_BUILD_RUSTC")),
            lock_hash: Some(short_hash(include_bytes!(concat!(env!("OUT_DIR"), "/Cargo.lock")))),
            probe: None,
        }
    }

    /// This build with the probe that measured the row.
    pub fn with_probe(self, probe: ProbeBuild) -> Build {
        Build { probe: Some(probe), ..self }
    }

    /// One line for people: `3f2a9c1b7d20 (dirty), rustc 1.95.0 (…), Cargo.lock 1a2b…, probe 9f8e… (go1.19.8)`.
    pub fn one_line(&self) -> String {
        let mut out = match &self.commit {
            Some(c) => format!("commit {}", &c[..c.len().min(12)]),
            None => "commit unknown".to_string(),
        };
        if self.dirty == Some(true) {
            out.push_str(" (dirty)");
        }
        if let Some(r) = &self.rustc {
            out.push_str(&format!(", {r}"));
        }
        if let Some(h) = &self.lock_hash {
            out.push_str(&format!(", Cargo.lock {h}"));
        }
        if let Some(p) = &self.probe {
            out.push_str(&format!(", probe {} ({})", p.hash, p.toolchain));
        }
        out
    }
}

/// The first 16 hex digits of the SHA-256 of `parts`, each part's length hashed before it (so moving bytes
/// from one part to the next changes the hash).
pub fn short_hash_of<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn short_hash(bytes: &[u8]) -> String {
    short_hash_of([bytes])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_binary_names_its_lock_and_compiler() {
        let b = Build::this_binary();
        assert_eq!(b.lock_hash.as_deref().map(str::len), Some(16));
        assert!(b.rustc.as_deref().is_some_and(|r| r.starts_with("rustc ")), "{:?}", b.rustc);
    }

    #[test]
    fn hash_is_sha256_prefix() {
        // SHA-256 of "" with its 8-byte length prefix (all zero), computed independently with sha256sum.
        assert_eq!(short_hash_of([&b""[..]]), "af5570f5a1810b7a");
    }

    #[test]
    fn one_line_names_dirty_and_probe() {
        let b = Build {
            commit: Some("0123456789abcdef0123".into()),
            dirty: Some(true),
            rustc: Some("rustc 1.95.0".into()),
            lock_hash: Some("aaaa".into()),
            probe: Some(ProbeBuild { hash: "bbbb".into(), toolchain: "go1.19.8".into() }),
        };
        assert_eq!(b.one_line(), "commit 0123456789ab (dirty), rustc 1.95.0, Cargo.lock aaaa, probe bbbb (go1.19.8)");
    }
}
