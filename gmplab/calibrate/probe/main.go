// Command gmplab-probe runs one scheduler probe on the real Go runtime and prints one
// gmplab-probe/1 JSON document (docs/calibration.md): gmplab-probe PROBE [flags].
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const format = "gmplab-probe/1"

// childEnv marks the re-executed child that runs the probe under GODEBUG=schedtrace.
const childEnv = "GMPLAB_PROBE_CHILD"

// probe defines its flags on fs and returns the function that runs it.
type probe struct {
	help  string
	setup func(fs *flag.FlagSet) func(r *run) error
}

var probes = map[string]probe{
	"burst":    {"N goroutines spawned at once, rounds times; latency: spawn to completion", burstProbe},
	"openloop": {"open-loop Poisson requests; latency: intended arrival to completion", openloopProbe},
	"pingpong": {"goroutine pairs handing a token over channels beside CPU hogs; latency: send to wake", pingpongProbe},
	"syscall":  {"workers in blocking nanosleep syscalls beside an open-loop stream; latency: request sojourn", syscallProbe},
	"tcpecho":  {"loopback TCP echo clients and server; latency: round trip", tcpechoProbe},
	"gcalloc":  {"allocators and a live heap beside an open-loop stream; latency: request sojourn", gcallocProbe},
}

// result is the gmplab-probe/1 document, fields in output order.
type result struct {
	Format         string         `json:"format"`
	Probe          string         `json:"probe"`
	Params         map[string]any `json:"params"`
	GoVersion      string         `json:"go_version"`
	Gomaxprocs     int            `json:"gomaxprocs"`
	NumCPU         int            `json:"num_cpu"`
	Machine        map[string]any `json:"machine"`
	Spin           map[string]any `json:"spin"`
	WallS          float64        `json:"wall_s"`
	MetricsBefore  map[string]any `json:"metrics_before"`
	MetricsAfter   map[string]any `json:"metrics_after"`
	GoroutinesPeak int64          `json:"goroutines_peak"`
	Latency        map[string]any `json:"latency"`
	LatencySumS    float64        `json:"latency_sum_s"`
	LatencyCount   int64          `json:"latency_count"`
	LatencyMaxS    float64        `json:"latency_max_s"`
	Ops            int64          `json:"ops"`
	Extra          map[string]any `json:"extra"`
	Notes          []string       `json:"notes"`
	Schedtrace     []string       `json:"schedtrace"`
}

// run is what a probe uses: the latency histogram, goroutine accounting, the measured phase.
type run struct {
	res      *result
	lat      *latHist
	latName  string
	seed     int64
	t0       time.Time
	baseG    int64
	live     int64
	peak     int64
	ops      int64
	begun    bool
	finished bool
}

// begin reads metrics_before and starts the measured phase's clock.
func (r *run) begin() {
	r.res.MetricsBefore = readMetrics()
	// goroutines already counted by goIn (servers started before the phase) are not base
	atomic.StoreInt64(&r.baseG, int64(runtime.NumGoroutine())-atomic.LoadInt64(&r.live))
	r.begun = true
	r.t0 = time.Now()
}

// end stops the clock and reads metrics_after.
func (r *run) end() {
	r.res.WallS = time.Since(r.t0).Seconds()
	r.res.MetricsAfter = readMetrics()
	r.finished = true
}

// goIn counts a goroutine about to be started (call it before the go statement); goOut when
// it ends. goroutines_peak is the goroutines at begin plus the most counted at once.
func (r *run) goIn() {
	n := atomic.AddInt64(&r.live, 1)
	for {
		p := atomic.LoadInt64(&r.peak)
		if n <= p || atomic.CompareAndSwapInt64(&r.peak, p, n) {
			return
		}
	}
}

func (r *run) goOut() { atomic.AddInt64(&r.live, -1) }

// goN starts k counted goroutines f(0) .. f(k-1) in wg.
func (r *run) goN(k int, wg *sync.WaitGroup, f func(i int)) {
	for i := 0; i < k; i++ {
		wg.Add(1)
		r.goIn()
		go func(i int) {
			defer wg.Done()
			defer r.goOut()
			f(i)
		}(i)
	}
}

func (r *run) note(format string, a ...any) {
	r.res.Notes = append(r.res.Notes, fmt.Sprintf(format, a...))
}

// usage errors: one line on stderr, exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func bad(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// check returns a usage error naming the first flag whose condition fails.
func check(conds ...any) error {
	for i := 0; i+1 < len(conds); i += 2 {
		if !conds[i].(bool) {
			return bad("%s", conds[i+1].(string))
		}
	}
	return nil
}

func fail(code int, format string, a ...any) {
	fmt.Fprintf(os.Stderr, "gmplab-probe: "+format+"\n", a...)
	os.Exit(code)
}

func usage() string {
	names := make([]string, 0, len(probes))
	for n := range probes {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("usage: gmplab-probe PROBE [flags]   (gmplab-probe PROBE -h lists its flags)\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-9s %s\n", n, probes[n].help)
	}
	return b.String()
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "help" || os.Args[1] == "--help" {
		fmt.Fprint(os.Stderr, usage())
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	name := os.Args[1]
	p, ok := probes[name]
	if !ok {
		fail(2, "unknown probe %q (probes: burst, openloop, pingpong, syscall, tcpecho, gcalloc)", name)
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	gomaxprocs := fs.Int("gomaxprocs", 0, "GOMAXPROCS for the run (0: leave the runtime's)")
	schedtraceMs := fs.Int("schedtrace_ms", 0, "GODEBUG=schedtrace period in ms (0: off)")
	seed := fs.Int64("seed", 1, "random seed")
	runProbe := p.setup(fs)
	if err := fs.Parse(os.Args[2:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stderr)
			fmt.Fprintf(os.Stderr, "usage: gmplab-probe %s [flags]: %s\n", name, p.help)
			fs.PrintDefaults()
			return
		}
		fail(2, "%s: %v", name, err)
	}
	if fs.NArg() > 0 {
		fail(2, "%s: unexpected argument %q", name, fs.Arg(0))
	}
	if *gomaxprocs < 0 || *schedtraceMs < 0 {
		fail(2, "%s: -gomaxprocs and -schedtrace_ms must be >= 0", name)
	}
	if *schedtraceMs > 0 && os.Getenv(childEnv) == "" {
		os.Exit(runChild(*schedtraceMs))
	}
	if *gomaxprocs > 0 {
		runtime.GOMAXPROCS(*gomaxprocs)
	}
	params := map[string]any{}
	fs.VisitAll(func(f *flag.Flag) { params[f.Name] = f.Value.(flag.Getter).Get() })
	res := &result{Format: format, Probe: name, Params: params, GoVersion: runtime.Version(),
		Gomaxprocs: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), Machine: machineInfo(),
		Extra: map[string]any{}, Notes: []string{}, Schedtrace: []string{}}
	r := &run{res: res, lat: newLatHist(schedLatencyBounds()), seed: *seed}
	perUs, calMs := calibrateSpin()
	res.Spin = map[string]any{"iters_per_us": perUs, "calibration_ms": calMs}
	r.note("CPU work is a spin loop of %.1f iterations per microsecond, calibrated at start (best of 5)", perUs)
	if err := runProbe(r); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fail(2, "%s: %v", name, err)
		}
		fail(1, "%s: %v", name, err)
	}
	if !r.begun || !r.finished {
		fail(1, "%s: internal error: the probe did not mark its measured phase", name)
	}
	res.GoroutinesPeak = atomic.LoadInt64(&r.baseG) + atomic.LoadInt64(&r.peak)
	if r.latName != "" {
		res.Latency = r.lat.encode(r.latName)
		res.LatencySumS = float64(r.lat.sumNs) / 1e9
		res.LatencyCount = r.lat.n
		res.LatencyMaxS = float64(r.lat.maxNs) / 1e9
	}
	res.Ops = r.ops
	out, err := json.Marshal(res)
	if err != nil {
		fail(1, "%s: encoding the result: %v", name, err)
	}
	os.Stdout.Write(append(out, '\n'))
}

// runChild re-executes this program with GODEBUG=schedtrace=MS, reads its JSON (stdout) and
// its stderr lines, and prints the JSON with "schedtrace" filled in. It returns the exit status.
func runChild(ms int) int {
	exe, err := os.Executable()
	if err != nil {
		fail(1, "schedtrace: cannot find this program to re-execute: %v", err)
	}
	godebug := "schedtrace=" + strconv.Itoa(ms)
	if old := os.Getenv("GODEBUG"); old != "" {
		godebug = old + "," + godebug
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), "GODEBUG="+godebug, childEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var doc map[string]json.RawMessage
	if err != nil || json.Unmarshal(stdout.Bytes(), &doc) != nil || doc["format"] == nil {
		os.Stderr.Write(stderr.Bytes())
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() > 0 {
			return ee.ExitCode()
		}
		fmt.Fprintf(os.Stderr, "gmplab-probe: schedtrace child failed: %v\n", err)
		return 1
	}
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	if stderr.Len() == 0 {
		lines = []string{}
	}
	doc["schedtrace"], _ = json.Marshal(lines)
	// the child's key order (the struct's), then any others
	var order []string
	dec := json.NewDecoder(bytes.NewReader(stdout.Bytes()))
	dec.Token()
	for dec.More() {
		t, _ := dec.Token()
		order = append(order, t.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range order {
		if i > 0 {
			b.WriteByte(',')
		}
		kj, _ := json.Marshal(k)
		b.Write(kj)
		b.WriteByte(':')
		b.Write(doc[k])
	}
	b.WriteString("}\n")
	os.Stdout.Write(b.Bytes())
	return 0
}

// ---- CPU work: a calibrated spin loop ----------------------------------------------------

var spinPerUs float64 = 100
var sink uint64

func spinIters(n int64) uint64 {
	x := uint64(n) | 1
	for i := int64(0); i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

// spin does us microseconds of CPU work (as calibrated; it takes longer when preempted).
func spin(us float64) {
	if us <= 0 {
		return
	}
	atomic.AddUint64(&sink, spinIters(int64(us*spinPerUs+0.5)))
}

// calibrateSpin measures the spin loop's iterations per microsecond: the best of 5 runs of
// about 2 ms each, so preemption or a busy machine at worst slows one of them.
func calibrateSpin() (perUs float64, ms float64) {
	t := time.Now()
	n := int64(1 << 16)
	for { // grow until one run takes at least 2 ms
		s := time.Now()
		atomic.AddUint64(&sink, spinIters(n))
		if time.Since(s) >= 2*time.Millisecond || n > 1<<34 {
			break
		}
		n *= 2
	}
	best := 0.0
	for i := 0; i < 5; i++ {
		s := time.Now()
		atomic.AddUint64(&sink, spinIters(n))
		if v := float64(n) / (float64(time.Since(s).Nanoseconds()) / 1e3); v > best {
			best = v
		}
	}
	spinPerUs = best
	return math.Round(best*1000) / 1000, float64(time.Since(t).Microseconds()) / 1e3
}
