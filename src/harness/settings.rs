//! A bench run's settings from its environment and command line: the N values (`TASKBENCH_N`), the rows
//! (`TASKBENCH_MODELS`), and Criterion's filter re-read from the bench arguments, so that skip lines are
//! printed only for cells the user asked for. Nothing here measures or runs anything.

use anyhow::{bail, Context, Result};
use regex::Regex;

use super::go_rows::EXTRA_ROWS;
use super::say::say;
use crate::models::{self, TaskModel};

/// The N values measured when `TASKBENCH_N` is not set.
pub const DEFAULT_N: [usize; 3] = [10_000, 100_000, 1_000_000];

/// Parses a `TASKBENCH_N` value: comma-separated task counts, e.g. `1000,10000`. A count listed twice is an
/// error rather than deduplicated: Criterion cannot hold two cells with one id, and a typo is likelier than
/// a wish to measure the same N twice.
pub fn parse_n_values(text: &str) -> Result<Vec<usize>> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let n: usize = part
            .replace('_', "")
            .parse()
            .with_context(|| format!("TASKBENCH_N: {part:?} is not a task count (expected e.g. 1000,10000)"))?;
        if n == 0 {
            bail!("TASKBENCH_N: a task count must be at least 1");
        }
        if out.contains(&n) {
            bail!("TASKBENCH_N: {n} is listed twice; list each task count once (e.g. 1000,10000)");
        }
        out.push(n);
    }
    if out.is_empty() {
        bail!("TASKBENCH_N is set but lists no task count (expected e.g. 1000,10000)");
    }
    Ok(out)
}

/// The N values for this run: `TASKBENCH_N` if set, else the group's own default, else [`DEFAULT_N`].
pub fn n_values(group_default: Option<&[usize]>) -> Result<Vec<usize>> {
    match env_text("TASKBENCH_N")? {
        Some(text) => parse_n_values(&text),
        None => Ok(group_default.unwrap_or(&DEFAULT_N).to_vec()),
    }
}

/// A variable's value, `None` when unset; a value that is not UTF-8 is an error, not "unset".
fn env_text(name: &str) -> Result<Option<String>> {
    match std::env::var(name) {
        Ok(text) => Ok(Some(text)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => bail!("{name} is not valid UTF-8"),
    }
}

/// What `TASKBENCH_MODELS` selects in one bench binary.
pub struct Selection<'x> {
    pub models: Vec<&'static dyn TaskModel>,
    /// This bench's extra rows that were named.
    pub extra: Vec<&'x str>,
    /// One line per name that is an extra row of other groups only: it is accepted and does not apply here.
    pub notes: Vec<String>,
}

/// The rows a bench binary can run: the models and the calibration controls ([`ModelSet::registry`] for the
/// benches; tests hand in fakes).
#[derive(Clone)]
pub struct ModelSet {
    pub models: Vec<&'static dyn TaskModel>,
    pub controls: Vec<&'static dyn TaskModel>,
}

impl ModelSet {
    /// The registry's models and controls.
    pub fn registry() -> ModelSet {
        ModelSet { models: models::registry(), controls: models::controls() }
    }

    /// Fake models, no controls (tests).
    pub fn of(models: &[&'static dyn TaskModel]) -> ModelSet {
        ModelSet { models: models.to_vec(), controls: Vec::new() }
    }

    /// Every model and control, models first.
    pub fn all(&self) -> impl Iterator<Item = &'static dyn TaskModel> + '_ {
        self.models.iter().chain(&self.controls).copied()
    }

    pub fn by_name(&self, name: &str) -> Option<&'static dyn TaskModel> {
        self.all().find(|m| m.name() == name)
    }

    pub fn is_control(&self, name: &str) -> bool {
        self.controls.iter().any(|c| c.name() == name)
    }
}

/// Parses a `TASKBENCH_MODELS` value for a bench whose own extra rows are `extra`. Every name must be a
/// model, a calibration control, or an extra row of some group ([`EXTRA_ROWS`]): one list serves every
/// bench, so a row that only another group has is noted and skipped here, and only a name no group knows
/// is an error.
pub fn parse_models<'x>(text: &str, set: &ModelSet, extra: &[&'x str]) -> Result<Selection<'x>> {
    let mut chosen = Selection { models: Vec::new(), extra: Vec::new(), notes: Vec::new() };
    let names: Vec<&str> = text.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
    if names.is_empty() {
        bail!(
            "TASKBENCH_MODELS is set but names no model; unset it to run them all, or name some of: {}",
            known_rows(set)
        );
    }
    for name in names {
        if let Some(model) = set.by_name(name) {
            chosen.models.push(model);
        } else if let Some(x) = extra.iter().find(|x| **x == name) {
            chosen.extra.push(*x);
        } else if let Some(groups) = groups_with_extra_row(name) {
            chosen
                .notes
                .push(format!("TASKBENCH_MODELS: {name} is a row of {groups} only; it does not apply to this bench"));
        } else {
            bail!("TASKBENCH_MODELS: unknown model {name:?}; known: {}", known_rows(set));
        }
    }
    Ok(chosen)
}

/// The groups that have an extra row called `name`, comma-joined; `None` when no group has one.
fn groups_with_extra_row(name: &str) -> Option<String> {
    let groups: Vec<&str> =
        EXTRA_ROWS.iter().filter(|(_, rows)| rows.iter().any(|r| r.name == name)).map(|(g, _)| g.name).collect();
    (!groups.is_empty()).then(|| groups.join(", "))
}

/// Every name `TASKBENCH_MODELS` accepts, for error lines.
fn known_rows(set: &ModelSet) -> String {
    let models = set.all().map(|m| m.name());
    let extra = EXTRA_ROWS.iter().flat_map(|(_, rows)| rows.iter().map(|r| r.name));
    let mut names: Vec<&str> = Vec::new();
    for name in models.chain(extra) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(", ")
}

/// The models and extra rows for this run: those `TASKBENCH_MODELS` names (comma-separated, see
/// [`parse_models`]) if set, else every model of `set` (plus its calibration controls when `with_controls`)
/// and every extra row.
pub fn selected_models<'x>(
    set: &ModelSet,
    with_controls: bool,
    extra: &[&'x str],
) -> Result<(Vec<&'static dyn TaskModel>, Vec<&'x str>)> {
    let Some(text) = env_text("TASKBENCH_MODELS")? else {
        let controls = if with_controls { set.controls.clone() } else { Vec::new() };
        return Ok((set.models.iter().copied().chain(controls).collect(), extra.to_vec()));
    };
    let chosen = parse_models(&text, set, extra)?;
    for note in &chosen.notes {
        say(note);
    }
    Ok((chosen.models, chosen.extra))
}

/// Criterion's filter as given on the bench command line, so that skip lines are printed only for
/// benchmarks the user asked for. `None` runs everything.
pub struct Filter {
    pattern: Option<Regex>,
    exact: Option<String>,
}

impl Filter {
    /// Reads the filter from bench arguments the way Criterion does (first free argument; `--exact`).
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Self {
        const TAKES_VALUE: [&str; 16] = [
            "--color",
            "--save-baseline",
            "--baseline",
            "--baseline-lenient",
            "--format",
            "--profile-time",
            "--load-baseline",
            "--sample-size",
            "--warm-up-time",
            "--measurement-time",
            "--nresamples",
            "--noise-threshold",
            "--confidence-level",
            "--significance-level",
            "--plotting-backend",
            "--output-format",
        ];
        let (mut free, mut exact, mut skip_next) = (None, false, false);
        for arg in args.into_iter().skip(1) {
            if std::mem::take(&mut skip_next) {
                continue;
            }
            if arg == "--exact" {
                exact = true;
            } else if TAKES_VALUE.contains(&arg.as_str()) || arg == "-c" || arg == "-s" || arg == "-b" {
                skip_next = true;
            } else if !arg.starts_with('-') && free.is_none() {
                free = Some(arg);
            }
        }
        match (free, exact) {
            (None, _) => Filter { pattern: None, exact: None },
            (Some(f), true) => Filter { pattern: None, exact: Some(f) },
            (Some(f), false) => Filter { pattern: Regex::new(&f).ok(), exact: None },
        }
    }

    pub fn matches(&self, id: &str) -> bool {
        match (&self.pattern, &self.exact) {
            (_, Some(exact)) => id == exact,
            (Some(re), _) => re.is_match(id),
            (None, None) => true,
        }
    }
}

/// The calibration controls run up to this N: at 10^6 the 4 KiB control touches 4 GiB per iteration (over a
/// minute per cell) and checks nothing that 10^5 does not.
pub const CONTROLS_MAX_N: usize = 100_000;

#[cfg(test)]
mod tests {
    use super::*;

    fn err(r: Result<impl std::fmt::Debug>) -> String {
        format!("{:#}", r.expect_err("an error"))
    }

    #[test]
    fn a_task_count_listed_twice_is_an_error_naming_it() {
        assert_eq!(parse_n_values("1000, 10_000").unwrap(), [1000, 10_000]);
        let e = err(parse_n_values("1000,1000"));
        assert!(e.contains("1000 is listed twice"), "{e}");
        // The same count spelled two ways is still one cell id.
        assert!(err(parse_n_values("10000,10_000")).contains("10000 is listed twice"));
    }

    #[test]
    fn an_empty_model_list_is_an_error_listing_the_known_names() {
        for text in ["", " ", ",,"] {
            let e = err(parse_models(text, &ModelSet::registry(), &[]).map(|s| s.models.len()));
            assert!(e.contains("names no model") && e.contains("tokio-mt") && e.contains("goroutine-stack"), "{e}");
        }
    }

    #[test]
    fn another_groups_extra_row_is_noted_not_an_error() {
        // A bench without that row (spawn, rss_per_task) runs the model and notes the row once.
        let s = parse_models("goroutine,goroutine-stack", &ModelSet::registry(), &[]).unwrap();
        assert_eq!(s.models.iter().map(|m| m.name()).collect::<Vec<_>>(), ["goroutine"]);
        assert!(s.extra.is_empty());
        assert_eq!(s.notes.len(), 1);
        assert!(s.notes[0].contains("goroutine-stack is a row of heap_per_task, state_heap only"), "{}", s.notes[0]);
        // The bench that has the row runs it, with nothing to note.
        let s = parse_models("goroutine,goroutine-stack", &ModelSet::registry(), &["goroutine-stack"]).unwrap();
        assert_eq!(s.extra, ["goroutine-stack"]);
        assert!(s.notes.is_empty());
        // A name no group knows is still an error.
        let e = err(parse_models("goroutine,gorutine-stack", &ModelSet::registry(), &[]).map(|s| s.models.len()));
        assert!(e.contains("unknown model \"gorutine-stack\"") && e.contains("goroutine-seed-method"), "{e}");
    }
}
