//! `java-vthread`: a Java virtual thread per task, run by `scripts/java-vthread/Probe.java` (one file, standard
//! library only), compiled once per source and JDK with that JDK's `javac` and run with its `java`, default
//! JVM flags (a memory reading's full GC aside, below).
//!
//! What is measured, inside the JVM with its own clock:
//! - heap: the JVM's used heap (`MemoryMXBean`) after `System.gc()`, a full collection, with all N virtual
//!   threads parked, less the same reading before the spawn. A parked virtual thread's frames are copied into
//!   a stack chunk on the Java heap, so its stack is in this figure; there is no separate stack figure.
//! - RSS and the kernel's share: read from outside, from the JVM's pid, as for every probe.
//! - spawn: `Thread.ofVirtual().start(task)` in a loop run inside a virtual thread (as Go's loop runs in its
//!   main goroutine); each task counts itself and waits on a gate (a one-shot AQS latch: one queue node per
//!   waiter), and the readings are taken once all N wait in its queue.
//! - holding K bytes: each task keeps a `byte[K]` across its park point, read back after release. It lives on
//!   the heap (Java has no arrays on the stack), referenced from the parked frame.
//! - handoff: a ring with a volatile slot per link; each virtual thread waits for its slot with
//!   `LockSupport.park` and passes the token on with `LockSupport.unpark`. yield: `Thread.yield()`, which in a
//!   virtual thread yields its carrier to the scheduler.
//!
//! Each fresh JVM first warms up before its baseline: 1,000 trivial tasks, 100 rounds of 1,000 tasks parked and
//! released (the measured path), then a wait until the JIT is idle; so that the classes are loaded, the
//! carriers up and the park path compiled, as in a warm program. A parked thread's stack chunk holds its frames
//! as they were when it parked: 1,984 B of interpreted frames, 384 B once C2 has compiled the path. After a
//! warm-up of 1,000 tasks the measured spawn raced the JIT, and the heap per task at 10^5 moved between 0.98
//! and 1.48 KB from run to run; now it reads 0.73 to 0.76 KB. Each memory reading is replied once the heap G1
//! shrank at its full GC is given back to the OS (G1 does so concurrently, ~100 ms later), so the warm-up's
//! garbage is out of RSS before the baseline is read. The full GC of a memory reading runs with
//! `MaxHeapFreeRatio=10` (a manageable flag, set for that collection only): under the default 70% how much heap
//! G1 kept committed and resident after it varied with the timing of the spawn's young collections, and the RSS
//! per task at 10^5 moved 0.9 to 1.4 KB from run to run; shrunk to its live data plus 10% it moves a few
//! percent. So the RSS figure is the tasks' memory with the heap sized to hold them, not G1's slack. The
//! experiments, and why the trivial tasks come first: `results/amd-epyc-2c-24g/experiments/2026-12-04-java-check/`
//! and `2026-12-05-java-rss-shrunk/`.
//!
//! The JDK is the first of `JAVA_HOME`, the `java` on `PATH` and (a convenience) the newest under
//! `/usr/lib/jvm` that is version 21 or newer and has `javac`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::build::{run_build, scripts_dir, Toolchain};
use super::{Hello, Language, ProbeModel};
use crate::limits::Needs;
use crate::models::SpawnSite;

/// The oldest JDK with virtual threads.
pub const MIN_VERSION: u32 = 21;

/// How [`crate::models::TaskModel::available`]'s line starts when no JDK 21+ is found.
pub const JAVA_MISSING: &str = "no JDK 21 or newer found";

/// What to do about it, at the end of that line.
pub const JAVA_HOW: &str = "install a JDK 21+ (e.g. `apt-get install openjdk-21-jdk-headless` where available, or \
                            Temurin from adoptium.net) or set JAVA_HOME to one, to include the java-vthread rows";

/// Where distributions install JDKs, searched last.
pub const JVM_DIR: &str = "/usr/lib/jvm";

pub static JAVA: Language = Language {
    name: "java-vthread",
    tasks: "virtual threads",
    source_dir: |_| scripts_dir("java-vthread"),
    is_source: |name| name.ends_with(".java"),
    find: || {
        let (home, path) = (std::env::var_os("JAVA_HOME"), std::env::var_os("PATH").unwrap_or_default());
        find_jdk(home.as_deref(), &path, Path::new(JVM_DIR))
    },
    build: |tc, src, out| {
        let javac = tc.path.join("bin").join("javac");
        run_build(Command::new(javac).arg("-d").arg(out).args(["-encoding", "UTF-8", "Probe.java"]).current_dir(src))
    },
    built: "Probe.class",
    command: |tc, dir| {
        let mut cmd = Command::new(tc.path.join("bin").join("java"));
        cmd.arg("-cp").arg(dir).arg("Probe");
        cmd
    },
    hello: &["java", "vendor", "gc", "carriers", "reading_max_free"],
    config,
    caveat: "a separate JVM: Java's clock; heap is the used heap after a full GC, parked virtual threads' stacks \
             included (the JVM keeps them there); RSS is read with that GC keeping 10% of the heap free (G1's \
             default slack moves from run to run); a task's K bytes are a byte[K] on the heap",
    spawn_site: SpawnSite::Inside,
    // ~0.7 KB of heap and ~0.75 KB of RSS per parked virtual thread, warm; 8 KiB leaves room for the heap's
    // growth ahead of it and for interpreted frames (~2.4 KB of heap).
    needs: Needs::IN_CHILD_PROCESS,
};

/// The `java-vthread` row.
pub static MODEL: ProbeModel = ProbeModel::new(&JAVA);

fn config(h: &Hello, hash: &str) -> String {
    format!(
        "JDK {} ({}), {} GC, {} carrier threads; parked on a one-shot AQS latch, ring token in a volatile slot per \
         link passed with LockSupport.park/unpark; memory read after a full GC keeping {} of the heap free; child \
         process (probe {hash}), fresh process per memory reading",
        h.get("java"),
        h.get("vendor").replace('_', " "),
        h.get("gc"),
        h.get("carriers"),
        match h.get("reading_max_free") {
            "default" => "the JVM's default share",
            share => share,
        }
    )
}

/// A JDK's feature version from `java -version`'s output: `openjdk version "25.0.3" 2026-04-21` is 25, and
/// `java version "1.8.0_402"` is 8.
pub fn feature_version(version_output: &str) -> Option<u32> {
    let quoted = version_output.split('"').nth(1)?;
    let mut parts = quoted.split(['.', '-', '+', '_']);
    match parts.next()?.parse().ok()? {
        1 => parts.next()?.parse().ok(),
        v => Some(v),
    }
}

/// The JDK at `home`: `Ok` when it has `java` and `javac` and is [`MIN_VERSION`] or newer; else why not.
pub fn jdk_at(home: &Path) -> Result<Toolchain, String> {
    let (java, javac) = (home.join("bin").join("java"), home.join("bin").join("javac"));
    if !java.is_file() {
        return Err(format!("{} has no bin/java", home.display()));
    }
    let out = Command::new(&java).arg("-version").output().map_err(|e| format!("running {}: {e}", java.display()))?;
    let text = String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    let version = text.split('"').nth(1).unwrap_or("").to_string();
    match feature_version(&text) {
        None => return Err(format!("{} -version printed no version", java.display())),
        Some(v) if v < MIN_VERSION => return Err(format!("{} is JDK {v}", home.display())),
        Some(_) => {}
    }
    if !javac.is_file() {
        return Err(format!("{} is JDK {version} but has no javac (a runtime, not a JDK)", home.display()));
    }
    // `openjdk version "25.0.3" 2026-04-21 LTS; OpenJDK Runtime Environment Temurin-25.0.3+9 (build ...)`.
    let version_line = text.lines().map(str::trim).filter(|l| !l.is_empty()).take(2).collect::<Vec<_>>().join("; ");
    Ok(Toolchain { path: home.to_path_buf(), version, version_line, env: Vec::new() })
}

/// The JDK to use: `java_home` if it is 21+, else the `java` on `path_var`'s, else the newest 21+ in
/// `jvm_dir`; or the line saying what was found and how to get one.
pub fn find_jdk(java_home: Option<&OsStr>, path_var: &OsStr, jvm_dir: &Path) -> Result<Toolchain, String> {
    let mut seen = Vec::new();
    match java_home.filter(|h| !h.is_empty()) {
        Some(home) => match jdk_at(Path::new(home)) {
            Ok(tc) => return Ok(tc),
            Err(why) => seen.push(format!("JAVA_HOME: {why}")),
        },
        None => seen.push("JAVA_HOME unset".to_string()),
    }
    let on_path = std::env::split_paths(path_var).map(|dir| dir.join("java")).find(|p| p.is_file());
    // `/usr/bin/java` is a link (through /etc/alternatives) to `<home>/bin/java`.
    match on_path.as_ref().and_then(|p| p.canonicalize().ok()).and_then(|p| Some(p.parent()?.parent()?.to_owned())) {
        Some(home) => match jdk_at(&home) {
            Ok(tc) => return Ok(tc),
            Err(why) => seen.push(format!("java on PATH: {why}")),
        },
        None => seen.push("no java on PATH".to_string()),
    }
    let mut homes: Vec<PathBuf> = std::fs::read_dir(jvm_dir)
        .map(|d| d.flatten().filter_map(|e| e.path().canonicalize().ok()).filter(|p| p.is_dir()).collect())
        .unwrap_or_default();
    homes.sort();
    homes.dedup();
    let newest = homes
        .iter()
        .filter_map(|home| jdk_at(home).ok())
        .max_by_key(|tc| (feature_version(&format!("\"{}\"", tc.version)), tc.version.clone()));
    match newest {
        Some(tc) => Ok(tc),
        None => Err(format!("{JAVA_MISSING} ({}; none in {}): {JAVA_HOW}", seen.join("; "), jvm_dir.display())),
    }
}
