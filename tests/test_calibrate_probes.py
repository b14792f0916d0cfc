"""The real-Go calibration path: the probes build, run, fill the gmplab-probe/1 format; the
runner resumes and records failures; ingest writes the parquet tables (issue 11)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest

from gmplab.calibrate import build as buildmod
from gmplab.calibrate import toolchain
from gmplab.calibrate.capture import HIST_SCHEMA, RUNS_SCHEMA, NothingToIngest, ingest
from gmplab.calibrate.toolchain import GoToolchainMissing
from gmplab.schedtrace import parse_text

SMALL = {
    "burst": ["-n", "50", "-work_us", "20", "-rounds", "3", "-gap_ms", "1"],
    "openloop": ["-rate", "5000", "-work_us", "20", "-requests", "100"],
    "pingpong": ["-pairs", "1", "-hogs", "1", "-duration_ms", "30"],
    "syscall": ["-workers", "2", "-ops", "20", "-syscall_us", "100", "-rate", "3000"],
    "tcpecho": ["-clients", "2", "-requests", "50"],
    "gcalloc": ["-allocators", "1", "-live_mib", "2", "-duration_ms", "40", "-gogc", "50"],
}
TOP_KEYS = (
    "format probe params go_version gomaxprocs num_cpu machine wall_s metrics_before "
    "metrics_after goroutines_peak latency latency_sum_s latency_count latency_max_s ops notes "
    "schedtrace"
).split()
MACHINE_KEYS = (
    "cpu_model logical_cpus physical_cores numa_nodes numa_note goos goarch hostname".split()
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    try:
        toolchain.toolchain()
    except GoToolchainMissing as e:
        pytest.skip(str(e))
    return buildmod.build(tmp_path_factory.mktemp("probe"))


def probe(built, name, *args, env=None, check=True):
    proc = subprocess.run(
        [str(built.binary), name, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=None if env is None else {**os.environ, **env},
    )
    if check:
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)
    return proc


@pytest.fixture(scope="module")
def docs(built):
    return {name: probe(built, name, "-gomaxprocs", "2", *args) for name, args in SMALL.items()}


def test_build_is_a_runnable_folder(built):
    assert built.binary.is_file() and os.access(built.binary, os.X_OK)
    for f in buildmod.RUNNER_FILES:
        assert (built.out_dir / f).is_file()
    assert built.go_version.startswith("go1.")


@pytest.mark.parametrize("name", list(SMALL))
def test_probe_document(docs, name):
    d = docs[name]
    assert [k for k in TOP_KEYS if k not in d] == []
    assert d["format"] == "gmplab-probe/1" and d["probe"] == name
    assert d["gomaxprocs"] == 2 and d["params"]["gomaxprocs"] == 2
    assert isinstance(d["params"]["seed"], int) and d["params"]["schedtrace_ms"] == 0
    assert set(MACHINE_KEYS) <= set(d["machine"])
    assert d["machine"]["logical_cpus"] == d["num_cpu"] == os.cpu_count()
    assert d["spin"]["iters_per_us"] > 0
    assert 0 < d["wall_s"] < 5 and d["ops"] > 0 and d["goroutines_peak"] >= 2
    # the probe's histogram is binned with the runtime's /sched/latencies:seconds boundaries
    runtime_hist = d["metrics_before"]["/sched/latencies:seconds"]
    lat = d["latency"]
    assert lat["buckets"] == runtime_hist["buckets"]
    assert lat["buckets"][0] == "-Inf" and lat["buckets"][-1] == "+Inf"
    assert len(lat["counts"]) == len(lat["buckets"]) - 1
    assert sum(lat["counts"]) == d["latency_count"] == d["ops"]
    assert 0 < d["latency_max_s"] and d["latency_sum_s"] <= d["latency_count"] * d["latency_max_s"]
    # every bucket holding counts is consistent with the max
    top = max(i for i, c in enumerate(lat["counts"]) if c)
    lower = lat["buckets"][top]
    assert lower == "-Inf" or lower <= d["latency_max_s"]
    # metrics read before and after the measured phase, differencable
    for key in ("/gc/cycles/total:gc-cycles", "/sched/goroutines:goroutines"):
        assert key in d["metrics_before"] and key in d["metrics_after"]
    assert (
        d["metrics_after"]["/cpu/classes/total:cpu-seconds"]
        >= (d["metrics_before"]["/cpu/classes/total:cpu-seconds"])
    )
    assert d["schedtrace"] == []


def test_probe_specifics(docs):
    # the peak is sampled while the burst runs: some of its 50 may have finished already
    assert docs["burst"]["ops"] == 150 and 2 <= docs["burst"]["goroutines_peak"] <= 51 + 1
    assert docs["openloop"]["ops"] == 100 and "generator_late_max_s" in docs["openloop"]["extra"]
    assert docs["syscall"]["extra"]["syscalls"] == 40
    assert docs["tcpecho"]["ops"] == 100
    # main + acceptor + 2 servers (started before the phase, counted once) + 2 clients
    assert 5 <= docs["tcpecho"]["goroutines_peak"] <= 6
    assert docs["pingpong"]["extra"]["handoffs"] == docs["pingpong"]["ops"]
    g = docs["gcalloc"]
    assert g["extra"]["gogc_effective"] == 50 and g["extra"]["allocated_bytes"] > 0
    cycles = g["metrics_after"]["/gc/cycles/total:gc-cycles"]
    assert cycles > g["metrics_before"]["/gc/cycles/total:gc-cycles"]
    pauses = g["metrics_after"]["/sched/pauses/total/gc:seconds"]
    assert sum(pauses["counts"]) > 0


def test_schedtrace_lines(built):
    d = probe(built, "burst", "-n", "20", "-rounds", "2", "-schedtrace_ms", "5", "-gomaxprocs", "2")
    assert d["params"]["schedtrace_ms"] == 5 and d["ops"] == 40
    assert d["schedtrace"] and d["schedtrace"][0].startswith("SCHED ")
    trace = parse_text("\n".join(d["schedtrace"]) + "\n")
    assert trace.snapshots.height >= 1 and trace.lines_skipped == 0
    assert trace.snapshots["gomaxprocs"].to_list()[0] == 2


def test_bad_flags_exit_2_with_one_line(built):
    for args in (
        ["burst", "-n", "0"],
        ["burst", "-nope"],
        ["nosuchprobe"],
        ["openloop", "-dist", "x"],
    ):
        proc = probe(built, *args, check=False)
        assert proc.returncode == 2 and proc.stdout == ""
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_no_numa_information(built):
    d = probe(
        built,
        "tcpecho",
        "-clients",
        "1",
        "-requests",
        "3",
        env={"GMPLAB_PROBE_SYSFS": "/nonexistent"},
    )
    assert d["machine"]["numa_nodes"] is None
    assert "no NUMA information" in d["machine"]["numa_note"]


def test_missing_toolchain(monkeypatch, tmp_path):
    monkeypatch.setattr(toolchain, "find_go", lambda: None)
    with pytest.raises(GoToolchainMissing, match=r"pip install -e \.\[go\]"):
        buildmod.build(tmp_path)
    from gmplab.cli import main

    assert main(["calibrate", "build", str(tmp_path / "b")]) == 2


def test_old_toolchain_is_refused():
    assert toolchain.parse_version("go version go1.19.8 linux/amd64") < toolchain.MIN_GO
    assert toolchain.parse_version("go1.27.3") == (1, 27)


def _runner_folder(built, tmp_path, plan: str) -> Path:
    folder = tmp_path / "run"
    shutil.copytree(built.out_dir, folder)
    (folder / "plan.txt").write_text(plan)
    return folder


def test_runner_resumes_and_records_failures(built, tmp_path):
    plan = (
        "# a comment\n"
        "burst burst -n 20 -rounds 1\n"
        "bad burst -n -5\n"
        "slow pingpong -duration_ms 60000\n"
    )
    folder = _runner_folder(built, tmp_path, plan)
    out = folder / "out"
    args = ["--procs", "1 2", "--replications", "1", "--timeout-s", "1"]
    first = buildmod.run(folder, extra=args, capture_output=True)
    assert first.returncode == 1, first.stdout + first.stderr
    assert sorted(p.name for p in out.glob("*.json")) == ["burst-p1-r1.json", "burst-p2-r1.json"]
    errs = {p.name: p.read_text() for p in out.glob("*.err")}
    assert sorted(errs) == ["bad-p1-r1.err", "bad-p2-r1.err", "slow-p1-r1.err", "slow-p2-r1.err"]
    assert (
        errs["bad-p1-r1.err"].startswith("exit_status=2\n")
        and "-n must be > 0" in errs["bad-p1-r1.err"]
    )
    assert "timed out after 1s" in errs["slow-p2-r1.err"]
    assert not list(out.glob("*.part"))
    # resume: the captures made are kept and not run again
    stamp = (out / "burst-p1-r1.json").stat().st_mtime_ns
    (out / "burst-p2-r1.json").unlink()
    (folder / "plan.txt").write_text("burst burst -n 20 -rounds 1\n")
    second = buildmod.run(folder, extra=args, capture_output=True)
    assert second.returncode == 0, second.stdout
    assert (out / "burst-p1-r1.json").stat().st_mtime_ns == stamp
    assert (out / "burst-p2-r1.json").is_file()
    assert "1 run, 1 already there, 0 failed" in second.stdout

    # ingest: the captures, the runner's failures and an unreadable file
    (out / "trunc-p1-r1.json").write_text('{"format": "gmplab-probe/1", "probe": "bu')
    dest = ingest(folder, data_root=tmp_path / "real")
    assert dest.name.endswith(f"-{os.cpu_count()}cpu")
    runs = pl.read_parquet(dest / "runs.parquet")
    assert list(runs.columns) == list(RUNS_SCHEMA)
    assert runs.select("probe", "gomaxprocs", "replication").rows() == [
        ("burst", 1, 1),
        ("burst", 2, 1),
    ]
    hist = pl.read_parquet(dest / "histograms.parquet")
    assert list(hist.columns) == list(HIST_SCHEMA)
    lat = (
        hist.filter(pl.col("metric") == "probe_latency")
        .group_by("gomaxprocs")
        .agg(pl.col("count").sum())
    )
    assert sorted(lat.rows()) == [(1, 20), (2, 20)]
    assert {"sched_latency", "pause_gc_total", "pause_gc_stopping"} <= set(hist["metric"])
    assert (hist["count"] >= 0).all()
    errors = pl.read_parquet(dest / "errors.parquet")
    kinds = dict(zip(errors["file"], errors["kind"]))
    assert kinds["slow-p1-r1.err"] == "timeout" and kinds["bad-p2-r1.err"] == "failed"
    assert kinds["trunc-p1-r1.json"] == "invalid"
    assert {"runs.parquet", "schedtrace.parquet", "scalars.parquet", "machine.json"} <= {
        p.name for p in dest.iterdir()
    }


def test_quick_plan_and_ingest_schedtrace(built, tmp_path):
    folder = tmp_path / "q"
    shutil.copytree(built.out_dir, folder)
    proc = buildmod.run(folder, quick=True, extra=["--procs", "2"], capture_output=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    dest = ingest(folder / "out", machine_name="testbox", data_root=tmp_path / "real")
    assert dest.name == "testbox"
    runs = pl.read_parquet(dest / "runs.parquet")
    assert sorted(runs["probe"]) == sorted(SMALL)
    assert (runs["schedtrace_lines"] > 0).all()
    snaps = pl.read_parquet(dest / "schedtrace.parquet")
    assert {"probe", "gomaxprocs", "replication", "snapshot", "runqueue"} <= set(snaps.columns)
    assert set(snaps["probe"]) == set(SMALL) and (snaps["trace_gomaxprocs"] == 2).all()
    assert runs.filter(pl.col("probe") == "gcalloc")["gc_cycles"][0] >= 0
    meta = json.loads((dest / "machine.json").read_text())
    assert meta["captures"] == len(SMALL) and meta["machine"]["logical_cpus"] == os.cpu_count()


def test_ingest_nothing(tmp_path):
    with pytest.raises(NothingToIngest):
        ingest(tmp_path, data_root=tmp_path / "real")
    with pytest.raises(FileNotFoundError):
        ingest(tmp_path / "missing")
    from gmplab.cli import main

    assert main(["calibrate", "ingest", str(tmp_path)]) == 2
