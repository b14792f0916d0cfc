"""Benchmark gmplab.schedtrace.parse on a synthetic ~100 MB schedtrace log.

The log mixes 1.25-format lines with many Ps, 1.21-format lines, scheddetail blocks (P, M and G
lines), program output (some glued onto the front of SCHED lines), truncated lines, binary junk
and CRLF line ends.  It is written to a temporary directory, parsed from the file, and the
parse time and MB/s are printed (best of ``--repeat`` runs).  The target is 100 MB in under
30 s on a 2-core machine.

    python benchmarks/bench_schedtrace.py [--mb 100] [--repeat 1] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from gmplab.schedtrace import parse, summarize


def _plain_125(rng: random.Random, t: int, nps: int) -> str:
    runq = " ".join(str(rng.randrange(0, 40)) for _ in range(nps))
    ticks = " ".join(str(rng.randrange(0, 10**6)) for _ in range(nps))
    return (
        f"SCHED {t}ms: gomaxprocs={nps} idleprocs={rng.randrange(nps)} threads={nps + 5} "
        f"spinningthreads={rng.randrange(3)} needspinning={rng.randrange(2)} idlethreads=3 "
        f"runqueue={rng.randrange(500)} [ {runq} ] schedticks=[ {ticks} ]"
    )


def _plain_121(rng: random.Random, t: int, nps: int) -> str:
    runq = " ".join(str(rng.randrange(0, 40)) for _ in range(nps))
    return (
        f"SCHED {t}ms: gomaxprocs={nps} idleprocs={rng.randrange(nps)} threads={nps + 5} "
        f"spinningthreads={rng.randrange(3)} needspinning={rng.randrange(2)} idlethreads=3 "
        f"runqueue={rng.randrange(500)} [{runq}]"
    )


_WAIT = ["semacquire", "chan receive", "sleep", "GC sweep wait", "force gc (idle)", "", "select"]


def _detail(rng: random.Random, t: int, nps: int, nms: int, ngs: int) -> list[str]:
    out = [
        f"SCHED {t}ms: gomaxprocs={nps} idleprocs=0 threads={nms} spinningthreads=0 "
        f"needspinning=1 idlethreads=1 runqueue={rng.randrange(100)} gcwaiting=false "
        f"nmidlelocked=0 stopwait=0 sysmonwait=false"
    ]
    for p in range(nps):
        m = rng.randrange(nms) if rng.random() < 0.8 else "nil"
        out.append(
            f"  P{p}: status=1 schedtick={rng.randrange(10**6)} syscalltick={rng.randrange(999)} "
            f"m={m} runqsize={rng.randrange(50)} gfreecnt={rng.randrange(9)} "
            f"timerslen={rng.randrange(5)}"
        )
    for m in range(nms - 1, -1, -1):
        p = rng.randrange(nps) if rng.random() < 0.5 else "nil"
        out.append(
            f"  M{m}: p={p} curg={rng.randrange(1, 10**5) if p != 'nil' else 'nil'} mallocing=0 "
            f"throwing=0 preemptoff= locks={rng.choice((0, 0, 32))} dying=0 "
            f"spinning={rng.choice(('false', 'true'))} blocked=false lockedg=nil"
        )
    for g in range(1, ngs + 1):
        out.append(f"  G{g}: status={rng.choice((1, 2, 4))}({rng.choice(_WAIT)}) m=nil lockedm=nil")
    return out


_NOISE = [
    "2026/11/27 12:00:00 handled request id=42 in 3.1ms",
    "worker 7: processed 1000 items",
    "panic: something went wrong [recovered]",
    '{"level":"info","msg":"tick","n":17}',
    "",
]


def make_log(path: Path, target_mb: float, seed: int = 1) -> tuple[int, int]:
    """Write the synthetic log; return (bytes written, SCHED header lines written)."""
    rng = random.Random(seed)
    target = int(target_mb * 1e6)
    size = 0
    headers = 0
    t = 0
    with open(path, "wb") as f:
        while size < target:
            chunk: list[str] = []
            for _ in range(200):
                t += 100
                r = rng.random()
                if r < 0.55:
                    line = _plain_125(rng, t, rng.choice((8, 32, 64, 128)))
                    if rng.random() < 0.05:
                        line = "glued program output " + line
                    chunk.append(line)
                    headers += 1
                elif r < 0.75:
                    chunk.append(_plain_121(rng, t, rng.choice((4, 16, 48))))
                    headers += 1
                elif r < 0.85:
                    chunk.extend(_detail(rng, t, 8, 12, rng.randrange(20, 120)))
                    headers += 1
                elif r < 0.95:
                    chunk.append(rng.choice(_NOISE))
                elif r < 0.98:  # truncated schedtrace line
                    line = _plain_125(rng, t, 16)
                    chunk.append(line[: rng.randrange(1, len(line) - 1)])
                else:  # binary junk (no newline inside)
                    chunk.append(
                        bytes(rng.randrange(256) for _ in range(40))
                        .replace(b"\n", b" ")
                        .decode("latin-1")
                    )
            eol = "\r\n" if rng.random() < 0.1 else "\n"
            data = (eol.join(chunk) + eol).encode("latin-1")
            f.write(data)
            size += len(data)
    return size, headers


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=100.0, help="log size in MB (default 100)")
    ap.add_argument("--repeat", type=int, default=1, help="parse runs; the best is reported")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "schedtrace.log"
        t0 = time.perf_counter()
        size, headers = make_log(path, args.mb, args.seed)
        print(
            f"generated {size / 1e6:.1f} MB ({headers} SCHED lines) in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        best = float("inf")
        trace = None
        for _ in range(max(1, args.repeat)):
            t0 = time.perf_counter()
            trace = parse(path)
            best = min(best, time.perf_counter() - t0)
        assert trace is not None
        t0 = time.perf_counter()
        summarize(trace)
        t_sum = time.perf_counter() - t0
    print(
        f"parse: {best:.2f} s = {size / 1e6 / best:.1f} MB/s; "
        f"{trace.n_snapshots} snapshots, {trace.procs.height} P rows, {trace.ms.height} M rows, "
        f"{trace.gs.height} G rows; lines {trace.lines_total} total, {trace.lines_read} read, "
        f"{trace.lines_skipped} skipped, {trace.lines_other} other"
    )
    print(f"summarize: {t_sum:.2f} s")
    if trace.n_snapshots != headers:
        print(f"WARNING: expected {headers} snapshots")


if __name__ == "__main__":
    main()
