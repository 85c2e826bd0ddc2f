//! Every model in the registry: N parked tasks alive at once, then released and joined; N trivial tasks
//! run to completion; the runtime reused across runs. Counts are checked by the models themselves and
//! again here through the observer.

use anyhow::Result;
use taskbench::models::{registry, MemorySource, Observer};

const N: usize = 1000;

/// Records the order of the observer calls, which must be exactly: before_spawn, then all_parked.
#[derive(Default)]
struct Calls(Vec<&'static str>);

impl Observer for Calls {
    fn before_spawn(&mut self, _: &dyn MemorySource) -> Result<()> {
        self.0.push("before_spawn");
        Ok(())
    }
    fn all_parked(&mut self, _: &dyn MemorySource) -> Result<()> {
        self.0.push("all_parked");
        Ok(())
    }
}

#[test]
fn every_model_parks_n_tasks_at_once_then_joins_them() {
    for model in registry() {
        if let Err(why) = model.available() {
            eprintln!("SKIPPED {}: {why}", model.name());
            continue;
        }
        for round in 0..2 {
            let mut calls = Calls::default();
            let run =
                model.run_parked(N, &mut calls).unwrap_or_else(|e| panic!("{} round {round}: {e:#}", model.name()));
            assert_eq!(run.parked, N, "{}", model.name());
            assert_eq!(calls.0, ["before_spawn", "all_parked"], "{}", model.name());
            assert!(run.spawn_time > std::time::Duration::ZERO, "{}", model.name());
        }
    }
}

#[test]
fn every_model_runs_n_trivial_tasks_to_completion() {
    for model in registry() {
        if model.available().is_err() {
            continue;
        }
        for round in 0..2 {
            let elapsed = model.run_spawn_join(N).unwrap_or_else(|e| panic!("{} round {round}: {e:#}", model.name()));
            assert!(elapsed > std::time::Duration::ZERO, "{}", model.name());
        }
    }
}

/// An observer that fails must fail the run, and the tasks must still be released and joined (the next
/// run works).
#[test]
fn a_failing_observer_fails_the_run_without_leaking_parked_tasks() {
    struct Fails;
    impl Observer for Fails {
        fn all_parked(&mut self, _: &dyn MemorySource) -> Result<()> {
            anyhow::bail!("reading failed")
        }
    }
    for model in registry() {
        if model.available().is_err() {
            continue;
        }
        let err = model.run_parked(100, &mut Fails).expect_err(model.name());
        assert!(format!("{err:#}").contains("reading failed"), "{}: {err:#}", model.name());
        model
            .run_parked(100, &mut Calls::default())
            .unwrap_or_else(|e| panic!("{} after failure: {e:#}", model.name()));
    }
}

#[test]
fn model_names_are_unique_and_match_the_documented_ids() {
    let names: Vec<_> = registry().iter().map(|m| m.name()).collect();
    for expected in ["thread", "tokio-mt", "tokio-ct", "async-std", "smol", "may", "floor"] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len(), "duplicate model names in {names:?}");
}

#[test]
fn the_gate_holds_until_opened_and_counts_each_waiter_once() {
    use std::sync::Arc;
    use taskbench::gate::Rendezvous;
    let rv = Arc::new(Rendezvous::new());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let rv = rv.clone();
            std::thread::spawn(move || rv.park_blocking())
        })
        .collect();
    rv.arrived.wait(4, std::time::Duration::from_secs(30)).unwrap();
    rv.all_parked(4).unwrap();
    assert_eq!(rv.finished.count(), 0, "a waiter passed a closed gate");
    rv.gate.open();
    rv.finished.wait(4, std::time::Duration::from_secs(30)).unwrap();
    threads.into_iter().for_each(|t| t.join().unwrap());
    rv.check(4).unwrap();
    assert!(rv.check(5).is_err(), "a count mismatch must be an error");
    assert!(taskbench::gate::park_future_bytes() > 0);
}

#[test]
fn a_tally_that_never_reaches_its_target_times_out_with_the_count() {
    let tally = taskbench::gate::Tally::new();
    tally.add();
    let err = tally.wait(3, std::time::Duration::from_millis(50)).unwrap_err();
    assert!(err.to_string().contains("1 of 3"), "{err}");
}
