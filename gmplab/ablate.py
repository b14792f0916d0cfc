"""Ablations: a base, each mechanism alone on top of it, and all of them together.

``gmplab ablate --base go --mechanisms deterministic-steal,hierarchical-steal [scenario
flags]`` prints one row per configuration; ``ablate`` is the Python side. Every row carries
replication intervals (Student t over independent replications) for its latencies and
``schedule_ns``, the highest load meeting a latency objective (when one is given), and the
cross-node migrations and steals per second.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from .capacity import max_rate_at_slo
from .designs import DESIGNS, MECHANISMS
from .errors import SpecError
from .params import make_spec
from .result import t_interval
from .simulate import simulate

LATENCIES = ("sched_latency_ns_p50", "sched_latency_ns_p99", "sojourn_ns_p50", "sojourn_ns_p99")


def default_mechanisms(base: str) -> tuple:
    """What to ablate when none are named: the base design's own, or for go every mechanism
    of mos (seed122's included)."""
    own = DESIGNS.get(base, ())
    return own if own else DESIGNS["mos"]


def configurations(base: str, mechanisms) -> list[tuple[str, tuple]]:
    """(label, mechanisms) for the base alone, each mechanism alone, and all together."""
    mechs = tuple(mechanisms)
    for m in mechs:
        if m not in MECHANISMS:
            raise SpecError("--mechanisms", f"names from {sorted(MECHANISMS)}", m)
    if "ring-globrunq" in mechs and "node-globrunq" in mechs:
        raise SpecError(
            "--mechanisms", "at most one of ring-globrunq and node-globrunq", ",".join(mechs)
        )
    rows = [(f"{base} (base)", ())]
    rows += [(f"+ {m}", (m,)) for m in mechs]
    if len(mechs) > 1:
        rows.append(("+ all", mechs))
    return rows


def _row(label: str, spec, result) -> dict:
    reps = [r.summary for r in result.replications]
    row: dict = {"configuration": label, "mechanisms": ",".join(spec.mechanisms_on())}
    for k in LATENCIES + ("sojourn_ns_mean", "schedule_ns_mean"):
        mean, lo, hi = t_interval([r[k] for r in reps])
        row[k.replace("_ns", "_us")] = mean / 1e3
        row[k.replace("_ns", "_us") + "_lo"] = lo / 1e3
        row[k.replace("_ns", "_us") + "_hi"] = hi / 1e3
    for k in ("migrations_remote", "migrations_local", "steals", "stolen", "steals_remote"):
        rates = [r[k] / r["end_ns"] * 1e9 if r["end_ns"] else math.nan for r in reps]
        row[f"{k}_per_s"] = float(np.nanmean(rates))
    return row


def ablate(
    kwargs: dict,
    base: str = "go",
    mechanisms=None,
    replications: int = 5,
    slo_ms: float | None = None,
    quantile: str = "p99",
    iterations: int = 6,
) -> pl.DataFrame:
    """One row per configuration of `configurations(base, mechanisms)` under the scenario
    `kwargs` (make_spec keywords; their policy and mechanisms are replaced)."""
    if not isinstance(replications, int) or not 1 <= replications <= 1000:
        raise SpecError("--replications", "an integer in [1, 1000]", replications)
    mechs = default_mechanisms(base) if mechanisms is None else tuple(mechanisms)
    rows = []
    for label, on in configurations(base, mechs):
        kw = dict(kwargs)
        kw.update(policy=base, mechanisms=on, replications=replications)
        spec = make_spec(**kw)
        row = _row(label, spec, simulate(spec))
        if slo_ms is not None:
            kw1 = dict(kw, replications=1)
            rate = max_rate_at_slo(kw1, slo_ms * 1e6, quantile, iterations)
            rest = {k: v for k, v in kw1.items() if k not in ("load", "arrival_rate_per_s")}
            probe = make_spec(**rest, load=0.5)
            cpus = min(probe.procs, probe.topology.cpus)
            row[f"max_load_at_{quantile}_{slo_ms:g}ms"] = (
                rate * probe.workload.cpu_mean_ns() / 1e9 / cpus
            )
        rows.append(row)
    return pl.DataFrame(rows)
