"""Speed benchmark of gmplab's kernel against a C reference and SimPy, on one M/M/16 model.

One run of this script:

1. simulates the same M/M/16 queue (load 0.9, exponential service of mean 10 us, FCFS, one
   central queue, Poisson arrivals, empty start) three ways:

   * ``gmplab``: ``gmplab.simulate(policy="central", costs="zero", ...)``, the numba kernel;
     the time is the kernel's own ``summary["wall_s"]`` (compile excluded; a small warm-up call
     compiles or loads the cache first);
   * ``C -O3``: ``benchmarks/mmc.c``, the same algorithm (event heap keyed by (time, seq), one
     arrival outstanding, one completion per busy server, FIFO ring, xoshiro256+), built with
     ``gcc -O3 -march=native``; timed with CLOCK_MONOTONIC around its event loop;
   * ``SimPy``: the canonical ``simpy.Resource`` model, one process per customer; timed around
     ``env.run()``. SimPy gets ``--customers / 20`` customers by default since it is slow;
     customers per second normalises;

   checks each one's mean and P99 sojourn against Erlang C (with a tolerance that follows the
   sample size, see ``tolerance``), and prints customers per second and the ratios;

2. times gmplab's ``go`` policy at GOMAXPROCS 1, 4, 16, 64 and 128 (load 0.9, exponential
   service of mean 10 us, default costs, ``global`` arrivals, invariants off, compile excluded)
   and prints goroutines per second and ns per goroutine;

3. the paired rows (``--pairs``): short runs in alternating pairs, each row's figure the median
   of the pairs' ratios, since this machine's speed swings from one run to the next (see
   FEATURES_OFF_PAIRS): C against ``central`` and against ``go`` at GOMAXPROCS 64; the plain
   ``go`` call against the same call with every feature named off; the full kernel build against
   the plain build at each GOMAXPROCS; then replications on threads and a sweep on processes.

Every contender runs ``--repeat`` times, interleaved (C, gmplab, SimPy, C, gmplab, ...), with
seeds ``--seed + i``; throughput figures are medians over the repeats.

    .venv/bin/python benchmarks/bench_kernel.py                 # the full benchmark
    .venv/bin/python benchmarks/bench_kernel.py --quick         # a smoke test (seconds)
    .venv/bin/python benchmarks/bench_kernel.py --json out.json # also save the tables

Exit status: 0 when every check against Erlang C passed, 1 when one failed, 2 on a setup error
(gcc missing, the C build failed).
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from ab_pairs import alternating_pairs  # noqa: E402  (the pairing the A/B tools use)

C_SOURCE = HERE / "mmc.c"
BUILD_DIR = HERE / "build"  # git-ignored
C_BINARY = BUILD_DIR / "mmc"
GCC_FLAGS = ["-O3", "-march=native"]

# The model: M/M/16, load 0.9, exponential service of mean 10 us.
SERVERS = 16
LOAD = 0.9
SERVICE_MEAN_NS = 10_000
QUANTILE = 0.99

# gmplab's `go` policy scaling rows.
GOMAXPROCS_GRID = (1, 4, 16, 64, 128)

SIMPY_SHARE = 20  # SimPy simulates --customers / SIMPY_SHARE customers unless --simpy-customers
WARMUP_GOROUTINES = 2_000  # the warm-up call that compiles (or loads) the numba kernel

# Relative standard deviation of one run's estimate with 100,000 customers of this model (M/M/16,
# load 0.9, empty start), measured over 300 seeds with benchmarks/build/mmc: mean sojourn 2.67%,
# P99 sojourn 3.35% (about 4.5x the iid figure, since successive sojourns are correlated; the
# validation note measured 2.7% for P99 with 99k jobs). Both scale as 1/sqrt(n): 2,000,000
# customers gave 0.53% and 0.67% over 60 seeds.
REL_SD_AT_100K = {"mean": 0.027, "p99": 0.034}
TOLERANCE_SIGMAS = 4.0
TOLERANCE_FLOOR = 0.01  # the histogram's P99 is a cell midpoint, within 0.39% of the sample's


def tolerance(metric: str, customers: int) -> float:
    """Relative tolerance for an estimate pooled over `customers` customers (4 sigma, >= 1%)."""
    sd = REL_SD_AT_100K[metric] * math.sqrt(100_000 / max(customers, 1))
    return max(TOLERANCE_FLOOR, TOLERANCE_SIGMAS * sd)


# --- Erlang C -------------------------------------------------------------------------------


class _ErlangC:
    """M/M/c FCFS sojourn time, exact (the local fallback for ``gmplab.theory.mmc``)."""

    def __init__(self, c: int, rho: float, mean_service: float) -> None:
        if not (c >= 1 and 0.0 < rho < 1.0 and mean_service > 0.0):
            raise ValueError(f"need c >= 1, 0 < rho < 1, mean_service > 0; got {c}, {rho}")
        self.c, self.rho, self.mean_service = c, rho, mean_service
        self.mu = 1.0 / mean_service
        self.lam = c * rho * self.mu
        a = c * rho  # offered load in erlangs
        b = 1.0  # Erlang B by the stable recursion B_k = a B_{k-1} / (k + a B_{k-1})
        for k in range(1, c + 1):
            b = a * b / (k + a * b)
        self.prob_wait = b / (1.0 - rho * (1.0 - b))  # Erlang C: P(W > 0)
        self.theta = c * self.mu - self.lam
        self.sojourn_mean = mean_service + self.prob_wait / self.theta

    def sojourn_sf(self, t: float) -> float:
        """P(T > t) = (1-C) e^{-mu t} + C (theta e^{-mu t} - mu e^{-theta t}) / (theta - mu)."""
        mu, theta, cw = self.mu, self.theta, self.prob_wait
        if abs(theta - mu) <= 1e-12 * mu:
            return (1.0 - cw) * math.exp(-mu * t) + cw * (1.0 + mu * t) * math.exp(-mu * t)
        tail = (theta * math.exp(-mu * t) - mu * math.exp(-theta * t)) / (theta - mu)
        return (1.0 - cw) * math.exp(-mu * t) + cw * tail

    def sojourn_quantile(self, p: float) -> float:
        """The p-quantile of the sojourn time, by bisection on the survival function."""
        target = 1.0 - p
        lo, hi = 0.0, self.mean_service
        while self.sojourn_sf(hi) > target:
            lo, hi = hi, 2.0 * hi
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if self.sojourn_sf(mid) > target:
                lo = mid
            else:
                hi = mid
            if hi - lo <= 1e-12 * hi:
                break
        return 0.5 * (lo + hi)


def erlang_c(c: int, rho: float, mean_service: float):
    """``gmplab.theory.mmc`` when that module exists, the local Erlang C otherwise."""
    try:
        from gmplab.theory import mmc  # type: ignore[attr-defined]

        model = mmc(c, rho, mean_service)
        float(model.sojourn_mean), float(model.sojourn_quantile(QUANTILE))
        return model, "gmplab.theory.mmc"
    except Exception:  # any failure (missing, half-written) means the fallback
        return _ErlangC(c, rho, mean_service), "local Erlang C (benchmarks/bench_kernel.py)"


# --- C reference ------------------------------------------------------------------------------


def _setup_error(message: str):
    print(f"bench_kernel: {message}", file=sys.stderr)
    sys.exit(2)


def build_c() -> Path:
    """Compile mmc.c into benchmarks/build/mmc (again only when the source is newer)."""
    gcc = shutil.which("gcc")
    if gcc is None:
        _setup_error(
            "gcc not found on PATH; install gcc (Debian: apt-get install gcc) "
            "or pass --skip-c to run without the C reference"
        )
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    fresh = C_BINARY.exists() and C_BINARY.stat().st_mtime >= C_SOURCE.stat().st_mtime
    if not fresh:
        cmd = [gcc, *GCC_FLAGS, "-o", str(C_BINARY), str(C_SOURCE), "-lm"]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            _setup_error(f"building the C reference failed:\n{' '.join(cmd)}\n{done.stderr}")
    return C_BINARY


def run_c(customers: int, seed: int) -> dict:
    cmd = [str(C_BINARY), str(SERVERS), repr(LOAD), str(SERVICE_MEAN_NS), str(customers), str(seed)]
    out = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    return {
        "customers": int(out["customers"]),
        "wall_s": float(out["wall_s"]),
        "sojourn_mean_ns": float(out["sojourn_mean_ns"]),
        "sojourn_p99_ns": float(out["sojourn_p99_ns"]),
        "events": int(out["events"]),
    }


# --- SimPy ------------------------------------------------------------------------------------


def run_simpy(customers: int, seed: int) -> dict:
    """The canonical SimPy model: a source process and one process per customer."""
    import simpy

    rng = random.Random(seed)
    expovariate = rng.expovariate
    arrival_rate = SERVERS * LOAD / SERVICE_MEAN_NS  # per ns
    service_rate = 1.0 / SERVICE_MEAN_NS
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=SERVERS)
    sojourns: list[float] = []
    record = sojourns.append

    def customer(env: simpy.Environment):
        arrived = env.now
        with servers.request() as req:
            yield req
            yield env.timeout(expovariate(service_rate))
        record(env.now - arrived)

    def source(env: simpy.Environment):
        for _ in range(customers):
            yield env.timeout(expovariate(arrival_rate))
            env.process(customer(env))

    env.process(source(env))
    t0 = time.perf_counter()
    env.run()
    wall_s = time.perf_counter() - t0
    values = np.asarray(sojourns)
    return {
        "customers": len(sojourns),
        "wall_s": wall_s,
        "sojourn_mean_ns": float(values.mean()),
        # nearest rank, as the C program's and gmplab's histograms (without their binning)
        "sojourn_p99_ns": float(np.quantile(values, QUANTILE, method="inverted_cdf")),
        "events": None,
    }


# --- gmplab -----------------------------------------------------------------------------------


def load_gmplab():
    """``gmplab.simulate`` or None (with the reason) while the kernel is being written."""
    try:
        import gmplab
    except Exception as exc:
        return None, f"import gmplab failed: {exc!r}"
    simulate = getattr(gmplab, "simulate", None)
    if simulate is None:
        return None, "gmplab.simulate does not exist"
    return simulate, ""


def _call(simulate, kwargs: dict):
    """Call simulate with the keywords its signature accepts; returns (result, dropped)."""
    try:
        params = inspect.signature(simulate).parameters
    except (TypeError, ValueError):
        return simulate(**kwargs), []
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return simulate(**kwargs), []
    dropped = sorted(k for k in kwargs if k not in params)
    return simulate(**{k: v for k, v in kwargs.items() if k in params}), dropped


def _summary(result) -> dict:
    summary = getattr(result, "summary", result)
    if hasattr(summary, "to_dicts"):  # a one-row polars frame
        summary = summary.to_dicts()[0]
    return dict(summary)


def run_gmplab(simulate, kwargs: dict) -> dict:
    t0 = time.perf_counter()
    result, dropped = _call(simulate, kwargs)
    outer_s = time.perf_counter() - t0
    s = _summary(result)
    wall_s = s.get("wall_s")
    return {
        "customers": int(s.get("goroutines_completed", kwargs["goroutines"])),
        "wall_s": float(wall_s) if wall_s is not None else outer_s,
        "timer": "kernel" if wall_s is not None else "outer (no summary wall_s)",
        "sojourn_mean_ns": _float_or_none(s.get("sojourn_ns_mean")),
        "sojourn_p99_ns": _float_or_none(s.get("sojourn_ns_p99")),
        "events": int(s["events"]) if s.get("events") is not None else None,
        "dropped_kwargs": dropped,
    }


def _float_or_none(x):
    return None if x is None else float(x)


def central_kwargs(goroutines: int, seed: int) -> dict:
    return {
        "policy": "central",
        "topology": f"1x{SERVERS}",
        "load": LOAD,
        "service": "exp",
        "service_mean_ns": SERVICE_MEAN_NS,
        "goroutines": goroutines,
        "costs": "zero",
        "seed": seed,
        "arrivals": "poisson",
    }


def go_kwargs(procs: int, goroutines: int, seed: int) -> dict:
    return {
        "policy": "go",
        "topology": f"1x{procs}",
        "gomaxprocs": procs,  # dropped when simulate() has no such keyword (topology then says)
        "load": LOAD,
        "service": "exp",
        "service_mean_ns": SERVICE_MEAN_NS,
        "goroutines": goroutines,
        "seed": seed,
        "arrivals": "poisson",
        "arrival_path": "global",
        "costs": "default",
        "check_invariants": False,
    }


# every runtime, GC, workload, machine and design feature named at its "off" value: the same
# run as go_kwargs (the spec is equal), spelled out so the row shows what "off" means
FEATURES_OFF = {
    "gc": False,
    "alloc_bytes_per_cpu_us": 0.0,
    "hogs": 0,
    "pairs": 0,
    "locked_pairs": False,
    "pool_workers": 0,
    "clients": 0,
    "program": None,
    "mmpp_rates_per_s": None,
    "rate_schedule": None,
    "service_data": None,
    "distances": None,
    "smt_factor": None,
    "cpu_quota_ms": None,
    "lock": None,
    "mechanisms": None,
    "globrunq": None,
    "rules_off": (),
    "latency_sampling": "all",
    "snapshot_ms": 0.0,
    "trace_events": 0,
}
FEATURES_OFF_PROCS = 4
SWEEP_LOADS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)  # the sweep row's points
SWEEP_WORKERS = 2


# The paired rows: alternating pairs of short runs, the median of the pairs' ratios. This
# machine's speed swings by up to 1.5x from one run of a few hundred milliseconds to the next
# (the same call twice: 180 and 320 ms), so a ratio of two medians of three long runs took
# those swings in whole, while the two runs of a pair mostly share the machine's state: 41 pairs
# of 100,000 goroutines gave 1.003, 1.002 and 0.998 for the same call on both sides, 9 pairs of
# 1,000,000 gave 0.991, 0.967 and 0.947.
FEATURES_OFF_PAIRS = 41  # the plain call against every feature named off, GOMAXPROCS 4
FEATURES_OFF_GOROUTINES = 100_000
BUILDS_PAIRS = 21  # the full build against the plain build, at each GOMAXPROCS of the grid
BUILDS_GOROUTINES = 200_000
C_PAIRS = 21  # C against gmplab central, and against go at GOMAXPROCS 64
C_PAIRS_CUSTOMERS = 500_000
C_PAIRS_GO_PROCS = 64
C_PAIRS_GOROUTINES = 200_000


def _same_result(a: dict, b: dict) -> bool:
    return a["sojourn_p99_ns"] == b["sojourn_p99_ns"] and a["events"] == b["events"]


def _paired(first: list[float], second: list[float]) -> dict:
    """Every paired row's figures: the medians of each side's values and of the pairs' ratios
    first / second, with the ratios' range."""
    ratios = [a / b for a, b in zip(first, second, strict=True)]
    return {
        "first": _median(first),
        "second": _median(second),
        "ratio": _median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "ratios": ratios,
    }


def features_off_rows(simulate, goroutines: int, pairs: int, seed: int) -> dict:
    """The plain go call against the same call with every feature named at its off value, in
    alternating pairs (the same seed within a pair, so the two runs must agree); the ratio is
    the median of the pairs' ratios, each pair's two runs a second apart. This machine's speed
    drifts by tens of percent within minutes (README, Speed), which a ratio of two medians of
    three runs took in whole: it read 0.77 to 1.10 for the same build on both sides."""
    plain = go_kwargs(FEATURES_OFF_PROCS, goroutines, seed)
    run_gmplab(simulate, go_kwargs(FEATURES_OFF_PROCS, WARMUP_GOROUTINES, seed))

    def run(off: bool):
        def call(i: int) -> dict:
            kw = go_kwargs(FEATURES_OFF_PROCS, goroutines, seed + i)
            if off:
                kw.update(FEATURES_OFF)
            return run_gmplab(simulate, kw)

        return call

    done = list(alternating_pairs(run(False), run(True), pairs))
    out = _paired(
        [b["customers"] / b["wall_s"] for _, b in done],
        [a["customers"] / a["wall_s"] for a, _ in done],
    )
    out["features off"], out["plain"] = out.pop("first"), out.pop("second")
    out["pairs"] = pairs
    out["identical"] = all(_same_result(a, b) for a, b in done)
    out["gomaxprocs"] = FEATURES_OFF_PROCS
    out["goroutines_per_run"] = plain["goroutines"]
    return out


def c_pairs_rows(simulate, pairs: int, seed: int, customers: int, goroutines: int) -> dict:
    """The C program against gmplab central (the same M/M/16 model, the same customers), and
    against go at GOMAXPROCS C_PAIRS_GO_PROCS, in alternating pairs: the medians of the pairs'
    ratios of speed, gmplab's customers (goroutines for go) per second over C's customers per
    second, as the main table's gmplab/C. That one is a ratio of medians of three long runs
    each, so it moves with the machine's state from run to run; these move much less."""
    out = {"pairs": pairs, "customers": customers, "goroutines": goroutines}
    for name, make in (
        ("central", lambda i: central_kwargs(customers, seed + i)),
        ("go", lambda i: go_kwargs(C_PAIRS_GO_PROCS, goroutines, seed + i)),
    ):
        run_gmplab(simulate, make(0) | {"goroutines": WARMUP_GOROUTINES})
        done = list(
            alternating_pairs(
                lambda i: run_c(customers, seed + i),
                lambda i, m=make: run_gmplab(simulate, m(i)),
                pairs,
            )
        )
        # C's time over gmplab's: gmplab's speed over C's, as gmplab/C above
        r = _paired(
            [c["wall_s"] * 1e9 / c["customers"] for c, _ in done],
            [g["wall_s"] * 1e9 / g["customers"] for _, g in done],
        )
        r["ns_c"], r["ns_gmplab"] = r.pop("first"), r.pop("second")
        out[name] = r
    out["go_procs"] = C_PAIRS_GO_PROCS
    return out


def builds_rows(simulate, goroutines: int, pairs: int, seed: int) -> dict:
    """The `go` rows in the full build (GMPLAB_PLAIN_BUILD=0: every optional model compiled in
    and switched off) against the plain build that plain runs go to (gmplab/kernel_builds.py:
    GC, the OS layer, SMT, the designs' mechanisms and Go's latency sampling compiled out), in
    alternating pairs in this process: what those models would cost a plain run. The ratio is
    the median of the pairs' ratios. The runs must agree to the last digit."""
    rows = []
    same = True
    old = os.environ.get("GMPLAB_PLAIN_BUILD")

    def run(flag: str, procs: int, n: int):
        def call(i: int) -> dict:
            os.environ["GMPLAB_PLAIN_BUILD"] = flag
            return run_gmplab(simulate, go_kwargs(procs, n, seed + i))

        return call

    try:
        for procs in GOMAXPROCS_GRID:
            for flag in ("0", "1"):
                run(flag, procs, WARMUP_GOROUTINES)(0)
            full, plain = run("0", procs, goroutines), run("1", procs, goroutines)
            done = list(alternating_pairs(full, plain, pairs))
            same &= all(_same_result(a, b) for a, b in done)
            r = _paired(
                [a["wall_s"] * 1e9 / a["customers"] for a, _ in done],
                [b["wall_s"] * 1e9 / b["customers"] for _, b in done],
            )
            rows.append(
                {
                    "gomaxprocs": procs,
                    "ns_full": r["first"],
                    "ns_plain": r["second"],
                    "ratio": r["ratio"],
                }
            )
    finally:
        if old is None:
            os.environ.pop("GMPLAB_PLAIN_BUILD", None)
        else:
            os.environ["GMPLAB_PLAIN_BUILD"] = old
    return {"rows": rows, "identical": same}


PARALLEL_PAIRS = 5  # alternating pairs of the threads and sweep rows (each a few seconds)


def threads_rows(simulate, goroutines: int, seed: int, pairs: int, replications: int = 4) -> dict:
    """simulate(replications=R) with its replications on 1 thread and on one per CPU, in
    alternating pairs; the medians of the wall times and of the pairs' speed-ups."""
    kw = go_kwargs(16, goroutines, seed)
    kw["replications"] = replications
    many = str(len(os.sched_getaffinity(0)))

    def on(n: str):
        def call(i: int) -> float:
            os.environ["GMPLAB_THREADS"] = n
            t0 = time.perf_counter()
            _call(simulate, kw)
            return time.perf_counter() - t0

        return call

    try:
        r = _paired(*zip(*alternating_pairs(on("1"), on(many), pairs), strict=True))
    finally:
        os.environ.pop("GMPLAB_THREADS", None)
    return {
        "replications": replications,
        "threads": int(many),
        "pairs": pairs,
        "serial_s": r["first"],
        "threads_s": r["second"],
        "speedup": r["ratio"],
        "goroutines_per_replication": goroutines,
    }


def sweep_rows(goroutines: int, seed: int, pairs: int) -> dict:
    """A sweep of len(SWEEP_LOADS) go points (GOMAXPROCS 4, one replication each) run
    in-process and on gmplab.sweep's process pool (warm: the pool is started once before), in
    alternating pairs; the medians of the wall times and of the pairs' speed-ups."""
    from gmplab import sweep as gsweep

    def make(n):
        base = go_kwargs(4, n, seed)
        for k in ("seed", "load", "check_invariants"):
            base.pop(k)
        return gsweep.Sweep(
            name="bench", base=base, grid={"load": list(SWEEP_LOADS)}, replications=1, seed=seed
        )

    opts = {"use_cache": False, "progress": False, "verbose": False}
    gsweep.run(make(WARMUP_GOROUTINES), "processes", SWEEP_WORKERS, **opts)  # start the pool

    def on(executor: str):
        def call(i: int) -> float:
            t0 = time.perf_counter()
            gsweep.run(make(goroutines), executor, SWEEP_WORKERS, **opts)
            return time.perf_counter() - t0

        return call

    r = _paired(*zip(*alternating_pairs(on("serial"), on("processes"), pairs), strict=True))
    return {
        "points": len(SWEEP_LOADS),
        "goroutines_per_point": goroutines,
        "workers": SWEEP_WORKERS,
        "pairs": pairs,
        "serial_s": r["first"],
        "pool_s": r["second"],
        "speedup": r["ratio"],
    }


# --- reporting --------------------------------------------------------------------------------


def _machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for mod in ("numba", "simpy"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:
            versions[mod] = None
    gcc = shutil.which("gcc")
    if gcc:
        first = subprocess.run([gcc, "--version"], capture_output=True, text=True).stdout
        versions["gcc"] = first.splitlines()[0] if first else None
    return {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(), **versions}


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _mean(values):
    values = [v for v in values if v is not None]
    return statistics.fmean(values) if values else None


def summarise(name: str, runs: list[dict], theory) -> dict:
    """Medians of throughput over repeats; sojourn estimates averaged over repeats and checked."""
    rate = [r["customers"] / r["wall_s"] for r in runs]
    ns_per_event = [r["wall_s"] * 1e9 / r["events"] for r in runs if r.get("events")]
    total = sum(r["customers"] for r in runs)
    row = {
        "contender": name,
        "runs": len(runs),
        "customers_per_run": runs[0]["customers"],
        "customers_per_s": _median(rate),
        "ns_per_customer": 1e9 / _median(rate),
        "ns_per_event": _median(ns_per_event),
        "wall_s": _median([r["wall_s"] for r in runs]),
    }
    checks = {}
    for metric, key, exact in (
        ("mean", "sojourn_mean_ns", theory.sojourn_mean),
        ("p99", "sojourn_p99_ns", theory.sojourn_quantile(QUANTILE)),
    ):
        est = _mean([r[key] for r in runs])
        tol = tolerance(metric, total)
        rel = None if est is None else est / exact - 1.0
        row[f"sojourn_{metric}_ns"] = est
        row[f"sojourn_{metric}_rel_err"] = rel
        row[f"sojourn_{metric}_tol"] = tol
        checks[metric] = None if rel is None else abs(rel) <= tol
    row["check"] = (
        "n/a" if None in checks.values() else ("PASS" if all(checks.values()) else "FAIL")
    )
    return row


def _rate(x: float) -> str:
    """Per-second figure with three significant digits: 10.9 M, 35.2 k."""
    return f"{x / 1e6:.3g} M" if x >= 1e6 else f"{x / 1e3:.3g} k"


def _fmt(x, spec: str, none: str = "-") -> str:
    return none if x is None else format(x, spec)


def markdown_tables(rows, ratios, scaling, theory, gmplab_note) -> str:
    exact_mean = theory.sojourn_mean / 1e3
    exact_p99 = theory.sojourn_quantile(QUANTILE) / 1e3
    lines = [
        f"M/M/{SERVERS}, load {LOAD}, exp service {SERVICE_MEAN_NS / 1e3:g} us, FCFS; "
        f"Erlang C: mean sojourn {exact_mean:.3f} us, P99 {exact_p99:.3f} us.",
        "",
        "| contender | customers/run | runs | customers/s (median) | ns/customer | ns/event "
        "| mean sojourn us (err) | P99 sojourn us (err) | vs Erlang C |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        if r.get("unavailable"):
            lines.append(f"| {r['contender']} | - | - | {r['unavailable']} | - | - | - | - | - |")
            continue
        lines.append(
            f"| {r['contender']} | {r['customers_per_run']:,} | {r['runs']} "
            f"| {_rate(r['customers_per_s'])} | {r['ns_per_customer']:.0f} "
            f"| {_fmt(r['ns_per_event'], '.1f')} "
            f"| {_fmt(r['sojourn_mean_ns'] and r['sojourn_mean_ns'] / 1e3, '.3f')} "
            f"({_fmt(r['sojourn_mean_rel_err'], '+.2%')}, tol {r['sojourn_mean_tol']:.1%}) "
            f"| {_fmt(r['sojourn_p99_ns'] and r['sojourn_p99_ns'] / 1e3, '.3f')} "
            f"({_fmt(r['sojourn_p99_rel_err'], '+.2%')}, tol {r['sojourn_p99_tol']:.1%}) "
            f"| {r['check']} |"
        )
    lines.append("")
    lines.append(
        "Ratios of customers/s: "
        + ", ".join(f"{k} = {_fmt(v, '.3f', 'n/a')}" for k, v in ratios.items())
    )
    lines += [
        "",
        f"gmplab `go` policy, load {LOAD}, exp service {SERVICE_MEAN_NS / 1e3:g} us, default "
        "costs, `global` arrivals, invariants off, compile excluded, median of the runs:",
        "",
        "| GOMAXPROCS | goroutines/run | runs | goroutines/s (median) | ns/goroutine "
        "| events/goroutine | ns/event |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    if not scaling:
        lines.append(f"| - | - | - | {gmplab_note} | - | - | - |")
    for s in scaling:
        if s.get("unavailable"):
            lines.append(f"| {s['gomaxprocs']} | - | - | {s['unavailable']} | - | - | - |")
            continue
        lines.append(
            f"| {s['gomaxprocs']} | {s['goroutines_per_run']:,} | {s['runs']} "
            f"| {_rate(s['goroutines_per_s'])} | {s['ns_per_goroutine']:.0f} "
            f"| {_fmt(s['events_per_goroutine'], '.2f')} | {_fmt(s['ns_per_event'], '.1f')} |"
        )
    return "\n".join(lines)


def extra_tables(extra: dict) -> str:
    """The features-off and sweep rows as markdown (empty when neither ran)."""
    out = ""
    off = extra.get("features_off")
    if off:
        out += (
            f"\n\n| `go`, GOMAXPROCS {off['gomaxprocs']} | goroutines/s |\n|---|---:|\n"
            f"| plain call | {off['plain'] / 1e6:.3f} M |\n"
            f"| every feature named at its off value | {off['features off'] / 1e6:.3f} M |\n"
            f"| ratio (median of {off['pairs']} alternating pairs' ratios) | "
            f"{off['ratio']:.3f} (pairs {off['ratio_min']:.3f} to {off['ratio_max']:.3f}) |\n\n"
            f"(results identical in every pair: {off['identical']})"
        )
    cp = extra.get("c_pairs")
    if cp:
        out += (
            f"\n\n| {cp['pairs']} alternating pairs with the C program | C ns/customer "
            "(median) | gmplab ns/customer or goroutine (median) | gmplab/C speed, median of "
            "the pairs' ratios (range) |\n|---|---:|---:|---|\n"
        )
        for name, label in (
            ("central", f"`central`, {cp['customers']:,} customers"),
            ("go", f"`go` GOMAXPROCS {cp['go_procs']}, {cp['goroutines']:,} goroutines"),
        ):
            r = cp[name]
            out += (
                f"| {label} | {r['ns_c']:.0f} | {r['ns_gmplab']:.0f} | {r['ratio']:.3f} "
                f"({r['ratio_min']:.3f} to {r['ratio_max']:.3f}) |\n"
            )
        out = out.rstrip("\n")
    st = extra.get("builds")
    if st and st.get("rows"):
        out += (
            "\n\n| GOMAXPROCS | ns/goroutine, full build (models off) | ns/goroutine, plain "
            "build (models compiled out) | full / plain |\n|---:|---:|---:|---:|\n"
        )
        out += "\n".join(
            f"| {r['gomaxprocs']} | {r['ns_full']:.0f} | {r['ns_plain']:.0f} | {r['ratio']:.3f} |"
            for r in st["rows"]
        )
        out += f"\n\n(results identical in both builds: {st['identical']})"
    th = extra.get("threads")
    if th:
        out += (
            f"\n\n| simulate(replications={th['replications']}), `go` GOMAXPROCS 16, "
            f"{th['goroutines_per_replication']:,} goroutines each | wall s |\n|---|---:|\n"
            f"| 1 thread | {th['serial_s']:.2f} |\n"
            f"| {th['threads']} threads | {th['threads_s']:.2f} |\n"
            f"| speed-up (median of {th['pairs']} alternating pairs) | {th['speedup']:.2f}x |"
        )
    sw = extra.get("sweep")
    if sw:
        out += (
            f"\n\n| sweep: {sw['points']} points x {sw['goroutines_per_point']:,} goroutines | "
            f"wall s |\n|---|---:|\n"
            f"| serial (in-process) | {sw['serial_s']:.2f} |\n"
            f"| process pool, {sw['workers']} workers (warm) | {sw['pool_s']:.2f} |\n"
            f"| speed-up (median of {sw['pairs']} alternating pairs) | {sw['speedup']:.2f}x |"
        )
    return out


# --- main -------------------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--customers",
        type=int,
        default=None,
        help="customers per run for C and gmplab (default 2,000,000; --quick 200,000)",
    )
    ap.add_argument(
        "--simpy-customers",
        type=int,
        default=None,
        help=f"customers per SimPy run (default --customers / {SIMPY_SHARE})",
    )
    ap.add_argument(
        "--goroutines",
        type=int,
        default=None,
        help="goroutines per run of the `go` scaling rows (default --customers)",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="runs per contender, interleaved; medians reported (default 3)",
    )
    ap.add_argument(
        "--pairs",
        type=int,
        default=None,
        help=(
            f"alternating pairs of each paired row (default: features off {FEATURES_OFF_PAIRS}, "
            f"builds {BUILDS_PAIRS}, C {C_PAIRS}, threads and sweep {PARALLEL_PAIRS}; --quick 3)"
        ),
    )
    ap.add_argument("--seed", type=int, default=1, help="seed of the first run (then +1 ...)")
    ap.add_argument("--quick", action="store_true", help="small runs: a smoke test")
    ap.add_argument("--skip-c", action="store_true", help="no C reference (no gcc needed)")
    ap.add_argument("--skip-simpy", action="store_true", help="no SimPy runs")
    ap.add_argument("--skip-go", action="store_true", help="no `go` policy scaling rows")
    ap.add_argument("--skip-sweep", action="store_true", help="no sweep and threads rows")
    ap.add_argument(
        "--skip-builds",
        action="store_true",
        help="no rows comparing the full build (optional models off) with the plain build",
    )
    ap.add_argument("--json", metavar="OUT", help="save the tables and the machine as JSON")
    args = ap.parse_args(argv)
    if args.customers is None:
        args.customers = 200_000 if args.quick else 2_000_000
    if args.simpy_customers is None:
        args.simpy_customers = max(1_000, args.customers // SIMPY_SHARE)
    if args.goroutines is None:
        args.goroutines = min(args.customers, 100_000) if args.quick else args.customers
    if args.repeat is None:
        args.repeat = 3
    if args.pairs is None and args.quick:
        args.pairs = 3
    if min(args.customers, args.simpy_customers, args.goroutines, args.repeat) < 1 or (
        args.pairs is not None and args.pairs < 1
    ):
        ap.error("--customers, --simpy-customers, --goroutines, --repeat and --pairs must be >= 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    theory, theory_src = erlang_c(SERVERS, LOAD, SERVICE_MEAN_NS)
    print(
        f"Erlang C from {theory_src}: mean sojourn {theory.sojourn_mean:.1f} ns, "
        f"P99 {theory.sojourn_quantile(QUANTILE):.1f} ns"
    )

    if not args.skip_c:
        build_c()
    simulate, gmplab_note = load_gmplab()
    if simulate is None:
        gmplab_note = f"gmplab kernel not available yet ({gmplab_note})"
        print(gmplab_note)
    else:  # compile (or load the cache) outside the timed runs
        run_gmplab(simulate, central_kwargs(WARMUP_GOROUTINES, args.seed))

    contenders = []
    if not args.skip_c:
        contenders.append(("C -O3", lambda seed: run_c(args.customers, seed)))
    if simulate is not None:
        contenders.append(
            (
                "gmplab central",
                lambda seed: run_gmplab(simulate, central_kwargs(args.customers, seed)),
            )
        )
    if not args.skip_simpy:
        contenders.append(("SimPy", lambda seed: run_simpy(args.simpy_customers, seed)))

    runs: dict[str, list[dict]] = {name: [] for name, _ in contenders}
    for i in range(args.repeat):
        seed = args.seed + i
        for name, fn in contenders:
            r = fn(seed)
            runs[name].append(r)
            print(
                f"  run {i + 1}/{args.repeat} {name:15s} seed {seed}: {r['customers']:>9,} "
                f"customers in {r['wall_s']:.3f} s = {r['customers'] / r['wall_s'] / 1e6:.3f} "
                f"M/s; mean {r['sojourn_mean_ns']:.0f} ns, P99 {r['sojourn_p99_ns']:.0f} ns",
                flush=True,
            )
            if r.get("dropped_kwargs"):
                print(f"    (simulate() took no {r['dropped_kwargs']})")

    rows = [summarise(name, runs[name], theory) for name, _ in contenders]
    if simulate is None:
        rows.insert(
            1 if not args.skip_c else 0, {"contender": "gmplab central", "unavailable": gmplab_note}
        )
    rate = {r["contender"]: r.get("customers_per_s") for r in rows}

    def ratio(a, b):
        return rate[a] / rate[b] if rate.get(a) and rate.get(b) else None

    ratios = {
        "gmplab/C": ratio("gmplab central", "C -O3"),
        "gmplab/SimPy": ratio("gmplab central", "SimPy"),
        "C/SimPy": ratio("C -O3", "SimPy"),
    }

    scaling: list[dict] = []
    if simulate is not None and not args.skip_go:
        print(f"gmplab `go` policy, {args.goroutines:,} goroutines per run:")
        for procs in GOMAXPROCS_GRID:
            try:
                run_gmplab(simulate, go_kwargs(procs, WARMUP_GOROUTINES, args.seed))
                go_runs = []
                for i in range(args.repeat):
                    r = run_gmplab(simulate, go_kwargs(procs, args.goroutines, args.seed + i))
                    go_runs.append(r)
            except Exception as exc:  # report the row, keep the others
                scaling.append({"gomaxprocs": procs, "unavailable": f"error: {exc!r}"[:200]})
                print(f"  GOMAXPROCS {procs}: {exc!r}")
                continue
            rate_go = _median([r["customers"] / r["wall_s"] for r in go_runs])
            epg = _median([r["events"] / r["customers"] for r in go_runs if r["events"]])
            npe = _median([r["wall_s"] * 1e9 / r["events"] for r in go_runs if r["events"]])
            scaling.append(
                {
                    "gomaxprocs": procs,
                    "runs": len(go_runs),
                    "goroutines_per_run": go_runs[0]["customers"],
                    "goroutines_per_s": rate_go,
                    "ns_per_goroutine": 1e9 / rate_go,
                    "events_per_goroutine": epg,
                    "ns_per_event": npe,
                    "dropped_kwargs": go_runs[0]["dropped_kwargs"],
                }
            )
            print(
                f"  GOMAXPROCS {procs:3d}: {rate_go / 1e6:.3f} M goroutines/s, "
                f"{1e9 / rate_go:.0f} ns/goroutine",
                flush=True,
            )
            if go_runs[0]["dropped_kwargs"]:
                print(f"    (simulate() took no {go_runs[0]['dropped_kwargs']})")

    extra: dict = {}
    if simulate is not None and not args.skip_go:
        off = features_off_rows(
            simulate,
            min(args.goroutines, FEATURES_OFF_GOROUTINES),
            args.pairs or FEATURES_OFF_PAIRS,
            args.seed,
        )
        extra["features_off"] = off
        print(
            f"features off (GOMAXPROCS {off['gomaxprocs']}): plain {off['plain'] / 1e6:.3f} M/s, "
            f"every feature named off {off['features off'] / 1e6:.3f} M/s, "
            f"median ratio of {off['pairs']} pairs {off['ratio']:.3f} "
            f"({off['ratio_min']:.3f} to {off['ratio_max']:.3f}), identical {off['identical']}",
            flush=True,
        )
    if simulate is not None and not args.skip_go and not args.skip_c:
        cp = c_pairs_rows(
            simulate,
            args.pairs or C_PAIRS,
            args.seed,
            min(args.customers, C_PAIRS_CUSTOMERS),
            min(args.goroutines, C_PAIRS_GOROUTINES),
        )
        extra["c_pairs"] = cp
        for name in ("central", "go"):
            r = cp[name]
            print(
                f"{cp['pairs']} pairs with C, {name}: gmplab/C speed {r['ratio']:.3f} "
                f"({r['ratio_min']:.3f} to {r['ratio_max']:.3f}); C {r['ns_c']:.0f} ns, "
                f"gmplab {r['ns_gmplab']:.0f} ns",
                flush=True,
            )
    if simulate is not None and not args.skip_go and not args.skip_builds:
        st = builds_rows(
            simulate, min(args.goroutines, BUILDS_GOROUTINES), args.pairs or BUILDS_PAIRS, args.seed
        )
        extra["builds"] = st
        print(f"full build / plain build: {st}", flush=True)
    if simulate is not None and not args.skip_sweep:
        th = threads_rows(
            simulate,
            max(args.goroutines // 2, WARMUP_GOROUTINES),
            args.seed,
            args.pairs or PARALLEL_PAIRS,
        )
        extra["threads"] = th
        print(
            f"replications on threads: 1 thread {th['serial_s']:.2f} s, {th['threads']} threads "
            f"{th['threads_s']:.2f} s, speed-up {th['speedup']:.2f}x",
            flush=True,
        )
    if simulate is not None and not args.skip_sweep:
        sw = sweep_rows(
            max(args.goroutines // 4, WARMUP_GOROUTINES), args.seed, args.pairs or PARALLEL_PAIRS
        )
        extra["sweep"] = sw
        print(
            f"sweep of {sw['points']} points x {sw['goroutines_per_point']:,} goroutines: "
            f"serial {sw['serial_s']:.2f} s, pool of {sw['workers']} {sw['pool_s']:.2f} s, "
            f"speed-up {sw['speedup']:.2f}x",
            flush=True,
        )

    table = markdown_tables(rows, ratios, scaling, theory, gmplab_note)
    table += extra_tables(extra)
    print()
    print(table)

    if args.json:
        out = {
            "model": {
                "servers": SERVERS,
                "load": LOAD,
                "service": "exp",
                "service_mean_ns": SERVICE_MEAN_NS,
                "quantile": QUANTILE,
            },
            "theory": {
                "source": theory_src,
                "sojourn_mean_ns": theory.sojourn_mean,
                "sojourn_p99_ns": theory.sojourn_quantile(QUANTILE),
            },
            "args": vars(args),
            "machine": _machine(),
            "rows": rows,
            "ratios": ratios,
            "scaling": scaling,
            "extra": extra,
            "runs": runs,
            "markdown": table,
        }
        Path(args.json).write_text(json.dumps(out, indent=2, default=str) + "\n")
        print(f"\nsaved {args.json}")

    failed = [r["contender"] for r in rows if r.get("check") == "FAIL"]
    if failed:
        print(f"\nFAIL: {', '.join(failed)} disagree with Erlang C beyond the tolerance")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
