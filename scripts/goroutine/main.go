// Command goroutine-probe is the Go side of taskbench's `goroutine` task model (src/models/goroutine.rs).
//
// Run without arguments it is a server: it prints one `hello` line, then answers one request per line on
// stdin with one reply per line on stdout, and exits at end of input. Every reply is `<word> key=value ...`;
// a request it cannot serve gets `error <message>`.
//
//	hello go=<runtime.Version()> gomaxprocs=<n> pid=<pid> godebug=<GODEBUG or ->
//	parked N limit_ms=L [hold=K] -> baseline heap=<HeapAlloc> stack=<StackInuse>     (after runtime.GC)
//	spawn                 -> parked spawn_ns=<ns> arrived=<n> heap=<> stack=<> goroutines=<NumGoroutine>
//	spawn nomem           -> the same, without the memory reading (heap=0 stack=0): a timing run skips the
//	                         runtime.GC() that would scan N live stacks (seconds at 10^6)
//	release               -> joined finished=<n> held=<sum of every byte the goroutines held, read after release>
//	abort                 -> aborted finished=<n>    (instead of spawn or release: ends the experiment)
//	spawn_join N limit_ms=L -> spawn_join ns=<ns> finished=<n>
//	handoff N laps=K limit_ms=L -> handoff ns=<ns> handoffs=<n> out_of_order=<n> finished=<n>
//	yield N yields=K limit_ms=L -> yield ns=<ns> yields=<n> finished=<n>
//
// handoff: N goroutines in a ring, an unbuffered channel per link; each receives the token (the hand-off's
// sequence number) K times and sends it on, and counts the token that did not reach it in ring order. Timed
// from the first send, once every goroutine has started, until every one has finished. yield: N goroutines,
// started and blocked on a gate, each call runtime.Gosched() K times once it closes; timed from the close
// until every one has finished.
//
// A parked goroutine counts itself in `arrived` and then blocks receiving from a channel that `release`
// closes. With hold=K (one of 0, 64, 512, 4096, 16384) each goroutine first fills a local [K]byte array with
// 0x5a, and reads all of it after it is released: the array lives on the goroutine's stack across the park
// point (a 16 KiB frame grows a 2 KiB stack to 32 KiB), and `held` is N*K*0x5a only if none of it was
// dropped. Only the spawn loop is timed. The memory readings are taken after runtime.GC(), while all N
// goroutines are alive: HeapAlloc does not include goroutine stacks, which are in StackInuse.
//
// If a wait for goroutines exceeds its limit the probe replies `error ...` and exits: goroutines still
// running would corrupt any later experiment, and the model starts a fresh probe on its next call.
//
// `goroutine-probe seed N` is a one-shot run of the method of the blog post this project grew from
// (shared/origin/goroutines-post.md), in a fresh process as the post's program was: MemStats.Alloc before,
// N goroutines that each run `defer wg.Done()`, wg.Wait(), MemStats.Alloc after. No GC is forced, as in the
// post; the goroutines have all exited when `after` is read. It prints `seed before=<bytes>` where the post
// prints its first line and `seed after=<bytes> finished=<n>` where it prints its second, so fmt's own
// allocations fall where they fell in the post.
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The state of the experiment in progress. The goroutines read it from package variables rather than
// capturing it, so that a `go` statement allocates no closure: what is measured is the goroutine alone.
var (
	target     int64
	arrived    int64
	finished   int64
	allArrived chan struct{}
	allDone    chan struct{}
	gate       chan struct{}
)

func reset(n int) {
	target, arrived, finished = int64(n), 0, 0
	allArrived, allDone, gate = make(chan struct{}), make(chan struct{}), make(chan struct{})
	if n == 0 {
		close(allArrived)
		close(allDone)
	}
}

// parkOne is the body of a parked goroutine: count itself, block on the gate, count itself finished.
func parkOne() {
	arrive()
	<-gate
	done()
}

func arrive() {
	if atomic.AddInt64(&arrived, 1) == target {
		close(allArrived)
	}
}

func done() {
	if atomic.AddInt64(&finished, 1) == target {
		close(allDone)
	}
}

// The bodies of goroutines that hold K bytes across the park point, by K: an array's length is a constant in
// Go, so one function per size. 0 holds nothing and is parkOne itself. Top-level functions: `go body()`
// allocates no closure.
var holding = map[int]func(){0: parkOne, 64: hold64, 512: hold512, 4096: hold4096, 16384: hold16384}

// held is the sum of every byte the holding goroutines read back after their release.
var held uint64

// keep reads a held array after the park point, before the goroutine counts itself done (so `held` is
// complete once every goroutine is). It does not retain b, so the array stays on the stack.
func keep(b []byte) {
	var sum uint64
	for _, x := range b {
		sum += uint64(x)
	}
	atomic.AddUint64(&held, sum)
}

func hold64() {
	var a [64]byte
	for i := range a {
		a[i] = 0x5a
	}
	arrive()
	<-gate
	keep(a[:])
	done()
}

func hold512() {
	var a [512]byte
	for i := range a {
		a[i] = 0x5a
	}
	arrive()
	<-gate
	keep(a[:])
	done()
}

func hold4096() {
	var a [4096]byte
	for i := range a {
		a[i] = 0x5a
	}
	arrive()
	<-gate
	keep(a[:])
	done()
}

func hold16384() {
	var a [16384]byte
	for i := range a {
		a[i] = 0x5a
	}
	arrive()
	<-gate
	keep(a[:])
	done()
}

// trivial is the body of a spawn_join goroutine.
func trivial() {
	if atomic.AddInt64(&finished, 1) == target {
		close(allDone)
	}
}

// The ring of the handoff experiment: one unbuffered channel per link, the laps, and the counts.
var (
	links      []chan int
	laps       int
	handoffs   int64
	outOfOrder int64
	yields     int64
)

// link is the body of goroutine i of the ring.
func link(i int) {
	n := len(links)
	arrive()
	for lap := 0; lap < laps; lap++ {
		s := <-links[i]
		if s%n != i {
			atomic.AddInt64(&outOfOrder, 1)
		}
		atomic.AddInt64(&handoffs, 1)
		if s+1 < n*laps {
			links[(i+1)%n] <- s + 1
		}
	}
	done()
}

// yielder is the body of a yield goroutine: K calls to runtime.Gosched() once the gate closes.
func yielder(k int) {
	arrive()
	<-gate
	count := int64(0)
	for y := 0; y < k; y++ {
		runtime.Gosched()
		count++
	}
	atomic.AddInt64(&yields, count)
	done()
}

// parseSwitch reads `N <key>=K limit_ms=L` (limit optional, default 60 s).
func parseSwitch(args []string, key string) (int, int, time.Duration, error) {
	if len(args) < 2 {
		return 0, 0, 0, fmt.Errorf("expected N %s=K [limit_ms=L]", key)
	}
	k, err := strconv.Atoi(strings.TrimPrefix(args[1], key+"="))
	if err != nil || k < 1 || !strings.HasPrefix(args[1], key+"=") {
		return 0, 0, 0, fmt.Errorf("bad %s %q", key, args[1])
	}
	n, limit, _, err := parse(append([]string{args[0]}, args[2:]...), false)
	if err == nil && n < 1 {
		err = fmt.Errorf("a count of at least 1 goroutine is needed")
	}
	return n, k, limit, err
}

var out = bufio.NewWriter(os.Stdout)

func reply(format string, args ...interface{}) {
	fmt.Fprintf(out, format+"\n", args...)
	out.Flush()
}

// fatal replies with an error and exits; used when goroutines of a failed experiment may still be running.
func fatal(format string, args ...interface{}) {
	reply("error "+format, args...)
	os.Exit(3)
}

// await waits for ch to close, at most limit.
func await(ch chan struct{}, limit time.Duration) bool {
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}

func memory() (heap, stack uint64) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, m.StackInuse
}

// parse reads `N limit_ms=L hold=K` (limit optional, default 60 s; hold optional, default 0 and allowed
// only where withHold).
func parse(args []string, withHold bool) (int, time.Duration, int, error) {
	if len(args) < 1 {
		return 0, 0, 0, fmt.Errorf("missing task count")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 0 {
		return 0, 0, 0, fmt.Errorf("bad task count %q", args[0])
	}
	limit, hold := 60*time.Second, 0
	for _, a := range args[1:] {
		if v := strings.TrimPrefix(a, "hold="); v != a && withHold {
			k, err := strconv.Atoi(v)
			if _, known := holding[k]; err != nil || !known {
				return 0, 0, 0, fmt.Errorf("bad hold %q (one of 0, 64, 512, 4096, 16384)", a)
			}
			hold = k
			continue
		}
		v := strings.TrimPrefix(a, "limit_ms=")
		if v == a {
			return 0, 0, 0, fmt.Errorf("unknown argument %q", a)
		}
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms <= 0 {
			return 0, 0, 0, fmt.Errorf("bad limit %q", a)
		}
		limit = time.Duration(ms) * time.Millisecond
	}
	return n, limit, hold, nil
}

type phase int

const (
	idle     phase = iota
	baseline       // baseline read, waiting for `spawn`
	parked         // all parked, waiting for `release`
)

func serve() {
	godebug := os.Getenv("GODEBUG")
	if godebug == "" {
		godebug = "-"
	}
	reply("hello go=%s gomaxprocs=%d pid=%d godebug=%s", runtime.Version(), runtime.GOMAXPROCS(0), os.Getpid(), godebug)

	in := bufio.NewScanner(os.Stdin)
	state := idle
	n, hold := 0, 0
	var limit time.Duration

	// finish releases the parked goroutines (if any) and waits for every spawned one to finish.
	finish := func() int64 {
		if state == parked {
			close(gate)
			if !await(allDone, limit) {
				fatal("timed out after %v: %d of %d goroutines finished after release", limit, atomic.LoadInt64(&finished), n)
			}
		}
		state = idle
		return atomic.LoadInt64(&finished)
	}

	for in.Scan() {
		fields := strings.Fields(in.Text())
		if len(fields) == 0 {
			reply("error empty request")
			continue
		}
		cmd, args := fields[0], fields[1:]
		switch {
		case cmd == "parked" && state == idle:
			var err error
			if n, limit, hold, err = parse(args, true); err != nil {
				reply("error parked: %v", err)
				continue
			}
			reset(n)
			held = 0
			heap, stack := memory()
			state = baseline
			reply("baseline heap=%d stack=%d", heap, stack)
		case cmd == "spawn" && state == baseline:
			readMemory := len(args) == 0
			if !readMemory && (len(args) != 1 || args[0] != "nomem") {
				reply("error spawn: unknown argument %q", strings.Join(args, " "))
				finish()
				continue
			}
			body := holding[hold]
			start := time.Now()
			if hold == 0 {
				for i := 0; i < n; i++ {
					go parkOne()
				}
			} else {
				for i := 0; i < n; i++ {
					go body()
				}
			}
			spawn := time.Since(start)
			state = parked
			if !await(allArrived, limit) {
				fatal("timed out after %v: %d of %d goroutines parked", limit, atomic.LoadInt64(&arrived), n)
			}
			// A goroutine counts itself just before it blocks on the gate; give the last few time to block.
			runtime.Gosched()
			time.Sleep(time.Millisecond)
			var heap, stack uint64
			if readMemory {
				heap, stack = memory()
			}
			reply("parked spawn_ns=%d arrived=%d heap=%d stack=%d goroutines=%d",
				spawn.Nanoseconds(), atomic.LoadInt64(&arrived), heap, stack, runtime.NumGoroutine())
		case cmd == "release" && state == parked:
			finished := finish()
			reply("joined finished=%d held=%d", finished, atomic.LoadUint64(&held))
		case cmd == "abort" && state != idle:
			reply("aborted finished=%d", finish())
		case cmd == "spawn_join" && state == idle:
			var err error
			if n, limit, _, err = parse(args, false); err != nil {
				reply("error spawn_join: %v", err)
				continue
			}
			reset(n)
			start := time.Now()
			for i := 0; i < n; i++ {
				go trivial()
			}
			ok := await(allDone, limit)
			elapsed := time.Since(start)
			if !ok {
				fatal("timed out after %v: %d of %d goroutines finished", limit, atomic.LoadInt64(&finished), n)
			}
			reply("spawn_join ns=%d finished=%d", elapsed.Nanoseconds(), atomic.LoadInt64(&finished))
		case cmd == "handoff" && state == idle:
			var err error
			if n, laps, limit, err = parseSwitch(args, "laps"); err != nil || n < 2 {
				reply("error handoff: a ring of at least 2 goroutines is needed (%v)", err)
				continue
			}
			reset(n)
			handoffs, outOfOrder = 0, 0
			links = make([]chan int, n)
			for i := range links {
				links[i] = make(chan int)
			}
			for i := 0; i < n; i++ {
				go link(i)
			}
			if !await(allArrived, limit) {
				fatal("timed out after %v: %d of %d ring goroutines started", limit, atomic.LoadInt64(&arrived), n)
			}
			start := time.Now()
			links[0] <- 0
			ok := await(allDone, limit)
			elapsed := time.Since(start)
			if !ok {
				fatal("timed out after %v: the ring stalled after %d hand-offs", limit, atomic.LoadInt64(&handoffs))
			}
			reply("handoff ns=%d handoffs=%d out_of_order=%d finished=%d", elapsed.Nanoseconds(),
				atomic.LoadInt64(&handoffs), atomic.LoadInt64(&outOfOrder), atomic.LoadInt64(&finished))
		case cmd == "yield" && state == idle:
			var err error
			var k int
			if n, k, limit, err = parseSwitch(args, "yields"); err != nil {
				reply("error yield: %v", err)
				continue
			}
			reset(n)
			yields = 0
			for i := 0; i < n; i++ {
				go yielder(k)
			}
			if !await(allArrived, limit) {
				fatal("timed out after %v: %d of %d goroutines started", limit, atomic.LoadInt64(&arrived), n)
			}
			start := time.Now()
			close(gate)
			ok := await(allDone, limit)
			elapsed := time.Since(start)
			if !ok {
				fatal("timed out after %v: %d of %d goroutines finished", limit, atomic.LoadInt64(&finished), n)
			}
			reply("yield ns=%d yields=%d finished=%d", elapsed.Nanoseconds(), atomic.LoadInt64(&yields),
				atomic.LoadInt64(&finished))
		case cmd == "seed":
			reply("error seed runs in a fresh process: goroutine-probe seed N")
		default:
			names := [...]string{"idle", "after baseline", "while parked"}
			reply("error unexpected request %q %s", in.Text(), names[state])
			if state != idle {
				finish()
			}
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "goroutine-probe: reading stdin:", err)
		os.Exit(1)
	}
}

// seed is the blog post's program, with N from the command line and the figures printed in bytes.
func seed(N int) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Printf("seed before=%d\n", m.Alloc)

	var wg sync.WaitGroup
	wg.Add(N)
	for i := 0; i < N; i++ {
		go func() {
			defer wg.Done()
		}()
	}
	wg.Wait()

	runtime.ReadMemStats(&m)
	// wg.Wait returned, so exactly N goroutines ran wg.Done (one more would have panicked).
	fmt.Printf("seed after=%d finished=%d\n", m.Alloc, N)
}

func main() {
	switch {
	case len(os.Args) == 1:
		serve()
	case len(os.Args) == 3 && os.Args[1] == "seed":
		n, err := strconv.Atoi(os.Args[2])
		if err != nil || n < 0 {
			fmt.Println("error seed: bad task count", strconv.Quote(os.Args[2]))
			os.Exit(2)
		}
		seed(n)
	default:
		fmt.Println("error usage: goroutine-probe | goroutine-probe seed N")
		os.Exit(2)
	}
}
