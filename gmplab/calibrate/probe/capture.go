package main

// Reading runtime/metrics in the gmplab capture encoding (docs/capture-format.md): uint64 as a
// JSON integer, float64 as a number or "NaN"/"+Inf"/"-Inf", Float64Histogram as
// {"buckets": [...], "counts": [...]} with the boundaries as the runtime gives them. The code
// is the capture snippet's, split into functions the probes call around their measured phase.

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// num encodes a float64 for encoding/json, which cannot encode ±Inf or NaN.
func num(x float64) any {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return strconv.FormatFloat(x, 'g', -1, 64) // "+Inf", "-Inf", "NaN"
	}
	return x
}

// readMetrics returns every metric of metrics.All() that the runtime supports, encoded as in a
// gmplab-capture/1 sample's "metrics" object.
func readMetrics() map[string]any {
	descs := metrics.All()
	buf := make([]metrics.Sample, len(descs))
	for i := range descs {
		buf[i].Name = descs[i].Name
	}
	metrics.Read(buf)
	m := map[string]any{}
	for _, s := range buf {
		switch s.Value.Kind() {
		case metrics.KindUint64:
			m[s.Name] = s.Value.Uint64()
		case metrics.KindFloat64:
			m[s.Name] = num(s.Value.Float64())
		case metrics.KindFloat64Histogram:
			h := s.Value.Float64Histogram() // reused by the next Read: copy it
			b := make([]any, len(h.Buckets))
			for i, x := range h.Buckets {
				b[i] = num(x)
			}
			m[s.Name] = map[string]any{"buckets": b, "counts": append([]uint64{}, h.Counts...)}
		}
	}
	return m
}

// schedLatencyBounds returns the bucket boundaries of /sched/latencies:seconds as read now.
func schedLatencyBounds() []float64 {
	s := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return []float64{math.Inf(-1), math.Inf(1)}
	}
	return append([]float64{}, s[0].Value.Float64Histogram().Buckets...)
}

// latHist is a latency histogram with the runtime's bucket boundaries (seconds): bucket i is
// [bounds[i], bounds[i+1]). add is for one goroutine; addShared for many at once; merge folds a
// goroutine's own histogram into a shared one.
type latHist struct {
	bounds []float64
	counts []uint64
	sumNs  int64
	n      int64
	maxNs  int64
	mu     sync.Mutex
}

func newLatHist(bounds []float64) *latHist {
	return &latHist{bounds: bounds, counts: make([]uint64, len(bounds)-1)}
}

func (h *latHist) bucket(d time.Duration) int {
	x := d.Seconds()
	i := sort.Search(len(h.bounds), func(i int) bool { return h.bounds[i] > x }) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(h.counts) {
		i = len(h.counts) - 1
	}
	return i
}

func (h *latHist) add(d time.Duration) {
	h.counts[h.bucket(d)]++
	h.sumNs += int64(d)
	h.n++
	if int64(d) > h.maxNs {
		h.maxNs = int64(d)
	}
}

func (h *latHist) addShared(d time.Duration) {
	atomic.AddUint64(&h.counts[h.bucket(d)], 1)
	atomic.AddInt64(&h.sumNs, int64(d))
	atomic.AddInt64(&h.n, 1)
	for {
		m := atomic.LoadInt64(&h.maxNs)
		if int64(d) <= m || atomic.CompareAndSwapInt64(&h.maxNs, m, int64(d)) {
			return
		}
	}
}

func (h *latHist) local() *latHist { return newLatHist(h.bounds) }

func (h *latHist) merge(o *latHist) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.sumNs += o.sumNs
	h.n += o.n
	if o.maxNs > h.maxNs {
		h.maxNs = o.maxNs
	}
}

func (h *latHist) encode(name string) map[string]any {
	b := make([]any, len(h.bounds))
	for i, x := range h.bounds {
		b[i] = num(x)
	}
	return map[string]any{"name": name, "buckets": b, "counts": h.counts}
}

// machineInfo describes the machine from /proc/cpuinfo and /sys/devices/system/node; the roots
// can be moved with GMPLAB_PROBE_PROCFS and GMPLAB_PROBE_SYSFS (tests use a missing folder).
func machineInfo() map[string]any {
	procfs, sysfs := os.Getenv("GMPLAB_PROBE_PROCFS"), os.Getenv("GMPLAB_PROBE_SYSFS")
	if procfs == "" {
		procfs = "/proc"
	}
	if sysfs == "" {
		sysfs = "/sys"
	}
	host, _ := os.Hostname()
	m := map[string]any{"cpu_model": nil, "logical_cpus": runtime.NumCPU(), "physical_cores": nil,
		"numa_nodes": nil, "numa_note": nil, "goos": runtime.GOOS, "goarch": runtime.GOARCH,
		"hostname": host}
	if f, err := os.Open(filepath.Join(procfs, "cpuinfo")); err == nil {
		cores := map[string]bool{}
		phys := ""
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if !ok {
				continue
			}
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			switch k {
			case "model name":
				if m["cpu_model"] == nil {
					m["cpu_model"] = v
				}
			case "physical id":
				phys = v
			case "core id":
				cores[phys+"/"+v] = true
			}
		}
		f.Close()
		if len(cores) > 0 {
			m["physical_cores"] = len(cores)
		}
	}
	dir := filepath.Join(sysfs, "devices", "system", "node")
	if _, err := os.Stat(dir); err != nil {
		m["numa_note"] = "no NUMA information: " + dir + " is missing"
	} else if nodes, _ := filepath.Glob(filepath.Join(dir, "node[0-9]*")); len(nodes) == 0 {
		m["numa_note"] = "no NUMA information: no node* folders in " + dir
	} else {
		m["numa_nodes"] = len(nodes)
	}
	return m
}
