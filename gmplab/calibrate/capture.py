"""Ingest a folder of ``gmplab-probe/1`` captures into parquet tables.

``ingest(captures_dir)`` reads every ``<name>-p<P>-r<R>.json`` (and the runner's ``.err``
files) and writes, under ``data/real/<machine>/``:

- ``runs.parquet``: one row per capture (probe, gomaxprocs, replication, go_version, wall_s,
  ops, goroutines_peak, gc_cycles, the probe's latency totals, params as a JSON string, file);
- ``histograms.parquet``: per capture, metric and bucket: ``count`` in ``[lower_s, upper_s)``.
  ``probe_latency`` is the probe's own histogram; the others are the runtime's histograms
  differenced over the measured phase (after - before): ``sched_latency``
  (/sched/latencies:seconds), ``pause_gc_total``, ``pause_gc_stopping``, ``pause_other_total``,
  ``pause_other_stopping`` (/sched/pauses/...:seconds);
- ``scalars.parquet``: every uint64/float64 metric before, after and their difference;
- ``schedtrace.parquet`` and ``schedtrace_procs.parquet``: the schedtrace snapshots and per-P
  rows (``gmplab.schedtrace``'s tables) with the capture's keys;
- ``errors.parquet``: the runner's ``.err`` files and the files that could not be read;
- ``machine.json``: the machine the captures came from.

Files that are not valid probe JSON are reported by name on stderr and skipped.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl

from ..schedtrace import CAPTURE_FORMAT, capture_to_frames

PROBE_FORMAT = "gmplab-probe/1"
FILE_RE = re.compile(r"^(?P<name>.+)-p(?P<p>[0-9]+)-r(?P<r>[0-9]+)\.(?:json|err)$")
HISTOGRAMS = {
    "/sched/latencies:seconds": "sched_latency",
    "/sched/pauses/total/gc:seconds": "pause_gc_total",
    "/sched/pauses/stopping/gc:seconds": "pause_gc_stopping",
    "/sched/pauses/total/other:seconds": "pause_other_total",
    "/sched/pauses/stopping/other:seconds": "pause_other_stopping",
}
KEYS = {"probe": pl.String, "name": pl.String, "gomaxprocs": pl.Int64, "replication": pl.Int64}
RUNS_SCHEMA = {
    **KEYS,
    "go_version": pl.String,
    "num_cpu": pl.Int64,
    "wall_s": pl.Float64,
    "ops": pl.Int64,
    "goroutines_peak": pl.Int64,
    "gc_cycles": pl.Int64,
    "latency_count": pl.Int64,
    "latency_sum_s": pl.Float64,
    "latency_max_s": pl.Float64,
    "spin_iters_per_us": pl.Float64,
    "schedtrace_lines": pl.Int64,
    "params": pl.String,
    "extra": pl.String,
    "notes": pl.String,
    "file": pl.String,
}
HIST_SCHEMA = {
    **KEYS,
    "metric": pl.String,
    "bucket": pl.Int64,
    "lower_s": pl.Float64,
    "upper_s": pl.Float64,
    "count": pl.Int64,
}
SCALAR_SCHEMA = {
    **KEYS,
    "metric": pl.String,
    "kind": pl.String,
    "before": pl.Float64,
    "after": pl.Float64,
    "delta": pl.Float64,
}
ERROR_SCHEMA = {
    **KEYS,
    "kind": pl.String,  # "failed" | "timeout" (runner .err files) | "invalid" (unreadable)
    "exit_status": pl.Int64,
    "message": pl.String,
    "file": pl.String,
}


class NothingToIngest(RuntimeError):
    """The folder holds no capture and no .err file."""


def default_data_root() -> Path:
    """``data/real`` of the source checkout holding this package, else of the current folder."""
    root = Path(__file__).absolute().parents[2]
    base = root if (root / "pyproject.toml").is_file() else Path.cwd()
    return base / "data" / "real"


def default_machine_name(machine: dict[str, Any] | None) -> str:
    """``<hostname>-<N>cpu`` from a capture's ``machine`` (this host's when there is none)."""
    machine = machine or {}
    host = machine.get("hostname") or socket.gethostname() or "unknown"
    cpus = machine.get("logical_cpus")
    name = f"{host}-{cpus}cpu" if cpus else str(host)
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


def _keys(name: str, doc: dict[str, Any] | None, m: re.Match | None) -> dict[str, Any]:
    doc = doc or {}
    return {
        "probe": doc.get("probe") or (m["name"] if m else None),
        "name": m["name"] if m else name,
        "gomaxprocs": doc.get("gomaxprocs") if doc else (int(m["p"]) if m else None),
        "replication": int(m["r"]) if m else None,
    }


def _error_row(path: Path, m: re.Match | None) -> dict[str, Any]:
    text = path.read_text(errors="replace")
    first, _, rest = text.partition("\n")
    status = int(first.split("=", 1)[1]) if first.startswith("exit_status=") else None
    kind = "timeout" if "timed out after" in text else "failed"
    row = _keys(path.name, None, m)
    row.update(kind=kind, exit_status=status, message=rest.strip()[:4000], file=path.name)
    return row


def _read(path: Path) -> dict[str, Any]:
    doc = json.loads(path.read_text())
    if not isinstance(doc, dict) or doc.get("format") != PROBE_FORMAT:
        raise ValueError(f"not a {PROBE_FORMAT} document")
    for k in ("probe", "gomaxprocs", "metrics_before", "metrics_after", "wall_s"):
        if k not in doc:
            raise ValueError(f"no {k!r} field")
    return doc


def _latency_rows(keys: dict[str, Any], lat: dict[str, Any] | None) -> pl.DataFrame | None:
    if not lat:
        return None
    bounds = [float(b) for b in lat["buckets"]]  # float() reads "-Inf"/"+Inf" too
    counts = lat["counts"]
    return pl.DataFrame(
        {
            **{k: [v] * len(counts) for k, v in keys.items()},
            "metric": "probe_latency",
            "bucket": range(len(counts)),
            "lower_s": bounds[:-1],
            "upper_s": bounds[1:],
            "count": counts,
        },
        schema=HIST_SCHEMA,
    )


def _with_keys(df: pl.DataFrame, keys: dict[str, Any]) -> pl.DataFrame:
    return df.with_columns(*[pl.lit(v, dtype=KEYS[k]).alias(k) for k, v in keys.items()]).select(
        *KEYS, *[c for c in df.columns if c not in KEYS]
    )


def _capture_tables(doc: dict[str, Any], keys: dict[str, Any]):
    """The capture's runtime histograms and scalars (after - before) and its schedtrace,
    read by gmplab.schedtrace.capture_to_frames as a two-sample gmplab-capture/1."""
    cap = capture_to_frames(
        {
            "format": CAPTURE_FORMAT,
            "samples": [
                {"t_ns": 0, "metrics": doc["metrics_before"]},
                {"t_ns": int(float(doc["wall_s"]) * 1e9), "metrics": doc["metrics_after"]},
            ],
            "schedtrace": doc.get("schedtrace") or [],
        }
    )
    on = ["name", "bucket"]
    h = cap.histograms.filter(pl.col("name").is_in(list(HISTOGRAMS)))
    hist = (
        h.filter(pl.col("sample") == 0)
        .select(*on, "lower_s", "upper_s", before=pl.col("count").cast(pl.Int64))
        .join(
            h.filter(pl.col("sample") == 1).select(*on, after=pl.col("count").cast(pl.Int64)),
            on=on,
        )
        .select(
            metric=pl.col("name").replace_strict(HISTOGRAMS),
            bucket=pl.col("bucket").cast(pl.Int64),
            lower_s="lower_s",
            upper_s="upper_s",
            count=pl.col("after") - pl.col("before"),
        )
    )
    s = cap.scalars
    scal = (
        s.filter(pl.col("sample") == 0)
        .select(metric="name", kind="kind", before="value")
        .join(s.filter(pl.col("sample") == 1).select(metric="name", after="value"), on="metric")
        .with_columns(delta=pl.col("after") - pl.col("before"))
    )
    snaps = cap.trace.snapshots.rename({"gomaxprocs": "trace_gomaxprocs"})
    return (
        _with_keys(hist, keys),
        _with_keys(scal, keys),
        _with_keys(snaps, keys),
        _with_keys(cap.trace.procs, keys),
    )


def _run_row(doc, keys, scal: pl.DataFrame, path: Path) -> dict[str, Any]:
    gc = scal.filter(pl.col("metric") == "/gc/cycles/total:gc-cycles")["delta"]
    return {
        **keys,
        "go_version": doc.get("go_version"),
        "num_cpu": doc.get("num_cpu"),
        "wall_s": doc.get("wall_s"),
        "ops": doc.get("ops"),
        "goroutines_peak": doc.get("goroutines_peak"),
        "gc_cycles": int(gc[0]) if gc.len() else None,
        "latency_count": doc.get("latency_count"),
        "latency_sum_s": doc.get("latency_sum_s"),
        "latency_max_s": doc.get("latency_max_s"),
        "spin_iters_per_us": (doc.get("spin") or {}).get("iters_per_us"),
        "schedtrace_lines": len(doc.get("schedtrace") or []),
        "params": json.dumps(doc.get("params") or {}, sort_keys=True),
        "extra": json.dumps(doc.get("extra") or {}, sort_keys=True),
        "notes": json.dumps(doc.get("notes") or []),
        "file": path.name,
    }


def _concat(frames: list[pl.DataFrame], schema: dict[str, pl.DataType] | None = None):
    if frames:
        return pl.concat(frames, how="diagonal_relaxed")
    return pl.DataFrame(schema=schema or KEYS)


def ingest(
    captures_dir: str | Path,
    machine_name: str | None = None,
    data_root: str | Path | None = None,
) -> Path:
    """Read the captures of ``captures_dir`` (or of its ``out/``) and write the tables to
    ``data_root/<machine>/`` (default ``data/real``); returns that folder."""
    folder = Path(captures_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    if (folder / "out").is_dir():
        folder = folder / "out"
    jsons = sorted(folder.glob("*.json"))
    errs = sorted(folder.glob("*.err"))
    if not jsons and not errs:
        raise NothingToIngest(f"{folder}: no captures (*.json) or runner errors (*.err) here")

    runs, hists, scals, snaps, procs, errors = [], [], [], [], [], []
    machine: dict[str, Any] | None = None
    go_version = None
    for path in jsons:
        m = FILE_RE.match(path.name)
        try:
            doc = _read(path)
            keys = _keys(path.name, doc, m)
            hist, scal, snap, proc = _capture_tables(doc, keys)
        except (ValueError, TypeError, KeyError, json.JSONDecodeError) as e:
            why = f"{type(e).__name__}: {str(e)[:200]}"
            print(f"gmplab calibrate ingest: skipped {path.name}: {why}", file=sys.stderr)
            row = _keys(path.name, None, m)
            row.update(kind="invalid", exit_status=None, message=why, file=path.name)
            errors.append(row)
            continue
        machine = machine or doc.get("machine")
        go_version = go_version or doc.get("go_version")
        runs.append(_run_row(doc, keys, scal, path))
        lat = _latency_rows(keys, doc.get("latency"))
        hists += [hist] + ([lat] if lat is not None else [])
        scals.append(scal)
        snaps.append(snap)
        procs.append(proc)
    if not runs and not errs:
        raise NothingToIngest(f"{folder}: none of its {len(jsons)} .json files is a capture")
    errors += [_error_row(p, FILE_RE.match(p.name)) for p in errs]

    out = Path(data_root or default_data_root()) / (machine_name or default_machine_name(machine))
    out.mkdir(parents=True, exist_ok=True)
    sort = ["probe", "name", "gomaxprocs", "replication"]
    pl.DataFrame(runs, schema=RUNS_SCHEMA).sort(sort).write_parquet(out / "runs.parquet")
    _concat(hists, HIST_SCHEMA).write_parquet(out / "histograms.parquet")
    _concat(scals, SCALAR_SCHEMA).write_parquet(out / "scalars.parquet")
    _concat(snaps).write_parquet(out / "schedtrace.parquet")
    _concat(procs).write_parquet(out / "schedtrace_procs.parquet")
    pl.DataFrame(errors, schema=ERROR_SCHEMA).write_parquet(out / "errors.parquet")
    info = {
        "name": out.name,
        "machine": machine,
        "go_version": go_version,
        "captures": len(runs),
        "errors": len(errors),
        "source": str(folder.absolute()),
        "ingested_unix": int(time.time()),
    }
    (out / "machine.json").write_text(json.dumps(info, indent=1) + "\n")
    return out
