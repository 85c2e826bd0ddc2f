//! The preflight: before spawning, decide from the machine's limits whether `n` live tasks of a model fit.
//!
//! Past some kernel limits a process does not get an error back: when a new thread's signal-stack mapping is
//! the one that fails, std aborts the whole process. So nothing is spawned into a limit; a benchmark that
//! does not fit is skipped with one line naming the limit, its value and how to raise it.
//!
//! Limits read ([`Snapshot::live`]): `vm.max_map_count` minus the mappings this process already has,
//! `kernel.pid_max` and `kernel.threads-max` minus the threads already running on the machine, `RLIMIT_NPROC`,
//! cgroup `pids.max` minus `pids.current`, and `MemAvailable`. Each usable amount keeps a margin
//! ([`usable`]): 10% of what is left, plus a fixed reserve for the runtime's own threads and mappings. A row
//! whose runtime caps its own task count (BEAM's `+P`) says so in [`Needs::runtime_cap`], checked the same way.

use std::fmt;

/// What one live task of a model takes from the machine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Needs {
    /// Memory mappings per task (thread stack, guard pages, signal stack).
    pub maps_per_task: u32,
    /// OS threads per task.
    pub threads_per_task: u32,
    /// A generous estimate of resident bytes per task, used only to stay clear of swap and the OOM killer.
    pub bytes_per_task: u64,
    /// The tasks live in a child process (their mappings do not count against this process).
    pub in_child_process: bool,
    /// A limit the runtime itself sets on its task count, as the row starts it (BEAM's `+P`); `None`: none.
    pub runtime_cap: Option<RuntimeCap>,
}

/// A runtime's own cap on its live tasks: past it the runtime refuses to spawn, so the preflight skips the cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuntimeCap {
    /// The limit, for the skip line: `BEAM's process limit +P`.
    pub name: &'static str,
    /// Its value as the row sets it.
    pub value: u64,
    /// Tasks the runtime keeps for itself out of `value` (its own processes, with margin).
    pub reserve: u64,
    /// Its tasks, plural, for the skip line: `processes`.
    pub unit: &'static str,
    /// Where the row sets it and how to raise it.
    pub how_to_raise: &'static str,
}

impl Needs {
    /// A stackless task: no mapping, no thread, at most about 470 B resident with its handle (tokio's 448-byte
    /// cell is the largest measured); 768 B keeps a 60% margin on that (and the preflight keeps half of the
    /// available memory free besides), so 10^7 tasks fit a machine with 24 GiB.
    pub const STACKLESS: Needs = Needs {
        maps_per_task: 0,
        threads_per_task: 0,
        bytes_per_task: 768,
        in_child_process: false,
        runtime_cap: None,
    };

    /// A task in a probe's runtime, in a child process (a goroutine, a virtual thread, a BEAM process): no
    /// mapping or thread of this process, 8 KiB of memory (each language's entry says why that covers it).
    pub const IN_CHILD_PROCESS: Needs = Needs { bytes_per_task: 8 << 10, in_child_process: true, ..Needs::STACKLESS };
}

/// The machine's limits at one moment, as numbers. Built from text so tests can feed synthetic machines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub max_map_count: Option<u64>,
    /// Mappings this process already holds (lines of /proc/self/maps).
    pub maps_in_use: u64,
    pub pid_max: Option<u64>,
    pub threads_max: Option<u64>,
    /// Threads (scheduling entities) running on the whole machine, from /proc/loadavg.
    pub threads_in_use: u64,
    /// Soft RLIMIT_NPROC, `None` when unlimited.
    pub nproc_limit: Option<u64>,
    /// cgroup v2 `pids.max` and `pids.current`, `None` when absent or "max".
    pub cgroup_pids: Option<(u64, u64)>,
    pub mem_available_bytes: Option<u64>,
    /// Transparent huge pages mode (`always`, `madvise`, `never`), when known.
    pub thp: Option<String>,
}

/// The raw texts a [`Snapshot`] is parsed from (file contents; `None` when the file does not exist).
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub max_map_count: Option<String>,
    pub self_maps: Option<String>,
    pub pid_max: Option<String>,
    pub threads_max: Option<String>,
    pub loadavg: Option<String>,
    pub nproc_limit: Option<u64>,
    pub cgroup_pids_max: Option<String>,
    pub cgroup_pids_current: Option<String>,
    pub meminfo: Option<String>,
    pub thp_enabled: Option<String>,
}

impl Sources {
    /// Reads this machine's files now.
    pub fn live() -> Self {
        let read = |p: &str| std::fs::read_to_string(p).ok();
        Sources {
            max_map_count: read("/proc/sys/vm/max_map_count"),
            self_maps: read("/proc/self/maps"),
            pid_max: read("/proc/sys/kernel/pid_max"),
            threads_max: read("/proc/sys/kernel/threads-max"),
            loadavg: read("/proc/loadavg"),
            nproc_limit: soft_nproc_limit(),
            cgroup_pids_max: read("/sys/fs/cgroup/pids.max"),
            cgroup_pids_current: read("/sys/fs/cgroup/pids.current"),
            meminfo: read("/proc/meminfo"),
            thp_enabled: read("/sys/kernel/mm/transparent_hugepage/enabled"),
        }
    }
}

fn soft_nproc_limit() -> Option<u64> {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit only writes into the struct we pass.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NPROC, &mut lim) } == 0;
    (ok && lim.rlim_cur != libc::RLIM_INFINITY).then_some(lim.rlim_cur)
}

/// The bracketed choice of a kernel mode file: `always [madvise] never` → `madvise`.
pub fn selected_mode(text: &str) -> Option<String> {
    let start = text.find('[')? + 1;
    let end = text[start..].find(']')? + start;
    Some(text[start..end].to_string())
}

fn number(text: &Option<String>) -> Option<u64> {
    text.as_deref()?.trim().parse().ok()
}

impl Snapshot {
    pub fn parse(s: &Sources) -> Self {
        let threads_in_use = s
            .loadavg
            .as_deref()
            .and_then(|l| l.split_whitespace().nth(3))
            .and_then(|f| f.split('/').nth(1))
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        let mem_available_bytes = s.meminfo.as_deref().and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemAvailable:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|kib| kib.parse::<u64>().ok())
                .map(|kib| kib * 1024)
        });
        let thp = s.thp_enabled.as_deref().and_then(selected_mode);
        Snapshot {
            max_map_count: number(&s.max_map_count),
            maps_in_use: s.self_maps.as_deref().map_or(0, |m| m.lines().count() as u64),
            pid_max: number(&s.pid_max),
            threads_max: number(&s.threads_max),
            threads_in_use,
            nproc_limit: s.nproc_limit,
            cgroup_pids: number(&s.cgroup_pids_max).zip(number(&s.cgroup_pids_current)),
            mem_available_bytes,
            thp,
        }
    }

    /// This machine, now.
    pub fn live() -> Self {
        Self::parse(&Sources::live())
    }
}

/// A limit that can bind, with what a user does to raise it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    MaxMapCount,
    PidMax,
    ThreadsMax,
    NprocRlimit,
    CgroupPids,
    MemAvailable,
    /// The runtime's own cap ([`Needs::runtime_cap`]).
    Runtime(RuntimeCap),
}

impl Limit {
    pub fn name(self) -> &'static str {
        match self {
            Limit::MaxMapCount => "vm.max_map_count",
            Limit::PidMax => "kernel.pid_max",
            Limit::ThreadsMax => "kernel.threads-max",
            Limit::NprocRlimit => "RLIMIT_NPROC (ulimit -u)",
            Limit::CgroupPids => "cgroup pids.max",
            Limit::MemAvailable => "MemAvailable",
            Limit::Runtime(cap) => cap.name,
        }
    }

    /// How to raise it, for a user who decides to on their own machine (the suite never changes it).
    pub fn how_to_raise(self) -> &'static str {
        match self {
            Limit::MaxMapCount => "raise with `sudo sysctl -w vm.max_map_count=<more>`",
            Limit::PidMax => "raise with `sudo sysctl -w kernel.pid_max=<more>` (at most 4194304)",
            Limit::ThreadsMax => "raise with `sudo sysctl -w kernel.threads-max=<more>`",
            Limit::NprocRlimit => "raise with `ulimit -u <more>` in the shell that runs cargo bench",
            Limit::CgroupPids => "raise the container's or service's pids limit (e.g. `docker run --pids-limit`)",
            Limit::MemAvailable => "free memory or use a machine with more RAM",
            Limit::Runtime(cap) => cap.how_to_raise,
        }
    }
}

/// Why `n` tasks do not fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Shortfall {
    pub limit: Limit,
    /// The limit's value as read.
    pub value: u64,
    /// The largest number of tasks it leaves room for, margin kept.
    pub max_tasks: u64,
    /// What `n` tasks would need of it.
    pub needed: u64,
    pub unit: &'static str,
}

impl fmt::Display for Shortfall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "needs {} {} but {} = {} leaves room for about {} tasks; {}",
            self.needed,
            self.unit,
            self.limit.name(),
            self.value,
            three_digits(self.max_tasks),
            self.limit.how_to_raise()
        )
    }
}

/// `n` rounded down to three significant digits: the room a limit leaves moves by a few tasks from one cell
/// to the next (a cached thread stack, the mappings the bench process holds), and one limit should read as
/// one skip line in a run.
fn three_digits(n: u64) -> u64 {
    let scale = 10u64.pow(n.checked_ilog10().unwrap_or(0).saturating_sub(2));
    n / scale * scale
}

/// What is safe to use of a limit: 90% of what is left after `in_use`, less a fixed `reserve`.
pub fn usable(limit: u64, in_use: u64, reserve: u64) -> u64 {
    (limit.saturating_sub(in_use) / 10 * 9).saturating_sub(reserve)
}

/// Mappings and threads kept free for runtimes, allocators and the harness itself.
const RESERVE: u64 = 512;

/// Every limit that applies to `needs`, each as (limit, its value, tasks it leaves room for, per-task need, unit).
fn capacities(needs: &Needs, snap: &Snapshot) -> Vec<(Limit, u64, u64, u64, &'static str)> {
    let mut out = Vec::new();
    let mut per = |limit: Limit, value: Option<u64>, in_use: u64, per_task: u64, unit| {
        if let (Some(value), true) = (value, per_task > 0) {
            out.push((limit, value, usable(value, in_use, RESERVE) / per_task, per_task, unit));
        }
    };
    if !needs.in_child_process {
        per(Limit::MaxMapCount, snap.max_map_count, snap.maps_in_use, needs.maps_per_task.into(), "memory mappings");
    }
    let threads = u64::from(needs.threads_per_task);
    per(Limit::PidMax, snap.pid_max, snap.threads_in_use, threads, "thread ids");
    per(Limit::ThreadsMax, snap.threads_max, snap.threads_in_use, threads, "threads");
    per(Limit::NprocRlimit, snap.nproc_limit, snap.threads_in_use, threads, "threads");
    if let Some((max, current)) = snap.cgroup_pids {
        per(Limit::CgroupPids, Some(max), current, threads, "pids");
    }
    if let Some(cap) = needs.runtime_cap {
        out.push((Limit::Runtime(cap), cap.value, cap.value.saturating_sub(cap.reserve), 1, cap.unit));
    }
    // Memory: keep half of what is available for everything else (the harness, Criterion, page cache).
    if let Some(avail) = snap.mem_available_bytes {
        let per_task = needs.bytes_per_task.max(1);
        out.push((Limit::MemAvailable, avail, avail / 2 / per_task, per_task, "bytes"));
    }
    out
}

/// `Ok(())` when `n` tasks fit with margin, else the tightest limit.
pub fn check(needs: &Needs, n: usize, snap: &Snapshot) -> Result<(), Shortfall> {
    let n = n as u64;
    match capacities(needs, snap).into_iter().filter(|c| c.2 < n).min_by_key(|c| c.2) {
        None => Ok(()),
        Some((limit, value, max_tasks, per_task, unit)) => {
            Err(Shortfall { limit, value, max_tasks, needed: per_task.saturating_mul(n), unit })
        }
    }
}

/// The largest number of tasks that fits, and the limit that sets it (`None`: nothing applies).
pub fn max_tasks(needs: &Needs, snap: &Snapshot) -> Option<(u64, Limit)> {
    capacities(needs, snap).into_iter().min_by_key(|c| c.2).map(|c| (c.2, c.0))
}

/// Bytes a thread's stack can take resident on this machine now (see [`stack_resident_bytes`]).
pub fn thread_stack_resident_bytes() -> u64 {
    let thp = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").ok();
    stack_resident_bytes(thp.as_deref().and_then(selected_mode).as_deref())
}

/// Bytes a thread's stack can take resident under THP mode `thp`: with `always` a touched stack may be
/// backed by a 2 MiB page.
pub fn stack_resident_bytes(thp: Option<&str>) -> u64 {
    if thp == Some("always") {
        2 << 20
    } else {
        64 << 10
    }
}

/// The stack std gives a thread spawned with `Builder::stack_size(asked)`: at least glibc's minimum for this
/// process (`__pthread_get_minstack`: `PTHREAD_STACK_MIN`, a page and the static TLS), as std computes it.
pub fn thread_stack_bytes(asked: usize) -> u64 {
    // SAFETY: dlsym with a NUL-terminated name only looks the symbol up.
    let sym = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"__pthread_get_minstack".as_ptr()) };
    let minimum = if sym.is_null() {
        libc::PTHREAD_STACK_MIN
    } else {
        // SAFETY: glibc's `size_t __pthread_get_minstack(const pthread_attr_t *)`, called on an initialised
        // attribute that is destroyed afterwards, as std calls it.
        unsafe {
            type MinStack = extern "C" fn(*const libc::pthread_attr_t) -> libc::size_t;
            let get = std::mem::transmute::<*mut libc::c_void, MinStack>(sym);
            let mut attr: libc::pthread_attr_t = std::mem::zeroed();
            libc::pthread_attr_init(&mut attr);
            let minimum = get(&attr);
            libc::pthread_attr_destroy(&mut attr);
            minimum
        }
    };
    asked.max(minimum) as u64
}

/// What the kernel said when a ring could not be set up (the thread-per-core io_uring row's preflight), with
/// the two settings that decide it, as read at that moment. Built from values so tests can feed any machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoUringRefusal {
    /// The errno of `io_uring_setup`, when it returned one.
    pub errno: Option<i32>,
    /// The error as text, for a cause none of the cases below names.
    pub error: String,
    /// `kernel.io_uring_disabled` (`/proc/sys/kernel/io_uring_disabled`, Linux 6.6+): 0 allows io_uring, 1
    /// limits it to privileged processes and the group in `kernel.io_uring_group`, 2 refuses it to all.
    pub disabled: Option<u32>,
    /// Soft `RLIMIT_MEMLOCK` in bytes, `None` when unlimited or unknown; kernels before 5.12 charge a ring's
    /// memory to it.
    pub memlock_bytes: Option<u64>,
}

impl IoUringRefusal {
    /// The refusal of `error`, with this machine's settings read now.
    pub fn live(error: &std::io::Error) -> Self {
        let disabled = std::fs::read_to_string("/proc/sys/kernel/io_uring_disabled").ok();
        let limits = std::fs::read_to_string("/proc/self/limits").ok();
        IoUringRefusal {
            errno: error.raw_os_error(),
            error: error.to_string(),
            disabled: disabled.and_then(|t| t.trim().parse().ok()),
            memlock_bytes: limits.as_deref().and_then(soft_memlock_bytes),
        }
    }
}

/// The soft "Max locked memory" of a `/proc/<pid>/limits` text; `None` when unlimited or absent.
pub fn soft_memlock_bytes(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max locked memory"))?;
    line["Max locked memory".len()..].split_whitespace().next()?.parse().ok()
}

impl fmt::Display for IoUringRefusal {
    /// One line: the cause, then how to lift it (the suite never changes either).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.errno, self.disabled) {
            (Some(libc::ENOSYS), _) => write!(
                f,
                "this kernel has no io_uring (io_uring_setup: ENOSYS); it needs Linux 5.1 or newer built with \
                 CONFIG_IO_URING"
            ),
            (Some(libc::EPERM | libc::EACCES), Some(2)) => write!(
                f,
                "io_uring is disabled on this machine (kernel.io_uring_disabled = 2); enable it with `sudo sysctl \
                 -w kernel.io_uring_disabled=0`"
            ),
            (Some(libc::EPERM | libc::EACCES), Some(1)) => write!(
                f,
                "io_uring is limited to privileged processes here (kernel.io_uring_disabled = 1) and refused this \
                 one; add its user to the group in kernel.io_uring_group, or `sudo sysctl -w \
                 kernel.io_uring_disabled=0`"
            ),
            (Some(libc::EPERM | libc::EACCES), _) => write!(
                f,
                "io_uring_setup was refused ({}) though the kernel allows io_uring, most likely by a seccomp \
                 filter (container runtimes' default profiles block it); allow it, e.g. `docker run \
                 --security-opt seccomp=unconfined`",
                self.error
            ),
            (Some(libc::ENOMEM), _) if self.memlock_bytes.is_some() => write!(
                f,
                "io_uring_setup ran out of locked memory (ENOMEM, RLIMIT_MEMLOCK = {} KiB); raise it with `ulimit \
                 -l unlimited` in the shell that runs cargo bench (in a container, `--ulimit memlock=-1`)",
                self.memlock_bytes.unwrap_or_default() >> 10
            ),
            _ => write!(f, "io_uring_setup failed: {}", self.error),
        }
    }
}
