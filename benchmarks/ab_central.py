"""Paired A/B timing of two versions of central's loop (``gmplab/_kernel/central.py``).

    python benchmarks/ab_central.py OTHER.py [--customers N] [--pairs K]

Process-to-process timings cannot settle a difference of a few percent on a shared machine
(README, Speed: this one switches between two speed states about 1.45x apart). This script
loads both loops into one process as two modules of the kernel package (the committed
``central.py`` as ``A``, ``OTHER.py``, for example a copy from another commit, as ``B``),
runs them alternately with the same seeds on ``make bench``'s M/M/16 load 0.9 model
(``bench_kernel.central_kwargs``), checks that every pair gave identical results, and
reports the paired ratio B/A. Where a module is loaded can also move its speed by a few
percent, so the comparison runs twice in fresh processes, A loaded first and then B first, and the
geometric mean of the two ratios cancels the load order. Each process compiles both loops
afresh into a temporary numba cache (about 10 s each): a module compiled under one name and
loaded from a cache under another could share compiled symbols with the other loop.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ab_pairs import paired_walls  # noqa: E402
from bench_kernel import central_kwargs  # noqa: E402  (the benchmark's model, one definition)

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "gmplab" / "_kernel" / "central.py"


def _load(path: Path, name: str):
    """central.py's code from path as the module gmplab._kernel.<name> (its relative imports
    resolve in the kernel package; its own name keeps its compiled symbols apart)."""
    import gmplab._kernel  # noqa: F401  (the package the module joins)

    spec = importlib.util.spec_from_file_location(f"gmplab._kernel.{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def measure(first: Path, second: Path, customers: int, pairs: int) -> list[float]:
    """Time ratios second/first over the pairs (both loaded in this process, first first)."""
    import numpy as np

    from gmplab._kernel.rng import seed_state
    from gmplab.params import make_spec

    sim = sys.modules["gmplab.simulate"]
    mod_first = _load(first, "_ab_first")
    mod_second = _load(second, "_ab_second")
    spec = make_spec(**central_kwargs(customers, seed=1))  # make bench's M/M/16 model

    def run(kernel, seed):
        arrays = sim._allocate(spec, seed_state(np.random.SeedSequence(seed)))
        t0 = time.perf_counter()
        kernel(*[arrays[k] for k in sim._ARG_ORDER])
        wall = time.perf_counter() - t0
        keys = ("counters", "h_sojourn", "h_schedlat", "h_schedule", "batch_hist", "pst")
        return wall, [arrays[k].copy() for k in keys]

    run(mod_first.run_central, 1)  # compiles
    run(mod_second.run_central, 1)
    walls = paired_walls(run, mod_first.run_central, mod_second.run_central, pairs, "loops")
    return [b / a for a, b in walls]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("other", type=Path, help="the other version of central.py (B)")
    ap.add_argument("--customers", type=int, default=1_000_000, help="per run (default 1e6)")
    ap.add_argument("--pairs", type=int, default=16, help="pairs per order (default 16)")
    ap.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child[0], args.child[1], args.customers, args.pairs)))
        return 0
    other = args.other.resolve()
    if not other.is_file():
        ap.error(f"other: no such file {other}")
    ratios = {}
    for name, (first, second) in {
        "A first": (COMMITTED, other),
        "B first": (other, COMMITTED),
    }.items():
        cmd = [sys.executable, __file__, str(other), "--customers", str(args.customers)]
        cmd += ["--pairs", str(args.pairs), "--child", str(first), str(second)]
        with tempfile.TemporaryDirectory(prefix="gmplab-ab-") as cache:
            env = dict(os.environ, NUMBA_CACHE_DIR=cache)
            out = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
        if out.returncode != 0:
            sys.stderr.write(out.stderr)
            return out.returncode
        r = json.loads(out.stdout.strip().splitlines()[-1])
        # as B/A: in "B first" the ratio measured is A/B
        ratios[name] = [x if name == "A first" else 1.0 / x for x in r]
        med = statistics.median(ratios[name])
        faster = sum(1 for x in ratios[name] if x < 1.0)
        print(f"{name}: B/A time, median of {len(r)} pairs {med:.3f} (B faster in {faster})")
    gm = math.sqrt(statistics.median(ratios["A first"]) * statistics.median(ratios["B first"]))
    print(f"B/A time, load order cancelled (geometric mean): {gm:.3f}; results identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
