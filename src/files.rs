//! Files every layer writes or reads: JSON in the saved form, versioned JSON with clear errors, atomic
//! writes, paths, and the dates that name runs. The lowest layer: it imports nothing of the crate's.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Reads a JSON file, naming the file and the problem when it is missing or is not valid JSON.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = read_text(path)?;
    serde_json::from_str(&text).map_err(|e| json_error(path, &e))
}

/// Reads a taskbench JSON file that carries `"schema"`, accepting versions `oldest..=newest`: checks the
/// version before the fields, so a file from a newer taskbench gets "upgrade" rather than a puzzling
/// missing-field error. Returns the version with the JSON, for readers that bring older versions up to date.
pub fn read_versioned_value(path: &Path, oldest: u64, newest: u64) -> Result<(u64, serde_json::Value)> {
    let text = read_text(path)?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| json_error(path, &e))?;
    let Some(obj) = value.as_object() else {
        bail!("{}: expected a JSON object, found {}", path.display(), json_kind(&value));
    };
    let schema = match obj.get("schema") {
        None => bail!("{}: no \"schema\" field; not a file written by `taskbench save`", path.display()),
        Some(v) => {
            v.as_u64().ok_or_else(|| anyhow!("{}: \"schema\" is {v}, expected a whole number", path.display()))?
        }
    };
    let readable =
        if oldest == newest { format!("version {newest}") } else { format!("versions {oldest} to {newest}") };
    if schema > newest {
        bail!(
            "{}: schema version {schema} was written by a newer taskbench; this one reads {readable}. \
             Upgrade taskbench to read it",
            path.display()
        );
    }
    if schema < oldest {
        bail!("{}: unknown schema version {schema}; this taskbench reads {readable}", path.display());
    }
    Ok((schema, value))
}

/// [`read_versioned_value`] for a file whose only readable version is `schema`, deserialized.
pub fn read_versioned<T: DeserializeOwned>(path: &Path, schema: u64) -> Result<T> {
    let (_, value) = read_versioned_value(path, schema, schema)?;
    from_versioned(path, schema, value)
}

/// Deserializes a JSON value read by [`read_versioned_value`], naming the file and version on a mismatch.
pub fn from_versioned<T: DeserializeOwned>(path: &Path, schema: u64, value: serde_json::Value) -> Result<T> {
    serde_json::from_value(value)
        .map_err(|e| anyhow!("{}: does not match schema version {schema}: {e}", path.display()))
}

fn read_text(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => anyhow!("{}: file not found", path.display()),
        _ => anyhow!("{}: cannot read: {e}", path.display()),
    })
}

fn json_error(path: &Path, e: &serde_json::Error) -> anyhow::Error {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Eof => "truncated JSON",
        Category::Syntax => "corrupt JSON",
        Category::Data => "unexpected content",
        Category::Io => "cannot read",
    };
    anyhow!("{}: {what}: {e}", path.display())
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Pretty JSON with a trailing newline, the form every saved file takes (diffs well in git).
pub fn to_json<T: Serialize>(value: &T) -> Result<String> {
    let mut s = serde_json::to_string_pretty(value)?;
    s.push('\n');
    Ok(s)
}

/// Writes `path` so that it holds either its old content or all of `bytes`: a temporary file in the same
/// folder, flushed to disk, then renamed over the target (`tempfile`'s persist). The folder must exist.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        bail!("{}: folder does not exist", dir.display());
    }
    let write = || -> std::io::Result<()> {
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    };
    write().with_context(|| format!("{}: cannot write", path.display()))
}

/// The path from folder `from_dir` to `target`, or `None` when they share nothing below the root or either
/// does not exist.
pub fn relative_to(from_dir: &Path, target: &Path) -> Option<std::path::PathBuf> {
    let from = fs::canonicalize(from_dir).ok()?;
    let to = fs::canonicalize(target).ok()?;
    let fc: Vec<_> = from.components().collect();
    let tc: Vec<_> = to.components().collect();
    let common = fc.iter().zip(&tc).take_while(|(a, b)| a == b).count();
    if common <= 1 {
        return None;
    }
    let mut p = std::path::PathBuf::new();
    for _ in common..fc.len() {
        p.push("..");
    }
    for c in &tc[common..] {
        p.push(c.as_os_str());
    }
    Some(p)
}

/// A readable, file-name-safe form of `s`: lower case, runs of other characters become one `-`.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if c == '.' && out.chars().last().is_some_and(|l| l.is_ascii_digit()) {
            // Keeps "2.20ghz" and "6.8" readable.
            out.push('.');
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches(['-', '.']).to_string()
}

/// Seconds since the Unix epoch as UTC ISO 8601 (`2026-11-26T21:30:05Z`).
pub fn iso8601(unix: u64) -> String {
    timestamp(unix).strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Seconds since the Unix epoch as a run name (`2026-11-26T2130Z`): sortable and file-name safe.
pub fn run_stamp(unix: u64) -> String {
    timestamp(unix).strftime("%Y-%m-%dT%H%MZ").to_string()
}

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn timestamp(unix: u64) -> jiff::Timestamp {
    i64::try_from(unix).ok().and_then(|s| jiff::Timestamp::from_second(s).ok()).unwrap_or(jiff::Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(1_795_728_605), "2026-11-26T21:30:05Z");
        assert_eq!(run_stamp(1_795_728_605), "2026-11-26T2130Z");
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Intel(R) Xeon(R) CPU @ 2.20GHz"), "intel-r-xeon-r-cpu-2.20ghz");
        assert_eq!(slug("AMD EPYC 7B13"), "amd-epyc-7b13");
        assert_eq!(slug("  --x--  "), "x");
    }

    #[test]
    fn atomic_write_replaces_whole_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(write_atomic(&dir.path().join("missing/a.json"), b"x").is_err());
    }
}
