//! An independent reading of heap and RSS bytes per parked task for four taskbench rows, without taskbench's
//! code. Usage: `rust-rows-check <tokio-local|smol-local|futures-pool|compio> [N] [flat|nested]` (N = 100000).
//! One row per process: run it once per reading. Prints one line of figures.
//!
//! Each task awaits a one-shot gate: an `event_listener::Event` plus an "open" flag, the listener made with
//! `listener!` inside the task's own future, counting itself once its listener is registered. The task
//! captures one `&'static Gate` and nothing else. Shapes (3rd argument): `flat` (default) or `nested`, below.

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::io::Read;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering::*};
use std::task::{Context, Poll};

use event_listener::{listener, Event};

// ---- counting allocator: bytes asked for (Layout::size) and bytes glibc hands out (malloc_usable_size) ----
static LIVE: AtomicI64 = AtomicI64::new(0);
static USABLE: AtomicI64 = AtomicI64::new(0);
static ALLOCS: AtomicU64 = AtomicU64::new(0);
// While TRACE is set, the layouts of allocations go into LOG (to name what one spawn allocates).
static TRACE: AtomicBool = AtomicBool::new(false);
static LOG: [AtomicU64; 8] = [const { AtomicU64::new(0) }; 8];
static LOGGED: AtomicUsize = AtomicUsize::new(0);

extern "C" {
    fn malloc_usable_size(p: *mut u8) -> usize;
}

struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = System.alloc(l);
        if !p.is_null() {
            note(p, l, l.size() as i64);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(l); // calloc: large blocks stay untouched, as they would without the wrapper
        if !p.is_null() {
            note(p, l, l.size() as i64);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        USABLE.fetch_sub(malloc_usable_size(p) as i64, Relaxed);
        LIVE.fetch_sub(l.size() as i64, Relaxed);
        System.dealloc(p, l);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let old_usable = malloc_usable_size(p) as i64;
        let q = System.realloc(p, l, new);
        if !q.is_null() {
            USABLE.fetch_sub(old_usable, Relaxed);
            note(q, Layout::from_size_align_unchecked(new, l.align()), new as i64 - l.size() as i64);
        }
        q
    }
}

unsafe fn note(p: *mut u8, l: Layout, grew: i64) {
    LIVE.fetch_add(grew, Relaxed);
    USABLE.fetch_add(malloc_usable_size(p) as i64, Relaxed);
    ALLOCS.fetch_add(1, Relaxed);
    if TRACE.load(Relaxed) {
        let i = LOGGED.fetch_add(1, Relaxed);
        if i < LOG.len() {
            LOG[i].store((l.size() as u64) << 20 | l.align() as u64, Relaxed);
        }
    }
}

#[global_allocator]
static A: Counting = Counting;

/// VmRSS of this process in bytes, read into a stack buffer (no heap allocation).
fn vm_rss() -> i64 {
    let mut buf = [0u8; 4096];
    let mut f = std::fs::File::open("/proc/self/status").expect("open /proc/self/status");
    let len = f.read(&mut buf).expect("read /proc/self/status"); // one read: the file is ~1.5 KB
    let text = std::str::from_utf8(&buf[..len]).expect("utf8");
    let line = text.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS line");
    line[6..].trim().trim_end_matches("kB").trim().parse::<i64>().expect("VmRSS kB") * 1024
}

// ---- the gate every task waits on ----
#[derive(Default)]
struct Gate {
    open: AtomicBool,
    event: Event,
    arrived: AtomicUsize,
    finished: AtomicUsize,
}

impl Gate {
    /// Registers a listener, counts itself in `arrived` once, and waits until the gate opens.
    async fn wait_on(&self, arrived: &AtomicUsize) {
        let mut counted = false;
        loop {
            listener!(self.event => l);
            if !counted {
                arrived.fetch_add(1, SeqCst);
                counted = true;
            }
            if self.open.load(SeqCst) {
                return;
            }
            l.await;
        }
    }
    async fn wait_nested(&self) {
        self.wait_on(&self.arrived).await;
        self.finished.fetch_add(1, SeqCst);
    }
    fn release(&self) {
        self.open.store(true, SeqCst);
        self.event.notify(usize::MAX);
    }
}

/// `flat`: the task's own future awaits the wait directly.
fn flat(g: &'static Gate) -> impl Future<Output = ()> + Send + 'static {
    async move {
        g.wait_on(&g.arrived).await;
        g.finished.fetch_add(1, SeqCst);
    }
}

/// `nested`: one more async fn between the task and the wait, as taskbench's body has (task, then its
/// rendezvous's `park`, then the gate's `park`).
fn nested(g: &'static Gate) -> impl Future<Output = ()> + Send + 'static {
    async move { g.wait_nested().await }
}

/// Wakes itself and returns Pending once: lets a single-threaded runtime run its other tasks.
struct YieldOnce(bool);
impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

async fn until(count: &AtomicUsize, n: usize) {
    while count.load(SeqCst) < n {
        YieldOnce(false).await;
    }
}

/// Readings (heap, usable, allocations, RSS) at the baseline and once all are parked; reading RSS allocates nothing.
struct Marks(Vec<(i64, i64, u64, i64)>);
impl Marks {
    fn mark(&mut self) {
        self.0.push((LIVE.load(SeqCst), USABLE.load(SeqCst), ALLOCS.load(SeqCst), vm_rss()));
    }
}

/// Spawns with `spawn` under the trace for task number 1000, so the log shows one ordinary spawn's allocations.
fn traced<T>(i: usize, spawn: impl FnOnce() -> T) -> T {
    if i != 1000 {
        return spawn();
    }
    TRACE.store(true, SeqCst);
    let t = spawn();
    TRACE.store(false, SeqCst);
    t
}

fn main() {
    let mut args = std::env::args().skip(1);
    let row = args.next().expect("row: tokio-local | smol-local | futures-pool | compio");
    let n: usize = args.next().map_or(100_000, |s| s.parse().expect("N"));
    match args.next().as_deref().unwrap_or("flat") {
        "flat" => run(&row, n, "flat", flat),
        "nested" => run(&row, n, "nested", nested),
        other => panic!("unknown task shape {other} (flat | nested)"),
    }
}

fn run<F: Future<Output = ()> + Send + 'static>(row: &str, n: usize, shape: &str, task: fn(&'static Gate) -> F) {
    let gate: &'static Gate = Box::leak(Box::default());
    let warm: &'static Gate = Box::leak(Box::default());
    warm.release(); // the warm-up's 16 tasks pass straight through
    let mut m = Marks(Vec::with_capacity(2));
    let future_bytes = std::mem::size_of_val(&task(gate));
    match row {
        "tokio-local" => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build_local(tokio::runtime::LocalOptions::default())
                .unwrap();
            let warm_up: Vec<_> = rt.block_on(async { (0..16).map(|_| tokio::task::spawn_local(task(warm))).collect() });
            rt.block_on(async { for h in warm_up { h.await.unwrap() } });
            let mut handles = Vec::with_capacity(n);
            m.mark();
            rt.block_on(async {
                for i in 0..n {
                    handles.push(traced(i, || tokio::task::spawn_local(task(gate))));
                }
                until(&gate.arrived, n).await;
            });
            m.mark();
            gate.release();
            rt.block_on(async { for h in handles { h.await.unwrap() } });
        }
        "smol-local" => {
            let ex = async_executor::LocalExecutor::new();
            let warm_up: Vec<_> = (0..16).map(|_| ex.spawn(task(warm))).collect();
            futures::executor::block_on(ex.run(async { for h in warm_up { h.await } }));
            let mut handles = Vec::with_capacity(n);
            m.mark();
            futures::executor::block_on(ex.run(async {
                for i in 0..n {
                    handles.push(traced(i, || ex.spawn(task(gate))));
                }
                until(&gate.arrived, n).await;
            }));
            m.mark();
            gate.release();
            futures::executor::block_on(ex.run(async { for h in handles { h.await } }));
        }
        "futures-pool" => {
            let cores = std::thread::available_parallelism().map_or(1, usize::from);
            let pool = futures::executor::ThreadPool::builder().pool_size(cores).create().unwrap();
            (0..16).for_each(|_| pool.spawn_ok(task(warm)));
            spin_until(&warm.finished, 16);
            m.mark();
            for i in 0..n {
                traced(i, || pool.spawn_ok(task(gate)));
            }
            spin_until(&gate.arrived, n);
            m.mark();
            gate.release();
            spin_until(&gate.finished, n);
        }
        "compio" => {
            let rt = compio::runtime::Runtime::new().expect("compio runtime (io_uring)");
            let warm_up: Vec<_> = rt.block_on(async { (0..16).map(|_| compio::runtime::spawn(task(warm))).collect() });
            rt.block_on(async { for h in warm_up { h.await.unwrap() } });
            let mut handles = Vec::with_capacity(n);
            m.mark();
            rt.block_on(async {
                for i in 0..n {
                    handles.push(traced(i, || compio::runtime::spawn(task(gate))));
                }
                until(&gate.arrived, n).await;
            });
            m.mark();
            gate.release();
            rt.block_on(async { for h in handles { h.await.unwrap() } });
        }
        other => panic!("unknown row {other}"),
    }
    assert_eq!(gate.finished.load(SeqCst), n, "every task passed the gate");
    let ((h0, u0, a0, r0), (h1, u1, a1, r1)) = (m.0[0], m.0[1]);
    let per = |d: i64| d as f64 / n as f64;
    let logged: Vec<String> = LOG[..LOGGED.load(SeqCst).min(LOG.len())]
        .iter()
        .map(|x| { let x = x.load(SeqCst); format!("{}/{}", x >> 20, x & 0xfffff) })
        .collect();
    println!(
        "row={row} n={n} shape={shape} heap_B_per_task={:.2} rss_B_per_task={:.2} usable_B_per_task={:.2} allocs_per_task={:.3} \
         future_B={future_bytes} spawn1000_allocs(size/align)=[{}] heap_delta={} rss_delta={}",
        per(h1 - h0), per(r1 - r0), per(u1 - u0), (a1 - a0) as f64 / n as f64, logged.join(","), h1 - h0, r1 - r0
    );
}

fn spin_until(count: &AtomicUsize, n: usize) {
    while count.load(SeqCst) < n {
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
}
