package main

import (
	"flag"
	"math/rand"
	"sync"
	"time"
)

// arrivals draws an open-loop Poisson stream from a seeded RNG: intended arrival offsets with
// exponential gaps of mean 1/rate, and each request's CPU work (exp or const, mean workUs).
type arrivals struct {
	rng    *rand.Rand
	rate   float64
	workUs float64
	dist   string
	at     time.Duration
}

func newArrivals(seed int64, rate, workUs float64, dist string) *arrivals {
	return &arrivals{rng: rand.New(rand.NewSource(seed)), rate: rate, workUs: workUs, dist: dist}
}

func (a *arrivals) next() (at time.Duration, workUs float64) {
	a.at += time.Duration(a.rng.ExpFloat64() / a.rate * 1e9)
	w := a.workUs
	if a.dist == "exp" {
		w = a.rng.ExpFloat64() * a.workUs
	}
	return a.at, w
}

// stream is an open-loop generator: it sleeps (never spins) until each intended arrival time,
// launches the request at once when it is late, and measures each request's sojourn from its
// INTENDED arrival time, so the generator's lateness counts (no coordinated omission).
type stream struct {
	r        *run
	wg       sync.WaitGroup
	n        int64
	late     int64 // arrivals launched more than 100 us after their intended time
	lateMax  time.Duration
	lateSum  time.Duration
	launched time.Duration // when the last request was launched, from the start
}

// launch sleeps until base+at and starts one request goroutine doing workUs of CPU.
func (s *stream) launch(base time.Time, at time.Duration, workUs float64) {
	intended := base.Add(at)
	if d := time.Until(intended); d > 0 {
		time.Sleep(d)
	}
	if late := time.Since(intended); late > 0 {
		s.lateSum += late
		if late > s.lateMax {
			s.lateMax = late
		}
		if late > 100*time.Microsecond {
			s.late++
		}
	}
	s.n++
	s.wg.Add(1)
	s.r.goIn()
	go func() {
		spin(workUs)
		s.r.lat.addShared(time.Since(intended))
		s.r.goOut()
		s.wg.Done()
	}()
	s.launched = time.Since(base)
}

// report waits for the requests and records the generator's lateness.
func (s *stream) report() {
	s.wg.Wait()
	s.r.ops = s.n
	s.r.res.Extra["requests"] = s.n
	s.r.res.Extra["generator_late_requests"] = s.late
	s.r.res.Extra["generator_late_max_s"] = s.lateMax.Seconds()
	if s.n > 0 {
		s.r.res.Extra["generator_late_mean_s"] = s.lateSum.Seconds() / float64(s.n)
	}
	s.r.note("open loop: %d of %d requests launched more than 100 us after their intended "+
		"arrival (max %.3g ms); latency counts from the intended time", s.late, s.n,
		s.lateMax.Seconds()*1e3)
}

// runStream generates arrivals until stop is closed (or, with stop nil, until n requests or
// the duration are reached: n <= 0 means no count limit, dur <= 0 no time limit).
func runStream(s *stream, a *arrivals, base time.Time, n int64, dur time.Duration, stop <-chan struct{}) {
	for i := int64(0); n <= 0 || i < n; i++ {
		at, w := a.next()
		if dur > 0 && at > dur {
			return
		}
		if stop != nil {
			select {
			case <-stop:
				return
			default:
			}
		}
		s.launch(base, at, w)
	}
}

// newStream checks the stream's flags and names the probe's latency: request sojourn.
func newStream(r *run, rate, workUs float64, dist string) (*stream, *arrivals, error) {
	if err := streamFlagsOK(rate, workUs, dist); err != nil {
		return nil, nil, err
	}
	r.latName = "request sojourn: intended arrival to end of work"
	return &stream{r: r}, newArrivals(r.seed, rate, workUs, dist), nil
}

func streamFlagsOK(rate, workUs float64, dist string) error {
	return check(rate > 0, "-rate must be > 0", workUs >= 0, "work per request must be >= 0",
		dist == "exp" || dist == "const", "-dist must be exp or const")
}

// openloop: -requests (or -duration_ms of) Poisson arrivals at -rate per second, each a new
// goroutine doing -work_us of CPU (-dist exp|const). The arrival times are drawn before the
// measured phase. Latency: sojourn from the intended arrival to completion.
func openloopProbe(fs *flag.FlagSet) func(r *run) error {
	rate := fs.Float64("rate", 2000, "requests per second")
	workUs := fs.Float64("work_us", 100, "mean CPU work per request (us)")
	dist := fs.String("dist", "exp", "work distribution: exp | const")
	requests := fs.Int("requests", 500, "requests (ignored when -duration_ms > 0)")
	durationMs := fs.Float64("duration_ms", 0, "generate arrivals for this long instead (ms)")
	return func(r *run) error {
		s, a, err := newStream(r, *rate, *workUs, *dist)
		if err != nil {
			return err
		}
		if err := check(*requests > 0 || *durationMs > 0, "-requests or -duration_ms must be > 0",
			*durationMs >= 0, "-duration_ms must be >= 0"); err != nil {
			return err
		}
		var at []time.Duration
		var work []float64
		dur := time.Duration(*durationMs * 1e6)
		for dur > 0 || len(at) < *requests {
			t, w := a.next()
			if dur > 0 && t > dur {
				break
			}
			at, work = append(at, t), append(work, w)
		}
		r.begin()
		base := time.Now()
		for i := range at {
			s.launch(base, at[i], work[i])
		}
		s.report()
		r.end()
		return nil
	}
}
