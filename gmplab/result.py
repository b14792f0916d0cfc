"""A run's outputs as polars tables. Columns are documented in docs/results-schema.md."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy import stats as sps

from ._kernel import consts as kc
from ._kernel.hist import (
    hdr_lower_edges_ns,
    hdr_quantile,
    hdr_to_go,
    hdr_upper_edges_ns,
)

# counters that feed derived summary values (means, p_* times, slice bounds) instead
_NOT_IN_SUMMARY = frozenset(
    (
        "sojourn_ns_sum",
        "sched_latency_ns_sum",
        "sched_latency_count",
        "schedule_ns_sum",
        "schedule_count",
        "sojourn_sq_sum_hi",
        "preempt_slice_ns_min",
        "preempt_slice_ns_max",
        "t_run_ns",
        "t_sched_ns",
        "t_spin_ns",
        "t_wake_ns",
        "t_idle_ns",
        "t_syscall_ns",
        "completed_seq_sum",
        "snapshots_dropped",
    )
)
QUANTILES = {"p50": 0.5, "p90": 0.9, "p99": 0.99, "p999": 0.999}
HIST_METRICS = (
    "sojourn_ns",
    "sched_latency_ns",
    "schedule_ns",
    "handoff_latency_ns",
    "timer_late_ns",
    "gc_pause_stopping_ns",
    "gc_pause_total_ns",
)


def _q(counts: np.ndarray, p: float) -> float:
    return hdr_quantile(counts, p) if counts.sum() else float("nan")


@dataclass
class Replication:
    """One replication: counters, histograms, batches, snapshots and its summary row."""

    replication: int
    seed_spawn_key: tuple
    wall_s: float
    counters: dict
    hists: dict  # metric -> HDR counts
    batch_count: np.ndarray
    batch_sum: np.ndarray
    batch_hist: np.ndarray
    snap: np.ndarray
    snap_p: np.ndarray
    snap_midle: np.ndarray
    final_schedticks: np.ndarray  # each P's schedtick when the run ended
    trace: np.ndarray  # the first K kernel events (trace_events), K x N_TRACE
    summary: dict = field(default_factory=dict)

    @classmethod
    def from_arrays(cls, spec, arrays, wall_s, replication, seed_seq) -> Replication:
        ctr = {name: int(arrays["counters"][i]) for i, name in enumerate(kc.COUNTER_NAMES)}
        nsnap = int(arrays["sched"][kc.S_NSNAP])
        rep = cls(
            replication=replication,
            seed_spawn_key=tuple(seed_seq.spawn_key),
            wall_s=wall_s,
            counters=ctr,
            hists={
                "sojourn_ns": arrays["h_sojourn"],
                "sched_latency_ns": arrays["h_schedlat"],
                "schedule_ns": arrays["h_schedule"],
                "handoff_latency_ns": arrays["h_handoff"],
                "timer_late_ns": arrays["h_timer"],
                "gc_pause_stopping_ns": arrays["h_gc_stop"],
                "gc_pause_total_ns": arrays["h_gc_total"],
            },
            batch_count=arrays["batch_count"],
            batch_sum=arrays["batch_sum"],
            batch_hist=arrays["batch_hist"],
            snap=arrays["snap"][:nsnap],
            snap_p=arrays["snap_p"][:nsnap],
            snap_midle=arrays["snap_midle"][:nsnap],
            final_schedticks=arrays["pst"][:, kc.PF_SCHEDTICK].copy(),
            trace=arrays["trace"][: int(arrays["sched"][kc.S_NTRACE])],
        )
        rep.summary = rep._summarize(spec)
        return rep

    def _summarize(self, spec) -> dict:
        c = self.counters
        s: dict = {"replication": self.replication, "wall_s": self.wall_s}
        for k in kc.COUNTER_NAMES:
            if k not in _NOT_IN_SUMMARY:
                s[k] = c[k]
        procs = spec.procs
        window = c["window_ns"]
        busy = c["t_run_ns"] + c["t_sched_ns"] + c["t_spin_ns"]
        s["utilization_effective"] = busy / (window * procs) if window > 0 else float("nan")
        s["utilization_run"] = c["t_run_ns"] / (window * procs) if window > 0 else float("nan")
        for cls in ("arrivals", "hogs", "pairs", "children", "workers"):
            s[f"cpu_share_{cls}"] = (
                c[f"cpu_ns_{cls}"] / (window * procs) if window > 0 else float("nan")
            )
        s["handoff_rate_per_s"] = c["handoffs"] / (window / 1e9) if window > 0 else float("nan")
        for k in ("t_run_ns", "t_sched_ns", "t_spin_ns", "t_wake_ns", "t_idle_ns", "t_syscall_ns"):
            s["p_" + k[2:]] = c[k]
        m = c["goroutines_measured"]
        s["sojourn_ns_mean"] = c["sojourn_ns_sum"] / m if m else float("nan")
        n = c["sched_latency_count"]
        s["sched_latency_ns_mean"] = c["sched_latency_ns_sum"] / n if n else float("nan")
        n2 = c["schedule_count"]
        s["schedule_ns_mean"] = c["schedule_ns_sum"] / n2 if n2 else float("nan")
        for metric in HIST_METRICS:
            for qn, p in QUANTILES.items():
                s[f"{metric}_{qn}"] = _q(self.hists[metric], p)
        s["preempt_slice_ns_min"] = c["preempt_slice_ns_min"]
        s["preempt_slice_ns_max"] = c["preempt_slice_ns_max"]
        s["snapshots"] = int(self.snap.shape[0])
        s["snapshots_dropped"] = c["snapshots_dropped"]
        return s


def t_interval(values, conf: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t interval over independent replications (NaN bounds for one)."""
    x = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    if x.size == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(x.mean())
    if x.size < 2:
        return mean, float("nan"), float("nan")
    half = float(sps.t.ppf(0.5 + conf / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return mean, mean - half, mean + half


# summary keys that get a replication interval when R > 1
INTERVAL_KEYS = tuple(
    [f"{m}_{q}" for m in HIST_METRICS for q in QUANTILES]
    + ["sojourn_ns_mean", "sched_latency_ns_mean", "schedule_ns_mean", "utilization_effective"]
)


class Result:
    """All replications of one spec, as polars tables."""

    def __init__(self, spec, replications, kernel_version: str, total_s: float):
        self.spec = spec
        self.replications = replications
        self.kernel_version = kernel_version
        self.total_s = total_s

    # --- the summary --------------------------------------------------------------------------
    @property
    def summary(self) -> dict:
        """One dict: sums of counters over replications, means (with _lo/_hi when R > 1)."""
        reps = [r.summary for r in self.replications]
        out: dict = {}
        numeric = [k for k, v in reps[0].items() if isinstance(v, int | float)]
        for k in numeric:
            if k == "replication":
                continue
            vals = [r[k] for r in reps]
            if k == "wall_s":
                out[k] = float(sum(vals))
            elif k in INTERVAL_KEYS or isinstance(vals[0], float):
                mean, lo, hi = t_interval(vals)
                out[k] = mean
                if len(reps) > 1 and k in INTERVAL_KEYS:
                    out[k + "_lo"] = lo
                    out[k + "_hi"] = hi
            else:
                out[k] = int(sum(vals)) if len(reps) > 1 else vals[0]
        out["replications"] = len(reps)
        return out

    def summary_table(self) -> pl.DataFrame:
        """One row per replication (the `seed` and `replication` columns identify it)."""
        rows = []
        for r in self.replications:
            row = {"key": self.spec.key(), "seed": self.spec.seed, **r.summary}
            rows.append(row)
        return pl.DataFrame(rows)

    # --- histograms ---------------------------------------------------------------------------
    def histograms(self, layout: str = "hdr") -> pl.DataFrame:
        """Long table of non-empty cells: metric, replication, lower_ns, upper_ns, count.

        ``layout="go"`` gives Go's 162-count ``/sched/latencies`` layout (lower/upper in s).
        """
        frames = []
        if layout == "hdr":
            lo = hdr_lower_edges_ns()
            hi = hdr_upper_edges_ns()
        elif layout == "go":
            from ._kernel.hist import go_boundaries_s

            b = go_boundaries_s()
            lo, hi = b[:-1], b[1:]
        else:
            raise ValueError(f"layout: must be 'hdr' or 'go' (got {layout!r})")
        for r in self.replications:
            for metric, counts in r.hists.items():
                cts = counts if layout == "hdr" else hdr_to_go(counts)
                nz = np.nonzero(cts)[0]
                frames.append(
                    pl.DataFrame(
                        {
                            "metric": [metric] * len(nz),
                            "replication": np.full(len(nz), r.replication, dtype=np.int64),
                            "seed": np.full(len(nz), self.spec.seed, dtype=np.int64),
                            "lower": lo[nz].astype(np.float64),
                            "upper": hi[nz].astype(np.float64),
                            "count": cts[nz].astype(np.int64),
                        }
                    )
                )
        df = pl.concat(frames) if frames else pl.DataFrame()
        unit = "ns" if layout == "hdr" else "s"
        return df.rename({"lower": f"lower_{unit}", "upper": f"upper_{unit}"})

    def hist_counts(self, metric: str = "sojourn_ns") -> np.ndarray:
        """HDR counts of one metric merged over replications."""
        return np.sum([r.hists[metric] for r in self.replications], axis=0)

    # --- batches and snapshots ----------------------------------------------------------------
    def batches(self) -> pl.DataFrame:
        """Per-batch counts and sojourn means (batches by arrival index) for batch means."""
        frames = []
        for r in self.replications:
            cnt = r.batch_count
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(cnt > 0, r.batch_sum / np.maximum(cnt, 1), np.nan)
            frames.append(
                pl.DataFrame(
                    {
                        "replication": np.full(len(cnt), r.replication, dtype=np.int64),
                        "seed": np.full(len(cnt), self.spec.seed, dtype=np.int64),
                        "batch": np.arange(len(cnt), dtype=np.int64),
                        "count": cnt,
                        "sojourn_ns_mean": mean,
                    }
                )
            )
        return pl.concat(frames)

    def batch_histograms(self, replication: int = 0) -> np.ndarray:
        """(batches x 162) sojourn counts in Go's layout for one replication."""
        return self.replications[replication].batch_hist

    def snapshots(self) -> pl.DataFrame:
        """One row per schedtrace snapshot (Go's schedtrace header fields and identities)."""
        frames = []
        for r in self.replications:
            d = {name: r.snap[:, i] for i, name in enumerate(kc.SNAP_COLUMNS)}
            d["gomaxprocs"] = np.full(r.snap.shape[0], self.spec.procs, dtype=np.int64)
            d["replication"] = np.full(r.snap.shape[0], r.replication, dtype=np.int64)
            d["snapshot"] = np.arange(r.snap.shape[0], dtype=np.int64)
            frames.append(pl.DataFrame(d))
        return pl.concat(frames)

    def snapshot_procs(self) -> pl.DataFrame:
        """One row per P per snapshot: ring length, runnext, schedtick, status, m, curg."""
        frames = []
        for r in self.replications:
            ns, npr, _ = r.snap_p.shape
            d = {
                "replication": np.full(ns * npr, r.replication, dtype=np.int64),
                "snapshot": np.repeat(np.arange(ns, dtype=np.int64), npr),
                "p": np.tile(np.arange(npr, dtype=np.int64), ns),
            }
            for i, name in enumerate(kc.SNAP_P_COLUMNS):
                d[name] = r.snap_p[:, :, i].reshape(-1)
            frames.append(pl.DataFrame(d))
        return pl.concat(frames)

    def events(self) -> pl.DataFrame:
        """The recorded kernel events (``trace_events`` > 0), in order, one row each."""
        frames = []
        for r in self.replications:
            d = {name: r.trace[:, i] for i, name in enumerate(kc.TRACE_COLUMNS)}
            d["event"] = [kc.TRACE_EVENT_NAMES[int(e)] for e in r.trace[:, kc.TR_EVENT]]
            d["replication"] = np.full(r.trace.shape[0], r.replication, dtype=np.int64)
            frames.append(pl.DataFrame(d))
        return pl.concat(frames)

    # --- export -------------------------------------------------------------------------------
    def to_json_dict(self) -> dict:
        return {
            "spec": self.spec.to_dict(),
            "key": self.spec.key(),
            "kernel_version": self.kernel_version,
            **self.summary,
            "total_s": self.total_s,
        }

    def to_json(self) -> str:
        def clean(v):
            if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
                return None
            return v

        d = {k: clean(v) for k, v in self.to_json_dict().items()}
        return json.dumps(d, sort_keys=False)
