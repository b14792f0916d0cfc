"""Calls into the kernel for tests: its jitted functions on arrays from ``simulate._allocate``,
and whole runs from a file's defaults."""

import gmplab
from gmplab._kernel import loop


def find_runnable(a, p, t, resume=False, iparams=None):
    """loop.find_runnable for P p at time t; returns (outcome, g, inherit, c)."""
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
        a["iparams"] if iparams is None else iparams,
        a["rng"],
        a["coprimes"],
        a["hp"],
        a["trace"],
        p,
        t,
        resume,
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
