package main

import (
	"flag"
	"sync"
	"time"
)

// burst: -n goroutines spawned at once, each doing -work_us of CPU, -rounds times with a gap
// of -gap_ms between rounds. Latency: each goroutine's sojourn, from its go statement to the
// end of its work.
func burstProbe(fs *flag.FlagSet) func(r *run) error {
	n := fs.Int("n", 1000, "goroutines per round")
	workUs := fs.Float64("work_us", 50, "CPU work per goroutine (us)")
	rounds := fs.Int("rounds", 20, "rounds")
	gapMs := fs.Float64("gap_ms", 2, "pause between rounds (ms)")
	return func(r *run) error {
		if err := check(*n > 0, "-n must be > 0", *workUs >= 0, "-work_us must be >= 0",
			*rounds > 0, "-rounds must be > 0", *gapMs >= 0, "-gap_ms must be >= 0"); err != nil {
			return err
		}
		r.latName = "burst goroutine sojourn: go statement to end of work"
		r.note("wall_s includes the %d gaps of %g ms between rounds", *rounds-1, *gapMs)
		var wg sync.WaitGroup
		r.begin()
		for round := 0; round < *rounds; round++ {
			if round > 0 && *gapMs > 0 {
				time.Sleep(time.Duration(*gapMs * 1e6))
			}
			wg.Add(*n)
			for i := 0; i < *n; i++ {
				r.goIn()
				t := time.Now()
				go func(t time.Time) {
					spin(*workUs)
					r.lat.addShared(time.Since(t))
					r.goOut()
					wg.Done()
				}(t)
			}
			wg.Wait()
		}
		r.end()
		r.ops = int64(*n) * int64(*rounds)
		return nil
	}
}
