"""Paired A/B timing of the general kernel (``go`` policy) against another version of it.

    python benchmarks/ab_go.py OTHER_TREE [--procs P] [--goroutines N] [--pairs K]
    python benchmarks/ab_go.py --rev REV [...]

OTHER_TREE is a directory holding another version's ``gmplab/_kernel`` (for example
``git worktree add /tmp/old REV``); ``--rev`` extracts commit REV into a temporary directory
instead (``git archive``), where its kernel compiles afresh (about 4 minutes).

The committed kernel (``gmplab._kernel.loop``, A) and the other one (loaded as the package
``_ab_kernel_b``, B; its own package name keeps its compiled symbols apart) run alternately
in one process, on the same seeds, on ``make bench``'s `go` model (``bench_kernel.go_kwargs``:
load 0.9, exp service 10 us, default costs, global arrivals, invariants off) at GOMAXPROCS P,
and every pair's results (counters, histograms, batch means) must be identical. It prints the
median ratio B/A of the kernel times. Process-to-process timings cannot settle a few percent
on a shared machine (README, Speed); pairs in one process can, down to the two compiles
themselves: the committed kernel against a copy of its own tree read 0.967 (30 pairs,
2026-11-28; presumably where each compile's code lands in memory), so a ratio within about
4% of 1 is no change. Both kernels are the full build (every optional model compiled in and
off), as the package name decides that.

The arrays are allocated by this checkout's ``simulate``; the other kernel must take the
same arguments (checked: ``run_kernel``'s parameter names) and no more heap rows than this
one allocates (an older kernel ignores the rows it does not know).
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ab_pairs import paired_walls  # noqa: E402
from bench_kernel import go_kwargs  # noqa: E402  (the benchmark's model, one definition)

ROOT = Path(__file__).resolve().parents[1]
PKG_B = "_ab_kernel_b"


def _load_other(tree: Path):
    """The other tree's gmplab/_kernel as the package _ab_kernel_b; returns (loop, consts)."""
    kdir = tree / "gmplab" / "_kernel"
    if not (kdir / "loop.py").is_file():
        raise SystemExit(f"other: no gmplab/_kernel/loop.py under {tree}")
    spec = importlib.util.spec_from_file_location(
        PKG_B, kdir / "__init__.py", submodule_search_locations=[str(kdir)]
    )
    pkg = importlib.util.module_from_spec(spec)
    sys.modules[PKG_B] = pkg
    spec.loader.exec_module(pkg)
    return importlib.import_module(f"{PKG_B}.loop"), importlib.import_module(f"{PKG_B}.consts")


def measure(tree: Path, procs: int, goroutines: int, pairs: int) -> list[float]:
    import numpy as np

    import gmplab._kernel.consts as kc
    from gmplab._kernel import loop as loop_a
    from gmplab._kernel.rng import seed_state
    from gmplab.params import make_spec

    sim = sys.modules["gmplab.simulate"]
    loop_b, kc_b = _load_other(tree)
    params_b = list(inspect.signature(loop_b.run_kernel.py_func).parameters)
    if params_b != list(sim._ARG_ORDER):
        raise SystemExit("other: its run_kernel takes other arguments than this checkout's")
    if kc_b.N_HP > kc.N_HP:
        raise SystemExit(f"other: its heap has {kc_b.N_HP} rows, this checkout allocates {kc.N_HP}")
    kwargs = go_kwargs(procs, goroutines, seed=1)
    kwargs.pop("gomaxprocs")  # the topology says it
    spec = make_spec(**kwargs)
    keys = ("counters", "h_sojourn", "h_schedlat", "h_schedule", "batch_hist", "batch_sum")

    def run(kernel, seed):
        arrays = sim._allocate(spec, seed_state(np.random.SeedSequence(seed)))
        t0 = time.perf_counter()
        kernel(*[arrays[k] for k in sim._ARG_ORDER])
        wall = time.perf_counter() - t0
        return wall, [arrays[k].copy() for k in keys]

    for kernel in (loop_a.run_kernel, loop_b.run_kernel):
        t0 = time.perf_counter()
        run(kernel, 1)  # compiles, or loads the cache
        print(f"warm-up {time.perf_counter() - t0:.1f} s", flush=True)
    walls = paired_walls(run, loop_a.run_kernel, loop_b.run_kernel, pairs, "kernels")
    ratios = [b / a for a, b in walls]
    ns_a = [a * 1e9 / goroutines for a, _ in walls]
    ns_b = [b * 1e9 / goroutines for _, b in walls]
    print(
        f"GOMAXPROCS {procs}, {pairs} pairs of {goroutines:,} goroutines: "
        f"A median {statistics.median(ns_a):.0f} ns/goroutine, "
        f"B median {statistics.median(ns_b):.0f} ns/goroutine"
    )
    return ratios


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("other", type=Path, nargs="?", help="a tree with another gmplab/_kernel (B)")
    ap.add_argument("--rev", help="a commit to extract as the other tree (git archive)")
    ap.add_argument("--procs", type=int, default=64, help="GOMAXPROCS, 1..1024 (default 64)")
    ap.add_argument("--goroutines", type=int, default=100_000, help="per run (default 1e5)")
    ap.add_argument("--pairs", type=int, default=20, help="pairs (default 20)")
    args = ap.parse_args(argv)
    if (args.other is None) == (args.rev is None):
        ap.error("give OTHER_TREE or --rev REV (one of them)")
    if not 1 <= args.procs <= 1024:
        ap.error(f"--procs must be in 1..1024, got {args.procs}")
    if args.goroutines < 1000:
        ap.error(f"--goroutines must be at least 1000, got {args.goroutines}")
    if args.pairs < 1:
        ap.error(f"--pairs must be at least 1, got {args.pairs}")
    with tempfile.TemporaryDirectory(prefix="gmplab-ab-go-") as tmp:
        if args.rev is not None:
            tree = Path(tmp) / "tree"
            tree.mkdir()
            archive = subprocess.run(
                ["git", "archive", args.rev, "gmplab/_kernel"], cwd=ROOT, capture_output=True
            )
            if archive.returncode != 0:
                ap.error(f"--rev: git archive {args.rev} failed: {archive.stderr.decode().strip()}")
            # its compiled code is cached beside its source, and gone with the directory
            subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
        else:
            tree = args.other.resolve()
        ratios = measure(tree, args.procs, args.goroutines, args.pairs)
    med = statistics.median(ratios)
    faster = sum(1 for x in ratios if x < 1.0)
    print(f"B/A time: median of {len(ratios)} pairs {med:.3f} (B faster in {faster})")
    print("results identical in every pair")
    return 0


if __name__ == "__main__":
    sys.exit(main())
