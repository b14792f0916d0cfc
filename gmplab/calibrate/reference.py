"""The reference machine's committed captures: the folder the default report and the claims
ledger read (``data/real/<machine>/``, named by the committed profile's ``_calibration``)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from .fit import data_root, default_profile_path


def reference_dir() -> Path | None:
    """The captures folder of the committed profile's machine (else the only one), or None."""
    real = data_root() / "real"
    prof = default_profile_path()
    if prof is not None:
        name = json.loads(prof.read_text()).get("_calibration", {}).get("machine")
        if name and (real / name / "runs.parquet").is_file():
            return real / name
    dirs = sorted(p.parent for p in real.glob("*/runs.parquet")) if real.is_dir() else []
    return dirs[0] if len(dirs) == 1 else None


def snapshot_balance(machine_dir: Path | None = None) -> pl.DataFrame:
    """Per schedtrace snapshot of every capture at GOMAXPROCS >= 2: the local run queues'
    total and whether one P holds more than half of it (``dominant``), as
    ``gmplab.schedtrace.per_snapshot_balance`` defines it for simulated traces."""
    d = machine_dir or reference_dir()
    if d is None or not (Path(d) / "schedtrace_procs.parquet").is_file():
        return pl.DataFrame()
    procs = pl.read_parquet(Path(d) / "schedtrace_procs.parquet").filter(
        (pl.col("gomaxprocs") >= 2) & pl.col("runq_len").is_not_null()
    )
    keys = ["probe", "gomaxprocs", "replication", "snapshot"]
    return (
        procs.group_by(keys, maintain_order=True)
        .agg(local_total=pl.col("runq_len").sum(), local_max=pl.col("runq_len").max())
        .with_columns(dominant=pl.col("local_max") * 2 > pl.col("local_total"))
    )
