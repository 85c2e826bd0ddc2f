//! The README's results section, generated from a saved run: the machine and build, run A's medians by model
//! and N (memory, then time), the switch and state tables, skips, caveats and wall times. [`update_with`]
//! also regenerates the [`findings`] and [`stability`] sections and the memory chart.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{anyhow, bail, Result};

use super::findings;
use super::format::{grouped, number, power_of_ten as n_text, ratio, thousands, unique};
use super::page::{self, table};
use super::run::Run;
use super::stability::{self, Stability};
use super::summary::SkippedInfo;
use super::table::{self, flag_meaning, marked, GroupTable, Row, Table, FLAG_MARK, PAIRED_TO};
use crate::catalogue::{Axis, Group, Measures, Per, KERNEL};
use crate::files::{relative_to, write_atomic};

pub const BEGIN: &str = "<!-- results:begin -->";
pub const END: &str = "<!-- results:end -->";
/// Rows above this N go to a table of their own: few models fit there, and few groups are run.
const LARGE_N: usize = 1_000_000;
/// The column of RSS plus the kernel's share, after the kernel's.
const TOTAL: &str = "RSS+kernel B/task";

/// What [`update`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Updated,
    AlreadyCurrent,
}

/// Regenerates `readme`'s sections and the run's memory chart; with `check`, fails if any is stale.
pub fn update(readme: &Path, run: &Run, check: bool) -> Result<Outcome> {
    update_with(readme, run, None, check)
}

/// [`update`], and the stability section from the runs `stability` names (a README with one needs them).
pub fn update_with(readme: &Path, run: &Run, stability: Option<&Stability>, check: bool) -> Result<Outcome> {
    let text = std::fs::read_to_string(readme).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => anyhow!("{}: file not found", readme.display()),
        _ => anyhow!("{}: cannot read: {e}", readme.display()),
    })?;
    let readme_dir = readme.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let (t, cmd) = (table::of_run(run), command(run, stability));
    let mut new = replace_section(&text, &section_of(run, &t, readme_dir, &cmd));
    let findings = findings::section(run, &t, readme_dir, &cmd);
    new = new.and_then(|new| replace_between(&new, findings::BEGIN, findings::END, &findings));
    let mut new = new.map_err(|e| anyhow!("{}: {e}", readme.display()))?;
    match stability {
        Some(s) => {
            let body = stability::section(s, &cmd)?;
            new = replace_between(&new, stability::BEGIN, stability::END, &body)
                .map_err(|e| anyhow!("{}: {e}", readme.display()))?;
        }
        None if text.contains(stability::BEGIN) => bail!(
            "{}: it has a stability section; name its runs: `taskbench readme {} --aa RUN_A RUN_B [--ab RUN]`",
            readme.display(),
            run.path.display()
        ),
        None => {}
    }
    // The files that differ from what the run generates: (path, what it is, its new content).
    let mut stale = Vec::new();
    if new != text {
        stale.push((readme.to_path_buf(), "its generated sections", new));
    }
    let chart = run.path.join(findings::CHART_FILE);
    if let Some(svg) =
        findings::chart_svg(run, &t).filter(|svg| std::fs::read(&chart).ok().as_deref() != Some(svg.as_bytes()))
    {
        stale.push((chart.clone(), if chart.exists() { "the chart" } else { "missing" }, svg));
    }
    if stale.is_empty() {
        return Ok(Outcome::AlreadyCurrent);
    }
    if check {
        let names: Vec<String> = stale.iter().map(|(path, what, _)| format!("{} ({what})", path.display())).collect();
        bail!("{}: not what `{cmd}` generates; run it to update", names.join(" and "));
    }
    for (path, _, content) in stale {
        write_atomic(&path, content.as_bytes())?;
    }
    Ok(Outcome::Updated)
}

/// The command that regenerates the sections, as the generated lines name it.
fn command(run: &Run, stability: Option<&Stability>) -> String {
    let mut cmd = format!("taskbench readme {}", run.path.display());
    if let Some(s) = stability {
        for [a, b] in &s.aa {
            let _ = write!(cmd, " --aa {} {}", a.path.display(), b.path.display());
        }
        if let Some(ab) = &s.ab {
            let _ = write!(cmd, " --ab {}", ab.path.display());
        }
    }
    cmd
}

/// `text` with everything between the results markers replaced by `body`.
pub fn replace_section(text: &str, body: &str) -> Result<String> {
    replace_between(text, BEGIN, END, body)
}

/// `text` with everything between `begin` and `end` replaced by `body`; each marker must appear once.
fn replace_between(text: &str, begin: &str, end: &str, body: &str) -> Result<String> {
    let b =
        text.find(begin).ok_or_else(|| anyhow!("no `{begin}` marker; put it and `{end}` where the section goes"))?;
    let e = text.find(end).ok_or_else(|| anyhow!("no `{end}` marker after `{begin}`"))?;
    if e < b {
        bail!("`{end}` comes before `{begin}`");
    }
    if text.matches(begin).count() > 1 || text.matches(end).count() > 1 {
        bail!("the markers `{begin}` and `{end}` appear more than once");
    }
    Ok(format!("{}\n{body}{}", &text[..b + begin.len()], &text[e..]))
}

/// The generated Markdown (without the markers).
pub fn section(run: &Run, readme_dir: &Path) -> String {
    section_of(run, &table::of_run(run), readme_dir, &command(run, None))
}

/// A README table's cells by row and column, as printed.
type Grid<R, C> = BTreeMap<R, BTreeMap<C, String>>;

fn section_of(run: &Run, t: &Table, readme_dir: &Path, command: &str) -> String {
    let mut out = header(run, readme_dir, command);
    // The state groups' ids end in K, not N: they have tables of their own, after this one.
    let (n_groups, k_groups): (Vec<&GroupTable>, Vec<&GroupTable>) =
        t.groups.iter().partition(|g| g.group.axis == Axis::N);
    // The switch groups run their own N (2, 10^3, 10^5): a table of their own, after the main one.
    let (task_groups, switch_groups): (Vec<&GroupTable>, Vec<&GroupTable>) =
        n_groups.iter().partition(|g| g.group.per == Per::Task);
    let mut grid = pivot(t, &task_groups, |g, model, n| ((model, n), g.group.name));
    // Memory first (what the README leads with), then time, then counts, each in the catalogue's order.
    let mut by_kind = task_groups.clone();
    by_kind.sort_by_key(|g| {
        [Measures::Bytes, Measures::Time, Measures::Instructions].iter().position(|m| *m == g.group.measures)
    });
    let mut columns: Vec<(&str, String)> = by_kind.iter().map(|g| (g.group.name, g.group.column.to_string())).collect();
    let totals = t.totals(0);
    if let Some(kernel) = columns.iter().position(|(c, _)| *c == KERNEL.name).filter(|_| !totals.is_empty()) {
        columns.insert(kernel + 1, (TOTAL, TOTAL.to_string()));
    }
    for total in totals {
        let row = grid.entry(((t.rank(&total.model), total.model.clone()), total.n)).or_default();
        row.insert(TOTAL, number(total.bytes(), Measures::Bytes));
    }
    let label = |((_, model), n): &((usize, String), usize)| vec![model.clone(), number(*n as f64, Measures::Bytes)];
    let (usual, large): (Grid<_, _>, Grid<_, _>) = grid.into_iter().partition(|((_, n), _)| *n <= LARGE_N);
    // A run of the state groups alone has no main table.
    if !columns.is_empty() {
        write_grid(&mut out, &columns, &usual, &["model", "N"], label);
        if has_paired(&task_groups) {
            let _ = writeln!(out, "\n{PAIRED_NOTE}");
        }
        if task_groups.iter().any(|g| g.group.measures == Measures::Time) {
            let _ = writeln!(out, "\n{}", machine_line(t));
        }
    }
    if !large.is_empty() {
        // Only the columns measured that far (a run at 10^7 is its own, shorter matrix).
        columns.retain(|(c, _)| large.values().any(|cells| cells.get(c).is_some_and(|v| v != "skipped")));
        let _ = writeln!(out, "\nAbove 10^6 tasks (the models that fit; a separate, shorter run):\n");
        write_grid(&mut out, &columns, &large, &["model", "N"], label);
    }
    if !switch_groups.is_empty() {
        switch_table(&mut out, t, &switch_groups);
    }
    if t.groups.iter().any(|g| g.cells_of(0).any(|(_, c)| c.flagged())) {
        let _ = writeln!(
            out,
            "\n{FLAG_MARK}: {}; one number describes the cell poorly (see `taskbench report`).",
            flag_meaning()
        );
    }
    skip_lines(&mut out, "Skipped on this machine:", t, &n_groups, Axis::N);
    if !k_groups.is_empty() {
        state_tables(&mut out, t, &k_groups);
    }
    if !t.caveats.is_empty() {
        out.push_str("\nCaveats:\n");
        for (model, c) in &t.caveats {
            let _ = writeln!(out, "- {model}: {c}");
        }
    }
    out + &wall_times(t)
}

/// Run A's cells of `groups` as printed (or `skipped`), each at the (row, column) `at` gives it.
fn pivot<R: Ord, C: Ord>(
    t: &Table,
    groups: &[&GroupTable],
    at: impl Fn(&GroupTable, (usize, String), usize) -> (R, C),
) -> Grid<R, C> {
    let mut grid = Grid::new();
    for g in groups {
        let cells =
            g.cells_of(0).map(|(r, c)| (&r.model, r.x, marked(number(c.value(), g.group.measures), c) + &paired(r)));
        let skips = g.skipped_in(0).map(|s| (&s.model, s.n, "skipped".to_string()));
        for (model, x, text) in cells.chain(skips) {
            let (row, column) = at(g, (t.rank(model), model.clone()), x);
            grid.entry(row).or_default().entry(column).or_insert(text);
        }
    }
    grid
}

/// ` (4.12×, 1.37×)`: a row's paired ratios to the rows of [`PAIRED_TO`] in run A's rounds
/// ([`crate::results::paired`]), `—` for its ratio to itself or a missing one; empty where it has none.
fn paired(row: &Row) -> String {
    let each = PAIRED_TO
        .iter()
        .zip(&row.paired)
        .map(|(to, runs)| runs.first().copied().flatten().filter(|_| row.model != *to));
    let each: Vec<Option<String>> = each.map(|r| r.map(|r| ratio(r.median))).collect();
    if each.iter().all(Option::is_none) {
        return String::new();
    }
    format!(" ({})", each.into_iter().map(|r| r.unwrap_or_else(|| "—".into())).collect::<Vec<_>>().join(", "))
}

/// The line under a table whose timing cells carry paired ratios.
const PAIRED_NOTE: &str = "In parentheses: the cell's ratio to `floor`, then to `tokio-ct` (the single-threaded \
     runtime), at the same N, paired by round (`—`: the row itself, or none): the rows of a timing group run in \
     interleaved rounds, each round one process per row in a fresh order, so that a slow moment of the machine \
     falls on all of them alike; the figure is the median of the per-round ratios.";

/// The run's machine-speed reference ([`crate::results::reference`]), in one sentence.
fn machine_line(t: &Table) -> String {
    match t.runs[0].reference {
        Some(r) => format!(
            "Machine reference of this run (a fixed single-threaded workload and a cross-core wake, read in every \
             round; medians): {}. The timing figures hold for a machine this fast; `taskbench compare` reads \
             another run's timing changes against how far its reference moved from this one.",
            r.describe()
        ),
        None => "This run predates the machine reference: nothing in it says how fast the machine was that day, \
                 so its timing figures compare with another run's only as far as the paired ratios go."
            .to_string(),
    }
}

/// The switch groups' table: a row per model, a column per group and N (ns per hand-off, ns per yield).
fn switch_table(out: &mut String, t: &Table, groups: &[&GroupTable]) {
    out.push_str(
        "\nSwitching: ns per hand-off (`handoff`: a ring of N tasks passing a baton, one wake and one switch each) \
         and per yield (`yield`: N tasks yielding to their scheduler), warm:\n\n",
    );
    let grid = pivot(t, groups, |g, model, x| (model, ((Group::rank(g.group.name).0, g.group.column), x)));
    let columns = columns_of(&grid, |((_, column), x)| format!("{column} N={}", n_text(*x)));
    write_grid(out, &columns, &grid, &["model"], |(_, model)| vec![model.clone()]);
    if has_paired(groups) {
        let _ = writeln!(out, "\n{PAIRED_NOTE}");
    }
}

/// Whether some row of run A in `groups` has a paired ratio.
fn has_paired(groups: &[&GroupTable]) -> bool {
    groups.iter().flat_map(|g| &g.rows).any(|r| !paired(r).is_empty())
}

/// Every column key of `grid`, in order, with its title.
fn columns_of<R, C: Ord + Clone>(grid: &Grid<R, C>, title: impl Fn(&C) -> String) -> Vec<(C, String)> {
    let keys: BTreeSet<&C> = grid.values().flat_map(|cells| cells.keys()).collect();
    keys.into_iter().map(|c| (c.clone(), title(c))).collect()
}

/// A Markdown table of `grid`: the `labels` of its row, then a cell per column (`—` where none).
fn write_grid<R, C: Ord>(
    out: &mut String,
    columns: &[(C, String)],
    grid: &Grid<R, C>,
    labels: &[&str],
    label: impl Fn(&R) -> Vec<String>,
) {
    let header = labels.iter().map(|l| l.to_string()).chain(columns.iter().map(|c| c.1.clone())).collect();
    let rows: Vec<Vec<String>> = grid
        .iter()
        .map(|(row, cells)| {
            let values = columns.iter().map(|(c, _)| cells.get(c).map_or("—", String::as_str).to_string());
            label(row).into_iter().chain(values).collect()
        })
        .collect();
    table(out, &page::Table::new(header, rows, 1..usize::MAX), true);
}

/// The state groups' tables: one per group, a row per model (with its N), a column per K; then the skips.
fn state_tables(out: &mut String, t: &Table, groups: &[&GroupTable]) {
    out.push_str(
        "\nHolding state: bytes per task while each of N tasks holds K bytes across its park point (a `[u8; K]` \
         written before it and read after: in the future, on the task's own stack, or on a goroutine's stack). N \
         is one per model, the same at every K.\n",
    );
    for g in groups {
        let grid = pivot(t, &[g], |_, model, k| (model, k));
        let columns = columns_of(&grid, |k| format!("K = {}", thousands(*k as f64)));
        let tasks = |m: &str| {
            g.tasks.iter().find(|(name, _)| name == m).map_or("—".to_string(), |(_, n)| thousands(*n as f64))
        };
        let _ = writeln!(out, "\n`{}`, {}:\n", g.group.name, g.group.column);
        write_grid(out, &columns, &grid, &["model", "N"], |(_, m)| vec![m.clone(), tasks(m)]);
    }
    skip_lines(out, "Skipped in the state groups:", t, groups, Axis::K);
}

/// Under `title`, a line per model and reason (and N, on the `Axis::N`), naming the Ns or Ks and the groups.
fn skip_lines(out: &mut String, title: &str, t: &Table, groups: &[&GroupTable], axis: Axis) {
    let skips = groups.iter().flat_map(|g| g.skipped_in(0).map(move |sk| (g.group.name, sk)));
    let key = |sk: &SkippedInfo| {
        (t.rank(&sk.model), sk.model.clone(), Some(sk.n).filter(|_| axis == Axis::N), sk.reason.clone())
    };
    let mut lines = grouped(skips.map(|(g, sk)| (key(sk), (thousands(sk.n as f64), g))));
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    if !lines.is_empty() {
        let _ = writeln!(out, "\n{title}");
    }
    for ((_, model, _, reason), found) in lines {
        let (xs, names): (Vec<String>, Vec<&str>) = found.into_iter().unzip();
        let (xs, names) = (unique(xs).join(", "), unique(names).join(", "));
        let _ = writeln!(out, "- {model}, {} = {xs} ({names}): {}", axis.letter(), reason.trim());
    }
}

/// Run A's wall time per group, and in all.
fn wall_times(t: &Table) -> String {
    let groups = t.groups.iter().filter_map(|g| Some((g.group.name, g.wall_seconds[0]?)));
    let walls: Vec<String> = groups.clone().map(|(g, s)| format!("{g} {s} s")).collect();
    let total: u64 = groups.map(|(_, s)| s).sum();
    if walls.is_empty() {
        return String::new();
    }
    format!("\nWall time of the bench runs, by group: {} ({total} s in all).\n", walls.join(", "))
}

/// The section's opening: where it comes from, the machine, the build, and where the intervals are.
fn header(run: &Run, readme_dir: &Path, command: &str) -> String {
    let (s, m) = (&run.summary, &run.machine);
    let summary_path = run.path.join("summary.json");
    let link =
        relative_to(readme_dir, &summary_path).unwrap_or_else(|| summary_path.clone()).to_string_lossy().into_owned();
    // The benches' own time; the save may come later.
    let measured = s.groups.iter().map(|g| g.recorded_at.as_str()).max().unwrap_or(m.date.as_str());
    format!(
        "<!-- Generated by `{command}`; edit the run or the generator, not this section. -->\n\
         Run `{}` on **{}**, measured {measured}.\nBuild: {}.\n\
         Criterion medians per task; confidence intervals, means, every sample, sample counts and model settings \
         are in [`{link}`]({link}).\n\n",
        s.run,
        m.one_line(),
        run.builds().describe()
    )
}
