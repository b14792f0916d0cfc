"""Calibration, Python side: mirrors, the histogram distance, the fit (it recovers a cost it
is given), the committed profile and captures, and the comparison table."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from gmplab.calibrate import fit, mirror, reference
from gmplab.errors import SpecError
from gmplab.params import Costs, make_spec

REF = reference.reference_dir()


def _go_counts(bucket_counts: dict) -> np.ndarray:
    c = np.zeros(162, dtype=np.int64)
    for b, n in bucket_counts.items():
        c[b] = n
    return c


def test_cdf_distance_is_zero_for_equal_and_one_octave_per_doubling():
    a = _go_counts({60: 100})
    assert fit.cdf_distance(a, a) == 0.0
    edges = fit._edges_log2()
    # find the bucket whose upper edge is exactly one octave above bucket 60's
    b = int(np.searchsorted(edges, edges[60] + 1.0))
    assert edges[b] == pytest.approx(edges[60] + 1.0)
    assert fit.cdf_distance(a, _go_counts({b: 100})) == pytest.approx(1.0)
    assert math.isnan(fit.cdf_distance(a, np.zeros(162)))


def test_quantile_interpolates_within_the_bucket():
    from gmplab._kernel.hist import go_boundaries_s

    b = go_boundaries_s()
    c = _go_counts({60: 50, 61: 50})
    assert fit.quantile(c, 0.25) == pytest.approx(b[60] + 0.5 * (b[61] - b[60]))
    assert fit.quantile(c, 0.75) == pytest.approx(b[61] + 0.5 * (b[62] - b[61]))


@pytest.mark.skipif(REF is None, reason="no committed captures")
def test_every_committed_capture_has_a_valid_mirror():
    runs = pl.read_parquet(REF / "runs.parquet")
    cores = fit._cores(json.loads((REF / "machine.json").read_text()))
    assert set(runs["probe"]) == set(mirror.PROBES)
    for row in runs.unique(subset=["probe", "gomaxprocs"]).iter_rows(named=True):
        kw = mirror.mirror_kwargs(row["probe"], row["params"], row["gomaxprocs"], cores)
        spec = make_spec(**kw)
        assert spec.procs == row["gomaxprocs"]
    assert any(p > cores for p in runs["gomaxprocs"]), "captures past the core count"
    with pytest.raises(SpecError, match="probe"):
        mirror.mirror_kwargs("nosuch", {}, 1, 2)


def _fake_machine(tmp_path: Path, wakeup_ns: float, scale: float) -> Path:
    """A captures folder whose 'real' histograms are the model's own at a known wakeup_ns."""
    d = tmp_path / "fake"
    d.mkdir()
    runs = pl.read_parquet(REF / "runs.parquet").filter(
        pl.col("probe").is_in(["openloop", "pingpong"]) & (pl.col("gomaxprocs") <= 2)
    )
    runs.write_parquet(d / "runs.parquet")
    shutil.copy(REF / "machine.json", d / "machine.json")
    costs = Costs.from_mapping({"wakeup_ns": wakeup_ns}, "truth")
    rows = []
    for probe, p, rep in runs.select("probe", "gomaxprocs", "replication").iter_rows():
        c = fit.sim_counts(runs, probe, p, 2, costs, scale=scale, seed=100 + rep)
        for b in np.nonzero(c)[0]:
            rows.append(
                {
                    "probe": probe,
                    "gomaxprocs": p,
                    "replication": rep,
                    "metric": "sched_latency",
                    "bucket": int(b),
                    "count": int(c[b]),
                }
            )
    pl.DataFrame(rows).write_parquet(d / "histograms.parquet")
    return d


@pytest.mark.skipif(REF is None, reason="no committed captures")
def test_fit_recovers_a_wakeup_cost_it_was_given(tmp_path):
    d = _fake_machine(tmp_path, 8_000.0, 0.3)
    rec = fit.fit(d, ranges={"wakeup_ns": (2_000.0, 10_000.0)}, passes=1, grid=9, scale=0.3)
    assert 6_000 <= rec["best"]["wakeup_ns"] <= 10_000
    lo, hi = rec["intervals"]["wakeup_ns"]
    assert lo <= 8_000 <= hi
    assert rec["distance_fit"] <= rec["distance_default"]
    path = fit.write_profile(rec, "fake", tmp_path / "profiles")
    prof = json.loads(path.read_text())
    assert prof["_calibration"]["machine"] and prof["_fit"]["residuals"]
    Costs.resolve(str(path))  # a valid costs profile (the `_` keys are ignored)


def test_fit_and_compare_name_a_missing_folder(tmp_path):
    with pytest.raises(SpecError, match="machine folder"):
        fit.fit(tmp_path / "nothing")


def test_committed_profile_and_its_fit_record():
    path = fit.default_profile_path()
    assert path is not None, "data/profiles/<machine>.json is committed"
    prof = json.loads(path.read_text())
    rec = prof["_fit"]
    assert set(rec["identified"]) | set(rec["not_identified"]) == set(fit.FIT_RANGES)
    for k in fit.FIT_RANGES:
        lo, hi = rec["ranges"][k]
        assert lo <= prof[k] <= hi
        if k not in rec["identified"]:  # not identified: the default stays
            assert prof[k] == Costs.resolve("default").as_dict()[k]
    assert rec["residuals"] and rec["noise_floor"] > 0
    assert REF is not None and REF.name == prof["_calibration"]["machine"]
    assert set(fit.identified_costs()) == set(rec["identified"])


@pytest.mark.skipif(REF is None, reason="no committed captures")
def test_comparison_table_covers_every_probe_the_same_way():
    out = fit.comparison(REF, "default", probes=["syscall", "gcalloc"], scale=0.05)
    t = out["table"]
    assert set(t["probe"]) == {"syscall", "gcalloc"} and t["held_out"].all()
    assert {"sched_latency", "pause_gc_total"} <= set(t["measure"])
    for c in ("rel_err_p50", "rel_err_p99", "cdf_distance"):
        assert c in t.columns
    h = out["histograms"]
    assert set(h["source"]) == {"real Go", "simulated"}
    sums = h.group_by("probe", "gomaxprocs", "source").agg(pl.col("share").sum())
    assert np.allclose(sums["share"].to_numpy(), 1.0)
