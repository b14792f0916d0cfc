"""The pairing the benchmark tools share: two calls run back to back, the order alternating
from pair to pair, so that a drift of the machine's speed falls on each side equally often
(bench_kernel.py's paired rows; ab_central.py and ab_go.py, which also check every pair's
results identical)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


def alternating_pairs(
    run_first: Callable[[int], Any], run_second: Callable[[int], Any], pairs: int
) -> Iterator[tuple[Any, Any]]:
    """(run_first(i), run_second(i)) for i in range(pairs), as each pair completes;
    run_first goes first in even pairs, run_second in odd ones."""
    for i in range(pairs):
        if i % 2 == 0:
            a = run_first(i)
            b = run_second(i)
        else:
            b = run_second(i)
            a = run_first(i)
        yield a, b


def paired_walls(run, first, second, pairs: int, what: str) -> list[tuple[float, float]]:
    """(wall of first, wall of second) for each of `pairs` pairs; run(kernel, seed) returns
    (wall seconds, [result arrays]). Which version runs first alternates from pair to pair;
    a pair whose results differ in any array stops the comparison (SystemExit)."""
    walls = []
    done = alternating_pairs(lambda i: run(first, 100 + i), lambda i: run(second, 100 + i), pairs)
    for i, (a, b) in enumerate(done):
        if not all((x == y).all() for x, y in zip(a[1], b[1])):
            raise SystemExit(f"pair {i}: the two {what} gave different results")
        walls.append((a[0], b[0]))
    return walls
