"""Sweeps: points, seeds, the parquet cache (resume, invalidation), executors, golden results."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import gmplab
from gmplab import sweep
from gmplab.errors import SpecError

GOLDEN = Path(__file__).parent / "golden"

# a small sweep: 4 points x 2 replications, well under a second of simulation
SMALL = dict(
    name="small",
    base=dict(topology="1x4", load=0.7, goroutines=4000, arrival_path="spawn"),
    grid=dict(policy=["go", "central"], gomaxprocs=[2, 4]),
    replications=2,
    seed=7,
)


def _table(res: sweep.SweepResult) -> pl.DataFrame:
    return res.table.drop("wall_s")  # host time differs from run to run, nothing else may


def _files(cache_root: Path) -> list[Path]:
    return sorted(cache_root.rglob("*-r*.parquet"))


# --- points ----------------------------------------------------------------------------------
def test_points_cross_cases_with_the_grid_in_order():
    sw = sweep.Sweep(
        base=dict(topology="1x8", load=0.5, goroutines=1000),
        grid=dict(policy=["go", "central"], gomaxprocs=[1, 2, 4]),
        cases=[{"arrival_path": "spawn"}, {"arrival_path": "global"}],
    )
    pts = sw.points()
    assert len(pts) == 12
    assert [p.index for p in pts] == list(range(12))
    assert pts[0].params == {"arrival_path": "spawn", "policy": "go", "gomaxprocs": 1}
    assert pts[1].params["gomaxprocs"] == 2  # the last grid field varies fastest
    assert pts[6].params["arrival_path"] == "global"  # cases are the outermost loop
    assert all(p.spec.replications == 1 and p.spec.seed == sw.seed for p in pts)
    assert len({p.key for p in pts}) == 12


def test_point_fields_topology_costs_and_run_length():
    spec = sweep.point_spec(
        {
            "cores": 64,
            "nodes": 2,
            "load": 0.5,
            "costs.wakeup_ns": 1234,
            "costs_scale.newm_ns": 0.5,
            "goroutines_per_proc": 100,
            "goroutines_min": 1000,
            "rules_off": "runnext,spin_cap",
            "case": "a tag",
        },
        seed=3,
    )
    assert str(spec.topology) == "2x32" and spec.procs == 64
    assert spec.costs["wakeup_ns"] == 1234
    assert spec.costs["newm_ns"] == gmplab.params.DEFAULT_COSTS_NS["newm_ns"] // 2
    assert spec.workload.goroutines == 6400
    assert set(spec.rules_off) == {"runnext", "spin_cap"}
    small = sweep.point_spec({"topology": "1x2", "load": 0.5, "goroutines_per_proc": 100}, 0)
    assert small.workload.goroutines == 200


@pytest.mark.parametrize(
    "params, word",
    [
        ({"topology": "1x4", "load": 0.5, "bogus": 1}, "sweep field"),
        ({"topology": "1x4", "load": 0.5, "seed": 3}, "seed"),
        ({"topology": "1x4", "cores": 4, "load": 0.5}, "topology"),
        ({"cores": 6, "nodes": 4, "load": 0.5}, "cores"),
        ({"topology": "1x4", "load": 0.5, "costs.nope_ns": 1}, "costs"),
    ],
)
def test_bad_point_fields_name_the_field(params, word):
    with pytest.raises(SpecError, match=word):
        sweep.point_spec(params, 0)


def test_sweep_from_yaml_and_bad_keys(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(
        "seed: 5\nreplications: 2\nbase: {topology: 1x2, load: 0.5, goroutines: 500}\n"
        "grid:\n  policy: [go, central]\n"
    )
    sw = sweep.Sweep.from_yaml(p)
    assert sw.name == "s" and sw.seed == 5 and len(sw.points()) == 2
    with pytest.raises(SpecError, match="sweep"):
        sweep.Sweep.from_dict({"grid": {}, "colour": "blue"})
    with pytest.raises(SpecError, match="grid.policy"):
        sweep.Sweep(grid={"policy": []})


# --- seeds and the table ---------------------------------------------------------------------
def test_replication_i_is_child_i_of_the_root_seed(tmp_path):
    sw = sweep.Sweep(**SMALL)
    res = sweep.run(sw, executor="serial", cache_dir=tmp_path, progress=False, verbose=False)
    pt = sw.points()[0]
    ref = gmplab.simulate(pt.spec.replace(replications=2))
    rows = res.table.filter(pl.col("point") == 0).sort("replication")
    for i in range(2):
        want = ref.replications[i].summary
        for k in ("events", "steals", "sojourn_ns_p99", "sched_latency_ns_p99", "end_ns"):
            assert rows[k][i] == want[k], k
    assert rows["seed"].to_list() == [7, 7]
    assert rows["replication"].to_list() == [0, 1]


def test_table_has_every_parameter_as_a_column(tmp_path):
    res = sweep.run(
        sweep.Sweep(**SMALL), executor="serial", cache_dir=tmp_path, progress=False, verbose=False
    )
    t = res.table
    assert t.height == 8
    spec = res.points[0].spec.to_dict()
    for k in spec:
        if k in ("costs", "replications", "check_invariants", "trace_events"):
            continue
        assert k in t.columns, k
    for k in spec["costs"]:
        assert f"cost_{k}" in t.columns
    for k in ("point", "label", "key", "seed", "replication", "nodes", "cores_per_node"):
        assert k in t.columns
    for k in ("sojourn_ns_p99", "steals_per_goroutine", "lock_wait_ns_per_goroutine"):
        assert k in t.columns
    s = res.summary(["sojourn_ns_p99"])
    assert s.height == 4
    assert (s["sojourn_ns_p99_lo"] <= s["sojourn_ns_p99"]).all()
    assert (s["sojourn_ns_p99"] <= s["sojourn_ns_p99_hi"]).all()
    assert set(s["replications"].to_list()) == {2}
    cc = res.ccdf("sojourn_ns", [0])
    p = cc.sort("value_ns")["ccdf"].to_numpy()
    assert np.all(np.diff(p) <= 1e-12) and p.min() >= 0 and p.max() <= 1
    long = res.summary_long(["sojourn_ns_p50", "sojourn_ns_p99"])
    assert long.height == 8


def test_same_spec_twice_in_a_sweep_runs_once(tmp_path):
    sw = sweep.Sweep(
        base=dict(topology="1x2", load=0.5, goroutines=1000),
        cases=[{"case": "a"}, {"case": "b"}],
        replications=2,
    )
    res = sweep.run(sw, executor="serial", cache_dir=tmp_path, progress=False, verbose=False)
    assert res.stats.computed == 2 and res.table.height == 4
    assert res.table["case"].to_list() == ["a", "a", "b", "b"]


# --- executors -------------------------------------------------------------------------------
def test_serial_pool_and_dask_give_identical_tables(tmp_path):
    sw = sweep.Sweep(**SMALL)
    kw = dict(use_cache=False, progress=False, verbose=False, cache_dir=tmp_path)
    serial = sweep.run(sw, executor="serial", **kw)
    pool = sweep.run(sw, executor="processes", workers=2, **kw)
    dask = sweep.run(sw, executor="dask", workers=2, **kw)
    assert serial.stats.computed == pool.stats.computed == dask.stats.computed == 8
    assert _table(serial).equals(_table(pool))
    assert _table(serial).equals(_table(dask))
    assert not _files(tmp_path)  # use_cache=False writes nothing


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_an_existing_dask_scheduler_gives_the_same_table(tmp_path):
    port = _free_port()
    bindir = Path(sys.executable).parent
    env = dict(os.environ)
    sched = subprocess.Popen(
        [
            str(bindir / "dask"),
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--dashboard-address",
            "127.0.0.1:0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    worker = None
    try:
        time.sleep(3)
        worker = subprocess.Popen(
            [str(bindir / "dask"), "worker", f"tcp://127.0.0.1:{port}", "--nworkers", "1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        sw = sweep.Sweep(**SMALL)
        kw = dict(use_cache=False, progress=False, verbose=False, cache_dir=tmp_path)
        remote = sweep.run(sw, executor="dask", dask_address=f"tcp://127.0.0.1:{port}", **kw)
        serial = sweep.run(sw, executor="serial", **kw)
        assert _table(serial).equals(_table(remote))
    finally:
        for p in (worker, sched):  # the worker first, then the scheduler
            if p is not None:
                p.send_signal(signal.SIGINT)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()


# --- the cache -------------------------------------------------------------------------------
def test_second_run_reads_everything_from_the_cache(tmp_path):
    sw = sweep.Sweep(**SMALL)
    first = sweep.run(sw, executor="serial", cache_dir=tmp_path, progress=False, verbose=False)
    assert (first.stats.computed, first.stats.cached) == (8, 0)
    assert len(_files(tmp_path)) == 8
    again = sweep.run(sw, executor="serial", cache_dir=tmp_path, progress=False, verbose=False)
    assert (again.stats.computed, again.stats.cached) == (0, 8)
    assert _table(first).equals(_table(again))
    more = sweep.Sweep(**{**SMALL, "replications": 3})  # replication i does not depend on R
    grown = sweep.run(more, executor="serial", cache_dir=tmp_path, progress=False, verbose=False)
    assert (grown.stats.computed, grown.stats.cached) == (4, 8)
    est = sweep.estimate(more, sweep.Cache(tmp_path))
    assert (est.points, est.units, est.cached, est.goroutines) == (4, 12, 12, 0)
    assert "12 runs (12 cached)" in str(est)


def test_a_corrupt_or_partial_file_is_recomputed(tmp_path):
    sw = sweep.Sweep(**SMALL)
    sweep.run(sw, executor="serial", cache_dir=tmp_path, progress=False, verbose=False)
    victim = _files(tmp_path)[0]
    victim.write_bytes(b"PAR1 not really")
    (victim.parent / f".{victim.name}.123.abcd.tmp").write_bytes(b"half a write")
    res = sweep.run(sw, executor="serial", cache_dir=tmp_path, progress=False, verbose=False)
    assert (res.stats.computed, res.stats.cached) == (1, 7)
    pl.read_parquet(victim)  # rewritten whole


KILL_SCRIPT = """
import sys
from gmplab import sweep
sw = sweep.Sweep(name="kill", base=dict(topology="1x4", load=0.7, goroutines=60_000,
                 arrival_path="spawn", policy="go"), grid=dict(gomaxprocs=[1, 2, 3, 4]),
                 replications=4, seed=11)
sweep.run(sw, executor="serial", cache_dir=sys.argv[1], progress=False, verbose=False)
"""


def test_a_killed_sweep_resumes_and_recomputes_only_the_missing_points(tmp_path):
    cache = tmp_path / "cache"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(cache)])
    try:
        deadline = time.monotonic() + 180
        while len(_files(cache)) < 3 and time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the sweep ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    done = len(_files(cache))
    assert 3 <= done < 16
    for f in _files(cache):
        pl.read_parquet(f)  # every file there is whole (atomic writes)
    ns = {}
    exec(KILL_SCRIPT.split("sweep.run(")[0].replace("import sys", ""), ns)
    sw = ns["sw"]
    resumed = sweep.run(sw, executor="serial", cache_dir=cache, progress=False, verbose=False)
    assert (resumed.stats.computed, resumed.stats.cached) == (16 - done, done)
    fresh = sweep.run(sw, executor="serial", use_cache=False, progress=False, verbose=False)
    assert _table(resumed).equals(_table(fresh))


def test_code_version_follows_the_kernel_sources(tmp_path):
    pkg = tmp_path / "gmplab"
    shutil.copytree(
        sweep.PACKAGE_DIR / "_kernel", pkg / "_kernel", ignore=shutil.ignore_patterns("__pycache__")
    )
    for f in sweep.CODE_FILES:
        shutil.copy(sweep.PACKAGE_DIR / f, pkg / f)
    v0 = sweep.code_version(pkg)
    assert v0 == sweep.code_version()  # the same sources, the same version
    loop = pkg / "_kernel" / "loop.py"
    loop.write_text(loop.read_text() + "\n# an edit\n")
    assert sweep.code_version(pkg) != v0
    assert sweep.code_version(pkg) == sweep.code_version(pkg)


def test_a_changed_kernel_never_serves_stale_results(tmp_path, monkeypatch):
    sw = sweep.Sweep(**SMALL)
    first = sweep.run(sw, executor="serial", cache_dir=tmp_path, progress=False, verbose=False)
    assert first.stats.computed == 8
    # the sources on disk change: a new code version, so nothing cached is reused ...
    monkeypatch.setattr(sweep, "code_version", lambda package_dir=None: "edited-kernel-0001")
    # ... and this process, which imported the old sources, refuses to compute under the new key
    with pytest.raises(sweep.StaleKernelError, match="restart"):
        sweep.run(sw, executor="serial", cache_dir=tmp_path, progress=False, verbose=False)
    # a process that imported the edited sources recomputes everything
    monkeypatch.setattr(sweep, "LOADED_CODE_VERSION", "edited-kernel-0001")
    monkeypatch.setattr(
        sweep,
        "run_unit",
        lambda spec, rep, _f=sweep.run_unit: {
            **_f(spec, rep),
            "code_version": "edited-kernel-0001",
        },
    )
    second = sweep.run(sw, executor="serial", cache_dir=tmp_path, progress=False, verbose=False)
    assert (second.stats.computed, second.stats.cached) == (8, 0)
    assert (tmp_path / "edited-kernel-0001").is_dir()
    assert len(_files(tmp_path)) == 16


# --- adaptive replications and estimates --------------------------------------------------------
def test_target_halfwidth_adds_replications_where_needed(tmp_path):
    sw = sweep.Sweep(
        name="adaptive",
        base=dict(topology="1x2", load=0.7, goroutines=2000),
        grid=dict(policy=["central"]),
        replications=2,
        max_replications=6,
        target_halfwidth=0.001,  # unreachable: grows to the cap
        seed=3,
    )
    res = sweep.run(sw, executor="serial", cache_dir=tmp_path, progress=False, verbose=False)
    assert res.table.height == 6 and res.stats.rounds >= 2
    easy = sweep.Sweep(**{**sw.to_dict(), "target_halfwidth": 10.0, "name": "easy"})
    res2 = sweep.run(easy, executor="serial", cache_dir=tmp_path, progress=False, verbose=False)
    assert res2.table.height == 2 and res2.stats.rounds == 1


def test_meets_target_uses_a_floor_for_tiny_latencies():
    assert sweep.meets_target(40.0, 1000.0, "sojourn_ns_p99", 0.05)
    assert not sweep.meets_target(60.0, 1000.0, "sojourn_ns_p99", 0.05)
    assert sweep.meets_target(40.0, 3.0, "sched_latency_ns_p99", 0.05)  # under the 1 us floor
    assert not sweep.meets_target(0.2, 3.0, "utilization_effective", 0.05)
    assert not sweep.meets_target(math.inf, 3.0, "sojourn_ns_p99", 0.05)


def test_estimate_before_running(tmp_path):
    sw = sweep.Sweep(**SMALL)
    est = sweep.estimate(sw, sweep.Cache(tmp_path))
    assert (est.points, est.units, est.cached, est.goroutines) == (4, 8, 0, 32000)
    assert est.cpu_s > 0 and est.wall_s > 0 and est.executor == "serial"
    assert "4 points" in str(est) and "32,000 goroutines" in str(est)


# --- comparisons and sensitivity helpers --------------------------------------------------------
def test_paired_comparison_and_tornado_table(tmp_path):
    sides = {"go": {"policy": "go"}, "central": {"policy": "central"}}
    variants = sweep.cost_variants(["wakeup_ns"], [0.5, 2.0])
    assert [v["case"] for v in variants] == ["baseline", "wakeup_ns x0.5", "wakeup_ns x2"]
    sw = sweep.Sweep(
        base=dict(topology="1x4", load=0.6, goroutines=3000, arrival_path="spawn"),
        cases=sweep.cross(list(sides.values()), variants),
        replications=3,
        seed=2,
    )
    res = sweep.run(sw, executor="serial", cache_dir=tmp_path, progress=False, verbose=False)
    cmp = sweep.compare(res, "sojourn_ns_p99", sides["go"], sides["central"])
    assert cmp.height == 3 and (cmp["ratio"] > 0).all()
    tor = sweep.tornado_table(res, [["go/central", "go", "central"]], sides, variants)
    assert tor.height == 2 and set(tor["factor"].to_list()) == {0.5, 2.0}
    assert (tor["change_pct_lo"] <= tor["change_pct"]).all()
    assert "lock_handoff_sleeping_ns" in sweep.charged_cost_keys()


def test_reference_lines_are_exact_theory():
    summ = pl.DataFrame(
        {
            "gomaxprocs": [4],
            "nominal_load": [0.5],
            "service_mean_ns": [10_000.0],
            "service": ["exp"],
            "arrivals": ["poisson"],
        }
    )
    ref = sweep.reference_lines(summ, "gomaxprocs", "sojourn_ns", ("p99",))
    want = gmplab.theory.mmc(4, 0.5, 10_000.0).sojourn_quantile(0.99)
    got = ref.filter(pl.col("source").str.starts_with("M/M/c"))["value_ns"][0]
    assert got == pytest.approx(want)
    cc = sweep.reference_ccdf(4, 0.5, 10_000.0)
    assert cc["ccdf"].is_sorted(descending=True)


# --- the command line ------------------------------------------------------------------------
def test_sweep_command_line(tmp_path, capsys):
    spec = tmp_path / "demo.yaml"
    spec.write_text(
        textwrap.dedent(
            """
            name: demo
            seed: 3
            replications: 2
            base: {topology: 1x4, load: 0.6, goroutines: 2000, arrival_path: spawn}
            grid:
              policy: [go, central]
            """
        )
    )
    out = tmp_path / "out.parquet"
    args = [str(spec), "--executor", "serial", "--cache-dir", str(tmp_path / "c"), "--quiet"]
    assert sweep.main([*args, "--estimate"]) == 0
    assert "2 points" in capsys.readouterr().out
    assert sweep.main([*args, "--out", str(out)]) == 0
    t = pl.read_parquet(out)
    assert t.height == 4 and {"policy", "gomaxprocs", "cost_wakeup_ns"} <= set(t.columns)
    assert sweep.main([str(tmp_path / "missing.yaml")]) == 2


# --- golden results --------------------------------------------------------------------------
def _golden_runs():
    data = json.loads((GOLDEN / "golden.json").read_text())
    return data, data["runs"]


def test_golden_results_are_unchanged():
    """Seeded runs whose key numbers live in tests/golden/golden.json.

    A kernel change that moves any of them fails here. If the change is intended, run
    ``python tests/golden/update.py "why the numbers moved"``: it rewrites golden.json and adds
    the line to tests/golden/CHANGELOG.md.
    """
    data, runs = _golden_runs()
    failures = []
    for run in runs:
        r = gmplab.simulate(**run["spec"])
        s = r.summary
        for k, want in run["expect"].items():
            got = s[k]
            same = got == want if isinstance(want, int) else math.isclose(got, want, rel_tol=1e-12)
            if not same:
                failures.append(f"{run['name']}: {k} = {got!r}, golden {want!r}")
    assert not failures, (
        "the kernel changed golden results (if intended: python tests/golden/update.py REASON):\n"
        + "\n".join(failures)
    )


def test_golden_changes_are_logged():
    data, runs = _golden_runs()
    assert len(runs) >= 4
    log = (GOLDEN / "CHANGELOG.md").read_text()
    assert data["code_version"] in log, "golden.json changed without a CHANGELOG.md line"
