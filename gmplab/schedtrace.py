"""Parse ``GODEBUG=schedtrace`` / ``scheddetail`` logs and gmplab capture files into polars.

Two line layouts exist (checked against go1.21.13 and go1.27.3 output and source)::

    1.21-1.24: SCHED 105ms: gomaxprocs=4 ... runqueue=5 [0 2 1 1]
    1.25+:     SCHED 110ms: gomaxprocs=2 ... runqueue=2 [ 3 2 ] schedticks=[ 5 18 ]

With ``scheddetail=1`` the header carries ``gcwaiting= nmidlelocked= stopwait= sysmonwait=``
instead of the per-P brackets and is followed by one ``  P``, ``  M`` and ``  G`` line per P,
M and G.  The detail layout is the same in both versions, so detail snapshots get a null
``format`` (and ``detail=True``).

The parser never raises on content: lines that look like schedtrace output but cannot be read
(truncated, interleaved with program output in the middle, numbers out of range, detail lines
with no detail header before them) are counted in ``lines_skipped``; every other line (the
program's own output, blank lines, binary junk) is counted in ``lines_other``.  Program output
glued onto the front of a line (``hello worldSCHED 5ms: ...``) is tolerated.

All parsing is vectorised: the whole log becomes one polars string column and each line kind is
read with one compiled (Rust) regex.  See ``benchmarks/bench_schedtrace.py`` for the speed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import polars as pl

__all__ = [
    "SchedTrace",
    "Capture",
    "parse",
    "parse_text",
    "parse_file",
    "summarize",
    "format_summary",
    "plot",
    "capture_to_frames",
    "load_capture",
    "cli_main",
    "CAPTURE_FORMAT",
]

CAPTURE_FORMAT = "gmplab-capture/1"
MAX_SKIPPED_EXAMPLES = 5
_EXAMPLE_CHARS = 200

# ---------------------------------------------------------------------------------------------
# Regexes (Rust regex syntax, as run by polars).  [0-9] rather than \d: \d is Unicode-aware.
# ---------------------------------------------------------------------------------------------
_N = r"[0-9]+"
_ID = r"-?[0-9]+|nil"  # m/p/g ids: "nil" since 1.x, "-1" in older runtimes
_BOOL = r"true|false|[0-9]+"  # atomic.Bool prints true/false; old runtimes printed 0/1
_LIST = r"[0-9]+(?: [0-9]+)*"

_HEADER_RE = (
    rf"SCHED (?P<time_ms>{_N})ms: gomaxprocs=(?P<gomaxprocs>{_N})"
    rf" idleprocs=(?P<idleprocs>{_N}) threads=(?P<threads>{_N})"
    rf" spinningthreads=(?P<spinningthreads>{_N})(?: needspinning=(?P<needspinning>{_N}))?"
    rf" idlethreads=(?P<idlethreads>{_N}) runqueue=(?P<runqueue>{_N})"
    r"(?:"
    rf" gcwaiting=(?P<gcwaiting>{_BOOL}) nmidlelocked=(?P<nmidlelocked>{_N})"
    rf" stopwait=(?P<stopwait>{_N}) sysmonwait=(?P<sysmonwait>{_BOOL})"
    rf"| \[ (?P<runq125>{_LIST}) \] schedticks=\[ (?P<schedticks>{_LIST}) \]"
    rf"| \[(?P<runq121>{_LIST})\]"
    r")"
)
_P_RE = (
    rf"(?:^|\s)P(?P<p>{_N}): status=(?P<status>{_N}) schedtick=(?P<schedtick>{_N})"
    rf" syscalltick=(?P<syscalltick>{_N}) m=(?P<m>{_ID}) runqsize=(?P<runqsize>{_N})"
    rf" gfreecnt=(?P<gfreecnt>{_N}) timerslen=(?P<timerslen>{_N})\s*$"
)
_M_RE = (
    rf"(?:^|\s)M(?P<m>{_N}): p=(?P<p>{_ID}) curg=(?P<curg>{_ID})"
    rf" mallocing=(?P<mallocing>{_N}) throwing=(?P<throwing>{_N}) preemptoff=(?P<preemptoff>.*?)"
    rf" locks=(?P<locks>{_N}) dying=(?P<dying>{_N}) spinning=(?P<spinning>{_BOOL})"
    rf" blocked=(?P<blocked>{_BOOL}) lockedg=(?P<lockedg>{_ID})\s*$"
)
_G_RE = (
    rf"(?:^|\s)G(?P<g>{_N}): status=(?P<status>{_N})\((?P<waitreason>.*)\)"
    rf" m=(?P<m>{_ID}) lockedm=(?P<lockedm>{_ID})\s*$"
)
# What makes a line a schedtrace line (so that failing to read it counts as "skipped").
_HEADER_CANDIDATE_RE = r"SCHED [0-9]"
_DETAIL_CANDIDATE_RE = r"(?:^|\s)[PMG][0-9]+: "

# ---------------------------------------------------------------------------------------------
# Output schemas
# ---------------------------------------------------------------------------------------------
_I = pl.Int64
SNAPSHOT_SCHEMA: dict[str, pl.DataType] = {
    "snapshot": _I,
    "line": _I,
    "run": _I,
    "time_ms": _I,
    "gomaxprocs": _I,
    "idleprocs": _I,
    "threads": _I,
    "spinningthreads": _I,
    "needspinning": _I,
    "idlethreads": _I,
    "runqueue": _I,
    "format": pl.String,
    "detail": pl.Boolean,
    "gcwaiting": pl.Boolean,
    "nmidlelocked": _I,
    "stopwait": _I,
    "sysmonwait": pl.Boolean,
}
PROC_SCHEMA: dict[str, pl.DataType] = {
    "snapshot": _I,
    "p": _I,
    "runq_len": _I,
    "schedtick": _I,
    "status": _I,
    "detail_schedtick": _I,
    "syscalltick": _I,
    "m": _I,
    "runqsize": _I,
    "gfreecnt": _I,
    "timerslen": _I,
}
M_SCHEMA: dict[str, pl.DataType] = {
    "snapshot": _I,
    "m": _I,
    "p": _I,
    "curg": _I,
    "mallocing": _I,
    "throwing": _I,
    "preemptoff": pl.String,
    "locks": _I,
    "dying": _I,
    "spinning": pl.Boolean,
    "blocked": pl.Boolean,
    "lockedg": _I,
}
G_SCHEMA: dict[str, pl.DataType] = {
    "snapshot": _I,
    "g": _I,
    "status": _I,
    "waitreason": pl.String,
    "m": _I,
    "lockedm": _I,
}


def _empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def _conform(df: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Select ``schema``'s columns in order, adding missing ones as nulls."""
    cols = []
    for name, dtype in schema.items():
        if name in df.columns:
            cols.append(pl.col(name).cast(dtype))
        else:
            cols.append(pl.lit(None, dtype=dtype).alias(name))
    return df.select(cols)


@dataclass
class SchedTrace:
    """A parsed schedtrace log.

    ``snapshots``: one row per ``SCHED`` line read (``snapshot`` is its index, ``line`` its
    1-based line number, ``run`` counts restarts of the ``Xms`` clock, which is the time since
    the program's first schedtrace call).  ``procs``: one row per P per snapshot; ``runq_len`` /
    ``schedtick`` are filled for plain and detail snapshots alike (``schedtick`` is null in the
    1.21 format), the other columns only for detail snapshots.  ``ms`` / ``gs``: one row per
    ``M`` / ``G`` line of a detail block.  ``nil`` ids are nulls.
    """

    snapshots: pl.DataFrame = field(default_factory=lambda: _empty(SNAPSHOT_SCHEMA))
    procs: pl.DataFrame = field(default_factory=lambda: _empty(PROC_SCHEMA))
    ms: pl.DataFrame = field(default_factory=lambda: _empty(M_SCHEMA))
    gs: pl.DataFrame = field(default_factory=lambda: _empty(G_SCHEMA))
    lines_total: int = 0
    lines_read: int = 0
    lines_skipped: int = 0
    lines_other: int = 0
    #: ``(line number, text)`` of the first few skipped lines (text cut to 200 characters).
    skipped_examples: list[tuple[int, str]] = field(default_factory=list)

    @property
    def n_snapshots(self) -> int:
        return self.snapshots.height


# ---------------------------------------------------------------------------------------------
# Reading the source
# ---------------------------------------------------------------------------------------------
def _decode(data: bytes | bytearray | memoryview) -> str:
    return bytes(data).decode("utf-8", errors="replace")


def _read_source(source: Any) -> str:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _decode(source)
    if isinstance(source, os.PathLike):
        return _decode(Path(source).read_bytes())
    if isinstance(source, str):
        if "\n" not in source and len(source) < 4096:
            try:
                is_file = os.path.isfile(source)
            except (OSError, ValueError):
                is_file = False
            if is_file:
                return _decode(Path(source).read_bytes())
        return source
    read = getattr(source, "read", None)
    if read is None:
        raise TypeError(f"cannot parse a schedtrace from {type(source).__name__}")
    data = read()
    if isinstance(data, str):
        return data
    return _decode(data)


def parse(source: str | bytes | os.PathLike[str] | TextIO | BinaryIO) -> SchedTrace:
    """Parse a schedtrace log.

    ``source`` is a path (``pathlib.Path``, or a one-line ``str`` naming an existing file), the
    log itself as ``str`` or ``bytes``, or a text/binary stream (read to the end).  Bytes are
    decoded as UTF-8 with invalid sequences replaced.  Never raises on the log's content.
    """
    return parse_text(_read_source(source))


def parse_file(path: str | os.PathLike[str]) -> SchedTrace:
    """Parse the log at ``path`` (raises ``FileNotFoundError`` if it does not exist)."""
    return parse_text(_decode(Path(path).read_bytes()))


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------
def _to_bool(col: str) -> pl.Expr:
    c = pl.col(col)
    return (
        pl.when(c == "true")
        .then(True)
        .when(c == "false")
        .then(False)
        .otherwise(c.cast(_I, strict=False) != 0)
        .alias(col)
    )


def _to_id(col: str) -> pl.Expr:
    """``nil`` and negative ids (``-1`` in older runtimes) become null."""
    v = pl.col(col).cast(_I, strict=False)
    return pl.when(v < 0).then(None).otherwise(v).alias(col)


def _ints_ok(cols: list[str]) -> pl.Expr:
    """True where every captured integer converts to Int64 (no overflow)."""
    expr = pl.lit(True)
    for c in cols:
        expr = expr & (pl.col(c).is_null() | pl.col(c).cast(_I, strict=False).is_not_null())
    return expr


def _ids_ok(cols: list[str]) -> pl.Expr:
    expr = pl.lit(True)
    for c in cols:
        col = pl.col(c)
        expr = expr & (col.is_null() | (col == "nil") | col.cast(_I, strict=False).is_not_null())
    return expr


def _no_nulls(col: str) -> pl.Expr:
    c = pl.col(col)
    return c.list.drop_nulls().list.len() == c.list.len()


def _lines_frame(text: str) -> pl.DataFrame:
    if not text:
        return pl.DataFrame(schema={"lineno": _I, "text": pl.String})
    s = pl.Series("text", [text], dtype=pl.String).str.split("\n").explode()
    if text.endswith("\n"):
        s = s.head(len(s) - 1)
    return s.to_frame().with_row_index("lineno", offset=1).cast({"lineno": _I})


_HDR_INTS = [
    "time_ms",
    "gomaxprocs",
    "idleprocs",
    "threads",
    "spinningthreads",
    "needspinning",
    "idlethreads",
    "runqueue",
    "nmidlelocked",
    "stopwait",
]
_P_INTS = ["p", "status", "schedtick", "syscalltick", "runqsize", "gfreecnt", "timerslen"]
_M_INTS = ["m", "mallocing", "throwing", "locks", "dying"]
_M_IDS = ["p", "curg", "lockedg"]


def _parse_headers(cand: pl.DataFrame) -> pl.DataFrame:
    """All header-looking lines, with ``ok`` telling which were read."""
    hdr = (
        cand.filter(pl.col("kind") == "S")
        .select("lineno", pl.col("text").str.extract_groups(_HEADER_RE).alias("_g"))
        .unnest("_g")
    )
    list_t = pl.List(_I)
    hdr = hdr.with_columns(
        runq=pl.coalesce("runq125", "runq121").str.split(" ").cast(list_t, strict=False),
        ticks=pl.col("schedticks").str.split(" ").cast(list_t, strict=False),
        detail=pl.col("gcwaiting").is_not_null(),
        format=pl.when(pl.col("runq125").is_not_null())
        .then(pl.lit("1.25"))
        .when(pl.col("runq121").is_not_null())
        .then(pl.lit("1.21"))
        .otherwise(pl.lit(None, dtype=pl.String)),
    )
    ok = (
        pl.col("time_ms").is_not_null()
        & _ints_ok(_HDR_INTS)
        & (pl.col("runq").is_null() | _no_nulls("runq"))
        & (
            pl.col("ticks").is_null()
            | (_no_nulls("ticks") & (pl.col("ticks").list.len() == pl.col("runq").list.len()))
        )
    )
    return hdr.with_columns(ok=ok.fill_null(False))


def _parse_kind(det: pl.DataFrame, kind: str, regex: str) -> pl.DataFrame:
    return (
        det.filter(pl.col("kind") == kind)
        .select("lineno", "snapshot", pl.col("text").str.extract_groups(regex).alias("_g"))
        .unnest("_g")
    )


def parse_text(text: str) -> SchedTrace:
    """Parse a schedtrace log held in memory as one string."""
    lines = _lines_frame(text)
    n_total = lines.height
    if n_total == 0:
        return SchedTrace()

    # Classify: "S" header-looking, "P"/"M"/"G" detail-looking, null for anything else.
    txt = pl.col("text")
    is_hdr = txt.str.contains("SCHED ", literal=True) & txt.str.contains(_HEADER_CANDIDATE_RE)
    cand = (
        lines.with_columns(
            kind=pl.when(is_hdr)
            .then(pl.lit("S"))
            .otherwise(txt.str.extract(r"(?:^|\s)([PMG])[0-9]+: ", 1))
        )
        .filter(pl.col("kind").is_not_null())
        .select("lineno", "text", "kind")
    )

    # ---- headers ----------------------------------------------------------------------------
    hdr = _parse_headers(cand)
    good = hdr.filter("ok").with_row_index("snapshot").cast({"snapshot": _I})
    snapshots = good.with_columns(
        *[pl.col(c).cast(_I, strict=False) for c in _HDR_INTS],
        _to_bool("gcwaiting"),
        _to_bool("sysmonwait"),
    ).with_columns(
        run=(pl.col("time_ms").diff() < 0).fill_null(False).cast(_I).cum_sum(),
        line=pl.col("lineno"),
    )

    # ---- per-P rows from the plain brackets -------------------------------------------------
    procs_parts: list[pl.DataFrame] = []
    plain = good.filter(~pl.col("detail")).select("snapshot", "runq", "ticks")
    if plain.height:
        plain = plain.with_columns(p=pl.int_ranges(0, pl.col("runq").list.len(), dtype=_I))
        ticked = plain.filter(pl.col("ticks").is_not_null())
        unticked = plain.filter(pl.col("ticks").is_null()).drop("ticks")
        if ticked.height:
            procs_parts.append(
                ticked.explode(["p", "runq", "ticks"]).rename(
                    {"runq": "runq_len", "ticks": "schedtick"}
                )
            )
        if unticked.height:
            procs_parts.append(unticked.explode(["p", "runq"]).rename({"runq": "runq_len"}))

    # ---- detail blocks ----------------------------------------------------------------------
    # A P/M/G line belongs to the nearest header-looking line above it if that header was read
    # and is a scheddetail header; otherwise it is an orphan and counts as skipped.
    owner_of_hdr = hdr.join(good.select("lineno", "snapshot"), on="lineno", how="left").select(
        "lineno",
        pl.when(pl.col("ok") & pl.col("detail"))
        .then(pl.col("snapshot"))
        .otherwise(-1)
        .alias("_owner"),
    )
    det = (
        cand.join(owner_of_hdr, on="lineno", how="left")
        .with_columns(pl.col("_owner").forward_fill())
        .filter((pl.col("kind") != "S") & (pl.col("_owner") >= 0))
        .rename({"_owner": "snapshot"})
    )

    read_det: list[pl.DataFrame] = []
    ms = _empty(M_SCHEMA)
    gs = _empty(G_SCHEMA)
    if det.height:
        p = _parse_kind(det, "P", _P_RE)
        p = p.filter(pl.col("p").is_not_null() & _ints_ok(_P_INTS) & _ids_ok(["m"]))
        p = p.with_columns(*[pl.col(c).cast(_I) for c in _P_INTS], _to_id("m")).with_columns(
            runq_len=pl.col("runqsize"), detail_schedtick=pl.col("schedtick")
        )
        if p.height:
            procs_parts.append(p)
            read_det.append(p.select("lineno"))

        m = _parse_kind(det, "M", _M_RE)
        m = m.filter(pl.col("m").is_not_null() & _ints_ok(_M_INTS) & _ids_ok(_M_IDS))
        m = m.with_columns(
            *[pl.col(c).cast(_I) for c in _M_INTS],
            *[_to_id(c) for c in _M_IDS],
            _to_bool("spinning"),
            _to_bool("blocked"),
            pl.when(pl.col("preemptoff") != "").then(pl.col("preemptoff")).alias("preemptoff"),
        )
        read_det.append(m.select("lineno"))
        ms = _conform(m, M_SCHEMA)

        g = _parse_kind(det, "G", _G_RE)
        g = g.filter(pl.col("g").is_not_null() & _ints_ok(["g", "status"]))
        g = g.filter(_ids_ok(["m", "lockedm"]))
        g = g.with_columns(
            pl.col("g").cast(_I),
            pl.col("status").cast(_I),
            _to_id("m"),
            _to_id("lockedm"),
            pl.when(pl.col("waitreason") != "").then(pl.col("waitreason")).alias("waitreason"),
        )
        read_det.append(g.select("lineno"))
        gs = _conform(g, G_SCHEMA)

    if procs_parts:
        procs = pl.concat([_conform(x, PROC_SCHEMA) for x in procs_parts], how="vertical")
        procs = procs.sort("snapshot", maintain_order=True)
    else:
        procs = _empty(PROC_SCHEMA)

    n_read = good.height + sum(x.height for x in read_det)
    n_skipped = cand.height - n_read
    examples: list[tuple[int, str]] = []
    if n_skipped:
        read_lines = pl.concat([good.select("lineno"), *read_det], how="vertical")
        bad = cand.join(read_lines, on="lineno", how="anti").sort("lineno")
        examples = [
            (int(no), t.rstrip("\r")[:_EXAMPLE_CHARS])
            for no, t in bad.head(MAX_SKIPPED_EXAMPLES).select("lineno", "text").iter_rows()
        ]

    return SchedTrace(
        snapshots=_conform(snapshots, SNAPSHOT_SCHEMA),
        procs=procs,
        ms=ms,
        gs=gs,
        lines_total=n_total,
        lines_read=n_read,
        lines_skipped=n_skipped,
        lines_other=n_total - cand.height,
        skipped_examples=examples,
    )


# ---------------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------------
def _num(x: Any, digits: int = 4) -> float | int | None:
    """JSON-safe number: None for null/NaN/inf, ints stay ints, floats are rounded."""
    if x is None:
        return None
    if isinstance(x, bool):
        return int(x)
    if isinstance(x, int):
        return x
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return None
    return round(x, digits)


def per_snapshot_balance(trace: SchedTrace) -> pl.DataFrame:
    """Per-snapshot local-queue balance across Ps.

    Columns: snapshot, nprocs, local_total, local_max, max_p (the P holding the most),
    cv (population std / mean of the per-P local queue lengths; null when they are all 0) and
    dominant (True when there are at least 2 Ps and one holds more than half the local work).
    """
    schema = {
        "snapshot": _I,
        "nprocs": _I,
        "local_total": _I,
        "local_max": _I,
        "max_p": _I,
        "cv": pl.Float64,
        "dominant": pl.Boolean,
    }
    procs = trace.procs.filter(pl.col("runq_len").is_not_null())
    if procs.height == 0:
        return pl.DataFrame(schema=schema)
    q = pl.col("runq_len")
    out = (
        procs.group_by("snapshot", maintain_order=True)
        .agg(
            nprocs=pl.len().cast(_I),
            local_total=q.sum().cast(_I),
            local_max=q.max().cast(_I),
            max_p=pl.col("p").get(q.arg_max()).cast(_I),
            _mean=q.cast(pl.Float64).mean(),
            _std=q.cast(pl.Float64).std(ddof=0),
        )
        .with_columns(
            cv=pl.when(pl.col("_mean") > 0).then(pl.col("_std") / pl.col("_mean")),
            dominant=(pl.col("nprocs") >= 2)
            & (pl.col("local_total") > 0)
            & (pl.col("local_max") * 2 > pl.col("local_total")),
        )
        .sort("snapshot")
    )
    return out.select(list(schema))


def _quantiles(s: pl.Series) -> dict[str, Any]:
    s = s.drop_nulls()
    if s.len() == 0:
        return {"mean": None, "p50": None, "p95": None, "max": None}
    return {
        "mean": _num(s.mean()),
        "p50": _num(s.quantile(0.5, interpolation="linear")),
        "p95": _num(s.quantile(0.95, interpolation="linear")),
        "max": _num(s.max()),
    }


def summarize(trace: SchedTrace, series_points: int = 200) -> dict[str, Any]:
    """The numbers ``gmplab schedtrace`` prints, as a JSON-safe dict.

    ``global_runqueue.series`` is the global queue length over time, thinned to at most
    ``series_points`` points (every ``stride``-th snapshot).
    """
    s = trace.snapshots
    n = s.height
    fmt_counts = {
        "1.25": int((s["format"] == "1.25").sum()),
        "1.21": int((s["format"] == "1.21").sum()),
        "detail": int(s["detail"].sum()),
    }
    out: dict[str, Any] = {
        "snapshots": n,
        "lines_total": trace.lines_total,
        "lines_read": trace.lines_read,
        "lines_skipped": trace.lines_skipped,
        "lines_other": trace.lines_other,
        "skipped_examples": [{"line": no, "text": t} for no, t in trace.skipped_examples],
        "formats": fmt_counts,
        "runs": int(s["run"].max()) + 1 if n else 0,
        "gomaxprocs": sorted(int(x) for x in s["gomaxprocs"].unique()) if n else [],
    }
    stride = max(1, math.ceil(n / max(1, series_points)))
    thin = s.gather_every(stride) if n else s
    out["global_runqueue"] = {
        **_quantiles(s["runqueue"]),
        "last": _num(s["runqueue"][-1]) if n else None,
        "series": {
            "stride": stride,
            "snapshot": thin["snapshot"].to_list(),
            "time_ms": thin["time_ms"].to_list(),
            "runqueue": thin["runqueue"].to_list(),
        },
    }

    bal = per_snapshot_balance(trace)
    with_work = bal.filter((pl.col("local_total") > 0) & (pl.col("nprocs") >= 2))
    n_work = with_work.height
    n_dom = int(with_work["dominant"].sum()) if n_work else 0
    dom_p = (
        with_work.filter("dominant")
        .group_by("max_p")
        .len()
        .sort(["len", "max_p"], descending=[True, False])
        if n_dom
        else None
    )
    out["local_runqueue"] = {
        "total": _quantiles(bal["local_total"]),
        "per_p_max": _quantiles(bal["local_max"]),
    }
    out["balance"] = {
        "snapshots_with_local_work": n_work,
        "cv": _quantiles(with_work["cv"]),
        "one_p_dominant_snapshots": n_dom,
        "one_p_dominant_share": _num(n_dom / n_work) if n_work else None,
        "most_dominant_p": int(dom_p["max_p"][0]) if dom_p is not None else None,
        "most_dominant_p_snapshots": int(dom_p["len"][0]) if dom_p is not None else None,
    }

    if n:
        idle_share = (s["idleprocs"] / s["gomaxprocs"]).fill_nan(None)
        ns = s["needspinning"].drop_nulls()
        out["procs"] = {
            "idleprocs": _quantiles(s["idleprocs"]),
            "idle_share_mean": _num(idle_share.mean()),
            "all_idle_share": _num((s["idleprocs"] >= s["gomaxprocs"]).mean()),
            "none_idle_share": _num((s["idleprocs"] == 0).mean()),
        }
        out["spinning"] = {
            "spinningthreads": _quantiles(s["spinningthreads"]),
            "needspinning_share": _num((ns > 0).mean()) if ns.len() else None,
        }
        out["threads"] = {
            "min": _num(s["threads"].min()),
            "max": _num(s["threads"].max()),
            "last": _num(s["threads"][-1]),
            "mean": _num(s["threads"].mean()),
            "idlethreads": _quantiles(s["idlethreads"]),
        }
    else:
        out["procs"] = {
            "idleprocs": _quantiles(s["idleprocs"]),
            "idle_share_mean": None,
            "all_idle_share": None,
            "none_idle_share": None,
        }
        out["spinning"] = {
            "spinningthreads": _quantiles(s["spinningthreads"]),
            "needspinning_share": None,
        }
        out["threads"] = {
            "min": None,
            "max": None,
            "last": None,
            "mean": None,
            "idlethreads": _quantiles(s["idlethreads"]),
        }
    return out


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _v(x: Any) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:.3g}"
    return str(x)


def format_summary(summary: dict[str, Any], name: str = "") -> str:
    """Human-readable rendering of :func:`summarize`'s dict."""
    s = summary
    f = s["formats"]
    lines = [
        f"schedtrace summary{': ' + name if name else ''}",
        f"  lines: {s['lines_total']} total, {s['lines_read']} read, "
        f"{s['lines_skipped']} skipped (unreadable schedtrace), {s['lines_other']} other",
        f"  snapshots: {s['snapshots']} (1.25 format: {f['1.25']}, 1.21 format: {f['1.21']}, "
        f"scheddetail: {f['detail']}) in {s['runs']} run(s); gomaxprocs "
        f"{', '.join(map(str, s['gomaxprocs'])) or 'n/a'}",
    ]
    if s["snapshots"]:
        g = s["global_runqueue"]
        b = s["balance"]
        lq = s["local_runqueue"]["total"]
        lines += [
            f"  global run queue: mean {_v(g['mean'])}, p50 {_v(g['p50'])}, p95 {_v(g['p95'])}, "
            f"max {_v(g['max'])}, last {_v(g['last'])}",
            f"  local run queues (sum over Ps): mean {_v(lq['mean'])}, p95 {_v(lq['p95'])}, "
            f"max {_v(lq['max'])}",
            f"  per-P balance: CV across Ps mean {_v(b['cv']['mean'])}, median "
            f"{_v(b['cv']['p50'])}, p95 {_v(b['cv']['p95'])} "
            f"(over {b['snapshots_with_local_work']} snapshots with local work and >= 2 Ps)",
            f"  one P dominant (> 50% of local work): {_pct(b['one_p_dominant_share'])} "
            f"({b['one_p_dominant_snapshots']}/{b['snapshots_with_local_work']})"
            + (
                f"; most often P{b['most_dominant_p']} ({b['most_dominant_p_snapshots']})"
                if b["most_dominant_p"] is not None
                else ""
            ),
            f"  idle Ps: mean {_v(s['procs']['idleprocs']['mean'])} "
            f"({_pct(s['procs']['idle_share_mean'])} of gomaxprocs); all idle in "
            f"{_pct(s['procs']['all_idle_share'])}, none idle in "
            f"{_pct(s['procs']['none_idle_share'])} of snapshots",
            f"  spinning threads: mean {_v(s['spinning']['spinningthreads']['mean'])}, max "
            f"{_v(s['spinning']['spinningthreads']['max'])}; needspinning set in "
            f"{_pct(s['spinning']['needspinning_share'])} of snapshots",
            f"  threads: min {_v(s['threads']['min'])}, max {_v(s['threads']['max'])}, last "
            f"{_v(s['threads']['last'])}; idle threads mean "
            f"{_v(s['threads']['idlethreads']['mean'])}",
        ]
    else:
        lines.append("  no schedtrace snapshots found")
    if s["skipped_examples"]:
        lines.append("  first skipped lines:")
        lines += [f"    {e['line']}: {e['text']}" for e in s["skipped_examples"]]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Plot
# ---------------------------------------------------------------------------------------------
def plot(trace: SchedTrace, path: str | os.PathLike[str], max_columns: int = 600) -> Path:
    """Draw the summary figure (queues, per-P heatmap, balance, idle/spinning Ps, threads).

    Uses matplotlib's Agg canvas directly (no pyplot, no global backend switch) and seaborn for
    the line panels.  The x axis is time in seconds for a single run, the snapshot index when
    the log holds several runs (the ``Xms`` clock restarts).
    """
    import numpy as np
    import seaborn as sns
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    path = Path(path)
    s = trace.snapshots
    fig = Figure(figsize=(11, 13), layout="constrained")
    FigureCanvasAgg(fig)
    if s.height == 0:
        ax = fig.add_subplot(1, 1, 1)
        ax.text(0.5, 0.5, "no schedtrace snapshots", ha="center", va="center")
        ax.set_axis_off()
        fig.savefig(path, dpi=100)
        return path

    single_run = int(s["run"].max()) == 0
    if single_run:
        xs = s.select("snapshot", (pl.col("time_ms") / 1000.0).alias("x"))
        xlabel = "time since first schedtrace (s)"
    else:
        xs = s.select("snapshot", pl.col("snapshot").cast(pl.Float64).alias("x"))
        xlabel = "snapshot (several runs: the ms clock restarts)"
    bal = per_snapshot_balance(trace).join(xs, on="snapshot", how="left")
    base = s.join(xs, on="snapshot").join(
        bal.select("snapshot", "local_total", "cv", "dominant"), on="snapshot", how="left"
    )

    axes = fig.subplots(5, 1, sharex=True, height_ratios=[1.2, 1.2, 1, 1, 1])

    def lines(ax, cols: dict[str, str], title: str, ylabel: str) -> None:
        long = base.select("x", *[pl.col(c).alias(lbl) for c, lbl in cols.items()]).unpivot(
            index="x", variable_name="series", value_name="value"
        )
        sns.lineplot(
            data=long.to_pandas(),
            x="x",
            y="value",
            hue="series",
            ax=ax,
            linewidth=1,
            estimator=None,
            errorbar=None,
            drawstyle="steps-post",
        )
        ax.set_title(title, loc="left", fontsize=10)
        ax.set_ylabel(ylabel)
        ax.legend(loc="upper right", fontsize=8)

    lines(
        axes[0],
        {"runqueue": "global run queue", "local_total": "local run queues (sum)"},
        "Run queue lengths",
        "goroutines",
    )

    # Per-P local queue heatmap (Ps x snapshots), thinned to at most max_columns columns.
    ax = axes[1]
    procs = trace.procs.filter(pl.col("runq_len").is_not_null())
    if procs.height:
        nps = int(procs["p"].max()) + 1
        step = max(1, math.ceil(s.height / max_columns))
        keep = xs.gather_every(step)
        sub = procs.join(keep, on="snapshot", how="inner")
        col_of = {snap: i for i, snap in enumerate(keep["snapshot"].to_list())}
        mat = np.full((nps, keep.height), np.nan)
        for snap, pp, q in sub.select("snapshot", "p", "runq_len").iter_rows():
            mat[pp, col_of[snap]] = q
        xv = keep["x"].to_numpy()
        edges = np.concatenate([xv, [xv[-1] + (xv[-1] - xv[-2] if len(xv) > 1 else 1.0)]])
        mesh = ax.pcolormesh(edges, np.arange(nps + 1) - 0.5, mat, cmap="rocket_r", shading="flat")
        fig.colorbar(mesh, ax=ax, label="local queue", pad=0.01)
        ax.set_ylabel("P")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.invert_yaxis()
    ax.set_title("Per-P local run queue", loc="left", fontsize=10)

    ax = axes[2]
    sns.lineplot(
        data=base.select("x", "cv").to_pandas(),
        x="x",
        y="cv",
        ax=ax,
        linewidth=1,
        estimator=None,
        errorbar=None,
    )
    dom = base.filter(pl.col("dominant").fill_null(False))
    if dom.height:
        ax.scatter(
            dom["x"].to_numpy(),
            dom["cv"].to_numpy(),
            s=8,
            color="C3",
            label="one P holds > 50% of local work",
            zorder=3,
        )
        ax.legend(loc="upper right", fontsize=8)
    ax.set_ylabel("CV across Ps")
    ax.set_title("Per-P queue balance (coefficient of variation)", loc="left", fontsize=10)

    lines(
        axes[3],
        {"gomaxprocs": "gomaxprocs", "idleprocs": "idle Ps", "spinningthreads": "spinning Ms"},
        "Idle Ps and spinning threads",
        "count",
    )
    lines(
        axes[4],
        {"threads": "threads (Ms)", "idlethreads": "idle threads"},
        "Threads",
        "count",
    )
    axes[-1].set_xlabel(xlabel)
    for a in axes:
        if a is not axes[-1]:
            a.set_xlabel("")
    fig.savefig(path, dpi=100)
    return path


# ---------------------------------------------------------------------------------------------
# Capture files (docs/capture-format.md)
# ---------------------------------------------------------------------------------------------
HIST_SCHEMA: dict[str, pl.DataType] = {
    "sample": _I,
    "t_ns": _I,
    "name": pl.String,
    "unit": pl.String,
    "bucket": _I,
    "lower_s": pl.Float64,
    "upper_s": pl.Float64,
    "count": pl.UInt64,
}
SCALAR_SCHEMA: dict[str, pl.DataType] = {
    "sample": _I,
    "t_ns": _I,
    "name": pl.String,
    "kind": pl.String,
    "value": pl.Float64,
}
_SPECIAL_FLOATS = {"+Inf": math.inf, "Inf": math.inf, "-Inf": -math.inf, "NaN": math.nan}


@dataclass
class Capture:
    """A gmplab-capture/1 file as tables.

    ``meta``: the top-level fields other than ``samples``/``schedtrace``.  ``samples``: one row
    per sample (sample, t_ns).  ``scalars``: one row per uint64/float64 metric per sample
    (``kind`` is "uint64" or "float64"; ``value`` is Float64).  ``histograms``: one row per
    bucket per histogram per sample: ``[lower_s, upper_s)`` holds ``count`` (the runtime's
    counts are cumulative since program start, so diff consecutive samples for a window).  The
    bounds are in the metric's unit (``unit`` column, the part of the name after ``:``):
    seconds for ``/sched/latencies:seconds``, bytes for ``...:bytes``.  ``trace``: the
    schedtrace lines parsed with :func:`parse`.  ``metrics_skipped`` counts metric values whose
    shape was not understood (they are left out).
    """

    meta: dict[str, Any]
    samples: pl.DataFrame
    scalars: pl.DataFrame
    histograms: pl.DataFrame
    trace: SchedTrace
    metrics_skipped: int = 0


def _as_float(x: Any) -> float | None:
    if isinstance(x, bool):
        return None
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, str):
        return _SPECIAL_FLOATS.get(x.strip())
    return None


def _as_count(x: Any) -> int | None:
    if isinstance(x, bool) or not isinstance(x, int) or x < 0 or x >= 2**64:
        return None
    return x


def capture_to_frames(capture: dict[str, Any]) -> Capture:
    """Turn a decoded gmplab-capture/1 JSON object into polars tables.

    Raises ``ValueError`` if ``capture`` is not an object whose ``format`` is
    ``"gmplab-capture/1"``; inside, malformed metric values are counted and left out.
    """
    if not isinstance(capture, dict):
        raise ValueError("a gmplab capture must be a JSON object")
    fmt = capture.get("format")
    if fmt != CAPTURE_FORMAT:
        raise ValueError(f"not a {CAPTURE_FORMAT} capture (format={fmt!r})")
    meta = {k: v for k, v in capture.items() if k not in ("samples", "schedtrace")}

    s_idx: list[int] = []
    s_t: list[int | None] = []
    sc_cols: dict[str, list[Any]] = {k: [] for k in SCALAR_SCHEMA}
    h_cols: dict[str, list[Any]] = {k: [] for k in HIST_SCHEMA}
    skipped = 0
    samples = capture.get("samples") or []
    if not isinstance(samples, list):
        samples = []
        skipped += 1
    for i, sample in enumerate(samples):
        if not isinstance(sample, dict):
            skipped += 1
            continue
        t = sample.get("t_ns")
        t = t if isinstance(t, int) and not isinstance(t, bool) and -(2**63) <= t < 2**63 else None
        s_idx.append(i)
        s_t.append(t)
        metrics = sample.get("metrics") or {}
        if not isinstance(metrics, dict):
            skipped += 1
            continue
        for name, value in metrics.items():
            if isinstance(value, dict):
                bounds = value.get("buckets")
                counts = value.get("counts")
                if not isinstance(bounds, list) or not isinstance(counts, list):
                    skipped += 1
                    continue
                fb = [_as_float(b) for b in bounds]
                cs = [_as_count(c) for c in counts]
                if len(fb) != len(cs) + 1 or None in fb or None in cs:
                    skipped += 1
                    continue
                k = len(cs)
                unit = name.rsplit(":", 1)[1] if ":" in name else ""
                h_cols["sample"] += [i] * k
                h_cols["t_ns"] += [t] * k
                h_cols["name"] += [name] * k
                h_cols["unit"] += [unit] * k
                h_cols["bucket"] += range(k)
                h_cols["lower_s"] += fb[:-1]
                h_cols["upper_s"] += fb[1:]
                h_cols["count"] += cs
            else:
                if isinstance(value, bool):
                    skipped += 1
                    continue
                if not isinstance(value, (int, float, str)):
                    skipped += 1
                    continue
                # encoding/json writes a whole float64 as an integer (0.0 -> 0), so an int
                # in JSON is a float64 metric when its unit is seconds (every float64 metric
                # of runtime/metrics up to go1.27 is in seconds or cpu-seconds).
                is_float = not isinstance(value, int) or name.endswith("seconds")
                kind = "float64" if is_float else "uint64"
                v = _as_float(value)
                if v is None:
                    skipped += 1
                    continue
                sc_cols["sample"].append(i)
                sc_cols["t_ns"].append(t)
                sc_cols["name"].append(name)
                sc_cols["kind"].append(kind)
                sc_cols["value"].append(v)

    lines = capture.get("schedtrace") or []
    if isinstance(lines, str):
        text = lines
    elif isinstance(lines, list):
        text = "\n".join(x if isinstance(x, str) else "" for x in lines)
        if lines:
            text += "\n"
    else:
        text = ""
        skipped += 1
    return Capture(
        meta=meta,
        samples=pl.DataFrame({"sample": s_idx, "t_ns": s_t}, schema={"sample": _I, "t_ns": _I}),
        scalars=pl.DataFrame(sc_cols, schema=SCALAR_SCHEMA),
        histograms=pl.DataFrame(h_cols, schema=HIST_SCHEMA),
        trace=parse_text(text),
        metrics_skipped=skipped,
    )


def load_capture(source: str | os.PathLike[str] | TextIO | BinaryIO) -> Capture:
    """Read a gmplab-capture/1 JSON file (path or stream) with :func:`capture_to_frames`."""
    if hasattr(source, "read"):
        data = source.read()  # type: ignore[union-attr]
    else:
        data = Path(source).read_bytes()  # type: ignore[arg-type]
    return capture_to_frames(json.loads(data))


def _looks_like_capture(head: bytes) -> bool:
    return head.lstrip()[:1] == b"{" and CAPTURE_FORMAT.encode() in head


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------
def build_arg_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """Add the ``gmplab schedtrace`` arguments to ``parser`` (or a new parser)."""
    if parser is None:
        parser = argparse.ArgumentParser(
            prog="gmplab schedtrace",
            description="Summarise a GODEBUG=schedtrace[,scheddetail=1] log "
            "(or a gmplab-capture/1 JSON file).",
        )
    parser.add_argument("file", metavar="FILE", help="log file, capture .json, or - for stdin")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--plot", metavar="OUT.png", help="draw the summary figure to OUT.png")
    return parser


def run_cli(args: argparse.Namespace) -> int:
    """Run ``gmplab schedtrace`` with parsed ``args`` (see :func:`build_arg_parser`)."""
    name = args.file
    try:
        if name == "-":
            data = sys.stdin.buffer.read()
        else:
            data = Path(name).read_bytes()
    except OSError as e:
        print(f"gmplab schedtrace: cannot read {name}: {e.strerror or e}", file=sys.stderr)
        return 2
    capture_meta = None
    if _looks_like_capture(data[:4096]):
        try:
            cap = capture_to_frames(json.loads(data))
        except (ValueError, UnicodeDecodeError) as e:
            print(f"gmplab schedtrace: bad capture file {name}: {e}", file=sys.stderr)
            return 2
        trace = cap.trace
        capture_meta = {
            **{k: cap.meta.get(k) for k in ("go_version", "gomaxprocs", "num_cpu")},
            "samples": cap.samples.height,
            "metrics_skipped": cap.metrics_skipped,
        }
    else:
        trace = parse_text(_decode(data))
    summary = summarize(trace)
    if capture_meta is not None:
        summary["capture"] = capture_meta
    if args.plot:
        summary["plot"] = str(plot(trace, args.plot))
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(format_summary(summary, name))
        if args.plot:
            print(f"  plot: {summary['plot']}")
    return 0


def cli_main(argv: list[str] | None = None) -> int:
    """Entry point of ``gmplab schedtrace FILE [--json] [--plot OUT.png]``; returns the exit
    status (0 ok, 2 unreadable file)."""
    return run_cli(build_arg_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(cli_main())


# ---------------------------------------------------------------------------------------------
# The writer: the one place schedtrace text is produced (from the simulator's snapshots)
# ---------------------------------------------------------------------------------------------
SYSMON_M_ID = 1  # the kernel's M1 is sysmon (M0 is the main thread), as in a real Go process


def _bracket(values, fmt: str) -> str:
    inner = " ".join(str(int(v)) for v in values)
    return f"[ {inner} ]" if fmt == "1.25" else f"[{inner}]"


def render_snapshots(
    snap,
    snap_p,
    snap_midle,
    gomaxprocs: int,
    fmt: str = "1.25",
    detail: bool = False,
) -> list[str]:
    """Render kernel snapshot arrays as ``GODEBUG=schedtrace`` lines (``scheddetail=1`` blocks
    with ``detail``). ``fmt`` is ``"1.25"`` (Go 1.25+: ``[ 3 2 ]`` and ``schedticks=``) or
    ``"1.21"`` (Go 1.21-1.24: ``[3 2]``, no schedticks).

    Arrays are those of ``Result.replications[i]`` (``snap``, ``snap_p``, ``snap_midle``). The
    time is whole ms since the first snapshot, as Go prints it. In detail blocks, G lines cover
    the running goroutines only (the kernel keeps no list of every G), whose ids are arrival
    indexes.
    """
    from ._kernel import consts as kc

    if fmt not in ("1.25", "1.21"):
        raise ValueError(f"fmt: must be '1.25' or '1.21' (got {fmt!r})")
    lines: list[str] = []
    for k in range(snap.shape[0]):
        s = snap[k]
        ms = int(s[kc.SN_TIME]) // 1_000_000
        head = (
            f"SCHED {ms}ms: gomaxprocs={gomaxprocs} idleprocs={int(s[kc.SN_IDLEPROCS])} "
            f"threads={int(s[kc.SN_THREADS])} spinningthreads={int(s[kc.SN_SPINNING])} "
            f"needspinning={int(s[kc.SN_NEEDSPINNING])} "
            f"idlethreads={int(s[kc.SN_IDLETHREADS])} runqueue={int(s[kc.SN_RUNQUEUE])}"
        )
        ps = snap_p[k]
        if not detail:
            line = f"{head} {_bracket(ps[:, kc.SP_RUNQ_LEN], fmt)}"
            if fmt == "1.25":
                line += f" schedticks={_bracket(ps[:, kc.SP_SCHEDTICK], fmt)}"
            lines.append(line)
            continue
        lines.append(f"{head} gcwaiting=false nmidlelocked=0 stopwait=0 sysmonwait=false")
        m_lines: dict[int, str] = {}
        g_lines: list[str] = []
        for p in range(ps.shape[0]):
            m = int(ps[p, kc.SP_M])
            curg = int(ps[p, kc.SP_CURG])
            lines.append(
                f"  P{p}: status={int(ps[p, kc.SP_STATUS])} schedtick={int(ps[p, kc.SP_SCHEDTICK])}"
                f" syscalltick=0 m={m if m >= 0 else 'nil'} runqsize={int(ps[p, kc.SP_RUNQ_LEN])}"
                " gfreecnt=0 timerslen=0"
            )
            if m >= 0:
                spinning = "true" if ps[p, kc.SP_SPINNING] else "false"
                m_lines[m] = (
                    f"  M{m}: p={p} curg={curg if curg >= 0 else 'nil'} mallocing=0 throwing=0 "
                    f"preemptoff= locks=0 dying=0 spinning={spinning} blocked=false lockedg=nil"
                )
            if curg >= 0:
                g_lines.append(f"  G{curg}: status=2() m={m} lockedm=nil")
        for m in snap_midle[k]:
            if m >= 0:
                m_lines[int(m)] = (
                    f"  M{int(m)}: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 "
                    "dying=0 spinning=false blocked=true lockedg=nil"
                )
        m_lines[SYSMON_M_ID] = (
            f"  M{SYSMON_M_ID}: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=1 "
            "dying=0 spinning=false blocked=false lockedg=nil"
        )
        lines.extend(m_lines[m] for m in sorted(m_lines, reverse=True))
        lines.extend(g_lines)
    return lines


def render_result(result, replication: int = 0, fmt: str = "1.25", detail: bool = False):
    """schedtrace lines of one replication of a simulated ``Result``."""
    rep = result.replications[replication]
    return render_snapshots(
        rep.snap, rep.snap_p, rep.snap_midle, result.spec.procs, fmt=fmt, detail=detail
    )
