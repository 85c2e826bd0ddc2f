//! A saved run's time groups in the formats other tools read: `critcmp` (the JSON `critcmp --export` writes,
//! Criterion's files passed through) and `bencher` (libtest's `test NAME ... bench: X ns/iter (+/- Y)`, the
//! median and standard deviation). Both mean nanoseconds per iteration (N tasks), so memory is left out.

use anyhow::{bail, Result};
use serde_json::{json, Map, Value};

use super::format::thousands;
use super::run::Run;
use super::summary::GroupSummary;
use crate::catalogue::Group;
use crate::files::read_json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Critcmp,
    Bencher,
}

/// The run in `format`, and the groups left out (not in nanoseconds).
pub fn export(run: &Run, format: ExportFormat, name: Option<&str>) -> Result<(String, Vec<String>)> {
    let time = |g: &&GroupSummary| Group::find_or_unknown(&g.group, &g.unit).is_time();
    let left_out =
        run.summary.groups.iter().filter(|g| !time(g)).map(|g| format!("{} ({})", g.group, g.unit)).collect();
    let benches: Vec<_> = run.summary.benchmarks.iter().filter(|b| b.group().is_time()).collect();
    if benches.is_empty() {
        bail!("{}: no benchmark measured in nanoseconds to export", run.path.display());
    }
    let text = match format {
        ExportFormat::Bencher => benches
            .iter()
            .map(|b| {
                let (median, spread) = (thousands(b.median.point), thousands(b.std_dev));
                format!("test {} ... bench: {median:>14} ns/iter (+/- {spread})\n", b.id)
            })
            .collect(),
        ExportFormat::Critcmp => {
            let baseline = name.map(str::to_string).unwrap_or_else(|| run.summary.run.clone());
            let mut map = Map::new();
            for b in benches {
                let Some(raw) = &b.raw else {
                    bail!("{}: {} has no saved Criterion files; critcmp needs them", run.path.display(), b.id);
                };
                let dir = run.path.join(raw);
                let (info, estimates): (Value, Value) =
                    (read_json(&dir.join("benchmark.json"))?, read_json(&dir.join("estimates.json"))?);
                let fullname = format!("{baseline}/{}", b.id);
                map.insert(
                    b.id.clone(),
                    json!({ "baseline": baseline, "fullname": fullname,
                    "criterion_benchmark_v1": info, "criterion_estimates_v1": estimates }),
                );
            }
            serde_json::to_string_pretty(&json!({ "name": baseline, "benchmarks": map }))? + "\n"
        }
    };
    Ok((text, left_out))
}
