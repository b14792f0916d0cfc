package main

import (
	"flag"
	"sync"
	"syscall"
	"time"
)

// nanosleep blocks this thread in the kernel for d (syscall.Nanosleep goes through
// syscall.Syscall, so the runtime sees a syscall: sysmon can retake the P and hand it off).
func nanosleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	for {
		var rem syscall.Timespec
		if err := syscall.Nanosleep(&ts, &rem); err != syscall.EINTR {
			return
		}
		ts = rem
	}
}

// syscall: -workers goroutines each do -ops iterations of (-work_us CPU, a blocking
// nanosleep syscall of -syscall_us), beside an open-loop Poisson stream of small requests
// (-rate per second, -req_work_us CPU each) that runs while the workers do. Latency: request
// sojourn from the intended arrival.
func syscallProbe(fs *flag.FlagSet) func(r *run) error {
	workers := fs.Int("workers", 4, "goroutines doing syscalls")
	ops := fs.Int("ops", 100, "iterations per worker")
	workUs := fs.Float64("work_us", 50, "CPU work before each syscall (us)")
	syscallUs := fs.Float64("syscall_us", 200, "blocking time of each syscall (us)")
	rate := fs.Float64("rate", 2000, "stream requests per second")
	reqWorkUs := fs.Float64("req_work_us", 10, "mean CPU work per stream request (us)")
	dist := fs.String("dist", "exp", "stream work distribution: exp | const")
	return func(r *run) error {
		s, a, err := newStream(r, *rate, *reqWorkUs, *dist)
		if err != nil {
			return err
		}
		if err := check(*workers > 0, "-workers must be > 0", *ops > 0, "-ops must be > 0",
			*workUs >= 0, "-work_us must be >= 0", *syscallUs >= 0, "-syscall_us must be >= 0"); err != nil {
			return err
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		r.begin()
		base := time.Now()
		r.goN(*workers, &wg, func(int) {
			for j := 0; j < *ops; j++ {
				spin(*workUs)
				nanosleep(time.Duration(*syscallUs * 1e3))
			}
		})
		go func() { wg.Wait(); close(stop) }()
		runStream(s, a, base, 0, 0, stop)
		s.report()
		r.end()
		r.res.Extra["syscalls"] = int64(*workers) * int64(*ops)
		return nil
	}
}
