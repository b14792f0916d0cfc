"""Calls into the kernel for tests: its jitted functions on arrays from ``simulate._allocate``,
whole runs from a file's defaults, and the check that two runs gave the same numbers."""

import numpy as np

import gmplab
from gmplab._kernel import loop


def find_runnable(a, p, t, resume=False, iparams=None):
    """loop.find_runnable for P p at time t; returns (outcome, g, inherit, c)."""
    ip = a["iparams"] if iparams is None else iparams
    return loop.find_runnable(
        a["sched"],
        a["gt"],
        a["pst"],
        a["runq"],
        a["pidle"],
        a["midle"],
        a["nph"],
        a["counters"],
        a["costs"],
        ip,
        a["rng"],
        a["coprimes"],
        a["hp"],
        a["trace"],
        p,
        t,
        resume,
        loop.find_runnable_settings(ip),
    )


def simulate_with(defaults: dict, **kw):
    """gmplab.simulate with a test file's defaults, overridden by keyword."""
    args = dict(defaults)
    args.update(kw)
    return gmplab.simulate(**args)


def same(a: dict, b: dict, ignore=("wall_s",)):
    """Two summaries agree on every key (NaN equal to NaN) but the ignored ones."""
    diff = {k: (a[k], b[k]) for k in a if k not in ignore and repr(a[k]) != repr(b[k])}
    assert not diff


def assert_same_results(a, b):
    """Two results of the same spec are equal number for number: every replication's counters,
    histograms, batches, final schedticks, snapshots and summary (wall time aside; NaN = NaN).
    What the kernel's speed work (its own loop for central, the plain build, threads) keeps."""
    assert len(a.replications) == len(b.replications)
    for ra, rb in zip(a.replications, b.replications, strict=True):
        diff = {
            k: (ra.counters[k], rb.counters[k])
            for k in ra.counters
            if ra.counters[k] != rb.counters[k]
        }
        assert not diff, diff
        assert ra.hists.keys() == rb.hists.keys()
        for k in ra.hists:
            assert np.array_equal(ra.hists[k], rb.hists[k]), k
        for k in ("batch_count", "batch_sum", "batch_hist", "final_schedticks"):
            assert np.array_equal(getattr(ra, k), getattr(rb, k)), k
        for k in ("snap", "snap_p", "snap_midle"):
            assert np.array_equal(getattr(ra, k), getattr(rb, k)), k
        assert ra.summary.keys() == rb.summary.keys()
        same(ra.summary, rb.summary)
