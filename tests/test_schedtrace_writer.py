"""The schedtrace writer: simulated snapshots rendered in Go's formats parse back whole."""

import polars as pl
import pytest

import gmplab
from gmplab import schedtrace

HAND = [
    "SCHED 0ms: gomaxprocs=2 idleprocs=2 threads=2 spinningthreads=0 needspinning=0 "
    "idlethreads=1 runqueue=0 [ 0 0 ] schedticks=[ 0 0 ]",
    "SCHED 1ms: gomaxprocs=2 idleprocs=0 threads=3 spinningthreads=0 needspinning=1 "
    "idlethreads=0 runqueue=1 [ 0 0 ] schedticks=[ 1 1 ]",
    "SCHED 2ms: gomaxprocs=2 idleprocs=1 threads=3 spinningthreads=0 needspinning=0 "
    "idlethreads=1 runqueue=0 [ 0 0 ] schedticks=[ 1 1 ]",
    "SCHED 3ms: gomaxprocs=2 idleprocs=1 threads=3 spinningthreads=0 needspinning=0 "
    "idlethreads=1 runqueue=0 [ 0 0 ] schedticks=[ 2 1 ]",
]


@pytest.fixture
def hand_run(hand_kw):
    # the scenario worked out in tests/test_kernel_invariants.py (see conftest.hand_kw)
    return gmplab.simulate(**hand_kw, snapshot_ms=1.0)


def test_hand_computed_trace_renders_exactly(hand_run):
    assert schedtrace.render_result(hand_run) == HAND


def test_hand_computed_trace_in_121_format(hand_run):
    lines = schedtrace.render_result(hand_run, fmt="1.21")
    assert lines[1] == (
        "SCHED 1ms: gomaxprocs=2 idleprocs=0 threads=3 spinningthreads=0 needspinning=1 "
        "idlethreads=0 runqueue=1 [0 0]"
    )
    t = schedtrace.parse("\n".join(lines))
    assert t.snapshots["format"].to_list() == ["1.21"] * 4


@pytest.fixture(scope="module")
def busy():
    return gmplab.simulate(
        policy="go",
        topology="1x8",
        load=0.95,
        goroutines=30_000,
        arrival_path="spawn",
        costs="default",
        seed=9,
        snapshot_ms=0.1,
        check_invariants=True,
    )


def test_rendered_lines_parse_with_identities(busy):
    lines = schedtrace.render_result(busy)
    t = schedtrace.parse("\n".join(lines))
    assert t.lines_skipped == 0 and t.snapshots.height == len(lines)
    sim = busy.snapshots()
    simp = busy.snapshot_procs()
    parsed = t.snapshots.sort("snapshot")
    for col in ("idleprocs", "threads", "spinningthreads", "idlethreads", "runqueue"):
        assert parsed[col].to_list() == sim[col].to_list()
    rings = t.procs.group_by("snapshot").agg(ring=pl.col("runq_len").sum()).sort("snapshot")
    runnext = simp.group_by("snapshot").agg(rn=pl.col("runnext").sum()).sort("snapshot")
    # ring lengths (parsed) + runnext slots + global queue (parsed) = runnable goroutines
    total = rings["ring"] + runnext["rn"] + parsed["runqueue"]
    assert total.to_list() == sim["runnable"].to_list()
    ticks = t.procs.sort(["snapshot", "p"])["schedtick"].to_list()
    assert ticks == simp.sort(["snapshot", "p"])["schedtick"].to_list()


def test_detail_blocks_parse_and_count_threads(busy):
    lines = schedtrace.render_result(busy, detail=True)
    t = schedtrace.parse("\n".join(lines))
    assert t.lines_skipped == 0
    heads = t.snapshots.sort("snapshot")
    per = (
        t.ms.group_by("snapshot")
        .agg(
            n=pl.len(),
            running=(pl.col("p").is_not_null() & (pl.col("spinning") == False)).sum(),  # noqa: E712
            spinning=(pl.col("spinning") == True).sum(),  # noqa: E712
            idle=(pl.col("blocked") == True).sum(),  # noqa: E712
        )
        .sort("snapshot")
    )
    # threads = running + spinning + idle Ms + sysmon, read from the M lines themselves
    assert per["n"].to_list() == heads["threads"].to_list()
    assert (per["running"] + per["spinning"] + per["idle"] + 1).to_list() == heads[
        "threads"
    ].to_list()
    assert per["idle"].to_list() == heads["idlethreads"].to_list()


def test_writer_rejects_unknown_format(busy):
    with pytest.raises(ValueError, match="fmt"):
        schedtrace.render_result(busy, fmt="1.30")
