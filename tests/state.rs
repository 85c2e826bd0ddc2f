//! The state groups' plumbing: which K a task's stack holds, the one N a row runs at every K, and a group run
//! through the suite's real Criterion path (ids end in K, N reaches every sample and the records, a K the
//! stack cannot hold is skipped with its reason).

mod common;

use std::cell::RefCell;
use std::time::{Duration, SystemTime};

use anyhow::Result;
use taskbench::catalogue;
use taskbench::harness::criterion_setup::Runners;
use taskbench::harness::runner::Matrix;
use taskbench::harness::settings::Filter;
use taskbench::harness::state::{state_tasks, STATE_MAX_N};
use taskbench::harness::{run_group_with, GroupSpec};
use taskbench::limits::{Needs, Snapshot};
use taskbench::models::{
    self, registry, state_fits, NoObserver, Observer, ParkedRun, SpawnSite, TaskModel, TaskStack, STATE_SIZES,
};
use taskbench::record::{read_cells, CellLog};

/// The sizes each row's stack holds under the 2·K + 2 KiB rule, on any machine whose glibc minimum for a
/// thread stack (thread-16k's) lies between 10 KiB and 34 KiB: may's 32 KiB stack skips 16 KiB, may-4k's
/// skips 4 KiB and up, thread-16k skips 16 KiB; stackless tasks and goroutines (whose stacks grow) hold all.
#[test]
fn a_tasks_own_stack_holds_the_sizes_that_fit_and_names_the_rest() {
    let holds = |name: &str| -> &[usize] {
        match name {
            "may" | "thread-16k" => &[0, 64, 512, 4096],
            "may-4k" => &[0, 64, 512],
            _ => &STATE_SIZES,
        }
    };
    if std::env::var_os("RUST_MIN_STACK").is_some() {
        eprintln!("RUST_MIN_STACK is set: thread's default stack is what it says, the test still applies to the rest");
    }
    for model in registry() {
        let stack = model.stack().map(|s| s.bytes);
        for k in STATE_SIZES {
            let fits = state_fits(model, k);
            assert_eq!(fits.is_ok(), holds(model.name()).contains(&k), "{} holding {k} B: {fits:?}", model.name());
            if let Err(why) = fits {
                let bytes = stack.expect("only a task with a stack of its own can fail to hold its state");
                for part in [format!("holding {k} B"), format!("{} B", 2 * k + 2048), format!("is {bytes} B")] {
                    assert!(why.contains(&part), "{}: {why:?} lacks {part:?}", model.name());
                }
            }
        }
    }
    let may = registry().into_iter().find(|m| m.name() == "may").unwrap();
    assert_eq!(may.stack().map(|s| s.bytes), Some(32 << 10));
}

/// A size the stack cannot hold is refused before anything starts (may's stack size is process-wide: a
/// may-4k that started here would leave may unavailable), and a size outside the list is refused.
#[test]
fn run_holding_refuses_a_state_its_stack_cannot_hold_or_an_unknown_size() {
    let model = |name: &str| registry().into_iter().find(|m| m.name() == name).unwrap();
    let e = format!("{:#}", model("may-4k").run_holding(10, 4096, &mut NoObserver).unwrap_err());
    assert!(e.contains("holding 4096 B on a task's stack"), "{e}");
    assert!(model("may").available().is_ok(), "may-4k started may");
    let e = format!("{:#}", model("floor").run_holding(10, 100, &mut NoObserver).unwrap_err());
    assert!(e.contains("not one of the state sizes"), "{e}");
}

/// A machine whose only limits are `vm.max_map_count` and plenty of memory.
fn machine(max_map_count: u64) -> Snapshot {
    Snapshot {
        max_map_count: Some(max_map_count),
        maps_in_use: 100,
        mem_available_bytes: Some(64 << 30),
        ..Snapshot::default()
    }
}

const THREAD: Needs = Needs {
    maps_per_task: 4,
    threads_per_task: 1,
    bytes_per_task: 80 << 10,
    in_child_process: false,
    runtime_cap: None,
};

/// N is 95% of the largest that fits with the preflight's margin, in whole thousands (so a limit that moves a
/// little between the row's cells does not skip its later Ks), never above the cap, and a row that fits
/// fewer than 1000 is refused with the binding limit.
#[test]
fn a_state_row_runs_nearly_the_largest_n_that_fits_up_to_the_cap() {
    let snap = machine(65530);
    // (65530 - 100 in use) / 10 * 9 = 58,887, less the 512 reserved: 58,375 mappings, 4 a thread: 14,593
    // threads fit; 95% of that is 13,863, in whole thousands 13,000 (memory holds far more).
    assert_eq!(state_tasks(&THREAD, 16384, STATE_MAX_N, &snap).unwrap(), 13_000);
    assert_eq!(state_tasks(&THREAD, 16384, 10_000, &snap).unwrap(), 10_000, "TASKBENCH_N caps it");
    assert_eq!(state_tasks(&Needs::STACKLESS, 16384, STATE_MAX_N, &snap).unwrap(), STATE_MAX_N);
    let short = state_tasks(&THREAD, 0, STATE_MAX_N, &machine(3000)).unwrap_err();
    assert!(short.to_string().contains("vm.max_map_count"), "{short}");
}

/// A fake model with a stack of its own (or none): every run "succeeds" at once.
struct Stacked {
    name: &'static str,
    stack: Option<u64>,
}

impl TaskModel for Stacked {
    fn name(&self) -> &'static str {
        self.name
    }
    fn config(&self) -> String {
        format!("fake {}", self.name)
    }
    fn spawn_site(&self) -> SpawnSite {
        SpawnSite::Outside
    }
    fn needs(&self) -> Needs {
        Needs::STACKLESS
    }
    fn run_parked(&self, n: usize, _: &mut dyn Observer) -> Result<ParkedRun> {
        Ok(ParkedRun { spawn_time: Duration::from_nanos(1), parked: n })
    }
    fn run_spawn_join(&self, _: usize) -> Result<Duration> {
        Ok(Duration::from_nanos(1))
    }
    fn run_holding(&self, n: usize, _: usize, observer: &mut dyn Observer) -> Result<ParkedRun> {
        self.run_parked(n, observer)
    }
    fn stack(&self) -> Option<TaskStack> {
        self.stack.map(|bytes| TaskStack { bytes, bigger: "a bigger fake".into() })
    }
}

static SMALL: Stacked = Stacked { name: "small", stack: Some(4096) };
static STACKLESS: Stacked = Stacked { name: "stackless", stack: None };

const STATE: GroupSpec = GroupSpec { state_sizes: Some(&[0, 64, 4096]), ..GroupSpec::of(&catalogue::STATE_RSS) };

/// Fails on: ids that end in N instead of K, a sample told no N or another N than the row's, N missing from
/// the records or the configuration, and a K the stack cannot hold measured instead of skipped with its reason.
#[test]
fn a_state_group_runs_one_n_per_row_at_every_k_and_skips_what_a_stack_cannot_hold() {
    let t = common::target();
    let mut c = Runners {
        plots: common::quick(&t.criterion),
        no_plots: Some(common::quick(&t.criterion).without_plots()),
        criterion_home: t.criterion.clone(),
    };
    let mut log = CellLog::new(t.criterion.clone(), t.records.clone(), SystemTime::now());
    let asked = RefCell::new(Vec::new());
    let models: [&'static dyn TaskModel; 2] = [&SMALL, &STACKLESS];
    // TASKBENCH_N=1000,5000: the largest caps N.
    let matrix = Matrix {
        n_values: vec![1000, 5000],
        models: models.to_vec(),
        extra: Vec::new(),
        filter: Filter::from_args(Vec::new()),
    };
    run_group_with(&mut c, &STATE, &matrix, &mut log, |id: &str, n: Option<usize>, iters: u64| {
        asked.borrow_mut().push((id.to_string(), n));
        std::thread::sleep(Duration::from_micros(200));
        Ok(100.0 * iters as f64)
    });
    let asked = asked.into_inner();
    for (id, n) in &asked {
        assert_eq!(*n, Some(5000), "{id}");
        assert!(!id.ends_with("/4096") || !id.contains("/small/"), "{id} was measured");
    }
    for id in ["state_rss/small/0", "state_rss/small/64", "state_rss/stackless/4096"] {
        assert!(asked.iter().any(|(a, _)| a == id), "{id} not measured: {asked:?}");
    }
    let cells = read_cells(&t.records).unwrap();
    assert_eq!(cells.len(), 6, "{cells:?}");
    for cell in &cells {
        assert_eq!(cell.tasks, Some(5000), "{}", cell.id);
        assert!(cell.config.contains("N = 5000 tasks at every K"), "{}: {}", cell.id, cell.config);
        assert!(
            t.criterion.join("state_rss").join(&cell.model).join(cell.n.to_string()).is_dir() || cell.skipped.is_some()
        );
    }
    let skipped: Vec<_> = cells.iter().filter(|c| c.skipped.is_some()).collect();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].id, "state_rss/small/4096");
    let why = skipped[0].skipped.as_deref().unwrap();
    assert!(why.contains("needs 2·K + 2 KiB = 10240 B") && why.contains("is 4096 B; a bigger fake"), "{why}");
    assert!(models::stack_to_hold(4096) > 4096);
}
