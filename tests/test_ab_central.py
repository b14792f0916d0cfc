"""benchmarks/ab_central.py: the paired A/B tool for central's loop (slow: it compiles the
loop four times, twice in each of two processes)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "benchmarks" / "ab_central.py"
CENTRAL = ROOT / "gmplab" / "_kernel" / "central.py"


def _run(other: Path):
    cmd = [sys.executable, str(TOOL), str(other), "--customers", "20000", "--pairs", "2"]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)


@pytest.mark.slow
def test_a_copy_of_the_loop_gives_identical_results(tmp_path):
    copy = tmp_path / "central_copy.py"
    copy.write_text(CENTRAL.read_text())
    out = _run(copy)
    assert out.returncode == 0, out.stderr
    assert "results identical" in out.stdout
    assert out.stdout.count("median of 2 pairs") == 2


@pytest.mark.slow
def test_a_loop_that_changes_results_is_refused(tmp_path):
    # exponential service rounded down instead of to nearest: other numbers, same speed
    src = CENTRAL.read_text()
    old = "rem = np.int64(-log_uniform_open(rng) * svc_mean + 0.5)"
    assert src.count(old) == 1
    changed = tmp_path / "central_changed.py"
    changed.write_text(src.replace(old, "rem = np.int64(-log_uniform_open(rng) * svc_mean)"))
    out = _run(changed)
    assert out.returncode != 0
    assert "different results" in out.stdout + out.stderr
