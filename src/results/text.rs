//! What `compare` and `report` show of a [`Table`], as [`Block`]s: the runs, the machine and configuration
//! differences, the caveats, then per group each run's value and ratio, the notes and skips, and the legend.
//! `compare` writes them as text or Markdown ([`render`]); `report` adds charts and links in HTML.

use std::collections::BTreeMap;

use super::format::{human, plus_minus_pct, thousands, unique};
use super::noise::Basis;
use super::page::{self, Block, Cell, Format};
use super::table::{marked, ratio_cell, tasks_line, GroupTable, Row, Table, MACHINE_MARK, PAIRED_TO, REAL_MARK};
use crate::catalogue::KERNEL;

/// A comparison as text or Markdown.
pub fn render(c: &Table, format: Format) -> String {
    page::write(&blocks(c, &BTreeMap::new(), &BTreeMap::new(), &|_, _| {}), format)
}

/// Links to Criterion's pages by (run, cell id), and a colour per model, for the report's tables.
pub type Links = BTreeMap<(usize, String), String>;

/// Every block of the comparison; `more` adds to a group's blocks (the report's chart and links).
pub fn blocks(
    c: &Table,
    links: &Links,
    colors: &BTreeMap<String, String>,
    more: &dyn Fn(&GroupTable, &mut Vec<Block>),
) -> Vec<Block> {
    let mut o = vec![Block::Heading("Runs".into(), String::new())];
    o.push(Block::List(
        (c.runs.iter())
            .map(|r| {
                let (l, label, path, date) = (&r.letter, &r.label, &r.path, &r.date);
                let build = r.builds.describe();
                format!("**{l}**: `{label}` ({path}), saved {date}. Machine: {}. Build: {build}.", r.machine)
            })
            .collect(),
    ));
    o.extend(machine_reference(c));
    let letters = c.runs.iter().map(|r| r.letter.clone());
    if c.runs.len() > 1 {
        o.push(Block::Heading("Machine differences".into(), "read these before the numbers".into()));
        if !c.machine_diffs.is_empty() {
            let rows = c.machine_diffs.iter().map(|(f, v)| [f].into_iter().chain(v).map(|s| s.clone().into()));
            let head = ["field".to_string()].into_iter().chain(letters.clone()).collect();
            o.push(Block::Table(page::Table { head, rows: rows.map(Vec::from_iter).collect(), right: 0..0 }));
        }
        let none = if c.machine_diffs.is_empty() { "None. " } else { "" };
        o.push(Block::Para(format!("{none}The same in every run: {}.", c.same_fields())));
    }
    let (title, configs) = if c.runs.len() > 1 {
        let each = |v: &Vec<String>| {
            let per_run = letters.clone().zip(v).map(|(l, cfg)| format!("{l}: `{cfg}`"));
            per_run.collect::<Vec<_>>().join("; ")
        };
        ("Model configuration differences", c.config_diffs.iter().map(|(m, v)| format!("{m}: {}", each(v))).collect())
    } else {
        ("Models", c.configs.iter().map(|(m, cfg)| format!("{m}: `{cfg}`")).collect::<Vec<_>>())
    };
    if !configs.is_empty() {
        o.extend([Block::Heading(title.into(), String::new()), Block::List(configs)]);
    }
    if !c.caveats.is_empty() {
        o.push(Block::Heading("Caveats".into(), String::new()));
        o.push(Block::List(c.caveats.iter().map(|(m, cav)| format!("**{m}**: {cav}")).collect()));
    }
    for g in &c.groups {
        let mut own = group(c, g, links, colors);
        more(g, &mut own);
        o.extend(own);
        if g.group.name == KERNEL.name {
            totals(c, &mut o);
        }
    }
    o.extend([Block::Heading("Legend".into(), String::new()), Block::Para(c.legend())]);
    o
}

/// Each run's machine-speed reference and, from run B on, how far it moved from run A's: what a timing cell's
/// change is to be read against. Nothing when no run has one.
fn machine_reference(c: &Table) -> Vec<Block> {
    if c.runs.iter().all(|r| r.reference.is_none()) {
        return Vec::new();
    }
    let first = c.runs[0].reference;
    let items = c.runs.iter().enumerate().map(|(i, r)| match (r.reference, first) {
        (None, _) => format!("**{}**: none (saved before taskbench read a machine reference)", r.letter),
        (Some(this), Some(a)) if i > 0 => {
            format!("**{}**: {}; **{}/A: {}**", r.letter, this.describe(), r.letter, this.moved_from(&a).describe())
        }
        (Some(this), _) => format!("**{}**: {}", r.letter, this.describe()),
    });
    vec![
        Block::Heading("Machine reference".into(), "how fast the machine was in each run".into()),
        Block::List(items.collect()),
        Block::Para(format!("{MACHINE_REFERENCE_NOTE} {MACHINE_MARK} after {REAL_MARK}.")),
    ]
}

/// What the machine reference is, under its list.
const MACHINE_REFERENCE_NOTE: &str = "A fixed single-threaded workload and a cross-core wake (one thread waking \
     another and waiting for its reply), read at the start of every round of the interleaved timing groups: \
     the medians of those readings. Between runs, a timing cell's change that lies within what these moved \
     (widened by the minimum effect) may be the machine's, not the model's; such a ratio carries";

/// A group: what its value is, the table (a run's paired ratios to the floor and tokio-ct beside its value
/// where some run's samples are round-aligned), the wall times, the readings' notes and the skips.
fn group(c: &Table, g: &GroupTable, links: &Links, colors: &BTreeMap<String, String>) -> Vec<Block> {
    let (unit, x, paired) = (g.group.short_unit(), g.group.axis.letter(), g.interleaved.iter().any(|&i| i));
    let mut o =
        vec![Block::Heading(g.group.name.into(), format!("{unit}, lower is better")), Block::Para(g.value_is.clone())];
    o.extend(tasks_line(g).map(Block::Para));
    let mut head = vec!["model".to_string(), x.to_string()];
    for (i, r) in c.runs.iter().enumerate() {
        head.push(format!("{} ({unit})", r.letter));
        head.extend(PAIRED_TO.iter().filter(|_| paired).map(|to| format!("{} ×{to}", r.letter)));
        head.extend((i > 0).then(|| format!("{}/A", r.letter)));
    }
    let rows = g.rows.iter().map(|r| row_cells(r, g, paired, links, colors.get(&r.model))).collect();
    o.push(Block::Table(page::Table { head, rows, right: 1..usize::MAX }));
    if paired {
        o.push(Block::Para(format!(
            "×floor, ×tokio-ct: the median of the per-round ratios to the floor row and to the tokio-ct row at \
             the same {x}, with its 95% interval (samples taken in interleaved rounds); blank where a run has no \
             rounds or no such row."
        )));
    }
    let multi = c.runs.len() > 1;
    let walls = g.wall_seconds.iter().zip(&c.runs).filter_map(|(w, r)| Some((w.as_ref()?, &r.letter)));
    let walls: Vec<String> =
        walls.map(|(w, l)| if multi { format!("{w} s ({l})") } else { format!("{w} s") }).collect();
    if !walls.is_empty() {
        o.push(Block::Para(format!("Wall time of the bench runs: {}.", walls.join(", "))));
    }
    let notes = g.notes.iter().map(|(i, n)| format!("note{}: `{}`: {}", c.in_runs(&[*i]), n.id, n.note));
    let skips = g.skipped.iter().map(|(who, s)| format!("skipped{}: `{}`: {}", c.in_runs(who), s.id, s.reason));
    let items: Vec<String> = notes.chain(skips).collect();
    if !items.is_empty() {
        o.push(Block::List(items));
    }
    o
}

/// One row: model, x, then each run's value (`253 ns ±1.2%`: the median, half its interval, the flag; tip:
/// the bounds and why it is flagged), its paired ratios to the floor and tokio-ct (`3.00× (2.95–3.04)`) and
/// each later run's ratio (tip: the verdict).
fn row_cells(r: &Row, g: &GroupTable, paired: bool, links: &Links, color: Option<&String>) -> Vec<Cell> {
    let measures = g.group.measures;
    let mut out = vec![Cell { swatch: color.cloned(), ..r.model.clone().into() }, r.x.to_string().into()];
    for (i, cell) in r.cells.iter().enumerate() {
        out.push(cell.as_ref().map_or("—".to_string().into(), |c| {
            let v = c.per_task;
            let text = format!("{} {}", human(v.point, measures), plus_minus_pct(v.relative_half_width()));
            let bounds = format!("{} – {}", human(v.lower, measures), human(v.upper, measures));
            let tip = [bounds, c.flag_reasons(measures)].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>();
            let href = links.get(&(i, c.id.clone())).cloned();
            Cell { text: marked(text, c), tip: tip.join("; "), href, swatch: None }
        }));
        for runs in r.paired.iter().filter(|_| paired) {
            let ratio = runs[i].map(|p| format!("{:.2}× ({:.2}–{:.2})", p.median, p.low, p.high));
            out.push(ratio.unwrap_or_default().into());
        }
        if i > 0 {
            let verdict = |c: &super::table::Cell| Cell { tip: verdict_text(c), ..ratio_cell(c).into() };
            out.push(cell.as_ref().map_or("-".to_string().into(), verdict));
        }
    }
    out
}

/// The verdict behind a ratio: the test's p-value or the interval fallback, and the effect.
fn verdict_text(c: &super::table::Cell) -> String {
    let Some(v) = c.verdict else { return String::new() };
    let basis = match v.basis {
        Basis::MannWhitney { p } => format!("Mann–Whitney p = {p:.2e}"),
        Basis::Intervals { overlap } => {
            format!("no samples in one run; intervals {}overlap", if overlap { "" } else { "do not " })
        }
    };
    let (effect, min) = (v.effect * 100.0, v.min_effect * 100.0);
    let real = if v.real { "real" } else { "within noise" };
    format!("{real}: {basis}; medians differ by {effect:.1}% (minimum {min:.0}%)")
}

/// RSS plus the kernel's share per task, for every model and N with both, a column per run.
fn totals(c: &Table, o: &mut Vec<Block>) {
    let totals: Vec<_> = (0..c.runs.len()).map(|i| c.totals(i)).collect();
    let keys = unique(totals.iter().flatten().map(|t| (t.model.as_str(), t.n)));
    if keys.is_empty() {
        return;
    }
    let rows = keys.iter().map(|&(model, n)| {
        let cells = totals.iter().map(|run| match run.iter().find(|t| t.model == model && t.n == n) {
            Some(t) => format!("{} = {} + {}", thousands(t.bytes()), thousands(t.rss), thousands(t.kernel)),
            None => "—".to_string(),
        });
        [model.to_string(), thousands(n as f64)].into_iter().chain(cells).map(Cell::from).collect()
    });
    let head = ["model", "N"].map(String::from).into_iter();
    let head = head.chain(c.runs.iter().map(|r| format!("{}: RSS + kernel", r.letter))).collect();
    o.push(Block::Heading("RSS + kernel".into(), "B/task, lower is better".into()));
    o.push(Block::Para(
        "What a live task costs the machine in all: its resident bytes plus the kernel's stacks and page tables \
         (the medians of rss_per_task and kernel_per_task, added)."
            .into(),
    ));
    o.push(Block::Table(page::Table { head, rows: rows.collect(), right: 1..usize::MAX }));
}
