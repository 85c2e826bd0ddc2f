//! Links from the report to Criterion's own pages, made only where Criterion's folder still holds the very
//! data the run saved (its `estimates.json` byte for byte), so a link never shows another run's numbers.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::run::Run;
use crate::files::relative_to;
use crate::record::criterion_cell_dir;

/// Links to Criterion's pages, only where Criterion's folder still holds the very data the run saved.
pub struct Links {
    /// (run index, benchmark id) → href.
    pub cells: BTreeMap<(usize, String), String>,
    /// group → href of Criterion's group page.
    pub groups: BTreeMap<String, String>,
}

impl Links {
    pub fn find(runs: &[Run], out_dir: &Path, extra_home: Option<&Path>) -> Links {
        let mut cells = BTreeMap::new();
        let mut groups = BTreeMap::new();
        for (i, run) in runs.iter().enumerate() {
            let mut homes = vec![PathBuf::from(&run.summary.criterion_home)];
            if let Some(h) = extra_home {
                homes.push(h.to_path_buf());
            }
            for b in &run.summary.benchmarks {
                let Some(raw) = &b.raw else { continue };
                let Ok(saved) = fs::read(run.path.join(raw).join("estimates.json")) else { continue };
                for home in &homes {
                    let bench_dir = criterion_cell_dir(home, &b.group, &b.model, b.n);
                    let page = bench_dir.join("report").join("index.html");
                    let same = fs::read(bench_dir.join("new").join("estimates.json")).is_ok_and(|b| b == saved);
                    if same && page.is_file() {
                        if let Some(link) = href(out_dir, &page) {
                            cells.insert((i, b.id.clone()), link);
                            let group_page = home.join(&b.group).join("report").join("index.html");
                            if group_page.is_file() {
                                if let Some(gh) = href(out_dir, &group_page) {
                                    groups.entry(b.group.clone()).or_insert(gh);
                                }
                            }
                        }
                        break;
                    }
                }
            }
        }
        Links { cells, groups }
    }
}

/// A relative URL from `from_dir` to `target` when they share a root, else a `file://` URL.
fn href(from_dir: &Path, target: &Path) -> Option<String> {
    let rel = match relative_to(from_dir, target) {
        Some(p) => p.to_string_lossy().into_owned(),
        None => format!("file://{}", fs::canonicalize(target).ok()?.display()),
    };
    Some(url_path(&rel))
}

pub fn url_path(p: &str) -> String {
    let mut out = String::new();
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
