package main

import (
	"flag"
	"sync"
	"sync/atomic"
	"time"
)

// hogs starts k goroutines that spin in 100 us pieces until stop is set; the returned func
// waits for them and gives the CPU time they spun (us).
func hogs(r *run, k int, stop *int32) func() float64 {
	var wg sync.WaitGroup
	var spun int64
	r.goN(k, &wg, func(int) {
		for atomic.LoadInt32(stop) == 0 {
			spin(100)
			atomic.AddInt64(&spun, 100)
		}
	})
	return func() float64 { wg.Wait(); return float64(atomic.LoadInt64(&spun)) }
}

// pingpong: -pairs goroutine pairs pass a token back and forth over unbuffered channels, each
// turn doing -work_us of CPU, beside -hogs goroutines spinning for the whole -duration_ms.
// Latency: per hand-off, from just before the send to the partner's return from its receive.
func pingpongProbe(fs *flag.FlagSet) func(r *run) error {
	pairs := fs.Int("pairs", 2, "goroutine pairs")
	workUs := fs.Float64("work_us", 1, "CPU work per turn (us)")
	nhogs := fs.Int("hogs", 1, "CPU-hog goroutines beside the pairs")
	durationMs := fs.Float64("duration_ms", 200, "run time (ms)")
	return func(r *run) error {
		if err := check(*pairs > 0, "-pairs must be > 0", *workUs >= 0, "-work_us must be >= 0",
			*nhogs >= 0, "-hogs must be >= 0", *durationMs > 0, "-duration_ms must be > 0"); err != nil {
			return err
		}
		r.latName = "channel hand-off: send to the partner's wake-up"
		var stop int32
		var wg sync.WaitGroup
		base := time.Now() // tokens carry ns since base (monotonic)
		r.begin()
		waitHogs := hogs(r, *nhogs, &stop)
		deadline := time.Duration(*durationMs * 1e6)
		for i := 0; i < *pairs; i++ {
			ab, ba := make(chan int64), make(chan int64)
			wg.Add(2)
			r.goIn()
			r.goIn()
			go func() { // A: starts each exchange and stops the pair at the deadline
				defer wg.Done()
				defer r.goOut()
				h := r.lat.local()
				defer r.lat.merge(h)
				for time.Since(base) < deadline {
					spin(*workUs)
					ab <- int64(time.Since(base))
					t := <-ba
					h.add(time.Since(base) - time.Duration(t))
				}
				close(ab)
			}()
			go func() { // B: answers
				defer wg.Done()
				defer r.goOut()
				h := r.lat.local()
				defer r.lat.merge(h)
				for t := range ab {
					h.add(time.Since(base) - time.Duration(t))
					spin(*workUs)
					ba <- int64(time.Since(base))
				}
			}()
		}
		wg.Wait()
		atomic.StoreInt32(&stop, 1)
		hogUs := waitHogs()
		r.end()
		r.ops = r.lat.n
		r.res.Extra["handoffs"] = r.lat.n
		r.res.Extra["hog_cpu_s"] = hogUs / 1e6
		return nil
	}
}
