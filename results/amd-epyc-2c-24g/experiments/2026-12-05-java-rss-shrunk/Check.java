// Check: an independent reading of what a parked virtual thread costs, not using the java-vthread probe
// (scripts/java-vthread/Probe.java). Usage: java -cp <dir> Check [N=100000] [ROUNDS=100] [split] [shrink=P].
//
// It starts N virtual threads from the main thread, each running a task that captures nothing: count itself,
// then park on a one-shot AQS gate (the probe's primitive: acquireShared on an AbstractQueuedSynchronizer, one
// queue node per waiter). Once all N are in the gate's queue it prints the change per thread of:
//   - live heap, as the class histogram counts it (the DiagnosticCommand MBean's GC.class_histogram: a full
//     GC, then every live object's size summed by class): a different reading from the probe's MemoryMXBean
//     heap-used figure, and it says which objects the bytes are in (listed below the totals);
//   - the heap used after System.gc() as Runtime reports it (totalMemory - freeMemory), for comparison;
//   - VmRSS from /proc/self/status, read 1 s after the full GC (G1 gives the heap it shrank back to the OS
//     concurrently, ~100 ms after the GC; read at once, RSS still counts it); with `split`, how much of it is
//     the Java heap's mappings (the Rss in /proc/self/smaps of the mappings inside the range GC.heap_info
//     gives). The split is a diagnostic: reading /proc/self/smaps allocates a few MB on the heap just after the
//     baseline, which moves the RSS figure itself.
// Before the baseline: ROUNDS rounds of 1,000 threads running the same task, parked and released, then until
// the JIT has compiled nothing for 500 ms: a parked thread's stack chunk holds its frames as they are when it
// parks, interpreted (bigger) or compiled. Every reading is made once before the warm-up, so that no class
// loaded after it deoptimizes the compiled path. ROUNDS=0: no warm-up but one thread parked and released.
// No handle to the N threads is kept.
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.AbstractQueuedSynchronizer;
import javax.management.ObjectName;

public final class Check {
    static final class Gate extends AbstractQueuedSynchronizer {
        @Override protected int tryAcquireShared(int unused) { return getState() == 1 ? 1 : -1; }
        @Override protected boolean tryReleaseShared(int unused) { setState(1); return true; }
    }

    static volatile Gate gate;
    static final AtomicLong arrived = new AtomicLong(), finished = new AtomicLong();

    static void park() {
        arrived.incrementAndGet();
        gate.acquireShared(1);
        finished.incrementAndGet();
    }

    /** k threads parked on a fresh gate; returns once all k are in its queue. */
    static void parkAll(int k) throws InterruptedException {
        gate = new Gate();
        arrived.set(0);
        finished.set(0);
        Thread.Builder builder = Thread.ofVirtual();
        for (int i = 0; i < k; i++) builder.start(Check::park);
        while (arrived.get() < k || gate.getQueueLength() < k) Thread.sleep(1);
    }

    static void releaseAll(int k) throws InterruptedException {
        gate.releaseShared(1);
        while (finished.get() < k) Thread.sleep(1);
    }

    /** The live-heap histogram: {instances, bytes} by class, and the totals under "Total". */
    static Map<String, long[]> histogram() throws Exception {
        Object text = ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[] {new String[0]}, new String[] {String[].class.getName()});
        Map<String, long[]> out = new HashMap<>();
        for (String line : text.toString().split("\n")) {
            String[] w = line.trim().split("\\s+");
            if (w.length >= 4 && w[0].endsWith(":")) out.put(w[3], new long[] {Long.parseLong(w[1]), Long.parseLong(w[2])});
            else if (w.length >= 3 && w[0].equals("Total")) out.put("Total", new long[] {Long.parseLong(w[1]), Long.parseLong(w[2])});
        }
        return out;
    }

    /** The Java heap's reserved address range, from GC.heap_info: `[0x0000000687400000, 0x0000000800000000)`. */
    static long[] heapRange() throws Exception {
        Object text = ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcHeapInfo",
                new Object[] {new String[0]}, new String[] {String[].class.getName()});
        var m = java.util.regex.Pattern.compile("\\[0x([0-9a-f]+), 0x([0-9a-f]+)\\)").matcher(text.toString());
        if (!m.find()) throw new IllegalStateException("no heap range in " + text);
        return new long[] {Long.parseUnsignedLong(m.group(1), 16), Long.parseUnsignedLong(m.group(2), 16)};
    }

    /** Resident kB of the mappings that start inside [lo, hi), from /proc/self/smaps. */
    static long residentKb(long[] range) throws Exception {
        long total = 0, start = -1;
        for (String l : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            if (l.matches("^[0-9a-f]+-[0-9a-f]+ .*")) start = Long.parseUnsignedLong(l.substring(0, l.indexOf('-')), 16);
            else if (l.startsWith("Rss:") && start >= range[0] && start < range[1]) total += Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
        return total;
    }

    static long runtimeUsed() { System.gc(); Runtime r = Runtime.getRuntime(); return r.totalMemory() - r.freeMemory(); }

    static long vmRssKb() throws Exception {
        Thread.sleep(1000);
        for (String l : Files.readAllLines(Path.of("/proc/self/status")))
            if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
        throw new IllegalStateException("no VmRSS");
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        List<String> opts = Arrays.asList(args).subList(Math.min(2, args.length), args.length);
        boolean split = opts.contains("split");
        // shrink=P: the full GCs of the readings keep at most P% of the heap free (MaxHeapFreeRatio, a manageable
        // flag, set here after the warm-up and kept), as the row's readings do since 2026-12-05.
        String shrink = opts.stream().filter(o -> o.startsWith("shrink=")).map(o -> o.substring(7)).findFirst().orElse(null);
        // Every reading once before the warm-up: classes loaded after it (the MBean server's) invalidate the
        // compiled park path (its class-hierarchy assumptions), and the measured threads would park while it
        // is recompiled.
        histogram();
        var hotspot = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
        hotspot.getVMOption("MaxHeapFreeRatio");
        runtimeUsed();
        vmRssKb();
        long[] heap = split ? heapRange() : null;
        if (split) residentKb(heap);
        var jit = ManagementFactory.getCompilationMXBean();
        for (int r = 0; r < Math.max(1, rounds); r++) {
            int k = rounds == 0 ? 1 : 1000;
            parkAll(k);
            releaseAll(k);
        }
        for (long last = -1, now; rounds > 0 && (now = jit.getTotalCompilationTime()) != last; last = now) Thread.sleep(500);

        if (shrink != null) {
            hotspot.setVMOption("MinHeapFreeRatio", "0");
            hotspot.setVMOption("MaxHeapFreeRatio", shrink);
        }
        Map<String, long[]> h0 = histogram();
        long u0 = runtimeUsed(), r0 = vmRssKb(), hr0 = split ? residentKb(heap) : 0;
        parkAll(n);
        Map<String, long[]> h1 = histogram();
        long u1 = runtimeUsed(), r1 = vmRssKb(), hr1 = split ? residentKb(heap) : 0;

        String gc = ManagementFactory.getGarbageCollectorMXBeans().get(0).getName();
        System.out.printf("java=%s gc=%s max_heap=%d MiB carriers=%s threads=%d warm-up=%d x 1000 shrink=%s%n", Runtime.version(), gc,
                Runtime.getRuntime().maxMemory() >> 20,
                System.getProperty("jdk.virtualThreadScheduler.parallelism", "default (" + Runtime.getRuntime().availableProcessors() + ")"),
                n, rounds, shrink == null ? "no" : shrink + "%");
        long hb0 = h0.get("Total")[1], hb1 = h1.get("Total")[1];
        System.out.printf("class histogram (live heap): %d -> %d, %.1f B per thread%n", hb0, hb1, (hb1 - hb0) / (double) n);
        System.out.printf("Runtime used after System.gc(): %d -> %d, %.1f B per thread%n", u0, u1, (u1 - u0) / (double) n);
        System.out.printf("VmRSS: %d -> %d kB, %.1f B per thread%n", r0, r1, (r1 - r0) * 1024.0 / n);
        if (split) System.out.printf("  of which the Java heap's mappings: %d -> %d kB, %.1f B per thread; the rest %.1f B%n", hr0, hr1,
                (hr1 - hr0) * 1024.0 / n, ((r1 - hr1) - (r0 - hr0)) * 1024.0 / n);
        h1.entrySet().stream().filter(e -> !e.getKey().equals("Total"))
                .map(e -> Map.entry(e.getKey(), new long[] {
                        e.getValue()[0] - h0.getOrDefault(e.getKey(), new long[2])[0],
                        e.getValue()[1] - h0.getOrDefault(e.getKey(), new long[2])[1]}))
                .filter(e -> e.getValue()[1] >= n / 2)
                .sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]))
                .forEach(e -> System.out.printf("  %-66s +%d objects, %.1f B per thread%n", e.getKey(), e.getValue()[0], e.getValue()[1] / (double) n));
        releaseAll(n);
    }
}
