//! Saved runs: what `taskbench save`, `compare`, `report`, `readme` and `export` do, as plain functions on paths.
//!
//! A run folder is `results/<machine>/<run>/` and holds:
//! - `machine.json` ([`machine::Machine`]): the hardware, kernel limits and versions the numbers came from;
//! - `summary.json` ([`summary::Summary`]): one record per `group/model/N` with its median per task and
//!   confidence bounds, the mean, every sample's per-task value, flags, unit and sample count, the skipped
//!   benchmarks with their reasons, and the model configurations;
//! - `criterion/<group>/<model>/<N>/new/{benchmark,estimates,sample}.json`: Criterion's own files, copied as
//!   they were, for later analysis (`critcmp --target-dir <run> new` reads them as baseline `new`; mind
//!   that critcmp prints every value as a time, so the memory groups' bytes show up as "ns").
//!
//! Both JSON files carry `"schema"`, each its own version ([`SUMMARY_SCHEMA`], [`MACHINE_SCHEMA`]); a reader
//! refuses a version it does not know instead of guessing. Summary schema 1 (published the mean, kept no
//! samples) is still read: [`summary::load`] brings it up to the current form.
//!
//! The pieces:
//! - [`machine`]: describe this machine;
//! - [`summary`]: read Criterion's output and the bench binaries' records into a [`summary::Summary`];
//! - [`run`]: save a run folder atomically, and load one back with clear errors;
//! - [`noise`]: the one rule for a real difference between runs, and the flags for a suspect sample set;
//! - [`compare`]: runs side by side, machine differences first, with ratios and the noise rule;
//! - [`chart`]: log-log SVG charts, for the report and the README's memory chart;
//! - [`report`]: a self-contained HTML page with log-log charts;
//! - [`overview`]: the page every bench leaves in Criterion's folder, for every cell measured so far;
//! - [`readme`]: the README's results section, regenerated from a saved run;
//! - [`findings`]: the README's opening sentences and memory chart, generated from a saved run;
//! - [`export`]: the formats other tools read (`critcmp`, `bencher`).
//!
//! Every command computes its whole output before writing anything, and writes through [`write_atomic`], so
//! bad input leaves nothing behind and a crash leaves no half-written file.

pub mod chart;
pub mod compare;
pub mod export;
pub mod findings;
pub mod machine;
pub mod noise;
pub mod overview;
pub mod readme;
pub mod report;
pub mod run;
pub mod summary;

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The `summary.json` schema this build writes. 2: `per_task` is the median (was the mean), with
/// `mean_per_task`, `samples` and the `bimodal` / `mean_median` flags added. It reads 1 and 2.
pub const SUMMARY_SCHEMA: u64 = 2;
/// The oldest `summary.json` schema this build reads.
pub const OLDEST_SUMMARY_SCHEMA: u64 = 1;
/// The `machine.json` schema this build writes and the only one it reads.
pub const MACHINE_SCHEMA: u64 = 1;

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
/// folder, flushed to disk, then renamed over the target. The folder must exist.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        bail!("{}: folder does not exist", dir.display());
    }
    let name = path.file_name().ok_or_else(|| anyhow!("{}: not a file path", path.display()))?;
    let tmp = dir.join(format!(".{}.tmp-{}", name.to_string_lossy(), std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("{}: cannot write", path.display()));
    }
    Ok(())
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
    let (y, m, d, hh, mm, ss) = civil(unix);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

/// Seconds since the Unix epoch as a run name (`2026-11-26T2130Z`): sortable and file-name safe.
pub fn run_stamp(unix: u64) -> String {
    let (y, m, d, hh, mm, _) = civil(unix);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}{mm:02}Z")
}

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

// Howard Hinnant's days-to-civil algorithm; saves a date-time dependency for one format.
fn civil(unix: u64) -> (i64, u32, u32, u64, u64, u64) {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, secs / 3600, secs % 3600 / 60, secs % 60)
}

/// A value in a unit, scaled for people: `253 ns`, `1.25 µs`, `256 B`, `20.3 KiB`. Three significant digits.
pub fn human(value: f64, unit: &str) -> String {
    let (scaled, unit) = match unit {
        "ns" | "ns/task" => {
            let abs = value.abs();
            if abs >= 1e9 {
                (value / 1e9, "s")
            } else if abs >= 1e6 {
                (value / 1e6, "ms")
            } else if abs >= 1e3 {
                (value / 1e3, "µs")
            } else {
                (value, "ns")
            }
        }
        "bytes/task" | "B/task" | "bytes" | "B" => {
            let abs = value.abs();
            if abs >= 1024.0 * 1024.0 * 1024.0 {
                (value / (1024.0 * 1024.0 * 1024.0), "GiB")
            } else if abs >= 1024.0 * 1024.0 {
                (value / (1024.0 * 1024.0), "MiB")
            } else if abs >= 1024.0 {
                (value / 1024.0, "KiB")
            } else {
                (value, "B")
            }
        }
        other => (value, other),
    };
    format!("{} {unit}", sig3(scaled))
}

/// Three significant digits, no exponent: `253`, `25.3`, `2.53`, `0.253`.
pub fn sig3(v: f64) -> String {
    let abs = v.abs();
    if !v.is_finite() {
        format!("{v}")
    } else if abs >= 100.0 || abs == 0.0 {
        format!("{v:.0}")
    } else if abs >= 10.0 {
        format!("{v:.1}")
    } else if abs >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// `1,234,567`: a whole number with thousands separators.
pub fn thousands(v: f64) -> String {
    let r = v.round() as i64;
    let digits = r.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if r < 0 {
        out.insert(0, '-');
    }
    out
}

/// The short unit shown with per-task values: `ns/task` or `B/task`.
pub fn per_task_label(unit: &str) -> &str {
    match unit {
        "bytes/task" => "B/task",
        other => other,
    }
}

/// The order groups appear in, everywhere: time first, then memory, then the state a task holds. Unknown
/// groups sort after, by name.
pub fn group_rank(group: &str) -> (usize, String) {
    let known = [
        "spawn",
        "spawn_cold",
        "spawn_join",
        "spawn_join_cold",
        "heap_per_task",
        "rss_per_task",
        "kernel_per_task",
        "state_heap",
        "state_rss",
    ];
    (known.iter().position(|g| *g == group).unwrap_or(known.len()), group.to_string())
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
    fn human_units() {
        assert_eq!(human(253.4, "ns/task"), "253 ns");
        assert_eq!(human(1250.0, "ns/task"), "1.25 µs");
        assert_eq!(human(256.0, "bytes/task"), "256 B");
        assert_eq!(human(20787.0, "bytes/task"), "20.3 KiB");
    }
}
