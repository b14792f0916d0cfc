"""The pairing both A/B tools use (ab_central.py, ab_go.py): two versions run alternately on
the same seeds in one process, every pair's results checked identical."""

from __future__ import annotations


def paired_walls(run, first, second, pairs: int, what: str) -> list[tuple[float, float]]:
    """(wall of first, wall of second) for each of `pairs` pairs; run(kernel, seed) returns
    (wall seconds, [result arrays]). Which version runs first alternates from pair to pair;
    a pair whose results differ in any array stops the comparison (SystemExit)."""
    walls = []
    for i in range(pairs):
        kernels = (first, second)
        order = (0, 1) if i % 2 == 0 else (1, 0)
        out = {}
        for j in order:
            out[j] = run(kernels[j], 100 + i)
        if not all((x == y).all() for x, y in zip(out[0][1], out[1][1])):
            raise SystemExit(f"pair {i}: the two {what} gave different results")
        walls.append((out[0][0], out[1][0]))
    return walls
