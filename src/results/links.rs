//! Links from the report to Criterion's own pages, made only where Criterion's folder still holds the very
//! data the run saved (its `estimates.json` byte for byte), so a link never shows another run's numbers.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::run::Run;
use crate::files::relative_to;
use crate::record::criterion_cell_dir;

/// Hrefs of Criterion's pages: by (run index, benchmark id), and by group.
pub struct Links {
    pub cells: BTreeMap<(usize, String), String>,
    pub groups: BTreeMap<String, String>,
}

impl Links {
    /// Looks in the Criterion folder each run names, then in `extra_home`; links are relative to `out_dir`.
    pub fn find(runs: &[Run], out_dir: &Path, extra_home: Option<&Path>) -> Links {
        let mut links = Links { cells: BTreeMap::new(), groups: BTreeMap::new() };
        let page = |dir: PathBuf| dir.join("report").join("index.html");
        for (i, run) in runs.iter().enumerate() {
            let homes: Vec<&Path> = [Path::new(&run.summary.criterion_home)].into_iter().chain(extra_home).collect();
            for b in &run.summary.benchmarks {
                let Some(raw) = &b.raw else { continue };
                let Ok(saved) = fs::read(run.path.join(raw).join("estimates.json")) else { continue };
                let cell = |home: &Path| criterion_cell_dir(home, &b.group, &b.model, b.n);
                let same =
                    |home: &&Path| fs::read(cell(home).join("new").join("estimates.json")).is_ok_and(|e| e == saved);
                let Some(home) = homes.iter().find(|h| same(h) && page(cell(h)).is_file()) else { continue };
                let Some(link) = href(out_dir, &page(cell(home))) else { continue };
                links.cells.insert((i, b.id.clone()), link);
                let group_page = page(home.join(&b.group));
                if let Some(gh) = group_page.is_file().then(|| href(out_dir, &group_page)).flatten() {
                    links.groups.entry(b.group.clone()).or_insert(gh);
                }
            }
        }
        links
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

/// `p` with every byte but letters, digits and `-._~/:` percent-encoded.
pub fn url_path(p: &str) -> String {
    let keep = |b: u8| b.is_ascii_alphanumeric() || b"-._~/:".contains(&b);
    p.bytes().map(|b| if keep(b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}
