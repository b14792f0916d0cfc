"""Rewrite tests/golden/golden.json from the current kernel, and log why.

    python tests/golden/update.py "REASON the numbers moved"

The golden runs are small seeded simulations whose key numbers
(tests/test_sweep.py::test_golden_results_are_unchanged) must not move unless the kernel's
behaviour changes on purpose. Every update appends a line to tests/golden/CHANGELOG.md with the
date, the kernel code version and the reason.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import gmplab
from gmplab.simulate import kernel_version
from gmplab.sweep import code_version

HERE = Path(__file__).parent

# (name, simulate() arguments): small (well under a second each), every policy and both paths
RUNS = [
    ("go-global-path-1x4", dict(policy="go", topology="1x4", load=0.8, goroutines=20_000, seed=11)),
    (
        "go-spawn-2x8",
        dict(
            policy="go",
            topology="2x8",
            load=0.7,
            goroutines=20_000,
            arrival_path="spawn",
            seed=12,
            replications=2,
        ),
    ),
    ("global-1x4", dict(policy="global", topology="1x4", load=0.8, goroutines=20_000, seed=13)),
    ("central-1x8", dict(policy="central", topology="1x8", load=0.9, goroutines=20_000, seed=14)),
    (
        "partitioned-1x4",
        dict(policy="partitioned", topology="1x4", load=0.7, goroutines=20_000, seed=15),
    ),
    (
        "go-lognormal-const-arrivals",
        dict(
            policy="go",
            topology="1x4",
            load=0.6,
            goroutines=10_000,
            arrivals="const",
            service="lognormal",
            service_scv=4.0,
            seed=16,
        ),
    ),
    # the goroutine table grows several times (an overload; a fork of 300 children per request):
    # rows must be handed out in the same order however the table grows
    ("go-overload-1x4", dict(policy="go", topology="1x4", load=1.4, goroutines=30_000, seed=4)),
    (
        "go-fork-300",
        dict(
            policy="go",
            topology="1x4",
            load=0.8,
            goroutines=3_000,
            program=[
                dict(
                    kind="fork",
                    count=300,
                    children=[dict(kind="cpu", service="exp", mean_ns=1_000)],
                )
            ],
            seed=4,
        ),
    ),
    # a segmented global queue hashes each G by its row
    (
        "go-segmented-globrunq",
        dict(
            policy="go",
            topology="1x8",
            load=0.9,
            goroutines=20_000,
            globrunq="segmented",
            arrival_path="spawn",
            seed=6,
        ),
    ),
    # central's own loop (it must give the general kernel's numbers): an overloaded queue
    (
        "central-overload-1x2",
        dict(policy="central", topology="1x2", load=2.0, goroutines=20_000, seed=17),
    ),
]
KEYS = (
    "goroutines_completed",
    "events",
    "steals",
    "stolen",
    "runnext_hits",
    "migrations_remote",
    "global_runq_puts",
    "lock_acquisitions",
    "lock_wait_ns_total",
    "wakeups",
    "end_ns",
    "sojourn_ns_mean",
    "sojourn_ns_p50",
    "sojourn_ns_p99",
    "sched_latency_ns_p99",
    "schedule_ns_p99",
)


def compute() -> list[dict]:
    out = []
    for name, spec in RUNS:
        s = gmplab.simulate(**spec).summary
        out.append({"name": name, "spec": spec, "expect": {k: s[k] for k in KEYS}})
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].strip():
        print(__doc__, file=sys.stderr)
        return 2
    data = {
        "code_version": code_version(),
        "kernel_version": kernel_version(),
        "runs": compute(),
    }
    (HERE / "golden.json").write_text(json.dumps(data, indent=1) + "\n")
    line = f"- {dt.date.today().isoformat()} code {data['code_version']}: {argv[0].strip()}\n"
    log = HERE / "CHANGELOG.md"
    if not log.exists():
        log.write_text(
            "# Golden results changelog\n\n"
            "One line per update of golden.json: date, kernel code version, why the numbers "
            "moved.\n\n"
        )
    with log.open("a") as f:
        f.write(line)
    print(f"wrote {HERE / 'golden.json'} and logged: {line.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
