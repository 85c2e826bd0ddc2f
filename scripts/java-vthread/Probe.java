// Probe is the Java side of taskbench's `java-vthread` row (src/models/probe/java.rs): a virtual thread per task,
// speaking the probe protocol (scripts/probe-protocol.md) on stdin and stdout. Its hello: `hello java=<version>
// vendor=<java.vendor> gc=<G1|Serial|...> carriers=<n> pid=<pid>`; its memory figure, heap=, is the used heap
// after System.gc(), parked virtual threads' frames included (they are in stack chunks on the heap: no stack=).
// Spawn loops run inside a virtual thread: Thread.ofVirtual().start(task), a task that captures nothing, no
// handle kept. A parked task counts itself and waits on a one-shot AQS gate; readings wait until all N are in
// its queue. hold=K: a byte[K] of 0x5a kept across the park point (on the heap) and summed after release.
// handoff: a volatile slot per link; a task waits for its slot with LockSupport.park and passes the token on
// with LockSupport.unpark. yield: Thread.yield(). The first `parked` warms up (warmUp: classes loaded, carriers
// up, the park path JIT-compiled by 10^5 tasks parked and released in rounds of 1,000); a memory reading is
// replied once the full GC's shrunk heap is out of RSS (heap()). A wait past its limit replies `error ...` and
// halts: its tasks would spoil later requests.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.*;
import java.util.concurrent.locks.*;

public final class Probe {
    /** A gate that opens once; its queue length is the number of tasks waiting on it. */
    static final class Gate extends AbstractQueuedSynchronizer {
        @Override protected int tryAcquireShared(int unused) { return getState() == 1 ? 1 : -1; }
        @Override protected boolean tryReleaseShared(int unused) { setState(1); return true; }
        void await() { acquireShared(1); }
        void open() { releaseShared(1); }
    }

    static final int WARM_TASKS = 1_000, WARM_ROUNDS = 100, MAX_FREE_PERCENT = 10;
    /** HotSpot's flags, to shrink the heap at a memory reading; null on a JVM without them (the reading then
     *  keeps the JVM's own sizing, and the hello says so). */
    static final com.sun.management.HotSpotDiagnosticMXBean hotspot = hotspotFlags();
    static com.sun.management.HotSpotDiagnosticMXBean hotspotFlags() {
        try {
            var bean = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            bean.setVMOption("MaxHeapFreeRatio", bean.getVMOption("MaxHeapFreeRatio").getValue());
            return bean;
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }
    static long target, limitMs = 60_000;
    static int hold, each, state; // state: 0 idle, 1 baseline read, 2 parked
    static boolean warm;
    static final AtomicLong arrived = new AtomicLong(), finished = new AtomicLong(), held = new AtomicLong(),
            handoffs = new AtomicLong(), outOfOrder = new AtomicLong(), yields = new AtomicLong();
    static volatile CountDownLatch allArrived, allDone;
    static volatile Gate gate;
    static AtomicLongArray slots;
    static Thread[] ring;
    static final Runnable PARK = Probe::park, HOLD = Probe::holdAndPark, TRIVIAL = Probe::done;

    static void reset(long n) {
        target = n;
        for (AtomicLong c : new AtomicLong[] {arrived, finished, held, handoffs, outOfOrder, yields}) c.set(0);
        allArrived = new CountDownLatch(n == 0 ? 0 : 1);
        allDone = new CountDownLatch(n == 0 ? 0 : 1);
        gate = new Gate();
    }
    static void arrive() { if (arrived.incrementAndGet() == target) allArrived.countDown(); }
    static void done() { if (finished.incrementAndGet() == target) allDone.countDown(); }
    static void park() { arrive(); gate.await(); done(); }
    static void holdAndPark() {
        byte[] kept = new byte[hold];
        Arrays.fill(kept, (byte) 0x5a);
        arrive();
        gate.await();
        long sum = 0;
        for (byte b : kept) sum += b;
        held.addAndGet(sum);
        done();
    }
    static void link(int i) {
        int n = ring.length;
        arrive();
        for (int lap = 0; lap < each; lap++) {
            long s;
            while ((s = slots.get(i)) < 0) LockSupport.park();
            slots.set(i, -1);
            if (s % n != i) outOfOrder.incrementAndGet();
            handoffs.incrementAndGet();
            if (s + 1 < (long) n * each) { slots.set((i + 1) % n, s + 1); LockSupport.unpark(ring[(i + 1) % n]); }
        }
        done();
    }
    static void yielder() {
        arrive();
        gate.await();
        long count = 0;
        for (int y = 0; y < each; y++, count++) Thread.yield(); // a virtual thread's yield: to the scheduler
        yields.addAndGet(count);
        done();
    }

    static void reply(String line) { System.out.println(line); System.out.flush(); }
    static void fatal(String why) { reply("error " + why); Runtime.getRuntime().halt(3); }
    static void await(CountDownLatch latch, AtomicLong count, String what) throws InterruptedException {
        if (!latch.await(limitMs, TimeUnit.MILLISECONDS))
            fatal("timed out after " + limitMs + " ms: " + count.get() + " of " + target + " " + what);
    }
    /**
     * The used heap after a full GC, replied once the heap the GC shrank is out of RSS: G1 gives it back to the OS
     * concurrently, within ~100 ms after System.gc() returns, and RSS read from outside before then still counts
     * it (garbage of earlier work that the reading after the spawn would not have). Waits until this process's
     * VmRSS has not fallen for 3 polls 50 ms apart (at most 5 s).
     */
    static long heap() throws Exception {
        fullGcShrinking();
        long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        for (long last = rssKb(), i = 0, steady = 0; steady < 3 && i < 100; i++) {
            Thread.sleep(50);
            long now = rssKb();
            steady = now < last ? 0 : steady + 1;
            last = Math.min(last, now);
        }
        return used;
    }
    /**
     * System.gc() with G1 told to keep at most MAX_FREE_PERCENT of the heap free after it (MaxHeapFreeRatio, a
     * manageable flag, set for this collection and put back after it, so spawns run with the defaults). Under
     * the default 70% how much heap G1 keeps committed and resident after a full GC depends on the timing of the
     * young collections before it, and the RSS per parked thread at 10^5 moved 0.9 to 1.4 KB between runs; with
     * the heap shrunk to its live data plus 10% it moves ~3% (the experiment 2026-12-05-java-rss-shrunk).
     */
    static void fullGcShrinking() {
        if (hotspot == null) { System.gc(); return; }
        String min = hotspot.getVMOption("MinHeapFreeRatio").getValue(), max = hotspot.getVMOption("MaxHeapFreeRatio").getValue();
        hotspot.setVMOption("MinHeapFreeRatio", "0");
        hotspot.setVMOption("MaxHeapFreeRatio", String.valueOf(MAX_FREE_PERCENT));
        try { System.gc(); } finally { hotspot.setVMOption("MaxHeapFreeRatio", max); hotspot.setVMOption("MinHeapFreeRatio", min); }
    }
    static long rssKb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status")))
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        return 0; // no procfs: nothing to wait for
    }
    static void spawnAll(long n, Runnable task) {
        Thread.Builder builder = Thread.ofVirtual();
        for (long i = 0; i < n; i++) builder.start(task);
    }
    /** Runs `timed` in a virtual thread and returns what it returns (a time in ns). */
    static long inside(Callable<Long> timed) throws Exception {
        Object[] out = new Object[1];
        Thread.ofVirtual().start(() -> { try { out[0] = timed.call(); } catch (Exception e) { out[0] = e; } }).join();
        if (out[0] instanceof Exception e) throw e;
        return (Long) out[0];
    }
    /** Spawns target tasks running `task` inside; once all have arrived, waits until all wait on the gate. */
    static long spawnParked(Runnable task) throws Exception {
        long n = target;
        long ns = inside(() -> { long t0 = System.nanoTime(); spawnAll(n, task); return System.nanoTime() - t0; });
        awaitParked();
        return ns;
    }
    static void awaitParked() throws InterruptedException {
        await(allArrived, arrived, "virtual threads parked");
        for (long deadline = System.nanoTime() + limitMs * 1_000_000; gate.getQueueLength() < target; Thread.sleep(1))
            if (System.nanoTime() > deadline) fatal("timed out: " + gate.getQueueLength() + " of " + target + " waiting on the gate");
    }
    /**
     * Before the first baseline: WARM_TASKS trivial tasks, then WARM_ROUNDS rounds of WARM_TASKS tasks parked
     * and released (the measured path itself), then a wait until the JIT is idle (no compile time added for
     * 200 ms, at most 10 s). A parked thread's stack chunk holds its frames as they are when it parks:
     * interpreted ones (1,984 B in all, under -Xint) or compiled ones (384 B once C2 has compiled the path); a
     * measured spawn that raced the JIT (after 1,000 tasks of warm-up) got a mixture that moved from run to run
     * (0.98 to 1.48 KB of heap per task at 10^5). After 20 rounds the chunk was ~1 KB, after 50 0.5 to 0.7 KB,
     * after 100 or more 350 to 400 B. (An idle JIT alone is no sign: it idles for rounds before C2's thresholds.)
     * The trivial tasks come first: their wait, a timed park in a virtual thread, loads the scheduler's
     * delayed-task classes and takes branches the rounds never take; run last, it got the compiled park path
     * (AQS.acquire) deoptimized just before the baseline, and at 5,000 tasks the heap per task read 0.7 or
     * 1.2 KB. The readings' classes are loaded first for the same reason. The garbage the rounds leave is given
     * back to the OS by the baseline's full GC before its reply (heap()), so it hides none of the measured
     * tasks' RSS.
     */
    static void warmUp(Runnable task) throws Exception {
        var jit = ManagementFactory.getCompilationMXBean();
        ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        rssKb();
        reset(WARM_TASKS);
        inside(() -> { spawnAll(target, TRIVIAL); await(allDone, finished, "warm-up tasks"); return 0L; });
        for (int r = 0; r < WARM_ROUNDS; r++) {
            reset(WARM_TASKS);
            state = 2;
            spawnParked(task);
            finish();
        }
        for (long last = -1, i = 0; jit != null && i < 50 && jit.getTotalCompilationTime() != last; i++) { // null: no JIT
            last = jit.getTotalCompilationTime();
            Thread.sleep(200);
        }
    }
    static long finish() throws InterruptedException {
        if (state == 2) { gate.open(); await(allDone, finished, "virtual threads finished after release"); }
        state = 0;
        return finished.get();
    }
    /** The request's task count, w[1]; its key=value arguments after it (limit_ms, and `keys`) set limitMs. */
    static long count(String[] w, Map<String, Long> into, String... keys) {
        if (w.length < 2 || !w[1].matches("\\d+")) throw new IllegalArgumentException(w[0] + ": bad task count");
        limitMs = 60_000;
        for (int i = 2; i < w.length; i++) {
            String[] kv = w[i].split("=", 2);
            if (kv.length != 2 || !kv[1].matches("\\d+") || !(kv[0].equals("limit_ms") || Arrays.asList(keys).contains(kv[0])))
                throw new IllegalArgumentException(w[0] + ": unknown argument " + w[i]);
            if (kv[0].equals("limit_ms")) limitMs = Math.max(1, Long.parseLong(kv[1])); else into.put(kv[0], Long.parseLong(kv[1]));
        }
        for (String k : keys) if (!k.equals("hold") && into.getOrDefault(k, 0L) < 1) throw new IllegalArgumentException(w[0] + ": needs " + k + "=K, K >= 1");
        return Long.parseLong(w[1]);
    }

    static void serve(String[] w) throws Exception {
        Map<String, Long> a = new HashMap<>();
        String cmd = w[0];
        if (cmd.equals("parked") && state == 0) {
            long n = count(w, a, "hold");
            hold = (int) (long) a.getOrDefault("hold", 0L);
            if (!Arrays.asList(0, 64, 512, 4096, 16384).contains(hold)) throw new IllegalArgumentException("parked: bad hold " + hold + " (one of 0, 64, 512, 4096, 16384)");
            if (!warm) {
                warmUp(hold == 0 ? PARK : HOLD);
                warm = true;
            }
            reset(n);
            state = 1;
            reply("baseline heap=" + heap());
        } else if (cmd.equals("spawn") && state == 1) {
            boolean memory = w.length == 1;
            if (!memory && !(w.length == 2 && w[1].equals("nomem"))) throw new IllegalArgumentException("spawn: unknown argument " + w[1]);
            state = 2;
            long ns = spawnParked(hold == 0 ? PARK : HOLD);
            Thread.sleep(1);
            reply("parked spawn_ns=" + ns + " arrived=" + arrived.get() + " heap=" + (memory ? heap() : 0));
        } else if (cmd.equals("release") && state == 2) {
            reply("joined finished=" + finish() + " held=" + held.get());
        } else if (cmd.equals("abort") && state != 0) {
            reply("aborted finished=" + finish());
        } else if (cmd.equals("spawn_join") && state == 0) {
            reset(count(w, a));
            long ns = inside(() -> { // the clock covers the spawn loop and the wait until every task has run
                long t0 = System.nanoTime();
                spawnAll(target, TRIVIAL);
                await(allDone, finished, "trivial virtual threads finished");
                return System.nanoTime() - t0;
            });
            reply("spawn_join ns=" + ns + " finished=" + finished.get());
        } else if (cmd.equals("handoff") && state == 0) {
            int n = (int) count(w, a, "laps");
            if (n < 2) throw new IllegalArgumentException("handoff: a ring of at least 2 virtual threads is needed");
            each = (int) (long) a.get("laps");
            reset(n);
            slots = new AtomicLongArray(n);
            ring = new Thread[n];
            for (int i = 0; i < n; i++) { int k = i; slots.set(i, -1); ring[i] = Thread.ofVirtual().unstarted(() -> link(k)); }
            for (Thread t : ring) t.start();
            await(allArrived, arrived, "ring virtual threads started");
            long t0 = System.nanoTime();
            slots.set(0, 0); // the first token, to the first link
            LockSupport.unpark(ring[0]);
            await(allDone, finished, "ring virtual threads finished, after " + handoffs.get() + " hand-offs");
            long ns = System.nanoTime() - t0;
            ring = null;
            reply("handoff ns=" + ns + " handoffs=" + handoffs.get() + " out_of_order=" + outOfOrder.get() + " finished=" + finished.get());
        } else if (cmd.equals("yield") && state == 0) {
            reset(count(w, a, "yields"));
            each = (int) (long) a.get("yields");
            spawnAll(target, Probe::yielder);
            await(allArrived, arrived, "virtual threads started");
            long t0 = System.nanoTime();
            gate.open();
            await(allDone, finished, "virtual threads finished");
            reply("yield ns=" + (System.nanoTime() - t0) + " yields=" + yields.get() + " finished=" + finished.get());
        } else {
            throw new IllegalArgumentException("unexpected request \"" + String.join(" ", w) + "\" " + new String[] {"idle", "after baseline", "while parked"}[state]);
        }
    }

    public static void main(String[] args) throws Exception {
        String gc = ManagementFactory.getGarbageCollectorMXBeans().stream().map(b -> b.getName()).findFirst().orElse("none");
        gc = gc.startsWith("G1") ? "G1" : gc.equals("Copy") ? "Serial" : gc.startsWith("PS") ? "Parallel" : gc.split(" ")[0];
        int carriers = Integer.getInteger("jdk.virtualThreadScheduler.parallelism", Runtime.getRuntime().availableProcessors());
        reply("hello java=" + Runtime.version() + " vendor=" + System.getProperty("java.vendor").replace(' ', '_') + " gc=" + gc
                + " carriers=" + carriers + " reading_max_free=" + (hotspot == null ? "default" : MAX_FREE_PERCENT + "%") + " pid=" + ProcessHandle.current().pid());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null; ) {
            try {
                serve(line.trim().split("\\s+"));
            } catch (Exception e) {
                reply("error " + (e.getMessage() == null ? e.toString() : e.getMessage()));
                if (state != 0) finish();
            }
        }
    }
}
