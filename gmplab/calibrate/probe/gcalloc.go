package main

import (
	"flag"
	"math/rand"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// node is one 64-byte object of the live heap: pointers, so the collector has marking to do.
type node struct {
	next *node
	vals [7]uint64
}

var liveHeap []*node

// buildLive keeps about mib MiB reachable as 64 chains of 64-byte nodes.
func buildLive(mib float64) int {
	n := int(mib * (1 << 20) / 64)
	liveHeap = make([]*node, 64)
	for i := 0; i < n; i++ {
		liveHeap[i%64] = &node{next: liveHeap[i%64], vals: [7]uint64{uint64(i)}}
	}
	return n
}

// allocate allocates kibPerMs KiB per millisecond of short-lived objects (16 B to 2 KiB, a
// ring of 256 keeps the newest alive briefly) until stop is set, pacing with short sleeps.
func allocate(seed int64, kibPerMs float64, stop *int32, total *int64) {
	rng := rand.New(rand.NewSource(seed))
	var ring [256][]byte
	start := time.Now()
	done, k := int64(0), 0
	for atomic.LoadInt32(stop) == 0 {
		target := int64(time.Since(start).Seconds() * 1e3 * kibPerMs * 1024)
		for done < target && atomic.LoadInt32(stop) == 0 {
			sz := 16 << uint(rng.Intn(8)) // 16 B .. 2 KiB
			ring[k&255] = make([]byte, sz)
			done += int64(sz)
			k++
		}
		time.Sleep(200 * time.Microsecond)
	}
	atomic.AddInt64(total, done)
}

// gcalloc: -allocators goroutines allocate -alloc_kib_per_ms each of short-lived objects
// with -live_mib kept reachable (GOGC from the environment, or -gogc), beside an open-loop
// Poisson stream (-rate per second, -work_us CPU each, allocating nothing) for -duration_ms.
// Latency: request sojourn from the intended arrival; GC cycles and pauses are in the metrics.
func gcallocProbe(fs *flag.FlagSet) func(r *run) error {
	allocators := fs.Int("allocators", 2, "allocating goroutines")
	kibPerMs := fs.Float64("alloc_kib_per_ms", 256, "allocation rate per allocator (KiB/ms)")
	liveMib := fs.Float64("live_mib", 16, "live heap kept reachable (MiB)")
	gogc := fs.String("gogc", "env", "GOGC: env (the environment's, else 100), off, or a percentage")
	rate := fs.Float64("rate", 2000, "stream requests per second")
	workUs := fs.Float64("work_us", 20, "mean CPU work per request (us)")
	dist := fs.String("dist", "exp", "stream work distribution: exp | const")
	durationMs := fs.Float64("duration_ms", 200, "stream duration (ms)")
	return func(r *run) error {
		s, a, err := newStream(r, *rate, *workUs, *dist)
		if err != nil {
			return err
		}
		if err := check(*allocators >= 0, "-allocators must be >= 0", *kibPerMs >= 0,
			"-alloc_kib_per_ms must be >= 0", *liveMib >= 0, "-live_mib must be >= 0",
			*durationMs > 0, "-duration_ms must be > 0"); err != nil {
			return err
		}
		switch *gogc {
		case "env":
		case "off":
			debug.SetGCPercent(-1)
		default:
			v, err := strconv.Atoi(*gogc)
			if err != nil || v < 0 {
				return bad("-gogc must be env, off or a percentage >= 0 (got %q)", *gogc)
			}
			debug.SetGCPercent(v)
		}
		pct := debug.SetGCPercent(-1)
		debug.SetGCPercent(pct)
		r.res.Extra["gogc_effective"] = pct
		r.res.Extra["gogc_environment"] = os.Getenv("GOGC")
		r.res.Extra["live_objects"] = buildLive(*liveMib)
		runtime.GC()
		var stop int32
		var allocated int64
		var wg sync.WaitGroup
		r.begin()
		base := time.Now()
		r.goN(*allocators, &wg, func(i int) {
			allocate(r.seed*1000+int64(i), *kibPerMs, &stop, &allocated)
		})
		runStream(s, a, base, 0, time.Duration(*durationMs*1e6), nil)
		s.report()
		atomic.StoreInt32(&stop, 1)
		wg.Wait()
		r.end()
		runtime.KeepAlive(liveHeap)
		r.res.Extra["allocated_bytes"] = allocated
		return nil
	}
}
