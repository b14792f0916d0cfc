"""``gmplab calibrate fit``: fit the costs the captures can identify, and hold the model
against the held-out probes.

The data: ingested captures (``data/real/<machine>/``). The measure: the runtime's
``/sched/latencies`` histogram per (probe, GOMAXPROCS), summed over replications, against the
simulated ``sched_latency_ns`` of the probe's mirror (``mirror.py``), both in Go's bucket
layout. The distance: the L1 distance between the two CDFs on a log2 time axis (a
Wasserstein-1 distance in octaves: 1.0 means the simulated distribution sits one doubling
away from the real one), averaged over the training cases (GOMAXPROCS up to the core count).

The fit: coordinate descent over ``FIT_RANGES`` (each cost's range from
``reference/cost-defaults.md``; a cost without a stated range gets its default /4 to x4), on
a log grid, two passes. A cost's uncertainty is its profile: the values whose distance stays
within the objective's noise of the best, widened to the neighbouring grid points outside it
(the grid's resolution). The noise comes from the noise floor (the mean distance between two
replications of the same real capture: the model cannot be asked to fit better than the
machine repeats itself); the objective pools R replications, so its noise is the floor over
sqrt(2R). A cost
is *identified* when that interval covers at most half its range (in log terms); one that is
not keeps its default in the profile. A best value on the edge of its range is flagged
(``at_edge``): the data want a value outside what the literature allows, a sign that a mechanism
is missing or misplaced in the mirror rather than a cost to push further. The profile JSON
(``data/profiles/<name>.json``) holds
the fitted costs, ``_calibration`` (machine, cores, date, Go version: the report's validity
note reads it) and ``_fit`` (ranges, intervals, identified, residuals per training case).

``compare(machine_dir, profile)``: every probe (training and held out), per GOMAXPROCS, P50,
P90 and P99 of real and simulated scheduling latency, their relative errors and the CDF
distance, computed the same way for every probe.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

from ..errors import SpecError
from .mirror import HELD_OUT, PROBES, TRAINING, mirror_kwargs

# Ranges (ns) the fit searches, from reference/cost-defaults.md ("2 to 10 us" for a futex
# wake-up; the others have no stated range: default /4 to x4).
FIT_RANGES = {
    "wakeup_ns": (2_000.0, 10_000.0),
    "gosched_switch_ns": (50.0, 800.0),
    "newproc_ns": (25.0, 400.0),
}
GRID_POINTS = 9  # per cost and pass, log-spaced over its range
FIT_SCALE = 0.5  # run lengths of the fit's simulations, relative to the captures'
SEED = 1


def data_root() -> Path:
    return Path(__file__).resolve().parent.parent.parent / "data"


def profiles_dir() -> Path:
    return data_root() / "profiles"


def default_profile_path() -> Path | None:
    """The committed profile the report uses (the newest one), or None."""
    d = profiles_dir()
    files = sorted(d.glob("*.json")) if d.is_dir() else []
    return files[-1] if files else None


def identified_costs(path: str | Path | None = None) -> list[str]:
    """Cost keys the profile's fit identified (empty when there is no profile)."""
    path = path or default_profile_path()
    if path is None:
        return []
    return list(json.loads(Path(path).read_text()).get("_fit", {}).get("identified", []))


# --------------------------------------------------------------------------------------------
# real captures


def load_real(machine_dir: str | Path) -> tuple[dict, pl.DataFrame, pl.DataFrame]:
    """(machine description, runs, histograms) of an ingested machine folder."""
    d = Path(machine_dir)
    need = [d / "machine.json", d / "runs.parquet", d / "histograms.parquet"]
    missing = [str(p) for p in need if not p.is_file()]
    if missing:
        raise SpecError(
            "machine folder", "an ingested capture folder (gmplab calibrate ingest)", missing
        )
    return (
        json.loads((d / "machine.json").read_text()),
        pl.read_parquet(d / "runs.parquet"),
        pl.read_parquet(d / "histograms.parquet"),
    )


def real_counts(hists: pl.DataFrame, probe: str, procs: int, metric="sched_latency", rep=None):
    """Go-layout counts (162) of one probe at one GOMAXPROCS (all replications, or one)."""
    f = (pl.col("probe") == probe) & (pl.col("gomaxprocs") == procs) & (pl.col("metric") == metric)
    if rep is not None:
        f = f & (pl.col("replication") == rep)
    h = hists.filter(f)
    out = np.zeros(162, dtype=np.int64)
    np.add.at(out, h["bucket"].to_numpy(), h["count"].to_numpy())
    return out


def _edges_log2() -> np.ndarray:
    """Each Go bucket's upper edge as log2(ns), the first two (below 64 ns) at 64 ns."""
    from .._kernel.hist import go_boundaries_s

    up = go_boundaries_s()[1:] * 1e9
    up = np.clip(up, 64.0, 2.0**60)
    return np.log2(up)


def cdf_distance(a: np.ndarray, b: np.ndarray) -> float:
    """L1 distance between two Go-layout histograms' CDFs on a log2 time axis (octaves)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.sum() == 0 or b.sum() == 0:
        return math.nan
    fa, fb = np.cumsum(a) / a.sum(), np.cumsum(b) / b.sum()
    x = _edges_log2()
    return float(np.sum(np.abs(fa - fb)[:-1] * np.diff(x)))


def quantile(counts: np.ndarray, q: float) -> float:
    """A quantile (s) from Go-layout counts, linear within its bucket."""
    from .._kernel.hist import go_boundaries_s

    b = go_boundaries_s()
    c = np.asarray(counts, float)
    if c.sum() == 0:
        return math.nan
    cdf = np.cumsum(c) / c.sum()
    i = int(np.searchsorted(cdf, q))
    lo, hi = max(b[i], 0.0), b[i + 1]
    if not math.isfinite(hi):
        return lo
    prev = cdf[i - 1] if i > 0 else 0.0
    frac = (q - prev) / (cdf[i] - prev) if cdf[i] > prev else 0.5
    return float(lo + frac * (hi - lo))


def noise_floor(machine_dir, probes=TRAINING, max_procs: int | None = None) -> float:
    """Mean distance between two replications of the same real capture (training cases)."""
    machine, runs, hists = load_real(machine_dir)
    ds = []
    for probe, p in _cases(runs, probes, max_procs or _cores(machine)):
        reps = sorted(
            runs.filter((pl.col("probe") == probe) & (pl.col("gomaxprocs") == p))["replication"]
        )
        for i in range(len(reps) - 1):
            d = cdf_distance(
                real_counts(hists, probe, p, rep=reps[i]),
                real_counts(hists, probe, p, rep=reps[i + 1]),
            )
            if not math.isnan(d):
                ds.append(d)
    return float(np.mean(ds)) if ds else math.nan


def _cores(machine: dict) -> int:
    m = machine.get("machine", machine)
    return int(m.get("logical_cpus") or m.get("physical_cores") or 1)


def _cases(runs: pl.DataFrame, probes, max_procs: int | None):
    out = []
    for probe in probes:
        ps = sorted(set(runs.filter(pl.col("probe") == probe)["gomaxprocs"].to_list()))
        out += [(probe, p) for p in ps if max_procs is None or p <= max_procs]
    return out


# --------------------------------------------------------------------------------------------
# simulated


def sim_counts(runs, probe, procs, cores, costs, metric="sched_latency_ns", scale=1.0, seed=SEED):
    from .._kernel.hist import hdr_to_go
    from ..simulate import simulate

    row = runs.filter((pl.col("probe") == probe) & (pl.col("gomaxprocs") == procs)).row(
        0, named=True
    )
    kw = mirror_kwargs(probe, row["params"], procs, cores, scale)
    return hdr_to_go(simulate(**kw, costs=costs, seed=seed).hist_counts(metric))


def _costs(values: dict):
    from ..params import Costs

    return Costs.from_mapping(values, "fit")


def objective(runs, hists, cases, cores, values: dict, scale=FIT_SCALE) -> tuple[float, dict]:
    """Mean CDF distance over the cases, and each case's."""
    costs = _costs(values)
    per = {}
    for probe, p in cases:
        real = real_counts(hists, probe, p)
        per[f"{probe}@{p}"] = cdf_distance(
            real, sim_counts(runs, probe, p, cores, costs, scale=scale)
        )
    vals = [v for v in per.values() if not math.isnan(v)]
    return (float(np.mean(vals)) if vals else math.nan), per


def fit(
    machine_dir,
    ranges=FIT_RANGES,
    passes: int = 2,
    grid: int = GRID_POINTS,
    scale: float = FIT_SCALE,
    progress=None,
) -> dict:
    """Coordinate descent on a log grid; returns the fit record (see the module doc)."""
    from ..params import DEFAULT_COSTS_NS

    t0 = time.perf_counter()
    machine, runs, hists = load_real(machine_dir)
    cores = _cores(machine)
    cases = _cases(runs, TRAINING, cores)
    if not cases:
        raise SpecError(
            "machine folder", f"captures of the training probes {TRAINING}", str(machine_dir)
        )
    values = dict(DEFAULT_COSTS_NS)
    best, per = objective(runs, hists, cases, cores, values, scale)
    start = best
    profiles = {}
    for _ in range(passes):
        for key, (lo, hi) in ranges.items():
            xs = np.geomspace(lo, hi, grid)
            ds = []
            for x in xs:
                d, _ = objective(runs, hists, cases, cores, {**values, key: float(x)}, scale)
                ds.append(d)
                if progress:
                    progress(f"fit: {key}={x:.0f} distance {d:.4f}")
            i = int(np.nanargmin(ds))
            if ds[i] < best:
                best, values[key] = ds[i], float(xs[i])
            profiles[key] = {"grid": [float(x) for x in xs], "distance": [float(d) for d in ds]}
    best, per = objective(runs, hists, cases, cores, values, scale)
    floor = noise_floor(machine_dir, TRAINING, cores)
    # The objective compares the model with the real histograms pooled over R replications:
    # their sampling noise is that of one replication / sqrt(R), and the floor (two single
    # replications apart) is sqrt(2) times one's, so the objective's noise is floor/sqrt(2R).
    reps = runs.group_by("probe", "gomaxprocs").len()["len"].min()
    tol = floor / math.sqrt(2 * reps) if not math.isnan(floor) else math.nan
    intervals, identified = {}, []
    for key, prof in profiles.items():
        xs, ds = np.array(prof["grid"]), np.array(prof["distance"])
        inside = np.nonzero(ds <= np.nanmin(ds) + tol)[0] if not math.isnan(tol) else []
        if len(inside) == 0:
            inside = np.arange(len(xs))
        # bracket by the neighbouring grid points outside: the grid's resolution is part of it
        lo = float(xs[max(inside.min() - 1, 0)])
        hi = float(xs[min(inside.max() + 1, len(xs) - 1)])
        intervals[key] = [lo, hi]
        width = math.log(hi / lo) if lo > 0 else math.inf
        if width <= 0.5 * math.log(ranges[key][1] / ranges[key][0]) + 1e-9:  # grid steps
            identified.append(key)
    fitted = {k: (values[k] if k in identified else DEFAULT_COSTS_NS[k]) for k in ranges}
    return {
        "machine": machine.get("name"),
        "cores": cores,
        "go_version": machine.get("go_version"),
        "cases": [f"{p}@{n}" for p, n in cases],
        "ranges": {k: list(v) for k, v in ranges.items()},
        "best": {k: values[k] for k in ranges},
        "fitted": fitted,
        "intervals": intervals,
        "identified": identified,
        "not_identified": [k for k in ranges if k not in identified],
        "at_edge": [k for k in ranges if values[k] in (ranges[k][0], ranges[k][1])],
        "distance_default": start,
        "distance_fit": best,
        "noise_floor": floor,
        "tolerance": tol,
        "replications": int(reps),
        "residuals": per,
        "profiles": profiles,
        "scale": scale,
        "wall_s": time.perf_counter() - t0,
    }


def write_profile(record: dict, name: str, directory: str | Path | None = None) -> Path:
    """data/profiles/<name>.json: the fitted costs (the rest at their defaults are left out:
    Costs fills them), ``_calibration`` and ``_fit``."""
    d = Path(directory) if directory else profiles_dir()
    d.mkdir(parents=True, exist_ok=True)
    out = {
        "_comment": "gmplab costs profile fitted by `gmplab calibrate fit` (docs/calibration.md)",
        "_calibration": {
            "machine": record["machine"],
            "cores": record["cores"],
            "date": time.strftime("%Y-%m-%d"),
            "go_version": record["go_version"],
        },
        "_fit": {k: v for k, v in record.items() if k not in ("fitted",)},
        **record["fitted"],
    }
    path = d / f"{name}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)
    return path


def comparison(
    machine_dir, costs="default", probes=PROBES, scale: float = 1.0, seed: int = SEED
) -> dict:
    """Real against simulated, every probe and GOMAXPROCS, computed the same way for each:
    ``table``: P50, P90, P99 (us) of real and simulated scheduling latency, their relative
    errors and the CDF distance (octaves), whether the probe was held out of the fit and
    whether GOMAXPROCS is past the cores; the GC probe adds its stop-the-world pause row.
    ``histograms``: the shares per Go bucket of both, for the overlay figures."""
    from .._kernel.hist import go_boundaries_s
    from ..params import Costs

    machine, runs, hists = load_real(machine_dir)
    cores = _cores(machine)
    prof = Costs.resolve(costs)
    edges = go_boundaries_s()
    rows, frames = [], []
    for probe, p in _cases(runs, probes, None):
        metrics = [("sched_latency", "sched_latency_ns")]
        if probe == "gcalloc":
            metrics.append(("pause_gc_total", "gc_pause_total_ns"))
        for real_m, sim_m in metrics:
            real = real_counts(hists, probe, p, real_m)
            sim = sim_counts(runs, probe, p, cores, prof, sim_m, scale, seed)
            row = {
                "probe": probe,
                "held_out": probe in HELD_OUT,
                "gomaxprocs": p,
                "past_cores": p > cores,
                "measure": real_m,
                "real_n": int(real.sum()),
                "sim_n": int(sim.sum()),
            }
            for q in (0.5, 0.9, 0.99):
                r, s = quantile(real, q) * 1e6, quantile(sim, q) * 1e6
                tag = f"p{round(q * 100)}"
                row[f"real_{tag}_us"] = r
                row[f"sim_{tag}_us"] = s
                row[f"rel_err_{tag}"] = (s - r) / r if r and r > 0 else math.nan
            row["cdf_distance"] = cdf_distance(real, sim)
            rows.append(row)
            if real_m != "sched_latency":
                continue
            for source, counts in (("real Go", real), ("simulated", sim)):
                nz = np.nonzero(counts)[0]
                frames.append(
                    pl.DataFrame(
                        {
                            "probe": probe,
                            "gomaxprocs": p,
                            "source": source,
                            "lower_s": np.maximum(edges[nz], 0.0),
                            "upper_s": edges[nz + 1],
                            "share": counts[nz] / counts.sum(),
                        }
                    )
                )
    return {
        "table": pl.DataFrame(rows),
        "histograms": pl.concat(frames) if frames else pl.DataFrame(),
        "machine": machine,
        "costs": prof.profile,
    }


# --------------------------------------------------------------------------------------------
# command line


def add_fit_arguments(p) -> None:
    p.add_argument("machine_dir", help="an ingested folder, e.g. data/real/vm-2cpu")
    p.add_argument("--name", help="profile name (default: the machine's name)")
    p.add_argument("--passes", type=int, default=2, help="coordinate-descent passes (default 2)")
    p.add_argument("--grid", type=int, default=GRID_POINTS, help="grid points per cost")
    p.add_argument("--scale", type=float, default=FIT_SCALE, help="run length factor")
    p.add_argument("--out", help="profiles folder (default data/profiles)")


def cmd_fit(args) -> int:
    if not 1 <= args.passes <= 5:
        print("calibrate fit: --passes must be in [1, 5]", file=sys.stderr)
        return 2
    if not 3 <= args.grid <= 25:
        print("calibrate fit: --grid must be in [3, 25]", file=sys.stderr)
        return 2
    if not 0.05 <= args.scale <= 4:
        print("calibrate fit: --scale must be in [0.05, 4]", file=sys.stderr)
        return 2
    try:
        rec = fit(
            args.machine_dir,
            passes=args.passes,
            grid=args.grid,
            scale=args.scale,
            progress=lambda m: print(m, file=sys.stderr),
        )
    except SpecError as e:
        print(f"calibrate fit: {e}", file=sys.stderr)
        return 2
    path = write_profile(rec, args.name or rec["machine"], args.out)
    print(f"profile: {path}")
    print(
        f"distance: default {rec['distance_default']:.4f} -> fit {rec['distance_fit']:.4f} "
        f"octaves (noise floor {rec['noise_floor']:.4f}, tolerance {rec['tolerance']:.4f})"
    )
    for k in FIT_RANGES:
        lo, hi = rec["intervals"][k]
        state = "identified" if k in rec["identified"] else "not identified (default kept)"
        state += ", at the edge of its range" if k in rec["at_edge"] else ""
        print(f"  {k}: best {rec['best'][k]:.0f} ns, interval [{lo:.0f}, {hi:.0f}] - {state}")
    return 0
