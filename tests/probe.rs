//! The probe protocol (`scripts/probe-protocol.md`) and its rows: a fake probe, a shell script that answers the
//! protocol with made-up figures, passes every experiment when it is honest and fails the run whenever it lies
//! about a count; and the `java-vthread` row against a real JDK 21+, whose tests skip with a line without one
//! (and fail under `TASKBENCH_REQUIRE_ALL=1`, as in CI).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use taskbench::harness::experiments::memory_holding;
use taskbench::limits::{check, max_tasks, Limit, Needs, Snapshot};
use taskbench::measure::{MemoryKind, MemoryObserver};
use taskbench::models::probe::build::probes_dir;
use taskbench::models::probe::erlang::{self, MAX_PROCESSES};
use taskbench::models::probe::java::{self, feature_version, find_jdk, JAVA_MISSING};
use taskbench::models::probe::{Language, ProbeModel, Toolchain};
use taskbench::models::{by_name, MemorySource, NoObserver, Observer, SpawnSite, TaskModel};

mod common;
mod machine;

/// A probe that answers every request with figures made up from N: honest unless `$FAKE_LIE` names a count to
/// get wrong by one, or `die`, `hang` or `word` (a reply with the wrong first word) at `spawn`.
const FAKE_PROBE: &str = r#"# taskbench's fake probe (tests/probe.rs)
lie() { if [ "$FAKE_LIE" = "$1" ]; then echo $(($2 + ${3:--1})); else echo "$2"; fi; }
echo "hello fake=yes pid=$$"
n=0; h=0
while read -r cmd count rest; do
  hold=0; k=0; limit=
  for kv in $rest; do
    case "$kv" in hold=*) hold=${kv#hold=};; laps=*|yields=*) k=${kv#*=};; limit_ms=*) limit=${kv#limit_ms=};; esac
  done
  case "$cmd" in
    parked) [ -n "$limit" ] || { echo "error parked without limit_ms"; continue; }
            n=$count; h=$hold; echo "baseline heap=1000 stack=4096";;
    spawn) case "$FAKE_LIE" in die) echo "fake probe dies" >&2; exit 7;; hang) sleep 5;; esac
           word=parked; [ "$FAKE_LIE" = word ] && word=parkd
           echo "$word spawn_ns=$((n * 100 + 1)) arrived=$(lie arrived $n) heap=$((1000 + n * 600)) stack=$((4096 + n * 2048))";;
    release) echo "joined finished=$(lie finished $n) held=$(lie held $((n * h * 90)))";;
    abort) echo "aborted finished=0";;
    spawn_join) echo "spawn_join ns=$((count * 100 + 1)) finished=$(lie spawn_join $count)";;
    handoff) echo "handoff ns=$((count * k * 100 + 1)) handoffs=$(lie handoffs $((count * k))) out_of_order=$(lie out_of_order 0 1) finished=$(lie ring_finished $count)";;
    yield) echo "yield ns=$((count * k * 100 + 1)) yields=$(lie yields $((count * k))) finished=$(lie yield_finished $count)";;
    *) echo "error unexpected request $cmd";;
  esac
done
"#;

const SCRIPT: &str = "fake-probe.sh";

static FAKE: Language = Language {
    name: "fake-probe",
    tasks: "fake tasks",
    source_dir: |tc| tc.path.clone(),
    is_source: |name| name == SCRIPT,
    find: || Err("the fake probe is given its toolchain".into()),
    build: |_, src, out| std::fs::copy(src.join(SCRIPT), out.join(SCRIPT)).map(|_| ()).map_err(|e| e.to_string()),
    built: SCRIPT,
    command: |_, dir| {
        let mut cmd = Command::new("/bin/sh");
        cmd.arg(dir.join(SCRIPT));
        cmd
    },
    hello: &["fake"],
    config: |h, hash| format!("fake {} (probe {hash})", h.get("fake")),
    caveat: "a fake",
    spawn_site: SpawnSite::Inside,
    needs: Needs {
        maps_per_task: 0,
        threads_per_task: 0,
        bytes_per_task: 1024,
        in_child_process: true,
        runtime_cap: None,
    },
};

/// The fake probe's source folder, under target/ (written atomically: tests write it at once).
fn fake_source() -> PathBuf {
    let dir = probes_dir().join("fake-probe-src");
    std::fs::create_dir_all(&dir).unwrap();
    let thread = format!("{:?}", std::thread::current().id()).replace(['(', ')'], "");
    let tmp = dir.join(format!("{SCRIPT}.{}-{thread}", std::process::id()));
    std::fs::write(&tmp, FAKE_PROBE).unwrap();
    std::fs::rename(&tmp, dir.join(SCRIPT)).unwrap();
    dir
}

/// The fake probe's row, lying about `lie` (`""`: honest).
fn fake(lie: &str) -> ProbeModel {
    let env = vec![("FAKE_LIE".to_string(), lie.into())];
    let tc = Toolchain { path: fake_source(), version: "1".into(), version_line: "fake 1".into(), env };
    ProbeModel::with_toolchain(&FAKE, tc)
}

fn per_task(model: &ProbeModel, n: usize, kind: MemoryKind) -> f64 {
    let mut observer = MemoryObserver::new(kind);
    model.run_parked(n, &mut observer).unwrap_or_else(|e| panic!("{kind:?}: {e:#}"));
    observer.per_task(n).unwrap()
}

fn err(r: Result<impl std::fmt::Debug>) -> String {
    format!("{:#}", r.expect_err("the run fails"))
}

/// Fails on: a protocol client that misreads a reply (the figures are the fake's exactly), the stack figure
/// dropped, or a build that is not kept once per source.
#[test]
fn an_honest_fake_probe_passes_every_experiment_with_its_figures() {
    let model = fake("");
    model.available().expect("the fake builds");
    let run = model.run_parked(1000, &mut NoObserver).unwrap();
    assert_eq!((run.parked, run.spawn_time), (1000, Duration::from_nanos(100_001)));
    assert_eq!(per_task(&model, 1000, MemoryKind::Heap), 600.0);
    assert_eq!(per_task(&model, 1000, MemoryKind::RuntimeStacks), 2048.0);
    model.run_holding(100, 4096, &mut NoObserver).unwrap();
    assert_eq!(model.run_spawn_join(50).unwrap(), Duration::from_nanos(5001));
    assert_eq!(model.run_handoff(3, 4).unwrap(), Duration::from_nanos(1201));
    assert_eq!(model.run_yield(5, 6).unwrap(), Duration::from_nanos(3001));
    let build = model.probe_build().expect("a build");
    assert_eq!((build.hash.len(), build.toolchain.as_str()), (16, "fake 1"));
    assert_eq!(model.config(), format!("fake yes (probe {})", build.hash));
    assert!(model.probe().unwrap().dir.join(SCRIPT).is_file());
    let e = err(model.run_holding(10, 100, &mut NoObserver));
    assert!(e.contains("not one of the state sizes"), "{e}");
}

/// The issue's test: a probe that lies about one count, each in turn, fails the run that reads it.
#[test]
fn a_fake_probe_that_lies_about_a_count_fails_the_run() {
    type Run = fn(&ProbeModel) -> Result<Duration>;
    let parked: Run = |m| m.run_parked(1000, &mut NoObserver).map(|r| r.spawn_time);
    let cases: [(&str, Run, &str); 9] = [
        ("arrived", parked, "999 fake tasks parked, expected exactly 1000"),
        ("finished", parked, "expected exactly 1000 fake tasks; 1000 parked and 999 finished"),
        ("held", |m| m.run_holding(1000, 64, &mut NoObserver).map(|r| r.spawn_time), "read back 5759999"),
        ("spawn_join", |m| m.run_spawn_join(1000), "999 trivial fake tasks ran, expected exactly 1000"),
        ("handoffs", |m| m.run_handoff(4, 5), "19 happened, 0 of them out of order"),
        ("out_of_order", |m| m.run_handoff(4, 5), "1 of them out of order"),
        ("ring_finished", |m| m.run_handoff(4, 5), "3 of 4 fake tasks finished"),
        ("yields", |m| m.run_yield(5, 6), "5 finished, 29 yields"),
        ("yield_finished", |m| m.run_yield(5, 6), "4 finished, 30 yields"),
    ];
    for (lie, run, says) in cases {
        let e = err(run(&fake(lie)));
        assert!(e.contains(says), "lying about {lie}: {e}");
        // The same run of an honest probe passes: it is the lie that fails it.
        run(&fake("")).unwrap_or_else(|e| panic!("honest, for {lie}: {e:#}"));
    }
}

/// Fails on: a lying probe kept as the long-lived server, or a memory observer fed the lie.
#[test]
fn a_probe_that_lied_is_replaced_and_its_memory_never_observed() {
    let model = fake("spawn_join");
    let first = model.hello().unwrap().pid;
    model.run_spawn_join(10).unwrap_err();
    let second = model.hello().unwrap().pid;
    assert_ne!(first, second, "the lying probe was dropped and a fresh one started");

    let mut seen = common::Calls::default();
    fake("arrived").run_parked(1000, &mut seen).unwrap_err();
    assert_eq!(seen.0, ["before_spawn"], "all_parked saw a run where not every task parked");
}

/// Fails on: a probe that dies, hangs or answers the wrong word passing, or its error losing the cause.
#[test]
fn a_probe_that_dies_hangs_or_misspeaks_fails_with_the_cause() {
    let e = err(fake("die").run_parked(10, &mut NoObserver));
    assert!(e.contains("its output ended") && e.contains("fake probe dies"), "{e}");
    let e = err(fake("word").run_parked(10, &mut NoObserver));
    assert!(e.contains("got `parkd") && e.contains("expected `parked ...`"), "{e}");
    // The hung probe, in a process of this test binary whose waits are cut to 2 s.
    let out = common::rerun_ignored(
        "child_waits_for_a_hung_probe",
        &[("TASKBENCH_WAIT_LIMIT_S", "2"), ("TASKBENCH_PROBE_CHILD", "1")],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.contains("1 passed"), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
#[ignore = "run by a_probe_that_dies_hangs_or_misspeaks_fails_with_the_cause, with 2 s waits"]
fn child_waits_for_a_hung_probe() {
    if std::env::var_os("TASKBENCH_PROBE_CHILD").is_none() {
        return;
    }
    let start = Instant::now();
    let e = err(fake("hang").run_parked(10, &mut NoObserver));
    assert!(e.contains("no reply to `spawn nomem` within 2"), "{e}");
    assert!(start.elapsed() < Duration::from_secs(5), "the wait limit held: {:?}", start.elapsed());
}

/// True when a JDK 21+ is found; otherwise prints a skip line (or panics under `TASKBENCH_REQUIRE_ALL=1`).
fn java_present(test: &str) -> bool {
    match java::MODEL.available() {
        Ok(()) => true,
        Err(e) if e.starts_with(JAVA_MISSING) => {
            machine::skip(&format!("probe::{test}"), &e);
            false
        }
        Err(e) => panic!("a JDK 21+ is here but the java-vthread probe is unavailable: {e}"),
    }
}

/// A clock reading for `n` tasks that could be true: at least 1 ns each, at most the call's wall time.
fn assert_plausible(what: &str, clock: Duration, n: usize, wall: Duration) {
    assert!(clock >= Duration::from_nanos(n as u64) && clock <= wall, "{what}: {clock:?} for {n}, call took {wall:?}");
}

#[derive(Default)]
struct Recorder {
    heap: Vec<u64>,
    pid: Vec<Option<u32>>,
    stack: Vec<Option<u64>>,
    fail: bool,
}

impl Observer for Recorder {
    fn before_spawn(&mut self, m: &dyn MemorySource) -> Result<()> {
        self.all_parked(m)?;
        if self.fail {
            bail!("observer refused");
        }
        Ok(())
    }
    fn all_parked(&mut self, m: &dyn MemorySource) -> Result<()> {
        self.heap.push(m.heap_bytes().unwrap());
        self.pid.push(m.pid());
        self.stack.push(m.stack_bytes());
        Ok(())
    }
}

/// Fails on: a JVM heap figure that misses the parked threads (their stack chunks, thread objects and queue
/// nodes: a few hundred bytes to a few KiB each), a stack figure where the JVM has none, or the tasks in this
/// process; and on a failed observer that breaks the next run.
#[test]
fn java_parked_virtual_threads_are_in_the_jvms_heap() {
    if !java_present("java_parked_virtual_threads_are_in_the_jvms_heap") {
        return;
    }
    let (n, start) = (2000, Instant::now());
    let mut rec = Recorder::default();
    let run = java::MODEL.run_parked(n, &mut rec).unwrap_or_else(|e| panic!("{e:#}"));
    assert_plausible("spawn", run.spawn_time, n, start.elapsed());
    let per_task = (rec.heap[1] as f64 - rec.heap[0] as f64) / n as f64;
    eprintln!("java-vthread: {per_task:.0} B of heap per parked virtual thread");
    assert!((200.0..=4096.0).contains(&per_task), "{per_task} B of heap per parked virtual thread");
    assert_eq!(rec.stack, [None, None], "the JVM keeps no stack figure apart from its heap");
    assert!(rec.pid[0].is_some() && rec.pid[0] == rec.pid[1] && rec.pid[0] != Some(std::process::id()));
    let rss = taskbench::measure::rss::of_process(rec.pid[0].unwrap());
    assert!(rss.is_err(), "a memory run's JVM is gone once the run returns: {rss:?}");

    let mut failing = Recorder { fail: true, ..Recorder::default() };
    let e = err(java::MODEL.run_parked(100, &mut failing));
    assert!(e.contains("observer refused"), "{e}");
    java::MODEL.run_parked(100, &mut NoObserver).unwrap();
    java::MODEL.run_parked(0, &mut Recorder::default()).unwrap();
}

/// Fails on: a hold the probe ignores or keeps off the heap (a byte[K] is K bytes and a 16 B header), or the
/// sum read back after release going unchecked. The holding task's parked frames are not the plain one's (seen
/// at this N, warm: 728 B at K = 0, K + 16 B and 170 to 270 B more at K = 4096 and 16384), hence the 512 B band.
#[test]
fn java_tasks_holding_k_bytes_hold_a_byte_array_each() {
    if !java_present("java_tasks_holding_k_bytes_hold_a_byte_array_each") {
        return;
    }
    let n = 5000;
    let base = memory_holding(&java::MODEL, n, 0, MemoryKind::Heap).unwrap();
    for k in [4096, 16384] {
        let grew = memory_holding(&java::MODEL, n, k, MemoryKind::Heap).unwrap() - base;
        eprintln!("java-vthread holding {k} B: heap +{grew:.0} B each over K = 0");
        let band = k as f64 - 512.0..=k as f64 + 512.0;
        assert!(band.contains(&grew), "holding {k} B grew the heap by {grew} B each over K = 0");
    }
}

#[test]
fn java_spawn_join_handoff_and_yield_are_timed_and_counted() {
    if !java_present("java_spawn_join_handoff_and_yield_are_timed_and_counted") {
        return;
    }
    for n in [1000, 10] {
        let wall = Instant::now();
        let t = java::MODEL.run_spawn_join(n).unwrap_or_else(|e| panic!("{e:#}"));
        assert_plausible("spawn-join", t, n, wall.elapsed());
    }
    for (n, laps) in [(2, 500), (100, 3)] {
        let wall = Instant::now();
        let t = java::MODEL.run_handoff(n, laps).unwrap_or_else(|e| panic!("ring of {n}: {e:#}"));
        assert_plausible("handoff", t, n * laps, wall.elapsed());
    }
    let wall = Instant::now();
    let t = java::MODEL.run_yield(50, 20).unwrap_or_else(|e| panic!("{e:#}"));
    assert_plausible("yield", t, 50 * 20, wall.elapsed());
}

#[test]
fn java_config_names_the_jdk_its_carriers_and_the_readings_heap_sizing() {
    if !java_present("java_config_names_the_jdk_its_carriers_and_the_readings_heap_sizing") {
        return;
    }
    let toolchain = java::MODEL.probe_build().expect("a built probe").toolchain;
    assert!(feature_version(&toolchain).is_some_and(|v| v >= 21), "{toolchain}");
    let config = java::MODEL.config();
    assert!(config.starts_with("JDK ") && config.contains("carrier threads") && config.contains("GC"), "{config}");
    assert!(config.contains("LockSupport.park/unpark"), "{config}");
    // The probe found HotSpot's flags and shrinks the heap at its memory readings (else its RSS is G1's slack).
    assert!(config.contains("full GC keeping 10% of the heap free"), "{config}");
    assert_eq!(by_name("java-vthread").map(|m| m.name()), Some("java-vthread"), "in the registry");
    assert!(java::MODEL.needs().in_child_process);
}

/// A fake JDK home: `bin/java` prints `version` as `java -version` does; `bin/javac` unless `jre`.
fn fake_jdk(root: &Path, name: &str, version: &str, jre: bool) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let home = root.join(name);
    std::fs::create_dir_all(home.join("bin")).unwrap();
    let java = home.join("bin/java");
    std::fs::write(&java, format!("#!/bin/sh\necho 'openjdk version \"{version}\" 2026-01-01' >&2\n")).unwrap();
    std::fs::set_permissions(&java, std::fs::Permissions::from_mode(0o755)).unwrap();
    if !jre {
        std::fs::write(home.join("bin/javac"), "").unwrap();
    }
    home
}

/// Fails on: an old JDK taken, JAVA_HOME not first, a runtime without javac taken, the newest of the JDK
/// folder not chosen, or a missing JDK whose line does not say how to get one.
#[test]
fn the_jdk_is_java_home_then_path_then_the_newest_21_plus_in_the_jvm_folder() {
    let root = tempfile::tempdir().unwrap();
    let jvm = root.path().join("jvm");
    let old = fake_jdk(&jvm, "jdk-17", "17.0.15", false);
    let jdk21 = fake_jdk(&jvm, "jdk-21", "21.0.9", false);
    fake_jdk(&jvm, "jdk-25", "25.0.3", false);
    fake_jdk(&jvm, "jre-26", "26", true);
    let no_path = std::ffi::OsStr::new("/nonexistent");
    let home = |tc: Result<Toolchain, String>| tc.unwrap().path.file_name().unwrap().to_string_lossy().to_string();

    assert_eq!(home(find_jdk(Some(jdk21.as_os_str()), no_path, &jvm)), "jdk-21");
    assert_eq!(home(find_jdk(Some(old.as_os_str()), no_path, &jvm)), "jdk-25");
    assert_eq!(home(find_jdk(None, old.join("bin").as_os_str(), &jvm)), "jdk-25");
    assert_eq!(home(find_jdk(None, jdk21.join("bin").as_os_str(), &jvm)), "jdk-21");
    let tc = find_jdk(None, no_path, &jvm).unwrap();
    assert_eq!((tc.version.as_str(), tc.version_line.as_str()), ("25.0.3", "openjdk version \"25.0.3\" 2026-01-01"));

    let e = java::jdk_at(&jvm.join("jre-26")).unwrap_err();
    assert!(e.contains("no javac"), "{e}");
    let only_old = root.path().join("old");
    let old = fake_jdk(&only_old, "jdk-17", "17.0.15", false);
    let e = find_jdk(Some(old.as_os_str()), no_path, &only_old).unwrap_err();
    assert!(e.starts_with(JAVA_MISSING) && e.contains("is JDK 17"), "{e}");
    assert!(e.contains("apt-get install openjdk-21-jdk-headless") && e.contains("set JAVA_HOME"), "{e}");
}

#[test]
fn feature_versions_read_old_and_new_version_strings() {
    assert_eq!(feature_version("java version \"1.8.0_402\""), Some(8));
    assert_eq!(feature_version("openjdk version \"25.0.3\" 2026-04-21 LTS"), Some(25));
    assert_eq!(feature_version("openjdk version \"21\" 2023-09-19"), Some(21));
    assert_eq!(feature_version("openjdk version \"26-ea\" 2026-03-17"), Some(26));
    assert_eq!(feature_version("no version here"), None);
}

/// Fails on: an erlang cell with more processes than the `+P` the row starts BEAM with reaching the probe (which
/// refuses it) instead of being skipped by the preflight with one line naming the limit and how to raise it;
/// or the preflight's cap and the VM's `+P` drifting apart.
#[test]
fn erlang_cells_past_beams_process_limit_are_skipped_by_the_preflight() {
    let needs = by_name("erlang").expect("in the registry").needs();
    // A machine where no kernel limit binds and memory holds 10^7 processes at 8 KiB each, with half kept free.
    let big = Snapshot { mem_available_bytes: Some(1 << 40), ..Snapshot::default() };
    assert_eq!(check(&needs, 1_000_000, &big), Ok(()), "10^6, the default N, fits");
    let short = check(&needs, 10_000_000, &big).expect_err("10^7 processes do not fit +P");
    assert!(matches!(short.limit, Limit::Runtime(_)), "{short:?}");
    let line = short.to_string();
    assert!(line.contains("needs 10000000 processes but BEAM's process limit +P = 2097152"), "{line}");
    assert!(line.contains("raise MAX_PROCESSES") && line.contains("src/models/probe/erlang.rs"), "{line}");
    let (most, limit) = max_tasks(&needs, &big).unwrap();
    assert!(matches!(limit, Limit::Runtime(_)) && most < u64::from(MAX_PROCESSES) - 64, "{most} {limit:?}");

    let tc = Toolchain { path: "/otp/bin".into(), version: "25".into(), version_line: String::new(), env: Vec::new() };
    let cmd = (erlang::ERLANG.command)(&tc, Path::new("/probe"));
    let args: Vec<String> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
    let plus_p = args.iter().position(|a| a == "+P").map(|i| args[i + 1].parse::<u64>().unwrap());
    assert_eq!(plus_p, needs.runtime_cap.map(|cap| cap.value), "the cap is the +P of `{args:?}`");
}
