"""Sweeps: a grid of specs x replications, a parquet cache, executors and progress bars.

A :class:`Sweep` names a base configuration, a grid over any spec field (every combination is a
*point*) and optional explicit cases crossed with the grid. Every point uses the sweep's root
seed, so points share common random numbers, and replication ``i`` of a point is child ``i`` of
``SeedSequence(seed)`` (the same stream ``simulate(replications=R)`` gives it for any R >= i+1).

The unit of work is one replication of one point. Each finished unit is written at once,
atomically, to ``<cache>/<code version>/<key[:2]>/<key>-r<replication>.parquet``, where ``key``
is the spec's hash (``RunSpec.key()`` with one replication) and the code version hashes the
sources of everything on the simulation path (``_kernel/*.py``, ``simulate.py``, ``result.py``,
``params.py``, ``topology.py``) plus the numba and numpy versions. An interrupted sweep
therefore loses at most the units in flight, and a changed kernel never serves a stale result.

Executors: ``serial`` (in this process), ``processes`` (a local process pool, the default for
anything but tiny sweeps) and ``dask`` (a ``LocalCluster`` bound to 127.0.0.1, or an existing
scheduler given as ``tcp://host:port``). All give the same table for the same sweep.

The command line: ``gmplab sweep SPEC.yaml`` (``python -m gmplab.sweep SPEC.yaml``).
"""

from __future__ import annotations

import argparse
import atexit
import concurrent.futures as cf
import contextlib
import dataclasses
import hashlib
import inspect
import itertools
import json
import math
import multiprocessing as mp
import os
import re
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from .errors import SpecError
from .params import DEFAULT_COSTS_NS, Costs, RunSpec, make_spec
from .result import HIST_METRICS, INTERVAL_KEYS

PACKAGE_DIR = Path(__file__).absolute().parent
# Sources that decide a result beyond the spec's own fields: all of them enter the code version.
CODE_FILES = ("simulate.py", "result.py", "params.py", "topology.py")
# A replication is saturated (its queue grows without bound) when the sojourn mean of the last
# quarter of its measured goroutines exceeds this multiple of the first quarter's; a point is
# saturated when any replication is (near a convoy threshold some runs fall in, some do not).
SATURATION_DRIFT = 2.0
# Sweeps whose estimated CPU time is below this run in-process under executor="auto": starting
# a process pool (each worker loads the numba kernel) costs more than it saves.
AUTO_SERIAL_CPU_S = 12.0
# ns of host CPU per simulated goroutine when nothing was measured yet on this machine (2-core
# reference machine, 10 us exp goroutines; the cache's speed log replaces these once it exists)
DEFAULT_NS_PER_GOROUTINE = {"go": 2500.0, "global": 900.0, "central": 650.0, "partitioned": 650.0}
# Latency intervals are held to the relative target or to target x this floor, whichever is
# looser: a P99 of 40 ns (one runq op) cannot carry a 2 ns interval and need not.
PRECISION_FLOOR_NS = 1000.0
WORKER_START_S = 5.0  # starting the pool: imports + numba cache load, for the estimate

# make_spec's arguments a sweep may set per point (seed and replications are the sweep's own)
SPEC_FIELDS = tuple(
    n for n in inspect.signature(make_spec).parameters if n not in ("seed", "replications")
)
# shorthands resolved into the topology: total cores and NUMA nodes
TOPOLOGY_FIELDS = ("cores", "nodes", "cores_per_node")
# case: a free-form tag column; goroutines = max(goroutines_min, goroutines_per_proc x Ps)
EXTRA_FIELDS = ("case", "goroutines_per_proc", "goroutines_min")
# metrics per goroutine added to every table (name -> (numerator, denominator))
PER_GOROUTINE = {
    "lock_wait_ns_per_goroutine": ("lock_wait_ns_total", "goroutines_created"),
    "lock_acquisitions_per_goroutine": ("lock_acquisitions", "goroutines_created"),
    "steals_per_goroutine": ("steals", "goroutines_created"),
    "steals_remote_per_goroutine": ("steals_remote", "goroutines_created"),
    "stolen_per_goroutine": ("stolen", "goroutines_created"),
    "steal_probes_per_goroutine": ("steal_probes", "goroutines_created"),
    "migrations_local_per_goroutine": ("migrations_local", "goroutines_created"),
    "migrations_remote_per_goroutine": ("migrations_remote", "goroutines_created"),
    "wakeups_per_goroutine": ("wakeups", "goroutines_created"),
    "gc_cycles_per_goroutine": ("gc_cycles", "goroutines_created"),
}
# shares of the run added to every table: the time the container was throttled (cpu.max),
# sched.lock waiting over all Ps' time, and the garbage collector's CPU (mark workers of every
# kind and assists) over all Ps' time
SHARES = ("throttled_share", "lock_wait_share", "gc_cpu_share")
GC_CPU_KEYS = ("gc_assist_ns", "gc_dedicated_ns", "gc_fractional_ns", "gc_idle_ns")


# ---------------------------------------------------------------------------------------------
# code version and cache location
# ---------------------------------------------------------------------------------------------
def _code_files(package_dir: Path | None = None) -> list[Path]:
    root = Path(package_dir) if package_dir is not None else PACKAGE_DIR
    files = sorted((root / "_kernel").glob("*.py"))
    files += [root / f for f in CODE_FILES if (root / f).is_file()]
    return files


def code_version(package_dir: Path | None = None) -> str:
    """Hash of the simulation path's sources (as on disk now) plus the numba/numpy versions."""
    import numba

    h = hashlib.sha256()
    root = Path(package_dir) if package_dir is not None else PACKAGE_DIR
    for f in _code_files(root):
        h.update(str(f.relative_to(root)).encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    h.update(f"numba {numba.__version__} numpy {np.__version__}".encode())
    return h.hexdigest()[:16]


# The version of the sources this process imported (a kernel edited later is not what runs here).
LOADED_CODE_VERSION = code_version()
if os.environ.get("GMPLAB_WARM_KERNEL") == "1":  # set only while a fork server starts
    from .simulate import ensure_compiled as _ensure_compiled

    _ensure_compiled()


class StaleKernelError(RuntimeError):
    """The kernel sources changed on disk after this process (or a worker) imported them."""


def project_root() -> Path | None:
    """The source checkout holding this package (editable installs), else None."""
    root = PACKAGE_DIR.parent
    return root if (root / "pyproject.toml").is_file() else None


def default_cache_dir() -> Path:
    """``$GMPLAB_CACHE_DIR``, else ``data/cache`` of the checkout, else ``~/.cache/gmplab``."""
    env = os.environ.get("GMPLAB_CACHE_DIR")
    if env:
        return Path(env)
    root = project_root()
    if root is not None:
        return root / "data" / "cache"
    return Path.home() / ".cache" / "gmplab"


def _write_atomic(df: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        df.write_parquet(tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


class Cache:
    """One parquet file per (spec key, replication) under a code-version folder."""

    def __init__(self, root: Path | str | None = None, version: str | None = None):
        self.root = Path(root) if root is not None else default_cache_dir()
        self.version = version or code_version()
        self.dir = self.root / self.version

    def path(self, key: str, replication: int) -> Path:
        return self.dir / key[:2] / f"{key}-r{replication}.parquet"

    def has(self, key: str, replication: int) -> bool:
        return self.path(key, replication).is_file()

    def read(self, key: str, replication: int) -> pl.DataFrame | None:
        p = self.path(key, replication)
        try:
            return pl.read_parquet(p)
        except FileNotFoundError:
            return None
        except Exception:  # a corrupt file (should not happen: writes are atomic): recompute
            return None

    def write(self, key: str, replication: int, row: pl.DataFrame) -> None:
        _write_atomic(row, self.path(key, replication))

    # --- the speed log: host ns per goroutine, by policy and log2(Ps), for estimates ---------
    def _speed_path(self) -> Path:
        return self.dir / "speed.json"

    def speeds(self) -> dict:
        try:
            return json.loads(self._speed_path().read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def record_speeds(self, samples: Iterable[tuple[str, int, float]]) -> None:
        """Fold (policy, procs, ns per goroutine) samples into the log (EWMA, weight 0.3)."""
        log = self.speeds()
        for policy, procs, ns in samples:
            k = f"{policy}/{int(math.log2(max(procs, 1)))}"
            old = log.get(k)
            log[k] = ns if old is None else 0.7 * old + 0.3 * ns
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self._speed_path().with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(log, indent=1, sort_keys=True))
        os.replace(tmp, self._speed_path())


# ---------------------------------------------------------------------------------------------
# sweep specs
# ---------------------------------------------------------------------------------------------
def _resolve_costs(costs, overrides: dict, scales: dict) -> Costs:
    base = Costs.resolve("default" if costs is None else costs)
    if not overrides and not scales:
        return base
    vals = base.as_dict()
    for k, v in overrides.items():
        if k not in DEFAULT_COSTS_NS:
            raise SpecError("costs", f"keys among {sorted(DEFAULT_COSTS_NS)}", k)
        vals[k] = v
    for k, f in scales.items():
        if k not in DEFAULT_COSTS_NS:
            raise SpecError("costs_scale", f"keys among {sorted(DEFAULT_COSTS_NS)}", k)
        vals[k] = vals[k] * f
    tag = ",".join(
        [f"{k}={v:g}" for k, v in overrides.items()] + [f"{k}x{f:g}" for k, f in scales.items()]
    )
    return Costs.from_mapping(vals, f"{base.profile} ({tag})", base=base.as_dict())


def point_spec(params: dict, seed: int) -> RunSpec:
    """The validated RunSpec of one point (one replication; the sweep replicates it).

    Besides make_spec's arguments, a point may give ``cores`` / ``nodes`` / ``cores_per_node``
    instead of ``topology``, ``costs.KEY`` (ns) and ``costs_scale.KEY`` (a factor on the
    profile's value) to override single costs, ``rules_off`` as a list or a comma string,
    ``gomaxprocs: "cores"`` for all cores, ``goroutines_per_proc`` (with ``goroutines_min``) for
    a run length in proportion to the Ps, and ``case``, a free-form tag kept as a column.
    """
    kw: dict[str, Any] = {}
    overrides: dict = {}
    scales: dict = {}
    topo_bits: dict = {}
    params = dict(params)
    params.pop("case", None)  # a free-form tag of the point, not a spec field
    per_proc = params.pop("goroutines_per_proc", None)
    g_min = params.pop("goroutines_min", None)
    for k, v in params.items():
        if k.startswith("costs.") or k.startswith("cost."):
            overrides[k.split(".", 1)[1]] = v
        elif k.startswith("costs_scale."):
            scales[k.split(".", 1)[1]] = v
        elif k in TOPOLOGY_FIELDS:
            topo_bits[k] = v
        elif k in ("seed", "replications"):
            raise SpecError(k, "set on the sweep, not per point (one root seed per sweep)", v)
        elif k in SPEC_FIELDS:
            kw[k] = v
        else:
            allowed = sorted(SPEC_FIELDS + TOPOLOGY_FIELDS + EXTRA_FIELDS)
            allowed += ["costs.KEY", "costs_scale.KEY"]
            raise SpecError("sweep field", f"one of {allowed}", k)
    if topo_bits:
        if "topology" in kw:
            raise SpecError("topology", "either topology or cores/nodes, not both", topo_bits)
        nodes = int(topo_bits.get("nodes", 1))
        if "cores_per_node" in topo_bits:
            cpn = int(topo_bits["cores_per_node"])
        else:
            cores = int(topo_bits.get("cores", 0))
            if cores < 1 or nodes < 1 or cores % nodes:
                raise SpecError("cores", f"a positive multiple of nodes={nodes}", cores)
            cpn = cores // nodes
        kw["topology"] = f"{nodes}x{cpn}"
    if kw.get("gomaxprocs") == "cores":
        kw["gomaxprocs"] = None
    if per_proc is not None:  # run length in proportion to the Ps (warm-up grows with them)
        from .topology import Topology

        procs = kw.get("gomaxprocs") or Topology.parse(kw.get("topology", "1x4")).cores
        kw["goroutines"] = max(int(g_min or 1), int(per_proc) * int(procs))
    if isinstance(kw.get("rules_off"), str):
        kw["rules_off"] = tuple(x for x in kw["rules_off"].split(",") if x)
    elif kw.get("rules_off") is not None:
        kw["rules_off"] = tuple(kw["rules_off"])
    costs = kw.pop("costs", None)
    if isinstance(costs, dict):
        overrides = {**costs, **overrides}
        costs = None
    kw["costs"] = _resolve_costs(costs, overrides, scales)
    return make_spec(seed=seed, replications=1, **kw)


def _label(params: dict) -> str:
    def fmt(v):
        if isinstance(v, float):
            return f"{v:g}"
        if isinstance(v, list | tuple):
            return "+".join(map(str, v)) or "-"
        if isinstance(v, dict):
            return ",".join(f"{k}={fmt(x)}" for k, x in v.items()) or "-"
        return str(v)

    return " ".join(f"{k}={fmt(v)}" for k, v in params.items())


@dataclasses.dataclass(frozen=True)
class Point:
    """One configuration of a sweep: its index, what varies, and the spec."""

    index: int
    params: dict  # the grid/case values of this point (not the base)
    spec: RunSpec

    @property
    def key(self) -> str:
        return self.spec.key()

    @property
    def label(self) -> str:
        return _label(self.params)


@dataclasses.dataclass
class Sweep:
    """A grid over spec fields, replicated from one root seed.

    ``base``: fields shared by every point. ``grid``: field -> values; points are every
    combination, in the order the fields are given (the last varies fastest). ``cases``: a list
    of field dicts crossed with the grid (outermost), for points that are not a product.
    ``replications``: per point to begin with; with ``target_halfwidth`` (relative, e.g. 0.05)
    points whose ``target_metrics`` 95% interval is wider get more replications, up to
    ``max_replications`` (saturated points excepted: their tails grow with the run length).
    """

    name: str = "sweep"
    base: dict = dataclasses.field(default_factory=dict)
    grid: dict = dataclasses.field(default_factory=dict)
    cases: list = dataclasses.field(default_factory=list)
    replications: int = 3
    seed: int = 1
    target_halfwidth: float | None = None
    target_metrics: tuple = ("sojourn_ns_p99",)
    max_replications: int | None = None

    def __post_init__(self):
        if not isinstance(self.replications, int) or self.replications < 1:
            raise SpecError("replications", "an integer >= 1", self.replications)
        if not isinstance(self.seed, int) or self.seed < 0:
            raise SpecError("seed", "an integer >= 0", self.seed)
        if self.target_halfwidth is not None and not self.target_halfwidth > 0:
            raise SpecError("target_halfwidth", "a relative half-width > 0", self.target_halfwidth)
        if self.max_replications is not None and self.max_replications < self.replications:
            raise SpecError(
                "max_replications", f">= replications ({self.replications})", self.max_replications
            )
        for k, v in self.grid.items():
            if not isinstance(v, list | tuple) or len(v) == 0:
                raise SpecError(f"grid.{k}", "a non-empty list of values", v)
        self.target_metrics = tuple(self.target_metrics)

    # --- construction ---------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: dict) -> Sweep:
        known = {f.name for f in dataclasses.fields(cls)}
        extra = set(d) - known
        if extra:
            raise SpecError("sweep", f"keys among {sorted(known)}", sorted(extra))
        d = dict(d)
        if "target_metrics" in d:
            d["target_metrics"] = tuple(d["target_metrics"])
        return cls(**d)

    @classmethod
    def from_yaml(cls, path: str | Path) -> Sweep:
        import yaml

        data = yaml.safe_load(Path(path).read_text())
        if not isinstance(data, dict):
            raise SpecError("sweep file", "a YAML mapping (name, base, grid, ...)", str(path))
        data.setdefault("name", Path(path).stem)
        return cls.from_dict(data)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["target_metrics"] = list(self.target_metrics)
        return d

    # --- points ---------------------------------------------------------------------------
    def points(self) -> list[Point]:
        fields = list(self.grid)
        combos = list(itertools.product(*[self.grid[f] for f in fields])) or [()]
        out = []
        for case in self.cases or [{}]:
            for combo in combos:
                varied = {**case, **dict(zip(fields, combo))}
                params = {**self.base, **varied}
                out.append(Point(len(out), varied, point_spec(params, self.seed)))
        return out

    def estimate(self, cache: Cache | None = None, workers: int | None = None) -> Estimate:
        return estimate(self, cache=cache, workers=workers)


# ---------------------------------------------------------------------------------------------
# one unit of work (runs in a worker)
# ---------------------------------------------------------------------------------------------
def _hist_lists(counts: np.ndarray) -> tuple[list, list]:
    nz = np.nonzero(counts)[0]
    return nz.astype(np.int32).tolist(), counts[nz].astype(np.int64).tolist()


def _drift(batch_count: np.ndarray, batch_sum: np.ndarray) -> float:
    q = len(batch_count) // 4
    if q < 1:
        return float("nan")
    c0, s0 = batch_count[:q].sum(), batch_sum[:q].sum()
    c1, s1 = batch_count[-q:].sum(), batch_sum[-q:].sum()
    if c0 == 0 or c1 == 0 or s0 == 0:
        return float("nan")
    return float((s1 / c1) / (s0 / c0))


def run_unit(spec: RunSpec, replication: int) -> dict:
    """One replication of one point: its summary row and HDR histograms, as plain data."""
    from .simulate import ensure_compiled, run_once

    ensure_compiled()
    ss = np.random.SeedSequence(spec.seed, spawn_key=(replication,))
    rep = run_once(spec, ss, replication)
    summary = {k: v for k, v in rep.summary.items() if k != "replication"}
    summary["sojourn_drift_ratio"] = _drift(rep.batch_count, rep.batch_sum)
    return {
        "key": spec.key(),
        "replication": replication,
        "code_version": LOADED_CODE_VERSION,
        "summary": summary,
        "hists": {m: _hist_lists(rep.hists[m]) for m in HIST_METRICS},
    }


_FLOAT_KEYS = set(INTERVAL_KEYS) | {"wall_s", "sojourn_drift_ratio", "utilization_run"}


def _unit_row(unit: dict, spec: RunSpec) -> pl.DataFrame:
    cols: dict[str, pl.Series] = {
        "key": pl.Series([unit["key"]], dtype=pl.String),
        "replication": pl.Series([unit["replication"]], dtype=pl.Int64),
        "code_version": pl.Series([unit["code_version"]], dtype=pl.String),
        "spec_json": pl.Series([json.dumps(spec.to_dict(), sort_keys=True)], dtype=pl.String),
    }
    for k, v in unit["summary"].items():
        is_float = k in _FLOAT_KEYS or isinstance(v, float | np.floating)
        val = None if v is None else (float(v) if is_float else int(v))
        cols[k] = pl.Series([val], dtype=pl.Float64 if is_float else pl.Int64)
    for m, (idx, cnt) in unit["hists"].items():
        cols[f"hist_{m}_idx"] = pl.Series([idx], dtype=pl.List(pl.Int32))
        cols[f"hist_{m}_count"] = pl.Series([cnt], dtype=pl.List(pl.Int64))
    return pl.DataFrame(cols)


# ---------------------------------------------------------------------------------------------
# estimates
# ---------------------------------------------------------------------------------------------
def _ns_per_goroutine(spec: RunSpec, speeds: dict) -> float:
    k = f"{spec.policy}/{int(math.log2(max(spec.procs, 1)))}"
    if k in speeds:
        return speeds[k]
    base = DEFAULT_NS_PER_GOROUTINE.get(spec.policy, 2500.0)
    # longer goroutines mean more idle/wake/spin events per goroutine in the `go` policy
    if spec.policy == "go":
        base *= max(1.0, (spec.workload.service_mean_ns / 10_000.0) ** 0.5)
    return base


@dataclasses.dataclass
class Estimate:
    """The size of a sweep and the time it should take before it runs."""

    name: str
    points: int
    units: int  # point x replication runs at the initial replication count
    cached: int  # of those, already in the cache
    goroutines: int  # goroutines left to simulate
    cpu_s: float  # host CPU seconds to simulate them
    wall_s: float  # expected wall time with `workers`
    workers: int
    executor: str
    max_units: int  # with every point at max_replications
    max_wall_s: float

    def __str__(self) -> str:
        txt = (
            f"sweep {self.name}: {self.points} points x replications = {self.units} runs "
            f"({self.cached} cached), {self.goroutines:,} goroutines to simulate, "
            f"about {_fmt_s(self.wall_s)} on {self.workers} {self.executor} worker(s)"
        )
        if self.max_units > self.units:
            txt += (
                f"; up to {self.max_units} runs (about {_fmt_s(self.max_wall_s)}) if every "
                "point needs the most replications"
            )
        return txt


def _fmt_s(s: float) -> str:
    if s < 90:
        return f"{s:.0f} s"
    return f"{s / 60:.1f} min"


def _auto_workers() -> int:
    env = os.environ.get("GMPLAB_WORKERS")
    if env:
        return max(1, int(env))
    return max(1, min(os.cpu_count() or 1, 8))


def estimate(
    sweep: Sweep,
    cache: Cache | None = None,
    workers: int | None = None,
    executor: str = "auto",
    points: list[Point] | None = None,
) -> Estimate:
    cache = cache if cache is not None else Cache()
    points = points if points is not None else sweep.points()
    speeds = cache.speeds()
    r0 = sweep.replications
    rmax = sweep.max_replications or r0
    units = cached = gor = 0
    cpu = cpu_max = 0.0
    for pt in points:
        ns = _ns_per_goroutine(pt.spec, speeds)
        n = pt.spec.workload.goroutines
        for r in range(rmax):
            hit = cache.has(pt.key, r)
            if r < r0:
                units += 1
                cached += hit
                if not hit:
                    gor += n
                    cpu += n * ns * 1e-9
            if not hit:
                cpu_max += n * ns * 1e-9
    executor = _choose_executor(executor, cpu)
    w = 1 if executor == "serial" else (workers or _auto_workers())
    start = 0.0 if executor == "serial" or cpu == 0 else WORKER_START_S
    return Estimate(
        name=sweep.name,
        points=len(points),
        units=units,
        cached=cached,
        goroutines=gor,
        cpu_s=cpu,
        wall_s=cpu / w + start,
        workers=w,
        executor=executor,
        max_units=len(points) * rmax,
        max_wall_s=cpu_max / w + start,
    )


def _choose_executor(executor: str, cpu_s: float) -> str:
    if executor == "auto":
        env = os.environ.get("GMPLAB_EXECUTOR")
        if env:
            executor = env
        elif os.environ.get("GMPLAB_DASK"):
            executor = "dask"
        else:
            return "serial" if cpu_s < AUTO_SERIAL_CPU_S else "processes"
    if executor not in ("serial", "processes", "dask"):
        raise SpecError("executor", "auto, serial, processes or dask", executor)
    return executor


# ---------------------------------------------------------------------------------------------
# progress bars (terminal: tqdm on stderr; notebooks: an HTML bar updated in place)
# ---------------------------------------------------------------------------------------------
def _in_notebook() -> bool:
    if "IPython" not in sys.modules:
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def _progress_enabled(progress: bool | None) -> bool:
    if progress is not None:
        return progress
    return os.environ.get("GMPLAB_PROGRESS", "1") not in ("0", "false", "no", "")


class Progress:
    """A progress bar over a sweep's runs; a no-op when disabled."""

    def __init__(self, total: int, desc: str, enabled: bool = True):
        self.total, self.desc, self.n, self.cached = total, desc, 0, 0
        self.t0 = time.perf_counter()
        self._last = 0.0
        self._bar = None
        self._handle = None
        self.enabled = enabled
        if total > 0:
            self._start()

    def _start(self) -> None:
        if not self.enabled or self._bar is not None or self._handle is not None:
            return
        if _in_notebook():
            from IPython.display import HTML, display

            self._handle = display(HTML(self._html()), display_id=True)
        else:
            from tqdm import tqdm

            self._bar = tqdm(
                total=self.total, desc=self.desc, unit="run", file=sys.stderr, mininterval=0.5
            )

    def _html(self, done: bool = False) -> str:
        el = time.perf_counter() - self.t0
        eta = ""
        computed = self.n - self.cached
        if not done and computed > 0 and self.n < self.total:
            eta = f", about {_fmt_s(el / computed * (self.total - self.n))} left"
        state = "done" if done else "running"
        return (
            f'<div class="gmplab-progress"><progress value="{self.n}" max="{self.total}" '
            f'style="width:16em"></progress> <code>{self.desc}</code> {state}: '
            f"{self.n}/{self.total} runs ({self.cached} from the cache), {_fmt_s(el)}{eta}</div>"
        )

    def add_total(self, n: int) -> None:
        self.total += n
        if self._bar is None and self._handle is None:
            self._start()  # created with the new total
            return
        if self._bar is not None:
            self._bar.total = self.total
            self._bar.refresh()

    def update(self, n: int = 1, cached: bool = False) -> None:
        self.n += n
        self.cached += n if cached else 0
        if self._bar is not None:
            self._bar.update(n)
        elif self._handle is not None:
            now = time.perf_counter()
            if now - self._last > 0.5:
                from IPython.display import HTML

                self._handle.update(HTML(self._html()))
                self._last = now

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._handle is not None:
            from IPython.display import HTML

            self._handle.update(HTML(self._html(done=True)))


# ---------------------------------------------------------------------------------------------
# executors
# ---------------------------------------------------------------------------------------------
def _worker_init() -> None:
    import signal

    # Ctrl-C (or Jupyter's interrupt) is the parent's to handle: it cancels what is queued and
    # keeps what finished; workers just finish their run
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from .simulate import ensure_compiled

    ensure_compiled()


_POOL: dict = {}


def _shutdown_pool() -> None:
    pool = _POOL.pop("pool", None)
    _POOL.clear()
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


atexit.register(_shutdown_pool)


def _process_pool(workers: int, version: str) -> cf.ProcessPoolExecutor:
    """A pool reused across sweeps in this process (workers keep the kernel loaded)."""
    if _POOL.get("key") == (workers, version) and not _POOL["pool"]._broken:
        return _POOL["pool"]
    _shutdown_pool()
    ctx = mp.get_context("forkserver")
    # the fork server imports gmplab and loads the kernel once; workers fork from it warm
    ctx.set_forkserver_preload(["gmplab.sweep"])
    os.environ["GMPLAB_WARM_KERNEL"] = "1"
    try:
        from multiprocessing import forkserver

        forkserver.ensure_running()
    finally:
        os.environ.pop("GMPLAB_WARM_KERNEL", None)
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init)
    _POOL.update(pool=pool, key=(workers, version))
    return pool


def _iter_serial(tasks):
    for spec, rep in tasks:
        yield run_unit(spec, rep)


def _iter_pool(tasks, workers: int, version: str):
    pool = _process_pool(workers, version)
    futs = [pool.submit(run_unit, spec, rep) for spec, rep in tasks]
    try:
        for f in cf.as_completed(futs):
            yield f.result()
    except BaseException:
        for f in futs:
            f.cancel()
        raise


@contextlib.contextmanager
def dask_client(address: str | None = None, workers: int | None = None):
    """A Dask client: to ``address`` (``tcp://host:port``), else to a loopback LocalCluster."""
    from dask.distributed import Client, LocalCluster

    if address:
        client = Client(address)
        try:
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(
        n_workers=workers or _auto_workers(),
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _iter_dask(tasks, client):
    from dask.distributed import as_completed

    futs = [client.submit(run_unit, spec, rep, pure=False) for spec, rep in tasks]
    try:
        for f in as_completed(futs):
            yield f.result()
    except BaseException:
        client.cancel(futs)
        raise


# ---------------------------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------------------------
@dataclasses.dataclass
class RunStats:
    computed: int = 0  # units simulated now
    cached: int = 0  # units read from the cache
    wall_s: float = 0.0  # the whole run, cache reads included
    executor: str = "serial"
    workers: int = 1
    rounds: int = 0  # replication rounds (more than one when a target half-width asked)


_FLOAT_PARAMS = (
    "load",
    "arrival_rate_per_s",
    "nominal_load",
    "service_mean_ns",
    "service_scv",
    "warmup_fraction",
    "snapshot_ms",
)


def _param_frame(points: list[Point]) -> pl.DataFrame:
    """One row per point: every field of ``RunSpec.to_dict()`` (costs as ``cost_<key>``,
    lists as text), plus point, label, case, key, nodes and cores_per_node."""
    rows = []
    for pt in points:
        row: dict[str, Any] = {
            "point": pt.index,
            "label": pt.label,
            "case": str(pt.params.get("case", "")),
            "key": pt.key,
        }
        for k, v in pt.spec.to_dict().items():
            if k in ("replications", "check_invariants", "trace_events"):
                continue  # one per point here / change no result
            if k == "costs":
                row.update({f"cost_{c}": x for c, x in v.items()})
                continue
            if k == "topology":
                row[k] = v
                row["nodes"] = pt.spec.topology.nodes
                row["cores_per_node"] = pt.spec.topology.cores_per_node
                continue
            if isinstance(v, list | tuple):
                simple = all(isinstance(x, str | int | float) for x in v)
                v = ",".join(map(str, v)) if simple else json.dumps(v, sort_keys=True)
            elif isinstance(v, dict):
                v = json.dumps(v, sort_keys=True)
            row[k] = v
        rows.append(row)
    over = {k: pl.Float64 for k in _FLOAT_PARAMS if k in rows[0]}
    return pl.DataFrame(rows, schema_overrides=over, infer_schema_length=None)


def _interval(values: Sequence[float], conf: float = 0.95) -> tuple[float, float]:
    """Mean and Student-t half-width over replications (half inf with fewer than two)."""
    from scipy import stats as sps

    x = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    if x.size == 0:
        return float("nan"), float("inf")
    if x.size < 2:
        return float(x.mean()), float("inf")
    half = sps.t.ppf(0.5 + conf / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size)
    return float(x.mean()), float(half)


def meets_target(half: float, mean: float, metric: str, target: float) -> bool:
    """True when the half-width is at most target x max(|mean|, floor); the floor
    (PRECISION_FLOOR_NS) applies to ns metrics only."""
    if half is None or mean is None or not math.isfinite(half) or math.isnan(mean):
        return False
    floor = PRECISION_FLOOR_NS if "_ns" in metric else 0.0
    return half <= target * max(abs(mean), floor)


def run(
    sweep: Sweep,
    executor: str = "auto",
    workers: int | None = None,
    dask_address: str | None = None,
    cache: Cache | None = None,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    progress: bool | None = None,
    verbose: bool = True,
) -> SweepResult:
    """Run a sweep (reading what the cache has) and return its table.

    ``executor``: ``auto`` (the default: ``$GMPLAB_EXECUTOR``, ``dask`` when ``$GMPLAB_DASK``
    names a scheduler, in-process for tiny sweeps, else a process pool), ``serial``,
    ``processes`` or ``dask`` (``dask_address`` or ``$GMPLAB_DASK``: an existing scheduler;
    none: a LocalCluster on 127.0.0.1). ``workers``: pool size (default: CPU count, at most 8).
    """
    t0 = time.perf_counter()
    version = code_version()
    if cache is None:
        cache = Cache(cache_dir, version)
    elif cache.version != version:
        cache = Cache(cache.root, version)
    points = sweep.points()
    est = estimate(sweep, cache if use_cache else Cache(cache.root, "-"), workers, executor, points)
    executor = est.executor
    dask_address = dask_address or os.environ.get("GMPLAB_DASK") or None
    if verbose:
        print(str(est), file=sys.stderr if not _in_notebook() else sys.stdout)
    stats = RunStats(executor=executor, workers=est.workers)
    rows: dict[tuple[int, int], pl.DataFrame] = {}
    nreps = {pt.index: sweep.replications for pt in points}
    rmax = sweep.max_replications or sweep.replications
    bar = Progress(0, sweep.name, _progress_enabled(progress))
    speed_samples: list[tuple[str, int, float]] = []

    with contextlib.ExitStack() as stack:
        client = None
        while True:
            todo = [
                (pt, r)
                for pt in points
                for r in range(nreps[pt.index])
                if (pt.index, r) not in rows
            ]
            if not todo:
                break
            stats.rounds += 1
            bar.add_total(len(todo))
            tasks = []
            by_key: dict[str, list[Point]] = {}
            for pt, r in todo:
                row = cache.read(pt.key, r) if use_cache else None
                if row is not None:
                    rows[(pt.index, r)] = row
                    stats.cached += 1
                    bar.update(cached=True)
                    continue
                if not any(p.key == pt.key for p, rr in tasks if rr == r):
                    tasks.append((pt, r))
                by_key.setdefault(pt.key, []).append(pt)
            if tasks:
                specs = [(pt.spec, r) for pt, r in tasks]
                if executor == "serial":
                    if LOADED_CODE_VERSION != version:
                        raise StaleKernelError(
                            "the kernel sources changed since this process imported gmplab "
                            f"({LOADED_CODE_VERSION} -> {version}): restart the Python process "
                            "(in Jupyter: restart the kernel) so results match the cache key"
                        )
                    it = _iter_serial(specs)
                elif executor == "processes":
                    it = _iter_pool(specs, est.workers, version)
                else:
                    if client is None:
                        client = stack.enter_context(dask_client(dask_address, workers))
                    it = _iter_dask(specs, client)
                for unit in it:
                    if unit["code_version"] != version:
                        _shutdown_pool()
                        raise StaleKernelError(
                            f"a worker ran kernel version {unit['code_version']}, not {version} "
                            "(the sources on disk here): restart the workers (a Dask cluster "
                            "must run the same gmplab checkout)"
                        )
                    pts = by_key[unit["key"]]
                    row = _unit_row(unit, pts[0].spec)
                    if use_cache:
                        cache.write(unit["key"], unit["replication"], row)
                    for pt in pts:
                        if (pt.index, unit["replication"]) in rows:
                            continue
                        rows[(pt.index, unit["replication"])] = row
                        if pt is not pts[0]:
                            bar.update(cached=True)
                    stats.computed += 1
                    s = unit["summary"]
                    n = max(1, s.get("goroutines_created", 1))
                    speed_samples.append(
                        (pts[0].spec.policy, pts[0].spec.procs, s["wall_s"] * 1e9 / n)
                    )
                    bar.update()
            if sweep.target_halfwidth is None:
                break
            grow = _grow(sweep, points, rows, nreps, rmax)
            if not grow:
                break
            nreps.update(grow)
    bar.close()
    if speed_samples and use_cache:
        with contextlib.suppress(OSError):
            cache.record_speeds(speed_samples)
    stats.wall_s = time.perf_counter() - t0
    table, param_cols = _assemble(points, rows, nreps)
    res = SweepResult(sweep, points, table, version, stats, param_cols)
    if verbose:
        msg = (
            f"sweep {sweep.name}: {stats.computed} runs simulated, {stats.cached} from the cache, "
            f"{_fmt_s(stats.wall_s)} ({executor})"
        )
        print(msg, file=sys.stderr if not _in_notebook() else sys.stdout)
    return res


def _grow(sweep, points, rows, nreps, rmax) -> dict:
    """Points that miss the target half-width get replications in proportion (1/sqrt(R) law)."""
    out = {}
    for pt in points:
        r = nreps[pt.index]
        if r >= rmax:
            continue
        reps = [rows[(pt.index, i)] for i in range(r)]
        drifts = np.array([x["sojourn_drift_ratio"][0] for x in reps], dtype=float)
        if np.any(drifts > SATURATION_DRIFT):  # no stationary tail: more runs cannot help
            continue
        worst = 0.0  # the half-width over what the target allows, worst metric
        for m in sweep.target_metrics:
            mean, half = _interval([x[m][0] for x in reps])
            if meets_target(half, mean, m, sweep.target_halfwidth):
                continue
            floor = PRECISION_FLOOR_NS if "_ns" in m else 0.0
            allowed = sweep.target_halfwidth * max(abs(mean), floor)
            worst = max(worst, half / allowed if allowed > 0 else math.inf)
        if worst == 0.0:
            continue
        need = r * worst**2 * 1.2 if math.isfinite(worst) else 2 * r
        out[pt.index] = int(min(rmax, max(r + 2, math.ceil(need))))
    return out


def _assemble(points, rows, nreps) -> pl.DataFrame:
    frames = []
    for pt in points:
        for r in range(nreps[pt.index]):
            frames.append(rows[(pt.index, r)].with_columns(pl.lit(pt.index).alias("point")))
    data = pl.concat(frames, how="diagonal_relaxed").drop("key", "spec_json")
    params = _param_frame(points)
    table = params.join(data, on="point", how="inner")
    for name, (num, den) in PER_GOROUTINE.items():
        if num in table.columns and den in table.columns:
            table = table.with_columns(
                (pl.col(num).cast(pl.Float64) / pl.col(den).cast(pl.Float64)).alias(name)
            )
    if {"throttled_ns", "end_ns"} <= set(table.columns):
        end = pl.col("end_ns").cast(pl.Float64)
        table = table.with_columns((pl.col("throttled_ns").cast(pl.Float64) / end).alias(SHARES[0]))
    if {"lock_wait_ns_total", "end_ns", "gomaxprocs"} <= set(table.columns):
        p_time = pl.col("end_ns").cast(pl.Float64) * pl.col("gomaxprocs").cast(pl.Float64)
        table = table.with_columns(
            (pl.col("lock_wait_ns_total").cast(pl.Float64) / p_time).alias(SHARES[1])
        )
    if {*GC_CPU_KEYS, "end_ns", "gomaxprocs"} <= set(table.columns):
        p_time = pl.col("end_ns").cast(pl.Float64) * pl.col("gomaxprocs").cast(pl.Float64)
        gc_ns = pl.sum_horizontal(pl.col(k).cast(pl.Float64) for k in GC_CPU_KEYS)
        table = table.with_columns((gc_ns / p_time).alias(SHARES[2]))
    return table.sort("point", "replication"), params.columns


# ---------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------
def _hdr_edges():
    from ._kernel.hist import hdr_lower_edges_ns, hdr_upper_edges_ns

    return hdr_lower_edges_ns(), hdr_upper_edges_ns()


class SweepResult:
    """A sweep's outputs. ``table``: one row per (point, replication), every parameter a column
    (costs as ``cost_<key>``), every summary metric a column (docs/report.md lists them)."""

    def __init__(self, sweep, points, table: pl.DataFrame, version: str, stats, param_columns):
        self.sweep = sweep
        self._param_columns = list(param_columns)
        self.points = points
        self.table = table
        self.code_version = version
        self.stats = stats

    def __repr__(self) -> str:
        return (
            f"SweepResult({self.sweep.name!r}: {len(self.points)} points, {self.table.height} "
            f"runs, code {self.code_version})"
        )

    @property
    def param_columns(self) -> list[str]:
        return list(self._param_columns)

    @property
    def seeds(self) -> list[int]:
        return sorted(set(self.table["seed"].to_list()))

    def runs(self) -> pl.DataFrame:
        """The table without the histogram list columns (what most analyses want)."""
        return self.table.select([c for c in self.table.columns if not c.startswith("hist_")])

    def summary(self, metrics: Sequence[str] | None = None, conf: float = 0.95) -> pl.DataFrame:
        """One row per point: parameters, ``replications``, ``saturated``, and for each metric
        its mean over replications with ``_lo``/``_hi`` (Student-t) and ``_hw_rel`` (the
        interval's half-width over the mean)."""
        from scipy import stats as sps

        if metrics is None:
            metrics = list(INTERVAL_KEYS) + list(PER_GOROUTINE) + list(SHARES)
        metrics = [m for m in metrics if m in self.table.columns]
        t = self.table
        aggs = [pl.len().alias("replications")]
        aggs.append(pl.col("sojourn_drift_ratio").median().alias("sojourn_drift_ratio"))
        aggs.append(
            (pl.col("sojourn_drift_ratio") > SATURATION_DRIFT).sum().alias("saturated_replications")
        )
        for m in metrics:
            aggs += [pl.col(m).mean().alias(m), pl.col(m).std().alias(f"__sd_{m}")]
        g = t.group_by("point", maintain_order=True).agg(aggs)
        ns = sorted(set(g["replications"].to_list()))
        tq = {n: (float(sps.t.ppf(0.5 + conf / 2, n - 1)) if n > 1 else float("nan")) for n in ns}
        g = g.with_columns(
            pl.col("replications").replace_strict(tq, return_dtype=pl.Float64).alias("__t"),
            (pl.col("saturated_replications") > 0).alias("saturated"),
        )
        cols = []
        for m in metrics:
            half = (
                pl.col("__t") * pl.col(f"__sd_{m}") / pl.col("replications").cast(pl.Float64).sqrt()
            )
            cols += [
                (pl.col(m) - half).alias(f"{m}_lo"),
                (pl.col(m) + half).alias(f"{m}_hi"),
                pl.when(half == 0).then(0.0).otherwise(half / pl.col(m).abs()).alias(f"{m}_hw_rel"),
            ]
        g = g.with_columns(cols).drop([c for c in g.columns if c.startswith("__")])
        params = t.select(self.param_columns).unique(subset="point", keep="first")
        return params.join(g, on="point").sort("point")

    def summary_long(self, metrics: Sequence[str], conf: float = 0.95) -> pl.DataFrame:
        """The summary as one row per (point, metric): label, metric, mean, lo, hi, hw_rel."""
        s = self.summary(metrics, conf)
        frames = [
            s.select(
                "point",
                "label",
                pl.lit(m).alias("metric"),
                pl.col(m).cast(pl.Float64).alias("mean"),
                pl.col(f"{m}_lo").cast(pl.Float64).alias("lo"),
                pl.col(f"{m}_hi").cast(pl.Float64).alias("hi"),
                pl.col(f"{m}_hw_rel").cast(pl.Float64).alias("hw_rel"),
            )
            for m in metrics
            if m in s.columns
        ]
        return pl.concat(frames).sort("point", maintain_order=True)

    def histograms(self, metric: str = "sojourn_ns") -> pl.DataFrame:
        """Long table: point, replication, lower_ns, upper_ns, count (non-empty HDR cells)."""
        lo, hi = _hdr_edges()
        t = self.table.select(
            "point", "replication", f"hist_{metric}_idx", f"hist_{metric}_count"
        ).explode(f"hist_{metric}_idx", f"hist_{metric}_count")
        idx = t[f"hist_{metric}_idx"].to_numpy()
        return pl.DataFrame(
            {
                "point": t["point"],
                "replication": t["replication"],
                "lower_ns": lo[idx].astype(np.float64),
                "upper_ns": hi[idx],
                "count": t[f"hist_{metric}_count"],
            }
        )

    def counts(self, point: int, metric: str = "sojourn_ns") -> np.ndarray:
        """HDR counts per replication of one point, shape (replications, cells)."""
        from ._kernel.hist import HDR_ARRAY_LEN

        sub = self.table.filter(pl.col("point") == point).sort("replication")
        out = np.zeros((sub.height, HDR_ARRAY_LEN), dtype=np.int64)
        for i, (idx, cnt) in enumerate(
            zip(sub[f"hist_{metric}_idx"].to_list(), sub[f"hist_{metric}_count"].to_list())
        ):
            out[i, np.asarray(idx, dtype=np.int64)] = np.asarray(cnt, dtype=np.int64)
        return out

    def ccdf(
        self,
        metric: str = "sojourn_ns",
        points: Sequence[int] | None = None,
        conf: float = 0.95,
        max_rows: int = 400,
    ) -> pl.DataFrame:
        """P(X > x) per point at the HDR cell edges: pooled over replications (``ccdf``) with a
        Student-t band over replications (``ccdf_lo``/``ccdf_hi``); the parameters joined."""
        from scipy import stats as sps

        lo_edges, hi_edges = _hdr_edges()
        pts = points if points is not None else [p.index for p in self.points]
        frames = []
        for p in pts:
            c = self.counts(p, metric)
            tot = c.sum(axis=1, keepdims=True).astype(float)
            if tot.sum() == 0:
                continue
            per = 1.0 - np.cumsum(c, axis=1) / np.maximum(tot, 1)  # P(X >= upper edge)
            pooled = 1.0 - np.cumsum(c.sum(axis=0)) / tot.sum()
            keep = np.nonzero(c.sum(axis=0))[0]
            keep = keep[np.isfinite(hi_edges[keep])]
            if len(keep) > max_rows:  # thin the body, keep the whole tail
                body = keep[pooled[keep] > 0.01]
                tail = keep[pooled[keep] <= 0.01]
                step = max(1, math.ceil(len(body) / (max_rows - min(len(tail), max_rows // 2))))
                keep = np.concatenate([body[::step], tail[-(max_rows // 2) :]])
            n = c.shape[0]
            mean = per[:, keep].mean(axis=0)
            if n > 1:
                half = sps.t.ppf(0.5 + conf / 2, n - 1) * per[:, keep].std(axis=0, ddof=1)
                half /= math.sqrt(n)
            else:
                half = np.full(len(keep), np.nan)
            frames.append(
                pl.DataFrame(
                    {
                        "point": np.full(len(keep), p, dtype=np.int64),
                        "metric": [metric] * len(keep),
                        "value_ns": hi_edges[keep].astype(np.float64),
                        "ccdf": pooled[keep],
                        "ccdf_lo": np.clip(mean - half, 0, 1),
                        "ccdf_hi": np.clip(mean + half, 0, 1),
                    }
                )
            )
        if not frames:
            return pl.DataFrame()
        params = self.table.select(self.param_columns).unique(subset="point", keep="first")
        return pl.concat(frames).join(params, on="point", how="left")


# ---------------------------------------------------------------------------------------------
# sensitivity helpers
# ---------------------------------------------------------------------------------------------
def charged_cost_keys() -> list[str]:
    """The cost keys the kernel charges today (those its event loop reads)."""
    from ._kernel import consts as kc

    src = "\n".join(
        f.read_text()
        for f in sorted((PACKAGE_DIR / "_kernel").glob("*.py"))
        if f.name != "consts.py"
    )
    out = []
    for i, key in enumerate(kc.COST_KEYS):
        names = [n for n, v in vars(kc).items() if n.startswith("C_") and v == i]
        if any(re.search(rf"\[\s*(?:kc\.)?{n}\s*\]", src) for n in names):
            out.append(key)
    return out


# ---------------------------------------------------------------------------------------------
# analysis helpers: paired comparisons, reference curves, cost variants
# ---------------------------------------------------------------------------------------------
def cross(*lists: Sequence[dict]) -> list[dict]:
    """Every combination of the given lists of field dicts, merged (later lists win)."""
    out = []
    for combo in itertools.product(*lists):
        d: dict = {}
        for part in combo:
            d.update(part)
        out.append(d)
    return out


def cost_variants(keys: Sequence[str] | None = None, factors: Sequence[float] = (0.5, 2.0)):
    """Cases for a one-at-a-time cost sensitivity: the baseline, then each cost key (default:
    those the kernel charges) scaled by each factor. Each case carries ``case``,
    ``costs_scale.<key>``."""
    keys = list(keys) if keys is not None else charged_cost_keys()
    out = [{"case": "baseline"}]
    for k in keys:
        for f in factors:
            out.append({"case": f"{k} x{f:g}", f"costs_scale.{k}": float(f)})
    return out


def _match(df: pl.DataFrame, where: dict) -> pl.DataFrame:
    for k, v in where.items():
        df = df.filter(pl.col(k) == v)
    return df


def compare(
    result: SweepResult,
    metric: str,
    numerator: dict,
    denominator: dict,
    by: Sequence[str] = ("case",),
    conf: float = 0.95,
) -> pl.DataFrame:
    """The ratio numerator/denominator of ``metric`` per ``by`` group, paired by replication
    (both sides use the same child seeds: common random numbers): ``ratio`` (mean of the
    per-replication ratios), ``ratio_lo``/``ratio_hi`` (Student-t), ``ratio_hw_rel``,
    ``replications``."""
    from scipy import stats as sps

    t = result.table
    by = list(by)
    num = _match(t, numerator).select(*by, "replication", pl.col(metric).alias("__n"))
    den = _match(t, denominator).select(*by, "replication", pl.col(metric).alias("__d"))
    j = num.join(den, on=[*by, "replication"], how="inner").with_columns(
        (pl.col("__n") / pl.col("__d")).alias("__r")
    )
    g = j.group_by(by, maintain_order=True).agg(
        pl.col("__r").mean().alias("ratio"),
        pl.col("__r").std().alias("__sd"),
        pl.len().alias("replications"),
    )
    tq = {
        n: float(sps.t.ppf(0.5 + conf / 2, n - 1)) if n > 1 else float("nan")
        for n in set(g["replications"].to_list())
    }
    half = (
        pl.col("replications").replace_strict(tq, return_dtype=pl.Float64)
        * pl.col("__sd")
        / pl.col("replications").cast(pl.Float64).sqrt()
    )
    return g.with_columns(
        (pl.col("ratio") - half).alias("ratio_lo"),
        (pl.col("ratio") + half).alias("ratio_hi"),
        (half / pl.col("ratio").abs()).alias("ratio_hw_rel"),
    ).drop("__sd")


def tornado_table(
    result: SweepResult,
    comparisons: Sequence[Sequence[str]],
    sides: dict,
    variants: Sequence[dict],
    metric: str = "sojourn_ns_p99",
    conf: float = 0.95,
) -> pl.DataFrame:
    """For each comparison ``[label, numerator side, denominator side]`` and each cost variant:
    the ratio, and its change from the baseline in % with a paired Student-t interval (every
    variant and side shares the replications' seeds). Columns: comparison, cost, factor,
    ratio, baseline_ratio, change_pct, change_pct_lo, change_pct_hi, replications, saturated
    (a side's queue grew without bound in some replication: that ratio has no stationary
    value)."""
    from scipy import stats as sps

    meta = []
    for v in variants:
        scale = [(k.split(".", 1)[1], f) for k, f in v.items() if k.startswith("costs_scale.")]
        if scale:
            meta.append({"case": v["case"], "cost": scale[0][0], "factor": float(scale[0][1])})
    meta_df = pl.DataFrame(
        meta, schema={"case": pl.String, "cost": pl.String, "factor": pl.Float64}
    )
    t = result.table
    frames = []
    for label, num_side, den_side in comparisons:
        sat = pl.col("sojourn_drift_ratio") > SATURATION_DRIFT
        num = _match(t, sides[num_side]).select(
            "case", "replication", pl.col(metric).alias("n"), sat.alias("sn")
        )
        den = _match(t, sides[den_side]).select(
            "case", "replication", pl.col(metric).alias("d"), sat.alias("sd_")
        )
        r = num.join(den, on=["case", "replication"]).with_columns(
            (pl.col("n") / pl.col("d")).alias("r"), (pl.col("sn") | pl.col("sd_")).alias("s")
        )
        base = r.filter(pl.col("case") == "baseline").select("replication", pl.col("r").alias("b"))
        rr = r.join(base, on="replication").with_columns(
            ((pl.col("r") / pl.col("b") - 1.0) * 100.0).alias("chg")
        )
        g = rr.group_by("case", maintain_order=True).agg(
            pl.col("r").mean().alias("ratio"),
            pl.col("b").mean().alias("baseline_ratio"),
            pl.col("chg").mean().alias("change_pct"),
            pl.col("chg").std().alias("sd"),
            pl.len().alias("replications"),
            pl.col("s").any().alias("saturated"),
        )
        tq = {
            n: float(sps.t.ppf(0.5 + conf / 2, n - 1)) if n > 1 else float("nan")
            for n in set(g["replications"].to_list())
        }
        half = (
            pl.col("replications").replace_strict(tq, return_dtype=pl.Float64)
            * pl.col("sd").fill_null(0.0)
            / pl.col("replications").cast(pl.Float64).sqrt()
        )
        g = g.with_columns(
            (pl.col("change_pct") - half).alias("change_pct_lo"),
            (pl.col("change_pct") + half).alias("change_pct_hi"),
            pl.lit(label).alias("comparison"),
        ).drop("sd")
        frames.append(g.join(meta_df, on="case", how="inner"))
    cols = ["comparison", "cost", "factor", "ratio", "baseline_ratio", "change_pct"]
    cols += ["change_pct_lo", "change_pct_hi", "replications", "saturated"]
    return pl.concat(frames).select(cols) if frames else pl.DataFrame()


REFERENCE_MODELS = {
    "mmc": "M/M/c (one ideal shared queue)",
    "mm1": "M/M/1 per P (no sharing)",
}


def reference_lines(
    summary: pl.DataFrame,
    x: str = "gomaxprocs",
    metric: str = "sojourn_ns",
    quantiles: Sequence[str] = ("p50", "p99"),
    models: Sequence[str] = ("mmc", "mm1"),
) -> pl.DataFrame:
    """Exact queueing-theory quantiles beside a summary (exp service, Poisson arrivals, load
    < 1 only): rows ``x``, ``source`` (the model), ``quantile``, ``value_ns``. For
    ``sched_latency_ns`` the reference is the queueing delay (wait) W; for ``sojourn_ns`` W + S.
    """
    from . import theory

    qmap = {"p50": 0.5, "p90": 0.9, "p99": 0.99, "p999": 0.999}
    rows = []
    cols = list(
        dict.fromkeys([x, "gomaxprocs", "nominal_load", "service_mean_ns", "service", "arrivals"])
    )
    seen = set()
    for r in summary.select(cols).unique(maintain_order=True).iter_rows(named=True):
        xv, c, rho, s = r[x], r["gomaxprocs"], r["nominal_load"], r["service_mean_ns"]
        svc, arr = r["service"], r["arrivals"]
        if svc != "exp" or arr != "poisson" or rho is None or not 0 < rho < 1:
            continue
        for m in models:
            if (xv, m) in seen:
                continue
            seen.add((xv, m))
            model = theory.mmc(int(c), rho, s) if m == "mmc" else theory.mm1(rho, s)
            for q in quantiles:
                p = qmap[q]
                v = model.sojourn_quantile(p) if metric == "sojourn_ns" else model.wait_quantile(p)
                rows.append(
                    {x: xv, "source": REFERENCE_MODELS[m], "quantile": q, "value_ns": float(v)}
                )
    if not rows:
        return pl.DataFrame()
    return pl.DataFrame(rows)


def reference_ccdf(
    procs: int,
    load: float,
    service_mean_ns: float,
    metric: str = "sojourn_ns",
    models: Sequence[str] = ("mmc",),
    points: int = 200,
) -> pl.DataFrame:
    """P(X > x) of the exact M/M/c (and M/M/1) models: ``value_ns``, ``ccdf``, ``source``."""
    from . import theory

    frames = []
    for m in models:
        model = (
            theory.mmc(procs, load, service_mean_ns)
            if m == "mmc"
            else theory.mm1(load, service_mean_ns)
        )
        hi = float(model.sojourn_quantile(1 - 1e-6))
        xs = np.geomspace(service_mean_ns * 1e-3, hi, points)
        sf = model.sojourn_sf(xs) if metric == "sojourn_ns" else model.wait_sf(xs)
        what = "sojourn" if metric == "sojourn_ns" else "wait"
        name = f"{REFERENCE_MODELS[m]}, c={procs}" if m == "mmc" else REFERENCE_MODELS[m]
        frames.append(
            pl.DataFrame(
                {"value_ns": xs, "ccdf": np.asarray(sf, dtype=float), "source": f"{name}: {what}"}
            )
        )
    return pl.concat(frames)


# ---------------------------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------------------------
def build_arg_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    p = parser or argparse.ArgumentParser(
        prog="gmplab sweep", description="Run a sweep described by a YAML file."
    )
    p.add_argument("spec", help="sweep YAML: name, seed, replications, base, grid, cases, ...")
    p.add_argument(
        "--executor",
        default="auto",
        choices=["auto", "serial", "processes", "dask"],
        help="where runs execute (auto: a process pool, in-process for tiny sweeps)",
    )
    p.add_argument("--workers", type=int, default=None, help="pool / LocalCluster size")
    p.add_argument(
        "--dask",
        default=None,
        metavar="tcp://HOST:PORT",
        help="run on an existing Dask scheduler (implies --executor dask)",
    )
    p.add_argument("--cache-dir", default=None, help="cache root (default: data/cache)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.add_argument("--out", default=None, help="write the table (parquet; .csv: summary as CSV)")
    p.add_argument("--estimate", action="store_true", help="print the estimate and stop")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def run_cli(args: argparse.Namespace) -> int:
    try:
        sw = Sweep.from_yaml(args.spec)
        executor = "dask" if args.dask else args.executor
        if args.estimate:
            cache = Cache(args.cache_dir)
            print(estimate(sw, cache, args.workers, executor))
            return 0
        res = run(
            sw,
            executor=executor,
            workers=args.workers,
            dask_address=args.dask,
            cache_dir=args.cache_dir,
            use_cache=not args.no_cache,
            progress=False if args.quiet else None,
        )
    except (SpecError, FileNotFoundError) as e:
        print(f"gmplab: error: {e}", file=sys.stderr)
        return 2
    summ = res.summary(["sojourn_ns_p50", "sojourn_ns_p99", "sched_latency_ns_p99"])
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix == ".csv":
            summ.write_csv(out)
        else:
            res.table.write_parquet(out)
        print(f"wrote {out}", file=sys.stderr)
    show = ["label", "replications", "saturated", "sojourn_ns_p50", "sojourn_ns_p99"]
    show += ["sojourn_ns_p99_hw_rel", "sched_latency_ns_p99"]
    with pl.Config(tbl_rows=200, tbl_cols=20, fmt_str_lengths=60, tbl_width_chars=160):
        print(summ.select(show))
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_cli(build_arg_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
